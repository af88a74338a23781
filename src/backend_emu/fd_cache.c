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

static uint64_t slot_key(uint32_t z, int fd)
{
	return (uint64_t)z << 32 | (uint32_t)fd;
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

int slot_get_slow(struct zk_dev *d, uint32_t z, struct fd_handle *h)
{
	struct emu *e = emu_of(d);
	struct fd_slot *s = &e->slots[z & e->slot_mask];
	char name[NAME_MAX_LEN];
	int fd;

	h->fd = -1;
	h->slot = NULL;
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
	if (nr_zones < n)
		n = nr_zones;
	/* A power of two: the slot of a zone is a mask away. */
	while (n & (n - 1))
		n &= n - 1;
	return (uint32_t)n;
}

int slots_init(struct zk_dev *d)
{
	struct emu *e = emu_of(d);

	e->nr_slots = slots_wanted(d->nr_zones);
	e->slot_mask = e->nr_slots - 1;
	e->slots = aligned_alloc(64, e->nr_slots * sizeof(*e->slots));
	if (!e->slots)
		return -ENOMEM;
	for (uint32_t i = 0; i < e->nr_slots; i++) {
		atomic_init(&e->slots[i].key, SLOT_EMPTY);
		atomic_init(&e->slots[i].refs, 0);
	}
	return 0;
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
