/* SPDX-License-Identifier: MIT */
#include "cli_json.h"

#include <inttypes.h>

void json_init(struct json_writer *w, FILE *out, int pretty_depth)
{
	w->out = out;
	w->depth = 0;
	w->pretty_depth = pretty_depth;
	w->has_members[0] = false;
}

void json_put_string(FILE *out, const char *s)
{
	fputc('"', out);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			fprintf(out, "\\%c", c);
		else if (c == '\n')
			fputs("\\n", out);
		else if (c == '\t')
			fputs("\\t", out);
		else if (c < 0x20)
			fprintf(out, "\\u%04x", c);
		else
			fputc(c, out);
	}
	fputc('"', out);
}

static void new_line(struct json_writer *w, int indent)
{
	fputc('\n', w->out);
	for (int i = 0; i < indent; i++)
		fputs("  ", w->out);
}

/* Separator, indentation and key before a member of the current container. */
static void begin_member(struct json_writer *w, const char *key)
{
	bool pretty = w->depth <= w->pretty_depth;

	if (w->depth > 0) {
		if (w->has_members[w->depth])
			fputs(pretty ? "," : ", ", w->out);
		w->has_members[w->depth] = true;
		if (pretty)
			new_line(w, w->depth);
	}
	if (key) {
		json_put_string(w->out, key);
		fputs(": ", w->out);
	}
}

static void begin_container(struct json_writer *w, const char *key, char open)
{
	begin_member(w, key);
	fputc(open, w->out);
	w->depth++; /* at most JSON_MAX_DEPTH: callers nest little */
	w->has_members[w->depth] = false;
}

static void end_container(struct json_writer *w, char close)
{
	if (w->has_members[w->depth] && w->depth <= w->pretty_depth)
		new_line(w, w->depth - 1);
	fputc(close, w->out);
	w->depth--;
	if (w->depth == 0)
		fputc('\n', w->out);
}

void json_begin_object(struct json_writer *w, const char *key)
{
	begin_container(w, key, '{');
}

void json_end_object(struct json_writer *w)
{
	end_container(w, '}');
}

void json_begin_array(struct json_writer *w, const char *key)
{
	begin_container(w, key, '[');
}

void json_end_array(struct json_writer *w)
{
	end_container(w, ']');
}

void json_u64(struct json_writer *w, const char *key, uint64_t v)
{
	begin_member(w, key);
	fprintf(w->out, "%" PRIu64, v);
}

void json_string(struct json_writer *w, const char *key, const char *s)
{
	begin_member(w, key);
	json_put_string(w->out, s);
}

void json_bool(struct json_writer *w, const char *key, bool v)
{
	begin_member(w, key);
	fputs(v ? "true" : "false", w->out);
}
