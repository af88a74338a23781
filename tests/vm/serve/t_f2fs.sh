# SPDX-License-Identifier: MIT
# A file system on a served device: mkfs.f2fs -m (zoned: metadata in the
# conventional zones), a few hundred MiB of files with their sums, unmount,
# stop the server, serve the directory again, mount, every sum checked, and
# fsck.f2fs clean.
T=f2fs
. ./lib.sh
D=$W/f2fs-dev
M=$W/f2fs
rm -rf "$D"; mkdir -p $M
# zone capacity = zone size: with a smaller capacity fsck.f2fs 1.15 (Debian 12) fails
# "free segment_count matched with CP" on a null_blk of the same geometry too
run zonekit create "$D" --capacity 1G --zone-size 16M --conv 8 \
	--max-open 8 --max-active 12
serve "$D"
run mkfs.f2fs -q -f -m "$B"
run mount -t f2fs "$B" $M
dd if=/dev/urandom of=$W/rnd bs=1M count=16 2>/dev/null
# 40 files of 1 to 10 MiB (220 MiB), each a different slice of the random data
i=0; total=0
while [ $i -lt 40 ]; do
	mb=$((i % 10 + 1))
	{ dd if=$W/rnd bs=64K skip=$i count=$((mb * 16 - i % 16)) 2>/dev/null
	  dd if=$W/rnd bs=64K count=$((i % 16)) 2>/dev/null; } > $M/f$i || fail "writing f$i"
	total=$((total + mb)); i=$((i + 1))
done
mkdir -p $M/dir && cp $M/f1 $M/f2 $M/dir/ || fail "copying into a directory"
(cd $M && find . -type f | sort | xargs sha256sum) > $W/f2fs.sums
run umount $M
stop_server $W/f2fs1.json
log "f2fs: $((total + 3)) MiB in $(wc -l < $W/f2fs.sums) files; server: $(counter $W/f2fs1.json write) writes," \
	"$(counter $W/f2fs1.json flush) flushes, $(counter $W/f2fs1.json zone_reset) zone resets"
serve "$D"
run mount -t f2fs "$B" $M
(cd $M && sha256sum -c $W/f2fs.sums > $W/f2fs.check 2>&1) ||
	fail "after serving again: $(grep -v ': OK$' $W/f2fs.check | head -n 5)"
run umount $M
fsck.f2fs "$B" < /dev/null > $W/fsck.log 2>&1 & # it asks before fixing anything
fpid=$!
i=0
while kill -0 $fpid 2>/dev/null && [ $i -lt 1200 ]; do sleep 0.1; i=$((i + 1)); done
if kill -0 $fpid 2>/dev/null; then
	for t in /proc/$fpid/task/* /proc/$SPID/task/*; do
		echo "== $t $(cat $t/comm) $(cat $t/wchan 2>/dev/null)"; cat $t/stack 2>/dev/null
	done
	echo w > /proc/sysrq-trigger
	fail "fsck.f2fs still runs after 120 s: $(tail -n 5 $W/fsck.log)"
fi
if ! wait $fpid; then
	grep -E 'Fail|ASSERT|rror' $W/fsck.log
	fail "fsck.f2fs: $(grep -E 'Fail|ASSERT' $W/fsck.log | head -n 3)"
fi
stop_server $W/f2fs2.json
log "served again: every sum checked, fsck.f2fs clean"
echo "$T: PASS"
