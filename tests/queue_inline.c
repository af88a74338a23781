/* SPDX-License-Identifier: MIT */
/*
 * Queues on a buffered emulated device (no ZK_DIRECT): with the io_uring
 * engine, appends of up to 128 KiB are written by the submitting thread,
 * so each one's completion is there when zk_queue_append returns and none
 * waits for a kernel worker; a larger one goes to the ring.  With
 * ZK_QUEUE_NO_INLINE every write goes to the ring: appends queued behind
 * the one in flight share the next write (zk_stats).  Either way appends
 * of one queue to one zone land in submission order; on the thread engine
 * in some order.  Each record is read back where it landed.  Skipped
 * without io_uring after the thread engine's part.
 */
#include <string.h>

#include "testlib.h"

#define NR 8

static struct zk_stats stats_now(struct zk_dev *dev)
{
	struct zk_stats st;

	T_OK(zk_stats(dev, &st));
	return st;
}

/* Append @i's record (a pattern of its own) has landed at @cqe->offset. */
static void check_landed(struct zk_dev *dev, const struct zk_cqe *cqe,
			 uint64_t zone, size_t len, bool in_order)
{
	uint64_t i = cqe->user_data;
	uint8_t *got = t_aligned(len);

	t_ctx("append %llu of %zu bytes", (unsigned long long)i, len);
	T_RET(cqe->res, (long long)len);
	T_ASSERT(cqe->offset >= zone && cqe->offset + len <= zone + NR * len);
	/* one queue, one zone, io_uring: they land in submission order (the
	 * thread engine's workers may take them in any order) */
	if (in_order)
		T_EQ(cqe->offset, zone + i * len);
	T_RET(zk_pread(dev, got, len, cqe->offset), (long long)len);
	T_ASSERT(t_pat_find_bad(got, len, i * len, 7) < 0);
	free(got);
}

/* Append NR records of @len to @zone through @q, reaping at once (min 0)
 * after each when @ready_at_once; then reap the rest.  Checks where each
 * landed and its data; returns the zone's wp afterwards. */
static uint64_t append_records(struct zk_dev *dev, struct zk_queue *q,
			       uint64_t zone, size_t len, bool ready_at_once,
			       bool in_order)
{
	uint8_t *buf = t_aligned((size_t)NR * len);
	struct zk_cqe cqe[NR];
	int got = 0;

	for (int i = 0; i < NR; i++) {
		uint8_t *b = buf + (size_t)i * len;

		t_pat_fill(b, len, (uint64_t)i * len, 7);
		T_OK(zk_queue_append(q, zone, b, len, (uint64_t)i));
		if (!ready_at_once)
			continue;
		t_ctx("append %d of %zu bytes: done on return", i, len);
		T_RET(zk_queue_reap(q, &cqe[0], 1, 0), 1);
		T_EQ(cqe[0].user_data, (uint64_t)i);
		check_landed(dev, &cqe[0], zone, len, in_order);
		got++;
	}
	T_OK(zk_queue_submit(q));
	while (got < NR) {
		int n = zk_queue_reap(q, cqe, NR, 1);

		T_OK(n);
		for (int k = 0; k < n; k++)
			check_landed(dev, &cqe[k], zone, len, in_order);
		got += n;
	}
	free(buf);
	return T_ZONE(dev, zone).wp;
}

int main(void)
{
	struct zk_geometry geo;
	struct zk_stats a, b;
	struct zk_queue *q;
	struct tdev t;

	t_geo_default(&geo);
	geo.zone_size = 4 * MiB;
	geo.capacity = 8 * geo.zone_size;
	t_dev_create(&t, &geo);

	t_ctx("thread engine");
	T_OK(zk_queue_init(t.dev, NR, ZK_QUEUE_THREADS, &q));
	T_ASSERT(!strcmp(zk_queue_engine(q), "threads"));
	T_EQ(append_records(t.dev, q, t_zstart(&t, 1), 4096, false, false),
	     t_zstart(&t, 1) + NR * 4096);
	zk_queue_exit(q);

	T_OK(zk_queue_init(t.dev, NR, 0, &q));
	if (strcmp(zk_queue_engine(q), "io_uring")) {
		zk_queue_exit(q);
		t_dev_close(&t);
		t_skip("no io_uring here: the thread engine ran");
	}
	t_ctx("io_uring, 4 KiB: written on submission");
	a = stats_now(t.dev);
	append_records(t.dev, q, t_zstart(&t, 2), 4096, true, true);
	b = stats_now(t.dev);
	T_EQ(b.batches - a.batches, NR); /* one write each, none waited */
	t_ctx("io_uring, 128 KiB: written on submission");
	append_records(t.dev, q, t_zstart(&t, 3), 128 * KiB, true, true);
	t_ctx("io_uring, 256 KiB: through the ring");
	append_records(t.dev, q, t_zstart(&t, 4), 256 * KiB, false, true);
	zk_queue_exit(q);

	t_ctx("io_uring with ZK_QUEUE_NO_INLINE");
	T_OK(zk_queue_init(t.dev, NR, ZK_QUEUE_NO_INLINE, &q));
	T_ASSERT(!strcmp(zk_queue_engine(q), "io_uring"));
	a = stats_now(t.dev);
	append_records(t.dev, q, t_zstart(&t, 5), 4096, false, true);
	b = stats_now(t.dev);
	/* The first went to the ring at once; the other 7 queued behind it
	 * and went out together when it completed. */
	T_EQ(b.batches - a.batches, 2);
	T_EQ(b.merged - a.merged, NR - 1);
	T_EQ(b.appends - a.appends, NR);
	zk_queue_exit(q);

	t_dev_close(&t);
	return T_EXIT_PASS;
}
