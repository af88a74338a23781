/* SPDX-License-Identifier: MIT */
/* Argument checks shared by every entry point that writes or reads. */
#include "check.h"

#include <errno.h>

#include "device.h"

int zk_check_write(struct zk_dev *d, size_t len, uint64_t off)
{
	uint32_t z;

	if (d->flags & ZK_RDONLY)
		return -EBADF;
	if (!len || len % d->geo.block_size || off % d->geo.block_size)
		return -EINVAL;
	if (off >= d->geo.capacity || len > d->geo.capacity - off)
		return -EINVAL;
	z = zk_zone_of(d, off);
	if (off + len > zk_zone_start(d, z) + zk_zone_len(d, z))
		return -EINVAL; /* the kernel lets it span zones; we do not */
	return 0;
}

int zk_check_append(struct zk_dev *d, uint64_t zone_start, size_t len)
{
	uint32_t z;

	if (d->flags & ZK_RDONLY)
		return -EBADF;
	if (zone_start >= d->geo.capacity ||
	    (zone_start & (d->geo.zone_size - 1)))
		return -EINVAL;
	if (!len || len % d->geo.block_size)
		return -EINVAL;
	if (d->geo.max_append && len > d->geo.max_append)
		return -EINVAL;
	z = zk_zone_of(d, zone_start);
	if (zk_zone_is_conv(d, z))
		return -EIO;
	/* Longer than the zone: it would cross the capacity wherever the wp
	 * is, so the kernel's answer, EIO (blk_check_zone_append). */
	if (len > zk_zone_len(d, z))
		return -EIO;
	return 0;
}

int zk_check_read(struct zk_dev *d, size_t len, uint64_t off)
{
	if (!len || len % d->geo.block_size || off % d->geo.block_size)
		return -EINVAL;
	if (off >= d->geo.capacity || len > d->geo.capacity - off)
		return -EINVAL;
	return 0;
}
