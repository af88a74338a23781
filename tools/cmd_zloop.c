/* SPDX-License-Identifier: MIT */
/*
 * zonekit zloop attach / detach: an emulated device as the kernel's zoned
 * loop device (zloop, Linux 6.15+), and back.  Both keep a zone a file,
 * cnv-NNNNNN / seq-NNNNNN, a sequential zone's file size its wp; zloop
 * opens BASE/N/<file> by path, so BASE/N is made a symbolic link to the
 * device's directory.  zloop has no geometry file: the "add" line carries
 * the geometry, and it must fit zloop (checked here, before the kernel
 * refuses with only a line in the kernel log).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

#include "cli_json.h"
#include "commands.h"
#include "zonekit.h"

#define ZLOOP_CONTROL "/dev/zloop-control"
#define ZLOOP_BASE_DEFAULT "/run/zonekit/zloop"
#define ZLOOP_MAX_ZONE_SIZE_MB 16384u /* zloop.c (7.2): ZLOOP_MAX_ZONE_SIZE_MB */
#define MIB ((uint64_t)1024 * 1024)
#define WAIT_DEVICE_MS 10000

struct zloop_args {
	const char *dir;
	const char *base;
	uint32_t id;
	bool has_id;
	bool json;
};

static const struct option zloop_options[] = {
	{ "id", required_argument, NULL, 'i' },
	{ "base", required_argument, NULL, 'b' },
	{ "json", no_argument, NULL, 'j' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

/* ---- does the device fit zloop? ------------------------------------- */

/* The block size zloop will take from the file system holding @dir's zone
 * files (zloop.c, zloop_get_block_size()): the file system's block size up
 * to 4 KiB, else its O_DIRECT alignment, else 512. */
static uint32_t zloop_block_size_of(int dirfd, const char *first_file)
{
	struct statx stx;

	if (statx(dirfd, first_file, AT_SYMLINK_NOFOLLOW,
		  STATX_BASIC_STATS
#ifdef STATX_DIOALIGN
		  | STATX_DIOALIGN
#endif
		  , &stx))
		return 0;
	if (stx.stx_blksize <= 4096)
		return stx.stx_blksize;
#ifdef STATX_DIOALIGN
	if (stx.stx_mask & STATX_DIOALIGN)
		return stx.stx_dio_offset_align;
#endif
	return 512;
}

/* What keeps @info from being a zloop device, in @why; 0 if nothing. */
static int geometry_misfit(const struct zk_info *info, uint32_t zloop_bs,
			   char *why, size_t size)
{
	uint32_t nr_seq = info->nr_zones - info->nr_conv_zones;

	if (info->zone_size % MIB || info->zone_size / MIB > ZLOOP_MAX_ZONE_SIZE_MB)
		snprintf(why, size, "zone size %" PRIu64 " is not a power of two MiB "
			 "up to %u MiB", info->zone_size, ZLOOP_MAX_ZONE_SIZE_MB);
	else if (info->zone_capacity % MIB)
		snprintf(why, size, "zone capacity %" PRIu64 " is not a whole "
			 "number of MiB", info->zone_capacity);
	else if (info->capacity % info->zone_size)
		snprintf(why, size, "the last zone is smaller (capacity %" PRIu64
			 " is not a multiple of the zone size): zloop has no "
			 "smaller last zone", info->capacity);
	else if (info->capacity / MIB > UINT32_MAX)
		snprintf(why, size, "capacity %" PRIu64 " is too large", info->capacity);
	else if (info->block_size != zloop_bs)
		snprintf(why, size, "block size %u: zloop takes its block size "
			 "from the file system, which gives %u", info->block_size,
			 zloop_bs);
	else if (info->max_active && info->max_active < nr_seq)
		snprintf(why, size, "max active zones %u: zloop has no active "
			 "zone limit", info->max_active);
	else
		return 0;
	return -EINVAL;
}

/* Read-only and offline zones: zloop has no such conditions. */
static int zone_misfit(struct zk_dev *dev, const struct zk_info *info,
		       char *why, size_t size)
{
	struct zk_zone zones[256];
	uint64_t ofs = 0;

	while (ofs < info->capacity) {
		unsigned int nr = 256;
		int ret = zk_report(dev, ofs, zones, &nr);

		if (ret < 0)
			return ret;
		if (!nr)
			break;
		for (unsigned int i = 0; i < nr; i++) {
			if (zones[i].cond != ZK_COND_READONLY &&
			    zones[i].cond != ZK_COND_OFFLINE)
				continue;
			snprintf(why, size, "the zone at 0x%" PRIx64 " is %s: zloop "
				 "has no read-only or offline zones", zones[i].start,
				 zk_zone_cond_name(zones[i].cond));
			return -EINVAL;
		}
		ofs = zones[nr - 1].start + zones[nr - 1].len;
	}
	return 0;
}

/* A finished zone whose file is longer than the zone capacity (older
 * zonekits cut it to the zone size) is refused by zloop: cut it to the
 * capacity.  Its condition is FULL either way; the bytes past the capacity
 * cannot be read on a zoned device.  Returns how many were cut or -errno. */
static int cut_finished_zones(int dirfd, const struct zk_info *info)
{
	int cut = 0;

	for (uint32_t z = info->nr_conv_zones; z < info->nr_zones; z++) {
		char name[32];
		struct stat sb;

		snprintf(name, sizeof(name), "seq-%06u", z);
		if (fstatat(dirfd, name, &sb, AT_SYMLINK_NOFOLLOW))
			return -errno;
		if ((uint64_t)sb.st_size <= info->zone_capacity)
			continue;
		int fd = openat(dirfd, name, O_WRONLY | O_CLOEXEC);

		if (fd < 0)
			return -errno;
		if (ftruncate(fd, (off_t)info->zone_capacity)) {
			int err = -errno;

			close(fd);
			return err;
		}
		close(fd);
		cut++;
	}
	return cut;
}

/* ---- the control device --------------------------------------------- */

/* Opened before anything is changed: no zloop, no root, nothing done. */
static int control_open(const char *name, int *fd)
{
	*fd = open(ZLOOP_CONTROL, O_WRONLY | O_CLOEXEC);
	if (*fd >= 0)
		return CLI_EXIT_OK;
	if (errno == ENOENT)
		return cli_fail_sys(name, 0, "no " ZLOOP_CONTROL
				    ": the kernel has no zloop (modprobe zloop; Linux 6.15 or later)");
	if (errno == EACCES || errno == EPERM)
		return cli_fail_sys(name, -errno, "cannot open " ZLOOP_CONTROL
				    " (zloop needs root)");
	return cli_fail_sys(name, -errno, "cannot open " ZLOOP_CONTROL);
}

/* One command to zloop; closes @fd. */
static int control_write(const char *name, int fd, const char *line)
{
	ssize_t n = write(fd, line, strlen(line));
	int err = n < 0 ? -errno : 0;

	close(fd);
	if (err)
		return cli_fail_sys(name, err, "zloop refused '%s' (the kernel log says why)",
				    line);
	return CLI_EXIT_OK;
}

static bool block_device_exists(uint32_t id)
{
	char path[64];
	struct stat sb;

	snprintf(path, sizeof(path), "/dev/zloop%u", id);
	return !stat(path, &sb) && S_ISBLK(sb.st_mode);
}

static bool id_in_use(uint32_t id)
{
	char path[64];

	snprintf(path, sizeof(path), "/sys/block/zloop%u", id);
	return !access(path, F_OK) || block_device_exists(id);
}

static int wait_device(uint32_t id)
{
	struct timespec tick = { 0, 10 * 1000 * 1000 };

	for (int ms = 0; ms < WAIT_DEVICE_MS; ms += 10) {
		if (block_device_exists(id))
			return 0;
		nanosleep(&tick, NULL);
	}
	return -ETIMEDOUT;
}

/* ---- attach ---------------------------------------------------------- */

static int make_dirs(const char *path)
{
	char buf[PATH_MAX];

	if (snprintf(buf, sizeof(buf), "%s", path) >= (int)sizeof(buf))
		return -ENAMETOOLONG;
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, 0755) && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	return mkdir(buf, 0755) && errno != EEXIST ? -errno : 0;
}

/* BASE/N -> @dir.  An existing link to @dir is kept (a device attached
 * and detached before); anything else there is refused. */
static int make_link(const char *name, const char *link, const char *dir)
{
	char target[PATH_MAX];
	ssize_t n = readlink(link, target, sizeof(target) - 1);

	if (n >= 0) {
		target[n] = '\0';
		if (!strcmp(target, dir))
			return CLI_EXIT_OK;
		return cli_fail_sys(name, 0, "%s already points to %s", link, target);
	}
	if (errno != ENOENT)
		return cli_fail_sys(name, errno == EINVAL ? -EEXIST : -errno,
				    "cannot use %s", link);
	if (symlink(dir, link))
		return cli_fail_sys(name, -errno, "cannot make %s", link);
	return CLI_EXIT_OK;
}

/* Another zloop device on @dir already (a link to it in BASE whose device
 * is there): its id, or -1. */
static int64_t attached_as(const char *base, const char *dir)
{
	for (uint32_t id = 0; id < 1024; id++) {
		char link[PATH_MAX], target[PATH_MAX];
		ssize_t n;

		snprintf(link, sizeof(link), "%s/%u", base, id);
		n = readlink(link, target, sizeof(target) - 1);
		if (n < 0)
			continue;
		target[n] = '\0';
		if (!strcmp(target, dir) && block_device_exists(id))
			return id;
	}
	return -1;
}

static uint32_t first_free_id(const char *base)
{
	char link[PATH_MAX];
	uint32_t id = 0;

	for (;; id++) {
		snprintf(link, sizeof(link), "%s/%u", base, id);
		if (!id_in_use(id) && access(link, F_OK) && errno == ENOENT)
			return id;
	}
}

/* The device's geometry and zones, checked against zloop, with the
 * device locked against writers (@dirfd holds the lock). */
static int check_device(const char *name, const char *dir, int dirfd,
			struct zk_info *info)
{
	char why[256];
	struct zk_dev *dev;
	int ret = zk_open(dir, ZK_RDONLY, &dev);

	if (ret < 0)
		return cli_fail(name, ret, "cannot open %s", dir);
	ret = zk_info(dev, info);
	if (!ret && info->backend != ZK_BACKEND_EMULATED) {
		zk_close(dev);
		return cli_fail(name, 0, "%s is not an emulated device", dir);
	}
	if (!ret)
		ret = geometry_misfit(info, zloop_block_size_of(dirfd,
				      info->nr_conv_zones ? "cnv-000000" : "seq-000000"),
				      why, sizeof(why));
	if (!ret)
		ret = zone_misfit(dev, info, why, sizeof(why));
	zk_close(dev);
	if (ret == -EINVAL)
		return cli_fail(name, 0, "%s does not fit zloop: %s", dir, why);
	if (ret < 0)
		return cli_fail(name, ret, "cannot read %s", dir);
	return CLI_EXIT_OK;
}

/* What zonekit keeps beside the zone files about their state (the wp
 * snapshot, the list of open zones) is stale once zloop writes them:
 * delete it, so that zonekit learns the zones from the files again. */
static int forget_zonekit_state(const char *name, int dirfd)
{
	static const char *const files[] = { "wp-snapshot", "open-zones" };

	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++)
		if (unlinkat(dirfd, files[i], 0) && errno != ENOENT)
			return cli_fail_sys(name, -errno, "cannot delete %s", files[i]);
	return CLI_EXIT_OK;
}

static void print_attached(const struct zloop_args *a, const char *dir,
			   const char *link, int cut)
{
	struct json_writer w;
	char dev[64];

	snprintf(dev, sizeof(dev), "/dev/zloop%u", a->id);
	if (!a->json) {
		printf("%s\n", dev);
		if (cut)
			fprintf(stderr, "zonekit: zloop: %d finished zone file(s) cut to "
				"the zone capacity\n", cut);
		return;
	}
	json_init(&w, stdout, 1);
	json_begin_object(&w, NULL);
	json_string(&w, "device", dev);
	json_u64(&w, "id", a->id);
	json_string(&w, "dir", dir);
	json_string(&w, "link", link);
	json_u64(&w, "zones_cut_to_capacity", (uint64_t)cut);
	json_end_object(&w);
	fputc('\n', stdout);
}

static int add_line(char *buf, size_t size, const struct zloop_args *a,
		    const struct zk_info *info)
{
	uint32_t nr_seq = info->nr_zones - info->nr_conv_zones;
	/* zloop refuses a limit above the zones there are: it is no limit */
	uint32_t max_open = info->max_open > nr_seq ? nr_seq : info->max_open;
	int n = snprintf(buf, size,
			 "add id=%u,capacity_mb=%" PRIu64 ",zone_size_mb=%" PRIu64
			 ",zone_capacity_mb=%" PRIu64 ",conv_zones=%u,"
			 "max_open_zones=%u,base_dir=%s",
			 a->id, info->capacity / MIB, info->zone_size / MIB,
			 info->zone_capacity / MIB, info->nr_conv_zones,
			 max_open, a->base);

	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

static int attach_locked(const char *name, struct zloop_args *a,
			 const char *dir, int dirfd)
{
	char link[PATH_MAX], line[PATH_MAX + 256];
	struct zk_info info;
	int64_t other;
	int ret, cut, ctl;

	ret = check_device(name, dir, dirfd, &info);
	if (ret)
		return ret;
	ret = make_dirs(a->base);
	if (ret)
		return cli_fail_sys(name, ret, "cannot make %s", a->base);
	other = attached_as(a->base, dir);
	if (other >= 0)
		return cli_fail_sys(name, 0, "%s is attached already as /dev/zloop%" PRId64,
				    dir, other);
	if (!a->has_id)
		a->id = first_free_id(a->base);
	else if (id_in_use(a->id))
		return cli_fail_sys(name, 0, "/dev/zloop%u exists already", a->id);
	snprintf(link, sizeof(link), "%s/%u", a->base, a->id);
	if (add_line(line, sizeof(line), a, &info))
		return cli_fail_sys(name, -ENAMETOOLONG, "%s", a->base);
	ret = control_open(name, &ctl);
	if (ret)
		return ret;
	cut = cut_finished_zones(dirfd, &info);
	if (cut < 0)
		ret = cli_fail_sys(name, cut, "cannot cut a finished zone's file");
	if (!ret)
		ret = forget_zonekit_state(name, dirfd);
	if (!ret)
		ret = make_link(name, link, dir);
	if (ret) {
		close(ctl);
		return ret;
	}
	ret = control_write(name, ctl, line);
	if (!ret && wait_device(a->id))
		ret = cli_fail_sys(name, 0, "/dev/zloop%u did not appear within %d s",
				   a->id, WAIT_DEVICE_MS / 1000);
	if (ret) {
		unlink(link);
		return ret;
	}
	print_attached(a, dir, link, cut);
	return CLI_EXIT_OK;
}

static int zloop_attach(const char *name, struct zloop_args *a)
{
	char dir[PATH_MAX];
	int dirfd, ret;

	if (!realpath(a->dir, dir))
		return cli_fail_sys(name, -errno, "%s", a->dir);
	dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dirfd < 0)
		return cli_fail_sys(name, -errno, "cannot open %s", dir);
	/* zonekit's writers hold this lock while the device is open */
	if (flock(dirfd, LOCK_EX | LOCK_NB)) {
		ret = errno == EWOULDBLOCK ?
			cli_fail_sys(name, 0, "%s is open for writing (zonekit serve, "
				     "or another program of libzonekit)", dir) :
			cli_fail_sys(name, -errno, "cannot lock %s", dir);
		close(dirfd);
		return ret;
	}
	ret = attach_locked(name, a, dir, dirfd);
	close(dirfd);
	return ret;
}

/* ---- detach ---------------------------------------------------------- */

static int zloop_detach(const char *name, const struct zloop_args *a)
{
	char line[64], link[PATH_MAX], target[PATH_MAX];
	ssize_t n;
	int ret, ctl;

	if (!id_in_use(a->id))
		return cli_fail_sys(name, 0, "there is no /dev/zloop%u", a->id);
	snprintf(line, sizeof(line), "remove id=%u", a->id);
	ret = control_open(name, &ctl);
	if (!ret)
		ret = control_write(name, ctl, line);
	if (ret)
		return ret;
	/* only a link (made by attach) goes: a directory is zloop's own */
	snprintf(link, sizeof(link), "%s/%u", a->base, a->id);
	n = readlink(link, target, sizeof(target) - 1);
	if (n >= 0) {
		target[n] = '\0';
		unlink(link);
	}
	if (a->json) {
		printf("{\"id\":%u,\"detached\":true", a->id);
		if (n >= 0) {
			fputs(",\"dir\":", stdout);
			json_put_string(stdout, target);
		}
		fputs("}\n", stdout);
	} else {
		printf("detached /dev/zloop%u%s%s\n", a->id, n >= 0 ? ": " : "",
		       n >= 0 ? target : "");
	}
	return CLI_EXIT_OK;
}

/* ---- the command line ------------------------------------------------ */

/* The options: true to go on; false when the command is done (--help, or
 * a usage error), *status then its exit status. */
static bool parse_options(const struct cli_command *cmd, int argc, char **argv,
			  struct zloop_args *a, int *status)
{
	int ch, ret = 0;

	while (!ret && (ch = cli_getopt(cmd, argc, argv, "i:b:j", zloop_options)) >= 0) {
		if (ch == 'i') {
			ret = cli_parse_u32(cmd, "--id", optarg, &a->id);
			a->has_id = true;
		} else if (ch == 'b') {
			a->base = optarg;
		} else {
			a->json = true;
		}
	}
	*status = ret ? ret : ch == CLI_OPT_DONE ? 0 : cli_getopt_exit(ch);
	return !ret && ch == CLI_OPT_DONE;
}

static int run_zloop(const struct cli_command *cmd, int argc, char **argv)
{
	static const char *const attach_args[] = { "attach", "DIR" };
	static const char *const detach_args[] = { "detach", "N" };
	struct zloop_args a = { .base = ZLOOP_BASE_DEFAULT };
	const char *what;
	int ret;

	if (!parse_options(cmd, argc, argv, &a, &ret))
		return ret;
	what = optind < argc ? argv[optind] : "";
	if (!strcmp(what, "attach")) {
		ret = cli_check_args(cmd, argc, argv, 2, 2, attach_args);
		if (ret)
			return ret;
		a.dir = argv[optind + 1];
		return zloop_attach(cmd->name, &a);
	}
	if (!strcmp(what, "detach")) {
		ret = cli_check_args(cmd, argc, argv, 2, 2, detach_args);
		if (!ret)
			ret = cli_parse_u32(cmd, "N", argv[optind + 1], &a.id);
		if (ret)
			return ret;
		if (a.has_id)
			return cli_usage_error(cmd, "detach takes N, not --id");
		return zloop_detach(cmd->name, &a);
	}
	if (!*what)
		return cli_usage_error(cmd, "missing attach or detach");
	return cli_usage_error(cmd, "unknown '%s': attach or detach", what);
}

const struct cli_command cmd_zloop = {
	.name = "zloop",
	.summary = "an emulated device as the zoned loop device /dev/zloopN",
	.synopsis = "attach DIR [--id N] [--base BASE] [--json] | detach N [--base BASE] [--json]",
	.help =
	"attach: make the emulated device DIR the kernel's zoned loop device\n"
	"/dev/zloopN (zloop, Linux 6.15+: modprobe zloop; root).  zloop keeps\n"
	"the same zone files; BASE/N is made a link to DIR and the geometry is\n"
	"given to zloop.  It must fit zloop: zone size a power of two MiB, zone\n"
	"capacity whole MiB, no smaller last zone, the block size of DIR's file\n"
	"system, no active zone limit, no read-only or offline zone.  Finished\n"
	"zone files longer than the zone capacity are cut to it, and zonekit's\n"
	"saved wp snapshot and open-zone list are deleted (zloop will change the\n"
	"files).  Refused while DIR is open for writing.  Prints /dev/zloopN.\n"
	"Do not open DIR with zonekit while it is attached.\n"
	"detach: remove /dev/zloopN (zloop's remove); DIR then opens with zonekit\n"
	"as zloop left it (partly written zones CLOSED).\n"
	"\n"
	"Options:\n"
	"  -i, --id N      the device number (default: the first free one)\n"
	"  -b, --base DIR  zloop's base directory (default " ZLOOP_BASE_DEFAULT ")\n"
	"  -j, --json      print the result as JSON\n"
	"  -h, --help      show this help\n",
	.run = run_zloop,
};
