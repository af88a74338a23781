/* SPDX-License-Identifier: MIT */
/* Small things every source file of the library may use. */
#ifndef ZK_COMPILER_H
#define ZK_COMPILER_H

/* The library is built with -fvisibility=hidden: only these are exported. */
#define ZK_EXPORT __attribute__((visibility("default")))

#define zk_likely(x) __builtin_expect(!!(x), 1)
#define zk_unlikely(x) __builtin_expect(!!(x), 0)

#endif /* ZK_COMPILER_H */
