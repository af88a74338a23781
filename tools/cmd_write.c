/* SPDX-License-Identifier: MIT */
/* zonekit write: positional writes, cut at zone boundaries. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "cli_args.h"
#include "cli_data.h"
#include "cli_dev.h"
#include "cli_explain.h"
#include "cli_progress.h"
#include "commands.h"

#define WRITE_CHUNK (1u << 20) /* a multiple of any block size */

/* Bytes of the next write at @pos: no more than a chunk, never across the
 * end of a zone (zk_pwrite() would refuse). */
static uint64_t min_u64(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}

static size_t next_write_len(const struct cli_dev *d, uint64_t pos,
			     uint64_t left)
{
	uint64_t zone_end = (pos / d->info.zone_size + 1) * d->info.zone_size;

	return (size_t)min_u64(min_u64(left, WRITE_CHUNK), zone_end - pos);
}

static int write_chunk(struct cli_dev *d, struct data_source *src, char *buf,
		       size_t len, uint64_t pos)
{
	int ret;

	/* A pattern buffer is filled once, for every chunk. */
	if (src->file) {
		ret = data_source_fill(src, buf, len);
		if (ret < 0)
			return cli_fail_sys(d->cmd, ret, "cannot read %s", src->file);
	}
	return write_at(d, buf, len, pos);
}

static int write_data(struct cli_dev *d, struct data_command *dc)
{
	struct data_source *src = &dc->src;
	uint64_t offset = dc->offset;
	struct cli_progress progress;
	uint64_t done = 0;
	char *buf;
	int ret = 0;

	if (range_past_end(d, offset, src->size) ||
	    range_unaligned(d, offset, src->size))
		return fail_write(d, offset, src->size, -EINVAL);
	buf = malloc(WRITE_CHUNK);
	if (!buf)
		return cli_fail(d->cmd, -ENOMEM, "cannot allocate a buffer");
	if (!src->file)
		data_source_fill(src, buf, WRITE_CHUNK);
	progress_start_bytes(&progress, "writing", src->size);
	while (done < src->size && !ret) {
		size_t len = next_write_len(d, offset + done, src->size - done);

		ret = write_chunk(d, src, buf, len, offset + done);
		done += len;
		progress_update(&progress, done);
	}
	progress_end(&progress);
	free(buf);
	return ret;
}

static const struct option write_options[] = {
	DATA_SOURCE_OPTIONS,
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

static int run_write(const struct cli_command *cmd, int argc, char **argv)
{
	struct data_command dc;
	const struct cli_args a = {
		.shortopts = DATA_SOURCE_SHORTOPTS,
		.longopts = write_options,
		.option = data_command_option,
		.opts = &dc,
		.operands = { { "DEV", &dc.dev, NULL },
			      { "OFS", NULL, &dc.offset } },
		.min_operands = 2,
	};

	return data_command_run(cmd, argc, argv, &a, &dc, write_data);
}

const struct cli_command cmd_write = {
	.name = "write",
	.summary = "write data at an offset (a sequential zone's write pointer)",
	.synopsis = "DEV OFS (--size N [--pattern BYTE] | --file F)",
	.help =
	"Write data at OFS: anywhere in a conventional zone, at the write\n"
	"pointer in a sequential zone.  Data longer than the rest of the zone\n"
	"goes on at the start of the next zone(s), in writes of at most 1 MiB.\n"
	"\n"
	"Options:\n"
	"  -s, --size N          write N bytes (a multiple of the block size)\n"
	"  -p, --pattern BYTE    of this value, 0 to 255 (default 0)\n"
	"  -f, --file F          write the whole of file F (its size must be a\n"
	"                        multiple of the block size)\n"
	"  -h, --help            show this help\n",
	.run = run_write,
};
