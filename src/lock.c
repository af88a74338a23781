/* SPDX-License-Identifier: MIT */
/* The library's mutexes and condition variables (lock.h). */
#include "lock.h"

#include <errno.h>
#include <limits.h>
#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "compiler.h"

#ifdef ZK_LOCK_DEBUG
_Thread_local unsigned int zk_locks_held[ZK_LOCK_CLASSES];
#endif

/* How often a thread looks at a taken adaptive mutex before it sleeps:
 * glibc's adaptive mutexes try up to 100 times. */
#define SPIN_TRIES 100

void zk_mutex_init(struct zk_mutex *l, enum zk_lock_class cls, bool adaptive)
{
	atomic_init(&l->state, 0);
	l->adaptive = adaptive;
#ifdef ZK_LOCK_DEBUG
	l->owner = 0;
	l->cls = cls;
#else
	(void)cls;
#endif
}

void zk_mutex_destroy(struct zk_mutex *l)
{
	(void)l; /* nothing held by the kernel while nobody waits */
}

static void futex_wait(_Atomic unsigned int *word, unsigned int val)
{
	/* EAGAIN (the word moved on), EINTR: the callers look again. */
	syscall(SYS_futex, word, FUTEX_WAIT_PRIVATE, val, NULL, NULL, 0);
}

static void futex_wake(_Atomic unsigned int *word, int nr)
{
	syscall(SYS_futex, word, FUTEX_WAKE_PRIVATE, nr, NULL, NULL, 0);
}

static bool try_take(struct zk_mutex *l)
{
	unsigned int free = 0;

	return atomic_compare_exchange_strong_explicit(&l->state, &free, 1,
						       memory_order_acquire,
						       memory_order_relaxed);
}

void zk_lock_contended(struct zk_mutex *l)
{
	if (l->adaptive) {
		for (int i = 0; i < SPIN_TRIES; i++) {
			cpu_relax();
			if (!atomic_load_explicit(&l->state,
						  memory_order_relaxed) &&
			    try_take(l))
				return;
		}
	}
	/* Say that someone sleeps (2), so that the unlock wakes one; it
	 * takes the lock as 2 as well, for those still asleep. */
	while (atomic_exchange_explicit(&l->state, 2, memory_order_acquire))
		futex_wait(&l->state, 2);
}

void zk_unlock_wake(struct zk_mutex *l)
{
	futex_wake(&l->state, 1);
}

void zk_cond_wait(struct zk_cond *cv, struct zk_mutex *l)
{
	unsigned int seq;

	/* Counted in before the look at seq, and a signal moves seq before
	 * it looks at the count (both sequentially consistent): either the
	 * signal sees this waiter and wakes it, or this waiter sees the
	 * signal's seq and does not sleep. */
	atomic_fetch_add(&cv->waiters, 1);
	seq = atomic_load(&cv->seq);
	zk_lock_releasing(l);
	zk_mutex_give(l);
	futex_wait(&cv->seq, seq);
	atomic_fetch_sub(&cv->waiters, 1);
	zk_mutex_take(l);
	zk_lock_acquired(l);
}

void zk_cond_signal(struct zk_cond *cv)
{
	atomic_fetch_add(&cv->seq, 1);
	if (atomic_load(&cv->waiters))
		futex_wake(&cv->seq, 1);
}

void zk_cond_broadcast(struct zk_cond *cv)
{
	atomic_fetch_add(&cv->seq, 1);
	if (atomic_load(&cv->waiters))
		futex_wake(&cv->seq, INT_MAX);
}
