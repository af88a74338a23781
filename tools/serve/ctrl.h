/* SPDX-License-Identifier: MIT */
/*
 * The ublk control plane: commands to /dev/ublk-control through an
 * io_uring with 128-byte entries, one command at a time.
 */
#ifndef ZONEKIT_SERVE_CTRL_H
#define ZONEKIT_SERVE_CTRL_H

#include <liburing.h>
#include <stdint.h>

#include "ublk_abi.h"

#define UBLK_CONTROL_PATH "/dev/ublk-control"

struct ublk_ctrl {
	int fd;
	struct io_uring ring;
};

/* 0 or -errno (-ENOENT: no ublk driver loaded, -EACCES/-EPERM: not root). */
int ublk_ctrl_open(struct ublk_ctrl *c);
void ublk_ctrl_close(struct ublk_ctrl *c);

/* One command: @buf/@len its buffer (in or out), @data0 its inline word.
 * Returns the command's result: >= 0 or -errno. */
int ublk_ctrl_cmd(struct ublk_ctrl *c, unsigned int op, uint32_t dev_id,
		  void *buf, uint16_t len, uint64_t data0);

int ublk_ctrl_features(struct ublk_ctrl *c, uint64_t *features);
/* @info->dev_id: the wanted id or UINT32_MAX for any; on return, the
 * device the kernel made and the flags it accepted. */
int ublk_ctrl_add(struct ublk_ctrl *c, struct ublksrv_ctrl_dev_info *info);
int ublk_ctrl_get_info(struct ublk_ctrl *c, uint32_t dev_id,
		       struct ublksrv_ctrl_dev_info *info);
int ublk_ctrl_set_params(struct ublk_ctrl *c, uint32_t dev_id,
			 struct zks_ublk_params *params);
/* Blocks until every queue has fetched its requests and the kernel has
 * read the zones (so the queues must be serving by then). */
int ublk_ctrl_start(struct ublk_ctrl *c, uint32_t dev_id, int server_pid);
int ublk_ctrl_stop(struct ublk_ctrl *c, uint32_t dev_id);
int ublk_ctrl_del(struct ublk_ctrl *c, uint32_t dev_id);

/* What to tell a user whose control command failed with @err. */
const char *ublk_ctrl_hint(int err);

#endif /* ZONEKIT_SERVE_CTRL_H */
