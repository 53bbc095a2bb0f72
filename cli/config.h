/*
 * cli/config.h - the wg-quick configuration file ([Interface] and [Peer]
 * sections, wg's keys plus wg-quick's Address, DNS, MTU, Table, hooks and
 * SaveConfig) and the device model it parses into. The same model carries a
 * UAPI "get" reply (cli/uapi_client.h) and a `uwg set` command line, like
 * wireguard-tools' struct wgdevice. The parser is streaming (one line at a
 * time) so it can be fuzzed and fed from anywhere; every error is one line
 * "FILE:LINE: Key: what was expected". Main thread only.
 */
#ifndef UWG_CLI_CONFIG_H
#define UWG_CLI_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "cli/uapi/fw_conf.h"
#include "cli/uapi/igd_conf.h"
#include "cli/uapi/nat_conf.h"
#include "tun/ipprefix.h"

enum {
	UWG_CONF_KEY_LEN = 32,
	UWG_CONF_IFNAME_MAX = 15,
	UWG_CONF_ERR_LEN = 512,
};

enum uwg_conf_dev_flags {
	UWG_DEV_HAS_PRIVATE_KEY = 1u << 0,
	UWG_DEV_HAS_PUBLIC_KEY = 1u << 1,  /* derived from the private key */
	UWG_DEV_HAS_LISTEN_PORT = 1u << 2,
	UWG_DEV_HAS_FWMARK = 1u << 3,
	UWG_DEV_REPLACE_PEERS = 1u << 4,
};

enum uwg_conf_peer_flags {
	UWG_PEER_HAS_PRESHARED_KEY = 1u << 0,
	UWG_PEER_HAS_ENDPOINT = 1u << 1,   /* endpoint_host/port set (and endpoint once resolved) */
	UWG_PEER_HAS_KEEPALIVE = 1u << 2,
	UWG_PEER_REMOVE = 1u << 3,
	UWG_PEER_REPLACE_ALLOWED_IPS = 1u << 4,
	UWG_PEER_UPDATE_ONLY = 1u << 5,
};

enum uwg_conf_table {
	UWG_TABLE_AUTO, /* main table, plus the fwmark policy for /0 */
	UWG_TABLE_OFF,  /* no routes at all */
	UWG_TABLE_ID,   /* every route into table_id, no rules */
};

enum uwg_conf_hook { UWG_HOOK_PRE_UP, UWG_HOOK_POST_UP, UWG_HOOK_PRE_DOWN, UWG_HOOK_POST_DOWN,
		     UWG_HOOK_COUNT };

struct uwg_conf_aip {
	struct uwg_ip_prefix prefix;
	bool remove; /* "-PREFIX" in `uwg set ... allowed-ips` */
};

struct uwg_conf_peer {
	unsigned flags;
	uint8_t public_key[UWG_CONF_KEY_LEN];
	uint8_t preshared_key[UWG_CONF_KEY_LEN]; /* secret */
	char *endpoint_host; /* as written, brackets removed; NULL if none */
	char *endpoint_port;
	struct sockaddr_storage endpoint; /* resolved; ss_family 0 until then */
	uint16_t keepalive;
	struct uwg_conf_aip *aips;
	size_t n_aips;
	/* From a UAPI get reply only. */
	int64_t last_handshake_sec, last_handshake_nsec;
	uint64_t rx_bytes, tx_bytes;
	/* Where the peer came from, for errors found after parsing (DNS). */
	unsigned line, endpoint_line;
};

struct uwg_conf {
	unsigned flags;
	uint8_t private_key[UWG_CONF_KEY_LEN]; /* secret */
	uint8_t public_key[UWG_CONF_KEY_LEN];
	uint16_t listen_port;
	uint32_t fwmark;
	struct uwg_conf_peer *peers;
	size_t n_peers;

	/* wg-quick's keys. */
	struct uwg_ip_prefix *addrs; /* as written (host bits kept) */
	size_t n_addrs;
	char **dns;          /* nameserver addresses, in order */
	size_t n_dns;
	char **dns_search;   /* search domains, in order */
	size_t n_dns_search;
	uint32_t mtu;        /* 0 = automatic */
	enum uwg_conf_table table;
	uint32_t table_id;
	char *table_str;     /* Table as written (NULL if absent), for SaveConfig */
	char **hooks[UWG_HOOK_COUNT];
	size_t n_hooks[UWG_HOOK_COUNT];
	bool save_config;
	char *netns;         /* Namespace: the interface's network namespace, NULL = this one */
	struct uwg_ip_prefix gw4, gw6; /* Gateway: default routes via these (family 0 = none) */
	struct uwg_nat_settings nat; /* uwg's own NAT keys (cli/uapi/nat_conf.h) */
	struct uwg_igd_settings igd; /* uwg's UPnP IGD keys (cli/uapi/igd_conf.h) */
	struct uwg_fw_settings fw;   /* uwg's IPv6 firewall keys (cli/uapi/fw_conf.h) */

	/* Which kinds of [Interface] key the file had (setconf and syncconf ask). */
	const char *first_quick_key; /* the first of wg-quick's keys, NULL if none */
	unsigned first_quick_line;
	bool has_own_keys;           /* any NAT or UPnP key */
};

struct uwg_conf_parser {
	struct uwg_conf *conf;
	const char *file;   /* name used in messages */
	unsigned line;      /* number of the line being parsed */
	int section;        /* 0 none, 1 [Interface], 2 [Peer] */
	bool peer_has_key;  /* current [Peer] has had its PublicKey */
	unsigned peer_line;
	bool failed;
	char err[UWG_CONF_ERR_LEN];
};

void uwg_conf_init(struct uwg_conf *conf);
/* Frees everything and wipes the keys; conf is left initialised (empty). */
void uwg_conf_free(struct uwg_conf *conf);

void uwg_conf_parser_init(struct uwg_conf_parser *p, struct uwg_conf *conf, const char *file);
/* One line without its newline (need not be NUL-terminated). False once an error is set. */
bool uwg_conf_parser_line(struct uwg_conf_parser *p, const char *line, size_t len);
/* Checks what only the end can tell (a [Peer] without PublicKey). */
bool uwg_conf_parser_finish(struct uwg_conf_parser *p);

/* Parses a whole buffer. 0, or -EINVAL with the message in err. */
int uwg_conf_parse(struct uwg_conf *conf, const char *file, const char *text, size_t len,
		   char *err, size_t errlen);
/* Reads and parses a file (the buffer is wiped after). -errno with a message in err. */
int uwg_conf_load(struct uwg_conf *conf, const char *path, char *err, size_t errlen);

/*
 * Value parsers shared with `uwg set`. Each returns false and writes the
 * reason (without the "Key: " prefix) into why.
 */
bool uwg_conf_parse_key(uint8_t key[UWG_CONF_KEY_LEN], const char *value);
bool uwg_conf_parse_port(uint16_t *port, const char *value, char *why, size_t len);
bool uwg_conf_parse_fwmark(uint32_t *mark, const char *value, char *why, size_t len);
bool uwg_conf_parse_keepalive(uint16_t *secs, const char *value, char *why, size_t len);
bool uwg_conf_parse_endpoint(struct uwg_conf_peer *peer, const char *value, char *why,
			     size_t len);
/* Comma list; incremental allows "+PREFIX"/"-PREFIX" (and then does not replace). */
bool uwg_conf_parse_allowed_ips(struct uwg_conf_peer *peer, const char *value, bool incremental,
				char *why, size_t len);

/*
 * Resolves every peer's endpoint (getaddrinfo, retrying temporary failures
 * WG_ENDPOINT_RESOLUTION_RETRIES times, default 15, "infinity" allowed).
 * -EINVAL with "FILE:LINE: Endpoint: ..." in err (file may be NULL).
 */
int uwg_conf_resolve_endpoints(struct uwg_conf *conf, const char *file, char *err, size_t errlen);

/* Finds a peer by public key (NULL if absent). */
struct uwg_conf_peer *uwg_conf_find_peer(struct uwg_conf *conf,
					  const uint8_t key[UWG_CONF_KEY_LEN]);
/* Appends an empty peer (NULL on allocation failure); pointers to other peers may move. */
struct uwg_conf_peer *uwg_conf_add_peer(struct uwg_conf *conf);
bool uwg_conf_add_aip(struct uwg_conf_peer *peer, const struct uwg_ip_prefix *p, bool remove);

/* "1.2.3.4:51820" or "[2001:db8::1]:51820" (numeric); "" if ss_family is 0. */
void uwg_conf_format_endpoint(const struct sockaddr_storage *ss, char *buf, size_t len);

/* The NAT's tunnel network: the first IPv4 Address (cli/uapi/nat_conf.h's inside). */
void uwg_conf_nat_inside(struct uwg_conf *conf);

/* wg-quick's interface-name rule ^[a-zA-Z0-9_=+.-]{1,15}$. */
bool uwg_conf_valid_ifname(const char *name);

/* True for the keys `uwg up` applies and wg's own setconf does not know (Address, DNS, ...). */
bool uwg_conf_is_quick_key(const char *key);

/* Table value: auto, off, a number, or a name from rt_tables. */
bool uwg_conf_parse_table(struct uwg_conf *conf, const char *value, char *why, size_t len);

#endif
