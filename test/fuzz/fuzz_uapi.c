/*
 * test/fuzz/fuzz_uapi.c - arbitrary bytes as a UAPI byte stream into a fresh
 * in-memory device: cli/daemon/uapi.c must never crash or leak, every reply must be
 * well formed (key=value lines ending in "errno=N\n\n"), and the resulting
 * configuration must survive a round trip: its get reply, replayed as a set
 * into a second fresh device, yields the identical get reply.
 *
 * Input: byte 0 is the feed chunk size (1..256, 0 = everything at once),
 * byte 1 the reply drain size (same rule); the rest is the stream.
 *
 * Speed: a new device costs two rate-limiter tables of ~0.5 MiB each, which
 * ASan maps, zeroes and unmaps again on every allocation; making two devices
 * per input held the harness at ~110 inputs/s. The UAPI reaches only a
 * device's configuration, so after each input the harness removes every peer
 * and the private key, and keeps the device for the next input only if its
 * struct is then byte for byte what it was when new (no peers, key, allowed
 * IPs or index entries, tables not regrown, stats, timer and load state
 * untouched; only the allowed-IPs change counter moves on); otherwise it frees
 * it and the next input gets a new one. So an input always meets a device
 * that behaves as a new one.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cli/daemon/uapi.h"
#include "core/peer_internal.h"
#include "core/wg.h"
#include "crypto/crypto.h"
#include "crypto/ct.h"

#define REQUIRE(c)                     \
	do {                           \
		if (!(c))              \
			abort();       \
	} while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

enum { MAX_INPUT = 1 << 16, MAX_REPLY = 8 << 20 };

static struct uwg_pool pool;

static uint64_t op_now(void *ctx)
{
	(void)ctx;
	return UINT64_C(5000000000);
}

static void op_wall(void *ctx, struct timespec *ts)
{
	(void)ctx;
	ts->tv_sec = 1700000000;
	ts->tv_nsec = 0;
}

static void op_random(void *ctx, uint8_t *out, size_t len)
{
	(void)ctx;
	for (size_t i = 0; i < len; i++)
		out[i] = (uint8_t)(i * 29 + 3);
}

static void op_put(void *ctx, struct uwg_pkt *pkt)
{
	(void)ctx;
	uwg_pool_put(&pool, pkt);
}

static void op_timer_arm(void *ctx, uint64_t deadline)
{
	(void)ctx;
	(void)deadline;
}

static const struct uwg_wg_ops ops = {
	.now = op_now,
	.wall = op_wall,
	.random = op_random,
	.udp_send = op_put,
	.tun_write = op_put,
	.timer_arm = op_timer_arm,
};

struct fake_io {
	uint16_t port;
	uint32_t mark;
};

static int io_set_port(void *ctx, uint16_t port)
{
	/* Some ports "fail" so the error path is reachable. */
	if (port % 97 == 1)
		return -EADDRINUSE;
	((struct fake_io *)ctx)->port = port;
	return 0;
}

static uint16_t io_port(void *ctx)
{
	return ((struct fake_io *)ctx)->port;
}

static int io_set_mark(void *ctx, uint32_t mark)
{
	((struct fake_io *)ctx)->mark = mark;
	return 0;
}

static uint32_t io_mark(void *ctx)
{
	return ((struct fake_io *)ctx)->mark;
}

static unsigned io_ifindex(void *ctx, const char *name)
{
	(void)ctx;
	return !strcmp(name, "lo") ? 1 : 0;
}

/* A device kept across inputs while it is as good as new, and what it was when new. */
struct dev {
	struct uwg_wg *wg;
	struct uwg_wg fresh;
};

static struct uwg_wg *dev_get(struct dev *d)
{
	if (!d->wg) {
		d->wg = uwg_wg_new(&ops, &pool);
		REQUIRE(d->wg);
		memcpy(&d->fresh, d->wg, sizeof(d->fresh));
	}
	return d->wg;
}

/* Back to a new device's state, or freed if anything else was left behind. */
static void dev_reset(struct dev *d)
{
	uwg_wg_peers_clear(d->wg);
	uwg_wg_set_private_key(d->wg, NULL);
	/* A change counter: walkers compare it with the value they started at, never with zero. */
	d->fresh.allowedips.seq = d->wg->allowedips.seq;
	if (memcmp(d->wg, &d->fresh, sizeof(d->fresh)) == 0)
		return;
	uwg_wg_free(d->wg);
	d->wg = NULL;
}

struct buf {
	char *p;
	size_t len;
};

static void append(struct buf *b, const uint8_t *d, size_t n)
{
	REQUIRE(b->len + n < MAX_REPLY);
	memcpy(b->p + b->len, d, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static void drain(struct uwg_uapi *s, size_t take, struct buf *out)
{
	const uint8_t *d;
	size_t n;

	while ((n = uwg_uapi_output(s, &d)) > 0) {
		REQUIRE(n <= UWG_UAPI_OUT_CHUNK);
		if (take && n > take)
			n = take;
		append(out, d, n);
		uwg_uapi_consume(s, n);
	}
}

/* Feeds the whole stream; false if the session asked to close. */
static bool run(struct uwg_uapi *s, const uint8_t *in, size_t len, size_t step, size_t take,
		struct buf *out)
{
	size_t off = 0;

	while (off < len) {
		size_t chunk = step && len - off > step ? step : len - off;
		long used = uwg_uapi_feed(s, in + off, chunk);

		if (used < 0)
			return false;
		REQUIRE((size_t)used <= chunk);
		off += (size_t)used;
		drain(s, take, out);
	}
	return true;
}

/* Replies are "key=value\n"... then "errno=N\n\n"; a get/stats reply's errno is 0 or absent keys. */
static void check_replies(const char *p, size_t len)
{
	const char *end = p + len;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));

		REQUIRE(nl); /* whole lines only */
		REQUIRE(memchr(p, '=', (size_t)(nl - p)));
		if (!strncmp(p, "errno=", 6)) {
			REQUIRE(nl + 1 < end && nl[1] == '\n');
			REQUIRE(p[6] == '0' ? nl == p + 7 : p[6] == '-');
			p = nl + 2;
		} else {
			p = nl + 1;
		}
	}
}

/* The get reply as a set request: counters and handshake times are read-only. */
static size_t to_set(const char *get, size_t len, char *out)
{
	static const char *const readonly[] = { "last_handshake_time_sec=",
						"last_handshake_time_nsec=", "tx_bytes=",
						"rx_bytes=", "errno=" };
	const char *p = get, *end = get + len;
	size_t n = 0;

	memcpy(out, "set=1\n", 6);
	n = 6;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		bool skip = nl == p;

		REQUIRE(nl);
		for (size_t i = 0; i < sizeof(readonly) / sizeof(readonly[0]); i++)
			if (!strncmp(p, readonly[i], strlen(readonly[i])))
				skip = true;
		if (!skip) {
			memcpy(out + n, p, (size_t)(nl + 1 - p));
			n += (size_t)(nl + 1 - p);
		}
		p = nl + 1;
	}
	out[n++] = '\n';
	return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct uwg_uapi s1, s2;
	static struct dev d1, d2;
	static struct buf out, get1, get2;
	static char *set;
	static bool init;
	struct fake_io f1 = { 0 }, f2 = { 0 };
	const struct uwg_uapi_io io1 = { .ctx = &f1, .set_listen_port = io_set_port,
					 .listen_port = io_port, .set_fwmark = io_set_mark,
					 .fwmark = io_mark, .ifindex = io_ifindex };
	const struct uwg_uapi_io io2 = { .ctx = &f2, .set_listen_port = io_set_port,
					 .listen_port = io_port, .set_fwmark = io_set_mark,
					 .fwmark = io_mark, .ifindex = io_ifindex };
	struct uwg_wg *wg1, *wg2;
	size_t step, take, n;

	if (!init) {
		REQUIRE(uwg_crypto_init() == 0);
		REQUIRE(uwg_pool_init(&pool, 64) == 0);
		out.p = malloc(MAX_REPLY);
		get1.p = malloc(MAX_REPLY);
		get2.p = malloc(MAX_REPLY);
		set = malloc(MAX_REPLY);
		REQUIRE(out.p && get1.p && get2.p && set);
		init = true;
	}
	if (size < 2 || size > MAX_INPUT)
		return 0;
	step = data[0];
	take = data[1];
	data += 2;
	size -= 2;

	wg1 = dev_get(&d1);
	wg2 = dev_get(&d2);
	uwg_uapi_init(&s1, wg1, &io1);
	out.len = 0;
	if (run(&s1, data, size, step, take, &out))
		check_replies(out.p, out.len);

	/* Round trip of whatever configuration the stream left behind. */
	uwg_uapi_init(&s1, wg1, &io1);
	get1.len = 0;
	REQUIRE(run(&s1, (const uint8_t *)"get=1\n\n", 7, 0, 0, &get1));
	check_replies(get1.p, get1.len);
	REQUIRE(get1.len >= 9 && !strcmp(get1.p + get1.len - 9, "errno=0\n\n"));
	n = to_set(get1.p, get1.len, set);
	uwg_uapi_init(&s2, wg2, &io2);
	out.len = 0;
	REQUIRE(run(&s2, (const uint8_t *)set, n, 0, 0, &out));
	REQUIRE(out.len == 9 && !memcmp(out.p, "errno=0\n\n", 9));
	get2.len = 0;
	REQUIRE(run(&s2, (const uint8_t *)"get=1\n\n", 7, 0, 0, &get2));
	REQUIRE(get1.len == get2.len && !memcmp(get1.p, get2.p, get1.len));

	uwg_uapi_clear(&s1);
	uwg_uapi_clear(&s2);
	dev_reset(&d1);
	dev_reset(&d2);
	REQUIRE(pool.avail == pool.count);
	return 0;
}
