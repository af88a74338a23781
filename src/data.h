/* SPDX-License-Identifier: MIT */
/*
 * The synchronous data path below the API (data.c): writes to sequential
 * zones through the engine, writes to conventional zones and reads straight
 * to the backend.  The public calls check their arguments and come here;
 * so do the queue engines that run requests synchronously.
 */
#ifndef ZK_DATA_H
#define ZK_DATA_H

#include "zone_plug.h"

/* Write @r (REQ_WRITE or REQ_APPEND, arguments checked) and wait for it:
 * 0 or -errno; an append's landed offset in r->off. */
int data_write(struct zk_dev *d, struct zk_req *r);
/* May zone @z be read?  Not if it is OFFLINE (-EIO then). */
static inline bool data_readable(struct zk_dev *d, uint32_t z)
{
	return wpe_cond(wpt_get(&d->wpt, z)) != ZK_COND_OFFLINE;
}
/* Read @len bytes at @off (checked; may span zones): @len or -errno. */
ssize_t data_read(struct zk_dev *d, void *buf, size_t len, uint64_t off);
/* Do request @r with the two above; r->result set. */
void data_run(struct zk_dev *d, struct zk_req *r);

#endif /* ZK_DATA_H */
