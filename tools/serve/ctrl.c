/* SPDX-License-Identifier: MIT */
/* The ublk control plane: see ctrl.h. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "ctrl.h"

int ublk_ctrl_open(struct ublk_ctrl *c)
{
	int ret;

	c->fd = open(UBLK_CONTROL_PATH, O_RDWR | O_CLOEXEC);
	if (c->fd < 0)
		return -errno;
	/* control commands carry 32 bytes inline: they need 128-byte SQEs */
	ret = io_uring_queue_init(4, &c->ring, IORING_SETUP_SQE128);
	if (ret < 0) {
		close(c->fd);
		c->fd = -1;
	}
	return ret;
}

void ublk_ctrl_close(struct ublk_ctrl *c)
{
	if (c->fd < 0)
		return;
	io_uring_queue_exit(&c->ring);
	close(c->fd);
	c->fd = -1;
}

int ublk_ctrl_cmd(struct ublk_ctrl *c, unsigned int op, uint32_t dev_id,
		  void *buf, uint16_t len, uint64_t data0)
{
	struct ublksrv_ctrl_cmd cmd = {
		.dev_id = dev_id,
		.queue_id = (uint16_t)-1,
		.len = len,
		.addr = (uint64_t)(uintptr_t)buf,
	};
	struct io_uring_sqe *sqe;
	struct io_uring_cqe *cqe;
	int ret;

	cmd.data[0] = data0;
	sqe = io_uring_get_sqe(&c->ring);
	if (!sqe)
		return -EBUSY;
	memset(sqe, 0, 2 * sizeof(*sqe)); /* a 128-byte entry */
	sqe->opcode = IORING_OP_URING_CMD;
	sqe->fd = c->fd;
	sqe->cmd_op = op;
	memcpy(sqe->cmd, &cmd, sizeof(cmd));
	ret = io_uring_submit(&c->ring);
	if (ret < 0)
		return ret;
	do
		ret = io_uring_wait_cqe(&c->ring, &cqe);
	while (ret == -EINTR);
	if (ret < 0)
		return ret;
	ret = cqe->res;
	io_uring_cqe_seen(&c->ring, cqe);
	return ret;
}

int ublk_ctrl_features(struct ublk_ctrl *c, uint64_t *features)
{
	*features = 0;
	return ublk_ctrl_cmd(c, UBLK_U_CMD_GET_FEATURES, 0, features,
			     UBLK_FEATURES_LEN, 0);
}

int ublk_ctrl_add(struct ublk_ctrl *c, struct ublksrv_ctrl_dev_info *info)
{
	return ublk_ctrl_cmd(c, UBLK_U_CMD_ADD_DEV, info->dev_id, info,
			     sizeof(*info), 0);
}

int ublk_ctrl_get_info(struct ublk_ctrl *c, uint32_t dev_id,
		       struct ublksrv_ctrl_dev_info *info)
{
	memset(info, 0, sizeof(*info));
	return ublk_ctrl_cmd(c, UBLK_U_CMD_GET_DEV_INFO, dev_id, info,
			     sizeof(*info), 0);
}

int ublk_ctrl_set_params(struct ublk_ctrl *c, uint32_t dev_id,
			 struct zks_ublk_params *params)
{
	params->len = sizeof(*params);
	return ublk_ctrl_cmd(c, UBLK_U_CMD_SET_PARAMS, dev_id, params,
			     sizeof(*params), 0);
}

int ublk_ctrl_start(struct ublk_ctrl *c, uint32_t dev_id, int server_pid)
{
	return ublk_ctrl_cmd(c, UBLK_U_CMD_START_DEV, dev_id, NULL, 0,
			     (uint64_t)server_pid);
}

int ublk_ctrl_stop(struct ublk_ctrl *c, uint32_t dev_id)
{
	return ublk_ctrl_cmd(c, UBLK_U_CMD_STOP_DEV, dev_id, NULL, 0, 0);
}

int ublk_ctrl_del(struct ublk_ctrl *c, uint32_t dev_id)
{
	return ublk_ctrl_cmd(c, UBLK_U_CMD_DEL_DEV, dev_id, NULL, 0, 0);
}

const char *ublk_ctrl_hint(int err)
{
	switch (err) {
	case -ENOENT:
	case -ENODEV:
	case -ENXIO:
		return "the ublk driver is not loaded: run 'modprobe ublk_drv' as root";
	case -EACCES:
	case -EPERM:
		return "a zoned ublk device needs root (CAP_SYS_ADMIN): ublk's "
		       "unprivileged mode has no user copy, which zoned devices need";
	case -EINVAL:
	case -EOPNOTSUPP:
		return "this kernel's ublk driver cannot serve zoned devices "
		       "(Linux >= 6.6 built with CONFIG_BLK_DEV_ZONED is needed)";
	default:
		return NULL;
	}
}
