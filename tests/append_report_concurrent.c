/* SPDX-License-Identifier: MIT */
/*
 * zk_report while appends run: the wp it reports never covers data that is
 * not written yet.  Appender threads append self-describing records to one
 * zone; reader threads loop: report the zone, read everything between what
 * they have checked and the reported wp, and check that every block there
 * is a valid record block, that records are whole and in one piece, and that
 * the wp never goes backwards.  Other readers only check the newest data,
 * right below each reported wp, as fast as they can.  At the end the full
 * reader has seen every append exactly once, and the final wp is where it
 * stopped reading.
 *
 * ZK_TEST_SCALE scales the number of appends.
 */
#include "testlib.h"

#include <pthread.h>
#include <stdatomic.h>

#define NAPP 4
#define NREAD 3 /* reader 0 scans everything, the others only the newest data */
#define MAXBLK 8
#define BS 512
#define ZS (256 * MiB)
#define TAIL (32 * 1024)

static struct zk_dev *dev;
static uint64_t zs;
static unsigned long per_thread;
static atomic_int appenders_done;
static pthread_barrier_t start;

static void *appender(void *arg)
{
	uint32_t tid = (uint32_t)(uintptr_t)arg;
	uint64_t rnd = 0x2545F4914F6CDD1DULL * (tid + 7);
	uint8_t *buf = t_aligned(MAXBLK * BS);
	unsigned long i;

	pthread_barrier_wait(&start);
	for (i = 0; i < per_thread; i++) {
		uint32_t len = (1 + (uint32_t)(t_rand(&rnd) % MAXBLK)) * BS;
		uint64_t landed;
		int ret;

		t_rec_fill(buf, len, BS, tid, (uint32_t)i);
		ret = zk_append(dev, zs, buf, len, &landed);
		if (ret)
			T_FAIL("appender %u: append %lu = %d (%s)", tid, i, ret,
			       t_errname(ret));
	}
	free(buf);
	atomic_fetch_add(&appenders_done, 1);
	return NULL;
}

struct reader {
	pthread_t th;
	unsigned int id;
	uint64_t checked;   /* bytes from zs verified */
	uint64_t reports;   /* reports that moved */
	uint64_t tails;     /* tail checks right after a report */
	uint64_t records;   /* complete records seen */
	uint8_t *seen;      /* [tid * per_thread + seq] */
	/* the record being read: continues in the next block */
	struct t_rec_blk cur;
	bool in_record;
	bool tail_only;
};

static void scan(struct reader *rd, const uint8_t *buf, size_t len, uint64_t off)
{
	size_t b;

	for (b = 0; b < len; b += BS) {
		struct t_rec_blk rb;
		const char *why = t_rec_check_block(buf + b, BS, &rb);

		if (why)
			T_FAIL("reader %u: block at %#" PRIx64 " (below the reported wp): %s",
			       rd->id, off + b, why);
		if (rd->in_record) {
			if (rb.tid != rd->cur.tid || rb.seq != rd->cur.seq ||
			    rb.blk != rd->cur.blk + 1 || rb.nblk != rd->cur.nblk)
				T_FAIL("reader %u: block at %#" PRIx64 " is %u/%u "
				       "block %u/%u, expected the rest of %u/%u",
				       rd->id, off + b, rb.tid, rb.seq, rb.blk,
				       rb.nblk, rd->cur.tid, rd->cur.seq);
		} else {
			if (rb.blk != 0)
				T_FAIL("reader %u: block at %#" PRIx64 " is block %u "
				       "of %u/%u, expected a record start",
				       rd->id, off + b, rb.blk, rb.tid, rb.seq);
			if (rb.tid >= NAPP || rb.seq >= per_thread)
				T_FAIL("reader %u: record %u/%u out of range",
				       rd->id, rb.tid, rb.seq);
			if (rd->seen[rb.tid * per_thread + rb.seq]++)
				T_FAIL("reader %u: record %u/%u seen twice (at %#"
				       PRIx64 ")", rd->id, rb.tid, rb.seq, off + b);
		}
		rd->cur = rb;
		rd->in_record = rb.blk + 1 < rb.nblk;
		if (!rd->in_record)
			rd->records++;
	}
}

/* Read and check [zs + checked, wp). */
static void catch_up(struct reader *rd, uint64_t wp, uint8_t *buf, size_t bufsz)
{
	while (zs + rd->checked < wp) {
		uint64_t off = zs + rd->checked;
		size_t len = wp - off < bufsz ? (size_t)(wp - off) : bufsz;
		ssize_t ret = zk_pread(dev, buf, len, off);

		if (ret != (ssize_t)len)
			T_FAIL("reader %u: zk_pread(%#" PRIx64 ", %zu) = %zd (%s)",
			       rd->id, off, len, ret, t_errname(ret));
		scan(rd, buf, len, off);
		rd->checked += len;
	}
}

static void *reader_fn(void *arg)
{
	struct reader *rd = arg;
	size_t bufsz = 1 * MiB;
	uint8_t *buf = t_aligned(bufsz);
	uint64_t last_wp = zs;
	bool last_round = false;

	pthread_barrier_wait(&start);
	for (;;) {
		struct zk_zone z[1];
		unsigned int nr = 1;
		int ret;

		/* the final round starts after every appender returned */
		if (atomic_load(&appenders_done) == NAPP)
			last_round = true;
		ret = zk_report(dev, zs, z, &nr);
		if (ret || nr != 1)
			T_FAIL("reader %u: zk_report = %d (%s), nr %u", rd->id,
			       ret, t_errname(ret), nr);
		if (z->start != zs || z->wp < zs || z->wp > zs + ZS ||
		    (z->wp - zs) % BS)
			T_FAIL("reader %u: bad report: start %#" PRIx64 " wp %#" PRIx64,
			       rd->id, z->start, z->wp);
		if (z->wp < last_wp)
			T_FAIL("reader %u: wp went back from %#" PRIx64 " to %#" PRIx64,
			       rd->id, last_wp, z->wp);
		if (z->cond != ZK_COND_IMP_OPEN && !(z->cond == ZK_COND_EMPTY && z->wp == zs))
			T_FAIL("reader %u: zone is %s", rd->id, t_condname(z->cond));
		if (z->wp != last_wp)
			rd->reports++;
		last_wp = z->wp;
		/* first the newest data, right below the reported wp: where
		 * a wp published too early would show unwritten blocks */
		if (z->wp - zs > rd->checked) {
			uint64_t tail = z->wp - zs - rd->checked;
			uint64_t off;
			ssize_t r;

			if (tail > TAIL)
				tail = TAIL;
			off = z->wp - tail;
			r = zk_pread(dev, buf, tail, off);
			if (r != (ssize_t)tail)
				T_FAIL("reader %u: zk_pread(%#" PRIx64 ", %" PRIu64
				       ") = %zd (%s)", rd->id, off, tail, r,
				       t_errname(r));
			for (uint64_t b = 0; b < tail; b += BS) {
				const char *why = t_rec_check_block(buf + b, BS, NULL);

				if (why)
					T_FAIL("reader %u: block at %#" PRIx64
					       " (wp %#" PRIx64 " just reported): %s",
					       rd->id, off + b, z->wp, why);
			}
			rd->tails++;
		}
		if (rd->tail_only)
			rd->checked = z->wp - zs;
		else
			catch_up(rd, z->wp, buf, bufsz);
		if (last_round)
			break;
	}
	if (rd->in_record)
		T_FAIL("reader %u: the zone ends inside record %u/%u", rd->id,
		       rd->cur.tid, rd->cur.seq);
	free(buf);
	return NULL;
}

int main(void)
{
	struct zk_geometry geo;
	struct tdev t;
	pthread_t app[NAPP];
	struct reader rd[NREAD];
	struct zk_zone z;
	unsigned int i;
	unsigned long k;

	per_thread = t_scaled(10000, 50);
	t_geo_default(&geo);
	geo.block_size = BS;
	geo.zone_size = ZS;
	geo.capacity = 3 * ZS;
	geo.nr_conv_zones = 1;
	t_dev_create(&t, &geo);
	dev = t.dev;
	zs = ZS;

	pthread_barrier_init(&start, NULL, NAPP + NREAD);
	for (i = 0; i < NREAD; i++) {
		memset(&rd[i], 0, sizeof(rd[i]));
		rd[i].id = i;
		rd[i].tail_only = i > 0;
		rd[i].seen = t_malloc(NAPP * per_thread);
		if (pthread_create(&rd[i].th, NULL, reader_fn, &rd[i]))
			T_FAIL("pthread_create");
	}
	for (i = 0; i < NAPP; i++)
		if (pthread_create(&app[i], NULL, appender, (void *)(uintptr_t)i))
			T_FAIL("pthread_create");
	for (i = 0; i < NAPP; i++)
		pthread_join(app[i], NULL);
	for (i = 0; i < NREAD; i++)
		pthread_join(rd[i].th, NULL);
	pthread_barrier_destroy(&start);

	z = T_ZONE(t.dev, zs);
	for (i = 0; i < NREAD; i++) {
		t_ctx("reader %u", i);
		T_EQ(zs + rd[i].checked, z.wp);
		t_info("reader %u: %" PRIu64 " reports saw the wp move, %" PRIu64
		       " tail checks, %" PRIu64 " records, %" PRIu64 " KiB", i,
		       rd[i].reports, rd[i].tails, rd[i].records,
		       rd[i].checked >> 10);
		if (rd[i].tail_only) {
			free(rd[i].seen);
			continue;
		}
		T_EQ(rd[i].records, NAPP * per_thread);
		for (k = 0; k < NAPP * per_thread; k++)
			if (rd[i].seen[k] != 1)
				T_FAIL("record %lu/%lu seen %u times", k / per_thread,
				       k % per_thread, rd[i].seen[k]);
		free(rd[i].seen);
	}
	T_EQ(z.cond, ZK_COND_IMP_OPEN);

	t_dev_close(&t);
	t_info("pass");
	return T_EXIT_PASS;
}
