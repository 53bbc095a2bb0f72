/*
 * core/noise.c - Noise_IKpsk2_25519_ChaChaPoly_BLAKE2s handshake messages,
 * transport-key derivation and the next/current/previous keypair slots, byte
 * for byte as WireGuard (kernel src/noise.c,
 * wireguard-go noise-protocol.go). Owns no I/O: ephemeral keys,
 * timestamps and the clock come in as arguments, index bookkeeping goes out
 * through uwg_noise_index_ops. MACs belong to core/cookie.c. Every function
 * works on locals and commits into the handshake only on full success, so a
 * rejected message leaves the peer exactly as it was. Loop thread only.
 */
#include "core/noise.h"

#include <string.h>

#include "crypto/aead.h"
#include "crypto/blake2s.h"
#include "crypto/ct.h"
#include "crypto/x25519.h"

enum {
	KEY_LEN = UWG_NOISE_PUBLIC_KEY_LEN,
	SYM_LEN = UWG_NOISE_SYMMETRIC_KEY_LEN,
	HASH_LEN = UWG_NOISE_HASH_LEN,
	TS_LEN = UWG_NOISE_TIMESTAMP_LEN,
	TAG_LEN = UWG_NOISE_AUTHTAG_LEN,
};

static_assert((int)HASH_LEN == (int)UWG_BLAKE2S_HASH_LEN, "BLAKE2s-256 is the Noise hash");
static_assert((int)SYM_LEN == (int)UWG_AEAD_KEY_LEN, "ChaCha20-Poly1305 keys are 32 bytes");
static_assert((int)TAG_LEN == (int)UWG_AEAD_TAG_LEN, "Poly1305 tags are 16 bytes");
static_assert((int)KEY_LEN == (int)UWG_KEY_LEN, "Curve25519 keys are 32 bytes");

/*
 * C0 = HASH("Noise_IKpsk2_25519_ChaChaPoly_BLAKE2s") and
 * H0 = HASH(C0 || "WireGuard v1 zx2c4 Jason@zx2c4.com"). Hard-coded (as
 * wireguard-rs does) instead of computed at startup; test_noise recomputes
 * both from the strings and checks every handshake byte against an
 * independently generated vector, which would fail if these were wrong.
 */
static const uint8_t initial_chaining_key[HASH_LEN] = {
	0x60, 0xe2, 0x6d, 0xae, 0xf3, 0x27, 0xef, 0xc0, 0x2e, 0xc3, 0x35, 0xe2, 0xa0, 0x25, 0xd2, 0xd0,
	0x16, 0xeb, 0x42, 0x06, 0xf8, 0x72, 0x77, 0xf5, 0x2d, 0x38, 0xd1, 0x98, 0x8b, 0x78, 0xcd, 0x36,
};
static const uint8_t initial_hash[HASH_LEN] = {
	0x22, 0x11, 0xb3, 0x61, 0x08, 0x1a, 0xc5, 0x66, 0x69, 0x12, 0x43, 0xdb, 0x45, 0x8a, 0xd5, 0x32,
	0x2d, 0x9c, 0x6c, 0x66, 0x22, 0x93, 0xe8, 0xb7, 0x0e, 0xe1, 0x9c, 0x65, 0xba, 0x07, 0x9e, 0xf3,
};

/* The empty input of KDF2(C, ε) and AEAD(k, 0, ε, H); a real pointer keeps libsodium happy. */
static const uint8_t empty[1];

/* H = HASH(H || in) */
static void mix_hash(uint8_t h[HASH_LEN], const uint8_t *in, size_t len)
{
	struct uwg_blake2s s;

	uwg_blake2s_init(&s, HASH_LEN);
	uwg_blake2s_update(&s, h, HASH_LEN);
	uwg_blake2s_update(&s, in, len);
	uwg_blake2s_final(&s, h); /* also wipes s */
}

/* C = KDF1(C, in), or (C, key) = KDF2(C, in) when key is not NULL. */
static void mix_key(uint8_t ck[HASH_LEN], uint8_t *key, const uint8_t *in, size_t len)
{
	uint8_t t1[HASH_LEN];

	uwg_kdf(t1, key, NULL, ck, in, len);
	memcpy(ck, t1, HASH_LEN);
	uwg_memzero(t1, sizeof(t1));
}

/* (C, key) = KDF2(C, DH(priv, pub)); false when DH is all zero (low-order pub). */
static bool mix_dh(uint8_t ck[HASH_LEN], uint8_t *key, const uint8_t priv[KEY_LEN],
		   const uint8_t pub[KEY_LEN])
{
	uint8_t dh[KEY_LEN];
	bool ok = uwg_x25519(dh, priv, pub);

	if (ok)
		mix_key(ck, key, dh, sizeof(dh));
	uwg_memzero(dh, sizeof(dh));
	return ok;
}

/* ss with the static-static DH computed when the keys were set; zero = low-order key. */
static bool mix_precomputed_dh(uint8_t ck[HASH_LEN], uint8_t key[SYM_LEN],
			       const uint8_t precomputed[KEY_LEN])
{
	if (uwg_is_zero(precomputed, KEY_LEN))
		return false;
	mix_key(ck, key, precomputed, KEY_LEN);
	return true;
}

/* The public part of e: it goes on the wire in clear and into both C and H. */
static void mix_ephemeral(uint8_t ck[HASH_LEN], uint8_t h[HASH_LEN], const uint8_t e_pub[KEY_LEN])
{
	mix_hash(h, e_pub, KEY_LEN);
	mix_key(ck, NULL, e_pub, KEY_LEN);
}

/* dst = AEAD(key, 0, src, H); H = HASH(H || dst) */
static void encrypt_and_hash(uint8_t *dst, const uint8_t *src, size_t len,
			     const uint8_t key[SYM_LEN], uint8_t h[HASH_LEN])
{
	uwg_aead_encrypt(dst, src, len, h, HASH_LEN, 0, key);
	mix_hash(h, dst, len + TAG_LEN);
}

static bool decrypt_and_hash(uint8_t *dst, const uint8_t *src, size_t srclen,
			     const uint8_t key[SYM_LEN], uint8_t h[HASH_LEN])
{
	if (!uwg_aead_decrypt(dst, src, srclen, h, HASH_LEN, 0, key))
		return false;
	mix_hash(h, src, srclen);
	return true;
}

/* C = C0; H = HASH(H0 || S_r_pub), where S_r is the responder's static key. */
static void handshake_start(uint8_t ck[HASH_LEN], uint8_t h[HASH_LEN],
			    const uint8_t responder_static[KEY_LEN])
{
	memcpy(ck, initial_chaining_key, HASH_LEN);
	memcpy(h, initial_hash, HASH_LEN);
	mix_hash(h, responder_static, KEY_LEN);
}

void uwg_noise_identity_set(struct uwg_noise_identity *id, const uint8_t *private_key)
{
	uwg_memzero(id, sizeof(*id));
	if (!private_key || uwg_is_zero(private_key, KEY_LEN))
		return;
	memcpy(id->static_private, private_key, KEY_LEN);
	uwg_x25519_clamp(id->static_private);
	if (!uwg_x25519_public(id->static_public, id->static_private)) {
		uwg_memzero(id, sizeof(*id));
		return;
	}
	id->has_identity = true;
}

void uwg_noise_handshake_init(struct uwg_noise_handshake *hs, const struct uwg_noise_identity *id,
			      const uint8_t remote_static[UWG_NOISE_PUBLIC_KEY_LEN],
			      const uint8_t *preshared_key)
{
	uwg_memzero(hs, sizeof(*hs));
	hs->state = UWG_HS_ZEROED;
	hs->identity = id;
	memcpy(hs->remote_static, remote_static, KEY_LEN);
	uwg_noise_handshake_set_psk(hs, preshared_key);
	uwg_noise_handshake_precompute(hs);
}

void uwg_noise_handshake_precompute(struct uwg_noise_handshake *hs)
{
	/* uwg_x25519 leaves zeros for a low-order remote key: such a peer never handshakes. */
	if (hs->identity && hs->identity->has_identity)
		(void)uwg_x25519(hs->precomputed_static_static, hs->identity->static_private,
				 hs->remote_static);
	else
		uwg_memzero(hs->precomputed_static_static, KEY_LEN);
}

void uwg_noise_handshake_set_psk(struct uwg_noise_handshake *hs, const uint8_t *psk)
{
	if (psk && !uwg_is_zero(psk, SYM_LEN))
		memcpy(hs->preshared_key, psk, SYM_LEN);
	else
		uwg_memzero(hs->preshared_key, SYM_LEN);
}

/*
 * local_index is kept: it is the caller's bookkeeping (the index it must
 * unregister), not a secret. remote_index is forgotten as in the kernel's
 * handshake_zero.
 */
void uwg_noise_handshake_clear(struct uwg_noise_handshake *hs)
{
	uwg_memzero(hs->ephemeral_private, KEY_LEN);
	uwg_memzero(hs->remote_ephemeral, KEY_LEN);
	uwg_memzero(hs->hash, HASH_LEN);
	uwg_memzero(hs->chaining_key, HASH_LEN);
	hs->remote_index = 0;
	hs->state = UWG_HS_ZEROED;
}

void uwg_noise_handshake_wipe(struct uwg_noise_handshake *hs)
{
	uwg_memzero(hs, sizeof(*hs));
	hs->state = UWG_HS_ZEROED;
}

static void be64_store(uint8_t p[8], uint64_t v)
{
	for (int i = 7; i >= 0; i--, v >>= 8)
		p[i] = (uint8_t)v;
}

static void be32_store(uint8_t p[4], uint32_t v)
{
	for (int i = 3; i >= 0; i--, v >>= 8)
		p[i] = (uint8_t)v;
}

void uwg_noise_tai64n(uint8_t out[UWG_NOISE_TIMESTAMP_LEN], const struct timespec *wall)
{
	/* TAI64 label 2^62 + 10 (the TAI-UTC offset); wraps correctly for negative seconds. */
	uint64_t secs = UINT64_C(0x400000000000000a) + (uint64_t)wall->tv_sec;
	/*
	 * Keep only multiples of 2^24 ns (the largest power of two below
	 * 1 s / INITIATIONS_PER_SECOND), so the timestamp does not leak a
	 * fine-grained clock yet still advances between allowed initiations.
	 */
	uint32_t nanos = (uint32_t)wall->tv_nsec & ~UINT32_C(0xffffff);

	be64_store(out, secs);
	be32_store(out + 8, nanos);
}

bool uwg_noise_create_initiation(struct uwg_msg_initiation *dst, struct uwg_noise_handshake *hs,
				 uint32_t local_index,
				 const uint8_t ephemeral_private[UWG_NOISE_PUBLIC_KEY_LEN],
				 const uint8_t timestamp[UWG_NOISE_TIMESTAMP_LEN])
{
	const struct uwg_noise_identity *id = hs->identity;
	uint8_t ck[HASH_LEN], h[HASH_LEN], key[SYM_LEN], e_priv[KEY_LEN];
	bool ok = false;

	if (!id || !id->has_identity)
		goto out;
	/* A low-order remote key makes every DH with it zero: never initiate to it. */
	if (uwg_is_zero(hs->precomputed_static_static, KEY_LEN))
		goto out;

	memset(dst, 0, sizeof(*dst));
	uwg_le32_store(dst->type, UWG_MSG_HANDSHAKE_INITIATION);
	uwg_le32_store(dst->sender_index, local_index);
	handshake_start(ck, h, hs->remote_static);

	/* e */
	memcpy(e_priv, ephemeral_private, KEY_LEN);
	uwg_x25519_clamp(e_priv);
	if (!uwg_x25519_public(dst->unencrypted_ephemeral, e_priv))
		goto out;
	mix_ephemeral(ck, h, dst->unencrypted_ephemeral);

	/* es */
	if (!mix_dh(ck, key, e_priv, hs->remote_static))
		goto out;

	/* s */
	encrypt_and_hash(dst->encrypted_static, id->static_public, KEY_LEN, key, h);

	/* ss */
	if (!mix_precomputed_dh(ck, key, hs->precomputed_static_static))
		goto out;

	/* {t} */
	encrypt_and_hash(dst->encrypted_timestamp, timestamp, TS_LEN, key, h);

	memcpy(hs->ephemeral_private, e_priv, KEY_LEN);
	uwg_memzero(hs->remote_ephemeral, KEY_LEN);
	memcpy(hs->chaining_key, ck, HASH_LEN);
	memcpy(hs->hash, h, HASH_LEN);
	hs->local_index = local_index;
	hs->state = UWG_HS_CREATED_INITIATION;
	ok = true;
out:
	if (!ok)
		memset(dst, 0, sizeof(*dst));
	uwg_memzero(ck, sizeof(ck));
	uwg_memzero(h, sizeof(h));
	uwg_memzero(key, sizeof(key));
	uwg_memzero(e_priv, sizeof(e_priv));
	return ok;
}

struct uwg_noise_handshake *uwg_noise_consume_initiation(const struct uwg_msg_initiation *src,
							 const struct uwg_noise_identity *id,
							 uwg_noise_lookup_fn lookup, void *ctx,
							 uint64_t now)
{
	uint8_t ck[HASH_LEN], h[HASH_LEN], key[SYM_LEN], s[KEY_LEN], t[TS_LEN];
	struct uwg_noise_handshake *hs, *ret = NULL;
	const uint8_t *e = src->unencrypted_ephemeral;
	bool replay, flood;

	if (!id || !id->has_identity || !lookup)
		goto out;
	/* Bytes 1..3 are reserved zero; mac1 covers them too, this is belt and braces. */
	if (uwg_le32_load(src->type) != UWG_MSG_HANDSHAKE_INITIATION)
		goto out;
	handshake_start(ck, h, id->static_public);

	/* e */
	mix_ephemeral(ck, h, e);

	/* es */
	if (!mix_dh(ck, key, id->static_private, e))
		goto out;

	/* s */
	if (!decrypt_and_hash(s, src->encrypted_static, sizeof(src->encrypted_static), key, h))
		goto out;
	hs = lookup(ctx, s);
	if (!hs)
		goto out;

	/* ss */
	if (!mix_precomputed_dh(ck, key, hs->precomputed_static_static))
		goto out;

	/* {t} */
	if (!decrypt_and_hash(t, src->encrypted_timestamp, sizeof(src->encrypted_timestamp), key,
			      h))
		goto out;

	/*
	 * TAI64N compares as a big-endian number: anything not newer than the
	 * newest accepted is a replay. Independently, at most one initiation
	 * per 1/50 s per peer is worth the DH work of answering it.
	 */
	replay = memcmp(t, hs->latest_timestamp, TS_LEN) <= 0;
	flood = hs->last_initiation_consumption != 0 &&
		now < hs->last_initiation_consumption +
			      UWG_NS_PER_SEC / UWG_INITIATIONS_PER_SECOND;
	if (replay || flood)
		goto out;

	/* Success: a pending initiation of ours is abandoned, its ephemeral is useless. */
	uwg_memzero(hs->ephemeral_private, KEY_LEN);
	memcpy(hs->remote_ephemeral, e, KEY_LEN);
	memcpy(hs->latest_timestamp, t, TS_LEN);
	memcpy(hs->hash, h, HASH_LEN);
	memcpy(hs->chaining_key, ck, HASH_LEN);
	hs->remote_index = uwg_le32_load(src->sender_index);
	hs->last_initiation_consumption = now;
	hs->state = UWG_HS_CONSUMED_INITIATION;
	ret = hs;
out:
	uwg_memzero(ck, sizeof(ck));
	uwg_memzero(h, sizeof(h));
	uwg_memzero(key, sizeof(key));
	uwg_memzero(s, sizeof(s));
	uwg_memzero(t, sizeof(t));
	return ret;
}

bool uwg_noise_create_response(struct uwg_msg_response *dst, struct uwg_noise_handshake *hs,
			       uint32_t local_index,
			       const uint8_t ephemeral_private[UWG_NOISE_PUBLIC_KEY_LEN])
{
	uint8_t ck[HASH_LEN], h[HASH_LEN], key[SYM_LEN], tau[HASH_LEN], e_priv[KEY_LEN];
	bool ok = false;

	if (hs->state != UWG_HS_CONSUMED_INITIATION || !hs->identity ||
	    !hs->identity->has_identity)
		return false;

	memset(dst, 0, sizeof(*dst));
	uwg_le32_store(dst->type, UWG_MSG_HANDSHAKE_RESPONSE);
	uwg_le32_store(dst->sender_index, local_index);
	uwg_le32_store(dst->receiver_index, hs->remote_index);
	memcpy(ck, hs->chaining_key, HASH_LEN);
	memcpy(h, hs->hash, HASH_LEN);

	/* e */
	memcpy(e_priv, ephemeral_private, KEY_LEN);
	uwg_x25519_clamp(e_priv);
	if (!uwg_x25519_public(dst->unencrypted_ephemeral, e_priv))
		goto out;
	mix_ephemeral(ck, h, dst->unencrypted_ephemeral);

	/* ee */
	if (!mix_dh(ck, NULL, e_priv, hs->remote_ephemeral))
		goto out;

	/* se */
	if (!mix_dh(ck, NULL, e_priv, hs->remote_static))
		goto out;

	/* psk: (C, τ, k) = KDF3(C, Q); H = HASH(H || τ) */
	{
		uint8_t t1[HASH_LEN];

		uwg_kdf(t1, tau, key, ck, hs->preshared_key, SYM_LEN);
		memcpy(ck, t1, HASH_LEN);
		uwg_memzero(t1, sizeof(t1));
	}
	mix_hash(h, tau, HASH_LEN);

	/* {} */
	encrypt_and_hash(dst->encrypted_nothing, empty, 0, key, h);

	memcpy(hs->chaining_key, ck, HASH_LEN);
	memcpy(hs->hash, h, HASH_LEN);
	hs->local_index = local_index;
	hs->state = UWG_HS_CREATED_RESPONSE;
	ok = true;
out:
	if (!ok)
		memset(dst, 0, sizeof(*dst));
	uwg_memzero(ck, sizeof(ck));
	uwg_memzero(h, sizeof(h));
	uwg_memzero(key, sizeof(key));
	uwg_memzero(tau, sizeof(tau));
	uwg_memzero(e_priv, sizeof(e_priv));
	return ok;
}

bool uwg_noise_consume_response(const struct uwg_msg_response *src, struct uwg_noise_handshake *hs)
{
	const struct uwg_noise_identity *id = hs->identity;
	uint8_t ck[HASH_LEN], h[HASH_LEN], key[SYM_LEN], tau[HASH_LEN], nothing[1];
	const uint8_t *e = src->unencrypted_ephemeral;
	bool ok = false;

	if (hs->state != UWG_HS_CREATED_INITIATION || !id || !id->has_identity)
		return false;
	if (uwg_le32_load(src->type) != UWG_MSG_HANDSHAKE_RESPONSE ||
	    uwg_le32_load(src->receiver_index) != hs->local_index)
		return false;
	memcpy(ck, hs->chaining_key, HASH_LEN);
	memcpy(h, hs->hash, HASH_LEN);

	/* e */
	mix_ephemeral(ck, h, e);

	/* ee */
	if (!mix_dh(ck, NULL, hs->ephemeral_private, e))
		goto out;

	/* se */
	if (!mix_dh(ck, NULL, id->static_private, e))
		goto out;

	/* psk */
	{
		uint8_t t1[HASH_LEN];

		uwg_kdf(t1, tau, key, ck, hs->preshared_key, SYM_LEN);
		memcpy(ck, t1, HASH_LEN);
		uwg_memzero(t1, sizeof(t1));
	}
	mix_hash(h, tau, HASH_LEN);

	/* {} */
	if (!decrypt_and_hash(nothing, src->encrypted_nothing, sizeof(src->encrypted_nothing), key,
			      h))
		goto out;

	memcpy(hs->remote_ephemeral, e, KEY_LEN);
	memcpy(hs->chaining_key, ck, HASH_LEN);
	memcpy(hs->hash, h, HASH_LEN);
	hs->remote_index = uwg_le32_load(src->sender_index);
	hs->state = UWG_HS_CONSUMED_RESPONSE;
	ok = true;
out:
	uwg_memzero(ck, sizeof(ck));
	uwg_memzero(h, sizeof(h));
	uwg_memzero(key, sizeof(key));
	uwg_memzero(tau, sizeof(tau));
	return ok;
}

void uwg_noise_keypairs_init(struct uwg_noise_keypairs *kps)
{
	uwg_memzero(kps, sizeof(*kps));
	kps->next = kps->current = kps->previous = NULL;
}

/* Releases a slot: the caller forgets its index, the keys are wiped. NULL is fine. */
static void keypair_drop(struct uwg_noise_keypair *kp, const struct uwg_noise_index_ops *iops)
{
	if (!kp)
		return;
	if (iops && iops->drop)
		iops->drop(iops->ctx, kp->local_index);
	uwg_memzero(kp, sizeof(*kp));
}

static struct uwg_noise_keypair *keypair_alloc(struct uwg_noise_keypairs *kps)
{
	/* At most three slots are live between calls, so one of four is always free. */
	for (size_t i = 0; i < sizeof(kps->slots) / sizeof(kps->slots[0]); i++)
		if (!kps->slots[i].in_use)
			return &kps->slots[i];
	return NULL;
}

/*
 * Slot transitions of the kernel's add_new_keypair. Initiator (the response
 * proved the peer has the keys): the new keypair is current at once. If a
 * next was pending (we answered the peer's initiation while ours was in
 * flight) it becomes previous, since the peer may already be sending on it,
 * and the old current is dropped; otherwise the old current becomes previous.
 * The old previous is dropped in both cases. Responder: the new keypair
 * waits as next for the first packet on it; an older next and the previous
 * are dropped, current stays until the promotion.
 */
static void add_new_keypair(struct uwg_noise_keypairs *kps, struct uwg_noise_keypair *kp,
			    const struct uwg_noise_index_ops *iops)
{
	struct uwg_noise_keypair *old_next = kps->next, *old_current = kps->current,
				 *old_previous = kps->previous;

	if (kp->i_am_the_initiator) {
		if (old_next) {
			kps->next = NULL;
			kps->previous = old_next;
			keypair_drop(old_current, iops);
		} else {
			kps->previous = old_current;
		}
		keypair_drop(old_previous, iops);
		kps->current = kp;
	} else {
		kps->next = kp;
		keypair_drop(old_next, iops);
		kps->previous = NULL;
		keypair_drop(old_previous, iops);
	}
}

struct uwg_noise_keypair *uwg_noise_begin_session(struct uwg_noise_handshake *hs,
						  struct uwg_noise_keypairs *kps, uint64_t now,
						  const struct uwg_noise_index_ops *iops)
{
	struct uwg_noise_keypair *kp;
	uint8_t t1[SYM_LEN], t2[SYM_LEN];
	bool initiator;

	if (hs->state == UWG_HS_CONSUMED_RESPONSE)
		initiator = true;
	else if (hs->state == UWG_HS_CREATED_RESPONSE)
		initiator = false;
	else
		return NULL;
	kp = keypair_alloc(kps);
	if (!kp)
		return NULL;

	/* (T1, T2) = KDF2(C, ε): the initiator sends with T1, the responder with T2. */
	uwg_kdf(t1, t2, NULL, hs->chaining_key, empty, 0);
	memset(kp, 0, sizeof(*kp));
	memcpy(kp->send_key, initiator ? t1 : t2, SYM_LEN);
	memcpy(kp->recv_key, initiator ? t2 : t1, SYM_LEN);
	uwg_memzero(t1, sizeof(t1));
	uwg_memzero(t2, sizeof(t2));
	kp->send_counter = 0;
	uwg_replay_init(&kp->replay);
	kp->birthdate = now;
	kp->local_index = hs->local_index;
	kp->remote_index = hs->remote_index;
	kp->i_am_the_initiator = initiator;
	kp->send_valid = true;
	kp->in_use = true;

	uwg_noise_handshake_clear(hs);
	add_new_keypair(kps, kp, iops);
	return kp;
}

bool uwg_noise_received_with_keypair(struct uwg_noise_keypairs *kps, struct uwg_noise_keypair *kp,
				     const struct uwg_noise_index_ops *iops)
{
	struct uwg_noise_keypair *old_previous;

	if (!kp || kp != kps->next)
		return false;
	/* Key confirmation: next slides into current, current into previous. */
	old_previous = kps->previous;
	kps->previous = kps->current;
	kps->current = kp;
	kps->next = NULL;
	keypair_drop(old_previous, iops);
	return true;
}

void uwg_noise_keypairs_expire_current(struct uwg_noise_keypairs *kps)
{
	/* As the kernel: a pending next must not become a sending key either. */
	if (kps->next)
		kps->next->send_valid = false;
	if (kps->current)
		kps->current->send_valid = false;
}

void uwg_noise_keypairs_clear(struct uwg_noise_keypairs *kps,
			      const struct uwg_noise_index_ops *iops)
{
	struct uwg_noise_keypair *next = kps->next, *current = kps->current,
				 *previous = kps->previous;

	kps->next = kps->current = kps->previous = NULL;
	keypair_drop(next, iops);
	keypair_drop(current, iops);
	keypair_drop(previous, iops);
	/* Slots not reachable from the pointers hold nothing, but wipe them all anyway. */
	uwg_memzero(kps->slots, sizeof(kps->slots));
}
