/* SPDX-License-Identifier: MIT */
/*
 * The per-zone state machine and the open/active zone limits, modelled on
 * the Linux null_blk driver (the kernel's reference zoned device), so that
 * the emulated device answers as a real one does:
 *
 *   EMPTY --write--> IMP_OPEN --reaches capacity--> FULL
 *   EMPTY/IMP_OPEN/CLOSED --open--> EXP_OPEN
 *   IMP_OPEN/EXP_OPEN --close--> CLOSED (EMPTY if nothing was written)
 *   CLOSED --write--> IMP_OPEN
 *   any but FULL --finish--> FULL;  any --reset--> EMPTY
 *
 * Counters of open and closed zones are device-wide, so they live under
 * res.lock; it is taken only for transitions that change them, never for a
 * write into an already open zone.
 */
#include <errno.h>
#include <stdlib.h>

#include "zk_internal.h"

/* ---- accounting (caller holds res.lock) ---- */

/* The list grows as needed: a real device may hold more zones implicitly
 * open than zonekit's model would, for a moment (zs_recheck_implicit). */
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

static void acct_leave(struct zk_dev *d, uint32_t z, unsigned int cond)
{
	struct zk_res *r = &d->res;

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

static void acct_enter(struct zk_dev *d, uint32_t z, unsigned int cond)
{
	struct zk_res *r = &d->res;

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

/* Move zone @z between conditions; the table keeps the committed wp. */
static void set_cond(struct zk_dev *d, uint32_t z, unsigned int from,
		     unsigned int to)
{
	uint64_t e = wpt_get(&d->wpt, z);

	acct_leave(d, z, from);
	acct_enter(d, z, to);
	wpt_set(&d->wpt, z, wpe_make(wpe_conv(e), to, wpe_wp(e)));
}

void zs_model(struct zk_dev *d, uint32_t z, const struct zone_plug *p,
	      struct zone_model *m)
{
	uint64_t e = wpt_get(&d->wpt, z);

	m->cond = p && p->full_pending ? ZK_COND_FULL : wpe_cond(e);
	m->wp = p ? p->tail : wpe_wp(e);
}

/* ---- resources, as null_check_zone_resources() ---- */

static int check_active(struct zk_dev *d)
{
	struct zk_res *r = &d->res;

	if (!d->geo.max_active ||
	    r->nr_imp_open + r->nr_exp_open + r->nr_closed < d->geo.max_active)
		return 0;
	return -EOVERFLOW;
}

/* Is nothing in flight or queued for @z?  (Caller holds res.lock and the
 * stripe lock of @self.) */
static bool zone_idle(struct zk_dev *d, uint32_t z, uint32_t self)
{
	struct zk_stripe *s = zk_stripe_of(d, z);
	const struct zone_plug *p;
	bool idle;

	if (s != zk_stripe_of(d, self))
		pthread_mutex_lock(&s->lock);
	p = plug_find(s, z);
	idle = !p || (!p->busy && !p->head && !p->barriers);
	if (s != zk_stripe_of(d, self))
		pthread_mutex_unlock(&s->lock);
	return idle;
}

/* The implicitly open zone found first from the cursor on, in zone order,
 * as null_blk picks it (with @idle_only, the first zone_idle() one), and
 * the cursor moved past it; ZK_NO_ZONE if none. */
static uint32_t pick_implicit(struct zk_dev *d, uint32_t self, bool idle_only)
{
	struct zk_res *r = &d->res;
	uint32_t best = ZK_NO_ZONE, best_dist = UINT32_MAX;

	for (uint32_t i = 0; i < r->nr_imp_listed; i++) {
		uint32_t b = r->imp[i];
		uint32_t dist = b >= r->close_cursor ?
			b - r->close_cursor : b + d->nr_zones - r->close_cursor;

		if (dist < best_dist && (!idle_only || zone_idle(d, b, self))) {
			best_dist = dist;
			best = b;
		}
	}
	if (best != ZK_NO_ZONE)
		r->close_cursor = best + 1 >= d->nr_zones ?
			d->geo.nr_conv_zones : best + 1;
	return best;
}

/* Close the implicitly open zone found first from the cursor on, in zone
 * order, as null_blk does (so the emulated device picks the same one). */
static void close_one_implicit(struct zk_dev *d, uint32_t self)
{
	struct zk_res *r = &d->res;
	uint32_t best = pick_implicit(d, self, false);
	struct zk_stripe *s;
	struct zone_plug *p;
	struct zone_model m;

	if (best == ZK_NO_ZONE)
		return;

	/* Lock order res -> stripe; only res holders take a second stripe. */
	s = zk_stripe_of(d, best);
	if (s != zk_stripe_of(d, self))
		pthread_mutex_lock(&s->lock);
	p = plug_find(s, best);
	zs_model(d, best, p, &m);
	set_cond(d, best, ZK_COND_IMP_OPEN,
		 m.wp == zk_zone_start(d, best) ? ZK_COND_EMPTY : ZK_COND_CLOSED);
	if (s != zk_stripe_of(d, self))
		pthread_mutex_unlock(&s->lock);
	if (d->ops->relearn_after_zone_op && r->nr_recheck < ZK_RECHECK_MAX) {
		r->recheck[r->nr_recheck++] = best;
		atomic_store(&r->recheck_pending, true);
	}
}

/* Caller holds res.lock and @z's stripe lock, about to open @z (in
 * condition @cond) by a write or a zone operation.  On a real device, left
 * to itself, the command that opens @z closes an implicitly open zone of
 * the device's own choice when every open slot is taken, and under
 * concurrent writes that may not be the zone the model closes.  So zonekit
 * closes one itself first (close_for_room) and the device never chooses:
 * this returns that zone (one with nothing in flight or queued if there is
 * one, else, if @may_wait, one to drain), or ZK_NO_ZONE if no close is
 * needed or none can be made so (the model then closes one as null_blk
 * does, and the zones concerned are re-read afterwards). */
static uint32_t zone_to_close(struct zk_dev *d, uint32_t z, unsigned int cond,
			      bool may_wait)
{
	struct zk_res *r = &d->res;
	uint32_t victim;

	if (!d->ops->relearn_after_zone_op || !d->geo.max_open ||
	    (cond != ZK_COND_EMPTY && cond != ZK_COND_CLOSED) ||
	    r->nr_imp_open + r->nr_exp_open < d->geo.max_open ||
	    !r->nr_imp_open || !r->nr_imp_listed || check_active(d))
		return ZK_NO_ZONE;
	victim = pick_implicit(d, z, true);
	if (victim == ZK_NO_ZONE && may_wait)
		victim = pick_implicit(d, z, false);
	return victim;
}

static bool open_or_closed(unsigned int cond)
{
	return cond == ZK_COND_IMP_OPEN || cond == ZK_COND_CLOSED;
}

/* Take the device's word on whether @z is implicitly open or closed; its
 * wp and any writes in flight are left alone. */
static void recheck_zone(struct zk_dev *d, uint32_t z)
{
	struct zk_stripe *s = zk_stripe_of(d, z);
	struct zk_zone_state st;
	struct zone_model m;

	if (d->ops->report(d, z, 1, &st) < 0)
		return;
	pthread_mutex_lock(&d->res.lock);
	pthread_mutex_lock(&s->lock);
	zs_model(d, z, plug_find(s, z), &m);
	if (open_or_closed(m.cond) && open_or_closed(st.cond) &&
	    m.cond != st.cond)
		set_cond(d, z, m.cond, st.cond);
	pthread_mutex_unlock(&s->lock);
	pthread_mutex_unlock(&d->res.lock);
}

void zs_recheck_implicit(struct zk_dev *d)
{
	struct zk_res *r = &d->res;
	uint32_t zones[ZK_RECHECK_MAX * 2], n = 0;

	/* Look first: an exchange on every write would be a locked write to
	 * a device-wide cache line by every thread, on every zone. */
	if (!atomic_load_explicit(&r->recheck_pending, memory_order_relaxed) ||
	    !atomic_exchange(&r->recheck_pending, false))
		return;
	pthread_mutex_lock(&r->lock);
	for (uint32_t i = 0; i < r->nr_recheck; i++)
		zones[n++] = r->recheck[i];
	for (uint32_t i = 0; i < r->nr_imp_listed && n < ZK_RECHECK_MAX * 2; i++)
		zones[n++] = r->imp[i];
	r->nr_recheck = 0;
	pthread_mutex_unlock(&r->lock);
	for (uint32_t i = 0; i < n; i++)
		recheck_zone(d, zones[i]);
}

static int check_open(struct zk_dev *d, uint32_t z)
{
	struct zk_res *r = &d->res;

	if (!d->geo.max_open || r->nr_imp_open + r->nr_exp_open < d->geo.max_open)
		return 0;
	if (r->nr_imp_open && r->nr_imp_listed && !check_active(d)) {
		close_one_implicit(d, z);
		return 0;
	}
	return -ETOOMANYREFS;
}

static int check_resources(struct zk_dev *d, uint32_t z, unsigned int cond)
{
	int ret;

	if (cond == ZK_COND_EMPTY) {
		ret = check_active(d);
		if (ret)
			return ret;
	}
	return check_open(d, z);
}

/* ---- writes ---- */

bool zs_write_needs_res(struct zk_dev *d, uint32_t z,
			const struct zone_model *m, size_t len)
{
	uint64_t cap_end = zk_zone_start(d, z) + zk_zone_cap(d, z);

	return m->cond == ZK_COND_EMPTY || m->cond == ZK_COND_CLOSED ||
	       m->wp + len == cap_end;
}

static bool cond_writable(unsigned int cond)
{
	return cond != ZK_COND_FULL && cond != ZK_COND_READONLY &&
	       cond != ZK_COND_OFFLINE;
}

/* May a write of @len at @off (UINT64_MAX: an append) go to @z now? */
static int write_allowed(struct zk_dev *d, uint32_t z,
			 const struct zone_model *m, uint64_t off, size_t len)
{
	uint64_t cap_end = zk_zone_start(d, z) + zk_zone_cap(d, z);

	if (!cond_writable(m->cond))
		return -EIO;
	if (off != UINT64_MAX && off != m->wp)
		return -EIO;
	if (len > cap_end - m->wp)
		return -EIO;
	return 0;
}

/* zone_to_close() for a write that will be accepted: a refused one must
 * change nothing, as on the device. */
uint32_t zs_write_zone_to_close(struct zk_dev *d, uint32_t z,
				const struct zone_model *m, uint64_t off,
				size_t len, bool may_wait)
{
	if (write_allowed(d, z, m, off, len))
		return ZK_NO_ZONE;
	return zone_to_close(d, z, m->cond, may_wait);
}

/* zone_to_close() for a zone operation: open, and finish, of an EMPTY or
 * CLOSED zone take an open slot. */
uint32_t zs_op_zone_to_close(struct zk_dev *d, enum zk_op op, uint32_t z)
{
	if (op != ZK_OP_OPEN && op != ZK_OP_FINISH)
		return ZK_NO_ZONE;
	return zone_to_close(d, z, wpe_cond(wpt_get(&d->wpt, z)), true);
}

int zs_reserve_write(struct zk_dev *d, uint32_t z, struct zone_plug *p,
		     uint64_t *off, size_t len)
{
	uint64_t cap_end = zk_zone_start(d, z) + zk_zone_cap(d, z);
	struct zone_model m;
	int ret;

	zs_model(d, z, p, &m);
	ret = write_allowed(d, z, &m, *off, len);
	if (ret)
		return ret;
	if (m.cond == ZK_COND_EMPTY || m.cond == ZK_COND_CLOSED) {
		ret = check_resources(d, z, m.cond);
		if (ret)
			return ret;
		set_cond(d, z, m.cond, ZK_COND_IMP_OPEN);
		m.cond = ZK_COND_IMP_OPEN;
	}
	*off = m.wp;
	p->tail = m.wp + len;
	if (p->tail == cap_end) {
		/* Frees its open slot now; reported FULL once the data is in. */
		acct_leave(d, z, m.cond);
		p->full_pending = true;
	}
	return 0;
}

/* ---- zone operations, as null_blk's null_{open,close,finish,reset}_zone ---- */

static int op_open(struct zk_dev *d, uint32_t z, unsigned int cond,
		   unsigned int *to)
{
	switch (cond) {
	case ZK_COND_EXP_OPEN:
		*to = cond;
		return 0;
	case ZK_COND_EMPTY:
	case ZK_COND_CLOSED:
		*to = ZK_COND_EXP_OPEN;
		return check_resources(d, z, cond);
	case ZK_COND_IMP_OPEN:
		*to = ZK_COND_EXP_OPEN;
		return 0;
	default:
		return -EIO;
	}
}

static int op_close(struct zk_dev *d, uint32_t z, unsigned int cond,
		    uint64_t wp, unsigned int *to)
{
	switch (cond) {
	case ZK_COND_CLOSED:
		*to = cond;
		return 0;
	case ZK_COND_IMP_OPEN:
	case ZK_COND_EXP_OPEN:
		*to = wp == zk_zone_start(d, z) ? ZK_COND_EMPTY : ZK_COND_CLOSED;
		return 0;
	default:
		return -EIO;
	}
}

static int op_finish(struct zk_dev *d, uint32_t z, unsigned int cond,
		     unsigned int *to)
{
	*to = ZK_COND_FULL;
	switch (cond) {
	case ZK_COND_FULL:
	case ZK_COND_IMP_OPEN:
	case ZK_COND_EXP_OPEN:
		return 0;
	case ZK_COND_EMPTY:
	case ZK_COND_CLOSED:
		return check_resources(d, z, cond);
	default:
		return -EIO;
	}
}

int zs_zone_op(struct zk_dev *d, enum zk_op op, uint32_t z, uint64_t *new_e)
{
	uint64_t e = wpt_get(&d->wpt, z), start = zk_zone_start(d, z);
	unsigned int cond = wpe_cond(e), to = cond;
	uint64_t wp = wpe_wp(e);
	int ret;

	*new_e = 0;
	if (wpe_conv(e) || cond == ZK_COND_READONLY || cond == ZK_COND_OFFLINE)
		return -EIO;
	switch (op) {
	case ZK_OP_OPEN:
		ret = op_open(d, z, cond, &to);
		break;
	case ZK_OP_CLOSE:
		ret = op_close(d, z, cond, wp, &to);
		break;
	case ZK_OP_FINISH:
		ret = op_finish(d, z, cond, &to);
		wp = start + zk_zone_len(d, z);
		break;
	case ZK_OP_RESET:
		to = ZK_COND_EMPTY;
		ret = 0;
		wp = start;
		break;
	default:
		return -EINVAL;
	}
	if (ret || to == cond)
		return ret;
	acct_leave(d, z, cond);
	acct_enter(d, z, to);
	*new_e = wpe_make(false, to, wp);
	wpt_set(&d->wpt, z, *new_e);
	return 0;
}

void zs_learn(struct zk_dev *d, uint32_t z, const struct zk_zone_state *st)
{
	struct zone_plug *p = plug_find(zk_stripe_of(d, z), z);
	uint64_t e = wpt_entry_from_state(d, z, st);
	struct zone_model m;

	zs_model(d, z, p, &m);
	acct_leave(d, z, m.cond);
	acct_enter(d, z, wpe_cond(e));
	wpt_set(&d->wpt, z, e);
	if (p) {
		p->tail = wpe_wp(e);
		p->full_pending = false;
	}
}

void zs_rewind(struct zk_dev *d, struct zone_plug *p, uint64_t wp)
{
	if (p->full_pending) {
		p->full_pending = false;
		acct_enter(d, p->zone, wpe_cond(wpt_get(&d->wpt, p->zone)));
	}
	p->tail = wp;
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
	for (uint32_t z = 0; z < d->nr_zones; z++)
		acct_enter(d, z, wpe_cond(wpt_get(&d->wpt, z)));
	return 0;
}

void zs_free(struct zk_dev *d)
{
	free(d->res.imp);
	d->res.imp = NULL;
}
