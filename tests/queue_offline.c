/* SPDX-License-Identifier: MIT */
/*
 * A queue read of an OFFLINE zone fails with EIO, as zk_pread() does, on
 * both engines (the io_uring engine used to read the zone's file and
 * report success).  A read spanning into an offline zone fails too, and
 * reads of the zones around it still work.
 */
#include "testlib.h"

#define BS 4096u

static long long queue_read(unsigned int flags, void *buf, size_t len,
			    uint64_t off, struct tdev *t)
{
	struct zk_queue *q;
	struct zk_cqe c;

	T_OK(zk_queue_init(t->dev, 4, flags, &q));
	T_OK(zk_queue_read(q, buf, len, off, 1));
	T_RET(zk_queue_reap(q, &c, 1, 1), 1);
	zk_queue_exit(q);
	return c.res;
}

int main(void)
{
	static const unsigned int engines[] = { 0, ZK_QUEUE_THREADS };
	struct zk_geometry geo;
	uint8_t *buf = t_aligned(4 * BS);
	struct tdev t;
	uint64_t z;

	t_geo_default(&geo);
	t_dev_create(&t, &geo);
	z = t_zstart(&t, 4);
	T_APPEND(t.dev, z, 2 * BS, 3, z);
	T_APPEND(t.dev, z - t.info.zone_size, 2 * BS, 3, z - t.info.zone_size);
	T_OK(zk_set_zone_cond(t.dev, z, ZK_COND_OFFLINE));
	T_RET(zk_pread(t.dev, buf, BS, z), -EIO);
	for (size_t i = 0; i < sizeof(engines) / sizeof(engines[0]); i++) {
		t_ctx("engine flags %u", engines[i]);
		T_RET(queue_read(engines[i], buf, BS, z, &t), -EIO);
		T_RET(queue_read(engines[i], buf, 2 * BS, z - BS, &t), -EIO);
		T_RET(queue_read(engines[i], buf, 2 * BS,
				 z - t.info.zone_size, &t), 2 * BS);
	}
	t_dev_close(&t);
	free(buf);
	return T_EXIT_PASS;
}
