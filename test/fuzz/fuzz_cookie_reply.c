/*
 * test/fuzz/fuzz_cookie_reply.c - arbitrary bytes as a cookie reply to a
 * peer that sent a mac1, and as the handshake message a checker answers:
 * nothing may crash, and an accepted reply must be the genuine one (only the
 * receiver index, the caller's lookup key, may differ) and yield the cookie
 * the checker made for our address.
 *
 * Input: byte 0 selects the mode, the rest is the data. Mode bit 0: XOR the
 * rest onto the genuine reply; else take it as the reply. Bit 1: the maker
 * has not sent a mac1 (must be refused). Bit 2: also let the checker answer
 * the raw data as a handshake message and consume that reply.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/cookie.h"
#include "crypto/blake2s.h"
#include "crypto/crypto.h"
#include "crypto/ct.h"

#define REQUIRE(c)                     \
	do {                           \
		if (!(c))              \
			abort();       \
	} while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct uwg_cookie_checker checker;
static struct uwg_cookie_maker maker_template;
static struct uwg_msg_cookie genuine;
static uint8_t genuine_cookie[UWG_COOKIE_LEN];
static struct uwg_endpoint src;
static const uint64_t now = UINT64_C(500) * UWG_NS_PER_SEC;

static void rng(void *ctx, uint8_t *out, size_t len)
{
	(void)ctx;
	for (size_t i = 0; i < len; i++)
		out[i] = (uint8_t)(0x3c + 5 * i);
}

static void setup(void)
{
	static bool done;
	struct uwg_cookie_maker m;
	uint8_t pub[32], msg[148];

	if (done)
		return;
	done = true;
	REQUIRE(uwg_crypto_init() == 0);
	for (size_t i = 0; i < 32; i++)
		pub[i] = (uint8_t)(i * 3 + 1);
	for (size_t i = 0; i < sizeof(msg); i++)
		msg[i] = (uint8_t)(i ^ 0x42);
	msg[0] = UWG_MSG_HANDSHAKE_INITIATION;
	msg[1] = msg[2] = msg[3] = 0;
	memset(&src, 0, sizeof(src));
	src.addr.in4.sin_family = AF_INET;
	src.addr.in4.sin_addr.s_addr = 0x0100007f;
	src.addr.in4.sin_port = 0x5000;
	uwg_cookie_checker_init(&checker, pub);
	uwg_cookie_maker_init(&maker_template, pub);
	uwg_cookie_add_macs(&maker_template, msg, sizeof(msg), now);
	uwg_cookie_create_reply(&genuine, &checker, msg, sizeof(msg), 0x99, &src, now, rng, NULL);
	m = maker_template;
	REQUIRE(uwg_cookie_consume_reply(&m, &genuine, now));
	memcpy(genuine_cookie, m.cookie, sizeof(genuine_cookie));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct uwg_cookie_maker m;
	struct uwg_msg_cookie reply;
	uint8_t mode;

	setup();
	m = maker_template;
	if (size < 1)
		return 0;
	mode = data[0];
	data++;
	size--;

	if (mode & 1) {
		reply = genuine;
		for (size_t i = 0; i < size && i < sizeof(reply); i++)
			((uint8_t *)&reply)[i] ^= data[i];
	} else {
		memset(&reply, 0, sizeof(reply));
		memcpy(&reply, data, size < sizeof(reply) ? size : sizeof(reply));
	}
	if (mode & 2)
		m.have_sent_mac1 = false;
	if (uwg_cookie_consume_reply(&m, &reply, now)) {
		REQUIRE(!(mode & 2));
		REQUIRE(memcmp(reply.type, genuine.type, 4) == 0);
		REQUIRE(memcmp(reply.nonce, genuine.nonce,
			       sizeof(reply) - offsetof(struct uwg_msg_cookie, nonce)) == 0);
		REQUIRE(memcmp(m.cookie, genuine_cookie, sizeof(genuine_cookie)) == 0);
		REQUIRE(m.is_cookie_valid && !m.have_sent_mac1 && m.cookie_birthdate == now);
	} else {
		REQUIRE(m.is_cookie_valid == maker_template.is_cookie_valid);
	}

	/* The checker side on arbitrary data: validate, answer, and the answer decrypts. */
	if (mode & 4) {
		struct uwg_cookie_checker c = checker;
		struct uwg_cookie_maker m2 = maker_template;
		uint8_t msg[148];
		size_t len = size <= sizeof(struct uwg_msg_response) ? sizeof(struct uwg_msg_response)
								      : sizeof(msg);

		(void)uwg_cookie_validate(&c, data, size, &src, true, now, rng, NULL);
		memset(msg, 0, sizeof(msg));
		memcpy(msg, data, size < len ? size : len);
		uwg_cookie_add_macs(&m2, msg, len, now);
		REQUIRE(uwg_cookie_validate(&c, msg, len, &src, false, now, rng, NULL) ==
			UWG_COOKIE_VALID_MAC_BUT_NO_COOKIE);
		uwg_cookie_create_reply(&reply, &c, msg, len, 1, &src, now, rng, NULL);
		REQUIRE(uwg_cookie_consume_reply(&m2, &reply, now));
		uwg_cookie_add_macs(&m2, msg, len, now);
		REQUIRE(uwg_cookie_validate(&c, msg, len, &src, true, now, rng, NULL) ==
			UWG_COOKIE_VALID_MAC_WITH_COOKIE);
	}
	return 0;
}
