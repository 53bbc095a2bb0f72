/*
 * test/unit/igd/test_pmp.c - NAT-PMP's semantics (igd/pmp.c) on the test map
 * table (test/doubles/maptable.c): replies byte for byte as RFC 6886 §3
 * lays them out (shared portmap-protocols.md §1) for what natpmpc, libtorrent,
 * Transmission and VPN providers' scripts send: the address, maps and their
 * renewal, another port when the one asked for is taken, privileged or the
 * companion of someone else's, deletion of one and of all, internal port 0
 * (one port for UDP and TCP), the per-client cap, foreign requesters and bad
 * datagrams.
 */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "igd/pmp.h"
#include "test/harness.h"
#include "test/unit/igd/fixture.h"

static struct uwg_pmp_ctx cx;
static struct in_addr A, B, X;

static void reset(void)
{
	fixture_reset(16, 0xcb007202u, 4); /* 203.0.114.2 */
	memset(&cx, 0, sizeof(cx));
	cx.ops = &ops;
	cx.pol = &pol;
}

/* Sends hex request from who at epoch 77; the reply as hex (or "" for none). */
static const char *ask(struct in_addr who, const char *hex)
{
	static char text[2 * UWG_NATPMP_REPLY_MAX + 1];
	uint8_t req[64], out[UWG_NATPMP_REPLY_MAX];
	size_t n = harness_unhex(req, sizeof(req), hex), len = 0;

	uwg_pmp_natpmp(&cx, req, n, who, 77, out, &len);
	for (size_t i = 0; i < len; i++)
		snprintf(text + 2 * i, 3, "%02x", out[i]);
	text[2 * len] = '\0';
	return text;
}

/* The map table's entry for (proto, port): "client:port lease desc", or "-". */
static const char *entry(uint8_t proto, uint16_t port)
{
	static char text[160];
	struct uwg_igd_map m;

	if (ops.get_map(ops.ctx, proto, port, &m))
		return "-";
	snprintf(text, sizeof(text), "%s:%u %u %s", inet_ntoa(m.int_client), m.int_port,
		 m.lease_s, m.desc);
	return text;
}

static void test_address(void)
{
	reset();
	/* 203.0.114.2 at epoch 77 (0x4d) */
	CHECK_EQ_STR(ask(A, "0000"), "008000000000004dcb007202");
	/* no external address yet: network failure, address zero */
	table.ext_ip.s_addr = 0;
	CHECK_EQ_STR(ask(A, "0000"), "008000030000004d00000000");
	/* a requester outside the tunnel network: refused */
	table.ext_ip.s_addr = htonl(0xcb007202u);
	CHECK_EQ_STR(ask(X, "0000"), "008000020000004d00000000");
}

static void test_map_and_renew(void)
{
	reset();
	/* natpmpc -a 8043 8043 tcp 60: TCP 8043 -> A:8043 for 60 s */
	CHECK_EQ_STR(ask(A, "000200001f6b1f6b0000003c"), "008200000000004d1f6b1f6b0000003c");
	CHECK_EQ_STR(entry(IPPROTO_TCP, 8043), "10.100.0.2:8043 60 NAT-PMP 8043 tcp");
	/* a renewal suggesting another port keeps 8043 (RFC 6886 §3.3) */
	CHECK_EQ_STR(ask(A, "000200001f6b23280000003c"), "008200000000004d1f6b1f6b0000003c");
	CHECK_EQ_STR(entry(IPPROTO_TCP, 9000), "-");
	/* suggested 0: the internal port */
	CHECK_EQ_STR(ask(A, "000100001388000000000e10"), "008100000000004d1388138800000e10");
}

static void test_other_port(void)
{
	reset();
	CHECK_EQ_STR(ask(A, "000200001f6b1f6b0000003c"), "008200000000004d1f6b1f6b0000003c");
	/* B asks for A's port: another one (8044), never A's */
	CHECK_EQ_STR(ask(B, "000200001f6b1f6b0000003c"), "008200000000004d1f6b1f6c0000003c");
	CHECK_EQ_STR(entry(IPPROTO_TCP, 8043), "10.100.0.2:8043 60 NAT-PMP 8043 tcp");
	/* nor UDP 8043, the companion of A's TCP 8043 (§3.3) */
	CHECK_EQ_STR(ask(B, "000100001f6b1f6b0000003c"), "008100000000004d1f6b1f6c0000003c");
	/* A itself may have UDP 8043 */
	CHECK_EQ_STR(ask(A, "000100001f6b1f6b0000003c"), "008100000000004d1f6b1f6b0000003c");
	/* natpmpc -a 1 6000 udp 60: port 1 is privileged, so 6000 */
	CHECK_EQ_STR(ask(A, "00010000177000010000003c"), "008100000000004d177017700000003c");
	/* B deleting A's map (by its own internal port): success, nothing happens (§3.4) */
	CHECK_EQ_STR(ask(B, "000200001f6b000000000000"), "008200000000004d1f6b000000000000");
	CHECK_EQ_STR(entry(IPPROTO_TCP, 8043), "10.100.0.2:8043 60 NAT-PMP 8043 tcp");
	/*
	 * a lifetime above the bound is cut to it; both ports privileged: a port
	 * from the unprivileged range, fixed per client and internal port (5198)
	 */
	cx.max_lifetime = 3600;
	CHECK_EQ_STR(ask(A, "000200000050005000015180"), "008200000000004d0050144e00000e10");
	CHECK_EQ_STR(entry(IPPROTO_TCP, 5198), "10.100.0.2:80 3600 NAT-PMP 80 tcp");
}

static void test_delete(void)
{
	reset();
	ask(A, "000200001f6b1f6b0000003c");
	ask(A, "000200001f6c1f6c0000003c");
	ask(A, "000100001f6b1f6b0000003c");
	/* lifetime 0 deletes the one for internal port 8043 */
	CHECK_EQ_STR(ask(A, "000200001f6b000000000000"), "008200000000004d1f6b000000000000");
	CHECK_EQ_STR(entry(IPPROTO_TCP, 8043), "-");
	/* again: the same success (retransmissions behave alike) */
	CHECK_EQ_STR(ask(A, "000200001f6b000000000000"), "008200000000004d1f6b000000000000");
	/* internal port 0: all of A's TCP maps, its UDP one stays */
	CHECK_EQ_STR(ask(A, "000200000000000000000000"), "008200000000004d0000000000000000");
	CHECK_EQ_STR(entry(IPPROTO_TCP, 8044), "-");
	CHECK_EQ_STR(entry(IPPROTO_UDP, 8043), "10.100.0.2:8043 60 NAT-PMP 8043 udp");
}

static void test_any_port(void)
{
	reset();
	/* natpmpc -a 1 0 udp 60, then tcp: one port P for both, internal port 0 echoed */
	const char *u = ask(A, "00010000000000010000003c");
	char udp[40];

	snprintf(udp, sizeof(udp), "%s", u);
	CHECK_EQ_STR(udp + 16, u + 16);
	CHECK(!strncmp(udp, "008100000000004d0000", 20));
	{
		char want[40];
		const char *t = ask(A, "00020000000000010000003c");

		snprintf(want, sizeof(want), "008200000000004d0000%.4s0000003c", udp + 20);
		CHECK_EQ_STR(t, want);
	}
	{
		char hex[5] = { udp[20], udp[21], udp[22], udp[23], '\0' };
		unsigned p = (unsigned)strtoul(hex, NULL, 16);
		char want[80];

		CHECK(p >= 1024);
		/* the map goes to the client's port P */
		snprintf(want, sizeof(want), "10.100.0.2:%u 60 NAT-PMP any udp", p);
		CHECK_EQ_STR(entry(IPPROTO_UDP, (uint16_t)p), want);
		/* renewing with internal 0 again, suggesting nothing: the same P */
		snprintf(want, sizeof(want), "008100000000004d0000%.4s0000003c", udp + 20);
		CHECK_EQ_STR(ask(A, "00010000000000000000003c"), want);
	}
}

static void test_limits_and_errors(void)
{
	reset();
	pol.max_per_client = 2;
	ask(A, "000200001f6b1f6b0000003c");
	ask(A, "000200001f6c1f6c0000003c");
	/* a third map: out of resources, internal port echoed, nothing mapped */
	CHECK_EQ_STR(ask(A, "000200001f6d1f6d0000003c"), "008200040000004d1f6d000000000000");
	/* the renewal of one it holds still works at the cap */
	CHECK_EQ_STR(ask(A, "000200001f6b1f6b0000003c"), "008200000000004d1f6b1f6b0000003c");
	/* a foreign requester: refused */
	CHECK_EQ_STR(ask(X, "000200001f6b1f6b0000003c"), "008200020000004d1f6b000000000000");
	/* a rule denying everything to A: refused */
	reset();
	{
		struct uwg_igd_rule r;

		uwg_igd_rule_parse(&r, "deny 1-65535 10.100.0.2 1-65535");
		uwg_igd_policy_add_rule(&pol, &r);
	}
	CHECK_EQ_STR(ask(A, "000200001f6b1f6b0000003c"), "008200020000004d1f6b000000000000");
	/* bad version (PCP's 2 too): NAT-PMP's unsupported version, 8 bytes */
	CHECK_EQ_STR(ask(A, "0201"), "008100010000004d");
	/* unknown opcode: unsupported opcode */
	CHECK_EQ_STR(ask(A, "0003"), "008300050000004d");
	/* responses and runts: no answer */
	CHECK_EQ_STR(ask(A, "0080"), "");
	CHECK_EQ_STR(ask(A, "00"), "");
	CHECK_EQ_STR(ask(A, "00020000"), "");
}

int main(void)
{
	A.s_addr = htonl(0x0a640002u); /* 10.100.0.2 */
	B.s_addr = htonl(0x0a640003u);
	X.s_addr = htonl(0xc0000201u); /* 192.0.2.1 */
	test_address();
	test_map_and_renew();
	test_other_port();
	test_delete();
	test_any_port();
	test_limits_and_errors();
	return harness_report("test_pmp");
}
