/*
 * igd/igd.h - uwg's embedded UPnP Internet Gateway Device, as the daemon
 * starts and stops it (ssdp.h adds UWG_IGD_SSDP_ARG for main()).
 *
 * The IGD never touches the NAT table itself: every request is answered
 * through struct uwg_igd_ops (igd/ops.h), which the daemon
 * (cli/daemon/igd_glue.c) implements on top of core/ip/nat.h.
 * Descriptions and SOAP are served by igd/'s own HTTP server on the loop
 * thread; discovery (SSDP) is pupnp 1.8.4 in a supervised, unprivileged
 * child process (see docs/igd.md, "Processes").
 *
 * Threads: everything on the loop thread; every ops callback is called
 * there, never re-entrantly, and must not call uwg_igd_stop.
 *
 * Addresses: struct in_addr / in6_addr in network byte order, as the socket
 * API has them.
 */
#ifndef UWG_IGD_IGD_H
#define UWG_IGD_IGD_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include "igd/ops.h"
#include "igd/policy.h"
#include "igd/soap.h"

struct uwg_igd_config {
	struct uwg_igd_policy policy; /* see policy.h; allow_mask_h 0 = the interface's own prefix */
	const char *uuid;             /* NULL = random per start; else 8-4-4-4-12 hex */
	const char *friendly_name;    /* NULL = "uwg Internet Gateway" */
	uint32_t up_bps, down_bps;    /* Layer1 rates reported; 0 = 1000000000 */
	bool show_all_maps;           /* list other clients' maps too (miniupnpd does) */
	bool no_socket_filter;        /* do not attach the socket filters (docs/igd.md); tests only */
	unsigned advert_s;            /* SSDP max-age; 0 = 1800 */
	unsigned max_content_length;  /* SOAP body limit; 0 = 8192 */
	const char *ssdp_exe;         /* runs uwg_igd_ssdp_main for UWG_IGD_SSDP_ARG; NULL = ourselves */
	bool no_upnp;                 /* no HTTP server and no SSDP: NAT-PMP/PCP only */
	bool natpmp;                  /* NAT-PMP on UDP 5351 of the tunnel address (igd/pmpd.h) */
	bool pcp;                     /* PCP on the same socket */
	/*
	 * The tunnel's IPv6 address (zeros = none): PCP over IPv6, the HTTP
	 * server on the same port of it, and SSDP answering ff05::c searches
	 * with its URL (IGD:2 with WANIPv6FirewallControl, docs/igd.md). It must
	 * be a ULA or global address on ifname, not tentative; if it is not
	 * usable there the IGD runs without IPv6 and says so through ops->log.
	 */
	struct in6_addr tunnel_ip6;
	uint16_t natpmp_port;         /* 0 = 5351; tests only */
	uint32_t pmp_min_lifetime, pmp_max_lifetime; /* see struct uwg_pmp_ctx; 0 = defaults */
	int64_t epoch_origin_s;       /* CLOCK_REALTIME second the map table started (NAT-PMP epoch) */
};

/* The UPnP error codes the stats count one by one, in the order of errors_by_code. */
enum { UWG_IGD_STAT_CODES = 29 };
extern const int uwg_igd_stat_codes[UWG_IGD_STAT_CODES];

struct uwg_igd_stats {
	uint64_t actions;         /* SOAP requests answered (any result) */
	uint64_t errors;          /* of which with a UPnP error */
	uint64_t errors_by_code[UWG_IGD_STAT_CODES]; /* per uwg_igd_stat_codes (an unknown: 501's) */
	uint64_t pinhole_actions; /* of the actions: to WANIPv6FirewallControl */
	uint64_t refused_source;  /* requester outside the allowed CIDR */
	uint64_t bad_requests;    /* unparseable SOAP */
	uint64_t timeouts;        /* connections that sent no complete request in time */
	uint64_t http_requests;   /* requests that passed the guard */
	uint64_t http6_requests;  /* of which came over IPv6 */
	uint64_t http_refused;    /* refused by the guard (method, syntax, size) */
	uint64_t refused_host;    /* Host header not the tunnel address (DNS rebinding) */
	uint64_t busy;            /* connections turned away at the limits */
	uint64_t ssdp_starts;     /* SSDP children started */
	uint64_t ssdp_crashes;    /* of which died unasked */
	bool ssdp_running;        /* the current child is announcing */
	bool ssdp_ipv6;           /* and answers IPv6 (ff05::c) searches too */
	bool http_ipv6;           /* the HTTP server listens on tunnel_ip6 too */
	unsigned filtered_sockets; /* sockets carrying a filter (HTTP, NAT-PMP + the child's) */
	uint64_t natpmp_requests; /* NAT-PMP datagrams answered with result 0 */
	uint64_t natpmp_errors;   /* answered with an error result */
	uint64_t natpmp_dropped;  /* not answered, NAT-PMP or PCP (responses, too short) */
	uint64_t pcp_requests;    /* PCP requests answered with SUCCESS */
	uint64_t pcp_errors;      /* answered with an error result */
	uint64_t pcp_pinholes;    /* of the PCP successes: MAPs over IPv6 (pinholes made, renewed
				   * or deleted) */
	uint64_t announcements;   /* unsolicited NAT-PMP/PCP announcements sent */
	bool pcp_ipv6;            /* PCP is served over IPv6 as well */
};

struct uwg_igd;

/* Defaults: uwg_igd_policy_init(), everything else 0 (= the documented defaults). */
void uwg_igd_config_init(struct uwg_igd_config *cfg);

/*
 * Starts the IGD on ifname, which must carry tunnel_ip: the HTTP server on
 * tunnel_ip:port (0 = the first free port from 49152 on) and the SSDP child,
 * which announces on its own schedule and is restarted when it fails (its
 * errors reach ops->log), unless cfg->no_upnp; and with cfg->natpmp or
 * cfg->pcp the NAT-PMP/PCP server on tunnel_ip:5351 (something at least). Config and ops are copied. Errors: -EINVAL (bad
 * config/uuid), -ENODEV (no such interface), -EADDRNOTAVAIL (tunnel_ip not on
 * ifname), -EADDRINUSE (no free port), -ENOMEM, other -errno. Keep running
 * the loop after uwg_igd_stop: handles are released in close callbacks.
 */
int uwg_igd_start(struct uwg_igd **out, uv_loop_t *loop, const char *ifname,
		  struct in_addr tunnel_ip, uint16_t port, const struct uwg_igd_config *cfg,
		  const struct uwg_igd_ops *ops);

/*
 * Stops serving at once (connections closed) and asks the SSDP child to
 * say ssdp:byebye and exit. Not from inside an ops callback.
 */
void uwg_igd_stop(struct uwg_igd *igd);

/*
 * The external address changed: NAT-PMP and PCP clients are told, and PCP's
 * epoch restarts (igd/pmpd.h; a start announces by itself).
 */
void uwg_igd_announce(struct uwg_igd *igd);

/* "http://10.100.0.1:49152/description.xml": for upnpc -u and logs ("" without UPnP). */
const char *uwg_igd_desc_url(const struct uwg_igd *igd);
/* "http://[fd00::1]:49152/description6.xml", or "" without IPv6 (see http_ipv6). */
const char *uwg_igd_desc_url6(const struct uwg_igd *igd);

void uwg_igd_get_stats(const struct uwg_igd *igd, struct uwg_igd_stats *out);

#endif
