#!/bin/bash
# run-bats.sh [FILE_OR_DIR...]: run the bats integration tests (default: all of
# tests/bats) as TAP, under volt-subreaper so container inits orphaned by the
# tests are reaped at once instead of lingering as zombies until PID 1 gets to
# them. VOLT_BUILD (default build) says where volt-run and the bundle are;
# VOLT_RUN may point the tests at another runtime binary (e.g. runc).
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"

VOLT_BUILD=${VOLT_BUILD:-build}
case "$VOLT_BUILD" in
/*) ;;
*) VOLT_BUILD="$repo/$VOLT_BUILD" ;;
esac
export VOLT_BUILD

if ! command -v bats >/dev/null; then
	echo "run-bats: bats not found (run: make deps)" >&2
	exit 1
fi

# The Makefile has no rule for the subreaper, so it is built here.
reaper="$VOLT_BUILD/volt-subreaper"
src=tests/helpers/subreaper.c
if [ ! -x "$reaper" ] || [ "$src" -nt "$reaper" ]; then
	mkdir -p "$VOLT_BUILD"
	"${CC:-cc}" -std=c17 -D_GNU_SOURCE -O2 -Wall -Wextra -Werror -o "$reaper" "$src"
fi

runtime=${VOLT_RUN:-$VOLT_BUILD/volt-run}
[ -x "$runtime" ] || echo "run-bats: warning: $runtime does not exist yet; the tests will fail" >&2
[ -f "$VOLT_BUILD/bundle/config.json" ] ||
	echo "run-bats: warning: no bundle at $VOLT_BUILD/bundle (run: make bundle)" >&2

if [ $# -eq 0 ]; then
	set -- tests/bats
fi
exec "$reaper" bats --tap "$@"
