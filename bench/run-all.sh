#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Run every zonekit benchmark and write doc/performance.md from the results.
#   bench/run-all.sh [options]
#     --quick        tiny runs of everything (checks the pipeline in a minute or
#                    two; results to a temporary directory, the report to
#                    stdout unless --doc)
#     --no-vm        leave out the null_blk runs in the VM (tests/vm)
#     --no-fio       leave out the fio comparison
#     --no-1m        leave out open + report of a 1 000 000-zone device
#     --repeat N     runs of each zkbench cell, median kept (default 5; fio
#                    cells: FIO_REPEAT, default 3)
#     --results DIR  where the JSON results go (default bench/results)
#     --doc FILE     the report (default doc/performance.md; "-": stdout)
#     --report-only  only regenerate the report from the results there
# Environment: TMPFS_DIR (default /dev/shm), DISK_DIR (default /var/tmp): the
# file systems measured; BUILD (default build-bench, configured here with
# -Dtests=false so the benchmark builds whatever state the tests are in);
# NICE: run the benchmarks under "nice -n $NICE" (recorded in the report).
set -euo pipefail
D=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$D/.." && pwd)
QUICK= VM=1 FIO=1 ONEM=1 REPEAT=5 RESULTS= DOC= REPORT_ONLY=
while [ $# -gt 0 ]; do
	case $1 in
	--quick) QUICK=1 ;;
	--no-vm) VM= ;;
	--no-fio) FIO= ;;
	--no-1m) ONEM= ;;
	--repeat) REPEAT=$2; shift ;;
	--results) RESULTS=$2; shift ;;
	--doc) DOC=$2; shift ;;
	--report-only) REPORT_ONLY=1 ;;
	-h | --help) sed -n '3,19p' "$0"; exit 0 ;;
	*) echo "run-all: unknown option $1" >&2; exit 2 ;;
	esac
	shift
done
if [ -n "$QUICK" ]; then
	RESULTS=${RESULTS:-$(mktemp -d "${TMPDIR:-/tmp}/zk-results.XXXXXX")}
	DOC=${DOC:--}
	REPEAT=1
fi
RESULTS=${RESULTS:-$D/results}
DOC=${DOC:-$ROOT/doc/performance.md}
TMPFS_DIR=${TMPFS_DIR:-/dev/shm}
DISK_DIR=${DISK_DIR:-/var/tmp}
BUILD=${BUILD:-$ROOT/build-bench}
NICE=${NICE:-}
mkdir -p "$RESULTS"
RESULTS=$(cd "$RESULTS" && pwd)
CMDS=$RESULTS/commands.txt
log() { echo "run-all: $*" >&2; }

report() {
	if [ "$DOC" = - ]; then
		python3 "$D/mkreport.py" "$RESULTS"
	else
		python3 "$D/mkreport.py" "$RESULTS" > "$DOC.tmp" && mv "$DOC.tmp" "$DOC"
		log "wrote $DOC"
	fi
}
if [ -n "$REPORT_ONLY" ]; then
	report
	exit 0
fi

# run CMD...: log it (with the variables expanded) to commands.txt, then run it
PRE=()
[ -z "$NICE" ] || PRE=(nice -n "$NICE")
run() {
	printf '%s\n' "$*" >> "$CMDS"
	"${PRE[@]}" "$@"
}

for t in python3 /usr/bin/time; do
	command -v "$t" >/dev/null || { log "missing $t (apt-get install python3 time)"; exit 1; }
done
if [ -n "$FIO" ] && ! command -v fio >/dev/null; then
	log "fio missing (apt-get install fio): no fio comparison"; FIO=
fi

T0=$SECONDS
# ---- build ----
if [ ! -f "$BUILD/build.ninja" ]; then
	meson setup "$BUILD" "$ROOT" -Dtests=false -Dbench=true >/dev/null
fi
ninja -C "$BUILD" >/dev/null
ZKB=$BUILD/bench/zkbench
: > "$CMDS"
echo "# commands run by bench/run-all.sh$([ -n "$QUICK" ] && echo ' --quick'), $(date -u '+%Y-%m-%d %H:%M UTC')" >> "$CMDS"
echo "meson setup $BUILD -Dtests=false -Dbench=true && ninja -C $BUILD" >> "$CMDS"

# ---- the machine ----
fstype() { df -T "$1" | awk 'NR==2 {print $2}'; }
fsdev() { df -T "$1" | awk 'NR==2 {print $1}'; }
python3 - "$RESULTS/machine.json" <<EOF
import json, os, platform, subprocess, sys
def sh(c):
    return subprocess.run(c, shell=True, capture_output=True, text=True).stdout.strip()
cpu = sh("grep -m1 'model name' /proc/cpuinfo | cut -d: -f2").strip()
hv = sh("lscpu | sed -n 's/^Hypervisor vendor: *//p'")
json.dump({
  "date": sh("date -u '+%Y-%m-%d %H:%M UTC'"),
  "nproc": os.cpu_count(), "cpu": cpu, "hypervisor": hv,
  "kernel": platform.release(),
  "mem_gib": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1),
  "os": sh(". /etc/os-release && echo \$PRETTY_NAME"),
  "gcc": sh("gcc -dumpfullversion"), "liburing": sh("pkg-config --modversion liburing"),
  "fio": sh("fio --version"),
  "buildtype": sh("meson introspect --buildoptions '$BUILD' | python3 -c \"import json,sys; print([o['value'] for o in json.load(sys.stdin) if o['name']=='buildtype'][0])\""),
  "commit": sh("git -C '$ROOT' rev-parse --short HEAD"),
  "dirty": bool(sh("git -C '$ROOT' status --porcelain -- src include")),
  "loadavg_start": sh("cat /proc/loadavg"),
  "nice": "$NICE",
  "quick": bool("$QUICK"),
  "fs": {"tmpfs": {"dir": "$TMPFS_DIR", "type": "$(fstype "$TMPFS_DIR")", "dev": "$(fsdev "$TMPFS_DIR")"},
         "disk": {"dir": "$DISK_DIR", "type": "$(fstype "$DISK_DIR")", "dev": "$(fsdev "$DISK_DIR")"}},
}, open(sys.argv[1], "w"), indent=1)
EOF
log "machine: $(nproc) CPUs, $(uname -r), load $(cut -d' ' -f1-3 /proc/loadavg)"

if [ -n "$QUICK" ]; then
	ZARGS=(--quick)
	FARGS=(--sizes 4K,1M --jobs 1,8 --bytes 4M --min-ops 16 --repeat 1)
	NZ1M=20000
else
	ZARGS=(--min-ops 256 --repeat "$REPEAT")
	FARGS=(--min-ops 256 --repeat "${FIO_REPEAT:-3}")
	NZ1M=1000000
fi

# Bytes per run: a buffered 4 KiB run of 64 MiB lasts some 40 ms, short
# enough for one preemption on a shared machine to move it by 30%; O_DIRECT
# runs are slower and stay at 64 MiB.
run_bytes() {
	if [ -n "$QUICK" ]; then echo 4M
	elif [ "$1" = disk-direct ]; then echo 64M
	else echo 256M
	fi
}

# ---- the zkbench matrix on each file system ----
# disk-direct: the disk file system again, zone files and raw writes O_DIRECT
for fs in tmpfs disk disk-direct; do
	dir=$TMPFS_DIR; [ $fs != tmpfs ] && dir=$DISK_DIR
	extra=(); [ $fs = disk-direct ] && extra=(--direct)
	log "zkbench matrix on $dir ($(fstype "$dir")${extra[*]:+, O_DIRECT})"
	dev=$(mktemp -d "$dir/zkbench.XXXXXX")
	rmdir "$dev" # zkbench makes it, and removes it at the end
	run "$ZKB" --dev "$dev" --no-progress "${extra[@]}" "${ZARGS[@]}" \
		--bytes "$(run_bytes $fs)" --json="$RESULTS/zkbench-$fs.json" | tee "$RESULTS/zkbench-$fs.txt"
done

# ---- fio ----
if [ -n "$FIO" ]; then
	for fs in tmpfs disk disk-direct; do
		dir=$TMPFS_DIR; [ $fs != tmpfs ] && dir=$DISK_DIR
		extra=(); [ $fs = disk-direct ] && extra=(--direct)
		log "fio comparison on $dir${extra[*]:+ (O_DIRECT)}"
		run python3 "$D/fio-compare.py" --dir "$dir" --zkbench "$ZKB" "${FARGS[@]}" \
			--bytes "$(run_bytes $fs)" "${extra[@]}" --json "$RESULTS/fio-$fs.json"
	done
fi

# ---- open + full report of a big device, and its memory ----
# /usr/bin/time -v gives the peak resident set of the whole program; the same
# program on a 16-zone device is the baseline subtracted to isolate zone state.
if [ -n "$ONEM" ]; then
	for fs in tmpfs disk; do
		dir=$TMPFS_DIR; [ $fs = disk ] && dir=$DISK_DIR
		w=$(mktemp -d "$dir/zk-1m.XXXXXX")
		log "creating a $NZ1M-zone device in $w"
		run "$ZKB" create --dev "$w/big" --nr-zones "$NZ1M" --zone-size 64M > "$RESULTS/create-$fs.txt"
		run "$ZKB" create --dev "$w/tiny" --nr-zones 16 --zone-size 64M > /dev/null
		for i in 1 2 3; do
			for dev in big tiny; do
				run /usr/bin/time -v -o "$RESULTS/time-$fs-$dev-$i.txt" \
					"$ZKB" open-report --dev "$w/$dev" --json="$RESULTS/open-report-$fs-$dev-$i.json" > /dev/null
			done
		done
		# as after a crash: no snapshot, so the open stat()s every zone file
		# (a read-only open neither uses up nor writes a snapshot)
		run rm "$w/big/wp-snapshot"
		for i in 1 2 3; do
			run "$ZKB" open-report --dev "$w/big" \
				--json="$RESULTS/open-report-$fs-nosnap-$i.json" > /dev/null
		done
		rm -rf "$w"
	done
fi

# ---- real zoned devices in the VM ----
if [ -n "$VM" ]; then
	if [ -x "$ROOT/tests/vm/run.sh" ] && [ -f "$ROOT/tests/vm/.cache/${ZKVM_KERNEL:-6.12}/vmlinuz" ]; then
		log "null_blk in the VM (tests/vm)"
		run env BUILD="$BUILD" "$D/vm-bench.sh" ${QUICK:+--quick} --out "$RESULTS" ||
			log "the VM run failed; its results are left out"
	else
		log "tests/vm not set up (tests/vm/setup.sh): no VM runs"
	fi
fi

python3 - "$RESULTS/machine.json" <<EOF
import json, sys
m = json.load(open(sys.argv[1])); m["loadavg_end"] = open("/proc/loadavg").read().strip()
m["duration_s"] = $((SECONDS - T0))
json.dump(m, open(sys.argv[1], "w"), indent=1)
EOF
report
