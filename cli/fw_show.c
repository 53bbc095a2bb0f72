/*
 * cli/fw_show.c - the IPv6 firewall block of `uwg show` (declared in
 * cli/cmd_main.h): the daemon's fw6* lines from a "nat=1" request (pinholes,
 * per-peer counters), with owner tags turned back into the peers' public keys
 * from a "get=1". Main thread only.
 */
#include "cli/cmd_main.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/config.h"
#include "cli/uapi_client.h"
#include "crypto/encoding.h"

/* The base64 key of the peer whose key starts with the 16 hex digits of tag, or the tag. */
static const char *peer_name(const struct uwg_conf *dev, const char *tag, char out[UWG_KEY_B64_LEN])
{
	for (size_t i = 0; dev && i < dev->n_peers; i++) {
		char hex[UWG_KEY_HEX_LEN];

		uwg_key_to_hex(hex, dev->peers[i].public_key);
		if (!strncmp(hex, tag, 16)) {
			uwg_key_to_base64(out, dev->peers[i].public_key);
			return out;
		}
	}
	snprintf(out, UWG_KEY_B64_LEN, "%.16s... (removed)", tag);
	return out;
}

static const char *origin_text(unsigned origin)
{
	return origin == 2 ? "PCP" : "UPnP";
}

void uwg_fw_show(FILE *f, const char *ifname, const char *reply, bool color)
{
	const char *bold = color ? "\x1b[1m" : "", *reset = color ? "\x1b[0m" : "";
	char *text = strdup(reply), *line, *save = NULL;
	struct uwg_conf dev;
	bool have_dev = false, on = false, head = false;

	if (!text)
		return;
	uwg_conf_init(&dev);
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char name[UWG_KEY_B64_LEN];

		if (!strcmp(line, "fw6=true"))
			on = true;
		if (!on || (strncmp(line, "fw6_pinhole=", 12) && strncmp(line, "fw6_peer=", 9)))
			continue;
		if (!head) {
			fprintf(f, "\n%sipv6 firewall%s: on\n", bold, reset);
			head = true;
		}
		if (!have_dev)
			have_dev = uwg_uapi_client_get(ifname, &dev) == 0;
		if (!strncmp(line, "fw6_pinhole=", 12)) {
			unsigned id, origin;
			char proto[8], in[64], rem[64], tag[17], desc[80] = "";
			uint64_t left, packets;

			if (sscanf(line + 12, "%u %7s %63s %63s %" SCNu64 " %" SCNu64 " %16s %u %79[^\n]",
				   &id, proto, in, rem, &left, &packets, tag, &origin, desc) < 8)
				continue;
			fprintf(f, "  %spinhole %u%s: %s to %s from %s, %" PRIu64 "s left, %" PRIu64
				" packets, peer %s, \"%s\" (%s)\n", bold, id, reset, proto, in,
				!strncmp(rem, "[::]:0", 6) ? "anywhere" : rem, left, packets,
				peer_name(have_dev ? &dev : NULL, tag, name), desc, origin_text(origin));
		} else {
			uint64_t dropped, passed, flows, pinholes, evicted;
			char tag[17];

			if (sscanf(line + 9, "%16s %" SCNu64 " %" SCNu64 " %" SCNu64 " %" SCNu64 " %" SCNu64,
				   tag, &dropped, &passed, &flows, &pinholes, &evicted) != 6)
				continue;
			fprintf(f, "  %speer%s %s: %" PRIu64 " flows, %" PRIu64 " pinholes, inbound %" PRIu64
				" passed, %" PRIu64 " dropped unsolicited or not allowed, %" PRIu64
				" flows evicted\n", bold, reset, peer_name(have_dev ? &dev : NULL, tag, name),
				flows, pinholes, passed, dropped, evicted);
		}
	}
	uwg_conf_free(&dev);
	free(text);
}
