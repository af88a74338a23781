/* SPDX-License-Identifier: MIT */
/*
 * Refused writes and appends, and that every refusal leaves every wp,
 * condition and byte of data as it was:
 *   zk_pwrite: not at the wp of a sequential zone -> -EIO; len 0, len not a
 *     block multiple, unaligned offset -> -EINVAL; past the device end ->
 *     -EINVAL; across a zone boundary -> -EINVAL; to a FULL zone -> -EIO
 *   zk_append: zone_start not a zone start or past the end -> -EINVAL;
 *     conventional zone -> -EIO; len 0 / not a block multiple -> -EINVAL;
 *     len > max_append -> -EINVAL; across the zone capacity -> -EIO;
 *     FULL zone -> -EIO
 * (zone_capacity.c covers writes across a capacity smaller than the zone,
 * last_zone.c the device end, readonly_offline.c READONLY/OFFLINE zones.)
 */
#include "testlib.h"

#define ZS (1 * MiB)
#define BS (4 * KiB)
#define MAXAPP (64 * KiB)

static struct tdev t;
static struct t_snap snap;

#define SAME() T_SNAP_SAME(t.dev, &snap)

int main(void)
{
	struct zk_geometry geo;
	uint64_t z2 = 2 * ZS, z3 = 3 * ZS, z4 = 4 * ZS, z5 = 5 * ZS;
	uint64_t wp2, wp5, landed;
	uint8_t *big;

	t_geo_default(&geo);
	geo.max_append = MAXAPP;
	t_dev_create(&t, &geo);

	/* zone 0 conventional with data; 2 IMP_OPEN; 3 FULL; 4 EMPTY;
	 * 5 nearly full; 6 CLOSED; 7 EMPTY */
	T_WRITE(t.dev, 0, ZS, 1);
	T_WRITE(t.dev, z2, 4 * BS, 2);
	wp2 = z2 + 4 * BS;
	T_WRITE(t.dev, z3, ZS, 3);
	T_WRITE(t.dev, z5, ZS - 2 * BS, 5);
	wp5 = z5 + ZS - 2 * BS;
	T_WRITE(t.dev, 6 * ZS, BS, 6);
	T_OK(zk_zone_op(t.dev, ZK_OP_CLOSE, 6 * ZS, ZS));
	T_ZCHECK(t.dev, z2, ZK_COND_IMP_OPEN, wp2);
	T_ZCHECK(t.dev, z3, ZK_COND_FULL, z3 + ZS);
	T_ZCHECK(t.dev, z4, ZK_COND_EMPTY, z4);
	T_ZCHECK(t.dev, z5, ZK_COND_IMP_OPEN, wp5);
	T_ZCHECK(t.dev, 6 * ZS, ZK_COND_CLOSED, 6 * ZS + BS);
	t_snap_take(t.dev, &snap);

	/* ---- zk_pwrite ---- */
	t_ctx("pwrite not at the wp");
	T_WRITE_RET(t.dev, wp2 + BS, BS, 9, -EIO);
	T_WRITE_RET(t.dev, wp2 - BS, BS, 9, -EIO);
	T_WRITE_RET(t.dev, wp2 - BS, 2 * BS, 9, -EIO);
	T_WRITE_RET(t.dev, z2, BS, 9, -EIO);
	T_WRITE_RET(t.dev, z2 + ZS - BS, BS, 9, -EIO);
	T_WRITE_RET(t.dev, z4 + BS, BS, 9, -EIO);    /* EMPTY zone, not at start */
	T_WRITE_RET(t.dev, z4 + ZS - BS, BS, 9, -EIO);
	T_WRITE_RET(t.dev, 6 * ZS, BS, 9, -EIO);     /* CLOSED zone */
	T_WRITE_RET(t.dev, 6 * ZS + 2 * BS, BS, 9, -EIO);
	SAME();

	t_ctx("pwrite of length 0");
	T_WRITE_RET(t.dev, wp2, 0, 9, -EINVAL);
	T_WRITE_RET(t.dev, z4, 0, 9, -EINVAL);
	T_WRITE_RET(t.dev, 0, 0, 9, -EINVAL);
	SAME();

	t_ctx("pwrite length not a block multiple");
	T_WRITE_RET(t.dev, wp2, 1, 9, -EINVAL);
	T_WRITE_RET(t.dev, wp2, 512, 9, -EINVAL);
	T_WRITE_RET(t.dev, wp2, BS + 512, 9, -EINVAL);
	T_WRITE_RET(t.dev, z4, 3 * BS - 1, 9, -EINVAL);
	T_WRITE_RET(t.dev, 0, BS + 1, 9, -EINVAL);
	T_WRITE_RET(t.dev, BS, 100, 9, -EINVAL);
	SAME();

	t_ctx("pwrite at an unaligned offset");
	T_WRITE_RET(t.dev, 512, BS, 9, -EINVAL);
	T_WRITE_RET(t.dev, BS + 1, BS, 9, -EINVAL);
	T_WRITE_RET(t.dev, ZS - 2048, BS, 9, -EINVAL);
	T_WRITE_RET(t.dev, wp2 + 512, BS, 9, -EINVAL);
	T_WRITE_RET(t.dev, wp2 - 1, BS, 9, -EINVAL);
	T_WRITE_RET(t.dev, z4 + 8, BS, 9, -EINVAL);
	SAME();

	t_ctx("pwrite past the device end");
	T_WRITE_RET(t.dev, 8 * ZS, BS, 9, -EINVAL);
	T_WRITE_RET(t.dev, 9 * ZS, BS, 9, -EINVAL);
	T_WRITE_RET(t.dev, 1ULL << 50, BS, 9, -EINVAL);
	T_WRITE_RET(t.dev, UINT64_MAX & ~(uint64_t)(BS - 1), BS, 9, -EINVAL);
	T_WRITE_RET(t.dev, 7 * ZS, 2 * ZS, 9, -EINVAL); /* starts in the last zone */
	SAME();

	t_ctx("pwrite across a zone boundary (conventional zone)");
	T_WRITE_RET(t.dev, ZS - BS, 2 * BS, 9, -EINVAL); /* conv -> seq */
	T_WRITE_RET(t.dev, 0, ZS + BS, 9, -EINVAL);
	T_WRITE_RET(t.dev, BS, ZS, 9, -EINVAL);
	SAME();

	t_ctx("pwrite across a zone boundary (sequential zone, at the wp)");
	/* zone 5 has 2 blocks left; 3 blocks at its wp would end in zone 6 */
	T_WRITE_RET(t.dev, wp5, 3 * BS, 9, -EINVAL);
	T_WRITE_RET(t.dev, z4, ZS + BS, 9, -EINVAL);
	T_WRITE_RET(t.dev, z4, 2 * ZS, 9, -EINVAL);
	SAME();

	t_ctx("pwrite to a FULL zone");
	T_WRITE_RET(t.dev, z3, BS, 9, -EIO);
	T_WRITE_RET(t.dev, z3 + ZS / 2, BS, 9, -EIO);
	T_WRITE_RET(t.dev, z3 + ZS - BS, BS, 9, -EIO);
	SAME();

	/* ---- zk_append ---- */
	t_ctx("append: zone_start not a zone start");
	T_APPEND_RET(t.dev, z2 + BS, BS, -EINVAL);
	T_APPEND_RET(t.dev, wp2, BS, -EINVAL);
	T_APPEND_RET(t.dev, z4 + 512, BS, -EINVAL);
	T_APPEND_RET(t.dev, z4 - BS, BS, -EINVAL);
	T_APPEND_RET(t.dev, ZS / 2, BS, -EINVAL);
	SAME();

	t_ctx("append: zone_start past the end");
	T_APPEND_RET(t.dev, 8 * ZS, BS, -EINVAL);
	T_APPEND_RET(t.dev, 100 * ZS, BS, -EINVAL);
	T_APPEND_RET(t.dev, UINT64_MAX & ~(uint64_t)(ZS - 1), BS, -EINVAL);
	SAME();

	t_ctx("append to a conventional zone");
	T_APPEND_RET(t.dev, 0, BS, -EIO);
	SAME();

	t_ctx("append of length 0 or not a block multiple");
	T_APPEND_RET(t.dev, z2, 0, -EINVAL);
	T_APPEND_RET(t.dev, z4, 0, -EINVAL);
	T_APPEND_RET(t.dev, z2, 512, -EINVAL);
	T_APPEND_RET(t.dev, z2, BS + 1, -EINVAL);
	T_APPEND_RET(t.dev, z4, 100, -EINVAL);
	SAME();

	t_ctx("append longer than max_append");
	T_APPEND_RET(t.dev, z2, MAXAPP + BS, -EINVAL);
	T_APPEND_RET(t.dev, z4, 2 * MAXAPP, -EINVAL);
	T_APPEND_RET(t.dev, z4, ZS, -EINVAL);
	SAME();

	t_ctx("append across the zone capacity");
	T_APPEND_RET(t.dev, z5, 3 * BS, -EIO);
	T_APPEND_RET(t.dev, z5, MAXAPP, -EIO);
	SAME();

	t_ctx("append to a FULL zone");
	T_APPEND_RET(t.dev, z3, BS, -EIO);
	SAME();

	/* landed untouched on error is not promised; success still works */
	t_ctx("after the errors");
	T_APPEND(t.dev, z2, MAXAPP, 2, wp2);
	T_APPEND(t.dev, z5, 2 * BS, 5, wp5);
	T_ZCHECK(t.dev, z5, ZK_COND_FULL, z5 + ZS);
	T_DATA(t.dev, z5, ZS, 5);
	T_WRITE(t.dev, z4, BS, 4);
	T_WRITE(t.dev, 6 * ZS + BS, BS, 6);
	T_ZCHECK(t.dev, 6 * ZS, ZK_COND_IMP_OPEN, 6 * ZS + 2 * BS);
	T_DATA(t.dev, z2, 4 * BS + MAXAPP, 2);
	T_DATA(t.dev, 0, ZS, 1);

	/* a pwrite that fails must not have written part of itself: a big
	 * buffer whose first part would fit */
	t_ctx("no partial write");
	t_snap_free(&snap);
	t_snap_take(t.dev, &snap);
	big = t_aligned(2 * ZS);
	t_pat_fill(big, 2 * ZS, z4 + BS, 77);
	T_RET(zk_pwrite(t.dev, big, ZS, z4 + BS), -EINVAL);
	T_RET(zk_append(t.dev, z4, big, ZS, &landed), -EINVAL); /* > max_append */
	T_RET(zk_append(t.dev, z2, big, MAXAPP, &landed), 0);
	T_EQ(landed, wp2 + MAXAPP);
	free(big);
	T_ZCHECK(t.dev, z4, ZK_COND_IMP_OPEN, z4 + BS);
	T_ZEROS(t.dev, z4 + BS, ZS - BS);

	t_snap_free(&snap);
	t_dev_close(&t);
	t_info("pass");
	return T_EXIT_PASS;
}
