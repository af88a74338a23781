/* SPDX-License-Identifier: MIT */
/* zonekit map: the SVG picture, static, a cell for one zone or several
 * (map.h). */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "map.h"

#define SVG_MAX_CELLS 16384u  /* more zones: several per cell */
#define SVG_MAX_TITLES 4096u  /* hover titles (one element each) up to this */
#define SVG_WIDTH 1200u

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

	map_geometry_text(m, geo, sizeof(geo));
	map_usage_text(m, use, sizeof(use));
	fprintf(out,
		"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%u\" height=\"%u\" "
		"viewBox=\"0 0 %u %u\" font-family=\"DejaVu Sans, Liberation Sans, "
		"Arial, Helvetica, sans-serif\">\n",
		l->width, l->height, l->width, l->height);
	fputs("<title>", out);
	map_put_escaped(out, m->title);
	fputs("</title>\n<defs><pattern id=\"tail\" width=\"4\" height=\"4\" "
	      "patternUnits=\"userSpaceOnUse\" patternTransform=\"rotate(45)\">"
	      "<rect width=\"4\" height=\"4\" fill=\"" TAIL_BG "\"/>"
	      "<rect width=\"1.6\" height=\"4\" fill=\"" TAIL_FG "\"/>"
	      "</pattern></defs>\n"
	      "<rect width=\"100%\" height=\"100%\" fill=\"#ffffff\"/>\n", out);
	fprintf(out, "<text x=\"%u\" y=\"30\" font-size=\"20\" font-weight=\"bold\" "
		"fill=\"#0f172a\">", SVG_RIGHT);
	map_put_escaped(out, m->title);
	fprintf(out, "</text>\n<text x=\"%u\" y=\"52\" font-size=\"12.5\" "
		"fill=\"#334155\">", SVG_RIGHT);
	map_put_escaped(out, geo);
	fprintf(out, "</text>\n<text x=\"%u\" y=\"72\" font-size=\"12.5\" "
		"fill=\"#334155\">", SVG_RIGHT);
	map_put_escaped(out, use);
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
		w += map_written_sectors(&m->zones[k]);
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
		format_size_exact(map_zone_len(m, c->first), len, sizeof(len)),
		format_size_exact(zcap, cap, sizeof(cap)), start + wp,
		wp, all ? 100.0 * (double)w / (double)all : 0.0);
}

int map_write_svg(FILE *out, const struct map *m)
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
			map_group_cell(m, i * l.per_cell, l.per_cell, &c);
		else
			map_zone_cell(m, i, &c);
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
				map_group_cell(m, i * l.per_cell, l.per_cell, &c);
			else
				map_zone_cell(m, i, &c);
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
