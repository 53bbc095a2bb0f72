/*
 * test/fuzz/fuzz_soap.c - arbitrary bytes through the IGD's pure request
 * path: igd/soap.c's parser, every argument check, and igd/actions.c (and
 * igd/fwctl.c for WANIPv6FirewallControl) run against the in-memory map
 * table (test/doubles/maptable.c) seeded with a few maps and pinholes.
 * Nothing may crash or leak, and:
 *  - a parse that fails leaves no arguments; one that succeeds yields
 *    NUL-terminated names and values within their limits;
 *  - an action answers either an error code in the UPnP range and no body,
 *    or a body that parses back as "<action>Response";
 *  - the table keeps its invariants: unique (proto, port), non-zero ports,
 *    clamped leases, sanitized descriptions, maps of X (outside the CIDR)
 *    never appear, and nobody's map changes hands; no IPv6 requester ever
 *    makes a port map;
 *  - pinholes: unique UniqueIDs and five-tuples, leases 1..86400, TCP or
 *    UDP, ports >= 1024, "IGD2 pinhole" or the seeded PCP one, each client
 *    only its own (the seeded ones stay), nothing for Z (outside the prefix)
 *    or an IPv4 requester;
 *  - the input as a rule line either fails or round-trips through format.
 *
 * Input: byte 0 selects the requester (bits 0-2: A, B, X, A over IPv4; P, Q,
 * Z, P over IPv6) and the service (bits 3-4: WANIPConnection,
 * CommonInterfaceConfig, Layer3Forwarding, WANIPv6FirewallControl) and, in
 * bits 5-7, how many seconds the clock advances before the request; the
 * rest is the request body. The fuzzer's seeds: test/fuzz/corpus/fuzz_soap.
 */
#include <arpa/inet.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "igd/actions.h"
#include "test/doubles/maptable.h"

#define REQUIRE(c)                     \
	do {                           \
		if (!(c))              \
			abort();       \
	} while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint64_t now_s;

static uint64_t fake_clock(void *ctx)
{
	(void)ctx;
	return now_s;
}

static struct uwg_igd_maptable table;

static bool desc_clean(const char *d)
{
	size_t n = strnlen(d, UWG_IGD_DESC_MAX);

	if (n >= UWG_IGD_DESC_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if (d[i] < 0x20 || d[i] > 0x7e || strchr("<>&'\"", d[i]))
			return false;
	return true;
}

static void check_pinholes(const struct in6_addr *p, const struct in6_addr *q)
{
	for (size_t i = 0; i < table.n_pinholes; i++) {
		const struct uwg_igd_pinhole *ph = &table.pinholes[i].ph;

		REQUIRE(ph->proto == IPPROTO_TCP || ph->proto == IPPROTO_UDP);
		REQUIRE(ph->id && ph->int_port >= 1024);
		REQUIRE(ph->lease_s >= 1 && ph->lease_s <= 86400);
		REQUIRE(desc_clean(ph->desc));
		REQUIRE(!memcmp(&ph->int_client, p, 16) || !memcmp(&ph->int_client, q, 16));
		/* a client's pinholes are made by that client */
		REQUIRE(!memcmp(&table.pinholes[i].owner, &ph->int_client, 16));
		REQUIRE(!strcmp(ph->desc, "IGD2 pinhole") ||
			(ph->id == 7 && !strcmp(ph->desc, "PCP MAP 000000000000000000000001")));
		for (size_t j = i + 1; j < table.n_pinholes; j++) {
			const struct uwg_igd_pinhole *o = &table.pinholes[j].ph;

			REQUIRE(ph->id != o->id);
			REQUIRE(ph->proto != o->proto || ph->int_port != o->int_port ||
				ph->remote_port != o->remote_port ||
				memcmp(&ph->int_client, &o->int_client, 16) ||
				memcmp(&ph->remote_host, &o->remote_host, 16));
		}
	}
}

static void check_table(struct in_addr a, struct in_addr b)
{
	for (size_t i = 0; i < table.n; i++) {
		const struct uwg_igd_map *m = &table.e[i].map;

		REQUIRE(m->proto == IPPROTO_TCP || m->proto == IPPROTO_UDP);
		REQUIRE(m->ext_port && m->int_port);
		REQUIRE(m->lease_s <= UWG_IGD_MAX_LEASE_S);
		REQUIRE(desc_clean(m->desc));
		REQUIRE(m->int_client.s_addr == a.s_addr || m->int_client.s_addr == b.s_addr);
		/* the seeded maps stay with their owners */
		if (m->proto == IPPROTO_TCP && m->ext_port == 8043)
			REQUIRE(m->int_client.s_addr == a.s_addr);
		if (m->proto == IPPROTO_UDP && m->ext_port == 6881)
			REQUIRE(m->int_client.s_addr == b.s_addr);
		for (size_t j = i + 1; j < table.n; j++)
			REQUIRE(m->proto != table.e[j].map.proto ||
				m->ext_port != table.e[j].map.ext_port);
	}
}

static void check_args(const struct uwg_igd_soap_msg *m)
{
	uint16_t port;
	uint32_t u;
	uint8_t proto;
	struct in_addr ip;
	bool b;
	char desc[UWG_IGD_DESC_MAX];

	REQUIRE(m->n_args <= UWG_IGD_SOAP_MAX_ARGS);
	REQUIRE(strnlen(m->action, sizeof(m->action)) < sizeof(m->action));
	REQUIRE(strnlen(m->ns, sizeof(m->ns)) < sizeof(m->ns));
	REQUIRE(!m->ns[0] || uwg_igd_ns_ok(m->ns));
	for (unsigned i = 0; i < m->n_args; i++) {
		const char *v = m->args[i].value;

		REQUIRE(strnlen(m->args[i].name, UWG_IGD_SOAP_NAME_MAX) < UWG_IGD_SOAP_NAME_MAX);
		REQUIRE(m->args[i].name[0]);
		REQUIRE(strnlen(v, UWG_IGD_SOAP_VALUE_MAX) < UWG_IGD_SOAP_VALUE_MAX);
		if (!uwg_igd_arg_port(v, &port))
			REQUIRE(uwg_igd_arg_u32(v, &u) == 0 && u == port);
		if (!uwg_igd_arg_ipv4(v, &ip)) {
			char back[INET_ADDRSTRLEN];

			REQUIRE(inet_ntop(AF_INET, &ip, back, sizeof(back)) != NULL);
		}
		(void)uwg_igd_arg_port_or_wildcard(v, &port);
		(void)uwg_igd_arg_proto(v, &proto);
		(void)uwg_igd_arg_bool(v, &b);
		(void)uwg_igd_arg_remote_wildcard(v);
		REQUIRE(uwg_igd_sanitize_desc(desc, sizeof(desc), v) < sizeof(desc));
		REQUIRE(desc_clean(desc));
	}
}

static void check_rule(const uint8_t *data, size_t size)
{
	char text[256], again[UWG_IGD_RULE_TEXT_MAX];
	struct uwg_igd_rule r, r2;

	if (size >= sizeof(text))
		return;
	memcpy(text, data, size);
	text[size] = '\0';
	if (uwg_igd_rule_parse(&r, text))
		return;
	REQUIRE(r.ext_min <= r.ext_max && r.int_min <= r.int_max);
	REQUIRE((r.net_h & ~r.mask_h) == 0);
	REQUIRE(uwg_igd_rule_format(&r, again, sizeof(again)) < sizeof(again));
	REQUIRE(uwg_igd_rule_parse(&r2, again) == 0);
	REQUIRE(!memcmp(&r, &r2, sizeof(r)));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const enum uwg_igd_service svcs[4] = { UWG_IGD_SVC_WANIP, UWG_IGD_SVC_CIF,
						      UWG_IGD_SVC_L3F, UWG_IGD_SVC_FW6 };
	struct uwg_igd_ops ops;
	struct uwg_igd_policy pol;
	struct uwg_igd_actx ax;
	struct uwg_igd_soap_msg msg, back;
	struct uwg_igd_result res;
	struct uwg_igd_addr who[8];
	struct in_addr a, b;
	struct in6_addr p, q;
	struct uwg_igd_map seed;
	struct uwg_igd_pinhole hole;
	size_t maps_before;
	uint16_t id;
	int err;

	if (size < 1 || size > 1 << 16)
		return 0;
	check_rule(data + 1, size - 1);

	err = uwg_igd_soap_parse(&msg, (const char *)data + 1, size - 1);
	if (err) {
		REQUIRE(msg.n_args == 0);
		return 0;
	}
	check_args(&msg);

	inet_pton(AF_INET, "10.100.0.2", &a);
	inet_pton(AF_INET, "10.100.0.3", &b);
	inet_pton(AF_INET6, "fd00:100::2", &p);
	inet_pton(AF_INET6, "fd00:100::3", &q);
	memset(who, 0, sizeof(who));
	who[0].ip4 = who[3].ip4 = a;
	who[1].ip4 = b;
	inet_pton(AF_INET, "10.200.0.2", &who[2].ip4);
	for (int i = 4; i < 8; i++)
		who[i].v6 = true;
	who[4].ip6 = who[7].ip6 = p;
	who[5].ip6 = q;
	inet_pton(AF_INET6, "fd00:200::2", &who[6].ip6);
	now_s = 1000;
	uwg_igd_maptable_init(&table, 16, fake_clock, NULL);
	table.ext_ip.s_addr = htonl(0xcb007201u);
	table.reserved_lo = 61440;
	table.reserved_hi = 65535;
	uwg_igd_maptable_ops(&table, &ops);
	uwg_igd_policy_init(&pol);
	pol.max_per_client = 4;
	uwg_igd_cidr_parse("10.100.0.0/24", &pol.allow_net_h, &pol.allow_mask_h);
	pol.allow6 = !uwg_igd_cidr6_parse("fd00:100::/64", &pol.allow6_net, &pol.allow6_bits);
	table.pinholes_per_owner = 4;
	{
		struct uwg_igd_rule r;

		uwg_igd_rule_parse(&r, "deny 5000-5999 0.0.0.0/0 1-65535");
		uwg_igd_policy_add_rule(&pol, &r);
	}
	memset(&ax, 0, sizeof(ax));
	ax.ops = &ops;
	ax.pol = &pol;
	ax.start_s = 900;
	uwg_igd_udn(ax.wcd_udn, "0123abcd-0000-4000-8000-000000000000", 2);

	memset(&seed, 0, sizeof(seed));
	seed.proto = IPPROTO_TCP;
	seed.ext_port = 8043;
	seed.int_port = 8043;
	seed.int_client = a;
	seed.lease_s = 30;
	REQUIRE(ops.add_map(ops.ctx, &seed, a) == 0);
	seed.proto = IPPROTO_UDP;
	seed.ext_port = 6881;
	seed.int_client = b;
	seed.lease_s = 0;
	REQUIRE(ops.add_map(ops.ctx, &seed, b) == 0);
	/* pinholes: P's from UPnP (id 1), Q's from PCP (id 7, long lease) */
	memset(&hole, 0, sizeof(hole));
	hole.proto = IPPROTO_TCP;
	hole.int_client = p;
	hole.int_port = 8080;
	hole.lease_s = 30;
	strcpy(hole.desc, "IGD2 pinhole");
	REQUIRE(ops.add_pinhole(ops.ctx, &hole, p, &id) == 0 && id == 1);
	table.next_id = 7;
	hole.proto = IPPROTO_UDP;
	hole.int_client = q;
	hole.lease_s = 86400;
	hole.origin = UWG_IGD_ORIGIN_PCP;
	strcpy(hole.desc, "PCP MAP 000000000000000000000001");
	REQUIRE(ops.add_pinhole(ops.ctx, &hole, q, &id) == 0 && id == 7);
	table.pinholes[0].ph.packets = data[0] & 1; /* CheckPinholeWorking both ways */

	now_s += data[0] >> 5;
	maps_before = table.n;
	uwg_igd_action_run(&ax, svcs[(data[0] >> 3) & 3], &msg, &who[data[0] & 7], now_s, &res);
	if (res.err) {
		REQUIRE(res.xml == NULL);
		REQUIRE(res.err >= 400 && res.err < 800);
	} else {
		char want[UWG_IGD_SOAP_NAME_MAX + 16];

		REQUIRE(res.xml != NULL && strlen(res.xml) == res.len);
		REQUIRE(uwg_igd_soap_parse(&back, res.xml, res.len) == 0);
		snprintf(want, sizeof(want), "%sResponse", msg.action);
		REQUIRE(!strcmp(back.action, want));
		REQUIRE(back.ns[0]);
		free(res.xml);
	}
	check_table(a, b);
	check_pinholes(&p, &q);
	/* an IPv6 requester never adds a port map; nobody but P and Q adds a pinhole */
	if (who[data[0] & 7].v6)
		REQUIRE(table.n <= maps_before);
	if ((data[0] & 7) != 4 && (data[0] & 7) != 5 && (data[0] & 7) != 7)
		REQUIRE(table.n_pinholes <= 2);
	/* Q's PCP pinhole is Q's: only Q (over IPv6) may change or remove it */
	if ((data[0] & 7) != 5) {
		bool found = false;

		for (size_t i = 0; i < table.n_pinholes; i++)
			if (table.pinholes[i].ph.id == 7)
				found = table.pinholes[i].ph.lease_s == 86400 &&
					table.pinholes[i].expires_s == 1000 + 86400;
		REQUIRE(found);
	}
	return 0;
}
