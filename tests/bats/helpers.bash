# Shared helpers for Volt's bats tests. In a .bats file:
#
#   load helpers
#   setup() { setup_volt; }
#   teardown() { teardown_volt; }
#
#   @test "the probe sees the configured hostname" {
#       cfg '.hostname = "box"'
#       cfg_args /bin/volt-probe hostname
#       run volt run --bundle "$BUNDLE" "$ID"
#       [ "$status" -eq 0 ]
#       [ "$output" = box ]
#   }
#
# Every test gets its own state root ($ROOT), its own bundle directory with a
# copy of the base config ($BUNDLE/config.json = $CONFIG) and a unique
# container id ($ID). The rootfs is build/bundle/rootfs, shared by all tests:
# do not write into it (add a tmpfs with add_tmpfs where a test needs to write).
#
# Environment: VOLT_BUILD (build dir, default <repo>/build), VOLT_RUN (the
# runtime binary, default $VOLT_BUILD/volt-run; point it at runc to compare).

# jq filters are single-quoted on purpose.
# shellcheck disable=SC2016
VOLT_REPO=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)
VOLT_BUILD=${VOLT_BUILD:-build}
case "$VOLT_BUILD" in
/*) ;;
*) VOLT_BUILD="$VOLT_REPO/$VOLT_BUILD" ;;
esac
VOLT_RUN=${VOLT_RUN:-$VOLT_BUILD/volt-run}
VOLT_BUNDLE="$VOLT_BUILD/bundle"
VOLT_ROOTFS="$VOLT_BUNDLE/rootfs"
export VOLT_REPO VOLT_BUILD VOLT_RUN VOLT_BUNDLE VOLT_ROOTFS

setup_volt() {
	if [ ! -f "$VOLT_BUNDLE/config.json" ]; then
		echo "no bundle at $VOLT_BUNDLE (run: make bundle)" >&2
		return 1
	fi
	TEST_TMP=$(mktemp -d "${BATS_RUN_TMPDIR:-/tmp}/volt-test.XXXXXX")
	chmod 0755 "$TEST_TMP"
	ROOT="$TEST_TMP/state"
	BUNDLE="$TEST_TMP/bundle"
	CONFIG="$BUNDLE/config.json"
	mkdir -p "$ROOT" "$BUNDLE"
	jq --arg rootfs "$VOLT_ROOTFS" '.root.path = $rootfs' "$VOLT_BUNDLE/config.json" >"$CONFIG"
	# Short, unique and valid as a runc container id ([A-Za-z0-9_.-]).
	ID="t${BATS_SUITE_TEST_NUMBER:-$BATS_TEST_NUMBER}-$$-$RANDOM"
	export TEST_TMP ROOT BUNDLE CONFIG ID
}

# Run the runtime with this test's state root: `run volt state "$ID"`.
volt() {
	"$VOLT_RUN" --root "$ROOT" "$@"
}

# Edit this test's config.json in place with jq: cfg '.process.cwd = "/tmp"'.
# Options before the filter go to jq: cfg --arg d /x '.process.cwd = $d'.
cfg() {
	local out
	out=$(jq "$@" "$CONFIG") || {
		echo "cfg: jq $* failed" >&2
		return 1
	}
	printf '%s\n' "$out" >"$CONFIG"
}

# Set process.args: cfg_args /bin/volt-probe status NoNewPrivs
# (Each argument goes in as a named --arg, so values such as "-c" or "--" are
# never taken for jq options.)
cfg_args() {
	local i=0 a named=()
	for a in "$@"; do
		named+=(--arg "$i" "$a")
		i=$((i + 1))
	done
	cfg "${named[@]}" '.process.args = [range($ARGS.named | length) as $i | $ARGS.named[$i | tostring]]'
}

# Mount a fresh tmpfs at DEST (default /tmp) so the test can write there.
add_tmpfs() {
	cfg --arg d "${1:-/tmp}" \
		'.mounts += [{destination: $d, type: "tmpfs", source: "tmpfs", options: ["nosuid", "nodev", "mode=1777"]}]'
}

# Run the probe in a foreground container: `probe ids` then check $output/$status.
# Meant to be called through bats' run: run probe status NoNewPrivs
probe() {
	cfg_args /bin/volt-probe "$@"
	volt run --bundle "$BUNDLE" "$ID"
}

# Start this test's container in the background (`run -d`, or `create` when
# the first argument is "create"). The container's stdio goes to
# $TEST_TMP/ct.out and ct.err, never to the caller: a detached container
# holding bats' output pipe would make `run` wait for it.
start_detached() {
	if [ "${1:-}" = create ]; then
		volt create --bundle "$BUNDLE" "$ID" </dev/null >"$TEST_TMP/ct.out" 2>"$TEST_TMP/ct.err"
	else
		volt run -d --bundle "$BUNDLE" "$ID" </dev/null >"$TEST_TMP/ct.out" 2>"$TEST_TMP/ct.err"
	fi
}

# What a container started by start_detached has written to its stdout.
ct_output() {
	cat "$TEST_TMP/ct.out"
}

# The JSON of `volt state ID`, or one field of it: state_field ID status
state_field() {
	volt state "$1" | jq -r ".$2"
}

# The host pid of a container's init, from `volt state`.
init_pid() {
	state_field "$1" pid
}

# The value of FIELD in /proc/PID/status (e.g. NoNewPrivs, CapEff, SigCgt),
# without the "FIELD:" prefix, like `volt-probe status FIELD` prints it.
status_field() {
	local pid=$1 field=$2
	awk -v f="$field:" '$1 == f { $1 = ""; sub(/^[ \t]+/, ""); print; found = 1; exit } END { exit !found }' \
		"/proc/$pid/status"
}

# Poll until `volt state ID` reports STATUS (created, running, stopped, ...).
# TIMEOUT in seconds, default 5.
wait_status() {
	local id=$1 want=$2 timeout=${3:-5} got=""
	local deadline=$((SECONDS + timeout))
	while :; do
		got=$(state_field "$id" status 2>/dev/null) || got=""
		[ "$got" = "$want" ] && return 0
		if [ "$SECONDS" -ge "$deadline" ]; then
			echo "wait_status: $id is '$got', not '$want' after ${timeout}s" >&2
			return 1
		fi
		sleep 0.02
	done
}

wait_stopped() {
	wait_status "$1" stopped "${2:-5}"
}

# Wait until PID has installed a handler for SIG (default TERM), e.g. a
# `volt-probe pause` init: signals sent before that are dropped by a PID
# namespace init.
wait_signal_ready() {
	local pid=$1 sig=${2:-TERM} timeout=${3:-5} num mask
	num=$(kill -l "$sig") || return 1
	local deadline=$((SECONDS + timeout))
	while :; do
		mask=$(status_field "$pid" SigCgt 2>/dev/null) || mask=0
		if (((0x$mask >> (num - 1)) & 1)); then
			return 0
		fi
		if [ "$SECONDS" -ge "$deadline" ]; then
			echo "wait_signal_ready: pid $pid does not catch SIG$sig after ${timeout}s" >&2
			return 1
		fi
		sleep 0.02
	done
}

# True while PID exists and is not a zombie.
pid_alive() {
	local state
	state=$(awk '$1 == "State:" { print $2 }' "/proc/$1/status" 2>/dev/null) || return 1
	[ -n "$state" ] && [ "$state" != Z ] && [ "$state" != X ]
}

# Containers under this test's root: `volt list -q` plus state directories,
# so that a broken `list` does not leave containers behind.
_volt_ids() {
	{
		volt list -q 2>/dev/null || true
		find "$ROOT" -mindepth 1 -maxdepth 1 -type d -printf '%f\n' 2>/dev/null || true
	} | sort -u
}

teardown_volt() {
	[ -n "${TEST_TMP:-}" ] || return 0
	local id pid ours
	ours=$(readlink /proc/self/ns/pid)
	for id in $(_volt_ids); do
		pid=$(init_pid "$id" 2>/dev/null) || pid=""
		volt delete --force "$id" >/dev/null 2>&1 || true
		# If delete failed to stop it, do not leak the process: kill it when it
		# is still a container init (in a PID namespace other than ours).
		if [[ "$pid" =~ ^[0-9]+$ ]] && [ "$pid" -gt 0 ] && pid_alive "$pid" &&
			[ "$(readlink "/proc/$pid/ns/pid" 2>/dev/null)" != "$ours" ]; then
			echo "teardown_volt: $id (pid $pid) survived delete --force; killing it" >&2
			kill -KILL "$pid" 2>/dev/null || true
		fi
	done
	rm -rf --one-file-system "$TEST_TMP"
	unset TEST_TMP
}

# The v2 tests on this hybrid host use the machine's one cgroup2 hierarchy,
# and delegating hugetlb there (cgroup.subtree_control) outlives the test:
# the host could then no longer move hugetlb back to v1 (crun needs that).
# Call from setup_file to remember, and from teardown_file to undo.
unified_subtree_save() {
	UNIFIED_SUBTREE_BEFORE=$(cat /sys/fs/cgroup/unified/cgroup.subtree_control 2>/dev/null || true)
	export UNIFIED_SUBTREE_BEFORE
}
unified_subtree_restore() {
	[ -d /sys/fs/cgroup/unified ] || return 0
	[[ " ${UNIFIED_SUBTREE_BEFORE:-} " == *" hugetlb "* ]] && return 0
	# Deepest first: a parent cannot drop a controller its children delegate.
	find /sys/fs/cgroup/unified -mindepth 1 -depth -type d 2>/dev/null | while read -r d; do
		grep -qw hugetlb "$d/cgroup.subtree_control" 2>/dev/null &&
			echo -hugetlb >"$d/cgroup.subtree_control" 2>/dev/null
	done
	if grep -qw hugetlb /sys/fs/cgroup/unified/cgroup.subtree_control 2>/dev/null; then
		echo -hugetlb >/sys/fs/cgroup/unified/cgroup.subtree_control 2>/dev/null || true
	fi
	return 0
}
