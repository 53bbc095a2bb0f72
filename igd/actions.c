/*
 * igd/actions.c - IGD action semantics (WANIPConnection v1 + the v2 actions,
 * WANCommonInterfaceConfig, Layer3Forwarding) over struct uwg_igd_ops, and
 * the dispatch of every service (WANIPv6FirewallControl's actions live in
 * fwctl.c). Argument errors and their order follow miniupnpd (docs/igd.md).
 * Called on the loop thread only (the ops contract); no pupnp, no I/O.
 */
#include "igd/actions.h"
#include "igd/fwctl.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* More index steps than any table can hold (two protocols x 65535 ports). */
#define MAX_SCAN (2u * 65536u)

struct req {
	const struct uwg_igd_actx *ax;
	const struct uwg_igd_soap_msg *msg;
	struct in_addr requester; /* an IPv6 requester's is 0.0.0.0: it owns no port map */
	uint64_t now_s;
	const char *ns; /* namespace to answer in */
	struct uwg_igd_buf out;
};

static const char *arg(const struct req *r, const char *name)
{
	return uwg_igd_soap_arg(r->msg, name);
}

static bool owned(const struct req *r, const struct uwg_igd_map *m)
{
	return m->int_client.s_addr == r->requester.s_addr;
}

static bool visible(const struct req *r, const struct uwg_igd_map *m)
{
	return r->ax->show_all || owned(r, m);
}

static void begin(struct req *r)
{
	uwg_igd_resp_begin(&r->out, r->msg->action, r->ns);
}

static int finish(struct req *r)
{
	uwg_igd_resp_end(&r->out, r->msg->action);
	return 0;
}

static int empty_response(struct req *r)
{
	begin(r);
	return finish(r);
}

/* The idx-th map the requester may see, 713 past the end. */
static int nth_visible(const struct req *r, uint32_t idx, struct uwg_igd_map *out)
{
	const struct uwg_igd_ops *ops = r->ax->ops;
	uint32_t seen = 0;

	for (uint32_t i = 0; i < MAX_SCAN; i++) {
		memset(out, 0, sizeof(*out));
		if (ops->get_map_by_index(ops->ctx, i, out))
			return UWG_IGD_E_ARRAY_INDEX_INVALID;
		if (!visible(r, out))
			continue;
		if (seen++ == idx)
			return 0;
	}
	return UWG_IGD_E_ARRAY_INDEX_INVALID;
}

static uint32_t count_owned(const struct req *r)
{
	const struct uwg_igd_ops *ops = r->ax->ops;
	struct uwg_igd_map m;
	uint32_t n = 0;

	for (uint32_t i = 0; i < MAX_SCAN; i++) {
		if (ops->get_map_by_index(ops->ctx, i, &m))
			break;
		n += owned(r, &m);
	}
	return n;
}

static int get_map(const struct req *r, uint8_t proto, uint16_t port, struct uwg_igd_map *m)
{
	const struct uwg_igd_ops *ops = r->ax->ops;

	memset(m, 0, sizeof(*m));
	return ops->get_map(ops->ctx, proto, port, m) ? UWG_IGD_E_NO_SUCH_ENTRY : 0;
}

static bool ext_ip(const struct req *r, char *buf, size_t cap)
{
	const struct uwg_igd_ops *ops = r->ax->ops;
	struct in_addr a = { 0 };

	buf[0] = '\0';
	if (ops->external_ip(ops->ctx, &a) || a.s_addr == 0)
		return false;
	return inet_ntop(AF_INET, &a, buf, (socklen_t)cap) != NULL;
}

static void counters(const struct req *r, struct uwg_igd_counters *c)
{
	const struct uwg_igd_ops *ops = r->ax->ops;

	memset(c, 0, sizeof(*c));
	if (ops->counters)
		ops->counters(ops->ctx, c);
}

static uint32_t uptime(const struct req *r)
{
	uint64_t up = r->now_s > r->ax->start_s ? r->now_s - r->ax->start_s : 0;

	return up > 0xffffffffu ? 0xffffffffu : (uint32_t)up;
}

/* ---------- WANIPConnection: state ---------- */

static int do_type_info(struct req *r)
{
	begin(r);
	uwg_igd_resp_arg(&r->out, "NewConnectionType", "IP_Routed");
	uwg_igd_resp_arg(&r->out, "NewPossibleConnectionTypes", "IP_Routed");
	return finish(r);
}

static int do_status(struct req *r)
{
	char ip[INET_ADDRSTRLEN];

	begin(r);
	uwg_igd_resp_arg(&r->out, "NewConnectionStatus",
			 ext_ip(r, ip, sizeof(ip)) ? "Connected" : "Disconnected");
	uwg_igd_resp_arg(&r->out, "NewLastConnectionError", "ERROR_NONE");
	uwg_igd_resp_arg_u32(&r->out, "NewUptime", uptime(r));
	return finish(r);
}

static int do_rsip(struct req *r)
{
	begin(r);
	uwg_igd_resp_arg(&r->out, "NewRSIPAvailable", "0");
	uwg_igd_resp_arg(&r->out, "NewNATEnabled", "1");
	return finish(r);
}

static int do_ext_ip(struct req *r)
{
	char ip[INET_ADDRSTRLEN];

	ext_ip(r, ip, sizeof(ip));
	begin(r);
	uwg_igd_resp_arg(&r->out, "NewExternalIPAddress", ip);
	return finish(r);
}

static int do_read_only(struct req *r)
{
	(void)r;
	return UWG_IGD_E_READ_ONLY;
}

static int do_not_authorized(struct req *r)
{
	(void)r;
	return UWG_IGD_E_NOT_AUTHORIZED;
}

/* ---------- WANIPConnection: port maps ---------- */

struct add_args {
	uint8_t proto;
	uint16_t ext_port; /* 0 = wildcard */
	struct uwg_igd_map map;
};

/* Shared argument checks of AddPortMapping and AddAnyPortMapping, in miniupnpd's order. */
static int add_parse(struct req *r, struct add_args *a, bool any)
{
	const char *client = arg(r, "NewInternalClient");
	const char *lease = arg(r, "NewLeaseDuration");
	uint32_t lease_s = 0;
	int err;

	memset(a, 0, sizeof(*a));
	err = uwg_igd_arg_port_or_wildcard(arg(r, "NewExternalPort"), &a->ext_port);
	if (!err)
		err = uwg_igd_arg_proto(arg(r, "NewProtocol"), &a->proto);
	if (!err)
		err = uwg_igd_arg_port(arg(r, "NewInternalPort"), &a->map.int_port);
	if (!err && a->map.int_port == 0)
		err = UWG_IGD_E_INVALID_ARGS;
	if (!err && lease)
		err = uwg_igd_arg_u32(lease, &lease_s);
	if (err)
		return err;
	/* an empty NewInternalClient means the requester (miniupnp issue #236) */
	if (!client || uwg_igd_arg_remote_wildcard(client))
		a->map.int_client = r->requester;
	else if (uwg_igd_arg_ipv4(client, &a->map.int_client))
		return UWG_IGD_E_INVALID_ARGS;
	/* secure mode: only for yourself */
	if (a->map.int_client.s_addr != r->requester.s_addr)
		return UWG_IGD_E_NOT_AUTHORIZED;
	if (!any && a->ext_port == 0)
		return UWG_IGD_E_WILDCARD_EXT_PORT;
	if (!uwg_igd_arg_remote_wildcard(arg(r, "NewRemoteHost")))
		return UWG_IGD_E_REMOTE_HOST_WILDCARD_ONLY;
	a->map.proto = a->proto;
	a->map.lease_s = uwg_igd_policy_lease(r->ax->pol, lease_s);
	uwg_igd_sanitize_desc(a->map.desc, sizeof(a->map.desc),
			      arg(r, "NewPortMappingDescription"));
	return 0;
}

static int try_add(struct req *r, struct add_args *a, uint16_t port)
{
	const struct uwg_igd_ops *ops = r->ax->ops;

	a->map.ext_port = port;
	return ops->add_map(ops->ctx, &a->map, r->requester);
}

static bool at_cap(const struct req *r)
{
	unsigned cap = r->ax->pol->max_per_client;

	return cap && count_owned(r) >= cap;
}

static int do_add(struct req *r)
{
	struct add_args a;
	struct uwg_igd_map cur;
	uint32_t client_h;
	int err = add_parse(r, &a, false);

	if (err)
		return err;
	client_h = ntohl(a.map.int_client.s_addr);
	err = uwg_igd_policy_check(r->ax->pol, a.ext_port, client_h, a.map.int_port);
	if (err)
		return err;
	if (!get_map(r, a.proto, a.ext_port, &cur)) {
		if (!owned(r, &cur))
			return UWG_IGD_E_CONFLICT;
	} else if (at_cap(r)) {
		return UWG_IGD_E_NO_PORT_MAPS_AVAILABLE;
	}
	err = try_add(r, &a, a.ext_port);
	return err ? err : empty_response(r);
}

static int add_any_result(struct req *r, uint16_t port)
{
	begin(r);
	uwg_igd_resp_arg_u32(&r->out, "NewReservedPort", port);
	return finish(r);
}

static int do_add_any(struct req *r)
{
	const struct uwg_igd_policy *pol = r->ax->pol;
	uint16_t lo = uwg_igd_policy_min_port(pol), start, p;
	struct uwg_igd_port_walk walk;
	struct uwg_igd_map cur;
	struct add_args a;
	unsigned attempts = 0, allowed = 0;
	uint32_t client_h;
	int err = add_parse(r, &a, true);

	if (err)
		return err;
	client_h = ntohl(a.map.int_client.s_addr);
	start = a.ext_port ? a.ext_port : uwg_igd_policy_any_port(pol, client_h, a.map.int_port);
	if (at_cap(r)) {
		/* only an update of one's own map on the port asked for could succeed */
		if (!a.ext_port || get_map(r, a.proto, a.ext_port, &cur) || !owned(r, &cur))
			return UWG_IGD_E_NO_PORT_MAPS_AVAILABLE;
		err = uwg_igd_policy_check(pol, a.ext_port, client_h, a.map.int_port);
		if (!err)
			err = try_add(r, &a, a.ext_port);
		return err ? err : add_any_result(r, a.ext_port);
	}
	uwg_igd_port_walk_init(&walk, start, lo);
	while ((p = uwg_igd_port_walk_next(&walk)) != 0) {
		if (uwg_igd_policy_check(pol, p, client_h, a.map.int_port))
			continue;
		/* bounded table work per request: a client must not be able to stall the loop */
		if (++allowed > UWG_IGD_ADD_ANY_PROBES)
			break;
		if (!get_map(r, a.proto, p, &cur)) {
			/* one's own map is only replaced when it was the port asked for */
			if (!owned(r, &cur) || p != a.ext_port)
				continue;
		}
		err = try_add(r, &a, p);
		if (!err)
			return add_any_result(r, p);
		if (err != UWG_IGD_E_CONFLICT && err != UWG_IGD_E_CONFLICT_OTHER_MECHANISM)
			return err;
		if (++attempts >= UWG_IGD_ADD_ANY_ATTEMPTS)
			break;
	}
	return allowed ? UWG_IGD_E_NO_PORT_MAPS_AVAILABLE : UWG_IGD_E_NOT_AUTHORIZED;
}

static int do_delete(struct req *r)
{
	const struct uwg_igd_ops *ops = r->ax->ops;
	struct uwg_igd_map cur;
	uint16_t port;
	uint8_t proto;
	int err;

	err = uwg_igd_arg_port(arg(r, "NewExternalPort"), &port);
	if (!err)
		err = uwg_igd_arg_proto(arg(r, "NewProtocol"), &proto);
	if (!err && port == 0)
		err = UWG_IGD_E_INVALID_ARGS;
	if (err)
		return err;
	/* only wildcard-remote-host maps exist */
	if (!uwg_igd_arg_remote_wildcard(arg(r, "NewRemoteHost")))
		return UWG_IGD_E_NO_SUCH_ENTRY;
	if (get_map(r, proto, port, &cur))
		return UWG_IGD_E_NO_SUCH_ENTRY;
	if (!owned(r, &cur))
		return UWG_IGD_E_NOT_AUTHORIZED;
	err = ops->del_map(ops->ctx, proto, port, r->requester);
	return err ? err : empty_response(r);
}

struct range_args {
	uint16_t start, end;
	uint8_t proto;
};

static int range_parse(struct req *r, struct range_args *a)
{
	const char *manage = arg(r, "NewManage");
	bool m;
	int err;

	err = uwg_igd_arg_port(arg(r, "NewStartPort"), &a->start);
	if (!err)
		err = uwg_igd_arg_port(arg(r, "NewEndPort"), &a->end);
	if (!err)
		err = uwg_igd_arg_proto(arg(r, "NewProtocol"), &a->proto);
	/* NewManage only widens the scope with DeviceProtection, which uwg lacks */
	if (!err && manage)
		err = uwg_igd_arg_bool(manage, &m);
	if (err)
		return err;
	return a->start > a->end ? UWG_IGD_E_INCONSISTENT_PARAMS : 0;
}

static bool in_range(const struct range_args *a, const struct uwg_igd_map *m)
{
	return m->proto == a->proto && m->ext_port >= a->start && m->ext_port <= a->end;
}

static int do_delete_range(struct req *r)
{
	const struct uwg_igd_ops *ops = r->ax->ops;
	struct range_args a;
	uint16_t batch[64];
	unsigned deleted = 0;
	int err = range_parse(r, &a);

	if (err)
		return err;
	/* delete in batches: deleting may reorder the index space */
	for (;;) {
		struct uwg_igd_map m;
		unsigned n = 0, round = 0;

		for (uint32_t i = 0; i < MAX_SCAN && n < 64; i++) {
			if (ops->get_map_by_index(ops->ctx, i, &m))
				break;
			if (owned(r, &m) && in_range(&a, &m))
				batch[n++] = m.ext_port;
		}
		for (unsigned i = 0; i < n; i++)
			if (!ops->del_map(ops->ctx, a.proto, batch[i], r->requester))
				round++;
		deleted += round;
		if (n < 64 || round == 0)
			break;
	}
	return deleted ? empty_response(r) : UWG_IGD_E_PORT_MAPPING_NOT_FOUND;
}

static void map_args(struct req *r, const struct uwg_igd_map *m, bool with_key)
{
	char ip[INET_ADDRSTRLEN];

	if (!inet_ntop(AF_INET, &m->int_client, ip, sizeof(ip)))
		ip[0] = '\0';
	if (with_key) {
		uwg_igd_resp_arg(&r->out, "NewRemoteHost", "");
		uwg_igd_resp_arg_u32(&r->out, "NewExternalPort", m->ext_port);
		uwg_igd_resp_arg(&r->out, "NewProtocol", uwg_igd_proto_str(m->proto));
	}
	uwg_igd_resp_arg_u32(&r->out, "NewInternalPort", m->int_port);
	uwg_igd_resp_arg(&r->out, "NewInternalClient", ip);
	uwg_igd_resp_arg(&r->out, "NewEnabled", "1");
	uwg_igd_resp_arg(&r->out, "NewPortMappingDescription", m->desc);
	uwg_igd_resp_arg_u32(&r->out, "NewLeaseDuration", m->lease_s);
}

static int do_generic(struct req *r)
{
	struct uwg_igd_map m;
	uint32_t idx;
	int err = uwg_igd_arg_u32(arg(r, "NewPortMappingIndex"), &idx);

	if (!err)
		err = nth_visible(r, idx, &m);
	if (err)
		return err;
	begin(r);
	map_args(r, &m, true);
	return finish(r);
}

static int do_specific(struct req *r)
{
	struct uwg_igd_map m;
	uint16_t port;
	uint8_t proto;
	int err;

	err = uwg_igd_arg_port(arg(r, "NewExternalPort"), &port);
	if (!err)
		err = uwg_igd_arg_proto(arg(r, "NewProtocol"), &proto);
	if (!err && port == 0)
		err = UWG_IGD_E_INVALID_ARGS;
	if (err)
		return err;
	if (!uwg_igd_arg_remote_wildcard(arg(r, "NewRemoteHost")) || get_map(r, proto, port, &m) ||
	    !visible(r, &m))
		return UWG_IGD_E_NO_SUCH_ENTRY;
	begin(r);
	map_args(r, &m, false);
	return finish(r);
}

static int do_list(struct req *r)
{
	const struct uwg_igd_ops *ops = r->ax->ops;
	struct range_args a;
	struct uwg_igd_buf l;
	uint32_t max = 0, n = 0;
	const char *num = arg(r, "NewNumberOfPorts");
	char *text;
	int err = range_parse(r, &a);

	if (!err && num)
		err = uwg_igd_arg_u32(num, &max);
	if (err)
		return err;
	if (max == 0 || max > UWG_IGD_LIST_DEFAULT)
		max = UWG_IGD_LIST_DEFAULT;
	uwg_igd_buf_init(&l);
	uwg_igd_buf_puts(&l, "<p:PortMappingList xmlns:p=\"urn:schemas-upnp-org:gw:WANIPConnection\""
			     " xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\""
			     " xsi:schemaLocation=\"urn:schemas-upnp-org:gw:WANIPConnection"
			     " http://www.upnp.org/schemas/gw/WANIPConnection-v2.xsd\">\n");
	for (uint32_t i = 0; i < MAX_SCAN && n < max; i++) {
		struct uwg_igd_map m;
		char ip[INET_ADDRSTRLEN];
		char num_buf[16];

		if (ops->get_map_by_index(ops->ctx, i, &m))
			break;
		if (!visible(r, &m) || !in_range(&a, &m))
			continue;
		if (!inet_ntop(AF_INET, &m.int_client, ip, sizeof(ip)))
			ip[0] = '\0';
		n++;
		uwg_igd_buf_puts(&l, "<p:PortMappingEntry>\n<p:NewRemoteHost></p:NewRemoteHost>\n"
				     "<p:NewExternalPort>");
		snprintf(num_buf, sizeof(num_buf), "%u", m.ext_port);
		uwg_igd_buf_puts(&l, num_buf);
		uwg_igd_buf_puts(&l, "</p:NewExternalPort>\n<p:NewProtocol>");
		uwg_igd_buf_puts(&l, uwg_igd_proto_str(m.proto));
		uwg_igd_buf_puts(&l, "</p:NewProtocol>\n<p:NewInternalPort>");
		snprintf(num_buf, sizeof(num_buf), "%u", m.int_port);
		uwg_igd_buf_puts(&l, num_buf);
		uwg_igd_buf_puts(&l, "</p:NewInternalPort>\n<p:NewInternalClient>");
		uwg_igd_buf_puts(&l, ip);
		uwg_igd_buf_puts(&l, "</p:NewInternalClient>\n<p:NewEnabled>1</p:NewEnabled>\n"
				     "<p:NewDescription>");
		uwg_igd_buf_put_escaped(&l, m.desc);
		uwg_igd_buf_puts(&l, "</p:NewDescription>\n<p:NewLeaseTime>");
		snprintf(num_buf, sizeof(num_buf), "%u", m.lease_s);
		uwg_igd_buf_puts(&l, num_buf);
		uwg_igd_buf_puts(&l, "</p:NewLeaseTime>\n</p:PortMappingEntry>\n");
	}
	uwg_igd_buf_puts(&l, "</p:PortMappingList>");
	text = uwg_igd_buf_take(&l, NULL);
	if (!text)
		return UWG_IGD_E_ACTION_FAILED;
	begin(r);
	uwg_igd_resp_arg_cdata(&r->out, "NewPortListing", text);
	free(text);
	return finish(r);
}

/* ---------- WANCommonInterfaceConfig ---------- */

static uint32_t rate(uint32_t v)
{
	return v ? v : 1000000000u;
}

static int do_link(struct req *r)
{
	begin(r);
	uwg_igd_resp_arg(&r->out, "NewWANAccessType", "Ethernet");
	uwg_igd_resp_arg_u32(&r->out, "NewLayer1UpstreamMaxBitRate", rate(r->ax->up_bps));
	uwg_igd_resp_arg_u32(&r->out, "NewLayer1DownstreamMaxBitRate", rate(r->ax->down_bps));
	uwg_igd_resp_arg(&r->out, "NewPhysicalLinkStatus", "Up");
	return finish(r);
}

/* ui4 counters wrap, as IGD clients expect */
static int total(struct req *r, const char *name, uint64_t v)
{
	begin(r);
	uwg_igd_resp_arg_u32(&r->out, name, (uint32_t)(v & 0xffffffffu));
	return finish(r);
}

static int do_bytes_sent(struct req *r)
{
	struct uwg_igd_counters c;

	counters(r, &c);
	return total(r, "NewTotalBytesSent", c.bytes_sent);
}

static int do_bytes_recv(struct req *r)
{
	struct uwg_igd_counters c;

	counters(r, &c);
	return total(r, "NewTotalBytesReceived", c.bytes_received);
}

static int do_pkts_sent(struct req *r)
{
	struct uwg_igd_counters c;

	counters(r, &c);
	return total(r, "NewTotalPacketsSent", c.packets_sent);
}

static int do_pkts_recv(struct req *r)
{
	struct uwg_igd_counters c;

	counters(r, &c);
	return total(r, "NewTotalPacketsReceived", c.packets_received);
}

/* ---------- Layer3Forwarding ---------- */

static void default_service(const struct uwg_igd_actx *ax, char *out, size_t cap)
{
	snprintf(out, cap, "%s:WANConnectionDevice:1,%s", ax->wcd_udn,
		 uwg_igd_service_info(UWG_IGD_SVC_WANIP)->id);
}

static int do_get_dcs(struct req *r)
{
	char v[UWG_IGD_VAR_MAX];

	default_service(r->ax, v, sizeof(v));
	begin(r);
	uwg_igd_resp_arg(&r->out, "NewDefaultConnectionService", v);
	return finish(r);
}

/* ---------- dispatch ---------- */

struct action {
	enum uwg_igd_service svc;
	const char *name;
	int (*fn)(struct req *r);
	bool ipv4; /* a port-map action: its maps name IPv4 clients, so only they may ask */
};

static const struct action actions[] = {
	{ UWG_IGD_SVC_WANIP, "GetConnectionTypeInfo", do_type_info, false },
	{ UWG_IGD_SVC_WANIP, "GetStatusInfo", do_status, false },
	{ UWG_IGD_SVC_WANIP, "GetNATRSIPStatus", do_rsip, false },
	{ UWG_IGD_SVC_WANIP, "GetExternalIPAddress", do_ext_ip, false },
	{ UWG_IGD_SVC_WANIP, "SetConnectionType", do_read_only, false },
	{ UWG_IGD_SVC_WANIP, "RequestConnection", do_not_authorized, false },
	{ UWG_IGD_SVC_WANIP, "ForceTermination", do_not_authorized, false },
	{ UWG_IGD_SVC_WANIP, "AddPortMapping", do_add, true },
	{ UWG_IGD_SVC_WANIP, "AddAnyPortMapping", do_add_any, true },
	{ UWG_IGD_SVC_WANIP, "DeletePortMapping", do_delete, true },
	{ UWG_IGD_SVC_WANIP, "DeletePortMappingRange", do_delete_range, true },
	{ UWG_IGD_SVC_WANIP, "GetGenericPortMappingEntry", do_generic, true },
	{ UWG_IGD_SVC_WANIP, "GetSpecificPortMappingEntry", do_specific, true },
	{ UWG_IGD_SVC_WANIP, "GetListOfPortMappings", do_list, true },
	{ UWG_IGD_SVC_CIF, "GetCommonLinkProperties", do_link, false },
	{ UWG_IGD_SVC_CIF, "GetTotalBytesSent", do_bytes_sent, false },
	{ UWG_IGD_SVC_CIF, "GetTotalBytesReceived", do_bytes_recv, false },
	{ UWG_IGD_SVC_CIF, "GetTotalPacketsSent", do_pkts_sent, false },
	{ UWG_IGD_SVC_CIF, "GetTotalPacketsReceived", do_pkts_recv, false },
	{ UWG_IGD_SVC_L3F, "GetDefaultConnectionService", do_get_dcs, false },
	{ UWG_IGD_SVC_L3F, "SetDefaultConnectionService", do_not_authorized, false },
};

/* The pinhole service, through the same request and response plumbing. */
static int do_fw6(struct req *r, const struct uwg_igd_addr *from)
{
	return uwg_igd_fw_action(r->ax->ops, r->ax->pol, r->msg, from, r->ns, &r->out);
}

void uwg_igd_action_run(const struct uwg_igd_actx *ax, enum uwg_igd_service svc,
			const struct uwg_igd_soap_msg *msg, const struct uwg_igd_addr *requester,
			uint64_t now_s, struct uwg_igd_result *res)
{
	const struct uwg_igd_service_info *info = uwg_igd_service_info(svc);
	struct req r = { ax, msg, { 0 }, now_s, NULL, { NULL, 0, 0, false } };
	const struct action *a = NULL;

	memset(res, 0, sizeof(*res));
	if (!requester->v6)
		r.requester = requester->ip4;
	for (size_t i = 0; i < sizeof(actions) / sizeof(actions[0]); i++) {
		if (actions[i].svc == svc && !strcmp(actions[i].name, msg->action)) {
			a = &actions[i];
			break;
		}
	}
	if ((!a && svc != UWG_IGD_SVC_FW6) || !info ||
	    (svc == UWG_IGD_SVC_FW6 && !uwg_igd_desc_has_action(svc, msg->action))) {
		res->err = UWG_IGD_E_INVALID_ACTION;
		return;
	}
	if (!uwg_igd_policy_source_ok(ax->pol, requester) || (a && a->ipv4 && requester->v6)) {
		res->err = UWG_IGD_E_NOT_AUTHORIZED;
		return;
	}
	r.ns = msg->ns[0] ? msg->ns : info->type;
	res->err = a ? a->fn(&r) : do_fw6(&r, requester);
	if (res->err) {
		uwg_igd_buf_free(&r.out);
		return;
	}
	res->xml = uwg_igd_buf_take(&r.out, &res->len);
	if (!res->xml)
		res->err = UWG_IGD_E_ACTION_FAILED;
}

int uwg_igd_query_var(const struct uwg_igd_actx *ax, enum uwg_igd_service svc, const char *var,
		      const struct uwg_igd_addr *requester, uint64_t now_s, char *out, size_t cap)
{
	struct uwg_igd_soap_msg none;
	struct req r = { ax, &none, { 0 }, now_s, "", { NULL, 0, 0, false } };
	struct uwg_igd_counters c;

	memset(&none, 0, sizeof(none));
	if (!requester->v6)
		r.requester = requester->ip4;
	if (!cap)
		return UWG_IGD_E_ACTION_FAILED;
	out[0] = '\0';
	if (!uwg_igd_policy_source_ok(ax->pol, requester))
		return UWG_IGD_E_NOT_AUTHORIZED;
	switch (svc) {
	case UWG_IGD_SVC_WANIP:
		if (!strcmp(var, "ConnectionStatus")) {
			char ip[INET_ADDRSTRLEN];

			snprintf(out, cap, "%s",
				 ext_ip(&r, ip, sizeof(ip)) ? "Connected" : "Disconnected");
		} else if (!strcmp(var, "ExternalIPAddress")) {
			ext_ip(&r, out, cap);
		} else if (!strcmp(var, "ConnectionType") ||
			   !strcmp(var, "PossibleConnectionTypes")) {
			snprintf(out, cap, "IP_Routed");
		} else if (!strcmp(var, "LastConnectionError")) {
			snprintf(out, cap, "ERROR_NONE");
		} else if (!strcmp(var, "Uptime")) {
			snprintf(out, cap, "%u", uptime(&r));
		} else if (!strcmp(var, "RSIPAvailable")) {
			snprintf(out, cap, "0");
		} else if (!strcmp(var, "NATEnabled")) {
			snprintf(out, cap, "1");
		} else if (!strcmp(var, "PortMappingNumberOfEntries")) {
			const struct uwg_igd_ops *ops = ax->ops;
			struct uwg_igd_map m;
			uint32_t n = 0;

			for (uint32_t i = 0; i < MAX_SCAN; i++) {
				if (ops->get_map_by_index(ops->ctx, i, &m))
					break;
				n += visible(&r, &m);
			}
			snprintf(out, cap, "%u", n);
		} else {
			return UWG_IGD_E_INVALID_VAR;
		}
		return 0;
	case UWG_IGD_SVC_CIF:
		counters(&r, &c);
		if (!strcmp(var, "WANAccessType"))
			snprintf(out, cap, "Ethernet");
		else if (!strcmp(var, "PhysicalLinkStatus"))
			snprintf(out, cap, "Up");
		else if (!strcmp(var, "Layer1UpstreamMaxBitRate"))
			snprintf(out, cap, "%u", rate(ax->up_bps));
		else if (!strcmp(var, "Layer1DownstreamMaxBitRate"))
			snprintf(out, cap, "%u", rate(ax->down_bps));
		else if (!strcmp(var, "TotalBytesSent"))
			snprintf(out, cap, "%u", (uint32_t)(c.bytes_sent & 0xffffffffu));
		else if (!strcmp(var, "TotalBytesReceived"))
			snprintf(out, cap, "%u", (uint32_t)(c.bytes_received & 0xffffffffu));
		else if (!strcmp(var, "TotalPacketsSent"))
			snprintf(out, cap, "%u", (uint32_t)(c.packets_sent & 0xffffffffu));
		else if (!strcmp(var, "TotalPacketsReceived"))
			snprintf(out, cap, "%u", (uint32_t)(c.packets_received & 0xffffffffu));
		else
			return UWG_IGD_E_INVALID_VAR;
		return 0;
	case UWG_IGD_SVC_L3F:
		if (strcmp(var, "DefaultConnectionService"))
			return UWG_IGD_E_INVALID_VAR;
		default_service(ax, out, cap);
		return 0;
	case UWG_IGD_SVC_FW6:
		return uwg_igd_fw_query_var(ax->ops, var, out, cap);
	case UWG_IGD_SVC_COUNT:
		break;
	}
	return UWG_IGD_E_INVALID_VAR;
}
