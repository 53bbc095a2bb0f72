/*
 * bench/micro_crypto.c - single-thread crypto ceilings: ChaCha20-Poly1305 seal/open of 1420-
 * and 64-byte packets through uwg's crypto/aead.h, raw libsodium and (when built with
 * -DBENCH_HAVE_OPENSSL) OpenSSL EVP; BLAKE2s through crypto/blake2s.h (OpenSSL's BLAKE2s-256
 * for comparison); X25519 DH through crypto/x25519.h. Prints one JSON object per line on
 * stdout (bench/summarize.py reads them). Single-threaded; not part of the daemon.
 *
 * Usage: micro_crypto [SECONDS_PER_POINT] [RUNS]   (defaults 1.0 and 3)
 */
#include <sodium.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "crypto/aead.h"
#include "crypto/blake2s.h"
#include "crypto/crypto.h"
#include "crypto/ct.h"
#include "crypto/x25519.h"

#ifdef BENCH_HAVE_OPENSSL
#include <openssl/evp.h>
#include <openssl/opensslv.h>
#endif

enum { MAX_LEN = 8192, MAX_RUNS = 15 };

/* One benchmark: does n operations on len bytes. */
struct bench_case {
	const char *name;
	size_t len;
	void (*fn)(size_t n, size_t len);
};

static uint8_t key[32];
static uint8_t plain[MAX_LEN];
static uint8_t sealed[MAX_LEN + 16];
static uint8_t work[MAX_LEN + 16];
static uint64_t counter;
static volatile uint8_t sink; /* keeps the compiler from dropping the work */

static double seconds_per_point = 1.0;
static int runs = 3;

static double mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void die(const char *what)
{
	fprintf(stderr, "micro_crypto: %s\n", what);
	exit(1);
}

/* WireGuard's data nonce: four zero bytes, then the little-endian counter. */
static void wg_nonce(uint8_t nonce[12], uint64_t c)
{
	memset(nonce, 0, 4);
	for (int i = 0; i < 8; i++)
		nonce[4 + i] = (uint8_t)(c >> (8 * i));
}

static void uwg_seal(size_t n, size_t len)
{
	for (size_t i = 0; i < n; i++) {
		uwg_aead_encrypt(work, plain, len, NULL, 0, counter++, key);
		sink ^= work[len];
	}
}

static void uwg_open(size_t n, size_t len)
{
	for (size_t i = 0; i < n; i++) {
		if (!uwg_aead_decrypt(work, sealed, len + 16, NULL, 0, 0, key))
			die("uwg_aead_decrypt rejected a valid packet");
		sink ^= work[0];
	}
}

static void sodium_seal(size_t n, size_t len)
{
	uint8_t nonce[12];
	unsigned long long clen;

	for (size_t i = 0; i < n; i++) {
		wg_nonce(nonce, counter++);
		crypto_aead_chacha20poly1305_ietf_encrypt(work, &clen, plain, len, NULL, 0, NULL,
							  nonce, key);
		sink ^= work[len];
	}
}

static void sodium_open(size_t n, size_t len)
{
	uint8_t nonce[12];
	unsigned long long mlen;

	for (size_t i = 0; i < n; i++) {
		wg_nonce(nonce, 0);
		if (crypto_aead_chacha20poly1305_ietf_decrypt(work, &mlen, NULL, sealed, len + 16,
							      NULL, 0, nonce, key) != 0)
			die("libsodium rejected a valid packet");
		sink ^= work[0];
	}
}

static void blake2s_uwg(size_t n, size_t len)
{
	uint8_t out[32];

	for (size_t i = 0; i < n; i++) {
		plain[0] = (uint8_t)i;
		uwg_blake2s(out, sizeof(out), NULL, 0, plain, len);
		sink ^= out[0];
	}
}

static void blake2b_sodium(size_t n, size_t len)
{
	uint8_t out[32];

	for (size_t i = 0; i < n; i++) {
		plain[0] = (uint8_t)i;
		crypto_generichash(out, sizeof(out), plain, len, NULL, 0);
		sink ^= out[0];
	}
}

static uint8_t dh_priv[32], dh_pub[32];

static void x25519_uwg(size_t n, size_t len)
{
	uint8_t out[32];

	(void)len;
	for (size_t i = 0; i < n; i++) {
		if (!uwg_x25519(out, dh_priv, dh_pub))
			die("uwg_x25519 failed");
		sink ^= out[0]; /* X25519 is constant time: one fixed point is representative */
	}
}

#ifdef BENCH_HAVE_OPENSSL
static EVP_CIPHER_CTX *ossl_enc, *ossl_dec;
static EVP_MD_CTX *ossl_md;

static void ossl_seal(size_t n, size_t len)
{
	uint8_t nonce[12];
	int outl, finl;

	for (size_t i = 0; i < n; i++) {
		wg_nonce(nonce, counter++);
		if (EVP_EncryptInit_ex(ossl_enc, NULL, NULL, NULL, nonce) != 1 ||
		    EVP_EncryptUpdate(ossl_enc, work, &outl, plain, (int)len) != 1 ||
		    EVP_EncryptFinal_ex(ossl_enc, work + outl, &finl) != 1 ||
		    EVP_CIPHER_CTX_ctrl(ossl_enc, EVP_CTRL_AEAD_GET_TAG, 16, work + len) != 1)
			die("OpenSSL seal failed");
		sink ^= work[len];
	}
}

static void ossl_open(size_t n, size_t len)
{
	uint8_t nonce[12];
	int outl, finl;

	for (size_t i = 0; i < n; i++) {
		wg_nonce(nonce, 0);
		if (EVP_DecryptInit_ex(ossl_dec, NULL, NULL, NULL, nonce) != 1 ||
		    EVP_DecryptUpdate(ossl_dec, work, &outl, sealed, (int)len) != 1 ||
		    EVP_CIPHER_CTX_ctrl(ossl_dec, EVP_CTRL_AEAD_SET_TAG, 16, sealed + len) != 1 ||
		    EVP_DecryptFinal_ex(ossl_dec, work + outl, &finl) != 1)
			die("OpenSSL rejected a valid packet");
		sink ^= work[0];
	}
}

static void blake2s_ossl(size_t n, size_t len)
{
	uint8_t out[32];
	unsigned int outl;

	for (size_t i = 0; i < n; i++) {
		plain[0] = (uint8_t)i;
		if (EVP_DigestInit_ex(ossl_md, EVP_blake2s256(), NULL) != 1 ||
		    EVP_DigestUpdate(ossl_md, plain, len) != 1 ||
		    EVP_DigestFinal_ex(ossl_md, out, &outl) != 1)
			die("OpenSSL BLAKE2s failed");
		sink ^= out[0];
	}
}

static void ossl_setup(void)
{
	ossl_enc = EVP_CIPHER_CTX_new();
	ossl_dec = EVP_CIPHER_CTX_new();
	ossl_md = EVP_MD_CTX_new();
	if (!ossl_enc || !ossl_dec || !ossl_md ||
	    EVP_EncryptInit_ex(ossl_enc, EVP_chacha20_poly1305(), NULL, key, NULL) != 1 ||
	    EVP_DecryptInit_ex(ossl_dec, EVP_chacha20_poly1305(), NULL, key, NULL) != 1)
		die("OpenSSL setup failed");
}
#endif

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* Runs c for about seconds_per_point, `runs` times; prints median/min/max ops per second. */
static void measure(const struct bench_case *c)
{
	double rate[MAX_RUNS];
	size_t batch = 1;
	double t0, t;

	/* Calibrate a batch of ~10 ms so the clock is read rarely. */
	for (;;) {
		t0 = mono();
		c->fn(batch, c->len);
		t = mono() - t0;
		if (t > 0.01 || batch > (SIZE_MAX >> 2))
			break;
		batch *= 2;
	}
	for (int r = 0; r < runs; r++) {
		size_t ops = 0;

		t0 = mono();
		do {
			c->fn(batch, c->len);
			ops += batch;
			t = mono() - t0;
		} while (t < seconds_per_point);
		rate[r] = (double)ops / t;
	}
	qsort(rate, (size_t)runs, sizeof(rate[0]), cmp_double);
	double med = rate[runs / 2];
	printf("{\"suite\":\"crypto\",\"name\":\"%s\",\"bytes\":%zu,\"ops_per_s\":%.0f,"
	       "\"min\":%.0f,\"max\":%.0f,\"gbit_s\":%.3f,\"ns_per_op\":%.1f,\"runs\":%d}\n",
	       c->name, c->len, med, rate[0], rate[runs - 1], med * (double)c->len * 8e-9,
	       1e9 / med, runs);
	fflush(stdout);
}

int main(int argc, char **argv)
{
	static const struct bench_case cases[] = {
		{ "aead_seal_uwg", 1420, uwg_seal },
		{ "aead_seal_sodium", 1420, sodium_seal },
		{ "aead_open_uwg", 1420, uwg_open },
		{ "aead_open_sodium", 1420, sodium_open },
		{ "aead_seal_uwg", 64, uwg_seal },
		{ "aead_seal_sodium", 64, sodium_seal },
		{ "aead_open_uwg", 64, uwg_open },
		{ "aead_open_sodium", 64, sodium_open },
#ifdef BENCH_HAVE_OPENSSL
		{ "aead_seal_openssl", 1420, ossl_seal },
		{ "aead_open_openssl", 1420, ossl_open },
		{ "aead_seal_openssl", 64, ossl_seal },
		{ "aead_open_openssl", 64, ossl_open },
#endif
		{ "blake2s_uwg", 64, blake2s_uwg },
		{ "blake2s_uwg", 1420, blake2s_uwg },
		{ "blake2s_uwg", 8192, blake2s_uwg },
#ifdef BENCH_HAVE_OPENSSL
		{ "blake2s_openssl", 64, blake2s_ossl },
		{ "blake2s_openssl", 1420, blake2s_ossl },
		{ "blake2s_openssl", 8192, blake2s_ossl },
#endif
		{ "blake2b_sodium", 8192, blake2b_sodium },
		{ "x25519_uwg", 32, x25519_uwg },
	};

	if (argc > 1)
		seconds_per_point = atof(argv[1]);
	if (argc > 2)
		runs = atoi(argv[2]);
	if (seconds_per_point <= 0 || runs < 1 || runs > MAX_RUNS) {
		fprintf(stderr, "usage: %s [SECONDS_PER_POINT > 0] [RUNS 1..%d]\n", argv[0],
			MAX_RUNS);
		return 2;
	}
	if (uwg_crypto_init() != 0)
		die("uwg_crypto_init failed");
	randombytes_buf(key, sizeof(key));
	randombytes_buf(plain, sizeof(plain));
	uwg_x25519_generate(dh_priv, dh_pub);
	uwg_x25519_generate(work, dh_pub); /* any valid public key */
	/* Sealed copies under counter 0 for the open benchmarks, checked against libsodium. */
	printf("{\"suite\":\"crypto_env\",\"uwg_aead\":\"%s\",\"sodium\":\"%s\",\"avx2\":%d,"
	       "\"avx512f\":%d,\"openssl\":\"%s\"}\n",
	       uwg_aead_impl_name(uwg_aead_selected()), sodium_version_string(),
	       sodium_runtime_has_avx2(), sodium_runtime_has_avx512f(),
#ifdef BENCH_HAVE_OPENSSL
	       OPENSSL_VERSION_TEXT
#else
	       ""
#endif
	);
#ifdef BENCH_HAVE_OPENSSL
	ossl_setup();
#endif
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct bench_case *c = &cases[i];
		uint8_t nonce[12];
		unsigned long long clen;

		uwg_aead_encrypt(sealed, plain, c->len, NULL, 0, 0, key);
		wg_nonce(nonce, 0);
		crypto_aead_chacha20poly1305_ietf_encrypt(work, &clen, plain, c->len, NULL, 0, NULL,
							  nonce, key);
		if (clen != c->len + 16 || memcmp(work, sealed, c->len + 16) != 0)
			die("uwg_aead_encrypt and libsodium disagree");
		measure(c);
	}
	uwg_memzero(key, sizeof(key));
	uwg_memzero(dh_priv, sizeof(dh_priv));
	return 0;
}
