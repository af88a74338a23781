/* SPDX-License-Identifier: MIT */
/* zonekit map: the zones as the pictures show them, their colours, cells
 * and captions (map.h). */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>

#include "map.h"

/* ---- conditions and their colours --------------------------------------- */

const struct cond_style cond_styles[] = {
	{ ZK_COND_NOT_WP, "conventional", "#475569", "#475569" },
	{ ZK_COND_EMPTY, "empty", "#cbd5e1", "#e2e8f0" },
	{ ZK_COND_IMP_OPEN, "imp-open", "#0ea5e9", "#cdeefc" },
	{ ZK_COND_EXP_OPEN, "exp-open", "#1d4ed8", "#d2dcf7" },
	{ ZK_COND_CLOSED, "closed", "#f59e0b", "#fdebc8" },
	{ ZK_COND_FULL, "full", "#16a34a", "#cdebd7" },
	{ ZK_COND_READONLY, "read-only", "#9333ea", "#eadcfb" },
	{ ZK_COND_OFFLINE, "offline", "#dc2626", "#f9d3d3" },
};
_Static_assert(sizeof(cond_styles) / sizeof(cond_styles[0]) == NR_STYLES,
	       "NR_STYLES is the number of styles");

unsigned int map_style_of(uint8_t cond)
{
	for (unsigned int i = 0; i < NR_STYLES; i++)
		if (cond_styles[i].cond == cond)
			return i;
	return NR_STYLES - 1; /* unknown: shown as offline, unusable */
}

bool map_whole_cond(uint8_t cond)
{
	return cond == ZK_COND_NOT_WP || cond == ZK_COND_FULL ||
	       cond == ZK_COND_READONLY || cond == ZK_COND_OFFLINE;
}

/* ---- the zones ------------------------------------------------------------ */

uint64_t map_written_sectors(const struct map_zone *z)
{
	if (z->cond == ZK_COND_OFFLINE)
		return 0;
	if (map_whole_cond(z->cond))
		return z->cap;
	return z->wp < z->cap ? z->wp : z->cap;
}

uint64_t map_zone_len(const struct map *m, uint64_t i)
{
	uint64_t zs = m->d->info.zone_size, start = i * zs;

	return m->d->info.capacity - start < zs ? m->d->info.capacity - start :
						  zs;
}

static int collect_zone(const struct zk_zone *z, void *ctx)
{
	struct map *m = ctx;
	struct map_zone *mz;
	uint64_t wp, cap;

	if (m->nr >= m->d->info.nr_zones)
		return 1;
	mz = &m->zones[m->nr++];
	wp = z->wp > z->start ? z->wp - z->start : 0;
	cap = z->capacity;
	mz->wp = (uint32_t)(wp / SECTOR);
	mz->cap = (uint32_t)(cap / SECTOR);
	mz->cond = z->cond;
	mz->type = z->type;
	m->count[map_style_of(z->cond)]++;
	if (cap < z->len)
		m->has_tail = true;
	if (z->type != ZK_ZONE_CONVENTIONAL) {
		m->writable += cap;
		m->written += map_written_sectors(mz) * SECTOR;
	}
	return 0;
}

int map_collect_zones(struct map *m)
{
	int ret;

	m->zones = calloc(m->d->info.nr_zones ? m->d->info.nr_zones : 1,
			  sizeof(*m->zones));
	if (!m->zones)
		return -ENOMEM;
	progress_start(&m->progress, "reading zones", m->d->info.nr_zones);
	ret = cli_walk_zones(m->d, 0, 0, collect_zone, m, &m->progress);
	progress_end(&m->progress);
	return ret;
}

/* ---- text ------------------------------------------------------------------ */

const char *map_human_size(uint64_t v, char *buf, size_t size)
{
	static const char units[] = "KMGTPE";
	unsigned int unit = 0;
	double f;

	while (unit < sizeof(units) - 1 && v >> (10 * (unit + 1)))
		unit++;
	if (!unit || !(v & ((1ull << (10 * unit)) - 1)))
		return format_size_exact(v, buf, size);
	f = (double)v / (double)(1ull << (10 * unit));
	snprintf(buf, size, f < 10.0 ? "%.2f%c" : f < 100.0 ? "%.1f%c" : "%.0f%c",
		 f, units[unit - 1]);
	return buf;
}

void map_put_escaped(FILE *out, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '<':
			fputs("&lt;", out);
			break;
		case '>':
			fputs("&gt;", out);
			break;
		case '&':
			fputs("&amp;", out);
			break;
		case '"':
			fputs("&quot;", out);
			break;
		default:
			fputc(*s, out);
		}
	}
}

static void limit_text(char *buf, size_t size, uint32_t v)
{
	if (v)
		snprintf(buf, size, "%u", v);
	else
		snprintf(buf, size, "no limit");
}

void map_geometry_text(const struct map *m, char *buf, size_t size)
{
	const struct zk_info *i = &m->d->info;
	char cap[SIZE_BUF_LEN], zs[SIZE_BUF_LEN], zc[SIZE_BUF_LEN];
	char conv[64] = "", mo[16], ma[16];

	map_human_size(i->capacity, cap, sizeof(cap));
	format_size_exact(i->zone_size, zs, sizeof(zs));
	format_size_exact(i->zone_capacity, zc, sizeof(zc));
	limit_text(mo, sizeof(mo), i->max_open);
	limit_text(ma, sizeof(ma), i->max_active);
	if (i->nr_conv_zones)
		snprintf(conv, sizeof(conv), ", %u conventional",
			 i->nr_conv_zones);
	snprintf(buf, size,
		 "capacity %s (%" PRIu64 " bytes) \xc2\xb7 %u zones of %s%s \xc2\xb7 "
		 "zone capacity %s \xc2\xb7 block size %u \xc2\xb7 max open %s, "
		 "max active %s \xc2\xb7 %s",
		 cap, i->capacity, i->nr_zones, zs, conv, zc,
		 i->block_size, mo, ma, backend_name(i->backend));
}

void map_usage_text(const struct map *m, char *buf, size_t size)
{
	char w[SIZE_BUF_LEN], c[SIZE_BUF_LEN];
	double pct = m->writable ? 100.0 * (double)m->written /
					   (double)m->writable : 0.0;

	snprintf(buf, size, "written %s of %s in sequential zones (%.1f%%)",
		 map_human_size(m->written, w, sizeof(w)),
		 map_human_size(m->writable, c, sizeof(c)), pct);
}

/* ---- a cell: one zone, or several ------------------------------------------ */

void map_zone_cell(const struct map *m, uint64_t i, struct cell *c)
{
	const struct map_zone *z = &m->zones[i];
	double zs = (double)m->d->info.zone_size / SECTOR;
	double len = (double)(map_zone_len(m, i) / SECTOR);
	double cap = z->cap < len ? z->cap : len;
	double wp = z->wp < cap ? z->wp : cap;

	c->style = map_style_of(z->cond);
	c->len = len / zs;
	c->cap = cap / zs;
	c->written = map_whole_cond(z->cond) ? c->cap : wp / zs;
	c->mark = -1;
	c->first = i;
	c->nr = 1;
}

void map_group_cell(const struct map *m, uint64_t first, uint64_t nr,
		    struct cell *c)
{
	uint64_t count[NR_STYLES] = { 0 };
	double written = 0, cap = 0, len = 0;
	unsigned int best = 0;
	struct cell one;

	if (first + nr > m->nr)
		nr = m->nr - first;
	for (uint64_t i = first; i < first + nr; i++) {
		map_zone_cell(m, i, &one);
		count[one.style]++;
		written += one.written;
		cap += one.cap;
		len += one.len;
	}
	for (unsigned int s = 1; s < NR_STYLES; s++)
		if (count[s] >= count[best])
			best = s;
	c->style = best;
	c->written = written / (double)nr;
	c->cap = cap / (double)nr;
	c->len = len / (double)nr;
	c->mark = -1;
	for (unsigned int s = NR_STYLES - 1; s > 0; s--) {
		if (count[s] && s != best &&
		    (cond_styles[s].cond == ZK_COND_OFFLINE ||
		     cond_styles[s].cond == ZK_COND_READONLY)) {
			c->mark = (int)s;
			break;
		}
	}
	c->first = first;
	c->nr = nr;
}
