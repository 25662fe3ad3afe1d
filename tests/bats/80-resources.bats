#!/usr/bin/env bats
# linux.resources, pause/resume, update and events on real containers. The
# cgroup files are checked from outside. On this host (v1 controllers plus a
# cgroup2 mount holding hugetlb) the v1 writer is used; the v2 writer runs
# in a private mount namespace on a cgroup2 mount, where only what that
# hierarchy has can be checked (hugetlb, the eBPF device program, freeze).

load helpers

setup_file() {
	unified_subtree_save
}

teardown_file() {
	unified_subtree_restore
}

CG=/sys/fs/cgroup

setup() {
	setup_volt
}

teardown() {
	[ -n "${EVENTS_PID:-}" ] && kill "$EVENTS_PID" 2>/dev/null || true
	teardown_volt
}

# Set linux.resources from a JSON literal.
resources() {
	cfg --argjson r "$1" '.linux.resources = $r'
}

# Wait until FILE holds WANT (e.g. pids.current reaching the limit).
wait_file() {
	local file=$1 want=$2 i
	for i in $(seq 100); do
		[ "$(cat "$file" 2>/dev/null)" = "$want" ] && return 0
		sleep 0.05
	done
	echo "wait_file: $file is '$(cat "$file" 2>/dev/null)', not '$want'" >&2
	return 1
}

# Nothing left of a container whose create failed.
nothing_left() {
	local id=$1 h
	[ ! -e "$ROOT/$id" ] || {
		echo "state dir left" >&2
		return 1
	}
	for h in memory cpu pids blkio devices freezer unified; do
		[ ! -e "$CG/$h/volt/$id" ] || {
			echo "cgroup $CG/$h/volt/$id left" >&2
			return 1
		}
	done
}

@test "resources: every limit lands in its v1 file (hugetlb in the cgroup2 part)" {
	resources '{
		"memory": {"limit": 33554432, "swap": 67108864, "reservation": 16777216, "swappiness": 10,
			   "kernel": 1048576},
		"cpu": {"shares": 512, "quota": 50000, "period": 100000, "cpus": "0", "mems": "0"},
		"pids": {"limit": 40},
		"blockIO": {"throttleReadBpsDevice": [{"major": 254, "minor": 0, "rate": 1048576}],
			    "throttleWriteIOPSDevice": [{"major": 254, "minor": 0, "rate": 300}]},
		"hugepageLimits": [{"pageSize": "2MB", "limit": 4194304}],
		"devices": [{"allow": false, "access": "rwm"},
			    {"allow": false, "type": "c", "major": 1, "minor": 3, "access": "rwm"}]
	}'
	cfg_args /bin/volt-probe pause
	start_detached
	[ "$(cat $CG/memory/volt/$ID/memory.limit_in_bytes)" = 33554432 ]
	[ "$(cat $CG/memory/volt/$ID/memory.memsw.limit_in_bytes)" = 67108864 ]
	[ "$(cat $CG/memory/volt/$ID/memory.soft_limit_in_bytes)" = 16777216 ]
	[ "$(cat $CG/memory/volt/$ID/memory.swappiness)" = 10 ]
	[ "$(cat $CG/cpu/volt/$ID/cpu.shares)" = 512 ]
	[ "$(cat $CG/cpu/volt/$ID/cpu.cfs_quota_us)" = 50000 ]
	[ "$(cat $CG/cpu/volt/$ID/cpu.cfs_period_us)" = 100000 ]
	[ "$(cat $CG/cpuset/volt/$ID/cpuset.cpus)" = 0 ]
	[ "$(cat $CG/pids/volt/$ID/pids.max)" = 40 ]
	[ "$(cat $CG/blkio/volt/$ID/blkio.throttle.read_bps_device)" = "254:0 1048576" ]
	[ "$(cat $CG/blkio/volt/$ID/blkio.throttle.write_iops_device)" = "254:0 300" ]
	[ "$(cat $CG/unified/volt/$ID/hugetlb.2MB.max)" = 4194304 ]
	run cat $CG/devices/volt/$ID/devices.list
	echo "$output"
	[[ "$output" == *"c 1:5 rwm"* ]]
	[[ "$output" != *"c 1:3 "* ]]
	[[ "$output" != *"a *:* rwm"* ]]
}

@test "resources: a device deny rule for /dev/null makes it unreadable in the container" {
	resources '{"devices": [{"allow": false, "access": "rwm"},
				{"allow": false, "type": "c", "major": 1, "minor": 3, "access": "rwm"}]}'
	run probe read /dev/null
	echo "$output"
	[ "$status" -ne 0 ]
	[[ "$output" == *EPERM* ]]
	cfg_args /bin/sh -c 'head -c 5 /dev/zero | wc -c'
	run volt run --bundle "$BUNDLE" "$ID"
	[ "$status" -eq 0 ]
	[ "$output" = 5 ]
}

@test "resources: blockIO.weight on a host without weight support fails create and leaves nothing" {
	resources '{"blockIO": {"weight": 500}}'
	run volt create --bundle "$BUNDLE" "$ID"
	echo "$output"
	[ "$status" -ne 0 ]
	[[ "$output" == *"linux.resources.blockIO.weight"* ]]
	[[ "$output" == *"blkio.weight"* ]]
	nothing_left "$ID"
}

@test "resources: network.classID without net_cls fails create and leaves nothing" {
	resources '{"network": {"classID": 1048577}}'
	run volt create --bundle "$BUNDLE" "$ID"
	echo "$output"
	[ "$status" -ne 0 ]
	[[ "$output" == *"linux.resources.network.classID"* ]]
	[[ "$output" == *net_cls* ]]
	nothing_left "$ID"
}

@test "resources: unified key on the v1 side is a clear error" {
	resources '{"unified": {"memory.high": "1000000"}}'
	run volt create --bundle "$BUNDLE" "$ID"
	echo "$output"
	[ "$status" -ne 0 ]
	[[ "$output" == *'linux.resources.unified[\"memory.high\"]'* ]]
	nothing_left "$ID"
}

@test "containment: a memory hog is OOM-killed in its cgroup, events reports it, the neighbour lives on" {
	local other="$ID-other"
	# the neighbour, no limit
	cfg_args /bin/volt-probe pause
	volt run -d --bundle "$BUNDLE" "$other" </dev/null >/dev/null 2>&1
	resources '{"memory": {"limit": 33554432}}'
	cfg_args /bin/sh -c 'sleep 1; x=0123456789abcdef; while :; do x=$x$x; done'
	start_detached
	volt events --interval 30s "$ID" >"$TEST_TMP/events" 2>&1 &
	EVENTS_PID=$!
	wait_stopped "$ID" 20
	run cat $CG/memory/volt/$ID/memory.oom_control
	echo "$output"
	[[ "$output" == *"oom_kill 1"* ]] || [[ "$output" == *"oom_kill "[1-9]* ]]
	[ "$(cat $CG/memory/volt/$ID/memory.failcnt)" -gt 0 ]
	for _ in $(seq 50); do grep -q '"type":"oom"' "$TEST_TMP/events" && break; sleep 0.1; done
	cat "$TEST_TMP/events"
	grep -q "{\"type\":\"oom\",\"id\":\"$ID\"}" "$TEST_TMP/events"
	# the events stream ends with the container
	for _ in $(seq 50); do kill -0 "$EVENTS_PID" 2>/dev/null || break; sleep 0.1; done
	! kill -0 "$EVENTS_PID" 2>/dev/null
	[ "$(state_field "$other" status)" = running ]
}

@test "containment: an OOM-killed foreground container exits 137" {
	resources '{"memory": {"limit": 33554432}}'
	cfg_args /bin/sh -c 'x=0123456789abcdef; while :; do x=$x$x; done'
	run volt run --bundle "$BUNDLE" "$ID"
	[ "$status" -eq 137 ]
}

@test "containment: a fork bomb stops at pids.max and the container still dies on kill" {
	resources '{"pids": {"limit": 20}}'
	# The bomb dies at its first refused fork; the loop around it keeps one
	# alive (its own forks fit in the slot the dead bomb frees).
	cfg_args /bin/sh -c 'while :; do (while :; do sleep 100 & done) 2>/dev/null; sleep 0.2; done'
	start_detached
	wait_file $CG/pids/volt/$ID/pids.current 20
	[ "$(cat $CG/pids/volt/$ID/pids.max)" = 20 ]
	[ "$(cat $CG/pids/volt/$ID/pids.events | awk '{print $2}')" -gt 0 ]
	volt kill --all "$ID" KILL
	wait_stopped "$ID" 10
}

@test "update: raises and lowers limits of a running container" {
	resources '{"memory": {"limit": 67108864}, "pids": {"limit": 30}, "cpu": {"quota": 20000, "period": 100000}}'
	cfg_args /bin/volt-probe pause
	start_detached
	[ "$(cat $CG/memory/volt/$ID/memory.limit_in_bytes)" = 67108864 ]
	volt update --memory 128m --pids-limit 60 --cpu-quota 50000 --cpu-shares 256 "$ID"
	[ "$(cat $CG/memory/volt/$ID/memory.limit_in_bytes)" = 134217728 ]
	[ "$(cat $CG/pids/volt/$ID/pids.max)" = 60 ]
	[ "$(cat $CG/cpu/volt/$ID/cpu.cfs_quota_us)" = 50000 ]
	[ "$(cat $CG/cpu/volt/$ID/cpu.shares)" = 256 ]
	volt update --memory 32M --memory-swap 64m --pids-limit -1 "$ID"
	[ "$(cat $CG/memory/volt/$ID/memory.limit_in_bytes)" = 33554432 ]
	[ "$(cat $CG/memory/volt/$ID/memory.memsw.limit_in_bytes)" = 67108864 ]
	[ "$(cat $CG/pids/volt/$ID/pids.max)" = max ]
	echo '{"memory": {"limit": 50331648, "swap": 100663296}, "cpu": {"quota": -1}}' | volt update --resources - "$ID"
	[ "$(cat $CG/memory/volt/$ID/memory.limit_in_bytes)" = 50331648 ]
	[ "$(cat $CG/memory/volt/$ID/memory.memsw.limit_in_bytes)" = 100663296 ]
	[ "$(cat $CG/cpu/volt/$ID/cpu.cfs_quota_us)" = -1 ]
	run volt update --blkio-weight 500 "$ID"
	[ "$status" -ne 0 ]
	[[ "$output" == *"resources.blockIO.weight"* ]]
	run volt update --memory 12q "$ID"
	[ "$status" -ne 0 ]
}

@test "pause and resume: state, freezer.state and the frozen process" {
	cfg_args /bin/volt-probe pause
	start_detached
	local pid
	pid=$(init_pid "$ID")
	run volt resume "$ID"
	[ "$status" -eq 1 ]
	[[ "$output" == *"not paused"* ]]
	volt pause "$ID"
	[ "$(state_field "$ID" status)" = paused ]
	[ "$(cat $CG/freezer/volt/$ID/freezer.state)" = FROZEN ]
	# a frozen task sits in the freezer's uninterruptible sleep
	[[ "$(status_field "$pid" State)" == D* ]]
	run volt pause "$ID"
	[ "$status" -eq 1 ]
	[[ "$output" == *"not running"* ]]
	volt resume "$ID"
	[ "$(state_field "$ID" status)" = running ]
	[ "$(cat $CG/freezer/volt/$ID/freezer.state)" = THAWED ]
	[[ "$(status_field "$pid" State)" != D* ]]
}

@test "pause: a created (not started) container cannot be paused" {
	cfg_args /bin/volt-probe pause
	start_detached create
	run volt pause "$ID"
	[ "$status" -eq 1 ]
	[[ "$output" == *"not running"* ]]
}

@test "events --stats prints one runc-style JSON object" {
	resources '{"memory": {"limit": 67108864}, "pids": {"limit": 50}}'
	cfg_args /bin/volt-probe pause
	start_detached
	run volt events --stats "$ID"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 1 ]
	echo "$output" | jq -e --arg id "$ID" '.type == "stats" and .id == $id' >/dev/null
	echo "$output" | jq -e '.data.memory.usage.usage > 0 and .data.memory.usage.limit == 67108864' >/dev/null
	echo "$output" | jq -e '.data.pids.current >= 1 and .data.pids.limit == 50' >/dev/null
	echo "$output" | jq -e '.data.cpu.usage.total > 0 and (.data.cpu.usage.percpu | length) >= 1' >/dev/null
	echo "$output" | jq -e '.data.memory.raw | has("rss")' >/dev/null
	echo "$output" | jq -e '.data.hugetlb | type == "object"' >/dev/null
}

@test "events: a stream emits stats per interval and ends when the container stops" {
	cfg_args /bin/sh -c 'sleep 1'
	start_detached
	run timeout 10 "$VOLT_RUN" --root "$ROOT" events --interval 300ms "$ID"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -ge 2 ]
	echo "${lines[0]}" | jq -e '.type == "stats"' >/dev/null
}

# Run a script in a private mount namespace where /sys/fs/cgroup is a cgroup2.
in_v2() {
	unshare -m --propagation private sh -euc '
		mount -t cgroup2 none /sys/fs/cgroup
		'"$1"
}

@test "cgroup v2: hugetlb limit, eBPF device program and freeze" {
	cfg '.linux.namespaces |= map(select(.type != "cgroup"))'
	resources '{"hugepageLimits": [{"pageSize": "2MB", "limit": 4194304}],
		    "devices": [{"allow": false, "access": "rwm"},
				{"allow": false, "type": "c", "major": 1, "minor": 3, "access": "rwm"}]}'
	cfg_args /bin/sh -c 'if cat /dev/null; then echo null-ok; else echo null-denied; fi
			     head -c 3 /dev/zero | wc -c; exec /bin/volt-probe pause'
	run in_v2 "
		'$VOLT_RUN' --root '$ROOT' run -d --bundle '$BUNDLE' '$ID' </dev/null >'$TEST_TMP/ct.out' 2>&1
		echo huge \$(cat /sys/fs/cgroup/volt/$ID/hugetlb.2MB.max)
		'$VOLT_RUN' --root '$ROOT' pause '$ID'
		echo \$('$VOLT_RUN' --root '$ROOT' state '$ID' | jq -r .status) \$(grep frozen /sys/fs/cgroup/volt/$ID/cgroup.events)
		'$VOLT_RUN' --root '$ROOT' resume '$ID'
		echo \$('$VOLT_RUN' --root '$ROOT' state '$ID' | jq -r .status) \$(grep frozen /sys/fs/cgroup/volt/$ID/cgroup.events)
		'$VOLT_RUN' --root '$ROOT' events --stats '$ID' | jq -c .data.hugetlb
		'$VOLT_RUN' --root '$ROOT' delete -f '$ID'
		cat '$TEST_TMP/ct.out'"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "huge 4194304" ]
	[ "${lines[1]}" = "paused frozen 1" ]
	[ "${lines[2]}" = "running frozen 0" ]
	[[ "${lines[3]}" == *'"2MB":{"usage":0,"max":4194304'* ]]
	[[ "$output" == *null-denied* ]]
	[[ "$output" == *"Operation not permitted"* ]]
	[ "${lines[-1]}" = 3 ]
}

@test "cgroup v2: a v1-only value is a clear error there" {
	cfg '.linux.namespaces |= map(select(.type != "cgroup"))'
	resources '{"memory": {"swappiness": 30}}'
	run in_v2 "'$VOLT_RUN' --root '$ROOT' create --bundle '$BUNDLE' '$ID' || echo rc=\$?; test ! -e /sys/fs/cgroup/volt/$ID && echo gone"
	echo "$output"
	[[ "$output" == *"linux.resources.memory.swappiness"* ]]
	[[ "$output" == *"rc=1"* ]]
	[[ "$output" == *gone* ]]
}
