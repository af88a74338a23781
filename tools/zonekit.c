/* SPDX-License-Identifier: MIT */
/*
 * zonekit: command-line access to zoned devices through libzonekit.
 * main() finds the command and runs it; each command lives in a cmd_*.c.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "zonekit.h"

static const struct cli_command *const commands[] = {
	&cmd_create, &cmd_info,	 &cmd_report, &cmd_reset,  &cmd_open,
	&cmd_close,  &cmd_finish, &cmd_append, &cmd_write,  &cmd_read,
	&cmd_resync, &cmd_set_cond, &cmd_power_cycle, &cmd_fill, &cmd_map,
	&cmd_zloop,
#ifdef ZONEKIT_SERVE
	&cmd_serve,  &cmd_stop,
#endif
};
#define NR_COMMANDS (sizeof(commands) / sizeof(commands[0]))

static const struct cli_command *find_command(const char *name)
{
	for (size_t i = 0; i < NR_COMMANDS; i++)
		if (!strcmp(commands[i]->name, name))
			return commands[i];
	return NULL;
}

static void print_overview(FILE *out)
{
	fputs("Usage: zonekit COMMAND [ARGUMENTS] [OPTIONS]\n"
	      "       zonekit COMMAND --help | zonekit help [COMMAND] | zonekit --version\n"
	      "\n"
	      "Zone append for user space on zoned block storage.  DEV is an emulated\n"
	      "zoned device (a directory made by 'zonekit create') or a zoned block\n"
	      "device.\n"
	      "\n"
	      "Commands:\n", out);
	for (size_t i = 0; i < NR_COMMANDS; i++)
		fprintf(out, "  %-11s %s\n", commands[i]->name,
			commands[i]->summary);
	fputs("\n"
	      "SIZE, OFS and LEN are bytes: decimal or 0x hex, with an optional\n"
	      "suffix K, M, G, T or P (powers of 1024; KiB, MiB... also accepted).\n"
	      "Exit status: 0 success, 1 failure, 2 usage error.\n", out);
}

static int unknown_command(const char *name)
{
	fprintf(stderr, "zonekit: unknown command '%s'\n"
			"Try 'zonekit help' for the list of commands.\n", name);
	return CLI_EXIT_USAGE;
}

/* zonekit help [COMMAND] */
static int run_help(int argc, char **argv)
{
	const struct cli_command *cmd;

	if (argc < 3) {
		print_overview(stdout);
		return CLI_EXIT_OK;
	}
	cmd = find_command(argv[2]);
	if (!cmd)
		return unknown_command(argv[2]);
	cli_print_help(cmd, stdout);
	return CLI_EXIT_OK;
}

static bool is_help(const char *arg)
{
	return !strcmp(arg, "help") || !strcmp(arg, "--help") ||
	       !strcmp(arg, "-h");
}

/* Output goes through stdio: a full disk or closed pipe shows up here. */
static int check_stdout(const char *cmd_name, int status)
{
	if (fflush(stdout) == 0 && !ferror(stdout))
		return status;
	if (status == CLI_EXIT_OK)
		return cli_fail_sys(cmd_name, -errno, "cannot write to stdout");
	return status;
}

int main(int argc, char **argv)
{
	const struct cli_command *cmd;

	if (argc < 2) {
		print_overview(stderr);
		return CLI_EXIT_USAGE;
	}
	if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "-V")) {
		printf("zonekit %s\n", ZK_VERSION_STRING);
		return check_stdout("version", CLI_EXIT_OK);
	}
	if (is_help(argv[1]))
		return check_stdout("help", run_help(argc, argv));
	cmd = find_command(argv[1]);
	if (!cmd)
		return unknown_command(argv[1]);
	return check_stdout(cmd->name, cmd->run(cmd, argc - 1, argv + 1));
}
