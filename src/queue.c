/* SPDX-License-Identifier: MIT */
/*
 * Queues: asynchronous submission for event-driven programs.  A queue
 * belongs to one thread (like an io_uring); it submits appends, writes and
 * reads and reaps completions, each carrying the offset where the data
 * landed.  Queues of several threads share the zones' plugs, so appends
 * from all of them merge into the same backend writes.
 *
 * Two engines:
 *  - io_uring: a zone's batch goes out as one writev SQE on the ring of the
 *    queue that owns the batch's first request; its completion, reaped by
 *    that queue, completes every request in the batch (posting to other
 *    queues or waking synchronous callers) and issues the next batch.
 *    Small buffered batches are written by the owner thread instead (see
 *    write_inline), unless ZK_QUEUE_NO_INLINE.
 *  - threads, where io_uring is missing or refused: a few workers per queue
 *    run the synchronous calls.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifdef ZK_HAVE_URING
#include <liburing.h>
#include <sys/eventfd.h>
#endif

#include "zk_internal.h"

#define MAX_WORKERS 8u

enum io_kind { IO_BATCH, IO_SINGLE, IO_WAKE };

/* One I/O on the ring. */
struct zkq_io {
	struct zkq_io *next_free;
	enum io_kind kind;
	uint32_t zone;
	struct zk_req *r;      /* IO_SINGLE */
	struct iovec iov;      /* IO_SINGLE */
	struct zk_batch b;     /* IO_BATCH */
};

struct zk_queue {
	struct zk_dev *dev;
	unsigned int depth;
	unsigned int outstanding; /* submitted, not yet reaped (owner only) */
	struct zk_req *reqs, *free_reqs;
	struct zkq_io *free_ios;  /* ring I/Os for reuse (owner only) */

	pthread_mutex_t lock;     /* a leaf lock: completions and kicks */
	pthread_cond_t cv;
	struct zk_req *done, **done_tail;
	struct zone_plug *kicks;  /* zones handed to this queue */
	bool sleeping;

	bool uring;
	bool inline_writes; /* small buffered writes from the owner thread */
#ifdef ZK_HAVE_URING
	struct io_uring ring;
	int efd;
	bool efd_armed;
	uint64_t efd_val;
	struct zkq_io wake_io;
#endif
	/* thread engine */
	pthread_t workers[MAX_WORKERS];
	unsigned int nr_workers;
	struct zk_req *jobs, **jobs_tail;
	pthread_cond_t jobs_cv;
	bool stop;
};

/* ---- completions and kicks (called under a stripe lock) ---- */

static void wake_owner(struct zk_queue *q)
{
	if (!q->sleeping)
		return;
#ifdef ZK_HAVE_URING
	if (q->uring) {
		uint64_t one = 1;

		if (write(q->efd, &one, sizeof(one)) < 0) {
			/* the counter cannot overflow in practice; nothing to do */
		}
		return;
	}
#endif
	pthread_cond_signal(&q->cv);
}

static void post_locked(struct zk_queue *q, struct zk_req *r)
{
	r->next = NULL;
	*q->done_tail = r;
	q->done_tail = &r->next;
	wake_owner(q);
}

void zkq_post(struct zk_queue *q, struct zk_req *r)
{
	pthread_mutex_lock(&q->lock);
	post_locked(q, r);
	pthread_mutex_unlock(&q->lock);
}

void zkq_kick(struct zk_queue *q, struct zone_plug *p)
{
	pthread_mutex_lock(&q->lock);
	p->kick_next = q->kicks;
	q->kicks = p;
	wake_owner(q);
	pthread_mutex_unlock(&q->lock);
}

/* ---- the io_uring engine ---- */

#ifdef ZK_HAVE_URING
/* Ring I/Os are over 4 KiB (a batch's iovecs): keep them, no malloc per
 * write.  Only the queue's owner thread issues and reaps them. */
static struct zkq_io *io_alloc(struct zk_queue *q)
{
	struct zkq_io *io = q->free_ios;

	if (io)
		q->free_ios = io->next_free;
	else
		io = malloc(sizeof(*io));
	return io;
}

static void io_free(struct zk_queue *q, struct zkq_io *io)
{
	io->next_free = q->free_ios;
	q->free_ios = io;
}

static struct io_uring_sqe *get_sqe(struct zk_queue *q)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(&q->ring);

	if (!sqe) { /* ring full: send what is there */
		io_uring_submit(&q->ring);
		sqe = io_uring_get_sqe(&q->ring);
	}
	return sqe;
}

/*
 * A buffered write is a copy into the page cache.  File systems that can
 * start one without blocking (FMODE_BUF_WASYNC: xfs, btrfs) have io_uring
 * copy it inline, in the submitting thread; on the others (tmpfs, ext4)
 * io_uring hands every buffered write to a kernel worker, a round trip of
 * some 45 us here for a 4 KiB copy of 2.5 us.  So on those, zonekit does
 * what io_uring does on the former: it writes the batch from the
 * submitting thread (the synchronous path), up to a size that bounds how
 * long a submit can take.  Only an emulated device without ZK_DIRECT is
 * buffered; O_DIRECT writes always go to the ring.
 */
#define INLINE_WRITE_MAX (128u << 10)

static bool write_inline(const struct zk_queue *q, size_t len)
{
	return q->inline_writes && len <= INLINE_WRITE_MAX;
}

/* Should the batch at the head of @p go out from this thread?  A queue of
 * at most INLINE_WRITE_MAX bytes is one batch whole (256 iovecs of at
 * least 512 bytes). */
static bool batch_inline(const struct zk_queue *q, const struct zone_plug *p)
{
	size_t total = 0;

	if (!q->inline_writes)
		return false;
	for (const struct zk_req *r = p->head; r; r = r->next) {
		total += r->len;
		if (total > INLINE_WRITE_MAX)
			return false;
	}
	return true;
}

/* Put a taken batch back at the head of its plug's queue. */
static void batch_untake(struct zone_plug *p, struct zk_batch *b)
{
	struct zk_req *last = b->reqs;

	while (last->next)
		last = last->next;
	last->next = p->head;
	if (!p->head)
		p->tailp = &last->next;
	p->head = b->reqs;
}

int zkq_issue_batch(struct zk_queue *q, struct zk_dev *d, struct zone_plug *p)
{
	struct zk_stripe *s = zk_stripe_of(d, p->zone);
	struct io_uring_sqe *sqe;
	struct zkq_io *io;
	int ret = -EOPNOTSUPP;

	if (!q->uring || !d->ops->io_get || batch_inline(q, p) ||
	    !(io = io_alloc(q)))
		return -EOPNOTSUPP;
	io->kind = IO_BATCH;
	io->zone = p->zone;
	batch_take(p, &io->b);
	/* The zone is busy and the batch ours: safe to look it up unlocked
	 * (a cache miss opens a file). */
	pthread_mutex_unlock(&s->lock);
	ret = d->ops->io_get(d, p->zone, io->b.reqs->off, io->b.iov,
			     (int)io->b.n, true, &io->b.io);
	sqe = ret ? NULL : get_sqe(q);
	if (sqe) {
		io_uring_prep_writev(sqe, io->b.io.fd, io->b.iov, io->b.n,
				     io->b.io.foff);
		io_uring_sqe_set_data(sqe, io);
	} else if (!ret) {
		d->ops->io_put(d, p->zone, &io->b.io, -EAGAIN, io->b.total, true);
		ret = -EAGAIN;
	}
	pthread_mutex_lock(&s->lock);
	if (ret) {
		batch_untake(p, &io->b);
		io_free(q, io);
	}
	return ret;
}

static void finish_batch_io(struct zk_queue *q, struct zkq_io *io, int res)
{
	struct zk_dev *d = q->dev;
	struct zone_plug *p = io->b.p;
	struct zk_stripe *s = zk_stripe_of(d, io->zone);
	ssize_t written = d->ops->io_put(d, io->zone, &io->b.io, res,
					 io->b.total, true);

	pthread_mutex_lock(&s->lock);
	batch_finish(d, s, &io->b, written);
	zone_drive(d, s, p, NULL, q);
	plug_put_if_idle(s, p);
	pthread_mutex_unlock(&s->lock);
	zs_recheck_implicit(d);
	io_free(q, io);
}

static void finish_single_io(struct zk_queue *q, struct zkq_io *io, int res)
{
	struct zk_dev *d = q->dev;
	struct zk_req *r = io->r;
	ssize_t ret = d->ops->io_put(d, io->zone, &io->b.io, res, r->len,
				     r->kind != REQ_READ);

	if (ret >= 0 && (size_t)ret < r->len && r->kind == REQ_READ) {
		memset((char *)r->buf + ret, 0, r->len - (size_t)ret);
		ret = (ssize_t)r->len; /* past the wp: zeros */
	}
	if (ret >= 0 && (size_t)ret != r->len)
		ret = -EIO;
	if (ret >= 0 && r->kind != REQ_READ)
		atomic_fetch_add_explicit(&d->stats.writes, 1,
					  memory_order_relaxed);
	r->result = ret < 0 ? (int)ret : 0;
	req_set_done(r);
	zkq_post(q, r);
	io_free(q, io);
}

/* A conventional-zone write or a read: straight to the ring.  -EOPNOTSUPP:
 * do it synchronously. */
static int submit_single(struct zk_queue *q, struct zk_req *r)
{
	struct zk_dev *d = q->dev;
	uint32_t z = zk_zone_of(d, r->off);
	struct io_uring_sqe *sqe;
	struct zkq_io *io;
	bool write = r->kind != REQ_READ;
	int ret;

	if (!d->ops->io_get || (write && write_inline(q, r->len)) ||
	    !(io = io_alloc(q)))
		return -EOPNOTSUPP;
	io->kind = IO_SINGLE;
	io->zone = z;
	io->r = r;
	io->iov.iov_base = (void *)r->buf;
	io->iov.iov_len = r->len;
	ret = d->ops->io_get(d, z, r->off, &io->iov, 1, write, &io->b.io);
	sqe = ret ? NULL : get_sqe(q);
	if (!sqe) {
		if (!ret)
			d->ops->io_put(d, z, &io->b.io, -EAGAIN, r->len, write);
		io_free(q, io);
		return -EOPNOTSUPP;
	}
	if (write)
		io_uring_prep_writev(sqe, io->b.io.fd, &io->iov, 1, io->b.io.foff);
	else
		io_uring_prep_readv(sqe, io->b.io.fd, &io->iov, 1, io->b.io.foff);
	io_uring_sqe_set_data(sqe, io);
	return 0;
}

static void handle_cqe(struct zk_queue *q, struct io_uring_cqe *cqe)
{
	struct zkq_io *io = io_uring_cqe_get_data(cqe);
	int res = cqe->res;

	switch (io->kind) {
	case IO_WAKE:
		q->efd_armed = false;
		break;
	case IO_BATCH:
		finish_batch_io(q, io, res);
		break;
	case IO_SINGLE:
		finish_single_io(q, io, res);
		break;
	}
}

static void reap_ring(struct zk_queue *q)
{
	struct io_uring_cqe *cqe;

	while (!io_uring_peek_cqe(&q->ring, &cqe)) {
		/* copy out and mark seen first: handling may submit more */
		struct io_uring_cqe c = *cqe;

		io_uring_cqe_seen(&q->ring, cqe);
		handle_cqe(q, &c);
	}
}

/* Sleep until a CQE or a post from another thread (via the eventfd). */
static void wait_ring(struct zk_queue *q)
{
	if (!q->efd_armed) {
		struct io_uring_sqe *sqe = get_sqe(q);

		if (sqe) {
			io_uring_prep_read(sqe, q->efd, &q->efd_val,
					   sizeof(q->efd_val), 0);
			io_uring_sqe_set_data(sqe, &q->wake_io);
			q->efd_armed = true;
		}
	}
	io_uring_submit_and_wait(&q->ring, 1);
}

static bool uring_init(struct zk_queue *q)
{
	if (io_uring_queue_init(q->depth * 2 + 8, &q->ring, 0))
		return false;
	q->efd = eventfd(0, EFD_CLOEXEC);
	if (q->efd < 0) {
		io_uring_queue_exit(&q->ring);
		return false;
	}
	q->wake_io.kind = IO_WAKE;
	return true;
}

static void uring_exit(struct zk_queue *q)
{
	io_uring_queue_exit(&q->ring);
	close(q->efd);
	while (q->free_ios) {
		struct zkq_io *io = q->free_ios;

		q->free_ios = io->next_free;
		free(io);
	}
}
#else
int zkq_issue_batch(struct zk_queue *q, struct zk_dev *d, struct zone_plug *p)
{
	(void)q, (void)d, (void)p;
	return -EOPNOTSUPP;
}
#endif /* ZK_HAVE_URING */

/* ---- the thread engine ---- */

static void run_job(struct zk_dev *d, struct zk_req *r)
{
	ssize_t ret;

	switch (r->kind) {
	case REQ_APPEND:
		r->result = zk_append(d, r->off, r->buf, r->len, &r->off);
		return;
	case REQ_WRITE:
		ret = zk_pwrite(d, r->buf, r->len, r->off);
		break;
	case REQ_READ:
		ret = zk_pread(d, (void *)r->buf, r->len, r->off);
		break;
	default:
		ret = -EINVAL;
	}
	r->result = ret < 0 ? (int)ret : 0;
}

static void *worker_main(void *arg)
{
	struct zk_queue *q = arg;

	pthread_mutex_lock(&q->lock);
	for (;;) {
		struct zk_req *r = q->jobs;

		if (!r) {
			if (q->stop)
				break;
			pthread_cond_wait(&q->jobs_cv, &q->lock);
			continue;
		}
		q->jobs = r->next;
		if (!q->jobs)
			q->jobs_tail = &q->jobs;
		pthread_mutex_unlock(&q->lock);
		run_job(q->dev, r);
		pthread_mutex_lock(&q->lock);
		req_set_done(r);
		post_locked(q, r);
	}
	pthread_mutex_unlock(&q->lock);
	return NULL;
}

static int threads_init(struct zk_queue *q)
{
	unsigned int n = q->depth < MAX_WORKERS ? q->depth : MAX_WORKERS;

	pthread_cond_init(&q->jobs_cv, NULL);
	q->jobs_tail = &q->jobs;
	for (q->nr_workers = 0; q->nr_workers < n; q->nr_workers++)
		if (pthread_create(&q->workers[q->nr_workers], NULL, worker_main, q))
			break;
	return q->nr_workers ? 0 : -EAGAIN;
}

static void threads_exit(struct zk_queue *q)
{
	pthread_mutex_lock(&q->lock);
	q->stop = true;
	pthread_cond_broadcast(&q->jobs_cv);
	pthread_mutex_unlock(&q->lock);
	for (unsigned int i = 0; i < q->nr_workers; i++)
		pthread_join(q->workers[i], NULL);
	pthread_cond_destroy(&q->jobs_cv);
}

static void queue_job(struct zk_queue *q, struct zk_req *r)
{
	pthread_mutex_lock(&q->lock);
	r->next = NULL;
	*q->jobs_tail = r;
	q->jobs_tail = &r->next;
	pthread_cond_signal(&q->jobs_cv);
	pthread_mutex_unlock(&q->lock);
}

/* ---- submission ---- */

static struct zk_req *req_alloc(struct zk_queue *q, enum zk_req_kind kind,
				const void *buf, size_t len, uint64_t off,
				uint64_t user_data)
{
	struct zk_req *r = q->free_reqs;

	if (!r)
		return NULL;
	q->free_reqs = r->next;
	memset(r, 0, sizeof(*r));
	r->kind = kind;
	r->buf = buf;
	r->len = len;
	r->off = off;
	r->user_data = user_data;
	q->outstanding++;
	return r;
}

/* Finish @r now, from the submitting thread. */
static void complete_now(struct zk_queue *q, struct zk_req *r, int result)
{
	r->result = result;
	req_set_done(r);
	zkq_post(q, r);
}

static void submit_seq_write(struct zk_queue *q, struct zk_req *r)
{
	struct zk_dev *d = q->dev;
	uint32_t z = zk_zone_of(d, r->off);
	struct zk_stripe *s = zk_stripe_of(d, z);
	struct zone_plug *p;
	int ret;

	r->q = q;
	if (r->kind == REQ_APPEND)
		r->off = UINT64_MAX;
	ret = zone_reserve(d, z, r, &p);
	if (ret) {
		r->q = NULL;
		complete_now(q, r, ret);
		return;
	}
	if (!p->busy) {
		p->busy = true;
		zone_drive(d, s, p, NULL, q);
	}
	p->refs--;
	plug_put_if_idle(s, p);
	pthread_mutex_unlock(&s->lock);
}

static void submit(struct zk_queue *q, struct zk_req *r)
{
	struct zk_dev *d = q->dev;
	bool seq = r->kind != REQ_READ &&
		   !zk_zone_is_conv(d, zk_zone_of(d, r->off));

	if (!q->uring) {
		queue_job(q, r);
		return;
	}
	if (seq) {
		submit_seq_write(q, r);
		return;
	}
#ifdef ZK_HAVE_URING
	if (r->kind == REQ_WRITE ||
	    zk_zone_of(d, r->off) == zk_zone_of(d, r->off + r->len - 1)) {
		if (!submit_single(q, r))
			return;
	}
#endif
	run_job(d, r); /* spans zones, or the backend wants the plain path */
	req_set_done(r);
	zkq_post(q, r);
}

ZK_EXPORT int zk_queue_append(struct zk_queue *q, uint64_t zone_start,
			      const void *buf, size_t len, uint64_t user_data)
{
	struct zk_req *r;
	int ret;

	if (!q || !buf)
		return -EINVAL;
	ret = zk_check_append(q->dev, zone_start, len);
	if (ret)
		return ret;
	r = req_alloc(q, REQ_APPEND, buf, len, zone_start, user_data);
	if (!r)
		return -EAGAIN;
	submit(q, r);
	return 0;
}

ZK_EXPORT int zk_queue_write(struct zk_queue *q, const void *buf, size_t len,
			     uint64_t off, uint64_t user_data)
{
	struct zk_req *r;
	int ret;

	if (!q || !buf)
		return -EINVAL;
	ret = zk_check_write(q->dev, len, off);
	if (ret)
		return ret;
	r = req_alloc(q, REQ_WRITE, buf, len, off, user_data);
	if (!r)
		return -EAGAIN;
	submit(q, r);
	return 0;
}

ZK_EXPORT int zk_queue_read(struct zk_queue *q, void *buf, size_t len,
			    uint64_t off, uint64_t user_data)
{
	struct zk_req *r;
	int ret;

	if (!q || !buf)
		return -EINVAL;
	ret = zk_check_read(q->dev, len, off);
	if (ret)
		return ret;
	r = req_alloc(q, REQ_READ, buf, len, off, user_data);
	if (!r)
		return -EAGAIN;
	submit(q, r);
	return 0;
}

ZK_EXPORT int zk_queue_submit(struct zk_queue *q)
{
	if (!q)
		return -EINVAL;
#ifdef ZK_HAVE_URING
	if (q->uring) {
		int ret = io_uring_submit(&q->ring);

		return ret < 0 ? ret : 0;
	}
#endif
	return 0;
}

/* ---- reaping ---- */

/* Drive the zones other queues or threads handed to us. */
static void run_kicks(struct zk_queue *q)
{
	struct zone_plug *p, *next;

	pthread_mutex_lock(&q->lock);
	p = q->kicks;
	q->kicks = NULL;
	pthread_mutex_unlock(&q->lock);
	for (; p; p = next) {
		struct zk_stripe *s = zk_stripe_of(q->dev, p->zone);

		next = p->kick_next;
		pthread_mutex_lock(&s->lock);
		zone_drive(q->dev, s, p, NULL, q);
		plug_put_if_idle(s, p);
		pthread_mutex_unlock(&s->lock);
	}
}

static unsigned int take_done(struct zk_queue *q, struct zk_cqe *cqes,
			      unsigned int max)
{
	unsigned int n = 0;

	pthread_mutex_lock(&q->lock);
	while (q->done && n < max) {
		struct zk_req *r = q->done;

		q->done = r->next;
		if (!q->done)
			q->done_tail = &q->done;
		cqes[n].user_data = r->user_data;
		cqes[n].res = r->result ? r->result : (int64_t)r->len;
		cqes[n].offset = r->off;
		n++;
		r->next = q->free_reqs;
		q->free_reqs = r;
	}
	pthread_mutex_unlock(&q->lock);
	q->outstanding -= n;
	return n;
}

/* Sleep unless something is already there to take. */
static void wait_for_work(struct zk_queue *q)
{
	pthread_mutex_lock(&q->lock);
	if (q->done || q->kicks) {
		pthread_mutex_unlock(&q->lock);
		return;
	}
	q->sleeping = true;
#ifdef ZK_HAVE_URING
	if (q->uring) {
		pthread_mutex_unlock(&q->lock);
		wait_ring(q);
		pthread_mutex_lock(&q->lock);
		q->sleeping = false;
		pthread_mutex_unlock(&q->lock);
		return;
	}
#endif
	pthread_cond_wait(&q->cv, &q->lock);
	q->sleeping = false;
	pthread_mutex_unlock(&q->lock);
}

ZK_EXPORT int zk_queue_reap(struct zk_queue *q, struct zk_cqe *cqes,
			    unsigned int max, unsigned int min)
{
	unsigned int got = 0;

	if (!q || (max && !cqes) || min > max)
		return -EINVAL;
	for (;;) {
#ifdef ZK_HAVE_URING
		if (q->uring) {
			io_uring_submit(&q->ring);
			reap_ring(q);
		}
#endif
		run_kicks(q);
		got += take_done(q, cqes + got, max - got);
		if (got >= min || got == max || !q->outstanding)
			break;
		wait_for_work(q);
	}
	return (int)got;
}

/* ---- life cycle ---- */

ZK_EXPORT int zk_queue_init(struct zk_dev *d, unsigned int depth,
			    unsigned int flags, struct zk_queue **qp)
{
	struct zk_queue *q;
	int ret = 0;

	if (!d || !qp || !depth || depth > 65536 ||
	    (flags & ~(ZK_QUEUE_THREADS | ZK_QUEUE_NO_INLINE)))
		return -EINVAL;
	q = calloc(1, sizeof(*q));
	if (!q)
		return -ENOMEM;
	q->dev = d;
	q->depth = depth;
	q->inline_writes = d->buffered && !(flags & ZK_QUEUE_NO_INLINE);
	q->reqs = calloc(depth, sizeof(*q->reqs));
	if (!q->reqs) {
		free(q);
		return -ENOMEM;
	}
	for (unsigned int i = 0; i < depth; i++) {
		q->reqs[i].next = q->free_reqs;
		q->free_reqs = &q->reqs[i];
	}
	pthread_mutex_init(&q->lock, NULL);
	pthread_cond_init(&q->cv, NULL);
	q->done_tail = &q->done;
#ifdef ZK_HAVE_URING
	if (!(flags & ZK_QUEUE_THREADS) && d->ops->io_get)
		q->uring = uring_init(q);
#endif
	if (!q->uring)
		ret = threads_init(q);
	if (ret) {
		zk_queue_exit(q);
		return ret;
	}
	*qp = q;
	return 0;
}

ZK_EXPORT void zk_queue_exit(struct zk_queue *q)
{
	struct zk_cqe cqes[64];

	if (!q)
		return;
	while (q->outstanding && zk_queue_reap(q, cqes, 64, 1) > 0)
		; /* drain: batches may carry other queues' requests */
#ifdef ZK_HAVE_URING
	if (q->uring)
		uring_exit(q);
#endif
	if (q->nr_workers)
		threads_exit(q);
	pthread_cond_destroy(&q->cv);
	pthread_mutex_destroy(&q->lock);
	free(q->reqs);
	free(q);
}

ZK_EXPORT const char *zk_queue_engine(const struct zk_queue *q)
{
	return q && q->uring ? "io_uring" : "threads";
}
