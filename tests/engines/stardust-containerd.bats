#!/usr/bin/env bats
# containerd (runc v2 shim, BinaryName = volt-stardust through ctr
# --runc-binary) driving the microVM backend with the fake monitor
# (stardust-setup.bash): the task's pid is the relay, its process runs under
# stardust-init. Only the non-terminal paths: volt-stardust refuses
# process.terminal for now. The containerd is our own (containerd-setup.bash).
#
# Two tests use other wrappers (stardust-setup.bash): the strict one keeps
# the container's device cgroup as volt-stardust set it, which the real
# monitor meets when it opens /dev/kvm; the guest one shows stardust-init only
# the guest's files (initramfs + bundle image), not the host's.
#
# Run alone: build/volt-subreaper bats tests/engines/stardust-containerd.bats
# With a trace of every runtime call: VOLT_ENGINE_TRACE=1 (printed on failure).

bats_require_minimum_version 1.5.0

load engine-helpers
load containerd-setup
load stardust-setup

setup_file() {
	stardust_check containerd ctr containerd-shim-runc-v2 || return 0
	engine_tmp_setup stardust-containerd
	stardust_runtime_setup
	containerd_setup
}

teardown_file() {
	containerd_teardown
}

setup() {
	[ -z "${STARDUST_SKIP:-}" ] || skip "$STARDUST_SKIP"
	CT="volt-sd-t$BATS_TEST_NUMBER"
	OUT="$ENGINE_TMP/out.$BATS_TEST_NUMBER"
}

teardown() {
	[ -z "${STARDUST_SKIP:-}" ] || return 0
	[ -n "${BATS_TEST_COMPLETED:-}" ] || stardust_dump_vmm_log
	containerd_test_teardown
}

# start_ct CMD...: run $CT detached, its stdout and stderr to $OUT.
start_ct() {
	run crun_ -d --log-uri "file://$OUT" "$IMAGE" "$CT" "$@"
	[ "$status" -eq 0 ] || {
		echo "ctr run -d failed ($status): $output"
		return 1
	}
}

# An idle task that says "up" once running.
start_idle() {
	start_ct sh -c 'echo up; while :; do sleep 0.1; done'
	retry 20 out_has up
}

out_has() { grep -qxF -- "$1" "$OUT" 2>/dev/null; }

# task ls: "ID PID STATUS".
task_field() { c tasks ls | awk -v id="$CT" -v f="$1" '$1 == id { print $f }'; }
task_pid() { task_field 2; }
task_status() { task_field 3; }
status_is() { [ "$(task_status)" = "$1" ]; }
pid_gone() { ! kill -0 "$1" 2>/dev/null; }

# volt-stardust's state directory of $CT (the shim's --root).
state_dir() { echo "$CTRD_DIR/runc/$CTRD_NS/$CT"; }

@test "stardust containerd: ctr run --rm prints the output; exit status 3 passes through [smoke]" {
	run --separate-stderr crun_ --rm "$IMAGE" "$CT" sh -c 'echo hi; exit 3'
	[ "$status" -eq 3 ] || { echo "status $status, stderr: $stderr"; false; }
	[ "$output" = hi ]
	run c containers ls -q
	[[ "$output" != *"$CT"* ]]
	[ ! -e "$(state_dir)" ]
}

@test "stardust containerd: ctr run --rm: stdin reaches the process in the guest" {
	run --separate-stderr tmo bash -c 'echo from-stdin | ctr --address "$CTRD_ADDR" --namespace "$CTRD_NS" run --rm \
		--runc-binary "$ENGINE_RUNTIME" --runc-root "$CTRD_DIR/runc" "$IMAGE" "$1" sh -c "read x; echo got:\$x"' _ "$CT"
	[ "$status" -eq 0 ] || { echo "status $status, stderr: $stderr"; false; }
	[ "$output" = got:from-stdin ]
}

@test "stardust containerd: run -d: task RUNNING, volt-stardust state agrees (pid = the relay) [smoke]" {
	start_idle
	[ "$(task_status)" = RUNNING ]
	run "$VOLT_RUN" --root "$CTRD_DIR/runc/$CTRD_NS" state "$CT"
	[ "$status" -eq 0 ] || { echo "$output"; false; }
	[ "$(jq -r .status <<<"$output")" = running ]
	[ "$(jq -r .pid <<<"$output")" = "$(task_pid)" ]
}

@test "stardust containerd: task exec: output, exec's own exit status, in the container [smoke]" {
	start_idle
	run --separate-stderr c tasks exec --exec-id e1 "$CT" echo hi
	[ "$status" -eq 0 ] || { echo "ctr tasks exec ($status): $stderr"; false; }
	[ "$output" = hi ]
	run c tasks exec --exec-id e2 "$CT" sh -c 'exit 5'
	[ "$status" -eq 5 ] || { echo "ctr tasks exec ($status): $output"; false; }
	# It joins the container's pid namespace: pid 1 is the task's shell.
	run --separate-stderr c tasks exec --exec-id e3 "$CT" cat /proc/1/comm
	[ "$output" = sh ]
	[ "$(task_status)" = RUNNING ]
}

@test "stardust containerd: task kill -s USR1 reaches the guest's process; task kill (TERM) ends it, ctr run returns its status" {
	# ctr run in the foreground returns the task's exit status.
	(
		rc=0
		crun_ --rm "$IMAGE" "$CT" sh -c \
			'trap "echo got-usr1" USR1; trap "echo got-term; exit 42" TERM; echo up; while :; do sleep 0.1; done' \
			>"$OUT" 2>&1 </dev/null || rc=$?
		echo "$rc" >"$OUT.rc"
	) 3>&- &
	retry 20 out_has up
	local pid
	pid=$(task_pid)
	run c tasks kill -s USR1 "$CT"
	[ "$status" -eq 0 ] || { echo "ctr tasks kill: $output"; false; }
	retry 10 out_has got-usr1
	[ "$(task_status)" = RUNNING ]
	run c tasks kill "$CT"
	[ "$status" -eq 0 ]
	retry 20 test -s "$OUT.rc" || { echo "ctr run still running, output: $(cat "$OUT")"; c tasks ls; false; }
	[ "$(cat "$OUT.rc")" = 42 ] || { echo "ctr run: status $(cat "$OUT.rc"), output: $(cat "$OUT")"; false; }
	out_has got-term
	retry 5 pid_gone "$pid"
}

@test "stardust containerd: task rm and container rm after exit leave no state, relay, monitor or cgroup" {
	start_idle
	local pid cg
	pid=$(task_pid)
	cg=$(pid_cgroup_dir "$pid")
	[ "${cg%/"$CTRD_NS/$CT"}" != "$cg" ] || { echo "the relay is in $cg"; false; }
	[ -d "$(state_dir)" ]
	run c tasks kill -s KILL "$CT"
	[ "$status" -eq 0 ]
	retry 10 status_is STOPPED
	run c tasks rm "$CT"
	[ "$status" -eq 0 ] || [ "$status" -eq 137 ] || { echo "ctr tasks rm ($status): $output"; false; }
	run c containers rm "$CT"
	[ "$status" -eq 0 ]
	run c containers ls -q
	[[ "$output" != *"$CT"* ]]
	retry 5 pid_gone "$pid"
	[ ! -e "$(state_dir)" ]
	# The monitor's --disk is in the state directory.
	retry 5 no_process_mentions "$(state_dir)/"
	[ ! -d "$cg" ]
}

@test "stardust containerd: task delete -f of a running task leaves no state, relay, monitor or cgroup" {
	start_idle
	local pid cg
	pid=$(task_pid)
	cg=$(pid_cgroup_dir "$pid")
	[ -d "$cg" ]
	run c tasks delete -f "$CT"
	[ "$status" -eq 0 ] || [ "$status" -eq 137 ] || { echo "ctr tasks delete -f ($status): $output"; false; }
	run c tasks ls -q
	[[ "$output" != *"$CT"* ]]
	retry 5 pid_gone "$pid"
	[ ! -e "$(state_dir)" ]
	retry 5 no_process_mentions "$(state_dir)/"
	[ ! -d "$cg" ]
}

@test "stardust containerd: the monitor may open its devices under the container's device cgroup" {
	# The strict wrapper does not widen the device allow-list for the fake
	# monitor's loop devices: this is what the real monitor, which opens
	# /dev/kvm (char 10:232), meets under ctr's default allow-list.
	run --separate-stderr c run --rm --runc-binary "$STARDUST_STRICT_RUNTIME" --runc-root "$CTRD_DIR/runc" \
		"$IMAGE" "$CT" echo hi
	[ "$status" -eq 0 ] || { echo "status $status, stderr: $stderr"; false; }
	[ "$output" = hi ]
}

@test "stardust containerd: ctr run --rm of a command that does not exist fails with the runtime's message" {
	run crun_ --rm "$IMAGE" "$CT" nosuchcommand
	[ "$status" -ne 0 ]
	[[ "$output" == *"executable file not found"* ]] || { echo "status $status: $output"; false; }
	[ ! -e "$(state_dir)" ]
}

@test "stardust containerd: ctr run --rm with a guest that sees only its initramfs and the bundle image" {
	# ctr's default spec names no host path, so nothing changes when the
	# host's files are out of the guest's view, as in a real microVM.
	run --separate-stderr c run --rm --runc-binary "$STARDUST_GUEST_RUNTIME" --runc-root "$CTRD_DIR/runc" \
		"$IMAGE" "$CT" sh -c 'echo hi; exit 3'
	[ "$status" -eq 3 ] || { echo "status $status, stderr: $stderr"; false; }
	[ "$output" = hi ]
}
