/* SPDX-License-Identifier: MIT */
/*
 * faults: zonekit's recovery from failed writes on a real zoned device.
 * The device is a zoned null_blk made through configfs; its `badblocks`
 * attribute (512-byte sectors, "+FIRST-LAST" to add, "-FIRST-LAST" to
 * remove, accepted while the device is powered on 6.1 and 6.12) makes the
 * driver fail every command that touches those sectors with an I/O error.
 * The emulated-device half of these tests is tests/reliability/faults.c.
 *
 * What null_blk does, measured on Debian's 6.1.0-56 and 6.12.117 (the same
 * on both; drivers/block/null_blk/zoned.c, null_zone_write()):
 *   - a write command touching a bad sector fails whole: nothing of it is
 *     written and the wp does not move;
 *   - but the zone was opened before the bad-block check: an EMPTY or
 *     CLOSED zone is left IMP_OPEN (an EMPTY one IMP_OPEN with wp = start);
 *   - the block layer splits a large write into commands of
 *     max_sectors_kb (124 KiB): the commands before the failing one are
 *     applied, so a large write is applied in part (the wp moves to the
 *     end of the last command that succeeded) and still fails with EIO;
 *   - reads touching a bad sector fail with EIO too.
 *
 * Cases (each starts with every zone reset and no bad block):
 *   write          zk_append / zk_pwrite over a bad block: -EIO; zonekit
 *                  re-learns that zone and only it (zk_stats.relearns; a
 *                  zone changed behind zonekit's back is not looked at);
 *                  its wp and condition equal BLKREPORTZONE's; EMPTY and
 *                  CLOSED zones; reads of the bad block
 *   partial        a 1 MiB zk_pwrite the kernel applies in part: -EIO,
 *                  zonekit's wp is the device's, the part below it is ours
 *   partial_queue  appends merged into one write through an io_uring queue,
 *                  the write applied in part: the appends wholly in the
 *                  applied part are acknowledged, the one it stopped in
 *                  fails, those behind are placed again
 *   concurrent     6 threads appending to a zone with a bad block (appends
 *                  queue behind the failing writes and merge), 2 more to
 *                  two other zones; then 4 threads with a queue each
 *   recover        clearing the bad block, or resetting the zone, makes the
 *                  zone usable again (up to FULL)
 *   moved          no bad block: the device refuses a write because another
 *                  program moved the wp; zonekit reads back what is below
 *                  the device's wp, finds it is not its data, and places
 *                  the append after it (a write at the stale wp: -EIO)
 *   conventional   a conventional zone's write over a bad block: -EIO, no
 *                  re-learning, nothing changed
 * After every step zonekit's view of every zone is compared with
 * BLKREPORTZONE; every acknowledged append and write is read back (through
 * zonekit and raw O_DIRECT) and compared byte for byte; every append that
 * failed must have failed with -EIO; bytes below a wp that no acknowledged
 * append holds must be the first bytes of one of the zone's appends (the
 * part of a failed write the device applied).  After every case an append
 * to an untouched zone must work.
 *
 *   faults [-c CASE,...] NAME DEV   NAME: the configfs directory of DEV
 *                                   (/sys/kernel/config/nullb/NAME).
 * DEV must be a zoned null_blk with memory_backed=1, 4 KiB blocks, zones
 * of at least 2 MiB, at least 5 sequential zones, no open/active limits,
 * a conventional zone first, and commands that take a while (irqmode=2
 * completion_nsec=1000000: 1 ms), so that appends of other threads queue
 * behind a failing write as they would on a disk; tests/vm/guest-suite.sh
 * makes one.  Every zone is reset.  Exit status 0 if every case passed.
 *
 * Static build (tests/vm/suite.sh does it):
 *   gcc -O2 -static -Iinclude -Isrc -o faults tests/vm/faults.c \
 *       build/src/libzonekit.a -luring -lpthread
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <limits.h>
#include <pthread.h>
#include <time.h>

#include "vmtest.h"

/* ---------------------------------------------------------------- */
/* the device under test */

struct fdev {
	char path[PATH_MAX], bbpath[PATH_MAX];
	struct zk_dev *zk;
	struct zk_info info;
	int raw;     /* BLKREPORTZONE */
	int raw_dio; /* O_DIRECT reads, and writes behind zonekit's back */
	uint32_t nz, nconv, nseq;
	uint64_t zs, zcap, bs, cap;
	struct zk_zone *kz;
	struct vm_dzone *dz;
};

static struct fdev T;

static uint64_t tag_counter = 1;

/* figures, over all cases */
static unsigned long n_faults;   /* calls that failed on a bad block */
static unsigned long n_verified; /* acknowledged appends/writes read back */
static unsigned long n_partial;  /* writes the device applied in part */
static unsigned long n_checks;   /* comparisons with BLKREPORTZONE */
static unsigned long n_relearns, n_retried;

/* ---------------------------------------------------------------- */
/* zones and views */

static uint64_t zst(uint32_t z) { return (uint64_t)z * T.zs; }

#define SEQ(i) seq_zone(__LINE__, (i))
static uint32_t seq_zone(int line, uint32_t i)
{
	if (i >= T.nseq)
		fail(line, "the device needs at least %u sequential zones", i + 1);
	return T.nconv + i;
}

#define ZONE(z) zk_zone_at(__LINE__, (z))
static struct zk_zone zk_zone_at(int line, uint32_t z)
{
	return vm_zk_zone(line, T.zk, zst(z), z);
}

#define DZONE(z) dev_zone_at(__LINE__, (z))
static struct vm_dzone dev_zone_at(int line, uint32_t z)
{
	struct vm_dzone d;
	int ret = vm_raw_report(T.raw, T.zs, z, 1, &d);

	if (ret)
		fail(line, "BLKREPORTZONE(zone %u) = %s", z, vm_errname(ret));
	return d;
}

static uint64_t kib(uint32_t z, uint64_t off) { return (off - zst(z)) / KiB; }

/* Every zone but @skip: zonekit's view (zk_report) must be BLKREPORTZONE's
 * (a FULL zone's wp normalised to start + len, zonekit's contract). */
static void views(int line, uint32_t skip)
{
	unsigned int nr = T.nz;
	int ret = zk_report(T.zk, 0, T.kz, &nr);

	if (ret || nr != T.nz)
		fail(line, "zk_report(all) = %s, %u zones", vm_errname(ret), nr);
	ret = vm_raw_report(T.raw, T.zs, 0, T.nz, T.dz);
	if (ret)
		fail(line, "BLKREPORTZONE = %s", vm_errname(ret));
	for (uint32_t z = 0; z < T.nz; z++) {
		const struct zk_zone *k = &T.kz[z];
		const struct vm_dzone *d = &T.dz[z];

		if (z == skip)
			continue;
		if (k->start != d->start || k->len != d->len ||
		    k->capacity != d->capacity || k->type != d->type ||
		    k->wp != d->wp || !(d->conds & (1u << k->cond)))
			fail(line, "zone %u: zonekit says %s wp +%" PRIu64
			     " KiB, BLKREPORTZONE %s wp +%" PRIu64 " KiB", z,
			     vm_condname(k->cond), kib(z, k->wp),
			     vm_condname(d->cond), kib(z, d->wp));
	}
	n_checks++;
}
#define VIEWS() views(__LINE__, UINT32_MAX)

static struct zk_stats stats_now(void)
{
	struct zk_stats s;

	if (zk_stats(T.zk, &s))
		fail(__LINE__, "zk_stats failed");
	return s;
}

/* zonekit must have re-learnt zones @want times since @before (every
 * failed write to a sequential zone re-learns that zone once). */
#define RELEARNT(before, want) relearnt(__LINE__, &(before), (want))
static void relearnt(int line, const struct zk_stats *before, uint64_t want)
{
	struct zk_stats now = stats_now();

	if (now.relearns - before->relearns != want)
		fail(line, "zk_stats.relearns moved by %" PRIu64 ", want %" PRIu64,
		     now.relearns - before->relearns, want);
	n_relearns += want;
	n_retried += now.retried - before->retried;
}

/* ---------------------------------------------------------------- */
/* bad blocks, through configfs while the device is powered */

/* "+FIRST-LAST" or "-FIRST-LAST" in sectors for the bytes [off, off+len) */
static void bb_store(int line, char sign, uint64_t off, uint64_t len)
{
	char buf[64];
	int fd = open(T.bbpath, O_WRONLY | O_CLOEXEC);
	ssize_t n = -1;

	snprintf(buf, sizeof(buf), "%c%" PRIu64 "-%" PRIu64, sign, off >> 9,
		 ((off + len) >> 9) - 1);
	if (fd >= 0)
		n = write(fd, buf, strlen(buf));
	if (n != (ssize_t)strlen(buf))
		fail(line, "echo %s > %s: %s", buf, T.bbpath,
		     n < 0 ? strerror(errno) : "short write");
	close(fd);
}

/* What the attribute lists now: "FIRST LEN" lines. */
static size_t bb_show(char *buf, size_t size)
{
	int fd = open(T.bbpath, O_RDONLY | O_CLOEXEC);
	ssize_t n = fd < 0 ? -1 : read(fd, buf, size - 1);

	if (fd >= 0)
		close(fd);
	buf[n > 0 ? n : 0] = '\0';
	return n > 0 ? (size_t)n : 0;
}

/* Does the driver list a bad range starting at sector @first (of @len
 * sectors; 0: any length)?  Its lines are "FIRST LEN". */
static bool bb_listed(uint64_t first, uint64_t len)
{
	char now[4096], *line, *save = NULL;
	unsigned long long f, l;

	bb_show(now, sizeof(now));
	for (line = strtok_r(now, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save))
		if (sscanf(line, "%llu %llu", &f, &l) == 2 && f == first &&
		    (!len || l == len))
			return true;
	return false;
}

/* Make [off, off + len) bad; the driver must list it. */
#define BAD(off, len) bad(__LINE__, (off), (len))
static void bad(int line, uint64_t off, uint64_t len)
{
	bb_store(line, '+', off, len);
	if (!bb_listed(off >> 9, len >> 9))
		fail(line, "bad sectors %" PRIu64 "+%" PRIu64 " not listed by "
		     "the driver", off >> 9, len >> 9);
}

#define GOOD(off, len) good(__LINE__, (off), (len))
static void good(int line, uint64_t off, uint64_t len)
{
	bb_store(line, '-', off, len);
	if (bb_listed(off >> 9, 0))
		fail(line, "bad sectors at %" PRIu64 " still listed", off >> 9);
}

static void bb_clear_all(void)
{
	char now[4096];

	bb_store(__LINE__, '-', 0, T.cap);
	if (bb_show(now, sizeof(now)))
		fail(__LINE__, "bad blocks left after clearing all: [%s]", now);
}

/* ---------------------------------------------------------------- */
/* data: every append and write carries a pattern of its own tag */

static uint64_t new_tag(void) { return tag_counter++; }

/* Read [off, off + len) through zonekit and raw O_DIRECT: both must be
 * the pattern of @tag. */
#define READBACK(off, len, tag) readback(__LINE__, (off), (len), (tag))
static void readback(int line, uint64_t off, size_t len, uint64_t tag)
{
	char *buf = vm_alloc(len), *raw = vm_alloc(len);
	ssize_t r = zk_pread(T.zk, buf, len, off), bad_at;

	if (r != (ssize_t)len)
		fail(line, "zk_pread(%#" PRIx64 ", %zu) = %s", off, len,
		     vm_errname(r));
	bad_at = vm_bad(buf, len, 0, tag);
	if (bad_at >= 0)
		fail(line, "data at %#" PRIx64 " is not what was acknowledged "
		     "there (tag %" PRIu64 ")", off + (uint64_t)bad_at, tag);
	if (pread(T.raw_dio, raw, len, (off_t)off) != (ssize_t)len ||
	    memcmp(raw, buf, len))
		fail(line, "raw read at %#" PRIx64 " differs from zk_pread", off);
	free(buf);
	free(raw);
}

static int append_tag(uint32_t z, size_t len, uint64_t tag, uint64_t *landed)
{
	char *buf = vm_alloc(len);
	int r;

	vm_fill(buf, len, 0, tag);
	r = zk_append(T.zk, zst(z), buf, len, landed);
	free(buf);
	return r;
}

/* An append that must land at @want (zonekit's wp) and read back. */
#define APPEND_OK(z, len) append_ok(__LINE__, (z), (len))
static uint64_t append_ok(int line, uint32_t z, size_t len)
{
	uint64_t tag = new_tag(), want = zk_zone_at(line, z).wp, landed = 0;
	int r = append_tag(z, len, tag, &landed);

	if (r)
		fail(line, "zk_append(zone %u, %zu KiB) = %s", z, len / KiB,
		     vm_errname(r));
	if (landed != want)
		fail(line, "append landed at +%" PRIu64 " KiB, wp was +%" PRIu64
		     " KiB", kib(z, landed), kib(z, want));
	readback(line, landed, len, tag);
	n_verified++;
	views(line, UINT32_MAX);
	return landed;
}

static ssize_t pwrite_tag(uint64_t off, size_t len, uint64_t tag)
{
	char *buf = vm_alloc(len);
	ssize_t r;

	vm_fill(buf, len, 0, tag);
	r = zk_pwrite(T.zk, buf, len, off);
	free(buf);
	return r;
}

#define PWRITE_OK(off, len) pwrite_ok(__LINE__, (off), (len))
static void pwrite_ok(int line, uint64_t off, size_t len)
{
	uint64_t tag = new_tag();
	ssize_t r = pwrite_tag(off, len, tag);

	if (r != (ssize_t)len)
		fail(line, "zk_pwrite(%#" PRIx64 ", %zu KiB) = %s", off,
		     len / KiB, vm_errname(r));
	readback(line, off, len, tag);
	n_verified++;
	views(line, UINT32_MAX);
}

/* A write to zone @z over a bad block: -EIO, nothing written (the command
 * fails whole), zonekit re-learns the zone once (@relearn: sequential
 * zones) and agrees with the device again; zone @skip may differ (it was
 * changed behind zonekit's back). */
static void expect_eio(int line, uint32_t z, bool append, uint64_t off,
		       size_t len, uint32_t skip)
{
	struct zk_stats before = stats_now();
	struct vm_dzone d0 = dev_zone_at(line, z), d1;
	uint64_t landed = UINT64_MAX;
	long long r = append ? append_tag(z, len, new_tag(), &landed) :
			       pwrite_tag(off, len, new_tag());

	if (r != -EIO)
		fail(line, "%s of %zu KiB to zone %u = %s, want EIO (a bad block)",
		     append ? "zk_append" : "zk_pwrite", len / KiB, z,
		     vm_errname(r));
	if (append && landed != UINT64_MAX)
		fail(line, "a failed append set *landed");
	relearnt(line, &before, z >= T.nconv ? 1 : 0);
	d1 = dev_zone_at(line, z);
	if (d1.raw_wp != d0.raw_wp)
		fail(line, "the device's wp moved from +%" PRIu64 " to +%" PRIu64
		     " KiB on a failed write", kib(z, d0.raw_wp),
		     kib(z, d1.raw_wp));
	if (d1.cond != d0.cond)
		info("zone %u: the device went from %s to %s on the failed "
		     "write (wp +%" PRIu64 " KiB); zonekit follows", z,
		     vm_condname(d0.cond), vm_condname(d1.cond),
		     kib(z, d1.raw_wp));
	views(line, skip);
	n_faults++;
}
#define APPEND_EIO(z, len) expect_eio(__LINE__, (z), true, 0, (len), UINT32_MAX)
#define PWRITE_EIO(off, len)                                                 \
	expect_eio(__LINE__, (uint32_t)((off) / T.zs), false, (off), (len),   \
		   UINT32_MAX)

static void reset_all(void)
{
	CHECK_RET(zk_zone_op(T.zk, ZK_OP_RESET, 0, T.cap), 0);
	VIEWS();
}

/* ---------------------------------------------------------------- */
/* cases */

static void raw_write(uint32_t z, uint64_t off, size_t len)
{
	char *buf = vm_alloc(len);

	memset(buf, 0x77, len);
	if (pwrite(T.raw_dio, buf, len, (off_t)off) != (ssize_t)len)
		fail(__LINE__, "raw write to zone %u: %s", z, strerror(errno));
	free(buf);
}

/* A failed write to zone @f must re-learn @f only: zone @s, written
 * behind zonekit's back, stays as zonekit knew it until zk_resync(). */
static void fail_beside_stale(uint32_t f, uint32_t s)
{
	struct zk_zone k;
	struct vm_dzone d;

	step("append to an empty zone whose first block is bad, while another "
	     "zone was written behind zonekit's back");
	BAD(zst(f), 4 * KiB);
	raw_write(s, zst(s), 4 * KiB);
	expect_eio(__LINE__, f, true, 0, 8 * KiB, s);
	k = ZONE(s);
	d = DZONE(s);
	if (k.cond != ZK_COND_EMPTY || k.wp != zst(s) || d.wp != zst(s) + 4 * KiB)
		fail(__LINE__, "zone %u: zonekit %s +%" PRIu64 " KiB, device %s +%"
		     PRIu64 " KiB: zonekit re-learnt a zone that did not fail",
		     s, vm_condname(k.cond), kib(s, k.wp), vm_condname(d.cond),
		     kib(s, d.wp));
	info("zone %u (written behind zonekit's back) not re-learnt: zonekit "
	     "EMPTY, device %s +4 KiB", s, vm_condname(d.cond));
	CHECK_RET(zk_resync(T.zk), 0);
	VIEWS();
}

static void case_write(void)
{
	uint32_t f = SEQ(0), o = SEQ(2);
	uint64_t b = zst(f) + 96 * KiB; /* the bad block of the second part */
	char *buf;

	fail_beside_stale(f, SEQ(1));
	PWRITE_EIO(zst(f), 4 * KiB);

	step("the bad block cleared: 64 KiB go in; then a bad block at +96 KiB");
	GOOD(zst(f), 4 * KiB);
	APPEND_OK(f, 64 * KiB);
	BAD(b, 4 * KiB);
	PWRITE_EIO(zst(f) + 64 * KiB, 64 * KiB);
	APPEND_EIO(f, 64 * KiB);
	APPEND_EIO(f, 48 * KiB);
	step("writes that stop short of the bad block go in, at the wp");
	APPEND_OK(f, 16 * KiB);
	PWRITE_OK(zst(f) + 80 * KiB, 16 * KiB);
	CHECK(ZONE(f).wp == b);
	APPEND_EIO(f, 4 * KiB);

	step("a CLOSED zone whose next block is bad");
	CHECK_RET(zk_zone_op(T.zk, ZK_OP_CLOSE, zst(f), T.zs), 0);
	VIEWS();
	CHECK(ZONE(f).cond == ZK_COND_CLOSED);
	APPEND_EIO(f, 4 * KiB);
	PWRITE_EIO(b, 8 * KiB);

	step("reads: the bad block fails with EIO, the data before it reads");
	buf = vm_alloc(8 * KiB);
	CHECK_RET(zk_pread(T.zk, buf, 8 * KiB, b - 4 * KiB), -EIO);
	CHECK_RET(zk_pread(T.zk, buf, 4 * KiB, b - 4 * KiB), 4 * KiB);
	free(buf);
	n_faults++;

	step("another zone works");
	APPEND_OK(o, 64 * KiB);
	APPEND_OK(o, 4 * KiB);
}

static void case_partial(void)
{
	uint32_t f = SEQ(0);
	uint64_t b = zst(f) + 600 * KiB, tag = new_tag(), wp;
	size_t len = 1 * MiB, room;
	struct zk_stats before;
	char *buf = vm_alloc(len);
	ssize_t r;

	step("a 1 MiB zk_pwrite with a bad block at +600 KiB");
	BAD(b, 4 * KiB);
	vm_fill(buf, len, 0, tag);
	before = stats_now();
	r = zk_pwrite(T.zk, buf, len, zst(f));
	free(buf);
	CHECK_RET(r, -EIO);
	RELEARNT(before, 1);
	VIEWS();
	n_faults++;
	wp = ZONE(f).wp;
	if (wp == zst(f) || wp > b)
		fail(__LINE__, "wp +%" PRIu64 " KiB: the device did not apply the "
		     "write in part (this case expects the kernel's split at "
		     "max_sectors_kb)", kib(f, wp));
	n_partial++;
	info("the device applied %" PRIu64 " KiB of the failed 1 MiB write; "
	     "zonekit's wp followed (the write was still refused: EIO)",
	     kib(f, wp));
	step("the part applied is the write's first bytes");
	READBACK(zst(f), wp - zst(f), tag);
	step("the old offset is no longer the wp; the new one is");
	CHECK_RET(pwrite_tag(zst(f), 4 * KiB, new_tag()), -EIO);
	VIEWS();
	room = b - wp < 64 * KiB ? (size_t)(b - wp) : 64 * KiB;
	CHECK(room > 0);
	PWRITE_OK(wp, room);
	if (wp + room < b)
		APPEND_OK(f, b - wp - room);
	CHECK(ZONE(f).wp == b);
	APPEND_EIO(f, 4 * KiB);
}

/* ---- appends and what they became ---- */

struct rec {
	uint64_t tag, off; /* off: where it landed, when acknowledged */
	uint32_t len, zone;
	int res;           /* 0 or -errno */
};

struct tally {
	unsigned long acked, failed, gaps, gap_bytes;
};

static int rec_cmp(const void *x, const void *y)
{
	const struct rec *a = x, *b = y;

	return a->off < b->off ? -1 : a->off > b->off;
}

/* Bytes [off, off + len) below zone @z's wp that no acknowledged append
 * holds: the part of a failed write the device applied, which must be the
 * first bytes of one of the zone's appends (normally the failed one the
 * write stopped in). */
static void check_gap(int line, uint32_t z, uint64_t off, uint64_t len,
		      const struct rec *recs, size_t n, struct tally *t)
{
	char *buf = vm_alloc(len);
	const struct rec *owner = NULL;

	if (zk_pread(T.zk, buf, len, off) != (ssize_t)len)
		fail(line, "zk_pread of %" PRIu64 " KiB at +%" PRIu64 " KiB "
		     "failed", len / KiB, kib(z, off));
	for (size_t i = 0; i < n && !owner; i++)
		if (recs[i].zone == z && recs[i].len > len &&
		    vm_bad(buf, len, 0, recs[i].tag) < 0)
			owner = &recs[i];
	free(buf);
	if (!owner)
		fail(line, "zone %u: %" PRIu64 " KiB at +%" PRIu64 " KiB below "
		     "the wp are no append's first bytes", z, len / KiB,
		     kib(z, off));
	if (owner->res == 0)
		info("zone %u: the first %" PRIu64 " KiB of an append "
		     "acknowledged elsewhere stay at +%" PRIu64 " KiB", z,
		     len / KiB, kib(z, off));
	t->gaps++;
	t->gap_bytes += len;
}

/* Every append to zone @z (in @recs, any zones) against the device: the
 * acknowledged ones do not overlap, lie below the wp and before the first
 * bad byte @bad, and read back; the others failed with -EIO (none may
 * fail if !@may_fail); whatever lies between them below the wp is
 * check_gap()'s.  Zonekit's view was compared with the device's before. */
static void check_zone(int line, uint32_t z, struct rec *recs, size_t n,
		       uint64_t bad_off, bool may_fail, struct tally *t)
{
	struct rec *acked = calloc(n ? n : 1, sizeof(*acked));
	uint64_t cur = zst(z), wp = zk_zone_at(line, z).wp;
	size_t m = 0;

	CHECK(acked);
	for (size_t i = 0; i < n; i++) {
		if (recs[i].zone != z)
			continue;
		if (!recs[i].res) {
			acked[m++] = recs[i];
			continue;
		}
		if (recs[i].res != -EIO || !may_fail)
			fail(line, "zone %u: an append failed with %s", z,
			     vm_errname(recs[i].res));
		t->failed++;
	}
	qsort(acked, m, sizeof(*acked), rec_cmp);
	for (size_t i = 0; i < m; i++) {
		const struct rec *a = &acked[i];

		if (a->off < cur || a->off + a->len > wp || a->off + a->len > bad_off)
			fail(line, "zone %u: append acknowledged at +%" PRIu64
			     " KiB (%u KiB): overlaps, or past the wp (+%" PRIu64
			     " KiB) or the bad block", z, kib(z, a->off),
			     a->len / (unsigned int)KiB, kib(z, wp));
		if (a->off > cur)
			check_gap(line, z, cur, a->off - cur, recs, n, t);
		readback(line, a->off, a->len, a->tag);
		n_verified++;
		t->acked++;
		cur = a->off + a->len;
	}
	if (cur < wp)
		check_gap(line, z, cur, wp - cur, recs, n, t);
	free(acked);
}

/* ---- many threads ---- */

#define SLOT (20 * KiB) /* a record's buffer: up to 16 KiB, maybe +8 */

/* All workers start together, so that their appends meet in the zone. */
static pthread_barrier_t start_line;

struct worker {
	pthread_t th;
	unsigned int id, n;
	uint32_t zone;
	bool queue;
	struct rec *recs;
	const char *engine;
	int err; /* the harness failed (not an append) */
};

static void rec_init(struct worker *w, unsigned int i, uint64_t *rnd)
{
	struct rec *r = &w->recs[i];

	r->zone = w->zone;
	r->len = (uint32_t)(4 * KiB * (1 + vm_rand(rnd) % 4));
	r->tag = ((uint64_t)(w->id + 1) << 40) | (tag_counter + i);
	r->off = UINT64_MAX;
}

/* Every other record from a buffer 8 bytes off alignment: the Linux
 * backend copies those through bounce buffers. */
static char *rec_buf(char *slots, unsigned int i, const struct rec *r)
{
	char *buf = slots + (size_t)i * SLOT + (i % 2 ? 8 : 0);

	vm_fill(buf, r->len, 0, r->tag);
	return buf;
}

static void *sync_worker(void *arg)
{
	struct worker *w = arg;
	char *slots = vm_alloc(2 * SLOT);
	uint64_t rnd = 0x9e3779b97f4a7c15ULL * (w->id + 7);

	pthread_barrier_wait(&start_line);
	for (unsigned int i = 0; i < w->n; i++) {
		struct rec *r = &w->recs[i];

		rec_init(w, i, &rnd);
		r->res = zk_append(T.zk, zst(w->zone),
				   rec_buf(slots, i % 2, r), r->len, &r->off);
	}
	free(slots);
	return NULL;
}

static int queue_reap(struct zk_queue *q, struct worker *w, unsigned int min,
		      unsigned int *done)
{
	struct zk_cqe cqe[16];
	int got = zk_queue_reap(q, cqe, 16, min);

	for (int i = 0; i < got; i++) {
		struct rec *r = &w->recs[cqe[i].user_data];

		/* res: the byte count, or -errno */
		r->res = cqe[i].res < 0 ? (int)cqe[i].res : 0;
		if (!r->res)
			r->off = cqe[i].offset;
		(*done)++;
	}
	return got < 0 ? got : 0;
}

static void *queue_worker(void *arg)
{
	struct worker *w = arg;
	char *slots = vm_alloc((size_t)w->n * SLOT);
	uint64_t rnd = 0x9e3779b97f4a7c15ULL * (w->id + 7);
	unsigned int sent = 0, done = 0, depth = 16;
	struct zk_queue *q;

	w->err = zk_queue_init(T.zk, depth, 0, &q);
	pthread_barrier_wait(&start_line);
	if (w->err)
		goto out;
	w->engine = zk_queue_engine(q);
	while (done < w->n && !w->err) {
		for (; sent < w->n && sent - done < depth; sent++) {
			struct rec *r = &w->recs[sent];

			rec_init(w, sent, &rnd);
			w->err = zk_queue_append(q, zst(w->zone),
						 rec_buf(slots, sent, r),
						 r->len, sent);
			if (w->err)
				break;
		}
		if (!w->err)
			w->err = queue_reap(q, w, 1, &done);
	}
	zk_queue_exit(q);
out:
	free(slots);
	return NULL;
}

/* Run @nw workers; all their records in *@all (n each). */
static void run_workers(int line, struct worker *w, unsigned int nw,
			unsigned int n, struct rec **all)
{
	*all = calloc((size_t)nw * n, sizeof(**all));
	CHECK(*all);
	CHECK(!pthread_barrier_init(&start_line, NULL, nw));
	for (unsigned int i = 0; i < nw; i++) {
		w[i].id = i;
		w[i].n = n;
		w[i].recs = *all + (size_t)i * n;
		if (pthread_create(&w[i].th, NULL,
				   w[i].queue ? queue_worker : sync_worker, &w[i]))
			fail(line, "pthread_create");
	}
	for (unsigned int i = 0; i < nw; i++) {
		pthread_join(w[i].th, NULL);
		if (w[i].err)
			fail(line, "worker %u: %s", i, vm_errname(w[i].err));
	}
	pthread_barrier_destroy(&start_line);
	tag_counter += n;
}

/* After a run: the figures that say the run did what it is for.
 * @acked_all: appends acknowledged in every zone of the run. */
static void check_run(int line, const struct zk_stats *before,
		      const struct tally *t, unsigned long acked_all,
		      const char *what)
{
	struct zk_stats now = stats_now();
	uint64_t relearns = now.relearns - before->relearns;
	uint64_t retried = now.retried - before->retried;
	uint64_t merged = now.merged - before->merged;

	info("%s: %lu appends acknowledged and read back, %lu failed with "
	     "EIO, %lu stretches of failed appends' first bytes below the wp "
	     "(%lu KiB); zk_stats: relearns %" PRIu64 ", retried %" PRIu64
	     ", merged %" PRIu64 ", batches %" PRIu64, what, t->acked,
	     t->failed, t->gaps, t->gap_bytes / KiB, relearns, retried, merged,
	     now.batches - before->batches);
	/* each failed write re-learns its zone once and fails exactly one
	 * request, the one it stopped in */
	if (relearns != t->failed)
		fail(line, "%" PRIu64 " re-learns for %lu failed appends",
		     relearns, t->failed);
	if (!t->failed || !t->acked)
		fail(line, "no append failed, or none went in: nothing tested");
	/* also those a failed write had put on the device (read back) */
	if (now.appends - before->appends != acked_all)
		fail(line, "zk_stats.appends moved by %" PRIu64 ", %lu appends "
		     "were acknowledged", now.appends - before->appends,
		     acked_all);
	/* appends queued behind a failing write are placed again (merged
	 * only counts writes that succeeded whole: here most fail) */
	if (!retried)
		fail(line, "no append was placed again behind a failed write: "
		     "appends did not queue behind the failing writes");
	n_faults += t->failed;
	n_partial += t->gaps;
	n_relearns += relearns;
	n_retried += retried;
}

static void case_concurrent(void)
{
	uint32_t f = SEQ(0), g = SEQ(1), h = SEQ(2), fq = SEQ(3);
	uint64_t b = zst(f) + 1 * MiB, bq = zst(fq) + 512 * KiB;
	struct worker w[8] = { { 0 } };
	struct tally t = { 0 }, other = { 0 };
	struct zk_stats before;
	struct rec *all;

	step("6 threads appending to a zone with a bad block at +1 MiB, 2 "
	     "threads to two other zones");
	BAD(b, 4 * KiB);
	for (unsigned int i = 0; i < 8; i++)
		w[i].zone = i < 6 ? f : i == 6 ? g : h;
	before = stats_now();
	run_workers(__LINE__, w, 8, 40, &all);
	VIEWS();
	check_zone(__LINE__, f, all, 8 * 40, b, true, &t);
	check_zone(__LINE__, g, all, 8 * 40, UINT64_MAX, false, &other);
	check_zone(__LINE__, h, all, 8 * 40, UINT64_MAX, false, &other);
	if (other.gaps || other.acked != 80)
		fail(__LINE__, "the other zones: %lu appends in, %lu holes",
		     other.acked, other.gaps);
	check_run(__LINE__, &before, &t, t.acked + other.acked,
		  "zk_append threads");
	free(all);

	step("4 threads with an io_uring queue each, 16 deep, appending to a "
	     "zone with a bad block at +512 KiB");
	BAD(bq, 4 * KiB);
	memset(w, 0, sizeof(w));
	memset(&t, 0, sizeof(t));
	for (unsigned int i = 0; i < 4; i++) {
		w[i].zone = fq;
		w[i].queue = true;
	}
	before = stats_now();
	run_workers(__LINE__, w, 4, 32, &all);
	VIEWS();
	check_zone(__LINE__, fq, all, 4 * 32, bq, true, &t);
	check_run(__LINE__, &before, &t, t.acked, w[0].engine);
	free(all);

	step("the zones work on");
	APPEND_OK(g, 64 * KiB);
	APPEND_OK(h, 4 * KiB);
	GOOD(b, 4 * KiB);
	APPEND_OK(f, 64 * KiB);
}

/* Queue @n appends to zone @z (the first 4 KiB, the others 16 KiB) before
 * reaping any: the first goes out alone, the others wait behind it and go
 * out together, one write, when it completes.  A queue holds them back
 * until it is reaped, so this does not depend on timing. */
static void queue_burst(uint32_t z, struct rec *recs, unsigned int n)
{
	char *slots = vm_alloc((size_t)n * 16 * KiB);
	struct zk_cqe cqe[64];
	struct zk_queue *q;
	unsigned int done = 0;

	CHECK_RET(zk_queue_init(T.zk, 64, 0, &q), 0);
	if (strcmp(zk_queue_engine(q), "io_uring"))
		fail(__LINE__, "queue engine %s: this case needs io_uring",
		     zk_queue_engine(q));
	for (unsigned int i = 0; i < n; i++) {
		char *buf = slots + (size_t)i * 16 * KiB;

		recs[i] = (struct rec){ .zone = z, .tag = new_tag(),
					.len = (uint32_t)((i ? 16 : 4) * KiB),
					.off = UINT64_MAX };
		vm_fill(buf, recs[i].len, 0, recs[i].tag);
		CHECK_RET(zk_queue_append(q, zst(z), buf, recs[i].len, i), 0);
	}
	while (done < n) {
		int got = zk_queue_reap(q, cqe, 64, 1);

		CHECK(got > 0);
		for (int i = 0; i < got; i++, done++) {
			struct rec *r = &recs[cqe[i].user_data];

			/* res: the byte count, or -errno */
			r->res = cqe[i].res < 0 ? (int)cqe[i].res : 0;
			r->off = r->res ? UINT64_MAX : cqe[i].offset;
		}
	}
	zk_queue_exit(q);
	free(slots);
}

/* Appends merged into one write, which the kernel splits and applies in
 * part (the commands before the one with the bad block). */
static void case_partial_queue(void)
{
	uint32_t f = SEQ(0);
	uint64_t b = zst(f) + 304 * KiB;
	struct rec recs[41];
	struct tally t = { 0 };
	struct zk_stats before;

	step("an io_uring queue: one 4 KiB append in flight, 40 of 16 KiB "
	     "queued behind it (one write of 640 KiB), a bad block at +304 KiB");
	BAD(b, 4 * KiB);
	before = stats_now();
	queue_burst(f, recs, 41);
	VIEWS();
	check_zone(__LINE__, f, recs, 41, b, true, &t);
	check_run(__LINE__, &before, &t, t.acked, "io_uring queue");
	if (!t.gaps)
		fail(__LINE__, "no failed append left its first bytes below the "
		     "wp: the merged write was not applied in part");
}

/* The bytes another program wrote at @off must still be there. */
static void theirs_intact(int line, uint64_t off, size_t len)
{
	char *buf = vm_alloc(len);

	if (pread(T.raw_dio, buf, len, (off_t)off) != (ssize_t)len)
		fail(line, "raw read at %#" PRIx64 ": %s", off, strerror(errno));
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)buf[i] != 0x77)
			fail(line, "the other program's data at %#" PRIx64
			     " was overwritten", off + i);
	free(buf);
}

/* Not a bad block: the device refuses zonekit's write because another
 * program moved the wp.  The same recovery must find that what lies below
 * the device's wp is not zonekit's data (it reads it back) and acknowledge
 * nothing over it. */
/* Another program writes @theirs bytes at zonekit's wp; a zonekit append
 * of @len must be refused by the device, re-learn the zone once, and land
 * after the other program's data, which stays. */
static void append_after_theirs(int line, uint32_t z, size_t theirs,
				size_t len)
{
	uint64_t stale = zk_zone_at(line, z).wp, landed = 0, tag = new_tag();
	struct zk_stats before;
	int r;

	raw_write(z, stale, theirs);
	before = stats_now();
	r = append_tag(z, len, tag, &landed);
	if (r)
		fail(line, "append = %s", vm_errname(r));
	relearnt(line, &before, 1);
	if (landed != stale + theirs)
		fail(line, "append landed at +%" PRIu64 " KiB, want +%" PRIu64
		     " KiB (after the other program's data)", kib(z, landed),
		     kib(z, stale + theirs));
	readback(line, landed, len, tag);
	theirs_intact(line, stale, theirs);
	views(line, UINT32_MAX);
	n_verified++;
}

static void case_moved(void)
{
	uint32_t f = SEQ(0);
	uint64_t stale;
	struct zk_stats before;

	step("another program writes 8 KiB at the wp behind zonekit's back; an "
	     "8 KiB append goes in after it");
	APPEND_OK(f, 16 * KiB);
	append_after_theirs(__LINE__, f, 8 * KiB, 8 * KiB);
	step("again with a 16 KiB append, longer than what the other wrote");
	append_after_theirs(__LINE__, f, 8 * KiB, 16 * KiB);
	step("a zk_pwrite at zonekit's stale wp fails with EIO, acknowledged "
	     "nowhere");
	stale = ZONE(f).wp;
	raw_write(f, stale, 4 * KiB);
	before = stats_now();
	CHECK_RET(pwrite_tag(stale, 8 * KiB, new_tag()), -EIO);
	RELEARNT(before, 1);
	VIEWS();
	theirs_intact(__LINE__, stale, 4 * KiB);
	CHECK(ZONE(f).wp == stale + 4 * KiB);
	APPEND_OK(f, 4 * KiB);
}

static void fill_to_capacity(uint32_t z)
{
	uint64_t unit = T.info.max_append ? T.info.max_append : 64 * KiB;

	while (ZONE(z).cond != ZK_COND_FULL) {
		uint64_t left = zst(z) + T.zcap - ZONE(z).wp;

		APPEND_OK(z, left < unit ? left : unit);
	}
}

static void case_recover(void)
{
	uint32_t f = SEQ(0);
	uint64_t b = zst(f) + 256 * KiB;

	step("a zone filled up to a bad block at +256 KiB");
	BAD(b, 4 * KiB);
	for (int i = 0; i < 4; i++)
		APPEND_OK(f, 64 * KiB);
	APPEND_EIO(f, 64 * KiB);
	APPEND_EIO(f, 4 * KiB);
	step("the bad block cleared: appends go on at the wp, over it");
	GOOD(b, 4 * KiB);
	CHECK(APPEND_OK(f, 64 * KiB) == b);
	APPEND_OK(f, 4 * KiB);
	step("the bad block back, the zone reset: writes up to it work again");
	BAD(b, 4 * KiB);
	CHECK_RET(zk_zone_op(T.zk, ZK_OP_RESET, zst(f), T.zs), 0);
	VIEWS();
	CHECK(ZONE(f).cond == ZK_COND_EMPTY && ZONE(f).wp == zst(f));
	for (int i = 0; i < 4; i++)
		APPEND_OK(f, 64 * KiB);
	APPEND_EIO(f, 8 * KiB);
	step("cleared and reset: the zone fills to FULL");
	GOOD(b, 4 * KiB);
	CHECK_RET(zk_zone_op(T.zk, ZK_OP_RESET, zst(f), T.zs), 0);
	VIEWS();
	fill_to_capacity(f);
	CHECK(ZONE(f).wp == zst(f) + T.zs);
}

static void case_conventional(void)
{
	uint64_t tag = new_tag();
	char *buf = vm_alloc(4 * KiB);

	if (!T.nconv)
		fail(__LINE__, "the device needs a conventional zone");
	step("64 KiB written, then a bad block at +32 KiB");
	CHECK_RET(pwrite_tag(0, 64 * KiB, tag), 64 * KiB);
	BAD(32 * KiB, 4 * KiB);
	step("a write over it fails, re-learns nothing, changes nothing");
	expect_eio(__LINE__, 0, false, 0, 64 * KiB, UINT32_MAX);
	READBACK(0, 32 * KiB, tag);
	CHECK_RET(zk_pread(T.zk, buf, 4 * KiB, 32 * KiB), -EIO);
	GOOD(32 * KiB, 4 * KiB);
	READBACK(0, 64 * KiB, tag);
	n_verified++;
	step("cleared: it can be written again");
	PWRITE_OK(0, 64 * KiB);
	free(buf);
}

static const struct vm_case cases[] = {
	{ "write", case_write },
	{ "partial", case_partial },
	{ "partial_queue", case_partial_queue },
	{ "concurrent", case_concurrent },
	{ "recover", case_recover },
	{ "moved", case_moved },
	{ "conventional", case_conventional },
};

/* ---------------------------------------------------------------- */

static void setup(const char *name, const char *path)
{
	struct stat sb;

	snprintf(T.path, sizeof(T.path), "%s", path);
	vm_h.dev = T.path;
	snprintf(T.bbpath, sizeof(T.bbpath),
		 "/sys/kernel/config/nullb/%s/badblocks", name);
	CHECK_RET(zk_open(T.path, 0, &T.zk), 0);
	CHECK_RET(zk_info(T.zk, &T.info), 0);
	T.raw = open(T.path, O_RDWR | O_CLOEXEC);
	T.raw_dio = open(T.path, O_RDWR | O_DIRECT | O_CLOEXEC);
	CHECK(T.raw >= 0 && T.raw_dio >= 0 && !fstat(T.raw, &sb));
	if (T.info.backend != ZK_BACKEND_BLKDEV || !vm_is_null_blk(sb.st_rdev))
		fail(__LINE__, "%s is not a null_blk device", T.path);
	if (access(T.bbpath, W_OK))
		fail(__LINE__, "%s: %s", T.bbpath, strerror(errno));
	T.nz = T.info.nr_zones;
	T.nconv = T.info.nr_conv_zones;
	T.nseq = T.nz - T.nconv;
	T.zs = T.info.zone_size;
	T.zcap = T.info.zone_capacity;
	T.bs = T.info.block_size;
	T.cap = T.info.capacity;
	if (T.bs != 4096 || T.zcap < 2 * MiB || T.info.max_open ||
	    T.info.max_active || T.nseq < 5)
		fail(__LINE__, "needs 4 KiB blocks, zones of 2 MiB or more, no "
		     "open/active limits, 5 sequential zones");
	T.kz = calloc(T.nz, sizeof(*T.kz));
	T.dz = calloc(T.nz, sizeof(*T.dz));
	CHECK(T.kz && T.dz);
	printf("faults %s: null_blk %s, %u zones of %" PRIu64 " MiB (capacity %"
	       PRIu64 " MiB), %u conventional, max append %" PRIu64 " KiB\n",
	       T.path, name, T.nz, T.zs / MiB, T.zcap / MiB, T.nconv,
	       T.info.max_append / KiB);
}

/* After each case: an untouched zone takes an append and gives it back. */
static void other_zone_works(void)
{
	uint32_t z = T.nz - 1;

	step("an untouched zone works");
	APPEND_OK(z, 16 * KiB);
}

/* a case, from and back to no bad blocks and every zone reset */
static void case_body(const void *arg)
{
	const struct vm_case *c = arg;

	bb_clear_all();
	reset_all();
	c->fn();
	other_zone_works();
	bb_clear_all();
	reset_all();
}

/* back to a known state after a failed case */
static void recover_device(void)
{
	char now[4096];

	bb_store(__LINE__, '-', 0, T.cap);
	if (bb_show(now, sizeof(now)) || zk_resync(T.zk) ||
	    zk_zone_op(T.zk, ZK_OP_RESET, 0, T.cap)) {
		printf("FAIL %s: cannot bring the device back\n", T.path);
		exit(1);
	}
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	const char *only = NULL;
	unsigned int passed = 0, failed = 0;
	char failed_names[256] = "";
	double t0 = now_s();
	int opt;

	setvbuf(stdout, NULL, _IOLBF, 0);
	while ((opt = getopt(argc, argv, "c:h")) != -1) {
		if (opt != 'c')
			goto usage;
		only = optarg;
	}
	if (optind != argc - 2)
		goto usage;
	setup(argv[optind], argv[optind + 1]);
	recover_device();
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct vm_case *c = &cases[i];
		double c0 = now_s();
		bool ok;

		if (!vm_case_wanted(only, c->name))
			continue;
		printf("case %s\n", c->name);
		ok = vm_run_case(c->name, case_body, c);
		printf("case %s: %s (%.1f s)\n", c->name, ok ? "PASS" : "FAIL",
		       now_s() - c0);
		if (ok) {
			passed++;
			continue;
		}
		failed++;
		snprintf(failed_names + strlen(failed_names),
			 sizeof(failed_names) - strlen(failed_names), "%s%s",
			 failed > 1 ? ", " : " (", c->name);
		recover_device();
	}
	if (!passed && !failed) {
		fprintf(stderr, "no case matches -c %s\n", only);
		return 2;
	}
	zk_close(T.zk);
	printf("faults %s: %u cases: %u passed, %u failed%s%s; faults injected "
	       "%lu, partial writes %lu, appends/writes verified %lu, relearns "
	       "%lu, retried %lu, view checks %lu; %.1f s\n", T.path,
	       passed + failed, passed, failed, failed_names, failed ? ")" : "",
	       n_faults, n_partial, n_verified, n_relearns, n_retried, n_checks,
	       now_s() - t0);
	return failed ? 1 : 0;
usage:
	fprintf(stderr, "usage: %s [-c CASE,...] NAME DEV   (NAME: the configfs "
		"null_blk directory of DEV)\n", argv[0]);
	return 2;
}
