/*
 * tun/netlink.h - what `ip link|address|route|rule` do, over rtnetlink with
 * libnl-route-3, for `uwg up`/`uwg down`: link lookup, MTU and up, link
 * deletion, addresses, device routes, route lookups (RTM_GETROUTE) and policy
 * rules (including the "not fwmark" and "suppress_prefixlength" rules libnl's
 * rule object cannot express). Knows nothing of WireGuard. Every call works in
 * the network namespace the socket was opened in. Main thread only; one
 * struct uwg_netlink per thread.
 */
#ifndef UWG_TUN_NETLINK_H
#define UWG_TUN_NETLINK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tun/ipprefix.h"

struct uwg_netlink;

struct uwg_nl_rule {
	int family;             /* AF_INET or AF_INET6 */
	uint32_t priority;      /* 0 on add: the kernel chooses, and the choice is written back */
	uint32_t table;
	uint32_t fwmark;        /* 0 = no fwmark selector */
	bool invert;            /* "not": the selector is negated */
	int suppress_prefixlen; /* -1 = none */
	bool other;             /* listed rule has selectors or an action not modelled here */
};

struct uwg_nl_route {
	struct uwg_ip_prefix dst; /* host bits must be clear */
	int ifindex;
	uint32_t table;
	struct uwg_ip_prefix gw;  /* family 0 = a device route; else `via GW onlink` */
};

struct uwg_nl_addr {
	struct uwg_ip_prefix local;
	bool link_scope; /* e.g. an IPv6 fe80:: address the kernel added on its own */
};

/* All return 0 or a negative errno unless stated. */
int uwg_netlink_open(struct uwg_netlink **out);
void uwg_netlink_close(struct uwg_netlink *nl);

/* Interface index (> 0) of name, or -ENODEV. */
int uwg_netlink_link_index(struct uwg_netlink *nl, const char *name);
int uwg_netlink_link_mtu(struct uwg_netlink *nl, int ifindex, uint32_t *mtu);
/* `ip link set mtu MTU up dev IF` */
int uwg_netlink_link_set_mtu_up(struct uwg_netlink *nl, int ifindex, uint32_t mtu);
/* `ip link set dev IF netns NS`, nsfd an fd of the namespace (tun/netns.h opens one) */
int uwg_netlink_link_set_netns(struct uwg_netlink *nl, int ifindex, int nsfd);
/* `ip link delete dev IF` */
int uwg_netlink_link_delete(struct uwg_netlink *nl, int ifindex);

/* `ip address add LOCAL/LEN dev IF` */
int uwg_netlink_addr_add(struct uwg_netlink *nl, int ifindex, const struct uwg_ip_prefix *local);
/* Addresses of ifindex in kernel order; *out is malloc'd (free it), *n its length. */
int uwg_netlink_addr_list(struct uwg_netlink *nl, int ifindex, struct uwg_nl_addr **out,
			  size_t *n);

/* `ip route add DST [via GW onlink] dev IF table T` (proto boot, like ip); -EEXIST if present. */
int uwg_netlink_route_add(struct uwg_netlink *nl, const struct uwg_nl_route *r);
int uwg_netlink_route_del(struct uwg_netlink *nl, const struct uwg_nl_route *r);
/* 1 if `ip route show dev IF match P` (main table) prints something, 0 if not. */
int uwg_netlink_route_covered(struct uwg_netlink *nl, int ifindex, const struct uwg_ip_prefix *p);
/* 1 if table holds any route of family, 0 if empty. */
int uwg_netlink_table_used(struct uwg_netlink *nl, int family, uint32_t table);
/*
 * `ip route get ADDR` (addr is a host prefix): output interface and the route's
 * MTU metric (0 when the route carries none). -ENETUNREACH etc. when no route.
 */
int uwg_netlink_route_get(struct uwg_netlink *nl, const struct uwg_ip_prefix *addr, int *oif,
			  uint32_t *mtu);

/* First default route of the main table (`ip route show default`); -ENOENT if none. */
int uwg_netlink_route_default(struct uwg_netlink *nl, int family, int *oif, uint32_t *mtu);

/* `ip rule add ...`; r->priority receives the priority the rule got. */
int uwg_netlink_rule_add(struct uwg_netlink *nl, struct uwg_nl_rule *r);
/* Deletes the rule with exactly these selectors and priority; -ENOENT if none. */
int uwg_netlink_rule_del(struct uwg_netlink *nl, const struct uwg_nl_rule *r);
/* Rules of family, in kernel order; *out is malloc'd. */
int uwg_netlink_rule_list(struct uwg_netlink *nl, int family, struct uwg_nl_rule **out, size_t *n);

#endif
