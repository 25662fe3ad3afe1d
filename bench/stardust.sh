#!/bin/bash
# bench/stardust.sh [N] [BUILD]: Stardust's monitor against qemu microvm
# (issue 5, point 6). Run by hand, not from `make bench`: it boots an L1
# under qemu TCG and takes a few minutes.
#
# Where: inside L1 of the e2e harness (tests/stardust/), since this host's
# /dev/kvm cannot run a guest kernel. L1 loads kvm_amd and then, N times
# (default 5), interleaved (the order alternates every round), boots the e2e
# L2 vmlinux + initramfs (its /init writes "STARDUST-L2: hello" to /dev/kmsg
# at KERN_CRIT, shown on the serial console, then powers off) with
#   stardust-vmm  the e2e's vmm-args (--mem 256 --vcpus 1 --serial)
#   qemu microvm  -accel kvm -cpu host -M microvm -m 256 -smp 1 -serial stdio
# each under build/bench/sd-boottime (bench/sd-boottime.c, static), which
# measures in L1:
#   init_ms   monitor spawn -> the marker line on the monitor's stdout
#             (kernel load, monitor setup and guest boot to its init)
#   wall_ms   monitor spawn -> monitor exit (the guest's power-off)
#   maxrss    wait4 ru_maxrss of the monitor, guest RAM it touched included
#   extra     overhead: the monitor's Rss minus the Rss of its guest RAM
#             mapping (mappings >= guest size in /proc/PID/smaps) and of
#             read-only file mappings of the kernel/initramfs being loaded
#             (page cache), the largest of samples every 50 ms and one at
#             the marker
#   at_init   the same at the marker (guest running its init)
#   l2_ts     the marker's printk timestamp in L2 (L2 kernel clock)
# Prints the per-run table, medians and the stardust/qemu ratios, and writes
# BUILD/bench/stardust/results.txt. Targets: init_ms below qemu's (ratio < 1)
# and extra < 5 MiB. Absolute times are TCG-nested and only the ratios mean
# anything; on a host with VMX/SVM the numbers would be ~50x smaller.
# Environment: STARDUST_BENCH_TIMEOUT (whole L1 boot, default 900 s),
# STARDUST_E2E_MEM, STARDUST_E2E_CPU as in run-e2e.sh.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"
n=${1:-5}
build=${2:-build}
case $n in '' | *[!0-9]*) echo "stardust-bench: N must be a number" >&2; exit 2 ;; esac
die() { echo "stardust-bench: $*" >&2; exit 1; }
say() { echo "stardust-bench: $*"; }

[ -x "$build/stardust-vmm" ] || die "$build/stardust-vmm is not built (make)"
command -v qemu-system-x86_64 >/dev/null || die "qemu-system-x86_64 not installed (scripts/stardust-e2e-deps.sh)"
cc=${CC:-cc}

# A build directory of its own, so the e2e test's cached L1 image is left
# alone: only the monitor, no smoke test and no bundle.
wb="$build/bench/stardust"
mkdir -p "$wb/stardust-e2e" "$wb/overlay/bin" "$wb/overlay/etc/sd-bench"
ln -sf "$(readlink -f "$build/stardust-vmm")" "$wb/stardust-vmm"
# The extracted vmlinux is the slow artefact; its stamp says if it is fresh.
if [ -s "$build/stardust-e2e/vmlinux" ] && [ ! -s "$wb/stardust-e2e/vmlinux" ]; then
	cp "$build/stardust-e2e/vmlinux" "$build/stardust-e2e/vmlinux.stamp" "$wb/stardust-e2e/" 2>/dev/null || true
fi
$cc -std=c17 -O2 -Wall -Wextra -Werror -D_GNU_SOURCE -static -o "$wb/overlay/bin/sd-boottime" bench/sd-boottime.c ||
	die "building bench/sd-boottime.c statically failed (needs libc6-dev's static libc)"
echo "$n" >"$wb/overlay/etc/sd-bench/n"
# shellcheck disable=SC2016 # expanded by L1's shell
cat >"$wb/overlay/init" <<'INIT'
#!/bin/sh
export PATH=/bin:/sbin:/usr/bin
# pivot_root(2) (the jailed monitor) needs a real root, not rootfs.
if [ ! -e /.tmpfs-root ]; then
	mkdir -p /newroot
	mount -t tmpfs -o mode=755 root /newroot
	for f in /*; do [ "$f" = /newroot ] || cp -a "$f" /newroot/; done
	: >/newroot/.tmpfs-root
	exec switch_root /newroot /init
fi
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
mkdir -p /tmp && mount -t tmpfs tmp /tmp
while read -r ko args; do
	[ -n "$ko" ] && insmod "/lib/modules/$ko" $args
done </etc/stardust-e2e/modules
[ -c /dev/kvm ] || { echo "SD-BENCH: no /dev/kvm"; poweroff -f; }
cmdline=$(cat /etc/stardust-e2e/l2-cmdline)
argv() { # the e2e's argument file, @CMDLINE@ as one argument
	set -- $(cat "$1")
	for a in "$@"; do [ "$a" = @CMDLINE@ ] && printf '%s\n' "$cmdline" || printf '%s\n' "$a"; done
}
argv /etc/stardust-e2e/vmm-args >/tmp/vmm.argv
argv /etc/stardust-e2e/qemu-args >/tmp/qemu.argv
one() { # one NAME ROUND BIN ARGFILE
	IFS='
'
	set -- "$1" "$2" "$3" $(cat "$4")
	unset IFS
	name=$1 i=$2
	shift 2
	r=$(timeout -s KILL 120 /bin/sd-boottime 262144 /stardust/ "STARDUST-L2: hello" /tmp/$name.$i.log "$@")
	ts=$(sed -n "s/^\[ *\([0-9.]*\)\] STARDUST-L2.*/\1/p" /tmp/$name.$i.log | head -n 1)
	echo "SD-BENCH: run $name $i $r ${ts:--}"
	[ -n "$r" ] || tail -n 5 /tmp/$name.$i.log
}
n=$(cat /etc/sd-bench/n)
echo "SD-BENCH: start n=$n kernel=$(uname -r)"
i=1
while [ "$i" -le "$n" ]; do
	if [ $((i % 2)) = 1 ]; then
		one stardust $i /bin/stardust-vmm /tmp/vmm.argv
		one qemu $i /usr/bin/qemu-system-x86_64 /tmp/qemu.argv
	else
		one qemu $i /usr/bin/qemu-system-x86_64 /tmp/qemu.argv
		one stardust $i /bin/stardust-vmm /tmp/vmm.argv
	fi
	i=$((i + 1))
done
echo "SD-BENCH: done"
poweroff -f
INIT
chmod 755 "$wb/overlay/init"

say "building the L1 image in $wb/stardust-e2e"
STARDUST_E2E_L2_QEMU=1 STARDUST_E2E_OVERLAY="$repo/$wb/overlay" \
	./tests/stardust/build-initramfs.sh "$wb" 2>"$wb/build.err" || { cat "$wb/build.err" >&2; die "build-initramfs.sh failed"; }

out="$wb/stardust-e2e"
log="$wb/l1.log"
mhz=$(dmesg 2>/dev/null | sed -n 's/.*tsc: Refined TSC clocksource calibration: \([0-9.]*\) MHz.*/\1/p' | tail -n 1)
[ -n "$mhz" ] || mhz=$(awk -F': *' '/^cpu MHz/ { print $2; exit }' /proc/cpuinfo)
khz=$(awk -v m="${mhz:-0}" 'BEGIN { printf "%d", m * 1000 }')
append="console=ttyS0 quiet panic=-1 mitigations=off"
[ "$khz" -gt 0 ] && append+=" tsc_early_khz=$khz"
say "booting L1 (qemu TCG ${STARDUST_E2E_CPU:-qemu64,+svm,+npt}), $n rounds; log $log"
: >"$log"
timeout -s KILL "${STARDUST_BENCH_TIMEOUT:-900}" qemu-system-x86_64 -accel tcg -cpu "${STARDUST_E2E_CPU:-qemu64,+svm,+npt}" \
	-M microvm -m "${STARDUST_E2E_MEM:-1024}" -smp 1 -nodefaults -no-user-config -display none -no-reboot \
	-serial "file:$log" -kernel "$out/vmlinux" -initrd "$out/l1-initramfs.cpio" -append "$append" \
	</dev/null >"$wb/qemu.err" 2>&1 || say "qemu exited with $?"
grep -qa 'SD-BENCH: done' "$log" || { tail -n 30 "$log"; die "L1 did not finish the bench (see $log)"; }

# SD-BENCH: run NAME ROUND MARKER_NS WALL_NS MAXRSS_KB EXTRA_KB AT_MARKER_KB EXIT L2_TS
grep -a '^SD-BENCH: run ' "$log" | tr -d '\r' | awk '
function median(a, k,   i, j, t) {
	for (i = 1; i <= k; i++) for (j = i + 1; j <= k; j++) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
	return k % 2 ? a[(k + 1) / 2] : (a[k / 2] + a[k / 2 + 1]) / 2
}
{
	name = $3; k = ++cnt[name]
	v[name, 1, k] = $5 / 1e6; v[name, 2, k] = $6 / 1e6; v[name, 3, k] = $7 / 1024; v[name, 4, k] = $8 / 1024
	v[name, 5, k] = $9 / 1024; v[name, 6, k] = $11; bad[name] += ($5 < 0 || $10 != 0)
	printf "%-9s %2d  init %7.1f ms  wall %7.1f ms  maxrss %6.1f MiB  extra %5.2f MiB  at_init %5.2f MiB  exit %s  L2 printk %s s\n",
		name, $4, v[name, 1, k], v[name, 2, k], v[name, 3, k], v[name, 4, k], v[name, 5, k], $10, $11
}
END {
	print ""
	printf "%-9s %4s %10s %10s %11s %10s %12s %10s\n", "median", "runs", "init ms", "wall ms", "maxrss MiB", "extra MiB", "at_init MiB", "L2 printk"
	split("stardust qemu", names, " ")
	for (x = 1; x <= 2; x++) {
		nm = names[x]; k = cnt[nm]
		if (!k) continue
		for (c = 1; c <= 6; c++) {
			for (i = 1; i <= k; i++) a[i] = v[nm, c, i]
			m[nm, c] = median(a, k)
		}
		printf "%-9s %4d %10.1f %10.1f %11.1f %10.2f %12.2f %10.3f%s\n", nm, k, m[nm, 1], m[nm, 2], m[nm, 3], m[nm, 4], m[nm, 5], m[nm, 6], bad[nm] ? "  (" bad[nm] " failed runs)" : ""
	}
	if (cnt["stardust"] && cnt["qemu"]) {
		printf "%-9s %4s", "ratio", "s/q"
		w[1] = 10; w[2] = 10; w[3] = 11; w[4] = 10; w[5] = 12; w[6] = 10
		for (c = 1; c <= 6; c++) printf " %*.2f", w[c], m["qemu", c] ? m["stardust", c] / m["qemu", c] : 0
		print ""
	}
	print ""
	printf "target: stardust faster to guest init than qemu microvm (init ratio < 1): %s\n", (cnt["qemu"] && m["stardust", 1] > 0 && m["stardust", 1] < m["qemu", 1]) ? "met" : "NOT met"
	printf "target: monitor overhead (extra: Rss minus guest RAM and boot images) < 5 MiB: %s (%.2f MiB)\n", (m["stardust", 4] < 5) ? "met" : "NOT met", m["stardust", 4]
}' | tee "$wb/results.txt"
