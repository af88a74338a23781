/* SPDX-License-Identifier: MIT */
/*
 * The library's mutexes, checked in debug builds (without NDEBUG) in the
 * spirit of the kernel's lockdep_assert_held(): a mutex knows the thread
 * that holds it, so a helper that needs a lock asserts it is held, and each
 * thread counts the locks it holds by class, so that the lock order and
 * "no stripe lock across I/O" are asserted where they matter.  In release
 * builds these are plain pthread mutexes.
 *
 * The classes and their rules (doc/design.md, "Locks"):
 *   RES     open/active accounting; taken before a stripe lock, never after
 *   STRIPE  a zone's plug and table word; a second stripe lock only under RES
 *   QUEUE   a queue's completion list: a leaf, nothing is taken under it
 */
#ifndef ZK_LOCK_H
#define ZK_LOCK_H

#include <assert.h>
#include <pthread.h>
#include <stdbool.h>

#ifndef NDEBUG
#define ZK_LOCK_DEBUG 1
#endif

enum zk_lock_class {
	ZK_LOCK_RES,
	ZK_LOCK_STRIPE,
	ZK_LOCK_QUEUE,
	ZK_LOCK_CLASSES
};

struct zk_mutex {
	pthread_mutex_t m;
#ifdef ZK_LOCK_DEBUG
	_Atomic unsigned long owner; /* pthread_self() of the holder, 0: free */
	enum zk_lock_class cls;
#endif
};

/* @adaptive: spin a little before sleeping (for locks held a few hundred
 * nanoseconds, where sleeping costs more than the wait). */
void zk_mutex_init(struct zk_mutex *l, enum zk_lock_class cls, bool adaptive);
void zk_mutex_destroy(struct zk_mutex *l);

#ifdef ZK_LOCK_DEBUG
extern _Thread_local unsigned int zk_locks_held[ZK_LOCK_CLASSES];

static inline unsigned long zk_self(void)
{
	return (unsigned long)pthread_self();
}

/* Check the order before taking @l: see the rules above. */
static inline void zk_lock_order_check(const struct zk_mutex *l)
{
	assert(!zk_locks_held[ZK_LOCK_QUEUE]);
	if (l->cls == ZK_LOCK_RES)
		assert(!zk_locks_held[ZK_LOCK_STRIPE] && !zk_locks_held[ZK_LOCK_RES]);
	if (l->cls == ZK_LOCK_STRIPE && zk_locks_held[ZK_LOCK_STRIPE])
		assert(zk_locks_held[ZK_LOCK_RES]);
}

static inline void zk_lock_acquired(struct zk_mutex *l)
{
	assert(!l->owner);
	l->owner = zk_self();
	zk_locks_held[l->cls]++;
}

static inline void zk_lock_releasing(struct zk_mutex *l)
{
	assert(l->owner == zk_self());
	l->owner = 0;
	zk_locks_held[l->cls]--;
}

#define zk_assert_held(l) assert((l)->owner == zk_self())
/* No lock of class @cls held by this thread (e.g. across backend I/O). */
#define zk_assert_none_held(cls) assert(!zk_locks_held[cls])
#else
static inline void zk_lock_order_check(const struct zk_mutex *l) { (void)l; }
static inline void zk_lock_acquired(struct zk_mutex *l) { (void)l; }
static inline void zk_lock_releasing(struct zk_mutex *l) { (void)l; }
#define zk_assert_held(l) ((void)(l))
#define zk_assert_none_held(cls) ((void)(cls))
#endif

static inline void zk_lock(struct zk_mutex *l)
{
	zk_lock_order_check(l);
	pthread_mutex_lock(&l->m);
	zk_lock_acquired(l);
}

static inline void zk_unlock(struct zk_mutex *l)
{
	zk_lock_releasing(l);
	pthread_mutex_unlock(&l->m);
}

static inline void zk_cond_wait(pthread_cond_t *cv, struct zk_mutex *l)
{
	zk_lock_releasing(l);
	pthread_cond_wait(cv, &l->m);
	zk_lock_acquired(l);
}

#endif /* ZK_LOCK_H */
