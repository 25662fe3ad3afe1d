# Shared helpers for the engine tests (tests/engines/*.bats): podman and
# containerd driving volt-run. Each .bats file sets its engine up once in
# setup_file with private state under one tmpdir ($ENGINE_TMP) and tears it
# down in teardown_file; nothing is written to the engines' system locations
# (/var/lib/containers, /etc/containers, /run/containerd/containerd.sock...).
#
# Environment:
#   VOLT_BUILD          build dir (default <repo>/build)
#   VOLT_RUN            the runtime binary (default $VOLT_BUILD/volt-run)
#   VOLT_ENGINE_TRACE=1 put tests/engines/volt-run-trace in front of the
#                       runtime: every invocation (argv, status, stderr or
#                       --log lines) goes to $ENGINE_TMP/trace.log, printed
#                       when a test fails
#   VOLT_ENGINE_TIMEOUT seconds allowed for each engine call (default 60)
#   VOLT_ENGINE_KEEP=1  keep $ENGINE_TMP after the run (for debugging)

# shellcheck disable=SC2016
ENGINE_REPO=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)
VOLT_BUILD=${VOLT_BUILD:-build}
case "$VOLT_BUILD" in
/*) ;;
*) VOLT_BUILD="$ENGINE_REPO/$VOLT_BUILD" ;;
esac
VOLT_RUN=${VOLT_RUN:-$VOLT_BUILD/volt-run}
case "$VOLT_RUN" in
/*) ;;
*) VOLT_RUN="$PWD/$VOLT_RUN" ;;
esac
VOLT_ROOTFS="$VOLT_BUILD/bundle/rootfs"
ENGINE_TIMEOUT=${VOLT_ENGINE_TIMEOUT:-60}
export ENGINE_REPO VOLT_BUILD VOLT_RUN VOLT_ROOTFS ENGINE_TIMEOUT

# Skip the whole file (from setup_file) unless the engine tools and the
# runtime exist. CI installs the tools with scripts/install-engine-deps.sh.
engine_require() {
	local why
	if why=$(engine_missing "$@"); then
		skip "$why"
	fi
}

# What is missing for the engine tests with TOOL...: prints the reason and
# succeeds, or fails when nothing is. (Bats 1.8 reports a skip in
# setup_file as a failure; a file can keep the reason and skip each test in
# setup instead.)
engine_missing() {
	local tool
	for tool in "$@"; do
		if ! command -v "$tool" >/dev/null; then
			echo "$tool not installed (run scripts/install-engine-deps.sh)"
			return 0
		fi
	done
	if [ ! -x "$VOLT_RUN" ]; then
		echo "no runtime at $VOLT_RUN (run make)"
	elif [ ! -x "$VOLT_ROOTFS/bin/busybox" ]; then
		echo "no rootfs at $VOLT_ROOTFS (run make bundle)"
	elif [ "$(id -u)" -ne 0 ]; then
		echo "the engine tests run as root"
	else
		return 1
	fi
}

# The private tmpdir of this file's engine, and the path the engine is given
# as its runtime ($VOLT_RUN, see engine_use_runtime).
engine_tmp_setup() {
	local name=$1
	ENGINE_TMP=$(mktemp -d "/tmp/volt-$name.XXXXXX")
	chmod 0755 "$ENGINE_TMP"
	ENGINE_TRACE_LOG="$ENGINE_TMP/trace.log"
	export ENGINE_TMP ENGINE_TRACE_LOG
	engine_use_runtime "$VOLT_RUN"
}

# Give the engine the runtime at PATH: PATH itself, or (VOLT_ENGINE_TRACE=1)
# a script of the same basename (podman's runtime_supports_json goes by it)
# that logs each call and runs the real one. Sets ENGINE_RUNTIME.
engine_use_runtime() {
	local real=$1 name
	name=$(basename "$real")
	ENGINE_RUNTIME=$real
	if [ "${VOLT_ENGINE_TRACE:-0}" = 1 ]; then
		mkdir -p "$ENGINE_TMP/trace"
		cat >"$ENGINE_TMP/trace/$name" <<-WRAP
			#!/bin/sh
			VOLT_TRACE_REAL='$real' VOLT_TRACE_LOG='$ENGINE_TRACE_LOG' exec '$ENGINE_REPO/tests/engines/volt-run-trace' "\$@"
		WRAP
		chmod 0755 "$ENGINE_TMP/trace/$name"
		ENGINE_RUNTIME="$ENGINE_TMP/trace/$name"
	fi
	export ENGINE_RUNTIME
}

engine_tmp_teardown() {
	[ -n "${ENGINE_TMP:-}" ] && [ -d "$ENGINE_TMP" ] || return 0
	engine_umount_under "$ENGINE_TMP"
	if [ "${VOLT_ENGINE_KEEP:-0}" = 1 ]; then
		echo "# kept $ENGINE_TMP" >&3
		return 0
	fi
	rm -rf --one-file-system "$ENGINE_TMP" 2>/dev/null || {
		# A mount left busy: say which, so the next run knows.
		echo "engine: could not remove all of $ENGINE_TMP" >&2
		grep -F " $ENGINE_TMP" /proc/self/mountinfo >&2 || true
	}
}

# Unmount everything mounted at or below DIR, deepest first (lazy, so a mount
# still held by a leftover process does not stop the cleanup).
engine_umount_under() {
	local dir=$1 mp
	awk -v d="$dir" '$5 == d || index($5, d "/") == 1 { print $5 }' /proc/self/mountinfo |
		sort -r | while read -r mp; do
		umount -l "$mp" 2>/dev/null || true
	done
}

# Kill the processes whose command line mentions DIR (conmon, shims, the
# containerd we started, containers left behind), by pid, and only those.
engine_kill_under() {
	local dir=$1 sig=${2:-KILL} pid cmd
	local d
	for d in /proc/[0-9]*; do
		pid=${d#/proc/}
		[ "$pid" = $$ ] && continue
		cmd=$({ tr '\0' ' ' <"/proc/$pid/cmdline"; } 2>/dev/null) || continue
		case "$cmd" in
		*"$dir"*) kill "-$sig" "$pid" 2>/dev/null || true ;;
		esac
	done
}

# Run an engine command with a timeout, so a hung engine fails the test
# instead of the whole run.
tmo() {
	timeout --kill-after=10 "$ENGINE_TIMEOUT" "$@"
}

# A tar of the test rootfs (busybox + /bin/volt-probe), for `podman import`
# and for the OCI layer. /dev, /proc and /sys are left empty: the runtime
# fills /dev and mounts the others.
engine_rootfs_tar() {
	local out=$1
	tar -C "$VOLT_ROOTFS" --numeric-owner --exclude='./dev/*' --exclude='./proc/*' \
		--exclude='./sys/*' -cf "$out" .
}

# An OCI image archive (oci-layout, index.json, blobs/sha256/...) of the test
# rootfs, written by hand with tar and sha256sum: one uncompressed layer,
# CMD /bin/sh, tagged REF (the org.opencontainers.image.ref.name annotation
# that `ctr images import --base-name` completes).
engine_oci_archive() {
	local out=$1 ref=${2:-latest} dir layer cfg man ldig lsize cdig csize mdig msize
	dir=$(mktemp -d "$ENGINE_TMP/oci.XXXXXX")
	mkdir -p "$dir/blobs/sha256"
	layer="$dir/layer.tar"
	engine_rootfs_tar "$layer"
	ldig=$(sha256sum "$layer" | cut -d' ' -f1)
	lsize=$(stat -c %s "$layer")
	mv "$layer" "$dir/blobs/sha256/$ldig"

	cfg="$dir/config.json"
	jq -cn --arg d "sha256:$ldig" '{
		architecture: "amd64", os: "linux",
		config: {Cmd: ["/bin/sh"], Env: ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"], WorkingDir: "/"},
		rootfs: {type: "layers", diff_ids: [$d]},
		history: [{created_by: "volt tests/engines"}]
	}' >"$cfg"
	cdig=$(sha256sum "$cfg" | cut -d' ' -f1)
	csize=$(stat -c %s "$cfg")
	mv "$cfg" "$dir/blobs/sha256/$cdig"

	man="$dir/manifest.json"
	jq -cn --arg c "sha256:$cdig" --argjson cs "$csize" --arg l "sha256:$ldig" --argjson ls "$lsize" '{
		schemaVersion: 2,
		mediaType: "application/vnd.oci.image.manifest.v1+json",
		config: {mediaType: "application/vnd.oci.image.config.v1+json", digest: $c, size: $cs},
		layers: [{mediaType: "application/vnd.oci.image.layer.v1.tar", digest: $l, size: $ls}]
	}' >"$man"
	mdig=$(sha256sum "$man" | cut -d' ' -f1)
	msize=$(stat -c %s "$man")
	mv "$man" "$dir/blobs/sha256/$mdig"

	jq -cn --arg m "sha256:$mdig" --argjson ms "$msize" --arg ref "$ref" '{
		schemaVersion: 2,
		manifests: [{mediaType: "application/vnd.oci.image.manifest.v1+json", digest: $m, size: $ms,
			platform: {architecture: "amd64", os: "linux"},
			annotations: {"org.opencontainers.image.ref.name": $ref}}]
	}' >"$dir/index.json"
	echo '{"imageLayoutVersion":"1.0.0"}' >"$dir/oci-layout"
	tar -C "$dir" -cf "$out" oci-layout index.json blobs
	rm -rf "$dir"
}

# On a failed test: what the runtime was asked to do and answered (trace
# log), the last lines only.
engine_dump_trace() {
	if [ -s "${ENGINE_TRACE_LOG:-}" ]; then
		echo "# ---- last runtime calls ($ENGINE_TRACE_LOG)"
		tail -n 40 "$ENGINE_TRACE_LOG"
	fi
}

# Poll CMD... until it succeeds, for up to TIMEOUT seconds: retry 5 cmd args
retry() {
	local timeout=$1
	shift
	local deadline=$((SECONDS + timeout))
	until "$@"; do
		if [ "$SECONDS" -ge "$deadline" ]; then
			echo "retry: '$*' still failing after ${timeout}s" >&2
			return 1
		fi
		sleep 0.1
	done
}

# True when PID has a handler for signal SIG (its SigCgt bit is set): a
# signal sent to a container init before that is dropped.
catches() {
	local pid=$1 num mask
	num=$(kill -l "$2") || return 1
	mask=$(awk '$1 == "SigCgt:" { print $2 }' "/proc/$pid/status" 2>/dev/null) || return 1
	[ -n "$mask" ] && (((0x$mask >> (num - 1)) & 1))
}
