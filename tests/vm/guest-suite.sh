#!/bin/sh
# SPDX-License-Identifier: MIT
# Guest side of tests/vm/suite.sh: runs as /mnt/run.sh in the test VM, with the static
# programs conformance, differential, faults, blkdev_test and zonekit, and blkdev-guest.sh
# and zloop-interop.sh beside it.
# Every test leaves a line "RESULT <test> <device> PASS|FAIL <detail>" in
# $OUT/results.txt and its log in $OUT/<test>-<device>.log; exit status 1 if any failed.
#   ZKVM_SEED (file seed in the share): the differential script's seed
set -u
RES=$OUT/results.txt
: > "$RES"
rc=0
KERNEL=$(uname -r)
SEED=$(cat seed 2>/dev/null || echo 1)
NOPS=$(cat nops 2>/dev/null || echo 10000)
log() { echo "suite-guest: $*"; }
result() { # TEST DEVICE STATUS DETAIL...
	t=$1 d=$2 s=$3; shift 3
	echo "RESULT $t $d $s $*" >> "$RES"
	log "$t $d: $s $*"
	[ "$s" = PASS ] || rc=1
}
now() { cut -d' ' -f1 /proc/uptime; }
secs() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.0f", b - a }'; }

# ---- conformance on every real device (and a 512-byte-block null_blk, zloop, scsi_debug) ----
conformance_on() { # NAME DEV
	t0=$(now)
	conformance "$2" > "$OUT/conformance-$1.log" 2>&1
	st=$?
	sum=$(grep '^conformance .*cases:' "$OUT/conformance-$1.log" | tail -n 1 | sed 's/^conformance [^:]*: //')
	[ -n "$sum" ] || sum="(no summary: crashed? exit $st)"
	if [ $st = 0 ]; then result conformance "$1" PASS "$sum [$(secs "$t0") s]"
	else
		result conformance "$1" FAIL "$sum [$(secs "$t0") s]"
		grep -E '^FAIL|MISMATCH' "$OUT/conformance-$1.log" | head -n 20
	fi
	# requirement: concurrent appends, merged writes shown
	c=$(grep -E '^case concurrent: ' "$OUT/conformance-$1.log" | sed 's/^case concurrent: //; s/ (.*//')
	m=$(grep -E 'threads, [0-9]+ appends|queue engine' "$OUT/conformance-$1.log" |
		sed -E 's/^ *//; s/, verified byte for byte//' | tr '\n' ';' | sed 's/;$//')
	result concurrent "$1" "${c:-FAIL}" "$m"
	grep -E 'XFAIL' "$OUT/conformance-$1.log" | sed "s|^ *|suite-guest: $1: |"
}
conformance_on nullb0 /dev/nullb0
conformance_on nvme0n1 /dev/nvme0n1
dev512=$(nullb-cfs zk512 zoned=1 zone_size=16 zone_capacity=16 zone_nr_conv=0 \
	zone_max_open=0 zone_max_active=0 size=256 bs=512 memory_backed=1)
if [ -n "$dev512" ]; then
	conformance_on nullb512 "$dev512"
	nullb-cfs -d zk512
else
	result conformance nullb512 FAIL "could not make the configfs device"
fi

# ---- zloop (Linux 6.15 on; out of tree for Debian's 7.2): conformance, blkdev_test ----
# 256 MiB, 16 MiB zones of 12 MiB capacity, 2 conventional, max open 4 (zloop has no
# active limit), 4 KiB blocks (the tmpfs its zone files are on), O_DIRECT zone files.
ZLOOP="capacity_mb=256 zone_size_mb=16 zone_capacity_mb=12 conv_zones=2 max_open_zones=4"
kmajmin=$(echo "$KERNEL" | awk -F. '{ printf "%d", $1 * 1000 + $2 }')
if dev=$(zloop-dev 0 $ZLOOP 2> "$OUT/zloop-dev.log"); then
	conformance_on zloop0 "$dev"
	t0=$(now)
	blkdev_test "$dev" > "$OUT/blkdev_test-zloop0.log" 2>&1
	st=$?
	grep -E '^FAIL|merged' "$OUT/blkdev_test-zloop0.log" | sed 's/^/suite-guest: blkdev_test: /'
	result blkdev_test zloop0 "$([ $st = 0 ] && echo PASS || echo FAIL)" "[$(secs "$t0") s]"
	zloop-dev -d 0
	# layout interop: a zonekit device as /dev/zloopN ('zonekit zloop attach') and back
	t0=$(now)
	OUT=$OUT/zloop-interop sh zloop-interop.sh > "$OUT/zloop_interop-zloop.log" 2>&1
	st=$?
	grep -E 'FAIL|note:|^zloop-interop:   ' "$OUT/zloop_interop-zloop.log" | head -n 30 | sed 's/^/suite-guest: /'
	result zloop_interop zloop7 "$([ $st = 0 ] && echo PASS || echo FAIL)" \
		"$(grep -c ' ok ' "$OUT/zloop_interop-zloop.log") checks, $(tail -n 1 "$OUT/zloop_interop-zloop.log" | sed 's/^zloop-interop: //') [$(secs "$t0") s]"
elif [ "$kmajmin" -ge 6015 ]; then
	result conformance zloop0 FAIL "no zloop device on $KERNEL: $(cat "$OUT/zloop-dev.log")"
else
	log "no zloop on $KERNEL (Linux 6.15 on): zloop tests left out"
fi

# ---- a SCSI ZBC host-managed disk (scsi_debug, 512e): conformance ----
# 256 MiB, 16 MiB zones, 2 conventional, max open 4, 512-byte logical and 4 KiB
# physical blocks (scsi-zbc's defaults).
if dev=$(scsi-zbc 2> "$OUT/scsi-zbc.log"); then
	conformance_on scsi_zbc "$dev"
	scsi-zbc -d
else
	result conformance scsi_zbc FAIL "no scsi_debug ZBC disk: $(cat "$OUT/scsi-zbc.log")"
fi

# ---- differential: emulated device vs null_blk through zonekit vs raw ----
# 16 zones of 4 MiB, capacity 3 MiB, 2 conventional, max open 3, max active 5.
# A fresh device for each run on the kernel: null_blk keeps the cursor of its
# implicit closes across opens.
DIFF="zoned=1 zone_size=4 zone_capacity=3 zone_nr_conv=2 zone_max_open=3 zone_max_active=5 size=64 bs=4096 memory_backed=1"
t0=$(now)
dok=1
for run in emu zk raw; do
	dev=$(nullb-cfs zkdiff $DIFF) || { dok=0; break; }
	case $run in
	emu) differential run emu /tmp/zkdiff-emu -l "$dev" -s "$SEED" -n "$NOPS" \
		-o "$OUT/differential-emu.txt" ;;
	*) differential run $run "$dev" -s "$SEED" -n "$NOPS" -o "$OUT/differential-$run.txt" ;;
	esac > "$OUT/differential-run-$run.log" 2>&1 || dok=0
	cat "$OUT/differential-run-$run.log"
	nullb-cfs -d zkdiff
done
rm -rf /tmp/zkdiff-emu
if [ $dok = 1 ]; then
	differential compare "$OUT/differential-emu.txt" "$OUT/differential-zk.txt" \
		"$OUT/differential-raw.txt" > "$OUT/differential.log" 2>&1
	st=$?
else
	st=1
	echo "a differential run failed" >> "$OUT/differential.log"
fi
grep -E -A5 'DIFFERENCE|VIEW' "$OUT/differential.log" | head -n 60
d=$(grep -E '^  (emulated device vs kernel|zonekit on the kernel vs kernel|zonekit.s view vs BLKREPORTZONE)' \
	"$OUT/differential.log" | sed -E 's/^ *//' | tr '\n' ';' | sed 's/;$//')
result differential "zkdiff(seed=$SEED,ops=$NOPS)" "$([ $st = 0 ] && echo PASS || echo FAIL)" \
	"$d [$(secs "$t0") s]"

# ---- faults: failed writes on a null_blk with bad blocks (configfs badblocks) ----
# 16 zones of 4 MiB, 1 conventional, no open/active limits, every command completed
# after 1 ms (by a timer: irqmode=2) so that appends queue behind a failing write; faults
# sets and clears the bad blocks itself while the device is powered.
FAULTS="zoned=1 zone_size=4 zone_capacity=4 zone_nr_conv=1 zone_max_open=0 zone_max_active=0 size=64 bs=4096 memory_backed=1 irqmode=2 completion_nsec=1000000"
t0=$(now)
if dev=$(nullb-cfs zkfault $FAULTS); then
	faults zkfault "$dev" > "$OUT/faults-zkfault.log" 2>&1
	st=$?
	nullb-cfs -d zkfault
	sum=$(grep '^faults .*cases:' "$OUT/faults-zkfault.log" | tail -n 1 | sed 's/^faults [^:]*: //')
	[ -n "$sum" ] || sum="(no summary: crashed? exit $st)"
	grep -E '^FAIL' "$OUT/faults-zkfault.log" | head -n 20
	result faults zkfault "$([ $st = 0 ] && echo PASS || echo FAIL)" "$sum [$(secs "$t0") s]"
else
	result faults zkfault FAIL "could not make the configfs device"
fi

# ---- blkdev_test (tests/vm/blkdev): nullb0, nvme0n1, read-only/offline zones, not zoned ----
t0=$(now)
sh ./blkdev-guest.sh > "$OUT/blkdev_test.log" 2>&1
st=$?
grep -E 'PASS$|^FAIL|XFAIL|XPASS|merged' "$OUT/blkdev_test.log" | sed 's/^/suite-guest: blkdev_test: /'
result blkdev_test "nullb0,nvme0n1,zkcond,zkplain" "$([ $st = 0 ] && echo PASS || echo FAIL)" \
	"$(grep -c 'PASS$' "$OUT/blkdev_test.log") devices passed [$(secs "$t0") s]"

log "kernel $KERNEL: done"
exit $rc
