/* SPDX-License-Identifier: MIT */
/*
 * A queue's requests and zone operations on the same zone never wait for
 * each other for ever.
 *
 * A queue's batch in flight on its ring holds its zone busy until the
 * queue is reaped.  A zone operation (zk_zone_op, zk_resync,
 * zk_set_zone_cond) claims the zone and waits for it to drain; a
 * synchronous write waits for its turn.  These used to hang:
 *   two threads  the queue's owner submits again to a zone another thread
 *                is claiming: the submitter slept on the claim, the claim
 *                on the batch only the submitter could reap;
 *   one thread   a queue append, then before reaping a zone operation or a
 *                synchronous append to the same zone on the same thread.
 * Now a queue's submitter never sleeps on a zone (its request waits on the
 * plug and is placed when the claim ends), and a thread that waits for a
 * zone reaps the queue it is using itself when that is what the zone
 * waits for.  Each case runs under a watchdog: a hang fails the test.
 * Both engines: io_uring with ZK_QUEUE_NO_INLINE (the batch really goes to
 * the ring), and threads.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <unistd.h>

#include "testlib.h"

#define BS 4096u

static struct tdev t;
static void *buf;
static bool ordered; /* requests are placed when submitted (ring engine) */

static struct zk_queue *queue_new(unsigned int flags)
{
	struct zk_queue *q;

	T_OK(zk_queue_init(t.dev, 16, flags, &q));
	return q;
}

static struct zk_cqe reap_one(struct zk_queue *q)
{
	struct zk_cqe c;

	T_RET(zk_queue_reap(q, &c, 1, 1), 1);
	return c;
}

/* Reap @n completions into @c, in order of user_data. */
static void reap_n(struct zk_queue *q, struct zk_cqe *c, unsigned int n)
{
	for (unsigned int i = 0; i < n; i++) {
		struct zk_cqe one = reap_one(q);

		T_ASSERT(one.user_data < n);
		c[one.user_data] = one;
	}
}

struct op_thread {
	pthread_t tid;
	uint64_t zone;
	int ret;
	atomic_int started;
};

static void *finish_zone(void *arg)
{
	struct op_thread *o = arg;

	t_state(1, "zk_zone_op(FINISH, 0x%" PRIx64 ")", o->zone);
	o->started = 1;
	o->ret = zk_zone_op(t.dev, ZK_OP_FINISH, o->zone, t.info.zone_size);
	t_state(1, "FINISH done: %d", o->ret);
	return NULL;
}

/* Two threads: the queue's owner submits again while another thread's
 * FINISH waits for the batch already on the ring. */
static void case_owner_submits_during_claim(unsigned int flags)
{
	uint64_t z = t_zstart(&t, 2);
	struct op_thread o = { .zone = z };
	struct zk_queue *q = queue_new(flags);
	struct zk_cqe c[2];

	t_state(0, "queue append 0");
	T_OK(zk_queue_append(q, z, buf, BS, 0));
	T_OK(zk_queue_submit(q));
	T_ASSERT(!pthread_create(&o.tid, NULL, finish_zone, &o));
	while (!o.started)
		usleep(1000);
	usleep(100000); /* the claim now waits for the zone to drain */
	t_state(0, "queue append 1 (FINISH pending)");
	T_OK(zk_queue_append(q, z, buf, BS, 1));
	t_state(0, "reaping 2");
	reap_n(q, c, 2);
	T_ASSERT(!pthread_join(o.tid, NULL));
	T_RET(o.ret, 0);
	if (ordered || c[0].res == BS) {
		T_RET(c[0].res, BS);
		T_EQ(c[0].offset, z);
	} else {
		T_RET(c[0].res, -EIO); /* placed after the FINISH */
	}
	/* Placed after the FINISH: the zone is full. */
	T_RET(c[1].res, -EIO);
	T_ZCOND(t.dev, z, ZK_COND_FULL);
	zk_queue_exit(q);
}

/* One thread: a zone operation before reaping the queue's append. */
static void case_zone_op_before_reap(unsigned int flags)
{
	uint64_t z = t_zstart(&t, 3);
	struct zk_queue *q = queue_new(flags);
	struct zk_cqe c;

	t_state(0, "queue append, then FINISH before reaping");
	T_OK(zk_queue_append(q, z, buf, BS, 7));
	T_RET(zk_zone_op(t.dev, ZK_OP_FINISH, z, t.info.zone_size), 0);
	c = reap_one(q);
	if (ordered || c.res == BS) {
		T_RET(c.res, BS);
		T_EQ(c.offset, z);
	} else {
		T_RET(c.res, -EIO); /* the worker came after the FINISH */
	}
	T_ZCOND(t.dev, z, ZK_COND_FULL);
	zk_queue_exit(q);
}

/* One thread: a synchronous append before reaping the queue's append. */
static void case_sync_append_before_reap(unsigned int flags)
{
	uint64_t z = t_zstart(&t, 4), landed = 0;
	struct zk_queue *q = queue_new(flags);
	struct zk_cqe c;

	t_state(0, "queue append, then zk_append before reaping");
	T_OK(zk_queue_append(q, z, buf, BS, 7));
	T_RET(zk_append(t.dev, z, buf, BS, &landed), 0);
	c = reap_one(q);
	T_RET(c.res, BS);
	if (ordered || c.offset == z) {
		T_EQ(c.offset, z);
		T_EQ(landed, z + BS);
	} else {
		T_EQ(landed, z);
		T_EQ(c.offset, z + BS);
	}
	T_ZCHECK(t.dev, z, ZK_COND_IMP_OPEN, z + 2 * BS);
	zk_queue_exit(q);
}

/* One thread: zk_resync and zk_set_zone_cond before reaping. */
static void case_resync_and_mark_before_reap(unsigned int flags)
{
	uint64_t z = t_zstart(&t, 5);
	struct zk_queue *q = queue_new(flags);
	struct zk_cqe c;

	t_state(0, "queue append, then zk_resync before reaping");
	T_OK(zk_queue_append(q, z, buf, BS, 1));
	T_RET(zk_resync(t.dev), 0);
	c = reap_one(q);
	T_RET(c.res, BS);
	t_state(0, "queue append, then zk_set_zone_cond before reaping");
	T_OK(zk_queue_append(q, z, buf, BS, 2));
	T_RET(zk_set_zone_cond(t.dev, z, ZK_COND_READONLY), 0);
	c = reap_one(q);
	if (ordered || c.res == BS) {
		T_RET(c.res, BS);
		T_EQ(c.offset, z + BS);
	} else {
		T_RET(c.res, -EIO); /* the worker came after the mark */
	}
	T_ZCOND(t.dev, z, ZK_COND_READONLY);
	T_RET(zk_set_zone_cond(t.dev, z, ZK_COND_EMPTY), 0);
	zk_queue_exit(q);
}

static const struct {
	const char *name;
	void (*run)(unsigned int flags);
} cases[] = {
	{ "owner submits during a claim", case_owner_submits_during_claim },
	{ "zone op before reaping", case_zone_op_before_reap },
	{ "sync append before reaping", case_sync_append_before_reap },
	{ "resync and set-cond before reaping", case_resync_and_mark_before_reap },
};

/* Every case whose name contains @only (all if NULL). */
static void run_all(const char *engine, unsigned int flags, const char *only)
{
	struct zk_queue *q = queue_new(flags);

	t_info("engine %s (%s)", zk_queue_engine(q), engine);
	ordered = !strcmp(zk_queue_engine(q), "io_uring");
	zk_queue_exit(q);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (only && !strstr(cases[i].name, only))
			continue;
		t_ctx("%s: %s", engine, cases[i].name);
		cases[i].run(flags);
	}
	T_OK(zk_zone_op(t.dev, ZK_OP_RESET, 0, t.info.capacity));
}

int main(int argc, char **argv)
{
	const char *only = argc > 1 ? argv[1] : NULL;
	struct zk_geometry geo;

	t_geo_default(&geo);
	t_dev_create(&t, &geo);
	buf = t_aligned(BS);
	memset(buf, 0x3c, BS);
	t_watchdog_start(60);
	run_all("ring", ZK_QUEUE_NO_INLINE, only);
	run_all("threads", ZK_QUEUE_THREADS, only);
	t_watchdog_stop();
	t_dev_close(&t);
	return T_EXIT_PASS;
}
