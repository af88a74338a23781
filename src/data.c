/* SPDX-License-Identifier: MIT */
/* The synchronous data path below the API (data.h). */
#include "data.h"

#include <errno.h>

#include "engine.h"

static int conv_write(struct zk_dev *d, uint32_t z, struct zk_req *r)
{
	struct iovec iov = { .iov_base = (void *)r->buf, .iov_len = r->len };
	ssize_t ret;

	zk_assert_none_held(ZK_LOCK_STRIPE);
	ret = d->ops->pwritev(d, z, &iov, 1, r->off);

	if (ret >= 0 && (size_t)ret != r->len)
		ret = -EIO;
	if (ret < 0)
		return (int)ret;
	atomic_fetch_add_explicit(&d->stats.writes, 1, memory_order_relaxed);
	return 0;
}

int data_write(struct zk_dev *d, struct zk_req *r)
{
	uint64_t given = r->off;
	uint32_t z = zk_zone_of(d, given);
	int ret;

	if (r->kind == REQ_WRITE && zk_zone_is_conv(d, z))
		return conv_write(d, z, r);
	if (r->kind == REQ_APPEND)
		r->off = UINT64_MAX; /* the engine says where */
	ret = engine_write(d, z, r);
	if (ret)
		r->off = given;
	return ret;
}

ssize_t data_read(struct zk_dev *d, void *buf, size_t len, uint64_t off)
{
	size_t done = 0;

	zk_assert_none_held(ZK_LOCK_STRIPE);
	while (done < len) {
		uint32_t z = zk_zone_of(d, off + done);
		uint64_t zend = zk_zone_start(d, z) + zk_zone_len(d, z);
		size_t chunk = len - done < zend - (off + done) ?
			len - done : (size_t)(zend - (off + done));
		ssize_t n;

		if (!data_readable(d, z))
			return -EIO;
		n = d->ops->pread(d, z, (char *)buf + done, chunk, off + done);
		if (n < 0)
			return n;
		done += chunk;
	}
	return (ssize_t)len;
}

void data_run(struct zk_dev *d, struct zk_req *r)
{
	ssize_t ret;

	if (r->kind == REQ_READ)
		ret = data_read(d, (void *)r->buf, r->len, r->off);
	else
		ret = data_write(d, r);
	r->result = ret < 0 ? (int)ret : 0;
}
