/*
 * core/peer_internal.h - private structures of the device engine (core/wg.h):
 * the device, its peers, the receiver-index table and the helpers shared by
 * wg.c, index.c, timers.c, send.c and receive.c. Nothing outside those files
 * (and white-box tests) may include it. Loop thread only.
 */
#ifndef UWG_CORE_PEER_INTERNAL_H
#define UWG_CORE_PEER_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "core/allowedips.h"
#include "core/cookie.h"
#include "core/messages.h"
#include "core/noise.h"
#include "core/pkt.h"
#include "core/ratelimit.h"
#include "core/timerq.h"
#include "core/wg.h"

#define uwg_container_of(ptr, type, member) ((type *)(void *)((char *)(ptr) - offsetof(type, member)))

/*
 * Receiver-index table: our random 32-bit local index -> the handshake or
 * keypair of a peer that owns it. Entries are embedded in the peer, the
 * chains are intrusive, so neither lookup nor insert allocates.
 */
enum uwg_index_kind {
	UWG_INDEX_FREE,
	UWG_INDEX_HANDSHAKE,
	UWG_INDEX_KEYPAIR,
};

struct uwg_index_entry {
	struct uwg_index_entry *hnext, **hpprev;
	struct uwg_peer *peer;
	uint32_t index;
	enum uwg_index_kind kind;
};

struct uwg_index_table {
	struct uwg_index_entry **buckets;
	uint32_t mask;
	size_t count;
};

/*
 * One handshake index plus the keypairs' indices: three live keypairs and a
 * fourth while noise derives a new one before releasing the oldest. Two spare.
 */
enum { UWG_PEER_INDEX_ENTRIES = 6 };

/*
 * A peer's session state, held only while a handshake of its own is in flight
 * or a keypair lives: the keypairs (their replay windows are most of a
 * session's size) and the receiver-index entries naming them. An idle peer
 * (none yet, or keys zeroed after 3 x Reject-After-Time) holds none, which is
 * what keeps a device of 100 000 mostly idle peers small. Taken at the first
 * index a handshake needs (never per packet), returned when the last index
 * goes; released blocks wait on wg->keys_spare up to UWG_PEER_KEYS_SPARE.
 */
struct uwg_peer_keys {
	struct uwg_noise_keypairs keypairs;
	struct uwg_index_entry idx[UWG_PEER_INDEX_ENTRIES];
	struct uwg_peer_keys *spare_next;
};

enum { UWG_PEER_KEYS_SPARE = 256 };

/* Public key -> peer, chained through the peer. */
struct uwg_peer_table {
	struct uwg_peer **buckets;
	uint32_t mask;
};

/* The five per-peer timers (the kernel's timers.c), stored as monotonic deadlines. */
enum uwg_timer_id {
	UWG_TIMER_RETRANSMIT_HANDSHAKE,
	UWG_TIMER_SEND_KEEPALIVE,
	UWG_TIMER_NEW_HANDSHAKE,
	UWG_TIMER_ZERO_KEY_MATERIAL,
	UWG_TIMER_PERSISTENT_KEEPALIVE,
	UWG_TIMER_COUNT,
};

#define UWG_TIMER_OFF UINT64_MAX

struct uwg_peer {
	struct uwg_wg *wg;
	struct uwg_peer *list_prev, *list_next; /* device peers, creation order */
	struct uwg_peer *hnext, **hpprev;       /* public-key hash chain */
	struct uwg_allowedips_owner aips;       /* its prefixes in wg->allowedips */

	struct uwg_noise_handshake hs;
	struct uwg_peer_keys *keys;      /* NULL while idle */
	struct uwg_noise_index_ops iops; /* ctx = this peer */
	struct uwg_cookie_maker cookie;
	struct uwg_index_entry *hs_idx; /* the entry of hs.local_index (in keys), or NULL */

	struct uwg_endpoint endpoint;
	/* Packets waiting for a keypair; bounded by UWG_MAX_STAGED_PACKETS, oldest dropped. */
	struct uwg_pktq staged;

	uint64_t timers[UWG_TIMER_COUNT]; /* UWG_TIMER_OFF = not pending */
	uint64_t wake;    /* its key in wg->timerq: <= the earliest of timers[] (core/timerq.h) */
	uint32_t tq_idx;  /* its slot there, UWG_TIMERQ_NONE if not queued */
	uint64_t last_sent_handshake;     /* valid if has_sent_handshake */
	bool has_sent_handshake;
	bool need_another_keepalive;
	bool sent_lastminute_handshake;
	unsigned timer_handshake_attempts;
	uint16_t persistent_keepalive; /* seconds */

	struct timespec last_handshake; /* wall clock */
	uint64_t rx_bytes, tx_bytes;
};

struct uwg_wg {
	struct uwg_wg_ops ops;
	struct uwg_pool *pool;

	struct uwg_noise_identity identity;
	struct uwg_cookie_checker cookie_checker;
	struct uwg_ratelimiter ratelimiter;   /* UWG_RL_HANDSHAKE: sources with a valid cookie */
	struct uwg_ratelimiter source_budget; /* UWG_RL_INSPECT, UWG_RL_COOKIE: any source */
	struct uwg_allowedips allowedips;
	struct uwg_index_table index;
	struct uwg_peer_table peer_table;
	struct uwg_peer *peers_head, *peers_tail;
	size_t peer_count;
	size_t max_peers;
	struct uwg_peer_keys *keys_spare; /* released session blocks, for reuse */
	size_t keys_spare_count;

	struct uwg_wg_stats stats;
	uint32_t mtu;
	uint32_t timer_divisor; /* 1 unless the UWG_TEST_KNOBS knob is used */
	bool up;

	/* Timer bookkeeping: the peers by wake time, what ops->timer_arm was last told, and
	 * whether a run is in progress. */
	struct uwg_timerq timerq;
	uint64_t armed_deadline;
	bool in_timers_run;

	/* Under-load estimate (see receive.c): handshake cost and count per one-second window. */
	uint64_t load_window_start;
	uint64_t load_window_busy; /* ns spent on handshake messages */
	uint32_t load_window_count;
	uint64_t under_load_until;
	bool load_window_open;
	/* Device-wide budgets under load (see receive.c): messages inspected, cookie replies sent. */
	struct uwg_bucket inspect_budget;
	struct uwg_bucket cookie_budget;
};

static inline uint64_t uwg_wg_now(const struct uwg_wg *wg)
{
	return wg->ops.now(wg->ops.ctx);
}

/* A protocol time constant in ns, shortened by the test divisor. */
static inline uint64_t uwg_wg_seconds(const struct uwg_wg *wg, uint64_t seconds)
{
	return seconds * UWG_NS_PER_SEC / wg->timer_divisor;
}

/* True when at least `span` ns have passed since `then` (the kernel's birthdate_has_expired). */
static inline bool uwg_elapsed(uint64_t now, uint64_t then, uint64_t span)
{
	return now >= then && now - then >= span;
}

static inline bool uwg_endpoint_is_set(const struct uwg_endpoint *ep)
{
	return ep->addr.sa.sa_family != 0;
}

/* The keypair data is sent on, or NULL. */
static inline struct uwg_noise_keypair *uwg_peer_current_keypair(const struct uwg_peer *peer)
{
	return peer->keys ? peer->keys->keypairs.current : NULL;
}

/* The peer owning a prefix found in wg->allowedips (NULL stays NULL). */
static inline struct uwg_peer *uwg_peer_of_aips(struct uwg_allowedips_owner *o)
{
	return o ? uwg_container_of(o, struct uwg_peer, aips) : NULL;
}

static inline void uwg_wg_event(struct uwg_wg *wg, enum uwg_wg_event ev,
				const struct uwg_peer *peer, const struct uwg_endpoint *ep)
{
	if (wg->ops.event)
		wg->ops.event(wg->ops.ctx, ev, peer, ep);
}

/* index.c */
int uwg_index_table_init(struct uwg_index_table *t);
void uwg_index_table_free(struct uwg_index_table *t);
/* Grows the bucket array to suit `peers` peers; keeps the old one on ENOMEM. */
void uwg_index_table_reserve(struct uwg_index_table *t, size_t peers);
struct uwg_index_entry *uwg_index_lookup(const struct uwg_index_table *t, uint32_t index);
/* Picks a random index not in use and links e under it: 0 or -EAGAIN. */
int uwg_index_insert(struct uwg_index_table *t, struct uwg_index_entry *e,
		     void (*random)(void *ctx, uint8_t *out, size_t len), void *rctx);
void uwg_index_remove(struct uwg_index_table *t, struct uwg_index_entry *e);

int uwg_peer_table_init(struct uwg_peer_table *t);
void uwg_peer_table_free(struct uwg_peer_table *t);
void uwg_peer_table_reserve(struct uwg_peer_table *t, size_t peers);
struct uwg_peer *uwg_peer_table_lookup(const struct uwg_peer_table *t, const uint8_t key[32]);
void uwg_peer_table_insert(struct uwg_peer_table *t, struct uwg_peer *peer);
void uwg_peer_table_remove(struct uwg_peer_table *t, struct uwg_peer *peer);

/* wg.c: per-peer index and key state */
/* A fresh index entry of kind for peer, linked in the device table; NULL if none is free. */
struct uwg_index_entry *uwg_peer_index_new(struct uwg_peer *peer, enum uwg_index_kind kind);
void uwg_peer_index_free(struct uwg_peer *peer, struct uwg_index_entry *e);
/* The live keypair (next/current/previous) with this local index, or NULL. */
struct uwg_noise_keypair *uwg_peer_keypair_by_index(struct uwg_peer *peer, uint32_t index);
/* Handshake back to ZEROED, its index released. */
void uwg_peer_handshake_clear(struct uwg_peer *peer);
void uwg_peer_keypairs_clear(struct uwg_peer *peer);
/* Returns every staged packet to the pool, counting them as dropped. */
void uwg_peer_purge_staged(struct uwg_peer *peer);

/* timers.c: the protocol-event hooks, named after the kernel's timers.c. */
void uwg_timer_mod(struct uwg_peer *peer, enum uwg_timer_id id, uint64_t deadline);
void uwg_timer_del(struct uwg_peer *peer, enum uwg_timer_id id);
bool uwg_timer_pending(const struct uwg_peer *peer, enum uwg_timer_id id);
void uwg_timers_stop(struct uwg_peer *peer);
uint64_t uwg_timers_jitter(struct uwg_wg *wg);
void uwg_timers_data_sent(struct uwg_peer *peer, uint64_t now);
void uwg_timers_data_received(struct uwg_peer *peer, uint64_t now);
void uwg_timers_any_authenticated_packet_sent(struct uwg_peer *peer);
void uwg_timers_any_authenticated_packet_received(struct uwg_peer *peer);
void uwg_timers_handshake_initiated(struct uwg_peer *peer, uint64_t now);
void uwg_timers_handshake_complete(struct uwg_peer *peer);
void uwg_timers_session_derived(struct uwg_peer *peer, uint64_t now);
void uwg_timers_any_authenticated_packet_traversal(struct uwg_peer *peer, uint64_t now);
/* Tells ops->timer_arm about the earliest wake in the timer queue. */
void uwg_timers_rearm(struct uwg_wg *wg);

/* send.c */
/* Encrypts and sends every staged packet if a usable keypair exists, else initiates. */
void uwg_send_staged(struct uwg_peer *peer, uint64_t now);
/* Stages an empty packet unless something is staged already, then sends. */
void uwg_send_keepalive(struct uwg_peer *peer, uint64_t now);
/* Rate-limited to one per REKEY_TIMEOUT; a non-retry resets the attempt counter. */
void uwg_send_handshake_initiation(struct uwg_peer *peer, uint64_t now, bool is_retry);
/* Sends a response for a consumed initiation and installs the responder keypair. */
void uwg_send_handshake_response(struct uwg_peer *peer, struct uwg_pkt *pkt, uint64_t now);
/* Consumes pkt: sends it to the peer's endpoint, counting tx bytes. */
void uwg_send_to_peer(struct uwg_peer *peer, struct uwg_pkt *pkt);

#endif
