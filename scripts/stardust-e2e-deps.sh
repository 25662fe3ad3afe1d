#!/bin/bash
# The Debian packages Stardust's end-to-end test (tests/stardust/) needs,
# installed only when missing: qemu (the outer VM, TCG with SVM exposed, where
# kvm_amd gives a nested /dev/kvm), Debian's kernel (its vmlinuz boots both the
# outer and the inner VM, its modules give kvm), a static busybox for both
# initramfs images, cpio and xz to build them, e2fsprogs (mke2fs -d for the
# bundle image). Installing linux-image-amd64 does not change the running
# kernel: there is no bootloader in these VMs; it only provides /boot/vmlinuz-*
# and /lib/modules/<version>. No recommends (install-deps.sh): -kernel boots
# need none of qemu's GUI, firmware or sound extras.
exec "$(dirname "$0")/install-deps.sh" stardust-e2e-deps \
	qemu-system-x86 linux-image-amd64 busybox-static cpio xz-utils e2fsprogs
