/*
 * crypto/aead_openssl.h - the OpenSSL-assembly implementation behind
 * crypto/aead.h (crypto/aead_openssl.c). Internal to crypto/: aead.c
 * dispatches to it. Any thread once uwg_crypto_init has run.
 */
#ifndef UWG_CRYPTO_AEAD_OPENSSL_H
#define UWG_CRYPTO_AEAD_OPENSSL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The sizes of crypto/aead.h (which asserts they match), so this header needs nothing of it. */
enum {
	UWG_AEAD_OSSL_KEY_LEN = 32,
	UWG_AEAD_OSSL_NONCE_LEN = 12,
	UWG_AEAD_OSSL_TAG_LEN = 16,
};

/* From uwg_aead_setup; false when the build has no libcrypto. */
bool uwg_aead_ossl_setup(void);
/* False only before anything was written: the caller may then use libsodium. */
bool uwg_aead_ossl_seal(uint8_t *dst, const uint8_t *src, size_t len, const uint8_t *ad,
			size_t adlen, const uint8_t nonce[UWG_AEAD_OSSL_NONCE_LEN],
			const uint8_t key[UWG_AEAD_OSSL_KEY_LEN]);
/* len excludes the tag. 1 authentic, 0 forged (dst wiped), -1 not attempted. */
int uwg_aead_ossl_open(uint8_t *dst, const uint8_t *src, size_t len, const uint8_t *ad,
		       size_t adlen, const uint8_t nonce[UWG_AEAD_OSSL_NONCE_LEN],
		       const uint8_t key[UWG_AEAD_OSSL_KEY_LEN]);

#endif
