/* SPDX-License-Identifier: MIT */
/*
 * The backend interface: one table of operations per kind of device.  A
 * backend is the device; everything above it is the same for every device.
 * Backends are the lowest floor: they call nothing of the core, and learn
 * what they need of zonekit's state through their arguments.
 */
#ifndef ZK_BACKEND_H
#define ZK_BACKEND_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/uio.h>

#include "zonekit.h"

struct zk_dev;

/* What a backend reports about one zone: its own, authoritative view. */
struct zk_zone_state {
	uint8_t type; /* enum zk_zone_type */
	uint8_t cond; /* enum zk_zone_cond */
	uint64_t wp;  /* absolute; meaningful for EMPTY/open/CLOSED zones */
};

/* What I/O on a zone outside the backend's own calls needs (the io_uring
 * path): a descriptor, the offset in it, and a token to give back. */
struct zk_io_ref {
	int fd;
	uint64_t foff;
	void *token;
};

/* zonekit's state of zones [first, first + nr), for a backend that saves
 * it at a clean close (zk_backend_ops.save). */
typedef void zk_state_fn(struct zk_dev *d, uint32_t first, uint32_t nr,
			 struct zk_zone_state *out);

struct zk_backend_ops {
	enum zk_backend_kind kind;
	const char *name;
	/* Fill d->geo (normalised: zone_capacity set), d->nr_zones,
	 * d->buffered and d->priv. */
	int (*open)(struct zk_dev *dev, const char *path, unsigned int flags);
	void (*close)(struct zk_dev *dev);
	/* Conditions and wps of zones [first, first + nr). */
	int (*report)(struct zk_dev *dev, uint32_t first, uint32_t nr,
		      struct zk_zone_state *out);
	/* Carry out a zone operation on one zone the core has validated. */
	int (*zone_op)(struct zk_dev *dev, enum zk_op op, uint32_t zone);
	/* Write or read inside one zone; return bytes done or -errno. */
	ssize_t (*pwritev)(struct zk_dev *dev, uint32_t zone,
			   const struct iovec *iov, int iovcnt, uint64_t offset);
	ssize_t (*pread)(struct zk_dev *dev, uint32_t zone, void *buf,
			 size_t len, uint64_t offset);
	int (*flush)(struct zk_dev *dev);
	/* Optional, for the io_uring path: where I/O at @off in zone @z goes.
	 * -EOPNOTSUPP when this I/O must take pwritev/pread (e.g. a buffer
	 * O_DIRECT cannot use). */
	int (*io_get)(struct zk_dev *dev, uint32_t zone, uint64_t off,
		      const struct iovec *iov, int iovcnt, bool write,
		      struct zk_io_ref *ref);
	/* The I/O finished with @res (bytes or -errno): returns the result to
	 * believe, e.g. a short write trimmed to whole blocks. */
	ssize_t (*io_put)(struct zk_dev *dev, uint32_t zone,
			  struct zk_io_ref *ref, ssize_t res, size_t total,
			  bool write);
	/* Optional: every zone has been learnt (open is complete). */
	int (*learnt)(struct zk_dev *dev);
	/* Optional: a clean close of a writable device is coming; @state
	 * gives zonekit's view of every zone. */
	void (*save)(struct zk_dev *dev, zk_state_fn *state);
	/* Optional: cut zone @zone back to @wp, dropping what a failed write
	 * left past it (the emulated device cuts the file; a real device
	 * cannot take a write back). */
	int (*rewind)(struct zk_dev *dev, uint32_t zone, uint64_t wp);
	/* Optional: persist a READONLY/OFFLINE mark (emulated device). */
	int (*set_cond)(struct zk_dev *dev, uint32_t zone, unsigned int cond);
	/* Real devices keep zone conditions themselves and may pick other
	 * transitions than zonekit's model: their report is taken as it is,
	 * and zones are re-learnt after each zone operation.  The emulated
	 * device keeps only file sizes: it reports a partly written zone
	 * CLOSED and an empty one EMPTY, and which zones are open lives in
	 * zonekit's model. */
	bool keeps_conditions;
};

extern const struct zk_backend_ops zk_emu_ops;
extern const struct zk_backend_ops zk_blkdev_ops;

#endif /* ZK_BACKEND_H */
