/* SPDX-License-Identifier: MIT */
/*
 * zkbench: zonekit's append throughput and latency, next to raw writes of
 * the same bytes on the same backing store, in one run.
 *
 *   zkbench [run] [options]          the benchmark matrix (see --help)
 *   zkbench create --dev DIR ...     make an emulated device (no timing)
 *   zkbench open-report --dev DIR    time zk_open + a report of every zone,
 *                                    and the memory the zone state takes
 *
 * A run writes a fixed number of bytes (--bytes, at least --min-ops
 * operations) of one size with N streams in one of five modes:
 *
 *   raw           N threads, pwrite() of the same sizes at precomputed
 *                 offsets into the same zone files (emulated device) or
 *                 the device itself (O_DIRECT).  No zonekit at all: the
 *                 physical limit of emulating zone append on this store.
 *   raw-uring     one thread, an io_uring of depth N, same offsets.
 *   append        N threads calling zk_append() (synchronous).
 *   append-queue  one thread, a zk_queue of depth N (zk_queue_append).
 *   seed          REFERENCE, not zonekit's design: N threads calling
 *                 zk_append() under one device-wide mutex held across the
 *                 call, as the seed implementation held one lock across
 *                 each write.  Writes are serialised device wide (QD1 for
 *                 the whole device) and no two appends can ever merge.
 *
 * Zones: "shared" sends every operation to one zone (the next one once it
 * is full); "per-thread" gives each stream (thread, or queue slot) zones of
 * its own.  Every mode of a cell writes the same bytes into the same zones:
 * operation i of a stream goes to zone base + i / ops_per_zone, and raw
 * modes write it at (i % ops_per_zone) * size in that zone, where appends
 * let zonekit pick the offset.
 *
 * On a block device writes to one zone must reach it in wp order, so raw
 * writes to a shared zone are issued one at a time per zone (a per-zone
 * mutex held across the write; io_uring: one in flight per zone): "raw
 * sequential writes at QD1 per zone".  On an emulated device any order is
 * fine and raw writes run unordered (--raw-order zone to order them).
 *
 * Between runs every zone is reset (zk_resync, then zk_zone_op RESET of
 * the whole device) and the file system synced, outside the timing.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/resource.h>
#include <sys/statfs.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#ifdef ZKB_HAVE_URING
#include <liburing.h>
#endif

#include "cli_json.h"
#include "cli_progress.h"
#include "cli_util.h"
#include "zonekit.h"

#define KiB ((uint64_t)1024)
#define MiB (1024 * KiB)
#define GiB (1024 * MiB)

#define MAX_LIST 16
#define MAX_REPEAT 64
#define MAX_STREAMS 1024

/* ------------------------------------------------------------------ */
/* Options */

enum mode { M_RAW, M_RAW_URING, M_APPEND, M_APPEND_QUEUE, M_SEED, NR_MODES };
static const char *const mode_names[NR_MODES] = {
	"raw", "raw-uring", "append", "append-queue", "seed",
};

enum zmode { Z_PER_THREAD, Z_SHARED, NR_ZMODES };
static const char *const zmode_names[NR_ZMODES] = { "per-thread", "shared" };

enum raw_order { ORDER_AUTO, ORDER_ANY, ORDER_ZONE };

struct opts {
	const char *dev;
	bool keep;
	uint64_t zone_size, zone_capacity;
	uint32_t nr_zones, block_size;
	uint64_t sizes[MAX_LIST];
	unsigned int nr_sizes;
	unsigned int streams[MAX_LIST];
	unsigned int nr_streams;
	bool modes[NR_MODES];
	bool zmodes[NR_ZMODES];
	uint64_t bytes;
	uint64_t min_ops;
	double seconds;
	unsigned int repeat;
	bool quick;
	bool json;
	const char *json_file;
	enum raw_order raw_order;
	bool queue_threads;
	bool queue_no_inline;
	bool raw_direct;
	bool direct;       /* --direct: ZK_DIRECT and O_DIRECT raw writes */
	bool progress;
	bool verbose;
};

static struct opts o;

static volatile sig_atomic_t interrupted;

static void on_signal(int sig)
{
	(void)sig;
	interrupted = 1;
}

__attribute__((format(printf, 1, 2), noreturn))
static void die(const char *fmt, ...)
{
	va_list ap;

	fputs("zkbench: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

static uint64_t need_size(const char *what, const char *s)
{
	const char *why;
	uint64_t v;

	if (parse_size(s, &v, &why))
		die("%s: not a size: '%s' (e.g. 4K, 64K, 1M, 1G)", what, s);
	return v;
}

static uint64_t need_uint(const char *what, const char *s)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end == s || *end)
		die("%s: not a number: '%s'", what, s);
	return v;
}

/* Split a comma-separated list and call @fn on each item. */
static void each_item(const char *list, void (*fn)(const char *item))
{
	char *copy = strdup(list), *save = NULL, *tok;

	if (!copy)
		die("out of memory");
	for (tok = strtok_r(copy, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save))
		fn(tok);
	free(copy);
}

static void add_size(const char *s)
{
	if (o.nr_sizes == MAX_LIST)
		die("--sizes: at most %d", MAX_LIST);
	o.sizes[o.nr_sizes++] = need_size("--sizes", s);
}

static void add_streams(const char *s)
{
	uint64_t v = need_uint("--threads", s);

	if (!v || v > MAX_STREAMS)
		die("--threads: 1 to %d, not %s", MAX_STREAMS, s);
	if (o.nr_streams == MAX_LIST)
		die("--threads: at most %d", MAX_LIST);
	o.streams[o.nr_streams++] = (unsigned int)v;
}

static void add_mode(const char *s)
{
	if (!strcmp(s, "all")) {
		for (int m = 0; m < NR_MODES; m++)
			o.modes[m] = true;
		return;
	}
	for (int m = 0; m < NR_MODES; m++) {
		if (!strcmp(s, mode_names[m])) {
			o.modes[m] = true;
			return;
		}
	}
	die("--mode: unknown '%s' (raw, raw-uring, append, append-queue, seed, all)",
	    s);
}

static void add_zmode(const char *s)
{
	if (!strcmp(s, "both") || !strcmp(s, "all")) {
		o.zmodes[Z_PER_THREAD] = o.zmodes[Z_SHARED] = true;
		return;
	}
	if (!strcmp(s, "per-stream"))
		s = "per-thread";
	for (int z = 0; z < NR_ZMODES; z++) {
		if (!strcmp(s, zmode_names[z])) {
			o.zmodes[z] = true;
			return;
		}
	}
	die("--zones: unknown '%s' (shared, per-thread, both)", s);
}

static void usage(FILE *f)
{
	fputs(
"usage: zkbench [run] [options]\n"
"       zkbench create --dev DIR [--zone-size S] [--nr-zones N]\n"
"       zkbench open-report --dev DIR [--json]\n"
"\n"
"Append throughput (MiB/s, IOPS) and latency (p50, p99, p99.9) of zonekit,\n"
"next to raw writes of the same bytes at precomputed offsets on the same\n"
"backing files, and next to the seed design (a device-wide lock held across\n"
"each write) as a clearly labelled reference.\n"
"\n"
"  --dev PATH        an emulated device (directory) or a zoned block device;\n"
"                    a missing or empty directory gets a fresh device, removed\n"
"                    at exit unless --keep (default: a new one in $TMPDIR).\n"
"                    EVERY ZONE OF THE DEVICE IS RESET.\n"
"  --zone-size S     geometry of a fresh device (default 1G)\n"
"  --nr-zones N      (default 16)\n"
"  --sizes LIST      write sizes (default 4K,64K,1M)\n"
"  --threads LIST    streams: threads (raw, append, seed) or queue depth\n"
"                    (raw-uring, append-queue) (default 1,2,4,8)\n"
"  --mode LIST       raw,raw-uring,append,append-queue,seed or all (default)\n"
"  --zones LIST      per-thread,shared or both (default)\n"
"  --bytes S         bytes per run (default 256M) ...\n"
"  --min-ops N       ... but at least N operations (default 1024)\n"
"  --seconds S       stop a run after S seconds whatever it wrote (default 30)\n"
"  --repeat N        run each cell N times, report the median (default 1)\n"
"  --quick           a smoke run: --bytes 4M --min-ops 16 (the whole matrix in\n"
"                    seconds; for CI, numbers not meaningful)\n"
"  --raw-order any|zone  raw writes to a shared zone in any order, or one at\n"
"                    a time per zone (default: any on an emulated device, zone\n"
"                    on a block device, which needs it)\n"
"  --queue-threads   append-queue on the thread engine (ZK_QUEUE_THREADS)\n"
"  --queue-no-inline append-queue with every write on the ring, none from the\n"
"                    submitting thread (ZK_QUEUE_NO_INLINE)\n"
"  --raw-direct      raw writes to zone files with O_DIRECT (to compare with\n"
"                    an emulated backend that uses O_DIRECT)\n"
"  --direct          emulated device opened with ZK_DIRECT (O_DIRECT zone\n"
"                    files), and raw writes with O_DIRECT too\n"
"  --json[=FILE]     JSON on stdout (no table), or to FILE (table on stdout)\n"
"  --no-progress     no progress line (it is drawn on a terminal only)\n"
"  --keep            keep a device zkbench created\n",
	      f);
}

/* ------------------------------------------------------------------ */
/* Small helpers */

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);

	if (!p)
		die("out of memory");
	return p;
}

static void *aligned_buf(size_t size, int fill)
{
	void *p;

	if (posix_memalign(&p, 4096, size))
		die("out of memory");
	memset(p, fill, size);
	return p;
}

/* A JSON string, "" for none. */
static void json_text(FILE *f, const char *s)
{
	json_put_string(f, s ? s : "");
}

/* ---- the machine and the file system, for the record ---- */

struct machine {
	double load_start[3], load_end[3];
	long nproc;
	char cpu[128];
	char kernel[160];
};

static void loadavg(double l[3])
{
	FILE *f = fopen("/proc/loadavg", "r");

	l[0] = l[1] = l[2] = -1;
	if (f) {
		if (fscanf(f, "%lf %lf %lf", &l[0], &l[1], &l[2]) != 3)
			l[0] = l[1] = l[2] = -1;
		fclose(f);
	}
}

static void machine_info(struct machine *m)
{
	struct utsname u;
	char line[512];
	FILE *f;

	m->nproc = sysconf(_SC_NPROCESSORS_ONLN);
	loadavg(m->load_start);
	snprintf(m->cpu, sizeof(m->cpu), "unknown");
	f = fopen("/proc/cpuinfo", "r");
	while (f && fgets(line, sizeof(line), f)) {
		char *colon = strchr(line, ':');

		if (strncmp(line, "model name", 10) || !colon)
			continue;
		colon++;
		while (*colon == ' ' || *colon == '\t')
			colon++;
		colon[strcspn(colon, "\n")] = '\0';
		snprintf(m->cpu, sizeof(m->cpu), "%s", colon);
		break;
	}
	if (f)
		fclose(f);
	if (!uname(&u))
		snprintf(m->kernel, sizeof(m->kernel), "%s %s", u.sysname,
			 u.release);
	else
		snprintf(m->kernel, sizeof(m->kernel), "unknown");
}

/* The type of the file system holding @path: the longest mount point of
 * /proc/self/mounts that contains it. */
static void fs_type(const char *path, char *out, size_t len)
{
	char real[PATH_MAX], line[4096], best[64] = "unknown";
	size_t best_len = 0;
	FILE *f;

	if (!realpath(path, real)) {
		snprintf(out, len, "unknown");
		return;
	}
	f = fopen("/proc/self/mounts", "r");
	while (f && fgets(line, sizeof(line), f)) {
		char dev[1024], mnt[2048], type[64];
		size_t ml;

		if (sscanf(line, "%1023s %2047s %63s", dev, mnt, type) != 3)
			continue;
		ml = strlen(mnt);
		if (strncmp(real, mnt, ml) ||
		    (ml > 1 && real[ml] != '/' && real[ml] != '\0'))
			continue;
		if (ml >= best_len) {
			best_len = ml;
			snprintf(best, sizeof(best), "%s", type);
		}
	}
	if (f)
		fclose(f);
	snprintf(out, len, "%s", best);
}

/* ---- memory of this process, from /proc/self/status (KiB) ---- */

static long status_kib(const char *key)
{
	char line[256];
	size_t kl = strlen(key);
	long v = -1;
	FILE *f = fopen("/proc/self/status", "r");

	while (f && fgets(line, sizeof(line), f)) {
		if (!strncmp(line, key, kl) && line[kl] == ':') {
			v = strtol(line + kl + 1, NULL, 10);
			break;
		}
	}
	if (f)
		fclose(f);
	return v;
}

/* ------------------------------------------------------------------ */
/* The device */

struct bench {
	const char *path;
	char *made;        /* the directory zkbench created, to remove */
	bool blkdev;
	struct zk_dev *dev;
	struct zk_info info;
	uint32_t first_seq;
	int dirfd;         /* emulated: the device directory */
	int *zfd;          /* emulated: raw descriptors of zone files, lazily */
	int bfd;           /* block device: O_RDWR | O_DIRECT */
	bool ordered;      /* raw writes to a zone one at a time, in order */
	char fs[64];
	struct machine mach;
};

static struct bench B = { .dirfd = -1, .bfd = -1 };

static bool dir_is_empty_or_missing(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *de;
	bool empty = true;

	if (!d)
		return errno == ENOENT;
	while ((de = readdir(d))) {
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..")) {
			empty = false;
			break;
		}
	}
	closedir(d);
	return empty;
}

/* Remove an emulated device: only the files a device has, then the
 * directory (it fails, harmlessly, if anything else is in it). */
static void remove_device(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *de;
	int dfd;

	if (!d)
		return;
	dfd = dirfd(d);
	while ((de = readdir(d))) {
		const char *n = de->d_name;

		if (!strncmp(n, "seq-", 4) || !strncmp(n, "cnv-", 4) ||
		    !strcmp(n, "geometry") || !strcmp(n, "conditions") ||
		    !strcmp(n, ".geometry.tmp") || !strcmp(n, ".conditions.tmp"))
			unlinkat(dfd, n, 0);
	}
	closedir(d);
	rmdir(path);
}

static void make_device(const char *path)
{
	struct zk_geometry g = {
		.capacity = o.zone_size * o.nr_zones,
		.zone_size = o.zone_size,
		.zone_capacity = o.zone_capacity,
		.block_size = o.block_size,
	};
	int ret = zk_create(path, &g);

	if (ret)
		die("zk_create %s: %s", path, zk_strerror(ret));
}

static void open_device(void)
{
	struct stat sb;
	int ret;

	if (!o.dev) {
		const char *tmp = getenv("TMPDIR");
		char tmpl[PATH_MAX];

		snprintf(tmpl, sizeof(tmpl), "%s/zkbench.XXXXXX",
			 tmp && *tmp ? tmp : "/tmp");
		if (!mkdtemp(tmpl))
			die("mkdtemp %s: %s", tmpl, strerror(errno));
		B.made = strdup(tmpl);
		B.path = B.made;
		make_device(B.path);
	} else if (!stat(o.dev, &sb) && S_ISBLK(sb.st_mode)) {
		B.path = o.dev;
		B.blkdev = true;
	} else if (dir_is_empty_or_missing(o.dev)) {
		B.path = o.dev;
		B.made = strdup(o.dev);
		make_device(B.path);
	} else {
		B.path = o.dev;
	}
	if (o.keep) {
		free(B.made);
		B.made = NULL;
	}
	ret = zk_open(B.path, o.direct ? ZK_DIRECT : 0, &B.dev);
	if (ret)
		die("zk_open %s%s: %s", B.path, o.direct ? " (ZK_DIRECT)" : "",
		    zk_strerror(ret));
	zk_info(B.dev, &B.info);
	B.first_seq = B.info.nr_conv_zones;
	if (B.first_seq >= B.info.nr_zones)
		die("%s has no sequential zones", B.path);
	if (B.blkdev) {
		B.bfd = open(B.path, O_RDWR | O_DIRECT | O_CLOEXEC);
		if (B.bfd < 0)
			die("open %s O_DIRECT: %s", B.path, strerror(errno));
		snprintf(B.fs, sizeof(B.fs), "block device");
	} else {
		B.dirfd = open(B.path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (B.dirfd < 0)
			die("open %s: %s", B.path, strerror(errno));
		B.zfd = xcalloc(B.info.nr_zones, sizeof(*B.zfd));
		for (uint32_t z = 0; z < B.info.nr_zones; z++)
			B.zfd[z] = -1;
		fs_type(B.path, B.fs, sizeof(B.fs));
	}
	B.ordered = o.raw_order == ORDER_ZONE ||
		    (o.raw_order == ORDER_AUTO && B.blkdev);
}

static void close_device(void)
{
	if (B.zfd) {
		for (uint32_t z = 0; z < B.info.nr_zones; z++)
			if (B.zfd[z] >= 0)
				close(B.zfd[z]);
		free(B.zfd);
		B.zfd = NULL;
	}
	if (B.dirfd >= 0)
		close(B.dirfd);
	if (B.bfd >= 0)
		close(B.bfd);
	B.dirfd = B.bfd = -1;
	zk_close(B.dev);
	B.dev = NULL;
	if (B.made) {
		remove_device(B.made);
		free(B.made);
		B.made = NULL;
	}
}

static uint64_t zone_start(uint32_t z)
{
	return (uint64_t)z * B.info.zone_size;
}

/* The descriptor and offset a raw write of zone @z at @zoff goes to. */
static int raw_target(uint32_t z, uint64_t zoff, uint64_t *off)
{
	if (B.blkdev) {
		*off = zone_start(z) + zoff;
		return B.bfd;
	}
	*off = zoff;
	return B.zfd[z];
}

static void raw_open_zones(uint32_t first, uint32_t n)
{
	char name[32];

	if (B.blkdev)
		return;
	for (uint32_t z = first; z < first + n; z++) {
		if (B.zfd[z] >= 0)
			continue;
		snprintf(name, sizeof(name), "seq-%06u", z);
		B.zfd[z] = openat(B.dirfd, name, O_RDWR | O_CLOEXEC |
				  (o.raw_direct ? O_DIRECT : 0));
		if (B.zfd[z] < 0)
			die("open %s/%s: %s", B.path, name, strerror(errno));
	}
}

/* Every zone back to empty, and the file system quiet: outside timing. */
static void reset_device(void)
{
	int ret = zk_resync(B.dev);

	if (!ret)
		ret = zk_zone_op(B.dev, ZK_OP_RESET, 0, B.info.capacity);
	if (ret)
		die("resetting the zones of %s: %s", B.path, zk_strerror(ret));
	if (B.dirfd >= 0)
		syncfs(B.dirfd);
}

/* ------------------------------------------------------------------ */
/* One run */

struct run {
	enum mode mode;
	enum zmode zm;
	size_t size;
	unsigned int streams;
	uint64_t ops;             /* planned */
	uint64_t ops_per_stream;  /* per-thread zones */
	uint64_t ops_per_zone;
	uint32_t zones_per_stream;
	uint32_t zone_base;
	uint32_t zones_used;

	/* while running */
	_Atomic uint64_t next;    /* shared zones: the next operation */
	atomic_bool stop;
	uint64_t t_begin, cap_ns;
	pthread_barrier_t barrier;
	pthread_mutex_t seed_lock;
	pthread_mutex_t *zlock;   /* ordered raw writes: per zone */
	uint64_t *zwp;

	/* results */
	int err;
	const char *err_what;
	uint64_t done;            /* operations done */
	double secs;
	uint64_t *lat;            /* ns, every operation, sorted */
	uint64_t nlat;
	struct zk_stats st;       /* deltas */
	double cpu_s;             /* user + system time of the process */
	const char *engine;
	unsigned int depth;       /* effective queue depth / threads */
	atomic_bool capped;
	bool skipped;             /* does not apply to this device */
};

struct worker {
	struct run *r;
	unsigned int id;
	pthread_t th;
	void *buf;
	uint64_t *lat;
	uint64_t n;
	uint64_t t0, t1;
	int err;
};

static void op_place(const struct run *r, unsigned int s, uint64_t i,
		     uint32_t *zone, uint64_t *zoff)
{
	uint64_t zi = i / r->ops_per_zone;

	*zoff = (i % r->ops_per_zone) * r->size;
	if (r->zm == Z_SHARED)
		*zone = r->zone_base + (uint32_t)zi;
	else
		*zone = r->zone_base + s * r->zones_per_stream + (uint32_t)zi;
}

/* Take operation number i for stream @s (per-thread: its own count @j). */
static bool op_next(struct run *r, uint64_t *j, uint64_t *i)
{
	if (atomic_load_explicit(&r->stop, memory_order_relaxed) || interrupted)
		return false;
	if (r->zm == Z_SHARED) {
		*i = atomic_fetch_add(&r->next, 1);
		return *i < r->ops;
	}
	if (*j >= r->ops_per_stream)
		return false;
	*i = (*j)++;
	return true;
}

static int raw_write(struct run *r, uint32_t z, uint64_t zoff, const void *buf)
{
	uint64_t off;
	int fd, ret;

	if (!B.ordered || r->zm == Z_PER_THREAD) {
		fd = raw_target(z, zoff, &off);
		return pwrite_all(fd, buf, r->size, off);
	}
	/* In zone order: the next offset of the zone, under its lock. */
	pthread_mutex_lock(&r->zlock[z - r->zone_base]);
	fd = raw_target(z, r->zwp[z - r->zone_base], &off);
	ret = pwrite_all(fd, buf, r->size, off);
	r->zwp[z - r->zone_base] += r->size;
	pthread_mutex_unlock(&r->zlock[z - r->zone_base]);
	return ret;
}

static int append_one(struct run *r, uint32_t z, const void *buf)
{
	uint64_t landed, start = zone_start(z);
	int ret = zk_append(B.dev, start, buf, r->size, &landed);

	if (!ret && (landed < start ||
		     landed + r->size > start + B.info.zone_capacity))
		ret = -ERANGE; /* landed outside its zone: a bug */
	return ret;
}

static void *sync_worker(void *arg)
{
	struct worker *w = arg;
	struct run *r = w->r;
	uint64_t j = 0, i;

	pthread_barrier_wait(&r->barrier);
	w->t0 = now_ns();
	while (op_next(r, &j, &i)) {
		uint64_t t0, t1, zoff;
		uint32_t z;
		int ret;

		op_place(r, w->id, i, &z, &zoff);
		t0 = now_ns();
		switch (r->mode) {
		case M_RAW:
			ret = raw_write(r, z, zoff, w->buf);
			break;
		case M_APPEND:
			ret = append_one(r, z, w->buf);
			break;
		case M_SEED:
			/* The seed design: one device-wide lock held across
			 * the whole write. */
			pthread_mutex_lock(&r->seed_lock);
			ret = append_one(r, z, w->buf);
			pthread_mutex_unlock(&r->seed_lock);
			break;
		default:
			ret = -EINVAL;
		}
		t1 = now_ns();
		if (ret) {
			w->err = ret;
			atomic_store(&r->stop, true);
			break;
		}
		w->lat[w->n++] = t1 - t0;
		if (t1 - r->t_begin > r->cap_ns) {
			atomic_store(&r->capped, true);
			atomic_store(&r->stop, true);
		}
	}
	w->t1 = now_ns();
	return NULL;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static void run_threads(struct run *r)
{
	struct worker *w = xcalloc(r->streams, sizeof(*w));
	uint64_t per = r->zm == Z_SHARED ? r->ops : r->ops_per_stream;
	uint64_t t0 = UINT64_MAX, t1 = 0;

	r->depth = r->streams;
	r->engine = r->mode == M_RAW ? "pwrite" :
		    r->mode == M_SEED ? "sync, device-wide lock" : "sync";
	pthread_barrier_init(&r->barrier, NULL, r->streams + 1);
	for (unsigned int t = 0; t < r->streams; t++) {
		w[t].r = r;
		w[t].id = t;
		w[t].buf = aligned_buf(r->size, 0x5a + (int)t);
		w[t].lat = xcalloc(per, sizeof(uint64_t));
		if (pthread_create(&w[t].th, NULL, sync_worker, &w[t]))
			die("pthread_create: %s", strerror(errno));
	}
	r->t_begin = now_ns();
	pthread_barrier_wait(&r->barrier);
	for (unsigned int t = 0; t < r->streams; t++)
		pthread_join(w[t].th, NULL);
	pthread_barrier_destroy(&r->barrier);

	r->lat = xcalloc(r->ops, sizeof(uint64_t));
	for (unsigned int t = 0; t < r->streams; t++) {
		if (w[t].err && !r->err) {
			r->err = w[t].err;
			r->err_what = mode_names[r->mode];
		}
		if (w[t].n) {
			t0 = w[t].t0 < t0 ? w[t].t0 : t0;
			t1 = w[t].t1 > t1 ? w[t].t1 : t1;
		}
		memcpy(r->lat + r->nlat, w[t].lat, w[t].n * sizeof(uint64_t));
		r->nlat += w[t].n;
		free(w[t].lat);
		free(w[t].buf);
	}
	r->done = r->nlat;
	r->secs = t1 > t0 ? (double)(t1 - t0) / 1e9 : 0;
	free(w);
}

/* ---- queue modes: one thread, depth N ---- */

struct slot {
	void *buf;
	uint64_t t_sub;
	uint64_t j;      /* per-thread zones: the stream's own count */
	bool busy;
};

static bool slot_op(struct run *r, struct slot *sl, unsigned int s,
		    uint32_t *z, uint64_t *zoff)
{
	uint64_t i;

	if (!op_next(r, &sl->j, &i))
		return false;
	op_place(r, s, i, z, zoff);
	return true;
}

static void queue_done(struct run *r, struct slot *sl, uint64_t now)
{
	uint64_t d = now - sl->t_sub;

	r->lat[r->nlat++] = d;
	sl->busy = false;
	if (now - r->t_begin > r->cap_ns) {
		atomic_store(&r->capped, true);
		atomic_store(&r->stop, true);
	}
}

static void run_append_queue(struct run *r)
{
	unsigned int depth = r->streams;
	struct slot *sl = xcalloc(depth, sizeof(*sl));
	struct zk_cqe *cqes = xcalloc(depth, sizeof(*cqes));
	struct zk_queue *q;
	unsigned int inflight = 0;
	uint64_t t0, t1;
	int ret;

	ret = zk_queue_init(B.dev, depth,
			    (o.queue_threads ? ZK_QUEUE_THREADS : 0) |
			    (o.queue_no_inline ? ZK_QUEUE_NO_INLINE : 0), &q);
	if (ret) {
		r->err = ret;
		r->err_what = "zk_queue_init";
		goto out;
	}
	r->engine = zk_queue_engine(q);
	/* Buffered emulated device: batches up to 128 KiB are written by the
	 * submitting thread (zk_queue_init(3)); say so. */
	if (!strcmp(r->engine, "io_uring") && !B.blkdev && !o.direct &&
	    !o.queue_no_inline)
		r->engine = "io_uring, inline <= 128K";
	r->depth = depth;
	r->lat = xcalloc(r->ops, sizeof(uint64_t));
	for (unsigned int s = 0; s < depth; s++)
		sl[s].buf = aligned_buf(r->size, 0x5a + (int)s);
	r->t_begin = t0 = now_ns();
	for (unsigned int s = 0; s < depth; s++) {
		uint64_t zoff;
		uint32_t z;

		if (!slot_op(r, &sl[s], s, &z, &zoff))
			break;
		sl[s].t_sub = now_ns();
		ret = zk_queue_append(q, zone_start(z), sl[s].buf, r->size, s);
		if (ret) {
			r->err = ret;
			r->err_what = "zk_queue_append";
			break;
		}
		sl[s].busy = true;
		inflight++;
	}
	while (inflight) {
		int n = zk_queue_reap(q, cqes, depth, 1);
		uint64_t now = now_ns();

		if (n < 0) {
			r->err = n;
			r->err_what = "zk_queue_reap";
			break;
		}
		for (int k = 0; k < n; k++) {
			unsigned int s = (unsigned int)cqes[k].user_data;
			uint64_t zoff;
			uint32_t z;

			inflight--;
			if (cqes[k].res != (int64_t)r->size) {
				if (!r->err) {
					r->err = cqes[k].res < 0 ?
						(int)cqes[k].res : -EIO;
					r->err_what = "append-queue completion";
				}
				atomic_store(&r->stop, true);
				sl[s].busy = false;
				continue;
			}
			queue_done(r, &sl[s], now);
			if (r->err || !slot_op(r, &sl[s], s, &z, &zoff))
				continue;
			sl[s].t_sub = now_ns();
			ret = zk_queue_append(q, zone_start(z), sl[s].buf,
					      r->size, s);
			if (ret) {
				r->err = ret;
				r->err_what = "zk_queue_append";
				atomic_store(&r->stop, true);
				continue;
			}
			sl[s].busy = true;
			inflight++;
		}
	}
	t1 = now_ns();
	zk_queue_exit(q);
	r->done = r->nlat;
	r->secs = (double)(t1 - t0) / 1e9;
out:
	for (unsigned int s = 0; s < depth; s++)
		free(sl[s].buf);
	free(sl);
	free(cqes);
}

#ifdef ZKB_HAVE_URING
static void run_raw_uring(struct run *r)
{
	/* One write in flight per zone when order matters and the zone is
	 * shared: a depth of 1. */
	unsigned int depth = B.ordered && r->zm == Z_SHARED ? 1 : r->streams;
	struct slot *sl = xcalloc(depth, sizeof(*sl));
	struct io_uring ring;
	unsigned int inflight = 0;
	uint64_t t0, t1;
	int ret;

	ret = io_uring_queue_init(depth < 8 ? 8 : depth, &ring, 0);
	if (ret) {
		r->err = ret;
		r->err_what = "io_uring_queue_init";
		free(sl);
		return;
	}
	r->engine = "io_uring";
	r->depth = depth;
	r->lat = xcalloc(r->ops, sizeof(uint64_t));
	for (unsigned int s = 0; s < depth; s++)
		sl[s].buf = aligned_buf(r->size, 0x5a + (int)s);
	r->t_begin = t0 = now_ns();
	for (;;) {
		struct io_uring_cqe *cqe;
		unsigned int head, seen = 0;
		uint64_t now;

		/* fill every idle slot */
		for (unsigned int s = 0; s < depth && !r->err; s++) {
			struct io_uring_sqe *sqe;
			uint64_t zoff, off;
			uint32_t z;
			int fd;

			if (sl[s].busy || !slot_op(r, &sl[s], s, &z, &zoff))
				continue;
			sqe = io_uring_get_sqe(&ring);
			fd = raw_target(z, zoff, &off);
			io_uring_prep_write(sqe, fd, sl[s].buf,
					    (unsigned int)r->size, off);
			io_uring_sqe_set_data64(sqe, s);
			sl[s].t_sub = now_ns();
			sl[s].busy = true;
			inflight++;
		}
		if (!inflight)
			break;
		ret = io_uring_submit_and_wait(&ring, 1);
		if (ret < 0 && ret != -EINTR) {
			r->err = ret;
			r->err_what = "io_uring_submit_and_wait";
			break;
		}
		now = now_ns();
		io_uring_for_each_cqe(&ring, head, cqe) {
			unsigned int s = (unsigned int)io_uring_cqe_get_data64(cqe);

			seen++;
			inflight--;
			if (cqe->res != (int)r->size) {
				/* a short buffered write is not expected */
				if (!r->err) {
					r->err = cqe->res < 0 ? cqe->res : -EIO;
					r->err_what = "raw-uring completion";
				}
				atomic_store(&r->stop, true);
				sl[s].busy = false;
				continue;
			}
			queue_done(r, &sl[s], now);
		}
		io_uring_cq_advance(&ring, seen);
		if (r->err && !inflight)
			break;
	}
	t1 = now_ns();
	io_uring_queue_exit(&ring);
	r->done = r->nlat;
	r->secs = (double)(t1 - t0) / 1e9;
	for (unsigned int s = 0; s < depth; s++)
		free(sl[s].buf);
	free(sl);
}
#else
static void run_raw_uring(struct run *r)
{
	r->err = -EOPNOTSUPP;
	r->err_what = "raw-uring (built without liburing)";
}
#endif

/* Plan a run: how many operations, which zones. */
static int plan_run(struct run *r)
{
	uint64_t cap = B.info.zone_capacity ? B.info.zone_capacity :
					      B.info.zone_size;
	uint32_t avail = B.info.nr_zones - B.first_seq;
	uint64_t ops = o.bytes / r->size;

	if (r->size % B.info.block_size || cap % r->size)
		return -EINVAL;
	if (B.info.max_append && r->size > B.info.max_append &&
	    (r->mode == M_APPEND || r->mode == M_APPEND_QUEUE ||
	     r->mode == M_SEED))
		return -E2BIG; /* not a failure: the device cannot */
	if (ops < o.min_ops)
		ops = o.min_ops;
	ops = (ops + r->streams - 1) / r->streams * r->streams;
	r->ops_per_zone = cap / r->size;
	r->zone_base = B.first_seq;
	for (;;) {
		uint64_t per = ops / r->streams;
		uint64_t need;

		r->zones_per_stream =
			(uint32_t)((per + r->ops_per_zone - 1) / r->ops_per_zone);
		need = r->zm == Z_SHARED ?
			(ops + r->ops_per_zone - 1) / r->ops_per_zone :
			(uint64_t)r->zones_per_stream * r->streams;
		if (need <= avail) {
			r->zones_used = (uint32_t)need;
			break;
		}
		/* does not fit: fewer operations */
		if (r->zm == Z_SHARED)
			ops = avail * r->ops_per_zone;
		else if (avail / r->streams)
			ops = (uint64_t)(avail / r->streams) * r->ops_per_zone *
			      r->streams;
		else
			return -ENOSPC;
		ops = ops / r->streams * r->streams;
		if (!ops)
			return -ENOSPC;
	}
	r->ops = ops;
	r->ops_per_stream = ops / r->streams;
	return 0;
}

static double cpu_now(void)
{
	struct rusage ru;

	if (getrusage(RUSAGE_SELF, &ru))
		return 0;
	return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
	       (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
}

static void run_once(struct run *r)
{
	struct zk_stats s0, s1;
	double c0;

	reset_device();
	raw_open_zones(r->zone_base, r->zones_used);
	atomic_store(&r->next, 0);
	atomic_store(&r->stop, false);
	r->cap_ns = (uint64_t)(o.seconds * 1e9);
	pthread_mutex_init(&r->seed_lock, NULL);
	r->zlock = xcalloc(r->zones_used, sizeof(*r->zlock));
	r->zwp = xcalloc(r->zones_used, sizeof(*r->zwp));
	for (uint32_t k = 0; k < r->zones_used; k++)
		pthread_mutex_init(&r->zlock[k], NULL);
	zk_stats(B.dev, &s0);
	c0 = cpu_now();
	switch (r->mode) {
	case M_RAW:
	case M_APPEND:
	case M_SEED:
		run_threads(r);
		break;
	case M_APPEND_QUEUE:
		run_append_queue(r);
		break;
	case M_RAW_URING:
		run_raw_uring(r);
		break;
	default:
		break;
	}
	r->cpu_s = cpu_now() - c0;
	zk_stats(B.dev, &s1);
	r->st.appends = s1.appends - s0.appends;
	r->st.writes = s1.writes - s0.writes;
	r->st.batches = s1.batches - s0.batches;
	r->st.merged = s1.merged - s0.merged;
	r->st.relearns = s1.relearns - s0.relearns;
	r->st.retried = s1.retried - s0.retried;
	if (!r->err && (r->mode == M_APPEND || r->mode == M_APPEND_QUEUE ||
			r->mode == M_SEED) && r->st.appends != r->done) {
		r->err = -EPROTO;
		r->err_what = "zk_stats appends != operations done";
	}
	if (!r->err && !r->capped && !interrupted && r->done != r->ops) {
		r->err = -EPROTO;
		r->err_what = "fewer operations done than planned";
	}
	for (uint32_t k = 0; k < r->zones_used; k++)
		pthread_mutex_destroy(&r->zlock[k]);
	free(r->zlock);
	free(r->zwp);
	r->zlock = NULL;
	r->zwp = NULL;
	pthread_mutex_destroy(&r->seed_lock);
	if (r->nlat)
		qsort(r->lat, r->nlat, sizeof(*r->lat), cmp_u64);
}

/* ------------------------------------------------------------------ */
/* Results */

struct result {
	size_t size;
	unsigned int streams;
	enum zmode zm;
	enum mode mode;
	int err;
	const char *err_what;
	uint64_t ops, bytes;
	double secs, mib_s, iops;
	double p50, p99, p999, max, mean; /* microseconds */
	uint64_t lat_samples;             /* of every repetition */
	double cpu_us_op;                 /* CPU time (all threads) per op */
	uint64_t batches, merged;
	const char *engine;
	unsigned int depth;
	bool capped;
	bool skipped;
	unsigned int reps;
	double mib_s_min, mib_s_max;
	/* MiB/s of each repetition in the order run: round k of every mode
	 * of a cell ran back to back, so ratios of round k pair runs that
	 * met the same state of the machine. */
	double mib_s_runs[MAX_REPEAT];
};

/* The nearest-rank percentile of @n sorted samples, in microseconds. */
static double pct_us(const uint64_t *lat, uint64_t n, double p)
{
	uint64_t k;

	if (!n)
		return 0;
	k = (uint64_t)ceil(p / 100.0 * (double)n);
	if (k)
		k--;
	if (k >= n)
		k = n - 1;
	return lat[k] / 1000.0;
}

static void set_latency(struct result *res, const uint64_t *lat, uint64_t n)
{
	double sum = 0;

	res->p50 = pct_us(lat, n, 50);
	res->p99 = pct_us(lat, n, 99);
	res->p999 = pct_us(lat, n, 99.9);
	res->max = n ? lat[n - 1] / 1000.0 : 0;
	for (uint64_t k = 0; k < n; k++)
		sum += (double)lat[k];
	res->mean = n ? sum / (double)n / 1000.0 : 0;
	res->lat_samples = n;
}

static void fill_result(struct result *res, const struct run *r)
{
	memset(res, 0, sizeof(*res));
	res->size = r->size;
	res->streams = r->streams;
	res->zm = r->zm;
	res->mode = r->mode;
	res->err = r->err;
	res->err_what = r->err_what;
	res->ops = r->done;
	res->bytes = r->done * r->size;
	res->secs = r->secs;
	if (r->secs > 0) {
		res->mib_s = (double)res->bytes / (double)MiB / r->secs;
		res->iops = (double)r->done / r->secs;
	}
	set_latency(res, r->lat, r->nlat);
	res->cpu_us_op = r->done ? r->cpu_s * 1e6 / (double)r->done : 0;
	res->batches = r->st.batches;
	res->merged = r->st.merged;
	res->engine = r->engine ? r->engine : "";
	res->depth = r->depth;
	res->capped = atomic_load(&r->capped);
	res->skipped = r->skipped;
}

static struct result *results;
static size_t nr_results;

static struct result *find_result(size_t size, unsigned int streams,
				  enum zmode zm, enum mode m)
{
	for (size_t k = 0; k < nr_results; k++) {
		struct result *x = &results[k];

		if (x->size == size && x->streams == streams && x->zm == zm &&
		    x->mode == m)
			return x;
	}
	return NULL;
}

static int cmp_result_mib(const void *a, const void *b)
{
	const struct result *x = a, *y = b;

	return x->mib_s < y->mib_s ? -1 : x->mib_s > y->mib_s;
}

static double ratio(const struct result *a, const struct result *b)
{
	if (!a || !b || a->err || b->err || a->skipped || b->skipped ||
	    b->mib_s <= 0)
		return NAN;
	return a->mib_s / b->mib_s;
}

static void print_ratio(FILE *f, const char *key, double v, bool *first)
{
	if (!*first)
		fputs(", ", f);
	*first = false;
	if (isnan(v))
		fprintf(f, "\"%s\": null", key);
	else
		fprintf(f, "\"%s\": %.4f", key, v);
}

static void write_json(FILE *f)
{
	char szb[32];

	fprintf(f, "{\n  \"tool\": \"zkbench\", \"zonekit_version\": \"%s\",\n",
		ZK_VERSION_STRING);
	fprintf(f, "  \"machine\": {\"nproc\": %ld, \"cpu\": ", B.mach.nproc);
	json_text(f, B.mach.cpu);
	fputs(", \"kernel\": ", f);
	json_text(f, B.mach.kernel);
	fprintf(f, ", \"loadavg_start\": [%.2f, %.2f, %.2f], "
		"\"loadavg_end\": [%.2f, %.2f, %.2f]",
		B.mach.load_start[0], B.mach.load_start[1], B.mach.load_start[2],
		B.mach.load_end[0], B.mach.load_end[1], B.mach.load_end[2]);
	fputs("},\n  \"device\": {\"path\": ", f);
	json_text(f, B.path);
	fprintf(f, ", \"backend\": \"%s\", \"fs\": ",
		B.blkdev ? "blkdev" : "emulated");
	json_text(f, B.fs);
	fprintf(f,
		", \"nr_zones\": %u, \"zone_size\": %" PRIu64
		", \"zone_capacity\": %" PRIu64 ", \"block_size\": %u, "
		"\"nr_conv_zones\": %u, \"raw_order\": \"%s\", "
		"\"direct\": %s, \"raw_direct\": %s},\n",
		B.info.nr_zones, B.info.zone_size, B.info.zone_capacity,
		B.info.block_size, B.info.nr_conv_zones,
		B.ordered ? "zone" : "any",
		B.blkdev || o.direct ? "true" : "false",
		B.blkdev || o.raw_direct ? "true" : "false");
	fprintf(f,
		"  \"config\": {\"bytes\": %" PRIu64 ", \"min_ops\": %" PRIu64
		", \"seconds_cap\": %.1f, \"repeat\": %u, \"quick\": %s},\n",
		o.bytes, o.min_ops, o.seconds, o.repeat,
		o.quick ? "true" : "false");
	fputs("  \"seed_mode\": \"reference: zk_append under one device-wide "
	      "mutex held across each call (the seed design: QD1 for the whole "
	      "device, no merging)\",\n",
	      f);
	fputs("  \"runs\": [\n", f);
	for (size_t k = 0; k < nr_results; k++) {
		const struct result *x = &results[k];

		fprintf(f,
			"    {\"size\": %zu, \"size_label\": \"%s\", \"streams\": %u, "
			"\"zones\": \"%s\", \"mode\": \"%s\", ",
			x->size, format_size_exact(x->size, szb, sizeof(szb)), x->streams,
			zmode_names[x->zm], mode_names[x->mode]);
		fputs("\"engine\": ", f);
		json_text(f, x->engine);
		fprintf(f, ", \"depth\": %u, ", x->depth);
		if (x->skipped) {
			fputs("\"skipped\": ", f);
			json_text(f, x->err_what);
			fputs(", ", f);
		} else if (x->err) {
			fprintf(f, "\"error\": ");
			json_text(f, zk_strerror(x->err));
			fprintf(f, ", \"error_in\": ");
			json_text(f, x->err_what);
			fputs(", ", f);
		}
		fprintf(f,
			"\"ops\": %" PRIu64 ", \"bytes\": %" PRIu64
			", \"seconds\": %.6f, \"mib_s\": %.2f, \"iops\": %.0f, "
			"\"lat_us\": {\"p50\": %.2f, \"p99\": %.2f, \"p99_9\": %.2f, "
			"\"max\": %.2f, \"mean\": %.2f, \"samples\": %" PRIu64
			"}, \"cpu_us_per_op\": %.3f, "
			"\"batches\": %" PRIu64 ", \"merged\": %" PRIu64
			", \"ops_per_write\": %.3f, \"capped\": %s, "
			"\"reps\": %u, \"mib_s_min\": %.2f, \"mib_s_max\": %.2f",
			x->ops, x->bytes, x->secs, x->mib_s, x->iops, x->p50,
			x->p99, x->p999, x->max, x->mean, x->lat_samples,
			x->cpu_us_op,
			x->batches, x->merged,
			x->batches ? (double)x->ops / (double)x->batches : 0.0,
			x->capped ? "true" : "false", x->reps, x->mib_s_min,
			x->mib_s_max);
		if (!x->err && !x->skipped) {
			fputs(", \"mib_s_runs\": [", f);
			for (unsigned int i = 0; i < x->reps; i++)
				fprintf(f, "%s%.2f", i ? ", " : "",
					x->mib_s_runs[i]);
			fputc(']', f);
		}
		fprintf(f, "}%s\n", k + 1 < nr_results ? "," : "");
	}
	fputs("  ],\n  \"ratios\": [\n", f);
	{
		bool any = false;

		for (unsigned int a = 0; a < o.nr_sizes; a++)
		for (int zm = 0; zm < NR_ZMODES; zm++)
		for (unsigned int b = 0; b < o.nr_streams; b++) {
			size_t sz = o.sizes[a];
			unsigned int n = o.streams[b];
			bool first = true;

			if (!o.zmodes[zm])
				continue;
			fprintf(f, "%s    {\"size\": %zu, \"size_label\": \"%s\", "
				"\"streams\": %u, \"zones\": \"%s\", ",
				any ? ",\n" : "", sz,
				format_size_exact(sz, szb, sizeof(szb)), n, zmode_names[zm]);
			any = true;
			print_ratio(f, "append_vs_raw",
				    ratio(find_result(sz, n, zm, M_APPEND),
					  find_result(sz, n, zm, M_RAW)), &first);
			print_ratio(f, "append_queue_vs_raw_uring",
				    ratio(find_result(sz, n, zm, M_APPEND_QUEUE),
					  find_result(sz, n, zm, M_RAW_URING)),
				    &first);
			print_ratio(f, "append_vs_seed",
				    ratio(find_result(sz, n, zm, M_APPEND),
					  find_result(sz, n, zm, M_SEED)), &first);
			print_ratio(f, "append_queue_vs_seed",
				    ratio(find_result(sz, n, zm, M_APPEND_QUEUE),
					  find_result(sz, n, zm, M_SEED)), &first);
			print_ratio(f, "seed_vs_raw",
				    ratio(find_result(sz, n, zm, M_SEED),
					  find_result(sz, n, zm, M_RAW)), &first);
			fputc('}', f);
		}
		fputs(any ? "\n  ]\n}\n" : "  ]\n}\n", f);
	}
}

static void fmt_ratio(char *buf, size_t len, const char *what, double v)
{
	if (isnan(v))
		snprintf(buf, len, "%s", "");
	else
		snprintf(buf, len, "%.2fx %s", v, what);
}

static void print_table(FILE *f)
{
	char szb[32], bb[32], r1[48], r2[48];

	fprintf(f, "\nzkbench %s: %s (%s, %s%s), %u zones of %s", ZK_VERSION_STRING,
		B.path, B.blkdev ? "zoned block device" : "emulated device",
		B.fs, !B.blkdev && o.direct ? ", O_DIRECT" : "", B.info.nr_zones,
		format_size_exact(B.info.zone_size, szb, sizeof(szb)));
	if (B.info.zone_capacity != B.info.zone_size)
		fprintf(f, " (capacity %s)",
			format_size_exact(B.info.zone_capacity, szb, sizeof(szb)));
	fprintf(f, ", block %u\n", B.info.block_size);
	fprintf(f, "machine: %ld CPUs (%s), %s; load average %.2f at start, "
		"%.2f at end\n", B.mach.nproc, B.mach.cpu, B.mach.kernel,
		B.mach.load_start[0], B.mach.load_end[0]);
	fprintf(f, "runs: %s each (at least %" PRIu64 " operations), "
		"throughput the median of %u runs, latency over all of them; "
		"raw writes %s\n",
		format_size_exact(o.bytes, bb, sizeof(bb)), o.min_ops, o.repeat,
		B.ordered ? "one at a time per zone (QD1 per zone)" :
			    "in any order");
	fputs("seed = REFERENCE: zk_append under one device-wide mutex held "
	      "across each call\n       (the seed design: QD1 for the whole "
	      "device, so no appends merge)\n",
	      f);
	if (o.modes[M_APPEND_QUEUE] && !B.blkdev && !o.direct &&
	    !o.queue_threads)
		fprintf(f, "append-queue: buffered device, so batches of up to "
			"128K are written by the submitting thread%s\n",
			o.queue_no_inline ? " - NOT in this run "
					    "(--queue-no-inline: all on the ring)" :
					    " (--queue-no-inline: all on the ring)");
	if (B.mach.nproc > 0 && o.nr_streams &&
	    o.streams[o.nr_streams - 1] > (unsigned int)B.mach.nproc)
		fprintf(f, "note: more threads than the %ld CPUs: those cells "
			"are oversubscribed\n", B.mach.nproc);
	fprintf(f, "\n%-5s %-10s %3s %-12s %9s %9s %8s %8s %9s %7s %6s  %s\n",
		"size", "zones", "N", "mode", "MiB/s", "IOPS", "p50 us",
		"p99 us", "p99.9 us", "cpu/op", "op/wr", "ratio");
	for (unsigned int a = 0; a < o.nr_sizes; a++)
	for (int zm = 0; zm < NR_ZMODES; zm++)
	for (unsigned int b = 0; b < o.nr_streams; b++) {
		size_t sz = o.sizes[a];
		unsigned int n = o.streams[b];
		bool head = true;

		if (!o.zmodes[zm])
			continue;
		for (int m = 0; m < NR_MODES; m++) {
			const struct result *x = find_result(sz, n, zm, m);
			char opw[16] = "-";

			if (!x)
				continue;
			r1[0] = r2[0] = '\0';
			if (m == M_APPEND) {
				fmt_ratio(r1, sizeof(r1), "raw",
					  ratio(x, find_result(sz, n, zm, M_RAW)));
				fmt_ratio(r2, sizeof(r2), "seed",
					  ratio(x, find_result(sz, n, zm, M_SEED)));
			} else if (m == M_APPEND_QUEUE) {
				fmt_ratio(r1, sizeof(r1), "raw-uring",
					  ratio(x, find_result(sz, n, zm,
							       M_RAW_URING)));
			} else if (m == M_SEED) {
				snprintf(r1, sizeof(r1), "(reference)");
			}
			if (x->batches)
				snprintf(opw, sizeof(opw), "%.2f",
					 (double)x->ops / (double)x->batches);
			if (x->skipped) {
				fprintf(f, "%-5s %-10s %3u %-12s skipped: %s (%" PRIu64
					" bytes)\n",
					head ? format_size_exact(sz, szb, sizeof(szb)) : "",
					head ? zmode_names[zm] : "", n,
					mode_names[m], x->err_what,
					B.info.max_append);
				head = false;
				continue;
			}
			if (x->err) {
				fprintf(f, "%-5s %-10s %3u %-12s FAILED: %s (%s)\n",
					head ? format_size_exact(sz, szb, sizeof(szb)) : "",
					head ? zmode_names[zm] : "", n,
					mode_names[m], zk_strerror(x->err),
					x->err_what ? x->err_what : "");
				head = false;
				continue;
			}
			fprintf(f,
				"%-5s %-10s %3u %-12s %9.1f %9.0f %8.1f %8.1f %9.1f %7.2f %6s  %s%s%s%s\n",
				head ? format_size_exact(sz, szb, sizeof(szb)) : "",
				head ? zmode_names[zm] : "", n, mode_names[m],
				x->mib_s, x->iops, x->p50, x->p99, x->p999,
				x->cpu_us_op, opw,
				r1, *r1 && *r2 ? ", " : "", r2,
				x->capped ? " (capped)" : "");
			head = false;
		}
	}
	fputs("\ncpu/op: CPU time of the process (user + system, all threads) "
	      "per operation, us;\nop/wr: appends per backend write (zk_stats: "
	      "appends / batches); ratios are of MiB/s.\n",
	      f);
}

/* ------------------------------------------------------------------ */
/* Subcommands */

static int cmd_run(void)
{
	struct cli_progress progress;
	unsigned int total = 0, k = 0;
	size_t cap;

	open_device();
	machine_info(&B.mach);
	for (int m = 0; m < NR_MODES; m++)
		total += o.modes[m];
	total *= o.nr_sizes * o.nr_streams * o.repeat *
		 (o.zmodes[0] + o.zmodes[1]);
	cap = (size_t)total / o.repeat;
	results = xcalloc(cap, sizeof(*results));
	reset_device();
	progress_start(&progress, "runs", total);
	if (!o.progress)
		progress_disable(&progress);

	for (unsigned int a = 0; a < o.nr_sizes && !interrupted; a++)
	for (int zm = 0; zm < NR_ZMODES && !interrupted; zm++)
	for (unsigned int b = 0; b < o.nr_streams && !interrupted; b++) {
		struct result reps[NR_MODES][MAX_REPEAT];
		unsigned int nrep = o.repeat > MAX_REPEAT ? MAX_REPEAT : o.repeat;
		double runs[NR_MODES][MAX_REPEAT];
		/* latency samples of every repetition, pooled */
		uint64_t *pool[NR_MODES] = { NULL }, npool[NR_MODES] = { 0 };

		if (!o.zmodes[zm])
			continue;
		/* repetitions outermost within a cell, modes interleaved, so
		 * drift of the machine touches every mode alike */
		for (unsigned int rep = 0; rep < nrep && !interrupted; rep++)
		for (int m = 0; m < NR_MODES && !interrupted; m++) {
			int ret;
			struct run r = {
				.mode = m, .zm = zm, .size = o.sizes[a],
				.streams = o.streams[b],
			};
			char what[128], szb[SIZE_BUF_LEN];

			if (!o.modes[m])
				continue;
			snprintf(what, sizeof(what), "%s %s x%u %s (rep %u/%u)",
				 format_size_exact(r.size, szb, sizeof(szb)),
				 zmode_names[zm], r.streams, mode_names[m],
				 rep + 1, nrep);
			progress_step(&progress, ++k, what);
			ret = plan_run(&r);
			if (ret == -E2BIG) {
				r.skipped = true;
				r.err_what = "larger than the device's max_append";
			} else if (ret) {
				r.err = ret;
				r.err_what = "size does not fit the zone capacity "
					     "or block size, or no room";
			} else {
				run_once(&r);
			}
			fill_result(&reps[m][rep], &r);
			runs[m][rep] = reps[m][rep].mib_s;
			if (o.verbose)
				fprintf(stderr, "%s: %.1f MiB/s\n", what,
					reps[m][rep].mib_s);
			if (r.nlat) {
				pool[m] = realloc(pool[m], (npool[m] + r.nlat) *
							   sizeof(uint64_t));
				if (!pool[m])
					die("out of memory");
				memcpy(pool[m] + npool[m], r.lat,
				       r.nlat * sizeof(uint64_t));
				npool[m] += r.nlat;
			}
			free(r.lat);
		}
		for (int m = 0; m < NR_MODES && !interrupted; m++) {
			struct result *res;
			unsigned int n = nrep, bad = 0;

			if (!o.modes[m])
				continue;
			for (unsigned int rep = 0; rep < n; rep++)
				if (reps[m][rep].err || reps[m][rep].skipped)
					bad = rep + 1;
			res = &results[nr_results++];
			if (bad) {
				*res = reps[m][bad - 1];
				res->reps = n;
				continue;
			}
			qsort(reps[m], n, sizeof(reps[m][0]), cmp_result_mib);
			*res = reps[m][(n - 1) / 2];
			res->reps = n;
			res->mib_s_min = reps[m][0].mib_s;
			res->mib_s_max = reps[m][n - 1].mib_s;
			memcpy(res->mib_s_runs, runs[m], n * sizeof(runs[m][0]));
			if (npool[m]) {
				qsort(pool[m], npool[m], sizeof(uint64_t), cmp_u64);
				set_latency(res, pool[m], npool[m]);
			}
		}
		for (int m = 0; m < NR_MODES; m++)
			free(pool[m]);
	}
	progress_end(&progress);
	loadavg(B.mach.load_end);
	reset_device();
	if (interrupted)
		fprintf(stderr, "zkbench: interrupted; partial results\n");
	if (o.json && !o.json_file) {
		write_json(stdout);
	} else {
		print_table(stdout);
		if (o.json_file) {
			FILE *f = fopen(o.json_file, "w");

			if (!f)
				die("%s: %s", o.json_file, strerror(errno));
			write_json(f);
			if (fclose(f))
				die("%s: %s", o.json_file, strerror(errno));
		}
	}
	{
		int failed = 0;

		for (size_t x = 0; x < nr_results; x++)
			failed += results[x].err != 0;
		close_device();
		free(results);
		if (failed)
			fprintf(stderr, "zkbench: %d runs FAILED\n", failed);
		return failed || interrupted ? 1 : 0;
	}
}

static int cmd_create(void)
{
	uint64_t t0 = now_ns();

	if (!o.dev)
		die("create: --dev DIR is needed");
	make_device(o.dev);
	printf("created %s: %u zones of %" PRIu64 " bytes in %.3f s\n", o.dev,
	       o.nr_zones, o.zone_size, (double)(now_ns() - t0) / 1e9);
	return 0;
}

/* Time zk_open and a report of every zone (in chunks, as a program would
 * page through them), and what the zone state costs in resident memory. */
static int cmd_open_report(void)
{
	enum { CHUNK = 4096 };
	struct zk_zone *zones = xcalloc(CHUNK, sizeof(*zones));
	struct zk_dev *dev;
	struct zk_info info;
	struct machine mach;
	uint64_t counts[16] = { 0 }, nz = 0, t0, t1, t2, t3;
	long rss0, rss1, hwm1;
	char fs[64];
	int ret;

	char *made = NULL;
	double create_s = 0;

	if (!o.dev || dir_is_empty_or_missing(o.dev)) {
		/* no device yet: make one (not timed with the rest) */
		const char *tmp = getenv("TMPDIR");
		char tmpl[PATH_MAX];
		uint64_t c0 = now_ns();

		if (!o.dev) {
			snprintf(tmpl, sizeof(tmpl), "%s/zkbench.XXXXXX",
				 tmp && *tmp ? tmp : "/tmp");
			if (!mkdtemp(tmpl))
				die("mkdtemp %s: %s", tmpl, strerror(errno));
			o.dev = tmpl;
		}
		make_device(o.dev);
		create_s = (double)(now_ns() - c0) / 1e9;
		made = o.keep ? NULL : strdup(o.dev);
		o.dev = strdup(o.dev);
	}
	machine_info(&mach);
	memset(zones, 0, CHUNK * sizeof(*zones)); /* resident before we measure */
	rss0 = status_kib("VmRSS");
	t0 = now_ns();
	ret = zk_open(o.dev, ZK_RDONLY, &dev);
	if (ret)
		die("zk_open %s: %s", o.dev, zk_strerror(ret));
	t1 = now_ns();
	zk_info(dev, &info);
	for (uint64_t off = 0; off < info.capacity;) {
		unsigned int n = CHUNK;

		ret = zk_report(dev, off, zones, &n);
		if (ret || !n)
			die("zk_report at %" PRIu64 ": %s", off,
			    zk_strerror(ret ? ret : -EIO));
		for (unsigned int i = 0; i < n; i++)
			counts[zones[i].cond & 15]++;
		nz += n;
		off = zones[n - 1].start + zones[n - 1].len;
	}
	t2 = now_ns();
	rss1 = status_kib("VmRSS");
	hwm1 = status_kib("VmHWM");
	zk_close(dev);
	t3 = now_ns();
	if (nz != info.nr_zones)
		die("report gave %" PRIu64 " zones of %u", nz, info.nr_zones);
	fs_type(o.dev, fs, sizeof(fs));
	if (o.json) {
		FILE *f = o.json_file ? fopen(o.json_file, "w") : stdout;

		if (!f)
			die("%s: %s", o.json_file, strerror(errno));
		fprintf(f, "{\"tool\": \"zkbench open-report\", \"path\": ");
		json_text(f, o.dev);
		fputs(", \"fs\": ", f);
		json_text(f, fs);
		fprintf(f,
			", \"nproc\": %ld, \"nr_zones\": %u, \"zone_size\": %" PRIu64
			", \"create_s\": %.6f, \"open_s\": %.6f, \"report_s\": %.6f, "
			"\"open_report_s\": %.6f, \"close_s\": %.6f, "
			"\"rss_before_kib\": %ld, \"rss_after_kib\": %ld, "
			"\"hwm_kib\": %ld, \"zone_state_kib\": %ld, "
			"\"empty\": %" PRIu64 ", \"full\": %" PRIu64 "}\n",
			mach.nproc, info.nr_zones, info.zone_size, create_s,
			(double)(t1 - t0) / 1e9, (double)(t2 - t1) / 1e9,
			(double)(t2 - t0) / 1e9, (double)(t3 - t2) / 1e9, rss0,
			rss1, hwm1, rss1 - rss0, counts[ZK_COND_EMPTY],
			counts[ZK_COND_FULL]);
		if (f != stdout)
			fclose(f);
	}
	if (!o.json || o.json_file)
		printf("%s (%s): %u zones: open %.3f s, report %.3f s, "
		       "open + report %.3f s, close %.3f s; resident memory "
		       "%ld KiB before open, %ld KiB after the report "
		       "(+%ld KiB), peak %ld KiB\n",
		       o.dev, fs, info.nr_zones, (double)(t1 - t0) / 1e9,
		       (double)(t2 - t1) / 1e9, (double)(t2 - t0) / 1e9,
		       (double)(t3 - t2) / 1e9, rss0, rss1, rss1 - rss0, hwm1);
	if (made) {
		remove_device(made);
		free(made);
	}
	free(zones);
	return 0;
}

/* ------------------------------------------------------------------ */

int main(int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "dev", required_argument, NULL, 'd' },
		{ "keep", no_argument, NULL, 'k' },
		{ "zone-size", required_argument, NULL, 'Z' },
		{ "zone-capacity", required_argument, NULL, 'C' },
		{ "nr-zones", required_argument, NULL, 'N' },
		{ "block-size", required_argument, NULL, 'B' },
		{ "sizes", required_argument, NULL, 's' },
		{ "threads", required_argument, NULL, 't' },
		{ "mode", required_argument, NULL, 'm' },
		{ "modes", required_argument, NULL, 'm' },
		{ "zones", required_argument, NULL, 'z' },
		{ "bytes", required_argument, NULL, 'b' },
		{ "min-ops", required_argument, NULL, 'o' },
		{ "seconds", required_argument, NULL, 'S' },
		{ "repeat", required_argument, NULL, 'r' },
		{ "quick", no_argument, NULL, 'q' },
		{ "json", optional_argument, NULL, 'j' },
		{ "raw-order", required_argument, NULL, 'O' },
		{ "queue-threads", no_argument, NULL, 'T' },
		{ "queue-no-inline", no_argument, NULL, 'I' },
		{ "raw-direct", no_argument, NULL, 'D' },
		{ "direct", no_argument, NULL, 'X' },
		{ "no-progress", no_argument, NULL, 'P' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *cmd = "run";
	bool have_bytes = false, have_min_ops = false, have_modes = false,
	     have_zmodes = false;
	struct sigaction sa;
	int c;

	o.zone_size = GiB;
	o.nr_zones = 16;
	o.block_size = 4096;
	o.bytes = 256 * MiB;
	o.min_ops = 1024;
	o.seconds = 30;
	o.repeat = 1;
	o.progress = true;
	if (argc > 1 && argv[1][0] != '-') {
		cmd = argv[1];
		argv++;
		argc--;
	}
	while ((c = getopt_long(argc, argv, "hv", lopts, NULL)) != -1) {
		switch (c) {
		case 'd':
			o.dev = optarg;
			break;
		case 'k':
			o.keep = true;
			break;
		case 'Z':
			o.zone_size = need_size("--zone-size", optarg);
			break;
		case 'C':
			o.zone_capacity = need_size("--zone-capacity", optarg);
			break;
		case 'N':
			o.nr_zones = (uint32_t)need_uint("--nr-zones", optarg);
			break;
		case 'B':
			o.block_size = (uint32_t)need_uint("--block-size", optarg);
			break;
		case 's':
			o.nr_sizes = 0;
			each_item(optarg, add_size);
			break;
		case 't':
			o.nr_streams = 0;
			each_item(optarg, add_streams);
			break;
		case 'm':
			have_modes = true;
			each_item(optarg, add_mode);
			break;
		case 'z':
			have_zmodes = true;
			each_item(optarg, add_zmode);
			break;
		case 'b':
			o.bytes = need_size("--bytes", optarg);
			have_bytes = true;
			break;
		case 'o':
			o.min_ops = need_uint("--min-ops", optarg);
			have_min_ops = true;
			break;
		case 'S':
			o.seconds = strtod(optarg, NULL);
			if (!(o.seconds > 0))
				die("--seconds: a positive number");
			break;
		case 'r':
			o.repeat = (unsigned int)need_uint("--repeat", optarg);
			if (!o.repeat || o.repeat > MAX_REPEAT)
				die("--repeat: 1 to 64");
			break;
		case 'q':
			o.quick = true;
			break;
		case 'j':
			o.json = true;
			o.json_file = optarg;
			break;
		case 'O':
			if (!strcmp(optarg, "any"))
				o.raw_order = ORDER_ANY;
			else if (!strcmp(optarg, "zone"))
				o.raw_order = ORDER_ZONE;
			else
				die("--raw-order: any or zone");
			break;
		case 'T':
			o.queue_threads = true;
			break;
		case 'I':
			o.queue_no_inline = true;
			break;
		case 'D':
			o.raw_direct = true;
			break;
		case 'X':
			o.direct = o.raw_direct = true;
			break;
		case 'P':
			o.progress = false;
			break;
		case 'v':
			o.verbose = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind < argc)
		die("unexpected argument '%s' (see --help)", argv[optind]);
	if (o.quick) {
		if (!have_bytes)
			o.bytes = 4 * MiB;
		if (!have_min_ops)
			o.min_ops = 16;
	}
	if (!o.nr_sizes) {
		o.sizes[o.nr_sizes++] = 4 * KiB;
		o.sizes[o.nr_sizes++] = 64 * KiB;
		o.sizes[o.nr_sizes++] = MiB;
	}
	if (!o.nr_streams) {
		for (unsigned int n = 1; n <= 8; n *= 2)
			o.streams[o.nr_streams++] = n;
	}
	if (!have_modes)
		for (int m = 0; m < NR_MODES; m++)
			o.modes[m] = true;
#ifndef ZKB_HAVE_URING
	if (!have_modes)
		o.modes[M_RAW_URING] = false;
#endif
	if (!have_zmodes)
		o.zmodes[Z_PER_THREAD] = o.zmodes[Z_SHARED] = true;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);

	if (!strcmp(cmd, "run"))
		return cmd_run();
	if (!strcmp(cmd, "create"))
		return cmd_create();
	if (!strcmp(cmd, "open-report"))
		return cmd_open_report();
	die("unknown command '%s' (run, create, open-report; see --help)", cmd);
}
