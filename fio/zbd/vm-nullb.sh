#!/bin/bash
# SPDX-License-Identifier: MIT
# Run fio's t/zbd/test-zbd-support on null_blk (/dev/nullbN) in a QEMU guest
# of the zonekit VM test bed (tests/vm): for each section, once with fio's
# own engines (the baseline: what fio 3.33 does on null_blk by itself) and
# once through the zonekit engine, on a fresh null_blk each time.
#
#   fio/zbd/vm-nullb.sh [--build DIR] [--kernel KVER] [--section N[,N..]]
#                       [--size MiB] [--out DIR] [--timeout SEC]
#                       [--modes native,zonekit,append] [-- TEST-ZBD-SUPPORT OPTIONS]
#
# The sections are those of fio's t/zbd/run-tests-against-nullb (2..13), on
# a smaller device (--size, default 512 MiB: the guest has 1 GiB of RAM and
# null_blk keeps the data in it).  The guest gets the host's fio, bash, GNU
# tools and their libraries in the share (/mnt/sysroot), fio's t/zbd scripts
# from the source fio/get-fio-source.sh fetched, and zonekit-fio.so.
# Needs tests/vm/setup.sh to have been run.  Results: OUT/results.tsv and a
# table on stdout; logs under OUT.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
die() { echo "vm-nullb: ERROR: $*" >&2; exit 2; }
BUILD=$REPO/build KVER=6.1 SECTIONS=5,11 SIZE=512 OUT='' TIMEOUT=14400
MODES=native,zonekit
while [ $# -gt 0 ]; do
	case $1 in
	--build) BUILD=$2; shift ;;
	--kernel) KVER=$2; shift ;;
	--section) SECTIONS=$2; shift ;;
	--size) SIZE=$2; shift ;;
	--out) OUT=$2; shift ;;
	--timeout) TIMEOUT=$2; shift ;;
	--modes) MODES=$2; shift ;;
	--) shift; break ;;
	-h|--help) sed -n '2,/^set -e/p' "$0" | sed 's/^# \{0,1\}//;/^set -e/d'; exit 0 ;;
	*) die "unknown option $1" ;;
	esac
	shift
done
ZBD_OPTS="$*"
ENGINE=$BUILD/fio/zonekit-fio.so
[ -f "$ENGINE" ] || die "no engine at $ENGINE"
FIOSRC=$("$REPO/fio/get-fio-source.sh" --find) || die "no fio source: run fio/get-fio-source.sh"
OUT=${OUT:-$(mktemp -d "${TMPDIR:-/tmp}/zkfio-vm.XXXXXX")}
mkdir -p "$OUT"; OUT=$(realpath "$OUT")

S=$(mktemp -d "${TMPDIR:-/tmp}/zkfio-vmshare.XXXXXX")
trap 'rm -rf "$S"' EXIT
# the guest's tools: binaries and every library they load, same paths
bins=(/usr/bin/fio /bin/bash /bin/grep /bin/sed /usr/bin/mawk /usr/bin/timeout)
for c in sort stat readlink realpath mktemp tr head tail cat cp rm mkdir ln \
	 basename dirname env seq date printf tee wc paste comm sleep id cut; do
	bins+=("$(type -P "$c")")
done
copy() { mkdir -p "$S/sysroot$(dirname "$1")"; cp -L "$1" "$S/sysroot$1"; }
for b in "${bins[@]}"; do
	copy "$b"
	ldd "$b" | grep -o '/[^ ]*' | while read -r l; do copy "$l"; done
done
ln -s mawk "$S/sysroot/usr/bin/awk"
cp "$ENGINE" "$S/zonekit-fio.so"
ldd "$ENGINE" | grep -o '/[^ ]*' | while read -r l; do copy "$l"; done
mkdir -p "$S/fio-src/t/zbd" "$S/zbd"
cp "$FIOSRC/t/zbd/test-zbd-support" "$FIOSRC/t/zbd/functions" "$S/fio-src/t/zbd/"
cp "$HERE/run-test-zbd-support.sh" "$HERE/fio" "$HERE/blkzone" "$S/zbd/"

cat > "$S/run.sh" <<GUEST
# guest: busybox sh
SR=/mnt/sysroot
export LD_LIBRARY_PATH=\$SR/lib/x86_64-linux-gnu:\$SR/usr/lib/x86_64-linux-gnu:\$SR/usr/lib/x86_64-linux-gnu/ceph
export PATH=\$SR/bin:\$SR/usr/bin:\$PATH TMPDIR=/tmp
ln -sf \$SR/bin/bash /bin/bash
[ -e /dev/fd ] || ln -s /proc/self/fd /dev/fd   # bash's <(...)
fio --version
rc=0
for s in \$(echo "$SECTIONS" | tr , ' '); do
	conv=0 zs=1 zcap=1 mo=0 size=$SIZE
	case \$s in
	2) ;; 3) zs=4 zcap=3 ;; 4) conv=10 ;; 5) conv=10 zs=4 zcap=3 ;;
	6) conv=66 ;; 7) conv=66 zs=4 zcap=3 ;; 8) mo=8 ;; 9) zs=4 zcap=3 mo=8 ;;
	10) conv=10 mo=8 ;; 11) conv=10 zs=4 zcap=3 mo=8 ;; 12) conv=66 mo=8 ;;
	13) conv=66 zs=4 zcap=3 mo=8 ;;
	esac
	nconv=\$((size / zs * conv / 100))
	opts=""; [ \$mo = 0 ] || opts="-o \$mo"
	for mode in \$(echo "$MODES" | tr , ' '); do
		dev=\$(nullb-cfs s\$s completion_nsec=0 blocksize=4096 size=\$size \
			memory_backed=1 zoned=1 zone_size=\$zs zone_capacity=\$zcap \
			zone_nr_conv=\$nconv) || { rc=1; continue; }
		echo "== section \$s (\$mode): \$dev \${size} MiB, \${zs} MiB zones of \${zcap} MiB, \$nconv conventional, \$opts"
		case \$mode in
		native) m=--native ;; zonekit) m= ;; append) m=--append ;;
		esac
		bash /mnt/zbd/run-test-zbd-support.sh \$m --dev \$dev --fio \$SR/usr/bin/fio \
			--engine /mnt/zonekit-fio.so --fio-src /mnt/fio-src \
			--out \$OUT/\$mode-s\$s -- \$opts $ZBD_OPTS || rc=1
		sed "s/^[^\t]*/\$mode-s\$s/" \$OUT/\$mode-s\$s/results.tsv >> \$OUT/results.tsv
		nullb-cfs -d s\$s
	done
done
exit \$rc
GUEST
echo "share: $(du -sh "$S" | cut -f1); running the guest (kernel $KVER, timeout ${TIMEOUT}s)"
set +e
"$REPO/tests/vm/run.sh" --kernel "$KVER" --nullb off --no-zns --timeout "$TIMEOUT" \
	--out "$OUT" -q -- "$S"
rc=$?
set -e
[ -f "$OUT/results.tsv" ] || { echo "no results; see $OUT/console.log"; exit 1; }
awk -F'\t' '{n[$1]++; c[$1,$3]++} END {for (k in n) printf "%s: %d PASS, %d SKIP, %d FAIL\n", k, c[k,"PASS"], c[k,"SKIP"], c[k,"FAIL"]}' \
	"$OUT/results.tsv" | sort -V
awk -F'\t' '$3 == "FAIL" {printf "  %s test %s: FAIL\n", $1, $2}' "$OUT/results.tsv"
echo "logs: $OUT (console.log, MODE-sN/)"
exit $rc
