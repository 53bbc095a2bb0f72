/*
 * cli/main.c - the uwg command: --version, --help, `uwg SUBCOMMAND ...` from
 * the table in cli/commands.c, and otherwise the wireguard-go compatible
 * daemon form `uwg [-f|--foreground] [--log-file PATH] IFNAME`. Main thread.
 */
#include <stdio.h>
#include <string.h>

#include "cli/commands.h"
#include "cli/daemon.h"
#include "igd/ssdp.h"

static void help(const char *prog)
{
	uwg_daemon_usage(stdout, prog);
	printf("\nSubcommands:\n");
	for (const struct uwg_subcommand *c = uwg_subcommands; c->name; c++)
		printf("  %-12s %s\n", c->name, c->help ? c->help : "");
	printf("\nDaemon environment:\n"
	       "  LOG_LEVEL=verbose|debug|info|error|silent   (default error)\n"
	       "  WG_PROCESS_FOREGROUND=1                     same as --foreground\n"
	       "  UWG_TEST_TIMER_DIVISOR=N                    shorten protocol timers (test builds)\n"
	       "Without --foreground, logs go to --log-file or syslog.\n");
}

int main(int argc, char **argv)
{
	const struct uwg_subcommand *sub;

	if (argc > 1) {
		/* the IGD's discovery process (igd/ssdp.h): never typed by a user */
		if (!strcmp(argv[1], UWG_IGD_SSDP_ARG))
			return uwg_igd_ssdp_main(argc, argv);
		if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "-v")) {
			printf("uwg %s\n", UWG_VERSION);
			return 0;
		}
		if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
			help(argv[0]);
			return 0;
		}
		sub = uwg_subcommand_find(argv[1]);
		if (sub)
			return sub->main(argc - 1, argv + 1);
	}
	return uwg_daemon_main(argc, argv);
}
