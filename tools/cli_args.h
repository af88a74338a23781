/* SPDX-License-Identifier: MIT */
/*
 * A command's command line, parsed from a table: its options (each handed
 * to the command as it comes) and its operands (DEV OFS LEN...), counted
 * and, for sizes, parsed.  --help and bad options are handled as
 * cli_getopt() and cli_check_args() (cli_util.h) handle them.
 */
#ifndef ZONEKIT_CLI_ARGS_H
#define ZONEKIT_CLI_ARGS_H

#include <getopt.h>
#include <stdbool.h>
#include <stdint.h>

#include "cli_util.h"

#define CLI_MAX_OPERANDS 4

/* An operand: its name, for "missing OFS", and where it goes: its text,
 * or its value as a size (cli_parse_size()).  An operand not given leaves
 * its place as it was. */
struct cli_operand {
	const char *name;
	const char **text;
	uint64_t *size;
};

struct cli_args {
	const char *shortopts;          /* without the leading ':' and 'h' */
	const struct option *longopts;  /* with --help; NULL: --help only */
	/* Take option @c with its argument @arg (or NULL) into @opts.
	 * Returns 0 or an exit status (reported).  NULL: no option but --help. */
	int (*option)(const struct cli_command *cmd, int c, const char *arg,
		      void *opts);
	void *opts;
	/* In order; the first min_operands are required, the others
	 * optional, none past the last named. */
	struct cli_operand operands[CLI_MAX_OPERANDS];
	int min_operands;
};

/* An option callback for a command whose only option is a flag: @opts is
 * the bool it sets. */
int cli_option_flag(const struct cli_command *cmd, int c, const char *arg,
		    void *opts);

/* The options, then the operands.  Returns true to go on; false when the
 * command is done: *status is then its exit status, CLI_EXIT_OK after
 * --help, else CLI_EXIT_USAGE (reported). */
bool cli_parse_args(const struct cli_command *cmd, int argc, char **argv,
		    const struct cli_args *a, int *status);

/* The two halves of cli_parse_args(), for a command that checks its options
 * against each other before its operands are counted.  The operands: 0 or
 * CLI_EXIT_USAGE (reported); argc - optind of them. */
bool cli_parse_options(const struct cli_command *cmd, int argc, char **argv,
		       const struct cli_args *a, int *status);
int cli_parse_operands(const struct cli_command *cmd, int argc, char **argv,
		       const struct cli_args *a);

#endif /* ZONEKIT_CLI_ARGS_H */
