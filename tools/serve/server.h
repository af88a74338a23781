/* SPDX-License-Identifier: MIT */
/*
 * zonekit serve: a zonekit device as a zoned ublk block device.
 *
 * Threads: the main thread runs the control plane (ctrl.c) and waits for a
 * signal; each ublk queue has a thread of its own (queue.c) that owns the
 * queue's io_uring, fetches requests and commits their results (the
 * kernel takes a queue's commands only from the thread that fetched
 * them); and each queue has a pool of workers, one per tag, that run the
 * requests through the library (handlers.c).  The library's calls block,
 * so a request waiting for one never holds up another, and appends to one
 * zone from many kernel contexts reach zk_append() at the same time, where
 * the library merges them into one write.
 */
#ifndef ZONEKIT_SERVE_SERVER_H
#define ZONEKIT_SERVE_SERVER_H

#include <liburing.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "ctrl.h"
#include "zonekit.h"

/* Largest request: 512 KiB, as ublk's own servers default to. */
#define SRV_IO_BUF_BYTES (512u * 1024)

enum srv_counter {
	SRV_READ, SRV_WRITE, SRV_APPEND, SRV_REPORT, SRV_OPEN, SRV_CLOSE,
	SRV_FINISH, SRV_RESET, SRV_RESET_ALL, SRV_FLUSH, SRV_OTHER,
	SRV_NR_COUNTERS
};

struct srv_stats {
	atomic_uint_fast64_t requests[SRV_NR_COUNTERS];
	atomic_uint_fast64_t errors;
	atomic_uint_fast64_t bytes_read;
	atomic_uint_fast64_t bytes_written; /* writes and appends */
};

struct srv;

struct srv_io { /* one tag of a queue */
	struct ublksrv_io_desc iod; /* the request, copied when it arrives */
	int32_t result;             /* bytes or -errno, for the commit */
	uint64_t append_lba;        /* zone append: the sector where it landed */
};

struct srv_queue {
	struct srv *srv;
	uint16_t q_id;
	pthread_t thread;
	bool thread_started;
	struct io_uring ring;
	const struct ublksrv_io_desc *iods; /* the kernel's descriptors, mmap()ed */
	struct srv_io *ios;

	/* handoff between the queue thread and its workers, under lock */
	pthread_mutex_t lock;
	pthread_cond_t work_cond;
	uint16_t *work;      /* FIFO of tags to run, depth entries */
	unsigned int work_head, work_count;
	uint16_t *done;      /* tags whose result is ready to commit */
	unsigned int nr_done;
	bool workers_stop;
	int efd;             /* workers -> queue thread: "done is not empty" */
	uint64_t efd_count;  /* the queue thread's read of efd */
	bool quit;           /* set before efd is written: leave at once */

	pthread_t *workers;
	unsigned int nr_workers;

	int state;           /* 0 starting, 1 fetching, -errno failed */
};

struct srv_options {
	uint32_t dev_id;     /* UINT32_MAX: the kernel picks */
	unsigned int nr_queues;
	unsigned int depth;
	bool read_only;
};

struct srv {
	struct zk_dev *dev;
	struct zk_info info;
	struct srv_options opt;
	struct ublk_ctrl ctrl;
	uint32_t dev_id;
	bool added, started;
	int cdev_fd;
	char cdev_path[32], bdev_path[32];
	struct srv_queue *queues;
	pthread_t main_thread;
	struct srv_stats stats;
	pthread_mutex_t state_lock;
	pthread_cond_t state_cond;
	const char *failed; /* which step failed, for the message */
};

/* Bring @dev up as a ublk device: returns 0 with s->bdev_path live, or
 * -errno with s->failed naming the step (everything undone). */
int srv_start(struct srv *s, struct zk_dev *dev, const struct srv_options *o);
/* Wait for SIGINT, SIGTERM or SIGHUP (blocked by the caller in every
 * thread), or for the kernel to end the device; returns the signal or 0. */
int srv_wait(struct srv *s);
/* Stop and remove the device, flush the zonekit device: 0 or the first
 * -errno (s->failed names the step). */
int srv_stop(struct srv *s);

/* queue.c */
int srv_queue_start(struct srv_queue *q);
void srv_queue_join(struct srv_queue *q);
void srv_queue_quit(struct srv_queue *q);

/* handlers.c: run one request; returns the result to commit. */
int32_t srv_handle(struct srv *s, uint16_t q_id, uint16_t tag,
		   const struct ublksrv_io_desc *iod, void *buf,
		   struct zk_zone *zones, uint64_t *append_lba);

#endif /* ZONEKIT_SERVE_SERVER_H */
