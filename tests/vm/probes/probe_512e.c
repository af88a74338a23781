/* SPDX-License-Identifier: MIT */
/*
 * probe_512e: what the kernel does with writes smaller than the physical
 * block to a sequential zone of a 512e zoned disk (512-byte logical,
 * 4 KiB physical blocks: scsi_debug zbc=host-managed sector_size=512
 * physblk_exp=3).  Prints the disk's sysfs block sizes, then for each of
 *   1. O_DIRECT write of 512 bytes at the wp (the zone start)
 *   2. O_DIRECT write of 4 KiB at the wp, which is then start + 512
 *   3. O_DIRECT write of 4 KiB at start + 4 KiB + 512 on a zone written
 *      4 KiB-aligned up to start + 4 KiB (not at the wp, not aligned)
 *   4. buffered write of 512 bytes at the wp, then fsync
 * its result (bytes or errno), the zone's wp and condition after it
 * (BLKREPORTZONE), and whether it reached the driver: the disk's count of
 * completed write requests (/sys/block/NAME/stat, field 5) before and
 * after.  A write refused before it became a request does not count.
 *   probe_512e DEV ZONE     (ZONE: a sequential zone's number; it is reset)
 * Static build: gcc -O2 -static -o probe_512e probe_512e.c
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/blkzoned.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

static char sysdir[256];

static void die(const char *what)
{
	perror(what);
	exit(1);
}

static unsigned long long sysfs_num(const char *attr)
{
	char path[320], buf[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", sysdir, attr);
	f = fopen(path, "r");
	if (!f || !fgets(buf, sizeof(buf), f))
		return ~0ULL;
	fclose(f);
	return strtoull(buf, NULL, 10);
}

/* completed write requests: field 5 of /sys/block/NAME/stat */
static unsigned long long writes_done(void)
{
	char path[320];
	unsigned long long v[5] = { 0 };
	FILE *f;

	snprintf(path, sizeof(path), "%s/stat", sysdir);
	f = fopen(path, "r");
	if (!f || fscanf(f, "%llu %llu %llu %llu %llu", &v[0], &v[1], &v[2],
			 &v[3], &v[4]) != 5)
		die(path);
	fclose(f);
	return v[4];
}

static struct blk_zone zone_of(int fd, uint64_t sector)
{
	struct {
		struct blk_zone_report r;
		struct blk_zone z;
	} rep = { .r = { .sector = sector, .nr_zones = 1 } };

	if (ioctl(fd, BLKREPORTZONE, &rep) || rep.r.nr_zones != 1)
		die("BLKREPORTZONE");
	return rep.z;
}

static void show(const char *what, ssize_t r, int err, int fd, uint64_t zsec,
		 unsigned long long before)
{
	struct blk_zone z = zone_of(fd, zsec);
	char res[64];

	if (r < 0)
		snprintf(res, sizeof(res), "error %s", strerror(err));
	else
		snprintf(res, sizeof(res), "%zd bytes", r);
	printf("%-58s -> %s; wp +%" PRIu64 " B cond %u; write requests "
	       "completed +%llu\n", what, res,
	       (uint64_t)(z.wp - z.start) << 9, (unsigned int)z.cond,
	       writes_done() - before);
}

int main(int argc, char **argv)
{
	int fd, bfd, err;
	unsigned long long before;
	struct blk_zone_range range;
	struct blk_zone z;
	struct stat sb;
	uint64_t start;
	ssize_t r;
	void *buf;

	if (argc != 3) {
		fprintf(stderr, "usage: probe_512e DEV ZONE\n");
		return 2;
	}
	fd = open(argv[1], O_RDWR | O_DIRECT);
	bfd = open(argv[1], O_RDWR);
	if (fd < 0 || bfd < 0 || fstat(fd, &sb))
		die(argv[1]);
	snprintf(sysdir, sizeof(sysdir), "/sys/dev/block/%u:%u",
		 major(sb.st_rdev), minor(sb.st_rdev));
	printf("%s: logical_block_size %llu, physical_block_size %llu, "
	       "zone_write_granularity %llu, dma_alignment %llu, chunk_sectors "
	       "%llu\n", argv[1], sysfs_num("queue/logical_block_size"),
	       sysfs_num("queue/physical_block_size"),
	       sysfs_num("queue/zone_write_granularity"),
	       sysfs_num("queue/dma_alignment"),
	       sysfs_num("queue/chunk_sectors"));
	start = strtoull(argv[2], NULL, 0) * sysfs_num("queue/chunk_sectors");
	z = zone_of(fd, start);
	if (z.type != BLK_ZONE_TYPE_SEQWRITE_REQ) {
		fprintf(stderr, "zone %s is not sequential write required\n",
			argv[2]);
		return 2;
	}
	if (posix_memalign(&buf, 4096, 8192))
		die("memory");
	memset(buf, 0x5a, 8192);
	range = (struct blk_zone_range){ start, z.len };

	if (ioctl(fd, BLKRESETZONE, &range))
		die("BLKRESETZONE");
	before = writes_done();
	r = pwrite(fd, buf, 512, (off_t)(start << 9));
	err = errno;
	show("1. O_DIRECT 512 B at the wp (zone start)", r, err, fd, start,
	     before);
	before = writes_done();
	r = pwrite(fd, buf, 4096, (off_t)(start << 9) + 512);
	err = errno;
	show("2. O_DIRECT 4 KiB at the wp = start + 512", r, err, fd, start,
	     before);

	if (ioctl(fd, BLKRESETZONE, &range))
		die("BLKRESETZONE");
	if (pwrite(fd, buf, 4096, (off_t)(start << 9)) != 4096)
		die("aligned 4 KiB write at the zone start");
	before = writes_done();
	r = pwrite(fd, buf, 4096, (off_t)(start << 9) + 4096 + 512);
	err = errno;
	show("3. O_DIRECT 4 KiB at start + 4 KiB + 512 (wp start + 4 KiB)", r,
	     err, fd, start, before);

	if (ioctl(fd, BLKRESETZONE, &range))
		die("BLKRESETZONE");
	before = writes_done();
	r = pwrite(bfd, buf, 512, (off_t)(start << 9));
	err = errno;
	if (r >= 0 && fsync(bfd)) {
		r = -1;
		err = errno;
	}
	show("4. buffered 512 B at the wp, fsync", r, err, fd, start, before);
	ioctl(fd, BLKRESETZONE, &range);
	return 0;
}
