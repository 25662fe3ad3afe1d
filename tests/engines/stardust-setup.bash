# volt-stardust (the microVM backend) as the engines' runtime, for
# tests/engines/stardust-*.bats. There is no usable /dev/kvm on these
# machines, so the monitor is tests/stardust-shim/fake-vmm.sh (through
# stardust-engine-vmm.sh): it loop-mounts the bundle image the shim built and
# runs the real stardust-init on it over the real control protocol;
# everything but the VM is real. Engines pass the runtime none of our
# environment, so the engine is given a wrapper script named volt-stardust
# that sets the monitor and init and execs the real binary. Needs
# engine-helpers.bash.
#
# Environment:
#   VOLT_STARDUST        the shim (default $VOLT_BUILD/volt-stardust)
#   VOLT_STARDUST_INIT   stardust-init (default $VOLT_BUILD/stardust-init)

VOLT_STARDUST=${VOLT_STARDUST:-$VOLT_BUILD/volt-stardust}
VOLT_STARDUST_INIT=${VOLT_STARDUST_INIT:-$VOLT_BUILD/stardust-init}
# The monitor: STARDUST_ENGINE_MONITOR=auto (default) takes the real
# stardust-vmm on a host whose /dev/kvm can run a guest kernel (VMX/SVM, not
# KVM's PVM backend: the test as run-e2e.sh's direct mode decides), else
# fake-vmm.sh with the guest's own cgroup tree (see stardust-engine-vmm.sh);
# fake or real force one.
stardust_real_kvm() {
	[ -c /dev/kvm ] && grep -qw -E 'vmx|svm' /proc/cpuinfo && [ ! -d /sys/module/kvm_pvm ]
}
case ${STARDUST_ENGINE_MONITOR:-auto} in
real) STARDUST_ENGINE_VMM=$VOLT_BUILD/stardust-vmm ;;
fake) STARDUST_ENGINE_VMM="$ENGINE_REPO/tests/engines/stardust-engine-vmm.sh" ;;
*)
	if stardust_real_kvm && [ -x "$VOLT_BUILD/stardust-vmm" ]; then
		STARDUST_ENGINE_VMM=$VOLT_BUILD/stardust-vmm
	else
		STARDUST_ENGINE_VMM="$ENGINE_REPO/tests/engines/stardust-engine-vmm.sh"
	fi
	;;
esac
export VOLT_STARDUST VOLT_STARDUST_INIT STARDUST_ENGINE_VMM

# From setup_file: what is missing for these tests (the shim, the fake
# monitor's tools, a guest kernel, which the shim builds the initramfs for
# even when the monitor is the fake, and the engine's TOOL...), as
# engine_missing, which checks the shim as the runtime.
stardust_missing() {
	local tool VOLT_RUN=$VOLT_STARDUST
	for tool in mke2fs losetup cpio mount unshare; do
		if ! command -v "$tool" >/dev/null; then
			echo "$tool not installed (the fake microVM monitor needs it)"
			return 0
		fi
	done
	if [ ! -x "$VOLT_STARDUST" ]; then
		echo "no volt-stardust at $VOLT_STARDUST (run make)"
	elif [ ! -x "$VOLT_STARDUST_INIT" ]; then
		echo "no stardust-init at $VOLT_STARDUST_INIT (run make)"
	elif [ ! -e /dev/loop-control ]; then
		echo "no loop devices (/dev/loop-control)"
	elif ! compgen -G '/boot/vmlinu[xz]-*' >/dev/null; then
		echo "no guest kernel in /boot (scripts/stardust-e2e-deps.sh installs linux-image-amd64)"
	else
		engine_missing "$@"
	fi
}

# setup_file of a stardust-*.bats: STARDUST_SKIP is the reason when
# something is missing (each test then skips in setup), else empty.
stardust_check() {
	STARDUST_SKIP=$(stardust_missing "$@") || STARDUST_SKIP=""
	export STARDUST_SKIP
	[ -z "$STARDUST_SKIP" ]
}

# After engine_tmp_setup: write the wrappers and make the first the engine's
# runtime (VOLT_RUN too, so teardown's `$VOLT_RUN delete --force` reaches the
# same state). The default state root, /run/volt-stardust, is what podman
# uses; containerd's shim passes its own --root.
#   $ENGINE_TMP/bin/volt-stardust     the fake monitor may use its loop devices
#                                     in spite of the container's device cgroup
#   $ENGINE_TMP/strict/volt-stardust  it may not, as the real monitor may not
#                                     open /dev/kvm (STARDUST_STRICT_RUNTIME)
#   $ENGINE_TMP/guest/volt-stardust   the same as bin/ now that fake-vmm.sh
#                                     always shows stardust-init only the
#                                     guest's files (STARDUST_GUEST_RUNTIME)
stardust_runtime_setup() {
	local kind dir allow
	STARDUST_VMM_LOG="$ENGINE_TMP/vmm.log"
	export STARDUST_VMM_LOG
	for kind in bin:1 strict:0 guest:1; do
		IFS=: read -r dir allow <<<"$kind"
		mkdir -p "$ENGINE_TMP/$dir"
		cat >"$ENGINE_TMP/$dir/volt-stardust" <<-WRAP
			#!/bin/sh
			VOLT_STARDUST_VMM='$STARDUST_ENGINE_VMM'
			STARDUST_INIT='$VOLT_STARDUST_INIT'
			VOLT_STARDUST_INIT='$VOLT_STARDUST_INIT'
			STARDUST_FAKE_ALLOW_DEVICES=$allow
			STARDUST_VMM_LOG='$STARDUST_VMM_LOG'
			export VOLT_STARDUST_VMM STARDUST_INIT VOLT_STARDUST_INIT
			export STARDUST_FAKE_ALLOW_DEVICES STARDUST_VMM_LOG
			exec '$VOLT_STARDUST' "\$@"
		WRAP
		chmod 0755 "$ENGINE_TMP/$dir/volt-stardust"
	done
	VOLT_RUN="$ENGINE_TMP/bin/volt-stardust"
	STARDUST_STRICT_RUNTIME="$ENGINE_TMP/strict/volt-stardust"
	STARDUST_GUEST_RUNTIME="$ENGINE_TMP/guest/volt-stardust"
	export VOLT_RUN STARDUST_STRICT_RUNTIME STARDUST_GUEST_RUNTIME
	engine_use_runtime "$VOLT_RUN"
}

# On a failed test: what the (fake) monitors said last.
stardust_dump_vmm_log() {
	if [ -s "${STARDUST_VMM_LOG:-}" ]; then
		echo "# ---- fake monitor's stderr ($STARDUST_VMM_LOG)"
		tail -n 15 "$STARDUST_VMM_LOG"
	fi
}

# True when no process's command line contains STRING (the relay is a fork of
# volt-stardust with the container's ID in its argv; the monitor has the
# state directory's image as --disk; conmon and the shim name the ID too).
no_process_mentions() {
	local s=$1 d cmd
	for d in /proc/[0-9]*; do
		[ "${d#/proc/}" = $$ ] && continue
		cmd=$({ tr '\0' ' ' <"$d/cmdline"; } 2>/dev/null) || continue
		case "$cmd" in
		*"$s"*)
			echo "still running: ${d#/proc/} $cmd" >&2
			return 1
			;;
		esac
	done
	return 0
}

# The host directory of PID's cgroup (the relay's is the container's): in the
# memory hierarchy on a cgroup v1 or hybrid host, else in the unified one.
pid_cgroup_dir() {
	local pid=$1 path
	if [ -d /sys/fs/cgroup/memory ]; then
		path=$(awk -F: '$2 ~ /(^|,)memory(,|$)/ { print $3 }' "/proc/$pid/cgroup") || return 1
		echo "/sys/fs/cgroup/memory$path"
	else
		path=$(awk -F: '$1 == "0" { print $3 }' "/proc/$pid/cgroup") || return 1
		echo "/sys/fs/cgroup$path"
	fi
}
