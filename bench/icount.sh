#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The user-space instructions zonekit adds to one 4 KiB operation, counted
# by valgrind's callgrind (bench/icount.c): zk_append, zk_pwrite and a queue
# append, each against the bare pwrite it wraps.  System calls count as
# nothing, so the figures are the same on a busy machine and a threshold on
# them does not flake.  Builds nothing: give it a build directory, best a
# release one (meson setup build-rel --buildtype=release).
#
#   bench/icount.sh [--ops N] [--max-append N] [--max-pwrite N]
#                   [--max-queue N] BUILDDIR
#
# Prints "MODE N instructions/op" for each mode; exits 1 if a count is over
# its --max-*, 2 on a usage error or if a run fails.
set -euo pipefail

usage() {
	echo "usage: $0 [--ops N] [--max-append N] [--max-pwrite N] [--max-queue N] BUILDDIR" >&2
	exit 2
}

ops=4000 builddir=
declare -A max=()
while [ $# -gt 0 ]; do
	case $1 in
	--ops) ops=${2:-}; shift 2 || usage ;;
	--max-append) max[append]=${2:-}; shift 2 || usage ;;
	--max-pwrite) max[pwrite]=${2:-}; shift 2 || usage ;;
	--max-queue) max[queue-append]=${2:-}; shift 2 || usage ;;
	-h|--help) usage ;;
	-*) echo "$0: unknown option $1" >&2; usage ;;
	*) [ -z "$builddir" ] || usage; builddir=$1; shift ;;
	esac
done
[ -n "$builddir" ] || usage
for n in "$ops" "${max[@]}"; do
	[[ $n =~ ^[0-9]+$ ]] || { echo "$0: not a number: '$n'" >&2; exit 2; }
done
icount=$builddir/bench/icount
[ -x "$icount" ] || { echo "$0: no $icount (built with -Dbench=true?)" >&2; exit 2; }
command -v valgrind >/dev/null || { echo "$0: valgrind is not installed" >&2; exit 2; }

work=$(mktemp -d "${TMPDIR:-/tmp}/zk-icount.XXXXXX")
trap 'rm -rf "$work"' EXIT

# The instructions inside the measure_* loop of one mode, per operation.
# Symbols are bound at start (LD_BIND_NOW), so the dynamic linker's first
# lookups do not fall in the loop.
count() {
	local mode=$1 out=$work/$1.out total
	if ! LD_BIND_NOW=1 valgrind --tool=callgrind --toggle-collect='measure_*' \
		--callgrind-out-file="$out" "$icount" "$mode" "$work/$mode" "$ops" \
		>"$work/$mode.log" 2>&1; then
		echo "$0: $mode failed under callgrind:" >&2
		tail -20 "$work/$mode.log" >&2
		exit 2
	fi
	total=$(awk '$1 == "totals:" || $1 == "summary:" { print $2; exit }' "$out")
	[ -n "$total" ] || { echo "$0: no count in $out" >&2; exit 2; }
	echo $(((total + ops / 2) / ops))
}

over=0
for mode in append pwrite queue-append raw-pwrite; do
	n=$(count "$mode")
	echo "$mode $n instructions/op"
	if [ -n "${max[$mode]:-}" ] && [ "$n" -gt "${max[$mode]}" ]; then
		echo "$0: $mode takes $n instructions/op, more than ${max[$mode]}" >&2
		over=1
	fi
done
exit $over
