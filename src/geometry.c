/* SPDX-License-Identifier: MIT */
/*
 * Device geometry: validation, and the small text file an emulated device
 * keeps it in.  The parser is strict (every key once, nothing unknown, no
 * junk after a number) because a damaged file must be refused, not guessed.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compiler.h"
#include "geometry.h"
#include "wp_table.h"

static bool is_pow2(uint64_t v) { return v && !(v & (v - 1)); }

uint32_t zk_geometry_nr_zones(const struct zk_geometry *geo)
{
	return (uint32_t)((geo->capacity + geo->zone_size - 1) / geo->zone_size);
}

static const char *geometry_problem(const struct zk_geometry *g)
{
	uint64_t nr;

	if (g->block_size != 512 && g->block_size != 4096)
		return "block size must be 512 or 4096";
	if (!is_pow2(g->zone_size) || g->zone_size < g->block_size)
		return "zone size must be a power of two and at least one block";
	if (g->zone_size > (1ULL << 40))
		return "zone size must be at most 1 TiB";
	if (!g->capacity || g->capacity % g->block_size)
		return "capacity must be a non-zero multiple of the block size";
	if (g->capacity >= ZK_MAX_CAPACITY)
		return "capacity too large";
	if (g->zone_capacity > g->zone_size)
		return "zone capacity must not exceed the zone size";
	if (!g->zone_capacity || g->zone_capacity % g->block_size)
		return "zone capacity must be a non-zero multiple of the block size";
	nr = (g->capacity + g->zone_size - 1) / g->zone_size;
	if (nr > (1ULL << 31))
		return "too many zones (at most 2^31)";
	if (g->nr_conv_zones >= nr)
		return "there must be at least one sequential zone";
	if (g->max_open && g->max_active && g->max_open > g->max_active)
		return "max open zones must not exceed max active zones";
	if (g->max_append % g->block_size)
		return "max append must be a multiple of the block size";
	return NULL;
}

ZK_EXPORT const char *zk_geometry_problem(const struct zk_geometry *geo)
{
	struct zk_geometry g;

	if (!geo)
		return "no geometry given";
	g = *geo;
	if (!g.zone_capacity)
		g.zone_capacity = g.zone_size;
	return geometry_problem(&g);
}

int zk_geometry_normalise(struct zk_geometry *geo, const char **why)
{
	const char *problem;

	if (!geo->zone_capacity)
		geo->zone_capacity = geo->zone_size;
	problem = geometry_problem(geo);
	if (why)
		*why = problem;
	return problem ? -EINVAL : 0;
}

/* The file: one "key value" pair a line, '#' comments.  Keys in order. */
#define GEO_FIELDS(X)                                                        \
	X(capacity, uint64_t) X(zone_size, uint64_t)                          \
	X(zone_capacity, uint64_t) X(nr_conv_zones, uint32_t)                 \
	X(block_size, uint32_t) X(max_open, uint32_t)                         \
	X(max_active, uint32_t) X(max_append, uint64_t)

#define GEO_MAGIC "zonekit-emulated-device 1"

int zk_geometry_format(const struct zk_geometry *geo, char *buf, size_t size)
{
	int n = snprintf(buf, size,
			 "# " GEO_MAGIC ": zone files cnv-NNNNNN/seq-NNNNNN, "
			 "a sequential zone file's size is its wp\n"
#define X(name, type) #name " %" PRIu64 "\n"
			 GEO_FIELDS(X)
#undef X
#define X(name, type) , (uint64_t)geo->name
			 GEO_FIELDS(X)
#undef X
	);
	return n < 0 || (size_t)n >= size ? -ENOSPC : n;
}

static int parse_u64(const char *s, const char *end, uint64_t *out)
{
	uint64_t v = 0;

	if (s == end)
		return -EINVAL;
	for (; s < end; s++) {
		if (*s < '0' || *s > '9')
			return -EINVAL;
		if (v > (UINT64_MAX - (uint64_t)(*s - '0')) / 10)
			return -EINVAL;
		v = v * 10 + (uint64_t)(*s - '0');
	}
	*out = v;
	return 0;
}

static int set_field(struct zk_geometry *g, const char *key, size_t klen,
		     uint64_t v, unsigned int *seen)
{
	unsigned int bit = 0;
#define X(name, type)                                                        \
	if (klen == sizeof(#name) - 1 && !memcmp(key, #name, klen)) {         \
		if (v > (type)-1 || (*seen & (1u << bit)))                    \
			return -EINVAL;                                       \
		g->name = (type)v;                                            \
		*seen |= 1u << bit;                                           \
		return 0;                                                     \
	}                                                                     \
	bit++;
	GEO_FIELDS(X)
#undef X
	return -EINVAL;
}

static int parse_line(const char *s, const char *end, struct zk_geometry *g,
		      unsigned int *seen, const char **why)
{
	const char *key = s, *sp;
	uint64_t v;

	while (end > s && (end[-1] == ' ' || end[-1] == '\r'))
		end--;
	if (s == end || *s == '#')
		return 0;
	sp = memchr(s, ' ', (size_t)(end - s));
	if (!sp) {
		*why = "geometry file: a line without a value";
		return -EINVAL;
	}
	if (parse_u64(sp + 1, end, &v)) {
		*why = "geometry file: a value is not a decimal number";
		return -EINVAL;
	}
	if (set_field(g, key, (size_t)(sp - key), v, seen)) {
		*why = "geometry file: unknown, repeated or out-of-range key";
		return -EINVAL;
	}
	return 0;
}

int zk_geometry_parse(const char *text, size_t len, struct zk_geometry *geo,
		      const char **why)
{
	const char *s = text, *end = text + len;
	unsigned int seen = 0, all = 0, bit = 0;
	int ret;

	*why = NULL;
	memset(geo, 0, sizeof(*geo));
	if (len < sizeof("# " GEO_MAGIC) ||
	    memcmp(text, "# " GEO_MAGIC, sizeof("# " GEO_MAGIC) - 1)) {
		*why = "not a zonekit geometry file";
		return -EINVAL;
	}
	if (memchr(text, '\0', len)) {
		*why = "geometry file: contains a NUL byte";
		return -EINVAL;
	}
	while (s < end) {
		const char *nl = memchr(s, '\n', (size_t)(end - s));
		const char *eol = nl ? nl : end;

		ret = parse_line(s, eol, geo, &seen, why);
		if (ret)
			return ret;
		s = eol + 1;
	}
#define X(name, type) all |= 1u << bit++;
	GEO_FIELDS(X)
#undef X
	if (seen != all) {
		*why = "geometry file: a key is missing";
		return -EINVAL;
	}
	if (!geo->zone_capacity) {
		*why = "geometry file: zone_capacity is 0";
		return -EINVAL;
	}
	return zk_geometry_normalise(geo, why);
}
