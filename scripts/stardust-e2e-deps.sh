#!/bin/bash
# Install the Debian packages Stardust's end-to-end test (tests/stardust/)
# needs, and only those that are missing: qemu (the outer VM, TCG with SVM
# exposed, where kvm_amd gives a nested /dev/kvm), Debian's kernel (its
# vmlinuz boots both the outer and the inner VM, its modules give kvm), a
# static busybox for both initramfs images, cpio and xz to build them.
# Installing linux-image-amd64 does not change the running kernel: there is
# no bootloader in these VMs; it only provides /boot/vmlinuz-* and
# /lib/modules/<version>. The common case (all present) is one dpkg-query.
set -euo pipefail

PACKAGES=(qemu-system-x86 linux-image-amd64 busybox-static cpio xz-utils)

missing=()
installed=$(dpkg-query -W -f='${db:Status-Abbrev} ${Package}\n' "${PACKAGES[@]}" 2>/dev/null |
	awk '$1 == "ii" { sub(/:.*/, "", $2); print $2 }' || true)
for pkg in "${PACKAGES[@]}"; do
	if ! grep -qxF -- "$pkg" <<<"$installed"; then
		missing+=("$pkg")
	fi
done

if [ "${#missing[@]}" -eq 0 ]; then
	exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
	echo "stardust-e2e-deps: missing packages: ${missing[*]}" >&2
	echo "stardust-e2e-deps: run as root (or: sudo apt-get install ${missing[*]})" >&2
	exit 1
fi

echo "stardust-e2e-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# No recommends: qemu-system-x86 would pull qemu-system-gui, ovmf, seabios
# extras and sound/USB libraries; -kernel boots need none of them (seabios
# comes in as a Depends and is what -M pc uses).
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "stardust-e2e-deps: done"
