/* SPDX-License-Identifier: MIT */
/*
 * zk_append (one thread): lands at the old wp and moves it, EMPTY and
 * CLOSED zones become IMP_OPEN, filling the capacity makes the zone FULL,
 * len == max_append is fine, appends and pwrites at the wp interleave, and
 * each zone has its own wp.
 */
#include "testlib.h"

#define ZS (1 * MiB)
#define BS (4 * KiB)
#define MAXAPP (128 * KiB)

int main(void)
{
	struct zk_geometry geo;
	struct tdev t;
	uint64_t wp, z2 = 2 * ZS, z3 = 3 * ZS, z4 = 4 * ZS;
	unsigned int i;

	t_geo_default(&geo);
	geo.max_append = MAXAPP;
	t_dev_create(&t, &geo);

	t_ctx("appends of growing size");
	wp = z2;
	for (i = 1; i <= 8; i++) {
		T_APPEND(t.dev, z2, i * BS, 1, wp);
		wp += i * BS;
		T_ZCHECK(t.dev, z2, ZK_COND_IMP_OPEN, wp);
	}
	T_DATA(t.dev, z2, wp - z2, 1);
	T_ZEROS(t.dev, wp, z2 + ZS - wp);

	t_ctx("append of max_append");
	T_APPEND(t.dev, z2, MAXAPP, 1, wp);
	wp += MAXAPP;
	T_ZCHECK(t.dev, z2, ZK_COND_IMP_OPEN, wp);

	t_ctx("appends and pwrites at the wp interleaved");
	for (i = 0; i < 4; i++) {
		T_WRITE(t.dev, wp, BS, 1);
		wp += BS;
		T_APPEND(t.dev, z2, 2 * BS, 1, wp);
		wp += 2 * BS;
	}
	T_ZCHECK(t.dev, z2, ZK_COND_IMP_OPEN, wp);
	T_DATA(t.dev, z2, wp - z2, 1);

	t_ctx("append to capacity -> FULL");
	while (z2 + ZS - wp > MAXAPP) {
		T_APPEND(t.dev, z2, MAXAPP, 1, wp);
		wp += MAXAPP;
	}
	T_APPEND(t.dev, z2, z2 + ZS - wp, 1, wp);
	T_ZCHECK(t.dev, z2, ZK_COND_FULL, z2 + ZS);
	T_DATA(t.dev, z2, ZS, 1);
	T_APPEND_RET(t.dev, z2, BS, -EIO);

	t_ctx("zones have their own wp");
	for (i = 0; i < 16; i++) {
		T_APPEND(t.dev, z3, BS, 3, z3 + i * BS);
		T_APPEND(t.dev, z4, 2 * BS, 4, z4 + i * 2 * BS);
	}
	T_ZCHECK(t.dev, z3, ZK_COND_IMP_OPEN, z3 + 16 * BS);
	T_ZCHECK(t.dev, z4, ZK_COND_IMP_OPEN, z4 + 32 * BS);
	T_DATA(t.dev, z3, 16 * BS, 3);
	T_DATA(t.dev, z4, 32 * BS, 4);

	t_ctx("append to a CLOSED zone");
	T_OK(zk_zone_op(t.dev, ZK_OP_CLOSE, z3, ZS));
	T_ZCHECK(t.dev, z3, ZK_COND_CLOSED, z3 + 16 * BS);
	T_APPEND(t.dev, z3, BS, 3, z3 + 16 * BS);
	T_ZCHECK(t.dev, z3, ZK_COND_IMP_OPEN, z3 + 17 * BS);

	t_ctx("append after reset starts at the zone start");
	T_OK(zk_zone_op(t.dev, ZK_OP_RESET, z3, ZS));
	T_APPEND(t.dev, z3, BS, 33, z3);
	T_ZCHECK(t.dev, z3, ZK_COND_IMP_OPEN, z3 + BS);
	T_DATA(t.dev, z3, BS, 33);
	T_ZEROS(t.dev, z3 + BS, ZS - BS);

	t_ctx("append after finish fails");
	T_OK(zk_zone_op(t.dev, ZK_OP_FINISH, z4, ZS));
	T_APPEND_RET(t.dev, z4, BS, -EIO);
	T_DATA(t.dev, z4, 32 * BS, 4);
	T_ZEROS(t.dev, z4 + 32 * BS, ZS - 32 * BS);

	t_ctx("append to an explicitly opened zone");
	T_OK(zk_zone_op(t.dev, ZK_OP_OPEN, 5 * ZS, ZS));
	T_APPEND(t.dev, 5 * ZS, BS, 5, 5 * ZS);
	T_ZCHECK(t.dev, 5 * ZS, ZK_COND_EXP_OPEN, 5 * ZS + BS);

	t_ctx("the last zone");
	T_APPEND(t.dev, 7 * ZS, MAXAPP, 7, 7 * ZS);
	T_APPEND(t.dev, 7 * ZS, BS, 7, 7 * ZS + MAXAPP);
	T_DATA(t.dev, 7 * ZS, MAXAPP + BS, 7);

	t_dev_close(&t);
	t_info("pass");
	return T_EXIT_PASS;
}
