/* SPDX-License-Identifier: MIT */
/*
 * The parts of the ublk user ABI that zonekit serve needs and that older
 * <linux/ublk_cmd.h> lack (Debian 12's headers are Linux 6.1's; zoned ublk
 * came with Linux 6.6).  Each value is the documented ABI of the ublk
 * driver (Documentation/block/ublk.rst and the uapi header of Linux 6.12),
 * defined only where the system header has not defined it.  Structures
 * that grew after 6.1 get names of our own, so that a newer system header
 * never clashes with them.
 */
#ifndef ZONEKIT_SERVE_UBLK_ABI_H
#define ZONEKIT_SERVE_UBLK_ABI_H

#include <linux/ioctl.h>
#include <linux/types.h>
#include <linux/ublk_cmd.h>
#include <stdint.h>

/* ---- feature flags (struct ublksrv_ctrl_dev_info.flags) ---- */
#ifndef UBLK_F_USER_RECOVERY
#define UBLK_F_USER_RECOVERY (1ULL << 3)
#endif
#ifndef UBLK_F_UNPRIVILEGED_DEV
#define UBLK_F_UNPRIVILEGED_DEV (1ULL << 5)
#endif
#ifndef UBLK_F_CMD_IOCTL_ENCODE
#define UBLK_F_CMD_IOCTL_ENCODE (1ULL << 6)
#endif
#ifndef UBLK_F_USER_COPY
#define UBLK_F_USER_COPY (1ULL << 7) /* data moved by pread/pwrite on /dev/ublkcN */
#endif
#ifndef UBLK_F_ZONED
#define UBLK_F_ZONED (1ULL << 8)
#endif
#ifndef UBLK_FEATURES_LEN
#define UBLK_FEATURES_LEN 8
#endif

/* ---- control commands, ioctl-encoded (Linux >= 6.4; zoned needs 6.6) ---- */
#define ZKS_UBLK_CTRL(nr) _IOWR('u', (nr), struct ublksrv_ctrl_cmd)
#define ZKS_UBLK_CTRL_R(nr) _IOR('u', (nr), struct ublksrv_ctrl_cmd)
#ifndef UBLK_U_CMD_GET_DEV_INFO
#define UBLK_U_CMD_GET_DEV_INFO ZKS_UBLK_CTRL_R(0x02)
#endif
#ifndef UBLK_U_CMD_ADD_DEV
#define UBLK_U_CMD_ADD_DEV ZKS_UBLK_CTRL(0x04)
#endif
#ifndef UBLK_U_CMD_DEL_DEV
#define UBLK_U_CMD_DEL_DEV ZKS_UBLK_CTRL(0x05)
#endif
#ifndef UBLK_U_CMD_START_DEV
#define UBLK_U_CMD_START_DEV ZKS_UBLK_CTRL(0x06)
#endif
#ifndef UBLK_U_CMD_STOP_DEV
#define UBLK_U_CMD_STOP_DEV ZKS_UBLK_CTRL(0x07)
#endif
#ifndef UBLK_U_CMD_SET_PARAMS
#define UBLK_U_CMD_SET_PARAMS ZKS_UBLK_CTRL(0x08)
#endif
#ifndef UBLK_U_CMD_GET_PARAMS
#define UBLK_U_CMD_GET_PARAMS ZKS_UBLK_CTRL_R(0x09)
#endif
#ifndef UBLK_U_CMD_GET_FEATURES
#define UBLK_U_CMD_GET_FEATURES ZKS_UBLK_CTRL_R(0x13)
#endif

/* ---- I/O commands on /dev/ublkcN, ioctl-encoded ---- */
#ifndef UBLK_U_IO_FETCH_REQ
#define UBLK_U_IO_FETCH_REQ _IOWR('u', 0x20, struct ublksrv_io_cmd)
#endif
#ifndef UBLK_U_IO_COMMIT_AND_FETCH_REQ
#define UBLK_U_IO_COMMIT_AND_FETCH_REQ _IOWR('u', 0x21, struct ublksrv_io_cmd)
#endif

/* ---- request operations (ublksrv_io_desc.op_flags & 0xff) ---- */
#ifndef UBLK_IO_OP_ZONE_OPEN
#define UBLK_IO_OP_ZONE_OPEN 10
#define UBLK_IO_OP_ZONE_CLOSE 11
#define UBLK_IO_OP_ZONE_FINISH 12
#define UBLK_IO_OP_ZONE_APPEND 13
#define UBLK_IO_OP_ZONE_RESET_ALL 14
#define UBLK_IO_OP_ZONE_RESET 15
#endif
#ifndef UBLK_IO_OP_REPORT_ZONES
/* start_sector: the first zone; the descriptor's nr_sectors field holds the
 * number of zones wanted; the answer is an array of struct blk_zone. */
#define UBLK_IO_OP_REPORT_ZONES 18
#endif

/* ---- user copy: the file offset on /dev/ublkcN that names a request ---- */
#ifndef UBLK_TAG_OFF
#define UBLK_IO_BUF_BITS 25
#define UBLK_TAG_OFF UBLK_IO_BUF_BITS
#define UBLK_TAG_BITS 16
#define UBLK_QID_OFF (UBLK_TAG_OFF + UBLK_TAG_BITS)
#endif

/* The per-queue descriptor area is mmap()ed at this stride: room for the
 * largest queue depth, rounded to pages (the driver's layout). */
#define ZKS_UBLK_IOD_AREA(page) \
	((((uint64_t)UBLK_MAX_QUEUE_DEPTH * sizeof(struct ublksrv_io_desc)) + (page) - 1) / (page) * (page))

/* ---- parameters (UBLK_U_CMD_SET_PARAMS) ---- */
#ifndef UBLK_PARAM_TYPE_DEVT
#define UBLK_PARAM_TYPE_DEVT (1 << 2)
#endif
#ifndef UBLK_PARAM_TYPE_ZONED
#define UBLK_PARAM_TYPE_ZONED (1 << 3)
#endif

struct zks_ublk_param_devt { /* read-only: the char and block device numbers */
	__u32 char_major;
	__u32 char_minor;
	__u32 disk_major;
	__u32 disk_minor;
};

struct zks_ublk_param_zoned {
	__u32 max_open_zones;
	__u32 max_active_zones;
	__u32 max_zone_append_sectors; /* must not be 0 */
	__u8 reserved[20];
};

/* struct ublk_params of Linux 6.6..6.12: basic, discard, devt, zoned. */
struct zks_ublk_params {
	__u32 len;
	__u32 types;
	struct ublk_param_basic basic;
	struct ublk_param_discard discard;
	struct zks_ublk_param_devt devt;
	struct zks_ublk_param_zoned zoned;
};

_Static_assert(sizeof(struct ublksrv_io_desc) == 24, "ublksrv_io_desc is 24 bytes");
_Static_assert(sizeof(struct ublksrv_io_cmd) == 16, "ublksrv_io_cmd is 16 bytes");
_Static_assert(sizeof(struct ublksrv_ctrl_cmd) == 32, "ublksrv_ctrl_cmd is 32 bytes");
_Static_assert(sizeof(struct ublksrv_ctrl_dev_info) == 64, "ublksrv_ctrl_dev_info is 64 bytes");
_Static_assert(sizeof(struct ublk_param_basic) == 32, "ublk_param_basic is 32 bytes");
_Static_assert(sizeof(struct zks_ublk_params) == 112, "ublk_params (6.12) is 112 bytes");

#endif /* ZONEKIT_SERVE_UBLK_ABI_H */
