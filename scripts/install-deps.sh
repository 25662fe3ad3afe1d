#!/bin/bash
# Install the Debian packages Volt needs to build and test, and only those that
# are missing. Checking is one dpkg-query call, so the common case (all present)
# is a fast no-op; `apt-get update` runs only when something must be installed.
#
#   install-deps.sh                 the packages to build and run the core tests
#   install-deps.sh NAME PKG...     those packages instead (the engine and
#                                   Stardust scripts), NAME prefixes the messages
set -euo pipefail

me=install-deps
PACKAGES=(
	build-essential pkg-config
	libyajl-dev libseccomp-dev libcap-dev libnftnl-dev libmnl-dev libssl-dev
	busybox-static bats jq clang iproute2
	procps
)
if [ "$#" -gt 1 ]; then
	me=$1
	shift
	PACKAGES=("$@")
fi

missing=()
# dpkg-query prints "ii  name" for installed packages and complains on stderr
# about unknown ones; anything not reported as "ii" counts as missing.
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
	echo "$me: missing packages: ${missing[*]}" >&2
	echo "$me: run as root (or: sudo apt-get install ${missing[*]})" >&2
	exit 1
fi

echo "$me: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# No recommends: podman would pull crun/runc, slirp4netns, fuse-overlayfs...
# which the tests do not use (volt-run is the only runtime they test).
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "$me: done"
