/*
 * crypto/x25519.h - Curve25519 keys and DH over libsodium, with WireGuard's
 * rules: private keys are stored clamped, an all-zero shared secret is refused.
 * Any thread.
 */
#ifndef UWG_CRYPTO_X25519_H
#define UWG_CRYPTO_X25519_H

#include <stdbool.h>
#include <stdint.h>

enum { UWG_KEY_LEN = 32 };

void uwg_x25519_clamp(uint8_t key[UWG_KEY_LEN]);
/* Fresh clamped private key and its public key. */
void uwg_x25519_generate(uint8_t priv[UWG_KEY_LEN], uint8_t pub[UWG_KEY_LEN]);
/* Public key of a private key (clamped internally). False only if libsodium refuses. */
bool uwg_x25519_public(uint8_t pub[UWG_KEY_LEN], const uint8_t priv[UWG_KEY_LEN]);
/* out = DH(priv, pub); false (and out zeroed) when the result is all zero (low-order pub). */
bool uwg_x25519(uint8_t out[UWG_KEY_LEN], const uint8_t priv[UWG_KEY_LEN],
		const uint8_t pub[UWG_KEY_LEN]);

#endif
