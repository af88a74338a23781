/* SPDX-License-Identifier: MIT */
/*
 * The library's mutexes, checked in debug builds (without NDEBUG) in the
 * spirit of the kernel's lockdep_assert_held(): a mutex knows the thread
 * that holds it, so a helper that needs a lock asserts it is held, and each
 * thread counts the locks it holds by class, so that the lock order and
 * "no stripe lock across I/O" are asserted where they matter.  In release
 * builds none of that is done.
 *
 * The classes and their rules (doc/design.md, "Locks"):
 *   RES     open/active accounting; taken before a stripe lock, never after
 *   STRIPE  a zone's plug and table word; a second stripe lock only under RES
 *   QUEUE   a queue's completion list: a leaf, nothing is taken under it
 *
 * The mutex is a futex word of its own (Drepper, "Futexes are tricky",
 * mutex 3) rather than a pthread mutex: an append takes its zone's lock
 * twice, and glibc's lock and unlock cost some 65 instructions a pair
 * (type dispatch, owner and user counts), this one five inline.  A thread
 * that finds it taken spins a little before it sleeps, as glibc's adaptive
 * mutex does.  Its condition variable (struct zk_cond) is a futex word too.
 * Every state change is a C11 atomic, so ThreadSanitizer sees the
 * acquire/release order as it would a pthread mutex's.
 */
#ifndef ZK_LOCK_H
#define ZK_LOCK_H

#include <assert.h>
#include <stdatomic.h>
#include <stdbool.h>

#ifndef NDEBUG
#include <pthread.h>
#define ZK_LOCK_DEBUG 1
#endif

enum zk_lock_class {
	ZK_LOCK_RES,
	ZK_LOCK_STRIPE,
	ZK_LOCK_QUEUE,
	ZK_LOCK_CLASSES
};

struct zk_mutex {
	/* 0: free; 1: held; 2: held, and a thread may sleep on it */
	_Atomic unsigned int state;
	bool adaptive;
#ifdef ZK_LOCK_DEBUG
	_Atomic unsigned long owner; /* pthread_self() of the holder, 0: free */
	enum zk_lock_class cls;
#endif
};

/* A condition variable for a zk_mutex; all zeros is a ready one.  Waits
 * may end spuriously: callers loop on their condition. */
struct zk_cond {
	_Atomic unsigned int seq;     /* moved on by every signal */
	_Atomic unsigned int waiters; /* threads in zk_cond_wait() */
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

/* The waits and wake-ups, out of line (lock.c). */
void zk_lock_contended(struct zk_mutex *l);
void zk_unlock_wake(struct zk_mutex *l);

/* The mutex itself, without the debug bookkeeping. */
static inline void zk_mutex_take(struct zk_mutex *l)
{
	unsigned int free = 0;

	if (!atomic_compare_exchange_strong_explicit(&l->state, &free, 1,
						     memory_order_acquire,
						     memory_order_relaxed))
		zk_lock_contended(l);
}

static inline void zk_mutex_give(struct zk_mutex *l)
{
	if (atomic_exchange_explicit(&l->state, 0, memory_order_release) == 2)
		zk_unlock_wake(l);
}

static inline void zk_lock(struct zk_mutex *l)
{
	zk_lock_order_check(l);
	zk_mutex_take(l);
	zk_lock_acquired(l);
}

static inline void zk_unlock(struct zk_mutex *l)
{
	zk_lock_releasing(l);
	zk_mutex_give(l);
}

static inline void zk_cond_init(struct zk_cond *cv)
{
	atomic_init(&cv->seq, 0);
	atomic_init(&cv->waiters, 0);
}

/* As pthread_cond_wait(): @l held, released while asleep, held again on
 * return. */
void zk_cond_wait(struct zk_cond *cv, struct zk_mutex *l);
/* Wake one waiter, or all; best called with the mutex held (the waiter's
 * condition changed under it), and then no wake-up is lost. */
void zk_cond_signal(struct zk_cond *cv);
void zk_cond_broadcast(struct zk_cond *cv);

#endif /* ZK_LOCK_H */
