#!/bin/bash
# SPDX-License-Identifier: MIT
# Tests of the zonekit command-line tool, driven as a user would drive it,
# on fresh emulated devices in a temporary directory.  TAP output.
#
#   tests/cli/test_cli.sh ZONEKIT              the functional tests
#   tests/cli/test_cli.sh ZONEKIT --valgrind   a few commands under memcheck
#
# ZONEKIT is the path of the built tool (or set $ZONEKIT).
set -u

ZK=${1:-${ZONEKIT:-}}
MODE=${2:-}
if [ -z "$ZK" ] || [ ! -x "$ZK" ]; then
	echo "usage: $0 PATH-TO-ZONEKIT [--valgrind]" >&2
	exit 2
fi
for tool in jq python3 cmp; do
	command -v "$tool" >/dev/null || { echo "1..0 # SKIP $tool missing"; exit 0; }
done

T=$(mktemp -d "${TMPDIR:-/tmp}/zonekit-cli.XXXXXX")
trap 'rm -rf "$T"' EXIT
OUT=$T/out
ERR=$T/err
n=0
failed=0
RUNNER=()

# ---- TAP ----------------------------------------------------------------

pass() { n=$((n + 1)); echo "ok $n - $1"; }
fail() {
	n=$((n + 1)); failed=$((failed + 1))
	echo "not ok $n - $1"
	[ -s "$ERR" ] && sed 's/^/#   stderr: /' "$ERR" | head -5
	return 0
}
check() { # DESC COMMAND...: ok if COMMAND succeeds
	local desc=$1; shift
	if "$@"; then pass "$desc"; else fail "$desc"; fi
}

# ---- running zonekit ----------------------------------------------------

# zk ARGS...: run the tool; $rc, $OUT and $ERR hold what happened.
zk() {
	"${RUNNER[@]}" "$ZK" "$@" >"$OUT" 2>"$ERR"
	rc=$?
}

# expect RC DESC ARGS...: run, and check the exit status.
expect() {
	local want=$1 desc=$2; shift 2
	zk "$@"
	if [ "$rc" -eq "$want" ]; then pass "$desc"; else fail "$desc (exit $rc, want $want)"; fi
}

# expect_error RC REGEX DESC ARGS...: run; check the exit status and that
# stderr says REGEX.  Failures (1) are one "zonekit: CMD: ..." line; usage
# errors (2) come with a usage hint.
expect_error() {
	local want=$1 regex=$2 desc=$3; shift 3
	zk "$@"
	if [ "$rc" -ne "$want" ]; then
		fail "$desc (exit $rc, want $want)"
	elif ! grep -Eq -- "$regex" "$ERR"; then
		fail "$desc (stderr does not match /$regex/)"
	elif [ "$want" -eq 1 ] && { [ "$(wc -l <"$ERR")" -ne 1 ] || ! grep -q "^zonekit: $1: " "$ERR"; }; then
		fail "$desc (not one 'zonekit: $1: ...' line)"
	elif [ "$want" -eq 2 ] && ! grep -q "^Usage: zonekit\|Try 'zonekit" "$ERR"; then
		fail "$desc (no usage hint)"
	else
		pass "$desc"
	fi
}

valid_json() { jq -e . "$1" >/dev/null; }

# jqv FILTER: the value FILTER picks from the JSON in $OUT.
jqv() { jq -r "$1" "$OUT"; }

# is DESC GOT WANT
is() {
	if [ "$2" = "$3" ]; then pass "$1"; else fail "$1 (got '$2', want '$3')"; fi
}

# zone_field DEV OFS FIELD: a field of the zone containing OFS.
zone_field() {
	"$ZK" report "$1" --offset "$2" --count 1 --json | jq -r ".zones[0].$3"
}

# pattern_file FILE SIZE BYTE(octal)
pattern_file() { head -c "$2" /dev/zero | tr '\0' "\\$3" >"$1"; }

K=1024
M=$((1024 * 1024))

# ---- valgrind mode ------------------------------------------------------

run_valgrind() {
	command -v valgrind >/dev/null || { echo "1..0 # SKIP valgrind missing"; exit 0; }
	RUNNER=(valgrind -q --error-exitcode=99 --leak-check=full
		--errors-for-leak-kinds=definite,indirect)
	local D=$T/vg
	expect 0 "valgrind: create" create "$D" --capacity 8M --zone-size 1M --conv 1
	expect 0 "valgrind: info --json" info "$D" --json
	expect 0 "valgrind: append" append "$D" 1M --size 8K --pattern 7
	expect 0 "valgrind: write" write "$D" $((M + 8 * K)) --size 4K
	expect 0 "valgrind: report --json" report "$D" --json
	expect 0 "valgrind: report table" report "$D"
	expect 0 "valgrind: read" read "$D" 1M 12K -o "$T/vg.bin"
	expect 0 "valgrind: finish" finish "$D" 1M
	expect 0 "valgrind: reset --all" reset "$D" --all
	expect 0 "valgrind: set-cond read-only" set-cond "$D" 2M read-only
	expect 1 "valgrind: write to a read-only zone fails" write "$D" 2M --size 4K
	expect 1 "valgrind: write off the wp fails" write "$D" $((3 * M + 4 * K)) --size 4K
	expect 2 "valgrind: unknown option" report "$D" --bogus
	expect 0 "valgrind: resync" resync "$D"
	expect 0 "valgrind: --help" write --help
	echo "1..$n"
	[ "$failed" -eq 0 ]
	exit $?
}
if [ "$MODE" = "--valgrind" ]; then
	run_valgrind
fi

# ---- version, help, usage -----------------------------------------------

expect 0 "--version" --version
check "--version prints the version" grep -Eq '^zonekit [0-9]+\.[0-9]+\.[0-9]+$' "$OUT"
expect 0 "help" help
COMMANDS="create info report reset open close finish append write read resync set-cond power-cycle zloop"
for c in $COMMANDS; do
	check "help lists $c" grep -q "^  $c " "$OUT"
done
expect 0 "--help" --help
for c in $COMMANDS; do
	zk "$c" --help
	if [ "$rc" -eq 0 ] && grep -q "^Usage: zonekit $c " "$OUT" && [ ! -s "$ERR" ]; then
		pass "$c --help: usage on stdout, exit 0"
	else
		fail "$c --help (exit $rc)"
	fi
	zk help "$c"
	if [ "$rc" -eq 0 ] && grep -q "^Usage: zonekit $c " "$OUT"; then
		pass "help $c"
	else
		fail "help $c (exit $rc)"
	fi
done
expect_error 2 "Usage: zonekit COMMAND" "no command: usage, exit 2"
expect_error 2 "unknown command 'frobnicate'" "unknown command: exit 2" frobnicate
expect_error 2 "unknown command 'nope'" "help of an unknown command: exit 2" help nope

# ---- create, info, report -----------------------------------------------

D=$T/dev
expect 0 "create a 16 MiB device of 1 MiB zones, 2 conventional" \
	create "$D" --capacity 16M --zone-size 1MiB --conv 2 --max-append 64K
check "create made the geometry file" test -f "$D/geometry"
check "create made conventional zone files" test -e "$D/cnv-000000" -a -e "$D/cnv-000001"
check "create made sequential zone files" test -e "$D/seq-000002" -a -e "$D/seq-000015"

expect 0 "info" info "$D"
check "info shows the zone count" grep -Eq '^zones: +16 \(2 conventional, 14 sequential\)' "$OUT"
check "info shows the backend" grep -Eq '^backend: +emulated' "$OUT"
check "info shows the capacity" grep -Eq '^capacity: +16777216 \(16M\)' "$OUT"
check "info shows the conditions" grep -Eq '^conditions: +not-wp 2, empty 14$' "$OUT"

expect 0 "info --json" info "$D" --json
check "info --json is valid JSON" python3 -m json.tool "$OUT" /dev/null
is "info --json: nr_zones" "$(jqv .nr_zones)" 16
is "info --json: nr_conv_zones" "$(jqv .nr_conv_zones)" 2
is "info --json: capacity" "$(jqv .capacity)" $((16 * M))
is "info --json: zone_size" "$(jqv .zone_size)" $M
is "info --json: zone_capacity" "$(jqv .zone_capacity)" $M
is "info --json: block_size (default 4096)" "$(jqv .block_size)" 4096
is "info --json: max_append" "$(jqv .max_append)" 65536
is "info --json: max_open (no limit)" "$(jqv .max_open)" 0
is "info --json: backend" "$(jqv .backend)" emulated
is "info --json: device" "$(jqv .device)" "$D"
is "info --json: empty zones" "$(jqv .conditions.empty)" 14
is "info --json: not-wp zones" "$(jqv '.conditions["not-wp"]')" 2
is "info --json: every condition listed" "$(jqv '.conditions | keys | length')" 8

expect 0 "report --json" report "$D" --json
check "report --json is valid JSON (python)" python3 -m json.tool "$OUT" /dev/null
check "report --json is valid JSON (jq)" valid_json "$OUT"
is "report --json: 16 zones" "$(jqv '.zones | length')" 16
is "report --json: has the device info" "$(jqv '.nr_zones')" 16
is "report --json: zone starts are consecutive" \
	"$(jqv '[.zones | to_entries[] | select(.value.start != .key * 1048576)] | length')" 0
is "report --json: every zone 1 MiB long" "$(jqv '[.zones[] | select(.len != 1048576)] | length')" 0
is "report --json: zone 0 conventional" "$(jqv '.zones[0].type')" conventional
is "report --json: zone 0 not-wp" "$(jqv '.zones[0].cond')" not-wp
is "report --json: zone 1 conventional" "$(jqv '.zones[1].type')" conventional
is "report --json: zone 2 seq-write-required" "$(jqv '.zones[2].type')" seq-write-required
is "report --json: sequential zones empty, wp at start" \
	"$(jqv '[.zones[2:][] | select(.cond != "empty" or .wp != .start)] | length')" 0
is "report --json: zone fields" "$(jqv '.zones[3] | keys_unsorted | join(",")')" \
	"start,len,capacity,wp,type,cond"
is "report --json: numbers are numbers" "$(jqv '.zones[3].wp | type')" number

expect 0 "report table" report "$D"
is "report table: header and 16 rows" "$(wc -l <"$OUT")" 17
check "report table: header" grep -Eq '^ *ZONE +START +LEN +CAP +WP +TYPE +COND$' "$OUT"
check "report table: a sequential row" \
	grep -Eq '^ +2 +2097152 +1M +1M +2097152 +seq-write-required +empty$' "$OUT"

expect 0 "report --offset 5M --count 3" report "$D" --offset 5M --count 3 --json
is "report --offset --count: 3 zones" "$(jqv '[.zones[].start] | join(",")')" \
	"$((5 * M)),$((6 * M)),$((7 * M))"
expect 0 "report --offset in the middle of a zone" report "$D" --offset $((5 * M + 4096)) --count 1 --json
is "report: the zone containing the offset" "$(jqv '.zones[0].start')" $((5 * M))
expect 0 "report --offset 0x hex, --count past the end" report "$D" --offset 0xF00000 --count 100 --json
is "report: stops at the last zone" "$(jqv '.zones | length')" 1
expect 0 "report --offset 1MiB (KiB/MiB units)" report "$D" --offset 1MiB --count 1 --json
is "report --offset 1MiB" "$(jqv '.zones[0].start')" $M
expect 0 "report --offset 3072k (lower case unit)" report "$D" --offset 3072k --count 1 --json
is "report --offset 3072k" "$(jqv '.zones[0].start')" $((3 * M))
expect_error 1 "past the end" "report --offset past the end fails" report "$D" --offset 16M

# ---- append -------------------------------------------------------------

Z2=$((2 * M))
landed=()
for i in 1 2 3 4; do
	zk append "$D" 2M --size 8K --pattern 0xab
	landed+=("$(cat "$OUT")")
	[ "$rc" -eq 0 ] || break
done
is "append x4: exit 0" "$rc" 0
is "append x4: landed offsets consecutive" "${landed[*]}" \
	"$Z2 $((Z2 + 8 * K)) $((Z2 + 16 * K)) $((Z2 + 24 * K))"
is "append: wp after the appends" "$(zone_field "$D" 2M wp)" $((Z2 + 32 * K))
cond=$(zone_field "$D" 2M cond)
check "append: zone open or closed (got $cond)" test "$cond" = imp-open -o "$cond" = closed
expect 0 "append --json" append "$D" 2M --size 4K --json
is "append --json: landed" "$(jqv .landed)" $((Z2 + 32 * K))
is "append --json: len" "$(jqv .len)" 4096
expect 0 "read back the appended pattern" read "$D" 2M 8K -o "$T/app.bin"
pattern_file "$T/ab.bin" 8192 253
check "appended bytes are the pattern" cmp -s "$T/ab.bin" "$T/app.bin"

head -c 12288 /dev/urandom >"$T/rand12k"
expect 0 "append --file" append "$D" 3M --file "$T/rand12k"
is "append --file: landed at the zone start" "$(cat "$OUT")" $((3 * M))
expect 0 "read back the appended file" read "$D" 3M 12K -o "$T/rand12k.back"
check "appended file read back identical" cmp -s "$T/rand12k" "$T/rand12k.back"
head -c 5000 /dev/urandom >"$T/odd"
expect_error 1 "multiple of the block size" "append --file not a block multiple" \
	append "$D" 3M --file "$T/odd"
expect_error 1 "cannot open .*no-such-file" "append --file missing" \
	append "$D" 3M --file "$T/no-such-file"
expect_error 1 "multiple of the block size" "append --size not a block multiple" \
	append "$D" 3M --size 1000
expect_error 1 "not the start of a zone" "append to the middle of a zone" \
	append "$D" $((3 * M + 4096)) --size 4K
expect_error 1 "conventional" "append to a conventional zone" append "$D" 0 --size 4K
expect_error 1 "at most 65536 bytes" "append larger than max-append" append "$D" 3M --size 128K
expect_error 1 "past the end" "append past the end of the device" append "$D" 16M --size 4K
expect_error 2 "missing --size or --file" "append without data" append "$D" 3M
expect_error 2 "exclude each other" "append --size and --file" append "$D" 3M --size 4K --file "$T/odd"
expect_error 2 "invalid --pattern '256'" "append --pattern 256" append "$D" 3M --size 4K --pattern 256
expect_error 2 "pattern goes with --size" "append --pattern with --file" \
	append "$D" 3M --file "$T/rand12k" --pattern 1

# ---- write and read -----------------------------------------------------

head -c 16384 /dev/urandom >"$T/rand16k"
expect 0 "write --file at an empty zone's wp" write "$D" 4M --file "$T/rand16k"
check "write prints nothing" test ! -s "$OUT"
check "write: no progress on stderr when it is not a terminal" test ! -s "$ERR"
is "write: wp moved" "$(zone_field "$D" 4M wp)" $((4 * M + 16 * K))
is "write: data is durable in the zone file" "$(stat -c %s "$D/seq-000004")" 16384
expect 0 "read -o FILE" read "$D" 4M 16K -o "$T/r1"
check "read -o: same bytes" cmp -s "$T/rand16k" "$T/r1"
zk read "$D" 4M 16K
is "read to stdout: exit 0" "$rc" 0
check "read to stdout: same bytes" cmp -s "$T/rand16k" "$OUT"
expect 0 "write --size at the wp" write "$D" $((4 * M + 16 * K)) --size 4K --pattern 0x5a
is "write: wp moved again" "$(zone_field "$D" 4M wp)" $((4 * M + 20 * K))
expect_error 1 "write of 4096 bytes at 0x400000: not at the zone's write pointer \(0x405000\)" \
	"write off the wp: exit 1, says where the wp is" write "$D" 4M --size 4K
expect_error 1 "not at the zone's write pointer \(0x405000\)" \
	"write past the wp: exit 1" write "$D" $((4 * M + 64 * K)) --size 4K
expect_error 1 "not aligned to the block size" "write at an unaligned offset" \
	write "$D" $((4 * M + 20 * K + 512)) --size 4K
expect_error 1 "multiple of the block size" "write of an unaligned size" \
	write "$D" $((4 * M + 20 * K)) --size 1000
expect_error 1 "past the end of the device" "write past the end" write "$D" $((16 * M - 4096)) --size 8K

head -c 65536 /dev/urandom >"$T/conv"
expect 0 "write anywhere in a conventional zone" write "$D" 256K --file "$T/conv"
expect 0 "overwrite in a conventional zone" write "$D" 256K --file "$T/conv"
expect 0 "read the conventional zone" read "$D" 256K 64K -o "$T/conv.back"
check "conventional data read back" cmp -s "$T/conv" "$T/conv.back"

head -c $((1536 * K)) /dev/urandom >"$T/big"
expect 0 "write across a zone boundary into an empty zone" write "$D" 5M --file "$T/big"
is "write across: first zone full" "$(zone_field "$D" 5M cond)" full
is "write across: full zone wp = start + len" "$(zone_field "$D" 5M wp)" $((6 * M))
is "write across: next zone's wp" "$(zone_field "$D" 6M wp)" $((6 * M + 512 * K))
expect 0 "read across zones" read "$D" 5M 1536K -o "$T/big.back"
check "read across zones: same bytes" cmp -s "$T/big" "$T/big.back"
expect 0 "read past a wp reads zeros" read "$D" $((6 * M + 512 * K)) 8K -o "$T/zeros"
check "read past the wp: zeros" cmp -s "$T/zeros" <(head -c 8192 /dev/zero)
expect_error 1 "past the end of the device" "read past the end" read "$D" 15M 2M
expect_error 1 "not aligned" "read unaligned" read "$D" 100 4K
expect_error 1 "the zone at 0x500000 is full" "write to a full zone" write "$D" $((6 * M - 4096)) --size 4K
expect_error 2 "missing LEN" "read without LEN" read "$D" 0
expect_error 2 "option '-o' needs an argument" "read -o without FILE" read "$D" 0 4K -o
expect_error 1 "cannot create" "read -o into a missing directory" read "$D" 0 4K -o "$T/no/such/file"

# ---- zone operations ----------------------------------------------------

# The emulated device keeps open conditions in memory only: the next
# command finds an explicitly opened zone as after a power cycle (an empty
# zone empty, a written one closed).
expect 0 "open" open "$D" 7M
cond=$(zone_field "$D" 7M cond)
check "open: exp-open, or empty after the reopen (got $cond)" test "$cond" = exp-open -o "$cond" = empty
expect 0 "write into the open zone" write "$D" 7M --size 4K
expect 0 "close" close "$D" 7M
is "close: closed" "$(zone_field "$D" 7M cond)" closed
expect 0 "finish" finish "$D" 7M
is "finish: full" "$(zone_field "$D" 7M cond)" full
is "finish: wp at the zone end" "$(zone_field "$D" 7M wp)" $((8 * M))
expect_error 1 "open of the zone at 0x700000: it is full" "open a full zone" open "$D" 7M
expect 0 "reset" reset "$D" 7M
is "reset: empty" "$(zone_field "$D" 7M cond)" empty
is "reset: wp at the zone start" "$(zone_field "$D" 7M wp)" $((7 * M))
is "reset: zone file emptied" "$(stat -c %s "$D/seq-000007")" 0
expect 0 "write 4K to two zones" write "$D" 8M --size 4K
expect 0 "... and the next" write "$D" 9M --size 4K
expect 0 "finish OFS LEN (two zones)" finish "$D" 8M 2M
is "finish OFS LEN: first zone full" "$(zone_field "$D" 8M cond)" full
is "finish OFS LEN: second zone full" "$(zone_field "$D" 9M cond)" full
is "finish OFS LEN: not the third" "$(zone_field "$D" 10M cond)" empty
expect 0 "reset OFS LEN" reset "$D" 0x800000 0x200000
is "reset OFS LEN: both empty" \
	"$(zone_field "$D" 8M cond) $(zone_field "$D" 9M cond)" "empty empty"
expect_error 1 "not the start of a zone" "reset in the middle of a zone" reset "$D" $((3 * M + 4096))
expect_error 1 "not a whole number of zones" "reset of half a zone" reset "$D" 3M 512K
expect_error 1 "reset of the zone at 0x0: it is conventional" "reset of a conventional zone" reset "$D" 0
expect_error 1 "past the end" "reset past the end" reset "$D" 16M
expect_error 1 "reset of zones 0x0 to 0x300000: the zone at 0x0 is conventional" \
	"reset of a range starting with conventional zones" reset "$D" 0 3M
expect_error 2 "--all takes no OFS" "--all with OFS" reset "$D" 3M --all
expect_error 2 "missing OFS" "zone op without OFS" finish "$D"
expect_error 2 "missing DEV" "zone op without DEV" close

zk info "$D" --json
nonempty=$(jqv '[.conditions["imp-open"], .conditions["exp-open"], .conditions.closed] | add')
full_before=$(jqv '.conditions.full')
expect 0 "finish --all" finish "$D" --all
zk info "$D" --json
is "finish --all: open and closed zones are full" "$(jqv .conditions.full)" $((full_before + nonempty))
is "finish --all: none open or closed" \
	"$(jqv '[.conditions["imp-open"], .conditions["exp-open"], .conditions.closed] | add')" 0
is "finish --all: empty zones stay empty" "$(jqv .conditions.empty)" $((14 - full_before - nonempty))
expect 0 "reset --all" reset "$D" -a
zk info "$D" --json
is "reset --all: every sequential zone empty" "$(jqv .conditions.empty)" 14
is "reset --all: conventional zones untouched" "$(jqv '.conditions["not-wp"]')" 2
expect 0 "read conventional data after reset --all" read "$D" 256K 64K -o "$T/conv.back2"
check "reset --all leaves conventional data" cmp -s "$T/conv" "$T/conv.back2"

# ---- worn-out zones -----------------------------------------------------

expect 0 "set-cond read-only" set-cond "$D" 9M read-only
is "set-cond: zone read-only" "$(zone_field "$D" 9M cond)" read-only
expect_error 1 "read-only" "write to a read-only zone says read-only" write "$D" 9M --size 4K
expect_error 1 "the zone at 0x900000 is read-only" "append to a read-only zone" append "$D" 9M --size 4K
expect 0 "read a read-only zone" read "$D" 9M 4K -o /dev/null
expect 0 "set-cond offline" set-cond "$D" 10M offline
is "set-cond: zone offline" "$(zone_field "$D" 10M cond)" offline
expect_error 1 "the zone at 0xa00000 is offline" "read of an offline zone says offline" read "$D" 10M 4K
expect_error 1 "offline" "write to an offline zone says offline" write "$D" 10M --size 4K
expect_error 1 "the zone at 0xa00000 is offline" "read across an offline zone" read "$D" 9M 2M
zk info "$D" --json
is "info counts read-only zones" "$(jqv '.conditions["read-only"]')" 1
is "info counts offline zones" "$(jqv .conditions.offline)" 1
expect 0 "set-cond empty brings a read-only zone back" set-cond "$D" 9M empty
is "set-cond empty: zone empty" "$(zone_field "$D" 9M cond)" empty
expect 0 "write to the zone brought back" write "$D" 9M --size 4K
expect 0 "set-cond empty brings an offline zone back" set-cond "$D" 10M empty
is "offline zone back: empty" "$(zone_field "$D" 10M cond)" empty
expect_error 1 "conventional|set-cond" "set-cond on a conventional zone fails" set-cond "$D" 0 read-only
expect_error 1 "not the start of a zone" "set-cond in the middle of a zone" set-cond "$D" $((9 * M + 4096)) offline
expect_error 2 "invalid condition 'broken'" "set-cond with a bad condition" set-cond "$D" 9M broken

# ---- resync -------------------------------------------------------------

expect 0 "write 8K for resync" write "$D" 11M --size 8K
truncate -s 4096 "$D/seq-000011"
expect 0 "resync" resync "$D"
is "the wp is learnt from the zone file" "$(zone_field "$D" 11M wp)" $((11 * M + 4096))

# ---- conditions across commands; power-cycle ----------------------------

# Each command opens and closes the device: a clean close keeps which zones
# are open, as a real device keeps them whoever opens it; power-cycle gives
# what a power cycle leaves (partly written zones closed, explicitly opened
# empty ones empty).
P=$T/pc
expect 0 "create a device to power-cycle" create "$P" --capacity 8M --zone-size 1M
expect 0 "open an empty zone" open "$P" 1M
expect 0 "append to a zone" append "$P" 2M --size 8K
expect 0 "open a zone and append to it" open "$P" 3M
expect 0 "append to the explicitly open zone" append "$P" 3M --size 4K
is "kept across commands: opened empty zone exp-open" "$(zone_field "$P" 1M cond)" exp-open
is "kept across commands: appended zone imp-open" "$(zone_field "$P" 2M cond)" imp-open
is "kept across commands: opened, appended zone exp-open" "$(zone_field "$P" 3M cond)" exp-open
expect 0 "power-cycle" power-cycle "$P"
is "after power-cycle: opened empty zone empty" "$(zone_field "$P" 1M cond)" empty
is "after power-cycle: appended zone closed" "$(zone_field "$P" 2M cond)" closed
is "after power-cycle: opened, appended zone closed" "$(zone_field "$P" 3M cond)" closed
is "after power-cycle: wp kept" "$(zone_field "$P" 2M wp)" $((2 * M + 8 * K))
expect 0 "read after power-cycle" read "$P" 2M 8K -o "$T/pc.bin"
check "data kept across power-cycle" cmp -s "$T/pc.bin" <(head -c 8192 /dev/zero)
expect 0 "power-cycle twice" power-cycle "$P"
expect 0 "append after power-cycle" append "$P" 2M --size 4K
is "append after power-cycle: imp-open" "$(zone_field "$P" 2M cond)" imp-open
if command -v flock >/dev/null; then
	RUNNER=(flock -n "$P")
	expect_error 1 "open for writing by another program" \
		"power-cycle of a device open for writing" power-cycle "$P"
	RUNNER=()
fi
is "refused power-cycle: zone still imp-open" "$(zone_field "$P" 2M cond)" imp-open
expect_error 1 "cannot open .*/nope: .*No such file" "power-cycle a missing device" \
	power-cycle "$T/nope"
mkdir -p "$T/plain"
expect_error 1 "cannot open .*/plain: Not a zoned device" "power-cycle a directory without a geometry" \
	power-cycle "$T/plain"
expect_error 1 "cannot open .*/pc.bin: Not a zoned block device nor an emulated" "power-cycle a regular file" power-cycle "$T/pc.bin"
expect_error 2 "missing DEV" "power-cycle without DEV" power-cycle
expect_error 2 "unexpected argument 'x'" "power-cycle with an extra argument" power-cycle "$P" x

# ---- numbers and options ------------------------------------------------

expect_error 2 "invalid --offset '1x': unknown unit" "junk after a number" report "$D" --offset 1x
expect_error 2 "invalid --offset '-1': must not be negative" "negative offset" report "$D" --offset -1
expect_error 2 "invalid --offset '99999999999999999999999': too large" "overflowing offset" \
	report "$D" --offset 99999999999999999999999
expect_error 2 "invalid --offset '20000000P': too large" "offset overflowing with its unit" \
	report "$D" --offset 20000000P
expect_error 2 "invalid --offset '': empty" "empty offset" report "$D" --offset ''
expect_error 2 "invalid --offset 'abc': not a number" "not a number" report "$D" --offset abc
expect_error 2 "invalid --offset '4KB'" "KB (not a power of 1024 unit) rejected" report "$D" --offset 4KB
expect_error 2 "invalid --capacity '1.5G'" "fractional size" create "$T/x" --capacity 1.5G --zone-size 1M
expect_error 2 "invalid OFS 'zz'" "bad positional OFS names the argument" write "$D" zz --size 4K
expect_error 2 "invalid LEN '4Q'" "bad positional LEN names the argument" read "$D" 0 4Q
expect_error 2 "invalid --size '-4096'" "negative --size" write "$D" 12M --size -4096
expect_error 2 "invalid --count '0'" "--count 0" report "$D" --count 0
expect_error 2 "unknown option '--bogus'" "unknown long option" info "$D" --bogus
expect_error 2 "unknown option '-x'" "unknown short option" report "$D" -x
expect_error 2 "option '--offset' needs an argument" "option without its argument" report "$D" --offset
expect_error 2 "missing DEV" "missing DEV" info
expect_error 2 "unexpected argument 'extra'" "extra argument" info "$D" extra
expect_error 2 "missing --capacity" "create without --capacity" create "$T/x" --zone-size 1M
expect_error 2 "missing --zone-size" "create without --zone-size" create "$T/x" --capacity 1M
expect_error 1 "power of two" "create with a zone size not a power of two" \
	create "$T/x3" --capacity 12M --zone-size 3M
expect_error 1 "there must be at least one sequential zone" "create with only conventional zones" \
	create "$T/x4" --capacity 4M --zone-size 1M --conv 4
expect_error 1 "block size must be 512 or 4096" "create with a bad block size" \
	create "$T/x5" --capacity 4M --zone-size 1M --block-size 1000
expect_error 2 "invalid --capacity '0': must not be 0" "create --capacity 0" \
	create "$T/x6" --capacity 0 --zone-size 1M
expect_error 1 "cannot create" "create in a non-empty directory" \
	create "$D" --capacity 16M --zone-size 1M
expect_error 1 "cannot open .*/nope" "open a missing device" info "$T/nope"

# ---- devices of other shapes --------------------------------------------

S=$T/short
expect 0 "create with a short last zone and a zone capacity" \
	create "$S" --capacity 3584K --zone-size 1M --zone-capacity 768K --block-size 512
expect 0 "report the short device" report "$S" --json
is "short device: 4 zones" "$(jqv '.zones | length')" 4
is "short device: last zone length" "$(jqv '.zones[3].len')" $((512 * K))
is "short device: zone capacity" "$(jqv '.zones[0].capacity')" $((768 * K))
is "short device: block size" "$(jqv .block_size)" 512
is "short device: write granularity" "$(jqv .write_granularity)" 512
expect 0 "write 512 bytes (block size 512)" write "$S" 0 --size 512
expect_error 1 "bytes are left in the zone \(its capacity ends at 0xc0000\)" "write past the zone capacity" \
	write "$S" 512 --size 768K
expect_error 1 "only $((768 * K - 512)) bytes are left in the zone" "append past the zone capacity" \
	append "$S" 0 --size 768K
expect 0 "append up to the zone capacity" append "$S" 0 --size $((768 * K - 512))
is "zone full at its capacity" "$(zone_field "$S" 0 cond)" full
is "full zone: wp = start + len" "$(zone_field "$S" 0 wp)" $M
expect_error 1 "the zone at 0x0 is full" "append to a full zone" append "$S" 0 --size 512
expect 0 "reset --all on a short last zone" reset "$S" --all

L=$T/limits
expect 0 "create with max-open 2, max-active 3" \
	create "$L" --capacity 8M --zone-size 1M --max-open 2 --max-active 3
expect 0 "explicit open of max-open zones (OFS LEN)" open "$L" 0 2M
expect_error 1 "too many open zones \(the device allows 2\)" "explicit open past max-open" \
	open "$L" 0 3M
# (explicitly open zones stay open after the command, as on a real device)
expect 0 "close the explicitly open zones" close "$L" 0 2M
for z in 0 1 2; do
	zk write "$L" ${z}M --size 4K
done
expect_error 1 "too many active zones \(the device allows 3\)" "write past max-active" \
	write "$L" 3M --size 4K

B=$T/many
expect 0 "create a device of 10240 zones" create "$B" --capacity 40M --zone-size 4K --block-size 4096
expect 0 "report --json of 10240 zones (several report chunks)" report "$B" --json
is "10240 zones reported" "$(jqv '.zones | length')" 10240
is "zone starts consecutive across chunks" \
	"$(jqv '[.zones | to_entries[] | select(.value.start != .key * 4096)] | length')" 0
expect 0 "report table of 10240 zones" report "$B"
is "10240 table rows" "$(wc -l <"$OUT")" 10241
expect 0 "report --offset --count across a chunk boundary" report "$B" --offset $((4090 * 4096)) --count 10 --json
is "zones across a chunk boundary" "$(jqv '.zones[9].start')" $((4099 * 4096))
expect 0 "info of 10240 zones" info "$B" --json
is "info counts 10240 empty zones" "$(jqv .conditions.empty)" 10240

# zloop attach checks the geometry against zloop before it touches the
# kernel: these need neither root nor zloop.
ZL=$T/zl
zk create "$ZL-last" --capacity 120M --zone-size 16M --zone-capacity 12M --conv 2
expect_error 1 "does not fit zloop: the last zone is smaller" \
	"zloop attach: a smaller last zone is refused" zloop attach "$ZL-last"
zk create "$ZL-zs" --capacity 8M --zone-size 512K
expect_error 1 "does not fit zloop: zone size 524288 is not a power of two MiB up to 16384 MiB" \
	"zloop attach: a zone size under 1 MiB is refused" zloop attach "$ZL-zs"
zk create "$ZL-cap" --capacity 64M --zone-size 16M --zone-capacity 12500K
expect_error 1 "does not fit zloop: zone capacity 12800000 is not a whole number of MiB" \
	"zloop attach: a zone capacity not in MiB is refused" zloop attach "$ZL-cap"
zk create "$ZL-act" --capacity 64M --zone-size 16M --max-active 2
expect_error 1 "does not fit zloop: max active zones 2" \
	"zloop attach: an active zone limit is refused" zloop attach "$ZL-act"
zk create "$ZL-off" --capacity 64M --zone-size 16M
zk set-cond "$ZL-off" 32M offline
expect_error 1 "does not fit zloop: the zone at 0x2000000 is offline" \
	"zloop attach: an offline zone is refused" zloop attach "$ZL-off"
zk create "$ZL-ok" --capacity 64M --zone-size 16M --zone-capacity 12M --conv 1
if command -v flock >/dev/null; then
	# the lock zonekit's writers hold on the directory, held here by flock(1)
	flock -n "$ZL-ok" "$ZK" zloop attach "$ZL-ok" >"$OUT" 2>"$ERR"
	rc=$?
	if [ "$rc" -eq 1 ] && grep -q "^zonekit: zloop: .* is open for writing" "$ERR"; then
		pass "zloop attach of a device open for writing is refused"
	else
		fail "zloop attach of a device open for writing (exit $rc)"
	fi
fi
expect_error 2 "missing attach or detach" "zloop without attach or detach: usage" zloop
expect_error 2 "unknown 'frob'" "zloop frob: usage" zloop frob
expect_error 2 "missing DIR" "zloop attach without DIR: usage" zloop attach
expect_error 2 "missing N" "zloop detach without N: usage" zloop detach
expect_error 1 "is not an emulated device|cannot open" "zloop attach of a file: failure" \
	zloop attach "$ZL-off/geometry"

echo "1..$n"
[ "$failed" -eq 0 ]
