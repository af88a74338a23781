/* SPDX-License-Identifier: MIT */
/*
 * zk_stats counters, one thread: appends and writes count the calls that
 * succeeded (failed ones do not count), batches count backend writes to
 * sequential zones, and with one thread nothing is merged or retried.
 */
#include "testlib.h"

#define ZS (1 * MiB)
#define BS (4 * KiB)

int main(void)
{
	struct zk_geometry geo;
	struct tdev t;
	struct zk_stats a, b;
	unsigned int i;

	t_geo_default(&geo);
	t_dev_create(&t, &geo);

	memset(&a, 0xa5, sizeof(a));
	T_RET(zk_stats(t.dev, &a), 0);
	t_info("at open: appends %" PRIu64 " writes %" PRIu64 " batches %" PRIu64
	       " merged %" PRIu64 " relearns %" PRIu64 " retried %" PRIu64,
	       a.appends, a.writes, a.batches, a.merged, a.relearns, a.retried);
	T_EQ(a.appends, 0);
	T_EQ(a.writes, 0);

	for (i = 0; i < 10; i++)
		T_APPEND(t.dev, 2 * ZS, BS, 1, 2 * ZS + i * BS);
	for (i = 0; i < 7; i++)
		T_WRITE(t.dev, 3 * ZS + i * BS, BS, 1);
	for (i = 0; i < 3; i++)
		T_WRITE(t.dev, i * BS, BS, 1); /* conventional */
	/* failures */
	T_APPEND_RET(t.dev, 0, BS, -EIO);
	T_APPEND_RET(t.dev, 2 * ZS, 100, -EINVAL);
	T_WRITE_RET(t.dev, 3 * ZS, BS, 9, -EIO);
	T_WRITE_RET(t.dev, 3 * ZS + 7 * BS, 1, 9, -EINVAL);

	T_RET(zk_stats(t.dev, &b), 0);
	t_info("after: appends %" PRIu64 " writes %" PRIu64 " batches %" PRIu64
	       " merged %" PRIu64 " relearns %" PRIu64 " retried %" PRIu64,
	       b.appends, b.writes, b.batches, b.merged, b.relearns, b.retried);
	T_EQ(b.appends - a.appends, 10);
	T_EQ(b.writes - a.writes, 10);
	/* one thread: one backend write per sequential write or append */
	T_EQ(b.batches - a.batches, 17);
	T_EQ(b.merged - a.merged, 0);
	T_EQ(b.retried - a.retried, 0);
	T_EQ(b.relearns - a.relearns, 0);

	t_ctx("counters start again at open");
	t_dev_reopen(&t, 0);
	T_RET(zk_stats(t.dev, &b), 0);
	T_EQ(b.appends, 0);
	T_EQ(b.writes, 0);

	t_dev_close(&t);
	t_info("pass");
	return T_EXIT_PASS;
}
