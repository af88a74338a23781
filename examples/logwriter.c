/* SPDX-License-Identifier: MIT */
/*
 * logwriter: a log-structured writer on zonekit.
 *
 * Several threads append records to a log that spans a few sequential
 * zones.  A record is a header (magic, key, sequence number, payload length,
 * CRC-32C) followed by its payload, padded to the device's block size.
 * Nobody chooses where a record goes: zk_append() puts it at the zone's
 * write pointer and says where it landed, and the in-memory index (key ->
 * newest record) is built from those landed offsets.  When a zone has no
 * room left, the thread that notices finishes it and the log moves on to
 * the next zone.
 *
 * Then the program "restarts": it closes the device, opens it again and
 * rebuilds the index from the device alone, scanning every log zone from its
 * start to its write pointer, checking each record's header and CRC.  The
 * rebuilt index must be the one the writers built, and every record must
 * read back intact.
 *
 *   logwriter DEV [THREADS [RECORDS_PER_THREAD [ZONES]]]
 *
 * DEV: an emulated device (zonekit create) or a zoned block device.  The log
 * uses the first ZONES sequential zones, which are reset first.
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zonekit.h>

#include "record.h"

#define REC_MAGIC 0x474c4b5au /* "ZKLG" */
#define MAX_PAYLOAD 6000u
#define KEYS_PER_THREAD 64u   /* each key is written several times */

/* ---- the index: key -> newest record ---- */

struct entry {
	uint64_t key, seq, offset;
	uint32_t len;
	bool used;
};

struct index {
	struct entry *e;
	size_t cap, count;
	pthread_mutex_t lock;
};

static int index_init(struct index *ix, size_t keys)
{
	ix->cap = 1;
	while (ix->cap < keys * 2)
		ix->cap <<= 1;
	ix->e = calloc(ix->cap, sizeof(*ix->e));
	ix->count = 0;
	pthread_mutex_init(&ix->lock, NULL);
	return ix->e ? 0 : -ENOMEM;
}

static void index_free(struct index *ix)
{
	free(ix->e);
	pthread_mutex_destroy(&ix->lock);
}

static struct entry *index_slot(struct index *ix, uint64_t key)
{
	size_t i = (size_t)(key * 0x9e3779b97f4a7c15ull) & (ix->cap - 1);

	while (ix->e[i].used && ix->e[i].key != key)
		i = (i + 1) & (ix->cap - 1);
	return &ix->e[i];
}

/* Keep the newest version of each key. */
static void index_put(struct index *ix, uint64_t key, uint64_t seq,
		      uint64_t offset, uint32_t len)
{
	struct entry *e;

	pthread_mutex_lock(&ix->lock);
	e = index_slot(ix, key);
	if (!e->used) {
		*e = (struct entry){ .key = key, .used = true };
		ix->count++;
	}
	if (e->seq <= seq) {
		e->seq = seq;
		e->offset = offset;
		e->len = len;
	}
	pthread_mutex_unlock(&ix->lock);
}

/* ---- the log ---- */

struct log {
	struct zk_dev *dev;
	struct zk_info info;
	uint64_t first;           /* start of the first log zone */
	uint32_t nr_zones;
	_Atomic uint32_t cur;     /* the zone appends go to */
	struct index ix;
	_Atomic uint64_t records, bytes, zone_switches;
};

static uint64_t zone_start(const struct log *lg, uint32_t z)
{
	return lg->first + (uint64_t)z * lg->info.zone_size;
}

/* Is the zone at @start one that cannot be written at all (read-only or
 * offline), rather than merely full? */
static int zone_is_dead(struct log *lg, uint64_t start, bool *dead)
{
	struct zk_zone z;
	unsigned int nr = 1;
	int ret = zk_report(lg->dev, start, &z, &nr);

	if (ret)
		return ret;
	*dead = nr != 1 || z.cond == ZK_COND_READONLY ||
		z.cond == ZK_COND_OFFLINE;
	return 0;
}

/* Append one record to the current zone, moving on to the next zone when
 * it cannot take the record.  zk_append() fails with EIO when the record
 * does not fit in what is left of the zone once the writes already
 * submitted to it are counted (they may still be in flight, so a zone
 * report can show a little more room than there is).  The thread that moves
 * the log on finishes the old zone: the writes in flight there complete
 * first, and the zone stops counting against the open zone limit.  The few
 * blocks a finish leaves unused are the price of never waiting. */
static int log_append(struct log *lg, const void *buf, size_t len,
		      uint64_t *landed)
{
	for (;;) {
		uint32_t z = atomic_load(&lg->cur);
		bool dead;
		int ret;

		if (z >= lg->nr_zones)
			return -ENOSPC;
		ret = zk_append(lg->dev, zone_start(lg, z), buf, len, landed);
		if (ret != -EIO)
			return ret;
		ret = zone_is_dead(lg, zone_start(lg, z), &dead);
		if (ret)
			return ret;
		if (dead)
			return -EIO;
		if (atomic_compare_exchange_strong(&lg->cur, &z, z + 1)) {
			atomic_fetch_add(&lg->zone_switches, 1);
			ret = zk_zone_op(lg->dev, ZK_OP_FINISH, zone_start(lg, z),
					 lg->info.zone_size);
			if (ret && ret != -EIO) /* EIO: full already */
				return ret;
		}
	}
}

struct writer {
	pthread_t tid;
	struct log *lg;
	uint32_t id, nr_records;
	int err;
};

static void *writer_main(void *arg)
{
	struct writer *w = arg;
	struct log *lg = w->lg;
	uint32_t bs = lg->info.block_size, rnd = w->id * 7919u + 1;
	uint8_t *buf = buffer_alloc(rec_size(MAX_PAYLOAD, bs));

	if (!buf) {
		w->err = -ENOMEM;
		return NULL;
	}
	for (uint32_t i = 0; i < w->nr_records; i++) {
		struct rec_hdr h = { .magic = REC_MAGIC };
		size_t size;
		uint64_t landed;

		rnd = rnd * 1103515245u + 12345u;
		h.len = 1 + (rnd >> 8) % MAX_PAYLOAD;
		h.key = (uint64_t)w->id << 32 | (i % KEYS_PER_THREAD);
		h.seq = i;
		size = rec_build(buf, &h, bs);
		w->err = log_append(lg, buf, size, &landed);
		if (w->err)
			break;
		index_put(&lg->ix, h.key, h.seq, landed, h.len);
		atomic_fetch_add(&lg->records, 1);
		atomic_fetch_add(&lg->bytes, size);
	}
	free(buf);
	return NULL;
}

/* A header of this log's: 1 to MAX_PAYLOAD bytes of payload. */
static bool rec_valid(const struct rec_hdr *h, const void *unused)
{
	(void)unused;
	return h->magic == REC_MAGIC && h->len && h->len <= MAX_PAYLOAD;
}

static struct rec_reader log_reader(struct log *lg, uint8_t *buf)
{
	return (struct rec_reader){ .dev = lg->dev, .block_size =
				    lg->info.block_size, .buf = buf,
				    .valid = rec_valid };
}

struct rebuild {
	struct index *ix;
	uint64_t records;
};

static int index_record(uint64_t off, const struct rec_hdr *h, void *ctx)
{
	struct rebuild *rb = ctx;

	index_put(rb->ix, h->key, h->seq, off, h->len);
	rb->records++;
	return 0;
}

/* After a restart: the index again, from the zones alone. */
static int rebuild_index(struct log *lg, struct index *ix, uint64_t *records)
{
	uint8_t *buf = buffer_alloc(rec_size(MAX_PAYLOAD, lg->info.block_size));
	struct rec_reader rd = log_reader(lg, buf);
	struct rebuild rb = { .ix = ix, .records = 0 };
	int ret = 0;

	*records = 0;
	if (!buf)
		return -ENOMEM;
	for (uint32_t z = 0; z < lg->nr_zones && !ret; z++) {
		struct zk_zone zone;
		unsigned int nr = 1;
		uint64_t at, end;

		ret = zk_report(lg->dev, zone_start(lg, z), &zone, &nr);
		if (ret)
			break;
		/* [start, wp): what was written; a finished zone's wp is its
		 * end, past the last record: the scan stops at the padding. */
		end = zone.cond == ZK_COND_FULL ? zone.start + zone.capacity : zone.wp;
		ret = rec_scan(&rd, zone.start, end, index_record, &rb, &at);
		if (ret)
			fprintf(stderr, "record at %" PRIu64 ": %s\n", at,
				ret == -EBADMSG ? "bad checksum" : zk_strerror(ret));
	}
	*records = rb.records;
	free(buf);
	return ret;
}

/* The rebuilt index must equal the writers' one, and each newest record
 * must carry the payload its key and sequence number say. */
static int verify_index(struct log *lg, struct index *rebuilt)
{
	uint8_t *buf = buffer_alloc(rec_size(MAX_PAYLOAD, lg->info.block_size));
	struct rec_reader rd = log_reader(lg, buf);
	uint8_t *want = malloc(MAX_PAYLOAD);
	size_t bad = 0;

	if (!buf || !want) {
		free(buf);
		free(want);
		return -ENOMEM;
	}
	if (rebuilt->count != lg->ix.count) {
		fprintf(stderr, "rebuilt index has %zu keys, the writers' %zu\n",
			rebuilt->count, lg->ix.count);
		bad++;
	}
	for (size_t i = 0; i < lg->ix.cap; i++) {
		const struct entry *e = &lg->ix.e[i], *r;
		struct rec_hdr h;
		int ret;

		if (!e->used)
			continue;
		r = index_slot(rebuilt, e->key);
		if (!r->used || r->offset != e->offset || r->seq != e->seq) {
			fprintf(stderr, "key %#" PRIx64 ": writers saw seq %" PRIu64
				" at %" PRIu64 ", the scan found %s\n", e->key,
				e->seq, e->offset, r->used ? "another" : "nothing");
			bad++;
			continue;
		}
		ret = rec_read(&rd, e->offset, UINT64_MAX, &h);
		fill_payload(want, e->len, e->key, e->seq);
		if (ret || h.key != e->key || memcmp(buf + sizeof(h), want, e->len)) {
			fprintf(stderr, "key %#" PRIx64 ": record at %" PRIu64
				" does not read back\n", e->key, e->offset);
			bad++;
		}
	}
	free(buf);
	free(want);
	return bad ? -EIO : 0;
}

static int open_log(const char *path, struct log *lg, uint32_t zones)
{
	int ret = zk_open(path, 0, &lg->dev);

	if (ret)
		return ret;
	ret = zk_info(lg->dev, &lg->info);
	if (ret)
		return ret;
	lg->first = (uint64_t)lg->info.nr_conv_zones * lg->info.zone_size;
	lg->nr_zones = zones;
	if (lg->info.nr_zones < lg->info.nr_conv_zones + zones)
		return -ENOSPC;
	if (lg->info.max_append && rec_size(MAX_PAYLOAD, lg->info.block_size) >
					   lg->info.max_append)
		return -EINVAL;
	return 0;
}

int main(int argc, char **argv)
{
	uint32_t threads = argc > 2 ? (uint32_t)atoi(argv[2]) : 4;
	uint32_t records = argc > 3 ? (uint32_t)atoi(argv[3]) : 500;
	uint32_t zones = argc > 4 ? (uint32_t)atoi(argv[4]) : 16;
	struct writer *w;
	struct index rebuilt;
	struct log lg = { 0 };
	uint64_t scanned;
	int ret;

	if (argc < 2 || argc > 5 || !threads || !records || !zones) {
		fprintf(stderr, "usage: %s DEV [THREADS [RECORDS_PER_THREAD [ZONES]]]\n",
			argv[0]);
		return 2;
	}
	crc_init();
	ret = open_log(argv[1], &lg, zones);
	if (ret) {
		fprintf(stderr, "%s: %s\n", argv[1], zk_strerror(ret));
		zk_close(lg.dev);
		return 1;
	}
	/* a fresh log */
	ret = zk_zone_op(lg.dev, ZK_OP_RESET, lg.first,
			 (uint64_t)zones * lg.info.zone_size);
	if (!ret)
		ret = index_init(&lg.ix, (size_t)threads * KEYS_PER_THREAD);
	w = calloc(threads, sizeof(*w));
	if (ret || !w) {
		fprintf(stderr, "%s: %s\n", argv[1], zk_strerror(ret ? ret : -ENOMEM));
		zk_close(lg.dev);
		return 1;
	}

	for (uint32_t i = 0; i < threads; i++) {
		w[i] = (struct writer){ .lg = &lg, .id = i, .nr_records = records };
		if (pthread_create(&w[i].tid, NULL, writer_main, &w[i])) {
			fprintf(stderr, "pthread_create failed\n");
			return 1;
		}
	}
	for (uint32_t i = 0; i < threads; i++) {
		pthread_join(w[i].tid, NULL);
		if (w[i].err && !ret) {
			fprintf(stderr, "writer %u: %s\n", i, zk_strerror(w[i].err));
			ret = w[i].err;
		}
	}
	free(w);
	if (!ret)
		ret = zk_flush(lg.dev);
	if (ret) {
		fprintf(stderr, "%s: %s\n", argv[1], zk_strerror(ret));
		zk_close(lg.dev);
		return 1;
	}
	printf("wrote %" PRIu64 " records (%" PRIu64 " KiB) from %u threads into "
	       "%u zone(s); %zu keys in the index\n", lg.records, lg.bytes >> 10,
	       threads, atomic_load(&lg.cur) + 1, lg.ix.count);

	/* restart: nothing survives but what is on the device */
	zk_close(lg.dev);
	lg.dev = NULL;
	ret = open_log(argv[1], &lg, zones);
	if (!ret)
		ret = index_init(&rebuilt, (size_t)threads * KEYS_PER_THREAD);
	if (!ret)
		ret = rebuild_index(&lg, &rebuilt, &scanned);
	if (ret) {
		fprintf(stderr, "%s: after reopen: %s\n", argv[1], zk_strerror(ret));
		zk_close(lg.dev);
		return 1;
	}
	printf("after reopen: scanned %" PRIu64 " records from the zones' "
	       "[start, wp), %zu keys\n", scanned, rebuilt.count);
	if (scanned != lg.records) {
		fprintf(stderr, "scanned %" PRIu64 " records, wrote %" PRIu64 "\n",
			scanned, lg.records);
		ret = -EIO;
	}
	if (!ret)
		ret = verify_index(&lg, &rebuilt);
	printf("verified: rebuilt index equals the writers' index, every newest "
	       "record reads back: %s\n", ret ? "FAILED" : "ok");
	index_free(&rebuilt);
	index_free(&lg.ix);
	zk_close(lg.dev);
	return ret ? 1 : 0;
}
