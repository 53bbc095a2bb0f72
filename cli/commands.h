/*
 * cli/commands.h - the table of `uwg SUBCOMMAND ...` entry points (up, down,
 * genkey, show, ...). cli/main.c looks a name up here; anything that is not a
 * subcommand is the wireguard-go style `uwg [-f] IFNAME` daemon invocation.
 * Main thread, before any loop exists.
 */
#ifndef UWG_CLI_COMMANDS_H
#define UWG_CLI_COMMANDS_H

struct uwg_subcommand {
	const char *name;
	int (*main)(int argc, char **argv); /* argv[0] is the subcommand name; exit status */
	const char *help;
	const char *usage; /* its arguments, for `uwg NAME --help' */
};

#include <stdbool.h>
#include <stdio.h>

/* NULL if name is not a subcommand. */
const struct uwg_subcommand *uwg_subcommand_find(const char *name);
/* The table, terminated by an entry with name == NULL (for --help). */
extern const struct uwg_subcommand uwg_subcommands[];
/* "Usage: uwg NAME ARGS" and a newline. */
void uwg_subcommand_usage(FILE *f, const char *name);
/* argv (argv[0] the subcommand) is NAME --help, -h or help. */
bool uwg_subcommand_wants_help(int argc, char **argv);

#endif
