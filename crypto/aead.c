/*
 * crypto/aead.c - ChaCha20-Poly1305 (RFC 7539, IETF 96-bit nonce) and
 * XChaCha20-Poly1305. libsodium's detached calls put the tag right after the
 * ciphertext, so dst == src works; OpenSSL (crypto/aead_openssl.c) is used
 * for ChaCha20-Poly1305 when built in, unless libsodium is selected. The
 * selection is a process-wide setting made before threads start (libsodium
 * until uwg_crypto_init has run). Any thread.
 */
#include "crypto/aead.h"

#include <errno.h>
#include <sodium.h>

#include "crypto/aead_openssl.h"

_Static_assert((int)UWG_AEAD_OSSL_KEY_LEN == (int)UWG_AEAD_KEY_LEN &&
		       (int)UWG_AEAD_OSSL_NONCE_LEN == (int)UWG_AEAD_NONCE_LEN &&
		       (int)UWG_AEAD_OSSL_TAG_LEN == (int)UWG_AEAD_TAG_LEN,
	       "crypto/aead_openssl.h sizes");

static bool have_openssl, set_up;
static enum uwg_aead_impl selected = UWG_AEAD_IMPL_SODIUM;

/* Once: a later uwg_crypto_init must not undo an explicit uwg_aead_select. */
void uwg_aead_setup(void)
{
	if (set_up)
		return;
	set_up = true;
	have_openssl = uwg_aead_ossl_setup();
	if (have_openssl)
		selected = UWG_AEAD_IMPL_OPENSSL;
}

int uwg_aead_select(enum uwg_aead_impl impl)
{
	if (impl == UWG_AEAD_IMPL_OPENSSL && !have_openssl)
		return -ENOTSUP;
	if (impl != UWG_AEAD_IMPL_OPENSSL && impl != UWG_AEAD_IMPL_SODIUM)
		return -EINVAL;
	selected = impl;
	return 0;
}

enum uwg_aead_impl uwg_aead_selected(void)
{
	return selected;
}

const char *uwg_aead_impl_name(enum uwg_aead_impl impl)
{
	return impl == UWG_AEAD_IMPL_OPENSSL ? "openssl" : "libsodium";
}

/* WireGuard's nonce: 4 zero bytes then the counter little-endian (protocol section 5.4.6). */
static void counter_nonce(uint8_t nonce[UWG_AEAD_NONCE_LEN], uint64_t counter)
{
	unsigned i;

	nonce[0] = 0;
	nonce[1] = 0;
	nonce[2] = 0;
	nonce[3] = 0;
	for (i = 0; i < 8; i++)
		nonce[4 + i] = (uint8_t)(counter >> (8 * i));
}

void uwg_aead_encrypt_nonce(uint8_t *dst, const uint8_t *src, size_t len, const uint8_t *ad,
			    size_t adlen, const uint8_t nonce[UWG_AEAD_NONCE_LEN],
			    const uint8_t key[UWG_AEAD_KEY_LEN])
{
	if (selected == UWG_AEAD_IMPL_OPENSSL && uwg_aead_ossl_seal(dst, src, len, ad, adlen, nonce, key))
		return;
	crypto_aead_chacha20poly1305_ietf_encrypt_detached(dst, dst + len, NULL, src, len, ad, adlen,
							   NULL, nonce, key);
}

/*
 * libsodium checks the tag over the ciphertext before writing any plaintext, so
 * in place is safe; on a forgery it zeroes dst (the ciphertext, when in place).
 */
bool uwg_aead_decrypt_nonce(uint8_t *dst, const uint8_t *src, size_t srclen, const uint8_t *ad,
			    size_t adlen, const uint8_t nonce[UWG_AEAD_NONCE_LEN],
			    const uint8_t key[UWG_AEAD_KEY_LEN])
{
	size_t len;

	if (srclen < UWG_AEAD_TAG_LEN)
		return false;
	len = srclen - UWG_AEAD_TAG_LEN;
	if (selected == UWG_AEAD_IMPL_OPENSSL) {
		int ok = uwg_aead_ossl_open(dst, src, len, ad, adlen, nonce, key);

		if (ok >= 0)
			return ok == 1;
	}
	return crypto_aead_chacha20poly1305_ietf_decrypt_detached(dst, NULL, src, len, src + len, ad,
								  adlen, nonce, key) == 0;
}

void uwg_aead_encrypt(uint8_t *dst, const uint8_t *src, size_t len, const uint8_t *ad, size_t adlen,
		      uint64_t counter, const uint8_t key[UWG_AEAD_KEY_LEN])
{
	uint8_t nonce[UWG_AEAD_NONCE_LEN];

	counter_nonce(nonce, counter);
	uwg_aead_encrypt_nonce(dst, src, len, ad, adlen, nonce, key);
}

bool uwg_aead_decrypt(uint8_t *dst, const uint8_t *src, size_t srclen, const uint8_t *ad,
		      size_t adlen, uint64_t counter, const uint8_t key[UWG_AEAD_KEY_LEN])
{
	uint8_t nonce[UWG_AEAD_NONCE_LEN];

	counter_nonce(nonce, counter);
	return uwg_aead_decrypt_nonce(dst, src, srclen, ad, adlen, nonce, key);
}

void uwg_xaead_encrypt(uint8_t *dst, const uint8_t *src, size_t len, const uint8_t *ad,
		       size_t adlen, const uint8_t nonce[UWG_XAEAD_NONCE_LEN],
		       const uint8_t key[UWG_AEAD_KEY_LEN])
{
	crypto_aead_xchacha20poly1305_ietf_encrypt_detached(dst, dst + len, NULL, src, len, ad,
							    adlen, NULL, nonce, key);
}

bool uwg_xaead_decrypt(uint8_t *dst, const uint8_t *src, size_t srclen, const uint8_t *ad,
		       size_t adlen, const uint8_t nonce[UWG_XAEAD_NONCE_LEN],
		       const uint8_t key[UWG_AEAD_KEY_LEN])
{
	size_t len;

	if (srclen < UWG_AEAD_TAG_LEN)
		return false;
	len = srclen - UWG_AEAD_TAG_LEN;
	return crypto_aead_xchacha20poly1305_ietf_decrypt_detached(dst, NULL, src, len, src + len,
								   ad, adlen, nonce, key) == 0;
}
