/* SPDX-License-Identifier: MIT */
/*
 * The emulated device's data path: writes (buffered, or O_DIRECT with
 * ZK_DIRECT), reads, flushes, and the hooks of the io_uring path.  Writes
 * are buffered by default; a dirty bit per zone lets zk_flush() fdatasync
 * only the zones written since the last flush.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "emu.h"

/* ZK_DIRECT: can the file system do direct I/O on the zone files, and at
 * which alignment?  Asked of the last zone's file (every zone file is on
 * the same file system).  statx() knows the alignment on most local file
 * systems (Linux 6.1 on); where it does not say, an O_DIRECT open that
 * succeeds is taken to mean the logical block size and page-aligned
 * memory, the strictest anyone asks for. */
int direct_io_setup(struct zk_dev *d)
{
	struct emu *e = emu_of(d);
	char name[NAME_MAX_LEN];
	struct statx stx;
	int fd;

	zone_file_name(&d->geo, d->nr_zones - 1, name);
	fd = openat(e->dirfd, name, O_RDONLY | O_DIRECT | O_CLOEXEC);
	if (fd < 0)
		return errno == EINVAL ? -EOPNOTSUPP : -errno;
	e->mem_align = 4096;
	e->len_align = d->geo.block_size;
	if (!statx(fd, "", AT_EMPTY_PATH, STATX_DIOALIGN, &stx) &&
	    (stx.stx_mask & STATX_DIOALIGN) && stx.stx_dio_offset_align) {
		if (stx.stx_dio_mem_align) /* 0 would make every buffer odd */
			e->mem_align = stx.stx_dio_mem_align;
		e->len_align = stx.stx_dio_offset_align;
	}
	close(fd);
	if (!e->len_align || d->geo.block_size % e->len_align)
		return -EINVAL;
	e->direct = true;
	e->oflags |= O_DIRECT;
	return 0;
}

/* May this data go to or from an O_DIRECT zone file as it is? */
static bool direct_ok(const struct emu *e, const struct iovec *iov, int cnt)
{
	return !e->direct ||
	       zk_iov_aligned(iov, cnt, e->mem_align, e->len_align);
}

/* Never leave a partial block at the end of a zone file: its size is the
 * wp, and a wp must be block aligned. */
static ssize_t trim_partial_block(struct zk_dev *d, int fd, uint64_t foff,
				  size_t done)
{
	size_t whole = done - done % d->geo.block_size;

	if (whole != done && ftruncate(fd, (off_t)(foff + whole)))
		return -errno;
	return (ssize_t)whole;
}

ssize_t emu_pwritev(struct zk_dev *d, uint32_t z, const struct iovec *iov,
		    int iovcnt, uint64_t off)
{
	uint64_t foff = off - zk_zone_start(d, z);
	struct emu *e = emu_of(d);
	struct fd_handle h;
	size_t total = 0, done;
	ssize_t n;
	int ret, err;

	if (iovcnt < 1 || iovcnt > ZK_IOV_MAX)
		return -EINVAL;
	ret = open_conds_drop(d);
	if (ret)
		return ret;
	ret = slot_get(d, z, &h);
	if (ret)
		return ret;
	ret = check_against_file(d, z, h.fd, foff);
	if (ret) {
		slot_put(&h);
		return ret;
	}
	if (direct_ok(e, iov, iovcnt))
		done = zk_pwritev_full(h.fd, iov, iovcnt, foff, &err);
	else
		done = zk_pwritev_bounced(&e->bounce, h.fd, iov, iovcnt, foff,
					  &err);
	n = (ssize_t)done;
	for (int i = 0; i < iovcnt; i++)
		total += iov[i].iov_len;
	if (done < total && !zk_zone_is_conv(d, z))
		n = trim_partial_block(d, h.fd, foff, done);
	if (err)
		n = err; /* say why, even after some blocks went in: the
			  * core finds them by reading the zone back, keeps
			  * whole requests and takes back the rest (a short
			  * count alone would be retried, and a full file
			  * system would fill and be rewound forever) */
	slot_put(&h);
	if (n > 0)
		mark_dirty(e, z);
	return n;
}

int emu_rewind(struct zk_dev *d, uint32_t z, uint64_t wp)
{
	struct fd_handle h;
	int ret = slot_get(d, z, &h);

	if (ret)
		return ret;
	if (ftruncate(h.fd, (off_t)(wp - zk_zone_start(d, z))))
		ret = -errno;
	slot_put(&h);
	if (!ret)
		mark_dirty(emu_of(d), z);
	return ret;
}

/* Reads what the file has, zeros past its end (the wp), as zloop. */
ssize_t emu_pread(struct zk_dev *d, uint32_t z, void *buf, size_t len,
		  uint64_t off)
{
	struct iovec v = { .iov_base = buf, .iov_len = len };
	uint64_t foff = off - zk_zone_start(d, z);
	struct emu *e = emu_of(d);
	struct fd_handle h;
	ssize_t ret = slot_get(d, z, &h);

	if (ret)
		return ret;
	if (direct_ok(e, &v, 1))
		ret = zk_pread_full(h.fd, buf, len, foff, true);
	else
		ret = zk_pread_bounced(&e->bounce, h.fd, buf, len, foff, true);
	slot_put(&h);
	return ret;
}

static int flush_zone(struct zk_dev *d, uint32_t z)
{
	struct fd_handle h;
	int ret = slot_get(d, z, &h);

	if (ret)
		return ret;
	if (fdatasync(h.fd))
		ret = -errno;
	slot_put(&h);
	return ret;
}

static int flush_dirty_zones(struct zk_dev *d)
{
	struct emu *e = emu_of(d);
	uint32_t words = (d->nr_zones + 63) / 64;

	for (uint32_t w = 0; w < words; w++) {
		uint64_t bits = atomic_exchange(&e->dirty[w], 0);

		while (bits) {
			uint32_t b = (uint32_t)__builtin_ctzll(bits);
			int ret = flush_zone(d, w * 64 + b);

			if (ret) { /* keep them for the next flush */
				atomic_fetch_or(&e->dirty[w], bits);
				return ret;
			}
			bits &= bits - 1;
		}
	}
	return 0;
}

/* Flushes are serialised: a second caller must not find the dirty bits
 * taken by a flush still syncing and return early.  The first flush of a
 * handle syncs the whole file system once, for what earlier handles (or a
 * crashed process) left unflushed, as a device's cache flush would. */
int emu_flush(struct zk_dev *d)
{
	struct emu *e = emu_of(d);
	int ret = 0;

	pthread_mutex_lock(&e->flush_lock);
	if (!e->flushed_once) {
		ret = syncfs(e->dirfd) ? -errno : 0;
		e->flushed_once = !ret;
	}
	if (!ret)
		ret = flush_dirty_zones(d);
	pthread_mutex_unlock(&e->flush_lock);
	return ret;
}

/* ---- the io_uring path ---- */

int emu_io_get(struct zk_dev *d, uint32_t z, uint64_t off,
		      const struct iovec *iov, int iovcnt, bool write,
		      struct zk_io_ref *ref)
{
	struct fd_handle h;
	int ret;

	if (!direct_ok(emu_of(d), iov, iovcnt))
		return -EOPNOTSUPP; /* the synchronous path bounces it */
	if (write && open_conds_drop(d))
		return -EOPNOTSUPP; /* the synchronous path says why */
	ret = slot_get(d, z, &h);
	if (ret)
		return ret;
	if (write && check_against_file(d, z, h.fd, off - zk_zone_start(d, z))) {
		slot_put(&h);
		return -EOPNOTSUPP; /* the synchronous path will say EIO */
	}
	ref->fd = h.fd;
	ref->token = h.slot;
	ref->foff = off - zk_zone_start(d, z);
	return 0;
}

ssize_t emu_io_put(struct zk_dev *d, uint32_t z, struct zk_io_ref *ref,
			  ssize_t res, size_t total, bool write)
{
	struct fd_handle h = { .fd = ref->fd, .slot = ref->token };

	if (write && res >= 0 && (size_t)res < total && !zk_zone_is_conv(d, z))
		res = trim_partial_block(d, ref->fd, ref->foff, (size_t)res);
	if (write && res > 0)
		mark_dirty(emu_of(d), z);
	slot_put(&h);
	return res;
}

