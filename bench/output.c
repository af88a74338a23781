/* SPDX-License-Identifier: MIT */
/* zkbench: the results of the runs, as a table and as JSON (the input of
 * bench/mkreport.py, which writes doc/performance.md). */
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli_json.h"
#include "cli_util.h"
#include "zkbench.h"

/* The nearest-rank percentile of @n sorted samples, in microseconds. */
static double pct_us(const uint64_t *lat, uint64_t n, double p)
{
	uint64_t k;

	if (!n)
		return 0;
	k = (uint64_t)ceil(p / 100.0 * (double)n);
	if (k)
		k--;
	if (k >= n)
		k = n - 1;
	return lat[k] / 1000.0;
}

void set_latency(struct result *res, const uint64_t *lat, uint64_t n)
{
	double sum = 0;

	res->p50 = pct_us(lat, n, 50);
	res->p99 = pct_us(lat, n, 99);
	res->p999 = pct_us(lat, n, 99.9);
	res->max = n ? lat[n - 1] / 1000.0 : 0;
	for (uint64_t k = 0; k < n; k++)
		sum += (double)lat[k];
	res->mean = n ? sum / (double)n / 1000.0 : 0;
	res->lat_samples = n;
}

void fill_result(struct result *res, const struct run *r)
{
	memset(res, 0, sizeof(*res));
	res->size = r->size;
	res->streams = r->streams;
	res->zm = r->zm;
	res->mode = r->mode;
	res->err = r->err;
	res->err_what = r->err_what;
	res->ops = r->done;
	res->bytes = r->done * r->size;
	res->secs = r->secs;
	if (r->secs > 0) {
		res->mib_s = (double)res->bytes / (double)MiB / r->secs;
		res->iops = (double)r->done / r->secs;
	}
	set_latency(res, r->lat, r->nlat);
	res->cpu_us_op = r->done ? r->cpu_s * 1e6 / (double)r->done : 0;
	res->batches = r->st.batches;
	res->merged = r->st.merged;
	res->engine = r->engine ? r->engine : "";
	res->depth = r->depth;
	res->capped = atomic_load(&r->capped);
	res->skipped = r->skipped;
}

struct result *results;
size_t nr_results;

static struct result *find_result(size_t size, unsigned int streams,
				  enum zmode zm, enum mode m)
{
	for (size_t k = 0; k < nr_results; k++) {
		struct result *x = &results[k];

		if (x->size == size && x->streams == streams && x->zm == zm &&
		    x->mode == m)
			return x;
	}
	return NULL;
}

int cmp_result_mib(const void *a, const void *b)
{
	const struct result *x = a, *y = b;

	return x->mib_s < y->mib_s ? -1 : x->mib_s > y->mib_s;
}

static double ratio(const struct result *a, const struct result *b)
{
	if (!a || !b || a->err || b->err || a->skipped || b->skipped ||
	    b->mib_s <= 0)
		return NAN;
	return a->mib_s / b->mib_s;
}

static void print_ratio(FILE *f, const char *key, double v, bool *first)
{
	if (!*first)
		fputs(", ", f);
	*first = false;
	if (isnan(v))
		fprintf(f, "\"%s\": null", key);
	else
		fprintf(f, "\"%s\": %.4f", key, v);
}

/* A JSON string, "" for none. */
static void json_text(FILE *f, const char *s)
{
	json_put_string(f, s ? s : "");
}

/* The machine, the device and the configuration. */
static void json_head(FILE *f)
{
	fprintf(f, "{\n  \"tool\": \"zkbench\", \"zonekit_version\": \"%s\",\n",
		ZK_VERSION_STRING);
	fprintf(f, "  \"machine\": {\"nproc\": %ld, \"cpu\": ", bdev.mach.nproc);
	json_text(f, bdev.mach.cpu);
	fputs(", \"kernel\": ", f);
	json_text(f, bdev.mach.kernel);
	fprintf(f, ", \"loadavg_start\": [%.2f, %.2f, %.2f], "
		"\"loadavg_end\": [%.2f, %.2f, %.2f]",
		bdev.mach.load_start[0], bdev.mach.load_start[1], bdev.mach.load_start[2],
		bdev.mach.load_end[0], bdev.mach.load_end[1], bdev.mach.load_end[2]);
	fputs("},\n  \"device\": {\"path\": ", f);
	json_text(f, bdev.path);
	fprintf(f, ", \"backend\": \"%s\", \"fs\": ",
		bdev.blkdev ? "blkdev" : "emulated");
	json_text(f, bdev.fs);
	fprintf(f,
		", \"nr_zones\": %u, \"zone_size\": %" PRIu64
		", \"zone_capacity\": %" PRIu64 ", \"block_size\": %u, "
		"\"nr_conv_zones\": %u, \"raw_order\": \"%s\", "
		"\"direct\": %s, \"raw_direct\": %s},\n",
		bdev.info.nr_zones, bdev.info.zone_size, bdev.info.zone_capacity,
		bdev.info.block_size, bdev.info.nr_conv_zones,
		bdev.ordered ? "zone" : "any",
		bdev.blkdev || opt.direct ? "true" : "false",
		bdev.blkdev || opt.raw_direct ? "true" : "false");
	fprintf(f,
		"  \"config\": {\"bytes\": %" PRIu64 ", \"min_ops\": %" PRIu64
		", \"seconds_cap\": %.1f, \"repeat\": %u, \"quick\": %s},\n",
		opt.bytes, opt.min_ops, opt.seconds, opt.repeat,
		opt.quick ? "true" : "false");
	fputs("  \"seed_mode\": \"reference: zk_append under one device-wide "
	      "mutex held across each call (the seed design: QD1 for the whole "
	      "device, no merging)\",\n",
	      f);
}

static void json_run(FILE *f, const struct result *x, bool last)
{
	char szb[SIZE_BUF_LEN];

	fprintf(f,
		"    {\"size\": %zu, \"size_label\": \"%s\", \"streams\": %u, "
		"\"zones\": \"%s\", \"mode\": \"%s\", ",
		x->size, format_size_exact(x->size, szb, sizeof(szb)), x->streams,
		zmode_names[x->zm], mode_names[x->mode]);
	fputs("\"engine\": ", f);
	json_text(f, x->engine);
	fprintf(f, ", \"depth\": %u, ", x->depth);
	if (x->skipped) {
		fputs("\"skipped\": ", f);
		json_text(f, x->err_what);
		fputs(", ", f);
	} else if (x->err) {
		fprintf(f, "\"error\": ");
		json_text(f, zk_strerror(x->err));
		fprintf(f, ", \"error_in\": ");
		json_text(f, x->err_what);
		fputs(", ", f);
	}
	fprintf(f,
		"\"ops\": %" PRIu64 ", \"bytes\": %" PRIu64
		", \"seconds\": %.6f, \"mib_s\": %.2f, \"iops\": %.0f, "
		"\"lat_us\": {\"p50\": %.2f, \"p99\": %.2f, \"p99_9\": %.2f, "
		"\"max\": %.2f, \"mean\": %.2f, \"samples\": %" PRIu64
		"}, \"cpu_us_per_op\": %.3f, "
		"\"batches\": %" PRIu64 ", \"merged\": %" PRIu64
		", \"ops_per_write\": %.3f, \"capped\": %s, "
		"\"reps\": %u, \"mib_s_min\": %.2f, \"mib_s_max\": %.2f",
		x->ops, x->bytes, x->secs, x->mib_s, x->iops, x->p50,
		x->p99, x->p999, x->max, x->mean, x->lat_samples,
		x->cpu_us_op,
		x->batches, x->merged,
		x->batches ? (double)x->ops / (double)x->batches : 0.0,
		x->capped ? "true" : "false", x->reps, x->mib_s_min,
		x->mib_s_max);
	if (!x->err && !x->skipped) {
		fputs(", \"mib_s_runs\": [", f);
		for (unsigned int i = 0; i < x->reps; i++)
			fprintf(f, "%s%.2f", i ? ", " : "",
				x->mib_s_runs[i]);
		fputc(']', f);
	}
	fprintf(f, "}%s\n", last ? "" : ",");
}

/* The ratios of MiB/s of a cell's JSON, in order: mode a / mode b. */
static const struct {
	const char *key;
	enum mode a, b;
} json_ratio_pairs[] = {
	{ "append_vs_raw", M_APPEND, M_RAW },
	{ "append_queue_vs_raw_uring", M_APPEND_QUEUE, M_RAW_URING },
	{ "append_vs_seed", M_APPEND, M_SEED },
	{ "append_queue_vs_seed", M_APPEND_QUEUE, M_SEED },
	{ "seed_vs_raw", M_SEED, M_RAW },
};

static void json_cell_ratios(FILE *f, size_t sz, enum zmode zm,
			     unsigned int n)
{
	bool first = true;

	for (size_t i = 0; i < sizeof(json_ratio_pairs) /
			       sizeof(json_ratio_pairs[0]); i++)
		print_ratio(f, json_ratio_pairs[i].key,
			    ratio(find_result(sz, n, zm, json_ratio_pairs[i].a),
				  find_result(sz, n, zm, json_ratio_pairs[i].b)),
			    &first);
}

/* Per cell, the ratios of MiB/s that say most. */
static void json_ratios(FILE *f)
{
	char szb[SIZE_BUF_LEN];
	bool any = false;

	for (unsigned int a = 0; a < opt.nr_sizes; a++)
	for (int zm = 0; zm < NR_ZMODES; zm++)
	for (unsigned int b = 0; b < opt.nr_streams; b++) {
		size_t sz = opt.sizes[a];
		unsigned int n = opt.streams[b];

		if (!opt.zmodes[zm])
			continue;
		fprintf(f, "%s    {\"size\": %zu, \"size_label\": \"%s\", "
			"\"streams\": %u, \"zones\": \"%s\", ",
			any ? ",\n" : "", sz,
			format_size_exact(sz, szb, sizeof(szb)), n,
			zmode_names[zm]);
		any = true;
		json_cell_ratios(f, sz, zm, n);
		fputc('}', f);
	}
	fputs(any ? "\n  ]\n}\n" : "  ]\n}\n", f);
}

void write_json(FILE *f)
{
	json_head(f);
	fputs("  \"runs\": [\n", f);
	for (size_t k = 0; k < nr_results; k++)
		json_run(f, &results[k], k + 1 == nr_results);
	fputs("  ],\n  \"ratios\": [\n", f);
	json_ratios(f);
}

static void fmt_ratio(char *buf, size_t len, const char *what, double v)
{
	if (isnan(v))
		snprintf(buf, len, "%s", "");
	else
		snprintf(buf, len, "%.2fx %s", v, what);
}

/* The device, the machine and how the runs went, above the table. */
static void table_head(FILE *f)
{
	char szb[SIZE_BUF_LEN], bb[SIZE_BUF_LEN];

	fprintf(f, "\nzkbench %s: %s (%s, %s%s), %u zones of %s",
		ZK_VERSION_STRING, bdev.path,
		bdev.blkdev ? "zoned block device" : "emulated device", bdev.fs,
		!bdev.blkdev && opt.direct ? ", O_DIRECT" : "",
		bdev.info.nr_zones,
		format_size_exact(bdev.info.zone_size, szb, sizeof(szb)));
	if (bdev.info.zone_capacity != bdev.info.zone_size)
		fprintf(f, " (capacity %s)",
			format_size_exact(bdev.info.zone_capacity, szb,
					  sizeof(szb)));
	fprintf(f, ", block %u\n", bdev.info.block_size);
	fprintf(f, "machine: %ld CPUs (%s), %s; load average %.2f at start, "
		"%.2f at end\n", bdev.mach.nproc, bdev.mach.cpu,
		bdev.mach.kernel, bdev.mach.load_start[0],
		bdev.mach.load_end[0]);
	fprintf(f, "runs: %s each (at least %" PRIu64 " operations), "
		"throughput the median of %u runs, latency over all of them; "
		"raw writes %s\n",
		format_size_exact(opt.bytes, bb, sizeof(bb)), opt.min_ops,
		opt.repeat,
		bdev.ordered ? "one at a time per zone (QD1 per zone)" :
			       "in any order");
	fputs("seed = REFERENCE: zk_append under one device-wide mutex held "
	      "across each call\n       (the seed design: QD1 for the whole "
	      "device, so no appends merge)\n",
	      f);
	if (opt.modes[M_APPEND_QUEUE] && !bdev.blkdev && !opt.direct &&
	    !opt.queue_threads)
		fprintf(f, "append-queue: buffered device, so batches of up to "
			"128K are written by the submitting thread%s\n",
			opt.queue_no_inline ? " - NOT in this run "
					      "(--queue-no-inline: all on the ring)" :
					      " (--queue-no-inline: all on the ring)");
	if (bdev.mach.nproc > 0 && opt.nr_streams &&
	    opt.streams[opt.nr_streams - 1] > (unsigned int)bdev.mach.nproc)
		fprintf(f, "note: more threads than the %ld CPUs: those cells "
			"are oversubscribed\n", bdev.mach.nproc);
}

/* The ratios a row of mode @m shows, in @r1 and @r2 (48 bytes each). */
static void row_ratios(const struct result *x, size_t sz, enum zmode zm,
		       unsigned int n, enum mode m, char *r1, char *r2)
{
	r1[0] = r2[0] = '\0';
	if (m == M_APPEND) {
		fmt_ratio(r1, 48, "raw", ratio(x, find_result(sz, n, zm, M_RAW)));
		fmt_ratio(r2, 48, "seed",
			  ratio(x, find_result(sz, n, zm, M_SEED)));
	} else if (m == M_APPEND_QUEUE) {
		fmt_ratio(r1, 48, "raw-uring",
			  ratio(x, find_result(sz, n, zm, M_RAW_URING)));
	} else if (m == M_SEED) {
		snprintf(r1, 48, "(reference)");
	}
}

/* The row of mode @m in the cell (@sz, @zm, @n); @head: its first row,
 * which names the size and the zones. */
static void table_row(FILE *f, const struct result *x, size_t sz,
		      enum zmode zm, unsigned int n, enum mode m, bool head)
{
	char szb[SIZE_BUF_LEN], r1[48], r2[48], opw[16] = "-";
	const char *size = head ? format_size_exact(sz, szb, sizeof(szb)) : "";
	const char *zones = head ? zmode_names[zm] : "";

	row_ratios(x, sz, zm, n, m, r1, r2);
	if (x->batches)
		snprintf(opw, sizeof(opw), "%.2f",
			 (double)x->ops / (double)x->batches);
	if (x->skipped)
		fprintf(f, "%-5s %-10s %3u %-12s skipped: %s (%" PRIu64
			" bytes)\n", size, zones, n, mode_names[m],
			x->err_what, bdev.info.max_append);
	else if (x->err)
		fprintf(f, "%-5s %-10s %3u %-12s FAILED: %s (%s)\n", size,
			zones, n, mode_names[m], zk_strerror(x->err),
			x->err_what ? x->err_what : "");
	else
		fprintf(f,
			"%-5s %-10s %3u %-12s %9.1f %9.0f %8.1f %8.1f %9.1f %7.2f %6s  %s%s%s%s\n",
			size, zones, n, mode_names[m], x->mib_s, x->iops,
			x->p50, x->p99, x->p999, x->cpu_us_op, opw, r1,
			*r1 && *r2 ? ", " : "", r2,
			x->capped ? " (capped)" : "");
}

void print_table(FILE *f)
{
	table_head(f);
	fprintf(f, "\n%-5s %-10s %3s %-12s %9s %9s %8s %8s %9s %7s %6s  %s\n",
		"size", "zones", "N", "mode", "MiB/s", "IOPS", "p50 us",
		"p99 us", "p99.9 us", "cpu/op", "op/wr", "ratio");
	for (unsigned int a = 0; a < opt.nr_sizes; a++)
	for (int zm = 0; zm < NR_ZMODES; zm++)
	for (unsigned int b = 0; b < opt.nr_streams; b++) {
		bool head = true;

		if (!opt.zmodes[zm])
			continue;
		for (int m = 0; m < NR_MODES; m++) {
			const struct result *x = find_result(opt.sizes[a],
							      opt.streams[b],
							      zm, m);

			if (!x)
				continue;
			table_row(f, x, opt.sizes[a], zm, opt.streams[b], m,
				  head);
			head = false;
		}
	}
	fputs("\ncpu/op: CPU time of the process (user + system, all threads) "
	      "per operation, us;\nop/wr: appends per backend write (zk_stats: "
	      "appends / batches); ratios are of MiB/s.\n",
	      f);
}
