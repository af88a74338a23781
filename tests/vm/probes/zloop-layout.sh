#!/bin/sh
# SPDX-License-Identifier: MIT
# Guest probe (7.2, zloop): does zloop take a directory that zonekit's emulated device
# made? Each case makes a zone file directory, adds a zloop device on it and prints what
# zloop said (and the kernel's message), the device's zones (blkzone) and zonekit's view of
# the same directory. Needs zonekit (static) in PATH.
#   zloop-layout.sh
# Cases: (1) files made by hand in zloop's layout plus a file "geometry" (zonekit's);
# (2) a fresh zonekit device (zonekit create); (3) the same with a zone finished by
# zonekit (its file at the zone size, not the capacity); (4) that file truncated to the
# capacity; (5) a zonekit device with a smaller last zone (capacity not a multiple of
# the zone size).
B=/zlprobe
mkdir -p $B && mount -t tmpfs -o size=512m zlprobe $B || exit 1
modprobe zloop || exit 1
OPTS="capacity_mb=128,zone_size_mb=16,zone_capacity_mb=12,conv_zones=2"
n=0
add() { # ID OPTIONS: add, report, remove
	dmesg -c > /dev/null
	echo "   files: $(cd "$B/$1" && for f in *; do printf '%s=%s ' "$f" "$(stat -c %s "$f")"; done)"
	if echo "add id=$1,base_dir=$B,$2" > /dev/zloop-control 2> /tmp/err; then
		sleep 0.5
		echo "   add: accepted; /dev/zloop$1: $(cat /sys/block/zloop$1/queue/nr_zones) zones," \
			"$(($(cat /sys/block/zloop$1/size) / 2048)) MiB"
		blkzone report "/dev/zloop$1" | sed -n '1,8p' | sed 's/^/   /'
		if [ -x ./probe_cached_report ]; then # zones restored from files: no write plugs
			./probe_cached_report -n "/dev/zloop$1" | sed -n '/^--/,$p' | sed 's/^/   /'
		fi
		echo "   remove: $(echo "remove id=$1" > /dev/zloop-control 2>&1 && echo ok)"
	else
		echo "   add: REFUSED ($(cat /tmp/err | sed 's/.*: //'))"
	fi
	dmesg | grep -i zloop | sed 's/^/   dmesg: /'
}
case_() { n=$((n + 1)); echo "== case $n: $*"; }

case_ "zloop layout made by hand, plus zonekit's 'geometry' file"
mkdir -p $B/1
for z in 0 1; do truncate -s 16M "$(printf '%s/1/cnv-%06u' $B $z)"; done
for z in 2 3 4 5 6 7; do : > "$(printf '%s/1/seq-%06u' $B $z)"; done
head -c 8192 /dev/zero > $B/1/seq-000002
echo "made by hand" > $B/1/geometry
add 1 "$OPTS"

case_ "a fresh zonekit device: zonekit create --capacity 128M --zone-size 16M --zone-capacity 12M --conv 2"
zonekit create $B/2 --capacity 128M --zone-size 16M --zone-capacity 12M --conv 2 > /dev/null
zonekit write $B/2 32M --size 64K --pattern 0xab > /dev/null
add 2 "$OPTS"
echo "   zonekit report after zloop used the directory:"
zonekit report $B/2 --count 4 | sed 's/^/   /'

case_ "zone 3 finished by zonekit (zonekit finish)"
zonekit finish $B/2 48M > /dev/null
add 2 "$OPTS"

case_ "the finished zone's file truncated to the zone capacity (12 MiB)"
truncate -s 12M $B/2/seq-000003
add 2 "$OPTS"
echo "   zonekit report of the directory now:"
zonekit report $B/2 --count 4 | sed 's/^/   /'

case_ "a zonekit device with a smaller last zone: --capacity 120M (7 zones of 16 MiB and one of 8 MiB)"
zonekit create $B/3 --capacity 120M --zone-size 16M --zone-capacity 12M --conv 2 > /dev/null
zonekit write $B/3 112M --size 64K --pattern 0xcd > /dev/null
add 3 "capacity_mb=120,zone_size_mb=16,zone_capacity_mb=12,conv_zones=2"
umount $B
