/* SPDX-License-Identifier: MIT */
/*
 * zk_zone_op(offset 0, len = capacity) means all zones, like the ALL bit of
 * ZBC: conventional zones (and their data) are untouched and each sequential
 * zone is changed only where the operation applies to its condition:
 *   reset all:  open, closed and full zones -> EMPTY
 *   close all:  open zones -> CLOSED (EMPTY if nothing written)
 *   finish all: open and closed zones -> FULL
 *   open all:   closed zones -> EXP_OPEN
 * Also: an operation on a range of several zones.
 */
#include "testlib.h"

#define ZS (1 * MiB)
#define BS (4 * KiB)
#define NZ 8
#define LAST_LEN (512 * KiB)
#define CAP ((NZ - 1) * ZS + LAST_LEN)

static struct tdev t;

/* Zones: 0-1 conventional, 2 EMPTY, 3 IMP_OPEN, 4 EXP_OPEN (written),
 * 5 EXP_OPEN (nothing written), 6 CLOSED, 7 (smaller, last) FULL. */
static void setup(void)
{
	unsigned int z;

	for (z = 2; z < NZ; z++) {
		struct zk_zone zn = T_ZONE(t.dev, z * ZS);
		if (zn.cond != ZK_COND_EMPTY)
			T_OK(zk_zone_op(t.dev, ZK_OP_RESET, z * ZS, zn.len));
	}
	T_WRITE(t.dev, 3 * ZS, 2 * BS, 3);
	T_OK(zk_zone_op(t.dev, ZK_OP_OPEN, 4 * ZS, ZS));
	T_WRITE(t.dev, 4 * ZS, 3 * BS, 4);
	T_OK(zk_zone_op(t.dev, ZK_OP_OPEN, 5 * ZS, ZS));
	T_WRITE(t.dev, 6 * ZS, 4 * BS, 6);
	T_OK(zk_zone_op(t.dev, ZK_OP_CLOSE, 6 * ZS, ZS));
	T_WRITE(t.dev, 7 * ZS, LAST_LEN, 7);

	T_ZCHECK(t.dev, 2 * ZS, ZK_COND_EMPTY, 2 * ZS);
	T_ZCHECK(t.dev, 3 * ZS, ZK_COND_IMP_OPEN, 3 * ZS + 2 * BS);
	T_ZCHECK(t.dev, 4 * ZS, ZK_COND_EXP_OPEN, 4 * ZS + 3 * BS);
	T_ZCHECK(t.dev, 5 * ZS, ZK_COND_EXP_OPEN, 5 * ZS);
	T_ZCHECK(t.dev, 6 * ZS, ZK_COND_CLOSED, 6 * ZS + 4 * BS);
	T_ZCHECK(t.dev, 7 * ZS, ZK_COND_FULL, 7 * ZS + LAST_LEN);
}

static void check_conv(void)
{
	struct zk_zone z;

	z = T_ZONE(t.dev, 0);
	T_EQ(z.type, ZK_ZONE_CONVENTIONAL);
	T_EQ(z.cond, ZK_COND_NOT_WP);
	z = T_ZONE(t.dev, ZS);
	T_EQ(z.type, ZK_ZONE_CONVENTIONAL);
	T_EQ(z.cond, ZK_COND_NOT_WP);
	T_DATA(t.dev, 0, 2 * ZS, 1);
}

/* the data of zones that keep it */
static void check_data(bool reset)
{
	if (reset) {
		T_ZEROS(t.dev, 2 * ZS, CAP - 2 * ZS);
		return;
	}
	T_DATA(t.dev, 3 * ZS, 2 * BS, 3);
	T_DATA(t.dev, 4 * ZS, 3 * BS, 4);
	T_DATA(t.dev, 6 * ZS, 4 * BS, 6);
	T_DATA(t.dev, 7 * ZS, LAST_LEN, 7);
	T_ZEROS(t.dev, 2 * ZS, ZS + 0);
	T_ZEROS(t.dev, 5 * ZS, ZS);
}

int main(void)
{
	struct zk_geometry geo;

	t_geo_default(&geo);
	geo.capacity = CAP;
	geo.nr_conv_zones = 2;
	t_dev_create(&t, &geo);
	T_WRITE(t.dev, 0, ZS, 1); /* both conventional zones */
	T_WRITE(t.dev, ZS, ZS, 1);

	t_ctx("reset all");
	setup();
	T_RET(zk_zone_op(t.dev, ZK_OP_RESET, 0, CAP), 0);
	for (unsigned int z = 2; z < NZ; z++)
		T_ZCHECK(t.dev, z * ZS, ZK_COND_EMPTY, z * ZS);
	check_conv();
	check_data(true);

	t_ctx("close all");
	setup();
	T_RET(zk_zone_op(t.dev, ZK_OP_CLOSE, 0, CAP), 0);
	T_ZCHECK(t.dev, 2 * ZS, ZK_COND_EMPTY, 2 * ZS);
	T_ZCHECK(t.dev, 3 * ZS, ZK_COND_CLOSED, 3 * ZS + 2 * BS);
	T_ZCHECK(t.dev, 4 * ZS, ZK_COND_CLOSED, 4 * ZS + 3 * BS);
	T_ZCHECK(t.dev, 5 * ZS, ZK_COND_EMPTY, 5 * ZS);
	T_ZCHECK(t.dev, 6 * ZS, ZK_COND_CLOSED, 6 * ZS + 4 * BS);
	T_ZCHECK(t.dev, 7 * ZS, ZK_COND_FULL, 7 * ZS + LAST_LEN);
	check_conv();
	check_data(false);

	t_ctx("finish all");
	setup();
	T_RET(zk_zone_op(t.dev, ZK_OP_FINISH, 0, CAP), 0);
	T_ZCHECK(t.dev, 2 * ZS, ZK_COND_EMPTY, 2 * ZS);
	T_ZCHECK(t.dev, 3 * ZS, ZK_COND_FULL, 4 * ZS);
	T_ZCHECK(t.dev, 4 * ZS, ZK_COND_FULL, 5 * ZS);
	T_ZCHECK(t.dev, 5 * ZS, ZK_COND_FULL, 6 * ZS);
	T_ZCHECK(t.dev, 6 * ZS, ZK_COND_FULL, 7 * ZS);
	T_ZCHECK(t.dev, 7 * ZS, ZK_COND_FULL, 7 * ZS + LAST_LEN);
	check_conv();
	check_data(false);

	t_ctx("open all");
	setup();
	T_RET(zk_zone_op(t.dev, ZK_OP_OPEN, 0, CAP), 0);
	T_ZCHECK(t.dev, 2 * ZS, ZK_COND_EMPTY, 2 * ZS);
	T_ZCHECK(t.dev, 3 * ZS, ZK_COND_IMP_OPEN, 3 * ZS + 2 * BS);
	T_ZCHECK(t.dev, 4 * ZS, ZK_COND_EXP_OPEN, 4 * ZS + 3 * BS);
	T_ZCHECK(t.dev, 5 * ZS, ZK_COND_EXP_OPEN, 5 * ZS);
	T_ZCHECK(t.dev, 6 * ZS, ZK_COND_EXP_OPEN, 6 * ZS + 4 * BS);
	T_ZCHECK(t.dev, 7 * ZS, ZK_COND_FULL, 7 * ZS + LAST_LEN);
	check_conv();
	check_data(false);

	/* "all" on a device where everything is already EMPTY: no-op */
	t_ctx("reset all twice, close/finish/open all on EMPTY zones");
	T_RET(zk_zone_op(t.dev, ZK_OP_RESET, 0, CAP), 0);
	T_RET(zk_zone_op(t.dev, ZK_OP_RESET, 0, CAP), 0);
	T_RET(zk_zone_op(t.dev, ZK_OP_CLOSE, 0, CAP), 0);
	T_RET(zk_zone_op(t.dev, ZK_OP_FINISH, 0, CAP), 0);
	T_RET(zk_zone_op(t.dev, ZK_OP_OPEN, 0, CAP), 0);
	for (unsigned int z = 2; z < NZ; z++)
		T_ZCHECK(t.dev, z * ZS, ZK_COND_EMPTY, z * ZS);
	check_conv();

	/* a range of several zones (not "all"), each zone eligible */
	t_ctx("finish zones 3-4");
	T_WRITE(t.dev, 3 * ZS, BS, 3);
	T_WRITE(t.dev, 4 * ZS, BS, 4);
	T_RET(zk_zone_op(t.dev, ZK_OP_FINISH, 3 * ZS, 2 * ZS), 0);
	T_ZCHECK(t.dev, 3 * ZS, ZK_COND_FULL, 4 * ZS);
	T_ZCHECK(t.dev, 4 * ZS, ZK_COND_FULL, 5 * ZS);
	T_ZCHECK(t.dev, 5 * ZS, ZK_COND_EMPTY, 5 * ZS);
	t_ctx("reset zones 3-4");
	T_RET(zk_zone_op(t.dev, ZK_OP_RESET, 3 * ZS, 2 * ZS), 0);
	T_ZCHECK(t.dev, 3 * ZS, ZK_COND_EMPTY, 3 * ZS);
	T_ZCHECK(t.dev, 4 * ZS, ZK_COND_EMPTY, 4 * ZS);
	t_ctx("open zones 5-7 (with the smaller last zone)");
	T_RET(zk_zone_op(t.dev, ZK_OP_OPEN, 5 * ZS, 2 * ZS + LAST_LEN), 0);
	T_ZCHECK(t.dev, 5 * ZS, ZK_COND_EXP_OPEN, 5 * ZS);
	T_ZCHECK(t.dev, 6 * ZS, ZK_COND_EXP_OPEN, 6 * ZS);
	T_ZCHECK(t.dev, 7 * ZS, ZK_COND_EXP_OPEN, 7 * ZS);
	t_ctx("close zones 5-7");
	T_RET(zk_zone_op(t.dev, ZK_OP_CLOSE, 5 * ZS, 2 * ZS + LAST_LEN), 0);
	T_ZCHECK(t.dev, 5 * ZS, ZK_COND_EMPTY, 5 * ZS);
	T_ZCHECK(t.dev, 7 * ZS, ZK_COND_EMPTY, 7 * ZS);
	check_conv();

	t_dev_close(&t);
	t_info("pass");
	return T_EXIT_PASS;
}
