/* SPDX-License-Identifier: MIT */
/*
 * Every allocation the library makes on the write path may fail: the call
 * that needed it fails with -ENOMEM, or the library does without it, and
 * nothing else changes.  The program is linked with failalloc.c's
 * wrappers, so an allocation fails on demand.
 *
 *  sweep       one thread: a fixed script (appends, writes, zone ops,
 *              queue appends through the ring, resync, flush) on a device
 *              with open/active limits, run again and again with the 1st,
 *              2nd, 3rd... allocation failing until none is left to fail.
 *              Each call must do what the model of the zones says or
 *              fail with -ENOMEM and change nothing; afterwards zonekit's
 *              report, the zone files and every acknowledged append agree
 *              with the model, and the device still works (no lock left
 *              held: the watchdog).
 *  snapshot    opening a device of 4096 zones from its wp snapshot with
 *              each allocation failing in turn: the open fails with
 *              -ENOMEM, or it succeeds and writes work (they all failed
 *              with EIO when the bitmap of zones to check against their
 *              files could not be allocated).
 *  concurrent  threads appending to two zones that share a stripe (and
 *              its spare plug), resetting them often, with one
 *              allocation in four failing:
 *              no error but -ENOMEM, no hang (a reservation used to keep
 *              res.lock after failing to allocate a plug on its second
 *              pass, and every later zone operation hung).
 */
#include <pthread.h>
#include <stdatomic.h>
#include <sys/stat.h>
#include <unistd.h>

#include "failalloc.h"
#include "testlib.h"

#define BS 4096u

/* ---- the zones as they should be ---- */

#define MAXZ 16
struct model {
	uint64_t wp[MAXZ];    /* committed wp of each zone */
	uint64_t seed[MAXZ];  /* pattern seed of the data written in it */
};

static struct tdev t;
static struct model m;
/* The test allocates nothing while allocations fail: static buffers. */
static uint8_t wbuf[8 * BS] __attribute__((aligned(4096)));
static uint8_t rbuf[8 * BS] __attribute__((aligned(4096)));

/* [off, off + len) reads back as pattern @seed laid out for @pat_off. */
static void check_data(uint64_t off, size_t len, uint64_t pat_off,
		       uint64_t seed)
{
	T_RET(zk_pread(t.dev, rbuf, len, off), len);
	if (t_pat_find_bad(rbuf, len, pat_off, seed) >= 0)
		T_FAIL("data at 0x%" PRIx64 " is not what was written there", off);
}

static uint64_t zend(unsigned int z)
{
	return t_zstart(&t, z) + t.info.zone_size;
}

/* @ret is the call's result: the expected value, or -ENOMEM. */
#define EXPECT(ret, want)                                                   \
	do {                                                                \
		long long r_ = (ret), w_ = (want);                          \
		if (r_ != w_ && r_ != -ENOMEM)                              \
			T_FAIL("%s = %lld (%s), expected %lld or -ENOMEM", \
			       #ret, r_, t_errname(r_), w_);               \
	} while (0)

static void append(unsigned int z, unsigned int nblk)
{
	size_t len = (size_t)nblk * BS;
	uint64_t landed = 0;
	int ret;

	t_pat_fill(wbuf, len, m.wp[z], m.seed[z]);
	ret = zk_append(t.dev, t_zstart(&t, z), wbuf, len, &landed);
	EXPECT(ret, 0);
	if (!ret) {
		T_EQ(landed, m.wp[z]);
		check_data(landed, len, landed, m.seed[z]);
		m.wp[z] += len;
	}
}

static void write_at_wp(unsigned int z)
{
	ssize_t ret;

	t_pat_fill(wbuf, 2 * BS, m.wp[z], m.seed[z]);
	ret = zk_pwrite(t.dev, wbuf, 2 * BS, m.wp[z]);
	EXPECT(ret, 2 * BS);
	if (ret > 0) {
		check_data(m.wp[z], 2 * BS, m.wp[z], m.seed[z]);
		m.wp[z] += 2 * BS;
	}
}

static void zone_op(enum zk_op op, unsigned int z)
{
	int ret = zk_zone_op(t.dev, op, t_zstart(&t, z), t.info.zone_size);

	EXPECT(ret, 0);
	if (ret)
		return;
	if (op == ZK_OP_FINISH)
		m.wp[z] = zend(z);
	if (op == ZK_OP_RESET) {
		m.wp[z] = t_zstart(&t, z);
		m.seed[z] += 100;
	}
}

static int by_offset(const void *a, const void *b)
{
	const struct zk_cqe *x = a, *y = b;

	return x->offset < y->offset ? -1 : x->offset > y->offset;
}

/* Appends through a queue (on the ring; on the thread engine if the
 * ring's allocation is the one that fails), each landing after the last
 * that succeeded: the ring's land in order of submission, the workers' in
 * any order, so the successes are checked by where they landed. */
static void queue_appends(unsigned int z, unsigned int n)
{
	uint8_t *buf = wbuf;
	struct zk_cqe c[8];
	struct zk_queue *q;
	int ret = zk_queue_init(t.dev, 8, ZK_QUEUE_NO_INLINE, &q);
	unsigned int got = 0, ok = 0;

	EXPECT(ret, 0);
	if (ret)
		return;
	for (unsigned int i = 0; i < n; i++) {
		/* block i's pattern is keyed by i, wherever it lands */
		t_pat_fill(buf + i * BS, BS, i * BS, m.seed[z]);
		T_OK(zk_queue_append(q, t_zstart(&t, z), buf + i * BS, BS, i));
	}
	while (got < n) {
		ret = zk_queue_reap(q, c + got, n - got, 1);
		T_ASSERT(ret > 0);
		got += (unsigned int)ret;
	}
	for (unsigned int k = 0; k < n; k++) {
		EXPECT(c[k].res, BS);
		if (c[k].res == BS)
			c[ok++] = c[k];
	}
	qsort(c, ok, sizeof(c[0]), by_offset);
	for (unsigned int k = 0; k < ok; k++) {
		T_EQ(c[k].offset, m.wp[z]);
		check_data(c[k].offset, BS, c[k].user_data * BS, m.seed[z]);
		m.wp[z] += BS;
	}
	zk_queue_exit(q);
}

/* zonekit's report, the zone files and the data agree with the model. */
static void check_model(void)
{
	for (unsigned int z = t.info.nr_conv_zones; z < t.info.nr_zones; z++) {
		struct zk_zone zone = T_ZONE(t.dev, t_zstart(&t, z));
		char file[PATH_MAX + 16];
		struct stat sb;

		t_ctx("check zone %u", z);
		T_EQ(zone.wp, m.wp[z]);
		snprintf(file, sizeof(file), "%s/seq-%06u", t.path, z);
		T_ASSERT(!stat(file, &sb));
		if (zone.cond == ZK_COND_FULL)
			T_ASSERT((uint64_t)sb.st_size >= zone.capacity);
		else
			T_EQ(sb.st_size, m.wp[z] - t_zstart(&t, z));
	}
}

/* One run of the script; returns how many allocations it made. */
static unsigned long script(unsigned long fail_at)
{
	unsigned long allocs;

	fa_fail_nth(fail_at);
	append(1, 1);
	append(1, 2);
	write_at_wp(2);
	zone_op(ZK_OP_OPEN, 3);
	append(4, 1); /* max open 2: closes one implicitly */
	append(5, 3);
	queue_appends(6, 5);
	EXPECT(zk_resync(t.dev), 0);
	EXPECT(zk_flush(t.dev), 0);
	zone_op(ZK_OP_FINISH, 1);
	zone_op(ZK_OP_RESET, 2);
	append(2, 1);
	allocs = fa_disarm();
	return allocs;
}

static void case_sweep(void)
{
	struct zk_geometry geo = { .capacity = 8 * MiB, .zone_size = MiB,
				   .nr_conv_zones = 1, .block_size = BS,
				   .max_open = 2 };
	unsigned long n, allocs = 0;

	t_dev_create(&t, &geo);
	for (n = 1;; n++) {
		for (unsigned int z = 0; z < t.info.nr_zones; z++)
			m.wp[z] = t_zstart(&t, z), m.seed[z] = z * 1000 + n;
		T_OK(zk_zone_op(t.dev, ZK_OP_RESET, 0, t.info.capacity));
		t_dev_reopen(&t, 0);
		t_ctx("sweep: allocation %lu fails", n);
		t_state(0, "sweep: allocation %lu fails", n);
		allocs = script(n);
		check_model();
		/* Everything still works: no lock held, nothing stuck. */
		t_ctx("sweep: allocation %lu failed, then", n);
		append(3, 1);
		append(2, 1);
		T_OK(zk_resync(t.dev));
		check_model();
		t_dev_reopen(&t, 0); /* and the files say the same */
		check_model();
		if (allocs < n)
			break; /* the script made fewer: every one has failed once */
	}
	t_info("sweep: the script makes %lu allocations; each failed in turn", allocs);
	t_dev_destroy(&t);
}

static void case_snapshot(void)
{
	struct zk_geometry geo = { .capacity = 4096 * 64 * KiB,
				   .zone_size = 64 * KiB, .block_size = BS };
	unsigned long n, allocs = 0, opened = 0;
	uint64_t landed, z = 5 * 64 * KiB;

	t_dev_create(&t, &geo);
	t_dev_close(&t); /* a clean close of 4096 zones: the snapshot */
	for (n = 1;; n++) {
		struct zk_dev *dev = NULL;
		int ret;

		t_ctx("snapshot: allocation %lu of the open fails", n);
		fa_fail_nth(n);
		ret = zk_open(t.path, 0, &dev);
		allocs = fa_disarm();
		EXPECT(ret, 0);
		if (!ret) {
			opened++;
			T_OK(zk_zone_op(dev, ZK_OP_RESET, z, geo.zone_size));
			T_RET(zk_append(dev, z, wbuf, BS, &landed), 0);
			T_EQ(landed, z);
			zk_close(dev);
		}
		if (allocs < n)
			break;
	}
	t_info("snapshot: the open makes %lu allocations; %lu opens succeeded",
	       allocs, opened);
}

/* ---- concurrent ---- */

#define NTHREADS 4
#define SHARED 4096u /* zones z and z + SHARED share a stripe */

static atomic_bool stop;

#define SHARING 3 /* zones on the stripe */

static void *appender(void *arg)
{
	unsigned int id = (unsigned int)(uintptr_t)arg;
	uint8_t *buf = wbuf + id * BS;
	uint64_t landed;

	for (unsigned long i = 0; !atomic_load(&stop); i++) {
		unsigned int z = 1 + (unsigned int)((id + i) % SHARING) * SHARED;
		uint64_t zs = t_zstart(&t, z);
		int ret;

		t_state(1 + id, "zone %u step %lu", z, i);
		if (i % 4 == 3)
			ret = zk_zone_op(t.dev, ZK_OP_RESET, zs, t.info.zone_size);
		else
			ret = zk_append(t.dev, zs, buf, BS, &landed);
		if (ret == -EIO) /* full: start over */
			ret = zk_zone_op(t.dev, ZK_OP_RESET, zs, t.info.zone_size);
		if (ret && ret != -ENOMEM)
			T_FAIL("thread %u: zone %u: %s", id, z, zk_strerror(ret));
	}
	t_state(1 + id, "done");
	return NULL;
}

static void case_concurrent(void)
{
	struct zk_geometry geo = { .capacity = SHARING * SHARED * 64 * KiB,
				   .zone_size = 64 * KiB, .block_size = BS,
				   .max_open = 3 };
	pthread_t tid[NTHREADS];
	unsigned long failed0 = fa_failed();
	uint64_t landed;

	t_ctx("concurrent");
	t_dev_create(&t, &geo);
	fa_fail_random(4, 42);
	for (uintptr_t i = 0; i < NTHREADS; i++)
		T_ASSERT(!pthread_create(&tid[i], NULL, appender, (void *)i));
	usleep((useconds_t)(2e6 * t_scale()));
	atomic_store(&stop, true);
	for (int i = 0; i < NTHREADS; i++)
		T_ASSERT(!pthread_join(tid[i], NULL));
	fa_disarm();
	/* Nothing stuck: the zones still take an append. */
	for (unsigned int k = 0; k < SHARING; k++) {
		uint64_t zs = t_zstart(&t, 1 + k * SHARED);

		T_OK(zk_zone_op(t.dev, ZK_OP_RESET, zs, t.info.zone_size));
		T_RET(zk_append(t.dev, zs, wbuf, BS, &landed), 0);
		T_EQ(landed, zs);
	}
	T_OK(zk_resync(t.dev));
	t_info("concurrent: %lu allocations failed", fa_failed() - failed0);
	t_dev_destroy(&t);
}

int main(int argc, char **argv)
{
	const char *only = argc > 1 ? argv[1] : NULL;

	t_watchdog_start(240); /* before meson's 300 s */
	if (!only || !strcmp(only, "sweep"))
		case_sweep();
	if (!only || !strcmp(only, "snapshot"))
		case_snapshot();
	if (!only || !strcmp(only, "concurrent"))
		case_concurrent();
	t_watchdog_stop();
	return T_EXIT_PASS;
}
