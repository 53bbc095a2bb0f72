/*
 * test/unit/cli/daemon/test_leases.c - the lease file's lines (cli/daemon/leases.c):
 * a port map and an IPv6 pinhole written and read back field by field, the exact
 * text of each, and lines that must be refused.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>

#include "cli/daemon/leases.h"
#include "test/harness.h"

static void test_round_trip(void)
{
	struct uwg_lease m = { 0 }, p = { 0 }, back;
	char line[512];

	snprintf(m.origin, sizeof(m.origin), "natpmp");
	m.proto = IPPROTO_UDP;
	m.ext_port = 6000;
	m.int_addr = 0x0a640002u;
	m.int_port = 6001;
	memset(m.owner, 0x11, 32);
	m.expires = 1800000000;
	snprintf(m.desc, sizeof(m.desc), "NAT-PMP 6001 udp");
	uwg_lease_format(&m, line, sizeof(line));
	CHECK_EQ_STR(line, "map natpmp udp 6000 10.100.0.2 6001 "
			   "ERERERERERERERERERERERERERERERERERERERERERE= 1800000000 NAT-PMP 6001 udp");
	CHECK_EQ_INT(uwg_lease_parse(&back, line), 0);
	CHECK(!back.pinhole && back.proto == IPPROTO_UDP && back.ext_port == 6000 &&
	      back.int_addr == 0x0a640002u && back.int_port == 6001 &&
	      !memcmp(back.owner, m.owner, 32) && back.expires == 1800000000 &&
	      !strcmp(back.desc, "NAT-PMP 6001 udp") && !strcmp(back.origin, "natpmp"));

	p.pinhole = true;
	snprintf(p.origin, sizeof(p.origin), "upnp");
	p.proto = IPPROTO_TCP;
	inet_pton(AF_INET6, "2001:db8:2::2", p.int6);
	p.int_port = 8080;
	inet_pton(AF_INET6, "2001:db8:4::2", p.rem6);
	p.rem_port = 0;
	memset(p.owner, 0x22, 32);
	p.expires = 1800000060;
	snprintf(p.desc, sizeof(p.desc), "IGD2 pinhole");
	uwg_lease_format(&p, line, sizeof(line));
	CHECK_EQ_STR(line, "pinhole upnp tcp 2001:db8:2::2 8080 2001:db8:4::2 0 "
			   "IiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiI= 1800000060 IGD2 pinhole");
	CHECK_EQ_INT(uwg_lease_parse(&back, line), 0);
	CHECK(back.pinhole && back.proto == IPPROTO_TCP && back.int_port == 8080 &&
	      !memcmp(back.int6, p.int6, 16) && !memcmp(back.rem6, p.rem6, 16) &&
	      back.rem_port == 0 && !memcmp(back.owner, p.owner, 32) &&
	      back.expires == 1800000060 && !strcmp(back.desc, "IGD2 pinhole"));
}

static void test_refused(void)
{
	static const char *const bad[] = {
		"",
		"map upnp tcp 0 10.100.0.2 80 ERERERERERERERERERERERERERERERERERERERERERE= 0 x",
		"map upnp icmp 80 10.100.0.2 80 ERERERERERERERERERERERERERERERERERERERERERE= 0 x",
		"pinhole upnp tcp 10.100.0.2 8080 :: 0 IiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiI= 1 x",
		"pinhole upnp tcp 2001:db8::2 0 :: 0 IiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiI= 1 x",
		/* a pinhole always has a lease */
		"pinhole upnp tcp 2001:db8::2 80 :: 0 IiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiI= 0 x",
		"pinhole upnp tcp 2001:db8::2 80 :: 70000 IiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiI= 1 x",
		"pinhole upnp tcp 2001:db8::2 80 ::",
	};
	struct uwg_lease e;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CHECK(uwg_lease_parse(&e, bad[i]) < 0);
}

int main(void)
{
	test_round_trip();
	test_refused();
	return harness_report("test_leases");
}
