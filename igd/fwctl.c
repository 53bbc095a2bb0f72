/*
 * igd/fwctl.c - WANIPv6FirewallControl:1 over the ops' pinhole callbacks
 * (see fwctl.h). Loop thread (any thread for tests: it holds no state).
 *
 * The checks and their order are miniupnpd's (upnpsoap.c, shared
 * portmap-protocols.md §3.4), because that is what clients were written
 * against: the firewall gate (702/703), the arguments (402, 706, 708, 707,
 * 705, the lease 402), then its PinholeVerification: the internal client
 * must be the requester's own IPv6 address (so a request over IPv4 never
 * passes) and the port unprivileged (606). Two deliberate differences: host
 * names are refused (402) instead of resolved, which would block the loop,
 * and GetPinholePackets answers 704 for an unknown UniqueID as the spec says
 * (miniupnpd has that branch compiled out and answers 0 packets).
 */
#include "igd/fwctl.h"

#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

struct req {
	const struct uwg_igd_ops *ops;
	const struct uwg_igd_policy *pol;
	const struct uwg_igd_soap_msg *msg;
	const struct uwg_igd_addr *from;
	const char *ns;
	struct uwg_igd_buf *out;
};

static const char *arg(const struct req *r, const char *name)
{
	return uwg_igd_soap_arg(r->msg, name);
}

static void begin(struct req *r)
{
	uwg_igd_resp_begin(r->out, r->msg->action, r->ns);
}

static int finish(struct req *r)
{
	uwg_igd_resp_end(r->out, r->msg->action);
	return 0;
}

void uwg_igd_fw_status(const struct uwg_igd_ops *ops, bool *enabled, bool *inbound_allowed)
{
	*enabled = *inbound_allowed = false;
	if (!ops->fw_status || !ops->add_pinhole || !ops->update_pinhole || !ops->del_pinhole ||
	    !ops->get_pinhole || !ops->find_pinhole)
		return;
	if (ops->fw_status(ops->ctx, enabled, inbound_allowed))
		*enabled = *inbound_allowed = false;
}

int uwg_igd_fw_gate(const struct uwg_igd_ops *ops)
{
	bool enabled, inbound;

	uwg_igd_fw_status(ops, &enabled, &inbound);
	if (!enabled)
		return UWG_IGD_E_FIREWALL_DISABLED;
	return inbound ? 0 : UWG_IGD_E_INBOUND_PINHOLE_NOT_ALLOWED;
}

/* miniupnpd's PinholeVerification: the requester's own IPv6 address, a port it may open. */
static int verify(const struct req *r, const struct in6_addr *client, uint16_t port)
{
	if (!r->from->v6 || memcmp(client, &r->from->ip6, sizeof(*client)))
		return UWG_IGD_E_NOT_AUTHORIZED;
	return uwg_igd_policy_check_pinhole(r->pol, port);
}

/* LeaseTime / NewLeaseTime: 1..86400 or 402; then the policy's own cap, if lower. */
static int lease(const char *s, const struct uwg_igd_policy *pol, uint32_t *out)
{
	uint32_t v;

	if (uwg_igd_arg_u32(s, &v) || v < 1 || v > UWG_IGD_PINHOLE_LEASE_MAX)
		return UWG_IGD_E_INVALID_ARGS;
	*out = pol->max_lease_s && v > pol->max_lease_s ? pol->max_lease_s : v;
	return 0;
}

/* RemoteHost: empty or "*" is any (all zeros); else an IPv6 literal that is not IPv4-mapped. */
static int remote_host(const char *s, struct in6_addr *out)
{
	memset(out, 0, sizeof(*out));
	if (uwg_igd_arg_remote_wildcard(s))
		return 0;
	if (uwg_igd_arg_ipv6(s, out) || IN6_IS_ADDR_V4MAPPED(out))
		return UWG_IGD_E_INVALID_ARGS;
	return 0;
}

/* The UniqueID argument (ui2): 0 or 402. */
static int unique_id(const struct req *r, uint16_t *id)
{
	return uwg_igd_arg_port(arg(r, "UniqueID"), id);
}

/* Pinhole id, if the requester may act on it: 0, 704 or 606. */
static int own_pinhole(const struct req *r, uint16_t id, struct uwg_igd_pinhole *ph)
{
	memset(ph, 0, sizeof(*ph));
	if (r->ops->get_pinhole(r->ops->ctx, id, ph))
		return UWG_IGD_E_NO_SUCH_PINHOLE;
	return verify(r, &ph->int_client, ph->int_port);
}

static int do_status(struct req *r)
{
	bool enabled, inbound;

	uwg_igd_fw_status(r->ops, &enabled, &inbound);
	begin(r);
	uwg_igd_resp_arg(r->out, "FirewallEnabled", enabled ? "1" : "0");
	uwg_igd_resp_arg(r->out, "InboundPinholeAllowed", inbound ? "1" : "0");
	return finish(r);
}

/*
 * uwg keeps no outbound flow timeout the IGD could report (that is the
 * daemon's state tracking): like miniupnpd, the arguments are checked and
 * the answer is 501.
 */
static int do_outbound_timeout(struct req *r)
{
	bool enabled, inbound;
	struct in6_addr a;
	uint16_t rport, iport, proto;
	int err;

	uwg_igd_fw_status(r->ops, &enabled, &inbound);
	if (!enabled)
		return UWG_IGD_E_FIREWALL_DISABLED;
	err = uwg_igd_arg_port(arg(r, "RemotePort"), &rport);
	if (!err)
		err = uwg_igd_arg_port(arg(r, "InternalPort"), &iport);
	if (!err)
		err = uwg_igd_arg_port(arg(r, "Protocol"), &proto);
	if (!err)
		err = remote_host(arg(r, "RemoteHost"), &a);
	if (!err)
		err = remote_host(arg(r, "InternalClient"), &a);
	if (err)
		return err;
	if (proto != IPPROTO_TCP && proto != IPPROTO_UDP && proto != UWG_IGD_PROTO_ANY)
		return UWG_IGD_E_PROTOCOL_NOT_SUPPORTED;
	return UWG_IGD_E_ACTION_FAILED;
}

static int do_add(struct req *r)
{
	const char *client = arg(r, "InternalClient");
	struct uwg_igd_pinhole ph;
	uint16_t proto, id = 0;
	int err = uwg_igd_fw_gate(r->ops);

	if (err)
		return err;
	memset(&ph, 0, sizeof(ph));
	err = uwg_igd_arg_port(arg(r, "RemotePort"), &ph.remote_port);
	if (!err)
		err = uwg_igd_arg_port(arg(r, "InternalPort"), &ph.int_port);
	if (!err)
		err = uwg_igd_arg_port(arg(r, "Protocol"), &proto);
	if (err)
		return err;
	if (ph.int_port == 0)
		return UWG_IGD_E_PINHOLE_INT_PORT_WILDCARD;
	/* never "everyone behind the gateway": a pinhole names its one client */
	if (uwg_igd_arg_remote_wildcard(client))
		return UWG_IGD_E_PINHOLE_CLIENT_WILDCARD;
	err = remote_host(arg(r, "RemoteHost"), &ph.remote_host);
	if (err)
		return err;
	if (proto == UWG_IGD_PROTO_ANY)
		return UWG_IGD_E_PROTOCOL_WILDCARD;
	if (proto != IPPROTO_TCP && proto != IPPROTO_UDP)
		return UWG_IGD_E_PROTOCOL_NOT_SUPPORTED;
	err = lease(arg(r, "LeaseTime"), r->pol, &ph.lease_s);
	if (!err)
		err = uwg_igd_arg_ipv6(client, &ph.int_client);
	if (!err)
		err = verify(r, &ph.int_client, ph.int_port);
	if (err)
		return err;
	ph.proto = (uint8_t)proto;
	ph.origin = UWG_IGD_ORIGIN_UPNP;
	snprintf(ph.desc, sizeof(ph.desc), "%s", UWG_IGD_PINHOLE_DESC);
	/* the same five again from the same owner: the table renews it under its old id */
	err = r->ops->add_pinhole(r->ops->ctx, &ph, r->from->ip6, &id);
	if (err)
		return err;
	begin(r);
	uwg_igd_resp_arg_u32(r->out, "UniqueID", id);
	return finish(r);
}

static int do_update(struct req *r)
{
	struct uwg_igd_pinhole ph;
	uint32_t lease_s;
	uint16_t id;
	int err = uwg_igd_fw_gate(r->ops);

	/* both arguments before the table is looked at, as miniupnpd checks them */
	if (!err)
		err = unique_id(r, &id);
	if (!err)
		err = lease(arg(r, "NewLeaseTime"), r->pol, &lease_s);
	if (!err)
		err = own_pinhole(r, id, &ph);
	if (!err)
		err = r->ops->update_pinhole(r->ops->ctx, id, lease_s, r->from->ip6);
	if (err)
		return err;
	begin(r);
	return finish(r);
}

static int do_delete(struct req *r)
{
	struct uwg_igd_pinhole ph;
	uint16_t id;
	int err = uwg_igd_fw_gate(r->ops);

	if (!err)
		err = unique_id(r, &id);
	if (!err)
		err = own_pinhole(r, id, &ph);
	if (!err)
		err = r->ops->del_pinhole(r->ops->ctx, id, r->from->ip6);
	if (err)
		return err;
	begin(r);
	return finish(r);
}

static int do_packets(struct req *r)
{
	struct uwg_igd_pinhole ph;
	uint16_t id;
	int err = uwg_igd_fw_gate(r->ops);

	if (!err)
		err = unique_id(r, &id);
	if (!err)
		err = own_pinhole(r, id, &ph);
	if (err)
		return err;
	begin(r);
	/* ui4, wrapping like the IGD's other counters */
	uwg_igd_resp_arg_u32(r->out, "PinholePackets", (uint32_t)(ph.packets & 0xffffffffu));
	return finish(r);
}

static int do_check(struct req *r)
{
	struct uwg_igd_pinhole ph;
	uint16_t id;
	int err = uwg_igd_fw_gate(r->ops);

	if (!err)
		err = unique_id(r, &id);
	if (!err)
		err = own_pinhole(r, id, &ph);
	if (!err && ph.packets == 0)
		err = UWG_IGD_E_NO_TRAFFIC;
	if (err)
		return err;
	begin(r);
	uwg_igd_resp_arg(r->out, "IsWorking", "1");
	return finish(r);
}

static const struct {
	const char *name;
	int (*fn)(struct req *r);
} actions[] = {
	{ "GetFirewallStatus", do_status },
	{ "GetOutboundPinholeTimeout", do_outbound_timeout },
	{ "AddPinhole", do_add },
	{ "UpdatePinhole", do_update },
	{ "DeletePinhole", do_delete },
	{ "GetPinholePackets", do_packets },
	{ "CheckPinholeWorking", do_check },
};

int uwg_igd_fw_action(const struct uwg_igd_ops *ops, const struct uwg_igd_policy *pol,
		      const struct uwg_igd_soap_msg *msg, const struct uwg_igd_addr *from,
		      const char *ns, struct uwg_igd_buf *out)
{
	struct req r = { ops, pol, msg, from, ns, out };

	for (size_t i = 0; i < sizeof(actions) / sizeof(actions[0]); i++)
		if (!strcmp(actions[i].name, msg->action))
			return actions[i].fn(&r);
	return UWG_IGD_E_INVALID_ACTION;
}

int uwg_igd_fw_query_var(const struct uwg_igd_ops *ops, const char *var, char *out, size_t cap)
{
	bool enabled, inbound;

	uwg_igd_fw_status(ops, &enabled, &inbound);
	if (!strcmp(var, "FirewallEnabled"))
		snprintf(out, cap, "%d", enabled);
	else if (!strcmp(var, "InboundPinholeAllowed"))
		snprintf(out, cap, "%d", inbound);
	else
		return UWG_IGD_E_INVALID_VAR;
	return 0;
}
