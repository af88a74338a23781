/* SPDX-License-Identifier: MIT */
/*
 * The per-zone state machine and the open/active limits (zone_state.c): a
 * pure model.  It moves conditions and counters and writes table words; it
 * does no I/O and knows nothing of plugs: what a zone's reservations add to
 * its table word (struct zone_resv, kept in the zone's plug) is passed in.
 *
 * "model" = the condition and wp a zone will have once every reserved
 * write completes.  Every zs_* function that takes a zone wants that zone's
 * stripe lock held, and res.lock where it says so (asserted).
 */
#ifndef ZK_ZONE_STATE_H
#define ZK_ZONE_STATE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "backend.h"
#include "lock.h"

struct zk_dev;

#define ZK_NO_ZONE UINT32_MAX

/* What a zone's reservations add to its table word. */
struct zone_resv {
	uint64_t tail;     /* the wp once every reserved write completes */
	bool full_pending; /* tail reached capacity: FULL once committed */
};

struct zone_model {
	unsigned int cond;
	uint64_t wp;
};

#define ZK_RECHECK_MAX 16u

/* Open/active zone accounting: device-wide by nature, taken only on
 * transitions into or out of the open/closed conditions. */
struct zk_res {
	struct zk_mutex lock;
	uint32_t nr_imp_open, nr_exp_open, nr_closed;
	uint32_t close_cursor; /* where the next implicit close search starts */
	/* The implicitly open zones, to pick one to close (max_open > 0). */
	uint32_t *imp, nr_imp_listed, imp_room;
	/* Real devices choose for themselves which zone to close implicitly:
	 * where zonekit could not close one itself first (close_for_room),
	 * the zones to ask about once the write that opened one is done. */
	uint32_t recheck[ZK_RECHECK_MAX], nr_recheck;
	atomic_bool recheck_pending;
	/* Counts the table words changed otherwise than by a completed write
	 * (whose wp only moves forward): resets, opens, closes, finishes,
	 * learning.  So a word that is the same as before says the zone did
	 * not move only if the epoch is the same too (zk_resync). */
	uint64_t epoch;
};

/* A reservation or zone operation needs an open slot that only closing
 * implicitly open zone *victim frees: zs_close_implicit() it (its stripe
 * lock taken under res.lock), then try again. */
#define ZS_NEED_CLOSE 1

/* @rv: the zone's reservations, NULL if it has no plug. */
void zs_model(struct zk_dev *d, uint32_t z, const struct zone_resv *rv,
	      struct zone_model *m);
/* True if moving @z from @m->cond needs res.lock (into or out of the
 * open/closed conditions). */
bool zs_write_needs_res(struct zk_dev *d, uint32_t z,
			const struct zone_model *m, size_t len);
/* Check a write of @len at @off (UINT64_MAX: append) against the model and
 * take it: implicit open, resources, FULL at capacity.  On success *off is
 * where it lands and the model (table cond, *rv) moved.  res.lock held if
 * zs_write_needs_res().  ZS_NEED_CLOSE: see above. */
int zs_reserve_write(struct zk_dev *d, uint32_t z, struct zone_resv *rv,
		     uint64_t *off, size_t len, uint32_t *victim);
/* Why a write may not go to a zone now: what zs_reserve_write() would
 * answer, in more detail than its errno. */
enum zs_refusal {
	ZS_WRITE_OK,
	ZS_NOT_WRITABLE,    /* -EIO: its condition (m->cond) takes no write */
	ZS_NOT_AT_WP,       /* -EIO: not at the model's wp (m->wp) */
	ZS_PAST_CAPACITY,   /* -EIO: it would end past the zone's capacity */
	ZS_TOO_MANY_ACTIVE, /* -EOVERFLOW */
	ZS_TOO_MANY_OPEN,   /* -ETOOMANYREFS */
};
/* zs_reserve_write()'s verdict on a write of @len at @off (UINT64_MAX:
 * append) to @z, taking and changing nothing; *m gets the model it was
 * judged by.  res.lock and the zone's stripe lock held. */
enum zs_refusal zs_write_refusal(struct zk_dev *d, uint32_t z,
				 const struct zone_resv *rv, uint64_t off,
				 size_t len, struct zone_model *m);
/* The common case of zs_reserve_write(), for a caller without res.lock:
 * a write to a zone already open that does not reach its capacity, so no
 * condition or count changes.  True: reserved (*off where it lands);
 * false: nothing changed, zs_reserve_write() decides (or refuses). */
bool zs_reserve_in_open(struct zk_dev *d, uint32_t z, struct zone_resv *rv,
			uint64_t *off, size_t len);
/* Close implicitly open zone @z to free its open slot (res.lock held). */
void zs_close_implicit(struct zk_dev *d, uint32_t z,
		       const struct zone_resv *rv);
/* Validate a zone operation on an idle zone and move the model and
 * accounting to the new condition; *new_e gets the table word published
 * (0 for a no-op).  res.lock held.  ZS_NEED_CLOSE: see above. */
int zs_zone_op(struct zk_dev *d, enum zk_op op, uint32_t z, uint64_t *new_e,
	       uint32_t *victim);
/* Put back table word @e that a zone operation replaced, the backend
 * having failed to carry it out (res.lock held). */
void zs_restore(struct zk_dev *d, uint32_t z, uint64_t e);
/* Set a zone to what the device reported, fixing the accounting
 * (res.lock held).  A device that keeps no open conditions (the emulated
 * one) has its CLOSED and EMPTY read as the model's open conditions where
 * they fit. */
void zs_learn(struct zk_dev *d, uint32_t z, struct zone_resv *rv,
	      const struct zk_zone_state *st);
/* Set a zone to @st, zonekit's own decision (a mark, a lost wp). */
void zs_force(struct zk_dev *d, uint32_t z, struct zone_resv *rv,
	      const struct zk_zone_state *st);
/* Forget reservations past @wp (the committed wp) after a failure that
 * could not be re-learnt (res.lock held). */
void zs_rewind(struct zk_dev *d, uint32_t z, struct zone_resv *rv,
	       uint64_t wp);
/* The table word for a zone as a backend reported it (no lock). */
uint64_t zs_word_from_state(struct zk_dev *d, uint32_t z,
			    const struct zk_zone_state *st);

/* ---- real devices: which zone to close to make room ---- */

/* Says whether zone @z may be the one closed (the caller's filter). */
typedef bool zs_zone_filter(struct zk_dev *d, uint32_t z, void *ctx);

/* The implicitly open zone to close before a write of @len at @off to @z
 * (model @m) or before zone operation @op on @z, so that the device never
 * has to choose (doc/design.md): the first one from the cursor that
 * @prefer accepts, else, with @may_any, the first; ZK_NO_ZONE if no close
 * is needed (or possible).  res.lock held. */
uint32_t zs_write_zone_to_close(struct zk_dev *d, uint32_t z,
				const struct zone_model *m, uint64_t off,
				size_t len, zs_zone_filter *prefer, void *ctx,
				bool may_any);
uint32_t zs_op_zone_to_close(struct zk_dev *d, enum zk_op op, uint32_t z,
			     zs_zone_filter *prefer, void *ctx);
/* The zones to ask the device about after it closed one implicitly
 * (at most @max), the list emptied; 0 if none.  Takes res.lock. */
uint32_t zs_take_recheck(struct zk_dev *d, uint32_t *zones, uint32_t max);
/* Take the device's word (@st) on whether @z is implicitly open or
 * closed; its wp is left alone (res.lock held). */
void zs_apply_recheck(struct zk_dev *d, uint32_t z, const struct zone_model *m,
		      const struct zk_zone_state *st);

/* The epoch (see struct zk_res), res.lock held. */
uint64_t zs_epoch(struct zk_dev *d);

/* ---- the device's life ---- */

int zs_init(struct zk_dev *d);
/* Count conditions after the table was loaded at open. */
int zs_recount(struct zk_dev *d);
void zs_free(struct zk_dev *d);

#endif /* ZK_ZONE_STATE_H */
