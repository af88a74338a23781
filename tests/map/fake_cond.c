/* SPDX-License-Identifier: MIT */
/*
 * LD_PRELOAD shim for the map tests: zk_report() as the library's, with the
 * conditions of some zones changed, as ZK_FAKE_COND says: "START=COND,..."
 * (byte offsets of zone starts and condition numbers).  An emulated device
 * keeps open conditions in memory only, so a new process never finds an
 * open zone: this lets "zonekit map" draw imp-open and exp-open zones.
 */
#include <dlfcn.h>
#include <stdlib.h>

#include "zonekit.h"

typedef int (*report_fn)(struct zk_dev *, uint64_t, struct zk_zone *,
			 unsigned int *);

static void fake(struct zk_zone *z)
{
	const char *s = getenv("ZK_FAKE_COND");
	char *end;

	while (s && *s) {
		unsigned long long start = strtoull(s, &end, 0);
		unsigned long cond;

		if (*end != '=')
			return;
		cond = strtoul(end + 1, &end, 0);
		if (start == z->start)
			z->cond = (uint8_t)cond;
		if (*end != ',')
			return;
		s = end + 1;
	}
}

__attribute__((visibility("default")))
int zk_report(struct zk_dev *dev, uint64_t offset, struct zk_zone *zones,
	      unsigned int *nr)
{
	static report_fn real;
	int ret;

	if (!real)
		real = (report_fn)dlsym(RTLD_NEXT, "zk_report");
	if (!real)
		return -38; /* ENOSYS */
	ret = real(dev, offset, zones, nr);
	if (ret >= 0)
		for (unsigned int i = 0; i < *nr; i++)
			fake(&zones[i]);
	return ret;
}
