/*
 * core/ip/icmp.h - IPv4 packets the NAT path originates itself: the ICMP
 * "fragmentation needed" error (RFC 792 type 3 code 4 with the RFC 1191
 * next-hop MTU) for a DF packet that does not fit the next link, and IPv4
 * fragmentation (RFC 791) for a packet without DF that does not fit. Pure
 * functions writing into caller buffers; any thread.
 */
#ifndef UWG_CORE_IP_ICMP_H
#define UWG_CORE_IP_ICMP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum uwg_icmp_sizes {
	/* RFC 1812 4.3.2.3: an ICMP error should not exceed 576 bytes in total. */
	UWG_ICMP_ERROR_MAX = 576,
	UWG_ICMP_ERROR_HDR = 28, /* IPv4 header (no options) + ICMP header */
};

/*
 * True if RFC 1122 3.2.2 / RFC 1812 4.3.2.7 allow an ICMP error about pkt:
 * a well-formed IPv4 header, not an ICMP error itself, not a non-first
 * fragment, source not 0/loopback/multicast/broadcast/class E, destination
 * not multicast/broadcast.
 */
bool uwg_icmp4_may_answer(const uint8_t *pkt, size_t len);

/*
 * Builds "fragmentation needed and DF set" (type 3, code 4, next-hop mtu)
 * from src to dst (host order) quoting orig: its header and as much of the
 * rest as keeps the error within UWG_ICMP_ERROR_MAX (at most orig's total
 * length, and at most orig_len bytes, which must hold the header and 8 bytes
 * more; out and orig must not overlap). IP id as given, DF clear, TTL 64,
 * TOS 0xc0, both checksums set.
 * Returns the length written, 0 if cap is too small or
 * uwg_icmp4_may_answer(orig) is false.
 */
size_t uwg_icmp4_frag_needed(uint8_t *out, size_t cap, uint32_t src, uint32_t dst, uint16_t mtu,
			     uint16_t ip_id, const uint8_t *orig, size_t orig_len);

/*
 * The next fragment of pkt (an IPv4 packet without DF and without options,
 * itself possibly a first fragment) for a link of mtu bytes: *off is the
 * payload offset to continue from (start with 0; advanced on return). Each
 * fragment carries a copy of the header with MF/offset and total length
 * adjusted and a fresh header checksum; the last keeps pkt's own MF. Returns
 * the fragment length written to out, 0 when all was written or pkt cannot
 * be fragmented (DF set, options, malformed, mtu below 28, cap too small).
 */
size_t uwg_ip4_fragment(const uint8_t *pkt, size_t len, size_t mtu, size_t *off, uint8_t *out,
			size_t cap);

#endif
