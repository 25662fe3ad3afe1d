#!/usr/bin/env bats
# Pure cgroup v2: in a private mount namespace the test mounts a cgroup2 on
# /sys/fs/cgroup, so volt-run sees a v2-only host (the unified hierarchy of
# this machine, with the controllers it has there) and must make, use and
# remove its cgroup through the v2 manager.

load helpers

setup_file() {
	unified_subtree_save
}

teardown_file() {
	unified_subtree_restore
}

setup() {
	setup_volt
}

teardown() {
	teardown_volt
}

# Run a script in a private mount namespace where /sys/fs/cgroup is a cgroup2.
in_v2() {
	unshare -m --propagation private sh -euc '
		mount -t cgroup2 none /sys/fs/cgroup
		'"$1"
}

@test "cgroup v2: run puts the process in its own cgroup and delete removes it" {
	cfg_args /bin/sh -c 'grep "^0::" /proc/self/cgroup'
	cfg '.linux.namespaces |= map(select(.type != "cgroup"))'
	run in_v2 "'$VOLT_RUN' --root '$ROOT' run --bundle '$BUNDLE' '$ID'; test ! -e /sys/fs/cgroup/volt/$ID && echo removed"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" == "0::/volt/$ID" ]]
	[ "${lines[1]}" = removed ]
}

@test "cgroup v2: linux.cgroupsPath is honoured and kill --all empties it" {
	cfg --arg p "/volt-v2-test/$ID" '.linux.cgroupsPath = $p'
	cfg_args /bin/sh -c 'sleep 100 & sleep 100 & exec sleep 100'
	run in_v2 "
		'$VOLT_RUN' --root '$ROOT' run -d --bundle '$BUNDLE' '$ID' </dev/null >/dev/null 2>&1
		sleep 0.2
		echo procs \$(wc -l < /sys/fs/cgroup/volt-v2-test/$ID/cgroup.procs)
		'$VOLT_RUN' --root '$ROOT' kill --all '$ID' KILL
		for i in \$(seq 50); do [ -s /sys/fs/cgroup/volt-v2-test/$ID/cgroup.procs ] || break; sleep 0.05; done
		echo after \$(wc -l < /sys/fs/cgroup/volt-v2-test/$ID/cgroup.procs)
		'$VOLT_RUN' --root '$ROOT' delete '$ID'
		test ! -e /sys/fs/cgroup/volt-v2-test/$ID && echo removed
		rmdir /sys/fs/cgroup/volt-v2-test"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "procs 3" ]
	[ "${lines[1]}" = "after 0" ]
	[ "${lines[2]}" = removed ]
}
