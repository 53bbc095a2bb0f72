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

#endif
