/*
 * tun/nl_addr.c - interface addresses over libnl (`ip address add`, and the
 * listing SaveConfig writes back). Main thread only.
 */
#include "tun/netlink.h"
#include "tun/nl_priv.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <linux/if_addr.h>
#include <linux/rtnetlink.h>
#include <netlink/addr.h>
#include <netlink/route/addr.h>

int uwg_netlink_addr_add(struct uwg_netlink *nl, int ifindex, const struct uwg_ip_prefix *local)
{
	struct rtnl_addr *addr = rtnl_addr_alloc();
	struct nl_addr *a;
	struct nl_msg *msg = NULL;
	int err;

	if (!addr)
		return -ENOMEM;
	a = nl_addr_build(local->family, local->addr, uwg_ip_family_len(local->family));
	if (!a) {
		rtnl_addr_put(addr);
		return -ENOMEM;
	}
	nl_addr_set_prefixlen(a, local->len);
	rtnl_addr_set_ifindex(addr, ifindex);
	err = rtnl_addr_set_local(addr, a);
	nl_addr_put(a);
	if (err >= 0) {
		rtnl_addr_set_prefixlen(addr, local->len);
		err = rtnl_addr_build_add_request(addr, NLM_F_CREATE | NLM_F_EXCL, &msg);
	}
	rtnl_addr_put(addr);
	if (err < 0)
		return uwg_nl_errno(err);
	return uwg_nl_request(nl, msg, NULL, NULL);
}

struct addr_list {
	int ifindex;
	struct uwg_nl_addr *v;
	size_t n, cap;
};

static int on_addr(struct nl_msg *msg, void *arg)
{
	struct addr_list *l = arg;
	struct nlmsghdr *h = nlmsg_hdr(msg);
	struct ifaddrmsg *ifa;
	struct nlattr *tb[IFA_MAX + 1];
	struct nlattr *at;
	struct uwg_nl_addr *e;
	size_t alen;

	if (h->nlmsg_type != RTM_NEWADDR || nlmsg_parse(h, sizeof(*ifa), tb, IFA_MAX, NULL) < 0)
		return 0;
	ifa = nlmsg_data(h);
	if ((int)ifa->ifa_index != l->ifindex ||
	    (ifa->ifa_family != AF_INET && ifa->ifa_family != AF_INET6))
		return 0;
	at = tb[IFA_LOCAL] ? tb[IFA_LOCAL] : tb[IFA_ADDRESS];
	alen = uwg_ip_family_len(ifa->ifa_family);
	if (!at || (size_t)nla_len(at) != alen)
		return 0;
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 8;
		struct uwg_nl_addr *v = realloc(l->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		l->v = v;
		l->cap = cap;
	}
	e = &l->v[l->n++];
	memset(e, 0, sizeof(*e));
	e->local.family = ifa->ifa_family;
	e->local.len = ifa->ifa_prefixlen;
	memcpy(e->local.addr, nla_data(at), alen);
	e->link_scope = ifa->ifa_scope == RT_SCOPE_LINK;
	return 0;
}

int uwg_netlink_addr_list(struct uwg_netlink *nl, int ifindex, struct uwg_nl_addr **out,
			  size_t *n)
{
	struct addr_list l = { .ifindex = ifindex };
	int err = uwg_nl_dump(nl, RTM_GETADDR, AF_UNSPEC, sizeof(struct ifaddrmsg), on_addr, &l);

	if (err) {
		free(l.v);
		return err;
	}
	*out = l.v;
	*n = l.n;
	return 0;
}
