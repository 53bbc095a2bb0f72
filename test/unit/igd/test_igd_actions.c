/*
 * test/unit/igd/test_igd_actions.c - igd/actions.c over the in-memory map table
 * (test/doubles/maptable.c) on a fake clock: every action and error code of the IGD
 * contract (docs/igd.md), secure mode, the policy hooks, AddAnyPortMapping's
 * port choice, listing visibility, lease expiry, QueryStateVariable, and
 * that every action the SCPDs declare is dispatched.
 */
#include "igd/actions.h"
#include "test/harness.h"
#include "test/unit/igd/fixture.h"

#include <arpa/inet.h>
#include <stdarg.h>

#define WANIP "urn:schemas-upnp-org:service:WANIPConnection:1"

static struct uwg_igd_actx ax;
static struct in_addr A, B, X;

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

static int call(enum uwg_igd_service svc, struct in_addr from, const char *action, ...)
{
	struct uwg_igd_soap_msg m;
	struct uwg_igd_result res;
	const char *name;
	va_list ap;

	memset(&m, 0, sizeof(m));
	memset(&resp, 0, sizeof(resp));
	last_xml[0] = '\0';
	snprintf(m.action, sizeof(m.action), "%s", action);
	va_start(ap, action);
	while ((name = va_arg(ap, const char *)) != NULL) {
		struct uwg_igd_soap_arg *a = &m.args[m.n_args++];

		snprintf(a->name, sizeof(a->name), "%s", name);
		snprintf(a->value, sizeof(a->value), "%s", va_arg(ap, const char *));
	}
	va_end(ap);
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

static void test_query_var(void)
{
	char v[UWG_IGD_VAR_MAX];

	reset();
	CHECK_EQ_INT(add(A, "8043", "TCP", "8043", "10.100.0.2", "", "0"), 0);
	CHECK_EQ_INT(add(B, "8044", "TCP", "8043", "10.100.0.3", "", "0"), 0);
	CHECK_EQ_INT(uwg_igd_query_var(&ax, UWG_IGD_SVC_WANIP, "ExternalIPAddress", A, fake_now, v,
				       sizeof(v)),
		     0);
	CHECK_EQ_STR(v, "203.0.114.1");
	CHECK_EQ_INT(uwg_igd_query_var(&ax, UWG_IGD_SVC_WANIP, "ConnectionStatus", A, fake_now, v,
				       sizeof(v)),
		     0);
	CHECK_EQ_STR(v, "Connected");
	CHECK_EQ_INT(uwg_igd_query_var(&ax, UWG_IGD_SVC_WANIP, "PortMappingNumberOfEntries", A,
				       fake_now, v, sizeof(v)),
		     0);
	CHECK_EQ_STR(v, "1");
	CHECK_EQ_INT(uwg_igd_query_var(&ax, UWG_IGD_SVC_WANIP, "Uptime", A, fake_now, v, sizeof(v)),
		     0);
	CHECK_EQ_INT(uwg_igd_query_var(&ax, UWG_IGD_SVC_CIF, "PhysicalLinkStatus", A, fake_now, v,
				       sizeof(v)),
		     0);
	CHECK_EQ_STR(v, "Up");
	CHECK_EQ_INT(uwg_igd_query_var(&ax, UWG_IGD_SVC_L3F, "DefaultConnectionService", A,
				       fake_now, v, sizeof(v)),
		     0);
	CHECK(strstr(v, ":WANConnectionDevice:1,urn:upnp-org:serviceId:WANIPConn1") != NULL);
	CHECK_EQ_INT(uwg_igd_query_var(&ax, UWG_IGD_SVC_WANIP, "PortMappingDescription", A,
				       fake_now, v, sizeof(v)),
		     404);
	CHECK_EQ_INT(uwg_igd_query_var(&ax, UWG_IGD_SVC_CIF, "ExternalIPAddress", A, fake_now, v,
				       sizeof(v)),
		     404);
	CHECK_EQ_INT(uwg_igd_query_var(&ax, UWG_IGD_SVC_WANIP, "ExternalIPAddress", X, fake_now, v,
				       sizeof(v)),
		     606);
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
	test_status();
	test_cif_l3f();
	test_add();
	test_add_any();
	test_delete_and_list();
	test_query_var();
	test_scpd_coverage();
	return harness_report("test_igd_actions");
}
