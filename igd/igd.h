/*
 * igd/igd.h - uwg's embedded UPnP Internet Gateway Device (pupnp 1.8.4).
 * The only igd header cli/ needs.
 *
 * The IGD never touches the NAT table itself: every request is carried to
 * the libuv loop thread and answered through struct uwg_igd_ops, which
 * cli/ implements on top of core/nat.h. pupnp runs its own threads; they
 * only parse and wait (see docs/igd.md, "Threads").
 *
 * Threads: uwg_igd_start/stop/get_stats and uwg_igd_config_init on the loop
 * thread; every ops callback is called on the loop thread only, never
 * re-entrantly, and must not call uwg_igd_stop. One IGD per process (pupnp
 * is a process-wide singleton).
 *
 * Addresses: struct in_addr in network byte order, as the socket API has them.
 */
#ifndef UWG_IGD_IGD_H
#define UWG_IGD_IGD_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include "igd/policy.h"
#include "igd/soap.h"

/* One port map as the IGD sees it. */
struct uwg_igd_map {
	uint8_t proto;             /* IPPROTO_TCP or IPPROTO_UDP */
	uint16_t ext_port;         /* on the external address; never 0 */
	struct in_addr int_client; /* tunnel client; always == the requester for adds */
	uint16_t int_port;         /* never 0 */
	/*
	 * add_map: the granted lease in seconds, 0 = permanent (already
	 * clamped by the policy). get_map/get_map_by_index: the REMAINING
	 * lease, 0 = permanent (report an expired map as absent instead).
	 */
	uint32_t lease_s;
	char desc[UWG_IGD_DESC_MAX]; /* sanitized printable ASCII, NUL-terminated */
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
	 * description change). requester is the client's tunnel IPv4 (equal
	 * to map->int_client); the implementer must check it belongs to the
	 * AllowedIPs of the peer it came from and use that peer as owner.
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
	/* May be NULL. Short messages about rejected or failed requests; never per packet. */
	void (*log)(void *ctx, const char *msg);
};

struct uwg_igd_config {
	struct uwg_igd_policy policy; /* see policy.h; allow_mask_h 0 = the interface's own prefix */
	const char *uuid;             /* NULL = random per start; else 8-4-4-4-12 hex */
	const char *friendly_name;    /* NULL = "uwg Internet Gateway" */
	uint32_t up_bps, down_bps;    /* Layer1 rates reported; 0 = 1000000000 */
	bool show_all_maps;           /* list other clients' maps too (miniupnpd does) */
	bool no_socket_filter;        /* do not attach the source-address filter (docs/igd.md) */
	unsigned reply_timeout_ms;    /* pupnp thread waits this long for the loop; 0 = 3000 */
	unsigned advert_s;            /* SSDP max-age; 0 = 1800 */
	unsigned max_content_length;  /* SOAP body limit; 0 = 8192 */
};

struct uwg_igd_stats {
	uint64_t actions;         /* action requests answered (any result) */
	uint64_t errors;          /* of which with a UPnP error */
	uint64_t refused_source;  /* requester outside the allowed CIDR */
	uint64_t bad_requests;    /* unparseable arguments */
	uint64_t timeouts;        /* the loop did not answer in time */
	unsigned filtered_sockets; /* pupnp sockets carrying the source filter */
};

struct uwg_igd;

/* Defaults: uwg_igd_policy_init(), everything else 0 (= the documented defaults). */
void uwg_igd_config_init(struct uwg_igd_config *cfg);

/*
 * Starts pupnp on ifname, which must be UP, not loopback, have MULTICAST and
 * carry tunnel_ip (pupnp's miniserver binds that address). port 0 = pupnp's
 * choice; pupnp raises anything below 49152 to 49152 or the next free port.
 * Registers the in-memory description, disables GENA, sends the SSDP
 * announcements. The config and ops are copied. Errors: -EBUSY (already
 * running in this process), -EINVAL (bad config/uuid), -ENODEV (pupnp refused
 * the interface: not up, no multicast, no IPv4), -EADDRNOTAVAIL (pupnp chose
 * an address other than tunnel_ip), -EAGAIN (pupnp could not bind: an IPv6
 * link-local address of the interface still tentative (retry), or loopback
 * down (pupnp binds a stop socket to 127.0.0.1)), -EIO (other pupnp
 * failures), -ENOMEM. On failure the memory is released from a close
 * callback too, so keep running the loop.
 */
int uwg_igd_start(struct uwg_igd **out, uv_loop_t *loop, const char *ifname,
		  struct in_addr tunnel_ip, uint16_t port, const struct uwg_igd_config *cfg,
		  const struct uwg_igd_ops *ops);

/*
 * Sends ssdp:byebye, stops pupnp (joining its threads; requests in flight
 * are answered 501) and closes the async handle. The memory is released
 * from the handle's close callback, so keep running the loop afterwards.
 * Not from inside an ops callback.
 */
void uwg_igd_stop(struct uwg_igd *igd);

/* "http://10.100.0.1:49152/description.xml": for upnpc -u and logs. */
const char *uwg_igd_desc_url(const struct uwg_igd *igd);

void uwg_igd_get_stats(const struct uwg_igd *igd, struct uwg_igd_stats *out);

#endif
