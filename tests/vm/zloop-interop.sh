#!/bin/sh
# SPDX-License-Identifier: MIT
# Guest test (busybox sh, Linux 6.15+ with zloop): an emulated device made and written by
# zonekit attaches as /dev/zloopN ('zonekit zloop attach') with the same zones and data,
# and what is written through /dev/zloopN is what zonekit reads in the directory after
# 'zonekit zloop detach'.  Needs zonekit (static) and blkzone on PATH; writes its logs
# and reports to $OUT (default /tmp/zloop-interop).  Exit status 0 only if all agree.
#
#   tests/vm/run.sh --kernel 7.2 -- tests/vm/zloop-interop.sh STATIC-ZONEKIT
#
# The device: 160 MiB, 16 MiB zones of 12 MiB capacity, 2 conventional, max open 4,
# 4 KiB blocks (the guest's tmpfs /tmp, which zloop's block size follows).  At most
# ~500 MiB of /tmp at a time (zone files and two images of the device).
set -u
OUT=${OUT:-/tmp/zloop-interop}
W=/tmp/zloop-interop-work
DIR=$W/dev
ID=7
M=1048576
CAP=$((160 * M))
ZS=$((16 * M))
mkdir -p "$OUT" && rm -rf "$W" && mkdir -p "$W" || exit 1
export PATH="$PWD:$PATH"
nfail=0
log() { echo "zloop-interop: $*"; }
fail() { log "FAIL $*"; nfail=$((nfail + 1)); }
ok() { log "ok $*"; }
must() { # DESC CMD...
	d=$1; shift
	if "$@" >> "$OUT/commands.log" 2>&1; then ok "$d"; else fail "$d (exit $?: $*)"; fi
}

# ---- zone reports, one line a zone: START LEN CAP WP COND (WP "-" where it means nothing:
# conventional and full zones; zloop reports a full zone's wp as all ones, zonekit as
# start + len) ----
zk_zones() { # DEV: zonekit's report, from its JSON (a zone a line)
	zonekit report "$1" --json | grep '"start"' |
		sed -E 's/.*"start": ([0-9]+), "len": ([0-9]+), "capacity": ([0-9]+), "wp": ([0-9]+), "type": "[^"]*", "cond": "([^"]*)".*/\1 \2 \3 \4 \5/' |
		while read -r s l c w cond; do
			case $cond in not-wp | full) w=- ;; esac
			echo "$s $l $c $w $cond"
		done
}
bz_zones() { # DEV: blkzone's report (sectors, wptr relative to the start)
	blkzone report "$1" | sed -E 's/.*start: (0x[0-9a-f]+), len (0x[0-9a-f]+), cap (0x[0-9a-f]+), wptr (0x[0-9a-f]+).*zcond: *[0-9]+\(([a-z]+)\).*/\1 \2 \3 \4 \5/' |
		while read -r s l c w cond; do
			case $cond in
			nw) cond=not-wp ;; em) cond=empty ;; oi) cond=imp-open ;;
			oe) cond=exp-open ;; cl) cond=closed ;; fu) cond=full ;;
			ro) cond=read-only ;; ol) cond=offline ;;
			esac
			s=$((s * 512))
			case $cond in not-wp | full) w=- ;; *) w=$((s + w * 512)) ;; esac
			echo "$s $((l * 512)) $((c * 512)) $w $cond"
		done
}
# No device keeps which zones are open across its removal: zloop's zones come back
# CLOSED (written) or EMPTY, as after a power cycle.  Where one side still has them open,
# compare as the other side will see them (and say so).
as_reopened() { # FILE -> stdout
	while read -r s l c w cond; do
		case $cond in
		imp-open | exp-open) [ "$w" = "$s" ] && cond=empty || cond=closed ;;
		esac
		echo "$s $l $c $w $cond"
	done < "$1"
}
same() { # DESC A B: the two reports agree
	if cmp -s "$2" "$3"; then ok "$1"
	else
		fail "$1"
		diff "$2" "$3" | sed 's/^/zloop-interop:   /'
	fi
}
opened_note() { # FILE WHERE
	n=$(grep -cE ' (imp|exp)-open$' "$1")
	[ "$n" = 0 ] || log "note: $n zone(s) open $2 come back CLOSED/EMPTY (zloop keeps no open condition): $(grep -E ' (imp|exp)-open$' "$1" | awk '{ printf "%s@%d ", $5, $1 / 16777216 }')"
}
image() { # DEV FILE: the whole device, O_DIRECT for a block device
	if [ -b "$1" ]; then dd if="$1" of="$2" bs=1M iflag=direct 2>> "$OUT/commands.log"
	else zonekit read "$1" 0 $CAP -o "$2" 2>> "$OUT/commands.log"; fi
}

# ---- (a) made by zonekit, read through /dev/zloopN ----
[ -c /dev/zloop-control ] || modprobe zloop || { log "FAIL no zloop module"; exit 1; }
head -c $((3 * M)) /dev/urandom > "$W/rand"
head -c $M "$W/rand" > "$W/rand1"
must "create" zonekit create "$DIR" --capacity 160M --zone-size 16M --zone-capacity 12M \
	--conv 2 --max-open 4
must "conventional zone 0 written at 0" zonekit write "$DIR" 0 --file "$W/rand"
must "conventional zone 1 written at 16M+4K" zonekit write "$DIR" $((ZS + 4096)) --size 64K --pattern 0x5a
# zone 2 (32M) stays empty
must "zone 3 partly written (1 MiB)" zonekit append "$DIR" $((3 * ZS)) --file "$W/rand1"
must "zone 4 written 2 MiB then finished" zonekit write "$DIR" $((4 * ZS)) --size 2M --pattern 0x44
must "zone 4 finish" zonekit finish "$DIR" $((4 * ZS))
must "zone 5 written to its capacity" zonekit write "$DIR" $((5 * ZS)) --size 12M --pattern 0x55
must "zone 6 written 8 KiB and opened" zonekit write "$DIR" $((6 * ZS)) --size 8K --pattern 0x66
must "zone 6 open" zonekit open "$DIR" $((6 * ZS))
must "zone 7 explicitly opened empty" zonekit open "$DIR" $((7 * ZS))
# zone 8: finished the way zonekit did before, its file at the zone size (zloop refuses it)
must "zone 8 written 4 KiB" zonekit write "$DIR" $((8 * ZS)) --size 4K --pattern 0x88
must "zone 8 finish" zonekit finish "$DIR" $((8 * ZS))
truncate -s $ZS "$DIR/seq-000008"
# zone 9 stays empty
zk_zones "$DIR" > "$OUT/a-dir.txt"
image "$DIR" "$W/a-dir.img"
opened_note "$OUT/a-dir.txt" "in the directory"

if ! zonekit zloop attach "$DIR" --id $ID > "$OUT/attach.txt" 2> "$OUT/attach.err"; then
	fail "zonekit zloop attach: $(cat "$OUT/attach.err"); $(dmesg | grep zloop | tail -n 2)"
	exit 1
fi
DEV=$(cat "$OUT/attach.txt")
[ "$DEV" = /dev/zloop$ID ] && ok "attach printed $DEV" || fail "attach printed '$DEV'"
grep -q "1 finished zone file(s) cut" "$OUT/attach.err" && ok "attach cut zone 8's file to the capacity" ||
	fail "attach did not say it cut zone 8: $(cat "$OUT/attach.err")"
[ "$(stat -c %s "$DIR/seq-000008")" = $((12 * M)) ] && ok "zone 8's file is 12 MiB" ||
	fail "zone 8's file is $(stat -c %s "$DIR/seq-000008") bytes"
bz_zones "$DEV" > "$OUT/a-blkzone.txt"
zk_zones "$DEV" > "$OUT/a-zonekit-dev.txt"
as_reopened "$OUT/a-dir.txt" > "$W/a-dir-reopened.txt"
same "(a) blkzone report $DEV = zonekit report DIR before" "$W/a-dir-reopened.txt" "$OUT/a-blkzone.txt"
same "(a) zonekit report $DEV = zonekit report DIR before" "$W/a-dir-reopened.txt" "$OUT/a-zonekit-dev.txt"
image "$DEV" "$W/a-dev.img"
if cmp "$W/a-dir.img" "$W/a-dev.img" > "$W/cmp" 2>&1; then ok "(a) data: $DEV = DIR, byte for byte ($CAP bytes)"
else fail "(a) data differs: $(head -n 1 "$W/cmp")"; fi
rm -f "$W/a-dir.img" "$W/a-dev.img" "$W/rand"
zonekit zloop attach "$DIR" > /dev/null 2> "$OUT/attach2.err" &&
	fail "a second attach of DIR was accepted" ||
	{ grep -q "attached already as $DEV" "$OUT/attach2.err" && ok "a second attach is refused: $(cat "$OUT/attach2.err")" ||
		fail "a second attach: $(cat "$OUT/attach2.err")"; }

# ---- (b) written through /dev/zloopN, read by zonekit after detach ----
head -c $((2 * M)) /dev/urandom > "$W/rand2"
wr() { # DESC OFS FILE: O_DIRECT write at OFS
	must "$1" dd if="$3" of="$DEV" bs=64K seek=$(($2 / 65536)) oflag=direct conv=notrunc
}
wr "dd 2 MiB into empty zone 2" $((2 * ZS)) "$W/rand2"
wr "dd 2 MiB at the wp of zone 3 (+1 MiB)" $((3 * ZS + M)) "$W/rand2"
must "blkzone reset zone 5 (full)" blkzone reset -o $((5 * ZS / 512)) -c 1 "$DEV"
must "blkzone finish zone 6 (closed, 8 KiB)" blkzone finish -o $((6 * ZS / 512)) -c 1 "$DEV"
must "blkzone open zone 9 (empty)" blkzone open -o $((9 * ZS / 512)) -c 1 "$DEV"
head -c $((12 * M)) /dev/urandom > "$W/rand12"
wr "dd 12 MiB into zone 7: full by writes" $((7 * ZS)) "$W/rand12"
wr "dd 2 MiB into conventional zone 1 at 4 MiB" $((ZS + 4 * M)) "$W/rand2"
bz_zones "$DEV" > "$OUT/b-blkzone.txt"
zk_zones "$DEV" > "$OUT/b-zonekit-dev.txt"
same "(b) zonekit report $DEV = blkzone report $DEV" "$OUT/b-blkzone.txt" "$OUT/b-zonekit-dev.txt"
opened_note "$OUT/b-blkzone.txt" "on $DEV"
image "$DEV" "$W/b-dev.img"
if zonekit zloop detach $ID > "$OUT/detach.txt" 2>&1; then ok "detach: $(cat "$OUT/detach.txt")"
else fail "detach: $(cat "$OUT/detach.txt")"; fi
[ ! -b "$DEV" ] && ok "$DEV is gone" || fail "$DEV still there"
zk_zones "$DIR" > "$OUT/b-dir.txt"
as_reopened "$OUT/b-blkzone.txt" > "$W/b-blkzone-reopened.txt"
same "(b) zonekit report DIR after detach = blkzone report before" "$W/b-blkzone-reopened.txt" "$OUT/b-dir.txt"
image "$DIR" "$W/b-dir.img"
if cmp "$W/b-dev.img" "$W/b-dir.img" > "$W/cmp" 2>&1; then ok "(b) data: DIR = $DEV, byte for byte ($CAP bytes)"
else fail "(b) data differs: $(head -n 1 "$W/cmp")"; fi
rm -f "$W/b-dev.img" "$W/b-dir.img" "$W/rand12"
must "zonekit appends to zone 3 where zloop left its wp" zonekit append "$DIR" $((3 * ZS)) --size 4K
must "zonekit resets zone 7 (filled through zloop)" zonekit reset "$DIR" $((7 * ZS))

# ---- and back: the directory as zonekit left it attaches again ----
zk_zones "$DIR" > "$OUT/c-dir.txt"
if zonekit zloop attach "$DIR" --id $ID > /dev/null 2> "$OUT/attach3.err"; then
	bz_zones "$DEV" > "$OUT/c-blkzone.txt"
	as_reopened "$OUT/c-dir.txt" > "$W/c-dir-reopened.txt"
	same "(c) attached again: blkzone report = zonekit report DIR" "$W/c-dir-reopened.txt" "$OUT/c-blkzone.txt"
	must "(c) detach" zonekit zloop detach $ID
else
	fail "(c) attach again: $(cat "$OUT/attach3.err")"
fi

log "$nfail failed"
[ "$nfail" = 0 ]
