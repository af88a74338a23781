/* SPDX-License-Identifier: MIT */
/*
 * A write fails after part of it reached the device, and re-learning the
 * zone fails too.  doc/design.md: "Nothing is ever written at a stale
 * offset".  recover_batch() (src/append.c) then fails the batch and the
 * queue and rewinds the model to the batch's start: the zone's wp in
 * zonekit stays below the device's.  The next append must not be written
 * below the device's wp (over the blocks the failed write left): it must
 * either fail or re-learn the zone first.
 *
 * Today the emulated device, which does not check that a write is at the
 * end of the zone file, takes the append at the stale wp, over the failed
 * write's blocks; the zone then holds fragments of the failed write after
 * acknowledged data (the wp jumps over them at the next open).  A real
 * device (or an emulated one that checked) refuses that write, and then
 * recover_batch() finds the device's wp past the append and completes it
 * as written ("requests wholly below the device's wp are in"): the append
 * is acknowledged although its data was never written.  Both are checked:
 * an acknowledged append must be at or past the device's wp, and its data
 * must be there.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "rel.h"

#include <sys/stat.h>

#define BS 4096u
#define ZA 1

static uint64_t device_wp(struct tdev *t, uint32_t z)
{
	char name[PATH_MAX + 32];
	struct stat st;

	snprintf(name, sizeof(name), "%s/seq-%06u", t->path, z);
	if (stat(name, &st))
		T_FAIL("stat %s: %s", name, strerror(errno));
	return t_zstart(t, z) + (uint64_t)st.st_size;
}

int main(void)
{
	struct zk_geometry geo;
	struct tdev t;
	uint8_t *buf = t_aligned(8 * BS);
	struct rel_fault wf = { .kind = RF_WRITE_EIO_PARTIAL, .zone = ZA,
				.blocks = 2 };
	struct rel_fault rf = { .kind = RF_REPORT_EIO, .zone = ZA };
	struct zk_zone z;
	uint64_t landed, dwp;
	int ret;

	t_geo_default(&geo);
	t_dev_create(&t, &geo);
	rel_fault_install(t.dev);

	t_rec_fill(buf, 2 * BS, BS, 1, 1);
	T_OK(zk_append(t.dev, t_zstart(&t, ZA), buf, 2 * BS, &landed));
	T_EQ(landed, t_zstart(&t, ZA));

	/* 4 blocks: 2 reach the device, then EIO; the report fails too. */
	rel_fault_arm(&wf);
	rel_fault_arm(&rf);
	t_rec_fill(buf, 4 * BS, BS, 1, 2);
	T_RET(zk_append(t.dev, t_zstart(&t, ZA), buf, 4 * BS, &landed), -EIO);
	rel_fault_clear();
	z = T_ZONE(t.dev, t_zstart(&t, ZA));
	dwp = device_wp(&t, ZA);
	t_info("after the failure: zonekit's wp %#" PRIx64 ", the device's %#"
	       PRIx64, z.wp, dwp);
	T_EQ(dwp, t_zstart(&t, ZA) + 4 * BS);

	t_rec_fill(buf, BS, BS, 1, 3);
	ret = zk_append(t.dev, t_zstart(&t, ZA), buf, BS, &landed);
	rel_figures("relearn-fails", "zonekit_wp=%#" PRIx64 " device_wp=%#" PRIx64
		    " next_append=%s landed=%#" PRIx64, z.wp, dwp,
		    ret ? "failed" : "ok", ret ? 0 : landed);
	if (!ret) {
		uint8_t *got = t_aligned(BS);

		T_RET(zk_pread(t.dev, got, BS, landed), BS);
		if (memcmp(got, buf, BS))
			T_FAIL("the append after a failed write whose re-learning "
			       "failed was acknowledged at %#" PRIx64 " (the "
			       "device's wp %#" PRIx64 ") but its data is not "
			       "there", landed, dwp);
		if (landed < dwp)
			T_FAIL("the append after a failed write whose re-learning "
			       "failed was acknowledged at %#" PRIx64 ", below the "
			       "device's wp %#" PRIx64 ": written over the failed "
			       "write's blocks, at a stale offset", landed, dwp);
		free(got);
	}
	rel_fault_uninstall(t.dev);
	t_dev_close(&t);
	free(buf);
	return T_EXIT_PASS;
}
