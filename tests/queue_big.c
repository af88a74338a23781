/* SPDX-License-Identifier: MIT */
/*
 * Queue I/O longer than one io_uring read or write can carry.
 *
 * The kernel moves at most 2 GiB - 4 KiB (MAX_RW_COUNT) in one read or
 * write.  A queue read longer than that used to come back short from the
 * ring and have the rest taken for bytes past the wp (zeros), reported as
 * a success; a queue append that long failed with EIO after leaving 2 GiB
 * of its data in the zone.  On a device with 4 GiB zones: a queue read of
 * 2 GiB + 8 KiB of a conventional zone whose last blocks hold data, and a
 * queue append of 2 GiB + 4 KiB, through the ring (ZK_QUEUE_NO_INLINE).
 */
#include <sys/mman.h>

#include "testlib.h"

#define BS 4096u
#define ZONE (4ULL << 30)
#define BIG ((2ULL << 30) + 2 * BS)

static uint8_t *big_buffer(void)
{
	void *p = mmap(NULL, BIG, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

	if (p == MAP_FAILED)
		t_skip("no memory for a %llu-byte buffer", BIG);
	return p;
}

int main(void)
{
	struct zk_geometry geo = { .capacity = 2 * ZONE, .zone_size = ZONE,
				   .nr_conv_zones = 1, .block_size = BS };
	uint8_t *buf = big_buffer(), *tail = t_aligned(2 * BS);
	struct zk_queue *q;
	struct zk_cqe c;
	struct tdev t;

	t_dev_create(&t, &geo);
	T_OK(zk_queue_init(t.dev, 4, ZK_QUEUE_NO_INLINE, &q));
	if (strcmp(zk_queue_engine(q), "io_uring"))
		t_skip("no io_uring here (engine %s)", zk_queue_engine(q));

	t_ctx("queue read of %llu bytes", BIG);
	T_WRITE(t.dev, BIG - 2 * BS, 2 * BS, 7);
	T_OK(zk_queue_read(q, buf, BIG, 0, 1));
	T_RET(zk_queue_reap(q, &c, 1, 1), 1);
	T_RET(c.res, (long long)BIG);
	if (t_pat_find_bad(buf + BIG - 2 * BS, 2 * BS, BIG - 2 * BS, 7) >= 0)
		T_FAIL("the last 8 KiB of the read are not the data written there");

	t_ctx("queue append of %llu bytes", BIG - BS);
	t_pat_fill(buf + BIG - 2 * BS, BS, ZONE + BIG - 2 * BS, 9);
	T_OK(zk_queue_append(q, ZONE, buf, BIG - BS, 2));
	T_RET(zk_queue_reap(q, &c, 1, 1), 1);
	T_RET(c.res, (long long)(BIG - BS));
	T_EQ(c.offset, ZONE);
	T_ZCHECK(t.dev, ZONE, ZK_COND_IMP_OPEN, ZONE + BIG - BS);
	T_RET(zk_pread(t.dev, tail, BS, ZONE + BIG - 2 * BS), BS);
	if (t_pat_find_bad(tail, BS, ZONE + BIG - 2 * BS, 9) >= 0)
		T_FAIL("the append's last block is not where it landed");

	zk_queue_exit(q);
	munmap(buf, BIG);
	free(tail);
	t_dev_close(&t);
	return T_EXIT_PASS;
}
