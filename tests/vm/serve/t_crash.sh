# SPDX-License-Identifier: MIT
# The server killed (SIGKILL) under a writer: nothing hangs, the writer gets an
# error, the block device goes away, 'zonekit stop' removes what is left, and
# after serving the directory again everything acknowledged is there (what
# was flushed before the kill above all).
T=crash
. ./lib.sh
D=$W/crash-dev
Z=$((16 * 1024 * 1024))
rm -rf "$D"
run zonekit create "$D" --capacity 256M --zone-size 16M
dd if=/dev/urandom of=$W/flushed bs=1M count=8 2>/dev/null
dd if=/dev/urandom of=$W/stream bs=1M count=96 2>/dev/null
serve "$D"
# acknowledged and flushed before the kill
dd if=$W/flushed of="$B" bs=1M seek=16 oflag=direct conv=fsync 2>/dev/null ||
	fail "writing zone 1"
# a writer streaming through zones 2..7 when the server dies
dd if=$W/stream of="$B" bs=64K seek=$((2 * Z / 65536)) oflag=direct 2>$W/writer.err &
wpid=$!
i=0
while [ $i -lt 300 ]; do # until the writer is 1 MiB in (30 s at most)
	wp=$(zone_fill "$B" 2)
	[ "${wp:-0}" -ge 2048 ] 2>/dev/null && break
	sleep 0.1; i=$((i + 1))
done
kill -9 "$SPID"
log "server (pid $SPID) killed with the writer $((${wp:-0} * 512 / 1024)) KiB into zone 2"
i=0
while kill -0 $wpid 2>/dev/null && [ $i -lt 600 ]; do sleep 0.1; i=$((i + 1)); done
kill -0 $wpid 2>/dev/null && fail "the writer still runs 60 s after the server died: hung"
wait $wpid && fail "the writer finished without an error, its server dead"
grep -q 'error writing' $W/writer.err || fail "the writer said: $(cat $W/writer.err)"
acked=$(sed -n 's/^\([0-9]*\)+0 records out.*/\1/p' $W/writer.err)
log "writer failed in $((i / 10)) s: $(grep 'error writing' $W/writer.err | sed 's/.*: //'), $acked blocks of 64 KiB acknowledged"
i=0
while [ -e "$B" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
[ -e "$B" ] && fail "$B still there 10 s after its server died"
timeout 60 zonekit stop "$ID" --json > $W/stop.json || fail "zonekit stop of the orphan: $(cat $W/stop.json)"
grep -q '"server":"gone"' $W/stop.json || fail "zonekit stop said: $(cat $W/stop.json)"
[ -e /dev/ublkc$ID ] && fail "/dev/ublkc$ID still there after zonekit stop"
log "$B gone by itself; zonekit stop removed ublk device $ID"
serve "$D"
dd if="$B" bs=1M skip=16 count=8 iflag=direct 2>/dev/null | cmp -s - $W/flushed ||
	fail "the data flushed before the kill differs after serving again"
if [ "${acked:-0}" -gt 0 ]; then
	dd if="$B" bs=64K skip=$((2 * Z / 65536)) count=$acked iflag=direct 2>/dev/null > $W/back
	dd if=$W/stream bs=64K count=$acked 2>/dev/null | cmp -s - $W/back ||
		fail "the $acked acknowledged blocks differ after serving again"
fi
# the writer may have gone past zone 2: what zones 2..7 hold, in sectors
held=$(ACTIVE=0 norm_blkzone "$B" | awk 'NR >= 3 && NR <= 8 { n += $4 == "-" ? $2 : $4 - $1 } END { print n }')
[ "$held" -ge $((${acked:-0} * 128)) ] ||
	fail "zones 2..7 hold $held sectors, less than the $acked acknowledged blocks"
rm -f $W/stream $W/back
stop_server
log "served again: the 8 MiB flushed before the kill and all $acked acknowledged blocks read back"

# The same with fio: a write+verify run flushed at its end, then a second one
# (libaio, 8 in flight) during which the server is killed; after serving again
# fio verifies the first run's data.
FIO=/mnt/fio/fio
[ -x $FIO ] || { log "no fio in the share: the fio part is left out"; echo "$T: PASS"; exit 0; }
fio_job() { # NAME OFFSET SIZE fio-options...
	local n=$1 o=$2 sz=$3; shift 3
	$FIO --name="$n" --filename="$B" --direct=1 --zonemode=zbd --rw=write --bs=64k \
		--offset="$o" --size="$sz" --verify=crc32c --verify_fatal=1 "$@"
}
serve "$D"
run blkzone reset "$B"
fio_job flushed 16M 32M --ioengine=psync --end_fsync=1 > $W/fio1.out 2>&1 ||
	fail "fio write+verify of zones 1-2: $(tail -n 5 $W/fio1.out)"
fio_job killed 64M 192M --ioengine=libaio --iodepth=8 > $W/fio2.out 2>&1 &
fpid=$!
i=0
while [ $i -lt 300 ]; do
	wp=$(zone_fill "$B" 4)
	[ "${wp:-0}" -ge 2048 ] 2>/dev/null && break
	sleep 0.1; i=$((i + 1))
done
kill -9 "$SPID"
i=0
while kill -0 $fpid 2>/dev/null && [ $i -lt 600 ]; do sleep 0.1; i=$((i + 1)); done
kill -0 $fpid 2>/dev/null && fail "fio still runs 60 s after the server died: hung"
wait $fpid && fail "fio finished without an error, its server dead"
err=$(grep -o 'err=[ 0-9]*[^)]*' $W/fio2.out | head -n 1)
log "fio write+verify with the server killed $((${wp:-0} / 2)) KiB into zone 4: fio exited in $((i / 10)) s, $err"
i=0
while [ -e "$B" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
[ -e "$B" ] && fail "$B still there 10 s after its server died"
timeout 60 zonekit stop "$ID" > /dev/null || fail "zonekit stop of the orphan"
serve "$D"
$FIO --name=flushed --filename="$B" --direct=1 --rw=write --bs=64k --offset=16M --size=32M \
	--verify=crc32c --verify_only=1 --verify_fatal=1 > $W/fio3.out 2>&1 ||
	fail "fio's verify of the data flushed before the kill: $(tail -n 5 $W/fio3.out)"
stop_server
log "served again: fio verified the 32 MiB written and flushed before the kill"
echo "$T: PASS"
