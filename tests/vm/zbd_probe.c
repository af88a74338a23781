// SPDX-License-Identifier: MIT
/*
 * zbd_probe: smoke check of a real zoned block device, run inside the test VM.
 *   zbd_probe DEV...
 * For each DEV: open with O_DIRECT, BLKREPORTZONE the first zones, write one
 * logical block (at least 4 KiB) at the write pointer of the first sequential zone
 * with room, re-report and check that the wp moved by exactly that much, read
 * the data back, and check that a write at the old (now stale) wp fails with EIO.
 * Build: gcc -O2 -Wall -static -o zbd_probe zbd_probe.c. Exit status: 0 if all passed.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/blkzoned.h>
#include <linux/fs.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#define NZ 8 /* zones reported from the first sequential zone on */

static const char *cond_name(int c)
{
	static const char *n[] = { "nw", "em", "oi", "oe", "cl", "?", "?", "?", "?", "?", "?", "?", "?", "ro", "fu", "of" };
	return c >= 0 && c < 16 ? n[c] : "?";
}

/* report up to nr zones from sector; returns the number reported or -1 */
static int report(int fd, uint64_t sector, struct blk_zone *z, unsigned int nr)
{
	struct blk_zone_report *r = calloc(1, sizeof(*r) + nr * sizeof(*z));
	int n;

	if (!r)
		return -1;
	r->sector = sector;
	r->nr_zones = nr;
	if (ioctl(fd, BLKREPORTZONE, r) < 0) {
		perror("BLKREPORTZONE");
		free(r);
		return -1;
	}
	if (!(r->flags & BLK_ZONE_REP_CAPACITY)) /* older kernels: capacity == len */
		for (unsigned int i = 0; i < r->nr_zones; i++)
			r->zones[i].capacity = r->zones[i].len;
	n = (int)r->nr_zones;
	memcpy(z, r->zones, n * sizeof(*z));
	free(r);
	return n;
}

static int probe(const char *dev)
{
	struct blk_zone z[NZ], after;
	unsigned int zsect = 0, nrz = 0;
	int fd, lbs = 0, n, i, seq = -1;
	size_t len;
	void *wbuf, *rbuf;
	uint64_t wp;
	ssize_t ret;

	fd = open(dev, O_RDWR | O_DIRECT);
	if (fd < 0) {
		perror(dev);
		return 1;
	}
	if (ioctl(fd, BLKGETZONESZ, &zsect) < 0 || ioctl(fd, BLKGETNRZONES, &nrz) < 0 ||
	    ioctl(fd, BLKSSZGET, &lbs) < 0 || zsect == 0) {
		fprintf(stderr, "%s: not a zoned block device\n", dev);
		return 1;
	}
	printf("%s: %u zones of %u sectors, logical block %d\n", dev, nrz, zsect, lbs);

	/* find the first sequential zone (conventional ones come first) */
	for (uint64_t s = 0; seq < 0 && s < (uint64_t)nrz * zsect; s += (uint64_t)NZ * zsect) {
		n = report(fd, s, z, NZ);
		if (n <= 0)
			return 1;
		for (i = 0; i < n; i++) {
			printf("  zone %llu: len %llu cap %llu wp %llu type %d cond %s\n",
			       (unsigned long long)z[i].start, (unsigned long long)z[i].len,
			       (unsigned long long)z[i].capacity, (unsigned long long)z[i].wp,
			       z[i].type, cond_name(z[i].cond));
			if (z[i].type == BLK_ZONE_TYPE_SEQWRITE_REQ && z[i].cond != BLK_ZONE_COND_FULL &&
			    z[i].cond != BLK_ZONE_COND_READONLY && z[i].cond != BLK_ZONE_COND_OFFLINE &&
			    seq < 0)
				seq = i;
		}
	}
	if (seq < 0) {
		fprintf(stderr, "%s: no writable sequential zone in the first zones\n", dev);
		return 1;
	}

	len = lbs > 4096 ? (size_t)lbs : 4096;
	if (z[seq].wp + len / 512 > z[seq].start + z[seq].capacity) {
		fprintf(stderr, "%s: no room in zone %llu\n", dev, (unsigned long long)z[seq].start);
		return 1;
	}
	if (posix_memalign(&wbuf, 4096, len) || posix_memalign(&rbuf, 4096, len))
		return 1;
	for (size_t b = 0; b < len; b++)
		((unsigned char *)wbuf)[b] = (unsigned char)(b * 7 + 1);

	wp = z[seq].wp;
	ret = pwrite(fd, wbuf, len, (off_t)(wp * 512));
	if (ret != (ssize_t)len) {
		fprintf(stderr, "%s: write %zu at wp %llu: %zd (%s)\n", dev, len, (unsigned long long)wp,
			ret, ret < 0 ? strerror(errno) : "short");
		return 1;
	}
	if (report(fd, z[seq].start, &after, 1) != 1)
		return 1;
	printf("%s: wrote %zu bytes at sector %llu: wp %llu -> %llu, cond %s\n", dev, len,
	       (unsigned long long)wp, (unsigned long long)wp, (unsigned long long)after.wp,
	       cond_name(after.cond));
	if (after.wp != wp + len / 512) {
		fprintf(stderr, "%s: FAIL: wp did not advance by %zu sectors\n", dev, len / 512);
		return 1;
	}
	if (pread(fd, rbuf, len, (off_t)(wp * 512)) != (ssize_t)len || memcmp(wbuf, rbuf, len)) {
		fprintf(stderr, "%s: FAIL: read back differs\n", dev);
		return 1;
	}
	/* a real zoned device refuses a write behind the wp */
	ret = pwrite(fd, wbuf, len, (off_t)(wp * 512));
	if (ret >= 0 || errno != EIO) {
		fprintf(stderr, "%s: FAIL: write at the stale wp gave %zd (%s), expected EIO\n", dev,
			ret, ret < 0 ? strerror(errno) : "success");
		return 1;
	}
	printf("%s: ok (write behind the wp: EIO as expected)\n", dev);
	free(wbuf);
	free(rbuf);
	close(fd);
	return 0;
}

int main(int argc, char **argv)
{
	int fails = 0;

	if (argc < 2) {
		fprintf(stderr, "usage: %s DEV...\n", argv[0]);
		return 2;
	}
	for (int i = 1; i < argc; i++)
		fails += probe(argv[i]);
	return fails ? 1 : 0;
}
