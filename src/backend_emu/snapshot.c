/* SPDX-License-Identifier: MIT */
/*
 * The wp snapshot of the emulated device.
 *
 * Opening a device means learning every zone's wp, one stat() a zone file:
 * seconds for a million zones.  On devices of SNAPSHOT_MIN_ZONES zones or
 * more, creation and every clean close (every zone flushed) write the zone
 * file sizes to "wp-snapshot"; the next open reads them from it and, if it
 * may write, deletes it before anything is written, so a snapshot never
 * outlives the state it describes.  Should a zone file have been changed
 * behind zonekit's back while the device was closed, the first write to
 * that zone finds its size differs from the wp and fails with EIO, and the
 * core re-learns the zone from the file.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "emu.h"
#include "geometry.h"

#define SNAPSHOT_MAGIC "zonekit-wps-1\n"
/* Below this many zones, stat()ing every zone file at open is cheap (a
 * few ms) and checks every file: no snapshot. */
#define SNAPSHOT_MIN_ZONES 4096u

struct snapshot_head {
	char magic[16];
	uint64_t nr_zones, zone_size, capacity, checksum;
};

#define SNAPSHOT_FNV_SEED 1469598103934665603ULL

static uint64_t snapshot_sum_more(uint64_t h, const uint64_t *v, uint64_t n)
{
	for (uint64_t i = 0; i < n; i++) /* FNV-1a over the words */
		h = (h ^ v[i]) * 1099511628211ULL;
	return h;
}

static uint64_t snapshot_sum(const uint64_t *v, uint64_t n)
{
	return snapshot_sum_more(SNAPSHOT_FNV_SEED, v, n);
}

/* Check the snapshot a chunk at a time (it is not kept in memory: the
 * sizes are read again as zones are learnt) and keep it open if good. */
static bool snapshot_valid(struct zk_dev *d, int fd, uint32_t nr)
{
	uint64_t chunk[8192], sum = SNAPSHOT_FNV_SEED;
	struct snapshot_head h;
	struct stat sb;

	if (fstat(fd, &sb) ||
	    (uint64_t)sb.st_size != sizeof(h) + (uint64_t)nr * 8 ||
	    pread(fd, &h, sizeof(h), 0) != (ssize_t)sizeof(h) ||
	    memcmp(h.magic, SNAPSHOT_MAGIC, sizeof(SNAPSHOT_MAGIC) - 1) ||
	    h.nr_zones != nr || h.zone_size != d->geo.zone_size ||
	    h.capacity != d->geo.capacity)
		return false;
	for (uint32_t z = 0; z < nr; z += 8192) {
		uint32_t n = nr - z < 8192 ? nr - z : 8192;

		if (pread(fd, chunk, n * 8, (off_t)(sizeof(h) + (uint64_t)z * 8)) !=
		    (ssize_t)(n * 8))
			return false;
		sum = snapshot_sum_more(sum, chunk, n);
	}
	return sum == h.checksum;
}

void snapshot_load(struct zk_dev *d)
{
	struct emu *e = emu_of(d);
	uint32_t nr = zk_geometry_nr_zones(&d->geo);
	int fd;

	if (nr < SNAPSHOT_MIN_ZONES)
		return;
	fd = openat(e->dirfd, SNAPSHOT_FILE, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	if (snapshot_valid(d, fd, nr))
		e->snap_fd = fd;
	else
		close(fd);
}

/* Sizes of zones [first, first + nr) from the snapshot. */
int snapshot_sizes(struct emu *e, uint32_t first, uint32_t nr,
			  uint64_t *sizes)
{
	off_t off = (off_t)(sizeof(struct snapshot_head) + (uint64_t)first * 8);

	return pread(e->snap_fd, sizes, (size_t)nr * 8, off) == (ssize_t)nr * 8 ?
		0 : -EUCLEAN;
}

/* After open: forget the snapshot, and delete it before the first write.
 * One that cannot be deleted would outlive the writes to come (a crash
 * would leave it to the next open, which would trust it): no read-write
 * open then. */
int snapshot_forget(struct zk_dev *d)
{
	struct emu *e = emu_of(d);
	size_t words = (d->nr_zones + 63) / 64;

	if (e->snap_fd < 0)
		return 0;
	close(e->snap_fd);
	e->snap_fd = -1;
	if ((e->oflags & O_ACCMODE) == O_RDONLY)
		return 0;
	/* Without the bitmap no zone could be checked against its file
	 * before its first write: fail the open, not every write after. */
	e->unchecked = malloc(words * sizeof(*e->unchecked));
	if (!e->unchecked)
		return -ENOMEM;
	memset((void *)e->unchecked, 0xff, words * sizeof(*e->unchecked));
	e->from_snapshot = true;
	if (unlinkat(e->dirfd, SNAPSHOT_FILE, 0) && errno != ENOENT)
		return -errno;
	return fsync(e->dirfd) ? -errno : 0;
}

/* First write to zone @z since a snapshot open: is the file where the
 * snapshot said?  -EIO sends the core to re-learn it. */
int check_against_file_now(struct zk_dev *d, uint32_t z, int fd,
			   uint64_t foff)
{
	struct emu *e = emu_of(d);
	uint64_t bit = 1ULL << (z % 64);
	struct stat sb;

	if (!e->from_snapshot || zk_zone_is_conv(d, z))
		return 0;
	if (!(atomic_load(&e->unchecked[z / 64]) & bit))
		return 0;
	if (fstat(fd, &sb))
		return -errno;
	if ((uint64_t)sb.st_size != foff)
		return -EIO;
	atomic_fetch_and(&e->unchecked[z / 64], ~bit);
	return 0;
}

static int snapshot_write(int dirfd, const struct zk_geometry *g,
			  struct snapshot_head *h, uint32_t nr)
{
	memcpy(h->magic, SNAPSHOT_MAGIC, sizeof(SNAPSHOT_MAGIC) - 1);
	h->nr_zones = nr;
	h->zone_size = g->zone_size;
	h->capacity = g->capacity;
	h->checksum = snapshot_sum((uint64_t *)(h + 1), nr);
	return write_file_atomic(dirfd, SNAPSHOT_FILE, (const char *)h,
				 sizeof(*h) + (size_t)nr * 8);
}

#define SAVE_CHUNK 1024u

/* The file sizes of zones [first, first + nr) by zonekit's @state; false
 * if a zone is read-only or offline (its file keeps a size of its own). */
static bool sizes_of(struct zk_dev *d, zk_state_fn *state, uint32_t first,
		     uint32_t nr, uint64_t *sizes)
{
	struct zk_zone_state st[SAVE_CHUNK];

	state(d, first, nr, st);
	for (uint32_t i = 0; i < nr; i++) {
		uint32_t z = first + i;

		if (st[i].cond == ZK_COND_OFFLINE ||
		    st[i].cond == ZK_COND_READONLY)
			return false;
		if (st[i].type == ZK_ZONE_CONVENTIONAL)
			sizes[i] = zk_zone_len(d, z);
		else if (st[i].cond == ZK_COND_FULL)
			sizes[i] = zk_zone_cap(d, z); /* as finish cuts it */
		else
			sizes[i] = st[i].wp - zk_zone_start(d, z);
	}
	return true;
}

/* At a clean close: every zone durable, then the sizes. */
void snapshot_save(struct zk_dev *d, zk_state_fn *state)
{
	struct emu *e = emu_of(d);
	struct snapshot_head *h;
	uint64_t *sizes;
	bool ok = true;

	if (d->nr_zones < SNAPSHOT_MIN_ZONES || d->ops->flush(d))
		return;
	h = calloc(1, sizeof(*h) + (size_t)d->nr_zones * 8);
	if (!h)
		return;
	sizes = (uint64_t *)(h + 1);
	for (uint32_t z = 0; z < d->nr_zones && ok; z += SAVE_CHUNK)
		ok = sizes_of(d, state, z,
			      d->nr_zones - z < SAVE_CHUNK ? d->nr_zones - z :
							     SAVE_CHUNK,
			      sizes + z);
	if (ok)
		snapshot_write(e->dirfd, &d->geo, h, d->nr_zones);
	free(h);
}

/* A new device: conventional zones full size, sequential ones empty. */
int snapshot_create(int dirfd, const struct zk_geometry *g)
{
	uint32_t nr = zk_geometry_nr_zones(g);
	struct snapshot_head *h = calloc(1, sizeof(*h) + (size_t)nr * 8);
	uint64_t *sizes;
	int ret;

	if (nr < SNAPSHOT_MIN_ZONES) {
		free(h);
		return 0;
	}
	if (!h)
		return -ENOMEM;
	sizes = (uint64_t *)(h + 1);
	for (uint32_t z = 0; z < g->nr_conv_zones; z++)
		sizes[z] = g->zone_size; /* never the smaller last zone */
	ret = snapshot_write(dirfd, g, h, nr);
	free(h);
	return ret;
}
