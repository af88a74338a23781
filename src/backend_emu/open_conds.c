/* SPDX-License-Identifier: MIT */
/*
 * Which zones are open, kept across a clean close, as a real device keeps
 * its zones' conditions whoever opens it.
 *
 * A zone file's size says only how much is written: EMPTY, partly written
 * or FULL.  Which partly written zones are implicitly or explicitly open
 * (and which empty zones explicitly open) lives in zonekit's model.  At a
 * clean close of a writable device the open ones are listed in
 * "open-zones" ("seq-NNNNNN imp-open SIZE", SIZE the zone file's size
 * then); the next open takes them from there where the files still have
 * that size: a file another program wrote in between (the kernel's zoned
 * loop device on the same directory) is as that program left it, CLOSED.
 * A line without SIZE (older zonekits) is taken where the file's size
 * agrees with the condition.  The first write or zone operation of a
 * read-write session deletes the list before it changes anything, so a
 * crash gives the view of a power cycle: partly written zones CLOSED, as
 * on a real device.  A session that changes nothing leaves the list (and
 * the directory) as it found them.  zk_power_cycle() deletes it on
 * purpose.
 */
#include <errno.h>
#include <inttypes.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "compiler.h"
#include "emu.h"
#include "geometry.h"

/* "seq-NNNNNN imp-open SIZE\n": zone numbers < 2^31, sizes < 2^40 */
#define LINE_MAX_LEN 48
#define SIZE_UNKNOWN UINT64_MAX

/* The list as it was saved, or NULL if it is missing or not sound (then
 * every zone is as a power cycle leaves it). */
static uint8_t *parse_list(struct zk_dev *d, char *text, uint64_t **sizes)
{
	uint8_t *conds = calloc(d->nr_zones, 1);
	uint32_t listed = 0;
	char *line, *save;

	*sizes = conds ? malloc((size_t)d->nr_zones * sizeof(**sizes)) : NULL;
	for (line = *sizes ? strtok_r(text, "\n", &save) : NULL; line;
	     line = strtok_r(NULL, "\n", &save)) {
		uint64_t size = SIZE_UNKNOWN;
		unsigned int z;
		char what[16];
		int n = sscanf(line, "seq-%u %15s %" SCNu64, &z, what, &size);

		if (n < 2 || z >= d->nr_zones || zk_zone_is_conv(d, z) || conds[z])
			goto bad;
		(*sizes)[z] = n == 3 ? size : SIZE_UNKNOWN;
		if (!strcmp(what, zk_zone_cond_name(ZK_COND_IMP_OPEN)))
			conds[z] = ZK_COND_IMP_OPEN;
		else if (!strcmp(what, zk_zone_cond_name(ZK_COND_EXP_OPEN)))
			conds[z] = ZK_COND_EXP_OPEN;
		else
			goto bad;
		if (d->geo.max_open && ++listed > d->geo.max_open)
			goto bad;
	}
	if (conds && *sizes)
		return conds;
bad:
	free(conds);
	free(*sizes);
	*sizes = NULL;
	return NULL;
}

void open_conds_load(struct zk_dev *d)
{
	struct emu *e = emu_of(d);
	size_t size, len;
	char *text;

	if (d->geo.max_open)
		size = (size_t)d->geo.max_open * LINE_MAX_LEN + 1;
	else
		size = (size_t)d->nr_zones * LINE_MAX_LEN + 1;
	text = malloc(size);
	if (!text)
		return;
	if (!read_small_file(e->dirfd, OPEN_ZONES_FILE, text, size - 1, &len)) {
		text[len] = '\0';
		e->open_conds = parse_list(d, text, &e->open_sizes);
	}
	free(text);
}

/* What the list says of zone @z, holding @size bytes of @cap, if the file
 * agrees (it has the size listed; an implicitly open zone is partly
 * written, an open zone is not full); else @cond, what the size says. */
unsigned int open_conds_of(struct zk_dev *d, uint32_t z, uint64_t size,
			   uint64_t cap, unsigned int cond)
{
	struct emu *e = emu_of(d);
	unsigned int listed = e->open_conds ? e->open_conds[z] : 0;

	if (listed && e->open_sizes[z] != SIZE_UNKNOWN && e->open_sizes[z] != size)
		return cond;

	if (listed == ZK_COND_IMP_OPEN && cond == ZK_COND_CLOSED)
		return listed;
	if (listed == ZK_COND_EXP_OPEN && size < cap &&
	    (cond == ZK_COND_CLOSED || cond == ZK_COND_EMPTY))
		return listed;
	return cond;
}

/* Every zone has been learnt: the list has done its job in memory.  On a
 * writable device it stays on disk until the first change. */
int open_conds_forget(struct zk_dev *d)
{
	struct emu *e = emu_of(d);

	free(e->open_conds);
	free(e->open_sizes);
	e->open_conds = NULL;
	e->open_sizes = NULL;
	if ((e->oflags & O_ACCMODE) != O_RDONLY &&
	    !faccessat(e->dirfd, OPEN_ZONES_FILE, F_OK, AT_SYMLINK_NOFOLLOW))
		atomic_store_explicit(&e->open_list_kept, true,
				      memory_order_release);
	return 0;
}

/* The first change of the session: delete the list before it stops
 * being true.  If it cannot be deleted, the change fails (the list would
 * outlive a crash and describe zones that changed). */
int open_conds_drop_slow(struct zk_dev *d)
{
	struct emu *e = emu_of(d);
	int ret = 0;

	pthread_mutex_lock(&e->open_list_lock);
	if (atomic_load_explicit(&e->open_list_kept, memory_order_relaxed)) {
		if (unlinkat(e->dirfd, OPEN_ZONES_FILE, 0) && errno != ENOENT)
			ret = -errno;
		else if (fsync(e->dirfd))
			ret = -errno;
		if (!ret)
			atomic_store_explicit(&e->open_list_kept, false,
					      memory_order_release);
	}
	pthread_mutex_unlock(&e->open_list_lock);
	return ret;
}

#define SAVE_CHUNK 1024u

/* At a clean close: the open zones, by zonekit's @state. */
void open_conds_save(struct zk_dev *d, zk_state_fn *state)
{
	struct zk_zone_state st[SAVE_CHUNK];
	size_t size = 1, len = 0;
	char *text = NULL;

	if (atomic_load_explicit(&emu_of(d)->open_list_kept,
				 memory_order_acquire))
		return; /* nothing changed: the list on disk is still true */
	for (uint32_t z = 0; z < d->nr_zones; z += SAVE_CHUNK) {
		uint32_t nr = d->nr_zones - z < SAVE_CHUNK ? d->nr_zones - z :
							   SAVE_CHUNK;

		state(d, z, nr, st);
		for (uint32_t i = 0; i < nr; i++) {
			if (st[i].type == ZK_ZONE_CONVENTIONAL ||
			    !zk_cond_is_open(st[i].cond))
				continue;
			if (len + LINE_MAX_LEN >= size) {
				char *bigger = realloc(text, size + 64 * LINE_MAX_LEN);

				if (!bigger)
					goto out;
				text = bigger;
				size += 64 * LINE_MAX_LEN;
			}
			len += (size_t)snprintf(text + len, size - len,
						"seq-%06u %s %" PRIu64 "\n", z + i,
						zk_zone_cond_name(st[i].cond),
						st[i].wp - zk_zone_start(d, z + i));
		}
	}
	if (len)
		write_file_atomic(emu_of(d)->dirfd, OPEN_ZONES_FILE, text, len);
out:
	free(text);
}

ZK_EXPORT int zk_power_cycle(const char *path)
{
	struct stat sb;
	int dirfd, ret = 0;

	if (!path)
		return -EINVAL;
	if (stat(path, &sb))
		return -errno;
	if (!S_ISDIR(sb.st_mode))
		return S_ISBLK(sb.st_mode) ? -EOPNOTSUPP : -ENOTBLK;
	dirfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dirfd < 0)
		return -errno;
	/* Not while it is open for writing: that writer's close would list
	 * its open zones again. */
	if (flock(dirfd, LOCK_EX | LOCK_NB))
		ret = errno == EWOULDBLOCK ? -EBUSY : -errno;
	else if (faccessat(dirfd, GEOMETRY_FILE, F_OK, AT_SYMLINK_NOFOLLOW))
		ret = errno == ENOENT ? -ENODEV : -errno;
	else if (unlinkat(dirfd, OPEN_ZONES_FILE, 0) && errno != ENOENT)
		ret = -errno;
	else if (fsync(dirfd))
		ret = -errno;
	close(dirfd);
	return ret;
}
