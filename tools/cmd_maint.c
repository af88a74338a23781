/* SPDX-License-Identifier: MIT */
/* zonekit set-cond and resync: the zone conditions an emulated device is
 * told to have, and zonekit's view learnt again from the device. */
#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "cli_dev.h"
#include "commands.h"

/* ---- set-cond ---------------------------------------------------------- */

struct cond_name {
	const char *name;
	enum zk_zone_cond cond;
};

static const struct cond_name settable_conds[] = {
	{ "read-only", ZK_COND_READONLY },
	{ "readonly", ZK_COND_READONLY },
	{ "offline", ZK_COND_OFFLINE },
	{ "empty", ZK_COND_EMPTY },
};

static int parse_cond(const struct cli_command *cmd, const char *text,
		      enum zk_zone_cond *cond)
{
	for (size_t i = 0; i < sizeof(settable_conds) / sizeof(settable_conds[0]);
	     i++) {
		if (!strcmp(text, settable_conds[i].name)) {
			*cond = settable_conds[i].cond;
			return 0;
		}
	}
	return cli_usage_error(cmd,
			       "invalid condition '%s': read-only, offline or empty",
			       text);
}

static int fail_set_cond(struct cli_dev *d, uint64_t offset,
			 enum zk_zone_cond cond, int err)
{
	const char *name = zk_zone_cond_name(cond);
	struct zk_zone z;

	if (err == -EOPNOTSUPP)
		return cli_fail(d->cmd, err,
				"cannot make the zone at 0x%" PRIx64 " %s: only an emulated device can",
				offset, name);
	if (err == -EINVAL && range_past_end(d, offset, 1))
		return cli_fail(d->cmd, err,
				"0x%" PRIx64 " is past the end of the device (0x%" PRIx64 ")",
				offset, d->info.capacity);
	if (err == -EINVAL && cli_zone_at(d, offset, &z) == 0 &&
	    z.start != offset)
		return cli_fail(d->cmd, err,
				"0x%" PRIx64 " is not the start of a zone (its zone starts at 0x%" PRIx64 ")",
				offset, z.start);
	if (err == -EINVAL && cli_zone_at(d, offset, &z) == 0 &&
	    z.type == ZK_ZONE_CONVENTIONAL)
		return cli_fail(d->cmd, err,
				"cannot make the zone at 0x%" PRIx64 " %s: it is conventional",
				offset, name);
	return cli_fail(d->cmd, err, "cannot make the zone at 0x%" PRIx64 " %s",
			offset, name);
}

static int run_set_cond(const struct cli_command *cmd, int argc, char **argv)
{
	static const char *const args[] = { "DEV", "OFS", "COND" };
	static const struct option options[] = {
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	enum zk_zone_cond cond = ZK_COND_EMPTY;
	uint64_t offset;
	struct cli_dev d;
	int c, ret;

	while ((c = cli_getopt(cmd, argc, argv, "", options)) >= 0)
		;
	if (c != CLI_OPT_DONE)
		return cli_getopt_exit(c);
	ret = cli_check_args(cmd, argc, argv, 3, 3, args);
	if (ret)
		return ret;
	ret = cli_parse_size(cmd, "OFS", argv[optind + 1], &offset);
	if (ret)
		return ret;
	ret = parse_cond(cmd, argv[optind + 2], &cond);
	if (ret)
		return ret;
	ret = cli_dev_open(&d, cmd->name, argv[optind], 0);
	if (ret)
		return ret;
	ret = zk_set_zone_cond(d.dev, offset, cond);
	if (ret < 0)
		return cli_dev_close(&d, fail_set_cond(&d, offset, cond, ret));
	return cli_dev_close(&d, CLI_EXIT_OK);
}

const struct cli_command cmd_set_cond = {
	.name = "set-cond",
	.summary = "emulated device: make a zone read-only or offline, or empty again",
	.synopsis = "DEV OFS (read-only|offline|empty)",
	.help =
	"Emulated device only: turn the zone starting at OFS read-only or\n"
	"offline, as a worn-out zone of a real device would be, or bring such a\n"
	"zone back (empty: the zone is reset).  The condition is kept across\n"
	"reopen.\n"
	"\n"
	"Options:\n"
	"  -h, --help   show this help\n",
	.run = run_set_cond,
};

/* ---- resync ------------------------------------------------------------ */

static int run_resync(const struct cli_command *cmd, int argc, char **argv)
{
	static const char *const args[] = { "DEV" };
	static const struct option options[] = {
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct cli_dev d;
	int c, ret;

	while ((c = cli_getopt(cmd, argc, argv, "", options)) >= 0)
		;
	if (c != CLI_OPT_DONE)
		return cli_getopt_exit(c);
	ret = cli_check_args(cmd, argc, argv, 1, 1, args);
	if (ret)
		return ret;
	ret = cli_dev_open(&d, cmd->name, argv[optind], 0);
	if (ret)
		return ret;
	ret = zk_resync(d.dev);
	if (ret < 0)
		return cli_dev_close(&d, cli_fail(cmd->name, ret,
						  "cannot resync %s", d.path));
	return cli_dev_close(&d, CLI_EXIT_OK);
}

const struct cli_command cmd_resync = {
	.name = "resync",
	.summary = "learn the write pointers and conditions again from the device",
	.synopsis = "DEV",
	.help =
	"Forget the write pointers and conditions zonekit keeps and learn them\n"
	"again from the device, after another program changed zones.\n"
	"\n"
	"Options:\n"
	"  -h, --help   show this help\n",
	.run = run_resync,
};
