/* SPDX-License-Identifier: MIT */
/* zonekit set-cond, power-cycle and resync: the zone conditions an
 * emulated device is told to have or made to lose, and zonekit's view
 * learnt again from the device. */
#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "cli_args.h"
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

struct set_cond_opts {
	const char *dev;
	uint64_t offset;
	const char *cond_name;
	enum zk_zone_cond cond;
};

static int set_cond(struct cli_dev *d, void *opts)
{
	const struct set_cond_opts *o = opts;
	int ret = zk_set_zone_cond(d->dev, o->offset, o->cond);

	if (ret < 0)
		return fail_set_cond(d, o->offset, o->cond, ret);
	return CLI_EXIT_OK;
}

static int run_set_cond(const struct cli_command *cmd, int argc, char **argv)
{
	struct set_cond_opts o = { .cond = ZK_COND_EMPTY };
	const struct cli_args a = {
		.operands = { { "DEV", &o.dev, NULL }, { "OFS", NULL, &o.offset },
			      { "COND", &o.cond_name, NULL } },
		.min_operands = 3,
	};
	int ret;

	if (!cli_parse_args(cmd, argc, argv, &a, &ret))
		return ret;
	ret = parse_cond(cmd, o.cond_name, &o.cond);
	if (ret)
		return ret;
	return cli_dev_run(cmd->name, o.dev, 0, set_cond, &o);
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

static int resync(struct cli_dev *d, void *unused)
{
	int ret = zk_resync(d->dev);

	(void)unused;
	if (ret < 0)
		return cli_fail(d->cmd, ret, "cannot resync %s", d->path);
	return CLI_EXIT_OK;
}

static int run_resync(const struct cli_command *cmd, int argc, char **argv)
{
	const char *dev = NULL;
	const struct cli_args a = {
		.operands = { { "DEV", &dev, NULL } },
		.min_operands = 1,
	};
	int ret;

	if (!cli_parse_args(cmd, argc, argv, &a, &ret))
		return ret;
	return cli_dev_run(cmd->name, dev, 0, resync, NULL);
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

/* ---- power-cycle ------------------------------------------------------- */

static int fail_power_cycle(const struct cli_command *cmd, const char *path,
			    int err)
{
	if (err == -EOPNOTSUPP)
		return cli_fail(cmd->name, 0,
				"cannot power-cycle %s: it is a block device; only an "
				"emulated device can be (power-cycle the machine or "
				"the drive instead)", path);
	if (err == -EBUSY)
		return cli_fail(cmd->name, 0,
				"cannot power-cycle %s: it is open for writing by "
				"another program (a 'zonekit serve'?); stop it first",
				path);
	return cli_fail(cmd->name, err, "cannot power-cycle %s", path);
}

static int run_power_cycle(const struct cli_command *cmd, int argc,
			   char **argv)
{
	const char *dev = NULL;
	const struct cli_args a = {
		.operands = { { "DEV", &dev, NULL } },
		.min_operands = 1,
	};
	struct cli_dev d;
	int ret;

	if (!cli_parse_args(cmd, argc, argv, &a, &ret))
		return ret;
	/* A device that does not open is reported as every command reports
	 * it (damaged, not zoned...), and left as it is. */
	ret = cli_dev_open(&d, cmd->name, dev, ZK_RDONLY);
	if (ret)
		return ret;
	cli_dev_close(&d, CLI_EXIT_OK);
	ret = zk_power_cycle(dev);
	if (ret < 0)
		return fail_power_cycle(cmd, dev, ret);
	return CLI_EXIT_OK;
}

const struct cli_command cmd_power_cycle = {
	.name = "power-cycle",
	.summary = "emulated device: lose the open conditions, as a power cycle does",
	.synopsis = "DEV",
	.help =
	"Emulated device only: do to the zone conditions what a power cycle does\n"
	"to a real device's.  An emulated device keeps which zones are open\n"
	"(implicitly or explicitly) and closed across a clean close, as a real\n"
	"device keeps them whoever opens it.  After this (or after a crash),\n"
	"partly written zones are closed and explicitly opened empty zones\n"
	"empty.  Data and write pointers are not touched.  Fails while the\n"
	"device is open for writing.\n"
	"\n"
	"Options:\n"
	"  -h, --help   show this help\n",
	.run = run_power_cycle,
};
