/* SPDX-License-Identifier: MIT */
#include "cli_util.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "zonekit.h"

/* ---- messages ---------------------------------------------------------- */

static void vfail(const char *cmd, const char *error, const char *fmt,
		  va_list ap)
{
	fprintf(stderr, "zonekit: %s: ", cmd);
	vfprintf(stderr, fmt, ap);
	if (error)
		fprintf(stderr, ": %s", error);
	fputc('\n', stderr);
}

int cli_fail(const char *cmd, int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfail(cmd, err ? zk_strerror(err) : NULL, fmt, ap);
	va_end(ap);
	return CLI_EXIT_FAILURE;
}

int cli_fail_sys(const char *cmd, int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfail(cmd, err ? strerror(-err) : NULL, fmt, ap);
	va_end(ap);
	return CLI_EXIT_FAILURE;
}

void cli_print_usage_line(const struct cli_command *cmd, FILE *out)
{
	fprintf(out, "Usage: zonekit %s %s\n", cmd->name, cmd->synopsis);
}

void cli_print_help(const struct cli_command *cmd, FILE *out)
{
	cli_print_usage_line(cmd, out);
	fprintf(out, "\n%s", cmd->help);
}

int cli_usage_error(const struct cli_command *cmd, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "zonekit: %s: ", cmd->name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	cli_print_usage_line(cmd, stderr);
	fprintf(stderr, "Try 'zonekit %s --help' for more information.\n",
		cmd->name);
	return CLI_EXIT_USAGE;
}

/* ---- options ----------------------------------------------------------- */

static int report_bad_option(const struct cli_command *cmd, int c,
			     char **argv)
{
	const char *arg = argv[optind - 1];

	if (c == ':')
		return cli_usage_error(cmd, "option '%s' needs an argument",
				       arg);
	if (optopt && !(arg[0] == '-' && arg[1] == '-'))
		return cli_usage_error(cmd, "unknown option '-%c'", optopt);
	return cli_usage_error(cmd, "unknown option '%s'", arg);
}

int cli_getopt(const struct cli_command *cmd, int argc, char **argv,
	       const char *shortopts, const struct option *longopts)
{
	char opts[64];
	int c;

	snprintf(opts, sizeof(opts), ":h%s", shortopts);
	opterr = 0;
	c = getopt_long(argc, argv, opts, longopts, NULL);
	switch (c) {
	case 'h':
		cli_print_help(cmd, stdout);
		return CLI_OPT_HELP;
	case '?':
	case ':':
		report_bad_option(cmd, c, argv);
		return CLI_OPT_BAD;
	default:
		return c;
	}
}

int cli_getopt_exit(int c)
{
	return c == CLI_OPT_HELP ? CLI_EXIT_OK : CLI_EXIT_USAGE;
}

int cli_check_args(const struct cli_command *cmd, int argc, char **argv,
		   int min, int max, const char *const *names)
{
	int nr = argc - optind;

	if (nr < min)
		return cli_usage_error(cmd, "missing %s", names[nr]);
	if (nr > max)
		return cli_usage_error(cmd, "unexpected argument '%s'",
				       argv[optind + max]);
	return 0;
}

/* ---- numbers ----------------------------------------------------------- */

struct size_unit {
	const char *name;
	unsigned int shift;
};

static const struct size_unit size_units[] = {
	{ "", 0 },   { "b", 0 },	{ "k", 10 },  { "kib", 10 },
	{ "m", 20 }, { "mib", 20 }, { "g", 30 },  { "gib", 30 },
	{ "t", 40 }, { "tib", 40 }, { "p", 50 },  { "pib", 50 },
};

static int unit_shift(const char *suffix, unsigned int *shift)
{
	for (size_t i = 0; i < sizeof(size_units) / sizeof(size_units[0]);
	     i++) {
		if (!strcasecmp(suffix, size_units[i].name)) {
			*shift = size_units[i].shift;
			return 0;
		}
	}
	return -1;
}

int parse_size(const char *text, uint64_t *out, const char **why)
{
	unsigned long long v;
	unsigned int shift;
	int base = 10;
	char *end;

	if (!*text) {
		*why = "empty";
		return -1;
	}
	if (text[0] == '-') {
		*why = "must not be negative";
		return -1;
	}
	if (text[0] == '0' && (text[1] == 'x' || text[1] == 'X'))
		base = 16;
	if (base == 16 ? !isxdigit((unsigned char)text[2]) :
			 !isdigit((unsigned char)text[0])) {
		*why = "not a number";
		return -1;
	}
	errno = 0;
	v = strtoull(text, &end, base);
	if (errno == ERANGE) {
		*why = "too large";
		return -1;
	}
	if (unit_shift(end, &shift)) {
		*why = "unknown unit (use K, M, G, T or P, powers of 1024)";
		return -1;
	}
	if (shift && v > (UINT64_MAX >> shift)) {
		*why = "too large";
		return -1;
	}
	*out = (uint64_t)v << shift;
	return 0;
}

int cli_parse_size(const struct cli_command *cmd, const char *name,
		   const char *text, uint64_t *out)
{
	const char *why;

	if (parse_size(text, out, &why))
		return cli_usage_error(cmd, "invalid %s '%s': %s", name, text,
				       why);
	return 0;
}

int cli_parse_u32(const struct cli_command *cmd, const char *name,
		  const char *text, uint32_t *out)
{
	uint64_t v;
	int ret = cli_parse_size(cmd, name, text, &v);

	if (ret)
		return ret;
	if (v > UINT32_MAX)
		return cli_usage_error(cmd, "invalid %s '%s': too large", name,
				       text);
	*out = (uint32_t)v;
	return 0;
}

int cli_parse_byte(const struct cli_command *cmd, const char *name,
		   const char *text, uint8_t *out)
{
	uint64_t v;
	const char *why;

	if (parse_size(text, &v, &why))
		return cli_usage_error(cmd, "invalid %s '%s': %s", name, text,
				       why);
	if (v > 0xff)
		return cli_usage_error(cmd,
				       "invalid %s '%s': a byte is 0 to 255",
				       name, text);
	*out = (uint8_t)v;
	return 0;
}

const char *format_size_exact(uint64_t v, char *buf, size_t size)
{
	static const char units[] = "KMGTP";
	int unit = -1;

	while (v && unit < (int)sizeof(units) - 2 && !(v & 1023)) {
		v >>= 10;
		unit++;
	}
	if (unit < 0)
		snprintf(buf, size, "%" PRIu64, v);
	else
		snprintf(buf, size, "%" PRIu64 "%c", v,
			 units[unit]);
	return buf;
}

/* At @offset, or at the file's own offset if @offset is negative. */
static int write_whole(int fd, const void *buf, size_t len, off_t offset)
{
	const char *p = buf;

	while (len) {
		ssize_t n = offset < 0 ? write(fd, p, len) :
					 pwrite(fd, p, len, offset);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : -EIO;
		p += n;
		len -= (size_t)n;
		if (offset >= 0)
			offset += n;
	}
	return 0;
}

int write_all(int fd, const void *buf, size_t len)
{
	return write_whole(fd, buf, len, -1);
}

int pwrite_all(int fd, const void *buf, size_t len, uint64_t offset)
{
	return write_whole(fd, buf, len, (off_t)offset);
}
