/* SPDX-License-Identifier: MIT */
/*
 * zonekit map: a picture of a device's zones, as SVG or as an HTML page.
 *
 * One cell per zone, in rows, coloured by condition.  A cell is a bar
 * along the zone: written (start to wp) in the condition's colour, still
 * writable (wp to zone capacity) in a pale tint of it, and the unusable
 * tail (zone capacity to zone size) hatched grey.  Conventional, full,
 * read-only and offline zones are in their colour up to the capacity.
 *
 * The SVG is static: past SVG_MAX_CELLS zones, a cell stands for several
 * zones (coloured by the most common condition, filled to their average).
 * The HTML page draws on a <canvas> from a compact copy of the zones
 * embedded in it (a byte per zone, plus the wp when the condition does not
 * say it) and shows a zone's numbers when the mouse is over it; its script
 * is in the page, so the file works offline, alone.
 *
 * map_zones.c: the zones, their colours, cells and captions; map_svg.c and
 * map_html.c: the two pictures; cmd_map.c: the command.
 */
#ifndef ZONEKIT_MAP_H
#define ZONEKIT_MAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "cli_dev.h"
#include "cli_progress.h"
#include "cli_util.h"

#define SECTOR 512u

/* ---- conditions and their colours ----------------------------------------- */

struct cond_style {
	uint8_t cond;
	const char *label;
	const char *solid; /* written, or the whole zone */
	const char *pale;  /* writable, not written yet */
};

/* In legend order.  The page's script has them from the page (zk-geo);
 * tests/map/test_map.sh looks for these colours in screenshots. */
#define NR_STYLES 8u
extern const struct cond_style cond_styles[];
#define TAIL_BG "#f1f5f9"
#define TAIL_FG "#94a3b8"

/* The index in cond_styles of condition @cond. */
unsigned int map_style_of(uint8_t cond);
/* Conditions drawn in their colour up to the capacity, whatever the wp. */
bool map_whole_cond(uint8_t cond);

/* ---- the zones ------------------------------------------------------------ */

/* wp and capacity in 512-byte sectors from the zone start: a zone is at
 * most 1 TiB, 2^31 sectors. */
struct map_zone {
	uint32_t wp;
	uint32_t cap;
	uint8_t cond;
	uint8_t type;
};

struct map {
	struct cli_dev *d;
	const char *title;
	struct map_zone *zones;
	uint64_t nr;
	uint64_t count[NR_STYLES];
	uint64_t written;  /* bytes below the wps, up to the capacities */
	uint64_t writable; /* sum of the sequential zones' capacities */
	bool has_tail;     /* some zone's capacity is below its size */
	struct cli_progress progress;
};

/* Every zone of m->d into m->zones (for the caller to free), counted.
 * Returns 0 or a negative errno. */
int map_collect_zones(struct map *m);

/* Sectors of data in a zone, as the numbers say it (the picture draws
 * whole conditions whole): none in an offline zone, all of a full, read-only
 * or conventional one. */
uint64_t map_written_sectors(const struct map_zone *z);
/* Bytes of zone @i: the zone size, less for a smaller last zone. */
uint64_t map_zone_len(const struct map *m, uint64_t i);

/* ---- text ------------------------------------------------------------------ */

/* 6553600000 -> "6.10G", 65536 -> "64K", 1000 -> "1000": exact when the
 * largest unit divides it, else 3 significant digits. */
const char *map_human_size(uint64_t v, char *buf, size_t size);
/* @s for XML and HTML text and attributes. */
void map_put_escaped(FILE *out, const char *s);
/* "capacity 6.10G (6553600000 bytes) · 100000 zones of 64K..." */
void map_geometry_text(const struct map *m, char *buf, size_t size);
/* "written 1.50G of 4.58G in sequential zones (32.7%)" */
void map_usage_text(const struct map *m, char *buf, size_t size);

/* ---- a cell: one zone, or several ------------------------------------------ */

/* What a cell shows, as fractions of the zone size. */
struct cell {
	unsigned int style;
	double written; /* solid part: [0, written) */
	double cap;     /* pale part: [written, cap) */
	double len;     /* hatched tail: [cap, len) */
	int mark;       /* -1, or the style of a rare bad condition in it */
	uint64_t first, nr;
};

void map_zone_cell(const struct map *m, uint64_t i, struct cell *c);
/* Zones [first, first + nr): the most common condition (the worse one on a
 * tie), the average fill, and a mark if some are read-only or offline. */
void map_group_cell(const struct map *m, uint64_t first, uint64_t nr,
		    struct cell *c);

/* ---- the pictures ------------------------------------------------------------ */

/* Each returns 0 or a negative errno. */
int map_write_svg(FILE *out, const struct map *m);
int map_write_html(FILE *out, const struct map *m);

#endif /* ZONEKIT_MAP_H */
