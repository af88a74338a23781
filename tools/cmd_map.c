/* SPDX-License-Identifier: MIT */
/* zonekit map: the command (the pictures: map.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cli_args.h"
#include "commands.h"
#include "map.h"

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
	ret = map_collect_zones(&m);
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
	ret = o->format == FORMAT_SVG ? map_write_svg(out, &m) : map_write_html(out, &m);
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
