/*
 * cli/igd_show.c - the UPnP block of `uwg show` (declared in cli/cmd_main.h): the daemon's "upnp_map=" lines from a "nat=1" request,
 * printed after the peers. Main thread only.
 */
#include "cli/uapi/igd_conf.h"
#include "cli/cmd_main.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>


static void lease_text(uint32_t s, char *buf, size_t len)
{
	if (!s)
		snprintf(buf, len, "permanent");
	else if (s >= 3600)
		snprintf(buf, len, "%uh %um %us left", s / 3600, s / 60 % 60, s % 60);
	else if (s >= 60)
		snprintf(buf, len, "%um %us left", s / 60, s % 60);
	else
		snprintf(buf, len, "%us left", s);
}

static const char *origin_text(const char *origin)
{
	if (!strcmp(origin, "natpmp"))
		return "NAT-PMP";
	if (!strcmp(origin, "pcp"))
		return "PCP";
	return "UPnP";
}

void uwg_igd_conf_show(FILE *f, const char *reply, bool color)
{
	const char *bold = color ? "\x1b[1m" : "", *reset = color ? "\x1b[0m" : "";
	char *text = NULL, *line, *save = NULL, url[160] = "", ext[64] = "";
	struct uwg_igd_map_line *maps = NULL;
	size_t n = 0, cap = 0;

	/* strtok_r writes into what it parses: a copy, as the other block reads the reply too. */
	text = strdup(reply);
	if (!text)
		return;
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (!strncmp(line, "upnp_url=", 9)) {
			snprintf(url, sizeof(url), "%s", line + 9);
		} else if (!strncmp(line, "upnp_external_address=", 22)) {
			snprintf(ext, sizeof(ext), "%s", line + 22);
		} else if (!strncmp(line, "upnp_map=", 9)) {
			if (n == cap) {
				size_t nc = cap ? cap * 2 : 16;
				struct uwg_igd_map_line *v = realloc(maps, nc * sizeof(*v));

				if (!v)
					break;
				maps = v;
				cap = nc;
			}
			if (uwg_igd_conf_parse_map(&maps[n], line + 9))
				n++;
		}
	}
	if (n) {
		fprintf(f, "\n%supnp%s: %s%s%s%s\n", bold, reset, url[0] ? url : "(not running)",
			ext[0] ? " (external address " : "", ext, ext[0] ? ")" : "");
		for (size_t i = 0; i < n; i++) {
			struct in_addr a = { htonl(maps[i].int_addr) };
			char ip[INET_ADDRSTRLEN], lease[48];

			inet_ntop(AF_INET, &a, ip, sizeof(ip));
			lease_text(maps[i].lease_left_s, lease, sizeof(lease));
			fprintf(f, "  %sport map%s: %s %u -> %s:%u, %s, peer %s, \"%s\" (%s)\n",
				bold, reset, maps[i].proto == IPPROTO_UDP ? "UDP" : "TCP",
				maps[i].ext_port, ip, maps[i].int_port, lease,
				maps[i].owner[0] ? maps[i].owner : "(removed)", maps[i].desc,
				origin_text(maps[i].origin));
		}
	}
	free(maps);
	free(text);
}
