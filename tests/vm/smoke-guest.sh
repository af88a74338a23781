#!/bin/sh
# SPDX-License-Identifier: MIT
# Guest side of smoke.sh: runs as /mnt/run.sh in the VM, with zbd_probe beside it.
# Expects null_blk zk1 (zoned, made by init from --cfs) and makes zk2 itself, so both
# ways of creating configfs devices are exercised.
set -eu
for dev in /dev/nullb0 /dev/nvme0n1; do
	echo "== blkzone report $dev (first 6 zones)"
	blkzone report -c 6 "$dev"
done
zk1=$(nullb-cfs -p zk1)
echo "== zk1 is $zk1: $(blkzone report "$zk1" | wc -l) zones"
zbd_probe /dev/nullb0 /dev/nvme0n1 "$zk1"

# a plain (not zoned) configfs device with bad sectors 0-7: reading them must fail
zk2=$(nullb-cfs zk2 zoned=0 gb=1 bs=4096 memory_backed=1 badblocks=+0-7)
if dd if="$zk2" of=/dev/null bs=4096 count=1 iflag=direct 2>/dev/null; then
	echo "FAIL: read of a bad block on $zk2 succeeded"; exit 1
fi
dd if="$zk2" of=/dev/null bs=4096 count=1 skip=1 iflag=direct 2>/dev/null
echo "== $zk2: bad block read fails, next block reads: ok"
nullb-cfs -d zk2
echo "smoke: all checks passed" | tee "$OUT/smoke.txt"
