/* SPDX-License-Identifier: MIT */
/*
 * The open/active zone accounting (zone_res.h): counts of implicitly and
 * explicitly open and of closed zones, the list of implicitly open zones
 * to pick one to close from, and the checks of null_blk's
 * null_check_zone_resources().  Device-wide by nature, so under res.lock.
 * It moves no zone: zone_state.c makes every transition and calls these.
 */
#include "zone_res.h"

#include <errno.h>
#include <stdlib.h>

#include "device.h"

/* ---- accounting (res.lock held) ---- */

/* The list grows as needed: a real device may hold more zones implicitly
 * open than zonekit's model would, for a moment (zs_apply_recheck). */
static void imp_list_add(struct zk_res *r, uint32_t z)
{
	if (!r->imp)
		return; /* no open limit: nothing to pick from */
	if (r->nr_imp_listed == r->imp_room) {
		uint32_t room = r->imp_room ? r->imp_room * 2 : 8;
		uint32_t *bigger = realloc(r->imp, room * sizeof(*bigger));

		if (!bigger)
			return;
		r->imp = bigger;
		r->imp_room = room;
	}
	r->imp[r->nr_imp_listed++] = z;
}

static void imp_list_del(struct zk_res *r, uint32_t z)
{
	for (uint32_t i = 0; i < r->nr_imp_listed; i++) {
		if (r->imp[i] == z) {
			r->imp[i] = r->imp[--r->nr_imp_listed];
			return;
		}
	}
}

void res_leave(struct zk_dev *d, uint32_t z, unsigned int cond)
{
	struct zk_res *r = &d->res;

	zk_assert_held(&r->lock);
	switch (cond) {
	case ZK_COND_IMP_OPEN:
		r->nr_imp_open--;
		imp_list_del(r, z);
		break;
	case ZK_COND_EXP_OPEN:
		r->nr_exp_open--;
		break;
	case ZK_COND_CLOSED:
		r->nr_closed--;
		break;
	default:
		break;
	}
}

void res_enter(struct zk_dev *d, uint32_t z, unsigned int cond)
{
	struct zk_res *r = &d->res;

	zk_assert_held(&r->lock);
	switch (cond) {
	case ZK_COND_IMP_OPEN:
		r->nr_imp_open++;
		imp_list_add(r, z);
		break;
	case ZK_COND_EXP_OPEN:
		r->nr_exp_open++;
		break;
	case ZK_COND_CLOSED:
		r->nr_closed++;
		break;
	default:
		break;
	}
}

/* ---- resources, as null_check_zone_resources() ---- */

int res_check_active(struct zk_dev *d)
{
	struct zk_res *r = &d->res;

	if (!d->geo.max_active ||
	    r->nr_imp_open + r->nr_exp_open + r->nr_closed < d->geo.max_active)
		return 0;
	return -EOVERFLOW;
}

bool res_open_slot_free(const struct zk_dev *d)
{
	const struct zk_res *r = &d->res;

	return !d->geo.max_open ||
	       r->nr_imp_open + r->nr_exp_open < d->geo.max_open;
}

/* May an implicitly open zone be closed to free an open slot? */
bool res_may_close_implicit(struct zk_dev *d)
{
	const struct zk_res *r = &d->res;

	return r->nr_imp_open && r->nr_imp_listed && !res_check_active(d);
}

/* The implicitly open zone found first from the cursor on, in zone order,
 * as null_blk picks it (with @filter, the first one it accepts), and the
 * cursor moved past it; ZK_NO_ZONE if none. */
static uint32_t pick_implicit(struct zk_dev *d, zs_zone_filter *filter,
			      void *ctx)
{
	struct zk_res *r = &d->res;
	uint32_t best = ZK_NO_ZONE, best_dist = UINT32_MAX;

	for (uint32_t i = 0; i < r->nr_imp_listed; i++) {
		uint32_t b = r->imp[i];
		uint32_t dist = b >= r->close_cursor ?
			b - r->close_cursor : b + d->nr_zones - r->close_cursor;

		if (dist < best_dist && (!filter || filter(d, b, ctx))) {
			best_dist = dist;
			best = b;
		}
	}
	if (best != ZK_NO_ZONE)
		r->close_cursor = best + 1 >= d->nr_zones ?
			d->geo.nr_conv_zones : best + 1;
	return best;
}

/* Caller holds res.lock, about to open @z (in condition @cond) by a write
 * or a zone operation.  On a real device, left to itself, the command that
 * opens @z closes an implicitly open zone of the device's own choice when
 * every open slot is taken, and under concurrent writes that may not be
 * the zone the model closes.  So zonekit closes one itself first
 * (close_for_room) and the device never chooses: this returns that zone
 * (one @prefer accepts if there is one, else, if @may_any, any), or
 * ZK_NO_ZONE if no close is needed or none can be made so (the model then
 * closes one as null_blk does, and the zones concerned are re-read
 * afterwards). */
uint32_t res_zone_to_close(struct zk_dev *d, unsigned int cond,
			   zs_zone_filter *prefer, void *ctx, bool may_any)
{
	struct zk_res *r = &d->res;
	uint32_t victim;

	zk_assert_held(&r->lock);
	if (!d->ops->keeps_conditions ||
	    (cond != ZK_COND_EMPTY && cond != ZK_COND_CLOSED) ||
	    res_open_slot_free(d) || !res_may_close_implicit(d))
		return ZK_NO_ZONE;
	victim = pick_implicit(d, prefer, ctx);
	if (victim == ZK_NO_ZONE && may_any)
		victim = pick_implicit(d, NULL, NULL);
	return victim;
}

uint32_t zs_take_recheck(struct zk_dev *d, uint32_t *zones, uint32_t max)
{
	struct zk_res *r = &d->res;
	uint32_t n = 0;

	/* Look first: an exchange on every write would be a locked write to
	 * a device-wide cache line by every thread, on every zone. */
	if (!atomic_load_explicit(&r->recheck_pending, memory_order_relaxed) ||
	    !atomic_exchange(&r->recheck_pending, false))
		return 0;
	zk_lock(&r->lock);
	for (uint32_t i = 0; i < r->nr_recheck && n < max; i++)
		zones[n++] = r->recheck[i];
	for (uint32_t i = 0; i < r->nr_imp_listed && n < max; i++)
		zones[n++] = r->imp[i];
	r->nr_recheck = 0;
	zk_unlock(&r->lock);
	return n;
}

/* Room for @z to open (zs_reserve_write, op_open, op_finish). */
int res_check_open(struct zk_dev *d, uint32_t *victim)
{
	if (res_open_slot_free(d))
		return 0;
	if (res_may_close_implicit(d)) {
		*victim = pick_implicit(d, NULL, NULL);
		return ZS_NEED_CLOSE;
	}
	return -ETOOMANYREFS;
}

int res_check_resources(struct zk_dev *d, unsigned int cond,
			uint32_t *victim)
{
	int ret;

	if (cond == ZK_COND_EMPTY) {
		ret = res_check_active(d);
		if (ret)
			return ret;
	}
	return res_check_open(d, victim);
}

uint64_t zs_epoch(struct zk_dev *d)
{
	zk_assert_held(&d->res.lock);
	return d->res.epoch;
}

/* ---- the device's life ---- */

int zs_init(struct zk_dev *d)
{
	zk_mutex_init(&d->res.lock, ZK_LOCK_RES, false);
	return 0;
}

int zs_recount(struct zk_dev *d)
{
	struct zk_res *r = &d->res;

	free(r->imp);
	r->imp = NULL;
	if (d->geo.max_open) {
		r->imp_room = d->geo.max_open * 2;
		r->imp = calloc(r->imp_room, sizeof(*r->imp));
		if (!r->imp)
			return -ENOMEM;
	}
	r->nr_imp_open = r->nr_exp_open = r->nr_closed = r->nr_imp_listed = 0;
	r->close_cursor = d->geo.nr_conv_zones;
	zk_lock(&r->lock);
	for (uint32_t z = 0; z < d->nr_zones; z++)
		res_enter(d, z, wpe_cond(wpt_get(&d->wpt, z)));
	zk_unlock(&r->lock);
	return 0;
}

void zs_free(struct zk_dev *d)
{
	free(d->res.imp);
	d->res.imp = NULL;
	zk_mutex_destroy(&d->res.lock);
}
