/* SPDX-License-Identifier: MIT */
/*
 * Read-only and offline zones of the emulated device: listed in the file
 * "conditions" ("seq-NNNNNN read-only"), loaded at open, rewritten whole
 * (atomically) at each zk_set_zone_cond().
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "emu.h"

int marks_load(struct zk_dev *d)
{
	struct emu *e = emu_of(d);
	char *buf, *line, *save;
	size_t len, size;
	struct stat sb;
	int ret;

	if (fstatat(e->dirfd, CONDITIONS_FILE, &sb, AT_SYMLINK_NOFOLLOW))
		return errno == ENOENT ? 0 : -errno;
	if (!S_ISREG(sb.st_mode) || (uint64_t)sb.st_size > (uint64_t)d->nr_zones * 24)
		return -EUCLEAN;
	size = (size_t)sb.st_size + 2;
	buf = malloc(size);
	if (!buf)
		return -ENOMEM;
	ret = read_small_file(e->dirfd, CONDITIONS_FILE, buf, size - 1, &len);
	if (ret == -ENOENT) {
		free(buf);
		return 0;
	}
	if (!ret) {
		buf[len] = '\0';
		e->marks = calloc(d->nr_zones, 1);
		ret = e->marks ? 0 : -ENOMEM;
	}
	for (line = ret ? NULL : strtok_r(buf, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		unsigned int z;
		char what[16];

		if (sscanf(line, "seq-%u %15s", &z, what) != 2 ||
		    z >= d->nr_zones || zk_zone_is_conv(d, z)) {
			ret = -EUCLEAN;
			break;
		}
		if (!strcmp(what, "read-only"))
			e->marks[z] = ZK_COND_READONLY;
		else if (!strcmp(what, "offline"))
			e->marks[z] = ZK_COND_OFFLINE;
		else {
			ret = -EUCLEAN;
			break;
		}
	}
	free(buf);
	return ret;
}

static int marks_save(struct zk_dev *d)
{
	struct emu *e = emu_of(d);
	size_t size = 1 + (size_t)d->nr_zones * 24, len = 0;
	char *buf = malloc(size);
	int ret;

	if (!buf)
		return -ENOMEM;
	buf[0] = '\0';
	for (uint32_t z = 0; z < d->nr_zones; z++) {
		if (!e->marks[z])
			continue;
		len += (size_t)snprintf(buf + len, size - len, "seq-%06u %s\n", z,
					zk_zone_cond_name(e->marks[z]));
	}
	ret = write_file_atomic(e->dirfd, CONDITIONS_FILE, buf, len);
	free(buf);
	return ret;
}

/* Zone @z's mark (0: none).  Under marks_lock: a report (of another
 * zone, or the same one read back after a failed write) may run while
 * zk_set_zone_cond() allocates the array or changes a mark. */
unsigned int marks_of(struct zk_dev *d, uint32_t z)
{
	struct emu *e = emu_of(d);
	unsigned int mark;

	pthread_mutex_lock(&e->marks_lock);
	mark = e->marks ? e->marks[z] : 0;
	pthread_mutex_unlock(&e->marks_lock);
	return mark;
}

/* Empty zone @z's file (a zone back in service is reset). */
static int empty_zone_file(struct zk_dev *d, uint32_t z)
{
	struct fd_handle h;
	int ret = slot_get(d, z, &h);

	if (ret)
		return ret;
	if (ftruncate(h.fd, 0))
		ret = -errno;
	slot_put(&h);
	if (!ret)
		mark_dirty(emu_of(d), z);
	return ret;
}

/* The marks are saved before a zone back in service loses its data: if
 * the save fails, nothing has changed.  If emptying the file then fails,
 * the mark is put back (should that save fail too, the zone is no longer
 * marked but keeps its data: nothing is lost). */
int emu_set_cond(struct zk_dev *d, uint32_t z, unsigned int cond)
{
	struct emu *e = emu_of(d);
	uint8_t old;
	int ret = open_conds_drop(d);

	if (ret)
		return ret;
	pthread_mutex_lock(&e->marks_lock);
	if (!e->marks)
		e->marks = calloc(d->nr_zones, 1);
	if (!e->marks) {
		pthread_mutex_unlock(&e->marks_lock);
		return -ENOMEM;
	}
	old = e->marks[z];
	e->marks[z] = cond == ZK_COND_EMPTY ? 0 : (uint8_t)cond;
	ret = marks_save(d);
	if (!ret && cond == ZK_COND_EMPTY) {
		ret = empty_zone_file(d, z);
		if (ret) {
			e->marks[z] = old;
			marks_save(d);
		}
	}
	if (ret)
		e->marks[z] = old;
	pthread_mutex_unlock(&e->marks_lock);
	return ret;
}
