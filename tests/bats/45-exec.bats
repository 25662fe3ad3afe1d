#!/usr/bin/env bats
# exec: a new process joins every namespace and the cgroup of a running
# container and gets the same restrictions as its init.

load helpers

setup() {
	setup_volt
	cfg_args /bin/volt-probe sleep 100
	start_detached
	INIT=$(init_pid "$ID")
}

teardown() {
	teardown_volt
}

@test "exec runs inside the container's namespaces" {
	run volt exec "$ID" /bin/volt-probe hostname
	[ "$status" -eq 0 ]
	[ "$output" = volt ]
	volt exec -d --pid-file "$TEST_TMP/exec.pid" "$ID" /bin/volt-probe sleep 5 </dev/null >/dev/null 2>&1
	pid=$(cat "$TEST_TMP/exec.pid")
	for ns in pid mnt net ipc uts cgroup; do
		[ "$(readlink /proc/$pid/ns/$ns)" = "$(readlink /proc/$INIT/ns/$ns)" ]
	done
	[ "$(readlink /proc/$pid/ns/pid)" != "$(readlink /proc/self/ns/pid)" ]
	[ "$(readlink /proc/$pid/root)" = / ]
	[ "$(stat -L -c %i /proc/$pid/root)" = "$(stat -L -c %i /proc/$INIT/root)" ]
}

@test "exec joins the container's cgroup" {
	volt exec -d --pid-file "$TEST_TMP/exec.pid" "$ID" /bin/volt-probe sleep 5 </dev/null >/dev/null 2>&1
	pid=$(cat "$TEST_TMP/exec.pid")
	for c in memory pids freezer; do
		[ "$(grep ":$c:" /proc/$pid/cgroup)" = "$(grep ":$c:" /proc/$INIT/cgroup)" ]
	done
	[[ "$(grep ':pids:' /proc/$pid/cgroup)" == *"/volt/$ID" ]]
	run volt ps --format json "$ID"
	[[ "$output" == *"$pid"* ]]
}

@test "exec'd process has the init's restrictions (caps, no_new_privs, seccomp)" {
	volt exec -d --pid-file "$TEST_TMP/exec.pid" "$ID" /bin/volt-probe sleep 5 </dev/null >/dev/null 2>&1
	pid=$(cat "$TEST_TMP/exec.pid")
	for f in CapEff CapBnd CapPrm NoNewPrivs Seccomp Seccomp_filters; do
		[ "$(status_field "$pid" $f)" = "$(status_field "$INIT" $f)" ]
	done
}

@test "exec passes the exit status through; a missing command is 127-class" {
	run volt exec "$ID" /bin/sh -c 'exit 7'
	[ "$status" -eq 7 ]
	run volt exec "$ID" /no/such/binary
	[ "$status" -ne 0 ]
	[[ "$output" == *"no such file or directory"* ]]
	run volt exec "$ID" nosuchcommand
	[ "$status" -ne 0 ]
	[[ "$output" == *"executable file not found in"* ]]
}

@test "exec --env --cwd --user change the process" {
	run volt exec --env FOO=bar --cwd /tmp --user 1000:1001 "$ID" /bin/sh -c 'echo $FOO; pwd; /bin/volt-probe ids'
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = bar ]
	[ "${lines[1]}" = /tmp ]
	[[ "${lines[2]}" == "uid=1000 gid=1001"* ]]
}

@test "exec --process takes a runtime-spec process JSON" {
	cat >"$TEST_TMP/process.json" <<'JSON'
{"args":["/bin/volt-probe","cwd"],"cwd":"/etc","env":["PATH=/bin"],"user":{"uid":0,"gid":0}}
JSON
	run volt exec --process "$TEST_TMP/process.json" "$ID"
	[ "$status" -eq 0 ]
	[ "$output" = /etc ]
}

@test "exec'd process holds only fds 0-2" {
	run volt exec "$ID" /bin/volt-probe fds 3</dev/null 4</dev/null
	[ "$status" -eq 0 ]
	[ "$output" = "0 1 2" ]
}

@test "exec into a stopped or missing container fails" {
	volt kill "$ID" KILL
	wait_stopped "$ID"
	run volt exec "$ID" /bin/true
	[ "$status" -eq 1 ]
	[[ "$output" == *stopped* ]]
	run volt exec "missing-$ID" /bin/true
	[ "$status" -eq 1 ]
	[[ "$output" == *"does not exist"* ]]
}

@test "a caps profile holds for exec --process even when the process asks for more" {
	volt delete --force "$ID"
	cfg '.annotations["org.volt.caps.profile"] = "webserver"'
	start_detached
	cat >"$TEST_TMP/process.json" <<'JSON'
{"args":["/bin/volt-probe","status","CapEff"],"cwd":"/","env":["PATH=/bin"],"user":{"uid":0,"gid":0},
 "capabilities":{"bounding":["CAP_SYS_ADMIN","CAP_NET_BIND_SERVICE"],"effective":["CAP_SYS_ADMIN","CAP_NET_BIND_SERVICE"],"permitted":["CAP_SYS_ADMIN","CAP_NET_BIND_SERVICE"]}}
JSON
	run volt exec --process "$TEST_TMP/process.json" "$ID"
	[ "$status" -eq 0 ]
	[ "$output" = 0000000000000400 ]
}
