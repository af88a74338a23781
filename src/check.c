/* SPDX-License-Identifier: MIT */
/*
 * Argument checks shared by every entry point that writes or reads, and
 * zk_write_problem() / zk_append_problem(), which say in words why a write
 * or an append would be refused.  The words are written where the rule is,
 * so the two never disagree; the data path passes no buffer and pays for
 * none of it.
 */
#include "check.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>

#include "compiler.h"
#include "device.h"
#include "zone_plug.h"

/* Where the reason for a refusal goes: NULL on the data path. */
struct why {
	char *buf;
	size_t size;
};

static int refuse(struct why *w, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* @err, with the reason written to @w if there is one. */
static int refuse(struct why *w, int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	/* clang-tidy 14 on this gcc build does not see va_start: */
	if (w && w->size) /* NOLINTNEXTLINE(clang-analyzer-valist.Uninitialized) */
		vsnprintf(w->buf, w->size, fmt, ap);
	va_end(ap);
	return err;
}

static int write_args(struct zk_dev *d, size_t len, uint64_t off,
		      struct why *w)
{
	uint32_t bs = d->geo.block_size;
	uint64_t zone_end;

	if (d->flags & ZK_RDONLY)
		return refuse(w, -EBADF, "the device is open read-only");
	if (!len)
		return refuse(w, -EINVAL, "nothing to write (0 bytes)");
	if (len % bs || off % bs)
		return refuse(w, -EINVAL, "not aligned to the block size (%" PRIu32 ")",
			      bs);
	if (off >= d->geo.capacity || len > d->geo.capacity - off)
		return refuse(w, -EINVAL, "it goes past the end of the device (0x%" PRIx64 ")",
			      d->geo.capacity);
	zone_end = zk_zone_start(d, zk_zone_of(d, off)) +
		   zk_zone_len(d, zk_zone_of(d, off));
	if (off + len > zone_end) /* the kernel lets it span zones; we do not */
		return refuse(w, -EINVAL, "it crosses the end of its zone (0x%" PRIx64 ")",
			      zone_end);
	if (zk_unlikely(d->write_gran > bs) &&
	    !zk_zone_is_conv(d, zk_zone_of(d, off)) &&
	    (len % d->write_gran || off % d->write_gran))
		return refuse(w, -EINVAL, "not aligned to the zone write granularity (%" PRIu32 ")",
			      d->write_gran);
	return 0;
}

int zk_check_write(struct zk_dev *d, size_t len, uint64_t off)
{
	return write_args(d, len, off, NULL);
}

static int append_args(struct zk_dev *d, uint64_t zone_start, size_t len,
		       struct why *w)
{
	uint32_t bs = d->geo.block_size;
	uint32_t z;

	if (d->flags & ZK_RDONLY)
		return refuse(w, -EBADF, "the device is open read-only");
	if (zone_start >= d->geo.capacity)
		return refuse(w, -EINVAL, "0x%" PRIx64 " is past the end of the device (0x%" PRIx64 ")",
			      zone_start, d->geo.capacity);
	z = zk_zone_of(d, zone_start);
	if (zone_start != zk_zone_start(d, z))
		return refuse(w, -EINVAL, "0x%" PRIx64 " is not the start of a zone (its zone starts at 0x%" PRIx64 ")",
			      zone_start, zk_zone_start(d, z));
	if (!len)
		return refuse(w, -EINVAL, "nothing to append (0 bytes)");
	if (len % bs)
		return refuse(w, -EINVAL, "not a multiple of the block size (%" PRIu32 ")",
			      bs);
	if (len % d->write_gran)
		return refuse(w, -EINVAL, "not a multiple of the zone write granularity (%" PRIu32 ")",
			      d->write_gran);
	if (d->geo.max_append && len > d->geo.max_append)
		return refuse(w, -EINVAL, "the device appends at most %" PRIu64 " bytes at once",
			      d->geo.max_append);
	if (zk_zone_is_conv(d, z))
		return refuse(w, -EIO, "the zone at 0x%" PRIx64 " is conventional",
			      zone_start);
	/* Longer than the zone: it would cross the capacity wherever the wp
	 * is, so the kernel's answer, EIO (blk_check_zone_append). */
	if (len > zk_zone_len(d, z))
		return refuse(w, -EIO, "it is longer than the zone (%" PRIu64 " bytes)",
			      zk_zone_len(d, z));
	return 0;
}

int zk_check_append(struct zk_dev *d, uint64_t zone_start, size_t len)
{
	return append_args(d, zone_start, len, NULL);
}

int zk_check_read(struct zk_dev *d, size_t len, uint64_t off)
{
	if (!len || len % d->geo.block_size || off % d->geo.block_size)
		return -EINVAL;
	if (off >= d->geo.capacity || len > d->geo.capacity - off)
		return -EINVAL;
	return 0;
}

/* ---- what the zone says (zk_write_problem, zk_append_problem) ---- */

static int zone_refusal(struct zk_dev *d, uint32_t z, enum zs_refusal why,
			const struct zone_model *m, struct why *w)
{
	uint64_t start = zk_zone_start(d, z);

	switch (why) {
	case ZS_WRITE_OK:
		break;
	case ZS_NOT_WRITABLE:
		return refuse(w, -EIO, "the zone at 0x%" PRIx64 " is %s", start,
			      zk_zone_cond_name(m->cond));
	case ZS_NOT_AT_WP:
		return refuse(w, -EIO, "not at the zone's write pointer (0x%" PRIx64 ")",
			      m->wp);
	case ZS_PAST_CAPACITY:
		return refuse(w, -EIO, "only %" PRIu64 " bytes are left in the zone (its capacity ends at 0x%" PRIx64 ")",
			      start + zk_zone_cap(d, z) - m->wp,
			      start + zk_zone_cap(d, z));
	case ZS_TOO_MANY_ACTIVE:
		return refuse(w, -EOVERFLOW, "too many active zones (the device allows %" PRIu32 ")",
			      d->geo.max_active);
	case ZS_TOO_MANY_OPEN:
		return refuse(w, -ETOOMANYREFS, "too many open zones (the device allows %" PRIu32 ")",
			      d->geo.max_open);
	}
	return 0;
}

/* Judge a write of @len at @off (UINT64_MAX: append) to sequential zone
 * @z by the model, as the engine would reserve it now. */
static int zone_problem(struct zk_dev *d, uint32_t z, uint64_t off,
			size_t len, struct why *w)
{
	struct zk_stripe *s = zk_stripe_of(d, z);
	struct zone_plug *p;
	struct zone_model m;
	enum zs_refusal why;

	/* res.lock for the open/active counts; order: res -> stripe. */
	zk_lock(&d->res.lock);
	zk_lock(&s->lock);
	p = plug_find(d, z);
	why = zs_write_refusal(d, z, p ? &p->resv : NULL, off, len, &m);
	zk_unlock(&s->lock);
	zk_unlock(&d->res.lock);
	return zone_refusal(d, z, why, &m, w);
}

static void why_clear(struct why *w)
{
	if (w->size)
		w->buf[0] = '\0';
}

ZK_EXPORT int zk_write_problem(struct zk_dev *d, uint64_t offset, size_t len,
			       char *why, size_t size)
{
	struct why w = { .buf = why, .size = why ? size : 0 };
	uint32_t z;
	int ret;

	why_clear(&w);
	if (!d)
		return refuse(&w, -EINVAL, "no device");
	ret = write_args(d, len, offset, &w);
	if (ret)
		return ret;
	z = zk_zone_of(d, offset);
	if (zk_zone_is_conv(d, z))
		return 0; /* written anywhere */
	return zone_problem(d, z, offset, len, &w);
}

ZK_EXPORT int zk_append_problem(struct zk_dev *d, uint64_t zone_start,
				size_t len, char *why, size_t size)
{
	struct why w = { .buf = why, .size = why ? size : 0 };
	int ret;

	why_clear(&w);
	if (!d)
		return refuse(&w, -EINVAL, "no device");
	ret = append_args(d, zone_start, len, &w);
	if (ret)
		return ret;
	return zone_problem(d, zk_zone_of(d, zone_start), UINT64_MAX, len, &w);
}
