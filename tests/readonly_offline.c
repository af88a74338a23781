/* SPDX-License-Identifier: MIT */
/*
 * zk_set_zone_cond on the emulated device: a READONLY zone reports wp =
 * start + len, can be read (its data is still there) but not written,
 * appended to or operated on (-EIO); an OFFLINE zone reports wp = start and
 * any I/O to it fails (-EIO), also a read that only passes through it;
 * both persist across close/reopen; ZK_COND_EMPTY brings a zone back,
 * reset and writable; other conditions and conventional zones -> -EINVAL.
 */
#include "testlib.h"

#define ZS (1 * MiB)
#define BS (4 * KiB)

static struct tdev t;
static const enum zk_op ops[] = { ZK_OP_RESET, ZK_OP_OPEN, ZK_OP_CLOSE, ZK_OP_FINISH };

static void check_readonly(uint64_t z, uint64_t written, uint64_t seed)
{
	unsigned int i;

	T_ZCHECK(t.dev, z, ZK_COND_READONLY, z + ZS);
	T_DATA(t.dev, z, written, seed);
	T_ZEROS(t.dev, z + written, ZS - written);
	T_WRITE_RET(t.dev, z + written, BS, 9, -EIO);
	T_WRITE_RET(t.dev, z, BS, 9, -EIO);
	T_APPEND_RET(t.dev, z, BS, -EIO);
	for (i = 0; i < 4; i++)
		T_RET(zk_zone_op(t.dev, ops[i], z, ZS), -EIO);
	T_ZCHECK(t.dev, z, ZK_COND_READONLY, z + ZS);
	T_DATA(t.dev, z, written, seed);
}

static void check_offline(uint64_t z)
{
	uint8_t *buf = t_aligned(3 * ZS);
	unsigned int i;

	T_ZCHECK(t.dev, z, ZK_COND_OFFLINE, z);
	T_RET(zk_pread(t.dev, buf, BS, z), -EIO);
	T_RET(zk_pread(t.dev, buf, ZS, z), -EIO);
	T_RET(zk_pread(t.dev, buf, BS, z + ZS - BS), -EIO);
	/* a read that starts before and ends after it */
	T_RET(zk_pread(t.dev, buf, 3 * ZS, z - ZS), -EIO);
	T_RET(zk_pread(t.dev, buf, 2 * BS, z - BS), -EIO);
	T_WRITE_RET(t.dev, z, BS, 9, -EIO);
	T_APPEND_RET(t.dev, z, BS, -EIO);
	for (i = 0; i < 4; i++)
		T_RET(zk_zone_op(t.dev, ops[i], z, ZS), -EIO);
	T_ZCHECK(t.dev, z, ZK_COND_OFFLINE, z);
	free(buf);
}

int main(void)
{
	struct zk_geometry geo;
	uint64_t z2 = 2 * ZS, z3 = 3 * ZS, z4 = 4 * ZS, z5 = 5 * ZS, z6 = 6 * ZS;

	t_geo_default(&geo);
	t_dev_create(&t, &geo);

	/* zone 2 partly written -> READONLY; zone 3 FULL -> READONLY;
	 * zone 4 written -> OFFLINE; zone 5 EMPTY -> OFFLINE; zone 6 and 1
	 * its neighbours, written */
	T_WRITE(t.dev, z2, 5 * BS, 2);
	T_WRITE(t.dev, z3, ZS, 3);
	T_WRITE(t.dev, z4, 3 * BS, 4);
	T_WRITE(t.dev, z6, 2 * BS, 6);
	T_WRITE(t.dev, 1 * ZS, 2 * BS, 1);

	t_ctx("set READONLY");
	T_RET(zk_set_zone_cond(t.dev, z2, ZK_COND_READONLY), 0);
	T_RET(zk_set_zone_cond(t.dev, z3, ZK_COND_READONLY), 0);
	check_readonly(z2, 5 * BS, 2);
	check_readonly(z3, ZS, 3);

	t_ctx("set OFFLINE");
	T_RET(zk_set_zone_cond(t.dev, z4, ZK_COND_OFFLINE), 0);
	T_RET(zk_set_zone_cond(t.dev, z5, ZK_COND_OFFLINE), 0);
	check_offline(z4);
	check_offline(z5);

	t_ctx("neighbours unaffected");
	T_ZCHECK(t.dev, z6, ZK_COND_IMP_OPEN, z6 + 2 * BS);
	T_DATA(t.dev, z6, 2 * BS, 6);
	T_WRITE(t.dev, z6 + 2 * BS, BS, 6);
	T_ZCHECK(t.dev, 1 * ZS, ZK_COND_IMP_OPEN, 1 * ZS + 2 * BS);
	T_APPEND(t.dev, 1 * ZS, BS, 1, 1 * ZS + 2 * BS);

	t_ctx("a read across a READONLY zone");
	T_DATA(t.dev, z2, 5 * BS, 2);
	{
		uint8_t *buf = t_aligned(2 * ZS);

		T_RET(zk_pread(t.dev, buf, 2 * ZS, z2), (long long)(2 * ZS));
		T_ASSERT(t_pat_find_bad(buf, 5 * BS, z2, 2) < 0);
		T_ASSERT(t_find_nonzero(buf + 5 * BS, ZS - 5 * BS) < 0);
		T_ASSERT(t_pat_find_bad(buf + ZS, ZS, z3, 3) < 0);
		free(buf);
	}

	t_ctx("after zk_close/zk_open");
	t_dev_reopen(&t, 0);
	check_readonly(z2, 5 * BS, 2);
	check_readonly(z3, ZS, 3);
	check_offline(z4);
	check_offline(z5);
	t_ctx("after zk_close/zk_open read-only");
	t_dev_reopen(&t, ZK_RDONLY);
	T_ZCHECK(t.dev, z2, ZK_COND_READONLY, z2 + ZS);
	T_ZCHECK(t.dev, z4, ZK_COND_OFFLINE, z4);
	T_DATA(t.dev, z3, ZS, 3);
	t_dev_reopen(&t, 0);

	t_ctx("all-zone operations");
	/* conditions of READONLY/OFFLINE zones are not changed by "all" */
	T_OK(zk_zone_op(t.dev, ZK_OP_FINISH, 0, 8 * ZS));
	T_ZCHECK(t.dev, z2, ZK_COND_READONLY, z2 + ZS);
	T_ZCHECK(t.dev, z4, ZK_COND_OFFLINE, z4);
	T_OK(zk_zone_op(t.dev, ZK_OP_RESET, 0, 8 * ZS));
	T_ZCHECK(t.dev, z2, ZK_COND_READONLY, z2 + ZS);
	T_ZCHECK(t.dev, z4, ZK_COND_OFFLINE, z4);
	T_DATA(t.dev, z2, 5 * BS, 2);
	T_ZCHECK(t.dev, z6, ZK_COND_EMPTY, z6);

	t_ctx("back to EMPTY");
	T_RET(zk_set_zone_cond(t.dev, z2, ZK_COND_EMPTY), 0);
	T_RET(zk_set_zone_cond(t.dev, z4, ZK_COND_EMPTY), 0);
	T_ZCHECK(t.dev, z2, ZK_COND_EMPTY, z2);
	T_ZCHECK(t.dev, z4, ZK_COND_EMPTY, z4);
	T_ZEROS(t.dev, z2, ZS);
	T_ZEROS(t.dev, z4, ZS);
	T_WRITE(t.dev, z2, BS, 22);
	T_APPEND(t.dev, z4, BS, 44, z4);
	T_ZCHECK(t.dev, z2, ZK_COND_IMP_OPEN, z2 + BS);
	T_ZCHECK(t.dev, z4, ZK_COND_IMP_OPEN, z4 + BS);

	t_ctx("back to EMPTY persists");
	t_dev_reopen(&t, 0);
	T_ZCHECK(t.dev, z2, ZK_COND_IMP_OPEN, z2 + BS);
	T_ZCHECK(t.dev, z4, ZK_COND_IMP_OPEN, z4 + BS);
	T_DATA(t.dev, z2, BS, 22);
	T_DATA(t.dev, z4, BS, 44);
	check_readonly(z3, ZS, 3);
	check_offline(z5);

	t_ctx("bad arguments");
	T_FAILS(zk_set_zone_cond(t.dev, z6 + BS, ZK_COND_OFFLINE));
	T_FAILS(zk_set_zone_cond(t.dev, 8 * ZS, ZK_COND_OFFLINE));
	T_RET(zk_set_zone_cond(t.dev, z6, ZK_COND_FULL), -EINVAL);
	T_RET(zk_set_zone_cond(t.dev, z6, ZK_COND_IMP_OPEN), -EINVAL);
	T_RET(zk_set_zone_cond(t.dev, z6, ZK_COND_CLOSED), -EINVAL);
	T_RET(zk_set_zone_cond(t.dev, z6, ZK_COND_NOT_WP), -EINVAL);
	T_ZCHECK(t.dev, z6, ZK_COND_EMPTY, z6);
	t_ctx("conventional zone");
	T_WRITE(t.dev, 0, BS, 1);
	T_RET(zk_set_zone_cond(t.dev, 0, ZK_COND_READONLY), -EINVAL);
	T_RET(zk_set_zone_cond(t.dev, 0, ZK_COND_OFFLINE), -EINVAL);
	T_RET(zk_set_zone_cond(t.dev, 0, ZK_COND_EMPTY), -EINVAL);
	T_ZCOND(t.dev, 0, ZK_COND_NOT_WP);
	T_DATA(t.dev, 0, BS, 1);

	t_dev_close(&t);
	t_info("pass");
	return T_EXIT_PASS;
}
