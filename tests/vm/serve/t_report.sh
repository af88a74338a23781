# SPDX-License-Identifier: MIT
# The kernel's view of a served device is zonekit's: geometry and limits in
# sysfs, blkzone report against zonekit report zone for zone before and after
# a workload, and blkzone reset/open/close/finish acting on the device.
T=report
. ./lib.sh
D=$W/report
MiB=2048 # sectors
rm -rf "$D"
run zonekit create "$D" --capacity 256M --zone-size 16M --zone-capacity 12M --conv 2 \
	--max-open 4 --max-active 6
serve "$D"
q=/sys/block/${B#/dev/}/queue
for kv in zoned=host-managed nr_zones=16 max_open_zones=4 max_active_zones=6 \
	logical_block_size=4096 chunk_sectors=32768 zone_append_max_bytes=524288; do
	got=$(cat "$q/${kv%%=*}")
	[ "$got" = "${kv#*=}" ] || fail "$q/${kv%%=*} is $got, expected ${kv#*=}"
done
log "sysfs: zoned host-managed, 16 zones of 16 MiB, max open 4, max active 6, 4 KiB blocks"
ACTIVE=0 norm_blkzone "$B" > $W/bz0
stop_server
ACTIVE=0 norm_zonekit "$D" > $W/zk0
same_reports $W/bz0 $W/zk0 "fresh device"
log "fresh device: blkzone report = zonekit report ($(wc -l < $W/zk0) zones)"

# the workload, zone by zone; the kernel's answer checked after each step
serve "$D"
z() { echo $(($1 * 16 * MiB)); } # a zone's first sector
dd if=/dev/urandom of=$W/data bs=1M count=12 2>/dev/null
w() { # ZONE OFFSET_SECTORS COUNT_4K: a direct write at that place
	dd if=$W/data of="$B" bs=4096 seek=$((($(z $1) + $2) / 8)) count=$3 oflag=direct 2>/dev/null
}
run w 2 0 3; run w 2 24 5                    # zone 2: 32 KiB at the wp, implicitly open
expect_zone "$B" 2 2 $(($(z 2) + 64))
run w 3 0 3072                               # zone 3: written to its capacity: full
expect_zone "$B" 3 14 -
run blkzone open -o $(z 4) -c 1 "$B"         # zone 4: explicitly open, then written
expect_zone "$B" 4 3 $(z 4)
run w 4 0 2
expect_zone "$B" 4 3 $(($(z 4) + 16))
run w 5 0 1; run blkzone close -o $(z 5) -c 1 "$B"   # zone 5: closed
expect_zone "$B" 5 4 $(($(z 5) + 8))
run w 6 0 16; run blkzone finish -o $(z 6) -c 1 "$B" # zone 6: finished
expect_zone "$B" 6 14 -
run w 7 0 4; run blkzone reset -o $(z 7) -c 1 "$B"   # zone 7: reset
expect_zone "$B" 7 1 $(z 7)
run blkzone finish -o $(z 8) -c 1 "$B"               # zone 8: empty, finished
expect_zone "$B" 8 14 -
dd if=$W/data of="$B" bs=4096 seek=$((5 * MiB / 8 + 1)) count=2 oflag=direct 2>/dev/null ||
	fail "write in the middle of conventional zone 0"
if w 2 0 1; then fail "a write below zone 2's wp succeeded"; fi
expect_zone "$B" 2 2 $(($(z 2) + 64))
log "blkzone open/close/finish/reset and direct writes: each zone as expected"
ACTIVE=1 norm_blkzone "$B" > $W/bz1
stop_server $W/stop1.json
ACTIVE=1 norm_zonekit "$D" > $W/zk1
same_reports $W/bz1 $W/zk1 "after the workload"
for c in zone_open:1 zone_close:1 zone_finish:2 zone_reset:1; do
	n=$(counter $W/stop1.json ${c%%:*})
	[ "$n" = "${c#*:}" ] || fail "server counted $n ${c%%:*}, expected ${c#*:}"
done
log "after the workload: blkzone report = zonekit report; server counted open 1, close 1, finish 2, reset 1"

# reset of every zone at once: blkzone reset over the whole device
serve "$D"
run blkzone reset "$B"
ACTIVE=0 norm_blkzone "$B" > $W/bz2
stop_server $W/stop2.json
ACTIVE=0 norm_zonekit "$D" > $W/zk2
same_reports $W/bz2 $W/zk2 "after reset-all"
same_reports $W/zk2 $W/zk0 "reset-all against the fresh device"
log "reset of all zones: $(counter $W/stop2.json zone_reset_all) reset-all, $(counter $W/stop2.json zone_reset) zone resets; device as fresh"
echo "$T: PASS"
