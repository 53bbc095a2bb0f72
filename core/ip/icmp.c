/*
 * core/ip/icmp.c - fragmentation-needed errors and IPv4 fragmentation (see
 * icmp.h). Pure; any thread.
 */
#include "core/ip/icmp.h"

#include <string.h>

#include "core/ip/checksum.h"

enum {
	IP_HDR = 20,
	IPPROTO_ICMP_ = 1,
	ICMP_UNREACH = 3,
	ICMP_UNREACH_NEEDFRAG = 4,
	IP_DF = 0x4000,
	IP_MF = 0x2000,
	IP_OFFMASK = 0x1fff,
};

/* Never the subject or the target of an ICMP error (RFC 1122 3.2.2, RFC 1812 4.3.2.7). */
static bool bad_source(uint32_t a)
{
	return a == 0 || (a >> 24) == 127 || a >= 0xe0000000u;
}

static bool bad_destination(uint32_t a)
{
	return a >= 0xe0000000u;
}

static bool is_icmp_error_type(uint8_t type)
{
	/* Unreachable, source quench, redirect, time exceeded, parameter problem. */
	return type == 3 || type == 4 || type == 5 || type == 11 || type == 12;
}

bool uwg_icmp4_may_answer(const uint8_t *pkt, size_t len)
{
	size_t hlen;

	if (len < IP_HDR || (pkt[0] >> 4) != 4)
		return false;
	hlen = (size_t)(pkt[0] & 0x0f) * 4;
	if (hlen < IP_HDR || len < hlen)
		return false;
	if (uwg_get_be16(pkt + 6) & IP_OFFMASK)
		return false;
	if (bad_source(uwg_get_be32(pkt + 12)) || bad_destination(uwg_get_be32(pkt + 16)))
		return false;
	/* An ICMP error about an ICMP error could loop; an unknown type counts as error. */
	if (pkt[9] == IPPROTO_ICMP_ && (len < hlen + 1 || is_icmp_error_type(pkt[hlen])))
		return false;
	return true;
}

static void ip_header(uint8_t *p, uint16_t total, uint16_t id, uint16_t frag, uint8_t ttl,
		      uint8_t proto, uint32_t src, uint32_t dst)
{
	p[0] = 0x45;
	p[1] = 0xc0;
	uwg_put_be16(p + 2, total);
	uwg_put_be16(p + 4, id);
	uwg_put_be16(p + 6, frag);
	p[8] = ttl;
	p[9] = proto;
	uwg_put_be16(p + 10, 0);
	uwg_put_be32(p + 12, src);
	uwg_put_be32(p + 16, dst);
	uwg_put_be16(p + 10, uwg_csum_ipv4_header(p, IP_HDR));
}

size_t uwg_icmp4_frag_needed(uint8_t *out, size_t cap, uint32_t src, uint32_t dst, uint16_t mtu,
			     uint16_t ip_id, const uint8_t *orig, size_t orig_len)
{
	size_t hlen, quote, total;
	uint8_t *icmp;

	if (!uwg_icmp4_may_answer(orig, orig_len))
		return 0;
	hlen = (size_t)(orig[0] & 0x0f) * 4;
	quote = uwg_get_be16(orig + 2);
	if (quote < hlen + 8 || orig_len < hlen + 8)
		return 0;
	if (quote > orig_len)
		quote = orig_len;
	if (quote > UWG_ICMP_ERROR_MAX - UWG_ICMP_ERROR_HDR)
		quote = UWG_ICMP_ERROR_MAX - UWG_ICMP_ERROR_HDR;
	total = UWG_ICMP_ERROR_HDR + quote;
	if (cap < total)
		return 0;
	ip_header(out, (uint16_t)total, ip_id, 0, 64, IPPROTO_ICMP_, src, dst);
	icmp = out + IP_HDR;
	icmp[0] = ICMP_UNREACH;
	icmp[1] = ICMP_UNREACH_NEEDFRAG;
	uwg_put_be16(icmp + 2, 0);
	uwg_put_be16(icmp + 4, 0);
	uwg_put_be16(icmp + 6, mtu);
	memmove(icmp + 8, orig, quote);
	uwg_put_be16(icmp + 2, uwg_csum_finish(uwg_csum_add(0, icmp, 8 + quote)));
	return total;
}

size_t uwg_ip4_fragment(const uint8_t *pkt, size_t len, size_t mtu, size_t *off, uint8_t *out,
			size_t cap)
{
	size_t total, payload, chunk, base;
	uint16_t frag, newfrag;
	bool last;

	if (len < IP_HDR || pkt[0] != 0x45 || mtu < IP_HDR + 8)
		return 0;
	total = uwg_get_be16(pkt + 2);
	frag = uwg_get_be16(pkt + 6);
	if (total < IP_HDR || total > len || (frag & IP_DF))
		return 0;
	payload = total - IP_HDR;
	if (*off >= payload)
		return 0;
	base = (size_t)(frag & IP_OFFMASK) * 8;
	chunk = payload - *off;
	last = IP_HDR + chunk <= mtu;
	if (!last)
		chunk = (mtu - IP_HDR) & ~(size_t)7;
	if (base + *off + chunk > 0xffff || cap < IP_HDR + chunk)
		return 0;
	memcpy(out, pkt, IP_HDR);
	memcpy(out + IP_HDR, pkt + IP_HDR + *off, chunk);
	uwg_put_be16(out + 2, (uint16_t)(IP_HDR + chunk));
	newfrag = (uint16_t)((base + *off) / 8);
	if (!last || (frag & IP_MF))
		newfrag = (uint16_t)(newfrag | IP_MF);
	uwg_put_be16(out + 6, newfrag);
	uwg_put_be16(out + 10, 0);
	uwg_put_be16(out + 10, uwg_csum_ipv4_header(out, IP_HDR));
	*off += chunk;
	return IP_HDR + chunk;
}
