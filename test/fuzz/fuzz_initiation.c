/*
 * test/fuzz/fuzz_initiation.c - arbitrary bytes as a handshake initiation to
 * a responder with one configured peer: the MAC check and the Noise consumer
 * must never crash, and whatever they accept must be the genuine initiation
 * (only the unauthenticated sender index may differ) and must lead to
 * matching transport keys.
 *
 * Input: byte 0 selects the mode, the rest is the message. Mode bit 0: XOR
 * the rest onto a genuine initiation (reaches the accepting paths); else
 * take it as the message. Bit 1: mac2 is checked (under load). Bit 2: the
 * peer already saw the genuine timestamp (every initiation must be refused
 * as a replay). Bit 3: the previous initiation was consumed 10 ms ago (flood).
 *
 * Speed: the keys, the genuine initiation and its MACs are made once. An
 * accepted initiation leaves the responder in one state whatever the input
 * (the covered bytes are the genuine ones; only the remote index may vary),
 * and finishing the handshake from that state (a response, its consumption,
 * two sessions: ~40 BLAKE2s compressions, uninstrumented in production but
 * not here) gives the same keys every time. So the first accepted input
 * finishes it and checks the keys; a later one whose responder state is
 * that same state is done, any other is finished and checked in full.
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
static struct uwg_noise_handshake ini_template, resp_template, ini_hs, resp_hs;
static struct uwg_cookie_checker checker;
static struct uwg_msg_initiation genuine;
static uint8_t genuine_ts[UWG_NOISE_TIMESTAMP_LEN];
static const uint64_t now = UINT64_C(1000) * UWG_NS_PER_SEC;
static struct uwg_noise_handshake finished; /* a consumed state the handshake was finished from */
static bool have_finished;

static void rng(void *ctx, uint8_t *out, size_t len)
{
	(void)ctx;
	for (size_t i = 0; i < len; i++)
		out[i] = (uint8_t)(0x5a + i);
}

static struct uwg_noise_handshake *lookup(void *ctx, const uint8_t pub[32])
{
	(void)ctx;
	return memcmp(pub, resp_hs.remote_static, 32) == 0 ? &resp_hs : NULL;
}

/* The same responder state as the one a handshake was finished from (remote index aside). */
static bool already_finished(const struct uwg_noise_handshake *hs)
{
	const struct uwg_noise_handshake *f = &finished;

	return have_finished && hs->state == f->state && hs->identity == f->identity &&
	       !memcmp(hs->remote_static, f->remote_static, sizeof(f->remote_static)) &&
	       !memcmp(hs->precomputed_static_static, f->precomputed_static_static,
		       sizeof(f->precomputed_static_static)) &&
	       !memcmp(hs->preshared_key, f->preshared_key, sizeof(f->preshared_key)) &&
	       !memcmp(hs->ephemeral_private, f->ephemeral_private, sizeof(f->ephemeral_private)) &&
	       !memcmp(hs->remote_ephemeral, f->remote_ephemeral, sizeof(f->remote_ephemeral)) &&
	       !memcmp(hs->hash, f->hash, sizeof(f->hash)) &&
	       !memcmp(hs->chaining_key, f->chaining_key, sizeof(f->chaining_key)) &&
	       !memcmp(hs->latest_timestamp, f->latest_timestamp, sizeof(f->latest_timestamp)) &&
	       hs->last_initiation_consumption == f->last_initiation_consumption &&
	       hs->local_index == f->local_index;
}

static void fill(uint8_t *p, size_t n, uint8_t first)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)(first + 7 * i);
}

static void setup(void)
{
	static bool done;
	struct uwg_cookie_maker maker;
	uint8_t key[32], psk[32];
	struct timespec wall = { .tv_sec = 1700000000, .tv_nsec = 0 };

	if (done)
		return;
	done = true;
	REQUIRE(uwg_crypto_init() == 0);
	fill(key, 32, 1);
	uwg_noise_identity_set(&ini_id, key);
	fill(key, 32, 2);
	uwg_noise_identity_set(&resp_id, key);
	fill(psk, 32, 3);
	uwg_noise_handshake_init(&ini_hs, &ini_id, resp_id.static_public, psk);
	uwg_noise_handshake_init(&resp_template, &resp_id, ini_id.static_public, psk);
	uwg_cookie_checker_init(&checker, resp_id.static_public);
	uwg_cookie_maker_init(&maker, resp_id.static_public);
	uwg_noise_tai64n(genuine_ts, &wall);
	fill(key, 32, 4);
	REQUIRE(uwg_noise_create_initiation(&genuine, &ini_hs, 0x01020304, key, genuine_ts));
	uwg_cookie_add_macs(&maker, (uint8_t *)&genuine, sizeof(genuine), now);
	ini_template = ini_hs;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct uwg_msg_initiation m;
	struct uwg_msg_response r;
	static struct uwg_noise_keypairs kps_i, kps_r;
	struct uwg_noise_keypair *ki, *kr;
	struct uwg_noise_handshake *hs;
	struct uwg_endpoint src;
	uint8_t mode, e[32];

	setup();
	if (size < 1)
		return 0;
	mode = data[0];
	data++;
	size--;

	memset(&src, 0, sizeof(src));
	src.addr.in4.sin_family = AF_INET;
	src.addr.in4.sin_port = 0x1234;
	/* The MAC layer sees the raw bytes at their real length. */
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
		/* A good mac1 from outside means the covered bytes are the genuine ones. */
		REQUIRE(memcmp(&m, &genuine, offsetof(struct uwg_msg_initiation, mac1)) == 0);

	resp_hs = resp_template;
	if (mode & 4)
		memcpy(resp_hs.latest_timestamp, genuine_ts, sizeof(genuine_ts));
	if (mode & 8)
		resp_hs.last_initiation_consumption = now - 10 * UWG_NS_PER_MS;
	hs = uwg_noise_consume_initiation(&m, &resp_id, lookup, NULL, now);
	if (!hs) {
		/* Refused: the peer's state is exactly as before. */
		REQUIRE(resp_hs.state == UWG_HS_ZEROED);
		REQUIRE(uwg_is_zero(resp_hs.chaining_key, sizeof(resp_hs.chaining_key)));
		return 0;
	}
	REQUIRE(!(mode & 4) && !(mode & 8));
	REQUIRE(hs == &resp_hs && hs->state == UWG_HS_CONSUMED_INITIATION);
	REQUIRE(uwg_le32_load(m.type) == UWG_MSG_HANDSHAKE_INITIATION);
	REQUIRE(memcmp(m.unencrypted_ephemeral, genuine.unencrypted_ephemeral,
		       offsetof(struct uwg_msg_initiation, mac1) -
			       offsetof(struct uwg_msg_initiation, unencrypted_ephemeral)) == 0);
	REQUIRE(hs->remote_index == uwg_le32_load(m.sender_index));
	REQUIRE(memcmp(hs->latest_timestamp, genuine_ts, sizeof(genuine_ts)) == 0);
	REQUIRE(hs->last_initiation_consumption == now);

	/* Finish the handshake: both ends must derive the same keys. */
	if (already_finished(hs))
		return 0;
	if (!have_finished) {
		finished = *hs;
		have_finished = true;
	}
	fill(e, 32, 5);
	REQUIRE(uwg_noise_create_response(&r, hs, 0x0a0b0c0d, e));
	ini_hs = ini_template;
	uwg_le32_store(r.receiver_index, ini_hs.local_index);
	REQUIRE(uwg_noise_consume_response(&r, &ini_hs));
	uwg_noise_keypairs_init(&kps_i);
	uwg_noise_keypairs_init(&kps_r);
	kr = uwg_noise_begin_session(hs, &kps_r, now, NULL);
	ki = uwg_noise_begin_session(&ini_hs, &kps_i, now, NULL);
	REQUIRE(ki && kr);
	REQUIRE(memcmp(ki->send_key, kr->recv_key, 32) == 0);
	REQUIRE(memcmp(ki->recv_key, kr->send_key, 32) == 0);
	REQUIRE(kps_i.current == ki && kps_r.next == kr);
	return 0;
}
