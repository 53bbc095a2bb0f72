/*
 * test/unit/core/test_cookie.c - core/cookie.c: mac1/mac2 keys and values against
 * independently generated vectors, the under-load cookie flow, reply
 * binding to the last mac1, cookie and secret lifetimes.
 *
 * Vectors were computed with CPython hashlib.blake2s (keyed, digest_size=16
 * for MAC) and, for the cookie reply, XChaCha20-Poly1305 built from a Python
 * HChaCha20 (checked against draft-irtf-cfrg-xchacha §2.2.1) plus the
 * `cryptography` package's ChaCha20Poly1305. The message is the fixed-key
 * initiation of test_noise.c (responder public key 5869af..a67b), the
 * checker secret is bytes c8..e7, the reply nonce 30..47.
 */
#include <arpa/inet.h>
#include <string.h>

#include "core/cookie.h"
#include "crypto/crypto.h"
#include "crypto/ct.h"
#include "test/harness.h"

#define SEC UWG_NS_PER_SEC
#define MS UWG_NS_PER_MS

static const char *responder_pub_hex =
	"5869aff450549732cbaaed5e5df9b30a6da31cb0e5742bad5ad4a1a768f1a67b";
static const char *mac1_key_hex = "5c5cbbfd0c782a2539047315dc2b629f825570bc6a8686d245dd060463b85e1b";
static const char *cookie_key_hex =
	"17728e626505a9a7054fda9a980a5209fb72714de5d9e476848ec7214cc83713";
/* The initiation with its correct mac1 and a zero mac2. */
static const char *init_hex =
	"010000004433221164b101b1d0be5a8704bd078f9895001fc03e8e9f9522f188dd128d9846d48466158a0e4ca2"
	"42d151ca97ab90159a98b67e616625e68b4065d357376b6598e644ad7d678c0295d22de4cb43d5135581ed3634"
	"6bfa7cf42a183339f893bdfb3050ff87c30dcb033452aa49171753976971afa1670c571e81bc0adbd637000000"
	"00000000000000000000000000";
/* The response of the same handshake (PSK case) with mac1 keyed by the initiator's public key. */
static const char *initiator_pub_hex =
	"07a37cbc142093c8b755dc1b10e86cb426374ad16aa853ed0bdfc0b2b86d1c7c";
static const char *resp_hex =
	"02000000ddccbbaa44332211244fe3b963e899dd295baffce248d3530f3a9a7479ba063002680ebfe7adad49fb"
	"6cfb25493ff5724cfca7b18a5246e2fceacede62523cd03958e6ba5eef558600000000000000000000000000000000";
static const char *cookie4_hex = "dfb1628bbb53fabbed1048e959d4f4df"; /* 192.0.2.1:51820 */
static const char *cookie6_hex = "4948ec566e2f06fb53c4893c859ccf33"; /* [2001:db8::1]:51820 */
static const char *reply4_hex =
	"0300000044332211303132333435363738393a3b3c3d3e3f40414243444546475f6638040d155ca0bd7a25c25c"
	"dc5ecc242644d99544026d1f3b8e2d6b63758a";
static const char *mac2_4_hex = "fdd14b8cbb3588e2822c99b31205cab6";

/*
 * Test randomness: 32-byte requests (the secret) get `secret_base + k` for
 * the k-th secret, 24-byte requests (nonces) get 30..47. Counting calls lets
 * the tests see when the secret is regenerated.
 */
struct rng {
	unsigned secrets, nonces;
	uint8_t secret_base;
};

static void rng_cb(void *ctx, uint8_t *out, size_t len)
{
	struct rng *r = ctx;
	uint8_t first = len == 32 ? (uint8_t)(r->secret_base + r->secrets++) : 0x30;

	if (len != 32)
		r->nonces++;
	for (size_t i = 0; i < len; i++)
		out[i] = (uint8_t)(first + i);
}

static void ep4(struct uwg_endpoint *ep, const char *addr, uint16_t port)
{
	memset(ep, 0, sizeof(*ep));
	ep->addr.in4.sin_family = AF_INET;
	ep->addr.in4.sin_port = htons(port);
	inet_pton(AF_INET, addr, &ep->addr.in4.sin_addr);
}

static void ep6(struct uwg_endpoint *ep, const char *addr, uint16_t port)
{
	memset(ep, 0, sizeof(*ep));
	ep->addr.in6.sin6_family = AF_INET6;
	ep->addr.in6.sin6_port = htons(port);
	inet_pton(AF_INET6, addr, &ep->addr.in6.sin6_addr);
}

static void test_keys_and_mac1(void)
{
	struct uwg_cookie_checker c;
	struct uwg_cookie_maker m;
	uint8_t pub[32], want[148], msg[148], resp[92];

	harness_unhex(pub, 32, responder_pub_hex);
	uwg_cookie_checker_init(&c, pub);
	uwg_cookie_maker_init(&m, pub);
	harness_unhex(want, 32, mac1_key_hex);
	CHECK_MEM_EQ(c.message_mac1_key, want, 32);
	CHECK_MEM_EQ(m.message_mac1_key, want, 32);
	harness_unhex(want, 32, cookie_key_hex);
	CHECK_MEM_EQ(c.cookie_encryption_key, want, 32);
	CHECK_MEM_EQ(m.cookie_decryption_key, want, 32);
	CHECK(!m.have_sent_mac1 && !m.is_cookie_valid);

	/* mac1 over bytes [0, 116) of an initiation; mac2 zero without a cookie. */
	harness_unhex(want, 148, init_hex);
	memcpy(msg, want, 148);
	memset(msg + 116, 0xaa, 32);
	uwg_cookie_add_macs(&m, msg, sizeof(msg), SEC);
	CHECK_MEM_EQ(msg, want, 148);
	CHECK(m.have_sent_mac1);
	CHECK_MEM_EQ(m.last_mac1_sent, want + 116, 16);
	CHECK_EQ_INT(uwg_cookie_validate(&c, msg, sizeof(msg), NULL, false, SEC, NULL, NULL),
		     UWG_COOKIE_VALID_MAC_BUT_NO_COOKIE);

	/* mac1 over [0, 60) of a response, keyed by the initiator's key. */
	harness_unhex(pub, 32, initiator_pub_hex);
	uwg_cookie_checker_init(&c, pub);
	uwg_cookie_maker_init(&m, pub);
	harness_unhex(want, 92, resp_hex);
	memcpy(resp, want, 92);
	memset(resp + 60, 0x55, 32);
	uwg_cookie_add_macs(&m, resp, sizeof(resp), SEC);
	CHECK_MEM_EQ(resp, want, 92);
	CHECK_EQ_INT(uwg_cookie_validate(&c, resp, sizeof(resp), NULL, false, SEC, NULL, NULL),
		     UWG_COOKIE_VALID_MAC_BUT_NO_COOKIE);

	/* Wrong responder key, wrong lengths, any flipped bit of [0, 132): invalid. */
	CHECK_EQ_INT(uwg_cookie_validate(&c, msg, sizeof(msg), NULL, false, SEC, NULL, NULL),
		     UWG_COOKIE_INVALID_MAC);
	CHECK_EQ_INT(uwg_cookie_validate(&c, resp, 91, NULL, false, SEC, NULL, NULL),
		     UWG_COOKIE_INVALID_MAC);
	CHECK_EQ_INT(uwg_cookie_validate(&c, resp, 64, NULL, false, SEC, NULL, NULL),
		     UWG_COOKIE_INVALID_MAC);
	for (size_t i = 0; i < 76; i++) {
		resp[i] ^= 4;
		CHECK_EQ_INT(uwg_cookie_validate(&c, resp, sizeof(resp), NULL, false, SEC, NULL,
						 NULL),
			     UWG_COOKIE_INVALID_MAC);
		resp[i] ^= 4;
	}
	/* add_macs ignores messages that carry no MACs. */
	memset(want, 0x77, 64);
	memcpy(msg, want, 64);
	uwg_cookie_add_macs(&m, msg, 64, SEC);
	CHECK_MEM_EQ(msg, want, 64);
}

/* The whole under-load exchange, byte-exact, with 192.0.2.1:51820. */
static void test_under_load_flow(void)
{
	struct uwg_cookie_checker c;
	struct uwg_cookie_maker m;
	struct uwg_msg_cookie reply;
	struct uwg_endpoint src;
	struct rng rng = { .secret_base = 200 };
	uint8_t pub[32], msg[148], want[64];
	uint64_t t = 1000 * SEC;

	harness_unhex(pub, 32, responder_pub_hex);
	uwg_cookie_checker_init(&c, pub);
	uwg_cookie_maker_init(&m, pub);
	ep4(&src, "192.0.2.1", 51820);
	harness_unhex(msg, 148, init_hex);
	uwg_cookie_add_macs(&m, msg, sizeof(msg), t);
	CHECK(uwg_is_zero(msg + 132, 16));

	/* Under load, no mac2: the checker wants a cookie round trip. */
	CHECK_EQ_INT(uwg_cookie_validate(&c, msg, sizeof(msg), &src, true, t, rng_cb, &rng),
		     UWG_COOKIE_VALID_MAC_BUT_NO_COOKIE);
	CHECK_EQ_U64(rng.secrets, 1);
	CHECK_EQ_U64(c.secret_birthdate, t);
	uwg_cookie_create_reply(&reply, &c, msg, sizeof(msg), 0x11223344, &src, t, rng_cb, &rng);
	CHECK_EQ_U64(rng.secrets, 1); /* same secret */
	CHECK_EQ_U64(rng.nonces, 1);
	harness_unhex(want, 64, reply4_hex);
	CHECK_MEM_EQ(&reply, want, 64);

	CHECK(uwg_cookie_consume_reply(&m, &reply, t + 5 * MS));
	harness_unhex(want, 16, cookie4_hex);
	CHECK_MEM_EQ(m.cookie, want, 16);
	CHECK(m.is_cookie_valid && !m.have_sent_mac1);
	CHECK_EQ_U64(m.cookie_birthdate, t + 5 * MS);
	/* The same reply again: we have not sent a new mac1 since. */
	CHECK(!uwg_cookie_consume_reply(&m, &reply, t + 6 * MS));

	/* The retransmitted initiation now carries mac2 and passes under load. */
	uwg_cookie_add_macs(&m, msg, sizeof(msg), t + 10 * MS);
	harness_unhex(want, 16, mac2_4_hex);
	CHECK_MEM_EQ(msg + 132, want, 16);
	CHECK_EQ_INT(uwg_cookie_validate(&c, msg, sizeof(msg), &src, true, t + 10 * MS, rng_cb,
					 &rng),
		     UWG_COOKIE_VALID_MAC_WITH_COOKIE);
	/* Not under load, mac2 is not looked at. */
	CHECK_EQ_INT(uwg_cookie_validate(&c, msg, sizeof(msg), &src, false, t + 10 * MS, rng_cb,
					 &rng),
		     UWG_COOKIE_VALID_MAC_BUT_NO_COOKIE);

	/* The cookie is bound to the source address and port. */
	{
		struct uwg_endpoint other;

		ep4(&other, "192.0.2.1", 51821);
		CHECK_EQ_INT(uwg_cookie_validate(&c, msg, sizeof(msg), &other, true, t + 10 * MS,
						 rng_cb, &rng),
			     UWG_COOKIE_VALID_MAC_BUT_NO_COOKIE);
		ep4(&other, "192.0.2.2", 51820);
		CHECK_EQ_INT(uwg_cookie_validate(&c, msg, sizeof(msg), &other, true, t + 10 * MS,
						 rng_cb, &rng),
			     UWG_COOKIE_VALID_MAC_BUT_NO_COOKIE);
		ep6(&other, "::ffff:192.0.2.1", 51820);
		CHECK_EQ_INT(uwg_cookie_validate(&c, msg, sizeof(msg), &other, true, t + 10 * MS,
						 rng_cb, &rng),
			     UWG_COOKIE_VALID_MAC_BUT_NO_COOKIE);
	}
	/* A flipped mac2 bit under load. */
	for (size_t i = 132; i < 148; i++) {
		msg[i] ^= 1;
		CHECK_EQ_INT(uwg_cookie_validate(&c, msg, sizeof(msg), &src, true, t + 10 * MS,
						 rng_cb, &rng),
			     UWG_COOKIE_VALID_MAC_BUT_NO_COOKIE);
		msg[i] ^= 1;
	}
	CHECK_EQ_U64(rng.secrets, 1);
}

static void test_ipv6_cookie(void)
{
	struct uwg_cookie_checker c;
	struct uwg_cookie_maker m;
	struct uwg_msg_cookie reply;
	struct uwg_endpoint src;
	struct rng rng = { .secret_base = 200 };
	uint8_t pub[32], msg[148], want[16];

	harness_unhex(pub, 32, responder_pub_hex);
	uwg_cookie_checker_init(&c, pub);
	uwg_cookie_maker_init(&m, pub);
	ep6(&src, "2001:db8::1", 51820);
	harness_unhex(msg, 148, init_hex);
	uwg_cookie_add_macs(&m, msg, sizeof(msg), SEC);
	uwg_cookie_create_reply(&reply, &c, msg, sizeof(msg), 7, &src, SEC, rng_cb, &rng);
	CHECK_EQ_U64(uwg_le32_load(reply.receiver_index), 7);
	CHECK(uwg_cookie_consume_reply(&m, &reply, SEC));
	harness_unhex(want, 16, cookie6_hex);
	CHECK_MEM_EQ(m.cookie, want, 16);
	uwg_cookie_add_macs(&m, msg, sizeof(msg), 2 * SEC);
	CHECK_EQ_INT(uwg_cookie_validate(&c, msg, sizeof(msg), &src, true, 2 * SEC, rng_cb, &rng),
		     UWG_COOKIE_VALID_MAC_WITH_COOKIE);
}

static void test_reply_binding(void)
{
	struct uwg_cookie_checker c;
	struct uwg_cookie_maker m;
	struct uwg_msg_cookie reply, bad;
	struct uwg_endpoint src;
	struct rng rng = { .secret_base = 1 };
	uint8_t pub[32], msg_a[148], msg_b[148];

	harness_unhex(pub, 32, responder_pub_hex);
	uwg_cookie_checker_init(&c, pub);
	uwg_cookie_maker_init(&m, pub);
	ep4(&src, "203.0.114.9", 4000);
	harness_unhex(msg_a, 148, init_hex);
	memcpy(msg_b, msg_a, 148);
	msg_b[20] ^= 1;

	/* No mac1 sent yet: an unsolicited reply is refused. */
	uwg_cookie_add_macs(&m, msg_a, sizeof(msg_a), SEC);
	uwg_cookie_create_reply(&reply, &c, msg_a, sizeof(msg_a), 1, &src, SEC, rng_cb, &rng);
	uwg_cookie_maker_init(&m, pub);
	CHECK(!uwg_cookie_consume_reply(&m, &reply, SEC));
	CHECK(!m.is_cookie_valid);

	/* The reply is for msg_a but our last mac1 was msg_b's: wrong AD. */
	uwg_cookie_add_macs(&m, msg_a, sizeof(msg_a), SEC);
	uwg_cookie_add_macs(&m, msg_b, sizeof(msg_b), SEC);
	CHECK(!uwg_cookie_consume_reply(&m, &reply, SEC));
	CHECK(m.have_sent_mac1 && !m.is_cookie_valid);

	/* Tampered replies fail; the genuine one for the last mac1 works. */
	uwg_cookie_add_macs(&m, msg_a, sizeof(msg_a), SEC);
	for (size_t i = 0; i < sizeof(bad); i++) {
		if (i >= 4 && i < 8)
			continue; /* receiver index: the caller's lookup key, not authenticated */
		bad = reply;
		((uint8_t *)&bad)[i] ^= 0x10;
		CHECK(!uwg_cookie_consume_reply(&m, &bad, SEC));
	}
	CHECK(m.have_sent_mac1);
	CHECK(uwg_cookie_consume_reply(&m, &reply, SEC));
	CHECK(m.is_cookie_valid);
}

static void test_lifetimes(void)
{
	struct uwg_cookie_checker c;
	struct uwg_cookie_maker m;
	struct uwg_msg_cookie reply;
	struct uwg_endpoint src;
	struct rng rng = { .secret_base = 50 };
	uint8_t pub[32], msg[148], secret0[32];
	uint64_t t0 = 10 * SEC;

	harness_unhex(pub, 32, responder_pub_hex);
	uwg_cookie_checker_init(&c, pub);
	uwg_cookie_maker_init(&m, pub);
	ep4(&src, "198.51.100.7", 9);
	harness_unhex(msg, 148, init_hex);

	uwg_cookie_add_macs(&m, msg, sizeof(msg), t0);
	uwg_cookie_create_reply(&reply, &c, msg, sizeof(msg), 1, &src, t0, rng_cb, &rng);
	memcpy(secret0, c.secret, 32);
	CHECK(uwg_cookie_consume_reply(&m, &reply, t0));

	/* Maker: the cookie is used while younger than 120 - 5 s. */
	uwg_cookie_add_macs(&m, msg, sizeof(msg), t0 + 115 * SEC - 1);
	CHECK(!uwg_is_zero(msg + 132, 16));
	CHECK_EQ_INT(uwg_cookie_validate(&c, msg, sizeof(msg), &src, true, t0 + 115 * SEC - 1,
					 rng_cb, &rng),
		     UWG_COOKIE_VALID_MAC_WITH_COOKIE);
	uwg_cookie_add_macs(&m, msg, sizeof(msg), t0 + 115 * SEC);
	CHECK(uwg_is_zero(msg + 132, 16));
	uwg_cookie_add_macs(&m, msg, sizeof(msg), t0 + 120 * SEC);
	CHECK(uwg_is_zero(msg + 132, 16));

	/* Checker: the secret lives 120 s, then an old cookie no longer verifies. */
	CHECK_EQ_U64(rng.secrets, 1);
	m.cookie_birthdate = t0 + 100 * SEC; /* pretend the maker's copy is still fresh */
	uwg_cookie_add_macs(&m, msg, sizeof(msg), t0 + 120 * SEC - 1);
	CHECK_EQ_INT(uwg_cookie_validate(&c, msg, sizeof(msg), &src, true, t0 + 120 * SEC - 1,
					 rng_cb, &rng),
		     UWG_COOKIE_VALID_MAC_WITH_COOKIE);
	CHECK_EQ_U64(rng.secrets, 1);
	CHECK_EQ_INT(uwg_cookie_validate(&c, msg, sizeof(msg), &src, true, t0 + 120 * SEC, rng_cb,
					 &rng),
		     UWG_COOKIE_VALID_MAC_BUT_NO_COOKIE);
	CHECK_EQ_U64(rng.secrets, 2);
	CHECK_EQ_U64(c.secret_birthdate, t0 + 120 * SEC);
	CHECK(memcmp(c.secret, secret0, 32) != 0);

	/* A fresh round trip under the new secret works again. */
	uwg_cookie_create_reply(&reply, &c, msg, sizeof(msg), 1, &src, t0 + 121 * SEC, rng_cb,
				&rng);
	CHECK_EQ_U64(rng.secrets, 2);
	CHECK(uwg_cookie_consume_reply(&m, &reply, t0 + 121 * SEC));
	uwg_cookie_add_macs(&m, msg, sizeof(msg), t0 + 122 * SEC);
	CHECK_EQ_INT(uwg_cookie_validate(&c, msg, sizeof(msg), &src, true, t0 + 122 * SEC, rng_cb,
					 &rng),
		     UWG_COOKIE_VALID_MAC_WITH_COOKIE);

	/* Without a random callback the checker falls back to the system RNG. */
	uwg_cookie_checker_init(&c, pub);
	CHECK_EQ_INT(uwg_cookie_validate(&c, msg, sizeof(msg), &src, true, SEC, NULL, NULL),
		     UWG_COOKIE_VALID_MAC_BUT_NO_COOKIE);
	CHECK(!uwg_is_zero(c.secret, 32));
}

int main(void)
{
	if (uwg_crypto_init() != 0) {
		fprintf(stderr, "crypto init failed\n");
		return 1;
	}
	test_keys_and_mac1();
	test_under_load_flow();
	test_ipv6_cookie();
	test_reply_binding();
	test_lifetimes();
	return harness_report("test_cookie");
}
