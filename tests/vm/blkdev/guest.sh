#!/bin/sh
# SPDX-License-Identifier: MIT
# Guest side of run-vm.sh: runs as /mnt/run.sh in the VM, with blkdev_test beside it.
# Tests every zoned device the VM has (null_blk /dev/nullb0 unless --nullb off, the
# NVMe ZNS namespace unless --no-zns), read-only and offline zones on a configfs
# null_blk, and a plain configfs null_blk that zk_open must refuse as not zoned.
set -u
rc=0
for dev in /dev/nullb0 /dev/nvme0n1; do
	[ -b "$dev" ] || continue
	blkdev_test "$dev" || rc=1
done
# read-only and offline zones, which only configfs null_blk devices can be given
cond=$(nullb-cfs zkcond zoned=1 zone_size=16 zone_capacity=12 zone_nr_conv=2 \
	zone_max_open=4 zone_max_active=0 gb=1 bs=4096 memory_backed=1) || exit 1
blkdev_test --cfs zkcond "$cond" || rc=1
nullb-cfs -d zkcond
plain=$(nullb-cfs zkplain zoned=0 gb=1 bs=4096 memory_backed=1) || exit 1
blkdev_test --not-zoned "$plain" || rc=1
nullb-cfs -d zkplain
[ $rc = 0 ] && echo "blkdev: all devices passed" | tee "$OUT/blkdev.txt"
exit $rc
