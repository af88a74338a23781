/* SPDX-License-Identifier: MIT */
/*
 * Open and active zone limits, null_blk rules (max_open M, max_active A):
 *  - a write (or append) to an EMPTY zone needs an active slot
 *    (open + closed < A), else -EOVERFLOW;
 *  - then an EMPTY or CLOSED zone needs an open slot: fine if open < M;
 *    else, if some zone is implicitly open and the active check
 *    (open + closed < A) passes, one implicitly open zone is closed to make
 *    room; else -ETOOMANYREFS;
 *  - an explicit open, and a finish of an EMPTY or CLOSED zone, follow the
 *    same rule;
 *  - FULL zones hold nothing, CLOSED zones hold an active slot.
 * Each scenario is chosen so that at most one zone is implicitly open when
 * one must be closed: which one is closed is not specified.
 */
#include "testlib.h"

#define ZS (1 * MiB)
#define BS (4 * KiB)
#define NZ 8 /* zone 0 conventional, 1..7 sequential */

static struct tdev t;
static uint64_t written[NZ]; /* bytes written to each zone */

static uint64_t zst(unsigned int z) { return (uint64_t)z * ZS; }

static void wr(unsigned int z)
{
	T_WRITE(t.dev, zst(z) + written[z], BS, z);
	written[z] += BS;
}

static void app(unsigned int z)
{
	T_APPEND(t.dev, zst(z), BS, z, zst(z) + written[z]);
	written[z] += BS;
}

static void op(enum zk_op o, unsigned int z)
{
	T_RET(zk_zone_op(t.dev, o, zst(z), ZS), 0);
	if (o == ZK_OP_RESET)
		written[z] = 0;
}

/* Zones 1..7 must be in these conditions: E(MPTY) I(MP_OPEN) X (EXP_OPEN)
 * C(LOSED) F(ULL); and every wp and byte of data where it should be. */
#define EXPECT(s) expect_at(__FILE__, __LINE__, (s))
static void expect_at(const char *file, int line, const char *s)
{
	unsigned int z, cond;

	if (strlen(s) != NZ - 1)
		t_fail_at(file, line, "bad expectation \"%s\"", s);
	for (z = 1; z < NZ; z++) {
		uint64_t wp = zst(z) + written[z];

		switch (s[z - 1]) {
		case 'E': cond = ZK_COND_EMPTY; break;
		case 'I': cond = ZK_COND_IMP_OPEN; break;
		case 'X': cond = ZK_COND_EXP_OPEN; break;
		case 'C': cond = ZK_COND_CLOSED; break;
		case 'F': cond = ZK_COND_FULL; wp = zst(z) + ZS; break;
		default: t_fail_at(file, line, "bad expectation \"%s\"", s);
		}
		t_zcheck_at(file, line, t.dev, zst(z), cond, wp);
		if (written[z])
			t_data_at(file, line, t.dev, zst(z), written[z], z);
	}
}

/* A write, append, open or finish that must fail with @err and change
 * nothing. */
static void refused(unsigned int z, int err)
{
	struct t_snap snap;

	t_snap_take(t.dev, &snap);
	T_WRITE_RET(t.dev, zst(z) + written[z], BS, z, err);
	T_APPEND_RET(t.dev, zst(z), BS, err);
	T_RET(zk_zone_op(t.dev, ZK_OP_OPEN, zst(z), ZS), err);
	T_RET(zk_zone_op(t.dev, ZK_OP_FINISH, zst(z), ZS), err);
	T_SNAP_SAME(t.dev, &snap);
	t_snap_free(&snap);
}

static void setup(uint32_t max_open, uint32_t max_active)
{
	struct zk_geometry geo;

	t_dev_close(&t);
	t_geo_default(&geo);
	geo.max_open = max_open;
	geo.max_active = max_active;
	t_dev_create(&t, &geo);
	memset(written, 0, sizeof(written));
	T_EQ(t.info.max_open, max_open);
	T_EQ(t.info.max_active, max_active);
}

static void open_limit_only(void)
{
	setup(2, 0);
	t_ctx("M=2: under the limit");
	wr(1);
	op(ZK_OP_OPEN, 2);
	EXPECT("IXEEEEE");

	t_ctx("M=2: a write to an EMPTY zone closes the implicitly open zone");
	wr(3);
	EXPECT("CXIEEEE");

	t_ctx("M=2: an explicit open closes the implicitly open zone");
	op(ZK_OP_OPEN, 4);
	EXPECT("CXCXEEE");

	t_ctx("M=2: all open zones explicit: -ETOOMANYREFS");
	refused(5, -ETOOMANYREFS);        /* EMPTY zone */
	refused(1, -ETOOMANYREFS);        /* CLOSED zone */
	EXPECT("CXCXEEE");

	t_ctx("M=2: writes to explicitly open zones need nothing");
	wr(2);
	wr(4);
	app(2);
	EXPECT("CXCXEEE");

	t_ctx("M=2: conventional zones need nothing");
	T_WRITE(t.dev, 0, BS, 99);

	t_ctx("M=2: close of CLOSED is a no-op, reset frees nothing open");
	op(ZK_OP_CLOSE, 1);
	op(ZK_OP_RESET, 1);
	EXPECT("EXCXEEE");
	refused(1, -ETOOMANYREFS);

	t_ctx("M=2: close frees an open slot");
	op(ZK_OP_CLOSE, 4);
	EXPECT("EXCCEEE");
	wr(5);
	EXPECT("EXCCIEE");

	t_ctx("M=2: and the next EMPTY zone closes it again");
	wr(6);
	EXPECT("EXCCCIE");

	t_ctx("M=2: finish of an open zone frees a slot");
	op(ZK_OP_FINISH, 2);
	EXPECT("EFCCCIE");

	t_ctx("M=2: finish of an EMPTY zone under the limit");
	op(ZK_OP_FINISH, 1);
	EXPECT("FFCCCIE");

	t_ctx("M=2: finish of a CLOSED zone closes the implicitly open zone");
	op(ZK_OP_OPEN, 7);
	EXPECT("FFCCCIX");
	op(ZK_OP_FINISH, 3);
	EXPECT("FFFCCCX");

	t_ctx("M=2: a zone written to capacity frees its slot");
	wr(6);
	EXPECT("FFFCCIX");
	T_WRITE(t.dev, zst(6) + written[6], ZS - written[6], 6);
	written[6] = ZS;
	EXPECT("FFFCCFX");
	wr(4);
	EXPECT("FFFICFX");

	t_ctx("M=2: a write to a CLOSED zone closes the implicitly open zone");
	wr(5);
	EXPECT("FFFCIFX");
	app(4);
	EXPECT("FFFICFX");

	t_ctx("M=2: open of an IMP_OPEN zone needs nothing");
	op(ZK_OP_OPEN, 4);
	EXPECT("FFFXCFX");
	refused(5, -ETOOMANYREFS);
}

static void open_limit_one(void)
{
	unsigned int i;

	setup(1, 0);
	t_ctx("M=1: two zones written in turn");
	for (i = 0; i < 8; i++) {
		wr(1);
		EXPECT(i ? "ICEEEEE" : "IEEEEEE");
		app(2);
		EXPECT("CIEEEEE");
	}
	t_ctx("M=1: an explicit open shuts everyone else out");
	op(ZK_OP_OPEN, 3);
	EXPECT("CCXEEEE");
	refused(1, -ETOOMANYREFS);
	refused(4, -ETOOMANYREFS);
	op(ZK_OP_CLOSE, 3); /* nothing written: EMPTY */
	EXPECT("CCEEEEE");
	wr(1);
	EXPECT("ICEEEEE");
}

static void active_limit_only(void)
{
	setup(0, 2);
	t_ctx("A=2: under the limit");
	wr(1);
	wr(2);
	EXPECT("IIEEEEE");

	t_ctx("A=2: a third zone: -EOVERFLOW");
	refused(3, -EOVERFLOW);
	EXPECT("IIEEEEE");

	t_ctx("A=2: a CLOSED zone still holds its slot");
	op(ZK_OP_CLOSE, 1);
	EXPECT("CIEEEEE");
	refused(3, -EOVERFLOW);

	t_ctx("A=2: writes to a CLOSED zone need no new slot");
	wr(1);
	EXPECT("IIEEEEE");
	op(ZK_OP_OPEN, 1);
	op(ZK_OP_CLOSE, 1);
	op(ZK_OP_OPEN, 1);
	EXPECT("XIEEEEE");

	t_ctx("A=2: FULL frees the slot");
	op(ZK_OP_FINISH, 2);
	EXPECT("XFEEEEE");
	app(3);
	EXPECT("XFIEEEE");
	refused(4, -EOVERFLOW);

	t_ctx("A=2: reset frees the slot");
	op(ZK_OP_RESET, 3);
	EXPECT("XFEEEEE");
	op(ZK_OP_OPEN, 4);
	EXPECT("XFEXEEE");
	refused(5, -EOVERFLOW);

	t_ctx("A=2: close of an unwritten zone frees the slot");
	op(ZK_OP_CLOSE, 4);
	EXPECT("XFEEEEE");
	wr(5);
	EXPECT("XFEEIEE");

	t_ctx("A=2: finish of an EMPTY zone");
	refused(6, -EOVERFLOW);
	op(ZK_OP_FINISH, 1);
	EXPECT("FFEEIEE");
	op(ZK_OP_FINISH, 6);
	EXPECT("FFEEIFE");
}

static void both_limits(void)
{
	setup(2, 3);
	t_ctx("M=2 A=3: fill up");
	wr(1);
	op(ZK_OP_OPEN, 2);
	EXPECT("IXEEEEE");
	wr(3); /* active 2 < 3: closes zone 1 */
	EXPECT("CXIEEEE");

	t_ctx("M=2 A=3: EMPTY zone, no active slot: -EOVERFLOW");
	refused(4, -EOVERFLOW);

	t_ctx("M=2 A=3: CLOSED zone, open full, active check fails: -ETOOMANYREFS");
	/* an implicitly open zone exists (3), but closing it would not pass
	 * the active check (open + closed = 3, not < 3) */
	refused(1, -ETOOMANYREFS);
	EXPECT("CXIEEEE");

	t_ctx("M=2 A=3: FULL frees both");
	op(ZK_OP_FINISH, 3);
	EXPECT("CXFEEEE");
	wr(1);
	EXPECT("IXFEEEE");
	wr(4); /* active 2 < 3, open full: closes zone 1 */
	EXPECT("CXFIEEE");
	refused(5, -EOVERFLOW);
	refused(1, -ETOOMANYREFS);

	t_ctx("M=2 A=3: close an explicitly open zone");
	wr(2);
	EXPECT("CXFIEEE");
	op(ZK_OP_CLOSE, 2);
	EXPECT("CCFIEEE");
	refused(5, -EOVERFLOW);
	wr(2);
	EXPECT("CIFIEEE");
	op(ZK_OP_RESET, 1);
	EXPECT("EIFIEEE");
	/* EMPTY: active 2 < 3; open full: close one of the two IMP zones
	 * (which one is not specified) */
	wr(5);
	{
		struct zk_zone a = T_ZONE(t.dev, zst(2)), b = T_ZONE(t.dev, zst(4));

		T_ASSERT((a.cond == ZK_COND_CLOSED && b.cond == ZK_COND_IMP_OPEN) ||
			 (a.cond == ZK_COND_IMP_OPEN && b.cond == ZK_COND_CLOSED));
		T_ZCOND(t.dev, zst(5), ZK_COND_IMP_OPEN);
	}
	refused(6, -EOVERFLOW);
}

int main(void)
{
	open_limit_only();
	open_limit_one();
	active_limit_only();
	both_limits();
	t_dev_close(&t);
	t_info("pass");
	return T_EXIT_PASS;
}
