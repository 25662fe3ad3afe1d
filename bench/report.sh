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
	elif ($supported | type) == "string" then $supported
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
	["seccomp.wall_ms", "seccomp run /bin/true: wall (ms)"],
	["seccomp.cpu_ms", "seccomp run /bin/true: CPU (ms)"],
	["seccomp_cold.wall_ms", "seccomp run, volt uncached: wall"],
	["seccomp_cold.cpu_ms", "seccomp run, volt uncached: CPU"],
	["par_create.wall_ms", "\(.settings.parallel_containers)x create at once (ms)"],
	["par_start.wall_ms", "\(.settings.parallel_containers)x start at once (ms)"],
	["par_delete.wall_ms", "\(.settings.parallel_containers)x delete at once (ms)"],
	["par_total.wall_ms", "\(.settings.parallel_containers)x create+start+delete (ms)"],
	["podman.wall_ms", "podman run --rm IMAGE true (ms)"],
	["ctr.wall_ms", "ctr run --rm IMAGE ID true (ms)"]
] as $rows
| (.settings.engines // "not run") as $eng
| "Volt bench: kernel \(.machine.kernel), nproc \(.machine.nproc), \(.machine.cpu), \(.date)",
  "volt: \(.runtimes.volt) | crun: \(.runtimes.crun) | runc: \(.runtimes.runc)",
  "N=\(.settings.n) interleaved iterations; \(.settings.parallel_containers) containers at once x \(.settings.parallel_rounds) rounds; hugetlb: \(.settings.hugetlb); cells: median (p90), !K = K failed runs",
  "engines (podman, containerd): \($eng)" + (if $eng == "ran" then ", N=\(.settings.engines_n)" else "" end)
	+ "; seccomp uncached: volt with its filter cache emptied before each run, ratios against crun/runc seccomp runs (they always compile)",
  "",
  ("measurement" | pad(36)) + ("volt" | lpad(18)) + ("crun" | lpad(18)) + ("runc" | lpad(18))
	+ ("volt/crun" | lpad(11)) + ("volt/runc" | lpad(11)),
  ("-" * 112),
  ($rows[] | . as [$k, $lab] | $root.metrics[$k] as $m
	| ($k | startswith("exec.")) as $isexec
	| ($k | startswith("seccomp_cold.")) as $iscold
	| (($k | startswith("podman.")) or ($k | startswith("ctr."))) as $iseng
	| (if $iseng and $eng != "ran" then ($eng | split(" ")[0]) else true end) as $engsup
	| select($m != null)
	| ($lab | pad(36))
	+ (cell($m.volt; if $isexec then $root.exec_supported.volt else $engsup end) | lpad(18))
	+ (cell($m.crun; if $isexec then $root.exec_supported.crun elif $iscold then "(no cache)" else $engsup end) | lpad(18))
	+ (cell($m.runc; if $isexec then $root.exec_supported.runc elif $iscold then "(no cache)" else $engsup end) | lpad(18))
	+ (ratio($m.volt_over_crun) | lpad(11)) + (ratio($m.volt_over_runc) | lpad(11))),
  "",
  (.failures | length) as $nf | if $nf > 0 then
	"FAILURES: \($nf) invocations failed (" + ([.failures | group_by(.runtime)[] | "\(.[0].runtime) \(length)"]
		| join(", ")) + "); all of them are in .failures of the results file. First of each runtime:",
	(.failures | group_by(.runtime)[] | .[0] | "  \(.runtime) (\(.metric), exit \(.exit)): \(.command)",
		"    \(.output | split("\n") | map(select(length > 0)) | .[:3] | join("\n    "))")
  else empty end,
  (.target | "TARGET run (wall <= 0.8x crun and peak RSS <= crun): "
	+ (if .met then "MET" else "NOT MET" end)
	+ " - run wall volt/crun = \(ratio(.run_wall_ratio)), peak RSS volt \(fmt(.volt_rss_kb)) KiB vs crun \(fmt(.crun_rss_kb)) KiB"
	+ (if .volt_run_failures > 0 then ", \(.volt_run_failures) failed volt runs" else "" end)),
  ((.targets // [])[1:][] | . as $t | $root.metrics[$t.metric] as $mm
	| "TARGET \($t.metric | split(".")[0]) (\($t.what)): "
	+ (if $t.met == null then "NOT MEASURED" elif $t.met then "MET" else "NOT MET" end)
	+ (if $t.met == null then "" else " - volt/crun = \(ratio($t.ratio))"
		+ (if $mm.volt.failures > 0 then ", \($mm.volt.failures) failed volt runs" else "" end) end)),
  (if .targets then "TARGETS: \([.targets[] | select(.met == true)] | length) of \(.targets | length) met"
	+ (if ([.targets[] | select(.met == null)] | length) > 0 then
		" (\([.targets[] | select(.met == null)] | length) not measured)" else "" end) else empty end)
' "$file"
