/*
 * igd/pmpd.h - the NAT-PMP/PCP server socket: UDP 5351 on the tunnel
 * address, filtered in the kernel like the IGD's HTTP socket (only the
 * tunnel, only the allowed CIDR), each datagram answered at once on the loop
 * thread by pmp.c, with counters. Version 0 is NAT-PMP; any other version
 * gets NAT-PMP's "unsupported version" (RFC 6887 §9: what a NAT-PMP-only
 * server answers, so PCP clients such as libtorrent fall back). No
 * allocation per datagram. Loop thread only.
 */
#ifndef UWG_IGD_PMPD_H
#define UWG_IGD_PMPD_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include "igd/pcp.h"
#include "igd/pmp.h"
#include "igd/sockfilter.h"

struct uwg_igd_pmpd_config {
	struct in_addr ip;
	/*
	 * PCP over IPv6 too, on this address of the tunnel (all zeros = not),
	 * bound to the interface ifname so only what came through the tunnel
	 * (and so passed cryptokey routing) arrives, and filtered to the IPv6
	 * prefix of filter when it has one.
	 */
	struct in6_addr ip6;
	const char *ifname;
	uint16_t port;  /* 0 = UWG_NATPMP_PORT (tests bind elsewhere) */
	struct uwg_igd_sockfilter filter;
	bool no_filter; /* tests only */
	bool natpmp;    /* NAT-PMP served (else version 0 gets PCP's refusal) */
	bool pcp;       /* PCP served (else version 2 gets NAT-PMP's refusal) */
	struct uwg_pmp_ctx pmp;   /* copied; its ops and policy must outlive the server */
	int64_t epoch_origin_s;   /* CLOCK_REALTIME second the map table started */
};

struct uwg_igd_pmpd_stats {
	uint64_t requests; /* NAT-PMP datagrams answered with result 0 */
	uint64_t errors;   /* answered with an error result */
	uint64_t dropped;  /* not answered: responses, too short, or no room to send */
	uint64_t pcp_requests, pcp_errors; /* the same for PCP */
	uint64_t pcp_pinholes;             /* of pcp_requests: MAPs over IPv6 (pinholes) */
	uint64_t announcements;            /* unsolicited datagrams sent (both protocols) */
	bool ipv6;                         /* PCP is served over IPv6 as well */
};

struct uwg_igd_pmpd;

/* Binds, filters and starts receiving. 0, -EADDRINUSE, other -errno. */
int uwg_igd_pmpd_start(struct uwg_igd_pmpd **out, uv_loop_t *loop,
		       const struct uwg_igd_pmpd_config *cfg);
/* Closes the socket; memory goes in the close callback. NULL is fine. */
void uwg_igd_pmpd_stop(struct uwg_igd_pmpd *s);
/*
 * Tells the known clients the external address and epoch again (the map
 * table started, or address_changed: then PCP's epoch restarts too, RFC
 * 6887 §8.5): ten rounds, 250 ms apart at first, each gap doubling. NULL is
 * fine.
 */
void uwg_igd_pmpd_announce(struct uwg_igd_pmpd *s, bool address_changed);
/* NULL reads as zeros. */
void uwg_igd_pmpd_get_stats(const struct uwg_igd_pmpd *s, struct uwg_igd_pmpd_stats *out);
/* Seconds since the map table started, as every reply carries it. */
uint32_t uwg_igd_pmp_epoch(int64_t origin_s);

#endif
