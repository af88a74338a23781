/* SPDX-License-Identifier: MIT */
/*
 * Bad input to every entry point of the library: NULL pointers, huge and
 * negative sizes, unaligned offsets, out-of-range zones, bad geometries,
 * paths that are not devices (a regular file, /dev/null, an empty
 * directory, a directory of something else), and damaged or hostile
 * device directories (geometry file, zone files, conditions file).
 *
 * Each call must return a negative errno (the one named where the API
 * promises one) and change nothing: the directory's listing (names, types,
 * sizes, content hashes) is taken before and compared after, and on an
 * open device zonekit's view of every zone and all data too.
 *
 * Extra files in a device directory (zone files the geometry does not
 * have, other names) are ignored by zk_open today: checked here as such,
 * and proposed otherwise in doc/reliability.md.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "rel.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#define BS 4096u

static unsigned long calls, hostile;

/* A call that must fail: with @want, or any error if @want is 0. */
#define BAD(expr, want)                                                     \
	do {                                                                \
		long long r_ = (long long)(expr);                           \
		long long w_ = (want);                                      \
		calls++;                                                    \
		if (w_ ? r_ != w_ : r_ >= 0)                                \
			T_FAIL("%s = %lld (%s), expected %s", #expr, r_,   \
			       t_errname(r_), w_ ? t_errname(w_) : "an error"); \
	} while (0)

static void geo_base(struct zk_geometry *g)
{
	memset(g, 0, sizeof(*g));
	g->capacity = 8 * MiB;
	g->zone_size = MiB;
	g->zone_capacity = 768 * KiB;
	g->nr_conv_zones = 1;
	g->block_size = BS;
}

static void write_file(const char *path, const void *buf, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

	if (fd < 0 || write(fd, buf, len) != (ssize_t)len)
		T_FAIL("write %s: %s", path, strerror(errno));
	close(fd);
}

static char *read_text(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	char *buf = t_malloc(65536);
	ssize_t n;

	if (fd < 0 || (n = read(fd, buf, 65535)) < 0)
		T_FAIL("read %s: %s", path, strerror(errno));
	buf[n] = '\0';
	close(fd);
	return buf;
}

/* ------------------------------------------------------------------ */
/* zk_create */

static void bad_geometry(struct zk_geometry *g, int i)
{
	switch (i) {
	case 0: g->block_size = 0; break;
	case 1: g->block_size = 1000; break;
	case 2: g->block_size = 8192; break;
	case 3: g->block_size = UINT32_MAX; break;
	case 4: g->zone_size = 0; break;
	case 5: g->zone_size = 3 * MiB; break;
	case 6: g->zone_size = 2048; g->zone_capacity = 0; break;
	case 7: g->zone_size = 2ULL << 40; g->capacity = 4ULL << 40; break;
	case 8: g->zone_size = 1ULL << 63; break;
	case 9: g->capacity = 0; break;
	case 10: g->capacity = 8 * MiB + 1; break;
	case 11: g->capacity = 1ULL << 59; break;
	case 12: g->capacity = UINT64_MAX; break;
	case 13: g->capacity = UINT64_MAX - 4095; break;
	case 14: g->zone_capacity = 2 * MiB; break;
	case 15: g->zone_capacity = 4097; break;
	case 16: g->nr_conv_zones = 8; break;
	case 17: g->nr_conv_zones = UINT32_MAX; break;
	case 18: g->max_open = 4; g->max_active = 2; break;
	case 19: g->max_append = 1000; break;
	default: /* 2^32 zones */
		g->block_size = 512; g->zone_size = 512; g->zone_capacity = 0;
		g->capacity = 1ULL << 41; break;
	}
}

static void bad_create(void)
{
	const char *base = t_tmpdir();
	char path[PATH_MAX], file[PATH_MAX], full[PATH_MAX], dev[PATH_MAX];
	char *before, *longpath;
	struct zk_geometry g;
	struct stat null_before, null_after;
	static const char *const geos[] = {
		"block size 0", "block size 1000", "block size 8192",
		"block size 2^32-1", "zone size 0", "zone size 3 MiB",
		"zone size below a block", "zone size 2 TiB", "zone size 2^63",
		"capacity 0", "capacity unaligned", "capacity 2^59",
		"capacity 2^64-1", "capacity 2^64-4096",
		"zone capacity > zone size", "zone capacity unaligned",
		"all zones conventional", "conventional zones 2^32-1",
		"max open > max active", "max append unaligned", "2^32 zones",
	};

	/* Bad geometries: -EINVAL, and the directory is not even made. */
	snprintf(path, sizeof(path), "%s/dev", base);
	before = rel_dir_listing(base);
	for (size_t i = 0; i < sizeof(geos) / sizeof(geos[0]); i++) {
		t_ctx("zk_create: %s", geos[i]);
		geo_base(&g);
		bad_geometry(&g, (int)i);
		BAD(zk_create(path, &g), -EINVAL);
		REL_DIR_SAME(base, before);
	}
	t_ctx("zk_create: NULL");
	geo_base(&g);
	BAD(zk_create(NULL, &g), -EINVAL);
	BAD(zk_create(path, NULL), -EINVAL);
	BAD(zk_create("", &g), -ENOENT);
	REL_DIR_SAME(base, before);

	/* Paths that cannot be a new device. */
	snprintf(file, sizeof(file), "%s/file", base);
	write_file(file, "hello\n", 6);
	snprintf(full, sizeof(full), "%s/full", base);
	if (mkdir(full, 0755))
		T_FAIL("mkdir: %s", strerror(errno));
	snprintf(dev, sizeof(dev), "%s/full/x", base);
	write_file(dev, "x", 1);
	free(before);
	before = rel_dir_listing(base);
	t_ctx("zk_create: a regular file");
	BAD(zk_create(file, &g), -ENOTDIR);
	t_ctx("zk_create: a non-empty directory");
	BAD(zk_create(full, &g), -EEXIST);
	t_ctx("zk_create: a missing parent");
	snprintf(dev, sizeof(dev), "%s/no/such/dir", base);
	BAD(zk_create(dev, &g), -ENOENT);
	t_ctx("zk_create: a path too long");
	longpath = t_malloc(PATH_MAX + 64);
	memset(longpath, 'a', PATH_MAX + 32);
	BAD(zk_create(longpath, &g), -ENAMETOOLONG);
	free(longpath);
	REL_DIR_SAME(base, before);
	t_ctx("zk_create: /dev/null");
	if (stat("/dev/null", &null_before))
		T_FAIL("stat /dev/null");
	BAD(zk_create("/dev/null", &g), -ENOTDIR);
	stat("/dev/null", &null_after);
	T_EQ(null_after.st_rdev, null_before.st_rdev);
	T_ASSERT(S_ISCHR(null_after.st_mode));
	/* An existing device. */
	t_ctx("zk_create: over a device");
	T_OK(zk_create(path, &g));
	free(before);
	before = rel_dir_listing(base);
	BAD(zk_create(path, &g), -EEXIST);
	REL_DIR_SAME(base, before);
	free(before);
	t_ctx("%s", "");
}

/* ------------------------------------------------------------------ */
/* zk_open of things that are not devices */

static void bad_open_paths(void)
{
	const char *base = t_tmpdir();
	char empty[PATH_MAX], other[PATH_MAX], file[PATH_MAX], p[PATH_MAX + 32];
	struct zk_dev *dev = (struct zk_dev *)&dev; /* poison */
	char *before;

	snprintf(empty, sizeof(empty), "%s/empty", base);
	snprintf(other, sizeof(other), "%s/other", base);
	snprintf(file, sizeof(file), "%s/file", base);
	if (mkdir(empty, 0755) || mkdir(other, 0755))
		T_FAIL("mkdir: %s", strerror(errno));
	write_file(file, "not a device\n", 13);
	snprintf(p, sizeof(p), "%s/README", other);
	write_file(p, "some other directory\n", 21);
	snprintf(p, sizeof(p), "%s/seq-000001", other); /* looks like one */
	write_file(p, "", 0);
	before = rel_dir_listing(base);
	for (unsigned int fl = 0; fl <= (ZK_RDONLY | ZK_DIRECT); fl++) {
		t_ctx("zk_open flags %#x", fl);
		BAD(zk_open(NULL, fl, &dev), -EINVAL);
		BAD(zk_open(empty, fl, NULL), -EINVAL);
		BAD(zk_open("", fl, &dev), -ENOENT);
		BAD(zk_open("/no/such/device", fl, &dev), -ENOENT);
		BAD(zk_open(file, fl, &dev), -ENOTBLK);
		BAD(zk_open("/dev/null", fl, &dev), -ENOTBLK);
		BAD(zk_open(empty, fl, &dev), -ENODEV);
		BAD(zk_open(other, fl, &dev), -ENODEV);
		REL_DIR_SAME(base, before);
	}
	t_ctx("zk_open bad flags");
	BAD(zk_open(empty, 0x4, &dev), -EINVAL);
	BAD(zk_open(empty, ~0u, &dev), -EINVAL);
	REL_DIR_SAME(base, before);
	if (dev != (struct zk_dev *)&dev)
		T_FAIL("a failed zk_open wrote %p to *dev", (void *)dev);
	free(before);
	t_ctx("%s", "");
}

/* ------------------------------------------------------------------ */
/* Damaged and hostile device directories */

struct damage {
	const char *what;
	int want; /* the error, 0: any; 1: the open succeeds */
};

static void set_file(const char *dev, const char *name, const char *text)
{
	char p[PATH_MAX + 64];

	snprintf(p, sizeof(p), "%s/%s", dev, name);
	write_file(p, text, strlen(text));
}

static void replace_in_geometry(const char *dev, const char *from, const char *to)
{
	char p[PATH_MAX + 64], *text, *at, *out;

	snprintf(p, sizeof(p), "%s/geometry", dev);
	text = read_text(p);
	at = strstr(text, from);
	if (!at)
		T_FAIL("geometry has no '%s'", from);
	out = t_malloc(strlen(text) + strlen(to) + 1);
	snprintf(out, strlen(text) + strlen(to) + 1, "%.*s%s%s",
		 (int)(at - text), text, to, at + strlen(from));
	write_file(p, out, strlen(out));
	free(text);
	free(out);
}

static void resize(const char *dev, const char *name, off_t size)
{
	char p[PATH_MAX + 64];

	snprintf(p, sizeof(p), "%s/%s", dev, name);
	if (truncate(p, size))
		T_FAIL("truncate %s: %s", p, strerror(errno));
}

static void rm(const char *dev, const char *name)
{
	char p[PATH_MAX + 64];

	snprintf(p, sizeof(p), "%s/%s", dev, name);
	if (unlink(p))
		T_FAIL("unlink %s: %s", p, strerror(errno));
}

/* Replace @name by a directory, a symlink (to "geometry"), a FIFO or a
 * character device (1:3, /dev/null's numbers). */
static void replace_with(const char *dev, const char *name, mode_t mode)
{
	char p[PATH_MAX + 64];

	snprintf(p, sizeof(p), "%s/%s", dev, name);
	if (unlink(p))
		T_FAIL("unlink %s: %s", p, strerror(errno));
	if (S_ISDIR(mode) ? mkdir(p, 0755) : S_ISLNK(mode) ?
	    symlink("geometry", p) : mknod(p, mode | 0644, makedev(1, 3)))
		T_FAIL("making %s: %s", p, strerror(errno));
}

static const struct damage damages[] = {
	{ "geometry missing", -ENODEV },
	{ "geometry empty", -EUCLEAN },
	{ "geometry garbage", -EUCLEAN },
	{ "geometry cut in half", -EUCLEAN },
	{ "geometry: block size 1000", -EUCLEAN },
	{ "geometry: negative capacity", -EUCLEAN },
	{ "geometry: capacity 2^64", -EUCLEAN },
	{ "geometry: hex number", -EUCLEAN },
	{ "geometry: unknown key", -EUCLEAN },
	{ "geometry: key twice", -EUCLEAN },
	{ "geometry: key missing", -EUCLEAN },
	{ "geometry: NUL byte", -EUCLEAN },
	{ "geometry over 4 KiB", -EUCLEAN },
	{ "geometry: twice the zones", -EUCLEAN },
	{ "geometry: 2 conventional zones", -EUCLEAN },
	{ "geometry: 2^31 zones (no zone files)", -EUCLEAN },
	{ "geometry is a directory", 0 },
	{ "geometry is a symlink to /dev/zero", -EUCLEAN },
	{ "geometry is a FIFO", 0 },
	{ "conditions is a FIFO", 0 },
	{ "zone file missing", -EUCLEAN },
	{ "conventional zone file missing", -EUCLEAN },
	{ "zone file larger than the zone", -EUCLEAN },
	{ "zone file of a partial block", -EUCLEAN },
	{ "zone file between capacity and size", -EUCLEAN },
	{ "conventional zone file too small", -EUCLEAN },
	{ "conventional zone file too large", -EUCLEAN },
	{ "zone file is a directory", -EUCLEAN },
	{ "zone file is a symlink", -EUCLEAN },
	{ "zone file is a FIFO", -EUCLEAN },
	{ "zone file is a character device", -EUCLEAN },
	{ "conditions: garbage", -EUCLEAN },
	{ "conditions: a conventional zone", -EUCLEAN },
	{ "conditions: zone out of range", -EUCLEAN },
	{ "conditions: zone -1", -EUCLEAN },
	{ "conditions: unknown condition", -EUCLEAN },
	/* What zk_open does not refuse today (doc/reliability.md). */
	{ "extra zone file past the last zone", 1 },
	{ "extra zone file of the wrong type", 1 },
	{ "extra files of other names", 1 },
};

static void apply_damage(int i, const char *dev)
{
	char p[PATH_MAX + 64], *t, *big;
	struct stat st;
	size_t n;

	snprintf(p, sizeof(p), "%s/geometry", dev);
	switch (i) {
	case 0: rm(dev, "geometry"); break;
	case 1: set_file(dev, "geometry", ""); break;
	case 2: set_file(dev, "geometry", "\x7f" "ELF\x02\x01\x01 garbage \xff\xfe\n"); break;
	case 3: stat(p, &st); resize(dev, "geometry", st.st_size / 2); break;
	case 4: replace_in_geometry(dev, "block_size 4096", "block_size 1000"); break;
	case 5: replace_in_geometry(dev, "capacity 8388608", "capacity -8388608"); break;
	case 6: replace_in_geometry(dev, "capacity 8388608",
				    "capacity 18446744073709551616"); break;
	case 7: replace_in_geometry(dev, "capacity 8388608", "capacity 0x800000"); break;
	case 8: replace_in_geometry(dev, "max_open 0", "max_open 0\nmax_zones 7"); break;
	case 9: replace_in_geometry(dev, "max_open 0", "max_open 0\nmax_open 0"); break;
	case 10: replace_in_geometry(dev, "max_open 0\n", ""); break;
	case 11: /* a NUL byte in a comment line */
		t = read_text(p);
		n = strlen(t);
		memcpy(t + n, "#\0\n", 3);
		write_file(p, t, n + 3);
		free(t);
		break;
	case 12:
		t = read_text(p);
		n = strlen(t);
		big = t_malloc(n + 8192);
		memcpy(big, t, n);
		memset(big + n, '#', 8000);
		big[n + 8000] = '\n';
		write_file(p, big, n + 8001);
		free(t);
		free(big);
		break;
	case 13: replace_in_geometry(dev, "capacity 8388608", "capacity 16777216"); break;
	case 14: replace_in_geometry(dev, "nr_conv_zones 1", "nr_conv_zones 2"); break;
	case 15:
		replace_in_geometry(dev, "capacity 8388608\nzone_size 1048576\n"
				    "zone_capacity 786432\nnr_conv_zones 1",
				    "capacity 1099511627776\nzone_size 512\n"
				    "zone_capacity 512\nnr_conv_zones 0");
		replace_in_geometry(dev, "block_size 4096", "block_size 512");
		break;
	case 16: replace_with(dev, "geometry", S_IFDIR); break;
	case 17: unlink(p); if (symlink("/dev/zero", p)) T_FAIL("symlink"); break;
	case 18: replace_with(dev, "geometry", S_IFIFO); break;
	case 19: replace_with(dev, "conditions", S_IFIFO); break;
	case 20: rm(dev, "seq-000003"); break;
	case 21: rm(dev, "cnv-000000"); break;
	case 22: resize(dev, "seq-000002", MiB + BS); break;
	case 23: resize(dev, "seq-000002", BS + 1); break;
	case 24: resize(dev, "seq-000002", 768 * KiB + BS); break;
	case 25: resize(dev, "cnv-000000", MiB - BS); break;
	case 26: resize(dev, "cnv-000000", MiB + BS); break;
	case 27: replace_with(dev, "seq-000004", S_IFDIR); break;
	case 28: replace_with(dev, "seq-000004", S_IFLNK); break;
	case 29: replace_with(dev, "seq-000004", S_IFIFO); break;
	case 30: replace_with(dev, "seq-000004", S_IFCHR); break;
	case 31: set_file(dev, "conditions", "\xff\xfe\n"); break;
	case 32: set_file(dev, "conditions", "seq-000000 offline\n"); break;
	case 33: set_file(dev, "conditions", "seq-000099 offline\n"); break;
	case 34: set_file(dev, "conditions", "seq--1 offline\n"); break;
	case 35: set_file(dev, "conditions", "seq-000002 full\n"); break;
	case 36: set_file(dev, "seq-000099", ""); break;
	case 37: set_file(dev, "cnv-000005", ""); break;
	default:
		set_file(dev, "notes.txt", "x");
		set_file(dev, ".geometry.tmp", "y");
		break;
	}
}

/* zk_open in a child, so that a hang is seen: the result, 1 for "did not
 * return in 5 s", 2 for "died". */
static int open_in_child(const char *path, unsigned int flags)
{
	int pfd[2], ret = 1, status;
	pid_t pid;

	if (pipe(pfd))
		T_FAIL("pipe");
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		struct zk_dev *d;
		int r;
#if !defined(__SANITIZE_ADDRESS__) && !defined(__SANITIZE_THREAD__)
		/* A geometry of 2^31 zones must not cost gigabytes (and with
		 * MALLOC_PERTURB_, as meson sets it, calloc touches them all). */
		struct rlimit rl = { 4ULL << 30, 4ULL << 30 };

		setrlimit(RLIMIT_AS, &rl);
#endif
		r = zk_open(path, flags, &d);

		if (!r)
			zk_close(d);
		if (write(pfd[1], &r, sizeof(r)) != sizeof(r))
			_exit(2);
		_exit(0);
	}
	close(pfd[1]);
	for (int i = 0; i < 500; i++) {
		if (waitpid(pid, &status, WNOHANG) == pid) {
			if (read(pfd[0], &ret, sizeof(ret)) != sizeof(ret))
				ret = 2;
			close(pfd[0]);
			return ret;
		}
		usleep(10000);
	}
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	close(pfd[0]);
	return 1;
}

static void hostile_dirs(void)
{
	const struct damage *d;
	char fails[4096] = "";
	const char *base = t_tmpdir();

	for (d = damages; d < damages + sizeof(damages) / sizeof(damages[0]); d++) {
		struct zk_geometry g;
		char path[PATH_MAX], *before;
		uint8_t *buf = t_aligned(4 * BS);
		struct zk_dev *dev;
		uint64_t landed;

		t_ctx("%s", d->what);
		snprintf(path, sizeof(path), "%s/dev-%02d", base, (int)(d - damages));
		geo_base(&g);
		T_OK(zk_create(path, &g));
		/* some data, and a zone marked offline (a conditions file) */
		T_OK(zk_open(path, 0, &dev));
		t_rec_fill(buf, 4 * BS, BS, 1, 1);
		T_OK(zk_append(dev, 2 * MiB, buf, 4 * BS, &landed));
		T_OK(zk_pwrite(dev, buf, 4 * BS, 0));
		T_OK(zk_set_zone_cond(dev, 6 * MiB, ZK_COND_OFFLINE));
		T_OK(zk_flush(dev));
		zk_close(dev);
		apply_damage((int)(d - damages), path);
		before = rel_dir_listing(path);
		for (unsigned int fl = 0; fl <= ZK_RDONLY; fl++) {
			int ret = open_in_child(path, fl);

			calls++;
			if (ret == 1 || ret == 2) {
				snprintf(fails + strlen(fails),
					 sizeof(fails) - strlen(fails),
					 "\n  %s: zk_open(flags %#x) %s", d->what, fl,
					 ret == 1 ? "did not return in 5 s" :
					 "crashed (a sanitizer's report above?)");
				continue;
			}
			if (ret >= 0 && d->want != 1)
				T_FAIL("zk_open(flags %#x) = %s, expected %s", fl,
				       t_errname(ret), d->want ? t_errname(d->want) :
				       "an error");
			if (d->want == 1 ? ret != 0 : d->want && ret != d->want)
				snprintf(fails + strlen(fails),
					 sizeof(fails) - strlen(fails),
					 "\n  %s: zk_open(flags %#x) = %s, expected %s",
					 d->what, fl, t_errname(ret),
					 d->want == 1 ? "success" : t_errname(d->want));
			if (!d->want)
				t_info("%-40s -> %s", d->what, t_errname(ret));
			REL_DIR_SAME(path, before);
		}
		if (d->want == 1) { /* opened: the extra files are ignored */
			struct zk_info info;

			T_OK(zk_open(path, 0, &dev));
			T_OK(zk_info(dev, &info));
			T_EQ(info.nr_zones, 8);
			zk_close(dev);
			REL_DIR_SAME(path, before);
			t_info("%-40s -> opens; ignored", d->what);
		}
		hostile++;
		free(before);
		free(buf);
	}
	t_ctx("%s", "");
	if (fails[0])
		T_FAIL("zk_open of hostile device directories:%s\n"
		       "  (a FIFO: read_small_file() in src/backend_emu/layout.c opens "
		       "'geometry' and 'conditions' without O_NONBLOCK and reads "
		       "whatever they are, and open(2) of a FIFO blocks until a "
		       "writer comes; 2^31 zones: emu_open() mallocs 24 bytes a "
		       "zone, 51 GB, to read a 'conditions' file (marks_load), "
		       "and zk_open 8 bytes a zone for the wp table, before "
		       "anything checks that the zone files are there)", fails);
}

/* ------------------------------------------------------------------ */
/* Calls on an open device */

static void bad_calls(void)
{
	struct zk_geometry g;
	struct tdev t, ro;
	struct t_snap snap;
	struct zk_zone zones[8];
	struct zk_info info;
	struct zk_stats st;
	struct zk_queue *q = NULL, *qbad = (struct zk_queue *)&qbad;
	struct zk_cqe cqe[4];
	uint8_t *buf = t_aligned(2 * MiB);
	uint64_t landed = 0, zs, cap;
	unsigned int nr;
	char *before;

	geo_base(&g);
	g.max_append = 64 * KiB;
	t_dev_create(&t, &g);
	zs = g.zone_size;
	cap = g.capacity;
	t_rec_fill(buf, 2 * BS, BS, 1, 1);
	T_OK(zk_append(t.dev, 2 * zs, buf, 2 * BS, &landed));
	T_OK(zk_pwrite(t.dev, buf, BS, 0));
	T_OK(zk_set_zone_cond(t.dev, 6 * zs, ZK_COND_OFFLINE));
	T_OK(zk_flush(t.dev));
	before = rel_dir_listing(t.path);
	t_snap_take(t.dev, &snap);

	t_ctx("zk_info");
	BAD(zk_info(NULL, &info), -EINVAL);
	BAD(zk_info(t.dev, NULL), -EINVAL);

	t_ctx("zk_report");
	nr = 1;
	BAD(zk_report(NULL, 0, zones, &nr), -EINVAL);
	BAD(zk_report(t.dev, 0, zones, NULL), -EINVAL);
	BAD(zk_report(t.dev, 0, NULL, &nr), -EINVAL);
	BAD(zk_report(t.dev, cap, zones, &nr), -EINVAL);
	BAD(zk_report(t.dev, UINT64_MAX, zones, &nr), -EINVAL);
	nr = 0;
	T_OK(zk_report(t.dev, 0, NULL, &nr)); /* room for none: fine */
	T_EQ(nr, 0);

	t_ctx("zk_zone_op");
	BAD(zk_zone_op(NULL, ZK_OP_RESET, zs, zs), -EINVAL);
	BAD(zk_zone_op(t.dev, (enum zk_op)0, zs, zs), -EINVAL);
	BAD(zk_zone_op(t.dev, (enum zk_op)5, zs, zs), -EINVAL);
	BAD(zk_zone_op(t.dev, (enum zk_op)-1, zs, zs), -EINVAL);
	for (int op = ZK_OP_RESET; op <= ZK_OP_FINISH; op++) {
		BAD(zk_zone_op(t.dev, (enum zk_op)op, zs + BS, zs), -EINVAL);
		BAD(zk_zone_op(t.dev, (enum zk_op)op, 1, zs), -EINVAL);
		BAD(zk_zone_op(t.dev, (enum zk_op)op, zs, 0), -EINVAL);
		BAD(zk_zone_op(t.dev, (enum zk_op)op, zs, BS), -EINVAL);
		BAD(zk_zone_op(t.dev, (enum zk_op)op, zs, zs + BS), -EINVAL);
		BAD(zk_zone_op(t.dev, (enum zk_op)op, zs, UINT64_MAX), -EINVAL);
		BAD(zk_zone_op(t.dev, (enum zk_op)op, zs, UINT64_MAX - zs + 2), -EINVAL);
		BAD(zk_zone_op(t.dev, (enum zk_op)op, cap, zs), -EINVAL);
		BAD(zk_zone_op(t.dev, (enum zk_op)op, UINT64_MAX & ~(zs - 1), zs), -EINVAL);
		BAD(zk_zone_op(t.dev, (enum zk_op)op, 0, zs), -EIO); /* conventional */
		BAD(zk_zone_op(t.dev, (enum zk_op)op, 0, cap - zs), -EIO);
		BAD(zk_zone_op(t.dev, (enum zk_op)op, 6 * zs, zs), -EIO); /* offline */
	}

	t_ctx("zk_pwrite");
	BAD(zk_pwrite(NULL, buf, BS, zs), -EINVAL);
	BAD(zk_pwrite(t.dev, NULL, BS, zs), -EINVAL);
	BAD(zk_pwrite(t.dev, buf, 0, zs), -EINVAL);
	BAD(zk_pwrite(t.dev, buf, 1, zs), -EINVAL);
	BAD(zk_pwrite(t.dev, buf, BS + 1, zs), -EINVAL);
	BAD(zk_pwrite(t.dev, buf, SIZE_MAX, zs), -EINVAL);
	BAD(zk_pwrite(t.dev, buf, SIZE_MAX - BS + 1, zs), -EINVAL);
	BAD(zk_pwrite(t.dev, buf, (size_t)SSIZE_MAX + 1, zs), -EINVAL);
	BAD(zk_pwrite(t.dev, buf, BS, zs + 1), -EINVAL);
	BAD(zk_pwrite(t.dev, buf, BS, cap), -EINVAL);
	BAD(zk_pwrite(t.dev, buf, BS, UINT64_MAX - BS + 1), -EINVAL);
	BAD(zk_pwrite(t.dev, buf, 2 * BS, zs - BS), -EINVAL); /* crosses */
	BAD(zk_pwrite(t.dev, buf, 2 * BS, cap - BS), -EINVAL);
	BAD(zk_pwrite(t.dev, buf, BS, zs + BS), -EIO);  /* not at the wp */
	BAD(zk_pwrite(t.dev, buf, BS, 2 * zs), -EIO);   /* below the wp */
	BAD(zk_pwrite(t.dev, buf, 768 * KiB + BS, 3 * zs), -EIO); /* > capacity */

	t_ctx("zk_pread");
	BAD(zk_pread(NULL, buf, BS, 0), -EINVAL);
	BAD(zk_pread(t.dev, NULL, BS, 0), -EINVAL);
	BAD(zk_pread(t.dev, buf, 0, 0), -EINVAL);
	BAD(zk_pread(t.dev, buf, 100, 0), -EINVAL);
	BAD(zk_pread(t.dev, buf, BS, 100), -EINVAL);
	BAD(zk_pread(t.dev, buf, SIZE_MAX, 0), -EINVAL);
	BAD(zk_pread(t.dev, buf, BS, cap), -EINVAL);
	BAD(zk_pread(t.dev, buf, 2 * BS, cap - BS), -EINVAL);
	BAD(zk_pread(t.dev, buf, BS, UINT64_MAX - BS + 1), -EINVAL);

	t_ctx("zk_append");
	BAD(zk_append(NULL, zs, buf, BS, &landed), -EINVAL);
	BAD(zk_append(t.dev, zs, NULL, BS, &landed), -EINVAL);
	BAD(zk_append(t.dev, zs, buf, BS, NULL), -EINVAL);
	BAD(zk_append(t.dev, zs, buf, 0, &landed), -EINVAL);
	BAD(zk_append(t.dev, zs, buf, 1, &landed), -EINVAL);
	BAD(zk_append(t.dev, zs, buf, SIZE_MAX, &landed), 0);
	BAD(zk_append(t.dev, zs, buf, SIZE_MAX - BS + 1, &landed), 0);
	BAD(zk_append(t.dev, zs + BS, buf, BS, &landed), -EINVAL); /* not a zone start */
	BAD(zk_append(t.dev, cap, buf, BS, &landed), -EINVAL);
	BAD(zk_append(t.dev, UINT64_MAX & ~(zs - 1), buf, BS, &landed), -EINVAL);
	BAD(zk_append(t.dev, 0, buf, BS, &landed), -EIO);  /* conventional */
	BAD(zk_append(t.dev, zs, buf, 64 * KiB + BS, &landed), -EINVAL); /* > max append */
	BAD(zk_append(t.dev, 6 * zs, buf, BS, &landed), -EIO); /* offline */

	t_ctx("zk_set_zone_cond");
	BAD(zk_set_zone_cond(NULL, zs, ZK_COND_OFFLINE), -EINVAL);
	BAD(zk_set_zone_cond(t.dev, zs, ZK_COND_FULL), -EINVAL);
	BAD(zk_set_zone_cond(t.dev, zs, ZK_COND_IMP_OPEN), -EINVAL);
	BAD(zk_set_zone_cond(t.dev, zs, (enum zk_zone_cond)99), -EINVAL);
	BAD(zk_set_zone_cond(t.dev, zs, (enum zk_zone_cond)-1), -EINVAL);
	BAD(zk_set_zone_cond(t.dev, zs + BS, ZK_COND_OFFLINE), -EINVAL);
	BAD(zk_set_zone_cond(t.dev, cap, ZK_COND_OFFLINE), -EINVAL);
	BAD(zk_set_zone_cond(t.dev, 0, ZK_COND_OFFLINE), -EINVAL); /* conventional */

	t_ctx("zk_flush, zk_resync, zk_stats");
	BAD(zk_flush(NULL), -EINVAL);
	BAD(zk_resync(NULL), -EINVAL);
	BAD(zk_stats(NULL, &st), -EINVAL);
	BAD(zk_stats(t.dev, NULL), -EINVAL);

	t_ctx("queues");
	BAD(zk_queue_init(NULL, 4, 0, &q), -EINVAL);
	BAD(zk_queue_init(t.dev, 4, 0, NULL), -EINVAL);
	BAD(zk_queue_init(t.dev, 0, 0, &q), -EINVAL);
	BAD(zk_queue_init(t.dev, 65537, 0, &q), -EINVAL);
	BAD(zk_queue_init(t.dev, UINT32_MAX, 0, &q), -EINVAL);
	BAD(zk_queue_init(t.dev, 4, 0x4, &q), -EINVAL);
	T_ASSERT(q == NULL);
	BAD(zk_queue_append(NULL, zs, buf, BS, 0), -EINVAL);
	BAD(zk_queue_write(NULL, buf, BS, zs, 0), -EINVAL);
	BAD(zk_queue_read(NULL, buf, BS, 0, 0), -EINVAL);
	BAD(zk_queue_submit(NULL), -EINVAL);
	BAD(zk_queue_reap(NULL, cqe, 4, 0), -EINVAL);
	zk_queue_exit(NULL);
	T_ASSERT(zk_queue_engine(NULL) != NULL);
	T_OK(zk_queue_init(t.dev, 4, 0, &q));
	BAD(zk_queue_append(q, zs, NULL, BS, 0), -EINVAL);
	BAD(zk_queue_append(q, zs, buf, 0, 0), -EINVAL);
	BAD(zk_queue_append(q, zs, buf, SIZE_MAX, 0), 0);
	BAD(zk_queue_append(q, zs + BS, buf, BS, 0), -EINVAL);
	BAD(zk_queue_append(q, 0, buf, BS, 0), -EIO);
	BAD(zk_queue_write(q, buf, BS, zs + 1, 0), -EINVAL);
	BAD(zk_queue_write(q, buf, 2 * BS, zs - BS, 0), -EINVAL);
	BAD(zk_queue_write(q, NULL, BS, 0, 0), -EINVAL);
	BAD(zk_queue_read(q, buf, BS, cap, 0), -EINVAL);
	BAD(zk_queue_read(q, buf, 0, 0, 0), -EINVAL);
	BAD(zk_queue_reap(q, NULL, 4, 0), -EINVAL);
	BAD(zk_queue_reap(q, cqe, 1, 2), -EINVAL);
	T_RET(zk_queue_reap(q, cqe, 4, 0), 0); /* nothing was queued */
	zk_queue_exit(q);

	t_ctx("names and messages");
	{
		const int errs[] = { 0, 1, -1, -EIO, -4095, -4096, -100000,
				     INT_MIN, INT_MAX };

		for (size_t i = 0; i < sizeof(errs) / sizeof(errs[0]); i++) {
			T_ASSERT(zk_strerror(errs[i]) != NULL);
			calls++;
		}
		T_ASSERT(zk_zone_type_name(0) && zk_zone_type_name(99) &&
			 zk_zone_type_name(UINT32_MAX));
		T_ASSERT(zk_zone_cond_name(0x5) && zk_zone_cond_name(99) &&
			 zk_zone_cond_name(UINT32_MAX));
		zk_close(NULL);
		calls += 7;
	}

	/* Nothing changed: on disk, nor in zonekit's view. */
	t_ctx("after the bad calls");
	REL_DIR_SAME(t.path, before);
	T_SNAP_SAME(t.dev, &snap);

	/* A read-only open refuses every change with -EBADF. */
	t_ctx("read-only");
	memset(&ro, 0, sizeof(ro));
	memcpy(ro.path, t.path, sizeof(ro.path));
	t_dev_close(&t);
	/* (the clean close lists the open zones: the state to keep) */
	free(before);
	before = rel_dir_listing(t.path);
	t_dev_reopen(&ro, ZK_RDONLY);
	BAD(zk_pwrite(ro.dev, buf, BS, 0), -EBADF);
	BAD(zk_pwrite(ro.dev, buf, BS, 2 * zs + 2 * BS), -EBADF);
	BAD(zk_append(ro.dev, zs, buf, BS, &landed), -EBADF);
	BAD(zk_zone_op(ro.dev, ZK_OP_RESET, 2 * zs, zs), -EBADF);
	BAD(zk_zone_op(ro.dev, ZK_OP_FINISH, 0, cap), -EBADF);
	BAD(zk_set_zone_cond(ro.dev, zs, ZK_COND_OFFLINE), -EBADF);
	BAD(zk_queue_init(ro.dev, 4, 0, &q) < 0 ? -EBADF :
	    zk_queue_append(q, zs, buf, BS, 0), -EBADF);
	if (q)
		zk_queue_exit(q);
	T_OK(zk_flush(ro.dev));
	t_dev_close(&ro);
	REL_DIR_SAME(t.path, before);
	t_snap_free(&snap);
	free(before);
	free(buf);
	t_ctx("%s", "");
}

static pid_t parent;

static void print_figures(void) /* also when a check failed */
{
	if (getpid() == parent)
		rel_figures("badinput", "calls=%lu hostile_dirs=%lu", calls,
			    hostile);
}

int main(void)
{
	parent = getpid();
	atexit(print_figures);
	bad_create();
	bad_open_paths();
	bad_calls();
	hostile_dirs();
	return T_EXIT_PASS;
}
