/*
 * crypto/ct.h - the only place secrets are compared or wiped: constant-time
 * helpers over libsodium. Any thread.
 */
#ifndef UWG_CRYPTO_CT_H
#define UWG_CRYPTO_CT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

void uwg_memzero(void *p, size_t len);
/* Constant-time equality. */
bool uwg_memeq(const void *a, const void *b, size_t len);
/* Constant-time all-zero test. */
bool uwg_is_zero(const void *p, size_t len);
/* Cryptographically secure random bytes. */
void uwg_random_bytes(void *out, size_t len);
/* Uniform in [0, upper) (upper > 0). */
uint32_t uwg_random_uniform(uint32_t upper);

#endif
