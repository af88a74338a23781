/* SPDX-License-Identifier: MIT */
/*
 * Queues (queue.c) and their engines: io_uring (queue_uring.c, built when
 * liburing is found) and threads (queue_threads.c).  A queue is used by one
 * thread at a time, its owner; other threads only post completions to it
 * and hand it zones, under its lock (a leaf: nothing is taken under it).
 */
#ifndef ZK_QUEUE_H
#define ZK_QUEUE_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>

#include "zone_plug.h"

struct zk_queue;

/* An engine: how a queue's requests get done. */
struct zkq_engine {
	const char *name;
	/* Set the engine up for @q (q->priv): 0, or -errno if it cannot
	 * serve here (the queue then takes the next engine). */
	int (*init)(struct zk_queue *q);
	void (*exit)(struct zk_queue *q);
	/* See request @r (its arguments checked) done: posted to the queue's
	 * completions (zkq_post), now or later. */
	void (*submit)(struct zk_queue *q, struct zk_req *r);
	/* Send what is prepared to the kernel now. */
	int (*flush)(struct zk_queue *q);
	/* Handle finished I/O without sleeping (owner only). */
	void (*poll)(struct zk_queue *q);
	/* Sleep until I/O finishes or a post or zone comes from another
	 * thread.  Called and returns with the queue lock held. */
	void (*wait)(struct zk_queue *q);
	/* Wake the owner sleeping in wait().  Queue lock held. */
	void (*wake)(struct zk_queue *q);
};

extern const struct zkq_engine zkq_uring_engine;
extern const struct zkq_engine zkq_threads_engine;

struct zk_queue {
	struct zk_owner owner;    /* the queue as the owner of its requests */
	struct zk_dev *dev;
	const struct zkq_engine *engine;
	void *priv;               /* the engine's */
	unsigned int depth;
	unsigned int outstanding; /* submitted, not yet reaped (owner only) */
	struct zk_req *reqs, *free_reqs;
	bool inline_writes; /* small buffered writes from the owner thread */
	/* The thread that called the queue last: it may reap the queue when
	 * it waits inside zonekit for a zone the queue holds (progress). */
	_Atomic unsigned long user;

	struct zk_mutex lock;     /* the rest: completions and zones handed */
	struct zk_cond cv;        /* the owner sleeps here (thread engine) */
	struct zk_req *done, **done_tail;
	struct zone_plug *kicks;  /* zones handed to this queue */
	bool sleeping;            /* the owner is in engine->wait() */
};

static inline struct zk_queue *zkq_of(struct zk_owner *o)
{
	return (struct zk_queue *)((char *)o - offsetof(struct zk_queue, owner));
}

/* queue_done.c: @r is done (r->result set): onto the queue's completions,
 * the owner woken (takes the queue lock). */
void zkq_post(struct zk_queue *q, struct zk_req *r);
/* The owner hooks of a queue whose requests go through the plugs. */
void zkq_complete(struct zk_owner *o, struct zk_req *r);
void zkq_hand(struct zk_owner *o, struct zone_plug *p);
/* Drive the zones other queues or threads handed to @q; false if none. */
bool zkq_run_kicks(struct zk_queue *q);
/* The calling thread is @q's (queue API entry points say so). */
void zkq_note_user(struct zk_queue *q);
bool zkq_used_here(struct zk_queue *q);

#endif /* ZK_QUEUE_H */
