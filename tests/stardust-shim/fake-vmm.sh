#!/bin/bash
# fake-vmm.sh: stands in for stardust-vmm where there is no /dev/kvm, to test
# the shim and stardust-init together on the host. Takes stardust-vmm's
# arguments; instead of booting a guest it loop-mounts --disk (the bundle
# image the shim made) in a private mount namespace and runs stardust-init
# in its host-test mode on it, with the console fds as the control channel.
# Exits with stardust-init's status, as the monitor exits with the guest's.
#   STARDUST_INIT   the stardust-init binary (required)
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
	--kernel | --cmdline | --mem | --vcpus) shift ;;
	esac
	shift
done
[ -n "$disk" ] && [ -r "$disk" ] || { echo "fake-vmm: no --disk" >&2; exit 1; }
[ "$cin" = 3 ] && [ "$cout" = 4 ] || { echo "fake-vmm: console fds $cin $cout, want 3 4" >&2; exit 1; }
# The initramfs must be a newc archive holding /init and the module list.
if [ -n "$initrd" ]; then
	list=$(cpio -it <"$initrd" 2>/dev/null)
	for f in init etc/stardust/modules; do
		grep -qx "$f" <<<"$list" || { echo "fake-vmm: initramfs lacks $f" >&2; exit 1; }
	done
fi
exec unshare -m --propagation private bash -c '
	set -e
	mount -t proc proc /proc # the relay put us in a new PID namespace
	mnt=$(mktemp -d)
	mount -o loop "$1" "$mnt"
	set +e
	STARDUST_INIT_BUNDLE=$mnt STARDUST_INIT_ROOT=$mnt.state "$STARDUST_INIT"
	st=$?
	umount "$mnt"; rmdir "$mnt"; rm -rf "$mnt.state"
	exit $st' fake-vmm "$disk"
