/*
 * core/ip/nat.h - the userspace IPv4 NAT table: port maps (DNAT of the public
 * address to tunnel clients), masquerade (SNAT of tunnel clients behind the
 * public address, per-flow state), hairpin, ICMP error translation, MSS
 * clamping. Pure packet rewriting: no I/O, no clock (now_ns is passed in,
 * monotonic), no allocation after uwg_nat_new(). Loop thread only.
 *
 * Terms. "Inside" = tunnel clients (cfg.inside_net/mask). "Public" = the
 * server's external IPv4 (cfg.public_ip). A port map sends public:ext_port of
 * one protocol to inside int_addr:int_port, and everything that inside
 * endpoint sends leaves as public:ext_port (static, endpoint-independent). A
 * masquerade flow is a (proto, inside addr:port, remote addr:port) 5-tuple
 * bound to public:pool port; ICMP echo uses the echo id as port, from its own
 * id range. All addresses in this API are host byte order.
 *
 * Packet entry points take a whole IPv4 packet (as read from or written to
 * the TUN) and rewrite it in place; the length never changes. Checksums are
 * updated incrementally (RFC 1624), so a packet with a bad L4 checksum stays
 * bad; the IPv4 header checksum is verified and bad headers are dropped.
 *
 * Fragment policy: only unfragmented packets (MF = 0 and offset = 0) are
 * translated; every fragment is dropped and counted (UWG_NAT_DROP_FRAGMENT).
 * Inbound, the tc filters never steer fragments here (they go to the host
 * stack); outbound, tunnel clients use the tunnel MTU, TCP is MSS-clamped and
 * DF is the norm, and translating non-first fragments would need per-id state
 * plus protection against IP-id clashes between clients behind one address.
 * DF-less unfragmented packets are translated normally.
 *
 * Eviction: the flow table has cfg.max_flows slots allocated up front. Expired
 * flows are reclaimed lazily (lookups, a small sweep on every new flow, and
 * uwg_nat_expire()); when no slot is free, the flow with the earliest expiry
 * among the next UWG_NAT_EVICT_SCAN slots of a rotating hand is evicted and
 * counted (stats.flows_evicted).
 */
#ifndef UWG_CORE_IP_NAT_H
#define UWG_CORE_IP_NAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum uwg_nat_limits {
	UWG_NAT_DESC_MAX = 128,        /* bytes of description, including the NUL */
	UWG_NAT_EVICT_SCAN = 32,       /* slots examined to choose an eviction victim */
	UWG_NAT_DEFAULT_MAX_FLOWS = 16384,
	UWG_NAT_DEFAULT_MAX_MAPS = 256,
};

/* Default timeouts in seconds (configurable through struct uwg_nat_timeouts). */
enum uwg_nat_default_timeouts {
	UWG_NAT_TCP_SYN_S = 120,      /* no reply seen yet */
	UWG_NAT_TCP_EST_S = 7200,     /* both directions seen */
	UWG_NAT_TCP_FIN_S = 240,      /* after a FIN in either direction */
	UWG_NAT_TCP_RST_S = 10,       /* after an RST */
	UWG_NAT_UDP_S = 180,          /* replied */
	UWG_NAT_UDP_UNREPLIED_S = 30, /* only outbound seen */
	UWG_NAT_ICMP_S = 30,
};

enum uwg_nat_verdict {
	UWG_NAT_NOT_OURS = 0, /* untouched; the caller handles it as if there were no NAT */
	UWG_NAT_TO_WORLD,     /* rewritten; send to its destination, e.g. via a raw socket */
	UWG_NAT_TO_TUNNEL,    /* rewritten; route into the tunnel by destination (hairpin too) */
	UWG_NAT_DROP,         /* drop; *why says which reason was counted */
};

enum uwg_nat_drop {
	UWG_NAT_DROP_NONE = 0,
	UWG_NAT_DROP_MALFORMED, /* truncated or inconsistent headers */
	UWG_NAT_DROP_BAD_CSUM,  /* IPv4 header checksum wrong */
	UWG_NAT_DROP_FRAGMENT,  /* any IPv4 fragment (policy above) */
	UWG_NAT_DROP_NO_FLOW,   /* to a pool port or echo id without a live flow */
	UWG_NAT_DROP_NO_PORT,   /* no free pool port/id for a new flow */
	UWG_NAT_DROP_SPOOFED,   /* from the world with an inside or the public source */
	UWG_NAT_DROP_COUNT
};

struct uwg_nat_timeouts {
	uint32_t tcp_syn_s, tcp_est_s, tcp_fin_s, tcp_rst_s;
	uint32_t udp_s, udp_unreplied_s, icmp_s; /* 0 = the default above */
};

struct uwg_nat_config {
	uint32_t public_ip;   /* required, host order */
	uint32_t inside_net;  /* tunnel client subnet, host order */
	uint32_t inside_mask; /* 0 = any source counts as inside */
	bool masquerade;      /* SNAT inside sources going to the world */
	/*
	 * Masquerade/hairpin pool for TCP and UDP (separate port spaces) and
	 * the ICMP echo id range; min = 0 disables. Any range works here; a
	 * power-of-two aligned block (e.g. 61440-65535) needs one tc filter.
	 */
	uint16_t port_min, port_max;
	uint16_t icmp_id_min, icmp_id_max;
	uint32_t max_flows; /* 0 = UWG_NAT_DEFAULT_MAX_FLOWS */
	uint32_t max_maps;  /* 0 = UWG_NAT_DEFAULT_MAX_MAPS */
	uint16_t mss_clamp; /* 0 = off; see uwg_nat_mss_for_mtu() */
	struct uwg_nat_timeouts timeouts;
	uint64_t hash_key[2]; /* random, from the caller: keys the flow hash */
};

struct uwg_nat_map {
	uint8_t proto;       /* IPPROTO_TCP or IPPROTO_UDP */
	uint16_t ext_port;   /* on the public address */
	uint32_t int_addr;   /* inside client, host order */
	uint16_t int_port;
	uint64_t owner;      /* opaque tag, e.g. the peer id */
	uint64_t expires_ns; /* monotonic; 0 = permanent */
	char desc[UWG_NAT_DESC_MAX];
};

struct uwg_nat_stats {
	uint64_t out_translated; /* tunnel -> world */
	uint64_t in_translated;  /* world -> tunnel */
	uint64_t hairpin;        /* tunnel -> tunnel through the public address */
	uint64_t not_ours;
	uint64_t icmp_errors;    /* ICMP errors translated (either way) */
	uint64_t mss_clamped;
	uint64_t flows_created, flows_expired, flows_evicted;
	uint64_t flows_active;
	uint64_t maps_active, maps_expired;
	uint64_t drops[UWG_NAT_DROP_COUNT];
};

struct uwg_nat;

/* Setup time: allocates the fixed tables. -EINVAL for a bad config, -ENOMEM. */
int uwg_nat_new(struct uwg_nat **out, const struct uwg_nat_config *cfg);
void uwg_nat_free(struct uwg_nat *nat);

/*
 * Adds or updates a port map. Same (proto, ext_port) and same owner updates
 * it in place (target, lease, description); an expired map is replaced.
 * -EEXIST: (proto, ext_port) belongs to another owner.
 * -EADDRINUSE: the inside endpoint is already the target of another map.
 * -ERANGE: a port is 0, or ext_port lies in the masquerade pool.
 * -EINVAL: bad proto, or int_addr outside the inside net / equal to public_ip.
 * -ENOSPC: max_maps reached.
 */
int uwg_nat_map_add(struct uwg_nat *nat, const struct uwg_nat_map *map, uint64_t now_ns);

/* -ENOENT if there is no such map, -EPERM if it belongs to another owner. */
int uwg_nat_map_del(struct uwg_nat *nat, uint8_t proto, uint16_t ext_port, uint64_t owner);

/* Removes every map of owner (e.g. a removed peer); returns how many. */
unsigned uwg_nat_map_del_owner(struct uwg_nat *nat, uint64_t owner);

/* The live map on (proto, ext_port), or NULL (also when expired by now_ns). */
const struct uwg_nat_map *uwg_nat_map_find(const struct uwg_nat *nat, uint8_t proto,
					   uint16_t ext_port, uint64_t now_ns);

/*
 * Iteration over stored maps: pass NULL to start, then the previous result.
 * Includes expired maps not yet removed by uwg_nat_expire(). The pointers
 * stay valid until the next add/del/expire.
 */
const struct uwg_nat_map *uwg_nat_map_next(const struct uwg_nat *nat,
					   const struct uwg_nat_map *prev);
size_t uwg_nat_map_count(const struct uwg_nat *nat);

/*
 * A packet from the tunnel toward the world (or to the public address):
 * reverse-DNAT for port-map endpoints, SNAT for masqueraded clients
 * (creating a flow), hairpin when the destination is public:mapped-port (or a
 * hairpin flow's pool port), ICMP errors from clients about translated
 * traffic. why (may be NULL) is set on UWG_NAT_DROP.
 */
enum uwg_nat_verdict uwg_nat_outbound(struct uwg_nat *nat, uint8_t *pkt, size_t len,
				      uint64_t now_ns, enum uwg_nat_drop *why);

/*
 * A packet from the world to the public address: DNAT by port map, reverse
 * SNAT for a flow's replies (TCP/UDP pool ports, ICMP echo replies in the id
 * range), ICMP errors about translated traffic. Never creates state.
 */
enum uwg_nat_verdict uwg_nat_inbound(struct uwg_nat *nat, uint8_t *pkt, size_t len,
				     uint64_t now_ns, enum uwg_nat_drop *why);

/*
 * Housekeeping, e.g. once a second: removes expired maps (calling
 * map_expired, may be NULL, for each before it goes, so the caller can drop
 * its steering filter) and examines up to budget flow slots for expired
 * flows. Returns the number of entries removed.
 */
unsigned uwg_nat_expire(struct uwg_nat *nat, uint64_t now_ns, unsigned budget,
			void (*map_expired)(void *ctx, const struct uwg_nat_map *map), void *ctx);

void uwg_nat_get_stats(const struct uwg_nat *nat, struct uwg_nat_stats *out);
const char *uwg_nat_drop_str(enum uwg_nat_drop why);

/* The IPv4 TCP MSS that fits a tunnel MTU (MTU - 20 IP - 20 TCP), 0 if too small. */
uint16_t uwg_nat_mss_for_mtu(unsigned mtu);

#endif
