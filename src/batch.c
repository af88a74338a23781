/* SPDX-License-Identifier: MIT */
/*
 * Batches (engine.h): the requests at the head of a plug's queue cut off
 * and written with one backend write, then finished: committed and
 * completed, or, after a failed or short write, recovered.
 *
 * The committed wp in the table moves only when a write has completed, so a
 * reader never sees a wp covering data that is not there yet.
 *
 * A failed or short write re-learns that zone (and only that zone) from the
 * device: requests wholly below the device's wp are complete, the one it
 * stopped in fails, and the appends behind it are placed again at the new
 * wp (regular writes behind it no longer start at the wp: -EIO).
 */
#include "engine.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define BATCH_MAX_BYTES (8u << 20)

static void fail_list(struct zk_dev *d, uint32_t z, struct zk_req *r, int err)
{
	struct zk_req *next;

	for (; r; r = next) {
		next = r->next;
		req_complete(d, z, r, err);
	}
}

/* ---- the leader's work ---- */

void batch_take(struct zone_plug *p, struct zk_batch *b)
{
	struct zk_req *r = p->head;

	b->p = p;
	b->reqs = r;
	b->n = 0;
	b->total = 0;
	for (;;) {
		b->iov[b->n].iov_base = (void *)r->buf;
		b->iov[b->n].iov_len = r->len;
		b->total += r->len;
		b->n++;
		if (!r->next || b->n == BATCH_MAX_IOV ||
		    b->total + r->next->len > BATCH_MAX_BYTES)
			break;
		r = r->next;
	}
	/* r is the last request in the batch */
	p->head = r->next;
	if (!p->head)
		p->tailp = &p->head;
	r->next = NULL;
}

/* Publish a completed write: wp moves, and the zone turns FULL once the
 * write that reached its capacity is in. */
static void commit(struct zk_dev *d, struct zone_plug *p, uint64_t end)
{
	uint32_t z = p->zone;
	uint64_t start = zk_zone_start(d, z);
	uint64_t e = wpt_get(&d->wpt, z);

	if (p->resv.full_pending && end == start + zk_zone_cap(d, z) &&
	    p->resv.tail == end) {
		p->resv.full_pending = false;
		p->resv.tail = start + zk_zone_len(d, z);
		wpt_set(&d->wpt, z, wpe_make(false, ZK_COND_FULL, p->resv.tail));
		return;
	}
	wpt_set(&d->wpt, z, wpe_make(false, wpe_cond(e), end));
}

/* Acknowledge @r as written; counted in zk_stats whether its write went
 * in whole or the recovery found it on the device after an error. */
static void complete_written(struct zk_dev *d, uint32_t z, struct zk_req *r)
{
	struct zk_stripe *s = zk_stripe_of(d, z);

	count_add(r->kind == REQ_APPEND ? &s->appends : &s->writes, 1);
	req_complete(d, z, r, 0);
}

static void complete_batch_ok(struct zk_dev *d, struct zone_plug *p,
			      struct zk_req *batch, unsigned int n)
{
	struct zk_stripe *s = zk_stripe_of(d, p->zone);
	struct zk_req *r = batch, *next;
	uint64_t end = batch->off;

	count_add(&s->batches, 1);
	if (n > 1)
		count_add(&s->merged, n);
	for (; r; r = next) {
		next = r->next;
		end = r->off + r->len;
		complete_written(d, p->zone, r);
	}
	commit(d, p, end);
}

/* Place again, in order, every request not yet written, at the wp the
 * device reported; appends that land elsewhere are counted in
 * zk_stats.retried.  Caller holds res.lock and the stripe lock. */
static void replace_requests(struct zk_dev *d, struct zone_plug *p,
			     struct zk_req *list)
{
	unsigned int moved = plug_place(d, p, list);

	if (moved)
		atomic_fetch_add_explicit(&d->stats.retried, moved,
					  memory_order_relaxed);
}

/* How far the device holds data of the batch that started at @start. */
static uint64_t zone_written_end(const struct zk_zone_state *st,
				 uint64_t cap_end, uint64_t start)
{
	switch (st->cond) {
	case ZK_COND_FULL:
		return cap_end;
	case ZK_COND_EMPTY:
	case ZK_COND_IMP_OPEN:
	case ZK_COND_EXP_OPEN:
	case ZK_COND_CLOSED:
		return st->wp;
	default:
		return start;
	}
}

#define COMPARE_CHUNK (1u << 20)

/* Of the @n bytes at @a and @b, how many from the start are the same,
 * in whole blocks of @bs. */
static size_t same_blocks(const char *a, const char *b, size_t n, uint32_t bs)
{
	size_t i = 0;

	while (i < n && !memcmp(a + i, b + i, bs))
		i += bs;
	return i;
}

/* After a failed write, how far from the batch's start the device holds
 * the batch's data: a real device may have applied part of the write
 * (null_blk wrote 496 KiB of a 1 MiB write), or its wp may have moved
 * because another program wrote.  Only data read back equal to ours,
 * block by block, counts.  No lock held. */
static uint64_t ours_on_device(struct zk_dev *d, uint32_t z,
			       struct zk_req *r, uint64_t dev_end)
{
	uint32_t bs = d->geo.block_size;
	uint64_t off = r->off;
	char *tmp = malloc(COMPARE_CHUNK);

	zk_assert_none_held(ZK_LOCK_STRIPE);
	if (!tmp)
		return off; /* cannot tell: nothing counts as ours */
	for (; r && off < dev_end; r = r->next) {
		for (size_t done = 0; done < r->len && off < dev_end;) {
			size_t n = r->len - done, same;

			if (n > COMPARE_CHUNK)
				n = COMPARE_CHUNK;
			if (n > dev_end - off)
				n = (size_t)(dev_end - off);
			if (d->ops->pread(d, z, tmp, n, off) != (ssize_t)n)
				goto out;
			same = same_blocks(tmp, (const char *)r->buf + done, n, bs);
			off += same;
			if (same < n)
				goto out;
			done += n;
		}
	}
out:
	free(tmp);
	return off;
}

/* The request of @batch that @end falls in (not wholly below it). */
static struct zk_req *request_at(struct zk_req *batch, uint64_t end)
{
	while (batch && batch->off + batch->len <= end)
		batch = batch->next;
	return batch;
}

/* The batch did not go in whole (@written bytes or -errno).  We still own
 * the zone (busy), so the stripe lock can be dropped to ask the device. */
static void recover_batch(struct zk_dev *d, struct zone_plug *p,
			  struct zk_req *batch, ssize_t written)
{
	uint32_t z = p->zone;
	struct zk_stripe *s = zk_stripe_of(d, z);
	uint64_t cap_end = zk_zone_start(d, z) + zk_zone_cap(d, z);
	uint64_t dev_end = batch->off, ours_end = batch->off;
	struct zk_zone_state st;
	struct zk_req *r = batch, *rest, *cut;
	int err = written < 0 ? (int)written : written == 0 ? -EIO : 0;
	int ret;

	zk_unlock(&s->lock);
	zk_assert_none_held(ZK_LOCK_STRIPE);
	atomic_fetch_add_explicit(&d->stats.relearns, 1, memory_order_relaxed);
	ret = d->ops->report(d, z, 1, &st);
	if (ret >= 0) {
		dev_end = zone_written_end(&st, cap_end, batch->off);
		if (written >= 0)
			ours_end = batch->off + (uint64_t)written < dev_end ?
				batch->off + (uint64_t)written : dev_end;
		else if (dev_end > batch->off)
			ours_end = ours_on_device(d, z, batch, dev_end);
		/* The first blocks of the request the write stopped in, and
		 * nothing else, lie past the last whole request: where the
		 * device can, take them back, so that the zone is as before
		 * that request. */
		cut = request_at(batch, ours_end);
		if (cut && ours_end > cut->off && ours_end == dev_end &&
		    d->ops->rewind && !d->ops->rewind(d, z, cut->off)) {
			ours_end = cut->off;
			atomic_fetch_add_explicit(&d->stats.relearns, 1,
						  memory_order_relaxed);
			ret = d->ops->report(d, z, 1, &st);
			dev_end = ret < 0 ? ours_end :
				zone_written_end(&st, cap_end, batch->off);
		}
	}
	zk_lock(&d->res.lock);
	zk_lock(&s->lock);

	if (ret < 0)
		err = err ? err : ret; /* cannot be read back: stop here */
	else
		zs_learn(d, z, &p->resv, &st);
	/* Requests wholly in what the device holds of ours are in. */
	for (; r && r->off + r->len <= ours_end; r = rest) {
		rest = r->next;
		complete_written(d, z, r);
	}
	/* The one the write stopped in fails with its error, unless the
	 * device's wp is not where our data ends (another program wrote
	 * behind our back, or cut the zone): then it goes again from that
	 * wp, as does one that was merely cut short (no error). */
	if (r && err && !(ret >= 0 && dev_end != ours_end)) {
		rest = r->next;
		req_complete(d, z, r, err);
		r = rest;
	}
	/* r..end of batch, then the queue, go again from the new wp. */
	rest = p->head;
	p->head = NULL;
	p->tailp = &p->head;
	if (ret < 0) {
		/* Where the wp is, nobody knows: no write may go to the zone
		 * until it is re-learnt (zk_resync), so it is OFFLINE meanwhile. */
		struct zk_zone_state lost = { .type = d->seq_type,
					      .cond = ZK_COND_OFFLINE };

		zs_rewind(d, z, &p->resv, batch->off);
		zs_force(d, z, &p->resv, &lost);
		fail_list(d, z, r, ret);
		fail_list(d, z, rest, ret);
	} else {
		replace_requests(d, p, r);
		replace_requests(d, p, rest);
	}
	zk_unlock(&d->res.lock);
}

void batch_finish(struct zk_dev *d, struct zk_batch *b, ssize_t written)
{
	zk_assert_held(zk_zone_lock(d, b->p->zone));
	if (written >= 0 && (size_t)written == b->total)
		complete_batch_ok(d, b->p, b->reqs, b->n);
	else
		recover_batch(d, b->p, b->reqs, written);
}

#define WRITE_TIME_EVERY 16u

/* Fold one write's duration into the stripe's average (weight 1/8). */
static void note_write_time(struct zk_stripe *s, uint64_t ns)
{
	uint64_t avg = atomic_load_explicit(&s->write_ns, memory_order_relaxed);

	avg = avg ? avg - avg / 8 + ns / 8 : ns;
	atomic_store_explicit(&s->write_ns, avg, memory_order_relaxed);
}

void batch_write_now(struct zk_dev *d, struct zk_batch *b)
{
	struct zk_stripe *s = zk_stripe_of(d, b->p->zone);
	ssize_t written;
	uint64_t t0;
	bool timed;

	/* Timing every write would cost two clock reads a write. */
	timed = s->writes_untimed++ % WRITE_TIME_EVERY == 0;
	zk_unlock(&s->lock);
	zk_assert_none_held(ZK_LOCK_STRIPE);
	t0 = timed ? engine_now_ns() : 0;
	written = d->ops->pwritev(d, b->p->zone, b->iov, (int)b->n,
				  b->reqs->off);
	zk_lock(&s->lock);
	if (timed)
		note_write_time(s, engine_now_ns() - t0);
	batch_finish(d, b, written);
}

/* @r alone in zone @p, which the caller found idle and made busy: write it
 * straight from its buffer (a batch of one, without the batch's array),
 * then complete it and commit the wp, or recover.  Stripe lock held,
 * dropped across the write. */
void batch_write_alone(struct zk_dev *d, struct zone_plug *p,
		       struct zk_req *r)
{
	struct zk_stripe *s = zk_stripe_of(d, p->zone);
	struct iovec iov = { .iov_base = (void *)r->buf, .iov_len = r->len };
	ssize_t written;
	uint64_t t0;
	bool timed;

	zk_assert_held(&s->lock);
	p->head = NULL;
	p->tailp = &p->head;
	timed = s->writes_untimed++ % WRITE_TIME_EVERY == 0;
	zk_unlock(&s->lock);
	zk_assert_none_held(ZK_LOCK_STRIPE);
	t0 = timed ? engine_now_ns() : 0;
	written = d->ops->pwritev(d, p->zone, &iov, 1, r->off);
	zk_lock(&s->lock);
	if (timed)
		note_write_time(s, engine_now_ns() - t0);
	if (written >= 0 && (size_t)written == r->len) {
		count_add(&s->batches, 1);
		complete_written(d, p->zone, r);
		commit(d, p, r->off + r->len);
	} else {
		recover_batch(d, p, r, written);
	}
}
