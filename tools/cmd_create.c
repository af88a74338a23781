/* SPDX-License-Identifier: MIT */
/* zonekit create: make an emulated zoned device in a directory. */
#include <errno.h>
#include <stdio.h>

#include "cli_args.h"
#include "commands.h"
#include "zonekit.h"

#define DEFAULT_BLOCK_SIZE 4096u

enum {
	OPT_CAPACITY = 256,
	OPT_ZONE_SIZE,
	OPT_ZONE_CAPACITY,
	OPT_CONV,
	OPT_BLOCK_SIZE,
	OPT_MAX_OPEN,
	OPT_MAX_ACTIVE,
	OPT_MAX_APPEND,
};

static const struct option create_options[] = {
	{ "capacity", required_argument, NULL, OPT_CAPACITY },
	{ "zone-size", required_argument, NULL, OPT_ZONE_SIZE },
	{ "zone-capacity", required_argument, NULL, OPT_ZONE_CAPACITY },
	{ "conv", required_argument, NULL, OPT_CONV },
	{ "block-size", required_argument, NULL, OPT_BLOCK_SIZE },
	{ "max-open", required_argument, NULL, OPT_MAX_OPEN },
	{ "max-active", required_argument, NULL, OPT_MAX_ACTIVE },
	{ "max-append", required_argument, NULL, OPT_MAX_APPEND },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

/* --capacity and --zone-size: required, so 0 would read as missing. */
static int parse_nonzero_size(const struct cli_command *cmd, const char *name,
			      const char *arg, uint64_t *out)
{
	int ret = cli_parse_size(cmd, name, arg, out);

	if (!ret && !*out)
		return cli_usage_error(cmd, "invalid %s '%s': must not be 0",
				       name, arg);
	return ret;
}

static int parse_create_option(const struct cli_command *cmd, int c,
			       const char *arg, void *opts)
{
	struct zk_geometry *geo = opts;

	switch (c) {
	case OPT_CAPACITY:
		return parse_nonzero_size(cmd, "--capacity", arg, &geo->capacity);
	case OPT_ZONE_SIZE:
		return parse_nonzero_size(cmd, "--zone-size", arg,
					  &geo->zone_size);
	case OPT_ZONE_CAPACITY:
		return cli_parse_size(cmd, "--zone-capacity", arg,
				      &geo->zone_capacity);
	case OPT_CONV:
		return cli_parse_u32(cmd, "--conv", arg, &geo->nr_conv_zones);
	case OPT_BLOCK_SIZE:
		return cli_parse_u32(cmd, "--block-size", arg, &geo->block_size);
	case OPT_MAX_OPEN:
		return cli_parse_u32(cmd, "--max-open", arg, &geo->max_open);
	case OPT_MAX_ACTIVE:
		return cli_parse_u32(cmd, "--max-active", arg, &geo->max_active);
	default:
		return cli_parse_size(cmd, "--max-append", arg, &geo->max_append);
	}
}

static int create_device(const struct cli_command *cmd, const char *path,
			 const struct zk_geometry *geo)
{
	int ret = zk_create(path, geo);

	/* strerror(): zonekit's -EINVAL message is about I/O arguments. */
	if (ret == -EINVAL)
		return cli_fail_sys(cmd->name, ret, "cannot create %s: %s", path,
				    zk_geometry_problem(geo) ?
				    zk_geometry_problem(geo) : "invalid geometry");
	if (ret < 0)
		return cli_fail(cmd->name, ret, "cannot create %s", path);
	return CLI_EXIT_OK;
}

static int run_create(const struct cli_command *cmd, int argc, char **argv)
{
	struct zk_geometry geo = { .block_size = DEFAULT_BLOCK_SIZE };
	const char *dir = NULL;
	const struct cli_args a = {
		.longopts = create_options,
		.option = parse_create_option,
		.opts = &geo,
		.operands = { { "DIR", &dir, NULL } },
		.min_operands = 1,
	};
	int ret;

	if (!cli_parse_args(cmd, argc, argv, &a, &ret))
		return ret;
	if (!geo.capacity)
		return cli_usage_error(cmd, "missing --capacity");
	if (!geo.zone_size)
		return cli_usage_error(cmd, "missing --zone-size");
	return create_device(cmd, dir, &geo);
}

const struct cli_command cmd_create = {
	.name = "create",
	.summary = "create an emulated zoned device in a directory",
	.synopsis = "DIR --capacity SIZE --zone-size SIZE [OPTIONS]",
	.help =
	"Create an emulated zoned device: the directory DIR (created if missing,\n"
	"it must be empty otherwise) holds one file per zone.\n"
	"\n"
	"Options:\n"
	"  --capacity SIZE       size of the device (required)\n"
	"  --zone-size SIZE      size of a zone, a power of two (required)\n"
	"  --zone-capacity SIZE  writable bytes of a sequential zone (default:\n"
	"                        the zone size)\n"
	"  --conv N              conventional zones at the start (default 0)\n"
	"  --block-size N        logical block size, 512 or 4096 (default 4096)\n"
	"  --max-open N          max open zones (default 0: no limit)\n"
	"  --max-active N        max open + closed zones (default 0: no limit)\n"
	"  --max-append SIZE     largest append (default 0: no limit)\n"
	"  -h, --help            show this help\n"
	"\n"
	"SIZE: bytes, decimal or 0x hex, with an optional suffix K, M, G, T, P\n"
	"(powers of 1024; KiB, MiB... also accepted).\n",
	.run = run_create,
};
