/*
 * cli/cmd_main.h - entry points of the wg and wg-quick style subcommands
 * (cli/cmd_*.c) for the table in cli/commands.c, plus the printers shared
 * between them (show, showconf, SaveConfig) and the unit tests. Each *_main
 * gets argv[0] = the subcommand name and returns the exit status. Main thread.
 */
#ifndef UWG_CLI_CMD_MAIN_H
#define UWG_CLI_CMD_MAIN_H

#include <stdbool.h>
#include <stdio.h>
#include <time.h>

#include "cli/config.h"

int uwg_cmd_up_main(int argc, char **argv);
int uwg_cmd_down_main(int argc, char **argv);
int uwg_cmd_save_main(int argc, char **argv);
int uwg_cmd_strip_main(int argc, char **argv);
int uwg_cmd_show_main(int argc, char **argv);
int uwg_cmd_showconf_main(int argc, char **argv);
int uwg_cmd_set_main(int argc, char **argv);
int uwg_cmd_setconf_main(int argc, char **argv);
int uwg_cmd_addconf_main(int argc, char **argv);
int uwg_cmd_syncconf_main(int argc, char **argv);
int uwg_cmd_genkey_main(int argc, char **argv);
int uwg_cmd_genpsk_main(int argc, char **argv);
int uwg_cmd_pubkey_main(int argc, char **argv);

/* `wg show IF` output for dev (peers get sorted by latest handshake); now = time(NULL). */
void uwg_cmd_show_pretty(FILE *f, const char *ifname, struct uwg_conf *dev, bool color, time_t now);
/* `wg show IF PARAM` (with_ifname: the `all` form); false if param is unknown. */
bool uwg_cmd_show_field(FILE *f, const char *ifname, const struct uwg_conf *dev, const char *param,
			bool with_ifname);
/*
 * `uwg show`'s blocks after the peers, from a daemon's "nat=1" reply: the NAT
 * (cli/nat_show.c; nothing unless NAT runs) and the UPnP port maps
 * (cli/igd_show.c; one line each: owner peer, protocol, ports, lease left,
 * description; nothing when there are none).
 */
void uwg_nat_conf_show(FILE *f, const char *reply, bool color);
/* `uwg show IF|all metrics` for the named interfaces (cli/show_stats.c); the exit status. */
int uwg_cmd_show_metrics(char **names, size_t n);
/* `uwg show IF stats|nat|upnp` in human form; the exit status. */
int uwg_cmd_show_section(const char *ifname, const char *what, bool color);
void uwg_igd_conf_show(FILE *f, const char *reply, bool color);
/* The IPv6 firewall's pinholes and per-peer counters (cli/fw_show.c); ifname to name the peers. */
void uwg_fw_show(FILE *f, const char *ifname, const char *reply, bool color);
/* `wg showconf IF` output; the "[Interface]\n" line is left out when skip_header. */
void uwg_cmd_showconf_write(FILE *f, const struct uwg_conf *dev, bool skip_header);

#endif
