/* SPDX-License-Identifier: MIT */
/* The library's mutexes (lock.h). */
#include "lock.h"

#ifdef ZK_LOCK_DEBUG
_Thread_local unsigned int zk_locks_held[ZK_LOCK_CLASSES];
#endif

void zk_mutex_init(struct zk_mutex *l, enum zk_lock_class cls, bool adaptive)
{
	pthread_mutexattr_t a;

	pthread_mutexattr_init(&a);
#ifdef PTHREAD_ADAPTIVE_MUTEX_INITIALIZER_NP
	if (adaptive)
		pthread_mutexattr_settype(&a, PTHREAD_MUTEX_ADAPTIVE_NP);
#else
	(void)adaptive;
#endif
	pthread_mutex_init(&l->m, &a);
	pthread_mutexattr_destroy(&a);
#ifdef ZK_LOCK_DEBUG
	l->owner = 0;
	l->cls = cls;
#else
	(void)cls;
#endif
}

void zk_mutex_destroy(struct zk_mutex *l)
{
	pthread_mutex_destroy(&l->m);
}
