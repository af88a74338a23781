/* SPDX-License-Identifier: MIT */
/*
 * Where the bytes of "write" and "append" come from: --size N with an
 * optional --pattern BYTE, or --file F (the whole file).
 */
#ifndef ZONEKIT_CLI_DATA_H
#define ZONEKIT_CLI_DATA_H

#include <getopt.h>
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

void data_source_init(struct data_source *src);

/* Take option @c (one of OPT_DATA_*) with argument @arg.
 * Returns 0 or CLI_EXIT_USAGE (reported). */
int data_source_option(const struct cli_command *cmd, struct data_source *src,
		       int c, const char *arg);

/* After the options: exactly one of --size and --file, --pattern only with
 * --size.  Returns 0 or CLI_EXIT_USAGE (reported). */
int data_source_check(const struct cli_command *cmd,
		      const struct data_source *src);

/* Open the file and learn its size; the size must be a non-zero multiple of
 * @block_size.  Returns 0 or CLI_EXIT_FAILURE (reported). */
int data_source_open(const char *cmd, struct data_source *src,
		     uint32_t block_size);

/* The next @len bytes: 0 or a negative errno. */
int data_source_fill(struct data_source *src, void *buf, size_t len);

void data_source_close(struct data_source *src);

#endif /* ZONEKIT_CLI_DATA_H */
