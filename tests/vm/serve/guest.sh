#!/bin/sh
# SPDX-License-Identifier: MIT
# Guest side of tests/vm/serve/serve.sh: runs as /mnt/run.sh in the test VM with
# a static zonekit and the t_*.sh tests beside it.  Each test runs under a
# timeout of its own (a hang fails the test, not the VM) and leaves a line
# "RESULT serve-NAME KERNEL PASS|FAIL|SKIP detail" in $OUT/results.txt.
set -u
RES=$OUT/results.txt
: > "$RES"
K=$(uname -r)
rc=0
export PATH=/mnt:/mnt/bin:$PATH LD_LIBRARY_PATH=/mnt/lib
now() { cut -d' ' -f1 /proc/uptime; }
secs() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.0f", b - a }'; }
result() { echo "RESULT serve-$1 $K $2 $3" >> "$RES"; echo "serve-guest: $1: $2 $3"; }

# the kernel loads modules on its own (btrfs's crc32c) with /sbin/modprobe,
# which busybox installs in /bin here
[ -x /sbin/modprobe ] || echo /bin/modprobe > /proc/sys/kernel/modprobe
# bash's process substitution (fio's t/zbd) needs /dev/fd
[ -e /dev/fd ] || ln -s /proc/self/fd /dev/fd
if ! modprobe ublk_drv 2>/dev/null; then
	# Debian's 6.1 has no ublk driver at all
	result all SKIP "this kernel has no ublk driver (modprobe ublk_drv failed)"
	exit 0
fi
# a kernel without zoned ublk (Linux < 6.6) skips every test, saying so
zonekit create /tmp/probe --capacity 64M --zone-size 16M > /dev/null
if ! zonekit serve /tmp/probe --id 63 > /tmp/probe.out 2>&1; then
	result all SKIP "$(tail -n 2 /tmp/probe.out | tr '\n' ' ')"
	exit 0
fi
zonekit stop 63 > /dev/null || { result setup FAIL "zonekit stop 63 failed"; exit 1; }
rm -rf /tmp/probe

# a test's time limit (serve.sh writes it for long runs such as fio's whole suite)
SERVE_TIMEOUT=$(cat timeout 2>/dev/null || echo 600)
SERVE_TESTS=$(cat tests 2>/dev/null || echo report data append crash f2fs fio)
for t in $SERVE_TESTS; do
	[ -f "t_$t.sh" ] || continue
	t0=$(now)
	timeout -s KILL "$SERVE_TIMEOUT" sh "t_$t.sh" > "$OUT/serve-$t.log" 2>&1
	st=$?
	sed "s/^/  /" "$OUT/serve-$t.log" | grep -v '^  +' | tail -n 25
	detail=$(grep -E "^$t: " "$OUT/serve-$t.log" | grep -v ': PASS$' | tail -n 1 | sed "s/^$t: //")
	case $st in
	0) result "$t" PASS "[$(secs "$t0") s] $detail" ;;
	137) result "$t" FAIL "[$(secs "$t0") s] hung: killed after $SERVE_TIMEOUT s"; rc=1 ;;
	*) result "$t" FAIL "[$(secs "$t0") s] $detail"; rc=1 ;;
	esac
	# a failed test may leave a server and its users behind: the next one
	# starts clean (the tools first, so that the servers can stop)
	if [ $st != 0 ]; then
		for e in /proc/[0-9]*/exe; do
			case $(readlink "$e" 2>/dev/null) in /mnt/bin/*) p=${e#/proc/}; kill -9 "${p%/exe}" ;; esac
		done
		umount /tmp/serve-work/* 2>/dev/null
	fi
	for c in /dev/ublkc*; do
		[ -e "$c" ] && zonekit stop "${c#/dev/ublkc}" > /dev/null 2>&1
	done
done
# nothing of the tests may outlive them: a server left running is a failure
left=$(for e in /proc/[0-9]*/exe; do
	case $(readlink "$e" 2>/dev/null) in /mnt/*) p=${e#/proc/}; echo "${p%/exe}" ;; esac
done | grep -v "^$$\$")
if [ -n "$left" ]; then
	result leftovers FAIL "processes still running from /mnt: $(for p in $left; do tr '\0' ' ' < /proc/$p/cmdline; echo; done)"
	rc=1
fi
exit $rc
