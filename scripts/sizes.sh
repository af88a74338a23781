#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# No source file of the library or the CLI over MAX lines, except those
# listed below with the reason they stay whole.  A file that grows past it
# is a room to split (by concern, behind a private header), or to list here
# with a reason.  Prints the files over the limit; exits 1 on any unlisted.
set -euo pipefail
cd "$(dirname "$0")/.."
MAX=600

# path: why it stays whole
declare -A ALLOWED=(
)

bad=0
for f in src/*.c src/*/*.c src/*.h src/*/*.h tools/*.c tools/*/*.c tools/*.h tools/*/*.h; do
	[ -e "$f" ] || continue
	n=$(wc -l <"$f")
	[ "$n" -gt "$MAX" ] || continue
	if [ -n "${ALLOWED[$f]:-}" ]; then
		echo "sizes: $f: $n lines (allowed: ${ALLOWED[$f]})"
	else
		echo "sizes: $f: $n lines, over $MAX: split it, or list it in scripts/sizes.sh with a reason"
		bad=1
	fi
done
[ "$bad" = 0 ] && echo "sizes: no file in src/ or tools/ over $MAX lines unlisted"
exit "$bad"
