/* SPDX-License-Identifier: MIT */
/*
 * The thread engine of queues, where io_uring is missing or refused (or
 * asked for with ZK_QUEUE_THREADS): a few workers per queue run the
 * synchronous calls, so their writes share the zones' plugs like any
 * thread's.
 */
#include <errno.h>
#include <stdlib.h>

#include "data.h"
#include "queue.h"

#define MAX_WORKERS 8u

struct workers {
	pthread_t tid[MAX_WORKERS];
	unsigned int nr;
	struct zk_req *jobs, **jobs_tail; /* under the queue lock */
	struct zk_cond jobs_cv;
	bool stop;
	struct zk_queue *q;
};

static void *worker_main(void *arg)
{
	struct workers *w = arg;
	struct zk_queue *q = w->q;

	zk_lock(&q->lock);
	for (;;) {
		struct zk_req *r = w->jobs;

		if (!r) {
			if (w->stop)
				break;
			zk_cond_wait(&w->jobs_cv, &q->lock);
			continue;
		}
		w->jobs = r->next;
		if (!w->jobs)
			w->jobs_tail = &w->jobs;
		zk_unlock(&q->lock);
		data_run(q->dev, r);
		zkq_post(q, r);
		zk_lock(&q->lock);
	}
	zk_unlock(&q->lock);
	return NULL;
}

static void threads_exit(struct zk_queue *q)
{
	struct workers *w = q->priv;

	zk_lock(&q->lock);
	w->stop = true;
	zk_cond_broadcast(&w->jobs_cv);
	zk_unlock(&q->lock);
	for (unsigned int i = 0; i < w->nr; i++)
		pthread_join(w->tid[i], NULL);
	free(w);
	q->priv = NULL;
}

static int threads_init(struct zk_queue *q)
{
	unsigned int n = q->depth < MAX_WORKERS ? q->depth : MAX_WORKERS;
	struct workers *w = calloc(1, sizeof(*w));

	if (!w)
		return -ENOMEM;
	w->q = q;
	w->jobs_tail = &w->jobs;
	zk_cond_init(&w->jobs_cv);
	q->priv = w;
	for (w->nr = 0; w->nr < n; w->nr++)
		if (pthread_create(&w->tid[w->nr], NULL, worker_main, w))
			break;
	if (!w->nr) {
		threads_exit(q);
		return -EAGAIN;
	}
	return 0;
}

static void threads_submit(struct zk_queue *q, struct zk_req *r)
{
	struct workers *w = q->priv;

	zk_lock(&q->lock);
	r->next = NULL;
	*w->jobs_tail = r;
	w->jobs_tail = &r->next;
	zk_cond_signal(&w->jobs_cv);
	zk_unlock(&q->lock);
}

static int threads_flush(struct zk_queue *q)
{
	(void)q; /* workers take each request as it comes */
	return 0;
}

static void threads_poll(struct zk_queue *q)
{
	(void)q; /* workers post their completions themselves */
}

static void threads_wait(struct zk_queue *q)
{
	zk_cond_wait(&q->cv, &q->lock);
}

static void threads_wake(struct zk_queue *q)
{
	zk_cond_signal(&q->cv);
}

const struct zkq_engine zkq_threads_engine = {
	.name = "threads",
	.init = threads_init,
	.exit = threads_exit,
	.submit = threads_submit,
	.flush = threads_flush,
	.poll = threads_poll,
	.wait = threads_wait,
	.wake = threads_wake,
};
