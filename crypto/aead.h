/*
 * crypto/aead.h - ChaCha20-Poly1305 (RFC 7539, 96-bit nonce = 4 zero bytes ||
 * LE64 counter) and XChaCha20-Poly1305, over libsodium. In place is allowed
 * (dst == src). Any thread.
 */
#ifndef UWG_CRYPTO_AEAD_H
#define UWG_CRYPTO_AEAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum uwg_aead_lengths {
	UWG_AEAD_KEY_LEN = 32,
	UWG_AEAD_TAG_LEN = 16,
	UWG_AEAD_NONCE_LEN = 12,
	UWG_XAEAD_NONCE_LEN = 24,
};

/* Writes len bytes of ciphertext followed by the 16-byte tag to dst. */
void uwg_aead_encrypt(uint8_t *dst, const uint8_t *src, size_t len, const uint8_t *ad, size_t adlen,
		      uint64_t counter, const uint8_t key[UWG_AEAD_KEY_LEN]);
/* src holds srclen bytes including the tag; writes srclen - 16 bytes. False on forgery. */
bool uwg_aead_decrypt(uint8_t *dst, const uint8_t *src, size_t srclen, const uint8_t *ad,
		      size_t adlen, uint64_t counter, const uint8_t key[UWG_AEAD_KEY_LEN]);

/*
 * The same with an explicit 96-bit RFC 7539 nonce, for known-answer tests whose
 * nonce does not start with four zero bytes. WireGuard itself uses the counter form.
 */
void uwg_aead_encrypt_nonce(uint8_t *dst, const uint8_t *src, size_t len, const uint8_t *ad,
			    size_t adlen, const uint8_t nonce[UWG_AEAD_NONCE_LEN],
			    const uint8_t key[UWG_AEAD_KEY_LEN]);
bool uwg_aead_decrypt_nonce(uint8_t *dst, const uint8_t *src, size_t srclen, const uint8_t *ad,
			    size_t adlen, const uint8_t nonce[UWG_AEAD_NONCE_LEN],
			    const uint8_t key[UWG_AEAD_KEY_LEN]);

void uwg_xaead_encrypt(uint8_t *dst, const uint8_t *src, size_t len, const uint8_t *ad,
		       size_t adlen, const uint8_t nonce[UWG_XAEAD_NONCE_LEN],
		       const uint8_t key[UWG_AEAD_KEY_LEN]);
bool uwg_xaead_decrypt(uint8_t *dst, const uint8_t *src, size_t srclen, const uint8_t *ad,
		       size_t adlen, const uint8_t nonce[UWG_XAEAD_NONCE_LEN],
		       const uint8_t key[UWG_AEAD_KEY_LEN]);

#endif
