/* SPDX-License-Identifier: MIT */
/*
 * zkbench (see zkbench.c): what its files share.  zkbench.c: options and
 * main(); device.c: the device and the machine; run.c: a run and the
 * matrix of runs; modes.c: the ways a run writes; output.c: the results,
 * as a table and as JSON; open_report.c: the create and open-report
 * commands.
 */
#ifndef ZONEKIT_ZKBENCH_H
#define ZONEKIT_ZKBENCH_H

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "zonekit.h"

#define KiB ((uint64_t)1024)
#define MiB (1024 * KiB)
#define GiB (1024 * MiB)

#define MAX_LIST 16
#define MAX_REPEAT 64
#define MAX_STREAMS 1024

/* ---- options (zkbench.c) ---- */

enum mode { M_RAW, M_RAW_URING, M_APPEND, M_APPEND_QUEUE, M_SEED, NR_MODES };
extern const char *const mode_names[NR_MODES];

enum zmode { Z_PER_THREAD, Z_SHARED, NR_ZMODES };
extern const char *const zmode_names[NR_ZMODES];

enum raw_order { ORDER_AUTO, ORDER_ANY, ORDER_ZONE };

struct opts {
	const char *dev;
	bool keep;
	uint64_t zone_size, zone_capacity;
	uint32_t nr_zones, block_size;
	uint64_t sizes[MAX_LIST];
	unsigned int nr_sizes;
	unsigned int streams[MAX_LIST];
	unsigned int nr_streams;
	bool modes[NR_MODES];
	bool zmodes[NR_ZMODES];
	uint64_t bytes;
	uint64_t min_ops;
	double seconds;
	unsigned int repeat;
	bool quick;
	bool json;
	const char *json_file;
	enum raw_order raw_order;
	bool queue_threads;
	bool queue_no_inline;
	bool raw_direct;
	bool direct;       /* --direct: ZK_DIRECT and O_DIRECT raw writes */
	bool progress;
	bool verbose;
};

extern struct opts opt;
extern volatile sig_atomic_t interrupted; /* SIGINT or SIGTERM */

__attribute__((format(printf, 1, 2), noreturn))
void die(const char *fmt, ...);
uint64_t now_ns(void);
void *xcalloc(size_t n, size_t size);
void *aligned_buf(size_t size, int fill);
int cmp_u64(const void *a, const void *b);

/* ---- the machine and the device (device.c) ---- */

struct machine {
	double load_start[3], load_end[3];
	long nproc;
	char cpu[128];
	char kernel[160];
};

void machine_info(struct machine *m);
void loadavg(double l[3]);
/* The type of the file system holding @path. */
void fs_type(const char *path, char *out, size_t len);
/* A field of /proc/self/status in KiB ("VmRSS"), or -1. */
long status_kib(const char *key);

struct bench_dev {
	const char *path;
	char *made;        /* the directory zkbench created, to remove */
	bool blkdev;
	struct zk_dev *dev;
	struct zk_info info;
	uint32_t first_seq;
	int dirfd;         /* emulated: the device directory */
	int *zfd;          /* emulated: raw descriptors of zone files, lazily */
	int bfd;           /* block device: O_RDWR | O_DIRECT */
	bool ordered;      /* raw writes to a zone one at a time, in order */
	char fs[64];
	struct machine mach;
};

extern struct bench_dev bdev;

bool dir_is_empty_or_missing(const char *path);
/* A new directory in $TMPDIR (malloc()ed path); exits on failure. */
char *make_temp_dir(void);
/* An emulated device of --zone-size, --nr-zones... at @path. */
void make_device(const char *path);
void remove_device(const char *path);
/* bdev: --dev, or a fresh device, open; exits on failure. */
void open_device(void);
void close_device(void);
/* Every zone back to empty, and the file system quiet: outside timing. */
void reset_device(void);
uint64_t zone_start(uint32_t z);
/* The descriptor and offset a raw write of zone @z at @zoff goes to. */
int raw_target(uint32_t z, uint64_t zoff, uint64_t *off);
void raw_open_zones(uint32_t first, uint32_t n);

/* ---- one run (run.c) and its modes (modes.c) ---- */

struct run {
	enum mode mode;
	enum zmode zm;
	size_t size;
	unsigned int streams;
	uint64_t ops;             /* planned */
	uint64_t ops_per_stream;  /* per-thread zones */
	uint64_t ops_per_zone;
	uint32_t zones_per_stream;
	uint32_t zone_base;
	uint32_t zones_used;

	/* while running */
	_Atomic uint64_t next;    /* shared zones: the next operation */
	atomic_bool stop;
	uint64_t t_begin, cap_ns;
	pthread_barrier_t barrier;
	pthread_mutex_t seed_lock;
	pthread_mutex_t *zlock;   /* ordered raw writes: per zone */
	uint64_t *zwp;

	/* results */
	int err;
	const char *err_what;
	uint64_t done;            /* operations done */
	double secs;
	uint64_t *lat;            /* ns, every operation, sorted */
	uint64_t nlat;
	struct zk_stats st;       /* deltas */
	double cpu_s;             /* user + system time of the process */
	const char *engine;
	unsigned int depth;       /* effective queue depth / threads */
	atomic_bool capped;
	bool skipped;             /* does not apply to this device */
};

/* The whole matrix, its results printed: the exit status. */
int cmd_run(void);
/* Plan a run: how many operations, which zones. */
int plan_run(struct run *r);
void run_once(struct run *r);
/* raw, append, seed: a thread a stream. */
void run_threads(struct run *r);
/* append-queue and raw-uring: one thread, a queue of depth N. */
void run_append_queue(struct run *r);
void run_raw_uring(struct run *r);

/* ---- results (output.c) ---- */

struct result {
	size_t size;
	unsigned int streams;
	enum zmode zm;
	enum mode mode;
	int err;
	const char *err_what;
	uint64_t ops, bytes;
	double secs, mib_s, iops;
	double p50, p99, p999, max, mean; /* microseconds */
	uint64_t lat_samples;             /* of every repetition */
	double cpu_us_op;                 /* CPU time (all threads) per op */
	uint64_t batches, merged;
	const char *engine;
	unsigned int depth;
	bool capped;
	bool skipped;
	unsigned int reps;
	double mib_s_min, mib_s_max;
	/* MiB/s of each repetition in the order run: round k of every mode
	 * of a cell ran back to back, so ratios of round k pair runs that
	 * met the same state of the machine. */
	double mib_s_runs[MAX_REPEAT];
};

extern struct result *results;
extern size_t nr_results;

void fill_result(struct result *res, const struct run *r);
/* Latency figures of @n sorted samples. */
void set_latency(struct result *res, const uint64_t *lat, uint64_t n);
int cmp_result_mib(const void *a, const void *b);
void write_json(FILE *f);
void print_table(FILE *f);

/* ---- the other commands (open_report.c) ---- */

int cmd_create(void);
int cmd_open_report(void);

#endif /* ZONEKIT_ZKBENCH_H */
