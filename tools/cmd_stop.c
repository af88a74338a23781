/* SPDX-License-Identifier: MIT */
/*
 * zonekit stop: end the zonekit serve of ublk device N and print what it
 * served.  The server is sent SIGTERM and removes the device itself (its
 * last requests served, everything flushed); stop waits for it to exit.
 * A device whose server is gone (it was killed) is removed here.
 */
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "commands.h"
#include "serve/ctrl.h"
#include "serve/report.h"

struct stop_args {
	uint32_t id;
	uint32_t timeout; /* seconds */
	bool json;
};

static const struct option stop_options[] = {
	{ "timeout", required_argument, NULL, 't' },
	{ "json", no_argument, NULL, 'j' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

/* Threads of @pid still there: a thread group's leader turns zombie when
 * the main thread has exited, while the others may still be releasing the
 * process's files (the device's lock among them). */
static int live_threads(pid_t pid)
{
	char path[64];
	struct dirent *e;
	int n = 0;
	DIR *d;

	snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
	d = opendir(path);
	if (!d)
		return 0;
	while ((e = readdir(d)))
		n += e->d_name[0] != '.';
	closedir(d);
	return n;
}

/* The process @pid, if it still runs (a zombie whose threads are all gone
 * has finished) and is a zonekit: 1; not a zonekit: 2; gone: 0. */
static int server_state(pid_t pid)
{
	char path[64], buf[512], *p;
	FILE *f;
	size_t n;

	if (pid <= 0)
		return 0;
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	f = fopen(path, "r");
	if (!f)
		return 0;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	/* "pid (comm) state ...": comm may hold spaces and parentheses */
	p = strrchr(buf, ')');
	if (!p || p[1] != ' ' || p[2] == 'X')
		return 0;
	if (p[2] == 'Z' && live_threads(pid) <= 1)
		return 0;
	*p = '\0';
	p = strchr(buf, '(');
	return p && !strcmp(p + 1, "zonekit") ? 1 : 2;
}

/* Wait up to @timeout seconds for @pid to finish; 0 or -ETIMEDOUT. */
static int wait_exit(pid_t pid, uint32_t timeout)
{
	struct timespec tick = { 0, 20 * 1000 * 1000 };

	for (uint64_t i = 0; i < (uint64_t)timeout * 50; i++) {
		if (!server_state(pid))
			return 0;
		nanosleep(&tick, NULL);
	}
	return -ETIMEDOUT;
}

static void print_report(const struct stop_args *a)
{
	char path[512], line[4096];
	FILE *f;

	if (serve_report_path(a->id, path, sizeof(path)))
		return;
	f = fopen(path, "r");
	if (!f) {
		if (a->json)
			printf("{\"id\":%u,\"stopped\":true}\n", a->id);
		else
			printf("stopped /dev/ublkb%u\n", a->id);
		return;
	}
	if (a->json) {
		while (fgets(line, sizeof(line), f))
			fputs(line, stdout);
	} else {
		printf("stopped /dev/ublkb%u (counters: %s)\n", a->id, path);
	}
	fclose(f);
}

/* The server is gone (killed): take its device away. */
static int remove_orphan(const char *name, struct ublk_ctrl *c, const struct stop_args *a)
{
	int ret;

	ublk_ctrl_stop(c, a->id); /* the kernel has mostly done it already */
	ret = ublk_ctrl_del(c, a->id);
	if (ret && ret != -ENODEV)
		return cli_fail_sys(name, ret, "cannot remove ublk device %u", a->id);
	if (a->json)
		printf("{\"id\":%u,\"stopped\":true,\"server\":\"gone\",\"removed\":true}\n", a->id);
	else
		printf("removed /dev/ublkb%u: its server was gone\n", a->id);
	return CLI_EXIT_OK;
}

static int stop_server(const char *name, struct ublk_ctrl *c, const struct stop_args *a)
{
	struct ublksrv_ctrl_dev_info info;
	int ret = ublk_ctrl_get_info(c, a->id, &info);
	pid_t pid = info.ublksrv_pid;

	if (ret == -ENODEV)
		return cli_fail_sys(name, 0, "there is no ublk device %u", a->id);
	if (ret)
		return cli_fail_sys(name, ret, "cannot ask for ublk device %u", a->id);
	switch (server_state(pid)) {
	case 0:
		return remove_orphan(name, c, a);
	case 2:
		return cli_fail_sys(name, 0, "ublk device %u is served by process %d, "
				    "not by zonekit", a->id, (int)pid);
	default:
		break;
	}
	if (kill(pid, SIGTERM))
		return cli_fail_sys(name, -errno, "cannot signal the server (pid %d)", (int)pid);
	if (wait_exit(pid, a->timeout))
		return cli_fail_sys(name, 0, "the server of /dev/ublkb%u (pid %d) did not "
				    "exit within %u s", a->id, (int)pid, a->timeout);
	/* a server that died on its way out leaves the device behind */
	if (ublk_ctrl_get_info(c, a->id, &info) == 0)
		return remove_orphan(name, c, a);
	print_report(a);
	return CLI_EXIT_OK;
}

static int run_stop(const struct cli_command *cmd, int argc, char **argv)
{
	static const char *const args[] = { "N" };
	struct stop_args a = { .timeout = 60 };
	struct ublk_ctrl c;
	int ch, ret = 0;

	while (!ret && (ch = cli_getopt(cmd, argc, argv, "t:j", stop_options)) >= 0) {
		if (ch == 't')
			ret = cli_parse_u32(cmd, "--timeout", optarg, &a.timeout);
		else
			a.json = true;
	}
	if (ret)
		return ret;
	if (ch != CLI_OPT_DONE)
		return cli_getopt_exit(ch);
	ret = cli_check_args(cmd, argc, argv, 1, 1, args);
	if (!ret)
		ret = cli_parse_u32(cmd, "N", argv[optind], &a.id);
	if (ret)
		return ret;
	ret = ublk_ctrl_open(&c);
	if (ret) {
		const char *hint = ublk_ctrl_hint(ret);

		cli_fail_sys(cmd->name, ret, "cannot open " UBLK_CONTROL_PATH);
		if (hint)
			fprintf(stderr, "zonekit: %s: %s\n", cmd->name, hint);
		return CLI_EXIT_FAILURE;
	}
	ret = stop_server(cmd->name, &c, &a);
	ublk_ctrl_close(&c);
	return ret;
}

const struct cli_command cmd_stop = {
	.name = "stop",
	.summary = "stop the zonekit serve of /dev/ublkbN and remove the device",
	.synopsis = "N [--timeout SEC] [--json]",
	.help =
	"Stop the server of /dev/ublkbN ('zonekit serve'): it serves what is\n"
	"in flight, flushes the zonekit device and removes the block device.\n"
	"Prints what it served.  A device whose server was killed is removed.\n"
	"\n"
	"Options:\n"
	"  -t, --timeout SEC  how long to wait for the server (default 60)\n"
	"  -j, --json         print the server's counters as JSON\n"
	"  -h, --help         show this help\n",
	.run = run_stop,
};
