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
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cli_args.h"
#include "cli_dev.h"
#include "cli_progress.h"
#include "commands.h"

#define SECTOR 512u
#define SVG_MAX_CELLS 16384u  /* more zones: several per cell */
#define SVG_MAX_TITLES 4096u  /* hover titles (one element each) up to this */
#define SVG_WIDTH 1200u

/* ---- conditions and their colours --------------------------------------- */

struct cond_style {
	uint8_t cond;
	const char *label;
	const char *solid; /* written, or the whole zone */
	const char *pale;  /* writable, not written yet */
};

/* In legend order.  The page's script has them from the page (zk-geo);
 * tests/map/test_map.sh looks for these colours in screenshots. */
static const struct cond_style cond_styles[] = {
	{ ZK_COND_NOT_WP, "conventional", "#475569", "#475569" },
	{ ZK_COND_EMPTY, "empty", "#cbd5e1", "#e2e8f0" },
	{ ZK_COND_IMP_OPEN, "imp-open", "#0ea5e9", "#cdeefc" },
	{ ZK_COND_EXP_OPEN, "exp-open", "#1d4ed8", "#d2dcf7" },
	{ ZK_COND_CLOSED, "closed", "#f59e0b", "#fdebc8" },
	{ ZK_COND_FULL, "full", "#16a34a", "#cdebd7" },
	{ ZK_COND_READONLY, "read-only", "#9333ea", "#eadcfb" },
	{ ZK_COND_OFFLINE, "offline", "#dc2626", "#f9d3d3" },
};
#define NR_STYLES (sizeof(cond_styles) / sizeof(cond_styles[0]))
#define TAIL_BG "#f1f5f9"
#define TAIL_FG "#94a3b8"

static unsigned int style_of(uint8_t cond)
{
	for (unsigned int i = 0; i < NR_STYLES; i++)
		if (cond_styles[i].cond == cond)
			return i;
	return NR_STYLES - 1; /* unknown: shown as offline, unusable */
}

/* Conditions drawn in their colour up to the capacity, whatever the wp. */
static bool whole_cond(uint8_t cond)
{
	return cond == ZK_COND_NOT_WP || cond == ZK_COND_FULL ||
	       cond == ZK_COND_READONLY || cond == ZK_COND_OFFLINE;
}

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

/* Sectors of data in a zone, as the numbers say it (the picture draws
 * whole conditions whole): none in an offline zone, all of a full, read-only
 * or conventional one. */
static uint64_t written_sectors(const struct map_zone *z)
{
	if (z->cond == ZK_COND_OFFLINE)
		return 0;
	if (whole_cond(z->cond))
		return z->cap;
	return z->wp < z->cap ? z->wp : z->cap;
}

static uint64_t zone_len(const struct map *m, uint64_t i)
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
	m->count[style_of(z->cond)]++;
	if (cap < z->len)
		m->has_tail = true;
	if (z->type != ZK_ZONE_CONVENTIONAL) {
		m->writable += cap;
		m->written += written_sectors(mz) * SECTOR;
	}
	return 0;
}

static int collect_zones(struct map *m)
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

/* 6553600000 -> "6.10G", 65536 -> "64K", 1000 -> "1000": exact when the
 * largest unit divides it, else 3 significant digits. */
static const char *human_size(uint64_t v, char *buf, size_t size)
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

/* @s for XML and HTML text and attributes. */
static void put_escaped(FILE *out, const char *s)
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

/* "6.1G: 100000 zones of 64K, zone capacity 48K (2 conventional); ..." */
static void geometry_text(const struct map *m, char *buf, size_t size)
{
	const struct zk_info *i = &m->d->info;
	char cap[SIZE_BUF_LEN], zs[SIZE_BUF_LEN], zc[SIZE_BUF_LEN];
	char conv[64] = "", mo[16], ma[16];

	human_size(i->capacity, cap, sizeof(cap));
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

/* "written 1.50G of 4.58G in sequential zones (32.7%)" */
static void usage_text(const struct map *m, char *buf, size_t size)
{
	char w[SIZE_BUF_LEN], c[SIZE_BUF_LEN];
	double pct = m->writable ? 100.0 * (double)m->written /
					   (double)m->writable : 0.0;

	snprintf(buf, size, "written %s of %s in sequential zones (%.1f%%)",
		 human_size(m->written, w, sizeof(w)),
		 human_size(m->writable, c, sizeof(c)), pct);
}

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

static void zone_cell(const struct map *m, uint64_t i, struct cell *c)
{
	const struct map_zone *z = &m->zones[i];
	double zs = (double)m->d->info.zone_size / SECTOR;
	double len = (double)(zone_len(m, i) / SECTOR);
	double cap = z->cap < len ? z->cap : len;
	double wp = z->wp < cap ? z->wp : cap;

	c->style = style_of(z->cond);
	c->len = len / zs;
	c->cap = cap / zs;
	c->written = whole_cond(z->cond) ? c->cap : wp / zs;
	c->mark = -1;
	c->first = i;
	c->nr = 1;
}

/* Zones [first, first + nr): the most common condition (the worse one on a
 * tie), the average fill, and a mark if some are read-only or offline. */
static void group_cell(const struct map *m, uint64_t first, uint64_t nr,
		       struct cell *c)
{
	uint64_t count[NR_STYLES] = { 0 };
	double written = 0, cap = 0, len = 0;
	unsigned int best = 0;
	struct cell one;

	if (first + nr > m->nr)
		nr = m->nr - first;
	for (uint64_t i = first; i < first + nr; i++) {
		zone_cell(m, i, &one);
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

/* ---- SVG ---------------------------------------------------------------------- */

/* A growing string: the rectangles of one paint, as one path. */
struct strbuf {
	char *s;
	size_t len, cap;
	bool failed;
};

static void sb_printf(struct strbuf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void sb_printf(struct strbuf *b, const char *fmt, ...)
{
	va_list ap;
	int n = -1;

	if (!b->failed && b->cap - b->len < 128) {
		size_t cap = b->cap ? b->cap * 2 : 4096;
		char *s = realloc(b->s, cap);

		if (s) {
			b->s = s;
			b->cap = cap;
		} else {
			b->failed = true;
		}
	}
	va_start(ap, fmt);
	if (!b->failed)
		n = vsnprintf(b->s + b->len, b->cap - b->len, fmt, ap);
	va_end(ap);
	if (n > 0 && (size_t)n < b->cap - b->len)
		b->len += (size_t)n;
	else
		b->failed = true; /* or longer than the 128 bytes kept free */
}

struct svg_layout {
	unsigned int width, height;
	unsigned int grid_x, grid_y; /* top left of the first cell */
	unsigned int cell;           /* pitch; a cell is cell - gap wide */
	unsigned int gap;
	uint64_t cols, rows;
	uint64_t per_cell;           /* zones in a cell */
	uint64_t cells;
	unsigned int label_every;    /* rows */
	unsigned int tick_every;     /* columns */
};

#define SVG_LEFT 72u   /* room for the row labels */
#define SVG_RIGHT 24u
#define SVG_HEADER 132u /* title, two lines, legend */

static unsigned int isqrt(uint64_t v)
{
	uint64_t r = 0;

	while ((r + 1) * (r + 1) <= v)
		r++;
	return (unsigned int)r;
}

static unsigned int nice_step(unsigned int min)
{
	static const unsigned int steps[] = { 1, 2, 5, 10, 20, 25, 50, 100,
					      200, 250, 500, 1000 };

	for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++)
		if (steps[i] >= min)
			return steps[i];
	return 1000;
}

static void svg_layout(const struct map *m, struct svg_layout *l)
{
	unsigned int grid_w = SVG_WIDTH - SVG_LEFT - SVG_RIGHT, s;

	l->per_cell = m->nr > SVG_MAX_CELLS ?
		      (m->nr + SVG_MAX_CELLS - 1) / SVG_MAX_CELLS : 1;
	l->cells = (m->nr + l->per_cell - 1) / l->per_cell;
	/* Squares that fill about grid_w x 720, in rows of a round number of
	 * cells (10, 20, 30...) when there are 10 or more in a row. */
	s = isqrt((uint64_t)grid_w * 720 / (l->cells ? l->cells : 1));
	s = s < 5 ? 5 : s > 48 ? 48 : s;
	l->cols = grid_w / s;
	if (l->cols >= 10) {
		l->cols = (l->cols + 5) / 10 * 10;
		s = grid_w / (unsigned int)l->cols;
		s = s > 48 ? 48 : s;
	}
	l->cell = s;
	l->gap = s >= 12 ? 2 : 1;
	if (l->cols > l->cells)
		l->cols = l->cells;
	if (!l->cols)
		l->cols = 1;
	l->rows = (l->cells + l->cols - 1) / l->cols;
	l->grid_x = SVG_LEFT;
	l->grid_y = SVG_HEADER + 22; /* column ticks above the grid */
	l->width = SVG_WIDTH;
	l->height = l->grid_y + (unsigned int)l->rows * s + 16;
	l->label_every = nice_step((18 + s - 1) / s);
	l->tick_every = nice_step((36 + s - 1) / s);
}

/* Paints: solid and pale per style, the tail, the marks. */
enum { PAINT_TAIL = 2 * NR_STYLES, NR_PAINTS };

static void add_rect(struct strbuf *b, double x, double y, double w, double h)
{
	if (w < 0.05 || h < 0.05)
		return;
	sb_printf(b, "M%.6g %.6gh%.6gv%.6gh-%.6gz", x, y, w, h, w);
}

static void add_cell(struct strbuf *paint, const struct cell *c, double x,
		     double y, double w)
{
	add_rect(&paint[2 * c->style], x, y, w * c->written, w);
	add_rect(&paint[2 * c->style + 1], x + w * c->written, y,
		 w * (c->cap - c->written), w);
	add_rect(&paint[PAINT_TAIL], x + w * c->cap, y, w * (c->len - c->cap),
		 w);
}

static void add_mark(struct strbuf *marks, const struct cell *c, double x,
		     double y, double w)
{
	double t = w / 2.5 < 2 ? 2 : w / 2.5;

	if (c->mark < 0)
		return;
	sb_printf(&marks[c->mark], "M%.6g %.6gh%.6gv%.6gz", x + w - t, y, t, t);
}

static void svg_header(FILE *out, const struct map *m,
		       const struct svg_layout *l)
{
	char geo[512], use[160];

	geometry_text(m, geo, sizeof(geo));
	usage_text(m, use, sizeof(use));
	fprintf(out,
		"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%u\" height=\"%u\" "
		"viewBox=\"0 0 %u %u\" font-family=\"DejaVu Sans, Liberation Sans, "
		"Arial, Helvetica, sans-serif\">\n",
		l->width, l->height, l->width, l->height);
	fputs("<title>", out);
	put_escaped(out, m->title);
	fputs("</title>\n<defs><pattern id=\"tail\" width=\"4\" height=\"4\" "
	      "patternUnits=\"userSpaceOnUse\" patternTransform=\"rotate(45)\">"
	      "<rect width=\"4\" height=\"4\" fill=\"" TAIL_BG "\"/>"
	      "<rect width=\"1.6\" height=\"4\" fill=\"" TAIL_FG "\"/>"
	      "</pattern></defs>\n"
	      "<rect width=\"100%\" height=\"100%\" fill=\"#ffffff\"/>\n", out);
	fprintf(out, "<text x=\"%u\" y=\"30\" font-size=\"20\" font-weight=\"bold\" "
		"fill=\"#0f172a\">", SVG_RIGHT);
	put_escaped(out, m->title);
	fprintf(out, "</text>\n<text x=\"%u\" y=\"52\" font-size=\"12.5\" "
		"fill=\"#334155\">", SVG_RIGHT);
	put_escaped(out, geo);
	fprintf(out, "</text>\n<text x=\"%u\" y=\"72\" font-size=\"12.5\" "
		"fill=\"#334155\">", SVG_RIGHT);
	put_escaped(out, use);
	if (l->per_cell > 1)
		fprintf(out, " \xc2\xb7 each cell is %" PRIu64 " zones: the most common "
			"condition, the average fill; a corner mark: some are "
			"read-only or offline", l->per_cell);
	fputs("</text>\n", out);
}

/* Legend: a swatch and a count per condition, then the parts of a cell. */
static void svg_legend(FILE *out, const struct map *m)
{
	unsigned int x = SVG_RIGHT, y = 90;

	fputs("<g font-size=\"12.5\">\n", out);
	for (unsigned int s = 0; s < NR_STYLES; s++) {
		const struct cond_style *st = &cond_styles[s];
		char label[64];

		snprintf(label, sizeof(label), "%s %" PRIu64, st->label,
			 m->count[s]);
		fprintf(out, "<rect x=\"%u\" y=\"%u\" width=\"14\" height=\"14\" "
			"rx=\"2\" fill=\"%s\" stroke=\"#64748b\" stroke-width=\"0.5\"/>"
			"<text x=\"%u\" y=\"%u\" fill=\"%s\">%s</text>\n",
			x, y, st->cond == ZK_COND_EMPTY ? st->pale : st->solid,
			x + 19, y + 11,
			m->count[s] ? "#0f172a" : "#94a3b8", label);
		x += 19 + (unsigned int)strlen(label) * 7 + 18;
	}
	fputs("</g>\n", out);
	/* A sample cell: written, writable, beyond the zone capacity. */
	x = SVG_RIGHT;
	y = 112;
	fprintf(out, "<g font-size=\"12\" fill=\"#334155\">"
		"<rect x=\"%u\" y=\"%u\" width=\"20\" height=\"14\" fill=\"%s\"/>"
		"<rect x=\"%u\" y=\"%u\" width=\"20\" height=\"14\" fill=\"%s\"/>"
		"<rect x=\"%u\" y=\"%u\" width=\"12\" height=\"14\" fill=\"url(#tail)\"/>"
		"<text x=\"%u\" y=\"%u\">a zone, left to right: written (start to "
		"wp) \xc2\xb7 writable (wp to zone capacity) \xc2\xb7 hatched: beyond "
		"the zone capacity, unusable%s</text></g>\n",
		x, y, cond_styles[4].solid, x + 20, y, cond_styles[4].pale,
		x + 40, y, x + 60, y + 11,
		m->has_tail ? "" : " (none here)");
}

static void svg_labels(FILE *out, const struct svg_layout *l)
{
	fputs("<g font-size=\"11\" fill=\"#64748b\" text-anchor=\"end\">\n", out);
	for (uint64_t r = 0; r < l->rows; r += l->label_every)
		fprintf(out, "<text x=\"%u\" y=\"%" PRIu64 "\">%" PRIu64 "</text>\n",
			l->grid_x - 8,
			l->grid_y + r * l->cell + (l->cell - l->gap) / 2 + 4,
			r * l->cols * l->per_cell);
	fputs("</g>\n<g font-size=\"11\" fill=\"#64748b\" text-anchor=\"middle\">\n",
	      out);
	for (uint64_t c = 0; c < l->cols && l->rows > 1; c += l->tick_every)
		fprintf(out, "<text x=\"%.6g\" y=\"%u\">+%" PRIu64 "</text>\n",
			l->grid_x + c * l->cell + (l->cell - l->gap) / 2.0,
			l->grid_y - 8, c * l->per_cell);
	fputs("</g>\n", out);
}

static void cell_title(FILE *out, const struct map *m, const struct cell *c)
{
	const struct zk_info *i = &m->d->info;
	const struct map_zone *z = &m->zones[c->first];
	char len[SIZE_BUF_LEN], cap[SIZE_BUF_LEN];
	uint64_t start = c->first * i->zone_size;
	uint64_t wp = (uint64_t)z->wp * SECTOR, zcap = (uint64_t)z->cap * SECTOR;

	uint64_t w = 0, all = 0;

	for (uint64_t k = c->first; k < c->first + c->nr; k++) {
		w += written_sectors(&m->zones[k]);
		all += m->zones[k].cap;
	}
	if (c->nr > 1) {
		fprintf(out, "<title>zones %" PRIu64 " to %" PRIu64 ": mostly %s, %.1f%% written</title>",
			c->first, c->first + c->nr - 1,
			cond_styles[c->style].label,
			all ? 100.0 * (double)w / (double)all : 0.0);
		return;
	}
	fprintf(out, "<title>zone %" PRIu64 ": %s\nstart %" PRIu64 ", len %s, capacity %s\n"
		"wp %" PRIu64 " (+%" PRIu64 "), %.1f%% written</title>",
		c->first, cond_styles[c->style].label, start,
		format_size_exact(zone_len(m, c->first), len, sizeof(len)),
		format_size_exact(zcap, cap, sizeof(cap)), start + wp,
		wp, all ? 100.0 * (double)w / (double)all : 0.0);
}

static int write_svg(FILE *out, const struct map *m)
{
	struct strbuf paint[NR_PAINTS] = { { 0 } }, marks[NR_STYLES] = { { 0 } };
	struct svg_layout l;
	struct cell c;
	int ret = 0;

	svg_layout(m, &l);
	svg_header(out, m, &l);
	svg_legend(out, m);
	svg_labels(out, &l);
	for (uint64_t i = 0; i < l.cells; i++) {
		double x = l.grid_x + (double)(i % l.cols) * l.cell;
		double y = l.grid_y + (double)(i / l.cols) * l.cell;

		if (l.per_cell > 1)
			group_cell(m, i * l.per_cell, l.per_cell, &c);
		else
			zone_cell(m, i, &c);
		add_cell(paint, &c, x, y, l.cell - l.gap);
		add_mark(marks, &c, x, y, l.cell - l.gap);
	}
	fprintf(out, "<g id=\"zones\" data-cols=\"%" PRIu64 "\" data-rows=\"%" PRIu64 "\" "
		"data-cell=\"%u\" data-gap=\"%u\" data-x=\"%u\" data-y=\"%u\" "
		"data-zones-per-cell=\"%" PRIu64 "\" data-zones=\"%" PRIu64 "\">\n",
		l.cols, l.rows, l.cell, l.gap, l.grid_x, l.grid_y,
		l.per_cell, m->nr);
	for (unsigned int p = 0; p < NR_PAINTS; p++) {
		const char *fill = p == PAINT_TAIL ? "url(#tail)" :
				   p % 2 ? cond_styles[p / 2].pale :
					   cond_styles[p / 2].solid;

		if (paint[p].failed)
			ret = -ENOMEM;
		if (paint[p].len)
			fprintf(out, "<path fill=\"%s\" d=\"%.*s\"/>\n", fill,
				(int)paint[p].len, paint[p].s);
		free(paint[p].s);
	}
	for (unsigned int s = 0; s < NR_STYLES; s++) {
		if (marks[s].failed)
			ret = -ENOMEM;
		if (marks[s].len)
			fprintf(out, "<path fill=\"%s\" stroke=\"#ffffff\" "
				"stroke-width=\"0.5\" d=\"%.*s\"/>\n",
				cond_styles[s].solid, (int)marks[s].len,
				marks[s].s);
		free(marks[s].s);
	}
	fputs("</g>\n", out);
	if (l.cells <= SVG_MAX_TITLES) {
		/* Invisible cells on top, for the hover titles of a viewer. */
		fputs("<g fill=\"#000000\" fill-opacity=\"0\">\n", out);
		for (uint64_t i = 0; i < l.cells; i++) {
			if (l.per_cell > 1)
				group_cell(m, i * l.per_cell, l.per_cell, &c);
			else
				zone_cell(m, i, &c);
			fprintf(out, "<rect x=\"%" PRIu64 "\" y=\"%" PRIu64 "\" width=\"%u\" "
				"height=\"%u\">",
				l.grid_x + (i % l.cols) * l.cell,
				l.grid_y + (i / l.cols) * l.cell,
				l.cell - l.gap, l.cell - l.gap);
			cell_title(out, m, &c);
			fputs("</rect>\n", out);
		}
		fputs("</g>\n", out);
	}
	fputs("</svg>\n", out);
	return ret;
}

/* ---- HTML ----------------------------------------------------------------------- */

/*
 * The zones, for the page's script: per zone a byte, cond | 0x10 if the wp
 * follows | 0x20 if the capacity follows | type << 6, then those as LEB128
 * numbers of sectors from the zone start.  The wp follows unless the
 * condition says it (empty, offline: 0; full, read-only, conventional: the
 * zone length); the capacity follows if it is not the usual one (the zone
 * length for a conventional zone, else the device's zone capacity, or the
 * length of a smaller last zone).  Base64.
 */
struct b64 {
	FILE *out;
	uint8_t in[3];
	unsigned int n;
	unsigned int col;
};

static void b64_flush(struct b64 *b, bool final)
{
	static const char tab[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	uint32_t v;

	if (!b->n || (b->n < 3 && !final))
		return;
	v = (uint32_t)b->in[0] << 16 | (uint32_t)(b->n > 1 ? b->in[1] : 0) << 8 |
	    (b->n > 2 ? b->in[2] : 0);
	fputc(tab[v >> 18 & 63], b->out);
	fputc(tab[v >> 12 & 63], b->out);
	fputc(b->n > 1 ? tab[v >> 6 & 63] : '=', b->out);
	fputc(b->n > 2 ? tab[v & 63] : '=', b->out);
	b->n = 0;
	b->col += 4;
	if (b->col >= 120) {
		fputc('\n', b->out);
		b->col = 0;
	}
}

static void b64_byte(struct b64 *b, uint8_t v)
{
	b->in[b->n++] = v;
	b64_flush(b, false);
}

static void b64_varint(struct b64 *b, uint32_t v)
{
	while (v >= 0x80) {
		b64_byte(b, (uint8_t)(v | 0x80));
		v >>= 7;
	}
	b64_byte(b, (uint8_t)v);
}

static void html_zone_data(FILE *out, const struct map *m)
{
	uint64_t zcap = m->d->info.zone_capacity / SECTOR;
	struct b64 b = { .out = out };

	for (uint64_t i = 0; i < m->nr; i++) {
		const struct map_zone *z = &m->zones[i];
		uint32_t len = (uint32_t)(zone_len(m, i) / SECTOR);
		uint32_t cap = z->type == ZK_ZONE_CONVENTIONAL ? len :
			       zcap < len ? (uint32_t)zcap : len;
		uint32_t wp = z->cond == ZK_COND_EMPTY ||
			      z->cond == ZK_COND_OFFLINE ? 0 : len;
		uint8_t head = (uint8_t)((z->cond & 0xf) | (z->type & 3) << 6);
		bool has_wp = !(whole_cond(z->cond) || z->cond == ZK_COND_EMPTY) ||
			      z->wp != wp;

		if (has_wp)
			head |= 0x10;
		if (z->cap != cap)
			head |= 0x20;
		b64_byte(&b, head);
		if (has_wp)
			b64_varint(&b, z->wp);
		if (z->cap != cap)
			b64_varint(&b, z->cap);
	}
	b64_flush(&b, true);
}

/* The page's style and script: tools/map/map.css and map.js, compiled in
 * by tools/embed.py. */
extern const char map_css[];
extern const char map_js[];

static void html_legend(FILE *out, const struct map *m)
{
	fputs("<div class=\"legend\">\n", out);
	for (unsigned int s = 0; s < NR_STYLES; s++) {
		const struct cond_style *st = &cond_styles[s];

		fprintf(out, "<span%s><i class=\"sw\" style=\"background:%s\"></i>"
			"%s %" PRIu64 "</span>\n", m->count[s] ? "" : " class=\"zero\"",
			st->cond == ZK_COND_EMPTY ? st->pale : st->solid,
			st->label, m->count[s]);
	}
	fprintf(out, "</div>\n<div class=\"parts\"><span class=\"bar\">"
		"<i style=\"width:20px;background:%s\"></i>"
		"<i style=\"width:20px;background:%s\"></i>"
		"<i class=\"tail\" style=\"width:12px\"></i></span>"
		"a zone, left to right: written (start to wp) \xc2\xb7 writable "
		"(wp to zone capacity) \xc2\xb7 hatched: beyond the zone capacity, "
		"unusable%s</div>\n",
		cond_styles[4].solid, cond_styles[4].pale,
		m->has_tail ? "" : " (none here)");
}

static void html_geometry_json(FILE *out, const struct map *m)
{
	const struct zk_info *i = &m->d->info;

	fprintf(out, "<script type=\"application/json\" id=\"zk-geo\">"
		"{\"capacity\":%" PRIu64 ",\"zone_size\":%" PRIu64 ",\"zone_capacity\":%" PRIu64 ","
		"\"nr_zones\":%" PRIu64 ",\"block_size\":%u,\"tail_bg\":\"" TAIL_BG "\","
		"\"tail_fg\":\"" TAIL_FG "\",\"styles\":[",
		i->capacity, i->zone_size, i->zone_capacity,
		m->nr, i->block_size);
	for (unsigned int s = 0; s < NR_STYLES; s++)
		fprintf(out, "%s{\"cond\":%u,\"label\":\"%s\",\"solid\":\"%s\","
			"\"pale\":\"%s\"}", s ? "," : "", cond_styles[s].cond,
			cond_styles[s].label, cond_styles[s].solid,
			cond_styles[s].pale);
	fputs("]}</script>\n", out);
}

static int write_html(FILE *out, const struct map *m)
{
	char geo[512], use[160];

	geometry_text(m, geo, sizeof(geo));
	usage_text(m, use, sizeof(use));
	fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
	      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
	      "<meta name=\"generator\" content=\"zonekit " ZK_VERSION_STRING "\">\n"
	      "<title>", out);
	put_escaped(out, m->title);
	fprintf(out, "</title>\n<style>\n%s</style>\n</head>\n<body>\n<h1>", map_css);
	put_escaped(out, m->title);
	fputs("</h1>\n<p class=\"geo\">", out);
	put_escaped(out, geo);
	fputs("</p>\n<p class=\"geo\">", out);
	put_escaped(out, use);
	fputs("</p>\n", out);
	html_legend(out, m);
	fputs("<p class=\"geo\" id=\"agg\" hidden></p>\n", out);
	fputs("<div id=\"wrap\"><canvas id=\"grid\"></canvas><canvas id=\"over\"></canvas>"
	      "<div id=\"tip\"></div></div>\n"
	      "<p class=\"note\">Rows of zones, left to right; the number left of a "
	      "row is its first zone.  Point at a zone for its numbers.</p>\n"
	      "<noscript><p>The map is drawn by a script: enable JavaScript.</p></noscript>\n",
	      out);
	html_geometry_json(out, m);
	fputs("<script type=\"text/plain\" id=\"zk-zones\">\n", out);
	html_zone_data(out, m);
	fprintf(out, "\n</script>\n<script>\n%s</script>\n</body>\n</html>\n",
		map_js);
	return 0;
}

/* ---- the command ------------------------------------------------------------------ */

enum map_format { FORMAT_NONE, FORMAT_SVG, FORMAT_HTML };

struct map_opts {
	const char *dev;
	const char *output;
	const char *title;
	enum map_format format;
};

static enum map_format format_of_name(const char *name)
{
	const char *dot = strrchr(name, '.');

	if (!dot)
		return FORMAT_NONE;
	if (!strcasecmp(dot, ".svg"))
		return FORMAT_SVG;
	if (!strcasecmp(dot, ".html") || !strcasecmp(dot, ".htm"))
		return FORMAT_HTML;
	return FORMAT_NONE;
}

static int write_map(struct cli_dev *d, void *opts)
{
	const struct map_opts *o = opts;
	struct map m = { .d = d, .title = o->title };
	bool to_stdout = !strcmp(o->output, "-");
	char title[512];
	FILE *out;
	int ret;

	if (!m.title) {
		snprintf(title, sizeof(title), "zonekit map: %s", d->path);
		m.title = title;
	}
	ret = collect_zones(&m);
	if (ret < 0) {
		free(m.zones);
		return cli_fail(d->cmd, ret, "cannot report the zones of %s",
				d->path);
	}
	out = to_stdout ? stdout : fopen(o->output, "w");
	if (!out) {
		ret = -errno;
		free(m.zones);
		return cli_fail_sys(d->cmd, ret, "cannot create %s", o->output);
	}
	ret = o->format == FORMAT_SVG ? write_svg(out, &m) : write_html(out, &m);
	free(m.zones);
	if (ret < 0) {
		if (!to_stdout)
			fclose(out);
		return cli_fail(d->cmd, ret, "cannot draw the map");
	}
	if (to_stdout)
		return CLI_EXIT_OK; /* main() checks stdout */
	if (ferror(out) | (fclose(out) != 0))
		return cli_fail_sys(d->cmd, -(errno ? errno : EIO),
				    "cannot write %s", o->output);
	return CLI_EXIT_OK;
}

enum { OPT_FORMAT = 256, OPT_TITLE };

static const struct option map_options[] = {
	{ "output", required_argument, NULL, 'o' },
	{ "format", required_argument, NULL, OPT_FORMAT },
	{ "title", required_argument, NULL, OPT_TITLE },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

static int parse_map_option(const struct cli_command *cmd, int c,
			    const char *arg, void *opts)
{
	struct map_opts *o = opts;

	switch (c) {
	case 'o':
		o->output = arg;
		return 0;
	case OPT_FORMAT:
		if (!strcmp(arg, "svg"))
			o->format = FORMAT_SVG;
		else if (!strcmp(arg, "html"))
			o->format = FORMAT_HTML;
		else
			return cli_usage_error(cmd, "invalid --format '%s': svg or html",
					       arg);
		return 0;
	default:
		o->title = arg;
		return 0;
	}
}

static int run_map(const struct cli_command *cmd, int argc, char **argv)
{
	struct map_opts o = { .output = NULL };
	const struct cli_args a = {
		.shortopts = "o:",
		.longopts = map_options,
		.option = parse_map_option,
		.opts = &o,
		.operands = { { "DEV", &o.dev, NULL } },
		.min_operands = 1,
	};
	int ret;

	if (!cli_parse_args(cmd, argc, argv, &a, &ret))
		return ret;
	if (!o.output)
		return cli_usage_error(cmd, "missing -o FILE");
	if (o.format == FORMAT_NONE)
		o.format = format_of_name(o.output);
	if (o.format == FORMAT_NONE)
		return cli_usage_error(cmd, "cannot tell the format of '%s': name it .svg or .html, or give --format",
				       o.output);
	return cli_dev_run(cmd->name, o.dev, ZK_RDONLY, write_map, &o);
}

const struct cli_command cmd_map = {
	.name = "map",
	.summary = "draw the zones as an SVG picture or an HTML page",
	.synopsis = "DEV -o FILE.svg|FILE.html [--format svg|html] [--title TEXT]",
	.help =
	"Draw every zone of DEV as a cell in a grid, rows of zones left to right,\n"
	"coloured by condition, with the geometry and how many zones are in each\n"
	"condition above it.  A cell is a bar along its zone: written (start to\n"
	"write pointer) in the condition's colour, writable (to the zone\n"
	"capacity) in a pale tint of it, and the unusable rest of the zone\n"
	"(zone capacity to zone size) hatched grey.  Conventional, full,\n"
	"read-only and offline zones are in their colour up to the capacity.\n"
	"\n"
	"SVG: a static picture.  Past 16384 zones a cell stands for several\n"
	"zones (the title says how many): it has their most common condition,\n"
	"their average fill, and a corner mark if some are read-only or offline.\n"
	"Up to 4096 cells, a viewer shows a cell's numbers on hover.\n"
	"\n"
	"HTML: one page, without network access, that draws the zones on a\n"
	"canvas to the window's width and shows a zone's numbers (start,\n"
	"length, capacity, wp, fill, condition) under the mouse; fine for a\n"
	"million zones.  Open FILE.html#hover=N to show zone N's.\n"
	"\n"
	"Options:\n"
	"  -o, --output FILE   write the map to FILE (- for stdout, with --format)\n"
	"  --format FMT        svg or html (default: from FILE's .svg, .html, .htm)\n"
	"  --title TEXT        the title (default \"zonekit map: DEV\")\n"
	"  -h, --help          show this help\n",
	.run = run_map,
};
