#!/bin/bash
# bench/report.sh [RESULTS_JSON]: print the table of a bench run from the
# results.json that bench/run.sh wrote (default build/bench/results.json).
# Each cell is "median (p90)"; the ratios compare medians.
set -euo pipefail

file=${1:-build/bench/results.json}
if [ ! -r "$file" ]; then
	echo "report: $file not found (run bench/run.sh first)" >&2
	exit 1
fi

jq -r '
def fixed($v; $d): if $v == null then "-" elif $d == 0 then ($v | round | tostring)
	else ($v * pow(10; $d) | round | tostring) as $s
	| (if ($s | length) <= $d then ("0" * ($d + 1 - ($s | length))) + $s else $s end) as $p
	| $p[:-$d] + "." + $p[-$d:] end;
def fmt($v): if $v == null then "-" elif $v >= 1000 then fixed($v; 0) elif $v >= 100 then fixed($v; 1)
	else fixed($v; 2) end;
def cell($s; $supported): if $supported == false then "n/a"
	elif $s.n == 0 then (if $s.failures > 0 then "FAILED x\($s.failures)" else "-" end)
	else "\(fmt($s.median)) (\(fmt($s.p90)))" + (if $s.failures > 0 then " !\($s.failures)" else "" end) end;
def ratio($r): if $r == null then "-" else "\(fixed($r; 2))x" end;
def pad($w): tostring | if length >= $w then . else . + (" " * ($w - length)) end;
def lpad($w): tostring | if length >= $w then . else (" " * ($w - length)) + . end;
. as $root
| [
	["run.wall_ms", "run /bin/true: wall (ms)"],
	["run.cpu_ms", "run /bin/true: CPU user+sys (ms)"],
	["run.rss_kb", "run /bin/true: peak RSS (KiB)"],
	["create.wall_ms", "create: wall (ms)"],
	["create.cpu_ms", "create: CPU user+sys (ms)"],
	["start.wall_ms", "start: wall (ms)"],
	["delete.wall_ms", "delete --force: wall (ms)"],
	["csd.wall_ms", "create+start+delete: wall (ms)"],
	["exec.wall_ms", "exec /bin/true: wall (ms)"],
	["exec.cpu_ms", "exec /bin/true: CPU (ms)"],
	["par_create.wall_ms", "\(.settings.parallel_containers)x create at once (ms)"],
	["par_start.wall_ms", "\(.settings.parallel_containers)x start at once (ms)"],
	["par_delete.wall_ms", "\(.settings.parallel_containers)x delete at once (ms)"],
	["par_total.wall_ms", "\(.settings.parallel_containers)x create+start+delete (ms)"]
] as $rows
| "Volt bench: kernel \(.machine.kernel), nproc \(.machine.nproc), \(.machine.cpu), \(.date)",
  "volt: \(.runtimes.volt) | crun: \(.runtimes.crun) | runc: \(.runtimes.runc)",
  "N=\(.settings.n) interleaved iterations; \(.settings.parallel_containers) containers at once x \(.settings.parallel_rounds) rounds; hugetlb: \(.settings.hugetlb); cells: median (p90), !K = K failed runs",
  "",
  ("measurement" | pad(36)) + ("volt" | lpad(18)) + ("crun" | lpad(18)) + ("runc" | lpad(18))
	+ ("volt/crun" | lpad(11)) + ("volt/runc" | lpad(11)),
  ("-" * 112),
  ($rows[] | . as [$k, $lab] | $root.metrics[$k] as $m
	| ($k | startswith("exec.")) as $isexec
	| ($lab | pad(36))
	+ (cell($m.volt; if $isexec then $root.exec_supported.volt else true end) | lpad(18))
	+ (cell($m.crun; if $isexec then $root.exec_supported.crun else true end) | lpad(18))
	+ (cell($m.runc; if $isexec then $root.exec_supported.runc else true end) | lpad(18))
	+ (ratio($m.volt_over_crun) | lpad(11)) + (ratio($m.volt_over_runc) | lpad(11))),
  "",
  (.failures | length) as $nf | if $nf > 0 then
	"FAILURES: \($nf) invocations failed (" + ([.failures | group_by(.runtime)[] | "\(.[0].runtime) \(length)"]
		| join(", ")) + "); all of them are in .failures of the results file. First of each runtime:",
	(.failures | group_by(.runtime)[] | .[0] | "  \(.runtime) (\(.metric), exit \(.exit)): \(.command)",
		"    \(.output | split("\n") | map(select(length > 0)) | .[:3] | join("\n    "))")
  else empty end,
  (.target | "TARGET (run wall <= 0.8x crun and peak RSS <= crun): "
	+ (if .met then "MET" else "NOT MET" end)
	+ " - run wall volt/crun = \(ratio(.run_wall_ratio)), peak RSS volt \(fmt(.volt_rss_kb)) KiB vs crun \(fmt(.crun_rss_kb)) KiB"
	+ (if .volt_run_failures > 0 then ", \(.volt_run_failures) failed volt runs" else "" end))
' "$file"
