/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target: the zonekit tool's number parsers (tools/cli_util.c):
 * parse_size(), cli_parse_u32(), cli_parse_byte(), format_size_exact().
 *
 * parse_size() is checked against a reference parser written from
 * zonekit(1)'s grammar: decimal, or 0x/0X and hex digits, then nothing or
 * one unit of B K KiB M MiB G GiB T TiB P PiB (any case, powers of 1024);
 * no sign, no blanks; the value must fit 64 bits.  Both must accept the
 * same strings and give the same value.  A value printed by
 * format_size_exact() must parse back to itself.
 */
#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "cli_util.h"
#include "fuzz.h"

static const struct cli_command fuzz_cmd = {
	.name = "fuzz", .summary = "", .synopsis = "", .help = "",
};

/* 0 and the value, or -1. */
static int ref_parse(const char *s, uint64_t *out)
{
	static const struct { const char *name; unsigned int shift; } units[] = {
		{ "", 0 }, { "b", 0 }, { "k", 10 }, { "kib", 10 }, { "m", 20 },
		{ "mib", 20 }, { "g", 30 }, { "gib", 30 }, { "t", 40 },
		{ "tib", 40 }, { "p", 50 }, { "pib", 50 },
	};
	unsigned int base = 10, digits = 0, shift = 0;
	uint64_t v = 0;
	size_t i;

	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		s += 2;
	}
	for (; *s; s++, digits++) {
		unsigned int d;

		if (isdigit((unsigned char)*s))
			d = (unsigned int)(*s - '0');
		else if (base == 16 && isxdigit((unsigned char)*s))
			d = (unsigned int)(tolower((unsigned char)*s) - 'a' + 10);
		else
			break;
		if (v > (UINT64_MAX - d) / base)
			return -1;
		v = v * base + d;
	}
	if (!digits)
		return -1;
	for (i = 0; i < sizeof(units) / sizeof(units[0]); i++)
		if (!strcasecmp(s, units[i].name))
			break;
	if (i == sizeof(units) / sizeof(units[0]))
		return -1;
	shift = units[i].shift;
	if (shift && v > (UINT64_MAX >> shift))
		return -1;
	*out = v << shift;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1), buf[SIZE_BUF_LEN];
	uint64_t v = 0, rv = 0, w;
	const char *why = NULL;
	uint32_t u32;
	uint8_t byte;
	int ret, rret;

	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	ret = parse_size(s, &v, &why);
	rret = ref_parse(s, &rv);
	if (ret != rret || (!ret && v != rv))
		fuzz_fail("parse_size(\"%s\") = %d (%llu, %s), reference %d (%llu)",
			  s, ret, (unsigned long long)v, ret ? why : "ok", rret,
			  (unsigned long long)rv);
	if (ret && (!why || !*why))
		fuzz_fail("parse_size(\"%s\") failed without a reason", s);
	/* the range checks on top of it (they print usage errors) */
	ret = cli_parse_u32(&fuzz_cmd, "N", s, &u32);
	if (!ret != (!rret && rv <= UINT32_MAX) || (!ret && u32 != rv))
		fuzz_fail("cli_parse_u32(\"%s\") = %d", s, ret);
	ret = cli_parse_byte(&fuzz_cmd, "B", s, &byte);
	if (!ret != (!rret && rv <= 255) || (!ret && byte != rv))
		fuzz_fail("cli_parse_byte(\"%s\") = %d", s, ret);
	/* print a value from the input's bytes, parse it back */
	w = 0;
	memcpy(&w, data, size < 8 ? size : 8);
	format_size_exact(w, buf, sizeof(buf));
	if (parse_size(buf, &v, &why) || v != w)
		fuzz_fail("format_size_exact(%llu) = \"%s\" parses as %llu",
			  (unsigned long long)w, buf, (unsigned long long)v);
	free(s);
	return 0;
}
