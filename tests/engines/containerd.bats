#!/usr/bin/env bats
# containerd (runc v2 shim, BinaryName = volt-run through ctr --runc-binary)
# driving volt-run. The setup starts a containerd of its own (root, state,
# sockets under a tmpdir), imports a hand-made OCI archive of the test rootfs,
# and stops exactly that containerd at the end (containerd-setup.bash).
#
# Run alone: build/volt-subreaper bats tests/engines/containerd.bats
# With a trace of every runtime call: VOLT_ENGINE_TRACE=1 (printed on failure).

bats_require_minimum_version 1.5.0

load engine-helpers
load containerd-setup

setup_file() {
	engine_require containerd ctr containerd-shim-runc-v2
	engine_tmp_setup containerd
	containerd_setup
}

teardown_file() {
	containerd_teardown
}

setup() {
	CT="volt-t$BATS_TEST_NUMBER"
}

teardown() {
	containerd_test_teardown
}

# start_ct [CTR_RUN_OPTIONS...] -- CMD...: run $CT detached.
start_ct() {
	local opts=()
	while [ $# -gt 0 ] && [ "$1" != -- ]; do
		opts+=("$1")
		shift
	done
	shift
	run crun_ -d "${opts[@]}" "$IMAGE" "$CT" "$@"
	[ "$status" -eq 0 ] || {
		echo "ctr run -d failed ($status): $output"
		return 1
	}
}

start_idle() {
	start_ct "$@" -- sh -c 'trap "echo usr1 >>/tmp/signals" USR1; while :; do sleep 0.1; done'
}

# task ls: "ID PID STATUS".
task_field() {
	c tasks ls | awk -v id="$CT" -v f="$1" '$1 == id { print $f }'
}

task_pid() { task_field 2; }
task_status() { task_field 3; }
status_is() { [ "$(task_status)" = "$1" ]; }
pid_gone() { ! kill -0 "$1" 2>/dev/null; }

# volt-run's own view, from the state root the shim was given.
volt_state() {
	"$VOLT_RUN" --root "$CTRD_DIR/runc/$CTRD_NS" state "$CT"
}

# ctr's default cgroup for a container: /NAMESPACE/ID.
cgroup_dir() {
	echo "/sys/fs/cgroup/$1/$CTRD_NS/$CT"
}

@test "containerd: ctr run --rm prints the output; exit status passes through [smoke]" {
	run --separate-stderr crun_ --rm "$IMAGE" "$CT" echo hello from volt
	[ "$status" -eq 0 ] || { echo "$stderr"; false; }
	[ "$output" = "hello from volt" ]
	run crun_ --rm "$IMAGE" "$CT" sh -c 'exit 3'
	[ "$status" -eq 3 ]
	# --rm removed the container.
	run c containers ls -q
	[[ "$output" != *"$CT"* ]]
}

@test "containerd: a failing exec reaches ctr with the runtime's message" {
	run crun_ --rm "$IMAGE" "$CT" /etc/passwd
	[ "$status" -ne 0 ]
	[[ "$output" == *"OCI runtime create failed"*"permission denied"* ]]
	run crun_ --rm "$IMAGE" "$CT-b" nosuchcommand
	[ "$status" -ne 0 ]
	[[ "$output" == *"executable file not found"* ]]
	c containers delete "$CT-b" >/dev/null 2>&1 || true
}

@test "containerd: run -d: task RUNNING, volt-run state agrees [smoke]" {
	start_idle
	[ "$(task_status)" = RUNNING ]
	run volt_state
	[ "$status" -eq 0 ]
	[ "$(jq -r .status <<<"$output")" = running ]
	[ "$(jq -r .pid <<<"$output")" = "$(task_pid)" ]
	# The shim gives the rootfs relative to the bundle.
	[[ "$(jq -r .rootfs <<<"$output")" == */"$CT"/rootfs ]]
}

@test "containerd: run -t gets a terminal (under script)" {
	command -v script >/dev/null || skip "script (bsdutils) not installed"
	run tmo script -qec "ctr --address $CTRD_ADDR -n $CTRD_NS run --rm -t --runc-binary $ENGINE_RUNTIME --runc-root $CTRD_DIR/runc $IMAGE $CT sh -c 'tty; [ -t 0 ] && echo stdin-is-tty; exit 4'" /dev/null
	[ "$status" -eq 4 ]
	[[ "$output" == *"/dev/pts/0"* ]]
	[[ "$output" == *stdin-is-tty* ]]
}

@test "containerd: task exec: output, own exit status, --user, --cwd, environment [smoke]" {
	start_idle
	run --separate-stderr c tasks exec --exec-id e1 "$CT" echo from exec
	[ "$status" -eq 0 ]
	[ "$output" = "from exec" ]
	run c tasks exec --exec-id e2 "$CT" sh -c 'exit 7'
	[ "$status" -eq 7 ]
	run --separate-stderr c tasks exec --exec-id e3 --user 65534 "$CT" id -u
	[ "$output" = 65534 ]
	run --separate-stderr c tasks exec --exec-id e4 --cwd /etc "$CT" pwd
	[ "$output" = /etc ]
	# The process inherits the container's environment (from the image).
	run --separate-stderr c tasks exec --exec-id e5 "$CT" sh -c 'echo $PATH'
	[ "$output" = /usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin ]
	run --separate-stderr c tasks exec --exec-id e6 "$CT" cat /proc/1/comm
	[ "$output" = sh ]
}

@test "containerd: task exec -t gets a terminal" {
	command -v script >/dev/null || skip "script (bsdutils) not installed"
	start_idle
	run tmo script -qec "ctr --address $CTRD_ADDR -n $CTRD_NS tasks exec -t --exec-id t1 $CT sh -c 'tty; [ -t 1 ] && echo stdout-is-tty'" /dev/null
	[ "$status" -eq 0 ]
	[[ "$output" == *"/dev/pts/"* ]]
	[[ "$output" == *stdout-is-tty* ]]
}

@test "containerd: task ps lists the init and exec'd processes" {
	# Long sleeps only: the idle loop's short-lived children would race.
	start_ct -- sleep 1000
	c tasks exec -d --exec-id bg "$CT" sleep 1000 >/dev/null
	local init
	init=$(task_pid)
	run c tasks ps "$CT"
	[ "$status" -eq 0 ]
	# Exactly the container's processes: those of its cgroup.
	[ "$(tail -n +2 <<<"$output" | awk '{ print $1 }' | sort -n)" = \
		"$(sort -n "$(cgroup_dir pids)/cgroup.procs")" ]
	[ "$(tail -n +2 <<<"$output" | wc -l)" -eq 2 ]
	[[ "$output" == *"$init"* ]]
	[[ "$output" == *"ExecID:bg"* ]]
}

@test "containerd: task kill -s USR1 reaches the init; task kill ends it" {
	start_idle
	local pid
	pid=$(task_pid)
	retry 10 catches "$pid" USR1
	run c tasks kill -s USR1 "$CT"
	[ "$status" -eq 0 ] || { echo "ctr tasks kill: $output"; false; }
	got_usr1() { [ "$(cat "/proc/$pid/root/tmp/signals" 2>/dev/null)" = usr1 ]; }
	retry 10 got_usr1
	[ "$(task_status)" = RUNNING ]
	# The default signal is TERM, which a pid-1 shell without a trap ignores.
	run c tasks kill -s KILL "$CT"
	[ "$status" -eq 0 ]
	retry 10 status_is STOPPED
	retry 5 pid_gone "$pid"
}

@test "containerd: task kill --all kills every process of the container" {
	start_idle
	c tasks exec -d --exec-id bg "$CT" sleep 1000 >/dev/null
	local init
	init=$(task_pid)
	wait_two() { [ "$(wc -l <"$(cgroup_dir pids)/cgroup.procs")" -ge 2 ]; }
	retry 10 wait_two
	local pids
	pids=$(cat "$(cgroup_dir pids)/cgroup.procs")
	run c tasks kill --all -s KILL "$CT"
	[ "$status" -eq 0 ]
	retry 10 status_is STOPPED
	local pid
	for pid in $pids; do
		retry 5 pid_gone "$pid"
	done
}

@test "containerd: task pause / resume freeze and thaw the container" {
	start_idle
	run c tasks pause "$CT"
	[ "$status" -eq 0 ] || { echo "$output"; false; }
	[ "$(task_status)" = PAUSED ]
	[ "$(cat "$(cgroup_dir freezer)/freezer.state")" = FROZEN ]
	run volt_state
	[ "$(jq -r .status <<<"$output")" = paused ]
	run c tasks resume "$CT"
	[ "$status" -eq 0 ]
	[ "$(task_status)" = RUNNING ]
	[ "$(cat "$(cgroup_dir freezer)/freezer.state")" = THAWED ]
	run c tasks exec --exec-id after "$CT" true
	[ "$status" -eq 0 ]
}

@test "containerd: task metrics reports the container's cgroup" {
	start_idle
	run --separate-stderr c tasks metrics --format json "$CT"
	[ "$status" -eq 0 ] || { echo "$stderr"; false; }
	local procs
	procs=$(wc -l <"$(cgroup_dir pids)/cgroup.procs")
	[ "$(jq -r .pids.current <<<"$output")" -ge 1 ]
	[ "$(jq -r .pids.current <<<"$output")" -le $((procs + 1)) ]
	[ "$(jq -r .memory.usage.usage <<<"$output")" -gt 0 ]
	[ "$(jq -r .cpu.usage.total <<<"$output")" -gt 0 ]
}

@test "containerd: ctr run --memory-limit sets the cgroup" {
	start_ct --memory-limit 41943040 -- sleep 1000
	[ "$(cat "$(cgroup_dir memory)/memory.limit_in_bytes")" = 41943040 ]
}

@test "containerd: task delete -f removes a running task and its processes" {
	start_idle
	local pid
	pid=$(task_pid)
	run c tasks delete -f "$CT"
	[ "$status" -eq 0 ]
	run c tasks ls -q
	[[ "$output" != *"$CT"* ]]
	retry 5 pid_gone "$pid"
	run volt_state
	[ "$status" -ne 0 ]
	[[ "$output" == *"does not exist"* ]]
	[ ! -d "$(cgroup_dir pids)" ]
}

@test "containerd: a stopped task is deleted cleanly (delete, then delete --force)" {
	start_ct -- sh -c 'exit 0'
	retry 10 status_is STOPPED
	run c tasks delete "$CT"
	[ "$status" -eq 0 ]
	# The shim's second delete --force of the already-deleted container must
	# not have failed: containerd logs it as a warning when it does.
	! grep -E "level=(error|warning).*$CT" "$CTRD_LOG" | grep -q -i 'delete'
}
