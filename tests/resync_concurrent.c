/* SPDX-License-Identifier: MIT */
/*
 * zk_resync() while a zone is being reset and appended to: every append
 * lands where the zone's history says, and nothing is acknowledged twice
 * at one offset.
 *
 * zk_resync() reads the device's view of a chunk of zones and applies it
 * to every zone that did not move meanwhile.  It used to decide "did not
 * move" by comparing the zone's table word before and after, and a reset
 * followed by appends brings the word back to an earlier value: the stale
 * view was applied, the wp went back, and the next append was acknowledged
 * on top of earlier data (or past unwritten data).  One thread loops
 * reset + two to five appends on one zone of a device of 4000 zones,
 * checking where each lands, the zone's wp after each, and the data and
 * the zone file's size after each round; another loops zk_resync().
 */
#include <pthread.h>
#include <stdatomic.h>
#include <sys/stat.h>

#include "testlib.h"

#define BS 4096u
#define NZONES 4000u
#define ZONE (64 * KiB)

static struct tdev t;
static atomic_bool stop;
static atomic_ulong resyncs;

static void *resyncer(void *arg)
{
	(void)arg;
	while (!atomic_load(&stop)) {
		int ret = zk_resync(t.dev);

		if (ret)
			T_FAIL("zk_resync: %s", zk_strerror(ret));
		atomic_fetch_add(&resyncs, 1);
		t_state(1, "zk_resync %lu done", atomic_load(&resyncs));
	}
	return NULL;
}

int main(void)
{
	struct zk_geometry geo = { .capacity = NZONES * ZONE, .zone_size = ZONE,
				   .block_size = BS };
	double secs = 5 * t_scale(), end;
	uint64_t z = 17 * ZONE, landed, rounds = 0;
	uint8_t *buf = t_aligned(8 * BS), *back = t_aligned(8 * BS);
	char file[PATH_MAX + 16];
	struct stat sb;
	pthread_t tid[2];

	t_dev_create(&t, &geo);
	snprintf(file, sizeof(file), "%s/seq-%06u", t.path, 17u);
	t_watchdog_start(60 + secs);
	for (int i = 0; i < 2; i++)
		T_ASSERT(!pthread_create(&tid[i], NULL, resyncer, NULL));
	end = t_now() + (secs < 1 ? 1 : secs);
	while (t_now() < end || atomic_load(&resyncs) < 20) {
		unsigned int n = 2 + (unsigned int)(rounds % 4);

		t_ctx("round %" PRIu64, rounds);
		t_state(0, "round %" PRIu64, rounds);
		T_OK(zk_zone_op(t.dev, ZK_OP_RESET, z, ZONE));
		T_ASSERT(!stat(file, &sb));
		T_EQ(sb.st_size, 0); /* the reset reached the device */
		for (unsigned int i = 0; i < n; i++) {
			memset(buf + i * BS, (int)(rounds * 8 + i + 1), BS);
			T_OK(zk_append(t.dev, z, buf + i * BS, BS, &landed));
			T_EQ(landed, z + i * BS);
			/* The wp never falls behind what was acknowledged. */
			T_ZCHECK(t.dev, z, ZK_COND_IMP_OPEN, z + (i + 1) * BS);
			T_ASSERT(!stat(file, &sb));
			T_EQ(sb.st_size, (i + 1) * BS);
		}
		T_RET(zk_pread(t.dev, back, n * BS, z), n * BS);
		if (memcmp(back, buf, n * BS))
			T_FAIL("the appends do not read back where they landed");
		rounds++;
	}
	atomic_store(&stop, true);
	for (int i = 0; i < 2; i++)
		T_ASSERT(!pthread_join(tid[i], NULL));
	t_watchdog_stop();
	t_info("%" PRIu64 " rounds of reset + 2 to 5 appends, %lu resyncs", rounds,
	       atomic_load(&resyncs));
	t_dev_close(&t);
	free(buf);
	free(back);
	return T_EXIT_PASS;
}
