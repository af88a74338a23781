/* SPDX-License-Identifier: MIT */
/*
 * zk_zone_op argument checks: an offset that is not a zone start, a length
 * that is not a whole number of zones, or a range past the end -> -EINVAL;
 * any operation on a conventional zone -> -EIO.  A refused operation changes
 * nothing.
 */
#include "testlib.h"

#define ZS (1 * MiB)
#define BS (4 * KiB)
#define LAST_LEN (256 * KiB)
#define CAP (7 * ZS + LAST_LEN)

static const enum zk_op ops[] = { ZK_OP_RESET, ZK_OP_OPEN, ZK_OP_CLOSE, ZK_OP_FINISH };
static const char *const opn[] = { "?", "reset", "open", "close", "finish" };

int main(void)
{
	struct zk_geometry geo;
	struct tdev t;
	struct t_snap snap;
	unsigned int i;

	t_geo_default(&geo);
	geo.capacity = CAP;
	geo.nr_conv_zones = 2;
	t_dev_create(&t, &geo);

	/* something in every condition that an op could change */
	T_WRITE(t.dev, 0, 8 * KiB, 1);
	T_WRITE(t.dev, 2 * ZS, 8 * KiB, 2);
	T_WRITE(t.dev, 3 * ZS, 8 * KiB, 3);
	T_OK(zk_zone_op(t.dev, ZK_OP_CLOSE, 3 * ZS, ZS));
	T_OK(zk_zone_op(t.dev, ZK_OP_OPEN, 4 * ZS, ZS));
	T_WRITE(t.dev, 5 * ZS, ZS, 5);
	T_WRITE(t.dev, 7 * ZS, BS, 7);
	t_snap_take(t.dev, &snap);

	for (i = 0; i < 4; i++) {
		enum zk_op op = ops[i];

		t_ctx("%s: offset not a zone start", opn[op]);
		T_RET(zk_zone_op(t.dev, op, 2 * ZS + BS, ZS), -EINVAL);
		T_RET(zk_zone_op(t.dev, op, 3 * ZS + 512, ZS), -EINVAL);
		T_RET(zk_zone_op(t.dev, op, 3 * ZS - BS, ZS), -EINVAL);
		T_RET(zk_zone_op(t.dev, op, 7 * ZS + BS, LAST_LEN - BS), -EINVAL);

		t_ctx("%s: length not whole zones", opn[op]);
		T_RET(zk_zone_op(t.dev, op, 2 * ZS, BS), -EINVAL);
		T_RET(zk_zone_op(t.dev, op, 2 * ZS, ZS - BS), -EINVAL);
		T_RET(zk_zone_op(t.dev, op, 2 * ZS, ZS + BS), -EINVAL);
		T_RET(zk_zone_op(t.dev, op, 2 * ZS, 2 * ZS - BS), -EINVAL);
		T_RET(zk_zone_op(t.dev, op, 7 * ZS, LAST_LEN - BS), -EINVAL);
		T_RET(zk_zone_op(t.dev, op, 6 * ZS, ZS + LAST_LEN - BS), -EINVAL);

		t_ctx("%s: past the end", opn[op]);
		T_RET(zk_zone_op(t.dev, op, 8 * ZS, ZS), -EINVAL);
		T_RET(zk_zone_op(t.dev, op, 64 * ZS, ZS), -EINVAL);
		T_RET(zk_zone_op(t.dev, op, CAP, ZS), -EINVAL);
		/* the last zone is smaller: a zone_size length runs past the end */
		T_RET(zk_zone_op(t.dev, op, 7 * ZS, ZS), -EINVAL);
		T_RET(zk_zone_op(t.dev, op, 6 * ZS, 2 * ZS), -EINVAL);
		T_RET(zk_zone_op(t.dev, op, 0, CAP + ZS), -EINVAL);
		T_RET(zk_zone_op(t.dev, op, 0, 8 * ZS), -EINVAL);
		T_RET(zk_zone_op(t.dev, op, 2 * ZS, UINT64_MAX - ZS + 1), -EINVAL);
		T_RET(zk_zone_op(t.dev, op, UINT64_MAX - ZS + 1, ZS), -EINVAL);

		t_ctx("%s: conventional zone", opn[op]);
		T_RET(zk_zone_op(t.dev, op, 0, ZS), -EIO);
		T_RET(zk_zone_op(t.dev, op, ZS, ZS), -EIO);
		T_RET(zk_zone_op(t.dev, op, 0, 2 * ZS), -EIO);

		T_SNAP_SAME(t.dev, &snap);
	}

	t_ctx("unknown operation");
	T_FAILS(zk_zone_op(t.dev, (enum zk_op)0, 2 * ZS, ZS));
	T_FAILS(zk_zone_op(t.dev, (enum zk_op)99, 2 * ZS, ZS));
	T_SNAP_SAME(t.dev, &snap);

	/* the last zone with its own length is fine */
	t_ctx("last zone, its own length");
	T_RET(zk_zone_op(t.dev, ZK_OP_FINISH, 7 * ZS, LAST_LEN), 0);
	T_ZCHECK(t.dev, 7 * ZS, ZK_COND_FULL, CAP);
	T_RET(zk_zone_op(t.dev, ZK_OP_RESET, 7 * ZS, LAST_LEN), 0);
	T_ZCHECK(t.dev, 7 * ZS, ZK_COND_EMPTY, 7 * ZS);

	t_snap_free(&snap);
	t_dev_close(&t);
	t_info("pass");
	return T_EXIT_PASS;
}
