/* SPDX-License-Identifier: MIT */
/*
 * A device: picking the backend, learning every zone at open, and the calls
 * that only read state (info, report, read) or pass through (flush).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "compiler.h"
#include "device.h"
#include "geometry.h"
#include "zone_plug.h"

#define LEARN_CHUNK 4096u
#define LEARN_THREADS 8u
#define LEARN_PARALLEL_MIN 65536u

/* Learn zones [first, end) from the backend, a chunk at a time. */
struct learn_job {
	struct zk_dev *d;
	uint32_t first, end;
	int ret;
	pthread_t tid;
};

static void *learn_range(void *arg)
{
	struct learn_job *j = arg;
	struct zk_zone_state *st = calloc(LEARN_CHUNK, sizeof(*st));

	j->ret = st ? 0 : -ENOMEM;
	for (uint32_t z = j->first; z < j->end && !j->ret; z += LEARN_CHUNK) {
		uint32_t nr = j->end - z < LEARN_CHUNK ? j->end - z : LEARN_CHUNK;

		j->ret = j->d->ops->report(j->d, z, nr, st);
		for (uint32_t i = 0; i < nr && !j->ret; i++)
			wpt_set(&j->d->wpt, z + i,
				zs_word_from_state(j->d, z + i, &st[i]));
	}
	free(st);
	return NULL;
}

static unsigned int online_cpus(void)
{
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);

	return cpus > 1 ? (unsigned int)cpus : 1;
}

/* Learn every zone's condition and wp from the backend.  A large emulated
 * device is one stat() a zone: spread them over the CPUs. */
static int learn_all(struct zk_dev *d)
{
	struct learn_job jobs[LEARN_THREADS];
	unsigned int cpus = online_cpus();
	uint32_t n = 1, per;
	int ret = 0;

	if (d->nr_zones >= LEARN_PARALLEL_MIN && cpus > 1)
		n = cpus < LEARN_THREADS ? (uint32_t)cpus : LEARN_THREADS;
	per = (d->nr_zones + n - 1) / n;
	for (uint32_t i = 0; i < n; i++) {
		jobs[i] = (struct learn_job){ .d = d, .first = i * per };
		jobs[i].end = jobs[i].first + per < d->nr_zones ?
			jobs[i].first + per : d->nr_zones;
		if (i == 0 || pthread_create(&jobs[i].tid, NULL, learn_range,
					     &jobs[i]))
			jobs[i].tid = 0;
	}
	for (uint32_t i = 0; i < n; i++) {
		if (jobs[i].tid)
			pthread_join(jobs[i].tid, NULL);
		else
			learn_range(&jobs[i]);
		ret = ret ? ret : jobs[i].ret;
	}
	return ret < 0 ? ret : 0;
}

static const struct zk_backend_ops *pick_backend(const char *path)
{
	struct stat sb;

	if (stat(path, &sb))
		return NULL;
	if (S_ISDIR(sb.st_mode))
		return &zk_emu_ops;
	if (S_ISBLK(sb.st_mode))
		return &zk_blkdev_ops;
	errno = ENOTBLK;
	return NULL;
}

static int dev_setup(struct zk_dev *d)
{
	const char *why;
	int ret = zk_geometry_normalise(&d->geo, &why);

	if (ret)
		return ret;
	d->nr_zones = zk_geometry_nr_zones(&d->geo);
	if (d->write_gran < d->geo.block_size)
		d->write_gran = d->geo.block_size;
	d->zone_shift = (unsigned int)__builtin_ctzll(d->geo.zone_size);
	ret = wpt_init(&d->wpt, d->nr_zones);
	if (!ret)
		ret = stripes_init(d);
	if (!ret)
		ret = learn_all(d);
	if (!ret)
		ret = zs_recount(d);
	if (!ret && d->ops->learnt)
		ret = d->ops->learnt(d);
	d->ready = !ret;
	return ret;
}

ZK_EXPORT int zk_open(const char *path, unsigned int flags, struct zk_dev **devp)
{
	struct zk_dev *d;
	int ret;

	if (!path || !devp || (flags & ~(ZK_RDONLY | ZK_DIRECT)))
		return -EINVAL;
	d = calloc(1, sizeof(*d));
	if (!d)
		return -ENOMEM;
	d->flags = flags;
	zs_init(d);
	d->seq_type = ZK_ZONE_SEQ_REQUIRED;
	d->max_spinners = online_cpus() - 1;
	d->ops = pick_backend(path);
	if (!d->ops) {
		free(d);
		return -errno;
	}
	d->path = strdup(path);
	ret = d->path ? d->ops->open(d, path, flags) : -ENOMEM;
	if (ret) {
		zs_free(d);
		free(d->path);
		free(d);
		return ret;
	}
	ret = dev_setup(d);
	if (ret) {
		zk_close(d);
		return ret;
	}
	*devp = d;
	return 0;
}

/* zonekit's state of zones [first, first + nr), for a backend's save. */
static void table_state(struct zk_dev *d, uint32_t first, uint32_t nr,
			struct zk_zone_state *out)
{
	for (uint32_t i = 0; i < nr; i++) {
		uint64_t e = wpt_get(&d->wpt, first + i);

		out[i].type = wpe_conv(e) ? ZK_ZONE_CONVENTIONAL : d->seq_type;
		out[i].cond = (uint8_t)wpe_cond(e);
		out[i].wp = wpe_wp(e);
	}
}

ZK_EXPORT void zk_close(struct zk_dev *d)
{
	if (!d)
		return;
	if (d->ready && !(d->flags & ZK_RDONLY) && d->ops->save)
		d->ops->save(d, table_state);
	d->ops->close(d);
	stripes_free(d);
	zs_free(d);
	wpt_free(&d->wpt);
	free(d->path);
	free(d);
}

ZK_EXPORT int zk_info(struct zk_dev *d, struct zk_info *info)
{
	if (!d || !info)
		return -EINVAL;
	memset(info, 0, sizeof(*info));
	info->capacity = d->geo.capacity;
	info->zone_size = d->geo.zone_size;
	info->zone_capacity = d->geo.zone_capacity;
	info->nr_conv_zones = d->geo.nr_conv_zones;
	info->block_size = d->geo.block_size;
	info->max_open = d->geo.max_open;
	info->max_active = d->geo.max_active;
	info->max_append = d->geo.max_append;
	info->nr_zones = d->nr_zones;
	info->backend = d->ops->kind;
	info->write_granularity = d->write_gran;
	info->flags = d->flags;
	return 0;
}

static void zone_describe(struct zk_dev *d, uint32_t z, struct zk_zone *out)
{
	uint64_t e = wpt_get(&d->wpt, z);

	memset(out, 0, sizeof(*out));
	out->start = zk_zone_start(d, z);
	out->len = zk_zone_len(d, z);
	out->capacity = wpe_conv(e) ? out->len : zk_zone_cap(d, z);
	out->wp = wpe_wp(e);
	out->type = wpe_conv(e) ? ZK_ZONE_CONVENTIONAL : d->seq_type;
	out->cond = (uint8_t)wpe_cond(e);
}

ZK_EXPORT int zk_report(struct zk_dev *d, uint64_t off, struct zk_zone *zones,
			unsigned int *nr)
{
	uint32_t z, n = 0;

	if (!d || !nr || (*nr && !zones) || off >= d->geo.capacity)
		return -EINVAL;
	for (z = zk_zone_of(d, off); z < d->nr_zones && n < *nr; z++, n++)
		zone_describe(d, z, &zones[n]);
	*nr = n;
	return 0;
}

ZK_EXPORT int zk_flush(struct zk_dev *d)
{
	if (!d)
		return -EINVAL;
	if (d->flags & ZK_RDONLY)
		return 0;
	return d->ops->flush(d);
}

ZK_EXPORT int zk_stats(struct zk_dev *d, struct zk_stats *st)
{
	if (!d || !st)
		return -EINVAL;
	memset(st, 0, sizeof(*st));
	for (uint32_t i = 0; i <= d->stripe_mask; i++) {
		struct zk_stripe *s = &d->stripes[i];

		st->appends += atomic_load_explicit(&s->appends,
						    memory_order_relaxed);
		st->writes += atomic_load_explicit(&s->writes,
						   memory_order_relaxed);
		st->batches += atomic_load_explicit(&s->batches,
						    memory_order_relaxed);
		st->merged += atomic_load_explicit(&s->merged,
						   memory_order_relaxed);
	}
	st->writes += atomic_load(&d->stats.writes);
	st->relearns = atomic_load(&d->stats.relearns);
	st->retried = atomic_load(&d->stats.retried);
	return 0;
}
