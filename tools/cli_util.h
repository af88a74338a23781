/* SPDX-License-Identifier: MIT */
/*
 * Helpers shared by the commands of the zonekit tool: the command table
 * entry, option parsing, size parsing and formatting, error messages.
 */
#ifndef ZONEKIT_CLI_UTIL_H
#define ZONEKIT_CLI_UTIL_H

#include <getopt.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* Exit statuses of the tool. */
enum {
	CLI_EXIT_OK = 0,
	CLI_EXIT_FAILURE = 1, /* the operation failed */
	CLI_EXIT_USAGE = 2,   /* bad command line */
};

struct cli_command {
	const char *name;
	const char *summary;  /* one line for "zonekit help" */
	const char *synopsis; /* the arguments, after "zonekit NAME " */
	const char *help;     /* what it does and its options, for --help */
	int (*run)(const struct cli_command *cmd, int argc, char **argv);
	int variant;          /* for commands sharing one run function */
};

/* ---- messages ---------------------------------------------------------- */

/* "zonekit: CMD: WHAT: zk_strerror(err)" on stderr (no ": ..." if err is 0);
 * returns CLI_EXIT_FAILURE. */
int cli_fail(const char *cmd, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* cli_fail() for a system call's error (-errno) on a file that is not the
 * device: strerror(), not zonekit's reading of the errno. */
int cli_fail_sys(const char *cmd, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* "zonekit: CMD: WHAT" and a usage hint on stderr; returns CLI_EXIT_USAGE. */
int cli_usage_error(const struct cli_command *cmd, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

void cli_print_usage_line(const struct cli_command *cmd, FILE *out);
void cli_print_help(const struct cli_command *cmd, FILE *out);

/* ---- options ----------------------------------------------------------- */

#define CLI_OPT_DONE (-1) /* no more options */
#define CLI_OPT_HELP (-2) /* --help: help printed, exit 0 */
#define CLI_OPT_BAD (-3)  /* unknown option or missing argument: reported */

/* getopt_long() for a command, with --help/-h handled and errors reported.
 * @shortopts must not include the leading ':' nor 'h'.  cli_parse_args()
 * (cli_args.h) does the whole command line from a table. */
int cli_getopt(const struct cli_command *cmd, int argc, char **argv,
	       const char *shortopts, const struct option *longopts);

/* Exit status for CLI_OPT_HELP or CLI_OPT_BAD. */
int cli_getopt_exit(int c);

/* Check the number of arguments left after the options (argv[optind..]):
 * @names lists them (for "missing DEV"); @min of them are required.
 * Returns 0 or CLI_EXIT_USAGE (reported). */
int cli_check_args(const struct cli_command *cmd, int argc, char **argv,
		   int min, int max, const char *const *names);

/* ---- numbers ----------------------------------------------------------- */

/* Parse a size or offset: decimal or 0x hex, optional suffix K, M, G, T, P
 * (or KiB, MiB...: powers of 1024) or B.  Returns 0, or -1 with *why set. */
int parse_size(const char *text, uint64_t *out, const char **why);

/* parse_size() reporting a usage error that names @name (an option or an
 * argument).  Returns 0 or CLI_EXIT_USAGE. */
int cli_parse_size(const struct cli_command *cmd, const char *name,
		   const char *text, uint64_t *out);
int cli_parse_u32(const struct cli_command *cmd, const char *name,
		  const char *text, uint32_t *out);
int cli_parse_byte(const struct cli_command *cmd, const char *name,
		   const char *text, uint8_t *out);

/* @v in the largest unit that divides it exactly ("256M", "4K", "1000"). */
const char *format_size_exact(uint64_t v, char *buf, size_t size);
#define SIZE_BUF_LEN 32

/* Write all of @buf to @fd, at its file offset or at @offset: 0 or -errno
 * (-EIO if nothing could be written). */
int write_all(int fd, const void *buf, size_t len);
int pwrite_all(int fd, const void *buf, size_t len, uint64_t offset);

#endif /* ZONEKIT_CLI_UTIL_H */
