/*
 * crypto/blake2s.h - BLAKE2s (RFC 7693) hash, keyed hash with any output
 * length, HMAC-BLAKE2s, and the WireGuard KDF built on it. libsodium 1.0.18
 * has no BLAKE2s, so this is ours. Pure functions; any thread.
 */
#ifndef UWG_CRYPTO_BLAKE2S_H
#define UWG_CRYPTO_BLAKE2S_H

#include <stddef.h>
#include <stdint.h>

enum uwg_blake2s_lengths {
	UWG_BLAKE2S_HASH_LEN = 32,
	UWG_BLAKE2S_BLOCK_LEN = 64,
	UWG_BLAKE2S_KEY_LEN = 32,
};

struct uwg_blake2s {
	uint32_t h[8];
	uint32_t t[2];
	uint8_t buf[UWG_BLAKE2S_BLOCK_LEN];
	size_t buflen;
	size_t outlen;
};

/* outlen in 1..32. */
void uwg_blake2s_init(struct uwg_blake2s *s, size_t outlen);
/* outlen in 1..32, keylen in 0..32 (0 = unkeyed). */
void uwg_blake2s_init_key(struct uwg_blake2s *s, size_t outlen, const uint8_t *key, size_t keylen);
void uwg_blake2s_update(struct uwg_blake2s *s, const uint8_t *in, size_t len);
/* Writes s->outlen bytes and wipes the state. */
void uwg_blake2s_final(struct uwg_blake2s *s, uint8_t *out);

/* One-shot keyed or unkeyed hash; key may be NULL when keylen is 0. */
void uwg_blake2s(uint8_t *out, size_t outlen, const uint8_t *key, size_t keylen, const uint8_t *in,
		 size_t inlen);
/* RFC 2104 HMAC over BLAKE2s-256 (keys longer than a block are hashed first). */
void uwg_blake2s_hmac(uint8_t out[UWG_BLAKE2S_HASH_LEN], const uint8_t *key, size_t keylen,
		      const uint8_t *in, size_t inlen);

/*
 * WireGuard KDF_n: t0 = HMAC(ck, in); t1 = HMAC(t0, 0x1); t2 = HMAC(t0, t1||0x2);
 * t3 = HMAC(t0, t2||0x3). Outputs t1..t3 into the non-NULL arguments (KDF1 passes
 * only t1, KDF2 t1 and t2). All intermediates are wiped.
 */
void uwg_kdf(uint8_t t1[UWG_BLAKE2S_HASH_LEN], uint8_t t2[UWG_BLAKE2S_HASH_LEN],
	     uint8_t t3[UWG_BLAKE2S_HASH_LEN], const uint8_t ck[UWG_BLAKE2S_HASH_LEN],
	     const uint8_t *in, size_t inlen);

#endif
