/* SPDX-License-Identifier: MIT */
/*
 * Report a failed write, append, read or zone operation in words.  For a
 * write or an append the library says why (zk_write_problem,
 * zk_append_problem: the zone is read-only, the write is not at the write
 * pointer...); for a read or a zone operation, which return only -EIO or
 * -EINVAL, the zones of a report usually say why.  Each prints one
 * "zonekit: CMD: WHAT: ERROR" line and returns CLI_EXIT_FAILURE.
 */
#ifndef ZONEKIT_CLI_EXPLAIN_H
#define ZONEKIT_CLI_EXPLAIN_H

#include <stddef.h>
#include <stdint.h>

#include "cli_dev.h"

int fail_write(struct cli_dev *d, uint64_t offset, uint64_t len, int err);
/* zk_pwrite() of @len bytes at @offset: 0, or CLI_EXIT_FAILURE with the
 * failure (or a short write) reported as fail_write() does. */
int write_at(struct cli_dev *d, const void *buf, size_t len, uint64_t offset);
int fail_append(struct cli_dev *d, uint64_t zone_start, uint64_t len, int err);
int fail_read(struct cli_dev *d, uint64_t offset, uint64_t len, int err);
/* The command (d->cmd) names the operation.  @all: the whole device (the
 * ALL form, that leaves conventional zones alone). */
int fail_zone_op(struct cli_dev *d, enum zk_op op, uint64_t offset,
		 uint64_t len, bool all, int err);

#endif /* ZONEKIT_CLI_EXPLAIN_H */
