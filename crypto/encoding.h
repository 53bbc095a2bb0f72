/*
 * crypto/encoding.h - constant-time base64 (as `wg` prints keys) and hex (as
 * the UAPI carries them) for 32-byte keys. Any thread.
 */
#ifndef UWG_CRYPTO_ENCODING_H
#define UWG_CRYPTO_ENCODING_H

#include <stdbool.h>
#include <stdint.h>

enum {
	UWG_KEY_B64_LEN = 45, /* 44 characters + NUL */
	UWG_KEY_HEX_LEN = 65, /* 64 characters + NUL */
};

void uwg_key_to_base64(char out[UWG_KEY_B64_LEN], const uint8_t key[32]);
/* Accepts exactly 44 characters ending in '='; false on anything else. */
bool uwg_key_from_base64(uint8_t key[32], const char *in);
void uwg_key_to_hex(char out[UWG_KEY_HEX_LEN], const uint8_t key[32]);
/* Accepts exactly 64 hex digits, either case. */
bool uwg_key_from_hex(uint8_t key[32], const char *in);

#endif
