#!/bin/bash
# stardust-engine-vmm.sh: the monitor the engine tests give volt-stardust
# (VOLT_STARDUST_VMM). It runs tests/stardust-shim/fake-vmm.sh, which runs the
# real stardust-init on the host, but first gives that "guest" what a real
# guest has and the host does not:
#
# - Its own cgroup tree. A real guest mounts a fresh cgroup2 and creates the
#   config's linux.cgroupsPath there; on the host that path is the very cgroup
#   the relay (the container's pid) is in, and libvolt refuses a cgroup in
#   use. So: a new cgroup namespace rooted at the relay's cgroups, and every
#   cgroup hierarchy mounted again inside a private mount namespace, so the
#   guest's cgroupsPath is created below the container's cgroup (and goes
#   with it on delete).
# - With STARDUST_FAKE_ALLOW_DEVICES=1, access to the loop devices it mounts
#   the image with (block 7:*, /dev/loop-control), added to the container's
#   cgroup v1 device allow-list that volt-stardust applied to the relay and so
#   to the monitor. The real monitor needs /dev/kvm (char 10:232) there just
#   the same; without the variable the tests see what it would.
#
# Arguments: stardust-vmm's, passed through. STARDUST_INIT as for fake-vmm.sh.
# STARDUST_VMM_LOG=FILE: this monitor's stderr (and stardust-init's) goes
# there instead of to the relay's (the container's) stderr, where an engine
# that failed create never shows it.
set -u
if [ -n "${STARDUST_VMM_LOG:-}" ]; then
	exec 2>>"$STARDUST_VMM_LOG"
	echo "== $(date +%T.%N | cut -c1-12) [$$] $*" >&2
fi
here=$(cd "$(dirname "$0")" && pwd)
fake=${STARDUST_FAKE_VMM_REAL:-$here/../stardust-shim/fake-vmm.sh}

if [ "${STARDUST_FAKE_ALLOW_DEVICES:-0}" = 1 ]; then
	dev_cg=$(awk -F: '$2 ~ /(^|,)devices(,|$)/ { print $3 }' /proc/self/cgroup)
	dev_mp=$(awk '{ for (i = 7; $i != "-"; i++); }
		$(i + 1) == "cgroup" && $(i + 3) ~ /(^|,)devices(,|$)/ { print $5; exit }' /proc/self/mountinfo)
	if [ -n "$dev_cg" ] && [ -n "$dev_mp" ] && [ -w "$dev_mp$dev_cg/devices.allow" ]; then
		for rule in 'b 7:* rwm' 'c 10:237 rwm'; do
			echo "$rule" >"$dev_mp$dev_cg/devices.allow" ||
				echo "stardust-engine-vmm: cannot allow '$rule' in $dev_mp$dev_cg" >&2
		done
	fi
fi

# Say so when the loop devices are out of reach (as /dev/kvm would be for
# the real monitor): fake-vmm.sh's mount only says it could not set one up.
if ! { : <>/dev/loop-control; } 2>/dev/null; then
	echo "stardust-engine-vmm: cannot open /dev/loop-control (char 10:237):" \
		"denied by devices cgroup $(awk -F: '$2 ~ /(^|,)devices(,|$)/ { print $3 }' /proc/self/cgroup)?" >&2
fi

# fd 3 and 4 (the console) pass through unshare and bash to fake-vmm.sh.
# shellcheck disable=SC2016
exec unshare --cgroup --mount --propagation private bash -c '
	fake=$1
	shift
	# Mount point and super options of each cgroup hierarchy; nsdelegate
	# can only be set from the initial cgroup namespace. (Read in full
	# first: the mounts below would show up in the list.)
	list=$(awk '\''{ for (i = 7; $i != "-"; i++); t = $(i + 1); o = $(i + 3) }
		(t == "cgroup" || t == "cgroup2") && ($5 == "/sys/fs/cgroup" || index($5, "/sys/fs/cgroup/") == 1) {
			gsub(/(^|,)nsdelegate/, "", o); print t, $5, o }'\'' \
		/proc/self/mountinfo)
	# A fresh /sys/fs/cgroup: the kernel refuses to mount a file system on
	# top of a mount of itself.
	mount -t tmpfs -o mode=0755 guest-cgroup /sys/fs/cgroup || exit 1
	while read -r type mp opts; do
		[ -n "$type" ] || continue
		mkdir -p "$mp" && mount -t "$type" -o "$opts" "guest-$type" "$mp" ||
			{ echo "stardust-engine-vmm: cannot mount $type $opts on $mp" >&2; exit 1; }
	done <<<"$list"
	exec "$fake" "$@"' stardust-engine-vmm "$fake" "$@"
