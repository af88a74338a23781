/* SPDX-License-Identifier: MIT */
/* The emulated device's file names and small metadata files. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "emu.h"

void zone_file_name(const struct zk_geometry *g, uint32_t z,
		    char name[NAME_MAX_LEN])
{
	snprintf(name, NAME_MAX_LEN, "%s-%06u",
		 z < g->nr_conv_zones ? "cnv" : "seq", z);
}

int read_small_file(int dirfd, const char *name, char *buf, size_t size,
			   size_t *len)
{
	int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOFOLLOW);
	struct stat sb;
	ssize_t n;

	*len = 0;
	if (fd < 0)
		return errno == ELOOP ? -EUCLEAN : -errno;
	if (fstat(fd, &sb) || !S_ISREG(sb.st_mode)) { /* a FIFO would block */
		close(fd);
		return -EUCLEAN;
	}
	n = read(fd, buf, size);
	close(fd);
	if (n < 0)
		return -errno;
	if ((size_t)n == size)
		return -EFBIG;
	*len = (size_t)n;
	return 0;
}

/* Write a file whole or not at all: a temporary, fsync, rename. */
int write_file_atomic(int dirfd, const char *name, const char *buf,
			     size_t len)
{
	char tmp[64];
	int fd, ret = 0;

	snprintf(tmp, sizeof(tmp), ".%s.tmp", name);
	fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	if (write(fd, buf, len) != (ssize_t)len || fsync(fd))
		ret = errno ? -errno : -EIO;
	close(fd);
	if (!ret && renameat(dirfd, tmp, dirfd, name))
		ret = -errno;
	if (!ret)
		ret = fsync(dirfd) ? -errno : 0;
	if (ret)
		unlinkat(dirfd, tmp, 0);
	return ret;
}
