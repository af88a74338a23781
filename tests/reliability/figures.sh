#!/bin/bash
# SPDX-License-Identifier: MIT
# Run the reliability tests and the fuzzers, and write their figures into
# doc/reliability.md (between the "figures:begin" and "figures:end"
# markers): what was run, pass or FAIL, and the counts each test printed
# on its "FIGURES test key=value..." line.  Nothing in that section is
# typed in by hand.
#
#   tests/reliability/figures.sh [-b BUILD_DIR] [-t FUZZ_SECONDS] [--no-fuzz]
#
# BUILD_DIR (default build) must be built (ninja -C BUILD_DIR).  The crash
# tests take about 3 minutes, the fuzzers FUZZ_SECONDS (default 60) each
# plus their build.  Tests that need root (ext4 on a loop device, a small
# tmpfs) are reported as skipped without it.  Exits 1 if a test failed,
# after writing the section all the same.
set -uo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
build=$top/build
fuzz_secs=60
fuzz=1
while [ $# -gt 0 ]; do
	case $1 in
	-b) build=$(cd "$2" && pwd); shift ;;
	-t) fuzz_secs=$2; shift ;;
	--no-fuzz) fuzz=0 ;;
	-h|--help) sed -n '3,17p' "$0"; exit 0 ;;
	*) echo "unknown argument $1" >&2; exit 2 ;;
	esac
	shift
done
rel=$build/tests/reliability
doc=$top/doc/reliability.md
[ -x "$rel/rel_crash" ] || { echo "figures.sh: build $build first" >&2; exit 2; }
logs=$(mktemp -d "${TMPDIR:-/tmp}/zonekit-figures.XXXXXX")
rows=()
status=0

# run NAME COMMAND...: one table row from its exit status and FIGURES line
run() {
	local name=$1 rc result figs
	shift
	echo "== $name" >&2
	"$@" >"$logs/$name.log" 2>&1
	rc=$?
	case $rc in
	0) result=pass ;;
	77) result=skipped ;;
	*) result=FAIL; status=1 ;;
	esac
	figs=$(sed -n 's/^FIGURES [^ ]* //p' "$logs/$name.log" | tr '\n' ' ')
	if [ -z "$figs" ]; then # TAP: count the cases
		figs=$(awk '/^ok /{p++} /^not ok /{f++} END {if (p + f) printf "cases=%d failed=%d", p + f, f}' \
			"$logs/$name.log")
	fi
	if [ "$result" = FAIL ]; then
		# the first failure, with its indented continuation lines
		figs="$figs; $(awk '/^FAIL|^not ok|FUZZ INVARIANT|ERROR:/ && !n {n = 1; print; next}
			n && /^  / && n < 6 {n++; print} n && !/^  / {exit}' "$logs/$name.log" |
			tr '\n' ' ' | sed 's/|/\\|/g; s/  */ /g' | cut -c1-700)"
		case $name in
		crash_powercut*|flush_concurrent) figs="$figs (finding 1)" ;;
		relearn_fails) figs="$figs (finding 2)" ;;
		badinput) figs="$figs (finding 3)" ;;
		powercut_scenarios) figs="$figs (finding 4)" ;;
		esac
	fi
	rows+=("| $name | $result | ${figs% } |")
	echo "   $result ${figs% }" >&2
}

run crash_kill "$rel/rel_crash" --mode=kill
run crash_powercut_shim "$rel/rel_crash" --mode=shim
run crash_powercut_ext4 "$rel/rel_crash" --mode=ext4 --zero-tails --writeback
run crash_powercut_ext4_one_flusher "$rel/rel_crash" --mode=ext4 --one-flusher \
	--zero-tails --writeback
run crash_powercut_ext4_strict "$rel/rel_crash" --mode=ext4 \
	--ext4-opts=dioread_lock --writeback --one-flusher --rounds=30
run crash_kill_many_zones "$rel/rel_crash" --mode=kill --many-zones --rounds=50
run crash_powercut_ext4_many_zones "$rel/rel_crash" --mode=ext4 --many-zones \
	--one-flusher --zero-tails --rounds=30
run powercut_scenarios "$rel/rel_powercut_scenarios"
run flush_concurrent "$rel/rel_flush_concurrent"
run faults "$rel/rel_faults"
run relearn_fails "$rel/rel_relearn_fails"
run enospc "$rel/rel_enospc"
run badinput "$rel/rel_badinput"
run cli_badinput "$top/tests/reliability/cli_badinput.sh" "$build/tools/zonekit"
for t in geometry size device cli; do
	run "fuzz_${t}_corpus" "$rel/fuzz_$t" "$top/tests/reliability/corpus/$t"
done
if [ "$fuzz" = 1 ]; then
	echo "== libFuzzer, $fuzz_secs s a target" >&2
	FUZZ_BUILD=$logs/fuzz "$top/tests/reliability/fuzz/fuzz.sh" -t "$fuzz_secs" \
		>"$logs/fuzz.log" 2>"$logs/fuzz.err" || status=1
	while read -r _ name figs; do
		case $figs in *findings=0*) result=pass ;; *) result=FAIL ;; esac
		rows+=("| $name | $result | $figs |")
		echo "   $name $result $figs" >&2
	done < <(grep '^FIGURES ' "$logs/fuzz.log")
fi

commit=$(git -C "$top" rev-parse --short HEAD 2>/dev/null || echo unknown)
git -C "$top" diff --quiet HEAD -- src include tools 2>/dev/null || commit="$commit + local changes"
section=$logs/section.md
{
	echo "<!-- figures:begin: written by tests/reliability/figures.sh; do not edit -->"
	echo
	echo "Last run: $(date -u '+%Y-%m-%d %H:%M UTC'), commit $commit, Linux" \
		"$(uname -r), $(nproc) CPUs, $(id -u | sed 's/^0$/as root/; s/^[1-9].*$/not root/')," \
		"build $(basename "$build")."
	echo
	echo "| Test | Result | Figures |"
	echo "|---|---|---|"
	printf '%s\n' "${rows[@]}"
	echo
	echo "<!-- figures:end -->"
} >"$section"
if grep -q '<!-- figures:begin' "$doc"; then
	awk -v f="$section" '
		/<!-- figures:begin/ { while ((getline l < f) > 0) print l; skip = 1; next }
		/<!-- figures:end -->/ { skip = 0; next }
		!skip' "$doc" >"$logs/doc.md" && cp "$logs/doc.md" "$doc"
else
	cat "$section" >>"$doc"
fi
echo "figures.sh: wrote the figures into $doc (logs in $logs)" >&2
exit $status
