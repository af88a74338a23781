/* SPDX-License-Identifier: MIT */
/*
 * Persistence across zk_close/zk_open.  Every wp is the same and the data
 * is all there; zones written to capacity or finished are FULL, EMPTY ones
 * EMPTY.  After a clean close every zone comes back in the condition it
 * had (open, explicitly open, closed), as a real device keeps them whoever
 * opens it, read-write or read-only.  After zk_power_cycle() or a crash (a
 * child that exits without closing), a real device's view after a power
 * cycle: partly written zones CLOSED, an explicitly opened empty zone
 * EMPTY; and the CLOSED zones hold active slots again.
 */
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testlib.h"

#define ZS (1 * MiB)
#define BS (4 * KiB)
#define NZ 12

/* A process that opens the device read-write and dies without closing. */
static void crash(struct tdev *t)
{
	pid_t pid;
	int status;

	t_dev_close(t);
	pid = fork();
	T_ASSERT(pid >= 0);
	if (!pid) {
		struct zk_dev *dev;

		_exit(zk_open(t->path, 0, &dev) ? 1 : 0);
	}
	T_ASSERT(waitpid(pid, &status, 0) == pid);
	T_ASSERT(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

/* Another program writes a zone file while the device is closed (the
 * kernel's zoned loop device on the same directory: 'zonekit zloop
 * attach'): the open conditions saved at the last clean close are of the
 * old contents and do not apply.  The zone reads as that program leaves
 * it, CLOSED, as zloop's own zones come back after its remove. */
static void append_behind(const char *path, unsigned int z, uint64_t len)
{
	char name[PATH_MAX + 16], buf[BS];
	struct stat sb;
	int fd;

	snprintf(name, sizeof(name), "%s/seq-%06u", path, z);
	fd = open(name, O_WRONLY);
	T_ASSERT(fd >= 0 && !fstat(fd, &sb));
	memset(buf, 0x77, sizeof(buf));
	for (uint64_t done = 0; done < len; done += BS)
		T_ASSERT(pwrite(fd, buf, BS, sb.st_size + (off_t)done) == BS);
	close(fd);
}

static void old_style_list(const char *path, const char *text)
{
	char name[PATH_MAX + 16];
	int fd;

	snprintf(name, sizeof(name), "%s/open-zones", path);
	fd = open(name, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	T_ASSERT(fd >= 0);
	T_ASSERT(write(fd, text, strlen(text)) == (ssize_t)strlen(text));
	close(fd);
}

static void stale_open_list(void)
{
	struct zk_geometry geo;
	struct tdev t;

	t_ctx("an open zone written by another program while closed");
	t_geo_default(&geo);
	geo.capacity = NZ * ZS;
	t_dev_create(&t, &geo);
	T_WRITE(t.dev, 1 * ZS, 3 * BS, 1);             /* IMP_OPEN */
	T_OK(zk_zone_op(t.dev, ZK_OP_OPEN, 2 * ZS, ZS)); /* EXP_OPEN, empty */
	T_WRITE(t.dev, 3 * ZS, 2 * BS, 3);             /* IMP_OPEN, untouched */
	t_dev_close(&t);
	append_behind(t.path, 1, 2 * BS);
	append_behind(t.path, 2, BS);
	t_dev_reopen(&t, 0);
	T_ZCHECK(t.dev, 1 * ZS, ZK_COND_CLOSED, 1 * ZS + 5 * BS);
	T_ZCHECK(t.dev, 2 * ZS, ZK_COND_CLOSED, 2 * ZS + BS);
	T_ZCHECK(t.dev, 3 * ZS, ZK_COND_IMP_OPEN, 3 * ZS + 2 * BS);
	t_dev_close(&t);

	t_ctx("a list without sizes (older zonekits) still applies");
	old_style_list(t.path, "seq-000003 imp-open\nseq-000002 exp-open\n");
	t_dev_reopen(&t, 0);
	T_ZCHECK(t.dev, 3 * ZS, ZK_COND_IMP_OPEN, 3 * ZS + 2 * BS);
	T_ZCHECK(t.dev, 2 * ZS, ZK_COND_EXP_OPEN, 2 * ZS + BS);
	T_ZCHECK(t.dev, 1 * ZS, ZK_COND_CLOSED, 1 * ZS + 5 * BS);
	t_dev_close(&t);
}

int main(void)
{
	struct zk_geometry geo;
	struct tdev t;
	struct {
		unsigned int cond;   /* expected after a clean reopen */
		unsigned int cycled; /* ... after a power cycle or crash */
		uint64_t written;
	} want[NZ];
	unsigned int z, round;

	t_geo_default(&geo);
	geo.capacity = NZ * ZS;
	geo.nr_conv_zones = 1;
	t_dev_create(&t, &geo);
	memset(want, 0, sizeof(want));

	/* zone 0 conventional */
	T_WRITE(t.dev, 0, ZS, 100);
	/* 1 EMPTY */
	want[1].cond = want[1].cycled = ZK_COND_EMPTY;
	/* 2 IMP_OPEN */
	T_WRITE(t.dev, 2 * ZS, 3 * BS, 2);
	want[2].cond = ZK_COND_IMP_OPEN;
	want[2].cycled = ZK_COND_CLOSED;
	want[2].written = 3 * BS;
	/* 3 EXP_OPEN with data */
	T_OK(zk_zone_op(t.dev, ZK_OP_OPEN, 3 * ZS, ZS));
	T_APPEND(t.dev, 3 * ZS, 5 * BS, 3, 3 * ZS);
	want[3].cond = ZK_COND_EXP_OPEN;
	want[3].cycled = ZK_COND_CLOSED;
	want[3].written = 5 * BS;
	/* 4 EXP_OPEN, nothing written */
	T_OK(zk_zone_op(t.dev, ZK_OP_OPEN, 4 * ZS, ZS));
	want[4].cond = ZK_COND_EXP_OPEN;
	want[4].cycled = ZK_COND_EMPTY;
	/* 5 CLOSED */
	T_WRITE(t.dev, 5 * ZS, 7 * BS, 5);
	T_OK(zk_zone_op(t.dev, ZK_OP_CLOSE, 5 * ZS, ZS));
	want[5].cond = want[5].cycled = ZK_COND_CLOSED;
	want[5].written = 7 * BS;
	/* 6 FULL, written to capacity */
	T_WRITE(t.dev, 6 * ZS, ZS, 6);
	want[6].cond = want[6].cycled = ZK_COND_FULL;
	want[6].written = ZS;
	/* 7 FULL, finished after some data */
	T_WRITE(t.dev, 7 * ZS, 2 * BS, 7);
	T_OK(zk_zone_op(t.dev, ZK_OP_FINISH, 7 * ZS, ZS));
	want[7].cond = want[7].cycled = ZK_COND_FULL;
	want[7].written = 2 * BS;
	/* 8 FULL, finished while EMPTY */
	T_OK(zk_zone_op(t.dev, ZK_OP_FINISH, 8 * ZS, ZS));
	want[8].cond = want[8].cycled = ZK_COND_FULL;
	/* 9 reset after being written */
	T_WRITE(t.dev, 9 * ZS, 9 * BS, 9);
	T_OK(zk_zone_op(t.dev, ZK_OP_RESET, 9 * ZS, ZS));
	want[9].cond = want[9].cycled = ZK_COND_EMPTY;
	/* 10 all but one block */
	T_WRITE(t.dev, 10 * ZS, ZS - BS, 10);
	want[10].cond = ZK_COND_IMP_OPEN;
	want[10].cycled = ZK_COND_CLOSED;
	want[10].written = ZS - BS;
	/* 11 one block */
	T_APPEND(t.dev, 11 * ZS, BS, 11, 11 * ZS);
	want[11].cond = ZK_COND_IMP_OPEN;
	want[11].cycled = ZK_COND_CLOSED;
	want[11].written = BS;

	/* Rounds: a clean reopen read-write, then read-only, then one after
	 * zk_power_cycle(), then one after a crash. */
	for (round = 0; round < 4; round++) {
		bool cycled = round >= 2;

		t_ctx("reopen %u (%s)", round, (const char *[]){ "read-write",
		      "read-only", "after zk_power_cycle", "after a crash" }[round]);
		if (round == 2) {
			t_dev_close(&t);
			T_RET(zk_power_cycle(t.path), 0);
		}
		if (round == 3)
			crash(&t);
		t_dev_reopen(&t, round == 1 ? ZK_RDONLY : 0);
		T_EQ(t.info.nr_zones, NZ);
		for (z = 1; z < NZ; z++) {
			uint64_t wp = want[z].cond == ZK_COND_FULL
					      ? (z + 1) * ZS
					      : z * ZS + want[z].written;
			T_ZCHECK(t.dev, z * ZS, cycled ? want[z].cycled :
				 want[z].cond, wp);
			if (want[z].written)
				T_DATA(t.dev, z * ZS, want[z].written, z);
			if (want[z].written < ZS)
				T_ZEROS(t.dev, z * ZS + want[z].written,
					ZS - want[z].written);
		}
		T_DATA(t.dev, 0, ZS, 100);
		T_ZCOND(t.dev, 0, ZK_COND_NOT_WP);
	}

	t_ctx("writing on after reopen");
	T_WRITE(t.dev, 2 * ZS + 3 * BS, BS, 2);
	T_ZCHECK(t.dev, 2 * ZS, ZK_COND_IMP_OPEN, 2 * ZS + 4 * BS);
	T_APPEND(t.dev, 10 * ZS, BS, 10, 11 * ZS - BS);
	T_ZCHECK(t.dev, 10 * ZS, ZK_COND_FULL, 11 * ZS);
	T_DATA(t.dev, 10 * ZS, ZS, 10);
	T_WRITE_RET(t.dev, 7 * ZS + 2 * BS, BS, 7, -EIO);
	T_WRITE_RET(t.dev, 5 * ZS, BS, 5, -EIO);
	T_APPEND(t.dev, 1 * ZS, BS, 1, 1 * ZS);
	T_OK(zk_zone_op(t.dev, ZK_OP_OPEN, 4 * ZS, ZS));
	T_ZCHECK(t.dev, 4 * ZS, ZK_COND_EXP_OPEN, 4 * ZS);

	t_ctx("a second reopen keeps what was written after the first");
	t_dev_reopen(&t, 0);
	T_ZCHECK(t.dev, 2 * ZS, ZK_COND_IMP_OPEN, 2 * ZS + 4 * BS);
	T_DATA(t.dev, 2 * ZS, 4 * BS, 2);
	T_ZCHECK(t.dev, 10 * ZS, ZK_COND_FULL, 11 * ZS);
	T_ZCHECK(t.dev, 1 * ZS, ZK_COND_IMP_OPEN, 1 * ZS + BS);
	T_ZCHECK(t.dev, 4 * ZS, ZK_COND_EXP_OPEN, 4 * ZS);

	t_ctx("zk_power_cycle is refused while the device is open for writing");
	T_RET(zk_power_cycle(t.path), -EBUSY);
	t_dev_close(&t);

	/* CLOSED zones found at open hold active slots */
	t_ctx("active limit after reopen");
	t_geo_default(&geo);
	geo.max_active = 2;
	geo.max_open = 1;
	t_dev_create(&t, &geo);
	T_WRITE(t.dev, 1 * ZS, BS, 1);
	T_WRITE(t.dev, 2 * ZS, BS, 2); /* closes zone 1 (max_open 1) */
	T_ZCOND(t.dev, 1 * ZS, ZK_COND_CLOSED);
	T_ZCOND(t.dev, 2 * ZS, ZK_COND_IMP_OPEN);
	t_dev_close(&t);
	T_RET(zk_power_cycle(t.path), 0);
	t_dev_reopen(&t, 0);
	T_ZCHECK(t.dev, 1 * ZS, ZK_COND_CLOSED, 1 * ZS + BS);
	T_ZCHECK(t.dev, 2 * ZS, ZK_COND_CLOSED, 2 * ZS + BS);
	T_WRITE_RET(t.dev, 3 * ZS, BS, 3, -EOVERFLOW);
	T_RET(zk_zone_op(t.dev, ZK_OP_OPEN, 3 * ZS, ZS), -EOVERFLOW);
	T_WRITE(t.dev, 1 * ZS + BS, BS, 1); /* CLOSED -> IMP_OPEN: no new slot */
	T_ZCHECK(t.dev, 1 * ZS, ZK_COND_IMP_OPEN, 1 * ZS + 2 * BS);
	T_ZCOND(t.dev, 2 * ZS, ZK_COND_CLOSED);
	/* open 1 = M, IMP zone 1, but active check 2 < 2 fails */
	T_WRITE_RET(t.dev, 2 * ZS + BS, BS, 2, -ETOOMANYREFS);
	/* finish of a CLOSED zone needs the same */
	T_RET(zk_zone_op(t.dev, ZK_OP_FINISH, 2 * ZS, ZS), -ETOOMANYREFS);
	T_OK(zk_zone_op(t.dev, ZK_OP_FINISH, 1 * ZS, ZS));
	T_OK(zk_zone_op(t.dev, ZK_OP_FINISH, 2 * ZS, ZS));
	T_ZCHECK(t.dev, 1 * ZS, ZK_COND_FULL, 2 * ZS);
	T_ZCHECK(t.dev, 2 * ZS, ZK_COND_FULL, 3 * ZS);
	T_WRITE(t.dev, 3 * ZS, BS, 3);
	T_WRITE(t.dev, 4 * ZS, BS, 4);
	T_ZCOND(t.dev, 3 * ZS, ZK_COND_CLOSED);
	t_dev_close(&t);

	stale_open_list();
	t_info("pass");
	return T_EXIT_PASS;
}
