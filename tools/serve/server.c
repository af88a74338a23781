/* SPDX-License-Identifier: MIT */
/* The life of a served device: add, start, wait, stop, remove (server.h). */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "server.h"

static int fail(struct srv *s, const char *step, int err)
{
	if (!s->failed)
		s->failed = step;
	return err;
}

static unsigned int ilog2_u32(uint32_t v)
{
	unsigned int r = 0;

	while (v >>= 1)
		r++;
	return r;
}

/* ublk sizes a zoned device in whole zones of one size. */
static int check_geometry(struct srv *s)
{
	const struct zk_info *i = &s->info;

	if (i->capacity % i->zone_size)
		return fail(s, "the device's last zone is smaller than the others, "
			       "which a zoned ublk device cannot have", -EINVAL);
	if ((i->zone_size >> 9) > UINT32_MAX)
		return fail(s, "zones of 2 TiB or more do not fit ublk", -EINVAL);
	return 0;
}

static uint32_t max_append_sectors(const struct zk_info *i)
{
	uint64_t max = SRV_IO_BUF_BYTES;

	if (i->max_append && i->max_append < max)
		max = i->max_append;
	return (uint32_t)(max >> 9);
}

static void fill_params(const struct srv *s, struct zks_ublk_params *p)
{
	const struct zk_info *i = &s->info;
	unsigned int bs_shift = ilog2_u32(i->block_size);
	/* a 512e SMR disk's sequential writes are whole physical blocks: say
	 * so, so that file systems write in them */
	unsigned int pbs_shift = ilog2_u32(i->write_granularity);

	memset(p, 0, sizeof(*p));
	p->types = UBLK_PARAM_TYPE_BASIC | UBLK_PARAM_TYPE_ZONED;
	/* a volatile cache: the kernel then sends flushes, which are zk_flush */
	p->basic.attrs = UBLK_ATTR_VOLATILE_CACHE;
	if (s->opt.read_only)
		p->basic.attrs |= UBLK_ATTR_READ_ONLY;
	p->basic.logical_bs_shift = (uint8_t)bs_shift;
	p->basic.physical_bs_shift = (uint8_t)pbs_shift;
	p->basic.io_min_shift = (uint8_t)pbs_shift;
	p->basic.io_opt_shift = (uint8_t)pbs_shift;
	p->basic.max_sectors = SRV_IO_BUF_BYTES >> 9;
	p->basic.chunk_sectors = (uint32_t)(i->zone_size >> 9);
	p->basic.dev_sectors = i->capacity >> 9;
	p->zoned.max_open_zones = i->max_open;
	p->zoned.max_active_zones = i->max_active;
	p->zoned.max_zone_append_sectors = max_append_sectors(i);
}

static int add_device(struct srv *s)
{
	struct ublksrv_ctrl_dev_info info = {
		.nr_hw_queues = (uint16_t)s->opt.nr_queues,
		.queue_depth = (uint16_t)s->opt.depth,
		.max_io_buf_bytes = SRV_IO_BUF_BYTES,
		.dev_id = s->opt.dev_id,
		.flags = UBLK_F_ZONED | UBLK_F_USER_COPY,
	};
	uint64_t features;
	int ret;

	ret = ublk_ctrl_features(&s->ctrl, &features);
	if (ret < 0)
		return fail(s, "cannot ask the ublk driver for its features", ret);
	if (!(features & UBLK_F_ZONED) || !(features & UBLK_F_USER_COPY))
		return fail(s, "the ublk driver has no zoned devices", -EOPNOTSUPP);
	ret = ublk_ctrl_add(&s->ctrl, &info);
	if (ret == -EEXIST)
		return fail(s, "that ublk device id is taken (zonekit stop ID removes "
			       "a zonekit device whose server is gone)", ret);
	if (ret < 0)
		return fail(s, "cannot add a ublk device", ret);
	s->dev_id = info.dev_id;
	s->added = true;
	/* the kernel clears the flags it does not support, and may give fewer
	 * queues than asked (one per CPU at most) */
	if (!(info.flags & UBLK_F_ZONED) || !(info.flags & UBLK_F_USER_COPY))
		return fail(s, "the ublk driver refused a zoned device", -EOPNOTSUPP);
	s->opt.nr_queues = info.nr_hw_queues;
	snprintf(s->cdev_path, sizeof(s->cdev_path), "/dev/ublkc%u", s->dev_id);
	snprintf(s->bdev_path, sizeof(s->bdev_path), "/dev/ublkb%u", s->dev_id);
	return 0;
}

/* Wait up to 5 s for a device node (udev may create it a little later). */
static int wait_for_node(const char *path)
{
	struct timespec tick = { 0, 10 * 1000 * 1000 };

	for (int i = 0; i < 500; i++) {
		if (!access(path, F_OK))
			return 0;
		nanosleep(&tick, NULL);
	}
	return -ENOENT;
}

static int open_cdev(struct srv *s)
{
	int ret = wait_for_node(s->cdev_path);

	if (ret)
		return fail(s, "the ublk char device did not appear", ret);
	s->cdev_fd = open(s->cdev_path, O_RDWR | O_CLOEXEC);
	if (s->cdev_fd < 0)
		return fail(s, "cannot open the ublk char device", -errno);
	return 0;
}

static int map_queue(struct srv *s, struct srv_queue *q)
{
	long page = sysconf(_SC_PAGESIZE);
	size_t len = ((size_t)s->opt.depth * sizeof(struct ublksrv_io_desc) + page - 1) /
		     page * page;
	off_t ofs = UBLKSRV_CMD_BUF_OFFSET + (off_t)q->q_id * ZKS_UBLK_IOD_AREA(page);
	void *p = mmap(NULL, len, PROT_READ, MAP_SHARED | MAP_POPULATE, s->cdev_fd, ofs);

	if (p == MAP_FAILED)
		return -errno;
	q->iods = p;
	return 0;
}

static void unmap_queue(struct srv *s, struct srv_queue *q)
{
	long page = sysconf(_SC_PAGESIZE);
	size_t len = ((size_t)s->opt.depth * sizeof(struct ublksrv_io_desc) + page - 1) /
		     page * page;

	if (q->iods)
		munmap((void *)q->iods, len);
	q->iods = NULL;
}

/* Start every queue and wait until each has its fetches in flight. */
static int start_queues(struct srv *s)
{
	int ret = 0;

	s->queues = calloc(s->opt.nr_queues, sizeof(*s->queues));
	if (!s->queues)
		return fail(s, "out of memory", -ENOMEM);
	for (unsigned int i = 0; i < s->opt.nr_queues && !ret; i++) {
		struct srv_queue *q = &s->queues[i];

		q->srv = s;
		q->q_id = (uint16_t)i;
		q->efd = -1;
		ret = map_queue(s, q);
		if (!ret)
			ret = srv_queue_start(q);
	}
	if (ret)
		return fail(s, "cannot start the queues", ret);
	pthread_mutex_lock(&s->state_lock);
	for (unsigned int i = 0; i < s->opt.nr_queues && !ret; i++) {
		while (!s->queues[i].state)
			pthread_cond_wait(&s->state_cond, &s->state_lock);
		if (s->queues[i].state < 0)
			ret = s->queues[i].state;
	}
	pthread_mutex_unlock(&s->state_lock);
	return ret ? fail(s, "cannot fetch requests", ret) : 0;
}

static void stop_queues(struct srv *s, bool quit)
{
	if (!s->queues)
		return;
	for (unsigned int i = 0; i < s->opt.nr_queues; i++)
		if (quit && s->queues[i].thread_started)
			srv_queue_quit(&s->queues[i]);
	for (unsigned int i = 0; i < s->opt.nr_queues; i++) {
		srv_queue_join(&s->queues[i]);
		unmap_queue(s, &s->queues[i]);
	}
	free(s->queues);
	s->queues = NULL;
}

static void teardown(struct srv *s, bool quit)
{
	stop_queues(s, quit);
	if (s->cdev_fd >= 0)
		close(s->cdev_fd);
	s->cdev_fd = -1;
	if (s->added)
		ublk_ctrl_del(&s->ctrl, s->dev_id);
	s->added = false;
	ublk_ctrl_close(&s->ctrl);
}

int srv_start(struct srv *s, struct zk_dev *dev, const struct srv_options *o)
{
	struct zks_ublk_params params;
	int ret;

	memset(s, 0, sizeof(*s));
	s->dev = dev;
	s->opt = *o;
	s->cdev_fd = -1;
	s->ctrl.fd = -1;
	s->main_thread = pthread_self();
	pthread_mutex_init(&s->state_lock, NULL);
	pthread_cond_init(&s->state_cond, NULL);
	ret = zk_info(dev, &s->info);
	if (ret)
		return fail(s, "cannot read the device's geometry", ret);
	ret = check_geometry(s);
	if (ret)
		return ret;
	ret = ublk_ctrl_open(&s->ctrl);
	if (ret)
		return fail(s, "cannot open " UBLK_CONTROL_PATH, ret);
	ret = add_device(s);
	if (!ret) {
		fill_params(s, &params);
		ret = ublk_ctrl_set_params(&s->ctrl, s->dev_id, &params);
		if (ret)
			fail(s, "the ublk driver refused the device's geometry", ret);
	}
	if (!ret)
		ret = open_cdev(s);
	if (!ret)
		ret = start_queues(s);
	if (!ret) {
		/* the kernel reads every zone before this returns */
		ret = ublk_ctrl_start(&s->ctrl, s->dev_id, getpid());
		if (ret)
			fail(s, "the ublk driver could not start the device", ret);
	}
	if (!ret) {
		s->started = true;
		ret = wait_for_node(s->bdev_path);
		if (ret)
			fail(s, "the block device did not appear", ret);
	}
	if (ret) {
		if (s->started)
			ublk_ctrl_stop(&s->ctrl, s->dev_id);
		teardown(s, !s->started);
		s->started = false;
	}
	return ret;
}

int srv_wait(struct srv *s)
{
	sigset_t set;
	int sig = 0;

	(void)s;
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGUSR1); /* a queue ended: the kernel stopped the device */
	while (sigwait(&set, &sig))
		;
	return sig == SIGUSR1 ? 0 : sig;
}

int srv_stop(struct srv *s)
{
	int ret = 0, err;

	/* The kernel removes the disk (its last writes and flushes are still
	 * served), then ends every queue's fetches, which ends the queues. */
	err = ublk_ctrl_stop(&s->ctrl, s->dev_id);
	if (err && err != -ENODEV)
		ret = fail(s, "cannot stop the ublk device", err);
	/* a device the kernel did not stop aborts no fetch: end the queues */
	stop_queues(s, err && err != -ENODEV);
	/* everything acknowledged is durable before the device goes away */
	err = zk_flush(s->dev);
	if (err && !ret)
		ret = fail(s, "cannot flush the device", err);
	if (s->cdev_fd >= 0)
		close(s->cdev_fd);
	s->cdev_fd = -1;
	err = ublk_ctrl_del(&s->ctrl, s->dev_id);
	if (err && !ret)
		ret = fail(s, "cannot remove the ublk device", err);
	s->added = false;
	ublk_ctrl_close(&s->ctrl);
	return ret;
}
