/*
 * cli/main.c - the uwg command: --version, --help, `uwg SUBCOMMAND ...` from
 * the table in cli/commands.c, and otherwise the wireguard-go compatible
 * daemon form `uwg [-f|--foreground] [--log-file PATH] IFNAME`. A first
 * argument that is `help' or a near miss of a subcommand never starts a
 * daemon (`uwg -- NAME' does, for such a name). Main thread.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "cli/commands.h"
#include "cli/daemon/daemon.h"
#include "cli/daemon/seccomp.h"
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
	       "  UWG_USER=NAME                               user after setup (default uwg, else nobody; root keeps root)\n"
	       "  UWG_ALLOW_COREDUMP=1                        allow core dumps (they hold the keys)\n"
	       "  UWG_SECCOMP=0                               no system-call allow-list\n"
	       "  UWG_AEAD=libsodium                          data-path AEAD on libsodium, not OpenSSL's assembly\n"
	       "  UWG_CRYPTO_THREADS=N                        N crypto worker threads (default 0)\n"
	       "  UWG_NO_OFFLOAD=1                            no TUN/UDP segmentation offloads\n"
	       "  UWG_LOG_FILE=PATH                           same as --log-file\n"
	       "Command environment:\n"
	       "  WG_COLOR_MODE=always|never|auto             colours of show (default auto)\n"
	       "  WG_ENDPOINT_RESOLUTION_RETRIES=N|infinity   endpoint lookups up and set retry (default 15)\n"
	       "  UWG_DAEMON=PATH                             the daemon up starts (default this binary)\n"
	       "Logs go to --log-file (UWG_LOG_FILE; `uwg up --log-file PATH`), else stderr in the\n"
	       "foreground, under systemd, or on a terminal or file, else syslog.\n"
	       "A name that is `help' or looks like a mistyped subcommand starts no daemon;\n"
	       "`%s -- NAME' does.\n", prog);
}

/* Levenshtein distance, capped: names are short (IFNAMSIZ). */
static unsigned distance(const char *a, const char *b)
{
	unsigned row[32], n = (unsigned)strlen(b);

	if (strlen(a) >= 31 || n >= 31)
		return 99;
	for (unsigned j = 0; j <= n; j++)
		row[j] = j;
	for (unsigned i = 1; a[i - 1]; i++) {
		unsigned diag = row[0];

		row[0] = i;
		for (unsigned j = 1; j <= n; j++) {
			unsigned up = row[j], best = diag + (a[i - 1] != b[j - 1]);

			if (up + 1 < best)
				best = up + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			diag = up;
			row[j] = best;
		}
	}
	return row[n];
}

/*
 * The subcommand arg was probably meant as: within 2 edits (1 for the short
 * ones, or every 3-letter interface name would be a typo of `up'), or the
 * same letters in another case.
 */
static const char *near_miss(const char *arg)
{
	for (const struct uwg_subcommand *c = uwg_subcommands; c->name; c++) {
		unsigned limit = strlen(c->name) <= 3 ? 1 : 2;

		if (!strcasecmp(arg, c->name) || distance(arg, c->name) <= limit)
			return c->name;
	}
	return NULL;
}

int main(int argc, char **argv)
{
	const struct uwg_subcommand *sub;

	if (argc > 1) {
		/* the IGD's discovery process (igd/ssdp.h): never typed by a user */
		if (!strcmp(argv[1], UWG_IGD_SSDP_ARG)) {
			/* it inherited the daemon's allow-list; refusals go back on its fd 3 */
			uwg_seccomp_report_to(3);
			return uwg_igd_ssdp_main(argc, argv);
		}
		if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "-v")) {
			printf("uwg %s\n", UWG_VERSION);
			return 0;
		}
		if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") ||
		    !strcmp(argv[1], "help")) {
			help(argv[0]);
			return 0;
		}
		sub = uwg_subcommand_find(argv[1]);
		if (sub && uwg_subcommand_wants_help(argc - 1, argv + 1)) {
			uwg_subcommand_usage(stdout, sub->name);
			printf("  %s\n", sub->help);
			return 0;
		}
		if (sub)
			return sub->main(argc - 1, argv + 1);
		if (argv[1][0] != '-' && near_miss(argv[1])) {
			fprintf(stderr,
				"%s: invalid subcommand `%s'; did you mean `%s'?\n"
				"(to start a daemon for an interface of that name: %s -- %s)\n",
				argv[0], argv[1], near_miss(argv[1]), argv[0], argv[1]);
			return 1;
		}
	}
	return uwg_daemon_main(argc, argv);
}
