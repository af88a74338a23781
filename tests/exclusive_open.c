/* SPDX-License-Identifier: MIT */
/*
 * Only one writer at a time: while a device is open read-write, a second
 * read-write zk_open of it fails with -EBUSY, from the same process and
 * from another one; once the first is closed it succeeds.  (Read-only opens
 * beside a writer are not specified: printed, not checked.)
 */
#include "testlib.h"

#include <sys/wait.h>
#include <unistd.h>

/* zk_open(path, flags) in a child process: its return value (0 or an errno
 * number), or 255 when the child failed otherwise. */
static int open_in_child(const char *path, unsigned int flags)
{
	pid_t pid = fork();
	int status;

	if (pid < 0)
		T_FAIL("fork: %s", strerror(errno));
	if (pid == 0) {
		struct zk_dev *d = NULL;
		int ret = zk_open(path, flags, &d);

		if (ret == 0)
			zk_close(d);
		_exit(ret <= 0 && ret > -255 ? -ret : 255);
	}
	if (waitpid(pid, &status, 0) != pid)
		T_FAIL("waitpid: %s", strerror(errno));
	if (!WIFEXITED(status))
		T_FAIL("child died (status %#x)", status);
	return WEXITSTATUS(status);
}

int main(void)
{
	struct zk_geometry geo;
	struct tdev t;
	struct zk_dev *d2 = NULL;
	int ret;

	t_geo_default(&geo);
	t_dev_create(&t, &geo); /* open read-write */

	t_ctx("second read-write open, same process");
	T_RET(zk_open(t.path, 0, &d2), -EBUSY);
	T_RET(zk_open(t.path, 0, &d2), -EBUSY);

	t_ctx("second read-write open, other process");
	ret = open_in_child(t.path, 0);
	if (ret != EBUSY)
		T_FAIL("zk_open in a child = -%d (%s), expected -EBUSY", ret,
		       t_errname(-ret));

	t_ctx("the first writer is unaffected");
	T_WRITE(t.dev, 2 * MiB, 4 * KiB, 1);
	T_DATA(t.dev, 2 * MiB, 4 * KiB, 1);

	/* informational */
	ret = zk_open(t.path, ZK_RDONLY, &d2);
	t_info("read-only open beside a writer: %d (%s)", ret, t_errname(ret));
	if (ret == 0) {
		T_DATA(d2, 2 * MiB, 4 * KiB, 1);
		zk_close(d2);
		d2 = NULL;
	}

	t_ctx("after the writer closed");
	t_dev_close(&t);
	T_RET(zk_open(t.path, 0, &d2), 0);
	T_RET(zk_open(t.path, 0, &t.dev), -EBUSY);
	t.dev = NULL;
	T_DATA(d2, 2 * MiB, 4 * KiB, 1);
	zk_close(d2);
	d2 = NULL;
	ret = open_in_child(t.path, 0);
	if (ret != 0)
		T_FAIL("zk_open in a child = -%d (%s), expected success", ret,
		       t_errname(-ret));

	t_ctx("many open/close cycles");
	for (int i = 0; i < 50; i++) {
		T_RET(zk_open(t.path, 0, &d2), 0);
		zk_close(d2);
	}

	t_ctx("a failed open does not take the lock");
	T_RET(zk_open(t.path, 0, &d2), 0);
	{
		struct zk_dev *d3 = NULL;

		T_RET(zk_open(t.path, 0, &d3), -EBUSY);
		zk_close(d2);
		T_RET(zk_open(t.path, 0, &d3), 0);
		zk_close(d3);
	}

	t_info("pass");
	return T_EXIT_PASS;
}
