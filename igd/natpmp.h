/*
 * igd/natpmp.h - NAT-PMP (RFC 6886) on the wire: requests parsed, replies
 * built, nothing else (no sockets, no clock, no table): the daemon's
 * port-mapping front end feeds it datagrams and the answers of its map
 * store. Version 0 only; a datagram with version 2 is PCP's (RFC 6887 §9),
 * which the caller dispatches before this. Any thread; no state.
 */
#ifndef UWG_IGD_NATPMP_H
#define UWG_IGD_NATPMP_H

#include <stddef.h>
#include <stdint.h>

enum {
	UWG_NATPMP_PORT = 5351,          /* requests, on the gateway */
	UWG_NATPMP_ANNOUNCE_PORT = 5350, /* announcements, to 224.0.0.1 */
	UWG_NATPMP_REPLY_MAX = 16,
	UWG_NATPMP_LIFETIME_DEFAULT = 7200, /* what RFC 6886 recommends clients ask for */
};

enum uwg_natpmp_op {
	UWG_NATPMP_OP_ADDRESS = 0,
	UWG_NATPMP_OP_MAP_UDP = 1,
	UWG_NATPMP_OP_MAP_TCP = 2,
};

/* RFC 6886 §3.5 */
enum uwg_natpmp_result {
	UWG_NATPMP_SUCCESS = 0,
	UWG_NATPMP_UNSUPPORTED_VERSION = 1,
	UWG_NATPMP_REFUSED = 2,
	UWG_NATPMP_NETWORK_FAILURE = 3,
	UWG_NATPMP_NO_RESOURCES = 4,
	UWG_NATPMP_UNSUPPORTED_OPCODE = 5,
};

/* What a datagram is. */
enum uwg_natpmp_kind {
	UWG_NATPMP_DROP,        /* a response, or too short to answer: say nothing */
	UWG_NATPMP_REQUEST,     /* a request to serve (req filled in) */
	UWG_NATPMP_BAD_VERSION, /* answer uwg_natpmp_error(..., UNSUPPORTED_VERSION) */
	UWG_NATPMP_BAD_OPCODE,  /* answer uwg_natpmp_error(..., UNSUPPORTED_OPCODE) */
};

struct uwg_natpmp_req {
	uint8_t op;             /* the request's opcode (any for the two errors) */
	uint16_t int_port;      /* maps: the client's port; 0 with lifetime 0 = all of them */
	uint16_t ext_port;      /* maps: the suggested external port, 0 = any */
	uint32_t lifetime;      /* maps: seconds; 0 = delete */
};

enum uwg_natpmp_kind uwg_natpmp_parse(const uint8_t *p, size_t len, struct uwg_natpmp_req *req);

/*
 * Replies into out (UWG_NATPMP_REPLY_MAX bytes); each returns the length.
 * epoch: seconds since the mapping table started (RFC 6886 §3.6).
 * addr_be: the external IPv4 address, network order (0 with an error).
 */
size_t uwg_natpmp_reply_address(uint8_t *out, uint16_t result, uint32_t epoch, uint32_t addr_be);
size_t uwg_natpmp_reply_map(uint8_t *out, uint8_t op, uint16_t result, uint32_t epoch,
			    uint16_t int_port, uint16_t ext_port, uint32_t lifetime);
/* The 8-byte header reply for an unsupported version or opcode (op: the request's). */
size_t uwg_natpmp_reply_error(uint8_t *out, uint8_t op, uint16_t result, uint32_t epoch);

#endif
