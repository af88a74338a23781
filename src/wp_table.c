/* SPDX-License-Identifier: MIT */
/* The write-pointer table (wp_table.h). */
#include "wp_table.h"

#include <errno.h>
#include <stdlib.h>

int wpt_init(struct wp_table *t, uint32_t nr)
{
	t->ent = calloc(nr, sizeof(*t->ent));
	if (!t->ent)
		return -ENOMEM;
	t->nr = nr;
	return 0;
}

void wpt_free(struct wp_table *t)
{
	free(t->ent);
	t->ent = NULL;
	t->nr = 0;
}
