#!/bin/bash
# SPDX-License-Identifier: MIT
# Run fio's own zoned test suite, t/zbd/test-zbd-support (from the source
# of the installed fio, which fio/get-fio-source.sh fetches; never copied
# into zonekit), through the zonekit fio engine.
#
#   fio/zbd/run-test-zbd-support.sh [OPTIONS] [-- TEST-ZBD-SUPPORT OPTIONS]
#
# The device is either made here, an emulated zonekit device laid out as a
# section of fio's t/zbd/run-tests-against-nullb (1 GiB, 4 KiB blocks, 1 MiB
# zones or 4 MiB zones of 3 MiB capacity, 0/10/66 % conventional zones,
# max_open 8 via -o for sections 8-13), or given with --dev: an emulated
# device directory or a zoned block device (/dev/nullb0).
#
# fio's script is run unmodified.  What adapts it:
#  - a fio stand-in at WORK/fio, where the script looks for fio: the
#    installed fio with every ioengine replaced by zonekit-fio.so
#    (psync -> zonekit_sync=1, libaio -> the engine's queue);
#  - for an emulated device (a directory, which the script does not know):
#    a blkzone stand-in on PATH (fio/zbd/blkzone, the zonekit CLI behind
#    it), and the geometry the script reads from sysfs for a block device
#    (is_zbd, disk_size, logical_block_size, zone_size...) passed in the
#    environment, so that the script's own code takes it from there.
#
# Options:
#   --section N[,N...]|all   layouts of run-tests-against-nullb (2..13;
#                            default 2; section 1 is not zoned: not applicable)
#   --dev PATH               use this device instead (not reset unless -r)
#   --append                 every fio job writes with zk_append
#                            (zonekit_append=1: landed offsets are checked)
#   --max-append SIZE        the devices made here take appends of at most
#                            SIZE (null_blk: 124K); longer writes go as
#                            several appends
#   --native                 no stand-in: fio's own engines (libaio, psync),
#                            for a baseline on a block device
#   --fio PATH               the fio to run (default: fio on PATH)
#   --build DIR              zonekit build dir (default: <repo>/build)
#   --engine SO --zonekit CLI   explicit paths (default: from --build)
#   --fio-src DIR            configured fio source (default: get-fio-source.sh --find)
#   --out DIR                logs and results.tsv (default: a new temp dir)
#   --known-fail N[,N...]    tests known to fail whatever the device (fio 3.33's
#                            test 54, see doc/fio.md): reported, but they do not
#                            make the exit status nonzero
# TEST-ZBD-SUPPORT OPTIONS: -t N (one test; repeatable), -q, -z, -w, -r ...
# Exit status: 0 if every run reported every test and none failed (but
# the --known-fail ones).
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
die() { echo "run-test-zbd-support: ERROR: $*" >&2; exit 2; }

KNOWN='' MAXAPPEND=0 SECTIONS=2 DEV='' APPEND=0 NATIVE='' BUILD=$REPO/build ENGINE='' ZKCLI='' FIOSRC='' OUT=''
FIO=$(command -v fio || true)
while [ $# -gt 0 ]; do
	case $1 in
	--section) SECTIONS=$2; shift ;;
	--dev) DEV=$2; shift ;;
	--append) APPEND=1 ;;
	--max-append) MAXAPPEND=$2; shift ;;
	--native) NATIVE=1 ;;
	--fio) FIO=$2; shift ;;
	--build) BUILD=$2; shift ;;
	--engine) ENGINE=$2; shift ;;
	--zonekit) ZKCLI=$2; shift ;;
	--fio-src) FIOSRC=$2; shift ;;
	--out) OUT=$2; shift ;;
	--known-fail) KNOWN=$2; shift ;;
	--) shift; break ;;
	-h|--help) sed -n '2,/^set -e/p' "$0" | sed 's/^# \{0,1\}//;/^set -e/d'; exit 0 ;;
	*) die "unknown option $1" ;;
	esac
	shift
done
ZBD_OPTS=("$@")
ENGINE=${ENGINE:-$BUILD/fio/zonekit-fio.so}
ZKCLI=${ZKCLI:-$BUILD/tools/zonekit}
[ ! -e "$ENGINE" ] || ENGINE=$(realpath "$ENGINE")
[ ! -e "$ZKCLI" ] || ZKCLI=$(realpath "$ZKCLI")
[ -n "$FIO" ] && [ -x "$FIO" ] || die "no fio (install it, or give --fio)"
[ -n "$NATIVE" ] || [ -f "$ENGINE" ] || die "no engine at $ENGINE (build it: see fio/README)"
if [ -z "$DEV" ] || [ -d "$DEV" ]; then
	[ -x "$ZKCLI" ] || die "no zonekit CLI at $ZKCLI"
	command -v jq >/dev/null || die "jq is needed (apt-get install jq)"
fi
[ -z "$NATIVE" ] || [ -b "$DEV" ] || die "--native needs --dev BLOCKDEV"
FIOSRC=${FIOSRC:-$("$REPO/fio/get-fio-source.sh" --find)} ||
	die "no fio source: run fio/get-fio-source.sh"
[ -f "$FIOSRC/t/zbd/test-zbd-support" ] || die "no t/zbd/test-zbd-support in $FIOSRC"
[ "$SECTIONS" = all ] && SECTIONS=2,3,4,5,6,7,8,9,10,11,12,13
OUT=${OUT:-$(mktemp -d "${TMPDIR:-/tmp}/zkfio-zbd.XXXXXX")}
mkdir -p "$OUT"; OUT=$(realpath "$OUT")

# WORK/t/zbd/{test-zbd-support,functions}: fio's files as they are;
# WORK/fio: the stand-in; WORK/bin/blkzone: the stand-in.
WORK=$(mktemp -d "${TMPDIR:-/tmp}/zkfio-zbdwork.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
mkdir -p "$WORK/t/zbd" "$WORK/bin"
cp "$FIOSRC/t/zbd/test-zbd-support" "$FIOSRC/t/zbd/functions" "$WORK/t/zbd/"
if [ -n "$NATIVE" ]; then
	ln -s "$FIO" "$WORK/fio"
else
	cp "$HERE/fio" "$WORK/fio"
	# a copy: a rebuild during the run must not pull the engine away
	cp "$ENGINE" "$WORK/zonekit-fio.so"
	ENGINE=$WORK/zonekit-fio.so
fi
cp "$HERE/blkzone" "$WORK/bin/blkzone"
export ZKT_ENGINE=$ENGINE ZKT_ZONEKIT=$ZKCLI ZKT_APPEND=$APPEND ZKT_FIO=$FIO
export PATH=$WORK/bin:$PATH

# Lay out a section of run-tests-against-nullb (sizes in MiB).
section() {
	dev_size=1024 conv_pcnt=0 zone_size=1 zone_capacity=1 max_open=0
	case $1 in
	2) ;;
	3) zone_size=4 zone_capacity=3 ;;
	4) conv_pcnt=10 ;;
	5) conv_pcnt=10 zone_size=4 zone_capacity=3 ;;
	6) conv_pcnt=66 ;;
	7) dev_size=2048 conv_pcnt=66 zone_size=4 zone_capacity=3 ;;
	8) max_open=8 ;;
	9) zone_size=4 zone_capacity=3 max_open=8 ;;
	10) conv_pcnt=10 max_open=8 ;;
	11) conv_pcnt=10 zone_size=4 zone_capacity=3 max_open=8 ;;
	12) conv_pcnt=66 max_open=8 ;;
	13) dev_size=2048 conv_pcnt=66 zone_size=4 zone_capacity=3 max_open=8 ;;
	*) die "section $1: not a zoned layout (2..13)" ;;
	esac
	nr_conv=$((dev_size / zone_size * conv_pcnt / 100))
}

# Run the script on $1; results go to $OUT/$2.*
run_suite() {
	local dev=$1 tag=$2 rc
	local -a envs=()
	if [ -d "$dev" ]; then
		# what the script reads from sysfs and blkzone for a block device
		local info zs conv
		info=$("$ZKCLI" info "$dev" --json)
		zs=$(jq -r .zone_size <<<"$info")
		conv=$(jq -r .nr_conv_zones <<<"$info")
		envs=(is_zbd=true
		      disk_size="$(jq -r .capacity <<<"$info")"
		      logical_block_size="$(jq -r .block_size <<<"$info")"
		      zone_size="$zs" sectors_per_zone=$((zs / 512))
		      first_sequential_zone_sector=$((conv * zs / 512))
		      max_open_zones=0)
	fi
	echo "== $tag: test-zbd-support ${ZBD_OPTS[*]} ${SECTION_OPTS[*]} $dev"
	set +e
	(cd "$WORK/t/zbd" && env "${envs[@]}" bash ./test-zbd-support \
		"${SECTION_OPTS[@]}" "${ZBD_OPTS[@]}" "$dev") 2>&1 |
		tee "$OUT/$tag.out"
	rc=${PIPESTATUS[0]}
	set -e
	mkdir -p "$OUT/$tag.logs"
	cp "$WORK"/t/zbd/test-zbd-support.log.* "$OUT/$tag.logs/" 2>/dev/null || true
	rm -f "$WORK"/t/zbd/test-zbd-support.log.*
	sed -n 's/^Running test \([0-9]*\) \.\.\. \([A-Z]*\)\(.*\)$/\1\t\2\t\3/p' \
		"$OUT/$tag.out" | sed 's/\x1b\[[0-9;]*m//g; s/\t *$/\t/' |
		while IFS=$'\t' read -r t st why; do
			printf '%s\t%s\t%s\t%s\n' "$tag" "$t" "$st" "$(echo "$why" | sed 's/^ *//')"
		done >> "$OUT/results.tsv"
	return "$rc"
}

: > "$OUT/results.tsv"
status=0
if [ -n "$DEV" ]; then
	SECTION_OPTS=()
	run_suite "$DEV" "$(basename "$DEV")" || status=1
else
	IFS=, read -r -a secs <<<"$SECTIONS"
	for s in "${secs[@]}"; do
		section "$s"
		SECTION_OPTS=()
		((max_open)) && SECTION_OPTS=(-o "$max_open")
		dev=$OUT/dev-s$s
		rm -rf "$dev"
		"$ZKCLI" create "$dev" --capacity ${dev_size}M --zone-size ${zone_size}M \
			--zone-capacity ${zone_capacity}M --conv "$nr_conv" \
			--block-size 4096 --max-append "$MAXAPPEND" >/dev/null
		echo "== section $s: ${dev_size} MiB, ${zone_size} MiB zones of ${zone_capacity} MiB, $nr_conv conventional (${conv_pcnt}%), max_open ${max_open:-0}"
		run_suite "$dev" "s$s" || status=1
		rm -rf "$dev"
	done
fi

# summary: one line per run, then the tests that did not pass
awk -F'\t' '{n[$1]++; c[$1,$3]++} END {for (k in n) printf "%s: %d PASS, %d SKIP, %d FAIL\n", k, c[k,"PASS"], c[k,"SKIP"], c[k,"FAIL"]}' \
	"$OUT/results.tsv" | sort -V
awk -F'\t' '$3 != "PASS" {printf "  %s test %s: %s %s\n", $1, $2, $3, $4}' "$OUT/results.tsv"
echo "logs: $OUT"
# The script's exit status counts every failure; judge them here instead:
# a failure of a known-failing test is reported above but does not count.
# No results at all (the script could not start) is a failure.
[ -s "$OUT/results.tsv" ] || exit 1
ntests=$(grep -c '^test[0-9]*()' "$WORK/t/zbd/test-zbd-support")
short=$(awk -F'\t' -v n="$ntests" '{c[$1]++} END {for (k in c) if (c[k] < n) print k}' "$OUT/results.tsv")
if [ -n "$short" ] && [[ " ${ZBD_OPTS[*]} " != *" -t "* ]]; then
	echo "runs that did not report all $ntests tests: $short"
	exit 1
fi
unexpected=$(awk -F'\t' -v known=",$KNOWN," '$3 == "FAIL" && index(known, "," ($2 + 0) ",") == 0' "$OUT/results.tsv" | wc -l)
if [ -n "$KNOWN" ]; then
	echo "failures outside the known ones ($KNOWN): $unexpected"
	[ "$unexpected" -eq 0 ] && status=0
fi
exit $status
