/* SPDX-License-Identifier: MIT */
/* zkbench: the device under test (a fresh one, or --dev) and the machine
 * it runs on, for the record. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "zkbench.h"

/* ---- the machine and the file system, for the record ---- */

void loadavg(double l[3])
{
	FILE *f = fopen("/proc/loadavg", "r");

	l[0] = l[1] = l[2] = -1;
	if (f) {
		if (fscanf(f, "%lf %lf %lf", &l[0], &l[1], &l[2]) != 3)
			l[0] = l[1] = l[2] = -1;
		fclose(f);
	}
}

void machine_info(struct machine *m)
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
void fs_type(const char *path, char *out, size_t len)
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

long status_kib(const char *key)
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

/* ---- the device ---- */

struct bench_dev bdev = { .dirfd = -1, .bfd = -1 };

bool dir_is_empty_or_missing(const char *path)
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
void remove_device(const char *path)
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

char *make_temp_dir(void)
{
	const char *tmp = getenv("TMPDIR");
	char tmpl[PATH_MAX];

	snprintf(tmpl, sizeof(tmpl), "%s/zkbench.XXXXXX",
		 tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(tmpl))
		die("mkdtemp %s: %s", tmpl, strerror(errno));
	return strdup(tmpl);
}

void make_device(const char *path)
{
	struct zk_geometry g = {
		.capacity = opt.zone_size * opt.nr_zones,
		.zone_size = opt.zone_size,
		.zone_capacity = opt.zone_capacity,
		.block_size = opt.block_size,
	};
	int ret = zk_create(path, &g);

	if (ret)
		die("zk_create %s: %s", path, zk_strerror(ret));
}

void open_device(void)
{
	struct stat sb;
	int ret;

	if (!opt.dev) {
		bdev.made = make_temp_dir();
		bdev.path = bdev.made;
		make_device(bdev.path);
	} else if (!stat(opt.dev, &sb) && S_ISBLK(sb.st_mode)) {
		bdev.path = opt.dev;
		bdev.blkdev = true;
	} else if (dir_is_empty_or_missing(opt.dev)) {
		bdev.path = opt.dev;
		bdev.made = strdup(opt.dev);
		make_device(bdev.path);
	} else {
		bdev.path = opt.dev;
	}
	if (opt.keep) {
		free(bdev.made);
		bdev.made = NULL;
	}
	ret = zk_open(bdev.path, opt.direct ? ZK_DIRECT : 0, &bdev.dev);
	if (ret)
		die("zk_open %s%s: %s", bdev.path, opt.direct ? " (ZK_DIRECT)" : "",
		    zk_strerror(ret));
	zk_info(bdev.dev, &bdev.info);
	bdev.first_seq = bdev.info.nr_conv_zones;
	if (bdev.first_seq >= bdev.info.nr_zones)
		die("%s has no sequential zones", bdev.path);
	if (bdev.blkdev) {
		bdev.bfd = open(bdev.path, O_RDWR | O_DIRECT | O_CLOEXEC);
		if (bdev.bfd < 0)
			die("open %s O_DIRECT: %s", bdev.path, strerror(errno));
		snprintf(bdev.fs, sizeof(bdev.fs), "block device");
	} else {
		bdev.dirfd = open(bdev.path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (bdev.dirfd < 0)
			die("open %s: %s", bdev.path, strerror(errno));
		bdev.zfd = xcalloc(bdev.info.nr_zones, sizeof(*bdev.zfd));
		for (uint32_t z = 0; z < bdev.info.nr_zones; z++)
			bdev.zfd[z] = -1;
		fs_type(bdev.path, bdev.fs, sizeof(bdev.fs));
	}
	bdev.ordered = opt.raw_order == ORDER_ZONE ||
		    (opt.raw_order == ORDER_AUTO && bdev.blkdev);
}

void close_device(void)
{
	if (bdev.zfd) {
		for (uint32_t z = 0; z < bdev.info.nr_zones; z++)
			if (bdev.zfd[z] >= 0)
				close(bdev.zfd[z]);
		free(bdev.zfd);
		bdev.zfd = NULL;
	}
	if (bdev.dirfd >= 0)
		close(bdev.dirfd);
	if (bdev.bfd >= 0)
		close(bdev.bfd);
	bdev.dirfd = bdev.bfd = -1;
	zk_close(bdev.dev);
	bdev.dev = NULL;
	if (bdev.made) {
		remove_device(bdev.made);
		free(bdev.made);
		bdev.made = NULL;
	}
}

uint64_t zone_start(uint32_t z)
{
	return (uint64_t)z * bdev.info.zone_size;
}

/* The descriptor and offset a raw write of zone @z at @zoff goes to. */
int raw_target(uint32_t z, uint64_t zoff, uint64_t *off)
{
	if (bdev.blkdev) {
		*off = zone_start(z) + zoff;
		return bdev.bfd;
	}
	*off = zoff;
	return bdev.zfd[z];
}

void raw_open_zones(uint32_t first, uint32_t n)
{
	char name[32];

	if (bdev.blkdev)
		return;
	for (uint32_t z = first; z < first + n; z++) {
		if (bdev.zfd[z] >= 0)
			continue;
		snprintf(name, sizeof(name), "seq-%06u", z);
		bdev.zfd[z] = openat(bdev.dirfd, name, O_RDWR | O_CLOEXEC |
				  (opt.raw_direct ? O_DIRECT : 0));
		if (bdev.zfd[z] < 0)
			die("open %s/%s: %s", bdev.path, name, strerror(errno));
	}
}

/* Every zone back to empty, and the file system quiet: outside timing. */
void reset_device(void)
{
	int ret = zk_resync(bdev.dev);

	if (!ret)
		ret = zk_zone_op(bdev.dev, ZK_OP_RESET, 0, bdev.info.capacity);
	if (ret)
		die("resetting the zones of %s: %s", bdev.path, zk_strerror(ret));
	if (bdev.dirfd >= 0)
		syncfs(bdev.dirfd);
}
