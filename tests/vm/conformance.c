/* SPDX-License-Identifier: MIT */
/*
 * conformance: the cases of the unit tests (tests/NAME.c) that apply to a
 * device of fixed geometry, run on a real zoned block device or on an
 * emulated one, parametrised by the geometry zk_info() reports:
 *
 *   geometry        report of every zone against the device
 *   transitions     every condition transition of one zone (cond_transitions.c)
 *   errors          every error of the error list (errors.c, append_oversize.c)
 *   zone_op_args    zone operation arguments (zone_op_args.c)
 *   zone_op_all     ALL operations and ranges (zone_op_all.c)
 *   limits          max open / max active: ETOOMANYREFS, EOVERFLOW, implicit
 *                   close (limits.c)
 *   capacity        zone capacity < zone size (zone_capacity.c)
 *   conventional    conventional zones (conventional.c)
 *   reopen          persistence across zk_close/zk_open (reopen.c)
 *   rdonly          ZK_RDONLY: EBADF (rdonly_open.c)
 *   read            reads across zones and past the wp (read.c)
 *   append          landed offsets (append.c)
 *   concurrent      8 threads appending to one zone and to several zones,
 *                   and queues; data checked byte for byte; merged writes
 *   resync          zones changed behind zonekit's back (flush_resync.c)
 *
 * After every zonekit call, zonekit's view of every zone (zk_report) is
 * compared with the device's own: BLKREPORTZONE on a block device (FULL
 * normalised to start + len), the zone files' sizes on an emulated device
 * (which keep no open/closed condition: there the condition must fit the
 * size).  wp and condition mismatches are counted apart.
 *
 * Where devices define a behaviour differently (QEMU ZNS closes an
 * explicitly opened empty zone to CLOSED where null_blk makes it EMPTY;
 * which zone a device closes implicitly), the case accepts what the device
 * did as long as zonekit agrees with the device.  Bytes past the wp are not
 * checked on real devices (null_blk 0xff, ZNS zeros); the emulated device
 * must read zeros.
 *
 *   conformance DEV           a zoned block device, or an emulated device's
 *                             directory (every zone is reset!)
 *   conformance -t NAME [DIR] make an emulated device with the geometry of
 *                             the VM device NAME (nullb0, zns, diff,
 *                             nullb512, zloop, scsi: see vmtest.h) in DIR (default: a
 *                             new directory under $TMPDIR or /tmp, removed
 *                             at the end) and run on it
 *   -c CASE[,CASE...]         only these cases
 * Exit status 0 if every case passed and no mismatch was seen.
 *
 * Static build (tests/vm/suite.sh does it):
 *   gcc -O2 -static -Iinclude -Isrc -o conformance tests/vm/conformance.c \
 *       build/src/libzonekit.a -luring -lpthread
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <ftw.h>
#include <limits.h>
#include <pthread.h>
#include <sys/types.h>
#include <time.h>

#include "vmtest.h"
#include "device.h" /* d->ops->pwritev: a write zonekit itself never sends */

/* ---------------------------------------------------------------- */
/* the device under test */

struct cdev {
	char path[PATH_MAX];
	char twin_dir[PATH_MAX - 16]; /* made here, removed at the end */
	bool emu;                /* emulated backend */
	bool null_blk;           /* a kernel null_blk */
	bool exact;              /* the device is null_blk's model: emu or null_blk */
	struct zk_dev *zk;
	struct zk_info info;
	int raw, raw_dio, dirfd;
	dev_t rdev;
	uint32_t nz, nconv, nseq, mo, ma;
	/* bs: the unit the cases write in, zonekit's write granularity (a
	 * 512e disk's physical block); lbs: the logical block size */
	uint64_t zs, zcap, bs, lbs, cap, maxapp;
	uint64_t *gen;     /* data generation of each zone's pattern */
	uint64_t *written; /* bytes of pattern gen[z] from the zone start */
	struct zk_zone *kz;
	struct vm_dzone *dz;
};

static struct cdev T;

/* ---------------------------------------------------------------- */
/* Where kernel devices answer differently.  zonekit keeps null_blk's
 * model (the emulated device is that model, and null_blk must match it
 * exactly); the zoned command sets leave some choices to the device and
 * the drivers differ in others (tests/vm/README.md, "What the devices do
 * differently").  The condition a device leaves a zone in where it has a
 * choice (QEMU ZNS: CLOSED for an explicitly opened empty zone that is
 * closed; which zone it closes implicitly) is taken by ZC2/OK2 from any
 * device that is not null_blk's model; the device's *answers* that a case
 * checks on the raw device are here, one row per driver. */
struct dev_answers {
	const char *name;
	/* raw BLKOPENZONE of an EMPTY zone while every open slot is held by
	 * an explicitly open zone: null_blk, QEMU ZNS and scsi_debug say
	 * "no open resource" (ETOOMANYREFS); zloop refuses every zone
	 * operation it cannot do with EIO (zloop_open_zone()). */
	int open_limit_errno;
	/* a write that starts below the zone capacity and ends past it is
	 * refused: null_blk, QEMU ZNS; the kernel does not check, the
	 * device must.  zloop (7.2) checks only that a regular write starts
	 * at the wp (zloop_seq_write_prep()): one request across the
	 * capacity is applied whole and leaves the wp past the capacity,
	 * a zloop bug (tests/vm/README.md); whether the block layer splits
	 * a 1 MiB write into several requests varies from run to run, so
	 * the step that sends one is left out there. */
	bool refuses_write_across_capacity;
	/* besides EIO, the errno of a zone operation the device refuses as
	 * invalid (reset or finish of a conventional zone), or 0: Linux
	 * 6.1's SCSI layer turns the disk's ILLEGAL REQUEST into EREMOTEIO
	 * (6.12 and 7.2: EIO) */
	int refused_op_errno;
};

static const struct dev_answers dev_answers_of[] = {
	[VM_NULL_BLK] = { "null_blk", ETOOMANYREFS, true, 0 },
	[VM_NVME] = { "NVMe ZNS", ETOOMANYREFS, true, 0 },
	[VM_ZLOOP] = { "zloop", EIO, false, 0 },
	[VM_SCSI_DEBUG] = { "scsi_debug ZBC", ETOOMANYREFS, true, EREMOTEIO },
	[VM_OTHER_DISK] = { "zoned block device", ETOOMANYREFS, true, 0 },
};
static const struct dev_answers *dev_answers = &dev_answers_of[VM_NULL_BLK];
static uint64_t gen_counter = 1000;

/* sync checks: totals and this case's */
static unsigned long n_checks, n_wp_mm, n_cond_mm;
static unsigned long c_checks, c_wp_mm, c_cond_mm, c_printed;

/* A core bug this test knows about: printed loudly and counted, but not
 * failed, so the suite stays usable until it is fixed (XFAIL). */
static unsigned long n_known_bugs;

__attribute__((format(printf, 2, 3)))
static void known_bug(int line, const char *fmt, ...)
{
	va_list ap;

	printf("    XFAIL (known core bug) [%s] line %d: ", vm_h.kase, line);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	n_known_bugs++;
}

/* A window in which a known core bug may make zonekit's condition of a
 * zone differ from the device's (never its wp): such mismatches are
 * counted and reported as XFAIL, then zk_resync must bring the views
 * together exactly.  Real devices only: the emulated device is the model. */
static const char *kb_what;
static unsigned long kb_cond;

static void kb_begin(const char *what)
{
	if (!T.emu)
		kb_what = what;
	kb_cond = 0;
}

static void sync_check(int line);

static void kb_end(int line)
{
	const char *what = kb_what;

	if (!what)
		return;
	kb_what = NULL;
	if (kb_cond) {
		known_bug(line, "%s: %lu view checks found zonekit's condition "
			  "of a zone different from the device's (wps equal); "
			  "zk_resync re-aligns", what, kb_cond);
		if (zk_resync(T.zk))
			fail(line, "zk_resync failed");
	} else {
		printf("    (known bug window \"%s\": no mismatch this time)\n",
		       what);
	}
	sync_check(line);
}
#define KB_END() kb_end(__LINE__)


/* ---------------------------------------------------------------- */
/* zones */

static uint64_t zst(uint32_t z) { return (uint64_t)z * T.zs; }
static uint64_t zlen(uint32_t z)
{
	return zst(z) + T.zs > T.cap ? T.cap - zst(z) : T.zs;
}
static uint64_t zcap_of(uint32_t z)
{
	return T.zcap < zlen(z) ? T.zcap : zlen(z);
}

#define S(i) seq_zone(__LINE__, (i))
static uint32_t seq_zone(int line, uint32_t i)
{
	if (i >= T.nseq)
		fail(line, "this case needs at least %u sequential zones", i + 1);
	return T.nconv + i;
}

static struct zk_zone zk_zone_at(int line, uint32_t z)
{
	return vm_zk_zone(line, T.zk, zst(z), z);
}
#define ZONE(z) zk_zone_at(__LINE__, (z))
#define WP(z) ZONE(z).wp
#define COND(z) ZONE(z).cond

/* ---------------------------------------------------------------- */
/* requirement: zonekit's view == the device's, after every step */

static int device_report(struct vm_dzone *out)
{
	if (T.emu)
		return vm_emu_report(T.dirfd, &T.info, 0, T.nz, out);
	return vm_raw_report(T.raw, T.zs, 0, T.nz, out);
}

/* Compare every zone; print up to a few differences; return how many
 * zones differ in wp (*wp_bad) and in condition (*cond_bad). */
static void compare_views(int line, bool quiet, unsigned int *wp_bad,
			  unsigned int *cond_bad)
{
	unsigned int nr = T.nz;
	int ret = zk_report(T.zk, 0, T.kz, &nr);

	*wp_bad = *cond_bad = 0;
	if (ret || nr != T.nz)
		fail(line, "zk_report(all) = %s, %u zones", vm_errname(ret), nr);
	ret = device_report(T.dz);
	if (ret)
		fail(line, "device report: %s", vm_errname(ret));
	for (uint32_t z = 0; z < T.nz; z++) {
		const struct zk_zone *k = &T.kz[z];
		const struct vm_dzone *d = &T.dz[z];
		bool geo = k->start != d->start || k->len != d->len ||
			   k->capacity != d->capacity || k->type != d->type;
		bool wp = geo || k->wp != d->wp;
		bool cond = !(d->conds & (1u << k->cond));

		*wp_bad += wp;
		*cond_bad += cond;
		if ((wp || cond) && !quiet && c_printed++ < 20)
			printf("    %s [%s: %s] line %d: zone %u: zonekit %s "
			       "wp +%" PRIu64 " KiB, device %s wp +%" PRIu64
			       " KiB (raw wp +%" PRIu64 " KiB)%s\n",
			       kb_what && !wp ? "mismatch (known bug)" :
			       "MISMATCH", vm_h.kase, vm_h.step, line, z,
			       vm_condname(k->cond),
			       (k->wp - k->start) / KiB, vm_condname(d->cond),
			       (d->wp - d->start) / KiB,
			       (d->raw_wp - d->start) / KiB,
			       geo ? " (zone geometry differs)" : "");
	}
}

#define SYNC() sync_check(__LINE__)
static void sync_check(int line)
{
	unsigned int wp, cond;

	compare_views(line, false, &wp, &cond);
	n_checks++;
	c_checks++;
	if (cond && kb_what) {
		kb_cond++;
		cond = 0;
	}
	if (wp) {
		n_wp_mm++;
		c_wp_mm++;
	}
	if (cond) {
		n_cond_mm++;
		c_cond_mm++;
	}
}

/* ---------------------------------------------------------------- */
/* data: zone z holds pattern gen[z] on [start, start + written[z]) */

static void new_gen(uint32_t z)
{
	T.gen[z] = ++gen_counter;
	T.written[z] = 0;
}

static void *junk_buf(size_t len)
{
	static void *junk;
	static size_t junk_len;

	if (len > junk_len) {
		free(junk);
		junk_len = len;
		junk = vm_alloc(junk_len); /* never read: refused writes */
		memset(junk, 0x5a, junk_len);
	}
	return junk;
}

static unsigned long io_counter;

/* zk_pwrite of the zone's pattern; every third from an unaligned buffer
 * (the bounce path of the Linux backend). */
static ssize_t wr(uint64_t off, size_t len)
{
	uint32_t z = (uint32_t)(off / T.zs);
	uint64_t g = z < T.nz ? T.gen[z] : 0;
	bool unaligned = io_counter++ % 3 == 0;
	char *mem = vm_alloc(len + 64), *buf = mem + (unaligned ? 8 : 0);
	ssize_t r;

	vm_fill(buf, len, off, g);
	r = zk_pwrite(T.zk, buf, len, off);
	free(mem);
	if (r >= 0 && z < T.nz && z >= T.nconv)
		T.written[z] = off + len - zst(z);
	return r;
}

static ssize_t wr_junk(uint64_t off, size_t len)
{
	return zk_pwrite(T.zk, junk_buf(len), len, off);
}

#define W(off, len)                                                          \
	do {                                                                 \
		uint64_t o_ = (off), l_ = (len);                             \
		CHECK_RET(wr(o_, l_), l_);                                   \
		SYNC();                                                      \
	} while (0)
#define W_ERR(off, len, err)                                                 \
	do {                                                                 \
		CHECK_RET(wr_junk((off), (len)), (err));                     \
		SYNC();                                                      \
	} while (0)

/* zk_append of the pattern laid out for where it should land (the wp) */
static int ap(uint32_t z, size_t len, uint64_t *landed)
{
	uint64_t wp = z < T.nz ? ZONE(z).wp : 0;
	char *buf = vm_alloc(len);
	int r;

	vm_fill(buf, len, wp, z < T.nz ? T.gen[z] : 0);
	r = zk_append(T.zk, zst(z), buf, len, landed);
	free(buf);
	if (!r)
		T.written[z] = *landed + len - zst(z);
	return r;
}

#define A(z, len, want)                                                      \
	do {                                                                 \
		uint64_t l_ = 0, w_ = (want);                                \
		CHECK_RET(ap((z), (len), &l_), 0);                           \
		if (l_ != w_)                                                \
			fail(__LINE__, "append landed at %#" PRIx64          \
			     ", want %#" PRIx64, l_, w_);                    \
		SYNC();                                                      \
	} while (0)
#define A_ERR(zone_start, len, err)                                          \
	do {                                                                 \
		uint64_t l_;                                                 \
		CHECK_RET(zk_append(T.zk, (zone_start), junk_buf(len), (len), \
				    &l_), (err));                            \
		SYNC();                                                      \
	} while (0)

static int zop(enum zk_op op, uint64_t off, uint64_t len)
{
	int r = zk_zone_op(T.zk, op, off, len);

	if (!r && op == ZK_OP_RESET && off % T.zs == 0) {
		for (uint64_t o = off; o < off + len && o < T.cap; o += T.zs) {
			uint32_t z = (uint32_t)(o / T.zs);

			if (z >= T.nconv && T.written[z])
				new_gen(z);
		}
	}
	return r;
}

#define OP(op, z)                                                            \
	do {                                                                 \
		CHECK_RET(zop((op), zst(z), zlen(z)), 0);                    \
		SYNC();                                                      \
	} while (0)
#define OP_ERR(op, off, len, err)                                            \
	do {                                                                 \
		CHECK_RET(zop((op), (off), (len)), (err));                   \
		SYNC();                                                      \
	} while (0)

/* zone @z: condition @cond (or @alt, on a device that is not null_blk's
 * model), wp @wp */
#define ZC(z, cond, wp) zcheck(__LINE__, (z), (cond), (cond), (wp))
#define ZC2(z, cond, alt, wp) zcheck(__LINE__, (z), (cond), (alt), (wp))
static void zcheck(int line, uint32_t z, unsigned int cond, unsigned int alt,
		   uint64_t wp)
{
	struct zk_zone k = zk_zone_at(line, z);

	if (k.cond != cond && (T.exact || k.cond != alt))
		fail(line, "zone %u is %s, want %s", z, vm_condname(k.cond),
		     vm_condname(cond));
	if (k.wp != wp)
		fail(line, "zone %u wp +%" PRIu64 " KiB, want +%" PRIu64 " KiB",
		     z, (k.wp - zst(z)) / KiB, (wp - zst(z)) / KiB);
	if (k.cond != cond)
		info("zone %u: %s where null_blk says %s (the device's choice)",
		     z, vm_condname(k.cond), vm_condname(cond));
}

/* Read [off, off + len) through zonekit (and raw on a block device, which
 * must give the same bytes) and check it is pattern @gen. */
static void check_range(int line, uint64_t off, uint64_t len, uint64_t gen)
{
	size_t chunk = 4 * MiB;
	char *buf = vm_alloc(chunk), *raw = T.emu ? NULL : vm_alloc(chunk);

	while (len) {
		size_t n = len < chunk ? len : chunk;
		ssize_t r = zk_pread(T.zk, buf, n, off), bad;

		if (r != (ssize_t)n)
			fail(line, "zk_pread(%#" PRIx64 ", %zu) = %s", off, n,
			     vm_errname(r));
		bad = vm_bad(buf, n, off, gen);
		if (bad >= 0)
			fail(line, "data at %#" PRIx64 " is not what was written "
			     "(generation %" PRIu64 ")", off + bad, gen);
		if (raw && (pread(T.raw_dio, raw, n, (off_t)off) != (ssize_t)n ||
			    memcmp(raw, buf, n)))
			fail(line, "raw read at %#" PRIx64 " differs", off);
		off += n;
		len -= n;
	}
	free(buf);
	free(raw);
}

/* The data of zone @z below what was written; @sample: only 64 KiB at
 * each end of it.  On the emulated device also 64 KiB past it: zeros. */
#define DATA(z) check_data(__LINE__, (z), false)
#define DATA_SAMPLE(z) check_data(__LINE__, (z), true)
static void check_data(int line, uint32_t z, bool sample)
{
	uint64_t w = T.written[z], s = zst(z), n = 64 * KiB;

	if (!sample || w <= 2 * n) {
		if (w)
			check_range(line, s, w, T.gen[z]);
	} else {
		check_range(line, s, n, T.gen[z]);
		check_range(line, s + w - n, n, T.gen[z]);
	}
	if (T.emu && w < zlen(z)) {
		uint64_t len = zlen(z) - w < n ? zlen(z) - w : n;
		char *buf = vm_alloc(len);

		if (zk_pread(T.zk, buf, len, s + w) != (ssize_t)len)
			fail(line, "read past the wp of zone %u failed", z);
		for (uint64_t i = 0; i < len; i++)
			if (buf[i])
				fail(line, "emulated device: byte %#" PRIx64
				     " past the wp is not zero", s + w + i);
		free(buf);
	}
}

/* A picture of every zone: nothing may change across a refused call. */
struct snap {
	struct zk_zone *zones;
	uint64_t *written, *gen;
};

static void snap_take(struct snap *s)
{
	unsigned int nr = T.nz;

	s->zones = calloc(T.nz, sizeof(*s->zones));
	s->written = calloc(T.nz, sizeof(uint64_t));
	s->gen = calloc(T.nz, sizeof(uint64_t));
	CHECK(s->zones && s->written && s->gen);
	CHECK_RET(zk_report(T.zk, 0, s->zones, &nr), 0);
	memcpy(s->written, T.written, T.nz * sizeof(uint64_t));
	memcpy(s->gen, T.gen, T.nz * sizeof(uint64_t));
}

#define SAME(s) snap_same(__LINE__, (s))
static void snap_same(int line, struct snap *s)
{
	struct zk_zone *now = calloc(T.nz, sizeof(*now));
	unsigned int nr = T.nz;

	CHECK(now);
	CHECK_RET(zk_report(T.zk, 0, now, &nr), 0);
	for (uint32_t z = 0; z < T.nz; z++) {
		if (memcmp(&now[z], &s->zones[z], sizeof(*now)))
			fail(line, "zone %u changed: %s wp +%" PRIu64 " KiB, was %s "
			     "+%" PRIu64 " KiB", z, vm_condname(now[z].cond),
			     (now[z].wp - now[z].start) / KiB,
			     vm_condname(s->zones[z].cond),
			     (s->zones[z].wp - s->zones[z].start) / KiB);
		if (s->written[z] != T.written[z] || s->gen[z] != T.gen[z])
			fail(line, "zone %u: data changed", z);
		if (z >= T.nconv && T.written[z])
			check_data(line, z, true);
	}
	free(now);
}

static void snap_free(struct snap *s)
{
	free(s->zones);
	free(s->written);
	free(s->gen);
}

/* conditions among zones [first, first + n) */
struct census {
	unsigned int empty, imp, exp, closed, full;
};

static struct census census(uint32_t first, uint32_t n)
{
	struct census c = { 0 };

	for (uint32_t z = first; z < first + n; z++) {
		switch (COND(z)) {
		case ZK_COND_EMPTY: c.empty++; break;
		case ZK_COND_IMP_OPEN: c.imp++; break;
		case ZK_COND_EXP_OPEN: c.exp++; break;
		case ZK_COND_CLOSED: c.closed++; break;
		case ZK_COND_FULL: c.full++; break;
		default: break;
		}
	}
	return c;
}

/* a raw zone ioctl on the block device: must give @want_errno (0: ok) or,
 * if not 0, @alt_errno */
static void raw_zone_ioctl(int line, unsigned long req, uint32_t z,
			   int want_errno, int alt_errno)
{
	struct blk_zone_range r = { .sector = zst(z) >> 9,
				    .nr_sectors = zlen(z) >> 9 };
	int ret = ioctl(T.raw, req, &r), err = errno;

	unsigned int wp_bad, cond_bad;

	if (want_errno ? !(ret < 0 && (err == want_errno ||
				       (alt_errno && err == alt_errno))) :
			 ret != 0)
		fail(line, "raw zone ioctl on zone %u: %s, want %s", z,
		     ret ? strerror(err) : "success",
		     want_errno ? strerror(want_errno) : "success");
	/* another program's zone operation: zonekit learns it at zk_resync */
	compare_views(line, true, &wp_bad, &cond_bad);
	if (ret && (wp_bad || cond_bad))
		info("the device changed %u zone(s) on a refused operation "
		     "(QEMU ZNS closes an implicitly open zone before it checks "
		     "the active limit)", wp_bad > cond_bad ? wp_bad : cond_bad);
	if (zk_resync(T.zk))
		fail(line, "zk_resync failed");
	sync_check(line);
}
#define RAW_IOCTL(req, z, e) raw_zone_ioctl(__LINE__, (req), (z), (e), 0)
#define RAW_IOCTL_OR(req, z, e, alt) \
	raw_zone_ioctl(__LINE__, (req), (z), (e), (alt))

static void reset_all(void)
{
	CHECK_RET(zop(ZK_OP_RESET, 0, T.cap), 0);
	for (uint32_t z = T.nconv; z < T.nz; z++)
		if (T.written[z] || !T.gen[z])
			new_gen(z);
	SYNC();
}

/* Append until zone @z is full, in appends of at most max_append. */
static void append_to_capacity(int line, uint32_t z)
{
	uint64_t unit = T.maxapp ? T.maxapp : 1 * MiB;

	for (;;) {
		struct zk_zone k = zk_zone_at(line, z);
		uint64_t left = k.start + zcap_of(z) - k.wp, landed;

		if (k.cond == ZK_COND_FULL)
			break;
		if (ap(z, left < unit ? left : unit, &landed) || landed != k.wp)
			fail(line, "append to capacity of zone %u failed", z);
	}
	sync_check(line);
}

static void reopen(unsigned int flags)
{
	if (T.zk)
		zk_close(T.zk);
	T.zk = NULL;
	CHECK_RET(zk_open(T.path, flags, &T.zk), 0);
	CHECK_RET(zk_info(T.zk, &T.info), 0);
	CHECK(T.info.flags == flags);
	SYNC();
}

/* ================================================================ */
/* cases */

static void case_geometry(void)
{
	struct zk_zone *zones = calloc(T.nz + 2, sizeof(*zones));
	unsigned int nr;

	CHECK(zones);
	step("zk_info against the device");
	CHECK(T.info.backend == (T.emu ? ZK_BACKEND_EMULATED : ZK_BACKEND_BLKDEV));
	if (!T.emu) {
		uint64_t v = 0;

		CHECK(!vm_sysfs_u64(T.rdev, "size", &v) && v * 512 == T.cap);
		CHECK(!vm_sysfs_u64(T.rdev, "queue/chunk_sectors", &v) &&
		      v * 512 == T.zs);
		CHECK(!vm_sysfs_u64(T.rdev, "queue/nr_zones", &v) && v == T.nz);
		CHECK(!vm_sysfs_u64(T.rdev, "queue/logical_block_size", &v) &&
		      v == T.lbs);
		CHECK(!vm_sysfs_u64(T.rdev, "queue/max_open_zones", &v) &&
		      v == T.mo);
		CHECK(!vm_sysfs_u64(T.rdev, "queue/max_active_zones", &v) &&
		      v == T.ma);
		CHECK(!vm_sysfs_u64(T.rdev, "queue/zone_append_max_bytes", &v) &&
		      v - v % T.info.write_granularity == T.maxapp);
		/* ZBC and ZAC want writes to sequential zones aligned to the
		 * physical block: the kernel says so in zone_write_granularity
		 * (sd_zbc.c) but does not enforce it, the disk does (scsi_debug
		 * does not: probes/probe_512e.c).  zonekit takes it as its
		 * unit of sequential writes and refuses smaller ones. */
		CHECK(!vm_sysfs_u64(T.rdev, "queue/zone_write_granularity", &v));
		CHECK(T.info.write_granularity == (v > T.lbs ? v : T.lbs));
		if (v > T.lbs) {
			uint32_t z = T.nconv; /* the first sequential zone */
			char *buf = vm_alloc(v);
			uint64_t landed;

			step("sequential writes and appends in whole granules");
			CHECK_RET(zk_pwrite(T.zk, buf, T.lbs, zst(z)), -EINVAL);
			CHECK_RET(zk_append(T.zk, zst(z), buf, T.lbs, &landed),
				  -EINVAL);
			CHECK(ZONE(z).wp == zst(z));
			free(buf);
		}
	}
	CHECK(T.nz == (T.cap + T.zs - 1) / T.zs);
	step("every zone reported as the device has it");
	nr = T.nz + 2;
	CHECK_RET(zk_report(T.zk, 0, zones, &nr), 0);
	CHECK(nr == T.nz);
	for (uint32_t z = 0; z < T.nz; z++) {
		CHECK(zones[z].start == zst(z));
		CHECK(zones[z].len == zlen(z));
		if (z < T.nconv) {
			CHECK(zones[z].type == ZK_ZONE_CONVENTIONAL);
			CHECK(zones[z].cond == ZK_COND_NOT_WP);
			CHECK(zones[z].wp == zst(z) + zlen(z));
			CHECK(zones[z].capacity == zlen(z));
		} else {
			CHECK(zones[z].type == ZK_ZONE_SEQ_REQUIRED);
			CHECK(zones[z].capacity == zcap_of(z));
			CHECK(zones[z].cond == ZK_COND_EMPTY);
			CHECK(zones[z].wp == zst(z));
		}
	}
	SYNC();
	step("report from a middle zone, and past the end");
	nr = 3;
	CHECK_RET(zk_report(T.zk, zst(T.nz - 2) + T.bs, zones, &nr), 0);
	CHECK(nr == 2 && zones[0].start == zst(T.nz - 2));
	nr = 1;
	CHECK_RET(zk_report(T.zk, T.cap, zones, &nr), -EINVAL);
	info("%u zones of %" PRIu64 " MiB (capacity %" PRIu64 " KiB), %u "
	     "conventional, block %" PRIu64 ", max open %u, max active %u, "
	     "max append %" PRIu64, T.nz, T.zs / MiB, T.zcap / KiB, T.nconv,
	     T.bs, T.mo, T.ma, T.maxapp);
	free(zones);
}

/* ---- transitions (cond_transitions.c) ---- */

enum tstate { S_EMPTY, S_IMP, S_EXP0, S_EXP, S_CLOSED, S_FULL, S_FULL_CAP, NSTATES };
static const char *const tstate_name[] = {
	"EMPTY", "IMP_OPEN", "EXP_OPEN (nothing written)", "EXP_OPEN (written)",
	"CLOSED", "FULL (finished)", "FULL (written to capacity)",
};

static uint64_t tstate_written(enum tstate s)
{
	static const uint64_t blocks[] = { 0, 1, 0, 2, 3, 1, 0 };

	return s == S_FULL_CAP ? T.zcap : blocks[s] * T.bs;
}

static uint32_t tz; /* the zone under test */

static void make(enum tstate s)
{
	uint64_t st = zst(tz), bs = T.bs;

	OP(ZK_OP_RESET, tz);
	ZC(tz, ZK_COND_EMPTY, st);
	switch (s) {
	case S_EMPTY:
		break;
	case S_IMP:
		W(st, bs);
		ZC(tz, ZK_COND_IMP_OPEN, st + bs);
		break;
	case S_EXP0:
		OP(ZK_OP_OPEN, tz);
		ZC(tz, ZK_COND_EXP_OPEN, st);
		break;
	case S_EXP:
		OP(ZK_OP_OPEN, tz);
		W(st, bs);
		A(tz, bs, st + bs);
		ZC(tz, ZK_COND_EXP_OPEN, st + 2 * bs);
		break;
	case S_CLOSED:
		A(tz, 2 * bs, st);
		W(st + 2 * bs, bs);
		ZC(tz, ZK_COND_IMP_OPEN, st + 3 * bs);
		OP(ZK_OP_CLOSE, tz);
		ZC(tz, ZK_COND_CLOSED, st + 3 * bs);
		break;
	case S_FULL:
		W(st, bs);
		OP(ZK_OP_FINISH, tz);
		ZC(tz, ZK_COND_FULL, st + zlen(tz));
		break;
	case S_FULL_CAP:
		W(st, T.zcap - bs);
		ZC(tz, ZK_COND_IMP_OPEN, st + T.zcap - bs);
		W(st + T.zcap - bs, bs);
		ZC(tz, ZK_COND_FULL, st + zlen(tz));
		break;
	default:
		fail(__LINE__, "bad state");
	}
	CHECK(T.written[tz] == tstate_written(s));
	DATA_SAMPLE(tz);
}

struct outcome {
	int ret;
	unsigned int cond, alt; /* alt: what a device other than null_blk may do */
	uint64_t wp;            /* from the zone start */
};
#define OK(c, wp) ((struct outcome){ 0, (c), (c), (wp) })
#define OK2(c, alt, wp) ((struct outcome){ 0, (c), (alt), (wp) })
#define ERR(e) ((struct outcome){ (e), 0, 0, 0 })

static char label[160];

static void run_op(enum tstate s, enum zk_op op, const char *opname,
		   struct outcome o)
{
	struct snap snap;

	snprintf(label, sizeof(label), "%s on %s", opname, tstate_name[s]);
	vm_h.step = label;
	make(s);
	if (o.ret < 0) {
		snap_take(&snap);
		OP_ERR(op, zst(tz), zlen(tz), o.ret);
		SAME(&snap);
		snap_free(&snap);
		return;
	}
	OP(op, tz);
	ZC2(tz, o.cond, o.alt, zst(tz) + o.wp);
	DATA_SAMPLE(tz); /* the data stays unless reset; after a reset none */
}

static void run_write(enum tstate s, bool append, struct outcome o)
{
	uint64_t w = tstate_written(s), st = zst(tz), bs = T.bs;
	struct snap snap;

	snprintf(label, sizeof(label), "%s on %s", append ? "append" : "write",
		 tstate_name[s]);
	vm_h.step = label;
	make(s);
	if (o.ret < 0) {
		snap_take(&snap);
		if (append)
			A_ERR(st, bs, o.ret);
		else
			W_ERR(st + (w < T.zcap ? w : T.zcap - bs), bs, o.ret);
		SAME(&snap);
		snap_free(&snap);
		return;
	}
	if (append)
		A(tz, bs, st + w);
	else
		W(st + w, bs);
	ZC(tz, o.cond, st + o.wp);
	DATA_SAMPLE(tz);
}

static void case_transitions(void)
{
	uint64_t bs = T.bs, zl;
	uint32_t left, right;
	bool neighbours = !T.mo || T.mo >= 3;
	int i;

	tz = S(3);
	left = S(2);
	right = S(4);
	zl = zlen(tz);
	step("neighbours with data, which nothing may touch");
	if (neighbours) {
		W(zst(left), 8 * KiB);
		W(zst(right), 8 * KiB);
	} else {
		info("max open %u: no neighbours", T.mo);
	}
	step("open");
	run_op(S_EMPTY, ZK_OP_OPEN, "open", OK(ZK_COND_EXP_OPEN, 0));
	run_op(S_IMP, ZK_OP_OPEN, "open", OK(ZK_COND_EXP_OPEN, bs));
	run_op(S_EXP0, ZK_OP_OPEN, "open", OK(ZK_COND_EXP_OPEN, 0));
	run_op(S_EXP, ZK_OP_OPEN, "open", OK(ZK_COND_EXP_OPEN, 2 * bs));
	run_op(S_CLOSED, ZK_OP_OPEN, "open", OK(ZK_COND_EXP_OPEN, 3 * bs));
	run_op(S_FULL, ZK_OP_OPEN, "open", ERR(-EIO));
	run_op(S_FULL_CAP, ZK_OP_OPEN, "open", ERR(-EIO));
	step("close");
	run_op(S_EMPTY, ZK_OP_CLOSE, "close", ERR(-EIO));
	run_op(S_IMP, ZK_OP_CLOSE, "close", OK(ZK_COND_CLOSED, bs));
	/* null_blk: EMPTY; QEMU ZNS: CLOSED (zoned-behaviour.md) */
	run_op(S_EXP0, ZK_OP_CLOSE, "close",
	       OK2(ZK_COND_EMPTY, ZK_COND_CLOSED, 0));
	run_op(S_EXP, ZK_OP_CLOSE, "close", OK(ZK_COND_CLOSED, 2 * bs));
	run_op(S_CLOSED, ZK_OP_CLOSE, "close", OK(ZK_COND_CLOSED, 3 * bs));
	run_op(S_FULL, ZK_OP_CLOSE, "close", ERR(-EIO));
	run_op(S_FULL_CAP, ZK_OP_CLOSE, "close", ERR(-EIO));
	step("finish");
	for (enum tstate s = S_EMPTY; s < NSTATES; s++)
		run_op(s, ZK_OP_FINISH, "finish", OK(ZK_COND_FULL, zl));
	step("reset");
	for (enum tstate s = S_EMPTY; s < NSTATES; s++)
		run_op(s, ZK_OP_RESET, "reset", OK(ZK_COND_EMPTY, 0));
	step("writes and appends at the wp");
	for (i = 0; i < 2; i++) {
		bool app = i;

		run_write(S_EMPTY, app, OK(ZK_COND_IMP_OPEN, bs));
		run_write(S_IMP, app, OK(ZK_COND_IMP_OPEN, 2 * bs));
		run_write(S_EXP0, app, OK(ZK_COND_EXP_OPEN, bs));
		run_write(S_EXP, app, OK(ZK_COND_EXP_OPEN, 3 * bs));
		run_write(S_CLOSED, app, OK(ZK_COND_IMP_OPEN, 4 * bs));
		run_write(S_FULL, app, ERR(-EIO));
		run_write(S_FULL_CAP, app, ERR(-EIO));
	}
	step("a FULL zone refuses a write anywhere in it");
	make(S_FULL);
	W_ERR(zst(tz), bs, -EIO);
	W_ERR(zst(tz) + T.zcap - bs, bs, -EIO);
	W_ERR(zst(tz) + zl - bs, bs, -EIO);
	step("append to capacity from EXP_OPEN");
	make(S_EXP);
	append_to_capacity(__LINE__, tz);
	ZC(tz, ZK_COND_FULL, zst(tz) + zl);
	DATA_SAMPLE(tz);
	step("write to capacity from CLOSED in one write");
	make(S_CLOSED);
	W(zst(tz) + 3 * bs, T.zcap - 3 * bs);
	ZC(tz, ZK_COND_FULL, zst(tz) + zl);
	DATA_SAMPLE(tz);
	step("the whole capacity from EMPTY in one append (if max append allows)");
	make(S_EMPTY);
	if (!T.maxapp || T.maxapp >= T.zcap)
		A(tz, T.zcap, zst(tz));
	else
		append_to_capacity(__LINE__, tz);
	ZC(tz, ZK_COND_FULL, zst(tz) + zl);
	DATA(tz);
	if (neighbours) {
		step("the neighbours were left alone");
		ZC(left, ZK_COND_IMP_OPEN, zst(left) + 8 * KiB);
		ZC(right, ZK_COND_IMP_OPEN, zst(right) + 8 * KiB);
		DATA(left);
		DATA(right);
	}
}

/* ---- errors (errors.c, append_oversize.c) ---- */

static void case_errors(void)
{
	uint64_t bs = T.bs;
	uint32_t z2 = S(1), z3 = S(2), z4 = S(3), z5 = S(4), z6 = S(5);
	uint64_t s2 = zst(z2), s3 = zst(z3), s4 = zst(z4), s5 = zst(z5),
		 s6 = zst(z6), wp2, wp5, landed;
	struct snap snap;
	char *big;

	if (T.mo && T.mo < 2) {
		info("max open %u: skipped", T.mo);
		return;
	}
	step("setup: conventional data; zones IMP_OPEN, FULL, EMPTY, nearly "
	     "full, CLOSED");
	if (T.nconv)
		W(0, 64 * KiB);
	W(s6, bs);
	OP(ZK_OP_CLOSE, z6);
	W(s2, 4 * bs);
	wp2 = s2 + 4 * bs;
	W(s3, T.zcap);
	W(s5, T.zcap - 2 * bs);
	wp5 = s5 + T.zcap - 2 * bs;
	ZC(z2, ZK_COND_IMP_OPEN, wp2);
	ZC(z3, ZK_COND_FULL, s3 + zlen(z3));
	ZC(z4, ZK_COND_EMPTY, s4);
	ZC(z5, ZK_COND_IMP_OPEN, wp5);
	ZC(z6, ZK_COND_CLOSED, s6 + bs);
	snap_take(&snap);

	step("pwrite not at the wp: EIO");
	W_ERR(wp2 + bs, bs, -EIO);
	W_ERR(wp2 - bs, bs, -EIO);
	W_ERR(wp2 - bs, 2 * bs, -EIO);
	W_ERR(s2, bs, -EIO);
	W_ERR(s2 + T.zcap - bs, bs, -EIO);
	W_ERR(s4 + bs, bs, -EIO);
	W_ERR(s4 + T.zcap - bs, bs, -EIO);
	W_ERR(s6, bs, -EIO);
	W_ERR(s6 + 2 * bs, bs, -EIO);
	SAME(&snap);

	step("pwrite of length 0, not a block multiple, unaligned: EINVAL");
	W_ERR(wp2, 0, -EINVAL);
	W_ERR(s4, 0, -EINVAL);
	W_ERR(0, 0, -EINVAL);
	W_ERR(wp2, 1, -EINVAL);
	W_ERR(wp2, bs + 1, -EINVAL);
	W_ERR(s4, 3 * bs - 1, -EINVAL);
	W_ERR(bs, 100, -EINVAL);
	if (bs > 512) { /* a sequential zone takes whole granules */
		W_ERR(wp2, 512, -EINVAL);
		W_ERR(wp2 + 512, bs, -EINVAL);
	}
	if (T.lbs > 512) /* a conventional zone takes any logical block */
		W_ERR(512, bs, -EINVAL);
	W_ERR(bs + 1, bs, -EINVAL);
	W_ERR(wp2 - 1, bs, -EINVAL);
	W_ERR(s4 + 8, bs, -EINVAL);
	SAME(&snap);

	step("pwrite past the device end: EINVAL");
	W_ERR(T.cap, bs, -EINVAL);
	W_ERR(T.cap + T.zs, bs, -EINVAL);
	W_ERR(1ULL << 50, bs, -EINVAL);
	W_ERR(UINT64_MAX & ~(bs - 1), bs, -EINVAL);
	W_ERR(zst(T.nz - 1), 2 * T.zs, -EINVAL);
	SAME(&snap);

	step("pwrite across a zone boundary: EINVAL (the kernel would take it)");
	if (T.nconv) {
		W_ERR(T.zs - bs, 2 * bs, -EINVAL);
		W_ERR(0, T.zs + bs, -EINVAL);
		W_ERR(bs, T.zs, -EINVAL);
	}
	W_ERR(s4, T.zs + bs, -EINVAL);
	W_ERR(s4, 2 * T.zs, -EINVAL);
	/* 3 blocks at the wp of a zone with 2 left: across the zone end if
	 * the capacity is the zone size, else across the capacity */
	W_ERR(wp5, 3 * bs, T.zcap == T.zs ? -EINVAL : -EIO);
	SAME(&snap);

	step("pwrite to a FULL zone: EIO");
	W_ERR(s3, bs, -EIO);
	W_ERR(s3 + T.zcap / 2, bs, -EIO);
	W_ERR(s3 + T.zcap - bs, bs, -EIO);
	W_ERR(s3 + zlen(z3) - bs, bs, -EIO);
	SAME(&snap);

	step("append: zone_start not a zone start, or past the end: EINVAL");
	A_ERR(s2 + bs, bs, -EINVAL);
	A_ERR(wp2, bs, -EINVAL);
	A_ERR(s4 + 512, bs, -EINVAL);
	A_ERR(s4 - bs, bs, -EINVAL);
	A_ERR(T.zs / 2, bs, -EINVAL);
	A_ERR(T.cap, bs, -EINVAL);
	A_ERR(T.cap + 100 * T.zs, bs, -EINVAL);
	A_ERR(UINT64_MAX & ~(T.zs - 1), bs, -EINVAL);
	SAME(&snap);

	step("append to a conventional zone: EIO");
	if (T.nconv) {
		A_ERR(0, bs, -EIO);
		A_ERR(zst(T.nconv - 1), bs, -EIO);
	}
	step("append of length 0 or not a block multiple: EINVAL");
	A_ERR(s2, 0, -EINVAL);
	A_ERR(s4, 0, -EINVAL);
	A_ERR(s2, bs + 1, -EINVAL);
	A_ERR(s4, 100, -EINVAL);
	if (bs > 512)
		A_ERR(s2, 512, -EINVAL);
	SAME(&snap);

	step("append longer than max_append: EINVAL");
	if (T.maxapp) {
		A_ERR(s2, T.maxapp + bs, -EINVAL);
		A_ERR(s4, 2 * T.maxapp, -EINVAL);
		if (T.zs > T.maxapp) /* scsi_debug: max append = zone size */
			A_ERR(s4, T.zs, -EINVAL);
	} else {
		info("no max_append");
	}
	step("append across the zone capacity or longer than the zone: EIO");
	A_ERR(s5, 3 * bs, -EIO);
	if (T.maxapp && T.maxapp > 2 * bs)
		A_ERR(s5, T.maxapp, -EIO);
	if (!T.maxapp) {
		A_ERR(s4, T.zs + bs, -EIO);
		A_ERR(s2, T.zs, -EIO);
	}
	step("append to a FULL zone: EIO");
	A_ERR(s3, bs, -EIO);
	SAME(&snap);
	snap_free(&snap);

	step("after the errors, everything still works");
	A(z2, T.maxapp && T.maxapp < 64 * KiB ? T.maxapp : 64 * KiB, wp2);
	A(z5, 2 * bs, wp5);
	ZC(z5, ZK_COND_FULL, s5 + zlen(z5));
	W(s4, bs);
	W(s6 + bs, bs);
	ZC(z6, ZK_COND_IMP_OPEN, s6 + 2 * bs);
	DATA(z2);
	DATA_SAMPLE(z5);
	DATA(z6);
	if (T.nconv)
		check_range(__LINE__, 0, 64 * KiB, T.gen[0]);

	step("a refused write writes nothing of itself");
	snap_take(&snap);
	big = vm_alloc(T.zs);
	vm_fill(big, T.zs, s4 + bs, 77);
	CHECK_RET(zk_pwrite(T.zk, big, T.zs, s4 + bs), -EINVAL);
	SYNC();
	if (T.maxapp && T.maxapp < T.zs)
		CHECK_RET(zk_append(T.zk, s4, big, T.zs, &landed), -EINVAL);
	else /* no max append, or max append = zone size (scsi_debug) */
		CHECK_RET(zk_append(T.zk, s4, big, T.zs, &landed), -EIO);
	SYNC();
	SAME(&snap);
	snap_free(&snap);
	free(big);
	ZC(z4, ZK_COND_IMP_OPEN, s4 + bs);
	DATA(z4);
}

/* ---- zone operation arguments (zone_op_args.c) ---- */

static void case_zone_op_args(void)
{
	static const enum zk_op ops[] = { ZK_OP_RESET, ZK_OP_OPEN, ZK_OP_CLOSE,
					  ZK_OP_FINISH };
	static const char *const opn[] = { "?", "reset", "open", "close", "finish" };
	uint64_t bs = T.bs, zs = T.zs;
	uint32_t a = S(0), b = S(1);
	uint64_t sa = zst(a), sb = zst(b), last = zst(T.nz - 1);
	struct snap snap;

	step("setup");
	if (T.nconv)
		W(0, 8 * KiB);
	W(sa, 8 * KiB);
	W(sb, 8 * KiB);
	OP(ZK_OP_CLOSE, b);
	snap_take(&snap);
	for (unsigned int i = 0; i < 4; i++) {
		enum zk_op op = ops[i];

		snprintf(label, sizeof(label), "%s: not a zone start, not whole "
			 "zones, past the end: EINVAL", opn[op]);
		step(label);
		OP_ERR(op, sa + bs, zs, -EINVAL);
		OP_ERR(op, sb + 512, zs, -EINVAL);
		OP_ERR(op, sb - bs, zs, -EINVAL);
		OP_ERR(op, last + bs, zs - bs, -EINVAL);
		OP_ERR(op, sa, bs, -EINVAL);
		OP_ERR(op, sa, zs - bs, -EINVAL);
		OP_ERR(op, sa, zs + bs, -EINVAL);
		OP_ERR(op, sa, 2 * zs - bs, -EINVAL);
		OP_ERR(op, sa, 0, -EINVAL);
		OP_ERR(op, T.cap, zs, -EINVAL);
		OP_ERR(op, T.cap + 64 * zs, zs, -EINVAL);
		OP_ERR(op, last, 2 * zs, -EINVAL);
		OP_ERR(op, 0, T.cap + zs, -EINVAL);
		OP_ERR(op, sa, UINT64_MAX - zs + 1, -EINVAL);
		OP_ERR(op, UINT64_MAX - zs + 1, zs, -EINVAL);
		if (T.nconv) {
			snprintf(label, sizeof(label), "%s: conventional zone: EIO",
				 opn[op]);
			step(label);
			OP_ERR(op, 0, zs, -EIO);
			OP_ERR(op, zst(T.nconv - 1), zs, -EIO);
			OP_ERR(op, zst(T.nconv - 1), 2 * zs, -EIO); /* conv + seq */
			if (T.nconv > 1)
				OP_ERR(op, 0, 2 * zs, -EIO);
		}
		SAME(&snap);
	}
	step("unknown operation");
	CHECK(zk_zone_op(T.zk, (enum zk_op)0, sa, zs) < 0);
	CHECK(zk_zone_op(T.zk, (enum zk_op)99, sa, zs) < 0);
	SYNC();
	SAME(&snap);
	snap_free(&snap);
	step("the last zone with its own length");
	OP(ZK_OP_FINISH, T.nz - 1);
	ZC(T.nz - 1, ZK_COND_FULL, T.cap);
	OP(ZK_OP_RESET, T.nz - 1);
	ZC(T.nz - 1, ZK_COND_EMPTY, last);
}

/* ---- ALL operations (zone_op_all.c) ---- */

static uint32_t ze, zi, zx, zx0, zc, zf;

static void all_setup(void)
{
	uint64_t bs = T.bs;

	reset_all();
	W(zst(zf), bs);
	OP(ZK_OP_FINISH, zf);
	W(zst(zc), 4 * bs);
	OP(ZK_OP_CLOSE, zc);
	W(zst(zi), 2 * bs);
	OP(ZK_OP_OPEN, zx);
	W(zst(zx), 3 * bs);
	OP(ZK_OP_OPEN, zx0);
	ZC(ze, ZK_COND_EMPTY, zst(ze));
	ZC(zi, ZK_COND_IMP_OPEN, zst(zi) + 2 * bs);
	ZC(zx, ZK_COND_EXP_OPEN, zst(zx) + 3 * bs);
	ZC(zx0, ZK_COND_EXP_OPEN, zst(zx0));
	ZC(zc, ZK_COND_CLOSED, zst(zc) + 4 * bs);
	ZC(zf, ZK_COND_FULL, zst(zf) + zlen(zf));
}

static void all_check_rest(void)
{
	for (uint32_t z = ze; z <= zf; z++)
		DATA(z);
	if (T.nconv)
		check_range(__LINE__, 0, 64 * KiB, T.gen[0]);
	for (uint32_t z = 0; z < T.nconv; z++)
		ZC(z, ZK_COND_NOT_WP, zst(z) + zlen(z));
}

static void case_zone_op_all(void)
{
	uint64_t bs = T.bs;

	if ((T.mo && T.mo < 3) || (T.ma && T.ma < 4)) {
		info("max open %u, max active %u: skipped", T.mo, T.ma);
		return;
	}
	ze = S(0), zi = S(1), zx = S(2), zx0 = S(3), zc = S(4), zf = S(5);
	if (T.nconv)
		W(0, 64 * KiB);
	step("reset all");
	all_setup();
	OP_ERR(ZK_OP_RESET, 0, T.cap, 0);
	for (uint32_t z = T.nconv; z < T.nz; z++) {
		ZC(z, ZK_COND_EMPTY, zst(z));
		new_gen(z);
	}
	all_check_rest();
	step("close all");
	all_setup();
	OP_ERR(ZK_OP_CLOSE, 0, T.cap, 0);
	ZC(ze, ZK_COND_EMPTY, zst(ze));
	ZC(zi, ZK_COND_CLOSED, zst(zi) + 2 * bs);
	ZC(zx, ZK_COND_CLOSED, zst(zx) + 3 * bs);
	ZC2(zx0, ZK_COND_EMPTY, ZK_COND_CLOSED, zst(zx0));
	ZC(zc, ZK_COND_CLOSED, zst(zc) + 4 * bs);
	ZC(zf, ZK_COND_FULL, zst(zf) + zlen(zf));
	all_check_rest();
	step("finish all");
	all_setup();
	OP_ERR(ZK_OP_FINISH, 0, T.cap, 0);
	ZC(ze, ZK_COND_EMPTY, zst(ze));
	for (uint32_t z = zi; z <= zf; z++)
		ZC(z, ZK_COND_FULL, zst(z) + zlen(z));
	all_check_rest();
	step("open all");
	all_setup();
	OP_ERR(ZK_OP_OPEN, 0, T.cap, 0);
	ZC(ze, ZK_COND_EMPTY, zst(ze));
	/* three zones were open: with max open 3, opening the CLOSED one
	 * closes the only implicitly open zone */
	ZC(zi, T.mo && T.mo <= 3 ? ZK_COND_CLOSED : ZK_COND_IMP_OPEN,
	   zst(zi) + 2 * bs);
	ZC(zx, ZK_COND_EXP_OPEN, zst(zx) + 3 * bs);
	ZC(zx0, ZK_COND_EXP_OPEN, zst(zx0));
	ZC(zc, ZK_COND_EXP_OPEN, zst(zc) + 4 * bs);
	ZC(zf, ZK_COND_FULL, zst(zf) + zlen(zf));
	all_check_rest();
	step("every ALL operation on EMPTY zones: no-op");
	reset_all();
	OP_ERR(ZK_OP_RESET, 0, T.cap, 0);
	OP_ERR(ZK_OP_CLOSE, 0, T.cap, 0);
	OP_ERR(ZK_OP_FINISH, 0, T.cap, 0);
	OP_ERR(ZK_OP_OPEN, 0, T.cap, 0);
	for (uint32_t z = T.nconv; z < T.nz; z++)
		ZC(z, ZK_COND_EMPTY, zst(z));
	step("ranges of several zones");
	W(zst(S(1)), bs);
	W(zst(S(2)), bs);
	OP_ERR(ZK_OP_FINISH, zst(S(1)), 2 * T.zs, 0);
	ZC(S(1), ZK_COND_FULL, zst(S(1)) + zlen(S(1)));
	ZC(S(2), ZK_COND_FULL, zst(S(2)) + zlen(S(2)));
	ZC(S(3), ZK_COND_EMPTY, zst(S(3)));
	OP_ERR(ZK_OP_RESET, zst(S(1)), 2 * T.zs, 0);
	ZC(S(1), ZK_COND_EMPTY, zst(S(1)));
	ZC(S(2), ZK_COND_EMPTY, zst(S(2)));
	OP_ERR(ZK_OP_OPEN, zst(S(3)), 3 * T.zs, 0);
	for (uint32_t i = 3; i < 6; i++)
		ZC(S(i), ZK_COND_EXP_OPEN, zst(S(i)));
	OP_ERR(ZK_OP_CLOSE, zst(S(3)), 3 * T.zs, 0);
	for (uint32_t i = 3; i < 6; i++)
		ZC2(S(i), ZK_COND_EMPTY, ZK_COND_CLOSED, zst(S(i)));
	if (T.nconv)
		check_range(__LINE__, 0, 64 * KiB, T.gen[0]);
}

/* ---- limits (limits.c) ---- */

/* A write, append, open and finish of zone @z that must all fail with
 * @err and change nothing. */
#define REFUSED(z, err) refused(__LINE__, (z), (err))
static void refused(int line, uint32_t z, int err)
{
	uint64_t wp = zk_zone_at(line, z).wp, landed;
	struct snap snap;
	int r;

	snap_take(&snap);
	if ((r = (int)wr_junk(wp, T.bs)) != err)
		fail(line, "write to zone %u: %s, want %s", z, vm_errname(r),
		     vm_errname(err));
	sync_check(line);
	if ((r = zk_append(T.zk, zst(z), junk_buf(T.bs), T.bs, &landed)) != err)
		fail(line, "append to zone %u: %s, want %s", z, vm_errname(r),
		     vm_errname(err));
	sync_check(line);
	if ((r = zk_zone_op(T.zk, ZK_OP_OPEN, zst(z), zlen(z))) != err)
		fail(line, "open of zone %u: %s, want %s", z, vm_errname(r),
		     vm_errname(err));
	sync_check(line);
	if ((r = zk_zone_op(T.zk, ZK_OP_FINISH, zst(z), zlen(z))) != err)
		fail(line, "finish of zone %u: %s, want %s", z, vm_errname(r),
		     vm_errname(err));
	sync_check(line);
	snap_same(line, &snap);
	snap_free(&snap);
}

#define CENSUS(first, n, e_imp, e_exp, e_closed)                             \
	do {                                                                 \
		struct census c_ = census((first), (n));                     \
		if (c_.imp != (e_imp) || c_.exp != (e_exp) ||                \
		    c_.closed != (e_closed))                                 \
			fail(__LINE__, "zones %u-%u: %u IMP_OPEN, %u EXP_OPEN, " \
			     "%u CLOSED; want %u, %u, %u", (first),          \
			     (first) + (n) - 1, c_.imp, c_.exp, c_.closed,   \
			     (unsigned int)(e_imp), (unsigned int)(e_exp),   \
			     (unsigned int)(e_closed));                      \
	} while (0)

static void case_limits(void)
{
	uint32_t mo = T.mo, ma = T.ma, n;
	uint64_t bs = T.bs;

	if (!mo && !ma) {
		info("no open or active limit: skipped");
		return;
	}
	if (mo && (!ma || ma > mo)) {
		uint32_t N = S(mo);

		step("max open: explicit opens fill the open slots, then "
		     "ETOOMANYREFS for an EMPTY zone");
		reset_all();
		for (uint32_t i = 0; i < mo; i++) {
			OP(ZK_OP_OPEN, S(i));
			ZC(S(i), ZK_COND_EXP_OPEN, zst(S(i)));
		}
		REFUSED(N, -ETOOMANYREFS);
		if (!T.emu)
			RAW_IOCTL(BLKOPENZONE, N, dev_answers->open_limit_errno);
		step("writes to explicitly open zones need no slot");
		for (uint32_t i = 0; i < mo; i++)
			W(zst(S(i)), bs);
		CENSUS(S(0), mo, 0, mo, 0);
		step("close frees an open slot; a CLOSED zone closes the only "
		     "implicitly open one to reopen");
		OP(ZK_OP_CLOSE, S(0));
		ZC(S(0), ZK_COND_CLOSED, zst(S(0)) + bs);
		W(zst(N), bs);
		ZC(N, ZK_COND_IMP_OPEN, zst(N) + bs);
		if (!ma || ma > mo + 1) {
			W(zst(S(0)) + bs, bs);
			ZC(S(0), ZK_COND_IMP_OPEN, zst(S(0)) + 2 * bs);
			ZC(N, ZK_COND_CLOSED, zst(N) + bs);
		} else {
			REFUSED(S(0), -ETOOMANYREFS);
			OP(ZK_OP_CLOSE, N);
			W(zst(S(0)) + bs, bs);
			ZC(S(0), ZK_COND_IMP_OPEN, zst(S(0)) + 2 * bs);
		}
		step("every open slot explicit: a CLOSED zone gets ETOOMANYREFS "
		     "(write, append, open, finish)");
		OP(ZK_OP_OPEN, S(0));
		CENSUS(S(0), mo, 0, mo, 0);
		REFUSED(N, -ETOOMANYREFS);
		step("close of an explicitly opened zone; the slot is used again");
		OP(ZK_OP_CLOSE, S(1));
		ZC(S(1), ZK_COND_CLOSED, zst(S(1)) + bs);
		W(zst(N) + bs, bs);
		ZC(N, ZK_COND_IMP_OPEN, zst(N) + 2 * bs);
		step("finish frees a slot; a zone written to capacity too");
		OP(ZK_OP_FINISH, S(0));
		ZC(S(0), ZK_COND_FULL, zst(S(0)) + zlen(S(0)));
		if (mo > 2) {
			W(zst(S(2)) + bs, T.zcap - bs);
			ZC(S(2), ZK_COND_FULL, zst(S(2)) + zlen(S(2)));
			DATA_SAMPLE(S(2));
		}
		n = census(S(0), T.nseq).imp + census(S(0), T.nseq).exp;
		CHECK(n < mo);
		OP(ZK_OP_OPEN, S(mo + 1));
		ZC(S(mo + 1), ZK_COND_EXP_OPEN, zst(S(mo + 1)));
	}
	if (ma) {
		uint32_t N = S(ma), cz = UINT32_MAX;

		step("max active: writes to max_active zones, then EOVERFLOW "
		     "for an EMPTY zone");
		reset_all();
		kb_begin("implicit closes: zones the device closed that zonekit "
			 "thinks open (zone_state.c: the implicitly open list)");
		for (uint32_t i = 0; i < ma; i++)
			W(zst(S(i)), bs);
		KB_END();
		n = mo && mo < ma ? mo : ma;
		CENSUS(S(0), ma, n, 0, ma - n);
		REFUSED(N, -EOVERFLOW);
		/* (QEMU ZNS closes a zone even when it refuses: later) */
		if (T.null_blk)
			RAW_IOCTL(BLKOPENZONE, N, EOVERFLOW);
		if (mo && mo < ma) {
			for (uint32_t i = 0; i < ma && cz == UINT32_MAX; i++)
				if (COND(S(i)) == ZK_COND_CLOSED)
					cz = S(i);
			info("implicitly closed by the device: zone %u first", cz);
			step("open and active slots full: a CLOSED zone gets "
			     "ETOOMANYREFS");
			REFUSED(cz, -ETOOMANYREFS);
			if (T.null_blk) /* QEMU ZNS would open it, closing another */
				RAW_IOCTL(BLKOPENZONE, cz, ETOOMANYREFS);
			step("finish of an open zone frees both slots");
			OP(ZK_OP_FINISH, S(ma - 1));
			kb_begin("implicit closes: zones the device closed that "
				 "zonekit thinks open");
			W(zst(cz) + bs, bs);
			W(zst(N), bs);
			KB_END();
			ZC(cz, ZK_COND_IMP_OPEN, zst(cz) + 2 * bs);
			ZC(N, ZK_COND_IMP_OPEN, zst(N) + bs);
			CENSUS(S(0), ma + 1, n, 0, ma - n);
			REFUSED(S(ma + 1), -EOVERFLOW);
		}
		step("reset frees the active slot");
		OP(ZK_OP_RESET, S(0));
		W(zst(S(ma + 1)), bs);
		ZC(S(ma + 1), ZK_COND_IMP_OPEN, zst(S(ma + 1)) + bs);
		REFUSED(S(ma + 2), -EOVERFLOW);
		if (!T.emu)
			RAW_IOCTL(BLKOPENZONE, S(ma + 2), EOVERFLOW);
		step("close of an explicitly opened, unwritten zone frees it "
		     "(null_blk; ZNS keeps it CLOSED)");
		OP(ZK_OP_RESET, S(1));
		OP(ZK_OP_OPEN, S(1));
		OP(ZK_OP_CLOSE, S(1));
		if (COND(S(1)) == ZK_COND_EMPTY) {
			W(zst(S(ma + 2)), bs);
		} else {
			CHECK(!T.exact);
			REFUSED(S(ma + 2), -EOVERFLOW);
		}
	}
	if (mo && (!ma || ma > mo + 1)) {
		struct census c;

		step("implicit close: a write to an EMPTY zone with every open "
		     "slot implicitly open closes one (the device's choice)");
		reset_all();
		kb_begin("implicit close");
		for (uint32_t i = 0; i < mo; i++)
			W(zst(S(i)), bs);
		W(zst(S(mo)), bs);
		KB_END();
		CENSUS(S(0), mo + 1, mo, 0, 1);
		ZC(S(mo), ZK_COND_IMP_OPEN, zst(S(mo)) + bs);
		for (uint32_t i = 0; i < mo; i++)
			if (COND(S(i)) == ZK_COND_CLOSED)
				info("closed: zone %u", S(i));
		step("an append to the CLOSED zone closes another");
		for (uint32_t i = 0; i < mo; i++) {
			if (COND(S(i)) == ZK_COND_CLOSED) {
				kb_begin("implicit close");
				A(S(i), bs, zst(S(i)) + bs);
				KB_END();
				ZC(S(i), ZK_COND_IMP_OPEN, zst(S(i)) + 2 * bs);
				break;
			}
		}
		CENSUS(S(0), mo + 1, mo, 0, 1);
		step("an explicit open closes one too");
		kb_begin("implicit close by an explicit open: zk_zone_op() never "
			 "asks the device which zone it closed (zone_ops.c: "
			 "zs_recheck_implicit() runs after writes only)");
		OP(ZK_OP_OPEN, S(mo + 1));
		KB_END();
		c = census(S(0), mo + 2);
		CHECK(c.imp == mo - 1 && c.exp == 1 && c.closed == 2);
		step("the same in a new session (zonekit's choice starts afresh, "
		     "the device's does not)");
		reopen(0);
		reset_all();
		kb_begin("implicit close in a new session");
		for (uint32_t i = 0; i <= mo; i++)
			W(zst(S(i)), bs);
		KB_END();
		CENSUS(S(0), mo + 1, mo, 0, 1);

		/* Zones opened in reverse order: QEMU ZNS closes the one
		 * opened first, null_blk and zonekit the first from a cursor
		 * in zone order.  Every implicit close then differs from
		 * zonekit's guess; after each write zonekit must still agree
		 * with the device. */
		step("implicit closes where the device's choice differs from "
		     "zonekit's (zones opened in reverse order)");
		reopen(0);
		reset_all();
		kb_begin("implicit closes chosen by the device: zone_state.c "
			 "drops a zone from its implicitly open list when "
			 "zs_recheck_implicit() reopens it while the list is full");
		for (uint32_t i = mo; i-- > 0;)
			W(zst(S(i)), bs);
		/* one active slot left: a CLOSED zone can be written again */
		for (uint32_t i = mo; i < (ma ? ma - 1 : mo + 3); i++)
			W(zst(S(i)), bs);
		for (uint32_t round = 0; round < mo + 2; round++)
			for (uint32_t i = 0; i < (ma ? ma - 1 : mo + 3); i++)
				if (COND(S(i)) == ZK_COND_CLOSED)
					W(WP(S(i)), bs);
		KB_END();
		c = census(S(0), ma ? ma - 1 : mo + 3);
		CHECK(c.imp == mo && c.exp == 0);
	}
}

/* ---- capacity < size (zone_capacity.c) ---- */

static void case_capacity(void)
{
	uint64_t bs = T.bs, cap = T.zcap, zs = T.zs;
	uint32_t a = S(0), b = S(1), c = S(2), d = S(3), e = S(4);
	uint64_t sa = zst(a), sb = zst(b), sc = zst(c), sd = zst(d), se = zst(e);
	struct snap snap;

	if (cap == zs) {
		info("zone capacity = zone size: skipped");
		return;
	}
	step("report: capacity");
	CHECK(ZONE(a).capacity == cap && ZONE(a).len == zs);
	step("write up to one block before the capacity, then across it: EIO, "
	     "nothing written");
	W(sa, cap - bs);
	ZC(a, ZK_COND_IMP_OPEN, sa + cap - bs);
	snap_take(&snap);
	W_ERR(sa + cap - bs, 2 * bs, -EIO);
	W_ERR(sa + cap - bs, zs - cap + bs, -EIO);
	W_ERR(sa + cap, bs, -EIO);
	W_ERR(sa + zs - bs, bs, -EIO);
	A_ERR(sa, 2 * bs, -EIO);
	if (!T.maxapp || zs - cap + bs <= T.maxapp)
		A_ERR(sa, zs - cap + bs, -EIO);
	SAME(&snap);
	snap_free(&snap);
	W(sa + cap - bs, bs);
	ZC(a, ZK_COND_FULL, sa + zs);
	DATA_SAMPLE(a);
	step("FULL at capacity: nothing more");
	W_ERR(sa + cap, bs, -EIO);
	W_ERR(sa + zs - bs, bs, -EIO);
	A_ERR(sa, bs, -EIO);
	step("append up to the capacity");
	append_to_capacity(__LINE__, b);
	ZC(b, ZK_COND_FULL, sb + zs);
	DATA_SAMPLE(b);
	step("one write of the whole capacity; of the zone size: EIO");
	W(sc, cap);
	ZC(c, ZK_COND_FULL, sc + zs);
	W_ERR(sd, zs, -EIO);
	ZC(d, ZK_COND_EMPTY, sd);
	step("finish");
	W(sd, bs);
	OP(ZK_OP_FINISH, d);
	ZC(d, ZK_COND_FULL, sd + zs);
	W_ERR(sd + bs, bs, -EIO);
	DATA(d);
	step("reset and again");
	OP(ZK_OP_RESET, a);
	ZC(a, ZK_COND_EMPTY, sa);
	W(sa, cap);
	ZC(a, ZK_COND_FULL, sa + zs);
	DATA_SAMPLE(a);
	step("partly written zone across a reopen");
	W(se, cap - bs);
	reopen(0);
	ZC(a, ZK_COND_FULL, sa + zs);
	ZC(b, ZK_COND_FULL, sb + zs);
	ZC(c, ZK_COND_FULL, sc + zs);
	ZC(d, ZK_COND_FULL, sd + zs);
	CHECK(WP(e) == se + cap - bs);
	info("zone %u after reopen: %s", e, vm_condname(COND(e)));
	if (T.emu) /* kept across a clean close, as a device keeps it */
		ZC(e, ZK_COND_IMP_OPEN, se + cap - bs);
	DATA_SAMPLE(a);
	DATA_SAMPLE(b);
	DATA_SAMPLE(c);
	DATA_SAMPLE(e);
	W_ERR(se + cap - bs, 2 * bs, -EIO);
	A(e, bs, se + cap - bs);
	ZC(e, ZK_COND_FULL, se + zs);
	DATA_SAMPLE(e);

	if (!T.emu && !dev_answers->refuses_write_across_capacity)
		info("a large write across the capacity: left out on %s, which "
		     "does not check it", dev_answers->name);
	else if (!T.emu && cap >= 2 * MiB) {
		/* zonekit never sends such a write: make its backend send one
		 * (as a stale model would) to see what the device keeps, and
		 * that zonekit re-learns the zone at its next write. */
		uint32_t f = S(5);
		uint64_t sf = zst(f), left = 512 * KiB, wp, landed;
		size_t len = 1 * MiB;
		char *buf = vm_alloc(len);
		struct iovec iov = { .iov_base = buf, .iov_len = len };
		struct zk_stats before, after;
		ssize_t r;

		step("a large write across the capacity (sent by the backend): "
		     "EIO, maybe partly applied; zonekit re-learns");
		W(sf, cap - left);
		wp = WP(f);
		memset(buf, 0xa5, len);
		r = T.zk->ops->pwritev(T.zk, f, &iov, 1, wp);
		CHECK_RET(r, -EIO);
		compare_views(__LINE__, true, &(unsigned int){ 0 },
			      &(unsigned int){ 0 });
		info("backend write of 1 MiB with 512 KiB left: %s; device: "
		     "%s, %" PRIu64 " KiB of it applied", vm_errname(r),
		     vm_condname(T.dz[f].cond),
		     ((T.dz[f].cond == ZK_COND_FULL ? sf + cap : T.dz[f].wp) -
		      wp) / KiB);
		zk_stats(T.zk, &before);
		r = ap(f, bs, &landed);
		zk_stats(T.zk, &after);
		info("next append: %s, relearns %" PRIu64 " -> %" PRIu64
		     ", retried %" PRIu64 " -> %" PRIu64, vm_errname(r),
		     before.relearns, after.relearns, before.retried,
		     after.retried);
		CHECK(after.relearns > before.relearns);
		/* nothing of the append went in: it is placed again at the
		 * device's wp, unless the device made the zone FULL (ZNS) */
		if (T.dz[f].cond == ZK_COND_FULL) {
			CHECK_RET(r, -EIO);
		} else {
			CHECK_RET(r, 0);
			CHECK(landed == T.dz[f].wp);
			CHECK(after.retried > before.retried);
		}
		SYNC(); /* re-learnt: the same wp as the device, no resync */
		if (COND(f) != ZK_COND_FULL) {
			uint64_t w = WP(f);

			T.written[f] = 0; /* the device's bytes: not the pattern */
			A(f, bs, w);
		}
		free(buf);
		OP(ZK_OP_RESET, f);
	}
}

/* ---- conventional zones (conventional.c) ---- */

static void case_conventional(void)
{
	uint64_t bs = T.bs, win = T.zs < 1 * MiB ? T.zs : 1 * MiB;
	uint32_t nblk = (uint32_t)(win / bs), *owner;
	uint64_t rnd = 0x1234567, zero_gen;
	struct zk_zone before[64];
	char *buf;

	if (!T.nconv) {
		info("no conventional zones: skipped");
		return;
	}
	step("report: CONVENTIONAL, NOT_WP, wp at the end");
	for (uint32_t z = 0; z < T.nconv && z < 64; z++) {
		before[z] = ZONE(z);
		ZC(z, ZK_COND_NOT_WP, zst(z) + zlen(z));
		CHECK(before[z].type == ZK_ZONE_CONVENTIONAL);
	}
	step("random writes anywhere in the first MiB of each, and at their "
	     "ends (overwrites included)");
	owner = calloc((size_t)T.nconv * nblk, sizeof(*owner));
	CHECK(owner);
	buf = vm_alloc(8 * bs);
	for (uint32_t i = 1; i <= 300; i++) {
		uint32_t z = (uint32_t)(vm_rand(&rnd) % T.nconv);
		uint32_t b = (uint32_t)(vm_rand(&rnd) % nblk);
		uint32_t n = 1 + (uint32_t)(vm_rand(&rnd) % 8);
		uint64_t off;

		if (b + n > nblk)
			n = nblk - b;
		off = zst(z) + (uint64_t)b * bs;
		vm_fill(buf, n * bs, off, 5000 + i);
		CHECK_RET(zk_pwrite(T.zk, buf, n * bs, off), n * bs);
		for (uint32_t k = 0; k < n; k++)
			owner[z * nblk + b + k] = 5000 + i;
		if (i % 25 == 0)
			SYNC();
	}
	for (uint32_t z = 0; z < T.nconv; z++) /* the last blocks */
		W(zst(z) + zlen(z) - 2 * bs, 2 * bs);
	for (int pass = 0; pass < 2; pass++) {
		step(pass ? "read back after a reopen" : "read back");
		for (uint32_t z = 0; z < T.nconv; z++) {
			char *data = vm_alloc(win);

			CHECK_RET(zk_pread(T.zk, data, win, zst(z)), win);
			for (uint32_t b = 0; b < nblk; b++) {
				uint32_t o = owner[z * nblk + b];
				uint64_t off = zst(z) + (uint64_t)b * bs;

				if (o && vm_bad(data + (uint64_t)b * bs, bs, off, o) >= 0)
					fail(__LINE__, "conventional block at %#"
					     PRIx64 ": not what write %u wrote",
					     off, o - 5000);
			}
			free(data);
			check_range(__LINE__, zst(z) + zlen(z) - 2 * bs, 2 * bs,
				    T.gen[z]);
		}
		if (!pass)
			reopen(0);
	}
	step("the zones are unchanged by writes");
	for (uint32_t z = 0; z < T.nconv && z < 64; z++) {
		struct zk_zone now = ZONE(z);

		CHECK(!memcmp(&before[z], &now, sizeof(now)));
	}
	step("appends and zone operations: EIO");
	for (uint32_t z = 0; z < T.nconv; z++) {
		A_ERR(zst(z), bs, -EIO);
		for (int op = ZK_OP_RESET; op <= ZK_OP_FINISH; op++)
			OP_ERR((enum zk_op)op, zst(z), T.zs, -EIO);
	}
	if (!T.emu) {
		/* the device agrees */
		RAW_IOCTL_OR(BLKRESETZONE, 0, EIO, dev_answers->refused_op_errno);
		RAW_IOCTL_OR(BLKFINISHZONE, 0, EIO, dev_answers->refused_op_errno);
	}
	step("no write across a zone boundary: EINVAL");
	W_ERR(T.zs - bs, 2 * bs, -EINVAL);
	W_ERR(zst(T.nconv) - bs, 2 * bs, -EINVAL); /* into the first seq zone */
	W_ERR(0, 2 * T.zs, -EINVAL);
	step("last block of the last conventional zone, first of the next");
	zero_gen = T.gen[T.nconv - 1];
	W(zst(T.nconv) - bs, bs);
	W(zst(T.nconv), bs);
	check_range(__LINE__, zst(T.nconv) - bs, bs, zero_gen);
	DATA(T.nconv);
	ZC(T.nconv, ZK_COND_IMP_OPEN, zst(T.nconv) + bs);
	W_ERR(zst(T.nconv), bs, -EIO); /* the sequential zone keeps its rules */
	free(owner);
	free(buf);
}

/* ---- persistence across zk_close/zk_open (reopen.c) ---- */

/* @cycled: the emulated device went through zk_power_cycle() */
static void check_after_reopen(struct zk_zone *was, unsigned int flags,
			       bool cycled)
{
	for (uint32_t z = T.nconv; z < T.nz; z++) {
		struct zk_zone now = ZONE(z);

		CHECK(now.wp == was[z].wp);
		if (T.emu) {
			/* A clean close keeps every condition, as a device
			 * does; after a power cycle partly written zones come
			 * back CLOSED, empty ones EMPTY. */
			unsigned int want = was[z].cond;

			if (cycled && (want == ZK_COND_IMP_OPEN ||
				       want == ZK_COND_EXP_OPEN))
				want = now.wp == now.start ? ZK_COND_EMPTY :
							     ZK_COND_CLOSED;
			ZC(z, want, was[z].wp);
		} else if (now.cond != was[z].cond) {
			/* a real device keeps what it had: compared with the
			 * device by SYNC(); print what changed */
			info("zone %u: %s before, %s after (the device's)", z,
			     vm_condname(was[z].cond), vm_condname(now.cond));
		}
		if (T.written[z])
			DATA_SAMPLE(z);
	}
	for (uint32_t z = 0; z < T.nconv; z++)
		ZC(z, ZK_COND_NOT_WP, zst(z) + zlen(z));
	CHECK(T.info.flags == flags);
}

static void case_reopen(void)
{
	uint64_t bs = T.bs;
	uint32_t a = S(0), b = S(1), c = S(2), d = S(3), e = S(4), f = S(5),
		 g = S(6), h = S(7), i = S(8), j = S(9), k = S(10);
	struct zk_zone *was = calloc(T.nz, sizeof(*was));
	unsigned int nr;
	struct census cs;

	CHECK(was);
	if ((T.mo && T.mo < 3) || (T.ma && T.ma < 5)) {
		info("max open %u, max active %u: skipped", T.mo, T.ma);
		free(was);
		return;
	}
	step("zones in every condition");
	if (T.nconv)
		W(0, 64 * KiB);
	W(zst(e), 7 * bs);
	OP(ZK_OP_CLOSE, e);                   /* CLOSED */
	W(zst(f), T.zcap);                    /* FULL by writes */
	W(zst(g), 2 * bs);
	OP(ZK_OP_FINISH, g);                  /* FULL by finish */
	OP(ZK_OP_FINISH, h);                  /* FULL, finished EMPTY */
	W(zst(i), 9 * bs);
	OP(ZK_OP_RESET, i);                   /* reset after data */
	W(zst(b), 3 * bs);                    /* IMP_OPEN */
	OP(ZK_OP_OPEN, c);
	A(c, 5 * bs, zst(c));                 /* EXP_OPEN with data */
	OP(ZK_OP_OPEN, d);                    /* EXP_OPEN, nothing written */
	(void)a;                              /* EMPTY */
	SYNC();
	for (int round = 0; round < 4; round++) {
		unsigned int flags = round == 1 ? ZK_RDONLY : 0;
		bool cycle = round == 3 && T.emu;

		snprintf(label, sizeof(label), "close and reopen %s%s",
			 flags ? "read-only" : "read-write",
			 cycle ? ", after zk_power_cycle" : "");
		step(label);
		nr = T.nz;
		CHECK_RET(zk_report(T.zk, 0, was, &nr), 0);
		if (cycle) {
			zk_close(T.zk);
			T.zk = NULL;
			CHECK_RET(zk_power_cycle(T.path), 0);
		}
		reopen(flags);
		check_after_reopen(was, flags, cycle);
	}
	step("writing on after reopen");
	/* free active slots whatever the device kept open */
	OP(ZK_OP_FINISH, c);
	OP(ZK_OP_FINISH, e);
	W(zst(j), T.zcap - bs); /* all but one block */
	W(zst(b) + 3 * bs, bs);
	ZC(b, ZK_COND_IMP_OPEN, zst(b) + 4 * bs);
	A(j, bs, zst(j) + T.zcap - bs);
	ZC(j, ZK_COND_FULL, zst(j) + zlen(j));
	W_ERR(zst(g) + 2 * bs, bs, -EIO);
	W_ERR(zst(e), bs, -EIO);
	A(a, bs, zst(a));
	A(k, bs, zst(k));
	OP(ZK_OP_OPEN, d);
	ZC(d, ZK_COND_EXP_OPEN, zst(d));
	step("a second reopen keeps what was written after the first");
	nr = T.nz;
	CHECK_RET(zk_report(T.zk, 0, was, &nr), 0);
	reopen(0);
	check_after_reopen(was, 0, false);
	DATA_SAMPLE(j);

	if (T.ma) {
		uint32_t target = UINT32_MAX;

		step("CLOSED (or still open) zones hold their active slots "
		     "after reopen");
		reset_all();
		for (uint32_t z = 0; z < T.ma; z++)
			W(zst(S(z)), bs);
		reopen(0);
		cs = census(S(0), T.ma);
		CHECK(cs.imp + cs.exp + cs.closed == T.ma);
		info("after reopen: %u IMP_OPEN, %u CLOSED", cs.imp, cs.closed);
		W_ERR(zst(S(T.ma)), bs, -EOVERFLOW);
		OP_ERR(ZK_OP_OPEN, zst(S(T.ma)), T.zs, -EOVERFLOW);
		for (uint32_t z = 0; z < T.ma && target == UINT32_MAX; z++)
			if (COND(S(z)) == ZK_COND_IMP_OPEN)
				target = S(z);
		for (uint32_t z = 0; z < T.ma && target == UINT32_MAX; z++)
			if (COND(S(z)) == ZK_COND_CLOSED)
				target = S(z);
		W(zst(target) + bs, bs);
		ZC(target, ZK_COND_IMP_OPEN, zst(target) + 2 * bs);
		OP(ZK_OP_FINISH, target);
		W(zst(S(T.ma)), bs);
	}
	free(was);
}

/* ---- read-only open (rdonly_open.c) ---- */

static void case_rdonly(void)
{
	static const enum zk_op ops[] = { ZK_OP_RESET, ZK_OP_OPEN, ZK_OP_CLOSE,
					  ZK_OP_FINISH };
	uint64_t bs = T.bs;
	uint32_t a = S(0), b = S(1), c = S(2), e = S(3);
	struct snap snap;

	step("setup, then reopen read-only");
	if (T.nconv)
		W(0, 2 * bs);
	W(zst(a), 3 * bs);
	W(zst(b), bs);
	OP(ZK_OP_FINISH, b);
	W(zst(c), bs);
	OP(ZK_OP_CLOSE, c);
	reopen(ZK_RDONLY);
	snap_take(&snap);
	step("reads and reports work");
	DATA(a);
	DATA(b);
	if (T.nconv)
		check_range(__LINE__, 0, 2 * bs, T.gen[0]);
	CHECK(ZONE(b).cond == ZK_COND_FULL);
	CHECK_RET(zk_flush(T.zk), 0);
	step("writes, appends and zone operations: EBADF");
	if (T.nconv)
		W_ERR(0, bs, -EBADF);
	W_ERR(zst(a) + 3 * bs, bs, -EBADF);
	W_ERR(zst(e), bs, -EBADF);
	A_ERR(zst(a), bs, -EBADF);
	A_ERR(zst(e), bs, -EBADF);
	for (unsigned int i = 0; i < 4; i++) {
		OP_ERR(ops[i], zst(a), T.zs, -EBADF);
		OP_ERR(ops[i], zst(c), T.zs, -EBADF);
		OP_ERR(ops[i], zst(e), T.zs, -EBADF);
		OP_ERR(ops[i], 0, T.cap, -EBADF);
	}
	SAME(&snap);
	snap_free(&snap);
	step("read-write again");
	reopen(0);
	W(zst(a) + 3 * bs, bs);
	DATA(a);
}

/* ---- reads (read.c) ---- */

struct rrange {
	uint64_t off, len;
};

/* Read @r; every byte below the wp of its zone must be the pattern; past
 * the wp: zeros on the emulated device, anything on a real one. */
static void read_check(int line, uint64_t off, uint64_t len)
{
	char *buf = vm_alloc(len);
	uint64_t pos = 0;

	memset(buf, 0xee, len);
	if (zk_pread(T.zk, buf, len, off) != (ssize_t)len)
		fail(line, "zk_pread(%#" PRIx64 ", %#" PRIx64 ") failed", off, len);
	while (pos < len) {
		uint64_t o = off + pos;
		uint32_t z = (uint32_t)(o / T.zs);
		uint64_t zend = zst(z) + zlen(z), n = zend - o < len - pos ?
			zend - o : len - pos;
		uint64_t good = z < T.nconv ? n :
			(zst(z) + T.written[z] > o ?
			 zst(z) + T.written[z] - o : 0);

		if (good > n)
			good = n;
		if (z >= T.nconv && good &&
		    vm_bad(buf + pos, good, o, T.gen[z]) >= 0)
			fail(line, "read %#" PRIx64 "+%#" PRIx64 ": wrong data in "
			     "zone %u", off, len, z);
		if (T.emu && z >= T.nconv)
			for (uint64_t i = good; i < n; i++)
				if (buf[pos + i])
					fail(line, "emulated device: byte %#"
					     PRIx64 " past the wp is not zero",
					     o + i);
		pos += n;
	}
	free(buf);
}

static void case_read(void)
{
	uint64_t bs = T.bs, zs = T.zs, cap = T.zcap;
	uint32_t a = S(0), b = S(1), c = S(2), d = S(3), e = S(4);
	char *buf = vm_alloc(4 * bs);

	step("zones: partly written, FULL at capacity, EMPTY, finished, partly");
	W(zst(a), 40 * KiB);
	W(zst(b), cap);
	W(zst(d), 8 * KiB);
	OP(ZK_OP_FINISH, d);
	W(zst(e), 12 * KiB);
	step("reads across zone boundaries (bytes past the wp: not checked on "
	     "a real device)");
	{
		struct rrange r[] = {
			{ zst(a) + 36 * KiB, 8 * KiB },      /* across a's wp */
			{ zst(b) - 256 * KiB, 512 * KiB },   /* past a's wp -> b */
			{ zst(b) + cap - 256 * KiB, 512 * KiB }, /* b's capacity */
			{ zst(c) - 64 * KiB, zs + 128 * KiB }, /* b -> c -> d */
			{ zst(e) - 64 * KiB, 128 * KiB },    /* d (finished) -> e */
			{ T.cap - 256 * KiB, 256 * KiB },    /* the device end */
		};

		for (unsigned int i = 0; i < sizeof(r) / sizeof(r[0]); i++)
			read_check(__LINE__, r[i].off, r[i].len);
		if (T.nconv) /* conventional -> sequential */
			read_check(__LINE__, zst(T.nconv) - 4 * bs, 8 * bs);
	}
	step("reads past the wp, past the capacity, of an EMPTY zone succeed");
	CHECK_RET(zk_pread(T.zk, buf, 4 * bs, zst(a) + 40 * KiB), 4 * bs);
	CHECK_RET(zk_pread(T.zk, buf, 4 * bs, zst(b) + cap), 4 * bs);
	CHECK_RET(zk_pread(T.zk, buf, 4 * bs, zst(c)), 4 * bs);
	CHECK_RET(zk_pread(T.zk, buf, 4 * bs, zst(c) + zs - 4 * bs), 4 * bs);
	SYNC();
	step("bad reads: EINVAL");
	CHECK_RET(zk_pread(T.zk, buf, 0, zst(a)), -EINVAL);
	CHECK_RET(zk_pread(T.zk, buf, bs + 1, zst(a)), -EINVAL);
	CHECK_RET(zk_pread(T.zk, buf, bs, zst(a) + 1), -EINVAL);
	CHECK_RET(zk_pread(T.zk, buf, bs, T.cap), -EINVAL);
	CHECK_RET(zk_pread(T.zk, buf, 2 * bs, T.cap - bs), -EINVAL);
	step("a read moves nothing");
	ZC(a, ZK_COND_IMP_OPEN, zst(a) + 40 * KiB);
	ZC(c, ZK_COND_EMPTY, zst(c));
	ZC(b, ZK_COND_FULL, zst(b) + zs);
	step("after a reset and a reopen");
	OP(ZK_OP_RESET, a);
	read_check(__LINE__, zst(a), 1 * MiB);
	W(zst(a), bs);
	reopen(ZK_RDONLY);
	read_check(__LINE__, zst(a), 1 * MiB);
	read_check(__LINE__, zst(b) - 64 * KiB, 128 * KiB);
	read_check(__LINE__, zst(d) - 64 * KiB, 128 * KiB);
	reopen(0);
	free(buf);
}

/* ---- appends (append.c) ---- */

static void case_append(void)
{
	uint64_t bs = T.bs, w;
	uint32_t a = S(0), b = S(1), c = S(2);

	step("landed offsets follow the wp");
	for (unsigned int i = 1; i <= 8; i++) {
		w = WP(a);
		A(a, i * bs, w);
		CHECK(WP(a) == w + i * bs);
	}
	ZC(a, ZK_COND_IMP_OPEN, zst(a) + 36 * bs);
	if (T.maxapp) {
		/* the longest append that fits (max append can be the zone
		 * size: scsi_debug) */
		uint64_t room = zcap_of(a) - 36 * bs;

		w = WP(a);
		A(a, T.maxapp < room ? T.maxapp : room / 2 / bs * bs, w);
	}
	DATA(a);
	step("append to EXP_OPEN keeps it, to CLOSED opens it");
	OP(ZK_OP_OPEN, b);
	A(b, bs, zst(b));
	ZC(b, ZK_COND_EXP_OPEN, zst(b) + bs);
	A(c, 2 * bs, zst(c));
	OP(ZK_OP_CLOSE, c);
	A(c, bs, zst(c) + 2 * bs);
	ZC(c, ZK_COND_IMP_OPEN, zst(c) + 3 * bs);
	DATA(b);
	DATA(c);
	step("appends mixed with writes");
	for (unsigned int i = 0; i < 16; i++) {
		w = WP(a);
		if (i % 2)
			W(w, (i + 1) * bs);
		else
			A(a, (i + 1) * bs, w);
	}
	DATA(a);
	CHECK_RET(zk_flush(T.zk), 0);
}

/* ---- many threads (requirement: 8 threads, one zone and several) ---- */

#define THREADS 8

struct arec {
	uint64_t off, tag;
	uint32_t len, zi;
};

struct athread {
	pthread_t th;
	unsigned int id, nzones, per;
	uint32_t *zones;
	struct arec *rec;
	int err;
	uint64_t unit, most;
};

static void *athread_main(void *arg)
{
	struct athread *a = arg;
	char *mem = vm_alloc(a->unit * a->most + 64);
	uint64_t rnd = 0x9e3779b97f4a7c15ULL * (a->id + 1);

	for (unsigned int i = 0; i < a->per && !a->err; i++) {
		struct arec *r = &a->rec[i];
		/* every other append from an unaligned buffer (bounced) */
		char *buf = mem + (i % 2 ? 8 : 0);

		r->zi = (a->id + i) % a->nzones;
		r->len = (uint32_t)(a->unit * (1 + vm_rand(&rnd) % a->most));
		r->tag = ((uint64_t)(a->id + 1) << 32) | i;
		vm_fill(buf, r->len, 0, r->tag);
		a->err = zk_append(T.zk, zst(a->zones[r->zi]), buf, r->len,
				   &r->off);
	}
	free(mem);
	return NULL;
}

static int arec_cmp(const void *x, const void *y)
{
	const struct arec *a = x, *b = y;

	return a->off < b->off ? -1 : a->off > b->off;
}

/* Every append of zone index @zi: contiguous from the zone start, and each
 * holding its own data. */
static void verify_appends(int line, struct arec *all, size_t n, uint32_t zi,
			   uint32_t z)
{
	struct arec *mine = calloc(n, sizeof(*mine));
	uint64_t end = zst(z), total;
	size_t m = 0;
	char *data;

	CHECK(mine);
	for (size_t i = 0; i < n; i++)
		if (all[i].zi == zi)
			mine[m++] = all[i];
	qsort(mine, m, sizeof(*mine), arec_cmp);
	for (size_t i = 0; i < m; i++) {
		if (mine[i].off != end)
			fail(line, "zone %u: append %zu landed at +%" PRIu64
			     " KiB, expected +%" PRIu64 " KiB", z, i,
			     (mine[i].off - zst(z)) / KiB, (end - zst(z)) / KiB);
		end += mine[i].len;
	}
	if (WP(z) != end && !(COND(z) == ZK_COND_FULL && end == zst(z) + zcap_of(z)))
		fail(line, "zone %u: wp +%" PRIu64 " KiB, appends end at +%"
		     PRIu64 " KiB", z, (WP(z) - zst(z)) / KiB,
		     (end - zst(z)) / KiB);
	total = end - zst(z);
	data = vm_alloc(total ? total : 1);
	if (total && zk_pread(T.zk, data, total, zst(z)) != (ssize_t)total)
		fail(line, "read back of zone %u failed", z);
	for (size_t i = 0; i < m; i++)
		if (vm_bad(data + (mine[i].off - zst(z)), mine[i].len, 0,
			   mine[i].tag) >= 0)
			fail(line, "zone %u: data of append %#" PRIx64 " at +%"
			     PRIu64 " KiB is not its own", z, mine[i].tag,
			     (mine[i].off - zst(z)) / KiB);
	if (!T.emu && total) {
		char *raw = vm_alloc(total);

		if (pread(T.raw_dio, raw, total, (off_t)zst(z)) != (ssize_t)total ||
		    memcmp(raw, data, total))
			fail(line, "zone %u: raw read differs", z);
		free(raw);
	}
	T.written[z] = 0; /* tag patterns, not the zone's: not tracked */
	free(data);
	free(mine);
}

static void run_threads(int line, uint32_t *zones, unsigned int nzones)
{
	struct athread a[THREADS];
	unsigned int round = 0;
	struct arec *all;
	struct zk_stats before, after;
	uint64_t unit = T.bs > 4096 ? T.bs : 4096, most = 16, avg, budget;
	unsigned int per = 48;
	size_t n = 0;

	if (T.maxapp && T.maxapp / unit < most)
		most = T.maxapp / unit;
	avg = unit * (most + 1) / 2;
	budget = zcap_of(zones[0]) * nzones * 7 / 10; /* never fill a zone */
	if ((uint64_t)per * THREADS * avg > budget)
		per = (unsigned int)(budget / (THREADS * avg));
	CHECK(per >= 4);
	all = calloc((size_t)THREADS * per, sizeof(*all));
	CHECK(all);
again:
	n = 0;
	zk_stats(T.zk, &before);
	for (unsigned int i = 0; i < THREADS; i++) {
		a[i] = (struct athread){ .id = i, .nzones = nzones, .per = per,
					 .zones = zones, .unit = unit,
					 .most = most };
		a[i].rec = &all[(size_t)i * per];
		if (pthread_create(&a[i].th, NULL, athread_main, &a[i]))
			fail(line, "pthread_create");
	}
	for (unsigned int i = 0; i < THREADS; i++) {
		pthread_join(a[i].th, NULL);
		if (a[i].err)
			fail(line, "thread %u: append: %s", i, vm_errname(a[i].err));
		n += per;
	}
	zk_stats(T.zk, &after);
	sync_check(line);
	for (unsigned int zi = 0; zi < nzones; zi++)
		verify_appends(line, all, n, zi, zones[zi]);
	info("%u threads, %zu appends to %u zone%s: batches %" PRIu64
	     ", merged %" PRIu64 ", verified byte for byte", THREADS, n, nzones,
	     nzones > 1 ? "s" : "", after.batches - before.batches,
	     after.merged - before.merged);
	if (after.appends - before.appends != n)
		fail(line, "zk_stats counted %" PRIu64 " appends, want %zu",
		     after.appends - before.appends, n);
	if (after.merged == before.merged) {
		/* The emulated device writes to the page cache, often too
		 * fast for appends to queue up: try again from empty zones. */
		if (T.emu && ++round < 5) {
			info("no write merged two appends; again");
			for (unsigned int zi = 0; zi < nzones; zi++)
				CHECK_RET(zop(ZK_OP_RESET, zst(zones[zi]), T.zs), 0);
			SYNC();
			goto again;
		}
		if (T.emu)
			info("WARNING: no write merged two appends in 5 rounds "
			     "(required on real devices only)");
		else
			fail(line, "no write merged two appends: the merged-write "
			     "path was not taken");
	}
	free(all);
}

/* Queues: each of 4 threads has its own, 16 deep, all to one zone. */
struct qthread {
	pthread_t th;
	unsigned int id, per;
	uint32_t zone;
	struct arec *rec;
	int err;
	const char *engine;
};

static void *qthread_main(void *arg)
{
	struct qthread *t = arg;
	struct zk_queue *q;
	unsigned int depth = 16, sent = 0, done = 0;
	char *bufs = vm_alloc((size_t)t->per * 16 * KiB);
	struct zk_cqe cqe[16];
	int r;

	t->err = zk_queue_init(T.zk, depth, 0, &q);
	if (t->err)
		goto out;
	t->engine = zk_queue_engine(q);
	while (done < t->per && !t->err) {
		while (sent < t->per && sent - done < depth) {
			struct arec *rec = &t->rec[sent];
			char *buf = bufs + (size_t)sent * 16 * KiB;

			rec->len = (uint32_t)(4 * KiB * (1 + (sent + t->id) % 4));
			rec->tag = ((uint64_t)(t->id + 100) << 32) | sent;
			rec->zi = 0;
			vm_fill(buf, rec->len, 0, rec->tag);
			r = zk_queue_append(q, zst(t->zone), buf, rec->len, sent);
			if (r == -EAGAIN)
				break;
			if (r) {
				t->err = r;
				break;
			}
			sent++;
		}
		r = zk_queue_reap(q, cqe, 16, 1);
		if (r < 0) {
			t->err = r;
			break;
		}
		for (int i = 0; i < r; i++) {
			if (cqe[i].res < 0)
				t->err = (int)cqe[i].res;
			else
				t->rec[cqe[i].user_data].off = cqe[i].offset;
			done++;
		}
	}
	zk_queue_exit(q);
out:
	free(bufs);
	return NULL;
}

static void case_concurrent(void)
{
	uint32_t one = S(0), several[4];
	unsigned int k = T.mo && T.mo < 4 ? T.mo : 4;
	struct qthread qt[4];
	struct arec *all;
	unsigned int per = 32;
	struct zk_stats before, after;

	step("8 threads appending to one zone");
	run_threads(__LINE__, &one, 1);
	step("8 threads appending to several zones (no more than max open)");
	reset_all();
	for (unsigned int i = 0; i < k; i++)
		several[i] = S(1 + i);
	run_threads(__LINE__, several, k);
	if (T.mo && T.mo < 8 && (!T.ma || T.ma > T.mo)) {
		uint32_t more[8];

		step("8 threads appending to max open + 1 zones: implicit closes "
		     "under concurrency");
		reset_all();
		for (unsigned int i = 0; i <= T.mo; i++)
			more[i] = S(1 + i);
		/* zonekit closes the zone it picks on the device itself
		 * before a write that needs the slot (close_for_room), so
		 * the device never picks one: the views must agree. */
		run_threads(__LINE__, more, T.mo + 1);
	}
	step("4 threads with a queue each, 16 deep, appending to one zone");
	reset_all();
	if ((uint64_t)4 * per * 16 * KiB > zcap_of(one) * 7 / 10)
		per = (unsigned int)(zcap_of(one) * 7 / 10 / (4 * 16 * KiB));
	all = calloc(4 * (size_t)per, sizeof(*all));
	CHECK(all);
	zk_stats(T.zk, &before);
	for (unsigned int i = 0; i < 4; i++) {
		qt[i] = (struct qthread){ .id = i, .per = per, .zone = one,
					  .rec = &all[i * per] };
		CHECK(!pthread_create(&qt[i].th, NULL, qthread_main, &qt[i]));
	}
	for (unsigned int i = 0; i < 4; i++) {
		pthread_join(qt[i].th, NULL);
		if (qt[i].err)
			fail(__LINE__, "queue thread %u: %s", i,
			     vm_errname(qt[i].err));
	}
	zk_stats(T.zk, &after);
	SYNC();
	verify_appends(__LINE__, all, 4 * (size_t)per, 0, one);
	info("queue engine %s: %u appends, batches %" PRIu64 ", merged %"
	     PRIu64, qt[0].engine, 4 * per, after.batches - before.batches,
	     after.merged - before.merged);
	free(all);
}

/* ---- zones changed behind zonekit's back (flush_resync.c) ---- */

/* Another program writes @len bytes at @off of zone @z: the bytes zonekit
 * would have written there, or (@foreign) bytes of its own, as a real
 * other writer's are.  zonekit takes a failed write's blocks that the
 * device holds byte for byte as its own (a write a device applied in part
 * before failing); only foreign bytes tell a stale wp from that. */
static void behind_back_write_as(uint32_t z, uint64_t off, uint64_t len,
				 bool foreign)
{
	char *buf = vm_alloc(len);

	vm_fill(buf, len, off, foreign ? ~T.gen[z] : T.gen[z]);
	if (T.emu) {
		char name[32];
		int fd;

		snprintf(name, sizeof(name), "seq-%06u", z);
		fd = openat(T.dirfd, name, O_WRONLY);
		CHECK(fd >= 0);
		CHECK(pwrite(fd, buf, len, (off_t)(off - zst(z))) == (ssize_t)len);
		close(fd);
	} else {
		CHECK(pwrite(T.raw_dio, buf, len, (off_t)off) == (ssize_t)len);
	}
	free(buf);
	T.written[z] = off + len - zst(z);
}

static void behind_back_write(uint32_t z, uint64_t off, uint64_t len)
{
	behind_back_write_as(z, off, len, false);
}

static void behind_back_size(uint32_t z, uint64_t size, unsigned long req)
{
	if (T.emu) {
		char name[32];
		int fd;

		snprintf(name, sizeof(name), "seq-%06u", z);
		fd = openat(T.dirfd, name, O_WRONLY);
		CHECK(fd >= 0 && !ftruncate(fd, (off_t)size));
		close(fd);
	} else {
		/* a bare ioctl: zonekit is not told (RAW_IOCTL would resync) */
		struct blk_zone_range r = { .sector = zst(z) >> 9,
					    .nr_sectors = zlen(z) >> 9 };

		CHECK(!ioctl(T.raw, req, &r));
	}
}

static void case_resync(void)
{
	uint32_t a = S(0), b = S(1), c = S(2);
	unsigned int wp_bad, cond_bad;
	struct zk_stats before, after;
	uint64_t landed;

	step("zk_resync with nothing changed changes nothing");
	W(zst(a), 64 * KiB);
	W(zst(b), 64 * KiB);
	CHECK_RET(zk_resync(T.zk), 0);
	SYNC();
	ZC(a, ZK_COND_IMP_OPEN, zst(a) + 64 * KiB);
	step("another program resets, finishes and writes zones: zonekit's "
	     "view is stale until zk_resync");
	behind_back_size(a, 0, BLKRESETZONE);
	new_gen(a);
	behind_back_size(b, zlen(b), BLKFINISHZONE);
	behind_back_write(c, zst(c), 16 * KiB);
	compare_views(__LINE__, true, &wp_bad, &cond_bad);
	info("before zk_resync: %u zones differ in wp, %u in condition "
	     "(expected: 3 stale zones)", wp_bad, cond_bad);
	CHECK(wp_bad == 3);
	CHECK_RET(zk_resync(T.zk), 0);
	if (T.emu && COND(a) == ZK_COND_IMP_OPEN && WP(a) == zst(a)) {
		/* src/backend_emu.c seq_zone_state(): an empty zone file takes
		 * the model's open condition, so a zone another program
		 * reset comes back IMP_OPEN at its start (null_blk: EMPTY). */
		known_bug(__LINE__, "zk_resync on the emulated device: zone %u, "
			  "IMP_OPEN with 64 KiB, truncated to 0 behind zonekit's "
			  "back, is re-learnt as IMP_OPEN at wp = start, not EMPTY "
			  "(src/backend_emu.c seq_zone_state)", a);
		CHECK_RET(zop(ZK_OP_RESET, zst(a), zlen(a)), 0);
	}
	SYNC();
	ZC(a, ZK_COND_EMPTY, zst(a));
	ZC(b, ZK_COND_FULL, zst(b) + zlen(b));
	ZC(c, T.emu ? ZK_COND_CLOSED : ZK_COND_IMP_OPEN, zst(c) + 16 * KiB);
	DATA(c);
	W(zst(c) + 16 * KiB, 16 * KiB);
	A(a, 16 * KiB, zst(a));
	DATA(c);
	if (!T.emu) {
		/* The emulated device does not check a write against a wp:
		 * only a real one refuses a stale one. */
		step("a stale wp without zk_resync: the device refuses, "
		     "zonekit re-learns the zone, the append is placed again "
		     "at the device's wp; a regular write fails");
		behind_back_write_as(c, zst(c) + 32 * KiB, 8 * KiB, true);
		zk_stats(T.zk, &before);
		CHECK_RET(ap(c, 16 * KiB, &landed), 0);
		zk_stats(T.zk, &after);
		CHECK(after.relearns > before.relearns);
		CHECK(after.retried > before.retried);
		CHECK(landed == zst(c) + 40 * KiB);
		SYNC();
		ZC(c, ZK_COND_IMP_OPEN, zst(c) + 56 * KiB);
		behind_back_write_as(c, zst(c) + 56 * KiB, 8 * KiB, true);
		W_ERR(zst(c) + 56 * KiB, 16 * KiB, -EIO);
		ZC(c, ZK_COND_IMP_OPEN, zst(c) + 64 * KiB);
		A(c, 16 * KiB, zst(c) + 64 * KiB);
		check_range(__LINE__, zst(c), 32 * KiB, T.gen[c]);
	}
	CHECK_RET(zk_flush(T.zk), 0);
}

/* ================================================================ */

static const struct vm_case cases[] = {
	{ "geometry", case_geometry },
	{ "transitions", case_transitions },
	{ "errors", case_errors },
	{ "zone_op_args", case_zone_op_args },
	{ "zone_op_all", case_zone_op_all },
	{ "limits", case_limits },
	{ "capacity", case_capacity },
	{ "conventional", case_conventional },
	{ "reopen", case_reopen },
	{ "rdonly", case_rdonly },
	{ "read", case_read },
	{ "append", case_append },
	{ "concurrent", case_concurrent },
	{ "resync", case_resync },
};

static int rm_entry(const char *p, const struct stat *sb, int flag,
		    struct FTW *ftw)
{
	(void)sb, (void)flag, (void)ftw;
	return remove(p);
}

static void setup_device(void)
{
	struct stat sb;

	vm_h.dev = T.path;
	CHECK_RET(zk_open(T.path, 0, &T.zk), 0);
	CHECK_RET(zk_info(T.zk, &T.info), 0);
	T.emu = T.info.backend == ZK_BACKEND_EMULATED;
	T.raw = T.raw_dio = T.dirfd = -1;
	if (T.emu) {
		T.dirfd = open(T.path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		CHECK(T.dirfd >= 0);
	} else {
		T.raw = open(T.path, O_RDWR | O_CLOEXEC);
		T.raw_dio = open(T.path, O_RDWR | O_DIRECT | O_CLOEXEC);
		CHECK(T.raw >= 0 && T.raw_dio >= 0 && !fstat(T.raw, &sb));
		T.rdev = sb.st_rdev;
		dev_answers = &dev_answers_of[vm_disk_kind(T.rdev)];
		T.null_blk = dev_answers == &dev_answers_of[VM_NULL_BLK];
	}
	T.exact = T.emu || T.null_blk;
	T.nz = T.info.nr_zones;
	T.nconv = T.info.nr_conv_zones;
	T.nseq = T.nz - T.nconv;
	T.zs = T.info.zone_size;
	T.zcap = T.info.zone_capacity;
	T.lbs = T.info.block_size;
	T.bs = T.info.write_granularity;
	T.cap = T.info.capacity;
	T.mo = T.info.max_open;
	T.ma = T.info.max_active;
	T.maxapp = T.info.max_append;
	T.gen = calloc(T.nz, sizeof(uint64_t));
	T.written = calloc(T.nz, sizeof(uint64_t));
	T.kz = calloc(T.nz, sizeof(*T.kz));
	T.dz = calloc(T.nz, sizeof(*T.dz));
	CHECK(T.gen && T.written && T.kz && T.dz);
	for (uint32_t z = 0; z < T.nz; z++)
		new_gen(z);
	printf("conformance %s: %s, %s\n", T.path,
	       T.emu ? "emulated device" : dev_answers->name,
	       T.exact ? "null_blk's model: every choice must match" :
	       "choices of its own allowed where devices differ");
}

/* back to a known state after a failed case */
static void recover(void)
{
	if (!T.zk || (T.info.flags & ZK_RDONLY)) {
		if (T.zk)
			zk_close(T.zk);
		T.zk = NULL;
		if (zk_open(T.path, 0, &T.zk) || zk_info(T.zk, &T.info)) {
			printf("FAIL %s: cannot reopen the device\n", T.path);
			exit(1);
		}
	}
	if (zk_resync(T.zk) || zk_zone_op(T.zk, ZK_OP_RESET, 0, T.cap)) {
		printf("FAIL %s: cannot reset the device\n", T.path);
		exit(1);
	}
	for (uint32_t z = T.nconv; z < T.nz; z++)
		new_gen(z);
}

/* a case, from and back to every zone reset */
static void case_body(const void *arg)
{
	const struct vm_case *c = arg;

	reset_all();
	c->fn();
	reset_all();
}

int main(int argc, char **argv)
{
	const char *only = NULL, *twin = NULL;
	unsigned int passed = 0, failed = 0, ran = 0;
	const char *failed_names[32];
	double t0;
	struct timespec ts;
	int opt;

	setvbuf(stdout, NULL, _IOLBF, 0);
	while ((opt = getopt(argc, argv, "c:t:h")) != -1) {
		switch (opt) {
		case 'c': only = optarg; break;
		case 't': twin = optarg; break;
		default: goto usage;
		}
	}
	if (!twin && optind + 1 < argc && !strcmp(argv[optind], "--twin"))
		goto usage;
	if (twin) {
		const struct vm_twin *tw = vm_twin_find(twin);

		if (!tw) {
			fprintf(stderr, "unknown twin %s\n", twin);
			goto usage;
		}
		if (optind < argc) {
			snprintf(T.path, sizeof(T.path), "%s", argv[optind]);
		} else {
			const char *tmp = getenv("TMPDIR");

			snprintf(T.twin_dir, sizeof(T.twin_dir), "%s/zk-conf.XXXXXX",
				 tmp && *tmp ? tmp : "/tmp");
			if (!mkdtemp(T.twin_dir)) {
				perror("mkdtemp");
				return 1;
			}
			snprintf(T.path, sizeof(T.path), "%s/dev", T.twin_dir);
		}
		printf("conformance: emulated twin of the VM's %s (%s) in %s\n",
		       tw->name, tw->what, T.path);
		if (zk_create(T.path, &tw->geo)) {
			printf("FAIL: zk_create(%s)\n", T.path);
			return 1;
		}
	} else if (optind == argc - 1) {
		snprintf(T.path, sizeof(T.path), "%s", argv[optind]);
	} else {
		goto usage;
	}
	clock_gettime(CLOCK_MONOTONIC, &ts);
	t0 = ts.tv_sec + ts.tv_nsec / 1e9;
	setup_device();
	recover();
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct vm_case *c = &cases[i];
		bool ok;
		double c0;

		if (!vm_case_wanted(only, c->name))
			continue;
		ran++;
		c_checks = c_wp_mm = c_cond_mm = c_printed = 0;
		clock_gettime(CLOCK_MONOTONIC, &ts);
		c0 = ts.tv_sec + ts.tv_nsec / 1e9;
		printf("case %s\n", c->name);
		ok = vm_run_case(c->name, case_body, c);
		ok = ok && !c_wp_mm && !c_cond_mm;
		clock_gettime(CLOCK_MONOTONIC, &ts);
		printf("case %s: %s (%lu view checks: %lu wp mismatches, %lu "
		       "condition mismatches; %.1f s)\n", c->name,
		       ok ? "PASS" : "FAIL", c_checks, c_wp_mm, c_cond_mm,
		       ts.tv_sec + ts.tv_nsec / 1e9 - c0);
		if (ok) {
			passed++;
		} else {
			if (failed < 32)
				failed_names[failed] = c->name;
			failed++;
			recover();
		}
	}
	if (!ran) {
		fprintf(stderr, "no case matches -c %s\n", only);
		return 2;
	}
	zk_close(T.zk);
	clock_gettime(CLOCK_MONOTONIC, &ts);
	printf("conformance %s: %u cases: %u passed, %u failed", T.path, ran,
	       passed, failed);
	for (unsigned int i = 0; i < failed && i < 32; i++)
		printf("%s%s", i ? ", " : " (", failed_names[i]);
	printf("%s; %lu view checks against the device: %lu wp mismatches, "
	       "%lu condition mismatches; %lu known core bugs (XFAIL); %.1f s\n",
	       failed ? ")" : "", n_checks, n_wp_mm, n_cond_mm, n_known_bugs,
	       ts.tv_sec + ts.tv_nsec / 1e9 - t0);
	if (T.twin_dir[0] && !getenv("ZK_TEST_KEEP"))
		nftw(T.twin_dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	return failed || n_wp_mm || n_cond_mm ? 1 : 0;
usage:
	fprintf(stderr, "usage: %s [-c CASE,...] DEV|DIR\n"
		"       %s [-c CASE,...] -t TWIN [DIR]   (TWIN: nullb0, zns, "
		"diff, nullb512, zloop, scsi)\n", argv[0], argv[0]);
	return 2;
}
