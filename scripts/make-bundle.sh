#!/bin/bash
# make-bundle.sh DIR: build the OCI bundle the tests and the demo use, from
# Debian's busybox-static plus the static volt-probe helper.
#
#   DIR/config.json   base config; tests copy it and patch it with jq
#   DIR/rootfs/       busybox, relative applet symlinks, /etc files, volt-probe
#
# The probe is taken from $VOLT_PROBE, or else from next to DIR
# (build/bundle -> build/volt-probe, as the Makefile lays it out).
# Idempotent: nothing is rebuilt when busybox, the probe and this script are
# unchanged since the last build. A rebuild is made aside and swapped in.
set -euo pipefail

if [ $# -ne 1 ]; then
	echo "usage: $0 DIR" >&2
	exit 2
fi
dir=${1%/}
busybox=/bin/busybox
probe=${VOLT_PROBE:-$(dirname "$dir")/volt-probe}

for f in "$busybox" "$probe"; do
	if [ ! -x "$f" ]; then
		echo "make-bundle: $f not found (busybox-static installed? 'make $(dirname "$dir")/volt-probe' run?)" >&2
		exit 1
	fi
done
if ! file_type=$(LC_ALL=C od -An -c -N4 "$probe" | tr -d ' ') || [ "$file_type" != '177ELF' ]; then
	echo "make-bundle: $probe is not an ELF binary" >&2
	exit 1
fi

stamp="$(stat -c '%n %Y %s' "$0" "$busybox" "$probe")"
if [ -f "$dir/.stamp" ] && [ "$(cat "$dir/.stamp")" = "$stamp" ] &&
	[ -f "$dir/config.json" ] && [ -x "$dir/rootfs/bin/volt-probe" ]; then
	exit 0
fi

new="$dir.new.$$"
trap 'rm -rf --one-file-system "$new"' EXIT
rm -rf --one-file-system "$new"
rootfs="$new/rootfs"
mkdir -p "$rootfs"/{bin,sbin,usr/bin,usr/sbin,etc,proc,sys,dev,root,var,run,tmp}
chmod 1777 "$rootfs/tmp"
chmod 0700 "$rootfs/root"

install -m 0755 "$busybox" "$rootfs/bin/busybox"
install -m 0755 "$probe" "$rootfs/bin/volt-probe"

# One relative symlink per applet, in the directory busybox itself lists it
# in (bin/sh, usr/bin/env, sbin/ifconfig, ...), so links resolve in any root.
while IFS= read -r applet; do
	case "$applet" in
	*/*) ;;
	*) continue ;; # top-level entries such as linuxrc
	esac
	sub=${applet%/*}
	if [ "$sub" = bin ]; then
		target=busybox
	else
		up=${sub//[^\/]/}               # one "/" per extra path component
		target="../${up//\//../}bin/busybox" # sbin -> ../bin/busybox, usr/bin -> ../../bin/busybox
	fi
	[ -e "$rootfs/$applet" ] || [ -L "$rootfs/$applet" ] || ln -s "$target" "$rootfs/$applet"
done < <("$busybox" --list-full)
for must in bin/sh bin/true; do
	if [ ! -L "$rootfs/$must" ]; then
		echo "make-bundle: busybox has no ${must#bin/} applet" >&2
		exit 1
	fi
done

cat >"$rootfs/etc/passwd" <<'PASSWD'
root:x:0:0:root:/root:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
PASSWD
cat >"$rootfs/etc/group" <<'GROUP'
root:x:0:
tty:x:5:
nogroup:x:65534:
GROUP
echo volt >"$rootfs/etc/hostname"
cat >"$rootfs/etc/hosts" <<'HOSTS'
127.0.0.1	localhost volt
::1	localhost ip6-localhost ip6-loopback
HOSTS

# Base config, modelled on `runc spec`: tests copy and patch it with jq.
cat >"$new/config.json" <<'CONFIG'
{
	"ociVersion": "1.2.0",
	"process": {
		"terminal": false,
		"user": { "uid": 0, "gid": 0 },
		"args": [ "/bin/true" ],
		"env": [
			"PATH=/usr/sbin:/usr/bin:/sbin:/bin",
			"TERM=xterm"
		],
		"cwd": "/",
		"capabilities": {
			"bounding": [ "CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE" ],
			"effective": [ "CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE" ],
			"permitted": [ "CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE" ]
		},
		"rlimits": [
			{ "type": "RLIMIT_NOFILE", "hard": 1024, "soft": 1024 }
		],
		"noNewPrivileges": true
	},
	"root": { "path": "rootfs", "readonly": false },
	"hostname": "volt",
	"mounts": [
		{ "destination": "/proc", "type": "proc", "source": "proc" },
		{
			"destination": "/dev", "type": "tmpfs", "source": "tmpfs",
			"options": [ "nosuid", "strictatime", "mode=755", "size=65536k" ]
		},
		{
			"destination": "/dev/pts", "type": "devpts", "source": "devpts",
			"options": [ "nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5" ]
		},
		{
			"destination": "/dev/shm", "type": "tmpfs", "source": "shm",
			"options": [ "nosuid", "noexec", "nodev", "mode=1777", "size=65536k" ]
		},
		{
			"destination": "/dev/mqueue", "type": "mqueue", "source": "mqueue",
			"options": [ "nosuid", "noexec", "nodev" ]
		},
		{
			"destination": "/sys", "type": "sysfs", "source": "sysfs",
			"options": [ "nosuid", "noexec", "nodev", "ro" ]
		}
	],
	"linux": {
		"namespaces": [
			{ "type": "pid" },
			{ "type": "network" },
			{ "type": "ipc" },
			{ "type": "uts" },
			{ "type": "mount" },
			{ "type": "cgroup" }
		],
		"maskedPaths": [
			"/proc/acpi",
			"/proc/asound",
			"/proc/kcore",
			"/proc/keys",
			"/proc/latency_stats",
			"/proc/timer_list",
			"/proc/timer_stats",
			"/proc/sched_debug",
			"/proc/scsi",
			"/sys/firmware",
			"/sys/devices/virtual/powercap"
		],
		"readonlyPaths": [
			"/proc/bus",
			"/proc/fs",
			"/proc/irq",
			"/proc/sys",
			"/proc/sysrq-trigger"
		]
	}
}
CONFIG
if command -v jq >/dev/null; then
	jq -e . "$new/config.json" >/dev/null
fi

printf '%s\n' "$stamp" >"$new/.stamp"
rm -rf --one-file-system "$dir"
mv "$new" "$dir"
trap - EXIT
echo "make-bundle: $dir ready ($(find "$dir/rootfs" -type l | wc -l) applet links)"
