/* SPDX-License-Identifier: MIT */
#include "cli_dev.h"

#include <errno.h>
#include <stdlib.h>

#include "cli_progress.h"
#include "cli_util.h"

int cli_dev_open(struct cli_dev *d, const char *cmd, const char *path,
		 unsigned int flags)
{
	int ret;

	d->cmd = cmd;
	d->path = path;
	d->dev = NULL;
	d->writable = !(flags & ZK_RDONLY);
	ret = zk_open(path, flags, &d->dev);
	if (ret < 0)
		return cli_fail(cmd, ret, "cannot open %s", path);
	ret = zk_info(d->dev, &d->info);
	if (ret < 0) {
		zk_close(d->dev);
		d->dev = NULL;
		return cli_fail(cmd, ret, "cannot get the geometry of %s",
				path);
	}
	return 0;
}

int cli_dev_close(struct cli_dev *d, int status)
{
	int ret;

	if (!d->dev)
		return status;
	if (d->writable) {
		ret = zk_flush(d->dev);
		if (ret < 0)
			status = cli_fail(d->cmd, ret, "cannot flush %s",
					  d->path);
	}
	zk_close(d->dev);
	d->dev = NULL;
	return status;
}

int cli_dev_run(const char *cmd, const char *path, unsigned int flags,
		int (*fn)(struct cli_dev *d, void *ctx), void *ctx)
{
	struct cli_dev d;
	int ret = cli_dev_open(&d, cmd, path, flags);

	if (ret)
		return ret;
	return cli_dev_close(&d, fn(&d, ctx));
}

int cli_zone_at(struct cli_dev *d, uint64_t offset, struct zk_zone *zone)
{
	unsigned int nr = 1;
	int ret = zk_report(d->dev, offset, zone, &nr);

	if (ret < 0)
		return ret;
	return nr == 1 ? 0 : -EINVAL;
}

static uint64_t chunk_size(uint64_t max_zones, uint64_t visited)
{
	uint64_t left = max_zones ? max_zones - visited : CLI_REPORT_CHUNK;

	return left < CLI_REPORT_CHUNK ? left : CLI_REPORT_CHUNK;
}

int cli_walk_zones(struct cli_dev *d, uint64_t offset, uint64_t max_zones,
		   zone_visit_fn visit, void *ctx,
		   struct cli_progress *progress)
{
	struct zk_zone *zones;
	uint64_t visited = 0;
	int ret = 0;

	zones = calloc(CLI_REPORT_CHUNK, sizeof(*zones));
	if (!zones)
		return -ENOMEM;
	while (offset < d->info.capacity && chunk_size(max_zones, visited)) {
		unsigned int nr = (unsigned int)chunk_size(max_zones, visited);

		ret = zk_report(d->dev, offset, zones, &nr);
		if (ret < 0 || nr == 0)
			break;
		for (unsigned int i = 0; i < nr && ret == 0; i++)
			ret = visit(&zones[i], ctx);
		visited += nr;
		if (progress)
			progress_update(progress, visited);
		if (ret)
			break;
		offset = zones[nr - 1].start + zones[nr - 1].len;
	}
	free(zones);
	return ret < 0 ? ret : 0;
}

bool range_past_end(const struct cli_dev *d, uint64_t offset, uint64_t len)
{
	return offset >= d->info.capacity || len > d->info.capacity - offset;
}

bool range_unaligned(const struct cli_dev *d, uint64_t offset, uint64_t len)
{
	uint32_t bs = d->info.block_size;

	return bs && (offset % bs || len % bs);
}

const char *backend_name(uint32_t backend)
{
	switch (backend) {
	case ZK_BACKEND_EMULATED:
		return "emulated";
	case ZK_BACKEND_BLKDEV:
		return "blkdev";
	default:
		return "unknown";
	}
}
