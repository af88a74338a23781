/* SPDX-License-Identifier: MIT */
/*
 * Open-zone limits under concurrent appends.  With max_open below the
 * number of zones being appended to and no explicitly open zone, every
 * write to a CLOSED or EMPTY zone closes an implicitly open one, so every
 * append must still succeed (null_blk rules), the open count never exceeds
 * max_open, and afterwards at most max_open zones are open and the rest
 * CLOSED, each zone gap-free with its data intact.
 *   a) max_open 2, max_active 5, 8 threads over 4 zones
 *   b) max_open 1, no active limit, 4 threads each on its own zone
 * A monitor thread reports all zones while the appends run and checks that
 * no wp goes backwards and no zone is in an unexpected condition, and (from
 * the library's internal counters, under their lock) that the open and
 * active counts never exceed the limits.
 *
 * ZK_TEST_SCALE scales the number of appends.
 */
#include "testlib.h"
#include "device.h" /* the open/active counters, for the monitor */

#include <pthread.h>
#include <stdatomic.h>

#define BS 4096
#define MAXBLK 4
#define ZS (64 * MiB)
#define NZ 4

static struct tdev t;
static unsigned long per_thread;
static unsigned int nthreads;
static bool own_zone;
static atomic_int done;
static pthread_barrier_t start;

struct app {
	pthread_t th;
	uint32_t tid;
	struct t_rec *recs;
};

static void *appender(void *arg)
{
	struct app *a = arg;
	uint64_t rnd = 0xabcdef12345ULL * (a->tid + 1);
	uint8_t *buf = t_aligned(MAXBLK * BS);
	unsigned long i;

	pthread_barrier_wait(&start);
	for (i = 0; i < per_thread; i++) {
		uint32_t len = (1 + (uint32_t)(t_rand(&rnd) % MAXBLK)) * BS;
		uint32_t zi = own_zone ? a->tid % NZ : (uint32_t)(t_rand(&rnd) % NZ);
		uint64_t landed = UINT64_MAX;
		int ret;

		t_rec_fill(buf, len, BS, a->tid, (uint32_t)i);
		ret = zk_append(t.dev, (1 + zi) * ZS, buf, len, &landed);
		if (ret)
			T_FAIL("thread %u: append %lu to zone %u = %d (%s)",
			       a->tid, i, zi, ret, t_errname(ret));
		a->recs[i] = (struct t_rec){ .landed = landed, .len = len,
					     .tid = a->tid, .seq = (uint32_t)i,
					     .zone = zi };
	}
	free(buf);
	atomic_fetch_add(&done, 1);
	return NULL;
}

static unsigned long monitor_reports;
static unsigned int max_seen_open;

static void *monitor(void *arg)
{
	uint64_t last[NZ + 1] = { 0 };
	(void)arg;

	pthread_barrier_wait(&start);
	while (atomic_load(&done) < (int)nthreads) {
		struct zk_zone z[NZ + 1];
		unsigned int nr = NZ + 1, i, open = 0;
		int ret = zk_report(t.dev, 0, z, &nr);

		if (ret || nr != NZ + 1)
			T_FAIL("monitor: zk_report = %d (%s), nr %u", ret,
			       t_errname(ret), nr);
		for (i = 1; i <= NZ; i++) {
			if (z[i].wp < last[i])
				T_FAIL("monitor: zone %u wp went back", i);
			last[i] = z[i].wp;
			if (z[i].cond != ZK_COND_IMP_OPEN && z[i].cond != ZK_COND_CLOSED &&
			    z[i].cond != ZK_COND_EMPTY)
				T_FAIL("monitor: zone %u is %s", i, t_condname(z[i].cond));
			if (z[i].cond == ZK_COND_IMP_OPEN)
				open++;
		}
		/* zones are not reported as one atomic snapshot, so the number
		 * open is only recorded, not checked; the library's own
		 * counters, read under their lock, are checked */
		if (open > max_seen_open)
			max_seen_open = open;
		{
			struct zk_res *res = &t.dev->res;
			uint32_t imp, exp, closed;

			zk_lock(&res->lock);
			imp = res->nr_imp_open;
			exp = res->nr_exp_open;
			closed = res->nr_closed;
			zk_unlock(&res->lock);
			if (imp + exp > t.info.max_open ||
			    (t.info.max_active && imp + exp + closed > t.info.max_active) ||
			    imp + exp + closed > NZ)
				T_FAIL("monitor: library counts %u implicitly open, "
				       "%u explicitly open, %u closed (max_open %u, "
				       "max_active %u)", imp, exp, closed,
				       t.info.max_open, t.info.max_active);
		}
		monitor_reports++;
	}
	return NULL;
}

static void run(const char *name, uint32_t max_open, uint32_t max_active,
		unsigned int nthr, bool own)
{
	struct zk_geometry geo;
	struct app a[8];
	pthread_t mon;
	struct t_rec *all;
	unsigned int i, z, open = 0;
	size_t n;

	t_ctx("%s", name);
	t_geo_default(&geo);
	geo.zone_size = ZS;
	geo.capacity = (NZ + 1) * ZS;
	geo.nr_conv_zones = 1;
	geo.max_open = max_open;
	geo.max_active = max_active;
	t_dev_create(&t, &geo);
	nthreads = nthr;
	own_zone = own;
	atomic_store(&done, 0);
	monitor_reports = 0;
	max_seen_open = 0;

	pthread_barrier_init(&start, NULL, nthr + 1);
	for (i = 0; i < nthr; i++) {
		a[i].tid = i;
		a[i].recs = t_malloc(sizeof(struct t_rec) * per_thread);
		if (pthread_create(&a[i].th, NULL, appender, &a[i]))
			T_FAIL("pthread_create");
	}
	if (pthread_create(&mon, NULL, monitor, NULL))
		T_FAIL("pthread_create");
	for (i = 0; i < nthr; i++)
		pthread_join(a[i].th, NULL);
	pthread_join(mon, NULL);
	pthread_barrier_destroy(&start);

	all = t_malloc(sizeof(struct t_rec) * per_thread * nthr);
	for (z = 0; z < NZ; z++) {
		struct zk_zone zn = T_ZONE(t.dev, (1 + z) * ZS);
		uint64_t total;

		n = 0;
		for (i = 0; i < nthr; i++)
			for (unsigned long k = 0; k < per_thread; k++)
				if (a[i].recs[k].zone == z)
					all[n++] = a[i].recs[k];
		total = T_RECS_VERIFY(t.dev, all, n, (1 + z) * ZS, ZS, BS);
		T_EQ(zn.wp, (1 + z) * ZS + total);
		if (zn.cond == ZK_COND_IMP_OPEN)
			open++;
		else if (zn.cond != ZK_COND_CLOSED)
			T_FAIL("zone %u is %s at the end", z, t_condname(zn.cond));
	}
	T_ASSERT(open >= 1 && open <= max_open);
	t_info("%s: %lu appends, %lu monitor reports (at most %u zones seen "
	       "open), %u zones open at the end", name, per_thread * nthr,
	       monitor_reports, max_seen_open, open);
	for (i = 0; i < nthr; i++)
		free(a[i].recs);
	free(all);
	t_dev_destroy(&t);
}

int main(void)
{
	/* worst case per zone: 8 x 2500 x 16 KiB = 312 MiB, expected 49 MiB;
	 * zones of 64 MiB hold the expected load with plenty of room */
	per_thread = t_scaled(2500, 50);
	run("max_open 2, max_active 5, 8 threads on 4 zones", 2, 5, 8, false);
	per_thread = t_scaled(5000, 50);
	run("max_open 1, 4 threads each on its own zone", 1, 0, 4, true);
	t_info("pass");
	return T_EXIT_PASS;
}
