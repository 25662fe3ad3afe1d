#!/usr/bin/env bats
# The CLI contract in its smallest form: version, exit codes of `run`, and the
# error for an unknown container.

load helpers

setup() {
	setup_volt
}

teardown() {
	teardown_volt
}

@test "volt-run --version prints a version" {
	run "$VOLT_RUN" --version
	[ "$status" -eq 0 ]
	[[ "$output" =~ [0-9]+\.[0-9]+\.[0-9]+ ]]
}

@test "run of /bin/true exits 0" {
	cfg_args /bin/true
	run volt run --bundle "$BUNDLE" "$ID"
	[ "$status" -eq 0 ]
}

@test "run of sh -c 'exit 3' exits 3" {
	cfg_args /bin/sh -c 'exit 3'
	run volt run --bundle "$BUNDLE" "$ID"
	[ "$status" -eq 3 ]
}

@test "state of a missing container exits 1 with 'does not exist'" {
	run volt state "missing-$ID"
	[ "$status" -eq 1 ]
	[[ "$output" == *"does not exist"* ]]
}

@test "the probe runs inside the container and sees its hostname" {
	run probe hostname
	[ "$status" -eq 0 ]
	[ "$output" = volt ]
}
