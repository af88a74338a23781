/* SPDX-License-Identifier: MIT */
/*
 * Zone claims (zone_claim.c): a zone operation (reset, open, close,
 * finish, resync of a zone, marking) claims its zone, so that it runs
 * alone: it raises a barrier so that new writes wait, waits for the queued
 * and in-flight ones to drain, and holds the zone busy.  Also here: asking
 * the device about a zone.  This is the only zone code that does I/O, and
 * it holds no stripe lock while it does.
 */
#ifndef ZK_ZONE_CLAIM_H
#define ZK_ZONE_CLAIM_H

#include <stdint.h>

#include "zone_plug.h"

/* Wait until zone @z has no write queued or in flight and hold it busy.
 * Returns with no lock held. */
int zone_claim(struct zk_dev *d, uint32_t z, struct zone_plug **pp);
void zone_release(struct zk_dev *d, struct zone_plug *p);
/* Re-learn one zone from the backend and publish it; the caller holds the
 * zone busy (claimed) and no lock. */
int zone_relearn(struct zk_dev *d, uint32_t z);
/* Close implicitly open zone @z on the model and the device, its writes
 * drained first, to make room for a write or zone operation that must
 * open another (zs_*zone_to_close); no lock held.  Callers try at most
 * CLOSE_FOR_ROOM_TRIES times, as others may take the room meanwhile. */
int close_for_room(struct zk_dev *d, uint32_t z);
#define CLOSE_FOR_ROOM_TRIES 8u
/* After the model closed a zone implicitly on a real device (which may
 * have closed another), ask the device which zones are open and which
 * closed.  No lock held.  Called after every write: the look at the flag
 * is inline, so a write that has nothing to recheck pays two
 * instructions, not a call. */
void zone_recheck_implicit_now(struct zk_dev *d);
static inline void zone_recheck_implicit(struct zk_dev *d)
{
	if (__builtin_expect(atomic_load_explicit(&d->res.recheck_pending,
						  memory_order_relaxed), 0))
		zone_recheck_implicit_now(d);
}

#endif /* ZK_ZONE_CLAIM_H */
