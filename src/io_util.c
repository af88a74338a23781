/* SPDX-License-Identifier: MIT */
/*
 * I/O helpers shared by the backends (io_util.h): whole reads and writes,
 * and bounce buffers for direct I/O.
 *
 * O_DIRECT wants buffer addresses and lengths aligned (to the logical
 * block of a block device, to the file system's direct I/O alignment for a
 * file); callers' buffers come from malloc and often are not.  Such data is
 * copied through page-aligned buffers of ZK_BOUNCE_SIZE bytes, a few of them
 * kept in a pool so that the steady state allocates nothing.
 */
#include "io_util.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---- whole reads and writes ---- */

const struct iovec *zk_iov_advance(const struct iovec *iov, int *cnt,
				  size_t n, struct iovec *rest)
{
	while (*cnt > 0 && n >= iov->iov_len) {
		n -= iov->iov_len;
		iov++;
		--*cnt;
	}
	if (*cnt > 0 && n > 0) {
		memmove(rest, iov, (size_t)*cnt * sizeof(*iov));
		rest[0].iov_base = (char *)rest[0].iov_base + n;
		rest[0].iov_len -= n;
		iov = rest;
	}
	return iov;
}

size_t zk_pwritev_full(int fd, const struct iovec *iov, int cnt, uint64_t off,
		       int *err)
{
	struct iovec rest[ZK_IOV_MAX];
	size_t done = 0;

	*err = 0;
	if (cnt > ZK_IOV_MAX) {
		*err = -EINVAL;
		return 0;
	}
	if (cnt == 1) { /* the common case: all of it at once */
		ssize_t n = pwrite(fd, iov->iov_base, iov->iov_len, (off_t)off);

		if (n == (ssize_t)iov->iov_len)
			return (size_t)n;
		if (n < 0 && errno != EINTR) {
			*err = -errno;
			return 0;
		}
		if (n > 0) {
			done = (size_t)n;
			iov = zk_iov_advance(iov, &cnt, done, rest);
		}
	}
	while (cnt > 0) {
		/* One buffer: pwrite, which the kernel takes a little faster
		 * (no iovec array to copy in). */
		ssize_t n = cnt == 1 ? pwrite(fd, iov->iov_base, iov->iov_len,
					      (off_t)(off + done)) :
				       pwritev(fd, iov, cnt, (off_t)(off + done));

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			*err = n < 0 ? -errno : -EIO;
			break;
		}
		done += (size_t)n;
		iov = zk_iov_advance(iov, &cnt, (size_t)n, rest);
	}
	return done;
}

ssize_t zk_pread_full(int fd, void *buf, size_t len, uint64_t off,
		      bool zero_past_end)
{
	size_t done = 0;

	while (done < len) {
		ssize_t n = pread(fd, (char *)buf + done, len - done,
				  (off_t)(off + done));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0) {
			if (!zero_past_end)
				return -EIO; /* the end of a device, inside its capacity */
			memset((char *)buf + done, 0, len - done);
			break;
		}
		done += (size_t)n;
	}
	return (ssize_t)len;
}

/* ---- bounce buffers ---- */

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

static void *bounce_get(struct zk_bounce_pool *bp)
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

static void bounce_put(struct zk_bounce_pool *bp, void *buf)
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

/* Where a copy out of an iovec array has got to. */
struct iov_cursor {
	const struct iovec *iov;
	int cnt;
	size_t in_iov; /* bytes of *iov already copied */
};

/* Copy up to ZK_BOUNCE_SIZE bytes from the cursor into @buf. */
static size_t bounce_fill(void *buf, struct iov_cursor *c)
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

size_t zk_pwritev_bounced(struct zk_bounce_pool *bp, int fd,
			  const struct iovec *iov, int cnt, uint64_t off,
			  int *err)
{
	struct iov_cursor c = { .iov = iov, .cnt = cnt };
	char *buf = bounce_get(bp);
	size_t done = 0;

	*err = buf ? 0 : -ENOMEM;
	while (buf && c.cnt > 0) {
		struct iovec chunk = { .iov_base = buf };
		size_t n;

		chunk.iov_len = bounce_fill(buf, &c);
		n = zk_pwritev_full(fd, &chunk, 1, off + done, err);
		done += n;
		if (*err || n < chunk.iov_len)
			break;
	}
	if (buf)
		bounce_put(bp, buf);
	return done;
}

ssize_t zk_pread_bounced(struct zk_bounce_pool *bp, int fd, void *buf,
			 size_t len, uint64_t off, bool zero_past_end)
{
	char *bounce = bounce_get(bp);
	size_t done = 0;
	ssize_t ret = 0;

	if (!bounce)
		return -ENOMEM;
	while (done < len && ret >= 0) {
		size_t n = len - done < ZK_BOUNCE_SIZE ? len - done : ZK_BOUNCE_SIZE;

		ret = zk_pread_full(fd, bounce, n, off + done, zero_past_end);
		if (ret >= 0)
			memcpy((char *)buf + done, bounce, n);
		done += n;
	}
	bounce_put(bp, bounce);
	return ret < 0 ? ret : (ssize_t)len;
}
