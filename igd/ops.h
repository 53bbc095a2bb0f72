/*
 * igd/ops.h - the contract between the IGD and the table behind it: the
 * port maps it reads and writes and the callbacks its owner implements
 * (the daemon on top of the NAT table, or test/doubles/maptable.c).
 * Loop thread only, like everything in igd/.
 *
 * Addresses: struct in_addr / in6_addr in network byte order, as the socket
 * API has them.
 */
#ifndef UWG_IGD_OPS_H
#define UWG_IGD_OPS_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>

#include "igd/soap.h"

/* Which protocol made a map (shown by `uwg show`, kept in the lease file). */
enum uwg_igd_origin {
	UWG_IGD_ORIGIN_UPNP = 0,
	UWG_IGD_ORIGIN_NATPMP,
	UWG_IGD_ORIGIN_PCP,
	UWG_IGD_ORIGIN_STATIC, /* a PortForward of the configuration (listing only) */
};

/* One port map as the IGD sees it. */
struct uwg_igd_map {
	uint8_t proto;             /* IPPROTO_TCP or IPPROTO_UDP */
	uint16_t ext_port;         /* on the external address; never 0 */
	struct in_addr int_client; /* tunnel client: the requester, or (PCP THIRD_PARTY) an
				    * address of the same owner */
	uint16_t int_port;         /* never 0 */
	/*
	 * add_map: the granted lease in seconds, 0 = permanent (already
	 * clamped by the policy). get_map/get_map_by_index: the REMAINING
	 * lease, 0 = permanent (report an expired map as absent instead).
	 */
	uint32_t lease_s;
	char desc[UWG_IGD_DESC_MAX]; /* sanitized printable ASCII, NUL-terminated */
	uint8_t origin;              /* enum uwg_igd_origin */
};

/* One IPv6 pinhole (WANIPv6FirewallControl:1, PCP MAP of an IPv6 address): inbound
 * proto to int_client:int_port from remote_host:remote_port. */
struct uwg_igd_pinhole {
	uint16_t id;                 /* UniqueID; set by add_pinhole */
	uint8_t proto;               /* IPPROTO_TCP or IPPROTO_UDP */
	struct in6_addr int_client;  /* a tunnel client's IPv6 address */
	uint16_t int_port;           /* never 0 */
	struct in6_addr remote_host; /* all zero = any */
	uint16_t remote_port;        /* 0 = any */
	/* add/update: the granted lease in seconds (1..86400, clamped by the policy);
	 * get/find: the REMAINING lease. */
	uint32_t lease_s;
	uint64_t packets;            /* inbound packets it let through (get/find) */
	char desc[UWG_IGD_DESC_MAX]; /* sanitized printable ASCII: "IGD2 pinhole", "PCP MAP <nonce hex>" */
	uint8_t origin;              /* enum uwg_igd_origin: UPNP or PCP */
};

/* WAN-side totals for WANCommonInterfaceConfig (sent = toward the internet). */
struct uwg_igd_counters {
	uint64_t bytes_sent, bytes_received;
	uint64_t packets_sent, packets_received;
};

/*
 * What the IGD needs from its owner. Results are UPnP error codes: 0 = ok,
 * or the code the client should get (soap.h enum uwg_igd_upnp_error). The
 * IGD has already applied the policy (secure mode, rules, privileged ports,
 * lease clamp, per-client cap) and checked ownership with get_map before it
 * calls add_map/del_map; the table still has the last word.
 */
struct uwg_igd_ops {
	void *ctx;
	/*
	 * Add, or update in place when (proto, ext_port) already belongs to
	 * the same internal client (IGD overwrite rule: port, lease and
	 * description change). requester is the tunnel IPv4 the request came
	 * from (map->int_client, or another address of the same owner); the
	 * implementer must check both belong to the AllowedIPs of the peer it
	 * came from and use that peer as owner.
	 * Returns 0; 718 held by another client; 729 the port is taken by
	 * something else (the server's own ports, the masquerade pool: the IGD
	 * then tries another port for AddAnyPortMapping); 728 the table is
	 * full; 606 not allowed; 501 anything else.
	 */
	int (*add_map)(void *ctx, const struct uwg_igd_map *map, struct in_addr requester);
	/* Returns 0; 714 no such map; 606 it belongs to someone else. */
	int (*del_map)(void *ctx, uint8_t proto, uint16_t ext_port, struct in_addr requester);
	/* Returns 0 and fills out, or 714 when there is no live map. */
	int (*get_map)(void *ctx, uint8_t proto, uint16_t ext_port, struct uwg_igd_map *out);
	/*
	 * The index-th live map in any stable order (0-based), or 713 past the
	 * end. The order may change only when maps are added or removed.
	 */
	int (*get_map_by_index)(void *ctx, uint32_t index, struct uwg_igd_map *out);
	/* Returns 0 with the external IPv4, or 501 when it is unknown (reported "Disconnected"). */
	int (*external_ip)(void *ctx, struct in_addr *out);
	/* May be NULL (totals read 0). */
	void (*counters)(void *ctx, struct uwg_igd_counters *out);
	/*
	 * IPv6 pinholes. fw_status may be NULL (and so may the five pinhole
	 * ops then): no IPv6 firewall, so GetFirewallStatus answers
	 * FirewallEnabled 0 and the pinhole actions 702, PCP MAP for IPv6
	 * NOT_AUTHORIZED. fw_status returning non-zero reads as both false;
	 * enabled false gives 702, inbound_allowed false 703 (the daemon's
	 * switch for pinholes). requester is the IPv6 source of the request;
	 * the implementer checks that it and ph->int_client belong to the
	 * AllowedIPs of one peer and uses that peer as owner. The IGD has
	 * already checked the source prefix, TCP/UDP, int_port >= 1024 (unless
	 * allow_privileged), lease 1..86400 (clamped to the policy's
	 * max_lease_s), and for UPnP int_client == requester (PCP THIRD_PARTY
	 * may name another address of the requester's peer).
	 * add_pinhole: 0 and *id (the same id when the same owner asks again for
	 * the same five: lease and description renewed); 606 not that
	 * requester's address (or another owner holds the same five); 701 no
	 * room, or the owner holds as many pinholes as its cap allows (the IGD
	 * cannot count them: apply the per-peer cap here); 501 else.
	 * update/del: 0; 704 no such id; 606 another owner's.
	 * get: 0 or 704 (packets: inbound packets let through, for
	 * GetPinholePackets and CheckPinholeWorking). find: the caller's own
	 * pinhole with those five (PCP refresh and delete), 0 or 704.
	 */
	int (*fw_status)(void *ctx, bool *enabled, bool *inbound_allowed);
	int (*add_pinhole)(void *ctx, const struct uwg_igd_pinhole *ph, struct in6_addr requester,
			   uint16_t *id);
	int (*update_pinhole)(void *ctx, uint16_t id, uint32_t lease_s, struct in6_addr requester);
	int (*del_pinhole)(void *ctx, uint16_t id, struct in6_addr requester);
	int (*get_pinhole)(void *ctx, uint16_t id, struct uwg_igd_pinhole *out);
	int (*find_pinhole)(void *ctx, const struct uwg_igd_pinhole *key, struct in6_addr requester,
			    struct uwg_igd_pinhole *out);
	/* May be NULL (= never). Do a and b belong to the same owner (PCP THIRD_PARTY)? */
	bool (*same_owner)(void *ctx, struct in_addr a, struct in_addr b);
	/* May be NULL. Short messages about rejected or failed requests; never per packet. */
	void (*log)(void *ctx, const char *msg);
	/*
	 * May be NULL (then log gets a line). An Add or Delete action refused
	 * with a UPnP error code; a few per second at most. IPv4 requesters
	 * only: a refusal for an IPv6 one (AddPinhole, DeletePinhole, ...) goes
	 * to log.
	 */
	void (*refused)(void *ctx, const char *action, struct in_addr requester, int code);
};

#endif
