/* SPDX-License-Identifier: MIT */
/* Built without liburing: no io_uring engine, every queue uses threads. */
#include <errno.h>

#include "queue.h"

static int uring_absent(struct zk_queue *q)
{
	(void)q;
	return -EOPNOTSUPP;
}

const struct zkq_engine zkq_uring_engine = {
	.name = "io_uring",
	.init = uring_absent,
};
