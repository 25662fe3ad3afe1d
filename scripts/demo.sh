#!/bin/bash
# demo.sh [BUILD]: run one busybox container with volt-run and show what it
# sees: its hostname, its identity and its own process table.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"
build=${1:-build}
case "$build" in
/*) ;;
*) build="$repo/$build" ;;
esac
runtime="$build/volt-run"
bundle="$build/bundle"

for f in "$runtime" "$bundle/config.json"; do
	if [ ! -e "$f" ]; then
		echo "demo: $f missing (run: make all bundle)" >&2
		exit 1
	fi
done

tmp=$(mktemp -d /tmp/volt-demo.XXXXXX)
id="volt-demo-$$"
# shellcheck disable=SC2317 # called by the EXIT trap
cleanup() {
	"$runtime" --root "$tmp/state" delete --force "$id" >/dev/null 2>&1 || true
	rm -rf --one-file-system "$tmp"
}
trap cleanup EXIT
mkdir -p "$tmp/state" "$tmp/bundle"

# shellcheck disable=SC2016 # $(hostname) is for the container's shell
jq --arg rootfs "$bundle/rootfs" \
	'.root.path = $rootfs | .process.args = ["/bin/sh", "-c", "echo \"hostname: $(hostname)\"; id; ps"]' \
	"$bundle/config.json" >"$tmp/bundle/config.json"

echo "\$ volt-run run --bundle <busybox bundle> $id"
rc=0
"$runtime" --root "$tmp/state" run --bundle "$tmp/bundle" "$id" </dev/null || rc=$?
if [ "$rc" -ne 0 ]; then
	echo "demo: volt-run run exited with status $rc" >&2
fi
exit "$rc"
