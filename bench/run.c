/* SPDX-License-Identifier: MIT */
/* zkbench: a run (planned, run on a freshly reset device, checked) and the
 * matrix of runs, each cell repeated and its median kept. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "cli_progress.h"
#include "cli_util.h"
#include "zkbench.h"

int plan_run(struct run *r)
{
	uint64_t cap = bdev.info.zone_capacity ? bdev.info.zone_capacity :
					      bdev.info.zone_size;
	uint32_t avail = bdev.info.nr_zones - bdev.first_seq;
	uint64_t ops = opt.bytes / r->size;

	if (r->size % bdev.info.block_size || cap % r->size)
		return -EINVAL;
	if (bdev.info.max_append && r->size > bdev.info.max_append &&
	    (r->mode == M_APPEND || r->mode == M_APPEND_QUEUE ||
	     r->mode == M_SEED))
		return -E2BIG; /* not a failure: the device cannot */
	if (ops < opt.min_ops)
		ops = opt.min_ops;
	ops = (ops + r->streams - 1) / r->streams * r->streams;
	r->ops_per_zone = cap / r->size;
	r->zone_base = bdev.first_seq;
	for (;;) {
		uint64_t per = ops / r->streams;
		uint64_t need;

		r->zones_per_stream =
			(uint32_t)((per + r->ops_per_zone - 1) / r->ops_per_zone);
		need = r->zm == Z_SHARED ?
			(ops + r->ops_per_zone - 1) / r->ops_per_zone :
			(uint64_t)r->zones_per_stream * r->streams;
		if (need <= avail) {
			r->zones_used = (uint32_t)need;
			break;
		}
		/* does not fit: fewer operations */
		if (r->zm == Z_SHARED)
			ops = avail * r->ops_per_zone;
		else if (avail / r->streams)
			ops = (uint64_t)(avail / r->streams) * r->ops_per_zone *
			      r->streams;
		else
			return -ENOSPC;
		ops = ops / r->streams * r->streams;
		if (!ops)
			return -ENOSPC;
	}
	r->ops = ops;
	r->ops_per_stream = ops / r->streams;
	return 0;
}

static double cpu_now(void)
{
	struct rusage ru;

	if (getrusage(RUSAGE_SELF, &ru))
		return 0;
	return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
	       (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
}

void run_once(struct run *r)
{
	struct zk_stats s0, s1;
	double c0;

	reset_device();
	raw_open_zones(r->zone_base, r->zones_used);
	atomic_store(&r->next, 0);
	atomic_store(&r->stop, false);
	r->cap_ns = (uint64_t)(opt.seconds * 1e9);
	pthread_mutex_init(&r->seed_lock, NULL);
	r->zlock = xcalloc(r->zones_used, sizeof(*r->zlock));
	r->zwp = xcalloc(r->zones_used, sizeof(*r->zwp));
	for (uint32_t k = 0; k < r->zones_used; k++)
		pthread_mutex_init(&r->zlock[k], NULL);
	zk_stats(bdev.dev, &s0);
	c0 = cpu_now();
	switch (r->mode) {
	case M_RAW:
	case M_APPEND:
	case M_SEED:
		run_threads(r);
		break;
	case M_APPEND_QUEUE:
		run_append_queue(r);
		break;
	case M_RAW_URING:
		run_raw_uring(r);
		break;
	default:
		break;
	}
	r->cpu_s = cpu_now() - c0;
	zk_stats(bdev.dev, &s1);
	r->st.appends = s1.appends - s0.appends;
	r->st.writes = s1.writes - s0.writes;
	r->st.batches = s1.batches - s0.batches;
	r->st.merged = s1.merged - s0.merged;
	r->st.relearns = s1.relearns - s0.relearns;
	r->st.retried = s1.retried - s0.retried;
	if (!r->err && (r->mode == M_APPEND || r->mode == M_APPEND_QUEUE ||
			r->mode == M_SEED) && r->st.appends != r->done) {
		r->err = -EPROTO;
		r->err_what = "zk_stats appends != operations done";
	}
	if (!r->err && !r->capped && !interrupted && r->done != r->ops) {
		r->err = -EPROTO;
		r->err_what = "fewer operations done than planned";
	}
	for (uint32_t k = 0; k < r->zones_used; k++)
		pthread_mutex_destroy(&r->zlock[k]);
	free(r->zlock);
	free(r->zwp);
	r->zlock = NULL;
	r->zwp = NULL;
	pthread_mutex_destroy(&r->seed_lock);
	if (r->nlat)
		qsort(r->lat, r->nlat, sizeof(*r->lat), cmp_u64);
}

/* The repetitions of one mode of a cell. */
struct mode_reps {
	struct result reps[MAX_REPEAT];
	double runs[MAX_REPEAT];  /* MiB/s of each, in the order run */
	uint64_t *pool, npool;    /* latency samples of every repetition */
};

/* Repetition @rep of mode @m in the cell @cell (its size, zones, streams). */
static void run_rep(struct mode_reps *mr, const struct run *cell, enum mode m,
		    unsigned int rep, const char *what)
{
	struct run r = {
		.mode = m, .zm = cell->zm, .size = cell->size,
		.streams = cell->streams,
	};
	int ret = plan_run(&r);

	if (ret == -E2BIG) {
		r.skipped = true;
		r.err_what = "larger than the device's max_append";
	} else if (ret) {
		r.err = ret;
		r.err_what = "size does not fit the zone capacity "
			     "or block size, or no room";
	} else {
		run_once(&r);
	}
	fill_result(&mr->reps[rep], &r);
	mr->runs[rep] = mr->reps[rep].mib_s;
	if (opt.verbose)
		fprintf(stderr, "%s: %.1f MiB/s\n", what, mr->reps[rep].mib_s);
	if (r.nlat) {
		mr->pool = realloc(mr->pool, (mr->npool + r.nlat) *
					     sizeof(uint64_t));
		if (!mr->pool)
			die("out of memory");
		memcpy(mr->pool + mr->npool, r.lat, r.nlat * sizeof(uint64_t));
		mr->npool += r.nlat;
	}
	free(r.lat);
}

/* The result of a mode of a cell: the last failed repetition, if one
 * failed, else the median, with the latency of every repetition. */
static void keep_result(struct mode_reps *mr, unsigned int n)
{
	struct result *res = &results[nr_results++];
	unsigned int bad = 0;

	for (unsigned int rep = 0; rep < n; rep++)
		if (mr->reps[rep].err || mr->reps[rep].skipped)
			bad = rep + 1;
	if (bad) {
		*res = mr->reps[bad - 1];
		res->reps = n;
		return;
	}
	qsort(mr->reps, n, sizeof(mr->reps[0]), cmp_result_mib);
	*res = mr->reps[(n - 1) / 2];
	res->reps = n;
	res->mib_s_min = mr->reps[0].mib_s;
	res->mib_s_max = mr->reps[n - 1].mib_s;
	memcpy(res->mib_s_runs, mr->runs, n * sizeof(mr->runs[0]));
	if (mr->npool) {
		qsort(mr->pool, mr->npool, sizeof(uint64_t), cmp_u64);
		set_latency(res, mr->pool, mr->npool);
	}
}

/* Every mode of the cell @cell, --repeat times each, counting the runs in
 * @k for the progress line @p. */
static void run_cell(const struct run *cell, struct cli_progress *p,
		     unsigned int *k)
{
	struct mode_reps mr[NR_MODES];
	unsigned int nrep = opt.repeat > MAX_REPEAT ? MAX_REPEAT : opt.repeat;

	for (int m = 0; m < NR_MODES; m++)
		mr[m].pool = NULL, mr[m].npool = 0;
	/* repetitions outermost within a cell, modes interleaved, so
	 * drift of the machine touches every mode alike */
	for (unsigned int rep = 0; rep < nrep && !interrupted; rep++)
	for (int m = 0; m < NR_MODES && !interrupted; m++) {
		char what[128], szb[SIZE_BUF_LEN];

		if (!opt.modes[m])
			continue;
		snprintf(what, sizeof(what), "%s %s x%u %s (rep %u/%u)",
			 format_size_exact(cell->size, szb, sizeof(szb)),
			 zmode_names[cell->zm], cell->streams, mode_names[m],
			 rep + 1, nrep);
		progress_step(p, ++*k, what);
		run_rep(&mr[m], cell, m, rep, what);
	}
	for (int m = 0; m < NR_MODES && !interrupted; m++)
		if (opt.modes[m])
			keep_result(&mr[m], nrep);
	for (int m = 0; m < NR_MODES; m++)
		free(mr[m].pool);
}

static void print_results(void)
{
	FILE *f;

	if (opt.json && !opt.json_file) {
		write_json(stdout);
		return;
	}
	print_table(stdout);
	if (!opt.json_file)
		return;
	f = fopen(opt.json_file, "w");
	if (!f)
		die("%s: %s", opt.json_file, strerror(errno));
	write_json(f);
	if (fclose(f))
		die("%s: %s", opt.json_file, strerror(errno));
}

int cmd_run(void)
{
	struct cli_progress progress;
	unsigned int total = 0, k = 0;
	int failed = 0;

	open_device();
	machine_info(&bdev.mach);
	for (int m = 0; m < NR_MODES; m++)
		total += opt.modes[m];
	total *= opt.nr_sizes * opt.nr_streams * opt.repeat *
		 (opt.zmodes[0] + opt.zmodes[1]);
	results = xcalloc((size_t)total / opt.repeat, sizeof(*results));
	reset_device();
	progress_start(&progress, "runs", total);
	if (!opt.progress)
		progress_disable(&progress);

	for (unsigned int a = 0; a < opt.nr_sizes && !interrupted; a++)
	for (int zm = 0; zm < NR_ZMODES && !interrupted; zm++)
	for (unsigned int b = 0; b < opt.nr_streams && !interrupted; b++) {
		struct run cell = {
			.zm = zm, .size = opt.sizes[a], .streams = opt.streams[b],
		};

		if (opt.zmodes[zm])
			run_cell(&cell, &progress, &k);
	}
	progress_end(&progress);
	loadavg(bdev.mach.load_end);
	reset_device();
	if (interrupted)
		fprintf(stderr, "zkbench: interrupted; partial results\n");
	print_results();
	for (size_t x = 0; x < nr_results; x++)
		failed += results[x].err != 0;
	close_device();
	free(results);
	if (failed)
		fprintf(stderr, "zkbench: %d runs FAILED\n", failed);
	return failed || interrupted ? 1 : 0;
}
