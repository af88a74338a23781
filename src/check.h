/* SPDX-License-Identifier: MIT */
/* Argument checks shared by every entry point that writes or reads. */
#ifndef ZK_CHECK_H
#define ZK_CHECK_H

#include <stddef.h>
#include <stdint.h>

struct zk_dev;

/* 0, or the errno the call gets for these arguments (no lock taken). */
int zk_check_write(struct zk_dev *d, size_t len, uint64_t off);
int zk_check_append(struct zk_dev *d, uint64_t zone_start, size_t len);
int zk_check_read(struct zk_dev *d, size_t len, uint64_t off);

#endif /* ZK_CHECK_H */
