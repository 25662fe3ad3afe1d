#!/usr/bin/env bats
# The container lifecycle: create / start / state / kill / delete / list / run,
# checked from outside (the state dir, /proc, the cgroup tree) wherever possible.

load helpers
load lifecycle-helpers

setup() {
	setup_volt
}

teardown() {
	teardown_volt
}

# A container that keeps running until killed (ignores SIGTERM as a PID 1).
sleeper() {
	cfg_args /bin/volt-probe sleep 100
}

@test "create leaves the init blocked; start runs the workload" {
	mkdir "$TEST_TMP/host"
	add_bind "$TEST_TMP/host" /run
	cfg_args /bin/sh -c 'echo started > /run/marker; exec /bin/volt-probe sleep 100'
	volt create --bundle "$BUNDLE" --pid-file "$TEST_TMP/pid" "$ID" </dev/null >"$TEST_TMP/ct.out" 2>&1
	[ "$(state_field "$ID" status)" = created ]
	pid=$(cat "$TEST_TMP/pid")
	[[ "$pid" =~ ^[0-9]+$ ]]
	[ "$pid" = "$(init_pid "$ID")" ]
	[ -e "/proc/$pid/status" ]
	pid_alive "$pid"
	# Blocked: the workload has not run yet, even after a while.
	sleep 0.2
	[ ! -e "$TEST_TMP/host/marker" ]
	[ -d "$ROOT/$ID" ]
	cgroup_exists "$ID"

	volt start "$ID"
	wait_file "$TEST_TMP/host/marker"
	[ "$(cat "$TEST_TMP/host/marker")" = started ]
	[ "$(state_field "$ID" status)" = running ]
	[ "$(init_pid "$ID")" = "$pid" ]
}

@test "the init joins the container's cgroup in every hierarchy" {
	sleeper
	start_detached create
	pid=$(init_pid "$ID")
	grep -qx "$pid" "/sys/fs/cgroup/pids/volt/$ID/cgroup.procs"
	grep -qx "$pid" "/sys/fs/cgroup/memory/volt/$ID/cgroup.procs"
	grep -qx "$pid" "/sys/fs/cgroup/unified/volt/$ID/cgroup.procs"
}

@test "state JSON has every OCI field" {
	cfg '.annotations = {"org.example.key": "value", "other": "x"}'
	sleeper
	start_detached create
	run volt state "$ID"
	[ "$status" -eq 0 ]
	json=$output
	[ "$(jq -r .ociVersion <<<"$json")" = "$(jq -r .ociVersion "$CONFIG")" ]
	[ "$(jq -r .id <<<"$json")" = "$ID" ]
	[ "$(jq -r .status <<<"$json")" = created ]
	pid=$(jq -r .pid <<<"$json")
	[ "$pid" -gt 1 ]
	[ -e "/proc/$pid/status" ]
	[ "$(jq -r .bundle <<<"$json")" = "$(realpath "$BUNDLE")" ]
	[ "$(jq -r .rootfs <<<"$json")" = "$(realpath "$VOLT_ROOTFS")" ]
	created=$(jq -r .created <<<"$json")
	[[ "$created" =~ ^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?(Z|[+-][0-9]{2}:[0-9]{2})$ ]]
	# Within a minute of now.
	now=$(date +%s)
	ts=$(date -d "$created" +%s)
	[ $((now - ts)) -lt 60 ]
	[ $((ts - now)) -lt 60 ]
	[ "$(jq -r .owner <<<"$json")" = root ]
	[ "$(jq -r '.annotations["org.example.key"]' <<<"$json")" = value ]
	[ "$(jq -r '.annotations.other' <<<"$json")" = x ]
}

@test "an exited init is stopped with pid 0" {
	cfg_args /bin/true
	start_detached
	wait_stopped "$ID"
	[ "$(init_pid "$ID")" = 0 ]
	[ -d "$ROOT/$ID" ]
}

@test "a zombie init (not yet reaped) counts as stopped with pid 0" {
	cfg_args /bin/true
	# Our own subreaper that never reaps: the init stays a zombie.
	run python3 - "$VOLT_RUN" "$ROOT" "$BUNDLE" "$ID" "$TEST_TMP/pid" <<'EOF'
import ctypes, subprocess, sys, time, json
volt, root, bundle, cid, pidfile = sys.argv[1:6]
libc = ctypes.CDLL(None, use_errno=True)
assert libc.prctl(36, 1, 0, 0, 0) == 0  # PR_SET_CHILD_SUBREAPER
subprocess.run([volt, "--root", root, "run", "-d", "--pid-file", pidfile, "--bundle", bundle, cid],
               stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, check=True)
pid = int(open(pidfile).read())
deadline = time.time() + 5
while time.time() < deadline:
    with open(f"/proc/{pid}/stat") as f:
        if f.read().rsplit(")", 1)[1].split()[0] == "Z":
            break
    time.sleep(0.01)
st = json.loads(subprocess.run([volt, "--root", root, "state", cid],
                capture_output=True, check=True).stdout)
with open(f"/proc/{pid}/stat") as f:
    zstate = f.read().rsplit(")", 1)[1].split()[0]
print(zstate, st["status"], st["pid"])
EOF
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$output" = "Z stopped 0" ]
}

@test "kill sends SIGTERM by default" {
	cfg_args /bin/volt-probe pause
	start_detached
	pid=$(init_pid "$ID")
	wait_signal_ready "$pid" TERM
	run volt kill "$ID"
	[ "$status" -eq 0 ]
	wait_stopped "$ID"
	[ "$(ct_output)" = SIGTERM ]
}

@test "kill takes a signal by name, SIG name and number" {
	local spec want
	for spec in USR1:SIGUSR1 SIGUSR2:SIGUSR2 12:SIGUSR2; do
		teardown_volt
		setup_volt
		cfg_args /bin/volt-probe pause
		start_detached
		pid=$(init_pid "$ID")
		wait_signal_ready "$pid" "${spec#*:}"
		run volt kill "$ID" "${spec%%:*}"
		[ "$status" -eq 0 ]
		wait_stopped "$ID"
		echo "kill ${spec%%:*}: $(ct_output)"
		[ "$(ct_output)" = "${spec#*:}" ]
	done
}

@test "kill KILL, SIGKILL and 9 stop a container" {
	local sig
	for sig in KILL SIGKILL 9; do
		teardown_volt
		setup_volt
		sleeper
		start_detached
		pid=$(init_pid "$ID")
		run volt kill "$ID" "$sig"
		[ "$status" -eq 0 ]
		wait_stopped "$ID"
		wait_pid_dead "$pid"
	done
}

@test "kill with an unknown signal fails and leaves the container running" {
	sleeper
	start_detached
	run volt kill "$ID" SIGNOPE
	[ "$status" -eq 1 ]
	[[ "$output" == *NOPE* ]]
	[ "$(state_field "$ID" status)" = running ]
}

@test "kill --all kills every process in the cgroup" {
	cfg_args /bin/sh -c 'sleep 100 & sleep 100 & wait'
	start_detached
	pids=()
	for _ in $(seq 100); do
		mapfile -t pids < <(volt ps --format json "$ID" | jq -r '.[]')
		[ "${#pids[@]}" -ge 3 ] && break
		sleep 0.02
	done
	[ "${#pids[@]}" -eq 3 ]
	for p in "${pids[@]}"; do pid_alive "$p"; done
	run volt kill --all "$ID" KILL
	[ "$status" -eq 0 ]
	for p in "${pids[@]}"; do wait_pid_dead "$p"; done
	wait_stopped "$ID"
	[ "$(volt ps --format json "$ID" | jq length)" -eq 0 ]
}

@test "ps lists the init with its command line" {
	sleeper
	start_detached
	pid=$(init_pid "$ID")
	run volt ps "$ID"
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" == *PID* ]]
	[[ "$output" == *"$pid"*"/bin/volt-probe sleep 100"* ]]
	[ "$(volt ps --format json "$ID" | jq -c .)" = "[$pid]" ]
}

@test "delete removes the state dir and the cgroup dirs" {
	cfg_args /bin/true
	start_detached
	wait_stopped "$ID"
	[ -d "$ROOT/$ID" ]
	cgroup_exists "$ID"
	run volt delete "$ID"
	[ "$status" -eq 0 ]
	[ ! -e "$ROOT/$ID" ]
	cgroup_gone "$ID"
	run volt state "$ID"
	[ "$status" -eq 1 ]
}

@test "delete of a created container kills its init and cleans up" {
	sleeper
	start_detached create
	pid=$(init_pid "$ID")
	run volt delete "$ID"
	[ "$status" -eq 0 ]
	wait_pid_dead "$pid"
	[ ! -e "$ROOT/$ID" ]
	cgroup_gone "$ID"
}

@test "delete --force kills a running container and cleans up" {
	cfg_args /bin/sh -c 'sleep 100 & exec /bin/volt-probe sleep 100'
	start_detached
	pid=$(init_pid "$ID")
	mapfile -t pids < <(volt ps --format json "$ID" | jq -r '.[]')
	run volt delete --force "$ID"
	[ "$status" -eq 0 ]
	wait_pid_dead "$pid"
	for p in "${pids[@]}"; do wait_pid_dead "$p"; done
	[ ! -e "$ROOT/$ID" ]
	cgroup_gone "$ID"
}

@test "delete of a running container without --force fails and keeps it" {
	sleeper
	start_detached
	pid=$(init_pid "$ID")
	run volt delete "$ID"
	[ "$status" -eq 1 ]
	[[ "$output" == *"not stopped"* ]] || [[ "$output" == *running* ]]
	pid_alive "$pid"
	[ "$(state_field "$ID" status)" = running ]
	[ -d "$ROOT/$ID" ]
	cgroup_exists "$ID"
}

@test "start of a running container fails" {
	sleeper
	start_detached create
	volt start "$ID"
	run volt start "$ID"
	[ "$status" -eq 1 ]
	[[ "$output" == *running* ]]
	[ "$(state_field "$ID" status)" = running ]
}

@test "start of a stopped container fails" {
	cfg_args /bin/true
	start_detached
	wait_stopped "$ID"
	run volt start "$ID"
	[ "$status" -eq 1 ]
	[[ "$output" == *stopped* ]]
}

@test "kill of a stopped container fails" {
	cfg_args /bin/true
	start_detached
	wait_stopped "$ID"
	run volt kill "$ID" KILL
	[ "$status" -eq 1 ]
	[[ "$output" == *"not running"* ]]
}

@test "every command on a missing container fails with 'does not exist'" {
	local c
	for c in state start kill delete ps; do
		run volt "$c" "nope-$ID"
		echo "$c: $status $output"
		[ "$status" -eq 1 ]
		[[ "$output" == *"does not exist"* ]]
	done
}

@test "delete --force of a missing container succeeds" {
	run volt delete --force "nope-$ID"
	[ "$status" -eq 0 ]
}

@test "list shows containers as a table, ids and JSON" {
	sleeper
	start_detached create
	id1=$ID
	pid1=$(init_pid "$id1")
	ID=$id1-b
	cfg_args /bin/true
	start_detached
	wait_stopped "$ID"
	id2=$ID

	run volt list
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" == *ID*PID*STATUS*BUNDLE* ]]
	[ "${#lines[@]}" -eq 3 ]
	grep -Eq "^$id1 +$pid1 +created " <<<"$output"
	grep -Eq "^$id2 +0 +stopped " <<<"$output"

	run volt list -q
	[ "$status" -eq 0 ]
	[ "$(sort <<<"$output")" = "$(printf '%s\n' "$id1" "$id2" | sort)" ]

	run volt list --format json
	[ "$status" -eq 0 ]
	[ "$(jq length <<<"$output")" -eq 2 ]
	[ "$(jq -r --arg i "$id1" '.[] | select(.id == $i) | "\(.status) \(.pid)"' <<<"$output")" = "created $pid1" ]
	[ "$(jq -r --arg i "$id2" '.[] | select(.id == $i) | "\(.status) \(.pid)"' <<<"$output")" = "stopped 0" ]
}

@test "list of an empty root is an empty JSON array" {
	run volt list --format json
	[ "$status" -eq 0 ]
	[ "$(jq -c . <<<"$output")" = "[]" ]
}

@test "run passes the exit code through" {
	cfg_args /bin/volt-probe exit 3
	run volt run --bundle "$BUNDLE" "$ID"
	[ "$status" -eq 3 ]
	[ ! -e "$ROOT/$ID" ]
	cgroup_gone "$ID"
}

@test "run of a process killed by SIGKILL exits 137" {
	# Without a PID namespace the process is no init, so a signal to itself kills it.
	drop_ns pid
	cfg_args /bin/volt-probe signal-self 9
	run volt run --bundle "$BUNDLE" "$ID"
	[ "$status" -eq 137 ]
	[ ! -e "$ROOT/$ID" ]
}

@test "run of an init killed from outside by SIGKILL exits 137" {
	sleeper
	volt run --bundle "$BUNDLE" "$ID" </dev/null >/dev/null 2>&1 &
	runner=$!
	wait_status "$ID" running
	kill -KILL "$(init_pid "$ID")"
	rc=0
	wait "$runner" || rc=$?
	[ "$rc" -eq 137 ]
}

@test "run forwards SIGTERM to the container process" {
	cfg_args /bin/volt-probe pause
	# Not through the volt function: $! must be the runtime itself.
	"$VOLT_RUN" --root "$ROOT" run --bundle "$BUNDLE" "$ID" </dev/null >"$TEST_TMP/out" 2>&1 &
	runner=$!
	wait_status "$ID" running
	wait_signal_ready "$(init_pid "$ID")" TERM
	kill -TERM "$runner"
	rc=0
	wait "$runner" || rc=$?
	[ "$rc" -eq 0 ]
	[ "$(cat "$TEST_TMP/out")" = SIGTERM ]
}

@test "run -d returns while the process runs" {
	sleeper
	SECONDS=0
	volt run -d --bundle "$BUNDLE" "$ID" </dev/null >"$TEST_TMP/ct.out" 2>&1
	[ "$SECONDS" -lt 5 ]
	[ "$(state_field "$ID" status)" = running ]
	pid_alive "$(init_pid "$ID")"
}

@test "a second create with the same id fails and leaves the first untouched" {
	sleeper
	start_detached
	before=$(volt state "$ID")
	pid=$(init_pid "$ID")
	cfg_args /bin/true
	run volt create --bundle "$BUNDLE" "$ID" </dev/null
	[ "$status" -eq 1 ]
	[[ "$output" == *"already exists"* ]]
	[ "$(volt state "$ID")" = "$before" ]
	pid_alive "$pid"
	grep -qx "$pid" "/sys/fs/cgroup/pids/volt/$ID/cgroup.procs"
	# The first one still works.
	run volt kill "$ID" KILL
	[ "$status" -eq 0 ]
	wait_stopped "$ID"
	run volt delete "$ID"
	[ "$status" -eq 0 ]
}

@test "bad container ids are refused" {
	local bad
	for bad in ../x a/b "" .. . "a b" "$(printf 'a\nb')"; do
		run volt create --bundle "$BUNDLE" "$bad" </dev/null
		echo "id '$bad': $status $output"
		[ "$status" -eq 1 ]
		[[ "$output" == *"container id"* ]]
	done
	[ ! -e "$TEST_TMP/x" ]
	[ -z "$(ls -A "$ROOT")" ]
}
