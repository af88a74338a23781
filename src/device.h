/* SPDX-License-Identifier: MIT */
/*
 * A device as every floor of the library sees it: its backend, geometry,
 * wp table, zone locks (stripes) and open/active accounting, and the zone
 * geometry helpers.  The floors, top down (doc/design.md, "Floors"):
 *
 *   API        device.c, rw.c, queue.c, zone_ops.c, check.c
 *   engine     append.c       reserve, drive, wait for a turn (engine.h)
 *              batch.c        write, commit, recover a batch
 *              data.c         the synchronous data path      (data.h)
 *              queue_uring.c, queue_threads.c, queue_done.c   (queue.h)
 *   zones      zone_claim.c   claims for zone operations; the only zone
 *                             code that does I/O              (zone_claim.h)
 *              zone_plug.c    stripes, plugs, requests, owners (zone_plug.h)
 *              zone_state.c   a pure model of conditions and limits
 *              zone_res.c     its open/active accounting      (zone_res.h)
 *   table      wp_table.c                                    (wp_table.h)
 *   backends   backend_emu/, backend_blkdev.c, io_util.c    (backend.h)
 *   base       geometry.c, names.c, lock.c                   (lock.h)
 *
 * Each floor calls only floors below it (scripts/callgraph.py checks it);
 * lower floors call up only through pointers: a backend's table, a
 * request's owner.
 */
#ifndef ZK_DEVICE_H
#define ZK_DEVICE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "backend.h"
#include "lock.h"
#include "wp_table.h"
#include "zone_state.h"
#include "zonekit.h"

struct zone_plug;

/* Zones hash onto stripes; with at most ZK_MAX_STRIPES zones every zone
 * has a lock of its own.  Cache-line sized so stripes do not share lines.
 * The stripe lock protects its zones' table words and plugs. */
#define ZK_MAX_STRIPES 4096u
struct zk_stripe {
	struct zk_mutex lock;
	struct zone_plug *plugs;
	struct zone_plug *spare; /* one freed plug kept: no malloc per append */
	/* zk_stats counts of the writes to this stripe's zones, changed under
	 * its lock: threads writing different zones share no counter. */
	_Atomic uint64_t appends, writes, batches, merged;
	/* How long a synchronous write to these zones takes, in ns (a
	 * moving average of one write in WRITE_TIME_EVERY, under the lock):
	 * how long a waiter spins (append.c). */
	_Atomic uint64_t write_ns;
	unsigned int writes_untimed;
} __attribute__((aligned(64)));

struct zk_dev {
	const struct zk_backend_ops *ops;
	void *priv;               /* the backend's */
	char *path;
	unsigned int flags;       /* zk_open() flags */
	/* Writes are copies into the page cache (emulated device without
	 * ZK_DIRECT): io_uring hands each to a kernel worker (queue_uring.c),
	 * and a write is CPU work, with no device to wait for (append.c). */
	bool buffered;
	struct zk_geometry geo;   /* normalised */
	/* Sequential writes and appends: multiples of this (bytes); the block
	 * size unless the backend says more (zone_write_granularity). */
	uint32_t write_gran;
	uint8_t seq_type;         /* type of the sequential zones */
	uint32_t nr_zones;
	unsigned int zone_shift;
	struct wp_table wpt;
	struct zk_stripe *stripes;
	uint32_t stripe_mask;
	struct zk_res res;
	bool ready;               /* open completed: a clean close may save */
	/* Synchronous callers that spin for their turn instead of sleeping:
	 * at most one fewer than the CPUs, so a spinner never keeps the
	 * thread it waits for off a CPU (append.c). */
	atomic_uint spinners;
	unsigned int max_spinners;
	/* The rest of zk_stats: the stripes count their zones' writes. */
	struct {
		_Atomic uint64_t writes, relearns, retried; /* writes: conv */
	} stats;
};

/* ---- zone geometry ---- */

static inline uint32_t zk_zone_of(const struct zk_dev *d, uint64_t off)
{
	return (uint32_t)(off >> d->zone_shift);
}
static inline uint64_t zk_zone_start(const struct zk_dev *d, uint32_t z)
{
	return (uint64_t)z << d->zone_shift;
}
static inline uint64_t zk_zone_len(const struct zk_dev *d, uint32_t z)
{
	uint64_t start = zk_zone_start(d, z);
	uint64_t len = d->geo.zone_size;
	return start + len > d->geo.capacity ? d->geo.capacity - start : len;
}
static inline uint64_t zk_zone_cap(const struct zk_dev *d, uint32_t z)
{
	uint64_t len = zk_zone_len(d, z);
	return d->geo.zone_capacity < len ? d->geo.zone_capacity : len;
}
static inline bool zk_zone_is_conv(const struct zk_dev *d, uint32_t z)
{
	return z < d->geo.nr_conv_zones;
}

/* ---- zone locks ---- */

static inline struct zk_stripe *zk_stripe_of(struct zk_dev *d, uint32_t z)
{
	return &d->stripes[z & d->stripe_mask];
}

/* The lock that guards zone @z's table word and plug. */
static inline struct zk_mutex *zk_zone_lock(struct zk_dev *d, uint32_t z)
{
	return &zk_stripe_of(d, z)->lock;
}

/* Add to a counter only changed under a lock (no locked instruction). */
static inline void count_add(_Atomic uint64_t *c, uint64_t n)
{
	atomic_store_explicit(c, atomic_load_explicit(c, memory_order_relaxed) + n,
			      memory_order_relaxed);
}

#endif /* ZK_DEVICE_H */
