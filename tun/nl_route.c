/*
 * tun/nl_route.c - device routes over libnl (`ip route add|del DST [via GW
 * onlink] dev IF table T`), the route dumps wg-quick's checks need (`ip route show dev IF
 * match P`, `ip route show table T`) and single route lookups
 * (`ip route get ADDR`, RTM_GETROUTE). Main thread only.
 */
#include "tun/netlink.h"
#include "tun/nl_priv.h"

#include <errno.h>
#include <string.h>
#include <linux/rtnetlink.h>
#include <netlink/addr.h>
#include <netlink/attr.h>
#include <netlink/route/nexthop.h>
#include <netlink/route/route.h>

static int build_route(const struct uwg_nl_route *r, struct rtnl_route **out)
{
	struct rtnl_route *route = rtnl_route_alloc();
	struct rtnl_nexthop *nh;
	struct nl_addr *dst;
	int err;

	if (!route)
		return -ENOMEM;
	rtnl_route_set_family(route, (uint8_t)r->dst.family);
	rtnl_route_set_table(route, r->table);
	rtnl_route_set_protocol(route, RTPROT_BOOT);
	rtnl_route_set_type(route, RTN_UNICAST);
	/* A gatewayed route is universe-scoped; a device route to IPv4 is link-scoped (as ip does). */
	rtnl_route_set_scope(route, r->dst.family == AF_INET && !r->gw.family ? RT_SCOPE_LINK :
										RT_SCOPE_UNIVERSE);
	dst = nl_addr_build(r->dst.family, r->dst.addr, uwg_ip_family_len(r->dst.family));
	if (!dst) {
		rtnl_route_put(route);
		return -ENOMEM;
	}
	nl_addr_set_prefixlen(dst, r->dst.len);
	err = rtnl_route_set_dst(route, dst);
	nl_addr_put(dst);
	nh = err < 0 ? NULL : rtnl_route_nh_alloc();
	if (!nh) {
		rtnl_route_put(route);
		return err < 0 ? uwg_nl_errno(err) : -ENOMEM;
	}
	rtnl_route_nh_set_ifindex(nh, r->ifindex);
	if (r->gw.family) {
		struct nl_addr *gw = nl_addr_build(r->gw.family, r->gw.addr,
						   uwg_ip_family_len(r->gw.family));

		if (!gw) {
			rtnl_route_nh_free(nh);
			rtnl_route_put(route);
			return -ENOMEM;
		}
		rtnl_route_nh_set_gateway(nh, gw);
		nl_addr_put(gw);
		/* the gateway is the peer behind a point-to-point TUN: no subnet holds it */
		rtnl_route_nh_set_flags(nh, RTNH_F_ONLINK);
	}
	rtnl_route_add_nexthop(route, nh);
	*out = route;
	return 0;
}

int uwg_netlink_route_add(struct uwg_netlink *nl, const struct uwg_nl_route *r)
{
	struct rtnl_route *route;
	struct nl_msg *msg = NULL;
	int err = build_route(r, &route);

	if (err)
		return err;
	err = rtnl_route_build_add_request(route, NLM_F_CREATE | NLM_F_EXCL, &msg);
	rtnl_route_put(route);
	if (err < 0)
		return uwg_nl_errno(err);
	return uwg_nl_request(nl, msg, NULL, NULL);
}

int uwg_netlink_route_del(struct uwg_netlink *nl, const struct uwg_nl_route *r)
{
	struct rtnl_route *route;
	struct nl_msg *msg = NULL;
	int err = build_route(r, &route);

	if (err)
		return err;
	err = rtnl_route_build_del_request(route, 0, &msg);
	rtnl_route_put(route);
	if (err < 0)
		return uwg_nl_errno(err);
	err = uwg_nl_request(nl, msg, NULL, NULL);
	return err == -ESRCH ? -ENOENT : err;
}

/* One route message, reduced to what the checks below look at. */
struct route_info {
	struct uwg_ip_prefix dst;
	uint32_t table;
	int oif;
	uint32_t mtu;
	unsigned char type;
};

static int parse_route(struct nl_msg *msg, struct route_info *ri)
{
	struct nlmsghdr *h = nlmsg_hdr(msg);
	struct nlattr *tb[RTA_MAX + 1];
	struct rtmsg *rtm;
	size_t alen;

	if (h->nlmsg_type != RTM_NEWROUTE || nlmsg_parse(h, sizeof(*rtm), tb, RTA_MAX, NULL) < 0)
		return -1;
	rtm = nlmsg_data(h);
	if (rtm->rtm_family != AF_INET && rtm->rtm_family != AF_INET6)
		return -1;
	memset(ri, 0, sizeof(*ri));
	alen = uwg_ip_family_len(rtm->rtm_family);
	ri->dst.family = rtm->rtm_family;
	ri->dst.len = rtm->rtm_dst_len;
	if (tb[RTA_DST] && (size_t)nla_len(tb[RTA_DST]) == alen)
		memcpy(ri->dst.addr, nla_data(tb[RTA_DST]), alen);
	ri->table = tb[RTA_TABLE] ? nla_get_u32(tb[RTA_TABLE]) : rtm->rtm_table;
	ri->oif = tb[RTA_OIF] ? (int)nla_get_u32(tb[RTA_OIF]) : 0;
	ri->type = rtm->rtm_type;
	if (tb[RTA_METRICS]) {
		struct nlattr *mx[RTAX_MAX + 1];

		if (nla_parse_nested(mx, RTAX_MAX, tb[RTA_METRICS], NULL) >= 0 && mx[RTAX_MTU])
			ri->mtu = nla_get_u32(mx[RTAX_MTU]);
	}
	return 0;
}

struct covered {
	int ifindex;
	const struct uwg_ip_prefix *p;
	int found;
};

static int on_covered(struct nl_msg *msg, void *arg)
{
	struct covered *c = arg;
	struct route_info ri;

	if (parse_route(msg, &ri) == 0 && ri.table == RT_TABLE_MAIN && ri.oif == c->ifindex &&
	    uwg_ip_prefix_contains(&ri.dst, c->p))
		c->found = 1;
	return 0;
}

int uwg_netlink_route_covered(struct uwg_netlink *nl, int ifindex, const struct uwg_ip_prefix *p)
{
	struct covered c = { .ifindex = ifindex, .p = p };
	int err = uwg_nl_dump(nl, RTM_GETROUTE, p->family, sizeof(struct rtmsg), on_covered, &c);

	return err ? err : c.found;
}

struct table_used {
	uint32_t table;
	int family;
	int found;
};

static int on_table(struct nl_msg *msg, void *arg)
{
	struct table_used *t = arg;
	struct route_info ri;

	if (parse_route(msg, &ri) == 0 && ri.table == t->table && ri.dst.family == t->family)
		t->found = 1;
	return 0;
}

int uwg_netlink_table_used(struct uwg_netlink *nl, int family, uint32_t table)
{
	struct table_used t = { .table = table, .family = family };
	int err = uwg_nl_dump(nl, RTM_GETROUTE, family, sizeof(struct rtmsg), on_table, &t);

	return err ? err : t.found;
}

struct route_get {
	struct route_info ri;
	int found;
};

static int on_get(struct nl_msg *msg, void *arg)
{
	struct route_get *g = arg;

	if (!g->found && parse_route(msg, &g->ri) == 0)
		g->found = 1;
	return 0;
}

int uwg_netlink_route_get(struct uwg_netlink *nl, const struct uwg_ip_prefix *addr, int *oif,
			  uint32_t *mtu)
{
	struct rtmsg rtm = {
		.rtm_family = (unsigned char)addr->family,
		.rtm_dst_len = addr->family == AF_INET6 ? 128 : 32,
	};
	struct route_get g = { .found = 0 };
	struct nl_msg *msg = nlmsg_alloc_simple(RTM_GETROUTE, 0);
	int err;

	if (!msg)
		return -ENOMEM;
	if (nlmsg_append(msg, &rtm, sizeof(rtm), NLMSG_ALIGNTO) < 0 ||
	    nla_put(msg, RTA_DST, (int)uwg_ip_family_len(addr->family), addr->addr) < 0) {
		nlmsg_free(msg);
		return -ENOMEM;
	}
	err = uwg_nl_request(nl, msg, on_get, &g);
	if (err)
		return err;
	if (!g.found)
		return -ENETUNREACH;
	*oif = g.ri.oif;
	*mtu = g.ri.mtu;
	return 0;
}

static int on_default(struct nl_msg *msg, void *arg)
{
	struct route_get *g = arg;
	struct route_info ri;

	if (!g->found && parse_route(msg, &ri) == 0 && ri.table == RT_TABLE_MAIN &&
	    ri.dst.len == 0 && ri.type == RTN_UNICAST) {
		g->ri = ri;
		g->found = 1;
	}
	return 0;
}

int uwg_netlink_route_default(struct uwg_netlink *nl, int family, int *oif, uint32_t *mtu)
{
	struct route_get g = { .found = 0 };
	int err = uwg_nl_dump(nl, RTM_GETROUTE, family, sizeof(struct rtmsg), on_default, &g);

	if (err)
		return err;
	if (!g.found)
		return -ENOENT;
	*oif = g.ri.oif;
	*mtu = g.ri.mtu;
	return 0;
}
