/* SPDX-License-Identifier: MIT */
/*
 * The append engine: writes into sequential zones, with zone append
 * emulated at the write pointer.
 *
 * Each writing zone gets a plug (as the kernel's zone write plugging does):
 * a request takes its place under the zone's stripe lock (the range
 * [tail, tail + len) is reserved and the tail moves on), joins the plug's
 * queue, and the lock is dropped.  At most one backend write per zone is in
 * flight; its issuer (the leader) takes every request queued behind it and
 * writes them with one pwritev (a group commit: each caller still learns its
 * own offset), then hands the zone to the first request still queued.  So
 * writes reach the device in wp order, no system call is made under a lock,
 * and zones never wait on each other.
 *
 * The committed wp in the table moves only when a write has completed, so a
 * reader never sees a wp covering data that is not there yet.
 *
 * A failed or short write re-learns that zone (and only that zone) from the
 * device: requests wholly below the device's wp are complete, the one it
 * stopped in fails, and the appends behind it are placed again at the new
 * wp (regular writes behind it no longer start at the wp: -EIO).
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "zk_internal.h"

#define BATCH_MAX_BYTES (8u << 20)

/* ---- plugs (caller holds the stripe lock) ---- */

struct zone_plug *plug_find(struct zk_stripe *s, uint32_t z)
{
	struct zone_plug *p;

	for (p = s->plugs; p; p = p->next)
		if (p->zone == z)
			return p;
	return NULL;
}

struct zone_plug *plug_get(struct zk_dev *d, uint32_t z)
{
	struct zk_stripe *s = zk_stripe_of(d, z);
	struct zone_plug *p = plug_find(s, z);

	if (p)
		return p;
	if (s->spare) {
		p = s->spare; /* its condition variable is still initialised */
		s->spare = NULL;
	} else {
		p = malloc(sizeof(*p));
		if (!p)
			return NULL;
		pthread_cond_init(&p->drain_cv, NULL);
	}
	p->zone = z;
	p->busy = p->full_pending = false;
	p->tail = wpe_wp(wpt_get(&d->wpt, z));
	p->head = NULL;
	p->tailp = &p->head;
	p->barriers = p->refs = 0;
	p->kick_next = NULL;
	p->next = s->plugs;
	s->plugs = p;
	return p;
}

void plug_put_if_idle(struct zk_stripe *s, struct zone_plug *p)
{
	struct zone_plug **pp;

	if (p->busy || p->head || p->barriers || p->refs)
		return;
	for (pp = &s->plugs; *pp != p; pp = &(*pp)->next)
		;
	*pp = p->next;
	if (!s->spare) {
		s->spare = p;
		return;
	}
	pthread_cond_destroy(&p->drain_cv);
	free(p);
}

static void plug_enqueue(struct zone_plug *p, struct zk_req *r)
{
	r->next = NULL;
	*p->tailp = r;
	p->tailp = &r->next;
}

/* Sleep until no zone operation waits for or holds the zone. */
static void wait_for_barriers(struct zk_stripe *s, struct zone_plug *p)
{
	while (p->barriers) {
		p->refs++;
		pthread_cond_wait(&p->drain_cv, &s->lock);
		p->refs--;
	}
}

void complete_req(struct zk_req *r, int result)
{
	r->result = result;
	req_set_done(r);
	if (r->q)
		zkq_post(r->q, r);
	else if (r->cv_live)
		pthread_cond_signal(&r->cv);
}

static void fail_list(struct zk_req *r, int err)
{
	struct zk_req *next;

	for (; r; r = next) {
		next = r->next;
		complete_req(r, err);
	}
}

/* ---- the leader's work ---- */

/* Cut the batch the leader issues off the head of the queue. */
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

	if (p->full_pending && end == start + zk_zone_cap(d, z) &&
	    p->tail == end) {
		p->full_pending = false;
		p->tail = start + zk_zone_len(d, z);
		wpt_set(&d->wpt, z, wpe_make(false, ZK_COND_FULL, p->tail));
		return;
	}
	wpt_set(&d->wpt, z, wpe_make(false, wpe_cond(e), end));
}

/* Acknowledge @r as written; counted in zk_stats whether its write went
 * in whole or the recovery found it on the device after an error. */
static void complete_written(struct zk_stripe *s, struct zk_req *r)
{
	count_add(r->kind == REQ_APPEND ? &s->appends : &s->writes, 1);
	complete_req(r, 0);
}

static void complete_batch_ok(struct zk_dev *d, struct zk_stripe *s,
			      struct zone_plug *p, struct zk_req *batch,
			      unsigned int n)
{
	struct zk_req *r = batch, *next;
	uint64_t end = batch->off;

	count_add(&s->batches, 1);
	if (n > 1)
		count_add(&s->merged, n);
	for (; r; r = next) {
		next = r->next;
		end = r->off + r->len;
		complete_written(s, r);
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
		ret = zs_reserve_write(d, p->zone, p, &off, r->len);
		if (ret) {
			complete_req(r, ret);
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

/* The batch did not go in whole (@written bytes or -errno). */
/* After a failed write, how far the device holds this batch's requests:
 * a real device may have applied part of it (null_blk wrote 496 KiB of a
 * 1 MiB write), or its wp may have moved because another program wrote.
 * Only data read back equal to ours counts. */
static uint64_t verify_written(struct zk_dev *d, uint32_t z, struct zk_req *r,
			       uint64_t dev_end)
{
	uint64_t end = r->off;
	void *tmp = NULL;
	size_t room = 0;

	for (; r && r->off + r->len <= dev_end; r = r->next) {
		if (!tmp || r->len > room) {
			void *bigger = realloc(tmp, r->len);

			if (!bigger)
				break;
			tmp = bigger;
			room = r->len;
		}
		if (d->ops->pread(d, z, tmp, r->len, r->off) != (ssize_t)r->len ||
		    memcmp(tmp, r->buf, r->len))
			break;
		end = r->off + r->len;
	}
	free(tmp);
	return end;
}

/* The batch did not go in whole (@written bytes or -errno).  We still own
 * the zone (busy), so the stripe lock can be dropped to ask the device. */
static void recover_batch(struct zk_dev *d, struct zk_stripe *s,
			  struct zone_plug *p, struct zk_req *batch,
			  ssize_t written)
{
	uint32_t z = p->zone;
	uint64_t cap_end = zk_zone_start(d, z) + zk_zone_cap(d, z);
	uint64_t dev_end = batch->off, ours_end = batch->off;
	struct zk_zone_state st;
	struct zk_req *r = batch, *rest;
	int err = written < 0 ? (int)written : written == 0 ? -EIO : 0;
	int ret;

	pthread_mutex_unlock(&s->lock);
	ret = d->ops->report(d, z, 1, &st);
	atomic_fetch_add_explicit(&d->stats.relearns, 1, memory_order_relaxed);
	if (ret >= 0) {
		dev_end = zone_written_end(&st, cap_end, batch->off);
		if (written >= 0)
			ours_end = batch->off + (uint64_t)written < dev_end ?
				batch->off + (uint64_t)written : dev_end;
		else if (dev_end > batch->off)
			ours_end = verify_written(d, z, batch, dev_end);
	}
	pthread_mutex_lock(&d->res.lock);
	pthread_mutex_lock(&s->lock);

	if (ret < 0)
		err = err ? err : ret; /* cannot be read back: stop here */
	else
		zs_learn(d, z, &st);
	/* Requests wholly in what the device holds of ours are in. */
	for (; r && r->off + r->len <= ours_end; r = rest) {
		rest = r->next;
		complete_written(s, r);
	}
	/* The one the write stopped in fails, unless the write was merely
	 * short (no error), or the wp was not where we wrote (moved behind
	 * our back, nothing of ours in): then it is placed again too. */
	if (r && err && !(ret >= 0 && ours_end == batch->off &&
			  dev_end != batch->off)) {
		rest = r->next;
		complete_req(r, err);
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

		zs_rewind(d, p, batch->off);
		zs_learn(d, z, &lost);
		fail_list(r, ret);
		fail_list(rest, ret);
	} else {
		replace_requests(d, p, r);
		replace_requests(d, p, rest);
	}
	pthread_mutex_unlock(&d->res.lock);
}

void batch_finish(struct zk_dev *d, struct zk_stripe *s, struct zk_batch *b,
		  ssize_t written)
{
	if (written >= 0 && (size_t)written == b->total)
		complete_batch_ok(d, s, b->p, b->reqs, b->n);
	else
		recover_batch(d, s, b->p, b->reqs, written);
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

/* Write the batch at the head of the queue from this thread; the stripe
 * lock is held on entry and on return, but not across the write. */
static void issue_sync(struct zk_dev *d, struct zk_stripe *s,
		       struct zone_plug *p)
{
	struct zk_batch b;
	ssize_t written;
	uint64_t t0;
	bool timed;

	batch_take(p, &b);
	/* Timing every write would cost two clock reads a write. */
	timed = s->writes_untimed++ % WRITE_TIME_EVERY == 0;
	pthread_mutex_unlock(&s->lock);
	t0 = timed ? now_ns() : 0;
	written = d->ops->pwritev(d, p->zone, b.iov, (int)b.n, b.reqs->off);
	pthread_mutex_lock(&s->lock);
	if (timed)
		note_write_time(s, now_ns() - t0);
	batch_finish(d, s, &b, written);
}

/* The zone passes to the owner of request @h: its thread or its queue. */
static void give_zone(struct zone_plug *p, struct zk_req *h)
{
	if (h->q) {
		zkq_kick(h->q, p);
		return;
	}
	atomic_store_explicit(&h->leader, true, memory_order_relaxed);
	if (h->cv_live)
		pthread_cond_signal(&h->cv); /* no system call if it spins */
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
		      struct zk_queue *q, unsigned int *extra)
{
	if (!d->buffered || q || h->q || !h->cv_live ||
	    *extra >= DRIVE_FOR_SLEEPERS_MAX)
		return false;
	++*extra;
	return true;
}

void zone_drive(struct zk_dev *d, struct zk_stripe *s, struct zone_plug *p,
		struct zk_req *self, struct zk_queue *q)
{
	unsigned int extra = 0;

	while (p->head) {
		struct zk_req *h = p->head;

		if ((h->q != q || (!q && h != self)) &&
		    !drive_for(d, h, q, &extra)) {
			give_zone(p, h);
			return;
		}
		if (q && !zkq_issue_batch(q, d, p))
			return; /* in flight; its completion drives on */
		issue_sync(d, s, p);
	}
	p->busy = false;
	if (p->barriers)
		pthread_cond_broadcast(&p->drain_cv);
}

int zone_reserve(struct zk_dev *d, uint32_t z, struct zk_req *r,
		   struct zone_plug **pp)
{
	struct zk_stripe *s = zk_stripe_of(d, z);
	struct zone_model m;
	struct zone_plug *p;
	bool have_res = false;
	int ret;

	for (unsigned int closes = 0;;) {
		uint32_t victim;

		pthread_mutex_lock(&s->lock);
		p = plug_get(d, z);
		if (!p) {
			ret = -ENOMEM;
			goto fail;
		}
		if (p->barriers && have_res) {
			pthread_mutex_unlock(&d->res.lock);
			have_res = false;
		}
		wait_for_barriers(s, p);
		zs_model(d, z, p, &m);
		if (!have_res && !zs_write_needs_res(d, z, &m, r->len))
			break;
		if (have_res) {
			/* Only a synchronous caller may wait for a zone to
			 * drain (a queue's submitter may be what drains it).
			 * A few tries: others may take the room meanwhile. */
			victim = closes < CLOSE_FOR_ROOM_TRIES ?
				 zs_write_zone_to_close(d, z, &m, r->off,
							r->len, !r->q) :
				 ZK_NO_ZONE;
			if (victim == ZK_NO_ZONE)
				break;
		}
		/* Lock order is res -> stripe: start again holding both. */
		plug_put_if_idle(s, p);
		pthread_mutex_unlock(&s->lock);
		if (have_res) {
			pthread_mutex_unlock(&d->res.lock);
			have_res = false;
			closes++;
			close_for_room(d, victim);
			continue;
		}
		pthread_mutex_lock(&d->res.lock);
		have_res = true;
	}
	ret = zs_reserve_write(d, z, p, &r->off, r->len);
	if (have_res)
		pthread_mutex_unlock(&d->res.lock);
	if (ret) {
		plug_put_if_idle(s, p);
		goto fail;
	}
	plug_enqueue(p, r);
	p->refs++; /* the caller looks at the plug until it is done */
	*pp = p;
	return 0;
fail:
	pthread_mutex_unlock(&s->lock);
	return ret;
}

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
	pthread_mutex_unlock(&s->lock);
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
	pthread_mutex_lock(&s->lock);
}

/* Wait, stripe lock held, until the zone is handed to us or @r is done. */
static void wait_for_turn(struct zk_dev *d, struct zk_stripe *s,
			  struct zk_req *r)
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
		pthread_cond_wait(&r->cv, &s->lock);
}

/* Submit one write to a sequential zone and wait for it. */
static int seq_write(struct zk_dev *d, uint32_t z, struct zk_req *r)
{
	struct zk_stripe *s = zk_stripe_of(d, z);
	struct zone_plug *p;
	int ret;

	ret = zone_reserve(d, z, r, &p);
	if (ret)
		goto out;
	if (!p->busy) {
		p->busy = true;
		atomic_store_explicit(&r->leader, true, memory_order_relaxed);
	}
	for (;;) {
		wait_for_turn(d, s, r);
		if (atomic_load_explicit(&r->leader, memory_order_relaxed)) {
			atomic_store_explicit(&r->leader, false,
					      memory_order_relaxed);
			zone_drive(d, s, p, r, NULL);
		}
		if (atomic_load_explicit(&r->done, memory_order_relaxed))
			break;
	}
	ret = r->result;
	p->refs--;
	plug_put_if_idle(s, p);
	pthread_mutex_unlock(&s->lock);
	zs_recheck_implicit(d);
out:
	if (r->cv_live)
		pthread_cond_destroy(&r->cv);
	return ret;
}

/* ---- zone claims, for zone operations ---- */

int zone_claim(struct zk_dev *d, uint32_t z, struct zone_plug **pp)
{
	struct zk_stripe *s = zk_stripe_of(d, z);
	struct zone_plug *p;

	pthread_mutex_lock(&s->lock);
	p = plug_get(d, z);
	if (!p) {
		pthread_mutex_unlock(&s->lock);
		return -ENOMEM;
	}
	p->barriers++;
	while (p->busy || p->head) {
		p->refs++;
		pthread_cond_wait(&p->drain_cv, &s->lock);
		p->refs--;
	}
	p->busy = true;
	pthread_mutex_unlock(&s->lock);
	*pp = p;
	return 0;
}

void zone_release(struct zk_dev *d, struct zone_plug *p)
{
	struct zk_stripe *s = zk_stripe_of(d, p->zone);

	pthread_mutex_lock(&s->lock);
	p->busy = false;
	p->barriers--;
	p->tail = wpe_wp(wpt_get(&d->wpt, p->zone));
	p->full_pending = false;
	pthread_cond_broadcast(&p->drain_cv);
	plug_put_if_idle(s, p);
	pthread_mutex_unlock(&s->lock);
}

int zone_relearn(struct zk_dev *d, uint32_t z)
{
	struct zk_stripe *s = zk_stripe_of(d, z);
	struct zk_zone_state st;
	int ret = d->ops->report(d, z, 1, &st);

	atomic_fetch_add_explicit(&d->stats.relearns, 1, memory_order_relaxed);
	if (ret < 0)
		return ret;
	pthread_mutex_lock(&d->res.lock);
	pthread_mutex_lock(&s->lock);
	zs_learn(d, z, &st);
	pthread_mutex_unlock(&s->lock);
	pthread_mutex_unlock(&d->res.lock);
	return 0;
}

/* ---- public entry points ---- */

int zk_check_write(struct zk_dev *d, size_t len, uint64_t off)
{
	uint32_t z;

	if (d->flags & ZK_RDONLY)
		return -EBADF;
	if (!len || len % d->geo.block_size || off % d->geo.block_size)
		return -EINVAL;
	if (off >= d->geo.capacity || len > d->geo.capacity - off)
		return -EINVAL;
	z = zk_zone_of(d, off);
	if (off + len > zk_zone_start(d, z) + zk_zone_len(d, z))
		return -EINVAL; /* the kernel lets it span zones; we do not */
	return 0;
}

int zk_check_append(struct zk_dev *d, uint64_t zone_start, size_t len)
{
	uint32_t z;

	if (d->flags & ZK_RDONLY)
		return -EBADF;
	if (zone_start >= d->geo.capacity ||
	    (zone_start & (d->geo.zone_size - 1)))
		return -EINVAL;
	if (!len || len % d->geo.block_size)
		return -EINVAL;
	if (d->geo.max_append && len > d->geo.max_append)
		return -EINVAL;
	z = zk_zone_of(d, zone_start);
	if (zk_zone_is_conv(d, z))
		return -EIO;
	/* Longer than the zone: it would cross the capacity wherever the wp
	 * is, so the kernel's answer, EIO (blk_check_zone_append). */
	if (len > zk_zone_len(d, z))
		return -EIO;
	return 0;
}

static ssize_t conv_write(struct zk_dev *d, uint32_t z, const void *buf,
			  size_t len, uint64_t off)
{
	struct iovec iov = { .iov_base = (void *)buf, .iov_len = len };
	ssize_t ret = d->ops->pwritev(d, z, &iov, 1, off);

	if (ret >= 0 && (size_t)ret != len)
		ret = -EIO;
	if (ret >= 0)
		atomic_fetch_add_explicit(&d->stats.writes, 1,
					  memory_order_relaxed);
	return ret;
}

ZK_EXPORT ssize_t zk_pwrite(struct zk_dev *d, const void *buf, size_t len,
			    uint64_t off)
{
	struct zk_req r = { .kind = REQ_WRITE, .buf = buf, .len = len, .off = off };
	uint32_t z;
	int ret;

	if (!d || !buf)
		return -EINVAL;
	ret = zk_check_write(d, len, off);
	if (ret)
		return ret;
	z = zk_zone_of(d, off);
	if (zk_zone_is_conv(d, z))
		return conv_write(d, z, buf, len, off);
	ret = seq_write(d, z, &r);
	return ret ? ret : (ssize_t)len;
}

ZK_EXPORT int zk_append(struct zk_dev *d, uint64_t zone_start, const void *buf,
			size_t len, uint64_t *landed)
{
	struct zk_req r = { .kind = REQ_APPEND, .buf = buf, .len = len,
			    .off = UINT64_MAX };
	int ret;

	if (!d || !buf || !landed)
		return -EINVAL;
	ret = zk_check_append(d, zone_start, len);
	if (ret)
		return ret;
	ret = seq_write(d, zk_zone_of(d, zone_start), &r);
	if (!ret)
		*landed = r.off;
	return ret;
}
