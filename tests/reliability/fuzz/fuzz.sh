#!/bin/bash
# SPDX-License-Identifier: MIT
# Fuzz zonekit's parsers with libFuzzer, each target for a bounded time.
#
#   tests/reliability/fuzz/fuzz.sh [-t SECONDS] [--merge] [--regress] [TARGET...]
#
# TARGET: geometry (zk_geometry_parse), size (the tool's number parsers),
# device (zk_open of a hostile device directory), cli (the whole tool's
# command line); default all.  SECONDS per target: 60 (or $FUZZ_SECONDS).
#
# Each target is built with clang -fsanitize=fuzzer,address,undefined, the
# library's (and for cli and size the tool's) sources compiled in with
# coverage, and run from a copy of its seed corpus
# (tests/reliability/corpus/TARGET/).  --merge adds the inputs that found
# new coverage to the seed corpus (minimised: libFuzzer -merge=1); review
# and commit them.  Without clang or libFuzzer's runtime (Debian:
# libclang-rt-14-dev, or the clang package of LLVM 14), or with --regress,
# each target is only built with cc and run once over its corpus, as
# meson test does.
#
# Prints one line per target for doc/reliability.md:
#   FIGURES fuzz-TARGET execs=N seconds=S corpus=N findings=N mode=libfuzzer
# and exits 1 if any target found something (crash-*, leak-*, timeout-*,
# oom-* files in the work directory, $FUZZ_BUILD, default
# ${TMPDIR:-/tmp}/zonekit-fuzz).
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../../.." && pwd)
secs=${FUZZ_SECONDS:-60}
merge=0
regress=0
targets=()
while [ $# -gt 0 ]; do
	case $1 in
	-t) secs=$2; shift ;;
	--merge) merge=1 ;;
	--regress) regress=1 ;;
	-h|--help) sed -n '3,27p' "$0"; exit 0 ;;
	-*) echo "unknown option $1" >&2; exit 2 ;;
	*) targets+=("$1") ;;
	esac
	shift
done
[ ${#targets[@]} -eq 0 ] && targets=(geometry size device cli)
work=${FUZZ_BUILD:-${TMPDIR:-/tmp}/zonekit-fuzz}
mkdir -p "$work"

CC_FUZZ=${CC_FUZZ:-clang}
if [ "$regress" = 0 ]; then
	echo 'int LLVMFuzzerTestOneInput(const unsigned char *d, unsigned long n) { (void)d; (void)n; return 0; }' \
		>"$work/probe.c"
	if ! "$CC_FUZZ" -fsanitize=fuzzer "$work/probe.c" -o "$work/probe" 2>/dev/null; then
		echo "fuzz.sh: no clang with libFuzzer: a regression run over the corpus only" >&2
		regress=1
	fi
fi

common=(-std=gnu11 -D_GNU_SOURCE -D_FILE_OFFSET_BITS=64 -pthread -g
	-I"$top/include" -I"$top/src" -I"$top/tools" -I"$here")
# the library without liburing (its io_uring engine is left out: the
# thread engine serves every queue), as meson builds it where liburing is
# missing; the tool without serve/stop (built only with liburing)
lib_srcs=()
for s in "$top"/src/*.c "$top"/src/*/*.c; do
	[ "$(basename "$s")" = queue_uring.c ] || lib_srcs+=("$s")
done
tool_srcs=("$work/map_assets.c")
for s in "$top"/tools/*.c; do
	case $(basename "$s") in cmd_serve.c|cmd_stop.c) ;; *) tool_srcs+=("$s") ;; esac
done
# the map page's style and script, compiled in as tools/meson.build does
python3 "$top/tools/embed.py" "$work/map_assets.c" \
	map_css="$top/tools/map/map.css" map_js="$top/tools/map/map.js" || exit 1

# build TARGET: the fuzzer (or the corpus runner) in $work/TARGET/
build() {
	local t=$1 dir=$work/$1 cc cflags ldflags main=() srcs=() tools=()
	mkdir -p "$dir/obj"
	if [ "$regress" = 1 ]; then
		cc=${CC:-cc}
		cflags=(-O1)
		ldflags=()
		main=("$here/corpus_main.c")
	else
		cc=$CC_FUZZ
		cflags=(-O1 -fsanitize=fuzzer-no-link,address,undefined
			-fno-sanitize-recover=undefined)
		ldflags=(-fsanitize=fuzzer,address,undefined)
	fi
	srcs=("$here/fuzz_$t.c" "${lib_srcs[@]}")
	case $t in
	size) srcs+=("$top/tools/cli_util.c") ;;
	cli) tools=("${tool_srcs[@]}") ;;
	esac
	local objs=() i=0 s
	for s in "${srcs[@]}" "${main[@]}"; do
		"$cc" "${common[@]}" "${cflags[@]}" -DFUZZ_OBJCOPY_WRAP -c "$s" \
			-o "$dir/obj/$i.o" || return 1
		objs+=("$dir/obj/$i.o"); i=$((i + 1))
	done
	# The tool's own calls (only theirs) go to fuzz_cli.c's wrappers.
	for s in "${tools[@]}"; do
		"$cc" "${common[@]}" "${cflags[@]}" -Dmain=zonekit_cli_main -c "$s" \
			-o "$dir/obj/$i.o" || return 1
		objcopy $(for f in zk_open zk_create open open64 fopen fopen64; do
				echo "--redefine-sym $f=__wrap_$f"; done) "$dir/obj/$i.o" || return 1
		objs+=("$dir/obj/$i.o"); i=$((i + 1))
	done
	"$cc" "${cflags[@]}" "${ldflags[@]}" "${objs[@]}" -pthread \
		-o "$dir/fuzz_$t" || return 1
}

status=0
for t in "${targets[@]}"; do
	seed=$here/../corpus/$t
	dir=$work/$t
	if [ ! -f "$here/fuzz_$t.c" ] || [ ! -d "$seed" ]; then
		echo "fuzz.sh: no target $t" >&2; status=1; continue
	fi
	rm -rf "$dir"
	if ! build "$t" >"$work/$t.build.log" 2>&1; then
		cat "$work/$t.build.log" >&2
		echo "fuzz.sh: $t: build failed" >&2; status=1; continue
	fi
	if [ "$regress" = 1 ]; then
		start=$(date +%s.%N)
		if "$dir/fuzz_$t" "$seed" >"$dir/run.log" 2>&1; then found=0; else
			found=1; tail -20 "$dir/run.log" >&2; status=1
		fi
		n=$(find "$seed" -type f | wc -l)
		printf 'FIGURES fuzz-%s execs=%s seconds=%.1f corpus=%s findings=%s mode=regress\n' \
			"$t" "$n" "$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { print b - a }')" "$n" "$found"
		continue
	fi
	mkdir -p "$dir/corpus" "$dir/artifacts"
	cp "$seed"/* "$dir/corpus/" 2>/dev/null
	start=$(date +%s.%N)
	# Leaks, UB and timeouts are findings too; the target's own output
	# (usage errors of fuzzed command lines) is dropped (-close_fd_mask).
	(cd "$dir" && ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 \
		UBSAN_OPTIONS=print_stacktrace=1 \
		./"fuzz_$t" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
		-malloc_limit_mb=2048 -close_fd_mask=3 -print_final_stats=1 \
		-artifact_prefix="$dir/artifacts/" corpus "$seed") >"$dir/run.log" 2>&1
	rc=$?
	secs_run=$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { print b - a }')
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$dir/run.log" | tail -1)
	found=$(find "$dir/artifacts" -type f | wc -l)
	ncorp=$(find "$dir/corpus" -type f | wc -l)
	if [ "$found" -gt 0 ] || [ "$rc" -ne 0 ]; then
		status=1
		echo "fuzz.sh: $t: exit $rc, findings in $dir/artifacts:" >&2
		ls "$dir/artifacts" >&2
		grep -E 'ERROR|SUMMARY|INVARIANT|runtime error' "$dir/run.log" | head -20 >&2
		[ "$found" -eq 0 ] && found=1
	fi
	if [ "$merge" = 1 ] && [ "$found" -eq 0 ]; then
		(cd "$dir" && ./"fuzz_$t" -merge=1 -close_fd_mask=3 "$seed" corpus) \
			>"$dir/merge.log" 2>&1 || echo "fuzz.sh: $t: merge failed" >&2
	fi
	printf 'FIGURES fuzz-%s execs=%s seconds=%.1f corpus=%s findings=%s mode=libfuzzer\n' \
		"$t" "${execs:-0}" "$secs_run" "$ncorp" "$found"
done
exit $status
