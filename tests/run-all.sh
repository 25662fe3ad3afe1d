#!/bin/bash
# run-all.sh [BUILD]: every test: the unit test binaries (one per
# tests/unit/test-*.c, from BUILD/tests/), then the bats suite. The last line
# is the one summary over both, "N passed, N failed" (plus ", N skipped" when
# any were skipped); the exit status is non-zero if anything failed.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"
build=${1:-build}

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# Unit tests: expect one binary per source, so one that failed to build shows
# up as a failure rather than silently not running.
bins=()
for src in tests/unit/test-*.c; do
	[ -e "$src" ] || continue
	name=$(basename "$src" .c)
	bins+=("$build/tests/$name")
done
echo "# ===== unit tests (${#bins[@]} binaries)"
VOLT_SUMMARY_FILE="$tmp/unit" ./tests/run-unit.sh "${bins[@]}" || true
read -r unit_pass unit_fail unit_skip <"$tmp/unit"

# bats: count the TAP lines of the suite, whatever state it ends in.
echo "# ===== bats tests"
bats_rc=0
VOLT_BUILD="$build" ./tests/run-bats.sh 2>&1 | tee "$tmp/bats.tap" || bats_rc=$?
read -r bats_pass bats_fail bats_skip bats_plan < <(awk '
	/^ok [0-9]+/ { if (tolower($0) ~ / # skip/) s++; else p++; next }
	/^not ok [0-9]+/ { f++; next }
	/^1\.\.[0-9]+$/ { sub(/^1\.\./, ""); plan = $0 + 0 }
	END { printf "%d %d %d %d\n", p, f, s, plan }' "$tmp/bats.tap")
bats_ran=$((bats_pass + bats_fail + bats_skip))
if [ "$bats_plan" -gt "$bats_ran" ]; then
	echo "# bats: planned $bats_plan tests, only $bats_ran reported"
	bats_fail=$((bats_fail + bats_plan - bats_ran))
fi
if [ "$bats_rc" -ne 0 ] && [ "$bats_fail" -eq 0 ]; then
	echo "# bats: exit status $bats_rc without a failing test"
	bats_fail=1
fi
echo "# bats: $bats_pass passed, $bats_fail failed, $bats_skip skipped"

passed=$((unit_pass + bats_pass))
failed=$((unit_fail + bats_fail))
skipped=$((unit_skip + bats_skip))
summary="$passed passed, $failed failed"
if [ "$skipped" -gt 0 ]; then
	summary+=", $skipped skipped"
fi
echo "$summary"
[ "$failed" -eq 0 ]
