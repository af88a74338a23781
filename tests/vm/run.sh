#!/bin/bash
# SPDX-License-Identifier: MIT
# Boot a throw-away QEMU (TCG) guest with real zoned block devices and run a script in it.
#   tests/vm/run.sh [options] -- SCRIPT [FILE...]    SCRIPT becomes the guest's /mnt/run.sh
#   tests/vm/run.sh [options] -- DIR                 DIR's files are shared; DIR/run.sh runs
# Options:
#   --kernel KVER    6.1 | 6.12 | 7.2 | an ABI set up by setup.sh (default: $ZKVM_KERNEL or 6.12)
#   --nullb PARAMS   null_blk module parameters, comma-separated, or "off"
#                    (default: zoned=1,zone_size=64,zone_capacity=48,zone_nr_conv=4,
#                     zone_max_open=4,zone_max_active=6,memory_backed=1,gb=1,bs=4096)
#   --cfs NAME:A=V,...  also make a null_blk through configfs (repeatable; see nullb-cfs)
#   --no-zns         no NVMe ZNS namespace
#   --zloop ID:OPT=V,...  also make /dev/zloopID (repeatable; see zloop-dev), e.g.
#                    0:capacity_mb=256,zone_size_mb=16,zone_capacity_mb=12,conv_zones=2,max_open_zones=4
#   --scsi [P=V,...]  also make a scsi_debug disk (see scsi-zbc: by default ZBC
#                    host-managed, 512-byte logical, 4 KiB physical blocks); "--scsi 1"
#                    for the defaults
#   --timeout SEC    kill the guest after SEC seconds (default 300)
#   --out DIR        where to leave console.log and the guest's /mnt/out (default: new temp dir)
#   --append WORDS   more kernel command line
#   -q               console only to the log, not to stdout
# The guest sees the shared files in /mnt (its cwd, on PATH) and writes results to
# $OUT=/mnt/out. Exit status: the guest script's; 124 if the guest hung; 125 if the VM
# could not be set up, started, or did not report a status. Needs: setup.sh run before.
set -Eeuo pipefail
trap 'echo "run.sh: ERROR: command failed at line $LINENO (exit $?)" >&2; exit 125' ERR
D=$(cd "$(dirname "$0")" && pwd)
CACHE=${ZKVM_CACHE:-$D/.cache}
KVER=${ZKVM_KERNEL:-6.12} NULLB='' CFS='' ZLOOP='' SCSI='' ZNS=1 TIMEOUT=300 OUT='' APPEND='' QUIET=''
die() { echo "run.sh: ERROR: $*" >&2; exit 125; }
while [ $# -gt 0 ]; do
	case $1 in
	--kernel) KVER=$2; shift ;;
	--nullb) NULLB=$2; shift ;;
	--cfs) CFS=${CFS:+$CFS;}$2; shift ;;
	--no-zns) ZNS= ;;
	--zloop) ZLOOP=${ZLOOP:+$ZLOOP;}$2; shift ;;
	--scsi) SCSI=$2; shift ;;
	--timeout) TIMEOUT=$2; shift ;;
	--out) OUT=$2; shift ;;
	--append) APPEND=$2; shift ;;
	-q) QUIET=1 ;;
	--) shift; break ;;
	*) die "unknown option $1 (usage: see the head of $0)" ;;
	esac
	shift
done
[ $# -gt 0 ] || die "nothing to run: give -- SCRIPT [FILE...] or -- DIR"
for f in "$@"; do [ -e "$f" ] || die "no such file: $f"; done
K=$CACHE/$KVER
[ -f "$K/vmlinuz" ] && [ -f "$K/initramfs.cpio.gz" ] ||
	die "kernel $KVER is not set up: run tests/vm/setup.sh $KVER"
KERNEL=$K/vmlinuz
[ ! -f "$K/vmlinux" ] || KERNEL=$K/vmlinux # faster to boot, see setup.sh
case $NULLB$CFS$ZLOOP$SCSI in *' '*) die "--nullb/--cfs/--zloop/--scsi: use commas, not spaces" ;; esac

T=$(mktemp -d "${TMPDIR:-/tmp}/zkvm.XXXXXX")
trap 'rm -rf "$T"' EXIT
OUT=${OUT:-$(mktemp -d "${TMPDIR:-/tmp}/zkvm-out.XXXXXX")}
mkdir -p "$OUT"; LOG=$OUT/console.log

# a fresh share for this run: the given files, the first one (or DIR/run.sh) as run.sh
mkdir "$T/share"
if [ -d "$1" ]; then
	[ $# = 1 ] && [ -f "$1/run.sh" ] || die "-- DIR takes no more files, and DIR needs a run.sh"
	cp -a "$1/." "$T/share/"
else
	cp "$@" "$T/share/"
	cp "$1" "$T/share/run.sh"
fi

# /init and its helper go into a small second cpio archive appended to the base
# initramfs: the kernel unpacks both, and edits to init need no re-run of setup.sh.
mkdir -p "$T/extra/bin"
install -m 755 "$D/init" "$T/extra/init"
for f in nullb-cfs zloop-dev scsi-zbc; do install -m 755 "$D/$f" "$T/extra/bin/$f"; done
(cd "$T/extra" && find . | cpio -o -H newc --quiet | gzip -1) > "$T/extra.cpio.gz"
cat "$K/initramfs.cpio.gz" "$T/extra.cpio.gz" > "$T/initrd"

# loglevel=3: kernel errors (every failed zone write logs one) stay off the console,
# which carries the test output; init saves the whole dmesg to out/dmesg.txt.
# oops=panic + panic=-1 + -no-reboot: a kernel bug ends the VM at once, not at the timeout.
CMDLINE="console=ttyS0 loglevel=3 oops=panic panic=-1 zk_zns=${ZNS:-0}"
[ -z "$NULLB" ] || CMDLINE="$CMDLINE zk_nullb=$NULLB"
[ -z "$CFS" ] || CMDLINE="$CMDLINE zk_cfs=$CFS"
[ -z "$ZLOOP" ] || CMDLINE="$CMDLINE zk_zloop=$ZLOOP"
[ -z "$SCSI" ] || CMDLINE="$CMDLINE zk_scsi=$SCSI"
# TCG, not KVM: /dev/kvm exists on these machines but guests fail on it ("KVM
# internal error", MSR 0x10a) with every -cpu model tried.  ZKVM_MEM: guest memory.
QEMU=(qemu-system-x86_64 -machine q35 -accel "tcg,thread=${ZKVM_TCG_THREAD:-single}" -cpu max -smp 2 -m "${ZKVM_MEM:-1G}"
	-nodefaults -display none -no-reboot -monitor none -serial stdio
	-kernel "$KERNEL" -initrd "$T/initrd" -append "$CMDLINE $APPEND"
	-virtfs "local,path=$T/share,mount_tag=zk,security_model=none,id=zk")
if [ -n "$ZNS" ]; then
	# zone size 64M, capacity 48M, 16 zones; a new (sparse) backing file every run
	truncate -s 1G "$T/zns.img"
	QEMU+=(-drive "file=$T/zns.img,id=zns0,format=raw,if=none,cache=unsafe"
		-device nvme,id=nvme0,serial=zonekit0,zoned.zasl=5
		-device "nvme-ns,drive=zns0,bus=nvme0,nsid=1,logical_block_size=4096,physical_block_size=4096,zoned=true,zoned.zone_size=64M,zoned.zone_capacity=48M,zoned.max_open=4,zoned.max_active=6")
fi

start=$SECONDS
trap - ERR # QEMU's exit status is judged below
set +e
if [ -n "$QUIET" ]; then
	timeout -k 10 "$TIMEOUT" "${QEMU[@]}" < /dev/null > "$LOG" 2>&1
	qrc=$?
else
	timeout -k 10 "$TIMEOUT" "${QEMU[@]}" < /dev/null 2>&1 | tee "$LOG"
	qrc=${PIPESTATUS[0]}
fi
set -e
[ ! -d "$T/share/out" ] || cp -a "$T/share/out/." "$OUT/"
secs=$((SECONDS - start))

status=$(tr -d '\r' < "$LOG" | sed -n 's/^ZKVM-EXIT \([0-9]*\)$/\1/p' | tail -n 1)
if [ "$qrc" = 124 ] || [ "$qrc" = 137 ]; then
	echo "run.sh: ERROR: guest hung: killed after ${TIMEOUT}s (kernel $KVER). Last lines of $LOG:" >&2
	tail -n 15 "$LOG" >&2
	exit 124
elif [ -z "$status" ]; then
	echo "run.sh: ERROR: no ZKVM-EXIT line from the guest (qemu exit $qrc, kernel $KVER). Last lines of $LOG:" >&2
	tail -n 15 "$LOG" >&2
	exit 125
elif grep -q '^zkvm: SETUP FAILED' "$LOG"; then
	echo "run.sh: ERROR: the guest could not set up its devices (kernel $KVER); see $LOG" >&2
	exit 125
fi
echo "run.sh: kernel $KVER: guest script exit $status after ${secs}s; results in $OUT" >&2
exit "$status"
