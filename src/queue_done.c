/* SPDX-License-Identifier: MIT */
/*
 * What other threads do to a queue: post a completion, hand it a zone.
 * Both under the queue's lock, a leaf lock (taken under stripe locks,
 * nothing taken under it); the owner is woken if it sleeps.
 */
#include "queue.h"

#include "engine.h"

static void post_locked(struct zk_queue *q, struct zk_req *r)
{
	zk_assert_held(&q->lock);
	r->next = NULL;
	*q->done_tail = r;
	q->done_tail = &r->next;
	if (q->sleeping)
		q->engine->wake(q);
}

void zkq_post(struct zk_queue *q, struct zk_req *r)
{
	atomic_store_explicit(&r->done, true, memory_order_relaxed);
	zk_lock(&q->lock);
	post_locked(q, r);
	zk_unlock(&q->lock);
}

void zkq_complete(struct zk_owner *o, struct zk_req *r)
{
	zkq_post(zkq_of(o), r);
}

void zkq_hand(struct zk_owner *o, struct zone_plug *p)
{
	struct zk_queue *q = zkq_of(o);

	zk_lock(&q->lock);
	p->kick_next = q->kicks;
	q->kicks = p;
	if (q->sleeping)
		q->engine->wake(q);
	zk_unlock(&q->lock);
}

bool zkq_run_kicks(struct zk_queue *q)
{
	struct zone_plug *p, *next;

	zk_lock(&q->lock);
	p = q->kicks;
	q->kicks = NULL;
	zk_unlock(&q->lock);
	if (!p)
		return false;
	for (; p; p = next) {
		struct zk_mutex *lock = zk_zone_lock(q->dev, p->zone);

		next = p->kick_next;
		zk_lock(lock);
		engine_drive(q->dev, p, &q->owner, NULL);
		plug_put_if_idle(q->dev, p);
		zk_unlock(lock);
	}
	return true;
}

void zkq_note_user(struct zk_queue *q)
{
	unsigned long self = (unsigned long)pthread_self();

	if (atomic_load_explicit(&q->user, memory_order_relaxed) != self)
		atomic_store_explicit(&q->user, self, memory_order_relaxed);
}

bool zkq_used_here(struct zk_queue *q)
{
	return atomic_load_explicit(&q->user, memory_order_relaxed) ==
	       (unsigned long)pthread_self();
}
