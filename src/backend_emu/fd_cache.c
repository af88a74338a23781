/* SPDX-License-Identifier: MIT */
/*
 * Zone files are opened lazily through a small direct-mapped cache of
 * descriptors, so a device of a million zones does not hold a million
 * files open.
 *
 * A cached descriptor is taken and given back without a lock: a user
 * counts itself in refs before it looks at the key, and the slot is
 * refilled only by a thread that turned refs from 0 to SLOT_REFILL, so a
 * descriptor is never closed under a user, and a user that comes in during
 * a refill sees the flag and opens its own.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <unistd.h>

#include "emu.h"

#define SLOT_REFILL 0x80000000u
#define SLOT_EMPTY UINT64_MAX

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

int slot_get(struct zk_dev *d, uint32_t z, struct fd_handle *h)
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

void slot_put(struct fd_handle *h)
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

int slots_init(struct zk_dev *d)
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

void mark_dirty(struct emu *e, uint32_t z)
{
	uint64_t bit = 1ULL << (z % 64);

	/* Look first: a locked write on every write would bounce the word
	 * between the threads writing its 64 zones. */
	if (!(atomic_load_explicit(&e->dirty[z / 64], memory_order_relaxed) &
	      bit))
		atomic_fetch_or_explicit(&e->dirty[z / 64], bit,
					 memory_order_relaxed);
}


void slots_close(struct emu *e)
{
	for (uint32_t i = 0; e->slots && i < e->nr_slots; i++) {
		uint64_t key = atomic_load(&e->slots[i].key);

		if (key != SLOT_EMPTY)
			close((int)(uint32_t)key);
	}
	free(e->slots);
	e->slots = NULL;
}
