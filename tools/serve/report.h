/* SPDX-License-Identifier: MIT */
/*
 * What zonekit serve says: the device when it is live, the counters when
 * it stops, and the file in the run directory that keeps the latter for
 * 'zonekit stop' (a daemon has no terminal to print them on).
 */
#ifndef ZONEKIT_SERVE_REPORT_H
#define ZONEKIT_SERVE_REPORT_H

#include <stdbool.h>
#include <stdio.h>

#include "server.h"

struct cli_dev;

/* $ZONEKIT_RUNDIR, else /run/zonekit; the stop report of device @id. */
const char *serve_run_dir(void);
int serve_report_path(unsigned int id, char *buf, size_t size);

/* The live device: its path alone, or a JSON document (one line). */
void serve_print_started(FILE *out, const struct srv *s, const struct cli_dev *d,
			 bool json);
/* The counters at stop; @status is NULL for success, else the failure. */
void serve_print_stopped(FILE *out, const struct srv *s, const char *status,
			 bool json);
/* serve_print_stopped() as JSON into the run directory; 0 or -errno. */
int serve_write_report(const struct srv *s, const char *status);

#endif /* ZONEKIT_SERVE_REPORT_H */
