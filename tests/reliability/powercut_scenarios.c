/* SPDX-License-Identifier: MIT */
/*
 * What survives a power cut, case by case, on an emulated device on ext4
 * (a loop device shut down with EXT4_IOC_SHUTDOWN, NOLOGFLUSH: whatever
 * is not on disk is gone; then mounted again).  Root only.
 *
 * The cases zonekit promises are asserted: a flushed append, a flushed
 * reset or finish, a read-only/offline mark, a created device, and data a
 * handle found on the device when it opened once that handle's zk_flush()
 * returned (as a real device's cache flush persists every write completed
 * before it, whoever made it).  The others are observed and printed
 * ("kept" or "lost"), for the table in doc/reliability.md: an append not
 * flushed, one closed without a flush, a reset not flushed, a
 * conventional block overwritten without a flush.  In every case the
 * device opens again and every block below each zone's wp is a block of a
 * record.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "rel.h"

#define BS 4096u
#define ZS MiB

static struct rel_ext4 X;
static char dev_path[1300];
static unsigned int scen;
static char figures[2048];
static bool other_handle_lost;

static struct zk_dev *dev_new(void)
{
	struct zk_geometry g = { .capacity = 4 * ZS, .zone_size = ZS,
				 .nr_conv_zones = 1, .block_size = BS };
	struct zk_dev *d;

	snprintf(dev_path, sizeof(dev_path), "%s/dev-%u", X.mnt, ++scen);
	T_OK(zk_create(dev_path, &g));
	T_OK(zk_open(dev_path, 0, &d));
	return d;
}

static void append(struct zk_dev *d, uint32_t zone, uint32_t nblk,
		   uint32_t seq, uint64_t want)
{
	uint8_t *buf = t_aligned(nblk * BS);
	uint64_t landed;

	t_rec_fill(buf, nblk * BS, BS, 1, seq);
	T_OK(zk_append(d, zone * ZS, buf, nblk * BS, &landed));
	T_EQ(landed, want);
	free(buf);
}

/* Power cut; the device opened again; every zone's data checked. */
static struct zk_dev *cut(struct zk_dev *d)
{
	struct zk_zone z[4];
	unsigned int nr = 4;
	uint8_t *data = t_aligned(ZS);

	rel_ext4_shutdown(&X);
	if (d)
		zk_close(d);
	rel_ext4_remount(&X);
	T_OK(zk_open(dev_path, 0, &d));
	T_OK(zk_report(d, 0, z, &nr));
	for (unsigned int i = 1; i < nr; i++) {
		uint64_t end = z[i].wp > z[i].start + z[i].capacity ?
			z[i].start + z[i].capacity : z[i].wp;
		struct rel_found *f;
		size_t nf;
		uint64_t bad;
		const char *why;

		if (z[i].cond == ZK_COND_OFFLINE || end == z[i].start)
			continue;
		T_RET(zk_pread(d, data, end - z[i].start, z[i].start),
		      (long long)(end - z[i].start));
		why = rel_scan_records(data, z[i].start, end, BS, &f, &nf, &bad);
		/* Zeros past the data: a finish's, or what ext4 kept of an
		 * unflushed append (its size, not its data: finding 5). */
		if (why && strstr(why, "zero block")) {
			if (z[i].cond != ZK_COND_FULL)
				t_info("note: zone %u after the cut: %s", i, why);
		} else if (why) {
			T_FAIL("after the cut, zone %u: %s", i, why);
		}
		free(f);
	}
	free(data);
	return d;
}

static uint64_t wp_of(struct zk_dev *d, uint32_t zone)
{
	return T_ZONE(d, zone * ZS).wp;
}

/* The append of @nblk blocks, record 1/@seq, at the start of @zone is
 * there: below the wp, and its data. */
static bool kept(struct zk_dev *d, uint32_t zone, uint32_t nblk, uint32_t seq)
{
	uint8_t *want = t_aligned(nblk * BS), *got = t_aligned(nblk * BS);
	bool ok = wp_of(d, zone) >= zone * ZS + nblk * BS;

	t_rec_fill(want, nblk * BS, BS, 1, seq);
	if (ok) {
		T_RET(zk_pread(d, got, nblk * BS, zone * ZS), (long long)nblk * BS);
		ok = !memcmp(got, want, nblk * BS);
	}
	free(want);
	free(got);
	return ok;
}

static void observed(const char *key, const char *what, bool kept)
{
	t_info("%-58s %s", what, kept ? "kept" : "lost");
	snprintf(figures + strlen(figures), sizeof(figures) - strlen(figures),
		 " %s=%s", key, kept ? "kept" : "lost");
}

int main(void)
{
	struct zk_dev *d;

	rel_ext4_setup(&X, t_tmpdir());

	t_ctx("append, flush, cut");
	d = dev_new();
	append(d, 1, 4, 1, ZS);
	T_OK(zk_flush(d));
	d = cut(d);
	T_EQ(wp_of(d, 1), ZS + 4 * BS);
	{
		uint8_t *want = t_aligned(4 * BS), *got = t_aligned(4 * BS);

		t_rec_fill(want, 4 * BS, BS, 1, 1);
		T_RET(zk_pread(d, got, 4 * BS, ZS), 4 * BS);
		if (memcmp(got, want, 4 * BS))
			T_FAIL("a flushed append is not there after the cut");
		free(want);
		free(got);
	}
	zk_close(d);
	observed("append_flushed", "an append, flushed", true);

	t_ctx("append, no flush, cut");
	d = dev_new();
	append(d, 1, 4, 1, ZS);
	d = cut(d);
	observed("append_unflushed", "an append, not flushed", kept(d, 1, 4, 1));
	zk_close(d);

	t_ctx("append, zk_close, cut");
	d = dev_new();
	append(d, 1, 4, 1, ZS);
	zk_close(d);
	d = cut(NULL);
	observed("append_closed", "an append, zk_close() without a flush",
		 kept(d, 1, 4, 1));
	zk_close(d);

	t_ctx("append, close; another handle flushes; cut");
	d = dev_new();
	append(d, 1, 4, 1, ZS);
	zk_close(d);
	T_OK(zk_open(dev_path, 0, &d));
	T_EQ(wp_of(d, 1), ZS + 4 * BS); /* it sees the data... */
	T_OK(zk_flush(d));               /* ...and flushes */
	d = cut(d);
	observed("append_other_handle_flush",
		 "an append of a closed handle, a later handle's zk_flush()",
		 kept(d, 1, 4, 1));
	other_handle_lost = !kept(d, 1, 4, 1);
	zk_close(d);

	t_ctx("append, flush, reset, cut");
	d = dev_new();
	append(d, 1, 4, 1, ZS);
	T_OK(zk_flush(d));
	T_OK(zk_zone_op(d, ZK_OP_RESET, ZS, ZS));
	d = cut(d);
	observed("reset_unflushed", "a reset, not flushed (the old data)",
		 kept(d, 1, 4, 1));
	zk_close(d);

	t_ctx("append, flush, reset, flush, cut");
	d = dev_new();
	append(d, 1, 4, 1, ZS);
	T_OK(zk_flush(d));
	T_OK(zk_zone_op(d, ZK_OP_RESET, ZS, ZS));
	T_OK(zk_flush(d));
	d = cut(d);
	T_ZCHECK(d, ZS, ZK_COND_EMPTY, ZS);
	zk_close(d);
	observed("reset_flushed", "a reset, flushed (the zone empty)", true);

	t_ctx("append, finish, flush, cut");
	d = dev_new();
	append(d, 2, 2, 1, 2 * ZS);
	T_OK(zk_zone_op(d, ZK_OP_FINISH, 2 * ZS, ZS));
	T_OK(zk_flush(d));
	d = cut(d);
	T_ZCHECK(d, 2 * ZS, ZK_COND_FULL, 3 * ZS);
	zk_close(d);
	observed("finish_flushed", "a finish, flushed (the zone full)", true);

	t_ctx("set-cond offline, cut");
	d = dev_new();
	T_OK(zk_set_zone_cond(d, 3 * ZS, ZK_COND_OFFLINE));
	d = cut(d);
	T_ZCOND(d, 3 * ZS, ZK_COND_OFFLINE);
	zk_close(d);
	observed("offline_mark", "zk_set_zone_cond(OFFLINE), no flush", true);

	t_ctx("create, cut");
	d = dev_new();
	zk_close(d);
	d = cut(NULL); /* opens: cut() fails the test otherwise */
	zk_close(d);
	observed("create", "zk_create(), nothing else (the device opens)", true);

	t_ctx("conventional overwrite, cut");
	d = dev_new();
	{
		uint8_t *a = t_aligned(BS), *b = t_aligned(BS), *r = t_aligned(BS);

		t_rec_fill(a, BS, BS, 7, 1);
		t_rec_fill(b, BS, BS, 7, 2);
		T_RET(zk_pwrite(d, a, BS, 0), BS);
		T_OK(zk_flush(d));
		T_RET(zk_pwrite(d, b, BS, 0), BS);
		d = cut(d);
		T_RET(zk_pread(d, r, BS, 0), BS);
		if (memcmp(r, a, BS) && memcmp(r, b, BS))
			T_FAIL("conventional block neither old nor new");
		observed("conv_overwrite_unflushed",
			 "a conventional block overwritten, not flushed (the new)",
			 !memcmp(r, b, BS));
		free(a);
		free(b);
		free(r);
	}
	zk_close(d);
	t_ctx("%s", "");
	rel_figures("powercut-scenarios", "cases=%u%s", scen, figures);
	if (other_handle_lost)
		T_FAIL("data a handle saw below a zone's wp when it opened the "
		       "device (written by an earlier handle that did not "
		       "flush, e.g. a process that crashed) was lost to a power "
		       "cut after that handle's zk_flush() returned 0: the wp "
		       "went back.  zk_flush() syncs only the zones this handle "
		       "wrote (the dirty bits of emu_flush, src/backend_emu/io.c)");
	return T_EXIT_PASS;
}
