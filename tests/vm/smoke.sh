#!/bin/bash
# SPDX-License-Identifier: MIT
# VM smoke test: for each guest kernel, blkzone report + zbd_probe on null_blk (module
# parameters and configfs) and on the QEMU NVMe ZNS namespace. Prints timings.
#   tests/vm/smoke.sh [KVER...]      (default: 6.1 6.12; runs setup.sh for them first)
set -euo pipefail
D=$(cd "$(dirname "$0")" && pwd)
KVERS=${*:-6.1 6.12}
W=$(mktemp -d "${TMPDIR:-/tmp}/zkvm-smoke.XXXXXX")
trap 'rm -rf "$W"' EXIT

t0=$SECONDS
"$D/setup.sh" $KVERS
echo "smoke: setup.sh took $((SECONDS - t0))s"
gcc -O2 -Wall -Wextra -static -o "$W/zbd_probe" "$D/zbd_probe.c"

pass=0 fail=0
for k in $KVERS; do
	t0=$SECONDS
	if "$D/run.sh" --kernel "$k" --timeout 300 --out "$W/out-$k" \
		--cfs zk1:zoned=1,zone_size=16,zone_capacity=16,zone_nr_conv=0,zone_max_open=8,gb=1,bs=4096,memory_backed=1 \
		-- "$D/smoke-guest.sh" "$W/zbd_probe"; then
		pass=$((pass + 1)); r=passed
	else
		fail=$((fail + 1)); r="FAILED (console log: $W/out-$k/console.log, kept)"; trap - EXIT
	fi
	echo "smoke: kernel $k: $r, boot+test $((SECONDS - t0))s"
done
echo "smoke: $pass passed, $fail failed"
[ "$fail" = 0 ]
