/* SPDX-License-Identifier: MIT */
/*
 * The requests of a zoned ublk device, each through the library.
 *
 * Data moves by user copy: the bytes of request (queue, tag) are at a file
 * offset of /dev/ublkcN that names them; a write's data is read from
 * there, a read's or a zone report's written there.  Results are what the
 * kernel expects: the byte count of a read or write, 0 for a zone
 * operation or flush, a negative errno for a failure, which the kernel
 * turns into the submitter's error (-EIO for a write off the wp,
 * -ETOOMANYREFS and -EOVERFLOW for the open and active limits).
 */
#include <errno.h>
#include <linux/blkzoned.h>
#include <string.h>
#include <unistd.h>

#include "server.h"

#define SECTOR_SHIFT 9

static off_t user_copy_pos(uint16_t q_id, uint16_t tag)
{
	return (off_t)(UBLKSRV_IO_BUF_OFFSET + ((uint64_t)q_id << UBLK_QID_OFF) +
		       ((uint64_t)tag << UBLK_TAG_OFF));
}

static void count(struct srv *s, enum srv_counter c)
{
	atomic_fetch_add_explicit(&s->stats.requests[c], 1, memory_order_relaxed);
}

static void add_bytes(atomic_uint_fast64_t *ctr, uint64_t n)
{
	atomic_fetch_add_explicit(ctr, n, memory_order_relaxed);
}

/* The request's data into @buf (a write or an append). */
static int copy_in(struct srv *s, uint16_t q_id, uint16_t tag, void *buf, size_t len)
{
	ssize_t n = pread(s->cdev_fd, buf, len, user_copy_pos(q_id, tag));

	if (n < 0)
		return -errno;
	return (size_t)n == len ? 0 : -EIO;
}

/* @buf to the request's buffer (a read or a zone report). */
static int copy_out(struct srv *s, uint16_t q_id, uint16_t tag, const void *buf, size_t len)
{
	ssize_t n = pwrite(s->cdev_fd, buf, len, user_copy_pos(q_id, tag));

	if (n < 0)
		return -errno;
	return (size_t)n == len ? 0 : -EIO;
}

static int32_t do_read(struct srv *s, uint16_t q_id, uint16_t tag,
		       uint64_t ofs, size_t len, void *buf)
{
	ssize_t n = zk_pread(s->dev, buf, len, ofs);
	int ret;

	if (n < 0)
		return (int32_t)n;
	if ((size_t)n != len)
		return -EIO;
	ret = copy_out(s, q_id, tag, buf, len);
	if (ret)
		return ret;
	add_bytes(&s->stats.bytes_read, len);
	return (int32_t)len;
}

static int32_t do_write(struct srv *s, uint16_t q_id, uint16_t tag,
			uint64_t ofs, size_t len, void *buf)
{
	ssize_t n;
	int ret = copy_in(s, q_id, tag, buf, len);

	if (ret)
		return ret;
	n = zk_pwrite(s->dev, buf, len, ofs);
	if (n < 0)
		return (int32_t)n;
	if ((size_t)n != len)
		return -EIO;
	add_bytes(&s->stats.bytes_written, len);
	return (int32_t)len;
}

static int32_t do_append(struct srv *s, uint16_t q_id, uint16_t tag,
			 uint64_t zone_start, size_t len, void *buf, uint64_t *lba)
{
	uint64_t landed;
	int ret = copy_in(s, q_id, tag, buf, len);

	if (ret)
		return ret;
	ret = zk_append(s->dev, zone_start, buf, len, &landed);
	if (ret)
		return ret;
	*lba = landed >> SECTOR_SHIFT;
	add_bytes(&s->stats.bytes_written, len);
	return (int32_t)len;
}

/* zonekit's zones as the kernel's struct blk_zone, in 512-byte sectors. */
static void to_blk_zone(const struct zk_zone *z, struct blk_zone *bz)
{
	memset(bz, 0, sizeof(*bz));
	bz->start = z->start >> SECTOR_SHIFT;
	bz->len = z->len >> SECTOR_SHIFT;
	bz->wp = z->wp >> SECTOR_SHIFT;
	bz->type = z->type;
	bz->cond = z->cond;
	bz->capacity = z->capacity >> SECTOR_SHIFT;
}

/*
 * The kernel asks for nr_zones zones from start_sector into a zeroed
 * buffer and stops reading at the first zone of length 0.  The result must
 * cover the whole buffer, whose size the descriptor does not give (the
 * last request of a long report has a buffer larger than its zones): any
 * result past the buffer's end is taken as "all of it", so answer the
 * largest buffer there can be.
 */
static int32_t do_report(struct srv *s, uint16_t q_id, uint16_t tag,
			 uint64_t ofs, unsigned int want, void *buf,
			 struct zk_zone *zones)
{
	struct blk_zone *bz = buf;
	unsigned int nr = want;
	int ret;

	if (nr > SRV_IO_BUF_BYTES / sizeof(*bz))
		nr = SRV_IO_BUF_BYTES / sizeof(*bz);
	ret = zk_report(s->dev, ofs, zones, &nr);
	if (ret)
		return ret;
	for (unsigned int i = 0; i < nr; i++)
		to_blk_zone(&zones[i], &bz[i]);
	ret = copy_out(s, q_id, tag, bz, nr * sizeof(*bz));
	if (ret)
		return ret;
	return SRV_IO_BUF_BYTES;
}

/* A zone operation on the zone containing @ofs (every zone is zone_size
 * long: srv_start refuses a smaller last zone). */
static int32_t do_zone_op(struct srv *s, enum zk_op op, uint64_t ofs)
{
	uint64_t zone = ofs & ~(s->info.zone_size - 1);

	return zk_zone_op(s->dev, op, zone, s->info.zone_size);
}

static int32_t dispatch(struct srv *s, uint16_t q_id, uint16_t tag,
			const struct ublksrv_io_desc *iod, void *buf,
			struct zk_zone *zones, uint64_t *lba)
{
	uint64_t ofs = iod->start_sector << SECTOR_SHIFT;
	size_t len = (size_t)iod->nr_sectors << SECTOR_SHIFT;

	switch (iod->op_flags & 0xff) {
	case UBLK_IO_OP_READ:
		count(s, SRV_READ);
		return len > SRV_IO_BUF_BYTES ? -EINVAL : do_read(s, q_id, tag, ofs, len, buf);
	case UBLK_IO_OP_WRITE:
		count(s, SRV_WRITE);
		return len > SRV_IO_BUF_BYTES ? -EINVAL : do_write(s, q_id, tag, ofs, len, buf);
	case UBLK_IO_OP_ZONE_APPEND:
		count(s, SRV_APPEND);
		return len > SRV_IO_BUF_BYTES ? -EINVAL : do_append(s, q_id, tag, ofs, len, buf, lba);
	case UBLK_IO_OP_REPORT_ZONES:
		count(s, SRV_REPORT);
		/* the descriptor's nr_sectors field holds the number of zones */
		return do_report(s, q_id, tag, ofs, iod->nr_sectors, buf, zones);
	case UBLK_IO_OP_FLUSH:
		count(s, SRV_FLUSH);
		return zk_flush(s->dev);
	case UBLK_IO_OP_ZONE_OPEN:
		count(s, SRV_OPEN);
		return do_zone_op(s, ZK_OP_OPEN, ofs);
	case UBLK_IO_OP_ZONE_CLOSE:
		count(s, SRV_CLOSE);
		return do_zone_op(s, ZK_OP_CLOSE, ofs);
	case UBLK_IO_OP_ZONE_FINISH:
		count(s, SRV_FINISH);
		return do_zone_op(s, ZK_OP_FINISH, ofs);
	case UBLK_IO_OP_ZONE_RESET:
		count(s, SRV_RESET);
		return do_zone_op(s, ZK_OP_RESET, ofs);
	case UBLK_IO_OP_ZONE_RESET_ALL:
		count(s, SRV_RESET_ALL);
		/* offset 0 and the whole capacity: the ALL form of zk_zone_op */
		return zk_zone_op(s->dev, ZK_OP_RESET, 0, s->info.capacity);
	default:
		/* discard and write zeroes are not advertised */
		count(s, SRV_OTHER);
		return -EOPNOTSUPP;
	}
}

int32_t srv_handle(struct srv *s, uint16_t q_id, uint16_t tag,
		   const struct ublksrv_io_desc *iod, void *buf,
		   struct zk_zone *zones, uint64_t *append_lba)
{
	int32_t ret = dispatch(s, q_id, tag, iod, buf, zones, append_lba);

	if (ret < 0)
		atomic_fetch_add_explicit(&s->stats.errors, 1, memory_order_relaxed);
	return ret;
}
