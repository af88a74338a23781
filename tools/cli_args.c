/* SPDX-License-Identifier: MIT */
#include "cli_args.h"

#include <stdio.h>

static const struct option help_only[] = {
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

static int report_bad_option(const struct cli_command *cmd, int c,
			     char **argv)
{
	const char *arg = argv[optind - 1];

	if (c == ':')
		return cli_usage_error(cmd, "option '%s' needs an argument",
				       arg);
	if (optopt && !(arg[0] == '-' && arg[1] == '-'))
		return cli_usage_error(cmd, "unknown option '-%c'", optopt);
	return cli_usage_error(cmd, "unknown option '%s'", arg);
}

bool cli_parse_options(const struct cli_command *cmd, int argc, char **argv,
		       const struct cli_args *a, int *status)
{
	const struct option *longopts = a->longopts ? a->longopts : help_only;
	char shortopts[64];
	int c;

	/* ':' first: a missing argument is told apart from an unknown option */
	snprintf(shortopts, sizeof(shortopts), ":h%s",
		 a->shortopts ? a->shortopts : "");
	opterr = 0;
	while ((c = getopt_long(argc, argv, shortopts, longopts, NULL)) != -1) {
		switch (c) {
		case 'h':
			cli_print_help(cmd, stdout);
			*status = CLI_EXIT_OK;
			return false;
		case '?':
		case ':':
			*status = report_bad_option(cmd, c, argv);
			return false;
		default:
			*status = a->option(cmd, c, optarg, a->opts);
			if (*status)
				return false;
		}
	}
	return true;
}

int cli_option_flag(const struct cli_command *cmd, int c, const char *arg,
		    void *opts)
{
	(void)cmd, (void)c, (void)arg;
	*(bool *)opts = true;
	return 0;
}

static int max_operands(const struct cli_args *a)
{
	int n = 0;

	while (n < CLI_MAX_OPERANDS && a->operands[n].name)
		n++;
	return n;
}

int cli_parse_operands(const struct cli_command *cmd, int argc, char **argv,
		       const struct cli_args *a)
{
	int nr = argc - optind, max = max_operands(a);

	if (nr < a->min_operands)
		return cli_usage_error(cmd, "missing %s", a->operands[nr].name);
	if (nr > max)
		return cli_usage_error(cmd, "unexpected argument '%s'",
				       argv[optind + max]);
	for (int i = 0; i < nr; i++) {
		const struct cli_operand *op = &a->operands[i];
		const char *text = argv[optind + i];

		if (op->text)
			*op->text = text;
		if (op->size && cli_parse_size(cmd, op->name, text, op->size))
			return CLI_EXIT_USAGE;
	}
	return 0;
}

bool cli_parse_args(const struct cli_command *cmd, int argc, char **argv,
		    const struct cli_args *a, int *status)
{
	if (!cli_parse_options(cmd, argc, argv, a, status))
		return false;
	*status = cli_parse_operands(cmd, argc, argv, a);
	return *status == 0;
}
