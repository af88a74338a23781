/* SPDX-License-Identifier: MIT */
/*
 * Helpers of the reliability tests (tests/reliability/): a picture of a
 * device directory on disk (to prove a failed call changed nothing), a
 * backend wrapper that injects faults and counts what the library asks of
 * the device, checks of a zone's content made of self-describing records
 * (testlib's t_rec_*), and the "FIGURES" lines the tests print for
 * doc/reliability.md.
 */
#ifndef ZK_REL_H
#define ZK_REL_H

#include <stdatomic.h>

#include "testlib.h"
#include "engine.h"

/* ------------------------------------------------------------------ */
/* A device directory as it is on disk: every entry's name, type, size and
 * a hash of its content, sorted by name (one line each). */

char *rel_dir_listing(const char *dir); /* malloc'd; fails the test on error */

/* The listing of @dir must still be @before; prints both if not. */
#define REL_DIR_SAME(dir, before) rel_dir_same_at(__FILE__, __LINE__, (dir), (before))
void rel_dir_same_at(const char *file, int line, const char *dir,
		     const char *before);

/* ------------------------------------------------------------------ */
/* Fault injection: a wrapper around the emulated backend's operations,
 * installed on an open device (dev->ops points at it afterwards).  It
 * counts every call per zone, and carries out the faults armed with
 * rel_fault_arm(). */

enum rel_fault_kind {
	RF_NONE,
	RF_WRITE_EIO,         /* write nothing, -EIO */
	RF_WRITE_EIO_PARTIAL, /* write @blocks whole blocks, then -EIO */
	RF_WRITE_SHORT,       /* write @blocks whole blocks, return that count */
	RF_WRITE_ENOSPC,      /* write @blocks whole blocks, then -ENOSPC
			       * (a count if @blocks > 0: write(2)'s way) */
	RF_ZONEOP_EIO_BEFORE, /* zone operation not done, -EIO */
	RF_ZONEOP_EIO_AFTER,  /* zone operation done, yet -EIO */
	RF_REPORT_EIO,        /* report of the zone fails */
	RF_FLUSH_EIO,
	RF_READ_EIO,
};

struct rel_fault {
	enum rel_fault_kind kind;
	int zone;            /* -1: any zone */
	unsigned int nth;    /* fire at the nth matching call (1 = next) */
	unsigned int times;  /* and at the following times - 1 ones */
	unsigned int blocks; /* for the partial/short kinds */
	unsigned int delay_ms; /* sleep this long first, so that requests queue */
};

struct rel_counters {
	_Atomic unsigned long *report;  /* per zone: zones reported */
	_Atomic unsigned long *writes;  /* per zone: pwritev + io_put (write) */
	_Atomic unsigned long *zone_ops;
	_Atomic unsigned long reads, flushes;
	_Atomic unsigned long injected; /* faults carried out */
	uint32_t nr_zones;
};

/* Wrap @dev's backend (only one device at a time). */
void rel_fault_install(struct zk_dev *dev);
/* Restore the real backend (before zk_close is fine either way). */
void rel_fault_uninstall(struct zk_dev *dev);
/* Arm a fault (up to 8 at once); rel_fault_clear() disarms all. */
void rel_fault_arm(const struct rel_fault *f);
void rel_fault_clear(void);
/* Zero the counters. */
void rel_counters_reset(void);
extern struct rel_counters rel_cnt;
/* Faults carried out since the program started (for the figures). */
unsigned long rel_faults_total(void);
/* Of those, the ones on a ring completion (io_put: a queue's write the
 * kernel completed, made short or failed). */
unsigned long rel_faults_ring(void);

/* ------------------------------------------------------------------ */
/* Zones made of t_rec records */

struct rel_found {
	uint64_t off;   /* first block found */
	uint32_t tid, seq;
	uint32_t nblk;  /* blocks the record has */
	uint32_t found; /* blocks of it found here (< nblk: cut short) */
};

/* Scan [start, end) of a buffer holding a zone's data from @start: every
 * block must be a block of a record, records in order (a record may be cut
 * short: the blocks found are its first ones).  Returns NULL and the
 * records found (malloc'd array in *out, *nr), or a message describing the
 * first problem (static buffer) with its offset in *bad. */
const char *rel_scan_records(const uint8_t *buf, uint64_t start, uint64_t end,
			     size_t bs, struct rel_found **out, size_t *nr,
			     uint64_t *bad);

/* What one append was told (zk_append or a queue's completion), for
 * rel_verify_zone(). */
#define REL_MAX_BLKS 4
struct rel_outcome {
	uint32_t tid, seq, nblk; /* record tid/seq of nblk 4 KiB blocks */
	int ret;
	uint64_t landed;
};

/* Check zone @z of @t (4 KiB blocks) against what its appends @o[0..n)
 * were told: every acknowledged one at its landed offset byte for byte,
 * none overlapping, all below the wp; a failed one failed with
 * @allowed_err (counted in *failed) and is nowhere whole on the device;
 * every block below the wp a record's, every whole record an acknowledged
 * append at its offset; the wp equal to the zone file's size. */
void rel_verify_zone(struct tdev *t, uint32_t z, struct rel_outcome *o,
		     size_t n, int allowed_err, unsigned long *failed);
extern unsigned long rel_appends_checked;
/* Size of the file of sequential zone @z of emulated device @t. */
off_t rel_zone_file_size(struct tdev *t, uint32_t z);

/* 64-bit FNV-1a of a buffer, over 8-byte words: the checksum the logs
 * carry. */
uint64_t rel_sum(const void *buf, size_t len);

/* ------------------------------------------------------------------ */
/* Figures for doc/reliability.md: "FIGURES <test> key=value ..." on
 * stdout; tests/reliability/figures.sh collects them. */
void rel_figures(const char *test, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Root, and mount(2) works here (a tmpfs can be mounted): for the tests
 * that mount a small tmpfs or a loop device.  The first call moves the
 * process to a mount namespace of its own, so that its mounts vanish with
 * it however it ends. */
bool rel_can_mount(void);

/* An ext4 file system on a loop device, for power cuts: set up (skips the
 * test without root, mount, losetup or mkfs.ext4; cleaned up at exit),
 * shut down as a power cut does (EXT4_IOC_SHUTDOWN with NOLOGFLUSH: what
 * is not on disk yet is gone, the journal not flushed; every later I/O
 * fails), then unmounted and mounted again (the journal replayed). */
struct rel_ext4 {
	char mnt[1100];
	char loop[64];
	char img[1100];
};
void rel_ext4_setup(struct rel_ext4 *x, const char *dir);
void rel_ext4_shutdown(struct rel_ext4 *x);
void rel_ext4_remount(struct rel_ext4 *x);

/* Run a shell command; its exit status (-1 if it could not run). */
int rel_system(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif /* ZK_REL_H */
