/* SPDX-License-Identifier: MIT */
/*
 * Fault injection: the emulated backend wrapped (rel.c) so that a write
 * fails with EIO, fails after part of it went in, comes back short, or
 * runs into ENOSPC; a zone operation, a read or a flush fails.
 *
 * The write faults hit zone 1 while 6 threads append to it (the faulting
 * write is held 30 ms so that appends queue behind it) and 2 more append
 * to zones 2 and 3; through zk_append, and through queues (io_uring engine
 * when there is one, with small buffered writes from the submitting thread
 * and with ZK_QUEUE_NO_INLINE, and the thread engine).  After each run:
 *
 *   - every acknowledged append is at its landed offset, byte for byte, no
 *     two overlap; a failed one is nowhere whole on the device, and failed
 *     with the error injected;
 *   - the zone's wp is the file's size, and every block below it is a
 *     block of a record (a failed write may leave the first blocks of one);
 *   - only zone 1 was re-learnt (report calls counted per zone), once per
 *     failed write, and zk_stats' relearns says so; appends queued behind
 *     the failure moved (zk_stats' retried); zk_stats' appends counts
 *     every acknowledged append;
 *   - zones 2 and 3 took every append, and zone 1 takes appends again.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "rel.h"

#include <sys/stat.h>
#include <unistd.h>

#define BS 4096u
#define ZA 1 /* the zone the faults hit */
#define NR_A_THREADS 6
#define NR_THREADS (NR_A_THREADS + 2)
#define A_APPENDS 10
#define BC_APPENDS 30
#define MAX_BLKS REL_MAX_BLKS


struct worker {
	struct tdev *t;
	pthread_t th;
	uint32_t zone, tid, n;
	bool queue;
	unsigned int qflags;
	struct zk_queue *q; /* made and freed by the main thread */
	struct rel_outcome *out;
};

static unsigned long cases_run, faults_seen;

static void *append_worker(void *arg)
{
	struct worker *w = arg;
	uint64_t rng = 0x1234567ULL * (w->tid + 1);
	uint8_t *buf = t_aligned(MAX_BLKS * BS);

	for (uint32_t i = 0; i < w->n; i++) {
		struct rel_outcome *o = &w->out[i];

		o->tid = w->tid;
		o->seq = i + 1;
		o->nblk = 1 + (uint32_t)(t_rand(&rng) % MAX_BLKS);
		t_rec_fill(buf, o->nblk * BS, BS, o->tid, o->seq);
		o->ret = zk_append(w->t->dev, t_zstart(w->t, w->zone), buf,
				   o->nblk * BS, &o->landed);
	}
	free(buf);
	return NULL;
}

/* The same through a queue of its own, 4 appends in flight. */
static void *queue_worker(void *arg)
{
	struct worker *w = arg;
	uint64_t rng = 0x7654321ULL * (w->tid + 1);
	uint8_t *bufs = t_aligned((size_t)w->n * MAX_BLKS * BS);
	struct zk_queue *q = w->q;
	struct zk_cqe cqe[8];
	uint32_t sub = 0, done = 0;
	int ret;

	while (done < w->n) {
		while (sub < w->n && sub - done < 4) {
			struct rel_outcome *o = &w->out[sub];
			uint8_t *buf = bufs + (size_t)sub * MAX_BLKS * BS;

			o->tid = w->tid;
			o->seq = sub + 1;
			o->nblk = 1 + (uint32_t)(t_rand(&rng) % MAX_BLKS);
			t_rec_fill(buf, o->nblk * BS, BS, o->tid, o->seq);
			ret = zk_queue_append(q, t_zstart(w->t, w->zone), buf,
					      o->nblk * BS, sub);
			if (ret)
				T_FAIL("zk_queue_append: %s", t_errname(ret));
			sub++;
		}
		ret = zk_queue_reap(q, cqe, 8, 1);
		if (ret < 0)
			T_FAIL("zk_queue_reap: %s", t_errname(ret));
		for (int i = 0; i < ret; i++) {
			struct rel_outcome *o = &w->out[cqe[i].user_data];

			o->ret = cqe[i].res < 0 ? (int)cqe[i].res : 0;
			if (cqe[i].res >= 0 && cqe[i].res != (int64_t)(o->nblk * BS))
				T_FAIL("queue append: res %lld for %u bytes",
				       (long long)cqe[i].res, o->nblk * BS);
			o->landed = cqe[i].offset;
			done++;
		}
	}
	free(bufs);
	return NULL;
}

struct fcase {
	const char *name;
	struct rel_fault f[2];
	int err;              /* what a failed append may return */
	bool must_fail;       /* some append must fail (else: may) */
	bool must_retry;      /* some append must have moved */
};

static void run_case(const struct fcase *c, bool queue, unsigned int qflags)
{
	struct zk_geometry geo;
	struct tdev t;
	struct worker w[NR_THREADS];
	struct rel_outcome *out[NR_THREADS];
	struct zk_stats s0, s1;
	unsigned long failed = 0, reports = 0;
	const char *engine = "sync";
	uint64_t landed;
	uint8_t *buf;

	t_geo_default(&geo); /* 8 zones of 1 MiB, zone 0 conventional */
	t_dev_create(&t, &geo);
	if (queue) {
		struct zk_queue *q;

		T_OK(zk_queue_init(t.dev, 4, qflags, &q));
		engine = zk_queue_engine(q);
		zk_queue_exit(q);
	}
	t_ctx("%s (%s)", c->name, engine);
	rel_fault_install(t.dev);
	for (int i = 0; i < 2; i++)
		if (c->f[i].kind != RF_NONE)
			rel_fault_arm(&c->f[i]);
	T_OK(zk_stats(t.dev, &s0));
	for (uint32_t i = 0; i < NR_THREADS; i++) {
		w[i].t = &t;
		w[i].zone = i < NR_A_THREADS ? ZA : ZA + 1 + (i - NR_A_THREADS);
		w[i].tid = i + 1;
		w[i].n = i < NR_A_THREADS ? A_APPENDS : BC_APPENDS;
		w[i].queue = queue;
		w[i].qflags = qflags;
		w[i].out = out[i] = t_malloc(w[i].n * sizeof(struct rel_outcome));
		/* Queues outlive all the threads: liburing maps a ring with
		 * its own syscalls, unseen by ThreadSanitizer, and a ring
		 * mapped where another was would look like a race. */
		w[i].q = NULL;
		if (queue)
			T_OK(zk_queue_init(t.dev, 8, qflags, &w[i].q));
		if (pthread_create(&w[i].th, NULL,
				   queue ? queue_worker : append_worker, &w[i]))
			T_FAIL("pthread_create");
	}
	for (uint32_t i = 0; i < NR_THREADS; i++)
		pthread_join(w[i].th, NULL);
	for (uint32_t i = 0; i < NR_THREADS; i++)
		if (w[i].q)
			zk_queue_exit(w[i].q);
	T_OK(zk_stats(t.dev, &s1));

	/* Zone 1's appends, all threads together. */
	{
		struct rel_outcome *all = t_malloc(NR_A_THREADS * A_APPENDS * sizeof(*all));
		size_t n = 0;

		for (uint32_t i = 0; i < NR_A_THREADS; i++)
			for (uint32_t j = 0; j < w[i].n; j++)
				all[n++] = out[i][j];
		rel_verify_zone(&t, ZA, all, n, c->err, &failed);
		free(all);
	}
	for (uint32_t i = NR_A_THREADS; i < NR_THREADS; i++) {
		unsigned long f = 0;

		rel_verify_zone(&t, w[i].zone, out[i], w[i].n, 0, &f);
		if (f)
			T_FAIL("zone %u: %lu appends failed; faults hit zone %u only",
			       w[i].zone, f, ZA);
	}
	if (!atomic_load(&rel_cnt.injected))
		T_FAIL("%s: no fault was injected", c->name);
	if (c->must_fail && !failed)
		T_FAIL("%s: no append failed", c->name);
	if (!c->must_fail && !c->err && failed)
		T_FAIL("%s: %lu appends failed", c->name, failed);
	/* Only the failing zone was re-learnt, once per recovery. */
	for (uint32_t z = 0; z < rel_cnt.nr_zones; z++) {
		unsigned long r = atomic_load(&rel_cnt.report[z]);

		if (z != ZA && r)
			T_FAIL("zone %u was reported %lu times: only zone %u failed",
			       z, r, ZA);
		reports += r;
	}
	if (!reports)
		T_FAIL("zone %u was never re-learnt", ZA);
	T_EQ(s1.relearns - s0.relearns, reports);
	/* zk_stats counts every acknowledged append, also those a failed
	 * write had put on the device (completed by the recovery) */
	T_EQ(s1.appends - s0.appends,
	     NR_A_THREADS * A_APPENDS + 2 * BC_APPENDS - failed);
	if (c->must_retry && s1.retried == s0.retried)
		T_FAIL("%s: no append was moved (retried stays %" PRIu64 ")",
		       c->name, s1.retried);
	/* Zone 1 works again. */
	rel_fault_clear();
	buf = t_aligned(BS);
	{
		struct zk_zone z = T_ZONE(t.dev, t_zstart(&t, ZA));

		t_rec_fill(buf, BS, BS, 99, 1);
		if (z.cond != ZK_COND_FULL) {
			T_OK(zk_append(t.dev, t_zstart(&t, ZA), buf, BS, &landed));
			T_EQ(landed, z.wp);
		}
	}
	faults_seen += atomic_load(&rel_cnt.injected);
	t_info("%-32s %-8s %lu faults, %lu appends failed, relearns %" PRIu64
	       ", retried %" PRIu64, c->name, engine,
	       atomic_load(&rel_cnt.injected), failed,
	       s1.relearns - s0.relearns, s1.retried - s0.retried);
	rel_fault_uninstall(t.dev);
	for (uint32_t i = 0; i < NR_THREADS; i++)
		free(out[i]);
	free(buf);
	t_dev_destroy(&t);
	cases_run++;
	t_ctx("%s", "");
}

/* ---- single-threaded cases: zone operations, flush, read ---- */

static void zone_op_faults(void)
{
	struct zk_geometry geo;
	struct tdev t;
	uint8_t *buf = t_aligned(8 * BS);
	uint64_t landed;
	struct rel_fault f = { .zone = ZA };

	t_geo_default(&geo);
	t_dev_create(&t, &geo);
	rel_fault_install(t.dev);
	t_rec_fill(buf, 8 * BS, BS, 1, 1);
	T_OK(zk_append(t.dev, t_zstart(&t, ZA), buf, 8 * BS, &landed));
	T_OK(zk_append(t.dev, t_zstart(&t, ZA + 1), buf, 8 * BS, &landed));

	/* Reset fails, nothing done: the zone's condition, wp and data are
	 * as they were. */
	t_ctx("reset: EIO, not done");
	rel_counters_reset();
	f.kind = RF_ZONEOP_EIO_BEFORE;
	rel_fault_arm(&f);
	T_RET(zk_zone_op(t.dev, ZK_OP_RESET, t_zstart(&t, ZA), geo.zone_size), -EIO);
	T_EQ(rel_zone_file_size(&t, ZA), 8 * BS);
	T_EQ(atomic_load(&rel_cnt.report[ZA]), 1);
	T_EQ(atomic_load(&rel_cnt.report[ZA + 1]), 0);
	{
		struct zk_zone z = T_ZONE(t.dev, t_zstart(&t, ZA));

		T_EQ(z.wp, t_zstart(&t, ZA) + 8 * BS);
		T_EQ(z.cond, ZK_COND_IMP_OPEN);
		T_RET(zk_pread(t.dev, buf + 0, 8 * BS, t_zstart(&t, ZA)), 8 * BS);
		if (t_rec_check_block(buf, BS, NULL))
			T_FAIL("zone data changed by a failed reset");
	}
	rel_fault_clear();

	/* Reset done but reported failed: re-learnt EMPTY. */
	t_ctx("reset: done, then EIO");
	f.kind = RF_ZONEOP_EIO_AFTER;
	rel_fault_arm(&f);
	T_RET(zk_zone_op(t.dev, ZK_OP_RESET, t_zstart(&t, ZA), geo.zone_size), -EIO);
	T_ZCHECK(t.dev, t_zstart(&t, ZA), ZK_COND_EMPTY, t_zstart(&t, ZA));
	T_EQ(rel_zone_file_size(&t, ZA), 0);
	T_OK(zk_append(t.dev, t_zstart(&t, ZA), buf, BS, &landed));
	T_EQ(landed, t_zstart(&t, ZA));
	rel_fault_clear();

	/* Finish done but reported failed: re-learnt FULL. */
	t_ctx("finish: done, then EIO");
	f.kind = RF_ZONEOP_EIO_AFTER;
	rel_fault_arm(&f);
	T_RET(zk_zone_op(t.dev, ZK_OP_FINISH, t_zstart(&t, ZA), geo.zone_size), -EIO);
	T_ZCHECK(t.dev, t_zstart(&t, ZA), ZK_COND_FULL, t_zstart(&t, ZA + 1));
	T_EQ(rel_zone_file_size(&t, ZA), geo.zone_size);
	T_APPEND_RET(t.dev, t_zstart(&t, ZA), BS, -EIO);
	rel_fault_clear();

	/* Finish not done: the zone stays open, appends go on. */
	t_ctx("finish: EIO, not done");
	T_OK(zk_zone_op(t.dev, ZK_OP_RESET, t_zstart(&t, ZA), geo.zone_size));
	T_OK(zk_append(t.dev, t_zstart(&t, ZA), buf, BS, &landed));
	f.kind = RF_ZONEOP_EIO_BEFORE;
	rel_fault_arm(&f);
	T_RET(zk_zone_op(t.dev, ZK_OP_FINISH, t_zstart(&t, ZA), geo.zone_size), -EIO);
	{
		struct zk_zone z = T_ZONE(t.dev, t_zstart(&t, ZA));

		T_EQ(z.wp, t_zstart(&t, ZA) + BS);
		T_EQ(z.cond, ZK_COND_IMP_OPEN);
		T_EQ(rel_zone_file_size(&t, ZA), BS);
	}
	T_OK(zk_append(t.dev, t_zstart(&t, ZA), buf, BS, &landed));
	T_EQ(landed, t_zstart(&t, ZA) + BS);
	rel_fault_clear();

	/* The other zone was never touched. */
	T_ZCHECK(t.dev, t_zstart(&t, ZA + 1), ZK_COND_IMP_OPEN,
		 t_zstart(&t, ZA + 1) + 8 * BS);

	/* Flush and read failures are reported, and change nothing. */
	t_ctx("flush: EIO");
	f.kind = RF_FLUSH_EIO;
	rel_fault_arm(&f);
	T_RET(zk_flush(t.dev), -EIO);
	T_OK(zk_flush(t.dev));
	rel_fault_clear();
	t_ctx("read: EIO");
	f.kind = RF_READ_EIO;
	f.zone = ZA + 1;
	rel_fault_arm(&f);
	T_RET(zk_pread(t.dev, buf, BS, t_zstart(&t, ZA + 1)), -EIO);
	T_RET(zk_pread(t.dev, buf, BS, t_zstart(&t, ZA + 1)), BS);
	rel_fault_clear();

	/* A conventional zone's write fails: -EIO, nothing re-learnt. */
	t_ctx("conventional write: EIO");
	rel_counters_reset();
	f.kind = RF_WRITE_EIO;
	f.zone = 0;
	rel_fault_arm(&f);
	T_WRITE_RET(t.dev, 0, BS, 5, -EIO);
	T_WRITE(t.dev, 0, BS, 5);
	for (uint32_t z = 0; z < rel_cnt.nr_zones; z++)
		T_EQ(atomic_load(&rel_cnt.report[z]), 0);
	rel_fault_clear();

	faults_seen += 7;
	cases_run += 7;
	t_info("zone operation, flush, read and conventional write faults: ok");
	rel_fault_uninstall(t.dev);
	t_dev_destroy(&t);
	free(buf);
	t_ctx("%s", "");
}

int main(void)
{
	const struct fcase cases[] = {
		{ "write EIO", { { .kind = RF_WRITE_EIO, .zone = ZA, .nth = 3,
				   .delay_ms = 30 } }, -EIO, true, true },
		{ "write EIO, 5 in a row", { { .kind = RF_WRITE_EIO, .zone = ZA,
				   .nth = 3, .times = 5, .delay_ms = 10 } },
		  -EIO, true, true },
		/* The append the write stopped in fails; the blocks of it the
		 * write left are cut back (tests/reliability/failed_write.c). */
		{ "write EIO after 2 blocks", { { .kind = RF_WRITE_EIO_PARTIAL,
				   .zone = ZA, .nth = 3, .blocks = 2,
				   .delay_ms = 30 } }, -EIO, true, true },
		/* Cut back too: every append goes again where it was. */
		{ "short write (1 block), 3 times", { { .kind = RF_WRITE_SHORT,
				   .zone = ZA, .nth = 2, .times = 3, .blocks = 1,
				   .delay_ms = 30 } }, 0, false, false },
		{ "ENOSPC after 2 blocks, then 3 more", { { .kind = RF_WRITE_ENOSPC,
				   .zone = ZA, .nth = 3, .times = 4, .blocks = 2,
				   .delay_ms = 30 } }, -ENOSPC, true, true },
	};
	const size_t nr = sizeof(cases) / sizeof(cases[0]);

	for (size_t i = 0; i < nr; i++)
		run_case(&cases[i], false, 0);
	for (size_t i = 0; i < nr; i++)
		run_case(&cases[i], true, 0); /* io_uring if there is one */
	for (size_t i = 0; i < nr; i++) /* ... with every write on the ring */
		run_case(&cases[i], true, ZK_QUEUE_NO_INLINE);
	for (size_t i = 0; i < nr; i++)
		run_case(&cases[i], true, ZK_QUEUE_THREADS);
	zone_op_faults();
	rel_figures("faults", "cases=%lu faults_injected=%lu appends_checked=%lu",
		    cases_run, faults_seen, rel_appends_checked);
	return T_EXIT_PASS;
}
