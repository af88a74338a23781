/* SPDX-License-Identifier: MIT */
/*
 * An append longer than the zone's capacity, on a device without
 * max_append: the specification has one rule for it, "an append crossing
 * the zone capacity -> -EIO" (only len > max_append, when max_append is
 * set, is -EINVAL).  Checked on a full-size zone, a zone whose capacity is
 * smaller than its size, and a one-block last zone; nothing may change.
 */
#include "testlib.h"

#define ZS (1 * MiB)
#define ZCAP (768 * KiB)
#define BS (4 * KiB)

int main(void)
{
	struct zk_geometry geo;
	struct tdev t;
	struct t_snap snap;

	t_geo_default(&geo);
	geo.capacity = 4 * ZS + BS; /* last zone: one block */
	t_dev_create(&t, &geo);
	T_WRITE(t.dev, 2 * ZS, BS, 2);
	t_snap_take(t.dev, &snap);

	t_ctx("zone capacity = zone size: append of zone size + 1 block");
	T_APPEND_RET(t.dev, 1 * ZS, ZS + BS, -EIO);
	T_APPEND_RET(t.dev, 2 * ZS, ZS, -EIO); /* wp is one block in */
	t_ctx("one-block last zone: append of 2 blocks");
	T_APPEND_RET(t.dev, 4 * ZS, 2 * BS, -EIO);
	T_SNAP_SAME(t.dev, &snap);
	t_snap_free(&snap);
	t_dev_close(&t);

	t_geo_default(&geo);
	geo.zone_capacity = ZCAP;
	t_dev_create(&t, &geo);
	t_snap_take(t.dev, &snap);
	t_ctx("zone capacity < zone size: append of zone size + 1 block");
	T_APPEND_RET(t.dev, 1 * ZS, ZCAP + BS, -EIO);
	T_APPEND_RET(t.dev, 1 * ZS, ZS, -EIO);
	T_APPEND_RET(t.dev, 1 * ZS, ZS + BS, -EIO);
	T_SNAP_SAME(t.dev, &snap);
	t_snap_free(&snap);
	t_dev_close(&t);

	t_info("pass");
	return T_EXIT_PASS;
}
