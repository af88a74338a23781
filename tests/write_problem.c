/* SPDX-License-Identifier: MIT */
/*
 * zk_write_problem() and zk_append_problem() say why a write or an append
 * would be refused, and their answer is the one the call itself gets: for
 * each reason, the errno of the problem call equals that of zk_pwrite /
 * zk_append made right after it, and the words name the reason with its
 * figures:
 *   write:  read-only device, 0 bytes, unaligned, past the device end,
 *           across a zone, not at the wp, past the zone capacity, FULL,
 *           READONLY, OFFLINE zone, too many active, too many open zones
 *   append: read-only device, past the end, not a zone start, 0 bytes, not
 *           a block multiple, over max_append, conventional zone, longer
 *           than the zone, past the capacity, FULL, READONLY, OFFLINE
 * An accepted write gets 0 and an empty string (a write that an implicit
 * close makes room for too); asking changes nothing; a short buffer gets a
 * truncated, terminated reason; a write reserved but not completed (a
 * queue's batch in flight) counts: the wp is judged where it will be.
 */
#include "testlib.h"

#define ZS (1 * MiB)
#define ZCAP (768 * KiB)
#define BS (4 * KiB)
#define MAXAPP (64 * KiB)

static struct tdev a, b;

static uint64_t zst(unsigned int z) { return (uint64_t)z * ZS; }

static void check_words(const char *call, const char *why, const char *words)
{
	if (!words) {
		if (why[0])
			T_FAIL("%s accepted, but says \"%s\"", call, why);
		return;
	}
	if (!strstr(why, words))
		T_FAIL("%s says \"%s\", expected \"%s\" in it", call, why, words);
}

/* zk_write_problem gives @err and @words (NULL: accepted), changing
 * nothing; then zk_pwrite gives @err (refused) or writes (accepted). */
#define WRITE_IS(t, off, len, err, words)                                   \
	do {                                                                \
		char why_[256] = "junk";                                    \
		struct t_snap snap_;                                        \
		t_snap_take((t)->dev, &snap_);                              \
		T_RET(zk_write_problem((t)->dev, (off), (len), why_,        \
				       sizeof(why_)), (err));               \
		check_words("zk_write_problem", why_, (words));             \
		T_SNAP_SAME((t)->dev, &snap_);                              \
		t_snap_free(&snap_);                                        \
		if (err)                                                    \
			T_WRITE_RET((t)->dev, (off), (len), 7, (err));      \
		else                                                        \
			T_WRITE((t)->dev, (off), (len), 7);                 \
	} while (0)

#define APPEND_IS(t, zone, len, err, words)                                 \
	do {                                                                \
		char why_[256] = "junk";                                    \
		struct t_snap snap_;                                        \
		t_snap_take((t)->dev, &snap_);                              \
		T_RET(zk_append_problem((t)->dev, (zone), (len), why_,      \
					sizeof(why_)), (err));              \
		check_words("zk_append_problem", why_, (words));            \
		T_SNAP_SAME((t)->dev, &snap_);                              \
		t_snap_free(&snap_);                                        \
		if (err)                                                    \
			T_APPEND_RET((t)->dev, (zone), (len), (err));       \
	} while (0)

/* Device a: zone 0 conventional, capacity 768 KiB in 1 MiB zones, appends
 * of at most 64 KiB, no open/active limits. */
static void arguments(void)
{
	t_ctx("write arguments");
	WRITE_IS(&a, zst(1), 0, -EINVAL, "nothing to write (0 bytes)");
	WRITE_IS(&a, zst(1) + 512, BS, -EINVAL, "not aligned to the block size (4096)");
	WRITE_IS(&a, zst(1), BS + 512, -EINVAL, "not aligned to the block size (4096)");
	WRITE_IS(&a, zst(8) - BS, 2 * BS, -EINVAL,
		 "past the end of the device (0x800000)");
	WRITE_IS(&a, zst(8), BS, -EINVAL, "past the end of the device (0x800000)");
	WRITE_IS(&a, zst(1) - BS, 2 * BS, -EINVAL,
		 "crosses the end of its zone (0x100000)");

	t_ctx("append arguments");
	APPEND_IS(&a, zst(8), BS, -EINVAL,
		  "0x800000 is past the end of the device (0x800000)");
	APPEND_IS(&a, zst(1) + BS, BS, -EINVAL,
		  "0x101000 is not the start of a zone (its zone starts at 0x100000)");
	APPEND_IS(&a, zst(1), 0, -EINVAL, "nothing to append (0 bytes)");
	APPEND_IS(&a, zst(1), 1000, -EINVAL, "not a multiple of the block size (4096)");
	APPEND_IS(&a, zst(1), 2 * MAXAPP, -EINVAL,
		  "the device appends at most 65536 bytes at once");
	APPEND_IS(&a, zst(0), BS, -EIO, "the zone at 0x0 is conventional");
}

static void zones(void)
{
	t_ctx("accepted");
	WRITE_IS(&a, zst(0) + 3 * BS, BS, 0, NULL); /* conventional: anywhere */
	WRITE_IS(&a, zst(1), BS, 0, NULL);
	APPEND_IS(&a, zst(1), BS, 0, NULL);
	T_APPEND(a.dev, zst(1), BS, 8, zst(1) + BS);

	t_ctx("not at the write pointer");
	WRITE_IS(&a, zst(1), BS, -EIO, "not at the zone's write pointer (0x102000)");
	WRITE_IS(&a, zst(1) + 3 * BS, BS, -EIO,
		 "not at the zone's write pointer (0x102000)");
	WRITE_IS(&a, zst(2) + BS, BS, -EIO, "not at the zone's write pointer (0x200000)");

	t_ctx("past the zone capacity");
	WRITE_IS(&a, zst(1) + 2 * BS, ZCAP - BS, -EIO,
		 "only 778240 bytes are left in the zone (its capacity ends at 0x1c0000)");
	WRITE_IS(&a, zst(1) + 2 * BS, ZCAP - 10 * BS, 0, NULL);
	APPEND_IS(&a, zst(1), MAXAPP, -EIO,
		  "only 32768 bytes are left in the zone (its capacity ends at 0x1c0000)");

	t_ctx("full, read-only and offline zones");
	T_OK(zk_zone_op(a.dev, ZK_OP_FINISH, zst(2), ZS));
	WRITE_IS(&a, zst(2), BS, -EIO, "the zone at 0x200000 is full");
	APPEND_IS(&a, zst(2), BS, -EIO, "the zone at 0x200000 is full");
	T_OK(zk_set_zone_cond(a.dev, zst(3), ZK_COND_READONLY));
	WRITE_IS(&a, zst(3), BS, -EIO, "the zone at 0x300000 is read-only");
	APPEND_IS(&a, zst(3), BS, -EIO, "the zone at 0x300000 is read-only");
	T_OK(zk_set_zone_cond(a.dev, zst(4), ZK_COND_OFFLINE));
	WRITE_IS(&a, zst(4), BS, -EIO, "the zone at 0x400000 is offline");
	APPEND_IS(&a, zst(4), BS, -EIO, "the zone at 0x400000 is offline");
}

/* Device b: max open 2, max active 3, no max append. */
static void limits(void)
{
	t_ctx("too many active zones");
	T_WRITE(b.dev, zst(1), BS, 1);
	T_WRITE(b.dev, zst(2), BS, 2);
	T_OK(zk_zone_op(b.dev, ZK_OP_CLOSE, zst(2), ZS));
	T_WRITE(b.dev, zst(3), BS, 3);
	WRITE_IS(&b, zst(4), BS, -EOVERFLOW, "too many active zones (the device allows 3)");
	APPEND_IS(&b, zst(4), BS, -EOVERFLOW, "too many active zones (the device allows 3)");

	t_ctx("too many open zones");
	/* Open 2 of 2, active 3 of 3: no implicit close can make room. */
	WRITE_IS(&b, zst(2) + BS, BS, -ETOOMANYREFS,
		 "too many open zones (the device allows 2)");
	APPEND_IS(&b, zst(2), BS, -ETOOMANYREFS,
		  "too many open zones (the device allows 2)");

	t_ctx("an implicit close makes room");
	T_OK(zk_zone_op(b.dev, ZK_OP_RESET, zst(3), ZS));
	WRITE_IS(&b, zst(2) + BS, BS, 0, NULL); /* a free open slot */
	APPEND_IS(&b, zst(4), BS, 0, NULL);      /* open 2 of 2, active 2 of 3 */
	WRITE_IS(&b, zst(4), BS, 0, NULL);
	T_ZCOND(b.dev, zst(4), ZK_COND_IMP_OPEN);

	t_ctx("longer than the zone");
	APPEND_IS(&b, zst(5), ZS + BS, -EIO, "it is longer than the zone (1048576 bytes)");
}

static void buffers(void)
{
	char small[8];

	t_ctx("no buffer, a short buffer");
	T_RET(zk_write_problem(a.dev, zst(1), BS, NULL, 0), -EIO);
	T_RET(zk_append_problem(a.dev, zst(0), BS, NULL, 100), -EIO);
	T_RET(zk_write_problem(a.dev, zst(1), BS, small, sizeof(small)), -EIO);
	T_ASSERT(strlen(small) == sizeof(small) - 1);
	T_ASSERT(!strncmp(small, "not at ", sizeof(small) - 1));
	T_RET(zk_write_problem(NULL, 0, BS, small, sizeof(small)), -EINVAL);
}

/* A queue's write reserved on submission and not reaped: the next write
 * must go after it, as the engine would place it. */
static void in_flight(void)
{
	struct zk_cqe cqe;
	struct zk_queue *q;
	uint64_t wp = zst(5) + BS;
	void *buf = t_aligned(BS);
	char why[256];

	t_ctx("a queued write not yet reaped");
	T_WRITE(a.dev, zst(5), BS, 5);
	T_OK(zk_queue_init(a.dev, 4, ZK_QUEUE_NO_INLINE, &q));
	if (strcmp(zk_queue_engine(q), "io_uring")) {
		t_info("engine %s: requests are placed by workers, skipped",
		       zk_queue_engine(q));
		zk_queue_exit(q);
		free(buf);
		return;
	}
	T_OK(zk_queue_write(q, buf, BS, wp, 1));
	T_RET(zk_write_problem(a.dev, wp, BS, why, sizeof(why)), -EIO);
	check_words("zk_write_problem", why,
		    "not at the zone's write pointer (0x502000)");
	T_RET(zk_write_problem(a.dev, wp + BS, BS, why, sizeof(why)), 0);
	T_RET(zk_queue_reap(q, &cqe, 1, 1), 1);
	T_RET(cqe.res, BS);
	zk_queue_exit(q);
	free(buf);
	WRITE_IS(&a, wp + BS, BS, 0, NULL);
}

static void read_only(void)
{
	t_ctx("device open read-only");
	t_dev_reopen(&a, ZK_RDONLY);
	WRITE_IS(&a, zst(6), BS, -EBADF, "the device is open read-only");
	APPEND_IS(&a, zst(6), BS, -EBADF, "the device is open read-only");
}

int main(void)
{
	struct zk_geometry geo;

	t_geo_default(&geo);
	geo.zone_capacity = ZCAP;
	geo.max_append = MAXAPP;
	t_dev_create(&a, &geo);
	t_geo_default(&geo);
	geo.max_open = 2;
	geo.max_active = 3;
	t_dev_create(&b, &geo);

	arguments();
	zones();
	limits();
	buffers();
	in_flight();
	read_only();
	t_dev_close(&a);
	t_dev_close(&b);
	return T_EXIT_PASS;
}
