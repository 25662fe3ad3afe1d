# A containerd of our own for tests/engines/containerd.bats: root, state,
# gRPC/ttrpc sockets and config under $ENGINE_TMP/containerd, no CRI plugin.
# Started in setup_file,
# stopped by its pid in teardown_file. ctr runs the runc v2 shim with
# --runc-binary = volt-run (the shim's BinaryName option) and --runc-root
# under the tmpdir. The default overlayfs snapshotter is used, as on any
# containerd host; its mounts are under $ENGINE_TMP and unmounted at the end.
# Needs engine-helpers.bash.

containerd_setup() {
	local d="$ENGINE_TMP/containerd"
	mkdir -p "$d/root" "$d/state" "$d/runc"
	CTRD_DIR=$d
	CTRD_ADDR="$d/containerd.sock"
	CTRD_LOG="$d/containerd.log"
	CTRD_NS=volt-test
	cat >"$d/config.toml" <<-EOF2
		version = 2
		root = "$d/root"
		state = "$d/state"
		disabled_plugins = ["io.containerd.grpc.v1.cri"]

		[grpc]
		  address = "$CTRD_ADDR"

		[ttrpc]
		  address = "$d/containerd.sock.ttrpc"

		[debug]
		  level = "debug"
	EOF2
	# Its own session, and none of bats' file descriptors (bats waits for
	# whoever holds fd 3 before it ends).
	setsid containerd --config "$d/config.toml" </dev/null >"$CTRD_LOG" 2>&1 3>&- &
	CTRD_PID=$!
	echo "$CTRD_PID" >"$d/containerd.pid"
	export CTRD_DIR CTRD_ADDR CTRD_LOG CTRD_NS CTRD_PID
	if ! retry 20 ctr_quiet version; then
		echo "containerd did not come up; its log:" >&2
		tail -n 30 "$CTRD_LOG" >&2
		return 1
	fi

	IMAGE=localhost/volt-busybox:latest
	export IMAGE
	engine_oci_archive "$ENGINE_TMP/image.tar" latest
	c images import --base-name localhost/volt-busybox "$ENGINE_TMP/image.tar" >/dev/null || {
		echo "ctr images import failed" >&2
		return 1
	}
	c images ls -q | grep -qxF "$IMAGE" || {
		echo "image $IMAGE missing after import: $(c images ls -q)" >&2
		return 1
	}
}

containerd_teardown() {
	[ -n "${CTRD_DIR:-}" ] || return 0
	local id
	if [ -S "$CTRD_ADDR" ]; then
		for id in $(c tasks ls -q 2>/dev/null); do
			c tasks kill -a -s KILL "$id" >/dev/null 2>&1 || true
			c tasks delete -f "$id" >/dev/null 2>&1 || true
		done
		for id in $(c containers ls -q 2>/dev/null); do
			c containers delete "$id" >/dev/null 2>&1 || true
		done
	fi
	if [ -n "${CTRD_PID:-}" ] && kill -0 "$CTRD_PID" 2>/dev/null; then
		kill -TERM "$CTRD_PID"
		retry 10 bash -c "! kill -0 $CTRD_PID 2>/dev/null" || kill -KILL "$CTRD_PID" 2>/dev/null || true
	fi
	# Shims (their command line names our socket) and containers left behind.
	engine_kill_under "$ENGINE_TMP"
	engine_tmp_teardown
}

# ctr against our containerd, in our namespace, with a timeout.
c() {
	tmo ctr --address "$CTRD_ADDR" --namespace "$CTRD_NS" "$@"
}

ctr_quiet() {
	ctr --address "$CTRD_ADDR" version >/dev/null 2>&1
}

# ctr run with volt-run as the shim's runtime binary and our runc root.
crun_() {
	c run --runc-binary "$ENGINE_RUNTIME" --runc-root "$CTRD_DIR/runc" "$@"
}

# teardown of a containerd test: on failure the trace and containerd's and
# the shim's last words, then $CT's task and container gone in any case.
containerd_test_teardown() {
	if [ -z "${BATS_TEST_COMPLETED:-}" ]; then
		engine_dump_trace
		echo "# ---- containerd log (last lines)"
		grep -E 'level=(error|warning)' "$CTRD_LOG" | tail -n 10
		local lj="$CTRD_DIR/state/io.containerd.runtime.v2.task/$CTRD_NS/$CT/log.json"
		[ -s "$lj" ] && { echo "# ---- $lj"; tail -n 5 "$lj"; }
	fi
	c tasks kill -a -s KILL "$CT" >/dev/null 2>&1 || true
	c tasks delete -f "$CT" >/dev/null 2>&1 || true
	c containers delete "$CT" >/dev/null 2>&1 || true
}
