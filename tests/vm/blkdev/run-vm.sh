#!/bin/bash
# SPDX-License-Identifier: MIT
# zonekit's Linux backend on real zoned devices: builds blkdev_test statically against
# build/src/libzonekit.a and runs it in the test VM for each kernel, on null_blk (the
# harness's default: 64 MiB zones, 48 MiB capacity, 4 conventional, max open 4, max
# active 6, 4 KiB blocks) and QEMU NVMe ZNS, then once more on a 512-byte-block null_blk
# with no conventional zones, full-size zone capacity and no limits.
#   tests/vm/blkdev/run-vm.sh [KVER...]      (default: 6.1 6.12; build with ninja first)
# ZK_KEEP=1 keeps the console logs (they are kept anyway when a run fails).
# Needs tests/vm/setup.sh to have been run for the kernels.
set -euo pipefail
D=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$D/../../.." && pwd)
BUILD=${BUILD:-$ROOT/build}
KVERS=${*:-6.1 6.12}
W=$(mktemp -d "${TMPDIR:-/tmp}/zk-blkdev.XXXXXX")
[ -n "${ZK_KEEP:-}" ] || trap 'rm -rf "$W"' EXIT

[ -f "$BUILD/src/libzonekit.a" ] || { echo "run-vm: no $BUILD/src/libzonekit.a: build first" >&2; exit 1; }
gcc -O2 -Wall -Wextra -Werror -std=gnu11 -static -I"$ROOT/include" -I"$ROOT/src" \
	-o "$W/blkdev_test" "$D/blkdev_test.c" "$BUILD/src/libzonekit.a" \
	$(pkg-config --libs --static liburing 2>/dev/null) -lpthread

pass=0 fail=0
run() { # NAME RUN.SH-OPTIONS...
	local name=$1; shift
	if "$D/../run.sh" -q --timeout 600 --out "$W/out-$name" "$@" -- \
		"$D/guest.sh" "$W/blkdev_test"; then
		pass=$((pass + 1)); echo "run-vm: $name: passed"
	else
		fail=$((fail + 1)); trap - EXIT
		echo "run-vm: $name: FAILED (log: $W/out-$name/console.log)"
		grep -E '^(FAIL|  zone)' "$W/out-$name/console.log" | head -20 || true
	fi
}
for k in $KVERS; do
	run "$k" --kernel "$k"
	run "$k-512" --kernel "$k" --no-zns \
		--nullb zoned=1,zone_size=16,zone_nr_conv=0,memory_backed=1,gb=1,bs=512
done
echo "run-vm: $pass passed, $fail failed${ZK_KEEP:+; logs in $W}"
[ "$fail" = 0 ]
