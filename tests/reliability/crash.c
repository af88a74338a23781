/* SPDX-License-Identifier: MIT */
/*
 * Crash consistency of the emulated device.
 *
 * Each round forks a writer process: 8 threads append to 4 shared zones,
 * write at the wp of a zone of their own, overwrite blocks of the
 * conventional zone, reset zones that fill up, and call zk_flush() now and
 * then.  Every acknowledged write goes to a side log: one 64-byte entry
 * per write(2) on an O_APPEND file, with the landed offset and a checksum
 * of the data; a flush is logged before it starts and again once it
 * returned.  The data are self-describing records (testlib's t_rec_*):
 * every block names its record, so any block read back can be checked on
 * its own.  The parent kills the writer at a random moment, then reopens
 * the device and checks it against the log:
 *
 *   - the device opens (read-write) every time, and zk_resync agrees;
 *   - every block below each zone's wp is a block of some record, records
 *     in order (a record may be cut short at the point a write stopped);
 *   - every write that must have survived is at its offset with its
 *     checksum: with --mode=kill every acknowledged one (a killed process
 *     leaves the page cache behind), with the power-cut modes every one
 *     acknowledged before the start of the last flush that returned;
 *   - no acknowledged record is found anywhere but where it was said to
 *     have landed; the conventional zone's blocks are records of their
 *     owner no older than the last one covered.
 *
 * Modes:
 *   --mode=kill   SIGKILL only (default; 200 rounds).
 *   --mode=shim   SIGKILL, then a power cut of the page cache as a shim
 *                 models it: fdatasync() is wrapped (-Wl,--wrap) to record
 *                 each zone file's size when a sync that returned began;
 *                 the parent truncates every sequential zone file back to
 *                 it.  (Overwrites in the conventional zone are not rolled
 *                 back: the shim cannot.)
 *   --mode=ext4   a real power cut: the device lives on an ext4 file
 *                 system on a loop device, shut down with
 *                 EXT4_IOC_SHUTDOWN(NOLOGFLUSH) (what xfstests' godown
 *                 does: the dirty page cache and the unflushed journal are
 *                 dropped), then unmounted and mounted again.  Root only.
 *
 * Options: --rounds=N (default 200 for kill/shim, 40 for ext4; with
 * --many-zones 50 and 30; a quarter of that under ThreadSanitizer; times
 * ZK_TEST_SCALE), --seed=S, --max-delay-ms=MS (200), --one-flusher (only
 * one thread calls zk_flush), --many-zones (4096 more zones, unused: the
 * device then has the size at which the emulated backend keeps a wp
 * snapshot across clean closes, and the checker's clean close writes it
 * for the next writer's open), --writeback (a thread of the writer starts
 * writeback of the zone files every 2 ms, so that power cuts find it in
 * flight), --zero-tails (ext4: blocks past what a sync covered that read
 * as zeros below the wp after a cut are tolerated and counted, not
 * failed: ext4 with its default dioread_nolock can keep a file's size
 * without its data; flushed data must still all be there),
 * --ext4-opts=OPTS (mount options for --mode=ext4, e.g. dioread_lock).  Prints a
 * FIGURES line for
 * doc/reliability.md.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "rel.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>


/* ------------------------------------------------------------------ */
/* The device */

#define BS 4096u
#define ZONE (4 * MiB)
#define ZCAP (ZONE - 64 * KiB)
#define NR_THREADS 8
#define NR_APPEND_ZONES 4
#define FIRST_APPEND_ZONE 1
#define FIRST_WRITE_ZONE (FIRST_APPEND_ZONE + NR_APPEND_ZONES)
#define NR_ZONES (FIRST_WRITE_ZONE + NR_THREADS)
/* The zones used; --many-zones adds 4096 more after them (never written),
 * so that the device has the zone count at which the emulated backend
 * keeps a snapshot of the wps across a clean close. */
#define EXTRA_ZONES 4096
static uint64_t capacity = (uint64_t)NR_ZONES * ZONE - 1 * MiB; /* short last */
#define CONV_BLOCKS (ZONE / BS)
#define MAX_APPEND_BLKS 16
#define MAX_WRITE_BLKS 8

enum mode { M_KILL, M_SHIM, M_EXT4 };
static const char *const mode_names[] = { "kill", "shim", "ext4" };

/* ------------------------------------------------------------------ */
/* The side log */

enum {
	L_START = 1,  /* the writer opened the device */
	L_APPEND,     /* zone, off = landed, nblk, tid, seq, sum */
	L_WRITE,      /* the same for a zk_pwrite at the wp */
	L_CONV,       /* a block of the conventional zone */
	L_FLUSH_BEGIN, /* seq = flush id */
	L_FLUSH_DONE,
	L_FLUSH_FAIL,
	L_RESET_BEGIN, /* zone */
	L_RESET_DONE,
	L_ERROR,      /* aux = -errno, off = line */
	L_CUT,        /* written by the parent just before a power cut */
};

#define LOG_MAGIC 0x474c4b5au /* "ZKLG" */

struct lent {
	uint32_t magic;
	uint16_t type;
	uint16_t thread;
	uint32_t round;
	uint32_t seq;
	uint32_t zone;
	uint32_t nblk;
	uint64_t off;
	uint64_t sum;
	uint64_t tid;
	uint64_t aux;
	uint32_t pad;
	uint32_t check;
};
_Static_assert(sizeof(struct lent) == 64, "log entries are 64 bytes");

static uint32_t lent_check(const struct lent *e)
{
	return (uint32_t)rel_sum(e, offsetof(struct lent, check));
}

static int log_fd = -1;

/* One write(2) of a whole entry on an O_APPEND descriptor: a crash leaves
 * it there whole or not at all (and the checksum would tell). */
static void log_put(struct lent *e)
{
	e->magic = LOG_MAGIC;
	e->check = lent_check(e);
	if (write(log_fd, e, sizeof(*e)) != (ssize_t)sizeof(*e))
		_exit(4);
}

/* ------------------------------------------------------------------ */
/* fdatasync shim (--mode=shim): the size of each file when the latest
 * sync that returned began, in memory shared with the parent. */

#define SHIM_SLOTS 64
struct shim_slot {
	_Atomic uint64_t ino;
	_Atomic uint64_t ticket; /* when the recorded sync began */
	_Atomic int64_t size;
	pthread_mutex_t lock;
};
struct shim {
	_Atomic int on;
	_Atomic uint64_t tickets;
	_Atomic uint64_t syncs;
	struct shim_slot slot[SHIM_SLOTS];
};
static struct shim *shim;

int __real_fdatasync(int fd);
int __wrap_fdatasync(int fd);
int __wrap_fdatasync(int fd)
{
	struct stat st;
	uint64_t ticket;
	int ret;

	if (!shim || !atomic_load(&shim->on) || fstat(fd, &st))
		return __real_fdatasync(fd);
	ticket = atomic_fetch_add(&shim->tickets, 1) + 1;
	ret = __real_fdatasync(fd);
	if (ret)
		return ret;
	atomic_fetch_add(&shim->syncs, 1);
	for (int i = 0; i < SHIM_SLOTS; i++) {
		struct shim_slot *s = &shim->slot[i];
		uint64_t zero = 0;

		if (atomic_load(&s->ino) != (uint64_t)st.st_ino &&
		    !atomic_compare_exchange_strong(&s->ino, &zero,
						    (uint64_t)st.st_ino))
			continue;
		if (atomic_load(&s->ino) != (uint64_t)st.st_ino)
			continue;
		pthread_mutex_lock(&s->lock);
		if (ticket > atomic_load(&s->ticket)) {
			atomic_store(&s->ticket, ticket);
			atomic_store(&s->size, (int64_t)st.st_size);
		}
		pthread_mutex_unlock(&s->lock);
		break;
	}
	return ret;
}

static bool shim_lookup(uint64_t ino, int64_t *size)
{
	for (int i = 0; i < SHIM_SLOTS; i++) {
		if (atomic_load(&shim->slot[i].ino) == ino &&
		    atomic_load(&shim->slot[i].ticket)) {
			*size = atomic_load(&shim->slot[i].size);
			return true;
		}
	}
	return false;
}

static void shim_init(void)
{
	pthread_mutexattr_t a;

	shim = mmap(NULL, sizeof(*shim), PROT_READ | PROT_WRITE,
		    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (shim == MAP_FAILED)
		T_FAIL("mmap: %s", strerror(errno));
	memset(shim, 0, sizeof(*shim));
	pthread_mutexattr_init(&a);
	pthread_mutexattr_setpshared(&a, PTHREAD_PROCESS_SHARED);
	for (int i = 0; i < SHIM_SLOTS; i++)
		pthread_mutex_init(&shim->slot[i].lock, &a);
	pthread_mutexattr_destroy(&a);
}

static void shim_clear(void)
{
	for (int i = 0; i < SHIM_SLOTS; i++) {
		atomic_store(&shim->slot[i].ino, 0);
		atomic_store(&shim->slot[i].ticket, 0);
		atomic_store(&shim->slot[i].size, 0);
	}
}

/* ------------------------------------------------------------------ */
/* The writer (child process) */

static struct zk_dev *wdev;
static uint32_t wround;
static pthread_rwlock_t zlock[NR_ZONES];
static _Atomic uint32_t flush_ids;
static bool one_flusher; /* --one-flusher: only thread 0 calls zk_flush */
static bool writeback;   /* --writeback: a thread starts writeback often */
static const char *wpath;

/* The kernel writes dirty pages back on its own; this makes it happen
 * every few milliseconds (sync_file_range(SYNC_FILE_RANGE_WRITE): start,
 * do not wait), so that a power cut often finds writeback in flight. */
static void *w_writeback(void *arg)
{
	(void)arg;
	for (;;) {
		for (uint32_t z = 1; z < NR_ZONES; z++) {
			char name[1300];
			int fd;

			snprintf(name, sizeof(name), "%s/seq-%06u", wpath, z);
			fd = open(name, O_RDONLY | O_CLOEXEC);
			if (fd < 0)
				continue;
			sync_file_range(fd, 0, 0, SYNC_FILE_RANGE_WRITE);
			close(fd);
		}
		usleep(2000);
	}
	return NULL;
}

static uint64_t zstart(uint32_t z) { return (uint64_t)z * ZONE; }
static uint64_t zlen(uint32_t z)
{
	return zstart(z) + ZONE > capacity ? capacity - zstart(z) : ZONE;
}
static uint64_t zcap(uint32_t z) { return zlen(z) < ZCAP ? zlen(z) : ZCAP; }

static void w_error(uint16_t thread, int line, long long err)
{
	struct lent e = { .type = L_ERROR, .thread = thread, .round = wround,
			  .off = (uint64_t)line, .aux = (uint64_t)err };

	log_put(&e);
	for (;;)
		pause(); /* wait for the kill; the parent reads the log */
}

static void w_log(uint16_t type, uint16_t thread, uint32_t zone, uint64_t off,
		  uint32_t nblk, uint32_t tid, uint32_t seq, const void *buf)
{
	struct lent e = { .type = type, .thread = thread, .round = wround,
			  .zone = zone, .off = off, .nblk = nblk, .tid = tid,
			  .seq = seq };

	if (buf)
		e.sum = rel_sum(buf, (size_t)nblk * BS);
	log_put(&e);
}

static void w_reset(uint16_t t, uint32_t z)
{
	int ret;

	w_log(L_RESET_BEGIN, t, z, zstart(z), 0, 0, 0, NULL);
	ret = zk_zone_op(wdev, ZK_OP_RESET, zstart(z), zlen(z));
	if (ret)
		w_error(t, __LINE__, ret);
	w_log(L_RESET_DONE, t, z, zstart(z), 0, 0, 0, NULL);
}

/* An append zone did not take an append: reset it if it is (nearly) full. */
static void w_maybe_reset(uint16_t t, uint32_t z)
{
	struct zk_zone zone;
	unsigned int nr = 1;
	int ret;

	pthread_rwlock_wrlock(&zlock[z]);
	ret = zk_report(wdev, zstart(z), &zone, &nr);
	if (ret)
		w_error(t, __LINE__, ret);
	if (zone.cond == ZK_COND_FULL ||
	    zone.start + zone.capacity - zone.wp < MAX_APPEND_BLKS * BS)
		w_reset(t, z);
	pthread_rwlock_unlock(&zlock[z]);
}

static void *w_thread(void *arg)
{
	uint16_t t = (uint16_t)(uintptr_t)arg;
	uint32_t tid = (wround << 4) | t, seq = 0;
	uint32_t wz = FIRST_WRITE_ZONE + t;
	uint64_t rng = ((uint64_t)wround << 32) ^ ((uint64_t)t << 16) ^
		       (uint64_t)(t_now() * 1e9) ^ 0x9e3779b97f4a7c15ULL;
	uint8_t *buf = t_aligned(MAX_APPEND_BLKS * BS);
	struct zk_zone zone;
	unsigned int nr = 1;
	uint64_t wwp;
	int ret;

	if (!rng)
		rng = 1;
	ret = zk_report(wdev, zstart(wz), &zone, &nr);
	if (ret)
		w_error(t, __LINE__, ret);
	wwp = zone.wp;
	for (;;) {
		unsigned int r = (unsigned int)(t_rand(&rng) % 100);

		if (r < 60) { /* append to a shared zone */
			uint32_t z = FIRST_APPEND_ZONE +
				     (uint32_t)(t_rand(&rng) % NR_APPEND_ZONES);
			uint32_t nblk = 1 + (uint32_t)(t_rand(&rng) % MAX_APPEND_BLKS);
			uint64_t landed;

			t_rec_fill(buf, nblk * BS, BS, tid, ++seq);
			pthread_rwlock_rdlock(&zlock[z]);
			ret = zk_append(wdev, zstart(z), buf, nblk * BS, &landed);
			if (!ret)
				w_log(L_APPEND, t, z, landed, nblk, tid, seq, buf);
			pthread_rwlock_unlock(&zlock[z]);
			if (ret == -EIO)
				w_maybe_reset(t, z);
			else if (ret)
				w_error(t, __LINE__, ret);
		} else if (r < 75) { /* write at the wp of its own zone */
			uint32_t nblk = 1 + (uint32_t)(t_rand(&rng) % MAX_WRITE_BLKS);
			ssize_t n;

			if (wwp + nblk * BS > zstart(wz) + zcap(wz)) {
				w_reset(t, wz);
				wwp = zstart(wz);
				continue;
			}
			t_rec_fill(buf, nblk * BS, BS, tid, ++seq);
			n = zk_pwrite(wdev, buf, nblk * BS, wwp);
			if (n != (ssize_t)(nblk * BS))
				w_error(t, __LINE__, n);
			w_log(L_WRITE, t, wz, wwp, nblk, tid, seq, buf);
			wwp += nblk * BS;
		} else if (r < 95) { /* overwrite one of its conventional blocks */
			uint64_t b = t + NR_THREADS *
					 (t_rand(&rng) % (CONV_BLOCKS / NR_THREADS));
			ssize_t n;

			t_rec_fill(buf, BS, BS, tid, ++seq);
			n = zk_pwrite(wdev, buf, BS, b * BS);
			if (n != (ssize_t)BS)
				w_error(t, __LINE__, n);
			w_log(L_CONV, t, 0, b * BS, 1, tid, seq, buf);
		} else if (one_flusher && t) {
			continue;
		} else { /* flush */
			uint32_t id = atomic_fetch_add(&flush_ids, 1) + 1;

			w_log(L_FLUSH_BEGIN, t, 0, 0, 0, 0, id, NULL);
			ret = zk_flush(wdev);
			w_log(ret ? L_FLUSH_FAIL : L_FLUSH_DONE, t, 0, 0, 0, 0,
			      id, NULL);
		}
	}
	return NULL;
}

static void writer_main(const char *path, const char *log_path, uint32_t round,
			int ready_fd)
{
	pthread_rwlockattr_t ra;
	pthread_t th[NR_THREADS];
	struct lent e = { .type = L_START, .round = round };
	int ret;

	wround = round;
	log_fd = open(log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	if (log_fd < 0)
		_exit(4);
	ret = zk_open(path, 0, &wdev);
	if (ret) {
		e.type = L_ERROR;
		e.off = __LINE__;
		e.aux = (uint64_t)(long long)ret;
		log_put(&e);
		_exit(3);
	}
	log_put(&e);
	pthread_rwlockattr_init(&ra);
	pthread_rwlockattr_setkind_np(&ra,
		PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
	for (int z = 0; z < NR_ZONES; z++)
		pthread_rwlock_init(&zlock[z], &ra);
	for (int t = 0; t < NR_THREADS; t++)
		if (pthread_create(&th[t], NULL, w_thread, (void *)(uintptr_t)t))
			_exit(5);
	wpath = path;
	if (writeback && pthread_create(&th[0], NULL, w_writeback, NULL))
		_exit(5);
	if (write(ready_fd, "r", 1) != 1)
		_exit(6);
	alarm(30); /* never outlive a lost parent */
	for (;;)
		pause();
}

/* ------------------------------------------------------------------ */
/* The checker (parent) */

struct rec {
	uint32_t zone, nblk, tid, seq;
	uint64_t off, sum;
	uint32_t round;
	size_t idx; /* entry in its round's log */
};

struct recs {
	struct rec *v;
	size_t n, cap;
};

static void recs_add(struct recs *r, const struct rec *x)
{
	if (r->n == r->cap) {
		r->cap = r->cap ? r->cap * 2 : 1024;
		r->v = realloc(r->v, r->cap * sizeof(*r->v));
		if (!r->v)
			T_FAIL("out of memory");
	}
	r->v[r->n++] = *x;
}

static struct {
	enum mode mode;
	unsigned int rounds, done;
	uint64_t seed;
	unsigned int max_delay_ms;
	char dir[1024];          /* the test's temporary directory */
	struct rel_ext4 ext4;    /* --mode=ext4 */
	char path[1200];         /* the device */
	char log[1100];
	char child_err[1100];    /* the writers' stderr */
	struct recs carry;       /* records that must be there (verified) */
	uint32_t conv_req_round[CONV_BLOCKS], conv_req_seq[CONV_BLOCKS];
	/* figures */
	uint64_t acked, checked, flushes, flush_fails, resets, partial,
		lost_unflushed, found_unflushed, torn_log, cut_bytes, syncs,
		conv_checked, killed_early;
	double seconds, t0;
	pid_t parent;
	bool printed;
	/* --zero-tails: ranges of a zone, past what was synced, that a power
	 * cut left without their data (zeros below the wp), tolerated until
	 * the zone is reset. */
	bool zero_tails;
	struct { uint64_t from, to; } tol[NR_ZONES][16];
	unsigned int nr_tol[NR_ZONES];
	uint64_t floor[NR_ZONES]; /* durable end: zeros below it fail */
	uint64_t zero_tail_zones, zero_tail_bytes;
} S;

static void zone_file(uint32_t z, char *buf, size_t size)
{
	snprintf(buf, size, "%s/%s-%06u", S.path, z ? "seq" : "cnv", z);
}

static struct lent *read_log(size_t *nr)
{
	int fd = open(S.log, O_RDONLY | O_CLOEXEC);
	struct stat st;
	struct lent *v;
	ssize_t n;

	if (fd < 0 || fstat(fd, &st))
		T_FAIL("%s: %s", S.log, strerror(errno));
	v = t_malloc((size_t)st.st_size + sizeof(*v));
	n = read(fd, v, (size_t)st.st_size);
	close(fd);
	if (n != st.st_size)
		T_FAIL("read %s: short", S.log);
	*nr = (size_t)n / sizeof(*v);
	if ((size_t)n % sizeof(*v))
		S.torn_log++; /* a torn last entry: ignored */
	return v;
}

struct found_idx {
	uint32_t tid, seq;
	uint32_t zone;
	uint32_t nfound;
	struct rel_found *f;
};

static int fidx_cmp(const void *a, const void *b)
{
	const struct found_idx *x = a, *y = b;

	if (x->tid != y->tid)
		return x->tid < y->tid ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* rel_scan_records() over the zone's data but the tolerated ranges; with
 * --zero-tails a problem at or past what was synced starts a new
 * tolerated range, to the end of the data. */
static const char *scan_zone(uint32_t z, const uint8_t *data, uint64_t start,
			     uint64_t end, struct rel_found **out, size_t *nr,
			     uint64_t *bad)
{
	struct rel_found *all = NULL;
	size_t n = 0;
	uint64_t from = start;

	for (unsigned int i = 0; i <= S.nr_tol[z]; i++) {
		uint64_t to = i < S.nr_tol[z] ? S.tol[z][i].from : end;
		struct rel_found *f;
		size_t nf;
		const char *why;

		if (to > end)
			to = end;
		if (from >= to) {
			if (i < S.nr_tol[z] && S.tol[z][i].to > from)
				from = S.tol[z][i].to;
			continue;
		}
		why = rel_scan_records(data + (from - start), from, to, BS, &f,
				       &nf, bad);
		if (why && S.zero_tails && *bad >= S.floor[z] &&
		    S.nr_tol[z] < 16 && i == S.nr_tol[z]) {
			/* past the synced end: the cut may have kept the
			 * size and not the data */
			S.tol[z][S.nr_tol[z]].from = *bad;
			S.tol[z][S.nr_tol[z]].to = end;
			S.nr_tol[z]++;
			S.zero_tail_zones++;
			S.zero_tail_bytes += end - *bad;
			why = rel_scan_records(data + (from - start), from, *bad,
					       BS, &f, &nf, bad);
			to = end;
		}
		if (why) {
			free(all);
			return why;
		}
		if (nf) {
			all = realloc(all, (n + nf) * sizeof(*all));
			if (!all)
				T_FAIL("out of memory");
			memcpy(all + n, f, nf * sizeof(*f));
			n += nf;
		}
		free(f);
		if (i < S.nr_tol[z] && S.tol[z][i].to > to)
			to = S.tol[z][i].to;
		from = to;
	}
	*out = all;
	*nr = n;
	return NULL;
}

static void check_round(uint32_t round)
{
	struct zk_zone zones[NR_ZONES], again[NR_ZONES];
	unsigned int nr = NR_ZONES;
	struct found_idx *fi = NULL;
	size_t nfi = 0, fi_cap = 0;
	struct rel_found *found[NR_ZONES] = { NULL };
	size_t nfound[NR_ZONES] = { 0 };
	struct recs acks = { NULL, 0, 0 }, keep = { NULL, 0, 0 };
	size_t nent, covered = 0, cut = SIZE_MAX;
	size_t last_reset[NR_ZONES];
	bool reset_seen[NR_ZONES] = { false };
	struct lent *ent;
	struct zk_dev *dev;
	uint8_t *data;
	int ret;

	t_ctx("%s round %u", mode_names[S.mode], round);
	/* 1. The device opens, read-write, and a resync agrees. */
	ret = zk_open(S.path, 0, &dev);
	if (ret) {
		/* Say which zone files look wrong. */
		char files[2048] = "";

		for (uint32_t z = 0; z < NR_ZONES; z++) {
			char name[PATH_MAX];
			struct stat st;
			size_t n = strlen(files);

			zone_file(z, name, sizeof(name));
			if (stat(name, &st))
				snprintf(files + n, sizeof(files) - n,
					 " zone %u: %s;", z, strerror(errno));
			else if (z ? (st.st_size % BS || (uint64_t)st.st_size > zcap(z)) :
				 (uint64_t)st.st_size != zlen(0))
				snprintf(files + n, sizeof(files) - n,
					 " zone %u: size %lld;", z,
					 (long long)st.st_size);
		}
		T_FAIL("the device does not open after the crash: %s (zone "
		       "files:%s)", t_errname(ret), files[0] ? files : " all fine");
	}
	T_OK(zk_report(dev, 0, zones, &nr));
	T_EQ(nr, NR_ZONES);
	T_OK(zk_resync(dev));
	nr = NR_ZONES;
	T_OK(zk_report(dev, 0, again, &nr));
	if (memcmp(zones, again, sizeof(zones)))
		T_FAIL("zk_resync changed the zones of a freshly opened device");

	/* 2. The log. */
	ent = read_log(&nent);
	for (size_t i = 0; i < nent; i++) {
		if (ent[i].magic != LOG_MAGIC || ent[i].check != lent_check(&ent[i])) {
			if (i + 1 == nent) { /* torn last entry */
				S.torn_log++;
				nent--;
				break;
			}
			T_FAIL("log entry %zu of %zu is damaged", i, nent);
		}
		if (ent[i].type == L_CUT && cut == SIZE_MAX)
			cut = i;
	}
	if (cut != SIZE_MAX)
		nent = cut; /* after a power cut, nothing said later counts */
	for (uint32_t z = 0; z < NR_ZONES; z++)
		last_reset[z] = 0;
	for (size_t i = 0; i < nent; i++) {
		struct lent *e = &ent[i];
		struct rec r;

		switch (e->type) {
		case L_ERROR:
			T_FAIL("the writer failed (thread %u, crash.c:%" PRIu64
			       "): %s", e->thread, e->off,
			       t_errname((long long)e->aux));
			break;
		case L_APPEND:
		case L_WRITE:
		case L_CONV:
			r.zone = e->zone;
			r.nblk = e->nblk;
			r.tid = (uint32_t)e->tid;
			r.seq = e->seq;
			r.off = e->off;
			r.sum = e->sum;
			r.round = round;
			r.idx = i;
			recs_add(&acks, &r);
			S.acked++;
			break;
		case L_FLUSH_DONE:
			/* covers every write logged before its begin entry */
			for (size_t j = i; j-- > 0;)
				if (ent[j].type == L_FLUSH_BEGIN &&
				    ent[j].seq == e->seq) {
					if (j > covered)
						covered = j;
					break;
				}
			S.flushes++;
			break;
		case L_FLUSH_FAIL:
			S.flush_fails++;
			break;
		case L_RESET_BEGIN:
			last_reset[e->zone] = i;
			reset_seen[e->zone] = true;
			S.resets++;
			break;
		default:
			break;
		}
	}
	if (S.mode == M_KILL)
		covered = nent; /* a kill loses nothing written */

	/* 3. Every sequential zone: blocks below the wp are records. */
	data = t_aligned(ZONE);
	for (uint32_t z = 1; z < NR_ZONES; z++) {
		struct zk_zone *zn = &zones[z];
		uint64_t end = zn->wp > zn->start + zn->capacity ?
			zn->start + zn->capacity : zn->wp;
		const char *why;
		uint64_t bad = 0;
		char name[PATH_MAX];
		struct stat st;

		zone_file(z, name, sizeof(name));
		if (stat(name, &st))
			T_FAIL("%s: %s", name, strerror(errno));
		if ((uint64_t)st.st_size != end - zn->start)
			T_FAIL("zone %u: wp %#" PRIx64 " but file size %lld", z,
			       zn->wp, (long long)st.st_size);
		if (zn->wp == zn->start ? zn->cond != ZK_COND_EMPTY :
		    zn->wp == zn->start + zn->len ? zn->cond != ZK_COND_FULL :
		    zn->cond != ZK_COND_CLOSED)
			T_FAIL("zone %u: wp %#" PRIx64 " with condition %s", z,
			       zn->wp, t_condname(zn->cond));
		if (end > zn->start)
			T_RET(zk_pread(dev, data, end - zn->start, zn->start),
			      (long long)(end - zn->start));
		if (reset_seen[z]) { /* reset: its old ranges went with it */
			S.nr_tol[z] = 0;
			S.floor[z] = zn->start; /* the reset itself not synced */
		}
		why = scan_zone(z, data, zn->start, end, &found[z], &nfound[z],
				&bad);
		if (why) {
			/* Say where the file system has data: a hole (or an
			 * unwritten extent) below the size explains zeros. */
			int fd = open(name, O_RDONLY | O_CLOEXEC);
			off_t hole = fd >= 0 ? lseek(fd, 0, SEEK_HOLE) : -1;

			if (fd >= 0)
				close(fd);
			T_FAIL("zone %u (wp %#" PRIx64 ", file size %lld, first "
			       "hole at %lld, synced up to %#" PRIx64 "): %s", z,
			       zn->wp, (long long)st.st_size, (long long)hole,
			       S.floor[z], why);
		}
		for (size_t i = 0; i < nfound[z]; i++) {
			if (found[z][i].found < found[z][i].nblk)
				S.partial++;
			if (nfi == fi_cap) {
				fi_cap = fi_cap ? fi_cap * 2 : 4096;
				fi = realloc(fi, fi_cap * sizeof(*fi));
				if (!fi)
					T_FAIL("out of memory");
			}
			fi[nfi].tid = found[z][i].tid;
			fi[nfi].seq = found[z][i].seq;
			fi[nfi].zone = z;
			fi[nfi].f = &found[z][i];
			nfi++;
		}
	}
	if (nfi)
		qsort(fi, nfi, sizeof(*fi), fidx_cmp);
	for (size_t i = 1; i < nfi; i++)
		if (!fidx_cmp(&fi[i - 1], &fi[i]))
			T_FAIL("record %#x/%u is on the device twice: zone %u at "
			       "%#" PRIx64 " and zone %u at %#" PRIx64,
			       fi[i].tid, fi[i].seq, fi[i - 1].zone,
			       fi[i - 1].f->off, fi[i].zone, fi[i].f->off);

	/* 4. Acknowledged records: where they were said to land, and there
	 * if they must have survived. */
	for (size_t pass = 0; pass < 2; pass++) {
		struct recs *list = pass ? &acks : &S.carry;

		for (size_t i = 0; i < list->n; i++) {
			struct rec *r = &list->v[i];
			struct found_idx key = { .tid = r->tid, .seq = r->seq };
			struct found_idx *hit;
			bool must;

			if (r->zone == 0)
				continue; /* conventional: below */
			if (pass == 0) /* carried: unless reset this round */
				must = !reset_seen[r->zone];
			else
				must = r->idx < covered &&
				       (!reset_seen[r->zone] ||
					r->idx > last_reset[r->zone]);
			hit = nfi ? bsearch(&key, fi, nfi, sizeof(*fi), fidx_cmp) : NULL;
			if (hit && (hit->zone != r->zone || hit->f->off != r->off))
				T_FAIL("record %#x/%u acknowledged at %#" PRIx64
				       " (zone %u) is at %#" PRIx64 " (zone %u)",
				       r->tid, r->seq, r->off, r->zone,
				       hit->f->off, hit->zone);
			if (pass && !must) {
				if (hit && hit->f->found == hit->f->nblk)
					S.found_unflushed++;
				else if (r->idx >= covered)
					S.lost_unflushed++;
				continue;
			}
			if (!must)
				continue;
			if (!hit || hit->f->found != r->nblk)
				T_FAIL("record %#x/%u, %u blocks acknowledged at %#"
				       PRIx64 " (zone %u, round %u, log entry %zu, "
				       "last flush covering entries < %zu) is %s",
				       r->tid, r->seq, r->nblk, r->off, r->zone,
				       r->round, r->idx, covered,
				       hit ? "cut short" : "gone");
			T_RET(zk_pread(dev, data, (size_t)r->nblk * BS, r->off),
			      (long long)r->nblk * BS);
			if (rel_sum(data, (size_t)r->nblk * BS) != r->sum)
				T_FAIL("record %#x/%u at %#" PRIx64 ": checksum",
				       r->tid, r->seq, r->off);
			S.checked++;
			recs_add(&keep, r);
		}
	}

	/* 5. The conventional zone: each block a record of its owner thread,
	 * no older than the last covered write to it. */
	for (size_t i = 0; i < acks.n; i++) {
		struct rec *r = &acks.v[i];
		uint64_t b = r->off / BS;

		if (r->zone != 0 || r->idx >= covered)
			continue;
		if (r->round > S.conv_req_round[b] ||
		    (r->round == S.conv_req_round[b] && r->seq > S.conv_req_seq[b])) {
			S.conv_req_round[b] = r->round;
			S.conv_req_seq[b] = r->seq;
		}
	}
	T_RET(zk_pread(dev, data, ZONE, 0), (long long)ZONE);
	for (uint64_t b = 0; b < CONV_BLOCKS; b++) {
		struct t_rec_blk rb;
		const char *why = t_rec_check_block(data + b * BS, BS, &rb);

		if (why && !strcmp(why, "zero block") && !S.conv_req_round[b])
			continue;
		if (why)
			T_FAIL("conventional block %" PRIu64 ": %s", b, why);
		if ((rb.tid & 15) != b % NR_THREADS || rb.nblk != 1)
			T_FAIL("conventional block %" PRIu64 " holds record %#x/%u"
			       " of another thread", b, rb.tid, rb.seq);
		if ((rb.tid >> 4) < S.conv_req_round[b] ||
		    ((rb.tid >> 4) == S.conv_req_round[b] &&
		     rb.seq < S.conv_req_seq[b]))
			T_FAIL("conventional block %" PRIu64 " holds record %#x/%u, "
			       "older than the flushed %u/%u", b, rb.tid, rb.seq,
			       S.conv_req_round[b], S.conv_req_seq[b]);
		if (S.conv_req_round[b])
			S.conv_checked++;
	}

	free(S.carry.v);
	S.carry = keep;
	free(acks.v);
	free(ent);
	free(fi);
	for (uint32_t z = 0; z < NR_ZONES; z++)
		free(found[z]);
	free(data);
	zk_close(dev);
}

/* ------------------------------------------------------------------ */
/* Power cuts */

static void shim_cut(const int64_t *start_size)
{
	for (uint32_t z = 1; z < NR_ZONES; z++) {
		char name[PATH_MAX];
		struct stat st;
		int64_t durable;

		zone_file(z, name, sizeof(name));
		if (stat(name, &st))
			T_FAIL("%s: %s", name, strerror(errno));
		if (!shim_lookup((uint64_t)st.st_ino, &durable))
			durable = start_size[z];
		/* Shorter than what was synced: reset since, and that stays
		 * (the shim cannot bring truncated data back). */
		if (st.st_size > durable) {
			if (truncate(name, durable))
				T_FAIL("truncate %s: %s", name, strerror(errno));
			S.cut_bytes += (uint64_t)(st.st_size - durable);
		}
	}
	S.syncs = atomic_load(&shim->syncs);
}

static void ext4_cut(void)
{
	struct lent e = { .type = L_CUT };
	int lfd = open(S.log, O_WRONLY | O_APPEND | O_CLOEXEC);

	if (lfd < 0)
		T_FAIL("open: %s", strerror(errno));
	log_fd = lfd;
	log_put(&e);
	close(lfd);
	log_fd = -1;
	rel_ext4_shutdown(&S.ext4);
}

/* ------------------------------------------------------------------ */

/* Anything a writer printed (a sanitizer's report, say) fails the test. */
static void check_child_err(uint32_t round)
{
	char buf[4096];
	int fd = open(S.child_err, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return;
	buf[n] = '\0';
	T_FAIL("round %u: the writer printed on stderr:\n%s", round, buf);
}

static void one_round(uint32_t round, uint64_t *rng)
{
	int64_t start_size[NR_ZONES] = { 0 };
	struct pollfd pfd;
	int pipefd[2], status;
	unsigned int delay_ms;
	pid_t pid;
	char c;

	snprintf(S.log, sizeof(S.log), "%s/log.%u", S.dir, round);
	if (S.mode == M_SHIM || S.zero_tails) {
		shim_clear();
		for (uint32_t z = 1; z < NR_ZONES; z++) {
			char name[PATH_MAX];
			struct stat st;

			zone_file(z, name, sizeof(name));
			if (stat(name, &st))
				T_FAIL("%s: %s", name, strerror(errno));
			start_size[z] = st.st_size;
		}
	}
	if (pipe2(pipefd, O_CLOEXEC))
		T_FAIL("pipe: %s", strerror(errno));
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0)
		T_FAIL("fork: %s", strerror(errno));
	if (pid == 0) {
		int efd = open(S.child_err, O_WRONLY | O_CREAT | O_APPEND |
			       O_CLOEXEC, 0644);

		/* A sanitizer's report from the writer lands there. */
		if (efd >= 0)
			dup2(efd, STDERR_FILENO);
		close(pipefd[0]);
		if (S.mode == M_SHIM || S.zero_tails)
			atomic_store(&shim->on, 1);
		writer_main(S.path, S.log, round, pipefd[1]);
		_exit(7);
	}
	close(pipefd[1]);
	pfd.fd = pipefd[0];
	pfd.events = POLLIN;
	if (poll(&pfd, 1, 20000) != 1 || read(pipefd[0], &c, 1) != 1) {
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
		close(pipefd[0]);
		check_round(round); /* says why if the log does */
		T_FAIL("round %u: the writer did not start (status %#x)",
		       round, status);
	}
	close(pipefd[0]);
	delay_ms = (unsigned int)(t_rand(rng) % (S.max_delay_ms + 1));
	if (delay_ms < 5)
		S.killed_early++;
	usleep(delay_ms * 1000);
	if (S.mode == M_EXT4)
		ext4_cut();
	kill(pid, SIGKILL);
	if (waitpid(pid, &status, 0) != pid)
		T_FAIL("waitpid: %s", strerror(errno));
	if (!WIFSIGNALED(status) || WTERMSIG(status) != SIGKILL) {
		check_round(round);
		T_FAIL("round %u: the writer ended by itself (status %#x)",
		       round, status);
	}
	check_child_err(round);
	if (S.mode == M_SHIM)
		shim_cut(start_size);
	if (S.zero_tails) /* what a sync made durable, this round */
		for (uint32_t z = 1; z < NR_ZONES; z++) {
			char name[PATH_MAX];
			struct stat st;
			int64_t synced;

			zone_file(z, name, sizeof(name));
			S.floor[z] = zstart(z) + (uint64_t)start_size[z];
			if (!stat(name, &st) &&
			    shim_lookup((uint64_t)st.st_ino, &synced) &&
			    zstart(z) + (uint64_t)synced > S.floor[z])
				S.floor[z] = zstart(z) + (uint64_t)synced;
		}
	if (S.mode == M_EXT4) {
		rel_ext4_remount(&S.ext4);
	}
	check_round(round);
	unlink(S.log);
}

/* The figures, also when a round failed (then from atexit). */
static void print_figures(void)
{
	if (S.printed || getpid() != S.parent)
		return;
	S.printed = true;
	if (!S.seconds)
		S.seconds = t_now() - S.t0;
	rel_figures(S.mode == M_KILL ? "crash-kill" : S.mode == M_SHIM ?
		    "crash-powercut-shim" : "crash-powercut-ext4",
		    "rounds=%u rounds_passed=%u acked=%" PRIu64 " checked=%" PRIu64
		    " conv_checked=%" PRIu64 " flushes=%" PRIu64
		    " flush_fails=%" PRIu64 " resets=%" PRIu64
		    " cut_short_records=%" PRIu64 " unflushed_found=%" PRIu64
		    " unflushed_lost=%" PRIu64 " torn_log_entries=%" PRIu64
		    " truncated_bytes=%" PRIu64 " shim_syncs=%" PRIu64
		    " zero_tail_zones=%" PRIu64 " zero_tail_bytes=%" PRIu64
		    " seconds=%.1f seed=%" PRIu64,
		    S.rounds, S.done, S.acked, S.checked, S.conv_checked,
		    S.flushes, S.flush_fails, S.resets, S.partial,
		    S.found_unflushed, S.lost_unflushed, S.torn_log,
		    S.cut_bytes, S.syncs, S.zero_tail_zones, S.zero_tail_bytes,
		    S.seconds, S.seed);
}

static void usage(const char *prog)
{
	fprintf(stderr, "usage: %s [--mode=kill|shim|ext4] [--rounds=N] "
		"[--seed=S] [--max-delay-ms=MS] [--one-flusher] [--many-zones] "
		"[--writeback] [--zero-tails] [--ext4-opts=OPTS]\n",
		prog);
	exit(2);
}

int main(int argc, char **argv)
{
	struct zk_geometry geo = {
		.zone_size = ZONE, .zone_capacity = ZCAP,
		.nr_conv_zones = 1, .block_size = BS,
	};
	unsigned int rounds = 0;
	uint64_t rng;
	double t0;
	int ret;

	S.mode = M_KILL;
	S.seed = (uint64_t)time(NULL);
	S.max_delay_ms = 200;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (!strcmp(a, "--mode=kill"))
			S.mode = M_KILL;
		else if (!strcmp(a, "--mode=shim"))
			S.mode = M_SHIM;
		else if (!strcmp(a, "--mode=ext4"))
			S.mode = M_EXT4;
		else if (!strcmp(a, "--many-zones"))
			capacity = (uint64_t)(NR_ZONES + EXTRA_ZONES) * ZONE - 1 * MiB;
		else if (!strncmp(a, "--ext4-opts=", 12))
			setenv("REL_EXT4_OPTS", a + 12, 1); /* rel_ext4_setup */
		else if (!strcmp(a, "--zero-tails"))
			S.zero_tails = true;
		else if (!strcmp(a, "--writeback"))
			writeback = true;
		else if (!strcmp(a, "--one-flusher"))
			one_flusher = true;
		else if (!strncmp(a, "--rounds=", 9))
			rounds = (unsigned int)strtoul(a + 9, NULL, 0);
		else if (!strncmp(a, "--seed=", 7))
			S.seed = strtoull(a + 7, NULL, 0);
		else if (!strncmp(a, "--max-delay-ms=", 15))
			S.max_delay_ms = (unsigned int)strtoul(a + 15, NULL, 0);
		else
			usage(argv[0]);
	}
	geo.capacity = capacity;
	if (!rounds) {
		rounds = S.mode == M_EXT4 ? 40 : 200;
		if (capacity > (uint64_t)NR_ZONES * ZONE) /* --many-zones */
			rounds = S.mode == M_EXT4 ? 30 : 50;
#if defined(__SANITIZE_THREAD__)
		rounds /= 4; /* the writers' threads are what TSan looks at */
#endif
		rounds = (unsigned int)t_scaled(rounds, 10);
	}
	S.rounds = rounds;
	rng = S.seed ? S.seed : 1;
	snprintf(S.dir, sizeof(S.dir), "%s", t_tmpdir());
	snprintf(S.child_err, sizeof(S.child_err), "%s/writer.stderr", S.dir);
	if (S.mode == M_EXT4) {
		rel_ext4_setup(&S.ext4, S.dir);
		snprintf(S.path, sizeof(S.path), "%s/dev", S.ext4.mnt);
	} else {
		snprintf(S.path, sizeof(S.path), "%s/dev", S.dir);
	}
	if (S.mode == M_SHIM || S.zero_tails)
		shim_init();
	ret = zk_create(S.path, &geo);
	if (ret)
		T_FAIL("zk_create(%s): %s", S.path, t_errname(ret));
	t_info("mode %s, %u rounds, seed %" PRIu64 ", device %s",
	       mode_names[S.mode], rounds, S.seed, S.path);
	S.t0 = t0 = t_now();
	S.parent = getpid();
	atexit(print_figures);
	for (uint32_t r = 1; r <= rounds; r++) {
		one_round(r, &rng);
		S.done = r;
	}
	S.seconds = t_now() - t0;
	t_info("%u rounds in %.1f s: %" PRIu64 " writes acknowledged, %" PRIu64
	       " record checks, %" PRIu64 " flushes, %" PRIu64 " resets",
	       S.done, S.seconds, S.acked, S.checked, S.flushes, S.resets);
	print_figures();
	return T_EXIT_PASS;
}
