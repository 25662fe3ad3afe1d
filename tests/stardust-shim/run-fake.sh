#!/bin/bash
# run-fake.sh [BUILD]: volt-stardust end to end without KVM. fake-vmm.sh
# stands in for stardust-vmm (it loop-mounts the bundle image the shim made
# and runs stardust-init in its host-test mode on it), so everything but the
# VM itself is exercised: the image and initramfs, the relay, the control
# protocol, stardust-init running the bundle through libvolt, stdio, signals,
# exit statuses and the OCI lifecycle commands. Needs root, loop devices,
# mke2fs, cpio, jq and BUILD/bundle (make bundle). TAP output, then
# "N passed, N failed".
set -uo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
build=$(cd "${1:-$repo/build}" && pwd)
RUN_ROOT=/run/volt-stardust-fake
V="$build/volt-stardust --root $RUN_ROOT"
export VOLT_STARDUST_VMM=$repo/tests/stardust-shim/fake-vmm.sh
export VOLT_STARDUST_INIT=$build/stardust-init STARDUST_INIT=$build/stardust-init

n=0 pass=0 fail=0
ok() {
	n=$((n + 1))
	if [ "$1" = 0 ]; then pass=$((pass + 1)); echo "ok $n - $2"; else fail=$((fail + 1)); echo "not ok $n - $2"; fi
}
for t in mke2fs cpio jq losetup; do
	command -v $t >/dev/null || { echo "1..0 # SKIP $t not installed"; echo "0 passed, 0 failed"; exit 0; }
done
[ -d "$build/bundle/rootfs" ] || { echo "run-fake: $build/bundle missing (make bundle)" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"; for c in $($V list -q 2>/dev/null); do $V delete -f $c; done' EXIT
mkdir "$tmp/b" && cp -a "$build/bundle/rootfs" "$tmp/b/"
cfg() { jq "$1" "$build/bundle/config.json" >"$tmp/b/config.json"; }

cfg '.process.args=["sh","-c","echo out; echo err >&2; read x; echo got:$x; exit 7"]'
echo line | timeout 60 $V run -b "$tmp/b" f1 >"$tmp/out" 2>"$tmp/err"
ok $([ $? = 7 ] && echo 0 || echo 1) "run: exit status 7 comes back"
ok $(grep -qx out "$tmp/out" && grep -qx got:line "$tmp/out" && echo 0 || echo 1) "run: stdout, and stdin reached the process"
ok $(grep -qx err "$tmp/err" && ! grep -q out "$tmp/err" && echo 0 || echo 1) "run: stderr kept apart"
ok $([ -z "$(ls /run/volt-stardust-fake 2>/dev/null)" ] && echo 0 || echo 1) "run: no state left"

# Lots of stdin while the guest is busy writing lots of output: a relay that
# blocks on a full stdin pipe stops draining the guest's output, and
# stardust-init (blocked writing that output) stops reading stdin.
cfg '.process.args=["sh","-c","exec 3<&0; cat <&3 >/dev/null & head -c 16777216 /dev/zero; wait"]'
head -c 1048576 /dev/zero | timeout 30 $V run -b "$tmp/b" f7 >"$tmp/out" 2>"$tmp/err"
ok $([ $? = 0 ] && [ "$(wc -c <"$tmp/out")" = 16777216 ] && echo 0 || echo 1) "run: 1 MiB stdin in while 16 MiB come out does not stall"

cfg '.process.args=["sh","-c","trap \"exit 3\" TERM; echo up; while :; do sleep 0.1; done"]'
(timeout 60 $V run -b "$tmp/b" f2 </dev/null >"$tmp/out"; echo $? >"$tmp/rc") &
for _ in $(seq 100); do grep -q up "$tmp/out" 2>/dev/null && break; sleep 0.1; done
$V kill f2 TERM
wait
ok $([ "$(cat "$tmp/rc")" = 3 ] && echo 0 || echo 1) "kill TERM reaches the process in the guest (its trap exits 3)"

cfg '.process.args=["sleep","60"]'
$V create -b "$tmp/b" f3 </dev/null >/dev/null 2>&1
ok $([ "$($V state f3 | jq -r .status)" = created ] && echo 0 || echo 1) "create: state says created"
$V start f3
ok $([ "$($V state f3 | jq -r .status)" = running ] && echo 0 || echo 1) "start: state says running"
$V kill f3 KILL
for _ in $(seq 50); do [ "$($V state f3 | jq -r .status)" = stopped ] && break; sleep 0.1; done
ok $([ "$($V state f3 | jq -r .status)" = stopped ] && echo 0 || echo 1) "kill KILL: stopped"
$V delete f3
ok $([ ! -e /run/volt-stardust-fake/f3 ] && echo 0 || echo 1) "delete: state and image gone"

cfg '.process.args=["true"] | .mounts += [{"destination":"/x","type":"bogusfs","source":"none"}]'
timeout 60 $V run -b "$tmp/b" f4 </dev/null 2>"$tmp/err"
rc=$?
ok $([ $rc = 1 ] && grep -q "microVM: mounts\[.*bogusfs" "$tmp/err" && echo 0 || echo 1) "a config error inside the guest fails create with libvolt's message"

cfg '.process.args=["true"] | .annotations={"org.volt.vm.ephemeral":"true"}'
$V create -b "$tmp/b" f5 </dev/null >/dev/null 2>&1
ok $([ ! -e /run/volt-stardust-fake/f5/stardust.img ] && [ ! -e /run/volt-stardust-fake/f5/stardust.initrd ] && echo 0 || echo 1) "ephemeral: image and initramfs unlinked once the guest is ready"
$V delete -f f5

cfg '.process.args=["true"] | .annotations={"org.volt.vm.memory":"1"}'
timeout 60 $V run -b "$tmp/b" f6 </dev/null 2>"$tmp/err"
ok $([ $? = 1 ] && grep -q "org.volt.vm.memory" "$tmp/err" && echo 0 || echo 1) "a bad VM annotation is refused, named"

# Flow control: a process that never reads its stdin gets 8 MiB of it; a
# signal sent after that must still reach it (stdin waits in the relay under
# the credit window, not in front of the signal).
cfg '.process.args=["sh","-c","trap \"exit 4\" TERM; echo up; while :; do sleep 0.1; done"]'
rm -f "$tmp/rc" "$tmp/out"
(head -c 8388608 /dev/zero | timeout 60 $V run -b "$tmp/b" f8 >"$tmp/out"; echo $? >"$tmp/rc") &
for _ in $(seq 100); do grep -q up "$tmp/out" 2>/dev/null && break; sleep 0.1; done
sleep 0.5
$V kill f8 TERM
for _ in $(seq 100); do [ -s "$tmp/rc" ] && break; sleep 0.1; done
ok $([ "$(cat "$tmp/rc" 2>/dev/null)" = 4 ] && echo 0 || echo 1) "flow control: TERM after 8 MiB of unread stdin still reaches the process (status $(cat "$tmp/rc" 2>/dev/null))"
wait

# exec: its own stdio, exit status, stdin, errors, signals, detached runs.
cfg '.process.args=["sleep","120"]'
$V run -d -b "$tmp/b" f9 </dev/null >/dev/null 2>&1
timeout 30 $V exec f9 sh -c 'echo exec-out; echo exec-err >&2; exit 5' >"$tmp/out" 2>"$tmp/err"
rc=$?
ok $([ $rc = 5 ] && [ "$(cat "$tmp/out")" = exec-out ] && [ "$(cat "$tmp/err")" = exec-err ] && echo 0 || echo 1) "exec: stdout, stderr apart, exit status 5"
echo piped | timeout 30 $V exec f9 sh -c 'read x; echo got:$x' >"$tmp/out"
ok $([ "$(cat "$tmp/out")" = got:piped ] && echo 0 || echo 1) "exec: stdin reaches the exec'd process"
printf '{"args":["sh","-c","echo $FOO"],"env":["FOO=from-process-json"],"cwd":"/"}' >"$tmp/proc.json"
timeout 30 $V exec --process "$tmp/proc.json" f9 >"$tmp/out"
ok $([ $? = 0 ] && [ "$(cat "$tmp/out")" = from-process-json ] && echo 0 || echo 1) "exec --process: the process JSON is applied in the guest"
timeout 30 $V exec --env BAR=b2 --cwd /tmp --user 1000:1000 f9 sh -c 'echo $BAR $(pwd) $(id -u):$(id -g)' >"$tmp/out"
ok $([ "$(cat "$tmp/out")" = "b2 /tmp 1000:1000" ] && echo 0 || echo 1) "exec: --env, --cwd, --user hold in the guest"
timeout 30 $V exec f9 no-such-binary 2>"$tmp/err"
rc=$?
ok $([ $rc != 0 ] && grep -q 'no-such-binary.*not found' "$tmp/err" && echo 0 || echo 1) "exec: a missing binary is one clear error"
sec() { awk '/^NoNewPrivs|^CapEff|^CapBnd|^Seccomp:/ {print $2}' | tr '\n' ' '; }
mine=$($V exec f9 cat /proc/self/status | sec)
init=$($V exec f9 cat /proc/1/status | sec)
ok $([ -n "$init" ] && [ "$mine" = "$init" ] && [ "$(echo "$init" | awk '{print $4}')" = 2 ] && echo 0 || echo 1) "exec: the init's caps, nnp and seccomp mode in the guest ($mine)"
timeout 30 $V exec -d --pid-file "$tmp/pid" f9 sh -c 'trap "exit 6" TERM; while :; do sleep 0.1; done' </dev/null >/dev/null 2>&1
p=$(cat "$tmp/pid" 2>/dev/null)
ok $([ -n "$p" ] && grep -qx "$p" <($V ps --format json f9 | jq '.[]') && echo 0 || echo 1) "exec -d: the pid file names a stand-in that ps lists"
# The stand-in is not our child: ask its status through the state of a
# waiter that is.
(timeout 30 $V exec f9 sh -c 'trap "exit 9" TERM; echo ready; while :; do sleep 0.1; done' </dev/null >"$tmp/out"; echo $? >"$tmp/rc2") &
for _ in $(seq 100); do grep -q ready "$tmp/out" 2>/dev/null && break; sleep 0.1; done
kill -TERM "$(pgrep -f -n "exec f9 sh -c trap \"exit 9\"")"
for _ in $(seq 100); do [ -s "$tmp/rc2" ] && break; sleep 0.1; done
ok $([ "$(cat "$tmp/rc2" 2>/dev/null)" = 9 ] && echo 0 || echo 1) "exec: a signal to volt-stardust exec reaches the guest process (its trap exits 9)"
wait
# An exec whose output nobody reads must not stall the container's other
# streams.
(timeout 30 $V exec f9 sh -c 'head -c 4194304 /dev/zero' | sleep 20) &
sleep 1
timeout 10 $V exec f9 echo still-served >"$tmp/out"
ok $([ "$(cat "$tmp/out")" = still-served ] && echo 0 || echo 1) "exec: a stream whose output is not read does not block another exec"
$V kill f9 KILL
for _ in $(seq 50); do [ "$($V state f9 | jq -r .status)" = stopped ] && break; sleep 0.1; done
$V delete f9
ok $([ ! -e /run/volt-stardust-fake/f9 ] && ! pgrep -f "exec f9" >/dev/null && echo 0 || echo 1) "exec: stand-ins end with the VM; delete leaves nothing"
kill %1 2>/dev/null
wait 2>/dev/null

# process.terminal: the master of a host pty goes to --console-socket; what
# is typed there reaches the process (on a pty in the guest), and a size set
# on the master reaches the guest's pty.
cat >"$tmp/recv.py" <<'PY'
import array, fcntl, os, select, socket, struct, sys, termios, time
path, out, mode = sys.argv[1], sys.argv[2], sys.argv[3]
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.bind(path); s.listen(1)
open(path + ".ready", "w").close()
c, _ = s.accept()
fds = array.array("i")
msg, anc, _, _ = c.recvmsg(64, socket.CMSG_LEN(fds.itemsize))
fds.frombytes(anc[0][2][:fds.itemsize])
m = fds[0]
fcntl.ioctl(m, termios.TIOCSWINSZ, struct.pack("HHHH", 33, 77, 0, 0))
time.sleep(0.3)
os.write(m, b"hello\n")
deadline = time.time() + 30
with open(out, "wb") as f:
    while time.time() < deadline:
        r, _, _ = select.select([m], [], [], 0.1)
        if not r:
            continue
        try:
            d = os.read(m, 4096)
        except OSError:
            break
        if not d:
            break
        f.write(d); f.flush()
        if mode == "exec" and b"got hello" in d:
            break
PY
cfg '.process.terminal=true | .process.args=["sh","-c","read line; echo got $line; stty size; tty; exit 3"]'
rm -f "$tmp/con.sock" "$tmp/con.sock.ready" "$tmp/tty.out"
python3 "$tmp/recv.py" "$tmp/con.sock" "$tmp/tty.out" run &
for _ in $(seq 50); do [ -e "$tmp/con.sock.ready" ] && break; sleep 0.1; done
timeout 60 $V run -d --console-socket "$tmp/con.sock" -b "$tmp/b" f10 </dev/null >/dev/null 2>"$tmp/err"
wait
out=$(tr -d '\r' <"$tmp/tty.out")
ok $(grep -qx "got hello" <<<"$out" && grep -qx "33 77" <<<"$out" && grep -Eqx "/dev/(pts/[0-9]+|console)" <<<"$out" && echo 0 || echo 1) "terminal: console socket gets the master; input, window size and a guest pty reach the process"
$V delete -f f10 2>/dev/null

cfg '.process.args=["sleep","60"]'
$V run -d -b "$tmp/b" f11 </dev/null >/dev/null 2>&1
rm -f "$tmp/con.sock" "$tmp/con.sock.ready" "$tmp/tty.out"
python3 "$tmp/recv.py" "$tmp/con.sock" "$tmp/tty.out" exec &
for _ in $(seq 50); do [ -e "$tmp/con.sock.ready" ] && break; sleep 0.1; done
timeout 30 $V exec -d -t --console-socket "$tmp/con.sock" f11 sh -c 'read line; echo got $line; stty size; tty; sleep 5' </dev/null >/dev/null 2>"$tmp/err"
wait
out=$(tr -d '\r' <"$tmp/tty.out")
ok $(grep -qx "got hello" <<<"$out" && echo 0 || echo 1) "exec --tty: console socket gets the master; input reaches the process"
$V delete -f f11

# pause/resume freeze the VM's cgroup (relay, monitor: the whole VM);
# update and events work on that cgroup too.
cfg '.process.args=["sh","-c","while :; do echo tick; sleep 0.1; done"]'
$V run -d -b "$tmp/b" f12 </dev/null >"$tmp/ticks" 2>&1
sleep 1
$V pause f12
st=$($V state f12 | jq -r .status)
a=$(wc -l <"$tmp/ticks"); sleep 1; b=$(wc -l <"$tmp/ticks")
$V resume f12
sleep 1; c=$(wc -l <"$tmp/ticks")
ok $([ "$st" = paused ] && [ "$a" = "$b" ] && [ "$c" -gt "$b" ] && echo 0 || echo 1) "pause freezes the microVM (no output: $a -> $b), resume thaws it ($c)"
$V update --pids-limit 77 f12
ok $([ $? = 0 ] && timeout 5 $V events --stats f12 | head -n 1 | jq -e '.data.pids.limit == 77' >/dev/null && echo 0 || echo 1) "update --pids-limit reaches the VM's cgroup (events --stats shows it)"
$V delete -f f12

# linux.resources.devices hold in the guest, not on the host: a deny-all
# config must not keep the monitor from its devices (/dev/kvm; here the
# stand-in's loop device), and the rules still bind the process.
cfg '.process.args=["sh","-c","echo x >/dev/null && echo null-ok; head -c1 /dev/kmsg >/dev/null 2>&1 || echo kmsg-denied"] | .linux.devices=[{"path":"/dev/kmsg","type":"c","major":1,"minor":11}] | .linux.resources.devices=[{"allow":false,"access":"rwm"}]'
timeout 60 $V run -b "$tmp/b" f13 </dev/null >"$tmp/out" 2>"$tmp/err"
ok $([ $? = 0 ] && grep -qx null-ok "$tmp/out" && grep -qx kmsg-denied "$tmp/out" && echo 0 || echo 1) "device rules bind the process in the guest, not the VM's monitor on the host"

# Bind mounts from the host (podman's /etc/hosts, volumes): the guest cannot
# see the host, so their sources are copied into the image; writes stay in
# the VM.
mkdir -p "$tmp/vol" && echo vol-content >"$tmp/vol/f" && echo "10.9.8.7 from-host" >"$tmp/hosts"
cfg '.process.args=["sh","-c","cat /etc/hosts /vol/f; echo w >/vol/new"] | .mounts += [{"destination":"/etc/hosts","type":"bind","source":"'"$tmp/hosts"'","options":["rbind","ro"]},{"destination":"/vol","type":"bind","source":"'"$tmp/vol"'","options":["rbind","rw"]}]'
timeout 60 $V run -b "$tmp/b" f14 </dev/null >"$tmp/out" 2>"$tmp/err"
ok $([ $? = 0 ] && grep -qx "10.9.8.7 from-host" "$tmp/out" && grep -qx vol-content "$tmp/out" && [ ! -e "$tmp/vol/new" ] && echo 0 || echo 1) "bind mounts of host files and directories reach the guest as copies"

# A memory limit sizes the VM (limit + 128 MiB for the guest itself) and
# the host cgroup gets room for that plus the monitor (+64 MiB); the guest
# applies the limit to the container.
cfg '.process.args=["sleep","30"] | .linux.resources.memory={"limit":104857600}'
STARDUST_FAKE_ARGS=$tmp/vmm-args $V run -d -b "$tmp/b" f15 </dev/null >/dev/null 2>&1
rp=$($V state f15 | jq -r .pid)
vmm_args=$(cat "$tmp/vmm-args")
mcg=$(awk -F: '$2 ~ /(^|,)memory(,|$)/ {print $3}' /proc/$rp/cgroup)
if [ -n "$mcg" ] && [ -d /sys/fs/cgroup/memory ]; then
	lim=$(cat /sys/fs/cgroup/memory$mcg/memory.limit_in_bytes)
else
	lim=$(cat /sys/fs/cgroup$(awk -F: '$1 == "0" {print $3}' /proc/$rp/cgroup)/memory.max)
fi
uid=$((0x40000000 + rp))
ok $([[ "$vmm_args" == *"--user $uid:$uid "* ]] && echo 0 || echo 1) "the monitor gets a uid of its own (0x40000000 + the relay's pid)"
ok $([[ "$vmm_args" == *"--mem 228 "* ]] && [ "$lim" = $(((100 + 128 + 64) << 20)) ] && echo 0 || echo 1) "memory limit: VM of 228 MiB, host cgroup $lim bytes (want $(((100 + 128 + 64) << 20)))"
$V delete -f f15

# Review findings, each a regression test.
cfg '.process.args=["sh","-c","trap \"exit 33\" PIPE; while :; do sleep 0.1; done"]'
exec 7</dev/null
STARDUST_FAKE_ARGS=$tmp/vmm-args2 $V run -d -b "$tmp/b" f16 </dev/null >/dev/null 2>&1
exec 7<&-
fake_fd7=no seen=0
for p in $(pgrep -P "$($V state f16 | jq -r .pid)"); do
	seen=$((seen + 1))
	[ -e /proc/$p/fd/7 ] && fake_fd7=yes
done
ok $([ "$seen" -gt 0 ] && [ "$fake_fd7" = no ] && echo 0 || echo 1) "an fd the caller leaked into volt-stardust does not reach the monitor"
first=$(timeout 20 $V exec f16 yes 2>/dev/null | head -n 1)
rc=${PIPESTATUS[0]}
ok $([ "$first" = y ] && [ "$($V state f16 | jq -r .status)" = running ] && echo 0 || echo 1) "exec | head: the exec ends (EPIPE reaches it) and the container's process gets no SIGPIPE"
got=$(timeout 30 $V exec f16 head -c 360000 /dev/zero | (sleep 2; wc -c))
ok $([ "$got" = 360000 ] && echo 0 || echo 1) "exec: a reader that pauses after the process exited still gets every byte ($got)"
exec 7</dev/null
timeout 20 $V exec -d --pid-file "$tmp/pid16" f16 sleep 20 </dev/null >/dev/null 2>&1
exec 7<&-
ok $([ -n "$(cat "$tmp/pid16")" ] && [ ! -e /proc/$(cat "$tmp/pid16")/fd/7 ] && [ ! -e /proc/$(cat "$tmp/pid16")/fd/5 ] && echo 0 || echo 1) "the exec stand-in keeps no fd of the caller's"
rm -f "$tmp/con.sock" "$tmp/con.sock.ready" "$tmp/tty.out"
python3 "$tmp/recv.py" "$tmp/con.sock" "$tmp/tty.out" exec &
for _ in $(seq 50); do [ -e "$tmp/con.sock.ready" ] && break; sleep 0.1; done
printf '{"terminal":true,"args":["sh","-c","read line; echo got $line; tty; sleep 3"],"cwd":"/"}' >"$tmp/proc-tty.json"
timeout 30 $V exec -d --process "$tmp/proc-tty.json" --console-socket "$tmp/con.sock" f16 </dev/null >/dev/null 2>"$tmp/err"
wait
ok $(tr -d '\r' <"$tmp/tty.out" | grep -qx "got hello" && echo 0 || echo 1) "exec --process with terminal:true and --console-socket (what engines send) gets a pty"
$V update --memory 64m f16
rp=$($V state f16 | jq -r .pid)
mcg=$(awk -F: '$2 ~ /(^|,)memory(,|$)/ {print $3}' /proc/$rp/cgroup)
if [ -n "$mcg" ] && [ -d /sys/fs/cgroup/memory ]; then lim=$(cat /sys/fs/cgroup/memory$mcg/memory.limit_in_bytes); else lim=$(cat /sys/fs/cgroup$(awk -F: '$1 == "0" {print $3}' /proc/$rp/cgroup)/memory.max); fi
ok $([ "$lim" -ge $(((256 + 64) << 20)) ] && echo 0 || echo 1) "update --memory 64m keeps the VM's host cgroup above its RAM ($lim)"
$V delete -f f16
mkdir -p "$tmp/volA" "$tmp/volB" && echo A >"$tmp/volA/w" && echo B >"$tmp/volB/w"
jq --arg a "$tmp/volA" --arg b "$tmp/volB" '.process.args=["sh","-c","cat /a/w /b/w"] | .mounts += [{"destination":"/a","options":["rbind","ro"],"source":$a,"type":"bind"},{"destination":"/b","options":["rbind","ro","nosuid"],"source":$b,"type":"bind"}]' "$build/bundle/config.json" >"$tmp/b/config.json"
timeout 60 $V run -b "$tmp/b" f17 </dev/null >"$tmp/out" 2>"$tmp/err"
ok $([ "$(tr '\n' ' ' <"$tmp/out")" = "A B " ] && echo 0 || echo 1) "bind mounts with options before source each get their own copy ($(tr '\n' ' ' <"$tmp/out"))"

help=$($V --help)
ok $([[ "$help" == "Usage: volt-stardust "* ]] && [[ "$help" == *microVM* ]] && echo 0 || echo 1) "volt-stardust --help names itself and says what it runs"

# 63 execs at once beside the container's process; a 64th is refused with a
# message, not a hang-up.
cfg '.process.args=["sleep","60"]'
$V run -d -b "$tmp/b" f18 </dev/null >/dev/null 2>&1
started=0
for i in $(seq 63); do
	timeout 20 $V exec -d f18 sleep 30 </dev/null >/dev/null 2>&1 && started=$((started + 1))
done
timeout 20 $V exec f18 true </dev/null >/dev/null 2>"$tmp/err"
rc=$?
ok $([ "$started" = 63 ] && [ $rc != 0 ] && grep -q "too many processes at once" "$tmp/err" && echo 0 || echo 1) "63 execs at once; a 64th is refused with a clear error ($started started, rc $rc)"
$V delete -f f18

echo "1..$n"
echo "$pass passed, $fail failed"
[ $fail = 0 ]
