/* SPDX-License-Identifier: MIT */
/*
 * The emulated zoned device: a directory in the layout of the kernel's
 * zoned loop device (zloop).  One file per zone, cnv-NNNNNN (always zone
 * sized) or seq-NNNNNN (its size is the zone's wp: reset truncates it to 0,
 * finish to the zone size), and a text file "geometry" written last at
 * creation.  Zones marked read-only or offline are listed in "conditions".
 *
 * Zone files are opened lazily through a small direct-mapped cache of
 * descriptors, so a device of a million zones does not hold a million files
 * open.  Writes are buffered; zk_flush() fdatasyncs the zones written since
 * the last flush.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "zk_internal.h"

#define GEOMETRY_FILE "geometry"
#define SNAPSHOT_FILE "wp-snapshot"
#define SNAPSHOT_MAGIC "zonekit-wps-1\n"
/* Below this many zones, stat()ing every zone file at open is cheap (a
 * few ms) and checks every file: no snapshot. */
#define SNAPSHOT_MIN_ZONES 4096u
#define CONDITIONS_FILE "conditions"
#define NAME_MAX_LEN 32

/* A cached descriptor, taken and given back without a lock: a user counts
 * itself in refs before it looks at the key, and the slot is refilled only
 * by a thread that turned refs from 0 to SLOT_REFILL, so a descriptor is
 * never closed under a user, and a user that comes in during a refill sees
 * the flag and opens its own. */
#define SLOT_REFILL 0x80000000u
#define SLOT_EMPTY UINT64_MAX

struct fd_slot {
	_Atomic uint64_t key;  /* zone << 32 | fd, or SLOT_EMPTY */
	_Atomic uint32_t refs; /* users of the descriptor, | SLOT_REFILL */
} __attribute__((aligned(64)));

struct fd_handle {
	int fd;
	struct fd_slot *slot; /* NULL: not cached, close after use */
};

struct emu {
	int dirfd;
	int oflags;
	/* ZK_DIRECT: O_DIRECT zone files; buffers whose addresses are not
	 * multiples of mem_align or lengths of len_align are bounced. */
	bool direct;
	uint32_t mem_align, len_align;
	struct zk_bounce_pool bounce;
	struct fd_slot *slots;
	uint32_t nr_slots;
	_Atomic uint64_t *dirty; /* a bit per zone written since the last flush */
	pthread_mutex_t marks_lock;
	pthread_mutex_t flush_lock; /* a flush returns after the one before it */
	bool flushed_once;
	uint8_t *marks;          /* per zone: 0, READONLY or OFFLINE; NULL: none */
	/* Zone file sizes from the snapshot of the last clean close, while
	 * the device is being opened; then whether the wps came from it
	 * (each zone's file is checked at its first write: unchecked). */
	int snap_fd;             /* -1: none */
	bool from_snapshot, learnt;
	_Atomic uint64_t *unchecked;
};

static struct emu *emu_of(struct zk_dev *d) { return d->priv; }

static void zone_file_name(const struct zk_geometry *g, uint32_t z,
			   char name[NAME_MAX_LEN])
{
	snprintf(name, NAME_MAX_LEN, "%s-%06u",
		 z < g->nr_conv_zones ? "cnv" : "seq", z);
}

/* ---- descriptor cache ---- */

static uint64_t slot_key(uint32_t z, int fd)
{
	return (uint64_t)z << 32 | (uint32_t)fd;
}

/* Count ourselves in as a user of @s if it holds zone @z's descriptor. */
static bool slot_hit(struct fd_slot *s, uint32_t z, struct fd_handle *h)
{
	uint32_t refs = atomic_fetch_add(&s->refs, 1);
	uint64_t key;

	if (!(refs & SLOT_REFILL)) {
		key = atomic_load(&s->key);
		if (key != SLOT_EMPTY && key >> 32 == z) {
			h->fd = (int)(uint32_t)key;
			h->slot = s;
			return true;
		}
	}
	atomic_fetch_sub(&s->refs, 1);
	return false;
}

/* Put @fd in @s if nobody uses it, as its one user; else false. */
static bool slot_refill(struct fd_slot *s, uint32_t z, int fd,
			struct fd_handle *h)
{
	uint32_t idle = 0;
	uint64_t old;

	if (!atomic_compare_exchange_strong(&s->refs, &idle, SLOT_REFILL))
		return false;
	old = atomic_exchange(&s->key, slot_key(z, fd));
	/* Users that came in meanwhile saw the flag and leave again. */
	atomic_fetch_add(&s->refs, 1 - SLOT_REFILL);
	if (old != SLOT_EMPTY)
		close((int)(uint32_t)old);
	h->fd = fd;
	h->slot = s;
	return true;
}

static int slot_get(struct zk_dev *d, uint32_t z, struct fd_handle *h)
{
	struct emu *e = emu_of(d);
	struct fd_slot *s = &e->slots[z % e->nr_slots];
	char name[NAME_MAX_LEN];
	int fd;

	h->fd = -1;
	h->slot = NULL;
	if (slot_hit(s, z, h))
		return 0;
	zone_file_name(&d->geo, z, name);
	fd = openat(e->dirfd, name, e->oflags | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? -EUCLEAN : -errno;
	if (slot_hit(s, z, h)) { /* someone was quicker */
		close(fd);
		return 0;
	}
	if (!slot_refill(s, z, fd, h))
		h->fd = fd; /* in use: ours alone, closed after use */
	return 0;
}

static void slot_put(struct fd_handle *h)
{
	if (!h->slot) {
		close(h->fd);
		return;
	}
	atomic_fetch_sub(&h->slot->refs, 1);
}

static uint32_t slots_wanted(uint32_t nr_zones)
{
	struct rlimit rl;
	uint64_t n = 256;

	/* A quarter of the descriptors the process may open, at most 4096. */
	if (!getrlimit(RLIMIT_NOFILE, &rl) && rl.rlim_cur != RLIM_INFINITY)
		n = rl.rlim_cur / 4;
	if (n > 4096)
		n = 4096;
	if (n < 8)
		n = 8;
	return nr_zones < n ? nr_zones : (uint32_t)n;
}

static int slots_init(struct zk_dev *d)
{
	struct emu *e = emu_of(d);

	e->nr_slots = slots_wanted(d->nr_zones);
	e->slots = aligned_alloc(64, e->nr_slots * sizeof(*e->slots));
	if (!e->slots)
		return -ENOMEM;
	for (uint32_t i = 0; i < e->nr_slots; i++) {
		atomic_init(&e->slots[i].key, SLOT_EMPTY);
		atomic_init(&e->slots[i].refs, 0);
	}
	return 0;
}

static void mark_dirty(struct emu *e, uint32_t z)
{
	uint64_t bit = 1ULL << (z % 64);

	/* Look first: a locked write on every write would bounce the word
	 * between the threads writing its 64 zones. */
	if (!(atomic_load_explicit(&e->dirty[z / 64], memory_order_relaxed) &
	      bit))
		atomic_fetch_or_explicit(&e->dirty[z / 64], bit,
					 memory_order_relaxed);
}

/* ---- small files ---- */

static int read_small_file(int dirfd, const char *name, char *buf, size_t size,
			   size_t *len)
{
	int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOFOLLOW);
	struct stat sb;
	ssize_t n;

	*len = 0;
	if (fd < 0)
		return errno == ELOOP ? -EUCLEAN : -errno;
	if (fstat(fd, &sb) || !S_ISREG(sb.st_mode)) { /* a FIFO would block */
		close(fd);
		return -EUCLEAN;
	}
	n = read(fd, buf, size);
	close(fd);
	if (n < 0)
		return -errno;
	if ((size_t)n == size)
		return -EFBIG;
	*len = (size_t)n;
	return 0;
}

/* Write a file whole or not at all: a temporary, fsync, rename. */
static int write_file_atomic(int dirfd, const char *name, const char *buf,
			     size_t len)
{
	char tmp[64];
	int fd, ret = 0;

	snprintf(tmp, sizeof(tmp), ".%s.tmp", name);
	fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	if (write(fd, buf, len) != (ssize_t)len || fsync(fd))
		ret = errno ? -errno : -EIO;
	close(fd);
	if (!ret && renameat(dirfd, tmp, dirfd, name))
		ret = -errno;
	if (!ret)
		ret = fsync(dirfd) ? -errno : 0;
	if (ret)
		unlinkat(dirfd, tmp, 0);
	return ret;
}

/* ---- read-only / offline marks ---- */

static int marks_load(struct zk_dev *d)
{
	struct emu *e = emu_of(d);
	char *buf, *line, *save;
	size_t len, size;
	struct stat sb;
	int ret;

	if (fstatat(e->dirfd, CONDITIONS_FILE, &sb, AT_SYMLINK_NOFOLLOW))
		return errno == ENOENT ? 0 : -errno;
	if (!S_ISREG(sb.st_mode) || (uint64_t)sb.st_size > (uint64_t)d->nr_zones * 24)
		return -EUCLEAN;
	size = (size_t)sb.st_size + 2;
	buf = malloc(size);
	if (!buf)
		return -ENOMEM;
	ret = read_small_file(e->dirfd, CONDITIONS_FILE, buf, size - 1, &len);
	if (ret == -ENOENT) {
		free(buf);
		return 0;
	}
	if (!ret) {
		buf[len] = '\0';
		e->marks = calloc(d->nr_zones, 1);
		ret = e->marks ? 0 : -ENOMEM;
	}
	for (line = ret ? NULL : strtok_r(buf, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		unsigned int z;
		char what[16];

		if (sscanf(line, "seq-%u %15s", &z, what) != 2 ||
		    z >= d->nr_zones || zk_zone_is_conv(d, z)) {
			ret = -EUCLEAN;
			break;
		}
		if (!strcmp(what, "read-only"))
			e->marks[z] = ZK_COND_READONLY;
		else if (!strcmp(what, "offline"))
			e->marks[z] = ZK_COND_OFFLINE;
		else {
			ret = -EUCLEAN;
			break;
		}
	}
	free(buf);
	return ret;
}

static int marks_save(struct zk_dev *d)
{
	struct emu *e = emu_of(d);
	size_t size = 1 + (size_t)d->nr_zones * 24, len = 0;
	char *buf = malloc(size);
	int ret;

	if (!buf)
		return -ENOMEM;
	buf[0] = '\0';
	for (uint32_t z = 0; z < d->nr_zones; z++) {
		if (!e->marks[z])
			continue;
		len += (size_t)snprintf(buf + len, size - len, "seq-%06u %s\n", z,
					zk_zone_cond_name(e->marks[z]));
	}
	ret = write_file_atomic(e->dirfd, CONDITIONS_FILE, buf, len);
	free(buf);
	return ret;
}

static int emu_set_cond(struct zk_dev *d, uint32_t z, unsigned int cond)
{
	struct emu *e = emu_of(d);
	struct fd_handle h;
	uint8_t old;
	int ret = 0;

	if (cond == ZK_COND_EMPTY) { /* back in service: reset */
		ret = slot_get(d, z, &h);
		if (ret)
			return ret;
		if (ftruncate(h.fd, 0))
			ret = -errno;
		slot_put(&h);
		if (ret)
			return ret;
		mark_dirty(e, z);
	}
	pthread_mutex_lock(&e->marks_lock);
	if (!e->marks)
		e->marks = calloc(d->nr_zones, 1);
	if (!e->marks) {
		pthread_mutex_unlock(&e->marks_lock);
		return -ENOMEM;
	}
	old = e->marks[z];
	e->marks[z] = cond == ZK_COND_EMPTY ? 0 : (uint8_t)cond;
	ret = marks_save(d);
	if (ret)
		e->marks[z] = old;
	pthread_mutex_unlock(&e->marks_lock);
	return ret;
}

/* ---- the wp snapshot ----
 *
 * Opening a device means learning every zone's wp, one stat() a zone file:
 * seconds for a million zones.  On devices of SNAPSHOT_MIN_ZONES zones or
 * more, creation and every clean close (every zone flushed) write
 * the zone file sizes to "wp-snapshot"; the next open reads them from it
 * and, if it may write, deletes it before anything is written, so a
 * snapshot never outlives the state it describes.  Should a zone file have
 * been changed behind zonekit's back while the device was closed, the
 * first write to that zone finds its size differs from the wp and fails
 * with EIO, and the core re-learns the zone from the file. */

struct snapshot_head {
	char magic[16];
	uint64_t nr_zones, zone_size, capacity, checksum;
};

#define SNAPSHOT_FNV_SEED 1469598103934665603ULL

static uint64_t snapshot_sum_more(uint64_t h, const uint64_t *v, uint64_t n)
{
	for (uint64_t i = 0; i < n; i++) /* FNV-1a over the words */
		h = (h ^ v[i]) * 1099511628211ULL;
	return h;
}

static uint64_t snapshot_sum(const uint64_t *v, uint64_t n)
{
	return snapshot_sum_more(SNAPSHOT_FNV_SEED, v, n);
}

/* Check the snapshot a chunk at a time (it is not kept in memory: the
 * sizes are read again as zones are learnt) and keep it open if good. */
static bool snapshot_valid(struct zk_dev *d, int fd, uint32_t nr)
{
	uint64_t chunk[8192], sum = SNAPSHOT_FNV_SEED;
	struct snapshot_head h;
	struct stat sb;

	if (fstat(fd, &sb) ||
	    (uint64_t)sb.st_size != sizeof(h) + (uint64_t)nr * 8 ||
	    pread(fd, &h, sizeof(h), 0) != (ssize_t)sizeof(h) ||
	    memcmp(h.magic, SNAPSHOT_MAGIC, sizeof(SNAPSHOT_MAGIC) - 1) ||
	    h.nr_zones != nr || h.zone_size != d->geo.zone_size ||
	    h.capacity != d->geo.capacity)
		return false;
	for (uint32_t z = 0; z < nr; z += 8192) {
		uint32_t n = nr - z < 8192 ? nr - z : 8192;

		if (pread(fd, chunk, n * 8, (off_t)(sizeof(h) + (uint64_t)z * 8)) !=
		    (ssize_t)(n * 8))
			return false;
		sum = snapshot_sum_more(sum, chunk, n);
	}
	return sum == h.checksum;
}

static void snapshot_load(struct zk_dev *d)
{
	struct emu *e = emu_of(d);
	uint32_t nr = zk_geometry_nr_zones(&d->geo);
	int fd;

	if (nr < SNAPSHOT_MIN_ZONES)
		return;
	fd = openat(e->dirfd, SNAPSHOT_FILE, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	if (snapshot_valid(d, fd, nr))
		e->snap_fd = fd;
	else
		close(fd);
}

/* Sizes of zones [first, first + nr) from the snapshot. */
static int snapshot_sizes(struct emu *e, uint32_t first, uint32_t nr,
			  uint64_t *sizes)
{
	off_t off = (off_t)(sizeof(struct snapshot_head) + (uint64_t)first * 8);

	return pread(e->snap_fd, sizes, (size_t)nr * 8, off) == (ssize_t)nr * 8 ?
		0 : -EUCLEAN;
}

/* After open: forget the snapshot, and delete it before the first write. */
static void emu_learnt(struct zk_dev *d)
{
	struct emu *e = emu_of(d);

	e->learnt = true;
	if (e->snap_fd < 0)
		return;
	close(e->snap_fd);
	e->snap_fd = -1;
	if ((e->oflags & O_ACCMODE) == O_RDONLY)
		return;
	e->from_snapshot = true;
	e->unchecked = calloc((d->nr_zones + 63) / 64, sizeof(*e->unchecked));
	if (e->unchecked)
		memset((void *)e->unchecked, 0xff,
		       (d->nr_zones + 63) / 64 * sizeof(*e->unchecked));
	if (!unlinkat(e->dirfd, SNAPSHOT_FILE, 0))
		fsync(e->dirfd);
}

/* First write to zone @z since a snapshot open: is the file where the
 * snapshot said?  -EIO sends the core to re-learn it. */
static int check_against_file(struct zk_dev *d, uint32_t z, int fd,
			      uint64_t foff)
{
	struct emu *e = emu_of(d);
	uint64_t bit = 1ULL << (z % 64);
	struct stat sb;

	if (!e->from_snapshot || zk_zone_is_conv(d, z))
		return 0;
	if (!e->unchecked)
		return -EIO; /* cannot tell: make the core look */
	if (!(atomic_load(&e->unchecked[z / 64]) & bit))
		return 0;
	if (fstat(fd, &sb))
		return -errno;
	if ((uint64_t)sb.st_size != foff)
		return -EIO;
	atomic_fetch_and(&e->unchecked[z / 64], ~bit);
	return 0;
}

static int snapshot_write(int dirfd, const struct zk_geometry *g,
			  struct snapshot_head *h, uint32_t nr)
{
	memcpy(h->magic, SNAPSHOT_MAGIC, sizeof(SNAPSHOT_MAGIC) - 1);
	h->nr_zones = nr;
	h->zone_size = g->zone_size;
	h->capacity = g->capacity;
	h->checksum = snapshot_sum((uint64_t *)(h + 1), nr);
	return write_file_atomic(dirfd, SNAPSHOT_FILE, (const char *)h,
				 sizeof(*h) + (size_t)nr * 8);
}

/* At a clean close: every zone durable, then the sizes. */
static void snapshot_save(struct zk_dev *d)
{
	struct emu *e = emu_of(d);
	struct snapshot_head *h;
	uint64_t *sizes;

	if (!e->learnt || (e->oflags & O_ACCMODE) == O_RDONLY ||
	    d->nr_zones < SNAPSHOT_MIN_ZONES || d->ops->flush(d))
		return;
	h = calloc(1, sizeof(*h) + (size_t)d->nr_zones * 8);
	if (!h)
		return;
	sizes = (uint64_t *)(h + 1);
	for (uint32_t z = 0; z < d->nr_zones; z++) {
		uint64_t ent = wpt_get(&d->wpt, z);
		unsigned int cond = wpe_cond(ent);

		if (cond == ZK_COND_OFFLINE || cond == ZK_COND_READONLY) {
			free(h); /* their files keep sizes of their own */
			return;
		}
		sizes[z] = zk_zone_len(d, z);
		if (!wpe_conv(ent) && cond != ZK_COND_FULL)
			sizes[z] = wpe_wp(ent) - zk_zone_start(d, z);
	}
	snapshot_write(e->dirfd, &d->geo, h, d->nr_zones);
	free(h);
}

/* A new device: conventional zones full size, sequential ones empty. */
static int snapshot_create(int dirfd, const struct zk_geometry *g)
{
	uint32_t nr = zk_geometry_nr_zones(g);
	struct snapshot_head *h = calloc(1, sizeof(*h) + (size_t)nr * 8);
	uint64_t *sizes;
	int ret;

	if (nr < SNAPSHOT_MIN_ZONES) {
		free(h);
		return 0;
	}
	if (!h)
		return -ENOMEM;
	sizes = (uint64_t *)(h + 1);
	for (uint32_t z = 0; z < g->nr_conv_zones; z++)
		sizes[z] = g->zone_size; /* never the smaller last zone */
	ret = snapshot_write(dirfd, g, h, nr);
	free(h);
	return ret;
}

/* ---- the backend operations ---- */

/* Before allocating anything a zone: does the device have as many zones as
 * its geometry claims? */
static int last_zone_file_exists(struct zk_dev *d)
{
	char name[NAME_MAX_LEN];
	struct stat sb;

	zone_file_name(&d->geo, d->nr_zones - 1, name);
	if (fstatat(emu_of(d)->dirfd, name, &sb, AT_SYMLINK_NOFOLLOW) ||
	    !S_ISREG(sb.st_mode))
		return -EUCLEAN;
	return 0;
}

/* ZK_DIRECT: can the file system do direct I/O on the zone files, and at
 * which alignment?  Asked of the last zone's file (every zone file is on
 * the same file system).  statx() knows the alignment on most local file
 * systems (Linux 6.1 on); where it does not say, an O_DIRECT open that
 * succeeds is taken to mean the logical block size and page-aligned
 * memory, the strictest anyone asks for. */
static int direct_io_setup(struct zk_dev *d)
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

static int emu_open(struct zk_dev *d, const char *path, unsigned int flags)
{
	struct emu *e = calloc(1, sizeof(*e));
	char buf[4096];
	const char *why;
	size_t len;
	int ret;

	if (!e)
		return -ENOMEM;
	d->priv = e;
	e->snap_fd = -1;
	e->oflags = flags & ZK_RDONLY ? O_RDONLY : O_RDWR;
	d->buffered = !(flags & ZK_DIRECT);
	zk_bounce_init(&e->bounce);
	pthread_mutex_init(&e->marks_lock, NULL);
	pthread_mutex_init(&e->flush_lock, NULL);
	e->dirfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (e->dirfd < 0) {
		ret = -errno;
		goto fail;
	}
	/* One writer at a time: two would each trust their own wp table. */
	if (!(flags & ZK_RDONLY) && flock(e->dirfd, LOCK_EX | LOCK_NB)) {
		ret = errno == EWOULDBLOCK ? -EBUSY : -errno;
		goto fail;
	}
	ret = read_small_file(e->dirfd, GEOMETRY_FILE, buf, sizeof(buf), &len);
	if (ret) {
		ret = ret == -ENOENT ? -ENODEV : ret == -EFBIG ? -EUCLEAN : ret;
		goto fail;
	}
	if (zk_geometry_parse(buf, len, &d->geo, &why)) {
		ret = -EUCLEAN;
		goto fail;
	}
	d->nr_zones = zk_geometry_nr_zones(&d->geo);
	ret = last_zone_file_exists(d);
	if (!ret && (flags & ZK_DIRECT))
		ret = direct_io_setup(d);
	if (ret)
		goto fail;
	e->dirty = calloc((d->nr_zones + 63) / 64, sizeof(*e->dirty));
	ret = e->dirty ? slots_init(d) : -ENOMEM;
	if (!ret)
		ret = marks_load(d);
	if (ret)
		goto fail;
	snapshot_load(d);
	return 0;
fail:
	d->ops->close(d);
	return ret;
}

static void emu_close(struct zk_dev *d)
{
	struct emu *e = emu_of(d);

	if (!e)
		return;
	snapshot_save(d);
	for (uint32_t i = 0; e->slots && i < e->nr_slots; i++) {
		uint64_t key = atomic_load(&e->slots[i].key);

		if (key != SLOT_EMPTY)
			close((int)(uint32_t)key);
	}
	if (e->dirfd >= 0)
		close(e->dirfd); /* drops the flock */
	pthread_mutex_destroy(&e->marks_lock);
	pthread_mutex_destroy(&e->flush_lock);
	zk_bounce_destroy(&e->bounce);
	free(e->slots);
	free(e->dirty);
	free(e->marks);
	if (e->snap_fd >= 0)
		close(e->snap_fd);
	free((void *)e->unchecked);
	free(e);
	d->priv = NULL;
}

/* A sequential zone's condition from its file size.  The open conditions
 * are not on disk: they come from the model (what this device last said),
 * and a partly written zone found at open comes back CLOSED, as a real
 * device's after a power cycle. */
static int seq_zone_state(struct zk_dev *d, uint32_t z, uint64_t size,
			  struct zk_zone_state *st)
{
	uint64_t len = zk_zone_len(d, z), cap = zk_zone_cap(d, z);
	unsigned int model = wpe_cond(wpt_get(&d->wpt, z));
	struct emu *e = emu_of(d);

	st->type = ZK_ZONE_SEQ_REQUIRED;
	st->wp = zk_zone_start(d, z) + size;
	if (size % d->geo.block_size || size > len || (size > cap && size != len))
		return -EUCLEAN;
	if (e->marks && e->marks[z]) {
		st->cond = e->marks[z];
	} else if (size == cap || size == len) {
		st->cond = ZK_COND_FULL;
	} else if (size == 0) {
		/* An explicitly opened zone may hold nothing yet; an implicitly
		 * open one with an empty file was reset (null_blk: EMPTY). */
		st->cond = model == ZK_COND_EXP_OPEN ? model : ZK_COND_EMPTY;
	} else {
		st->cond = model == ZK_COND_IMP_OPEN ||
			model == ZK_COND_EXP_OPEN || model == ZK_COND_CLOSED ?
			model : ZK_COND_CLOSED;
	}
	return 0;
}

/* A zone file's size, by stat(). */
static int zone_file_size(struct zk_dev *d, uint32_t z, uint64_t *size)
{
	struct emu *e = emu_of(d);
	char name[NAME_MAX_LEN];
	struct stat sb;

	*size = 0;
	zone_file_name(&d->geo, z, name);
	if (fstatat(e->dirfd, name, &sb, AT_SYMLINK_NOFOLLOW))
		return errno == ENOENT ? -EUCLEAN : -errno;
	if (!S_ISREG(sb.st_mode))
		return -EUCLEAN;
	*size = (uint64_t)sb.st_size;
	return 0;
}

static int emu_report(struct zk_dev *d, uint32_t first, uint32_t nr,
		      struct zk_zone_state *out)
{
	struct emu *e = emu_of(d);
	uint64_t *snap = NULL, size;
	int ret = 0;

	if (e->snap_fd >= 0) { /* opening: the sizes of the last clean close */
		snap = malloc((size_t)nr * 8);
		ret = snap ? snapshot_sizes(e, first, nr, snap) : -ENOMEM;
	}
	for (uint32_t i = 0; i < nr && !ret; i++) {
		uint32_t z = first + i;

		if (snap)
			size = snap[i];
		else
			ret = zone_file_size(d, z, &size);
		if (ret)
			break;
		if (zk_zone_is_conv(d, z)) {
			if (size != zk_zone_len(d, z))
				ret = -EUCLEAN;
			out[i].type = ZK_ZONE_CONVENTIONAL;
			out[i].cond = ZK_COND_NOT_WP;
			out[i].wp = 0;
			continue;
		}
		ret = seq_zone_state(d, z, size, &out[i]);
	}
	free(snap);
	return ret;
}

static int emu_zone_op(struct zk_dev *d, enum zk_op op, uint32_t z)
{
	struct fd_handle h;
	off_t size;
	int ret;

	if (op == ZK_OP_OPEN || op == ZK_OP_CLOSE)
		return 0; /* open/closed live in memory only */
	size = op == ZK_OP_RESET ? 0 : (off_t)zk_zone_len(d, z);
	ret = slot_get(d, z, &h);
	if (ret)
		return ret;
	if (ftruncate(h.fd, size))
		ret = -errno;
	slot_put(&h);
	if (!ret)
		mark_dirty(emu_of(d), z);
	return ret;
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

/* Write everything, or as much as the file system takes: the byte count,
 * with the error that stopped it in *err.  @iov is left as it is; only a
 * short write that ends inside a buffer makes a copy of the rest. */
static size_t write_all(int fd, const struct iovec *iov, int cnt,
			uint64_t foff, int *err)
{
	struct iovec rest[BATCH_MAX_IOV];
	size_t done = 0;

	*err = 0;
	while (cnt > 0) {
		/* One buffer: pwrite, which the kernel takes a little faster
		 * (no iovec array to copy in). */
		ssize_t n = cnt == 1 ? pwrite(fd, iov->iov_base, iov->iov_len,
					      (off_t)(foff + done)) :
				       pwritev(fd, iov, cnt, (off_t)(foff + done));

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			*err = n < 0 ? -errno : -EIO;
			break;
		}
		done += (size_t)n;
		while (cnt > 0 && (size_t)n >= iov->iov_len) {
			n -= (ssize_t)iov->iov_len;
			iov++;
			cnt--;
		}
		if (cnt > 0 && n > 0) {
			memmove(rest, iov, (size_t)cnt * sizeof(*iov));
			rest[0].iov_base = (char *)rest[0].iov_base + n;
			rest[0].iov_len -= (size_t)n;
			iov = rest;
		}
	}
	return done;
}

/* ZK_DIRECT with a buffer O_DIRECT cannot take: through bounce buffers, a
 * chunk at a time (one write is in flight per zone: chunks go in order).
 * Same contract as write_all. */
static size_t write_bounced(struct emu *e, int fd, const struct iovec *iov,
			    int cnt, uint64_t foff, int *err)
{
	struct zk_iov_cursor c = { .iov = iov, .cnt = cnt };
	char *buf = zk_bounce_get(&e->bounce);
	size_t done = 0;

	*err = buf ? 0 : -ENOMEM;
	while (buf && c.cnt > 0) {
		struct iovec chunk = { .iov_base = buf };
		size_t n;

		chunk.iov_len = zk_bounce_fill(buf, &c);
		n = write_all(fd, &chunk, 1, foff + done, err);
		done += n;
		if (*err || n < chunk.iov_len)
			break;
	}
	if (buf)
		zk_bounce_put(&e->bounce, buf);
	return done;
}

static ssize_t emu_pwritev(struct zk_dev *d, uint32_t z,
			   const struct iovec *iov, int iovcnt, uint64_t off)
{
	uint64_t foff = off - zk_zone_start(d, z);
	struct fd_handle h;
	size_t total = 0, done;
	ssize_t n;
	int ret, err;

	if (iovcnt < 1 || iovcnt > BATCH_MAX_IOV)
		return -EINVAL;
	for (int i = 0; i < iovcnt; i++)
		total += iov[i].iov_len;
	ret = slot_get(d, z, &h);
	if (ret)
		return ret;
	ret = check_against_file(d, z, h.fd, foff);
	if (ret) {
		slot_put(&h);
		return ret;
	}
	if (direct_ok(emu_of(d), iov, iovcnt))
		done = write_all(h.fd, iov, iovcnt, foff, &err);
	else
		done = write_bounced(emu_of(d), h.fd, iov, iovcnt, foff, &err);
	n = (ssize_t)done;
	if (done < total && !zk_zone_is_conv(d, z))
		n = trim_partial_block(d, h.fd, foff, done);
	if (n == 0 && err)
		n = err; /* nothing usable written: say why */
	slot_put(&h);
	if (n > 0)
		mark_dirty(emu_of(d), z);
	return n;
}

/* Read what the file has, zeros past its end (the wp), as zloop. */
static ssize_t read_all(int fd, void *buf, size_t len, uint64_t foff)
{
	size_t done = 0;

	while (done < len) {
		ssize_t n = pread(fd, (char *)buf + done, len - done,
				  (off_t)(foff + done));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0) {
			memset((char *)buf + done, 0, len - done);
			break;
		}
		done += (size_t)n;
	}
	return (ssize_t)len;
}

static ssize_t read_bounced(struct emu *e, int fd, void *buf, size_t len,
			    uint64_t foff)
{
	char *bounce = zk_bounce_get(&e->bounce);
	size_t done = 0;
	ssize_t ret = 0;

	if (!bounce)
		return -ENOMEM;
	while (done < len && ret >= 0) {
		size_t n = len - done < ZK_BOUNCE_SIZE ? len - done : ZK_BOUNCE_SIZE;

		ret = read_all(fd, bounce, n, foff + done);
		if (ret >= 0)
			memcpy((char *)buf + done, bounce, n);
		done += n;
	}
	zk_bounce_put(&e->bounce, bounce);
	return ret < 0 ? ret : (ssize_t)len;
}

static ssize_t emu_pread(struct zk_dev *d, uint32_t z, void *buf, size_t len,
			 uint64_t off)
{
	struct iovec v = { .iov_base = buf, .iov_len = len };
	uint64_t foff = off - zk_zone_start(d, z);
	struct fd_handle h;
	ssize_t ret = slot_get(d, z, &h);

	if (ret)
		return ret;
	if (direct_ok(emu_of(d), &v, 1))
		ret = read_all(h.fd, buf, len, foff);
	else
		ret = read_bounced(emu_of(d), h.fd, buf, len, foff);
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
static int emu_flush(struct zk_dev *d)
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

static int emu_io_get(struct zk_dev *d, uint32_t z, uint64_t off,
		      const struct iovec *iov, int iovcnt, bool write,
		      struct zk_io_ref *ref)
{
	struct fd_handle h;
	int ret;

	if (!direct_ok(emu_of(d), iov, iovcnt))
		return -EOPNOTSUPP; /* the synchronous path bounces it */
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

static ssize_t emu_io_put(struct zk_dev *d, uint32_t z, struct zk_io_ref *ref,
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

const struct zk_backend_ops zk_emu_ops = {
	.io_get = emu_io_get,
	.io_put = emu_io_put,
	.name = "emulated",
	.open = emu_open,
	.close = emu_close,
	.report = emu_report,
	.zone_op = emu_zone_op,
	.pwritev = emu_pwritev,
	.pread = emu_pread,
	.flush = emu_flush,
	.set_cond = emu_set_cond,
	.learnt = emu_learnt,
	.relearn_after_zone_op = false,
};

/* ---- creation ---- */

static int dir_is_empty(int dirfd)
{
	int fd = dup(dirfd);
	DIR *dir = fd >= 0 ? fdopendir(fd) : NULL;
	struct dirent *de;
	int ret = 1;

	if (!dir) {
		if (fd >= 0)
			close(fd);
		return -errno;
	}
	while ((de = readdir(dir))) {
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..")) {
			ret = 0;
			break;
		}
	}
	closedir(dir);
	return ret;
}

static int create_zone_file(int dirfd, const struct zk_geometry *g, uint32_t z,
			    uint64_t len)
{
	char name[NAME_MAX_LEN];
	int fd, ret = 0;

	zone_file_name(g, z, name);
	fd = openat(dirfd, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	if (z < g->nr_conv_zones && ftruncate(fd, (off_t)len))
		ret = -errno;
	close(fd);
	return ret;
}

static void remove_zone_files(int dirfd, const struct zk_geometry *g,
			      uint32_t nr)
{
	char name[NAME_MAX_LEN];

	for (uint32_t z = 0; z < nr; z++) {
		zone_file_name(g, z, name);
		unlinkat(dirfd, name, 0);
	}
}

static int create_files(int dirfd, const struct zk_geometry *g)
{
	uint32_t nr = zk_geometry_nr_zones(g);
	char text[1024];
	int ret = 0;
	uint32_t z;

	for (z = 0; z < nr && !ret; z++) {
		uint64_t start = (uint64_t)z * g->zone_size;
		uint64_t len = g->capacity - start < g->zone_size ?
			g->capacity - start : g->zone_size;

		ret = create_zone_file(dirfd, g, z, len);
	}
	if (!ret)
		ret = snapshot_create(dirfd, g);
	if (!ret)
		ret = zk_geometry_format(g, text, sizeof(text));
	if (ret >= 0) /* the geometry last: until then it is no device */
		ret = write_file_atomic(dirfd, GEOMETRY_FILE, text, (size_t)ret);
	if (ret < 0) {
		remove_zone_files(dirfd, g, z);
		unlinkat(dirfd, SNAPSHOT_FILE, 0);
	}
	return ret < 0 ? ret : 0;
}

ZK_EXPORT int zk_create(const char *path, const struct zk_geometry *geo)
{
	struct zk_geometry g;
	const char *why;
	int dirfd, ret;

	if (!path || !geo)
		return -EINVAL;
	g = *geo;
	ret = zk_geometry_normalise(&g, &why);
	if (ret)
		return ret;
	if (mkdir(path, 0755) && errno != EEXIST)
		return -errno;
	dirfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dirfd < 0)
		return -errno;
	ret = dir_is_empty(dirfd);
	if (ret == 0)
		ret = -EEXIST;
	else if (ret == 1)
		ret = create_files(dirfd, &g);
	close(dirfd);
	return ret;
}
