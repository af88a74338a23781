/* SPDX-License-Identifier: MIT */
/*
 * Queues: asynchronous submission for event-driven programs.  A queue
 * belongs to one thread (like an io_uring); it submits appends, writes and
 * reads and reaps completions, each carrying the offset where the data
 * landed.  Queues of several threads share the zones' plugs, so appends
 * from all of them merge into the same backend writes.  How a request gets
 * done is the engine's (queue.h): io_uring where the kernel allows it,
 * threads otherwise.
 */
#include "queue.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "compiler.h"
#include "engine.h"

/* ---- submission ---- */

/* A request for @q, or NULL when @depth are outstanding. */
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

/* Submit a request whose arguments passed @checked. */
static int queue_submit(struct zk_queue *q, int checked, enum zk_req_kind kind,
			const void *buf, size_t len, uint64_t off,
			uint64_t user_data)
{
	struct zk_req *r;

	if (checked)
		return checked;
	zkq_note_user(q);
	r = req_alloc(q, kind, buf, len, off, user_data);
	if (!r)
		return -EAGAIN;
	q->engine->submit(q, r);
	return 0;
}

ZK_EXPORT int zk_queue_append(struct zk_queue *q, uint64_t zone_start,
			      const void *buf, size_t len, uint64_t user_data)
{
	if (!q || !buf)
		return -EINVAL;
	return queue_submit(q, zk_check_append(q->dev, zone_start, len),
			    REQ_APPEND, buf, len, zone_start, user_data);
}

ZK_EXPORT int zk_queue_write(struct zk_queue *q, const void *buf, size_t len,
			     uint64_t off, uint64_t user_data)
{
	if (!q || !buf)
		return -EINVAL;
	return queue_submit(q, zk_check_write(q->dev, len, off), REQ_WRITE,
			    buf, len, off, user_data);
}

ZK_EXPORT int zk_queue_read(struct zk_queue *q, void *buf, size_t len,
			    uint64_t off, uint64_t user_data)
{
	if (!q || !buf)
		return -EINVAL;
	return queue_submit(q, zk_check_read(q->dev, len, off), REQ_READ, buf,
			    len, off, user_data);
}

ZK_EXPORT int zk_queue_submit(struct zk_queue *q)
{
	if (!q)
		return -EINVAL;
	zkq_note_user(q);
	return q->engine->flush(q);
}

/* ---- reaping ---- */

static unsigned int take_done(struct zk_queue *q, struct zk_cqe *cqes,
			      unsigned int max)
{
	unsigned int n = 0;

	zk_lock(&q->lock);
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
	zk_unlock(&q->lock);
	q->outstanding -= n;
	return n;
}

/* Sleep unless something is already there to take. */
static void wait_for_work(struct zk_queue *q)
{
	zk_lock(&q->lock);
	if (!q->done && !q->kicks) {
		q->sleeping = true;
		q->engine->wait(q);
		q->sleeping = false;
	}
	zk_unlock(&q->lock);
}

ZK_EXPORT int zk_queue_reap(struct zk_queue *q, struct zk_cqe *cqes,
			    unsigned int max, unsigned int min)
{
	unsigned int got = 0;

	if (!q || (max && !cqes) || min > max)
		return -EINVAL;
	zkq_note_user(q);
	for (;;) {
		q->engine->poll(q);
		zkq_run_kicks(q);
		got += take_done(q, cqes + got, max - got);
		if (got >= min || got == max || !q->outstanding)
			break;
		wait_for_work(q);
	}
	return (int)got;
}

/* ---- life cycle ---- */

static int queue_setup(struct zk_queue *q, unsigned int flags)
{
	struct zk_dev *d = q->dev;

	q->reqs = calloc(q->depth, sizeof(*q->reqs));
	if (!q->reqs)
		return -ENOMEM;
	for (unsigned int i = 0; i < q->depth; i++) {
		q->reqs[i].next = q->free_reqs;
		q->free_reqs = &q->reqs[i];
	}
	zk_mutex_init(&q->lock, ZK_LOCK_QUEUE, false);
	zk_cond_init(&q->cv);
	q->done_tail = &q->done;
	q->inline_writes = d->buffered && !(flags & ZK_QUEUE_NO_INLINE);
	q->engine = &zkq_uring_engine;
	if (!(flags & ZK_QUEUE_THREADS) && d->ops->io_get && !q->engine->init(q))
		return 0;
	q->engine = &zkq_threads_engine;
	return q->engine->init(q);
}

ZK_EXPORT int zk_queue_init(struct zk_dev *d, unsigned int depth,
			    unsigned int flags, struct zk_queue **qp)
{
	struct zk_queue *q;
	int ret;

	if (!d || !qp || !depth || depth > 65536 ||
	    (flags & ~(ZK_QUEUE_THREADS | ZK_QUEUE_NO_INLINE)))
		return -EINVAL;
	q = calloc(1, sizeof(*q));
	if (!q)
		return -ENOMEM;
	q->dev = d;
	q->depth = depth;
	zkq_note_user(q);
	ret = queue_setup(q, flags);
	if (ret) {
		if (q->reqs)
			zk_mutex_destroy(&q->lock);
		free(q->reqs);
		free(q);
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
	zkq_note_user(q);
	while (q->outstanding && zk_queue_reap(q, cqes, 64, 1) > 0)
		; /* drain: batches may carry other queues' requests */
	q->engine->exit(q);
	zk_mutex_destroy(&q->lock);
	free(q->reqs);
	free(q);
}

ZK_EXPORT const char *zk_queue_engine(const struct zk_queue *q)
{
	return q ? q->engine->name : "threads";
}
