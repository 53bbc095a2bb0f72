/*
 * crypto/aead_impl.h - the OpenSSL-assembly implementation behind
 * crypto/aead.h (crypto/aead_openssl.c). Internal to crypto/. Any thread
 * once uwg_crypto_init has run.
 */
#ifndef UWG_CRYPTO_AEAD_IMPL_H
#define UWG_CRYPTO_AEAD_IMPL_H

#include "crypto/aead.h"

/* From uwg_crypto_init; false when the build has no libcrypto. */
bool uwg_aead_ossl_setup(void);
/* From uwg_crypto_init: makes the fastest built-in implementation the default. */
void uwg_aead_setup(void);
/* False only before anything was written: the caller may then use libsodium. */
bool uwg_aead_ossl_seal(uint8_t *dst, const uint8_t *src, size_t len, const uint8_t *ad,
			size_t adlen, const uint8_t nonce[UWG_AEAD_NONCE_LEN],
			const uint8_t key[UWG_AEAD_KEY_LEN]);
/* len excludes the tag. 1 authentic, 0 forged (dst wiped), -1 not attempted. */
int uwg_aead_ossl_open(uint8_t *dst, const uint8_t *src, size_t len, const uint8_t *ad,
		       size_t adlen, const uint8_t nonce[UWG_AEAD_NONCE_LEN],
		       const uint8_t key[UWG_AEAD_KEY_LEN]);

#endif
