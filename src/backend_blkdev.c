/* SPDX-License-Identifier: MIT */
/* TEMPORARY placeholder until the Linux backend lands (not to be committed). */
#include <errno.h>
#include "zk_internal.h"
static int bd_open(struct zk_dev *d, const char *path, unsigned int flags)
{ (void)d; (void)path; (void)flags; return -EOPNOTSUPP; }
static void bd_close(struct zk_dev *d) { (void)d; }
const struct zk_backend_ops zk_blkdev_ops = { .name = "blkdev", .open = bd_open, .close = bd_close };
