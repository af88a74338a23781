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
 * res.lock (kept and checked in zone_res.c); it is taken only for
 * transitions that change them, never for a write into an already open
 * zone.  Every transition is made here, and nothing here does I/O or knows
 * about plugs (zone_state.h).
 */
#include "zone_state.h"

#include <errno.h>

#include "device.h"
#include "zone_res.h"

static void assert_zone_locked(struct zk_dev *d, uint32_t z)
{
	zk_assert_held(zk_zone_lock(d, z));
	(void)d, (void)z;
}

/* Move zone @z between conditions; the table keeps the committed wp. */
static void set_cond(struct zk_dev *d, uint32_t z, unsigned int from,
		     unsigned int to)
{
	uint64_t e = wpt_get(&d->wpt, z);

	assert_zone_locked(d, z);
	res_leave(d, z, from);
	res_enter(d, z, to);
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
 * res_check_resources() counts them, where an implicit close makes room. */
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
	if (m->cond == ZK_COND_EMPTY && res_check_active(d))
		return ZS_TOO_MANY_ACTIVE;
	if (!res_open_slot_free(d) && !res_may_close_implicit(d))
		return ZS_TOO_MANY_OPEN;
	return ZS_WRITE_OK;
}

/* res_zone_to_close() for a write that will be accepted: a refused one must
 * change nothing, as on the device. */
uint32_t zs_write_zone_to_close(struct zk_dev *d, uint32_t z,
				const struct zone_model *m, uint64_t off,
				size_t len, zs_zone_filter *prefer, void *ctx,
				bool may_any)
{
	if (write_allowed(d, z, m, off, len))
		return ZK_NO_ZONE;
	return res_zone_to_close(d, m->cond, prefer, ctx, may_any);
}

/* res_zone_to_close() for a zone operation: open, and finish, of an EMPTY or
 * CLOSED zone take an open slot. */
uint32_t zs_op_zone_to_close(struct zk_dev *d, enum zk_op op, uint32_t z,
			     zs_zone_filter *prefer, void *ctx)
{
	if (op != ZK_OP_OPEN && op != ZK_OP_FINISH)
		return ZK_NO_ZONE;
	return res_zone_to_close(d, wpe_cond(wpt_get(&d->wpt, z)), prefer,
				 ctx, true);
}

bool zs_reserve_in_open(struct zk_dev *d, uint32_t z, struct zone_resv *rv,
			uint64_t *off, size_t len)
{
	unsigned int cond = wpe_cond(wpt_get(&d->wpt, z));
	uint64_t cap_end = zk_zone_start(d, z) + zk_zone_cap(d, z);

	assert_zone_locked(d, z);
	if (rv->full_pending ||
	    (cond != ZK_COND_IMP_OPEN && cond != ZK_COND_EXP_OPEN) ||
	    (*off != UINT64_MAX && *off != rv->tail) ||
	    len >= cap_end - rv->tail)
		return false;
	*off = rv->tail;
	rv->tail += len;
	return true;
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
		ret = res_check_resources(d, m.cond, victim);
		if (ret)
			return ret;
		set_cond(d, z, m.cond, ZK_COND_IMP_OPEN);
		m.cond = ZK_COND_IMP_OPEN;
	}
	*off = m.wp;
	rv->tail = m.wp + len;
	if (rv->tail == cap_end) {
		/* Frees its open slot now; reported FULL once the data is in. */
		res_leave(d, z, m.cond);
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
		return res_check_resources(d, cond, victim);
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
		return res_check_resources(d, cond, victim);
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
	res_leave(d, z, cond);
	res_enter(d, z, to);
	d->res.epoch++;
	*new_e = wpe_make(false, to, wp);
	wpt_set(&d->wpt, z, *new_e);
	return 0;
}

void zs_restore(struct zk_dev *d, uint32_t z, uint64_t e)
{
	assert_zone_locked(d, z);
	zk_assert_held(&d->res.lock);
	res_leave(d, z, wpe_cond(wpt_get(&d->wpt, z)));
	res_enter(d, z, wpe_cond(e));
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
	res_leave(d, z, m.cond);
	res_enter(d, z, wpe_cond(e));
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
		res_enter(d, z, wpe_cond(wpt_get(&d->wpt, z)));
	}
	rv->tail = wp;
}
