# SPDX-License-Identifier: MIT
# Zone appends from a kernel consumer: btrfs on a zoned device writes its data
# with REQ_OP_ZONE_APPEND, many bios in flight to one zone.  The server must
# count them, the library merge them, and every file read back the same after
# the device was stopped and served again.
T=append
. ./lib.sh
D=$W/append-dev
M=$W/btrfs
rm -rf "$D"; mkdir -p $M
run zonekit create "$D" --capacity 2G --zone-size 64M
serve "$D" --queues 2 --depth 32
run modprobe btrfs
run mkfs.btrfs -q -f -O zoned -d single -m single "$B"
run mount -t btrfs "$B" $M
# four writers at once, 16 MiB each, through the page cache: writeback sends
# the data as zone appends
for i in 1 2 3 4; do dd if=/dev/urandom of=$W/src$i bs=1M count=16 2>/dev/null; done
for i in 1 2 3 4; do cp $W/src$i $M/file$i & done
wait
run sync
(cd $W && sha256sum src1 src2 src3 src4) | sed 's/src/file/' > $W/sums
(cd $M && sha256sum -c $W/sums > /dev/null) || fail "files differ right after writing"
run umount $M
stop_server $W/append1.json
n=$(counter $W/append1.json zone_append)
merged=$(counter $W/append1.json merged)
[ "${n:-0}" -gt 0 ] || fail "the server saw no zone append (counters: $(cat $W/append1.json))"
log "btrfs: $n zone appends reached the server ($(counter $W/append1.json write) writes," \
	"$(counter $W/append1.json bytes_written) bytes); the library merged $merged of them"
serve "$D" --queues 2 --depth 32
run mount -t btrfs "$B" $M
(cd $M && sha256sum -c $W/sums > $W/check 2>&1) || fail "after serving again: $(cat $W/check)"
run umount $M
stop_server $W/append2.json
log "served again: the four files read back with their sums"
echo "$T: PASS"
