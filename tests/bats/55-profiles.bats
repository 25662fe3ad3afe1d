#!/usr/bin/env bats
# Named profiles chosen by annotations (org.volt.{caps,seccomp,landlock}.profile):
# real containers, checked from outside through /proc where possible.

load helpers
load lifecycle-helpers

setup() {
	setup_volt
}

teardown() {
	teardown_volt
}

# Set annotation KEY to VALUE in this test's config.
annotate() {
	cfg --arg k "$1" --arg v "$2" '.annotations[$k] = $v'
}

# Start a paused init with the config as it is; prints its host pid.
start_paused() {
	cfg_args /bin/volt-probe pause
	start_detached
	wait_status "$ID" running
	init_pid "$ID"
}

@test "caps profile webserver: the init holds exactly CAP_NET_BIND_SERVICE" {
	# The base config grants AUDIT_WRITE, KILL and NET_BIND_SERVICE: the
	# profile must replace that, not add to it.
	annotate org.volt.caps.profile webserver
	pid=$(start_paused)
	[ "$(status_field "$pid" CapEff)" = 0000000000000400 ]
	[ "$(status_field "$pid" CapPrm)" = 0000000000000400 ]
	[ "$(status_field "$pid" CapBnd)" = 0000000000000400 ]
	[ "$(status_field "$pid" CapInh)" = 0000000000000000 ]
	[ "$(status_field "$pid" CapAmb)" = 0000000000000000 ]
}

@test "caps profile minimal: no capability at all" {
	annotate org.volt.caps.profile minimal
	pid=$(start_paused)
	[ "$(status_field "$pid" CapEff)" = 0000000000000000 ]
	[ "$(status_field "$pid" CapPrm)" = 0000000000000000 ]
	[ "$(status_field "$pid" CapBnd)" = 0000000000000000 ]
}

@test "caps profile database: CHOWN, DAC_OVERRIDE and FOWNER" {
	annotate org.volt.caps.profile database
	run probe status CapEff
	[ "$status" -eq 0 ]
	# CAP_CHOWN 0, CAP_DAC_OVERRIDE 1, CAP_FOWNER 3
	[ "$output" = 000000000000000b ]
}

# The runtime's log escapes quotes (msg="..."), so match the parts between them.
@test "an unknown profile fails create with the annotation named, leaving nothing behind" {
	annotate org.volt.seccomp.profile x
	cfg_args /bin/true
	expect_create_fails 'unknown seccomp profile'
	[[ "$output" == *'annotations[\"org.volt.seccomp.profile\"]: unknown seccomp profile \"x\"'* ]]
	[[ "$output" == *'(known: default-plus-networking, permissive, strict)'* ]]
}

@test "unknown caps and landlock profiles fail too" {
	annotate org.volt.caps.profile root
	cfg_args /bin/true
	expect_create_fails 'unknown caps profile'
	[[ "$output" == *'(known: database, minimal, network-service, webserver)'* ]]
	cfg 'del(.annotations["org.volt.caps.profile"])'
	annotate org.volt.landlock.profile nope
	expect_create_fails 'unknown landlock profile'
	[[ "$output" == *'org.volt.landlock.profile'* ]]
	[[ "$output" == *'(known: database, default, webserver)'* ]]
}

@test "a profile name with a path in it is refused" {
	annotate org.volt.seccomp.profile ../seccomp/strict
	cfg_args /bin/true
	expect_create_fails 'invalid profile name'
	[[ "$output" == *'org.volt.seccomp.profile'* ]]
	[[ "$output" == *'../seccomp/strict'* ]]
}

@test "seccomp profile strict: busybox sh, ls and cat run" {
	annotate org.volt.seccomp.profile strict
	cfg_args /bin/sh -c 'ls /; echo ok; cat /etc/hostname'
	run volt run --bundle "$BUNDLE" "$ID"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = bin ]
	[ "${lines[-2]}" = ok ]
	[ "${lines[-1]}" = volt ]
}

@test "seccomp profile strict: a syscall outside the profile fails with EPERM" {
	# Without the profile the same call works (setuid to one's own uid needs
	# no capability), so EPERM below is the profile's doing.
	run probe syscall setuid
	[ "$status" -eq 0 ]
	[ "$output" = ok ]
	volt delete --force "$ID" >/dev/null 2>&1 || true
	annotate org.volt.seccomp.profile strict
	run probe syscall setuid
	[ "$status" -eq 1 ]
	[ "$output" = EPERM ]
	volt delete --force "$ID" >/dev/null 2>&1 || true
	run probe syscall unshare-user
	[ "$status" -eq 1 ]
	[ "$output" = EPERM ]
}

@test "seccomp profile strict replaces the config's own linux.seccomp" {
	# A config filter that would kill the container on its first write(2).
	cfg '.linux.seccomp = {defaultAction: "SCMP_ACT_ALLOW", syscalls: [{names: ["write"], action: "SCMP_ACT_KILL_PROCESS"}]}'
	annotate org.volt.seccomp.profile strict
	cfg_args /bin/sh -c 'echo replaced'
	run volt run --bundle "$BUNDLE" "$ID"
	[ "$status" -eq 0 ]
	[ "$output" = replaced ]
}

@test "seccomp profile permissive: ordinary syscalls work, module loading is refused" {
	annotate org.volt.seccomp.profile permissive
	run probe syscall setuid
	[ "$status" -eq 0 ]
	[ "$output" = ok ]
	volt delete --force "$ID" >/dev/null 2>&1 || true
	run probe syscall init_module
	[ "$status" -eq 1 ]
	[ "$output" = EPERM ]
}

@test "landlock profile default: writes only where the profile allows" {
	add_tmpfs /tmp
	add_tmpfs /root
	annotate org.volt.landlock.profile default
	cfg_args /bin/sh -c 'echo a > /tmp/a && cat /tmp/a
		echo b > /root/b || echo denied
		cat /etc/hostname
		echo c > /dev/null && echo devnull'
	run volt run --bundle "$BUNDLE" "$ID"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = a ]
	[[ "${lines[1]}" == *"Permission denied"* ]]
	[ "${lines[2]}" = denied ]
	[ "${lines[3]}" = volt ]
	[ "${lines[4]}" = devnull ]
}
