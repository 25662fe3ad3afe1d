#!/bin/bash
# build-initramfs.sh [BUILD]: the boot artefacts of Stardust's end-to-end test,
# cached in BUILD/stardust-e2e/ (BUILD defaults to build) and rebuilt only when
# an input changes:
#   vmlinux            Debian's kernel, uncompressed: it boots L1 (qemu TCG) and
#                      L2 (stardust-vmm inside L1). Under emulation, letting a
#                      bzImage decompress itself costs 6-12 s per boot.
#   l1-initramfs.cpio  busybox, the kvm modules and an /init that loads them,
#                      runs BUILD/sd-kvm-smoke and BUILD/stardust-vmm (each if
#                      built) and prints STARDUST-E2E markers on the console;
#                      with BUILD/volt-stardust, stardust-init, stardust-vmm
#                      and BUILD/bundle also what volt-stardust needs (mke2fs
#                      and its libraries, the L2 kernel's module subset, the
#                      bundle) and a step that runs the bundle in a microVM;
#                      with tun and the network modules, a step where a
#                      microVM on tap sdtap0 talks TCP to L1 (the net step).
#   l2-initramfs.cpio  busybox and an /init that prints the L2 marker and
#                      powers the guest off.
#   l2-cmdline, vmm-args  the L2 command line and stardust-vmm's arguments,
#                      for run-e2e.sh's direct mode.
#   kernel-version     the version the artefacts were made from.
# Environment:
#   STARDUST_E2E_KVER     kernel version (default: the newest /boot/vmlinuz-*
#                         with a /lib/modules tree)
#   STARDUST_L2_CMDLINE   L2 kernel command line (default below)
#   STARDUST_VMM_ARGS     stardust-vmm's arguments in L1; @KERNEL@, @INITRD@,
#                         @CMDLINE@ are substituted (default below)
#   STARDUST_E2E_WITH_L2  1: put the L2 kernel and initramfs into L1 even when
#                         stardust-vmm is not built (default: only with it)
#   STARDUST_E2E_L2_QEMU  1: also boot L2 with qemu microvm on L1's /dev/kvm,
#                         a reference for the L2 side (adds ~50 MB, ~10 s)
#   STARDUST_L2_EXIT      poweroff (default) or reboot: how L2's init ends
#   STARDUST_SMOKE_TIMEOUT, STARDUST_L2_TIMEOUT  per payload in L1 (60, 90 s)
#   STARDUST_BUNDLE_TIMEOUT  volt-stardust run in L1 (default 120 s)
#   STARDUST_BUNDLE_SERIAL   1: the bundle's monitor runs with --serial, so
#                         the L2 kernel's console shows in L1's log (debugging)
#   STARDUST_E2E_OVERLAY  a directory copied over the L1 root last (debugging:
#                         extra tools, a stand-in monitor's dependencies)
# The cpio archives are uncompressed: L1 unpacks them under TCG, where gunzip
# of the L2 kernel would cost seconds; qemu copies raw bytes for free.
set -euo pipefail

repo=$(cd "$(dirname "$0")/../.." && pwd)
cd "$repo"
build=${1:-build}
out="$build/stardust-e2e"
mkdir -p "$out"

die() {
	echo "build-initramfs: $*" >&2
	exit 1
}
note() { echo "build-initramfs: $*" >&2; }

for tool in cpio xz busybox sha256sum od; do
	command -v "$tool" >/dev/null || die "$tool not found (run: scripts/stardust-e2e-deps.sh)"
done
busybox=$(command -v busybox)
# A dynamically linked busybox would find no libc in the initramfs.
if ldd "$busybox" >/dev/null 2>&1; then
	die "$busybox is not statically linked (install busybox-static)"
fi

# --- the kernel -------------------------------------------------------------
kver=${STARDUST_E2E_KVER:-}
if [ -z "$kver" ]; then
	for img in $(printf '%s\n' /boot/vmlinuz-* | sort -rV); do
		v=${img#/boot/vmlinuz-}
		if [ -f "/lib/modules/$v/modules.dep" ]; then
			kver=$v
			break
		fi
	done
fi
[ -n "$kver" ] || die "no /boot/vmlinuz-* with a /lib/modules/<version>/modules.dep (install linux-image-amd64)"
bzimage=/boot/vmlinuz-$kver
moddir=/lib/modules/$kver
[ -r "$bzimage" ] || die "$bzimage: not readable"
[ -r "$moddir/modules.dep" ] || die "$moddir/modules.dep: missing"

# Inputs are fingerprinted by path, size and mtime, plus this script: a
# stamp file next to each artefact holds the fingerprint it was built from.
fingerprint() {
	{
		sha256sum "$0"
		local f
		for f in "$@"; do
			if [ -e "$f" ]; then
				stat -L -c '%n %s %Y' "$f"
			else
				echo "$f absent"
			fi
		done
	} | sha256sum | cut -d' ' -f1
}
# What else shapes the L1 image: its settings and the overlay's files.
l1_settings() {
	{
		env | grep -E '^STARDUST_(L2_CMDLINE|VMM_ARGS|E2E_WITH_L2|E2E_L2_QEMU|E2E_OVERLAY|SMOKE_TIMEOUT|L2_TIMEOUT|BUNDLE_TIMEOUT|BUNDLE_SERIAL)=' | sort || true
		if [ -n "${STARDUST_E2E_OVERLAY:-}" ]; then
			find "$STARDUST_E2E_OVERLAY" -printf '%P %s %T@\n' | LC_ALL=C sort
		fi
	} | sha256sum | cut -c1-16
}
fresh() { # fresh ARTEFACT FINGERPRINT
	[ -s "$1" ] && [ -f "$1.stamp" ] && [ "$(cat "$1.stamp")" = "$2" ]
}

u8() { od -An -t u1 -j "$2" -N 1 "$1" | tr -d ' '; }
u32() { od -An -t u4 -j "$2" -N 4 "$1" | tr -d ' '; }

# The compressed kernel inside a bzImage starts at payload_offset (setup
# header, 0x248) within the protected-mode part, which follows the
# (setup_sects + 1) sectors of real-mode setup; payload_length is at 0x24c.
# Decompressing to the first stream end ignores the size trailer after it.
extract_vmlinux() { # extract_vmlinux BZIMAGE OUT
	local img=$1 dst=$2 sects off len magic
	[ "$(od -An -c -j 0x202 -N 4 "$img" | tr -d ' ')" = HdrS ] || die "$img: not a bzImage (no HdrS)"
	sects=$(u8 "$img" $((0x1f1)))
	[ "$sects" -eq 0 ] && sects=4
	off=$(((sects + 1) * 512 + $(u32 "$img" $((0x248)))))
	len=$(u32 "$img" $((0x24c)))
	magic=$(od -An -t x1 -j "$off" -N 6 "$img" | tr -d ' ')
	local -a unpack
	case "$magic" in
	fd377a585a00) unpack=(xz -dc --single-stream) ;;
	1f8b*) unpack=(gzip -dc) ;;
	28b52ffd*) unpack=(zstd -dcq) ;;
	*) die "$img: payload at $off has magic $magic; only xz, gzip and zstd are handled" ;;
	esac
	command -v "${unpack[0]}" >/dev/null || die "${unpack[0]} not found, needed for $img"
	tail -c +$((off + 1)) "$img" | head -c "$len" | "${unpack[@]}" >"$dst.tmp" 2>"$dst.err" || true
	[ "$(od -An -t x1 -N 4 "$dst.tmp" | tr -d ' ')" = 7f454c46 ] ||
		die "$img: decompressing the payload ($magic at $off, $len bytes) gave no ELF: $(head -c 300 "$dst.err")"
	rm -f "$dst.err"
	mv "$dst.tmp" "$dst"
}

vmlinux="$out/vmlinux"
fp=$(fingerprint "$bzimage")
if ! fresh "$vmlinux" "$fp"; then
	note "extracting $bzimage -> $vmlinux"
	extract_vmlinux "$bzimage" "$vmlinux"
	echo "$fp" >"$vmlinux.stamp"
fi
echo "$kver" >"$out/kernel-version"

# --- common initramfs pieces ------------------------------------------------
# A root with busybox and a link per applet, so /init needs no --install.
busybox_root() { # busybox_root DIR
	local d=$1 a
	mkdir -p "$d"/{bin,sbin,dev,proc,sys,tmp,etc}
	cp "$busybox" "$d/bin/busybox"
	for a in $("$busybox" --list); do
		[ "$a" = busybox ] || ln -sf busybox "$d/bin/$a"
	done
	# The kernel opens /dev/console for init before devtmpfs is mounted.
	mknod -m 600 "$d/dev/console" c 5 1 2>/dev/null || true
}

make_cpio() { # make_cpio DIR OUT
	(cd "$1" && find . -mindepth 1 | LC_ALL=C sort | cpio -o -H newc -R 0:0 --reproducible --quiet) >"$2.tmp"
	mv "$2.tmp" "$2"
}

# --- L2 initramfs -----------------------------------------------------------
# The marker goes to /dev/kmsg at KERN_CRIT, which `quiet` still prints on
# the kernel console (console=ttyS0) through the kernel's own polled path.
# Not written to /dev/console: a serial port that never raises its transmit
# interrupt (nested, or a minimal monitor) keeps the writer's close() waiting
# for the FIFO to drain, and the guest never gets to its exit.
# Then the guest tells its monitor it is done (STARDUST_L2_EXIT):
#   poweroff (default) `poweroff -f`: ACPI S5 through the FADT's sleep
#            registers (stardust/vmm/acpi.h's sleep port; qemu microvm's
#            GED); a monitor without them sees a HLT KVM keeps to itself.
#   reboot   `reboot -f`: with no ACPI reset register and no i8042 the kernel
#            ends in a triple fault (KVM_EXIT_SHUTDOWN), for a monitor
#            without ACPI.
l2_exit=${STARDUST_L2_EXIT:-poweroff}
case $l2_exit in
reboot | poweroff) ;;
*) die "STARDUST_L2_EXIT=$l2_exit: expected reboot or poweroff" ;;
esac
# shellcheck disable=SC2016 # expanded by the guest's shell
l2_init='#!/bin/sh
mount -t proc proc /proc
mount -t devtmpfs dev /dev 2>/dev/null
up=$(cut -d" " -f1 /proc/uptime)
echo "<2>STARDUST-L2: hello from the guest (uptime ${up}s)" >/dev/kmsg
'"$l2_exit"' -f
'
l2="$out/l2-initramfs.cpio"
fp=$(fingerprint "$busybox")-$(printf %s "$l2_init" | sha256sum | cut -c1-16)
if ! fresh "$l2" "$fp"; then
	note "building $l2"
	root="$out/l2-root"
	rm -rf "$root"
	busybox_root "$root"
	printf %s "$l2_init" >"$root/init"
	chmod 755 "$root/init"
	make_cpio "$root" "$l2"
	rm -rf "$root"
	echo "$fp" >"$l2.stamp"
fi

# --- L1 initramfs -----------------------------------------------------------
# Modules in load order: each one's modules.dep line lists its dependencies
# deepest last, so they load in reverse, before the module itself.
declare -A dep_of=() seen=()
while IFS= read -r line; do
	path=${line%%:*}
	name=${path##*/}
	name=${name%%.ko*}
	dep_of[${name//-/_}]=$line
done <"$moddir/modules.dep"

order=()
add_module() { # add_module NAME
	local n=${1//-/_} line deps i
	[ -n "${seen[$n]:-}" ] && return 0
	line=${dep_of[$n]:-}
	[ -n "$line" ] || die "module $1 not in $moddir/modules.dep"
	read -r -a deps <<<"${line#*:}"
	for ((i = ${#deps[@]} - 1; i >= 0; i--)); do
		local d=${deps[i]##*/}
		add_module "${d%%.ko*}"
	done
	seen[$n]=1
	order+=("${line%%:*}")
}
# ccp is a kvm_amd dependency in Debian's build (SEV); listed for kernels
# where it is not, it then loads harmlessly on its own.
for m in irqbypass kvm ccp kvm_amd; do
	add_module "$m"
done
# tun: stardust-vmm --net-tap creates the net step's tap. A kernel with tun
# built in needs nothing.
[ -n "${dep_of[tun]:-}" ] && add_module tun
kvm_order=("${order[@]}")
# The L2 kernel's modules volt-stardust puts into its guest initramfs
# (stardust/shim/modules.c's sd_guest_modules and sd_guest_net_modules,
# and their dependencies): the shim reads them from a module tree, so L1
# gets that subset of the tree.
order=() seen=()
for m in virtio_mmio virtio_blk virtio_console crc32c_generic ext4 failover net_failover virtio_net; do
	add_module "$m"
done
l2_mods=("${order[@]}")
order=("${kvm_order[@]}")

smoke="$build/sd-kvm-smoke"
vmm="$build/stardust-vmm"
shim="$build/volt-stardust"
sinit="$build/stardust-init"
bundle_src="$build/bundle"
qemu_l2=${STARDUST_E2E_L2_QEMU:-0}
with_l2=${STARDUST_E2E_WITH_L2:-0}
{ [ -x "$vmm" ] || [ "$qemu_l2" = 1 ]; } && with_l2=1
# The bundle step: volt-stardust runs BUILD/bundle (busybox + volt-probe) in
# a microVM on L1's /dev/kvm. Without one of its binaries L1 reports it
# absent, with the reason in bundle-absent (for the test's skip message).
with_bundle=1 bundle_absent=
for f in "$shim" "$sinit" "$vmm"; do
	[ -x "$f" ] || { with_bundle=0 bundle_absent="$f is not built"; }
done
if [ ! -f "$bundle_src/config.json" ] || [ ! -d "$bundle_src/rootfs" ]; then
	with_bundle=0 bundle_absent=${bundle_absent:-"$bundle_src is missing (make bundle)"}
fi
mke2fs_bin=
if [ "$with_bundle" = 1 ]; then
	command -v jq >/dev/null || die "jq not found, needed to write the e2e bundle's config.json"
	for f in /usr/sbin/mke2fs /sbin/mke2fs; do
		[ -x "$f" ] && { mke2fs_bin=$(readlink -f "$f"); break; }
	done
	[ -n "$mke2fs_bin" ] || die "mke2fs not found, volt-stardust needs it in L1 (install e2fsprogs)"
fi
printf '%s\n' "$bundle_absent" >"$out/bundle-absent"
# The net step needs nc and ip in L1's busybox (the listener, the tap's
# address) and nc in the bundle's (the sender), and only runs in L1: its
# addresses exist only inside the VM the test made.
with_net=$with_bundle net_absent=$bundle_absent
for bb in "$busybox" "$bundle_src/rootfs/bin/busybox"; do
	[ "$with_net" = 1 ] || break
	# The whole list first: grep -q would quit early, and with pipefail
	# busybox's SIGPIPE would read as a missing applet.
	applets=$("$bb" --list 2>/dev/null || true)
	for a in nc ip; do
		if ! grep -qx "$a" <<<"$applets"; then
			with_net=0 net_absent="$bb has no $a applet"
		fi
	done
done
printf '%s\n' "$net_absent" >"$out/net-absent"
# The bundle's process and the VM annotations. KERNEL and MODULES are where
# L1 (or, in direct mode, the host) has the L2 kernel and its module tree.
# Ephemeral: no initramfs cache under /var/cache in L1.
bundle_config() { # bundle_config KERNEL MODULES ROOT
	jq --arg k "$1" --arg m "$2" --arg r "$3" '
		.process.args = ["sh", "-c", "echo hello-from-microvm; exit 7"]
		| .root.path = $r
		| .annotations = ((.annotations // {}) + {
			"org.volt.vm.kernel": $k, "org.volt.vm.modules": $m,
			"org.volt.vm.ephemeral": "true", "org.volt.vm.boot-timeout": "90"})' \
		"$bundle_src/config.json"
}
# The net step's bundle: a VM on tap sdtap0 (which L1 addresses as
# 10.77.0.1/24 once the monitor made it) whose process, sharing the guest's
# network (no network namespace of its own), sends a line to L1 over TCP,
# retrying while L1's side comes up.
net_config() { # net_config KERNEL MODULES ROOT
	bundle_config "$@" | jq '
		.process.args = ["sh", "-c", "ip addr show eth0 | grep \"inet \"; ip route show default; i=0; while [ $i -lt 30 ]; do echo hello-over-virtio-net | nc 10.77.0.1 7777 && { echo net-sent; exit 0; }; i=$((i + 1)); sleep 1; done; exit 1"]
		| .annotations += {"org.volt.vm.net.tap": "sdtap0", "org.volt.vm.net.address": "10.77.0.2/24",
			"org.volt.vm.net.gateway": "10.77.0.1"}'
}
# The lifecycle step's bundle (tests/stardust/lifecycle.sh): a process that
# waits for TERM, beside which execs run.
lifecycle_config() { # lifecycle_config KERNEL MODULES ROOT
	bundle_config "$@" | jq '.process.args = ["sh", "-c", "trap \"echo got-term; exit 3\" TERM; echo up; while :; do sleep 1; done"]'
}
if [ "$with_bundle" = 1 ]; then
	mkdir -p "$out/bundle-direct" "$out/bundle-direct-lc"
	bundle_config "$(readlink -f "$vmlinux")" "$moddir" "$(readlink -f "$bundle_src/rootfs")" >"$out/bundle-direct/config.json"
	lifecycle_config "$(readlink -f "$vmlinux")" "$moddir" "$(readlink -f "$bundle_src/rootfs")" >"$out/bundle-direct-lc/config.json"
fi

# No nolapic: the monitor describes its local APICs in an MADT, and with
# nolapic under qemu microvm the guest never got to its exit. A monitor
# without MADT needs it back (docs/stardust.md).
l2_cmdline=${STARDUST_L2_CMDLINE:-console=ttyS0 quiet panic=-1 initcall_blacklist=cmos_init pci=off io_delay=none 8250.nr_uarts=1 rdinit=/init}
vmm_args=${STARDUST_VMM_ARGS:---kernel @KERNEL@ --initrd @INITRD@ --cmdline @CMDLINE@ --mem 256 --vcpus 1 --serial}
# For run-e2e.sh's direct mode, which runs the same payloads on the host.
echo "$l2_cmdline" >"$out/l2-cmdline"
echo "$vmm_args" >"$out/vmm-args"

# The L1 /init. Every step prints a marker the host parses; anything that
# goes wrong prints the evidence (dmesg tail) before the power-off, since the
# serial log is all the host gets back. Payloads run under timeout so a hung
# guest still ends in a power-off with a verdict. Payload NAME's markers:
# "NAME start", "NAME rc=N" or "NAME absent"; the L2 marker between the
# first two is that payload's guest.
# shellcheck disable=SC2016 # expanded by the guest's shell
l1_init='#!/bin/sh
export PATH=/bin:/sbin:/usr/bin
# The initramfs root (rootfs) cannot be pivot_root(2)ed away from, which a
# jailed monitor does: move everything to a tmpfs root first, as a real
# host has, and start over from there.
if [ ! -e /.tmpfs-root ]; then
	mkdir -p /newroot
	mount -t tmpfs -o mode=755 root /newroot
	for f in /*; do
		[ "$f" = /newroot ] || cp -a "$f" /newroot/
	done
	: >/newroot/.tmpfs-root
	exec switch_root /newroot /init
fi
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
m() { echo "STARDUST-E2E: $*"; }
up() { cut -d" " -f1 /proc/uptime; }
m "l1 init uptime=$(up) kernel=$(uname -r)"
grep -qw svm /proc/cpuinfo || m "no svm flag in L1 cpuinfo"
while read -r ko args; do
	[ -n "$ko" ] || continue
	out=$(insmod "/lib/modules/$ko" $args 2>&1) || m "insmod $ko failed: $out"
done </etc/stardust-e2e/modules
if [ -c /dev/kvm ]; then
	m "kvm ok uptime=$(up) nested=$(cat /sys/module/kvm_amd/parameters/nested 2>/dev/null) npt=$(cat /sys/module/kvm_amd/parameters/npt 2>/dev/null)"
else
	m "kvm missing"
	dmesg | grep -i -E "kvm|svm|ccp" | tail -n 20
fi
# payload NAME BINARY ARGS...: @CMDLINE@ in ARGS becomes the L2 command
# line as one argument (it has blanks).
payload() {
	name=$1 bin=$2
	shift 2
	if [ ! -x "$bin" ]; then
		m "$name absent"
		return
	fi
	args=$*
	set --
	for a in $args; do
		[ "$a" = @CMDLINE@ ] && a=$(cat /etc/stardust-e2e/l2-cmdline)
		set -- "$@" "$a"
	done
	m "$name start uptime=$(up)"
	timeout -s KILL "$(cat /etc/stardust-e2e/timeout-$name)" "$bin" "$@"
	m "$name rc=$? uptime=$(up)"
}
payload smoke /bin/sd-kvm-smoke
payload qemu-l2 /bin/qemu-l2 $(cat /etc/stardust-e2e/qemu-args)
payload l2 /bin/stardust-vmm $(cat /etc/stardust-e2e/vmm-args)
# The bundle: volt-stardust runs it in a microVM; its stdout and exit status
# are the test. The shim needs what a host has: cgroups, /run, /tmp.
bundle() {
	if [ ! -x /bin/volt-stardust ]; then
		m "bundle absent"
		return
	fi
	mkdir -p /sys/fs/cgroup /run /tmp
	mount -t cgroup2 cgroup2 /sys/fs/cgroup || m "bundle: mounting cgroup2 failed"
	mount -t tmpfs -o mode=755 run /run
	mount -t tmpfs -o mode=1777 tmp /tmp
	vmm=/bin/stardust-vmm
	[ -e /etc/stardust-e2e/bundle-serial ] && vmm=/bin/stardust-vmm-serial
	m "bundle start uptime=$(up)"
	VOLT_STARDUST_VMM=$vmm VOLT_STARDUST_INIT=/bin/stardust-init \
		timeout -s KILL "$(cat /etc/stardust-e2e/timeout-bundle)" \
		volt-stardust run -b /stardust/bundle e2e </dev/null >/tmp/bundle.out 2>/tmp/bundle.err
	rc=$?
	head -n 200 /tmp/bundle.out | sed "s/^/STARDUST-E2E: bundle stdout: /"
	head -n 50 /tmp/bundle.err | sed "s/^/STARDUST-E2E: bundle stderr: /"
	m "bundle out=$(head -n 1 /tmp/bundle.out) rc=$rc uptime=$(up)"
	[ "$rc" = 7 ] || dmesg | tail -n 20
	m "lifecycle start uptime=$(up)"
	VOLT_STARDUST_VMM=$vmm VOLT_STARDUST_INIT=/bin/stardust-init \
		STARDUST_LC_TIMEOUT="$(cat /etc/stardust-e2e/timeout-bundle)" \
		sh /bin/lifecycle.sh volt-stardust /stardust/bundle-lc lc /tmp
	m "lifecycle end uptime=$(up)"
	net_step
}
# The net step: L1 listens on 10.77.0.1:7777 on tap sdtap0, which the
# monitor of the bundle creates (L1 addresses it as soon as it shows); the
# process in the guest sends one line; what arrived is the test.
net_step() {
	if [ ! -d /stardust/bundle-net ]; then
		m "net absent"
		return
	fi
	m "net start uptime=$(up)"
	ip link set lo up
	nc -l -p 7777 </dev/null >/tmp/net.got 2>/tmp/net.nc-err &
	ncpid=$!
	(
		n=0
		while [ ! -e /sys/class/net/sdtap0 ] && [ $n -lt 1200 ]; do
			sleep 0.1
			n=$((n + 1))
		done
		ip addr add 10.77.0.1/24 dev sdtap0 && ip link set sdtap0 up && echo "sdtap0 up after $n polls"
	) >/tmp/net.tap 2>&1 &
	tappid=$!
	VOLT_STARDUST_VMM=$vmm VOLT_STARDUST_INIT=/bin/stardust-init \
		timeout -s KILL "$(cat /etc/stardust-e2e/timeout-bundle)" \
		volt-stardust run -b /stardust/bundle-net e2e-net </dev/null >/tmp/net.out 2>/tmp/net.err
	rc=$?
	kill $tappid 2>/dev/null
	wait $tappid
	n=0
	while kill -0 $ncpid 2>/dev/null && [ $n -lt 20 ]; do
		sleep 0.1
		n=$((n + 1))
	done
	kill $ncpid 2>/dev/null
	sed "s/^/STARDUST-E2E: net tap: /" /tmp/net.tap
	head -n 20 /tmp/net.out | sed "s/^/STARDUST-E2E: net stdout: /"
	cat /tmp/net.err /tmp/net.nc-err | head -n 20 | sed "s/^/STARDUST-E2E: net stderr: /"
	m "net got=$(head -n 1 /tmp/net.got) rc=$rc uptime=$(up)"
}
bundle
m "done uptime=$(up)"
poweroff -f
'

# The reference monitor (STARDUST_E2E_L2_QEMU=1): qemu microvm on L1's
# /dev/kvm boots the same L2 kernel and initramfs, which checks the L2 side
# independently of stardust-vmm (and is issue 5's bench baseline). It costs
# ~50 MB of qemu and libraries in the L1 image and ~10 s.
qemu_args="-accel kvm -cpu host -M microvm -m 256 -smp 1 -nodefaults -no-user-config -display none -no-reboot -serial stdio -kernel /stardust/vmlinux -initrd /stardust/l2-initramfs.cpio -append @CMDLINE@"
add_qemu() { # add_qemu ROOT
	local q lib
	q=$(command -v qemu-system-x86_64) || die "STARDUST_E2E_L2_QEMU=1 needs qemu-system-x86_64"
	mkdir -p "$1/usr/bin" "$1/usr/share/qemu"
	cp "$q" "$1/usr/bin/qemu-system-x86_64"
	for lib in $(ldd "$q" | awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }'); do
		mkdir -p "$1$(dirname "$lib")"
		cp -L "$lib" "$1$lib"
	done
	cp -L /usr/share/qemu/bios-microvm.bin "$1/usr/share/qemu/"
	ln -sf ../usr/bin/qemu-system-x86_64 "$1/bin/qemu-l2"
}

# What volt-stardust needs in L1 (stardust/README.md): its binaries, mke2fs
# with its libraries, the L2 kernel's module subset at the paths modules.dep
# names, and the bundle with the annotations pointing at them.
add_bundle() { # add_bundle ROOT
	local r=$1 lib p tree="$1/lib/modules/$kver"
	cp "$shim" "$r/bin/volt-stardust"
	cp "$sinit" "$r/bin/stardust-init"
	# shellcheck disable=SC2016 # expanded in L1
	printf '#!/bin/sh\nexec /bin/stardust-vmm --serial "$@"\n' >"$r/bin/stardust-vmm-serial"
	chmod 755 "$r/bin/stardust-vmm-serial"
	[ "${STARDUST_BUNDLE_SERIAL:-0}" = 1 ] && : >"$r/etc/stardust-e2e/bundle-serial"
	mkdir -p "$r/usr/sbin"
	cp "$mke2fs_bin" "$r/usr/sbin/mke2fs"
	for lib in $(ldd "$mke2fs_bin" | awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }'); do
		mkdir -p "$r$(dirname "$lib")"
		cp -L "$lib" "$r$lib"
	done
	[ -f /etc/mke2fs.conf ] && cp /etc/mke2fs.conf "$r/etc/"
	mkdir -p "$tree"
	cp "$moddir/modules.dep" "$tree/"
	[ -f "$moddir/modules.builtin" ] && cp "$moddir/modules.builtin" "$tree/"
	for p in "${l2_mods[@]}"; do
		mkdir -p "$tree/$(dirname "$p")"
		cp "$moddir/$p" "$tree/$p"
	done
	mkdir -p "$r/stardust/bundle"
	cp -a "$bundle_src/rootfs" "$r/stardust/bundle/"
	bundle_config /stardust/vmlinux "/lib/modules/$kver" rootfs >"$r/stardust/bundle/config.json"
	mkdir -p "$r/stardust/bundle-lc"
	lifecycle_config /stardust/vmlinux "/lib/modules/$kver" /stardust/bundle/rootfs >"$r/stardust/bundle-lc/config.json"
	if [ "$with_net" = 1 ]; then
		mkdir -p "$r/stardust/bundle-net"
		net_config /stardust/vmlinux "/lib/modules/$kver" /stardust/bundle/rootfs >"$r/stardust/bundle-net/config.json"
	fi
	cp "$repo/tests/stardust/lifecycle.sh" "$r/bin/lifecycle.sh"
}

l1="$out/l1-initramfs.cpio"
inputs=("$busybox" "$smoke" "$vmm" "$repo/tests/stardust/lifecycle.sh")
for p in "${order[@]}"; do
	inputs+=("$moddir/$p")
done
[ "$with_l2" = 1 ] && inputs+=("$vmlinux" "$l2")
[ "$qemu_l2" = 1 ] && inputs+=("$(command -v qemu-system-x86_64 || echo qemu)")
bundle_fp=none
if [ "$with_bundle" = 1 ]; then
	inputs+=("$shim" "$sinit" "$mke2fs_bin" "$moddir/modules.dep")
	for p in "${l2_mods[@]}"; do
		inputs+=("$moddir/$p")
	done
	bundle_fp=$(find "$bundle_src" -printf '%P %s %T@\n' | LC_ALL=C sort | sha256sum | cut -c1-16)
fi
fp=$(fingerprint "${inputs[@]}")-$(l1_settings)-$bundle_fp-$(printf '%s|' "$l1_init" "$l2_cmdline" "$vmm_args" "$with_l2" "$qemu_l2" | sha256sum | cut -c1-16)
if ! fresh "$l1" "$fp"; then
	note "building $l1 (kernel $kver, modules: ${order[*]##*/})"
	root="$out/l1-root"
	rm -rf "$root"
	busybox_root "$root"
	cfg="$root/etc/stardust-e2e"
	mkdir -p "$root/lib/modules" "$cfg"
	: >"$cfg/modules"
	for p in "${order[@]}"; do
		ko=${p##*/}
		# busybox insmod takes only plain .ko files.
		case "$ko" in
		*.ko.xz) xz -dc "$moddir/$p" >"$root/lib/modules/${ko%.xz}" ;;
		*.ko.gz) gzip -dc "$moddir/$p" >"$root/lib/modules/${ko%.gz}" ;;
		*.ko.zst) zstd -dcq "$moddir/$p" >"$root/lib/modules/${ko%.zst}" ;;
		*.ko) cp "$moddir/$p" "$root/lib/modules/$ko" ;;
		*) die "$p: unknown module format" ;;
		esac
		args=
		case "$ko" in kvm-amd.ko* | kvm_amd.ko*) args="nested=1 npt=1" ;; esac
		echo "${ko%.ko*}.ko $args" >>"$cfg/modules"
	done
	echo "${STARDUST_SMOKE_TIMEOUT:-60}" >"$cfg/timeout-smoke"
	echo "${STARDUST_L2_TIMEOUT:-90}" >"$cfg/timeout-l2"
	echo "${STARDUST_L2_TIMEOUT:-90}" >"$cfg/timeout-qemu-l2"
	[ -x "$smoke" ] && cp "$smoke" "$root/bin/sd-kvm-smoke"
	if [ "$with_l2" = 1 ]; then
		mkdir -p "$root/stardust"
		cp "$vmlinux" "$root/stardust/vmlinux"
		cp "$l2" "$root/stardust/l2-initramfs.cpio"
		[ -x "$vmm" ] && cp "$vmm" "$root/bin/stardust-vmm"
	fi
	[ "$qemu_l2" = 1 ] && add_qemu "$root"
	echo "${STARDUST_BUNDLE_TIMEOUT:-120}" >"$cfg/timeout-bundle"
	[ "$with_bundle" = 1 ] && add_bundle "$root"
	args=${vmm_args//@KERNEL@//stardust/vmlinux}
	echo "${args//@INITRD@//stardust/l2-initramfs.cpio}" >"$cfg/vmm-args"
	echo "$qemu_args" >"$cfg/qemu-args"
	echo "$l2_cmdline" >"$cfg/l2-cmdline"
	printf %s "$l1_init" >"$root/init"
	chmod 755 "$root/init"
	if [ -n "${STARDUST_E2E_OVERLAY:-}" ]; then
		cp -a "$STARDUST_E2E_OVERLAY/." "$root/"
	fi
	make_cpio "$root" "$l1"
	rm -rf "$root"
	echo "$fp" >"$l1.stamp"
fi
note "ready: $vmlinux $l1 (smoke: $([ -x "$smoke" ] && echo yes || echo no), stardust-vmm: $([ -x "$vmm" ] && echo yes || echo no), bundle: $([ "$with_bundle" = 1 ] && echo yes || echo "no, $bundle_absent"), net: $([ "$with_net" = 1 ] && echo yes || echo "no, $net_absent"), qemu reference: $([ "$qemu_l2" = 1 ] && echo yes || echo no))"
