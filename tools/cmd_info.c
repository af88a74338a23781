/* SPDX-License-Identifier: MIT */
/* zonekit info: the geometry of a device and how many zones are in each
 * condition. */
#include <inttypes.h>
#include <stdio.h>
#include <unistd.h>

#include "cli_args.h"
#include "cli_dev.h"
#include "cli_json.h"
#include "cli_progress.h"
#include "commands.h"

/* Every condition, in the order they are listed. */
static const unsigned int all_conds[] = {
	ZK_COND_NOT_WP, ZK_COND_EMPTY, ZK_COND_IMP_OPEN, ZK_COND_EXP_OPEN,
	ZK_COND_CLOSED, ZK_COND_FULL,  ZK_COND_READONLY, ZK_COND_OFFLINE,
};
#define NR_CONDS (sizeof(all_conds) / sizeof(all_conds[0]))
#define COND_SLOTS 16 /* conditions are 4-bit values */

struct cond_counts {
	uint64_t n[COND_SLOTS];
};

static int count_zone(const struct zk_zone *zone, void *ctx)
{
	struct cond_counts *counts = ctx;

	counts->n[zone->cond % COND_SLOTS]++;
	return 0;
}

static int count_conditions(struct cli_dev *d, struct cond_counts *counts)
{
	struct cli_progress progress;
	int ret;

	progress_start(&progress, "counting zones", d->info.nr_zones);
	ret = cli_walk_zones(d, 0, 0, count_zone, counts, &progress);
	progress_end(&progress);
	return ret;
}

void json_device_info(struct json_writer *w, const struct cli_dev *d)
{
	const struct zk_info *i = &d->info;

	json_string(w, "device", d->path);
	json_string(w, "backend", backend_name(i->backend));
	json_u64(w, "capacity", i->capacity);
	json_u64(w, "zone_size", i->zone_size);
	json_u64(w, "zone_capacity", i->zone_capacity);
	json_u64(w, "nr_zones", i->nr_zones);
	json_u64(w, "nr_conv_zones", i->nr_conv_zones);
	json_u64(w, "block_size", i->block_size);
	json_u64(w, "write_granularity", i->write_granularity);
	json_u64(w, "max_open", i->max_open);
	json_u64(w, "max_active", i->max_active);
	json_u64(w, "max_append", i->max_append);
}

static void print_info_json(const struct cli_dev *d,
			    const struct cond_counts *counts)
{
	struct json_writer w;

	json_init(&w, stdout, 1);
	json_begin_object(&w, NULL);
	json_device_info(&w, d);
	json_begin_object(&w, "conditions");
	for (size_t i = 0; i < NR_CONDS; i++)
		json_u64(&w, zk_zone_cond_name(all_conds[i]),
			 counts->n[all_conds[i]]);
	json_end_object(&w);
	json_end_object(&w);
}

static void print_size_line(const char *label, uint64_t v)
{
	char short_form[SIZE_BUF_LEN];

	format_size_exact(v, short_form, sizeof(short_form));
	if (v >= 1024 && !(v & 1023))
		printf("%-15s %" PRIu64 " (%s)\n", label, v, short_form);
	else
		printf("%-15s %" PRIu64 "\n", label, v);
}

static void print_limit_line(const char *label, uint64_t v, bool is_size)
{
	if (!v)
		printf("%-15s unlimited\n", label);
	else if (is_size)
		print_size_line(label, v);
	else
		printf("%-15s %" PRIu64 "\n", label, v);
}

static void print_conditions(const struct cond_counts *counts)
{
	const char *sep = "";

	printf("%-15s ", "conditions:");
	for (size_t i = 0; i < NR_CONDS; i++) {
		uint64_t n = counts->n[all_conds[i]];

		if (!n)
			continue;
		printf("%s%s %" PRIu64, sep, zk_zone_cond_name(all_conds[i]),
		       n);
		sep = ", ";
	}
	printf("\n");
}

static void print_info_text(const struct cli_dev *d,
			    const struct cond_counts *counts)
{
	const struct zk_info *i = &d->info;

	printf("%-15s %s\n", "device:", d->path);
	printf("%-15s %s\n", "backend:", backend_name(i->backend));
	print_size_line("capacity:", i->capacity);
	print_size_line("zone size:", i->zone_size);
	print_size_line("zone capacity:", i->zone_capacity);
	printf("%-15s %u (%u conventional, %u sequential)\n", "zones:",
	       i->nr_zones, i->nr_conv_zones, i->nr_zones - i->nr_conv_zones);
	printf("%-15s %u\n", "block size:", i->block_size);
	if (i->write_granularity != i->block_size) /* a 512e SMR disk */
		printf("%-15s %u (sequential writes)\n", "write unit:",
		       i->write_granularity);
	print_limit_line("max open:", i->max_open, false);
	print_limit_line("max active:", i->max_active, false);
	print_limit_line("max append:", i->max_append, true);
	print_conditions(counts);
}

static const struct option info_options[] = {
	{ "json", no_argument, NULL, 'j' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

static int show_info(struct cli_dev *d, void *json)
{
	struct cond_counts counts = { { 0 } };
	int ret = count_conditions(d, &counts);

	if (ret < 0)
		return cli_fail(d->cmd, ret, "cannot report the zones of %s",
				d->path);
	if (*(bool *)json)
		print_info_json(d, &counts);
	else
		print_info_text(d, &counts);
	return CLI_EXIT_OK;
}

static int run_info(const struct cli_command *cmd, int argc, char **argv)
{
	const char *dev = NULL;
	bool json = false;
	const struct cli_args a = {
		.shortopts = "j",
		.longopts = info_options,
		.option = cli_option_flag, /* 'j', the only option */
		.opts = &json,
		.operands = { { "DEV", &dev, NULL } },
		.min_operands = 1,
	};
	int ret;

	if (!cli_parse_args(cmd, argc, argv, &a, &ret))
		return ret;
	return cli_dev_run(cmd->name, dev, ZK_RDONLY, show_info, &json);
}

const struct cli_command cmd_info = {
	.name = "info",
	.summary = "show the geometry and zone conditions of a device",
	.synopsis = "DEV [--json]",
	.help =
	"Show the geometry of DEV, its backend and limits, and how many zones\n"
	"are in each condition.\n"
	"\n"
	"Options:\n"
	"  -j, --json   print one JSON object\n"
	"  -h, --help   show this help\n",
	.run = run_info,
};
