/* SPDX-License-Identifier: MIT */
/*
 * The write-pointer table: one 8-byte word per zone (see zk_internal.h for
 * the layout).  It is the only per-zone memory zonekit keeps for an idle
 * zone, so a device of a million zones costs 8 MiB.
 */
#include <errno.h>
#include <stdlib.h>

#include "zk_internal.h"

int wpt_init(struct wp_table *t, uint32_t nr)
{
	t->ent = calloc(nr, sizeof(*t->ent));
	if (!t->ent)
		return -ENOMEM;
	t->nr = nr;
	return 0;
}

void wpt_free(struct wp_table *t)
{
	free(t->ent);
	t->ent = NULL;
	t->nr = 0;
}

/* The word for a zone as a backend reported it.  zonekit's contract: FULL
 * and READONLY zones sit at start + len (null_blk reports start + capacity
 * for a zone filled by writes), OFFLINE zones at start. */
uint64_t wpt_entry_from_state(struct zk_dev *d, uint32_t z,
			      const struct zk_zone_state *st)
{
	uint64_t start = zk_zone_start(d, z), end = start + zk_zone_len(d, z);

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
