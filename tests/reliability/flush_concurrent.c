/* SPDX-License-Identifier: MIT */
/*
 * zk_flush() called by two threads at once must each return only once the
 * writes acknowledged before their call are durable.
 *
 * fdatasync() is wrapped (-Wl,--wrap=fdatasync): the sync of the zone
 * written is held at a gate while thread A is inside zk_flush().  Thread B
 * then calls zk_flush() too; the append it covers was acknowledged before
 * its call, and the only sync that would make it durable is A's, still
 * held.  B must not return before the gate opens (and, in the second
 * scenario, must not return success when A's sync then fails).
 *
 * The emulated backend (emu_flush in src/backend_emu/io.c) takes each zone's
 * dirty bit with atomic_exchange() before syncing it, so a second flusher
 * finds no dirty bit and returns 0 at once, while the sync it relies on
 * is still running (or about to fail).  A power cut at that moment loses
 * data a returned zk_flush() covered: crash_powercut_shim and
 * crash_powercut_ext4 see exactly that when 8 threads flush.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "rel.h"

#include <time.h>
#include <unistd.h>

static pthread_mutex_t gate_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t gate_cv = PTHREAD_COND_INITIALIZER;
static bool gate_armed, in_gate, gate_open, gate_fail;
static unsigned long syncs;

int __real_fdatasync(int fd);
int __wrap_fdatasync(int fd);
int __wrap_fdatasync(int fd)
{
	bool fail = false;
	int ret;

	pthread_mutex_lock(&gate_lock);
	syncs++;
	if (gate_armed) {
		gate_armed = false;
		in_gate = true;
		pthread_cond_broadcast(&gate_cv);
		while (!gate_open)
			pthread_cond_wait(&gate_cv, &gate_lock);
		in_gate = false;
		fail = gate_fail;
	}
	pthread_mutex_unlock(&gate_lock);
	ret = __real_fdatasync(fd);
	if (fail) {
		errno = EIO;
		return -1;
	}
	return ret;
}

struct flusher {
	struct zk_dev *dev;
	pthread_t th;
	_Atomic int done;
	int ret;
};

static void *flush_main(void *arg)
{
	struct flusher *f = arg;

	f->ret = zk_flush(f->dev);
	atomic_store(&f->done, 1);
	return NULL;
}

/* Returns a description of what went wrong, or NULL. */
static const char *scenario(bool a_fails)
{
	static char msg[512];
	struct zk_geometry geo;
	struct flusher a = { 0 }, b = { 0 };
	struct tdev t;
	uint8_t *buf = t_aligned(4 * KiB);
	uint64_t landed;
	bool b_early = false;
	int b_ret_early = 0;

	t_geo_default(&geo);
	t_dev_create(&t, &geo);
	t_rec_fill(buf, 4 * KiB, 4096, 1, 1);
	T_OK(zk_append(t.dev, t_zstart(&t, 1), buf, 4 * KiB, &landed));

	pthread_mutex_lock(&gate_lock);
	gate_armed = true;
	gate_open = false;
	gate_fail = a_fails;
	pthread_mutex_unlock(&gate_lock);

	a.dev = b.dev = t.dev;
	if (pthread_create(&a.th, NULL, flush_main, &a))
		T_FAIL("pthread_create");
	pthread_mutex_lock(&gate_lock);
	while (!in_gate)
		pthread_cond_wait(&gate_cv, &gate_lock);
	pthread_mutex_unlock(&gate_lock);

	/* A holds the only sync of zone 1; the append was acknowledged
	 * before B's call. */
	if (pthread_create(&b.th, NULL, flush_main, &b))
		T_FAIL("pthread_create");
	for (int i = 0; i < 60 && !atomic_load(&b.done); i++)
		usleep(5000);
	if (atomic_load(&b.done)) {
		b_early = true;
		b_ret_early = b.ret;
	}
	pthread_mutex_lock(&gate_lock);
	gate_open = true;
	pthread_cond_broadcast(&gate_cv);
	pthread_mutex_unlock(&gate_lock);
	pthread_join(a.th, NULL);
	pthread_join(b.th, NULL);
	t_info("%s: A = %s, B = %s%s", a_fails ? "A's sync fails" : "A's sync succeeds",
	       t_errname(a.ret), t_errname(b.ret),
	       b_early ? " (returned while A's sync was held)" : "");
	if (a_fails && a.ret != -EIO)
		T_FAIL("zk_flush with a failing fdatasync returned %s",
		       t_errname(a.ret));
	t_dev_close(&t);
	free(buf);
	if (b_early && b_ret_early == 0) {
		snprintf(msg, sizeof(msg),
			 "%s: zk_flush() in thread B returned 0 while the "
			 "fdatasync() of the zone B's acknowledged append is in "
			 "was still held in thread A's zk_flush()%s",
			 a_fails ? "scenario 2" : "scenario 1",
			 a_fails ? ", and that sync then failed: B reported "
				   "data durable that never was" :
				   ": a power cut then loses it");
		return msg;
	}
	return NULL;
}

int main(void)
{
	const char *e1 = scenario(false);
	const char *s1 = e1 ? strdup(e1) : NULL;
	const char *e2 = scenario(true);

	rel_figures("flush-concurrent", "scenarios=2 failed=%d syncs=%lu",
		    (s1 != NULL) + (e2 != NULL), syncs);
	if (s1 || e2)
		T_FAIL("%s%s%s", s1 ? s1 : "", s1 && e2 ? "\n  " : "",
		       e2 ? e2 : "");
	return T_EXIT_PASS;
}
