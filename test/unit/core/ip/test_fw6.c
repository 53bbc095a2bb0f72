/*
 * test/unit/core/ip/test_fw6.c - core/ip/fw6.c on IPv6 packets built here
 * (IPv6 header, extension headers, fragment header, TCP/UDP/ICMPv6; the
 * firewall reads no checksum, so they stay zero). Known answers for the
 * policy, the TCP/UDP state timeouts to the nanosecond, pinholes, ICMPv6
 * types, fragments, the header walk, both evictions, the owner table and
 * every truncation of valid packets; then random traffic against a
 * brute-force model of the same rules.
 */
#include <errno.h>

#include "core/ip/fw6.h"
#include "test/harness.h"

#define S_NS 1000000000ull
#define T0 (1000 * S_NS)

enum { NH_HOP = 0, NH_TCP = 6, NH_UDP = 17, NH_RT = 43, NH_FRAG = 44, NH_GRE = 47, NH_ESP = 50,
       NH_AH = 51, NH_ICMP6 = 58, NH_NONE = 59, NH_DST = 60 };
enum { FIN = 1, SYN = 2, RST = 4, PSH = 8, ACK = 0x10 };

#define OWN_A 0xa1a1a1a1a1a1a1a1ull
#define OWN_B 0xb2b2b2b2b2b2b2b2ull

/* 2001:db8::/32 (RFC 3849): clients in 2001:db8:1::/64, remotes in 2001:db8:ffff::/64. */
static const uint8_t CLI_A[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2 };
static const uint8_t CLI_B[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 3 };
static const uint8_t REM[16] = { 0x20, 0x01, 0x0d, 0xb8, 0xff, 0xff, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1 };
static const uint8_t REM2[16] = { 0x20, 0x01, 0x0d, 0xb8, 0xff, 0xff, 0, 0,
				  0,    0,    0,    0,    0,    0,    0, 2 };
static const uint8_t ANY[16];

/* ---- packet builder ---- */

struct pb {
	uint8_t b[240]; /* small: tests keep many on the stack */
	size_t len;
	size_t nh; /* offset of the next-header byte the next piece fills */
};

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)(v >> 16));
	put16(p + 2, (uint16_t)v);
}

static struct pb ip6(const uint8_t *src, const uint8_t *dst)
{
	struct pb pb;

	memset(&pb, 0, sizeof(pb));
	pb.b[0] = 0x60;
	pb.b[7] = 64;
	memcpy(pb.b + 8, src, 16);
	memcpy(pb.b + 24, dst, 16);
	pb.nh = 6;
	pb.len = 40;
	return pb;
}

static uint8_t *piece(struct pb *pb, uint8_t type, size_t n)
{
	uint8_t *h = pb->b + pb->len;

	if (pb->len + n > sizeof(pb->b))
		abort();
	pb->b[pb->nh] = type;
	memset(h, 0, n);
	pb->nh = pb->len;
	pb->len += n;
	put16(pb->b + 4, (uint16_t)(pb->len - 40));
	return h;
}

/* Hop-by-hop, routing or destination options of n bytes (a multiple of 8); AH: of 4. */
static void ext(struct pb *pb, uint8_t type, size_t n)
{
	uint8_t *h = piece(pb, type, n);

	h[1] = (uint8_t)(type == NH_AH ? n / 4 - 2 : n / 8 - 1);
	if (type == NH_HOP || type == NH_DST) {
		h[2] = 1; /* a PadN option filling the rest */
		h[3] = (uint8_t)(n - 4);
	}
}

static void frag(struct pb *pb, uint16_t off8, bool more, uint32_t id)
{
	uint8_t *h = piece(pb, NH_FRAG, 8);

	put16(h + 2, (uint16_t)(off8 << 3 | (more ? 1 : 0)));
	put32(h + 4, id);
}

static void tcp_hdr(struct pb *pb, uint16_t sp, uint16_t dp, uint8_t flags)
{
	uint8_t *h = piece(pb, NH_TCP, 20);

	put16(h, sp);
	put16(h + 2, dp);
	h[12] = 5 << 4;
	h[13] = flags;
	put16(h + 14, 65535);
}

/* A UDP header claiming ulen bytes with n payload bytes present. */
static void udp_hdr(struct pb *pb, uint16_t sp, uint16_t dp, size_t n, uint16_t ulen)
{
	uint8_t *h = piece(pb, NH_UDP, 8 + n);

	put16(h, sp);
	put16(h + 2, dp);
	put16(h + 4, ulen);
	memset(h + 8, 'u', n);
}

static void icmp_hdr(struct pb *pb, uint8_t type, uint8_t code)
{
	uint8_t *h = piece(pb, NH_ICMP6, 8);

	h[0] = type;
	h[1] = code;
}

static void raw(struct pb *pb, uint8_t type, size_t n)
{
	memset(piece(pb, type, n), 'r', n);
}

static struct pb tcp(const uint8_t *src, uint16_t sp, const uint8_t *dst, uint16_t dp,
		     uint8_t flags)
{
	struct pb pb = ip6(src, dst);

	tcp_hdr(&pb, sp, dp, flags);
	return pb;
}

static struct pb udp(const uint8_t *src, uint16_t sp, const uint8_t *dst, uint16_t dp)
{
	struct pb pb = ip6(src, dst);

	udp_hdr(&pb, sp, dp, 12, 20);
	return pb;
}

static struct pb icmp6(const uint8_t *src, const uint8_t *dst, uint8_t type, uint8_t code)
{
	struct pb pb = ip6(src, dst);

	icmp_hdr(&pb, type, code);
	return pb;
}

static struct pb proto_pkt(const uint8_t *src, const uint8_t *dst, uint8_t proto)
{
	struct pb pb = ip6(src, dst);

	raw(&pb, proto, 24);
	return pb;
}

/* ---- firewall helpers ---- */

static struct uwg_fw6 *make(const struct uwg_fw6_config *over)
{
	struct uwg_fw6_config cfg = { 0 };
	struct uwg_fw6 *fw = NULL;

	if (over)
		cfg = *over;
	cfg.hash_key[0] = 0x0123456789abcdefull;
	cfg.hash_key[1] = 0xfedcba9876543210ull;
	if (uwg_fw6_new(&fw, &cfg)) {
		fprintf(stderr, "uwg_fw6_new failed\n");
		exit(1);
	}
	return fw;
}

static void out(struct uwg_fw6 *fw, const struct pb *pb, uint64_t owner, uint64_t now)
{
	uwg_fw6_outbound(fw, pb->b, pb->len, owner, now);
}

static unsigned judged, inconsistent;

/* The drop reason of an inbound packet, UWG_FW6_DROP_NONE when it passed. */
static int in(struct uwg_fw6 *fw, const struct pb *pb, uint64_t owner, uint64_t now)
{
	enum uwg_fw6_drop why = UWG_FW6_DROP_COUNT;
	enum uwg_fw6_verdict v = uwg_fw6_inbound(fw, pb->b, pb->len, owner, now, &why);

	judged++;
	if ((v == UWG_FW6_PASS) != (why == UWG_FW6_DROP_NONE) || why >= UWG_FW6_DROP_COUNT)
		inconsistent++;
	return (int)why;
}

#define PASSES(fw, pb, owner, now) CHECK_EQ_INT(in((fw), &(pb), (owner), (now)), UWG_FW6_DROP_NONE)
#define DROPS(fw, pb, owner, now, why) CHECK_EQ_INT(in((fw), &(pb), (owner), (now)), (why))

static struct uwg_fw6_owner_stats ostats(const struct uwg_fw6 *fw, uint64_t owner)
{
	struct uwg_fw6_owner_stats s;

	memset(&s, 0xee, sizeof(s));
	if (uwg_fw6_owner_get(fw, owner, &s))
		memset(&s, 0xff, sizeof(s));
	return s;
}

static struct uwg_fw6_pinhole hole(uint8_t proto, const uint8_t *int_addr, uint16_t int_port,
				   const uint8_t *rem, uint16_t rem_port, uint64_t owner,
				   uint64_t expires)
{
	struct uwg_fw6_pinhole p;

	memset(&p, 0, sizeof(p));
	p.proto = proto;
	memcpy(p.int_addr, int_addr, 16);
	p.int_port = int_port;
	memcpy(p.rem_addr, rem, 16);
	p.rem_port = rem_port;
	p.owner = owner;
	p.expires_ns = expires;
	p.origin = 2;
	snprintf(p.desc, sizeof(p.desc), "test %u", int_port);
	return p;
}

/* ---- tests ---- */

static void test_config(void)
{
	struct uwg_fw6_config cfg = { 0 };
	struct uwg_fw6 *fw = (struct uwg_fw6 *)&cfg;

	cfg.max_flows = UWG_FW6_MAX_TABLE + 1;
	CHECK_EQ_INT(uwg_fw6_new(&fw, &cfg), -EINVAL);
	CHECK(fw == NULL);
	cfg.max_flows = 0;
	cfg.max_owners = UWG_FW6_MAX_TABLE + 1;
	CHECK_EQ_INT(uwg_fw6_new(&fw, &cfg), -EINVAL);
	cfg.max_owners = 0;
	cfg.max_pinholes = 65536;
	CHECK_EQ_INT(uwg_fw6_new(&fw, &cfg), -EINVAL);
	cfg.max_pinholes = 65535;
	CHECK_EQ_INT(uwg_fw6_new(&fw, &cfg), 0);
	uwg_fw6_free(fw);
	uwg_fw6_free(NULL);

	fw = make(NULL); /* every default */
	CHECK_EQ_U64(uwg_fw6_get_stats(fw)->flows_active, 0);
	CHECK_EQ_INT(uwg_fw6_owner_get(fw, OWN_A, &(struct uwg_fw6_owner_stats){ 0 }), -ENOENT);
	uwg_fw6_free(fw);
}

static void test_unsolicited(void)
{
	struct uwg_fw6 *fw = make(NULL);
	const struct uwg_fw6_stats *st = uwg_fw6_get_stats(fw);
	struct pb syn = tcp(REM, 40000, CLI_A, 22, SYN), u = udp(REM, 53, CLI_A, 5353);

	DROPS(fw, syn, OWN_A, T0, UWG_FW6_DROP_UNSOLICITED);
	DROPS(fw, u, OWN_A, T0, UWG_FW6_DROP_UNSOLICITED);
	DROPS(fw, u, OWN_B, T0, UWG_FW6_DROP_UNSOLICITED);
	CHECK_EQ_INT(uwg_fw6_inbound(fw, u.b, u.len, OWN_A, T0, NULL), UWG_FW6_DROP); /* why: NULL */
	CHECK_EQ_U64(st->drops[UWG_FW6_DROP_UNSOLICITED], 4);
	CHECK_EQ_U64(st->in_passed, 0);
	CHECK_EQ_U64(ostats(fw, OWN_A).dropped, 3);
	CHECK_EQ_U64(ostats(fw, OWN_A).passed, 0);
	CHECK_EQ_U64(ostats(fw, OWN_B).dropped, 1);
	CHECK_EQ_U64(st->flows_created, 0);
	/* Another protocol, a packet with no L4 at all. */
	struct pb gre = proto_pkt(REM, CLI_A, NH_GRE), none = proto_pkt(REM, CLI_A, NH_NONE);

	DROPS(fw, gre, OWN_A, T0, UWG_FW6_DROP_UNSOLICITED);
	DROPS(fw, none, OWN_A, T0, UWG_FW6_DROP_UNSOLICITED);
	CHECK_EQ_U64(ostats(fw, OWN_A).dropped, 5);
	uwg_fw6_free(fw);
}

static void test_udp(void)
{
	struct uwg_fw6 *fw = make(NULL);
	const struct uwg_fw6_stats *st = uwg_fw6_get_stats(fw);
	struct pb q = udp(CLI_A, 5000, REM, 53), r = udp(REM, 53, CLI_A, 5000);
	struct pb other_port = udp(REM, 54, CLI_A, 5000), other_host = udp(REM2, 53, CLI_A, 5000);
	struct pb other_cport = udp(REM, 53, CLI_A, 5001), as_tcp = tcp(REM, 53, CLI_A, 5000, ACK);
	struct pb to_b = udp(REM, 53, CLI_B, 5000);

	out(fw, &q, OWN_A, T0);
	CHECK_EQ_U64(st->out_seen, 1);
	CHECK_EQ_U64(st->flows_created, 1);
	CHECK_EQ_U64(st->flows_active, 1);
	CHECK_EQ_U64(ostats(fw, OWN_A).flows, 1);
	PASSES(fw, r, OWN_A, T0 + S_NS);
	DROPS(fw, other_port, OWN_A, T0 + S_NS, UWG_FW6_DROP_UNSOLICITED);
	DROPS(fw, other_host, OWN_A, T0 + S_NS, UWG_FW6_DROP_UNSOLICITED);
	DROPS(fw, other_cport, OWN_A, T0 + S_NS, UWG_FW6_DROP_UNSOLICITED);
	DROPS(fw, as_tcp, OWN_A, T0 + S_NS, UWG_FW6_DROP_UNSOLICITED);
	DROPS(fw, to_b, OWN_A, T0 + S_NS, UWG_FW6_DROP_UNSOLICITED);
	/* The flow is the owner's: the same reply towards another peer is unsolicited. */
	DROPS(fw, r, OWN_B, T0 + S_NS, UWG_FW6_DROP_UNSOLICITED);
	CHECK_EQ_U64(st->in_passed, 1);
	CHECK_EQ_U64(ostats(fw, OWN_A).passed, 1);
	CHECK_EQ_U64(ostats(fw, OWN_A).dropped, 5);
	CHECK_EQ_U64(st->flows_created, 1); /* replies create nothing */
	/* A second packet out refreshes, it does not duplicate. */
	out(fw, &q, OWN_A, T0 + 2 * S_NS);
	CHECK_EQ_U64(st->flows_created, 1);
	CHECK_EQ_U64(st->out_seen, 2);
	uwg_fw6_free(fw);
}

/*
 * A search to a multicast group (SSDP to ff05::c:1900) is answered by unicast
 * from the devices that heard it: any address may answer from the group's
 * port, to the searching port, for the UDP timeouts; nothing else opens.
 */
static void test_multicast_search(void)
{
	static const uint8_t GROUP[16] = { 0xff, 0x05, [15] = 0x0c };
	struct uwg_fw6 *fw = make(NULL);
	struct pb search = udp(CLI_A, 40000, GROUP, 1900);
	struct pb reply1 = udp(REM, 1900, CLI_A, 40000), reply2 = udp(REM2, 1900, CLI_A, 40000);
	struct pb wrong_port = udp(REM, 1901, CLI_A, 40000), wrong_cport = udp(REM, 1900, CLI_A, 40001);
	struct pb as_tcp = tcp(REM, 1900, CLI_A, 40000, ACK);

	DROPS(fw, reply1, OWN_A, T0, UWG_FW6_DROP_UNSOLICITED);
	out(fw, &search, OWN_A, T0);
	PASSES(fw, reply1, OWN_A, T0 + S_NS);
	PASSES(fw, reply2, OWN_A, T0 + S_NS);
	DROPS(fw, wrong_port, OWN_A, T0 + S_NS, UWG_FW6_DROP_UNSOLICITED);
	DROPS(fw, wrong_cport, OWN_A, T0 + S_NS, UWG_FW6_DROP_UNSOLICITED);
	DROPS(fw, as_tcp, OWN_A, T0 + S_NS, UWG_FW6_DROP_UNSOLICITED);
	DROPS(fw, reply1, OWN_B, T0 + S_NS, UWG_FW6_DROP_UNSOLICITED);
	/* answered: the replied UDP timeout (180 s) from the last reply, then closed */
	PASSES(fw, reply1, OWN_A, T0 + 179 * S_NS);
	DROPS(fw, reply1, OWN_A, T0 + 360 * S_NS, UWG_FW6_DROP_UNSOLICITED);
	uwg_fw6_free(fw);
}

static void test_udp_timeouts(void)
{
	struct uwg_fw6_config cfg = { .timeouts = { .udp_unreplied_s = 5, .udp_s = 50 } };
	struct uwg_fw6 *fw = make(NULL), *fw2 = make(&cfg);
	struct pb q = udp(CLI_A, 5000, REM, 53), r = udp(REM, 53, CLI_A, 5000);

	/* Unreplied: 30 s from the last packet out, to the nanosecond. */
	out(fw, &q, OWN_A, T0);
	PASSES(fw, r, OWN_A, T0 + 30 * S_NS - 1); /* now replied: 180 s */
	PASSES(fw, r, OWN_A, T0 + 30 * S_NS - 1 + 180 * S_NS - 1);
	DROPS(fw, r, OWN_A, T0 + 30 * S_NS - 1 + 180 * S_NS - 1 + 180 * S_NS,
	      UWG_FW6_DROP_UNSOLICITED);
	CHECK_EQ_U64(uwg_fw6_get_stats(fw)->flows_expired, 1); /* reclaimed by that lookup */
	CHECK_EQ_U64(uwg_fw6_get_stats(fw)->flows_active, 0);
	CHECK_EQ_U64(ostats(fw, OWN_A).flows, 0);

	out(fw, &q, OWN_A, 2 * T0);
	DROPS(fw, r, OWN_A, 2 * T0 + 30 * S_NS, UWG_FW6_DROP_UNSOLICITED);
	/* Packets out keep an unreplied flow alive, on the unreplied timeout. */
	out(fw, &q, OWN_A, 3 * T0);
	out(fw, &q, OWN_A, 3 * T0 + 20 * S_NS);
	PASSES(fw, r, OWN_A, 3 * T0 + 50 * S_NS - 1);
	/* After a reply, packets out renew the replied timeout. */
	out(fw, &q, OWN_A, 3 * T0 + 100 * S_NS);
	PASSES(fw, r, OWN_A, 3 * T0 + 280 * S_NS - 1);

	/* Configured timeouts replace the defaults. */
	out(fw2, &q, OWN_A, T0);
	DROPS(fw2, r, OWN_A, T0 + 5 * S_NS, UWG_FW6_DROP_UNSOLICITED);
	out(fw2, &q, OWN_A, T0 + 10 * S_NS);
	PASSES(fw2, r, OWN_A, T0 + 15 * S_NS - 1);
	PASSES(fw2, r, OWN_A, T0 + 65 * S_NS - 2);
	DROPS(fw2, r, OWN_A, T0 + 115 * S_NS - 2, UWG_FW6_DROP_UNSOLICITED);
	uwg_fw6_free(fw);
	uwg_fw6_free(fw2);
}

/* One TCP flow opened by `first` out at t0, probed by `probe` in at t: the verdict. */
static int tcp_after(uint8_t first, uint8_t then_in, uint64_t dt_then, uint8_t probe, uint64_t dt)
{
	struct uwg_fw6 *fw = make(NULL);
	struct pb o = tcp(CLI_A, 50000, REM, 443, first);
	struct pb i1 = tcp(REM, 443, CLI_A, 50000, then_in), p = tcp(REM, 443, CLI_A, 50000, probe);
	int why;

	out(fw, &o, OWN_A, T0);
	if (then_in && in(fw, &i1, OWN_A, T0 + dt_then) != UWG_FW6_DROP_NONE)
		why = -1;
	else
		why = in(fw, &p, OWN_A, T0 + dt_then + dt);
	uwg_fw6_free(fw);
	return why;
}

static void test_tcp(void)
{
	const int P = UWG_FW6_DROP_NONE, U = UWG_FW6_DROP_UNSOLICITED;
	struct uwg_fw6 *fw = make(NULL);
	const struct uwg_fw6_stats *st = uwg_fw6_get_stats(fw);
	struct pb syn = tcp(CLI_A, 50000, REM, 443, SYN);
	struct pb synack = tcp(REM, 443, CLI_A, 50000, SYN | ACK);
	struct pb ack_in = tcp(REM, 443, CLI_A, 50000, ACK);
	struct pb rst_in = tcp(REM, 443, CLI_A, 50000, RST | ACK);

	/* The handshake, then an RST: 10 s left from the RST. */
	out(fw, &syn, OWN_A, T0);
	CHECK_EQ_U64(st->flows_created, 1);
	PASSES(fw, synack, OWN_A, T0 + S_NS);
	PASSES(fw, ack_in, OWN_A, T0 + 1000 * S_NS); /* established: far beyond 120 s */
	PASSES(fw, rst_in, OWN_A, T0 + 2000 * S_NS);
	PASSES(fw, ack_in, OWN_A, T0 + 2010 * S_NS - 1);
	DROPS(fw, ack_in, OWN_A, T0 + 2020 * S_NS - 1, U);
	CHECK_EQ_U64(st->flows_expired, 1);

	/* SYN state: 120 s, and any reply makes it established (7200 s). */
	CHECK_EQ_INT(tcp_after(SYN, 0, 0, SYN | ACK, 120 * S_NS - 1), P);
	CHECK_EQ_INT(tcp_after(SYN, 0, 0, SYN | ACK, 120 * S_NS), U);
	CHECK_EQ_INT(tcp_after(SYN, SYN | ACK, S_NS, ACK, 7200 * S_NS - 1), P);
	CHECK_EQ_INT(tcp_after(SYN, SYN | ACK, S_NS, ACK, 7200 * S_NS), U);
	CHECK_EQ_INT(tcp_after(SYN, ACK, S_NS, ACK, 7200 * S_NS - 1), P);
	/* RST either way: 10 s. */
	CHECK_EQ_INT(tcp_after(SYN, RST | ACK, S_NS, ACK, 10 * S_NS - 1), P);
	CHECK_EQ_INT(tcp_after(SYN, RST | ACK, S_NS, ACK, 10 * S_NS), U);
	CHECK_EQ_INT(tcp_after(RST | ACK, 0, 0, ACK, 1), U); /* an RST out creates nothing */
	/* FIN either way: 240 s, and an RST after it still shortens. */
	CHECK_EQ_INT(tcp_after(SYN, FIN | ACK, S_NS, ACK, 240 * S_NS - 1), P);
	CHECK_EQ_INT(tcp_after(SYN, FIN | ACK, S_NS, ACK, 240 * S_NS), U);
	CHECK_EQ_INT(tcp_after(FIN | ACK, 0, 0, ACK, 240 * S_NS - 1), P);
	CHECK_EQ_INT(tcp_after(FIN | ACK, 0, 0, ACK, 240 * S_NS), U);
	CHECK_EQ_INT(tcp_after(FIN | ACK, RST, S_NS, ACK, 10 * S_NS), U);
	/* A connection older than the firewall (no SYN seen): established at once. */
	CHECK_EQ_INT(tcp_after(ACK, 0, 0, ACK, 7200 * S_NS - 1), P);
	CHECK_EQ_INT(tcp_after(ACK, 0, 0, ACK, 7200 * S_NS), U);
	CHECK_EQ_INT(tcp_after(PSH | ACK, 0, 0, ACK, 7200 * S_NS - 1), P);

	/* A new SYN out on a closed (RST) tuple opens it again: SYN timeout, not RST's. */
	struct pb rst_out = tcp(CLI_A, 50000, REM, 443, RST);

	out(fw, &syn, OWN_A, 5 * T0);
	PASSES(fw, synack, OWN_A, 5 * T0);
	out(fw, &rst_out, OWN_A, 5 * T0 + S_NS);
	out(fw, &syn, OWN_A, 5 * T0 + 2 * S_NS);
	PASSES(fw, synack, OWN_A, 5 * T0 + 2 * S_NS + 120 * S_NS - 1);
	/* Packets out refresh an established flow. */
	struct pb ack_out = tcp(CLI_A, 50000, REM, 443, ACK);

	out(fw, &ack_out, OWN_A, 6 * T0);
	PASSES(fw, ack_in, OWN_A, 6 * T0 + 7200 * S_NS - 1);
	uwg_fw6_free(fw);
}

static void test_other_proto(void)
{
	struct uwg_fw6 *fw = make(NULL);
	struct pb gre_out = proto_pkt(CLI_A, REM, NH_GRE), gre_in = proto_pkt(REM, CLI_A, NH_GRE);
	struct pb gre_in2 = proto_pkt(REM2, CLI_A, NH_GRE), esp_in = proto_pkt(REM, CLI_A, NH_ESP);
	struct pb none_out = proto_pkt(CLI_A, REM, NH_NONE), none_in = proto_pkt(REM, CLI_A, NH_NONE);

	out(fw, &gre_out, OWN_A, T0);
	PASSES(fw, gre_in, OWN_A, T0 + 600 * S_NS - 1);
	DROPS(fw, gre_in2, OWN_A, T0, UWG_FW6_DROP_UNSOLICITED);
	DROPS(fw, esp_in, OWN_A, T0, UWG_FW6_DROP_UNSOLICITED);
	DROPS(fw, gre_in, OWN_A, T0 + 1200 * S_NS - 1, UWG_FW6_DROP_UNSOLICITED);
	/* No next header: tracked like any protocol, by addresses. */
	out(fw, &none_out, OWN_A, T0);
	PASSES(fw, none_in, OWN_A, T0 + S_NS);
	CHECK_EQ_U64(uwg_fw6_get_stats(fw)->flows_created, 2);
	uwg_fw6_free(fw);
}

static void test_icmp(void)
{
	static const uint8_t pass[][2] = {
		{ 1, 0 }, { 1, 1 }, { 1, 3 }, { 1, 4 }, { 1, 6 }, { 2, 0 }, { 3, 0 }, { 3, 1 },
		{ 4, 0 }, { 4, 1 }, { 4, 2 }, { 128, 0 }, { 129, 0 }, { 144, 0 }, { 145, 0 },
		{ 146, 0 }, { 147, 0 },
	};
	static const uint8_t drop[][2] = {
		{ 0, 0 }, { 3, 2 }, { 4, 3 }, { 100, 0 }, { 127, 0 }, { 130, 0 }, { 131, 0 },
		{ 133, 0 }, { 134, 0 }, { 135, 0 }, { 136, 0 }, { 137, 0 }, { 143, 0 },
		{ 148, 0 }, { 200, 0 }, { 255, 0 },
	};
	struct uwg_fw6 *fw = make(NULL);
	const struct uwg_fw6_stats *st = uwg_fw6_get_stats(fw);

	for (size_t i = 0; i < ARRAY_SIZE(pass); i++) {
		struct pb p = icmp6(REM, CLI_A, pass[i][0], pass[i][1]);
		int why = in(fw, &p, OWN_A, T0);

		if (why != UWG_FW6_DROP_NONE)
			fprintf(stderr, "  ICMPv6 type %u code %u\n", pass[i][0], pass[i][1]);
		CHECK_EQ_INT(why, UWG_FW6_DROP_NONE);
	}
	for (size_t i = 0; i < ARRAY_SIZE(drop); i++) {
		struct pb p = icmp6(REM, CLI_A, drop[i][0], drop[i][1]);
		int why = in(fw, &p, OWN_A, T0);

		if (why != UWG_FW6_DROP_ICMP)
			fprintf(stderr, "  ICMPv6 type %u code %u\n", drop[i][0], drop[i][1]);
		CHECK_EQ_INT(why, UWG_FW6_DROP_ICMP);
	}
	CHECK_EQ_U64(st->in_passed, ARRAY_SIZE(pass));
	CHECK_EQ_U64(st->drops[UWG_FW6_DROP_ICMP], ARRAY_SIZE(drop));
	CHECK_EQ_U64(ostats(fw, OWN_A).passed, ARRAY_SIZE(pass));
	CHECK_EQ_U64(ostats(fw, OWN_A).dropped, ARRAY_SIZE(drop));

	/* ICMPv6 out: seen, no flow; so a redirect back is still dropped. */
	struct pb echo_out = icmp6(CLI_A, REM, 128, 0), redirect = icmp6(REM, CLI_A, 137, 0);

	out(fw, &echo_out, OWN_A, T0);
	CHECK_EQ_U64(st->out_seen, 1);
	CHECK_EQ_U64(st->flows_created, 0);
	CHECK_EQ_U64(st->flows_active, 0);
	DROPS(fw, redirect, OWN_A, T0, UWG_FW6_DROP_ICMP);
	/* Shorter than type, code and checksum: malformed. */
	struct pb shortp = icmp6(REM, CLI_A, 128, 0);

	shortp.len = 43;
	put16(shortp.b + 4, 3);
	DROPS(fw, shortp, OWN_A, T0, UWG_FW6_DROP_MALFORMED);
	shortp.len = 44;
	put16(shortp.b + 4, 4);
	PASSES(fw, shortp, OWN_A, T0);
	uwg_fw6_free(fw);
}

static struct pb udp_frag(const uint8_t *src, uint16_t sp, const uint8_t *dst, uint16_t dp,
			  uint16_t off8, bool more, uint32_t id)
{
	struct pb pb = ip6(src, dst);

	frag(&pb, off8, more, id);
	if (off8)
		raw(&pb, NH_UDP, 64);
	else
		udp_hdr(&pb, sp, dp, 56, 1200); /* the datagram goes on in later fragments */
	return pb;
}

static void test_fragments(void)
{
	struct uwg_fw6 *fw = make(NULL);
	const struct uwg_fw6_stats *st = uwg_fw6_get_stats(fw);
	struct pb q = udp(CLI_A, 5000, REM, 53);
	struct pb first = udp_frag(REM, 53, CLI_A, 5000, 0, true, 77);
	struct pb second = udp_frag(REM, 53, CLI_A, 5000, 7, true, 77);
	struct pb last = udp_frag(REM, 53, CLI_A, 5000, 14, false, 77);
	struct pb other_id = udp_frag(REM, 53, CLI_A, 5000, 7, false, 78);
	struct pb other_src = udp_frag(REM2, 53, CLI_A, 5000, 7, false, 77);
	struct pb lone = udp_frag(REM, 53, CLI_A, 5000, 7, false, 99);

	DROPS(fw, lone, OWN_A, T0, UWG_FW6_DROP_FRAGMENT);
	/* An unsolicited first fragment lets none of the rest through. */
	DROPS(fw, first, OWN_A, T0, UWG_FW6_DROP_UNSOLICITED);
	DROPS(fw, second, OWN_A, T0, UWG_FW6_DROP_FRAGMENT);

	out(fw, &q, OWN_A, T0);
	PASSES(fw, first, OWN_A, T0 + S_NS);
	PASSES(fw, second, OWN_A, T0 + S_NS);
	PASSES(fw, last, OWN_A, T0 + S_NS + 60 * S_NS - 1);
	DROPS(fw, last, OWN_A, T0 + S_NS + 60 * S_NS, UWG_FW6_DROP_FRAGMENT);
	DROPS(fw, other_id, OWN_A, T0 + S_NS, UWG_FW6_DROP_FRAGMENT);
	DROPS(fw, other_src, OWN_A, T0 + S_NS, UWG_FW6_DROP_FRAGMENT);
	DROPS(fw, second, OWN_B, T0 + S_NS, UWG_FW6_DROP_FRAGMENT); /* another peer's */
	CHECK_EQ_U64(st->drops[UWG_FW6_DROP_FRAGMENT], 6);

	/* Outbound fragments: the first makes the flow, the rest are only seen. */
	struct pb ofirst = udp_frag(CLI_A, 6000, REM, 6001, 0, true, 5);
	struct pb osecond = udp_frag(CLI_A, 6000, REM, 6001, 7, false, 5);
	struct pb reply = udp(REM, 6001, CLI_A, 6000);
	uint64_t created = st->flows_created;

	out(fw, &osecond, OWN_A, 2 * T0);
	CHECK_EQ_U64(st->flows_created, created);
	out(fw, &ofirst, OWN_A, 2 * T0);
	CHECK_EQ_U64(st->flows_created, created + 1);
	PASSES(fw, reply, OWN_A, 2 * T0);

	/* An atomic fragment (offset 0, no more) passes like a packet and opens nothing. */
	struct pb atomic = ip6(REM, CLI_A), after = udp_frag(REM, 53, CLI_A, 5000, 7, false, 3);

	frag(&atomic, 0, false, 3);
	udp_hdr(&atomic, 6001, 6000, 4, 12);
	PASSES(fw, atomic, OWN_A, 2 * T0);
	DROPS(fw, after, OWN_A, 2 * T0, UWG_FW6_DROP_FRAGMENT);
	/* A first fragment too short for its UDP header breaks RFC 7112. */
	struct pb cut = ip6(REM, CLI_A);

	frag(&cut, 0, true, 4);
	raw(&cut, NH_UDP, 6);
	DROPS(fw, cut, OWN_A, 2 * T0, UWG_FW6_DROP_MALFORMED);
	/* Two fragment headers: malformed. */
	struct pb twice = ip6(REM, CLI_A);

	frag(&twice, 0, true, 4);
	frag(&twice, 0, true, 4);
	udp_hdr(&twice, 6001, 6000, 4, 12);
	DROPS(fw, twice, OWN_A, 2 * T0, UWG_FW6_DROP_MALFORMED);

	/* The table remembers 256 first fragments; older ones make way for newer ones. */
	struct uwg_fw6 *fw2 = make(NULL);
	unsigned remembered = 0;

	out(fw2, &q, OWN_A, T0);
	for (uint32_t id = 1; id <= 1000; id++) {
		struct pb f = udp_frag(REM, 53, CLI_A, 5000, 0, true, id);

		PASSES(fw2, f, OWN_A, T0 + id);
	}
	for (uint32_t id = 1; id <= 1000; id++) {
		struct pb f = udp_frag(REM, 53, CLI_A, 5000, 7, false, id);

		remembered += in(fw2, &f, OWN_A, T0 + 2000) == UWG_FW6_DROP_NONE;
		if (id == 1000)
			CHECK_EQ_INT(in(fw2, &f, OWN_A, T0 + 2000), UWG_FW6_DROP_NONE);
		if (id == 1)
			CHECK_EQ_INT(in(fw2, &f, OWN_A, T0 + 2000), UWG_FW6_DROP_FRAGMENT);
	}
	CHECK_EQ_U64(remembered, 256);
	uwg_fw6_free(fw2);
	uwg_fw6_free(fw);
}

static void test_ext_headers(void)
{
	struct uwg_fw6 *fw = make(NULL);
	struct pb q = ip6(CLI_A, REM), r = udp(REM, 53, CLI_A, 5000), r2 = ip6(REM, CLI_A);

	/* Out with hop-by-hop and destination options: the flow is the plain tuple's. */
	ext(&q, NH_HOP, 8);
	ext(&q, NH_DST, 16);
	udp_hdr(&q, 5000, 53, 4, 12);
	out(fw, &q, OWN_A, T0);
	CHECK_EQ_U64(uwg_fw6_get_stats(fw)->flows_created, 1);
	PASSES(fw, r, OWN_A, T0);
	/* And a reply behind every kind of extension header still matches it. */
	ext(&r2, NH_HOP, 16);
	ext(&r2, NH_DST, 8);
	ext(&r2, NH_RT, 24);
	ext(&r2, NH_AH, 24);
	ext(&r2, NH_DST, 8);
	udp_hdr(&r2, 53, 5000, 4, 12);
	PASSES(fw, r2, OWN_A, T0);

	/* Eight extension headers are walked, a ninth is malformed. */
	struct pb eight = ip6(REM, CLI_A), nine;

	ext(&eight, NH_HOP, 8);
	for (int i = 0; i < 7; i++)
		ext(&eight, NH_DST, 8);
	nine = eight;
	udp_hdr(&eight, 53, 5000, 4, 12);
	PASSES(fw, eight, OWN_A, T0);
	ext(&nine, NH_DST, 8);
	udp_hdr(&nine, 53, 5000, 4, 12);
	DROPS(fw, nine, OWN_A, T0, UWG_FW6_DROP_MALFORMED);

	/* Hop-by-hop anywhere but first is malformed (RFC 8200 4.1). */
	struct pb late_hop = ip6(REM, CLI_A);

	ext(&late_hop, NH_DST, 8);
	ext(&late_hop, NH_HOP, 8);
	udp_hdr(&late_hop, 53, 5000, 4, 12);
	DROPS(fw, late_hop, OWN_A, T0, UWG_FW6_DROP_MALFORMED);
	/* A header length running past the payload. */
	struct pb long_ext = ip6(REM, CLI_A);

	ext(&long_ext, NH_DST, 8);
	udp_hdr(&long_ext, 53, 5000, 4, 12);
	long_ext.b[41] = 3; /* 32 bytes claimed, 8 + 12 there */
	DROPS(fw, long_ext, OWN_A, T0, UWG_FW6_DROP_MALFORMED);
	/* AH counts in 4-byte units (RFC 4302 2.2): 12 bytes here, not 8 or 24. */
	struct pb ah = ip6(REM, CLI_A);

	ext(&ah, NH_AH, 12);
	udp_hdr(&ah, 53, 5000, 4, 12);
	PASSES(fw, ah, OWN_A, T0);
	/* Bytes after the payload length (link padding) are not the packet's. */
	struct pb padded = udp(REM, 53, CLI_A, 5000);

	padded.len += 10;
	PASSES(fw, padded, OWN_A, T0);
	/* Version 4 in the first nibble, or a payload length past the end. */
	struct pb v4 = udp(REM, 53, CLI_A, 5000), overlong = udp(REM, 53, CLI_A, 5000);

	v4.b[0] = 0x45;
	DROPS(fw, v4, OWN_A, T0, UWG_FW6_DROP_MALFORMED);
	put16(overlong.b + 4, (uint16_t)(overlong.len - 40 + 1));
	DROPS(fw, overlong, OWN_A, T0, UWG_FW6_DROP_MALFORMED);
	/* UDP length beyond the payload of an unfragmented packet; TCP data offset too. */
	struct pb ulen = udp(REM, 53, CLI_A, 5000), doff = tcp(REM, 1, CLI_A, 2, ACK);

	put16(ulen.b + 44, 21);
	DROPS(fw, ulen, OWN_A, T0, UWG_FW6_DROP_MALFORMED);
	put16(ulen.b + 44, 7);
	DROPS(fw, ulen, OWN_A, T0, UWG_FW6_DROP_MALFORMED);
	doff.b[52] = 6 << 4;
	DROPS(fw, doff, OWN_A, T0, UWG_FW6_DROP_MALFORMED);
	doff.b[52] = 4 << 4;
	DROPS(fw, doff, OWN_A, T0, UWG_FW6_DROP_MALFORMED);
	/* Malformed packets out are only counted. */
	uint64_t m = uwg_fw6_get_stats(fw)->drops[UWG_FW6_DROP_MALFORMED];

	out(fw, &v4, OWN_A, T0);
	CHECK_EQ_U64(uwg_fw6_get_stats(fw)->drops[UWG_FW6_DROP_MALFORMED], m + 1);
	CHECK_EQ_U64(uwg_fw6_get_stats(fw)->flows_created, 1);
	uwg_fw6_free(fw);
}

static unsigned expired_seen;
static uint16_t expired_id;

static void on_expired(void *ctx, const struct uwg_fw6_pinhole *ph)
{
	CHECK(ctx == &expired_seen);
	expired_seen++;
	expired_id = ph->id;
}

static void test_pinholes(void)
{
	struct uwg_fw6_config cfg = { .max_pinholes = 6, .max_pinholes_per_owner = 4 };
	struct uwg_fw6 *fw = make(&cfg);
	const struct uwg_fw6_stats *st = uwg_fw6_get_stats(fw);
	const uint64_t exp = T0 + 3600 * S_NS;
	struct uwg_fw6_pinhole web = hole(NH_TCP, CLI_A, 80, ANY, 0, OWN_A, exp), got, bad;
	struct pb syn80 = tcp(REM, 40000, CLI_A, 80, SYN), syn81 = tcp(REM, 40000, CLI_A, 81, SYN);
	struct pb u80 = udp(REM, 40000, CLI_A, 80);
	uint16_t id = 0, id2 = 0;

	CHECK_EQ_INT(uwg_fw6_pinhole_add(fw, &web, T0, &id), 0);
	CHECK_EQ_INT(id, 1);
	CHECK_EQ_U64(st->pinholes_active, 1);
	CHECK_EQ_U64(ostats(fw, OWN_A).pinholes, 1);
	PASSES(fw, syn80, OWN_A, T0);
	PASSES(fw, syn80, OWN_A, T0);
	DROPS(fw, syn81, OWN_A, T0, UWG_FW6_DROP_UNSOLICITED);
	DROPS(fw, u80, OWN_A, T0, UWG_FW6_DROP_UNSOLICITED);
	DROPS(fw, syn80, OWN_B, T0, UWG_FW6_DROP_UNSOLICITED); /* only for its owner */
	CHECK_EQ_U64(st->flows_created, 0);                    /* pinholes make no flows */
	CHECK_EQ_INT(uwg_fw6_pinhole_get(fw, id, T0, &got), 0);
	CHECK_EQ_U64(got.packets, 2);
	CHECK_EQ_INT(got.origin, 2);
	CHECK_EQ_STR(got.desc, "test 80");
	CHECK_EQ_U64(got.expires_ns, exp);
	CHECK_EQ_U64(ostats(fw, OWN_A).passed, 2);

	/* Extending: the same five of the same owner keep their id. */
	web.expires_ns = exp + S_NS;
	snprintf(web.desc, sizeof(web.desc), "renamed");
	CHECK_EQ_INT(uwg_fw6_pinhole_add(fw, &web, T0, &id2), 0);
	CHECK_EQ_INT(id2, id);
	CHECK_EQ_INT(uwg_fw6_pinhole_add(fw, &web, T0, NULL), 0); /* id_out: NULL */
	CHECK_EQ_U64(st->pinholes_active, 1);
	CHECK_EQ_INT(uwg_fw6_pinhole_get(fw, id, T0, &got), 0);
	CHECK_EQ_STR(got.desc, "renamed");
	CHECK_EQ_U64(got.expires_ns, exp + S_NS);
	CHECK_EQ_U64(got.packets, 2);
	/* The same five for another owner; invalid ones. */
	bad = web;
	bad.owner = OWN_B;
	CHECK_EQ_INT(uwg_fw6_pinhole_add(fw, &bad, T0, &id2), -EEXIST);
	bad = web;
	bad.proto = NH_ICMP6;
	CHECK_EQ_INT(uwg_fw6_pinhole_add(fw, &bad, T0, &id2), -EINVAL);
	bad = web;
	bad.int_port = 0;
	CHECK_EQ_INT(uwg_fw6_pinhole_add(fw, &bad, T0, &id2), -EINVAL);
	bad = web;
	bad.owner = 0;
	CHECK_EQ_INT(uwg_fw6_pinhole_add(fw, &bad, T0, &id2), -EINVAL);
	bad = web;
	bad.expires_ns = 0;
	CHECK_EQ_INT(uwg_fw6_pinhole_add(fw, &bad, T0, &id2), -EINVAL);
	/* A description without its NUL is cut. */
	bad = hole(NH_UDP, CLI_A, 9999, ANY, 0, OWN_A, exp);
	memset(bad.desc, 'x', sizeof(bad.desc));
	CHECK_EQ_INT(uwg_fw6_pinhole_add(fw, &bad, T0, &id2), 0);
	CHECK_EQ_INT(uwg_fw6_pinhole_get(fw, id2, T0, &got), 0);
	CHECK_EQ_U64(strlen(got.desc), UWG_FW6_DESC_MAX - 1);
	CHECK_EQ_INT(uwg_fw6_pinhole_del(fw, id2, OWN_A, T0), 0);

	/* Remote filters: a host, a port, both. */
	struct uwg_fw6_pinhole from_rem = hole(NH_UDP, CLI_A, 1000, REM, 0, OWN_A, exp);
	struct uwg_fw6_pinhole from_port = hole(NH_UDP, CLI_A, 1001, ANY, 4000, OWN_A, exp);
	struct uwg_fw6_pinhole exact = hole(NH_UDP, CLI_A, 1002, REM, 4000, OWN_A, exp);
	uint16_t id_rem, id_port, id_exact;

	CHECK_EQ_INT(uwg_fw6_pinhole_add(fw, &from_rem, T0, &id_rem), 0);
	CHECK_EQ_INT(uwg_fw6_pinhole_add(fw, &from_port, T0, &id_port), 0);
	CHECK_EQ_INT(uwg_fw6_pinhole_add(fw, &exact, T0, &id_exact), 0);
	CHECK_EQ_INT(id_rem, 3); /* 2 went to the cut description: ids are not reused at once */
	CHECK_EQ_INT(id_port, 4);
	CHECK_EQ_INT(id_exact, 5);
	{
		struct pb a = udp(REM, 1, CLI_A, 1000), b = udp(REM2, 1, CLI_A, 1000);
		struct pb c = udp(REM2, 4000, CLI_A, 1001), d = udp(REM2, 4001, CLI_A, 1001);
		struct pb e = udp(REM, 4000, CLI_A, 1002), f = udp(REM2, 4000, CLI_A, 1002);
		struct pb g = udp(REM, 4001, CLI_A, 1002), h = udp(REM, 4000, CLI_B, 1002);

		PASSES(fw, a, OWN_A, T0);
		DROPS(fw, b, OWN_A, T0, UWG_FW6_DROP_UNSOLICITED);
		PASSES(fw, c, OWN_A, T0);
		DROPS(fw, d, OWN_A, T0, UWG_FW6_DROP_UNSOLICITED);
		PASSES(fw, e, OWN_A, T0);
		DROPS(fw, f, OWN_A, T0, UWG_FW6_DROP_UNSOLICITED);
		DROPS(fw, g, OWN_A, T0, UWG_FW6_DROP_UNSOLICITED);
		DROPS(fw, h, OWN_A, T0, UWG_FW6_DROP_UNSOLICITED);
	}
	/* find: the exact five, the wildcard as itself. */
	CHECK_EQ_INT(uwg_fw6_pinhole_find(fw, &from_rem, T0, &got), 0);
	CHECK_EQ_INT(got.id, id_rem);
	bad = from_rem;
	memset(bad.rem_addr, 0, 16);
	CHECK_EQ_INT(uwg_fw6_pinhole_find(fw, &bad, T0, &got), -ENOENT);
	bad = from_rem;
	bad.owner = OWN_B;
	CHECK_EQ_INT(uwg_fw6_pinhole_find(fw, &bad, T0, &got), -ENOENT);

	/* The owner's share (4) is full; then the table's (6). */
	struct uwg_fw6_pinhole more = hole(NH_TCP, CLI_A, 2000, ANY, 0, OWN_A, exp);

	CHECK_EQ_INT(uwg_fw6_pinhole_add(fw, &more, T0, &id2), -ENOSPC);
	more = hole(NH_TCP, CLI_B, 2000, ANY, 0, OWN_B, exp);
	CHECK_EQ_INT(uwg_fw6_pinhole_add(fw, &more, T0, &id2), 0);
	more.int_port = 2001;
	CHECK_EQ_INT(uwg_fw6_pinhole_add(fw, &more, T0, &id2), 0);
	more.int_port = 2002;
	CHECK_EQ_INT(uwg_fw6_pinhole_add(fw, &more, T0, &id2), -ENOSPC);
	CHECK_EQ_U64(st->pinholes_active, 6);
	/* A conflict is reported before a full table. */
	bad = web;
	bad.owner = OWN_B;
	CHECK_EQ_INT(uwg_fw6_pinhole_add(fw, &bad, T0, &id2), -EEXIST);

	/* Listing in id order. */
	{
		uint16_t want[] = { 1, 3, 4, 5, 6, 7 };
		uint32_t cur = 0;
		size_t n = 0;

		while (uwg_fw6_pinhole_next(fw, &cur, T0, &got)) {
			if (n < ARRAY_SIZE(want))
				CHECK_EQ_INT(got.id, want[n]);
			n++;
		}
		CHECK_EQ_U64(n, ARRAY_SIZE(want));
		CHECK(!uwg_fw6_pinhole_next(fw, &cur, T0, &got));
	}

	/* update and del: owner checks, unknown ids. */
	CHECK_EQ_INT(uwg_fw6_pinhole_update(fw, id, OWN_B, exp, T0), -EPERM);
	CHECK_EQ_INT(uwg_fw6_pinhole_update(fw, 999, OWN_A, exp, T0), -ENOENT);
	CHECK_EQ_INT(uwg_fw6_pinhole_update(fw, 0, OWN_A, exp, T0), -ENOENT);
	CHECK_EQ_INT(uwg_fw6_pinhole_update(fw, id, OWN_A, 0, T0), -EINVAL);
	CHECK_EQ_INT(uwg_fw6_pinhole_update(fw, id, OWN_A, T0 + 10 * S_NS, T0), 0);
	PASSES(fw, syn80, OWN_A, T0 + 10 * S_NS - 1);
	DROPS(fw, syn80, OWN_A, T0 + 10 * S_NS, UWG_FW6_DROP_UNSOLICITED);
	CHECK_EQ_INT(uwg_fw6_pinhole_get(fw, id, T0 + 10 * S_NS, &got), -ENOENT);
	CHECK_EQ_INT(uwg_fw6_pinhole_update(fw, id, OWN_A, exp, T0 + 10 * S_NS), -ENOENT);
	CHECK_EQ_INT(uwg_fw6_pinhole_del(fw, id, OWN_A, T0 + 10 * S_NS), -ENOENT);
	/* Expired but not yet reported: a late refresh of the same five revives it, same id. */
	CHECK_EQ_INT(uwg_fw6_pinhole_add(fw, &web, T0 + 10 * S_NS, &id2), 0);
	CHECK_EQ_INT(id2, id);
	PASSES(fw, syn80, OWN_A, T0 + 10 * S_NS);

	CHECK_EQ_INT(uwg_fw6_pinhole_del(fw, id_port, OWN_B, T0), -EPERM);
	CHECK_EQ_INT(uwg_fw6_pinhole_del(fw, 999, OWN_A, T0), -ENOENT);
	CHECK_EQ_INT(uwg_fw6_pinhole_del(fw, id_port, OWN_A, T0), 0);
	CHECK_EQ_INT(uwg_fw6_pinhole_del(fw, id_port, OWN_A, T0), -ENOENT);
	CHECK_EQ_U64(st->pinholes_active, 5);
	CHECK_EQ_U64(ostats(fw, OWN_A).pinholes, 3);
	{
		struct pb c = udp(REM2, 4000, CLI_A, 1001);

		DROPS(fw, c, OWN_A, T0, UWG_FW6_DROP_UNSOLICITED);
	}

	/* Expiry: exact, reported once through the callback, then gone. */
	CHECK_EQ_INT(uwg_fw6_pinhole_update(fw, id_exact, OWN_A, T0 + 100 * S_NS, T0), 0);
	uwg_fw6_expire(fw, T0 + 100 * S_NS - 1, 64, on_expired, &expired_seen);
	CHECK_EQ_INT(expired_seen, 0);
	uwg_fw6_expire(fw, T0 + 100 * S_NS, 64, on_expired, &expired_seen);
	CHECK_EQ_INT(expired_seen, 1);
	CHECK_EQ_INT(expired_id, id_exact);
	CHECK_EQ_U64(st->pinholes_expired, 1);
	CHECK_EQ_U64(st->pinholes_active, 4);
	uwg_fw6_expire(fw, T0 + 100 * S_NS, 64, on_expired, &expired_seen);
	CHECK_EQ_INT(expired_seen, 1);
	CHECK_EQ_INT(uwg_fw6_pinhole_get(fw, id_exact, T0, &got), -ENOENT);
	/* The budget bounds the slots looked at: none with 0, one per call with 1. */
	CHECK_EQ_INT(uwg_fw6_pinhole_update(fw, id_rem, OWN_A, T0 + 200 * S_NS, T0), 0);
	uwg_fw6_expire(fw, T0 + 200 * S_NS, 0, on_expired, &expired_seen);
	CHECK_EQ_INT(expired_seen, 1);
	{
		int calls = 0;

		while (expired_seen == 1 && calls < 100) {
			uwg_fw6_expire(fw, T0 + 200 * S_NS, 1, on_expired, &expired_seen);
			calls++;
		}
		CHECK(calls >= 1 && calls <= 6); /* 6 slots, the hand goes round */
		CHECK_EQ_INT(expired_seen, 2);
		CHECK_EQ_INT(expired_id, id_rem);
		/* One slot a call: six calls visit each slot once, whatever the hand. */
		CHECK_EQ_INT(uwg_fw6_pinhole_update(fw, id, OWN_A, T0 + 300 * S_NS, T0), 0);
		for (int i = 0; i < 5; i++)
			uwg_fw6_expire(fw, T0 + 300 * S_NS, 1, NULL, NULL);
		uwg_fw6_expire(fw, T0 + 300 * S_NS, 1, on_expired, &expired_seen);
		CHECK_EQ_U64(st->pinholes_expired, 3);
	}
	uwg_fw6_free(fw);

	/* Ids go round 1..65535 skipping live ones; listings follow ids across words. */
	struct uwg_fw6_config c2 = { .max_pinholes = 5 };
	struct uwg_fw6_pinhole keep = hole(NH_TCP, CLI_A, 1, ANY, 0, OWN_A, exp);
	struct uwg_fw6_pinhole tmp = hole(NH_TCP, CLI_A, 3, ANY, 0, OWN_A, exp);
	bool ok = true;

	fw = make(&c2);
	CHECK_EQ_INT(uwg_fw6_pinhole_add(fw, &keep, T0, &id), 0);
	CHECK_EQ_INT(id, 1);
	keep.int_port = 2;
	CHECK_EQ_INT(uwg_fw6_pinhole_add(fw, &keep, T0, &id), 0);
	CHECK_EQ_INT(id, 2);
	for (uint32_t want = 3; want <= 65535; want++) {
		if (want == 64 || want == 65535) { /* these stay */
			keep.int_port = (uint16_t)want;
			ok &= uwg_fw6_pinhole_add(fw, &keep, T0, &id2) == 0 && id2 == want;
			continue;
		}
		ok &= uwg_fw6_pinhole_add(fw, &tmp, T0, &id2) == 0 && id2 == want;
		ok &= uwg_fw6_pinhole_del(fw, id2, OWN_A, T0) == 0;
	}
	CHECK(ok);
	CHECK_EQ_INT(uwg_fw6_pinhole_add(fw, &tmp, T0, &id2), 0);
	CHECK_EQ_INT(id2, 3); /* 1 and 2 are live */
	CHECK_EQ_INT(uwg_fw6_pinhole_get(fw, 1, T0, &got), 0);
	CHECK_EQ_INT(got.int_port, 1);
	CHECK_EQ_INT(uwg_fw6_pinhole_get(fw, 3, T0, &got), 0);
	CHECK_EQ_INT(got.int_port, 3);
	{
		uint16_t want[] = { 1, 2, 3, 64, 65535 };
		uint32_t cur = 0;
		size_t n = 0;

		while (uwg_fw6_pinhole_next(fw, &cur, T0, &got)) {
			if (n < ARRAY_SIZE(want))
				CHECK_EQ_INT(got.id, want[n]);
			n++;
		}
		CHECK_EQ_U64(n, ARRAY_SIZE(want));
		/* Expired ones are held but not listed. */
		CHECK_EQ_INT(uwg_fw6_pinhole_update(fw, 64, OWN_A, T0 + 1, T0), 0);
		cur = 0;
		n = 0;
		while (uwg_fw6_pinhole_next(fw, &cur, T0 + 1, &got)) {
			CHECK(got.id != 64);
			n++;
		}
		CHECK_EQ_U64(n, 4);
		CHECK_EQ_U64(uwg_fw6_get_stats(fw)->pinholes_active, 5);
	}
	uwg_fw6_free(fw);
}

static void test_owner_lru(void)
{
	struct uwg_fw6_config cfg = { .max_flows_per_owner = 4 };
	struct uwg_fw6 *fw = make(&cfg);
	const struct uwg_fw6_stats *st = uwg_fw6_get_stats(fw);
	struct pb q[7], r[7], qb = udp(CLI_B, 1, REM, 53), rb = udp(REM, 53, CLI_B, 1);

	for (int i = 1; i <= 6; i++) {
		q[i] = udp(CLI_A, (uint16_t)(1000 + i), REM, 53);
		r[i] = udp(REM, 53, CLI_A, (uint16_t)(1000 + i));
	}
	out(fw, &qb, OWN_B, T0);
	for (int i = 1; i <= 4; i++)
		out(fw, &q[i], OWN_A, T0 + (uint64_t)i);
	CHECK_EQ_U64(ostats(fw, OWN_A).flows, 4);
	/* Use order now: 1 2 3 4; flow 1 used out, flow 2 used in -> 3 4 1 2. */
	out(fw, &q[1], OWN_A, T0 + 10);
	PASSES(fw, r[2], OWN_A, T0 + 11);
	out(fw, &q[5], OWN_A, T0 + 12); /* evicts 3 */
	CHECK_EQ_U64(st->flows_evicted, 1);
	CHECK_EQ_U64(ostats(fw, OWN_A).evicted, 1);
	CHECK_EQ_U64(ostats(fw, OWN_A).flows, 4);
	DROPS(fw, r[3], OWN_A, T0 + 13, UWG_FW6_DROP_UNSOLICITED);
	out(fw, &q[6], OWN_A, T0 + 14); /* evicts 4 */
	DROPS(fw, r[4], OWN_A, T0 + 15, UWG_FW6_DROP_UNSOLICITED);
	PASSES(fw, r[1], OWN_A, T0 + 16);
	PASSES(fw, r[2], OWN_A, T0 + 16);
	PASSES(fw, r[5], OWN_A, T0 + 16);
	PASSES(fw, r[6], OWN_A, T0 + 16);
	CHECK_EQ_U64(st->flows_evicted, 2);
	CHECK_EQ_U64(st->flows_active, 5);
	/* Another owner's flows are not its to evict. */
	PASSES(fw, rb, OWN_B, T0 + 16);
	CHECK_EQ_U64(ostats(fw, OWN_B).evicted, 0);
	/* An expired LRU flow making room counts as expired, not evicted. */
	out(fw, &q[3], OWN_A, T0 + 200 * S_NS); /* every flow of A is over by now */
	CHECK_EQ_U64(st->flows_evicted, 2);
	CHECK_EQ_U64(st->flows_expired, 1);
	uwg_fw6_free(fw);
}

static void test_global_evict(void)
{
	struct uwg_fw6_config cfg = { .max_flows = 8 };
	struct uwg_fw6 *fw = make(&cfg);
	const struct uwg_fw6_stats *st = uwg_fw6_get_stats(fw);
	struct pb q[10], r[10];

	for (int i = 0; i < 10; i++) {
		q[i] = udp(CLI_A, (uint16_t)(1000 + i), REM, 53);
		r[i] = udp(REM, 53, CLI_A, (uint16_t)(1000 + i));
	}
	/* Eight flows, all replied (180 s) but number 5, unreplied (30 s): the earliest expiry. */
	for (int i = 0; i < 8; i++) {
		out(fw, &q[i], i < 4 ? OWN_A : OWN_B, T0);
		if (i != 5)
			PASSES(fw, r[i], i < 4 ? OWN_A : OWN_B, T0);
	}
	CHECK_EQ_U64(st->flows_active, 8);
	out(fw, &q[8], OWN_A, T0 + S_NS);
	CHECK_EQ_U64(st->flows_active, 8);
	CHECK_EQ_U64(st->flows_evicted, 1);
	CHECK_EQ_U64(ostats(fw, OWN_B).evicted, 1);
	CHECK_EQ_U64(ostats(fw, OWN_B).flows, 3);
	CHECK_EQ_U64(ostats(fw, OWN_A).flows, 5);
	DROPS(fw, r[5], OWN_B, T0 + S_NS, UWG_FW6_DROP_UNSOLICITED);
	for (int i = 0; i < 9; i++)
		if (i != 5)
			PASSES(fw, r[i], i < 4 || i == 8 ? OWN_A : OWN_B, T0 + 2 * S_NS);
	/* When the window holds an expired flow it goes first, as expired. */
	out(fw, &q[9], OWN_A, T0 + 300 * S_NS);
	CHECK_EQ_U64(st->flows_evicted, 1);
	CHECK_EQ_U64(st->flows_expired, 1);
	CHECK_EQ_U64(st->flows_active, 8);
	uwg_fw6_free(fw);
}

static void test_forget_owner(void)
{
	struct uwg_fw6 *fw = make(NULL);
	const struct uwg_fw6_stats *st = uwg_fw6_get_stats(fw);
	struct pb qa = udp(CLI_A, 1, REM, 53), ra = udp(REM, 53, CLI_A, 1);
	struct pb qa2 = tcp(CLI_A, 2, REM, 80, SYN), ra2 = tcp(REM, 80, CLI_A, 2, SYN | ACK);
	struct pb qb = udp(CLI_B, 1, REM, 53), rb = udp(REM, 53, CLI_B, 1);
	struct pb fa = udp_frag(REM, 53, CLI_A, 1, 0, true, 9);
	struct pb fa2 = udp_frag(REM, 53, CLI_A, 1, 7, false, 9);
	struct uwg_fw6_pinhole ph = hole(NH_UDP, CLI_A, 7000, ANY, 0, OWN_A, T0 + 3600 * S_NS);
	struct uwg_fw6_pinhole phb = hole(NH_UDP, CLI_B, 7000, ANY, 0, OWN_B, T0 + 3600 * S_NS);
	struct pb via = udp(REM, 9, CLI_A, 7000), viab = udp(REM, 9, CLI_B, 7000);
	struct uwg_fw6_owner_stats os;
	uint16_t id, idb;
	uint32_t cur = 0;
	uint64_t tag;
	unsigned n = 0;

	out(fw, &qa, OWN_A, T0);
	out(fw, &qa2, OWN_A, T0);
	out(fw, &qb, OWN_B, T0);
	CHECK_EQ_INT(uwg_fw6_pinhole_add(fw, &ph, T0, &id), 0);
	CHECK_EQ_INT(uwg_fw6_pinhole_add(fw, &phb, T0, &idb), 0);
	PASSES(fw, fa, OWN_A, T0);
	uwg_fw6_forget_owner(fw, OWN_A);
	uwg_fw6_forget_owner(fw, 0x1234); /* unknown: nothing */
	CHECK_EQ_INT(uwg_fw6_owner_get(fw, OWN_A, &os), -ENOENT);
	CHECK_EQ_U64(st->flows_active, 1);
	CHECK_EQ_U64(st->pinholes_active, 1);
	CHECK_EQ_INT(uwg_fw6_pinhole_get(fw, id, T0, &(struct uwg_fw6_pinhole){ 0 }), -ENOENT);
	DROPS(fw, ra, OWN_A, T0, UWG_FW6_DROP_UNSOLICITED);
	DROPS(fw, ra2, OWN_A, T0, UWG_FW6_DROP_UNSOLICITED);
	DROPS(fw, via, OWN_A, T0, UWG_FW6_DROP_UNSOLICITED);
	DROPS(fw, fa2, OWN_A, T0, UWG_FW6_DROP_FRAGMENT);
	PASSES(fw, rb, OWN_B, T0);
	PASSES(fw, viab, OWN_B, T0);
	/* Counters start again: the forgotten owner is new. */
	CHECK_EQ_U64(ostats(fw, OWN_A).dropped, 4);
	CHECK_EQ_U64(ostats(fw, OWN_A).passed, 0);
	while (uwg_fw6_owner_next(fw, &cur, &tag, &os)) {
		n++;
		CHECK(tag == OWN_A || tag == OWN_B);
		if (tag == OWN_B) {
			CHECK_EQ_U64(os.flows, 1);
			CHECK_EQ_U64(os.pinholes, 1);
			CHECK_EQ_U64(os.passed, 2);
		}
	}
	CHECK_EQ_INT(n, 2);
	uwg_fw6_free(fw);
}

static void test_owner_table(void)
{
	struct uwg_fw6_config cfg = { .max_owners = 3 };
	struct uwg_fw6 *fw = make(&cfg);
	const struct uwg_fw6_stats *st = uwg_fw6_get_stats(fw);
	const uint64_t C = 0xc3, D = 0xd4, E = 0xe5;
	struct pb qa = udp(CLI_A, 1, REM, 53), qb = udp(CLI_B, 1, REM, 53);
	struct pb stray = udp(REM, 53, CLI_A, 9), rf = udp(REM, 53, CLI_A, 1);
	struct uwg_fw6_owner_stats os;
	uint16_t id;

	out(fw, &qa, OWN_A, T0);
	out(fw, &qb, OWN_B, T0);
	DROPS(fw, stray, C, T0, UWG_FW6_DROP_UNSOLICITED); /* C: counters only */
	CHECK_EQ_U64(ostats(fw, C).dropped, 1);
	DROPS(fw, stray, D, T0, UWG_FW6_DROP_UNSOLICITED); /* recycles C */
	CHECK_EQ_U64(st->owners_evicted, 1);
	CHECK_EQ_INT(uwg_fw6_owner_get(fw, C, &os), -ENOENT);
	CHECK_EQ_U64(ostats(fw, D).dropped, 1);
	CHECK_EQ_U64(ostats(fw, OWN_A).flows, 1);
	CHECK_EQ_U64(ostats(fw, OWN_B).flows, 1);
	/* D holds a pinhole now: every entry holds state. */
	struct uwg_fw6_pinhole ph = hole(NH_UDP, CLI_B, 99, ANY, 0, D, T0 + 3600 * S_NS);

	CHECK_EQ_INT(uwg_fw6_pinhole_add(fw, &ph, T0, &id), 0);
	/* E cannot get an entry: judged and counted globally, no flow, no pinhole. */
	uint64_t drops = st->drops[UWG_FW6_DROP_UNSOLICITED], created = st->flows_created;

	DROPS(fw, stray, E, T0, UWG_FW6_DROP_UNSOLICITED);
	CHECK_EQ_U64(st->drops[UWG_FW6_DROP_UNSOLICITED], drops + 1);
	CHECK_EQ_INT(uwg_fw6_owner_get(fw, E, &os), -ENOENT);
	out(fw, &qa, E, T0);
	CHECK_EQ_U64(st->flows_created, created);
	ph.owner = E;
	ph.int_port = 100;
	CHECK_EQ_INT(uwg_fw6_pinhole_add(fw, &ph, T0, &id), -ENOSPC);
	CHECK_EQ_U64(st->owners_evicted, 1);
	/* A's flow expires and is swept: A holds nothing and makes room for E. */
	uwg_fw6_expire(fw, T0 + 31 * S_NS, 1000, NULL, NULL);
	CHECK_EQ_U64(ostats(fw, OWN_A).flows, 0);
	CHECK_EQ_U64(ostats(fw, OWN_B).flows, 0);
	/* Both idle now, A since before B: LRU among the idle picks A... unless A was used. */
	DROPS(fw, stray, OWN_A, T0 + 32 * S_NS, UWG_FW6_DROP_UNSOLICITED); /* touches A */
	out(fw, &qa, E, T0 + 33 * S_NS);
	CHECK_EQ_U64(st->owners_evicted, 2);
	CHECK_EQ_INT(uwg_fw6_owner_get(fw, OWN_B, &os), -ENOENT);
	CHECK_EQ_U64(ostats(fw, OWN_A).dropped, 1);
	CHECK_EQ_U64(ostats(fw, E).flows, 1);
	PASSES(fw, rf, E, T0 + 34 * S_NS);
	/* Owner 0 is nobody: judged, never an entry. */
	DROPS(fw, stray, 0, T0, UWG_FW6_DROP_UNSOLICITED);
	CHECK_EQ_INT(uwg_fw6_owner_get(fw, 0, &os), -ENOENT);
	CHECK_EQ_U64(st->owners_evicted, 2);
	uwg_fw6_free(fw);
}

static void test_expire_flows(void)
{
	struct uwg_fw6_config cfg = { .max_flows = 16 };
	struct uwg_fw6 *fw = make(&cfg);
	const struct uwg_fw6_stats *st = uwg_fw6_get_stats(fw);

	for (int i = 0; i < 10; i++) {
		struct pb q = udp(CLI_A, (uint16_t)(1000 + i), REM, 53);

		out(fw, &q, OWN_A, T0);
	}
	uwg_fw6_expire(fw, T0 + 30 * S_NS - 1, 16, NULL, NULL);
	CHECK_EQ_U64(st->flows_expired, 0);
	/* Slots 0-9 hold them: four slots per call. */
	uwg_fw6_expire(fw, T0 + 30 * S_NS, 4, NULL, NULL);
	CHECK_EQ_U64(st->flows_expired, 4);
	uwg_fw6_expire(fw, T0 + 30 * S_NS, 4, NULL, NULL);
	CHECK_EQ_U64(st->flows_expired, 8);
	uwg_fw6_expire(fw, T0 + 30 * S_NS, 4, NULL, NULL);
	CHECK_EQ_U64(st->flows_expired, 10);
	uwg_fw6_expire(fw, T0 + 30 * S_NS, 0, NULL, NULL);
	CHECK_EQ_U64(st->flows_active, 0);
	CHECK_EQ_U64(ostats(fw, OWN_A).flows, 0);
	uwg_fw6_free(fw);
}

/* Every prefix of a valid packet: no crash, a verdict with its reason, counted. */
static void truncations(struct uwg_fw6 *fw, const struct pb *full, uint64_t now)
{
	const struct uwg_fw6_stats *st = uwg_fw6_get_stats(fw);
	bool ok = true;

	for (size_t n = 0; n < full->len; n++) {
		struct pb p = *full;
		uint64_t malformed = st->drops[UWG_FW6_DROP_MALFORMED];
		uint8_t *heap = malloc(n ? n : 1); /* exact size: ASan sees any overread */
		enum uwg_fw6_drop why = UWG_FW6_DROP_COUNT;
		enum uwg_fw6_verdict v;

		/* As cut in transit: the payload length still claims the rest. */
		memcpy(heap, p.b, n);
		v = uwg_fw6_inbound(fw, heap, n, OWN_A, now, &why);
		ok &= v == UWG_FW6_DROP && why == UWG_FW6_DROP_MALFORMED &&
		      st->drops[UWG_FW6_DROP_MALFORMED] == malformed + 1;
		uwg_fw6_outbound(fw, heap, n, OWN_A, now);
		ok &= st->drops[UWG_FW6_DROP_MALFORMED] == malformed + 2;
		/* As built short: the length agrees, the headers inside are cut. */
		if (n >= 40) {
			put16(heap + 4, (uint16_t)(n - 40));
			uwg_fw6_outbound(fw, heap, n, OWN_A, now);
			why = UWG_FW6_DROP_COUNT;
			v = uwg_fw6_inbound(fw, heap, n, OWN_A, now, &why);
			ok &= (v == UWG_FW6_PASS) == (why == UWG_FW6_DROP_NONE) &&
			      why < UWG_FW6_DROP_COUNT;
		}
		free(heap);
	}
	if (!ok)
		fprintf(stderr, "  truncations of a %zu-byte packet\n", full->len);
	CHECK(ok);
}

static void test_truncation(void)
{
	struct uwg_fw6 *fw = make(NULL);
	struct pb q = udp(CLI_A, 5000, REM, 53), r = ip6(REM, CLI_A), t = ip6(REM, CLI_A);
	struct pb f = udp_frag(REM, 53, CLI_A, 5000, 0, true, 1);
	struct pb f2 = udp_frag(REM, 53, CLI_A, 5000, 9, false, 1);
	struct pb i = icmp6(REM, CLI_A, 1, 4), g = proto_pkt(REM, CLI_A, NH_GRE);

	ext(&r, NH_HOP, 8);
	ext(&r, NH_RT, 24);
	ext(&r, NH_AH, 16);
	udp_hdr(&r, 53, 5000, 4, 12);
	ext(&t, NH_DST, 8);
	tcp_hdr(&t, 80, 5000, SYN | ACK);
	out(fw, &q, OWN_A, T0);
	truncations(fw, &r, T0);
	truncations(fw, &t, T0);
	truncations(fw, &f, T0);
	truncations(fw, &f2, T0);
	truncations(fw, &i, T0);
	truncations(fw, &g, T0);
	/* The whole ones still do what they should. */
	PASSES(fw, r, OWN_A, T0);
	PASSES(fw, f, OWN_A, T0);
	PASSES(fw, f2, OWN_A, T0);
	PASSES(fw, i, OWN_A, T0);
	/* Where the cut lands mid-header with a matching length, the reason is MALFORMED. */
	struct pb cut = r;

	cut.len = 40 + 8 + 24 + 16 + 7;
	put16(cut.b + 4, (uint16_t)(cut.len - 40));
	DROPS(fw, cut, OWN_A, T0, UWG_FW6_DROP_MALFORMED);
	uwg_fw6_free(fw);
}

/* ---- random traffic against a brute-force model ---- */

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint32_t rnd(uint32_t n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)((rng >> 11) % n);
}

struct mflow {
	bool used;
	uint64_t owner;
	int cli, rem;
	uint8_t proto;
	uint16_t cport, rport;
	int state; /* 1 syn, 2 est, 3 fin, 4 rst, 5 udp unreplied, 6 udp, 7 other */
	uint64_t expires;
};

struct mhole {
	bool used;
	uint16_t id;
	uint64_t owner;
	uint8_t proto;
	int cli, rem; /* rem -1: any */
	uint16_t port, rport;
	uint64_t expires;
	uint64_t packets;
};

enum { MF = 512, MH = 32 };
static struct mflow mflows[MF];
static struct mhole mholes[MH];

static const uint64_t m_to[8] = { 0, 120 * S_NS, 7200 * S_NS, 240 * S_NS, 10 * S_NS,
				  30 * S_NS, 180 * S_NS, 600 * S_NS };

static const uint8_t *addr_of(int client, int i)
{
	static uint8_t a[2][4][16];
	uint8_t *p = a[client][i];

	memcpy(p, client ? CLI_A : REM, 16);
	p[15] = (uint8_t)(client ? 2 + i : 1 + i);
	return p;
}

static struct mflow *m_find(uint64_t owner, int cli, int rem, uint8_t proto, uint16_t cp,
			    uint16_t rp, uint64_t now)
{
	for (int i = 0; i < MF; i++) {
		struct mflow *f = &mflows[i];

		if (f->used && f->owner == owner && f->cli == cli && f->rem == rem &&
		    f->proto == proto && f->cport == cp && f->rport == rp) {
			if (f->expires > now)
				return f;
			f->used = false;
		}
	}
	return NULL;
}

static void m_tcp(struct mflow *f, uint8_t fl, bool inbound)
{
	if (fl & RST)
		f->state = 4;
	else if (!inbound && (fl & (SYN | ACK | FIN)) == SYN)
		f->state = 1;
	else if (fl & FIN)
		f->state = f->state == 4 ? 4 : 3;
	else if (inbound && f->state == 1)
		f->state = 2;
}

static void test_model(void)
{
	struct uwg_fw6 *fw = make(NULL);
	const uint64_t owners[3] = { OWN_A, OWN_B, 0xc3 };
	static const uint8_t protos[4] = { NH_TCP, NH_UDP, NH_GRE, NH_ICMP6 };
	static const uint8_t flagset[6] = { SYN, SYN | ACK, ACK, FIN | ACK, RST, PSH | ACK };
	uint64_t now = T0;
	unsigned mismatches = 0, passes = 0, via_holes = 0;

	memset(mflows, 0, sizeof(mflows));
	memset(mholes, 0, sizeof(mholes));
	for (int step = 0; step < 200000; step++) {
		int op = (int)rnd(100);
		uint64_t owner = owners[rnd(3)];
		int cli = (int)rnd(2), rem = (int)rnd(2);
		uint8_t proto = protos[rnd(4)];
		uint16_t cp = (uint16_t)(1 + rnd(3)), rp = (uint16_t)(1 + rnd(2));
		uint8_t fl = flagset[rnd(6)];
		struct pb p;

		now += (uint64_t)rnd(4) * (rnd(8) ? S_NS : 60 * S_NS) + rnd(2);
		if (op < 8) { /* pinhole add */
			struct mhole *h = &mholes[rnd(MH)];
			uint16_t id;
			uint8_t hp = rnd(2) ? NH_TCP : NH_UDP;
			int hr = (int)rnd(3) - 1;
			uint16_t hrp = (uint16_t)rnd(3);
			uint64_t exp = now + 1 + rnd(300) * S_NS;
			struct uwg_fw6_pinhole ph = hole(hp, addr_of(1, cli), cp,
							 hr < 0 ? ANY : addr_of(0, hr), hrp, owner, exp);
			int rc, want = 0;
			struct mhole *same = NULL;

			for (int i = 0; i < MH; i++) {
				struct mhole *o = &mholes[i];

				if (!o->used || o->proto != hp || o->cli != cli || o->port != cp ||
				    o->rem != hr || o->rport != hrp)
					continue;
				if (o->owner == owner)
					same = o;
				else if (o->expires > now)
					want = -EEXIST;
			}
			if (!want && !same && h->used)
				continue; /* the model keeps one slot per random pick */
			/*
			 * Two pinholes of one owner on one endpoint with different remote
			 * filters may both admit a packet; which one counts it is the
			 * table's business, so the model opens at most one.
			 */
			bool twin = false;

			for (int i = 0; i < MH; i++)
				twin |= !same && mholes[i].used && mholes[i].owner == owner &&
					mholes[i].proto == hp && mholes[i].cli == cli &&
					mholes[i].port == cp;
			if (twin)
				continue;
			rc = uwg_fw6_pinhole_add(fw, &ph, now, &id);
			if (rc != want) {
				mismatches++;
				continue;
			}
			if (rc)
				continue;
			if (same) {
				mismatches += same->id != id;
				same->expires = exp;
				continue;
			}
			*h = (struct mhole){ true, id, owner, hp, cli, hr, cp, hrp, exp, 0 };
			continue;
		}
		if (op < 11) { /* pinhole del */
			struct mhole *h = &mholes[rnd(MH)];

			if (!h->used)
				continue;
			int want = h->expires <= now ? -ENOENT : h->owner == owner ? 0 : -EPERM;

			mismatches += uwg_fw6_pinhole_del(fw, h->id, owner, now) != want;
			if (want == 0)
				h->used = false;
			continue;
		}
		if (op < 12) { /* expire sweep */
			uwg_fw6_expire(fw, now, 65536, NULL, NULL);
			for (int i = 0; i < MH; i++)
				if (mholes[i].used && mholes[i].expires <= now)
					mholes[i].used = false;
			continue;
		}
		if (op < 50) { /* outbound */
			if (proto == NH_TCP)
				p = tcp(addr_of(1, cli), cp, addr_of(0, rem), rp, fl);
			else if (proto == NH_UDP)
				p = udp(addr_of(1, cli), cp, addr_of(0, rem), rp);
			else if (proto == NH_ICMP6)
				p = icmp6(addr_of(1, cli), addr_of(0, rem), 128, 0);
			else
				p = proto_pkt(addr_of(1, cli), addr_of(0, rem), proto);
			out(fw, &p, owner, now);
			if (proto == NH_ICMP6)
				continue;
			if (proto != NH_TCP && proto != NH_UDP)
				cp = rp = 0;
			struct mflow *f = m_find(owner, cli, rem, proto, cp, rp, now);

			if (!f) {
				if (proto == NH_TCP && (fl & RST))
					continue;
				for (int i = 0; i < MF && !f; i++)
					if (!mflows[i].used)
						f = &mflows[i];
				if (!f) {
					fprintf(stderr, "model table full\n");
					mismatches++;
					break;
				}
				*f = (struct mflow){ true, owner, cli, rem, proto, cp, rp, 0, 0 };
				f->state = proto == NH_TCP ? ((fl & (SYN | ACK | FIN)) == SYN ? 1 : 2)
					   : proto == NH_UDP ? 5
							     : 7;
			}
			if (proto == NH_TCP)
				m_tcp(f, fl, false);
			f->expires = now + m_to[f->state];
			continue;
		}
		/* inbound */
		if (proto == NH_TCP)
			p = tcp(addr_of(0, rem), rp, addr_of(1, cli), cp, fl);
		else if (proto == NH_UDP)
			p = udp(addr_of(0, rem), rp, addr_of(1, cli), cp);
		else if (proto == NH_ICMP6)
			p = icmp6(addr_of(0, rem), addr_of(1, cli), rnd(2) ? 129 : 137, 0);
		else
			p = proto_pkt(addr_of(0, rem), addr_of(1, cli), proto);
		int want = UWG_FW6_DROP_UNSOLICITED;

		if (proto == NH_ICMP6) {
			want = p.b[40] == 129 ? UWG_FW6_DROP_NONE : UWG_FW6_DROP_ICMP;
		} else {
			struct mflow *f = m_find(owner, cli, rem, proto,
						 proto == NH_GRE ? 0 : cp, proto == NH_GRE ? 0 : rp,
						 now);
			if (f) {
				want = UWG_FW6_DROP_NONE;
				if (proto == NH_TCP)
					m_tcp(f, fl, true);
				else if (proto == NH_UDP)
					f->state = 6;
				f->expires = now + m_to[f->state];
			} else if (proto != NH_GRE) {
				for (int i = 0; i < MH; i++) {
					struct mhole *h = &mholes[i];

					if (h->used && h->owner == owner && h->proto == proto &&
					    h->cli == cli && h->port == cp && h->expires > now &&
					    (h->rem < 0 || h->rem == rem) &&
					    (!h->rport || h->rport == rp)) {
						want = UWG_FW6_DROP_NONE;
						h->packets++;
						via_holes++;
						break;
					}
				}
			}
		}
		int got = in(fw, &p, owner, now);

		passes += got == UWG_FW6_DROP_NONE;
		if (got != want) {
			if (mismatches < 5)
				fprintf(stderr, "  step %d: proto %u flags %x got %d want %d\n", step,
					proto, fl, got, want);
			mismatches++;
		}
	}
	/* Pinhole counters agree too (one model slot per live pinhole). */
	for (int i = 0; i < MH; i++) {
		struct uwg_fw6_pinhole got;

		if (mholes[i].used && mholes[i].expires > now) {
			mismatches += uwg_fw6_pinhole_get(fw, mholes[i].id, now, &got) != 0 ||
				      got.packets != mholes[i].packets;
		}
	}
	CHECK_EQ_INT(mismatches, 0);
	CHECK(passes > 10000); /* the run exercised both answers */
	CHECK(via_holes > 100);
	CHECK_EQ_U64(uwg_fw6_get_stats(fw)->flows_evicted, 0);
	uwg_fw6_free(fw);
}

int main(void)
{
	test_config();
	test_unsolicited();
	test_udp();
	test_multicast_search();
	test_udp_timeouts();
	test_tcp();
	test_other_proto();
	test_icmp();
	test_fragments();
	test_ext_headers();
	test_pinholes();
	test_owner_lru();
	test_global_evict();
	test_forget_owner();
	test_owner_table();
	test_expire_flows();
	test_truncation();
	test_model();
	CHECK_EQ_INT(inconsistent, 0); /* every verdict agreed with its reason */
	CHECK(judged > 1000);
	return harness_report("test_fw6");
}
