# Extra helpers for the lifecycle, config, namespace/filesystem and terminal
# suites (10-*.bats .. 40-*.bats). Load after helpers:
#
#   load helpers
#   load lifecycle-helpers

# shellcheck disable=SC2016

# Every mounted hierarchy (v1 controllers, name=systemd, the unified one).
# Read from the mount table: a directory under /sys/fs/cgroup that is not a
# mount point is no hierarchy.
CG_HIERARCHIES=$(awk '{ for (i = 7; $i != "-"; i++); t = $(i + 1) }
	(t == "cgroup" || t == "cgroup2") && index($5, "/sys/fs/cgroup/") == 1 { sub("/sys/fs/cgroup/", "", $5); print $5 }' /proc/self/mountinfo)

# True when no hierarchy holds the container's default cgroup /volt/<id>.
cgroup_gone() {
	local h
	for h in $CG_HIERARCHIES; do
		if [ -e "/sys/fs/cgroup/$h/volt/$1" ]; then
			echo "cgroup_gone: /sys/fs/cgroup/$h/volt/$1 still exists" >&2
			return 1
		fi
	done
}

# True when every hierarchy holds /volt/<id>.
cgroup_exists() {
	local h
	for h in $CG_HIERARCHIES; do
		if [ ! -d "/sys/fs/cgroup/$h/volt/$1" ]; then
			echo "cgroup_exists: /sys/fs/cgroup/$h/volt/$1 is missing" >&2
			return 1
		fi
	done
}

# Number of mounts in the test's (host) mount namespace at or under this
# test's directories or the build tree (where a leaked mount of a failed
# create or an escape would land). Mounts elsewhere are not counted: other
# test suites may mount and unmount things on this machine meanwhile.
host_mounts() {
	awk -v a="$TEST_TMP" -v b="$VOLT_BUILD" \
		'index($5, a) == 1 || index($5, b) == 1 || index($4, a) == 1 { n++ } END { print n + 0 }' \
		/proc/self/mountinfo
}

# Bind-mount host directory SRC at DEST in the container (read-write unless
# a third argument "ro" is given).
add_bind() {
	local opts='["rbind"]'
	[ "${3:-}" = ro ] && opts='["rbind", "ro"]'
	cfg --arg s "$1" --arg d "$2" --argjson o "$opts" \
		'.mounts += [{destination: $d, type: "bind", source: $s, options: $o}]'
}

# Drop the namespace TYPE from linux.namespaces.
drop_ns() {
	cfg --arg t "$1" '.linux.namespaces |= map(select(.type != $t))'
}

# Poll until FILE exists (TIMEOUT seconds, default 5).
wait_file() {
	local f=$1 timeout=${2:-5}
	local deadline=$((SECONDS + timeout))
	until [ -e "$f" ]; do
		if [ "$SECONDS" -ge "$deadline" ]; then
			echo "wait_file: $f did not appear after ${timeout}s" >&2
			return 1
		fi
		sleep 0.02
	done
}

# Poll until PID is gone or a zombie (TIMEOUT seconds, default 5).
wait_pid_dead() {
	local pid=$1 timeout=${2:-5}
	local deadline=$((SECONDS + timeout))
	while pid_alive "$pid"; do
		if [ "$SECONDS" -ge "$deadline" ]; then
			echo "wait_pid_dead: $pid still alive after ${timeout}s" >&2
			return 1
		fi
		sleep 0.02
	done
}

# The inode of /proc/PID/ns/TYPE, e.g. "net:[4026531840]".
ns_of() {
	readlink "/proc/$1/ns/$2"
}

# A config must fail to create: exit 1, MESSAGE in the output, and nothing
# left behind (state dir, cgroup dir, host mounts). Call through `run`-less:
#   expect_create_fails "process.args"
expect_create_fails() {
	local want=$1 before after
	before=$(host_mounts)
	# Through a file, not a pipe: should create wrongly succeed, its blocked
	# init would hold the pipe open and hang the test.
	status=0
	volt create --bundle "$BUNDLE" "$ID" </dev/null >"$TEST_TMP/create.out" 2>&1 || status=$?
	output=$(cat "$TEST_TMP/create.out")
	mapfile -t lines <"$TEST_TMP/create.out"
	after=$(host_mounts)
	echo "status=$status output=$output" >&2
	[ "$status" -eq 1 ] || return 1
	[[ "$output" == *"$want"* ]] || return 1
	[ ! -e "$ROOT/$ID" ] || return 1
	cgroup_gone "$ID" || return 1
	[ "$before" -eq "$after" ] || {
		echo "expect_create_fails: host mounts $before -> $after" >&2
		return 1
	}
}
