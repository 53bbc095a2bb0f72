/*
 * crypto/ct.c - constant-time comparison and wiping, and randomness, all
 * delegated to libsodium so no compiler can optimise them into early exits
 * or dead stores. Any thread once uwg_crypto_init (crypto.h) has returned 0.
 */
#include "crypto/ct.h"

#include <sodium.h>

void uwg_memzero(void *p, size_t len)
{
	sodium_memzero(p, len);
}

bool uwg_memeq(const void *a, const void *b, size_t len)
{
	return sodium_memcmp(a, b, len) == 0;
}

bool uwg_is_zero(const void *p, size_t len)
{
	return sodium_is_zero(p, len) == 1;
}

void uwg_random_bytes(void *out, size_t len)
{
	randombytes_buf(out, len);
}

uint32_t uwg_random_uniform(uint32_t upper)
{
	/* Unbiased by rejection inside libsodium; upper == 0 is a caller bug, answered with 0. */
	return upper ? randombytes_uniform(upper) : 0;
}
