/* SPDX-License-Identifier: MIT */
/*
 * zonekit serve: a zonekit device as a zoned kernel block device through
 * ublk (tools/serve/, see server.h); zonekit stop: end such a server.
 *
 * Without --foreground, serve behaves as ublk servers usually do: it
 * prints the block device once the device is live, then goes on in the
 * background (a new session, its standard streams on /dev/null) and the
 * command returns; a failure before that is reported and the command
 * fails.  The counters a daemon has at its stop go to a file in the run
 * directory, which 'zonekit stop' prints.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli_dev.h"
#include "commands.h"
#include "serve/report.h"
#include "serve/server.h"

struct serve_args {
	const char *path;
	struct srv_options opt;
	bool foreground;
	bool json;
};

static const struct option serve_options[] = {
	{ "id", required_argument, NULL, 'i' },
	{ "queues", required_argument, NULL, 'q' },
	{ "depth", required_argument, NULL, 'd' },
	{ "read-only", no_argument, NULL, 'r' },
	{ "foreground", no_argument, NULL, 'f' },
	{ "json", no_argument, NULL, 'j' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

/* 0 to serve, or -1 with *status the exit status (help, bad usage). */
static int parse_serve(const struct cli_command *cmd, int argc, char **argv,
		       struct serve_args *a, int *status)
{
	static const char *const args[] = { "DEV" };
	uint32_t v;
	int c, ret = 0;

	a->opt.dev_id = UINT32_MAX;
	a->opt.nr_queues = 1;
	a->opt.depth = 64;
	while (!ret && (c = cli_getopt(cmd, argc, argv, "i:q:d:rfj", serve_options)) >= 0) {
		switch (c) {
		case 'i':
			ret = cli_parse_u32(cmd, "--id", optarg, &a->opt.dev_id);
			break;
		case 'q':
			ret = cli_parse_u32(cmd, "--queues", optarg, &v);
			if (!ret && (v < 1 || v > 64))
				ret = cli_usage_error(cmd, "--queues must be 1 to 64");
			a->opt.nr_queues = v;
			break;
		case 'd':
			ret = cli_parse_u32(cmd, "--depth", optarg, &v);
			if (!ret && (v < 1 || v > 1024))
				ret = cli_usage_error(cmd, "--depth must be 1 to 1024");
			a->opt.depth = v;
			break;
		case 'r':
			a->opt.read_only = true;
			break;
		case 'f':
			a->foreground = true;
			break;
		default: /* 'j' */
			a->json = true;
			break;
		}
	}
	if (!ret && c != CLI_OPT_DONE)
		ret = cli_getopt_exit(c);
	else if (!ret)
		ret = cli_check_args(cmd, argc, argv, 1, 1, args);
	if (ret || c != CLI_OPT_DONE) {
		*status = ret;
		return -1;
	}
	a->path = argv[optind];
	return 0;
}

/* Fork; the parent waits for the child's word that the device is live
 * (one byte on the pipe) and returns its exit status, or -1 in the child,
 * with *ready_fd the pipe's end to write that byte to. */
static int daemonize(const char *name, int *ready_fd)
{
	int fds[2], status;
	char byte;
	pid_t pid;

	if (pipe2(fds, O_CLOEXEC))
		return cli_fail_sys(name, -errno, "cannot make a pipe");
	fflush(NULL);
	pid = fork();
	if (pid < 0)
		return cli_fail_sys(name, -errno, "cannot fork");
	if (pid == 0) {
		close(fds[0]);
		setsid(); /* no terminal signals from the caller's session */
		*ready_fd = fds[1];
		return -1;
	}
	close(fds[1]);
	if (read(fds[0], &byte, 1) == 1)
		return CLI_EXIT_OK; /* the child printed the device */
	/* the child failed and said why on stderr */
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	return WIFEXITED(status) ? WEXITSTATUS(status) : CLI_EXIT_FAILURE;
}

static void detach(int ready_fd)
{
	int null = open("/dev/null", O_RDWR);

	fflush(NULL);
	/* hold no directory busy (DEV was opened by its absolute path) */
	if (chdir("/")) {
		/* "/" is always there */
	}
	if (null >= 0) {
		dup2(null, STDIN_FILENO);
		dup2(null, STDOUT_FILENO);
		dup2(null, STDERR_FILENO);
		if (null > STDERR_FILENO)
			close(null);
	}
	if (write(ready_fd, "R", 1) != 1) {
		/* the parent is gone: nobody to tell */
	}
	close(ready_fd);
}

static int start_failed(const char *name, const struct srv *s, int err)
{
	const char *hint = ublk_ctrl_hint(err);

	cli_fail_sys(name, err, "%s", s->failed ? s->failed : "cannot serve");
	/* the driver's answers to control commands are its own: explain them */
	if (hint && s->failed && strstr(s->failed, "ublk"))
		fprintf(stderr, "zonekit: %s: %s\n", name, hint);
	return CLI_EXIT_FAILURE;
}

static void block_signals(void)
{
	sigset_t set;

	/* every thread inherits the mask; the main thread takes them in
	 * sigwait() (srv_wait) */
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGUSR1);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
}

static int serve_device(const struct cli_command *cmd, const struct serve_args *a,
			int ready_fd)
{
	char path[512], abs_path[PATH_MAX];
	struct cli_dev d;
	struct srv s;
	int ret, status;

	block_signals();
	/* the library may open DEV's zone files later: by an absolute path, as
	 * the daemon leaves the current directory */
	if (!realpath(a->path, abs_path))
		return cli_fail_sys(cmd->name, -errno, "cannot find %s", a->path);
	ret = cli_dev_open(&d, cmd->name, abs_path, 0);
	if (ret)
		return ret;
	ret = srv_start(&s, d.dev, &a->opt);
	if (ret)
		return cli_dev_close(&d, start_failed(cmd->name, &s, ret));
	if (!serve_report_path(s.dev_id, path, sizeof(path)))
		unlink(path); /* a stale report of an earlier server */
	serve_print_started(stdout, &s, &d, a->json);
	fflush(stdout);
	if (ready_fd >= 0)
		detach(ready_fd);
	srv_wait(&s);
	ret = srv_stop(&s);
	status = ret ? CLI_EXIT_FAILURE : CLI_EXIT_OK;
	if (ret)
		cli_fail_sys(cmd->name, ret, "%s", s.failed);
	serve_write_report(&s, ret ? s.failed : NULL);
	if (ready_fd < 0)
		serve_print_stopped(stdout, &s, ret ? s.failed : NULL, a->json);
	return cli_dev_close(&d, status);
}

static int run_serve(const struct cli_command *cmd, int argc, char **argv)
{
	struct serve_args a = { 0 };
	int ready_fd = -1, ret;

	if (parse_serve(cmd, argc, argv, &a, &ret))
		return ret;
	if (!a.foreground) {
		ret = daemonize(cmd->name, &ready_fd);
		if (ret >= 0)
			return ret;
	}
	ret = serve_device(cmd, &a, ready_fd);
	if (ready_fd >= 0)
		_exit(ret); /* the daemon: stdio was flushed by serve_device */
	return ret;
}

const struct cli_command cmd_serve = {
	.name = "serve",
	.summary = "serve a device as a zoned kernel block device (ublk)",
	.synopsis = "DEV [--id N] [--queues N] [--depth N] [--read-only] [--foreground] [--json]",
	.help =
	"Make DEV a zoned block device /dev/ublkbN through the kernel's ublk\n"
	"driver (Linux >= 6.6, 'modprobe ublk_drv', root), with DEV's geometry\n"
	"and limits.  Every read, write, zone append, zone report, zone\n"
	"operation and flush the kernel sends goes through zonekit.  Prints the\n"
	"block device once it is live, then serves it in the background until\n"
	"'zonekit stop N' (or SIGTERM/SIGINT), which removes it with everything\n"
	"flushed.\n"
	"\n"
	"Options:\n"
	"  -i, --id N         the ublk device number (default: the first free)\n"
	"  -q, --queues N     ublk queues, a thread each (default 1)\n"
	"  -d, --depth N      requests in flight per queue (default 64)\n"
	"  -r, --read-only    a read-only block device\n"
	"  -f, --foreground   stay in the foreground; print the counters at stop\n"
	"  -j, --json         say it as JSON (one document a line)\n"
	"  -h, --help         show this help\n",
	.run = run_serve,
};
