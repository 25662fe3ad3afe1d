#!/usr/bin/env bats
# `volt-run security inspect|audit|check` against real containers and this host.

load helpers

setup() {
	setup_volt
}

teardown() {
	teardown_volt
}

sleep_detached() {
	cfg_args /bin/volt-probe sleep 100
	start_detached
	PID=$(init_pid "$ID")
}

# The config's capability set NAME as a sorted comma list.
config_caps() {
	jq -r --arg s "$1" '.process.capabilities[$s] // [] | sort | join(",")' "$CONFIG"
}

weak_config() {
	cfg '.linux.namespaces |= map(select(.type != "network"))
		| .process.capabilities.bounding += ["CAP_SYS_ADMIN"]
		| .process.capabilities.effective += ["CAP_SYS_ADMIN"]
		| .process.capabilities.permitted += ["CAP_SYS_ADMIN"]'
}

hardened_config() {
	cfg '.annotations["org.volt.userns"] = "auto"
		| .root.readonly = true
		| .linux.resources = {"memory": {"limit": 67108864}, "pids": {"limit": 64}}
		| .linux.seccomp = {"defaultAction": "SCMP_ACT_ALLOW",
			"syscalls": [{"names": ["keyctl", "add_key", "request_key"], "action": "SCMP_ACT_ERRNO"}]}'
}

@test "inspect: NoNewPrivs 1, pid/net/mnt new, capabilities as configured" {
	sleep_detached
	run volt security inspect "$ID"
	[ "$status" -eq 0 ]
	echo "$output"
	[[ "$output" == *"NoNewPrivs: 1"* ]]
	grep -Eq '^  pid +new ' <<<"$output"
	grep -Eq '^  net +new ' <<<"$output"
	grep -Eq '^  mnt +new ' <<<"$output"
	grep -Eq '^  user +host ' <<<"$output"
	run volt security inspect --format json "$ID"
	[ "$status" -eq 0 ]
	json=$output
	[ "$(jq -r .noNewPrivs <<<"$json")" = 1 ]
	[ "$(jq -r .pid <<<"$json")" = "$PID" ]
	for t in pid net mnt; do
		[ "$(jq -r --arg t "$t" '.namespaces[$t].state' <<<"$json")" = new ]
	done
	[ "$(jq -r '.namespaces.pid.link' <<<"$json")" = "$(readlink "/proc/$PID/ns/pid")" ]
	for s in effective permitted bounding; do
		[ "$(jq -r --arg s "$s" '.capabilities[$s] | sort | join(",")' <<<"$json")" = "$(config_caps "$s")" ]
	done
	[ "$(jq -r '.capabilities.ambient | length' <<<"$json")" = 0 ]
	# The kernel's view, not the config's: the same masks as /proc.
	[ "$(jq -r '.seccomp.filters' <<<"$json")" = "$(status_field "$PID" Seccomp_filters)" ]
}

@test "inspect: section flags select what is shown" {
	sleep_detached
	run volt security inspect --capabilities --format json "$ID"
	[ "$status" -eq 0 ]
	[ "$(jq -r 'has("capabilities"), has("namespaces"), has("seccomp"), has("landlock")' <<<"$output" | tr '\n' ' ')" = \
		"true false false false " ]
	run volt security inspect --seccomp --namespaces --format json "$ID"
	[ "$status" -eq 0 ]
	[ "$(jq -r 'has("capabilities"), has("namespaces"), has("seccomp")' <<<"$output" | tr '\n' ' ')" = "false true true " ]
	run volt security inspect --all --format json "$ID"
	[ "$status" -eq 0 ]
	[ "$(jq -r '[has("capabilities"), has("namespaces"), has("seccomp"), has("landlock")] | all' <<<"$output")" = true ]
}

@test "inspect: seccomp config and user namespace mappings are reported" {
	hardened_config
	sleep_detached
	run volt security inspect --format json "$ID"
	[ "$status" -eq 0 ]
	echo "$output"
	[ "$(jq -r .seccomp.mode <<<"$output")" = filter ]
	[ "$(jq -r .seccomp.configured <<<"$output")" = true ]
	[ "$(jq -r .seccomp.defaultAction <<<"$output")" = SCMP_ACT_ALLOW ]
	[ "$(jq -r .seccomp.rules <<<"$output")" = 1 ]
	[ "$(jq -r .namespaces.user.state <<<"$output")" = new ]
	[ "$(jq -c '.namespaces.uidMappings' <<<"$output")" = '[{"containerID":0,"hostID":65536,"size":65536}]' ]
}

@test "inspect: a stopped container is an error" {
	cfg_args /bin/true
	start_detached
	wait_stopped "$ID"
	run volt security inspect "$ID"
	[ "$status" -eq 1 ]
	[[ "$output" == *"is not running"* ]]
}

@test "inspect: a missing id is an error" {
	run volt security inspect nosuch-container
	[ "$status" -eq 1 ]
	[[ "$output" == *"does not exist"* ]]
	run volt security audit nosuch-container
	[ "$status" -eq 1 ]
	[[ "$output" == *"does not exist"* ]]
}

@test "audit: a weak config lists its weak spots and scores lower than a hardened one" {
	weak_config
	sleep_detached
	run volt security audit "$ID"
	[ "$status" -eq 0 ]
	echo "$output"
	grep -Eq '^high +cap_sys_admin ' <<<"$output"
	grep -Eq '^high +host_net ' <<<"$output"
	grep -Eq ' no_userns ' <<<"$output"
	run volt security audit --format json "$ID"
	[ "$status" -eq 0 ]
	weak=$(jq -r .score <<<"$output")
	jq -e '.findings | map(.check) | index("cap_sys_admin") and index("host_net") and index("no_userns")' <<<"$output"
	volt delete --force "$ID"

	cp "$VOLT_BUNDLE/config.json" "$CONFIG"
	cfg --arg r "$VOLT_ROOTFS" '.root.path = $r'
	hardened_config
	ID=$ID-hard
	sleep_detached
	run volt security audit --format json "$ID"
	[ "$status" -eq 0 ]
	echo "$output"
	hard=$(jq -r .score <<<"$output")
	echo "weak $weak hardened $hard"
	[ "$hard" -gt "$weak" ]
	jq -e '.findings | map(.check) | (index("no_userns") or index("host_net") or index("cap_sys_admin") or
		index("no_memory_limit") or index("no_pids_limit") or index("writable_rootfs")) | not' <<<"$output"
}

@test "check: Landlock ABI 7 and the hybrid cgroup layout on this machine" {
	run volt security check
	[ "$status" -eq 0 ]
	echo "$output"
	grep -Eq '^landlock +ok +ABI 7$' <<<"$output"
	grep -Eq '^cgroup +ok +hybrid' <<<"$output"
	grep -Eq '^kernel +ok +Linux ' <<<"$output"
	[ "$(wc -l <<<"$output")" -eq 8 ]
	run volt security check --format json
	[ "$status" -eq 0 ]
	[ "$(jq -r .landlock.value <<<"$output")" = 7 ]
	[ "$(jq -r '.cgroup.detail | split(" ")[0]' <<<"$output")" = hybrid ]
	[ "$(jq -r '.pidfd.ok, .userns.ok, .seccomp.ok' <<<"$output" | sort -u)" = true ]
}

@test "inspect: the Landlock ruleset comes from the config" {
	cfg '.process.landlock = {"rules": {"pathBeneath": [
		{"allowedAccess": ["execute", "read_file", "read_dir"], "paths": ["/"]}]}}'
	sleep_detached
	run volt security inspect --landlock --format json "$ID"
	[ "$status" -eq 0 ]
	echo "$output"
	[ "$(jq -r .landlock.present <<<"$output")" = true ]
	[ "$(jq -r '.landlock.handledAccessFS | sort | join(",")' <<<"$output")" = execute,read_dir,read_file ]
	[ "$(jq -c '.landlock.rules[0].paths' <<<"$output")" = '["/"]' ]
	run volt security inspect --landlock "$ID"
	[ "$status" -eq 0 ]
	grep -Eq '^  rule path: +\[execute,read_file,read_dir\] /$' <<<"$output"
	run volt security audit --format json "$ID"
	[ "$status" -eq 0 ]
	jq -e '.findings | map(.check) | index("no_landlock") | not' <<<"$output"
}
