/* SPDX-License-Identifier: MIT */
/* zonekit reset|open|close|finish: the zone operations. */
#include "cli_args.h"
#include "cli_dev.h"
#include "cli_explain.h"
#include "commands.h"

/* ---- reset, open, close, finish ---------------------------------------- */

struct zone_range {
	const char *dev;
	enum zk_op op;
	uint64_t offset;
	uint64_t len;
	bool all;
	bool has_len;
};

/* LEN defaults to the zone containing OFS (the last zone may be short). */
static uint64_t default_len(struct cli_dev *d, uint64_t offset)
{
	struct zk_zone z;

	if (cli_zone_at(d, offset, &z) < 0)
		return d->info.zone_size;
	return z.len;
}

static int do_zone_op(struct cli_dev *d, void *ctx)
{
	struct zone_range *range = ctx;
	int ret;

	if (range->all) {
		range->offset = 0;
		range->len = d->info.capacity;
	} else if (!range->has_len) {
		range->len = default_len(d, range->offset);
	}
	ret = zk_zone_op(d->dev, range->op, range->offset, range->len);
	if (ret < 0)
		return fail_zone_op(d, range->op, range->offset, range->len,
				    range->all, ret);
	return CLI_EXIT_OK;
}

static const struct option zone_op_options[] = {
	{ "all", no_argument, NULL, 'a' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

/* DEV (OFS [LEN] | --all) */
static int run_zone_op(const struct cli_command *cmd, int argc, char **argv)
{
	struct zone_range range = { .op = (enum zk_op)cmd->variant };
	const struct cli_args a = {
		.shortopts = "a",
		.longopts = zone_op_options,
		.option = cli_option_flag, /* 'a', the only option */
		.opts = &range.all,
		.operands = { { "DEV", &range.dev, NULL },
			      { "OFS", NULL, &range.offset },
			      { "LEN", NULL, &range.len } },
		.min_operands = 1,
	};
	int ret;

	if (!cli_parse_options(cmd, argc, argv, &a, &ret))
		return ret;
	if (range.all && argc - optind > 1)
		return cli_usage_error(cmd, "--all takes no OFS or LEN");
	ret = cli_parse_operands(cmd, argc, argv, &a);
	if (ret)
		return ret;
	if (!range.all && argc - optind < 2)
		return cli_usage_error(cmd, "missing OFS (or --all)");
	range.has_len = argc - optind == 3;
	return cli_dev_run(cmd->name, range.dev, 0, do_zone_op, &range);
}

#define ZONE_OP_HELP(what)                                                  \
	what "\n"                                                           \
	"OFS is the start of a zone; LEN, a whole number of zones, defaults\n" \
	"to one zone.  --all is OFS 0 and LEN the device's capacity: every\n" \
	"sequential zone the operation applies to, conventional zones left\n" \
	"alone.\n"                                                          \
	"\n"                                                                \
	"Options:\n"                                                        \
	"  -a, --all    all zones\n"                                        \
	"  -h, --help   show this help\n"

const struct cli_command cmd_reset = {
	.name = "reset",
	.summary = "reset zones: empty, write pointer at the zone start",
	.synopsis = "DEV (OFS [LEN] | --all)",
	.help = ZONE_OP_HELP("Reset zones: their data is gone, they are empty."),
	.run = run_zone_op,
	.variant = ZK_OP_RESET,
};

const struct cli_command cmd_open = {
	.name = "open",
	.summary = "open zones explicitly",
	.synopsis = "DEV (OFS [LEN] | --all)",
	.help = ZONE_OP_HELP("Open zones explicitly (exp-open)."),
	.run = run_zone_op,
	.variant = ZK_OP_OPEN,
};

const struct cli_command cmd_close = {
	.name = "close",
	.summary = "close open zones",
	.synopsis = "DEV (OFS [LEN] | --all)",
	.help = ZONE_OP_HELP("Close open zones: closed, or empty if nothing was written."),
	.run = run_zone_op,
	.variant = ZK_OP_CLOSE,
};

const struct cli_command cmd_finish = {
	.name = "finish",
	.summary = "finish zones: full, write pointer at the zone end",
	.synopsis = "DEV (OFS [LEN] | --all)",
	.help = ZONE_OP_HELP("Finish zones: they become full."),
	.run = run_zone_op,
	.variant = ZK_OP_FINISH,
};
