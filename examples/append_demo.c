/* SPDX-License-Identifier: MIT */
/*
 * append_demo: several threads append records concurrently, first all to
 * one zone, then spread over several zones; afterwards every record is read
 * back at the offset zk_append() said it landed at and checked byte for
 * byte, and the zones are checked for overlaps and gaps.
 *
 *   append_demo DEV [THREADS [APPENDS_PER_THREAD [ZONES]]]
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zonekit.h>

#define MAX_BLOCKS 8 /* records of 1 to 8 blocks */

struct record {
	uint64_t landed;
	uint32_t len;
	uint32_t thread, seq;
};

struct worker {
	pthread_t tid;
	struct zk_dev *dev;
	uint32_t id, nr_appends, block_size;
	uint64_t zone_start;
	struct record *recs;
	int err;
};

/* Each record's bytes say who wrote it, so a misplaced one shows. */
static void fill_record(uint8_t *buf, uint32_t len, uint32_t thread,
			uint32_t seq)
{
	uint32_t seed = thread * 2654435761u ^ seq * 40503u;

	for (uint32_t i = 0; i < len; i++) {
		seed = seed * 1103515245u + 12345u;
		buf[i] = (uint8_t)(seed >> 16);
	}
	memcpy(buf, &thread, sizeof(thread));
	memcpy(buf + 4, &seq, sizeof(seq));
}

static void *append_worker(void *arg)
{
	struct worker *w = arg;
	uint8_t *buf = malloc(MAX_BLOCKS * (size_t)w->block_size);
	uint32_t rnd = w->id + 1;

	if (!buf) {
		w->err = -ENOMEM;
		return NULL;
	}
	for (uint32_t i = 0; i < w->nr_appends; i++) {
		struct record *r = &w->recs[i];

		rnd = rnd * 1664525u + 1013904223u;
		r->len = (1 + (rnd >> 8) % MAX_BLOCKS) * w->block_size;
		r->thread = w->id;
		r->seq = i;
		fill_record(buf, r->len, r->thread, r->seq);
		w->err = zk_append(w->dev, w->zone_start, buf, r->len, &r->landed);
		if (w->err)
			break;
	}
	free(buf);
	return NULL;
}

static int cmp_landed(const void *a, const void *b)
{
	const struct record *x = a, *y = b;

	return x->landed < y->landed ? -1 : x->landed > y->landed;
}

/* Read every record back, then check the zones hold them end to end. */
static int verify(struct zk_dev *dev, struct record *recs, size_t n,
		  uint32_t block_size)
{
	uint8_t *want = malloc(MAX_BLOCKS * (size_t)block_size);
	uint8_t *got = malloc(MAX_BLOCKS * (size_t)block_size);
	size_t bad = 0;

	for (size_t i = 0; want && got && i < n; i++) {
		struct record *r = &recs[i];
		ssize_t ret = zk_pread(dev, got, r->len, r->landed);

		fill_record(want, r->len, r->thread, r->seq);
		if (ret != (ssize_t)r->len || memcmp(want, got, r->len))
			bad++;
	}
	free(want);
	free(got);
	qsort(recs, n, sizeof(*recs), cmp_landed);
	for (size_t i = 1; i < n; i++) {
		struct record *p = &recs[i - 1], *r = &recs[i];
		if (p->landed + p->len > r->landed) {
			fprintf(stderr, "overlap at %" PRIu64 "\n", r->landed);
			bad++;
		}
	}
	return bad ? -EIO : 0;
}

/* Each zone used must end exactly where its last record ends. */
static int check_zone_ends(struct zk_dev *dev, struct record *recs, size_t n,
			   uint64_t zone_size)
{
	uint64_t cur_zone = UINT64_MAX, bytes = 0;
	int ret = 0;

	for (size_t i = 0; i <= n; i++) {
		uint64_t zone = i < n ? recs[i].landed & ~(zone_size - 1) : UINT64_MAX;

		if (zone != cur_zone && cur_zone != UINT64_MAX) {
			struct zk_zone z;
			unsigned int nr = 1;

			if (zk_report(dev, cur_zone, &z, &nr) || nr != 1)
				return -EIO;
			if (z.wp != cur_zone + bytes && !(z.cond == ZK_COND_FULL &&
							  bytes == z.capacity)) {
				fprintf(stderr, "zone at %" PRIu64 ": wp %" PRIu64
					" but records end at %" PRIu64 " (gap)\n",
					cur_zone, z.wp, cur_zone + bytes);
				ret = -EIO;
			}
			bytes = 0;
		}
		cur_zone = zone;
		if (i < n)
			bytes += recs[i].len;
	}
	return ret;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int run_phase(struct zk_dev *dev, const struct zk_info *info,
		     uint32_t threads, uint32_t appends, uint32_t zones,
		     uint64_t first_zone)
{
	struct worker *w = calloc(threads, sizeof(*w));
	struct record *all = calloc((size_t)threads * appends, sizeof(*all));
	struct zk_stats before, after;
	uint64_t bytes = 0;
	double t0, t;
	int ret = 0;

	if (!w || !all)
		return -ENOMEM;
	zk_stats(dev, &before);
	t0 = now();
	for (uint32_t i = 0; i < threads; i++) {
		w[i] = (struct worker){ .dev = dev, .id = i, .nr_appends = appends,
					.block_size = info->block_size,
					.zone_start = first_zone + (i % zones) * info->zone_size,
					.recs = all + (size_t)i * appends };
		pthread_create(&w[i].tid, NULL, append_worker, &w[i]);
	}
	for (uint32_t i = 0; i < threads; i++) {
		pthread_join(w[i].tid, NULL);
		if (w[i].err && !ret) {
			fprintf(stderr, "thread %u: zk_append: %s\n", i,
				zk_strerror(w[i].err));
			ret = w[i].err;
		}
	}
	t = now() - t0;
	zk_stats(dev, &after);
	for (size_t i = 0; i < (size_t)threads * appends; i++)
		bytes += all[i].len;
	printf("  %u threads -> %u zone(s): %u appends, %.1f MiB in %.3f s "
	       "(%.0f MiB/s); %" PRIu64 " writes to the files, %" PRIu64
	       " appends merged with others\n", threads, zones, threads * appends,
	       (double)bytes / (1 << 20), t, (double)bytes / (1 << 20) / t,
	       after.batches - before.batches, after.merged - before.merged);
	if (!ret)
		ret = verify(dev, all, (size_t)threads * appends, info->block_size);
	if (!ret)
		ret = check_zone_ends(dev, all, (size_t)threads * appends,
				      info->zone_size);
	printf("  verified: every record read back at its landed offset, "
	       "no overlap, no gap: %s\n", ret ? "FAILED" : "ok");
	free(w);
	free(all);
	return ret;
}

int main(int argc, char **argv)
{
	uint32_t threads = argc > 2 ? (uint32_t)atoi(argv[2]) : 8;
	uint32_t appends = argc > 3 ? (uint32_t)atoi(argv[3]) : 600;
	uint32_t zones = argc > 4 ? (uint32_t)atoi(argv[4]) : 4;
	struct zk_info info;
	struct zk_dev *dev;
	uint64_t first;
	int ret;

	if (argc < 2 || !threads || !appends || !zones) {
		fprintf(stderr, "usage: %s DEV [THREADS [APPENDS [ZONES]]]\n", argv[0]);
		return 2;
	}
	ret = zk_open(argv[1], 0, &dev);
	if (ret) {
		fprintf(stderr, "%s: %s\n", argv[1], zk_strerror(ret));
		return 1;
	}
	zk_info(dev, &info);
	first = (uint64_t)info.nr_conv_zones * info.zone_size;
	if ((uint64_t)appends * threads * MAX_BLOCKS * info.block_size > info.zone_capacity ||
	    info.nr_zones < info.nr_conv_zones + 1 + zones) {
		fprintf(stderr, "device too small for %u x %u appends\n", threads,
			appends);
		zk_close(dev);
		return 1;
	}
	printf("one shared zone:\n");
	ret = run_phase(dev, &info, threads, appends, 1, first);
	if (!ret) {
		printf("%u zones:\n", zones);
		ret = run_phase(dev, &info, threads, appends, zones,
				first + info.zone_size);
	}
	if (!ret)
		ret = zk_flush(dev);
	zk_close(dev);
	return ret ? 1 : 0;
}
