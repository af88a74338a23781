/* SPDX-License-Identifier: MIT */
/* Allocation failures on demand (failalloc.h). */
#include "failalloc.h"

#include <errno.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

void *__real_malloc(size_t size);
void *__real_calloc(size_t n, size_t size);
void *__real_realloc(void *p, size_t size);
void *__real_aligned_alloc(size_t align, size_t size);
int __real_posix_memalign(void **p, size_t align, size_t size);
char *__real_strdup(const char *s);

static atomic_ulong seen, nth, one_in, failed;
static _Atomic uint64_t rnd;

void fa_fail_nth(unsigned long n)
{
	atomic_store(&one_in, 0);
	atomic_store(&seen, 0);
	atomic_store(&nth, n);
}

void fa_fail_random(unsigned long m, uint64_t seed)
{
	atomic_store(&nth, 0);
	atomic_store(&seen, 0);
	atomic_store(&rnd, seed ? seed : 1);
	atomic_store(&one_in, m);
}

unsigned long fa_disarm(void)
{
	atomic_store(&nth, 0);
	atomic_store(&one_in, 0);
	return atomic_load(&seen);
}

unsigned long fa_failed(void)
{
	return atomic_load(&failed);
}

/* Should this allocation fail? */
static bool fail_now(void)
{
	unsigned long k = atomic_fetch_add(&seen, 1) + 1;
	unsigned long n = atomic_load(&nth), m = atomic_load(&one_in);
	bool fail = false;

	if (n && k == n) {
		atomic_store(&nth, 0);
		fail = true;
	} else if (m) {
		uint64_t x = atomic_load(&rnd), y;

		do { /* xorshift64, shared by every thread */
			y = x ^ (x << 13);
			y ^= y >> 7;
			y ^= y << 17;
		} while (!atomic_compare_exchange_weak(&rnd, &x, y));
		fail = y % m == 0;
	}
	if (fail)
		atomic_fetch_add(&failed, 1);
	return fail;
}

void *__wrap_malloc(size_t size)
{
	if (fail_now()) {
		errno = ENOMEM;
		return NULL;
	}
	return __real_malloc(size);
}

void *__wrap_calloc(size_t n, size_t size)
{
	if (fail_now()) {
		errno = ENOMEM;
		return NULL;
	}
	return __real_calloc(n, size);
}

void *__wrap_realloc(void *p, size_t size)
{
	if (fail_now()) {
		errno = ENOMEM;
		return NULL;
	}
	return __real_realloc(p, size);
}

void *__wrap_aligned_alloc(size_t align, size_t size)
{
	if (fail_now()) {
		errno = ENOMEM;
		return NULL;
	}
	return __real_aligned_alloc(align, size);
}

int __wrap_posix_memalign(void **p, size_t align, size_t size)
{
	if (fail_now())
		return ENOMEM;
	return __real_posix_memalign(p, align, size);
}

char *__wrap_strdup(const char *s)
{
	if (fail_now()) {
		errno = ENOMEM;
		return NULL;
	}
	return __real_strdup(s);
}
