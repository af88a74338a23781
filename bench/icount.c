/* SPDX-License-Identifier: MIT */
/*
 * icount: the work zonekit adds to one operation, for callgrind to count.
 *
 *   icount MODE DIR [OPS]
 *
 * Makes an emulated device in DIR (which must not exist, or be empty) and
 * does OPS operations of 4 KiB (default 20000) of one kind:
 *
 *   append        zk_append() to one zone, one thread (uncontended)
 *   pwrite        zk_pwrite() at the wp of one zone, one thread
 *   queue-append  zk_queue_append() + zk_queue_reap() of one request at a
 *                 time, one thread, the io_uring engine (buffered writes
 *                 of a queue go out from this thread: the inline path)
 *   raw-pwrite    pwrite() of the same bytes to the same zone file: the
 *                 system call zonekit wraps
 *
 * Run under valgrind --tool=callgrind --toggle-collect=FUNCTION, where
 * FUNCTION is the call measured (bench/icount.sh does it): the count is
 * the user-space instructions inside that call, the system call's own
 * time not counted, so it is the same on a busy machine.  Each mode runs
 * its calls in a function of its own name (measure_*) so that the toggle
 * may also be set on the whole loop.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "zonekit.h"

#define OP_SIZE 4096u
#define ZONE_SIZE (256ull << 20)

static void die(const char *what, int err)
{
	fprintf(stderr, "icount: %s: %s\n", what, zk_strerror(err));
	exit(1);
}

/* Kept apart so that callgrind can count each loop as a whole. */
__attribute__((noinline)) static void measure_append(struct zk_dev *dev,
						     const void *buf, long ops)
{
	uint64_t landed;

	for (long i = 0; i < ops; i++) {
		int ret = zk_append(dev, ZONE_SIZE, buf, OP_SIZE, &landed);

		if (ret)
			die("zk_append", ret);
	}
}

__attribute__((noinline)) static void measure_pwrite(struct zk_dev *dev,
						     const void *buf, long ops)
{
	for (long i = 0; i < ops; i++) {
		ssize_t ret = zk_pwrite(dev, buf, OP_SIZE,
					ZONE_SIZE + (uint64_t)i * OP_SIZE);

		if (ret != OP_SIZE)
			die("zk_pwrite", ret < 0 ? (int)ret : -EIO);
	}
}

__attribute__((noinline)) static void measure_queue_append(struct zk_queue *q,
							   const void *buf,
							   long ops)
{
	struct zk_cqe cqe;

	for (long i = 0; i < ops; i++) {
		int ret = zk_queue_append(q, ZONE_SIZE, buf, OP_SIZE, (uint64_t)i);

		if (ret)
			die("zk_queue_append", ret);
		if (zk_queue_reap(q, &cqe, 1, 1) != 1 || cqe.res != OP_SIZE)
			die("zk_queue_reap", cqe.res < 0 ? (int)cqe.res : -EIO);
	}
}

__attribute__((noinline)) static void measure_raw_pwrite(int fd,
							 const void *buf,
							 long ops)
{
	for (long i = 0; i < ops; i++)
		if (pwrite(fd, buf, OP_SIZE, (off_t)i * OP_SIZE) != OP_SIZE)
			die("pwrite", -errno);
}

int main(int argc, char **argv)
{
	struct zk_geometry geo = { .capacity = 4 * ZONE_SIZE,
				   .zone_size = ZONE_SIZE,
				   .block_size = 4096 };
	long ops = argc > 3 ? atol(argv[3]) : 20000;
	struct zk_queue *q;
	struct zk_dev *dev;
	char path[4096];
	void *buf;
	int ret, fd;

	if (argc < 3 || ops <= 0 || (uint64_t)ops * OP_SIZE > ZONE_SIZE) {
		fprintf(stderr, "usage: icount append|pwrite|queue-append|raw-pwrite DIR [OPS <= 65536]\n");
		return 2;
	}
	if (posix_memalign(&buf, 4096, OP_SIZE))
		die("posix_memalign", -ENOMEM);
	memset(buf, 0x5a, OP_SIZE);
	ret = zk_create(argv[2], &geo);
	if (ret)
		die("zk_create", ret);
	if (!strcmp(argv[1], "raw-pwrite")) {
		snprintf(path, sizeof(path), "%s/seq-000001", argv[2]);
		fd = open(path, O_WRONLY);
		if (fd < 0)
			die(path, -errno);
		measure_raw_pwrite(fd, buf, ops);
		close(fd);
		return 0;
	}
	ret = zk_open(argv[2], 0, &dev);
	if (ret)
		die("zk_open", ret);
	if (!strcmp(argv[1], "append")) {
		measure_append(dev, buf, ops);
	} else if (!strcmp(argv[1], "pwrite")) {
		measure_pwrite(dev, buf, ops);
	} else if (!strcmp(argv[1], "queue-append")) {
		ret = zk_queue_init(dev, 8, 0, &q);
		if (ret)
			die("zk_queue_init", ret);
		measure_queue_append(q, buf, ops);
		zk_queue_exit(q);
	} else {
		fprintf(stderr, "icount: unknown mode %s\n", argv[1]);
		return 2;
	}
	zk_close(dev);
	free(buf);
	return 0;
}
