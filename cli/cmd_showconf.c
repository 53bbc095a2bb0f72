/*
 * cli/cmd_showconf.c - `uwg showconf IF`: the running device as a config
 * file, byte for byte what `wg showconf` prints (also the body SaveConfig
 * writes back). Main thread only.
 */
#include "cli/cmd_main.h"
#include "cli/commands.h"

#include <string.h>

#include "cli/uapi_client.h"
#include "crypto/ct.h"
#include "crypto/encoding.h"

void uwg_cmd_showconf_write(FILE *f, const struct uwg_conf *dev, bool skip_header)
{
	char k[UWG_KEY_B64_LEN];

	if (!skip_header)
		fprintf(f, "[Interface]\n");
	if (dev->listen_port)
		fprintf(f, "ListenPort = %u\n", dev->listen_port);
	if (dev->fwmark)
		fprintf(f, "FwMark = 0x%x\n", dev->fwmark);
	if (dev->flags & UWG_DEV_HAS_PRIVATE_KEY) {
		uwg_key_to_base64(k, dev->private_key);
		fprintf(f, "PrivateKey = %s\n", k);
	}
	fprintf(f, "\n");
	for (size_t i = 0; i < dev->n_peers; i++) {
		const struct uwg_conf_peer *p = &dev->peers[i];

		uwg_key_to_base64(k, p->public_key);
		fprintf(f, "[Peer]\nPublicKey = %s\n", k);
		if (p->flags & UWG_PEER_HAS_PRESHARED_KEY) {
			uwg_key_to_base64(k, p->preshared_key);
			fprintf(f, "PresharedKey = %s\n", k);
		}
		if (p->n_aips)
			fprintf(f, "AllowedIPs = ");
		for (size_t j = 0; j < p->n_aips; j++) {
			char a[UWG_IP_PREFIX_STRLEN];

			uwg_ip_prefix_format(&p->aips[j].prefix, a, sizeof(a));
			fprintf(f, "%s%s", a, j + 1 < p->n_aips ? ", " : "\n");
		}
		if (p->endpoint.ss_family == AF_INET || p->endpoint.ss_family == AF_INET6) {
			char ep[128];

			uwg_conf_format_endpoint(&p->endpoint, ep, sizeof(ep));
			fprintf(f, "Endpoint = %s\n", ep);
		}
		if (p->keepalive)
			fprintf(f, "PersistentKeepalive = %u\n", p->keepalive);
		if (i + 1 < dev->n_peers)
			fprintf(f, "\n");
	}
	uwg_memzero(k, sizeof(k));
}

int uwg_cmd_showconf_main(int argc, char **argv)
{
	struct uwg_conf dev;
	int err;

	if (argc != 2) {
		uwg_subcommand_usage(stderr, argv[0]);
		return 1;
	}
	uwg_conf_init(&dev);
	err = uwg_uapi_client_get(argv[1], &dev);
	if (err) {
		fprintf(stderr, "Unable to access interface: %s\n", strerror(-err));
		uwg_conf_free(&dev);
		return 1;
	}
	uwg_cmd_showconf_write(stdout, &dev, false);
	uwg_conf_free(&dev);
	return 0;
}
