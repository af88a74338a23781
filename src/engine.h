/* SPDX-License-Identifier: MIT */
/*
 * The append engine (append.c): writes into sequential zones, with zone
 * append emulated at the write pointer.  Requests are reserved on their
 * zone's plug, and whoever drives the zone writes everything queued with
 * one backend write (a batch), then hands the zone on.
 */
#ifndef ZK_ENGINE_H
#define ZK_ENGINE_H

#include <stdint.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <time.h>

#include "io_util.h"
#include "zone_plug.h"

/* A write of everything taken off a plug's queue at once. */
#define BATCH_MAX_IOV ZK_IOV_MAX
struct zk_batch {
	struct zone_plug *p;
	struct zk_req *reqs;
	unsigned int n;
	size_t total;
	struct zk_io_ref io;
	struct iovec iov[BATCH_MAX_IOV];
};

/* Reserve @r in zone @z; returns 0 holding the stripe lock with @r queued
 * and the plug referenced (refs), or an error with no lock held.  A
 * synchronous caller (no owner) may wait for a zone operation to finish;
 * an owner's request is parked instead (ENGINE_PARKED, no lock held): the
 * end of the zone operation places it and hands the zone on. */
#define ENGINE_PARKED 1
int engine_reserve(struct zk_dev *d, uint32_t z, struct zk_req *r,
		   struct zone_plug **pp);
/* Issue the plug's queue from this context (a synchronous caller @self,
 * or owner @drv) until it is empty or passes to someone else.  Stripe
 * lock held. */
void engine_drive(struct zk_dev *d, struct zone_plug *p, struct zk_owner *drv,
		  struct zk_req *self);
/* Cut the batch to issue off the head of the plug's queue (lock held). */
void batch_take(struct zone_plug *p, struct zk_batch *b);
/* The batch's write is over: @written bytes or -errno (lock held); the
 * batch is committed, or recovered (batch.c). */
void batch_finish(struct zk_dev *d, struct zk_batch *b, ssize_t written);
/* Write a taken batch synchronously, the lock dropped across the write. */
void batch_write_now(struct zk_dev *d, struct zk_batch *b);
/* Write @r, alone in idle zone @p (made busy by the caller), from its
 * buffer, and complete or recover it (batch.c).  Stripe lock held,
 * dropped across the write. */
void batch_write_alone(struct zk_dev *d, struct zone_plug *p,
		       struct zk_req *r);
/* CLOCK_MONOTONIC in ns: how long writes take (batch.c), how long a
 * waiter spins (append.c). */
static inline uint64_t engine_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Zone @p was idle (the caller just made it busy) and @r is all that is
 * queued: write @r now from this thread, straight from its buffer (a batch
 * of one, without the batch's array), then drive on as engine_drive(@drv,
 * @self) would, others having maybe queued meanwhile.  Stripe lock held,
 * dropped across the write. */
void engine_write_alone(struct zk_dev *d, struct zone_plug *p,
			struct zk_req *r, struct zk_owner *drv,
			struct zk_req *self);
/* A synchronous write to a sequential zone: reserve, wait, done. */
int engine_write(struct zk_dev *d, uint32_t z, struct zk_req *r);

#endif /* ZK_ENGINE_H */
