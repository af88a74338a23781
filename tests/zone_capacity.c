/* SPDX-License-Identifier: MIT */
/*
 * Zone capacity smaller than the zone size: the capacity is reported, the
 * zone is FULL (wp = start + len) once written to capacity, nothing can be
 * written across the capacity (-EIO, nothing written) or between capacity
 * and zone end, and that region reads as zeros.  Conventional zones are
 * writable over their whole size.  A finished zone's file holds the zone
 * capacity, as the kernel's zoned loop device (zloop) wants it.
 */
#include <sys/stat.h>

#include "testlib.h"

#define ZS (1 * MiB)
#define ZCAP (640 * KiB)
#define BS (4 * KiB)

int main(void)
{
	struct zk_geometry geo;
	struct tdev t;
	struct zk_zone z;
	struct t_snap snap;
	uint64_t z2 = 2 * ZS, z3 = 3 * ZS, z4 = 4 * ZS, z5 = 5 * ZS;

	t_geo_default(&geo);
	geo.zone_capacity = ZCAP;
	geo.nr_conv_zones = 1;
	t_dev_create(&t, &geo);
	T_EQ(t.info.zone_capacity, ZCAP);

	t_ctx("report");
	z = T_ZONE(t.dev, z2);
	T_EQ(z.start, z2);
	T_EQ(z.len, ZS);
	T_EQ(z.capacity, ZCAP);
	T_EQ(z.wp, z2);
	T_EQ(z.cond, ZK_COND_EMPTY);
	z = T_ZONE(t.dev, 0);
	T_EQ(z.type, ZK_ZONE_CONVENTIONAL);
	T_EQ(z.len, ZS);
	T_EQ(z.capacity, ZS);

	t_ctx("conventional zone: the whole zone is writable");
	T_WRITE(t.dev, 0, ZS, 1);
	T_DATA(t.dev, 0, ZS, 1);

	t_ctx("write up to the capacity");
	T_WRITE(t.dev, z2, ZCAP - BS, 2);
	T_ZCHECK(t.dev, z2, ZK_COND_IMP_OPEN, z2 + ZCAP - BS);
	t_snap_take(t.dev, &snap);
	T_WRITE_RET(t.dev, z2 + ZCAP - BS, 2 * BS, 9, -EIO);   /* across */
	T_WRITE_RET(t.dev, z2 + ZCAP - BS, ZS - ZCAP + BS, 9, -EIO); /* to the zone end */
	T_WRITE_RET(t.dev, z2 + ZCAP, BS, 9, -EIO);           /* past it */
	T_WRITE_RET(t.dev, z2 + ZS - BS, BS, 9, -EIO);
	T_APPEND_RET(t.dev, z2, 2 * BS, -EIO);
	T_APPEND_RET(t.dev, z2, ZS - ZCAP + BS, -EIO);
	T_SNAP_SAME(t.dev, &snap);
	t_snap_free(&snap);
	T_WRITE(t.dev, z2 + ZCAP - BS, BS, 2);
	T_ZCHECK(t.dev, z2, ZK_COND_FULL, z2 + ZS);
	T_DATA(t.dev, z2, ZCAP, 2);
	T_ZEROS(t.dev, z2 + ZCAP, ZS - ZCAP);

	t_ctx("FULL at capacity: nothing more");
	T_WRITE_RET(t.dev, z2 + ZCAP, BS, 9, -EIO);
	T_WRITE_RET(t.dev, z2 + ZS - BS, BS, 9, -EIO);
	T_APPEND_RET(t.dev, z2, BS, -EIO);
	T_ZEROS(t.dev, z2 + ZCAP, ZS - ZCAP);

	t_ctx("append up to the capacity");
	T_APPEND(t.dev, z3, ZCAP / 2, 3, z3);
	T_APPEND_RET(t.dev, z3, ZCAP / 2 + BS, -EIO);
	T_ZCHECK(t.dev, z3, ZK_COND_IMP_OPEN, z3 + ZCAP / 2);
	T_APPEND(t.dev, z3, ZCAP / 2, 3, z3 + ZCAP / 2);
	T_ZCHECK(t.dev, z3, ZK_COND_FULL, z3 + ZS);
	T_DATA(t.dev, z3, ZCAP, 3);
	T_ZEROS(t.dev, z3 + ZCAP, ZS - ZCAP);

	t_ctx("one write of the whole capacity");
	T_WRITE(t.dev, z4, ZCAP, 4);
	T_ZCHECK(t.dev, z4, ZK_COND_FULL, z4 + ZS);
	T_DATA(t.dev, z4, ZCAP, 4);

	t_ctx("one write of the whole zone size");
	T_WRITE_RET(t.dev, z5, ZS, 5, -EIO);
	T_ZCHECK(t.dev, z5, ZK_COND_EMPTY, z5);
	T_ZEROS(t.dev, z5, ZS);

	t_ctx("finish");
	T_WRITE(t.dev, z5, BS, 5);
	T_OK(zk_zone_op(t.dev, ZK_OP_FINISH, z5, ZS));
	T_ZCHECK(t.dev, z5, ZK_COND_FULL, z5 + ZS);
	T_DATA(t.dev, z5, BS, 5);
	T_ZEROS(t.dev, z5 + BS, ZS - BS);
	T_WRITE_RET(t.dev, z5 + BS, BS, 9, -EIO);
	{
		char name[PATH_MAX + 16];
		struct stat sb;

		snprintf(name, sizeof(name), "%s/seq-000005", t.path);
		T_ASSERT(stat(name, &sb) == 0);
		T_EQ((uint64_t)sb.st_size, ZCAP);
	}

	t_ctx("reset and again");
	T_OK(zk_zone_op(t.dev, ZK_OP_RESET, z2, ZS));
	T_ZCHECK(t.dev, z2, ZK_COND_EMPTY, z2);
	T_ZEROS(t.dev, z2, ZS);
	T_WRITE(t.dev, z2, ZCAP, 22);
	T_ZCHECK(t.dev, z2, ZK_COND_FULL, z2 + ZS);
	T_DATA(t.dev, z2, ZCAP, 22);

	t_ctx("partly written zone");
	T_WRITE(t.dev, 6 * ZS, ZCAP - BS, 6);

	t_ctx("after reopen");
	t_dev_reopen(&t, 0);
	T_ZCHECK(t.dev, z2, ZK_COND_FULL, z2 + ZS);
	T_ZCHECK(t.dev, z3, ZK_COND_FULL, z3 + ZS);
	T_ZCHECK(t.dev, z4, ZK_COND_FULL, z4 + ZS);
	T_ZCHECK(t.dev, z5, ZK_COND_FULL, z5 + ZS);
	T_ZCHECK(t.dev, 6 * ZS, ZK_COND_IMP_OPEN, 6 * ZS + ZCAP - BS);
	T_ZCHECK(t.dev, 7 * ZS, ZK_COND_EMPTY, 7 * ZS);
	T_DATA(t.dev, z2, ZCAP, 22);
	T_DATA(t.dev, z3, ZCAP, 3);
	T_DATA(t.dev, z4, ZCAP, 4);
	T_DATA(t.dev, z5, BS, 5);
	T_DATA(t.dev, 6 * ZS, ZCAP - BS, 6);
	T_ZEROS(t.dev, z2 + ZCAP, ZS - ZCAP);
	T_ZEROS(t.dev, 6 * ZS + ZCAP - BS, ZS - ZCAP + BS);
	z = T_ZONE(t.dev, 7 * ZS);
	T_EQ(z.capacity, ZCAP);
	T_WRITE_RET(t.dev, 6 * ZS + ZCAP - BS, 2 * BS, 9, -EIO);
	T_APPEND(t.dev, 6 * ZS, BS, 6, 6 * ZS + ZCAP - BS);
	T_ZCHECK(t.dev, 6 * ZS, ZK_COND_FULL, 7 * ZS);
	T_DATA(t.dev, 6 * ZS, ZCAP, 6);

	t_dev_close(&t);
	t_info("pass");
	return T_EXIT_PASS;
}
