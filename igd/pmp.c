/*
 * igd/pmp.c - NAT-PMP requests served from the IGD's map store (see pmp.h).
 * Loop thread (any thread for tests: it holds no state).
 *
 * A NAT-PMP mapping is named by its internal side: (requester, protocol,
 * internal port). A request for one the requester already holds renews it
 * on its external port; otherwise the suggested external port is taken when
 * the policy allows it and it is free, else the nearest allowed free one,
 * and the reply says which (RFC 6886 §3.3). That is what VPN users' scripts
 * rely on when they ask for port 1 or 0 and read the answer.
 */
#include "igd/pmp.h"

#include <arpa/inet.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "igd/actions.h"
#include "igd/soap.h"

/* Table entries one request may look at: bounded work per datagram. */
#define MAX_SCAN (2u * 65536u)

uint16_t uwg_pmp_result_of(int upnp_err)
{
	switch (upnp_err) {
	case 0:
		return UWG_NATPMP_SUCCESS;
	case UWG_IGD_E_NOT_AUTHORIZED:
		return UWG_NATPMP_REFUSED;
	case UWG_IGD_E_NO_PORT_MAPS_AVAILABLE:
	case UWG_IGD_E_CONFLICT:
	case UWG_IGD_E_CONFLICT_OTHER_MECHANISM:
		return UWG_NATPMP_NO_RESOURCES;
	default:
		return UWG_NATPMP_NETWORK_FAILURE;
	}
}

/* "NAT-PMP any udp": a map made with internal port 0 (its internal port is its external one). */
static void any_desc(char *out, size_t cap, uint8_t proto)
{
	snprintf(out, cap, "NAT-PMP any %s", proto == IPPROTO_TCP ? "tcp" : "udp");
}

static bool is_any(const struct uwg_igd_map *m)
{
	char d[UWG_IGD_DESC_MAX];

	any_desc(d, sizeof(d), m->proto);
	return m->origin == UWG_IGD_ORIGIN_NATPMP && !strcmp(m->desc, d);
}

static bool mine(const struct uwg_igd_map *m, struct in_addr requester)
{
	return m->int_client.s_addr == requester.s_addr;
}

void uwg_pmp_own(const struct uwg_pmp_ctx *cx, struct in_addr requester, uint8_t proto,
		 uint16_t int_port, struct uwg_pmp_own *o)
{
	struct uwg_igd_map m;

	memset(o, 0, sizeof(*o));
	for (uint32_t i = 0; i < MAX_SCAN; i++) {
		if (cx->ops->get_map_by_index(cx->ops->ctx, i, &m))
			break;
		if (!mine(&m, requester))
			continue;
		o->held++;
		if (int_port == 0 && is_any(&m)) {
			if (m.proto == proto && !o->found) {
				o->found = true;
				o->map = m;
			} else if (m.proto != proto) {
				o->companion = m.ext_port;
			}
		} else if (int_port && !o->found && m.proto == proto && m.int_port == int_port) {
			o->found = true;
			o->map = m;
		}
	}
}

/* Lifetime 0: internal port 0 deletes all of the requester's maps of proto, else the one. */
static uint16_t unmap(const struct uwg_pmp_ctx *cx, struct in_addr requester, uint8_t proto,
		      uint16_t int_port)
{
	const struct uwg_igd_ops *ops = cx->ops;
	struct uwg_igd_map m;
	uint16_t result = UWG_NATPMP_SUCCESS;
	uint32_t i = 0;

	while (i < MAX_SCAN && !ops->get_map_by_index(ops->ctx, i, &m)) {
		int err;

		if (!mine(&m, requester) || m.proto != proto || (int_port && m.int_port != int_port)) {
			i++;
			continue;
		}
		err = ops->del_map(ops->ctx, proto, m.ext_port, requester);
		if (err) {
			/* an administrator's PortForward to the client is not the client's to delete */
			if (err != UWG_IGD_E_NO_SUCH_ENTRY)
				result = UWG_NATPMP_REFUSED;
			i++;
		} else if (int_port) {
			break;
		}
		/* a deleted entry shifts the ones after it down: the same index again */
	}
	return result;
}

uint16_t uwg_pmp_first_port(const struct uwg_pmp_ctx *cx, struct in_addr requester,
			    uint16_t suggested, uint16_t int_port)
{
	if (suggested >= uwg_igd_policy_min_port(cx->pol))
		return suggested;
	return uwg_igd_policy_any_port(cx->pol, ntohl(requester.s_addr), int_port);
}

/*
 * May the requester get (proto, p)? Free, and its companion (the other
 * protocol's p) not someone else's (RFC 6886 §3.3: a client holding TCP X
 * keeps UDP X from others).
 */
bool uwg_pmp_port_free(const struct uwg_pmp_ctx *cx, struct in_addr requester, uint8_t proto,
		       uint16_t p)
{
	const struct uwg_igd_ops *ops = cx->ops;
	uint8_t other = proto == IPPROTO_TCP ? IPPROTO_UDP : IPPROTO_TCP;
	struct uwg_igd_map cur;

	if (!ops->get_map(ops->ctx, proto, p, &cur))
		return false;
	return ops->get_map(ops->ctx, other, p, &cur) || mine(&cur, requester);
}

int uwg_pmp_place(const struct uwg_pmp_ctx *cx, struct in_addr requester, struct uwg_igd_map *m,
		  uint16_t start, bool same_port)
{
	const struct uwg_igd_ops *ops = cx->ops;
	uint32_t client_h = ntohl(m->int_client.s_addr);
	struct uwg_igd_port_walk walk;
	unsigned attempts = 0, allowed = 0;
	uint16_t p;
	int err;

	uwg_igd_port_walk_init(&walk, start, uwg_igd_policy_min_port(cx->pol));
	while ((p = uwg_igd_port_walk_next(&walk)) != 0) {
		if (same_port)
			m->int_port = p;
		if (uwg_igd_policy_check(cx->pol, p, client_h, m->int_port))
			continue;
		/* RFC 6887 §11.3: never a client's map on the port-mapping ports themselves */
		if (m->proto == IPPROTO_UDP &&
		    (p == UWG_NATPMP_PORT || p == UWG_NATPMP_ANNOUNCE_PORT))
			continue;
		if (++allowed > UWG_IGD_ADD_ANY_PROBES)
			break;
		if (!uwg_pmp_port_free(cx, requester, m->proto, p))
			continue;
		m->ext_port = p;
		err = ops->add_map(ops->ctx, m, requester);
		if (!err)
			return 0;
		if (err != UWG_IGD_E_CONFLICT && err != UWG_IGD_E_CONFLICT_OTHER_MECHANISM)
			return err;
		if (++attempts >= UWG_IGD_ADD_ANY_ATTEMPTS)
			break;
	}
	return allowed ? UWG_IGD_E_NO_PORT_MAPS_AVAILABLE : UWG_IGD_E_NOT_AUTHORIZED;
}

static uint16_t map(const struct uwg_pmp_ctx *cx, struct in_addr requester,
		    const struct uwg_natpmp_req *req, uint16_t *ext_port, uint32_t *lifetime)
{
	const struct uwg_igd_ops *ops = cx->ops;
	uint8_t proto = req->op == UWG_NATPMP_OP_MAP_TCP ? IPPROTO_TCP : IPPROTO_UDP;
	uint32_t max = cx->max_lifetime ? cx->max_lifetime : UWG_PMP_MAX_LIFETIME;
	struct uwg_igd_map m;
	struct uwg_pmp_own own;
	int err;

	if (req->lifetime == 0)
		return unmap(cx, requester, proto, req->int_port);
	memset(&m, 0, sizeof(m));
	m.proto = proto;
	m.int_client = requester;
	m.int_port = req->int_port;
	m.lease_s = req->lifetime < max ? req->lifetime : max;
	m.origin = UWG_IGD_ORIGIN_NATPMP;
	if (req->int_port)
		snprintf(m.desc, sizeof(m.desc), "NAT-PMP %u %s", req->int_port,
			 proto == IPPROTO_TCP ? "tcp" : "udp");
	else
		any_desc(m.desc, sizeof(m.desc), proto);
	uwg_pmp_own(cx, requester, proto, req->int_port, &own);
	if (own.found) {
		/* a renewal keeps its external port, whatever the client suggests now (§3.3) */
		m.ext_port = own.map.ext_port;
		m.int_port = own.map.int_port;
		err = uwg_igd_policy_check(cx->pol, m.ext_port, ntohl(requester.s_addr), m.int_port);
		if (!err)
			err = ops->add_map(ops->ctx, &m, requester);
	} else if (cx->pol->max_per_client && own.held >= cx->pol->max_per_client) {
		return UWG_NATPMP_NO_RESOURCES;
	} else {
		/* internal port 0: the UDP and TCP halves of one forward share their port */
		err = uwg_pmp_place(cx, requester, &m, own.companion ? own.companion :
				    uwg_pmp_first_port(cx, requester, req->ext_port, req->int_port),
				    req->int_port == 0);
	}
	if (err)
		return err == UWG_IGD_E_NO_PORT_MAPS_AVAILABLE ? UWG_NATPMP_NO_RESOURCES
							       : uwg_pmp_result_of(err);
	*ext_port = m.ext_port;
	*lifetime = m.lease_s;
	return UWG_NATPMP_SUCCESS;
}

enum uwg_pmp_outcome uwg_pmp_natpmp(const struct uwg_pmp_ctx *cx, const uint8_t *p, size_t len,
				    struct in_addr requester, uint32_t epoch,
				    uint8_t out[UWG_NATPMP_REPLY_MAX], size_t *out_len)
{
	struct uwg_natpmp_req req;
	uint16_t result, ext_port = 0;
	uint32_t lifetime = 0;
	struct in_addr ext;

	*out_len = 0;
	switch (uwg_natpmp_parse(p, len, &req)) {
	case UWG_NATPMP_DROP:
		return UWG_PMP_DROPPED;
	case UWG_NATPMP_BAD_VERSION:
		*out_len = uwg_natpmp_reply_error(out, req.op, UWG_NATPMP_UNSUPPORTED_VERSION, epoch);
		return UWG_PMP_ERROR;
	case UWG_NATPMP_BAD_OPCODE:
		*out_len = uwg_natpmp_reply_error(out, req.op, UWG_NATPMP_UNSUPPORTED_OPCODE, epoch);
		return UWG_PMP_ERROR;
	case UWG_NATPMP_REQUEST:
		break;
	}
	if (req.op == UWG_NATPMP_OP_ADDRESS) {
		result = UWG_NATPMP_SUCCESS;
		if (!uwg_igd_policy_requester_ok(cx->pol, ntohl(requester.s_addr)))
			result = UWG_NATPMP_REFUSED;
		else if (cx->ops->external_ip(cx->ops->ctx, &ext))
			result = UWG_NATPMP_NETWORK_FAILURE;
		*out_len = uwg_natpmp_reply_address(out, result, epoch, result ? 0 : ext.s_addr);
		return result ? UWG_PMP_ERROR : UWG_PMP_ANSWERED;
	}
	if (!uwg_igd_policy_requester_ok(cx->pol, ntohl(requester.s_addr)))
		result = UWG_NATPMP_REFUSED;
	else
		result = map(cx, requester, &req, &ext_port, &lifetime);
	*out_len = uwg_natpmp_reply_map(out, req.op, result, epoch, req.int_port, ext_port,
					lifetime);
	return result ? UWG_PMP_ERROR : UWG_PMP_ANSWERED;
}
