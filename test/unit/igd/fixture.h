/*
 * test/unit/igd/fixture.h - what the igd unit tests share: the test map table
 * (test/doubles/maptable.c) on a fake clock, its ops, and a policy for the
 * tunnel 10.100.0.0/24 with a per-client cap. Included by one test file each
 * (static definitions). The IPv6 side: the tunnel prefix fd00:100::/64,
 * pinholes in the same table, the firewall on.
 */
#ifndef UWG_TEST_UNIT_IGD_FIXTURE_H
#define UWG_TEST_UNIT_IGD_FIXTURE_H

#include <arpa/inet.h>

#include "igd/policy.h"
#include "test/doubles/maptable.h"

static uint64_t fake_now = 1000;
static struct uwg_igd_maptable table;
static struct uwg_igd_ops ops;
static struct uwg_igd_policy pol;

static uint64_t fake_clock(void *ctx)
{
	(void)ctx;
	return fake_now;
}

/* An empty table of cap entries reporting ext_ip_h (host order), the policy with cap per client. */
static void fixture_reset(size_t cap, uint32_t ext_ip_h, unsigned per_client)
{
	uwg_igd_maptable_init(&table, cap, fake_clock, NULL);
	table.ext_ip.s_addr = htonl(ext_ip_h);
	uwg_igd_maptable_ops(&table, &ops);
	uwg_igd_policy_init(&pol);
	uwg_igd_cidr_parse("10.100.0.0/24", &pol.allow_net_h, &pol.allow_mask_h);
	pol.allow6 = uwg_igd_cidr6_parse("fd00:100::/64", &pol.allow6_net, &pol.allow6_bits) == 0;
	pol.max_per_client = per_client;
}

#endif
