/* SPDX-License-Identifier: MIT */
/*
 * Bounce buffers for direct I/O.  O_DIRECT wants buffer addresses and
 * lengths aligned (to the logical block of a block device, to the file
 * system's direct I/O alignment for a file); callers' buffers come from
 * malloc and often are not.  Such data is copied through page-aligned
 * buffers of ZK_BOUNCE_SIZE bytes, a few of them kept in a pool so that
 * the steady state allocates nothing.  Shared by both backends.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "zk_internal.h"

void zk_bounce_init(struct zk_bounce_pool *bp)
{
	memset(bp, 0, sizeof(*bp));
	pthread_mutex_init(&bp->lock, NULL);
}

void zk_bounce_destroy(struct zk_bounce_pool *bp)
{
	while (bp->nr)
		free(bp->buf[--bp->nr]);
	pthread_mutex_destroy(&bp->lock);
}

void *zk_bounce_get(struct zk_bounce_pool *bp)
{
	void *buf = NULL;

	pthread_mutex_lock(&bp->lock);
	if (bp->nr)
		buf = bp->buf[--bp->nr];
	pthread_mutex_unlock(&bp->lock);
	/* Page aligned: good for any logical block size. */
	if (!buf && posix_memalign(&buf, 4096, ZK_BOUNCE_SIZE))
		buf = NULL;
	return buf;
}

void zk_bounce_put(struct zk_bounce_pool *bp, void *buf)
{
	pthread_mutex_lock(&bp->lock);
	if (bp->nr < ZK_BOUNCE_POOL) {
		bp->buf[bp->nr++] = buf;
		buf = NULL;
	}
	pthread_mutex_unlock(&bp->lock);
	free(buf);
}

bool zk_iov_aligned(const struct iovec *iov, int cnt, uint32_t mem_align,
		    uint32_t len_align)
{
	for (int i = 0; i < cnt; i++)
		if (((uintptr_t)iov[i].iov_base & (mem_align - 1)) ||
		    (iov[i].iov_len & (len_align - 1)))
			return false;
	return true;
}

size_t zk_bounce_fill(void *buf, struct zk_iov_cursor *c)
{
	size_t fill = 0;

	while (fill < ZK_BOUNCE_SIZE && c->cnt > 0) {
		size_t n = c->iov->iov_len - c->in_iov;

		if (n > ZK_BOUNCE_SIZE - fill)
			n = ZK_BOUNCE_SIZE - fill;
		memcpy((char *)buf + fill, (const char *)c->iov->iov_base + c->in_iov, n);
		fill += n;
		c->in_iov += n;
		if (c->in_iov == c->iov->iov_len) {
			c->iov++;
			c->cnt--;
			c->in_iov = 0;
		}
	}
	return fill;
}
