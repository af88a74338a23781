/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target: zk_open() of a hostile emulated device directory.  The
 * input is three parts separated by a line "--": the geometry file, the
 * conditions file (absent if there is no second part), and one byte per
 * zone saying what its file is: 0 as it should be (a sequential zone
 * empty), 255 missing, anything else a size of that many blocks (plus one
 * byte if it is odd and over 200: a partial block).  Zone files are made
 * (sparse) only when the geometry parses and has at most 64 zones;
 * geometries of over 65536 zones are skipped (zk_open mallocs 24 bytes a
 * zone before it looks at any zone file: see doc/reliability.md).  FIFOs
 * are not made (a known hang, tested by rel_badinput).
 *
 * Checked: zk_open (read-only, then read-write) returns 0 or a negative
 * errno and never crashes; when it opens, every zone is sane (wp within
 * the zone, a valid condition, a sequential zone's wp its file's size),
 * zk_resync agrees, and one append to the first open zone lands at its wp.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fuzz.h"
#include "geometry.h"

static char dir[256];

static void clean_dir(void);

static void cleanup(void)
{
	clean_dir();
	rmdir(dir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *base = getenv("TMPDIR");
	struct stat st;

	(void)argc;
	(void)argv;
	if (!stat("/dev/shm", &st) && S_ISDIR(st.st_mode) && !access("/dev/shm", W_OK))
		base = "/dev/shm";
	snprintf(dir, sizeof(dir), "%s/zk-fuzz-dev-%d", base ? base : "/tmp",
		 (int)getpid());
	if (mkdir(dir, 0755) && errno != EEXIST)
		fuzz_fail("mkdir %s", dir);
	atexit(cleanup);
	return 0;
}

static void clean_dir(void)
{
	DIR *d = opendir(dir);
	struct dirent *de;

	if (!d)
		fuzz_fail("opendir");
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			unlinkat(dirfd(d), de->d_name, 0);
	closedir(d);
}

static void put(const char *name, const void *buf, size_t len, off_t size)
{
	char p[512];
	int fd;

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0)
		fuzz_fail("create %s", p);
	if ((len && write(fd, buf, len) != (ssize_t)len) ||
	    (size >= 0 && ftruncate(fd, size)))
		fuzz_fail("write %s", p);
	close(fd);
}

static const uint8_t *part(const uint8_t *s, const uint8_t *end,
			   size_t *len)
{
	const uint8_t *p = s;

	for (; p + 4 <= end; p++)
		if (!memcmp(p, "\n--\n", 4)) {
			*len = (size_t)(p - s) + 1;
			return p + 4;
		}
	*len = (size_t)(end - s);
	return NULL;
}

static void check_open(unsigned int flags)
{
	struct zk_dev *d;
	struct zk_info info;
	struct zk_zone *z, *z2;
	unsigned int nr;
	int ret = zk_open(dir, flags, &d);

	if (ret > 0)
		fuzz_fail("zk_open returned %d", ret);
	if (ret)
		return;
	if (zk_info(d, &info))
		fuzz_fail("zk_info");
	nr = info.nr_zones;
	z = calloc(nr, sizeof(*z));
	z2 = calloc(nr, sizeof(*z2));
	if (!z || !z2 || zk_report(d, 0, z, &nr) || nr != info.nr_zones)
		fuzz_fail("zk_report");
	for (unsigned int i = 0; i < nr; i++) {
		char name[64], p[512];
		struct stat st;

		if (z[i].wp < z[i].start || z[i].wp > z[i].start + z[i].len ||
		    z[i].capacity > z[i].len)
			fuzz_fail("zone %u: wp %llu outside", i,
				  (unsigned long long)z[i].wp);
		if (i < info.nr_conv_zones) {
			if (z[i].type != ZK_ZONE_CONVENTIONAL)
				fuzz_fail("zone %u: type", i);
			continue;
		}
		switch (z[i].cond) {
		case ZK_COND_EMPTY: case ZK_COND_CLOSED: case ZK_COND_FULL:
		case ZK_COND_READONLY: case ZK_COND_OFFLINE:
			break;
		default:
			fuzz_fail("zone %u: condition %u after open", i, z[i].cond);
		}
		snprintf(name, sizeof(name), "seq-%06u", i);
		snprintf(p, sizeof(p), "%s/%s", dir, name);
		if (stat(p, &st))
			fuzz_fail("zone %u opened without its file", i);
		if (z[i].cond != ZK_COND_FULL && z[i].cond != ZK_COND_READONLY &&
		    z[i].cond != ZK_COND_OFFLINE &&
		    z[i].wp - z[i].start != (uint64_t)st.st_size)
			fuzz_fail("zone %u: wp %llu, file size %lld", i,
				  (unsigned long long)(z[i].wp - z[i].start),
				  (long long)st.st_size);
	}
	if (zk_resync(d) || zk_report(d, 0, z2, &nr) ||
	    memcmp(z, z2, nr * sizeof(*z)))
		fuzz_fail("zk_resync disagrees with zk_open");
	if (!(flags & ZK_RDONLY)) {
		for (unsigned int i = info.nr_conv_zones; i < nr; i++) {
			uint8_t *buf;
			uint64_t landed;

			if (z[i].cond != ZK_COND_EMPTY && z[i].cond != ZK_COND_CLOSED)
				continue;
			if (z[i].start + z[i].capacity - z[i].wp < info.block_size)
				continue;
			buf = calloc(1, info.block_size);
			ret = zk_append(d, z[i].start, buf, info.block_size, &landed);
			if (!ret && landed != z[i].wp)
				fuzz_fail("append landed at %llu, wp %llu",
					  (unsigned long long)landed,
					  (unsigned long long)z[i].wp);
			free(buf);
			break;
		}
	}
	free(z);
	free(z2);
	zk_close(d);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *end = data + size, *cond, *sizes;
	size_t glen, clen = 0, slen = 0;
	struct zk_geometry g;
	const char *why;
	uint32_t nr = 0;

	cond = part(data, end, &glen);
	if (cond) {
		sizes = part(cond, end, &clen);
		if (sizes)
			slen = (size_t)(end - sizes);
	} else {
		sizes = NULL;
	}
	if (!zk_geometry_parse((const char *)data, glen, &g, &why)) {
		nr = zk_geometry_nr_zones(&g);
		if (nr > 65536)
			return 0;
	}
	clean_dir();
	put("geometry", data, glen, -1);
	if (cond)
		put("conditions", cond, clen, -1);
	for (uint32_t z = 0; nr <= 64 && z < nr; z++) {
		uint8_t b = z < slen ? sizes[z] : 0;
		uint64_t start = (uint64_t)z * g.zone_size;
		uint64_t len = g.capacity - start < g.zone_size ?
			g.capacity - start : g.zone_size;
		char name[64];
		off_t fsize;

		if (b == 255)
			continue;
		snprintf(name, sizeof(name), "%s-%06u",
			 z < g.nr_conv_zones ? "cnv" : "seq", z);
		if (b == 0)
			fsize = z < g.nr_conv_zones ? (off_t)len : 0;
		else
			fsize = (off_t)b * g.block_size + (b > 200 && (b & 1));
		put(name, NULL, 0, fsize);
	}
	check_open(ZK_RDONLY);
	check_open(0);
	return 0;
}
