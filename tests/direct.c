/* SPDX-License-Identifier: MIT */
/*
 * ZK_DIRECT on an emulated device: the zone files are really open with
 * O_DIRECT; writes, appends and reads work from aligned buffers and from
 * buffers O_DIRECT cannot take (bounced), also across the bounce buffer's
 * size, from several threads at once and through a queue; data past the
 * wp reads as zeros; unknown flags are refused.  Skipped where the file
 * system under $TMPDIR has no direct I/O.
 */
#include <dirent.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "testlib.h"

#define ZS (4 * MiB)
#define THREADS 4
#define PER_THREAD 32

/* How many descriptors of zone files under @dir this process holds, all
 * O_DIRECT; -1 if one is not. */
static int direct_fds_under(const char *dir)
{
	int not_direct, n = t_zone_fds_under(dir, &not_direct);

	return not_direct ? -1 : n;
}

/* A buffer whose address O_DIRECT cannot take: 4 KiB-aligned plus 8. */
static uint8_t *misaligned(size_t len, void **base)
{
	T_ASSERT(!posix_memalign(base, 4096, len + 4096));
	return (uint8_t *)*base + 8;
}

static void check_read(struct zk_dev *dev, uint64_t off, size_t len,
		       uint64_t seed, bool aligned)
{
	void *base = NULL;
	uint8_t *buf;
	ssize_t bad;

	if (aligned)
		T_ASSERT(!posix_memalign(&base, 4096, len));
	buf = aligned ? base : misaligned(len, &base);
	T_RET(zk_pread(dev, buf, len, off), (long long)len);
	bad = t_pat_find_bad(buf, len, off, seed);
	if (bad >= 0)
		T_FAIL("%s read at %llu: byte %zd wrong", aligned ? "aligned" :
		       "misaligned", (unsigned long long)off, bad);
	free(base);
}

static void append_one(struct zk_dev *dev, uint64_t zone, uint64_t expect,
		       size_t len, uint64_t seed, bool aligned)
{
	void *base = NULL;
	uint8_t *buf;
	uint64_t landed = 0;

	if (aligned)
		T_ASSERT(!posix_memalign(&base, 4096, len));
	buf = aligned ? base : misaligned(len, &base);
	t_pat_fill(buf, len, expect, seed);
	T_OK(zk_append(dev, zone, buf, len, &landed));
	T_EQ(landed, expect);
	free(base);
}

struct worker {
	pthread_t tid;
	struct zk_dev *dev;
	uint64_t zone;
	uint32_t id;
	uint64_t landed[PER_THREAD];
	size_t len[PER_THREAD];
	int err;
};

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	void *base = NULL;
	uint8_t *buf = misaligned(8 * 4096, &base);

	for (uint32_t i = 0; i < PER_THREAD && !w->err; i++) {
		w->len[i] = (size_t)(1 + (w->id * 7 + i * 3) % 8) * 4096;
		t_rec_fill(buf, w->len[i], 4096, w->id, i);
		w->err = zk_append(w->dev, w->zone, buf, w->len[i], &w->landed[i]);
	}
	free(base);
	return NULL;
}

static void threads_append(struct zk_dev *dev, uint64_t zone)
{
	struct worker w[THREADS];
	uint8_t *blk = malloc(4096);

	T_ASSERT(blk);
	for (uint32_t t = 0; t < THREADS; t++) {
		w[t] = (struct worker){ .dev = dev, .zone = zone, .id = t };
		T_ASSERT(!pthread_create(&w[t].tid, NULL, worker_main, &w[t]));
	}
	for (uint32_t t = 0; t < THREADS; t++) {
		pthread_join(w[t].tid, NULL);
		T_OK(w[t].err);
	}
	for (uint32_t t = 0; t < THREADS; t++)
		for (uint32_t i = 0; i < PER_THREAD; i++)
			for (size_t b = 0; b < w[t].len[i] / 4096; b++) {
				struct t_rec_blk r;
				const char *why;

				T_RET(zk_pread(dev, blk, 4096, w[t].landed[i] + b * 4096), 4096);
				why = t_rec_check_block(blk, 4096, &r);
				if (why || r.tid != t || r.seq != i || r.blk != b)
					T_FAIL("thread %u append %u block %zu at %llu: %s",
					       t, i, b, (unsigned long long)w[t].landed[i],
					       why ? why : "another record's block");
			}
	free(blk);
}

static void queue_append(struct zk_dev *dev, uint64_t zone)
{
	struct zk_queue *q;
	void *base[8];
	uint8_t *buf[8];
	uint64_t expect = zone;
	struct zk_cqe cqe[8];
	int got = 0;

	T_OK(zk_queue_init(dev, 8, 0, &q));
	for (int i = 0; i < 8; i++) {
		base[i] = NULL;
		if (i & 1)
			T_ASSERT(!posix_memalign(&base[i], 4096, 64 * KiB));
		buf[i] = i & 1 ? base[i] : misaligned(64 * KiB, &base[i]);
		t_pat_fill(buf[i], 64 * KiB, zone + (uint64_t)i * 64 * KiB, 40);
		T_OK(zk_queue_append(q, zone, buf[i], 64 * KiB, (uint64_t)i));
	}
	T_OK(zk_queue_submit(q));
	while (got < 8) {
		int n = zk_queue_reap(q, cqe, 8, 1);

		T_OK(n);
		for (int k = 0; k < n; k++) {
			uint64_t i = cqe[k].user_data;

			T_RET(cqe[k].res, 64 * KiB);
			/* one queue, one zone: they land in submission order */
			T_EQ(cqe[k].offset, zone + i * 64 * KiB);
		}
		got += n;
	}
	zk_queue_exit(q);
	for (int i = 0; i < 8; i++) {
		free(base[i]);
		expect += 64 * KiB;
	}
	check_read(dev, zone, 8 * 64 * KiB, 40, false);
	T_ZCHECK(dev, zone, ZK_COND_IMP_OPEN, expect);
}

int main(void)
{
	struct zk_geometry geo;
	struct zk_dev *dev;
	struct tdev t;
	uint64_t z1, z2, z3, wp;
	int ret, fds;

	t_geo_default(&geo);
	geo.zone_size = ZS;
	geo.capacity = 8 * ZS;
	t_dev_create(&t, &geo);
	T_RET(zk_open(t.path, 0x80, &dev), -EINVAL);
	t_dev_close(&t);
	ret = zk_open(t.path, ZK_DIRECT, &t.dev);
	if (ret == -EOPNOTSUPP)
		t_skip("no direct I/O on the file system of %s", t.dir);
	T_OK(ret);
	T_OK(zk_info(t.dev, &t.info));
	T_EQ(t.info.flags, ZK_DIRECT);
	z1 = t_zstart(&t, 1), z2 = t_zstart(&t, 2), z3 = t_zstart(&t, 3);

	t_ctx("appends and writes from aligned and misaligned buffers");
	append_one(t.dev, z1, z1, 4 * KiB, 1, true);
	append_one(t.dev, z1, z1 + 4 * KiB, 4 * KiB, 1, false);
	append_one(t.dev, z1, z1 + 8 * KiB, 64 * KiB, 1, false);
	/* more than one bounce buffer (1 MiB): written in chunks, in order */
	append_one(t.dev, z1, z1 + 72 * KiB, MiB + 12 * KiB, 1, false);
	wp = z1 + 72 * KiB + MiB + 12 * KiB;
	T_WRITE(t.dev, wp, 128 * KiB, 1); /* testlib's malloc'd buffer */
	wp += 128 * KiB;
	T_ZCHECK(t.dev, z1, ZK_COND_IMP_OPEN, wp);
	fds = direct_fds_under(t.dir);
	if (fds <= 0)
		T_FAIL("zone files open without O_DIRECT (%d)", fds);

	t_ctx("reads, aligned and not, and zeros past the wp");
	check_read(t.dev, z1, wp - z1, 1, true);
	check_read(t.dev, z1, wp - z1, 1, false);
	check_read(t.dev, z1 + 4 * KiB, 8 * KiB, 1, false);
	T_ZEROS(t.dev, wp, 64 * KiB);

	t_ctx("%d threads appending to one zone from misaligned buffers", THREADS);
	threads_append(t.dev, z2);

	t_ctx("a queue of appends, aligned and misaligned");
	queue_append(t.dev, z3);

	t_ctx("the data is there after a reopen without ZK_DIRECT");
	t_dev_reopen(&t, 0);
	T_ZCOND(t.dev, z1, ZK_COND_IMP_OPEN);
	T_DATA(t.dev, z1, wp - z1, 1);
	t_dev_close(&t);
	return T_EXIT_PASS;
}
