/* SPDX-License-Identifier: MIT */
/*
 * The emulated device's descriptor cache under threads: many more zones than
 * cached descriptors, so slots are refilled all the time while other threads
 * use them.  The process may open only 48 descriptors, which gives 12 slots
 * for 64 zones.  Threads append self-describing records to random zones and
 * read back random records of their own while others refill the slots.
 * Then every zone must hold exactly its records, the process must hold no
 * more zone file descriptors than there are slots, and none after close.
 *
 * ZK_TEST_SCALE scales the number of appends.
 */
#include "testlib.h"

#include <pthread.h>
#include <sys/resource.h>

#define NTHREADS 6
#define NZONES 64
#define BS 4096
#define MAXBLK 3
#define NOFILE 48
#define SLOTS (NOFILE / 4) /* what the emulated backend takes */

static struct tdev t;
static unsigned long per_thread;
static struct t_rec *recs; /* [tid * per_thread + i] */
static pthread_barrier_t start;

static void check_record(uint32_t tid, const struct t_rec *r, uint8_t *buf)
{
	ssize_t n = zk_pread(t.dev, buf, r->len, r->landed);

	if (n != (ssize_t)r->len)
		T_FAIL("thread %u: read of record %u at %#" PRIx64 " = %zd (%s)",
		       tid, r->seq, r->landed, n, t_errname(n));
	for (uint32_t b = 0; b < r->len; b += BS) {
		struct t_rec_blk rb;
		const char *why = t_rec_check_block(buf + b, BS, &rb);

		if (why || rb.tid != tid || rb.seq != r->seq)
			T_FAIL("thread %u: record %u at %#" PRIx64 " reads back as "
			       "another (%s)", tid, r->seq, r->landed,
			       why ? why : "a record of another thread");
	}
}

static void *worker(void *arg)
{
	uint32_t tid = (uint32_t)(uintptr_t)arg;
	uint64_t rnd = 0x9E3779B97F4A7C15ULL * (tid + 1);
	uint8_t *buf = t_aligned(MAXBLK * BS), *rbuf = t_aligned(MAXBLK * BS);
	struct t_rec *mine = recs + tid * per_thread;

	pthread_barrier_wait(&start);
	for (unsigned long i = 0; i < per_thread; i++) {
		uint32_t z = (uint32_t)(t_rand(&rnd) % NZONES);
		uint32_t len = (1 + (uint32_t)(t_rand(&rnd) % MAXBLK)) * BS;
		int ret;

		t_rec_fill(buf, len, BS, tid, (uint32_t)i);
		ret = zk_append(t.dev, t_zstart(&t, z), buf, len, &mine[i].landed);
		if (ret)
			T_FAIL("thread %u: append %lu to zone %u = %d (%s)", tid,
			       i, z, ret, t_errname(ret));
		mine[i] = (struct t_rec){ .landed = mine[i].landed, .len = len,
					  .tid = tid, .seq = (uint32_t)i,
					  .zone = z };
		check_record(tid, &mine[t_rand(&rnd) % (i + 1)], rbuf);
	}
	free(buf);
	free(rbuf);
	return NULL;
}

static void verify_zones(unsigned long n)
{
	struct t_rec *in_zone = t_malloc(n * sizeof(*in_zone));
	uint64_t total = 0;

	for (uint32_t z = 0; z < NZONES; z++) {
		size_t k = 0;

		for (unsigned long i = 0; i < n; i++)
			if (recs[i].zone == z)
				in_zone[k++] = recs[i];
		t_ctx("zone %u", z);
		total += T_RECS_VERIFY(t.dev, in_zone, k, t_zstart(&t, z),
				       t.info.zone_capacity, BS);
	}
	t_ctx("%s", "");
	t_info("%lu appends, %" PRIu64 " KiB, in %u zones", n, total >> 10,
	       NZONES);
	free(in_zone);
}

int main(void)
{
	struct rlimit rl = { .rlim_cur = NOFILE, .rlim_max = NOFILE };
	struct zk_geometry geo;
	pthread_t th[NTHREADS];
	int not_direct, held;

	/* Enough for the device, the threads, and the test's own files. */
	if (getrlimit(RLIMIT_NOFILE, &rl) || rl.rlim_max < NOFILE)
		t_skip("RLIMIT_NOFILE is below %d", NOFILE);
	rl.rlim_cur = NOFILE;
	T_ASSERT(!setrlimit(RLIMIT_NOFILE, &rl));

	t_geo_default(&geo);
	geo.nr_conv_zones = 0;
	geo.capacity = NZONES * geo.zone_size;
	t_dev_create(&t, &geo);
	/* Random zones fill unevenly: stay well below the capacity (at most
	 * 3600 appends of 8 KiB on average in 64 MiB). */
	per_thread = t_scaled(400, 50);
	if (per_thread > 600)
		per_thread = 600;
	recs = t_malloc(NTHREADS * per_thread * sizeof(*recs));
	T_ASSERT(!pthread_barrier_init(&start, NULL, NTHREADS));
	for (uintptr_t i = 0; i < NTHREADS; i++)
		if (pthread_create(&th[i], NULL, worker, (void *)i))
			T_FAIL("pthread_create");
	for (int i = 0; i < NTHREADS; i++)
		pthread_join(th[i], NULL);
	pthread_barrier_destroy(&start);

	held = t_zone_fds_under(t.dir, &not_direct);
	t_info("%d zone file descriptors held after the run (%d slots)", held,
	       SLOTS);
	if (held < 1 || held > SLOTS)
		T_FAIL("%d zone file descriptors held, want 1..%d", held, SLOTS);
	verify_zones(NTHREADS * per_thread);
	t_dev_close(&t);
	T_EQ(t_zone_fds_under(t.dir, &not_direct), 0);
	free(recs);
	t_info("pass");
	return T_EXIT_PASS;
}
