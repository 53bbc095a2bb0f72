/*
 * tun/wan.h - the NAT's external side: which interface and IPv4 address a
 * configured name (or "auto") means in the current network namespace. Any
 * thread; each call opens its own netlink socket.
 */
#ifndef UWG_TUN_WAN_H
#define UWG_TUN_WAN_H

#include <net/if.h>
#include <stdint.h>

/*
 * name NULL or "": the main table's IPv4 default route's interface. The
 * address: want_addr if non-zero (host order), else the source address the
 * kernel picks for a route through that interface, else its first IPv4
 * address. Names the interface in ifname. 0, -ENOENT (no default route),
 * -EADDRNOTAVAIL (no IPv4 address), -ENODEV, or other -errno.
 */
int uwg_tun_wan_find(const char *name, uint32_t want_addr, char ifname[IF_NAMESIZE],
		     uint32_t *addr);

#endif
