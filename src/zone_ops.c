/* SPDX-License-Identifier: MIT */
/*
 * Zone operations (reset, open, close, finish), resync, and marking zones
 * read-only or offline.  A zone operation waits for the zone's queued and
 * in-flight writes to drain (zone_claim), changes the model under
 * res.lock + the zone's stripe lock, drops the stripe lock, and only then
 * asks the backend to do it.  If the backend fails, the zone is re-learnt.
 */
#include <errno.h>
#include <stdlib.h>

#include "compiler.h"
#include "zone_claim.h"

/* What the ALL bit of ZBC applies each operation to. */
static bool op_applies_to_all(enum zk_op op, unsigned int cond)
{
	switch (op) {
	case ZK_OP_RESET:
		return cond == ZK_COND_IMP_OPEN || cond == ZK_COND_EXP_OPEN ||
		       cond == ZK_COND_CLOSED || cond == ZK_COND_FULL;
	case ZK_OP_OPEN:
		return cond == ZK_COND_CLOSED;
	case ZK_OP_CLOSE:
		return cond == ZK_COND_IMP_OPEN || cond == ZK_COND_EXP_OPEN;
	case ZK_OP_FINISH:
		return cond == ZK_COND_IMP_OPEN || cond == ZK_COND_EXP_OPEN ||
		       cond == ZK_COND_CLOSED;
	}
	return false;
}

/* Put back table word @e, the backend having failed to carry out the
 * zone operation that replaced it: what the device says then (re-learnt
 * next) is taken against the zone's condition before the operation, not
 * the one it did not reach. */
static void undo_zone_op(struct zk_dev *d, uint32_t z, uint64_t e)
{
	zk_lock(&d->res.lock);
	zk_lock(zk_zone_lock(d, z));
	zs_restore(d, z, e);
	zk_unlock(zk_zone_lock(d, z));
	zk_unlock(&d->res.lock);
}

static int zone_op_one(struct zk_dev *d, enum zk_op op, uint32_t z, bool all)
{
	struct zk_stripe *s = zk_stripe_of(d, z);
	struct zone_plug *p;
	uint64_t new_e = 0, old_e;
	bool applies;
	int ret;

	ret = zone_claim(d, z, &p);
	if (ret)
		return ret;
	for (unsigned int tries = 0;; tries++) {
		uint32_t victim = ZK_NO_ZONE;

		zk_lock(&d->res.lock);
		zk_lock(&s->lock);
		applies = !all ||
			  op_applies_to_all(op, wpe_cond(wpt_get(&d->wpt, z)));
		if (applies && tries < CLOSE_FOR_ROOM_TRIES)
			victim = zs_op_zone_to_close(d, op, z, plug_zone_idle, &z);
		if (victim == ZK_NO_ZONE)
			break;
		zk_unlock(&s->lock);
		zk_unlock(&d->res.lock);
		close_for_room(d, victim);
	}
	old_e = wpt_get(&d->wpt, z);
	if (applies)
		ret = plug_zone_op(d, op, z, &new_e);
	zk_unlock(&s->lock);
	zk_unlock(&d->res.lock);
	/* A real device may disagree with the model about a no-op (a zone
	 * changed behind our back): let it have the last word. */
	if (!ret && (new_e || (!all && d->ops->keeps_conditions))) {
		zk_assert_none_held(ZK_LOCK_STRIPE);
		ret = d->ops->zone_op(d, op, z);
		if (ret && new_e)
			undo_zone_op(d, z, old_e);
		if (ret || d->ops->keeps_conditions) {
			int lret = zone_relearn(d, z);

			ret = ret ? ret : lret;
		}
	}
	zone_release(d, p);
	return ret;
}

/* Refuse a range holding a zone no operation applies to, before touching
 * any, so that a bad range changes nothing. */
static int check_range_ops(struct zk_dev *d, uint32_t first, uint32_t last)
{
	for (uint32_t z = first; z <= last; z++) {
		unsigned int cond = wpe_cond(wpt_get(&d->wpt, z));

		if (zk_zone_is_conv(d, z) || cond == ZK_COND_READONLY ||
		    cond == ZK_COND_OFFLINE)
			return -EIO;
	}
	return 0;
}

static int op_range(struct zk_dev *d, enum zk_op op, uint32_t first,
		    uint32_t last, bool all)
{
	int ret;

	for (uint32_t z = first; z <= last; z++) {
		if (all && (zk_zone_is_conv(d, z) ||
			    !op_applies_to_all(op, wpe_cond(wpt_get(&d->wpt, z)))))
			continue; /* cheap skip; re-checked under the lock */
		ret = zone_op_one(d, op, z, all);
		if (ret)
			return ret;
	}
	return 0;
}

/* Open all: the zones CLOSED when it starts, as ZBC's OPEN ALL; a zone it
 * closes implicitly on the way is not opened again. */
static int open_all(struct zk_dev *d)
{
	uint64_t *closed = calloc((d->nr_zones + 63) / 64, sizeof(*closed));
	int ret = 0;

	if (!closed)
		return -ENOMEM;
	for (uint32_t z = d->geo.nr_conv_zones; z < d->nr_zones; z++)
		if (wpe_cond(wpt_get(&d->wpt, z)) == ZK_COND_CLOSED)
			closed[z / 64] |= 1ULL << (z % 64);
	for (uint32_t z = d->geo.nr_conv_zones; z < d->nr_zones && !ret; z++)
		if (closed[z / 64] & (1ULL << (z % 64)))
			ret = zone_op_one(d, ZK_OP_OPEN, z, true);
	free(closed);
	return ret;
}

ZK_EXPORT int zk_zone_op(struct zk_dev *d, enum zk_op op, uint64_t off,
			 uint64_t len)
{
	uint64_t end, cap;
	uint32_t first, last;
	bool all;
	int ret;

	if (!d || op < ZK_OP_RESET || op > ZK_OP_FINISH)
		return -EINVAL;
	if (d->flags & ZK_RDONLY)
		return -EBADF;
	cap = d->geo.capacity;
	if (off >= cap || (off & (d->geo.zone_size - 1)) || !len ||
	    len > cap - off)
		return -EINVAL;
	end = off + len;
	if (end != cap && (end & (d->geo.zone_size - 1)))
		return -EINVAL;
	all = off == 0 && len == cap;
	first = zk_zone_of(d, off);
	last = zk_zone_of(d, end - 1);
	if (!all) {
		ret = check_range_ops(d, first, last);
		if (ret)
			return ret;
	}
	if (all && op == ZK_OP_OPEN)
		ret = open_all(d);
	else
		ret = op_range(d, op, first, last, all);
	zone_recheck_implicit(d); /* an open or finish may have closed a zone */
	return ret;
}

/* ---- resync ---- */

#define RESYNC_CHUNK 4096u

/* Apply a reported state unless the zone moved since @seen was read: its
 * word is the same and no word changed but by completed writes (whose wp
 * only moves forward) since *@epoch, which moves on with ours. */
static bool resync_apply(struct zk_dev *d, uint32_t z, uint64_t seen,
			 uint64_t *epoch, const struct zk_zone_state *st)
{
	struct zk_stripe *s = zk_stripe_of(d, z);
	bool applied = false;

	zk_lock(&d->res.lock);
	zk_lock(&s->lock);
	if (!plug_find(d, z) && wpt_get(&d->wpt, z) == seen &&
	    zs_epoch(d) == *epoch) {
		zs_learn(d, z, NULL, st);
		*epoch = zs_epoch(d);
		applied = true;
	}
	zk_unlock(&s->lock);
	zk_unlock(&d->res.lock);
	return applied;
}

static int resync_one(struct zk_dev *d, uint32_t z)
{
	struct zone_plug *p;
	int ret = zone_claim(d, z, &p);

	if (ret)
		return ret;
	ret = zone_relearn(d, z);
	zone_release(d, p);
	return ret;
}

static int resync_chunk(struct zk_dev *d, uint32_t first, uint32_t nr,
			struct zk_zone_state *st, uint64_t *seen)
{
	uint64_t epoch;
	int ret;

	zk_lock(&d->res.lock);
	epoch = zs_epoch(d);
	zk_unlock(&d->res.lock);
	for (uint32_t i = 0; i < nr; i++)
		seen[i] = wpt_get(&d->wpt, first + i);
	ret = d->ops->report(d, first, nr, st);
	if (ret < 0)
		return ret;
	for (uint32_t i = 0; i < nr; i++) {
		if (resync_apply(d, first + i, seen[i], &epoch, &st[i]))
			continue;
		/* Written to while we looked: do it alone, drained. */
		ret = resync_one(d, first + i);
		if (ret)
			return ret;
	}
	return 0;
}

ZK_EXPORT int zk_resync(struct zk_dev *d)
{
	struct zk_zone_state *st;
	uint64_t *seen;
	int ret = 0;

	if (!d)
		return -EINVAL;
	st = calloc(RESYNC_CHUNK, sizeof(*st));
	seen = calloc(RESYNC_CHUNK, sizeof(*seen));
	if (!st || !seen) {
		ret = -ENOMEM;
		goto out;
	}
	for (uint32_t z = 0; z < d->nr_zones && !ret; z += RESYNC_CHUNK) {
		uint32_t nr = d->nr_zones - z < RESYNC_CHUNK ?
			d->nr_zones - z : RESYNC_CHUNK;

		ret = resync_chunk(d, z, nr, st, seen);
	}
out:
	free(st);
	free(seen);
	return ret;
}

/* ---- worn-out zones (emulated device) ---- */

ZK_EXPORT int zk_set_zone_cond(struct zk_dev *d, uint64_t off,
			       enum zk_zone_cond cond)
{
	struct zk_zone_state st = { .type = ZK_ZONE_SEQ_REQUIRED };
	struct zone_plug *p;
	uint32_t z;
	int ret;

	if (!d)
		return -EINVAL;
	if (!d->ops->set_cond)
		return -EOPNOTSUPP;
	if (d->flags & ZK_RDONLY)
		return -EBADF;
	if (off >= d->geo.capacity || (off & (d->geo.zone_size - 1)))
		return -EINVAL;
	if (cond != ZK_COND_READONLY && cond != ZK_COND_OFFLINE &&
	    cond != ZK_COND_EMPTY)
		return -EINVAL;
	z = zk_zone_of(d, off);
	if (zk_zone_is_conv(d, z))
		return -EINVAL;
	ret = zone_claim(d, z, &p);
	if (ret)
		return ret;
	ret = d->ops->set_cond(d, z, cond);
	if (!ret) {
		st.cond = (uint8_t)cond;
		st.wp = zk_zone_start(d, z);
		zk_lock(&d->res.lock);
		zk_lock(&zk_stripe_of(d, z)->lock);
		zs_force(d, z, &p->resv, &st);
		zk_unlock(&zk_stripe_of(d, z)->lock);
		zk_unlock(&d->res.lock);
	}
	zone_release(d, p);
	return ret;
}
