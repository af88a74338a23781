/* SPDX-License-Identifier: MIT */
/*
 * Progress of a long command on stderr, on a terminal only: "\rLABEL: 42%".
 * Nothing is drawn in the first half second, so quick commands stay quiet,
 * and nothing at all when stderr is not a terminal.
 */
#ifndef ZONEKIT_CLI_PROGRESS_H
#define ZONEKIT_CLI_PROGRESS_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

struct cli_progress {
	const char *label;
	uint64_t total;
	bool in_bytes;       /* show MiB rather than a count */
	bool enabled;
	bool drawn;          /* something is on the line: clear it at the end */
	struct timespec start;
	struct timespec last_draw;
};

/* @total things (zones...) to do. */
void progress_start(struct cli_progress *p, const char *label, uint64_t total);
/* @total bytes to move: shown in MiB. */
void progress_start_bytes(struct cli_progress *p, const char *label,
			  uint64_t total);
/* Never draw: e.g. when the command's own output goes to the terminal. */
void progress_disable(struct cli_progress *p);
void progress_update(struct cli_progress *p, uint64_t done);
/* Step @step of the total, described by @what, drawn at once on a cleared
 * line: "[3/40] WHAT".  For a sequence of long steps (bench/zkbench's runs). */
void progress_step(struct cli_progress *p, uint64_t step, const char *what);
void progress_end(struct cli_progress *p);

#endif /* ZONEKIT_CLI_PROGRESS_H */
