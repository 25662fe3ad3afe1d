# podman with private state for tests/engines/podman.bats: storage, runroot,
# libpod tmp dir, CNI config and events all under $ENGINE_TMP/podman, and
# volt-run (by absolute path) as the only runtime. Each podman call runs in a
# network namespace the setup made (nsenter --net), so `--network host` and
# the default bridge network (CNI + iptables) only ever touch that namespace,
# never the machine's own network. Needs engine-helpers.bash.

podman_setup() {
	local p="$ENGINE_TMP/podman" rt
	# The runtime's name is its basename (volt-run, or volt-stardust).
	rt=$(basename "$ENGINE_RUNTIME")
	mkdir -p "$p/root" "$p/runroot" "$p/tmp" "$p/volumes" "$p/cni" "$p/cni-data"
	PODMAN_DIR=$p
	cat >"$p/storage.conf" <<-EOF2
		[storage]
		driver = "vfs"
		graphroot = "$p/root"
		runroot = "$p/runroot"
	EOF2
	cat >"$p/containers.conf" <<-EOF2
		[containers]
		default_ulimits = ["nofile=20000:20000", "nproc=32768:32768"]
		log_driver = "k8s-file"
		# The default bridge network costs a second of CNI work per container:
		# tests that want it ask for --network bridge.
		netns = "none"

		[network]
		network_backend = "cni"
		network_config_dir = "$p/cni"
		default_network = "volt-bridge"

		[engine]
		cgroup_manager = "cgroupfs"
		events_logger = "file"
		events_logfile_path = "$p/events.log"
		tmp_dir = "$p/tmp"
		volume_path = "$p/volumes"
		static_dir = "$p/root/libpod"
		runtime = "$rt"
		runtime_supports_json = ["$rt"]
		runtime_supports_nocgroups = ["$rt"]

		[engine.runtimes]
		$rt = ["$ENGINE_RUNTIME"]
	EOF2
	# The default network: a plain CNI bridge whose IPAM state is ours too
	# (podman's built-in "podman" network keeps it in /var/lib/cni).
	cat >"$p/cni/volt-bridge.conflist" <<-EOF2
		{
		  "cniVersion": "0.4.0",
		  "name": "volt-bridge",
		  "plugins": [{
		    "type": "bridge", "bridge": "voltbr0", "isGateway": true, "ipMasq": false,
		    "ipam": {
		      "type": "host-local", "dataDir": "$p/cni-data",
		      "routes": [{"dst": "0.0.0.0/0"}],
		      "ranges": [[{"subnet": "10.89.77.0/24", "gateway": "10.89.77.1"}]]
		    }
		  }]
		}
	EOF2
	CONTAINERS_CONF="$p/containers.conf"
	CONTAINERS_STORAGE_CONF="$p/storage.conf"
	# No registry is ever contacted: the only image is imported below.
	echo 'unqualified-search-registries = []' >"$p/registries.conf"
	CONTAINERS_REGISTRIES_CONF="$p/registries.conf"
	export PODMAN_DIR CONTAINERS_CONF CONTAINERS_STORAGE_CONF CONTAINERS_REGISTRIES_CONF

	# The network namespace podman lives in, held by a bind mount.
	PODMAN_NETNS="$p/netns"
	touch "$PODMAN_NETNS"
	unshare --net="$PODMAN_NETNS" true || return 1
	nsenter --net="$PODMAN_NETNS" ip link set lo up || return 1
	export PODMAN_NETNS

	IMAGE=localhost/volt-busybox:latest
	export IMAGE
	engine_rootfs_tar "$ENGINE_TMP/rootfs.tar"
	pm import --change 'CMD ["/bin/sh"]' "$ENGINE_TMP/rootfs.tar" "$IMAGE" >/dev/null || {
		echo "podman import failed" >&2
		return 1
	}
}

podman_teardown() {
	[ -n "${PODMAN_DIR:-}" ] || return 0
	local ids id pid pids=()
	ids=$(pm ps -a -q --no-trunc 2>/dev/null) || ids=""
	for id in $ids; do
		pid=$(pm inspect -f '{{.State.Pid}}' "$id" 2>/dev/null) || pid=0
		[ "${pid:-0}" -gt 0 ] && pids+=("$pid")
	done
	pm rm -a -f -t 0 >/dev/null 2>&1 || true
	# If podman could not remove one (a runtime failure), do not leak it:
	# volt-run's own state of it, then its init if still alive.
	for id in $ids; do
		"$VOLT_RUN" delete --force "$id" >/dev/null 2>&1 || true
	done
	for pid in "${pids[@]}"; do
		if [ "$(readlink "/proc/$pid/ns/pid" 2>/dev/null)" != "$(readlink /proc/self/ns/pid)" ]; then
			kill -KILL "$pid" 2>/dev/null || true
		fi
	done
	# conmon processes and containers that survived rm: all mention our dir.
	engine_kill_under "$ENGINE_TMP"
	# libcni caches each attachment's result under /var/lib/cni/results and
	# removes it on detach; drop any of ours left over, then the directories
	# if this run created them and left them empty.
	rm -f /var/lib/cni/results/volt-bridge-* 2>/dev/null
	rmdir /var/lib/cni/results /var/lib/cni 2>/dev/null
	nsenter --net="$PODMAN_NETNS" true 2>/dev/null && umount "$PODMAN_NETNS" 2>/dev/null
	engine_tmp_teardown
}

# podman with this file's configuration, in its network namespace, with a
# timeout: pm run --rm "$IMAGE" true
pm() {
	tmo nsenter --net="$PODMAN_NETNS" podman "$@"
}

# start_ct [PODMAN_RUN_OPTIONS...] IMAGE CMD...: run $CT detached.
start_ct() {
	run pm run -d --name "$CT" "$@"
	[ "$status" -eq 0 ] || {
		echo "podman run -d failed ($status): $output"
		return 1
	}
}
