/*
 * crypto/crypto.c - the library's start-up (see crypto.h). Any thread.
 */
#include "crypto/crypto.h"

#include <errno.h>
#include <sodium.h>

#include "crypto/aead.h"

int uwg_crypto_init(void)
{
	/* 1 means another caller already initialised the library: still success. */
	if (sodium_init() < 0)
		return -EIO;
	uwg_aead_setup();
	return 0;
}
