#!/bin/bash
# fake-vmm.sh: stands in for stardust-vmm where there is no /dev/kvm, to test
# the shim and stardust-init together on the host. Takes stardust-vmm's
# arguments; instead of booting a guest it runs the initramfs's /init (the
# shim's copy of stardust-init) as a guest would see the world: in a private
# mount namespace whose root is a tmpfs holding the unpacked --initrd, with
# the --disk image (the bundle image the shim made) loop-mounted at /bundle,
# /dev and /sys from the host (with whatever cgroup mounts the caller made)
# and a fresh /proc; the host's root is gone from view, so a host path the
# config names does not resolve, as in a VM. stardust-init runs in its
# host-test mode with the console fds 3 and 4 as the control channel. Exits
# with its status, as the monitor exits with the guest's.
#   STARDUST_FAKE_ARGS  a file that gets the arguments (what the shim asked for)
set -u
[ -n "${STARDUST_FAKE_ARGS:-}" ] && echo "$* " >"$STARDUST_FAKE_ARGS"
disk='' initrd='' cin='' cout=''
while [ $# -gt 0 ]; do
	case $1 in
	--disk) disk=${2%,ro}; shift ;;
	--initrd) initrd=$2; shift ;;
	--console-in) cin=$2; shift ;;
	--console-out) cout=$2; shift ;;
	--kernel | --cmdline | --mem | --vcpus | --net-tap | --net-fd | --user) shift ;;
	esac
	shift
done
die() {
	echo "fake-vmm: $*" >&2
	exit 1
}
[ -n "$disk" ] && [ -r "$disk" ] || die "no --disk"
[ -n "$initrd" ] && [ -r "$initrd" ] || die "no --initrd"
[ "$cin" = 3 ] && [ "$cout" = 4 ] || die "console fds $cin $cout, want 3 4"
list=$(cpio -it <"$initrd" 2>/dev/null)
for f in init etc/stardust/modules; do
	grep -qx "$f" <<<"$list" || die "the initramfs lacks $f"
done

exec unshare -m --propagation private bash -c '
	die() { echo "fake-vmm: $*" >&2; exit 1; }
	disk=$1 initrd=$2
	# The relay made the PID namespace.
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
	# The host root stays mounted at /.host (nothing is left to unmount it
	# with), out of reach of absolute paths: they resolve in the guest tree.
	pivot_root . .host || die "pivot_root"
	export STARDUST_INIT_BUNDLE=/bundle STARDUST_INIT_ROOT=/run/volt-stardust-init
	exec /init' fake-vmm "$disk" "$initrd"
