/* SPDX-License-Identifier: MIT */
/*
 * The emulated zoned device: a directory in the layout of the kernel's
 * zoned loop device (zloop).  One file per zone, cnv-NNNNNN (always zone
 * sized) or seq-NNNNNN (its size is the zone's wp: reset truncates it to 0,
 * finish to the zone capacity, as zloop does), and a text file "geometry"
 * written last at creation.  Zones marked read-only or offline are listed in "conditions".
 *
 * The backend's files, each a concern:
 *   emu.c        the operations table: open, close, report, zone operations
 *   io.c         data: writes, reads, flush, the io_uring hooks
 *   fd_cache.c   zone files opened lazily through a cache of descriptors
 *   layout.c     file names and the small metadata files
 *   marks.c      read-only and offline zones ("conditions")
 *   open_conds.c which zones are open, across a clean close ("open-zones")
 *   snapshot.c   the wp snapshot of large devices ("wp-snapshot")
 *   create.c     zk_create()
 */
#ifndef ZK_EMU_H
#define ZK_EMU_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <unistd.h>

#include "device.h"
#include "io_util.h"

#define GEOMETRY_FILE "geometry"
#define SNAPSHOT_FILE "wp-snapshot"
#define CONDITIONS_FILE "conditions"
#define OPEN_ZONES_FILE "open-zones"
#define NAME_MAX_LEN 32

/* A cached descriptor (fd_cache.c). */
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
	uint32_t nr_slots;       /* a power of two */
	uint32_t slot_mask;
	_Atomic uint64_t *dirty; /* a bit per zone written since the last flush */
	pthread_mutex_t marks_lock;
	pthread_mutex_t flush_lock; /* a flush returns after the one before it */
	bool flushed_once;
	uint8_t *marks;          /* per zone: 0, READONLY or OFFLINE; NULL: none */
	/* Zone file sizes from the snapshot of the last clean close, while
	 * the device is being opened; then whether the wps came from it
	 * (each zone's file is checked at its first write: unchecked). */
	int snap_fd;             /* -1: none */
	bool from_snapshot;
	_Atomic uint64_t *unchecked;
	/* While the device is being opened: per zone, the open condition it
	 * had at the last clean close (0: none), or NULL. */
	uint8_t *open_conds;
	uint64_t *open_sizes; /* per listed zone: its file size then */
	/* "open-zones" is on disk and still true: nothing has been written
	 * or changed since the open.  The first change deletes it
	 * (open_conds_drop()); a clean close with nothing changed leaves it
	 * as it is, so a session that changed nothing leaves the directory
	 * untouched. */
	atomic_bool open_list_kept;
	pthread_mutex_t open_list_lock; /* serializes the one delete */
};

static inline struct emu *emu_of(struct zk_dev *d) { return d->priv; }

/* layout.c */
void zone_file_name(const struct zk_geometry *g, uint32_t z,
		    char name[NAME_MAX_LEN]);
int read_small_file(int dirfd, const char *name, char *buf, size_t size,
		    size_t *len);
int write_file_atomic(int dirfd, const char *name, const char *buf,
		      size_t len);

/* fd_cache.c */
#define SLOT_REFILL 0x80000000u
#define SLOT_EMPTY UINT64_MAX
int slot_get_slow(struct zk_dev *d, uint32_t z, struct fd_handle *h);

/* Count ourselves in as a user of @s if it holds zone @z's descriptor. */
static inline bool slot_hit(struct fd_slot *s, uint32_t z, struct fd_handle *h)
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

/* Zone @z's descriptor, opened if the cache does not hold it: 0 or
 * -errno.  The hit is inline: it is taken on every write. */
static inline int slot_get(struct zk_dev *d, uint32_t z, struct fd_handle *h)
{
	struct emu *e = d->priv;

	if (slot_hit(&e->slots[z & e->slot_mask], z, h))
		return 0;
	return slot_get_slow(d, z, h);
}

static inline void slot_put(struct fd_handle *h)
{
	if (!h->slot)
		close(h->fd);
	else
		atomic_fetch_sub(&h->slot->refs, 1);
}
int slots_init(struct zk_dev *d);
void slots_close(struct emu *e);

/* Zone @z was written since the last flush. */
static inline void mark_dirty(struct emu *e, uint32_t z)
{
	uint64_t bit = 1ULL << (z % 64);

	/* Look first: a locked write on every write would bounce the word
	 * between the threads writing its 64 zones. */
	if (!(atomic_load_explicit(&e->dirty[z / 64], memory_order_relaxed) &
	      bit))
		atomic_fetch_or_explicit(&e->dirty[z / 64], bit,
					 memory_order_relaxed);
}

/* marks.c */
int marks_load(struct zk_dev *d);
int emu_set_cond(struct zk_dev *d, uint32_t z, unsigned int cond);
unsigned int marks_of(struct zk_dev *d, uint32_t z);

/* open_conds.c */
void open_conds_load(struct zk_dev *d);
unsigned int open_conds_of(struct zk_dev *d, uint32_t z, uint64_t size,
			   uint64_t cap, unsigned int cond);
int open_conds_forget(struct zk_dev *d);
int open_conds_drop_slow(struct zk_dev *d);

/* Before anything this session changes a zone: see open_list_kept. */
static inline int open_conds_drop(struct zk_dev *d)
{
	if (__builtin_expect(atomic_load_explicit(&emu_of(d)->open_list_kept,
						  memory_order_acquire), 0))
		return open_conds_drop_slow(d);
	return 0;
}
void open_conds_save(struct zk_dev *d, zk_state_fn *state);

/* snapshot.c */
void snapshot_load(struct zk_dev *d);
int snapshot_sizes(struct emu *e, uint32_t first, uint32_t nr,
		   uint64_t *sizes);
int snapshot_forget(struct zk_dev *d);
int check_against_file_now(struct zk_dev *d, uint32_t z, int fd,
			   uint64_t foff);
/* Opened from a snapshot, a zone's file is checked against it at its
 * first write: 0 or -EIO.  Only that case leaves this inline. */
static inline int check_against_file(struct zk_dev *d, uint32_t z, int fd,
				     uint64_t foff)
{
	if (__builtin_expect(!((struct emu *)d->priv)->from_snapshot, 1))
		return 0;
	return check_against_file_now(d, z, fd, foff);
}
void snapshot_save(struct zk_dev *d, zk_state_fn *state);
int snapshot_create(int dirfd, const struct zk_geometry *g);

/* io.c */
ssize_t emu_pwritev(struct zk_dev *d, uint32_t z, const struct iovec *iov,
		    int iovcnt, uint64_t off);
ssize_t emu_pread(struct zk_dev *d, uint32_t z, void *buf, size_t len,
		  uint64_t off);
int emu_rewind(struct zk_dev *d, uint32_t z, uint64_t wp);
int emu_flush(struct zk_dev *d);
int emu_io_get(struct zk_dev *d, uint32_t z, uint64_t off,
	       const struct iovec *iov, int iovcnt, bool write,
	       struct zk_io_ref *ref);
ssize_t emu_io_put(struct zk_dev *d, uint32_t z, struct zk_io_ref *ref,
		   ssize_t res, size_t total, bool write);
int direct_io_setup(struct zk_dev *d);

#endif /* ZK_EMU_H */
