/* SPDX-License-Identifier: MIT */
/* zkbench create and zkbench open-report: the time to make a device, and
 * to open it and report every zone, with the memory the zone state takes. */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "cli_json.h"
#include "zkbench.h"

int cmd_create(void)
{
	uint64_t t0 = now_ns();

	if (!opt.dev)
		die("create: --dev DIR is needed");
	make_device(opt.dev);
	printf("created %s: %u zones of %" PRIu64 " bytes in %.3f s\n", opt.dev,
	       opt.nr_zones, opt.zone_size, (double)(now_ns() - t0) / 1e9);
	return 0;
}

/* What open-report measured. */
struct open_report {
	struct zk_info info;
	uint64_t counts[16];      /* zones by condition */
	uint64_t t0, t1, t2, t3;  /* open, report, close, closed */
	long rss0, rss1, hwm1;    /* KiB: before open, after report, peak */
	double create_s;
};

/* No device at --dev (or no --dev): make one, not timed with the rest.
 * Returns its path if it is to be removed at the end, else NULL. */
static char *make_if_missing(struct open_report *t)
{
	uint64_t c0;

	if (opt.dev && !dir_is_empty_or_missing(opt.dev))
		return NULL;
	c0 = now_ns();
	if (!opt.dev)
		opt.dev = make_temp_dir();
	make_device(opt.dev);
	t->create_s = (double)(now_ns() - c0) / 1e9;
	return opt.keep ? NULL : strdup(opt.dev);
}

/* Time zk_open and a report of every zone (in chunks, as a program would
 * page through them), and what the zone state costs in resident memory. */
static void time_open_report(struct open_report *t)
{
	enum { CHUNK = 4096 };
	struct zk_zone *zones = xcalloc(CHUNK, sizeof(*zones));
	struct zk_dev *dev;
	uint64_t nz = 0;
	int ret;

	memset(zones, 0, CHUNK * sizeof(*zones)); /* resident before we measure */
	t->rss0 = status_kib("VmRSS");
	t->t0 = now_ns();
	ret = zk_open(opt.dev, ZK_RDONLY, &dev);
	if (ret)
		die("zk_open %s: %s", opt.dev, zk_strerror(ret));
	t->t1 = now_ns();
	zk_info(dev, &t->info);
	for (uint64_t off = 0; off < t->info.capacity;) {
		unsigned int n = CHUNK;

		ret = zk_report(dev, off, zones, &n);
		if (ret || !n)
			die("zk_report at %" PRIu64 ": %s", off,
			    zk_strerror(ret ? ret : -EIO));
		for (unsigned int i = 0; i < n; i++)
			t->counts[zones[i].cond & 15]++;
		nz += n;
		off = zones[n - 1].start + zones[n - 1].len;
	}
	t->t2 = now_ns();
	t->rss1 = status_kib("VmRSS");
	t->hwm1 = status_kib("VmHWM");
	zk_close(dev);
	t->t3 = now_ns();
	if (nz != t->info.nr_zones)
		die("report gave %" PRIu64 " zones of %u", nz,
		    t->info.nr_zones);
	free(zones);
}

static double secs(uint64_t from, uint64_t to)
{
	return (double)(to - from) / 1e9;
}

static void print_json(const struct open_report *t, const char *fs,
		       long nproc)
{
	FILE *f = opt.json_file ? fopen(opt.json_file, "w") : stdout;

	if (!f)
		die("%s: %s", opt.json_file, strerror(errno));
	fprintf(f, "{\"tool\": \"zkbench open-report\", \"path\": ");
	json_put_string(f, opt.dev);
	fputs(", \"fs\": ", f);
	json_put_string(f, fs);
	fprintf(f,
		", \"nproc\": %ld, \"nr_zones\": %u, \"zone_size\": %" PRIu64
		", \"create_s\": %.6f, \"open_s\": %.6f, \"report_s\": %.6f, "
		"\"open_report_s\": %.6f, \"close_s\": %.6f, "
		"\"rss_before_kib\": %ld, \"rss_after_kib\": %ld, "
		"\"hwm_kib\": %ld, \"zone_state_kib\": %ld, "
		"\"empty\": %" PRIu64 ", \"full\": %" PRIu64 "}\n",
		nproc, t->info.nr_zones, t->info.zone_size, t->create_s,
		secs(t->t0, t->t1), secs(t->t1, t->t2), secs(t->t0, t->t2),
		secs(t->t2, t->t3), t->rss0, t->rss1, t->hwm1,
		t->rss1 - t->rss0, t->counts[ZK_COND_EMPTY],
		t->counts[ZK_COND_FULL]);
	if (f != stdout)
		fclose(f);
}

static void print_text(const struct open_report *t, const char *fs)
{
	printf("%s (%s): %u zones: open %.3f s, report %.3f s, "
	       "open + report %.3f s, close %.3f s; resident memory "
	       "%ld KiB before open, %ld KiB after the report "
	       "(+%ld KiB), peak %ld KiB\n",
	       opt.dev, fs, t->info.nr_zones, secs(t->t0, t->t1),
	       secs(t->t1, t->t2), secs(t->t0, t->t2), secs(t->t2, t->t3),
	       t->rss0, t->rss1, t->rss1 - t->rss0, t->hwm1);
}

int cmd_open_report(void)
{
	struct open_report t = { .create_s = 0 };
	struct machine mach;
	char *made = make_if_missing(&t);
	char fs[64];

	machine_info(&mach);
	time_open_report(&t);
	fs_type(opt.dev, fs, sizeof(fs));
	if (opt.json)
		print_json(&t, fs, mach.nproc);
	if (!opt.json || opt.json_file)
		print_text(&t, fs);
	if (made) {
		remove_device(made);
		free(made);
	}
	return 0;
}
