/* SPDX-License-Identifier: MIT */
#include "cli_progress.h"

#include <inttypes.h>
#include <stdio.h>
#include <unistd.h>

#define PROGRESS_DELAY_MS 500
#define PROGRESS_INTERVAL_MS 100

static long elapsed_ms(const struct timespec *from, const struct timespec *to)
{
	return (to->tv_sec - from->tv_sec) * 1000L +
	       (to->tv_nsec - from->tv_nsec) / 1000000L;
}

void progress_start(struct cli_progress *p, const char *label, uint64_t total)
{
	p->label = label;
	p->total = total;
	p->in_bytes = false;
	p->enabled = isatty(STDERR_FILENO);
	p->drawn = false;
	clock_gettime(CLOCK_MONOTONIC, &p->start);
	p->last_draw = p->start;
}

void progress_start_bytes(struct cli_progress *p, const char *label,
			  uint64_t total)
{
	progress_start(p, label, total);
	p->in_bytes = true;
}

void progress_disable(struct cli_progress *p)
{
	p->enabled = false;
}

static bool time_to_draw(struct cli_progress *p)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	if (elapsed_ms(&p->start, &now) < PROGRESS_DELAY_MS)
		return false;
	if (p->drawn && elapsed_ms(&p->last_draw, &now) < PROGRESS_INTERVAL_MS)
		return false;
	p->last_draw = now;
	return true;
}

void progress_update(struct cli_progress *p, uint64_t done)
{
	unsigned int percent;

	if (!p->enabled || !p->total || !time_to_draw(p))
		return;
	percent = done >= p->total ? 100 :
		  (unsigned int)((double)done * 100.0 / (double)p->total);
	if (p->in_bytes)
		fprintf(stderr, "\r%s: %3u%% (%" PRIu64 "/%" PRIu64 " MiB)",
			p->label, percent, done >> 20, p->total >> 20);
	else
		fprintf(stderr, "\r%s: %3u%% (%" PRIu64 "/%" PRIu64 ")",
			p->label, percent, done, p->total);
	fflush(stderr);
	p->drawn = true;
}

void progress_step(struct cli_progress *p, uint64_t step, const char *what)
{
	if (!p->enabled)
		return;
	fprintf(stderr, "\r\033[K[%" PRIu64 "/%" PRIu64 "] %s", step, p->total,
		what);
	fflush(stderr);
	p->drawn = true;
}

void progress_end(struct cli_progress *p)
{
	if (p->drawn) {
		fputs("\r\033[K", stderr);
		fflush(stderr);
	}
	p->drawn = false;
	p->enabled = false;
}
