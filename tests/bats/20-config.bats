#!/usr/bin/env bats
# config.json: bad configs fail cleanly (one clear error, no leftovers), and
# the process fields reach the container's process (seen from inside through
# volt-probe, or from outside through /proc/PID).

load helpers
load lifecycle-helpers

setup() {
	setup_volt
}

teardown() {
	teardown_volt
}

# --- bad configs: exit 1, the field named, no state dir, cgroup or mount ---

@test "malformed JSON is refused with no leftovers" {
	printf '{"ociVersion": "1.2.0", "process": {' >"$CONFIG"
	expect_create_fails config.json
	[ "${#lines[@]}" -eq 1 ]
}

@test "process.args of the wrong type is refused naming the field" {
	cfg '.process.args = "/bin/true"'
	expect_create_fails process.args
	[ "${#lines[@]}" -eq 1 ]
}

@test "empty process.args is refused naming the field" {
	cfg '.process.args = []'
	expect_create_fails process.args
}

@test "a config without process is refused" {
	cfg 'del(.process)'
	expect_create_fails process
	[ "${#lines[@]}" -eq 1 ]
}

@test "a missing rootfs directory is refused naming root.path" {
	cfg '.root.path = "no-such-rootfs"'
	expect_create_fails root.path
	[[ "$output" == *no-such-rootfs* ]]
}

@test "a bad ociVersion is refused" {
	cfg '.ociVersion = "banana"'
	expect_create_fails ociVersion
}

@test "an unknown namespace type is refused" {
	cfg '.linux.namespaces += [{"type": "bogus"}]'
	expect_create_fails bogus
	[[ "$output" == *namespaces* ]]
}

@test "a failing createRuntime hook aborts create with no leftovers" {
	cfg '.hooks.createRuntime = [{"path": "/bin/false"}]'
	cfg_args /bin/volt-probe sleep 100
	expect_create_fails createRuntime
	# No container init survives either.
	[ -z "$(pgrep -f "volt-run --root $ROOT create")" ]
}

@test "a missing hook binary aborts create with no leftovers" {
	cfg '.hooks.createRuntime = [{"path": "/nonexistent/hook"}]'
	expect_create_fails /nonexistent/hook
}

# --- process fields seen from inside ---

@test "process.user uid, gid and additionalGids" {
	cfg '.process.user = {"uid": 1000, "gid": 1001, "additionalGids": [10, 20]}'
	run probe ids
	[ "$status" -eq 0 ]
	[ "$output" = "uid=1000 gid=1001 groups=10,20" ]
}

@test "root without additionalGids has no supplementary groups" {
	run probe ids
	[ "$status" -eq 0 ]
	[ "$output" = "uid=0 gid=0 groups=" ]
}

@test "process.user.umask" {
	cfg '.process.user.umask = 63'
	run probe umask
	[ "$status" -eq 0 ]
	[ "$output" = 0077 ]
}

@test "the default umask is 0022" {
	run probe umask
	[ "$status" -eq 0 ]
	[ "$output" = 0022 ]
}

@test "process.cwd" {
	cfg '.process.cwd = "/etc"'
	run probe cwd
	[ "$status" -eq 0 ]
	[ "$output" = /etc ]
}

@test "process.env is exactly the environment" {
	cfg '.process.env = ["FOO=bar baz", "PATH=/bin", "EMPTY="]'
	run probe env
	[ "$status" -eq 0 ]
	[ "$(sort <<<"$output")" = "$(printf '%s\n' EMPTY= 'FOO=bar baz' PATH=/bin)" ]
}

@test "process.rlimits NOFILE" {
	run probe rlimit NOFILE
	[ "$status" -eq 0 ]
	[ "$output" = "1024 1024" ]
	teardown_volt
	setup_volt
	cfg '.process.rlimits = [{"type": "RLIMIT_NOFILE", "soft": 512, "hard": 2048}, {"type": "RLIMIT_CORE", "soft": 0, "hard": 0}]'
	run probe rlimit NOFILE
	[ "$output" = "512 2048" ]
	cfg_args /bin/volt-probe rlimit CORE
	run volt run --bundle "$BUNDLE" "$ID"
	[ "$output" = "0 0" ]
}

@test "an rlimit above the host's hard limit gives a clear error" {
	cfg '.process.rlimits = [{"type": "RLIMIT_NOFILE", "soft": 1024, "hard": 1048576}]'
	run probe rlimit NOFILE
	echo "$output"
	[ "$status" -ne 0 ]
	[[ "$output" == *"process.rlimits[0]"* ]]
	[[ "$output" == *RLIMIT_NOFILE* ]]
	[[ "$output" != *"1024 1048576"* ]]
	[ ! -e "$ROOT/$ID" ]
	cgroup_gone "$ID"
}

@test "an unknown rlimit type is refused" {
	cfg '.process.rlimits = [{"type": "RLIMIT_BOGUS", "soft": 1, "hard": 1}]'
	expect_create_fails RLIMIT_BOGUS
}

@test "noNewPrivileges true sets NoNewPrivs (seen from outside)" {
	cfg '.process.noNewPrivileges = true'
	cfg_args /bin/volt-probe sleep 10
	start_detached
	[ "$(status_field "$(init_pid "$ID")" NoNewPrivs)" = 1 ]
}

@test "noNewPrivileges false leaves NoNewPrivs 0" {
	cfg '.process.noNewPrivileges = false'
	cfg_args /bin/volt-probe sleep 10
	start_detached
	[ "$(status_field "$(init_pid "$ID")" NoNewPrivs)" = 0 ]
}

@test "oomScoreAdj is applied (seen from outside)" {
	cfg '.process.oomScoreAdj = 500'
	cfg_args /bin/volt-probe sleep 10
	start_detached
	[ "$(cat "/proc/$(init_pid "$ID")/oom_score_adj")" = 500 ]
}

@test "oomScoreAdj goes to the kernel even when the bundle mounts a decoy over /proc" {
	mkdir -p "$TEST_TMP/decoy/self"
	echo 0 >"$TEST_TMP/decoy/self/oom_score_adj"
	cfg '.process.oomScoreAdj = 321'
	cfg ".mounts |= map(select(.destination != \"/proc\")) | .mounts += [{\"destination\": \"/proc\", \"type\": \"bind\", \"source\": \"$TEST_TMP/decoy\", \"options\": [\"rbind\"]}]"
	cfg_args /bin/volt-probe sleep 10
	start_detached
	[ "$(cat "/proc/$(init_pid "$ID")/oom_score_adj")" = 321 ]
	[ "$(cat "$TEST_TMP/decoy/self/oom_score_adj")" = 0 ]
}

@test "capabilities: only CAP_KILL in every set (seen from outside)" {
	cfg '.process.capabilities = {"bounding": ["CAP_KILL"], "effective": ["CAP_KILL"], "permitted": ["CAP_KILL"]}'
	cfg_args /bin/volt-probe sleep 10
	start_detached
	pid=$(init_pid "$ID")
	[ "$(status_field "$pid" CapEff)" = 0000000000000020 ]
	[ "$(status_field "$pid" CapPrm)" = 0000000000000020 ]
	[ "$(status_field "$pid" CapBnd)" = 0000000000000020 ]
	[ "$(status_field "$pid" CapInh)" = 0000000000000000 ]
	[ "$(status_field "$pid" CapAmb)" = 0000000000000000 ]
}

@test "capabilities: the default bundle set (AUDIT_WRITE, KILL, NET_BIND_SERVICE)" {
	cfg_args /bin/volt-probe sleep 10
	start_detached
	pid=$(init_pid "$ID")
	# bits 29, 5, 10
	[ "$(status_field "$pid" CapEff)" = 0000000020000420 ]
	[ "$(status_field "$pid" CapBnd)" = 0000000020000420 ]
}

@test "capabilities: a non-root user keeps ambient capabilities across exec" {
	cfg '.process.user = {"uid": 1000, "gid": 1000}'
	cfg '.process.capabilities = {"bounding": ["CAP_KILL", "CAP_CHOWN"], "effective": ["CAP_KILL"],
		"permitted": ["CAP_KILL"], "inheritable": ["CAP_KILL"], "ambient": ["CAP_KILL"]}'
	cfg_args /bin/volt-probe sleep 10
	start_detached
	pid=$(init_pid "$ID")
	[ "$(awk '$1 == "Uid:" { print $2 }' "/proc/$pid/status")" = 1000 ]
	[ "$(status_field "$pid" CapEff)" = 0000000000000020 ]
	[ "$(status_field "$pid" CapAmb)" = 0000000000000020 ]
	[ "$(status_field "$pid" CapBnd)" = 0000000000000021 ]
}

@test "capabilities: a non-root user without ambient ones has none after exec" {
	cfg '.process.user = {"uid": 1000, "gid": 1000}'
	cfg '.process.capabilities = {"bounding": ["CAP_KILL"], "effective": ["CAP_KILL"], "permitted": ["CAP_KILL"]}'
	cfg_args /bin/volt-probe sleep 10
	start_detached
	pid=$(init_pid "$ID")
	[ "$(status_field "$pid" CapEff)" = 0000000000000000 ]
	[ "$(status_field "$pid" CapBnd)" = 0000000000000020 ]
}

@test "an unknown capability name is an error" {
	cfg '.process.capabilities.bounding += ["CAP_NOPE"]'
	cfg_args /bin/true
	run volt run --bundle "$BUNDLE" "$ID"
	echo "$output"
	[ "$status" -eq 1 ]
	[[ "$output" == *CAP_NOPE* ]]
	[ ! -e "$ROOT/$ID" ]
	cgroup_gone "$ID"
}

@test "hostname and domainname" {
	cfg '.hostname = "box1" | .domainname = "example.org"'
	run probe hostname
	[ "$status" -eq 0 ]
	[ "$output" = box1 ]
	cfg_args /bin/volt-probe domainname
	run volt run --bundle "$BUNDLE" "$ID"
	[ "$status" -eq 0 ]
	[ "$output" = example.org ]
	[ "$(hostname)" != box1 ]
}

@test "hostname without a new uts namespace is refused" {
	drop_ns uts
	cfg '.hostname = "box1"'
	run probe hostname
	[ "$status" -eq 1 ]
	[[ "$output" == *hostname* ]]
	[ "$(hostname)" != box1 ]
}

@test "annotations from the config appear in state and list" {
	cfg '.annotations = {"io.example/a": "1", "b": "two words"}'
	cfg_args /bin/volt-probe sleep 10
	start_detached
	[ "$(volt state "$ID" | jq -c .annotations)" = '{"io.example/a":"1","b":"two words"}' ]
	[ "$(volt list --format json | jq -r '.[0].annotations.b')" = "two words" ]
}

@test "root.path relative to the bundle" {
	ln -s "$VOLT_ROOTFS" "$BUNDLE/rootfs"
	cfg '.root.path = "rootfs"'
	cfg_args /bin/volt-probe sleep 10
	start_detached
	[ "$(state_field "$ID" rootfs)" = "$(realpath "$VOLT_ROOTFS")" ]
	[ "$(stat -L -c %i "/proc/$(init_pid "$ID")/root/bin/volt-probe")" = "$(stat -c %i "$VOLT_ROOTFS/bin/volt-probe")" ]
}

@test "root.path absolute" {
	cfg --arg r "$VOLT_ROOTFS" '.root.path = $r'
	run probe stat /bin/volt-probe
	[ "$status" -eq 0 ]
	[[ "$output" == "file "* ]]
}

@test "root.readonly makes / read-only" {
	cfg '.root.readonly = true'
	run probe write /x
	[ "$status" -eq 1 ]
	[ "$output" = EROFS ]
	[ ! -e "$VOLT_ROOTFS/x" ]
}

@test "root.readonly false leaves / writable (on a private copy)" {
	cp -a "$VOLT_ROOTFS" "$TEST_TMP/rootfs"
	cfg --arg r "$TEST_TMP/rootfs" '.root.path = $r | .root.readonly = false'
	run probe write /x hello
	[ "$status" -eq 0 ]
	[ "$(cat "$TEST_TMP/rootfs/x")" = hello ]
}
