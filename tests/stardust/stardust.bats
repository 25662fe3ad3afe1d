#!/usr/bin/env bats
# Stardust end to end: one boot of run-e2e.sh (qemu TCG with SVM -> L1 with
# kvm_amd -> sd-kvm-smoke, stardust-vmm and volt-stardust running a busybox
# bundle on L1's /dev/kvm, its lifecycle, and a microVM on a tap talking TCP
# to L1), then one test per step, read from its
# result.env. Last, volt-stardust with a stand-in monitor on this machine
# (tests/stardust-shim/run-fake.sh, no KVM). Steps whose binary is not built yet,
# and the whole file when qemu or Debian's kernel is not installed
# (scripts/stardust-e2e-deps.sh), skip with the reason.

setup_file() {
	REPO=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)
	export REPO
	export SD_BUILD=${VOLT_BUILD:-$REPO/build}
	export SD_LOG="$BATS_FILE_TMPDIR/run-e2e.out"
	# Private copies: another run on the same build directory reuses
	# BUILD/stardust-e2e/result.env and its log.
	export STARDUST_E2E_RESULT="$BATS_FILE_TMPDIR/result.env"
	local limit=${STARDUST_E2E_TIMEOUT:-240} rc=0
	# The outer bound covers the artefact build too (~10 s the first time).
	timeout -s KILL $((limit + 60)) "$REPO/tests/stardust/run-e2e.sh" "$SD_BUILD" >"$SD_LOG" 2>&1 || rc=$?
	export SD_RC=$rc
}

# result KEY: a value from run-e2e.sh's result.env, "" when absent.
result() {
	sed -n "s/^$1=//p" "$STARDUST_E2E_RESULT" 2>/dev/null | tr -d '"'
}

# Skip when the test cannot run here; fail with run-e2e.sh's own report when
# it died without a verdict.
require_run() {
	if [ "$SD_RC" = 77 ]; then
		skip "$(result reason)"
	fi
	if [ ! -s "$STARDUST_E2E_RESULT" ]; then
		cat "$SD_LOG"
		echo "run-e2e.sh exited $SD_RC without a result (killed by the outer timeout if 137)"
		return 1
	fi
}

# On failure bats prints what the test wrote: the run's summary and log tail
# (the whole serial log is kept at ${STARDUST_E2E_RESULT%.env}.log only for
# the test's lifetime, so its tail is what CI shows).
show_run() {
	cat "$SD_LOG"
}

@test "nested KVM: /dev/kvm appears in L1" {
	require_run
	if [ "$(result kvm)" != ok ]; then
		show_run
		echo "expected kvm=ok, got kvm=$(result kvm)"
		return 1
	fi
	echo "qemu launch -> L1 /init $(result l1_boot_s) s, -> /dev/kvm $(result kvm_boot_s) s"
}

@test "KVM smoke test passes in L1" {
	require_run
	case $(result smoke) in
	pass) ;;
	absent) skip "$SD_BUILD/sd-kvm-smoke is not built yet" ;;
	skip) skip "sd-kvm-smoke exited 77: it found no /dev/kvm in L1" ;;
	*)
		show_run
		echo "expected smoke=pass, got smoke=$(result smoke) (rc $(result smoke_rc))"
		return 1
		;;
	esac
}

@test "stardust-vmm boots an L2 guest to its init" {
	require_run
	case $(result l2) in
	pass) ;;
	absent) skip "$SD_BUILD/stardust-vmm is not built yet" ;;
	*)
		show_run
		echo "expected l2=pass, got l2=$(result l2) (rc $(result l2_rc), L2 marker $(result l2_marker))"
		return 1
		;;
	esac
}

@test "volt-stardust runs a busybox bundle in a microVM: output and exit status" {
	require_run
	case $(result bundle) in
	pass) ;;
	absent) skip "$(result bundle_reason)" ;;
	*)
		show_run
		echo "expected bundle=pass (stdout hello-from-microvm, exit status 7), got bundle=$(result bundle) (rc $(result bundle_rc), stdout '$(result bundle_out)')"
		return 1
		;;
	esac
	echo "volt-stardust run in L1: stdout $(result bundle_out), exit status $(result bundle_rc)"
}

@test "volt-stardust create/start/exec/kill/delete of a microVM (exec output, status, stdin; TERM into the guest)" {
	require_run
	case $(result lifecycle) in
	pass) ;;
	absent) skip "$(result bundle_reason)" ;;
	*)
		show_run
		echo "expected lifecycle=pass, got lifecycle=$(result lifecycle): $(result lifecycle_got)"
		return 1
		;;
	esac
	echo "volt-stardust lifecycle in L1: $(result lifecycle_got)"
}

@test "volt-stardust gives a microVM a network: TCP from the guest to L1 over virtio-net (org.volt.vm.net.*)" {
	require_run
	case $(result net) in
	pass) ;;
	absent) skip "$(result net_reason)" ;;
	*)
		show_run
		echo "expected net=pass (L1 receives hello-over-virtio-net, exit status 0), got net=$(result net) (rc $(result net_rc), L1 got '$(result net_got)')"
		return 1
		;;
	esac
	echo "volt-stardust net in L1: L1 got $(result net_got), exit status $(result net_rc)"
}

# Everything but the VM, on this machine: fake-vmm.sh stands in for the
# monitor (loop-mounts the shim's image, runs stardust-init in host mode).
@test "volt-stardust with a stand-in monitor: stdio, signals, lifecycle (run-fake.sh)" {
	for f in volt-stardust stardust-init; do
		[ -x "$SD_BUILD/$f" ] || skip "$SD_BUILD/$f is not built yet"
	done
	[ -d "$SD_BUILD/bundle/rootfs" ] || skip "$SD_BUILD/bundle is missing (make bundle)"
	[ "$(id -u)" = 0 ] || skip "needs root (loop devices, mounts)"
	local rc=0
	timeout -s KILL 300 "$REPO/tests/stardust-shim/run-fake.sh" "$SD_BUILD" >"$BATS_TEST_TMPDIR/fake.out" 2>&1 || rc=$?
	if grep -q '^1\.\.0 # SKIP' "$BATS_TEST_TMPDIR/fake.out"; then
		skip "run-fake.sh: $(sed -n 's/^1\.\.0 # SKIP //p' "$BATS_TEST_TMPDIR/fake.out")"
	fi
	cat "$BATS_TEST_TMPDIR/fake.out"
	[ "$rc" = 0 ] || { echo "run-fake.sh exited $rc (137: killed by the 120 s timeout)"; return 1; }
}
