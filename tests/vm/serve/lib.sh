# SPDX-License-Identifier: MIT
# Shared by the guest tests of zonekit serve (busybox sh): sourced, not run.
# Every check that fails says what it saw; fail() ends the test script.
set -u
W=${W:-/tmp/serve-work}
mkdir -p "$W"
log() { echo "$T: $*"; }
fail() { echo "$T: FAIL: $*" >&2; exit 1; } # stderr: also out of a redirected function
run() { "$@" || fail "exit $?: $*"; }

# serve DIR [OPTIONS]: start a server (a daemon) and set B (its block device),
# ID (its ublk number) and SPID (its pid).
serve() {
	local out
	out=$(zonekit serve "$@" --json) || fail "zonekit serve $* failed"
	B=$(echo "$out" | sed -n 's/.*"device": "\(\/dev\/ublkb[0-9]*\)".*/\1/p')
	ID=$(echo "$out" | sed -n 's/.*"id": \([0-9]*\),.*/\1/p')
	SPID=$(echo "$out" | sed -n 's/.*"pid": \([0-9]*\),.*/\1/p')
	[ -b "$B" ] || fail "zonekit serve printed '$out', no block device"
}

# stop_server [FILE]: zonekit stop, its JSON counters into FILE ($W/stop.json)
stop_server() {
	local f=${1:-$W/stop.json}
	timeout 120 zonekit stop "$ID" --json > "$f" || fail "zonekit stop $ID failed: $(cat "$f")"
	grep -q '"status": "ok"' "$f" || fail "server stopped with: $(cat "$f")"
	[ ! -e "$B" ] || fail "$B still there after zonekit stop"
}

# counter FILE NAME: a request counter from stop_server's JSON
counter() { sed -n "s/.*\"$2\": \([0-9]*\).*/\1/p" "$1" | head -n 1; }

# Zone reports, one zone a line: start len cap wp type cond, in 512-byte
# sectors.  wp is "-" where it means nothing (conventional and full zones).
# With ACTIVE=1, implicit open, explicit open and closed all read "active":
# a zonekit device reopened does not know which of them a zone was in.
norm_blkzone() { # DEV
	blkzone report "$1" | awk -v active="${ACTIVE:-0}" '{
		gsub(/,/, ""); start = hex($2); len = hex($4); cap = hex($6); wp = hex($8)
		# "zcond: 2(oi)" but "zcond:14(fu)": read the numbers after the colons
		match($0, /zcond: *[0-9]+/); cond = num(substr($0, RSTART, RLENGTH))
		match($0, /type: *[0-9]+/); type = num(substr($0, RSTART, RLENGTH))
		out(start, len, cap, start + wp, type, cond) }
	function num(x) { sub(/^[^0-9]*/, "", x); return x + 0 }
	function hex(x,   i, n) { # awk without strtonum
		n = 0; x = tolower(substr(x, 3))
		for (i = 1; i <= length(x); i++) n = n * 16 + index("0123456789abcdef", substr(x, i, 1)) - 1
		return n }
	function out(s, l, c, w, ty, co) {
		if (ty == 1 || co == 14) w = "-"
		if (active && (co == 2 || co == 3 || co == 4)) co = "active"
		print s, l, c, w, ty, co }'
}
norm_zonekit() { # DIR
	zonekit report "$1" --json | awk -v active="${ACTIVE:-0}" '/"start":/ {
		gsub(/[{}",:]/, " ")
		for (i = 1; i < NF; i++) v[$i] = $(i + 1)
		ty = v["type"] == "conventional" ? 1 : 2
		co = cond[v["cond"]]
		w = v["wp"] / 512
		if (ty == 1 || co == 14) w = "-"
		if (active && (co == 2 || co == 3 || co == 4)) co = "active"
		print v["start"] / 512, v["len"] / 512, v["capacity"] / 512, w, ty, co }
		BEGIN { cond["not-wp"] = 0; cond["empty"] = 1; cond["imp-open"] = 2
			cond["exp-open"] = 3; cond["closed"] = 4; cond["read-only"] = 13
			cond["full"] = 14; cond["offline"] = 15 }'
}

# same_reports A B WHAT: the two normalised reports are equal, zone for zone
same_reports() {
	[ -s "$1" ] || fail "$3: empty report $1"
	if ! cmp -s "$1" "$2"; then
		echo "$T: $3: reports differ (zone: start len cap wp type cond):"
		diff "$1" "$2" | head -n 20
		fail "$3: blkzone and zonekit reports differ"
	fi
}

# zone_line DEV ZONE: one zone of the normalised kernel report
zone_line() { ACTIVE=0 norm_blkzone "$1" | sed -n "$(($2 + 1))p"; }
# expect_cond DEV ZONE COND WP|-
expect_zone() {
	local got
	got=$(zone_line "$1" "$2" | awk '{print $6, $4}')
	[ "$got" = "$3 $4" ] || fail "zone $2 of $1: cond/wp '$got', expected '$3 $4'"
}
# zone_fill DEV ZONE: sectors written in a zone (a full zone: its length)
zone_fill() { zone_line "$1" "$2" | awk '{ print $4 == "-" ? $2 : $4 - $1 }'; }
