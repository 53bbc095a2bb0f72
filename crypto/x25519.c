/*
 * crypto/x25519.c - Curve25519 key handling over libsodium with WireGuard's
 * rules: private keys are clamped when stored, and a DH whose result is all
 * zero (a low-order peer key) is refused. Any thread.
 */
#include "crypto/x25519.h"

#include <sodium.h>
#include <string.h>

#include "crypto/ct.h"

void uwg_x25519_clamp(uint8_t key[UWG_KEY_LEN])
{
	key[0] &= 248;
	key[31] = (uint8_t)((key[31] & 127) | 64);
}

bool uwg_x25519_public(uint8_t pub[UWG_KEY_LEN], const uint8_t priv[UWG_KEY_LEN])
{
	uint8_t k[UWG_KEY_LEN];
	bool ok;

	memcpy(k, priv, UWG_KEY_LEN);
	uwg_x25519_clamp(k);
	ok = crypto_scalarmult_base(pub, k) == 0;
	uwg_memzero(k, sizeof(k));
	return ok;
}

void uwg_x25519_generate(uint8_t priv[UWG_KEY_LEN], uint8_t pub[UWG_KEY_LEN])
{
	/*
	 * A clamped scalar times the base point is never the identity, so the
	 * loop runs once; it only guards against a libsodium refusal.
	 */
	do {
		uwg_random_bytes(priv, UWG_KEY_LEN);
		uwg_x25519_clamp(priv);
	} while (!uwg_x25519_public(pub, priv));
}

bool uwg_x25519(uint8_t out[UWG_KEY_LEN], const uint8_t priv[UWG_KEY_LEN],
		const uint8_t pub[UWG_KEY_LEN])
{
	uint8_t shared[UWG_KEY_LEN];
	bool ok;

	/*
	 * libsodium refuses known small-order points without writing its output,
	 * so the result goes to a zeroed local that may alias neither argument.
	 */
	memset(shared, 0, sizeof(shared));
	ok = crypto_scalarmult(shared, priv, pub) == 0 && !uwg_is_zero(shared, sizeof(shared));
	if (ok)
		memcpy(out, shared, UWG_KEY_LEN);
	else
		uwg_memzero(out, UWG_KEY_LEN);
	uwg_memzero(shared, sizeof(shared));
	return ok;
}
