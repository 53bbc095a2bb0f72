/*
 * cli/cmd_set.c - `uwg set IF ...`: wg set's command line (listen-port,
 * fwmark, private-key FILE, peer KEY [remove] [preshared-key FILE]
 * [endpoint HOST:PORT] [persistent-keepalive N] [allowed-ips LIST]), sent as
 * one UAPI set. allowed-ips entries prefixed with + or - add or remove
 * without replacing the rest (removal needs a daemon that supports it).
 * Main thread only.
 */
#include "cli/cmd_main.h"
#include "cli/commands.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cli/uapi_client.h"
#include "crypto/crypto.h"
#include "crypto/ct.h"

static void usage(const char *cmd)
{
	uwg_subcommand_usage(stderr, cmd);
}

/* A key file as wg reads it: surrounding whitespace ignored, empty means "no key". */
static bool read_key_file(uint8_t key[UWG_CONF_KEY_LEN], const char *path, const char *what)
{
	char buf[128];
	size_t n, s = 0;
	FILE *f = fopen(path, "re");
	bool ok;

	if (!f) {
		fprintf(stderr, "uwg set: %s: %s: %s\n", what, path, strerror(errno));
		return false;
	}
	n = fread(buf, 1, sizeof(buf) - 1, f);
	ok = !ferror(f) && !(n == sizeof(buf) - 1 && fgetc(f) != EOF);
	fclose(f);
	buf[n] = '\0';
	while (n && isspace((unsigned char)buf[n - 1]))
		buf[--n] = '\0';
	while (isspace((unsigned char)buf[s]))
		s++;
	if (ok && !buf[s])
		memset(key, 0, UWG_CONF_KEY_LEN);
	else if (!ok || !uwg_conf_parse_key(key, buf + s))
		ok = false;
	uwg_memzero(buf, sizeof(buf));
	if (!ok)
		fprintf(stderr, "uwg set: %s: %s: not a valid key (expected 44 characters of "
			"base64)\n", what, path);
	return ok;
}

static int parse_args(struct uwg_conf *c, int argc, char **argv)
{
	struct uwg_conf_peer *peer = NULL;
	char why[UWG_CONF_ERR_LEN];
	int i = 2;

	while (i < argc) {
		const char *opt = argv[i];
		const char *val = i + 1 < argc ? argv[i + 1] : NULL;
		bool ok = true;

		if (!peer && !strcmp(opt, "listen-port") && val) {
			ok = uwg_conf_parse_port(&c->listen_port, val, why, sizeof(why));
			c->flags |= UWG_DEV_HAS_LISTEN_PORT;
		} else if (!peer && !strcmp(opt, "fwmark") && val) {
			ok = uwg_conf_parse_fwmark(&c->fwmark, val, why, sizeof(why));
			c->flags |= UWG_DEV_HAS_FWMARK;
		} else if (!peer && !strcmp(opt, "private-key") && val) {
			if (!read_key_file(c->private_key, val, opt))
				return -1;
			c->flags |= UWG_DEV_HAS_PRIVATE_KEY;
		} else if (!strcmp(opt, "peer") && val) {
			uint8_t k[UWG_CONF_KEY_LEN];

			if (!uwg_conf_parse_key(k, val)) {
				fprintf(stderr, "uwg set: peer: \"%s\" is not a valid key (expected 44 "
					"characters of base64)\n", val);
				return -1;
			}
			peer = uwg_conf_find_peer(c, k);
			if (!peer) {
				peer = uwg_conf_add_peer(c);
				if (!peer)
					return -1;
				memcpy(peer->public_key, k, sizeof(k));
			}
		} else if (peer && !strcmp(opt, "remove")) {
			peer->flags |= UWG_PEER_REMOVE;
			i += 1;
			continue;
		} else if (peer && !strcmp(opt, "update-only")) {
			peer->flags |= UWG_PEER_UPDATE_ONLY;
			i += 1;
			continue;
		} else if (peer && !strcmp(opt, "endpoint") && val) {
			ok = uwg_conf_parse_endpoint(peer, val, why, sizeof(why));
		} else if (peer && !strcmp(opt, "allowed-ips") && val) {
			ok = uwg_conf_parse_allowed_ips(peer, val, true, why, sizeof(why));
		} else if (peer && !strcmp(opt, "persistent-keepalive") && val) {
			ok = uwg_conf_parse_keepalive(&peer->keepalive, val, why, sizeof(why));
			peer->flags |= UWG_PEER_HAS_KEEPALIVE;
		} else if (peer && !strcmp(opt, "preshared-key") && val) {
			if (!read_key_file(peer->preshared_key, val, opt))
				return -1;
			peer->flags |= UWG_PEER_HAS_PRESHARED_KEY;
		} else {
			fprintf(stderr, "uwg set: invalid argument: %s%s\n", opt,
				val ? "" : " (missing its value?)");
			usage(argv[0]);
			return -1;
		}
		if (!ok) {
			fprintf(stderr, "uwg set: %s: %s\n", opt, why);
			return -1;
		}
		i += 2;
	}
	return 0;
}

int uwg_cmd_set_main(int argc, char **argv)
{
	struct uwg_conf c;
	char err[UWG_CONF_ERR_LEN];
	int ret = 1, e;

	if (argc < 2) {
		usage(argv[0]);
		return 1;
	}
	if (uwg_crypto_init() < 0)
		return 1;
	uwg_conf_init(&c);
	if (parse_args(&c, argc, argv))
		goto out;
	if (uwg_conf_resolve_endpoints(&c, NULL, err, sizeof(err))) {
		fprintf(stderr, "uwg set: %s\n", err);
		goto out;
	}
	e = uwg_uapi_client_set(argv[1], &c);
	if (e) {
		fprintf(stderr, "Unable to modify interface: %s\n", strerror(-e));
		goto out;
	}
	ret = 0;
out:
	uwg_conf_free(&c);
	return ret;
}
