# SPDX-License-Identifier: MIT
# Side by side, in one VM: fio on a served emulated device (in the guest's
# tmpfs), on a null_blk of the same geometry (1 GiB, 64 MiB zones, 4 KiB
# blocks, memory backed) and, where the kernel has zloop (7.2 here), on a
# zoned loop device of that geometry with its files on a tmpfs too:
# sequential writes of 4 KiB and 128 KiB at queue depth 1 and 8, random
# reads of 4 KiB at depth 8.  Figures, not a verdict: it fails only if a
# job fails.  Results in $OUT/perf.txt.
T=perf
. ./lib.sh
FIO=/mnt/fio/fio
[ -x $FIO ] || fail "no fio in the share"
D=$W/perf-dev
RT=${PERF_RUNTIME:-10}
rm -rf "$D"
run zonekit create "$D" --capacity 1G --zone-size 64M
NB=$(nullb-cfs zkperf zoned=1 zone_size=64 zone_nr_conv=0 zone_max_open=0 zone_max_active=0 \
	size=1024 bs=4096 memory_backed=1) || fail "no configfs null_blk"
serve "$D"
# job NAME DEV fio-options...: prints "NAME KiB/s IOPS" (writes or reads)
job() {
	local name=$1 dev=$2; shift 2
	$FIO --name="$name" --filename="$dev" --direct=1 --time_based \
		--runtime=$RT --minimal "$@" > $W/perf.out 2>&1 || fail "fio $name on $dev: $(tail -n 3 $W/perf.out)"
	awk -F';' -v n="$name" '{ if ($49 > 0) print n, $48, $49; else print n, $7, $8 }' $W/perf.out
}
bench() { # DEV
	blkzone reset "$1"
	job seqwrite-4k-qd1 "$1" --zonemode=zbd --rw=write --bs=4k --ioengine=psync --iodepth=1 --size=256M
	blkzone reset "$1"
	job seqwrite-4k-qd8 "$1" --zonemode=zbd --rw=write --bs=4k --ioengine=libaio --iodepth=8 --size=256M
	blkzone reset "$1"
	job seqwrite-128k-qd1 "$1" --zonemode=zbd --rw=write --bs=128k --ioengine=psync --iodepth=1 --size=512M
	blkzone reset "$1"
	job seqwrite-128k-qd8 "$1" --zonemode=zbd --rw=write --bs=128k --ioengine=libaio --iodepth=8 --size=512M
	# random reads anywhere (past the wps too: reads are unrestricted on both)
	job randread-4k-qd8 "$1" --rw=randread --bs=4k --ioengine=libaio --iodepth=8 --zonemode=none
}
bench "$B" > $W/perf.ublk
stop_server $W/perf-stop.json
rm -rf "$D" # its memory, for null_blk's
bench "$NB" > $W/perf.nullb
nullb-cfs -d zkperf
# zloop: the kernel's own zoned device in files, the same job in the kernel
if ZL=$(zloop-dev 9 capacity_mb=1024 zone_size_mb=64 conv_zones=0 2>$W/zloop.err); then
	bench "$ZL" > $W/perf.zloop
	zloop-dev -d 9
else
	log "no zloop on this kernel: $(cat $W/zloop.err)"
	awk '{ print $1, 0, 0 }' $W/perf.ublk > $W/perf.zloop
fi
{
	printf '%-18s %12s %10s %12s %10s %8s %12s %10s %8s\n' job ublk-KiB/s ublk-IOPS \
		nullb-KiB/s nullb-IOPS ratio zloop-KiB/s zloop-IOPS ratio
	paste -d' ' $W/perf.ublk $W/perf.nullb $W/perf.zloop | awk '{
		printf "%-18s %12d %10d %12d %10d %8.3f %12d %10d %8.3f\n", $1, $2, $3, $5, $6,
			$6 ? $3 / $6 : 0, $8, $9, $9 ? $3 / $9 : 0 }'
} | tee $OUT/perf.txt
log "server: $(counter $W/perf-stop.json write) writes, $(counter $W/perf-stop.json read) reads, $RT s a job"
echo "$T: PASS"
