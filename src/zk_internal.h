/* SPDX-License-Identifier: MIT */
/*
 * Internal interfaces of libzonekit.  The layers, bottom up:
 *
 *   backend (backend_emu.c, backend_blkdev.c)  one table of operations each
 *   wp table (wp_table.c)          8 bytes a zone: wp, condition, conv flag
 *   zone state (zone_state.c)      condition transitions, open/active limits
 *   append engine (append.c)       per-zone write plugs, merging, recovery
 *   zone operations (zone_ops.c)   reset/open/close/finish/resync
 *   device (device.c)              open/close/info/report/read/flush
 *
 * doc/design.md describes the locking rules; the short version:
 *   res.lock  ->  stripe lock (zone)  [-> second stripe lock, res holders only]
 * No system call is made while a stripe lock or res.lock is held.
 */
#ifndef ZK_INTERNAL_H
#define ZK_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <sys/uio.h>

#include "zonekit.h"

#define ZK_EXPORT __attribute__((visibility("default")))

/* ------------------------------------------------------------------ */
/* Backends */

struct zk_dev;
struct zk_io_ref;

/* What a backend reports about one zone (its own, authoritative view). */
struct zk_zone_state {
	uint8_t type; /* enum zk_zone_type */
	uint8_t cond; /* enum zk_zone_cond */
	uint64_t wp;  /* absolute; meaningful for EMPTY/open/CLOSED zones */
};

struct zk_backend_ops {
	const char *name;
	/* Fill dev->geo (normalised: zone_capacity set) and dev->priv. */
	int (*open)(struct zk_dev *dev, const char *path, unsigned int flags);
	void (*close)(struct zk_dev *dev);
	/* Conditions and wps of zones [first, first + nr). */
	int (*report)(struct zk_dev *dev, uint32_t first, uint32_t nr,
		      struct zk_zone_state *out);
	/* Carry out a zone operation on one zone the core has validated. */
	int (*zone_op)(struct zk_dev *dev, enum zk_op op, uint32_t zone);
	/* Write or read inside one zone; return bytes done or -errno. */
	ssize_t (*pwritev)(struct zk_dev *dev, uint32_t zone,
			   const struct iovec *iov, int iovcnt, uint64_t offset);
	ssize_t (*pread)(struct zk_dev *dev, uint32_t zone, void *buf,
			 size_t len, uint64_t offset);
	int (*flush)(struct zk_dev *dev);
	/* Optional, for the io_uring path: where I/O at @off in zone @z goes.
	 * -EOPNOTSUPP when this I/O must take pwritev/pread (e.g. a buffer
	 * O_DIRECT cannot use). */
	int (*io_get)(struct zk_dev *dev, uint32_t zone, uint64_t off,
		      const struct iovec *iov, int iovcnt, bool write,
		      struct zk_io_ref *ref);
	/* The I/O finished with @res (bytes or -errno): returns the result to
	 * believe, e.g. a short write trimmed to whole blocks. */
	ssize_t (*io_put)(struct zk_dev *dev, uint32_t zone,
			  struct zk_io_ref *ref, ssize_t res, size_t total,
			  bool write);
	/* Optional: every zone has been learnt (open is complete). */
	void (*learnt)(struct zk_dev *dev);
	/* Optional: persist a READONLY/OFFLINE mark (emulated device). */
	int (*set_cond)(struct zk_dev *dev, uint32_t zone, unsigned int cond);
	/* The device enforces zone conditions itself and may pick other
	 * transitions than zonekit's model (real devices): re-learn zones
	 * after each zone operation. */
	bool relearn_after_zone_op;
};

extern const struct zk_backend_ops zk_emu_ops;
extern const struct zk_backend_ops zk_blkdev_ops;

/* ------------------------------------------------------------------ */
/* Bounce buffers for O_DIRECT (bounce.c) */

#define ZK_BOUNCE_SIZE (1u << 20)
#define ZK_BOUNCE_POOL 8 /* buffers kept; more are allocated per call */

struct zk_bounce_pool {
	pthread_mutex_t lock;
	void *buf[ZK_BOUNCE_POOL];
	unsigned int nr;
};

/* Where a copy out of an iovec array has got to. */
struct zk_iov_cursor {
	const struct iovec *iov;
	int cnt;
	size_t in_iov; /* bytes of *iov already copied */
};

void zk_bounce_init(struct zk_bounce_pool *bp);
void zk_bounce_destroy(struct zk_bounce_pool *bp);
void *zk_bounce_get(struct zk_bounce_pool *bp); /* NULL: out of memory */
void zk_bounce_put(struct zk_bounce_pool *bp, void *buf);
/* Every base aligned to @mem_align and every length to @len_align? */
bool zk_iov_aligned(const struct iovec *iov, int cnt, uint32_t mem_align,
		    uint32_t len_align);
/* Copy up to ZK_BOUNCE_SIZE bytes from the cursor into @buf. */
size_t zk_bounce_fill(void *buf, struct zk_iov_cursor *c);

/* ------------------------------------------------------------------ */
/* Geometry (geometry.c) */

/* Check a geometry and fill in defaults (zone_capacity 0 -> zone_size).
 * On error return -EINVAL and point *why at a message. */
int zk_geometry_normalise(struct zk_geometry *geo, const char **why);
uint32_t zk_geometry_nr_zones(const struct zk_geometry *geo);

/* The geometry file of an emulated device: "key value" lines. */
int zk_geometry_format(const struct zk_geometry *geo, char *buf, size_t size);
int zk_geometry_parse(const char *text, size_t len, struct zk_geometry *geo,
		      const char **why);

/* ------------------------------------------------------------------ */
/* The wp table: one 8-byte word per zone.
 *   bit 63      conventional zone
 *   bits 59-62  condition (enum zk_zone_cond)
 *   bits 0-58   wp in bytes, absolute (devices up to 512 PiB)
 * The wp is the committed one: every byte below it is written.  Words are
 * read without a lock (report) and written under the zone's stripe lock. */

#define WPE_CONV (1ULL << 63)
#define WPE_COND_SHIFT 59
#define WPE_COND_MASK (0xfULL << WPE_COND_SHIFT)
#define WPE_WP_MASK ((1ULL << WPE_COND_SHIFT) - 1)
#define ZK_MAX_CAPACITY (1ULL << WPE_COND_SHIFT)

static inline uint64_t wpe_make(bool conv, unsigned int cond, uint64_t wp)
{
	return (conv ? WPE_CONV : 0) | ((uint64_t)cond << WPE_COND_SHIFT) |
	       (wp & WPE_WP_MASK);
}
static inline bool wpe_conv(uint64_t e) { return e & WPE_CONV; }
static inline unsigned int wpe_cond(uint64_t e)
{
	return (unsigned int)((e & WPE_COND_MASK) >> WPE_COND_SHIFT);
}
static inline uint64_t wpe_wp(uint64_t e) { return e & WPE_WP_MASK; }

struct wp_table {
	_Atomic uint64_t *ent;
	uint32_t nr;
};

int wpt_init(struct wp_table *t, uint32_t nr);
void wpt_free(struct wp_table *t);
static inline uint64_t wpt_get(struct wp_table *t, uint32_t z)
{
	return atomic_load_explicit(&t->ent[z], memory_order_acquire);
}
static inline void wpt_set(struct wp_table *t, uint32_t z, uint64_t e)
{
	atomic_store_explicit(&t->ent[z], e, memory_order_release);
}
uint64_t wpt_entry_from_state(struct zk_dev *d, uint32_t z,
			      const struct zk_zone_state *st);

/* ------------------------------------------------------------------ */
/* Requests and zone write plugs (append.c) */

enum zk_req_kind { REQ_APPEND, REQ_WRITE, REQ_READ };

struct zk_queue;

/* One write (or, for queues, read) on its way.  A synchronous caller's
 * lives on its stack and it sleeps on cv; a queue's is posted back to the
 * queue (q) when done. */
struct zk_req {
	struct zk_req *next; /* plug queue, then the queue's completions */
	enum zk_req_kind kind;
	const void *buf;
	size_t len;
	uint64_t off;     /* where it lands (reserved under the zone lock) */
	int result;       /* 0 or -errno once done */
	/* Set under the stripe lock; a synchronous caller may read them
	 * without it while it spins (then takes the lock to act on them). */
	atomic_bool done;
	atomic_bool leader; /* handed the zone: issue the queue */
	/* cv is set up only when the caller first sleeps (most turns come
	 * while it spins, or at once); cv_live says so, under the lock. */
	bool cv_live;
	pthread_cond_t cv;
	struct zk_queue *q;
	uint64_t user_data;
};

static inline void req_set_done(struct zk_req *r)
{
	atomic_store_explicit(&r->done, true, memory_order_relaxed);
}

/* What a backend needs to do I/O on a zone outside its own calls (the
 * io_uring path): a descriptor, the file offset, and a token to give back. */
struct zk_io_ref {
	int fd;
	uint64_t foff;
	void *token;
};

/* A write of everything taken off a plug's queue at once. */
#define BATCH_MAX_IOV 256
struct zk_batch {
	struct zone_plug *p;
	struct zk_req *reqs;
	unsigned int n;
	size_t total;
	struct zk_io_ref io;
	struct iovec iov[BATCH_MAX_IOV];
};

/* Heavier per-zone state, only while a zone has writes queued or in flight
 * or a zone operation waiting.  Lives in its stripe's list. */
struct zone_plug {
	struct zone_plug *next;
	struct zone_plug *kick_next; /* on a queue's list of zones handed to it */
	uint32_t zone;
	bool busy;          /* a backend write or zone op is in flight */
	bool full_pending;  /* tail reached capacity: FULL once committed */
	uint64_t tail;      /* wp after every reserved write */
	struct zk_req *head, **tailp; /* reserved, not yet issued */
	unsigned int barriers; /* zone ops waiting for the zone to drain */
	unsigned int refs;  /* threads that will still look at the plug */
	pthread_cond_t drain_cv;
};

/* Zones hash onto stripes; with at most ZK_MAX_STRIPES zones every zone
 * has a lock of its own.  Cache-line sized so stripes do not share lines. */
#define ZK_MAX_STRIPES 4096u
struct zk_stripe {
	pthread_mutex_t lock;
	struct zone_plug *plugs;
	struct zone_plug *spare; /* one freed plug kept: no malloc per append */
	/* zk_stats counts of the writes to this stripe's zones, changed under
	 * its lock: threads writing different zones share no counter. */
	_Atomic uint64_t appends, writes, batches, merged;
	/* How long a synchronous write to these zones takes, in ns (a
	 * moving average of one write in WRITE_TIME_EVERY, under the lock):
	 * how long a waiter spins. */
	_Atomic uint64_t write_ns;
	unsigned int writes_untimed;
} __attribute__((aligned(64)));

/* Add to a counter only changed under a lock (no locked instruction). */
static inline void count_add(_Atomic uint64_t *c, uint64_t n)
{
	atomic_store_explicit(c, atomic_load_explicit(c, memory_order_relaxed) + n,
			      memory_order_relaxed);
}

/* ------------------------------------------------------------------ */
#define ZK_RECHECK_MAX 16u

/* Open/active zone accounting (zone_state.c): device-wide by nature, taken
 * only on transitions into or out of the open/closed conditions. */
struct zk_res {
	pthread_mutex_t lock;
	uint32_t nr_imp_open, nr_exp_open, nr_closed;
	uint32_t close_cursor; /* where the next implicit close search starts */
	/* The implicitly open zones, to pick one to close (max_open > 0). */
	uint32_t *imp, nr_imp_listed, imp_room;
	/* Real devices choose for themselves which zone to close implicitly:
	 * where zonekit could not close one itself first (close_for_room),
	 * the zones to ask about once the write that opened one is done. */
	uint32_t recheck[ZK_RECHECK_MAX], nr_recheck;
	atomic_bool recheck_pending;
};

#define ZK_NO_ZONE UINT32_MAX

struct zk_dev {
	const struct zk_backend_ops *ops;
	void *priv;
	char *path;
	unsigned int flags;
	/* Writes are copies into the page cache (emulated device without
	 * ZK_DIRECT): io_uring hands each to a kernel worker (queue.c), and
	 * a write is CPU work, with no device to wait for (zone_drive). */
	bool buffered;
	struct zk_geometry geo;   /* normalised */
	uint8_t seq_type;         /* type of the sequential zones */
	uint32_t nr_zones;
	unsigned int zone_shift;
	struct wp_table wpt;
	struct zk_stripe *stripes;
	uint32_t stripe_mask;
	struct zk_res res;
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

/* Zone geometry helpers */
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
static inline struct zk_stripe *zk_stripe_of(struct zk_dev *d, uint32_t z)
{
	return &d->stripes[z & d->stripe_mask];
}

/* ------------------------------------------------------------------ */
/* Zone state machine (zone_state.c).  "model" = the condition and wp the
 * zone will have once every reserved write completes. */

struct zone_model {
	unsigned int cond;
	uint64_t wp;
};

/* Caller holds the zone's stripe lock. */
void zs_model(struct zk_dev *d, uint32_t z, const struct zone_plug *p,
	      struct zone_model *m);
/* True if moving @z from @m->cond needs res.lock (into or out of the
 * open/closed conditions). */
bool zs_write_needs_res(struct zk_dev *d, uint32_t z,
			const struct zone_model *m, size_t len);
/* Check a write of @len at @off (UINT64_MAX: append) against the model and
 * take it: implicit open, resources, FULL at capacity.  On success *off is
 * where it lands and the model (table cond, plug tail/full_pending) moved.
 * Caller holds the stripe lock, and res.lock if zs_write_needs_res(). */
int zs_reserve_write(struct zk_dev *d, uint32_t z, struct zone_plug *p,
		     uint64_t *off, size_t len);
/* Validate a zone operation on an idle zone and move the model and
 * accounting to the new condition; *new_e gets the table word to publish
 * once the backend has done it (0 for a no-op).  Caller holds res.lock and
 * the stripe lock. */
int zs_zone_op(struct zk_dev *d, enum zk_op op, uint32_t z, uint64_t *new_e);
/* Set a zone to what the device reported, fixing the accounting.
 * Caller holds res.lock and the stripe lock. */
void zs_learn(struct zk_dev *d, uint32_t z, const struct zk_zone_state *st);
/* After an implicit close on a real device, ask it which zones are open
 * and which closed.  No lock held. */
void zs_recheck_implicit(struct zk_dev *d);
uint32_t zs_write_zone_to_close(struct zk_dev *d, uint32_t z,
				const struct zone_model *m, uint64_t off,
				size_t len, bool may_wait);
uint32_t zs_op_zone_to_close(struct zk_dev *d, enum zk_op op, uint32_t z);
/* Close @z (from zs_*zone_to_close) on the model and the device, its
 * writes drained first; no lock held.  Callers try at most this many
 * times, as others may take the room meanwhile. */
int close_for_room(struct zk_dev *d, uint32_t z);
#define CLOSE_FOR_ROOM_TRIES 8u
/* Forget reservations past @wp (the committed wp) after a failure that
 * could not be re-learnt.  Caller holds res.lock and the stripe lock. */
void zs_rewind(struct zk_dev *d, struct zone_plug *p, uint64_t wp);
/* Count conditions after the table was loaded at open. */
int zs_recount(struct zk_dev *d);
void zs_free(struct zk_dev *d);

/* ------------------------------------------------------------------ */
/* Plugs (append.c), used by zone_ops.c too.  Caller holds the stripe lock. */
struct zone_plug *plug_find(struct zk_stripe *s, uint32_t z);
struct zone_plug *plug_get(struct zk_dev *d, uint32_t z); /* NULL: ENOMEM */
void plug_put_if_idle(struct zk_stripe *s, struct zone_plug *p);
/* Wait until zone @z has no write queued or in flight and hold it busy, so
 * a zone operation runs alone (zone_ops.c).  Returns with no lock held. */
int zone_claim(struct zk_dev *d, uint32_t z, struct zone_plug **pp);
void zone_release(struct zk_dev *d, struct zone_plug *p);
/* Re-learn one zone from the backend (report) and publish it; the caller
 * holds the zone busy and no lock. */
int zone_relearn(struct zk_dev *d, uint32_t z);

/* The engine, for queue.c.  All with the zone's stripe lock held. */
void complete_req(struct zk_req *r, int result);
void batch_take(struct zone_plug *p, struct zk_batch *b);
void batch_finish(struct zk_dev *d, struct zk_stripe *s, struct zk_batch *b,
		  ssize_t written);
/* Issue the plug's queue from this context (a synchronous caller @self, or
 * queue @q) until it is empty or belongs to someone else. */
void zone_drive(struct zk_dev *d, struct zk_stripe *s, struct zone_plug *p,
		struct zk_req *self, struct zk_queue *q);
/* Reserve @r in zone @z; returns holding the stripe lock with @r queued
 * and the plug referenced (refs), or an error with no lock held. */
int zone_reserve(struct zk_dev *d, uint32_t z, struct zk_req *r,
		 struct zone_plug **pp);
int zk_check_write(struct zk_dev *d, size_t len, uint64_t off);
int zk_check_append(struct zk_dev *d, uint64_t zone_start, size_t len);
int zk_check_read(struct zk_dev *d, size_t len, uint64_t off);

/* queue.c: hooks the engine calls under a stripe lock. */
void zkq_post(struct zk_queue *q, struct zk_req *r);
void zkq_kick(struct zk_queue *q, struct zone_plug *p);
/* Submit the batch at the head of @p through @q's ring: 0, or -errno to
 * have the caller write it synchronously. */
int zkq_issue_batch(struct zk_queue *q, struct zk_dev *d, struct zone_plug *p);


#endif /* ZK_INTERNAL_H */
