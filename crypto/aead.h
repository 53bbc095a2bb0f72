/*
 * crypto/aead.h - ChaCha20-Poly1305 (RFC 7539, 96-bit nonce = 4 zero bytes ||
 * LE64 counter) and XChaCha20-Poly1305. In place is allowed (dst == src).
 * ChaCha20-Poly1305 runs on OpenSSL's ChaCha20 and Poly1305 assembly when the
 * build has it (about twice as fast here) and on libsodium otherwise or when
 * selected;
 * XChaCha20-Poly1305 (cookies) is always libsodium. Any thread.
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

enum uwg_aead_impl {
	UWG_AEAD_IMPL_SODIUM,
	UWG_AEAD_IMPL_OPENSSL,
};

/* uwg_crypto_init's part (crypto/crypto.c): the fastest built-in implementation becomes the default. */
void uwg_aead_setup(void);
/*
 * Chooses the ChaCha20-Poly1305 implementation for the whole process. Call it
 * before any other thread encrypts. -ENOTSUP: not built in (or unusable).
 */
int uwg_aead_select(enum uwg_aead_impl impl);
enum uwg_aead_impl uwg_aead_selected(void);
const char *uwg_aead_impl_name(enum uwg_aead_impl impl);

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
