# shellcheck shell=bash
# shellcheck disable=SC2154 # cmd, runtimes, tmp, build come from measure.sh
# bench/engines.sh: the engine half of the bench, sourced by bench/measure.sh
# (it uses its cmd, runtimes, tmp, timed_cmd, fail_cmd and say). podman and
# containerd each start one container of /bin/true per runtime and
# iteration, interleaved like the rest:
#
#   podman --runtime RT run --rm IMAGE true
#   ctr run --rm --runc-binary RT --runc-root ROOT IMAGE ID true
#
# The engines are set up exactly as tests/engines/ sets them up (its setup
# code is sourced, not copied): private state under a tmpdir each, podman in a
# network namespace of its own with netns=none, containerd as a separate
# daemon on its own socket. Only two things are added to podman's
# containers.conf: crun and runc by absolute path next to volt-run, and all
# three in runtime_supports_json, so podman treats the three alike.
#
# Environment: BENCH_ENGINES_N iterations (default 10). Writes the state of
# the part ("ran", or why not) to $tmp/engines-status.

engines_status() { printf '%s\n' "$*" >"$tmp/engines-status"; }

# Set ENGINE_TMP etc. for one engine; the helpers keep one engine per tmpdir.
engines_use() {
	case "$1" in
	podman) ENGINE_TMP=$ENG_PODMAN_TMP ;;
	containerd) ENGINE_TMP=$ENG_CTRD_TMP ;;
	esac
	export ENGINE_TMP
}

engines_teardown() {
	if [ -n "${ENG_CTRD_TMP:-}" ]; then
		engines_use containerd
		containerd_teardown >/dev/null 2>&1
		ENG_CTRD_TMP=
	fi
	if [ -n "${ENG_PODMAN_TMP:-}" ]; then
		engines_use podman
		podman_teardown >/dev/null 2>&1
		ENG_PODMAN_TMP=
	fi
}

engines_measure() {
	local en=${BENCH_ENGINES_N:-10} tool missing=() rt i k id
	if ! [[ $en =~ ^[1-9][0-9]*$ ]]; then
		say "engines: BENCH_ENGINES_N must be a positive integer, not '$en'; skipping the engines"
		engines_status "skipped (bad BENCH_ENGINES_N)"
		return 0
	fi
	for tool in podman conmon containerd ctr containerd-shim-runc-v2; do
		command -v "$tool" >/dev/null || missing+=("$tool")
	done
	if [ "${#missing[@]}" -gt 0 ]; then
		say "engines: skipped, not installed: ${missing[*]} (scripts/install-engine-deps.sh installs them)"
		engines_status "skipped (missing ${missing[*]})"
		return 0
	fi

	# The test helpers find the repo through BATS_TEST_DIRNAME and the
	# runtime through VOLT_RUN: the bench's copy of volt-run.
	local repo
	repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
	export BATS_TEST_DIRNAME=$repo/tests/engines VOLT_BUILD=$build VOLT_RUN=${cmd[volt]} VOLT_ENGINE_TRACE=0
	# shellcheck source=tests/engines/engine-helpers.bash
	. "$repo/tests/engines/engine-helpers.bash"
	# shellcheck source=tests/engines/podman-setup.bash
	. "$repo/tests/engines/podman-setup.bash"
	# shellcheck source=tests/engines/containerd-setup.bash
	. "$repo/tests/engines/containerd-setup.bash"

	local -A pm_ok=() ctr_ok=()
	local log="$tmp/engines-setup.log"
	say "engines: setting up podman and containerd (private state)"

	engine_tmp_setup bench-podman
	ENG_PODMAN_TMP=$ENGINE_TMP
	if podman_setup >"$log" 2>&1; then
		cat >>"$CONTAINERS_CONF" <<-EOF
			crun = ["${cmd[crun]}"]
			runc = ["${cmd[runc]}"]
		EOF
		sed -i 's/^\([[:space:]]*runtime_supports_json = \).*/\1["volt-run", "crun", "runc"]/' "$CONTAINERS_CONF"
		grep -q 'runtime_supports_json = \["volt-run", "crun", "runc"\]' "$CONTAINERS_CONF" ||
			say "engines: could not set runtime_supports_json in $CONTAINERS_CONF"
		for rt in "${runtimes[@]}"; do pm_ok[$rt]=1; done
	else
		fail_cmd podman-setup engine 1 "$log" podman_setup "(tests/engines/podman-setup.bash)"
	fi

	engine_tmp_setup bench-containerd
	ENG_CTRD_TMP=$ENGINE_TMP
	# containerd_setup starts the daemon in the background: not one of
	# measure.sh's jobs to kill, it is stopped by containerd_teardown.
	if containerd_setup >"$log" 2>&1; then
		for rt in "${runtimes[@]}"; do
			mkdir -p "$CTRD_DIR/root-$rt"
			ctr_ok[$rt]=1
		done
	else
		fail_cmd ctr-setup engine 1 "$log" containerd_setup "(tests/engines/containerd-setup.bash)"
	fi
	# The runtime each engine is given: volt-run by the name podman knows it
	# under (its containers.conf maps it to our copy), the others by name too.
	local -A pm_rt=([volt]=volt-run [crun]=crun [runc]=runc)

	# One warm-up per engine and runtime (image layers into the page cache,
	# volt-run's seccomp filter cache: podman adds its default profile).
	for rt in "${runtimes[@]}"; do
		if [ -n "${pm_ok[$rt]:-}" ]; then
			engines_use podman
			timed_cmd podman-setup "$rt" "" timeout 120 nsenter --net="$PODMAN_NETNS" \
				podman --runtime "${pm_rt[$rt]}" run --rm "$IMAGE" true || unset "pm_ok[$rt]"
		fi
		if [ -n "${ctr_ok[$rt]:-}" ]; then
			engines_use containerd
			timed_cmd ctr-setup "$rt" "" timeout 120 ctr --address "$CTRD_ADDR" --namespace "$CTRD_NS" \
				run --rm --runc-binary "${cmd[$rt]}" --runc-root "$CTRD_DIR/root-$rt" \
				"$IMAGE" "bench-$rt-w" true || unset "ctr_ok[$rt]"
		fi
	done

	for ((i = 1; i <= en; i++)); do
		printf '\rbench: engines, iteration %d/%d ' "$i" "$en" >&2
		for ((k = 0; k < 3; k++)); do
			rt=${runtimes[$(((i + k) % 3))]}
			if [ -n "${pm_ok[$rt]:-}" ]; then
				timed_cmd podman "$rt" wall timeout 120 nsenter --net="$PODMAN_NETNS" \
					podman --runtime "${pm_rt[$rt]}" run --rm "$IMAGE" true
			fi
			if [ -n "${ctr_ok[$rt]:-}" ]; then
				id=bench-$rt-$i
				timed_cmd ctr "$rt" wall timeout 120 ctr --address "$CTRD_ADDR" --namespace "$CTRD_NS" \
					run --rm --runc-binary "${cmd[$rt]}" --runc-root "$CTRD_DIR/root-$rt" \
					"$IMAGE" "$id" true
			fi
		done
	done
	printf '\n' >&2
	engines_status "ran"
	engines_teardown
}
