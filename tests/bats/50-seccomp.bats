#!/usr/bin/env bats
# seccomp: linux.seccomp as configured, the always-on guard filter, the
# org.volt.seccomp.allow annotation, SCMP_ACT_NOTIFY with a listener, and
# audit mode (org.volt.seccomp.audit=true + `security log`).

load helpers

setup() {
	setup_volt
}

teardown() {
	teardown_volt
}

# Give the process capabilities so that a denial can only come from seccomp.
add_caps() {
	local c
	for c in "$@"; do
		cfg --arg c "$c" '.process.capabilities |= with_entries(.value += [$c])'
	done
}

seccomp_cfg() {
	cfg --argjson s "$1" '.linux.seccomp = $s'
}

PERMISSIVE='{"defaultAction": "SCMP_ACT_ALLOW"}'

@test "a blocked syscall fails with the configured errnoRet" {
	add_caps CAP_SYS_ADMIN
	seccomp_cfg '{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [
		{"names": ["sethostname"], "action": "SCMP_ACT_ERRNO", "errnoRet": 13}]}'
	run probe syscall sethostname
	[ "$output" = EACCES ]
}

@test "a blocked syscall without errnoRet fails with EPERM; others still work" {
	seccomp_cfg '{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [
		{"names": ["setuid", "no_such_syscall_anywhere"], "action": "SCMP_ACT_ERRNO"}]}'
	cfg_args /bin/sh -c '/bin/volt-probe syscall setuid; /bin/volt-probe hostname >/dev/null && echo fine'
	run volt run --bundle "$BUNDLE" "$ID"
	[ "${lines[0]}" = EPERM ]
	[ "${lines[1]}" = fine ]
}

@test "an argument rule denies only the matching call" {
	seccomp_cfg '{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [
		{"names": ["setuid"], "action": "SCMP_ACT_ERRNO", "errnoRet": 22,
		 "args": [{"index": 0, "value": 0, "op": "SCMP_CMP_NE"}]}]}'
	run probe syscall setuid # setuid(0): arg0 == 0, not denied
	[ "$output" = ok ]
}

@test "mount and reboot fail with EPERM under a permissive profile" {
	add_caps CAP_SYS_ADMIN CAP_SYS_BOOT
	seccomp_cfg "$PERMISSIVE"
	run probe syscall mount
	[ "$output" = EPERM ]
	run probe syscall reboot
	[ "$output" = EPERM ]
}

@test "mount, reboot and ptrace fail with EPERM without a seccomp section" {
	add_caps CAP_SYS_ADMIN CAP_SYS_BOOT CAP_SYS_PTRACE
	cfg 'del(.linux.seccomp)'
	run probe syscall mount
	[ "$output" = EPERM ]
	run probe syscall reboot
	[ "$output" = EPERM ]
	run probe syscall kexec_load
	[ "$output" = EPERM ]
}

@test "org.volt.seccomp.allow=mount re-allows mount with a warning, reboot stays blocked" {
	add_caps CAP_SYS_ADMIN CAP_SYS_BOOT
	cfg '.annotations["org.volt.seccomp.allow"] = "mount"'
	run probe syscall mount
	[[ "$output" == *"re-allows mount"* ]]
	[ "${lines[-1]}" = ENODEV ]
	run probe syscall reboot
	[ "${lines[-1]}" = EPERM ]
}

@test "exec warns about org.volt.seccomp.allow as create does, and its process gets the same filter" {
	add_caps CAP_SYS_ADMIN
	cfg '.annotations["org.volt.seccomp.allow"] = "mount"'
	cfg_args /bin/volt-probe sleep 10
	start_detached
	run "$VOLT_RUN" --root "$ROOT" exec "$ID" /bin/volt-probe syscall mount
	[[ "$output" == *"re-allows mount"* ]]
	[ "${lines[-1]}" = ENODEV ]
}

@test "org.volt.seccomp.allow with a name outside the guard is refused naming the annotation" {
	cfg '.annotations["org.volt.seccomp.allow"] = "mount,chroot"'
	run probe syscall mount
	[ "$status" -ne 0 ]
	[[ "$output" == *org.volt.seccomp.allow* ]]
	[[ "$output" == *chroot* ]]
}

@test "an unknown flag is refused naming linux.seccomp.flags[i]" {
	seccomp_cfg '{"defaultAction": "SCMP_ACT_ALLOW", "flags": ["SECCOMP_FILTER_FLAG_LOG", "BOGUS"]}'
	run probe ids
	[ "$status" -ne 0 ]
	[[ "$output" == *"linux.seccomp.flags[1]"* ]]
}

@test "the init has the guard and the config filter (Seccomp: 2, Seccomp_filters: 2)" {
	seccomp_cfg '{"defaultAction": "SCMP_ACT_ALLOW", "flags": ["SECCOMP_FILTER_FLAG_SPEC_ALLOW"]}'
	cfg_args /bin/volt-probe pause
	start_detached
	wait_status "$ID" running
	pid=$(init_pid "$ID")
	[ "$(status_field "$pid" Seccomp)" = 2 ]
	[ "$(status_field "$pid" Seccomp_filters)" = 2 ]
}

@test "only the guard without a seccomp section (Seccomp_filters: 1)" {
	cfg 'del(.linux.seccomp)'
	cfg_args /bin/volt-probe pause
	start_detached
	wait_status "$ID" running
	pid=$(init_pid "$ID")
	[ "$(status_field "$pid" Seccomp)" = 2 ]
	[ "$(status_field "$pid" Seccomp_filters)" = 1 ]
}

@test "children of the container process are filtered too" {
	seccomp_cfg '{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [
		{"names": ["setuid"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1}]}'
	cfg_args /bin/sh -c '/bin/sh -c "/bin/volt-probe syscall setuid"'
	run volt run --bundle "$BUNDLE" "$ID"
	[ "$output" = EPERM ]
}

@test "a podman-like default profile loads and a shell works under it (twice: compiled, then cached)" {
	seccomp_cfg "$(cat "$VOLT_REPO/tests/fixtures/seccomp-podman-like.json")"
	cfg_args /bin/sh -c "ls / >/dev/null && id -u && /bin/volt-probe syscall unshare; true"
	run volt run --bundle "$BUNDLE" "$ID"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = 0 ]
	[ "${lines[1]}" = EPERM ]
	[ "$(find "$ROOT/.seccomp-cache" -name '*.bpf' | wc -l)" -eq 1 ]
	run volt run --bundle "$BUNDLE" "$ID-2"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = 0 ]
	[ "${lines[1]}" = EPERM ]
}

@test "SCMP_ACT_NOTIFY: the agent at listenerPath gets the fd and the state, and answers" {
	command -v python3 >/dev/null || skip "python3 missing"
	sock="$TEST_TMP/agent.sock"
	python3 "$VOLT_REPO/tests/helpers/seccomp-agent.py" "$sock" "$TEST_TMP/agent.json" \
		</dev/null >"$TEST_TMP/agent.log" 2>&1 &
	agent=$!
	for _ in $(seq 100); do [ -S "$sock" ] && break; sleep 0.05; done
	seccomp_cfg "$(jq -n --arg p "$sock" '{defaultAction: "SCMP_ACT_ALLOW", listenerPath: $p,
		listenerMetadata: "hello", syscalls: [{names: ["setuid"], action: "SCMP_ACT_NOTIFY"}]}')"
	run probe syscall setuid
	# The agent ends when the filter is gone; never wait on it unbounded
	# (a runtime that never connects would leave it in accept()).
	for _ in $(seq 40); do kill -0 "$agent" 2>/dev/null || break; sleep 0.05; done
	kill "$agent" 2>/dev/null || true
	wait "$agent" 2>/dev/null || true
	[ "$output" = ok ]
	jq -e --arg id "$ID" '.ociVersion and .fds == ["seccompFd"] and .pid > 0 and .metadata == "hello"
		and .state.id == $id' "$TEST_TMP/agent.json"
	[ "$(grep -c '^105$' "$TEST_TMP/agent.json.calls")" -ge 1 ] # setuid on x86-64
}

@test "SCMP_ACT_NOTIFY without listenerPath is refused" {
	seccomp_cfg '{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["setuid"], "action": "SCMP_ACT_NOTIFY"}]}'
	run probe syscall setuid
	[ "$status" -ne 0 ]
	[[ "$output" == *listenerPath* ]]
}

@test "audit mode logs instead of denying, the guard still denies, security log counts" {
	add_caps CAP_SYS_ADMIN
	cfg '.annotations["org.volt.seccomp.audit"] = "true"'
	seccomp_cfg '{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [
		{"names": ["setuid"], "action": "SCMP_ACT_ERRNO"},
		{"names": ["sethostname"], "action": "SCMP_ACT_KILL"}]}'
	cfg_args /bin/sh -c '/bin/volt-probe syscall setuid; /bin/volt-probe syscall setuid; /bin/volt-probe syscall sethostname; /bin/volt-probe syscall mount; true'
	# Detached: the state (and the log) stay until delete, after the process ended.
	start_detached
	wait_stopped "$ID"
	run ct_output
	[ "${lines[0]}" = ok ]
	[ "${lines[1]}" = ok ]
	[ "${lines[2]}" = ok ]
	[ "${lines[3]}" = EPERM ]
	run volt security log "$ID"
	[ "$status" -eq 0 ]
	[[ "$output" == *SYSCALL* ]]
	echo "$output" | grep -Eq '^setuid +2$'
	echo "$output" | grep -Eq '^sethostname +1$'
	run volt security log --format json "$ID"
	echo "$output" | jq -e '.syscalls | map({(.name): .count}) | add | .setuid == 2 and .sethostname == 1'
}

@test "security log works while the container runs" {
	cfg '.annotations["org.volt.seccomp.audit"] = "true"'
	seccomp_cfg '{"defaultAction": "SCMP_ACT_ERRNO", "defaultErrnoRet": 38, "syscalls": [
		{"names": ["setuid"], "action": "SCMP_ACT_ERRNO"}]}'
	cfg_args /bin/sh -c '/bin/volt-probe syscall setuid; exec /bin/volt-probe pause'
	start_detached
	wait_status "$ID" running
	for _ in $(seq 100); do
		volt security log "$ID" | grep -q '^setuid' && break
		sleep 0.05
	done
	run volt security log "$ID"
	echo "$output" | grep -Eq '^setuid +1$'
}

@test "security log of a container not in audit mode says so" {
	cfg_args /bin/true
	run volt run --bundle "$BUNDLE" "$ID"
	start_detached create
	run volt security log "$ID"
	[ "$status" -ne 0 ]
	[[ "$output" == *"audit mode"* ]]
}

@test "audit mode: syscalls of exec'd processes are logged too" {
	cfg '.annotations["org.volt.seccomp.audit"] = "true"'
	cfg '.linux.seccomp = {"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["getcwd"], "action": "SCMP_ACT_ERRNO"}]}'
	cfg_args /bin/volt-probe sleep 100
	start_detached
	run volt exec "$ID" /bin/volt-probe cwd
	[ "$status" -eq 0 ]
	[ "$output" = / ]
	for i in $(seq 50); do grep -q getcwd "$ROOT/$ID/seccomp.log" 2>/dev/null && break; sleep 0.05; done
	run volt security log "$ID"
	[[ "$output" == *getcwd* ]]
}

@test "features reports seccomp actions, operators, archs and Landlock truthfully" {
	run "$VOLT_RUN" features
	[ "$status" -eq 0 ]
	[ "$(jq -r .linux.seccomp.enabled <<<"$output")" = true ]
	jq -e '.linux.seccomp.actions | index("SCMP_ACT_NOTIFY")' <<<"$output"
	jq -e '.linux.seccomp.operators | index("SCMP_CMP_MASKED_EQ")' <<<"$output"
	jq -e '.linux.seccomp.archs | index("SCMP_ARCH_X86_64")' <<<"$output"
	# The kernel's own answer, compared with what features claims.
	abi=$(python3 -c 'import ctypes; l=ctypes.CDLL(None); print(l.syscall(444, None, 0, 1))')
	[ "$(jq -r '.annotations["org.volt.landlock.abi"]' <<<"$output")" = "$abi" ]
}

@test "delete of an audit-mode container removes its state; the id can be used again" {
	cfg '.annotations["org.volt.seccomp.audit"] = "true"'
	cfg '.linux.seccomp = {"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["getcwd"], "action": "SCMP_ACT_ERRNO"}]}'
	cfg_args /bin/volt-probe cwd
	run volt run --bundle "$BUNDLE" "$ID"
	[ "$status" -eq 0 ]
	[ ! -e "$ROOT/$ID" ]
	run volt run --bundle "$BUNDLE" "$ID"
	[ "$status" -eq 0 ]
}
