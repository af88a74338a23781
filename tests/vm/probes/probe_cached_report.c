/* SPDX-License-Identifier: MIT */
/*
 * probe_cached_report: Linux 6.19's BLKREPORTZONEV2 with BLK_ZONE_REP_CACHED
 * (a zone report from the block layer's cached zone information) against the
 * device's own report (BLKREPORTZONE), on one zoned block device.
 * Needs the uapi <linux/blkzoned.h> of a kernel that has it (7.2's, from
 * Debian's linux-source-7.2 that tests/vm/setup.sh fetches: build with
 * -I .cache/7.2/zloop/src/include/uapi; Debian 12's header lacks it).
 *   probe_cached_report DEV [ZONEDIR]
 *   probe_cached_report -n DEV    only both reports of the first zones as
 *                                 they are (nothing written or reset)
 * Resets every zone, brings the first sequential zones into each condition
 * (EMPTY; IMP_OPEN by a write; EXP_OPEN by BLKOPENZONE, never written;
 * CLOSED by a write and BLKCLOSEZONE; FULL by BLKFINISHZONE; FULL by writes),
 * and prints each zone's condition and wp in both reports; then again after
 * another process (its own open of DEV) wrote to two zones, and, with ZONEDIR
 * (a zloop device's zone file directory), after a program appended to zone
 * files behind the kernel's back, and what a write at either wp then does.
 * Static build: gcc -O2 -static -I$UAPI -o probe_cached_report probe_cached_report.c
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/blkzoned.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef BLKREPORTZONEV2
#error "this <linux/blkzoned.h> has no BLKREPORTZONEV2: build with -I <7.2 uapi include dir>"
#endif

#define NZ 8 /* zones looked at */

static int fd;
static uint64_t zsec;  /* zone size, sectors */
static uint32_t first; /* first sequential zone */
static void *buf;

static void die(const char *what)
{
	perror(what);
	exit(1);
}

struct rep {
	struct blk_zone_report r;
	struct blk_zone z[NZ];
};

/* @v2: BLKREPORTZONEV2 with @flags; else BLKREPORTZONE. 0 or -errno. */
static int report(int v2, uint32_t flags, struct rep *out)
{
	memset(out, 0, sizeof(*out));
	out->r.sector = first * zsec;
	out->r.nr_zones = NZ;
	out->r.flags = flags;
	if (ioctl(fd, v2 ? BLKREPORTZONEV2 : BLKREPORTZONE, out))
		return -errno;
	return 0;
}

static const char *cond_name(unsigned int c)
{
	switch (c) {
	case BLK_ZONE_COND_NOT_WP: return "NOT_WP";
	case BLK_ZONE_COND_EMPTY: return "EMPTY";
	case BLK_ZONE_COND_IMP_OPEN: return "IMP_OPEN";
	case BLK_ZONE_COND_EXP_OPEN: return "EXP_OPEN";
	case BLK_ZONE_COND_CLOSED: return "CLOSED";
	case BLK_ZONE_COND_READONLY: return "READONLY";
	case BLK_ZONE_COND_FULL: return "FULL";
	case BLK_ZONE_COND_OFFLINE: return "OFFLINE";
	case BLK_ZONE_COND_ACTIVE: return "ACTIVE";
	default: return "?";
	}
}

static bool report_only; /* -n: only show the reports */
static const char *const what_done[NZ] = {
	"untouched", "written 8 KiB", "BLKOPENZONE", "8 KiB, BLKCLOSEZONE",
	"BLKFINISHZONE", "written to capacity", "untouched", "untouched",
};
static const char *const *what = what_done;

static void wp_str(const struct blk_zone *z, char *s, size_t n)
{
	if (z->wp >= z->start + z->len || z->wp < z->start)
		snprintf(s, n, "%#llx", (unsigned long long)z->wp);
	else
		snprintf(s, n, "+%llu KiB",
			 (unsigned long long)(z->wp - z->start) / 2);
}

static void table(const char *title)
{
	struct rep dev, cached, v2;
	int r1 = report(0, 0, &dev), r2 = report(1, BLK_ZONE_REP_CACHED, &cached);
	int r3 = report(1, 0, &v2);

	printf("-- %s\n", title);
	if (r1 || r2 || r3) {
		printf("   BLKREPORTZONE %s, BLKREPORTZONEV2|CACHED %s, "
		       "BLKREPORTZONEV2 %s\n", strerror(-r1), strerror(-r2),
		       strerror(-r3));
		if (r1 || r2)
			return;
	}
	printf("   reports: device %u zones flags %#x; cached %u zones flags "
	       "%#x\n", dev.r.nr_zones, dev.r.flags, cached.r.nr_zones,
	       cached.r.flags);
	for (unsigned int i = 0; !r3 && i < NZ && i < dev.r.nr_zones; i++)
		if (memcmp(&dev.z[i], &v2.z[i], sizeof(dev.z[i])))
			printf("   zone %u: BLKREPORTZONEV2 without CACHED says "
			       "cond %s wp %#llx, BLKREPORTZONE cond %s wp "
			       "%#llx\n", first + i, cond_name(v2.z[i].cond),
			       (unsigned long long)v2.z[i].wp,
			       cond_name(dev.z[i].cond),
			       (unsigned long long)dev.z[i].wp);
	printf("   %-4s %-22s %-9s %-14s %-9s %-14s\n", "zone", "done",
	       "device", "wp", "cached", "wp");
	for (unsigned int i = 0; i < NZ && i < dev.r.nr_zones; i++) {
		char a[32], b[32];

		wp_str(&dev.z[i], a, sizeof(a));
		wp_str(&cached.z[i], b, sizeof(b));
		printf("   %-4u %-22s %-9s %-14s %-9s %-14s%s\n", first + i,
		       what ? what[i] : "", cond_name(dev.z[i].cond), a,
		       cond_name(cached.z[i].cond), b,
		       dev.z[i].cond != cached.z[i].cond ||
		       dev.z[i].wp != cached.z[i].wp ? "  <- differ" : "");
	}
}

static void zone_ioctl(unsigned long req, uint32_t z, const char *name)
{
	struct blk_zone_range r = { z * zsec, zsec };

	if (ioctl(fd, req, &r))
		die(name);
}

static void wr(uint32_t z, uint64_t ofs, size_t len)
{
	if (pwrite(fd, buf, len, (off_t)((z * zsec) << 9) + ofs) != (ssize_t)len)
		die("pwrite");
}

/* another process, with its own open of the device, writes @len at @ofs */
static void other_program_writes(const char *dev, uint32_t z, uint64_t ofs,
				 size_t len)
{
	pid_t pid = fork();
	int st;

	if (pid < 0)
		die("fork");
	if (!pid) {
		int f = open(dev, O_RDWR | O_DIRECT);

		_exit(f < 0 || pwrite(f, buf, len, (off_t)((z * zsec) << 9) + ofs)
		      != (ssize_t)len);
	}
	if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st))
		die("the other program's write");
}

/* a program appends @len bytes to zone @z's file behind the kernel's back */
static void file_append(const char *dir, uint32_t z, size_t len)
{
	char path[512];
	int f;

	snprintf(path, sizeof(path), "%s/seq-%06u", dir, z);
	f = open(path, O_WRONLY | O_APPEND);
	if (f < 0 || write(f, buf, len) != (ssize_t)len || close(f))
		die(path);
}

static void try_write(const char *label, uint32_t z, uint64_t ofs)
{
	ssize_t r = pwrite(fd, buf, 4096, (off_t)((z * zsec) << 9) + ofs);

	printf("   %s: O_DIRECT 4 KiB at +%" PRIu64 " KiB of zone %u: %s\n",
	       label, ofs / 1024, z, r == 4096 ? "ok" : strerror(errno));
}

int main(int argc, char **argv)
{
	struct stat sb;
	struct rep all;
	uint64_t cap;
	char path[128];
	FILE *f;

	if (argc == 3 && !strcmp(argv[1], "-n")) {
		report_only = true;
		argv++, argc--;
	}
	if (argc < 2 || argc > 3) {
		fprintf(stderr, "usage: probe_cached_report [-n] DEV [ZONEDIR]\n");
		return 2;
	}
	printf("uapi: BLKREPORTZONE %#lx, BLKREPORTZONEV2 %#lx, "
	       "BLK_ZONE_REP_CACHED %#x, BLK_ZONE_COND_ACTIVE %#x; "
	       "struct blk_zone_report %zu bytes (sector @%zu, nr_zones @%zu, "
	       "flags @%zu, zones @%zu), struct blk_zone %zu bytes\n",
	       (unsigned long)BLKREPORTZONE, (unsigned long)BLKREPORTZONEV2,
	       (unsigned int)BLK_ZONE_REP_CACHED,
	       (unsigned int)BLK_ZONE_COND_ACTIVE,
	       sizeof(struct blk_zone_report),
	       offsetof(struct blk_zone_report, sector),
	       offsetof(struct blk_zone_report, nr_zones),
	       offsetof(struct blk_zone_report, flags),
	       offsetof(struct blk_zone_report, zones), sizeof(struct blk_zone));
	fd = open(argv[1], O_RDWR | O_DIRECT);
	if (fd < 0 || fstat(fd, &sb))
		die(argv[1]);
	snprintf(path, sizeof(path), "/sys/dev/block/%u:%u/queue/chunk_sectors",
		 major(sb.st_rdev), minor(sb.st_rdev));
	f = fopen(path, "r");
	if (!f || fscanf(f, "%" SCNu64, &zsec) != 1 || !zsec)
		die(path);
	fclose(f);
	if (posix_memalign(&buf, 4096, 1 << 20))
		die("memory");
	memset(buf, 0xa5, 1 << 20);
	/* the first sequential zone */
	for (first = 0;; first++) {
		memset(&all, 0, sizeof(all));
		all.r.sector = first * zsec;
		all.r.nr_zones = 1;
		if (ioctl(fd, BLKREPORTZONE, &all) || !all.r.nr_zones)
			die("no sequential zone");
		if (all.z[0].type == BLK_ZONE_TYPE_SEQWRITE_REQ)
			break;
	}
	cap = all.z[0].capacity << 9;
	printf("%s: zones of %" PRIu64 " MiB, capacity %" PRIu64 " KiB, first "
	       "sequential zone %u\n", argv[1], (zsec << 9) >> 20, cap >> 10,
	       first);

	if (report_only) {
		what = NULL;
		table("as the device is (nothing done)");
		return 0;
	}
	for (uint32_t i = 0; i < NZ; i++)
		zone_ioctl(BLKRESETZONE, first + i, "BLKRESETZONE");
	table("after a reset of every zone");
	wr(first + 1, 0, 8192);
	zone_ioctl(BLKOPENZONE, first + 2, "BLKOPENZONE");
	wr(first + 3, 0, 8192);
	zone_ioctl(BLKCLOSEZONE, first + 3, "BLKCLOSEZONE");
	zone_ioctl(BLKFINISHZONE, first + 4, "BLKFINISHZONE");
	for (uint64_t o = 0; o < cap; o += 1 << 20)
		wr(first + 5, o, cap - o < (1 << 20) ? cap - o : (1 << 20));
	table("zones brought into each condition through this file descriptor");

	other_program_writes(argv[1], first + 1, 8192, 4096);
	other_program_writes(argv[1], first + 6, 0, 4096);
	table("after another process wrote 4 KiB at zone 1's wp and zone 6's "
	      "start (zone numbers from the first sequential zone)");

	if (argc == 3) {
		file_append(argv[2], first + 1, 4096);
		file_append(argv[2], first + 7, 8192);
		table("after a program appended 4 KiB to zone 1's file and 8 KiB "
		      "to zone 7's, behind the kernel's back");
		try_write("at the wp the device reports for zone 1", first + 1,
			  12288);
		try_write("at the zone file's size for zone 1", first + 1,
			  16384);
		try_write("at the start of zone 7 (its reported wp)", first + 7, 0);
		try_write("at zone 7's file size", first + 7, 8192);
		table("after these writes");
	}
	for (uint32_t i = 0; i < NZ; i++)
		zone_ioctl(BLKRESETZONE, first + i, "BLKRESETZONE");
	return 0;
}
