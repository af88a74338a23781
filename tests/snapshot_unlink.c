/* SPDX-License-Identifier: MIT */
/*
 * A wp snapshot that cannot be deleted must not outlive the writes after
 * it.
 *
 * A device of 4096 zones or more keeps the zones' wps in "wp-snapshot" at
 * a clean close; the next read-write open trusts it and deletes it before
 * anything is written.  If the delete failed (it was ignored), a crash
 * later left the old snapshot, and every later open trusted it: wp 0
 * while the zone file held the appends.  Now a read-write open that
 * cannot delete the snapshot fails.  Linked with -Wl,--wrap=unlinkat so
 * that the delete fails on demand; the crash is a child that exits
 * without closing.
 */
#include <fcntl.h>
#include <stdatomic.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testlib.h"

#define BS 4096u
#define ZONE (64 * KiB)

int __real_unlinkat(int dirfd, const char *path, int flags);

static atomic_bool fail_unlink;

int __wrap_unlinkat(int dirfd, const char *path, int flags)
{
	if (atomic_load(&fail_unlink) && !strcmp(path, "wp-snapshot")) {
		errno = EIO;
		return -1;
	}
	return __real_unlinkat(dirfd, path, flags);
}

/* Open, append 4 blocks to zone 5, and die without closing. */
static void crash_after_appends(const char *path)
{
	pid_t pid = fork();
	int status;

	T_ASSERT(pid >= 0);
	if (!pid) {
		uint8_t buf[4 * BS];
		struct zk_dev *dev;
		uint64_t landed;

		memset(buf, 0x77, sizeof(buf));
		if (zk_open(path, 0, &dev) ||
		    zk_append(dev, 5 * ZONE, buf, sizeof(buf), &landed) ||
		    zk_flush(dev))
			_exit(2);
		_exit(0); /* no zk_close: a crash */
	}
	T_ASSERT(waitpid(pid, &status, 0) == pid);
	T_ASSERT(WIFEXITED(status));
	if (WEXITSTATUS(status) != 0)
		T_FAIL("the child could not open and append (exit %d)",
		       WEXITSTATUS(status));
}

int main(void)
{
	struct zk_geometry geo = { .capacity = 4096 * ZONE, .zone_size = ZONE,
				   .block_size = BS };
	char snap[PATH_MAX + 16];
	struct zk_dev *dev;
	struct tdev t;
	int ret;

	t_dev_create(&t, &geo);
	t_dev_close(&t); /* clean close: the snapshot */
	snprintf(snap, sizeof(snap), "%s/wp-snapshot", t.path);
	T_ASSERT(!access(snap, F_OK));

	t_ctx("the snapshot cannot be deleted");
	atomic_store(&fail_unlink, true);
	ret = zk_open(t.path, 0, &dev);
	if (!ret) {
		zk_close(dev);
		/* What used to happen next: appends, a crash, the stale
		 * snapshot trusted by the next open. */
		crash_after_appends(t.path);
		atomic_store(&fail_unlink, false);
		T_OK(zk_open(t.path, 0, &dev));
		T_ZCHECK(dev, 5 * ZONE, ZK_COND_CLOSED, 5 * ZONE + 4 * BS);
		zk_close(dev);
		T_FAIL("a read-write open succeeded without deleting the snapshot");
	}
	T_RET(ret, -EIO);
	T_ASSERT(!access(snap, F_OK)); /* nothing changed */
	/* Read-only opens need not delete it. */
	T_OK(zk_open(t.path, ZK_RDONLY, &dev));
	zk_close(dev);

	t_ctx("the snapshot can be deleted again");
	atomic_store(&fail_unlink, false);
	crash_after_appends(t.path);
	T_OK(zk_open(t.path, 0, &dev));
	T_ZCHECK(dev, 5 * ZONE, ZK_COND_CLOSED, 5 * ZONE + 4 * BS);
	zk_close(dev);
	return T_EXIT_PASS;
}
