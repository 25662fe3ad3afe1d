#!/bin/bash
# bench/run.sh [BUILD]: compare BUILD/volt-run with Debian's crun and runc in
# one interleaved run on the busybox bundle BUILD/bundle (made by
# `make bundle`), print a table of medians and ratios, and write the raw
# samples to BUILD/bench/results.json. `make bench` runs it after building.
#
# Environment: BENCH_N iterations (default 30), BENCH_PAR containers at once
# (default 20), BENCH_ROUNDS rounds of those (default 5), BENCH_ENGINES=0 to
# skip podman and containerd (default on), BENCH_ENGINES_N iterations of those
# (default 10).
#
# What it changes on the machine, and undoes: crun 1.8 refuses the hybrid
# cgroup layout while the cgroup2 hierarchy holds a controller, so for the
# duration of the run the hugetlb controller is moved to a v1 hierarchy,
# mounted only inside the bench's private mount namespace, and moved back to
# the cgroup2 hierarchy at the end. Containers, state dirs and the
# /volt-bench cgroups are removed at the end, on Ctrl-C and on SIGTERM too.
set -uo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo" || exit 1
build=${1:-build}
case "$build" in
/*) ;;
*) build="$repo/$build" ;;
esac
export BENCH_N=${BENCH_N:-30} BENCH_PAR=${BENCH_PAR:-20} BENCH_ROUNDS=${BENCH_ROUNDS:-5}
export BENCH_ENGINES=${BENCH_ENGINES:-1} BENCH_ENGINES_N=${BENCH_ENGINES_N:-10}
for v in BENCH_N BENCH_PAR BENCH_ROUNDS BENCH_ENGINES_N; do
	if ! [[ ${!v} =~ ^[1-9][0-9]*$ ]]; then
		echo "bench: $v must be a positive integer, not '${!v}'" >&2
		exit 2
	fi
done

say() { printf 'bench: %s\n' "$*" >&2; }

if [ "$(id -u)" -ne 0 ]; then
	say "must run as root (containers, cgroups, mounts)"
	exit 1
fi

# ---- tools: install only what is missing ---------------------------------
need=()
for pkg in crun runc hyperfine jq; do
	dpkg-query -W -f='${db:Status-Abbrev}' "$pkg" 2>/dev/null | grep -q '^ii' || need+=("$pkg")
done
if [ "${#need[@]}" -gt 0 ]; then
	say "installing ${need[*]}"
	export DEBIAN_FRONTEND=noninteractive
	if ! { apt-get update -qq && apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null; }; then
		say "apt-get install ${need[*]} failed"
		exit 1
	fi
fi

for f in "$build/volt-run" "$build/bundle/config.json" "$build/bundle/rootfs/bin/true"; do
	if [ ! -e "$f" ]; then
		say "$f is missing: run 'make all bundle' (or 'make bench')"
		exit 1
	fi
done

# ---- helpers: the timer, and a subreaper so orphaned inits die at once ---
mkdir -p "$build/bench"
cc=${CC:-cc}
if [ ! -x "$build/bench/timeit" ] || [ bench/timeit.c -nt "$build/bench/timeit" ]; then
	"$cc" -std=c17 -D_GNU_SOURCE -O2 -Wall -Wextra -Werror -Wshadow -o "$build/bench/timeit" bench/timeit.c || exit 1
fi
reaper=$build/volt-subreaper
if [ ! -x "$reaper" ] || [ tests/helpers/subreaper.c -nt "$reaper" ]; then
	"$cc" -std=c17 -D_GNU_SOURCE -O2 -Wall -Wextra -Werror -o "$reaper" tests/helpers/subreaper.c || exit 1
fi

# ---- hugetlb ---------------------------------------------------------------
# /proc/cgroups gives hierarchy 0 to a controller bound to cgroup2.
hugetlb_hier() { awk '$1 == "hugetlb" { print $2 }' /proc/cgroups; }
hugetlb_mp=/sys/fs/cgroup/hugetlb
made_mp=0
export BENCH_HUGETLB=none
if [ "$(hugetlb_hier)" = 0 ] && grep -qw hugetlb /sys/fs/cgroup/unified/cgroup.controllers 2>/dev/null; then
	BENCH_HUGETLB=move
	say "NOTE: crun 1.8 refuses this hybrid cgroup layout, so for this run the hugetlb controller is moved"
	say "      from cgroup2 to a v1 hierarchy (mount -t cgroup -o hugetlb cgroup $hugetlb_mp, in a private"
	say "      mount namespace) and moved back at the end. All three runtimes run on that layout."
elif [ -n "$(hugetlb_hier)" ] && [ "$(hugetlb_hier)" != 0 ]; then
	BENCH_HUGETLB=attach
	say "NOTE: hugetlb is already on a v1 hierarchy; the bench mounts it at $hugetlb_mp in its own mount namespace"
fi
if [ "$BENCH_HUGETLB" != none ] && [ ! -d "$hugetlb_mp" ]; then
	mkdir "$hugetlb_mp" && made_mp=1
fi

# Move hugetlb back to cgroup2: a v1 hierarchy is destroyed when its last
# mount goes away while it has no child cgroups, but a just-removed cgroup
# stays a child until the kernel releases it, so mounting again and
# unmounting after a pause may be needed.
restore_hugetlb() {
	[ "$BENCH_HUGETLB" = move ] || return 0
	# measure.sh could not move it (and masked instead): nothing to undo
	[ "$(cat "$BENCH_TMP/hugetlb-mode" 2>/dev/null)" = move ] || return 0
	local try
	for ((try = 0; try < 10; try++)); do
		[ "$(hugetlb_hier)" = 0 ] && break
		sleep 0.5
		[ "$(hugetlb_hier)" = 0 ] && break
		# shellcheck disable=SC2016 # $1 is for the inner sh
		unshare --mount --propagation private sh -c \
			'mount -t cgroup -o hugetlb cgroup "$1" || exit 1
			 find "$1" -mindepth 1 -depth -type d -exec rmdir {} + 2>/dev/null
			 sleep 0.5
			 umount "$1"' sh "$hugetlb_mp"
	done
	if [ "$(hugetlb_hier)" = 0 ]; then
		say "hugetlb is back on the cgroup2 hierarchy"
	else
		say "WARNING: hugetlb is still on a v1 hierarchy (see /proc/cgroups); rerun bench/run.sh to retry"
	fi
	BENCH_HUGETLB=none
}

export BENCH_BUILD=$build
BENCH_TMP=$(mktemp -d /tmp/volt-bench.XXXXXX) || exit 1
export BENCH_TMP
# The whole run uses one copy of volt-run, so a rebuild of BUILD/volt-run
# during the run can neither break it nor mix two versions in the numbers.
export BENCH_VOLT=$BENCH_TMP/volt-run
if ! cp "$build/volt-run" "$BENCH_VOLT"; then
	say "could not copy $build/volt-run to $BENCH_VOLT"
	rm -rf "$BENCH_TMP"
	exit 1
fi

finish() {
	restore_hugetlb
	if [ "$made_mp" = 1 ] && ! mountpoint -q "$hugetlb_mp"; then
		rmdir "$hugetlb_mp" 2>/dev/null
	fi
	rm -rf "$BENCH_TMP"
}
trap finish EXIT

# ---- measure ---------------------------------------------------------------
# measure.sh runs in the background so that a signal here can be passed on
# (as SIGTERM, through the subreaper) and it cleans up before we restore.
engines_note="podman and containerd N=$BENCH_ENGINES_N"
[ "$BENCH_ENGINES" = 0 ] && engines_note="engines off"
say "volt-run, crun, runc interleaved: N=$BENCH_N, $BENCH_PAR containers at once x $BENCH_ROUNDS rounds, $engines_note"
start_s=$SECONDS
unshare --mount --propagation private -- "$reaper" "$repo/bench/measure.sh" &
child=$!
forward() {
	say "signal: stopping the measurement"
	kill -TERM "$child" 2>/dev/null
}
trap forward INT TERM
rc=0
while :; do
	wait "$child"
	rc=$?
	# wait returns >128 when a trapped signal interrupted it; the child
	# may still be cleaning up.
	kill -0 "$child" 2>/dev/null || break
done
trap - INT TERM
if [ "$rc" -ne 0 ]; then
	say "measurement stopped (exit $rc); no results written"
	exit "$rc"
fi

# ---- results.json ------------------------------------------------------------
out=$build/bench/results.json
jq -n \
	--rawfile raw "$BENCH_TMP/raw.tsv" \
	--slurpfile fails "$BENCH_TMP/failures.jsonl" \
	--rawfile execsup "$BENCH_TMP/exec-support.tsv" \
	--arg engines "$(cat "$BENCH_TMP/engines-status" 2>/dev/null || echo "not run")" \
	--argjson engines_n "$BENCH_ENGINES_N" \
	--arg kernel "$(uname -r)" --arg nproc "$(nproc)" \
	--arg cpu "$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)" \
	--arg mem "$(awk '/^MemTotal/ { print $2 " kB" }' /proc/meminfo)" \
	--arg date "$(date -u +%Y-%m-%dT%H:%M:%SZ)" \
	--arg volt_v "$("$BENCH_VOLT" --version 2>&1 | head -1) ($(sed -n 's/^commit: //p' < <("$BENCH_VOLT" --version 2>&1)))" \
	--arg crun_v "$(crun --version 2>&1 | head -1)" \
	--arg runc_v "$(runc --version 2>&1 | head -1)" \
	--argjson n "$BENCH_N" --argjson par "$BENCH_PAR" --argjson rounds "$BENCH_ROUNDS" \
	--arg hugetlb "$(cat "$BENCH_TMP/hugetlb-mode" 2>/dev/null || echo "$BENCH_HUGETLB")" --argjson secs "$((SECONDS - start_s))" '
def stats: sort as $a | ($a | length) as $k | {
	n: $k,
	median: (if $k == 0 then null elif $k % 2 == 1 then $a[($k - 1) / 2]
		else ($a[$k / 2 - 1] + $a[$k / 2]) / 2 end),
	p90: (if $k == 0 then null else $a[(($k * 0.9) | ceil) - 1] end),
	samples: .
};
def ratio($a; $b): if $a == null or $b == null or $b == 0 then null else $a / $b end;
# volt-run alone has a seccomp cache; its uncached runs compare with the
# crun and runc runs of the same profile, which always compile.
def against($k): if ($k | startswith("seccomp_cold.")) then "seccomp." + ($k | split(".")[1]) else $k end;
($raw | split("\n") | map(select(length > 0) | split("\t") | {m: .[0], r: .[1], v: (.[2] | tonumber)})) as $rows
| ($execsup | split("\n") | map(select(length > 0) | split("\t") | {key: .[0], value: (.[1] == "1")}) | from_entries) as $exec
| ($rows | group_by(.m) | map({
	key: .[0].m,
	value: (group_by(.r) | map({key: .[0].r, value: (map(.v) | stats)}) | from_entries)
  }) | from_entries) as $m
| ["run.wall_ms", "run.cpu_ms", "run.rss_kb", "create.wall_ms", "create.cpu_ms", "start.wall_ms",
   "delete.wall_ms", "csd.wall_ms", "exec.wall_ms", "exec.cpu_ms", "seccomp.wall_ms", "seccomp.cpu_ms",
   "seccomp_cold.wall_ms", "seccomp_cold.cpu_ms", "par_create.wall_ms",
   "par_start.wall_ms", "par_delete.wall_ms", "par_total.wall_ms", "podman.wall_ms", "ctr.wall_ms"] as $order
# volt-run alone has a seccomp cache; its uncached runs compare with the
# crun and runc runs of the same profile, which always compile.

| {
	date: $date,
	machine: {kernel: $kernel, nproc: ($nproc | tonumber), cpu: $cpu, memory: $mem},
	runtimes: {volt: $volt_v, crun: $crun_v, runc: $runc_v},
	exec_supported: $exec,
	settings: {n: $n, parallel_containers: $par, parallel_rounds: $rounds, hugetlb: $hugetlb,
		engines: $engines, engines_n: $engines_n, seconds: $secs},
	metrics: ($order | map(. as $k | ($k | split(".")[0]) as $base | {key: $k, value: (
		["volt", "crun", "runc"] | map(. as $r | {key: $r, value: (($m[$k][$r] // {n: 0, median: null,
			p90: null, samples: []}) + {failures: ([$fails[] | select(.runtime == $r and
			(.metric == $base or .metric == ($base + "-setup")))] | length)})}) | from_entries
		| . + {volt_over_crun: ratio(.volt.median; $m[against($k)].crun.median),
		       volt_over_runc: ratio(.volt.median; $m[against($k)].runc.median)})}) | from_entries),
	failures: $fails
}
| .target = (.metrics["run.wall_ms"].volt_over_crun as $w
	| (.metrics["run.rss_kb"].volt.median) as $vr | (.metrics["run.rss_kb"].crun.median) as $cr
	| .metrics["run.wall_ms"].volt.failures as $vf
	| {run_wall_ratio_max: 0.8, run_wall_ratio: $w, volt_rss_kb: $vr, crun_rss_kb: $cr, volt_run_failures: $vf,
	   met: ($w != null and $vr != null and $cr != null and $w <= 0.8 and $vr <= $cr and $vf == 0)})
# The other targets: volt no slower than crun (median ratio <= 1). met is null
# when the row was not measured (engines off or skipped).
| .target as $root_target | .metrics as $root_metrics
| .targets = ([
	["run", "run /bin/true: wall <= 0.8x crun and peak RSS <= crun"],
	["seccomp.wall_ms", "run /bin/true, same seccomp profile: wall <= crun (volt cached)"],
	["exec.wall_ms", "exec /bin/true: wall <= crun"],
	["podman.wall_ms", "podman run --rm: wall <= crun"],
	["ctr.wall_ms", "ctr run --rm: wall <= crun"]
  ] | map(. as [$k, $what] | if $k == "run" then
	{metric: "run.wall_ms", what: $what, ratio: $root_target.run_wall_ratio, max: 0.8, met: $root_target.met}
  else
	($root_metrics[$k]) as $mm
	| {metric: $k, what: $what, ratio: $mm.volt_over_crun, max: 1.0,
	   met: (if $mm.volt.n == 0 and $mm.crun.n == 0 then null
		else ($mm.volt_over_crun != null and $mm.volt_over_crun <= 1.0 and $mm.volt.failures == 0) end)}
  end))
' >"$out.tmp" || {
	say "could not write $out"
	exit 1
}
mv "$out.tmp" "$out" || exit 1

"$repo/bench/report.sh" "$out" || exit 1
echo "raw numbers: $out (run took $((SECONDS - start_s)) s)"
# A comparison with failed invocations in it is incomplete: say so by status.
[ "$(jq '.failures | length' "$out")" = 0 ]
