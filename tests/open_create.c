/* SPDX-License-Identifier: MIT */
/*
 * zk_create lays out an emulated device: the directory (created if missing,
 * or an existing empty one), a "geometry" file, cnv-NNNNNN files (zone
 * sized) for the conventional zones and seq-NNNNNN files (sized to the wp)
 * for the others.  zk_info gives the geometry back with nr_zones and the
 * backend; zk_create refuses a non-empty directory.
 */
#include "testlib.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

static long long file_size(const char *dir, const char *name)
{
	char p[PATH_MAX];
	struct stat st;

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	if (stat(p, &st))
		return -1;
	if (!S_ISREG(st.st_mode))
		return -2;
	return (long long)st.st_size;
}

static unsigned int count_entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	unsigned int n = 0;

	if (!d)
		T_FAIL("opendir(%s): %s", dir, strerror(errno));
	while ((e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			n++;
	closedir(d);
	return n;
}

/* The zone files of a device of @nr zones, @nconv conventional: names and
 * sizes (-1 = do not check the size). */
static void check_files(const char *dir, unsigned int nr, unsigned int nconv,
			const long long *sizes)
{
	unsigned int z;
	char name[32];

	T_ASSERT(file_size(dir, "geometry") > 0);
	for (z = 0; z < nr; z++) {
		long long sz;

		snprintf(name, sizeof(name), "%s-%06u", z < nconv ? "cnv" : "seq", z);
		sz = file_size(dir, name);
		if (sz < 0)
			T_FAIL("zone file %s/%s missing (%lld)", dir, name, sz);
		if (sizes[z] >= 0 && sz != sizes[z])
			T_FAIL("zone file %s has size %lld, expected %lld", name,
			       sz, sizes[z]);
		/* and not under the other name */
		snprintf(name, sizeof(name), "%s-%06u", z < nconv ? "seq" : "cnv", z);
		if (file_size(dir, name) != -1)
			T_FAIL("unexpected zone file %s/%s", dir, name);
	}
	snprintf(name, sizeof(name), "seq-%06u", nr);
	T_ASSERT(file_size(dir, name) == -1);
	/* the geometry file, the zone files and nothing else that looks like
	 * a zone: allow other private files, but no extra zones */
	T_ASSERT(count_entries(dir) >= nr + 1);
}

int main(void)
{
	struct zk_geometry geo;
	struct zk_info info;
	struct zk_dev *dev = NULL;
	const char *tmp = t_tmpdir();
	char path[PATH_MAX];
	long long sizes[16];
	unsigned int z;
	int fd;

	/* 1. a directory that does not exist yet */
	t_ctx("create in a new directory");
	t_geo_default(&geo);
	geo.capacity = 10 * MiB;
	geo.nr_conv_zones = 2;
	geo.zone_capacity = 768 * KiB;
	geo.max_open = 3;
	geo.max_active = 5;
	geo.max_append = 128 * KiB;
	snprintf(path, sizeof(path), "%s/new", tmp);
	T_RET(zk_create(path, &geo), 0);
	for (z = 0; z < 10; z++)
		sizes[z] = z < 2 ? (long long)(1 * MiB) : 0;
	check_files(path, 10, 2, sizes);

	T_RET(zk_open(path, 0, &dev), 0);
	T_ASSERT(dev != NULL);
	memset(&info, 0xa5, sizeof(info));
	T_RET(zk_info(dev, &info), 0);
	T_EQ(info.capacity, 10 * MiB);
	T_EQ(info.zone_size, 1 * MiB);
	T_EQ(info.zone_capacity, 768 * KiB);
	T_EQ(info.nr_conv_zones, 2);
	T_EQ(info.block_size, 4096);
	T_EQ(info.max_open, 3);
	T_EQ(info.max_active, 5);
	T_EQ(info.max_append, 128 * KiB);
	T_EQ(info.nr_zones, 10);
	T_EQ(info.backend, ZK_BACKEND_EMULATED);
	T_EQ(info.flags, 0);

	/* a sequential zone file grows with the wp */
	t_ctx("seq file size follows the wp");
	T_WRITE(dev, 3 * MiB, 12 * KiB, 1);
	T_WRITE(dev, 0, 4 * KiB, 2); /* conventional: stays zone sized */
	zk_close(dev);
	dev = NULL;
	sizes[3] = 12 * KiB;
	check_files(path, 10, 2, sizes);

	/* ZK_RDONLY shows in info.flags */
	t_ctx("info.flags");
	T_RET(zk_open(path, ZK_RDONLY, &dev), 0);
	T_RET(zk_info(dev, &info), 0);
	T_EQ(info.flags, ZK_RDONLY);
	T_EQ(info.nr_zones, 10);
	zk_close(dev);
	dev = NULL;

	/* 2. an existing empty directory; zone_capacity 0 = zone_size, a
	 * smaller last zone, 512-byte blocks */
	t_ctx("create in an existing empty directory");
	snprintf(path, sizeof(path), "%s/empty", tmp);
	T_ASSERT(mkdir(path, 0755) == 0);
	t_geo_default(&geo);
	geo.capacity = 3 * MiB + 512 * KiB;
	geo.zone_capacity = 0;
	geo.nr_conv_zones = 1;
	geo.block_size = 512;
	T_RET(zk_create(path, &geo), 0);
	sizes[0] = 1 * MiB;
	sizes[1] = sizes[2] = sizes[3] = 0;
	check_files(path, 4, 1, sizes);
	T_RET(zk_open(path, 0, &dev), 0);
	T_RET(zk_info(dev, &info), 0);
	T_EQ(info.capacity, 3 * MiB + 512 * KiB);
	T_EQ(info.zone_capacity, 1 * MiB);
	T_EQ(info.nr_zones, 4);
	T_EQ(info.block_size, 512);
	T_EQ(info.max_open, 0);
	T_EQ(info.max_active, 0);
	T_EQ(info.max_append, 0);
	T_EQ(info.backend, ZK_BACKEND_EMULATED);
	zk_close(dev);
	dev = NULL;

	/* 3. a non-empty directory is refused, and left alone */
	t_ctx("non-empty directory");
	snprintf(path, sizeof(path), "%s/busy", tmp);
	T_ASSERT(mkdir(path, 0755) == 0);
	snprintf(path, sizeof(path), "%s/busy/precious", tmp);
	fd = open(path, O_CREAT | O_WRONLY, 0644);
	T_ASSERT(fd >= 0);
	T_ASSERT(write(fd, "x", 1) == 1);
	close(fd);
	snprintf(path, sizeof(path), "%s/busy", tmp);
	T_FAILS(zk_create(path, &geo));
	T_ASSERT(count_entries(path) == 1);
	T_ASSERT(file_size(path, "precious") == 1);

	/* an existing device is non-empty too */
	t_ctx("create over a device");
	snprintf(path, sizeof(path), "%s/new", tmp);
	T_FAILS(zk_create(path, &geo));
	T_RET(zk_open(path, 0, &dev), 0);
	T_RET(zk_info(dev, &info), 0);
	T_EQ(info.nr_zones, 10); /* still the first geometry */
	T_DATA(dev, 3 * MiB, 12 * KiB, 1);
	zk_close(dev);
	dev = NULL;

	/* 4. a regular file is not a directory */
	t_ctx("path is a file");
	snprintf(path, sizeof(path), "%s/busy/precious", tmp);
	T_FAILS(zk_create(path, &geo));
	T_ASSERT(file_size(tmp, "busy/precious") == 1);

	/* 5. opening what is not a device fails */
	t_ctx("open a non-device");
	snprintf(path, sizeof(path), "%s/missing", tmp);
	dev = NULL;
	T_FAILS(zk_open(path, 0, &dev));
	snprintf(path, sizeof(path), "%s/busy", tmp);
	T_FAILS(zk_open(path, 0, &dev));
	T_FAILS(zk_open(path, ZK_RDONLY, &dev));

	t_info("pass");
	return T_EXIT_PASS;
}
