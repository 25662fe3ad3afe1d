#!/bin/bash
# stardust-guest-root.sh: a stricter stand-in for fake-vmm.sh (the engine
# tests run it through stardust-engine-vmm.sh with STARDUST_FAKE_ISOLATE=1).
# fake-vmm.sh runs stardust-init in the host's file system, where every host
# path a config names still resolves. A guest sees only its initramfs and the
# bundle image, so this runs stardust-init as a guest would: in a private
# mount namespace whose root is a tmpfs holding the unpacked --initrd, with
# the --disk image mounted at /bundle, and /dev, /sys (with the cgroup mounts
# made before) and a fresh /proc; the host's root is gone from view.
# Takes stardust-vmm's arguments; exits with stardust-init's status.
set -u
disk='' initrd='' cin='' cout=''
while [ $# -gt 0 ]; do
	case $1 in
	--disk) disk=${2%,ro}; shift ;;
	--initrd) initrd=$2; shift ;;
	--console-in) cin=$2; shift ;;
	--console-out) cout=$2; shift ;;
	--kernel | --cmdline | --mem | --vcpus) shift ;;
	esac
	shift
done
die() {
	echo "stardust-guest-root: $*" >&2
	exit 1
}
[ -n "$disk" ] && [ -r "$disk" ] || die "no --disk"
[ -n "$initrd" ] && [ -r "$initrd" ] || die "no --initrd"
[ "$cin" = 3 ] && [ "$cout" = 4 ] || die "console fds $cin $cout, want 3 4"

# The caller made the mount namespace private; the relay made the PID one.
mount -t proc proc /proc || die "mount /proc"
root=$(mktemp -d)
mount -t tmpfs -o mode=0755 guest-root "$root" || die "mount tmpfs on $root"
(cd "$root" && cpio -idm --quiet) <"$initrd" || die "unpack $initrd"
[ -x "$root/init" ] || die "$initrd has no /init"
mkdir -p "$root"/{bundle,dev,proc,sys,run,tmp,.host}
mount -o loop "$disk" "$root/bundle" || die "mount $disk"
mount --rbind /dev "$root/dev" && mount --rbind /sys "$root/sys" &&
	mount -t proc proc "$root/proc" && mount -t tmpfs -o mode=0755 run "$root/run" ||
	die "mounts in the guest root"
cd "$root" || die "cd $root"
# The host's root stays mounted at /.host (nothing left to unmount it with
# once it is gone), hidden from absolute paths: those now resolve in the
# guest's tree only.
pivot_root . .host || die "pivot_root"
export STARDUST_INIT_BUNDLE=/bundle STARDUST_INIT_ROOT=/run/volt-stardust-init
exec /init
