#!/bin/bash
# bench/measure.sh: the measuring half of bench/run.sh. It runs inside the
# private mount namespace and under the subreaper that run.sh set up, so do
# not call it directly. It takes everything from the environment run.sh
# exports (BENCH_BUILD, BENCH_TMP, BENCH_N, BENCH_PAR, BENCH_ROUNDS,
# BENCH_HUGETLB) and writes raw samples to $BENCH_TMP/raw.tsv (one
# "METRIC<TAB>RUNTIME<TAB>VALUE" a line) and failures to
# $BENCH_TMP/failures.jsonl, which run.sh turns into results.json.
# BENCH_VOLT is the copy of volt-run to use (run.sh copies BUILD/volt-run so
# that a rebuild during the run cannot change or break it). The engine part
# (podman, containerd) is bench/engines.sh, sourced at the end unless
# BENCH_ENGINES=0.
set -uo pipefail

build=$BENCH_BUILD
tmp=$BENCH_TMP
n=$BENCH_N
par=$BENCH_PAR
rounds=$BENCH_ROUNDS
timeit=$build/bench/timeit
runtimes=(volt crun runc)
declare -A cmd=([volt]="${BENCH_VOLT:-$build/volt-run}" [crun]="$(command -v crun)" [runc]="$(command -v runc)")
declare -A has_exec=()
declare -A exec_ready=()
raw=$tmp/raw.tsv
failures=$tmp/failures.jsonl
: >"$raw"
: >"$failures"

say() { printf 'bench: %s\n' "$*" >&2; }

# ---- hugetlb: crun 1.8 refuses a cgroup2 that holds any controller --------
# This mount lives only in this private mount namespace; run.sh moves the
# controller back to the unified hierarchy once we are done.
hugetlb_mode=none
if [ "$BENCH_HUGETLB" != none ]; then
	mp=/sys/fs/cgroup/hugetlb
	if mountpoint -q "$mp" || mount -t cgroup -o hugetlb cgroup "$mp" 2>"$tmp/hugetlb.err"; then
		hugetlb_mode=$BENCH_HUGETLB
	else
		# mount(8) words the kernel's EBUSY as "already mounted"
		say "the kernel refused to move hugetlb to a v1 hierarchy (EBUSY when a cgroup2 cgroup has it in"
		say "      cgroup.subtree_control; mount said: $(head -1 "$tmp/hugetlb.err"))"
	fi
fi
# The kernel refuses the move (EBUSY) while any cgroup2 cgroup has hugetlb
# in its subtree_control, e.g. after volt-run delegated it for a container.
# Then crun's hybrid check is satisfied instead by what it reads: an empty
# file is bound over cgroup2's cgroup.controllers, again only in this mount
# namespace. hugetlb stays on cgroup2 (for all three runtimes alike), and
# nothing changes outside the bench.
unified=/sys/fs/cgroup/unified
if grep -qs '[^[:space:]]' "$unified/cgroup.controllers"; then
	: >"$tmp/empty-controllers"
	if mount --bind -o ro "$tmp/empty-controllers" "$unified/cgroup.controllers" 2>"$tmp/hugetlb.err"; then
		hugetlb_mode=masked
		say "NOTE: hugetlb stays on cgroup2; crun is shown an empty $unified/cgroup.controllers (bind mount"
		say "      in the bench's mount namespace only). All three runtimes run on that layout."
	else
		say "could not mask $unified/cgroup.controllers: $(cat "$tmp/hugetlb.err"); crun will likely fail"
	fi
fi
echo "$hugetlb_mode" >"$tmp/hugetlb-mode"

# ---- configs: one template per runtime, identical apart from the file -----
# crun 1.8 rejects ociVersion 1.2.0 ("unknown version specified"), so every
# runtime gets 1.0.2, which all three accept.
# runc wants root.path absolute and free of symlinks.
rootfs=$(jq -r '.root.path' "$build/bundle/config.json") || exit 1
case "$rootfs" in
/*) ;;
*) rootfs=$build/bundle/$rootfs ;;
esac
rootfs=$(realpath -e "$rootfs") || exit 1
# The seccomp rows: the same podman-like profile under linux.seccomp for all.
seccomp_profile=$(dirname "$0")/../tests/fixtures/seccomp-podman-like.json
for rt in "${runtimes[@]}"; do
	mkdir -p "$tmp/$rt/bundles" "$tmp/$rt/state" "$tmp/$rt/logs"
	jq --arg root "$rootfs" \
		'.ociVersion = "1.0.2" | .root.path = $root | .linux.cgroupsPath = "@CGPATH@"' \
		"$build/bundle/config.json" >"$tmp/$rt/config.tmpl" || exit 1
	jq '.process.args = ["/bin/sleep", "3600"]' "$tmp/$rt/config.tmpl" >"$tmp/$rt/config-sleep.tmpl" || exit 1
	jq --slurpfile prof "$seccomp_profile" '.linux.seccomp = $prof[0]' \
		"$tmp/$rt/config.tmpl" >"$tmp/$rt/config-seccomp.tmpl" || exit 1
done

# new_bundle RT ID [TEMPLATE]: a bundle dir for container ID whose cgroup is
# /volt-bench/ID; prints its path.
new_bundle() {
	local rt=$1 id=$2 tmpl=${3:-config.tmpl} dir="$tmp/$1/bundles/$2" text
	mkdir -p "$dir"
	text=$(<"$tmp/$rt/$tmpl")
	printf '%s\n' "${text//@CGPATH@//volt-bench/$id}" >"$dir/config.json"
	printf '%s' "$dir"
}

# rt_run RT ARGS...: the runtime with its own state root.
rt_run() {
	local rt=$1
	shift
	"${cmd[$rt]}" --root "$tmp/$rt/state" "$@"
}

# fail_cmd METRIC RT EXIT LOG CMD...: record a failed invocation of CMD;
# the first three per metric and runtime are also printed.
declare -A nfail=()
fail_cmd() {
	local metric=$1 rt=$2 code=$3 log=$4 key="$1.$2"
	shift 4
	nfail[$key]=$((${nfail[$key]:-0} + 1))
	local out
	out=$(head -c 2000 "$log" 2>/dev/null)
	jq -cn --arg m "$metric" --arg r "$rt" --argjson e "$code" --arg c "$*" \
		--arg o "$out" '{metric: $m, runtime: $r, exit: $e, command: $c, output: $o}' >>"$failures"
	if [ "${nfail[$key]}" -le 3 ]; then
		say "FAILED ($metric, $rt, exit $code): $*"
		[ -n "$out" ] && printf '%s\n' "$out" | sed 's/^/bench:   | /' >&2
	fi
}

# fail METRIC RT EXIT LOG ARGS...: the same for `RUNTIME --root STATE ARGS`.
fail() {
	local metric=$1 rt=$2 code=$3 log=$4
	shift 4
	fail_cmd "$metric" "$rt" "$code" "$log" "${cmd[$rt]}" --root "$tmp/$rt/state" "$@"
}

# timed_cmd METRIC RT WHAT CMD...: one timed invocation of CMD; records WHAT
# (a list of wall, cpu, rss) under METRIC for RT on success, a failure
# otherwise. Returns its status.
timed_cmd() {
	local metric=$1 rt=$2 what=$3
	shift 3
	local log="$tmp/$rt/logs/last" res wall cpu rss code
	res=$("$timeit" "$log" "$@")
	read -r wall cpu rss code <<<"$res"
	if [ -z "${code:-}" ]; then
		fail_cmd "$metric" "$rt" 125 "$log" "$@"
		return 125
	fi
	if [ "$code" -ne 0 ]; then
		fail_cmd "$metric" "$rt" "$code" "$log" "$@"
		return "$code"
	fi
	case " $what " in *" wall "*)
		printf '%s\t%s\t%s\n' "$metric.wall_ms" "$rt" "$(awk -v v="$wall" 'BEGIN { printf "%.3f", v / 1e6 }')" >>"$raw"
		;;
	esac
	case " $what " in *" cpu "*)
		printf '%s\t%s\t%s\n' "$metric.cpu_ms" "$rt" "$(awk -v v="$cpu" 'BEGIN { printf "%.3f", v / 1e3 }')" >>"$raw"
		;;
	esac
	case " $what " in *" rss "*) printf '%s\t%s\t%s\n' "$metric.rss_kb" "$rt" "$rss" >>"$raw" ;; esac
	LAST_WALL_NS=$wall
	return 0
}

# timed METRIC RT ARGS...: timed_cmd of `RUNTIME --root STATE ARGS`, wall and
# CPU (and peak RSS for `run`).
timed() {
	local metric=$1 rt=$2 what="wall cpu"
	shift 2
	[ "$metric" = run ] && what="wall cpu rss"
	timed_cmd "$metric" "$rt" "$what" "${cmd[$rt]}" --root "$tmp/$rt/state" "$@"
}

# ---- cleanup: every container, every state dir, every bench cgroup -------
cleaned=0
cleanup() {
	[ "$cleaned" = 1 ] && return
	cleaned=1
	local rt id
	declare -F engines_teardown >/dev/null && engines_teardown
	jobs -p | xargs -r kill 2>/dev/null
	wait 2>/dev/null
	for rt in "${runtimes[@]}"; do
		[ -d "$tmp/$rt/state" ] || continue
		for id in $(timeout 10 "${cmd[$rt]}" --root "$tmp/$rt/state" list -q 2>/dev/null); do
			timeout 10 "${cmd[$rt]}" --root "$tmp/$rt/state" delete --force "$id" >/dev/null 2>&1 ||
				say "cleanup: $rt delete --force $id failed"
		done
		rm -rf "${tmp:?}/$rt"
	done
	# Deleted containers leave /volt-bench itself (and any cgroup a failed
	# delete left); children go first.
	local d
	for d in /sys/fs/cgroup/*/volt-bench /sys/fs/cgroup/volt-bench; do
		[ -d "$d" ] && find "$d" -depth -type d -exec rmdir {} + 2>/dev/null
		[ -d "$d" ] && say "cleanup: could not remove $d"
	done
}
# shellcheck disable=SC2317 # called by the trap below
on_signal() {
	say "interrupted: cleaning up"
	cleanup
	exit 130
}
trap on_signal INT TERM
trap cleanup EXIT

# ---- exec: a long-running container per runtime that has `exec` ----------
# `run -d` of busybox `sleep 3600`; its stdio goes to the setup log.
for rt in "${runtimes[@]}"; do
	if "${cmd[$rt]}" exec --help >/dev/null 2>&1; then
		has_exec[$rt]=1
		id=$rt-exec
		b=$(new_bundle "$rt" "$id" config-sleep.tmpl)
		if rt_run "$rt" run -d -b "$b" "$id" </dev/null >"$tmp/$rt/logs/exec-setup" 2>&1; then
			exec_ready[$rt]=1
		else
			fail exec-setup "$rt" 1 "$tmp/$rt/logs/exec-setup" run -d -b "$b" "$id"
		fi
	fi
done

# ---- seccomp: one warm-up run per runtime ---------------------------------
# volt-run compiles linux.seccomp once per state root and reuses the result
# (STATE/.seccomp-cache); the steady-state row comes after this warm-up. Its
# uncached cost is measured separately, on every iteration, with the cache
# emptied first (row seccomp_cold). crun and runc compile on every run.
for rt in "${runtimes[@]}"; do
	id=$rt-sw
	b=$(new_bundle "$rt" "$id" config-seccomp.tmpl)
	if ! rt_run "$rt" run -b "$b" "$id" </dev/null >"$tmp/$rt/logs/seccomp-setup" 2>&1; then
		fail seccomp-setup "$rt" 1 "$tmp/$rt/logs/seccomp-setup" run -b "$b" "$id"
	fi
done

# ---- interleaved sequential measurements ----------------------------------
# Iteration i starts with runtime i mod 3 so no runtime always runs right
# after another particular one.
for ((i = 1; i <= n; i++)); do
	printf '\rbench: iteration %d/%d ' "$i" "$n" >&2
	for ((k = 0; k < 3; k++)); do
		rt=${runtimes[$(((i + k) % 3))]}

		# 1+3: run of /bin/true (wall, CPU, peak RSS)
		id=$rt-r$i
		b=$(new_bundle "$rt" "$id")
		timed run "$rt" run -b "$b" "$id"

		# 2: create, start, delete separately. /bin/true may still be
		# running when delete comes, hence --force (same for all).
		id=$rt-c$i
		b=$(new_bundle "$rt" "$id")
		if timed create "$rt" create -b "$b" "$id"; then
			sum=$LAST_WALL_NS
			ok=1
			timed start "$rt" start "$id" && sum=$((sum + LAST_WALL_NS)) || ok=0
			timed delete "$rt" delete --force "$id" && sum=$((sum + LAST_WALL_NS)) || ok=0
			[ "$ok" = 1 ] && printf '%s\t%s\t%s\n' csd.wall_ms "$rt" \
				"$(awk -v v="$sum" 'BEGIN { printf "%.3f", v / 1e6 }')" >>"$raw"
		fi

		# 5: exec of /bin/true in the running container
		if [ -n "${exec_ready[$rt]:-}" ]; then
			timed exec "$rt" exec "$rt-exec" /bin/true
		fi

		# 6: run of /bin/true with the podman-like seccomp profile. For
		# volt first once with its filter cache emptied (the uncached
		# cost), then the steady state, which the cold run refilled.
		if [ "$rt" = volt ]; then
			rm -rf "$tmp/$rt/state/.seccomp-cache"
			id=$rt-sc$i
			b=$(new_bundle "$rt" "$id" config-seccomp.tmpl)
			timed seccomp_cold "$rt" run -b "$b" "$id"
		fi
		id=$rt-s$i
		b=$(new_bundle "$rt" "$id" config-seccomp.tmpl)
		timed seccomp "$rt" run -b "$b" "$id"
	done
done
printf '\n' >&2

for rt in "${runtimes[@]}"; do
	if [ -n "${exec_ready[$rt]:-}" ]; then
		rt_run "$rt" delete --force "$rt-exec" >/dev/null 2>&1 || say "$rt: delete --force $rt-exec failed"
	fi
done

# ---- 4: $par containers at once -------------------------------------------
now_us() { printf '%s' "${EPOCHREALTIME/./}"; }

# phase RT ROUND PHASE ARGS...: run PHASE for every container of the round
# concurrently; returns the number of failures.
phase() {
	local rt=$1 r=$2 ph=$3 j bad=0
	shift 3
	local -a pids=()
	for ((j = 1; j <= par; j++)); do
		local id=$rt-p$r-$j
		case "$ph" in
		create) rt_run "$rt" create -b "$tmp/$rt/bundles/$id" "$id" >"$tmp/$rt/logs/$id.$ph" 2>&1 & ;;
		start) rt_run "$rt" start "$id" >"$tmp/$rt/logs/$id.$ph" 2>&1 & ;;
		delete) rt_run "$rt" delete --force "$id" >"$tmp/$rt/logs/$id.$ph" 2>&1 & ;;
		esac
		pids+=($!)
	done
	for ((j = 1; j <= par; j++)); do
		local code=0
		wait "${pids[$((j - 1))]}" || code=$?
		if [ "$code" -ne 0 ]; then
			bad=$((bad + 1))
			fail "par_$ph" "$rt" "$code" "$tmp/$rt/logs/$rt-p$r-$j.$ph" "$ph" "$rt-p$r-$j"
		fi
	done
	return "$bad"
}

for ((r = 1; r <= rounds; r++)); do
	printf '\rbench: %d containers at once, round %d/%d ' "$par" "$r" "$rounds" >&2
	for ((k = 0; k < 3; k++)); do
		rt=${runtimes[$(((r + k) % 3))]}
		for ((j = 1; j <= par; j++)); do
			new_bundle "$rt" "$rt-p$r-$j" >/dev/null
		done
		t0=$(now_us)
		phase "$rt" "$r" create
		bad=$?
		t1=$(now_us)
		phase "$rt" "$r" start
		bad=$((bad + $?))
		t2=$(now_us)
		phase "$rt" "$r" delete
		bad=$((bad + $?))
		t3=$(now_us)
		if [ "$bad" -eq 0 ]; then
			awk -v rt="$rt" -v a="$t0" -v b="$t1" -v c="$t2" -v d="$t3" 'BEGIN {
				printf "par_create.wall_ms\t%s\t%.3f\n", rt, (b - a) / 1e3
				printf "par_start.wall_ms\t%s\t%.3f\n", rt, (c - b) / 1e3
				printf "par_delete.wall_ms\t%s\t%.3f\n", rt, (d - c) / 1e3
				printf "par_total.wall_ms\t%s\t%.3f\n", rt, (d - a) / 1e3
			}' >>"$raw"
		else
			# leftovers of a failed round must not pile up
			for ((j = 1; j <= par; j++)); do
				rt_run "$rt" delete --force "$rt-p$r-$j" >/dev/null 2>&1
			done
		fi
	done
done
printf '\n' >&2

for rt in "${runtimes[@]}"; do
	printf '%s\t%s\n' "$rt" "${has_exec[$rt]:+1}" >>"$tmp/exec-support.tsv"
done

# ---- 7: podman and containerd with each runtime ---------------------------
if [ "${BENCH_ENGINES:-1}" != 0 ]; then
	# shellcheck source=bench/engines.sh
	. "$(dirname "$0")/engines.sh"
	engines_measure
else
	echo "off (BENCH_ENGINES=0)" >"$tmp/engines-status"
fi

cleanup
exit 0
