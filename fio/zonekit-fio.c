// SPDX-License-Identifier: GPL-2.0-only
/*
 * zonekit-fio: an external fio ioengine that does its I/O through zonekit.
 *
 * This file includes fio's headers, which are GPL-2.0-only, so this file is
 * GPL-2.0-only too (unlike the rest of zonekit, which is MIT).  The zonekit
 * library never links it; it is built only when fio's source is there (see
 * fio/README and fio/get-fio-source.sh), and it links zonekit statically.
 *
 *   fio --ioengine=external:/path/to/zonekit-fio.so --filename=DEV ...
 *
 * DEV is an emulated zoned device (a directory made by 'zonekit create') or
 * a Linux zoned block device.  Reads and writes go through zk_pread and
 * zk_pwrite at fio's offsets; with zonekit_append=1 every write to a
 * sequential zone goes through zk_append instead, and the engine checks that
 * the data landed at the offset fio expected.  Trims reset zones.  With
 * iodepth > 1 the requests go through a zonekit queue (io_uring), unless
 * zonekit_sync=1 or io_uring is not available.
 *
 * fio treats a regular file as unzoned and calls no zone hook for it, so
 * setup() marks an emulated device (a directory) as a character device:
 * fio then asks the engine for the zoned model, the zones, the open zone
 * limit and for zone resets, and zonemode=zbd works as on a real device.
 *
 * Built for fio 3.33 (FIO_IOOPS_VERSION 31): the zone hooks are
 * get_zoned_model, report_zones, reset_wp and get_max_open_zones.
 *
 * A zonekit device has one writer process at a time, and zonekit keeps the
 * write pointers in that process's memory, so the engine runs fio's jobs as
 * threads (thread=1) and the jobs of one fio share one open device.
 */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fio.h"
#include "optgroup.h"
#include "zbd.h"

#include <zonekit.h>

#ifndef ZKF_FIO_VERSION
#error "ZKF_FIO_VERSION (the fio version whose headers are used) must be defined"
#endif

#define ZKF_EXPORT __attribute__((visibility("default")))

/* ---- engine options ---- */

struct zkf_options {
	void *pad; /* fio: no option at offset 0 */
	unsigned int append;
	unsigned int sync;
};

static struct fio_option zkf_options[] = {
	{
		.name = "zonekit_append",
		.lname = "zonekit zone append",
		.type = FIO_OPT_BOOL,
		.off1 = offsetof(struct zkf_options, append),
		.help = "Write to sequential zones with zk_append and check "
			"that each write landed at the offset fio expected",
		.def = "0",
		.category = FIO_OPT_C_ENGINE,
		.group = FIO_OPT_G_INVALID,
	},
	{
		.name = "zonekit_sync",
		.lname = "zonekit synchronous calls",
		.type = FIO_OPT_BOOL,
		.off1 = offsetof(struct zkf_options, sync),
		.help = "Synchronous zonekit calls even with iodepth > 1 "
			"(no zonekit queue)",
		.def = "0",
		.category = FIO_OPT_C_ENGINE,
		.group = FIO_OPT_G_INVALID,
	},
	{
		.name = NULL,
	},
};

/* ---- open devices, shared by the jobs (threads) of this fio ---- */

struct zkf_dev {
	struct zkf_dev *next;
	char *path;              /* realpath of the device */
	struct zk_dev *dev;
	struct zk_info info;
	enum zbd_zoned_model model;
	unsigned int refs;
};

static pthread_mutex_t zkf_devs_lock = PTHREAD_MUTEX_INITIALIZER;
static struct zkf_dev *zkf_devs;

/* Host-managed, or host-aware if a zone is sequential-write-preferred. */
static int zkf_learn_model(struct zkf_dev *d)
{
	struct zk_zone zones[256];
	uint64_t off = 0;

	d->model = ZBD_HOST_MANAGED;
	while (off < d->info.capacity) {
		unsigned int nr = 256;
		int ret = zk_report(d->dev, off, zones, &nr);

		if (ret)
			return ret;
		if (!nr)
			break;
		for (unsigned int i = 0; i < nr; i++)
			if (zones[i].type == ZK_ZONE_SEQ_PREFERRED)
				d->model = ZBD_HOST_AWARE;
		off = zones[nr - 1].start + zones[nr - 1].len;
	}
	return 0;
}

/* Take a reference on the device of @f, opening it if this fio does not
 * have it open yet.  Returns a negative errno. */
static int zkf_dev_get(struct thread_data *td, struct fio_file *f,
		       struct zkf_dev **dp)
{
	char *path = realpath(f->file_name, NULL);
	struct zkf_dev *d;
	int ret;

	if (!path) {
		ret = -errno;
		log_err("zonekit: %s: %s\n", f->file_name, strerror(errno));
		return ret;
	}
	pthread_mutex_lock(&zkf_devs_lock);
	for (d = zkf_devs; d; d = d->next)
		if (!strcmp(d->path, path))
			break;
	if (d) {
		d->refs++;
		free(path);
		goto out;
	}
	d = calloc(1, sizeof(*d));
	if (!d) {
		ret = -ENOMEM;
		goto err;
	}
	d->path = path;
	ret = zk_open(path, 0, &d->dev);
	if ((ret == -EACCES || ret == -EROFS || ret == -EPERM) &&
	    !td_write(td) && !td_trim(td))
		ret = zk_open(path, ZK_RDONLY, &d->dev);
	if (ret) {
		if (ret == -EBUSY)
			log_err("zonekit: %s: %s: another process has the device "
				"open (zonekit allows one writer process)\n",
				f->file_name, zk_strerror(ret));
		else
			log_err("zonekit: %s: %s\n", f->file_name,
				zk_strerror(ret));
		free(d);
		goto err;
	}
	ret = zk_info(d->dev, &d->info);
	if (!ret)
		ret = zkf_learn_model(d);
	if (ret) {
		log_err("zonekit: %s: %s\n", f->file_name, zk_strerror(ret));
		zk_close(d->dev);
		free(d);
		goto err;
	}
	d->refs = 1;
	d->next = zkf_devs;
	zkf_devs = d;
	dprint(FD_IO, "zonekit: opened %s: %" PRIu32 " zones of %" PRIu64
	       " bytes\n", path, d->info.nr_zones, d->info.zone_size);
out:
	pthread_mutex_unlock(&zkf_devs_lock);
	*dp = d;
	return 0;
err:
	pthread_mutex_unlock(&zkf_devs_lock);
	free(path);
	return ret;
}

static void zkf_dev_put(struct zkf_dev *d)
{
	struct zkf_dev **pp;

	pthread_mutex_lock(&zkf_devs_lock);
	if (--d->refs) {
		pthread_mutex_unlock(&zkf_devs_lock);
		return;
	}
	for (pp = &zkf_devs; *pp != d; pp = &(*pp)->next)
		;
	*pp = d->next;
	/* Closed under the lock: the device lets one open at a time, and a
	 * job opening it now must find it closed, not busy. */
	zk_close(d->dev);
	pthread_mutex_unlock(&zkf_devs_lock);
	free(d->path);
	free(d);
}

/* ---- per job and per open file ---- */

struct zkf_file {
	struct zkf_dev *d;
	struct zk_queue *q;      /* NULL: synchronous calls */
	unsigned int inflight;   /* queued, not yet reaped */
};

struct zkf_data {
	struct zkf_options *o;
	unsigned int depth;
	struct io_u **events;
	struct zk_cqe *cqes;
	struct zkf_file **files; /* open files with a queue */
	unsigned int nr_files;
};

static bool zkf_is_seq(const struct zkf_dev *d, uint64_t off)
{
	return off >= (uint64_t)d->info.nr_conv_zones * d->info.zone_size;
}

static bool zkf_use_append(const struct zkf_data *zd, const struct zkf_dev *d,
			   const struct io_u *io_u)
{
	return zd->o->append && io_u->ddir == DDIR_WRITE &&
	       zkf_is_seq(d, io_u->offset);
}

static uint64_t zkf_zone_start(const struct zkf_dev *d, uint64_t off)
{
	return off & ~(d->info.zone_size - 1);
}

/* An append of @len bytes meant for @off landed at @landed: is it where fio
 * expects it?  Says so in fio's log if not. */
static bool zkf_landed_right(const struct zkf_dev *d, uint64_t len,
			     uint64_t off, uint64_t landed)
{
	if (landed == off)
		return true;
	log_err("zonekit: %s: append of %" PRIu64 " bytes to zone %" PRIu64
		" landed at %" PRIu64 ", fio expected %" PRIu64 "\n", d->path,
		len, zkf_zone_start(d, off), landed, off);
	return false;
}

/* Check a finished read or write; @res: bytes done or -errno. */
static void zkf_finish(struct zkf_data *zd, struct zkf_dev *d,
		       struct io_u *io_u, int64_t res, uint64_t landed)
{
	if (res < 0) {
		io_u->error = (unsigned int)-res;
		dprint(FD_IO, "zonekit: %s %llu+%llu: %s\n",
		       io_u->ddir == DDIR_READ ? "read" : "write",
		       io_u->offset, io_u->xfer_buflen,
		       zk_strerror((int)res));
		return;
	}
	io_u->error = 0;
	io_u->resid = io_u->xfer_buflen - (unsigned long long)res;
	if (zkf_use_append(zd, d, io_u) &&
	    !zkf_landed_right(d, io_u->xfer_buflen, io_u->offset, landed))
		io_u->error = EIO;
}

/* ---- setup: before fio's zone setup, in the main thread ---- */

static int zkf_setup(struct thread_data *td)
{
	static bool told_threads;
	struct fio_file *f;
	unsigned int i;

	if (strcmp(fio_version_string, ZKF_FIO_VERSION)) {
		log_err("zonekit: this engine was built against the headers of "
			"%s but runs in %s; rebuild it against this fio\n",
			ZKF_FIO_VERSION, fio_version_string);
		return 1;
	}
	/* One process owns a zonekit device: the jobs must be threads. */
	if (!td->o.use_thread) {
		if (!told_threads)
			log_info("zonekit: jobs run as threads (thread=1): one "
				 "process keeps a zonekit device open\n");
		told_threads = true;
		td->o.use_thread = 1;
	}
	for_each_file(td, f, i) {
		struct zkf_dev *d;
		struct stat st;
		int ret;

		if (stat(f->file_name, &st)) {
			log_err("zonekit: %s: %s\n", f->file_name,
				strerror(errno));
			return 1;
		}
		if (S_ISDIR(st.st_mode)) {
			/* An emulated device: pretend to be a character
			 * device, or fio would handle zones by itself. */
			f->filetype = FIO_TYPE_CHAR;
		} else if (!S_ISBLK(st.st_mode)) {
			log_err("zonekit: %s is neither an emulated zoned device "
				"(a directory) nor a zoned block device\n",
				f->file_name);
			return 1;
		}
		if (fio_file_size_known(f))
			continue;
		ret = zkf_dev_get(td, f, &d);
		if (ret)
			return 1;
		f->real_file_size = d->info.capacity;
		fio_file_set_size_known(f);
		zkf_dev_put(d);
	}
	return 0;
}

static void zkf_data_free(struct zkf_data *zd)
{
	free(zd->events);
	free(zd->cqes);
	free(zd->files);
	free(zd);
}

static int zkf_init(struct thread_data *td)
{
	struct zkf_data *zd = calloc(1, sizeof(*zd));

	if (!zd)
		return 1;
	zd->o = td->eo;
	zd->depth = td->o.iodepth ? td->o.iodepth : 1;
	zd->events = calloc(zd->depth, sizeof(*zd->events));
	zd->cqes = calloc(zd->depth, sizeof(*zd->cqes));
	zd->files = calloc(td->o.nr_files ? td->o.nr_files : 1,
			   sizeof(*zd->files));
	if (!zd->events || !zd->cqes || !zd->files) {
		zkf_data_free(zd);
		return 1;
	}
	td->io_ops_data = zd;
	return 0;
}

static void zkf_cleanup(struct thread_data *td)
{
	struct zkf_data *zd = td->io_ops_data;

	if (!zd)
		return;
	zkf_data_free(zd);
	td->io_ops_data = NULL;
}

static int zkf_open_file(struct thread_data *td, struct fio_file *f)
{
	struct zkf_data *zd = td->io_ops_data;
	struct zkf_options *o = td->eo;
	unsigned int depth = zd ? zd->depth : 1; /* no init(): synchronous */
	static bool told_sync;
	struct zkf_file *zf;
	int ret;

	zf = calloc(1, sizeof(*zf));
	if (!zf)
		return 1;
	ret = zkf_dev_get(td, f, &zf->d);
	if (ret) {
		free(zf);
		td->error = -ret;
		return 1;
	}
	if (depth > 1 && !o->sync) {
		ret = zk_queue_init(zf->d->dev, depth, 0, &zf->q);
		if (ret) {
			zf->q = NULL;
		} else if (strcmp(zk_queue_engine(zf->q), "io_uring")) {
			/* The thread engine runs a zone's writes in any
			 * order; fio's are in wp order: stay synchronous. */
			zk_queue_exit(zf->q);
			zf->q = NULL;
		}
		if (!zf->q && !told_sync) {
			told_sync = true;
			log_info("zonekit: io_uring is not available: "
				 "synchronous calls (iodepth 1)\n");
		}
	}
	if (zf->q)
		zd->files[zd->nr_files++] = zf;
	dprint(FD_IO, "zonekit: %s: %s, iodepth %u, writes to sequential "
	       "zones with %s\n", f->file_name,
	       zf->q ? "zonekit queue (io_uring)" : "synchronous calls",
	       depth, o->append ? "zk_append" : "zk_pwrite");
	FILE_SET_ENG_DATA(f, zf);
	return 0;
}

static int zkf_close_file(struct thread_data *td, struct fio_file *f)
{
	struct zkf_data *zd = td->io_ops_data;
	struct zkf_file *zf = FILE_ENG_DATA(f);

	if (!zf)
		return 0;
	if (fio_debug & (1UL << FD_IO)) {
		struct zk_stats st;

		if (!zk_stats(zf->d->dev, &st))
			dprint(FD_IO, "zonekit: %s: device totals: %" PRIu64
			       " appends, %" PRIu64 " writes, %" PRIu64
			       " backend writes, %" PRIu64 " merged\n",
			       f->file_name, st.appends, st.writes, st.batches,
			       st.merged);
	}
	if (zf->q) {
		for (unsigned int i = 0; zd && i < zd->nr_files; i++) {
			if (zd->files[i] == zf) {
				zd->files[i] = zd->files[--zd->nr_files];
				break;
			}
		}
		zk_queue_exit(zf->q);
	}
	zkf_dev_put(zf->d);
	free(zf);
	FILE_SET_ENG_DATA(f, NULL);
	f->fd = -1;
	return 0;
}

static int zkf_invalidate(struct thread_data *td, struct fio_file *f)
{
	(void)td, (void)f;
	return 0; /* zonekit keeps no page cache of its own to drop */
}

/* ---- I/O ---- */

static bool zkf_crosses_zones(const struct zkf_dev *d, const struct io_u *io_u)
{
	return io_u->xfer_buflen &&
	       zkf_zone_start(d, io_u->offset) !=
		       zkf_zone_start(d, io_u->offset + io_u->xfer_buflen - 1);
}

/* A write zonekit cannot take in one call: across zones, or an append
 * longer than the device's largest (null_blk: 124 KiB, its max_sectors;
 * fio's t/zbd uses block sizes up to a zone). */
static bool zkf_needs_split(const struct zkf_data *zd, const struct zkf_dev *d,
			    const struct io_u *io_u)
{
	if (io_u->ddir != DDIR_WRITE)
		return false;
	return zkf_crosses_zones(d, io_u) ||
	       (zkf_use_append(zd, d, io_u) && d->info.max_append &&
		io_u->xfer_buflen > d->info.max_append);
}

/* A write across zone boundaries, which zonekit refuses: as the kernel
 * splits a bio at the zone boundaries (chunk_sectors) of a zoned block
 * device, write each zone's part on its own -- anywhere in a conventional
 * zone, at the write pointer in a sequential one.  fio issues such writes
 * in conventional zones when the block size does not divide the zone
 * size.  In append mode a part longer than the device's largest append
 * goes as several appends, as an application would send it, each checked
 * to land where fio expects.  Nothing else of this job is in flight (the
 * queue path waits for its I/O first), so the pieces land in order.
 * Returns the bytes written or -errno. */
static int64_t zkf_write_split(struct zkf_data *zd, struct zkf_dev *d,
			       struct io_u *io_u)
{
	const uint8_t *buf = io_u->xfer_buf;
	uint64_t off = io_u->offset, end = off + io_u->xfer_buflen;

	while (off < end) {
		uint64_t zend = zkf_zone_start(d, off) + d->info.zone_size;
		size_t len = (size_t)((end < zend ? end : zend) - off);
		int64_t res;

		if (zd->o->append && zkf_is_seq(d, off) &&
		    d->info.max_append && len > d->info.max_append)
			len = (size_t)d->info.max_append;
		if (zd->o->append && zkf_is_seq(d, off)) {
			uint64_t landed;

			res = zk_append(d->dev, zkf_zone_start(d, off), buf, len,
					&landed);
			if (!res && !zkf_landed_right(d, len, off, landed))
				res = -EIO;
		} else {
			res = zk_pwrite(d->dev, buf, len, off);
		}
		if (res < 0)
			return res;
		buf += len;
		off += len;
	}
	return (int64_t)io_u->xfer_buflen;
}

static void zkf_do_sync(struct zkf_data *zd, struct zkf_dev *d,
			struct io_u *io_u)
{
	int64_t res;
	uint64_t landed = io_u->offset;

	if (io_u->ddir == DDIR_READ) {
		res = zk_pread(d->dev, io_u->xfer_buf, io_u->xfer_buflen,
			       io_u->offset);
	} else if (zkf_needs_split(zd, d, io_u)) {
		res = zkf_write_split(zd, d, io_u);
	} else if (zkf_use_append(zd, d, io_u)) {
		res = zk_append(d->dev, zkf_zone_start(d, io_u->offset),
				io_u->xfer_buf, io_u->xfer_buflen, &landed);
		if (!res)
			res = (int64_t)io_u->xfer_buflen;
	} else {
		res = zk_pwrite(d->dev, io_u->xfer_buf, io_u->xfer_buflen,
				io_u->offset);
	}
	zkf_finish(zd, d, io_u, res, landed);
}

static enum fio_q_status zkf_queue_async(struct zkf_data *zd,
					 struct zkf_file *zf, struct io_u *io_u)
{
	struct zkf_dev *d = zf->d;
	uint64_t ud = (uint64_t)(uintptr_t)io_u;
	int ret;

	if (io_u->ddir == DDIR_READ)
		ret = zk_queue_read(zf->q, io_u->xfer_buf, io_u->xfer_buflen,
				    io_u->offset, ud);
	else if (zkf_use_append(zd, d, io_u))
		ret = zk_queue_append(zf->q, zkf_zone_start(d, io_u->offset),
				      io_u->xfer_buf, io_u->xfer_buflen, ud);
	else
		ret = zk_queue_write(zf->q, io_u->xfer_buf, io_u->xfer_buflen,
				     io_u->offset, ud);
	if (ret == -EAGAIN && zf->inflight)
		return FIO_Q_BUSY;
	if (ret) {
		zkf_finish(zd, d, io_u, ret, 0);
		return FIO_Q_COMPLETED;
	}
	zf->inflight++;
	return FIO_Q_QUEUED;
}

static void zkf_trim(struct thread_data *td, struct zkf_dev *d,
		     struct io_u *io_u)
{
	int ret;

	if (io_u->file->zbd_info) {
		/* zonemode=zbd: let fio reset the zone (through reset_wp)
		 * so that its own view of the zone follows. */
		ret = zbd_do_io_u_trim(td, io_u);
		io_u->error = ret < 0 ? (unsigned int)-ret : 0;
		return;
	}
	if (!zkf_is_seq(d, io_u->offset)) {
		io_u->error = EOPNOTSUPP; /* nothing to trim a conventional zone with */
		return;
	}
	ret = zk_zone_op(d->dev, ZK_OP_RESET, io_u->offset, io_u->xfer_buflen);
	io_u->error = ret ? (unsigned int)-ret : 0;
	if (ret)
		log_err("zonekit: %s: reset of %llu+%llu: %s\n", d->path,
			io_u->offset, io_u->xfer_buflen, zk_strerror(ret));
}

static enum fio_q_status zkf_queue(struct thread_data *td, struct io_u *io_u)
{
	struct zkf_data *zd = td->io_ops_data;
	struct zkf_file *zf = FILE_ENG_DATA(io_u->file);
	int ret;

	fio_ro_check(td, io_u);
	switch (io_u->ddir) {
	case DDIR_READ:
	case DDIR_WRITE:
		if (zf->q && !zkf_needs_split(zd, zf->d, io_u))
			return zkf_queue_async(zd, zf, io_u);
		/* Split: synchronous, once this job's queued I/O is done, so
		 * that its pieces and the queued writes keep fio's order. */
		if (zf->q && zf->inflight)
			return FIO_Q_BUSY;
		zkf_do_sync(zd, zf->d, io_u);
		return FIO_Q_COMPLETED;
	case DDIR_TRIM:
		zkf_trim(td, zf->d, io_u);
		return FIO_Q_COMPLETED;
	case DDIR_SYNC:
	case DDIR_DATASYNC:
	case DDIR_SYNC_FILE_RANGE:
		ret = zk_flush(zf->d->dev);
		io_u->error = ret ? (unsigned int)-ret : 0;
		return FIO_Q_COMPLETED;
	default:
		io_u->error = EINVAL;
		return FIO_Q_COMPLETED;
	}
}

static int zkf_commit(struct thread_data *td)
{
	struct zkf_data *zd = td->io_ops_data;

	for (unsigned int i = 0; i < zd->nr_files; i++) {
		int ret = zk_queue_submit(zd->files[i]->q);

		if (ret) {
			td->error = -ret;
			return ret;
		}
	}
	return 0;
}

static unsigned int zkf_reap(struct zkf_data *zd, struct zkf_file *zf,
			     unsigned int n, unsigned int max, unsigned int min,
			     int *err)
{
	int got = zk_queue_reap(zf->q, zd->cqes, max - n, min);

	if (got < 0) {
		*err = got;
		return n;
	}
	for (int i = 0; i < got; i++) {
		struct io_u *io_u = (struct io_u *)(uintptr_t)zd->cqes[i].user_data;

		zkf_finish(zd, zf->d, io_u, zd->cqes[i].res, zd->cqes[i].offset);
		zd->events[n++] = io_u;
	}
	zf->inflight -= (unsigned int)got;
	return n;
}

static int zkf_getevents(struct thread_data *td, unsigned int min,
			 unsigned int max, const struct timespec *t)
{
	struct zkf_data *zd = td->io_ops_data;
	unsigned int n = 0, busy;
	int err = 0;

	(void)t;
	if (max > zd->depth)
		max = zd->depth;
	for (;;) {
		struct zkf_file *last = NULL;

		busy = 0;
		for (unsigned int i = 0; i < zd->nr_files && n < max; i++) {
			struct zkf_file *zf = zd->files[i];

			if (!zf->inflight)
				continue;
			n = zkf_reap(zd, zf, n, max, 0, &err);
			if (zf->inflight) {
				busy++;
				last = zf;
			}
		}
		if (err)
			return err;
		if (n >= min || n == max || !busy)
			return (int)n;
		if (busy == 1) { /* sleep in zonekit for what is missing */
			n = zkf_reap(zd, last, n, max, min - n, &err);
			return err ? err : (int)n;
		}
		usleep(20); /* several devices busy: poll them */
	}
}

static struct io_u *zkf_event(struct thread_data *td, int event)
{
	struct zkf_data *zd = td->io_ops_data;

	return zd->events[event];
}

/* ---- zone hooks: may run in fio's main thread, before init() ---- */

/* zkf_dev_get() for a zone hook: fio wants errno set on failure too. */
static int zkf_hook_dev_get(struct thread_data *td, struct fio_file *f,
			    struct zkf_dev **dp)
{
	int ret = zkf_dev_get(td, f, dp);

	if (ret)
		errno = -ret;
	return ret;
}

/* The zoned model and the open zone limit of the device of @f (either
 * may be NULL). */
static int zkf_dev_limits(struct thread_data *td, struct fio_file *f,
			  enum zbd_zoned_model *model, unsigned int *max_open)
{
	struct zkf_dev *d;
	int ret = zkf_hook_dev_get(td, f, &d);

	if (ret)
		return ret;
	if (model)
		*model = d->model;
	if (max_open)
		*max_open = d->info.max_open;
	zkf_dev_put(d);
	return 0;
}

static int zkf_get_zoned_model(struct thread_data *td, struct fio_file *f,
			       enum zbd_zoned_model *model)
{
	return zkf_dev_limits(td, f, model, NULL);
}

static int zkf_report_zones(struct thread_data *td, struct fio_file *f,
			    uint64_t offset, struct zbd_zone *zbdz,
			    unsigned int nr_zones)
{
	struct zk_zone *zones;
	struct zkf_dev *d;
	unsigned int nr = nr_zones;
	int ret = zkf_hook_dev_get(td, f, &d);

	if (ret)
		return ret;
	if (offset >= d->info.capacity) {
		zkf_dev_put(d);
		return 0;
	}
	zones = calloc(nr_zones, sizeof(*zones));
	ret = zones ? zk_report(d->dev, offset, zones, &nr) : -ENOMEM;
	if (ret) {
		log_err("zonekit: %s: report zones: %s\n", f->file_name,
			zk_strerror(ret));
		goto out;
	}
	for (unsigned int i = 0; i < nr; i++) {
		struct zbd_zone *z = &zbdz[i];

		z->start = zones[i].start;
		z->len = zones[i].len;
		z->capacity = zones[i].capacity;
		z->wp = zones[i].wp;
		switch (zones[i].type) {
		case ZK_ZONE_CONVENTIONAL:
			z->type = ZBD_ZONE_TYPE_CNV;
			break;
		case ZK_ZONE_SEQ_REQUIRED:
			z->type = ZBD_ZONE_TYPE_SWR;
			break;
		default:
			z->type = ZBD_ZONE_TYPE_SWP;
			break;
		}
		/* as fio's own blkzoned_report_zones() */
		switch (zones[i].cond) {
		case ZK_COND_NOT_WP:
			z->cond = ZBD_ZONE_COND_NOT_WP;
			break;
		case ZK_COND_EMPTY:
			z->cond = ZBD_ZONE_COND_EMPTY;
			break;
		case ZK_COND_IMP_OPEN:
			z->cond = ZBD_ZONE_COND_IMP_OPEN;
			break;
		case ZK_COND_EXP_OPEN:
			z->cond = ZBD_ZONE_COND_EXP_OPEN;
			break;
		case ZK_COND_CLOSED:
			z->cond = ZBD_ZONE_COND_CLOSED;
			break;
		case ZK_COND_FULL:
			z->cond = ZBD_ZONE_COND_FULL;
			break;
		default: /* read-only, offline: don't use */
			z->cond = ZBD_ZONE_COND_OFFLINE;
			z->wp = z->start;
			break;
		}
	}
	ret = (int)nr;
out:
	free(zones);
	zkf_dev_put(d);
	if (ret < 0)
		errno = -ret;
	return ret;
}

static int zkf_reset_wp(struct thread_data *td, struct fio_file *f,
			uint64_t offset, uint64_t length)
{
	struct zkf_dev *d;
	int ret = zkf_hook_dev_get(td, f, &d);

	if (ret)
		return ret;
	dprint(FD_ZBD, "zonekit: %s: reset %" PRIu64 "+%" PRIu64 "\n",
	       f->file_name, offset, length);
	ret = zk_zone_op(d->dev, ZK_OP_RESET, offset, length);
	if (ret) {
		log_err("zonekit: %s: reset of %" PRIu64 "+%" PRIu64 ": %s\n",
			f->file_name, offset, length, zk_strerror(ret));
		errno = -ret;
	}
	zkf_dev_put(d);
	return ret;
}

static int zkf_get_max_open_zones(struct thread_data *td, struct fio_file *f,
				  unsigned int *max_open_zones)
{
	return zkf_dev_limits(td, f, NULL, max_open_zones);
}

/* fio looks this symbol up with dlsym() */
ZKF_EXPORT struct ioengine_ops ioengine = {
	.name = "zonekit",
	.version = FIO_IOOPS_VERSION,
	.flags = FIO_NOEXTEND | FIO_NODISKUTIL | FIO_ASYNCIO_SYNC_TRIM,
	.setup = zkf_setup,
	.init = zkf_init,
	.cleanup = zkf_cleanup,
	.open_file = zkf_open_file,
	.close_file = zkf_close_file,
	.invalidate = zkf_invalidate,
	.queue = zkf_queue,
	.commit = zkf_commit,
	.getevents = zkf_getevents,
	.event = zkf_event,
	.get_zoned_model = zkf_get_zoned_model,
	.report_zones = zkf_report_zones,
	.reset_wp = zkf_reset_wp,
	.get_max_open_zones = zkf_get_max_open_zones,
	.options = zkf_options,
	.option_struct_size = sizeof(struct zkf_options),
};
