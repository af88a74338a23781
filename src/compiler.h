/* SPDX-License-Identifier: MIT */
/* Small things every source file of the library may use. */
#ifndef ZK_COMPILER_H
#define ZK_COMPILER_H

/* The library is built with -fvisibility=hidden: only these are exported. */
#define ZK_EXPORT __attribute__((visibility("default")))

#define zk_likely(x) __builtin_expect(!!(x), 1)
#define zk_unlikely(x) __builtin_expect(!!(x), 0)

/* In a spin-wait loop: let the other hardware thread of the core run. */
static inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#elif defined(__aarch64__)
	__asm__ __volatile__("yield");
#endif
}

#endif /* ZK_COMPILER_H */
