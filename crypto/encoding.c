/*
 * crypto/encoding.c - 32-byte keys to and from base64 (standard alphabet, the
 * 44-character form `wg genkey` prints) and hex. Key bytes and key text are
 * secrets, so no branch and no table index depends on them: each character is
 * mapped with arithmetic masks, and errors are accumulated and checked once.
 * Any thread.
 */
#include "crypto/encoding.h"

#include <string.h>

#include "crypto/ct.h"

enum {
	KEY_LEN = 32,
	B64_CHARS = UWG_KEY_B64_LEN - 1,
	HEX_CHARS = UWG_KEY_HEX_LEN - 1,
};

/*
 * All ones when lo <= c <= hi, else zero. Inputs are below 2^31, so the top
 * bit of each difference is its sign; both are "negative" only inside the range.
 */
static uint32_t ct_in_range(uint32_t c, uint32_t lo, uint32_t hi)
{
	return 0u - (((lo - 1u - c) & (c - hi - 1u)) >> 31);
}

/* All ones when v > limit (v, limit < 2^31), else zero. */
static uint32_t ct_gt(uint32_t v, uint32_t limit)
{
	return 0u - ((limit - v) >> 31);
}

/* 0..63 to A-Z a-z 0-9 + / by shifting 'A' + v across the alphabet's gaps. */
static char b64_char(uint32_t v)
{
	uint32_t c = 'A' + v;

	c += ct_gt(v, 25) & 6u; /* 26 -> 'a' */
	c -= ct_gt(v, 51) & 75u; /* 52 -> '0' */
	c -= ct_gt(v, 61) & 15u; /* 62 -> '+' */
	c += ct_gt(v, 62) & 3u; /* 63 -> '/' */
	return (char)c;
}

/* One base64 character to 0..63; sets bad to all ones for anything outside the alphabet. */
static uint32_t b64_value(unsigned char ch, uint32_t *bad)
{
	uint32_t c = ch, v = 0, m, seen = 0;

	m = ct_in_range(c, 'A', 'Z');
	v |= m & (c - 'A');
	seen |= m;
	m = ct_in_range(c, 'a', 'z');
	v |= m & (c - 'a' + 26);
	seen |= m;
	m = ct_in_range(c, '0', '9');
	v |= m & (c - '0' + 52);
	seen |= m;
	m = ct_in_range(c, '+', '+');
	v |= m & 62u;
	seen |= m;
	m = ct_in_range(c, '/', '/');
	v |= m & 63u;
	seen |= m;
	*bad |= ~seen;
	return v;
}

void uwg_key_to_base64(char out[UWG_KEY_B64_LEN], const uint8_t key[32])
{
	unsigned i;
	uint32_t w;

	/* Ten groups of 3 bytes make 40 characters; the last 2 bytes make "xxx=". */
	for (i = 0; i < KEY_LEN / 3; i++) {
		w = (uint32_t)key[3 * i] << 16 | (uint32_t)key[3 * i + 1] << 8 | key[3 * i + 2];
		out[4 * i] = b64_char(w >> 18 & 63);
		out[4 * i + 1] = b64_char(w >> 12 & 63);
		out[4 * i + 2] = b64_char(w >> 6 & 63);
		out[4 * i + 3] = b64_char(w & 63);
	}
	w = (uint32_t)key[30] << 16 | (uint32_t)key[31] << 8;
	out[40] = b64_char(w >> 18 & 63);
	out[41] = b64_char(w >> 12 & 63);
	out[42] = b64_char(w >> 6 & 63);
	out[43] = '=';
	out[44] = '\0';
}

bool uwg_key_from_base64(uint8_t key[32], const char *in)
{
	const unsigned char *s = (const unsigned char *)in;
	uint32_t bad = 0, w, v;
	unsigned i;

	/* The length is public (a key's text is always 44 characters); only the content is not. */
	if (strnlen(in, UWG_KEY_B64_LEN) != B64_CHARS || in[B64_CHARS - 1] != '=') {
		uwg_memzero(key, KEY_LEN);
		return false;
	}

	for (i = 0; i < KEY_LEN / 3; i++) {
		w = b64_value(s[4 * i], &bad) << 18;
		w |= b64_value(s[4 * i + 1], &bad) << 12;
		w |= b64_value(s[4 * i + 2], &bad) << 6;
		w |= b64_value(s[4 * i + 3], &bad);
		key[3 * i] = (uint8_t)(w >> 16);
		key[3 * i + 1] = (uint8_t)(w >> 8);
		key[3 * i + 2] = (uint8_t)w;
	}
	w = b64_value(s[40], &bad) << 18;
	w |= b64_value(s[41], &bad) << 12;
	v = b64_value(s[42], &bad);
	w |= v << 6;
	/* Canonical form only: the 2 bits the third character carries past byte 32 must be 0. */
	bad |= 0u - (((v & 3u) + 3u) >> 2);
	key[30] = (uint8_t)(w >> 16);
	key[31] = (uint8_t)(w >> 8);

	if (bad) {
		uwg_memzero(key, KEY_LEN);
		return false;
	}
	return true;
}

static char hex_char(uint32_t v)
{
	/* 'a' - '0' - 10 = 39 */
	return (char)('0' + v + (ct_gt(v, 9) & 39u));
}

static uint32_t hex_value(unsigned char ch, uint32_t *bad)
{
	uint32_t c = ch, v = 0, m, seen = 0;

	m = ct_in_range(c, '0', '9');
	v |= m & (c - '0');
	seen |= m;
	m = ct_in_range(c, 'a', 'f');
	v |= m & (c - 'a' + 10);
	seen |= m;
	m = ct_in_range(c, 'A', 'F');
	v |= m & (c - 'A' + 10);
	seen |= m;
	*bad |= ~seen;
	return v;
}

void uwg_key_to_hex(char out[UWG_KEY_HEX_LEN], const uint8_t key[32])
{
	unsigned i;

	for (i = 0; i < KEY_LEN; i++) {
		out[2 * i] = hex_char((uint32_t)key[i] >> 4);
		out[2 * i + 1] = hex_char((uint32_t)key[i] & 15u);
	}
	out[HEX_CHARS] = '\0';
}

bool uwg_key_from_hex(uint8_t key[32], const char *in)
{
	const unsigned char *s = (const unsigned char *)in;
	uint32_t bad = 0;
	unsigned i;

	if (strnlen(in, UWG_KEY_HEX_LEN) != HEX_CHARS) {
		uwg_memzero(key, KEY_LEN);
		return false;
	}
	for (i = 0; i < KEY_LEN; i++)
		key[i] = (uint8_t)(hex_value(s[2 * i], &bad) << 4 | hex_value(s[2 * i + 1], &bad));
	if (bad) {
		uwg_memzero(key, KEY_LEN);
		return false;
	}
	return true;
}
