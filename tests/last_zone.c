/* SPDX-License-Identifier: MIT */
/*
 * A device whose capacity is not a multiple of the zone size: the last zone
 * is smaller (len = capacity - start, capacity = min(zone_capacity, len)),
 * can be written and appended to its end, is FULL with wp = start + len,
 * and nothing goes past the device end (-EINVAL).  Two devices: one whose
 * last zone is smaller than zone_capacity, one whose last zone is larger.
 */
#include "testlib.h"

#define ZS (1 * MiB)
#define BS (4 * KiB)

static void run(uint64_t last_len, uint64_t zcap)
{
	struct zk_geometry geo;
	struct tdev t;
	struct zk_zone z;
	struct t_snap snap;
	uint64_t last = 4 * ZS, cap = last + last_len;
	uint64_t zc = zcap ? zcap : ZS;
	uint64_t lcap = zc < last_len ? zc : last_len;
	uint64_t landed;
	unsigned int nr;
	struct zk_zone zones[8];
	uint8_t *buf;

	t_ctx("last zone %#" PRIx64 ", zone capacity %#" PRIx64, last_len, zcap);
	t_geo_default(&geo);
	geo.capacity = cap;
	geo.zone_capacity = zcap;
	t_dev_create(&t, &geo);
	T_EQ(t.info.nr_zones, 5);
	T_EQ(t.info.capacity, cap);

	nr = 8;
	T_RET(zk_report(t.dev, 0, zones, &nr), 0);
	T_EQ(nr, 5);
	z = zones[4];
	T_EQ(z.start, last);
	T_EQ(z.len, last_len);
	T_EQ(z.capacity, lcap);
	T_EQ(z.wp, last);
	T_EQ(z.cond, ZK_COND_EMPTY);
	T_EQ(z.type, ZK_ZONE_SEQ_REQUIRED);
	T_EQ(zones[3].len, ZS);
	T_EQ(zones[3].capacity, zc);

	/* past the device end: -EINVAL */
	t_snap_take(t.dev, &snap);
	T_WRITE_RET(t.dev, cap, BS, 9, -EINVAL);
	T_WRITE_RET(t.dev, last + ZS - BS, BS, 9, -EINVAL); /* inside the zone size, past the end */
	T_WRITE_RET(t.dev, last, ZS, 9, -EINVAL);
	T_WRITE_RET(t.dev, last, last_len + BS, 9, -EINVAL);
	T_RET(zk_zone_op(t.dev, ZK_OP_FINISH, last, ZS), -EINVAL);
	T_SNAP_SAME(t.dev, &snap);
	t_snap_free(&snap);

	/* write all but one block, then append the last */
	if (lcap > BS) {
		T_WRITE(t.dev, last, lcap - BS, 1);
		T_ZCHECK(t.dev, last, ZK_COND_IMP_OPEN, last + lcap - BS);
	}
	t_snap_take(t.dev, &snap);
	T_WRITE_RET(t.dev, last + lcap - BS, 2 * BS,
		    9, lcap == last_len ? -EINVAL : -EIO);
	/* (an append longer than the whole zone: append_oversize.c) */
	if (lcap > BS)
		T_APPEND_RET(t.dev, last, 2 * BS, -EIO);
	T_SNAP_SAME(t.dev, &snap);
	t_snap_free(&snap);
	T_APPEND(t.dev, last, BS, 1, last + lcap - BS);
	T_ZCHECK(t.dev, last, ZK_COND_FULL, cap);
	T_DATA(t.dev, last, lcap, 1);
	if (lcap < last_len)
		T_ZEROS(t.dev, last + lcap, last_len - lcap);
	T_APPEND_RET(t.dev, last, BS, -EIO);

	/* a read up to the device end */
	buf = t_aligned(2 * ZS);
	T_RET(zk_pread(t.dev, buf, ZS + last_len, 3 * ZS), (long long)(ZS + last_len));
	T_ASSERT(t_pat_find_bad(buf + ZS, lcap, last, 1) < 0);
	free(buf);

	/* reset, finish, reset with the zone's own length; "all" */
	T_OK(zk_zone_op(t.dev, ZK_OP_RESET, last, last_len));
	T_ZCHECK(t.dev, last, ZK_COND_EMPTY, last);
	T_OK(zk_zone_op(t.dev, ZK_OP_FINISH, last, last_len));
	T_ZCHECK(t.dev, last, ZK_COND_FULL, cap);
	T_OK(zk_zone_op(t.dev, ZK_OP_RESET, 0, cap));
	T_ZCHECK(t.dev, last, ZK_COND_EMPTY, last);
	T_ZEROS(t.dev, last, last_len);

	/* the whole capacity in one append; then reopen */
	{
		uint8_t *b = t_aligned(lcap);

		t_pat_fill(b, lcap, last, 2);
		T_RET(zk_append(t.dev, last, b, lcap, &landed), 0);
		T_EQ(landed, last);
		free(b);
	}
	T_ZCHECK(t.dev, last, ZK_COND_FULL, cap);
	t_dev_reopen(&t, 0);
	T_ZCHECK(t.dev, last, ZK_COND_FULL, cap);
	T_DATA(t.dev, last, lcap, 2);
	T_EQ(t.info.nr_zones, 5);

	/* a partly written last zone comes back as it was (IMP_OPEN) */
	T_OK(zk_zone_op(t.dev, ZK_OP_RESET, last, last_len));
	T_WRITE(t.dev, last, BS, 3);
	t_dev_reopen(&t, 0);
	T_ZCHECK(t.dev, last, lcap > BS ? ZK_COND_IMP_OPEN : ZK_COND_FULL,
		 lcap > BS ? last + BS : cap);
	T_DATA(t.dev, last, BS, 3);

	t_dev_close(&t);
}

int main(void)
{
	run(256 * KiB, 0);           /* capacity = len = 256K */
	run(256 * KiB, 768 * KiB);   /* len 256K < zone capacity */
	run(896 * KiB, 512 * KiB);   /* len 896K > zone capacity 512K */
	run(BS, 0);                  /* a single block */
	t_info("pass");
	return T_EXIT_PASS;
}
