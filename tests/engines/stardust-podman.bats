#!/usr/bin/env bats
# podman (through conmon) driving volt-stardust, the microVM backend, with the
# fake monitor (stardust-setup.bash): the container's pid on the host is the
# relay, its process runs under stardust-init. Only the non-terminal paths:
# volt-stardust refuses process.terminal for now. podman's state, image store
# and network namespace are private to this file (podman-setup.bash).
#
# Two tests use other wrappers (stardust-setup.bash): the strict one keeps
# the container's device cgroup as volt-stardust set it, which the real
# monitor meets when it opens /dev/kvm; the guest one shows stardust-init only
# the guest's files (initramfs + bundle image), not the host's.
#
# Run alone: build/volt-subreaper bats tests/engines/stardust-podman.bats
# With a trace of every runtime call: VOLT_ENGINE_TRACE=1 (printed on failure).

bats_require_minimum_version 1.5.0

load engine-helpers
load podman-setup
load stardust-setup

setup_file() {
	stardust_check podman conmon nsenter unshare || return 0
	engine_tmp_setup stardust-podman
	stardust_runtime_setup
	podman_setup
}

teardown_file() {
	podman_teardown
}

setup() {
	[ -z "${STARDUST_SKIP:-}" ] || skip "$STARDUST_SKIP"
	CT="volt-sd-t$BATS_TEST_NUMBER"
}

teardown() {
	[ -z "${STARDUST_SKIP:-}" ] || return 0
	if [ -z "${BATS_TEST_COMPLETED:-}" ]; then
		engine_dump_trace
		stardust_dump_vmm_log
	fi
	pm rm -f -t 0 "$CT" >/dev/null 2>&1 || true
}

# An idle container that says "up" once running.
start_idle() {
	start_ct "$@" "$IMAGE" sh -c 'echo up; while :; do sleep 0.1; done'
	retry 20 logs_have up
}

ct_id() { pm inspect -f '{{.Id}}' "$CT"; }
ct_pid() { pm inspect -f '{{.State.Pid}}' "$CT"; }
ct_status() { pm inspect -f '{{.State.Status}}' "$CT"; }
status_is() { [ "$(ct_status)" = "$1" ]; }
logs_have() { pm logs "$CT" 2>&1 | grep -qxF -- "$1"; }
pid_gone() { ! kill -0 "$1" 2>/dev/null; }

@test "stardust podman: info names volt-stardust as the OCI runtime [smoke]" {
	run pm info --format '{{.Host.OCIRuntime.Name}} {{.Host.OCIRuntime.Path}}'
	[ "$status" -eq 0 ]
	[ "$output" = "volt-stardust $ENGINE_RUNTIME" ]
}

@test "stardust podman: run --rm prints the output and returns exit status 3 [smoke]" {
	run --separate-stderr pm run --rm --name "$CT" "$IMAGE" sh -c 'echo hi; exit 3'
	[ "$status" -eq 3 ] || { echo "status $status, stderr: $stderr"; false; }
	[ "$output" = hi ]
	run pm container exists "$CT"
	[ "$status" -eq 1 ]
}

@test "stardust podman: a command that does not exist gives 127, with the guest's message" {
	run -127 pm run --rm "$IMAGE" nosuchcommand
	[ "$status" -eq 127 ] || { echo "status $status: $output"; false; }
	[[ "$output" == *"not found"* ]]
}

@test "stardust podman: run -d: running, volt-stardust state agrees (pid = the relay)" {
	start_idle
	[ "$(ct_status)" = running ]
	local id
	id=$(ct_id)
	# podman gives no --root: the container is in the default state root.
	run "$VOLT_RUN" state "$id"
	[ "$status" -eq 0 ] || { echo "$output"; false; }
	[ "$(jq -r .status <<<"$output")" = running ]
	[ "$(jq -r .pid <<<"$output")" = "$(ct_pid)" ]
	[ -d "/run/volt-stardust/$id" ]
}

@test "stardust podman: run -i passes stdin to the process in the guest" {
	run --separate-stderr tmo bash -c 'echo x | nsenter --net="$PODMAN_NETNS" podman run -i --rm "$IMAGE" cat'
	[ "$status" -eq 0 ] || { echo "status $status, stderr: $stderr"; false; }
	[ "$output" = x ]
}

@test "stardust podman: stop sends SIGTERM to the process in the guest; its exit status is kept" {
	start_ct "$IMAGE" sh -c 'trap "echo got-term; exit 42" TERM; echo up; while :; do sleep 0.1; done'
	# The trap is set before "up" is printed (a pid-1 shell ignores SIGTERM
	# without one).
	retry 20 logs_have up
	run pm stop -t 10 "$CT"
	[ "$status" -eq 0 ] || { echo "podman stop: $output"; false; }
	[ "$(ct_status)" = exited ]
	[ "$(pm inspect -f '{{.State.ExitCode}}' "$CT")" = 42 ]
	logs_have got-term
}

@test "stardust podman: kill -s USR1 reaches the guest's process; kill (KILL) ends it, wait says 137" {
	start_ct "$IMAGE" sh -c 'trap "echo got-usr1" USR1; echo up; while :; do sleep 0.1; done'
	retry 20 logs_have up
	local pid
	pid=$(ct_pid)
	run pm kill -s USR1 "$CT"
	[ "$status" -eq 0 ] || { echo "podman kill: $output"; false; }
	retry 10 logs_have got-usr1
	[ "$(ct_status)" = running ]
	run pm kill "$CT"
	[ "$status" -eq 0 ]
	run pm wait "$CT"
	[ "$status" -eq 0 ]
	[ "$output" = 137 ]
	[ "$(pm inspect -f '{{.State.ExitCode}}' "$CT")" = 137 ]
	retry 5 pid_gone "$pid"
}

@test "stardust podman: rm -f of a running container leaves no state, relay, monitor or cgroup" {
	start_idle
	local id pid cg
	id=$(ct_id)
	pid=$(ct_pid)
	cg=$(pid_cgroup_dir "$pid")
	[[ "$cg" == *"$id"* ]] || { echo "the relay is in $cg"; false; }
	[ -d "/run/volt-stardust/$id" ]
	[ -d "$cg" ] || { echo "no cgroup at $cg"; false; }
	grep -qx "$pid" "$cg/cgroup.procs"
	run pm rm -f -t 0 "$CT"
	[ "$status" -eq 0 ] || { echo "podman rm -f: $output"; false; }
	run pm container exists "$CT"
	[ "$status" -eq 1 ]
	retry 5 pid_gone "$pid"
	[ ! -e "/run/volt-stardust/$id" ]
	# The relay, the monitor (its --disk is in the state dir) and conmon.
	retry 5 no_process_mentions "$id"
	[ ! -d "$cg" ]
}

@test "stardust podman: exec: output, and exec's own exit status (exit 5) [smoke]" {
	start_idle
	run --separate-stderr pm exec "$CT" echo hi
	[ "$status" -eq 0 ] || { echo "podman exec ($status): $stderr"; false; }
	[ "$output" = hi ]
	run pm exec "$CT" sh -c 'exit 5'
	[ "$status" -eq 5 ] || { echo "podman exec ($status): $output"; false; }
	# It joins the container's pid namespace: pid 1 is the container's shell.
	run --separate-stderr pm exec "$CT" cat /proc/1/comm
	[ "$output" = sh ]
	run -127 pm exec "$CT" nosuchcommand
	[ "$status" -eq 127 ] || { echo "podman exec nosuchcommand ($status): $output"; false; }
	[ "$(ct_status)" = running ]
}

@test "stardust podman: exec -i passes stdin" {
	start_idle
	run --separate-stderr tmo bash -c 'echo from-stdin | nsenter --net="$PODMAN_NETNS" podman exec -i "$1" cat' _ "$CT"
	[ "$status" -eq 0 ] || { echo "podman exec -i ($status): $stderr"; false; }
	[ "$output" = from-stdin ]
}

@test "stardust podman: the monitor may open its devices under podman's device cgroup" {
	# The strict wrapper does not widen the device allow-list (podman sends
	# deny-all) for the fake monitor's loop devices: this is what the real
	# monitor, which opens /dev/kvm (char 10:232), meets there.
	run --separate-stderr tmo nsenter --net="$PODMAN_NETNS" podman --runtime "$STARDUST_STRICT_RUNTIME" \
		run --rm "$IMAGE" echo hi
	[ "$status" -eq 0 ] || { echo "status $status, stderr: $stderr"; false; }
	[ "$output" = hi ]
}

@test "stardust podman: podman's bind mounts (/etc/hosts, /etc/hostname, /run/.containerenv) reach a guest that sees only its own files" {
	# The fake monitor runs stardust-init in the host's file system, where
	# the sources podman bind-mounts (files in its run root) exist; in a
	# microVM they do not, so the shim copies them into the image. The
	# guest wrapper shows what a real guest sees. (podman 4.3 writes the
	# hostname file without a newline.)
	# (podman maps the runtime's "No such file or directory" to 127.)
	run --separate-stderr tmo nsenter --net="$PODMAN_NETNS" podman --runtime "$STARDUST_GUEST_RUNTIME" \
		run --rm --hostname volt-guest "$IMAGE" sh -c 'echo "$(cat /etc/hostname)"; grep -c volt-guest /etc/hosts; test -e /run/.containerenv && echo containerenv'
	[ "$status" -eq 0 ] || { echo "status $status, stderr: $stderr"; false; }
	[ "${lines[0]}" = volt-guest ]
	[ "${lines[1]}" -ge 1 ]
	[ "${lines[2]}" = containerenv ]
}
