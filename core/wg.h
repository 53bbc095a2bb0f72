/*
 * core/wg.h - the sans-I/O WireGuard device: identity, peers, handshakes,
 * cookies, keypairs, timers and the data-path decisions. It performs no I/O
 * and reads no clock or RNG of its own: everything goes through
 * struct uwg_wg_ops, so a whole device runs in memory in unit tests. With
 * core/pkt.h (which it includes), the daemon's whole view of core/. Loop
 * thread only.
 */
#ifndef UWG_CORE_WG_H
#define UWG_CORE_WG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "core/pkt.h"

struct uwg_wg;
struct uwg_peer;

/*
 * One data-message AEAD of a batch, in place: encrypt turns len bytes of
 * padded plaintext into ciphertext followed by the 16-byte tag; decrypt
 * checks and opens len bytes (tag included) and sets ok. The jobs of a batch
 * share no bytes, so they may run in any order on any thread.
 */
struct uwg_crypt_job {
	uint8_t *data;
	size_t len;
	uint64_t counter;
	const uint8_t *key; /* 32 bytes, valid until ops->crypt_batch returns */
	bool encrypt;
	bool ok;
};

/* Runs one job (any thread). */
void uwg_crypt_job_run(struct uwg_crypt_job *job);

/* What an optional ops->event hears about. */
enum uwg_wg_event {
	UWG_WG_EV_PEER_ADDED,
	UWG_WG_EV_PEER_REMOVED,
	UWG_WG_EV_SESSION,       /* a handshake completed: a new session, either side */
	UWG_WG_EV_ENDPOINT,      /* an authenticated message came from a new address */
	UWG_WG_EV_KEYS_EXPIRED,  /* no new session for 3 x Reject-After-Time: keys zeroed */
	UWG_WG_EV_INITIATION_SENT,
	UWG_WG_EV_INITIATION_RECEIVED,
	UWG_WG_EV_RESPONSE_SENT,
	UWG_WG_EV_RESPONSE_RECEIVED,
	UWG_WG_EV_COOKIE_SENT,   /* peer NULL: the sender is not known before its MACs pass */
	UWG_WG_EV_COOKIE_RECEIVED,
};

struct uwg_wg_ops {
	void *ctx;
	/* Monotonic nanoseconds. */
	uint64_t (*now)(void *ctx);
	/* Wall clock, for TAI64N timestamps and last-handshake times. */
	void (*wall)(void *ctx, struct timespec *ts);
	void (*random)(void *ctx, uint8_t *out, size_t len);
	/*
	 * Consumes pkt: a WireGuard message at uwg_pkt_data(pkt), pkt->len bytes,
	 * to send to pkt->ep (remote address and sticky source). The callee may
	 * batch and send later; it returns the packet to the pool when done.
	 */
	void (*udp_send)(void *ctx, struct uwg_pkt *pkt);
	/* Consumes pkt: one decrypted inner IP packet for the TUN. */
	void (*tun_write)(void *ctx, struct uwg_pkt *pkt);
	/*
	 * The earliest timer deadline (monotonic ns) is now `deadline`
	 * (UINT64_MAX = none). Called only when it moves, never per packet; the
	 * I/O layer keeps one timer and calls uwg_wg_timers_run when it fires.
	 */
	void (*timer_arm)(void *ctx, uint64_t deadline);
	/*
	 * Optional (NULL: the core runs jobs itself, in order). Runs every job
	 * with uwg_crypt_job_run, possibly spread over threads, and returns
	 * only when all are done. Called with batches of data messages; the
	 * core touches none of their bytes meanwhile.
	 */
	void (*crypt_batch)(void *ctx, struct uwg_crypt_job *jobs, size_t n);
	/*
	 * Optional (NULL: now). Nanoseconds of CPU time this thread has used:
	 * what a handshake message costs is measured with it, so time the
	 * thread spends preempted does not count as load (core/receive.c).
	 */
	uint64_t (*cpu_now)(void *ctx);
	/*
	 * Optional. Something for the log: ep is the endpoint involved (NULL
	 * for peer added/removed and keys expired). Never called per data
	 * packet, except when the packet moved the peer's endpoint. Must not
	 * call back into the core.
	 */
	void (*event)(void *ctx, enum uwg_wg_event ev, const struct uwg_peer *peer,
		      const struct uwg_endpoint *ep);
};

/* Drop and event counters; only ever incremented. */
struct uwg_wg_stats {
	uint64_t rx_bad_length;   /* too short, or wrong exact size for its type */
	uint64_t rx_bad_type;     /* unknown message type or nonzero reserved bytes */
	uint64_t rx_bad_mac;      /* mac1 invalid */
	uint64_t rx_bad_handshake; /* failed to decrypt/validate, replayed or flooded initiation */
	uint64_t rx_cookie_sent;  /* under load without valid mac2: answered with a cookie reply */
	uint64_t rx_ratelimited;  /* under load, valid mac2, but over the per-source rate */
	uint64_t rx_handshake_shed; /* under load, over the global or the source's inspection
				     * budget: dropped after the type/length check, before any MAC */
	uint64_t rx_cookie_ratelimited; /* under load, no valid mac2, over the global or the
					 * source's cookie-reply budget: dropped unanswered */
	uint64_t rx_no_keypair;   /* data for an unknown or expired receiver index */
	uint64_t rx_bad_auth;     /* data that failed to decrypt */
	uint64_t rx_replay;       /* data counter replayed or too old */
	uint64_t rx_bad_inner;    /* decrypted but not a valid IPv4/IPv6 packet */
	uint64_t rx_bad_src;      /* inner source not in the sending peer's allowed IPs */
	uint64_t rx_keepalives;
	uint64_t tx_no_peer;      /* no allowed-IPs match for the destination */
	uint64_t tx_no_endpoint;  /* peer has no endpoint yet */
	uint64_t tx_staged_dropped; /* oldest staged packet dropped (queue full or purged) */
	uint64_t tx_bad_inner;    /* TUN gave a packet that is not IPv4/IPv6 */
	uint64_t pool_empty;      /* a packet was needed and the pool had none */
	uint64_t handshakes_sent;
	uint64_t handshakes_completed;
	uint64_t sessions_active; /* gauge: peers holding session state (a handshake or keys) */
};

struct uwg_peer_info {
	uint8_t public_key[32];
	uint8_t preshared_key[32]; /* all zero = none */
	struct uwg_endpoint endpoint; /* addr.sa.sa_family == AF_UNSPEC: none */
	struct timespec last_handshake; /* wall clock; zero = never */
	uint64_t rx_bytes;
	uint64_t tx_bytes;
	uint16_t persistent_keepalive; /* seconds, 0 = off */
};

/* Setup: ops is copied; pool is borrowed and must outlive the device. NULL on ENOMEM. */
struct uwg_wg *uwg_wg_new(const struct uwg_wg_ops *ops, struct uwg_pool *pool);
/* Wipes every secret, returns every held packet to the pool, frees. */
void uwg_wg_free(struct uwg_wg *wg);

/*
 * Interface state. While down nothing is sent and timers are stopped; going
 * down purges staged packets, handshakes and keypairs (as the kernel's
 * wg_stop). Going up sends staged packets and a keepalive to every peer with
 * a persistent keepalive.
 */
void uwg_wg_up(struct uwg_wg *wg);
void uwg_wg_down(struct uwg_wg *wg);
bool uwg_wg_is_up(const struct uwg_wg *wg);
/* Tunnel MTU, for padding (default 1420). */
void uwg_wg_set_mtu(struct uwg_wg *wg, uint32_t mtu);

/* Data path. Both consume pkt on every path. */
/* An inner IP packet read from the TUN, at uwg_pkt_data(pkt), with >= UWG_PKT_HEADROOM in front. */
void uwg_wg_tun_input(struct uwg_wg *wg, struct uwg_pkt *pkt);
/*
 * The same for n TUN packets at once (e.g. the segments of one super-packet):
 * each is routed and staged in order, then every peer that got some sends
 * its queue in one pass (one nonce reservation, timer update and clock read
 * per peer). Per-peer order is kept. Consumes every packet.
 */
void uwg_wg_tun_input_batch(struct uwg_wg *wg, struct uwg_pkt *const *pkts, size_t n);
/* A UDP datagram; pkt->ep is its source address and the local address it arrived on. */
void uwg_wg_udp_input(struct uwg_wg *wg, struct uwg_pkt *pkt);
/*
 * The same for n datagrams at once, in order: runs of data messages are
 * decrypted as one ops->crypt_batch, then checked and delivered in arrival
 * order exactly as one by one. Consumes every packet.
 */
void uwg_wg_udp_input_batch(struct uwg_wg *wg, struct uwg_pkt *const *pkts, size_t n);
/* Runs every timer that is due at ops->now(); then re-arms through ops->timer_arm. */
void uwg_wg_timers_run(struct uwg_wg *wg);

/* Configuration (UAPI semantics, see docs/uapi.md). */
/* key NULL or all zero = remove. Clamps; removes a peer with the matching public key;
 * expires current keypairs of every peer. */
void uwg_wg_set_private_key(struct uwg_wg *wg, const uint8_t key[32]);
/* False if none is set. */
bool uwg_wg_get_private_key(const struct uwg_wg *wg, uint8_t key[32]);
bool uwg_wg_get_public_key(const struct uwg_wg *wg, uint8_t key[32]);

struct uwg_peer *uwg_wg_peer_lookup(struct uwg_wg *wg, const uint8_t public_key[32]);
/*
 * Returns the peer with that key, creating it if absent. *out is NULL (and 0
 * returned) for the device's own public key, which is silently ignored.
 * -ENOSPC when the device already holds its maximum (uwg_wg_set_max_peers,
 * UWG_MAX_PEERS by default), -ENOMEM; nothing is created on failure.
 */
int uwg_wg_peer_add(struct uwg_wg *wg, const uint8_t public_key[32], struct uwg_peer **out);
/* 1..UWG_MAX_PEERS, else -EINVAL. Lowering it below the count removes nobody. */
int uwg_wg_set_max_peers(struct uwg_wg *wg, size_t max_peers);
size_t uwg_wg_max_peers(const struct uwg_wg *wg);
void uwg_wg_peer_remove(struct uwg_wg *wg, struct uwg_peer *peer);
void uwg_wg_peers_clear(struct uwg_wg *wg);
/* Peers in creation order. */
struct uwg_peer *uwg_wg_peer_first(struct uwg_wg *wg);
struct uwg_peer *uwg_wg_peer_next(struct uwg_wg *wg, struct uwg_peer *peer);
size_t uwg_wg_peer_count(const struct uwg_wg *wg);

/* psk NULL or all zero = none. */
void uwg_peer_set_preshared_key(struct uwg_peer *peer, const uint8_t psk[32]);
void uwg_peer_set_endpoint(struct uwg_peer *peer, const struct uwg_endpoint *ep);
/* 0 = off; 0 -> non-zero while up sends a keepalive at once. */
void uwg_peer_set_persistent_keepalive(struct uwg_peer *peer, uint16_t seconds);
/* af AF_INET/AF_INET6, addr in network byte order. */
int uwg_peer_allowedip_add(struct uwg_peer *peer, int af, const uint8_t *addr, uint8_t cidr);
/* -ENOENT if that exact prefix is not this peer's. */
int uwg_peer_allowedip_remove(struct uwg_peer *peer, int af, const uint8_t *addr, uint8_t cidr);
void uwg_peer_allowedips_clear(struct uwg_peer *peer);
int uwg_peer_allowedips_walk(struct uwg_peer *peer,
			     int (*cb)(void *ctx, int af, const uint8_t *addr, uint8_t cidr),
			     void *ctx);
void uwg_peer_get_info(const struct uwg_peer *peer, struct uwg_peer_info *info);
/* The peer's public key (32 bytes, valid while the peer exists). */
const uint8_t *uwg_peer_public_key(const struct uwg_peer *peer);
/*
 * The peer whose allowed IPs cover addr (longest prefix, as the send path
 * routes), or NULL. af AF_INET/AF_INET6, addr in network byte order.
 */
struct uwg_peer *uwg_wg_peer_for_addr(struct uwg_wg *wg, int af, const uint8_t *addr);

const struct uwg_wg_stats *uwg_wg_get_stats(const struct uwg_wg *wg);

/*
 * Test-only: divide every protocol time constant by divisor (>= 1), so a
 * rekey can be forced in seconds. Returns -EPERM unless built with
 * UWG_TEST_KNOBS; the daemon reads it from UWG_TEST_TIMER_DIVISOR.
 */
int uwg_wg_set_test_timer_divisor(struct uwg_wg *wg, uint32_t divisor);

#endif
