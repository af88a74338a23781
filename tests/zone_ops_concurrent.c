/* SPDX-License-Identifier: MIT */
/*
 * Zone operations concurrent with appends.
 *  1. Appenders on zones A and B while another thread keeps writing,
 *     opening, closing, finishing and resetting zones C and D (and doing
 *     "close all"-free single-zone operations only): the appends are
 *     undisturbed (all succeed, gap-free, data intact) and every zone
 *     operation behaves as it would alone.  Run without limits and with
 *     max_open/max_active set high enough that no one runs short.
 *  2. A finish of the zone the appenders are appending to: every append
 *     either succeeds or fails with -EIO (zone FULL); the ones that
 *     succeeded cover the zone from its start without gap or overlap and
 *     hold their data; the zone ends FULL with wp = start + len.
 *
 * ZK_TEST_SCALE scales the number of appends.
 */
#include "testlib.h"

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>

#define NAPP 4
#define BS 4096
#define MAXBLK 4

static struct tdev t;
static uint64_t zsize;
static unsigned long per_thread;
static atomic_int done;
static pthread_barrier_t start;

struct app {
	pthread_t th;
	uint32_t tid;
	unsigned int nzones;
	uint64_t zones[2];
	bool stop_on_eio;    /* part 2: -EIO ends the thread */
	struct t_rec *recs;
	unsigned long n;     /* successful appends */
	unsigned long eio;   /* -EIO (part 2) */
};

static void *appender(void *arg)
{
	struct app *a = arg;
	uint64_t rnd = 0x51ed27ULL * (a->tid + 3) + 1;
	uint8_t *buf = t_aligned(MAXBLK * BS);
	unsigned long i;

	pthread_barrier_wait(&start);
	for (i = 0; i < per_thread; i++) {
		uint32_t len = (1 + (uint32_t)(t_rand(&rnd) % MAXBLK)) * BS;
		uint32_t zi = (uint32_t)(t_rand(&rnd) % a->nzones);
		uint64_t landed = UINT64_MAX;
		int ret;

		t_rec_fill(buf, len, BS, a->tid, (uint32_t)i);
		ret = zk_append(t.dev, a->zones[zi], buf, len, &landed);
		if (ret == -EIO && a->stop_on_eio) {
			a->eio++;
			/* the zone is FULL from now on: so must the next be */
			ret = zk_append(t.dev, a->zones[zi], buf, len, &landed);
			if (ret != -EIO)
				T_FAIL("thread %u: append after -EIO = %d (%s)",
				       a->tid, ret, t_errname(ret));
			break;
		}
		if (ret)
			T_FAIL("thread %u: append %lu (%u bytes) = %d (%s)",
			       a->tid, i, len, ret, t_errname(ret));
		a->recs[a->n++] = (struct t_rec){ .landed = landed, .len = len,
						  .tid = a->tid, .seq = (uint32_t)i,
						  .zone = zi };
	}
	free(buf);
	atomic_fetch_add(&done, 1);
	return NULL;
}

/* The zone operator: cycles zones @c and @d through every operation,
 * checking each result, until the appenders are done. */
static unsigned long cycles;
static void *operator(void *arg)
{
	uint64_t c = ((uint64_t *)arg)[0], d = ((uint64_t *)arg)[1];
	uint64_t seed = 1000;

	pthread_barrier_wait(&start);
	while (atomic_load(&done) < NAPP) {
		seed++;
		/* C: write, open, close, write, finish, reset */
		T_WRITE(t.dev, c, 2 * BS, seed);
		T_ZCHECK(t.dev, c, ZK_COND_IMP_OPEN, c + 2 * BS);
		T_OK(zk_zone_op(t.dev, ZK_OP_OPEN, c, zsize));
		T_ZCHECK(t.dev, c, ZK_COND_EXP_OPEN, c + 2 * BS);
		T_OK(zk_zone_op(t.dev, ZK_OP_CLOSE, c, zsize));
		T_ZCHECK(t.dev, c, ZK_COND_CLOSED, c + 2 * BS);
		T_APPEND(t.dev, c, BS, seed, c + 2 * BS);
		T_ZCHECK(t.dev, c, ZK_COND_IMP_OPEN, c + 3 * BS);
		T_OK(zk_zone_op(t.dev, ZK_OP_FINISH, c, zsize));
		T_ZCHECK(t.dev, c, ZK_COND_FULL, c + zsize);
		T_DATA(t.dev, c, 3 * BS, seed);
		T_OK(zk_zone_op(t.dev, ZK_OP_RESET, c, zsize));
		T_ZCHECK(t.dev, c, ZK_COND_EMPTY, c);
		/* D: open empty, close (-> EMPTY), finish empty, reset */
		T_OK(zk_zone_op(t.dev, ZK_OP_OPEN, d, zsize));
		T_ZCHECK(t.dev, d, ZK_COND_EXP_OPEN, d);
		T_OK(zk_zone_op(t.dev, ZK_OP_CLOSE, d, zsize));
		T_ZCHECK(t.dev, d, ZK_COND_EMPTY, d);
		T_OK(zk_zone_op(t.dev, ZK_OP_FINISH, d, zsize));
		T_ZCHECK(t.dev, d, ZK_COND_FULL, d + zsize);
		T_RET(zk_zone_op(t.dev, ZK_OP_OPEN, d, zsize), -EIO);
		T_OK(zk_zone_op(t.dev, ZK_OP_RESET, d, zsize));
		T_ZCHECK(t.dev, d, ZK_COND_EMPTY, d);
		T_ZEROS(t.dev, c, 4 * BS);
		cycles++;
	}
	return NULL;
}

static void part1(uint32_t max_open, uint32_t max_active)
{
	struct zk_geometry geo;
	struct app a[NAPP];
	pthread_t op;
	uint64_t cd[2];
	struct t_rec *all;
	unsigned int i, z;
	size_t n;

	t_ctx("appends beside zone operations (max_open %u, max_active %u)",
	      max_open, max_active);
	zsize = 256 * MiB;
	t_geo_default(&geo);
	geo.zone_size = zsize;
	geo.capacity = 5 * zsize;
	geo.nr_conv_zones = 1;
	geo.max_open = max_open;
	geo.max_active = max_active;
	t_dev_create(&t, &geo);
	cd[0] = 3 * zsize;
	cd[1] = 4 * zsize;
	atomic_store(&done, 0);
	cycles = 0;

	pthread_barrier_init(&start, NULL, NAPP + 1);
	for (i = 0; i < NAPP; i++) {
		memset(&a[i], 0, sizeof(a[i]));
		a[i].tid = i;
		a[i].nzones = 2;
		a[i].zones[0] = 1 * zsize;
		a[i].zones[1] = 2 * zsize;
		a[i].recs = t_malloc(sizeof(struct t_rec) * per_thread);
		if (pthread_create(&a[i].th, NULL, appender, &a[i]))
			T_FAIL("pthread_create");
	}
	if (pthread_create(&op, NULL, operator, cd))
		T_FAIL("pthread_create");
	for (i = 0; i < NAPP; i++)
		pthread_join(a[i].th, NULL);
	pthread_join(op, NULL);
	pthread_barrier_destroy(&start);

	all = t_malloc(sizeof(struct t_rec) * per_thread * NAPP);
	for (z = 0; z < 2; z++) {
		uint64_t total;

		n = 0;
		for (i = 0; i < NAPP; i++)
			for (unsigned long k = 0; k < a[i].n; k++)
				if (a[i].recs[k].zone == z)
					all[n++] = a[i].recs[k];
		total = T_RECS_VERIFY(t.dev, all, n, (1 + z) * zsize, zsize, BS);
		T_ZCHECK(t.dev, (1 + z) * zsize, ZK_COND_IMP_OPEN,
			 (1 + z) * zsize + total);
	}
	for (i = 0; i < NAPP; i++) {
		T_EQ(a[i].n, per_thread);
		free(a[i].recs);
	}
	free(all);
	t_info("max_open %u max_active %u: %lu operator cycles beside %lu appends",
	       max_open, max_active, cycles, per_thread * NAPP);
	t_dev_destroy(&t);
}

static void part2(void)
{
	struct zk_geometry geo;
	struct app a[NAPP];
	struct t_rec *all;
	unsigned int i;
	size_t n = 0;
	uint64_t total, eio = 0, zs;
	struct zk_zone zn;

	t_ctx("finish while appending to the same zone");
	zsize = 512 * MiB;
	t_geo_default(&geo);
	geo.zone_size = zsize;
	geo.capacity = 3 * zsize;
	geo.nr_conv_zones = 1;
	t_dev_create(&t, &geo);
	zs = zsize;
	atomic_store(&done, 0);

	pthread_barrier_init(&start, NULL, NAPP + 1);
	for (i = 0; i < NAPP; i++) {
		memset(&a[i], 0, sizeof(a[i]));
		a[i].tid = i;
		a[i].nzones = 1;
		a[i].zones[0] = zs;
		a[i].stop_on_eio = true;
		a[i].recs = t_malloc(sizeof(struct t_rec) * per_thread);
		if (pthread_create(&a[i].th, NULL, appender, &a[i]))
			T_FAIL("pthread_create");
	}
	pthread_barrier_wait(&start);
	/* let the appends get going, then finish the zone under them */
	for (;;) {
		zn = T_ZONE(t.dev, zs);
		if (zn.wp - zs >= per_thread * NAPP * BS / 4 ||
		    atomic_load(&done) == NAPP)
			break;
		sched_yield();
	}
	T_RET(zk_zone_op(t.dev, ZK_OP_FINISH, zs, zsize), 0);
	for (i = 0; i < NAPP; i++)
		pthread_join(a[i].th, NULL);
	pthread_barrier_destroy(&start);

	all = t_malloc(sizeof(struct t_rec) * per_thread * NAPP);
	for (i = 0; i < NAPP; i++) {
		for (unsigned long k = 0; k < a[i].n; k++)
			all[n++] = a[i].recs[k];
		eio += a[i].eio;
	}
	total = T_RECS_VERIFY(t.dev, all, n, zs, zsize, BS);
	T_ZCHECK(t.dev, zs, ZK_COND_FULL, zs + zsize);
	T_ZEROS(t.dev, zs + total, 64 * BS);
	t_info("finish under appends: %zu appends succeeded (%" PRIu64 " KiB), "
	       "%" PRIu64 " threads saw -EIO", n, total >> 10, eio);
	for (i = 0; i < NAPP; i++)
		free(a[i].recs);
	free(all);
	t_dev_destroy(&t);
}

int main(void)
{
	per_thread = t_scaled(5000, 50);
	part1(0, 0);
	part1(4, 6);
	part2();
	t_info("pass");
	return T_EXIT_PASS;
}
