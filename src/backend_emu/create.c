/* SPDX-License-Identifier: MIT */
/* Making an emulated device: zk_create(). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "compiler.h"
#include "emu.h"
#include "geometry.h"

static int dir_is_empty(int dirfd)
{
	int fd = dup(dirfd);
	DIR *dir = fd >= 0 ? fdopendir(fd) : NULL;
	struct dirent *de;
	int ret = 1;

	if (!dir) {
		if (fd >= 0)
			close(fd);
		return -errno;
	}
	while ((de = readdir(dir))) {
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..")) {
			ret = 0;
			break;
		}
	}
	closedir(dir);
	return ret;
}

static int create_zone_file(int dirfd, const struct zk_geometry *g, uint32_t z,
			    uint64_t len)
{
	char name[NAME_MAX_LEN];
	int fd, ret = 0;

	zone_file_name(g, z, name);
	fd = openat(dirfd, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	if (z < g->nr_conv_zones && ftruncate(fd, (off_t)len))
		ret = -errno;
	close(fd);
	return ret;
}

static void remove_zone_files(int dirfd, const struct zk_geometry *g,
			      uint32_t nr)
{
	char name[NAME_MAX_LEN];

	for (uint32_t z = 0; z < nr; z++) {
		zone_file_name(g, z, name);
		unlinkat(dirfd, name, 0);
	}
}

static int create_files(int dirfd, const struct zk_geometry *g)
{
	uint32_t nr = zk_geometry_nr_zones(g);
	char text[1024];
	int ret = 0;
	uint32_t z;

	for (z = 0; z < nr && !ret; z++) {
		uint64_t start = (uint64_t)z * g->zone_size;
		uint64_t len = g->capacity - start < g->zone_size ?
			g->capacity - start : g->zone_size;

		ret = create_zone_file(dirfd, g, z, len);
	}
	if (!ret)
		ret = snapshot_create(dirfd, g);
	if (!ret)
		ret = zk_geometry_format(g, text, sizeof(text));
	if (ret >= 0) /* the geometry last: until then it is no device */
		ret = write_file_atomic(dirfd, GEOMETRY_FILE, text, (size_t)ret);
	if (ret < 0) {
		remove_zone_files(dirfd, g, z);
		unlinkat(dirfd, SNAPSHOT_FILE, 0);
	}
	return ret < 0 ? ret : 0;
}

ZK_EXPORT int zk_create(const char *path, const struct zk_geometry *geo)
{
	struct zk_geometry g;
	const char *why;
	int dirfd, ret;

	if (!path || !geo)
		return -EINVAL;
	g = *geo;
	ret = zk_geometry_normalise(&g, &why);
	if (ret)
		return ret;
	if (mkdir(path, 0755) && errno != EEXIST)
		return -errno;
	dirfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dirfd < 0)
		return -errno;
	ret = dir_is_empty(dirfd);
	if (ret == 0)
		ret = -EEXIST;
	else if (ret == 1)
		ret = create_files(dirfd, &g);
	close(dirfd);
	return ret;
}
