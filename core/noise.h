/*
 * core/noise.h - Noise_IKpsk2_25519_ChaChaPoly_BLAKE2s as WireGuard uses it:
 * initiation and response create/consume, session derivation and the three
 * keypair slots with key confirmation.
 * Deterministic: ephemeral keys, timestamps and the clock are passed in. MACs
 * are not touched here (core/cookie.h adds and checks them). Loop thread only.
 *
 * This implements Noise_IKpsk2:
 *   <- s
 *   ******
 *   -> e, es, s, ss, {t}
 *   <- e, ee, se, psk, {}
 */
#ifndef UWG_CORE_NOISE_H
#define UWG_CORE_NOISE_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "core/messages.h"
#include "core/replay.h"

/* The device's static key pair. */
struct uwg_noise_identity {
	uint8_t static_private[UWG_NOISE_PUBLIC_KEY_LEN]; /* clamped */
	uint8_t static_public[UWG_NOISE_PUBLIC_KEY_LEN];
	bool has_identity;
};

enum uwg_noise_handshake_state {
	UWG_HS_ZEROED,
	UWG_HS_CREATED_INITIATION,
	UWG_HS_CONSUMED_INITIATION,
	UWG_HS_CREATED_RESPONSE,
	UWG_HS_CONSUMED_RESPONSE,
};

/* Per-peer handshake state; embedded in the peer. */
struct uwg_noise_handshake {
	enum uwg_noise_handshake_state state;
	const struct uwg_noise_identity *identity; /* borrowed from the device */
	uint8_t remote_static[UWG_NOISE_PUBLIC_KEY_LEN];
	/* DH(static_private, remote_static); all zero (low-order key) = never initiate. */
	uint8_t precomputed_static_static[UWG_NOISE_PUBLIC_KEY_LEN];
	uint8_t preshared_key[UWG_NOISE_SYMMETRIC_KEY_LEN];
	uint8_t ephemeral_private[UWG_NOISE_PUBLIC_KEY_LEN];
	uint8_t remote_ephemeral[UWG_NOISE_PUBLIC_KEY_LEN];
	uint8_t hash[UWG_NOISE_HASH_LEN];
	uint8_t chaining_key[UWG_NOISE_HASH_LEN];
	/* Greatest TAI64N accepted from this peer; survives handshake resets. */
	uint8_t latest_timestamp[UWG_NOISE_TIMESTAMP_LEN];
	uint64_t last_initiation_consumption; /* monotonic ns; 0 = never */
	uint32_t local_index;  /* ours for this handshake, chosen by the caller */
	uint32_t remote_index; /* the peer's sender index */
};

struct uwg_noise_keypair {
	uint8_t send_key[UWG_NOISE_SYMMETRIC_KEY_LEN];
	uint8_t recv_key[UWG_NOISE_SYMMETRIC_KEY_LEN];
	uint64_t send_counter;
	struct uwg_replay replay;
	uint64_t birthdate; /* monotonic ns */
	uint32_t local_index;  /* = the handshake's local index */
	uint32_t remote_index; /* data messages we send carry this */
	bool i_am_the_initiator;
	bool send_valid; /* cleared by uwg_noise_keypairs_expire_current */
	bool in_use;     /* slot is allocated */
};

/*
 * Three live slots (next / current / previous) plus one spare, so a new
 * session can be derived before the oldest is released.
 */
struct uwg_noise_keypairs {
	struct uwg_noise_keypair *next, *current, *previous;
	struct uwg_noise_keypair slots[4];
};

/* Told about a keypair's local index when that keypair is released. */
struct uwg_noise_index_ops {
	void *ctx;
	void (*drop)(void *ctx, uint32_t local_index);
};

/* private_key NULL or all zero clears the identity. Clamps. */
void uwg_noise_identity_set(struct uwg_noise_identity *id, const uint8_t *private_key);

/* Sets up a peer's handshake (state ZEROED) and precomputes static-static. */
void uwg_noise_handshake_init(struct uwg_noise_handshake *hs, const struct uwg_noise_identity *id,
			      const uint8_t remote_static[UWG_NOISE_PUBLIC_KEY_LEN],
			      const uint8_t *preshared_key);
/* Must be called for every peer after the identity changes. */
void uwg_noise_handshake_precompute(struct uwg_noise_handshake *hs);
/* psk NULL or all zero = none (32 zero bytes). */
void uwg_noise_handshake_set_psk(struct uwg_noise_handshake *hs, const uint8_t *psk);
/* Wipes ephemeral state back to ZEROED; keeps keys, latest_timestamp and the flood clock. */
void uwg_noise_handshake_clear(struct uwg_noise_handshake *hs);
/* Wipes everything (peer removal). */
void uwg_noise_handshake_wipe(struct uwg_noise_handshake *hs);

/* TAI64N with the nanoseconds whitened to a multiple of 2^24. */
void uwg_noise_tai64n(uint8_t out[UWG_NOISE_TIMESTAMP_LEN], const struct timespec *wall);

/*
 * Fills dst except mac1/mac2. False (and nothing sent) without an identity or
 * with an all-zero static-static (low-order remote key). On success the state
 * is CREATED_INITIATION and hs->local_index = local_index.
 */
bool uwg_noise_create_initiation(struct uwg_msg_initiation *dst, struct uwg_noise_handshake *hs,
				 uint32_t local_index,
				 const uint8_t ephemeral_private[UWG_NOISE_PUBLIC_KEY_LEN],
				 const uint8_t timestamp[UWG_NOISE_TIMESTAMP_LEN]);

typedef struct uwg_noise_handshake *(*uwg_noise_lookup_fn)(
	void *ctx, const uint8_t remote_static[UWG_NOISE_PUBLIC_KEY_LEN]);

/*
 * Consumes an initiation whose mac1 was already verified. lookup maps the
 * decrypted static key to a peer's handshake. Rejects a timestamp not greater
 * than the last accepted one (replay) and a second initiation from the same
 * peer within 1/50 s (flood). Returns the handshake (state
 * CONSUMED_INITIATION) or NULL; hs is untouched on failure.
 */
struct uwg_noise_handshake *uwg_noise_consume_initiation(const struct uwg_msg_initiation *src,
							 const struct uwg_noise_identity *id,
							 uwg_noise_lookup_fn lookup, void *ctx,
							 uint64_t now);

/* Needs state CONSUMED_INITIATION; fills dst except MACs; state becomes CREATED_RESPONSE. */
bool uwg_noise_create_response(struct uwg_msg_response *dst, struct uwg_noise_handshake *hs,
			       uint32_t local_index,
			       const uint8_t ephemeral_private[UWG_NOISE_PUBLIC_KEY_LEN]);

/*
 * Consumes a response (mac1 already verified) for hs, which the caller found
 * by the response's receiver index. Needs state CREATED_INITIATION; on
 * success the state is CONSUMED_RESPONSE. hs is untouched on failure.
 */
bool uwg_noise_consume_response(const struct uwg_msg_response *src, struct uwg_noise_handshake *hs);

void uwg_noise_keypairs_init(struct uwg_noise_keypairs *kps);
/*
 * Derives the transport keys from hs (CREATED_RESPONSE or CONSUMED_RESPONSE),
 * installs the keypair as the kernel's noise.c does (initiator: current at once; responder:
 * next), releases displaced keypairs through iops, and clears hs. Returns
 * the new keypair, or NULL if hs was in the wrong state.
 */
struct uwg_noise_keypair *uwg_noise_begin_session(struct uwg_noise_handshake *hs,
						  struct uwg_noise_keypairs *kps, uint64_t now,
						  const struct uwg_noise_index_ops *iops);
/*
 * Should be called after a data packet authenticated on kp. Returns true when
 * kp was the next keypair and is now current (the responder's handshake
 * completes here).
 */
bool uwg_noise_received_with_keypair(struct uwg_noise_keypairs *kps, struct uwg_noise_keypair *kp,
				     const struct uwg_noise_index_ops *iops);
/* Private key changed: current keypair may no longer send (forces a new handshake). */
void uwg_noise_keypairs_expire_current(struct uwg_noise_keypairs *kps);
/* Releases and wipes all keypairs. */
void uwg_noise_keypairs_clear(struct uwg_noise_keypairs *kps, const struct uwg_noise_index_ops *iops);

#endif
