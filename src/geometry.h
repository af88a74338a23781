/* SPDX-License-Identifier: MIT */
/* Geometry checks, and the geometry file of an emulated device. */
#ifndef ZK_GEOMETRY_H
#define ZK_GEOMETRY_H

#include <stddef.h>
#include <stdint.h>

#include "zonekit.h"

/* Check a geometry and fill in defaults (zone_capacity 0 -> zone_size).
 * On error return -EINVAL and point *why at a message. */
int zk_geometry_normalise(struct zk_geometry *geo, const char **why);
uint32_t zk_geometry_nr_zones(const struct zk_geometry *geo);

/* The geometry file of an emulated device: "key value" lines. */
int zk_geometry_format(const struct zk_geometry *geo, char *buf, size_t size);
int zk_geometry_parse(const char *text, size_t len, struct zk_geometry *geo,
		      const char **why);

#endif /* ZK_GEOMETRY_H */
