/*
 * core/cookie.c - mac1/mac2 and cookie replies (as the kernel's src/cookie.c). The
 * checker (one per device) verifies the MACs of incoming handshake messages and, under load, proves a sender owns
 * its source address by making it echo a cookie; the maker (one per peer)
 * stamps outgoing handshake messages and keeps the latest cookie. Keys are
 * derived once when the static keys are set, never per packet. Randomness
 * and time come in as arguments. Loop thread only.
 */
#include "core/cookie.h"

#include <string.h>
#include <sys/socket.h>

#include "crypto/aead.h"
#include "crypto/blake2s.h"
#include "crypto/ct.h"

static_assert((int)UWG_COOKIE_NONCE_LEN == (int)UWG_XAEAD_NONCE_LEN,
	      "cookie nonce is an XChaCha20 nonce");
static_assert((int)UWG_MAC_LEN == (int)UWG_COOKIE_LEN, "mac2 is keyed by a whole cookie");

static const uint8_t label_mac1[8] = { 'm', 'a', 'c', '1', '-', '-', '-', '-' };
static const uint8_t label_cookie[8] = { 'c', 'o', 'o', 'k', 'i', 'e', '-', '-' };

/* key = HASH(label || public key) */
static void derive_key(uint8_t key[UWG_NOISE_SYMMETRIC_KEY_LEN], const uint8_t label[8],
		       const uint8_t pub[UWG_NOISE_PUBLIC_KEY_LEN])
{
	struct uwg_blake2s s;

	uwg_blake2s_init(&s, UWG_NOISE_SYMMETRIC_KEY_LEN);
	uwg_blake2s_update(&s, label, 8);
	uwg_blake2s_update(&s, pub, UWG_NOISE_PUBLIC_KEY_LEN);
	uwg_blake2s_final(&s, key);
}

/*
 * Where mac1 sits in a handshake message of this length (mac2 follows it,
 * both at the very end); 0 for any other length. Only initiations and
 * responses carry MACs.
 */
static size_t mac1_offset(size_t len)
{
	if (len == sizeof(struct uwg_msg_initiation))
		return offsetof(struct uwg_msg_initiation, mac1);
	if (len == sizeof(struct uwg_msg_response))
		return offsetof(struct uwg_msg_response, mac1);
	return 0;
}

/* MAC(key, msg): keyed BLAKE2s with a 16-byte output (not a truncated 32-byte one). */
static void compute_mac(uint8_t out[UWG_MAC_LEN], const uint8_t *key, size_t keylen,
			const uint8_t *msg, size_t len)
{
	uwg_blake2s(out, UWG_MAC_LEN, key, keylen, msg, len);
}

/*
 * cookie = MAC(secret, source address bytes || source port), the port in
 * network order as it sits in the sockaddr. The layout is ours alone (only
 * we ever recompute it), but it matches the kernel's. The secret is rotated
 * when 120 s old; a cookie therefore lives at most two minutes.
 */
static void make_cookie(uint8_t cookie[UWG_COOKIE_LEN], struct uwg_cookie_checker *c,
			const struct uwg_endpoint *src, uint64_t now, uwg_random_fn random,
			void *rctx)
{
	struct uwg_blake2s s;

	/* An all-zero secret is the "never generated" state (2^-256 to be a real one). */
	if (uwg_is_zero(c->secret, sizeof(c->secret)) ||
	    now - c->secret_birthdate >= UWG_COOKIE_SECRET_MAX_AGE_S * UWG_NS_PER_SEC) {
		if (random)
			random(rctx, c->secret, sizeof(c->secret));
		else
			uwg_random_bytes(c->secret, sizeof(c->secret));
		c->secret_birthdate = now;
	}

	uwg_blake2s_init_key(&s, UWG_COOKIE_LEN, c->secret, sizeof(c->secret));
	if (src && src->addr.sa.sa_family == AF_INET) {
		uwg_blake2s_update(&s, (const uint8_t *)&src->addr.in4.sin_addr, 4);
		uwg_blake2s_update(&s, (const uint8_t *)&src->addr.in4.sin_port, 2);
	} else if (src && src->addr.sa.sa_family == AF_INET6) {
		uwg_blake2s_update(&s, (const uint8_t *)&src->addr.in6.sin6_addr, 16);
		uwg_blake2s_update(&s, (const uint8_t *)&src->addr.in6.sin6_port, 2);
	}
	uwg_blake2s_final(&s, cookie);
}

void uwg_cookie_checker_init(struct uwg_cookie_checker *c, const uint8_t *local_public)
{
	uwg_memzero(c, sizeof(*c));
	if (!local_public)
		return;
	derive_key(c->message_mac1_key, label_mac1, local_public);
	derive_key(c->cookie_encryption_key, label_cookie, local_public);
}

enum uwg_cookie_mac_state uwg_cookie_validate(struct uwg_cookie_checker *c, const uint8_t *msg,
					      size_t len, const struct uwg_endpoint *src,
					      bool check_cookie, uint64_t now, uwg_random_fn random,
					      void *rctx)
{
	size_t off = mac1_offset(len);
	enum uwg_cookie_mac_state ret = UWG_COOKIE_INVALID_MAC;
	uint8_t computed[UWG_MAC_LEN], cookie[UWG_COOKIE_LEN];

	if (!msg || !off)
		return UWG_COOKIE_INVALID_MAC;

	compute_mac(computed, c->message_mac1_key, sizeof(c->message_mac1_key), msg, off);
	if (!uwg_memeq(computed, msg + off, UWG_MAC_LEN))
		goto out;
	ret = UWG_COOKIE_VALID_MAC_BUT_NO_COOKIE;
	if (!check_cookie)
		goto out;

	/* mac2 = MAC(cookie, msg up to mac2), mac2 right after mac1. */
	make_cookie(cookie, c, src, now, random, rctx);
	compute_mac(computed, cookie, sizeof(cookie), msg, off + UWG_MAC_LEN);
	if (uwg_memeq(computed, msg + off + UWG_MAC_LEN, UWG_MAC_LEN))
		ret = UWG_COOKIE_VALID_MAC_WITH_COOKIE;
out:
	uwg_memzero(computed, sizeof(computed));
	uwg_memzero(cookie, sizeof(cookie));
	return ret;
}

void uwg_cookie_create_reply(struct uwg_msg_cookie *dst, struct uwg_cookie_checker *c,
			     const uint8_t *msg, size_t len, uint32_t receiver_index,
			     const struct uwg_endpoint *src, uint64_t now, uwg_random_fn random,
			     void *rctx)
{
	static const uint8_t no_mac[UWG_MAC_LEN];
	size_t off = mac1_offset(len);
	const uint8_t *mac1 = msg && off ? msg + off : no_mac;
	uint8_t cookie[UWG_COOKIE_LEN];

	memset(dst, 0, sizeof(*dst));
	uwg_le32_store(dst->type, UWG_MSG_HANDSHAKE_COOKIE);
	uwg_le32_store(dst->receiver_index, receiver_index);
	if (random)
		random(rctx, dst->nonce, sizeof(dst->nonce));
	else
		uwg_random_bytes(dst->nonce, sizeof(dst->nonce));

	/* Binding the reply to the triggering mac1 stops a third party from forging cookies. */
	make_cookie(cookie, c, src, now, random, rctx);
	uwg_xaead_encrypt(dst->encrypted_cookie, cookie, sizeof(cookie), mac1, UWG_MAC_LEN,
			  dst->nonce, c->cookie_encryption_key);
	uwg_memzero(cookie, sizeof(cookie));
}

void uwg_cookie_maker_init(struct uwg_cookie_maker *m, const uint8_t remote_public[32])
{
	uwg_memzero(m, sizeof(*m));
	derive_key(m->message_mac1_key, label_mac1, remote_public);
	derive_key(m->cookie_decryption_key, label_cookie, remote_public);
}

void uwg_cookie_add_macs(struct uwg_cookie_maker *m, uint8_t *msg, size_t len, uint64_t now)
{
	size_t off = mac1_offset(len);

	if (!msg || !off)
		return;
	compute_mac(msg + off, m->message_mac1_key, sizeof(m->message_mac1_key), msg, off);
	memcpy(m->last_mac1_sent, msg + off, UWG_MAC_LEN);
	m->have_sent_mac1 = true;

	/* The checker rotates its secret every 120 s: stop using a cookie 5 s before that. */
	if (m->is_cookie_valid &&
	    now - m->cookie_birthdate <
		    (UWG_COOKIE_SECRET_MAX_AGE_S - UWG_COOKIE_SECRET_LATENCY_S) * UWG_NS_PER_SEC)
		compute_mac(msg + off + UWG_MAC_LEN, m->cookie, sizeof(m->cookie), msg,
			    off + UWG_MAC_LEN);
	else
		memset(msg + off + UWG_MAC_LEN, 0, UWG_MAC_LEN);
}

bool uwg_cookie_consume_reply(struct uwg_cookie_maker *m, const struct uwg_msg_cookie *src,
			      uint64_t now)
{
	uint8_t cookie[UWG_COOKIE_LEN];
	bool ok;

	/* Unsolicited replies (no mac1 of ours to bind to) are noise or an attack. */
	if (!m->have_sent_mac1 || uwg_le32_load(src->type) != UWG_MSG_HANDSHAKE_COOKIE)
		return false;
	ok = uwg_xaead_decrypt(cookie, src->encrypted_cookie, sizeof(src->encrypted_cookie),
			       m->last_mac1_sent, UWG_MAC_LEN, src->nonce,
			       m->cookie_decryption_key);
	if (ok) {
		memcpy(m->cookie, cookie, UWG_COOKIE_LEN);
		m->cookie_birthdate = now;
		m->is_cookie_valid = true;
		/* One reply per mac1: a replayed reply cannot refresh the cookie's age. */
		m->have_sent_mac1 = false;
	}
	uwg_memzero(cookie, sizeof(cookie));
	return ok;
}
