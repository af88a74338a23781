/* SPDX-License-Identifier: MIT */
/*
 * 512-byte logical blocks: 512-byte writes and appends at 512-byte offsets
 * work, smaller or misaligned ones are -EINVAL; a zone capacity and a last
 * zone that are not 4 KiB multiples work.
 */
#include "testlib.h"

#define ZS (256 * KiB)
#define ZCAP (ZS - 1536)     /* 3 blocks short of the zone size */
#define LAST_LEN (4608)      /* 9 blocks */
#define BS 512

int main(void)
{
	struct zk_geometry geo;
	struct tdev t;
	uint64_t z1 = ZS, z2 = 2 * ZS, last = 4 * ZS, wp;
	struct zk_zone z;
	unsigned int i;

	t_geo_default(&geo);
	geo.block_size = BS;
	geo.zone_size = ZS;
	geo.zone_capacity = ZCAP;
	geo.capacity = 4 * ZS + LAST_LEN;
	geo.nr_conv_zones = 1;
	t_dev_create(&t, &geo);
	T_EQ(t.info.block_size, BS);
	T_EQ(t.info.nr_zones, 5);

	t_ctx("conventional zone: 512-byte writes anywhere");
	T_WRITE(t.dev, 512, BS, 1);
	T_WRITE(t.dev, 3 * 512, 3 * BS, 1);
	T_WRITE(t.dev, ZS - 512, BS, 1);
	T_DATA(t.dev, 512, BS, 1);
	T_ZEROS(t.dev, 1024, 512);
	T_DATA(t.dev, 1536, 3 * BS, 1);
	T_DATA(t.dev, ZS - 512, 512, 1);
	T_WRITE_RET(t.dev, 256, BS, 9, -EINVAL);
	T_WRITE_RET(t.dev, 512, 256, 9, -EINVAL);
	T_WRITE_RET(t.dev, 512, 700, 9, -EINVAL);

	t_ctx("sequential zone: single blocks");
	wp = z1;
	for (i = 0; i < 64; i++) {
		if (i & 1)
			T_APPEND(t.dev, z1, BS, 2, wp);
		else
			T_WRITE(t.dev, wp, BS, 2);
		wp += BS;
	}
	T_ZCHECK(t.dev, z1, ZK_COND_IMP_OPEN, wp);
	T_DATA(t.dev, z1, wp - z1, 2);
	T_WRITE_RET(t.dev, wp + 512, BS, 9, -EIO);
	T_WRITE_RET(t.dev, wp, 256, 9, -EINVAL);
	T_WRITE_RET(t.dev, wp + 256, BS, 9, -EINVAL);
	T_APPEND_RET(t.dev, z1, 1000, -EINVAL);
	T_APPEND_RET(t.dev, z1 + 512, BS, -EINVAL);
	T_ZCHECK(t.dev, z1, ZK_COND_IMP_OPEN, wp);

	t_ctx("a capacity that is not a multiple of 4 KiB");
	z = T_ZONE(t.dev, z2);
	T_EQ(z.capacity, ZCAP);
	T_WRITE(t.dev, z2, ZCAP - 2 * BS, 3);
	T_APPEND_RET(t.dev, z2, 3 * BS, -EIO);
	T_APPEND(t.dev, z2, BS, 3, z2 + ZCAP - 2 * BS);
	T_WRITE(t.dev, z2 + ZCAP - BS, BS, 3);
	T_ZCHECK(t.dev, z2, ZK_COND_FULL, z2 + ZS);
	T_DATA(t.dev, z2, ZCAP, 3);
	T_ZEROS(t.dev, z2 + ZCAP, ZS - ZCAP);

	t_ctx("a last zone of 9 blocks");
	z = T_ZONE(t.dev, last);
	T_EQ(z.len, LAST_LEN);
	T_EQ(z.capacity, LAST_LEN);
	T_APPEND(t.dev, last, 4 * BS, 4, last);
	T_APPEND(t.dev, last, 4 * BS, 4, last + 4 * BS);
	T_WRITE_RET(t.dev, last + 8 * BS, 2 * BS, 9, -EINVAL);
	T_APPEND(t.dev, last, BS, 4, last + 8 * BS);
	T_ZCHECK(t.dev, last, ZK_COND_FULL, last + LAST_LEN);
	T_DATA(t.dev, last, LAST_LEN, 4);

	t_ctx("reopen");
	t_dev_reopen(&t, 0);
	T_ZCHECK(t.dev, z1, ZK_COND_IMP_OPEN, wp);
	T_ZCHECK(t.dev, z2, ZK_COND_FULL, z2 + ZS);
	T_ZCHECK(t.dev, last, ZK_COND_FULL, last + LAST_LEN);
	T_DATA(t.dev, z1, wp - z1, 2);
	T_DATA(t.dev, last, LAST_LEN, 4);
	T_WRITE(t.dev, wp, BS, 2);
	T_ZCHECK(t.dev, z1, ZK_COND_IMP_OPEN, wp + BS);

	t_dev_close(&t);
	t_info("pass");
	return T_EXIT_PASS;
}
