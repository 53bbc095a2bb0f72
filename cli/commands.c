/*
 * cli/commands.c - the subcommand table. Each entry's implementation lives in
 * its own cli/cmd_*.c file. Main thread only.
 */
#include "cli/commands.h"

#include <string.h>

#include "cli/cmd_main.h"

const struct uwg_subcommand uwg_subcommands[] = {
	{ "up", uwg_cmd_up_main, "CONFIG|IFNAME: start and configure an interface (wg-quick up)",
	  "[--log-file PATH] { CONFIG_FILE | INTERFACE }" },
	{ "down", uwg_cmd_down_main,
	  "CONFIG|IFNAME: undo `up' and stop the interface (wg-quick down)",
	  "{ CONFIG_FILE | INTERFACE }" },
	{ "save", uwg_cmd_save_main, "CONFIG|IFNAME: write the running config back (wg-quick save)",
	  "{ CONFIG_FILE | INTERFACE }" },
	{ "strip", uwg_cmd_strip_main,
	  "CONFIG|IFNAME: print only the wg keys of a config (wg-quick strip)",
	  "{ CONFIG_FILE | INTERFACE }" },
	/* wg's usage text exactly (errors are compared with wg's); uwg's fields are in the help */
	{ "show", uwg_cmd_show_main,
	  "[IFNAME|all|interfaces] [FIELD]: show configuration and state; uwg's own FIELDs: "
	  "stats, nat, upnp, firewall, metrics",
	  "{ <interface> | all | interfaces } [public-key | private-key | listen-port | fwmark | "
	  "peers | preshared-keys | endpoints | allowed-ips | latest-handshakes | transfer | "
	  "persistent-keepalive | dump]" },
	{ "showconf", uwg_cmd_showconf_main,
	  "IFNAME: print the running configuration as a config file", "<interface>" },
	{ "set", uwg_cmd_set_main, "IFNAME ...: change the configuration and peers (wg set syntax)",
	  "<interface> [listen-port <port>] [fwmark <mark>] [private-key <file path>] [peer "
	  "<base64 public key> [remove] [update-only] [preshared-key <file path>] [endpoint "
	  "<ip>:<port>] [persistent-keepalive <interval seconds>] [allowed-ips "
	  "[+|-]<ip1>/<cidr1>[,[+|-]<ip2>/<cidr2>]...] ]..." },
	{ "setconf", uwg_cmd_setconf_main,
	  "IFNAME FILE: apply a configuration file, replacing the peers (wg setconf)",
	  "<interface> <configuration filename>" },
	{ "addconf", uwg_cmd_addconf_main,
	  "IFNAME FILE: add the peers of a configuration file (wg addconf)",
	  "<interface> <configuration filename>" },
	{ "syncconf", uwg_cmd_syncconf_main,
	  "IFNAME FILE: apply only what differs; unchanged peers keep their sessions",
	  "<interface> <configuration filename>" },
	{ "genkey", uwg_cmd_genkey_main, "print a new private key", "" },
	{ "genpsk", uwg_cmd_genpsk_main, "print a new preshared key", "" },
	{ "pubkey", uwg_cmd_pubkey_main, "private key on stdin -> public key on stdout",
	  "< private.key > public.key" },
	{ NULL, NULL, NULL, NULL },
};

const struct uwg_subcommand *uwg_subcommand_find(const char *name)
{
	for (const struct uwg_subcommand *c = uwg_subcommands; c->name; c++)
		if (strcmp(c->name, name) == 0)
			return c;
	return NULL;
}

void uwg_subcommand_usage(FILE *f, const char *name)
{
	const struct uwg_subcommand *c = uwg_subcommand_find(name);

	if (c)
		fprintf(f, "Usage: uwg %s%s%s\n", c->name, c->usage[0] ? " " : "", c->usage);
}

bool uwg_subcommand_wants_help(int argc, char **argv)
{
	return argc == 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") ||
			     !strcmp(argv[1], "help"));
}
