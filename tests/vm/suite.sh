#!/bin/bash
# SPDX-License-Identifier: MIT
# The real-device test suite (scripts/test.sh runs it): for each guest kernel, one boot of
# the QEMU test VM with null_blk (/dev/nullb0) and NVMe ZNS (/dev/nvme0n1), running
#   conformance   the unit tests' cases on nullb0, nvme0n1, a 512-byte-block null_blk, a
#                 scsi_debug ZBC disk (512e) and, on 7.2, a zloop device, zonekit's view
#                 compared with BLKREPORTZONE after every step
#   concurrent    (part of conformance) 8 threads appending to one zone and to several,
#                 and queues; byte for byte; merged writes counted
#   differential  a seeded 10 000-op script on the emulated device, on null_blk through
#                 zonekit and on null_blk raw, compared op by op
#   faults        failed writes: a configfs null_blk with bad blocks (badblocks), zonekit's
#                 recovery checked against BLKREPORTZONE and every append read back
#   blkdev_test   the Linux backend's own tests (tests/vm/blkdev), and on zloop (7.2)
#   zloop_interop (7.2) a zonekit device attached as /dev/zloopN and back ('zonekit zloop'):
#                 zone reports and data compared both ways (zloop-interop.sh)
#   serve         zonekit serve: a boot of its own per kernel (tests/vm/serve/serve.sh)
# Environment:
#   ZKVM_KERNELS  kernels to boot (default "6.12 7.2"; 6.1 is there too: "6.1 6.12 7.2")
#   ZKVM_SEED     the differential script's seed (default 1); ZKVM_OPS its length (10000)
#   ZKVM_KEEP=1   keep the work directory (kept anyway when something failed)
#   BUILD         the meson build directory (default build)
# Exit status 0 only if every test passed on every kernel. A VM that cannot be set up or
# started, or that hangs, is a failure, never a skip.
set -uo pipefail
D=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$D/../.." && pwd)
BUILD=${BUILD:-$ROOT/build}
KERNELS=${ZKVM_KERNELS:-6.12 7.2}
SEED=${ZKVM_SEED:-1}
NOPS=${ZKVM_OPS:-10000}
W=$(mktemp -d "${TMPDIR:-/tmp}/zk-vmsuite.XXXXXX")
T0=$SECONDS
say() { echo "vm-suite: $*"; }
die() { echo "vm-suite: ERROR: $*" >&2; echo "vm-suite: FAILED (work directory $W)"; exit 1; }

# ---- the test bed (idempotent) ----
t=$SECONDS
"$D/setup.sh" $KERNELS || die "setup.sh failed: the VM test bed cannot be prepared"
say "setup.sh: $((SECONDS - t)) s"

# ---- static test programs ----
t=$SECONDS
if [ ! -f "$BUILD/build.ninja" ]; then
	meson setup "$BUILD" "$ROOT" > /dev/null || die "meson setup $BUILD failed"
fi
ninja -C "$BUILD" src/libzonekit.a tools/map_assets.c > /dev/null ||
	die "cannot build $BUILD/src/libzonekit.a and tools/map_assets.c"
CC=(gcc -O2 -Wall -Wextra -Werror -std=gnu11 -static -I"$ROOT/include" -I"$ROOT/src")
LIBS=("$BUILD/src/libzonekit.a" $(pkg-config --libs --static liburing 2>/dev/null || echo -luring) -lpthread)
mkdir -p "$W/share"
for p in conformance differential faults; do
	"${CC[@]}" -o "$W/share/$p" "$D/$p.c" "${LIBS[@]}" || die "cannot build $p"
done
"${CC[@]}" -o "$W/share/blkdev_test" "$D/blkdev/blkdev_test.c" "${LIBS[@]}" ||
	die "cannot build blkdev_test"
# the zonekit tool, for zloop-interop.sh
gcc -O2 -Wall -Wextra -Werror -std=gnu11 -D_GNU_SOURCE -DZONEKIT_SERVE -static \
	-I"$ROOT/include" -I"$ROOT/tools" -o "$W/share/zonekit" "$ROOT"/tools/*.c \
	"$BUILD/tools/map_assets.c" "$ROOT"/tools/serve/*.c "${LIBS[@]}" || die "cannot build a static zonekit"
cp "$D/guest-suite.sh" "$W/share/run.sh"
cp "$D/zloop-interop.sh" "$W/share/"
cp "$D/blkdev/guest.sh" "$W/share/blkdev-guest.sh"
echo "$SEED" > "$W/share/seed"
echo "$NOPS" > "$W/share/nops"
say "static programs built: $((SECONDS - t)) s"

# ---- one boot per kernel ----
fail=0
declare -A KSTATUS KSECS
for k in $KERNELS; do
	t=$SECONDS
	say "kernel $k: booting (null_blk + NVMe ZNS), running the suite"
	# 2 GiB: null_blk's and zloop's data and scsi_debug's whole disk are in guest memory
	ZKVM_MEM=${ZKVM_MEM:-2G} "$D/run.sh" -q --kernel "$k" --timeout "${ZKVM_TIMEOUT:-2400}" --out "$W/out-$k" \
		-- "$W/share"
	rc=$?
	KSECS[$k]=$((SECONDS - t))
	grep -E '^suite-guest:|^(differential|conformance) ' "$W/out-$k/console.log" 2>/dev/null |
		tr -d '\r' | sed "s/^/[$k] /"
	case $rc in
	0) KSTATUS[$k]=passed ;;
	124) KSTATUS[$k]="FAILED: the guest hung (killed after the timeout)"; fail=1 ;;
	125) KSTATUS[$k]="FAILED: the VM could not be set up or started, or gave no status"; fail=1 ;;
	*) KSTATUS[$k]="FAILED (guest exit $rc)"; fail=1 ;;
	esac
	if [ ! -s "$W/out-$k/results.txt" ]; then
		KSTATUS[$k]="FAILED: no results from the guest (exit $rc)"
		fail=1
		tail -n 30 "$W/out-$k/console.log" 2>/dev/null
	fi
done

# ---- zonekit serve (tests/vm/serve/serve.sh): a boot of its own per kernel ----
SERVE_RC=
if [ -x "$D/serve/serve.sh" ]; then
	t=$SECONDS
	BUILD=$BUILD "$D/serve/serve.sh" --out "$W/serve" $KERNELS > "$W/serve.log" 2>&1
	SERVE_RC=$?
	grep -E '^serve: ' "$W/serve.log"
	SERVE_SUMMARY="$(tail -n 1 "$W/serve.log") [$((SECONDS - t)) s]"
	[ "$SERVE_RC" = 0 ] || fail=1
fi

# ---- summary ----
echo
echo "==== VM suite summary (seed $SEED, $NOPS differential ops) ===="
pass=0 nfail=0
for k in $KERNELS; do
	echo "kernel $k: ${KSTATUS[$k]} (${KSECS[$k]} s)"
	if [ -s "$W/out-$k/results.txt" ]; then
		while read -r _ test dev status detail; do
			printf '  %-13s %-38s %s  %s\n' "$test" "$dev" "$status" "$detail"
			if [ "$status" = PASS ]; then pass=$((pass + 1)); else nfail=$((nfail + 1)); fi
		done < "$W/out-$k/results.txt"
	else
		nfail=$((nfail + 1))
	fi
done
if [ -n "$SERVE_RC" ]; then
	echo "zonekit serve (tests/vm/serve): $SERVE_SUMMARY"
	if [ "$SERVE_RC" = 0 ]; then pass=$((pass + 1)); else nfail=$((nfail + 1)); fi
fi
[ "$nfail" = 0 ] || fail=1
echo "vm-suite: $pass passed, $nfail failed; $((SECONDS - T0)) s in all (logs: $W)"
if [ "$fail" = 0 ] && [ -z "${ZKVM_KEEP:-}" ]; then
	rm -rf "$W"
fi
exit "$fail"
