/* SPDX-License-Identifier: MIT */
/*
 * The append engine: writes into sequential zones, with zone append
 * emulated at the write pointer (engine.h).
 *
 * A request takes its place under the zone's stripe lock (the range
 * [tail, tail + len) is reserved and the tail moves on), joins the plug's
 * queue, and the lock is dropped.  At most one backend write per zone is in
 * flight; its issuer (the leader) takes every request queued behind it and
 * writes them with one pwritev (a group commit: each caller still learns its
 * own offset), then hands the zone to the owner of the first request still
 * queued.  So writes reach the device in wp order, no I/O is done under a
 * stripe lock, and zones never wait on each other.
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
#include <time.h>

#include "zone_claim.h"

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
 * device reported.  Caller holds res.lock and the stripe lock. */
static void replace_requests(struct zk_dev *d, struct zone_plug *p,
			     struct zk_req *list)
{
	struct zk_req *r, *next;

	for (r = list; r; r = next) {
		uint64_t off = r->kind == REQ_APPEND ? UINT64_MAX : r->off;
		int ret;

		next = r->next;
		ret = plug_reserve(d, p, &off, r->len);
		if (ret) {
			req_complete(d, p->zone, r, ret);
			continue;
		}
		if (off != r->off)
			atomic_fetch_add_explicit(&d->stats.retried, 1,
						  memory_order_relaxed);
		r->off = off;
		plug_enqueue(p, r);
	}
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

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
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
	t0 = timed ? now_ns() : 0;
	written = d->ops->pwritev(d, b->p->zone, b->iov, (int)b->n,
				  b->reqs->off);
	zk_lock(&s->lock);
	if (timed)
		note_write_time(s, now_ns() - t0);
	batch_finish(d, b, written);
}

/* Write the batch at the head of the queue from this thread. */
static void issue_sync(struct zk_dev *d, struct zone_plug *p)
{
	struct zk_batch b;

	batch_take(p, &b);
	batch_write_now(d, &b);
}

/* On a buffered device a synchronous leader writes the next batch itself,
 * rather than hand the zone over, when the owner of its head sleeps: a
 * buffered write is CPU work, so waking the owner only puts a scheduler
 * round trip between two writes of the zone (the owner is completed and
 * woken all the same, off that path).  Where writes wait for a device it
 * hands over, so that its own caller's next append joins the next batch.
 * At most this many in a row, so a leader does not write for others for
 * ever. */
#define DRIVE_FOR_SLEEPERS_MAX 4u

static bool drive_for(const struct zk_dev *d, const struct zk_req *h,
		      const struct zk_owner *drv, unsigned int *extra)
{
	if (!d->buffered || drv || h->owner || !h->cv_live ||
	    *extra >= DRIVE_FOR_SLEEPERS_MAX)
		return false;
	++*extra;
	return true;
}

/* Does the head @h go out from this context now?  An owner issues its own
 * requests.  A synchronous caller issues while its own request @self is
 * still queued, the requests ahead of it too (they go first in any case,
 * and the zone passes to a synchronous caller before an owner, so that it
 * never waits for an owner to take the zone up: plug_hand). */
static bool may_issue(const struct zk_owner *drv, const struct zk_req *self,
		      const struct zk_req *h)
{
	if (drv)
		return h->owner == drv;
	return !atomic_load_explicit(&self->done, memory_order_relaxed);
}

void engine_drive(struct zk_dev *d, struct zone_plug *p, struct zk_owner *drv,
		  struct zk_req *self)
{
	unsigned int extra = 0;

	zk_assert_held(zk_zone_lock(d, p->zone));
	p->waits_on = NULL;
	while (p->head) {
		struct zk_req *h = p->head;

		if (!may_issue(drv, self, h) && !drive_for(d, h, drv, &extra)) {
			plug_hand(d, p);
			return;
		}
		if (drv && drv->ops->issue) {
			enum zk_issue how = drv->ops->issue(drv, d, p);

			if (how == ZK_ISSUE_IN_FLIGHT) {
				p->waits_on = drv; /* its completion drives on */
				return;
			}
			if (how == ZK_ISSUE_WRITTEN)
				continue;
		}
		issue_sync(d, p);
	}
	p->busy = false;
	if (p->barriers)
		pthread_cond_broadcast(&p->drain_cv);
}

/* ---- reservation ---- */

/* Sleep until no zone operation waits for or holds the zone. */
static void wait_for_barriers(struct zk_dev *d, struct zone_plug *p)
{
	while (p->barriers)
		plug_wait(d, p, &p->drain_cv);
}

int engine_reserve(struct zk_dev *d, uint32_t z, struct zk_req *r,
		   struct zone_plug **pp)
{
	struct zk_stripe *s = zk_stripe_of(d, z);
	struct zone_model m;
	struct zone_plug *p;
	bool have_res = false;
	int ret;

	for (unsigned int closes = 0;;) {
		uint32_t victim = ZK_NO_ZONE;

		zk_lock(&s->lock);
		p = plug_get(d, z);
		if (!p) {
			ret = -ENOMEM;
			goto fail;
		}
		if (p->barriers && have_res) {
			zk_unlock(&d->res.lock);
			have_res = false;
		}
		if (p->barriers && r->owner) {
			/* An owner's submitter never sleeps on a zone (the zone
			 * may be waiting for it): the request waits on the plug
			 * and is placed when the zone operation ends. */
			plug_park(p, r);
			zk_unlock(&s->lock);
			return ENGINE_PARKED;
		}
		wait_for_barriers(d, p);
		zs_model(d, z, &p->resv, &m);
		if (!have_res && !zs_write_needs_res(d, z, &m, r->len))
			break;
		if (have_res) {
			/* Only a synchronous caller may wait for a zone to
			 * drain (a queue's submitter may be what drains it).
			 * A few tries: others may take the room meanwhile. */
			victim = closes < CLOSE_FOR_ROOM_TRIES ?
				 zs_write_zone_to_close(d, z, &m, r->off, r->len,
							plug_zone_idle, &z,
							!r->owner) :
				 ZK_NO_ZONE;
			if (victim == ZK_NO_ZONE)
				break;
		}
		/* Lock order is res -> stripe: start again holding both. */
		plug_put_if_idle(d, p);
		zk_unlock(&s->lock);
		if (have_res) {
			zk_unlock(&d->res.lock);
			have_res = false;
			closes++;
			close_for_room(d, victim);
			continue;
		}
		zk_lock(&d->res.lock);
		have_res = true;
	}
	ret = plug_reserve(d, p, &r->off, r->len);
	if (have_res) {
		zk_unlock(&d->res.lock);
		have_res = false;
	}
	if (ret) {
		plug_put_if_idle(d, p);
		goto fail;
	}
	plug_enqueue(p, r);
	p->refs++; /* the caller looks at the plug until it is done */
	*pp = p;
	return 0;
fail:
	zk_unlock(&s->lock);
	if (have_res)
		zk_unlock(&d->res.lock);
	return ret;
}

/* ---- waiting for a turn ---- */

/* A synchronous caller spins for its turn before it sleeps when the
 * zone's writes are short: a small buffered write takes a few microseconds,
 * less than a sleeping thread takes to wake, so the zone passes far faster
 * to a thread that spins (as the kernel's mutexes spin while their owner
 * runs).  Where writes wait for a device, the writer is off the CPU as a
 * sleeper would be: spinning there only takes CPU time from the threads
 * whose appends would merge into the next write, so it sleeps at once. */
#define SPIN_WRITE_MAX_NS 50000u /* longer writes: no spinning */
#define SPIN_MIN_NS 10000u

/* 0 or how long to spin: about two writes of the zone's stripe. */
static uint64_t spin_budget(const struct zk_stripe *s)
{
	uint64_t avg = atomic_load_explicit(&s->write_ns, memory_order_relaxed);

	return avg > SPIN_WRITE_MAX_NS ? 0 : SPIN_MIN_NS + 2 * avg;
}

static bool req_ready(const struct zk_req *r)
{
	return atomic_load_explicit(&r->done, memory_order_relaxed) ||
	       atomic_load_explicit(&r->leader, memory_order_relaxed);
}

static inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#elif defined(__aarch64__)
	__asm__ __volatile__("yield");
#endif
}

/* Spin, without the stripe lock, until @r is ready or the time is up. */
static void spin_for_turn(struct zk_dev *d, struct zk_stripe *s,
			  struct zk_req *r)
{
	unsigned int n = atomic_load_explicit(&d->spinners,
					      memory_order_relaxed);
	uint64_t budget = spin_budget(s), deadline = 0;

	if (!budget)
		return;
	do {
		if (n >= d->max_spinners)
			return;
	} while (!atomic_compare_exchange_weak_explicit(
		&d->spinners, &n, n + 1, memory_order_relaxed,
		memory_order_relaxed));
	zk_unlock(&s->lock);
	for (unsigned int i = 1; !req_ready(r); i++) {
		cpu_relax();
		if (i % 64)
			continue;
		if (!deadline)
			deadline = now_ns() + budget;
		else if (now_ns() > deadline)
			break;
	}
	atomic_fetch_sub_explicit(&d->spinners, 1, memory_order_relaxed);
	zk_lock(&s->lock);
}

/* Wait, stripe lock held, until the zone is handed to us or @r is done. */
static void wait_for_turn(struct zk_dev *d, struct zk_stripe *s,
			  struct zone_plug *p, struct zk_req *r)
{
	if (req_ready(r))
		return;
	spin_for_turn(d, s, r);
	if (req_ready(r))
		return;
	if (!r->cv_live) {
		pthread_cond_init(&r->cv, NULL);
		r->cv_live = true;
	}
	while (!req_ready(r))
		plug_wait(d, p, &r->cv);
}

int engine_write(struct zk_dev *d, uint32_t z, struct zk_req *r)
{
	struct zk_stripe *s = zk_stripe_of(d, z);
	struct zone_plug *p;
	int ret;

	ret = engine_reserve(d, z, r, &p);
	if (ret)
		goto out;
	if (!p->busy) {
		p->busy = true;
		atomic_store_explicit(&r->leader, true, memory_order_relaxed);
	}
	for (;;) {
		wait_for_turn(d, s, p, r);
		if (atomic_load_explicit(&r->leader, memory_order_relaxed)) {
			atomic_store_explicit(&r->leader, false,
					      memory_order_relaxed);
			engine_drive(d, p, NULL, r);
		}
		if (atomic_load_explicit(&r->done, memory_order_relaxed))
			break;
	}
	ret = r->result;
	p->refs--;
	plug_put_if_idle(d, p);
	zk_unlock(&s->lock);
	zone_recheck_implicit(d);
out:
	if (r->cv_live)
		pthread_cond_destroy(&r->cv);
	return ret;
}
