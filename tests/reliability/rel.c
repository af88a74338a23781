/* SPDX-License-Identifier: MIT */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "rel.h"

#include <dirent.h>
#include <fcntl.h>
#include <sched.h>
#include <stdarg.h>
#include <linux/types.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* ------------------------------------------------------------------ */
/* Checksums */

uint64_t rel_sum(const void *buf, size_t len)
{
	const uint8_t *p = buf;
	uint64_t h = 0xcbf29ce484222325ULL, w;
	size_t i = 0;

	for (; i + 8 <= len; i += 8) { /* a word at a time: 8 times faster */
		memcpy(&w, p + i, 8);
		h ^= w;
		h *= 0x100000001b3ULL;
	}
	for (; i < len; i++) {
		h ^= p[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}

/* ------------------------------------------------------------------ */
/* Directory listings */

struct strbuf {
	char *s;
	size_t len, size;
};

static void sb_add(struct strbuf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void sb_add(struct strbuf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(b->s + b->len, b->size - b->len, fmt, ap);
		va_end(ap);
		if (n < 0)
			T_FAIL("vsnprintf failed");
		if ((size_t)n < b->size - b->len)
			break;
		b->size = (b->size + (size_t)n + 1) * 2;
		b->s = realloc(b->s, b->size);
		if (!b->s)
			T_FAIL("out of memory");
	}
	b->len += (size_t)n;
}

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static uint64_t file_hash(const char *path)
{
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	uint64_t h = 0xcbf29ce484222325ULL;
	static __thread uint8_t buf[65536];
	ssize_t n;

	if (fd < 0)
		return 0;
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		for (ssize_t i = 0; i < n; i++) {
			h ^= buf[i];
			h *= 0x100000001b3ULL;
		}
	close(fd);
	return h;
}

static void list_dir(struct strbuf *b, const char *dir, const char *prefix)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	char **names = NULL;
	size_t nr = 0, cap = 0;

	if (!d) {
		sb_add(b, "%s (cannot list: %s)\n", prefix, strerror(errno));
		return;
	}
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (nr == cap) {
			cap = cap ? cap * 2 : 64;
			names = realloc(names, cap * sizeof(*names));
			if (!names)
				T_FAIL("out of memory");
		}
		names[nr] = strdup(de->d_name);
		if (!names[nr])
			T_FAIL("out of memory");
		nr++;
	}
	closedir(d);
	if (nr)
		qsort(names, nr, sizeof(*names), name_cmp);
	for (size_t i = 0; i < nr; i++) {
		char path[PATH_MAX], sub[PATH_MAX];
		struct stat st;

		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		snprintf(sub, sizeof(sub), "%s%s", prefix, names[i]);
		if (lstat(path, &st)) {
			sb_add(b, "%s ? (%s)\n", sub, strerror(errno));
		} else if (S_ISREG(st.st_mode)) {
			sb_add(b, "%s f %lld %016llx %o\n", sub,
			       (long long)st.st_size,
			       (unsigned long long)file_hash(path),
			       (unsigned int)(st.st_mode & 07777));
		} else if (S_ISDIR(st.st_mode)) {
			sb_add(b, "%s d %o\n", sub, (unsigned int)(st.st_mode & 07777));
			strncat(sub, "/", sizeof(sub) - strlen(sub) - 1);
			list_dir(b, path, sub);
		} else if (S_ISLNK(st.st_mode)) {
			char target[PATH_MAX];
			ssize_t n = readlink(path, target, sizeof(target) - 1);

			target[n < 0 ? 0 : n] = '\0';
			sb_add(b, "%s l -> %s\n", sub, target);
		} else {
			sb_add(b, "%s %c\n", sub, S_ISFIFO(st.st_mode) ? 'p' :
			       S_ISCHR(st.st_mode) ? 'c' : S_ISBLK(st.st_mode) ? 'b' : 's');
		}
		free(names[i]);
	}
	free(names);
}

char *rel_dir_listing(const char *dir)
{
	struct strbuf b = { NULL, 0, 0 };
	struct stat st;

	sb_add(&b, "%s", "");
	if (lstat(dir, &st)) {
		sb_add(&b, "(%s does not exist)\n", dir);
		return b.s;
	}
	if (!S_ISDIR(st.st_mode)) {
		sb_add(&b, "(not a directory: mode %o size %lld hash %016llx)\n",
		       (unsigned int)st.st_mode, (long long)st.st_size,
		       S_ISREG(st.st_mode) ? (unsigned long long)file_hash(dir) : 0ULL);
		return b.s;
	}
	list_dir(&b, dir, "");
	return b.s;
}

void rel_dir_same_at(const char *file, int line, const char *dir,
		     const char *before)
{
	char *now = rel_dir_listing(dir);

	if (strcmp(now, before))
		t_fail_at(file, line, "%s changed on disk:\nbefore:\n%safter:\n%s",
			  dir, before, now);
	free(now);
}

/* ------------------------------------------------------------------ */
/* Fault injection */

#define MAX_FAULTS 8

struct armed {
	struct rel_fault f;
	unsigned int seen, fired;
};

static const struct zk_backend_ops *real_ops;
static struct zk_backend_ops wrap_ops;
static pthread_mutex_t fault_lock = PTHREAD_MUTEX_INITIALIZER;
static struct armed armed[MAX_FAULTS];
static unsigned int nr_armed;
static _Atomic unsigned long faults_total, faults_ring;
struct rel_counters rel_cnt;
static uint32_t wrap_block_size;

enum fclass { FC_WRITE, FC_ZONEOP, FC_REPORT, FC_FLUSH, FC_READ };

static enum fclass class_of(enum rel_fault_kind k)
{
	switch (k) {
	case RF_ZONEOP_EIO_BEFORE:
	case RF_ZONEOP_EIO_AFTER:
		return FC_ZONEOP;
	case RF_REPORT_EIO:
		return FC_REPORT;
	case RF_FLUSH_EIO:
		return FC_FLUSH;
	case RF_READ_EIO:
		return FC_READ;
	default:
		return FC_WRITE;
	}
}

/* The fault to carry out for this call, if any: *out gets a copy, and
 * *first_time says whether it fires for the first time. */
static bool fire(enum fclass c, uint32_t first, uint32_t nr, size_t total,
		 struct rel_fault *out, bool *first_time)
{
	bool hit = false;

	pthread_mutex_lock(&fault_lock);
	for (unsigned int i = 0; i < nr_armed; i++) {
		struct armed *a = &armed[i];

		if (a->f.kind == RF_NONE || class_of(a->f.kind) != c)
			continue;
		if (a->f.zone >= 0 && ((uint32_t)a->f.zone < first ||
				       (uint32_t)a->f.zone >= first + nr))
			continue;
		/* A partial write needs more than the blocks it lets in. */
		if ((a->f.kind == RF_WRITE_SHORT ||
		     a->f.kind == RF_WRITE_EIO_PARTIAL) &&
		    total <= (size_t)a->f.blocks * wrap_block_size)
			continue;
		a->seen++;
		if (hit || a->seen < a->f.nth || a->fired >= a->f.times)
			continue;
		*first_time = a->fired == 0;
		a->fired++;
		*out = a->f;
		hit = true;
	}
	pthread_mutex_unlock(&fault_lock);
	if (hit) {
		atomic_fetch_add(&rel_cnt.injected, 1);
		atomic_fetch_add(&faults_total, 1);
		if (out->delay_ms) {
			struct timespec ts = { out->delay_ms / 1000,
					       (long)(out->delay_ms % 1000) * 1000000L };

			nanosleep(&ts, NULL);
		}
	}
	return hit;
}

/* How many bytes a partial fault lets through: whole blocks, and always
 * less than the whole write. */
static size_t partial_bytes(const struct rel_fault *f, size_t total)
{
	size_t k = (size_t)f->blocks * wrap_block_size;

	if (k >= total)
		k = total >= wrap_block_size ? total - wrap_block_size : 0;
	return k;
}

static ssize_t w_pwritev(struct zk_dev *d, uint32_t z, const struct iovec *iov,
			 int iovcnt, uint64_t off)
{
	struct iovec cut[BATCH_MAX_IOV];
	struct rel_fault f;
	bool first = false;
	size_t total = 0, k, left;
	int n = 0;
	ssize_t ret;

	atomic_fetch_add(&rel_cnt.writes[z], 1);
	for (int i = 0; i < iovcnt; i++)
		total += iov[i].iov_len;
	if (!fire(FC_WRITE, z, 1, total, &f, &first))
		return real_ops->pwritev(d, z, iov, iovcnt, off);
	if (f.kind == RF_WRITE_EIO)
		return -EIO;
	k = partial_bytes(&f, total);
	if (f.kind == RF_WRITE_ENOSPC && !first)
		k = 0;
	for (left = k; left && n < iovcnt && n < BATCH_MAX_IOV; n++) {
		cut[n] = iov[n];
		if (cut[n].iov_len > left)
			cut[n].iov_len = left;
		left -= cut[n].iov_len;
	}
	ret = k ? real_ops->pwritev(d, z, cut, n, off) : 0;
	if (ret < 0)
		return ret;
	switch (f.kind) {
	case RF_WRITE_EIO_PARTIAL:
		return -EIO;
	case RF_WRITE_ENOSPC:
		return ret ? ret : -ENOSPC;
	default: /* RF_WRITE_SHORT */
		return ret;
	}
}

static ssize_t w_io_put(struct zk_dev *d, uint32_t z, struct zk_io_ref *ref,
			ssize_t res, size_t total, bool write)
{
	struct rel_fault f;
	bool first = false;
	size_t k;

	if (!write)
		return real_ops->io_put(d, z, ref, res, total, write);
	atomic_fetch_add(&rel_cnt.writes[z], 1);
	if (res < 0 || (size_t)res != total || !fire(FC_WRITE, z, 1, total, &f, &first))
		return real_ops->io_put(d, z, ref, res, total, write);
	/* The kernel wrote it all: take back what the fault says did not
	 * get there (sequential zones only: the write was at the end), and
	 * hand the core a short or failed ring completion. */
	atomic_fetch_add(&faults_ring, 1);
	k = f.kind == RF_WRITE_EIO ? 0 : partial_bytes(&f, total);
	if (f.kind == RF_WRITE_ENOSPC && !first)
		k = 0;
	if (!zk_zone_is_conv(d, z) &&
	    ftruncate(ref->fd, (off_t)(ref->foff + k)))
		T_FAIL("ftruncate: %s", strerror(errno));
	switch (f.kind) {
	case RF_WRITE_EIO:
	case RF_WRITE_EIO_PARTIAL:
		res = -EIO;
		break;
	case RF_WRITE_ENOSPC:
		res = k ? (ssize_t)k : -ENOSPC;
		break;
	default:
		res = (ssize_t)k;
		break;
	}
	return real_ops->io_put(d, z, ref, res, total, write);
}

static int w_report(struct zk_dev *d, uint32_t first, uint32_t nr,
		    struct zk_zone_state *out)
{
	struct rel_fault f;
	bool ft;

	for (uint32_t i = 0; i < nr; i++)
		atomic_fetch_add(&rel_cnt.report[first + i], 1);
	if (fire(FC_REPORT, first, nr, 0, &f, &ft))
		return -EIO;
	return real_ops->report(d, first, nr, out);
}

static int w_zone_op(struct zk_dev *d, enum zk_op op, uint32_t z)
{
	struct rel_fault f;
	bool ft;
	int ret;

	atomic_fetch_add(&rel_cnt.zone_ops[z], 1);
	if (!fire(FC_ZONEOP, z, 1, 0, &f, &ft))
		return real_ops->zone_op(d, op, z);
	if (f.kind == RF_ZONEOP_EIO_BEFORE)
		return -EIO;
	ret = real_ops->zone_op(d, op, z);
	return ret ? ret : -EIO;
}

static int w_flush(struct zk_dev *d)
{
	struct rel_fault f;
	bool ft;

	atomic_fetch_add(&rel_cnt.flushes, 1);
	if (fire(FC_FLUSH, 0, UINT32_MAX, 0, &f, &ft))
		return -EIO;
	return real_ops->flush(d);
}

static ssize_t w_pread(struct zk_dev *d, uint32_t z, void *buf, size_t len,
		       uint64_t off)
{
	struct rel_fault f;
	bool ft;

	atomic_fetch_add(&rel_cnt.reads, 1);
	if (fire(FC_READ, z, 1, 0, &f, &ft))
		return -EIO;
	return real_ops->pread(d, z, buf, len, off);
}

void rel_fault_install(struct zk_dev *dev)
{
	if (real_ops)
		T_FAIL("rel_fault_install: one device at a time");
	real_ops = dev->ops;
	wrap_ops = *real_ops;
	wrap_ops.name = "faulty";
	wrap_ops.pwritev = w_pwritev;
	wrap_ops.report = w_report;
	wrap_ops.zone_op = w_zone_op;
	wrap_ops.flush = w_flush;
	wrap_ops.pread = w_pread;
	if (real_ops->io_put)
		wrap_ops.io_put = w_io_put;
	wrap_block_size = dev->geo.block_size;
	free(rel_cnt.report);
	free(rel_cnt.writes);
	free(rel_cnt.zone_ops);
	rel_cnt.nr_zones = dev->nr_zones;
	rel_cnt.report = t_malloc(dev->nr_zones * sizeof(*rel_cnt.report));
	rel_cnt.writes = t_malloc(dev->nr_zones * sizeof(*rel_cnt.writes));
	rel_cnt.zone_ops = t_malloc(dev->nr_zones * sizeof(*rel_cnt.zone_ops));
	rel_counters_reset();
	rel_fault_clear();
	dev->ops = &wrap_ops;
}

void rel_fault_uninstall(struct zk_dev *dev)
{
	if (real_ops && dev->ops == &wrap_ops)
		dev->ops = real_ops;
	real_ops = NULL;
	rel_fault_clear();
}

void rel_fault_arm(const struct rel_fault *f)
{
	pthread_mutex_lock(&fault_lock);
	if (nr_armed == MAX_FAULTS)
		T_FAIL("too many faults armed");
	armed[nr_armed].f = *f;
	if (!armed[nr_armed].f.nth)
		armed[nr_armed].f.nth = 1;
	if (!armed[nr_armed].f.times)
		armed[nr_armed].f.times = 1;
	armed[nr_armed].seen = armed[nr_armed].fired = 0;
	nr_armed++;
	pthread_mutex_unlock(&fault_lock);
}

void rel_fault_clear(void)
{
	pthread_mutex_lock(&fault_lock);
	nr_armed = 0;
	pthread_mutex_unlock(&fault_lock);
}

void rel_counters_reset(void)
{
	for (uint32_t z = 0; z < rel_cnt.nr_zones; z++) {
		atomic_store(&rel_cnt.report[z], 0);
		atomic_store(&rel_cnt.writes[z], 0);
		atomic_store(&rel_cnt.zone_ops[z], 0);
	}
	atomic_store(&rel_cnt.reads, 0);
	atomic_store(&rel_cnt.flushes, 0);
	atomic_store(&rel_cnt.injected, 0);
}

unsigned long rel_faults_total(void)
{
	return atomic_load(&faults_total);
}

unsigned long rel_faults_ring(void)
{
	return atomic_load(&faults_ring);
}

/* ------------------------------------------------------------------ */
/* Records */

const char *rel_scan_records(const uint8_t *buf, uint64_t start, uint64_t end,
			     size_t bs, struct rel_found **out, size_t *nr,
			     uint64_t *bad)
{
	static __thread char msg[256];
	struct rel_found *f = NULL, *cur = NULL;
	size_t n = 0, cap = 0;
	uint64_t off;

	for (off = start; off < end; off += bs) {
		struct t_rec_blk rb;
		const char *why = t_rec_check_block(buf + (off - start), bs, &rb);

		if (why) {
			snprintf(msg, sizeof(msg), "block at %#" PRIx64 ": %s",
				 off, why);
			goto fail;
		}
		if (cur && cur->found < cur->nblk && rb.tid == cur->tid &&
		    rb.seq == cur->seq && rb.blk == cur->found) {
			cur->found++;
			continue;
		}
		if (rb.blk != 0) {
			snprintf(msg, sizeof(msg),
				 "block at %#" PRIx64 " is block %u/%u of record "
				 "%#x/%u, which does not start there nor "
				 "continue the record before it",
				 off, rb.blk, rb.nblk, rb.tid, rb.seq);
			goto fail;
		}
		if (n == cap) {
			cap = cap ? cap * 2 : 256;
			f = realloc(f, cap * sizeof(*f));
			if (!f)
				T_FAIL("out of memory");
		}
		cur = &f[n++];
		cur->off = off;
		cur->tid = rb.tid;
		cur->seq = rb.seq;
		cur->nblk = rb.nblk;
		cur->found = 1;
	}
	*out = f;
	*nr = n;
	return NULL;
fail:
	*bad = off;
	free(f);
	*out = NULL;
	*nr = 0;
	return msg;
}

/* ------------------------------------------------------------------ */
/* Appends and what they were told */

#define BS 4096u
unsigned long rel_appends_checked;

off_t rel_zone_file_size(struct tdev *t, uint32_t z)
{
	char name[PATH_MAX + 32];
	struct stat st;

	snprintf(name, sizeof(name), "%s/seq-%06u", t->path, z);
	if (stat(name, &st))
		T_FAIL("stat %s: %s", name, strerror(errno));
	return st.st_size;
}

static int outcome_cmp(const void *a, const void *b)
{
	const struct rel_outcome *x = a, *y = b;

	return x->landed < y->landed ? -1 : x->landed > y->landed;
}

/* Check a zone against what its appends were told. */
void rel_verify_zone(struct tdev *t, uint32_t z, struct rel_outcome *o, size_t n,
			int allowed_err, unsigned long *failed)
{
	struct zk_zone zone = T_ZONE(t->dev, t_zstart(t, z));
	uint64_t start = zone.start, end;
	struct rel_outcome *ok = t_malloc(n * sizeof(*ok));
	struct rel_found *found;
	size_t nfound, nok = 0;
	uint8_t *data, *want = t_aligned(REL_MAX_BLKS * BS);
	const char *why;
	uint64_t bad;

	t_ctx("zone %u", z);
	end = zone.wp > start + zone.capacity ? start + zone.capacity : zone.wp;
	T_EQ(rel_zone_file_size(t, z), end - start);
	data = t_aligned(zone.len);
	if (end > start)
		T_RET(zk_pread(t->dev, data, end - start, start), end - start);
	why = rel_scan_records(data, start, end, BS, &found, &nfound, &bad);
	if (why)
		T_FAIL("zone %u below its wp %#" PRIx64 ": %s", z, zone.wp, why);
	for (size_t i = 0; i < n; i++) {
		if (o[i].ret) {
			if (o[i].ret != allowed_err)
				T_FAIL("append %u/%u to zone %u: %s (only %s "
				       "was injected)", o[i].tid, o[i].seq, z,
				       t_errname(o[i].ret), t_errname(allowed_err));
			(*failed)++;
			for (size_t j = 0; j < nfound; j++)
				if (found[j].tid == o[i].tid &&
				    found[j].seq == o[i].seq &&
				    found[j].found == found[j].nblk)
					T_FAIL("append %u/%u failed (%s) yet it is "
					       "whole on the device at %#" PRIx64,
					       o[i].tid, o[i].seq,
					       t_errname(o[i].ret), found[j].off);
			continue;
		}
		ok[nok++] = o[i];
		if (o[i].landed < start ||
		    o[i].landed + o[i].nblk * BS > end ||
		    o[i].landed % BS)
			T_FAIL("append %u/%u acknowledged at %#" PRIx64
			       " (+%u blocks), outside [%#" PRIx64 ", wp %#"
			       PRIx64 ")", o[i].tid, o[i].seq, o[i].landed,
			       o[i].nblk, start, end);
		t_rec_fill(want, o[i].nblk * BS, BS, o[i].tid, o[i].seq);
		if (memcmp(data + (o[i].landed - start), want, o[i].nblk * BS))
			T_FAIL("append %u/%u acknowledged at %#" PRIx64
			       " is not there", o[i].tid, o[i].seq, o[i].landed);
		rel_appends_checked++;
	}
	if (nok)
		qsort(ok, nok, sizeof(*ok), outcome_cmp);
	for (size_t i = 1; i < nok; i++)
		if (ok[i - 1].landed + ok[i - 1].nblk * BS > ok[i].landed)
			T_FAIL("appends %u/%u and %u/%u overlap", ok[i - 1].tid,
			       ok[i - 1].seq, ok[i].tid, ok[i].seq);
	/* Whole records on the device are acknowledged appends. */
	for (size_t j = 0; j < nfound; j++) {
		bool acked = false;

		if (found[j].found < found[j].nblk)
			continue;
		for (size_t i = 0; i < nok && !acked; i++)
			acked = ok[i].tid == found[j].tid &&
				ok[i].seq == found[j].seq &&
				ok[i].landed == found[j].off;
		if (!acked)
			T_FAIL("record %u/%u whole at %#" PRIx64 " was not "
			       "acknowledged there", found[j].tid, found[j].seq,
			       found[j].off);
	}
	t_ctx("%s", "");
	free(found);
	free(ok);
	free(data);
	free(want);
}

#undef BS

/* ------------------------------------------------------------------ */
/* Misc */

void rel_figures(const char *test, const char *fmt, ...)
{
	va_list ap;

	printf("FIGURES %s ", test);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
}

bool rel_can_mount(void)
{
	static int can = -1;
	char dir[PATH_MAX];

	if (can >= 0)
		return can;
	can = 0;
	if (geteuid() != 0)
		return false;
	/* A mount namespace of our own: whatever we mount goes away with
	 * the process, even if it dies without cleaning up. */
	if (!unshare(CLONE_NEWNS))
		mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL);
	snprintf(dir, sizeof(dir), "%s/m", t_tmpdir());
	if (mkdir(dir, 0755))
		return false;
	if (!mount("zk-rel", dir, "tmpfs", 0, "size=64k")) {
		can = 1;
		umount(dir);
	}
	rmdir(dir);
	return can;
}

/* ------------------------------------------------------------------ */
/* ext4 on a loop device */

#ifndef EXT4_IOC_SHUTDOWN
#define EXT4_IOC_SHUTDOWN _IOR('X', 125, __u32)
#endif
#define EXT4_GOING_FLAGS_NOLOGFLUSH 0x2

static struct rel_ext4 *ext4_to_clean;

static void ext4_cleanup(void)
{
	struct rel_ext4 *x = ext4_to_clean;

	if (!x)
		return;
	if (x->mnt[0])
		umount2(x->mnt, MNT_DETACH);
	if (x->loop[0])
		rel_system("losetup -d %s 2>/dev/null", x->loop);
	ext4_to_clean = NULL;
}

static void ext4_mount(struct rel_ext4 *x)
{
	/* REL_EXT4_OPTS: mount options to try (e.g. "nodelalloc") */
	const char *opts = getenv("REL_EXT4_OPTS");

	for (int i = 0; i < 50; i++) {
		if (!mount(x->loop, x->mnt, "ext4", 0, opts && *opts ? opts : NULL))
			return;
		usleep(20000);
	}
	T_FAIL("mount %s %s: %s", x->loop, x->mnt, strerror(errno));
}

void rel_ext4_setup(struct rel_ext4 *x, const char *dir)
{
	char cmd[1200];
	FILE *p;

	memset(x, 0, sizeof(*x));
	if (ext4_to_clean)
		T_FAIL("one ext4 file system at a time");
	if (!rel_can_mount())
		t_skip("needs root and mount(2)");
	if (rel_system("command -v mkfs.ext4 >/dev/null && "
		       "command -v losetup >/dev/null"))
		t_skip("needs mkfs.ext4 and losetup");
	snprintf(x->img, sizeof(x->img), "%s/ext4.img", dir);
	snprintf(x->mnt, sizeof(x->mnt), "%s/mnt", dir);
	if (mkdir(x->mnt, 0755))
		T_FAIL("mkdir %s: %s", x->mnt, strerror(errno));
	if (rel_system("truncate -s 256M %s", x->img))
		T_FAIL("truncate %s failed", x->img);
	snprintf(cmd, sizeof(cmd), "losetup -f --show %s 2>/dev/null", x->img);
	p = popen(cmd, "r");
	if (!p || !fgets(x->loop, sizeof(x->loop), p) || pclose(p)) {
		memset(x, 0, sizeof(*x));
		t_skip("no loop device (losetup -f failed)");
	}
	x->loop[strcspn(x->loop, "\n")] = '\0';
	ext4_to_clean = x;
	atexit(ext4_cleanup); /* before testlib removes the directory */
	if (rel_system("mkfs.ext4 -q -F -b 4096 %s >/dev/null 2>&1", x->loop))
		T_FAIL("mkfs.ext4 %s failed", x->loop);
	ext4_mount(x);
}

void rel_ext4_shutdown(struct rel_ext4 *x)
{
	__u32 flags = EXT4_GOING_FLAGS_NOLOGFLUSH;
	int fd = open(x->mnt, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0)
		T_FAIL("open %s: %s", x->mnt, strerror(errno));
	if (ioctl(fd, EXT4_IOC_SHUTDOWN, &flags))
		T_FAIL("EXT4_IOC_SHUTDOWN: %s", strerror(errno));
	close(fd);
}

void rel_ext4_remount(struct rel_ext4 *x)
{
	for (int i = 0; i < 100; i++) {
		if (!umount(x->mnt)) {
			ext4_mount(x);
			return;
		}
		usleep(20000);
	}
	T_FAIL("umount %s: %s", x->mnt, strerror(errno));
}

int rel_system(const char *fmt, ...)
{
	char cmd[4096];
	va_list ap;
	int st;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	fflush(stdout);
	fflush(stderr);
	st = system(cmd);
	if (st == -1 || !WIFEXITED(st))
		return -1;
	return WEXITSTATUS(st);
}
