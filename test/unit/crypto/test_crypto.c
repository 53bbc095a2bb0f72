/*
 * test/unit/crypto/test_crypto.c - known-answer tests for crypto/: BLAKE2s (RFC 7693
 * and the BLAKE2/kernel KAT tables), HMAC-BLAKE2s, the WireGuard KDF and
 * Noise constants, ChaCha20-Poly1305 (RFC 7539), XChaCha20-Poly1305
 * (draft-irtf-cfrg-xchacha), X25519 (RFC 7748), the constant-time helpers and
 * the key encodings, cross-checked against the installed `wg` when present.
 * Single-threaded.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "crypto/aead.h"
#include "crypto/blake2s.h"
#include "crypto/crypto.h"
#include "crypto/ct.h"
#include "crypto/encoding.h"
#include "crypto/x25519.h"
#include "test/harness.h"
#include "test/vectors/blake2s_kat.h"

static uint8_t seq_buf[1024];

/* 00 01 02 .. wrapping, the input of every KAT table. */
static const uint8_t *counting_bytes(void)
{
	static uint8_t buf[256];

	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = (uint8_t)i;
	return buf;
}

/* Fibonacci key of the kernel selftest: k0 = k1 = 1, k[n] = k[n-2] + k[n-1] mod 256. */
static void fibonacci_key(uint8_t key[32])
{
	key[0] = key[1] = 1;
	for (size_t i = 2; i < 32; i++)
		key[i] = (uint8_t)(key[i - 2] + key[i - 1]);
}

static void test_blake2s_abc(void)
{
	uint8_t want[32], got[32];

	harness_unhex(want, sizeof(want),
		      "508c5e8c327c14e2e1a72ba34eeb452f37458b209ed63a294d999b4c86675982");
	uwg_blake2s(got, 32, NULL, 0, (const uint8_t *)"abc", 3);
	CHECK_MEM_EQ(got, want, 32);
}

/* RFC 7693 Appendix E: the deterministic input generator of the self-test. */
static void selftest_seq(uint8_t *out, size_t len, uint32_t seed)
{
	uint32_t t, a = 0xDEAD4BADu * seed, b = 1;

	for (size_t i = 0; i < len; i++) {
		t = a + b;
		a = b;
		b = t;
		out[i] = (uint8_t)(t >> 24);
	}
}

static void test_blake2s_rfc7693_selftest(void)
{
	static const size_t md_len[4] = { 16, 20, 28, 32 };
	static const size_t in_len[6] = { 0, 3, 64, 65, 255, 1024 };
	uint8_t md[32], key[32], want[32];
	struct uwg_blake2s ctx;

	harness_unhex(want, sizeof(want),
		      "6a411f08ce25adcdfb02aba641451cec53c598b24f4fc787fbdc88797f4c1dfe");
	uwg_blake2s_init(&ctx, 32);
	for (size_t i = 0; i < 4; i++) {
		size_t outlen = md_len[i];

		for (size_t j = 0; j < 6; j++) {
			size_t inlen = in_len[j];

			selftest_seq(seq_buf, inlen, (uint32_t)inlen);
			uwg_blake2s(md, outlen, NULL, 0, seq_buf, inlen);
			uwg_blake2s_update(&ctx, md, outlen);
			selftest_seq(key, outlen, (uint32_t)outlen);
			uwg_blake2s(md, outlen, key, outlen, seq_buf, inlen);
			uwg_blake2s_update(&ctx, md, outlen);
		}
	}
	uwg_blake2s_final(&ctx, md);
	CHECK_MEM_EQ(md, want, 32);
}

static void test_blake2s_kat_tables(void)
{
	const uint8_t *in = counting_bytes();
	uint8_t key[32], fib[32], want[32], got[32];
	unsigned bad_unkeyed = 0, bad_keyed = 0, bad_var = 0, bad_stream = 0;
	struct uwg_blake2s s;

	for (size_t i = 0; i < 32; i++)
		key[i] = (uint8_t)i;
	fibonacci_key(fib);

	for (size_t i = 0; i < 256; i++) {
		harness_unhex(want, sizeof(want), blake2s_kat_unkeyed[i]);
		uwg_blake2s(got, 32, NULL, 0, in, i);
		if (memcmp(got, want, 32))
			bad_unkeyed++;

		/* Same input fed in odd pieces: exercises the buffer boundary logic. */
		uwg_blake2s_init(&s, 32);
		for (size_t off = 0, step = 1; off < i; off += step, step = step * 3 % 67 + 1)
			uwg_blake2s_update(&s, in + off, off + step > i ? i - off : step);
		uwg_blake2s_final(&s, got);
		if (memcmp(got, want, 32))
			bad_stream++;

		harness_unhex(want, sizeof(want), blake2s_kat_keyed[i]);
		uwg_blake2s(got, 32, key, 32, in, i);
		if (memcmp(got, want, 32))
			bad_keyed++;

		/* Kernel table: any outlen and keylen; also split at a moving point. */
		size_t outlen = 1 + i % 32, keylen = (13 * i) % 33;
		size_t n = harness_unhex(want, sizeof(want), blake2s_kat_varlen[i]);
		const uint8_t *k = fib + 32 - keylen;
		size_t split = (i * 37) % (i + 1);

		if (n != outlen)
			bad_var++;
		memset(got, 0xa5, sizeof(got));
		uwg_blake2s(got, outlen, keylen ? k : NULL, keylen, in, i);
		if (memcmp(got, want, outlen) || (outlen < 32 && got[outlen] != 0xa5))
			bad_var++; /* and nothing past outlen is written */
		uwg_blake2s_init_key(&s, outlen, keylen ? k : NULL, keylen);
		uwg_blake2s_update(&s, in, split);
		uwg_blake2s_update(&s, in + split, i - split);
		uwg_blake2s_final(&s, got);
		if (memcmp(got, want, outlen))
			bad_var++;
	}
	CHECK_EQ_U64(bad_unkeyed, 0);
	CHECK_EQ_U64(bad_stream, 0);
	CHECK_EQ_U64(bad_keyed, 0);
	CHECK_EQ_U64(bad_var, 0);
	/* Spot checks that print the bytes if something is off. */
	harness_unhex(want, sizeof(want), blake2s_kat_keyed[255]);
	uwg_blake2s(got, 32, key, 32, in, 255);
	CHECK_MEM_EQ(got, want, 32);
	harness_unhex(want, sizeof(want), blake2s_kat_unkeyed[0]);
	uwg_blake2s(got, 32, NULL, 0, NULL, 0);
	CHECK_MEM_EQ(got, want, 32);
}

static void test_blake2s_state_wiped(void)
{
	struct uwg_blake2s s, zero;
	uint8_t out[32], key[32];

	memset(key, 0x42, sizeof(key));
	memset(&zero, 0, sizeof(zero));
	uwg_blake2s_init_key(&s, 32, key, 32);
	uwg_blake2s_update(&s, (const uint8_t *)"secret", 6);
	uwg_blake2s_final(&s, out);
	CHECK(memcmp(&s, &zero, sizeof(s)) == 0);
}

/* MAC(k, x) is keyed BLAKE2s with outlen 16 in the parameter block, not a truncated 32. */
static void test_blake2s_outlen16_not_truncation(void)
{
	uint8_t key[32] = { 0 }, mac16[16], mac32[32], pre16[4], pre32[4];

	uwg_blake2s(mac16, 16, key, 32, (const uint8_t *)"x", 1);
	uwg_blake2s(mac32, 32, key, 32, (const uint8_t *)"x", 1);
	harness_unhex(pre16, sizeof(pre16), "12bdbc99");
	harness_unhex(pre32, sizeof(pre32), "1aa8a585");
	CHECK_MEM_EQ(mac16, pre16, 4);
	CHECK_MEM_EQ(mac32, pre32, 4);
	CHECK(memcmp(mac16, mac32, 16) != 0);
}

static void test_hmac(void)
{
	const uint8_t *in = counting_bytes();
	uint8_t fib[32], want[32], got[32];

	fibonacci_key(fib);
	harness_unhex(want, sizeof(want), blake2s_kat_hmac[0]);
	uwg_blake2s_hmac(got, fib, sizeof(fib), in, 256);
	CHECK_MEM_EQ(got, want, 32);
	/* A 256-byte key is longer than a block and must be hashed first. */
	harness_unhex(want, sizeof(want), blake2s_kat_hmac[1]);
	uwg_blake2s_hmac(got, in, 256, fib, sizeof(fib));
	CHECK_MEM_EQ(got, want, 32);
}

static void test_kdf(void)
{
	/* wireguard-go device/kdf_test.go (first three) and wireguard-rs noise.rs hkdf() (last). */
	static const struct {
		const char *key, *input, *t1, *t2, *t3;
	} v[] = {
		{ "746573742d6b6579", "746573742d696e707574",
		  "6f0e5ad38daba1bea8a0d213688736f19763239305e0f58aba697f9ffc41c633",
		  "df1194df20802a4fe594cde27e92991c8cae66c366e8106aaa937a55fa371e8a",
		  "fac6e2745a325f5dc5d11a5b165aad08b0ada28e7b4e666b7c077934a4d76c24" },
		{ "776972656775617264", "776972656775617264",
		  "491d43bbfdaa8750aaf535e334ecbfe5129967cd64635101c566d4caefda96e8",
		  "1e71a379baefd8a79aa4662212fcafe19a23e2b609a3db7d6bcba8f560e3d25f",
		  "31e1ae48bddfbe5de38f295e5452b1909a1b4e38e183926af3780b0c1e1f0160" },
		{ "", "", "8387b46bf43eccfcf349552a095d8315c4055beb90208fb1be23b894bc2ed5d0",
		  "58a0e5f6faefccf4807bff1f05fa8a9217945762040bcec2f4b4a62bdfe0e86e",
		  "0ce6ea98ec548f8e281e93e32db65621c45eb18dc6f0a7ad94178610a2f7338e" },
		{ "deadbeef", "", "55329dc80e690fd86bd9661f0851c9b3686df2b1fda0347bc3d27958254b32c6",
		  "8dfc6d33a8118ffe408b31ddac25f72aee9115a45b69ba176ad012b243834fee",
		  "d69e852a2896569ea54a67969aa1800287921dac53ce6db4b4e12192f263c4c4" },
	};

	for (size_t i = 0; i < ARRAY_SIZE(v); i++) {
		uint8_t key[32] = { 0 }, input[16], t1[32], t2[32], t3[32], w1[32], w2[32], w3[32];
		uint8_t ck[32], a[32], b[32], c[32];
		size_t inlen = harness_unhex(input, sizeof(input), v[i].input);

		harness_unhex(key, sizeof(key), v[i].key);
		harness_unhex(w1, 32, v[i].t1);
		harness_unhex(w2, 32, v[i].t2);
		harness_unhex(w3, 32, v[i].t3);
		/*
		 * These vectors key the HMAC with a short key; uwg_kdf always takes a
		 * 32-byte chaining key, and HMAC zero-pads keys to the block, so the
		 * zero-padded 32-byte key gives the same result.
		 */
		uwg_kdf(t1, t2, t3, key, input, inlen);
		CHECK_MEM_EQ(t1, w1, 32);
		CHECK_MEM_EQ(t2, w2, 32);
		CHECK_MEM_EQ(t3, w3, 32);
		memset(t1, 0, 32);
		memset(t2, 0, 32);
		uwg_kdf(t1, t2, NULL, key, input, inlen);
		CHECK_MEM_EQ(t1, w1, 32);
		CHECK_MEM_EQ(t2, w2, 32);
		memset(t1, 0, 32);
		uwg_kdf(t1, NULL, NULL, key, input, inlen);
		CHECK_MEM_EQ(t1, w1, 32);

		/* C = KDF(C, ...): the outputs may alias the chaining key. */
		memcpy(ck, key, 32);
		uwg_kdf(ck, a, NULL, ck, input, inlen);
		CHECK_MEM_EQ(ck, w1, 32);
		CHECK_MEM_EQ(a, w2, 32);
		memcpy(ck, key, 32);
		uwg_kdf(b, c, ck, ck, input, inlen);
		CHECK_MEM_EQ(b, w1, 32);
		CHECK_MEM_EQ(c, w2, 32);
		CHECK_MEM_EQ(ck, w3, 32);
	}
}

static void test_noise_constants(void)
{
	static const char construction[] = "Noise_IKpsk2_25519_ChaChaPoly_BLAKE2s";
	static const char identifier[] = "WireGuard v1 zx2c4 Jason@zx2c4.com";
	uint8_t c0[32], h0[32], want_c0[32], want_h0[32];
	struct uwg_blake2s s;

	harness_unhex(want_c0, 32, "60e26daef327efc02ec335e2a025d2d016eb4206f87277f52d38d1988b78cd36");
	harness_unhex(want_h0, 32, "2211b361081ac566691243db458ad5322d9c6c662293e8b70ee19c65ba079ef3");
	uwg_blake2s(c0, 32, NULL, 0, (const uint8_t *)construction, sizeof(construction) - 1);
	CHECK_MEM_EQ(c0, want_c0, 32);
	uwg_blake2s_init(&s, 32);
	uwg_blake2s_update(&s, c0, 32);
	uwg_blake2s_update(&s, (const uint8_t *)identifier, sizeof(identifier) - 1);
	uwg_blake2s_final(&s, h0);
	CHECK_MEM_EQ(h0, want_h0, 32);
}

static const char ladies[] = "Ladies and Gentlemen of the class of '99: If I could offer you only "
			     "one tip for the future, sunscreen would be it.";

static void test_aead_rfc7539(void)
{
	uint8_t key[32], nonce[12], ad[12], want[114 + 16], buf[114 + 16], pt[114];
	const size_t len = sizeof(ladies) - 1;

	CHECK_EQ_U64(len, 114);
	harness_unhex(key, 32, "808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f");
	harness_unhex(nonce, 12, "070000004041424344454647");
	harness_unhex(ad, 12, "50515253c0c1c2c3c4c5c6c7");
	harness_unhex(want, sizeof(want),
		      "d31a8d34648e60db7b86afbc53ef7ec2a4aded51296e08fea9e2b5a736ee62d6"
		      "3dbea45e8ca9671282fafb69da92728b1a71de0a9e060b2905d6a5b67ecd3b36"
		      "92ddbd7f2d778b8c9803aee328091b58fab324e4fad675945585808b4831d7bc"
		      "3ff4def08e4b7a9de576d26586cec64b6116"
		      "1ae10b594f09e26a7e902ecbd0600691");

	uwg_aead_encrypt_nonce(buf, (const uint8_t *)ladies, len, ad, sizeof(ad), nonce, key);
	CHECK_MEM_EQ(buf, want, len + 16);
	CHECK(uwg_aead_decrypt_nonce(pt, buf, len + 16, ad, sizeof(ad), nonce, key));
	CHECK_MEM_EQ(pt, ladies, len);

	/* In place, both ways. */
	memcpy(buf, ladies, len);
	uwg_aead_encrypt_nonce(buf, buf, len, ad, sizeof(ad), nonce, key);
	CHECK_MEM_EQ(buf, want, len + 16);
	CHECK(uwg_aead_decrypt_nonce(buf, buf, len + 16, ad, sizeof(ad), nonce, key));
	CHECK_MEM_EQ(buf, ladies, len);
}

/* RFC 7539 A.5: its nonce is 4 zero bytes then 01..08, i.e. WireGuard's counter form. */
static void test_aead_rfc7539_a5_counter(void)
{
	static uint8_t ct[265 + 16], pt[265], buf[265 + 16];
	uint8_t key[32], ad[12];
	const uint64_t counter = 0x0807060504030201ull;

	harness_unhex(key, 32, "1c9240a5eb55d38af333888604f6b5f0473917c1402b80099dca5cbc207075c0");
	harness_unhex(ad, 12, "f33388860000000000004e91");
	CHECK_EQ_U64(harness_unhex(ct, sizeof(ct),
		"64a0861575861af460f062c79be643bd5e805cfd345cf389f108670ac76c8cb2"
		"4c6cfc18755d43eea09ee94e382d26b0bdb7b73c321b0100d4f03b7f355894cf"
		"332f830e710b97ce98c8a84abd0b948114ad176e008d33bd60f982b1ff37c855"
		"9797a06ef4f0ef61c186324e2b3506383606907b6a7c02b0f9f6157b53c867e4"
		"b9166c767b804d46a59b5216cde7a4e99040c5a40433225ee282a1b0a06c523e"
		"af4534d7f83fa1155b0047718cbc546a0d072b04b3564eea1b422273f548271a"
		"0bb2316053fa76991955ebd63159434ecebb4e466dae5a1073a6727627097a10"
		"49e617d91d361094fa68f0ff77987130305beaba2eda04df997b714d6c6f2c29"
		"a6ad5cb4022b02709b"
		"eead9d67890cbb22392336fea1851f38"), sizeof(ct));
	CHECK_EQ_U64(harness_unhex(pt, sizeof(pt),
		"496e7465726e65742d4472616674732061726520647261667420646f63756d65"
		"6e74732076616c696420666f722061206d6178696d756d206f6620736978206d"
		"6f6e74687320616e64206d617920626520757064617465642c207265706c6163"
		"65642c206f72206f62736f6c65746564206279206f7468657220646f63756d65"
		"6e747320617420616e792074696d652e20497420697320696e617070726f7072"
		"6961746520746f2075736520496e7465726e65742d4472616674732061732072"
		"65666572656e6365206d6174657269616c206f7220746f206369746520746865"
		"6d206f74686572207468616e206173202fe2809c776f726b20696e2070726f67"
		"726573732e2fe2809d"), sizeof(pt));

	memset(buf, 0, sizeof(buf));
	CHECK(uwg_aead_decrypt(buf, ct, sizeof(ct), ad, sizeof(ad), counter, key));
	CHECK_MEM_EQ(buf, pt, sizeof(pt));
	uwg_aead_encrypt(buf, pt, sizeof(pt), ad, sizeof(ad), counter, key);
	CHECK_MEM_EQ(buf, ct, sizeof(ct));
	/* The counter is little-endian: the byte-swapped counter must not open it. */
	CHECK(!uwg_aead_decrypt(buf, ct, sizeof(ct), ad, sizeof(ad), 0x0102030405060708ull, key));
}

static void test_aead_roundtrip_and_tamper(void)
{
	static uint8_t msg[1500], buf[1500 + 16], copy[1500 + 16];
	uint8_t key[32], ad[32], nonce[12] = { 0 };
	const size_t len = sizeof(msg);
	const uint64_t counter = 0x1122334455667788ull;

	uwg_random_bytes(key, sizeof(key));
	uwg_random_bytes(ad, sizeof(ad));
	uwg_random_bytes(msg, sizeof(msg));

	/* Counter form == explicit nonce 00 00 00 00 || LE64(counter). */
	for (size_t i = 0; i < 8; i++)
		nonce[4 + i] = (uint8_t)(counter >> (8 * i));
	uwg_aead_encrypt(buf, msg, len, ad, sizeof(ad), counter, key);
	uwg_aead_encrypt_nonce(copy, msg, len, ad, sizeof(ad), nonce, key);
	CHECK_MEM_EQ(buf, copy, len + 16);

	memcpy(buf, msg, len);
	uwg_aead_encrypt(buf, buf, len, ad, sizeof(ad), counter, key);
	CHECK_MEM_EQ(buf, copy, len + 16);
	CHECK(uwg_aead_decrypt(buf, buf, len + 16, ad, sizeof(ad), counter, key));
	CHECK_MEM_EQ(buf, msg, len);

	/* Any flipped bit, in ciphertext, tag or AD, or a wrong counter or key, is refused. */
	bool any_accepted = false;
	for (size_t pos = 0; pos < len + 16; pos += 97) {
		memcpy(buf, copy, len + 16);
		buf[pos] ^= (uint8_t)(1u << (pos % 8));
		if (uwg_aead_decrypt(buf, buf, len + 16, ad, sizeof(ad), counter, key))
			any_accepted = true;
	}
	memcpy(buf, copy, len + 16);
	buf[len + 15] ^= 0x80;
	any_accepted |= uwg_aead_decrypt(msg, buf, len + 16, ad, sizeof(ad), counter, key);
	CHECK(!any_accepted);
	/* On a forgery the plaintext buffer holds no plaintext. */
	CHECK(uwg_is_zero(msg, len));
	uwg_random_bytes(msg, sizeof(msg));
	uwg_aead_encrypt(copy, msg, len, ad, sizeof(ad), counter, key);
	ad[0] ^= 1;
	CHECK(!uwg_aead_decrypt(buf, copy, len + 16, ad, sizeof(ad), counter, key));
	ad[0] ^= 1;
	CHECK(!uwg_aead_decrypt(buf, copy, len + 16, ad, sizeof(ad), counter + 1, key));
	key[3] ^= 4;
	CHECK(!uwg_aead_decrypt(buf, copy, len + 16, ad, sizeof(ad), counter, key));
	key[3] ^= 4;
	CHECK(uwg_aead_decrypt(buf, copy, len + 16, ad, sizeof(ad), counter, key));
	CHECK(!uwg_aead_decrypt(buf, copy, len + 15, ad, sizeof(ad), counter, key));

	/* Empty plaintext (WireGuard's keepalive and the handshake's empty field). */
	uwg_aead_encrypt(buf, NULL, 0, NULL, 0, 0, key);
	CHECK(uwg_aead_decrypt(copy, buf, 16, NULL, 0, 0, key));
	CHECK(!uwg_aead_decrypt(copy, buf, 15, NULL, 0, 0, key));
	CHECK(!uwg_aead_decrypt(copy, buf, 0, NULL, 0, 0, key));
	buf[0] ^= 1;
	CHECK(!uwg_aead_decrypt(copy, buf, 16, NULL, 0, 0, key));
}

/* draft-irtf-cfrg-xchacha-03 appendix A.3.1. */
/*
 * Both ChaCha20-Poly1305 implementations produce the same bytes and open each
 * other's output, at every length around the 64-byte block and 16-byte
 * Poly1305 boundaries, with and without AD, in place and not.
 */
static void test_aead_impls_agree(void)
{
	static uint8_t msg[2100], a[2100 + 16], b[2100 + 16], pt[2100];
	uint8_t key[32], ad[40];
	unsigned mismatches = 0, refused = 0;

	if (uwg_aead_select(UWG_AEAD_IMPL_OPENSSL) < 0) {
		printf("test_crypto: OpenSSL not built in, cross-check skipped\n");
		return;
	}
	for (size_t len = 0; len <= 2100; len += len < 300 ? 1 : 61) {
		size_t adlen = len % 3 == 0 ? 0 : len % (sizeof(ad) + 1);
		uint64_t counter = (uint64_t)len * 0x9e3779b97f4a7c15ull;

		uwg_random_bytes(key, sizeof(key));
		uwg_random_bytes(ad, sizeof(ad));
		uwg_random_bytes(msg, len);
		uwg_aead_select(UWG_AEAD_IMPL_OPENSSL);
		uwg_aead_encrypt(a, msg, len, ad, adlen, counter, key);
		uwg_aead_select(UWG_AEAD_IMPL_SODIUM);
		memcpy(b, msg, len);
		uwg_aead_encrypt(b, b, len, ad, adlen, counter, key);
		mismatches += memcmp(a, b, len + 16) != 0;
		refused += !uwg_aead_decrypt(pt, a, len + 16, ad, adlen, counter, key);
		mismatches += memcmp(pt, msg, len) != 0;
		uwg_aead_select(UWG_AEAD_IMPL_OPENSSL);
		refused += !uwg_aead_decrypt(b, b, len + 16, ad, adlen, counter, key);
		mismatches += memcmp(b, msg, len) != 0;
	}
	CHECK_EQ_U64(mismatches, 0);
	CHECK_EQ_U64(refused, 0);
}

static void test_xaead_draft_vector(void)
{
	uint8_t key[32], nonce[24], ad[12], want[114 + 16], buf[114 + 16], pt[114];
	const size_t len = sizeof(ladies) - 1;

	harness_unhex(key, 32, "808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f");
	harness_unhex(nonce, 24, "404142434445464748494a4b4c4d4e4f5051525354555657");
	harness_unhex(ad, 12, "50515253c0c1c2c3c4c5c6c7");
	harness_unhex(want, sizeof(want),
		      "bd6d179d3e83d43b9576579493c0e939572a1700252bfaccbed2902c21396cbb"
		      "731c7f1b0b4aa6440bf3a82f4eda7e39ae64c6708c54c216cb96b72e1213b452"
		      "2f8c9ba40db5d945b11b69b982c1bb9e3f3fac2bc369488f76b2383565d3fff9"
		      "21f9664c97637da9768812f615c68b13b52e"
		      "c0875924c1c7987947deafd8780acf49");

	uwg_xaead_encrypt(buf, (const uint8_t *)ladies, len, ad, sizeof(ad), nonce, key);
	CHECK_MEM_EQ(buf, want, len + 16);
	CHECK(uwg_xaead_decrypt(pt, buf, len + 16, ad, sizeof(ad), nonce, key));
	CHECK_MEM_EQ(pt, ladies, len);
	CHECK(uwg_xaead_decrypt(buf, buf, len + 16, ad, sizeof(ad), nonce, key));
	CHECK_MEM_EQ(buf, ladies, len);

	memcpy(buf, want, sizeof(want));
	buf[5] ^= 0x10;
	CHECK(!uwg_xaead_decrypt(pt, buf, len + 16, ad, sizeof(ad), nonce, key));
	nonce[23] ^= 1;
	CHECK(!uwg_xaead_decrypt(pt, want, len + 16, ad, sizeof(ad), nonce, key));
	nonce[23] ^= 1;
	CHECK(!uwg_xaead_decrypt(pt, want, len + 16, NULL, 0, nonce, key));
	CHECK(!uwg_xaead_decrypt(pt, want, 15, ad, sizeof(ad), nonce, key));
}

static void test_x25519_rfc7748(void)
{
	uint8_t a[32], b[32], apub[32], bpub[32], want_a[32], want_b[32], want_k[32];
	uint8_t k1[32], k2[32], acopy[32];

	/* Section 6.1. */
	harness_unhex(a, 32, "77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a");
	harness_unhex(want_a, 32, "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a");
	harness_unhex(b, 32, "5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb");
	harness_unhex(want_b, 32, "de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f");
	harness_unhex(want_k, 32, "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742");
	memcpy(acopy, a, 32);
	CHECK(uwg_x25519_public(apub, a));
	CHECK_MEM_EQ(apub, want_a, 32);
	CHECK_MEM_EQ(a, acopy, 32); /* the input is not clamped in place */
	CHECK(uwg_x25519_public(bpub, b));
	CHECK_MEM_EQ(bpub, want_b, 32);
	CHECK(uwg_x25519(k1, a, bpub));
	CHECK_MEM_EQ(k1, want_k, 32);
	CHECK(uwg_x25519(k2, b, apub));
	CHECK_MEM_EQ(k2, want_k, 32);
	/* Clamped storage form gives the same keys. */
	uwg_x25519_clamp(a);
	CHECK(uwg_x25519_public(k1, a));
	CHECK_MEM_EQ(k1, want_a, 32);
	CHECK(uwg_x25519(k1, a, bpub));
	CHECK_MEM_EQ(k1, want_k, 32);

	/* Section 5.2 scalar multiplications (the second u has its top bit set). */
	static const struct {
		const char *k, *u, *out;
	} v[] = {
		{ "a546e36bf0527c9d3b16154b82465edd62144c0ac1fc5a18506a2244ba449ac4",
		  "e6db6867583030db3594c1a424b15f7c726624ec26b3353b10a903a6d0ab1c4c",
		  "c3da55379de9c6908e94ea4df28d084f32eccf03491c71f754b4075577a28552" },
		{ "4b66e9d4d1b4673c5ad22691957d6af5c11b6421e0ea01d42ca4169e7918ba0d",
		  "e5210f12786811d3f4b7959d0538ae2c31dbe7106fc03c3efc4cd549c715a493",
		  "95cbde9476e8907d7aade45cb4b873f88b595a68799fa152e6f8f7647aac7957" },
	};
	for (size_t i = 0; i < ARRAY_SIZE(v); i++) {
		uint8_t k[32], u[32], want[32], out[32];

		harness_unhex(k, 32, v[i].k);
		harness_unhex(u, 32, v[i].u);
		harness_unhex(want, 32, v[i].out);
		CHECK(uwg_x25519(out, k, u));
		CHECK_MEM_EQ(out, want, 32);
	}

	/* Section 5.2 iteration: k = u = 9; (k, u) = (X25519(k, u), k), after 1 and 1000 rounds. */
	uint8_t k[32] = { 9 }, u[32] = { 9 }, r[32], w1[32], w1000[32];
	harness_unhex(w1, 32, "422c8e7a6227d7bca1350b3e2bb7279f7897b87bb6854b783c60e80311ae3079");
	harness_unhex(w1000, 32, "684cf59ba83309552800ef566f2f4d3c1c3887c49360e3875f2eb94d99532c51");
	bool all_ok = true;
	for (int i = 1; i <= 1000; i++) {
		all_ok &= uwg_x25519(r, k, u);
		memcpy(u, k, 32);
		memcpy(k, r, 32);
		if (i == 1)
			CHECK_MEM_EQ(k, w1, 32);
	}
	CHECK(all_ok);
	CHECK_MEM_EQ(k, w1000, 32);
}

static void test_x25519_low_order(void)
{
	/* u = 0, 1, p - 1 and p (non-canonical 0), and a point of order 8. */
	static const char *const low[] = {
		"0000000000000000000000000000000000000000000000000000000000000000",
		"0100000000000000000000000000000000000000000000000000000000000000",
		"ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
		"edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
		"e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800",
	};
	uint8_t priv[32], pub[32], out[32];

	uwg_random_bytes(priv, sizeof(priv));
	uwg_x25519_clamp(priv);
	for (size_t i = 0; i < ARRAY_SIZE(low); i++) {
		harness_unhex(pub, 32, low[i]);
		memset(out, 0xee, sizeof(out));
		CHECK(!uwg_x25519(out, priv, pub));
		CHECK(uwg_is_zero(out, sizeof(out)));
	}
}

static void test_x25519_keys(void)
{
	uint8_t key[32], want[32], priv[32], pub[32], priv2[32], pub2[32], check[32];
	uint8_t s1[32], s2[32];

	memset(key, 0xff, sizeof(key));
	uwg_x25519_clamp(key);
	memset(want, 0xff, sizeof(want));
	want[0] = 0xf8;
	want[31] = 0x7f;
	CHECK_MEM_EQ(key, want, 32);
	memset(key, 0, sizeof(key));
	uwg_x25519_clamp(key);
	memset(want, 0, sizeof(want));
	want[31] = 0x40;
	CHECK_MEM_EQ(key, want, 32);

	uwg_x25519_generate(priv, pub);
	uwg_x25519_generate(priv2, pub2);
	CHECK((priv[0] & 7) == 0 && (priv[31] & 0xc0) == 0x40);
	CHECK(uwg_x25519_public(check, priv));
	CHECK_MEM_EQ(check, pub, 32);
	CHECK(!uwg_memeq(priv, priv2, 32));
	CHECK(uwg_x25519(s1, priv, pub2));
	CHECK(uwg_x25519(s2, priv2, pub));
	CHECK_MEM_EQ(s1, s2, 32);
	/* out may alias an input. */
	memcpy(check, pub2, 32);
	CHECK(uwg_x25519(check, priv, check));
	CHECK_MEM_EQ(check, s1, 32);
}

static void test_ct_helpers(void)
{
	uint8_t a[64], b[64], z[64] = { 0 };
	unsigned seen = 0, out_of_range = 0;

	CHECK_EQ_INT(uwg_crypto_init(), 0); /* a second call is still success */
	memset(a, 0x5a, sizeof(a));
	memcpy(b, a, sizeof(b));
	CHECK(uwg_memeq(a, b, sizeof(a)));
	b[63] ^= 1;
	CHECK(!uwg_memeq(a, b, sizeof(a)));
	CHECK(uwg_memeq(a, b, 63));
	CHECK(uwg_is_zero(z, sizeof(z)));
	z[40] = 1;
	CHECK(!uwg_is_zero(z, sizeof(z)));
	uwg_memzero(a, sizeof(a));
	z[40] = 0;
	CHECK_MEM_EQ(a, z, sizeof(a));

	uwg_random_bytes(a, sizeof(a));
	uwg_random_bytes(b, sizeof(b));
	CHECK(!uwg_memeq(a, b, sizeof(a)));
	for (int i = 0; i < 2000; i++) {
		uint32_t r = uwg_random_uniform(8);

		if (r >= 8)
			out_of_range++;
		else
			seen |= 1u << r;
	}
	CHECK_EQ_U64(out_of_range, 0);
	CHECK_EQ_U64(seen, 0xff);
	CHECK_EQ_U64(uwg_random_uniform(1), 0);
}

/* Plain table-driven reference encoders: fine in a test, never in crypto/. */
static const char ref_b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static void ref_base64(char out[45], const uint8_t key[32])
{
	size_t o = 0;

	for (size_t i = 0; i < 32; i += 3) {
		uint32_t w = (uint32_t)key[i] << 16;

		if (i + 1 < 32)
			w |= (uint32_t)key[i + 1] << 8;
		if (i + 2 < 32)
			w |= key[i + 2];
		out[o++] = ref_b64[w >> 18 & 63];
		out[o++] = ref_b64[w >> 12 & 63];
		out[o++] = i + 1 < 32 ? ref_b64[w >> 6 & 63] : '=';
		out[o++] = i + 2 < 32 ? ref_b64[w & 63] : '=';
	}
	out[o] = '\0';
}

static void test_encoding(void)
{
	uint8_t key[32], back[32], zero[32] = { 0 };
	char b64[UWG_KEY_B64_LEN], ref[45], hex[UWG_KEY_HEX_LEN], refhex[65];
	unsigned bad_b64 = 0, bad_hex = 0;

	/* Every byte value lands in every position across these keys. */
	for (unsigned round = 0; round < 512; round++) {
		for (size_t i = 0; i < 32; i++)
			key[i] = (uint8_t)(round * 7 + i * 33);
		if (round >= 256)
			uwg_random_bytes(key, sizeof(key));
		uwg_key_to_base64(b64, key);
		ref_base64(ref, key);
		if (strcmp(b64, ref) || !uwg_key_from_base64(back, b64) || memcmp(back, key, 32))
			bad_b64++;
		uwg_key_to_hex(hex, key);
		for (size_t i = 0; i < 32; i++)
			snprintf(refhex + 2 * i, 3, "%02x", key[i]);
		if (strcmp(hex, refhex) || !uwg_key_from_hex(back, hex) || memcmp(back, key, 32))
			bad_hex++;
		for (size_t i = 0; i < 64; i++)
			hex[i] = (char)(i % 3 ? hex[i] : (hex[i] >= 'a' ? hex[i] - 32 : hex[i]));
		if (!uwg_key_from_hex(back, hex) || memcmp(back, key, 32))
			bad_hex++;
	}
	CHECK_EQ_U64(bad_b64, 0);
	CHECK_EQ_U64(bad_hex, 0);

	/* Fixed form: RFC 7748 Alice public key as `wg pubkey` prints it. */
	harness_unhex(key, 32, "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a");
	uwg_key_to_base64(b64, key);
	CHECK(strcmp(b64, "hSDwCYkwp1R0i33ctD73Wg2/Og0mOBr066SpjqqbTmo=") == 0);
	uwg_key_to_hex(hex, key);
	CHECK(strcmp(hex, "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a") == 0);

	/* Rejections: each must fail and leave the key zeroed. */
	static const char *const bad64[] = {
		"",
		"hSDwCYkwp1R0i33ctD73Wg2/Og0mOBr066SpjqqbTmo",	  /* 43, no pad */
		"hSDwCYkwp1R0i33ctD73Wg2/Og0mOBr066SpjqqbTmo==",  /* 45 */
		"hSDwCYkwp1R0i33ctD73Wg2/Og0mOBr066SpjqqbTmoA",	  /* no '=' */
		"hSDwCYkwp1R0i33ctD73Wg2/Og0mOBr066SpjqqbTmp=",	  /* non-canonical: 'p' */
		"hSDwCYkwp1R0i33ctD73Wg2/Og0mOBr066SpjqqbTmr=",	  /* non-canonical: 'r' */
		"hSDwCYkwp1R0i33ctD73Wg2_Og0mOBr066SpjqqbTmo=",	  /* URL-safe alphabet */
		"hSDwCYkwp1R0i33ctD73Wg2-Og0mOBr066SpjqqbTmo=",
		"hSDwCYkwp1R0i33ctD73Wg2 Og0mOBr066SpjqqbTmo=",
		"hSDwCYkwp1R0i33ctD73Wg2/Og0mOBr066SpjqqbT=o=",	  /* '=' inside */
		"hSDwCYkwp1R0i33ctD73Wg2/Og0mOBr066SpjqqbTm==",
		"\nSDwCYkwp1R0i33ctD73Wg2/Og0mOBr066SpjqqbTmo=",
		"hSDwCYkwp1R0i33ctD73Wg2/Og0mOBr066SpjqqbTmo=\n", /* trailing newline */
		"hSDwCYkwp1R0i33ctD73Wg2/Og0mOBr066Spjqqb\xc3\xa9o=",
	};
	for (size_t i = 0; i < ARRAY_SIZE(bad64); i++) {
		memset(back, 0x77, sizeof(back));
		CHECK(!uwg_key_from_base64(back, bad64[i]));
		CHECK_MEM_EQ(back, zero, 32);
	}
	/* Every byte that is not in the alphabet, at one position. */
	unsigned accepted = 0;
	for (unsigned c = 1; c < 256; c++) {
		char s[45];

		memcpy(s, "hSDwCYkwp1R0i33ctD73Wg2/Og0mOBr066SpjqqbTmo=", 45);
		s[7] = (char)c;
		bool ok = uwg_key_from_base64(back, s);
		bool in_alphabet = c != '=' && strchr(ref_b64, (int)c) != NULL;
		if (ok != in_alphabet)
			accepted++;
	}
	CHECK_EQ_U64(accepted, 0);

	static const char *const badhex[] = {
		"",
		"8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6",   /* 63 */
		"8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a0", /* 65 */
		"8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6g",
		"0x20f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a",
		"8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6 ",
		"8520f0098930a754748b7ddcb43ef75a0dbf3a0d:6381af4eba4a98eaa9b4e6a",
		"8520f0098930a754748b7ddcb43ef75a0dbf3a0d@6381af4eba4a98eaa9b4e6a",
		"8520f0098930a754748b7ddcb43ef75a0dbf3a0d`6381af4eba4a98eaa9b4e6a",
		"8520f0098930a754748b7ddcb43ef75a0dbf3a0dG6381af4eba4a98eaa9b4e6a",
	};
	for (size_t i = 0; i < ARRAY_SIZE(badhex); i++) {
		memset(back, 0x77, sizeof(back));
		CHECK(!uwg_key_from_hex(back, badhex[i]));
		CHECK_MEM_EQ(back, zero, 32);
	}
}

/* Runs cmd and reads one line of output into out (without the newline). */
static bool run_line(const char *cmd, char *out, size_t cap)
{
	FILE *p = popen(cmd, "r");
	bool ok;

	if (!p)
		return false;
	ok = fgets(out, (int)cap, p) != NULL;
	if (pclose(p) != 0)
		ok = false;
	if (ok)
		out[strcspn(out, "\n")] = '\0';
	return ok;
}

static void test_against_wg_tool(void)
{
	static const char wg[] = "/usr/bin/wg";
	char priv_b64[128], wg_pub[128], cmd[256], ours[UWG_KEY_B64_LEN];
	uint8_t priv[32], pub[32];

	if (access(wg, X_OK) != 0) {
		printf("test_crypto: %s not found, skipping the wg genkey/pubkey cross-check\n", wg);
		return;
	}
	for (int round = 0; round < 4; round++) {
		if (round < 3) {
			CHECK(run_line("/usr/bin/wg genkey", priv_b64, sizeof(priv_b64)));
		} else {
			/* An unclamped private key: both sides must clamp before multiplying. */
			snprintf(priv_b64, sizeof(priv_b64), "%s",
				 "//////////////////////////////////////////8=");
		}
		CHECK(uwg_key_from_base64(priv, priv_b64));
		snprintf(cmd, sizeof(cmd), "printf '%%s\\n' '%s' | /usr/bin/wg pubkey", priv_b64);
		CHECK(run_line(cmd, wg_pub, sizeof(wg_pub)));
		CHECK(uwg_x25519_public(pub, priv));
		uwg_key_to_base64(ours, pub);
		CHECK(strcmp(ours, wg_pub) == 0);
		if (round < 3) {
			/* wg genkey prints keys already clamped. */
			uint8_t clamped[32];

			memcpy(clamped, priv, 32);
			uwg_x25519_clamp(clamped);
			CHECK_MEM_EQ(clamped, priv, 32);
		}
	}
	uwg_memzero(priv, sizeof(priv));
}

int main(void)
{
	if (uwg_crypto_init() != 0) {
		fprintf(stderr, "uwg_crypto_init failed\n");
		return 1;
	}
	test_blake2s_abc();
	test_blake2s_rfc7693_selftest();
	test_blake2s_kat_tables();
	test_blake2s_state_wiped();
	test_blake2s_outlen16_not_truncation();
	test_hmac();
	test_kdf();
	test_noise_constants();
	/* Every AEAD vector against each ChaCha20-Poly1305 implementation the build has. */
	for (int impl = UWG_AEAD_IMPL_SODIUM; impl <= UWG_AEAD_IMPL_OPENSSL; impl++) {
		if (uwg_aead_select((enum uwg_aead_impl)impl) < 0)
			continue;
		printf("test_crypto: AEAD vectors on %s\n", uwg_aead_impl_name((enum uwg_aead_impl)impl));
		test_aead_rfc7539();
		test_aead_rfc7539_a5_counter();
		test_aead_roundtrip_and_tamper();
	}
	test_aead_impls_agree();
	/* A later uwg_crypto_init keeps an explicit choice. */
	CHECK_EQ_INT(uwg_aead_select(UWG_AEAD_IMPL_SODIUM), 0);
	CHECK_EQ_INT(uwg_crypto_init(), 0);
	CHECK(uwg_aead_selected() == UWG_AEAD_IMPL_SODIUM);
	test_xaead_draft_vector();
	test_x25519_rfc7748();
	test_x25519_low_order();
	test_x25519_keys();
	test_ct_helpers();
	test_encoding();
	test_against_wg_tool();
	return harness_report("test_crypto");
}
