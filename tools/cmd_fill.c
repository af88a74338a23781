/* SPDX-License-Identifier: MIT */
/*
 * zonekit fill: write pattern data into sequential zones up to a fill level,
 * the same for every zone (--percent) or a random one per zone (--random):
 * devices in an interesting state for "zonekit map" and for benchmarks.
 *
 * A zone's level is a number of blocks from the zone start.  Data goes at
 * the write pointer, so a zone already at or past its level is left alone,
 * as are conventional, full, read-only and offline zones.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli_args.h"
#include "cli_dev.h"
#include "cli_explain.h"
#include "cli_progress.h"
#include "commands.h"

#define FILL_CHUNK (1u << 20) /* a multiple of any block size */
#define DEFAULT_PATTERN 0xa5
#define PPM 1000000u          /* --percent is kept in parts per million */

struct fill_opts {
	const struct cli_command *cmd; /* for --zones, checked on the device */
	const char *dev;
	/* the zones: [first, first + count) */
	uint64_t first;
	uint64_t count;
	const char *zones;   /* --zones RANGE, parsed once the device is open */
	const char *offset_text, *len_text; /* OFS [LEN], if given */
	uint64_t offset, len;
	/* the levels */
	bool has_percent, has_random;
	uint32_t ppm;        /* --percent, in parts per million of capacity */
	uint64_t seed;
	uint8_t pattern;
};

struct fill_ctx {
	struct cli_dev *d;
	const struct fill_opts *o;
	char *buf;
	struct cli_progress progress;
	uint64_t total;      /* bytes to write (first pass) */
	uint64_t written;
	uint64_t zones_written;
	uint64_t zones_at_level;  /* already at or past their level */
	uint64_t zones_skipped;   /* conventional, full, read-only, offline */
};

/* ---- levels ------------------------------------------------------------- */

/* splitmix64: a good 64-bit mix, so that zone i's level depends only on the
 * seed and i, whatever range is filled. */
static uint64_t mix64(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ull;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

/* Bytes from the zone start that zone @index of capacity @cap should hold. */
static uint64_t zone_level(const struct fill_opts *o, uint32_t bs,
			   uint64_t index, uint64_t cap)
{
	uint64_t blocks = cap / bs, h;

	if (o->has_percent)
		return blocks * o->ppm / PPM * bs;
	h = mix64(o->seed ^ mix64(index));
	switch (h & 7) {
	case 0:
		return 0;               /* one zone in 8 left empty */
	case 1:
		return blocks * bs;     /* one in 8 full */
	default:
		return (h >> 8) % (blocks + 1) * bs;
	}
}

static bool writable_cond(uint8_t cond)
{
	return cond == ZK_COND_EMPTY || cond == ZK_COND_IMP_OPEN ||
	       cond == ZK_COND_EXP_OPEN || cond == ZK_COND_CLOSED;
}

/* Bytes to write into @z to reach its level: 0 if none or it cannot be. */
static uint64_t bytes_to_write(struct fill_ctx *f, const struct zk_zone *z,
			       bool count)
{
	uint64_t index = z->start / f->d->info.zone_size;
	uint64_t level;

	if (z->type == ZK_ZONE_CONVENTIONAL || !writable_cond(z->cond)) {
		if (count)
			f->zones_skipped++;
		return 0;
	}
	level = zone_level(f->o, f->d->info.block_size, index, z->capacity);
	if (z->wp - z->start >= level) {
		if (count)
			f->zones_at_level++;
		return 0;
	}
	return level - (z->wp - z->start);
}

/* ---- the two passes ------------------------------------------------------ */

static int count_zone(const struct zk_zone *z, void *ctx)
{
	struct fill_ctx *f = ctx;

	f->total += bytes_to_write(f, z, false);
	return 0;
}

static int fill_zone(const struct zk_zone *z, void *ctx)
{
	struct fill_ctx *f = ctx;
	uint64_t left = bytes_to_write(f, z, true), pos = z->wp;

	if (left)
		f->zones_written++;
	while (left) {
		size_t len = left < FILL_CHUNK ? (size_t)left : FILL_CHUNK;

		if (write_at(f->d, f->buf, len, pos))
			return -ECANCELED; /* reported */
		pos += len;
		left -= len;
		f->written += len;
		progress_update(&f->progress, f->written);
	}
	return 0;
}

static void print_summary(const struct fill_ctx *f)
{
	char size[SIZE_BUF_LEN];

	printf("filled %" PRIu64 " zone%s: %" PRIu64 " bytes (%s) written",
	       f->zones_written, f->zones_written == 1 ? "" : "s",
	       f->written, format_size_exact(f->written, size, sizeof(size)));
	if (f->zones_at_level)
		printf("; %" PRIu64 " already at or past their level",
		       f->zones_at_level);
	if (f->zones_skipped)
		printf("; %" PRIu64 " not writable (conventional, full, read-only or offline)",
		       f->zones_skipped);
	printf("\n");
}

static int fill_zones(struct cli_dev *d, const struct fill_opts *o)
{
	struct fill_ctx f = { .d = d, .o = o };
	uint64_t start = o->first * d->info.zone_size;
	int ret;

	f.buf = malloc(FILL_CHUNK);
	if (!f.buf)
		return cli_fail(d->cmd, -ENOMEM, "cannot allocate a buffer");
	memset(f.buf, o->pattern, FILL_CHUNK);
	ret = cli_walk_zones(d, start, o->count, count_zone, &f, NULL);
	if (ret < 0) {
		free(f.buf);
		return cli_fail(d->cmd, ret, "cannot report the zones of %s",
				d->path);
	}
	progress_start_bytes(&f.progress, "filling", f.total);
	ret = cli_walk_zones(d, start, o->count, fill_zone, &f, NULL);
	progress_end(&f.progress);
	free(f.buf);
	if (ret == -ECANCELED)
		return CLI_EXIT_FAILURE;
	if (ret < 0)
		return cli_fail(d->cmd, ret, "cannot report the zones of %s",
				d->path);
	print_summary(&f);
	return CLI_EXIT_OK;
}

/* ---- which zones ---------------------------------------------------------- */

static int parse_zone_number(const char *s, char **end, uint64_t *out)
{
	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	*out = strtoull(s, end, 10);
	return errno ? -1 : 0;
}

/* --zones N, A-B (inclusive) or A- (to the last zone). */
static int parse_zones(struct cli_dev *d, const struct cli_command *cmd,
		       const char *text, struct fill_opts *o)
{
	uint64_t nr = d->info.nr_zones, a, b;
	char *end;

	if (parse_zone_number(text, &end, &a))
		goto bad;
	if (!*end) {
		b = a;
	} else if (end[0] == '-' && !end[1]) {
		b = nr ? nr - 1 : 0;
	} else if (end[0] == '-') {
		if (parse_zone_number(end + 1, &end, &b) || *end)
			goto bad;
	} else {
		goto bad;
	}
	if (b < a)
		return cli_usage_error(cmd, "invalid --zones '%s': %" PRIu64 " comes after %" PRIu64,
				       text, a, b);
	if (b >= nr)
		return cli_usage_error(cmd, "invalid --zones '%s': the device has zones 0 to %" PRIu64,
				       text, nr - 1);
	o->first = a;
	o->count = b - a + 1;
	return 0;
bad:
	return cli_usage_error(cmd, "invalid --zones '%s': use N, A-B or A- (zone numbers)",
			       text);
}

/* OFS [LEN]: the zones this byte range touches; LEN defaults to one zone. */
static int range_zones(struct cli_dev *d, struct fill_opts *o)
{
	uint64_t zs = d->info.zone_size, end;

	if (!o->len_text)
		o->len = 1;
	if (!o->len || range_past_end(d, o->offset, o->len))
		return cli_fail(d->cmd, -EINVAL,
				"range 0x%" PRIx64 "+0x%" PRIx64 ": empty or past the end of the device (0x%" PRIx64 ")",
				o->offset, o->len,
				d->info.capacity);
	end = o->offset + o->len;
	o->first = o->offset / zs;
	o->count = (end + zs - 1) / zs - o->first;
	return 0;
}

/* ---- options -------------------------------------------------------------- */

enum { OPT_ZONES = 256 };

static const struct option fill_options[] = {
	{ "zones", required_argument, NULL, OPT_ZONES },
	{ "percent", required_argument, NULL, 'P' },
	{ "random", required_argument, NULL, 'r' },
	{ "pattern", required_argument, NULL, 'p' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

static int parse_percent(const struct cli_command *cmd, const char *text,
			 uint32_t *ppm)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(text, &end);
	if (end != text && *end == '%')
		end++;
	if (end == text || *end || errno || !(v >= 0.0 && v <= 100.0))
		return cli_usage_error(cmd, "invalid --percent '%s': a number from 0 to 100",
				       text);
	*ppm = (uint32_t)(v * (PPM / 100) + 0.5);
	return 0;
}

static int parse_seed(const struct cli_command *cmd, const char *text,
		      uint64_t *seed)
{
	char *end;

	errno = 0;
	*seed = strtoull(text, &end, 0);
	if (end == text || *end || errno || text[0] == '-')
		return cli_usage_error(cmd, "invalid --random '%s': a seed, 0 to 2^64-1",
				       text);
	return 0;
}

static int parse_fill_option(const struct cli_command *cmd, int c,
			     const char *arg, void *opts)
{
	struct fill_opts *o = opts;

	switch (c) {
	case OPT_ZONES:
		o->zones = arg;
		return 0;
	case 'P':
		o->has_percent = true;
		return parse_percent(cmd, arg, &o->ppm);
	case 'r':
		o->has_random = true;
		return parse_seed(cmd, arg, &o->seed);
	default:
		return cli_parse_byte(cmd, "--pattern", arg, &o->pattern);
	}
}

static int check_levels(const struct cli_command *cmd,
			const struct fill_opts *o)
{
	if (o->has_percent == o->has_random)
		return cli_usage_error(cmd, o->has_percent ?
				       "--percent and --random exclude each other" :
				       "missing --percent or --random");
	return 0;
}

/* OFS [LEN], which --zones excludes. */
static int parse_range(const struct cli_command *cmd, struct fill_opts *o)
{
	int ret;

	if (!o->offset_text)
		return 0;
	if (o->zones)
		return cli_usage_error(cmd, "--zones and OFS [LEN] exclude each other");
	ret = cli_parse_size(cmd, "OFS", o->offset_text, &o->offset);
	if (ret || !o->len_text)
		return ret;
	return cli_parse_size(cmd, "LEN", o->len_text, &o->len);
}

static int fill_device(struct cli_dev *d, void *opts)
{
	struct fill_opts *o = opts;
	int ret = 0;

	if (o->zones)
		ret = parse_zones(d, o->cmd, o->zones, o);
	else if (o->offset_text)
		ret = range_zones(d, o);
	else
		o->count = d->info.nr_zones;
	return ret ? ret : fill_zones(d, o);
}

static int run_fill(const struct cli_command *cmd, int argc, char **argv)
{
	struct fill_opts o = { .cmd = cmd, .pattern = DEFAULT_PATTERN };
	const struct cli_args a = {
		.shortopts = "P:r:p:",
		.longopts = fill_options,
		.option = parse_fill_option,
		.opts = &o,
		.operands = { { "DEV", &o.dev, NULL }, { "OFS", &o.offset_text, NULL },
			      { "LEN", &o.len_text, NULL } },
		.min_operands = 1,
	};
	int ret;

	if (!cli_parse_options(cmd, argc, argv, &a, &ret))
		return ret;
	ret = check_levels(cmd, &o);
	if (!ret)
		ret = cli_parse_operands(cmd, argc, argv, &a);
	if (!ret)
		ret = parse_range(cmd, &o);
	if (ret)
		return ret;
	return cli_dev_run(cmd->name, o.dev, 0, fill_device, &o);
}

const struct cli_command cmd_fill = {
	.name = "fill",
	.summary = "write pattern data into zones up to a fill level",
	.synopsis = "DEV [OFS [LEN] | --zones RANGE] (--percent P | --random SEED)",
	.help =
	"Write data into sequential zones until each holds its fill level, a\n"
	"share of the zone capacity rounded down to whole blocks: the same for\n"
	"every zone with --percent, a random one per zone with --random.  Data\n"
	"goes at the write pointer: a zone already at or past its level is left\n"
	"alone, as are conventional, full, read-only and offline zones.  A zone\n"
	"filled to 100% becomes full; a partly filled one stays open (the next\n"
	"command finds it closed), and counts against the device's active zone\n"
	"limit.  The device is flushed at the end.\n"
	"\n"
	"The zones are all of them, those that bytes OFS to OFS+LEN touch (LEN\n"
	"defaults to one zone), or the zone numbers of --zones.\n"
	"\n"
	"Options:\n"
	"  --zones RANGE        zone numbers: N, A-B (inclusive) or A- (to the end)\n"
	"  -P, --percent P      fill every zone to P% of its capacity (0 to 100,\n"
	"                       decimals allowed)\n"
	"  -r, --random SEED    a random level per zone, the same for the same SEED\n"
	"                       and zone number: one zone in 8 stays empty, one in\n"
	"                       8 is filled up, the others get a level drawn\n"
	"                       uniformly from 0 to 100%\n"
	"  -p, --pattern BYTE   the data written, 0 to 255 (default 0xa5)\n"
	"  -h, --help           show this help\n"
	"\n"
	"It prints how many zones and bytes were written.  For example, an\n"
	"interesting device for 'zonekit map':  zonekit fill DEV --random 1\n",
	.run = run_fill,
};
