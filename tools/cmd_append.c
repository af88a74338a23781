/* SPDX-License-Identifier: MIT */
/* zonekit append: one zone append; prints where the data landed. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "cli_args.h"
#include "cli_data.h"
#include "cli_dev.h"
#include "cli_explain.h"
#include "cli_json.h"
#include "commands.h"

static void print_landed(uint64_t landed, uint64_t len, bool json)
{
	struct json_writer w;

	if (!json) {
		printf("%" PRIu64 "\n", landed);
		return;
	}
	json_init(&w, stdout, 0);
	json_begin_object(&w, NULL);
	json_u64(&w, "landed", landed);
	json_u64(&w, "len", len);
	json_end_object(&w);
}

/* The whole append is one zk_append() call, so it is one buffer. */
static int append_data(struct cli_dev *d, struct data_command *dc)
{
	struct data_source *src = &dc->src;
	uint64_t zone_start = dc->offset;
	uint64_t landed;
	void *buf;
	int ret;

	/* Refuse what cannot fit before allocating a buffer for it. */
	if (d->info.max_append && src->size > d->info.max_append)
		return fail_append(d, zone_start, src->size, -EINVAL);
	if (src->size > d->info.zone_size)
		return fail_append(d, zone_start, src->size, -EIO);
	buf = src->size <= SIZE_MAX ? malloc((size_t)src->size) : NULL;
	if (!buf)
		return cli_fail(d->cmd, -ENOMEM, "cannot allocate %" PRIu64 " bytes",
				src->size);
	ret = data_source_fill(src, buf, (size_t)src->size);
	if (ret < 0) {
		free(buf);
		return cli_fail_sys(d->cmd, ret, "cannot read %s", src->file);
	}
	ret = zk_append(d->dev, zone_start, buf, (size_t)src->size, &landed);
	free(buf);
	if (ret < 0)
		return fail_append(d, zone_start, src->size, ret);
	print_landed(landed, src->size, dc->json);
	return CLI_EXIT_OK;
}

static const struct option append_options[] = {
	DATA_SOURCE_OPTIONS,
	{ "json", no_argument, NULL, OPT_DATA_JSON },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

static int run_append(const struct cli_command *cmd, int argc, char **argv)
{
	struct data_command dc;
	const struct cli_args a = {
		.shortopts = DATA_SOURCE_SHORTOPTS "j",
		.longopts = append_options,
		.option = data_command_option,
		.opts = &dc,
		.operands = { { "DEV", &dc.dev, NULL },
			      { "ZONE_OFS", NULL, &dc.offset } },
		.min_operands = 2,
	};

	return data_command_run(cmd, argc, argv, &a, &dc, append_data);
}

const struct cli_command cmd_append = {
	.name = "append",
	.summary = "append data to a zone and print where it landed",
	.synopsis = "DEV ZONE_OFS (--size N [--pattern BYTE] | --file F) [--json]",
	.help =
	"Append data at the write pointer of the zone starting at ZONE_OFS, in\n"
	"one zone append, and print the offset where it landed.\n"
	"\n"
	"Options:\n"
	"  -s, --size N          append N bytes (a multiple of the block size)\n"
	"  -p, --pattern BYTE    of this value, 0 to 255 (default 0)\n"
	"  -f, --file F          append the whole of file F (its size must be a\n"
	"                        multiple of the block size)\n"
	"  -j, --json            print {\"landed\": OFFSET, \"len\": BYTES}\n"
	"  -h, --help            show this help\n",
	.run = run_append,
};
