/*
 * tun/wan.c - the NAT's external side: which interface and IPv4 address a
 * configured name (or "auto") means in the current network namespace. Any
 * thread; it opens its own netlink socket.
 */
#include "tun/wan.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "tun/netlink.h"

static int route_source(const char *ifname, uint32_t *addr)
{
	/* TEST-NET-1: connect() on UDP only looks the route up, nothing is sent. */
	struct sockaddr_in dst = { .sin_family = AF_INET, .sin_port = htons(9),
				   .sin_addr.s_addr = htonl(0xc0000201u) };
	struct sockaddr_in src;
	socklen_t sl = sizeof(src);
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), err = 0;

	if (fd < 0)
		return -errno;
	if (setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, ifname, (socklen_t)strlen(ifname)) < 0 ||
	    connect(fd, (const struct sockaddr *)&dst, sizeof(dst)) < 0 ||
	    getsockname(fd, (struct sockaddr *)&src, &sl) < 0)
		err = -errno;
	close(fd);
	if (!err)
		*addr = ntohl(src.sin_addr.s_addr);
	return err ? err : (*addr ? 0 : -EADDRNOTAVAIL);
}

int uwg_tun_wan_find(const char *name, uint32_t want_addr, char ifname[IF_NAMESIZE],
		     uint32_t *addr)
{
	struct uwg_netlink *nl = NULL;
	int err = uwg_netlink_open(&nl), ifindex = 0;
	uint32_t mtu;

	if (err)
		return err;
	if (name && *name) {
		snprintf(ifname, IF_NAMESIZE, "%s", name);
		ifindex = uwg_netlink_link_index(nl, ifname);
		if (ifindex < 0)
			err = ifindex;
	} else {
		err = uwg_netlink_route_default(nl, AF_INET, &ifindex, &mtu);
		if (!err && (ifindex <= 0 || !if_indextoname((unsigned)ifindex, ifname)))
			err = -ENODEV;
	}
	if (!err && want_addr) {
		*addr = want_addr;
	} else if (!err && route_source(ifname, addr)) {
		/* No route through it (an explicit interface): its first IPv4 address. */
		struct uwg_nl_addr *addrs = NULL;
		size_t n = 0;

		err = uwg_netlink_addr_list(nl, ifindex, &addrs, &n);
		if (!err) {
			err = -EADDRNOTAVAIL;
			for (size_t i = 0; i < n && err; i++) {
				if (addrs[i].local.family != AF_INET || addrs[i].link_scope)
					continue;
				*addr = (uint32_t)addrs[i].local.addr[0] << 24 |
					(uint32_t)addrs[i].local.addr[1] << 16 |
					(uint32_t)addrs[i].local.addr[2] << 8 | addrs[i].local.addr[3];
				err = 0;
			}
		}
		free(addrs);
	}
	uwg_netlink_close(nl);
	return err;
}
