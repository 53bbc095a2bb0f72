/*
 * core/ip/fw6.h - the stateful IPv6 firewall in front of tunnel clients: the
 * flows clients start (TCP, UDP, other protocols) and the pinholes they open
 * (UPnP WANIPv6FirewallControl, PCP MAP), checked for every IPv6 packet uwg
 * reads from its TUN towards a client. Pure packet inspection: no I/O, no
 * clock (now_ns is passed in, monotonic), no allocation after uwg_fw6_new(),
 * packets are never modified. Loop thread only.
 *
 * Terms. "Outbound" = a packet a client sent (decrypted, on its way to the
 * TUN); "inbound" = a packet read from the TUN whose destination is a
 * client's address. The caller knows which peer that is and passes its
 * owner tag (opaque, never 0: the daemon uses the peer's public key's first
 * 8 bytes). Addresses are 16 raw bytes as on the wire; ports host order.
 *
 * Inbound policy (uwg_fw6_inbound), first match wins:
 *  - ICMPv6 that RFC 4890 §4.3.1 says must not be dropped (Destination
 *    Unreachable, Packet Too Big, Time Exceeded code 0, Parameter Problem
 *    codes 1-2, Echo Request, Echo Reply) and what §4.3.2 says normally
 *    should not be (Time Exceeded code 1, Parameter Problem code 0, types
 *    144-147) passes; any other ICMPv6 type is dropped;
 *  - a packet of a live flow of that owner (the reverse of one the client
 *    started) passes and refreshes it; a UDP datagram a client sends to a
 *    multicast group (an SSDP or mDNS search) starts a flow that any address
 *    may answer from that group port, as unicast replies to such searches come;
 *  - TCP or UDP to a live pinhole of that owner passes and counts on it;
 *  - a non-first fragment passes if the first fragment of the same (src,
 *    dst, identification) passed within the last UWG_FW6_FRAG_TTL_S;
 *  - everything else is dropped and counted (per owner too).
 * Outbound packets are never dropped: they create or refresh the flow
 * (ICMPv6, a non-first fragment and a TCP RST with no flow create none).
 *
 * Eviction: the flow table has cfg.max_flows slots allocated up front, and
 * an owner may hold at most cfg.max_flows_per_owner of them: its least
 * recently used flow makes room for its next one. When the whole table is
 * full, the flow with the earliest expiry among the next UWG_FW6_EVICT_SCAN
 * slots of a rotating hand goes. Both count in stats.flows_evicted (a
 * victim already expired counts in flows_expired instead).
 *
 * The owner table (counters per peer) holds cfg.max_owners entries; the
 * least recently seen of the owners with no flow and no pinhole makes room
 * for a new one (stats.owners_evicted). While every entry holds state, a
 * new owner gets none: its packets are still judged (inbound with no state
 * is dropped) and counted globally, its outbound packets create no flow,
 * its pinhole_add fails with -ENOSPC.
 *
 * Expired flows and pinholes no longer match anything, but hold their slot
 * (and count in the flows/pinholes figures) until a lookup or the
 * uwg_fw6_expire() sweep reclaims them; an expired pinhole goes only through
 * uwg_fw6_expire(), so each is reported once.
 */
#ifndef UWG_CORE_IP_FW6_H
#define UWG_CORE_IP_FW6_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum uwg_fw6_limits {
	UWG_FW6_DESC_MAX = 64,  /* bytes of pinhole description, including the NUL */
	UWG_FW6_EVICT_SCAN = 32,
	UWG_FW6_FRAG_TTL_S = 60,
	UWG_FW6_DEFAULT_MAX_FLOWS = 65536,
	UWG_FW6_DEFAULT_MAX_FLOWS_PER_OWNER = 4096,
	UWG_FW6_DEFAULT_MAX_PINHOLES = 1024,
	UWG_FW6_DEFAULT_MAX_PINHOLES_PER_OWNER = 64,
	UWG_FW6_DEFAULT_MAX_OWNERS = 65536,
	UWG_FW6_MAX_TABLE = 1 << 24, /* max_flows, max_owners; max_pinholes <= 65535 */
};

/* Default timeouts in seconds, as a home router's (and uwg's IPv4 NAT). */
enum uwg_fw6_default_timeouts {
	UWG_FW6_TCP_SYN_S = 120,      /* no reply seen yet */
	UWG_FW6_TCP_EST_S = 7200,     /* both directions seen */
	UWG_FW6_TCP_FIN_S = 240,      /* after a FIN in either direction */
	UWG_FW6_TCP_RST_S = 10,       /* after an RST */
	UWG_FW6_UDP_S = 180,          /* replied */
	UWG_FW6_UDP_UNREPLIED_S = 30, /* only outbound seen */
	UWG_FW6_OTHER_S = 600,        /* any other protocol, by addresses alone */
};

enum uwg_fw6_verdict {
	UWG_FW6_PASS = 0,
	UWG_FW6_DROP,
};

enum uwg_fw6_drop {
	UWG_FW6_DROP_NONE = 0,
	UWG_FW6_DROP_MALFORMED,   /* not a parseable IPv6 packet (truncated headers, version) */
	UWG_FW6_DROP_UNSOLICITED, /* no flow, no pinhole */
	UWG_FW6_DROP_ICMP,        /* an ICMPv6 type outside RFC 4890's pass lists */
	UWG_FW6_DROP_FRAGMENT,    /* a non-first fragment whose first was not seen passing */
	UWG_FW6_DROP_COUNT
};

struct uwg_fw6_timeouts {
	uint32_t tcp_syn_s, tcp_est_s, tcp_fin_s, tcp_rst_s;
	uint32_t udp_s, udp_unreplied_s, other_s; /* 0 = the default above */
};

struct uwg_fw6_config {
	uint32_t max_flows;            /* 0 = UWG_FW6_DEFAULT_MAX_FLOWS */
	uint32_t max_flows_per_owner;  /* 0 = UWG_FW6_DEFAULT_MAX_FLOWS_PER_OWNER */
	uint32_t max_pinholes;         /* 0 = UWG_FW6_DEFAULT_MAX_PINHOLES */
	uint32_t max_pinholes_per_owner; /* 0 = UWG_FW6_DEFAULT_MAX_PINHOLES_PER_OWNER */
	uint32_t max_owners;           /* 0 = UWG_FW6_DEFAULT_MAX_OWNERS */
	struct uwg_fw6_timeouts timeouts;
	uint64_t hash_key[2]; /* random, from the caller: keys the hashes */
};

/*
 * An inbound pinhole: TCP or UDP (proto 6 or 17) to int_addr:int_port of a
 * client, from rem_addr (all zero = any) and rem_port (0 = any).
 */
struct uwg_fw6_pinhole {
	uint16_t id;            /* assigned by uwg_fw6_pinhole_add, 1..65535 */
	uint8_t proto;
	uint8_t int_addr[16];
	uint16_t int_port;      /* never 0 */
	uint8_t rem_addr[16];
	uint16_t rem_port;
	uint64_t owner;
	uint64_t expires_ns;    /* monotonic; never 0 (pinholes always have a lease) */
	uint64_t packets;       /* inbound packets it let through */
	uint8_t origin;         /* the caller's tag (UPnP, PCP); kept, not interpreted */
	char desc[UWG_FW6_DESC_MAX];
};

struct uwg_fw6_owner_stats {
	uint64_t flows;      /* held now (expired ones until reclaimed) */
	uint64_t pinholes;   /* held now (expired ones until reported) */
	uint64_t dropped;    /* inbound packets dropped for this owner, any reason */
	uint64_t passed;     /* inbound packets passed */
	uint64_t evicted;    /* its flows evicted */
};

struct uwg_fw6_stats {
	uint64_t in_passed, out_seen;
	uint64_t flows_created, flows_expired, flows_evicted;
	uint64_t flows_active;
	uint64_t pinholes_active, pinholes_expired;
	uint64_t owners_evicted; /* owner entries (and their counters) recycled */
	uint64_t drops[UWG_FW6_DROP_COUNT];
};

struct uwg_fw6;

/*
 * Setup time: allocates the fixed tables. -EINVAL for a bad config (a table
 * above UWG_FW6_MAX_TABLE, max_pinholes above 65535), -ENOMEM.
 */
int uwg_fw6_new(struct uwg_fw6 **out, const struct uwg_fw6_config *cfg);
void uwg_fw6_free(struct uwg_fw6 *fw);

/* A packet the client `owner` sent: creates or refreshes its flow. Malformed ones count only. */
void uwg_fw6_outbound(struct uwg_fw6 *fw, const uint8_t *pkt, size_t len, uint64_t owner,
		      uint64_t now_ns);
/*
 * A packet towards the client `owner`: the policy above; *why (may be NULL)
 * says which drop was counted.
 */
enum uwg_fw6_verdict uwg_fw6_inbound(struct uwg_fw6 *fw, const uint8_t *pkt, size_t len,
				     uint64_t owner, uint64_t now_ns, enum uwg_fw6_drop *why);

/*
 * Adds a pinhole, or extends (new expiry, description) the live one of the
 * same owner with the same proto, int_addr, int_port, rem_addr and rem_port,
 * which keeps its id (so does an expired one not yet reported); *id_out (may
 * be NULL) is the id. -EEXIST: the same five are a live pinhole of another
 * owner. -ENOSPC: the table or the owner's share is full, or no owner entry
 * is free. -EINVAL: proto not 6/17, int_port 0, owner 0 or expires_ns 0.
 */
int uwg_fw6_pinhole_add(struct uwg_fw6 *fw, const struct uwg_fw6_pinhole *ph, uint64_t now_ns,
			uint16_t *id_out);
/*
 * New expiry for a live pinhole: -ENOENT no such id, -EPERM another owner's,
 * -EINVAL expires_ns 0.
 */
int uwg_fw6_pinhole_update(struct uwg_fw6 *fw, uint16_t id, uint64_t owner, uint64_t expires_ns,
			   uint64_t now_ns);
/* -ENOENT no such id, -EPERM another owner's. */
int uwg_fw6_pinhole_del(struct uwg_fw6 *fw, uint16_t id, uint64_t owner, uint64_t now_ns);
/* The live pinhole with that id: 0 and *out, or -ENOENT. */
int uwg_fw6_pinhole_get(const struct uwg_fw6 *fw, uint16_t id, uint64_t now_ns,
			struct uwg_fw6_pinhole *out);
/*
 * The live pinhole of owner with those five (rem_addr all zero, rem_port 0
 * = the wildcard itself, not "any"), for PCP's refresh: 0 and *out, or -ENOENT.
 */
int uwg_fw6_pinhole_find(const struct uwg_fw6 *fw, const struct uwg_fw6_pinhole *key,
			 uint64_t now_ns, struct uwg_fw6_pinhole *out);
/*
 * Live pinholes in id order: start with *cursor = 0; false at the end. The
 * cursor is the next id to look at; a whole listing reads a 65536-bit map of
 * the ids in use once (1024 words) plus one index lookup per pinhole.
 */
bool uwg_fw6_pinhole_next(const struct uwg_fw6 *fw, uint32_t *cursor, uint64_t now_ns,
			  struct uwg_fw6_pinhole *out);
/* Removes every flow and pinhole of owner and forgets its counters (peer removed). */
void uwg_fw6_forget_owner(struct uwg_fw6 *fw, uint64_t owner);
/*
 * Reclaims expired flows and pinholes, at most `budget` flow slots and
 * `budget` pinhole slots looked at per call (each resumes where it stopped);
 * expired pinholes are reported through cb (may be NULL) before they go. cb
 * must not call back into the firewall.
 */
void uwg_fw6_expire(struct uwg_fw6 *fw, uint64_t now_ns, uint32_t budget,
		    void (*cb)(void *ctx, const struct uwg_fw6_pinhole *ph), void *ctx);

const struct uwg_fw6_stats *uwg_fw6_get_stats(const struct uwg_fw6 *fw);
/* 0 and *out for an owner the table knows, -ENOENT otherwise. */
int uwg_fw6_owner_get(const struct uwg_fw6 *fw, uint64_t owner, struct uwg_fw6_owner_stats *out);
/* Known owners in table order: start with *cursor = 0; false at the end. */
bool uwg_fw6_owner_next(const struct uwg_fw6 *fw, uint32_t *cursor, uint64_t *owner,
			struct uwg_fw6_owner_stats *out);

#endif
