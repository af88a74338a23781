/* SPDX-License-Identifier: MIT */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "testlib.h"

#include <dirent.h>
#include <fcntl.h>
#include <ftw.h>
#include <pthread.h>
#include <stdarg.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* ------------------------------------------------------------------ */
/* Reporting */

static char ctx_buf[256];
static pthread_mutex_t fail_lock = PTHREAD_MUTEX_INITIALIZER;

void t_ctx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(ctx_buf, sizeof(ctx_buf), fmt, ap);
	va_end(ap);
}

void t_info(const char *fmt, ...)
{
	va_list ap;

	printf("%s: ", program_invocation_short_name);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
}

void t_fail_at(const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	/* one message only, even when several threads fail at once */
	pthread_mutex_lock(&fail_lock);
	fflush(stdout);
	fprintf(stderr, "FAIL %s: %s:%d: ", program_invocation_short_name, file, line);
	if (ctx_buf[0])
		fprintf(stderr, "[%s] ", ctx_buf);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	fflush(stderr);
	exit(T_EXIT_FAIL);
}

void t_skip(const char *fmt, ...)
{
	va_list ap;

	printf("SKIP %s: ", program_invocation_short_name);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
	exit(T_EXIT_SKIP);
}

static const char *errno_name(int e)
{
	switch (e) {
	case EINVAL: return "EINVAL";
	case EIO: return "EIO";
	case EBADF: return "EBADF";
	case EBUSY: return "EBUSY";
	case EOVERFLOW: return "EOVERFLOW";
	case ETOOMANYREFS: return "ETOOMANYREFS";
	case EOPNOTSUPP: return "EOPNOTSUPP";
	case ENOENT: return "ENOENT";
	case EEXIST: return "EEXIST";
	case ENOTEMPTY: return "ENOTEMPTY";
	case ENOMEM: return "ENOMEM";
	case ENOSPC: return "ENOSPC";
	case EAGAIN: return "EAGAIN";
	case ENOTDIR: return "ENOTDIR";
	case EACCES: return "EACCES";
	case EPERM: return "EPERM";
	case ENOTBLK: return "ENOTBLK";
	case EROFS: return "EROFS";
	default: return NULL;
	}
}

const char *t_errname(long long ret)
{
	/* a few buffers, so that one message can name two values */
	static __thread char bufs[4][160];
	static __thread unsigned int next;
	char *buf = bufs[next++ % 4];
	const char *n;

	if (ret >= 0)
		return "ok";
	if (ret < -4095)
		return "bad value";
	n = errno_name((int)-ret);
	snprintf(buf, sizeof(bufs[0]), "-%s: %s", n ? n : "?",
		 zk_strerror((int)ret) ? zk_strerror((int)ret) : "(null)");
	return buf;
}

const char *t_condname(unsigned int cond)
{
	switch (cond) {
	case ZK_COND_NOT_WP: return "NOT_WP";
	case ZK_COND_EMPTY: return "EMPTY";
	case ZK_COND_IMP_OPEN: return "IMP_OPEN";
	case ZK_COND_EXP_OPEN: return "EXP_OPEN";
	case ZK_COND_CLOSED: return "CLOSED";
	case ZK_COND_READONLY: return "READONLY";
	case ZK_COND_FULL: return "FULL";
	case ZK_COND_OFFLINE: return "OFFLINE";
	default: return "?";
	}
}

/* ------------------------------------------------------------------ */
/* Temporary directories */

#define MAX_TMPDIRS 64
static char *tmpdirs[MAX_TMPDIRS];
static int nr_tmpdirs;

static int rm_one(const char *path, const struct stat *st, int flag,
		  struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	remove(path);
	return 0;
}

static bool keep_tmpdirs(void)
{
	const char *keep = getenv("ZK_TEST_KEEP");

	return keep && *keep && strcmp(keep, "0");
}

static pid_t tmpdirs_owner;

static void rm_tmpdirs(void)
{
	int i;

	if (getpid() != tmpdirs_owner)
		return;

	for (i = 0; i < nr_tmpdirs; i++) {
		if (!tmpdirs[i])
			continue;
		if (keep_tmpdirs())
			fprintf(stderr, "%s: kept %s\n", program_invocation_short_name, tmpdirs[i]);
		else
			nftw(tmpdirs[i], rm_one, 16, FTW_DEPTH | FTW_PHYS);
		free(tmpdirs[i]);
	}
	nr_tmpdirs = 0;
}

const char *t_tmpdir(void)
{
	const char *base = getenv("TMPDIR");
	char buf[PATH_MAX];

	if (!base || !*base)
		base = "/tmp";
	if (nr_tmpdirs == MAX_TMPDIRS)
		T_FAIL("too many temporary directories");
	snprintf(buf, sizeof(buf), "%s/zktest-%s-XXXXXX", base, program_invocation_short_name);
	if (!mkdtemp(buf))
		T_FAIL("mkdtemp(%s): %s", buf, strerror(errno));
	if (nr_tmpdirs == 0) {
		tmpdirs_owner = getpid(); /* not a forked child's to remove */
		atexit(rm_tmpdirs);
	}
	tmpdirs[nr_tmpdirs] = strdup(buf);
	if (!tmpdirs[nr_tmpdirs])
		T_FAIL("strdup: out of memory");
	return tmpdirs[nr_tmpdirs++];
}

/* ------------------------------------------------------------------ */
/* Watchdog */

static struct {
	pthread_mutex_t lock;
	pthread_cond_t cv;
	pthread_t tid;
	bool armed, running;
	double started, deadline;
	double stall;            /* 0: none */
	double longest;          /* the longest a slot stayed in one state */
	void (*dump)(FILE *out);
	char state[T_STATE_SLOTS][128];
	double since[T_STATE_SLOTS]; /* when the slot's state was set */
} wd = { .lock = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER };

void t_state(unsigned int slot, const char *fmt, ...)
{
	char buf[128];
	double now;
	va_list ap;

	if (slot >= T_STATE_SLOTS)
		return;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	now = t_now();
	pthread_mutex_lock(&wd.lock);
	if (wd.state[slot][0] && now - wd.since[slot] > wd.longest)
		wd.longest = now - wd.since[slot];
	memcpy(wd.state[slot], buf, sizeof(buf));
	wd.since[slot] = now;
	pthread_mutex_unlock(&wd.lock);
}

double t_state_longest(void)
{
	double longest;

	pthread_mutex_lock(&wd.lock);
	longest = wd.longest;
	pthread_mutex_unlock(&wd.lock);
	return longest;
}

/* GCC says which sanitizer it builds with by these macros, clang by
 * __has_feature.  tests/meson.build scales the tests' timeouts alike. */
#if defined(__SANITIZE_THREAD__)
#define SANITIZER_SLOWDOWN 4.0
#elif defined(__SANITIZE_ADDRESS__)
#define SANITIZER_SLOWDOWN 2.0
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define SANITIZER_SLOWDOWN 4.0
#elif __has_feature(address_sanitizer)
#define SANITIZER_SLOWDOWN 2.0
#endif
#endif
#ifndef SANITIZER_SLOWDOWN
#define SANITIZER_SLOWDOWN 1.0
#endif

double t_watchdog_scale(void)
{
	const char *s = getenv("ZK_TEST_WATCHDOG_SCALE");
	double v = s && *s ? strtod(s, NULL) : 1.0;

	return SANITIZER_SLOWDOWN * (v > 0 ? v : 1.0);
}

/* The slot that has stayed longest in one state, if longer than the
 * stall limit allows; -1 if none (under wd.lock). */
static int stalled_slot(double now)
{
	int worst = -1;

	for (int i = 0; wd.stall > 0 && i < T_STATE_SLOTS; i++) {
		if (!wd.state[i][0] || !strcmp(wd.state[i], "done") ||
		    now - wd.since[i] < wd.stall)
			continue;
		if (worst < 0 || wd.since[i] < wd.since[worst])
			worst = i;
	}
	return worst;
}

/* The stacks of every thread, by gdb if the machine has it. */
static void dump_stacks(void)
{
	char cmd[256];

	snprintf(cmd, sizeof(cmd),
		 "command -v gdb >/dev/null && timeout 30 gdb -q -batch -p %d "
		 "-ex 'thread apply all bt' 2>/dev/null | grep -E '^(Thread|#)' >&2",
		 (int)getpid());
	if (system(cmd) < 0)
		fprintf(stderr, "(no thread stacks: system() failed)\n");
}

static void *watchdog_main(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&wd.lock);
	while (wd.armed) {
		struct timespec ts;
		double now = t_now();
		int stalled = stalled_slot(now);

		if (now >= wd.deadline || stalled >= 0) {
			fflush(stdout);
			if (stalled >= 0)
				fprintf(stderr, "FAIL %s: WATCHDOG: thread %d in one "
					"state for %.0f s (limit %.0f s): a hang%s%s%s\n",
					program_invocation_short_name, stalled,
					now - wd.since[stalled], wd.stall,
					ctx_buf[0] ? " [" : "", ctx_buf,
					ctx_buf[0] ? "]" : "");
			else
				fprintf(stderr, "FAIL %s: WATCHDOG: not done in the "
					"%.0f s allowed: a hang%s%s%s\n",
					program_invocation_short_name,
					wd.deadline - wd.started,
					ctx_buf[0] ? " [" : "", ctx_buf,
					ctx_buf[0] ? "]" : "");
			for (unsigned int i = 0; i < T_STATE_SLOTS; i++)
				if (wd.state[i][0])
					fprintf(stderr, "  thread %u: %s (for %.1f s)\n",
						i, wd.state[i], now - wd.since[i]);
			pthread_mutex_unlock(&wd.lock);
			if (wd.dump)
				wd.dump(stderr);
			dump_stacks();
			fflush(stderr);
			rm_tmpdirs(); /* not exit(): its handlers may wait for the hung */
			_exit(T_EXIT_FAIL);
		}
		clock_gettime(CLOCK_REALTIME, &ts);
		now = wd.deadline - now;
		if (wd.stall > 0 && now > 1)
			now = 1; /* look at the threads every second */
		ts.tv_sec += (time_t)now;
		ts.tv_nsec += (long)((now - (double)(time_t)now) * 1e9);
		if (ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&wd.cv, &wd.lock, &ts);
	}
	pthread_mutex_unlock(&wd.lock);
	return NULL;
}

void t_watchdog_start(double secs)
{
	t_watchdog_stop();
	pthread_mutex_lock(&wd.lock);
	wd.armed = true;
	wd.started = t_now();
	wd.deadline = wd.started + secs * t_watchdog_scale();
	pthread_mutex_unlock(&wd.lock);
	if (pthread_create(&wd.tid, NULL, watchdog_main, NULL))
		T_FAIL("pthread_create: watchdog");
	wd.running = true;
}

void t_watchdog_stall(double secs)
{
	pthread_mutex_lock(&wd.lock);
	wd.stall = secs > 0 ? secs * t_watchdog_scale() : 0;
	pthread_mutex_unlock(&wd.lock);
}

void t_watchdog_dump(void (*dump)(FILE *out))
{
	wd.dump = dump;
}

void t_watchdog_stop(void)
{
	if (!wd.running)
		return;
	pthread_mutex_lock(&wd.lock);
	wd.armed = false;
	pthread_cond_signal(&wd.cv);
	pthread_mutex_unlock(&wd.lock);
	pthread_join(wd.tid, NULL);
	wd.running = false;
}

/* ------------------------------------------------------------------ */
/* Devices */

void t_geo_default(struct zk_geometry *geo)
{
	memset(geo, 0, sizeof(*geo));
	geo->capacity = 8 * MiB;
	geo->zone_size = 1 * MiB;
	geo->nr_conv_zones = 1;
	geo->block_size = 4096;
}

void t_dev_create(struct tdev *t, const struct zk_geometry *geo)
{
	int ret;

	memset(t, 0, sizeof(*t));
	snprintf(t->dir, sizeof(t->dir), "%s", t_tmpdir());
	snprintf(t->path, sizeof(t->path), "%s/dev", t->dir);
	ret = zk_create(t->path, geo);
	if (ret)
		T_FAIL("zk_create(%s) = %d (%s)", t->path, ret, t_errname(ret));
	t_dev_reopen(t, 0);
}

void t_dev_close(struct tdev *t)
{
	if (t->dev)
		zk_close(t->dev);
	t->dev = NULL;
}

void t_dev_destroy(struct tdev *t)
{
	int i;

	t_dev_close(t);
	if (keep_tmpdirs())
		return;
	for (i = 0; i < nr_tmpdirs; i++) {
		if (tmpdirs[i] && !strcmp(tmpdirs[i], t->dir)) {
			nftw(tmpdirs[i], rm_one, 16, FTW_DEPTH | FTW_PHYS);
			free(tmpdirs[i]);
			tmpdirs[i] = NULL;
		}
	}
}

void t_dev_reopen(struct tdev *t, unsigned int flags)
{
	int ret;

	t_dev_close(t);
	ret = zk_open(t->path, flags, &t->dev);
	if (ret)
		T_FAIL("zk_open(%s, %#x) = %d (%s)", t->path, flags, ret,
		       t_errname(ret));
	if (!t->dev)
		T_FAIL("zk_open(%s) succeeded without a device", t->path);
	ret = zk_info(t->dev, &t->info);
	if (ret)
		T_FAIL("zk_info = %d (%s)", ret, t_errname(ret));
}

/* ------------------------------------------------------------------ */
/* Zones */

struct zk_zone t_zone_at(const char *file, int line, struct zk_dev *dev,
			 uint64_t off)
{
	struct zk_zone z[2];
	unsigned int nr = 1;
	int ret;

	memset(z, 0xa5, sizeof(z));
	ret = zk_report(dev, off, z, &nr);
	if (ret)
		t_fail_at(file, line, "zk_report(%#" PRIx64 ") = %d (%s)", off,
			  ret, t_errname(ret));
	if (nr != 1)
		t_fail_at(file, line, "zk_report(%#" PRIx64 ", nr 1) gave %u zones",
			  off, nr);
	if (z[1].start != 0xa5a5a5a5a5a5a5a5ULL)
		t_fail_at(file, line, "zk_report(nr 1) wrote past one zone");
	if (off < z[0].start || off - z[0].start >= z[0].len)
		t_fail_at(file, line,
			  "zk_report(%#" PRIx64 ") gave zone [%#" PRIx64
			  ", +%#" PRIx64 ") that does not hold it",
			  off, z[0].start, z[0].len);
	return z[0];
}

void t_zcheck_at(const char *file, int line, struct zk_dev *dev, uint64_t off,
		 unsigned int cond, uint64_t wp)
{
	struct zk_zone z = t_zone_at(file, line, dev, off);

	if (z.cond != cond || z.wp != wp)
		t_fail_at(file, line,
			  "zone %#" PRIx64 ": cond %s wp %#" PRIx64
			  " (start+%#" PRIx64 "), expected cond %s wp %#" PRIx64
			  " (start+%#" PRIx64 ")",
			  z.start, t_condname(z.cond), z.wp, z.wp - z.start,
			  t_condname(cond), wp, wp - z.start);
}

void t_zcond_at(const char *file, int line, struct zk_dev *dev, uint64_t off,
		unsigned int cond)
{
	struct zk_zone z = t_zone_at(file, line, dev, off);

	if (z.cond != cond)
		t_fail_at(file, line,
			  "zone %#" PRIx64 ": cond %s (wp start+%#" PRIx64
			  "), expected %s",
			  z.start, t_condname(z.cond), z.wp - z.start,
			  t_condname(cond));
}

/* ------------------------------------------------------------------ */
/* Patterns */

static inline uint64_t mix64(uint64_t x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ULL;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebULL;
	x ^= x >> 31;
	return x;
}

uint64_t t_pat_word(uint64_t off, uint64_t seed)
{
	/* never zero, so that a zero-filled hole never passes for data */
	return mix64(off ^ mix64(seed + 0x9e3779b97f4a7c15ULL)) | 1;
}

/* The pattern is defined per 8-byte word of the device; buffers may start
 * at any byte (tests use block-aligned offsets anyway). */
static inline uint8_t pat_byte(uint64_t off, uint64_t seed)
{
	uint64_t w = t_pat_word(off & ~7ULL, seed);

	return (uint8_t)(w >> ((off & 7) * 8));
}

void t_pat_fill(void *buf, size_t len, uint64_t off, uint64_t seed)
{
	uint8_t *p = buf;
	size_t i = 0;

	if (!(off & 7) && !((uintptr_t)p & 7)) {
		for (; i + 8 <= len; i += 8)
			*(uint64_t *)(p + i) = t_pat_word(off + i, seed);
	}
	for (; i < len; i++)
		p[i] = pat_byte(off + i, seed);
}

ssize_t t_pat_find_bad(const void *buf, size_t len, uint64_t off, uint64_t seed)
{
	const uint8_t *p = buf;
	size_t i = 0;

	if (!(off & 7) && !((uintptr_t)p & 7)) {
		for (; i + 8 <= len; i += 8)
			if (*(const uint64_t *)(p + i) != t_pat_word(off + i, seed))
				break;
	}
	for (; i < len; i++)
		if (p[i] != pat_byte(off + i, seed))
			return (ssize_t)i;
	return -1;
}

ssize_t t_find_nonzero(const void *buf, size_t len)
{
	const uint8_t *p = buf;
	size_t i;

	for (i = 0; i < len; i++)
		if (p[i])
			return (ssize_t)i;
	return -1;
}

void t_write_at(const char *file, int line, struct zk_dev *dev, uint64_t off,
		size_t len, uint64_t seed)
{
	void *buf = t_aligned(len ? len : 1);
	ssize_t ret;

	t_pat_fill(buf, len, off, seed);
	ret = zk_pwrite(dev, buf, len, off);
	free(buf);
	if (ret != (ssize_t)len)
		t_fail_at(file, line,
			  "zk_pwrite(len %#zx, off %#" PRIx64 ") = %zd (%s), "
			  "expected %zu",
			  len, off, ret, t_errname(ret), len);
}

void t_write_ret_at(const char *file, int line, struct zk_dev *dev,
		    uint64_t off, size_t len, uint64_t seed, long long want)
{
	void *buf = t_aligned(len ? len : 1);
	ssize_t ret;

	t_pat_fill(buf, len, off, seed);
	ret = zk_pwrite(dev, buf, len, off);
	free(buf);
	if (ret != want)
		t_fail_at(file, line,
			  "zk_pwrite(len %#zx, off %#" PRIx64 ") = %zd (%s), "
			  "expected %lld (%s)",
			  len, off, ret, t_errname(ret), want, t_errname(want));
}

void t_append_at(const char *file, int line, struct zk_dev *dev,
		 uint64_t zone_start, size_t len, uint64_t seed,
		 uint64_t expect)
{
	void *buf = t_aligned(len ? len : 1);
	uint64_t landed = 0xdeadbeefdeadbeefULL;
	int ret;

	t_pat_fill(buf, len, expect, seed);
	ret = zk_append(dev, zone_start, buf, len, &landed);
	free(buf);
	if (ret != 0)
		t_fail_at(file, line,
			  "zk_append(zone %#" PRIx64 ", len %#zx) = %d (%s)",
			  zone_start, len, ret, t_errname(ret));
	if (landed != expect)
		t_fail_at(file, line,
			  "zk_append(zone %#" PRIx64 ", len %#zx) landed at %#"
			  PRIx64 ", expected %#" PRIx64,
			  zone_start, len, landed, expect);
}

void t_append_ret_at(const char *file, int line, struct zk_dev *dev,
		     uint64_t zone_start, size_t len, long long want)
{
	void *buf = t_aligned(len ? len : 1);
	uint64_t landed = 0x1234;
	int ret;

	t_pat_fill(buf, len, 0, 0xbad);
	ret = zk_append(dev, zone_start, buf, len, &landed);
	free(buf);
	if (ret != want)
		t_fail_at(file, line,
			  "zk_append(zone %#" PRIx64 ", len %#zx) = %d (%s), "
			  "expected %lld (%s)",
			  zone_start, len, ret, t_errname(ret), want,
			  t_errname(want));
}

void t_data_at(const char *file, int line, struct zk_dev *dev, uint64_t off,
	       size_t len, uint64_t seed)
{
	uint8_t *buf;
	ssize_t ret, bad;

	if (!len)
		return;
	buf = t_aligned(len);
	memset(buf, 0xee, len);
	ret = zk_pread(dev, buf, len, off);
	if (ret != (ssize_t)len)
		t_fail_at(file, line,
			  "zk_pread(len %#zx, off %#" PRIx64 ") = %zd (%s)",
			  len, off, ret, t_errname(ret));
	bad = t_pat_find_bad(buf, len, off, seed);
	if (bad >= 0) {
		unsigned int b = buf[bad];
		free(buf);
		t_fail_at(file, line,
			  "data at %#" PRIx64 " (+%#zx into a read of %#zx at %#"
			  PRIx64 ") is %#02x, expected %#02x (pattern %#" PRIx64 ")",
			  off + bad, (size_t)bad, len, off, b,
			  pat_byte(off + bad, seed), seed);
	}
	free(buf);
}

void t_zeros_at(const char *file, int line, struct zk_dev *dev, uint64_t off,
		size_t len)
{
	uint8_t *buf;
	ssize_t ret, bad;

	if (!len)
		return;
	buf = t_aligned(len);
	memset(buf, 0xee, len);
	ret = zk_pread(dev, buf, len, off);
	if (ret != (ssize_t)len)
		t_fail_at(file, line,
			  "zk_pread(len %#zx, off %#" PRIx64 ") = %zd (%s)",
			  len, off, ret, t_errname(ret));
	bad = t_find_nonzero(buf, len);
	if (bad >= 0) {
		unsigned int b = buf[bad];
		free(buf);
		t_fail_at(file, line,
			  "byte at %#" PRIx64 " (+%#zx into a read of %#zx at %#"
			  PRIx64 ") is %#02x, expected zero",
			  off + bad, (size_t)bad, len, off, b);
	}
	free(buf);
}

/* ------------------------------------------------------------------ */
/* Snapshots */

void t_snap_take(struct zk_dev *dev, struct t_snap *s)
{
	struct zk_info info;
	unsigned int nr;
	uint64_t off, chunk;
	int ret;

	memset(s, 0, sizeof(*s));
	ret = zk_info(dev, &info);
	if (ret)
		T_FAIL("zk_info = %d (%s)", ret, t_errname(ret));
	if (info.capacity > 256 * MiB)
		T_FAIL("t_snap_take: device too large");
	s->nr = info.nr_zones;
	s->zones = t_malloc(sizeof(*s->zones) * s->nr);
	nr = s->nr;
	ret = zk_report(dev, 0, s->zones, &nr);
	if (ret || nr != s->nr)
		T_FAIL("zk_report(all) = %d (%s), nr %u of %u", ret,
		       t_errname(ret), nr, s->nr);
	s->len = info.capacity;
	s->data = t_aligned(s->len);
	/* zone by zone: OFFLINE zones cannot be read */
	for (off = 0; off < s->len; off += chunk) {
		struct zk_zone *z = &s->zones[off / info.zone_size];

		chunk = z->len;
		if (z->cond == ZK_COND_OFFLINE)
			continue;
		ret = (int)zk_pread(dev, s->data + off, chunk, off);
		if (ret != (int)chunk)
			T_FAIL("zk_pread(%#" PRIx64 ", %#" PRIx64 ") = %d (%s)",
			       off, chunk, ret, t_errname(ret));
	}
}

void t_snap_same_at(const char *file, int line, struct zk_dev *dev,
		    const struct t_snap *s)
{
	struct t_snap now;
	unsigned int i;
	uint64_t off;

	t_snap_take(dev, &now);
	if (now.nr != s->nr)
		t_fail_at(file, line, "number of zones changed");
	for (i = 0; i < s->nr; i++) {
		const struct zk_zone *a = &s->zones[i], *b = &now.zones[i];

		if (a->cond != b->cond || a->wp != b->wp ||
		    a->start != b->start || a->len != b->len ||
		    a->capacity != b->capacity || a->type != b->type)
			t_fail_at(file, line,
				  "zone %u changed: cond %s -> %s, wp start+%#"
				  PRIx64 " -> start+%#" PRIx64,
				  i, t_condname(a->cond), t_condname(b->cond),
				  a->wp - a->start, b->wp - b->start);
	}
	for (off = 0; off < s->len; off++)
		if (s->data[off] != now.data[off])
			t_fail_at(file, line,
				  "data changed at %#" PRIx64 ": %#02x -> %#02x",
				  off, s->data[off], now.data[off]);
	t_snap_free(&now);
}

void t_snap_free(struct t_snap *s)
{
	free(s->zones);
	free(s->data);
	memset(s, 0, sizeof(*s));
}

/* ------------------------------------------------------------------ */
/* Records */

#define REC_MAGIC 0x7a6b7265636f7264ULL /* "zkrecord" */

static inline uint64_t rec_body(uint32_t tid, uint32_t seq, uint32_t blk,
				size_t word)
{
	return mix64(((uint64_t)tid << 48) ^ ((uint64_t)seq << 20) ^
		     ((uint64_t)blk << 8) ^ mix64(word + 1));
}

void t_rec_fill(void *buf, size_t len, size_t bs, uint32_t tid, uint32_t seq)
{
	uint32_t nblk = (uint32_t)(len / bs), b;
	size_t w, nw = bs / 8;

	for (b = 0; b < nblk; b++) {
		uint64_t *p = (uint64_t *)((uint8_t *)buf + (size_t)b * bs);

		p[0] = REC_MAGIC;
		p[1] = ((uint64_t)tid << 32) | seq;
		p[2] = ((uint64_t)b << 32) | nblk;
		p[3] = mix64(p[0] ^ mix64(p[1] ^ mix64(p[2])));
		for (w = 4; w < nw; w++)
			p[w] = rec_body(tid, seq, b, w);
	}
}

const char *t_rec_check_block(const void *blk, size_t bs, struct t_rec_blk *out)
{
	const uint64_t *p = blk;
	size_t w, nw = bs / 8;
	struct t_rec_blk r;

	if (p[0] != REC_MAGIC) {
		for (w = 0; w < nw; w++)
			if (p[w])
				return "no record magic";
		return "zero block";
	}
	if (p[3] != mix64(p[0] ^ mix64(p[1] ^ mix64(p[2]))))
		return "bad header checksum";
	r.tid = (uint32_t)(p[1] >> 32);
	r.seq = (uint32_t)p[1];
	r.blk = (uint32_t)(p[2] >> 32);
	r.nblk = (uint32_t)p[2];
	if (r.blk >= r.nblk)
		return "block index past block count";
	for (w = 4; w < nw; w++)
		if (p[w] != rec_body(r.tid, r.seq, r.blk, w))
			return "bad body";
	if (out)
		*out = r;
	return NULL;
}

static int rec_cmp(const void *a, const void *b)
{
	const struct t_rec *x = a, *y = b;

	return x->landed < y->landed ? -1 : x->landed > y->landed;
}

uint64_t t_recs_verify_at(const char *file, int line, struct zk_dev *dev,
			  struct t_rec *recs, size_t n, uint64_t zone_start,
			  uint64_t zcap, size_t bs)
{
	uint64_t pos = zone_start;
	uint8_t *got, *want;
	size_t i, maxlen = 0;
	ssize_t ret;

	qsort(recs, n, sizeof(*recs), rec_cmp);
	for (i = 0; i < n; i++) {
		const struct t_rec *r = &recs[i];

		if (r->landed % bs || r->len % bs || !r->len)
			t_fail_at(file, line,
				  "append %u/%u landed at %#" PRIx64 " len %u: "
				  "not block aligned", r->tid, r->seq, r->landed,
				  r->len);
		if (r->landed < zone_start || r->landed + r->len > zone_start + zcap)
			t_fail_at(file, line,
				  "append %u/%u landed at %#" PRIx64 " len %u: "
				  "outside the zone [%#" PRIx64 ", +%#" PRIx64 ")",
				  r->tid, r->seq, r->landed, r->len, zone_start,
				  zcap);
		if (r->landed < pos)
			t_fail_at(file, line,
				  "append %u/%u at %#" PRIx64 " len %u overlaps "
				  "the previous one (%u/%u, ends at %#" PRIx64 ")",
				  r->tid, r->seq, r->landed, r->len,
				  recs[i - 1].tid, recs[i - 1].seq, pos);
		if (r->landed > pos)
			t_fail_at(file, line,
				  "gap [%#" PRIx64 ", %#" PRIx64 ") before append "
				  "%u/%u", pos, r->landed, r->tid, r->seq);
		pos += r->len;
		if (r->len > maxlen)
			maxlen = r->len;
	}
	got = t_aligned(maxlen);
	want = t_aligned(maxlen);
	for (i = 0; i < n; i++) {
		const struct t_rec *r = &recs[i];

		ret = zk_pread(dev, got, r->len, r->landed);
		if (ret != (ssize_t)r->len)
			t_fail_at(file, line,
				  "zk_pread(%#" PRIx64 ", %u) = %zd (%s)",
				  r->landed, r->len, ret, t_errname(ret));
		t_rec_fill(want, r->len, bs, r->tid, r->seq);
		if (memcmp(got, want, r->len)) {
			struct t_rec_blk rb = { 0, 0, 0, 0 };
			size_t b;
			const char *why = NULL;

			for (b = 0; b < r->len; b += bs)
				if (memcmp(got + b, want + b, bs))
					break;
			why = t_rec_check_block(got + b, bs, &rb);
			t_fail_at(file, line,
				  "append %u/%u (%u bytes at %#" PRIx64 "): block "
				  "%zu holds %s %u/%u block %u/%u",
				  r->tid, r->seq, r->len, r->landed, b / bs,
				  why ? why : "record", rb.tid, rb.seq, rb.blk,
				  rb.nblk);
		}
	}
	free(got);
	free(want);
	return pos - zone_start;
}

/* ------------------------------------------------------------------ */
/* Misc */

double t_scale(void)
{
	const char *s = getenv("ZK_TEST_SCALE");
	double v;

	if (!s || !*s)
		return 1.0;
	v = strtod(s, NULL);
	return v > 0 ? v : 1.0;
}

unsigned long t_scaled(unsigned long n, unsigned long min)
{
	double v = (double)n * t_scale();

	return v < (double)min ? min : (unsigned long)v;
}

void *t_malloc(size_t len)
{
	void *p = calloc(1, len ? len : 1);

	if (!p)
		T_FAIL("out of memory (%zu bytes)", len);
	return p;
}

void *t_aligned(size_t len)
{
	void *p = NULL;

	if (posix_memalign(&p, 4096, len ? len : 1))
		T_FAIL("out of memory (%zu bytes)", len);
	memset(p, 0, len ? len : 1);
	return p;
}

double t_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static bool fd_is_direct(const char *name)
{
	char info[300], line[128];
	unsigned int flags = 0;
	FILE *f;

	snprintf(info, sizeof(info), "/proc/self/fdinfo/%s", name);
	f = fopen(info, "r");
	T_ASSERT(f);
	while (fgets(line, sizeof(line), f))
		sscanf(line, "flags: %o", &flags);
	fclose(f);
	return flags & O_DIRECT;
}

int t_zone_fds_under(const char *dir, int *not_direct)
{
	char link[300], target[PATH_MAX];
	struct dirent *de;
	DIR *d = opendir("/proc/self/fd");
	int found = 0;

	T_ASSERT(d);
	*not_direct = 0;
	while ((de = readdir(d))) {
		ssize_t n;

		snprintf(link, sizeof(link), "/proc/self/fd/%s", de->d_name);
		n = readlink(link, target, sizeof(target) - 1);
		if (n < 0)
			continue;
		target[n] = 0;
		if (strncmp(target, dir, strlen(dir)) ||
		    (!strstr(target, "/seq-") && !strstr(target, "/cnv-")))
			continue;
		found++;
		if (!fd_is_direct(de->d_name))
			(*not_direct)++;
	}
	closedir(d);
	return found;
}
