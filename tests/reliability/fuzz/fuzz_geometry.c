/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target: the emulated device's geometry file parser,
 * zk_geometry_parse() (src/geometry.c, internal).
 *
 * Any input: no crash, no read past the input (the parser takes a length,
 * the input is not NUL-terminated), and either -EINVAL with a message, or
 * a geometry that is valid (zk_geometry_normalise accepts it as it is),
 * that zk_geometry_format() writes out and zk_geometry_parse() reads back
 * the same.
 */
#include <errno.h>
#include <string.h>

#include "fuzz.h"
#include "geometry.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct zk_geometry g, g2, n;
	const char *why = (const char *)1;
	char text[1024];
	uint64_t nr;
	int ret, len;

	ret = zk_geometry_parse((const char *)data, size, &g, &why);
	if (ret) {
		if (ret != -EINVAL)
			fuzz_fail("parse returned %d, not -EINVAL", ret);
		if (!why || why == (const char *)1 || !*why)
			fuzz_fail("parse failed without a reason");
		return 0;
	}
	if (why)
		fuzz_fail("parse succeeded with a reason: %s", why);
	n = g;
	if (zk_geometry_normalise(&n, &why) || memcmp(&n, &g, sizeof(g)))
		fuzz_fail("a parsed geometry is not normalised: %s",
			  why ? why : "changed");
	nr = zk_geometry_nr_zones(&g);
	if (!nr || nr > (1ULL << 31) || g.nr_conv_zones >= nr)
		fuzz_fail("%llu zones, %u conventional", (unsigned long long)nr,
			  g.nr_conv_zones);
	if (g.zone_size & (g.zone_size - 1) || g.capacity % g.block_size ||
	    g.zone_capacity > g.zone_size || !g.zone_capacity)
		fuzz_fail("an invalid geometry was accepted");
	len = zk_geometry_format(&g, text, sizeof(text));
	if (len <= 0 || (size_t)len >= sizeof(text))
		fuzz_fail("format: %d", len);
	ret = zk_geometry_parse(text, (size_t)len, &g2, &why);
	if (ret || memcmp(&g, &g2, sizeof(g)))
		fuzz_fail("format/parse round trip: %d %s", ret, why ? why : "");
	return 0;
}
