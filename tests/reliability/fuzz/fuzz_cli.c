/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target: the zonekit tool's command line, whole.  The input is the
 * arguments, NUL-separated (at most 24 of at most 256 bytes); the tool's
 * main() (tools/zonekit.c, compiled with -Dmain=zonekit_cli_main) runs
 * them against the real library.
 *
 * So that no input can touch the machine, the tool's calls are redirected
 * (meson: -Wl,--wrap; fuzz.sh: objcopy --redefine-sym on the tool's
 * objects only, so that libFuzzer's own file access is left alone):
 *   zk_open   DEV "dev" is a small emulated device in a scratch directory
 *             (reset before every input), "dmg" a damaged one; any other
 *             path: -ENOENT;
 *   zk_create a valid geometry of at most 64 zones is created in the
 *             scratch directory (and removed); larger ones only validated;
 *   open, open64, fopen, fopen64  outside the scratch directory: writes go
 *             to /dev/null, reads of "/dev/null", "zero", "odd" (4097
 *             bytes) and "data" (64 KiB) to those, anything else -ENOENT.
 *
 * Checked: no crash, no sanitizer report, exit status 0, 1 or 2, and the
 * device opens afterwards.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdarg.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fuzz.h"
#include <stdbool.h>

#include "geometry.h"

int zonekit_cli_main(int argc, char **argv);

#ifdef FUZZ_OBJCOPY_WRAP /* fuzz.sh: only the tool's calls are renamed */
#define __real_zk_open zk_open
#define __real_zk_create zk_create
#define __real_open open
#define __real_open64 open64
#define __real_fopen fopen
#define __real_fopen64 fopen64
#else

int __real_zk_open(const char *path, unsigned int flags, struct zk_dev **dev);
int __real_zk_create(const char *path, const struct zk_geometry *geo);
int __real_open(const char *path, int flags, ...);
int __real_open64(const char *path, int flags, ...);
FILE *__real_fopen(const char *path, const char *mode);
FILE *__real_fopen64(const char *path, const char *mode);
#endif
int __wrap_zk_open(const char *path, unsigned int flags, struct zk_dev **dev);
int __wrap_zk_create(const char *path, const struct zk_geometry *geo);
int __wrap_open(const char *path, int flags, ...);
int __wrap_open64(const char *path, int flags, ...);
FILE *__wrap_fopen(const char *path, const char *mode);
FILE *__wrap_fopen64(const char *path, const char *mode);

static char root[256], dev_path[300], dmg_path[300], new_path[300];
static char zero_path[300], odd_path[300], data_path[300];

static void run(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void run(const char *fmt, ...)
{
	char cmd[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	if (system(cmd))
		fuzz_fail("setup: %s failed", cmd);
}

static void make_file(const char *path, size_t len)
{
	int fd = __real_open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);

	if (fd < 0 || ftruncate(fd, (off_t)len))
		fuzz_fail("setup: %s", path);
	close(fd);
}

static void cleanup(void)
{
	char cmd[400];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	if (system(cmd))
		fprintf(stderr, "cannot remove %s\n", root);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *base = getenv("TMPDIR");
	struct zk_geometry geo = {
		.capacity = 8 << 20, .zone_size = 1 << 20,
		.zone_capacity = 768 << 10, .nr_conv_zones = 1,
		.block_size = 4096, .max_open = 3, .max_active = 5,
		.max_append = 256 << 10,
	};
	struct stat st;

	(void)argc;
	(void)argv;
	if (!stat("/dev/shm", &st) && S_ISDIR(st.st_mode) && !access("/dev/shm", W_OK))
		base = "/dev/shm"; /* fsync is free there */
	snprintf(root, sizeof(root), "%s/zk-fuzz-cli-%d", base ? base : "/tmp",
		 (int)getpid());
	run("rm -rf '%s' && mkdir -p '%s'", root, root);
	atexit(cleanup);
	snprintf(dev_path, sizeof(dev_path), "%s/dev", root);
	snprintf(dmg_path, sizeof(dmg_path), "%s/dmg", root);
	snprintf(new_path, sizeof(new_path), "%s/new", root);
	snprintf(zero_path, sizeof(zero_path), "%s/zero", root);
	snprintf(odd_path, sizeof(odd_path), "%s/odd", root);
	snprintf(data_path, sizeof(data_path), "%s/data", root);
	if (__real_zk_create(dev_path, &geo) || __real_zk_create(dmg_path, &geo))
		fuzz_fail("setup: zk_create");
	run("rm '%s/seq-000003'", dmg_path);
	make_file(zero_path, 0);
	make_file(odd_path, 4097);
	make_file(data_path, 64 << 10);
	return 0;
}

/* Inside the scratch directory: "ROOT/..." without any ".." (a path
 * that merely starts with ROOT's name, or climbs out, is not). */
static bool in_root(const char *path)
{
	size_t n = strlen(root);

	return !strncmp(path, root, n) && path[n] == '/' && !strstr(path, "..");
}

int __wrap_zk_open(const char *path, unsigned int flags, struct zk_dev **dev)
{
	if (path && !strcmp(path, "dev"))
		return __real_zk_open(dev_path, flags, dev);
	if (path && !strcmp(path, "dmg"))
		return __real_zk_open(dmg_path, flags, dev);
	if (path && in_root(path))
		return __real_zk_open(path, flags, dev);
	return path && dev ? -ENOENT : -EINVAL;
}

int __wrap_zk_create(const char *path, const struct zk_geometry *geo)
{
	struct zk_geometry g;
	const char *why;
	int ret;

	if (!path || !geo)
		return -EINVAL;
	g = *geo;
	if (zk_geometry_normalise(&g, &why))
		return -EINVAL;
	if (zk_geometry_nr_zones(&g) > 64)
		return 0; /* valid; not made */
	ret = __real_zk_create(new_path, geo);
	run("rm -rf '%s'", new_path);
	return ret;
}

static const char *redirect(const char *path, bool write)
{
	if (!path || in_root(path))
		return path;
	if (write)
		return "/dev/null";
	if (!strcmp(path, "/dev/null"))
		return path;
	if (!strcmp(path, "zero"))
		return zero_path;
	if (!strcmp(path, "odd"))
		return odd_path;
	if (!strcmp(path, "data"))
		return data_path;
	return NULL;
}

static int wrapped_open(int (*real)(const char *, int, ...), const char *path,
			int flags, mode_t mode)
{
	const char *to = redirect(path, (flags & O_ACCMODE) != O_RDONLY ||
					(flags & O_CREAT));

	if (!to) {
		errno = ENOENT;
		return -1;
	}
	if (to != path) /* /dev/null or a fixture: never made nor cut */
		flags &= ~(O_CREAT | O_EXCL | O_TRUNC);
	return real(to, flags, mode);
}

int __wrap_open(const char *path, int flags, ...)
{
	va_list ap;
	mode_t mode;

	va_start(ap, flags);
	mode = (flags & O_CREAT) ? (mode_t)va_arg(ap, int) : 0;
	va_end(ap);
	return wrapped_open(__real_open, path, flags, mode);
}

int __wrap_open64(const char *path, int flags, ...)
{
	va_list ap;
	mode_t mode;

	va_start(ap, flags);
	mode = (flags & O_CREAT) ? (mode_t)va_arg(ap, int) : 0;
	va_end(ap);
	return wrapped_open(__real_open64, path, flags, mode);
}

static FILE *wrapped_fopen(FILE *(*real)(const char *, const char *),
			   const char *path, const char *mode)
{
	const char *to = redirect(path, strpbrk(mode, "wa+") != NULL);

	if (!to) {
		errno = ENOENT;
		return NULL;
	}
	return real(to, mode);
}

FILE *__wrap_fopen(const char *path, const char *mode)
{
	return wrapped_fopen(__real_fopen, path, mode);
}

FILE *__wrap_fopen64(const char *path, const char *mode)
{
	return wrapped_fopen(__real_fopen64, path, mode);
}

/* Bring the device back to empty zones, none read-only or offline. */
static void reset_device(void)
{
	struct zk_zone zones[8];
	unsigned int nr = 8;
	struct zk_dev *d;

	if (__real_zk_open(dev_path, 0, &d))
		fuzz_fail("the device does not open");
	if (zk_report(d, 0, zones, &nr))
		fuzz_fail("report");
	for (unsigned int i = 0; i < nr; i++)
		if (zones[i].cond == ZK_COND_READONLY ||
		    zones[i].cond == ZK_COND_OFFLINE)
			zk_set_zone_cond(d, zones[i].start, ZK_COND_EMPTY);
	zk_zone_op(d, ZK_OP_RESET, 0, 8 << 20);
	zk_close(d);
}

#define MAX_ARGS 24
#define MAX_ARG 256

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *argv[MAX_ARGS + 2], args[MAX_ARGS][MAX_ARG + 1];
	int argc = 1, ret, out, saved;
	size_t i = 0;

	argv[0] = "zonekit";
	while (i < size && argc <= MAX_ARGS) {
		const uint8_t *end = memchr(data + i, '\0', size - i);
		size_t len = (end ? (size_t)(end - data) : size) - i;

		if (len > MAX_ARG)
			len = MAX_ARG;
		memcpy(args[argc - 1], data + i, len);
		args[argc - 1][len] = '\0';
		argv[argc] = args[argc - 1];
		argc++;
		if (!end)
			break;
		i = (size_t)(end - data) + 1;
	}
	argv[argc] = NULL;
	reset_device();
	optind = 0; /* getopt starts afresh */
	fflush(stdout);
	saved = dup(STDOUT_FILENO);
	out = __real_open("/dev/null", O_WRONLY);
	dup2(out, STDOUT_FILENO);
	close(out);
	ret = zonekit_cli_main(argc, argv);
	fflush(stdout);
	dup2(saved, STDOUT_FILENO);
	close(saved);
	if (ret < 0 || ret > 2)
		fuzz_fail("exit status %d", ret);
	return 0;
}
