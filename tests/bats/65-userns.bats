#!/usr/bin/env bats
# org.volt.userns=auto: container root maps to an unprivileged host range of
# 65536 ids allocated under the state root, and config-given mappings.

load helpers

setup() {
	setup_volt
}

teardown() {
	teardown_volt
}

userns_auto() {
	cfg '.annotations["org.volt.userns"] = "auto"'
}

host_uid() {
	awk '$1 == "Uid:" { print $2 }' "/proc/$1/status"
}

host_gid() {
	awk '$1 == "Gid:" { print $2 }' "/proc/$1/status"
}

sleep_detached() {
	cfg_args /bin/volt-probe sleep 100
	start_detached
	PID=$(init_pid "$ID")
}

@test "userns=auto: inside, the process is uid 0" {
	userns_auto
	run probe ids
	[ "$status" -eq 0 ]
	[ "$output" = "uid=0 gid=0 groups=" ]
}

@test "userns=auto: the host sees the init as uid/gid 65536 in a new user namespace" {
	userns_auto
	sleep_detached
	[ "$(host_uid "$PID")" = 65536 ]
	[ "$(host_gid "$PID")" = 65536 ]
	[ "$(readlink "/proc/$PID/ns/user")" != "$(readlink /proc/self/ns/user)" ]
	read -r c h s <"/proc/$PID/uid_map"
	[ "$c $h $s" = "0 65536 65536" ]
	read -r c h s <"/proc/$PID/gid_map"
	[ "$c $h $s" = "0 65536 65536" ]
}

@test "userns=auto: two containers at once get different ranges" {
	userns_auto
	sleep_detached
	first=$PID
	ID=$ID-2
	sleep_detached
	[ "$(host_uid "$first")" = 65536 ]
	[ "$(host_uid "$PID")" = 131072 ]
}

@test "userns=auto: the range is reused after delete" {
	userns_auto
	sleep_detached
	first_id=$ID
	[ "$(host_uid "$PID")" = 65536 ]
	ID=$first_id-2
	sleep_detached
	[ "$(host_uid "$PID")" = 131072 ]
	volt delete --force "$first_id"
	ID=$first_id-3
	sleep_detached
	[ "$(host_uid "$PID")" = 65536 ]
	# Only the two live containers hold a range.
	[ "$(find "$ROOT/.userns" -type f | wc -l)" -eq 2 ]
}

@test "userns=auto: a failed create releases its range" {
	userns_auto
	# Fails after the range is taken (the namespace plan comes later).
	cfg '.linux.namespaces |= map(if .type == "network" then .path = "/nonexistent/netns" else . end)'
	cfg_args /bin/volt-probe sleep 100
	run volt create --bundle "$BUNDLE" "$ID" </dev/null
	[ "$status" -ne 0 ]
	[[ "$output" == */nonexistent/netns* ]]
	[ ! -d "$ROOT/$ID" ]
	[ "$(find "$ROOT/.userns" -type f 2>/dev/null | wc -l)" -eq 0 ]
	cfg '.linux.namespaces |= map(del(.path))'
	ID=$ID-2
	sleep_detached
	[ "$(host_uid "$PID")" = 65536 ]
}

@test "userns=auto: a value other than auto is refused" {
	cfg '.annotations["org.volt.userns"] = "host"'
	run probe ids
	[ "$status" -ne 0 ]
	# (the log line escapes the quotes: annotations[\"org.volt.userns\"])
	[[ "$output" == *'org.volt.userns'*'host'*'is not supported'* ]]
}

@test "userns=auto with a user namespace and mappings in the config is refused" {
	userns_auto
	cfg '.linux.namespaces += [{"type": "user"}]
		| .linux.uidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}]
		| .linux.gidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}]'
	run probe ids
	[ "$status" -ne 0 ]
	[[ "$output" == *'org.volt.userns'*': the config already maps users'* ]]
	[ ! -d "$ROOT/$ID" ]
}

@test "config-given mappings: uid 0 inside, host uid 100000" {
	cfg '.linux.namespaces += [{"type": "user"}]
		| .linux.uidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}]
		| .linux.gidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}]'
	run probe ids
	[ "$status" -eq 0 ]
	[ "$output" = "uid=0 gid=0 groups=" ]
	ID=$ID-2
	sleep_detached
	[ "$(host_uid "$PID")" = 100000 ]
	[ "$(host_gid "$PID")" = 100000 ]
}
