/* SPDX-License-Identifier: MIT */
/* zonekit map: the HTML page, which draws the zones with its script
 * (tools/map/map.js) from a compact copy of them (map.h). */
#include <inttypes.h>

#include "map.h"
#include "zonekit.h"

/* The page's style and script: tools/map/map.css and map.js, compiled in
 * by tools/embed.py (tools/meson.build). */
extern const char map_css[];
extern const char map_js[];

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
		uint32_t len = (uint32_t)(map_zone_len(m, i) / SECTOR);
		uint32_t cap = z->type == ZK_ZONE_CONVENTIONAL ? len :
			       zcap < len ? (uint32_t)zcap : len;
		uint32_t wp = z->cond == ZK_COND_EMPTY ||
			      z->cond == ZK_COND_OFFLINE ? 0 : len;
		uint8_t head = (uint8_t)((z->cond & 0xf) | (z->type & 3) << 6);
		bool has_wp = !(map_whole_cond(z->cond) || z->cond == ZK_COND_EMPTY) ||
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

int map_write_html(FILE *out, const struct map *m)
{
	char geo[512], use[160];

	map_geometry_text(m, geo, sizeof(geo));
	map_usage_text(m, use, sizeof(use));
	fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
	      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
	      "<meta name=\"generator\" content=\"zonekit " ZK_VERSION_STRING "\">\n"
	      "<title>", out);
	map_put_escaped(out, m->title);
	fprintf(out, "</title>\n<style>\n%s</style>\n</head>\n<body>\n<h1>", map_css);
	map_put_escaped(out, m->title);
	fputs("</h1>\n<p class=\"geo\">", out);
	map_put_escaped(out, geo);
	fputs("</p>\n<p class=\"geo\">", out);
	map_put_escaped(out, use);
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
