/* SPDX-License-Identifier: MIT */
/*
 * Conventional zones: type CONVENTIONAL, cond NOT_WP; random writes
 * anywhere (any order, overwrites) land where they were written and stay
 * across a reopen; appends -EIO; zone operations -EIO; writes never change
 * the reported zone; a write may not cross into the next zone.
 */
#include "testlib.h"

#define ZS (256 * KiB)
#define BS (4 * KiB)
#define NCONV 3
#define NBLK (NCONV * ZS / BS)

int main(void)
{
	struct zk_geometry geo;
	struct tdev t;
	uint32_t owner[NBLK]; /* seed of the last write to each block, 0 none */
	uint64_t rnd = 0x1234567;
	struct zk_zone before[NCONV], z;
	unsigned int i, b, n, k;
	uint8_t *buf;

	t_geo_default(&geo);
	geo.zone_size = ZS;
	geo.capacity = 8 * ZS;
	geo.nr_conv_zones = NCONV;
	t_dev_create(&t, &geo);
	memset(owner, 0, sizeof(owner));

	t_ctx("report");
	for (i = 0; i < NCONV; i++) {
		before[i] = T_ZONE(t.dev, i * ZS);
		T_EQ(before[i].start, i * ZS);
		T_EQ(before[i].len, ZS);
		T_EQ(before[i].type, ZK_ZONE_CONVENTIONAL);
		T_EQ(before[i].cond, ZK_COND_NOT_WP);
		T_EQ(before[i].wp, i * ZS + ZS);
	}
	z = T_ZONE(t.dev, NCONV * ZS);
	T_EQ(z.type, ZK_ZONE_SEQ_REQUIRED);
	T_ZEROS(t.dev, 0, NCONV * ZS);

	t_ctx("random writes");
	for (i = 1; i <= 300; i++) {
		uint64_t zi = t_rand(&rnd) % NCONV;
		uint64_t maxn = ZS / BS;

		b = (unsigned int)(t_rand(&rnd) % maxn);
		n = 1 + (unsigned int)(t_rand(&rnd) % 8);
		if (b + n > maxn)
			n = (unsigned int)(maxn - b);
		b += (unsigned int)(zi * maxn);
		/* every block of one write gets the same seed i, laid out
		 * for its own offset */
		T_WRITE(t.dev, (uint64_t)b * BS, (size_t)n * BS, i);
		for (k = 0; k < n; k++)
			owner[b + k] = i;
	}

	t_ctx("read back (after random writes)");
	for (int pass = 0; pass < 2; pass++) {
		buf = t_aligned(NCONV * ZS);
		T_RET(zk_pread(t.dev, buf, NCONV * ZS, 0), (long long)(NCONV * ZS));
		for (b = 0; b < NBLK; b++) {
			const uint8_t *p = buf + (size_t)b * BS;
			ssize_t bad = owner[b] ? t_pat_find_bad(p, BS, (uint64_t)b * BS, owner[b])
					       : t_find_nonzero(p, BS);
			if (bad >= 0)
				T_FAIL("block %u (offset %#x): wrong data at +%#zx "
				       "(last written with seed %u)", b, b * (unsigned)BS,
				       (size_t)bad, owner[b]);
		}
		free(buf);
		if (pass == 0) {
			t_ctx("read back (after reopen)");
			t_dev_reopen(&t, 0);
		}
	}

	t_ctx("zones unchanged by writes");
	for (i = 0; i < NCONV; i++) {
		z = T_ZONE(t.dev, i * ZS);
		T_EQ(z.start, before[i].start);
		T_EQ(z.len, before[i].len);
		T_EQ(z.capacity, before[i].capacity);
		T_EQ(z.wp, before[i].wp);
		T_EQ(z.type, ZK_ZONE_CONVENTIONAL);
		T_EQ(z.cond, ZK_COND_NOT_WP);
	}

	t_ctx("appends and zone operations refused");
	for (i = 0; i < NCONV; i++) {
		T_APPEND_RET(t.dev, i * ZS, BS, -EIO);
		T_RET(zk_zone_op(t.dev, ZK_OP_RESET, i * ZS, ZS), -EIO);
		T_RET(zk_zone_op(t.dev, ZK_OP_OPEN, i * ZS, ZS), -EIO);
		T_RET(zk_zone_op(t.dev, ZK_OP_CLOSE, i * ZS, ZS), -EIO);
		T_RET(zk_zone_op(t.dev, ZK_OP_FINISH, i * ZS, ZS), -EIO);
	}

	t_ctx("no write across a zone boundary");
	T_WRITE_RET(t.dev, ZS - BS, 2 * BS, 9, -EINVAL);
	T_WRITE_RET(t.dev, NCONV * ZS - BS, 2 * BS, 9, -EINVAL); /* into seq */
	T_WRITE_RET(t.dev, 0, 2 * ZS, 9, -EINVAL);

	t_ctx("last block of the last conventional zone, first of the next");
	T_WRITE(t.dev, NCONV * ZS - BS, BS, 500);
	T_WRITE(t.dev, NCONV * ZS, BS, 501);
	T_DATA(t.dev, NCONV * ZS - BS, BS, 500);
	T_DATA(t.dev, NCONV * ZS, BS, 501);
	T_ZCHECK(t.dev, NCONV * ZS, ZK_COND_IMP_OPEN, NCONV * ZS + BS);

	t_ctx("the sequential zone after them keeps its own rules");
	T_WRITE_RET(t.dev, NCONV * ZS, BS, 9, -EIO);

	t_dev_close(&t);
	t_info("pass");
	return T_EXIT_PASS;
}
