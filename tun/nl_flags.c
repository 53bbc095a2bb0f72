/*
 * tun/nl_flags.c - reading and setting a link's IFF_* flags over libnl (see
 * tun/link_flags.h). Loop or main thread, one struct uwg_netlink per thread.
 */
#include "tun/link_flags.h"

#include <errno.h>
#include <net/if.h>
#include <netlink/route/link.h>

#include "tun/netlink.h"
#include "tun/nl_priv.h"

int uwg_netlink_link_flags(struct uwg_netlink *nl, int ifindex, unsigned *flags)
{
	struct rtnl_link *link;
	int err = uwg_nl_get_link(nl, ifindex, &link);

	if (err)
		return err;
	*flags = rtnl_link_get_flags(link);
	rtnl_link_put(link);
	return 0;
}

int uwg_netlink_link_set_flags(struct uwg_netlink *nl, int ifindex, unsigned flags)
{
	struct rtnl_link *orig, *chg;
	int err = uwg_nl_get_link(nl, ifindex, &orig);

	if (err)
		return err;
	if ((rtnl_link_get_flags(orig) & flags) == flags) {
		rtnl_link_put(orig);
		return 0;
	}
	chg = rtnl_link_alloc();
	/* libnl sends only the bits named here in ifi_change, so nothing else moves. */
	if (chg)
		rtnl_link_set_flags(chg, flags);
	return uwg_nl_link_change(nl, orig, chg);
}
