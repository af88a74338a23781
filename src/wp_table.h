/* SPDX-License-Identifier: MIT */
/*
 * The wp table: one 8-byte word per zone, the only memory an idle zone
 * costs (a device of a million zones: 8 MiB).
 *   bit 63      conventional zone
 *   bits 59-62  condition (enum zk_zone_cond)
 *   bits 0-58   wp in bytes, absolute (devices up to 512 PiB)
 * The wp is the committed one: every byte below it is written.  Words are
 * read without a lock (report) and written under the zone's stripe lock.
 */
#ifndef ZK_WP_TABLE_H
#define ZK_WP_TABLE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#define WPE_CONV (1ULL << 63)
#define WPE_COND_SHIFT 59
#define WPE_COND_MASK (0xfULL << WPE_COND_SHIFT)
#define WPE_WP_MASK ((1ULL << WPE_COND_SHIFT) - 1)
#define ZK_MAX_CAPACITY (1ULL << WPE_COND_SHIFT)

static inline uint64_t wpe_make(bool conv, unsigned int cond, uint64_t wp)
{
	return (conv ? WPE_CONV : 0) | ((uint64_t)cond << WPE_COND_SHIFT) |
	       (wp & WPE_WP_MASK);
}
static inline bool wpe_conv(uint64_t e) { return e & WPE_CONV; }
static inline unsigned int wpe_cond(uint64_t e)
{
	return (unsigned int)((e & WPE_COND_MASK) >> WPE_COND_SHIFT);
}
static inline uint64_t wpe_wp(uint64_t e) { return e & WPE_WP_MASK; }

struct wp_table {
	_Atomic uint64_t *ent;
	uint32_t nr;
};

int wpt_init(struct wp_table *t, uint32_t nr);
void wpt_free(struct wp_table *t);
static inline uint64_t wpt_get(const struct wp_table *t, uint32_t z)
{
	return atomic_load_explicit(&t->ent[z], memory_order_acquire);
}
static inline void wpt_set(struct wp_table *t, uint32_t z, uint64_t e)
{
	atomic_store_explicit(&t->ent[z], e, memory_order_release);
}

#endif /* ZK_WP_TABLE_H */
