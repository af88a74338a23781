/* SPDX-License-Identifier: MIT */
/*
 * differential: one seeded random script of zone operations run against
 *   - the emulated device, through zonekit          (target "emu")
 *   - a Linux zoned block device, through zonekit    (target "zk")
 *   - the same block device raw: pwrite/pread with O_DIRECT and the zone
 *     ioctls; a raw "append" is BLKREPORTZONE then a write at the wp
 *                                                    (target "raw")
 * and the outcomes compared op by op, the raw run (the kernel itself) being
 * the reference.  Each op's outcome: the return (byte count or errno), where
 * an append or write landed, the condition and wp of every sequential zone
 * afterwards, and for reads a hash of the bytes below each zone's wp (bytes
 * past the wp are the device's fill: not compared).  The zk run also
 * compares zonekit's view (zk_report) with BLKREPORTZONE after every op.
 *
 *   differential run emu DIR --like DEV|--twin NAME [-s SEED] [-n OPS] -o FILE
 *   differential run zk DEV [-s SEED] [-n OPS] -o FILE
 *   differential run raw DEV [-s SEED] [-n OPS] -o FILE
 *   differential compare EMU.txt ZK.txt RAW.txt
 *   differential selftest [-t TWIN] [-s SEED] [-n OPS]
 *                      three runs on emulated twins (vmtest.h) must agree:
 *                      the script is reproducible (a meson test)
 *
 * The device must be fresh (null_blk keeps its implicit-close cursor across
 * opens: make a new configfs device for each run) and is reset first.
 * Documented differences (tests/vm/README.md) are listed as such; any
 * other is reported with the op index and the op, and compare exits 1.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <getopt.h>
#include <time.h>

#include "vmtest.h"

/* ---------------------------------------------------------------- */
/* geometry and the script */

struct geo {
	uint64_t cap, zs, zcap, bs, maxapp;
	uint32_t nz, nconv, mo, ma;
};

enum opkind {
	K_APPEND, K_WRITE, K_READ, K_OPEN, K_CLOSE, K_FINISH, K_RESET,
	K_OPEN_ALL, K_CLOSE_ALL, K_FINISH_ALL, K_RESET_ALL,
	K_CWRITE,  /* conventional zone, anywhere inside it */
	K_XCONV,   /* across two conventional zones: documented difference */
	K_XSEQ,    /* across two sequential zones: documented difference */
	K_BIGX,    /* large write across the capacity: documented difference */
};

static const char *const opname[] = {
	"append", "write", "read", "open", "close", "finish", "reset",
	"open-all", "close-all", "finish-all", "reset-all",
	"conv-write", "cross-conv", "cross-seq", "big-cross-cap",
};

struct op {
	enum opkind kind;
	uint32_t z;      /* zone */
	int64_t delta;   /* write: blocks from the wp */
	uint64_t off;    /* read, conv writes, crossing writes: absolute */
	uint64_t len;
	uint64_t data;   /* data seed */
};

struct gen {
	struct geo g;
	uint64_t rng;
	unsigned long idx;
	struct op pending[8];
	unsigned int npending, next;
	uint32_t hot[8], nhot;
};

static uint64_t rnd(struct gen *s, uint64_t n)
{
	return n ? vm_rand(&s->rng) % n : 0;
}

static uint32_t pick_seq(struct gen *s)
{
	uint32_t nseq = s->g.nz - s->g.nconv;

	/* mostly a small hot set that moves, so open/active limits bite */
	if (s->idx % 500 == 0 || !s->nhot) {
		s->nhot = s->g.mo ? s->g.mo + 2 : 5;
		if (s->nhot > nseq)
			s->nhot = nseq;
		for (uint32_t i = 0; i < s->nhot; i++)
			s->hot[i] = s->g.nconv + (uint32_t)rnd(s, nseq);
	}
	if (rnd(s, 10) < 7)
		return s->hot[rnd(s, s->nhot)];
	return s->g.nconv + (uint32_t)rnd(s, nseq);
}

static uint64_t pick_len(struct gen *s)
{
	uint64_t most = s->g.maxapp / s->g.bs;

	if (rnd(s, 2))
		return s->g.bs * (1 + rnd(s, 8));
	return s->g.bs * (1 + rnd(s, most));
}

static void push(struct gen *s, struct op o)
{
	o.data = vm_mix(s->rng + s->npending + 1);
	s->pending[s->npending++] = o;
}

/* The next op of the script: a pure function of the seed and geometry. */
static struct op next_op(struct gen *s)
{
	const struct geo *g = &s->g;
	struct op o = { 0 };
	uint64_t r;

	if (s->next < s->npending) {
		o = s->pending[s->next++];
		s->idx++;
		return o;
	}
	s->npending = s->next = 0;
	r = rnd(s, 1000);
	o.z = pick_seq(s);
	o.data = vm_rand(&s->rng);
	if (r < 340) {
		o.kind = K_APPEND;
		o.len = pick_len(s);
	} else if (r < 580) {
		o.kind = K_WRITE;
		o.len = pick_len(s);
	} else if (r < 620) {
		o.kind = K_WRITE; /* off the wp: EIO */
		o.len = pick_len(s);
		o.delta = rnd(s, 2) ? (int64_t)(1 + rnd(s, 8)) : -(int64_t)(1 + rnd(s, 8));
	} else if (r < 720) {
		o.kind = K_READ;
		o.len = g->bs * (1 + rnd(s, 64));
		o.off = g->bs * rnd(s, (g->cap - o.len) / g->bs + 1);
	} else if (r < 770) {
		o.kind = K_OPEN;
	} else if (r < 820) {
		o.kind = K_CLOSE;
	} else if (r < 850) {
		o.kind = K_FINISH;
	} else if (r < 930) {
		o.kind = K_RESET;
	} else if (r < 960 && g->nconv) {
		uint32_t cz = (uint32_t)rnd(s, g->nconv);

		o.kind = K_CWRITE;
		o.len = pick_len(s);
		o.off = cz * g->zs + g->bs * rnd(s, (g->zs - o.len) / g->bs + 1);
	} else if (r < 963) {
		o.kind = K_RESET_ALL;
	} else if (r < 966) {
		o.kind = K_CLOSE_ALL;
	} else if (r < 968) {
		o.kind = K_FINISH_ALL;
	} else if (r < 970) {
		o.kind = K_OPEN_ALL;
	} else if (r < 972 && g->nconv >= 2) {
		/* across conventional zones 0 and 1, then the same bytes
		 * written zone by zone (so every device holds the same) */
		uint64_t k = 1 + rnd(s, 4);

		o.kind = K_XCONV;
		o.off = g->zs - k * g->bs;
		o.len = 2 * k * g->bs;
		push(s, o);
		push(s, (struct op){ .kind = K_CWRITE, .off = o.off, .len = k * g->bs });
		push(s, (struct op){ .kind = K_CWRITE, .off = g->zs, .len = k * g->bs });
		return next_op(s);
	} else if (r < 974 && g->nz - g->nconv >= 2) {
		/* from past the capacity of one sequential zone into the next,
		 * which holds a block so that no part lands at its wp */
		uint32_t z = g->nconv + (uint32_t)rnd(s, g->nz - g->nconv - 1);

		push(s, (struct op){ .kind = K_RESET_ALL });
		push(s, (struct op){ .kind = K_WRITE, .z = z + 1, .len = g->bs });
		push(s, (struct op){ .kind = K_XSEQ, .z = z,
				     .off = (z + 1) * g->zs - g->bs,
				     .len = 2 * g->bs });
		return next_op(s);
	} else if (r < 975 && g->zcap >= 2 * MiB) {
		/* the kernel applies part of a large write that crosses the
		 * capacity; zonekit refuses it whole; then the zone is reset */
		uint32_t z = o.z;

		push(s, (struct op){ .kind = K_RESET_ALL });
		push(s, (struct op){ .kind = K_OPEN, .z = z });
		push(s, (struct op){ .kind = K_WRITE, .z = z,
				     .len = g->zcap - 512 * KiB });
		push(s, (struct op){ .kind = K_BIGX, .z = z, .len = 1 * MiB });
		push(s, (struct op){ .kind = K_RESET, .z = z });
		return next_op(s);
	} else {
		o.kind = K_APPEND;
		o.len = pick_len(s);
	}
	s->idx++;
	return o;
}

static void op_text(const struct op *o, const struct geo *g, char *buf,
		    size_t size)
{
	switch (o->kind) {
	case K_APPEND:
		snprintf(buf, size, "append zone %u %" PRIu64 "K", o->z, o->len / KiB);
		break;
	case K_WRITE:
		snprintf(buf, size, "write zone %u wp%+" PRId64 "b %" PRIu64 "K",
			 o->z, o->delta, o->len / KiB);
		break;
	case K_BIGX:
		snprintf(buf, size, "big-cross-cap zone %u wp %" PRIu64 "K", o->z,
			 o->len / KiB);
		break;
	case K_READ:
	case K_CWRITE:
	case K_XCONV:
	case K_XSEQ:
		snprintf(buf, size, "%s zone %" PRIu64 "+%" PRIu64 "K %" PRIu64 "K",
			 opname[o->kind], o->off / g->zs,
			 (o->off % g->zs) / KiB, o->len / KiB);
		break;
	case K_OPEN_ALL:
	case K_CLOSE_ALL:
	case K_FINISH_ALL:
	case K_RESET_ALL:
		snprintf(buf, size, "%s", opname[o->kind]);
		break;
	default:
		snprintf(buf, size, "%s zone %u", opname[o->kind], o->z);
		break;
	}
}

/* ---------------------------------------------------------------- */
/* targets */

struct zstate {
	uint8_t cond;
	uint64_t wp; /* normalised: start + len for FULL */
};

struct target {
	const char *kind; /* emu, zk, raw */
	struct geo g;
	struct zk_dev *zk;
	int fd;                /* raw, and zk's BLKREPORTZONE */
	struct vm_dzone *dz;
	struct zk_zone *kz;
	unsigned long sync_wp, sync_cond; /* zk: view vs BLKREPORTZONE */
};

static uint64_t zstart(const struct geo *g, uint32_t z) { return z * g->zs; }
static uint64_t zlen(const struct geo *g, uint32_t z)
{
	return zstart(g, z) + g->zs > g->cap ? g->cap - zstart(g, z) : g->zs;
}
static uint64_t zcapof(const struct geo *g, uint32_t z)
{
	return g->zcap < zlen(g, z) ? g->zcap : zlen(g, z);
}

static void states(struct target *t, struct zstate *st)
{
	if (t->zk) {
		unsigned int nr = t->g.nz;

		if (zk_report(t->zk, 0, t->kz, &nr) || nr != t->g.nz) {
			fprintf(stderr, "zk_report failed\n");
			exit(2);
		}
		for (uint32_t z = 0; z < t->g.nz; z++) {
			st[z].cond = t->kz[z].cond;
			st[z].wp = t->kz[z].wp;
		}
		return;
	}
	if (vm_raw_report(t->fd, t->g.zs, 0, t->g.nz, t->dz)) {
		fprintf(stderr, "BLKREPORTZONE failed: %s\n", strerror(errno));
		exit(2);
	}
	for (uint32_t z = 0; z < t->g.nz; z++) {
		st[z].cond = t->dz[z].cond;
		st[z].wp = t->dz[z].wp;
	}
}

/* zk on a block device: zonekit's view against BLKREPORTZONE */
static void sync_field(struct target *t, char *buf, size_t size)
{
	size_t n = 0;

	buf[0] = 0;
	if (strcmp(t->kind, "zk"))
		return;
	if (vm_raw_report(t->fd, t->g.zs, 0, t->g.nz, t->dz)) {
		fprintf(stderr, "BLKREPORTZONE failed\n");
		exit(2);
	}
	for (uint32_t z = 0; z < t->g.nz && n + 16 < size; z++) {
		bool w = t->kz[z].wp != t->dz[z].wp;
		bool c = t->kz[z].cond != t->dz[z].cond;

		if (w) {
			t->sync_wp++;
			n += (size_t)snprintf(buf + n, size - n, " w%u", z);
		}
		if (c) {
			t->sync_cond++;
			n += (size_t)snprintf(buf + n, size - n, " c%u", z);
		}
	}
}

/* where the script's "wp" is: a FULL zone's is its capacity */
static uint64_t script_wp(const struct geo *g, const struct zstate *st,
			  uint32_t z)
{
	uint64_t cap_end = zstart(g, z) + zcapof(g, z);

	return st[z].wp < cap_end ? st[z].wp : cap_end;
}

static long long t_write(struct target *t, const void *buf, uint64_t len,
			 uint64_t off)
{
	ssize_t r;

	if (t->zk)
		return zk_pwrite(t->zk, buf, len, off);
	r = pwrite(t->fd, buf, len, (off_t)off);
	return r < 0 ? -errno : r;
}

static long long t_read(struct target *t, void *buf, uint64_t len, uint64_t off)
{
	ssize_t r;

	if (t->zk)
		return zk_pread(t->zk, buf, len, off);
	r = pread(t->fd, buf, len, (off_t)off);
	return r < 0 ? -errno : r;
}

static long long t_zone_op(struct target *t, enum zk_op op, uint32_t z)
{
	static const unsigned long req[] = { 0, BLKRESETZONE, BLKOPENZONE,
					     BLKCLOSEZONE, BLKFINISHZONE };
	struct blk_zone_range r = { .sector = zstart(&t->g, z) >> 9,
				    .nr_sectors = zlen(&t->g, z) >> 9 };

	if (t->zk)
		return zk_zone_op(t->zk, op, zstart(&t->g, z), zlen(&t->g, z));
	return ioctl(t->fd, req[op], &r) ? -errno : 0;
}

/* ALL: zonekit's zk_zone_op(0, capacity).  The kernel has a reset-all
 * (BLKRESETZONE of the whole device) but no open/close/finish-all: the raw
 * run applies zonekit's rule (include/zonekit.h) zone by zone in zone
 * order, to each zone whose condition, read again before each zone, the
 * operation applies to, and stops at the first error.  Open-all, as ZBC's
 * OPEN ALL, takes only the zones CLOSED when it starts (not those it
 * closes implicitly on the way). */
static long long t_all(struct target *t, enum zk_op op)
{
	struct blk_zone_range r = { 0, t->g.cap >> 9 };
	bool was_closed[1024] = { false };

	if (t->zk)
		return zk_zone_op(t->zk, op, 0, t->g.cap);
	if (op == ZK_OP_RESET)
		return ioctl(t->fd, BLKRESETZONE, &r) ? -errno : 0;
	for (uint32_t z = t->g.nconv; op == ZK_OP_OPEN && z < t->g.nz; z++) {
		struct vm_dzone dz;

		if (z >= 1024 || vm_raw_report(t->fd, t->g.zs, z, 1, &dz))
			return -EIO;
		was_closed[z] = dz.cond == ZK_COND_CLOSED;
	}
	for (uint32_t z = t->g.nconv; z < t->g.nz; z++) {
		struct vm_dzone dz;
		unsigned int c;
		bool applies;
		long long ret;

		if (op == ZK_OP_OPEN && !was_closed[z])
			continue;
		if (vm_raw_report(t->fd, t->g.zs, z, 1, &dz))
			return -EIO;
		c = dz.cond;
		applies = op == ZK_OP_OPEN ? c == ZK_COND_CLOSED :
			  op == ZK_OP_CLOSE ? c == ZK_COND_IMP_OPEN ||
					      c == ZK_COND_EXP_OPEN :
			  c == ZK_COND_IMP_OPEN || c == ZK_COND_EXP_OPEN ||
			  c == ZK_COND_CLOSED;
		if (!applies)
			continue;
		ret = t_zone_op(t, op, z);
		if (ret)
			return ret;
	}
	return 0;
}

static uint64_t fnv(uint64_t h, const void *p, size_t n)
{
	const unsigned char *b = p;

	for (size_t i = 0; i < n; i++)
		h = (h ^ b[i]) * 0x100000001b3ULL;
	return h;
}

/* Run one op; *landed: where a write or append went (or UINT64_MAX);
 * *hash: reads. */
static long long run_op(struct target *t, const struct op *o, struct zstate *st,
			char *buf, uint64_t *landed, uint64_t *hash)
{
	const struct geo *g = &t->g;
	long long ret;
	uint64_t off;

	*landed = UINT64_MAX;
	*hash = 0;
	switch (o->kind) {
	case K_APPEND:
		vm_fill(buf, o->len, 0, o->data);
		if (t->zk) {
			ret = zk_append(t->zk, zstart(g, o->z), buf, o->len, &off);
			if (!ret) {
				*landed = off;
				ret = (long long)o->len;
			}
			return ret;
		}
		/* a raw "append": the wp from BLKREPORTZONE, a write there */
		states(t, st);
		off = script_wp(g, st, o->z);
		ret = t_write(t, buf, o->len, off);
		if (ret >= 0)
			*landed = off;
		return ret;
	case K_WRITE:
	case K_BIGX:
		states(t, st);
		off = script_wp(g, st, o->z);
		if (o->delta < 0 && (uint64_t)(-o->delta) * g->bs > off - zstart(g, o->z))
			off = zstart(g, o->z) + g->bs * (uint64_t)(-o->delta);
		else
			off += (uint64_t)(o->delta * (int64_t)g->bs);
		vm_fill(buf, o->len, 0, o->data);
		ret = t_write(t, buf, o->len, off);
		if (ret >= 0)
			*landed = off;
		return ret;
	case K_CWRITE:
	case K_XCONV:
	case K_XSEQ:
		vm_fill(buf, o->len, 0, o->data);
		ret = t_write(t, buf, o->len, o->off);
		if (ret >= 0)
			*landed = o->off;
		return ret;
	case K_READ: {
		uint64_t pos = 0, h = 0xcbf29ce484222325ULL;

		memset(buf, 0xee, o->len);
		ret = t_read(t, buf, o->len, o->off);
		if (ret < 0)
			return ret;
		states(t, st);
		/* bytes below each zone's wp (and its capacity) only */
		while (pos < o->len) {
			uint64_t a = o->off + pos;
			uint32_t z = (uint32_t)(a / g->zs);
			uint64_t zend = zstart(g, z) + zlen(g, z);
			uint64_t n = zend - a < o->len - pos ? zend - a : o->len - pos;
			uint64_t valid = z < g->nconv ? zend : script_wp(g, st, z);
			uint64_t good = valid > a ? valid - a : 0;

			if (good > n)
				good = n;
			h = fnv(h, buf + pos, good);
			pos += n;
		}
		*hash = h;
		return ret;
	}
	case K_OPEN:
		return t_zone_op(t, ZK_OP_OPEN, o->z);
	case K_CLOSE:
		return t_zone_op(t, ZK_OP_CLOSE, o->z);
	case K_FINISH:
		return t_zone_op(t, ZK_OP_FINISH, o->z);
	case K_RESET:
		return t_zone_op(t, ZK_OP_RESET, o->z);
	case K_OPEN_ALL:
		return t_all(t, ZK_OP_OPEN);
	case K_CLOSE_ALL:
		return t_all(t, ZK_OP_CLOSE);
	case K_FINISH_ALL:
		return t_all(t, ZK_OP_FINISH);
	case K_RESET_ALL:
		return t_all(t, ZK_OP_RESET);
	}
	return -EINVAL;
}

static char cond_letter(unsigned int c)
{
	switch (c) {
	case ZK_COND_EMPTY: return 'E';
	case ZK_COND_IMP_OPEN: return 'I';
	case ZK_COND_EXP_OPEN: return 'X';
	case ZK_COND_CLOSED: return 'C';
	case ZK_COND_FULL: return 'F';
	case ZK_COND_READONLY: return 'R';
	case ZK_COND_OFFLINE: return 'O';
	default: return '?';
	}
}

static void geo_from_info(struct geo *g, const struct zk_info *i)
{
	g->cap = i->capacity;
	g->zs = i->zone_size;
	g->zcap = i->zone_capacity;
	g->bs = i->block_size;
	g->maxapp = i->max_append ? i->max_append : 128 * KiB;
	g->nz = i->nr_zones;
	g->nconv = i->nr_conv_zones;
	g->mo = i->max_open;
	g->ma = i->max_active;
}

static int run(const char *kind, const char *path, const char *like,
	       const char *twin, uint64_t seed, unsigned long nops,
	       const char *out)
{
	struct target t = { .kind = kind, .fd = -1 };
	struct zk_info info;
	struct zk_dev *d;
	struct gen s;
	struct zstate *st;
	FILE *f;
	char *buf, text[96], sync[256];
	struct timespec a, b;
	int ret;

	if (!strcmp(kind, "emu")) {
		struct zk_geometry geo = { 0 };

		if (twin) {
			const struct vm_twin *tw = vm_twin_find(twin);

			if (!tw) {
				fprintf(stderr, "unknown twin %s\n", twin);
				return 2;
			}
			geo = tw->geo;
		} else {
			if ((ret = zk_open(like, ZK_RDONLY, &d)) ||
			    (ret = zk_info(d, &info))) {
				fprintf(stderr, "%s: %s\n", like, zk_strerror(ret));
				return 2;
			}
			zk_close(d);
			geo = (struct zk_geometry){
				.capacity = info.capacity, .zone_size = info.zone_size,
				.zone_capacity = info.zone_capacity,
				.nr_conv_zones = info.nr_conv_zones,
				.block_size = info.block_size, .max_open = info.max_open,
				.max_active = info.max_active,
				.max_append = info.max_append };
		}
		if ((ret = zk_create(path, &geo))) {
			fprintf(stderr, "zk_create(%s): %s\n", path, zk_strerror(ret));
			return 2;
		}
	}
	if (!strcmp(kind, "raw")) {
		if ((ret = zk_open(path, ZK_RDONLY, &d)) || (ret = zk_info(d, &info))) {
			fprintf(stderr, "%s: %s\n", path, zk_strerror(ret));
			return 2;
		}
		zk_close(d);
	} else {
		if ((ret = zk_open(path, 0, &t.zk)) || (ret = zk_info(t.zk, &info))) {
			fprintf(stderr, "%s: %s\n", path, zk_strerror(ret));
			return 2;
		}
	}
	if (strcmp(kind, "emu")) {
		t.fd = open(path, O_RDWR | O_DIRECT | O_CLOEXEC);
		if (t.fd < 0) {
			perror(path);
			return 2;
		}
	}
	geo_from_info(&t.g, &info);
	if (t.g.nz > 4096) {
		fprintf(stderr, "too many zones for this test\n");
		return 2;
	}
	t.dz = calloc(t.g.nz, sizeof(*t.dz));
	t.kz = calloc(t.g.nz, sizeof(*t.kz));
	st = calloc(t.g.nz, sizeof(*st));
	buf = vm_alloc(t.g.zcap + 4 * MiB); /* the largest write: capacity - 512 KiB */
	f = fopen(out, "w");
	if (!t.dz || !t.kz || !st || !f) {
		perror(out);
		return 2;
	}
	/* a known start: every zone reset */
	if (t_all(&t, ZK_OP_RESET)) {
		fprintf(stderr, "reset of every zone failed\n");
		return 2;
	}
	fprintf(f, "# differential %s %s seed %" PRIu64 " ops %lu: %u zones of %"
		PRIu64 " KiB, capacity %" PRIu64 " KiB, %u conventional, block %"
		PRIu64 ", max open %u, max active %u, max append %" PRIu64 "\n",
		kind, path, seed, nops, t.g.nz, t.g.zs / KiB, t.g.zcap / KiB,
		t.g.nconv, t.g.bs, t.g.mo, t.g.ma, t.g.maxapp);
	memset(&s, 0, sizeof(s));
	s.g = t.g;
	s.rng = seed ? seed : 1;
	clock_gettime(CLOCK_MONOTONIC, &a);
	for (unsigned long i = 0; i < nops; i++) {
		struct op o = next_op(&s);
		uint64_t landed, hash;
		long long r = run_op(&t, &o, st, buf, &landed, &hash);
		char lbuf[48] = "-";

		states(&t, st);
		sync_field(&t, sync, sizeof(sync));
		op_text(&o, &t.g, text, sizeof(text));
		if (landed != UINT64_MAX)
			snprintf(lbuf, sizeof(lbuf), "%" PRIu64 "+%" PRIu64 "K",
				 landed / t.g.zs, (landed % t.g.zs) / KiB);
		fprintf(f, "%06lu|%s|%s|%s|", i, text, vm_errname(r), lbuf);
		for (uint32_t z = t.g.nconv; z < t.g.nz; z++) {
			fputc(cond_letter(st[z].cond), f);
			if (st[z].cond != ZK_COND_FULL && st[z].cond != ZK_COND_EMPTY)
				fprintf(f, "%" PRIu64, (st[z].wp - zstart(&t.g, z)) / t.g.bs);
			fputc(' ', f);
		}
		fprintf(f, "|%016" PRIx64 "|%s\n", hash, sync);
	}
	clock_gettime(CLOCK_MONOTONIC, &b);
	fprintf(f, "# end\n");
	fclose(f);
	printf("differential %s %s: %lu ops in %.1f s%s", kind, path ? path : "-", nops,
	       b.tv_sec - a.tv_sec + (b.tv_nsec - a.tv_nsec) / 1e9,
	       strcmp(kind, "zk") ? "\n" : "");
	if (!strcmp(kind, "zk"))
		printf("; zonekit's view vs BLKREPORTZONE after every op: %lu wp "
		       "mismatches, %lu condition mismatches\n", t.sync_wp,
		       t.sync_cond);
	if (t.zk)
		zk_close(t.zk);
	if (t.fd >= 0)
		close(t.fd);
	free(buf);
	return 0;
}

/* ---------------------------------------------------------------- */
/* compare */

enum { F_IDX, F_OP, F_RET, F_LANDED, F_STATES, F_HASH, F_SYNC, NF };

struct line {
	char *raw;
	char *f[NF];
};

static char **load(const char *path, unsigned long *n, char *header, size_t hsz)
{
	FILE *f = fopen(path, "r");
	char **lines = NULL, *l = NULL;
	size_t cap = 0, room = 0;
	bool ended = false;

	if (!f) {
		perror(path);
		exit(2);
	}
	*n = 0;
	header[0] = 0;
	while (getline(&l, &cap, f) > 0) {
		l[strcspn(l, "\n")] = 0;
		if (l[0] == '#') {
			if (!strcmp(l, "# end"))
				ended = true;
			else if (!header[0])
				snprintf(header, hsz, "%s", l);
			continue;
		}
		if (*n == room) {
			room = room ? 2 * room : 16384;
			lines = realloc(lines, room * sizeof(*lines));
		}
		lines[(*n)++] = strdup(l);
	}
	free(l);
	fclose(f);
	if (!ended) {
		fprintf(stderr, "%s: incomplete (no \"# end\"): the run died\n", path);
		exit(2);
	}
	return lines;
}

static void split(char *s, char **f)
{
	for (int i = 0; i < NF; i++) {
		f[i] = s;
		s = s ? strchr(s, '|') : NULL;
		if (s)
			*s++ = 0;
	}
	for (int i = 0; i < NF; i++)
		if (!f[i])
			f[i] = "";
}

/* the states field: one word per sequential zone */
static int state_diff_zones(const char *a, const char *b, uint32_t *which)
{
	int n = 0;
	uint32_t z = 0;

	while (*a || *b) {
		size_t la = strcspn(a, " "), lb = strcspn(b, " ");

		if (la != lb || strncmp(a, b, la)) {
			if (n < 8)
				which[n] = z;
			n++;
		}
		a += la + (a[la] == ' ');
		b += lb + (b[lb] == ' ');
		z++;
	}
	return n;
}

struct tally {
	unsigned long same, doc_cross, doc_bigx, undoc;
};

/* Compare target @x with the reference @r at one op; 0 same, 1 a
 * documented difference, 2 an undocumented one. */
static int judge(char **x, char **r, const char *opn, bool zonekit,
		 char *why, size_t wsz)
{
	bool ret = strcmp(x[F_RET], r[F_RET]) != 0;
	bool landed = strcmp(x[F_LANDED], r[F_LANDED]) != 0;
	bool states = strcmp(x[F_STATES], r[F_STATES]) != 0;
	bool hash = strcmp(x[F_HASH], r[F_HASH]) != 0;
	uint32_t zs[8];
	int nd;

	why[0] = 0;
	if (!ret && !landed && !states && !hash)
		return 0;
	if (zonekit && (!strncmp(opn, "cross-conv", 10) ||
			!strncmp(opn, "cross-seq", 9)) &&
	    !strcmp(x[F_RET], "EINVAL") && !states && !hash) {
		snprintf(why, wsz, "documented: zonekit refuses a write across "
			 "a zone boundary (EINVAL); the kernel: %s", r[F_RET]);
		return 1;
	}
	nd = state_diff_zones(x[F_STATES], r[F_STATES], zs);
	if (zonekit && !strncmp(opn, "big-cross-cap", 13) && !ret && !hash &&
	    !strcmp(x[F_RET], "EIO") && nd == 1) {
		snprintf(why, wsz, "documented: a large write across the zone "
			 "capacity: the kernel applied part of it (zone state "
			 "differs until the next op resets it), zonekit none");
		return 1;
	}
	snprintf(why, wsz, "%s%s%s%s", ret ? "return " : "",
		 landed ? "landed " : "", states ? "zone states " : "",
		 hash ? "read data " : "");
	return 2;
}

static int compare(const char *pe, const char *pz, const char *pr)
{
	char he[512], hz[512], hr[512];
	unsigned long ne, nz, nr, sync_w = 0, sync_c = 0;
	char **le = load(pe, &ne, he, sizeof(he));
	char **lz = load(pz, &nz, hz, sizeof(hz));
	char **lr = load(pr, &nr, hr, sizeof(hr));
	struct tally te = { 0 }, tz = { 0 };
	unsigned long printed = 0, n = ne < nz ? ne : nz;
	unsigned long kinds[16] = { 0 };

	if (nr < n)
		n = nr;
	printf("differential compare: %lu ops\n  emu: %s\n  zk:  %s\n  raw: %s\n",
	       n, he, hz, hr);
	if (ne != nz || nz != nr)
		printf("  DIFFERENCE: the runs have %lu, %lu, %lu ops\n", ne, nz, nr);
	for (unsigned long i = 0; i < n; i++) {
		char *fe[NF], *fz[NF], *fr[NF], why_e[200], why_z[200];
		int je, jz;

		split(le[i], fe);
		split(lz[i], fz);
		split(lr[i], fr);
		for (int k = 0; k < 15; k++)
			if (!strncmp(fr[F_OP], opname[k], strlen(opname[k])) &&
			    fr[F_OP][strlen(opname[k])] == ' ')
				kinds[k]++;
		if (!strcmp(fr[F_OP], "reset-all"))
			kinds[K_RESET_ALL]++;
		if (!strcmp(fr[F_OP], "open-all"))
			kinds[K_OPEN_ALL]++;
		if (!strcmp(fr[F_OP], "close-all"))
			kinds[K_CLOSE_ALL]++;
		if (!strcmp(fr[F_OP], "finish-all"))
			kinds[K_FINISH_ALL]++;
		if (strcmp(fe[F_OP], fr[F_OP]) || strcmp(fz[F_OP], fr[F_OP])) {
			printf("  op %s: the scripts differ (%s / %s / %s)\n",
			       fr[F_IDX], fe[F_OP], fz[F_OP], fr[F_OP]);
			return 1;
		}
		if (fz[F_SYNC][0]) {
			for (char *p = fz[F_SYNC]; *p; p++) {
				sync_w += *p == 'w';
				sync_c += *p == 'c';
			}
		}
		je = judge(fe, fr, fr[F_OP], true, why_e, sizeof(why_e));
		jz = judge(fz, fr, fr[F_OP], true, why_z, sizeof(why_z));
		te.same += je == 0;
		tz.same += jz == 0;
		if (je == 1)
			(*(strstr(why_e, "boundary") ? &te.doc_cross : &te.doc_bigx))++;
		if (jz == 1)
			(*(strstr(why_z, "boundary") ? &tz.doc_cross : &tz.doc_bigx))++;
		te.undoc += je == 2;
		tz.undoc += jz == 2;
		if (je || jz || fz[F_SYNC][0]) {
			bool loud = je == 2 || jz == 2 || fz[F_SYNC][0];

			if (loud ? printed++ < 60 : true) {
				printf("  op %s %s:%s%s\n", fr[F_IDX], fr[F_OP],
				       je == 2 || jz == 2 ? " DIFFERENCE" : "",
				       fz[F_SYNC][0] ? " ZONEKIT VIEW != DEVICE" : "");
				if (je)
					printf("    emu vs kernel: %s\n", why_e);
				if (jz)
					printf("    zk  vs kernel: %s\n", why_z);
				printf("    emu: %s %s | %s\n", fe[F_RET], fe[F_LANDED], fe[F_STATES]);
				printf("    zk:  %s %s | %s%s%s\n", fz[F_RET], fz[F_LANDED],
				       fz[F_STATES], fz[F_SYNC][0] ? "| view vs device:" : "",
				       fz[F_SYNC]);
				printf("    raw: %s %s | %s\n", fr[F_RET], fr[F_LANDED], fr[F_STATES]);
			}
		}
	}
	printf("  script: ");
	for (int k = 0; k < 15; k++)
		printf("%s%s %lu", k ? ", " : "", opname[k], kinds[k]);
	printf("\n");
	printf("  emulated device vs kernel: %lu ops identical, %lu documented "
	       "differences (%lu cross-zone writes, %lu large writes across the "
	       "capacity), %lu undocumented\n", te.same, te.doc_cross + te.doc_bigx,
	       te.doc_cross, te.doc_bigx, te.undoc);
	printf("  zonekit on the kernel vs kernel: %lu ops identical, %lu "
	       "documented differences (%lu cross-zone writes, %lu large writes "
	       "across the capacity), %lu undocumented\n", tz.same,
	       tz.doc_cross + tz.doc_bigx, tz.doc_cross, tz.doc_bigx, tz.undoc);
	printf("  zonekit's view vs BLKREPORTZONE after every op: %lu wp "
	       "mismatches, %lu condition mismatches\n", sync_w, sync_c);
	printf("differential: %s\n", te.undoc || tz.undoc || sync_w || sync_c ||
	       ne != nz || nz != nr ? "FAIL" : "PASS");
	return te.undoc || tz.undoc || sync_w || sync_c || ne != nz || nz != nr;
}

/* Three runs of the script on emulated devices in a new directory must
 * give the same outcomes: the script is reproducible from its seed. */
static int selftest(const char *twin, uint64_t seed, unsigned long nops)
{
	const char *tmp = getenv("TMPDIR");
	char dir[256], dev[300], out[3][300], cmd[400];
	int ret;

	snprintf(dir, sizeof(dir), "%s/zk-diff.XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 2;
	}
	for (int i = 0; i < 3; i++) {
		snprintf(dev, sizeof(dev), "%s/dev%d", dir, i);
		snprintf(out[i], sizeof(out[i]), "%s/out%d.txt", dir, i);
		ret = run("emu", dev, NULL, twin, seed, nops, out[i]);
		if (ret)
			return ret;
	}
	ret = compare(out[0], out[1], out[2]);
	if (!getenv("ZK_TEST_KEEP")) {
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
		if (system(cmd))
			fprintf(stderr, "could not remove %s\n", dir);
	}
	return ret;
}

int main(int argc, char **argv)
{
	const char *like = NULL, *twin = NULL, *out = NULL;
	uint64_t seed = 1;
	unsigned long nops = 10000;
	int opt;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc >= 5 && !strcmp(argv[1], "compare"))
		return compare(argv[2], argv[3], argv[4]);
	if (argc >= 2 && !strcmp(argv[1], "selftest")) {
		optind = 2;
		while ((opt = getopt(argc, argv, "s:n:t:")) != -1) {
			switch (opt) {
			case 's': seed = strtoull(optarg, NULL, 0); break;
			case 'n': nops = strtoul(optarg, NULL, 0); break;
			case 't': twin = optarg; break;
			default: goto usage;
			}
		}
		return selftest(twin ? twin : "diff", seed, nops);
	}
	if (argc < 4 || strcmp(argv[1], "run"))
		goto usage;
	optind = 4;
	while ((opt = getopt(argc, argv, "s:n:o:l:t:")) != -1) {
		switch (opt) {
		case 's': seed = strtoull(optarg, NULL, 0); break;
		case 'n': nops = strtoul(optarg, NULL, 0); break;
		case 'o': out = optarg; break;
		case 'l': like = optarg; break;
		case 't': twin = optarg; break;
		default: goto usage;
		}
	}
	if (!out || (strcmp(argv[2], "emu") && strcmp(argv[2], "zk") &&
		     strcmp(argv[2], "raw")) ||
	    (!strcmp(argv[2], "emu") && !like && !twin))
		goto usage;
	return run(argv[2], argv[3], like, twin, seed, nops, out);
usage:
	fprintf(stderr,
		"usage: %s run emu DIR (-l DEV | -t TWIN) [-s SEED] [-n OPS] -o FILE\n"
		"       %s run zk|raw DEV [-s SEED] [-n OPS] -o FILE\n"
		"       %s compare EMU ZK RAW\n"
		"       %s selftest [-t TWIN] [-s SEED] [-n OPS]\n",
		argv[0], argv[0], argv[0], argv[0]);
	return 2;
}

/* A one-shot test program: its scripts and outcome tables live until it
 * exits; under AddressSanitizer leaks are not what it checks. */
__attribute__((visibility("default"))) const char *__asan_default_options(void);
__attribute__((visibility("default"))) const char *__asan_default_options(void)
{
	return "detect_leaks=0";
}
