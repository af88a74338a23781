/* SPDX-License-Identifier: MIT */
/*
 * Where the bytes of "write" and "append" come from: --size N with an
 * optional --pattern BYTE, or --file F (the whole file); and the rest of
 * their command line, DEV OFS.
 */
#ifndef ZONEKIT_CLI_DATA_H
#define ZONEKIT_CLI_DATA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cli_util.h"

enum {
	OPT_DATA_SIZE = 's',
	OPT_DATA_PATTERN = 'p',
	OPT_DATA_FILE = 'f',
};

/* Members of a struct option array, for commands taking data. */
#define DATA_SOURCE_OPTIONS                                             \
	{ "size", required_argument, NULL, OPT_DATA_SIZE },             \
	{ "pattern", required_argument, NULL, OPT_DATA_PATTERN },       \
	{ "file", required_argument, NULL, OPT_DATA_FILE }
#define DATA_SOURCE_SHORTOPTS "s:p:f:"

struct data_source {
	const char *file; /* NULL: a pattern */
	uint64_t size;    /* from --size, or the file's size once opened */
	uint8_t pattern;
	bool has_size;
	bool has_pattern;
	int fd;
};

/* The next @len bytes: 0 or a negative errno. */
int data_source_fill(struct data_source *src, void *buf, size_t len);

/* The command line of write and append: DEV OFS, the data and --json (if
 * the command lists it). */
struct data_command {
	const char *dev;
	uint64_t offset;
	struct data_source src;
	bool json;
};

enum { OPT_DATA_JSON = 'j' };

struct cli_args;
struct cli_dev;

/* A cli_args option callback: option @c (OPT_DATA_*) into the struct
 * data_command @dc.  Returns 0 or CLI_EXIT_USAGE (reported). */
int data_command_option(const struct cli_command *cmd, int c, const char *arg,
			void *dc);

/* Parse the command line as @a says (options into @dc with
 * data_command_option(), operands DEV and OFS into dc->dev and
 * dc->offset), check the data options (exactly one of --size and --file,
 * --pattern only with --size), open the device, then the data (its size a
 * non-zero multiple of the block size), and run @fn.  Returns an exit
 * status: @fn's, or one reported here. */
int data_command_run(const struct cli_command *cmd, int argc, char **argv,
		     const struct cli_args *a, struct data_command *dc,
		     int (*fn)(struct cli_dev *d, struct data_command *dc));

#endif /* ZONEKIT_CLI_DATA_H */
