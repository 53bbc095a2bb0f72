/*
 * cli/commands.c - the subcommand table. Each entry's implementation lives in
 * its own cli/cmd_*.c file. Main thread only.
 */
#include "cli/commands.h"

#include <string.h>

#include "cli/cmd_main.h"

const struct uwg_subcommand uwg_subcommands[] = {
	{ "up", uwg_cmd_up_main,
	  "CONFIG|IFNAME: start and configure an interface (wg-quick up)" },
	{ "down", uwg_cmd_down_main,
	  "CONFIG|IFNAME: undo `up' and stop the interface (wg-quick down)" },
	{ "save", uwg_cmd_save_main,
	  "CONFIG|IFNAME: write the running config back (wg-quick save)" },
	{ "strip", uwg_cmd_strip_main,
	  "CONFIG|IFNAME: print only the wg keys of a config (wg-quick strip)" },
	{ "show", uwg_cmd_show_main,
	  "[IFNAME|all|interfaces] [FIELD]: show configuration and state" },
	{ "showconf", uwg_cmd_showconf_main,
	  "IFNAME: print the running configuration as a config file" },
	{ "set", uwg_cmd_set_main,
	  "IFNAME ...: change the configuration and peers (wg set syntax)" },
	{ "setconf", uwg_cmd_setconf_main,
	  "IFNAME FILE: apply a configuration file, replacing the peers (wg setconf)" },
	{ "addconf", uwg_cmd_addconf_main,
	  "IFNAME FILE: add the peers of a configuration file (wg addconf)" },
	{ "syncconf", uwg_cmd_syncconf_main,
	  "IFNAME FILE: apply only what differs; unchanged peers keep their sessions" },
	{ "genkey", uwg_cmd_genkey_main, "print a new private key" },
	{ "genpsk", uwg_cmd_genpsk_main, "print a new preshared key" },
	{ "pubkey", uwg_cmd_pubkey_main, "private key on stdin -> public key on stdout" },
	{ NULL, NULL, NULL },
};

const struct uwg_subcommand *uwg_subcommand_find(const char *name)
{
	for (const struct uwg_subcommand *c = uwg_subcommands; c->name; c++)
		if (strcmp(c->name, name) == 0)
			return c;
	return NULL;
}
