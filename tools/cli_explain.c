/* SPDX-License-Identifier: MIT */
#include "cli_explain.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>

#include "cli_util.h"

#define WHY_LEN 256

/* A message being put together. */
struct why {
	char text[WHY_LEN];
	bool set;
};

static void why_set(struct why *w, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void why_set(struct why *w, const char *fmt, ...)
{
	va_list ap;

	if (w->set)
		return; /* the first, most precise reason wins */
	va_start(ap, fmt);
	vsnprintf(w->text, sizeof(w->text), fmt, ap);
	va_end(ap);
	w->set = true;
}

static int why_report(struct cli_dev *d, struct why *w, int err)
{
	return cli_fail(d->cmd, err, "%s", w->text);
}

static bool is_sequential(const struct zk_zone *z)
{
	return z->type != ZK_ZONE_CONVENTIONAL;
}

/* "read-only" or "offline" for a worn-out zone, else NULL. */
static const char *worn_out(const struct zk_zone *z)
{
	if (z->cond == ZK_COND_READONLY)
		return "read-only";
	if (z->cond == ZK_COND_OFFLINE)
		return "offline";
	return NULL;
}

static void explain_limits(struct cli_dev *d, struct why *w,
			   const char *what, int err)
{
	if (err == -ETOOMANYREFS)
		why_set(w, "%s: too many open zones (the device allows %u)",
			what, d->info.max_open);
	else if (err == -EOVERFLOW)
		why_set(w, "%s: too many active zones (the device allows %u)",
			what, d->info.max_active);
	else if (err == -EBADF)
		why_set(w, "%s: the device is open read-only", what);
}

/* Reasons that do not need the zone: range and alignment. */
static void explain_range(struct cli_dev *d, struct why *w, const char *what,
			  uint64_t offset, uint64_t len)
{
	if (range_past_end(d, offset, len))
		why_set(w, "%s goes past the end of the device (0x%" PRIx64 ")", what,
			d->info.capacity);
	else if (range_unaligned(d, offset, len))
		why_set(w, "%s is not aligned to the block size (%u)", what,
			d->info.block_size);
}

/* ---- write and append: the library says why ------------------------------ */

/* @problem and @reason: what zk_write_problem() or zk_append_problem()
 * says of the request now.  If it sees nothing wrong, the device refused
 * it (an I/O error, no space...): @err alone says so. */
static int report_problem(struct cli_dev *d, const char *what, int problem,
			  const char *reason, int err)
{
	if (!problem)
		return cli_fail(d->cmd, err, "%s", what);
	return cli_fail(d->cmd, problem, "%s: %s", what, reason);
}

int fail_write(struct cli_dev *d, uint64_t offset, uint64_t len, int err)
{
	char what[96], reason[WHY_LEN];
	int problem;

	snprintf(what, sizeof(what), "write of %" PRIu64 " bytes at 0x%" PRIx64,
		 len, offset);
	problem = zk_write_problem(d->dev, offset, (size_t)len, reason,
				   sizeof(reason));
	return report_problem(d, what, problem, reason, err);
}

int write_at(struct cli_dev *d, const void *buf, size_t len, uint64_t offset)
{
	ssize_t n = zk_pwrite(d->dev, buf, len, offset);

	if (n < 0)
		return fail_write(d, offset, len, (int)n);
	if ((size_t)n != len)
		return cli_fail(d->cmd, -EIO, "short write at 0x%" PRIx64 ": %zd of %zu bytes",
				offset, n, len);
	return 0;
}

int fail_append(struct cli_dev *d, uint64_t zone_start, uint64_t len, int err)
{
	char what[96], reason[WHY_LEN];
	int problem;

	snprintf(what, sizeof(what), "append of %" PRIu64 " bytes to the zone at 0x%" PRIx64,
		 len, zone_start);
	problem = zk_append_problem(d->dev, zone_start, (size_t)len, reason,
				    sizeof(reason));
	return report_problem(d, what, problem, reason, err);
}

/* ---- zones of a range -------------------------------------------------- */

/* The first zone of a range that a read or zone operation trips on. */
struct zone_search {
	uint64_t end;
	bool (*bad)(const struct zk_zone *z, const void *arg);
	const void *arg;
	struct zk_zone found;
	bool was_found;
};

static int visit_search(const struct zk_zone *z, void *ctx)
{
	struct zone_search *s = ctx;

	if (z->start >= s->end)
		return 1;
	if (!s->bad(z, s->arg))
		return 0;
	s->found = *z;
	s->was_found = true;
	return 1;
}

static bool find_zone(struct cli_dev *d, uint64_t offset, uint64_t len,
		      bool (*bad)(const struct zk_zone *, const void *),
		      const void *arg, struct zk_zone *found)
{
	struct zone_search s = {
		.end = offset + len, .bad = bad, .arg = arg, .was_found = false,
	};

	if (cli_walk_zones(d, offset, 0, visit_search, &s, NULL) < 0)
		return false;
	*found = s.found;
	return s.was_found;
}

/* ---- read -------------------------------------------------------------- */

static bool is_offline(const struct zk_zone *z, const void *arg)
{
	(void)arg;
	return z->cond == ZK_COND_OFFLINE;
}

int fail_read(struct cli_dev *d, uint64_t offset, uint64_t len, int err)
{
	struct why w = { .set = false };
	char what[96];
	struct zk_zone z;

	snprintf(what, sizeof(what), "read of %" PRIu64 " bytes at 0x%" PRIx64, len,
		 offset);
	if (err == -EINVAL)
		explain_range(d, &w, what, offset, len);
	if (!w.set && err == -EIO && find_zone(d, offset, len, is_offline,
					       NULL, &z))
		why_set(&w, "%s: the zone at 0x%" PRIx64 " is offline", what,
			z.start);
	why_set(&w, "%s", what);
	return why_report(d, &w, err);
}

/* ---- zone operations --------------------------------------------------- */

struct op_check {
	enum zk_op op;
	bool all;
};

/* Why the operation fails with -EIO on this zone, or NULL. */
static const char *zone_op_problem(const struct zk_zone *z,
				   const struct op_check *c)
{
	if (!is_sequential(z))
		return c->all ? NULL : "conventional";
	if (worn_out(z))
		return worn_out(z);
	if (!c->all && z->cond == ZK_COND_FULL && c->op == ZK_OP_OPEN)
		return "full";
	return NULL;
}

static bool zone_op_fails(const struct zk_zone *z, const void *arg)
{
	return zone_op_problem(z, arg) != NULL;
}

static void explain_zone_op_range(struct cli_dev *d, struct why *w,
				  const char *what, uint64_t offset,
				  uint64_t len)
{
	struct zk_zone z;

	if (range_past_end(d, offset, len)) {
		why_set(w, "%s: the range goes past the end of the device (0x%" PRIx64 ")",
			what, d->info.capacity);
		return;
	}
	if (cli_zone_at(d, offset, &z) < 0)
		return;
	if (z.start != offset)
		why_set(w, "%s: 0x%" PRIx64 " is not the start of a zone (its zone starts at 0x%" PRIx64 ")",
			what, offset, z.start);
	else if (!len || (offset + len != d->info.capacity &&
			   len % d->info.zone_size))
		why_set(w, "%s: the length %" PRIu64 " is not a whole number of zones (%" PRIu64 " bytes each)",
			what, len, d->info.zone_size);
}

/* "reset of all zones", "reset of the zone at X", "reset of zones X to Y" */
static void describe_zone_op(struct cli_dev *d, uint64_t offset, uint64_t len,
			     bool all, char *buf, size_t size)
{
	struct zk_zone z;

	if (all)
		snprintf(buf, size, "%s of all zones", d->cmd);
	else if (cli_zone_at(d, offset, &z) == 0 && z.start == offset &&
		 z.len == len)
		snprintf(buf, size, "%s of the zone at 0x%" PRIx64, d->cmd,
			 offset);
	else
		snprintf(buf, size, "%s of zones 0x%" PRIx64 " to 0x%" PRIx64, d->cmd,
			 offset, offset + len);
}

int fail_zone_op(struct cli_dev *d, enum zk_op op, uint64_t offset,
		 uint64_t len, bool all, int err)
{
	struct op_check check = { .op = op, .all = all };
	struct why w = { .set = false };
	char what[96];
	struct zk_zone z;

	describe_zone_op(d, offset, len, all, what, sizeof(what));
	explain_limits(d, &w, what, err);
	if (err == -EINVAL)
		explain_zone_op_range(d, &w, what, offset, len);
	if (!w.set && err == -EIO &&
	    find_zone(d, offset, len, zone_op_fails, &check, &z)) {
		if (!all && z.start == offset && z.len == len) /* one zone */
			why_set(&w, "%s: it is %s", what,
				zone_op_problem(&z, &check));
		why_set(&w, "%s: the zone at 0x%" PRIx64 " is %s", what,
			z.start, zone_op_problem(&z, &check));
	}
	why_set(&w, "%s", what);
	return why_report(d, &w, err);
}
