#!/bin/bash
# SPDX-License-Identifier: MIT
# Measurements of kernel behaviour that zonekit's design depends on (tests/vm/README.md,
# "Measurements"), in the test VM, one boot per kernel:
#   probe_512e            writes smaller than the physical block to a sequential zone
#                         of a 512e SCSI ZBC disk (scsi_debug)
#   probe_cached_report   BLKREPORTZONEV2 + BLK_ZONE_REP_CACHED vs BLKREPORTZONE on
#                         null_blk, NVMe ZNS, zloop and scsi_debug (kernels that have it)
#   zone-ops.sh           raw zone operations where the zone models leave a choice, on
#                         null_blk, NVMe ZNS, scsi_debug and zloop
#   zloop-layout.sh       zloop on directories made by zonekit's emulated device
# They print what they see and do not judge it.
#   tests/vm/probes/run.sh [KVER...]      (default: 6.12 7.2; runs setup.sh first)
# Output: one log per kernel in the work directory printed at the end.
set -euo pipefail
D=$(cd "$(dirname "$0")" && pwd)
VM=$(cd "$D/.." && pwd)
ROOT=$(cd "$VM/../.." && pwd)
BUILD=${BUILD:-$ROOT/build}
CACHE=${ZKVM_CACHE:-$VM/.cache}
KVERS=${*:-6.12 7.2}
W=$(mktemp -d "${TMPDIR:-/tmp}/zk-probes.XXXXXX")

"$VM/setup.sh" $KVERS
ninja -C "$BUILD" src/libzonekit.a > /dev/null
CC=(gcc -O2 -Wall -Wextra -Werror -std=gnu11 -static)
mkdir -p "$W/share"
"${CC[@]}" -o "$W/share/probe_512e" "$D/probe_512e.c"
"${CC[@]}" -o "$W/share/pwrite_direct" "$D/pwrite_direct.c"
# the static CLI, for zloop-layout.sh
"${CC[@]}" -I"$ROOT/include" -I"$ROOT/src" -I"$ROOT/tools" -o "$W/share/zonekit" \
	"$ROOT"/tools/*.c "$BUILD/src/libzonekit.a" -luring -lpthread -lm
cp "$D/zloop-layout.sh" "$D/zone-ops.sh" "$W/share/"
UAPI=$CACHE/7.2/zloop/src/include/uapi # 7.2's <linux/blkzoned.h>, from linux-source-7.2
if [ -f "$UAPI/linux/blkzoned.h" ]; then
	"${CC[@]}" -I"$UAPI" -o "$W/share/probe_cached_report" "$D/probe_cached_report.c"
else
	echo "probes: no 7.2 uapi header in $UAPI (setup.sh 7.2 extracts it): no probe_cached_report"
fi
cat > "$W/share/run.sh" <<'EOG'
set -u
ZLOOP="capacity_mb=256 zone_size_mb=16 zone_capacity_mb=12 conv_zones=2 max_open_zones=4"
echo "==== kernel $(uname -r)"
sd=$(scsi-zbc) || exit 1
echo "==== probe_512e $sd (scsi_debug ZBC 512e)"
probe_512e "$sd" 4
echo "==== zone-ops.sh"
if zl=$(zloop-dev 0 $ZLOOP 2> /dev/null); then
	sh ./zone-ops.sh /dev/nullb0 /dev/nvme0n1 "$sd" "$zl"
	zloop-dev -d 0
else
	sh ./zone-ops.sh /dev/nullb0 /dev/nvme0n1 "$sd"
fi
if [ -x ./probe_cached_report ]; then
	for dev in /dev/nullb0 /dev/nvme0n1 "$sd"; do
		echo "==== probe_cached_report $dev"
		probe_cached_report "$dev"
	done
	if zl=$(zloop-dev 0 $ZLOOP); then
		echo "==== probe_cached_report $zl (zone files in /zloop/0)"
		probe_cached_report "$zl" /zloop/0
		zloop-dev -d 0
	fi
fi
scsi-zbc -d
if modprobe zloop 2> /dev/null; then
	echo "==== zloop-layout.sh"
	sh ./zloop-layout.sh
fi
dmesg | grep -iE 'zloop|sd 0:|unaligned|I/O error' | tail -n 40 | sed 's/^/dmesg: /'
EOG
for k in $KVERS; do
	"$VM/run.sh" -q --kernel "$k" --timeout 900 --out "$W/out-$k" -- "$W/share" || true
	tr -d '\r' < "$W/out-$k/console.log" | sed -n '/^==== kernel/,/^zkvm: run.sh done/p' > "$W/probes-$k.log"
	cat "$W/probes-$k.log"
done
echo "probes: logs in $W"
