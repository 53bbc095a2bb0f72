/*
 * test/unit/core/ip/test_nat.c - core/ip/nat.c on crafted IPv4 packets. Packets are built
 * here with checksums computed from scratch (own reference code, not
 * core/ip/checksum.c), translated, and every checksum of the result (IPv4
 * header, TCP/UDP with pseudo header, ICMP, and the quoted header inside ICMP
 * errors) is recomputed in full and compared with the stored field.
 */
#include <errno.h>
#include <netinet/in.h>

#include "core/ip/nat.h"
#include "test/harness.h"

#define S_NS 1000000000ull

/* 203.0.114.0/24 stands in for the internet (project rule); 10.100.0.0/24 is the tunnel. */
#define PUB 0xcb007201u     /* 203.0.114.1 */
#define REM 0xcb007202u     /* 203.0.114.2 */
#define REM2 0xcb007203u    /* 203.0.114.3 */
#define ROUTER 0xcb0072feu  /* 203.0.114.254 */
#define CLI_M 0x0a640002u   /* 10.100.0.2: runs the mapped services */
#define CLI_A 0x0a640003u   /* 10.100.0.3 */
#define CLI_B 0x0a640004u   /* 10.100.0.4 */
#define OUTSIDER 0x0a650001u /* 10.101.0.1: not in the inside net */

enum { PORT_MIN = 61440, PORT_MAX = 65535 };

/* ---- reference checksums (independent of core/ip/checksum.c) ---- */

static uint32_t ref_add(uint32_t s, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		s += (i & 1) ? p[i] : (uint32_t)p[i] << 8;
		while (s >> 16)
			s = (s & 0xffff) + (s >> 16);
	}
	return s;
}

static uint16_t ref_fin(uint32_t s)
{
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

static uint16_t be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

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

/* Checksum a field should hold: computed over the region with that field zeroed. */
static uint16_t ref_field(uint8_t *region, size_t n, size_t field, uint32_t pseudo)
{
	uint8_t save[2] = { region[field], region[field + 1] };
	uint16_t c;

	region[field] = region[field + 1] = 0;
	c = ref_fin(ref_add(pseudo, region, n));
	region[field] = save[0];
	region[field + 1] = save[1];
	return c;
}

static uint32_t ref_pseudo(const uint8_t *ip, uint8_t proto, size_t l4len)
{
	uint32_t s = ref_add(0, ip + 12, 8);

	s += proto;
	s += (uint32_t)l4len;
	return s;
}

/* Fills every checksum of a packet from scratch (for building). */
static void fill_l4(uint8_t *ip, size_t l4len)
{
	size_t hl = (size_t)(ip[0] & 15) * 4;
	uint8_t *l4 = ip + hl;

	switch (ip[9]) {
	case IPPROTO_TCP:
		put16(l4 + 16, ref_field(l4, l4len, 16, ref_pseudo(ip, 6, l4len)));
		break;
	case IPPROTO_UDP:
		if (be16(l4 + 6) != 0 || l4[7] == 0xaa) { /* nonzero unless built as "no csum" */
			uint16_t c = ref_field(l4, l4len, 6, ref_pseudo(ip, 17, l4len));

			put16(l4 + 6, c ? c : 0xffff);
		}
		break;
	case IPPROTO_ICMP:
		put16(l4 + 2, ref_field(l4, l4len, 2, 0));
		break;
	default:
		break;
	}
}

static void fill_ip(uint8_t *ip)
{
	size_t hl = (size_t)(ip[0] & 15) * 4;

	put16(ip + 10, ref_field(ip, hl, 10, 0));
}

/*
 * Every checksum in the packet against full recomputation. For ICMP errors
 * also the quoted IPv4 header, and the quoted L4 checksum when the quote is
 * complete. Returns the number of mismatches (printed).
 */
static int verify_one(uint8_t *ip, size_t avail, bool quoted, int depth);
static bool verify_quiet;

#define VERR(...)                                       \
	do {                                            \
		if (!verify_quiet)                      \
			fprintf(stderr, __VA_ARGS__);   \
	} while (0)

static int verify_l4(uint8_t *ip, size_t l4len, bool complete, int depth)
{
	size_t hl = (size_t)(ip[0] & 15) * 4;
	uint8_t *l4 = ip + hl;
	int bad = 0;

	switch (ip[9]) {
	case IPPROTO_TCP:
		if (complete && be16(l4 + 16) != ref_field(l4, l4len, 16, ref_pseudo(ip, 6, l4len))) {
			VERR("  bad TCP checksum %04x\n", be16(l4 + 16));
			bad++;
		}
		break;
	case IPPROTO_UDP:
		if (complete && be16(l4 + 6) != 0) {
			uint16_t c = ref_field(l4, l4len, 6, ref_pseudo(ip, 17, l4len));

			if (be16(l4 + 6) != (c ? c : 0xffff)) {
				VERR("  bad UDP checksum %04x want %04x\n", be16(l4 + 6), c);
				bad++;
			}
		}
		break;
	case IPPROTO_ICMP:
		if (complete && be16(l4 + 2) != ref_field(l4, l4len, 2, 0)) {
			VERR("  bad ICMP checksum\n");
			bad++;
		}
		if (!depth && (l4[0] == 3 || l4[0] == 11 || l4[0] == 12) && l4len >= 28)
			bad += verify_one(l4 + 8, l4len - 8, true, depth + 1);
		break;
	default:
		break;
	}
	return bad;
}

static int verify_one(uint8_t *ip, size_t avail, bool quoted, int depth)
{
	size_t hl = (size_t)(ip[0] & 15) * 4, tot = be16(ip + 2);
	int bad = 0;

	if (be16(ip + 10) != ref_field(ip, hl, 10, 0)) {
		VERR("  bad %sIPv4 header checksum\n", quoted ? "quoted " : "");
		bad++;
	}
	if (quoted)
		return bad + verify_l4(ip, tot - hl, tot <= avail, depth);
	return bad + verify_l4(ip, tot - hl, true, depth);
}

static int verify(uint8_t *pkt, size_t len)
{
	return verify_one(pkt, len, false, 0);
}

/* ---- packet builders ---- */

static uint16_t ip_id = 1;

static size_t build_ip(uint8_t *p, uint8_t proto, uint32_t src, uint32_t dst, size_t l4len)
{
	memset(p, 0, 20);
	p[0] = 0x45;
	put16(p + 2, (uint16_t)(20 + l4len));
	put16(p + 4, ip_id++);
	put16(p + 6, 0x4000); /* DF */
	p[8] = 64;
	p[9] = proto;
	put32(p + 12, src);
	put32(p + 16, dst);
	return 20 + l4len;
}

static void finish(uint8_t *p)
{
	fill_l4(p, be16(p + 2) - 20u);
	fill_ip(p);
}

/* TCP with optional MSS option (mss 0: none; nop_first: put it at an odd offset). */
static size_t tcp_pkt(uint8_t *p, uint32_t src, uint16_t sp, uint32_t dst, uint16_t dp,
		      uint8_t flags, uint16_t mss, bool nop_first, size_t payload)
{
	size_t opt = mss ? 8 : 0, l4len = 20 + opt + payload;
	uint8_t *t = p + 20;

	build_ip(p, IPPROTO_TCP, src, dst, l4len);
	memset(t, 0, l4len);
	put16(t, sp);
	put16(t + 2, dp);
	put32(t + 4, 0x11223344);
	put32(t + 8, (flags & 0x10) ? 0x55667788 : 0);
	t[12] = (uint8_t)(((20 + opt) / 4) << 4);
	t[13] = flags;
	put16(t + 14, 64240);
	if (mss) {
		uint8_t *o = t + 20;

		if (nop_first) {
			o[0] = 1;
			o[1] = 2;
			o[2] = 4;
			put16(o + 3, mss);
			o[5] = 1;
			o[6] = 1;
			o[7] = 0;
		} else {
			o[0] = 2;
			o[1] = 4;
			put16(o + 2, mss);
			o[4] = 1;
			o[5] = 3; /* window scale */
			o[6] = 3;
			o[7] = 7;
		}
	}
	for (size_t i = 0; i < payload; i++)
		t[20 + opt + i] = (uint8_t)(i * 7 + 3);
	finish(p);
	return 20 + l4len;
}

static size_t udp_pkt(uint8_t *p, uint32_t src, uint16_t sp, uint32_t dst, uint16_t dp,
		      size_t payload, bool no_csum)
{
	size_t l4len = 8 + payload;
	uint8_t *u = p + 20;

	build_ip(p, IPPROTO_UDP, src, dst, l4len);
	put16(u, sp);
	put16(u + 2, dp);
	put16(u + 4, (uint16_t)l4len);
	put16(u + 6, 0);
	u[7] = no_csum ? 0 : 0xaa; /* marker read by fill_l4 */
	for (size_t i = 0; i < payload; i++)
		u[8 + i] = (uint8_t)(i * 13 + 1);
	finish(p);
	if (no_csum)
		put16(u + 6, 0);
	fill_ip(p);
	return 20 + l4len;
}

static size_t echo_pkt(uint8_t *p, uint32_t src, uint32_t dst, uint8_t type, uint16_t id,
		       uint16_t seq, size_t payload)
{
	size_t l4len = 8 + payload;
	uint8_t *c = p + 20;

	build_ip(p, IPPROTO_ICMP, src, dst, l4len);
	memset(c, 0, l4len);
	c[0] = type;
	put16(c + 4, id);
	put16(c + 6, seq);
	for (size_t i = 0; i < payload; i++)
		c[8 + i] = (uint8_t)(0x40 + i);
	finish(p);
	return 20 + l4len;
}

/* An ICMP error quoting qlen bytes of the packet q (0: all of it). */
static size_t icmp_err(uint8_t *p, uint32_t src, uint32_t dst, uint8_t type, uint8_t code,
		       uint16_t mtu, const uint8_t *q, size_t qlen)
{
	size_t qtot = be16(q + 2);
	size_t n = qlen ? qlen : qtot;
	uint8_t *c = p + 20;

	build_ip(p, IPPROTO_ICMP, src, dst, 8 + n);
	memset(c, 0, 8);
	c[0] = type;
	c[1] = code;
	put16(c + 6, mtu);
	memcpy(c + 8, q, n);
	finish(p);
	return 20 + 8 + n;
}

/* Field access on the outer packet and on an error's quoted packet. */
static uint32_t f_src(const uint8_t *p)
{
	return be32(p + 12);
}

static uint32_t f_dst(const uint8_t *p)
{
	return be32(p + 16);
}

static uint16_t f_sport(const uint8_t *p)
{
	return be16(p + (p[0] & 15) * 4);
}

static uint16_t f_dport(const uint8_t *p)
{
	return be16(p + (p[0] & 15) * 4 + 2);
}

static uint16_t f_icmp_id(const uint8_t *p)
{
	return be16(p + (p[0] & 15) * 4 + 4);
}

static uint8_t *quoted(uint8_t *p)
{
	return p + 20 + 8;
}

static uint16_t f_mss(const uint8_t *p)
{
	const uint8_t *t = p + 20;
	size_t doff = (size_t)(t[12] >> 4) * 4;

	for (size_t i = 20; i + 4 <= doff;) {
		if (t[i] == 1) {
			i++;
			continue;
		}
		if (t[i] == 2)
			return be16(t + i + 2);
		if (t[i] == 0 || t[i + 1] < 2)
			break;
		i += t[i + 1];
	}
	return 0;
}

static bool in_pool(uint16_t port)
{
	return port >= PORT_MIN; /* PORT_MAX is 65535 */
}

/* ---- fixture ---- */

static struct uwg_nat *make_nat(uint32_t max_flows, uint16_t pmin, uint16_t pmax)
{
	struct uwg_nat_config cfg = {
		.public_ip = PUB,
		.inside_net = 0x0a640000u,
		.inside_mask = 0xffffff00u,
		.masquerade = true,
		.port_min = pmin,
		.port_max = pmax,
		.icmp_id_min = PORT_MIN,
		.icmp_id_max = PORT_MAX,
		.max_flows = max_flows,
		.max_maps = 8,
		.mss_clamp = uwg_nat_mss_for_mtu(1420),
		.hash_key = { 0x0123456789abcdefull, 0xfedcba9876543210ull },
	};
	struct uwg_nat *nat = NULL;

	if (uwg_nat_new(&nat, &cfg) != 0) {
		fprintf(stderr, "uwg_nat_new failed\n");
		exit(1);
	}
	return nat;
}

static int add_map(struct uwg_nat *nat, uint8_t proto, uint16_t ext, uint32_t ia, uint16_t ip,
		   uint64_t owner, uint64_t expires)
{
	struct uwg_nat_map m = { .proto = proto, .ext_port = ext, .int_addr = ia, .int_port = ip,
				 .owner = owner, .expires_ns = expires };

	snprintf(m.desc, sizeof(m.desc), "map %u", ext);
	return uwg_nat_map_add(nat, &m, 0);
}

static struct uwg_nat_stats stats(const struct uwg_nat *nat)
{
	struct uwg_nat_stats st;

	uwg_nat_get_stats(nat, &st);
	return st;
}

/* ---- tests ---- */

/* The checker itself must notice every kind of damage. */
static void test_verifier(void)
{
	uint8_t p[1600], q[1600];
	size_t n, qn;

	verify_quiet = true;
	n = tcp_pkt(p, REM, 1, PUB, 2, 0x02, 1460, false, 10);
	CHECK_EQ_INT(verify(p, n), 0);
	p[n - 1] ^= 0x40;
	CHECK_EQ_INT(verify(p, n), 1);
	p[n - 1] ^= 0x40;
	p[15] ^= 1; /* source address: IPv4 and TCP (pseudo header) both break */
	CHECK_EQ_INT(verify(p, n), 2);
	n = udp_pkt(p, REM, 1, PUB, 2, 10, false);
	p[n - 1] ^= 1;
	CHECK_EQ_INT(verify(p, n), 1);
	n = udp_pkt(p, REM, 1, PUB, 2, 10, true);
	p[n - 1] ^= 1;
	CHECK_EQ_INT(verify(p, n), 0); /* no checksum: nothing to check */
	n = echo_pkt(p, REM, PUB, 0, 1, 1, 8);
	p[n - 1] ^= 1;
	CHECK_EQ_INT(verify(p, n), 1);
	qn = udp_pkt(q, PUB, 1, REM, 2, 10, false);
	n = icmp_err(p, REM, PUB, 3, 3, 0, q, 0);
	CHECK_EQ_INT(verify(p, n), 0);
	quoted(p)[13] ^= 1; /* quoted source: quoted IPv4, quoted UDP and ICMP break */
	CHECK_EQ_INT(verify(p, n), 3);
	(void)qn;
	verify_quiet = false;
}

static void test_config(void)
{
	struct uwg_nat_config cfg = { .public_ip = PUB, .masquerade = true };
	struct uwg_nat *nat;

	CHECK_EQ_INT(uwg_nat_new(&nat, &cfg), -EINVAL); /* masquerade without a pool */
	cfg.port_min = 100;
	cfg.port_max = 50;
	CHECK_EQ_INT(uwg_nat_new(&nat, &cfg), -EINVAL);
	cfg.public_ip = 0;
	cfg.port_max = 200;
	CHECK_EQ_INT(uwg_nat_new(&nat, &cfg), -EINVAL);
	cfg.public_ip = PUB;
	CHECK_EQ_INT(uwg_nat_new(&nat, &cfg), 0);
	uwg_nat_free(nat);
	CHECK_EQ_U64(uwg_nat_mss_for_mtu(1420), 1380);
	CHECK_EQ_U64(uwg_nat_mss_for_mtu(1500), 1460);
	CHECK_EQ_U64(uwg_nat_mss_for_mtu(60), 0);
}

static bool seen_expired;

static void on_expired(void *ctx, const struct uwg_nat_map *m)
{
	(void)ctx;
	seen_expired = m->ext_port == 9000 && m->proto == IPPROTO_UDP;
}

static void test_map_api(void)
{
	struct uwg_nat *nat = make_nat(64, PORT_MIN, PORT_MAX);
	const struct uwg_nat_map *m;
	struct uwg_nat_map big = { .proto = IPPROTO_TCP, .ext_port = 1, .int_addr = CLI_M,
				   .int_port = 1, .owner = 1 };
	unsigned n;

	CHECK_EQ_INT(add_map(nat, IPPROTO_TCP, 8080, CLI_M, 80, 1, 0), 0);
	CHECK_EQ_INT(add_map(nat, IPPROTO_TCP, 8080, CLI_A, 80, 2, 0), -EEXIST);
	CHECK_EQ_INT(add_map(nat, IPPROTO_UDP, 8080, CLI_A, 80, 2, 0), 0); /* other proto */
	CHECK_EQ_INT(add_map(nat, IPPROTO_TCP, 8081, CLI_M, 80, 1, 0), -EADDRINUSE);
	CHECK_EQ_INT(add_map(nat, IPPROTO_TCP, 8080, CLI_M, 81, 1, 0), 0); /* owner updates */
	m = uwg_nat_map_find(nat, IPPROTO_TCP, 8080, 0);
	CHECK(m && m->int_port == 81 && m->int_addr == CLI_M && !strcmp(m->desc, "map 8080"));
	CHECK_EQ_INT(add_map(nat, IPPROTO_TCP, 8081, CLI_M, 80, 1, 0), 0); /* 80 is free again */
	CHECK_EQ_INT(add_map(nat, IPPROTO_TCP, 61440, CLI_M, 90, 1, 0), -ERANGE); /* in pool */
	CHECK_EQ_INT(add_map(nat, IPPROTO_TCP, 0, CLI_M, 90, 1, 0), -ERANGE);
	CHECK_EQ_INT(add_map(nat, IPPROTO_TCP, 90, CLI_M, 0, 1, 0), -ERANGE);
	CHECK_EQ_INT(add_map(nat, IPPROTO_ICMP, 90, CLI_M, 90, 1, 0), -EINVAL);
	CHECK_EQ_INT(add_map(nat, IPPROTO_TCP, 90, OUTSIDER, 90, 1, 0), -EINVAL);
	CHECK_EQ_INT(add_map(nat, IPPROTO_TCP, 90, PUB, 90, 1, 0), -EINVAL);
	CHECK_EQ_INT(uwg_nat_map_del(nat, IPPROTO_TCP, 8080, 2), -EPERM);
	CHECK_EQ_INT(uwg_nat_map_del(nat, IPPROTO_TCP, 7777, 1), -ENOENT);
	CHECK_EQ_U64(uwg_nat_map_count(nat), 3);

	/* Iteration sees each stored map once. */
	n = 0;
	for (m = uwg_nat_map_next(nat, NULL); m; m = uwg_nat_map_next(nat, m))
		n++;
	CHECK_EQ_U64(n, 3);

	/* Capacity (max_maps = 8). */
	for (uint16_t p = 100; p < 105; p++)
		CHECK_EQ_INT(add_map(nat, IPPROTO_UDP, p, CLI_B, p, 3, 0), 0);
	CHECK_EQ_INT(uwg_nat_map_add(nat, &big, 0), -ENOSPC);
	CHECK_EQ_U64(uwg_nat_map_del_owner(nat, 3), 5);
	CHECK_EQ_U64(uwg_nat_map_count(nat), 3);
	CHECK_EQ_INT(uwg_nat_map_del(nat, IPPROTO_TCP, 8080, 1), 0);
	CHECK(uwg_nat_map_find(nat, IPPROTO_TCP, 8080, 0) == NULL);

	/* Leases: invisible once expired, replaceable by another owner, reaped with a callback. */
	CHECK_EQ_INT(add_map(nat, IPPROTO_UDP, 9000, CLI_B, 9000, 4, 100 * S_NS), 0);
	CHECK(uwg_nat_map_find(nat, IPPROTO_UDP, 9000, 99 * S_NS) != NULL);
	CHECK(uwg_nat_map_find(nat, IPPROTO_UDP, 9000, 100 * S_NS) == NULL);
	seen_expired = false;
	CHECK_EQ_U64(uwg_nat_expire(nat, 50 * S_NS, 0, on_expired, NULL), 0);
	CHECK(!seen_expired);
	CHECK_EQ_U64(uwg_nat_expire(nat, 101 * S_NS, 0, on_expired, NULL), 1);
	CHECK(seen_expired);
	CHECK_EQ_U64(stats(nat).maps_expired, 1);
	CHECK_EQ_INT(add_map(nat, IPPROTO_UDP, 9001, CLI_B, 9001, 4, 10 * S_NS), 0);
	{
		struct uwg_nat_map r = { .proto = IPPROTO_UDP, .ext_port = 9001, .int_addr = CLI_A,
					 .int_port = 9001, .owner = 5 };

		CHECK_EQ_INT(uwg_nat_map_add(nat, &r, 5 * S_NS), -EEXIST);
		CHECK_EQ_INT(uwg_nat_map_add(nat, &r, 11 * S_NS), 0);
		m = uwg_nat_map_find(nat, IPPROTO_UDP, 9001, 11 * S_NS);
		CHECK(m && m->owner == 5 && m->int_addr == CLI_A);
	}
	uwg_nat_free(nat);
}

static void test_dnat_tcp(void)
{
	struct uwg_nat *nat = make_nat(64, PORT_MIN, PORT_MAX);
	uint8_t p[1600];
	size_t n;
	enum uwg_nat_drop why;

	CHECK_EQ_INT(add_map(nat, IPPROTO_TCP, 8080, CLI_M, 80, 1, 0), 0);

	/* world -> public:8080 becomes -> M:80, source untouched; SYN MSS clamped. */
	n = tcp_pkt(p, REM, 40000, PUB, 8080, 0x02, 1460, false, 0);
	CHECK_EQ_INT(verify(p, n), 0);
	CHECK_EQ_INT(uwg_nat_inbound(nat, p, n, 0, &why), UWG_NAT_TO_TUNNEL);
	CHECK_EQ_U64(f_dst(p), CLI_M);
	CHECK_EQ_U64(f_dport(p), 80);
	CHECK_EQ_U64(f_src(p), REM);
	CHECK_EQ_U64(f_sport(p), 40000);
	CHECK_EQ_U64(f_mss(p), 1380);
	CHECK_EQ_INT(verify(p, n), 0);

	/* M:80 -> world leaves as public:8080, with payload. */
	n = tcp_pkt(p, CLI_M, 80, REM, 40000, 0x18, 0, false, 333);
	CHECK_EQ_INT(uwg_nat_outbound(nat, p, n, 0, &why), UWG_NAT_TO_WORLD);
	CHECK_EQ_U64(f_src(p), PUB);
	CHECK_EQ_U64(f_sport(p), 8080);
	CHECK_EQ_U64(f_dst(p), REM);
	CHECK_EQ_U64(f_dport(p), 40000);
	CHECK_EQ_INT(verify(p, n), 0);

	/* Inbound to an unmapped, non-pool port: not ours, not touched. */
	n = tcp_pkt(p, REM, 40000, PUB, 22, 0x02, 0, false, 0);
	{
		uint8_t copy[1600];

		memcpy(copy, p, n);
		CHECK_EQ_INT(uwg_nat_inbound(nat, p, n, 0, &why), UWG_NAT_NOT_OURS);
		CHECK_MEM_EQ(p, copy, n);
	}
	/* Removing the map stops it at once (stateless). */
	CHECK_EQ_INT(uwg_nat_map_del(nat, IPPROTO_TCP, 8080, 1), 0);
	n = tcp_pkt(p, REM, 40000, PUB, 8080, 0x10, 0, false, 0);
	CHECK_EQ_INT(uwg_nat_inbound(nat, p, n, 0, &why), UWG_NAT_NOT_OURS);
	CHECK_EQ_U64(stats(nat).in_translated, 1);
	CHECK_EQ_U64(stats(nat).out_translated, 1);
	uwg_nat_free(nat);
}

/* A UDP packet whose translated form must carry a computed checksum of 0 (sent as ffff). */
static size_t udp_zero_after(uint8_t *p, uint32_t src, uint16_t sp, uint32_t dst, uint16_t dp,
			     uint32_t nsrc, uint16_t nsp, uint32_t ndst, uint16_t ndp)
{
	uint8_t *u = p + 20;
	uint16_t word, c;
	uint32_t s;
	size_t n;

	/* In the translated form, pick the payload word that makes the sum ffff. */
	udp_pkt(p, nsrc, nsp, ndst, ndp, 2, false);
	put16(u + 6, 0);
	put16(u + 8, 0);
	s = ref_add(ref_pseudo(p, 17, 10), u, 10);
	word = (uint16_t)(0xffff - s);
	put16(u + 8, word);
	CHECK_EQ_U64(ref_field(u, 10, 6, ref_pseudo(p, 17, 10)), 0);
	/* The untranslated packet with that payload and a correct checksum. */
	n = udp_pkt(p, src, sp, dst, dp, 2, false);
	put16(u + 8, word);
	c = ref_field(u, 10, 6, ref_pseudo(p, 17, 10));
	put16(u + 6, c ? c : 0xffff);
	return n;
}

static void test_dnat_udp(void)
{
	struct uwg_nat *nat = make_nat(64, PORT_MIN, PORT_MAX);
	uint8_t p[1600];
	size_t n;

	CHECK_EQ_INT(add_map(nat, IPPROTO_UDP, 6000, CLI_M, 5353, 1, 0), 0);
	n = udp_pkt(p, REM, 1234, PUB, 6000, 100, false);
	CHECK_EQ_INT(uwg_nat_inbound(nat, p, n, 0, NULL), UWG_NAT_TO_TUNNEL);
	CHECK_EQ_U64(f_dst(p), CLI_M);
	CHECK_EQ_U64(f_dport(p), 5353);
	CHECK_EQ_INT(verify(p, n), 0);

	n = udp_pkt(p, CLI_M, 5353, REM, 1234, 99, false);
	CHECK_EQ_INT(uwg_nat_outbound(nat, p, n, 0, NULL), UWG_NAT_TO_WORLD);
	CHECK_EQ_U64(f_src(p), PUB);
	CHECK_EQ_U64(f_sport(p), 6000);
	CHECK_EQ_INT(verify(p, n), 0);

	/* A zero UDP checksum (none) stays zero both ways. */
	n = udp_pkt(p, REM, 1234, PUB, 6000, 31, true);
	CHECK_EQ_U64(be16(p + 26), 0);
	CHECK_EQ_INT(uwg_nat_inbound(nat, p, n, 0, NULL), UWG_NAT_TO_TUNNEL);
	CHECK_EQ_U64(be16(p + 26), 0);
	CHECK_EQ_U64(f_dst(p), CLI_M);
	CHECK_EQ_INT(verify(p, n), 0);
	n = udp_pkt(p, CLI_M, 5353, REM, 1234, 31, true);
	CHECK_EQ_INT(uwg_nat_outbound(nat, p, n, 0, NULL), UWG_NAT_TO_WORLD);
	CHECK_EQ_U64(be16(p + 26), 0);

	/* A computed 0 after translation goes out as ffff, never as "no checksum". */
	n = udp_zero_after(p, REM, 1234, PUB, 6000, REM, 1234, CLI_M, 5353);
	CHECK_EQ_INT(verify(p, n), 0);
	CHECK_EQ_INT(uwg_nat_inbound(nat, p, n, 0, NULL), UWG_NAT_TO_TUNNEL);
	CHECK_EQ_U64(be16(p + 26), 0xffff);
	CHECK_EQ_INT(verify(p, n), 0);
	uwg_nat_free(nat);
}

static void test_snat(void)
{
	struct uwg_nat *nat = make_nat(64, PORT_MIN, PORT_MAX);
	uint8_t p[1600];
	size_t n;
	uint16_t x, x2, xb, xu;
	enum uwg_nat_drop why;

	/* TCP: A:5000 -> REM:443 leaves as PUB:x, x from the pool. */
	n = tcp_pkt(p, CLI_A, 5000, REM, 443, 0x02, 1460, true, 0);
	CHECK_EQ_INT(uwg_nat_outbound(nat, p, n, 0, &why), UWG_NAT_TO_WORLD);
	x = f_sport(p);
	CHECK(in_pool(x));
	CHECK_EQ_U64(f_src(p), PUB);
	CHECK_EQ_U64(f_dst(p), REM);
	CHECK_EQ_U64(f_dport(p), 443);
	CHECK_EQ_U64(f_mss(p), 1380); /* odd-offset MSS option */
	CHECK_EQ_INT(verify(p, n), 0);

	/* The reply comes back to A:5000. */
	n = tcp_pkt(p, REM, 443, PUB, x, 0x12, 1460, false, 0);
	CHECK_EQ_INT(uwg_nat_inbound(nat, p, n, 0, &why), UWG_NAT_TO_TUNNEL);
	CHECK_EQ_U64(f_dst(p), CLI_A);
	CHECK_EQ_U64(f_dport(p), 5000);
	CHECK_EQ_U64(f_src(p), REM);
	CHECK_EQ_U64(f_mss(p), 1380);
	CHECK_EQ_INT(verify(p, n), 0);

	/* Same inside endpoint to another remote: same external port (EIM). */
	n = tcp_pkt(p, CLI_A, 5000, REM2, 443, 0x02, 0, false, 0);
	CHECK_EQ_INT(uwg_nat_outbound(nat, p, n, 0, &why), UWG_NAT_TO_WORLD);
	x2 = f_sport(p);
	CHECK_EQ_U64(x2, x);
	/* Another client with the same source port: a different external port. */
	n = tcp_pkt(p, CLI_B, 5000, REM, 443, 0x02, 0, false, 0);
	CHECK_EQ_INT(uwg_nat_outbound(nat, p, n, 0, &why), UWG_NAT_TO_WORLD);
	xb = f_sport(p);
	CHECK(xb != x && in_pool(xb));
	CHECK_EQ_INT(verify(p, n), 0);
	/* The reply to B's port goes to B, not A. */
	n = tcp_pkt(p, REM, 443, PUB, xb, 0x12, 0, false, 10);
	CHECK_EQ_INT(uwg_nat_inbound(nat, p, n, 0, &why), UWG_NAT_TO_TUNNEL);
	CHECK_EQ_U64(f_dst(p), CLI_B);
	/* Replies from a different remote port are filtered (no flow). */
	n = tcp_pkt(p, REM, 444, PUB, x, 0x12, 0, false, 0);
	CHECK_EQ_INT(uwg_nat_inbound(nat, p, n, 0, &why), UWG_NAT_DROP);
	CHECK_EQ_INT(why, UWG_NAT_DROP_NO_FLOW);

	/* UDP, payload, round trip. */
	n = udp_pkt(p, CLI_A, 5353, REM, 53, 40, false);
	CHECK_EQ_INT(uwg_nat_outbound(nat, p, n, 0, &why), UWG_NAT_TO_WORLD);
	xu = f_sport(p);
	CHECK(in_pool(xu));
	CHECK_EQ_INT(verify(p, n), 0);
	n = udp_pkt(p, REM, 53, PUB, xu, 400, false);
	CHECK_EQ_INT(uwg_nat_inbound(nat, p, n, 0, &why), UWG_NAT_TO_TUNNEL);
	CHECK_EQ_U64(f_dst(p), CLI_A);
	CHECK_EQ_U64(f_dport(p), 5353);
	CHECK_EQ_INT(verify(p, n), 0);

	/* ICMP echo: id mapped into the id range and back. */
	n = echo_pkt(p, CLI_A, REM, 8, 7, 1, 56);
	CHECK_EQ_INT(uwg_nat_outbound(nat, p, n, 0, &why), UWG_NAT_TO_WORLD);
	x = f_icmp_id(p);
	CHECK(in_pool(x));
	CHECK_EQ_U64(f_src(p), PUB);
	CHECK_EQ_INT(verify(p, n), 0);
	n = echo_pkt(p, REM, PUB, 0, x, 1, 56);
	CHECK_EQ_INT(uwg_nat_inbound(nat, p, n, 0, &why), UWG_NAT_TO_TUNNEL);
	CHECK_EQ_U64(f_dst(p), CLI_A);
	CHECK_EQ_U64(f_icmp_id(p), 7);
	CHECK_EQ_INT(verify(p, n), 0);
	/* Id 0, seq 0, no payload: the translated reply is all zero and needs ffff. */
	n = echo_pkt(p, CLI_B, REM, 8, 0, 0, 0);
	CHECK_EQ_INT(uwg_nat_outbound(nat, p, n, 0, &why), UWG_NAT_TO_WORLD);
	x2 = f_icmp_id(p);
	n = echo_pkt(p, REM, PUB, 0, x2, 0, 0);
	CHECK_EQ_INT(uwg_nat_inbound(nat, p, n, 0, &why), UWG_NAT_TO_TUNNEL);
	CHECK_EQ_U64(f_icmp_id(p), 0);
	CHECK_EQ_U64(be16(p + 22), 0xffff);
	CHECK_EQ_INT(verify(p, n), 0);
	/* Echo replies outside the id range, and echo requests, belong to the host. */
	n = echo_pkt(p, REM, PUB, 0, 7, 1, 8);
	CHECK_EQ_INT(uwg_nat_inbound(nat, p, n, 0, &why), UWG_NAT_NOT_OURS);
	n = echo_pkt(p, REM, PUB, 8, x, 1, 8);
	CHECK_EQ_INT(uwg_nat_inbound(nat, p, n, 0, &why), UWG_NAT_NOT_OURS);
	/* A client pinging the public address is the host's business too. */
	n = echo_pkt(p, CLI_A, PUB, 8, 9, 1, 8);
	CHECK_EQ_INT(uwg_nat_outbound(nat, p, n, 0, &why), UWG_NAT_NOT_OURS);
	/* An echo reply in range with no flow. */
	n = echo_pkt(p, REM2, PUB, 0, x, 1, 8);
	CHECK_EQ_INT(uwg_nat_inbound(nat, p, n, 0, &why), UWG_NAT_DROP);
	CHECK_EQ_INT(why, UWG_NAT_DROP_NO_FLOW);
	CHECK_EQ_U64(stats(nat).flows_active, 6);
	uwg_nat_free(nat);
}

static void test_not_ours_and_drops(void)
{
	struct uwg_nat *nat = make_nat(64, PORT_MIN, PORT_MAX);
	uint8_t p[1600], copy[1600];
	size_t n;
	enum uwg_nat_drop why;

	/* Sources outside the inside net are not masqueraded. */
	n = udp_pkt(p, OUTSIDER, 1000, REM, 53, 4, false);
	memcpy(copy, p, n);
	CHECK_EQ_INT(uwg_nat_outbound(nat, p, n, 0, &why), UWG_NAT_NOT_OURS);
	CHECK_MEM_EQ(p, copy, n);
	/* Tunnel-internal destinations are routed, not NATed. */
	n = udp_pkt(p, CLI_A, 1000, CLI_B, 53, 4, false);
	CHECK_EQ_INT(uwg_nat_outbound(nat, p, n, 0, &why), UWG_NAT_NOT_OURS);
	/* Multicast. */
	n = udp_pkt(p, CLI_A, 1000, 0xe00000fbu, 5353, 4, false);
	CHECK_EQ_INT(uwg_nat_outbound(nat, p, n, 0, &why), UWG_NAT_NOT_OURS);
	/* Other protocols (GRE) and IPv6. */
	n = udp_pkt(p, CLI_A, 1000, REM, 53, 4, false);
	p[9] = 47;
	fill_ip(p);
	CHECK_EQ_INT(uwg_nat_outbound(nat, p, n, 0, &why), UWG_NAT_NOT_OURS);
	memset(p, 0, 40);
	p[0] = 0x60;
	CHECK_EQ_INT(uwg_nat_outbound(nat, p, 40, 0, &why), UWG_NAT_NOT_OURS);

	/* Broken IPv4 header checksum. */
	n = udp_pkt(p, CLI_A, 1000, REM, 53, 4, false);
	p[10] ^= 1;
	CHECK_EQ_INT(uwg_nat_outbound(nat, p, n, 0, &why), UWG_NAT_DROP);
	CHECK_EQ_INT(why, UWG_NAT_DROP_BAD_CSUM);
	/* Truncated: total length beyond the buffer, short TCP, bad UDP length. */
	n = udp_pkt(p, CLI_A, 1000, REM, 53, 4, false);
	CHECK_EQ_INT(uwg_nat_outbound(nat, p, n - 1, 0, &why), UWG_NAT_DROP);
	CHECK_EQ_INT(why, UWG_NAT_DROP_MALFORMED);
	n = tcp_pkt(p, CLI_A, 1000, REM, 80, 0x02, 0, false, 0);
	p[20 + 12] = 0xf0; /* data offset 60 > segment */
	CHECK_EQ_INT(uwg_nat_outbound(nat, p, n, 0, &why), UWG_NAT_DROP);
	CHECK_EQ_INT(why, UWG_NAT_DROP_MALFORMED);
	n = udp_pkt(p, CLI_A, 1000, REM, 53, 4, false);
	put16(p + 24, 200);
	CHECK_EQ_INT(uwg_nat_outbound(nat, p, n, 0, &why), UWG_NAT_DROP);
	CHECK_EQ_INT(uwg_nat_outbound(nat, p, 3, 0, &why), UWG_NAT_DROP);
	CHECK_EQ_INT(uwg_nat_outbound(nat, p, 0, 0, &why), UWG_NAT_DROP);

	/* Spoofed sources from the world. */
	CHECK_EQ_INT(add_map(nat, IPPROTO_UDP, 6000, CLI_M, 5353, 1, 0), 0);
	n = udp_pkt(p, CLI_A, 1000, PUB, 6000, 4, false);
	CHECK_EQ_INT(uwg_nat_inbound(nat, p, n, 0, &why), UWG_NAT_DROP);
	CHECK_EQ_INT(why, UWG_NAT_DROP_SPOOFED);
	n = udp_pkt(p, PUB, 1000, PUB, 6000, 4, false);
	CHECK_EQ_INT(uwg_nat_inbound(nat, p, n, 0, &why), UWG_NAT_DROP);
	/* Not for the public address. */
	n = udp_pkt(p, REM, 1000, REM2, 6000, 4, false);
	CHECK_EQ_INT(uwg_nat_inbound(nat, p, n, 0, &why), UWG_NAT_NOT_OURS);
	/* Pool port without a flow. */
	n = udp_pkt(p, REM, 1000, PUB, 61500, 4, false);
	CHECK_EQ_INT(uwg_nat_inbound(nat, p, n, 0, &why), UWG_NAT_DROP);
	CHECK_EQ_INT(why, UWG_NAT_DROP_NO_FLOW);

	struct uwg_nat_stats st = stats(nat);
	CHECK_EQ_U64(st.drops[UWG_NAT_DROP_BAD_CSUM], 1);
	CHECK_EQ_U64(st.drops[UWG_NAT_DROP_MALFORMED], 5);
	CHECK_EQ_U64(st.drops[UWG_NAT_DROP_SPOOFED], 2);
	CHECK_EQ_U64(st.drops[UWG_NAT_DROP_NO_FLOW], 1);
	CHECK_EQ_U64(st.not_ours, 6);
	CHECK(strcmp(uwg_nat_drop_str(UWG_NAT_DROP_SPOOFED), "spoofed") == 0);
	uwg_nat_free(nat);
}

static void test_fragments(void)
{
	struct uwg_nat *nat = make_nat(64, PORT_MIN, PORT_MAX);
	uint8_t p[1600];
	size_t n;
	enum uwg_nat_drop why;

	CHECK_EQ_INT(add_map(nat, IPPROTO_UDP, 6000, CLI_M, 5353, 1, 0), 0);
	/* First fragment (MF) from a masqueraded client: dropped and counted. */
	n = udp_pkt(p, CLI_A, 1000, REM, 53, 64, false);
	put16(p + 6, 0x2000);
	fill_ip(p);
	CHECK_EQ_INT(uwg_nat_outbound(nat, p, n, 0, &why), UWG_NAT_DROP);
	CHECK_EQ_INT(why, UWG_NAT_DROP_FRAGMENT);
	/* Later fragment. */
	put16(p + 6, 0x0010);
	fill_ip(p);
	CHECK_EQ_INT(uwg_nat_outbound(nat, p, n, 0, &why), UWG_NAT_DROP);
	CHECK_EQ_INT(why, UWG_NAT_DROP_FRAGMENT);
	/* Fragments to the public address go to the host stack (it reassembles). */
	n = udp_pkt(p, CLI_A, 1000, PUB, 22, 64, false);
	put16(p + 6, 0x2000);
	fill_ip(p);
	CHECK_EQ_INT(uwg_nat_outbound(nat, p, n, 0, &why), UWG_NAT_NOT_OURS);
	/* Inbound fragment to a mapped port. */
	n = udp_pkt(p, REM, 1000, PUB, 6000, 64, false);
	put16(p + 6, 0x2000);
	fill_ip(p);
	CHECK_EQ_INT(uwg_nat_inbound(nat, p, n, 0, &why), UWG_NAT_DROP);
	CHECK_EQ_INT(why, UWG_NAT_DROP_FRAGMENT);
	/* Unfragmented without DF is translated normally. */
	n = udp_pkt(p, REM, 1000, PUB, 6000, 64, false);
	put16(p + 6, 0x0000);
	fill_ip(p);
	CHECK_EQ_INT(uwg_nat_inbound(nat, p, n, 0, &why), UWG_NAT_TO_TUNNEL);
	CHECK_EQ_INT(verify(p, n), 0);
	CHECK_EQ_U64(stats(nat).drops[UWG_NAT_DROP_FRAGMENT], 3);
	uwg_nat_free(nat);
}

static void test_icmp_errors(void)
{
	struct uwg_nat *nat = make_nat(64, PORT_MIN, PORT_MAX);
	uint8_t p[1600], q[1600];
	size_t n, qn;
	uint16_t x, xi;
	enum uwg_nat_drop why;

	CHECK_EQ_INT(add_map(nat, IPPROTO_UDP, 6000, CLI_M, 5353, 1, 0), 0);
	CHECK_EQ_INT(add_map(nat, IPPROTO_TCP, 8080, CLI_M, 80, 1, 0), 0);

	/* (a) world -> us: port unreachable about a masqueraded UDP flow, full quote. */
	qn = udp_pkt(q, CLI_A, 5000, REM, 53, 20, false);
	CHECK_EQ_INT(uwg_nat_outbound(nat, q, qn, 0, &why), UWG_NAT_TO_WORLD);
	x = f_sport(q);
	n = icmp_err(p, REM, PUB, 3, 3, 0, q, 0);
	CHECK_EQ_INT(verify(p, n), 0);
	CHECK_EQ_INT(uwg_nat_inbound(nat, p, n, 0, &why), UWG_NAT_TO_TUNNEL);
	CHECK_EQ_U64(f_dst(p), CLI_A);
	CHECK_EQ_U64(f_src(p), REM);
	CHECK_EQ_U64(f_src(quoted(p)), CLI_A);
	CHECK_EQ_U64(f_sport(quoted(p)), 5000);
	CHECK_EQ_U64(f_dst(quoted(p)), REM);
	CHECK_EQ_U64(f_dport(quoted(p)), 53);
	CHECK_EQ_INT(verify(p, n), 0); /* outer, ICMP, quoted header, quoted UDP */

	/* (b) frag-needed from a router about a port-map TCP reply, 8-byte quote. */
	qn = tcp_pkt(q, CLI_M, 80, REM, 40000, 0x18, 0, false, 1400);
	CHECK_EQ_INT(uwg_nat_outbound(nat, q, qn, 0, &why), UWG_NAT_TO_WORLD);
	n = icmp_err(p, ROUTER, PUB, 3, 4, 1400, q, 28);
	CHECK_EQ_INT(uwg_nat_inbound(nat, p, n, 0, &why), UWG_NAT_TO_TUNNEL);
	CHECK_EQ_U64(f_dst(p), CLI_M);
	CHECK_EQ_U64(f_src(p), ROUTER);
	CHECK_EQ_U64(f_src(quoted(p)), CLI_M);
	CHECK_EQ_U64(f_sport(quoted(p)), 80);
	CHECK_EQ_U64(be16(p + 20 + 6), 1400); /* MTU untouched */
	CHECK_EQ_INT(verify(p, n), 0);
	/* Same, with a 48-byte quote (TCP checksum present but partial). */
	n = icmp_err(p, ROUTER, PUB, 3, 4, 1400, q, 48);
	CHECK_EQ_INT(uwg_nat_inbound(nat, p, n, 0, &why), UWG_NAT_TO_TUNNEL);
	CHECK_EQ_U64(f_src(quoted(p)), CLI_M);
	CHECK_EQ_INT(verify(p, n), 0);

	/* (c) us -> world: M answers a DNATed UDP with port unreachable. */
	qn = udp_pkt(q, REM, 1234, PUB, 6000, 12, false);
	CHECK_EQ_INT(uwg_nat_inbound(nat, q, qn, 0, &why), UWG_NAT_TO_TUNNEL);
	n = icmp_err(p, CLI_M, REM, 3, 3, 0, q, 0);
	CHECK_EQ_INT(uwg_nat_outbound(nat, p, n, 0, &why), UWG_NAT_TO_WORLD);
	CHECK_EQ_U64(f_src(p), PUB);
	CHECK_EQ_U64(f_dst(p), REM);
	CHECK_EQ_U64(f_dst(quoted(p)), PUB);
	CHECK_EQ_U64(f_dport(quoted(p)), 6000);
	CHECK_EQ_U64(f_src(quoted(p)), REM);
	CHECK_EQ_INT(verify(p, n), 0);

	/* (d) us -> world: frag-needed from A about the reply of its masqueraded flow. */
	qn = udp_pkt(q, REM, 53, PUB, x, 1300, false);
	CHECK_EQ_INT(uwg_nat_inbound(nat, q, qn, 0, &why), UWG_NAT_TO_TUNNEL);
	n = icmp_err(p, CLI_A, REM, 3, 4, 1280, q, 548);
	CHECK_EQ_INT(uwg_nat_outbound(nat, p, n, 0, &why), UWG_NAT_TO_WORLD);
	CHECK_EQ_U64(f_src(p), PUB);
	CHECK_EQ_U64(f_dst(quoted(p)), PUB);
	CHECK_EQ_U64(f_dport(quoted(p)), x);
	CHECK_EQ_INT(verify(p, n), 0);

	/* (e) time exceeded about a masqueraded echo request. */
	qn = echo_pkt(q, CLI_A, REM, 8, 99, 3, 24);
	CHECK_EQ_INT(uwg_nat_outbound(nat, q, qn, 0, &why), UWG_NAT_TO_WORLD);
	xi = f_icmp_id(q);
	n = icmp_err(p, ROUTER, PUB, 11, 0, 0, q, 0);
	CHECK_EQ_INT(uwg_nat_inbound(nat, p, n, 0, &why), UWG_NAT_TO_TUNNEL);
	CHECK_EQ_U64(f_dst(p), CLI_A);
	CHECK_EQ_U64(f_src(quoted(p)), CLI_A);
	CHECK_EQ_U64(f_icmp_id(quoted(p)), 99);
	CHECK(xi != 99);
	CHECK_EQ_INT(verify(p, n), 0); /* including the quoted ICMP checksum */

	/* (f) errors about the host's own traffic are not ours. */
	qn = udp_pkt(q, PUB, 40001, REM, 53, 4, false);
	n = icmp_err(p, REM, PUB, 3, 3, 0, q, 0);
	CHECK_EQ_INT(uwg_nat_inbound(nat, p, n, 0, &why), UWG_NAT_NOT_OURS);
	/* ... an error about a pool port without a flow is dropped. */
	qn = udp_pkt(q, PUB, 61999, REM, 53, 4, false);
	n = icmp_err(p, REM, PUB, 3, 3, 0, q, 0);
	CHECK_EQ_INT(uwg_nat_inbound(nat, p, n, 0, &why), UWG_NAT_DROP);
	CHECK_EQ_INT(why, UWG_NAT_DROP_NO_FLOW);
	/* ... a client's error about non-NAT traffic is not ours. */
	qn = udp_pkt(q, CLI_B, 7, CLI_A, 7, 4, false);
	n = icmp_err(p, CLI_A, CLI_B, 3, 3, 0, q, 0);
	CHECK_EQ_INT(uwg_nat_outbound(nat, p, n, 0, &why), UWG_NAT_NOT_OURS);
	/* ... a quote too short to hold the ports is malformed. */
	qn = udp_pkt(q, REM, 1234, PUB, 6000, 12, false);
	n = icmp_err(p, REM, PUB, 3, 3, 0, q, 24);
	CHECK_EQ_INT(uwg_nat_inbound(nat, p, n, 0, &why), UWG_NAT_DROP);
	CHECK_EQ_INT(why, UWG_NAT_DROP_MALFORMED);
	CHECK_EQ_U64(stats(nat).icmp_errors, 6);
	uwg_nat_free(nat);
}

static void test_hairpin(void)
{
	struct uwg_nat *nat = make_nat(64, PORT_MIN, PORT_MAX);
	uint8_t p[1600], q[1600];
	size_t n, qn;
	uint16_t x;
	enum uwg_nat_drop why;

	CHECK_EQ_INT(add_map(nat, IPPROTO_TCP, 8080, CLI_M, 80, 1, 0), 0);
	CHECK_EQ_INT(add_map(nat, IPPROTO_UDP, 6000, CLI_M, 5353, 1, 0), 0);
	CHECK_EQ_INT(add_map(nat, IPPROTO_UDP, 7000, CLI_B, 7777, 2, 0), 0);

	/* A -> PUB:8080 reaches M:80 from PUB:x. */
	n = tcp_pkt(p, CLI_A, 6000, PUB, 8080, 0x02, 1460, false, 0);
	CHECK_EQ_INT(uwg_nat_outbound(nat, p, n, 0, &why), UWG_NAT_TO_TUNNEL);
	x = f_sport(p);
	CHECK(in_pool(x));
	CHECK_EQ_U64(f_src(p), PUB);
	CHECK_EQ_U64(f_dst(p), CLI_M);
	CHECK_EQ_U64(f_dport(p), 80);
	CHECK_EQ_U64(f_mss(p), 1380);
	CHECK_EQ_INT(verify(p, n), 0);
	/* M:80 -> PUB:x comes back to A as PUB:8080 -> A:6000. */
	n = tcp_pkt(p, CLI_M, 80, PUB, x, 0x12, 1460, false, 0);
	CHECK_EQ_INT(uwg_nat_outbound(nat, p, n, 0, &why), UWG_NAT_TO_TUNNEL);
	CHECK_EQ_U64(f_src(p), PUB);
	CHECK_EQ_U64(f_sport(p), 8080);
	CHECK_EQ_U64(f_dst(p), CLI_A);
	CHECK_EQ_U64(f_dport(p), 6000);
	CHECK_EQ_INT(verify(p, n), 0);
	/* A again: same flow, same port. */
	n = tcp_pkt(p, CLI_A, 6000, PUB, 8080, 0x10, 0, false, 100);
	CHECK_EQ_INT(uwg_nat_outbound(nat, p, n, 0, &why), UWG_NAT_TO_TUNNEL);
	CHECK_EQ_U64(f_sport(p), x);

	/* Map endpoint to map endpoint: stateless both ways. */
	n = udp_pkt(p, CLI_M, 5353, PUB, 7000, 10, false);
	CHECK_EQ_INT(uwg_nat_outbound(nat, p, n, 0, &why), UWG_NAT_TO_TUNNEL);
	CHECK_EQ_U64(f_src(p), PUB);
	CHECK_EQ_U64(f_sport(p), 6000);
	CHECK_EQ_U64(f_dst(p), CLI_B);
	CHECK_EQ_U64(f_dport(p), 7777);
	CHECK_EQ_INT(verify(p, n), 0);

	/* M's port unreachable about a hairpinned UDP from A goes back to A. */
	qn = udp_pkt(q, CLI_A, 6100, PUB, 6000, 8, false);
	CHECK_EQ_INT(uwg_nat_outbound(nat, q, qn, 0, &why), UWG_NAT_TO_TUNNEL);
	x = f_sport(q);
	n = icmp_err(p, CLI_M, PUB, 3, 3, 0, q, 0);
	CHECK_EQ_INT(uwg_nat_outbound(nat, p, n, 0, &why), UWG_NAT_TO_TUNNEL);
	CHECK_EQ_U64(f_src(p), PUB);
	CHECK_EQ_U64(f_dst(p), CLI_A);
	CHECK_EQ_U64(f_src(quoted(p)), CLI_A);
	CHECK_EQ_U64(f_sport(quoted(p)), 6100);
	CHECK_EQ_U64(f_dst(quoted(p)), PUB);
	CHECK_EQ_U64(f_dport(quoted(p)), 6000);
	CHECK_EQ_INT(verify(p, n), 0);

	/* To the public address: unmapped port is the host's; pool port without flow drops. */
	n = tcp_pkt(p, CLI_A, 6000, PUB, 22, 0x02, 0, false, 0);
	CHECK_EQ_INT(uwg_nat_outbound(nat, p, n, 0, &why), UWG_NAT_NOT_OURS);
	n = tcp_pkt(p, CLI_A, 6000, PUB, 62000, 0x02, 0, false, 0);
	CHECK_EQ_INT(uwg_nat_outbound(nat, p, n, 0, &why), UWG_NAT_DROP);
	CHECK_EQ_INT(why, UWG_NAT_DROP_NO_FLOW);
	CHECK_EQ_U64(stats(nat).hairpin, 6);
	uwg_nat_free(nat);
}

static void test_mss(void)
{
	struct uwg_nat *nat = make_nat(64, PORT_MIN, PORT_MAX);
	uint8_t p[1600];
	size_t n;

	/* Below the clamp: untouched. */
	n = tcp_pkt(p, CLI_A, 5001, REM, 80, 0x02, 1200, false, 0);
	CHECK_EQ_INT(uwg_nat_outbound(nat, p, n, 0, NULL), UWG_NAT_TO_WORLD);
	CHECK_EQ_U64(f_mss(p), 1200);
	CHECK_EQ_INT(verify(p, n), 0);
	/* Not a SYN: options left alone. */
	n = tcp_pkt(p, CLI_A, 5001, REM, 80, 0x10, 1460, false, 0);
	CHECK_EQ_INT(uwg_nat_outbound(nat, p, n, 0, NULL), UWG_NAT_TO_WORLD);
	CHECK_EQ_U64(f_mss(p), 1460);
	/* Many MSS values at even and odd offsets: always clamped, checksum exact. */
	for (unsigned mss = 1381; mss < 65535; mss += 997) {
		n = tcp_pkt(p, CLI_A, (uint16_t)(2000 + mss % 1000), REM, 80, 0x02, (uint16_t)mss,
			    mss & 1, (size_t)(mss % 7));
		CHECK_EQ_INT(uwg_nat_outbound(nat, p, n, 0, NULL), UWG_NAT_TO_WORLD);
		CHECK_EQ_U64(f_mss(p), 1380);
		CHECK_EQ_INT(verify(p, n), 0);
	}
	CHECK(stats(nat).mss_clamped >= 60);
	uwg_nat_free(nat);
}

static void test_timeouts(void)
{
	struct uwg_nat *nat = make_nat(64, PORT_MIN, PORT_MAX);
	uint8_t p[1600];
	size_t n;
	uint16_t xu, xt, xr, xi;
	enum uwg_nat_drop why;
	uint64_t t = 1000 * S_NS;

	/* UDP unreplied: 30 s. */
	n = udp_pkt(p, CLI_A, 1111, REM, 53, 4, false);
	CHECK_EQ_INT(uwg_nat_outbound(nat, p, n, t, NULL), UWG_NAT_TO_WORLD);
	xu = f_sport(p);
	n = udp_pkt(p, REM, 53, PUB, xu, 4, false);
	CHECK_EQ_INT(uwg_nat_inbound(nat, p, n, t + 31 * S_NS, &why), UWG_NAT_DROP);
	CHECK_EQ_INT(why, UWG_NAT_DROP_NO_FLOW);
	/* UDP replied: 180 s from the last packet. */
	n = udp_pkt(p, CLI_A, 1112, REM, 53, 4, false);
	CHECK_EQ_INT(uwg_nat_outbound(nat, p, n, t, NULL), UWG_NAT_TO_WORLD);
	xu = f_sport(p);
	n = udp_pkt(p, REM, 53, PUB, xu, 4, false);
	CHECK_EQ_INT(uwg_nat_inbound(nat, p, n, t + 20 * S_NS, NULL), UWG_NAT_TO_TUNNEL);
	n = udp_pkt(p, REM, 53, PUB, xu, 4, false);
	CHECK_EQ_INT(uwg_nat_inbound(nat, p, n, t + 190 * S_NS, NULL), UWG_NAT_TO_TUNNEL);
	n = udp_pkt(p, REM, 53, PUB, xu, 4, false);
	CHECK_EQ_INT(uwg_nat_inbound(nat, p, n, t + 371 * S_NS, NULL), UWG_NAT_DROP);

	/* TCP: established lives long; FIN shortens; RST shortens more. */
	n = tcp_pkt(p, CLI_A, 2222, REM, 443, 0x02, 0, false, 0);
	CHECK_EQ_INT(uwg_nat_outbound(nat, p, n, t, NULL), UWG_NAT_TO_WORLD);
	xt = f_sport(p);
	n = tcp_pkt(p, REM, 443, PUB, xt, 0x12, 0, false, 0);
	CHECK_EQ_INT(uwg_nat_inbound(nat, p, n, t + S_NS, NULL), UWG_NAT_TO_TUNNEL);
	n = tcp_pkt(p, REM, 443, PUB, xt, 0x10, 0, false, 0);
	CHECK_EQ_INT(uwg_nat_inbound(nat, p, n, t + 3600 * S_NS, NULL), UWG_NAT_TO_TUNNEL);
	n = tcp_pkt(p, CLI_A, 2222, REM, 443, 0x11, 0, false, 0); /* FIN */
	CHECK_EQ_INT(uwg_nat_outbound(nat, p, n, t + 3601 * S_NS, NULL), UWG_NAT_TO_WORLD);
	n = tcp_pkt(p, REM, 443, PUB, xt, 0x10, 0, false, 0);
	CHECK_EQ_INT(uwg_nat_inbound(nat, p, n, t + 3800 * S_NS, NULL), UWG_NAT_TO_TUNNEL);
	n = tcp_pkt(p, REM, 443, PUB, xt, 0x10, 0, false, 0);
	CHECK_EQ_INT(uwg_nat_inbound(nat, p, n, t + 4041 * S_NS, NULL), UWG_NAT_DROP);

	n = tcp_pkt(p, CLI_A, 2223, REM, 443, 0x02, 0, false, 0);
	CHECK_EQ_INT(uwg_nat_outbound(nat, p, n, t, NULL), UWG_NAT_TO_WORLD);
	xr = f_sport(p);
	n = tcp_pkt(p, REM, 443, PUB, xr, 0x14, 0, false, 0); /* RST */
	CHECK_EQ_INT(uwg_nat_inbound(nat, p, n, t + S_NS, NULL), UWG_NAT_TO_TUNNEL);
	n = tcp_pkt(p, REM, 443, PUB, xr, 0x10, 0, false, 0);
	CHECK_EQ_INT(uwg_nat_inbound(nat, p, n, t + 12 * S_NS, NULL), UWG_NAT_DROP);
	/* An unanswered SYN lasts 120 s. */
	n = tcp_pkt(p, CLI_A, 2224, REM, 443, 0x02, 0, false, 0);
	CHECK_EQ_INT(uwg_nat_outbound(nat, p, n, t, NULL), UWG_NAT_TO_WORLD);
	xr = f_sport(p);
	n = tcp_pkt(p, REM, 443, PUB, xr, 0x12, 0, false, 0);
	CHECK_EQ_INT(uwg_nat_inbound(nat, p, n, t + 121 * S_NS, NULL), UWG_NAT_DROP);

	/* ICMP echo: 30 s. */
	n = echo_pkt(p, CLI_A, REM, 8, 5, 1, 8);
	CHECK_EQ_INT(uwg_nat_outbound(nat, p, n, t, NULL), UWG_NAT_TO_WORLD);
	xi = f_icmp_id(p);
	n = echo_pkt(p, REM, PUB, 0, xi, 1, 8);
	CHECK_EQ_INT(uwg_nat_inbound(nat, p, n, t + 29 * S_NS, NULL), UWG_NAT_TO_TUNNEL);
	n = echo_pkt(p, REM, PUB, 0, xi, 1, 8);
	CHECK_EQ_INT(uwg_nat_inbound(nat, p, n, t + 60 * S_NS, NULL), UWG_NAT_DROP);

	/* Housekeeping reaps whatever is left once everything has expired. */
	uwg_nat_expire(nat, t + 100000 * S_NS, 64, NULL, NULL);
	CHECK_EQ_U64(stats(nat).flows_active, 0);
	CHECK_EQ_U64(stats(nat).flows_expired, stats(nat).flows_created);
	uwg_nat_free(nat);
}

static void test_eviction(void)
{
	struct uwg_nat *nat = make_nat(8, PORT_MIN, PORT_MAX);
	uint8_t p[1600];
	size_t n;
	uint16_t ext[9];
	enum uwg_nat_drop why;

	/* Eight UDP flows fill the table; the first is the oldest (earliest expiry). */
	for (unsigned i = 0; i < 9; i++) {
		n = udp_pkt(p, CLI_A, (uint16_t)(3000 + i), REM, 53, 4, false);
		CHECK_EQ_INT(uwg_nat_outbound(nat, p, n, (1 + i) * S_NS, NULL), UWG_NAT_TO_WORLD);
		ext[i] = f_sport(p);
	}
	CHECK_EQ_U64(stats(nat).flows_active, 8);
	CHECK_EQ_U64(stats(nat).flows_evicted, 1);
	n = udp_pkt(p, REM, 53, PUB, ext[0], 4, false);
	CHECK_EQ_INT(uwg_nat_inbound(nat, p, n, 10 * S_NS, &why), UWG_NAT_DROP);
	CHECK_EQ_INT(why, UWG_NAT_DROP_NO_FLOW);
	for (unsigned i = 1; i < 9; i++) {
		n = udp_pkt(p, REM, 53, PUB, ext[i], 4, false);
		CHECK_EQ_INT(uwg_nat_inbound(nat, p, n, 10 * S_NS, NULL), UWG_NAT_TO_TUNNEL);
		CHECK_EQ_U64(f_dport(p), 3000 + i);
	}
	/* Many more: the table never grows, evictions are counted. */
	for (unsigned i = 0; i < 1000; i++) {
		n = udp_pkt(p, CLI_B, (uint16_t)(10000 + i), REM2, 53, 4, false);
		CHECK_EQ_INT(uwg_nat_outbound(nat, p, n, (20 + i) * S_NS, NULL), UWG_NAT_TO_WORLD);
	}
	CHECK_EQ_U64(stats(nat).flows_active, 8);
	CHECK_EQ_U64(stats(nat).flows_evicted + stats(nat).flows_expired, 1001);
	uwg_nat_free(nat);
}

static void test_pool_exhaustion(void)
{
	/* A four-port pool. */
	struct uwg_nat *nat = make_nat(64, 61440, 61443);
	uint8_t p[1600];
	size_t n;
	enum uwg_nat_drop why;
	uint16_t seen[4] = { 0 };

	for (unsigned i = 0; i < 4; i++) {
		n = udp_pkt(p, CLI_A, (uint16_t)(4000 + i), REM, 53, 4, false);
		CHECK_EQ_INT(uwg_nat_outbound(nat, p, n, 0, NULL), UWG_NAT_TO_WORLD);
		seen[i] = f_sport(p);
		CHECK(seen[i] >= 61440 && seen[i] <= 61443);
		for (unsigned j = 0; j < i; j++)
			CHECK(seen[i] != seen[j]);
	}
	/* Fifth endpoint, same remote: every (port, remote) is taken. */
	n = udp_pkt(p, CLI_A, 4004, REM, 53, 4, false);
	CHECK_EQ_INT(uwg_nat_outbound(nat, p, n, 0, &why), UWG_NAT_DROP);
	CHECK_EQ_INT(why, UWG_NAT_DROP_NO_PORT);
	/* Another remote: a port can be shared, replies still demultiplex. */
	n = udp_pkt(p, CLI_A, 4004, REM2, 53, 4, false);
	CHECK_EQ_INT(uwg_nat_outbound(nat, p, n, 0, &why), UWG_NAT_TO_WORLD);
	uint16_t s = f_sport(p);
	n = udp_pkt(p, REM2, 53, PUB, s, 4, false);
	CHECK_EQ_INT(uwg_nat_inbound(nat, p, n, 0, NULL), UWG_NAT_TO_TUNNEL);
	CHECK_EQ_U64(f_dport(p), 4004);
	for (unsigned i = 0; i < 4; i++) {
		n = udp_pkt(p, REM, 53, PUB, seen[i], 4, false);
		CHECK_EQ_INT(uwg_nat_inbound(nat, p, n, 0, NULL), UWG_NAT_TO_TUNNEL);
		CHECK_EQ_U64(f_dport(p), 4000 + i);
	}
	/* After the flows expire the ports are free again. */
	n = udp_pkt(p, CLI_B, 4005, REM, 53, 4, false);
	CHECK_EQ_INT(uwg_nat_outbound(nat, p, n, 1000 * S_NS, NULL), UWG_NAT_TO_WORLD);
	uwg_nat_free(nat);
}

/* Masquerade off: port maps and hairpin only; client traffic is not ours. */
static void test_no_masquerade(void)
{
	struct uwg_nat_config cfg = {
		.public_ip = PUB, .inside_net = 0x0a640000u, .inside_mask = 0xffffff00u,
		.port_min = PORT_MIN, .port_max = PORT_MAX,
	};
	struct uwg_nat *nat;
	uint8_t p[1600];
	size_t n;

	CHECK_EQ_INT(uwg_nat_new(&nat, &cfg), 0);
	CHECK_EQ_INT(add_map(nat, IPPROTO_UDP, 6000, CLI_M, 5353, 1, 0), 0);
	n = udp_pkt(p, CLI_A, 1000, REM, 53, 4, false);
	CHECK_EQ_INT(uwg_nat_outbound(nat, p, n, 0, NULL), UWG_NAT_NOT_OURS);
	n = echo_pkt(p, CLI_A, REM, 8, 5, 1, 8);
	CHECK_EQ_INT(uwg_nat_outbound(nat, p, n, 0, NULL), UWG_NAT_NOT_OURS);
	n = udp_pkt(p, CLI_M, 5353, REM, 53, 4, false);
	CHECK_EQ_INT(uwg_nat_outbound(nat, p, n, 0, NULL), UWG_NAT_TO_WORLD);
	n = udp_pkt(p, CLI_A, 1000, PUB, 6000, 4, false);
	CHECK_EQ_INT(uwg_nat_outbound(nat, p, n, 0, NULL), UWG_NAT_TO_TUNNEL);
	CHECK_EQ_INT(verify(p, n), 0);
	uwg_nat_free(nat);
}

int main(void)
{
	test_verifier();
	test_config();
	test_map_api();
	test_dnat_tcp();
	test_dnat_udp();
	test_snat();
	test_not_ours_and_drops();
	test_fragments();
	test_icmp_errors();
	test_hairpin();
	test_mss();
	test_timeouts();
	test_eviction();
	test_pool_exhaustion();
	test_no_masquerade();
	return harness_report("test_nat");
}
