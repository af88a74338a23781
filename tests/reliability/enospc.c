/* SPDX-License-Identifier: MIT */
/*
 * A real ENOSPC: the emulated device on a tmpfs mounted with size=640k
 * (root only; skipped otherwise), 4 zones of 1 MiB, so the file system
 * fills long before the zones do.  4 threads append to the 4 zones until
 * each has seen 3 failures, with zk_append and again through queues (small
 * buffered writes from the submitting thread, then all on the ring):
 *
 *   - every failure is -ENOSPC (the file system's error, passed on);
 *   - every acknowledged append is at its landed offset, the wp is the
 *     file's size and every block below it a record's (a write the file
 *     system cut short leaves whole blocks only);
 *   - resetting a zone gives the space back and appends work again;
 *   - zk_flush() still works, the device reopens with the same zones.
 *
 * Also: zk_create() on a file system out of inodes fails cleanly (no zone
 * file nor geometry left behind).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "rel.h"

#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#define BS 4096u
#define NR_ZONES 4
#define MAX_OUT 400

static char mnt[PATH_MAX - 128];
static unsigned long enospc_seen, rounds_run;

static void cleanup(void)
{
	if (mnt[0])
		umount2(mnt, MNT_DETACH);
}

struct filler {
	struct tdev *t;
	pthread_t th;
	uint32_t zone, tid;
	bool queue;
	struct zk_queue *q; /* made and freed by the main thread */
	struct rel_outcome out[MAX_OUT];
	size_t n;
};

static void *fill_main(void *arg)
{
	struct filler *f = arg;
	uint64_t rng = 77 + f->tid;
	uint8_t *buf = t_aligned(REL_MAX_BLKS * BS);
	struct zk_queue *q = f->q;
	unsigned int fails = 0;

	while (fails < 3 && f->n < MAX_OUT) {
		struct rel_outcome *o = &f->out[f->n++];

		o->tid = f->tid;
		o->seq = (uint32_t)f->n;
		o->nblk = 1 + (uint32_t)(t_rand(&rng) % REL_MAX_BLKS);
		t_rec_fill(buf, o->nblk * BS, BS, o->tid, o->seq);
		if (q) {
			struct zk_cqe cqe;

			T_OK(zk_queue_append(q, t_zstart(f->t, f->zone), buf,
					     o->nblk * BS, 0));
			T_RET(zk_queue_reap(q, &cqe, 1, 1), 1);
			o->ret = cqe.res < 0 ? (int)cqe.res : 0;
			o->landed = cqe.offset;
		} else {
			o->ret = zk_append(f->t->dev, t_zstart(f->t, f->zone),
					   buf, o->nblk * BS, &o->landed);
		}
		if (o->ret)
			fails++;
	}
	free(buf);
	return NULL;
}

static void fill(struct tdev *t, bool queue, unsigned int qflags,
		 uint32_t tid0)
{
	struct filler *f = t_malloc(NR_ZONES * sizeof(*f));
	unsigned long failed = 0;

	for (uint32_t z = 0; z < NR_ZONES; z++) {
		f[z].t = t;
		f[z].zone = z;
		f[z].tid = tid0 + z;
		f[z].queue = queue;
		/* Queues live as long as all the threads do: a ring's memory,
		 * mapped by liburing's own syscalls, is unknown to
		 * ThreadSanitizer, and reused by the next ring it would look
		 * like a race. */
		f[z].q = NULL;
		if (queue)
			T_OK(zk_queue_init(t->dev, 4, qflags, &f[z].q));
		if (pthread_create(&f[z].th, NULL, fill_main, &f[z]))
			T_FAIL("pthread_create");
	}
	for (uint32_t z = 0; z < NR_ZONES; z++)
		pthread_join(f[z].th, NULL);
	for (uint32_t z = 0; z < NR_ZONES; z++)
		if (f[z].q)
			zk_queue_exit(f[z].q);
	for (uint32_t z = 0; z < NR_ZONES; z++)
		rel_verify_zone(t, z, f[z].out, f[z].n, -ENOSPC, &failed);
	if (!failed)
		T_FAIL("the file system never filled up");
	enospc_seen += failed;
	rounds_run++;
	free(f);
}

static void create_out_of_inodes(void)
{
	char m[PATH_MAX - 64], dev[PATH_MAX];
	struct zk_geometry geo;
	char *before;
	int ret;

	snprintf(m, sizeof(m), "%s/inodes", t_tmpdir());
	if (mkdir(m, 0755) || mount("zk-rel", m, "tmpfs", 0, "size=1m,nr_inodes=8"))
		T_FAIL("mount tmpfs %s: %s", m, strerror(errno));
	snprintf(dev, sizeof(dev), "%s/dev", m);
	t_geo_default(&geo);
	geo.capacity = 16 * MiB; /* 16 zone files: more than 8 inodes */
	before = rel_dir_listing(m);
	ret = zk_create(dev, &geo);
	if (ret >= 0)
		T_FAIL("zk_create with 16 zones on a file system of 8 inodes "
		       "succeeded");
	t_info("zk_create out of inodes: %s", t_errname(ret));
	{
		char *now = rel_dir_listing(m);

		/* zk_create made the directory: an empty one may stay. */
		if (strcmp(now, before) && strcmp(now, "dev d 755\n"))
			T_FAIL("a failed zk_create left:\n%s", now);
		if (strcmp(now, before))
			t_info("note: a failed zk_create leaves the (empty) "
			       "directory it made");
		free(now);
	}
	free(before);
	umount2(m, MNT_DETACH);
}

int main(void)
{
	struct zk_geometry geo = {
		.capacity = NR_ZONES * MiB, .zone_size = MiB, .block_size = BS,
	};
	struct zk_zone before[NR_ZONES], after[NR_ZONES];
	unsigned int nr = NR_ZONES;
	struct tdev t;
	int ret;

	if (!rel_can_mount())
		t_skip("needs root and mount(2) for a small tmpfs");
	/* A write retried forever on a full file system hung here once: a
	 * hang fails the test, with every thread's state, not meson's clock. */
	t_watchdog_start(30);
	snprintf(mnt, sizeof(mnt), "%s/m", t_tmpdir());
	if (mkdir(mnt, 0755) || mount("zk-rel", mnt, "tmpfs", 0, "size=640k"))
		T_FAIL("mount tmpfs %s: %s", mnt, strerror(errno));
	atexit(cleanup);

	memset(&t, 0, sizeof(t));
	snprintf(t.dir, sizeof(t.dir), "%s", mnt);
	snprintf(t.path, sizeof(t.path), "%s/dev", mnt);
	ret = zk_create(t.path, &geo);
	if (ret)
		T_FAIL("zk_create: %s", t_errname(ret));
	t_dev_reopen(&t, 0);

	fill(&t, false, 0, 1);
	/* A reset gives the space back. */
	for (uint32_t z = 0; z < NR_ZONES; z++)
		T_OK(zk_zone_op(t.dev, ZK_OP_RESET, t_zstart(&t, z), MiB));
	fill(&t, true, 0, 11); /* through queues */
	for (uint32_t z = 0; z < NR_ZONES; z++)
		T_OK(zk_zone_op(t.dev, ZK_OP_RESET, t_zstart(&t, z), MiB));
	fill(&t, true, ZK_QUEUE_NO_INLINE, 21); /* every write on the ring */
	T_OK(zk_flush(t.dev));
	T_OK(zk_report(t.dev, 0, before, &nr));
	t_dev_reopen(&t, 0);
	nr = NR_ZONES;
	T_OK(zk_report(t.dev, 0, after, &nr));
	for (uint32_t z = 0; z < NR_ZONES; z++)
		T_EQ(after[z].wp, before[z].wp);
	t_dev_close(&t);

	create_out_of_inodes();
	rel_figures("enospc", "fills=%lu enospc_failures=%lu appends_checked=%lu",
		    rounds_run, enospc_seen, rel_appends_checked);
	t_watchdog_stop();
	return T_EXIT_PASS;
}
