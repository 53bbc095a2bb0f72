/*
 * cli/uapi/igd_conf.h - the embedded UPnP IGD's configuration on both sides of the
 * UAPI socket: the [Interface] keys of a uwg config (UPnP, UPnPAllow,
 * UPnPDeny, UPnPMaxMapsPerPeer), what `uwg up` checks before starting, the
 * uwg-only UAPI lines that carry them to the daemon (upnp* keys, docs/uapi.md)
 * and their parser, which the daemon (cli/daemon/igd_glue.c) shares, plus the
 * "upnp_map=" lines the daemon reports and `uwg show` prints. No IGD state
 * here. Main thread (config side) or loop thread (parsers); no globals.
 */
#ifndef UWG_CLI_UAPI_IGD_CONF_H
#define UWG_CLI_UAPI_IGD_CONF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "igd/policy.h"

/* Where the daemon keeps each interface's port maps across restarts (IFNAME.leases). */
#define UWG_LEASE_DIR "/var/lib/uwg"

enum uwg_igd_conf_limits {
	UWG_IGD_CONF_MAX_PER_PEER = 1024, /* highest UPnPMaxMapsPerPeer */
};

/* Everything the UPnP keys say; all zero = no IGD. */
struct uwg_igd_settings {
	bool enable;      /* port mapping runs: UPnP = on, or NATPMP = on alone */
	bool has_enable;  /* a UPnP line was written (SaveConfig) */
	bool igd_off;     /* enable without the UPnP front end (NATPMP or PCP on, UPnP off) */
	bool natpmp_off;  /* enable without NAT-PMP (NATPMP = off) */
	bool pcp_off;     /* enable without PCP (PCP = off) */
	bool has_natpmp, natpmp; /* a NATPMP line, and its value (config side) */
	bool has_pcp, pcp;       /* a PCP line, and its value (config side) */
	uint32_t life_min, life_max; /* PortMapLifetime (NAT-PMP, PCP); 0 = the defaults */
	unsigned max_per_peer; /* 0 = UWG_IGD_DEFAULT_PER_CLIENT */
	/*
	 * The address GetExternalIPAddress reports, host order; 0 = the NAT's
	 * external address. Set it when the server itself sits behind another
	 * NAT: the NAT keeps steering its local address, clients learn the
	 * public one.
	 */
	uint32_t ext_addr;
	bool has_ext_addr;
	size_t n_rules;   /* UPnPAllow / UPnPDeny in file order (first match wins) */
	struct uwg_igd_rule rules[UWG_IGD_MAX_RULES];
	unsigned line_enable, line_max, line_ext_addr, line_natpmp, line_pcp;
};

/* ---- config file ---- */

/* Canonical spelling of a UPnP [Interface] key (case-insensitive match), or NULL. */
const char *uwg_igd_conf_canonical(const char *key);
/* One key (canonical) with its value trimmed at the ends; false with the reason in why. */
bool uwg_igd_conf_key(struct uwg_igd_settings *s, const char *key, const char *value,
		      unsigned line, char *why, size_t len);
/*
 * After the last key: NATPMP and PCP follow UPnP unless written, and either
 * on alone runs port mapping without the UPnP front end.
 */
void uwg_igd_conf_finish(struct uwg_igd_settings *s);
/* The UPnP lines for SaveConfig, as they were written. */
void uwg_igd_conf_write(FILE *f, const struct uwg_igd_settings *s);

/*
 * What `uwg up` checks before changing anything: with UPnP on, an IPv4
 * Address (the IGD listens on it; has_v4 says whether the config has one).
 * 0, or -EINVAL with "FILE:LINE: UPnP: reason" in err.
 */
int uwg_igd_conf_check(const struct uwg_igd_settings *s, bool has_v4, const char *file,
		       char *err, size_t errlen);

/* ---- UAPI ---- */

/*
 * "set=1\nupnp=true|false\n" + upnp_igd=false, upnp_natpmp=false,
 * upnp_pcp=false (front ends off), upnp_lifetime=MIN-MAX, upnp_max_maps_per_peer, upnp_external_address and upnp_rule lines +
 * "\n" (malloc'd, *len set; NULL on ENOMEM).
 */
char *uwg_igd_conf_format_set(const struct uwg_igd_settings *s, size_t *len);

/*
 * One upnp* UAPI line into staged settings (the daemon's side): upnp,
 * upnp_igd, upnp_natpmp, upnp_pcp, upnp_lifetime, upnp_max_maps_per_peer, upnp_external_address,
 * upnp_rule, upnp_replace_rules. 0, -EINVAL (bad value), -ENOSPC (too
 * many rules) or -ENOENT (not a upnp key: someone else's).
 */
int uwg_igd_conf_uapi_key(struct uwg_igd_settings *s, const char *key, const char *value);

/* ---- active maps, as the daemon reports them ---- */

struct uwg_igd_map_line {
	uint8_t proto;          /* IPPROTO_TCP or IPPROTO_UDP */
	uint16_t ext_port;
	uint32_t int_addr;      /* host order */
	uint16_t int_port;
	uint32_t lease_left_s;  /* 0 = permanent */
	char owner[45];         /* the owning peer's public key, base64 ("" if gone) */
	char origin[8];         /* upnp, natpmp, pcp, or static (a PortForward) */
	char desc[64];
};

/*
 * "upnp_map=tcp:8043:10.100.0.2:8043:287:KEY:upnp:description" without the
 * key=; false if malformed.
 */
bool uwg_igd_conf_parse_map(struct uwg_igd_map_line *m, const char *value);
/* The value part of such a line into buf. */
void uwg_igd_conf_format_map(const struct uwg_igd_map_line *m, char *buf, size_t len);

#endif
