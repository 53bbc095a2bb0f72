/*
 * test/unit/igd/test_igd_policy.c - igd/policy.c: miniupnpd-style rule syntax
 * and matching (first match wins, no match allows), privileged ports, the
 * requester CIDR and IPv6 prefix, the pinhole port rule, the lease clamp and
 * the AddAnyPortMapping port walk.
 */
#include "igd/policy.h"
#include "test/harness.h"

#include <arpa/inet.h>
#include <errno.h>

static uint32_t ip(unsigned a, unsigned b, unsigned c, unsigned d)
{
	return (uint32_t)a << 24 | (uint32_t)b << 16 | (uint32_t)c << 8 | d;
}

static void test_rule_parse(void)
{
	struct uwg_igd_rule r;
	char buf[UWG_IGD_RULE_TEXT_MAX];

	CHECK_EQ_INT(uwg_igd_rule_parse(&r, "allow 1024-65535 10.100.0.0/24 1024-65535"), 0);
	CHECK(r.allow);
	CHECK_EQ_U64(r.ext_min, 1024);
	CHECK_EQ_U64(r.ext_max, 65535);
	CHECK_EQ_U64(r.net_h, ip(10, 100, 0, 0));
	CHECK_EQ_U64(r.mask_h, 0xffffff00u);
	CHECK_EQ_U64(r.int_min, 1024);
	CHECK_EQ_U64(r.int_max, 65535);
	uwg_igd_rule_format(&r, buf, sizeof(buf));
	CHECK(!strcmp(buf, "allow 1024-65535 10.100.0.0/24 1024-65535"));

	/* tabs and extra blanks, single ports, /0 */
	CHECK_EQ_INT(uwg_igd_rule_parse(&r, "  deny\t0-65535   0.0.0.0/0 80 "), 0);
	CHECK(!r.allow);
	CHECK_EQ_U64(r.mask_h, 0);
	CHECK_EQ_U64(r.int_min, 80);
	CHECK_EQ_U64(r.int_max, 80);
	uwg_igd_rule_format(&r, buf, sizeof(buf));
	CHECK(!strcmp(buf, "deny 0-65535 0.0.0.0/0 80-80"));

	/* a bare address is /32; a dotted mask as miniupnpd.conf allows it */
	CHECK_EQ_INT(uwg_igd_rule_parse(&r, "allow 6881 10.100.0.7 6881"), 0);
	CHECK_EQ_U64(r.mask_h, 0xffffffffu);
	CHECK_EQ_INT(uwg_igd_rule_parse(&r, "allow 1-2 192.168.1.0/255.255.255.0 3-4"), 0);
	CHECK_EQ_U64(r.net_h, ip(192, 168, 1, 0));
	CHECK_EQ_U64(r.mask_h, 0xffffff00u);

	static const char *const bad[] = {
		"",
		"allow",
		"allow 1 10.0.0.1",
		"permit 1 10.0.0.1 1",
		"Allow 1 10.0.0.1 1",
		"allow 65536 10.0.0.1 1",
		"allow 5-3 10.0.0.1 1",
		"allow 1- 10.0.0.1 1",
		"allow -1 10.0.0.1 1",
		"allow 1 10.0.0.1 1-",
		"allow 1 10.0.0.1/33 1",
		"allow 1 10.0.0.1/24 1",           /* host bits set */
		"allow 1 10.0.0.0/255.0.255.0 1",  /* not contiguous */
		"allow 1 10.0.0 1",
		"allow 1 10.0.0.256 1",
		"allow 1 10.0.0.1.2 1",
		"allow 1 10.0.0.1 1 \"desc regex\"", /* regexes are not supported */
		"allow 1x 10.0.0.1 1",
		"allow 000001 10.0.0.1 1",        /* more than five digits */
	};
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		int err = uwg_igd_rule_parse(&r, bad[i]);

		if (err != -EINVAL)
			fprintf(stderr, "rule accepted: '%s'\n", bad[i]);
		CHECK_EQ_INT(err, -EINVAL);
	}
}

static void test_cidr(void)
{
	uint32_t net, mask;

	CHECK_EQ_INT(uwg_igd_cidr_parse("10.100.0.0/16", &net, &mask), 0);
	CHECK_EQ_U64(net, ip(10, 100, 0, 0));
	CHECK_EQ_U64(mask, 0xffff0000u);
	CHECK_EQ_INT(uwg_igd_cidr_parse("10.100.0.1", &net, &mask), 0);
	CHECK_EQ_U64(mask, 0xffffffffu);
	CHECK_EQ_INT(uwg_igd_cidr_parse("10.100.0.1/16", &net, &mask), -EINVAL);
	CHECK_EQ_INT(uwg_igd_cidr_parse("10.100.0.0/", &net, &mask), -EINVAL);
	CHECK_EQ_INT(uwg_igd_cidr_parse("10.100.0.0/16 ", &net, &mask), -EINVAL);
}

static void test_check(void)
{
	struct uwg_igd_policy pol;
	struct uwg_igd_rule r;
	uint32_t a = ip(10, 100, 0, 2), b = ip(10, 100, 0, 3);

	uwg_igd_policy_init(&pol);
	CHECK_EQ_U64(pol.max_per_client, UWG_IGD_DEFAULT_PER_CLIENT);
	CHECK_EQ_U64(pol.max_lease_s, 604800);
	CHECK(!pol.allow_privileged);

	/* no rules: everything unprivileged is allowed */
	CHECK_EQ_INT(uwg_igd_policy_check(&pol, 1024, a, 1), 0);
	CHECK_EQ_INT(uwg_igd_policy_check(&pol, 65535, a, 65535), 0);
	CHECK_EQ_INT(uwg_igd_policy_check(&pol, 1023, a, 8080), 606);
	CHECK_EQ_INT(uwg_igd_policy_check(&pol, 80, a, 80), 606);
	CHECK_EQ_INT(uwg_igd_policy_check(&pol, 0, a, 80), 606);
	CHECK_EQ_INT(uwg_igd_policy_check(&pol, 8080, a, 0), 606);
	CHECK_EQ_U64(uwg_igd_policy_min_port(&pol), 1024);
	pol.allow_privileged = true;
	CHECK_EQ_INT(uwg_igd_policy_check(&pol, 80, a, 80), 0);
	CHECK_EQ_U64(uwg_igd_policy_min_port(&pol), 1);
	CHECK_EQ_INT(uwg_igd_policy_check(&pol, 0, a, 80), 606);

	/* first match wins: B may only use 6881-6889, nobody 5000-5999, the rest falls through */
	CHECK_EQ_INT(uwg_igd_rule_parse(&r, "allow 6881-6889 10.100.0.3 1-65535"), 0);
	CHECK_EQ_INT(uwg_igd_policy_add_rule(&pol, &r), 0);
	CHECK_EQ_INT(uwg_igd_rule_parse(&r, "deny 0-65535 10.100.0.3 1-65535"), 0);
	CHECK_EQ_INT(uwg_igd_policy_add_rule(&pol, &r), 0);
	CHECK_EQ_INT(uwg_igd_rule_parse(&r, "deny 5000-5999 0.0.0.0/0 1-65535"), 0);
	CHECK_EQ_INT(uwg_igd_policy_add_rule(&pol, &r), 0);
	CHECK_EQ_INT(uwg_igd_rule_parse(&r, "deny 1-65535 10.100.0.0/24 1-1023"), 0);
	CHECK_EQ_INT(uwg_igd_policy_add_rule(&pol, &r), 0);
	CHECK_EQ_INT(uwg_igd_policy_check(&pol, 6881, b, 6881), 0);
	CHECK_EQ_INT(uwg_igd_policy_check(&pol, 6890, b, 6881), 606);
	CHECK_EQ_INT(uwg_igd_policy_check(&pol, 5500, a, 5500), 606);
	CHECK_EQ_INT(uwg_igd_policy_check(&pol, 6000, a, 6000), 0);
	CHECK_EQ_INT(uwg_igd_policy_check(&pol, 6000, a, 22), 606);
	CHECK_EQ_INT(uwg_igd_policy_check(&pol, 6000, ip(10, 100, 1, 2), 22), 0);

	/* the table has a fixed size */
	while (pol.n_rules < UWG_IGD_MAX_RULES)
		CHECK_EQ_INT(uwg_igd_policy_add_rule(&pol, &r), 0);
	CHECK_EQ_INT(uwg_igd_policy_add_rule(&pol, &r), -ENOSPC);
}

static void test_requester(void)
{
	struct uwg_igd_policy pol;

	uwg_igd_policy_init(&pol);
	CHECK_EQ_INT(uwg_igd_cidr_parse("10.100.0.0/24", &pol.allow_net_h, &pol.allow_mask_h), 0);
	CHECK(uwg_igd_policy_requester_ok(&pol, ip(10, 100, 0, 2)));
	CHECK(uwg_igd_policy_requester_ok(&pol, ip(10, 100, 0, 255)));
	CHECK(!uwg_igd_policy_requester_ok(&pol, ip(10, 100, 1, 2)));
	CHECK(!uwg_igd_policy_requester_ok(&pol, ip(10, 200, 0, 2)));
	CHECK(!uwg_igd_policy_requester_ok(&pol, ip(127, 0, 0, 1)));
}

static struct in6_addr a6(const char *text)
{
	struct in6_addr a;

	memset(&a, 0, sizeof(a));
	CHECK_EQ_INT(inet_pton(AF_INET6, text, &a), 1);
	return a;
}

/* IPv6 requesters: one prefix (none by default), either family through source_ok. */
static void test_requester6(void)
{
	struct uwg_igd_policy pol;
	struct in6_addr net, x;
	struct uwg_igd_addr from;
	unsigned bits = 99;

	CHECK_EQ_INT(uwg_igd_cidr6_parse("fd00:100::/64", &net, &bits), 0);
	CHECK_EQ_U64(bits, 64);
	x = a6("fd00:100::");
	CHECK(!memcmp(&net, &x, 16));
	CHECK_EQ_INT(uwg_igd_cidr6_parse("2001:db8::5", &net, &bits), 0);
	CHECK_EQ_U64(bits, 128);
	CHECK_EQ_INT(uwg_igd_cidr6_parse("::/0", &net, &bits), 0);
	CHECK_EQ_U64(bits, 0);
	CHECK_EQ_INT(uwg_igd_cidr6_parse("fd00:100::1/64", &net, &bits), -EINVAL); /* host bits */
	CHECK_EQ_INT(uwg_igd_cidr6_parse("fd00:100::/129", &net, &bits), -EINVAL);
	CHECK_EQ_INT(uwg_igd_cidr6_parse("fd00:100::/", &net, &bits), -EINVAL);
	CHECK_EQ_INT(uwg_igd_cidr6_parse("fd00:100::/6x", &net, &bits), -EINVAL);
	CHECK_EQ_INT(uwg_igd_cidr6_parse("10.0.0.0/8", &net, &bits), -EINVAL);
	CHECK_EQ_INT(uwg_igd_cidr6_parse("/64", &net, &bits), -EINVAL);
	CHECK_EQ_INT(uwg_igd_cidr6_parse("", &net, &bits), -EINVAL);

	/* prefixes on and off byte boundaries */
	net = a6("fd00:100::");
	x = a6("fd00:100::2");
	CHECK(uwg_igd_in6_prefix(&x, &net, 64));
	CHECK(uwg_igd_in6_prefix(&x, &net, 0));
	CHECK(!uwg_igd_in6_prefix(&x, &net, 128));
	CHECK(!uwg_igd_in6_prefix(&x, &net, 129));
	x = a6("fd00:17f::2"); /* byte 3: 0x7f against 0x00, the first bit equal */
	CHECK(uwg_igd_in6_prefix(&x, &net, 24));
	CHECK(uwg_igd_in6_prefix(&x, &net, 25));
	CHECK(!uwg_igd_in6_prefix(&x, &net, 26));
	x = a6("fd00:200::2"); /* byte 2: 0x02 against 0x01, differing from bit 22 */
	CHECK(uwg_igd_in6_prefix(&x, &net, 22));
	CHECK(!uwg_igd_in6_prefix(&x, &net, 23));

	uwg_igd_policy_init(&pol);
	CHECK_EQ_INT(uwg_igd_cidr_parse("10.100.0.0/24", &pol.allow_net_h, &pol.allow_mask_h), 0);
	x = a6("fd00:100::2");
	CHECK(!uwg_igd_policy_requester6_ok(&pol, &x)); /* no IPv6 prefix: nobody */
	pol.allow6 = true;
	CHECK_EQ_INT(uwg_igd_cidr6_parse("fd00:100::/64", &pol.allow6_net, &pol.allow6_bits), 0);
	CHECK(uwg_igd_policy_requester6_ok(&pol, &x));
	x = a6("fd00:100:0:1::2");
	CHECK(!uwg_igd_policy_requester6_ok(&pol, &x));
	x = a6("::ffff:10.100.0.2"); /* an IPv4-mapped address is not the IPv4 requester */
	CHECK(!uwg_igd_policy_requester6_ok(&pol, &x));

	memset(&from, 0, sizeof(from));
	from.ip4.s_addr = htonl(ip(10, 100, 0, 2));
	CHECK(uwg_igd_policy_source_ok(&pol, &from));
	from.ip4.s_addr = htonl(ip(10, 200, 0, 2));
	CHECK(!uwg_igd_policy_source_ok(&pol, &from));
	from.v6 = true;
	from.ip6 = a6("fd00:100::3");
	CHECK(uwg_igd_policy_source_ok(&pol, &from));
	from.ip6 = a6("fd00:200::3");
	CHECK(!uwg_igd_policy_source_ok(&pol, &from));

	/* pinholes: internal ports below 1024 only with allow_privileged */
	CHECK_EQ_INT(uwg_igd_policy_check_pinhole(&pol, 1024), 0);
	CHECK_EQ_INT(uwg_igd_policy_check_pinhole(&pol, 65535), 0);
	CHECK_EQ_INT(uwg_igd_policy_check_pinhole(&pol, 1023), 606);
	CHECK_EQ_INT(uwg_igd_policy_check_pinhole(&pol, 0), 606);
	pol.allow_privileged = true;
	CHECK_EQ_INT(uwg_igd_policy_check_pinhole(&pol, 22), 0);
}

static void test_lease(void)
{
	struct uwg_igd_policy pol;

	uwg_igd_policy_init(&pol);
	CHECK_EQ_U64(uwg_igd_policy_lease(&pol, 0), 0);
	CHECK_EQ_U64(uwg_igd_policy_lease(&pol, 1), 1);
	CHECK_EQ_U64(uwg_igd_policy_lease(&pol, 3600), 3600);
	CHECK_EQ_U64(uwg_igd_policy_lease(&pol, 604800), 604800);
	CHECK_EQ_U64(uwg_igd_policy_lease(&pol, 604801), 604800);
	CHECK_EQ_U64(uwg_igd_policy_lease(&pol, 0xffffffffu), 604800);
	pol.zero_lease_is_max = true;
	CHECK_EQ_U64(uwg_igd_policy_lease(&pol, 0), 604800);
	pol.max_lease_s = 3600;
	CHECK_EQ_U64(uwg_igd_policy_lease(&pol, 0), 3600);
	CHECK_EQ_U64(uwg_igd_policy_lease(&pol, 7200), 3600);
	CHECK_EQ_U64(uwg_igd_policy_lease(&pol, 60), 60);
	pol.max_lease_s = 0; /* 0 = the IGD maximum */
	CHECK_EQ_U64(uwg_igd_policy_lease(&pol, 999999), 604800);
}

/* Every port of [lo, 65535] exactly once, starting at start, then 0 for good. */
static void walk_all(uint16_t start, uint16_t lo)
{
	static uint8_t seen[65536];
	struct uwg_igd_port_walk w;
	unsigned n = 0, dup = 0, out = 0;
	uint16_t p, first;

	memset(seen, 0, sizeof(seen));
	uwg_igd_port_walk_init(&w, start, lo);
	if (lo == 0)
		lo = 1; /* port 0 is never a candidate */
	first = uwg_igd_port_walk_next(&w);
	CHECK_EQ_U64(first, start < lo ? lo : start);
	for (p = first; p; p = uwg_igd_port_walk_next(&w)) {
		dup += seen[p];
		out += p < lo;
		seen[p] = 1;
		if (++n > 70000)
			break;
	}
	CHECK_EQ_U64(n, 65536u - lo);
	CHECK_EQ_U64(dup, 0);
	CHECK_EQ_U64(out, 0);
	CHECK_EQ_U64(uwg_igd_port_walk_next(&w), 0);
	CHECK_EQ_U64(uwg_igd_port_walk_next(&w), 0);
}

static void test_walk(void)
{
	struct uwg_igd_port_walk w;

	uwg_igd_port_walk_init(&w, 8043, 1024);
	CHECK_EQ_U64(uwg_igd_port_walk_next(&w), 8043);
	CHECK_EQ_U64(uwg_igd_port_walk_next(&w), 8044);
	CHECK_EQ_U64(uwg_igd_port_walk_next(&w), 8042);
	CHECK_EQ_U64(uwg_igd_port_walk_next(&w), 8045);
	CHECK_EQ_U64(uwg_igd_port_walk_next(&w), 8041);

	/* at the top edge only downward steps remain */
	uwg_igd_port_walk_init(&w, 65535, 65532);
	CHECK_EQ_U64(uwg_igd_port_walk_next(&w), 65535);
	CHECK_EQ_U64(uwg_igd_port_walk_next(&w), 65534);
	CHECK_EQ_U64(uwg_igd_port_walk_next(&w), 65533);
	CHECK_EQ_U64(uwg_igd_port_walk_next(&w), 65532);
	CHECK_EQ_U64(uwg_igd_port_walk_next(&w), 0);

	/* a start below lo begins at lo and walks up */
	uwg_igd_port_walk_init(&w, 80, 1024);
	CHECK_EQ_U64(uwg_igd_port_walk_next(&w), 1024);
	CHECK_EQ_U64(uwg_igd_port_walk_next(&w), 1025);
	CHECK_EQ_U64(uwg_igd_port_walk_next(&w), 1026);

	walk_all(40000, 1024);
	walk_all(1024, 1024);
	walk_all(65535, 1);
	walk_all(1, 0);
}

int main(void)
{
	test_rule_parse();
	test_cidr();
	test_check();
	test_requester();
	test_requester6();
	test_lease();
	test_walk();
	return harness_report("test_igd_policy");
}
