# SPDX-License-Identifier: MIT
# Data moves both ways: written by zonekit, read through /dev/ublkbN; written
# through /dev/ublkbN (O_DIRECT at the wp, in a conventional zone anywhere),
# read by zonekit.  The device's errors reach the writer: EIO off the wp or
# past the capacity, ETOOMANYREFS and EOVERFLOW past the open/active limits.
T=data
. ./lib.sh
D=$W/data-dev
Z=$((16 * 1024 * 1024)) # zone size in bytes
rm -rf "$D"
run zonekit create "$D" --capacity 256M --zone-size 16M --zone-capacity 12M --conv 2 \
	--max-open 4 --max-active 6
dd if=/dev/urandom of=$W/src bs=1M count=4 2>/dev/null
piece() { dd if=$W/src bs=4096 skip=$1 count=$2 2>/dev/null; } # SKIP_4K COUNT_4K
# zonekit -> kernel
piece 0 16 > $W/a; piece 16 2 > $W/b
run zonekit write "$D" $((4 * Z)) --file $W/a > /dev/null
run zonekit write "$D" $((Z + 12288)) --file $W/b > /dev/null
serve "$D"
rd() { dd if="$B" bs=4096 skip=$(($1 / 4096)) count=$2 iflag=direct 2>/dev/null; }
rd $((4 * Z)) 16 | cmp -s - $W/a || fail "zone 4 read through $B differs from what zonekit wrote"
rd $((Z + 12288)) 2 | cmp -s - $W/b || fail "conventional zone 1 read through $B differs"
log "written by zonekit, read through $B: 64 KiB of sequential zone 4, 8 KiB in conventional zone 1"

# kernel -> zonekit
wr() { # FILE OFFSET_BYTES
	dd if=$1 of="$B" bs=4096 seek=$(($2 / 4096)) oflag=direct conv=notrunc 2>$W/dd.err
}
piece 20 24 > $W/c; piece 44 4 > $W/d; piece 48 1 > $W/e
run wr $W/c $((5 * Z))                 # 96 KiB at the wp of empty zone 5
run wr $W/d $((7 * 1024 * 1024 + 4096)) # 16 KiB inside conventional zone 0
run wr $W/e $((4 * Z + 65536))         # 4 KiB at zone 4's wp, after zonekit's data
# errors
wr $W/e $((6 * Z + 4096)) && fail "a write off zone 6's wp succeeded"
grep -q 'Input/output error' $W/dd.err || fail "write off the wp: $(cat $W/dd.err), not EIO"
dd if=/dev/zero of="$B" bs=1M seek=$((3 * 16)) count=12 oflag=direct 2>/dev/null ||
	fail "filling zone 3 to its capacity"
wr $W/e $((3 * Z + 12 * 1024 * 1024)) && fail "a write past zone 3's capacity succeeded"
grep -q 'Input/output error' $W/dd.err || fail "write past the capacity: $(cat $W/dd.err), not EIO"
log "off the wp and past the capacity: EIO"
# zones 4 and 5 are open: finish them (their data stays), so that no zone is
# active, then open 8..11 explicitly
run blkzone finish -o $((4 * Z / 512)) -c 2 "$B"
for z in 8 9 10 11; do run blkzone open -o $((z * Z / 512)) -c 1 "$B"; done
blkzone open -o $((12 * Z / 512)) -c 1 "$B" 2>$W/bz.err && fail "a 5th explicit open succeeded (max open 4)"
grep -qi 'too many references' $W/bz.err || fail "5th explicit open: $(cat $W/bz.err), not ETOOMANYREFS"
# written, then closed: closed zones are active (an empty one would be empty)
for z in 8 9 10 11; do run wr $W/e $((z * Z)); run blkzone close -o $((z * Z / 512)) -c 1 "$B"; done
# active: 8..11 closed, 12 and 13 written: 6
run wr $W/e $((12 * Z)); run wr $W/e $((13 * Z))
wr $W/e $((14 * Z)) && fail "a 7th active zone (max active 6) was written"
grep -qi 'too large' $W/dd.err || fail "7th active zone: $(cat $W/dd.err), not EOVERFLOW"
log "5th explicit open: ETOOMANYREFS; write opening a 7th active zone: EOVERFLOW"
stop_server
zr() { zonekit read "$D" $1 $2 -o $W/back > /dev/null && cmp -s $W/back $3; } # OFS LEN FILE
zr $((5 * Z)) 96K $W/c || fail "zone 5 read by zonekit differs from what $B was given"
zr $((7 * 1024 * 1024 + 4096)) 16K $W/d || fail "conventional zone 0 read by zonekit differs"
zr $((4 * Z + 65536)) 4K $W/e || fail "zone 4's second write read by zonekit differs"
zr $((4 * Z)) 64K $W/a || fail "zone 4's first write changed"
log "written through the block device, read by zonekit: zone 5, conventional zone 0, zone 4 after zonekit's data"
serve "$D" --read-only
[ "$(cat /sys/block/${B#/dev/}/ro)" = 1 ] || fail "--read-only: $B is not read-only"
wr $W/e $((14 * Z)) && fail "a write to the read-only $B succeeded"
rd $((5 * Z)) 24 | cmp -s - $W/c || fail "zone 5 read through the read-only $B differs"
stop_server
log "--read-only: the kernel refuses writes, reads work"
echo "$T: PASS"
