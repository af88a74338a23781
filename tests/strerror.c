/* SPDX-License-Identifier: MIT */
/*
 * zk_strerror gives a non-empty message for 0 and every errno zonekit
 * returns; zk_zone_type_name / zk_zone_cond_name name every type and
 * condition ("seq-write-required", "imp-open", ...).
 */
#include "testlib.h"

static void msg(int err)
{
	const char *s = zk_strerror(err);

	if (!s || !*s)
		T_FAIL("zk_strerror(%d) is %s", err, s ? "empty" : "NULL");
	t_info("%5d: %s", err, s);
}

static void name(const char *what, unsigned int v, const char *s,
		 const char *want)
{
	if (!s || !*s)
		T_FAIL("%s(%u) is %s", what, v, s ? "empty" : "NULL");
	if (want && strcmp(s, want))
		T_FAIL("%s(%u) is \"%s\", expected \"%s\"", what, v, s, want);
}

int main(void)
{
	static const int errs[] = {
		0, -EINVAL, -EIO, -EBADF, -EBUSY, -EOVERFLOW, -ETOOMANYREFS,
		-EOPNOTSUPP, -ENOMEM, -ENOENT, -EEXIST, -ENOTEMPTY, -ENOTDIR,
		-ENOSPC, -EACCES, -EPERM, -EAGAIN, -EROFS, -ENOTBLK, -ENODEV,
		-EINTR, -ENXIO,
	};
	static const unsigned int types[] = {
		ZK_ZONE_CONVENTIONAL, ZK_ZONE_SEQ_REQUIRED, ZK_ZONE_SEQ_PREFERRED,
	};
	static const unsigned int conds[] = {
		ZK_COND_NOT_WP, ZK_COND_EMPTY, ZK_COND_IMP_OPEN, ZK_COND_EXP_OPEN,
		ZK_COND_CLOSED, ZK_COND_READONLY, ZK_COND_FULL, ZK_COND_OFFLINE,
	};
	unsigned int i, j;

	t_ctx("zk_strerror");
	for (i = 0; i < sizeof(errs) / sizeof(errs[0]); i++)
		msg(errs[i]);
	/* the messages of zonekit's own errors (the first 8) differ */
	for (i = 0; i < 8; i++)
		for (j = i + 1; j < 8; j++)
			if (!strcmp(zk_strerror(errs[i]), zk_strerror(errs[j])))
				T_FAIL("zk_strerror(%d) == zk_strerror(%d): \"%s\"",
				       errs[i], errs[j], zk_strerror(errs[i]));
	/* anything else: some message, no crash */
	T_ASSERT(zk_strerror(-4095) != NULL);
	T_ASSERT(zk_strerror(-100000) != NULL);
	T_ASSERT(zk_strerror(INT32_MIN) != NULL);
	T_ASSERT(zk_strerror(12345) != NULL);

	t_ctx("zone type names");
	name("zk_zone_type_name", ZK_ZONE_SEQ_REQUIRED,
	     zk_zone_type_name(ZK_ZONE_SEQ_REQUIRED), "seq-write-required");
	for (i = 0; i < 3; i++)
		name("zk_zone_type_name", types[i], zk_zone_type_name(types[i]), NULL);
	for (i = 0; i < 3; i++)
		for (j = i + 1; j < 3; j++)
			T_ASSERT(strcmp(zk_zone_type_name(types[i]),
					zk_zone_type_name(types[j])));

	t_ctx("zone condition names");
	name("zk_zone_cond_name", ZK_COND_IMP_OPEN,
	     zk_zone_cond_name(ZK_COND_IMP_OPEN), "imp-open");
	for (i = 0; i < 8; i++)
		name("zk_zone_cond_name", conds[i], zk_zone_cond_name(conds[i]), NULL);
	for (i = 0; i < 8; i++)
		for (j = i + 1; j < 8; j++)
			T_ASSERT(strcmp(zk_zone_cond_name(conds[i]),
					zk_zone_cond_name(conds[j])));
	/* unknown values: must not crash */
	(void)zk_zone_cond_name(0x7);
	(void)zk_zone_cond_name(255);
	(void)zk_zone_type_name(0);
	(void)zk_zone_type_name(99);

	t_info("pass");
	return T_EXIT_PASS;
}
