/*
 * cli/commands.c - the subcommand table. Each entry's implementation lives in
 * its own cli/cmd_*.c file. Main thread only.
 */
#include "cli/commands.h"

#include <string.h>

const struct uwg_subcommand uwg_subcommands[] = {
	{ NULL, NULL, NULL },
};

const struct uwg_subcommand *uwg_subcommand_find(const char *name)
{
	for (const struct uwg_subcommand *c = uwg_subcommands; c->name; c++)
		if (strcmp(c->name, name) == 0)
			return c;
	return NULL;
}
