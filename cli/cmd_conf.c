/*
 * cli/cmd_conf.c - `uwg setconf|addconf|syncconf IFNAME FILE`: wg's three
 * ways of applying a configuration file to a running interface, over one
 * UAPI set each, plus uwg's own NAT and UPnP keys when the file has them.
 *   setconf   the file replaces the device config: peers not in it go.
 *   addconf   the file's peers are added or updated; nothing is removed.
 *   syncconf  like setconf, but only what differs changes: peers not in the
 *             file are removed one by one, the others are updated in place,
 *             so unchanged peers keep their sessions (wg syncconf).
 * NAT and UPnP keys, in all three, state those settings whole; a file
 * without any leaves them as they run, so
 * `uwg syncconf wg0 <(uwg strip wg0)` behaves as with wg; the daemon keeps
 * whatever of them is unchanged (flows, forwards and maps included).
 * wg-quick's keys (Address, DNS, ...) are skipped with a note: `uwg up`
 * applies them. Main thread only.
 */
#include "cli/cmd_main.h"
#include "cli/commands.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/uapi_client.h"
#include "crypto/crypto.h"

enum conf_mode { SETCONF, ADDCONF, SYNCCONF };

/* Marks every running peer the file does not name for removal. */
static int add_removals(const char *ifname, struct uwg_conf *file)
{
	struct uwg_conf run;
	int err;

	uwg_conf_init(&run);
	err = uwg_uapi_client_get(ifname, &run);
	for (size_t i = 0; !err && i < run.n_peers; i++) {
		struct uwg_conf_peer *p;

		if (uwg_conf_find_peer(file, run.peers[i].public_key))
			continue;
		p = uwg_conf_add_peer(file);
		if (!p) {
			err = -ENOMEM;
			break;
		}
		memcpy(p->public_key, run.peers[i].public_key, UWG_CONF_KEY_LEN);
		p->flags = UWG_PEER_REMOVE;
	}
	uwg_conf_free(&run);
	return err;
}

/* uwg's own keys: NAT first (the IGD maps ports in it), then UPnP, then the IPv6 firewall. */
static int apply_own(const char *ifname, struct uwg_conf *c)
{
	char *req;
	size_t len = 0;
	int err;

	uwg_conf_nat_inside(c);
	req = uwg_nat_conf_format_set(&c->nat, &len);
	if (!req)
		return -ENOMEM;
	err = uwg_uapi_client_set_text(ifname, req, len);
	free(req);
	if (err) {
		fprintf(stderr, "Unable to modify interface: the NAT settings: %s (the daemon's "
			"log names the cause)\n", strerror(-err));
		return err;
	}
	req = uwg_igd_conf_format_set(&c->igd, &len);
	if (!req)
		return -ENOMEM;
	err = uwg_uapi_client_set_text(ifname, req, len);
	free(req);
	if (err) {
		fprintf(stderr, "Unable to modify interface: the UPnP settings: %s\n",
			strerror(-err));
		return err;
	}
	req = uwg_fw_conf_format_set(&c->fw, &len);
	if (!req)
		return -ENOMEM;
	err = uwg_uapi_client_set_text(ifname, req, len);
	free(req);
	if (err)
		fprintf(stderr, "Unable to modify interface: the IPv6 firewall settings: %s\n",
			strerror(-err));
	return err;
}

static int conf_main(int argc, char **argv, enum conf_mode mode)
{
	struct uwg_conf c;
	char err[UWG_CONF_ERR_LEN];
	int ret = 1, e;

	if (argc != 3) {
		uwg_subcommand_usage(stderr, argv[0]);
		return 1;
	}
	if (uwg_crypto_init() < 0)
		return 1;
	uwg_conf_init(&c);
	if (uwg_conf_load(&c, argv[2], err, sizeof(err))) {
		fprintf(stderr, "%s\n", err);
		goto out;
	}
	if (c.first_quick_key)
		fprintf(stderr, "uwg %s: %s:%u: %s and the other wg-quick keys are left as they are "
			"(`uwg up' applies them)\n", argv[0], argv[2], c.first_quick_line,
			c.first_quick_key);
	if (uwg_conf_resolve_endpoints(&c, argv[2], err, sizeof(err))) {
		fprintf(stderr, "%s\n", err);
		goto out;
	}
	if (!uwg_uapi_client_exists(argv[1])) {
		fprintf(stderr, "Unable to modify interface: %s\n", strerror(ENODEV));
		goto out;
	}
	if (mode == SETCONF)
		c.flags |= UWG_DEV_REPLACE_PEERS;
	e = mode == SYNCCONF ? add_removals(argv[1], &c) : 0;
	if (e) {
		fprintf(stderr, "Unable to retrieve current interface configuration: %s\n",
			strerror(-e));
		goto out;
	}
	e = uwg_uapi_client_set(argv[1], &c);
	if (e) {
		fprintf(stderr, "Unable to modify interface: %s\n", strerror(-e));
		goto out;
	}
	if (c.has_own_keys && apply_own(argv[1], &c))
		goto out;
	ret = 0;
out:
	uwg_conf_free(&c);
	return ret;
}

int uwg_cmd_setconf_main(int argc, char **argv)
{
	return conf_main(argc, argv, SETCONF);
}

int uwg_cmd_addconf_main(int argc, char **argv)
{
	return conf_main(argc, argv, ADDCONF);
}

int uwg_cmd_syncconf_main(int argc, char **argv)
{
	return conf_main(argc, argv, SYNCCONF);
}
