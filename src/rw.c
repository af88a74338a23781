/* SPDX-License-Identifier: MIT */
/* The synchronous data calls: zk_pwrite, zk_append, zk_pread. */
#include <errno.h>

#include "check.h"
#include "compiler.h"
#include "data.h"
#include "engine.h"

ZK_EXPORT ssize_t zk_pwrite(struct zk_dev *d, const void *buf, size_t len,
			    uint64_t off)
{
	struct zk_req r = { .kind = REQ_WRITE, .buf = buf, .len = len, .off = off };
	int ret;

	if (!d || !buf)
		return -EINVAL;
	ret = zk_check_write(d, len, off);
	if (!ret)
		ret = data_write(d, &r);
	return ret ? ret : (ssize_t)len;
}

ZK_EXPORT int zk_append(struct zk_dev *d, uint64_t zone_start, const void *buf,
			size_t len, uint64_t *landed)
{
	struct zk_req r = { .kind = REQ_APPEND, .buf = buf, .len = len };
	int ret;

	if (!d || !buf || !landed)
		return -EINVAL;
	ret = zk_check_append(d, zone_start, len);
	if (ret)
		return ret;
	/* Straight to the engine (data_write() without the look for a
	 * conventional zone, which zk_check_append() refused). */
	r.off = UINT64_MAX;
	ret = engine_write(d, zk_zone_of(d, zone_start), &r);
	if (!ret)
		*landed = r.off;
	return ret;
}

ZK_EXPORT ssize_t zk_pread(struct zk_dev *d, void *buf, size_t len, uint64_t off)
{
	int ret;

	if (!d || !buf)
		return -EINVAL;
	ret = zk_check_read(d, len, off);
	return ret ? ret : data_read(d, buf, len, off);
}
