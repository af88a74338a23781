/* SPDX-License-Identifier: MIT */
/* What zonekit serve prints (report.h). */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../cli_dev.h"
#include "../cli_json.h"
#include "../commands.h"
#include "report.h"

static const char *const counter_names[SRV_NR_COUNTERS] = {
	[SRV_READ] = "read",
	[SRV_WRITE] = "write",
	[SRV_APPEND] = "zone_append",
	[SRV_REPORT] = "report_zones",
	[SRV_OPEN] = "zone_open",
	[SRV_CLOSE] = "zone_close",
	[SRV_FINISH] = "zone_finish",
	[SRV_RESET] = "zone_reset",
	[SRV_RESET_ALL] = "zone_reset_all",
	[SRV_FLUSH] = "flush",
	[SRV_OTHER] = "other",
};

static uint64_t load(const atomic_uint_fast64_t *v)
{
	return atomic_load_explicit(v, memory_order_relaxed);
}

const char *serve_run_dir(void)
{
	const char *dir = getenv("ZONEKIT_RUNDIR");

	return dir && *dir ? dir : "/run/zonekit";
}

int serve_report_path(unsigned int id, char *buf, size_t size)
{
	int n = snprintf(buf, size, "%s/ublk%u.json", serve_run_dir(), id);

	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

void serve_print_started(FILE *out, const struct srv *s, const struct cli_dev *d,
			 bool json)
{
	struct json_writer w;

	if (!json) {
		fprintf(out, "%s\n", s->bdev_path);
		return;
	}
	json_init(&w, out, 0); /* one line */
	json_begin_object(&w, NULL);
	json_string(&w, "device", s->bdev_path);
	json_u64(&w, "id", s->dev_id);
	json_u64(&w, "pid", (uint64_t)getpid());
	json_u64(&w, "queues", s->opt.nr_queues);
	json_u64(&w, "depth", s->opt.depth);
	json_bool(&w, "read_only", s->opt.read_only);
	json_begin_object(&w, "source");
	json_device_info(&w, d);
	json_end_object(&w);
	json_end_object(&w); /* and the line's end */
}

static void print_stopped_json(FILE *out, const struct srv *s, const char *status,
			       const struct zk_stats *lib, bool have_lib)
{
	struct json_writer w;

	json_init(&w, out, 0);
	json_begin_object(&w, NULL);
	json_string(&w, "device", s->bdev_path);
	json_u64(&w, "id", s->dev_id);
	json_bool(&w, "stopped", true);
	json_string(&w, "status", status ? status : "ok");
	json_begin_object(&w, "requests");
	for (int i = 0; i < SRV_NR_COUNTERS; i++)
		json_u64(&w, counter_names[i], load(&s->stats.requests[i]));
	json_end_object(&w);
	json_u64(&w, "errors", load(&s->stats.errors));
	json_u64(&w, "bytes_read", load(&s->stats.bytes_read));
	json_u64(&w, "bytes_written", load(&s->stats.bytes_written));
	if (have_lib) {
		json_begin_object(&w, "library");
		json_u64(&w, "appends", lib->appends);
		json_u64(&w, "writes", lib->writes);
		json_u64(&w, "batches", lib->batches);
		json_u64(&w, "merged", lib->merged);
		json_u64(&w, "relearns", lib->relearns);
		json_u64(&w, "retried", lib->retried);
		json_end_object(&w);
	}
	json_end_object(&w);
}

static void print_stopped_text(FILE *out, const struct srv *s, const char *status,
			       const struct zk_stats *lib, bool have_lib)
{
	fprintf(out, "stopped %s%s%s\n", s->bdev_path, status ? ": " : "",
		status ? status : "");
	for (int i = 0; i < SRV_NR_COUNTERS; i++)
		fprintf(out, "  %-15s %" PRIu64 "\n", counter_names[i],
			load(&s->stats.requests[i]));
	fprintf(out, "  %-15s %" PRIu64 "\n", "errors", load(&s->stats.errors));
	fprintf(out, "  %-15s %" PRIu64 "\n", "bytes read",
		load(&s->stats.bytes_read));
	fprintf(out, "  %-15s %" PRIu64 "\n", "bytes written",
		load(&s->stats.bytes_written));
	if (have_lib)
		fprintf(out, "  %-15s %" PRIu64 " of %" PRIu64 " appends shared a write (%" PRIu64 " writes)\n",
			"merged", lib->merged, lib->appends, lib->batches);
}

void serve_print_stopped(FILE *out, const struct srv *s, const char *status,
			 bool json)
{
	struct zk_stats lib;
	bool have_lib = s->dev && !zk_stats(s->dev, &lib);

	if (json)
		print_stopped_json(out, s, status, &lib, have_lib);
	else
		print_stopped_text(out, s, status, &lib, have_lib);
}

/* mkdir -p: /run itself may be missing (an initramfs). */
static int make_dirs(const char *dir)
{
	char path[512];
	size_t len = strlen(dir);

	if (len >= sizeof(path))
		return -ENAMETOOLONG;
	memcpy(path, dir, len + 1);
	for (char *p = path + 1; ; p++) {
		if (*p && *p != '/')
			continue;
		char c = *p;

		*p = '\0';
		if (mkdir(path, 0755) && errno != EEXIST)
			return -errno;
		if (!c)
			return 0;
		*p = c;
	}
}

int serve_write_report(const struct srv *s, const char *status)
{
	char path[512], tmp[520];
	FILE *f;
	int ret;

	ret = make_dirs(serve_run_dir());
	if (ret)
		return ret;
	ret = serve_report_path(s->dev_id, path, sizeof(path));
	if (ret)
		return ret;
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	f = fopen(tmp, "w");
	if (!f)
		return -errno;
	serve_print_stopped(f, s, status, true);
	if (fclose(f))
		return -errno;
	/* whole or not at all, for a 'zonekit stop' reading it */
	return rename(tmp, path) ? -errno : 0;
}
