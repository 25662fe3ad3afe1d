#!/bin/bash
# run-e2e.sh [BUILD]: Stardust's end-to-end test. Builds the artefacts
# (build-initramfs.sh), boots them and checks the STARDUST-E2E markers:
#   nested  (this kind of machine: no usable /dev/kvm) qemu TCG with SVM
#           exposed boots Debian's kernel as L1; its /init loads kvm_amd
#           (nested=1 npt=1), so /dev/kvm works inside L1, and runs
#           sd-kvm-smoke and stardust-vmm (booting L2) there;
#   direct  (a host with VMX/SVM and a real /dev/kvm) the same payloads run
#           on the host.
# Both then run a busybox bundle with volt-stardust (a microVM on that
# /dev/kvm): `echo hello-from-microvm; exit 7`, checked for both; and the
# lifecycle with exec. Nested only, the net step: a microVM with
# org.volt.vm.net.tap=sdtap0 and 10.77.0.2/24 sends a line over TCP (busybox
# nc) to L1 at 10.77.0.1:7777, which checks that it arrived (all addresses
# inside L1; direct mode reports it absent rather than touch the host's
# network).
# Prints a summary, writes BUILD/stardust-e2e/result.env (KEY=VALUE, read by
# stardust.bats) and the console log BUILD/stardust-e2e/e2e.log; exits 0 when
# every step that could run passed, 77 when the test cannot run here (no
# qemu, no kernel), 1 otherwise with the relevant log tail.
# Environment: STARDUST_E2E_TIMEOUT (whole boot, default 240 s),
# STARDUST_E2E_RESULT (result file instead of BUILD/stardust-e2e/result.env,
# with the log copied next to it as .log),
# STARDUST_BUNDLE_TIMEOUT (volt-stardust run, 120 s),
# STARDUST_E2E_MODE (auto|nested|direct), STARDUST_E2E_MEM (L1 MiB, 1024),
# STARDUST_E2E_CPU (qemu -cpu, qemu64,+svm,+npt), and those of
# build-initramfs.sh.
set -euo pipefail

repo=$(cd "$(dirname "$0")/../.." && pwd)
cd "$repo"
build=${1:-build}
out="$build/stardust-e2e"
mkdir -p "$out"
log="$out/e2e.log"
result=${STARDUST_E2E_RESULT:-$out/result.env}
timeout_s=${STARDUST_E2E_TIMEOUT:-240}
t0=$(date +%s.%N)

say() { echo "stardust-e2e: $*"; }
elapsed() { awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }'; }
declare -A res=()
write_result() {
	local k
	: >"$result.tmp"
	for k in "${!res[@]}"; do
		echo "$k=${res[$k]}" >>"$result.tmp"
	done
	sort -o "$result" "$result.tmp"
	rm -f "$result.tmp"
	# A caller's result file keeps its own copy of the log: the next run
	# reuses $log.
	if [ "$result" != "$out/result.env" ] && [ -f "$log" ]; then
		cp "$log" "${result%.env}.log"
	fi
}
cannot_run() {
	say "cannot run: $*"
	res[verdict]=skip
	res[reason]="\"$*\""
	write_result
	exit 77
}
# One run per build directory at a time: a second one would rebuild the
# artefacts and truncate the log under the first.
exec 9>"$out/.lock"
if ! flock -n 9; then
	say "waiting for another run-e2e.sh on $out"
	flock -w "$timeout_s" 9 || { say "FAIL: $out/.lock still held after ${timeout_s}s"; exit 1; }
fi
rm -f "$result" "$log"

mode=${STARDUST_E2E_MODE:-auto}
if [ "$mode" = auto ]; then
	# PVM's /dev/kvm (kvm_pvm) cannot run a guest kernel; neither can a
	# host without VMX/SVM, whatever it has.
	if [ -c /dev/kvm ] && grep -qw -E 'vmx|svm' /proc/cpuinfo && [ ! -d /sys/module/kvm_pvm ]; then
		mode=direct
	else
		mode=nested
	fi
fi
res[mode]=$mode

[ -n "$(ls /boot/vmlinuz-* 2>/dev/null)" ] || cannot_run "no /boot/vmlinuz-* (run: scripts/stardust-e2e-deps.sh)"
for tool in busybox cpio xz; do
	command -v "$tool" >/dev/null || cannot_run "$tool not installed (run: scripts/stardust-e2e-deps.sh)"
done
if [ "$mode" = nested ]; then
	command -v qemu-system-x86_64 >/dev/null ||
		cannot_run "qemu-system-x86_64 not installed (run: scripts/stardust-e2e-deps.sh)"
fi
if ! ./tests/stardust/build-initramfs.sh "$build" 2>"$out/build.err"; then
	cat "$out/build.err" >&2
	say "FAIL: building the boot artefacts failed"
	res[verdict]=fail
	write_result
	exit 1
fi
kver=$(cat "$out/kernel-version")

# qemu's TCG TSC ticks at the host's rate; L1 told so up front does not
# calibrate against a PIT it cannot read well (hangs ~1 boot in 4).
host_tsc_khz() {
	local mhz
	mhz=$(dmesg 2>/dev/null | sed -n 's/.*tsc: Refined TSC clocksource calibration: \([0-9.]*\) MHz.*/\1/p' | tail -n 1)
	[ -n "$mhz" ] || mhz=$(dmesg 2>/dev/null | sed -n 's/.*tsc: Detected \([0-9.]*\) MHz.*/\1/p' | tail -n 1)
	[ -n "$mhz" ] || mhz=$(awk -F': *' '/^cpu MHz/ { print $2; exit }' /proc/cpuinfo)
	awk -v m="${mhz:-0}" 'BEGIN { printf "%d", m * 1000 }'
}

# First time (seconds since t0) a marker shows in the log; polled while the
# VM runs, so it measures host wall clock, not guest uptime.
declare -A seen_at=()
poll_markers() {
	local key pat
	for key in l1_init kvm finished; do
		[ -n "${seen_at[$key]:-}" ] && continue
		case $key in
		l1_init) pat='STARDUST-E2E: l1 init' ;;
		kvm) pat='STARDUST-E2E: kvm (ok|missing)' ;;
		finished) pat='STARDUST-E2E: done' ;;
		esac
		if grep -qaE "$pat" "$log" 2>/dev/null; then
			seen_at[$key]=$(elapsed)
		fi
	done
}

vm_pid=
cleanup() {
	if [ -n "$vm_pid" ] && kill -0 "$vm_pid" 2>/dev/null; then
		kill -KILL "$vm_pid" 2>/dev/null || true
	fi
}
trap cleanup EXIT

run_nested() {
	local khz append
	khz=$(host_tsc_khz)
	append="console=ttyS0 quiet panic=-1 mitigations=off"
	[ "$khz" -gt 0 ] && append+=" tsc_early_khz=$khz"
	local -a qemu=(qemu-system-x86_64 -accel tcg -cpu "${STARDUST_E2E_CPU:-qemu64,+svm,+npt}"
		-M microvm -m "${STARDUST_E2E_MEM:-1024}" -smp 1 -nodefaults -no-user-config
		-display none -no-reboot -serial "file:$log"
		-kernel "$out/vmlinux" -initrd "$out/l1-initramfs.cpio" -append "$append")
	say "mode nested: host has no usable /dev/kvm; L1 = qemu TCG ${STARDUST_E2E_CPU:-qemu64,+svm,+npt}, kernel $kver"
	echo "${qemu[*]}" >"$out/qemu.cmd"
	: >"$log"
	res[launch_s]=$(elapsed)
	"${qemu[@]}" </dev/null >"$out/qemu.err" 2>&1 &
	vm_pid=$!
	local deadline done_grace=
	deadline=$(awk -v a="$(date +%s)" -v t="$timeout_s" 'BEGIN { print a + t }')
	while kill -0 "$vm_pid" 2>/dev/null; do
		poll_markers
		if [ "$(date +%s)" -ge "$deadline" ]; then
			res[timeout]=1
			say "L1 still running after ${timeout_s}s: killing qemu"
			kill -KILL "$vm_pid" 2>/dev/null || true
			break
		fi
		# After "done" L1 powers off at once; a qemu that lingers is
		# stuck in the guest's halt, which loses nothing.
		if [ -n "${seen_at[finished]:-}" ]; then
			done_grace=${done_grace:-$(($(date +%s) + 10))}
			if [ "$(date +%s)" -ge "$done_grace" ]; then
				say "note: qemu did not exit after L1's poweroff; killed"
				kill -KILL "$vm_pid" 2>/dev/null || true
				break
			fi
		fi
		sleep 0.2
	done
	local rc=0
	wait "$vm_pid" 2>/dev/null || rc=$?
	vm_pid=
	poll_markers
	res[qemu_rc]=$rc
}

# The L1 /init's steps, on the host itself, writing the same markers.
run_direct() {
	say "mode direct: host /dev/kvm with VMX/SVM; payloads run on the host"
	res[launch_s]=$(elapsed)
	local l2_cmdline
	l2_cmdline=$(cat "$out/l2-cmdline")
	payload() { # payload NAME TIMEOUT BINARY ARGS...
		local name=$1 limit=$2 bin=$3 a rc=0
		shift 3
		if [ ! -x "$bin" ]; then
			echo "STARDUST-E2E: $name absent"
			return
		fi
		local -a args=()
		for a in "$@"; do
			case $a in
			@KERNEL@) a=$out/vmlinux ;;
			@INITRD@) a=$out/l2-initramfs.cpio ;;
			@CMDLINE@) a=$l2_cmdline ;;
			esac
			args+=("$a")
		done
		echo "STARDUST-E2E: $name start"
		timeout -s KILL "$limit" "$bin" "${args[@]}" 2>&1 || rc=$?
		echo "STARDUST-E2E: $name rc=$rc"
	}
	{
		echo "STARDUST-E2E: l1 init (direct) kernel=$(uname -r)"
		echo "STARDUST-E2E: kvm ok (direct)"
		payload smoke "${STARDUST_SMOKE_TIMEOUT:-60}" "$build/sd-kvm-smoke"
		# shellcheck disable=SC2046 # vmm-args is a blank-separated list
		payload l2 "${STARDUST_L2_TIMEOUT:-90}" "$build/stardust-vmm" $(cat "$out/vmm-args")
		if [ -f "$out/bundle-direct/config.json" ]; then
			local rc=0
			echo "STARDUST-E2E: bundle start"
			VOLT_STARDUST_VMM=$(readlink -f "$build/stardust-vmm") VOLT_STARDUST_INIT=$(readlink -f "$build/stardust-init") \
				timeout -s KILL "${STARDUST_BUNDLE_TIMEOUT:-120}" "$build/volt-stardust" --root /run/volt-stardust-e2e \
				run -b "$out/bundle-direct" "e2e-$$" >"$out/bundle.out" 2>"$out/bundle.err" || rc=$?
			sed 's/^/STARDUST-E2E: bundle stdout: /' "$out/bundle.out"
			sed 's/^/STARDUST-E2E: bundle stderr: /' "$out/bundle.err"
			echo "STARDUST-E2E: bundle out=$(head -n 1 "$out/bundle.out") rc=$rc"
			VOLT_STARDUST_VMM=$(readlink -f "$build/stardust-vmm") VOLT_STARDUST_INIT=$(readlink -f "$build/stardust-init") \
				sh "$repo/tests/stardust/lifecycle.sh" "$build/volt-stardust --root /run/volt-stardust-e2e" \
				"$out/bundle-direct-lc" "e2e-lc-$$" "$out"
		else
			echo "STARDUST-E2E: bundle absent"
		fi
		echo "STARDUST-E2E: net absent"
		echo "STARDUST-E2E: done"
	} >"$log" 2>&1 </dev/null
	poll_markers
}

if [ "$mode" = nested ]; then
	run_nested
else
	run_direct
fi
res[total_s]=$(elapsed)
res[l1_init_s]=${seen_at[l1_init]:-}
res[kvm_s]=${seen_at[kvm]:-}
# Boot time as launch -> marker, without the artefact build before it.
since_launch() { [ -n "$1" ] && awk -v a="${res[launch_s]:-0}" -v b="$1" 'BEGIN { printf "%.1f", b - a }'; }
res[l1_boot_s]=$(since_launch "${seen_at[l1_init]:-}" || true)
res[kvm_boot_s]=$(since_launch "${seen_at[kvm]:-}" || true)

# --- verdict ----------------------------------------------------------------
marker() { grep -a -o "STARDUST-E2E: $1.*" "$log" | head -n 1 | tr -d '\r' || true; }
failures=()
if [ -z "${seen_at[l1_init]:-}" ]; then
	failures+=("L1 never reached its /init (kernel $kver); see $out/qemu.err and the log tail")
fi
if grep -qa 'STARDUST-E2E: kvm ok' "$log"; then
	res[kvm]=ok
elif grep -qa 'STARDUST-E2E: kvm missing' "$log"; then
	res[kvm]=missing
	failures+=("/dev/kvm did not appear in L1: $(marker 'insmod' | cut -c 15-)")
else
	res[kvm]=unknown
	[ -n "${seen_at[l1_init]:-}" ] && failures+=("L1's /init stopped before loading kvm")
fi

# A payload's verdict from its markers: "NAME rc=N" and, for a monitor,
# the L2 guest's marker between "NAME start" and "NAME rc=".
payload_verdict() { # payload_verdict NAME LABEL NEEDS_L2_MARKER
	local name=$1 label=$2 guest=$3 rc seen=0
	rc=$(grep -a -o "STARDUST-E2E: $name rc=[0-9]*" "$log" | head -n 1 | sed 's/.*rc=//' || true)
	if awk -v s="STARDUST-E2E: $name start" -v e="STARDUST-E2E: $name rc=" '
		index($0, s) { on = 1 } index($0, e) { on = 0 }
		on && /STARDUST-L2: hello from the guest/ { found = 1 }
		END { exit !found }' "$log"; then
		seen=1
	fi
	res[${name//-/_}_rc]=$rc
	[ "$guest" = 1 ] && res[${name//-/_}_marker]=$seen
	local v
	if grep -qa "STARDUST-E2E: $name absent" "$log"; then
		v=absent
	elif [ -z "$rc" ]; then
		v=unknown
		grep -qa "STARDUST-E2E: $name start" "$log" && failures+=("$label started but never finished (L1 died or timed out)")
	elif [ "$rc" = 77 ] && [ "$guest" = 0 ]; then
		v=skip
	elif [ "$rc" = 0 ] && { [ "$guest" = 0 ] || [ "$seen" = 1 ]; }; then
		v=pass
	else
		v=fail
		local why="exit status $rc"
		[ "$rc" = 137 ] && why+=" (killed by its timeout in L1)"
		[ "$guest" = 1 ] && why+=", L2 marker $([ "$seen" = 1 ] && echo seen || echo 'not seen')"
		failures+=("$label: $why")
	fi
	res[${name//-/_}]=$v
}
payload_verdict smoke sd-kvm-smoke 0
payload_verdict l2 stardust-vmm 1
payload_verdict qemu-l2 "qemu microvm (reference)" 1
# The bundle step: volt-stardust runs `sh -c 'echo hello-from-microvm;
# exit 7'` in a microVM; both the output and the status must come back.
bundle_line=$(grep -a -o 'STARDUST-E2E: bundle out=.* rc=[0-9]*' "$log" | head -n 1 | tr -d '\r' || true)
if grep -qa 'STARDUST-E2E: bundle absent' "$log"; then
	res[bundle]=absent
	res[bundle_reason]="\"$(head -n 1 "$out/bundle-absent" 2>/dev/null | tr -d '"')\""
elif [ -z "$bundle_line" ]; then
	res[bundle]=unknown
	grep -qa 'STARDUST-E2E: bundle start' "$log" && failures+=("volt-stardust run started but never finished (L1 died or timed out)")
else
	res[bundle_rc]=${bundle_line##*rc=}
	b_out=${bundle_line#*out=}
	b_out=${b_out% rc=*}
	res[bundle_out]="\"${b_out//\"/}\""
	if [ "${res[bundle_rc]}" = 7 ] && [ "$b_out" = hello-from-microvm ]; then
		res[bundle]=pass
	else
		res[bundle]=fail
		why="exit status ${res[bundle_rc]} (want 7), stdout '$b_out' (want hello-from-microvm)"
		[ "${res[bundle_rc]}" = 137 ] && why+=", killed by its timeout"
		err=$(grep -a -o 'STARDUST-E2E: bundle stderr: .*' "$log" | tail -n 3 | sed 's/STARDUST-E2E: bundle stderr: //' | tr -d '\r' | tr '\n' ' ' || true)
		[ -n "$err" ] && why+="; its stderr: $err"
		failures+=("volt-stardust bundle: $why")
	fi
fi
# The lifecycle step (tests/stardust/lifecycle.sh): create, start, exec with
# output, status and stdin, kill TERM into the guest, delete.
lc_line=$(grep -a -o 'STARDUST-E2E: lifecycle create=.*' "$log" | head -n 1 | tr -d '\r' || true)
lc_want="create=0 start=0 state=running exec_out=exec-in-microvm exec_rc=5 exec_stdin=piped term=yes after_kill=stopped delete=0"
if [ "${res[bundle]}" = absent ]; then
	res[lifecycle]=absent
elif [ -z "$lc_line" ]; then
	res[lifecycle]=unknown
	[ "${res[bundle]}" = unknown ] || failures+=("volt-stardust lifecycle: no result line (L1 died or timed out)")
else
	res[lifecycle_got]="\"${lc_line#STARDUST-E2E: lifecycle }\""
	if [ "${lc_line#STARDUST-E2E: lifecycle }" = "$lc_want" ]; then
		res[lifecycle]=pass
	else
		res[lifecycle]=fail
		err=$(grep -a -o 'STARDUST-E2E: lifecycle stderr: .*' "$log" | tail -n 3 | sed 's/STARDUST-E2E: lifecycle stderr: //' | tr -d '\r' | tr '\n' ' ' || true)
		failures+=("volt-stardust lifecycle: got '${lc_line#STARDUST-E2E: lifecycle }', want '$lc_want'${err:+; stderr: $err}")
	fi
fi

# The net step: the line the guest sent over virtio-net, as L1's nc
# received it, and volt-stardust's status (0: the process got it out).
net_line=$(grep -a -o 'STARDUST-E2E: net got=.* rc=[0-9]*' "$log" | head -n 1 | tr -d '\r' || true)
if grep -qa 'STARDUST-E2E: net absent' "$log"; then
	res[net]=absent
	if [ "$mode" = direct ]; then
		res[net_reason]="\"direct mode: the net step runs only in L1, whose addresses the test owns\""
	else
		res[net_reason]="\"$(head -n 1 "$out/net-absent" 2>/dev/null | tr -d '"')\""
	fi
elif [ -z "$net_line" ]; then
	res[net]=unknown
	grep -qa 'STARDUST-E2E: net start' "$log" && failures+=("volt-stardust net: started but never finished (L1 died or timed out)")
else
	res[net_rc]=${net_line##*rc=}
	n_got=${net_line#*got=}
	n_got=${n_got% rc=*}
	res[net_got]="\"${n_got//\"/}\""
	# The guest's default route (org.volt.vm.net.gateway), as the process saw it.
	res[net_route]=no
	grep -qa 'STARDUST-E2E: net stdout: default via 10.77.0.1 dev eth0' "$log" && res[net_route]=yes
	if [ "${res[net_rc]}" = 0 ] && [ "$n_got" = hello-over-virtio-net ] && [ "${res[net_route]}" = yes ]; then
		res[net]=pass
	else
		res[net]=fail
		why="L1 received '$n_got' (want hello-over-virtio-net), exit status ${res[net_rc]} (want 0), default route via 10.77.0.1 seen: ${res[net_route]}"
		[ "${res[net_rc]}" = 137 ] && why+=", killed by its timeout"
		err=$(grep -a -o -E 'STARDUST-E2E: net (stderr|stdout|tap): .*' "$log" | tail -n 4 | sed 's/STARDUST-E2E: net //' | tr -d '\r' | tr '\n' ' ' || true)
		[ -n "$err" ] && why+="; $err"
		failures+=("volt-stardust net: $why")
	fi
fi

if [ -n "${res[timeout]:-}" ]; then
	last=$(grep -a -o 'STARDUST-E2E: .*' "$log" | tail -n 1 | tr -d '\r' || true)
	failures+=("timed out after ${timeout_s}s (last marker: ${last:-none})")
fi

say "qemu launch -> L1 /init ${res[l1_boot_s]:--}s, -> /dev/kvm ${res[kvm]} ${res[kvm_boot_s]:--}s (host wall clock, polled every 0.2 s)"
say "sd-kvm-smoke: ${res[smoke]}${res[smoke_rc]:+ (rc ${res[smoke_rc]})}; stardust-vmm L2: ${res[l2]}${res[l2_rc]:+ (rc ${res[l2_rc]})}; qemu L2 reference: ${res[qemu_l2]}${res[qemu_l2_rc]:+ (rc ${res[qemu_l2_rc]})}"
if [ "${res[l2]}" = pass ] || [ "${res[qemu_l2]}" = pass ]; then
	say "L2 timing (L1 uptime): $(grep -a -E 'STARDUST-E2E: (qemu-l2|l2) (start|rc=)' "$log" | sed 's/STARDUST-E2E: //' | tr '\n' ' ')"
fi
say "volt-stardust bundle: ${res[bundle]}${res[bundle_rc]:+ (rc ${res[bundle_rc]}, stdout ${res[bundle_out]})}"
say "volt-stardust lifecycle with exec: ${res[lifecycle]}${res[lifecycle_got]:+ (${res[lifecycle_got]})}"
say "volt-stardust net (TCP from the guest to L1 over virtio-net): ${res[net]}${res[net_got]:+ (L1 got ${res[net_got]}, rc ${res[net_rc]}, default route ${res[net_route]})}${res[net_reason]:+ (${res[net_reason]})}"
say "total ${res[total_s]}s; log $log"
if [ "${#failures[@]}" -gt 0 ]; then
	res[verdict]=fail
	write_result
	for f in "${failures[@]}"; do
		say "FAIL: $f"
	done
	if [ -s "$out/qemu.err" ]; then
		echo "--- qemu stderr"
		tail -n 20 "$out/qemu.err"
	fi
	echo "--- last 40 lines of $log"
	tail -n 40 "$log" | tr -d '\r'
	exit 1
fi
res[verdict]=pass
write_result
say "PASS"
