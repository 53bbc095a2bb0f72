/*
 * igd/pcp.h - PCP (RFC 6887) over the same map store and policy as the
 * IGD's SOAP actions and NAT-PMP: one datagram from one requester in, one
 * reply out (the wire format and the semantics together: PCP's error replies
 * are copies of the request, so the two do not separate). ANNOUNCE; MAP for
 * IPv4 over the NAT with nonces, PREFER_FAILURE, FILTER (only the filters the
 * NAT honours: none that narrows), THIRD_PARTY for the requesting peer's own
 * addresses; MAP over IPv6 as a firewall pinhole through the ops (external =
 * internal, same nonces and options); PEER is refused as miniupnpd's default
 * build refuses it (UNSUPP_OPCODE). No sockets, no clock: pmpd.c calls it on
 * the loop thread; tests and the fuzzer call it directly.
 */
#ifndef UWG_IGD_PCP_H
#define UWG_IGD_PCP_H

#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>

#include "igd/pmp.h"

enum {
	UWG_PCP_VERSION = 2,
	UWG_PCP_MAX = 1100,      /* largest message either way (RFC 6887 §7) */
	UWG_PCP_HEADER = 24,
	UWG_PCP_OP_ANNOUNCE = 0,
	UWG_PCP_OP_MAP = 1,
	UWG_PCP_OP_PEER = 2,
	UWG_PCP_LONG_ERROR_S = 1800, /* lifetime of an error the client should not retry soon */
	UWG_PCP_SHORT_ERROR_S = 30,
};

/* RFC 6887 §7.4 */
enum uwg_pcp_result {
	UWG_PCP_SUCCESS = 0,
	UWG_PCP_UNSUPP_VERSION = 1,
	UWG_PCP_NOT_AUTHORIZED = 2,
	UWG_PCP_MALFORMED_REQUEST = 3,
	UWG_PCP_UNSUPP_OPCODE = 4,
	UWG_PCP_UNSUPP_OPTION = 5,
	UWG_PCP_MALFORMED_OPTION = 6,
	UWG_PCP_NETWORK_FAILURE = 7,
	UWG_PCP_NO_RESOURCES = 8,
	UWG_PCP_UNSUPP_PROTOCOL = 9,
	UWG_PCP_USER_EX_QUOTA = 10,
	UWG_PCP_CANNOT_PROVIDE_EXTERNAL = 11,
	UWG_PCP_ADDRESS_MISMATCH = 12,
	UWG_PCP_EXCESSIVE_REMOTE_PEERS = 13,
};

/*
 * Answers PCP datagram p (len bytes) from source (16 bytes: IPv4 mapped, or
 * IPv6) at epoch; the reply goes into out (UWG_PCP_MAX bytes), its length
 * into *out_len (0 = send nothing). Over IPv6, ANNOUNCE is answered and MAP
 * opens, renews or deletes a pinhole; without an IPv6 firewall (ops fw_status
 * NULL or disabled) it is refused (NOT_AUTHORIZED).
 */
enum uwg_pmp_outcome uwg_pcp_handle(const struct uwg_pmp_ctx *cx, const uint8_t *p, size_t len,
				    const uint8_t source[16], uint32_t epoch,
				    uint8_t out[UWG_PCP_MAX], size_t *out_len);
/* An IPv4 address as PCP writes it (::ffff:a.b.c.d). */
void uwg_pcp_v4_mapped(uint8_t out[16], struct in_addr a);

#endif
