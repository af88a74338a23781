#!/bin/bash
# SPDX-License-Identifier: MIT
# Run fio's zoned job shapes in examples/fio/*.fio through the zonekit fio
# engine, and print a table of the results.
#
#   examples/fio/run.sh [--build DIR] [--engine SO] [--zonekit CLI]
#                       [--dev DEV] [--max-open N] [JOB.fio...]
#
# Without --dev, an emulated device is made in a temporary directory:
# 2 conventional + 128 sequential zones of 16 MiB, at most 32 open (as a
# drive fio's zbd-rand-write.fio was written for).  With --dev, a zoned
# block device (/dev/nullb0...) or an emulated device directory: its zones
# are reset by the jobs (fio resets the zones it verifies).  It needs at
# least 128 sequential zones.
# Exit status: 0 if every job file passed.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
die() { echo "run.sh: ERROR: $*" >&2; exit 2; }
BUILD=$REPO/build ENGINE='' ZKCLI='' DEV='' MAXOPEN=''
while [ $# -gt 0 ]; do
	case $1 in
	--build) BUILD=$2; shift ;;
	--engine) ENGINE=$2; shift ;;
	--zonekit) ZKCLI=$2; shift ;;
	--dev) DEV=$2; shift ;;
	--max-open) MAXOPEN=$2; shift ;;
	-h|--help) sed -n '2,/^set -e/p' "$0" | sed 's/^# \{0,1\}//;/^set -e/d'; exit 0 ;;
	-*) die "unknown option $1" ;;
	*) break ;;
	esac
	shift
done
JOBS=("$@")
[ ${#JOBS[@]} -gt 0 ] || JOBS=("$HERE"/zbd-rand-write.fio "$HERE"/zbd-rand-write-append.fio "$HERE"/zbd-reset-gc.fio)
ENGINE=$(realpath "${ENGINE:-$BUILD/fio/zonekit-fio.so}")
ZKCLI=$(realpath "${ZKCLI:-$BUILD/tools/zonekit}")
[ -f "$ENGINE" ] || die "no engine at $ENGINE (see fio/README)"
command -v fio >/dev/null || die "fio is not installed"

T=$(mktemp -d "${TMPDIR:-/tmp}/zkfio-examples.XXXXXX")
trap 'rm -rf "$T"' EXIT
if [ -z "$DEV" ]; then
	[ -x "$ZKCLI" ] || die "no zonekit CLI at $ZKCLI"
	DEV=$T/dev
	"$ZKCLI" create "$DEV" --capacity 2080M --zone-size 16M --conv 2 \
		--max-open 32 >/dev/null
fi

# the device's geometry, for the job files
if [ -b "$DEV" ]; then
	b=$(basename "$(realpath "$DEV")")
	zone_size=$(( $(cat /sys/block/$b/queue/chunk_sectors) * 512 ))
	dev_max_open=$(cat /sys/block/$b/queue/max_open_zones 2>/dev/null || echo 0)
	# the first sequential zone (blkzone report: type 2)
	seq0=$(blkzone report "$DEV" | sed -n 's/^ *start: \(0x[0-9a-f]*\),.*type: 2(.*/\1/p' | head -n1)
	seq0=$(( seq0 * 512 ))
else
	info=$("$ZKCLI" info "$DEV" --json)
	num() { sed -n "s/.*\"$1\": \([0-9]*\).*/\1/p" <<<"$info" | head -n1; }
	zone_size=$(num zone_size)
	dev_max_open=$(num max_open)
	seq0=$(( $(num nr_conv_zones) * zone_size ))
fi
MAXOPEN=${MAXOPEN:-$(( dev_max_open > 0 && dev_max_open < 32 ? dev_max_open : 32 ))}
export ZK_FIO_ENGINE=$ENGINE ZK_FIO_DEV=$DEV ZK_FIO_SEQ0=$seq0
JOBMAXOPEN=$(( MAXOPEN / 4 > 0 ? MAXOPEN / 4 : 1 ))
export ZK_FIO_MAXOPEN=$MAXOPEN ZK_FIO_JOB_MAXOPEN=$JOBMAXOPEN ZK_FIO_ZONE_SIZE=$zone_size
echo "device $DEV: zones of $((zone_size >> 20)) MiB, first sequential zone at $seq0," \
	"device open limit ${dev_max_open:-0}, fio max_open_zones $MAXOPEN"

fail=0
printf '%-28s %-5s %9s %9s %7s %6s  %s\n' "job file" result written read resets secs notes > "$T/table"
for job in "${JOBS[@]}"; do
	name=$(basename "$job" .fio)
	out=$T/$name.out
	start=$SECONDS
	if fio --aux-path="$T" "$job" > "$out" 2>&1; then rc=0; else rc=$?; fi
	secs=$((SECONDS - start))
	notes=
	if [ $rc != 0 ]; then notes="fio exit $rc"; fi
	if grep -q -e 'verify: bad' -e 'err= *[1-9]' -e '^zonekit: .*landed at' "$out"; then
		notes="${notes:+$notes; }errors in the output"
	fi
	# totals of the run status lines; resets from the per-group lines
	w=$(sed -n 's/^ *WRITE: .* io=\([^ ]*\) .*/\1/p' "$out" | paste -sd+ -)
	r=$(sed -n 's/^ *READ: .* io=\([^ ]*\) .*/\1/p' "$out" | paste -sd+ -)
	z=$(sed -n 's/.*; \([0-9]*\) zone resets$/\1/p' "$out" | awk '{s += $1} END {print s + 0}')
	res=PASS
	[ -z "$notes" ] || { res=FAIL; fail=1; }
	printf '%-28s %-5s %9s %9s %7s %6s  %s\n' "$name" "$res" "${w:--}" "${r:--}" \
		"${z:-0}" "$secs" "$notes" >> "$T/table"
	if [ $res = FAIL ]; then
		echo "---- $name: fio output"; cat "$out"
	fi
	cp "$out" "${ZK_FIO_KEEP:-$T}/" 2>/dev/null || true
done
cat "$T/table"
exit $fail
