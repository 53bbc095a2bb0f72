/*
 * test/unit/igd/test_natpmp.c - the NAT-PMP codec (igd/natpmp.c) against the
 * byte layouts of RFC 6886 §3.2-§3.5 (docs: shared portmap-protocols.md §1):
 * what natpmpc sends, what it must get back, and the answers to bad input.
 */
#include <arpa/inet.h>
#include <string.h>

#include "igd/natpmp.h"
#include "test/harness.h"

static void test_parse(void)
{
	struct uwg_natpmp_req r;
	uint8_t b[32];
	size_t n;

	/* natpmpc -a 8080 0 tcp 7200: op 2, internal 8080, suggested 0, lifetime 7200 */
	n = harness_unhex(b, sizeof(b), "000200001f90000000001c20");
	CHECK_EQ_INT(uwg_natpmp_parse(b, n, &r), UWG_NATPMP_REQUEST);
	CHECK_EQ_U64(r.op, UWG_NATPMP_OP_MAP_TCP);
	CHECK_EQ_U64(r.int_port, 8080);
	CHECK_EQ_U64(r.ext_port, 0);
	CHECK_EQ_U64(r.lifetime, 7200);

	/* UDP 5000 suggesting 6000 for 60 s; the reserved bytes are ignored */
	n = harness_unhex(b, sizeof(b), "0001ffff138817700000003c");
	CHECK_EQ_INT(uwg_natpmp_parse(b, n, &r), UWG_NATPMP_REQUEST);
	CHECK_EQ_U64(r.op, UWG_NATPMP_OP_MAP_UDP);
	CHECK_EQ_U64(r.int_port, 5000);
	CHECK_EQ_U64(r.ext_port, 6000);
	CHECK_EQ_U64(r.lifetime, 60);

	/* the external-address request is two bytes (longer is tolerated) */
	n = harness_unhex(b, sizeof(b), "0000");
	CHECK_EQ_INT(uwg_natpmp_parse(b, n, &r), UWG_NATPMP_REQUEST);
	CHECK_EQ_U64(r.op, UWG_NATPMP_OP_ADDRESS);
	n = harness_unhex(b, sizeof(b), "00000000");
	CHECK_EQ_INT(uwg_natpmp_parse(b, n, &r), UWG_NATPMP_REQUEST);

	/* responses (top bit) and runts are dropped; a short map request too */
	n = harness_unhex(b, sizeof(b), "0080000000000000cb007202");
	CHECK_EQ_INT(uwg_natpmp_parse(b, n, &r), UWG_NATPMP_DROP);
	CHECK_EQ_INT(uwg_natpmp_parse(b, 1, &r), UWG_NATPMP_DROP);
	CHECK_EQ_INT(uwg_natpmp_parse(b, 0, &r), UWG_NATPMP_DROP);
	n = harness_unhex(b, sizeof(b), "000200001f900000000000");
	CHECK_EQ_INT(uwg_natpmp_parse(b, n, &r), UWG_NATPMP_DROP);

	/* version 1 (and PCP's 2, when no PCP server takes it): unsupported version */
	n = harness_unhex(b, sizeof(b), "0100");
	CHECK_EQ_INT(uwg_natpmp_parse(b, n, &r), UWG_NATPMP_BAD_VERSION);
	CHECK_EQ_U64(r.op, 0);
	n = harness_unhex(b, sizeof(b), "020100001f90000000001c20");
	CHECK_EQ_INT(uwg_natpmp_parse(b, n, &r), UWG_NATPMP_BAD_VERSION);
	/* an opcode below 128 that is not 0-2: unsupported opcode */
	n = harness_unhex(b, sizeof(b), "0003");
	CHECK_EQ_INT(uwg_natpmp_parse(b, n, &r), UWG_NATPMP_BAD_OPCODE);
	CHECK_EQ_U64(r.op, 3);
	n = harness_unhex(b, sizeof(b), "007f");
	CHECK_EQ_INT(uwg_natpmp_parse(b, n, &r), UWG_NATPMP_BAD_OPCODE);
}

static void test_replies(void)
{
	uint8_t out[UWG_NATPMP_REPLY_MAX], want[32];
	struct in_addr a;
	size_t n;

	inet_pton(AF_INET, "203.0.114.2", &a);
	/* op 128, result 0, epoch 300, 203.0.114.2 */
	n = harness_unhex(want, sizeof(want), "008000000000012ccb007202");
	CHECK_EQ_U64(uwg_natpmp_reply_address(out, 0, 300, a.s_addr), n);
	CHECK_MEM_EQ(out, want, n);
	/* with an error the address is zero (RFC 6886 §3.2) */
	n = harness_unhex(want, sizeof(want), "008000030000012c00000000");
	CHECK_EQ_U64(uwg_natpmp_reply_address(out, UWG_NATPMP_NETWORK_FAILURE, 300, a.s_addr), n);
	CHECK_MEM_EQ(out, want, n);

	/* op 130 (TCP), result 0, epoch 7, internal 8080, external 40000, lifetime 7200 */
	n = harness_unhex(want, sizeof(want), "00820000000000071f909c4000001c20");
	CHECK_EQ_U64(uwg_natpmp_reply_map(out, UWG_NATPMP_OP_MAP_TCP, 0, 7, 8080, 40000, 7200), n);
	CHECK_MEM_EQ(out, want, n);
	/* refused: the internal port echoed, external port and lifetime 0 (§3.5) */
	n = harness_unhex(want, sizeof(want), "00810002000000071388000000000000");
	CHECK_EQ_U64(uwg_natpmp_reply_map(out, UWG_NATPMP_OP_MAP_UDP, UWG_NATPMP_REFUSED, 7, 5000,
					  6000, 60), n);
	CHECK_MEM_EQ(out, want, n);
	/* a delete: success, external port and lifetime 0 as given */
	n = harness_unhex(want, sizeof(want), "00820000000000071f90000000000000");
	CHECK_EQ_U64(uwg_natpmp_reply_map(out, UWG_NATPMP_OP_MAP_TCP, 0, 7, 8080, 0, 0), n);
	CHECK_MEM_EQ(out, want, n);

	/* unsupported version: 8 bytes, version 0, opcode 128 + the request's (erratum 3618) */
	n = harness_unhex(want, sizeof(want), "0080000100000007");
	CHECK_EQ_U64(uwg_natpmp_reply_error(out, 0, UWG_NATPMP_UNSUPPORTED_VERSION, 7), n);
	CHECK_MEM_EQ(out, want, n);
	n = harness_unhex(want, sizeof(want), "0083000500000007");
	CHECK_EQ_U64(uwg_natpmp_reply_error(out, 3, UWG_NATPMP_UNSUPPORTED_OPCODE, 7), n);
	CHECK_MEM_EQ(out, want, n);
}

int main(void)
{
	test_parse();
	test_replies();
	return harness_report("test_natpmp");
}
