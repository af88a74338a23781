/* SPDX-License-Identifier: MIT */
/*
 * gc: a zone garbage collector on zonekit.
 *
 * A key-value store writes records (header: magic, key, sequence number,
 * payload length, CRC-32C) into sequential zones with zk_append; keys are
 * overwritten, so older versions become garbage.  The in-memory index maps
 * each key to its newest record, and each zone counts its live bytes.
 *
 * The collector picks victim zones, full zones with the least live data,
 * copies their live records with zk_append into a fresh zone (several
 * copier threads append to the same zone at once: nobody computes offsets,
 * each copy's new place is where zk_append says it landed), points the
 * index at the copies, makes them durable (zk_flush) and only then resets
 * the victims.
 *
 * Afterwards every key must read back intact where the index says, the
 * victims must be empty, and an index rebuilt from the zones alone after a
 * reopen (newest sequence number wins) must equal the collector's.
 *
 *   gc DEV [ZONES [RECORDS [COPIERS]]]
 *
 * DEV: an emulated device (zonekit create) or a zoned block device.  The
 * store uses the first ZONES sequential zones, which are reset first.
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

#define REC_MAGIC 0x43474b5au /* "ZKGC" */
#define MAX_PAYLOAD 3000u
#define MAX_VICTIMS 8u

/* ---- the store ---- */

struct loc {
	uint64_t offset, seq;
	uint32_t size;  /* bytes on the device (padded) */
	uint32_t len;   /* payload */
	bool used;
};

struct zone_acct {
	uint64_t live;  /* bytes of newest records */
	bool victim;
};

struct store {
	struct zk_dev *dev;
	struct zk_info info;
	uint64_t first;
	uint32_t nr_zones, nr_keys;
	struct loc *index;        /* by key: keys are 0 .. nr_keys - 1 */
	struct zone_acct *zones;
	pthread_mutex_t lock;     /* index and zones */
	_Atomic uint32_t cur;     /* zone that appends go to */
	uint32_t limit;           /* appends stay below this zone */
};

static uint64_t zstart(const struct store *s, uint32_t z)
{
	return s->first + (uint64_t)z * s->info.zone_size;
}

static uint32_t zone_of(const struct store *s, uint64_t off)
{
	return (uint32_t)((off - s->first) / s->info.zone_size);
}

/* Bytes of a record of @len payload bytes on the store's device. */
static size_t rec_bytes(const struct store *s, uint32_t len)
{
	return rec_size(len, s->info.block_size);
}

static int zone_report(struct store *s, uint32_t z, struct zk_zone *zone)
{
	unsigned int nr = 1;
	int ret = zk_report(s->dev, zstart(s, z), zone, &nr);

	return ret ? ret : nr == 1 ? 0 : -EIO;
}

/* Append to the current zone; when it cannot take the record, finish it
 * and move on to the next zone (which must be empty).  zk_append() fails
 * with EIO when the record does not fit behind the writes already submitted
 * to the zone; those may still be in flight, so a zone report can show more
 * room than there is: only a read-only or offline zone is an error here.
 * The finish lets the writes in flight complete first. */
static int store_append(struct store *s, const void *buf, size_t len,
			uint64_t *landed)
{
	for (;;) {
		uint32_t z = atomic_load(&s->cur);
		struct zk_zone zone;
		int ret;

		if (z >= s->limit)
			return -ENOSPC;
		ret = zk_append(s->dev, zstart(s, z), buf, len, landed);
		if (ret != -EIO)
			return ret;
		ret = zone_report(s, z, &zone);
		if (ret)
			return ret;
		if (zone.cond == ZK_COND_READONLY || zone.cond == ZK_COND_OFFLINE)
			return -EIO;
		if (atomic_compare_exchange_strong(&s->cur, &z, z + 1)) {
			ret = zk_zone_op(s->dev, ZK_OP_FINISH, zstart(s, z),
					 s->info.zone_size);
			if (ret && ret != -EIO)
				return ret;
		}
	}
}

/* The newest version of @key is now at @off: the old one is garbage. */
static void index_update(struct store *s, uint64_t key, uint64_t seq,
			 uint64_t off, uint32_t size, uint32_t len)
{
	struct loc *l = &s->index[key];

	pthread_mutex_lock(&s->lock);
	if (!l->used || l->seq <= seq) {
		if (l->used)
			s->zones[zone_of(s, l->offset)].live -= l->size;
		*l = (struct loc){ .offset = off, .seq = seq, .size = size,
				   .len = len, .used = true };
		s->zones[zone_of(s, off)].live += size;
	}
	pthread_mutex_unlock(&s->lock);
}

/* A header of this store's: 1 to MAX_PAYLOAD bytes of payload, a key of
 * the store @arg. */
static bool rec_valid(const struct rec_hdr *h, const void *arg)
{
	const struct store *s = arg;

	return h->magic == REC_MAGIC && h->len && h->len <= MAX_PAYLOAD &&
	       h->key < s->nr_keys;
}

static struct rec_reader store_reader(struct store *s, uint8_t *buf)
{
	return (struct rec_reader){ .dev = s->dev, .block_size =
				    s->info.block_size, .buf = buf,
				    .valid = rec_valid, .arg = s };
}

/* Read a whole record at @off into @buf; 1 if there is none there. */
static int read_record(struct store *s, uint64_t off, uint64_t end,
		       uint8_t *buf, struct rec_hdr *h)
{
	struct rec_reader rd = store_reader(s, buf);

	return rec_read(&rd, off, end, h);
}

/* ---- filling: overwrites leave garbage behind ---- */

static int fill(struct store *s, uint32_t records, uint64_t *seq)
{
	uint8_t *buf = buffer_alloc(rec_bytes(s, MAX_PAYLOAD));
	uint32_t rnd = 12345;
	int ret = 0;

	if (!buf)
		return -ENOMEM;
	for (uint32_t i = 0; i < records && !ret; i++) {
		struct rec_hdr h = { .magic = REC_MAGIC };
		uint64_t landed;
		size_t size;

		rnd = rnd * 1103515245u + 12345u;
		/* the first pass writes every key; then skewed overwrites:
		 * low keys are hot, so early zones turn to garbage */
		h.key = i < s->nr_keys ? i : (rnd >> 8) % (s->nr_keys / 4 + 1);
		h.len = 1 + (rnd >> 4) % MAX_PAYLOAD;
		h.seq = ++*seq;
		size = rec_build(buf, &h, s->info.block_size);
		ret = store_append(s, buf, size, &landed);
		if (!ret)
			index_update(s, h.key, h.seq, landed, (uint32_t)size, h.len);
	}
	free(buf);
	return ret;
}

/* ---- the collector ---- */

struct live_rec {
	uint64_t offset;
};

struct copier {
	pthread_t tid;
	struct store *s;
	struct live_rec *recs;
	size_t nr;
	_Atomic size_t *next;
	uint64_t copied;
	int err;
};

/* Each copier takes the next live record, reads it and appends it to the
 * GC zone; zonekit places concurrent appends one after another. */
static void *copier_main(void *arg)
{
	struct copier *c = arg;
	struct store *s = c->s;
	uint8_t *buf = buffer_alloc(rec_bytes(s, MAX_PAYLOAD));

	if (!buf) {
		c->err = -ENOMEM;
		return NULL;
	}
	for (;;) {
		size_t i = atomic_fetch_add(c->next, 1);
		struct rec_hdr h;
		uint64_t landed;
		size_t size;
		int ret;

		if (i >= c->nr)
			break;
		ret = read_record(s, c->recs[i].offset, UINT64_MAX, buf, &h);
		if (ret) {
			c->err = ret == 1 ? -EBADMSG : ret;
			break;
		}
		size = rec_bytes(s, h.len);
		ret = store_append(s, buf, size, &landed);
		if (ret) {
			c->err = ret;
			break;
		}
		/* same key, same sequence number: the copy replaces it */
		index_update(s, h.key, h.seq, landed, (uint32_t)size, h.len);
		c->copied += size;
	}
	free(buf);
	return NULL;
}

/* Offsets of live records, in a growing array. */
struct live_list {
	const struct store *s;
	struct live_rec *recs;
	size_t nr, room;
};

static int add_if_live(uint64_t off, const struct rec_hdr *h, void *ctx)
{
	struct live_list *l = ctx;

	if (l->s->index[h->key].offset != off)
		return 0; /* garbage */
	if (l->nr == l->room) {
		size_t more = l->room ? l->room * 2 : 1024;
		struct live_rec *r = realloc(l->recs, more * sizeof(*l->recs));

		if (!r)
			return -ENOMEM;
		l->recs = r;
		l->room = more;
	}
	l->recs[l->nr++].offset = off;
	return 0;
}

/* The live records of the victims, from their zones. */
static int find_live(struct store *s, const uint32_t *victims, uint32_t nv,
		     struct live_list *live)
{
	int ret = 0;

	for (uint32_t v = 0; v < nv && !ret; v++) {
		uint8_t *buf = buffer_alloc(rec_bytes(s, MAX_PAYLOAD));
		struct rec_reader rd = store_reader(s, buf);
		struct zk_zone zone;

		ret = buf ? zone_report(s, victims[v], &zone) : -ENOMEM;
		if (!ret)
			ret = rec_scan(&rd, zone.start, zone.start + zone.capacity,
				       add_if_live, live, NULL);
		free(buf);
	}
	return ret;
}

static int collect(struct store *s, uint32_t copiers, uint32_t *nr_victims,
		   uint32_t *gc_zone, uint64_t *copied, uint64_t *reclaimed)
{
	uint32_t victims[MAX_VICTIMS], nv = 0, free_zones, first_free;
	uint64_t live_total = 0, cap = s->info.zone_capacity;
	struct live_list live = { .s = s, .recs = NULL };
	_Atomic size_t next = 0;
	struct copier *c;
	int ret = 0;

	*copied = *reclaimed = 0;
	/* Victims: full zones, least live data first, at most half live,
	 * while their live data fits in the empty zones left (the GC zones),
	 * counting the end of each GC zone that a record may not fit in. */
	first_free = atomic_load(&s->cur) + 1;
	free_zones = s->nr_zones - first_free;
	*gc_zone = first_free;
	for (;;) {
		uint32_t best = UINT32_MAX;

		for (uint32_t z = 0; z < first_free - 1; z++)
			if (!s->zones[z].victim &&
			    (best == UINT32_MAX || s->zones[z].live < s->zones[best].live))
				best = z;
		if (best == UINT32_MAX || nv == MAX_VICTIMS ||
		    s->zones[best].live * 2 > cap ||
		    live_total + s->zones[best].live +
				    free_zones * rec_bytes(s, MAX_PAYLOAD) >
			    free_zones * cap)
			break;
		s->zones[best].victim = true;
		live_total += s->zones[best].live;
		victims[nv++] = best;
	}
	*nr_victims = nv;
	if (!nv)
		return 0;

	ret = find_live(s, victims, nv, &live);

	/* Copy them into the GC zone(s): appends go to the first empty zone. */
	s->limit = s->nr_zones;
	atomic_store(&s->cur, first_free);
	c = calloc(copiers, sizeof(*c));
	if (!c)
		ret = -ENOMEM;
	for (uint32_t i = 0; !ret && i < copiers; i++) {
		c[i] = (struct copier){ .s = s, .recs = live.recs, .nr = live.nr,
					.next = &next };
		if (pthread_create(&c[i].tid, NULL, copier_main, &c[i]))
			ret = -EAGAIN;
	}
	for (uint32_t i = 0; c && i < copiers; i++) {
		if (!c[i].tid)
			continue;
		pthread_join(c[i].tid, NULL);
		*copied += c[i].copied;
		if (c[i].err && !ret)
			ret = c[i].err;
	}
	free(c);
	free(live.recs);
	/* The copies must be durable before the originals go. */
	if (!ret)
		ret = zk_flush(s->dev);
	for (uint32_t v = 0; v < nv && !ret; v++) {
		struct zk_zone zone;

		ret = zone_report(s, victims[v], &zone);
		if (ret)
			break;
		if (s->zones[victims[v]].live) {
			ret = -EIO; /* something live was not copied */
			break;
		}
		ret = zk_zone_op(s->dev, ZK_OP_RESET, zone.start, s->info.zone_size);
		*reclaimed += zone.capacity;
	}
	return ret;
}

/* ---- checks ---- */

static int verify(struct store *s, const uint32_t *victims, uint32_t nv)
{
	uint8_t *buf = buffer_alloc(rec_bytes(s, MAX_PAYLOAD));
	uint8_t *want = malloc(MAX_PAYLOAD);
	uint64_t live = 0, acct = 0;
	size_t bad = 0;

	if (!buf || !want)
		return -ENOMEM;
	for (uint32_t k = 0; k < s->nr_keys; k++) {
		struct loc *l = &s->index[k];
		struct rec_hdr h;

		if (!l->used)
			continue;
		live += l->size;
		fill_payload(want, l->len, k, l->seq);
		if (read_record(s, l->offset, UINT64_MAX, buf, &h) || h.key != k ||
		    h.seq != l->seq || memcmp(buf + sizeof(h), want, l->len)) {
			fprintf(stderr, "key %u: record at %" PRIu64 " does not read back\n",
				k, l->offset);
			bad++;
		}
	}
	for (uint32_t z = 0; z < s->nr_zones; z++)
		acct += s->zones[z].live;
	if (acct != live) {
		fprintf(stderr, "live bytes: zones say %" PRIu64 ", index %" PRIu64 "\n",
			acct, live);
		bad++;
	}
	for (uint32_t v = 0; v < nv; v++) {
		struct zk_zone zone;

		if (zone_report(s, victims[v], &zone) || zone.cond != ZK_COND_EMPTY) {
			fprintf(stderr, "victim zone %u is not empty\n", victims[v]);
			bad++;
		}
	}
	free(buf);
	free(want);
	return bad ? -EIO : 0;
}

/* The newest record of a key wins a place in the index @ix. */
static int newest_wins(uint64_t off, const struct rec_hdr *h, void *ix)
{
	struct loc *l = &((struct loc *)ix)[h->key];

	if (!l->used || l->seq < h->seq)
		*l = (struct loc){ .offset = off, .seq = h->seq, .used = true };
	return 0;
}

/* Reopen and rebuild the index from the zones: it must be the same. */
static int verify_after_reopen(struct store *s, const char *path)
{
	uint8_t *buf = buffer_alloc(rec_bytes(s, MAX_PAYLOAD));
	struct loc *ix = calloc(s->nr_keys, sizeof(*ix));
	struct rec_reader rd;
	size_t bad = 0;
	int ret;

	zk_close(s->dev);
	ret = zk_open(path, 0, &s->dev);
	if (ret || !buf || !ix) {
		free(buf);
		free(ix);
		return ret ? ret : -ENOMEM;
	}
	rd = store_reader(s, buf);
	for (uint32_t z = 0; z < s->nr_zones && !ret; z++) {
		struct zk_zone zone;

		ret = zone_report(s, z, &zone);
		if (!ret)
			ret = rec_scan(&rd, zone.start,
				       zone.cond == ZK_COND_FULL ?
				       zone.start + zone.capacity : zone.wp,
				       newest_wins, ix, NULL);
	}
	for (uint32_t k = 0; !ret && k < s->nr_keys; k++) {
		if (ix[k].used != s->index[k].used ||
		    (ix[k].used && (ix[k].offset != s->index[k].offset ||
				    ix[k].seq != s->index[k].seq))) {
			fprintf(stderr, "key %u: the scan disagrees with the index\n", k);
			bad++;
		}
	}
	free(buf);
	free(ix);
	return ret ? ret : bad ? -EIO : 0;
}

static void print_zones(const struct store *s, const char *when)
{
	printf("%s, live KiB per zone:", when);
	for (uint32_t z = 0; z < s->nr_zones; z++)
		printf(" %" PRIu64, s->zones[z].live >> 10);
	printf("\n");
}

int main(int argc, char **argv)
{
	uint32_t zones = argc > 2 ? (uint32_t)atoi(argv[2]) : 12;
	uint32_t records = argc > 3 ? (uint32_t)atoi(argv[3]) : 0;
	uint32_t copiers = argc > 4 ? (uint32_t)atoi(argv[4]) : 4;
	uint32_t victims[MAX_VICTIMS], nv = 0, gc_zone = 0;
	uint64_t seq = 0, copied, reclaimed;
	struct store s = { 0 };
	int ret;

	if (argc < 2 || argc > 5 || zones < 4 || !copiers) {
		fprintf(stderr, "usage: %s DEV [ZONES [RECORDS [COPIERS]]]\n"
			"  ZONES >= 4; RECORDS default: enough to fill ZONES - 3 zones\n",
			argv[0]);
		return 2;
	}
	crc_init();
	ret = zk_open(argv[1], 0, &s.dev);
	if (!ret)
		ret = zk_info(s.dev, &s.info);
	if (!ret && (s.info.nr_zones < s.info.nr_conv_zones + zones ||
		     s.info.zone_capacity < 8 * rec_bytes(&s, MAX_PAYLOAD)))
		ret = -ENOSPC;
	if (!ret && s.info.max_append && rec_bytes(&s, MAX_PAYLOAD) > s.info.max_append)
		ret = -EINVAL;
	if (ret) {
		fprintf(stderr, "%s: %s\n", argv[1], zk_strerror(ret));
		zk_close(s.dev);
		return 1;
	}
	s.first = (uint64_t)s.info.nr_conv_zones * s.info.zone_size;
	s.nr_zones = zones;
	/* the writer fills all zones but the last 3, kept for the collector */
	s.limit = zones - 3;
	if (!records)
		records = (uint32_t)(s.limit * s.info.zone_capacity /
				     rec_bytes(&s, MAX_PAYLOAD / 2)) * 9 / 10;
	s.nr_keys = records / 4 + 1;
	s.index = calloc(s.nr_keys, sizeof(*s.index));
	s.zones = calloc(zones, sizeof(*s.zones));
	pthread_mutex_init(&s.lock, NULL);
	ret = s.index && s.zones ? 0 : -ENOMEM;
	if (!ret)
		ret = zk_zone_op(s.dev, ZK_OP_RESET, s.first,
				 (uint64_t)zones * s.info.zone_size);
	if (!ret)
		ret = fill(&s, records, &seq);
	if (ret == -ENOSPC)
		ret = 0; /* the store is as full as the writer may make it */
	if (ret) {
		fprintf(stderr, "%s: writing: %s\n", argv[1], zk_strerror(ret));
		zk_close(s.dev);
		return 1;
	}
	printf("wrote %" PRIu64 " records over %u keys into zones 0..%u\n", seq,
	       s.nr_keys, atomic_load(&s.cur));
	print_zones(&s, "before gc");

	ret = collect(&s, copiers, &nv, &gc_zone, &copied, &reclaimed);
	for (uint32_t z = 0, i = 0; z < zones; z++)
		if (s.zones[z].victim)
			victims[i++] = z;
	if (ret) {
		fprintf(stderr, "%s: gc: %s\n", argv[1], zk_strerror(ret));
		zk_close(s.dev);
		return 1;
	}
	printf("gc: %u victim zone(s)", nv);
	for (uint32_t v = 0; v < nv; v++)
		printf(" %u", victims[v]);
	printf("; copied %" PRIu64 " KiB of live data with %u copier threads "
	       "into zone %u on; reclaimed %" PRIu64 " KiB\n", copied >> 10,
	       copiers, gc_zone, reclaimed >> 10);
	print_zones(&s, "after gc");
	if (!nv) {
		fprintf(stderr, "no victim zone: nothing was collected\n");
		ret = -EIO;
	}
	if (!ret)
		ret = verify(&s, victims, nv);
	if (!ret)
		ret = verify_after_reopen(&s, argv[1]);
	printf("verified: every key reads back, victims empty, index rebuilt "
	       "after reopen matches: %s\n", ret ? "FAILED" : "ok");
	if (ret && ret != -EIO)
		fprintf(stderr, "%s: %s\n", argv[1], zk_strerror(ret));
	free(s.index);
	free(s.zones);
	zk_close(s.dev);
	return ret ? 1 : 0;
}
