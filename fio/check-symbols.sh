#!/bin/bash
# SPDX-License-Identifier: MIT
# Check that every symbol the fio engine leaves undefined is exported by the
# fio binary that will load it (fio exports only part of its functions) or
# by a library the engine links; and that the engine exports "ioengine".
#   fio/check-symbols.sh ENGINE.so [FIO]
set -euo pipefail
so=$1 fio=${2:-$(command -v fio)}
defined() { nm -D --defined-only "$1" 2>/dev/null | awk '{print $NF}' | sed 's/@.*//'; }
have=$(mktemp); trap 'rm -f "$have"' EXIT
{
	defined "$fio"
	ldd "$so" | awk '/=> \//{print $3} /^\t\/.*ld-linux/{print $1}' |
		while read -r lib; do defined "$lib"; done
} | sort -u > "$have"
missing=$(nm -D --undefined-only "$so" | awk '{print $NF}' | sed 's/@.*//' |
	grep -v -e '^_ITM_' -e '^__gmon_start__$' -e '^_Jv_' -e '^__cxa_finalize$' |
	sort -u | comm -23 - "$have")
if [ -n "$missing" ]; then
	echo "undefined in $so and exported neither by $fio nor its libraries:" >&2
	echo "$missing" >&2
	exit 1
fi
nm -D --defined-only "$so" | grep -qw ioengine || { echo "$so does not export ioengine" >&2; exit 1; }
echo "ok: $(nm -D --undefined-only "$so" | wc -l) undefined symbols, all resolved; ioengine exported"
