#!/usr/bin/env bats
# Escape attempts from inside a default container fail.

load helpers

setup() {
	setup_volt
}

teardown() {
	teardown_volt
}

@test "host processes are invisible: the container's ps lists only its own" {
	sleep 300 &
	host_pid=$!
	cfg_args /bin/sh -c 'ps -o pid,comm | tail -n +2; ls /proc | grep -c "^[0-9]"'
	run volt run --bundle "$BUNDLE" "$ID"
	kill "$host_pid"
	[ "$status" -eq 0 ]
	# sh (pid 1), ps and the ls/grep pipeline: nothing of the host's.
	[[ "$output" != *sleep* ]]
	[ "${lines[-1]}" -le 4 ]
	run volt run --bundle "$BUNDLE" "$ID-2" 
	[[ "$output" != *" $host_pid "* ]]
}

@test "the host filesystem is unreachable: no host file is visible, .. stays at /" {
	marker="$TEST_TMP/host-marker-$$"
	echo host >"$marker"
	cfg --arg m "$marker" '.process.env += ["M=" + $m]'
	cfg_args /bin/sh -c 'cat "$M" 2>&1; cd /../../..; pwd; ls / | grep -c work; test -e /proc/1/root/$M && echo reached || echo unreached'
	run volt run --bundle "$BUNDLE" "$ID"
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" == *"No such file"* ]]
	[ "${lines[1]}" = / ]
	[ "${lines[2]}" = 0 ]
	[ "${lines[3]}" = unreached ]
}

@test "a capability the host's bounding set lacks is a clear error" {
	# This machine's bounding set has no CAP_SYS_RESOURCE (see machine.md).
	if grep -q '^CapBnd:.*' /proc/self/status && python3 -c 'import sys; sys.exit(0 if int(open("/proc/self/status").read().split("CapBnd:")[1].split()[0],16) >> 24 & 1 else 1)'; then
		skip "this host has CAP_SYS_RESOURCE in its bounding set"
	fi
	cfg '.process.capabilities.bounding += ["CAP_SYS_RESOURCE"] | .process.capabilities.effective += ["CAP_SYS_RESOURCE"] | .process.capabilities.permitted += ["CAP_SYS_RESOURCE"]'
	cfg_args /bin/true
	run volt run --bundle "$BUNDLE" "$ID"
	[ "$status" -ne 0 ]
	[[ "$output" == *"CAP_SYS_RESOURCE"* || "$output" == *"cap_sys_resource"* ]]
	[[ "$output" == *"bounding set"* ]]
}

@test "an operation that needs a dropped capability fails (chown without CAP_CHOWN)" {
	cfg '.mounts += [{"destination": "/data", "type": "tmpfs", "source": "tmpfs"}]'
	cfg_args /bin/sh -c 'touch /data/f && chown 1234 /data/f; echo rc=$?'
	run volt run --bundle "$BUNDLE" "$ID"
	[[ "$output" == *"rc=1"* ]]
	cfg '.process.capabilities.effective += ["CAP_CHOWN"] | .process.capabilities.permitted += ["CAP_CHOWN"] | .process.capabilities.bounding += ["CAP_CHOWN"]'
	run volt run --bundle "$BUNDLE" "$ID"
	[[ "$output" == *"rc=0"* ]]
}
