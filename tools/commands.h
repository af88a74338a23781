/* SPDX-License-Identifier: MIT */
/* The commands of the zonekit tool, one cmd_*.c file per group. */
#ifndef ZONEKIT_COMMANDS_H
#define ZONEKIT_COMMANDS_H

#include "cli_util.h"

struct cli_dev;
struct json_writer;

extern const struct cli_command cmd_create; /* cmd_create.c */
extern const struct cli_command cmd_info;   /* cmd_info.c */
extern const struct cli_command cmd_report; /* cmd_report.c */
extern const struct cli_command cmd_reset;  /* cmd_zone.c */
extern const struct cli_command cmd_open;
extern const struct cli_command cmd_close;
extern const struct cli_command cmd_finish;
extern const struct cli_command cmd_set_cond; /* cmd_maint.c */
extern const struct cli_command cmd_power_cycle;
extern const struct cli_command cmd_resync;
extern const struct cli_command cmd_append; /* cmd_append.c */
extern const struct cli_command cmd_write;  /* cmd_write.c */
extern const struct cli_command cmd_read;   /* cmd_read.c */
extern const struct cli_command cmd_fill;   /* cmd_fill.c */
extern const struct cli_command cmd_map;    /* cmd_map.c */
extern const struct cli_command cmd_zloop;  /* cmd_zloop.c */
#ifdef ZONEKIT_SERVE
extern const struct cli_command cmd_serve;  /* cmd_serve.c */
extern const struct cli_command cmd_stop;   /* cmd_stop.c */
#endif

/* The device's geometry as members of the current JSON object (cmd_info.c):
 * shared by "info --json" and "report --json". */
void json_device_info(struct json_writer *w, const struct cli_dev *d);

#endif /* ZONEKIT_COMMANDS_H */
