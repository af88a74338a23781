/* SPDX-License-Identifier: MIT */
/* Messages and names for what the library returns. */
#include <errno.h>
#include <limits.h>
#include <string.h>

#include "compiler.h"
#include "zonekit.h"

ZK_EXPORT const char *zk_strerror(int err)
{
	if (err > 0 || err == INT_MIN)
		return "Unknown error (not a zonekit return value)";
	switch (-err) {
	case 0:
		return "Success";
	case EINVAL:
		return "Invalid argument (unaligned, zero or out-of-range offset "
		       "or length, not a zone start, or crossing a zone)";
	case EIO:
		return "I/O error (not at the write pointer, zone full, beyond the "
		       "zone capacity, conventional, read-only or offline zone)";
	case ETOOMANYREFS:
		return "Too many open zones (every open zone is explicitly open)";
	case EOVERFLOW:
		return "Too many active zones";
	case EBADF:
		return "Device opened read-only";
	case EBUSY:
		return "Device is open for writing by another user";
	case ENOTBLK:
		return "Not a zoned block device nor an emulated device directory";
	case ENODEV:
		return "Not a zoned device (no zonekit geometry, or not zoned)";
	case EUCLEAN:
		return "Emulated device is damaged (a zone file is missing or has a "
		       "wrong size)";
	case EOPNOTSUPP:
		return "Operation not supported by this device";
	default:
		return strerror(-err);
	}
}

ZK_EXPORT const char *zk_zone_type_name(unsigned int type)
{
	switch (type) {
	case ZK_ZONE_CONVENTIONAL:
		return "conventional";
	case ZK_ZONE_SEQ_REQUIRED:
		return "seq-write-required";
	case ZK_ZONE_SEQ_PREFERRED:
		return "seq-write-preferred";
	default:
		return "unknown";
	}
}

ZK_EXPORT const char *zk_zone_cond_name(unsigned int cond)
{
	switch (cond) {
	case ZK_COND_NOT_WP:
		return "not-wp";
	case ZK_COND_EMPTY:
		return "empty";
	case ZK_COND_IMP_OPEN:
		return "imp-open";
	case ZK_COND_EXP_OPEN:
		return "exp-open";
	case ZK_COND_CLOSED:
		return "closed";
	case ZK_COND_READONLY:
		return "read-only";
	case ZK_COND_FULL:
		return "full";
	case ZK_COND_OFFLINE:
		return "offline";
	default:
		return "unknown";
	}
}
