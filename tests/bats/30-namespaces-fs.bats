#!/usr/bin/env bats
# Namespaces (new and joined), the container's filesystem (mounts, masked and
# read-only paths, devices, sysctl), escapes through symlinks in the rootfs,
# leaked fds, and the OCI hooks.

load helpers
load lifecycle-helpers

setup() {
	setup_volt
	NETNS=""
}

teardown() {
	teardown_volt
	if [ -n "$NETNS" ]; then
		ip netns del "$NETNS" 2>/dev/null || true
	fi
}

# Run the container in the background until it is killed.
sleep_detached() {
	cfg_args /bin/volt-probe sleep 100
	start_detached
	PID=$(init_pid "$ID")
}

# --- namespaces ---

@test "every configured namespace is new (inode differs from the host's)" {
	cfg '.linux.namespaces += [{"type": "time"}]'
	sleep_detached
	for t in pid net ipc uts mnt cgroup time; do
		echo "$t: $(ns_of "$PID" "$t") vs $(ns_of $$ "$t")"
		[ "$(ns_of "$PID" "$t")" != "$(ns_of $$ "$t")" ]
		[ "$(ns_of "$PID" "$t")" != "$(ns_of 1 "$t")" ]
	done
	# No user namespace asked for: the host's.
	[ "$(ns_of "$PID" user)" = "$(ns_of $$ user)" ]
}

@test "a namespace left out of the config is the host's" {
	drop_ns network
	drop_ns ipc
	sleep_detached
	[ "$(ns_of "$PID" net)" = "$(ns_of $$ net)" ]
	[ "$(ns_of "$PID" ipc)" = "$(ns_of $$ ipc)" ]
	[ "$(ns_of "$PID" uts)" != "$(ns_of $$ uts)" ]
}

@test "a network namespace is joined by path" {
	NETNS="volt-$ID"
	ip netns add "$NETNS"
	cfg --arg p "/var/run/netns/$NETNS" '.linux.namespaces |= map(if .type == "network" then .path = $p else . end)'
	sleep_detached
	[ "$(ns_of "$PID" net)" = "net:[$(stat -L -c %i "/var/run/netns/$NETNS")]" ]
	[ "$(ns_of "$PID" net)" != "$(ns_of $$ net)" ]
}

@test "uts and ipc namespaces of another container are joined by path" {
	sleep_detached
	first=$PID
	id1=$ID
	ID=$id1-2
	cfg --arg u "/proc/$first/ns/uts" --arg i "/proc/$first/ns/ipc" \
		'.hostname = null | .linux.namespaces |= map(if .type == "uts" then .path = $u elif .type == "ipc" then .path = $i else . end)'
	sleep_detached
	[ "$PID" != "$first" ]
	[ "$(ns_of "$PID" uts)" = "$(ns_of "$first" uts)" ]
	[ "$(ns_of "$PID" ipc)" = "$(ns_of "$first" ipc)" ]
	[ "$(ns_of "$PID" mnt)" != "$(ns_of "$first" mnt)" ]
}

@test "a namespace path that does not exist is refused" {
	cfg '.linux.namespaces |= map(if .type == "network" then .path = "/nonexistent/netns" else . end)'
	expect_create_fails /nonexistent/netns
}

@test "user namespace with uid/gid mappings: container root is host 100000" {
	cfg '.linux.namespaces += [{"type": "user"}]
		| .linux.uidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}]
		| .linux.gidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}]'
	sleep_detached
	[ "$(ns_of "$PID" user)" != "$(ns_of $$ user)" ]
	read -r c h s <"/proc/$PID/uid_map"
	[ "$c $h $s" = "0 100000 65536" ]
	read -r c h s <"/proc/$PID/gid_map"
	[ "$c $h $s" = "0 100000 65536" ]
	[ "$(stat -c %u "/proc/$PID")" = 100000 ]
	[ "$(stat -c %g "/proc/$PID")" = 100000 ]
	[ "$(awk '$1 == "Uid:" { print $2 }' "/proc/$PID/status")" = 100000 ]
}

@test "user namespace: inside, the process is uid 0" {
	cfg '.linux.namespaces += [{"type": "user"}]
		| .linux.uidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}]
		| .linux.gidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}]'
	run probe ids
	[ "$status" -eq 0 ]
	[ "$output" = "uid=0 gid=0 groups=" ]
}

@test "time namespace: the boottime offset shows in /proc/uptime" {
	cfg '.linux.namespaces += [{"type": "time"}] | .linux.timeOffsets = {"boottime": {"secs": 864000, "nanosecs": 0}}'
	run probe read /proc/uptime
	[ "$status" -eq 0 ]
	inside=${output%%.*}
	read -r host _ </proc/uptime
	host=${host%%.*}
	echo "inside $inside host $host"
	[ $((inside - host)) -ge 863990 ]
	[ $((inside - host)) -le 864010 ]
}

@test "timeOffsets without a time namespace is refused" {
	cfg '.linux.timeOffsets = {"boottime": {"secs": 10, "nanosecs": 0}}'
	expect_create_fails timeOffsets
}

# --- mounts ---

@test "a read-only bind mount refuses writes with EROFS" {
	mkdir "$TEST_TMP/host"
	echo keep >"$TEST_TMP/host/file"
	add_bind "$TEST_TMP/host" /run ro
	cfg_args /bin/volt-probe write /run/file changed
	run volt run --bundle "$BUNDLE" "$ID"
	[ "$status" -eq 1 ]
	[ "$output" = EROFS ]
	[ "$(cat "$TEST_TMP/host/file")" = keep ]
}

@test "a read-write bind mount reaches the host directory" {
	mkdir "$TEST_TMP/host"
	add_bind "$TEST_TMP/host" /run
	run probe write /run/file written
	[ "$status" -eq 0 ]
	[ "$(cat "$TEST_TMP/host/file")" = written ]
}

@test "tmpfs with size and mode" {
	cfg '.mounts += [{"destination": "/tmp", "type": "tmpfs", "source": "tmpfs", "options": ["nosuid", "size=1m", "mode=0700"]}]'
	run probe stat /tmp
	[ "$status" -eq 0 ]
	[ "$output" = "dir 0700" ]
	cfg_args /bin/volt-probe mounts
	run volt run --bundle "$BUNDLE" "$ID"
	line=$(awk '$5 == "/tmp"' <<<"$output")
	echo "$line"
	[[ "$line" == *" - tmpfs "* ]]
	[[ "$line" == *size=1024k* ]]
	[[ "$line" == *nosuid* ]]
}

@test "proc, sysfs (ro), devpts and mqueue are mounted" {
	run probe mounts
	[ "$status" -eq 0 ]
	awk '$5 == "/proc"' <<<"$output" | grep -q " - proc "
	sys=$(awk '$5 == "/sys"' <<<"$output")
	[[ "$sys" == *" - sysfs "* ]]
	[[ "$(cut -d' ' -f6 <<<"$sys")" == ro,* ]]
	awk '$5 == "/dev/pts"' <<<"$output" | grep -q " - devpts "
	awk '$5 == "/dev/mqueue"' <<<"$output" | grep -q " - mqueue "
	awk '$5 == "/dev/shm"' <<<"$output" | grep -q " - tmpfs "
	cfg_args /bin/volt-probe write /sys/kernel/volt-test x
	run volt run --bundle "$BUNDLE" "$ID"
	[ "$status" -eq 1 ]
	[ "$output" = EROFS ]
}

@test "mount propagation options are accepted" {
	mkdir "$TEST_TMP/a" "$TEST_TMP/b"
	cfg --arg a "$TEST_TMP/a" --arg b "$TEST_TMP/b" '.mounts += [
		{"destination": "/run", "type": "bind", "source": $a, "options": ["rbind", "rslave"]},
		{"destination": "/var", "type": "bind", "source": $b, "options": ["rbind", "rprivate"]},
		{"destination": "/tmp", "type": "tmpfs", "source": "tmpfs", "options": ["private"]}]
		| .linux.rootfsPropagation = "rslave"'
	run probe mounts
	[ "$status" -eq 0 ]
	awk '$5 == "/run"' <<<"$output" | grep -q .
	awk '$5 == "/var"' <<<"$output" | grep -q .
}

@test "an unknown mount option is refused" {
	cfg '.mounts += [{"destination": "/tmp", "type": "tmpfs", "source": "tmpfs", "options": ["bogusopt=1", "nosuid"]}]'
	before=$(host_mounts)
	run probe stat /tmp
	# Either refused outright, or passed to the filesystem which refuses it.
	[ "$status" -ne 0 ]
	[[ "$output" == *mounts* ]] || [[ "$output" == */tmp* ]]
	[ "$(host_mounts)" -eq "$before" ]
}

@test "maskedPaths: /proc/keys reads empty, a masked dir is empty" {
	# (This kernel has no /proc/kcore; /proc/keys is in the default list too.)
	cfg_args /bin/sh -c '/bin/volt-probe rdev /proc/keys; /bin/volt-probe read /proc/keys | wc -c'
	run volt run --bundle "$BUNDLE" "$ID"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = 1:3 ]
	[ "${lines[1]}" = 0 ]
	cfg '.linux.maskedPaths += ["/etc"]'
	cfg_args /bin/sh -c 'ls -A /etc | wc -l'
	run volt run --bundle "$BUNDLE" "$ID"
	[ "$status" -eq 0 ]
	[ "$output" = 0 ]
}

@test "readonlyPaths: writes to /proc/sys fail" {
	drop_ns network
	cfg_args /bin/volt-probe write /proc/sys/kernel/hostname x
	run volt run --bundle "$BUNDLE" "$ID"
	[ "$status" -eq 1 ]
	[ "$output" = EROFS ]
}

@test "default devices exist with the right major:minor" {
	cfg_args /bin/sh -c 'for d in null zero full random urandom tty; do echo "$d $(/bin/volt-probe rdev /dev/$d)"; done
		for l in ptmx fd stdin stdout stderr; do echo "$l -> $(readlink /dev/$l)"; done
		/bin/volt-probe stat /dev/pts; /bin/volt-probe stat /dev/shm'
	run volt run --bundle "$BUNDLE" "$ID"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "null 1:3" ]
	[ "${lines[1]}" = "zero 1:5" ]
	[ "${lines[2]}" = "full 1:7" ]
	[ "${lines[3]}" = "random 1:8" ]
	[ "${lines[4]}" = "urandom 1:9" ]
	[ "${lines[5]}" = "tty 5:0" ]
	[ "${lines[6]}" = "ptmx -> pts/ptmx" ]
	[ "${lines[7]}" = "fd -> /proc/self/fd" ]
	[ "${lines[8]}" = "stdin -> /proc/self/fd/0" ]
	[ "${lines[9]}" = "stdout -> /proc/self/fd/1" ]
	[ "${lines[10]}" = "stderr -> /proc/self/fd/2" ]
	[[ "${lines[11]}" == "dir "* ]]
	[[ "${lines[12]}" == "dir "* ]]
}

@test "/dev/null and /dev/zero work" {
	cfg_args /bin/sh -c 'echo x > /dev/null && head -c 4 /dev/zero | wc -c'
	run volt run --bundle "$BUNDLE" "$ID"
	[ "$status" -eq 0 ]
	[ "$output" = 4 ]
}

@test "a linux.devices entry is created with its type, numbers and mode" {
	cfg '.linux.devices = [{"path": "/dev/mynull", "type": "c", "major": 1, "minor": 3, "fileMode": 384, "uid": 0, "gid": 0}]'
	cfg_args /bin/sh -c '/bin/volt-probe rdev /dev/mynull; /bin/volt-probe stat /dev/mynull; /bin/volt-probe write /dev/mynull'
	run volt run --bundle "$BUNDLE" "$ID"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = 1:3 ]
	[ "${lines[1]}" = "chr 0600" ]
	[ "${lines[2]}" = ok ]
}

@test "linux.sysctl applies inside a new netns and not on the host" {
	host_before=$(cat /proc/sys/net/ipv4/ip_forward)
	cfg '.linux.sysctl = {"net.ipv4.ip_forward": "1"}'
	run probe read /proc/sys/net/ipv4/ip_forward
	[ "$status" -eq 0 ]
	[ "$output" = 1 ]
	[ "$(cat /proc/sys/net/ipv4/ip_forward)" = "$host_before" ]
}

@test "a net.* sysctl without a new netns is refused" {
	drop_ns network
	host_before=$(cat /proc/sys/net/ipv4/ip_forward)
	# The host's own value: should the runtime wrongly write it to the host's
	# netns, nothing changes on this machine.
	cfg --arg v "$host_before" '.linux.sysctl = {"net.ipv4.ip_forward": $v}'
	cfg_args /bin/true
	expect_create_fails net.ipv4.ip_forward
	[ "$(cat /proc/sys/net/ipv4/ip_forward)" = "$host_before" ]
}

# --- escapes through symlinks in the rootfs ---

# A private rootfs with a symlink "evil" pointing at TARGET, and a host dir
# $TEST_TMP/hostdir with a marker file.
evil_rootfs() {
	cp -a "$VOLT_ROOTFS" "$TEST_TMP/rootfs"
	mkdir "$TEST_TMP/hostdir"
	echo host >"$TEST_TMP/hostdir/marker"
	ln -s "$1" "$TEST_TMP/rootfs/evil"
	cfg --arg r "$TEST_TMP/rootfs" '.root.path = $r'
}

# The tmpfs at /evil must land inside the rootfs (or be refused): the host
# dir keeps its marker, the host mount table is unchanged, and a file written
# through /evil lands in the tmpfs, not in the rootfs copy nor on the host.
check_tmpfs_symlink_escape() {
	cfg '.mounts += [{"destination": "/evil", "type": "tmpfs", "source": "tmpfs", "options": ["nosuid"]}]'
	cfg_args /bin/sh -c 'echo pwned > /evil/marker; echo pwned > /evil/new; ls /evil'
	before=$(host_mounts)
	run volt run --bundle "$BUNDLE" "$ID"
	echo "status $status: $output"
	[ "$(host_mounts)" -eq "$before" ]
	[ "$(cat "$TEST_TMP/hostdir/marker")" = host ]
	[ ! -e "$TEST_TMP/hostdir/new" ]
	if [ "$status" -eq 0 ]; then
		# Mounted inside the rootfs: the writes went to the tmpfs.
		[ -z "$(find "$TEST_TMP/rootfs" -name new)" ]
	fi
	[ "$(grep -c "$TEST_TMP/hostdir" /proc/self/mountinfo)" -eq 0 ]
}

@test "escape: tmpfs on a symlink to an absolute host path stays in the rootfs" {
	evil_rootfs "$TEST_TMP/hostdir"
	check_tmpfs_symlink_escape
}

@test "escape: tmpfs on a symlink with ../../.. stays in the rootfs" {
	evil_rootfs "../../../../../../../../..$TEST_TMP/hostdir"
	check_tmpfs_symlink_escape
}

@test "escape: a bind mount destination through a symlink stays in the rootfs" {
	evil_rootfs "$TEST_TMP/hostdir"
	mkdir "$TEST_TMP/src"
	echo src >"$TEST_TMP/src/srcfile"
	add_bind "$TEST_TMP/src" /evil ro
	cfg_args /bin/true
	before=$(host_mounts)
	run volt run --bundle "$BUNDLE" "$ID"
	[ "$(host_mounts)" -eq "$before" ]
	[ "$(cat "$TEST_TMP/hostdir/marker")" = host ]
	[ ! -e "$TEST_TMP/hostdir/srcfile" ]
}

@test "escape: a maskedPaths entry through a symlink masks nothing on the host" {
	evil_rootfs "$TEST_TMP/hostdir"
	cfg '.linux.maskedPaths += ["/evil", "/evil/marker"]'
	cfg_args /bin/volt-probe sleep 100
	before=$(host_mounts)
	start_detached || true
	[ "$(host_mounts)" -eq "$before" ]
	[ "$(cat "$TEST_TMP/hostdir/marker")" = host ]
	if pid=$(init_pid "$ID" 2>/dev/null) && [ "$pid" -gt 0 ]; then
		# Seen through the container's own mount table: nothing at a host path.
		grep "$TEST_TMP/hostdir" "/proc/$pid/mountinfo" || true
		[ "$(grep -c "$TEST_TMP/hostdir" "/proc/$pid/mountinfo")" -eq 0 ]
	fi
}

@test "escape: a readonlyPaths entry through a symlink leaves the host dir writable" {
	evil_rootfs "$TEST_TMP/hostdir"
	cfg '.linux.readonlyPaths += ["/evil"]'
	cfg_args /bin/true
	before=$(host_mounts)
	run volt run --bundle "$BUNDLE" "$ID"
	[ "$(host_mounts)" -eq "$before" ]
	echo again >"$TEST_TMP/hostdir/marker"
	[ "$(cat "$TEST_TMP/hostdir/marker")" = again ]
}

@test "--no-pivot works" {
	cfg_args /bin/sh -c '/bin/volt-probe hostname; /bin/volt-probe stat /bin/volt-probe; /bin/volt-probe read /proc/self/mountinfo | wc -l'
	run volt run --no-pivot --bundle "$BUNDLE" "$ID"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = volt ]
	[[ "${lines[1]}" == "file "* ]]
	# Only the container's own mounts are visible, not the host's.
	[ "${lines[2]}" -lt "$(wc -l </proc/self/mountinfo)" ]
}

# --- fds ---

@test "the container process holds only fds 0, 1 and 2" {
	exec 7</dev/null 8</dev/null
	run probe fds
	exec 7<&- 8<&-
	[ "$status" -eq 0 ]
	[ "$output" = "0 1 2" ]
}

@test "--preserve-fds 2 passes exactly fds 3 and 4" {
	cfg_args /bin/volt-probe fds
	run volt run --preserve-fds 2 --bundle "$BUNDLE" "$ID" 3</dev/null 4</dev/null 5</dev/null
	[ "$status" -eq 0 ]
	[ "$output" = "0 1 2 3 4" ]
}

@test "--preserve-fds with run -d keeps the fds open in the container" {
	cfg_args /bin/sh -c '/bin/volt-probe fds; exec /bin/volt-probe sleep 100'
	volt run -d --preserve-fds 2 --bundle "$BUNDLE" "$ID" 3</dev/null 4</dev/null </dev/null >"$TEST_TMP/ct.out" 2>&1
	pid=$(init_pid "$ID")
	for _ in $(seq 100); do [ -s "$TEST_TMP/ct.out" ] && break; sleep 0.02; done
	[ "$(cat "$TEST_TMP/ct.out")" = "0 1 2 3 4" ]
	[ "$(readlink "/proc/$pid/fd/3")" = /dev/null ]
	[ ! -e "/proc/$pid/fd/5" ]
}

# --- hooks ---

# A host hook script: appends "KIND STATUS MNTNS" to $TEST_TMP/hooklog/hooks.log.
make_hook_script() {
	mkdir -p "$TEST_TMP/hooklog"
	cat >"$TEST_TMP/hook.sh" <<EOF
#!/bin/bash
st=\$(jq -r .status)
echo "\$1 \$st \$(readlink /proc/self/ns/mnt)" >>"$TEST_TMP/hooklog/hooks.log"
EOF
	chmod +x "$TEST_TMP/hook.sh"
}

hook_kinds() {
	cut -d' ' -f1,2 "$TEST_TMP/hooklog/hooks.log" 2>/dev/null | paste -sd, -
}

@test "hooks run once each, in order, with the state on stdin" {
	make_hook_script
	# startContainer runs inside the container: a busybox sh line, logging
	# through a bind mount of the host log dir at /run.
	add_bind "$TEST_TMP/hooklog" /run
	cfg --arg h "$TEST_TMP/hook.sh" '.hooks = {
		prestart: [{path: $h, args: [$h, "prestart"]}],
		createRuntime: [{path: $h, args: [$h, "createRuntime"]}],
		createContainer: [{path: $h, args: [$h, "createContainer"]}],
		startContainer: [{path: "/bin/sh", args: ["sh", "-c",
			"st=$(sed -n \"s/.*\\\"status\\\":\\\"\\([a-z]*\\)\\\".*/\\1/p\"); echo \"startContainer $st $(readlink /proc/self/ns/mnt)\" >> /run/hooks.log"]}],
		poststart: [{path: $h, args: [$h, "poststart"]}],
		poststop: [{path: $h, args: [$h, "poststop"]}]}'
	cfg_args /bin/volt-probe sleep 100
	start_detached create
	pid=$(init_pid "$ID")
	[ "$(hook_kinds)" = "prestart creating,createRuntime creating,createContainer creating" ]
	volt start "$ID"
	[ "$(hook_kinds)" = "prestart creating,createRuntime creating,createContainer creating,startContainer created,poststart running" ]
	volt kill "$ID" KILL
	wait_stopped "$ID"
	volt delete "$ID"
	[ "$(hook_kinds)" = "prestart creating,createRuntime creating,createContainer creating,startContainer created,poststart running,poststop stopped" ]

	host=$(readlink /proc/self/ns/mnt)
	cat "$TEST_TMP/hooklog/hooks.log"
	while read -r kind _ ns; do
		case $kind in
		createContainer | startContainer)
			[ "$ns" != "$host" ]
			;;
		*) [ "$ns" = "$host" ] ;;
		esac
	done <"$TEST_TMP/hooklog/hooks.log"
	# createContainer and startContainer ran in the same (container) mount ns.
	[ "$(awk '$1 == "createContainer" { print $3 }' "$TEST_TMP/hooklog/hooks.log")" = \
		"$(awk '$1 == "startContainer" { print $3 }' "$TEST_TMP/hooklog/hooks.log")" ]
}

@test "hooks get the state JSON with the container's id, pid and bundle" {
	mkdir -p "$TEST_TMP/hooklog"
	cfg --arg o "$TEST_TMP/hooklog/state.json" '.hooks.createRuntime = [{path: "/bin/sh", args: ["sh", "-c", "cat > \"$0\"", $o]}]'
	cfg_args /bin/volt-probe sleep 100
	start_detached create
	pid=$(init_pid "$ID")
	j=$(cat "$TEST_TMP/hooklog/state.json")
	[ "$(jq -r .id <<<"$j")" = "$ID" ]
	[ "$(jq -r .pid <<<"$j")" = "$pid" ]
	[ "$(jq -r .bundle <<<"$j")" = "$(realpath "$BUNDLE")" ]
	[ "$(jq -r .status <<<"$j")" = creating ]
}

@test "hook env and args are exactly the configured ones" {
	mkdir -p "$TEST_TMP/hooklog"
	cfg --arg o "$TEST_TMP/hooklog/out" '.hooks.prestart = [{path: "/bin/sh",
		args: ["sh", "-c", "echo \"$0|$1|$2\" > \"$3\"; env | sort >> \"$3\"", "zero", "one", "two words", $o],
		env: ["FOO=bar", "HOOKVAR=x y"]}]'
	cfg_args /bin/true
	run volt run --bundle "$BUNDLE" "$ID"
	[ "$status" -eq 0 ]
	cat "$TEST_TMP/hooklog/out"
	[ "$(head -n1 "$TEST_TMP/hooklog/out")" = "zero|one|two words" ]
	grep -qx "FOO=bar" "$TEST_TMP/hooklog/out"
	grep -qx "HOOKVAR=x y" "$TEST_TMP/hooklog/out"
	# Nothing of the runtime's environment leaks in.
	[ "$(grep -c "^BATS_" "$TEST_TMP/hooklog/out")" -eq 0 ]
	[ "$(grep -c "^ROOT=" "$TEST_TMP/hooklog/out")" -eq 0 ]
}

@test "a hook that outlives its timeout fails create, with no leftovers" {
	cfg '.hooks.prestart = [{path: "/bin/sleep", args: ["sleep", "9.871"], timeout: 1}]'
	cfg_args /bin/true
	SECONDS=0
	expect_create_fails prestart
	[ "$SECONDS" -lt 5 ]
	[[ "$output" == *"timed out"* ]]
	# The hook process was killed, not left behind.
	sleep 0.1
	[ -z "$(pgrep -f "^sleep 9.871$")" ]
}

@test "a failing poststart hook only warns: the container keeps running" {
	cfg '.hooks.poststart = [{path: "/bin/false"}]'
	cfg_args /bin/volt-probe sleep 100
	start_detached create
	run volt start "$ID"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *poststart* ]]
	[ "$(state_field "$ID" status)" = running ]
	pid_alive "$(init_pid "$ID")"
}

@test "a failing prestart hook aborts create with no leftovers" {
	cfg '.hooks.prestart = [{path: "/bin/sh", args: ["sh", "-c", "exit 7"]}]'
	cfg_args /bin/volt-probe sleep 100
	expect_create_fails prestart
	[[ "$output" == *7* ]]
}

@test "a failing createContainer hook aborts create with no leftovers" {
	cfg '.hooks.createContainer = [{path: "/bin/false"}]'
	cfg_args /bin/volt-probe sleep 100
	expect_create_fails createContainer
}

@test "a failing poststop hook does not fail delete" {
	cfg '.hooks.poststop = [{path: "/bin/false"}]'
	cfg_args /bin/true
	start_detached
	wait_stopped "$ID"
	run volt delete "$ID"
	[ "$status" -eq 0 ]
	[ ! -e "$ROOT/$ID" ]
	cgroup_gone "$ID"
}

@test "a sysctl that is not namespaced is refused" {
	cfg '.linux.sysctl = {"vm.swappiness": "10"}'
	cfg_args /bin/true
	expect_create_fails vm.swappiness
}
