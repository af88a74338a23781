/* SPDX-License-Identifier: MIT */
/*
 * zk_set_zone_cond() that fails loses no data.
 *
 * Bringing a read-only zone back (ZK_COND_EMPTY) empties its file and
 * saves the list of marked zones ("conditions", rewritten atomically by
 * rename).  It used to empty the file first: when saving then failed, the
 * zone stayed read-only with its data gone.  Linked with
 * -Wl,--wrap=renameat so that the save fails on demand.
 */
#include <stdatomic.h>

#include "testlib.h"

#define BS 4096u

int __real_renameat(int olddirfd, const char *old, int newdirfd,
		    const char *new);

static atomic_bool fail_rename;

int __wrap_renameat(int olddirfd, const char *old, int newdirfd,
		    const char *new)
{
	if (atomic_load(&fail_rename)) {
		errno = EIO;
		return -1;
	}
	return __real_renameat(olddirfd, old, newdirfd, new);
}

int main(void)
{
	struct zk_geometry geo;
	struct tdev t;
	uint64_t z;

	t_geo_default(&geo);
	t_dev_create(&t, &geo);
	z = t_zstart(&t, 3);
	T_APPEND(t.dev, z, 2 * BS, 5, z);
	T_OK(zk_set_zone_cond(t.dev, z, ZK_COND_READONLY));

	t_ctx("saving the marks fails");
	atomic_store(&fail_rename, true);
	T_RET(zk_set_zone_cond(t.dev, z, ZK_COND_EMPTY), -EIO);
	atomic_store(&fail_rename, false);
	T_ZCOND(t.dev, z, ZK_COND_READONLY);
	T_DATA(t.dev, z, 2 * BS, 5);
	t_dev_reopen(&t, 0);
	T_ZCOND(t.dev, z, ZK_COND_READONLY);
	T_DATA(t.dev, z, 2 * BS, 5);

	t_ctx("saving works");
	T_OK(zk_set_zone_cond(t.dev, z, ZK_COND_EMPTY));
	T_ZCHECK(t.dev, z, ZK_COND_EMPTY, z);
	t_dev_reopen(&t, 0);
	T_ZCHECK(t.dev, z, ZK_COND_EMPTY, z);
	t_dev_close(&t);
	return T_EXIT_PASS;
}
