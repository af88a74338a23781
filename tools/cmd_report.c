/* SPDX-License-Identifier: MIT */
/* zonekit report: the zones of a device, as a table or as JSON, streamed a
 * chunk of zones at a time. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <unistd.h>

#include "cli_args.h"
#include "cli_dev.h"
#include "cli_json.h"
#include "cli_progress.h"
#include "commands.h"

struct report_opts {
	const char *dev;
	uint64_t offset;
	uint64_t count; /* 0: every zone from offset */
	bool json;
};

/* Column widths of the table, from the device's size. */
struct table_layout {
	int index_width;
	int offset_width;
};

struct report_ctx {
	const struct cli_dev *d;
	struct json_writer json;
	struct table_layout table;
};

static int digits(uint64_t v)
{
	int n = 1;

	while (v >= 10) {
		v /= 10;
		n++;
	}
	return n;
}

static void table_begin(struct report_ctx *r)
{
	const struct zk_info *i = &r->d->info;
	int iw = digits(i->nr_zones), ow = digits(i->capacity);

	r->table.index_width = iw < 4 ? 4 : iw;
	r->table.offset_width = ow < 5 ? 5 : ow;
	printf("%*s %*s %8s %8s %*s %-18s %s\n", r->table.index_width, "ZONE",
	       r->table.offset_width, "START", "LEN", "CAP",
	       r->table.offset_width, "WP", "TYPE", "COND");
}

static int table_row(const struct zk_zone *z, void *ctx)
{
	struct report_ctx *r = ctx;
	char len[SIZE_BUF_LEN], cap[SIZE_BUF_LEN];

	printf("%*" PRIu64 " %*" PRIu64 " %8s %8s %*" PRIu64 " %-18s %s\n", r->table.index_width,
	       z->start / r->d->info.zone_size, r->table.offset_width,
	       z->start, format_size_exact(z->len, len, sizeof(len)),
	       format_size_exact(z->capacity, cap, sizeof(cap)),
	       r->table.offset_width, z->wp, zk_zone_type_name(z->type),
	       zk_zone_cond_name(z->cond));
	return 0;
}

static void json_begin(struct report_ctx *r)
{
	json_init(&r->json, stdout, 2);
	json_begin_object(&r->json, NULL);
	json_device_info(&r->json, r->d);
	json_begin_array(&r->json, "zones");
}

static int json_row(const struct zk_zone *z, void *ctx)
{
	struct report_ctx *r = ctx;

	json_begin_object(&r->json, NULL);
	json_u64(&r->json, "start", z->start);
	json_u64(&r->json, "len", z->len);
	json_u64(&r->json, "capacity", z->capacity);
	json_u64(&r->json, "wp", z->wp);
	json_string(&r->json, "type", zk_zone_type_name(z->type));
	json_string(&r->json, "cond", zk_zone_cond_name(z->cond));
	json_end_object(&r->json);
	return 0;
}

/* Zones the report will show, for the progress line. */
static uint64_t zones_to_report(const struct cli_dev *d,
				const struct report_opts *o)
{
	uint64_t left = d->info.nr_zones - o->offset / d->info.zone_size;

	return o->count && o->count < left ? o->count : left;
}

static int report_zones(struct cli_dev *d, void *opts)
{
	const struct report_opts *o = opts;
	struct report_ctx r = { .d = d };
	struct cli_progress progress;
	int ret;

	if (o->offset >= d->info.capacity)
		return cli_fail(d->cmd, -EINVAL,
				"offset 0x%" PRIx64 " is past the end of the device (0x%" PRIx64 ")",
				o->offset, d->info.capacity);
	progress_start(&progress, "reporting zones", zones_to_report(d, o));
	if (isatty(STDOUT_FILENO))
		progress_disable(&progress); /* the table goes there */
	if (o->json)
		json_begin(&r);
	else
		table_begin(&r);
	ret = cli_walk_zones(d, o->offset, o->count,
			     o->json ? json_row : table_row, &r, &progress);
	progress_end(&progress);
	if (ret < 0) {
		fflush(stdout);
		return cli_fail(d->cmd, ret, "cannot report the zones of %s",
				d->path);
	}
	if (o->json) {
		json_end_array(&r.json);
		json_end_object(&r.json);
	}
	return CLI_EXIT_OK;
}

enum { OPT_OFFSET = 256, OPT_COUNT };

static const struct option report_options[] = {
	{ "offset", required_argument, NULL, OPT_OFFSET },
	{ "count", required_argument, NULL, OPT_COUNT },
	{ "json", no_argument, NULL, 'j' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

static int parse_report_option(const struct cli_command *cmd, int c,
			       const char *arg, void *opts)
{
	struct report_opts *o = opts;

	switch (c) {
	case OPT_OFFSET:
		return cli_parse_size(cmd, "--offset", arg, &o->offset);
	case OPT_COUNT:
		if (cli_parse_size(cmd, "--count", arg, &o->count))
			return CLI_EXIT_USAGE;
		if (!o->count)
			return cli_usage_error(cmd, "invalid --count '%s': at least one zone",
					       arg);
		return 0;
	default:
		o->json = true;
		return 0;
	}
}

static int run_report(const struct cli_command *cmd, int argc, char **argv)
{
	struct report_opts o = { .offset = 0 };
	const struct cli_args a = {
		.shortopts = "j",
		.longopts = report_options,
		.option = parse_report_option,
		.opts = &o,
		.operands = { { "DEV", &o.dev, NULL } },
		.min_operands = 1,
	};
	int ret;

	if (!cli_parse_args(cmd, argc, argv, &a, &ret))
		return ret;
	return cli_dev_run(cmd->name, o.dev, ZK_RDONLY, report_zones, &o);
}

const struct cli_command cmd_report = {
	.name = "report",
	.summary = "list zones: start, length, capacity, wp, type, condition",
	.synopsis = "DEV [--offset OFS] [--count N] [--json]",
	.help =
	"List the zones of DEV from the one containing OFS: zone number, start,\n"
	"length, capacity, write pointer (bytes), type and condition.  LEN and\n"
	"CAP are shown in the largest unit that divides them exactly.\n"
	"\n"
	"Options:\n"
	"  --offset OFS   start with the zone containing OFS (default 0)\n"
	"  --count N      report at most N zones (default: all)\n"
	"  -j, --json     print one JSON object: the device's geometry and an\n"
	"                 array \"zones\" of {start, len, capacity, wp, type, cond}\n"
	"  -h, --help     show this help\n",
	.run = run_report,
};
