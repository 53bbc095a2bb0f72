/*
 * cli/commands.c - the subcommand table. Each entry's implementation lives in
 * its own cli/cmd_*.c file. Main thread only.
 */
#include "cli/commands.h"

#include <string.h>

#include "cli/cmd_main.h"

const struct uwg_subcommand uwg_subcommands[] = {
	{ "up", uwg_cmd_up_main,
	  "CONFIG|IFNAME: start the daemon and configure it, its addresses, routes and DNS (wg-quick up)" },
	{ "down", uwg_cmd_down_main,
	  "CONFIG|IFNAME: remove what `up' added and stop the interface (wg-quick down)" },
	{ "save", uwg_cmd_save_main,
	  "CONFIG|IFNAME: write the running configuration back to the file (wg-quick save)" },
	{ "strip", uwg_cmd_strip_main,
	  "CONFIG|IFNAME: print the config without the wg-quick-only keys (wg-quick strip)" },
	{ "show", uwg_cmd_show_main,
	  "[IFNAME|all|interfaces] [FIELD]: show the current configuration and state (wg show)" },
	{ "showconf", uwg_cmd_showconf_main,
	  "IFNAME: print the current configuration as a config file (wg showconf)" },
	{ "set", uwg_cmd_set_main,
	  "IFNAME ...: change the configuration, add, change or remove peers (wg set)" },
	{ "genkey", uwg_cmd_genkey_main, "print a new private key (wg genkey)" },
	{ "genpsk", uwg_cmd_genpsk_main, "print a new preshared key (wg genpsk)" },
	{ "pubkey", uwg_cmd_pubkey_main, "read a private key on stdin, print its public key (wg pubkey)" },
	{ NULL, NULL, NULL },
};

const struct uwg_subcommand *uwg_subcommand_find(const char *name)
{
	for (const struct uwg_subcommand *c = uwg_subcommands; c->name; c++)
		if (strcmp(c->name, name) == 0)
			return c;
	return NULL;
}
