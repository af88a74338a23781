#!/bin/bash
# SPDX-License-Identifier: MIT
# Bad input to every command of the zonekit tool: missing, extra and
# malformed arguments, negative and huge sizes, unaligned offsets, zones
# out of range, and paths that are not devices (missing, a regular file,
# /dev/null, an empty directory, another directory, damaged devices).
#
# Every case must end with exit status 2 (a bad command line) or 1 (the
# operation failed), as zonekit(1) promises, never a crash (status >= 128)
# nor a sanitizer's or valgrind's report, with a "zonekit: ..." message on
# stderr, and must leave the device directory as it was (names, types,
# sizes, modes and content hashes of every file).
#
#   cli_badinput.sh ZONEKIT              all the cases (TAP)
#   cli_badinput.sh ZONEKIT --valgrind   a subset under valgrind memcheck
#
# Commands found in 'zonekit help' that this script does not know get the
# generic cases (no arguments, an unknown option, bad devices).
set -u

ZK=${1:-${ZONEKIT:-}}
MODE=${2:-}
if [ -z "$ZK" ] || [ ! -x "$ZK" ]; then
	echo "usage: $0 PATH-TO-ZONEKIT [--valgrind]" >&2
	exit 2
fi
RUNNER=()
if [ "$MODE" = --valgrind ]; then
	command -v valgrind >/dev/null || { echo "1..0 # SKIP valgrind missing"; exit 0; }
	RUNNER=(valgrind -q --error-exitcode=99 --leak-check=full
		--errors-for-leak-kinds=definite --show-leak-kinds=definite)
fi

T=$(mktemp -d "${TMPDIR:-/tmp}/zonekit-clibad.XXXXXX")
trap 'rm -rf "$T"' EXIT
OUT=$T/out
ERR=$T/err
n=0
failed=0

pass() { n=$((n + 1)); echo "ok $n - $1"; }
fail() {
	n=$((n + 1)); failed=$((failed + 1))
	echo "not ok $n - $1"
	[ -s "$ERR" ] && sed 's/^/#   stderr: /' "$ERR" | head -8
	return 0
}

# The state of a directory: every entry's name, type, size, mode, times
# and content (a tar archive of it, hashed).
digest() {
	[ -e "$1" ] || { echo "(missing)"; return; }
	tar --sort=name -cf - -C "$1" . 2>/dev/null | md5sum
}

# bad WANT DESC DIR ARGS...: run zonekit ARGS; the exit status must be
# WANT (1 or 2; "12" for either), stderr a zonekit message, and DIR (a
# device, or "-") unchanged.
bad() {
	local want=$1 desc=$2 dir=$3 before= after rc
	shift 3
	[ "$dir" != - ] && before=$(digest "$dir")
	"${RUNNER[@]}" "$ZK" "$@" >"$OUT" 2>"$ERR" </dev/null
	rc=$?
	if [ "$rc" -ge 128 ] || [ "$rc" -eq 99 ]; then
		fail "$desc: crashed or a memory error (exit $rc)"; return
	fi
	case $want in
	12) [ "$rc" -eq 1 ] || [ "$rc" -eq 2 ] ;;
	*) [ "$rc" -eq "$want" ] ;;
	esac || { fail "$desc: exit $rc, want $want"; return; }
	# "zonekit: CMD: what" (or the usage text, without a command)
	if ! grep -q '^zonekit: ' "$ERR" && ! grep -q '^Usage: zonekit' "$ERR"; then
		fail "$desc: no 'zonekit: ...' message on stderr"; return
	fi
	if grep -Eq 'Sanitizer|runtime error|==[0-9]+==' "$ERR"; then
		fail "$desc: a sanitizer's or valgrind's report"; return
	fi
	if [ "$dir" != - ]; then
		after=$(digest "$dir")
		if [ "$before" != "$after" ]; then
			fail "$desc: $dir changed"; return
		fi
	fi
	pass "$desc (exit $rc)"
}

# ---- fixtures -----------------------------------------------------------

mk() { "$ZK" "$@" >/dev/null 2>"$ERR" || { echo "Bail out! setup: zonekit $*: $(cat "$ERR")"; exit 1; }; }

DEV=$T/dev
mk create "$DEV" --capacity 8M --zone-size 1M --conv 1
mk append "$DEV" 0x100000 --size 8K --pattern 1
mk write "$DEV" 0 --size 4K --pattern 2
mk set-cond "$DEV" 0x700000 offline
FILE=$T/file;   printf 'not a device\n' >"$FILE"
EMPTY=$T/empty; mkdir "$EMPTY"
OTHER=$T/other; mkdir "$OTHER"; echo hi >"$OTHER/README"; : >"$OTHER/seq-000001"
ZERO=$T/zero;   : >"$ZERO"
ODD=$T/odd;     head -c 4097 /dev/zero >"$ODD"
BLK=$T/blk;     head -c 8192 /dev/zero >"$BLK"
# damaged devices
dmg() { local d=$T/$1; cp -a "$DEV" "$d"; echo "$d"; }
D_GEO=$(dmg dmg-geo);     printf 'garbage\n' >"$D_GEO/geometry"
D_NOGEO=$(dmg dmg-nogeo); rm "$D_NOGEO/geometry"
D_ZONE=$(dmg dmg-zone);   rm "$D_ZONE/seq-000003"
D_SIZE=$(dmg dmg-size);   truncate -s 4097 "$D_SIZE/seq-000002"
D_CONV=$(dmg dmg-conv);   truncate -s 0 "$D_CONV/cnv-000000"
D_COND=$(dmg dmg-cond);   printf 'seq-000000 offline\n' >"$D_COND/conditions"
BADDEVS=("/no/such/device" "$FILE" /dev/null "$EMPTY" "$OTHER" "$D_GEO"
	 "$D_NOGEO" "$D_ZONE" "$D_SIZE" "$D_CONV" "$D_COND")

# A command's arguments around DEV, to reach the device.
template() {
	case $1 in
	info|report|resync) echo "" ;;
	reset|open|close|finish) echo "0x100000" ;;
	append|write) echo "0x200000 --size 4096" ;;
	read) echo "0 4096" ;;
	set-cond) echo "0x200000 read-only" ;;
	fill) echo "--percent 50" ;;
	map) echo "-o $T/map.svg" ;;
	*) echo "" ;;
	esac
}

COMMANDS=$("$ZK" help | awk '/^Commands:/ {on = 1; next} on && /^  [a-z]/ {print $1} on && /^$/ {exit}')
[ -n "$COMMANDS" ] || { echo "Bail out! no commands in 'zonekit help'"; exit 1; }

if [ "$MODE" = --valgrind ]; then
	# A few of each kind under memcheck: it is slow.
	bad 2 "no arguments" - 
	bad 2 "unknown command" - frobnicate
	bad 1 "info: damaged geometry" "$D_GEO" info "$D_GEO"
	bad 1 "info: a zone file missing" "$D_ZONE" info "$D_ZONE"
	bad 1 "info: /dev/null" - info /dev/null
	bad 1 "report: a zone file of a partial block" "$D_SIZE" report "$D_SIZE"
	bad 2 "append: size -1" "$DEV" append "$DEV" 0x100000 --size -1
	bad 1 "append: to a conventional zone" "$DEV" append "$DEV" 0 --size 4K
	bad 1 "append: larger than a zone" "$DEV" append "$DEV" 0x100000 --size 2M
	bad 1 "write: below the wp" "$DEV" write "$DEV" 0x100000 --size 4K
	bad 1 "read: past the end" "$DEV" read "$DEV" 0 9M
	bad 1 "reset: a conventional zone" "$DEV" reset "$DEV" 0
	bad 2 "set-cond: unknown condition" "$DEV" set-cond "$DEV" 0x100000 full
	bad 1 "create: over a device" "$DEV" create "$DEV" --capacity 8M --zone-size 1M
	bad 1 "create: bad geometry" - create "$T/new" --capacity 8M --zone-size 3M
	for c in $COMMANDS; do
		bad 2 "$c: unknown option" - "$c" --no-such-option
	done
	echo "1..$n"
	exit $((failed > 0))
fi

# ---- every command: no arguments, an unknown option, bad devices ---------

bad 2 "no arguments" -
bad 2 "unknown command" - frobnicate
bad 2 "help of an unknown command" - help frobnicate
bad 2 "empty command name" - ""
for c in $COMMANDS; do
	sub=() # zloop: DEV comes after "attach"
	[ "$c" = zloop ] && sub=(attach)
	bad 2 "$c: no arguments" - "$c"
	bad 2 "$c: unknown option" "$DEV" "$c" "${sub[@]}" "$DEV" --no-such-option
	bad 2 "$c: unknown short option" "$DEV" "$c" "${sub[@]}" "$DEV" -Z
	# create makes DEV; stop takes a ublk device number (below)
	case $c in create|stop) continue ;; esac
	for d in "${BADDEVS[@]}"; do
		# shellcheck disable=SC2046
		bad 1 "$c: DEV $(basename "$d")" "$([ -d "$d" ] && echo "$d" || echo -)" \
			"$c" "${sub[@]}" "$d" $(template "$c")
	done
done

if echo "$COMMANDS" | grep -qx zloop; then
	bad 2 "zloop: neither attach nor detach" "$DEV" zloop "$DEV"
	bad 2 "zloop detach: N not a number" - zloop detach /dev/zloop0
	bad 2 "zloop detach: --id" - zloop detach 0 --id 1
	bad 2 "zloop attach: --id not a number" "$DEV" zloop attach "$DEV" --id x
	bad 1 "zloop attach: a geometry zloop cannot have" "$DEV" zloop attach "$DEV"
	bad 1 "zloop detach: no such device (or no zloop)" - zloop detach 4095
fi

if echo "$COMMANDS" | grep -qx stop; then
	bad 2 "stop: N not a number" - stop /dev/ublkb0
	bad 2 "stop: N negative" - stop -1
	bad 1 "stop: no such ublk device (or no ublk driver)" - stop 4095
fi

# ---- numbers: every SIZE/OFS parser ----------------------------------------

for v in -1 -0x1000 "" 0x x12 12x 1Q 1.5M 99999999999999999999 \
	 0x10000000000000000 18446744073709551616 17179869184P "1 M" " 1"; do
	bad 2 "append: size '$v'" "$DEV" append "$DEV" 0x100000 --size "$v"
	bad 2 "append: zone offset '$v'" "$DEV" append "$DEV" "$v" --size 4K
	bad 2 "write: offset '$v'" "$DEV" write "$DEV" "$v" --size 4K
	bad 2 "read: offset '$v'" "$DEV" read "$DEV" "$v" 4K
	bad 2 "read: length '$v'" "$DEV" read "$DEV" 0 "$v"
	bad 2 "reset: offset '$v'" "$DEV" reset "$DEV" "$v"
	bad 2 "reset: length '$v'" "$DEV" reset "$DEV" 0x100000 "$v"
	bad 2 "set-cond: offset '$v'" "$DEV" set-cond "$DEV" "$v" offline
	bad 2 "report: --offset '$v'" "$DEV" report "$DEV" --offset "$v"
	bad 2 "create: --capacity '$v'" - create "$T/new" --capacity "$v" --zone-size 1M
done

# ---- create ------------------------------------------------------------------

bad 2 "create: no --capacity" - create "$T/new" --zone-size 1M
bad 2 "create: no --zone-size" - create "$T/new" --capacity 8M
bad 2 "create: two directories" - create "$T/new" "$T/new2" --capacity 8M --zone-size 1M
bad 2 "create: --conv past 32 bits" - create "$T/new" --capacity 8M --zone-size 1M --conv 4294967296
bad 2 "create: --block-size past 32 bits" - create "$T/new" --capacity 8M --zone-size 1M --block-size 8G
bad 2 "create: --capacity without a value" - create "$T/new" --zone-size 1M --capacity
bad 1 "create: zone size not a power of two" - create "$T/new" --capacity 8M --zone-size 3M
bad 1 "create: block size 1000" - create "$T/new" --capacity 8M --zone-size 1M --block-size 1000
bad 1 "create: unaligned capacity" - create "$T/new" --capacity 8388609 --zone-size 1M
bad 1 "create: zone capacity > zone size" - create "$T/new" --capacity 8M --zone-size 1M --zone-capacity 2M
bad 1 "create: all zones conventional" - create "$T/new" --capacity 8M --zone-size 1M --conv 8
bad 1 "create: max open > max active" - create "$T/new" --capacity 8M --zone-size 1M --max-open 4 --max-active 2
bad 1 "create: unaligned max append" - create "$T/new" --capacity 8M --zone-size 1M --max-append 1000
bad 1 "create: capacity 2^59" - create "$T/new" --capacity 512P --zone-size 1G
bad 2 "create: zone size 0" - create "$T/new" --capacity 8M --zone-size 0
bad 1 "create: over a device" "$DEV" create "$DEV" --capacity 8M --zone-size 1M
bad 1 "create: over a non-empty directory" "$OTHER" create "$OTHER" --capacity 8M --zone-size 1M
bad 1 "create: over a regular file" - create "$FILE" --capacity 8M --zone-size 1M
bad 1 "create: /dev/null" - create /dev/null --capacity 8M --zone-size 1M
bad 1 "create: in a missing directory" - create "$T/no/such/dir" --capacity 8M --zone-size 1M
[ -e "$T/new" ] && fail "create: a failed create left $T/new" || pass "create: no directory left by the failures"

# ---- zone operations -------------------------------------------------------

for c in reset open close finish; do
	bad 1 "$c: not a zone start" "$DEV" "$c" "$DEV" 0x101000
	bad 1 "$c: a conventional zone" "$DEV" "$c" "$DEV" 0
	bad 1 "$c: an offline zone" "$DEV" "$c" "$DEV" 0x700000
	bad 1 "$c: past the end" "$DEV" "$c" "$DEV" 8M
	bad 1 "$c: far past the end" "$DEV" "$c" "$DEV" 16P
	bad 1 "$c: LEN not whole zones" "$DEV" "$c" "$DEV" 0x100000 4K
	bad 1 "$c: LEN 0" "$DEV" "$c" "$DEV" 0x100000 0
	bad 1 "$c: LEN past the end" "$DEV" "$c" "$DEV" 0x100000 8M
	bad 1 "$c: LEN 2^64-1" "$DEV" "$c" "$DEV" 0x100000 0xffffffffffffffff
	bad 1 "$c: range over a conventional zone" "$DEV" "$c" "$DEV" 0 2M
	bad 2 "$c: --all with OFS" "$DEV" "$c" "$DEV" --all 0
	bad 2 "$c: too many arguments" "$DEV" "$c" "$DEV" 0x100000 1M 1M
done
bad 2 "set-cond: unknown condition" "$DEV" set-cond "$DEV" 0x100000 full
bad 2 "set-cond: no condition" "$DEV" set-cond "$DEV" 0x100000
bad 1 "set-cond: a conventional zone" "$DEV" set-cond "$DEV" 0 offline
bad 1 "set-cond: not a zone start" "$DEV" set-cond "$DEV" 0x101000 offline
bad 1 "set-cond: past the end" "$DEV" set-cond "$DEV" 8M offline
bad 2 "resync: two devices" "$DEV" resync "$DEV" "$DEV"

# ---- data ------------------------------------------------------------------

bad 1 "append: 0 bytes" "$DEV" append "$DEV" 0x100000 --size 0
bad 1 "append: not whole blocks" "$DEV" append "$DEV" 0x100000 --size 100
bad 1 "append: larger than a zone" "$DEV" append "$DEV" 0x100000 --size 2M
bad 1 "append: 1 PiB" "$DEV" append "$DEV" 0x100000 --size 1P
bad 1 "append: 16 EiB - 4 KiB" "$DEV" append "$DEV" 0x100000 --size 0xfffffffffffff000
bad 1 "append: to a conventional zone" "$DEV" append "$DEV" 0 --size 4K
bad 1 "append: to an offline zone" "$DEV" append "$DEV" 0x700000 --size 4K
bad 1 "append: not a zone start" "$DEV" append "$DEV" 0x101000 --size 4K
bad 1 "append: past the end" "$DEV" append "$DEV" 8M --size 4K
bad 2 "append: pattern 256" "$DEV" append "$DEV" 0x100000 --size 4K --pattern 256
bad 2 "append: pattern -1" "$DEV" append "$DEV" 0x100000 --size 4K --pattern -1
bad 2 "append: --size and --file" "$DEV" append "$DEV" 0x100000 --size 4K --file "$BLK"
bad 2 "append: --pattern with --file" "$DEV" append "$DEV" 0x100000 --file "$BLK" --pattern 1
bad 2 "append: no data" "$DEV" append "$DEV" 0x100000
bad 1 "append: a missing file" "$DEV" append "$DEV" 0x100000 --file "$T/nothing"
bad 1 "append: file /dev/null" "$DEV" append "$DEV" 0x100000 --file /dev/null
bad 1 "append: file a directory" "$DEV" append "$DEV" 0x100000 --file "$EMPTY"
bad 1 "append: an empty file" "$DEV" append "$DEV" 0x100000 --file "$ZERO"
bad 1 "append: a file of 4097 bytes" "$DEV" append "$DEV" 0x100000 --file "$ODD"
bad 1 "write: below the wp" "$DEV" write "$DEV" 0x100000 --size 4K
bad 1 "write: past the wp" "$DEV" write "$DEV" 0x104000 --size 4K
bad 1 "write: unaligned" "$DEV" write "$DEV" 0x102001 --size 4K
bad 1 "write: past the end" "$DEV" write "$DEV" 8M --size 4K
bad 1 "write: running past the end" "$DEV" write "$DEV" 0x600000 --size 4M
bad 1 "write: 0 bytes" "$DEV" write "$DEV" 0x102000 --size 0
bad 1 "write: not whole blocks" "$DEV" write "$DEV" 0x102000 --size 100
bad 1 "write: a file of 4097 bytes" "$DEV" write "$DEV" 0x102000 --file "$ODD"
bad 1 "read: 0 bytes" "$DEV" read "$DEV" 0 0
bad 1 "read: unaligned offset" "$DEV" read "$DEV" 1 4K
bad 1 "read: unaligned length" "$DEV" read "$DEV" 0 100
bad 1 "read: past the end" "$DEV" read "$DEV" 0 9M
bad 1 "read: offset past the end" "$DEV" read "$DEV" 8M 4K
bad 1 "read: offset 2^64-4096" "$DEV" read "$DEV" 0xfffffffffffff000 4K
bad 1 "read: an offline zone" "$DEV" read "$DEV" 0x700000 4K
bad 1 "read: to a missing directory" "$DEV" read "$DEV" 0 4K -o "$T/no/such/out"
bad 2 "read: too many arguments" "$DEV" read "$DEV" 0 4K 4K
[ -e "$T/no/such/out" ] && fail "read: output file made" || pass "read: no output file made by the failures"
bad 12 "report: --offset past the end" "$DEV" report "$DEV" --offset 8M
bad 2 "report: --count -1" "$DEV" report "$DEV" --count -1
bad 2 "info: two devices" "$DEV" info "$DEV" "$DEV"

echo "1..$n"
exit $((failed > 0))
