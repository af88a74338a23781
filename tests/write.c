/* SPDX-License-Identifier: MIT */
/*
 * zk_pwrite: in a sequential zone at the wp, returning the length and moving
 * the wp; in a conventional zone anywhere, in any order, overwriting; data
 * reads back where it was written and nowhere else.
 */
#include "testlib.h"

#define ZS (1 * MiB)
#define BS (4 * KiB)

int main(void)
{
	struct zk_geometry geo;
	struct tdev t;
	uint64_t wp, z2 = 2 * ZS;
	unsigned int i;

	t_geo_default(&geo);
	geo.nr_conv_zones = 2;
	t_dev_create(&t, &geo);

	t_ctx("sequential writes at the wp");
	wp = z2;
	for (i = 1; i <= 16; i++) {
		T_WRITE(t.dev, wp, i * BS, 7);
		wp += i * BS;
		T_ZCHECK(t.dev, z2, ZK_COND_IMP_OPEN, wp);
	}
	T_DATA(t.dev, z2, wp - z2, 7);
	T_ZEROS(t.dev, wp, z2 + ZS - wp);
	/* the rest in one go: FULL */
	T_WRITE(t.dev, wp, z2 + ZS - wp, 7);
	T_ZCHECK(t.dev, z2, ZK_COND_FULL, z2 + ZS);
	T_DATA(t.dev, z2, ZS, 7);

	t_ctx("a whole zone in one write");
	T_WRITE(t.dev, 3 * ZS, ZS, 8);
	T_ZCHECK(t.dev, 3 * ZS, ZK_COND_FULL, 4 * ZS);
	T_DATA(t.dev, 3 * ZS, ZS, 8);

	t_ctx("two zones written in turn");
	for (i = 0; i < 8; i++) {
		T_WRITE(t.dev, 4 * ZS + i * BS, BS, 9);
		T_WRITE(t.dev, 5 * ZS + i * 2 * BS, 2 * BS, 10);
	}
	T_ZCHECK(t.dev, 4 * ZS, ZK_COND_IMP_OPEN, 4 * ZS + 8 * BS);
	T_ZCHECK(t.dev, 5 * ZS, ZK_COND_IMP_OPEN, 5 * ZS + 16 * BS);
	T_DATA(t.dev, 4 * ZS, 8 * BS, 9);
	T_DATA(t.dev, 5 * ZS, 16 * BS, 10);
	T_ZEROS(t.dev, 4 * ZS + 8 * BS, ZS - 8 * BS);

	t_ctx("conventional: anywhere, any order");
	T_WRITE(t.dev, ZS + 64 * BS, BS, 11);
	T_WRITE(t.dev, 5 * BS, 3 * BS, 11);
	T_WRITE(t.dev, ZS - BS, BS, 11);
	T_WRITE(t.dev, 0, BS, 11);
	T_WRITE(t.dev, ZS, ZS, 12);
	T_DATA(t.dev, 0, BS, 11);
	T_ZEROS(t.dev, BS, 4 * BS);
	T_DATA(t.dev, 5 * BS, 3 * BS, 11);
	T_ZEROS(t.dev, 8 * BS, ZS - 9 * BS);
	T_DATA(t.dev, ZS - BS, BS, 11);
	T_DATA(t.dev, ZS, ZS, 12);

	t_ctx("conventional: overwrite");
	T_WRITE(t.dev, 5 * BS, BS, 13);
	T_DATA(t.dev, 5 * BS, BS, 13);
	T_DATA(t.dev, 6 * BS, 2 * BS, 11);
	T_WRITE(t.dev, 0, ZS, 14);
	T_DATA(t.dev, 0, ZS, 14);
	T_DATA(t.dev, ZS, ZS, 12);

	t_ctx("conventional zones stay NOT_WP");
	T_ZCOND(t.dev, 0, ZK_COND_NOT_WP);
	T_ZCOND(t.dev, ZS, ZK_COND_NOT_WP);

	t_dev_close(&t);
	t_info("pass");
	return T_EXIT_PASS;
}
