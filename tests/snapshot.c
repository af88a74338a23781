/* SPDX-License-Identifier: MIT */
/*
 * The wp snapshot of a clean close (devices of 4096 zones or more; smaller
 * ones stat every zone file at open): the next open takes the wps from it
 * (no stat of every zone file), deletes it before writing, and a zone file
 * changed behind zonekit's back while the device was closed is caught at
 * its first write: the append lands at the file's real end, not the stale
 * wp, and nothing is overwritten.
 */
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "testlib.h"

#define BS 4096u

static bool snapshot_exists(const struct tdev *t)
{
	char p[PATH_MAX + 16];
	struct stat sb;

	snprintf(p, sizeof(p), "%s/wp-snapshot", t->path);
	return !stat(p, &sb);
}

static void zone_file_truncate(const struct tdev *t, unsigned int z, off_t size)
{
	char p[PATH_MAX + 16];

	snprintf(p, sizeof(p), "%s/seq-%06u", t->path, z);
	if (truncate(p, size))
		T_FAIL("truncate %s", p);
}

int main(void)
{
	struct zk_geometry geo;
	struct zk_stats st;
	struct tdev t;
	uint64_t z1, z2;

	/* only devices of 4096 zones or more keep a snapshot */
	t_geo_default(&geo);
	geo.zone_size = geo.zone_capacity = 64 * 1024;
	geo.capacity = 4100ULL * geo.zone_size;
	t_dev_create(&t, &geo);
	z1 = t_zstart(&t, 1);
	z2 = t_zstart(&t, 2);
	T_APPEND(t.dev, z1, 4 * BS, 1, z1);
	T_APPEND(t.dev, z2, 2 * BS, 2, z2);

	/* a clean close leaves a snapshot; a read-write open consumes it */
	t_dev_close(&t);
	T_ASSERT(snapshot_exists(&t));
	t_dev_reopen(&t, 0);
	T_ASSERT(!snapshot_exists(&t));
	/* (open zones are kept across a clean close: tests/reopen.c) */
	T_ZCHECK(t.dev, z1, ZK_COND_IMP_OPEN, z1 + 4 * BS);
	T_ZCHECK(t.dev, z2, ZK_COND_IMP_OPEN, z2 + 2 * BS);
	T_DATA(t.dev, z1, 4 * BS, 1);

	/* a read-only open uses it and leaves it */
	t_dev_close(&t);
	t_dev_reopen(&t, ZK_RDONLY);
	T_ZCHECK(t.dev, z1, ZK_COND_IMP_OPEN, z1 + 4 * BS);
	t_dev_close(&t);
	T_ASSERT(snapshot_exists(&t));
	/* ... also with ZK_DIRECT (its O_DIRECT is no write access) */
	if (zk_open(t.path, ZK_RDONLY | ZK_DIRECT, &t.dev) == 0) {
		T_ZCHECK(t.dev, z1, ZK_COND_IMP_OPEN, z1 + 4 * BS);
		T_ASSERT(snapshot_exists(&t)); /* not consumed */
		t_dev_close(&t);
		T_ASSERT(snapshot_exists(&t));
	}

	/* another program shortens zone 1 while the device is closed */
	zone_file_truncate(&t, 1, 2 * BS);
	t_dev_reopen(&t, 0);
	T_ZCHECK(t.dev, z1, ZK_COND_IMP_OPEN, z1 + 4 * BS); /* stale, until... */
	T_APPEND(t.dev, z1, BS, 3, z1 + 2 * BS);          /* ...the first write */
	T_ZCHECK(t.dev, z1, ZK_COND_IMP_OPEN, z1 + 3 * BS);
	T_DATA(t.dev, z1, 2 * BS, 1);
	T_DATA(t.dev, z1 + 2 * BS, BS, 3);
	zk_stats(t.dev, &st);
	T_EQ(st.relearns, 1);
	/* zone 2 was not touched: its first write goes straight in */
	T_APPEND(t.dev, z2, BS, 4, z2 + 2 * BS);

	/* a crash (no close) leaves no snapshot: every zone is stat()ed */
	T_ASSERT(!snapshot_exists(&t));
	t_dev_close(&t);
	t_dev_destroy(&t);
	t_info("pass");
	return T_EXIT_PASS;
}
