/* SPDX-License-Identifier: MIT */
#include "cli_data.h"

#include "cli_args.h"
#include "cli_dev.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void data_source_init(struct data_source *src)
{
	memset(src, 0, sizeof(*src));
	src->fd = -1;
}

static int data_source_option(const struct cli_command *cmd,
			      struct data_source *src, int c, const char *arg)
{
	switch (c) {
	case OPT_DATA_SIZE:
		src->has_size = true;
		return cli_parse_size(cmd, "--size", arg, &src->size);
	case OPT_DATA_PATTERN:
		src->has_pattern = true;
		return cli_parse_byte(cmd, "--pattern", arg, &src->pattern);
	default:
		src->file = arg;
		return 0;
	}
}

static int data_source_check(const struct cli_command *cmd,
			     const struct data_source *src)
{
	if (src->has_size && src->file)
		return cli_usage_error(cmd, "--size and --file exclude each other");
	if (!src->has_size && !src->file)
		return cli_usage_error(cmd, "missing --size or --file");
	if (src->has_pattern && src->file)
		return cli_usage_error(cmd, "--pattern goes with --size, not --file");
	return 0;
}

static int open_file(const char *cmd, struct data_source *src)
{
	struct stat st;

	src->fd = open(src->file, O_RDONLY | O_CLOEXEC);
	if (src->fd < 0)
		return cli_fail_sys(cmd, -errno, "cannot open %s", src->file);
	if (fstat(src->fd, &st) < 0)
		return cli_fail_sys(cmd, -errno, "cannot stat %s", src->file);
	if (!S_ISREG(st.st_mode))
		return cli_fail(cmd, 0, "%s is not a regular file", src->file);
	src->size = (uint64_t)st.st_size;
	return 0;
}

static int data_source_open(const char *cmd, struct data_source *src,
			    uint32_t block_size)
{
	const char *what = src->file ? src->file : "--size";
	int ret;

	if (src->file) {
		ret = open_file(cmd, src);
		if (ret)
			return ret;
	}
	if (!src->size)
		return cli_fail(cmd, -EINVAL, "%s: no data (0 bytes)", what);
	if (block_size && src->size % block_size)
		return cli_fail(cmd, -EINVAL,
				"%s: %" PRIu64 " bytes is not a multiple of the block size (%u)",
				what, src->size,
				block_size);
	return 0;
}

static int read_full(int fd, void *buf, size_t len)
{
	char *p = buf;

	while (len) {
		ssize_t n = read(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return -ENODATA; /* the file shrank under us */
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int data_source_fill(struct data_source *src, void *buf, size_t len)
{
	if (src->fd >= 0)
		return read_full(src->fd, buf, len);
	memset(buf, src->pattern, len);
	return 0;
}

static void data_source_close(struct data_source *src)
{
	if (src->fd >= 0)
		close(src->fd);
	src->fd = -1;
}

int data_command_option(const struct cli_command *cmd, int c, const char *arg,
			void *opts)
{
	struct data_command *dc = opts;

	if (c != OPT_DATA_JSON)
		return data_source_option(cmd, &dc->src, c, arg);
	dc->json = true;
	return 0;
}

struct data_run {
	struct data_command *dc;
	int (*fn)(struct cli_dev *d, struct data_command *dc);
};

static int run_with_data(struct cli_dev *d, void *ctx)
{
	struct data_run *r = ctx;
	int ret = data_source_open(d->cmd, &r->dc->src, d->info.block_size);

	if (!ret)
		ret = r->fn(d, r->dc);
	data_source_close(&r->dc->src);
	return ret;
}

int data_command_run(const struct cli_command *cmd, int argc, char **argv,
		     const struct cli_args *a, struct data_command *dc,
		     int (*fn)(struct cli_dev *d, struct data_command *dc))
{
	struct data_run r = { .dc = dc, .fn = fn };
	int ret;

	data_source_init(&dc->src);
	dc->json = false;
	if (!cli_parse_args(cmd, argc, argv, a, &ret))
		return ret;
	ret = data_source_check(cmd, &dc->src);
	if (ret)
		return ret;
	return cli_dev_run(cmd->name, dc->dev, 0, run_with_data, &r);
}
