#!/usr/bin/env bats
# Regression tests for known runtime escapes.

load helpers

setup() {
	setup_volt
}

teardown() {
	teardown_volt
}

@test "CVE-2019-5736 class: the init runs from a sealed copy; /proc/PID/exe cannot be written" {
	cfg_args /bin/true
	start_detached create
	pid=$(init_pid "$ID")
	# Before start the init is still the runtime's own image.
	[[ "$(readlink /proc/$pid/exe)" == "/memfd:volt-run"* ]]
	before=$(sha256sum "$VOLT_RUN" | cut -d' ' -f1)
	run sh -c "echo overwritten > /proc/$pid/exe"
	[ "$status" -ne 0 ]
	run sh -c "exec 3<>/proc/$pid/exe && echo opened-rw"
	[ "$output" != opened-rw ]
	[ "$(sha256sum "$VOLT_RUN" | cut -d' ' -f1)" = "$before" ]
	# The seals forbid any write to that copy.
	run python3 -c "
import fcntl, os
fd = os.open('/proc/$pid/exe', os.O_RDONLY)
seals = fcntl.fcntl(fd, 1034)  # F_GET_SEALS
print(seals & 0xf)"
	[ "$output" = 15 ]
}

@test "CVE-2024-21626 class: cwd through a leaked fd never reaches the host" {
	# Whatever fd number the runtime might hold, /proc/self/fd/N as cwd must
	# fail or land inside the container.
	for n in 3 4 5 6 7 8 9 10 11 12 13 14 15; do
		cfg --arg d "/proc/self/fd/$n" '.process.cwd = $d'
		cfg_args /bin/sh -c 'pwd; ls /'
		run volt run --bundle "$BUNDLE" "$ID-$n" 5</ 6</etc
		if [ "$status" -eq 0 ]; then
			[[ "${lines[0]}" != *unreachable* ]]
			[[ "$output" != *"boot"* ]]
		else
			[[ "$output" == *"process.cwd"* ]]
		fi
		[ ! -e "$ROOT/$ID-$n" ]
	done
}

@test "CVE-2024-21626 class: host fds held by the caller do not reach the container" {
	cfg_args /bin/volt-probe fds
	run volt run --bundle "$BUNDLE" "$ID" 5</ 6</etc 7>"$TEST_TMP/leak"
	[ "$status" -eq 0 ]
	[ "$output" = "0 1 2" ]
}

@test "CVE-2019-19921 class: /proc in the rootfs as a symlink is refused, nothing left behind" {
	rootfs="$TEST_TMP/rootfs"
	cp -a "$VOLT_ROOTFS" "$rootfs"
	mkdir -p "$TEST_TMP/hostdir"
	touch "$TEST_TMP/hostdir/marker"
	rmdir "$rootfs/proc"
	ln -s "$TEST_TMP/hostdir" "$rootfs/proc"
	cfg --arg r "$rootfs" '.root.path = $r'
	mounts_before=$(wc -l </proc/self/mountinfo)
	run volt run --bundle "$BUNDLE" "$ID"
	[ "$status" -eq 1 ]
	[[ "$output" == *"/proc"* ]]
	[[ "$output" == *symlink* ]]
	[ -e "$TEST_TMP/hostdir/marker" ]
	[ "$(wc -l </proc/self/mountinfo)" -eq "$mounts_before" ]
	[ ! -e "$ROOT/$ID" ]
	[ ! -e "/sys/fs/cgroup/pids/volt/$ID" ]
}

@test "CVE-2025-52565 class: /dev/null and /dev/console as symlinks are refused" {
	rootfs="$TEST_TMP/rootfs"
	cp -a "$VOLT_ROOTFS" "$rootfs"
	mkdir -p "$rootfs/dev"
	touch "$TEST_TMP/target"
	# No tmpfs on /dev: the devices are made in the rootfs's own /dev.
	cfg '.mounts |= map(select(.destination != "/dev" and (.destination | startswith("/dev/") | not)))'
	ln -sf "$TEST_TMP/target" "$rootfs/dev/null"
	cfg --arg r "$rootfs" '.root.path = $r'
	run volt run --bundle "$BUNDLE" "$ID"
	[ "$status" -eq 1 ]
	[[ "$output" == *"/dev/null"* ]]
	[ ! -s "$TEST_TMP/target" ]
	[ "$(stat -c %F "$TEST_TMP/target")" = "regular empty file" ]
	[ ! -e "$ROOT/$ID" ]
}

@test "CVE-2025-31133 class: a /dev/null swapped for a symlink is never bound over masked paths" {
	# A createContainer hook runs in the container's mount namespace before
	# the masked paths are applied: it plays the attacker who replaces
	# /dev/null with a symlink to a host file.
	rootfs="$TEST_TMP/rootfs"
	cp -a "$VOLT_ROOTFS" "$rootfs"
	echo secret >"$TEST_TMP/target"
	cat >"$TEST_TMP/swap.sh" <<HOOK
#!/bin/sh
rm -f "$rootfs/dev/null" && ln -s "$TEST_TMP/target" "$rootfs/dev/null"
HOOK
	chmod +x "$TEST_TMP/swap.sh"
	cfg --arg r "$rootfs" '.root.path = $r'
	cfg --arg h "$TEST_TMP/swap.sh" '.hooks.createContainer = [{"path": $h}]'
	cfg '.linux.maskedPaths = ["/proc/keys"]'
	cfg_args /bin/sh -c 'echo pwned > /proc/keys; cat /proc/keys'
	run volt run --bundle "$BUNDLE" "$ID"
	[ "$status" -eq 1 ]
	[[ "$output" == *"/dev/null"* ]]
	[ "$(cat "$TEST_TMP/target")" = secret ]
	[ ! -e "$ROOT/$ID" ]
}

@test "the workload gets an empty signal mask (run, run -d, exec)" {
	cfg_args /bin/volt-probe status SigBlk
	run volt run --bundle "$BUNDLE" "$ID"
	[ "$status" -eq 0 ]
	[ "$output" = 0000000000000000 ]
	cfg_args /bin/volt-probe sleep 100
	start_detached
	[ "$(status_field "$(init_pid "$ID")" SigBlk)" = 0000000000000000 ]
	run volt exec "$ID" /bin/volt-probe status SigBlk
	[ "$output" = 0000000000000000 ]
	volt exec -d --pid-file "$TEST_TMP/e.pid" "$ID" /bin/volt-probe sleep 5 </dev/null >/dev/null 2>&1
	[ "$(status_field "$(cat "$TEST_TMP/e.pid")" SigBlk)" = 0000000000000000 ]
}

@test "run passes the exit status through even when the caller ignores SIGCHLD" {
	cfg_args /bin/sh -c 'exit 3'
	run bash -c "trap '' CHLD; exec '$VOLT_RUN' --root '$ROOT' run --bundle '$BUNDLE' '$ID'"
	[ "$status" -eq 3 ]
}

@test "hooks run in the runtime's pid namespace even when the container joins another" {
	cfg_args /bin/volt-probe sleep 100
	start_detached
	other=$(init_pid "$ID")
	cat >"$TEST_TMP/hook.sh" <<HOOK
#!/bin/sh
readlink /proc/self/ns/pid >>"$TEST_TMP/hook-ns"
HOOK
	chmod +x "$TEST_TMP/hook.sh"
	cfg --arg p "/proc/$other/ns/pid" '.linux.namespaces |= map(if .type == "pid" then .path = $p else . end)'
	cfg --arg h "$TEST_TMP/hook.sh" '.hooks.prestart = [{"path": $h}] | .hooks.poststart = [{"path": $h}]'
	cfg_args /bin/true
	run volt run --bundle "$BUNDLE" "$ID-2"
	[ "$status" -eq 0 ]
	[ "$(wc -l <"$TEST_TMP/hook-ns")" -eq 2 ]
	[ "$(sort -u "$TEST_TMP/hook-ns")" = "$(readlink /proc/self/ns/pid)" ]
}

@test "a large state (70 KB of annotations) still starts and deletes" {
	big=$(head -c 70000 /dev/zero | tr '\0' x)
	cfg --arg b "$big" '.annotations["org.example.big"] = $b'
	cfg_args /bin/volt-probe sleep 100
	start_detached create
	run volt start "$ID"
	[ "$status" -eq 0 ]
	run volt delete --force "$ID"
	[ "$status" -eq 0 ]
	[ ! -e "$ROOT/$ID" ]
}
