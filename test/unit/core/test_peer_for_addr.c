/*
 * test/unit/core/test_peer_for_addr.c - uwg_wg_peer_for_addr (core/wg.h),
 * which the IGD's requester check stands on: longest prefix as on the send
 * path, IPv4 and IPv6, NULL when nobody holds the address, and the shorter
 * prefix again once the longer one's peer is gone.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdint.h>
#include <sys/socket.h>

#include "core/pkt.h"
#include "core/wg.h"
#include "test/harness.h"

/* uwg_wg_peer_for_addr: longest prefix, like the send path; NULL when nobody holds it. */
static void test_peer_for_addr(void)
{
	static const struct uwg_wg_ops ops = { 0 };
	struct uwg_pool pool;
	struct uwg_wg *wg;
	struct uwg_peer *a = NULL, *b = NULL;
	uint8_t ka[32] = { 1 }, kb[32] = { 2 }, addr[16];

	CHECK_EQ_INT(uwg_pool_init(&pool, 8), 0);
	wg = uwg_wg_new(&ops, &pool);
	CHECK(wg != NULL);
	if (!wg)
		return;
	CHECK_EQ_INT(uwg_wg_peer_add(wg, ka, &a), 0);
	CHECK_EQ_INT(uwg_wg_peer_add(wg, kb, &b), 0);
	inet_pton(AF_INET, "10.100.0.0", addr);
	CHECK_EQ_INT(uwg_peer_allowedip_add(a, AF_INET, addr, 24), 0);
	inet_pton(AF_INET, "10.100.0.3", addr);
	CHECK_EQ_INT(uwg_peer_allowedip_add(b, AF_INET, addr, 32), 0);
	inet_pton(AF_INET6, "fd00::", addr);
	CHECK_EQ_INT(uwg_peer_allowedip_add(b, AF_INET6, addr, 64), 0);

	inet_pton(AF_INET, "10.100.0.2", addr);
	CHECK(uwg_wg_peer_for_addr(wg, AF_INET, addr) == a);
	inet_pton(AF_INET, "10.100.0.3", addr);
	CHECK(uwg_wg_peer_for_addr(wg, AF_INET, addr) == b);
	inet_pton(AF_INET, "10.100.1.3", addr);
	CHECK(uwg_wg_peer_for_addr(wg, AF_INET, addr) == NULL);
	inet_pton(AF_INET6, "fd00::1", addr);
	CHECK(uwg_wg_peer_for_addr(wg, AF_INET6, addr) == b);
	uwg_wg_peer_remove(wg, b);
	inet_pton(AF_INET, "10.100.0.3", addr);
	CHECK(uwg_wg_peer_for_addr(wg, AF_INET, addr) == a); /* the /24 again */
	uwg_wg_free(wg);
	uwg_pool_destroy(&pool);
}

int main(void)
{
	test_peer_for_addr();
	return harness_report("test_peer_for_addr");
}
