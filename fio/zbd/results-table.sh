#!/bin/bash
# SPDX-License-Identifier: MIT
# Markdown table of test-zbd-support results: one row per test, one column
# per run (P pass, S skip, F fail), and the totals.
#   fio/zbd/results-table.sh OUT/results.tsv [MORE.tsv...]
set -euo pipefail
cat "$@" | awk -F'\t' '
	!($1 in seen) { seen[$1] = 1; runs[++nr] = $1 }
	{ t = $2 + 0; r[$1, t] = substr($3, 1, 1); if (t > max) max = t
	  c[$1, $3]++ }
	END {
		printf "| test |"; for (i = 1; i <= nr; i++) printf " %s |", runs[i]; print ""
		printf "|---|"; for (i = 1; i <= nr; i++) printf ":-:|"; print ""
		for (t = 1; t <= max; t++) {
			printf "| %02d |", t
			for (i = 1; i <= nr; i++) {
				v = r[runs[i], t]; if (v == "") v = "-"
				if (v == "F") v = "**F**"
				printf " %s |", v
			}
			print ""
		}
		printf "| pass/skip/fail |"
		for (i = 1; i <= nr; i++)
			printf " %d/%d/%d |", c[runs[i], "PASS"], c[runs[i], "SKIP"], c[runs[i], "FAIL"]
		print ""
	}'
