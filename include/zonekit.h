/* SPDX-License-Identifier: MIT */
/*
 * zonekit: zone append for user space on zoned block storage.
 *
 * zonekit keeps the write pointer (wp) of every zone in memory and emulates
 * zone append with ordinary positional writes at the wp, so that many
 * threads can append to one zone or to many zones at once and learn where
 * their data landed.  It runs on a Linux zoned block device (/dev/...) or on
 * an emulated zoned device kept in a directory of plain files.
 *
 * All offsets and lengths are in bytes.  Functions return 0 (or a byte
 * count) on success and a negative errno on failure; zk_strerror() turns
 * any return value into a message.
 */
#ifndef ZONEKIT_H
#define ZONEKIT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

#define ZK_VERSION_MAJOR 0
#define ZK_VERSION_MINOR 1
#define ZK_VERSION_STRING "0.1.0"

/* zk_open() flags */
#define ZK_RDONLY 0x1u /* no writes, appends or zone operations: -EBADF */
/* Emulated device: zone files opened with O_DIRECT, past the page cache (as
 * the kernel's zoned loop device does by default); unaligned buffers are
 * bounced.  -EOPNOTSUPP if the file system has no direct I/O, -EINVAL if
 * the device's block size is below its direct I/O alignment.  A block
 * device always uses O_DIRECT. */
#define ZK_DIRECT 0x2u

/* Geometry of an emulated device (zk_create) and limits of any device. */
struct zk_geometry {
	uint64_t capacity;      /* bytes; the last zone is smaller if not a multiple of zone_size */
	uint64_t zone_size;     /* bytes, a power of two */
	uint64_t zone_capacity; /* writable bytes of a sequential zone; 0 = zone_size */
	uint32_t nr_conv_zones; /* conventional zones, at the start of the device */
	uint32_t block_size;    /* logical block size: 512 or 4096 */
	uint32_t max_open;      /* max open zones, 0 = no limit */
	uint32_t max_active;    /* max active (open + closed) zones, 0 = no limit */
	uint64_t max_append;    /* largest zk_append() in bytes, 0 = no limit */
};

enum zk_backend_kind {
	ZK_BACKEND_EMULATED = 1, /* a directory of zone files */
	ZK_BACKEND_BLKDEV = 2,   /* a Linux zoned block device */
};

struct zk_info {
	/* the zk_geometry fields, under the same names */
	uint64_t capacity;
	uint64_t zone_size;
	uint64_t zone_capacity;
	uint32_t nr_conv_zones;
	uint32_t block_size;
	uint32_t max_open;
	uint32_t max_active;
	uint64_t max_append;
	/* and what a device adds */
	uint32_t nr_zones;
	uint32_t backend;       /* enum zk_backend_kind */
	uint32_t flags;         /* the zk_open() flags */
	/* Writes and appends to sequential zones are multiples of this many
	 * bytes, at offsets that are: the block size, unless the device wants
	 * more (a 512e SMR disk: its 4096-byte physical block). */
	uint32_t write_granularity;
};

/* Zone types and conditions: the values of <linux/blkzoned.h>. */
enum zk_zone_type {
	ZK_ZONE_CONVENTIONAL = 1,
	ZK_ZONE_SEQ_REQUIRED = 2,
	ZK_ZONE_SEQ_PREFERRED = 3,
};

enum zk_zone_cond {
	ZK_COND_NOT_WP = 0x0,
	ZK_COND_EMPTY = 0x1,
	ZK_COND_IMP_OPEN = 0x2,
	ZK_COND_EXP_OPEN = 0x3,
	ZK_COND_CLOSED = 0x4,
	ZK_COND_READONLY = 0xd,
	ZK_COND_FULL = 0xe,
	ZK_COND_OFFLINE = 0xf,
};

/* Zone conditions by what they allow: open (takes an open slot), active
 * (open or closed: takes an active slot), writable (a sequential zone that
 * a write at its wp may go to). */
static inline int zk_cond_is_open(unsigned int cond)
{
	return cond == ZK_COND_IMP_OPEN || cond == ZK_COND_EXP_OPEN;
}
static inline int zk_cond_is_active(unsigned int cond)
{
	return zk_cond_is_open(cond) || cond == ZK_COND_CLOSED;
}
static inline int zk_cond_is_writable(unsigned int cond)
{
	return cond == ZK_COND_EMPTY || zk_cond_is_active(cond);
}

struct zk_zone {
	uint64_t start;    /* first byte of the zone */
	uint64_t len;      /* zone size (the last zone may be smaller) */
	uint64_t capacity; /* writable bytes from start */
	uint64_t wp;       /* start + len for FULL, READONLY and conventional
			      zones, start for OFFLINE ones */
	uint8_t type;      /* enum zk_zone_type */
	uint8_t cond;      /* enum zk_zone_cond */
	uint8_t reserved[6];
};

enum zk_op {
	ZK_OP_RESET = 1,
	ZK_OP_OPEN = 2,
	ZK_OP_CLOSE = 3,
	ZK_OP_FINISH = 4,
};

struct zk_dev;

/* Create an emulated zoned device in directory @path (created if missing,
 * must be empty otherwise).  -EINVAL for a bad geometry: see below. */
int zk_create(const char *path, const struct zk_geometry *geo);

/* NULL if @geo is a valid geometry for zk_create(), else what is wrong
 * with it, in words ("zone size must be a power of two ..."). */
const char *zk_geometry_problem(const struct zk_geometry *geo);

/* Open a device: a directory gives the emulated backend, a block device the
 * Linux backend.  Only one writer may have a device open at a time. */
int zk_open(const char *path, unsigned int flags, struct zk_dev **dev);
void zk_close(struct zk_dev *dev);

int zk_info(struct zk_dev *dev, struct zk_info *info);

/* Report zones from the one containing @offset: *nr in = room in @zones,
 * out = zones filled.  This is zonekit's view: the wp below which every
 * acknowledged write is complete. */
int zk_report(struct zk_dev *dev, uint64_t offset, struct zk_zone *zones,
	      unsigned int *nr);

/* Reset, open, close or finish the zones of [offset, offset + len): len a
 * whole number of zones.  offset 0 and len = capacity means all zones, as
 * the ALL bit of ZBC: conventional zones and their data are left alone, and
 * each sequential zone is changed only where the operation applies to its
 * condition (reset: open, closed, full; open: closed; close: open;
 * finish: open, closed). */
int zk_zone_op(struct zk_dev *dev, enum zk_op op, uint64_t offset, uint64_t len);

/* Write @len bytes at @offset: at the zone's wp in a sequential zone,
 * anywhere in a conventional zone; never across a zone boundary. */
ssize_t zk_pwrite(struct zk_dev *dev, const void *buf, size_t len, uint64_t offset);

/* Read @len bytes at @offset (may span zones).  Bytes past the wp read as
 * zeros on the emulated device. */
ssize_t zk_pread(struct zk_dev *dev, void *buf, size_t len, uint64_t offset);

/* Zone append: write @len bytes at the wp of the zone starting at
 * @zone_start, and store in *@landed the offset where they were written. */
int zk_append(struct zk_dev *dev, uint64_t zone_start, const void *buf,
	      size_t len, uint64_t *landed);

/* Why would zk_pwrite(dev, buf, @len, @offset), or zk_append(dev,
 * @zone_start, buf, @len, ...), be refused now?  0 if it would be
 * accepted, else the negative errno it would return, and in @why (@size
 * bytes, may be NULL) what is wrong, in words: "not at the zone's write
 * pointer (0x405000)", "the zone at 0x900000 is read-only", "too many
 * open zones (the device allows 2)"...  The zones are judged by zonekit's
 * own view (the wps and conditions zk_report gives, plus the writes in
 * flight), as a write submitted now would be; nothing is read from the
 * device and nothing changes.  A write the answer accepts may still fail
 * in the device (-EIO, -ENOSPC...). */
int zk_write_problem(struct zk_dev *dev, uint64_t offset, size_t len,
		     char *why, size_t size);
int zk_append_problem(struct zk_dev *dev, uint64_t zone_start, size_t len,
		      char *why, size_t size);

/* Make every write acknowledged before this call durable. */
int zk_flush(struct zk_dev *dev);

/* Forget the cached wps and conditions and learn them again from the device
 * (another program may have changed zones behind zonekit's back). */
int zk_resync(struct zk_dev *dev);

/* Emulated device only, not open for writing: what a power cycle does to
 * zone conditions.  An emulated device keeps which zones are open across a
 * clean zk_close(), as a real device keeps them whoever opens it; after a
 * crash, or this, partly written zones are CLOSED and explicitly opened
 * empty ones EMPTY, as a real device's after a power cycle.  Data and
 * wps are not touched.  -EBUSY if the device is open for writing,
 * -EOPNOTSUPP for a block device. */
int zk_power_cycle(const char *path);

/* Emulated device only: turn the zone starting at @offset read-only
 * (ZK_COND_READONLY) or offline (ZK_COND_OFFLINE), as a worn-out zone of a
 * real device would; ZK_COND_EMPTY brings such a zone back, reset.  Kept
 * across reopen.  -EOPNOTSUPP on a real device, -EINVAL for a conventional
 * zone or another condition. */
int zk_set_zone_cond(struct zk_dev *dev, uint64_t offset, enum zk_zone_cond cond);

/*
 * Queues: asynchronous submission for event-driven programs.  A queue is
 * used by one thread at a time.  Submit appends, writes and reads (errors
 * in the arguments are returned at once; -EAGAIN when @depth requests are
 * outstanding), then reap completions: res is the byte count or -errno,
 * offset where the data landed (appends) or the offset given.  Requests
 * to one zone from every queue and thread share the zone's writes.  The
 * engine is io_uring where the kernel allows it, threads otherwise
 * (or with ZK_QUEUE_THREADS); zk_queue_engine() says which.  Buffers must
 * stay valid until their completion is reaped.
 *
 * Submitting never sleeps on a zone: a request to a zone that a zone
 * operation holds waits for it without blocking the submitter.  With the
 * io_uring engine a request takes its place in its zone when submitted;
 * with threads when a worker gets to it.  Until it is reaped, a queue's
 * batch in flight holds its zone: a thread that waits inside zonekit for
 * such a zone (a synchronous write, a zone operation, zk_resync,
 * zk_set_zone_cond) reaps the queue itself if it is the queue's thread
 * (the last to call it), so one thread may mix its queue and synchronous
 * calls in any order; other threads wait until the queue's thread reaps.
 * So reap promptly, and move a queue to another thread only when nothing
 * of it is outstanding.
 */
struct zk_queue;

struct zk_cqe {
	uint64_t user_data;
	int64_t res;
	uint64_t offset;
};

#define ZK_QUEUE_THREADS 0x1u
/* io_uring engine: buffered writes (an emulated device opened without
 * ZK_DIRECT) of up to 128 KiB are written from the submitting thread, as
 * io_uring itself does on file systems that can start a buffered write
 * without blocking; this flag sends them to the ring like the rest. */
#define ZK_QUEUE_NO_INLINE 0x2u

int zk_queue_init(struct zk_dev *dev, unsigned int depth, unsigned int flags,
		  struct zk_queue **q);
/* Waits for everything submitted, then frees the queue. */
void zk_queue_exit(struct zk_queue *q);
const char *zk_queue_engine(const struct zk_queue *q);
int zk_queue_append(struct zk_queue *q, uint64_t zone_start, const void *buf,
		    size_t len, uint64_t user_data);
int zk_queue_write(struct zk_queue *q, const void *buf, size_t len,
		   uint64_t offset, uint64_t user_data);
int zk_queue_read(struct zk_queue *q, void *buf, size_t len, uint64_t offset,
		  uint64_t user_data);
/* Send prepared requests to the kernel now (zk_queue_reap does it too). */
int zk_queue_submit(struct zk_queue *q);
/* Reap between @min and @max completions, sleeping until @min are there;
 * returns how many. */
int zk_queue_reap(struct zk_queue *q, struct zk_cqe *cqes, unsigned int max,
		  unsigned int min);

/* Counters of the append engine, for benchmarks and tests. */
struct zk_stats {
	uint64_t appends;     /* zk_append calls that succeeded */
	uint64_t writes;      /* zk_pwrite calls that succeeded */
	uint64_t batches;     /* backend writes issued to sequential zones */
	uint64_t merged;      /* requests that shared a backend write with another */
	uint64_t relearns;    /* zones re-learnt from the device after an error */
	uint64_t retried;     /* appends moved to a new wp after an error ahead of them */
};
int zk_stats(struct zk_dev *dev, struct zk_stats *stats);

/* A message for any zonekit return value (negative errno). */
const char *zk_strerror(int err);

/* Names used by the CLI and JSON output: "seq-write-required", "imp-open"... */
const char *zk_zone_type_name(unsigned int type);
const char *zk_zone_cond_name(unsigned int cond);

#ifdef __cplusplus
}
#endif
#endif /* ZONEKIT_H */
