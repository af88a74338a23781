/* SPDX-License-Identifier: MIT */
/*
 * A device opened with ZK_RDONLY: zk_pwrite, zk_append and every zone
 * operation (also "all") fail with -EBADF and change nothing; zk_pread,
 * zk_report and zk_info work, and info.flags says ZK_RDONLY.
 */
#include "testlib.h"

#define ZS (1 * MiB)
#define BS (4 * KiB)

int main(void)
{
	struct zk_geometry geo;
	struct tdev t;
	struct t_snap snap;
	struct zk_zone zones[8];
	unsigned int nr, i;
	static const enum zk_op ops[] = { ZK_OP_RESET, ZK_OP_OPEN, ZK_OP_CLOSE,
					  ZK_OP_FINISH };

	t_geo_default(&geo);
	t_dev_create(&t, &geo);
	T_WRITE(t.dev, 0, 2 * BS, 1);
	T_WRITE(t.dev, 2 * ZS, 3 * BS, 2);
	T_WRITE(t.dev, 3 * ZS, ZS, 3);
	T_WRITE(t.dev, 4 * ZS, BS, 4);
	T_OK(zk_zone_op(t.dev, ZK_OP_CLOSE, 4 * ZS, ZS));

	t_dev_reopen(&t, ZK_RDONLY);
	T_EQ(t.info.flags, ZK_RDONLY);
	T_EQ(t.info.nr_zones, 8);
	T_EQ(t.info.backend, ZK_BACKEND_EMULATED);
	t_snap_take(t.dev, &snap); /* reads and reports work */

	t_ctx("reads and reports");
	T_DATA(t.dev, 0, 2 * BS, 1);
	T_DATA(t.dev, 2 * ZS, 3 * BS, 2);
	T_DATA(t.dev, 3 * ZS, ZS, 3);
	nr = 8;
	T_RET(zk_report(t.dev, 0, zones, &nr), 0);
	T_EQ(nr, 8);
	T_EQ(zones[2].wp, 2 * ZS + 3 * BS);
	T_EQ(zones[3].cond, ZK_COND_FULL);
	T_EQ(zones[4].cond, ZK_COND_CLOSED);

	t_ctx("writes");
	T_WRITE_RET(t.dev, 0, BS, 9, -EBADF);            /* conventional */
	T_WRITE_RET(t.dev, 2 * ZS + 3 * BS, BS, 9, -EBADF); /* at the wp */
	T_WRITE_RET(t.dev, 5 * ZS, BS, 9, -EBADF);       /* EMPTY zone */
	t_ctx("appends");
	T_APPEND_RET(t.dev, 2 * ZS, BS, -EBADF);
	T_APPEND_RET(t.dev, 5 * ZS, BS, -EBADF);
	t_ctx("zone operations");
	for (i = 0; i < 4; i++) {
		T_RET(zk_zone_op(t.dev, ops[i], 2 * ZS, ZS), -EBADF);
		T_RET(zk_zone_op(t.dev, ops[i], 4 * ZS, ZS), -EBADF);
		T_RET(zk_zone_op(t.dev, ops[i], 5 * ZS, ZS), -EBADF);
		T_RET(zk_zone_op(t.dev, ops[i], 0, 8 * ZS), -EBADF);
	}
	T_SNAP_SAME(t.dev, &snap);
	t_snap_free(&snap);

	t_ctx("read-write again");
	t_dev_reopen(&t, 0);
	T_EQ(t.info.flags, 0);
	T_WRITE(t.dev, 2 * ZS + 3 * BS, BS, 2);
	T_DATA(t.dev, 2 * ZS, 4 * BS, 2);

	t_dev_close(&t);
	t_info("pass");
	return T_EXIT_PASS;
}
