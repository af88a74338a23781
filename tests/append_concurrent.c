/* SPDX-License-Identifier: MIT */
/*
 * Many threads appending at once: 8 threads x 10 000 appends of random
 * sizes (1..8 blocks), first all to one zone, then spread over 4 zones, then
 * with 4 KiB blocks.  Every append must succeed; every landed offset must be
 * block aligned and inside its zone; sorted, the appends of a zone cover it
 * from its start without gap or overlap up to its wp; and each append's
 * data (a record naming thread and sequence number) reads back byte for
 * byte.  zk_stats is printed (merging is expected but timing dependent).
 *
 * ZK_TEST_SCALE scales the number of appends (e.g. 0.1 under TSan).
 */
#include "testlib.h"

#include <pthread.h>

#define NTHREADS 8
#define MAXBLK 8

struct run {
	struct zk_dev *dev;
	size_t bs;
	unsigned int nzones;
	uint64_t zone_start[4];
	unsigned long per_thread;
	pthread_barrier_t start;
};

struct worker {
	struct run *run;
	uint32_t tid;
	struct t_rec *recs;
	pthread_t th;
};

static void *worker_fn(void *arg)
{
	struct worker *w = arg;
	struct run *r = w->run;
	uint64_t rnd = 0x9e3779b97f4a7c15ULL * (w->tid + 1);
	uint8_t *buf = t_aligned(MAXBLK * r->bs);
	unsigned long i;

	pthread_barrier_wait(&r->start);
	for (i = 0; i < r->per_thread; i++) {
		struct t_rec *rec = &w->recs[i];
		uint32_t nblk = 1 + (uint32_t)(t_rand(&rnd) % MAXBLK);
		uint32_t zi = r->nzones > 1 ? (uint32_t)(t_rand(&rnd) % r->nzones) : 0;
		uint64_t landed = UINT64_MAX;
		int ret;

		rec->len = nblk * (uint32_t)r->bs;
		rec->tid = w->tid;
		rec->seq = (uint32_t)i;
		rec->zone = zi;
		t_rec_fill(buf, rec->len, r->bs, rec->tid, rec->seq);
		ret = zk_append(r->dev, r->zone_start[zi], buf, rec->len, &landed);
		if (ret)
			T_FAIL("thread %u append %lu (%u bytes) to zone %#" PRIx64
			       " = %d (%s)", w->tid, i, rec->len,
			       r->zone_start[zi], ret, t_errname(ret));
		rec->landed = landed;
	}
	free(buf);
	return NULL;
}

static void run(const char *name, size_t bs, uint64_t zone_size,
		unsigned int nzones, unsigned long per_thread)
{
	struct zk_geometry geo;
	struct tdev t;
	struct run r;
	struct worker w[NTHREADS];
	struct zk_stats st0, st1;
	struct t_rec *all;
	size_t n, total_n = 0;
	uint64_t sum_len = 0, total;
	unsigned int i, z;
	double t0, t1, t2;

	t_ctx("%s", name);
	t_geo_default(&geo);
	geo.block_size = (uint32_t)bs;
	geo.zone_size = zone_size;
	geo.nr_conv_zones = 1;
	geo.capacity = (nzones + 2) * zone_size; /* conv, the zones, one spare */
	t_dev_create(&t, &geo);

	memset(&r, 0, sizeof(r));
	r.dev = t.dev;
	r.bs = bs;
	r.nzones = nzones;
	r.per_thread = per_thread;
	for (z = 0; z < nzones; z++)
		r.zone_start[z] = t_zstart(&t, 1 + z);
	pthread_barrier_init(&r.start, NULL, NTHREADS);
	T_RET(zk_stats(t.dev, &st0), 0);

	t0 = t_now();
	for (i = 0; i < NTHREADS; i++) {
		w[i].run = &r;
		w[i].tid = i;
		w[i].recs = t_malloc(sizeof(struct t_rec) * per_thread);
		if (pthread_create(&w[i].th, NULL, worker_fn, &w[i]))
			T_FAIL("pthread_create failed");
	}
	for (i = 0; i < NTHREADS; i++)
		pthread_join(w[i].th, NULL);
	t1 = t_now();
	pthread_barrier_destroy(&r.start);
	T_RET(zk_stats(t.dev, &st1), 0);

	/* gather per zone and verify */
	all = t_malloc(sizeof(struct t_rec) * per_thread * NTHREADS);
	for (z = 0; z < nzones; z++) {
		struct zk_zone zn;

		t_ctx("%s: zone %u", name, z);
		n = 0;
		for (i = 0; i < NTHREADS; i++)
			for (unsigned long k = 0; k < per_thread; k++)
				if (w[i].recs[k].zone == z)
					all[n++] = w[i].recs[k];
		total = T_RECS_VERIFY(t.dev, all, n, r.zone_start[z], zone_size, bs);
		zn = T_ZONE(t.dev, r.zone_start[z]);
		T_EQ(zn.wp, r.zone_start[z] + total);
		T_EQ(zn.cond, ZK_COND_IMP_OPEN);
		if (total + 16 * bs <= zone_size)
			T_ZEROS(t.dev, zn.wp, 16 * bs);
		for (i = 0; i < n; i++)
			sum_len += all[i].len;
		total_n += n;
	}
	t2 = t_now();
	T_EQ(total_n, (uint64_t)per_thread * NTHREADS);
	T_EQ(st1.appends - st0.appends, (uint64_t)per_thread * NTHREADS);
	t_info("%s: %zu appends, %" PRIu64 " MiB in %.2fs (%.0f appends/s), "
	       "verified in %.2fs; stats: batches %" PRIu64 " merged %" PRIu64
	       " retried %" PRIu64 " relearns %" PRIu64,
	       name, total_n, sum_len >> 20, t1 - t0, total_n / (t1 - t0),
	       t2 - t1, st1.batches - st0.batches, st1.merged - st0.merged,
	       st1.retried - st0.retried, st1.relearns - st0.relearns);

	/* the data is still all there after reopen */
	t_ctx("%s: after reopen", name);
	t_dev_reopen(&t, ZK_RDONLY);
	for (z = 0; z < nzones; z++) {
		n = 0;
		for (i = 0; i < NTHREADS; i++)
			for (unsigned long k = 0; k < per_thread; k++)
				if (w[i].recs[k].zone == z)
					all[n++] = w[i].recs[k];
		total = T_RECS_VERIFY(t.dev, all, n, r.zone_start[z], zone_size, bs);
		/* a clean close keeps the zone open, as a real device does */
		T_ZCHECK(t.dev, r.zone_start[z], ZK_COND_IMP_OPEN, r.zone_start[z] + total);
	}

	free(all);
	for (i = 0; i < NTHREADS; i++)
		free(w[i].recs);
	t_dev_destroy(&t);
}

int main(void)
{
	unsigned long per = t_scaled(10000, 50);

	/* worst case 8 x 10 000 x 8 x 512 B = 312.5 MiB: 512 MiB zones */
	run("one zone, 512 B blocks", 512, 512 * MiB, 1, per);
	run("four zones, 512 B blocks", 512, 512 * MiB, 4, per);
	/* 4 KiB blocks: fewer appends, to keep the data volume sane */
	run("one zone, 4 KiB blocks", 4096, 512 * MiB, 1, t_scaled(2000, 20));
	t_info("pass");
	return T_EXIT_PASS;
}
