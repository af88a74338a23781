/* SPDX-License-Identifier: MIT */
/*
 * One ublk queue: its thread and its workers.
 *
 * The queue thread owns the queue's io_uring.  It keeps one FETCH (later
 * COMMIT_AND_FETCH) command in flight per tag; when one completes, a
 * request has arrived for that tag and goes to the workers' FIFO.  A
 * worker runs it through the library and puts the tag on the done list,
 * then wakes the queue thread through an eventfd that the ring reads;
 * the queue thread commits every done tag, which also fetches the tag's
 * next request.  Only the queue thread touches the ring: the kernel takes
 * a queue's commands from the thread that first fetched on it, and
 * liburing's rings are not thread-safe.
 *
 * There are as many workers as tags, so every request in flight has a
 * thread to block in: a slow zone operation or flush never delays a read,
 * and the appends to one zone run at once and merge in the library.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "server.h"

#define EFD_USER_DATA UINT64_MAX /* a tag is < UBLK_MAX_QUEUE_DEPTH */

static struct io_uring_sqe *queue_sqe(struct srv_queue *q)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(&q->ring);

	if (!sqe) { /* the SQ is full of prepared entries: send them */
		io_uring_submit(&q->ring);
		sqe = io_uring_get_sqe(&q->ring);
	}
	return sqe;
}

/* FETCH (result < 0 means none yet) or COMMIT_AND_FETCH for @tag. */
static int queue_prep_cmd(struct srv_queue *q, unsigned int op, uint16_t tag)
{
	struct io_uring_sqe *sqe = queue_sqe(q);
	struct ublksrv_io_cmd cmd = { .q_id = q->q_id, .tag = tag };

	if (!sqe)
		return -EBUSY;
	if (op == UBLK_U_IO_COMMIT_AND_FETCH_REQ) {
		cmd.result = q->ios[tag].result;
		/* user copy: addr is 0 but for a zone append, where it is the
		 * sector where the data landed */
		if ((q->ios[tag].iod.op_flags & 0xff) == UBLK_IO_OP_ZONE_APPEND &&
		    cmd.result >= 0)
			cmd.addr = q->ios[tag].append_lba;
	}
	memset(sqe, 0, sizeof(*sqe));
	sqe->opcode = IORING_OP_URING_CMD;
	sqe->fd = q->srv->cdev_fd;
	sqe->cmd_op = op;
	memcpy(sqe->cmd, &cmd, sizeof(cmd));
	io_uring_sqe_set_data64(sqe, tag);
	return 0;
}

static int queue_arm_efd(struct srv_queue *q)
{
	struct io_uring_sqe *sqe = queue_sqe(q);

	if (!sqe)
		return -EBUSY;
	io_uring_prep_read(sqe, q->efd, &q->efd_count, sizeof(q->efd_count), 0);
	io_uring_sqe_set_data64(sqe, EFD_USER_DATA);
	return 0;
}

/* ---- workers ------------------------------------------------------------ */

static bool worker_next(struct srv_queue *q, uint16_t *tag)
{
	bool got = false;
	unsigned int depth = q->srv->opt.depth;

	pthread_mutex_lock(&q->lock);
	while (!q->work_count && !q->workers_stop)
		pthread_cond_wait(&q->work_cond, &q->lock);
	if (q->work_count) {
		*tag = q->work[q->work_head];
		q->work_head = (q->work_head + 1) % depth;
		q->work_count--;
		got = true;
	}
	pthread_mutex_unlock(&q->lock);
	return got;
}

static void worker_done(struct srv_queue *q, uint16_t tag)
{
	pthread_mutex_lock(&q->lock);
	q->done[q->nr_done++] = tag;
	pthread_mutex_unlock(&q->lock);
	eventfd_write(q->efd, 1);
}

static void *worker_main(void *arg)
{
	struct srv_queue *q = arg;
	struct srv *s = q->srv;
	/* sectors of SRV_IO_BUF_BYTES / sizeof(struct blk_zone) zones at most */
	struct zk_zone *zones = calloc(SRV_IO_BUF_BYTES / 64, sizeof(*zones));
	void *buf = NULL;
	uint16_t tag;

	if (!zones || posix_memalign(&buf, 4096, SRV_IO_BUF_BYTES)) {
		free(zones);
		zones = NULL;
	}
	while (worker_next(q, &tag)) {
		struct srv_io *io = &q->ios[tag];

		io->append_lba = 0;
		io->result = zones ? srv_handle(s, q->q_id, tag, &io->iod, buf,
						zones, &io->append_lba)
				   : -ENOMEM;
		worker_done(q, tag);
	}
	free(buf);
	free(zones);
	return NULL;
}

static void workers_stop(struct srv_queue *q)
{
	pthread_mutex_lock(&q->lock);
	q->workers_stop = true;
	pthread_cond_broadcast(&q->work_cond);
	pthread_mutex_unlock(&q->lock);
	for (unsigned int i = 0; i < q->nr_workers; i++)
		pthread_join(q->workers[i], NULL);
	q->nr_workers = 0;
}

static int workers_start(struct srv_queue *q)
{
	pthread_attr_t attr;
	int ret = 0;

	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, 256 * 1024);
	for (unsigned int i = 0; i < q->srv->opt.depth; i++) {
		ret = -pthread_create(&q->workers[i], &attr, worker_main, q);
		if (ret)
			break;
		q->nr_workers++;
	}
	pthread_attr_destroy(&attr);
	return ret;
}

/* ---- the queue thread --------------------------------------------------- */

static void queue_dispatch(struct srv_queue *q, uint16_t tag)
{
	unsigned int depth = q->srv->opt.depth;

	/* the descriptor is the kernel's until the commit: take a copy */
	q->ios[tag].iod = q->iods[tag];
	pthread_mutex_lock(&q->lock);
	q->work[(q->work_head + q->work_count) % depth] = tag;
	q->work_count++;
	pthread_cond_signal(&q->work_cond);
	pthread_mutex_unlock(&q->lock);
}

/* Commit every done tag; 0 or -errno. */
static int queue_commit_done(struct srv_queue *q)
{
	uint16_t tags[UBLK_MAX_QUEUE_DEPTH];
	unsigned int n;
	int ret = 0;

	pthread_mutex_lock(&q->lock);
	n = q->nr_done;
	memcpy(tags, q->done, n * sizeof(tags[0]));
	q->nr_done = 0;
	pthread_mutex_unlock(&q->lock);
	for (unsigned int i = 0; i < n && !ret; i++)
		ret = queue_prep_cmd(q, UBLK_U_IO_COMMIT_AND_FETCH_REQ, tags[i]);
	return ret;
}

static void queue_set_state(struct srv_queue *q, int state)
{
	pthread_mutex_lock(&q->srv->state_lock);
	q->state = state;
	pthread_cond_broadcast(&q->srv->state_cond);
	pthread_mutex_unlock(&q->srv->state_lock);
}

/* Serve until every tag has been aborted by the kernel (the device was
 * stopped) or a command fails.  Returns 0 or -errno. */
static int queue_serve(struct srv_queue *q)
{
	unsigned int live = q->srv->opt.depth;
	struct io_uring_cqe *cqe;
	unsigned int head, seen;
	int ret = 0;

	while (live && !ret) {
		ret = io_uring_submit_and_wait(&q->ring, 1);
		if (ret == -EINTR) {
			ret = 0;
			continue;
		}
		if (ret < 0)
			break;
		ret = 0;
		seen = 0;
		io_uring_for_each_cqe(&q->ring, head, cqe) {
			uint64_t ud = io_uring_cqe_get_data64(cqe);

			seen++;
			if (ud == EFD_USER_DATA) {
				if (__atomic_load_n(&q->quit, __ATOMIC_ACQUIRE))
					live = 0;
				else if (!ret)
					ret = queue_commit_done(q);
				if (live && !ret)
					ret = queue_arm_efd(q);
			} else if (cqe->res == UBLK_IO_RES_OK) {
				queue_dispatch(q, (uint16_t)ud);
			} else if (live) {
				/* UBLK_IO_RES_ABORT: the device is stopping, this
				 * tag gets no more requests; anything else is
				 * also the end of the tag */
				live--;
				if (cqe->res != UBLK_IO_RES_ABORT)
					fprintf(stderr, "zonekit serve: queue %u tag %u: %s\n",
						q->q_id, (unsigned int)ud, strerror(-cqe->res));
			}
		}
		io_uring_cq_advance(&q->ring, seen);
	}
	return ret;
}

static void *queue_main(void *arg)
{
	struct srv_queue *q = arg;
	struct srv *s = q->srv;
	int ret;

	ret = io_uring_queue_init(s->opt.depth + 2, &q->ring, 0);
	if (ret < 0) {
		queue_set_state(q, ret);
		return NULL;
	}
	for (unsigned int tag = 0; tag < s->opt.depth && !ret; tag++)
		ret = queue_prep_cmd(q, UBLK_U_IO_FETCH_REQ, (uint16_t)tag);
	if (!ret)
		ret = queue_arm_efd(q);
	if (!ret) {
		ret = io_uring_submit(&q->ring);
		ret = ret < 0 ? ret : 0;
	}
	queue_set_state(q, ret ? ret : 1);
	if (!ret)
		ret = queue_serve(q);
	if (ret)
		fprintf(stderr, "zonekit serve: queue %u: %s\n", q->q_id, strerror(-ret));
	/* drains nothing: every tag was aborted or the server is quitting */
	io_uring_queue_exit(&q->ring);
	workers_stop(q);
	/* tell the main thread that this queue is over */
	pthread_kill(s->main_thread, SIGUSR1);
	return NULL;
}

int srv_queue_start(struct srv_queue *q)
{
	unsigned int depth = q->srv->opt.depth;
	int ret;

	q->ios = calloc(depth, sizeof(*q->ios));
	q->work = calloc(depth, sizeof(*q->work));
	q->done = calloc(depth, sizeof(*q->done));
	q->workers = calloc(depth, sizeof(*q->workers));
	if (!q->ios || !q->work || !q->done || !q->workers)
		return -ENOMEM;
	q->efd = eventfd(0, EFD_CLOEXEC);
	if (q->efd < 0)
		return -errno;
	pthread_mutex_init(&q->lock, NULL);
	pthread_cond_init(&q->work_cond, NULL);
	ret = workers_start(q);
	if (ret) {
		workers_stop(q);
		return ret;
	}
	ret = -pthread_create(&q->thread, NULL, queue_main, q);
	if (ret) {
		workers_stop(q);
		return ret;
	}
	q->thread_started = true;
	return 0;
}

void srv_queue_quit(struct srv_queue *q)
{
	__atomic_store_n(&q->quit, true, __ATOMIC_RELEASE);
	eventfd_write(q->efd, 1);
}

void srv_queue_join(struct srv_queue *q)
{
	if (q->thread_started)
		pthread_join(q->thread, NULL);
	q->thread_started = false;
	if (q->efd > 0)
		close(q->efd);
	q->efd = -1;
	free(q->ios);
	free(q->work);
	free(q->done);
	free(q->workers);
	q->ios = NULL;
	q->work = q->done = NULL;
	q->workers = NULL;
}
