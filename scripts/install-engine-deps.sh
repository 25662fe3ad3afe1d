#!/bin/bash
# The Debian packages the engine tests (tests/engines/) need, installed only
# when missing: podman with conmon, containerd with its runc v2 shim and ctr,
# umoci, script (bsdutils: a tty for `podman run -t`). No low-level runtime:
# the engines are pointed at volt-run.
exec "$(dirname "$0")/install-deps.sh" install-engine-deps \
	podman conmon containerd umoci bsdutils jq bats iproute2
