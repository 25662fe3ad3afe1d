#!/bin/bash
# run-all.sh [BUILD]: every test: the unit test binaries (one per
# tests/unit/test-*.c, from BUILD/tests/), then the bats suite, then the engine
# tests (podman and containerd driving volt-run, and volt-stardust with the
# fake microVM monitor: tests/engines/*.bats), then
# Stardust's end-to-end tests (tests/stardust/*.bats). The
# last line is the one summary over all, "N passed, N failed" (plus ", N
# skipped" when any were skipped); the exit status is non-zero if anything
# failed.
#
# VOLT_ENGINE_TESTS: all (default) runs every engine test; fast only those
# whose name ends in [smoke] (a few podman and containerd tests, for
# `make test`); 0 none.
# Engine tests skip themselves when podman/containerd are not installed
# (scripts/install-engine-deps.sh installs them), the stardust-*.bats ones also
# without mke2fs, loop devices or a guest kernel in /boot.
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

# Count the TAP lines of a bats run, whatever state it ends in: sets
# ${prefix}_pass, _fail and _skip. A plan larger than the results, or a
# non-zero exit without a failing test, counts as failures.
count_tap() {
	local prefix=$1 tap=$2 rc=$3 label=$4 p f s plan ran
	read -r p f s plan < <(awk '
		/^ok [0-9]+/ { if (tolower($0) ~ / # skip/) s++; else p++; next }
		/^not ok [0-9]+/ { f++; next }
		/^1\.\.[0-9]+$/ { sub(/^1\.\./, ""); plan = $0 + 0 }
		END { printf "%d %d %d %d\n", p, f, s, plan }' "$tap")
	ran=$((p + f + s))
	if [ "$plan" -gt "$ran" ]; then
		echo "# $label: planned $plan tests, only $ran reported"
		f=$((f + plan - ran))
	fi
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		echo "# $label: exit status $rc without a failing test"
		f=1
	fi
	echo "# $label: $p passed, $f failed, $s skipped"
	printf -v "${prefix}_pass" %d "$p"
	printf -v "${prefix}_fail" %d "$f"
	printf -v "${prefix}_skip" %d "$s"
}

echo "# ===== bats tests"
bats_pass=0 bats_fail=0 bats_skip=0
bats_rc=0
VOLT_BUILD="$build" ./tests/run-bats.sh 2>&1 | tee "$tmp/bats.tap" || bats_rc=$?
count_tap bats "$tmp/bats.tap" "$bats_rc" bats

eng_pass=0 eng_fail=0 eng_skip=0
engines=${VOLT_ENGINE_TESTS:-all}
if [ "$engines" != 0 ]; then
	echo "# ===== engine tests ($engines)"
	filter=()
	[ "$engines" = fast ] && filter=(--filter '\[smoke\]')
	eng_rc=0
	VOLT_BUILD="$build" ./tests/run-bats.sh "${filter[@]}" tests/engines 2>&1 | tee "$tmp/eng.tap" || eng_rc=$?
	count_tap eng "$tmp/eng.tap" "$eng_rc" engines
fi

# Stardust end to end (tests/stardust/*.bats): boots a VM under qemu; skips
# itself when qemu or the kernel is missing (scripts/stardust-e2e-deps.sh).
# VOLT_STARDUST_TESTS=0 leaves it out.
sd_pass=0 sd_fail=0 sd_skip=0
if [ "${VOLT_STARDUST_TESTS:-1}" != 0 ]; then
	echo "# ===== stardust tests"
	sd_rc=0
	VOLT_BUILD="$build" ./tests/run-bats.sh tests/stardust 2>&1 | tee "$tmp/sd.tap" || sd_rc=$?
	count_tap sd "$tmp/sd.tap" "$sd_rc" stardust
fi

passed=$((unit_pass + bats_pass + eng_pass + sd_pass))
failed=$((unit_fail + bats_fail + eng_fail + sd_fail))
skipped=$((unit_skip + bats_skip + eng_skip + sd_skip))
summary="$passed passed, $failed failed"
if [ "$skipped" -gt 0 ]; then
	summary+=", $skipped skipped"
fi
echo "$summary"
[ "$failed" -eq 0 ]
