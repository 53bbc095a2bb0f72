/*
 * test/unit/igd/test_igd_actions.c - igd/actions.c over the in-memory map table
 * (test/doubles/maptable.c) on a fake clock: every action and error code of the IGD
 * contract (docs/igd.md), secure mode, the policy hooks, AddAnyPortMapping's
 * port choice, listing visibility, lease expiry, QueryStateVariable, the
 * WANIPv6FirewallControl pinhole actions (every error of miniupnpd's order,
 * argument order, ownership, duplicates, leases), which actions each address
 * family may use, and that every action the SCPDs declare is dispatched.
 */
#include "igd/actions.h"
#include "test/harness.h"
#include "test/unit/igd/fixture.h"

#include <arpa/inet.h>
#include <stdarg.h>

#define WANIP "urn:schemas-upnp-org:service:WANIPConnection:1"

static struct uwg_igd_actx ax;
static struct in_addr A, B, X;
static struct in6_addr P, Q, Z; /* fd00:100::2 and ::3 (the tunnel's /64), fd00:200::2 (outside) */

/* Event log of the table, to see what really changed. */
static char events[4096];

static void on_change(void *ctx, const char *what, const struct uwg_igd_map *m)
{
	size_t n = strlen(events);

	(void)ctx;
	snprintf(events + n, sizeof(events) - n, "%s %s %u;", what, uwg_igd_proto_str(m->proto),
		 m->ext_port);
}

static void reset(void)
{
	fixture_reset(8, 0xcb007201u, 4); /* 203.0.114.1 */
	table.changed = on_change;
	memset(&ax, 0, sizeof(ax));
	ax.ops = &ops;
	ax.pol = &pol;
	ax.start_s = 990;
	uwg_igd_udn(ax.wcd_udn, "0123abcd-0000-4000-8000-000000000000", 2);
	events[0] = '\0';
}

/* Builds a request from name/value pairs (NULL-terminated) and runs it. */
static struct uwg_igd_soap_msg resp; /* the parsed response of the last call */
static char last_xml[65536];         /* and its text (values in resp are capped at 255) */

static int vcall(enum uwg_igd_service svc, const struct uwg_igd_addr *from, const char *action,
		 va_list ap)
{
	struct uwg_igd_soap_msg m;
	struct uwg_igd_result res;
	const char *name;

	memset(&m, 0, sizeof(m));
	memset(&resp, 0, sizeof(resp));
	last_xml[0] = '\0';
	snprintf(m.action, sizeof(m.action), "%s", action);
	while ((name = va_arg(ap, const char *)) != NULL) {
		struct uwg_igd_soap_arg *a = &m.args[m.n_args++];

		snprintf(a->name, sizeof(a->name), "%s", name);
		snprintf(a->value, sizeof(a->value), "%s", va_arg(ap, const char *));
	}
	uwg_igd_action_run(&ax, svc, &m, from, fake_now, &res);
	if (res.err) {
		CHECK(res.xml == NULL);
		return res.err;
	}
	CHECK(res.xml != NULL);
	if (res.xml) {
		char want[128];

		CHECK_EQ_INT(uwg_igd_soap_parse(&resp, res.xml, res.len), 0);
		snprintf(last_xml, sizeof(last_xml), "%s", res.xml);
		snprintf(want, sizeof(want), "%sResponse", action);
		CHECK(!strcmp(resp.action, want));
		free(res.xml);
	}
	return 0;
}

/* From an IPv4 requester. */
static int call(enum uwg_igd_service svc, struct in_addr from, const char *action, ...)
{
	struct uwg_igd_addr a = { .ip4 = from };
	va_list ap;
	int err;

	va_start(ap, action);
	err = vcall(svc, &a, action, ap);
	va_end(ap);
	return err;
}

/* From an IPv6 requester. */
static int call6(enum uwg_igd_service svc, struct in6_addr from, const char *action, ...)
{
	struct uwg_igd_addr a = { .v6 = true, .ip6 = from };
	va_list ap;
	int err;

	va_start(ap, action);
	err = vcall(svc, &a, action, ap);
	va_end(ap);
	return err;
}

static const char *out(const char *name)
{
	const char *v = uwg_igd_soap_arg(&resp, name);

	return v ? v : "(absent)";
}

static int add(struct in_addr from, const char *ext, const char *proto, const char *iport,
	       const char *client, const char *desc, const char *lease)
{
	return call(UWG_IGD_SVC_WANIP, from, "AddPortMapping", "NewRemoteHost", "",
		    "NewExternalPort", ext, "NewProtocol", proto, "NewInternalPort", iport,
		    "NewInternalClient", client, "NewEnabled", "1", "NewPortMappingDescription",
		    desc, "NewLeaseDuration", lease, NULL);
}

static int add_any(struct in_addr from, const char *ext, const char *proto, const char *iport,
		   const char *client)
{
	return call(UWG_IGD_SVC_WANIP, from, "AddAnyPortMapping", "NewRemoteHost", "",
		    "NewExternalPort", ext, "NewProtocol", proto, "NewInternalPort", iport,
		    "NewInternalClient", client, "NewEnabled", "1", "NewPortMappingDescription",
		    "any", "NewLeaseDuration", "0", NULL);
}

static int specific(struct in_addr from, const char *ext, const char *proto)
{
	return call(UWG_IGD_SVC_WANIP, from, "GetSpecificPortMappingEntry", "NewRemoteHost", "",
		    "NewExternalPort", ext, "NewProtocol", proto, NULL);
}

static int del(struct in_addr from, const char *ext, const char *proto)
{
	return call(UWG_IGD_SVC_WANIP, from, "DeletePortMapping", "NewRemoteHost", "",
		    "NewExternalPort", ext, "NewProtocol", proto, NULL);
}

static int generic(struct in_addr from, const char *idx)
{
	return call(UWG_IGD_SVC_WANIP, from, "GetGenericPortMappingEntry", "NewPortMappingIndex",
		    idx, NULL);
}

static void test_status(void)
{
	reset();
	CHECK_EQ_INT(call(UWG_IGD_SVC_WANIP, A, "GetExternalIPAddress", NULL), 0);
	CHECK_EQ_STR(out("NewExternalIPAddress"), "203.0.114.1");
	CHECK_EQ_INT(call(UWG_IGD_SVC_WANIP, A, "GetStatusInfo", NULL), 0);
	CHECK_EQ_STR(out("NewConnectionStatus"), "Connected");
	CHECK_EQ_STR(out("NewLastConnectionError"), "ERROR_NONE");
	CHECK_EQ_STR(out("NewUptime"), "10");
	CHECK_EQ_INT(call(UWG_IGD_SVC_WANIP, A, "GetConnectionTypeInfo", NULL), 0);
	CHECK_EQ_STR(out("NewConnectionType"), "IP_Routed");
	CHECK_EQ_STR(out("NewPossibleConnectionTypes"), "IP_Routed");
	CHECK_EQ_INT(call(UWG_IGD_SVC_WANIP, A, "GetNATRSIPStatus", NULL), 0);
	CHECK_EQ_STR(out("NewRSIPAvailable"), "0");
	CHECK_EQ_STR(out("NewNATEnabled"), "1");
	/* the response echoes the request's namespace, else the service type */
	CHECK_EQ_STR(resp.ns, WANIP);

	/* unknown external address: empty, and the connection reads Disconnected */
	table.ext_ip.s_addr = 0;
	CHECK_EQ_INT(call(UWG_IGD_SVC_WANIP, A, "GetExternalIPAddress", NULL), 0);
	CHECK_EQ_STR(out("NewExternalIPAddress"), "");
	CHECK_EQ_INT(call(UWG_IGD_SVC_WANIP, A, "GetStatusInfo", NULL), 0);
	CHECK_EQ_STR(out("NewConnectionStatus"), "Disconnected");

	CHECK_EQ_INT(call(UWG_IGD_SVC_WANIP, A, "SetConnectionType", "NewConnectionType",
			  "IP_Routed", NULL),
		     731);
	CHECK_EQ_INT(call(UWG_IGD_SVC_WANIP, A, "RequestConnection", NULL), 606);
	CHECK_EQ_INT(call(UWG_IGD_SVC_WANIP, A, "ForceTermination", NULL), 606);
	CHECK_EQ_INT(call(UWG_IGD_SVC_WANIP, A, "GetPortMappingNumberOfEntries", NULL), 401);
	CHECK_EQ_INT(call(UWG_IGD_SVC_WANIP, A, "Bogus", NULL), 401);
	/* actions belong to their service */
	CHECK_EQ_INT(call(UWG_IGD_SVC_CIF, A, "GetExternalIPAddress", NULL), 401);
	CHECK_EQ_INT(call(UWG_IGD_SVC_WANIP, A, "GetTotalBytesSent", NULL), 401);
	/* nobody outside the CIDR gets anything, not even the address */
	CHECK_EQ_INT(call(UWG_IGD_SVC_WANIP, X, "GetExternalIPAddress", NULL), 606);
}

static void test_cif_l3f(void)
{
	reset();
	table.counters.bytes_sent = 0x100000005ull; /* ui4 wraps */
	table.counters.bytes_received = 7;
	table.counters.packets_sent = 8;
	table.counters.packets_received = 9;
	ax.up_bps = 50000000;
	CHECK_EQ_INT(call(UWG_IGD_SVC_CIF, A, "GetCommonLinkProperties", NULL), 0);
	CHECK_EQ_STR(out("NewWANAccessType"), "Ethernet");
	CHECK_EQ_STR(out("NewLayer1UpstreamMaxBitRate"), "50000000");
	CHECK_EQ_STR(out("NewLayer1DownstreamMaxBitRate"), "1000000000");
	CHECK_EQ_STR(out("NewPhysicalLinkStatus"), "Up");
	CHECK_EQ_INT(call(UWG_IGD_SVC_CIF, A, "GetTotalBytesSent", NULL), 0);
	CHECK_EQ_STR(out("NewTotalBytesSent"), "5");
	CHECK_EQ_INT(call(UWG_IGD_SVC_CIF, A, "GetTotalBytesReceived", NULL), 0);
	CHECK_EQ_STR(out("NewTotalBytesReceived"), "7");
	CHECK_EQ_INT(call(UWG_IGD_SVC_CIF, A, "GetTotalPacketsSent", NULL), 0);
	CHECK_EQ_STR(out("NewTotalPacketsSent"), "8");
	CHECK_EQ_INT(call(UWG_IGD_SVC_CIF, A, "GetTotalPacketsReceived", NULL), 0);
	CHECK_EQ_STR(out("NewTotalPacketsReceived"), "9");
	/* counters are optional */
	ops.counters = NULL;
	CHECK_EQ_INT(call(UWG_IGD_SVC_CIF, A, "GetTotalPacketsReceived", NULL), 0);
	CHECK_EQ_STR(out("NewTotalPacketsReceived"), "0");

	CHECK_EQ_INT(call(UWG_IGD_SVC_L3F, A, "GetDefaultConnectionService", NULL), 0);
	CHECK_EQ_STR(out("NewDefaultConnectionService"),
	       "uuid:0123abcd-0000-4000-8000-000000000002:WANConnectionDevice:1,"
	       "urn:upnp-org:serviceId:WANIPConn1");
	CHECK_EQ_INT(call(UWG_IGD_SVC_L3F, A, "SetDefaultConnectionService",
			  "NewDefaultConnectionService", "x", NULL),
		     606);
}

static void test_add(void)
{
	reset();
	/* the upnpc -a shape */
	CHECK_EQ_INT(add(A, "8043", "TCP", "8043", "10.100.0.2", "libminiupnpc", "0"), 0);
	CHECK_EQ_STR(events, "add TCP 8043;");
	CHECK_EQ_INT(specific(A, "8043", "tcp"), 0);
	CHECK_EQ_STR(out("NewInternalPort"), "8043");
	CHECK_EQ_STR(out("NewInternalClient"), "10.100.0.2");
	CHECK_EQ_STR(out("NewEnabled"), "1");
	CHECK_EQ_STR(out("NewPortMappingDescription"), "libminiupnpc");
	CHECK_EQ_STR(out("NewLeaseDuration"), "0");

	/* argument errors, in miniupnpd's order */
	CHECK_EQ_INT(add(A, "80x", "TCP", "1", "10.100.0.2", "", "0"), 402);
	CHECK_EQ_INT(add(A, "9000", "ICMP", "1", "10.100.0.2", "", "0"), 402);
	CHECK_EQ_INT(add(A, "9000", "TCP", "0", "10.100.0.2", "", "0"), 402);
	CHECK_EQ_INT(add(A, "9000", "TCP", "70000", "10.100.0.2", "", "0"), 402);
	CHECK_EQ_INT(add(A, "9000", "TCP", "1", "10.100.0.2", "", "-1"), 402);
	CHECK_EQ_INT(add(A, "9000", "TCP", "1", "host.example", "", "0"), 402);
	CHECK_EQ_INT(call(UWG_IGD_SVC_WANIP, A, "AddPortMapping", "NewExternalPort", "9000",
			  "NewInternalPort", "9000", NULL),
		     402); /* no protocol */
	/* secure mode: only for oneself, before anything else about the map */
	CHECK_EQ_INT(add(B, "9000", "TCP", "9000", "10.100.0.2", "", "0"), 606);
	CHECK_EQ_INT(add(B, "0", "TCP", "9000", "10.100.0.2", "", "0"), 606);
	CHECK_EQ_INT(add(A, "0", "TCP", "9000", "10.100.0.2", "", "0"), 716);
	CHECK_EQ_INT(add(A, "*", "TCP", "9000", "10.100.0.2", "", "0"), 716);
	CHECK_EQ_INT(call(UWG_IGD_SVC_WANIP, A, "AddPortMapping", "NewRemoteHost", "192.0.2.1",
			  "NewExternalPort", "9000", "NewProtocol", "TCP", "NewInternalPort",
			  "9000", "NewInternalClient", "10.100.0.2", NULL),
		     726);
	/* privileged external port */
	CHECK_EQ_INT(add(A, "443", "TCP", "443", "10.100.0.2", "", "0"), 606);
	CHECK_EQ_STR(events, "add TCP 8043;");

	/* empty client = the requester; no lease argument = 0; remote host "*" */
	CHECK_EQ_INT(call(UWG_IGD_SVC_WANIP, B, "AddPortMapping", "NewRemoteHost", "*",
			  "NewExternalPort", "9001", "NewProtocol", "udp", "NewInternalPort",
			  "19001", "NewInternalClient", "", "NewPortMappingDescription",
			  "x<y>&\"z'\x01", NULL),
		     0);
	CHECK_EQ_INT(specific(B, "9001", "UDP"), 0);
	CHECK_EQ_STR(out("NewInternalClient"), "10.100.0.3");
	CHECK_EQ_STR(out("NewInternalPort"), "19001");
	CHECK_EQ_STR(out("NewPortMappingDescription"), "xyz");

	/* conflict and overwrite */
	CHECK_EQ_INT(add(B, "8043", "TCP", "8043", "10.100.0.3", "", "0"), 718);
	CHECK_EQ_INT(add(B, "8043", "UDP", "8043", "10.100.0.3", "", "0"), 0); /* other proto */
	CHECK_EQ_INT(add(A, "8043", "TCP", "8044", "10.100.0.2", "new", "3600"), 0);
	CHECK_EQ_INT(specific(A, "8043", "TCP"), 0);
	CHECK_EQ_STR(out("NewInternalPort"), "8044");
	CHECK_EQ_STR(out("NewPortMappingDescription"), "new");
	CHECK_EQ_STR(out("NewLeaseDuration"), "3600");

	/* leases: clamped, counted down, expired */
	CHECK_EQ_INT(add(A, "8045", "TCP", "8045", "10.100.0.2", "", "999999999"), 0);
	CHECK_EQ_INT(specific(A, "8045", "TCP"), 0);
	CHECK_EQ_STR(out("NewLeaseDuration"), "604800");
	fake_now += 600;
	CHECK_EQ_INT(specific(A, "8043", "TCP"), 0);
	CHECK_EQ_STR(out("NewLeaseDuration"), "3000");
	fake_now += 3000;
	CHECK_EQ_INT(specific(A, "8043", "TCP"), 714);
	CHECK(strstr(events, "expire TCP 8043;") != NULL);

	/* the per-client cap (4): A holds 8045; updates at the cap still work */
	CHECK_EQ_INT(add(A, "8046", "TCP", "1", "10.100.0.2", "", "0"), 0);
	CHECK_EQ_INT(add(A, "8047", "TCP", "1", "10.100.0.2", "", "0"), 0);
	CHECK_EQ_INT(add(A, "8048", "TCP", "1", "10.100.0.2", "", "0"), 0);
	CHECK_EQ_INT(add(A, "8049", "TCP", "1", "10.100.0.2", "", "0"), 728);
	CHECK_EQ_INT(add(A, "8048", "TCP", "2", "10.100.0.2", "", "60"), 0);
	/* the table's own limit (8 entries) also yields 728: B has 2, A 4 */
	pol.max_per_client = 0;
	CHECK_EQ_INT(add(A, "8049", "TCP", "1", "10.100.0.2", "", "0"), 0);
	CHECK_EQ_INT(add(A, "8050", "TCP", "1", "10.100.0.2", "", "0"), 0);
	CHECK_EQ_INT(add(A, "8051", "TCP", "1", "10.100.0.2", "", "0"), 728);

	/* rules */
	reset();
	{
		struct uwg_igd_rule r;

		uwg_igd_rule_parse(&r, "deny 5000-5999 0.0.0.0/0 1-65535");
		uwg_igd_policy_add_rule(&pol, &r);
	}
	CHECK_EQ_INT(add(A, "5500", "TCP", "5500", "10.100.0.2", "", "0"), 606);
	CHECK_EQ_INT(add(A, "6000", "TCP", "5500", "10.100.0.2", "", "0"), 0);
	/* a table refusal is passed through */
	table.reserved_lo = 61440;
	table.reserved_hi = 65535;
	CHECK_EQ_INT(add(A, "61440", "TCP", "1", "10.100.0.2", "", "0"), 729);
}

static void test_add_any(void)
{
	reset();
	/* requested port free: taken as is (the upnpc -n shape) */
	CHECK_EQ_INT(add_any(A, "8043", "tcp", "8043", "10.100.0.2"), 0);
	CHECK_EQ_STR(out("NewReservedPort"), "8043");
	/* taken by A: B gets a neighbour */
	CHECK_EQ_INT(add_any(B, "8043", "TCP", "8043", "10.100.0.3"), 0);
	CHECK_EQ_STR(out("NewReservedPort"), "8044");
	CHECK_EQ_INT(add_any(B, "8043", "TCP", "9999", "10.100.0.3"), 0);
	CHECK_EQ_STR(out("NewReservedPort"), "8042");
	/* ... without touching B's map on 8044 */
	CHECK_EQ_INT(specific(B, "8044", "TCP"), 0);
	CHECK_EQ_STR(out("NewInternalPort"), "8043");
	/* asking again for one's own port updates it */
	CHECK_EQ_INT(add_any(A, "8043", "TCP", "8043", "10.100.0.2"), 0);
	CHECK_EQ_STR(out("NewReservedPort"), "8043");
	/* wildcard: the internal port when it is allowed */
	CHECK_EQ_INT(add_any(A, "0", "UDP", "6881", "10.100.0.2"), 0);
	CHECK_EQ_STR(out("NewReservedPort"), "6881");
	CHECK_EQ_INT(add_any(A, "*", "UDP", "80", "10.100.0.2"), 0);
	{
		unsigned long p = strtoul(out("NewReservedPort"), NULL, 10);

		CHECK(p >= 1024 && p <= 65535);
	}
	/* secure mode and arguments */
	CHECK_EQ_INT(add_any(B, "7000", "TCP", "7000", "10.100.0.2"), 606);
	CHECK_EQ_INT(add_any(A, "7000", "TCP", "0", "10.100.0.2"), 402);
	CHECK_EQ_INT(add_any(A, "x", "TCP", "7000", "10.100.0.2"), 402);

	/* a reserved block is skipped (729 from the table) */
	table.reserved_lo = 7000;
	table.reserved_hi = 7010;
	CHECK_EQ_INT(add_any(A, "7005", "TCP", "7005", "10.100.0.2"), 0);
	CHECK_EQ_STR(out("NewReservedPort"), "7011");

	/* at the cap (4): only one's own requested port can be updated */
	CHECK_EQ_INT(add_any(A, "7011", "TCP", "7011", "10.100.0.2"), 0);
	CHECK_EQ_INT(add_any(A, "20000", "TCP", "1", "10.100.0.2"), 728);
	CHECK_EQ_INT(add_any(A, "0", "TCP", "1", "10.100.0.2"), 728);

	/* nothing the policy allows: 606 */
	reset();
	{
		struct uwg_igd_rule r;

		uwg_igd_rule_parse(&r, "deny 0-65535 10.100.0.3 1-65535");
		uwg_igd_policy_add_rule(&pol, &r);
		uwg_igd_rule_parse(&r, "allow 0-65535 0.0.0.0/0 2000-2000");
		uwg_igd_policy_add_rule(&pol, &r);
		uwg_igd_rule_parse(&r, "deny 0-65535 0.0.0.0/0 1-65535");
		uwg_igd_policy_add_rule(&pol, &r);
	}
	CHECK_EQ_INT(add_any(B, "7000", "TCP", "2000", "10.100.0.3"), 606);
	CHECK_EQ_INT(add_any(A, "7000", "TCP", "2001", "10.100.0.2"), 606);
	CHECK_EQ_INT(add_any(A, "7000", "TCP", "2000", "10.100.0.2"), 0);
	CHECK_EQ_STR(out("NewReservedPort"), "7000");

	/* every candidate busy: bounded attempts, then 728 */
	reset();
	table.reserved_lo = 1;
	table.reserved_hi = 65535;
	CHECK_EQ_INT(add_any(A, "7000", "TCP", "7000", "10.100.0.2"), 728);
}

static void test_delete_and_list(void)
{
	reset();
	pol.max_per_client = 0;
	table.cap = UWG_IGD_MAPTABLE_MAX;
	CHECK_EQ_INT(add(A, "6881", "TCP", "6881", "10.100.0.2", "a1", "0"), 0);
	CHECK_EQ_INT(add(B, "6882", "TCP", "6882", "10.100.0.3", "b1", "0"), 0);
	CHECK_EQ_INT(add(A, "6883", "UDP", "6883", "10.100.0.2", "a2", "100"), 0);
	CHECK_EQ_INT(add(A, "7000", "TCP", "7000", "10.100.0.2", "a3", "0"), 0);

	/* GetGeneric: only one's own maps, 713 at the end */
	CHECK_EQ_INT(generic(A, "0"), 0);
	CHECK_EQ_STR(out("NewExternalPort"), "6881");
	CHECK_EQ_STR(out("NewProtocol"), "TCP");
	CHECK_EQ_STR(out("NewRemoteHost"), "");
	CHECK_EQ_STR(out("NewPortMappingDescription"), "a1");
	CHECK_EQ_INT(generic(A, "1"), 0);
	CHECK_EQ_STR(out("NewExternalPort"), "6883");
	CHECK_EQ_STR(out("NewLeaseDuration"), "100");
	CHECK_EQ_INT(generic(A, "2"), 0);
	CHECK_EQ_STR(out("NewExternalPort"), "7000");
	CHECK_EQ_INT(generic(A, "3"), 713);
	CHECK_EQ_INT(generic(A, "4294967295"), 713);
	CHECK_EQ_INT(generic(A, "-1"), 402);
	CHECK_EQ_INT(generic(B, "0"), 0);
	CHECK_EQ_STR(out("NewExternalPort"), "6882");
	CHECK_EQ_INT(generic(B, "1"), 713);
	CHECK_EQ_INT(specific(B, "6881", "TCP"), 714);
	CHECK_EQ_INT(specific(A, "6881", "UDP"), 714);
	CHECK_EQ_INT(specific(A, "0", "TCP"), 402);
	CHECK_EQ_INT(call(UWG_IGD_SVC_WANIP, A, "GetSpecificPortMappingEntry", "NewRemoteHost",
			  "192.0.2.1", "NewExternalPort", "6881", "NewProtocol", "TCP", NULL),
		     714);
	/* miniupnpd's behaviour on request */
	ax.show_all = true;
	CHECK_EQ_INT(generic(B, "0"), 0);
	CHECK_EQ_STR(out("NewExternalPort"), "6881");
	CHECK_EQ_INT(generic(B, "4"), 713);
	CHECK_EQ_INT(specific(B, "6881", "TCP"), 0);
	ax.show_all = false;

	/* GetListOfPortMappings: CDATA listing of own maps in range */
	CHECK_EQ_INT(call(UWG_IGD_SVC_WANIP, A, "GetListOfPortMappings", "NewStartPort", "0",
			  "NewEndPort", "65535", "NewProtocol", "TCP", "NewManage", "1",
			  "NewNumberOfPorts", "1000", NULL),
		     0);
	{
		const char *l = last_xml;

		CHECK(strstr(l, "<NewPortListing><![CDATA[<p:PortMappingList xmlns:p=\"urn:schemas-upnp-org:gw:WANIPConnection\"") != NULL);
		CHECK(strstr(l, "<p:NewExternalPort>6881</p:NewExternalPort>\n<p:NewProtocol>TCP"
				"</p:NewProtocol>\n<p:NewInternalPort>6881</p:NewInternalPort>\n"
				"<p:NewInternalClient>10.100.0.2</p:NewInternalClient>\n"
				"<p:NewEnabled>1</p:NewEnabled>\n<p:NewDescription>a1"
				"</p:NewDescription>\n<p:NewLeaseTime>0</p:NewLeaseTime>") != NULL);
		CHECK(strstr(l, "<p:NewExternalPort>7000<") != NULL);
		CHECK(strstr(l, "6882") == NULL); /* B's */
		CHECK(strstr(l, "6883") == NULL); /* UDP */
	}
	CHECK_EQ_INT(call(UWG_IGD_SVC_WANIP, A, "GetListOfPortMappings", "NewStartPort", "6000",
			  "NewEndPort", "6999", "NewProtocol", "TCP", "NewManage", "0",
			  "NewNumberOfPorts", "1", NULL),
		     0);
	CHECK(strstr(last_xml, "7000") == NULL);
	CHECK(strstr(last_xml, "6881") != NULL);
	CHECK_EQ_INT(call(UWG_IGD_SVC_WANIP, A, "GetListOfPortMappings", "NewStartPort", "100",
			  "NewEndPort", "200", "NewProtocol", "TCP", NULL),
		     0);
	/* an empty list, not 730 (miniupnpd) */
	CHECK(strstr(last_xml,
		     "<NewPortListing><![CDATA[<p:PortMappingList"
		     " xmlns:p=\"urn:schemas-upnp-org:gw:WANIPConnection\""
		     " xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\""
		     " xsi:schemaLocation=\"urn:schemas-upnp-org:gw:WANIPConnection"
		     " http://www.upnp.org/schemas/gw/WANIPConnection-v2.xsd\">\n"
		     "</p:PortMappingList>]]></NewPortListing>") != NULL);
	CHECK_EQ_INT(call(UWG_IGD_SVC_WANIP, A, "GetListOfPortMappings", "NewStartPort", "7",
			  "NewEndPort", "6", "NewProtocol", "TCP", NULL),
		     733);
	CHECK_EQ_INT(call(UWG_IGD_SVC_WANIP, A, "GetListOfPortMappings", "NewStartPort", "7",
			  "NewEndPort", "6", NULL),
		     402);

	/* DeletePortMapping */
	CHECK_EQ_INT(del(B, "6881", "TCP"), 606);
	CHECK_EQ_INT(del(A, "6881", "UDP"), 714);
	CHECK_EQ_INT(del(A, "0", "TCP"), 402);
	CHECK_EQ_INT(del(A, "6881", "XYZ"), 402);
	events[0] = '\0';
	CHECK_EQ_INT(del(A, "6881", "tcp"), 0);
	CHECK_EQ_STR(events, "del TCP 6881;");
	CHECK_EQ_INT(del(A, "6881", "TCP"), 714);

	/* DeletePortMappingRange: own maps of that protocol in range only */
	CHECK_EQ_INT(add(A, "6884", "TCP", "6884", "10.100.0.2", "", "0"), 0);
	events[0] = '\0';
	CHECK_EQ_INT(call(UWG_IGD_SVC_WANIP, A, "DeletePortMappingRange", "NewStartPort", "6000",
			  "NewEndPort", "6999", "NewProtocol", "TCP", "NewManage", "1", NULL),
		     0);
	CHECK_EQ_STR(events, "del TCP 6884;");
	CHECK_EQ_INT(call(UWG_IGD_SVC_WANIP, A, "DeletePortMappingRange", "NewStartPort", "6000",
			  "NewEndPort", "6999", "NewProtocol", "TCP", "NewManage", "1", NULL),
		     730);
	CHECK_EQ_INT(call(UWG_IGD_SVC_WANIP, A, "DeletePortMappingRange", "NewStartPort", "6999",
			  "NewEndPort", "6000", "NewProtocol", "TCP", NULL),
		     733);
	CHECK_EQ_INT(call(UWG_IGD_SVC_WANIP, A, "DeletePortMappingRange", "NewStartPort", "6000",
			  "NewEndPort", "6999", "NewProtocol", "TCP", "NewManage", "maybe", NULL),
		     402);
	CHECK_EQ_INT(specific(B, "6882", "TCP"), 0);
	CHECK_EQ_INT(specific(A, "6883", "UDP"), 0);
	CHECK_EQ_INT(specific(A, "7000", "TCP"), 0);

	/* a range delete larger than one internal batch */
	reset();
	pol.max_per_client = 0;
	table.cap = UWG_IGD_MAPTABLE_MAX;
	for (unsigned i = 0; i < 150; i++) {
		char port[8];

		snprintf(port, sizeof(port), "%u", 10000 + i);
		CHECK_EQ_INT(add(i % 2 ? A : B, port, "UDP", port, i % 2 ? "10.100.0.2" : "10.100.0.3",
				 "", "0"),
			     0);
	}
	CHECK_EQ_INT(call(UWG_IGD_SVC_WANIP, A, "DeletePortMappingRange", "NewStartPort", "1",
			  "NewEndPort", "65535", "NewProtocol", "UDP", NULL),
		     0);
	CHECK_EQ_U64(table.n, 75);
	CHECK_EQ_INT(generic(A, "0"), 713);
	CHECK_EQ_INT(generic(B, "74"), 0);
}

static int query(enum uwg_igd_service svc, const char *var, struct in_addr from, char *v)
{
	struct uwg_igd_addr a = { .ip4 = from };

	return uwg_igd_query_var(&ax, svc, var, &a, fake_now, v, UWG_IGD_VAR_MAX);
}

static void test_query_var(void)
{
	char v[UWG_IGD_VAR_MAX];

	reset();
	CHECK_EQ_INT(add(A, "8043", "TCP", "8043", "10.100.0.2", "", "0"), 0);
	CHECK_EQ_INT(add(B, "8044", "TCP", "8043", "10.100.0.3", "", "0"), 0);
	CHECK_EQ_INT(query(UWG_IGD_SVC_WANIP, "ExternalIPAddress", A, v),
		     0);
	CHECK_EQ_STR(v, "203.0.114.1");
	CHECK_EQ_INT(query(UWG_IGD_SVC_WANIP, "ConnectionStatus", A, v),
		     0);
	CHECK_EQ_STR(v, "Connected");
	CHECK_EQ_INT(query(UWG_IGD_SVC_WANIP, "PortMappingNumberOfEntries", A, v),
		     0);
	CHECK_EQ_STR(v, "1");
	CHECK_EQ_INT(query(UWG_IGD_SVC_WANIP, "Uptime", A, v),
		     0);
	CHECK_EQ_INT(query(UWG_IGD_SVC_CIF, "PhysicalLinkStatus", A, v),
		     0);
	CHECK_EQ_STR(v, "Up");
	CHECK_EQ_INT(query(UWG_IGD_SVC_L3F, "DefaultConnectionService", A, v),
		     0);
	CHECK(strstr(v, ":WANConnectionDevice:1,urn:upnp-org:serviceId:WANIPConn1") != NULL);
	CHECK_EQ_INT(query(UWG_IGD_SVC_WANIP, "PortMappingDescription", A, v),
		     404);
	CHECK_EQ_INT(query(UWG_IGD_SVC_CIF, "ExternalIPAddress", A, v),
		     404);
	CHECK_EQ_INT(query(UWG_IGD_SVC_WANIP, "ExternalIPAddress", X, v),
		     606);
}

/* ---------- WANIPv6FirewallControl ---------- */

#define FW6 UWG_IGD_SVC_FW6

/* AddPinhole with miniupnpc's argument order (not the SCPD's), from an IPv6 requester. */
static int pinhole(struct in6_addr from, const char *rhost, const char *rport, const char *proto,
		   const char *iport, const char *client, const char *lease)
{
	return call6(FW6, from, "AddPinhole", "RemoteHost", rhost, "RemotePort", rport, "Protocol",
		     proto, "InternalPort", iport, "InternalClient", client, "LeaseTime", lease,
		     NULL);
}

static const struct uwg_igd_maptable_pinhole *pinhole_entry(unsigned id)
{
	for (size_t i = 0; i < table.n_pinholes; i++)
		if (table.pinholes[i].ph.id == id)
			return &table.pinholes[i];
	return NULL;
}

static unsigned long unique_id(void)
{
	return strtoul(out("UniqueID"), NULL, 10);
}

static void test_pinhole_status(void)
{
	char v[UWG_IGD_VAR_MAX];
	struct uwg_igd_addr p6 = { .v6 = true, .ip6 = P };

	reset();
	CHECK_EQ_INT(call6(FW6, P, "GetFirewallStatus", NULL), 0);
	CHECK_EQ_STR(out("FirewallEnabled"), "1");
	CHECK_EQ_STR(out("InboundPinholeAllowed"), "1");
	CHECK_EQ_STR(resp.ns, "urn:schemas-upnp-org:service:WANIPv6FirewallControl:1");
	/* a status anyone allowed may read, over IPv4 too (miniupnpd answers it ungated) */
	CHECK_EQ_INT(call(FW6, A, "GetFirewallStatus", NULL), 0);
	CHECK_EQ_INT(call6(FW6, Z, "GetFirewallStatus", NULL), 606);
	CHECK_EQ_INT(call(FW6, X, "GetFirewallStatus", NULL), 606);
	CHECK_EQ_INT(uwg_igd_query_var(&ax, FW6, "InboundPinholeAllowed", &p6, fake_now, v,
				       sizeof(v)),
		     0);
	CHECK_EQ_STR(v, "1");
	CHECK_EQ_INT(uwg_igd_query_var(&ax, FW6, "A_ARG_TYPE_Port", &p6, fake_now, v, sizeof(v)),
		     404);

	/* inbound pinholes off: 703 from every pinhole action, before its arguments */
	table.fw_inbound = false;
	CHECK_EQ_INT(call6(FW6, P, "GetFirewallStatus", NULL), 0);
	CHECK_EQ_STR(out("FirewallEnabled"), "1");
	CHECK_EQ_STR(out("InboundPinholeAllowed"), "0");
	CHECK_EQ_INT(pinhole(P, "", "0", "6", "8080", "fd00:100::2", "3600"), 703);
	CHECK_EQ_INT(call6(FW6, P, "AddPinhole", NULL), 703);
	CHECK_EQ_INT(call6(FW6, P, "UpdatePinhole", NULL), 703);
	CHECK_EQ_INT(call6(FW6, P, "DeletePinhole", NULL), 703);
	CHECK_EQ_INT(call6(FW6, P, "GetPinholePackets", NULL), 703);
	CHECK_EQ_INT(call6(FW6, P, "CheckPinholeWorking", NULL), 703);
	/* only the firewall itself gates GetOutboundPinholeTimeout */
	CHECK_EQ_INT(call6(FW6, P, "GetOutboundPinholeTimeout", NULL), 402);

	/* the firewall off: 702 everywhere, GetFirewallStatus says so */
	table.fw_enabled = false;
	CHECK_EQ_INT(call6(FW6, P, "GetFirewallStatus", NULL), 0);
	CHECK_EQ_STR(out("FirewallEnabled"), "0");
	CHECK_EQ_INT(pinhole(P, "", "0", "6", "8080", "fd00:100::2", "3600"), 702);
	CHECK_EQ_INT(call6(FW6, P, "GetOutboundPinholeTimeout", NULL), 702);
	CHECK_EQ_INT(call6(FW6, P, "DeletePinhole", "UniqueID", "1", NULL), 702);

	/* no firewall behind the ops at all (fw_status NULL, or a pinhole op missing) */
	table.fw_enabled = table.fw_inbound = true;
	ops.fw_status = NULL;
	CHECK_EQ_INT(call6(FW6, P, "GetFirewallStatus", NULL), 0);
	CHECK_EQ_STR(out("FirewallEnabled"), "0");
	CHECK_EQ_STR(out("InboundPinholeAllowed"), "0");
	CHECK_EQ_INT(pinhole(P, "", "0", "6", "8080", "fd00:100::2", "3600"), 702);
	CHECK_EQ_INT(uwg_igd_query_var(&ax, FW6, "FirewallEnabled", &p6, fake_now, v, sizeof(v)),
		     0);
	CHECK_EQ_STR(v, "0");
	reset();
	ops.find_pinhole = NULL;
	CHECK_EQ_INT(pinhole(P, "", "0", "6", "8080", "fd00:100::2", "3600"), 702);
	CHECK_EQ_U64(table.n_pinholes, 0);
}

static void test_pinhole_add(void)
{
	const struct uwg_igd_maptable_pinhole *e;
	unsigned long id;

	reset();
	/* upnpc -6 -A empty 0 fd00:100::2 8080 tcp 3600: miniupnpc's order */
	CHECK_EQ_INT(pinhole(P, "", "0", "6", "8080", "fd00:100::2", "3600"), 0);
	id = unique_id();
	CHECK(id >= 1 && id <= 65535);
	e = pinhole_entry((unsigned)id);
	CHECK(e != NULL);
	if (e) {
		CHECK_EQ_STR(e->ph.desc, "IGD2 pinhole");
		CHECK_EQ_INT(e->ph.origin, UWG_IGD_ORIGIN_UPNP);
		CHECK_EQ_INT(e->ph.proto, IPPROTO_TCP);
		CHECK_EQ_INT(e->ph.int_port, 8080);
		CHECK_EQ_INT(e->ph.remote_port, 0);
		CHECK_EQ_INT(e->ph.lease_s, 3600);
		CHECK(!memcmp(&e->ph.int_client, &P, 16));
		CHECK(IN6_IS_ADDR_UNSPECIFIED(&e->ph.remote_host));
	}
	/* the same five in the SCPD's order, and reversed: the same pinhole, lease renewed */
	fake_now += 100;
	CHECK_EQ_INT(call6(FW6, P, "AddPinhole", "RemoteHost", "*", "RemotePort", "0",
			   "InternalClient", "fd00:100:0:0::2", "InternalPort", "8080", "Protocol",
			   "6", "LeaseTime", "600", NULL),
		     0);
	CHECK_EQ_U64(unique_id(), id);
	CHECK_EQ_INT(call6(FW6, P, "AddPinhole", "LeaseTime", "900", "InternalClient",
			   " fd00:100::2 ", "InternalPort", "8080", "Protocol", "6", "RemotePort",
			   "0", "RemoteHost", "", NULL),
		     0);
	CHECK_EQ_U64(unique_id(), id);
	CHECK_EQ_U64(table.n_pinholes, 1);
	e = pinhole_entry((unsigned)id);
	CHECK(e != NULL && e->ph.lease_s == 900 && e->expires_s == fake_now + 900);
	/* another protocol, another remote: other pinholes */
	CHECK_EQ_INT(pinhole(P, "", "0", "17", "8080", "fd00:100::2", "3600"), 0);
	CHECK(unique_id() != id);
	CHECK_EQ_INT(pinhole(P, "2001:db8::5", "443", "6", "8080", "fd00:100::2", "3600"), 0);
	CHECK(unique_id() != id);
	e = pinhole_entry((unsigned)unique_id());
	CHECK(e != NULL && e->ph.remote_port == 443 && e->ph.remote_host.s6_addr[0] == 0x20);
	CHECK_EQ_U64(table.n_pinholes, 3);

	/* the errors, each in the order miniupnpd checks them (the later fault is also there) */
	CHECK_EQ_INT(pinhole(P, "", "x", "6", "0", "", "0"), 402);           /* RemotePort */
	CHECK_EQ_INT(pinhole(P, "", "70000", "6", "0", "", "0"), 402);
	CHECK_EQ_INT(pinhole(P, "", "0", "6", "x", "", "0"), 402);           /* InternalPort */
	CHECK_EQ_INT(pinhole(P, "", "0", "65536", "0", "", "0"), 402);       /* Protocol */
	CHECK_EQ_INT(pinhole(P, "", "0", "tcp", "0", "", "0"), 402);
	CHECK_EQ_INT(call6(FW6, P, "AddPinhole", "RemoteHost", "", "Protocol", "6", "InternalPort",
			   "8080", "InternalClient", "fd00:100::2", "LeaseTime", "60", NULL),
		     402); /* no RemotePort */
	CHECK_EQ_INT(pinhole(P, "", "0", "65535", "0", "", "0"), 706);       /* InternalPort 0 */
	CHECK_EQ_INT(pinhole(P, "bad", "0", "65535", "8080", "", "0"), 708); /* no client */
	CHECK_EQ_INT(pinhole(P, "bad", "0", "65535", "8080", "*", "0"), 708);
	CHECK_EQ_INT(call6(FW6, P, "AddPinhole", "RemoteHost", "", "RemotePort", "0", "Protocol",
			   "6", "InternalPort", "8080", "LeaseTime", "60", NULL),
		     708);
	CHECK_EQ_INT(pinhole(P, "host.example", "0", "65535", "8080", "fd00:100::2", "0"), 402);
	CHECK_EQ_INT(pinhole(P, "::ffff:192.0.2.1", "0", "6", "8080", "fd00:100::2", "60"), 402);
	CHECK_EQ_INT(pinhole(P, "fe80::1%eth0", "0", "6", "8080", "fd00:100::2", "60"), 402);
	CHECK_EQ_INT(pinhole(P, "", "0", "65535", "8080", "fd00:100::3", "0"), 707);
	CHECK_EQ_INT(pinhole(P, "", "0", "1", "8080", "fd00:100::3", "0"), 705);
	CHECK_EQ_INT(pinhole(P, "", "0", "0", "8080", "fd00:100::3", "0"), 705);
	CHECK_EQ_INT(pinhole(P, "", "0", "136", "8080", "fd00:100::3", "0"), 705); /* UDP-Lite */
	CHECK_EQ_INT(pinhole(P, "", "0", "6", "8080", "fd00:100::3", "0"), 402); /* lease 1..86400 */
	CHECK_EQ_INT(pinhole(P, "", "0", "6", "8080", "fd00:100::3", "86401"), 402);
	CHECK_EQ_INT(pinhole(P, "", "0", "6", "8080", "fd00:100::3", "-1"), 402);
	CHECK_EQ_INT(call6(FW6, P, "AddPinhole", "RemoteHost", "", "RemotePort", "0", "Protocol",
			   "6", "InternalPort", "8080", "InternalClient", "fd00:100::3", NULL),
		     402); /* no lease */
	CHECK_EQ_INT(pinhole(P, "", "0", "6", "80", "host.example", "60"), 402);
	/* PinholeVerification: only for oneself, only unprivileged ports */
	CHECK_EQ_INT(pinhole(P, "", "0", "6", "8080", "fd00:100::3", "60"), 606);
	CHECK_EQ_INT(pinhole(Q, "", "0", "6", "8080", "fd00:100::2", "60"), 606);
	CHECK_EQ_INT(pinhole(P, "", "0", "6", "1023", "fd00:100::2", "60"), 606);
	CHECK_EQ_INT(call(FW6, A, "AddPinhole", "RemoteHost", "", "RemotePort", "0", "Protocol",
			  "6", "InternalPort", "8080", "InternalClient", "fd00:100::2", "LeaseTime",
			  "60", NULL),
		     606); /* over IPv4: never the requester's IPv6 address */
	CHECK_EQ_INT(call(FW6, A, "AddPinhole", "RemoteHost", "", "RemotePort", "0", "Protocol",
			  "6", "InternalPort", "0", "InternalClient", "fd00:100::2", "LeaseTime",
			  "60", NULL),
		     706); /* ... which is checked after the arguments, as miniupnpd does */
	/* an IPv4 requester has no IPv6 address at all, not even "::" */
	CHECK_EQ_INT(call(FW6, A, "AddPinhole", "RemoteHost", "", "RemotePort", "0", "Protocol",
			  "6", "InternalPort", "8080", "InternalClient", "::", "LeaseTime", "60", NULL),
		     606);
	/* outside the allowed IPv6 prefix: nothing at all */
	CHECK_EQ_INT(pinhole(Z, "", "0", "6", "8080", "fd00:200::2", "60"), 606);
	CHECK_EQ_INT(pinhole(Z, "", "x", "6", "8080", "fd00:200::2", "60"), 606);
	CHECK_EQ_U64(table.n_pinholes, 3);
	pol.allow_privileged = true;
	CHECK_EQ_INT(pinhole(P, "", "0", "6", "443", "fd00:100::2", "60"), 0);
	pol.allow_privileged = false;

	/* the policy's lease cap, when lower than 86400 */
	pol.max_lease_s = 600;
	CHECK_EQ_INT(pinhole(Q, "", "0", "17", "9000", "fd00:100::3", "86400"), 0);
	e = pinhole_entry((unsigned)unique_id());
	CHECK(e != NULL && e->ph.lease_s == 600);
	CHECK_EQ_INT(pinhole(Q, "", "0", "17", "9001", "fd00:100::3", "1"), 0);
	e = pinhole_entry((unsigned)unique_id());
	CHECK(e != NULL && e->ph.lease_s == 1);

	/* the table's refusals come through: full, or the owner at its cap (701) */
	table.pinholes_per_owner = 2;
	CHECK_EQ_INT(pinhole(Q, "", "0", "17", "9002", "fd00:100::3", "60"), 701);
	CHECK_EQ_INT(pinhole(Q, "", "0", "17", "9000", "fd00:100::3", "60"), 0); /* a renewal */
	table.pinholes_per_owner = 0;
	table.pinhole_cap = table.n_pinholes;
	CHECK_EQ_INT(pinhole(Q, "", "0", "17", "9002", "fd00:100::3", "60"), 701);
}

static void test_pinhole_manage(void)
{
	const struct uwg_igd_maptable_pinhole *e;
	char id[8], other[8];

	reset();
	CHECK_EQ_INT(pinhole(P, "", "0", "6", "8080", "fd00:100::2", "3600"), 0);
	snprintf(id, sizeof(id), "%lu", unique_id());
	CHECK_EQ_INT(pinhole(Q, "", "0", "6", "8080", "fd00:100::3", "3600"), 0);
	snprintf(other, sizeof(other), "%lu", unique_id());

	/* UpdatePinhole: arguments, then the entry, then whose it is */
	CHECK_EQ_INT(call6(FW6, P, "UpdatePinhole", "UniqueID", "x", "NewLeaseTime", "60", NULL),
		     402);
	CHECK_EQ_INT(call6(FW6, P, "UpdatePinhole", "UniqueID", "65536", "NewLeaseTime", "60",
			   NULL),
		     402);
	CHECK_EQ_INT(call6(FW6, P, "UpdatePinhole", "UniqueID", "999", "NewLeaseTime", "0", NULL),
		     402);
	CHECK_EQ_INT(call6(FW6, P, "UpdatePinhole", "UniqueID", id, "NewLeaseTime", "86401", NULL),
		     402);
	/* the argument is NewLeaseTime, not AddPinhole's LeaseTime */
	CHECK_EQ_INT(call6(FW6, P, "UpdatePinhole", "UniqueID", id, "LeaseTime", "60", NULL), 402);
	CHECK_EQ_INT(call6(FW6, P, "UpdatePinhole", "UniqueID", "999", "NewLeaseTime", "60", NULL),
		     704);
	CHECK_EQ_INT(call6(FW6, P, "UpdatePinhole", "UniqueID", other, "NewLeaseTime", "60", NULL),
		     606);
	CHECK_EQ_INT(call(FW6, A, "UpdatePinhole", "UniqueID", id, "NewLeaseTime", "60", NULL), 606);
	fake_now += 10;
	CHECK_EQ_INT(call6(FW6, P, "UpdatePinhole", "NewLeaseTime", "120", "UniqueID", id, NULL),
		     0); /* either order */
	e = pinhole_entry((unsigned)strtoul(id, NULL, 10));
	CHECK(e != NULL && e->ph.lease_s == 120 && e->expires_s == fake_now + 120);
	pol.max_lease_s = 60;
	CHECK_EQ_INT(call6(FW6, P, "UpdatePinhole", "UniqueID", id, "NewLeaseTime", "86400", NULL),
		     0);
	e = pinhole_entry((unsigned)strtoul(id, NULL, 10));
	CHECK(e != NULL && e->ph.lease_s == 60);
	pol.max_lease_s = 0;

	/* GetPinholePackets and CheckPinholeWorking read the table's counter */
	CHECK_EQ_INT(call6(FW6, P, "GetPinholePackets", "UniqueID", id, NULL), 0);
	CHECK_EQ_STR(out("PinholePackets"), "0");
	CHECK_EQ_INT(call6(FW6, P, "CheckPinholeWorking", "UniqueID", id, NULL), 709);
	table.pinholes[0].ph.packets = 0x100000007ull; /* ui4 wraps */
	CHECK_EQ_INT(call6(FW6, P, "GetPinholePackets", "UniqueID", id, NULL), 0);
	CHECK_EQ_STR(out("PinholePackets"), "7");
	CHECK_EQ_INT(call6(FW6, P, "CheckPinholeWorking", "UniqueID", id, NULL), 0);
	CHECK_EQ_STR(out("IsWorking"), "1");
	CHECK_EQ_INT(call6(FW6, P, "GetPinholePackets", "UniqueID", "999", NULL), 704);
	CHECK_EQ_INT(call6(FW6, P, "CheckPinholeWorking", "UniqueID", "999", NULL), 704);
	CHECK_EQ_INT(call6(FW6, P, "GetPinholePackets", "UniqueID", other, NULL), 606);
	CHECK_EQ_INT(call6(FW6, P, "CheckPinholeWorking", "UniqueID", other, NULL), 606);
	CHECK_EQ_INT(call6(FW6, P, "GetPinholePackets", NULL), 402);
	CHECK_EQ_INT(call6(FW6, P, "CheckPinholeWorking", "UniqueID", "-1", NULL), 402);
	CHECK_EQ_INT(call(FW6, A, "GetPinholePackets", "UniqueID", id, NULL), 606);

	/* DeletePinhole */
	CHECK_EQ_INT(call6(FW6, P, "DeletePinhole", "UniqueID", "", NULL), 402);
	CHECK_EQ_INT(call6(FW6, P, "DeletePinhole", "UniqueID", "999", NULL), 704);
	CHECK_EQ_INT(call6(FW6, P, "DeletePinhole", "UniqueID", other, NULL), 606);
	CHECK_EQ_INT(call(FW6, A, "DeletePinhole", "UniqueID", id, NULL), 606);
	CHECK_EQ_U64(table.n_pinholes, 2);
	CHECK_EQ_INT(call6(FW6, P, "DeletePinhole", "UniqueID", id, NULL), 0);
	CHECK_EQ_U64(table.n_pinholes, 1);
	CHECK_EQ_INT(call6(FW6, P, "DeletePinhole", "UniqueID", id, NULL), 704);

	/* a lease runs out: the pinhole is gone */
	fake_now += 3600;
	CHECK_EQ_INT(call6(FW6, Q, "GetPinholePackets", "UniqueID", other, NULL), 704);
	CHECK_EQ_U64(table.n_pinholes, 0);

	/* GetOutboundPinholeTimeout: checked arguments, then 501 (no such timeout here) */
	CHECK_EQ_INT(call6(FW6, P, "GetOutboundPinholeTimeout", "RemoteHost", "", "RemotePort", "0",
			   "InternalClient", "fd00:100::2", "InternalPort", "8080", "Protocol", "6",
			   NULL),
		     501);
	CHECK_EQ_INT(call6(FW6, P, "GetOutboundPinholeTimeout", "RemoteHost", "", "RemotePort", "0",
			   "InternalClient", "fd00:100::2", "InternalPort", "8080", "Protocol", "1",
			   NULL),
		     705);
	CHECK_EQ_INT(call6(FW6, P, "GetOutboundPinholeTimeout", "RemoteHost", "x", "RemotePort",
			   "0", "InternalClient", "fd00:100::2", "InternalPort", "8080", "Protocol",
			   "6", NULL),
		     402);
}

/* What an IPv6 requester may do outside the firewall service, and an IPv4 one inside it. */
static void test_families(void)
{
	reset();
	/* port maps name IPv4 clients: none of their actions for an IPv6 requester */
	CHECK_EQ_INT(call6(UWG_IGD_SVC_WANIP, P, "AddPortMapping", "NewRemoteHost", "",
			   "NewExternalPort", "8043", "NewProtocol", "TCP", "NewInternalPort",
			   "8043", "NewInternalClient", "", "NewLeaseDuration", "0", NULL),
		     606);
	CHECK_EQ_INT(call6(UWG_IGD_SVC_WANIP, P, "AddAnyPortMapping", NULL), 606);
	CHECK_EQ_INT(call6(UWG_IGD_SVC_WANIP, P, "DeletePortMapping", NULL), 606);
	CHECK_EQ_INT(call6(UWG_IGD_SVC_WANIP, P, "DeletePortMappingRange", NULL), 606);
	CHECK_EQ_INT(call6(UWG_IGD_SVC_WANIP, P, "GetGenericPortMappingEntry",
			   "NewPortMappingIndex", "0", NULL),
		     606);
	CHECK_EQ_INT(call6(UWG_IGD_SVC_WANIP, P, "GetSpecificPortMappingEntry", NULL), 606);
	CHECK_EQ_INT(call6(UWG_IGD_SVC_WANIP, P, "GetListOfPortMappings", NULL), 606);
	CHECK_EQ_U64(table.n, 0);
	/* ... but what miniupnpc needs to accept the IGD (connected, a public IPv4) it gets */
	CHECK_EQ_INT(call6(UWG_IGD_SVC_WANIP, P, "GetExternalIPAddress", NULL), 0);
	CHECK_EQ_STR(out("NewExternalIPAddress"), "203.0.114.1");
	CHECK_EQ_INT(call6(UWG_IGD_SVC_WANIP, P, "GetStatusInfo", NULL), 0);
	CHECK_EQ_STR(out("NewConnectionStatus"), "Connected");
	CHECK_EQ_INT(call6(UWG_IGD_SVC_CIF, P, "GetCommonLinkProperties", NULL), 0);
	CHECK_EQ_INT(call6(UWG_IGD_SVC_WANIP, P, "Bogus", NULL), 401);
	CHECK_EQ_INT(call6(FW6, P, "AddPortMapping", NULL), 401); /* not this service's */
	CHECK_EQ_INT(call(UWG_IGD_SVC_WANIP, A, "AddPinhole", NULL), 401);
	/* outside the tunnel's IPv6 prefix: nothing, as outside the IPv4 CIDR */
	CHECK_EQ_INT(call6(UWG_IGD_SVC_WANIP, Z, "GetExternalIPAddress", NULL), 606);
	/* no IPv6 requester at all when the policy has no IPv6 prefix */
	pol.allow6 = false;
	CHECK_EQ_INT(call6(UWG_IGD_SVC_WANIP, P, "GetExternalIPAddress", NULL), 606);
	CHECK_EQ_INT(pinhole(P, "", "0", "6", "8080", "fd00:100::2", "60"), 606);
	/* IPv4 clients are not affected by any of this */
	CHECK_EQ_INT(add(A, "8043", "TCP", "8043", "10.100.0.2", "", "0"), 0);
}

/* Every action an SCPD declares is dispatched (never 401), with or without arguments. */
static void test_scpd_coverage(void)
{
	for (int s = 0; s < UWG_IGD_SVC_COUNT; s++) {
		const char *names[32];
		size_t n = uwg_igd_desc_actions((enum uwg_igd_service)s, names, ARRAY_SIZE(names));

		CHECK(n > 0 && n <= ARRAY_SIZE(names));
		for (size_t i = 0; i < n && i < ARRAY_SIZE(names); i++) {
			int err;

			reset();
			err = call((enum uwg_igd_service)s, A, names[i], NULL);
			if (err == 401)
				fprintf(stderr, "not dispatched: %s\n", names[i]);
			CHECK(err != 401);
		}
	}
}

int main(void)
{
	inet_pton(AF_INET, "10.100.0.2", &A);
	inet_pton(AF_INET, "10.100.0.3", &B);
	inet_pton(AF_INET, "10.200.0.2", &X);
	inet_pton(AF_INET6, "fd00:100::2", &P);
	inet_pton(AF_INET6, "fd00:100::3", &Q);
	inet_pton(AF_INET6, "fd00:200::2", &Z);
	test_status();
	test_cif_l3f();
	test_add();
	test_add_any();
	test_delete_and_list();
	test_query_var();
	test_pinhole_status();
	test_pinhole_add();
	test_pinhole_manage();
	test_families();
	test_scpd_coverage();
	return harness_report("test_igd_actions");
}
