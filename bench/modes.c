/* SPDX-License-Identifier: MIT */
/*
 * zkbench: the ways a run writes (see zkbench.c): a thread a stream (raw,
 * append, seed), or one thread and a queue of depth N (append-queue,
 * raw-uring).  Every mode of a cell writes the same bytes into the same
 * zones: operation i of a stream goes to zone base + i / ops_per_zone.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#ifdef ZKB_HAVE_URING
#include <liburing.h>
#endif

#include "cli_util.h"
#include "zkbench.h"

struct worker {
	struct run *r;
	unsigned int id;
	pthread_t th;
	void *buf;
	uint64_t *lat;
	uint64_t n;
	uint64_t t0, t1;
	int err;
};

static void op_place(const struct run *r, unsigned int s, uint64_t i,
		     uint32_t *zone, uint64_t *zoff)
{
	uint64_t zi = i / r->ops_per_zone;

	*zoff = (i % r->ops_per_zone) * r->size;
	if (r->zm == Z_SHARED)
		*zone = r->zone_base + (uint32_t)zi;
	else
		*zone = r->zone_base + s * r->zones_per_stream + (uint32_t)zi;
}

/* Take operation number i for stream @s (per-thread: its own count @j). */
static bool op_next(struct run *r, uint64_t *j, uint64_t *i)
{
	if (atomic_load_explicit(&r->stop, memory_order_relaxed) || interrupted)
		return false;
	if (r->zm == Z_SHARED) {
		*i = atomic_fetch_add(&r->next, 1);
		return *i < r->ops;
	}
	if (*j >= r->ops_per_stream)
		return false;
	*i = (*j)++;
	return true;
}

static int raw_write(struct run *r, uint32_t z, uint64_t zoff, const void *buf)
{
	uint64_t off;
	int fd, ret;

	if (!bdev.ordered || r->zm == Z_PER_THREAD) {
		fd = raw_target(z, zoff, &off);
		return pwrite_all(fd, buf, r->size, off);
	}
	/* In zone order: the next offset of the zone, under its lock. */
	pthread_mutex_lock(&r->zlock[z - r->zone_base]);
	fd = raw_target(z, r->zwp[z - r->zone_base], &off);
	ret = pwrite_all(fd, buf, r->size, off);
	r->zwp[z - r->zone_base] += r->size;
	pthread_mutex_unlock(&r->zlock[z - r->zone_base]);
	return ret;
}

static int append_one(struct run *r, uint32_t z, const void *buf)
{
	uint64_t landed, start = zone_start(z);
	int ret = zk_append(bdev.dev, start, buf, r->size, &landed);

	if (!ret && (landed < start ||
		     landed + r->size > start + bdev.info.zone_capacity))
		ret = -ERANGE; /* landed outside its zone: a bug */
	return ret;
}

static void *sync_worker(void *arg)
{
	struct worker *w = arg;
	struct run *r = w->r;
	uint64_t j = 0, i;

	pthread_barrier_wait(&r->barrier);
	w->t0 = now_ns();
	while (op_next(r, &j, &i)) {
		uint64_t t0, t1, zoff;
		uint32_t z;
		int ret;

		op_place(r, w->id, i, &z, &zoff);
		t0 = now_ns();
		switch (r->mode) {
		case M_RAW:
			ret = raw_write(r, z, zoff, w->buf);
			break;
		case M_APPEND:
			ret = append_one(r, z, w->buf);
			break;
		case M_SEED:
			/* The seed design: one device-wide lock held across
			 * the whole write. */
			pthread_mutex_lock(&r->seed_lock);
			ret = append_one(r, z, w->buf);
			pthread_mutex_unlock(&r->seed_lock);
			break;
		default:
			ret = -EINVAL;
		}
		t1 = now_ns();
		if (ret) {
			w->err = ret;
			atomic_store(&r->stop, true);
			break;
		}
		w->lat[w->n++] = t1 - t0;
		if (t1 - r->t_begin > r->cap_ns) {
			atomic_store(&r->capped, true);
			atomic_store(&r->stop, true);
		}
	}
	w->t1 = now_ns();
	return NULL;
}

void run_threads(struct run *r)
{
	struct worker *w = xcalloc(r->streams, sizeof(*w));
	uint64_t per = r->zm == Z_SHARED ? r->ops : r->ops_per_stream;
	uint64_t t0 = UINT64_MAX, t1 = 0;

	r->depth = r->streams;
	r->engine = r->mode == M_RAW ? "pwrite" :
		    r->mode == M_SEED ? "sync, device-wide lock" : "sync";
	pthread_barrier_init(&r->barrier, NULL, r->streams + 1);
	for (unsigned int t = 0; t < r->streams; t++) {
		w[t].r = r;
		w[t].id = t;
		w[t].buf = aligned_buf(r->size, 0x5a + (int)t);
		w[t].lat = xcalloc(per, sizeof(uint64_t));
		if (pthread_create(&w[t].th, NULL, sync_worker, &w[t]))
			die("pthread_create: %s", strerror(errno));
	}
	r->t_begin = now_ns();
	pthread_barrier_wait(&r->barrier);
	for (unsigned int t = 0; t < r->streams; t++)
		pthread_join(w[t].th, NULL);
	pthread_barrier_destroy(&r->barrier);

	r->lat = xcalloc(r->ops, sizeof(uint64_t));
	for (unsigned int t = 0; t < r->streams; t++) {
		if (w[t].err && !r->err) {
			r->err = w[t].err;
			r->err_what = mode_names[r->mode];
		}
		if (w[t].n) {
			t0 = w[t].t0 < t0 ? w[t].t0 : t0;
			t1 = w[t].t1 > t1 ? w[t].t1 : t1;
		}
		memcpy(r->lat + r->nlat, w[t].lat, w[t].n * sizeof(uint64_t));
		r->nlat += w[t].n;
		free(w[t].lat);
		free(w[t].buf);
	}
	r->done = r->nlat;
	r->secs = t1 > t0 ? (double)(t1 - t0) / 1e9 : 0;
	free(w);
}

/* ---- queue modes: one thread, depth N ---- */

struct slot {
	void *buf;
	uint64_t t_sub;
	uint64_t j;      /* per-thread zones: the stream's own count */
	bool busy;
};

static bool slot_op(struct run *r, struct slot *sl, unsigned int s,
		    uint32_t *z, uint64_t *zoff)
{
	uint64_t i;

	if (!op_next(r, &sl->j, &i))
		return false;
	op_place(r, s, i, z, zoff);
	return true;
}

/* The run's buffers and latencies for @depth slots; the start time. */
static uint64_t slots_start(struct run *r, struct slot *sl, unsigned int depth)
{
	r->depth = depth;
	r->lat = xcalloc(r->ops, sizeof(uint64_t));
	for (unsigned int s = 0; s < depth; s++)
		sl[s].buf = aligned_buf(r->size, 0x5a + (int)s);
	r->t_begin = now_ns();
	return r->t_begin;
}

static void slots_free(struct slot *sl, unsigned int depth)
{
	for (unsigned int s = 0; s < depth; s++)
		free(sl[s].buf);
	free(sl);
}

/* A completion of @res, not the whole write: the run stops, with the
 * first error it met. */
static void slot_failed(struct run *r, struct slot *sl, int64_t res,
			const char *what)
{
	if (!r->err) {
		r->err = res < 0 ? (int)res : -EIO;
		r->err_what = what;
	}
	atomic_store(&r->stop, true);
	sl->busy = false;
}

static void queue_done(struct run *r, struct slot *sl, uint64_t now)
{
	uint64_t d = now - sl->t_sub;

	r->lat[r->nlat++] = d;
	sl->busy = false;
	if (now - r->t_begin > r->cap_ns) {
		atomic_store(&r->capped, true);
		atomic_store(&r->stop, true);
	}
}

void run_append_queue(struct run *r)
{
	unsigned int depth = r->streams;
	struct slot *sl = xcalloc(depth, sizeof(*sl));
	struct zk_cqe *cqes = xcalloc(depth, sizeof(*cqes));
	struct zk_queue *q;
	unsigned int inflight = 0;
	uint64_t t0, t1;
	int ret;

	ret = zk_queue_init(bdev.dev, depth,
			    (opt.queue_threads ? ZK_QUEUE_THREADS : 0) |
			    (opt.queue_no_inline ? ZK_QUEUE_NO_INLINE : 0), &q);
	if (ret) {
		r->err = ret;
		r->err_what = "zk_queue_init";
		goto out;
	}
	r->engine = zk_queue_engine(q);
	/* Buffered emulated device: batches up to 128 KiB are written by the
	 * submitting thread (zk_queue_init(3)); say so. */
	if (!strcmp(r->engine, "io_uring") && !bdev.blkdev && !opt.direct &&
	    !opt.queue_no_inline)
		r->engine = "io_uring, inline <= 128K";
	t0 = slots_start(r, sl, depth);
	for (unsigned int s = 0; s < depth; s++) {
		uint64_t zoff;
		uint32_t z;

		if (!slot_op(r, &sl[s], s, &z, &zoff))
			break;
		sl[s].t_sub = now_ns();
		ret = zk_queue_append(q, zone_start(z), sl[s].buf, r->size, s);
		if (ret) {
			r->err = ret;
			r->err_what = "zk_queue_append";
			break;
		}
		sl[s].busy = true;
		inflight++;
	}
	while (inflight) {
		int n = zk_queue_reap(q, cqes, depth, 1);
		uint64_t now = now_ns();

		if (n < 0) {
			r->err = n;
			r->err_what = "zk_queue_reap";
			break;
		}
		for (int k = 0; k < n; k++) {
			unsigned int s = (unsigned int)cqes[k].user_data;
			uint64_t zoff;
			uint32_t z;

			inflight--;
			if (cqes[k].res != (int64_t)r->size) {
				slot_failed(r, &sl[s], cqes[k].res,
					    "append-queue completion");
				continue;
			}
			queue_done(r, &sl[s], now);
			if (r->err || !slot_op(r, &sl[s], s, &z, &zoff))
				continue;
			sl[s].t_sub = now_ns();
			ret = zk_queue_append(q, zone_start(z), sl[s].buf,
					      r->size, s);
			if (ret) {
				r->err = ret;
				r->err_what = "zk_queue_append";
				atomic_store(&r->stop, true);
				continue;
			}
			sl[s].busy = true;
			inflight++;
		}
	}
	t1 = now_ns();
	zk_queue_exit(q);
	r->done = r->nlat;
	r->secs = (double)(t1 - t0) / 1e9;
out:
	slots_free(sl, depth);
	free(cqes);
}

#ifdef ZKB_HAVE_URING
void run_raw_uring(struct run *r)
{
	/* One write in flight per zone when order matters and the zone is
	 * shared: a depth of 1. */
	unsigned int depth = bdev.ordered && r->zm == Z_SHARED ? 1 : r->streams;
	struct slot *sl = xcalloc(depth, sizeof(*sl));
	struct io_uring ring;
	unsigned int inflight = 0;
	uint64_t t0, t1;
	int ret;

	ret = io_uring_queue_init(depth < 8 ? 8 : depth, &ring, 0);
	if (ret) {
		r->err = ret;
		r->err_what = "io_uring_queue_init";
		free(sl);
		return;
	}
	r->engine = "io_uring";
	t0 = slots_start(r, sl, depth);
	for (;;) {
		struct io_uring_cqe *cqe;
		unsigned int head, seen = 0;
		uint64_t now;

		/* fill every idle slot */
		for (unsigned int s = 0; s < depth && !r->err; s++) {
			struct io_uring_sqe *sqe;
			uint64_t zoff, off;
			uint32_t z;
			int fd;

			if (sl[s].busy || !slot_op(r, &sl[s], s, &z, &zoff))
				continue;
			sqe = io_uring_get_sqe(&ring);
			fd = raw_target(z, zoff, &off);
			io_uring_prep_write(sqe, fd, sl[s].buf,
					    (unsigned int)r->size, off);
			io_uring_sqe_set_data64(sqe, s);
			sl[s].t_sub = now_ns();
			sl[s].busy = true;
			inflight++;
		}
		if (!inflight)
			break;
		ret = io_uring_submit_and_wait(&ring, 1);
		if (ret < 0 && ret != -EINTR) {
			r->err = ret;
			r->err_what = "io_uring_submit_and_wait";
			break;
		}
		now = now_ns();
		io_uring_for_each_cqe(&ring, head, cqe) {
			unsigned int s = (unsigned int)io_uring_cqe_get_data64(cqe);

			seen++;
			inflight--;
			if (cqe->res != (int)r->size) {
				/* a short buffered write is not expected */
				slot_failed(r, &sl[s], cqe->res,
					    "raw-uring completion");
				continue;
			}
			queue_done(r, &sl[s], now);
		}
		io_uring_cq_advance(&ring, seen);
		if (r->err && !inflight)
			break;
	}
	t1 = now_ns();
	io_uring_queue_exit(&ring);
	r->done = r->nlat;
	r->secs = (double)(t1 - t0) / 1e9;
	slots_free(sl, depth);
}
#else
void run_raw_uring(struct run *r)
{
	r->err = -EOPNOTSUPP;
	r->err_what = "raw-uring (built without liburing)";
}
#endif
