/*
 * bench/micro_handshake.c - full WireGuard handshakes per second on one core through the
 * protocol core alone (no sockets): initiator creates an initiation (core/noise.h) and adds
 * mac1/mac2 (core/cookie.h); the responder verifies mac1, consumes it, creates and MACs the
 * response; the initiator verifies and consumes the response; both derive their session.
 * Fresh random ephemerals every time, as a daemon does. Also reports the time per step.
 * Prints one JSON object per line on stdout. Single-threaded; not part of the daemon.
 *
 * Usage: micro_handshake [SECONDS_PER_RUN] [RUNS] [PSK 0|1]   (defaults 1.0, 3, 0)
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/cookie.h"
#include "core/noise.h"
#include "crypto/crypto.h"
#include "crypto/ct.h"
#include "crypto/x25519.h"

enum { MAX_RUNS = 15, STEPS = 5 };

static const char *const step_names[STEPS] = {
	"create_initiation", "consume_initiation", "create_response", "consume_response",
	"begin_sessions",
};

struct side {
	struct uwg_noise_identity id;
	struct uwg_noise_handshake hs;
	struct uwg_noise_keypairs kps;
	struct uwg_cookie_checker checker;
	struct uwg_cookie_maker maker;
};

/* Static: the handshake structs are large, and ASan builds limit frames. */
static struct side ini, resp;
static volatile uint8_t sink;

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * UWG_NS_PER_SEC + (uint64_t)ts.tv_nsec;
}

static void die(const char *what)
{
	fprintf(stderr, "micro_handshake: %s\n", what);
	exit(1);
}

static struct uwg_noise_handshake *lookup(void *ctx, const uint8_t pub[UWG_NOISE_PUBLIC_KEY_LEN])
{
	struct side *s = ctx;

	return uwg_memeq(pub, s->hs.remote_static, UWG_NOISE_PUBLIC_KEY_LEN) ? &s->hs : NULL;
}

static void random_cb(void *ctx, uint8_t *out, size_t len)
{
	(void)ctx;
	uwg_random_bytes(out, len);
}

/*
 * A strictly increasing TAI64N-shaped timestamp, and a clock that moves 1/50 s + 1 ns per
 * handshake, so the responder's replay and flood checks pass on every round exactly as they
 * would for real handshakes spaced that far apart.
 */
static uint64_t fake_now = UWG_NS_PER_SEC;
static uint64_t ts_counter;

static void next_timestamp(uint8_t ts[UWG_NOISE_TIMESTAMP_LEN])
{
	uint64_t secs = 0x400000000000000aULL + 1700000000ULL + ts_counter / 1000;
	uint32_t nanos = (uint32_t)(ts_counter % 1000) * 1000000u;

	for (int i = 0; i < 8; i++)
		ts[i] = (uint8_t)(secs >> (56 - 8 * i));
	for (int i = 0; i < 4; i++)
		ts[8 + i] = (uint8_t)(nanos >> (24 - 8 * i));
	ts_counter++;
	fake_now += UWG_NS_PER_SEC / UWG_INITIATIONS_PER_SECOND + 1;
}

/* One complete handshake; adds the nanoseconds of each step to step_ns. */
static void handshake(uint64_t step_ns[STEPS], uint32_t idx)
{
	struct uwg_msg_initiation init;
	struct uwg_msg_response r;
	uint8_t e[UWG_NOISE_PUBLIC_KEY_LEN], ts[UWG_NOISE_TIMESTAMP_LEN];
	struct uwg_noise_keypair *kpi, *kpr;
	uint64_t t0, t1, t2, t3, t4, t5;

	next_timestamp(ts);
	t0 = mono_ns();
	uwg_random_bytes(e, sizeof(e));
	if (!uwg_noise_create_initiation(&init, &ini.hs, idx, e, ts))
		die("create_initiation failed");
	uwg_cookie_add_macs(&ini.maker, (uint8_t *)&init, sizeof(init), fake_now);
	t1 = mono_ns();
	if (uwg_cookie_validate(&resp.checker, (const uint8_t *)&init, sizeof(init), NULL, false,
				fake_now, random_cb, NULL) == UWG_COOKIE_INVALID_MAC)
		die("initiation mac1 rejected");
	if (uwg_noise_consume_initiation(&init, &resp.id, lookup, &resp, fake_now) != &resp.hs)
		die("consume_initiation failed");
	t2 = mono_ns();
	uwg_random_bytes(e, sizeof(e));
	if (!uwg_noise_create_response(&r, &resp.hs, idx ^ 0x5a5a5a5au, e))
		die("create_response failed");
	uwg_cookie_add_macs(&resp.maker, (uint8_t *)&r, sizeof(r), fake_now);
	t3 = mono_ns();
	if (uwg_cookie_validate(&ini.checker, (const uint8_t *)&r, sizeof(r), NULL, false,
				fake_now, random_cb, NULL) == UWG_COOKIE_INVALID_MAC)
		die("response mac1 rejected");
	if (!uwg_noise_consume_response(&r, &ini.hs))
		die("consume_response failed");
	t4 = mono_ns();
	kpr = uwg_noise_begin_session(&resp.hs, &resp.kps, fake_now, NULL);
	kpi = uwg_noise_begin_session(&ini.hs, &ini.kps, fake_now, NULL);
	t5 = mono_ns();
	if (!kpi || !kpr || !uwg_memeq(kpi->send_key, kpr->recv_key, sizeof(kpi->send_key)))
		die("sessions do not match");
	sink ^= kpi->send_key[0];
	step_ns[0] += t1 - t0;
	step_ns[1] += t2 - t1;
	step_ns[2] += t3 - t2;
	step_ns[3] += t4 - t3;
	step_ns[4] += t5 - t4;
	uwg_memzero(e, sizeof(e));
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static void setup(bool psk)
{
	uint8_t a_priv[32], b_priv[32], a_pub[32], b_pub[32], k[32];

	uwg_x25519_generate(a_priv, a_pub);
	uwg_x25519_generate(b_priv, b_pub);
	if (psk)
		uwg_random_bytes(k, sizeof(k));
	uwg_noise_identity_set(&ini.id, a_priv);
	uwg_noise_identity_set(&resp.id, b_priv);
	uwg_noise_handshake_init(&ini.hs, &ini.id, resp.id.static_public, psk ? k : NULL);
	uwg_noise_handshake_init(&resp.hs, &resp.id, ini.id.static_public, psk ? k : NULL);
	uwg_noise_keypairs_init(&ini.kps);
	uwg_noise_keypairs_init(&resp.kps);
	uwg_cookie_checker_init(&ini.checker, ini.id.static_public);
	uwg_cookie_checker_init(&resp.checker, resp.id.static_public);
	uwg_cookie_maker_init(&ini.maker, resp.id.static_public);
	uwg_cookie_maker_init(&resp.maker, ini.id.static_public);
	uwg_memzero(a_priv, sizeof(a_priv));
	uwg_memzero(b_priv, sizeof(b_priv));
	uwg_memzero(k, sizeof(k));
}

int main(int argc, char **argv)
{
	double secs = 1.0, rate[MAX_RUNS];
	double step_us[STEPS] = { 0 };
	int runs = 3;
	bool psk = false;
	uint32_t idx = 1;

	if (argc > 1)
		secs = atof(argv[1]);
	if (argc > 2)
		runs = atoi(argv[2]);
	if (argc > 3)
		psk = atoi(argv[3]) != 0;
	if (secs <= 0 || runs < 1 || runs > MAX_RUNS) {
		fprintf(stderr, "usage: %s [SECONDS > 0] [RUNS 1..%d] [PSK 0|1]\n", argv[0],
			MAX_RUNS);
		return 2;
	}
	if (uwg_crypto_init() != 0)
		die("uwg_crypto_init failed");
	setup(psk);
	for (int i = 0; i < 20; i++) { /* warm-up */
		uint64_t s[STEPS] = { 0 };
		handshake(s, idx++);
	}
	for (int r = 0; r < runs; r++) {
		uint64_t s[STEPS] = { 0 }, n = 0, t0 = mono_ns(), t;

		do {
			handshake(s, idx++);
			n++;
			t = mono_ns() - t0;
		} while ((double)t < secs * 1e9);
		rate[r] = (double)n * 1e9 / (double)t;
		/* Per-step times: the mean over all runs. */
		for (int k = 0; k < STEPS; k++)
			step_us[k] += (double)s[k] / 1e3 / (double)n / runs;
	}
	qsort(rate, (size_t)runs, sizeof(rate[0]), cmp_double);
	printf("{\"suite\":\"handshake\",\"name\":\"handshake_full%s\",\"bytes\":0,"
	       "\"ops_per_s\":%.0f,\"min\":%.0f,\"max\":%.0f,\"us_per_op\":%.2f,\"runs\":%d,"
	       "\"steps_us\":{",
	       psk ? "_psk" : "", rate[runs / 2], rate[0], rate[runs - 1], 1e6 / rate[runs / 2],
	       runs);
	for (int k = 0; k < STEPS; k++)
		printf("%s\"%s\":%.2f", k ? "," : "", step_names[k], step_us[k]);
	printf("}}\n");
	uwg_noise_handshake_wipe(&ini.hs);
	uwg_noise_handshake_wipe(&resp.hs);
	uwg_noise_keypairs_clear(&ini.kps, NULL);
	uwg_noise_keypairs_clear(&resp.kps, NULL);
	return 0;
}
