/* SPDX-License-Identifier: MIT */
/*
 * Zone write plugs, requests and their owners (zone_plug.h), and the
 * stripes that hold the plugs.
 */
#include "zone_plug.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* ---- plugs (stripe lock held) ---- */

struct zone_plug *plug_find(struct zk_dev *d, uint32_t z)
{
	struct zk_stripe *s = zk_stripe_of(d, z);
	struct zone_plug *p;

	zk_assert_held(&s->lock);
	for (p = s->plugs; p; p = p->next)
		if (p->zone == z)
			return p;
	return NULL;
}

struct zone_plug *plug_get_slow(struct zk_dev *d, uint32_t z)
{
	struct zk_stripe *s = zk_stripe_of(d, z);
	struct zone_plug *p = plug_find(d, z);

	if (p)
		return p;
	if (s->spare) {
		p = s->spare; /* its condition variable is still set up */
		s->spare = NULL;
	} else {
		p = malloc(sizeof(*p));
		if (!p)
			return NULL;
		zk_cond_init(&p->drain_cv);
	}
	plug_init(d, p, z);
	p->next = s->plugs;
	s->plugs = p;
	return p;
}

/* An idle plug that is not the first in its stripe, or has a spare. */
void plug_free_idle(struct zk_dev *d, struct zone_plug *p)
{
	struct zk_stripe *s = zk_stripe_of(d, p->zone);
	struct zone_plug **pp;

	for (pp = &s->plugs; *pp != p; pp = &(*pp)->next)
		;
	*pp = p->next;
	if (!s->spare) {
		s->spare = p;
		return;
	}
	free(p);
}

/* ---- owners ---- */

/* The first request in @p's queue whose caller waits synchronously. */
static struct zk_req *first_sync(struct zone_plug *p)
{
	for (struct zk_req *r = p->head; r; r = r->next)
		if (!r->owner)
			return r;
	return NULL;
}

void plug_hand(struct zk_dev *d, struct zone_plug *p)
{
	struct zk_req *h = first_sync(p);

	zk_assert_held(zk_zone_lock(d, p->zone));
	(void)d;
	if (!h) {
		/* An owner drives the zone from its own thread, later: wake
		 * those that wait for the zone, so that one of them that may
		 * act for it does (plug_wait). */
		h = p->head;
		p->waits_on = h->owner;
		h->owner->ops->hand(h->owner, p);
		if (p->barriers)
			zk_cond_broadcast(&p->drain_cv);
		return;
	}
	p->waits_on = NULL;
	atomic_store_explicit(&h->leader, true, memory_order_relaxed);
	if (h->cv_live)
		zk_cond_signal(&h->cv); /* no system call if it spins */
}

void plug_wait(struct zk_dev *d, struct zone_plug *p, struct zk_cond *cv)
{
	struct zk_mutex *lock = zk_zone_lock(d, p->zone);
	struct zk_owner *o = p->waits_on;

	p->refs++;
	if (!o || !o->ops->progress || !o->ops->progress(o, lock))
		zk_cond_wait(cv, lock);
	p->refs--;
}

void plug_park(struct zone_plug *p, struct zk_req *r)
{
	r->next = NULL;
	*p->parked_tail = r;
	p->parked_tail = &r->next;
}

unsigned int plug_place(struct zk_dev *d, struct zone_plug *p,
			struct zk_req *list)
{
	unsigned int moved = 0;
	struct zk_req *r, *next;

	zk_assert_held(&d->res.lock);
	for (r = list; r; r = next) {
		uint64_t off = r->kind == REQ_APPEND ? UINT64_MAX : r->off;
		int ret;

		next = r->next;
		ret = plug_reserve(d, p, &off, r->len);
		if (ret) {
			req_complete(d, p->zone, r, ret);
			continue;
		}
		moved += off != r->off;
		r->off = off;
		plug_enqueue(p, r);
	}
	return moved;
}

void plug_unpark(struct zk_dev *d, struct zone_plug *p)
{
	struct zk_req *r = p->parked;

	zk_assert_held(&d->res.lock);
	p->parked = NULL;
	p->parked_tail = &p->parked;
	plug_place(d, p, r);
	if (p->head && !p->busy) {
		p->busy = true;
		plug_hand(d, p);
	}
}

/* ---- reservations that may close another zone ---- */

/* The model closes implicitly open zone @victim to free an open slot for
 * zone @z, whose stripe lock is held with res.lock (the lock order lets a
 * res.lock holder take a second stripe lock). */
static void close_implicit(struct zk_dev *d, uint32_t z, uint32_t victim)
{
	struct zk_stripe *s = zk_stripe_of(d, victim);
	bool other = s != zk_stripe_of(d, z);
	struct zone_plug *p;

	zk_assert_held(&d->res.lock);
	if (other)
		zk_lock(&s->lock);
	p = plug_find(d, victim);
	zs_close_implicit(d, victim, p ? &p->resv : NULL);
	if (other)
		zk_unlock(&s->lock);
}

int plug_reserve(struct zk_dev *d, struct zone_plug *p, uint64_t *off,
		 size_t len)
{
	uint32_t victim;
	int ret;

	while ((ret = zs_reserve_write(d, p->zone, &p->resv, off, len,
				       &victim)) == ZS_NEED_CLOSE)
		close_implicit(d, p->zone, victim);
	return ret;
}

int plug_zone_op(struct zk_dev *d, enum zk_op op, uint32_t z, uint64_t *new_e)
{
	uint32_t victim;
	int ret;

	while ((ret = zs_zone_op(d, op, z, new_e, &victim)) == ZS_NEED_CLOSE)
		close_implicit(d, z, victim);
	return ret;
}

bool plug_zone_idle(struct zk_dev *d, uint32_t z, void *self)
{
	struct zk_stripe *s = zk_stripe_of(d, z);
	bool other = s != zk_stripe_of(d, *(uint32_t *)self);
	const struct zone_plug *p;
	bool idle;

	zk_assert_held(&d->res.lock);
	if (other)
		zk_lock(&s->lock);
	p = plug_find(d, z);
	idle = !p || (!p->busy && !p->head && !p->barriers);
	if (other)
		zk_unlock(&s->lock);
	return idle;
}

/* ---- stripes ---- */

int stripes_init(struct zk_dev *d)
{
	uint32_t n = 1;

	while (n < d->nr_zones && n < ZK_MAX_STRIPES)
		n <<= 1;
	d->stripes = aligned_alloc(64, n * sizeof(*d->stripes));
	if (!d->stripes)
		return -ENOMEM;
	memset(d->stripes, 0, n * sizeof(*d->stripes));
	/* A stripe lock is held for a few hundred nanoseconds at a time: a
	 * thread that finds it taken spins a little (an adaptive lock.h mutex)
	 * rather than sleeping at once, which would cost more than the wait. */
	for (uint32_t i = 0; i < n; i++)
		zk_mutex_init(&d->stripes[i].lock, ZK_LOCK_STRIPE, true);
	d->stripe_mask = n - 1;
	return 0;
}

void stripes_free(struct zk_dev *d)
{
	if (!d->stripes)
		return;
	for (uint32_t i = 0; i <= d->stripe_mask; i++) {
		struct zone_plug *p = d->stripes[i].plugs, *next;

		if (d->stripes[i].spare) {
			d->stripes[i].spare->next = p;
			p = d->stripes[i].spare;
		}
		for (; p; p = next) { /* only if closed with writes in flight */
			next = p->next;
			free(p);
		}
		zk_mutex_destroy(&d->stripes[i].lock);
	}
	free(d->stripes);
	d->stripes = NULL;
}
