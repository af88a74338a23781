/* SPDX-License-Identifier: MIT */
/* Zone claims, and asking the device about zones (zone_claim.h). */
#include "zone_claim.h"

#include <errno.h>

int zone_claim(struct zk_dev *d, uint32_t z, struct zone_plug **pp)
{
	struct zk_stripe *s = zk_stripe_of(d, z);
	struct zone_plug *p;

	zk_lock(&s->lock);
	p = plug_get(d, z);
	if (!p) {
		zk_unlock(&s->lock);
		return -ENOMEM;
	}
	p->barriers++;
	while (p->busy || p->head)
		plug_wait(d, p, &p->drain_cv);
	p->busy = true;
	zk_unlock(&s->lock);
	*pp = p;
	return 0;
}

void zone_release(struct zk_dev *d, struct zone_plug *p)
{
	struct zk_stripe *s = zk_stripe_of(d, p->zone);

	zk_lock(&s->lock);
	p->busy = false;
	p->barriers--;
	p->resv.tail = wpe_wp(wpt_get(&d->wpt, p->zone));
	p->resv.full_pending = false;
	zk_cond_broadcast(&p->drain_cv);
	if (!p->barriers && p->parked) {
		/* Placing them may change the open/active counts: res.lock
		 * first, as the lock order wants. */
		p->refs++;
		zk_unlock(&s->lock);
		zk_lock(&d->res.lock);
		zk_lock(&s->lock);
		p->refs--;
		if (!p->barriers)
			plug_unpark(d, p);
		zk_unlock(&d->res.lock);
	}
	plug_put_if_idle(d, p);
	zk_unlock(&s->lock);
}

/* The device's state of zone @z, counted in zk_stats.relearns. */
static int ask_device(struct zk_dev *d, uint32_t z, struct zk_zone_state *st)
{
	zk_assert_none_held(ZK_LOCK_STRIPE);
	atomic_fetch_add_explicit(&d->stats.relearns, 1, memory_order_relaxed);
	return d->ops->report(d, z, 1, st);
}

int zone_relearn(struct zk_dev *d, uint32_t z)
{
	struct zk_stripe *s = zk_stripe_of(d, z);
	struct zk_zone_state st;
	int ret = ask_device(d, z, &st);

	if (ret < 0)
		return ret;
	zk_lock(&d->res.lock);
	zk_lock(&s->lock);
	{
		struct zone_plug *p = plug_find(d, z);

		zs_learn(d, z, p ? &p->resv : NULL, &st);
	}
	zk_unlock(&s->lock);
	zk_unlock(&d->res.lock);
	return 0;
}

/* The close reaches the device before res.lock is let go, so before any
 * write that opens a zone can: the one zone I/O made under a lock, and
 * never under a stripe lock (doc/design.md, "Locks").  0 also if @z is no
 * longer implicitly open. */
int close_for_room(struct zk_dev *d, uint32_t z)
{
	struct zk_stripe *s = zk_stripe_of(d, z);
	struct zone_plug *p;
	uint64_t new_e = 0;
	int ret, lret;

	ret = zone_claim(d, z, &p);
	if (ret)
		return ret;
	zk_lock(&d->res.lock);
	zk_lock(&s->lock);
	if (wpe_cond(wpt_get(&d->wpt, z)) == ZK_COND_IMP_OPEN)
		ret = plug_zone_op(d, ZK_OP_CLOSE, z, &new_e);
	zk_unlock(&s->lock);
	zk_assert_none_held(ZK_LOCK_STRIPE);
	if (!ret && new_e)
		ret = d->ops->zone_op(d, ZK_OP_CLOSE, z);
	zk_unlock(&d->res.lock);
	/* As after any zone operation on a real device: its word is final
	 * (devices differ on closing an open zone with nothing written). */
	lret = new_e ? zone_relearn(d, z) : 0;
	zone_release(d, p);
	return ret ? ret : lret;
}

/* Take the device's word on whether @z is implicitly open or closed; its
 * wp and any writes in flight are left alone. */
static void recheck_zone(struct zk_dev *d, uint32_t z)
{
	struct zk_stripe *s = zk_stripe_of(d, z);
	struct zk_zone_state st;
	struct zone_model m;
	struct zone_plug *p;

	zk_assert_none_held(ZK_LOCK_STRIPE);
	if (d->ops->report(d, z, 1, &st) < 0)
		return;
	zk_lock(&d->res.lock);
	zk_lock(&s->lock);
	p = plug_find(d, z);
	zs_model(d, z, p ? &p->resv : NULL, &m);
	zs_apply_recheck(d, z, &m, &st);
	zk_unlock(&s->lock);
	zk_unlock(&d->res.lock);
}

void zone_recheck_implicit_now(struct zk_dev *d)
{
	uint32_t zones[ZK_RECHECK_MAX * 2];
	uint32_t n = zs_take_recheck(d, zones, ZK_RECHECK_MAX * 2);

	for (uint32_t i = 0; i < n; i++)
		recheck_zone(d, zones[i]);
}
