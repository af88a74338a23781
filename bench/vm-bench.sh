#!/bin/bash
# SPDX-License-Identifier: MIT
# zkbench on real zoned block devices: null_blk in the QEMU test VM of tests/vm.
#   bench/vm-bench.sh [--quick] [--kernel KVER] [--out DIR]
# Builds zkbench statically against BUILD/src/libzonekit.a (BUILD defaults to
# build-bench, then build), boots the VM once (tests/vm/run.sh) and runs zkbench
# in it on two null_blk devices (zoned, memory backed, 64 MiB zones with full
# capacity, no conventional zones, no open/active limits, 4 KiB blocks,
# max_sectors=2048 so that 1 MiB zone appends fit zone_append_max_bytes):
#   nullb0    made by the module parameters; completes at once
#   zkblat    made through configfs with irqmode=2 completion_nsec=1000000:
#             every command takes 1 ms, as on a slow (SMR-like) device, so
#             queue depth and merging show rather than CPU time
# Raw writes there are O_DIRECT and one at a time per zone (zkbench's raw mode
# on a block device: "raw sequential O_DIRECT writes at QD1 per zone").
# The guest runs under TCG: absolute figures mean nothing, ratios do.
# Results: OUT/vm-KVER-nullb0.json, OUT/vm-KVER-lat.json (default OUT:
# bench/results).  Needs tests/vm/setup.sh to have been run for KVER.
set -euo pipefail
D=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$D/.." && pwd)
KVER=${ZKVM_KERNEL:-6.12}
OUT=$D/results
QUICK=
while [ $# -gt 0 ]; do
	case $1 in
	--quick) QUICK=1 ;;
	--kernel) KVER=$2; shift ;;
	--out) OUT=$2; shift ;;
	*) echo "vm-bench: unknown option $1" >&2; exit 2 ;;
	esac
	shift
done
RUN=$ROOT/tests/vm/run.sh
[ -x "$RUN" ] || { echo "vm-bench: $RUN missing: the VM harness is not there" >&2; exit 3; }
BUILD=${BUILD:-}
if [ -z "$BUILD" ]; then
	for b in "$ROOT/build-bench" "$ROOT/build"; do
		[ -f "$b/src/libzonekit.a" ] && { BUILD=$b; break; }
	done
fi
[ -n "$BUILD" ] && [ -f "$BUILD/src/libzonekit.a" ] ||
	{ echo "vm-bench: no libzonekit.a: build first (bench/run-all.sh does)" >&2; exit 1; }
mkdir -p "$OUT"
W=$(mktemp -d "${TMPDIR:-/tmp}/zk-vmbench.XXXXXX")
trap 'rm -rf "$W"' EXIT

uring_cflags= uring_libs=
if pkg-config --exists liburing 2>/dev/null && grep -q ZK_HAVE_URING "$BUILD/compile_commands.json" 2>/dev/null; then
	uring_cflags=-DZKB_HAVE_URING
	uring_libs=$(pkg-config --libs --static liburing)
fi
# zkbench's sources, and the tool's helpers it links (tools/meson.build)
gcc -O2 -Wall -Wextra -std=gnu11 -D_GNU_SOURCE -static $uring_cflags \
	-I"$ROOT/include" -I"$ROOT/tools" -o "$W/zkbench" "$D"/*.c \
	"$ROOT"/tools/cli_util.c "$ROOT"/tools/cli_json.c "$ROOT"/tools/cli_progress.c \
	"$BUILD/src/libzonekit.a" $uring_libs -lpthread -lm

if [ -n "$QUICK" ]; then
	ARGS="--quick --sizes 4K,64K --threads 1,4"
	LARGS="--quick --sizes 4K --threads 1,8 --zones shared"
else
	ARGS="--bytes 8M --min-ops 64 --seconds 20 --repeat 3"
	LARGS="--bytes 2M --min-ops 64 --sizes 4K,64K --threads 1,2,4,8 --seconds 20 --repeat 3"
fi
cat > "$W/guest.sh" <<EOF
#!/bin/sh
# guest side of bench/vm-bench.sh
set -u
rc=0
echo "== zkbench on /dev/nullb0 (no added latency)"
zkbench --dev /dev/nullb0 --no-progress $ARGS --json="\$OUT/nullb0.json" || rc=1
lat=\$(nullb-cfs zkblat zoned=1 zone_size=64 zone_capacity=64 zone_nr_conv=0 \
	zone_max_open=0 zone_max_active=0 memory_backed=1 gb=1 bs=4096 \
	max_sectors=2048 irqmode=2 completion_nsec=1000000) || exit 1
echo "== zkbench on \$lat (1 ms per command)"
zkbench --dev "\$lat" --no-progress $LARGS --json="\$OUT/lat.json" || rc=1
nullb-cfs -d zkblat
exit \$rc
EOF
chmod +x "$W/guest.sh"
NULLB=zoned=1,zone_size=64,zone_capacity=64,zone_nr_conv=0,zone_max_open=0,zone_max_active=0,memory_backed=1,gb=1,bs=4096,max_sectors=2048
start=$SECONDS
set +e
"$RUN" -q --kernel "$KVER" --no-zns --timeout 1800 --out "$W/out" --nullb "$NULLB" \
	-- "$W/guest.sh" "$W/zkbench"
rc=$?
set -e
tr -d '\r' < "$W/out/console.log" | sed -n '/^== zkbench/,/^zkvm: run.sh done/p' | grep -v '^zkvm:' || true
for f in nullb0 lat; do
	[ -f "$W/out/$f.json" ] && cp "$W/out/$f.json" "$OUT/vm-$KVER-$f.json"
done
echo "vm-bench: kernel $KVER: exit $rc after $((SECONDS - start))s; results in $OUT/vm-$KVER-*.json" >&2
exit $rc
