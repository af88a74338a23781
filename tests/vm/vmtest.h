/* SPDX-License-Identifier: MIT */
/*
 * Helpers shared by the VM test programs (conformance.c, differential.c,
 * faults.c, blkdev/blkdev_test.c): the test harness (failures, checks,
 * steps, cases), the device's own view of its zones (BLKREPORTZONE on a
 * block device, the zone files' sizes on an emulated device), normalised
 * to zonekit's contract, the emulated twins of the VM's devices, and data
 * patterns.  Header only: each program is one C file linked statically
 * against build/src/libzonekit.a.
 */
#ifndef ZK_VMTEST_H
#define ZK_VMTEST_H

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <linux/blkzoned.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "zonekit.h"

#define KiB ((uint64_t)1024)
#define MiB (1024 * KiB)

static inline const char *vm_errname(long long r);

/* ---- the test harness ----
 * A failed check prints "FAIL DEV [CASE: STEP] line N: what" ("FAIL DEV
 * [STEP] ..." in a program without cases) and ends the case that runs
 * (vm_run_case) or, outside a case, the program with status 1. */

struct vm_harness {
	const char *dev;  /* the device under test, named in every failure */
	const char *kase; /* the case running; NULL: the program has none */
	const char *step; /* what the case or program is doing */
	bool in_case;     /* a failure ends the case: longjmp(case_jmp) */
	jmp_buf case_jmp;
};

static struct vm_harness vm_h = { .dev = "?", .step = "start" };

__attribute__((noreturn, format(printf, 2, 3)))
static inline void fail(int line, const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	if (vm_h.kase)
		printf("FAIL %s [%s: %s] line %d: ", vm_h.dev, vm_h.kase,
		       vm_h.step, line);
	else
		printf("FAIL %s [%s] line %d: ", vm_h.dev, vm_h.step, line);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
	if (vm_h.in_case)
		longjmp(vm_h.case_jmp, 1);
	exit(1);
}

#define CHECK(c)                                                             \
	do {                                                                 \
		if (!(c))                                                    \
			fail(__LINE__, "%s", #c);                            \
	} while (0)

/* A call returning a count or -errno that must give @want. */
#define CHECK_RET(expr, want)                                                \
	do {                                                                 \
		long long r_ = (long long)(expr), w_ = (long long)(want);    \
		if (r_ != w_)                                                \
			fail(__LINE__, "%s = %s, want %s", #expr,            \
			     vm_errname(r_), vm_errname(w_));                \
	} while (0)

/* Name what comes next: printed indented in a case, after the device's
 * name in a program without cases. */
static inline void step(const char *s)
{
	vm_h.step = s;
	if (vm_h.kase)
		printf("  %s\n", s);
	else
		printf("%s: %s\n", vm_h.dev, s);
	fflush(stdout);
}

__attribute__((format(printf, 1, 2)))
static inline void info(const char *fmt, ...)
{
	va_list ap;

	printf("    ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
}

struct vm_case {
	const char *name;
	void (*fn)(void);
};

/* Is case @name in the comma-separated list @only (NULL: every case)? */
static inline bool vm_case_wanted(const char *only, const char *name)
{
	size_t n = strlen(name);

	if (!only)
		return true;
	for (const char *p = only; (p = strstr(p, name)); p += n)
		if ((p == only || p[-1] == ',') && (p[n] == ',' || !p[n]))
			return true;
	return false;
}

/* Run case @name: @body(@arg), which a failed check ends; true if it
 * returned. */
static inline bool vm_run_case(const char *name, void (*body)(const void *),
			       const void *arg)
{
	bool ok = false;

	vm_h.kase = name;
	vm_h.step = "start";
	vm_h.in_case = true;
	if (!setjmp(vm_h.case_jmp)) {
		body(arg);
		ok = true;
	}
	vm_h.in_case = false;
	return ok;
}

/* zonekit's view of zone @z (starting at @ofs); a failure if it has none */
static inline struct zk_zone vm_zk_zone(int line, struct zk_dev *zk,
					uint64_t ofs, uint32_t z)
{
	struct zk_zone zone;
	unsigned int nr = 1;
	int ret = zk_report(zk, ofs, &zone, &nr);

	if (ret || nr != 1)
		fail(line, "zk_report(zone %u) = %s", z, vm_errname(ret));
	return zone;
}

/* ---- emulated twins of the VM's devices (tests/vm/README.md) ---- */

struct vm_twin {
	const char *name;
	const char *what;
	struct zk_geometry geo;
};

/* max_append: what the kernel says for the real device
 * (queue/zone_append_max_bytes rounded down to the block). */
static const struct vm_twin vm_twins[] = {
	{ "nullb0", "null_blk: 1 GiB, 64 MiB zones, capacity 48 MiB, 4 conventional, "
		    "max open 4, max active 6, 4 KiB blocks",
	  { .capacity = 1024 * MiB, .zone_size = 64 * MiB, .zone_capacity = 48 * MiB,
	    .nr_conv_zones = 4, .block_size = 4096, .max_open = 4, .max_active = 6,
	    .max_append = 126976 } },
	{ "zns", "QEMU NVMe ZNS: 1 GiB, 64 MiB zones, capacity 48 MiB, no conventional, "
		 "max open 4, max active 6, 4 KiB blocks, zasl 5",
	  { .capacity = 1024 * MiB, .zone_size = 64 * MiB, .zone_capacity = 48 * MiB,
	    .nr_conv_zones = 0, .block_size = 4096, .max_open = 4, .max_active = 6,
	    .max_append = 131072 } },
	{ "diff", "configfs null_blk of the differential test: 64 MiB, 4 MiB zones, "
		  "capacity 3 MiB, 2 conventional, max open 3, max active 5, 4 KiB blocks",
	  { .capacity = 64 * MiB, .zone_size = 4 * MiB, .zone_capacity = 3 * MiB,
	    .nr_conv_zones = 2, .block_size = 4096, .max_open = 3, .max_active = 5,
	    .max_append = 126976 } },
	{ "nullb512", "configfs null_blk: 256 MiB, 16 MiB zones, 512-byte blocks, "
		      "no conventional zones, no limits",
	  { .capacity = 256 * MiB, .zone_size = 16 * MiB, .zone_capacity = 16 * MiB,
	    .nr_conv_zones = 0, .block_size = 512, .max_open = 0, .max_active = 0,
	    .max_append = 130560 } },
	{ "zloop", "zloop (7.2): 256 MiB, 16 MiB zones, capacity 12 MiB, 2 conventional, "
		   "max open 4, no active limit, 4 KiB blocks",
	  { .capacity = 256 * MiB, .zone_size = 16 * MiB, .zone_capacity = 12 * MiB,
	    .nr_conv_zones = 2, .block_size = 4096, .max_open = 4, .max_active = 0,
	    .max_append = 1048576 } },
	{ "scsi", "scsi_debug ZBC host-managed 512e: 256 MiB, 16 MiB zones, 2 conventional, "
		  "max open 4, no active limit, 512-byte blocks, max append = zone size",
	  { .capacity = 256 * MiB, .zone_size = 16 * MiB, .zone_capacity = 16 * MiB,
	    .nr_conv_zones = 2, .block_size = 512, .max_open = 4, .max_active = 0,
	    .max_append = 16 * MiB } },
};

static inline const struct vm_twin *vm_twin_find(const char *name)
{
	for (size_t i = 0; i < sizeof(vm_twins) / sizeof(vm_twins[0]); i++)
		if (!strcmp(vm_twins[i].name, name))
			return &vm_twins[i];
	return NULL;
}

/* ---- patterns ---- */

static inline uint64_t vm_mix(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 29;
	x *= 0xc4ceb9fe1a85ec53ULL;
	x ^= x >> 32;
	return x;
}

/* The word at device offset @off (8-byte aligned) of data generation @gen:
 * data at the wrong place or of another write does not match. */
static inline uint64_t vm_word(uint64_t off, uint64_t gen)
{
	return vm_mix(off * 0x9e3779b97f4a7c15ULL + gen);
}

static inline void vm_fill(void *buf, size_t len, uint64_t off, uint64_t gen)
{
	uint64_t *w = buf;

	for (size_t i = 0; i < len / 8; i++)
		w[i] = vm_word(off + 8 * i, gen);
}

/* Offset (from @buf) of the first word that is not the pattern, or -1. */
static inline ssize_t vm_bad(const void *buf, size_t len, uint64_t off,
			     uint64_t gen)
{
	const uint64_t *w = buf;

	for (size_t i = 0; i < len / 8; i++)
		if (w[i] != vm_word(off + 8 * i, gen))
			return (ssize_t)(8 * i);
	return -1;
}

static inline void *vm_alloc(size_t len)
{
	void *p;

	if (posix_memalign(&p, 4096, len ? len : 4096)) {
		fprintf(stderr, "out of memory (%zu bytes)\n", len);
		exit(2);
	}
	return p;
}

static inline uint64_t vm_rand(uint64_t *s)
{
	uint64_t x = *s;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*s = x;
	return x * 0x2545F4914F6CDD1DULL;
}

static inline const char *vm_errname(long long r)
{
	static __thread char buf[32];

	if (r >= 0) {
		snprintf(buf, sizeof(buf), "%lld", r);
		return buf;
	}
	switch ((int)-r) {
	case EINVAL: return "EINVAL";
	case EIO: return "EIO";
	case EBADF: return "EBADF";
	case EBUSY: return "EBUSY";
	case EOVERFLOW: return "EOVERFLOW";
	case ETOOMANYREFS: return "ETOOMANYREFS";
	case EOPNOTSUPP: return "EOPNOTSUPP";
	case ENODEV: return "ENODEV";
	case ENOMEM: return "ENOMEM";
	case EAGAIN: return "EAGAIN";
	case ENOSPC: return "ENOSPC";
	default:
		snprintf(buf, sizeof(buf), "-%d", (int)-r);
		return buf;
	}
}

static inline const char *vm_condname(unsigned int cond)
{
	switch (cond) {
	case ZK_COND_NOT_WP: return "NOT_WP";
	case ZK_COND_EMPTY: return "EMPTY";
	case ZK_COND_IMP_OPEN: return "IMP_OPEN";
	case ZK_COND_EXP_OPEN: return "EXP_OPEN";
	case ZK_COND_CLOSED: return "CLOSED";
	case ZK_COND_READONLY: return "READONLY";
	case ZK_COND_FULL: return "FULL";
	case ZK_COND_OFFLINE: return "OFFLINE";
	default: return "?";
	}
}

/* ---- the device's own view ---- */

/* One zone as the device says, normalised to zonekit's contract: wp of a
 * FULL or READONLY zone start + len, of an EMPTY or OFFLINE zone start,
 * of a conventional zone start + len.  @conds: the conditions the device's
 * view allows zonekit to report (one bit per condition): a block device
 * names exactly one; an emulated device keeps open/closed in memory only,
 * so its files say only "empty", "partly written" or "full". */
struct vm_dzone {
	uint64_t start, len, capacity, wp, raw_wp;
	uint8_t type, cond; /* cond: the device's own (blkdev) or a guess (emu) */
	uint16_t conds;     /* allowed zonekit conditions, 1 << cond */
};

static inline uint64_t vm_norm_wp(unsigned int type, unsigned int cond,
				  uint64_t start, uint64_t len, uint64_t wp)
{
	if (type == BLK_ZONE_TYPE_CONVENTIONAL)
		return start + len;
	switch (cond) {
	case BLK_ZONE_COND_FULL:
	case BLK_ZONE_COND_READONLY:
		return start + len;
	case BLK_ZONE_COND_EMPTY:
	case BLK_ZONE_COND_OFFLINE:
		return start;
	default:
		return wp;
	}
}

/* BLKREPORTZONE of zones [first, first + nr) of a device with zones of
 * @zone_size bytes; 0 or -errno. */
static inline int vm_raw_report(int fd, uint64_t zone_size, uint32_t first,
				uint32_t nr, struct vm_dzone *out)
{
	struct blk_zone_report *rep;
	uint32_t done = 0;
	int ret = 0;

	rep = malloc(sizeof(*rep) + nr * sizeof(struct blk_zone));
	if (!rep)
		return -ENOMEM;
	while (done < nr) {
		memset(rep, 0, sizeof(*rep));
		rep->sector = ((first + done) * zone_size) >> 9;
		rep->nr_zones = nr - done;
		if (ioctl(fd, BLKREPORTZONE, rep)) {
			ret = -errno;
			break;
		}
		if (!rep->nr_zones) {
			ret = -EIO;
			break;
		}
		for (uint32_t i = 0; i < rep->nr_zones && done < nr; i++, done++) {
			struct blk_zone *b = &rep->zones[i];
			struct vm_dzone *o = &out[done];

			o->start = b->start << 9;
			o->len = b->len << 9;
			o->capacity = (rep->flags & BLK_ZONE_REP_CAPACITY ?
				       b->capacity : b->len) << 9;
			o->raw_wp = b->wp << 9;
			o->type = b->type;
			o->cond = b->type == BLK_ZONE_TYPE_CONVENTIONAL ?
				  ZK_COND_NOT_WP : b->cond;
			if (b->type == BLK_ZONE_TYPE_CONVENTIONAL)
				o->capacity = o->len;
			o->wp = vm_norm_wp(b->type, b->cond, o->start, o->len,
					   o->raw_wp);
			o->conds = (uint16_t)(1u << o->cond);
		}
	}
	free(rep);
	return ret;
}

/* The emulated device's view: the zone files in directory @dirfd (see
 * src/backend_emu/layout.c: cnv-NNNNNN, seq-NNNNNN whose size is the wp). */
static inline int vm_emu_report(int dirfd, const struct zk_info *info,
				uint32_t first, uint32_t nr,
				struct vm_dzone *out)
{
	for (uint32_t i = 0; i < nr; i++) {
		uint32_t z = first + i;
		bool conv = z < info->nr_conv_zones;
		uint64_t start = (uint64_t)z * info->zone_size;
		uint64_t len = start + info->zone_size > info->capacity ?
			info->capacity - start : info->zone_size;
		uint64_t cap = info->zone_capacity < len ? info->zone_capacity : len;
		struct vm_dzone *o = &out[i];
		char name[32];
		struct stat sb;
		uint64_t size;

		snprintf(name, sizeof(name), "%s-%06u", conv ? "cnv" : "seq", z);
		if (fstatat(dirfd, name, &sb, 0))
			return -errno;
		size = (uint64_t)sb.st_size;
		o->start = start;
		o->len = len;
		o->capacity = conv ? len : cap;
		o->raw_wp = start + size;
		if (conv) {
			o->type = ZK_ZONE_CONVENTIONAL;
			o->cond = ZK_COND_NOT_WP;
			o->wp = start + len;
			o->conds = 1u << ZK_COND_NOT_WP;
			continue;
		}
		o->type = ZK_ZONE_SEQ_REQUIRED;
		if (size == cap || size == len) {
			o->cond = ZK_COND_FULL;
			o->wp = start + len;
			o->conds = 1u << ZK_COND_FULL;
		} else if (size == 0) {
			o->cond = ZK_COND_EMPTY;
			o->wp = start;
			o->conds = 1u << ZK_COND_EMPTY | 1u << ZK_COND_EXP_OPEN;
		} else {
			o->cond = ZK_COND_CLOSED;
			o->wp = start + size;
			o->conds = 1u << ZK_COND_IMP_OPEN | 1u << ZK_COND_EXP_OPEN |
				   1u << ZK_COND_CLOSED;
		}
	}
	return 0;
}

/* Is @rdev a null_blk disk?  Its major is the one /proc/devices names. */
static inline bool vm_is_null_blk(dev_t rdev)
{
	FILE *f = fopen("/proc/devices", "r");
	char line[128], name[64];
	unsigned int maj;
	bool found = false;

	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "%u %63s", &maj, name) == 2 &&
		    !strcmp(name, "nullb") && maj == major(rdev))
			found = true;
	if (f)
		fclose(f);
	return found;
}

/* Which kernel driver a zoned disk is: by the disk's name (zloopN, nvmeXnY)
 * or, for a SCSI disk, the model scsi_debug gives it. */
enum vm_kind { VM_NULL_BLK, VM_NVME, VM_ZLOOP, VM_SCSI_DEBUG, VM_OTHER_DISK };

static inline enum vm_kind vm_disk_kind(dev_t rdev)
{
	char path[160], link[PATH_MAX], model[64] = "";
	const char *name;
	ssize_t n;
	FILE *f;

	if (vm_is_null_blk(rdev))
		return VM_NULL_BLK;
	snprintf(path, sizeof(path), "/sys/dev/block/%u:%u", major(rdev),
		 minor(rdev));
	n = readlink(path, link, sizeof(link) - 1);
	if (n <= 0)
		return VM_OTHER_DISK;
	link[n] = 0;
	name = strrchr(link, '/') ? strrchr(link, '/') + 1 : link;
	if (!strncmp(name, "zloop", 5))
		return VM_ZLOOP;
	if (!strncmp(name, "nvme", 4))
		return VM_NVME;
	snprintf(path, sizeof(path), "/sys/dev/block/%u:%u/device/model",
		 major(rdev), minor(rdev));
	f = fopen(path, "r");
	if (f) {
		if (!fgets(model, sizeof(model), f))
			model[0] = 0;
		fclose(f);
	}
	return strncmp(model, "scsi_debug", 10) ? VM_OTHER_DISK :
						   VM_SCSI_DEBUG;
}

static inline int vm_sysfs_u64(dev_t rdev, const char *attr, uint64_t *val)
{
	char path[160], buf[64];
	FILE *f;

	snprintf(path, sizeof(path), "/sys/dev/block/%u:%u/%s", major(rdev),
		 minor(rdev), attr);
	f = fopen(path, "r");
	if (!f)
		return -errno;
	if (!fgets(buf, sizeof(buf), f)) {
		fclose(f);
		return -EIO;
	}
	fclose(f);
	*val = strtoull(buf, NULL, 10);
	return 0;
}

#endif /* ZK_VMTEST_H */
