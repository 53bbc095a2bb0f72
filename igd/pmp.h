/*
 * igd/pmp.h - NAT-PMP's semantics (RFC 6886 §3) over the same map store and
 * policy as the IGD's SOAP actions: one datagram from one requester in, one
 * reply out, every table access through struct uwg_igd_ops. No sockets and
 * no clock (the epoch is passed in): igd.c calls it on the loop thread for
 * each datagram on UDP 5351; tests and the fuzzer call it directly.
 */
#ifndef UWG_IGD_PMP_H
#define UWG_IGD_PMP_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "igd/natpmp.h"
#include "igd/ops.h"
#include "igd/policy.h"

enum {
	UWG_PMP_MIN_LIFETIME = 120,   /* default lower bound of PCP's granted lifetimes (miniupnpd's) */
	UWG_PMP_MAX_LIFETIME = 86400, /* default upper bound of granted lifetimes */
};

struct uwg_pmp_ctx {
	const struct uwg_igd_ops *ops;
	const struct uwg_igd_policy *pol;
	/*
	 * Granted lifetimes: NAT-PMP grants min(requested, max) (never more than
	 * asked, RFC 6886 §3.3); PCP clamps into [min, max]. 0 = the defaults.
	 */
	uint32_t min_lifetime, max_lifetime;
};

/* What one datagram came to, for the counters. */
enum uwg_pmp_outcome {
	UWG_PMP_DROPPED,  /* not answered (a response, or too short) */
	UWG_PMP_ANSWERED, /* result 0 */
	UWG_PMP_ERROR,    /* answered with a non-zero result */
};

/*
 * Answers datagram p (len bytes) from requester (its tunnel IPv4) at epoch
 * (seconds since the map table started). Writes the reply into out and its
 * length into *out_len (0 = send nothing).
 *
 * Internal port 0 with a lifetime (undefined by RFC 6886; what VPN
 * providers' port-forward scripts send, `natpmpc -a 1 0 udp 60`) maps a free
 * external port P to the client's port P and echoes internal port 0; the UDP
 * and TCP requests get the same P, and a renewal (internal 0 again) keeps it.
 */
enum uwg_pmp_outcome uwg_pmp_natpmp(const struct uwg_pmp_ctx *cx, const uint8_t *p, size_t len,
				    struct in_addr requester, uint32_t epoch,
				    uint8_t out[UWG_NATPMP_REPLY_MAX], size_t *out_len);

/* A UPnP error code from the map store as the NAT-PMP result code a client gets. */
uint16_t uwg_pmp_result_of(int upnp_err);

/* ---- shared with PCP (pcp.c) ---- */

/* What a client holds: how many maps, its map for (proto, int_port), the other protocol's "any". */
struct uwg_pmp_own {
	unsigned held;      /* of both protocols: the per-client cap counts them all */
	bool found;         /* map: the one a request for (proto, int_port) renews */
	struct uwg_igd_map map;
	uint16_t companion; /* int_port 0: the external port of its "any" map of the other protocol */
};

void uwg_pmp_own(const struct uwg_pmp_ctx *cx, struct in_addr client, uint8_t proto,
		 uint16_t int_port, struct uwg_pmp_own *o);
/* Where a walk for a new map starts: the suggestion, else the internal port, else a spread one. */
uint16_t uwg_pmp_first_port(const struct uwg_pmp_ctx *cx, struct in_addr client,
			    uint16_t suggested, uint16_t int_port);
/*
 * May requester get (proto, p)? Free, and its companion (the other
 * protocol's p) not someone else's (RFC 6886 §3.3: a client holding TCP X
 * keeps UDP X from others).
 */
bool uwg_pmp_port_free(const struct uwg_pmp_ctx *cx, struct in_addr requester, uint8_t proto,
		       uint16_t p);
/*
 * Adds m (proto, client, internal port, lease, description, origin set) on
 * the first free allowed external port from start on (same_port: internal
 * port = external port); m->ext_port receives it. 0, or a UPnP code: 728
 * nothing free, 606 nothing allowed, another the store's refusal.
 */
int uwg_pmp_place(const struct uwg_pmp_ctx *cx, struct in_addr requester, struct uwg_igd_map *m,
		  uint16_t start, bool same_port);

#endif
