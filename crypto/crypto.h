/*
 * crypto/crypto.h - the library's start-up: libsodium, and the data path's
 * ChaCha20-Poly1305 backend chosen once (crypto/aead.h). Call it before any
 * other crypto/ function; any thread, any number of times.
 */
#ifndef UWG_CRYPTO_CRYPTO_H
#define UWG_CRYPTO_CRYPTO_H

/* 0, or -EIO if libsodium cannot start. */
int uwg_crypto_init(void);

#endif
