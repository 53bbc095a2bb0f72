/*
 * test/fuzz/fuzz_nat.c - arbitrary bytes through uwg_nat_inbound/outbound
 * with port maps and live flows configured. Properties: never crash; a
 * packet left NOT_OURS or DROP is byte-for-byte untouched; a translated
 * packet keeps its length, has a valid IPv4 header checksum, and every
 * checksum that was valid before (L4, quoted header, quoted L4) is valid
 * after.
 *
 * Input: byte 0 = flags, byte 1 = clock step, the rest is the packet.
 *   flags bit 0: inbound (else outbound)
 *   flags bit 1: repair all checksums first (reach the deep paths)
 *   flags bits 2-3 / 4-5: replace source / destination address with one of
 *                         four interesting ones (public, inside, remote)
 *   flags bit 6: run housekeeping afterwards
 *   flags bit 7: if translated toward the world, also feed its reply (and an
 *                ICMP error quoting it) back inbound
 */
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "core/ip/checksum.h"
#include "core/ip/nat.h"

#define PUB 0xcb007201u
#define CLI_M 0x0a640002u
#define CLI_A 0x0a640003u
#define REM 0xcb007202u

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct uwg_nat *nat;
static uint64_t now = 1000000000ull;

static void setup(void)
{
	struct uwg_nat_config cfg = {
		.public_ip = PUB,
		.inside_net = 0x0a640000u,
		.inside_mask = 0xffffff00u,
		.masquerade = true,
		.port_min = 61440,
		.port_max = 61471, /* small: exhaustion and sharing happen */
		.icmp_id_min = 61440,
		.icmp_id_max = 61443,
		.max_flows = 64, /* small: eviction happens */
		.max_maps = 8,
		.mss_clamp = 1380,
		.hash_key = { 1, 2 },
	};
	struct uwg_nat_map m = { .proto = IPPROTO_TCP, .ext_port = 8080, .int_addr = CLI_M,
				 .int_port = 80, .owner = 1 };

	if (uwg_nat_new(&nat, &cfg))
		abort();
	uwg_nat_map_add(nat, &m, 0);
	m.proto = IPPROTO_UDP;
	m.ext_port = 6000;
	m.int_port = 5353;
	uwg_nat_map_add(nat, &m, 0);
	m.ext_port = 6001;
	m.int_addr = CLI_A;
	m.int_port = 6001;
	m.expires_ns = 5000000000ull; /* a lease that runs out during the run */
	uwg_nat_map_add(nat, &m, 0);
}

static size_t ip_hlen(const uint8_t *p, size_t len)
{
	size_t hl;

	if (len < 20 || (p[0] >> 4) != 4)
		return 0;
	hl = (size_t)(p[0] & 15) * 4;
	return hl >= 20 && hl <= len ? hl : 0;
}

/* Running sum of the pseudo header for the packet at p. */
static uint64_t pseudo(const uint8_t *p, size_t l4len)
{
	return uwg_csum_pseudo4(uwg_get_be32(p + 12), uwg_get_be32(p + 16), p[9],
				(uint16_t)l4len);
}

/* The L4 checksum field offset for proto, or 0 when not checkable. */
static size_t l4_field(uint8_t proto, size_t l4len)
{
	if (proto == IPPROTO_TCP && l4len >= 20)
		return 16;
	if (proto == IPPROTO_UDP && l4len >= 8)
		return 6;
	if (proto == IPPROTO_ICMP && l4len >= 8)
		return 2;
	return SIZE_MAX;
}

static bool l4_ok(const uint8_t *ip, const uint8_t *l4, size_t l4len)
{
	size_t f = l4_field(ip[9], l4len);

	if (f == SIZE_MAX)
		return false;
	if (ip[9] == IPPROTO_UDP && uwg_get_be16(l4 + 6) == 0)
		return true;
	uint64_t s = uwg_csum_add(ip[9] == IPPROTO_ICMP ? 0 : pseudo(ip, l4len), l4, l4len);
	return uwg_csum_fold(s) == 0xffff;
}

static void l4_fix(uint8_t *ip, uint8_t *l4, size_t l4len)
{
	size_t f = l4_field(ip[9], l4len);
	uint16_t c;

	if (f == SIZE_MAX || (ip[9] == IPPROTO_UDP && uwg_get_be16(l4 + 6) == 0))
		return;
	uwg_put_be16(l4 + f, 0);
	c = uwg_csum_finish(
		uwg_csum_add(ip[9] == IPPROTO_ICMP ? 0 : pseudo(ip, l4len), l4, l4len));
	if (c == 0 && ip[9] == IPPROTO_UDP)
		c = 0xffff;
	uwg_put_be16(l4 + f, c);
}

static bool is_error(const uint8_t *ip, size_t l4len)
{
	const uint8_t *l4 = ip + (ip[0] & 15) * 4;

	return ip[9] == IPPROTO_ICMP && l4len >= 8 && (l4[0] == 3 || l4[0] == 11 || l4[0] == 12);
}

struct state {
	bool ip, l4, qip, ql4;
};

/* Which checksums hold now. Quoted L4 only when the whole quoted packet is there. */
static struct state check(const uint8_t *p, size_t len)
{
	struct state st = { false, false, false, false };
	size_t hl = ip_hlen(p, len), tot;

	if (!hl)
		return st;
	st.ip = uwg_csum_ipv4_header_ok(p, hl);
	tot = uwg_get_be16(p + 2);
	if (tot < hl || tot > len)
		return st;
	st.l4 = l4_ok(p, p + hl, tot - hl);
	if (is_error(p, tot - hl)) {
		const uint8_t *q = p + hl + 8;
		size_t qlen = tot - hl - 8, qhl = ip_hlen(q, qlen), qtot;

		if (!qhl)
			return st;
		st.qip = uwg_csum_ipv4_header_ok(q, qhl);
		qtot = uwg_get_be16(q + 2);
		if (qtot >= qhl && qtot <= qlen)
			st.ql4 = l4_ok(q, q + qhl, qtot - qhl);
	}
	return st;
}

static void repair(uint8_t *p, size_t len)
{
	size_t hl = ip_hlen(p, len), tot;

	if (!hl)
		return;
	tot = uwg_get_be16(p + 2);
	if (tot >= hl && tot <= len) {
		if (is_error(p, tot - hl)) {
			uint8_t *q = p + hl + 8;
			size_t qlen = tot - hl - 8, qhl = ip_hlen(q, qlen), qtot;

			if (qhl) {
				uwg_put_be16(q + 10, uwg_csum_ipv4_header(q, qhl));
				qtot = uwg_get_be16(q + 2);
				if (qtot >= qhl && qtot <= qlen)
					l4_fix(q, q + qhl, qtot - qhl);
			}
		}
		l4_fix(p, p + hl, tot - hl);
	}
	uwg_put_be16(p + 10, uwg_csum_ipv4_header(p, hl));
}

static const uint32_t addrs[4] = { PUB, CLI_M, CLI_A, REM };

/* Translates one packet and checks the properties; returns the verdict. */
static enum uwg_nat_verdict run(uint8_t *pkt, size_t len, bool inbound)
{
	static uint8_t orig[2048];
	struct state before = check(pkt, len), after;
	enum uwg_nat_verdict v;
	enum uwg_nat_drop why;

	memcpy(orig, pkt, len);
	if (inbound)
		v = uwg_nat_inbound(nat, pkt, len, now, &why);
	else
		v = uwg_nat_outbound(nat, pkt, len, now, &why);

	switch (v) {
	case UWG_NAT_NOT_OURS:
	case UWG_NAT_DROP:
		if (memcmp(pkt, orig, len))
			abort(); /* touched a packet it did not translate */
		if (v == UWG_NAT_DROP && (why == UWG_NAT_DROP_NONE || why >= UWG_NAT_DROP_COUNT))
			abort();
		break;
	case UWG_NAT_TO_WORLD:
	case UWG_NAT_TO_TUNNEL:
		after = check(pkt, len);
		if (!after.ip || (before.l4 && !after.l4) || (before.qip && !after.qip) ||
		    (before.ql4 && !after.ql4))
			abort();
		if (uwg_get_be16(pkt + 2) != uwg_get_be16(orig + 2))
			abort();
		/* Bytes past the IPv4 total length are never written. */
		if (memcmp(pkt + uwg_get_be16(pkt + 2), orig + uwg_get_be16(orig + 2),
			   len - uwg_get_be16(pkt + 2)))
			abort();
		break;
	default:
		abort();
	}
	return v;
}

/* The reply a remote would send to a packet we sent out: swap ends, echo -> reply. */
static void make_reply(uint8_t *p, size_t len)
{
	size_t hl = ip_hlen(p, len);
	uint8_t t[4];

	memcpy(t, p + 12, 4);
	memcpy(p + 12, p + 16, 4);
	memcpy(p + 16, t, 4);
	if (p[9] == IPPROTO_ICMP) {
		p[hl] = 0;
	} else {
		memcpy(t, p + hl, 2);
		memcpy(p + hl, p + hl + 2, 2);
		memcpy(p + hl + 2, t, 2);
	}
	repair(p, len);
}

/* An ICMP port unreachable from the remote quoting what we sent. */
static size_t make_error(uint8_t *e, size_t cap, const uint8_t *p, size_t len, size_t qcut)
{
	size_t tot = uwg_get_be16(p + 2), q = tot < len ? tot : len;

	if (q > qcut)
		q = qcut;
	if (28 + q > cap)
		return 0;
	memset(e, 0, 28);
	e[0] = 0x45;
	uwg_put_be16(e + 2, (uint16_t)(28 + q));
	e[8] = 64;
	e[9] = IPPROTO_ICMP;
	memcpy(e + 12, p + 16, 4);
	memcpy(e + 16, p + 12, 4);
	e[20] = 3;
	e[21] = 3;
	memcpy(e + 28, p, q);
	repair(e, 28 + q);
	return 28 + q;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t pkt[2048];
	uint8_t flags;
	size_t len;

	if (!nat)
		setup();
	if (size < 2)
		return 0;
	flags = data[0];
	now += (uint64_t)data[1] * 250000000ull; /* up to ~64 s per input */
	len = size - 2 < sizeof(pkt) ? size - 2 : sizeof(pkt);
	memcpy(pkt, data + 2, len);

	if (len >= 20 && (flags & 0x04))
		uwg_put_be32(pkt + 12, addrs[(flags >> 2) & 3]);
	if (len >= 20 && (flags & 0x10))
		uwg_put_be32(pkt + 16, addrs[(flags >> 4) & 3]);
	if (flags & 0x02)
		repair(pkt, len);

	if (run(pkt, len, flags & 0x01) == UWG_NAT_TO_WORLD && (flags & 0x80) && ip_hlen(pkt, len)) {
		static uint8_t err[2048];
		size_t n = make_error(err, sizeof(err), pkt, len, (size_t)data[1] + 28);

		if (n)
			run(err, n, true);
		make_reply(pkt, len);
		run(pkt, len, true);
	}
	if (flags & 0x40)
		uwg_nat_expire(nat, now, 16, NULL, NULL);
	return 0;
}
