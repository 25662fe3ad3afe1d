#!/usr/bin/env bats
# A "cgroup" mount in config.json (podman adds one at /sys/fs/cgroup).

load helpers

setup() {
	setup_volt
}

teardown() {
	teardown_volt
}

@test "cgroup mount without a cgroup namespace shows the container's own cgroups, read-only" {
	cfg '.linux.namespaces |= map(select(.type != "cgroup"))'
	cfg '.mounts += [{"destination": "/sys/fs/cgroup", "type": "cgroup", "source": "cgroup", "options": ["nosuid", "noexec", "nodev", "relatime", "ro"]}]'
	cfg '.linux.resources = {"pids": {"limit": 77}}'
	cfg_args /bin/sh -c 'ls /sys/fs/cgroup; cat /sys/fs/cgroup/pids/pids.max; /bin/volt-probe write /sys/fs/cgroup/pids/pids.max'
	run volt run --bundle "$BUNDLE" "$ID"
	echo "$output"
	[ "$status" -eq 1 ]
	[[ "$output" == *memory* ]]
	[[ "$output" == *pids* ]]
	[[ "$output" == *$'\n77\n'* ]]
	[[ "$output" == *EROFS* ]]
}

@test "cgroup mount with a cgroup namespace mounts the hierarchies" {
	cfg '.mounts += [{"destination": "/sys/fs/cgroup", "type": "cgroup", "source": "cgroup", "options": ["nosuid", "noexec", "nodev", "relatime"]}]'
	cfg '.linux.resources = {"pids": {"limit": 55}}'
	cfg_args /bin/sh -c 'cat /sys/fs/cgroup/pids/pids.max'
	run volt run --bundle "$BUNDLE" "$ID"
	[ "$status" -eq 0 ]
	[ "$output" = 55 ]
}

@test "linux.devices listing /dev/ptmx (podman --privileged) keeps the devpts link" {
	cfg '.linux.devices = [{"path": "/dev/ptmx", "type": "c", "major": 5, "minor": 2, "fileMode": 8630}]'
	cfg_args /bin/sh -c 'readlink /dev/ptmx'
	run volt run --bundle "$BUNDLE" "$ID"
	[ "$status" -eq 0 ]
	[ "$output" = pts/ptmx ]
}
