/* SPDX-License-Identifier: MIT */
#include "cli_args.h"

static const struct option help_only[] = {
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

bool cli_parse_options(const struct cli_command *cmd, int argc, char **argv,
		       const struct cli_args *a, int *status)
{
	const struct option *longopts = a->longopts ? a->longopts : help_only;
	const char *shortopts = a->shortopts ? a->shortopts : "";
	int c;

	while ((c = cli_getopt(cmd, argc, argv, shortopts, longopts)) >= 0) {
		*status = a->option(cmd, c, optarg, a->opts);
		if (*status)
			return false;
	}
	if (c == CLI_OPT_DONE)
		return true;
	*status = cli_getopt_exit(c);
	return false;
}

int cli_option_flag(const struct cli_command *cmd, int c, const char *arg,
		    void *opts)
{
	(void)cmd, (void)c, (void)arg;
	*(bool *)opts = true;
	return 0;
}

int cli_parse_operands(const struct cli_command *cmd, int argc, char **argv,
		       const struct cli_args *a)
{
	const char *names[CLI_MAX_OPERANDS];
	int nr = argc - optind, max = 0, ret;

	while (max < CLI_MAX_OPERANDS && a->operands[max].name) {
		names[max] = a->operands[max].name;
		max++;
	}
	ret = cli_check_args(cmd, argc, argv, a->min_operands, max, names);
	if (ret)
		return ret;
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
