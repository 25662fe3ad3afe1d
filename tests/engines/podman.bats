#!/usr/bin/env bats
# podman (through conmon) driving volt-run: each test runs a podman command
# and checks what it did, inside the container and from the host, the way it
# does with runc. podman's state, image store, CNI config and network
# namespace are private to this file (podman-setup.bash).
#
# Run alone: build/volt-subreaper bats tests/engines/podman.bats
# With a trace of every runtime call: VOLT_ENGINE_TRACE=1 (printed on failure).

bats_require_minimum_version 1.5.0

load engine-helpers
load podman-setup

setup_file() {
	engine_require podman conmon nsenter unshare
	engine_tmp_setup podman
	podman_setup
}

teardown_file() {
	podman_teardown
}

setup() {
	CT="volt-t$BATS_TEST_NUMBER"
}

teardown() {
	if [ -z "${BATS_TEST_COMPLETED:-}" ]; then
		engine_dump_trace
	fi
	pm rm -f -t 0 "$CT" >/dev/null 2>&1 || true
}

# start_idle [PODMAN_RUN_OPTIONS...]: an idle container named $CT.
start_idle() {
	start_ct "$@" "$IMAGE" sh -c 'while :; do sleep 0.1; done'
}

ct_pid() {
	pm inspect -f '{{.State.Pid}}' "$CT"
}

ct_status() {
	pm inspect -f '{{.State.Status}}' "$CT"
}

status_is() {
	[ "$(ct_status)" = "$1" ]
}

logs_have() {
	pm logs "$CT" 2>&1 | grep -qF -- "$1"
}

pid_gone() {
	! kill -0 "$1" 2>/dev/null
}

# The host directory of $CT's cgroup in the v1 hierarchy CONTROLLER.
ct_cgroup_dir() {
	local path
	path=$(pm inspect -f '{{.State.CgroupPath}}' "$CT") || return 1
	echo "/sys/fs/cgroup/$1$path"
}

@test "podman: info names volt-run as the OCI runtime [smoke]" {
	run pm info --format '{{.Host.OCIRuntime.Name}} {{.Host.OCIRuntime.Path}}'
	[ "$status" -eq 0 ]
	[ "$output" = "volt-run $ENGINE_RUNTIME" ]
}

@test "podman: run --rm prints the output and exits 0 [smoke]" {
	run --separate-stderr pm run --rm --name "$CT" "$IMAGE" echo hello from volt
	[ "$status" -eq 0 ] || { echo "$stderr"; false; }
	[ "$output" = "hello from volt" ]
	# --rm removed the container.
	run pm container exists "$CT"
	[ "$status" -eq 1 ]
}

@test "podman: run --rm returns the container's exit status (exit 3) [smoke]" {
	run pm run --rm "$IMAGE" sh -c 'exit 3'
	[ "$status" -eq 3 ]
}

@test "podman: a file that is not executable gives 126" {
	run pm run --rm "$IMAGE" /etc/passwd
	[ "$status" -eq 126 ]
	[[ "$output" == *"permission denied"* ]]
}

@test "podman: a command that does not exist gives 127" {
	run -127 pm run --rm "$IMAGE" /no/such/command
	[ "$status" -eq 127 ]
	run -127 pm run --rm "$IMAGE" nosuchcommand
	[ "$status" -eq 127 ]
	[[ "$output" == *"not found"* ]]
}

@test "podman: --runtime with volt-run's absolute path; volt-run state agrees" {
	run tmo nsenter --net="$PODMAN_NETNS" podman --runtime "$ENGINE_RUNTIME" \
		run -d --name "$CT" "$IMAGE" sleep 1000
	[ "$status" -eq 0 ]
	[ "$(pm inspect -f '{{.OCIRuntime}}' "$CT")" = "$ENGINE_RUNTIME" ]
	# podman gives no --root: the container is in volt-run's default state dir.
	run "$VOLT_RUN" state "$(pm inspect -f '{{.Id}}' "$CT")"
	[ "$status" -eq 0 ]
	[ "$(jq -r .status <<<"$output")" = running ]
	[ "$(jq -r .pid <<<"$output")" = "$(ct_pid)" ]
}

@test "podman: run -d, then exec: output and exec's own exit status [smoke]" {
	start_idle
	[ "$(ct_status)" = running ]
	run --separate-stderr pm exec "$CT" echo from exec
	[ "$status" -eq 0 ]
	[ "$output" = "from exec" ]
	run pm exec "$CT" sh -c 'exit 5'
	[ "$status" -eq 5 ]
	run pm exec "$CT" /etc/passwd
	[ "$status" -eq 126 ]
	run -127 pm exec "$CT" nosuchcommand
	[ "$status" -eq 127 ]
	# exec runs in the container's pid namespace: its init is the shell.
	run --separate-stderr pm exec "$CT" cat /proc/1/comm
	[ "$output" = sh ]
}

@test "podman: exec --user, --env, --workdir" {
	start_idle
	run --separate-stderr pm exec --user 65534:65534 "$CT" id
	[ "$status" -eq 0 ]
	[ "$output" = "uid=65534(nobody) gid=65534(nogroup)" ]
	run --separate-stderr pm exec --env VOLT_X=forty-two "$CT" sh -c 'echo $VOLT_X'
	[ "$output" = forty-two ]
	run --separate-stderr pm exec --workdir /etc "$CT" pwd
	[ "$output" = /etc ]
}

@test "podman: exec -d runs in the background" {
	start_idle
	run pm exec -d "$CT" sh -c 'sleep 0.2; echo done >/tmp/exec-d'
	[ "$status" -eq 0 ]
	retry 10 pm exec "$CT" test -s /tmp/exec-d
	run --separate-stderr pm exec "$CT" cat /tmp/exec-d
	[ "$output" = done ]
}

@test "podman: run -t and run -it get a terminal (under script)" {
	command -v script >/dev/null || skip "script (bsdutils) not installed"
	local pm_cmd="nsenter --net=$PODMAN_NETNS podman"
	run tmo script -qec "$pm_cmd run --rm -t $IMAGE sh -c 'tty; [ -t 1 ] && echo stdout-is-tty'" /dev/null
	[ "$status" -eq 0 ]
	[[ "$output" == *"/dev/pts/0"* ]]
	[[ "$output" == *stdout-is-tty* ]]
	# -i: what is typed reaches the container through the terminal.
	run tmo script -qec "$pm_cmd run --rm -it $IMAGE sh -c 'read x; echo got=\$x'" /dev/null <<<"typed-line"
	[ "$status" -eq 0 ]
	[[ "$output" == *"got=typed-line"* ]]
}

@test "podman: exec -t and exec -it get a terminal" {
	command -v script >/dev/null || skip "script (bsdutils) not installed"
	start_idle
	run --separate-stderr pm exec -t "$CT" sh -c 'tty; [ -t 0 ] && echo in-tty'
	[ "$status" -eq 0 ]
	[[ "$output" == *"/dev/pts/"* ]]
	[[ "$output" == *in-tty* ]]
	run tmo script -qec "nsenter --net=$PODMAN_NETNS podman exec -it $CT sh -c 'read y; echo y=\$y'" /dev/null <<<"zz"
	[ "$status" -eq 0 ]
	[[ "$output" == *"y=zz"* ]]
}

@test "podman: stop sends SIGTERM; the container's exit status is kept" {
	start_ct "$IMAGE" sh -c 'trap "exit 42" TERM; while :; do sleep 0.1; done'
	# The trap must be in place before the signal (a pid-1 shell ignores
	# SIGTERM without one).
	retry 10 catches "$(ct_pid)" TERM
	run pm stop -t 10 "$CT"
	[ "$status" -eq 0 ]
	[ "$(ct_status)" = exited ]
	[ "$(pm inspect -f '{{.State.ExitCode}}' "$CT")" = 42 ]
}

@test "podman: kill -s USR1 reaches the container's init; kill (KILL) ends it" {
	start_ct "$IMAGE" sh -c 'trap "echo got-usr1" USR1; while :; do sleep 0.1; done'
	retry 10 catches "$(ct_pid)" USR1
	run pm kill -s USR1 "$CT"
	[ "$status" -eq 0 ] || { echo "podman kill: $output"; false; }
	retry 10 logs_have got-usr1
	[ "$(ct_status)" = running ]
	local pid
	pid=$(ct_pid)
	run pm kill "$CT"
	[ "$status" -eq 0 ]
	retry 10 status_is exited
	[ "$(pm inspect -f '{{.State.ExitCode}}' "$CT")" = 137 ]
	! kill -0 "$pid" 2>/dev/null
}

@test "podman: pause freezes the container, unpause thaws it" {
	start_idle
	local freezer
	freezer=$(ct_cgroup_dir freezer)
	run pm pause "$CT"
	[ "$status" -eq 0 ]
	[ "$(ct_status)" = paused ]
	[ "$(cat "$freezer/freezer.state")" = FROZEN ]
	[ "$(awk '$1 == "State:" { print $2 }' "/proc/$(ct_pid)/status")" != R ]
	run pm unpause "$CT"
	[ "$status" -eq 0 ]
	[ "$(ct_status)" = running ]
	[ "$(cat "$freezer/freezer.state")" = THAWED ]
	run pm exec "$CT" true
	[ "$status" -eq 0 ]
}

@test "podman: update --memory --cpus changes the running container's cgroup" {
	start_idle
	run pm update --memory 64m --cpus 0.5 "$CT"
	[ "$status" -eq 0 ]
	[ "$(cat "$(ct_cgroup_dir memory)/memory.limit_in_bytes")" = 67108864 ]
	[ "$(cat "$(ct_cgroup_dir cpu)/cpu.cfs_quota_us")" = 50000 ]
	[ "$(cat "$(ct_cgroup_dir cpu)/cpu.cfs_period_us")" = 100000 ]
	[ "$(ct_status)" = running ]
}

@test "podman: update --pids-limit" {
	pm update --help 2>/dev/null | grep -q -- --pids-limit ||
		skip "podman $(podman version -f '{{.Client.Version}}') has no 'update --pids-limit' (run --pids-limit is tested below)"
	start_idle
	run pm update --pids-limit 77 "$CT"
	[ "$status" -eq 0 ]
	[ "$(cat "$(ct_cgroup_dir pids)/pids.max")" = 77 ]
}

@test "podman: run --pids-limit --memory set the cgroup at create" {
	start_idle --pids-limit 50 --memory 32m
	[ "$(cat "$(ct_cgroup_dir pids)/pids.max")" = 50 ]
	[ "$(cat "$(ct_cgroup_dir memory)/memory.limit_in_bytes")" = 33554432 ]
}

@test "podman: rm -f removes a running container and its processes" {
	start_idle
	local pid cg
	pid=$(ct_pid)
	cg=$(ct_cgroup_dir memory)
	kill -0 "$pid"
	run pm rm -f -t 0 "$CT"
	[ "$status" -eq 0 ]
	run pm container exists "$CT"
	[ "$status" -eq 1 ]
	retry 5 pid_gone "$pid"
	[ ! -d "$cg" ]
}

@test "podman: --read-only root, writable /tmp and /dev/shm" {
	run --separate-stderr pm run --rm --read-only "$IMAGE" sh -c \
		'touch /x 2>/dev/null && echo root-writable; touch /tmp/y && echo tmp-ok; touch /dev/shm/z && echo shm-ok'
	[ "$status" -eq 0 ]
	[ "$output" = "$(printf 'tmp-ok\nshm-ok')" ]
}

@test "podman: -v bind mount, read-write and :ro" {
	local dir="$ENGINE_TMP/bind.$BATS_TEST_NUMBER"
	mkdir -p "$dir"
	echo from-host >"$dir/in"
	run --separate-stderr pm run --rm -v "$dir:/data" "$IMAGE" sh -c 'cat /data/in; echo from-ct >/data/out'
	[ "$status" -eq 0 ]
	[ "$output" = from-host ]
	[ "$(cat "$dir/out")" = from-ct ]
	run pm run --rm -v "$dir:/data:ro" "$IMAGE" sh -c 'echo x >/data/ro'
	[ "$status" -ne 0 ]
	[[ "$output" == *"Read-only file system"* ]]
	[ ! -e "$dir/ro" ]
}

@test "podman: --pid host sees the host's processes" {
	run --separate-stderr pm run --rm --pid host "$IMAGE" cat /proc/1/comm
	[ "$status" -eq 0 ]
	[ "$output" = "$(cat /proc/1/comm)" ]
	# Without it, the container's command is pid 1.
	run --separate-stderr pm run --rm "$IMAGE" cat /proc/1/comm
	[ "$output" = cat ]
}

@test "podman: --network none has only a loopback interface" {
	run --separate-stderr pm run --rm --network none "$IMAGE" sh -c 'ls /sys/class/net'
	[ "$status" -eq 0 ]
	[ "$output" = lo ]
}

@test "podman: --network host shares podman's network namespace" {
	run --separate-stderr pm run --rm --network host "$IMAGE" readlink /proc/self/ns/net
	[ "$status" -eq 0 ]
	[ "$output" = "$(nsenter --net="$PODMAN_NETNS" readlink /proc/self/ns/net)" ]
}

@test "podman: default (CNI bridge) network: eth0 with an address, gateway reachable" {
	[ -x /usr/lib/cni/bridge ] || skip "containernetworking-plugins not installed"
	# All of this happens in the network namespace the setup made: the bridge,
	# its iptables rules and the gateway address live there, not on the host.
	# "bridge" is podman's default network (here volt-bridge, a CNI bridge
	# with no NAT), named because the setup makes the other tests default to
	# none (CNI setup costs a second per container).
	run --separate-stderr pm run --rm --network bridge "$IMAGE" sh -c \
		'ip -o -4 addr show eth0 | awk "{print \$4}"; gw=$(ip route | awk "/^default/ {print \$3}"); ping -c 1 -W 2 "$gw" >/dev/null && echo gateway-ok'
	[ "$status" -eq 0 ] || { echo "$output $stderr"; false; }
	[[ "${lines[0]}" == 10.89.77.*/24 ]]
	[ "${lines[1]}" = gateway-ok ]
}

@test "podman: --uidmap runs the container in a user namespace" {
	start_idle --uidmap 0:100000:65536 --gidmap 0:100000:65536
	run --separate-stderr pm exec "$CT" cat /proc/self/uid_map
	[ "$status" -eq 0 ]
	[ "$(echo $output)" = "0 100000 65536" ]
	run --separate-stderr pm exec "$CT" sh -c 'id -u; touch /tmp/mine; stat -c %u /tmp/mine'
	[ "$output" = "$(printf '0\n0')" ]
	# From the host, the container's root is uid 100000.
	[ "$(awk '$1 == "Uid:" { print $2 }' "/proc/$(ct_pid)/status")" = 100000 ]
}

@test "podman: --privileged: full capabilities and the host's devices" {
	run --separate-stderr pm run --rm --privileged "$IMAGE" sh -c \
		'awk "/^CapEff/ {print \$2}" /proc/self/status; test -c /dev/loop-control && echo host-devices; ip link add vx0 type veth peer name vx1 && echo net-admin'
	[ "$status" -eq 0 ] || { echo "$stderr"; false; }
	[ "${lines[0]}" = "$(awk '/^CapBnd/ {print $2}' /proc/self/status)" ]
	[ "${lines[1]}" = host-devices ]
	[ "${lines[2]}" = net-admin ]
}

@test "podman: --security-opt seccomp=FILE applies the profile" {
	local prof="$ENGINE_TMP/seccomp-deny-mkdir.json"
	cat >"$prof" <<-'EOF'
		{"defaultAction": "SCMP_ACT_ALLOW",
		 "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1}]}
	EOF
	run --separate-stderr pm run --rm --security-opt "seccomp=$prof" "$IMAGE" sh -c \
		'mkdir /tmp/d 2>&1; echo rc=$?; touch /tmp/f && echo touch-ok'
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" == *"Operation not permitted"* ]]
	[ "${lines[1]}" = rc=1 ]
	[ "${lines[2]}" = touch-ok ]
	# podman's own default profile lets mkdir through.
	run --separate-stderr pm run --rm "$IMAGE" sh -c 'mkdir /tmp/d && echo mkdir-ok'
	[ "$output" = mkdir-ok ]
}

@test "podman: run --user and the image's working directory" {
	run --separate-stderr pm run --rm --user 65534:65534 --workdir /tmp "$IMAGE" sh -c 'id -u; id -g; pwd'
	[ "$status" -eq 0 ]
	[ "$output" = "$(printf '65534\n65534\n/tmp')" ]
}

@test "podman: the container sees its own cgroup at /sys/fs/cgroup (as with runc)" {
	start_idle --memory 48m
	run --separate-stderr pm exec "$CT" cat /sys/fs/cgroup/memory/memory.limit_in_bytes
	[ "$status" -eq 0 ]
	[ "$output" = 50331648 ]
}
