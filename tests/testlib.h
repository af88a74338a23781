/* SPDX-License-Identifier: MIT */
/*
 * Helpers shared by the zonekit tests: temporary emulated devices, assertion
 * macros that print file:line and zk_strerror() of a bad return, zone
 * look-ups, and data patterns that encode where the data belongs so that data
 * written to or read from the wrong place is detected.
 *
 * Every test is a program of its own: exit 0 = pass, 1 = fail, 77 = skip.
 * A failed check prints a message and exits 1 at once; the temporary
 * directories are removed at exit (set ZK_TEST_KEEP=1 to keep them).
 */
#ifndef ZK_TESTLIB_H
#define ZK_TESTLIB_H

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include "zonekit.h"

#define T_EXIT_PASS 0
#define T_EXIT_FAIL 1
#define T_EXIT_SKIP 77

#define KiB 1024ULL
#define MiB (1024ULL * 1024ULL)

/* ------------------------------------------------------------------ */
/* Reporting */

/* Name the sub-case being run; printed with every failure message. */
void t_ctx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Print a progress/information line (stdout, prefixed with the test name). */
void t_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
__attribute__((noreturn, format(printf, 3, 4)))
void t_fail_at(const char *file, int line, const char *fmt, ...);
__attribute__((noreturn, format(printf, 1, 2)))
void t_skip(const char *fmt, ...);

#define T_FAIL(...) t_fail_at(__FILE__, __LINE__, __VA_ARGS__)

/* A condition that must hold. */
#define T_ASSERT(c)                                                         \
	do {                                                                \
		if (!(c))                                                   \
			T_FAIL("assertion failed: %s", #c);                 \
	} while (0)

/* A zonekit call that must succeed (return >= 0). */
#define T_OK(expr)                                                          \
	do {                                                                \
		long long t_r_ = (long long)(expr);                         \
		if (t_r_ < 0)                                               \
			T_FAIL("%s = %lld (%s), expected success", #expr,   \
			       t_r_, zk_strerror((int)t_r_));               \
	} while (0)

/* A zonekit call that must return exactly @want (a byte count or -errno). */
#define T_RET(expr, want)                                                   \
	do {                                                                \
		long long t_r_ = (long long)(expr);                         \
		long long t_w_ = (long long)(want);                         \
		if (t_r_ != t_w_)                                           \
			T_FAIL("%s = %lld (%s), expected %lld (%s)", #expr, \
			       t_r_, t_errname(t_r_), t_w_,                \
			       t_errname(t_w_));                            \
	} while (0)

/* A zonekit call that must fail (any negative errno). */
#define T_FAILS(expr)                                                       \
	do {                                                                \
		long long t_r_ = (long long)(expr);                         \
		if (t_r_ >= 0)                                              \
			T_FAIL("%s = %lld, expected an error", #expr, t_r_); \
	} while (0)

/* Two unsigned 64-bit values that must be equal. */
#define T_EQ(a, b)                                                          \
	do {                                                                \
		uint64_t t_a_ = (uint64_t)(a), t_b_ = (uint64_t)(b);        \
		if (t_a_ != t_b_)                                           \
			T_FAIL("%s == %s: got %" PRIu64 " (0x%" PRIx64      \
			       "), expected %" PRIu64 " (0x%" PRIx64 ")",   \
			       #a, #b, t_a_, t_a_, t_b_, t_b_);             \
	} while (0)

/* "-EIO (Input/output error)"-like text for a return value (static buffer
 * per thread); "ok" for values >= 0. */
const char *t_errname(long long ret);
const char *t_condname(unsigned int cond);

/* ------------------------------------------------------------------ */
/* Temporary emulated devices */

/* A small default geometry: 8 zones of 1 MiB, the first conventional,
 * 4 KiB blocks, no limits. */
void t_geo_default(struct zk_geometry *geo);

/* A new temporary directory under $TMPDIR or /tmp, removed at exit. */
const char *t_tmpdir(void);

struct tdev {
	char dir[PATH_MAX - 64]; /* temporary directory */
	char path[PATH_MAX]; /* the device: dir/dev */
	struct zk_dev *dev;  /* open read-write, or NULL */
	struct zk_info info;
};

/* Create an emulated device with @geo in a new temporary directory and open
 * it read-write.  Fails the test on any error. */
void t_dev_create(struct tdev *t, const struct zk_geometry *geo);
/* Close (if open) and open again with @flags. */
void t_dev_reopen(struct tdev *t, unsigned int flags);
void t_dev_close(struct tdev *t);
/* Close it and remove its temporary directory now (big devices). */
void t_dev_destroy(struct tdev *t);

/* Byte offset of zone @z. */
static inline uint64_t t_zstart(const struct tdev *t, unsigned int z)
{
	return (uint64_t)z * t->info.zone_size;
}

/* ------------------------------------------------------------------ */
/* Zones */

/* Fetch the zone containing @off with zk_report(*nr = 1). */
#define T_ZONE(dev, off) t_zone_at(__FILE__, __LINE__, (dev), (off))
struct zk_zone t_zone_at(const char *file, int line, struct zk_dev *dev,
			 uint64_t off);

/* The zone containing @off must have condition @cond and wp @wp. */
#define T_ZCHECK(dev, off, cond, wp)                                        \
	t_zcheck_at(__FILE__, __LINE__, (dev), (off), (cond), (wp))
void t_zcheck_at(const char *file, int line, struct zk_dev *dev, uint64_t off,
		 unsigned int cond, uint64_t wp);
/* Only the condition. */
#define T_ZCOND(dev, off, cond)                                             \
	t_zcond_at(__FILE__, __LINE__, (dev), (off), (cond))
void t_zcond_at(const char *file, int line, struct zk_dev *dev, uint64_t off,
		unsigned int cond);

/* ------------------------------------------------------------------ */
/* Data patterns: the 8-byte word at device offset o is t_pat_word(o, seed),
 * so data at the wrong offset or from another write (another seed) shows. */

uint64_t t_pat_word(uint64_t off, uint64_t seed);
void t_pat_fill(void *buf, size_t len, uint64_t off, uint64_t seed);
/* Index of the first byte of @buf that differs from the pattern, or -1. */
ssize_t t_pat_find_bad(const void *buf, size_t len, uint64_t off, uint64_t seed);
/* Index of the first non-zero byte, or -1. */
ssize_t t_find_nonzero(const void *buf, size_t len);

/* zk_pwrite @len bytes of pattern @seed at @off; must return @len. */
#define T_WRITE(dev, off, len, seed)                                        \
	t_write_at(__FILE__, __LINE__, (dev), (off), (len), (seed))
void t_write_at(const char *file, int line, struct zk_dev *dev, uint64_t off,
		size_t len, uint64_t seed);
/* zk_pwrite of pattern @seed that must return @want (an error). */
#define T_WRITE_RET(dev, off, len, seed, want)                              \
	t_write_ret_at(__FILE__, __LINE__, (dev), (off), (len), (seed), (want))
void t_write_ret_at(const char *file, int line, struct zk_dev *dev,
		    uint64_t off, size_t len, uint64_t seed, long long want);
/* zk_append of pattern @seed (laid out for offset @expect) that must
 * succeed and land at @expect. */
#define T_APPEND(dev, zone, len, seed, expect)                              \
	t_append_at(__FILE__, __LINE__, (dev), (zone), (len), (seed), (expect))
void t_append_at(const char *file, int line, struct zk_dev *dev,
		 uint64_t zone_start, size_t len, uint64_t seed,
		 uint64_t expect);
/* zk_append that must return @want (an error). */
#define T_APPEND_RET(dev, zone, len, want)                                  \
	t_append_ret_at(__FILE__, __LINE__, (dev), (zone), (len), (want))
void t_append_ret_at(const char *file, int line, struct zk_dev *dev,
		     uint64_t zone_start, size_t len, long long want);
/* Read [off, off + len) back: must be pattern @seed / zeros. */
#define T_DATA(dev, off, len, seed)                                         \
	t_data_at(__FILE__, __LINE__, (dev), (off), (len), (seed))
void t_data_at(const char *file, int line, struct zk_dev *dev, uint64_t off,
	       size_t len, uint64_t seed);
#define T_ZEROS(dev, off, len)                                              \
	t_zeros_at(__FILE__, __LINE__, (dev), (off), (len))
void t_zeros_at(const char *file, int line, struct zk_dev *dev, uint64_t off,
		size_t len);

/* A picture of a whole (small) device: every zone's report and all data.
 * T_SNAP_SAME fails if anything changed since t_snap_take. */
struct t_snap {
	struct zk_zone *zones;
	unsigned int nr;
	uint8_t *data;
	uint64_t len;
};
void t_snap_take(struct zk_dev *dev, struct t_snap *s);
#define T_SNAP_SAME(dev, s) t_snap_same_at(__FILE__, __LINE__, (dev), (s))
void t_snap_same_at(const char *file, int line, struct zk_dev *dev,
		    const struct t_snap *s);
void t_snap_free(struct t_snap *s);

/* ------------------------------------------------------------------ */
/* Self-describing records for concurrency tests.  Every block of a record
 * carries a header (magic, thread id, sequence, block index, block count)
 * and a body derived from them, so any block read from the device can be
 * checked on its own, without knowing where it should be. */

void t_rec_fill(void *buf, size_t len, size_t bs, uint32_t tid, uint32_t seq);
/* Check one block: 0 if it is a valid record block (and fill in what it
 * says), else a short reason. */
struct t_rec_blk {
	uint32_t tid, seq, blk, nblk;
};
const char *t_rec_check_block(const void *blk, size_t bs, struct t_rec_blk *out);

/* What one append did, as its thread saw it. */
struct t_rec {
	uint64_t landed;
	uint32_t len;
	uint32_t tid;
	uint32_t seq;
	uint32_t zone; /* index of the zone among those a test uses */
};

/* Check the successful appends @recs[0..n) to the zone at @zone_start
 * (capacity @zcap): sorts them by landed offset, then every one must be
 * block aligned and inside the zone, and together they must cover
 * [zone_start, zone_start + total) without gap or overlap, each holding the
 * record its thread wrote (read back byte for byte).  Returns total. */
#define T_RECS_VERIFY(dev, recs, n, zs, zcap, bs)                           \
	t_recs_verify_at(__FILE__, __LINE__, (dev), (recs), (n), (zs), (zcap), (bs))
uint64_t t_recs_verify_at(const char *file, int line, struct zk_dev *dev,
			  struct t_rec *recs, size_t n, uint64_t zone_start,
			  uint64_t zcap, size_t bs);

/* ------------------------------------------------------------------ */
/* Hangs become failures */

/* Fail the test (exit 1) unless t_watchdog_stop() comes within @secs
 * seconds: prints the context, every thread's state (t_state) and the
 * thread stacks if gdb is there, so that a deadlock is a failure that
 * says where each thread was, never a hang of the test run.  @secs is
 * multiplied by t_watchdog_scale(). */
void t_watchdog_start(double secs);
void t_watchdog_stop(void);
/* Also fail when a thread stays in one state (t_state) for @secs seconds
 * (times t_watchdog_scale()): one call that does not return is a hang
 * however slowly the others go.  Threads whose state is "done" are
 * left out.  0: no such limit (the default). */
void t_watchdog_stall(double secs);
/* The longest any thread stayed in one state so far, in seconds. */
double t_state_longest(void);
/* What the watchdog's limits are multiplied by: 4 under ThreadSanitizer,
 * 2 under AddressSanitizer (they slow a program down that much and more
 * on a loaded machine), times ZK_TEST_WATCHDOG_SCALE if set. */
double t_watchdog_scale(void);
/* Also call @dump when the watchdog fires (what the test knows of the
 * library's state, printed without locks). */
void t_watchdog_dump(void (*dump)(FILE *out));
/* What thread slot @slot (0..T_STATE_SLOTS-1) is doing now, for the
 * watchdog's report ("append zone 3", "reap"...). */
#define T_STATE_SLOTS 64
void t_state(unsigned int slot, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* ------------------------------------------------------------------ */
/* Misc */

/* xorshift64* (per-thread state, never 0) */
static inline uint64_t t_rand(uint64_t *s)
{
	uint64_t x = *s;
	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*s = x;
	return x * 0x2545F4914F6CDD1DULL;
}

/* ZK_TEST_SCALE (default 1): concurrency tests multiply their counts by
 * it, e.g. ZK_TEST_SCALE=0.1 under ThreadSanitizer. */
double t_scale(void);
/* @n scaled, at least @min. */
unsigned long t_scaled(unsigned long n, unsigned long min);

void *t_malloc(size_t len);         /* zeroed; fails the test on ENOMEM */
void *t_aligned(size_t len);        /* 4 KiB aligned, zeroed */
double t_now(void);                 /* seconds, monotonic */

/* How many descriptors of zone files (seq-*, cnv-*) under @dir this
 * process holds; *not_direct: how many of them are not O_DIRECT. */
int t_zone_fds_under(const char *dir, int *not_direct);

#endif /* ZK_TESTLIB_H */
