#!/bin/bash
# SPDX-License-Identifier: MIT
# The guest tests of 'zonekit serve' (tests/vm/suite.sh runs this): for each
# kernel, one boot of the test VM running guest.sh with a static zonekit, the
# t_*.sh tests and the guest's tools (mkfs.btrfs, mkfs.f2fs, fsck.f2fs and their
# libraries, from Debian's packages installed on the host here).
#   tests/vm/serve/serve.sh [--out DIR] [--tests "report data ..."] [KERNEL...]
#   --tests LIST     the guest tests (default: report data append crash f2fs fio)
#   --fio-tests LIST fio's t/zbd tests to run (default: a subset that CI can afford,
#                    $FIO_CI_TESTS below; "all" for the whole suite, see doc/fio.md)
#   --fio-layout OPTS  zonekit create options of fio's device (default: section 5
#                    of fio's run-tests-against-nullb)
# fio is built statically from sid's source (build-fio.sh) and brought with fio's
# t/zbd scripts, bash and sg_inq; ZK_SERVE_NO_FIO=1 leaves fio out.
# KERNEL: as run.sh takes them (default: $ZKVM_KERNELS or 6.12).  A kernel without
# ublk (Debian's 6.1) or whose ublk has no zoned devices (< 6.6) reports SKIP.
# Prints one line per kernel and test, then "serve: N passed, N failed, N skipped";
# exit status 0 only if nothing failed.  A VM that cannot start or hangs fails.
set -uo pipefail
D=$(cd "$(dirname "$0")" && pwd)
VM=$(cd "$D/.." && pwd)
ROOT=$(cd "$D/../../.." && pwd)
BUILD=${BUILD:-$ROOT/build}
OUT='' TESTS='' FIO_TESTS='' FIO_LAYOUT=''
while [ $# -gt 0 ]; do
	case $1 in
	--out) OUT=$2; shift 2 ;;
	--tests) TESTS=$2; shift 2 ;;
	--fio-tests) FIO_TESTS=$2; shift 2 ;;
	--fio-layout) FIO_LAYOUT=$2; shift 2 ;;
	*) break ;;
	esac
done
KERNELS=${*:-${ZKVM_KERNELS:-6.12}}
OUT=${OUT:-$(mktemp -d "${TMPDIR:-/tmp}/zk-serve.XXXXXX")}
mkdir -p "$OUT"
say() { echo "serve: $*"; }
die() { echo "serve: ERROR: $*" >&2; exit 1; }
T0=$SECONDS

# ---- host: the VM, the guest's tools ----
"$VM/setup.sh" $KERNELS > "$OUT/setup.log" 2>&1 || die "setup.sh failed: $OUT/setup.log"
PKGS="btrfs-progs f2fs-tools sg3-utils"
missing=$(for p in $PKGS; do dpkg-query -W -f '${db:Status-Abbrev}' "$p" 2>/dev/null | grep -q '^ii' || echo "$p"; done)
if [ -n "$missing" ]; then
	DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -q \
		--no-install-recommends $missing > "$OUT/apt.log" 2>&1 || die "apt-get install $missing failed"
fi

# ---- the share: static zonekit, tests, tools and their libraries ----
S=$OUT/share
rm -rf "$S"; mkdir -p "$S/bin" "$S/lib"
if [ ! -f "$BUILD/build.ninja" ]; then
	meson setup "$BUILD" "$ROOT" > /dev/null || die "meson setup $BUILD failed"
fi
# (the map's style and script are generated sources: meson makes them)
ninja -C "$BUILD" src/libzonekit.a tools/map_assets.c > /dev/null ||
	die "cannot build libzonekit.a and tools/map_assets.c"
gcc -O2 -Wall -Wextra -Werror -std=gnu11 -D_GNU_SOURCE -DZONEKIT_SERVE -static \
	-I"$ROOT/include" -I"$ROOT/tools" -o "$S/zonekit" "$ROOT"/tools/*.c \
	"$BUILD/tools/map_assets.c" "$ROOT"/tools/serve/*.c "$BUILD/src/libzonekit.a" $(pkg-config --libs --static liburing 2>/dev/null || echo -luring) \
	-lpthread || die "cannot build a static zonekit"
cp "$D"/lib.sh "$D"/t_*.sh "$S/"
cp "$D/guest.sh" "$S/run.sh"
[ -z "$TESTS" ] || echo "$TESTS" > "$S/tests"
# fio: a representative subset of t/zbd for CI (the whole suite takes too long
# under TCG: doc/fio.md has a full run)
FIO_CI_TESTS="1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20"
if [ -z "${ZK_SERVE_NO_FIO:-}" ]; then
	FSRC=$("$D/build-fio.sh" 2> "$OUT/build-fio.log") || die "building fio failed: $OUT/build-fio.log"
	mkdir -p "$S/fio/t/zbd"
	cp "$FSRC/fio" "$S/fio/"
	cp "$FSRC/t/zbd/functions" "$FSRC/t/zbd/test-zbd-support" "$S/fio/t/zbd/"
	[ -z "$FIO_LAYOUT" ] || echo "$FIO_LAYOUT" > "$S/fio-layout"
	case ${FIO_TESTS:-ci} in
	all) echo 7200 > "$S/timeout" ;;
	ci) echo "$FIO_CI_TESTS" > "$S/fio-tests" ;;
	*) echo "$FIO_TESTS" > "$S/fio-tests" ;;
	esac
fi
for b in /usr/sbin/mkfs.btrfs /usr/sbin/mkfs.f2fs /usr/sbin/fsck.f2fs /bin/bash /usr/bin/sg_inq \
	/bin/grep /usr/bin/timeout; do # fio's t/zbd needs GNU grep -P and timeout -v
	cp "$b" "$S/bin/" || die "no $b"
	# the guest's loader is blkzone's (setup.sh): bring the other libraries
	ldd "$b" | grep -o '/[^ ]*' | grep -v ld-linux | xargs -r cp -L -t "$S/lib/"
done
say "share ready: $(du -sh "$S" | cut -f1) ($((SECONDS - T0)) s)"

# ---- one boot per kernel ----
fail=0
for k in $KERNELS; do
	t=$SECONDS
	ZKVM_MEM=${ZKVM_MEM:-2G} "$VM/run.sh" -q --no-zns --kernel "$k" \
		--timeout "${SERVE_VM_TIMEOUT:-1800}" --out "$OUT/out-$k" -- "$S"
	rc=$?
	if [ ! -s "$OUT/out-$k/results.txt" ]; then
		echo "RESULT serve-vm $k FAIL no results (run.sh exit $rc: 124 hung, 125 VM failed)" \
			>> "$OUT/out-$k/results.txt"
		tail -n 20 "$OUT/out-$k/console.log" 2>/dev/null
	elif [ $rc != 0 ] && ! grep -q ' FAIL ' "$OUT/out-$k/results.txt"; then
		echo "RESULT serve-vm $k FAIL guest exit $rc" >> "$OUT/out-$k/results.txt"
	fi
	say "kernel $k: $((SECONDS - t)) s"
done

pass=0 nfail=0 skip=0
for k in $KERNELS; do
	while read -r _ test kern status detail; do
		printf 'serve: %-16s %-24s %s  %s\n' "$test" "$kern" "$status" "$detail"
		case $status in
		PASS) pass=$((pass + 1)) ;;
		SKIP) skip=$((skip + 1)) ;;
		*) nfail=$((nfail + 1)) ;;
		esac
	done < "$OUT/out-$k/results.txt"
done
[ $nfail = 0 ] || fail=1
say "$pass passed, $nfail failed, $skip skipped; $((SECONDS - T0)) s in all (logs: $OUT)"
exit $fail
