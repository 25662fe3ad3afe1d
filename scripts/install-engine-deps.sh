#!/bin/bash
# Install the Debian packages the engine tests (tests/engines/) need, and only
# those that are missing: podman with conmon, containerd with its runc v2 shim
# and ctr, umoci (to turn a rootfs into an OCI image archive), script (a tty
# for `podman run -t`). No low-level runtime is installed: the engines are
# pointed at volt-run. The common case (all present) is one dpkg-query call.
set -euo pipefail

PACKAGES=(podman conmon containerd umoci bsdutils jq bats iproute2)

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
	echo "install-engine-deps: missing packages: ${missing[*]}" >&2
	echo "install-engine-deps: run as root (or: sudo apt-get install ${missing[*]})" >&2
	exit 1
fi

echo "install-engine-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# No recommends: podman would pull crun/runc, slirp4netns, fuse-overlayfs,
# catatonit... which the tests do not use (a private vfs/overlay store and
# volt-run as the only runtime). The Depends of podman still bring conmon.
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "install-engine-deps: done"
