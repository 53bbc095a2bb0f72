/*
 * cli/uapi/nat_conf.h - the userspace NAT's configuration on both sides of the
 * UAPI socket: the [Interface] keys of a uwg config (NATExternalInterface,
 * NATExternalAddress, Masquerade, MasqueradePorts, PortForward), the checks
 * `uwg up` makes before starting anything (file:line errors), the uwg-only
 * UAPI lines that carry them to the daemon (nat_* keys, docs/uapi.md) and
 * their parsers, which the daemon (cli/daemon/nat_glue.c) shares. No NAT state
 * here. Main thread (config side) or loop thread (parsers); no globals.
 */
#ifndef UWG_CLI_UAPI_NAT_CONF_H
#define UWG_CLI_UAPI_NAT_CONF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

enum uwg_nat_conf_defaults {
	/* Power-of-two aligned and above Linux's default ephemeral range (32768-60999). */
	UWG_NAT_POOL_MIN = 61440,
	UWG_NAT_POOL_MAX = 61951,
	UWG_NAT_POOL_LIMIT = 16384, /* ports in a MasqueradePorts range, at most */
	UWG_NAT_FORWARDS_MAX = 256,
	UWG_NAT_IFNAME_MAX = 15,
};

/* One PortForward: proto ext_port -> addr:port (addresses host order). */
struct uwg_nat_fwd {
	uint8_t proto; /* IPPROTO_TCP or IPPROTO_UDP */
	uint16_t ext_port;
	uint32_t addr;
	uint16_t port;
	unsigned line; /* config line, 0 when it came over the UAPI */
};

/* Everything the NAT keys say; all zero = no NAT. */
struct uwg_nat_settings {
	bool enable;      /* Masquerade = on, or a PortForward */
	bool masquerade;
	bool has_masquerade; /* a Masquerade line was written (SaveConfig) */
	char ext_if[UWG_NAT_IFNAME_MAX + 1]; /* "" = auto: the default route's interface */
	uint32_t ext_addr;  /* 0 = auto: that route's preferred source */
	bool has_ext_if, has_ext_addr; /* written, even as "auto" */
	uint16_t pool_lo, pool_hi; /* 0 = UWG_NAT_POOL_MIN..MAX */
	/* The tunnel address (ICMP errors to clients come from it) and its prefix. */
	uint32_t inside_addr;
	uint8_t inside_len;
	bool has_inside;
	struct uwg_nat_fwd *fwd;
	size_t n_fwd;
	unsigned line_masq, line_pool, line_ext_if, line_ext_addr;
};

void uwg_nat_settings_free(struct uwg_nat_settings *s);
/* Deep copy; false on allocation failure (dst left empty). */
bool uwg_nat_settings_copy(struct uwg_nat_settings *dst, const struct uwg_nat_settings *src);

/* ---- config file ---- */

/* Canonical spelling of a NAT [Interface] key (case-insensitive match), or NULL. */
const char *uwg_nat_conf_canonical(const char *key);
/* One key (canonical) with its value trimmed at the ends; false with the reason in why. */
bool uwg_nat_conf_key(struct uwg_nat_settings *s, const char *key, const char *value,
		      unsigned line, char *why, size_t len);
/* The NAT lines for SaveConfig / showconf-like output, as they were written. */
void uwg_nat_conf_write(FILE *f, const struct uwg_nat_settings *s);

/*
 * The checks `uwg up` makes in the network namespace the daemon will run in,
 * before anything is changed: every forward's client inside the tunnel
 * network (inside, from the first IPv4 Address), ports clear of the
 * WireGuard listen port (listen_port, 0 = random), of the ephemeral range,
 * of the masquerade pool and of host sockets; no duplicate forward; the pool
 * clear of the ephemeral range and free. 0, or "FILE:LINE: Key: reason" in
 * err (just "FILE: Key: reason" when the line is 0) and -EADDRINUSE (a
 * collision with the listen port or a host socket), -ERANGE (ephemeral range
 * or pool), -EEXIST (duplicate), -EINVAL (not a client address).
 * held (NULL: none) names the ports the caller's own sockets hold (a running
 * NAT changed in place): those are not host sockets in the way.
 */
struct uwg_nat_held {
	bool (*has)(void *ctx, uint8_t proto, uint16_t port);
	void *ctx;
};
int uwg_nat_conf_check(const struct uwg_nat_settings *s, uint16_t listen_port,
		       const struct uwg_nat_held *held, const char *file, char *err, size_t errlen);

/* Fills inside_addr/len from the config's first IPv4 address (a /32 becomes /0: any source). */
void uwg_nat_conf_set_inside(struct uwg_nat_settings *s, uint32_t addr, uint8_t len);

/* ---- UAPI ---- */

/*
 * "set=1\n" + the nat_* lines + "\n" (malloc'd, *len set; NULL on ENOMEM).
 * Disabled settings give "nat_enable=false".
 */
char *uwg_nat_conf_format_set(const struct uwg_nat_settings *s, size_t *len);
/*
 * One nat_* UAPI line into staged settings (the daemon's side): a request
 * whose first nat_* key is nat_enable starts from zeroed settings, any other
 * from the running ones. "nat_forward=-FWD" removes the forward on FWD's
 * protocol and external port, nat_replace_forwards=true drops them all.
 * 0 or -EINVAL (also for unknown keys).
 */
int uwg_nat_conf_uapi_key(struct uwg_nat_settings *s, const char *key, const char *value);

/* "tcp:8080:10.100.0.2:80" (UAPI form), and back into buf. */
bool uwg_nat_conf_parse_fwd(struct uwg_nat_fwd *f, const char *v);
void uwg_nat_conf_format_fwd(const struct uwg_nat_fwd *f, char *buf, size_t len);

#endif
