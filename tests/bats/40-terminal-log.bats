#!/usr/bin/env bats
# Terminals through --console-socket, --log/--log-format, --help/--version,
# features and spec.

load helpers
load lifecycle-helpers

setup() {
	setup_volt
}

teardown() {
	teardown_volt
}

# A console socket receiver: listens on $1, accepts one connection, receives
# one message with SCM_RIGHTS (exactly one fd, non-empty payload), then copies
# everything the pty master says to $2 until EOF/EIO or 5 s.
write_receiver() {
	cat >"$TEST_TMP/recv.py" <<'EOF'
import array, os, select, socket, sys, time
path, out = sys.argv[1], sys.argv[2]
srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
srv.bind(path)
srv.listen(1)
open(path + ".ready", "w").close()
conn, _ = srv.accept()
fds = array.array("i")
msg, anc, flags, _ = conn.recvmsg(4096, socket.CMSG_SPACE(16 * fds.itemsize))
for level, typ, data in anc:
    if level == socket.SOL_SOCKET and typ == socket.SCM_RIGHTS:
        fds.frombytes(data[: len(data) - (len(data) % fds.itemsize)])
with open(out + ".meta", "w") as m:
    m.write(f"fds={len(fds)} payload={len(msg)} trunc={flags & socket.MSG_CTRUNC}\n")
if len(fds) != 1 or not msg:
    sys.exit(3)
master = fds[0]
os.write(master, b"hello\n")
deadline = time.time() + 5
with open(out, "wb") as f:
    while time.time() < deadline:
        r, _, _ = select.select([master], [], [], 0.1)
        if not r:
            continue
        try:
            data = os.read(master, 4096)
        except OSError:
            break
        if not data:
            break
        f.write(data)
        f.flush()
EOF
}

# Start the receiver on $TEST_TMP/console.sock, output in $TEST_TMP/tty.out.
start_receiver() {
	write_receiver
	python3 "$TEST_TMP/recv.py" "$TEST_TMP/console.sock" "$TEST_TMP/tty.out" &
	RECV=$!
	wait_file "$TEST_TMP/console.sock.ready"
}

@test "--console-socket receives the pty master; the process has a tty on 0, 1 and 2" {
	cfg '.process.terminal = true'
	cfg_args /bin/sh -c '/bin/volt-probe tty; read line; echo "got $line"'
	start_receiver
	volt run -d --console-socket "$TEST_TMP/console.sock" --bundle "$BUNDLE" "$ID" </dev/null >"$TEST_TMP/ct.out" 2>&1
	rc=0
	wait "$RECV" || rc=$?
	cat "$TEST_TMP/tty.out.meta"
	cat "$TEST_TMP/tty.out"
	[ "$rc" -eq 0 ]
	[[ "$(cat "$TEST_TMP/tty.out.meta")" == "fds=1 payload="[1-9]*" trunc=0" ]]
	out=$(tr -d '\r' <"$TEST_TMP/tty.out")
	grep -Eq "^0 tty /dev/(pts/[0-9]+|console)$" <<<"$out"
	grep -Eq "^1 tty /dev/(pts/[0-9]+|console)$" <<<"$out"
	grep -Eq "^2 tty /dev/(pts/[0-9]+|console)$" <<<"$out"
	# What the receiver wrote to the master reached the process's stdin.
	grep -q "^got hello$" <<<"$out"
	wait_stopped "$ID"
}

@test "terminal: true without --console-socket on create is a clear error" {
	cfg '.process.terminal = true'
	cfg_args /bin/true
	expect_create_fails console-socket
	[[ "$output" == *terminal* ]]
}

@test "terminal: true with run -d and no --console-socket is refused" {
	cfg '.process.terminal = true'
	cfg_args /bin/volt-probe sleep 10
	status=0
	volt run -d --bundle "$BUNDLE" "$ID" </dev/null >"$TEST_TMP/out" 2>&1 || status=$?
	cat "$TEST_TMP/out"
	[ "$status" -eq 1 ]
	grep -q console-socket "$TEST_TMP/out"
	[ ! -e "$ROOT/$ID" ]
	cgroup_gone "$ID"
}

@test "a --console-socket that does not exist is a clear error" {
	cfg '.process.terminal = true'
	status=0
	volt create --console-socket "$TEST_TMP/nope.sock" --bundle "$BUNDLE" "$ID" </dev/null >"$TEST_TMP/out" 2>&1 ||
		status=$?
	cat "$TEST_TMP/out"
	[ "$status" -eq 1 ]
	grep -q "$TEST_TMP/nope.sock" "$TEST_TMP/out"
	[ ! -e "$ROOT/$ID" ]
	cgroup_gone "$ID"
}

@test "without a terminal the process has no tty" {
	run probe tty
	[ "$status" -eq 0 ]
	[ "$output" = "$(printf '0 notty\n1 notty\n2 notty')" ]
}

@test "--log FILE --log-format json: one JSON line with level error naming the problem" {
	cfg '.process.args = "/bin/true"'
	status=0
	"$VOLT_RUN" --root "$ROOT" --log "$TEST_TMP/log.json" --log-format json create --bundle "$BUNDLE" "$ID" \
		</dev/null >"$TEST_TMP/out" 2>&1 || status=$?
	[ "$status" -eq 1 ]
	cat "$TEST_TMP/log.json"
	[ "$(wc -l <"$TEST_TMP/log.json")" -eq 1 ]
	[ "$(jq -r .level "$TEST_TMP/log.json")" = error ]
	[[ "$(jq -r .msg "$TEST_TMP/log.json")" == *process.args* ]]
	jq -e '.time | test("^[0-9]{4}-[0-9]{2}-[0-9]{2}T")' "$TEST_TMP/log.json"
	# The error still reaches stderr for a human.
	grep -q process.args "$TEST_TMP/out"
}

@test "--log FILE in text format" {
	status=0
	"$VOLT_RUN" --root "$ROOT" --log "$TEST_TMP/log.txt" state "missing-$ID" >"$TEST_TMP/out" 2>&1 || status=$?
	[ "$status" -eq 1 ]
	cat "$TEST_TMP/log.txt"
	[ "$(wc -l <"$TEST_TMP/log.txt")" -eq 1 ]
	grep -q 'level=error' "$TEST_TMP/log.txt"
	grep -q 'does not exist' "$TEST_TMP/log.txt"
	run jq -e . "$TEST_TMP/log.txt"
	[ "$status" -ne 0 ]
}

@test "an unknown --log-format is refused" {
	run "$VOLT_RUN" --log-format yaml list
	[ "$status" -eq 1 ]
	[[ "$output" == *log-format* ]]
}

@test "--help of every command exits 0 and names its options" {
	local spec cmd opt
	for spec in "create:--bundle --pid-file --console-socket --preserve-fds --no-pivot" \
		"run:--bundle --detach --pid-file --console-socket --preserve-fds" \
		"start:" "state:" "kill:--all" "delete:--force" "list:--format --quiet" \
		"ps:--format" "spec:--bundle --rootless" "features:"; do
		cmd=${spec%%:*}
		run "$VOLT_RUN" "$cmd" --help
		echo "$cmd: $status"
		[ "$status" -eq 0 ]
		[[ "$output" == *"$cmd"* ]]
		for opt in ${spec#*:}; do
			[[ "$output" == *"$opt"* ]] || {
				echo "$cmd --help does not name $opt"
				false
			}
		done
	done
	run "$VOLT_RUN" --help
	[ "$status" -eq 0 ]
	for cmd in create start run state kill delete list ps spec features; do
		[[ "$output" == *"$cmd"* ]]
	done
	[[ "$output" == *--root* ]]
	[[ "$output" == *--log* ]]
}

@test "an unknown command and an unknown option fail" {
	run "$VOLT_RUN" frobnicate
	[ "$status" -eq 1 ]
	[[ "$output" == *frobnicate* ]]
	run "$VOLT_RUN" --root "$ROOT" delete --bogus x
	[ "$status" -eq 1 ]
}

@test "volt-run --version prints version, commit and spec" {
	run "$VOLT_RUN" --version
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" =~ ^volt-run\ version\ [0-9]+\.[0-9]+\.[0-9]+ ]]
	[[ "$output" == *"spec: 1."* ]]
	run "$VOLT_RUN" -v
	[ "$status" -eq 0 ]
}

@test "features is valid JSON with the hooks and namespaces" {
	run "$VOLT_RUN" features
	[ "$status" -eq 0 ]
	jq -e . <<<"$output" >/dev/null
	[ "$(jq -c '.hooks | sort' <<<"$output")" = \
		'["createContainer","createRuntime","poststart","poststop","prestart","startContainer"]' ]
	for ns in cgroup ipc mount network pid user uts; do
		jq -e --arg n "$ns" '.linux.namespaces | index($n)' <<<"$output" >/dev/null
	done
	jq -e '.ociVersionMin and .ociVersionMax' <<<"$output" >/dev/null
	jq -e '.linux.capabilities | index("CAP_KILL")' <<<"$output" >/dev/null
	jq -e '.mountOptions | index("rbind")' <<<"$output" >/dev/null
}

@test "spec writes a config.json that run can use" {
	mkdir "$TEST_TMP/spec"
	run "$VOLT_RUN" spec --bundle "$TEST_TMP/spec"
	[ "$status" -eq 0 ]
	jq -e . "$TEST_TMP/spec/config.json" >/dev/null
	jq --arg r "$VOLT_ROOTFS" '.root.path = $r | .process.args = ["/bin/true"] | .process.terminal = false' \
		"$TEST_TMP/spec/config.json" >"$CONFIG"
	run volt run --bundle "$BUNDLE" "$ID"
	echo "$output"
	[ "$status" -eq 0 ]
	jq '.process.args = ["/bin/volt-probe", "exit", "5"]' "$CONFIG" >"$CONFIG.new"
	mv "$CONFIG.new" "$CONFIG"
	run volt run --bundle "$BUNDLE" "$ID"
	[ "$status" -eq 5 ]
}

@test "spec refuses to overwrite an existing config.json" {
	mkdir "$TEST_TMP/spec"
	echo '{"keep": true}' >"$TEST_TMP/spec/config.json"
	run "$VOLT_RUN" spec --bundle "$TEST_TMP/spec"
	[ "$status" -eq 1 ]
	[[ "$output" == *config.json* ]]
	[ "$(jq -c . "$TEST_TMP/spec/config.json")" = '{"keep":true}' ]
}

@test "spec writes into the current directory by default" {
	mkdir "$TEST_TMP/spec"
	cd "$TEST_TMP/spec"
	run "$VOLT_RUN" spec
	[ "$status" -eq 0 ]
	[ -f "$TEST_TMP/spec/config.json" ]
}

@test "spec --rootless has a user namespace with mappings" {
	mkdir "$TEST_TMP/spec"
	run "$VOLT_RUN" spec --rootless --bundle "$TEST_TMP/spec"
	[ "$status" -eq 0 ]
	c="$TEST_TMP/spec/config.json"
	jq -e '.linux.namespaces | map(.type) | index("user")' "$c" >/dev/null
	[ "$(jq '.linux.uidMappings | length' "$c")" -ge 1 ]
	[ "$(jq '.linux.gidMappings | length' "$c")" -ge 1 ]
	# A plain spec has none.
	mkdir "$TEST_TMP/spec2"
	"$VOLT_RUN" spec --bundle "$TEST_TMP/spec2"
	[ "$(jq '.linux.namespaces | map(.type) | index("user")' "$TEST_TMP/spec2/config.json")" = null ]
}

@test "run on a terminal proxies stdio through the container's pty" {
	command -v script >/dev/null || skip "script (bsdutils) not installed"
	cfg '.process.terminal = true'
	cfg_args /bin/sh -c 'read line; echo "got:$line"; /bin/volt-probe tty'
	run script -qec "'$VOLT_RUN' --root '$ROOT' run --bundle '$BUNDLE' '$ID'" /dev/null <<<"typed-in"
	echo "$output"
	[[ "$output" == *"got:typed-in"* ]]
	# The container's own pty on 0, 1 and 2 (its devpts: /dev/pts/0).
	[[ "$output" == *"0 tty /dev/pts/0"* ]]
	[[ "$output" == *"1 tty /dev/pts/0"* ]]
	[[ "$output" == *"2 tty /dev/pts/0"* ]]
}

@test "--debug adds debug lines to the log; without it there are none" {
	cfg_args /bin/true
	run "$VOLT_RUN" --root "$ROOT" --debug --log "$TEST_TMP/debug.log" --log-format json run --bundle "$BUNDLE" "$ID"
	[ "$status" -eq 0 ]
	[ "$(jq -r 'select(.level == "debug") | .msg' "$TEST_TMP/debug.log" | grep -c "$ID")" -ge 3 ]
	run "$VOLT_RUN" --root "$ROOT" --log "$TEST_TMP/quiet.log" --log-format json run --bundle "$BUNDLE" "$ID"
	[ "$status" -eq 0 ]
	[ ! -s "$TEST_TMP/quiet.log" ]
}

@test "--backend: an unknown backend is refused, named; native is recorded in the state" {
	run "$VOLT_RUN" --root "$ROOT" --backend warp list
	[ "$status" -eq 1 ]
	[[ "$output" == *'unknown backend "warp"'* ]]
	cfg_args /bin/sleep 10
	"$VOLT_RUN" --root "$ROOT" --backend native create --bundle "$BUNDLE" "$ID" </dev/null >/dev/null 2>&1
	[ "$(jq -r .backend "$ROOT/$ID/state.json")" = native ]
	"$VOLT_RUN" --root "$ROOT" delete -f "$ID"
}
