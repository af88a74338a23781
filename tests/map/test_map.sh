#!/bin/bash
# SPDX-License-Identifier: MIT
# Tests of "zonekit fill" and "zonekit map", the maps checked as a person
# would see them: headless Chromium (driven by browser.py through the
# DevTools protocol) renders the SVG and the HTML page, pixels.py reads the
# screenshots (cells there, in their condition's colour, bars at the wp,
# hatched tails), the mouse is moved over the page's cells and the tooltip
# read back ("#hover=N" in the address shows zone N's too).  Last, a device
# of 100 000 zones: map sizes, drawing, tooltips, pixel counts.
#
#   tests/map/test_map.sh ZONEKIT [FAKE_COND.so]
#
# FAKE_COND.so (fake_cond.c) lets the map show open zones, which an
# emulated device forgets between commands.  Output is TAP-like; exit 0
# pass, 1 fail, 77 skip (no Chromium: install Debian's "chromium").
# ZK_TEST_KEEP=1 keeps the devices, maps and screenshots.
set -u

ZK=${1:-${ZONEKIT:-}}
SHIM=${2:-}
if [ -z "$ZK" ] || [ ! -x "$ZK" ]; then
	echo "usage: $0 PATH-TO-ZONEKIT [FAKE_COND.so]" >&2
	exit 2
fi
HERE=$(cd "$(dirname "$0")" && pwd)
PIXELS=$HERE/pixels.py
# Skipped only without Chromium (after the tests that do not need it);
# python3 and jq are among what scripts/deps.sh installs.
for tool in python3 jq; do
	command -v "$tool" >/dev/null || { echo "Bail out! $tool missing (scripts/deps.sh installs it)"; exit 1; }
done
# $CHROMIUM: the browser to use (default: chromium or chromium-browser).
CHROMIUM=${CHROMIUM-$(command -v chromium || command -v chromium-browser || true)}
[ -n "$CHROMIUM" ] && ! command -v "$CHROMIUM" >/dev/null && CHROMIUM=

T=$(mktemp -d "${TMPDIR:-/tmp}/zonekit-map.XXXXXX")
# The 100 000-zone device: on tmpfs if there is room (creating 100 000 zone
# files on a disk filesystem is several times slower); it holds ~150 MiB.
FAST=$T
if [ -d /dev/shm ] && [ -w /dev/shm ] &&
	[ "$(df -Pk /dev/shm | awk 'NR == 2 { print $4 }')" -gt $((1024 * 1024)) ]; then
	FAST=$(mktemp -d /dev/shm/zonekit-map.XXXXXX)
fi
cleanup() {
	browser_stop
	if [ "${ZK_TEST_KEEP:-0}" = 1 ]; then
		echo "# kept $T $FAST"
	else
		rm -rf "$T"
		[ "$FAST" != "$T" ] && rm -rf "$FAST"
	fi
}
trap cleanup EXIT
OUT=$T/out
ERR=$T/err
n=0
failed=0
K=1024
M=$((1024 * 1024))

# ---- TAP-like output ------------------------------------------------------

T0=$(date +%s)
stamp() { echo "# $1 at $(($(date +%s) - T0)) s"; }

pass() { n=$((n + 1)); echo "ok $n - $1"; }
fail() {
	n=$((n + 1)); failed=$((failed + 1))
	echo "not ok $n - $1"
	[ -s "$ERR" ] && sed 's/^/#   stderr: /' "$ERR" | head -5
	return 0
}
check() { local desc=$1; shift; if "$@"; then pass "$desc"; else fail "$desc"; fi; }
is() { if [ "$2" = "$3" ]; then pass "$1"; else fail "$1 (got '$2', want '$3')"; fi; }
zk() { "$ZK" "$@" >"$OUT" 2>"$ERR"; rc=$?; }
expect() {
	local want=$1 desc=$2; shift 2
	zk "$@"
	if [ "$rc" -eq "$want" ]; then pass "$desc"; else fail "$desc (exit $rc, want $want)"; fi
}
expect_error() { # RC REGEX DESC ARGS...
	local want=$1 regex=$2 desc=$3; shift 3
	zk "$@"
	if [ "$rc" -ne "$want" ]; then
		fail "$desc (exit $rc, want $want)"
	elif ! grep -Eq -- "$regex" "$ERR"; then
		fail "$desc (stderr does not match /$regex/)"
	else
		pass "$desc"
	fi
}
# zone DEV NR FIELD: a field of zone NR of DEV (zones of 1 MiB unless $ZS).
zone() { "$ZK" report "$1" --offset $(($2 * ${ZS:-$M})) --count 1 --json | jq -r ".zones[0].$3"; }
# contains FILE TEXT DESC: FILE has TEXT (a fixed string).
contains() {
	if grep -qF -- "$2" "$1"; then pass "$3"; else fail "$3 (no '$2' in $(basename "$1"))"; fi
}
# pixels DESC PNG LAYOUT CHECK...: each line pixels.py prints is a test.
pixels() {
	local desc=$1 png=$2 layout=$3 line; shift 3
	# shellcheck disable=SC2086 # LAYOUT is five numbers
	python3 "$PIXELS" "$png" $layout "$@" >"$T/pixels.out" 2>"$ERR"
	while IFS= read -r line; do
		case $line in
		"ok - "*) pass "$desc: ${line#ok - }" ;;
		"not ok - "*) fail "$desc: ${line#not ok - }" ;;
		*) echo "$line" ;;
		esac
	done <"$T/pixels.out"
	[ -s "$T/pixels.out" ] || fail "$desc: pixels.py printed nothing"
}

# ---- the browser ------------------------------------------------------------

# One headless Chromium for the whole test, driven by browser.py through
# the DevTools protocol: real page loads, screenshots, mouse moves.
browser_start() {
	coproc BROWSER { python3 "$HERE/browser.py" "$CHROMIUM" 2>>"$T/browser.log"; }
	BROWSER_IN=${BROWSER[1]} BROWSER_OUT=${BROWSER[0]}
}
browser_stop() {
	[ -n "${BROWSER_IN:-}" ] || return 0
	eval "exec $BROWSER_IN>&-"
	wait "$BROWSER_PID" 2>/dev/null
	BROWSER_IN=
}
# b COMMAND...: a browser.py command; its answer in $reply.
b() {
	reply="(no answer)"
	echo "$*" >&"$BROWSER_IN" 2>/dev/null || return 1
	IFS= read -r -t 120 reply <&"$BROWSER_OUT" || { reply="(no answer)"; return 1; }
}
# js EXPRESSION: its value in the page, as text (JSON strings decoded).
js() { b eval "$1" && reply=$(jq -r . <<<"$reply"); }
# page FILE W H [#HASH]: load the file in a W x H window.
page() { b open "file://$1${4:-}" "$2" "$3" && [ "$reply" = ok ]; }
# shot PNG: a screenshot of the window.
shot() { rm -f "$1"; b shot "$1" && [ "$reply" = ok ] && [ -s "$1" ]; }
# set_hash TEXT: change the address's #fragment, wait for the page to see it.
set_hash() {
	js "new Promise(r => { addEventListener('hashchange', () => setTimeout(r, 0), { once: true }); location.hash = '$1'; })"
}
# mouse X Y: move the mouse there (window coordinates).
mouse() { b mouse "$1" "$2" && [ "$reply" = ok ]; }
TIP_JS="document.getElementById('tip').innerText.replace(/\\s+/g, ' ').trim()"
# tip: the text of the page's tooltip, on one line ('' when hidden).
tip() { js "getComputedStyle(document.getElementById('tip')).display === 'none' ? '' : $TIP_JS"; echo "$reply"; }
# page_layout: "X Y CELL GAP COLS" of the page's grid (its data-* attributes).
page_layout() {
	js "(d => [d.x, d.y, d.cell, d.gap, d.cols].join(' '))(document.getElementById('grid').dataset)"
	echo "$reply"
}
grid_data() { js "document.getElementById('grid').dataset.$1"; echo "$reply"; }
# attr FILE NAME: the first NAME="value" in FILE.
attr() { grep -o "$2=\"[^\"]*\"" "$1" | head -1 | sed 's/.*="\(.*\)"/\1/'; }
# svg_layout FILE: "X Y CELL GAP COLS" of the SVG's <g id="zones">.
svg_layout() {
	echo "$(attr "$1" data-x) $(attr "$1" data-y) $(attr "$1" data-cell)" \
		"$(attr "$1" data-gap) $(attr "$1" data-cols)"
}
# cell_centre LAYOUT NR: "X Y", the middle of cell NR.
cell_centre() {
	local x y c g cols
	read -r x y c g cols <<<"$1"
	echo "$((x + $2 % cols * c + (c - g) / 2)) $((y + $2 / cols * c + (c - g) / 2))"
}
self_contained() { # FILE: nothing fetched from elsewhere
	! grep -Eiq '(src|href)=|<link|@import|url\([^#]' "$1" &&
		[ "$(grep -o 'https\?://[^"]*' "$1" | grep -vc '^http://www.w3.org/2000/svg$')" -eq 0 ]
}
valid_xml() { python3 -c 'import sys, xml.etree.ElementTree as E; E.parse(sys.argv[1])' "$1"; }
size_of() { stat -c %s "$1"; }

# Colours of the map (tools/cmd_map.c): solid, pale.
CV=#475569
EM_PALE=#e2e8f0
IO=#0ea5e9 IO_PALE=#cdeefc
EO=#1d4ed8 EO_PALE=#d2dcf7
CL=#f59e0b CL_PALE=#fdebc8
FU=#16a34a
RO=#9333ea
OF=#dc2626

# ---- fill ---------------------------------------------------------------------

expect 0 "fill --help" fill --help
check "fill --help: usage" grep -q "^Usage: zonekit fill DEV" "$OUT"
check "fill --help: explains --random" grep -q -- "--random SEED" "$OUT"
expect 0 "map --help" map --help
check "map --help: usage" grep -q "^Usage: zonekit map DEV" "$OUT"
expect 0 "help lists fill and map" help
check "help lists fill" grep -q "^  fill " "$OUT"
check "help lists map" grep -q "^  map " "$OUT"

F=$T/fill
expect 0 "create a device: 16 zones of 1M, capacity 768K, 2 conventional" \
	create "$F" --capacity 16M --zone-size 1M --zone-capacity 768K --conv 2
expect_error 2 "missing --percent or --random" "fill without a level" fill "$F"
expect_error 2 "exclude each other" "fill --percent and --random" fill "$F" --percent 5 --random 1
expect_error 2 "invalid --percent '101'" "fill --percent 101" fill "$F" --percent 101
expect_error 2 "invalid --percent 'x'" "fill --percent x" fill "$F" --percent x
expect_error 2 "invalid --random" "fill --random -1" fill "$F" --random -1
expect_error 2 "invalid --zones '5-3'" "fill --zones 5-3" fill "$F" --zones 5-3 --percent 5
expect_error 2 "zones 0 to 15" "fill --zones past the end" fill "$F" --zones 16 --percent 5
expect_error 2 "invalid --zones 'a'" "fill --zones a" fill "$F" --zones a --percent 5
expect_error 2 "--zones and OFS" "fill --zones with OFS" fill "$F" 2M --zones 3 --percent 5
expect_error 1 "past the end" "fill OFS past the end" fill "$F" 16M --percent 5
expect_error 2 "unknown option" "fill --bogus" fill "$F" --bogus

expect 0 "fill --percent 50 --zones 2-3" fill "$F" --percent 50 --zones 2-3
check "fill prints a summary" grep -q "^filled 2 zones: 786432 bytes (768K) written" "$OUT"
is "zone 2 at 50% (384K)" "$(zone "$F" 2 wp)" $((2 * M + 384 * K))
is "zone 3 at 50%" "$(zone "$F" 3 wp)" $((3 * M + 384 * K))
is "zone 4 untouched" "$(zone "$F" 4 cond)" empty
is "zone 2 still open after the command (as on a real device)" "$(zone "$F" 2 cond)" imp-open
expect 0 "fill --percent 25 again: nothing to do" fill "$F" --percent 25 --zones 2-3
check "zones past their level are left alone" grep -q "^filled 0 zones: 0 bytes (0) written; 2 already at or past their level" "$OUT"
is "zone 2 still at 50%" "$(zone "$F" 2 wp)" $((2 * M + 384 * K))
expect 0 "fill --percent 100 of OFS LEN (zones 3, 4)" fill "$F" 3M 2M --percent 100
is "zone 3 full" "$(zone "$F" 3 cond)" full
is "zone 4 full" "$(zone "$F" 4 cond)" full
expect 0 "fill OFS (one zone, mid-zone offset) --percent 12.5%" fill "$F" $((5 * M + 4096)) --percent 12.5%
is "zone 5 at 12.5% (96K)" "$(zone "$F" 5 wp)" $((5 * M + 96 * K))
is "zone 6 untouched" "$(zone "$F" 6 wp)" $((6 * M))
expect 0 "fill --percent 0.1: rounded down to whole blocks" fill "$F" --zones 6 --percent 0.1
is "zone 6: 786 bytes rounds down to no block" "$(zone "$F" 6 wp)" $((6 * M))
expect 0 "set-cond zone 7 read-only" set-cond "$F" 7M read-only
expect 0 "set-cond zone 8 offline" set-cond "$F" 8M offline
expect 0 "fill --percent 100 --zones 6-: read-only and offline zones left alone" \
	fill "$F" --zones 6- --percent 100 --pattern 7
check "fill counts the zones it could not write" grep -q "2 not writable" "$OUT"
is "zone 7 still read-only" "$(zone "$F" 7 cond)" read-only
is "zone 8 still offline" "$(zone "$F" 8 cond)" offline
is "zone 15 full" "$(zone "$F" 15 cond)" full
expect 0 "read back zone 9" read "$F" 9M 4K -o "$T/z9.bin"
is "fill wrote the --pattern" "$(od -An -tu1 -v "$T/z9.bin" | tr -s ' \n' '\n' | sort -u | grep -v '^$')" 7
expect 0 "read back zone 2" read "$F" 2M 4K -o "$T/z2.bin"
is "fill's default pattern is 0xa5" "$(od -An -tx1 -v "$T/z2.bin" | tr -s ' \n' '\n' | sort -u | grep -v '^$')" a5
is "conventional zone 0 untouched" "$(od -An -tx1 -v "$F/cnv-000000" | tr -s ' \n' '\n' | sort -u | grep -v '^$' | head -1)" 00

R1=$T/rand1 R2=$T/rand2 R3=$T/rand3
for r in "$R1" "$R2" "$R3"; do
	"$ZK" create "$r" --capacity 64M --zone-size 1M --zone-capacity 768K --conv 1 >/dev/null
done
expect 0 "fill --random 42" fill "$R1" --random 42
expect 0 "fill --random 42 of another device" fill "$R2" --random 42
expect 0 "fill --random 43" fill "$R3" --random 43
"$ZK" report "$R1" --json | jq -c '[.zones[] | [.wp - .start, .cond]]' >"$T/r1"
"$ZK" report "$R2" --json | jq -c '[.zones[] | [.wp - .start, .cond]]' >"$T/r2"
"$ZK" report "$R3" --json | jq -c '[.zones[] | [.wp - .start, .cond]]' >"$T/r3"
check "the same seed gives the same levels" cmp -s "$T/r1" "$T/r2"
check "another seed gives other levels" bash -c "! cmp -s '$T/r1' '$T/r3'"
is "--random: some zones full, some empty, some in between" \
	"$(jq -c '[.[1:][] | .[1]] | unique' "$T/r1")" '["empty","full","imp-open"]'
is "--random: levels are whole blocks" "$(jq '[.[] | select(.[0] % 4096 != 0)] | length' "$T/r1")" 0
"$ZK" create "$T/rand4" --capacity 64M --zone-size 1M --zone-capacity 768K --conv 1 >/dev/null
"$ZK" fill "$T/rand4" --zones 10-19 --random 42 >/dev/null
is "a zone's random level does not depend on the range filled" \
	"$("$ZK" report "$T/rand4" --json | jq -c '[.zones[10:20][] | .wp - .start]')" \
	"$(jq -c '[.[10:20][] | .[0]]' "$T/r1")"

A=$T/active
"$ZK" create "$A" --capacity 8M --zone-size 1M --max-active 2 >/dev/null
expect_error 1 "too many active zones \(the device allows 2\)" \
	"fill past the active zone limit fails, saying why" fill "$A" --percent 50
is "zones written before the limit stay written" "$(ZS=$M zone "$A" 1 wp)" $((M + 512 * K))

# ---- map: the command line ----------------------------------------------------------

stamp "map: the command line"

expect_error 2 "missing -o FILE" "map without -o" map "$F"
expect_error 2 "cannot tell the format" "map -o x.png" map "$F" -o "$T/x.png"
expect_error 2 "invalid --format 'pdf'" "map --format pdf" map "$F" -o "$T/x.svg" --format pdf
expect_error 1 "cannot open" "map of a missing device" map "$T/nothing" -o "$T/x.svg"
expect_error 1 "cannot create" "map to an unwritable place" map "$F" -o "$T/no/such/dir/x.svg"
expect 0 "map -o - --format svg writes to stdout" map "$F" -o - --format svg
check "the SVG on stdout is valid XML" valid_xml "$OUT"
expect 0 "map -o FILE.htm --format html" map "$F" -o "$T/f.htm"
contains "$T/f.htm" "<canvas id=\"grid\">" ".htm is HTML"
expect 0 "map --title" map "$F" -o "$T/t.svg" --title 'Bench <A&B>'
contains "$T/t.svg" "Bench &lt;A&amp;B&gt;" "the title is escaped"
check "an escaped title leaves valid XML" valid_xml "$T/t.svg"

U=$T/usage
"$ZK" create "$U" --capacity 4M --zone-size 1M >/dev/null
"$ZK" fill "$U" --zones 0-1 --percent 50 >/dev/null
"$ZK" set-cond "$U" 3M offline
expect 0 "map of half-filled zones and an offline one" map "$U" -o "$T/u.svg"
contains "$T/u.svg" "written 1M of 4M in sequential zones (25.0%)" "the title says how much is written (an offline zone holds nothing)"
contains "$T/u.svg" "wp 3145728 (+0), 0.0% written" "an offline zone's title: nothing written"

# ---- map: a device with every condition, seen in a browser -------------------

stamp "map: a device with every condition"

V=$T/visual
"$ZK" create "$V" --capacity 48M --zone-size 1M --zone-capacity 768K --conv 2 >/dev/null
# zones 2, 3 empty; 4, 5 imp-open and 6, 7 exp-open (through the shim) and 8,
# 9 closed, all half written; 10, 11 full; 12, 13 read-only; 14, 15 offline;
# the rest random.
"$ZK" fill "$V" --zones 4-9 --percent 50 >/dev/null
"$ZK" close "$V" 8M 2M >/dev/null
"$ZK" fill "$V" --zones 10-11 --percent 100 >/dev/null
for z in 12 13; do "$ZK" set-cond "$V" ${z}M read-only; done
for z in 14 15; do "$ZK" set-cond "$V" ${z}M offline; done
"$ZK" fill "$V" --zones 16- --random 5 >/dev/null
FAKE="$((4 * M))=2,$((5 * M))=2,$((6 * M))=3,$((7 * M))=3"
map_v() { # map_v FILE: the map of V, with its open zones if the shim is there
	if [ -n "$SHIM" ] && [ -f "$SHIM" ]; then
		# (a sanitizer build wants its runtime first: let it be second)
		ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0 \
			LD_PRELOAD=$SHIM ZK_FAKE_COND=$FAKE "$ZK" map "$V" -o "$1" >"$OUT" 2>"$ERR"
	else
		"$ZK" map "$V" -o "$1" >"$OUT" 2>"$ERR"
	fi
}
map_v "$T/v.svg"; rc=$?
is "map -o v.svg" "$rc" 0
map_v "$T/v.html"; rc=$?
is "map -o v.html" "$rc" 0
HAS_OPEN=0
grep -q "imp-open 2" "$T/v.svg" && HAS_OPEN=1
[ -n "$SHIM" ] && is "the shim shows zones 4-7 open" "$HAS_OPEN" 1
check "v.svg is valid XML" valid_xml "$T/v.svg"
check "v.svg is self-contained" self_contained "$T/v.svg"
check "v.html is self-contained" self_contained "$T/v.html"
for f in v.svg v.html; do
	contains "$T/$f" "48 zones of 1M, 2 conventional" "$f: the title gives the geometry"
	contains "$T/$f" "zone capacity 768K" "$f: the title gives the zone capacity"
	contains "$T/$f" "conventional 2" "$f: the legend counts conventional zones"
	contains "$T/$f" "read-only 2" "$f: the legend counts read-only zones"
	contains "$T/$f" "offline 2" "$f: the legend counts offline zones"
	contains "$T/$f" "beyond the zone capacity" "$f: the legend explains the hatching"
done
contains "$T/v.svg" "zone 9: closed" "v.svg: a hover title per zone"
contains "$T/v.svg" "wp 9830400 (+393216), 50.0% written" "v.svg: zone 9's title has its wp and fill"

if [ -z "$CHROMIUM" ]; then
	echo "# SKIP: chromium not found, the maps are not rendered (scripts/deps.sh installs Debian's chromium)"
	echo "1..$n"
	[ "$failed" -eq 0 ] || exit 1
	exit 77
fi
echo "# browser: $("$CHROMIUM" --version 2>/dev/null)"

# What each zone of V must look like, left to right along its cell: the
# written part at 0.2 (a half-written zone's wp is at 0.375 of the cell, its
# capacity at 0.75), the writable part at 0.55, the hatched tail past 0.75.
v_checks() {
	echo "sample:0:0.2:$CV sample:0:0.95:$CV sample:1:0.5:$CV"
	echo "sample:2:0.2:$EM_PALE sample:3:0.55:$EM_PALE tail:2:0.79:0.97"
	if [ "$HAS_OPEN" = 1 ]; then
		echo "sample:4:0.2:$IO sample:4:0.55:$IO_PALE tail:4:0.79:0.97"
		echo "sample:6:0.2:$EO sample:7:0.55:$EO_PALE tail:6:0.79:0.97"
	fi
	echo "sample:8:0.2:$CL sample:9:0.55:$CL_PALE tail:8:0.79:0.97"
	echo "sample:10:0.2:$FU sample:11:0.7:$FU tail:10:0.79:0.97"
	echo "sample:12:0.2:$RO sample:13:0.7:$RO"
	echo "sample:14:0.2:$OF sample:15:0.7:$OF"
}

stamp "rendering"
browser_start

# -- the SVG
check "v.svg opens in the browser" page "$T/v.svg" 1200 560
check "screenshot of v.svg" shot "$T/v-svg.png"
# shellcheck disable=SC2046
pixels "v.svg" "$T/v-svg.png" "$(svg_layout "$T/v.svg")" $(v_checks)

# -- the HTML page: the same cells, and the tooltip
check "v.html#hover=47 opens" page "$T/v.html" 1280 640 "#hover=47"
is "the page drew 48 cells" "$(grid_data drawn)" 48
is "one zone a cell" "$(grid_data zonesPerCell)" 1
TIP=$(tip)
want="zone 47 · $(zone "$V" 47 cond) start $((47 * M)) (0x2f00000)"
case $TIP in
"$want"*) pass "#hover=47 shows the last zone's condition and start" ;;
*) fail "#hover=47: '$TIP' does not start with '$want'" ;;
esac
wp47=$(zone "$V" 47 wp)
case $TIP in
*"wp $wp47 (start + $((wp47 - 47 * M)))"*) pass "#hover=47 shows its wp" ;;
*) fail "#hover=47: no 'wp $wp47' in '$TIP'" ;;
esac
check "#hover=9" set_hash hover=9
TIP=$(tip)
echo "# tooltip: $TIP"
for want in "zone 9 · closed" "start 9437184 (0x900000)" "len 1M (1048576)" \
	"capacity 768K (786432)" "wp 9830400 (start + 393216)" \
	"fill 50.0% (393216 of 786432 bytes)" "condition closed" "type seq-write-required"; do
	case $TIP in
	*"$want"*) pass "tooltip of zone 9: $want" ;;
	*) fail "tooltip of zone 9: $want" ;;
	esac
done
check "screenshot of v.html#hover=9" shot "$T/v-html-hover.png"
check "#nothing" set_hash nothing
is "no tooltip without #hover" "$(tip)" ""
check "screenshot of v.html" shot "$T/v-html.png"
VL=$(page_layout)
# shellcheck disable=SC2046
pixels "v.html" "$T/v-html.png" "$VL" $(v_checks)
# shellcheck disable=SC2046
check "the mouse onto zone 9's cell" mouse $(cell_centre "$VL" 9)
case $(tip) in
"zone 9 · closed start 9437184 "*) pass "the mouse on zone 9's cell shows zone 9" ;;
*) fail "the mouse on zone 9's cell: '$(tip)'" ;;
esac
check "screenshot with the mouse on zone 9" shot "$T/v-html-mouse.png"
# shellcheck disable=SC2046
pixels "v.html, zone 9 under the mouse" "$T/v-html-mouse.png" "$VL" "sample:9:0.2:$CL" "sample:8:0.2:$CL"
if [ "$HAS_OPEN" = 1 ]; then
	# shellcheck disable=SC2046
	mouse $(cell_centre "$VL" 4)
	case $(tip) in
	"zone 4 · imp-open "*"fill 50.0%"*) pass "the mouse on zone 4: imp-open, 50%" ;;
	*) fail "the mouse on zone 4: '$(tip)'" ;;
	esac
	# shellcheck disable=SC2046
	mouse $(cell_centre "$VL" 7)
	case $(tip) in
	"zone 7 · exp-open "*) pass "the mouse on zone 7: exp-open" ;;
	*) fail "the mouse on zone 7: '$(tip)'" ;;
	esac
fi
read -r vx vy _ <<<"$VL"
mouse $((vx - 20)) "$vy"
is "no tooltip with the mouse left of the grid" "$(tip)" ""
# shellcheck disable=SC2046
mouse $(cell_centre "$VL" 48)
is "no tooltip past the last zone" "$(tip)" ""

# ---- 100 000 zones ---------------------------------------------------------------------

stamp "100 000 zones"

H=$FAST/huge
ZS=4096
SECONDS=0
expect 0 "create 100 000 zones of 4K (capacity 3K, 16 conventional)" \
	create "$H" --capacity $((100000 * 4))K --zone-size 4K --zone-capacity 3K \
	--block-size 512 --conv 16
expect 0 "fill --random 11 of 100 000 zones" fill "$H" --random 11
expect 0 "close the partly written zones" close "$H" --all
for z in 500 501 502; do "$ZK" set-cond "$H" $((z * ZS)) read-only; done
for z in 600 601; do "$ZK" set-cond "$H" $((z * ZS)) offline; done
echo "# 100 000 zones created and filled in $SECONDS s"
"$ZK" info "$H" --json >"$T/h-info.json"
cnt() { jq -r ".conditions[\"$1\"]" "$T/h-info.json"; }
echo "# conditions: $(jq -c .conditions "$T/h-info.json")"
SECONDS=0
expect 0 "map of 100 000 zones as HTML" map "$H" -o "$T/h.html"
expect 0 "map of 100 000 zones as SVG" map "$H" -o "$T/h.svg"
echo "# both maps written in $SECONDS s"
hs=$(size_of "$T/h.html") ss=$(size_of "$T/h.svg")
echo "# h.html: $hs bytes, h.svg: $ss bytes"
check "the HTML of 100 000 zones is under 1 MiB ($hs bytes)" test "$hs" -lt $((1024 * K))
check "the SVG of 100 000 zones is under 2 MiB ($ss bytes)" test "$ss" -lt $((2048 * K))
check "h.html is self-contained" self_contained "$T/h.html"
check "h.svg is valid XML" valid_xml "$T/h.svg"
is "the SVG has 7 zones a cell" "$(attr "$T/h.svg" data-zones-per-cell)" 7
contains "$T/h.svg" "each cell is 7 zones" "the SVG's title says so"

SECONDS=0
check "h.html opens" page "$T/h.html" 1280 1100
check "screenshot of h.html" shot "$T/h-html.png"
echo "# rendered in $SECONDS s, drawn in $(grid_data drawMs) ms"
is "the page drew one cell per zone" "$(grid_data drawn)" 100000
is "no zones grouped" "$(grid_data zonesPerCell)" 1
js "document.getElementById('agg').hidden"
is "no note about grouped zones" "$reply" true
HL=$(page_layout)
read -r _ _ hc hg _ <<<"$HL"
# shellcheck disable=SC2046
check "the mouse onto cell 77777 ($((hc - hg))x$((hc - hg)) pixels)" mouse $(cell_centre "$HL" 77777)
TIP=$(tip)
echo "# tooltip: $TIP"
c77=$(zone "$H" 77777 cond) w77=$(zone "$H" 77777 wp)
case $TIP in
"zone 77777 · $c77 start $((77777 * ZS)) "*"wp $w77 "*) pass "the mouse on cell 77777 shows zone 77777: $c77, wp $w77" ;;
*) fail "the mouse on cell 77777 (want $c77, wp $w77)" ;;
esac
# shellcheck disable=SC2046
mouse $(cell_centre "$HL" 500)
case $(tip) in
"zone 500 · read-only "*) pass "the mouse on cell 500 shows the read-only zone 500" ;;
*) fail "the mouse on cell 500: '$(tip)'" ;;
esac
check "#hover=99999" set_hash hover=99999
case $(tip) in
"zone 99999 · "*) pass "#hover=99999 shows the last zone" ;;
*) fail "#hover=99999: '$(tip)'" ;;
esac
check "screenshot of h.html#hover=99999" shot "$T/h-html-hover.png"
# Cells of 2x2 pixels: the conditions drawn whole count 4 pixels a zone.
px=$(((hc - hg) * (hc - hg)))
pixels "h.html" "$T/h-html.png" "$HL" \
	"count:$FU:$(($(cnt full) * px * 98 / 100)):$(($(cnt full) * px * 102 / 100))" \
	"count:$EM_PALE:$(($(cnt empty) * px * 98 / 100)):$(($(cnt empty) * px * 102 / 100))" \
	"count:$CV:$((16 * px)):$((16 * px))" "count:$RO:$((3 * px)):$((3 * px))" \
	"count:$OF:$((2 * px)):$((2 * px))" \
	"sample:0:0.5:$CV" "sample:500:0.5:$RO" "sample:600:0.5:$OF"

# Several zones a cell: past about a million zones; forced here by a lower
# height limit in a copy of the page.
sed 's/const maxH = 8000;/const maxH = 400;/' "$T/h.html" >"$T/h-grouped.html"
check "h-grouped.html (the page with a 400 px height limit) opens" page "$T/h-grouped.html" 1280 1100 "#hover=601"
is "grouped: 2 zones a cell" "$(grid_data zonesPerCell)" 2
is "grouped: 50000 cells" "$(grid_data drawn)" 50000
js "document.getElementById('agg').hidden ? '' : document.getElementById('agg').textContent"
case $reply in
"Each cell is 2 zones"*) pass "grouped: the page says each cell is 2 zones" ;;
*) fail "grouped: no note about grouped zones: '$reply'" ;;
esac
is "grouped: #hover=601 shows zones 600 and 601" "$(tip)" \
	"zones 600 to 601 start $((600 * ZS)) (0x$(printf %x $((600 * ZS)))) fill 0.0% (0 of 6144 bytes) offline 2"
check "screenshot of h-grouped.html" shot "$T/h-grouped.png"
GL=$(page_layout)
pixels "h-grouped.html" "$T/h-grouped.png" "$GL" "sample:300:0.3:$OF" "sample:0:0.5:$CV"

check "h.svg opens" page "$T/h.svg" 1200 1000
check "screenshot of h.svg" shot "$T/h-svg.png"
pixels "h.svg" "$T/h-svg.png" "$(svg_layout "$T/h.svg")" "sample:0:0.3:$CV" \
	"count:$CL:5000" "count:$CL_PALE:5000"
browser_stop

stamp "done"
echo "1..$n"
[ "$failed" -eq 0 ]
