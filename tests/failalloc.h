/* SPDX-License-Identifier: MIT */
/*
 * Allocation failures on demand, for the tests that link with
 *   -Wl,--wrap=malloc,--wrap=calloc,--wrap=realloc,--wrap=aligned_alloc,
 *   --wrap=posix_memalign,--wrap=strdup
 * (tests/meson.build: failalloc_args): every allocation the library makes
 * goes through a counter that can fail the Nth one from now, or one in
 * every M at random.  libc's own allocations (inside pthread_create,
 * fopen...) are not counted: only the program's objects are wrapped.
 */
#ifndef ZK_FAILALLOC_H
#define ZK_FAILALLOC_H

#include <stdbool.h>
#include <stdint.h>

/* Fail the @nth allocation from now (1: the next one), once. */
void fa_fail_nth(unsigned long nth);
/* Fail each allocation with probability 1/@one_in (0: never), from a
 * random sequence seeded by @seed. */
void fa_fail_random(unsigned long one_in, uint64_t seed);
/* No more failures; how many allocations were made since arming. */
unsigned long fa_disarm(void);
/* How many allocations failed since the program started. */
unsigned long fa_failed(void);

#endif /* ZK_FAILALLOC_H */
