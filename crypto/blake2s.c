/*
 * crypto/blake2s.c - BLAKE2s (RFC 7693) with any output length and an
 * optional key, RFC 2104 HMAC over BLAKE2s-256, and the WireGuard KDF.
 * libsodium 1.0.18 only ships BLAKE2b, so this is written from the RFC.
 * Pure functions on caller-owned state; any thread.
 */
#include "crypto/blake2s.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/ct.h"

static const uint32_t blake2s_iv[8] = {
	0x6a09e667u, 0xbb67ae85u, 0x3c6ef372u, 0xa54ff53au,
	0x510e527fu, 0x9b05688cu, 0x1f83d9abu, 0x5be0cd19u,
};

/* Message word schedule of RFC 7693 section 2.7; indices are public, never secret-derived. */
static const uint8_t blake2s_sigma[10][16] = {
	{ 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15 },
	{ 14, 10, 4, 8, 9, 15, 13, 6, 1, 12, 0, 2, 11, 7, 5, 3 },
	{ 11, 8, 12, 0, 5, 2, 15, 13, 10, 14, 3, 6, 7, 1, 9, 4 },
	{ 7, 9, 3, 1, 13, 12, 11, 14, 2, 6, 5, 10, 4, 0, 15, 8 },
	{ 9, 0, 5, 7, 2, 4, 10, 15, 14, 1, 11, 12, 6, 8, 3, 13 },
	{ 2, 12, 6, 10, 0, 11, 8, 3, 4, 13, 7, 5, 15, 14, 1, 9 },
	{ 12, 5, 1, 15, 14, 13, 4, 10, 0, 7, 6, 3, 9, 2, 8, 11 },
	{ 13, 11, 7, 14, 12, 1, 3, 9, 5, 0, 15, 4, 8, 6, 2, 10 },
	{ 6, 15, 14, 9, 11, 3, 0, 8, 12, 2, 13, 7, 1, 4, 10, 5 },
	{ 10, 2, 8, 4, 7, 6, 1, 5, 15, 11, 9, 14, 3, 12, 13, 0 },
};

static uint32_t load_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void store_le32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

static uint32_t ror32(uint32_t v, unsigned n)
{
	return v >> n | v << (32 - n);
}

/* The G mixing function of RFC 7693 section 3.1 (R1..R4 = 16, 12, 8, 7). */
static void blake2s_g(uint32_t v[16], unsigned a, unsigned b, unsigned c, unsigned d, uint32_t x,
		      uint32_t y)
{
	v[a] = v[a] + v[b] + x;
	v[d] = ror32(v[d] ^ v[a], 16);
	v[c] = v[c] + v[d];
	v[b] = ror32(v[b] ^ v[c], 12);
	v[a] = v[a] + v[b] + y;
	v[d] = ror32(v[d] ^ v[a], 8);
	v[c] = v[c] + v[d];
	v[b] = ror32(v[b] ^ v[c], 7);
}

/* Adds inc to the 64-bit byte counter, then compresses one block (F of RFC 7693 3.2). */
static void blake2s_compress(struct uwg_blake2s *s, const uint8_t block[UWG_BLAKE2S_BLOCK_LEN],
			     uint32_t inc, bool last)
{
	uint32_t m[16], v[16];
	unsigned i;

	s->t[0] += inc;
	if (s->t[0] < inc)
		s->t[1]++;

	for (i = 0; i < 16; i++)
		m[i] = load_le32(block + 4 * i);
	for (i = 0; i < 8; i++) {
		v[i] = s->h[i];
		v[i + 8] = blake2s_iv[i];
	}
	v[12] ^= s->t[0];
	v[13] ^= s->t[1];
	if (last)
		v[14] = ~v[14];

	for (i = 0; i < 10; i++) {
		const uint8_t *sg = blake2s_sigma[i];

		blake2s_g(v, 0, 4, 8, 12, m[sg[0]], m[sg[1]]);
		blake2s_g(v, 1, 5, 9, 13, m[sg[2]], m[sg[3]]);
		blake2s_g(v, 2, 6, 10, 14, m[sg[4]], m[sg[5]]);
		blake2s_g(v, 3, 7, 11, 15, m[sg[6]], m[sg[7]]);
		blake2s_g(v, 0, 5, 10, 15, m[sg[8]], m[sg[9]]);
		blake2s_g(v, 1, 6, 11, 12, m[sg[10]], m[sg[11]]);
		blake2s_g(v, 2, 7, 8, 13, m[sg[12]], m[sg[13]]);
		blake2s_g(v, 3, 4, 9, 14, m[sg[14]], m[sg[15]]);
	}
	for (i = 0; i < 8; i++)
		s->h[i] ^= v[i] ^ v[i + 8];

	uwg_memzero(m, sizeof(m));
	uwg_memzero(v, sizeof(v));
}

void uwg_blake2s_init_key(struct uwg_blake2s *s, size_t outlen, const uint8_t *key, size_t keylen)
{
	unsigned i;

	/* A bad length is a caller bug, and silently hashing with other parameters is worse. */
	if (outlen == 0 || outlen > UWG_BLAKE2S_HASH_LEN || keylen > UWG_BLAKE2S_KEY_LEN ||
	    (keylen && !key))
		abort();

	for (i = 0; i < 8; i++)
		s->h[i] = blake2s_iv[i];
	/* Parameter block word 0: digest length, key length, fanout 1, depth 1. */
	s->h[0] ^= 0x01010000u ^ (uint32_t)keylen << 8 ^ (uint32_t)outlen;
	s->t[0] = 0;
	s->t[1] = 0;
	s->outlen = outlen;
	memset(s->buf, 0, sizeof(s->buf));
	s->buflen = 0;
	if (keylen) {
		/* The key is the first block, zero padded (RFC 7693 section 3.3). */
		memcpy(s->buf, key, keylen);
		s->buflen = UWG_BLAKE2S_BLOCK_LEN;
	}
}

void uwg_blake2s_init(struct uwg_blake2s *s, size_t outlen)
{
	uwg_blake2s_init_key(s, outlen, NULL, 0);
}

void uwg_blake2s_update(struct uwg_blake2s *s, const uint8_t *in, size_t len)
{
	size_t fill;

	if (len == 0)
		return;
	/*
	 * The last block must be compressed with the final flag, so a full buffer is
	 * only flushed once more input is known to follow it.
	 */
	fill = UWG_BLAKE2S_BLOCK_LEN - s->buflen;
	if (len > fill) {
		memcpy(s->buf + s->buflen, in, fill);
		blake2s_compress(s, s->buf, UWG_BLAKE2S_BLOCK_LEN, false);
		s->buflen = 0;
		in += fill;
		len -= fill;
		while (len > UWG_BLAKE2S_BLOCK_LEN) {
			blake2s_compress(s, in, UWG_BLAKE2S_BLOCK_LEN, false);
			in += UWG_BLAKE2S_BLOCK_LEN;
			len -= UWG_BLAKE2S_BLOCK_LEN;
		}
	}
	memcpy(s->buf + s->buflen, in, len);
	s->buflen += len;
}

void uwg_blake2s_final(struct uwg_blake2s *s, uint8_t *out)
{
	uint8_t full[UWG_BLAKE2S_HASH_LEN];
	unsigned i;

	memset(s->buf + s->buflen, 0, UWG_BLAKE2S_BLOCK_LEN - s->buflen);
	blake2s_compress(s, s->buf, (uint32_t)s->buflen, true);
	for (i = 0; i < 8; i++)
		store_le32(full + 4 * i, s->h[i]);
	memcpy(out, full, s->outlen);
	uwg_memzero(full, sizeof(full));
	uwg_memzero(s, sizeof(*s));
}

void uwg_blake2s(uint8_t *out, size_t outlen, const uint8_t *key, size_t keylen, const uint8_t *in,
		 size_t inlen)
{
	struct uwg_blake2s s;

	uwg_blake2s_init_key(&s, outlen, key, keylen);
	uwg_blake2s_update(&s, in, inlen);
	uwg_blake2s_final(&s, out);
}

void uwg_blake2s_hmac(uint8_t out[UWG_BLAKE2S_HASH_LEN], const uint8_t *key, size_t keylen,
		      const uint8_t *in, size_t inlen)
{
	struct uwg_blake2s s;
	uint8_t pad[UWG_BLAKE2S_BLOCK_LEN];
	uint8_t inner[UWG_BLAKE2S_HASH_LEN];
	unsigned i;

	memset(pad, 0, sizeof(pad));
	if (keylen > UWG_BLAKE2S_BLOCK_LEN)
		uwg_blake2s(pad, UWG_BLAKE2S_HASH_LEN, NULL, 0, key, keylen);
	else if (keylen)
		memcpy(pad, key, keylen);

	for (i = 0; i < UWG_BLAKE2S_BLOCK_LEN; i++)
		pad[i] ^= 0x36;
	uwg_blake2s_init(&s, UWG_BLAKE2S_HASH_LEN);
	uwg_blake2s_update(&s, pad, UWG_BLAKE2S_BLOCK_LEN);
	uwg_blake2s_update(&s, in, inlen);
	uwg_blake2s_final(&s, inner);

	/* 0x36 ^ 0x5c turns the inner pad into the outer one without keeping the key around. */
	for (i = 0; i < UWG_BLAKE2S_BLOCK_LEN; i++)
		pad[i] ^= 0x36 ^ 0x5c;
	uwg_blake2s_init(&s, UWG_BLAKE2S_HASH_LEN);
	uwg_blake2s_update(&s, pad, UWG_BLAKE2S_BLOCK_LEN);
	uwg_blake2s_update(&s, inner, UWG_BLAKE2S_HASH_LEN);
	uwg_blake2s_final(&s, out);

	uwg_memzero(pad, sizeof(pad));
	uwg_memzero(inner, sizeof(inner));
}

void uwg_kdf(uint8_t t1[UWG_BLAKE2S_HASH_LEN], uint8_t t2[UWG_BLAKE2S_HASH_LEN],
	     uint8_t t3[UWG_BLAKE2S_HASH_LEN], const uint8_t ck[UWG_BLAKE2S_HASH_LEN],
	     const uint8_t *in, size_t inlen)
{
	uint8_t prk[UWG_BLAKE2S_HASH_LEN];
	/* Each step hashes the previous output plus a one-byte counter. */
	uint8_t step[UWG_BLAKE2S_HASH_LEN + 1];
	uint8_t out[3][UWG_BLAKE2S_HASH_LEN];

	/*
	 * Callers chain the key in place (C = KDF(C, ...)), so every output is
	 * computed into locals before any of them is written.
	 */
	uwg_blake2s_hmac(prk, ck, UWG_BLAKE2S_HASH_LEN, in, inlen);

	step[0] = 1;
	uwg_blake2s_hmac(out[0], prk, sizeof(prk), step, 1);
	if (t2 || t3) {
		memcpy(step, out[0], UWG_BLAKE2S_HASH_LEN);
		step[UWG_BLAKE2S_HASH_LEN] = 2;
		uwg_blake2s_hmac(out[1], prk, sizeof(prk), step, sizeof(step));
	}
	if (t3) {
		memcpy(step, out[1], UWG_BLAKE2S_HASH_LEN);
		step[UWG_BLAKE2S_HASH_LEN] = 3;
		uwg_blake2s_hmac(out[2], prk, sizeof(prk), step, sizeof(step));
	}

	if (t1)
		memcpy(t1, out[0], UWG_BLAKE2S_HASH_LEN);
	if (t2)
		memcpy(t2, out[1], UWG_BLAKE2S_HASH_LEN);
	if (t3)
		memcpy(t3, out[2], UWG_BLAKE2S_HASH_LEN);

	uwg_memzero(prk, sizeof(prk));
	uwg_memzero(step, sizeof(step));
	uwg_memzero(out, sizeof(out));
}
