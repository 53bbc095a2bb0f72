/*
 * test/unit/igd/test_pcp.c - PCP (igd/pcp.c) on the test map table: the
 * replies RFC 6887 gives (shared portmap-protocols.md §2) for ANNOUNCE, MAP
 * create, renew, nonce mismatch and delete, lifetimes clamped, PREFER_FAILURE,
 * FILTER, THIRD_PARTY, PEER and every malformed case the processing order of
 * §8.2 names; one full reply byte for byte; over IPv6, the firewall MAP:
 * pinholes created, refreshed and deleted through the ops, nonces, options,
 * the firewall off or absent.
 */
#include <arpa/inet.h>
#include <string.h>

#include "igd/pcp.h"
#include "test/harness.h"
#include "test/unit/igd/fixture.h"

static struct uwg_pmp_ctx cx;
static struct in_addr A, A2, B;

static void reset(void)
{
	fixture_reset(16, 0xcb007202u, 4); /* 203.0.114.2 */
	table.owner_mask_h = 0xfffffffcu;  /* 10.100.0.0-3: one peer (A, A2) */
	memset(&cx, 0, sizeof(cx));
	cx.ops = &ops;
	cx.pol = &pol;
}

struct msg {
	uint8_t b[UWG_PCP_MAX + 8];
	size_t n;
};

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static void put_v4(uint8_t *p, struct in_addr a)
{
	uwg_pcp_v4_mapped(p, a);
}

/* A MAP request from client (its address in the header) with nonce byte k. */
static struct msg map_req(struct in_addr client, uint8_t k, uint8_t proto, uint16_t iport,
			  uint16_t eport, uint32_t lifetime)
{
	struct msg m;

	memset(&m, 0, sizeof(m));
	m.b[0] = 2;
	m.b[1] = 1;
	put32(m.b + 4, lifetime);
	put_v4(m.b + 8, client);
	memset(m.b + 24, k, 12);
	m.b[36] = proto;
	m.b[40] = (uint8_t)(iport >> 8);
	m.b[41] = (uint8_t)iport;
	m.b[42] = (uint8_t)(eport >> 8);
	m.b[43] = (uint8_t)eport;
	put_v4(m.b + 44, (struct in_addr){ 0 });
	m.n = 60;
	return m;
}

static void add_option(struct msg *m, uint8_t code, const uint8_t *data, uint16_t len)
{
	m->b[m->n] = code;
	m->b[m->n + 1] = 0;
	m->b[m->n + 2] = (uint8_t)(len >> 8);
	m->b[m->n + 3] = (uint8_t)len;
	if (len)
		memcpy(m->b + m->n + 4, data, len);
	m->n += 4 + ((len + 3u) & ~3u);
}

struct reply {
	size_t n;
	uint8_t version, op, result;
	uint32_t lifetime, epoch;
	uint16_t ext_port;
	uint8_t b[UWG_PCP_MAX];
};

/* Sends m from a 16-byte source (IPv4 mapped, or IPv6). */
static struct reply send_src(const uint8_t src[16], const struct msg *m)
{
	struct reply r;

	memset(&r, 0, sizeof(r));
	uwg_pcp_handle(&cx, m->b, m->n, src, 77, r.b, &r.n);
	if (r.n >= 24) {
		r.version = r.b[0];
		r.op = r.b[1];
		r.result = r.b[3];
		r.lifetime = (uint32_t)r.b[4] << 24 | (uint32_t)r.b[5] << 16 | (uint32_t)r.b[6] << 8 | r.b[7];
		r.epoch = (uint32_t)r.b[8] << 24 | (uint32_t)r.b[9] << 16 | (uint32_t)r.b[10] << 8 | r.b[11];
	}
	if (r.n >= 60)
		r.ext_port = (uint16_t)(r.b[42] << 8 | r.b[43]);
	return r;
}

static struct reply send_from(struct in_addr from, const struct msg *m)
{
	uint8_t src[16];

	uwg_pcp_v4_mapped(src, from);
	return send_src(src, m);
}

static void test_announce_and_header(void)
{
	struct msg m;
	struct reply r;

	reset();
	memset(&m, 0, sizeof(m));
	m.b[0] = 2;
	put_v4(m.b + 8, A);
	m.n = 24;
	r = send_from(A, &m);
	CHECK_EQ_U64(r.n, 24);
	CHECK(r.version == 2 && r.op == 0x80 && r.result == 0 && r.lifetime == 0 && r.epoch == 77);
	/* the client address is not the source: ADDRESS_MISMATCH, the request copied back */
	put_v4(m.b + 8, B);
	r = send_from(A, &m);
	CHECK(r.n == 24 && r.op == 0x80 && r.result == UWG_PCP_ADDRESS_MISMATCH &&
	      r.lifetime == UWG_PCP_LONG_ERROR_S);
	/* runts and responses: dropped; 2-23 bytes of version 2 too */
	m.n = 20;
	CHECK_EQ_U64(send_from(A, &m).n, 0);
	m.b[1] = 0x80;
	m.n = 24;
	CHECK_EQ_U64(send_from(A, &m).n, 0);
	/* not a multiple of 4, or over 1100 bytes: MALFORMED_REQUEST */
	m.b[1] = 0;
	put_v4(m.b + 8, A);
	m.n = 26;
	r = send_from(A, &m);
	CHECK(r.n == 28 && r.result == UWG_PCP_MALFORMED_REQUEST);
	m.n = UWG_PCP_MAX + 4;
	r = send_from(A, &m);
	CHECK(r.n == UWG_PCP_MAX && r.result == UWG_PCP_MALFORMED_REQUEST);
	/* version 1 (and 3): UNSUPP_VERSION with ours */
	m.b[0] = 1;
	m.n = 24;
	r = send_from(A, &m);
	CHECK(r.version == 2 && r.result == UWG_PCP_UNSUPP_VERSION);
	/* PEER (80 bytes) and an unknown opcode: UNSUPP_OPCODE */
	m.b[0] = 2;
	m.b[1] = 2;
	m.n = 80;
	r = send_from(A, &m);
	CHECK(r.n == 80 && r.op == 0x82 && r.result == UWG_PCP_UNSUPP_OPCODE);
	m.b[1] = 9;
	m.n = 24;
	CHECK_EQ_U64(send_from(A, &m).result, UWG_PCP_UNSUPP_OPCODE);
	/* a MAP shorter than its payload */
	m.b[1] = 1;
	m.n = 56;
	CHECK_EQ_U64(send_from(A, &m).result, UWG_PCP_MALFORMED_REQUEST);
}

static void test_map(void)
{
	static const char want[] =
		"02810000" "00000e10" "0000004d" "000000000000000000000000"
		"111111111111111111111111" "06000000" "1f6b1f6b"
		"00000000000000000000ffffcb007202";
	struct msg m = map_req(A, 0x11, 6, 8043, 8043, 3600);
	struct reply r;
	char hex[2 * 60 + 1];

	reset();
	r = send_from(A, &m);
	CHECK_EQ_U64(r.n, 60);
	for (size_t i = 0; i < r.n && i < 60; i++)
		snprintf(hex + 2 * i, 3, "%02x", r.b[i]);
	CHECK_EQ_STR(hex, want);
	/* renewed with the same nonce, suggesting another port: the same port */
	m = map_req(A, 0x11, 6, 8043, 9000, 3600);
	r = send_from(A, &m);
	CHECK(r.result == 0 && r.ext_port == 8043);
	/* another nonce for the same internal port: NOT_AUTHORIZED, lifetime = what is left */
	fake_now += 100;
	m = map_req(A, 0x22, 6, 8043, 8043, 3600);
	r = send_from(A, &m);
	CHECK(r.result == UWG_PCP_NOT_AUTHORIZED && r.lifetime == 3500);
	/* and it cannot delete it either */
	m = map_req(A, 0x22, 6, 8043, 0, 0);
	CHECK_EQ_U64(send_from(A, &m).result, UWG_PCP_NOT_AUTHORIZED);
	/* lifetimes are clamped to [120, 86400] */
	m = map_req(A, 0x33, 17, 5000, 5000, 30);
	r = send_from(A, &m);
	CHECK(r.result == 0 && r.lifetime == 120 && r.ext_port == 5000);
	m = map_req(A, 0x33, 17, 5000, 5000, 999999);
	CHECK_EQ_U64(send_from(A, &m).lifetime, 86400);
	/* B wants A's port: another one */
	m = map_req(B, 0x44, 6, 8043, 8043, 3600);
	r = send_from(B, &m);
	CHECK(r.result == 0 && r.ext_port != 8043 && r.ext_port >= 1024);
	/* delete with the right nonce: SUCCESS, lifetime 0; again: SUCCESS */
	m = map_req(A, 0x11, 6, 8043, 8043, 0);
	r = send_from(A, &m);
	CHECK(r.result == 0 && r.lifetime == 0);
	CHECK_EQ_U64(table.n, 2);
	CHECK_EQ_U64(send_from(A, &m).result, 0);
	/* protocol 0 with a port; a protocol the NAT does not map; all ports */
	m = map_req(A, 0x55, 0, 80, 80, 60);
	CHECK_EQ_U64(send_from(A, &m).result, UWG_PCP_MALFORMED_REQUEST);
	m = map_req(A, 0x55, 1, 0, 0, 60);
	CHECK_EQ_U64(send_from(A, &m).result, UWG_PCP_UNSUPP_PROTOCOL);
	m = map_req(A, 0x55, 6, 0, 0, 60);
	CHECK_EQ_U64(send_from(A, &m).result, UWG_PCP_NOT_AUTHORIZED);
	/* no external address: NETWORK_FAILURE, a short error */
	table.ext_ip.s_addr = 0;
	m = map_req(A, 0x55, 6, 7000, 7000, 60);
	r = send_from(A, &m);
	CHECK(r.result == UWG_PCP_NETWORK_FAILURE && r.lifetime == UWG_PCP_SHORT_ERROR_S);
	/* the per-client cap: USER_EX_QUOTA */
	reset();
	pol.max_per_client = 1;
	m = map_req(A, 0x66, 6, 7000, 7000, 600);
	CHECK_EQ_U64(send_from(A, &m).result, 0);
	m = map_req(A, 0x66, 6, 7001, 7001, 600);
	CHECK_EQ_U64(send_from(A, &m).result, UWG_PCP_USER_EX_QUOTA);
}

static void test_options(void)
{
	uint8_t tp[16], filter[20] = { 0 };
	struct msg m;
	struct reply r;

	reset();
	m = map_req(B, 0x01, 6, 8043, 8043, 600);
	CHECK_EQ_U64(send_from(B, &m).result, 0);
	/* PREFER_FAILURE for B's port: CANNOT_PROVIDE_EXTERNAL; for a free one: exactly it */
	m = map_req(A, 0x02, 6, 8043, 8043, 600);
	add_option(&m, 2, NULL, 0);
	r = send_from(A, &m);
	CHECK(r.result == UWG_PCP_CANNOT_PROVIDE_EXTERNAL && r.n == 64);
	m = map_req(A, 0x02, 6, 8043, 8050, 600);
	add_option(&m, 2, NULL, 0);
	r = send_from(A, &m);
	CHECK(r.result == 0 && r.ext_port == 8050 && r.n == 64 && r.b[60] == 2);
	/* PREFER_FAILURE with no port suggested, or twice: MALFORMED_OPTION */
	m = map_req(A, 0x03, 6, 8044, 0, 600);
	add_option(&m, 2, NULL, 0);
	CHECK_EQ_U64(send_from(A, &m).result, UWG_PCP_MALFORMED_OPTION);
	m = map_req(A, 0x03, 6, 8044, 8044, 600);
	add_option(&m, 2, NULL, 0);
	add_option(&m, 2, NULL, 0);
	CHECK_EQ_U64(send_from(A, &m).result, UWG_PCP_MALFORMED_OPTION);
	/* FILTER: one that narrows cannot be honoured by the NAT; prefix 0 is, and is echoed */
	filter[1] = 128;
	put_v4(filter + 4, (struct in_addr){ htonl(0xcb007232u) });
	m = map_req(A, 0x04, 6, 8045, 8045, 600);
	add_option(&m, 3, filter, 20);
	CHECK_EQ_U64(send_from(A, &m).result, UWG_PCP_UNSUPP_OPTION);
	filter[1] = 0;
	m = map_req(A, 0x04, 6, 8045, 8045, 600);
	add_option(&m, 3, filter, 20);
	r = send_from(A, &m);
	CHECK(r.result == 0 && r.n == 84 && r.b[60] == 3);
	/* a FILTER too short to hold its prefix length, at the very end of the datagram */
	m = map_req(A, 0x04, 6, 8045, 8045, 600);
	add_option(&m, 3, NULL, 0);
	CHECK_EQ_U64(send_from(A, &m).result, UWG_PCP_MALFORMED_OPTION);
	filter[1] = 40; /* below 96 for an IPv4 address */
	m = map_req(A, 0x04, 6, 8045, 8045, 600);
	add_option(&m, 3, filter, 20);
	CHECK_EQ_U64(send_from(A, &m).result, UWG_PCP_MALFORMED_OPTION);
	/* THIRD_PARTY: the sender itself is malformed, another peer's address unsupported */
	put_v4(tp, A);
	m = map_req(A, 0x05, 6, 8046, 8046, 600);
	add_option(&m, 1, tp, 16);
	CHECK_EQ_U64(send_from(A, &m).result, UWG_PCP_MALFORMED_REQUEST);
	put_v4(tp, B);
	m = map_req(A, 0x05, 6, 8046, 8046, 600);
	add_option(&m, 1, tp, 16);
	CHECK_EQ_U64(send_from(A, &m).result, UWG_PCP_UNSUPP_OPTION);
	/* ... and an address of the sender's own peer maps to that address */
	put_v4(tp, A2);
	m = map_req(A, 0x05, 6, 8046, 8046, 600);
	add_option(&m, 1, tp, 16);
	r = send_from(A, &m);
	CHECK(r.result == 0 && r.ext_port == 8046 && r.n == 80 && r.b[60] == 1);
	{
		struct uwg_igd_map got;

		CHECK(!ops.get_map(ops.ctx, IPPROTO_TCP, 8046, &got) &&
		      got.int_client.s_addr == A2.s_addr && got.origin == UWG_IGD_ORIGIN_PCP);
	}
	/* an unknown mandatory option: UNSUPP_OPTION; an optional one is skipped */
	m = map_req(A, 0x06, 6, 8047, 8047, 600);
	add_option(&m, 0x7f, NULL, 0);
	CHECK_EQ_U64(send_from(A, &m).result, UWG_PCP_UNSUPP_OPTION);
	m = map_req(A, 0x06, 6, 8047, 8047, 600);
	add_option(&m, 0x80, tp, 16);
	r = send_from(A, &m);
	CHECK(r.result == 0 && r.n == 60);
	/* an option running past the end */
	m = map_req(A, 0x07, 6, 8048, 8048, 600);
	add_option(&m, 2, NULL, 0);
	m.b[62] = 0;
	m.b[63] = 8;
	CHECK_EQ_U64(send_from(A, &m).result, UWG_PCP_MALFORMED_OPTION);
}

/* A map NAT-PMP or UPnP made has no nonce: its owner renews or deletes it through PCP. */
static void test_other_origins(void)
{
	struct uwg_igd_map nm = { .proto = IPPROTO_UDP, .ext_port = 6000, .int_port = 6000,
				  .lease_s = 60, .origin = UWG_IGD_ORIGIN_NATPMP };
	struct uwg_igd_map got;
	struct msg m;
	struct reply r;

	reset();
	nm.int_client = A;
	snprintf(nm.desc, sizeof(nm.desc), "NAT-PMP 6000 udp");
	CHECK_EQ_INT(ops.add_map(ops.ctx, &nm, A), 0);
	m = map_req(A, 0x77, 17, 6000, 0, 600);
	r = send_from(A, &m);
	CHECK(r.result == 0 && r.ext_port == 6000 && r.lifetime == 600);
	CHECK(!ops.get_map(ops.ctx, IPPROTO_UDP, 6000, &got) && got.origin == UWG_IGD_ORIGIN_NATPMP);
	m = map_req(A, 0x78, 17, 6000, 0, 0);
	CHECK_EQ_U64(send_from(A, &m).result, 0);
	CHECK(ops.get_map(ops.ctx, IPPROTO_UDP, 6000, &got) != 0);
}

/* A MAP request over IPv6 from client (its address in the header), no external suggestion. */
static void map_req6(struct msg *m, const struct in6_addr *client, uint8_t k, uint8_t proto,
		     uint16_t iport, uint16_t eport, uint32_t lifetime)
{
	*m = map_req(A, k, proto, iport, eport, lifetime);
	memcpy(m->b + 8, client, 16);
	memset(m->b + 44, 0, 16);
}

/* The reply goes to one static place: the IPv6 tests send many, and the stack is bounded. */
static const struct reply *send6(const struct in6_addr *from, const struct msg *m)
{
	static struct reply r;

	r = send_src(from->s6_addr, m);
	return &r;
}

static const struct uwg_igd_maptable_pinhole *only_pinhole(void)
{
	CHECK_EQ_U64(table.n_pinholes, 1);
	return table.n_pinholes == 1 ? &table.pinholes[0] : NULL;
}

/* Over IPv6: ANNOUNCE answered and the address field checked, as before the firewall. */
static void test_ipv6_header(void)
{
	static const uint8_t v6[16] = { 0x20, 0x01, 0x0d, 0xb8, 0x10, 0, 0xca, 0xfe, 0, 0, 0, 0, 0, 0,
					0, 2 };
	uint8_t out[UWG_PCP_MAX];
	struct msg m;
	size_t n = 0;

	reset();
	memset(&m, 0, sizeof(m));
	m.b[0] = 2;
	memcpy(m.b + 8, v6, 16);
	m.n = 24;
	uwg_pcp_handle(&cx, m.b, m.n, v6, 77, out, &n);
	CHECK(n == 24 && out[1] == 0x80 && out[3] == UWG_PCP_SUCCESS);
	/* a MAP from outside the tunnel's IPv6 prefix: refused, nothing made */
	m = map_req(A, 0x10, 6, 8043, 8043, 600);
	memcpy(m.b + 8, v6, 16);
	memcpy(m.b + 44, v6, 16);
	uwg_pcp_handle(&cx, m.b, m.n, v6, 77, out, &n);
	CHECK(n == 60 && out[1] == 0x81 && out[3] == UWG_PCP_NOT_AUTHORIZED && table.n == 0 &&
	      table.n_pinholes == 0);
	/* an IPv4-mapped field from an IPv6 source: ADDRESS_MISMATCH */
	m = map_req(A, 0x10, 6, 8043, 8043, 600);
	uwg_pcp_handle(&cx, m.b, m.n, v6, 77, out, &n);
	CHECK(n == 60 && out[3] == UWG_PCP_ADDRESS_MISMATCH);
}

/* A firewall MAP: a pinhole for the client's own address, external = internal, its nonce kept. */
static void test_ipv6_map(void)
{
	static const char want[] =
		"02810000" "00000258" "0000004d" "000000000000000000000000"
		"101010101010101010101010" "06000000" "1f901f90"
		"fd000100000000000000000000000002";
	const struct uwg_igd_maptable_pinhole *e;
	struct in6_addr p6, q6;
	static struct msg m;
	const struct reply *r;
	char hex[2 * 60 + 1];
	uint16_t id;

	inet_pton(AF_INET6, "fd00:100::2", &p6);
	inet_pton(AF_INET6, "fd00:100::3", &q6);

	/* no firewall behind the ops (or it is off, or takes no inbound pinholes): refused */
	reset();
	map_req6(&m, &p6, 0x10, 6, 8080, 8080, 600);
	ops.fw_status = NULL;
	CHECK_EQ_U64(send6(&p6, &m)->result, UWG_PCP_NOT_AUTHORIZED);
	reset();
	table.fw_enabled = false;
	CHECK_EQ_U64(send6(&p6, &m)->result, UWG_PCP_NOT_AUTHORIZED);
	table.fw_enabled = true;
	table.fw_inbound = false;
	CHECK_EQ_U64(send6(&p6, &m)->result, UWG_PCP_NOT_AUTHORIZED);
	CHECK_EQ_U64(table.n_pinholes, 0);

	/* create: the suggested port (9999) does not matter, the reply names the internal side */
	reset();
	map_req6(&m, &p6, 0x10, 6, 8080, 9999, 600);
	r = send6(&p6, &m);
	CHECK_EQ_U64(r->n, 60);
	for (size_t i = 0; i < r->n && i < 60; i++)
		snprintf(hex + 2 * i, 3, "%02x", r->b[i]);
	CHECK_EQ_STR(hex, want);
	CHECK_EQ_U64(table.n, 0); /* nothing in the NAT */
	e = only_pinhole();
	if (!e)
		return;
	id = e->ph.id;
	CHECK_EQ_STR(e->ph.desc, "PCP MAP 101010101010101010101010");
	CHECK(e->ph.origin == UWG_IGD_ORIGIN_PCP && e->ph.proto == IPPROTO_TCP &&
	      e->ph.int_port == 8080 && e->ph.lease_s == 600 && e->ph.remote_port == 0 &&
	      IN6_IS_ADDR_UNSPECIFIED(&e->ph.remote_host) && !memcmp(&e->ph.int_client, &p6, 16));
	/* refresh, same nonce: the same pinhole, the new lifetime */
	map_req6(&m, &p6, 0x10, 6, 8080, 8080, 1000);
	r = send6(&p6, &m);
	CHECK(r->result == 0 && r->lifetime == 1000 && r->ext_port == 8080);
	e = only_pinhole();
	CHECK(e && e->ph.id == id && e->ph.lease_s == 1000);
	/* another nonce: NOT_AUTHORIZED with what is left, for a refresh and a delete alike */
	fake_now += 100;
	map_req6(&m, &p6, 0x20, 6, 8080, 8080, 600);
	r = send6(&p6, &m);
	CHECK(r->result == UWG_PCP_NOT_AUTHORIZED && r->lifetime == 900);
	map_req6(&m, &p6, 0x20, 6, 8080, 0, 0);
	CHECK_EQ_U64(send6(&p6, &m)->result, UWG_PCP_NOT_AUTHORIZED);
	e = only_pinhole();
	CHECK(e && e->ph.id == id);
	/* lifetimes clamped like IPv4 maps, [120, 86400] */
	map_req6(&m, &p6, 0x10, 6, 8080, 8080, 30);
	CHECK_EQ_U64(send6(&p6, &m)->lifetime, 120);
	map_req6(&m, &p6, 0x10, 6, 8080, 8080, 999999);
	CHECK_EQ_U64(send6(&p6, &m)->lifetime, 86400);
	/* the other protocol is another pinhole; Q's own port too */
	map_req6(&m, &p6, 0x10, 17, 8080, 8080, 600);
	CHECK_EQ_U64(send6(&p6, &m)->result, 0);
	map_req6(&m, &q6, 0x30, 6, 8080, 8080, 600);
	CHECK_EQ_U64(send6(&q6, &m)->result, 0);
	CHECK_EQ_U64(table.n_pinholes, 3);
	/* privileged ports, protocols, all ports */
	map_req6(&m, &p6, 0x10, 6, 80, 80, 600);
	CHECK_EQ_U64(send6(&p6, &m)->result, UWG_PCP_NOT_AUTHORIZED);
	pol.allow_privileged = true;
	CHECK_EQ_U64(send6(&p6, &m)->result, 0);
	pol.allow_privileged = false;
	map_req6(&m, &p6, 0x10, 1, 0, 0, 600);
	CHECK_EQ_U64(send6(&p6, &m)->result, UWG_PCP_UNSUPP_PROTOCOL);
	map_req6(&m, &p6, 0x10, 0, 8080, 0, 600);
	CHECK_EQ_U64(send6(&p6, &m)->result, UWG_PCP_MALFORMED_REQUEST);
	map_req6(&m, &p6, 0x10, 6, 0, 0, 600);
	CHECK_EQ_U64(send6(&p6, &m)->result, UWG_PCP_NOT_AUTHORIZED);
	/* delete with its nonce: SUCCESS, lifetime 0, the suggestion copied back; again SUCCESS */
	map_req6(&m, &p6, 0x10, 6, 8080, 8081, 0);
	memset(m.b + 44, 0xab, 16);
	r = send6(&p6, &m);
	CHECK(r->result == 0 && r->lifetime == 0 && r->ext_port == 8081 && r->b[44] == 0xab);
	CHECK_EQ_U64(table.n_pinholes, 3);
	r = send6(&p6, &m);
	CHECK(r->result == 0 && r->lifetime == 0);
	/* a full table: NO_RESOURCES, a short error */
	table.pinhole_cap = table.n_pinholes;
	map_req6(&m, &p6, 0x10, 6, 8090, 8090, 600);
	r = send6(&p6, &m);
	CHECK(r->result == UWG_PCP_NO_RESOURCES && r->lifetime == UWG_PCP_SHORT_ERROR_S);
}

static void test_ipv6_options(void)
{
	uint8_t tp[16], filter[20] = { 0 };
	struct in6_addr p6, p6b;
	static struct msg m;
	const struct reply *r;

	inet_pton(AF_INET6, "fd00:100::2", &p6);
	inet_pton(AF_INET6, "fd00:100::9", &p6b);
	reset();
	/* PREFER_FAILURE: only the internal port (and address) can be had */
	map_req6(&m, &p6, 0x01, 6, 8080, 9000, 600);
	add_option(&m, 2, NULL, 0);
	CHECK_EQ_U64(send6(&p6, &m)->result, UWG_PCP_CANNOT_PROVIDE_EXTERNAL);
	map_req6(&m, &p6, 0x01, 6, 8080, 8080, 600);
	inet_pton(AF_INET6, "fd00:100::77", m.b + 44);
	add_option(&m, 2, NULL, 0);
	CHECK_EQ_U64(send6(&p6, &m)->result, UWG_PCP_CANNOT_PROVIDE_EXTERNAL);
	CHECK_EQ_U64(table.n_pinholes, 0);
	map_req6(&m, &p6, 0x01, 6, 8080, 8080, 600);
	memcpy(m.b + 44, &p6, 16);
	add_option(&m, 2, NULL, 0);
	r = send6(&p6, &m);
	CHECK(r->result == 0 && r->n == 64 && r->b[60] == 2 && r->ext_port == 8080);
	map_req6(&m, &p6, 0x01, 6, 8080, 0, 600);
	add_option(&m, 2, NULL, 0);
	CHECK_EQ_U64(send6(&p6, &m)->result, UWG_PCP_MALFORMED_OPTION);
	/* FILTER: a pinhole lets everyone in, so only prefix 0 is honoured (and echoed) */
	filter[1] = 128;
	inet_pton(AF_INET6, "2001:db8::7", filter + 4);
	map_req6(&m, &p6, 0x02, 6, 8081, 8081, 600);
	add_option(&m, 3, filter, 20);
	CHECK_EQ_U64(send6(&p6, &m)->result, UWG_PCP_UNSUPP_OPTION);
	filter[1] = 96; /* "any IPv4 host" is no filter a pinhole has */
	put_v4(filter + 4, (struct in_addr){ 0 });
	map_req6(&m, &p6, 0x02, 6, 8081, 8081, 600);
	add_option(&m, 3, filter, 20);
	CHECK_EQ_U64(send6(&p6, &m)->result, UWG_PCP_UNSUPP_OPTION);
	filter[1] = 0;
	map_req6(&m, &p6, 0x02, 6, 8081, 8081, 600);
	add_option(&m, 3, filter, 20);
	r = send6(&p6, &m);
	CHECK(r->result == 0 && r->n == 84 && r->b[60] == 3);
	/* THIRD_PARTY: IPv4 over IPv6 unsupported, oneself malformed */
	put_v4(tp, A);
	map_req6(&m, &p6, 0x03, 6, 8082, 8082, 600);
	add_option(&m, 1, tp, 16);
	CHECK_EQ_U64(send6(&p6, &m)->result, UWG_PCP_UNSUPP_OPTION);
	memcpy(tp, &p6, 16);
	map_req6(&m, &p6, 0x03, 6, 8082, 8082, 600);
	add_option(&m, 1, tp, 16);
	CHECK_EQ_U64(send6(&p6, &m)->result, UWG_PCP_MALFORMED_REQUEST);
	/* another address: the table decides whose it is (here every address is its own owner) */
	memcpy(tp, &p6b, 16);
	map_req6(&m, &p6, 0x03, 6, 8082, 8082, 600);
	add_option(&m, 1, tp, 16);
	CHECK_EQ_U64(send6(&p6, &m)->result, UWG_PCP_NOT_AUTHORIZED);
	/* ... and with the peer owning the /64, a pinhole to that address */
	table.owner6_bits = 64;
	r = send6(&p6, &m);
	CHECK(r->result == 0 && r->n == 80 && r->b[60] == 1 && r->ext_port == 8082 &&
	      !memcmp(r->b + 44, &p6b, 16));
	{
		struct uwg_igd_pinhole key = { .proto = IPPROTO_TCP, .int_client = p6b,
					       .int_port = 8082 }, got;

		CHECK_EQ_INT(ops.find_pinhole(ops.ctx, &key, p6, &got), 0);
	}
	/* the refresh and the delete of it name the same third party */
	map_req6(&m, &p6, 0x03, 6, 8082, 8082, 0);
	add_option(&m, 1, tp, 16);
	CHECK_EQ_U64(send6(&p6, &m)->result, 0);
	CHECK_EQ_U64(table.n_pinholes, 2);
	/* an IPv6 THIRD_PARTY in an IPv4 request stays unsupported */
	m = map_req(A, 0x04, 6, 8083, 8083, 600);
	add_option(&m, 1, tp, 16);
	CHECK_EQ_U64(send_from(A, &m).result, UWG_PCP_UNSUPP_OPTION);
}

/* A pinhole UPnP made (no nonce): its owner renews or deletes it through PCP, it stays UPnP's. */
static void test_ipv6_upnp_pinhole(void)
{
	struct uwg_igd_pinhole ph = { .proto = IPPROTO_UDP, .int_port = 6881, .lease_s = 600,
				      .origin = UWG_IGD_ORIGIN_UPNP, .desc = "IGD2 pinhole" };
	const struct uwg_igd_maptable_pinhole *e;
	struct in6_addr p6;
	static struct msg m;
	uint16_t id;

	inet_pton(AF_INET6, "fd00:100::2", &p6);
	reset();
	ph.int_client = p6;
	CHECK_EQ_INT(ops.add_pinhole(ops.ctx, &ph, p6, &id), 0);
	map_req6(&m, &p6, 0x55, 17, 6881, 6881, 3600);
	CHECK_EQ_U64(send6(&p6, &m)->result, 0);
	e = only_pinhole();
	CHECK(e && e->ph.id == id && e->ph.lease_s == 3600 && e->ph.origin == UWG_IGD_ORIGIN_UPNP &&
	      !strcmp(e->ph.desc, "IGD2 pinhole"));
	map_req6(&m, &p6, 0x66, 17, 6881, 0, 0);
	CHECK_EQ_U64(send6(&p6, &m)->result, 0);
	CHECK_EQ_U64(table.n_pinholes, 0);
}

int main(void)
{
	A.s_addr = htonl(0x0a640002u);  /* 10.100.0.2 */
	A2.s_addr = htonl(0x0a640003u); /* 10.100.0.3: A's peer's other address */
	B.s_addr = htonl(0x0a640005u);  /* 10.100.0.5: another peer */
	test_announce_and_header();
	test_map();
	test_options();
	test_other_origins();
	test_ipv6_header();
	test_ipv6_map();
	test_ipv6_options();
	test_ipv6_upnp_pinhole();
	return harness_report("test_pcp");
}
