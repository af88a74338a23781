/* SPDX-License-Identifier: MIT */
/*
 * Randomized stress of the whole library against a model of what must be
 * true, with a watchdog: a hang fails and prints every thread's state.
 *
 *   stress [--seed N] [--seconds S] [--engine ring|threads|both]
 *          [--faults none|alloc|io]
 *
 * On a small emulated device with open and active limits, at once:
 *   sync threads   zk_append, zk_pwrite at the reported wp, zk_pread, zone
 *                  operations (reset, finish, open, close), zk_flush;
 *   queue threads  a queue each (io_uring, ZK_QUEUE_NO_INLINE so batches go
 *                  to the ring, or threads): bursts of appends and writes,
 *                  and now and then a synchronous append or zone operation
 *                  on the same thread before reaping;
 *   chaos thread   zk_resync, zk_set_zone_cond, the ALL zone operations;
 *   faults thread  with --faults: allocations failing at random
 *                  (failalloc.c), or writes cut short, failing with EIO or
 *                  ENOSPC after some blocks, on the synchronous path and on
 *                  io_uring completions alike (rel.c's backend wrapper:
 *                  pwritev and io_put; ring_faults counts the latter).
 * Every call must return success or an error the model allows for it.
 *
 * The model: a zone's history is cut into generations by resets (and by
 * zk_set_zone_cond, which may empty it).  An append or write whose call
 * overlapped no reset of its zone belongs to one generation; in each
 * generation the acknowledged ranges never overlap and lie within the
 * zone's capacity; an acknowledged range reads back as written while no
 * reset followed (checked right after the call, and at the end for the
 * last generation); at the end every block below the wp of a zone that is
 * not FULL holds data an append wrote (the wp never covers unwritten
 * data), every zone file's size is its wp, and the device reopens with
 * the same report.
 *
 * To narrow a failure down, parts can be left out (environment):
 * STRESS_NO_QUEUES, STRESS_NO_NESTED (no synchronous call from a queue's
 * thread before it reaps), STRESS_NO_RESYNC, STRESS_NO_MARKS, STRESS_NO_ALL.
 * When the watchdog fires it prints every plug and queue request too.
 */
#include <getopt.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../failalloc.h"
#include "queue.h"
#include "rel.h"

#define BS 4096u
#define NZONES 16u
#define NCONV 2u
#define ZONE_SIZE (256 * KiB)
#define ZONE_CAP (192 * KiB)
#define MAX_BLKS 8u
#define SYNC_THREADS 4
#define QUEUE_THREADS 2
#define NTHREADS (SYNC_THREADS + QUEUE_THREADS + 1)
#define QDEPTH 8
#define LOG_MAX 400000u
#define STALL_SECS 20

enum faults { F_NONE, F_ALLOC, F_IO };

static struct {
	uint64_t seed;
	double seconds;
	int engine; /* 0 ring, 1 threads, 2 both (queue thread i: i % 2) */
	enum faults faults;
} opt = { .seconds = 5, .engine = 2 };

static struct tdev t;
static atomic_bool stop;
static _Atomic unsigned long resets_started[NZONES], resets_ended[NZONES];
static atomic_ulong n_ops, n_acked, n_failed, n_zone_ops, n_resyncs,
	n_set_cond, n_checks;

/* One acknowledged append or write. */
struct ack {
	uint64_t landed;
	uint32_t len, tid, seq;
	uint32_t zone;
	bool sure;          /* no reset of the zone overlapped the call */
	unsigned long gen;  /* its generation, if sure */
};

static struct ack *acks;
static atomic_uint n_acks;

static void log_ack(uint32_t z, uint64_t landed, uint32_t len, uint32_t tid,
		    uint32_t seq, unsigned long rs0, unsigned long re0)
{
	unsigned int i = atomic_fetch_add(&n_acks, 1);
	unsigned long rs1 = atomic_load(&resets_started[z]);

	if (i >= LOG_MAX)
		T_FAIL("more than %u acknowledged writes: raise LOG_MAX", LOG_MAX);
	acks[i] = (struct ack){ .landed = landed, .len = len, .tid = tid,
				.seq = seq, .zone = z,
				.sure = rs0 == re0 && rs1 == rs0, .gen = re0 };
	atomic_fetch_add(&n_acked, 1);
}

/* ---- errors the model allows ---- */

static bool allowed(int ret, bool write_like)
{
	if (ret >= 0)
		return true;
	if (ret == -ENOMEM)
		return opt.faults == F_ALLOC;
	if (ret == -ENOSPC)
		return opt.faults == F_IO && write_like;
	if (ret == -EIO || ret == -ETOOMANYREFS || ret == -EOVERFLOW)
		return true; /* full, not at the wp, marked; the limits */
	return false;
}

#define CHECK_ALLOWED(ret, write_like, what, ...)                            \
	do {                                                                \
		long long r_ = (ret);                                       \
		if (!allowed((int)r_, (write_like)))                        \
			T_FAIL(what ": %s, not an error the model allows",  \
			       __VA_ARGS__, t_errname(r_));                 \
		if (r_ < 0)                                                 \
			atomic_fetch_add(&n_failed, 1);                     \
	} while (0)

/* ---- per-thread ---- */

struct worker {
	pthread_t tid_;
	uint32_t id;
	uint64_t rnd;
	uint32_t seq;
	uint8_t *buf;   /* QDEPTH records of MAX_BLKS blocks */
	uint8_t *back;  /* for read-backs */
	struct zk_queue *q;
};

static uint32_t pick_seq_zone(struct worker *w)
{
	return NCONV + (uint32_t)(t_rand(&w->rnd) % (NZONES - NCONV));
}

static uint64_t zs(uint32_t z) { return (uint64_t)z * ZONE_SIZE; }

/* Right after the call: the range reads back as written, unless a reset
 * of the zone was under way when the call began or started since (rs0,
 * re0: resets started and ended before the call). */
static void check_now(struct worker *w, uint32_t z, uint64_t off,
		      uint32_t len, uint32_t seq, unsigned long rs0,
		      unsigned long re0)
{
	ssize_t r;

	if (rs0 != re0)
		return; /* it may have come after ours, and emptied the zone */
	r = zk_pread(t.dev, w->back, len, off);

	if (r == -EIO)
		return; /* marked OFFLINE meanwhile (counted as a reset) */
	if (r != (ssize_t)len)
		T_FAIL("zone %u: read back at %#" PRIx64 ": %s", z, off,
		       t_errname(r));
	t_rec_fill(w->buf, len, BS, w->id, seq);
	if (memcmp(w->back, w->buf, len) &&
	    atomic_load(&resets_started[z]) == rs0) {
		struct t_rec_blk rb = { 0, 0, 0, 0 };
		uint32_t b = 0;
		const char *why;

		while (!memcmp(w->back + b, w->buf + b, BS))
			b += BS;
		why = t_rec_check_block(w->back + b, BS, &rb);
		{
			struct zk_zone zone = T_ZONE(t.dev, zs(z));

			T_FAIL("zone %u: %u bytes acknowledged at %#" PRIx64
			       " (thread %u, seq %u) do not read back, no reset "
			       "since: block %u holds %s %u/%u block %u/%u; zone "
			       "%s wp +%#" PRIx64 ", file %lld", z, len, off,
			       w->id, seq, b / BS, why ? why : "record", rb.tid,
			       rb.seq, rb.blk, rb.nblk, t_condname(zone.cond),
			       zone.wp - zone.start,
			       (long long)rel_zone_file_size(&t, z));
		}
	}
	atomic_fetch_add(&n_checks, 1);
}

static void do_append(struct worker *w, uint32_t z)
{
	uint32_t len = (1 + (uint32_t)(t_rand(&w->rnd) % MAX_BLKS)) * BS;
	uint32_t seq = ++w->seq;
	unsigned long rs0 = atomic_load(&resets_started[z]);
	unsigned long re0 = atomic_load(&resets_ended[z]);
	uint64_t landed = 0;
	int ret;

	t_rec_fill(w->buf, len, BS, w->id, seq);
	t_state(w->id, "zk_append zone %u len %u", z, len);
	ret = zk_append(t.dev, zs(z), w->buf, len, &landed);
	CHECK_ALLOWED(ret, true, "zk_append zone %u", z);
	if (ret)
		return;
	if (landed < zs(z) || landed + len > zs(z) + ZONE_CAP || landed % BS)
		T_FAIL("zone %u: append landed at %#" PRIx64 ", len %u: outside "
		       "the zone's capacity", z, landed, len);
	log_ack(z, landed, len, w->id, seq, rs0, re0);
	check_now(w, z, landed, len, seq, rs0, re0);
}

static void do_write(struct worker *w, uint32_t z)
{
	uint32_t len = (1 + (uint32_t)(t_rand(&w->rnd) % 4)) * BS;
	uint32_t seq = ++w->seq;
	unsigned long rs0 = atomic_load(&resets_started[z]);
	unsigned long re0 = atomic_load(&resets_ended[z]);
	struct zk_zone zone;
	unsigned int nr = 1;
	ssize_t ret;

	t_state(w->id, "zk_pwrite zone %u", z);
	if (zk_report(t.dev, zs(z), &zone, &nr) || nr != 1)
		T_FAIL("zk_report zone %u", z);
	if (zone.wp + len > zone.start + zone.capacity)
		return;
	t_rec_fill(w->buf, len, BS, w->id, seq);
	ret = zk_pwrite(t.dev, w->buf, len, zone.wp);
	CHECK_ALLOWED(ret, true, "zk_pwrite zone %u", z);
	if (ret < 0)
		return;
	log_ack(z, zone.wp, len, w->id, seq, rs0, re0);
	check_now(w, z, zone.wp, len, seq, rs0, re0);
}

static void reset_like_begin(uint32_t z)
{
	atomic_fetch_add(&resets_started[z], 1);
}

static void reset_like_end(uint32_t z)
{
	atomic_fetch_add(&resets_ended[z], 1);
}

static void do_zone_op(struct worker *w, uint32_t z)
{
	static const enum zk_op ops[] = { ZK_OP_RESET, ZK_OP_FINISH,
					  ZK_OP_OPEN, ZK_OP_CLOSE };
	enum zk_op op = ops[t_rand(&w->rnd) % 4];
	int ret;

	t_state(w->id, "zk_zone_op %d zone %u", op, z);
	if (op == ZK_OP_RESET)
		reset_like_begin(z);
	ret = zk_zone_op(t.dev, op, zs(z), ZONE_SIZE);
	if (op == ZK_OP_RESET)
		reset_like_end(z);
	CHECK_ALLOWED(ret, false, "zk_zone_op %d zone %u", op, z);
	atomic_fetch_add(&n_zone_ops, 1);
}

static void do_read(struct worker *w)
{
	uint64_t off = (t_rand(&w->rnd) % (NZONES * ZONE_SIZE / BS - 2)) * BS;
	ssize_t ret;

	t_state(w->id, "zk_pread at %#" PRIx64, off);
	ret = zk_pread(t.dev, w->back, 2 * BS, off);
	CHECK_ALLOWED(ret, false, "zk_pread at %#" PRIx64, off);
}

static void *sync_main(void *arg)
{
	struct worker *w = arg;

	while (!atomic_load(&stop)) {
		unsigned int dice = (unsigned int)(t_rand(&w->rnd) % 100);
		uint32_t z = pick_seq_zone(w);

		if (dice < 55)
			do_append(w, z);
		else if (dice < 67)
			do_write(w, z);
		else if (dice < 80)
			do_read(w);
		else if (dice < 97)
			do_zone_op(w, z);
		else {
			t_state(w->id, "zk_flush");
			CHECK_ALLOWED(zk_flush(t.dev), false, "zk_flush%s", "");
		}
		atomic_fetch_add(&n_ops, 1);
	}
	t_state(w->id, "done");
	return NULL;
}

/* ---- queue threads ---- */

struct qreq {
	uint32_t z, len, seq;
	unsigned long rs0, re0;
	bool write;
	uint64_t off;
};

static void queue_burst(struct worker *w)
{
	struct qreq rq[QDEPTH];
	unsigned int n = 1 + (unsigned int)(t_rand(&w->rnd) % QDEPTH), got = 0;
	struct zk_cqe c[QDEPTH];

	for (unsigned int i = 0; i < n; i++) {
		struct qreq *r = &rq[i];
		uint8_t *b = w->buf + (size_t)i * MAX_BLKS * BS;
		int ret;

		r->z = pick_seq_zone(w);
		r->len = (1 + (uint32_t)(t_rand(&w->rnd) % MAX_BLKS)) * BS;
		r->seq = ++w->seq;
		r->rs0 = atomic_load(&resets_started[r->z]);
		r->re0 = atomic_load(&resets_ended[r->z]);
		r->write = false;
		t_rec_fill(b, r->len, BS, w->id, r->seq);
		t_state(w->id, "zk_queue_append zone %u", r->z);
		ret = zk_queue_append(w->q, zs(r->z), b, r->len, i);
		if (ret)
			T_FAIL("zk_queue_append: %s", t_errname(ret));
	}
	/* Now and then a synchronous call on this thread before reaping:
	 * the thread waits for zones its own queue holds. */
	if (!getenv("STRESS_NO_NESTED") && t_rand(&w->rnd) % 4 == 0) {
		uint32_t z = rq[0].z;

		if (t_rand(&w->rnd) % 2) {
			uint8_t *save = w->buf;

			w->buf = w->buf + (size_t)QDEPTH * MAX_BLKS * BS;
			do_append(w, z);
			w->buf = save;
		} else {
			do_zone_op(w, z);
		}
	}
	t_state(w->id, "zk_queue_reap %u", n);
	while (got < n) {
		int ret = zk_queue_reap(w->q, c + got, n - got, 1);

		if (ret <= 0)
			T_FAIL("zk_queue_reap: %s", t_errname(ret));
		got += (unsigned int)ret;
	}
	for (unsigned int k = 0; k < n; k++) {
		struct qreq *r = &rq[c[k].user_data];

		CHECK_ALLOWED(c[k].res, true, "queue append zone %u", r->z);
		if (c[k].res < 0)
			continue;
		if (c[k].res != r->len || c[k].offset < zs(r->z) ||
		    c[k].offset + r->len > zs(r->z) + ZONE_CAP)
			T_FAIL("queue append zone %u: res %lld at %#" PRIx64,
			       r->z, (long long)c[k].res, c[k].offset);
		log_ack(r->z, c[k].offset, r->len, w->id, r->seq, r->rs0,
			r->re0);
		check_now(w, r->z, c[k].offset, r->len, r->seq, r->rs0,
			  r->re0);
	}
	atomic_fetch_add(&n_ops, n);
}

static void *queue_main(void *arg)
{
	struct worker *w = arg;

	while (!atomic_load(&stop) && !getenv("STRESS_NO_QUEUES"))
		queue_burst(w);
	t_state(w->id, "done");
	return NULL;
}

/* ---- chaos: resync, marks, ALL operations ---- */

/* The zone chaos_main() left marked read-only or offline, if any:
 * brought back by main() once the faults are off. */
static uint32_t marked = UINT32_MAX;

static void *chaos_main(void *arg)
{
	struct worker *w = arg;

	while (!atomic_load(&stop)) {
		unsigned int dice = (unsigned int)(t_rand(&w->rnd) % 100);
		int ret;

		usleep(1000 + (useconds_t)(t_rand(&w->rnd) % 3000));
		if (getenv("STRESS_NO_RESYNC") && dice < 50)
			continue;
		if (getenv("STRESS_NO_MARKS") && dice >= 50 && dice < 75)
			continue;
		if (getenv("STRESS_NO_ALL") && dice >= 75)
			continue;
		if (dice < 50) {
			t_state(w->id, "zk_resync");
			ret = zk_resync(t.dev);
			CHECK_ALLOWED(ret, false, "zk_resync%s", "");
			atomic_fetch_add(&n_resyncs, 1);
		} else if (dice < 75) {
			/* mark a zone read-only or offline; bring it back */
			uint32_t z = marked == UINT32_MAX ? pick_seq_zone(w) : marked;
			unsigned int cond = marked != UINT32_MAX ? ZK_COND_EMPTY :
				t_rand(&w->rnd) % 2 ? ZK_COND_READONLY :
						     ZK_COND_OFFLINE;

			t_state(w->id, "zk_set_zone_cond zone %u %u", z, cond);
			reset_like_begin(z);
			ret = zk_set_zone_cond(t.dev, zs(z), cond);
			reset_like_end(z);
			CHECK_ALLOWED(ret, false, "zk_set_zone_cond zone %u", z);
			if (!ret)
				marked = cond == ZK_COND_EMPTY ? UINT32_MAX : z;
			atomic_fetch_add(&n_set_cond, 1);
		} else {
			static const enum zk_op ops[] = { ZK_OP_CLOSE, ZK_OP_OPEN,
							  ZK_OP_FINISH };
			enum zk_op op = ops[t_rand(&w->rnd) % 3];

			t_state(w->id, "zk_zone_op %d all", op);
			ret = zk_zone_op(t.dev, op, 0, t.info.capacity);
			CHECK_ALLOWED(ret, false, "zk_zone_op %d all", op);
			atomic_fetch_add(&n_zone_ops, 1);
		}
	}
	t_state(w->id, "done");
	return NULL;
}

/* ---- faults ---- */

static void *faults_main(void *arg)
{
	struct worker *w = arg;

	if (opt.faults == F_ALLOC)
		fa_fail_random(64, opt.seed);
	while (!atomic_load(&stop) && opt.faults == F_IO) {
		static const enum rel_fault_kind kinds[] = {
			RF_WRITE_SHORT, RF_WRITE_EIO, RF_WRITE_EIO_PARTIAL,
			RF_WRITE_ENOSPC };
		struct rel_fault f = {
			.kind = kinds[t_rand(&w->rnd) % 4], .zone = -1,
			.nth = 1 + (unsigned int)(t_rand(&w->rnd) % 20),
			.blocks = 1 + (unsigned int)(t_rand(&w->rnd) % 3),
		};

		rel_fault_clear();
		rel_fault_arm(&f);
		usleep(5000);
	}
	while (!atomic_load(&stop))
		usleep(10000);
	return NULL;
}

/* ---- the final checks ---- */

static int ack_cmp(const void *a, const void *b)
{
	const struct ack *x = a, *y = b;

	if (x->zone != y->zone)
		return x->zone < y->zone ? -1 : 1;
	if (x->gen != y->gen)
		return x->gen < y->gen ? -1 : 1;
	return x->landed < y->landed ? -1 : x->landed > y->landed;
}

static void final_checks(uint8_t *zbuf, uint8_t *want)
{
	unsigned int n = atomic_load(&n_acks), sure = 0;

	/* No two acknowledged ranges of a generation overlap. */
	qsort(acks, n, sizeof(*acks), ack_cmp);
	for (unsigned int i = 0; i < n; i++) {
		struct ack *a = &acks[i];

		if (!a->sure)
			continue;
		sure++;
		for (unsigned int j = i + 1; j < n && acks[j].zone == a->zone &&
		     acks[j].gen == a->gen; j++) {
			if (!acks[j].sure)
				continue;
			if (acks[j].landed < a->landed + a->len)
				T_FAIL("zone %u: acknowledged ranges overlap: %u "
				       "bytes at %#" PRIx64 " (thread %u seq %u) "
				       "and %u at %#" PRIx64 " (thread %u seq %u)",
				       a->zone, a->len, a->landed, a->tid, a->seq,
				       acks[j].len, acks[j].landed, acks[j].tid,
				       acks[j].seq);
			break;
		}
	}
	for (uint32_t z = NCONV; z < NZONES; z++) {
		struct zk_zone zone = T_ZONE(t.dev, zs(z));
		unsigned long gen = atomic_load(&resets_ended[z]);
		uint64_t used = zone.wp - zone.start;

		t_ctx("final checks, zone %u", z);
		T_ASSERT(zone.cond != ZK_COND_OFFLINE && zone.cond != ZK_COND_READONLY);
		T_RET(zk_pread(t.dev, zbuf, ZONE_SIZE, zs(z)), ZONE_SIZE);
		/* The last generation's acknowledged data is all there, below
		 * the wp. */
		for (unsigned int i = 0; i < n; i++) {
			struct ack *a = &acks[i];

			if (a->zone != z || !a->sure || a->gen != gen)
				continue;
			if (a->landed + a->len > zone.wp)
				T_FAIL("zone %u: wp %#" PRIx64 " below acknowledged "
				       "data ending at %#" PRIx64, z, zone.wp,
				       a->landed + a->len);
			t_rec_fill(want, a->len, BS, a->tid, a->seq);
			if (memcmp(zbuf + (a->landed - zone.start), want, a->len))
				T_FAIL("zone %u: %u bytes at %#" PRIx64 " (thread "
				       "%u seq %u) are not what was acknowledged",
				       z, a->len, a->landed, a->tid, a->seq);
		}
		/* The wp covers only written data (a finished zone's tail is
		 * no data). */
		if (zone.cond != ZK_COND_FULL) {
			for (uint64_t b = 0; b < used; b += BS) {
				const char *why = t_rec_check_block(zbuf + b, BS, NULL);

				if (why)
					T_FAIL("zone %u: block at +%#" PRIx64 " below "
					       "the wp (+%#" PRIx64 "): %s", z, b,
					       used, why);
			}
			T_EQ(rel_zone_file_size(&t, z), used);
		}
	}
	t_ctx("%s", "");
	t_info("final: %u acknowledged ranges, %u in a known generation, "
	       "checked", n, sure);
}

static struct worker *workers;

/* For the watchdog: every plug, read without locks (the threads are
 * stuck; a torn read is possible and acceptable in a post-mortem).
 * ThreadSanitizer would report these reads as races and, with
 * halt_on_error, end the run before the dump is out: tests/tsan.supp
 * leaves out reports in this function only. */
static void dump_plugs(FILE *out)
{
	struct zk_dev *d = t.dev;

	for (unsigned int i = SYNC_THREADS; workers && i < SYNC_THREADS + QUEUE_THREADS; i++) {
		struct zk_queue *q = workers[i].q;

		fprintf(out, "  queue %p (%s): outstanding %u kicks %p\n",
			(void *)q, q->engine->name, q->outstanding, (void *)q->kicks);
		for (unsigned int k = 0; k < q->depth; k++) {
			struct zk_req *r = &q->reqs[k];

			fprintf(out, "    qreq %p owner %p kind %d off %#" PRIx64
				" len %zu done %d leader %d cv_live %d next %p\n",
				(void *)r, (void *)r->owner, r->kind, r->off,
				r->len, (int)r->done, (int)r->leader, r->cv_live,
				(void *)r->next);
		}
	}
	for (uint32_t i = 0; d && i <= d->stripe_mask; i++) {
		for (struct zone_plug *p = d->stripes[i].plugs; p; p = p->next) {
			fprintf(out, "  plug %p zone %u: busy %d barriers %u refs %u "
				"waits_on %p parked %p tail +%#" PRIx64
				" wp word %#" PRIx64 "\n", (void *)p, p->zone, p->busy,
				p->barriers, p->refs, (void *)p->waits_on,
				(void *)p->parked,
				p->resv.tail - zs(p->zone),
				(uint64_t)atomic_load(&d->wpt.ent[p->zone]));
			for (struct zk_req *r = p->head; r; r = r->next)
				fprintf(out, "    req %p owner %p kind %d off %#" PRIx64
					" len %zu done %d leader %d cv_live %d\n",
					(void *)r, (void *)r->owner, r->kind,
					r->off, r->len, (int)r->done,
					(int)r->leader, r->cv_live);
		}
	}
}

/* ---- main ---- */

static void parse(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "seed", required_argument, NULL, 's' },
		{ "seconds", required_argument, NULL, 't' },
		{ "engine", required_argument, NULL, 'e' },
		{ "faults", required_argument, NULL, 'f' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (c) {
		case 's':
			opt.seed = strtoull(optarg, NULL, 0);
			break;
		case 't':
			opt.seconds = atof(optarg);
			break;
		case 'e':
			opt.engine = !strcmp(optarg, "ring") ? 0 :
				     !strcmp(optarg, "threads") ? 1 : 2;
			break;
		case 'f':
			opt.faults = !strcmp(optarg, "alloc") ? F_ALLOC :
				     !strcmp(optarg, "io") ? F_IO : F_NONE;
			break;
		default:
			t_skip("usage: stress [--seed N] [--seconds S] "
			       "[--engine ring|threads|both] [--faults none|alloc|io]");
		}
	}
	if (!opt.seed)
		opt.seed = (uint64_t)time(NULL) ^ (uint64_t)getpid() << 20;
	opt.seconds *= t_scale();
	if (opt.seconds < 1)
		opt.seconds = 1;
}

int main(int argc, char **argv)
{
	struct zk_geometry geo = { .capacity = NZONES * ZONE_SIZE,
				   .zone_size = ZONE_SIZE,
				   .zone_capacity = ZONE_CAP,
				   .nr_conv_zones = NCONV, .block_size = BS,
				   .max_open = 4, .max_active = 6 };
	static struct worker w[NTHREADS + 1];
	uint8_t *zbuf, *want;
	pthread_t faults_tid;
	struct zk_stats st;

	parse(argc, argv);
	t_info("seed %" PRIu64 " (rerun: --seed %" PRIu64 "), %.0f s, engine %s, "
	       "faults %s", opt.seed, opt.seed, opt.seconds,
	       (const char *[]){ "ring", "threads", "both" }[opt.engine],
	       (const char *[]){ "none", "alloc", "io" }[opt.faults]);
	acks = t_malloc(LOG_MAX * sizeof(*acks));
	zbuf = t_aligned(ZONE_SIZE);
	want = t_aligned(MAX_BLKS * BS);
	t_dev_create(&t, &geo);
	if (opt.faults == F_IO)
		rel_fault_install(t.dev);
	for (unsigned int i = 0; i <= NTHREADS; i++) {
		w[i].id = i;
		w[i].rnd = opt.seed * 0x9E3779B97F4A7C15ULL + i + 1;
		w[i].buf = t_aligned((size_t)(QDEPTH + 1) * MAX_BLKS * BS);
		w[i].back = t_aligned((size_t)MAX_BLKS * BS);
	}
	for (unsigned int i = 0; i < QUEUE_THREADS; i++) {
		int engine = opt.engine == 2 ? (int)(i % 2) : opt.engine;

		T_OK(zk_queue_init(t.dev, QDEPTH, engine ? ZK_QUEUE_THREADS :
				   ZK_QUEUE_NO_INLINE,
				   &w[SYNC_THREADS + i].q));
		t_info("queue thread %u: %s", SYNC_THREADS + i,
		       zk_queue_engine(w[SYNC_THREADS + i].q));
	}
	workers = w;
	t_watchdog_dump(dump_plugs);
	/* A hang is a call that does not return: one that takes STALL_SECS
	 * fails the run however long the run as a whole may take on a slow
	 * machine (both limits grow under sanitizers: t_watchdog_scale()). */
	t_watchdog_stall(STALL_SECS);
	t_watchdog_start(opt.seconds + 60);
	for (unsigned int i = 0; i < SYNC_THREADS; i++)
		T_ASSERT(!pthread_create(&w[i].tid_, NULL, sync_main, &w[i]));
	for (unsigned int i = SYNC_THREADS; i < SYNC_THREADS + QUEUE_THREADS; i++)
		T_ASSERT(!pthread_create(&w[i].tid_, NULL, queue_main, &w[i]));
	T_ASSERT(!pthread_create(&w[NTHREADS - 1].tid_, NULL, chaos_main,
				 &w[NTHREADS - 1]));
	T_ASSERT(!pthread_create(&faults_tid, NULL, faults_main, &w[NTHREADS]));
	usleep((useconds_t)(opt.seconds * 1e6));
	atomic_store(&stop, true);
	for (unsigned int i = 0; i < NTHREADS; i++)
		T_ASSERT(!pthread_join(w[i].tid_, NULL));
	T_ASSERT(!pthread_join(faults_tid, NULL));
	fa_disarm();
	if (opt.faults == F_IO)
		rel_fault_clear();
	/* Not before: with faults on, this could fail for want of memory. */
	if (marked != UINT32_MAX) {
		reset_like_begin(marked);
		T_OK(zk_set_zone_cond(t.dev, zs(marked), ZK_COND_EMPTY));
		reset_like_end(marked);
	}
	for (unsigned int i = SYNC_THREADS; i < SYNC_THREADS + QUEUE_THREADS; i++)
		zk_queue_exit(w[i].q);
	t_watchdog_stop();

	final_checks(zbuf, want);
	free(zbuf);
	free(want);
	T_OK(zk_stats(t.dev, &st));
	if (opt.faults == F_IO)
		rel_fault_uninstall(t.dev);
	/* The device reopens with the same zones. */
	{
		struct t_snap before;

		t_snap_take(t.dev, &before);
		t_dev_reopen(&t, 0);
		T_SNAP_SAME(t.dev, &before);
		t_snap_free(&before);
	}
	t_dev_close(&t);
	rel_figures("stress", "seed=%" PRIu64 " engine=%s faults=%s seconds=%.0f "
		    "ops=%lu acked=%lu failed=%lu zone_ops=%lu resyncs=%lu "
		    "set_cond=%lu checks=%lu merged=%" PRIu64 " retried=%" PRIu64
		    " relearns=%" PRIu64 " faults=%lu ring_faults=%lu"
		    " longest_call=%.2fs violations=0",
		    opt.seed, (const char *[]){ "ring", "threads", "both" }[opt.engine],
		    (const char *[]){ "none", "alloc", "io" }[opt.faults],
		    opt.seconds, atomic_load(&n_ops), atomic_load(&n_acked),
		    atomic_load(&n_failed), atomic_load(&n_zone_ops),
		    atomic_load(&n_resyncs), atomic_load(&n_set_cond),
		    atomic_load(&n_checks), st.merged, st.retried, st.relearns,
		    opt.faults == F_ALLOC ? fa_failed() :
		    opt.faults == F_IO ? rel_faults_total() : 0,
		    opt.faults == F_IO ? rel_faults_ring() : 0,
		    t_state_longest());
	return T_EXIT_PASS;
}
