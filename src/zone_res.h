/* SPDX-License-Identifier: MIT */
/*
 * The open/active zone accounting (zone_res.c), as null_blk keeps it: the
 * counters and the list of implicitly open zones in struct zk_res, and the
 * checks a transition into an open or closed condition must pass.  Only
 * zone_state.c, which makes the transitions, calls these; every one wants
 * res.lock held (asserted where it changes something).
 */
#ifndef ZK_ZONE_RES_H
#define ZK_ZONE_RES_H

#include <stdbool.h>
#include <stdint.h>

#include "zone_state.h"

/* Zone @z leaves / enters condition @cond: counters and the list. */
void res_leave(struct zk_dev *d, uint32_t z, unsigned int cond);
void res_enter(struct zk_dev *d, uint32_t z, unsigned int cond);

/* 0, or -EOVERFLOW if every active slot is taken. */
int res_check_active(struct zk_dev *d);
/* Is an open slot free (or is there no open limit)? */
bool res_open_slot_free(const struct zk_dev *d);
/* May an implicitly open zone be closed to free an open slot? */
bool res_may_close_implicit(struct zk_dev *d);
/* Room for a zone to open: 0, ZS_NEED_CLOSE with *victim the implicitly
 * open zone to close first (the cursor moves past it), or -ETOOMANYREFS. */
int res_check_open(struct zk_dev *d, uint32_t *victim);
/* Room for a zone in condition @cond (EMPTY or CLOSED) to open: the
 * active check for an EMPTY one, then res_check_open(). */
int res_check_resources(struct zk_dev *d, unsigned int cond,
			uint32_t *victim);
/* On a real device, the implicitly open zone zonekit closes itself before
 * a zone in condition @cond opens (close_for_room), or ZK_NO_ZONE: see
 * zs_write_zone_to_close(). */
uint32_t res_zone_to_close(struct zk_dev *d, unsigned int cond,
			   zs_zone_filter *prefer, void *ctx, bool may_any);

#endif /* ZK_ZONE_RES_H */
