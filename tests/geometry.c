/* SPDX-License-Identifier: MIT */
/*
 * zk_create checks the geometry: bad ones give -EINVAL (and
 * zk_geometry_problem says why), good ones (including
 * the unusual but legal: smaller last zone, zone_capacity 0, 512-byte
 * blocks, only one of max_open/max_active) are accepted and come back from
 * zk_info normalised.
 */
#include "testlib.h"

#include <sys/stat.h>

static const char *tmp;
static int n;

static int try_create(const struct zk_geometry *geo, char *path, size_t size)
{
	snprintf(path, size, "%s/d%d", tmp, n++);
	return zk_create(path, geo);
}

#define BAD(desc, field_changes)                                            \
	do {                                                                \
		struct zk_geometry g;                                       \
		char p[PATH_MAX];                                           \
		t_geo_default(&g);                                          \
		field_changes;                                              \
		t_ctx("bad geometry: %s", desc);                            \
		const char *why_ = zk_geometry_problem(&g);                 \
		if (!why_ || !*why_)                                        \
			T_FAIL("zk_geometry_problem gave no problem");      \
		t_info("%s: %s", desc, why_);                               \
		T_RET(try_create(&g, p, sizeof(p)), -EINVAL);               \
		/* and nothing that can be opened as a device is left */    \
		struct zk_dev *d_ = NULL;                                   \
		if (zk_open(p, ZK_RDONLY, &d_) == 0) {                      \
			zk_close(d_);                                       \
			T_FAIL("a device was made of a bad geometry");      \
		}                                                           \
	} while (0)

static void good(const char *desc, const struct zk_geometry *g,
		 uint32_t nr_zones, uint64_t zone_cap, uint64_t last_len,
		 uint64_t last_cap)
{
	struct zk_dev *dev = NULL;
	struct zk_info info;
	struct zk_zone *zones;
	unsigned int nr;
	char p[PATH_MAX];

	t_ctx("good geometry: %s", desc);
	if (zk_geometry_problem(g))
		T_FAIL("zk_geometry_problem: %s", zk_geometry_problem(g));
	T_RET(try_create(g, p, sizeof(p)), 0);
	T_RET(zk_open(p, 0, &dev), 0);
	T_RET(zk_info(dev, &info), 0);
	T_EQ(info.capacity, g->capacity);
	T_EQ(info.zone_size, g->zone_size);
	T_EQ(info.zone_capacity, zone_cap);
	T_EQ(info.nr_conv_zones, g->nr_conv_zones);
	T_EQ(info.block_size, g->block_size);
	T_EQ(info.write_granularity, g->block_size); /* files: any block */
	T_EQ(info.max_open, g->max_open);
	T_EQ(info.max_active, g->max_active);
	T_EQ(info.max_append, g->max_append);
	T_EQ(info.nr_zones, nr_zones);
	T_EQ(info.backend, ZK_BACKEND_EMULATED);

	zones = t_malloc(sizeof(*zones) * (nr_zones + 1));
	nr = nr_zones + 1;
	T_RET(zk_report(dev, 0, zones, &nr), 0);
	T_EQ(nr, nr_zones);
	T_EQ(zones[nr - 1].start, (uint64_t)(nr_zones - 1) * g->zone_size);
	T_EQ(zones[nr - 1].len, last_len);
	T_EQ(zones[nr - 1].capacity, last_cap);
	free(zones);
	zk_close(dev);
}

int main(void)
{
	struct zk_geometry g;

	tmp = t_tmpdir();

	BAD("zone size not a power of two", g.zone_size = 3 * MiB; g.capacity = 12 * MiB);
	BAD("zone size zero", g.zone_size = 0);
	BAD("zone size smaller than a block", g.zone_size = 2048; g.capacity = 16 * 2048);
	BAD("capacity zero", g.capacity = 0);
	BAD("capacity not a block multiple", g.capacity = 8 * MiB + 512);
	BAD("capacity not a block multiple (512)", g.block_size = 512; g.capacity = 8 * MiB + 100);
	BAD("zone capacity > zone size", g.zone_capacity = 2 * MiB);
	BAD("zone capacity not a block multiple", g.zone_capacity = 512 * KiB + 512);
	BAD("block size 1000", g.block_size = 1000);
	BAD("block size 0", g.block_size = 0);
	BAD("block size 2048", g.block_size = 2048);
	BAD("block size 8192", g.block_size = 8192);
	BAD("max_open > max_active", g.max_open = 4; g.max_active = 3);
	BAD("nr_conv_zones == nr_zones", g.nr_conv_zones = 8);
	BAD("nr_conv_zones > nr_zones", g.nr_conv_zones = 9);
	BAD("nr_conv_zones == nr_zones (smaller last zone)",
	    g.capacity = 7 * MiB + 4 * KiB; g.nr_conv_zones = 8);

	t_geo_default(&g);
	good("default", &g, 8, 1 * MiB, 1 * MiB, 1 * MiB);

	t_geo_default(&g);
	g.capacity = 7 * MiB + 256 * KiB;
	good("smaller last zone", &g, 8, 1 * MiB, 256 * KiB, 256 * KiB);

	t_geo_default(&g);
	g.capacity = 7 * MiB + 256 * KiB;
	g.zone_capacity = 512 * KiB;
	good("last zone smaller than zone capacity", &g, 8, 512 * KiB,
	     256 * KiB, 256 * KiB);

	t_geo_default(&g);
	g.capacity = 7 * MiB + 768 * KiB;
	g.zone_capacity = 512 * KiB;
	good("last zone larger than zone capacity", &g, 8, 512 * KiB,
	     768 * KiB, 512 * KiB);

	t_geo_default(&g);
	g.capacity = 7 * MiB + 4 * KiB;
	g.nr_conv_zones = 7;
	good("only the last, one-block zone is sequential", &g, 8, 1 * MiB,
	     4 * KiB, 4 * KiB);

	t_geo_default(&g);
	g.zone_capacity = 1 * MiB;
	good("zone capacity = zone size", &g, 8, 1 * MiB, 1 * MiB, 1 * MiB);

	t_geo_default(&g);
	g.nr_conv_zones = 0;
	good("no conventional zones", &g, 8, 1 * MiB, 1 * MiB, 1 * MiB);

	t_geo_default(&g);
	g.block_size = 512;
	g.capacity = 4 * MiB + 512;
	g.zone_capacity = 1 * MiB - 512;
	good("512-byte blocks", &g, 5, 1 * MiB - 512, 512, 512);

	t_geo_default(&g);
	g.max_open = 5;
	good("max_open only", &g, 8, 1 * MiB, 1 * MiB, 1 * MiB);

	t_geo_default(&g);
	g.max_active = 2;
	good("max_active only", &g, 8, 1 * MiB, 1 * MiB, 1 * MiB);

	t_geo_default(&g);
	g.max_open = 3;
	g.max_active = 3;
	g.max_append = 64 * KiB;
	good("max_open = max_active", &g, 8, 1 * MiB, 1 * MiB, 1 * MiB);

	t_geo_default(&g);
	g.zone_size = 64 * KiB;
	g.capacity = 64 * MiB;
	good("many small zones", &g, 1024, 64 * KiB, 64 * KiB, 64 * KiB);

	t_info("pass");
	return T_EXIT_PASS;
}
