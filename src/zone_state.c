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
 * write into an already open zone.  Every transition is made here, and
 * nothing here does I/O or knows about plugs (zone_state.h).
 */
#include "zone_state.h"

#include <errno.h>
#include <stdlib.h>

#include "device.h"

static void assert_zone_locked(struct zk_dev *d, uint32_t z)
{
	zk_assert_held(zk_zone_lock(d, z));
	(void)d, (void)z;
}

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

static void acct_leave(struct zk_dev *d, uint32_t z, unsigned int cond)
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

static void acct_enter(struct zk_dev *d, uint32_t z, unsigned int cond)
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

/* Move zone @z between conditions; the table keeps the committed wp. */
static void set_cond(struct zk_dev *d, uint32_t z, unsigned int from,
		     unsigned int to)
{
	uint64_t e = wpt_get(&d->wpt, z);

	assert_zone_locked(d, z);
	acct_leave(d, z, from);
	acct_enter(d, z, to);
	d->res.epoch++;
	wpt_set(&d->wpt, z, wpe_make(wpe_conv(e), to, wpe_wp(e)));
}

void zs_model(struct zk_dev *d, uint32_t z, const struct zone_resv *rv,
	      struct zone_model *m)
{
	uint64_t e = wpt_get(&d->wpt, z);

	assert_zone_locked(d, z);
	m->cond = rv && rv->full_pending ? ZK_COND_FULL : wpe_cond(e);
	m->wp = rv ? rv->tail : wpe_wp(e);
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

static bool open_slot_free(const struct zk_dev *d)
{
	const struct zk_res *r = &d->res;

	return !d->geo.max_open ||
	       r->nr_imp_open + r->nr_exp_open < d->geo.max_open;
}

/* May an implicitly open zone be closed to free an open slot? */
static bool may_close_implicit(struct zk_dev *d)
{
	const struct zk_res *r = &d->res;

	return r->nr_imp_open && r->nr_imp_listed && !check_active(d);
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

void zs_close_implicit(struct zk_dev *d, uint32_t z,
		       const struct zone_resv *rv)
{
	struct zk_res *r = &d->res;
	struct zone_model m;

	zk_assert_held(&r->lock);
	zs_model(d, z, rv, &m);
	set_cond(d, z, ZK_COND_IMP_OPEN,
		 m.wp == zk_zone_start(d, z) ? ZK_COND_EMPTY : ZK_COND_CLOSED);
	if (d->ops->keeps_conditions && r->nr_recheck < ZK_RECHECK_MAX) {
		r->recheck[r->nr_recheck++] = z;
		atomic_store(&r->recheck_pending, true);
	}
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
static uint32_t zone_to_close(struct zk_dev *d, unsigned int cond,
			      zs_zone_filter *prefer, void *ctx, bool may_any)
{
	struct zk_res *r = &d->res;
	uint32_t victim;

	zk_assert_held(&r->lock);
	if (!d->ops->keeps_conditions ||
	    (cond != ZK_COND_EMPTY && cond != ZK_COND_CLOSED) ||
	    open_slot_free(d) || !may_close_implicit(d))
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

static bool open_or_closed(unsigned int cond)
{
	return cond == ZK_COND_IMP_OPEN || cond == ZK_COND_CLOSED;
}

void zs_apply_recheck(struct zk_dev *d, uint32_t z, const struct zone_model *m,
		      const struct zk_zone_state *st)
{
	zk_assert_held(&d->res.lock);
	if (open_or_closed(m->cond) && open_or_closed(st->cond) &&
	    m->cond != st->cond)
		set_cond(d, z, m->cond, st->cond);
}

/* Room for @z to open (zs_reserve_write, op_open, op_finish). */
static int check_open(struct zk_dev *d, uint32_t *victim)
{
	if (open_slot_free(d))
		return 0;
	if (may_close_implicit(d)) {
		*victim = pick_implicit(d, NULL, NULL);
		return ZS_NEED_CLOSE;
	}
	return -ETOOMANYREFS;
}

static int check_resources(struct zk_dev *d, unsigned int cond,
			   uint32_t *victim)
{
	int ret;

	if (cond == ZK_COND_EMPTY) {
		ret = check_active(d);
		if (ret)
			return ret;
	}
	return check_open(d, victim);
}

/* ---- writes ---- */

bool zs_write_needs_res(struct zk_dev *d, uint32_t z,
			const struct zone_model *m, size_t len)
{
	uint64_t cap_end = zk_zone_start(d, z) + zk_zone_cap(d, z);

	return m->cond == ZK_COND_EMPTY || m->cond == ZK_COND_CLOSED ||
	       m->wp + len == cap_end;
}

/* Why a write of @len at @off (UINT64_MAX: an append) may not go to @z
 * now, the resources aside. */
static enum zs_refusal write_refusal(struct zk_dev *d, uint32_t z,
				     const struct zone_model *m, uint64_t off,
				     size_t len)
{
	uint64_t cap_end = zk_zone_start(d, z) + zk_zone_cap(d, z);

	if (!zk_cond_is_writable(m->cond))
		return ZS_NOT_WRITABLE;
	if (off != UINT64_MAX && off != m->wp)
		return ZS_NOT_AT_WP;
	if (len > cap_end - m->wp)
		return ZS_PAST_CAPACITY;
	return ZS_WRITE_OK;
}

static int write_allowed(struct zk_dev *d, uint32_t z,
			 const struct zone_model *m, uint64_t off, size_t len)
{
	return write_refusal(d, z, m, off, len) ? -EIO : 0;
}

/* As zs_reserve_write() would judge, taking nothing: the resources as
 * check_resources() counts them, where an implicit close makes room. */
enum zs_refusal zs_write_refusal(struct zk_dev *d, uint32_t z,
				 const struct zone_resv *rv, uint64_t off,
				 size_t len, struct zone_model *m)
{
	enum zs_refusal why;

	zk_assert_held(&d->res.lock);
	zs_model(d, z, rv, m);
	why = write_refusal(d, z, m, off, len);
	if (why || (m->cond != ZK_COND_EMPTY && m->cond != ZK_COND_CLOSED))
		return why;
	if (m->cond == ZK_COND_EMPTY && check_active(d))
		return ZS_TOO_MANY_ACTIVE;
	if (!open_slot_free(d) && !may_close_implicit(d))
		return ZS_TOO_MANY_OPEN;
	return ZS_WRITE_OK;
}

/* zone_to_close() for a write that will be accepted: a refused one must
 * change nothing, as on the device. */
uint32_t zs_write_zone_to_close(struct zk_dev *d, uint32_t z,
				const struct zone_model *m, uint64_t off,
				size_t len, zs_zone_filter *prefer, void *ctx,
				bool may_any)
{
	if (write_allowed(d, z, m, off, len))
		return ZK_NO_ZONE;
	return zone_to_close(d, m->cond, prefer, ctx, may_any);
}

/* zone_to_close() for a zone operation: open, and finish, of an EMPTY or
 * CLOSED zone take an open slot. */
uint32_t zs_op_zone_to_close(struct zk_dev *d, enum zk_op op, uint32_t z,
			     zs_zone_filter *prefer, void *ctx)
{
	if (op != ZK_OP_OPEN && op != ZK_OP_FINISH)
		return ZK_NO_ZONE;
	return zone_to_close(d, wpe_cond(wpt_get(&d->wpt, z)), prefer, ctx,
			     true);
}

int zs_reserve_write(struct zk_dev *d, uint32_t z, struct zone_resv *rv,
		     uint64_t *off, size_t len, uint32_t *victim)
{
	uint64_t cap_end = zk_zone_start(d, z) + zk_zone_cap(d, z);
	struct zone_model m;
	int ret;

	zs_model(d, z, rv, &m);
	ret = write_allowed(d, z, &m, *off, len);
	if (ret)
		return ret;
	if (m.cond == ZK_COND_EMPTY || m.cond == ZK_COND_CLOSED) {
		ret = check_resources(d, m.cond, victim);
		if (ret)
			return ret;
		set_cond(d, z, m.cond, ZK_COND_IMP_OPEN);
		m.cond = ZK_COND_IMP_OPEN;
	}
	*off = m.wp;
	rv->tail = m.wp + len;
	if (rv->tail == cap_end) {
		/* Frees its open slot now; reported FULL once the data is in. */
		acct_leave(d, z, m.cond);
		rv->full_pending = true;
	}
	return 0;
}

/* ---- zone operations, as null_blk's null_{open,close,finish,reset}_zone ---- */

static int op_open(struct zk_dev *d, unsigned int cond, unsigned int *to,
		   uint32_t *victim)
{
	switch (cond) {
	case ZK_COND_EXP_OPEN:
		*to = cond;
		return 0;
	case ZK_COND_EMPTY:
	case ZK_COND_CLOSED:
		*to = ZK_COND_EXP_OPEN;
		return check_resources(d, cond, victim);
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

static int op_finish(struct zk_dev *d, unsigned int cond, unsigned int *to,
		     uint32_t *victim)
{
	*to = ZK_COND_FULL;
	switch (cond) {
	case ZK_COND_FULL:
	case ZK_COND_IMP_OPEN:
	case ZK_COND_EXP_OPEN:
		return 0;
	case ZK_COND_EMPTY:
	case ZK_COND_CLOSED:
		return check_resources(d, cond, victim);
	default:
		return -EIO;
	}
}

int zs_zone_op(struct zk_dev *d, enum zk_op op, uint32_t z, uint64_t *new_e,
	       uint32_t *victim)
{
	uint64_t e = wpt_get(&d->wpt, z), start = zk_zone_start(d, z);
	unsigned int cond = wpe_cond(e), to = cond;
	uint64_t wp = wpe_wp(e);
	int ret;

	assert_zone_locked(d, z);
	zk_assert_held(&d->res.lock);
	*new_e = 0;
	if (wpe_conv(e) || cond == ZK_COND_READONLY || cond == ZK_COND_OFFLINE)
		return -EIO;
	switch (op) {
	case ZK_OP_OPEN:
		ret = op_open(d, cond, &to, victim);
		break;
	case ZK_OP_CLOSE:
		ret = op_close(d, z, cond, wp, &to);
		break;
	case ZK_OP_FINISH:
		ret = op_finish(d, cond, &to, victim);
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
	d->res.epoch++;
	*new_e = wpe_make(false, to, wp);
	wpt_set(&d->wpt, z, *new_e);
	return 0;
}

void zs_restore(struct zk_dev *d, uint32_t z, uint64_t e)
{
	assert_zone_locked(d, z);
	zk_assert_held(&d->res.lock);
	acct_leave(d, z, wpe_cond(wpt_get(&d->wpt, z)));
	acct_enter(d, z, wpe_cond(e));
	d->res.epoch++;
	wpt_set(&d->wpt, z, e);
}

/* ---- learning from the device ---- */

uint64_t zs_word_from_state(struct zk_dev *d, uint32_t z,
			    const struct zk_zone_state *st)
{
	uint64_t start = zk_zone_start(d, z), end = start + zk_zone_len(d, z);

	/* zonekit's contract: FULL and READONLY zones sit at start + len
	 * (null_blk reports start + capacity for a zone filled by writes),
	 * OFFLINE and EMPTY ones at start. */
	if (st->type == ZK_ZONE_CONVENTIONAL)
		return wpe_make(true, ZK_COND_NOT_WP, end);
	switch (st->cond) {
	case ZK_COND_FULL:
	case ZK_COND_READONLY:
		return wpe_make(false, st->cond, end);
	case ZK_COND_OFFLINE:
	case ZK_COND_EMPTY:
		return wpe_make(false, st->cond, start);
	default:
		return wpe_make(false, st->cond, st->wp);
	}
}

/* A device that keeps no open conditions (the emulated one) reports a
 * partly written zone CLOSED and an empty one EMPTY: what the model last
 * said of the zone stands where it fits (an explicitly opened zone may
 * hold nothing yet; an implicitly open one with nothing in it was reset,
 * as null_blk then says EMPTY). */
static unsigned int merge_cond(unsigned int model, unsigned int dev)
{
	if (dev == ZK_COND_CLOSED &&
	    (model == ZK_COND_IMP_OPEN || model == ZK_COND_EXP_OPEN))
		return model;
	if (dev == ZK_COND_EMPTY && model == ZK_COND_EXP_OPEN)
		return model;
	return dev;
}

/* Set the zone's word from @st and the accounting with it. */
static void learn(struct zk_dev *d, uint32_t z, struct zone_resv *rv,
		  const struct zk_zone_state *st)
{
	struct zone_model m;
	uint64_t e;

	zk_assert_held(&d->res.lock);
	zs_model(d, z, rv, &m);
	e = zs_word_from_state(d, z, st);
	acct_leave(d, z, m.cond);
	acct_enter(d, z, wpe_cond(e));
	if (e != wpt_get(&d->wpt, z))
		d->res.epoch++;
	wpt_set(&d->wpt, z, e);
	if (rv) {
		rv->tail = wpe_wp(e);
		rv->full_pending = false;
	}
}

void zs_learn(struct zk_dev *d, uint32_t z, struct zone_resv *rv,
	      const struct zk_zone_state *st)
{
	struct zk_zone_state merged = *st;

	if (!d->ops->keeps_conditions)
		merged.cond = (uint8_t)merge_cond(
			wpe_cond(wpt_get(&d->wpt, z)), st->cond);
	learn(d, z, rv, &merged);
}

void zs_force(struct zk_dev *d, uint32_t z, struct zone_resv *rv,
	      const struct zk_zone_state *st)
{
	learn(d, z, rv, st);
}

void zs_rewind(struct zk_dev *d, uint32_t z, struct zone_resv *rv,
	       uint64_t wp)
{
	assert_zone_locked(d, z);
	zk_assert_held(&d->res.lock);
	if (rv->full_pending) {
		rv->full_pending = false;
		acct_enter(d, z, wpe_cond(wpt_get(&d->wpt, z)));
	}
	rv->tail = wp;
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
		acct_enter(d, z, wpe_cond(wpt_get(&d->wpt, z)));
	zk_unlock(&r->lock);
	return 0;
}

void zs_free(struct zk_dev *d)
{
	free(d->res.imp);
	d->res.imp = NULL;
	zk_mutex_destroy(&d->res.lock);
}
