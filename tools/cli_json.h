/* SPDX-License-Identifier: MIT */
/*
 * A small streaming JSON writer: members are written as they come, so a
 * report of a million zones needs no more memory than one of ten.
 * Containers nested deeper than pretty_depth are written on one line.
 */
#ifndef ZONEKIT_CLI_JSON_H
#define ZONEKIT_CLI_JSON_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define JSON_MAX_DEPTH 8

struct json_writer {
	FILE *out;
	int depth;       /* open containers */
	int pretty_depth;
	bool has_members[JSON_MAX_DEPTH + 1];
};

void json_init(struct json_writer *w, FILE *out, int pretty_depth);

/* @key is the member name inside an object, NULL inside an array or at
 * the top level. */
void json_begin_object(struct json_writer *w, const char *key);
void json_end_object(struct json_writer *w);
void json_begin_array(struct json_writer *w, const char *key);
void json_end_array(struct json_writer *w);

void json_u64(struct json_writer *w, const char *key, uint64_t v);
void json_string(struct json_writer *w, const char *key, const char *s);
void json_bool(struct json_writer *w, const char *key, bool v);

/* @s as a JSON string, quoted and escaped, for a writer of its own. */
void json_put_string(FILE *out, const char *s);

#endif /* ZONEKIT_CLI_JSON_H */
