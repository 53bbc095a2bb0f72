/*
 * test/fuzz/fuzz_response.c - arbitrary bytes as the handshake response to
 * an initiation we sent: the MAC check and the Noise consumer must never
 * crash, and an accepted response must be the genuine one (only the
 * unauthenticated sender index may differ) and give the responder's keys.
 *
 * Input: byte 0 selects the mode, the rest is the message. Mode bit 0: XOR
 * the rest onto the genuine response; else take it as the message. Bit 1:
 * mac2 is checked. Bit 2: the handshake is not waiting for a response (must
 * be refused).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/cookie.h"
#include "core/noise.h"
#include "crypto/crypto.h"
#include "crypto/ct.h"

#define REQUIRE(c)                     \
	do {                           \
		if (!(c))              \
			abort();       \
	} while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct uwg_noise_identity ini_id, resp_id;
static struct uwg_noise_handshake ini_template, resp_done, ini_hs;
static struct uwg_cookie_checker checker;
static struct uwg_msg_response genuine;
static const uint64_t now = UINT64_C(77) * UWG_NS_PER_SEC;

static void rng(void *ctx, uint8_t *out, size_t len)
{
	(void)ctx;
	for (size_t i = 0; i < len; i++)
		out[i] = (uint8_t)(0xa5 ^ i);
}

static struct uwg_noise_handshake *lookup(void *ctx, const uint8_t pub[32])
{
	struct uwg_noise_handshake *hs = ctx;

	return memcmp(pub, hs->remote_static, 32) == 0 ? hs : NULL;
}

static void fill(uint8_t *p, size_t n, uint8_t first)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)(first + 11 * i);
}

static void setup(void)
{
	static bool done;
	struct uwg_cookie_maker maker;
	struct uwg_msg_initiation init;
	uint8_t key[32], ts[UWG_NOISE_TIMESTAMP_LEN];
	struct timespec wall = { .tv_sec = 1600000000, .tv_nsec = 500000000 };

	if (done)
		return;
	done = true;
	REQUIRE(uwg_crypto_init() == 0);
	fill(key, 32, 9);
	uwg_noise_identity_set(&ini_id, key);
	fill(key, 32, 10);
	uwg_noise_identity_set(&resp_id, key);
	uwg_noise_handshake_init(&ini_hs, &ini_id, resp_id.static_public, NULL);
	uwg_noise_handshake_init(&resp_done, &resp_id, ini_id.static_public, NULL);
	uwg_cookie_checker_init(&checker, ini_id.static_public);
	uwg_cookie_maker_init(&maker, ini_id.static_public);
	uwg_noise_tai64n(ts, &wall);
	fill(key, 32, 12);
	REQUIRE(uwg_noise_create_initiation(&init, &ini_hs, 0xfeedf00d, key, ts));
	ini_template = ini_hs;
	REQUIRE(uwg_noise_consume_initiation(&init, &resp_id, lookup, &resp_done, now) ==
		&resp_done);
	fill(key, 32, 13);
	REQUIRE(uwg_noise_create_response(&genuine, &resp_done, 0x12345678, key));
	uwg_cookie_add_macs(&maker, (uint8_t *)&genuine, sizeof(genuine), now);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct uwg_msg_response m;
	struct uwg_noise_handshake resp_hs;
	static struct uwg_noise_keypairs kps_i, kps_r;
	struct uwg_noise_keypair *ki, *kr;
	struct uwg_endpoint src;
	uint8_t mode;
	bool ok;

	setup();
	if (size < 1)
		return 0;
	mode = data[0];
	data++;
	size--;

	memset(&src, 0, sizeof(src));
	src.addr.in6.sin6_family = AF_INET6;
	(void)uwg_cookie_validate(&checker, data, size, &src, mode & 2, now, rng, NULL);

	if (mode & 1) {
		m = genuine;
		for (size_t i = 0; i < size && i < sizeof(m); i++)
			((uint8_t *)&m)[i] ^= data[i];
	} else {
		memset(&m, 0, sizeof(m));
		memcpy(&m, data, size < sizeof(m) ? size : sizeof(m));
	}
	if (uwg_cookie_validate(&checker, (const uint8_t *)&m, sizeof(m), &src, mode & 2, now,
				rng, NULL) != UWG_COOKIE_INVALID_MAC)
		REQUIRE(memcmp(&m, &genuine, offsetof(struct uwg_msg_response, mac1)) == 0);

	ini_hs = ini_template;
	if (mode & 4)
		ini_hs.state = (mode & 8) ? UWG_HS_CONSUMED_INITIATION : UWG_HS_ZEROED;
	ok = uwg_noise_consume_response(&m, &ini_hs);
	if (!ok) {
		REQUIRE(memcmp(&ini_hs.chaining_key, &ini_template.chaining_key, 32) == 0);
		REQUIRE(ini_hs.remote_index == ini_template.remote_index);
		return 0;
	}
	REQUIRE(!(mode & 4));
	REQUIRE(ini_hs.state == UWG_HS_CONSUMED_RESPONSE);
	REQUIRE(uwg_le32_load(m.type) == UWG_MSG_HANDSHAKE_RESPONSE);
	REQUIRE(memcmp(m.receiver_index, genuine.receiver_index,
		       offsetof(struct uwg_msg_response, mac1) -
			       offsetof(struct uwg_msg_response, receiver_index)) == 0);
	REQUIRE(ini_hs.remote_index == uwg_le32_load(m.sender_index));

	resp_hs = resp_done;
	uwg_noise_keypairs_init(&kps_i);
	uwg_noise_keypairs_init(&kps_r);
	ki = uwg_noise_begin_session(&ini_hs, &kps_i, now, NULL);
	kr = uwg_noise_begin_session(&resp_hs, &kps_r, now, NULL);
	REQUIRE(ki && kr);
	REQUIRE(memcmp(ki->send_key, kr->recv_key, 32) == 0);
	REQUIRE(memcmp(ki->recv_key, kr->send_key, 32) == 0);
	return 0;
}
