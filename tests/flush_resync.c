/* SPDX-License-Identifier: MIT */
/*
 * zk_flush succeeds after writes; zk_resync learns the zones again from the
 * device and finds every wp where it was (the conditions of open zones may
 * come back differently: only the wp, FULL/EMPTY and the data are checked),
 * and writing goes on from there.
 */
#include "testlib.h"

#define ZS (1 * MiB)
#define BS (4 * KiB)

int main(void)
{
	struct zk_geometry geo;
	struct tdev t;
	struct zk_zone before[8], after[8];
	unsigned int nr, i;

	t_geo_default(&geo);
	t_dev_create(&t, &geo);

	t_ctx("flush");
	T_RET(zk_flush(t.dev), 0);
	T_WRITE(t.dev, 0, BS, 1);
	T_WRITE(t.dev, 2 * ZS, 3 * BS, 2);
	T_APPEND(t.dev, 3 * ZS, 5 * BS, 3, 3 * ZS);
	T_WRITE(t.dev, 4 * ZS, ZS, 4);
	T_WRITE(t.dev, 5 * ZS, BS, 5);
	T_OK(zk_zone_op(t.dev, ZK_OP_CLOSE, 5 * ZS, ZS));
	T_OK(zk_zone_op(t.dev, ZK_OP_FINISH, 6 * ZS, ZS));
	T_RET(zk_flush(t.dev), 0);
	T_RET(zk_flush(t.dev), 0);

	t_ctx("resync");
	nr = 8;
	T_RET(zk_report(t.dev, 0, before, &nr), 0);
	T_RET(zk_resync(t.dev), 0);
	nr = 8;
	T_RET(zk_report(t.dev, 0, after, &nr), 0);
	T_EQ(nr, 8);
	for (i = 0; i < 8; i++) {
		t_ctx("resync: zone %u", i);
		T_EQ(after[i].start, before[i].start);
		T_EQ(after[i].len, before[i].len);
		T_EQ(after[i].capacity, before[i].capacity);
		T_EQ(after[i].type, before[i].type);
		T_EQ(after[i].wp, before[i].wp);
		if (before[i].cond == ZK_COND_FULL || before[i].cond == ZK_COND_EMPTY ||
		    before[i].cond == ZK_COND_NOT_WP || before[i].cond == ZK_COND_CLOSED)
			T_EQ(after[i].cond, before[i].cond);
		else
			T_ASSERT(after[i].cond == ZK_COND_IMP_OPEN ||
				 after[i].cond == ZK_COND_EXP_OPEN ||
				 after[i].cond == ZK_COND_CLOSED);
	}

	t_ctx("after resync");
	T_DATA(t.dev, 0, BS, 1);
	T_DATA(t.dev, 2 * ZS, 3 * BS, 2);
	T_DATA(t.dev, 3 * ZS, 5 * BS, 3);
	T_DATA(t.dev, 4 * ZS, ZS, 4);
	T_WRITE(t.dev, 2 * ZS + 3 * BS, BS, 2);
	T_APPEND(t.dev, 3 * ZS, BS, 3, 3 * ZS + 5 * BS);
	T_APPEND(t.dev, 5 * ZS, BS, 5, 5 * ZS + BS);
	T_APPEND_RET(t.dev, 4 * ZS, BS, -EIO);
	T_APPEND_RET(t.dev, 6 * ZS, BS, -EIO);
	T_EQ(T_ZONE(t.dev, 2 * ZS).wp, 2 * ZS + 4 * BS);
	T_DATA(t.dev, 2 * ZS, 4 * BS, 2);
	T_DATA(t.dev, 3 * ZS, 6 * BS, 3);
	T_RET(zk_flush(t.dev), 0);

	t_dev_close(&t);
	t_info("pass");
	return T_EXIT_PASS;
}
