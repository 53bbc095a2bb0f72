/*
 * crypto/aead_openssl.c - RFC 7539 ChaCha20-Poly1305 built on the ChaCha20
 * and Poly1305 assembly of OpenSSL's libcrypto (AVX2/AVX-512 where the CPU
 * has it), linked statically so only those few objects come along: through
 * EVP the whole library would be loaded, which costs ~3 MiB of resident
 * memory and ~0.1 us of per-packet dispatch. The construction (one-time
 * Poly1305 key from block 0, data from block 1, MAC over AD || pad || CT ||
 * pad || lengths) is written here. These are libcrypto's internal entry points,
 * so CMake only enables this file after linking a probe against them.
 * Any thread: all state is on the stack and wiped before returning.
 */
#include "crypto/aead_openssl.h"

#ifdef UWG_HAVE_OPENSSL
#include <string.h>

#include "crypto/ct.h"

/* libcrypto.a (crypto/chacha/asm, crypto/poly1305/asm, crypto/cpuid.c) */
void ChaCha20_ctr32(unsigned char *out, const unsigned char *inp, size_t len,
		    const unsigned int key[8], const unsigned int counter[4]);
void poly1305_blocks(void *ctx, const unsigned char *inp, size_t len, unsigned int padbit);
void poly1305_emit(void *ctx, unsigned char mac[16], const unsigned int nonce[4]);
void OPENSSL_cpuid_setup(void);

/* What poly1305_init fills in: the blocks/emit versions for this CPU. */
struct poly_fns {
	void (*blocks)(void *ctx, const unsigned char *inp, size_t len, unsigned int padbit);
	void (*emit)(void *ctx, unsigned char mac[16], const unsigned int nonce[4]);
};

int poly1305_init(void *ctx, const unsigned char key[16], struct poly_fns *fns);

enum {
	BLOCK = 64,
	/* The assembly's state: libcrypto sizes it as 24 doubles. */
	POLY_STATE = 24 * sizeof(double),
};

struct poly {
	_Alignas(64) unsigned char state[POLY_STATE];
	struct poly_fns fn;
	unsigned int s[4];
};

struct aead {
	unsigned int key[8];
	unsigned int counter[4];
	struct poly mac;
	unsigned char block[BLOCK];
};

static unsigned int le32(const uint8_t *p)
{
	return (unsigned int)p[0] | (unsigned int)p[1] << 8 | (unsigned int)p[2] << 16 |
	       (unsigned int)p[3] << 24;
}

/* Fills libcrypto's CPU capability vector, which picks the SIMD code paths. */
bool uwg_aead_ossl_setup(void)
{
	OPENSSL_cpuid_setup();
	return true;
}

/* Key and nonce in, Poly1305 keyed from block 0, the counter left at block 1. */
static void aead_start(struct aead *a, const uint8_t key[UWG_AEAD_OSSL_KEY_LEN],
		       const uint8_t nonce[UWG_AEAD_OSSL_NONCE_LEN])
{
	struct poly_fns fn = { NULL, NULL };

	for (unsigned i = 0; i < 8; i++)
		a->key[i] = le32(key + 4 * i);
	a->counter[0] = 0;
	for (unsigned i = 0; i < 3; i++)
		a->counter[1 + i] = le32(nonce + 4 * i);
	memset(a->block, 0, BLOCK);
	ChaCha20_ctr32(a->block, a->block, BLOCK, a->key, a->counter);
	a->mac.fn = (struct poly_fns){ poly1305_blocks, poly1305_emit };
	if (poly1305_init(a->mac.state, a->block, &fn) && fn.blocks && fn.emit)
		a->mac.fn = fn;
	for (unsigned i = 0; i < 4; i++)
		a->mac.s[i] = le32(a->block + 16 + 4 * i);
	a->counter[0] = 1;
}

/* MACs len bytes, the last partial block zero-padded (the AEAD's pad16). */
static void mac_padded(struct aead *a, const uint8_t *p, size_t len)
{
	size_t full = len & ~(size_t)15;

	if (full)
		a->mac.fn.blocks(a->mac.state, p, full, 1);
	if (len > full) {
		memset(a->block, 0, 16);
		memcpy(a->block, p + full, len - full);
		a->mac.fn.blocks(a->mac.state, a->block, 16, 1);
	}
}

static void mac_finish(struct aead *a, size_t adlen, size_t len, uint8_t tag[UWG_AEAD_OSSL_TAG_LEN])
{
	for (unsigned i = 0; i < 8; i++) {
		a->block[i] = (uint8_t)((uint64_t)adlen >> (8 * i));
		a->block[8 + i] = (uint8_t)((uint64_t)len >> (8 * i));
	}
	a->mac.fn.blocks(a->mac.state, a->block, 16, 1);
	a->mac.fn.emit(a->mac.state, tag, a->mac.s);
}

/* XORs len bytes of keystream from the current counter; a tail uses one block of keystream. */
static void xor_stream(struct aead *a, uint8_t *dst, const uint8_t *src, size_t len)
{
	size_t full = len & ~(size_t)(BLOCK - 1);

	if (full) {
		ChaCha20_ctr32(dst, src, full, a->key, a->counter);
		a->counter[0] += (unsigned int)(full / BLOCK);
	}
	if (len > full) {
		memset(a->block, 0, BLOCK);
		ChaCha20_ctr32(a->block, a->block, BLOCK, a->key, a->counter);
		for (size_t i = 0; i < len - full; i++)
			dst[full + i] = src[full + i] ^ a->block[i];
	}
}

/* The 32-bit block counter, starting at 1, must not wrap (WireGuard packets are < 64 KiB). */
static bool counter_fits(size_t len)
{
	return len <= (size_t)UINT32_MAX * BLOCK - BLOCK;
}

bool uwg_aead_ossl_seal(uint8_t *dst, const uint8_t *src, size_t len, const uint8_t *ad,
			size_t adlen, const uint8_t nonce[UWG_AEAD_OSSL_NONCE_LEN],
			const uint8_t key[UWG_AEAD_OSSL_KEY_LEN])
{
	struct aead a;

	if (!counter_fits(len))
		return false;
	aead_start(&a, key, nonce);
	mac_padded(&a, ad, adlen);
	xor_stream(&a, dst, src, len);
	mac_padded(&a, dst, len);
	mac_finish(&a, adlen, len, dst + len);
	uwg_memzero(&a, sizeof(a));
	return true;
}

int uwg_aead_ossl_open(uint8_t *dst, const uint8_t *src, size_t len, const uint8_t *ad,
		       size_t adlen, const uint8_t nonce[UWG_AEAD_OSSL_NONCE_LEN],
		       const uint8_t key[UWG_AEAD_OSSL_KEY_LEN])
{
	uint8_t tag[UWG_AEAD_OSSL_TAG_LEN];
	struct aead a;
	bool ok;

	if (!counter_fits(len))
		return -1;
	/* Authenticate the ciphertext before any plaintext is written. */
	aead_start(&a, key, nonce);
	mac_padded(&a, ad, adlen);
	mac_padded(&a, src, len);
	mac_finish(&a, adlen, len, tag);
	ok = uwg_memeq(tag, src + len, UWG_AEAD_OSSL_TAG_LEN);
	if (ok)
		xor_stream(&a, dst, src, len);
	else
		memset(dst, 0, len);
	uwg_memzero(&a, sizeof(a));
	uwg_memzero(tag, sizeof(tag));
	return ok;
}
#else
/* Built without libcrypto: crypto/aead.c never calls the rest. */
bool uwg_aead_ossl_setup(void)
{
	return false;
}
#endif
