/* SPDX-License-Identifier: MIT */
/*
 * zk_pread: returns the length, may span zones (conventional, sequential,
 * FULL, EMPTY), and bytes past a zone's wp read as zeros, also in the part
 * of a zone past its capacity and after a reset.
 */
#include "testlib.h"

#define ZS (1 * MiB)
#define ZCAP (768 * KiB)
#define BS (4 * KiB)
#define NZ 6
#define CAP (NZ * ZS)

int main(void)
{
	struct zk_geometry geo;
	struct tdev t;
	uint8_t *buf, *want;
	uint64_t off, len;
	ssize_t bad;

	t_geo_default(&geo);
	geo.capacity = CAP;
	geo.zone_capacity = ZCAP;
	geo.nr_conv_zones = 1;
	t_dev_create(&t, &geo);

	/* conv zone 0 all written; zone 1 partly; zone 2 FULL (capacity);
	 * zone 3 EMPTY; zone 4 finished after a little; zone 5 partly */
	T_WRITE(t.dev, 0, ZS, 1);
	T_WRITE(t.dev, 1 * ZS, 40 * KiB, 1);
	T_WRITE(t.dev, 2 * ZS, ZCAP, 1);
	T_WRITE(t.dev, 4 * ZS, 8 * KiB, 1);
	T_OK(zk_zone_op(t.dev, ZK_OP_FINISH, 4 * ZS, ZS));
	T_WRITE(t.dev, 5 * ZS, 12 * KiB, 1);

	/* what the whole device should read as */
	want = t_aligned(CAP);
	t_pat_fill(want, ZS, 0, 1);
	t_pat_fill(want + 1 * ZS, 40 * KiB, 1 * ZS, 1);
	t_pat_fill(want + 2 * ZS, ZCAP, 2 * ZS, 1);
	t_pat_fill(want + 4 * ZS, 8 * KiB, 4 * ZS, 1);
	t_pat_fill(want + 5 * ZS, 12 * KiB, 5 * ZS, 1);

	t_ctx("the whole device in one read");
	buf = t_aligned(CAP);
	memset(buf, 0xee, CAP);
	T_RET(zk_pread(t.dev, buf, CAP, 0), (long long)CAP);
	for (off = 0; off < CAP; off++)
		if (buf[off] != want[off])
			T_FAIL("byte %#" PRIx64 " is %#x, expected %#x", off,
			       buf[off], want[off]);

	t_ctx("reads across zone boundaries");
	static const uint64_t ranges[][2] = {
		{ ZS - BS, 2 * BS },            /* conv -> seq */
		{ ZS + 36 * KiB, ZS },          /* wp of zone 1 -> zone 2 */
		{ 2 * ZS + ZCAP - BS, ZS },     /* capacity of zone 2 -> zone 3 */
		{ 3 * ZS - BS, ZS + 2 * BS },   /* zone 2 -> 3 -> 4 */
		{ BS, CAP - 2 * BS },
		{ 4 * ZS, 2 * ZS },             /* up to the device end */
		{ CAP - BS, BS },
	};
	for (unsigned int i = 0; i < sizeof(ranges) / sizeof(ranges[0]); i++) {
		off = ranges[i][0];
		len = ranges[i][1];
		memset(buf, 0xee, len);
		T_RET(zk_pread(t.dev, buf, len, off), (long long)len);
		bad = -1;
		for (uint64_t j = 0; j < len; j++)
			if (buf[j] != want[off + j]) {
				bad = (ssize_t)j;
				break;
			}
		if (bad >= 0)
			T_FAIL("read %#" PRIx64 "+%#" PRIx64 ": byte %#" PRIx64
			       " is %#x, expected %#x", off, len, off + bad,
			       buf[bad], want[off + bad]);
	}

	t_ctx("zeros past the wp, past the capacity, in an EMPTY zone");
	T_ZEROS(t.dev, ZS + 40 * KiB, ZS - 40 * KiB);
	T_ZEROS(t.dev, 2 * ZS + ZCAP, ZS - ZCAP);
	T_ZEROS(t.dev, 3 * ZS, ZS);
	T_ZEROS(t.dev, 4 * ZS + 8 * KiB, ZS - 8 * KiB);
	T_ZEROS(t.dev, 5 * ZS + 12 * KiB, BS);

	t_ctx("a read does not move anything");
	T_ZCHECK(t.dev, 1 * ZS, ZK_COND_IMP_OPEN, 1 * ZS + 40 * KiB);
	T_ZCHECK(t.dev, 3 * ZS, ZK_COND_EMPTY, 3 * ZS);
	T_ZCHECK(t.dev, 2 * ZS, ZK_COND_FULL, 3 * ZS);

	t_ctx("after a reset");
	T_OK(zk_zone_op(t.dev, ZK_OP_RESET, 1 * ZS, ZS));
	T_ZEROS(t.dev, 1 * ZS, ZS);
	T_WRITE(t.dev, 1 * ZS, BS, 2);
	T_DATA(t.dev, 1 * ZS, BS, 2);
	T_ZEROS(t.dev, 1 * ZS + BS, ZS - BS);

	t_ctx("after a reopen");
	t_dev_reopen(&t, ZK_RDONLY);
	memset(want + 1 * ZS, 0, ZS);
	t_pat_fill(want + 1 * ZS, BS, 1 * ZS, 2);
	memset(buf, 0xee, CAP);
	T_RET(zk_pread(t.dev, buf, CAP, 0), (long long)CAP);
	for (off = 0; off < CAP; off++)
		if (buf[off] != want[off])
			T_FAIL("byte %#" PRIx64 " is %#x, expected %#x", off,
			       buf[off], want[off]);

	free(buf);
	free(want);
	t_dev_close(&t);
	t_info("pass");
	return T_EXIT_PASS;
}
