/*
 * tun/nl_link.c - interface lookup, MTU, up, moving to a namespace and
 * deletion over libnl (`ip link ...`). Main thread only.
 */
#include "tun/netlink.h"
#include "tun/nl_priv.h"

#include <errno.h>
#include <net/if.h>
#include <netlink/route/link.h>

int uwg_netlink_link_index(struct uwg_netlink *nl, const char *name)
{
	struct rtnl_link *link = NULL;
	int err = rtnl_link_get_kernel(nl->sk, 0, name, &link);
	int idx;

	if (err < 0)
		return err == -NLE_OBJ_NOTFOUND || err == -NLE_NODEV ? -ENODEV : uwg_nl_errno(err);
	idx = rtnl_link_get_ifindex(link);
	rtnl_link_put(link);
	return idx > 0 ? idx : -ENODEV;
}

int uwg_netlink_link_mtu(struct uwg_netlink *nl, int ifindex, uint32_t *mtu)
{
	struct rtnl_link *link;
	int err = uwg_nl_get_link(nl, ifindex, &link);

	if (err)
		return err;
	*mtu = rtnl_link_get_mtu(link);
	rtnl_link_put(link);
	return 0;
}

int uwg_nl_link_change(struct uwg_netlink *nl, struct rtnl_link *orig, struct rtnl_link *chg)
{
	struct nl_msg *msg = NULL;
	int err;

	if (!chg) {
		rtnl_link_put(orig);
		return -ENOMEM;
	}
	err = rtnl_link_build_change_request(orig, chg, 0, &msg);
	rtnl_link_put(chg);
	rtnl_link_put(orig);
	if (err < 0)
		return uwg_nl_errno(err);
	return uwg_nl_request(nl, msg, NULL, NULL);
}

int uwg_netlink_link_set_mtu_up(struct uwg_netlink *nl, int ifindex, uint32_t mtu)
{
	struct rtnl_link *orig, *chg;
	int err = uwg_nl_get_link(nl, ifindex, &orig);

	if (err)
		return err;
	chg = rtnl_link_alloc();
	if (chg) {
		rtnl_link_set_mtu(chg, mtu);
		rtnl_link_set_flags(chg, IFF_UP);
	}
	return uwg_nl_link_change(nl, orig, chg);
}

int uwg_netlink_link_set_netns(struct uwg_netlink *nl, int ifindex, int nsfd)
{
	struct rtnl_link *orig, *chg;
	int err = uwg_nl_get_link(nl, ifindex, &orig);

	if (err)
		return err;
	chg = rtnl_link_alloc();
	if (chg)
		rtnl_link_set_ns_fd(chg, nsfd);
	return uwg_nl_link_change(nl, orig, chg);
}

int uwg_netlink_link_delete(struct uwg_netlink *nl, int ifindex)
{
	struct rtnl_link *link = rtnl_link_alloc();
	struct nl_msg *msg = NULL;
	int err;

	if (!link)
		return -ENOMEM;
	rtnl_link_set_ifindex(link, ifindex);
	err = rtnl_link_build_delete_request(link, &msg);
	rtnl_link_put(link);
	if (err < 0)
		return uwg_nl_errno(err);
	return uwg_nl_request(nl, msg, NULL, NULL);
}

int uwg_nl_get_link(struct uwg_netlink *nl, int ifindex, struct rtnl_link **link)
{
	int err = rtnl_link_get_kernel(nl->sk, ifindex, NULL, link);

	if (err < 0)
		return err == -NLE_OBJ_NOTFOUND || err == -NLE_NODEV ? -ENODEV : uwg_nl_errno(err);
	return 0;
}
