/* SPDX-License-Identifier: MIT */
/*
 * The io_uring engine of queues: a zone's batch goes out as one writev SQE
 * on the ring of the queue that owns the batch's first request; its
 * completion, reaped by that queue, completes every request in the batch
 * (posting to other queues or waking synchronous callers) and issues the
 * next batch.  Reads and writes to conventional zones go to the ring one by
 * one.  Small buffered batches are written by the owner thread instead (see
 * write_inline), unless ZK_QUEUE_NO_INLINE.
 */
#include <errno.h>
#include <liburing.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "engine.h"
#include "io_util.h"
#include "data.h"
#include "queue.h"
#include "zone_claim.h"

enum io_kind { IO_BATCH, IO_SINGLE, IO_WAKE };

/* One I/O on the ring. */
struct ring_io {
	struct ring_io *next_free;
	enum io_kind kind;
	uint32_t zone;
	struct zk_req *r;      /* IO_SINGLE */
	struct iovec iov;      /* IO_SINGLE */
	struct zk_batch b;     /* IO_BATCH; b.io for IO_SINGLE too */
};

struct ring {
	struct io_uring ring;
	int efd;               /* other threads wake the owner through it */
	bool efd_armed;
	uint64_t efd_val;
	struct ring_io wake_io;
	struct ring_io *free_ios; /* for reuse (owner only) */
};

static struct ring *ring_of(struct zk_queue *q) { return q->priv; }

/* Ring I/Os are over 4 KiB (a batch's iovecs): keep them, no malloc per
 * write.  Only the queue's owner thread issues and reaps them. */
static struct ring_io *io_alloc(struct ring *rg)
{
	struct ring_io *io = rg->free_ios;

	if (io)
		rg->free_ios = io->next_free;
	else
		io = malloc(sizeof(*io));
	return io;
}

static void io_free(struct ring *rg, struct ring_io *io)
{
	io->next_free = rg->free_ios;
	rg->free_ios = io;
}

static struct io_uring_sqe *get_sqe(struct ring *rg)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(&rg->ring);

	if (!sqe) { /* ring full: send what is there */
		io_uring_submit(&rg->ring);
		sqe = io_uring_get_sqe(&rg->ring);
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

/* The owner's issue(): the batch at the head of @p as one writev SQE. */
static enum zk_issue ring_issue(struct zk_owner *o, struct zk_dev *d,
				struct zone_plug *p)
{
	struct zk_queue *q = zkq_of(o);
	struct ring *rg = ring_of(q);
	struct zk_mutex *lock = zk_zone_lock(d, p->zone);
	struct io_uring_sqe *sqe = NULL;
	struct ring_io *io;
	int ret;

	/* A batch longer than one SQE moves is one request (batches of more
	 * are at most 8 MiB): the synchronous path loops over it. */
	if (!d->ops->io_get || p->head->len > ZK_RW_MAX || batch_inline(q, p) ||
	    !(io = io_alloc(rg)))
		return ZK_ISSUE_DECLINED;
	io->kind = IO_BATCH;
	io->zone = p->zone;
	batch_take(p, &io->b);
	/* The zone is busy and the batch ours: safe to look it up unlocked
	 * (a cache miss opens a file). */
	zk_unlock(lock);
	ret = d->ops->io_get(d, p->zone, io->b.reqs->off, io->b.iov,
			     (int)io->b.n, true, &io->b.io);
	if (!ret)
		sqe = get_sqe(rg);
	if (sqe) {
		io_uring_prep_writev(sqe, io->b.io.fd, io->b.iov, io->b.n,
				     io->b.io.foff);
		io_uring_sqe_set_data(sqe, io);
		zk_lock(lock);
		return ZK_ISSUE_IN_FLIGHT;
	}
	if (!ret)
		d->ops->io_put(d, p->zone, &io->b.io, -EAGAIN, io->b.total, true);
	zk_lock(lock);
	batch_write_now(d, &io->b); /* the backend wants the plain path */
	io_free(rg, io);
	return ZK_ISSUE_WRITTEN;
}

/* The rest of a batch the ring wrote in part, @done bytes, synchronously:
 * the kernel stops a write short where the next block would fail (a full
 * file system), and only a write of the rest says why.  Without that, the
 * short count would be taken back and retried, short again, forever. */
static ssize_t finish_batch_rest(struct zk_dev *d, struct zk_batch *b,
				 size_t done)
{
	struct iovec room[BATCH_MAX_IOV];
	int n = (int)b->n;
	const struct iovec *rest = zk_iov_advance(b->iov, &n, done, room);
	ssize_t ret;

	zk_assert_none_held(ZK_LOCK_STRIPE);
	ret = d->ops->pwritev(d, b->p->zone, rest, n, b->reqs->off + done);
	return ret < 0 ? ret : (ssize_t)(done + (size_t)ret);
}

static void finish_batch_io(struct zk_queue *q, struct ring_io *io, int res)
{
	struct zk_dev *d = q->dev;
	struct zone_plug *p = io->b.p;
	struct zk_mutex *lock = zk_zone_lock(d, io->zone);
	ssize_t written = d->ops->io_put(d, io->zone, &io->b.io, res,
					 io->b.total, true);

	/* The zone is busy and the batch ours: no lock for the I/O. */
	if (written >= 0 && (size_t)written < io->b.total)
		written = finish_batch_rest(d, &io->b, (size_t)written);
	zk_lock(lock);
	batch_finish(d, &io->b, written);
	engine_drive(d, p, &q->owner, NULL);
	plug_put_if_idle(d, p);
	zk_unlock(lock);
	zone_recheck_implicit(d);
	io_free(ring_of(q), io);
}

/* The rest of a read or write the ring did in part: the kernel may stop
 * short of the whole (at MAX_RW_COUNT, or a read at the end of a zone
 * file, where the backend fills in zeros).  Synchronously. */
static ssize_t finish_rest(struct zk_dev *d, uint32_t z, struct zk_req *r,
			   size_t done)
{
	char *at = (char *)r->buf + done;
	size_t rest = r->len - done;
	ssize_t ret;

	if (r->kind == REQ_READ)
		return d->ops->pread(d, z, at, rest, r->off + done);
	{
		struct iovec v = { .iov_base = at, .iov_len = rest };

		ret = d->ops->pwritev(d, z, &v, 1, r->off + done);
	}
	return ret >= 0 && (size_t)ret != rest ? -EIO : ret;
}

static void finish_single_io(struct zk_queue *q, struct ring_io *io, int res)
{
	struct zk_dev *d = q->dev;
	struct zk_req *r = io->r;
	ssize_t ret = d->ops->io_put(d, io->zone, &io->b.io, res, r->len,
				     r->kind != REQ_READ);

	if (ret >= 0 && (size_t)ret < r->len) {
		ssize_t rest = finish_rest(d, io->zone, r, (size_t)ret);

		ret = rest < 0 ? rest : (ssize_t)r->len;
	}
	if (ret >= 0 && (size_t)ret != r->len)
		ret = -EIO;
	if (ret >= 0 && r->kind != REQ_READ)
		atomic_fetch_add_explicit(&d->stats.writes, 1,
					  memory_order_relaxed);
	r->result = ret < 0 ? (int)ret : 0;
	zkq_post(q, r);
	io_free(ring_of(q), io);
}

/* A conventional-zone write or a read inside one zone, straight to the
 * ring.  -EOPNOTSUPP: do it synchronously. */
static int submit_single(struct zk_queue *q, struct zk_req *r)
{
	struct zk_dev *d = q->dev;
	struct ring *rg = ring_of(q);
	uint32_t z = zk_zone_of(d, r->off);
	struct io_uring_sqe *sqe = NULL;
	struct ring_io *io;
	bool write = r->kind != REQ_READ;
	int ret;

	/* Across zones, too long for one SQE, an inline write, or a read
	 * that must fail (an OFFLINE zone): the synchronous path. */
	if (z != zk_zone_of(d, r->off + r->len - 1) || r->len > ZK_RW_MAX ||
	    (write && write_inline(q, r->len)) || !data_readable(d, z) ||
	    !(io = io_alloc(rg)))
		return -EOPNOTSUPP;
	io->kind = IO_SINGLE;
	io->zone = z;
	io->r = r;
	io->iov.iov_base = (void *)r->buf;
	io->iov.iov_len = r->len;
	ret = d->ops->io_get(d, z, r->off, &io->iov, 1, write, &io->b.io);
	if (!ret)
		sqe = get_sqe(rg);
	if (!sqe) {
		if (!ret)
			d->ops->io_put(d, z, &io->b.io, -EAGAIN, r->len, write);
		io_free(rg, io);
		return -EOPNOTSUPP;
	}
	if (write)
		io_uring_prep_writev(sqe, io->b.io.fd, &io->iov, 1, io->b.io.foff);
	else
		io_uring_prep_readv(sqe, io->b.io.fd, &io->iov, 1, io->b.io.foff);
	io_uring_sqe_set_data(sqe, io);
	return 0;
}

/* A write to a sequential zone: through the zone's plug, the queue its
 * owner (it never waits: a queue's submitter may be what a zone waits
 * for). */
static void submit_seq_write(struct zk_queue *q, struct zk_req *r)
{
	struct zk_dev *d = q->dev;
	uint32_t z = zk_zone_of(d, r->off);
	struct zone_plug *p;
	int ret;

	r->owner = &q->owner;
	if (r->kind == REQ_APPEND)
		r->off = UINT64_MAX;
	ret = engine_reserve(d, z, r, &p);
	if (ret == ENGINE_PARKED)
		return;
	if (ret) {
		r->owner = NULL;
		r->result = ret;
		zkq_post(q, r);
		return;
	}
	if (!p->busy) {
		p->busy = true;
		/* Alone on an idle zone and short: what ring_issue() would
		 * write inline anyway, without the batch around it. */
		if (p->head == r && !r->next && write_inline(q, r->len))
			engine_write_alone(d, p, r, &q->owner, NULL);
		else
			engine_drive(d, p, &q->owner, NULL);
	}
	p->refs--;
	plug_put_if_idle(d, p);
	zk_unlock(zk_zone_lock(d, z));
}

static void ring_submit(struct zk_queue *q, struct zk_req *r)
{
	struct zk_dev *d = q->dev;

	if (r->kind != REQ_READ && !zk_zone_is_conv(d, zk_zone_of(d, r->off))) {
		submit_seq_write(q, r);
		return;
	}
	if (!submit_single(q, r))
		return;
	data_run(d, r); /* spans zones, or the backend wants the plain path */
	zkq_post(q, r);
}

static void handle_cqe(struct zk_queue *q, struct io_uring_cqe *cqe)
{
	struct ring_io *io = io_uring_cqe_get_data(cqe);
	int res = cqe->res;

	switch (io->kind) {
	case IO_WAKE:
		ring_of(q)->efd_armed = false;
		break;
	case IO_BATCH:
		finish_batch_io(q, io, res);
		break;
	case IO_SINGLE:
		finish_single_io(q, io, res);
		break;
	}
}

static int ring_flush(struct zk_queue *q)
{
	int ret = io_uring_submit(&ring_of(q)->ring);

	return ret < 0 ? ret : 0;
}

/* Handle every CQE there is; how many. */
static unsigned int reap_ring(struct zk_queue *q)
{
	struct ring *rg = ring_of(q);
	struct io_uring_cqe *cqe;
	unsigned int n = 0;

	while (!io_uring_peek_cqe(&rg->ring, &cqe)) {
		/* copy out and mark seen first: handling may submit more */
		struct io_uring_cqe c = *cqe;

		io_uring_cqe_seen(&rg->ring, cqe);
		handle_cqe(q, &c);
		n++;
	}
	return n;
}

/* The looks at the rings are inline (liburing.h): a queue whose writes
 * went out inline has nothing on either, and then costs no call. */
static void ring_poll(struct zk_queue *q)
{
	struct io_uring *ring = &ring_of(q)->ring;

	if (io_uring_sq_ready(ring))
		io_uring_submit(ring);
	if (io_uring_cq_ready(ring) || io_uring_cq_has_overflow(ring))
		reap_ring(q); /* its peek flushes an overflow (no flags: no
			       * task work to run either) */
}

/* Owner hook: a thread of ours waits for a zone that waits for this
 * queue.  Drive what was handed to us, else wait a little for the ring. */
#define PROGRESS_WAIT_NS 50000000LL

static bool ring_progress(struct zk_owner *o, struct zk_mutex *lock)
{
	struct zk_queue *q = zkq_of(o);
	struct ring *rg = ring_of(q);
	struct __kernel_timespec ts = { .tv_nsec = PROGRESS_WAIT_NS };
	struct io_uring_cqe *cqe;

	if (!zkq_used_here(q))
		return false;
	zk_unlock(lock);
	if (!zkq_run_kicks(q)) {
		io_uring_submit(&rg->ring);
		if (!reap_ring(q))
			io_uring_wait_cqe_timeout(&rg->ring, &cqe, &ts);
		reap_ring(q);
	}
	zk_lock(lock);
	return true;
}

/* Sleep until a CQE or a post from another thread (via the eventfd). */
static void ring_wait(struct zk_queue *q)
{
	struct ring *rg = ring_of(q);

	zk_unlock(&q->lock);
	if (!rg->efd_armed) {
		struct io_uring_sqe *sqe = get_sqe(rg);

		if (sqe) {
			io_uring_prep_read(sqe, rg->efd, &rg->efd_val,
					   sizeof(rg->efd_val), 0);
			io_uring_sqe_set_data(sqe, &rg->wake_io);
			rg->efd_armed = true;
		}
	}
	io_uring_submit_and_wait(&rg->ring, 1);
	zk_lock(&q->lock);
}

static void ring_wake(struct zk_queue *q)
{
	uint64_t one = 1;

	if (write(ring_of(q)->efd, &one, sizeof(one)) < 0) {
		/* the counter cannot overflow in practice; nothing to do */
	}
}

static const struct zk_owner_ops ring_owner_ops = {
	.complete = zkq_complete,
	.hand = zkq_hand,
	.issue = ring_issue,
	.progress = ring_progress,
};

static int ring_init(struct zk_queue *q)
{
	struct ring *rg = calloc(1, sizeof(*rg));

	if (!rg)
		return -ENOMEM;
	if (io_uring_queue_init(q->depth * 2 + 8, &rg->ring, 0)) {
		free(rg);
		return -EOPNOTSUPP;
	}
	rg->efd = eventfd(0, EFD_CLOEXEC);
	if (rg->efd < 0) {
		io_uring_queue_exit(&rg->ring);
		free(rg);
		return -EOPNOTSUPP;
	}
	rg->wake_io.kind = IO_WAKE;
	q->priv = rg;
	q->owner.ops = &ring_owner_ops;
	return 0;
}

static void ring_exit(struct zk_queue *q)
{
	struct ring *rg = ring_of(q);

	io_uring_queue_exit(&rg->ring);
	close(rg->efd);
	while (rg->free_ios) {
		struct ring_io *io = rg->free_ios;

		rg->free_ios = io->next_free;
		free(io);
	}
	free(rg);
	q->priv = NULL;
}

const struct zkq_engine zkq_uring_engine = {
	.name = "io_uring",
	.init = ring_init,
	.exit = ring_exit,
	.submit = ring_submit,
	.flush = ring_flush,
	.poll = ring_poll,
	.wait = ring_wait,
	.wake = ring_wake,
};
