/*
 * tun/link_flags.h - IFF_* flags of a link over rtnetlink (`ip link set IF
 * multicast on`, `ip link set lo up`), for what pupnp needs of the IGD's
 * interface (docs/igd.md): loopback up, the TUN with MULTICAST. Works in the
 * socket's network namespace. Loop or main thread (one struct uwg_netlink
 * per thread, see tun/netlink.h).
 */
#ifndef UWG_TUN_LINK_FLAGS_H
#define UWG_TUN_LINK_FLAGS_H

#include "tun/netlink.h"

/* The link's IFF_* flags. 0, -ENODEV, or -errno. */
int uwg_netlink_link_flags(struct uwg_netlink *nl, int ifindex, unsigned *flags);

/*
 * Sets the IFF_* bits in flags (IFF_UP, IFF_MULTICAST, ...) and leaves the
 * others alone; does nothing when they are all set already. 0 or -errno.
 */
int uwg_netlink_link_set_flags(struct uwg_netlink *nl, int ifindex, unsigned flags);

#endif
