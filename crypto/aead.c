/*
 * crypto/aead.c - ChaCha20-Poly1305 (RFC 7539, IETF 96-bit nonce) and
 * XChaCha20-Poly1305 over libsodium's detached calls, so the tag lands right
 * after the ciphertext and dst == src works. Any thread.
 */
#include "crypto/aead.h"

#include <sodium.h>

/* WireGuard's nonce: 4 zero bytes then the counter little-endian (protocol section 5.4.6). */
static void counter_nonce(uint8_t nonce[UWG_AEAD_NONCE_LEN], uint64_t counter)
{
	unsigned i;

	nonce[0] = 0;
	nonce[1] = 0;
	nonce[2] = 0;
	nonce[3] = 0;
	for (i = 0; i < 8; i++)
		nonce[4 + i] = (uint8_t)(counter >> (8 * i));
}

void uwg_aead_encrypt_nonce(uint8_t *dst, const uint8_t *src, size_t len, const uint8_t *ad,
			    size_t adlen, const uint8_t nonce[UWG_AEAD_NONCE_LEN],
			    const uint8_t key[UWG_AEAD_KEY_LEN])
{
	crypto_aead_chacha20poly1305_ietf_encrypt_detached(dst, dst + len, NULL, src, len, ad, adlen,
							   NULL, nonce, key);
}

/*
 * libsodium checks the tag over the ciphertext before writing any plaintext, so
 * in place is safe; on a forgery it zeroes dst (the ciphertext, when in place).
 */
bool uwg_aead_decrypt_nonce(uint8_t *dst, const uint8_t *src, size_t srclen, const uint8_t *ad,
			    size_t adlen, const uint8_t nonce[UWG_AEAD_NONCE_LEN],
			    const uint8_t key[UWG_AEAD_KEY_LEN])
{
	size_t len;

	if (srclen < UWG_AEAD_TAG_LEN)
		return false;
	len = srclen - UWG_AEAD_TAG_LEN;
	return crypto_aead_chacha20poly1305_ietf_decrypt_detached(dst, NULL, src, len, src + len, ad,
								  adlen, nonce, key) == 0;
}

void uwg_aead_encrypt(uint8_t *dst, const uint8_t *src, size_t len, const uint8_t *ad, size_t adlen,
		      uint64_t counter, const uint8_t key[UWG_AEAD_KEY_LEN])
{
	uint8_t nonce[UWG_AEAD_NONCE_LEN];

	counter_nonce(nonce, counter);
	uwg_aead_encrypt_nonce(dst, src, len, ad, adlen, nonce, key);
}

bool uwg_aead_decrypt(uint8_t *dst, const uint8_t *src, size_t srclen, const uint8_t *ad,
		      size_t adlen, uint64_t counter, const uint8_t key[UWG_AEAD_KEY_LEN])
{
	uint8_t nonce[UWG_AEAD_NONCE_LEN];

	counter_nonce(nonce, counter);
	return uwg_aead_decrypt_nonce(dst, src, srclen, ad, adlen, nonce, key);
}

void uwg_xaead_encrypt(uint8_t *dst, const uint8_t *src, size_t len, const uint8_t *ad,
		       size_t adlen, const uint8_t nonce[UWG_XAEAD_NONCE_LEN],
		       const uint8_t key[UWG_AEAD_KEY_LEN])
{
	crypto_aead_xchacha20poly1305_ietf_encrypt_detached(dst, dst + len, NULL, src, len, ad,
							    adlen, NULL, nonce, key);
}

bool uwg_xaead_decrypt(uint8_t *dst, const uint8_t *src, size_t srclen, const uint8_t *ad,
		       size_t adlen, const uint8_t nonce[UWG_XAEAD_NONCE_LEN],
		       const uint8_t key[UWG_AEAD_KEY_LEN])
{
	size_t len;

	if (srclen < UWG_AEAD_TAG_LEN)
		return false;
	len = srclen - UWG_AEAD_TAG_LEN;
	return crypto_aead_xchacha20poly1305_ietf_decrypt_detached(dst, NULL, src, len, src + len,
								   ad, adlen, nonce, key) == 0;
}
