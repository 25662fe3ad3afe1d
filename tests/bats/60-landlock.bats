#!/usr/bin/env bats
# Landlock (process.landlock) enforced in real containers: filesystem
# write/execute/read allow-lists, TCP bind ports, a strict config the kernel
# cannot meet, config errors, and `security profile create` output.

load helpers

setup() {
	setup_volt
	add_tmpfs /data
	add_tmpfs /tmp
}

teardown() {
	teardown_volt
}

# Set process.landlock from a JSON text: landlock '{"rules": ...}'.
landlock() {
	cfg --argjson l "$1" '.process.landlock = $l'
}

# Run a shell script in the container: run sh_in 'volt-probe write /x'.
sh_in() {
	cfg_args /bin/sh -c "$1"
	volt run --bundle "$BUNDLE" "$ID"
}

# No container left under this test's state root.
no_state() {
	[ -z "$(volt list -q 2>/dev/null)" ]
	[ ! -e "$ROOT/$ID" ]
}

@test "landlock: a write outside the allow-list fails with EACCES, inside works" {
	landlock '{"handledAccess": {"handledAccessFS": ["write_file", "make_reg"]},
		"rules": {"pathBeneath": [{"allowedAccess": ["write_file", "make_reg"], "paths": ["/data"]}]}}'
	run sh_in 'volt-probe write /data/ok; volt-probe write /tmp/no; volt-probe read /data/ok'
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = ok ]
	[ "${lines[1]}" = EACCES ]
	[ "${lines[2]}" = volt-probe ]
}

@test "landlock: execute is denied beneath a path without the right" {
	landlock '{"rules": {"pathBeneath": [{"allowedAccess": ["execute"], "paths": ["/bin", "/usr"]}]}}'
	run sh_in 'cp /bin/busybox /tmp/bb && /tmp/bb true; echo "tmp=$?"; /bin/busybox true; echo "bin=$?"'
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"tmp=126"* ]]
	[[ "$output" == *"Permission denied"* ]]
	[[ "$output" == *"bin=0"* ]]
}

@test "landlock: reading a directory outside the allow-list fails" {
	landlock '{"rules": {"pathBeneath": [{"allowedAccess": ["read_file", "read_dir"], "paths": ["/bin", "/data"]}]}}'
	cfg_args /bin/sh -c 'echo hi >/data/f; volt-probe read /data/f; volt-probe read /etc/passwd; ls /etc; echo "ls=$?"'
	run volt run --bundle "$BUNDLE" "$ID"
	echo "$output"
	[ "${lines[0]}" = hi ]
	[ "${lines[1]}" = EACCES ]
	[[ "$output" == *"Permission denied"* ]]
	[[ "$output" == *"ls=1"* ]]
}

@test "landlock: bind to a port outside networkPort fails, the allowed port works" {
	landlock '{"handledAccess": {"handledAccessNetwork": ["bind"]},
		"rules": {"networkPort": [{"allowedAccess": ["bind"], "ports": [8080]}]}}'
	# nc -l blocks while it listens: background it and look for the socket.
	run sh_in 'nc -l -p 9090; echo "denied=$?"
		nc -l -p 8080 &
		for i in $(seq 50); do
			grep -qi ":1F90 0*:0000 0A" /proc/net/tcp /proc/net/tcp6 && { echo listening; break; }
			sleep 0.1
		done
		kill $!'
	echo "$output"
	[[ "$output" == *"denied=1"* ]]
	[[ "$output" == *"ermission denied"* ]]
	[[ "$output" == *listening* ]]
}

@test "landlock: enableBestEffort false with a right this kernel lacks fails clearly and leaves no state" {
	# Bit 40 belongs to no Landlock ABI up to 7.
	landlock '{"handledAccess": {"handledAccessFS": 1099511627778}, "enableBestEffort": false}'
	cfg_args /bin/volt-probe write /tmp/x
	run volt run --bundle "$BUNDLE" "$ID"
	echo "$output"
	[ "$status" -ne 0 ]
	[[ "$output" == *"process.landlock: filesystem access bit 40 is unknown to Landlock ABI"* ]]
	no_state
}

@test "landlock: best effort drops that right and enforces the rest" {
	landlock '{"handledAccess": {"handledAccessFS": 1099511627778},
		"rules": {"pathBeneath": [{"allowedAccess": ["write_file"], "paths": ["/data"]}]}}'
	run sh_in 'volt-probe write /tmp/f; volt-probe write /data/f'
	echo "$output"
	[ "${lines[0]}" = EACCES ]
	[ "${lines[1]}" = ok ]
}

@test "landlock: a missing rule path is an error naming it unless best effort" {
	landlock '{"rules": {"pathBeneath": [{"allowedAccess": ["write_file"], "paths": ["/data", "/nope"]}]},
		"enableBestEffort": false}'
	cfg_args /bin/true
	run volt run --bundle "$BUNDLE" "$ID"
	echo "$output"
	[ "$status" -ne 0 ]
	[[ "$output" == *"process.landlock.rules.pathBeneath[0].paths[1] /nope"* ]]
	no_state
	cfg '.process.landlock.enableBestEffort = true'
	run volt run --bundle "$BUNDLE" "$ID"
	[ "$status" -eq 0 ]
}

@test "landlock: an unknown access name is a config error with its JSON path" {
	landlock '{"rules": {"pathBeneath": [{"allowedAccess": ["read_file"], "paths": ["/"]},
		{"allowedAccess": ["wrte_file"], "paths": ["/data"]}]}}'
	cfg_args /bin/true
	run volt run --bundle "$BUNDLE" "$ID"
	echo "$output"
	[ "$status" -ne 0 ]
	[[ "$output" == *'process.landlock.rules.pathBeneath[1].allowedAccess[0]: unknown access \"wrte_file\"'* ||
		"$output" == *'process.landlock.rules.pathBeneath[1].allowedAccess[0]: unknown access "wrte_file"'* ]]
	no_state
}

@test "security profile create: the profile loads into a config and enforces" {
	run volt security profile create web --allow-write /data --allow-execute /bin,/usr \
		--deny-execute /tmp --output "$TEST_TMP/web.json"
	echo "$output"
	[ "$status" -eq 0 ]
	jq -e '.handledAccess.handledAccessFS | index("execute") and index("write_file")' "$TEST_TMP/web.json"
	cfg --slurpfile p "$TEST_TMP/web.json" '.process.landlock = $p[0]'
	run sh_in 'volt-probe write /data/ok; volt-probe write /tmp/no
		cp /bin/busybox /data/bb; /data/bb true; echo "exec=$?"'
	echo "$output"
	[ "${lines[0]}" = ok ]
	[ "${lines[1]}" = EACCES ]
	[[ "$output" == *"exec=126"* ]]
}

@test "security profile create: stdout by default; a deny path beneath an allowed one is refused" {
	run volt security profile create ro --allow-read /etc,/bin
	[ "$status" -eq 0 ]
	[ "$(jq -c '.rules.pathBeneath[0]' <<<"$output")" = '{"allowedAccess":["read_file","read_dir"],"paths":["/etc","/bin"]}' ]
	run volt security profile create bad --allow-execute /usr --deny-execute /usr/bin
	[ "$status" -ne 0 ]
	[[ "$output" == *"--deny-execute /usr/bin is beneath --allow-execute /usr"* ]]
}
