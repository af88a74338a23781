/* SPDX-License-Identifier: MIT */
/*
 * zkbench: zonekit's append throughput and latency, next to raw writes of
 * the same bytes on the same backing store, in one run.
 *
 *   zkbench [run] [options]          the benchmark matrix (see --help)
 *   zkbench create --dev DIR ...     make an emulated device (no timing)
 *   zkbench open-report --dev DIR    time zk_open + a report of every zone,
 *                                    and the memory the zone state takes
 *
 * A run writes a fixed number of bytes (--bytes, at least --min-ops
 * operations) of one size with N streams in one of five modes:
 *
 *   raw           N threads, pwrite() of the same sizes at precomputed
 *                 offsets into the same zone files (emulated device) or
 *                 the device itself (O_DIRECT).  No zonekit at all: the
 *                 physical limit of emulating zone append on this store.
 *   raw-uring     one thread, an io_uring of depth N, same offsets.
 *   append        N threads calling zk_append() (synchronous).
 *   append-queue  one thread, a zk_queue of depth N (zk_queue_append).
 *   seed          REFERENCE, not zonekit's design: N threads calling
 *                 zk_append() under one device-wide mutex held across the
 *                 call, as the seed implementation held one lock across
 *                 each write.  Writes are serialised device wide (QD1 for
 *                 the whole device) and no two appends can ever merge.
 *
 * Zones: "shared" sends every operation to one zone (the next one once it
 * is full); "per-thread" gives each stream (thread, or queue slot) zones of
 * its own.  Every mode of a cell writes the same bytes into the same zones:
 * operation i of a stream goes to zone base + i / ops_per_zone, and raw
 * modes write it at (i % ops_per_zone) * size in that zone, where appends
 * let zonekit pick the offset.
 *
 * On a block device writes to one zone must reach it in wp order, so raw
 * writes to a shared zone are issued one at a time per zone (a per-zone
 * mutex held across the write; io_uring: one in flight per zone): "raw
 * sequential writes at QD1 per zone".  On an emulated device any order is
 * fine and raw writes run unordered (--raw-order zone to order them).
 *
 * Between runs every zone is reset (zk_resync, then zk_zone_op RESET of
 * the whole device) and the file system synced, outside the timing.
 *
 * This file: the command line and main(); zkbench.h says what the others
 * do.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli_util.h"
#include "zkbench.h"

const char *const mode_names[NR_MODES] = {
	"raw", "raw-uring", "append", "append-queue", "seed",
};
const char *const zmode_names[NR_ZMODES] = { "per-thread", "shared" };

struct opts opt;

volatile sig_atomic_t interrupted;

static void on_signal(int sig)
{
	(void)sig;
	interrupted = 1;
}

void die(const char *fmt, ...)
{
	va_list ap;

	fputs("zkbench: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

static uint64_t need_size(const char *what, const char *s)
{
	const char *why;
	uint64_t v;

	if (parse_size(s, &v, &why))
		die("%s: not a size: '%s' (e.g. 4K, 64K, 1M, 1G)", what, s);
	return v;
}

static uint64_t need_uint(const char *what, const char *s)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end == s || *end)
		die("%s: not a number: '%s'", what, s);
	return v;
}

/* Split a comma-separated list and call @fn on each item. */
static void each_item(const char *list, void (*fn)(const char *item))
{
	char *copy = strdup(list), *save = NULL, *tok;

	if (!copy)
		die("out of memory");
	for (tok = strtok_r(copy, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save))
		fn(tok);
	free(copy);
}

static void add_size(const char *s)
{
	if (opt.nr_sizes == MAX_LIST)
		die("--sizes: at most %d", MAX_LIST);
	opt.sizes[opt.nr_sizes++] = need_size("--sizes", s);
}

static void add_streams(const char *s)
{
	uint64_t v = need_uint("--threads", s);

	if (!v || v > MAX_STREAMS)
		die("--threads: 1 to %d, not %s", MAX_STREAMS, s);
	if (opt.nr_streams == MAX_LIST)
		die("--threads: at most %d", MAX_LIST);
	opt.streams[opt.nr_streams++] = (unsigned int)v;
}

static void add_mode(const char *s)
{
	if (!strcmp(s, "all")) {
		for (int m = 0; m < NR_MODES; m++)
			opt.modes[m] = true;
		return;
	}
	for (int m = 0; m < NR_MODES; m++) {
		if (!strcmp(s, mode_names[m])) {
			opt.modes[m] = true;
			return;
		}
	}
	die("--mode: unknown '%s' (raw, raw-uring, append, append-queue, seed, all)",
	    s);
}

static void add_zmode(const char *s)
{
	if (!strcmp(s, "both") || !strcmp(s, "all")) {
		opt.zmodes[Z_PER_THREAD] = opt.zmodes[Z_SHARED] = true;
		return;
	}
	if (!strcmp(s, "per-stream"))
		s = "per-thread";
	for (int z = 0; z < NR_ZMODES; z++) {
		if (!strcmp(s, zmode_names[z])) {
			opt.zmodes[z] = true;
			return;
		}
	}
	die("--zones: unknown '%s' (shared, per-thread, both)", s);
}

static void usage(FILE *f)
{
	fputs(
"usage: zkbench [run] [options]\n"
"       zkbench create --dev DIR [--zone-size S] [--nr-zones N]\n"
"       zkbench open-report --dev DIR [--json]\n"
"\n"
"Append throughput (MiB/s, IOPS) and latency (p50, p99, p99.9) of zonekit,\n"
"next to raw writes of the same bytes at precomputed offsets on the same\n"
"backing files, and next to the seed design (a device-wide lock held across\n"
"each write) as a clearly labelled reference.\n"
"\n"
"  --dev PATH        an emulated device (directory) or a zoned block device;\n"
"                    a missing or empty directory gets a fresh device, removed\n"
"                    at exit unless --keep (default: a new one in $TMPDIR).\n"
"                    EVERY ZONE OF THE DEVICE IS RESET.\n"
"  --zone-size S     geometry of a fresh device (default 1G)\n"
"  --nr-zones N      (default 16)\n"
"  --sizes LIST      write sizes (default 4K,64K,1M)\n"
"  --threads LIST    streams: threads (raw, append, seed) or queue depth\n"
"                    (raw-uring, append-queue) (default 1,2,4,8)\n"
"  --mode LIST       raw,raw-uring,append,append-queue,seed or all (default)\n"
"  --zones LIST      per-thread,shared or both (default)\n"
"  --bytes S         bytes per run (default 256M) ...\n"
"  --min-ops N       ... but at least N operations (default 1024)\n"
"  --seconds S       stop a run after S seconds whatever it wrote (default 30)\n"
"  --repeat N        run each cell N times, report the median (default 1)\n"
"  --quick           a smoke run: --bytes 4M --min-ops 16 (the whole matrix in\n"
"                    seconds; for CI, numbers not meaningful)\n"
"  --raw-order any|zone  raw writes to a shared zone in any order, or one at\n"
"                    a time per zone (default: any on an emulated device, zone\n"
"                    on a block device, which needs it)\n"
"  --queue-threads   append-queue on the thread engine (ZK_QUEUE_THREADS)\n"
"  --queue-no-inline append-queue with every write on the ring, none from the\n"
"                    submitting thread (ZK_QUEUE_NO_INLINE)\n"
"  --raw-direct      raw writes to zone files with O_DIRECT (to compare with\n"
"                    an emulated backend that uses O_DIRECT)\n"
"  --direct          emulated device opened with ZK_DIRECT (O_DIRECT zone\n"
"                    files), and raw writes with O_DIRECT too\n"
"  --json[=FILE]     JSON on stdout (no table), or to FILE (table on stdout)\n"
"  --no-progress     no progress line (it is drawn on a terminal only)\n"
"  --keep            keep a device zkbench created\n",
	      f);
}

/* ---- small helpers ---- */

uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);

	if (!p)
		die("out of memory");
	return p;
}

void *aligned_buf(size_t size, int fill)
{
	void *p;

	if (posix_memalign(&p, 4096, size))
		die("out of memory");
	memset(p, fill, size);
	return p;
}

int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* ---- the command line ---- */

/* Options given, for the defaults that depend on them. */
struct given {
	bool bytes, min_ops, modes, zmodes;
};

/* Options that choose how, not how much. */
static void take_flag(int c, const char *arg)
{
	switch (c) {
	case 'q':
		opt.quick = true;
		break;
	case 'j':
		opt.json = true;
		opt.json_file = arg;
		break;
	case 'O':
		if (!strcmp(arg, "any"))
			opt.raw_order = ORDER_ANY;
		else if (!strcmp(arg, "zone"))
			opt.raw_order = ORDER_ZONE;
		else
			die("--raw-order: any or zone");
		break;
	case 'T':
		opt.queue_threads = true;
		break;
	case 'I':
		opt.queue_no_inline = true;
		break;
	case 'D':
		opt.raw_direct = true;
		break;
	case 'X':
		opt.direct = opt.raw_direct = true;
		break;
	case 'P':
		opt.progress = false;
		break;
	default: /* 'v' */
		opt.verbose = true;
	}
}

/* Options that set a number, or the run's shape. */
static void take_option(int c, const char *arg, struct given *g)
{
	switch (c) {
	case 'd':
		opt.dev = arg;
		break;
	case 'k':
		opt.keep = true;
		break;
	case 'Z':
		opt.zone_size = need_size("--zone-size", arg);
		break;
	case 'C':
		opt.zone_capacity = need_size("--zone-capacity", arg);
		break;
	case 'N':
		opt.nr_zones = (uint32_t)need_uint("--nr-zones", arg);
		break;
	case 'B':
		opt.block_size = (uint32_t)need_uint("--block-size", arg);
		break;
	case 's':
		opt.nr_sizes = 0;
		each_item(arg, add_size);
		break;
	case 't':
		opt.nr_streams = 0;
		each_item(arg, add_streams);
		break;
	case 'm':
		g->modes = true;
		each_item(arg, add_mode);
		break;
	case 'z':
		g->zmodes = true;
		each_item(arg, add_zmode);
		break;
	case 'b':
		opt.bytes = need_size("--bytes", arg);
		g->bytes = true;
		break;
	case 'o':
		opt.min_ops = need_uint("--min-ops", arg);
		g->min_ops = true;
		break;
	case 'S':
		opt.seconds = strtod(arg, NULL);
		if (!(opt.seconds > 0))
			die("--seconds: a positive number");
		break;
	case 'r':
		opt.repeat = (unsigned int)need_uint("--repeat", arg);
		if (!opt.repeat || opt.repeat > MAX_REPEAT)
			die("--repeat: 1 to 64");
		break;
	default:
		take_flag(c, arg);
	}
}

/* Returns -1 to go on, or an exit status (--help, a bad option). */
static int parse_options(int argc, char **argv, struct given *g)
{
	static const struct option lopts[] = {
		{ "dev", required_argument, NULL, 'd' },
		{ "keep", no_argument, NULL, 'k' },
		{ "zone-size", required_argument, NULL, 'Z' },
		{ "zone-capacity", required_argument, NULL, 'C' },
		{ "nr-zones", required_argument, NULL, 'N' },
		{ "block-size", required_argument, NULL, 'B' },
		{ "sizes", required_argument, NULL, 's' },
		{ "threads", required_argument, NULL, 't' },
		{ "mode", required_argument, NULL, 'm' },
		{ "modes", required_argument, NULL, 'm' },
		{ "zones", required_argument, NULL, 'z' },
		{ "bytes", required_argument, NULL, 'b' },
		{ "min-ops", required_argument, NULL, 'o' },
		{ "seconds", required_argument, NULL, 'S' },
		{ "repeat", required_argument, NULL, 'r' },
		{ "quick", no_argument, NULL, 'q' },
		{ "json", optional_argument, NULL, 'j' },
		{ "raw-order", required_argument, NULL, 'O' },
		{ "queue-threads", no_argument, NULL, 'T' },
		{ "queue-no-inline", no_argument, NULL, 'I' },
		{ "raw-direct", no_argument, NULL, 'D' },
		{ "direct", no_argument, NULL, 'X' },
		{ "no-progress", no_argument, NULL, 'P' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	while ((c = getopt_long(argc, argv, "hv", lopts, NULL)) != -1) {
		if (c == 'h') {
			usage(stdout);
			return 0;
		}
		if (c == '?') {
			usage(stderr);
			return 2;
		}
		take_option(c, optarg, g);
	}
	if (optind < argc)
		die("unexpected argument '%s' (see --help)", argv[optind]);
	return -1;
}

static void set_defaults(void)
{
	opt.zone_size = GiB;
	opt.nr_zones = 16;
	opt.block_size = 4096;
	opt.bytes = 256 * MiB;
	opt.min_ops = 1024;
	opt.seconds = 30;
	opt.repeat = 1;
	opt.progress = true;
}

/* The defaults that depend on what the command line gave. */
static void complete_options(const struct given *g)
{
	if (opt.quick) {
		if (!g->bytes)
			opt.bytes = 4 * MiB;
		if (!g->min_ops)
			opt.min_ops = 16;
	}
	if (!opt.nr_sizes) {
		opt.sizes[opt.nr_sizes++] = 4 * KiB;
		opt.sizes[opt.nr_sizes++] = 64 * KiB;
		opt.sizes[opt.nr_sizes++] = MiB;
	}
	if (!opt.nr_streams) {
		for (unsigned int n = 1; n <= 8; n *= 2)
			opt.streams[opt.nr_streams++] = n;
	}
	if (!g->modes)
		for (int m = 0; m < NR_MODES; m++)
			opt.modes[m] = true;
#ifndef ZKB_HAVE_URING
	if (!g->modes)
		opt.modes[M_RAW_URING] = false;
#endif
	if (!g->zmodes)
		opt.zmodes[Z_PER_THREAD] = opt.zmodes[Z_SHARED] = true;
}

int main(int argc, char **argv)
{
	struct given given = { .bytes = false };
	const char *cmd = "run";
	struct sigaction sa;
	int ret;

	set_defaults();
	if (argc > 1 && argv[1][0] != '-') {
		cmd = argv[1];
		argv++;
		argc--;
	}
	ret = parse_options(argc, argv, &given);
	if (ret >= 0)
		return ret;
	complete_options(&given);

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);

	if (!strcmp(cmd, "run"))
		return cmd_run();
	if (!strcmp(cmd, "create"))
		return cmd_create();
	if (!strcmp(cmd, "open-report"))
		return cmd_open_report();
	die("unknown command '%s' (run, create, open-report; see --help)", cmd);
}