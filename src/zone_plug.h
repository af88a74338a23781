/* SPDX-License-Identifier: MIT */
/*
 * Requests, their owners, and zone write plugs (zone_plug.c).
 *
 * Like the kernel's zone write plugging, each zone that is being written
 * has a plug, allocated when the first write arrives and freed when the
 * zone goes idle, so the heavier per-zone state exists only for zones in
 * use.  A plug lives in its zone's stripe and everything in it is guarded
 * by the stripe lock (asserted in debug builds).
 *
 * A request belongs to an owner that takes it back when it is done, the
 * way a bio carries bi_end_io: a queue (struct zk_owner), or a synchronous
 * caller (no owner: NULL), which waits on the request itself.  The engine
 * never calls a queue by name.
 */
#ifndef ZK_ZONE_PLUG_H
#define ZK_ZONE_PLUG_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "device.h"
#include "zone_state.h"

struct zone_plug;
struct zk_owner;

enum zk_req_kind { REQ_APPEND, REQ_WRITE, REQ_READ };

/* One write (or, for queues, read) on its way.  A synchronous caller's
 * lives on its stack; a queue's in the queue. */
struct zk_req {
	struct zk_req *next; /* plug queue, then the owner's completions */
	enum zk_req_kind kind;
	const void *buf;
	size_t len;
	uint64_t off;     /* where it lands (reserved under the zone lock) */
	int result;       /* 0 or -errno once done */
	/* Set under the stripe lock; a synchronous caller may read them
	 * without it while it spins (then takes the lock to act on them). */
	atomic_bool done;
	atomic_bool leader; /* handed the zone: drive it */
	/* cv is set up only when the caller first sleeps (most turns come
	 * while it spins, or at once); cv_live says so, under the lock. */
	bool cv_live;
	struct zk_cond cv;
	struct zk_owner *owner; /* NULL: a synchronous caller */
	uint64_t user_data;
};

/* What an owner's issue() did with the batch at the head of a plug. */
enum zk_issue {
	ZK_ISSUE_DECLINED,  /* nothing: the driver writes it synchronously */
	ZK_ISSUE_WRITTEN,   /* written and finished already */
	ZK_ISSUE_IN_FLIGHT, /* in flight: its completion drives the zone on */
};

/* An owner's hooks, called with the zone's stripe lock held. */
struct zk_owner_ops {
	/* @r is done (r->result set): take it back. */
	void (*complete)(struct zk_owner *o, struct zk_req *r);
	/* The zone of @p passes to this owner (its request is first in the
	 * plug's queue): drive it (engine_drive) soon, from its own thread. */
	void (*hand)(struct zk_owner *o, struct zone_plug *p);
	/* Optional: issue the batch at the head of @p in the owner's own
	 * way (a ring); may drop the stripe lock, holds it again on return. */
	enum zk_issue (*issue)(struct zk_owner *o, struct zk_dev *d,
			       struct zone_plug *p);
	/* Optional: a thread waits for a zone that waits for this owner (its
	 * batch in flight, or the zone handed to it), holding the zone's
	 * @lock.  If the calling thread may act for the owner (it is the
	 * thread using it), drop @lock, make the owner's work go on (reap
	 * what finished, drive what was handed to it), take @lock again and
	 * return true; else return false, the lock held throughout (so that
	 * no wake-up can come unseen between the look and a sleep). */
	bool (*progress)(struct zk_owner *o, struct zk_mutex *lock);
};

struct zk_owner {
	const struct zk_owner_ops *ops;
};

/* Heavier per-zone state, only while a zone has writes queued or in flight
 * or a zone operation waiting or running. */
struct zone_plug {
	struct zone_plug *next;      /* in its stripe's list */
	struct zone_plug *kick_next; /* on an owner's list of zones handed to it */
	uint32_t zone;
	bool busy;          /* a backend write or zone op is in flight */
	struct zone_resv resv; /* what the reserved writes add to the table */
	struct zk_req *head, **tailp; /* reserved, not yet issued */
	/* Requests of owners that may not wait, come while a zone operation
	 * held the zone: placed (reserved) when it releases the zone. */
	struct zk_req *parked, **parked_tail;
	/* The owner whose action the zone waits for: its batch is in flight
	 * on the owner's ring, or the zone was handed to it.  NULL: someone
	 * is driving the zone, or nothing is going on. */
	struct zk_owner *waits_on;
	unsigned int barriers; /* zone ops waiting for the zone to drain */
	unsigned int refs;  /* threads that will still look at the plug */
	struct zk_cond drain_cv;
};

/* All with the stripe lock of the zone held.  The cases every write
 * meets (the zone's plug first in its stripe, or none and a spare one;
 * an idle plug going back as the spare) are inline. */
struct zone_plug *plug_find(struct zk_dev *d, uint32_t z);
struct zone_plug *plug_get_slow(struct zk_dev *d, uint32_t z);

/* A plug (new, or the spare) set up for zone @z, idle. */
static inline void plug_init(struct zk_dev *d, struct zone_plug *p, uint32_t z)
{
	p->zone = z;
	p->busy = false;
	p->resv.full_pending = false;
	p->resv.tail = wpe_wp(wpt_get(&d->wpt, z));
	p->head = NULL;
	p->tailp = &p->head;
	p->parked = NULL;
	p->parked_tail = &p->parked;
	p->waits_on = NULL;
	p->barriers = p->refs = 0;
	p->kick_next = NULL;
}
void plug_free_idle(struct zk_dev *d, struct zone_plug *p);

static inline struct zone_plug *plug_get(struct zk_dev *d, uint32_t z)
{
	struct zk_stripe *s = zk_stripe_of(d, z);
	struct zone_plug *p = s->plugs;

	zk_assert_held(&s->lock);
	if (p && p->zone == z)
		return p;
	if (!p && s->spare) { /* the stripe is idle: no search, no malloc */
		p = s->spare;
		s->spare = NULL;
		plug_init(d, p, z);
		p->next = NULL;
		s->plugs = p;
		return p;
	}
	return plug_get_slow(d, z); /* NULL: ENOMEM */
}

static inline bool plug_idle(const struct zone_plug *p)
{
	return !p->busy && !p->head && !p->parked && !p->barriers && !p->refs;
}

static inline void plug_put_if_idle(struct zk_dev *d, struct zone_plug *p)
{
	struct zk_stripe *s = zk_stripe_of(d, p->zone);

	zk_assert_held(&s->lock);
	if (!plug_idle(p))
		return;
	if (s->plugs == p && !s->spare) {
		s->plugs = p->next;
		s->spare = p; /* its condition variable is still set up */
		return;
	}
	plug_free_idle(d, p);
}

static inline void plug_enqueue(struct zone_plug *p, struct zk_req *r)
{
	r->next = NULL;
	*p->tailp = r;
	p->tailp = &r->next;
}

/* @r is done with @result: to its owner, or wake its caller. */
static inline void req_complete(struct zk_dev *d, uint32_t z, struct zk_req *r,
				int result)
{
	zk_assert_held(zk_zone_lock(d, z));
	(void)d, (void)z;
	r->result = result;
	atomic_store_explicit(&r->done, true, memory_order_relaxed);
	if (r->owner)
		r->owner->ops->complete(r->owner, r);
	else if (r->cv_live)
		zk_cond_signal(&r->cv);
}
/* Nobody drives @p now: pass it on.  To the first synchronous caller
 * queued, if any (it is waiting, and it writes the requests ahead of its
 * own), else to the owner of the first request. */
void plug_hand(struct zk_dev *d, struct zone_plug *p);
/* Sleep on @cv (with the stripe lock, as zk_cond_wait) until woken,
 * unless the zone waits for an owner this thread may act for: then act
 * (progress) instead.  Callers loop on their condition. */
void plug_wait(struct zk_dev *d, struct zone_plug *p, struct zk_cond *cv);
/* Reserve each request of @list again, in order, and queue it on @p; one
 * that no longer fits completes with the error.  Returns how many landed
 * elsewhere than their r->off said (appends moved; a parked append's off
 * is UINT64_MAX).  res.lock and the stripe lock held. */
unsigned int plug_place(struct zk_dev *d, struct zone_plug *p,
			struct zk_req *list);
/* Park @r (an owner's request) until the zone operation holding the zone
 * ends; plug_unpark() places them then (res.lock held). */
void plug_park(struct zone_plug *p, struct zk_req *r);
void plug_unpark(struct zk_dev *d, struct zone_plug *p);

/* Reserve @len bytes at *@off (UINT64_MAX: append) in @p's zone against the
 * model, closing an implicitly open zone first where the model says so
 * (null_blk's implicit close).  Stripe lock held, and res.lock if
 * zs_write_needs_res(). */
int plug_reserve(struct zk_dev *d, struct zone_plug *p, uint64_t *off,
		 size_t len);
/* The same for a zone operation (zs_zone_op); res.lock held. */
int plug_zone_op(struct zk_dev *d, enum zk_op op, uint32_t z, uint64_t *new_e);
/* Does zone @z have nothing in flight or queued?  A zs_zone_filter: res.lock
 * held and the stripe lock of zone *(uint32_t *)self. */
bool plug_zone_idle(struct zk_dev *d, uint32_t z, void *self);

/* The stripes of a device. */
int stripes_init(struct zk_dev *d);
void stripes_free(struct zk_dev *d);

#endif /* ZK_ZONE_PLUG_H */
