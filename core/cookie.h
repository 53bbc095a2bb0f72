/*
 * core/cookie.h - mac1/mac2 and cookie replies: the checker side (device) verifies MACs and makes cookie
 * replies; the maker side (per peer) adds MACs to outgoing handshake messages
 * and consumes cookie replies. Randomness and time are passed in. Loop thread
 * only.
 */
#ifndef UWG_CORE_COOKIE_H
#define UWG_CORE_COOKIE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/messages.h"
#include "core/pkt.h"

struct uwg_cookie_checker {
	uint8_t secret[UWG_NOISE_HASH_LEN];
	uint64_t secret_birthdate; /* monotonic ns; 0 = not yet generated */
	uint8_t message_mac1_key[UWG_NOISE_SYMMETRIC_KEY_LEN];
	uint8_t cookie_encryption_key[UWG_NOISE_SYMMETRIC_KEY_LEN];
};

struct uwg_cookie_maker {
	uint8_t message_mac1_key[UWG_NOISE_SYMMETRIC_KEY_LEN];
	uint8_t cookie_decryption_key[UWG_NOISE_SYMMETRIC_KEY_LEN];
	uint8_t cookie[UWG_COOKIE_LEN];
	uint64_t cookie_birthdate; /* monotonic ns */
	bool is_cookie_valid;
	bool have_sent_mac1;
	uint8_t last_mac1_sent[UWG_MAC_LEN];
};

enum uwg_cookie_mac_state {
	UWG_COOKIE_INVALID_MAC,
	UWG_COOKIE_VALID_MAC_BUT_NO_COOKIE,
	UWG_COOKIE_VALID_MAC_WITH_COOKIE,
};

typedef void (*uwg_random_fn)(void *ctx, uint8_t *out, size_t len);

/* Precomputes the device-side keys from our public key (NULL = no identity). */
void uwg_cookie_checker_init(struct uwg_cookie_checker *c, const uint8_t *local_public);
/*
 * msg is a whole initiation (148) or response (92) message. mac1 is always
 * checked; mac2 only when check_cookie (under load), against the cookie for
 * src, regenerating the secret through random when older than 120 s.
 */
enum uwg_cookie_mac_state uwg_cookie_validate(struct uwg_cookie_checker *c, const uint8_t *msg,
					      size_t len, const struct uwg_endpoint *src,
					      bool check_cookie, uint64_t now, uwg_random_fn random,
					      void *rctx);
/* Answers msg (initiation or response) from src with a cookie reply to receiver_index. */
void uwg_cookie_create_reply(struct uwg_msg_cookie *dst, struct uwg_cookie_checker *c,
			     const uint8_t *msg, size_t len, uint32_t receiver_index,
			     const struct uwg_endpoint *src, uint64_t now, uwg_random_fn random,
			     void *rctx);

void uwg_cookie_maker_init(struct uwg_cookie_maker *m, const uint8_t remote_public[32]);
/* Writes mac1 and mac2 (zero unless a cookie younger than 115 s is held) into msg. */
void uwg_cookie_add_macs(struct uwg_cookie_maker *m, uint8_t *msg, size_t len, uint64_t now);
/* Decrypts and stores the cookie; false if we sent no mac1 or it does not authenticate. */
bool uwg_cookie_consume_reply(struct uwg_cookie_maker *m, const struct uwg_msg_cookie *src,
			      uint64_t now);

#endif
