/* SPDX-License-Identifier: MIT */
/*
 * A failed write or zone operation leaves its zone and its data as they
 * were (the emulated device, where a zone file can be cut back).
 *
 * A write the file system stops partway (ENOSPC, EFBIG, EIO after some
 * blocks) used to leave its first blocks in the zone: zk_append failed,
 * yet an EMPTY zone had turned IMP_OPEN with the append's first 4 KiB below
 * the wp; a write merely cut short was placed again after its own first
 * blocks.  A FINISH that failed turned an IMP_OPEN zone CLOSED.  Through
 * the fault-injecting backend wrapper (rel.c), on one zone at a time:
 *   - an append into an EMPTY zone, ENOSPC after 1 block: -ENOSPC, the zone
 *     EMPTY, its file empty;
 *   - an append into a zone holding 8 KiB, ENOSPC after 2 blocks, and EIO
 *     after 2 blocks: the error, the zone IMP_OPEN at +8 KiB, data intact;
 *   - a write cut short after 1 block (no error): the append still lands
 *     at the wp, whole, with nothing of it left below;
 *   - FINISH and RESET that fail without doing anything: the zone stays
 *     IMP_OPEN with its wp and data.
 */
#include "rel.h"

#define BS 4096u
#define ZA 3u

static struct tdev t;
static uint8_t buf[4 * BS] __attribute__((aligned(4096)));

static void arm(enum rel_fault_kind kind, unsigned int blocks,
		unsigned int times)
{
	struct rel_fault f = { .kind = kind, .zone = (int)ZA, .nth = 1,
			       .times = times, .blocks = blocks };

	rel_fault_clear();
	rel_fault_arm(&f);
}

/* Zone ZA holds @blocks blocks of record (1, 1) and is IMP_OPEN. */
static void zone_holds(unsigned int blocks)
{
	uint64_t zs = t_zstart(&t, ZA), landed;

	rel_fault_clear();
	T_OK(zk_zone_op(t.dev, ZK_OP_RESET, zs, t.info.zone_size));
	if (!blocks)
		return;
	t_rec_fill(buf, blocks * BS, BS, 1, 1);
	T_OK(zk_append(t.dev, zs, buf, blocks * BS, &landed));
	T_EQ(landed, zs);
}

static void still_holds(unsigned int blocks)
{
	uint64_t zs = t_zstart(&t, ZA);
	uint8_t back[4 * BS];

	rel_fault_clear();
	if (!blocks) {
		T_ZCHECK(t.dev, zs, ZK_COND_EMPTY, zs);
	} else {
		T_ZCHECK(t.dev, zs, ZK_COND_IMP_OPEN, zs + blocks * BS);
		t_rec_fill(buf, blocks * BS, BS, 1, 1);
		T_RET(zk_pread(t.dev, back, blocks * BS, zs), blocks * BS);
		T_ASSERT(!memcmp(back, buf, blocks * BS));
	}
	T_EQ(rel_zone_file_size(&t, ZA), blocks * BS);
}

static void failed_append(unsigned int held, enum rel_fault_kind kind,
			  unsigned int blocks, int want)
{
	uint64_t landed;

	zone_holds(held);
	arm(kind, blocks, 2);
	t_rec_fill(buf, 4 * BS, BS, 2, 2);
	T_RET(zk_append(t.dev, t_zstart(&t, ZA), buf, 4 * BS, &landed), want);
	still_holds(held);
}

int main(void)
{
	struct zk_geometry geo;
	uint64_t zs, landed;
	uint8_t back[4 * BS];

	t_geo_default(&geo);
	t_dev_create(&t, &geo);
	rel_fault_install(t.dev);
	zs = t_zstart(&t, ZA);

	t_ctx("EMPTY zone, ENOSPC after 1 block");
	failed_append(0, RF_WRITE_ENOSPC, 1, -ENOSPC);
	t_ctx("8 KiB in the zone, ENOSPC after 2 blocks");
	failed_append(2, RF_WRITE_ENOSPC, 2, -ENOSPC);
	t_ctx("8 KiB in the zone, EIO after 2 blocks");
	failed_append(2, RF_WRITE_EIO_PARTIAL, 2, -EIO);

	t_ctx("a write cut short after 1 block, no error");
	zone_holds(2);
	arm(RF_WRITE_SHORT, 1, 1);
	t_rec_fill(buf, 4 * BS, BS, 3, 3);
	T_OK(zk_append(t.dev, zs, buf, 4 * BS, &landed));
	T_EQ(landed, zs + 2 * BS);
	rel_fault_clear();
	T_ZCHECK(t.dev, zs, ZK_COND_IMP_OPEN, zs + 6 * BS);
	T_EQ(rel_zone_file_size(&t, ZA), 6 * BS);
	T_RET(zk_pread(t.dev, back, 4 * BS, landed), 4 * BS);
	T_ASSERT(!memcmp(back, buf, 4 * BS));

	t_ctx("FINISH fails, not done");
	zone_holds(2);
	arm(RF_ZONEOP_EIO_BEFORE, 0, 1);
	T_RET(zk_zone_op(t.dev, ZK_OP_FINISH, zs, geo.zone_size), -EIO);
	still_holds(2);
	t_ctx("RESET fails, not done");
	arm(RF_ZONEOP_EIO_BEFORE, 0, 1);
	T_RET(zk_zone_op(t.dev, ZK_OP_RESET, zs, geo.zone_size), -EIO);
	still_holds(2);

	rel_fault_uninstall(t.dev);
	t_dev_close(&t);
	return T_EXIT_PASS;
}
