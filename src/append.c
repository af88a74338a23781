/* SPDX-License-Identifier: MIT */
/*
 * The append engine: writes into sequential zones, with zone append
 * emulated at the write pointer (engine.h).
 *
 * A request takes its place under the zone's stripe lock (the range
 * [tail, tail + len) is reserved and the tail moves on), joins the plug's
 * queue, and the lock is dropped.  At most one backend write per zone is in
 * flight; its issuer (the leader) takes every request queued behind it and
 * writes them with one pwritev (a group commit: each caller still learns its
 * own offset), then hands the zone to the owner of the first request still
 * queued.  So writes reach the device in wp order, no I/O is done under a
 * stripe lock, and zones never wait on each other.  The batches themselves,
 * their write, commit and recovery, are in batch.c.
 */
#include "engine.h"

#include <errno.h>

#include "compiler.h"
#include "zone_claim.h"

/* Write the batch at the head of the queue from this thread. */
static void issue_sync(struct zk_dev *d, struct zone_plug *p)
{
	struct zk_batch b;

	batch_take(p, &b);
	batch_write_now(d, &b);
}

/* On a buffered device a synchronous leader writes the next batch itself,
 * rather than hand the zone over, when the owner of its head sleeps: a
 * buffered write is CPU work, so waking the owner only puts a scheduler
 * round trip between two writes of the zone (the owner is completed and
 * woken all the same, off that path).  Where writes wait for a device it
 * hands over, so that its own caller's next append joins the next batch.
 * At most this many in a row, so a leader does not write for others for
 * ever. */
#define DRIVE_FOR_SLEEPERS_MAX 4u

static bool drive_for(const struct zk_dev *d, const struct zk_req *h,
		      const struct zk_owner *drv, unsigned int *extra)
{
	if (!d->buffered || drv || h->owner || !h->cv_live ||
	    *extra >= DRIVE_FOR_SLEEPERS_MAX)
		return false;
	++*extra;
	return true;
}

/* Does the head @h go out from this context now?  An owner issues its own
 * requests.  A synchronous caller issues while its own request @self is
 * still queued, the requests ahead of it too (they go first in any case,
 * and the zone passes to a synchronous caller before an owner, so that it
 * never waits for an owner to take the zone up: plug_hand). */
static bool may_issue(const struct zk_owner *drv, const struct zk_req *self,
		      const struct zk_req *h)
{
	if (drv)
		return h->owner == drv;
	return !atomic_load_explicit(&self->done, memory_order_relaxed);
}

void engine_drive(struct zk_dev *d, struct zone_plug *p, struct zk_owner *drv,
		  struct zk_req *self)
{
	unsigned int extra = 0;

	zk_assert_held(zk_zone_lock(d, p->zone));
	p->waits_on = NULL;
	while (p->head) {
		struct zk_req *h = p->head;

		if (!may_issue(drv, self, h) && !drive_for(d, h, drv, &extra)) {
			plug_hand(d, p);
			return;
		}
		if (drv && drv->ops->issue) {
			enum zk_issue how = drv->ops->issue(drv, d, p);

			if (how == ZK_ISSUE_IN_FLIGHT) {
				p->waits_on = drv; /* its completion drives on */
				return;
			}
			if (how == ZK_ISSUE_WRITTEN)
				continue;
		}
		issue_sync(d, p);
	}
	p->busy = false;
	if (p->barriers)
		zk_cond_broadcast(&p->drain_cv);
}

/* ---- reservation ---- */

/* Sleep until no zone operation waits for or holds the zone. */
static void wait_for_barriers(struct zk_dev *d, struct zone_plug *p)
{
	while (p->barriers)
		plug_wait(d, p, &p->drain_cv);
}

int engine_reserve(struct zk_dev *d, uint32_t z, struct zk_req *r,
		   struct zone_plug **pp)
{
	struct zk_stripe *s = zk_stripe_of(d, z);
	struct zone_model m;
	struct zone_plug *p;
	bool have_res = false, locked = true;
	int ret;

	/* The common case first: a zone already open, no zone operation
	 * waiting, and the write does not fill it: no res.lock. */
	zk_lock(&s->lock);
	p = plug_get(d, z);
	if (p && !p->barriers &&
	    zs_reserve_in_open(d, z, &p->resv, &r->off, r->len))
		goto reserved;
	for (unsigned int closes = 0;;) {
		uint32_t victim = ZK_NO_ZONE;

		if (!locked) {
			zk_lock(&s->lock);
			p = plug_get(d, z);
		}
		locked = false;
		if (!p) {
			ret = -ENOMEM;
			goto fail;
		}
		if (p->barriers && have_res) {
			zk_unlock(&d->res.lock);
			have_res = false;
		}
		if (p->barriers && r->owner) {
			/* An owner's submitter never sleeps on a zone (the zone
			 * may be waiting for it): the request waits on the plug
			 * and is placed when the zone operation ends. */
			plug_park(p, r);
			zk_unlock(&s->lock);
			return ENGINE_PARKED;
		}
		wait_for_barriers(d, p);
		zs_model(d, z, &p->resv, &m);
		if (!have_res && !zs_write_needs_res(d, z, &m, r->len))
			break;
		if (have_res) {
			/* Only a synchronous caller may wait for a zone to
			 * drain (a queue's submitter may be what drains it).
			 * A few tries: others may take the room meanwhile. */
			victim = closes < CLOSE_FOR_ROOM_TRIES ?
				 zs_write_zone_to_close(d, z, &m, r->off, r->len,
							plug_zone_idle, &z,
							!r->owner) :
				 ZK_NO_ZONE;
			if (victim == ZK_NO_ZONE)
				break;
		}
		/* Lock order is res -> stripe: start again holding both. */
		plug_put_if_idle(d, p);
		zk_unlock(&s->lock);
		if (have_res) {
			zk_unlock(&d->res.lock);
			have_res = false;
			closes++;
			close_for_room(d, victim);
			continue;
		}
		zk_lock(&d->res.lock);
		have_res = true;
	}
	ret = plug_reserve(d, p, &r->off, r->len);
	if (have_res) {
		zk_unlock(&d->res.lock);
		have_res = false;
	}
	if (ret) {
		plug_put_if_idle(d, p);
		goto fail;
	}
reserved:
	plug_enqueue(p, r);
	p->refs++; /* the caller looks at the plug until it is done */
	*pp = p;
	return 0;
fail:
	zk_unlock(&s->lock);
	if (have_res)
		zk_unlock(&d->res.lock);
	return ret;
}

/* ---- waiting for a turn ---- */

/* A synchronous caller spins for its turn before it sleeps when the
 * zone's writes are short: a small buffered write takes a few microseconds,
 * less than a sleeping thread takes to wake, so the zone passes far faster
 * to a thread that spins (as the kernel's mutexes spin while their owner
 * runs).  Where writes wait for a device, the writer is off the CPU as a
 * sleeper would be: spinning there only takes CPU time from the threads
 * whose appends would merge into the next write, so it sleeps at once. */
#define SPIN_WRITE_MAX_NS 50000u /* longer writes: no spinning */
#define SPIN_MIN_NS 10000u

/* 0 or how long to spin: about two writes of the zone's stripe. */
static uint64_t spin_budget(const struct zk_stripe *s)
{
	uint64_t avg = atomic_load_explicit(&s->write_ns, memory_order_relaxed);

	return avg > SPIN_WRITE_MAX_NS ? 0 : SPIN_MIN_NS + 2 * avg;
}

static bool req_ready(const struct zk_req *r)
{
	return atomic_load_explicit(&r->done, memory_order_relaxed) ||
	       atomic_load_explicit(&r->leader, memory_order_relaxed);
}

/* Spin, without the stripe lock, until @r is ready or the time is up. */
static void spin_for_turn(struct zk_dev *d, struct zk_stripe *s,
			  struct zk_req *r)
{
	unsigned int n = atomic_load_explicit(&d->spinners,
					      memory_order_relaxed);
	uint64_t budget = spin_budget(s), deadline = 0;

	if (!budget)
		return;
	do {
		if (n >= d->max_spinners)
			return;
	} while (!atomic_compare_exchange_weak_explicit(
		&d->spinners, &n, n + 1, memory_order_relaxed,
		memory_order_relaxed));
	zk_unlock(&s->lock);
	for (unsigned int i = 1; !req_ready(r); i++) {
		cpu_relax();
		if (i % 64)
			continue;
		if (!deadline)
			deadline = engine_now_ns() + budget;
		else if (engine_now_ns() > deadline)
			break;
	}
	atomic_fetch_sub_explicit(&d->spinners, 1, memory_order_relaxed);
	zk_lock(&s->lock);
}

/* Wait, stripe lock held, until the zone is handed to us or @r is done. */
static void wait_for_turn(struct zk_dev *d, struct zk_stripe *s,
			  struct zone_plug *p, struct zk_req *r)
{
	if (req_ready(r))
		return;
	spin_for_turn(d, s, r);
	if (req_ready(r))
		return;
	if (!r->cv_live) {
		zk_cond_init(&r->cv);
		r->cv_live = true;
	}
	while (!req_ready(r))
		plug_wait(d, p, &r->cv);
}

/* engine_write_alone(), inline in engine_write() too. */
static inline void write_alone(struct zk_dev *d, struct zone_plug *p,
			       struct zk_req *r, struct zk_owner *drv,
			       struct zk_req *self)
{
	batch_write_alone(d, p, r);
	if (p->head || p->barriers)
		engine_drive(d, p, drv, self);
	else
		p->busy = false; /* as engine_drive() ends: nobody waits */
}

void engine_write_alone(struct zk_dev *d, struct zone_plug *p,
			struct zk_req *r, struct zk_owner *drv,
			struct zk_req *self)
{
	write_alone(d, p, r, drv, self);
}

int engine_write(struct zk_dev *d, uint32_t z, struct zk_req *r)
{
	struct zk_stripe *s = zk_stripe_of(d, z);
	struct zone_plug *p;
	int ret;

	ret = engine_reserve(d, z, r, &p);
	if (ret)
		goto out;
	if (!p->busy) {
		p->busy = true;
		if (p->head == r && !r->next)
			write_alone(d, p, r, NULL, r);
		else
			atomic_store_explicit(&r->leader, true,
					      memory_order_relaxed);
	}
	for (;;) {
		wait_for_turn(d, s, p, r);
		if (atomic_load_explicit(&r->leader, memory_order_relaxed)) {
			atomic_store_explicit(&r->leader, false,
					      memory_order_relaxed);
			engine_drive(d, p, NULL, r);
		}
		if (atomic_load_explicit(&r->done, memory_order_relaxed))
			break;
	}
	ret = r->result;
	p->refs--;
	plug_put_if_idle(d, p);
	zk_unlock(&s->lock);
	zone_recheck_implicit(d);
out:
	return ret;
}
