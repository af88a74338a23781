/* SPDX-License-Identifier: MIT */
/*
 * The Linux zoned block device backend: zones through the ioctls of
 * <linux/blkzoned.h>, data through pread/pwritev on an O_DIRECT descriptor.
 *
 * O_DIRECT because a zoned device checks each write against the zone's wp
 * when the write reaches it: through the page cache a write off the wp
 * "succeeds" and its error turns up at some later fsync, too late to tell
 * the caller, and a failed write could not be re-learnt at once.
 *
 * O_DIRECT wants buffer addresses and lengths aligned to the logical block.
 * Lengths always are (the core checks them); callers' buffers come from
 * malloc and are not, so such data is copied through bounce buffers
 * (io_util.c).
 *
 * Geometry: zonekit models a device as conventional zones first, then
 * sequential zones of one type that all share one zone capacity (a smaller
 * last zone may have less: min(capacity, its length)).  A device that does
 * not fit is refused with -EOPNOTSUPP at open rather than half supported.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/blkzoned.h>
#include <linux/fs.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "device.h"
#include "io_util.h"

#define SECTOR_SHIFT 9
#define REPORT_CHUNK 256 /* zones asked of the kernel per BLKREPORTZONE */

struct blkdev {
	int fd;
	dev_t rdev;
	struct zk_bounce_pool bounce;
};

static struct blkdev *bd_of(struct zk_dev *d) { return d->priv; }

/* ---- sysfs: /sys/dev/block/MAJ:MIN/queue/ATTR ---- */

static int sysfs_read(dev_t rdev, const char *attr, char *buf, size_t size)
{
	char path[128];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/sys/dev/block/%u:%u/queue/%s",
		 major(rdev), minor(rdev), attr);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, size - 1);
	close(fd);
	if (n < 0)
		return -errno;
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
		n--;
	buf[n] = '\0';
	return 0;
}

/* A number attribute; one the kernel does not have yet (max_active_zones
 * came in 5.9) reads as 0, which zonekit takes as "no limit". */
static int sysfs_u64(dev_t rdev, const char *attr, uint64_t *val)
{
	char buf[32], *end;
	int ret = sysfs_read(rdev, attr, buf, sizeof(buf));

	*val = 0;
	if (ret == -ENOENT)
		return 0;
	if (ret)
		return ret;
	errno = 0;
	*val = strtoull(buf, &end, 10);
	return errno || end == buf || *end ? -EIO : 0;
}

static int zoned_model(dev_t rdev, uint8_t *seq_type)
{
	char buf[32];
	int ret = sysfs_read(rdev, "zoned", buf, sizeof(buf));

	if (ret == -ENOENT) /* a partition (zoned disks have none) or no queue */
		return -ENODEV;
	if (ret)
		return ret;
	if (!strcmp(buf, "host-managed"))
		*seq_type = ZK_ZONE_SEQ_REQUIRED;
	else if (!strcmp(buf, "host-aware"))
		*seq_type = ZK_ZONE_SEQ_PREFERRED;
	else
		return -ENODEV;
	return 0;
}

/* ---- zone reports ---- */

/* Room for a report of @nr zones, at most REPORT_CHUNK at a time. */
static uint32_t report_room(uint32_t nr)
{
	return nr < REPORT_CHUNK ? nr : REPORT_CHUNK;
}

static struct blk_zone_report *report_alloc(uint32_t room)
{
	return malloc(sizeof(struct blk_zone_report) +
		      room * sizeof(struct blk_zone));
}

/* Report up to @want zones from the one starting at @sector into @rep,
 * whose room is @room zones.  Returns how many came (the kernel may give
 * fewer than asked) or -errno. */
static int fetch_zones(int fd, uint64_t sector, uint32_t want, uint32_t room,
		       struct blk_zone_report *rep)
{
	int ret;

	memset(rep, 0, sizeof(*rep));
	rep->sector = sector;
	rep->nr_zones = want < room ? want : room;
	do
		ret = ioctl(fd, BLKREPORTZONE, rep);
	while (ret && errno == EINTR);
	if (ret)
		return -errno;
	if (!rep->nr_zones || rep->zones[0].start != sector)
		return -EIO; /* no zone there: the device shrank */
	return (int)rep->nr_zones;
}

static uint64_t zone_cap_sectors(const struct blk_zone_report *rep,
				 const struct blk_zone *bz)
{
	/* Kernels before 5.9 have no capacity field: the zone is all usable. */
	return rep->flags & BLK_ZONE_REP_CAPACITY ? bz->capacity : bz->len;
}

/* A condition zonekit knows for a sequential zone. */
static bool cond_known(unsigned int cond)
{
	return zk_cond_is_writable(cond) || cond == ZK_COND_READONLY ||
	       cond == ZK_COND_FULL || cond == ZK_COND_OFFLINE;
}

static void zone_state_of(const struct blk_zone *bz, struct zk_zone_state *st)
{
	st->type = bz->type;
	if (bz->type == BLK_ZONE_TYPE_CONVENTIONAL) {
		st->cond = ZK_COND_NOT_WP;
		st->wp = 0; /* conventional zones have no wp (often ~0) */
		return;
	}
	/* A condition newer than this code: take the zone out of use rather
	 * than guess where its wp is. */
	st->cond = cond_known(bz->cond) ? bz->cond : ZK_COND_OFFLINE;
	st->wp = bz->wp << SECTOR_SHIFT;
}

static int bd_report(struct zk_dev *d, uint32_t first, uint32_t nr,
		     struct zk_zone_state *out)
{
	uint32_t room = report_room(nr), done = 0;
	struct blk_zone_report *rep = report_alloc(room);
	int got = 0;

	if (!rep)
		return -ENOMEM;
	while (done < nr) {
		got = fetch_zones(bd_of(d)->fd,
				  zk_zone_start(d, first + done) >> SECTOR_SHIFT,
				  nr - done, room, rep);
		if (got < 0)
			break;
		for (int i = 0; i < got && done < nr; i++, done++)
			zone_state_of(&rep->zones[i], &out[done]);
	}
	free(rep);
	return got < 0 ? got : 0;
}

/* ---- geometry ---- */

/* Check one zone against zonekit's model of a device: conventional zones
 * first (counted in nr_conv_zones), then sequential zones of one type (the
 * core reports one d->seq_type) and one capacity (the core keeps one
 * zone_capacity; a smaller last zone has min(zone_capacity, its length),
 * which the core derives itself).  *seq_cap: that capacity in sectors, 0
 * until the first sequential zone. */
static int check_zone(struct zk_dev *d, uint32_t z, const struct blk_zone *bz,
		      uint64_t cap, uint64_t *seq_cap)
{
	uint64_t zone_sect = d->geo.zone_size >> SECTOR_SHIFT;
	uint64_t dev_sect = d->geo.capacity >> SECTOR_SHIFT;
	uint64_t start = z * zone_sect;
	uint64_t len = dev_sect - start < zone_sect ? dev_sect - start : zone_sect;

	if (bz->start != start || bz->len != len)
		return -EOPNOTSUPP;
	if (bz->type == BLK_ZONE_TYPE_CONVENTIONAL) {
		if (z != d->geo.nr_conv_zones)
			return -EOPNOTSUPP; /* after a sequential zone */
		d->geo.nr_conv_zones++;
		return 0;
	}
	if (bz->type != d->seq_type || !cap)
		return -EOPNOTSUPP;
	if (!*seq_cap)
		*seq_cap = cap;
	return cap == (*seq_cap < len ? *seq_cap : len) ? 0 : -EOPNOTSUPP;
}

/* Walk every zone: the number of conventional zones and the capacity of
 * the sequential ones.  A device zonekit cannot describe is refused. */
static int learn_zone_layout(struct zk_dev *d, int fd, uint32_t nr_zones)
{
	uint64_t zone_sect = d->geo.zone_size >> SECTOR_SHIFT, seq_cap = 0;
	uint32_t room = report_room(nr_zones), z = 0;
	struct blk_zone_report *rep = report_alloc(room);
	int ret = 0;

	if (!rep)
		return -ENOMEM;
	d->geo.nr_conv_zones = 0;
	while (z < nr_zones && !ret) {
		int got = fetch_zones(fd, z * zone_sect, nr_zones - z, room, rep);

		if (got < 0)
			ret = got;
		for (int i = 0; i < got && z < nr_zones && !ret; i++, z++)
			ret = check_zone(d, z, &rep->zones[i],
					 zone_cap_sectors(rep, &rep->zones[i]),
					 &seq_cap);
	}
	free(rep);
	if (!ret)
		d->geo.zone_capacity = seq_cap ? seq_cap << SECTOR_SHIFT :
						 d->geo.zone_size;
	return ret;
}

/* The limits; zone_append_max_bytes is rounded down to the block because
 * zonekit's geometry wants a whole number of blocks. */
static int read_limits(struct zk_geometry *g, dev_t rdev)
{
	uint64_t lbs, max_open, max_active, max_append;
	int ret = sysfs_u64(rdev, "logical_block_size", &lbs);

	if (!ret)
		ret = sysfs_u64(rdev, "max_open_zones", &max_open);
	if (!ret)
		ret = sysfs_u64(rdev, "max_active_zones", &max_active);
	if (!ret)
		ret = sysfs_u64(rdev, "zone_append_max_bytes", &max_append);
	if (ret)
		return ret;
	if (lbs != 512 && lbs != 4096)
		return -EOPNOTSUPP; /* the only block sizes zonekit models */
	if (max_open > UINT32_MAX || max_active > UINT32_MAX)
		return -EIO;
	g->block_size = (uint32_t)lbs;
	g->max_open = (uint32_t)max_open;
	g->max_active = (uint32_t)max_active;
	g->max_append = max_append - max_append % lbs;
	return 0;
}

/* ZBC and ZAC disks want sequential writes in whole physical blocks (a
 * 512e disk refuses 512 bytes); the kernel says so in
 * zone_write_granularity (5.16 on) but leaves it to the disk to refuse. */
static int read_write_granularity(struct zk_dev *d, dev_t rdev)
{
	uint64_t gran;

	if (sysfs_u64(rdev, "zone_write_granularity", &gran))
		gran = d->geo.block_size; /* an older kernel: no such limit */
	if (gran < d->geo.block_size || gran > 1u << 20 ||
	    gran % d->geo.block_size || gran & (gran - 1))
		return -EOPNOTSUPP;
	d->write_gran = (uint32_t)gran;
	d->geo.max_append -= d->geo.max_append % gran; /* whole granules */
	return 0;
}

static int read_geometry(struct zk_dev *d, struct blkdev *b)
{
	struct zk_geometry *g = &d->geo;
	uint32_t zone_sect = 0, nr_zones = 0;
	uint64_t bytes = 0;
	int ret;

	if (ioctl(b->fd, BLKGETSIZE64, &bytes) ||
	    ioctl(b->fd, BLKGETZONESZ, &zone_sect) ||
	    ioctl(b->fd, BLKGETNRZONES, &nr_zones))
		return -errno;
	if (!zone_sect || !nr_zones)
		return -ENODEV;
	memset(g, 0, sizeof(*g));
	g->capacity = bytes;
	g->zone_size = (uint64_t)zone_sect << SECTOR_SHIFT;
	/* zonekit derives the zone count from capacity and zone size. */
	if (nr_zones != (bytes + g->zone_size - 1) / g->zone_size)
		return -EOPNOTSUPP;
	ret = read_limits(g, b->rdev);
	if (!ret)
		ret = read_write_granularity(d, b->rdev);
	return ret ? ret : learn_zone_layout(d, b->fd, nr_zones);
}

/* ---- open / close ---- */

static int bd_open(struct zk_dev *d, const char *path, unsigned int flags)
{
	struct blkdev *b = calloc(1, sizeof(*b));
	struct stat sb;
	int oflags, ret;

	if (!b)
		return -ENOMEM;
	d->priv = b;
	zk_bounce_init(&b->bounce);
	/* One writer at a time, as on the emulated device: O_EXCL claims the
	 * device, so another O_EXCL opener or a mount gets EBUSY.  Plain opens
	 * (blkzone --force, readers) still work. */
	oflags = flags & ZK_RDONLY ? O_RDONLY : O_RDWR | O_EXCL;
	b->fd = open(path, oflags | O_DIRECT | O_CLOEXEC);
	if (b->fd < 0) {
		ret = -errno;
		goto fail;
	}
	if (fstat(b->fd, &sb)) {
		ret = -errno;
		goto fail;
	}
	if (!S_ISBLK(sb.st_mode)) {
		ret = -ENOTBLK;
		goto fail;
	}
	b->rdev = sb.st_rdev;
	ret = zoned_model(b->rdev, &d->seq_type);
	if (!ret)
		ret = read_geometry(d, b);
	if (ret)
		goto fail;
	return 0;
fail:
	d->ops->close(d);
	return ret;
}

static void bd_close(struct zk_dev *d)
{
	struct blkdev *b = bd_of(d);

	if (!b)
		return;
	if (b->fd >= 0)
		close(b->fd);
	zk_bounce_destroy(&b->bounce);
	free(b);
	d->priv = NULL;
}

/* ---- zone operations ---- */

static int bd_zone_op(struct zk_dev *d, enum zk_op op, uint32_t z)
{
	struct blk_zone_range range = {
		.sector = zk_zone_start(d, z) >> SECTOR_SHIFT,
		.nr_sectors = zk_zone_len(d, z) >> SECTOR_SHIFT,
	};
	unsigned long req;
	int ret;

	switch (op) {
	case ZK_OP_RESET:
		req = BLKRESETZONE;
		break;
	case ZK_OP_OPEN:
		req = BLKOPENZONE;
		break;
	case ZK_OP_CLOSE:
		req = BLKCLOSEZONE;
		break;
	case ZK_OP_FINISH:
		req = BLKFINISHZONE;
		break;
	default:
		return -EINVAL;
	}
	do
		ret = ioctl(bd_of(d)->fd, req, &range);
	while (ret && errno == EINTR);
	return ret ? -errno : 0;
}

/* ---- data ---- */

static ssize_t bd_pwritev(struct zk_dev *d, uint32_t z, const struct iovec *iov,
			  int iovcnt, uint64_t off)
{
	struct blkdev *b = bd_of(d);
	size_t total = 0, done;
	int err;

	for (int i = 0; i < iovcnt; i++)
		total += iov[i].iov_len;
	/* The kernel would let a write run into the next zone; never. */
	if (off < zk_zone_start(d, z) ||
	    off + total > zk_zone_start(d, z) + zk_zone_len(d, z) ||
	    (total & (d->geo.block_size - 1)) || (off & (d->geo.block_size - 1)))
		return -EINVAL;
	/* Any error is returned as such, even after part of the data went
	 * in: the core then re-learns the zone's wp to see how much did. */
	if (zk_iov_aligned(iov, iovcnt, d->geo.block_size, d->geo.block_size))
		done = zk_pwritev_full(b->fd, iov, iovcnt, off, &err);
	else
		done = zk_pwritev_bounced(&b->bounce, b->fd, iov, iovcnt, off,
					  &err);
	return err ? err : (ssize_t)done;
}

/* Bytes past the wp come back as the device has them (null_blk 0xff,
 * NVMe ZNS zeros): the core documents zeros only for the emulated device. */
static ssize_t bd_pread(struct zk_dev *d, uint32_t z, void *buf, size_t len,
			uint64_t off)
{
	struct blkdev *b = bd_of(d);
	struct iovec v = { .iov_base = buf, .iov_len = len };

	(void)z;
	if (zk_iov_aligned(&v, 1, d->geo.block_size, d->geo.block_size))
		return zk_pread_full(b->fd, buf, len, off, false);
	return zk_pread_bounced(&b->bounce, b->fd, buf, len, off, false);
}

/* Empties the device's volatile write cache (a block device's fdatasync
 * is a cache flush). */
static int bd_flush(struct zk_dev *d)
{
	return fdatasync(bd_of(d)->fd) ? -errno : 0;
}

/* ---- the io_uring path: O_DIRECT straight from the caller's buffers when
 * they allow it; otherwise the core takes pwritev/pread (bounced). ---- */

static int bd_io_get(struct zk_dev *d, uint32_t z, uint64_t off,
		     const struct iovec *iov, int iovcnt, bool write,
		     struct zk_io_ref *ref)
{
	(void)z, (void)write;
	if (!zk_iov_aligned(iov, iovcnt, d->geo.block_size, d->geo.block_size))
		return -EOPNOTSUPP;
	ref->fd = bd_of(d)->fd;
	ref->foff = off;
	ref->token = NULL;
	return 0;
}

static ssize_t bd_io_put(struct zk_dev *d, uint32_t z, struct zk_io_ref *ref,
			 ssize_t res, size_t total, bool write)
{
	(void)d, (void)z, (void)ref, (void)total, (void)write;
	return res;
}

const struct zk_backend_ops zk_blkdev_ops = {
	.kind = ZK_BACKEND_BLKDEV,
	.name = "blkdev",
	.io_get = bd_io_get,
	.io_put = bd_io_put,
	.open = bd_open,
	.close = bd_close,
	.report = bd_report,
	.zone_op = bd_zone_op,
	.pwritev = bd_pwritev,
	.pread = bd_pread,
	.flush = bd_flush,
	.set_cond = NULL, /* real devices cannot be told: -EOPNOTSUPP */
	/* QEMU ZNS, for one, closes an explicitly open empty zone to CLOSED
	 * where null_blk (zonekit's model) makes it EMPTY: ask the device. */
	.keeps_conditions = true,
};
