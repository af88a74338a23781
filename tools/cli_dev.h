/* SPDX-License-Identifier: MIT */
/*
 * A zonekit device as the commands use it: opened with its info at hand,
 * flushed before it is closed, walked zone by zone in bounded chunks.
 */
#ifndef ZONEKIT_CLI_DEV_H
#define ZONEKIT_CLI_DEV_H

#include <stdbool.h>
#include <stdint.h>

#include "zonekit.h"

struct cli_progress;

struct cli_dev {
	const char *cmd;  /* the command, for messages */
	const char *path;
	struct zk_dev *dev;
	struct zk_info info;
	bool writable;
};

/* Open @path (flags as zk_open()).  Returns 0 or CLI_EXIT_FAILURE (reported). */
int cli_dev_open(struct cli_dev *d, const char *cmd, const char *path,
		 unsigned int flags);

/* Flush a writable device, so that what was written is durable when the
 * command exits, and close it.  Returns @status, or CLI_EXIT_FAILURE if the
 * flush fails. */
int cli_dev_close(struct cli_dev *d, int status);

/* Open @path, run @fn on it, close it (cli_dev_close()).  Returns what
 * @fn returns, or CLI_EXIT_FAILURE (reported). */
int cli_dev_run(const char *cmd, const char *path, unsigned int flags,
		int (*fn)(struct cli_dev *d, void *ctx), void *ctx);

/* The zone containing @offset: 0 or a negative errno. */
int cli_zone_at(struct cli_dev *d, uint64_t offset, struct zk_zone *zone);

/* Zones this many at a time: bounded memory whatever the device. */
#define CLI_REPORT_CHUNK 4096u

/* Return 0 to go on, 1 to stop the walk, or a negative errno. */
typedef int (*zone_visit_fn)(const struct zk_zone *zone, void *ctx);

/* Visit up to @max_zones zones (0: all) from the one containing @offset,
 * in order.  @progress (optional, started by the caller) counts zones.
 * Returns 0 or a negative errno (from zk_report() or @visit). */
int cli_walk_zones(struct cli_dev *d, uint64_t offset, uint64_t max_zones,
		   zone_visit_fn visit, void *ctx,
		   struct cli_progress *progress);

bool range_past_end(const struct cli_dev *d, uint64_t offset, uint64_t len);
/* @offset or @len is not a multiple of the block size. */
bool range_unaligned(const struct cli_dev *d, uint64_t offset, uint64_t len);
const char *backend_name(uint32_t backend);

#endif /* ZONEKIT_CLI_DEV_H */
