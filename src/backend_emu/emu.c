/* SPDX-License-Identifier: MIT */
/*
 * The emulated zoned device's operations table (emu.h): open and close,
 * zone reports from file sizes, and zone operations as file truncations.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "emu.h"
#include "geometry.h"

/* Before allocating anything a zone: does the device have as many zones as
 * its geometry claims? */
static int last_zone_file_exists(struct zk_dev *d)
{
	char name[NAME_MAX_LEN];
	struct stat sb;

	zone_file_name(&d->geo, d->nr_zones - 1, name);
	if (fstatat(emu_of(d)->dirfd, name, &sb, AT_SYMLINK_NOFOLLOW) ||
	    !S_ISREG(sb.st_mode))
		return -EUCLEAN;
	return 0;
}

/* The geometry, from the file of that name. */
static int load_geometry(struct zk_dev *d)
{
	char buf[4096];
	const char *why;
	size_t len;
	int ret = read_small_file(emu_of(d)->dirfd, GEOMETRY_FILE, buf,
				  sizeof(buf), &len);

	if (ret)
		return ret == -ENOENT ? -ENODEV : ret == -EFBIG ? -EUCLEAN : ret;
	if (zk_geometry_parse(buf, len, &d->geo, &why))
		return -EUCLEAN;
	d->nr_zones = zk_geometry_nr_zones(&d->geo);
	return last_zone_file_exists(d);
}

static void emu_close(struct zk_dev *d)
{
	struct emu *e = emu_of(d);

	if (!e)
		return;
	slots_close(e);
	if (e->dirfd >= 0)
		close(e->dirfd); /* drops the flock */
	pthread_mutex_destroy(&e->marks_lock);
	pthread_mutex_destroy(&e->flush_lock);
	pthread_mutex_destroy(&e->open_list_lock);
	zk_bounce_destroy(&e->bounce);
	free(e->dirty);
	free(e->marks);
	if (e->snap_fd >= 0)
		close(e->snap_fd);
	free((void *)e->unchecked);
	free(e->open_conds);
	free(e->open_sizes);
	free(e);
	d->priv = NULL;
}

static int emu_open(struct zk_dev *d, const char *path, unsigned int flags)
{
	struct emu *e = calloc(1, sizeof(*e));
	int ret;

	if (!e)
		return -ENOMEM;
	d->priv = e;
	e->snap_fd = -1;
	e->oflags = flags & ZK_RDONLY ? O_RDONLY : O_RDWR;
	d->buffered = !(flags & ZK_DIRECT);
	zk_bounce_init(&e->bounce);
	pthread_mutex_init(&e->marks_lock, NULL);
	pthread_mutex_init(&e->flush_lock, NULL);
	pthread_mutex_init(&e->open_list_lock, NULL);
	e->dirfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (e->dirfd < 0) {
		ret = -errno;
		goto fail;
	}
	/* One writer at a time: two would each trust their own wp table. */
	if (!(flags & ZK_RDONLY) && flock(e->dirfd, LOCK_EX | LOCK_NB)) {
		ret = errno == EWOULDBLOCK ? -EBUSY : -errno;
		goto fail;
	}
	ret = load_geometry(d);
	if (!ret && (flags & ZK_DIRECT))
		ret = direct_io_setup(d);
	if (ret)
		goto fail;
	e->dirty = calloc((d->nr_zones + 63) / 64, sizeof(*e->dirty));
	ret = e->dirty ? slots_init(d) : -ENOMEM;
	if (!ret)
		ret = marks_load(d);
	if (ret)
		goto fail;
	snapshot_load(d);
	open_conds_load(d);
	return 0;
fail:
	emu_close(d);
	return ret;
}

/* A sequential zone's condition from its file size.  Which zones are
 * open is not in the files: a partly written zone is CLOSED here, as a
 * real device's after a power cycle, and the core's model keeps which
 * zones are open (keeps_conditions = false); while the device is opened,
 * the list saved at its last clean close says (open_conds.c). */
static int seq_zone_state(struct zk_dev *d, uint32_t z, uint64_t size,
			  struct zk_zone_state *st)
{
	uint64_t len = zk_zone_len(d, z), cap = zk_zone_cap(d, z);
	unsigned int mark;

	st->type = ZK_ZONE_SEQ_REQUIRED;
	st->wp = zk_zone_start(d, z) + size;
	if (size % d->geo.block_size || size > len || (size > cap && size != len))
		return -EUCLEAN;
	mark = marks_of(d, z);
	if (mark)
		st->cond = (uint8_t)mark;
	else if (size == cap || size == len)
		st->cond = ZK_COND_FULL;
	else if (size == 0)
		st->cond = ZK_COND_EMPTY;
	else
		st->cond = ZK_COND_CLOSED;
	st->cond = (uint8_t)open_conds_of(d, z, size, cap, st->cond);
	return 0;
}

/* A zone file's size, by stat(). */
static int zone_file_size(struct zk_dev *d, uint32_t z, uint64_t *size)
{
	struct emu *e = emu_of(d);
	char name[NAME_MAX_LEN];
	struct stat sb;

	*size = 0;
	zone_file_name(&d->geo, z, name);
	if (fstatat(e->dirfd, name, &sb, AT_SYMLINK_NOFOLLOW))
		return errno == ENOENT ? -EUCLEAN : -errno;
	if (!S_ISREG(sb.st_mode))
		return -EUCLEAN;
	*size = (uint64_t)sb.st_size;
	return 0;
}

static int emu_report(struct zk_dev *d, uint32_t first, uint32_t nr,
		      struct zk_zone_state *out)
{
	struct emu *e = emu_of(d);
	uint64_t *snap = NULL, size;
	int ret = 0;

	if (e->snap_fd >= 0) { /* opening: the sizes of the last clean close */
		snap = malloc((size_t)nr * 8);
		ret = snap ? snapshot_sizes(e, first, nr, snap) : -ENOMEM;
	}
	for (uint32_t i = 0; i < nr && !ret; i++) {
		uint32_t z = first + i;

		if (snap)
			size = snap[i];
		else
			ret = zone_file_size(d, z, &size);
		if (ret)
			break;
		if (zk_zone_is_conv(d, z)) {
			if (size != zk_zone_len(d, z))
				ret = -EUCLEAN;
			out[i].type = ZK_ZONE_CONVENTIONAL;
			out[i].cond = ZK_COND_NOT_WP;
			out[i].wp = 0;
			continue;
		}
		ret = seq_zone_state(d, z, size, &out[i]);
	}
	free(snap);
	return ret;
}

static int emu_zone_op(struct zk_dev *d, enum zk_op op, uint32_t z)
{
	struct fd_handle h;
	off_t size;
	int ret;

	ret = open_conds_drop(d);
	if (ret || op == ZK_OP_OPEN || op == ZK_OP_CLOSE)
		return ret; /* open/closed live in memory only */
	/* A finished zone's file holds its capacity, as zloop wants it (it
	 * refuses to attach a directory whose finished zones are longer);
	 * files of zone size, from earlier versions, still read as FULL. */
	size = op == ZK_OP_RESET ? 0 : (off_t)zk_zone_cap(d, z);
	ret = slot_get(d, z, &h);
	if (ret)
		return ret;
	if (ftruncate(h.fd, size))
		ret = -errno;
	slot_put(&h);
	if (!ret)
		mark_dirty(emu_of(d), z);
	return ret;
}

/* Every zone has been learnt: what only opening needed goes, and the
 * files that must not outlive this session's writes are deleted. */
static int emu_learnt(struct zk_dev *d)
{
	int ret = snapshot_forget(d);

	return ret ? ret : open_conds_forget(d);
}

/* A clean close of a writable device: what the next open may trust. */
static void emu_save(struct zk_dev *d, zk_state_fn *state)
{
	snapshot_save(d, state);
	open_conds_save(d, state);
}

const struct zk_backend_ops zk_emu_ops = {
	.kind = ZK_BACKEND_EMULATED,
	.name = "emulated",
	.open = emu_open,
	.close = emu_close,
	.report = emu_report,
	.zone_op = emu_zone_op,
	.pwritev = emu_pwritev,
	.pread = emu_pread,
	.flush = emu_flush,
	.io_get = emu_io_get,
	.io_put = emu_io_put,
	.rewind = emu_rewind,
	.learnt = emu_learnt,
	.save = emu_save,
	.set_cond = emu_set_cond,
	.keeps_conditions = false,
};
