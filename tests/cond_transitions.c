/* SPDX-License-Identifier: MIT */
/*
 * Zone condition transitions of one zone (no limits), the null_blk model:
 *   write/append: EMPTY, CLOSED -> IMP_OPEN; open zones stay; reaching the
 *     zone capacity -> FULL (wp start + len); FULL -> -EIO
 *   open:   EMPTY, IMP_OPEN, CLOSED -> EXP_OPEN; EXP_OPEN no-op; FULL -EIO
 *   close:  IMP/EXP_OPEN -> CLOSED, or EMPTY if nothing written; CLOSED
 *           no-op; EMPTY, FULL -EIO
 *   finish: EMPTY, IMP/EXP_OPEN, CLOSED -> FULL; FULL no-op
 *   reset:  any -> EMPTY, wp = start, data gone
 * Every failed operation changes nothing.
 */
#include "testlib.h"

#define ZS (1 * MiB)
#define BS (4 * KiB)

static struct tdev t;
static uint64_t zs; /* the zone under test */
static uint64_t seed = 100;

enum state { S_EMPTY, S_IMP, S_EXP0, S_EXP, S_CLOSED, S_FULL, S_FULL_CAP, NSTATES };
static const char *const state_name[] = {
	"EMPTY", "IMP_OPEN", "EXP_OPEN (nothing written)", "EXP_OPEN (written)",
	"CLOSED", "FULL (finished)", "FULL (written to capacity)",
};
/* what each state has written */
static const uint64_t state_written[] = { 0, BS, 0, 2 * BS, 3 * BS, BS, ZS };

/* Bring the zone to @s from whatever it is, checking each step. */
static void make(enum state s)
{
	T_OK(zk_zone_op(t.dev, ZK_OP_RESET, zs, ZS));
	T_ZCHECK(t.dev, zs, ZK_COND_EMPTY, zs);
	seed++;
	switch (s) {
	case S_EMPTY:
		break;
	case S_IMP:
		T_WRITE(t.dev, zs, BS, seed);
		T_ZCHECK(t.dev, zs, ZK_COND_IMP_OPEN, zs + BS);
		break;
	case S_EXP0:
		T_OK(zk_zone_op(t.dev, ZK_OP_OPEN, zs, ZS));
		T_ZCHECK(t.dev, zs, ZK_COND_EXP_OPEN, zs);
		break;
	case S_EXP:
		T_OK(zk_zone_op(t.dev, ZK_OP_OPEN, zs, ZS));
		T_WRITE(t.dev, zs, BS, seed);
		T_APPEND(t.dev, zs, BS, seed, zs + BS);
		T_ZCHECK(t.dev, zs, ZK_COND_EXP_OPEN, zs + 2 * BS);
		break;
	case S_CLOSED:
		T_APPEND(t.dev, zs, 2 * BS, seed, zs);
		T_WRITE(t.dev, zs + 2 * BS, BS, seed);
		T_ZCHECK(t.dev, zs, ZK_COND_IMP_OPEN, zs + 3 * BS);
		T_OK(zk_zone_op(t.dev, ZK_OP_CLOSE, zs, ZS));
		T_ZCHECK(t.dev, zs, ZK_COND_CLOSED, zs + 3 * BS);
		break;
	case S_FULL:
		T_WRITE(t.dev, zs, BS, seed);
		T_OK(zk_zone_op(t.dev, ZK_OP_FINISH, zs, ZS));
		T_ZCHECK(t.dev, zs, ZK_COND_FULL, zs + ZS);
		break;
	case S_FULL_CAP:
		T_WRITE(t.dev, zs, ZS - BS, seed);
		T_ZCHECK(t.dev, zs, ZK_COND_IMP_OPEN, zs + ZS - BS);
		T_WRITE(t.dev, zs + ZS - BS, BS, seed);
		T_ZCHECK(t.dev, zs, ZK_COND_FULL, zs + ZS);
		break;
	default:
		T_FAIL("bad state");
	}
	/* the data written so far is there, the rest reads zero */
	if (state_written[s])
		T_DATA(t.dev, zs, state_written[s], seed);
	if (state_written[s] < ZS)
		T_ZEROS(t.dev, zs + state_written[s], ZS - state_written[s]);
}

/* Expected outcome of an operation: a result, and the condition and wp
 * relative to the zone start (ignored when result < 0: nothing changes). */
struct outcome {
	int ret;
	unsigned int cond;
	uint64_t wp;
};

static void run_op(enum state s, enum zk_op op, const char *opname,
		   struct outcome o)
{
	struct t_snap snap;

	t_ctx("%s on %s", opname, state_name[s]);
	make(s);
	if (o.ret < 0) {
		t_snap_take(t.dev, &snap);
		T_RET(zk_zone_op(t.dev, op, zs, ZS), o.ret);
		T_SNAP_SAME(t.dev, &snap);
		t_snap_free(&snap);
		return;
	}
	T_RET(zk_zone_op(t.dev, op, zs, ZS), 0);
	T_ZCHECK(t.dev, zs, o.cond, zs + o.wp);
	/* the data stays unless reset */
	if (op == ZK_OP_RESET) {
		T_ZEROS(t.dev, zs, ZS);
	} else {
		if (state_written[s])
			T_DATA(t.dev, zs, state_written[s], seed);
		T_ZEROS(t.dev, zs + state_written[s], ZS - state_written[s]);
	}
}

/* A write (pwrite at the wp, or append) on state @s. */
static void run_write(enum state s, bool append, struct outcome o)
{
	struct t_snap snap;
	uint64_t w = state_written[s];

	t_ctx("%s on %s", append ? "append" : "write", state_name[s]);
	make(s);
	if (o.ret < 0) {
		t_snap_take(t.dev, &snap);
		if (append)
			T_APPEND_RET(t.dev, zs, BS, o.ret);
		else
			/* at the old wp, inside the zone */
			T_WRITE_RET(t.dev, zs + (w < ZS ? w : ZS - BS), BS, 999,
				    o.ret);
		T_SNAP_SAME(t.dev, &snap);
		t_snap_free(&snap);
		return;
	}
	if (append)
		T_APPEND(t.dev, zs, BS, seed, zs + w);
	else
		T_WRITE(t.dev, zs + w, BS, seed);
	T_ZCHECK(t.dev, zs, o.cond, zs + o.wp);
	T_DATA(t.dev, zs, w + BS, seed);
	T_ZEROS(t.dev, zs + w + BS, ZS - w - BS);
}

#define OK(c, wp) ((struct outcome){ 0, (c), (wp) })
#define ERR(e) ((struct outcome){ (e), 0, 0 })

int main(void)
{
	struct zk_geometry geo;
	enum state s;
	int i;

	t_geo_default(&geo);
	t_dev_create(&t, &geo);

	/* a neighbour on each side with data, which nothing may touch */
	zs = 3 * ZS;
	T_WRITE(t.dev, 2 * ZS, 8 * KiB, 2);
	T_WRITE(t.dev, 4 * ZS, 8 * KiB, 4);

	/* open */
	run_op(S_EMPTY, ZK_OP_OPEN, "open", OK(ZK_COND_EXP_OPEN, 0));
	run_op(S_IMP, ZK_OP_OPEN, "open", OK(ZK_COND_EXP_OPEN, BS));
	run_op(S_EXP0, ZK_OP_OPEN, "open", OK(ZK_COND_EXP_OPEN, 0));
	run_op(S_EXP, ZK_OP_OPEN, "open", OK(ZK_COND_EXP_OPEN, 2 * BS));
	run_op(S_CLOSED, ZK_OP_OPEN, "open", OK(ZK_COND_EXP_OPEN, 3 * BS));
	run_op(S_FULL, ZK_OP_OPEN, "open", ERR(-EIO));
	run_op(S_FULL_CAP, ZK_OP_OPEN, "open", ERR(-EIO));

	/* close */
	run_op(S_EMPTY, ZK_OP_CLOSE, "close", ERR(-EIO));
	run_op(S_IMP, ZK_OP_CLOSE, "close", OK(ZK_COND_CLOSED, BS));
	run_op(S_EXP0, ZK_OP_CLOSE, "close", OK(ZK_COND_EMPTY, 0));
	run_op(S_EXP, ZK_OP_CLOSE, "close", OK(ZK_COND_CLOSED, 2 * BS));
	run_op(S_CLOSED, ZK_OP_CLOSE, "close", OK(ZK_COND_CLOSED, 3 * BS));
	run_op(S_FULL, ZK_OP_CLOSE, "close", ERR(-EIO));
	run_op(S_FULL_CAP, ZK_OP_CLOSE, "close", ERR(-EIO));

	/* finish */
	for (s = S_EMPTY; s < NSTATES; s++)
		run_op(s, ZK_OP_FINISH, "finish", OK(ZK_COND_FULL, ZS));

	/* reset */
	for (s = S_EMPTY; s < NSTATES; s++)
		run_op(s, ZK_OP_RESET, "reset", OK(ZK_COND_EMPTY, 0));

	/* writes and appends at the wp */
	for (i = 0; i < 2; i++) {
		bool app = i;

		run_write(S_EMPTY, app, OK(ZK_COND_IMP_OPEN, BS));
		run_write(S_IMP, app, OK(ZK_COND_IMP_OPEN, 2 * BS));
		run_write(S_EXP0, app, OK(ZK_COND_EXP_OPEN, BS));
		run_write(S_EXP, app, OK(ZK_COND_EXP_OPEN, 3 * BS));
		run_write(S_CLOSED, app, OK(ZK_COND_IMP_OPEN, 4 * BS));
		run_write(S_FULL, app, ERR(-EIO));
		run_write(S_FULL_CAP, app, ERR(-EIO));
	}

	/* a FULL zone refuses a write anywhere in it */
	t_ctx("write into a FULL zone");
	make(S_FULL);
	T_WRITE_RET(t.dev, zs, BS, 1, -EIO);
	T_WRITE_RET(t.dev, zs + ZS - BS, BS, 1, -EIO);

	/* reaching capacity from EXP_OPEN, by append */
	t_ctx("append to capacity from EXP_OPEN");
	make(S_EXP);
	T_APPEND(t.dev, zs, ZS - 2 * BS, seed, zs + 2 * BS);
	T_ZCHECK(t.dev, zs, ZK_COND_FULL, zs + ZS);
	T_DATA(t.dev, zs, ZS, seed);

	/* reaching capacity from CLOSED in one write */
	t_ctx("write to capacity from CLOSED");
	make(S_CLOSED);
	T_WRITE(t.dev, zs + 3 * BS, ZS - 3 * BS, seed);
	T_ZCHECK(t.dev, zs, ZK_COND_FULL, zs + ZS);
	T_DATA(t.dev, zs, ZS, seed);

	/* a whole zone from EMPTY in one append */
	t_ctx("append a whole zone to EMPTY");
	make(S_EMPTY);
	T_APPEND(t.dev, zs, ZS, seed, zs);
	T_ZCHECK(t.dev, zs, ZK_COND_FULL, zs + ZS);
	T_DATA(t.dev, zs, ZS, seed);

	/* the neighbours were left alone */
	t_ctx("neighbours");
	T_ZCHECK(t.dev, 2 * ZS, ZK_COND_IMP_OPEN, 2 * ZS + 8 * KiB);
	T_ZCHECK(t.dev, 4 * ZS, ZK_COND_IMP_OPEN, 4 * ZS + 8 * KiB);
	T_DATA(t.dev, 2 * ZS, 8 * KiB, 2);
	T_DATA(t.dev, 4 * ZS, 8 * KiB, 4);
	T_ZEROS(t.dev, 2 * ZS + 8 * KiB, ZS - 8 * KiB);
	T_ZEROS(t.dev, 4 * ZS + 8 * KiB, ZS - 8 * KiB);

	t_dev_close(&t);
	t_info("pass");
	return T_EXIT_PASS;
}
