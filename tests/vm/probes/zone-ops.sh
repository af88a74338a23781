#!/bin/sh
# SPDX-License-Identifier: MIT
# Guest probe: what each zoned device does where the zone models leave a choice, with
# raw zone operations (blkzone) and O_DIRECT writes (dd), nothing of zonekit's:
#   zone-ops.sh DEV...
# For each device, on its first sequential zones (reset first): close of an EMPTY zone,
# close of an explicitly opened empty zone, finish of an EMPTY and of a CLOSED zone, the
# wp a FULL zone reports (finished, or written to capacity), a write across the zone
# capacity, close and open of a FULL zone,
# what reads past the wp return after a reset of a written zone, which zone the device
# closes implicitly when a write needs an open slot (zones written in the order
# S0 S1 .. S(max_open-1), then S0 again, then S(max_open)), and an explicit open while
# every open slot is held by an implicitly open zone. Needs pwrite_direct in PATH.
set -u
rep() { # DEV SECTOR: "COND wp +N"
	blkzone report -o "$2" -c 1 "$1" | sed -n 's/.*wptr \(0x[0-9a-f]*\).*zcond: *[0-9]*(\([a-z]*\)).*/\2 wp +\1/p'
}
op() { # OP DEV SECTOR: rc of blkzone OP
	blkzone "$1" -o "$3" -c 1 "$2" 2> /dev/null && echo ok || echo "error"
}
wr() { # DEV SECTOR KIB
	dd if=/dev/zero of="$1" bs=4096 seek=$(($2 / 8)) count=$(($3 / 4)) oflag=direct conv=notrunc 2> /dev/null &&
		echo ok || echo error
}
closed_zones() { # DEV N: which of S0..SN are CLOSED
	local i=0 out=
	while [ $i -le "$2" ]; do
		case $(rep "$1" "$(s $i)") in cl*) out="$out S$i" ;; esac
		i=$((i + 1))
	done
	echo "$out"
}
for dev in "$@"; do
	name=${dev#/dev/}
	q=/sys/block/$name/queue
	zs=$(cat $q/chunk_sectors)
	mo=$(cat $q/max_open_zones)
	first=$(blkzone report "$dev" | grep -n SEQ_WRITE_REQUIRED | head -n 1 | cut -d: -f1)
	first=$((first - 1))
	s() { echo $(((first + $1) * zs)); }
	cap=$(blkzone report -o "$(s 0)" -c 1 "$dev" | sed -n 's/.*cap \(0x[0-9a-f]*\),.*/\1/p')
	echo "== $dev: zone $((zs / 2048)) MiB, capacity $((cap / 2048)) MiB, max open $mo," \
		"max active $(cat $q/max_active_zones), first sequential zone $first," \
		"zone_append_max_bytes $(cat $q/zone_append_max_bytes)"
	blkzone reset "$dev" 2> /dev/null
	echo "close of an EMPTY zone: $(op close "$dev" "$(s 0)"), then $(rep "$dev" "$(s 0)")"
	op open "$dev" "$(s 0)" > /dev/null
	echo "explicit open of an EMPTY zone, then close: $(op close "$dev" "$(s 0)"), then $(rep "$dev" "$(s 0)")"
	blkzone reset -o "$(s 0)" -c 1 "$dev"
	echo "finish of an EMPTY zone: $(op finish "$dev" "$(s 1)"), then $(rep "$dev" "$(s 1)")"
	wr "$dev" "$(s 2)" 8 > /dev/null
	op close "$dev" "$(s 2)" > /dev/null
	echo "finish of a CLOSED zone (8 KiB written): $(op finish "$dev" "$(s 2)"), then $(rep "$dev" "$(s 2)")"
	echo "close of a FULL zone: $(op close "$dev" "$(s 2)"); open of a FULL zone: $(op open "$dev" "$(s 2)"), then $(rep "$dev" "$(s 2)")"
	dd if=/dev/zero of="$dev" bs=1M seek=$(($(s 3) / 2048)) count=$((cap / 2048)) oflag=direct 2> /dev/null
	echo "written to capacity: $(rep "$dev" "$(s 3)")"
	# one O_DIRECT write of 64 KiB with 32 KiB left before the capacity (one request)
	dd if=/dev/zero of="$dev" bs=4096 seek=$(($(s 6) / 8)) count=$(((cap - 64) / 8)) oflag=direct 2> /dev/null
	r=$(pwrite_direct "$dev" $((($(s 6) + cap - 64) * 512)) 65536)
	echo "64 KiB write with 32 KiB left before the capacity: $r, then $(rep "$dev" "$(s 6)")" \
		"(capacity +$(printf '%#x' "$cap"))"
	# reads past the wp: write a pattern, reset, read it back
	dd if=/dev/urandom of=/tmp/pat bs=4096 count=1 2> /dev/null
	dd if=/tmp/pat of="$dev" bs=4096 seek=$(($(s 4) / 8)) oflag=direct 2> /dev/null
	blkzone reset -o "$(s 4)" -c 1 "$dev"
	echo "read past the wp after a reset of a written zone: $(dd if="$dev" bs=4096 skip=$(($(s 4) / 8)) count=1 iflag=direct 2> /dev/null | od -An -tx1 -N8 | tr -s ' ')" \
		"(was $(od -An -tx1 -N8 /tmp/pat | tr -s ' '))"
	echo "read past the wp of an unwritten zone: $(dd if="$dev" bs=4096 skip=$(($(s 5) / 8)) count=1 iflag=direct 2> /dev/null | od -An -tx1 -N8 | tr -s ' ')"
	blkzone reset "$dev" 2> /dev/null
	if [ "$mo" -gt 0 ]; then
		i=0
		while [ $i -lt "$mo" ]; do wr "$dev" "$(s $i)" 4 > /dev/null; i=$((i + 1)); done
		wr "$dev" $(($(s 0) + 8)) 4 > /dev/null
		r=$(wr "$dev" "$(s "$mo")" 4)
		closed=$(closed_zones "$dev" "$mo")
		echo "implicit close (written S0..S$((mo - 1)), S0 again, then S$mo: $r): closed:${closed:- none}"
		blkzone reset "$dev" 2> /dev/null
		i=0
		while [ $i -lt "$mo" ]; do wr "$dev" "$(s $i)" 4 > /dev/null; i=$((i + 1)); done
		r=$(op open "$dev" "$(s "$mo")")
		closed=$(closed_zones "$dev" "$mo")
		echo "explicit open of S$mo with S0..S$((mo - 1)) implicitly open: $r, $(rep "$dev" "$(s "$mo")"); closed:${closed:- none}"
		blkzone reset "$dev" 2> /dev/null
	fi
done
