/* SPDX-License-Identifier: MIT */
/* zonekit read: bytes of a device to stdout or a file. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "cli_args.h"
#include "cli_dev.h"
#include "cli_explain.h"
#include "cli_progress.h"
#include "commands.h"

#define READ_CHUNK (1u << 20) /* a multiple of any block size */

static int open_output(const char *cmd, const char *path, int *fd)
{
	if (!path) {
		*fd = STDOUT_FILENO;
		return 0;
	}
	*fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
	if (*fd < 0)
		return cli_fail_sys(cmd, -errno, "cannot create %s", path);
	return 0;
}

static int close_output(const char *cmd, const char *path, int fd, int status)
{
	if (fd == STDOUT_FILENO)
		return status;
	if (close(fd) < 0 && !status)
		return cli_fail_sys(cmd, -errno, "cannot write %s", path);
	return status;
}

static int read_chunk(struct cli_dev *d, char *buf, size_t len, uint64_t pos,
		      int out, const char *out_name)
{
	size_t got = 0;
	int ret;

	while (got < len) {
		ssize_t n = zk_pread(d->dev, buf + got, len - got, pos + got);

		if (n <= 0)
			return fail_read(d, pos + got, len - got,
					 n < 0 ? (int)n : -EIO);
		got += (size_t)n;
	}
	ret = write_all(out, buf, len);
	if (ret < 0)
		return cli_fail_sys(d->cmd, ret, "cannot write %s", out_name);
	return 0;
}

static int read_data(struct cli_dev *d, uint64_t offset, uint64_t len,
		     int out, const char *out_name)
{
	struct cli_progress progress;
	uint64_t done = 0;
	char *buf;
	int ret = 0;

	buf = malloc(READ_CHUNK);
	if (!buf)
		return cli_fail(d->cmd, -ENOMEM, "cannot allocate a buffer");
	progress_start_bytes(&progress, "reading", len);
	while (done < len && !ret) {
		size_t chunk = len - done < READ_CHUNK ? (size_t)(len - done) :
							 READ_CHUNK;

		ret = read_chunk(d, buf, chunk, offset + done, out, out_name);
		done += chunk;
		progress_update(&progress, done);
	}
	progress_end(&progress);
	free(buf);
	return ret;
}

struct read_opts {
	const char *dev;
	uint64_t offset, len;
	const char *output; /* NULL: stdout */
};

static int read_to(struct cli_dev *d, void *opts)
{
	const struct read_opts *o = opts;
	int out, ret;

	/* Check the whole range first: nothing is written if it is wrong. */
	if (!o->len || range_past_end(d, o->offset, o->len) ||
	    range_unaligned(d, o->offset, o->len))
		return fail_read(d, o->offset, o->len, -EINVAL);
	ret = open_output(d->cmd, o->output, &out);
	if (ret)
		return ret;
	ret = read_data(d, o->offset, o->len, out,
			o->output ? o->output : "stdout");
	return close_output(d->cmd, o->output, out, ret);
}

static const struct option read_options[] = {
	{ "output", required_argument, NULL, 'o' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

static int read_option(const struct cli_command *cmd, int c, const char *arg,
		       void *opts)
{
	struct read_opts *o = opts;

	(void)cmd, (void)c; /* 'o', the only option */
	o->output = arg;
	return 0;
}

static int run_read(const struct cli_command *cmd, int argc, char **argv)
{
	struct read_opts o = { .output = NULL };
	const struct cli_args a = {
		.shortopts = "o:",
		.longopts = read_options,
		.option = read_option,
		.opts = &o,
		.operands = { { "DEV", &o.dev, NULL }, { "OFS", NULL, &o.offset },
			      { "LEN", NULL, &o.len } },
		.min_operands = 3,
	};
	int ret;

	if (!cli_parse_args(cmd, argc, argv, &a, &ret))
		return ret;
	return cli_dev_run(cmd->name, o.dev, ZK_RDONLY, read_to, &o);
}

const struct cli_command cmd_read = {
	.name = "read",
	.summary = "read bytes to stdout or a file",
	.synopsis = "DEV OFS LEN [-o FILE]",
	.help =
	"Read LEN bytes at OFS (they may span zones) and write them, binary, to\n"
	"stdout or to FILE.  Bytes past a zone's write pointer read as zeros on\n"
	"an emulated device.\n"
	"\n"
	"Options:\n"
	"  -o, --output FILE   write the data to FILE instead of stdout\n"
	"  -h, --help          show this help\n",
	.run = run_read,
};
