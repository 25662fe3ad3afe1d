#!/bin/sh
# lifecycle.sh VOLT_STARDUST BUNDLE ID TMPDIR: the OCI lifecycle of one
# microVM with exec, on a real /dev/kvm (in L1, or on a host with VMX/SVM):
# create, start, state, exec (output, exit status, stdin), kill TERM to the
# process in the guest (its trap prints got-term), delete. Prints one line
#   STARDUST-E2E: lifecycle create=0 start=0 state=running exec_out=... ...
# that run-e2e.sh checks. POSIX sh: it runs under busybox in L1.
# Environment: STARDUST_LC_TIMEOUT per command (default 120 s).
V=$1 B=$2 ID=$3 T=$4
lim=${STARDUST_LC_TIMEOUT:-120}
t() { timeout -s KILL "$lim" "$@"; }
field() { sed -n "s/.*\"$1\": *\"\\([a-z]*\\)\".*/\\1/p" | head -n 1; }

t $V create -b "$B" "$ID" </dev/null >"$T/lc.out" 2>"$T/lc.err"
c=$?
t $V start "$ID" 2>>"$T/lc.err"
s=$?
st=$(t $V state "$ID" | field status)
eo=$(t $V exec "$ID" sh -c 'echo exec-in-microvm; exit 5' </dev/null 2>>"$T/lc.err")
erc=$?
ei=$(echo piped | t $V exec "$ID" cat 2>>"$T/lc.err")
t $V kill "$ID" TERM 2>>"$T/lc.err"
n=0
while [ "$(t $V state "$ID" | field status)" != stopped ] && [ $n -lt 600 ]; do
	sleep 0.1
	n=$((n + 1))
done
stopped=$(t $V state "$ID" | field status)
t $V delete "$ID" 2>>"$T/lc.err"
d=$?
grep -q got-term "$T/lc.out" && term=yes || term=no
sed 's/^/STARDUST-E2E: lifecycle stderr: /' "$T/lc.err" | head -n 20
echo "STARDUST-E2E: lifecycle create=$c start=$s state=$st exec_out=$eo exec_rc=$erc exec_stdin=$ei term=$term after_kill=$stopped delete=$d"
