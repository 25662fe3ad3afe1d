#!/bin/bash
# run-unit.sh BIN...: run each unit test binary, show its TAP output under a
# header, and count checks. A binary that exits non-zero without a failing
# check, crashes, or prints fewer results than its plan counts as failed too.
#
# Prints "# unit: N passed, N failed, N skipped" last; when VOLT_SUMMARY_FILE
# is set, also writes "passed failed skipped" there (for run-all.sh).
# VOLT_UNIT_TIMEOUT (seconds, default 120) bounds each binary.
set -euo pipefail

passed=0 failed=0 skipped=0
timeout_s=${VOLT_UNIT_TIMEOUT:-120}
tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT

if [ $# -eq 0 ]; then
	echo "# unit: no test binaries given"
fi

for bin in "$@"; do
	name=$(basename "$bin")
	echo "# --- $name"
	rc=0
	if [ ! -x "$bin" ]; then
		echo "not ok - $name: binary $bin missing (build failed?)"
		failed=$((failed + 1))
		continue
	fi
	timeout --kill-after=5 "$timeout_s" "$bin" >"$tmp" 2>&1 </dev/null || rc=$?
	sed 's/^/    /' "$tmp"

	# ok/not ok lines, with "# SKIP" (any case) as skipped; plan "1..N".
	read -r p f s plan < <(awk '
		/^ok[ \t]/ || $0 == "ok" {
			if (tolower($0) ~ /#[ \t]*skip/) s++; else p++; next }
		/^not ok/ {
			if (tolower($0) ~ /#[ \t]*todo/) p++; else f++; next }
		/^1\.\.[0-9]+/ { sub(/^1\.\./, ""); plan = $0 + 0 }
		END { printf "%d %d %d %d\n", p, f, s, plan }' "$tmp")

	notes=()
	ran=$((p + f + s))
	if [ "$plan" -gt "$ran" ]; then
		notes+=("planned $plan, ran $ran")
		f=$((f + plan - ran))
	fi
	# A plain non-zero exit after failing checks is expected; anything else
	# (timeout, signal, failure without a failing check) is worth a line.
	if [ "$rc" -eq 124 ]; then
		notes+=("timed out after ${timeout_s}s")
	elif [ "$rc" -gt 128 ]; then
		notes+=("killed by signal $((rc - 128))")
	elif [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		notes+=("exit status $rc")
	fi
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		f=1
	fi
	if [ "$ran" -eq 0 ] && [ "$f" -eq 0 ]; then
		notes+=("no checks")
		f=1
	fi
	if [ "${#notes[@]}" -gt 0 ]; then
		msg=""
		for n in "${notes[@]}"; do
			msg+="${msg:+; }$n"
		done
		echo "not ok - $name: $msg"
	fi
	echo "# $name: $p passed, $f failed, $s skipped"
	passed=$((passed + p))
	failed=$((failed + f))
	skipped=$((skipped + s))
done

echo "# unit: $passed passed, $failed failed, $skipped skipped"
if [ -n "${VOLT_SUMMARY_FILE:-}" ]; then
	echo "$passed $failed $skipped" >"$VOLT_SUMMARY_FILE"
fi
[ "$failed" -eq 0 ]
