#!/bin/bash
# SPDX-License-Identifier: MIT
# Smoke test of the zonekit fio engine on a temporary emulated device: every
# way in (synchronous calls, the queue, zone append), zonemode=zbd with the
# engine's zone hooks, verify, reads, trims (zone resets), max_open_zones.
#   fio/smoke.sh ENGINE.so ZONEKIT_CLI [FIO]
set -euo pipefail
eng=$(realpath "$1") zk=$(realpath "$2") fio=${3:-fio}
T=$(mktemp -d "${TMPDIR:-/tmp}/zkfio-smoke.XXXXXX")
trap 'rm -rf "$T"' EXIT
dev=$T/dev
MiB=$((1 << 20))
"$zk" create "$dev" --capacity 64M --zone-size 1M --conv 2 --max-open 8 >/dev/null

n=0
run() { # NAME FIO-ARGS...
	local name=$1; shift
	n=$((n + 1))
	if ! "$fio" --ioengine=external:"$eng" --filename="$dev" --name="$name" \
		--direct=1 --aux-path="$T" --output="$T/$name.log" "$@" >"$T/$name.out" 2>&1; then
		echo "FAIL $name: fio $*"; cat "$T/$name.out" "$T/$name.log"; exit 1
	fi
	if grep -q -e "verify: bad" -e "err=[1-9]" -e "Assertion" "$T/$name.log" "$T/$name.out"; then
		echo "FAIL $name (errors in the output): fio $*"; cat "$T/$name.log"; exit 1
	fi
	echo "ok   $name"
}
zone_cond() { "$zk" report "$dev" --offset "$1" --count 1 --json | sed -n 's/.*"cond": "\([a-z-]*\)".*/\1/p'; }
zk_reset_all() { "$zk" reset "$dev" --all >/dev/null; }

seq0=$((2 * MiB))
# sequential writes over 8 zones, verified, through each way in
run sync-verify --rw=write --bs=64k --offset=$seq0 --size=8M --zonemode=zbd \
	--verify=crc32c --do_verify=1
zk_reset_all
run queue-verify --rw=write --bs=64k --iodepth=8 --offset=$seq0 --size=8M \
	--zonemode=zbd --verify=md5 --do_verify=1
zk_reset_all
run append-verify --rw=write --bs=16k --iodepth=16 --offset=$seq0 --size=8M \
	--zonemode=zbd --zonekit_append=1 --verify=crc32c --do_verify=1
zk_reset_all
run append-sync-verify --rw=write --bs=128k --offset=$seq0 --size=4M \
	--zonemode=zbd --zonekit_append=1 --zonekit_sync=1 --iodepth=4 \
	--verify=sha256 --do_verify=1
# the zones are full now: fio's zone report must say so
[ "$(zone_cond $seq0)" = full ] || { echo "FAIL: zone at $seq0 is $(zone_cond $seq0), not full"; exit 1; }
# reads of what is there, then trims reset the zones
run read --rw=read --bs=128k --offset=$seq0 --size=4M --zonemode=zbd
run trim --rw=trim --bs=1M --offset=$seq0 --size=4M --zonemode=zbd
[ "$(zone_cond $seq0)" = empty ] || { echo "FAIL: zone at $seq0 is $(zone_cond $seq0) after trim"; exit 1; }
# random writes over many zones with an open zone limit, verified
run randwrite-maxopen --rw=randwrite --bs=64k --iodepth=8 --offset=$seq0 \
	--size=32M --io_size=16M --zonemode=zbd --max_open_zones=4 \
	--verify=crc32c --do_verify=1
# conventional zones: random writes anywhere, verified
run conv-randwrite --rw=randwrite --bs=4k --iodepth=4 --offset=0 --size=2M \
	--verify=crc32c --do_verify=1
# appends longer than the device's largest append (null_blk's is 124 KiB):
# sent as several appends, each checked to land where fio expects, from the
# synchronous path and from the queue path (which waits for its I/O first)
d2=$T/dev-maxappend
"$zk" create "$d2" --capacity 32M --zone-size 4M --conv 1 --max-append 124K >/dev/null
for depth in 1 8; do
	n=$((n + 1))
	if ! "$fio" --ioengine=external:"$eng" --filename="$d2" --name=append-split-qd$depth \
		--direct=1 --aux-path="$T" --output="$T/split$depth.log" --rw=write \
		--bs=1M --iodepth=$depth --offset=4M --size=8M --zonemode=zbd \
		--zonekit_append=1 --verify=crc32c --do_verify=1 >"$T/split$depth.out" 2>&1 ||
		grep -q -e "verify: bad" -e "err=[1-9]" -e "landed at" "$T/split$depth.log" "$T/split$depth.out"; then
		echo "FAIL append-split-qd$depth"; cat "$T/split$depth.out" "$T/split$depth.log"; exit 1
	fi
	[ "$("$zk" report "$d2" --offset 4M --count 1 --json | sed -n 's/.*"cond": "\([a-z-]*\)".*/\1/p')" = full ] ||
		{ echo "FAIL append-split-qd$depth: zone not full"; exit 1; }
	"$zk" reset "$d2" --all >/dev/null
	echo "ok   append-split-qd$depth"
done
# two jobs on one device (the engine makes them threads)
zk_reset_all
"$fio" --ioengine=external:"$eng" --filename="$dev" --direct=1 --aux-path="$T" --zonemode=zbd \
	--rw=write --bs=64k --size=8M --name=a --offset=$seq0 --name=b \
	--offset=$((seq0 + 8 * MiB)) >"$T/two.out" 2>&1 ||
	{ echo "FAIL two-jobs"; cat "$T/two.out"; exit 1; }
echo "ok   two-jobs"
echo "all $((n + 1)) fio runs passed"
