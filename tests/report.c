/* SPDX-License-Identifier: MIT */
/*
 * zk_report: zones from the one holding the offset; *nr in = room, out =
 * zones filled (never more than room, never past the last zone); fields
 * start, len, capacity, wp, type, cond.  Conventional zones are
 * CONVENTIONAL/NOT_WP; FULL, READONLY and conventional zones report wp =
 * start + len, OFFLINE wp = start.
 */
#include "testlib.h"

#define NZ 8
#define ZS (1 * MiB)
#define ZCAP (768 * KiB)

int main(void)
{
	struct zk_geometry geo;
	struct tdev t;
	struct zk_zone zones[NZ + 4];
	unsigned int nr, i;

	t_geo_default(&geo);
	geo.capacity = (NZ - 1) * ZS + 512 * KiB; /* last zone: 512 KiB */
	geo.zone_capacity = ZCAP;
	geo.nr_conv_zones = 2;
	t_dev_create(&t, &geo);

	/* zone 2 EMPTY, 3 IMP_OPEN, 4 FULL (written to capacity), 5 FULL
	 * (finished), 6 READONLY, 7 OFFLINE */
	T_WRITE(t.dev, 3 * ZS, 8 * KiB, 3);
	T_WRITE(t.dev, 4 * ZS, ZCAP, 4);
	T_WRITE(t.dev, 5 * ZS, 4 * KiB, 5);
	T_OK(zk_zone_op(t.dev, ZK_OP_FINISH, 5 * ZS, ZS));
	T_WRITE(t.dev, 6 * ZS, 4 * KiB, 6);
	T_RET(zk_set_zone_cond(t.dev, 6 * ZS, ZK_COND_READONLY), 0);
	T_RET(zk_set_zone_cond(t.dev, 7 * ZS, ZK_COND_OFFLINE), 0);

	t_ctx("report all");
	memset(zones, 0xa5, sizeof(zones));
	nr = NZ + 4;
	T_RET(zk_report(t.dev, 0, zones, &nr), 0);
	T_EQ(nr, NZ);
	for (i = 0; i < NZ; i++) {
		uint64_t len = i == NZ - 1 ? 512 * KiB : ZS;

		t_ctx("report all: zone %u", i);
		T_EQ(zones[i].start, i * ZS);
		T_EQ(zones[i].len, len);
		if (i < 2) {
			T_EQ(zones[i].type, ZK_ZONE_CONVENTIONAL);
			T_EQ(zones[i].cond, ZK_COND_NOT_WP);
			T_EQ(zones[i].wp, zones[i].start + zones[i].len);
		} else {
			T_EQ(zones[i].type, ZK_ZONE_SEQ_REQUIRED);
			T_EQ(zones[i].capacity, len < ZCAP ? len : ZCAP);
		}
	}
	t_ctx("report all: conditions");
	T_EQ(zones[NZ].start, 0xa5a5a5a5a5a5a5a5ULL); /* nothing past nr */
	T_EQ(zones[2].cond, ZK_COND_EMPTY);
	T_EQ(zones[2].wp, 2 * ZS);
	T_EQ(zones[3].cond, ZK_COND_IMP_OPEN);
	T_EQ(zones[3].wp, 3 * ZS + 8 * KiB);
	T_EQ(zones[4].cond, ZK_COND_FULL);
	T_EQ(zones[4].wp, 4 * ZS + ZS); /* start + len, not start + capacity */
	T_EQ(zones[5].cond, ZK_COND_FULL);
	T_EQ(zones[5].wp, 5 * ZS + ZS);
	T_EQ(zones[6].cond, ZK_COND_READONLY);
	T_EQ(zones[6].wp, 6 * ZS + ZS);
	T_EQ(zones[7].cond, ZK_COND_OFFLINE);
	T_EQ(zones[7].wp, 7 * ZS);

	/* from an offset inside a zone, with less room than zones left */
	t_ctx("report from the middle of zone 3, room 2");
	memset(zones, 0xa5, sizeof(zones));
	nr = 2;
	T_RET(zk_report(t.dev, 3 * ZS + 12345, zones, &nr), 0);
	T_EQ(nr, 2);
	T_EQ(zones[0].start, 3 * ZS);
	T_EQ(zones[1].start, 4 * ZS);
	T_EQ(zones[2].start, 0xa5a5a5a5a5a5a5a5ULL);
	T_EQ(zones[0].wp, 3 * ZS + 8 * KiB);
	T_EQ(zones[1].cond, ZK_COND_FULL);

	t_ctx("report from the last byte of zone 5, more room than zones");
	nr = NZ + 4;
	T_RET(zk_report(t.dev, 6 * ZS - 1, zones, &nr), 0);
	T_EQ(nr, 3);
	T_EQ(zones[0].start, 5 * ZS);
	T_EQ(zones[2].start, 7 * ZS);
	T_EQ(zones[2].len, 512 * KiB);

	t_ctx("report the last zone");
	nr = 1;
	T_RET(zk_report(t.dev, geo.capacity - 1, zones, &nr), 0);
	T_EQ(nr, 1);
	T_EQ(zones[0].start, 7 * ZS);
	T_EQ(zones[0].capacity, 512 * KiB);

	t_ctx("report a conventional zone");
	nr = 1;
	T_RET(zk_report(t.dev, ZS + 4096, zones, &nr), 0);
	T_EQ(nr, 1);
	T_EQ(zones[0].start, ZS);
	T_EQ(zones[0].type, ZK_ZONE_CONVENTIONAL);
	T_EQ(zones[0].cond, ZK_COND_NOT_WP);

	t_ctx("report past the end");
	nr = 4;
	{
		int ret = zk_report(t.dev, geo.capacity, zones, &nr);
		/* an error, or no zone */
		if (ret == 0 && nr != 0)
			T_FAIL("zk_report(capacity) gave %u zones", nr);
	}

	t_dev_close(&t);
	t_info("pass");
	return T_EXIT_PASS;
}
