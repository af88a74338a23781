/* SPDX-License-Identifier: MIT */
/*
 * I/O helpers shared by the backends: loops that do a whole read or write
 * whatever the kernel does at a time, and bounce buffers for direct I/O.
 *
 * One contract for every write loop: the bytes written are returned, and
 * the error that stopped the loop (0 if none) is left in *err, so that a
 * caller that must know how much went in before an error (the emulated
 * device keeps whole blocks of a short write) and one that only reports
 * the error (a block device, whose wp the core re-learns) use the same
 * loop.
 */
#ifndef ZK_IO_UTIL_H
#define ZK_IO_UTIL_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

/* Most iovecs one write takes (the engine's batch, BATCH_MAX_IOV). */
#define ZK_IOV_MAX 256
/* The most bytes Linux moves in one read or write (MAX_RW_COUNT,
 * 2 GiB - 4 KiB); the loops below go on where it stops, an io_uring SQE
 * cannot. */
#define ZK_RW_MAX 0x7ffff000u

/* ---- whole reads and writes ---- */

/* pwritev @iov (@cnt <= ZK_IOV_MAX buffers, left as they are) at @off
 * until all is written or an error stops it. */
size_t zk_pwritev_full(int fd, const struct iovec *iov, int cnt, uint64_t off,
		       int *err);
/* pread @len bytes at @off.  The end of the file: @zero_past_end fills the
 * rest with zeros (a zone file ends at its wp), else -EIO.  Returns @len or
 * -errno. */
ssize_t zk_pread_full(int fd, void *buf, size_t len, uint64_t off,
		      bool zero_past_end);

/* ---- bounce buffers for O_DIRECT ---- */

#define ZK_BOUNCE_SIZE (1u << 20)
#define ZK_BOUNCE_POOL 8 /* buffers kept; more are allocated per call */

struct zk_bounce_pool {
	pthread_mutex_t lock;
	void *buf[ZK_BOUNCE_POOL];
	unsigned int nr;
};

void zk_bounce_init(struct zk_bounce_pool *bp);
void zk_bounce_destroy(struct zk_bounce_pool *bp);

/* Every base aligned to @mem_align and every length to @len_align? */
/* Step @iov past @n written bytes: the buffers left (*@cnt of them), in
 * @rest (room for ZK_IOV_MAX) if the first was written in part; the
 * caller's array is not changed. */
const struct iovec *zk_iov_advance(const struct iovec *iov, int *cnt,
				  size_t n, struct iovec *rest);
bool zk_iov_aligned(const struct iovec *iov, int cnt, uint32_t mem_align,
		    uint32_t len_align);

/* zk_pwritev_full() through a bounce buffer, a chunk at a time (one write
 * is in flight per zone: the chunks go in order). */
size_t zk_pwritev_bounced(struct zk_bounce_pool *bp, int fd,
			  const struct iovec *iov, int cnt, uint64_t off,
			  int *err);
/* zk_pread_full() through a bounce buffer. */
ssize_t zk_pread_bounced(struct zk_bounce_pool *bp, int fd, void *buf,
			 size_t len, uint64_t off, bool zero_past_end);

#endif /* ZK_IO_UTIL_H */
