/*
 * cli/nat_show.c - the NAT part of `uwg show`: the daemon's "nat=1" state
 * (cli/uapi/nat_conf.h; declared in cli/cmd_main.h) as a short block after wg's own output, only while NAT
 * runs. Main thread only.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "cli/uapi/nat_conf.h"
#include "cli/cmd_main.h"

void uwg_nat_conf_show(FILE *f, const char *reply, bool color)
{
	const char *bold = color ? "\x1b[1m" : "", *reset = color ? "\x1b[0m" : "";
	char *text = NULL, *line, *save = NULL;
	char wan[32] = "", addr[32] = "", pool[32] = "", filters[16] = "?";
	struct uwg_nat_fwd fwd[UWG_NAT_FORWARDS_MAX];
	size_t n = 0;
	bool on = false, masq = false;

	/* strtok_r writes into what it parses: a copy, as the other block reads the reply too. */
	text = strdup(reply);
	if (!text)
		return;
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (!strcmp(line, "nat_enable=true"))
			on = true;
		else if (!strcmp(line, "nat_masquerade=true"))
			masq = true;
		else if (!strncmp(line, "nat_external_interface=", 23))
			snprintf(wan, sizeof(wan), "%s", line + 23);
		else if (!strncmp(line, "nat_external_address=", 21))
			snprintf(addr, sizeof(addr), "%s", line + 21);
		else if (!strncmp(line, "nat_masquerade_ports=", 21))
			snprintf(pool, sizeof(pool), "%s", line + 21);
		else if (!strncmp(line, "nat_tc_filters=", 15))
			snprintf(filters, sizeof(filters), "%s", line + 15);
		else if (!strncmp(line, "nat_forward=", 12) && n < UWG_NAT_FORWARDS_MAX &&
			 uwg_nat_conf_parse_fwd(&fwd[n], line + 12))
			n++;
	}
	free(text);
	if (!on)
		return;
	fprintf(f, "\n%snat%s: %s on %s, masquerade %s%s%s%s, %s tc filters\n", bold, reset, addr,
		wan, masq ? "on" : "off", masq ? " (ports " : "", masq ? pool : "", masq ? ")" : "",
		filters);
	for (size_t i = 0; i < n; i++) {
		struct in_addr a = { htonl(fwd[i].addr) };
		char ip[INET_ADDRSTRLEN];

		inet_ntop(AF_INET, &a, ip, sizeof(ip));
		fprintf(f, "  %sforward%s: %s %u -> %s:%u\n", bold, reset,
			fwd[i].proto == IPPROTO_TCP ? "TCP" : "UDP", fwd[i].ext_port, ip, fwd[i].port);
	}
}
