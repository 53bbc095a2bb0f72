/*
 * test/unit/cli/daemon/test_uapi.c - cli/daemon/uapi.c against a real in-memory struct uwg_wg:
 * exact set/get round trips as `wg` and wireguard-go exchange them, key
 * clamping, replace_peers/update_only/remove, "-prefix" removal, the exact
 * negative errno of each kind of bad input, streaming of large replies in
 * bounded chunks, request pipelining, and the uwg-only stats=1 request.
 * Single-threaded.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "cli/daemon/uapi.h"
#include "core/wg.h"
#include "crypto/crypto.h"
#include "crypto/ct.h"
#include "crypto/encoding.h"
#include "crypto/x25519.h"
#include "test/harness.h"

static struct uwg_pool pool;
static uint64_t fake_now = 1000000000;

static uint64_t op_now(void *ctx)
{
	(void)ctx;
	return fake_now;
}

static void op_wall(void *ctx, struct timespec *ts)
{
	(void)ctx;
	ts->tv_sec = 1700000000;
	ts->tv_nsec = 0;
}

static void op_random(void *ctx, uint8_t *out, size_t len)
{
	static uint8_t x = 1;

	(void)ctx;
	for (size_t i = 0; i < len; i++)
		out[i] = x++;
}

static unsigned sent, written;

static void op_udp_send(void *ctx, struct uwg_pkt *pkt)
{
	(void)ctx;
	sent++;
	uwg_pool_put(&pool, pkt);
}

static void op_tun_write(void *ctx, struct uwg_pkt *pkt)
{
	(void)ctx;
	written++;
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
	.udp_send = op_udp_send,
	.tun_write = op_tun_write,
	.timer_arm = op_timer_arm,
};

/* The I/O side of listen_port/fwmark, with an injectable failure. */
struct fake_io {
	uint16_t port;
	uint32_t mark;
	int port_err;
	unsigned port_calls;
};

static int io_set_port(void *ctx, uint16_t port)
{
	struct fake_io *f = ctx;

	f->port_calls++;
	if (f->port_err)
		return f->port_err;
	f->port = port ? port : 40000; /* 0 = "random" */
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

static size_t io_extra(void *ctx, const char **names, uint64_t *values, size_t cap)
{
	(void)ctx;
	if (cap < 1)
		return 0;
	names[0] = "io_test_counter";
	values[0] = 7;
	return 1;
}

static unsigned io_ifindex(void *ctx, const char *name)
{
	(void)ctx;
	return !strcmp(name, "eth7") ? 7 : 0;
}

static struct fake_io fio;
static const struct uwg_uapi_io io = {
	.ctx = &fio,
	.set_listen_port = io_set_port,
	.listen_port = io_port,
	.set_fwmark = io_set_mark,
	.fwmark = io_mark,
	.extra_stats = io_extra,
	.ifindex = io_ifindex,
};

/* A growable reply buffer. */
struct reply {
	char *buf;
	size_t len, cap;
	size_t max_chunk; /* largest single uwg_uapi_output result seen */
};

static void reply_add(struct reply *r, const uint8_t *d, size_t n)
{
	if (r->len + n + 1 > r->cap) {
		r->cap = (r->len + n + 1) * 2;
		r->buf = realloc(r->buf, r->cap);
		if (!r->buf)
			abort();
	}
	memcpy(r->buf + r->len, d, n);
	r->len += n;
	r->buf[r->len] = '\0';
}

/*
 * Feeds req in pieces of `step` bytes (0: all at once) and drains every reply
 * taking at most `take` bytes per consume, as a socket that drains slowly.
 * Returns the last feed error (negative) or 0.
 */
static int exchange_ex(struct uwg_uapi *s, const char *req, size_t step, size_t take,
		       struct reply *r)
{
	size_t len = strlen(req), off = 0;

	r->len = 0;
	if (r->buf)
		r->buf[0] = '\0';
	while (off < len || uwg_uapi_busy(s)) {
		size_t chunk = step && len - off > step ? step : len - off;
		const uint8_t *d;
		size_t n;
		long used = 0;

		if (off < len) {
			used = uwg_uapi_feed(s, (const uint8_t *)req + off, chunk);
			if (used < 0)
				return (int)used;
			off += (size_t)used;
		}
		while ((n = uwg_uapi_output(s, &d)) > 0) {
			if (n > r->max_chunk)
				r->max_chunk = n;
			if (take && n > take)
				n = take;
			reply_add(r, d, n);
			uwg_uapi_consume(s, n);
		}
		if (off >= len && uwg_uapi_busy(s) && used == 0)
			break; /* incomplete request: waiting for more input */
	}
	return 0;
}

static struct reply rep;

static const char *exchange(struct uwg_uapi *s, const char *req)
{
	int ret = exchange_ex(s, req, 0, 0, &rep);

	CHECK_EQ_INT(ret, 0);
	return rep.buf ? rep.buf : "";
}

static char *fmt(const char *f, ...) __attribute__((format(printf, 1, 2)));

static char *fmt(const char *f, ...)
{
	static char bufs[8][8192];
	static int i;
	char *b = bufs[i++ % 8];
	va_list ap;

	va_start(ap, f);
	vsnprintf(b, sizeof(bufs[0]), f, ap);
	va_end(ap);
	return b;
}

static void hex32(char out[65], uint8_t byte)
{
	for (int i = 0; i < 64; i += 2)
		snprintf(out + i, 3, "%02x", byte);
}

static struct uwg_wg *new_wg(void)
{
	struct uwg_wg *wg = uwg_wg_new(&ops, &pool);

	if (!wg)
		abort();
	memset(&fio, 0, sizeof(fio));
	return wg;
}

/* Public keys used as peers: any 32 bytes will do for configuration. */
static char pk_a[65], pk_b[65], pk_c[65], psk_hex[65], zero_hex[65];

static void test_round_trip(void)
{
	struct uwg_wg *wg = new_wg();
	static struct uwg_uapi s;
	char sk_in[65], sk_clamped[65], pub_hex[65];
	uint8_t sk[32], pub[32];

	uwg_uapi_init(&s, wg, &io);
	/* Fresh device: nothing but the footer. */
	CHECK_EQ_STR(exchange(&s, "get=1\n\n"), "errno=0\n\n");

	/* An unclamped private key is stored and shown clamped. */
	hex32(sk_in, 0xff);
	memset(sk, 0xff, sizeof(sk));
	uwg_x25519_clamp(sk);
	uwg_key_to_hex(sk_clamped, sk);
	CHECK_EQ_STR(sk_clamped, "f8ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f");
	CHECK(uwg_x25519_public(pub, sk));
	uwg_key_to_hex(pub_hex, pub);

	CHECK_EQ_STR(exchange(&s, fmt("set=1\n"
				      "private_key=%s\n"
				      "listen_port=51820\n"
				      "fwmark=4660\n"
				      "replace_peers=true\n"
				      "public_key=%s\n"
				      "preshared_key=%s\n"
				      "endpoint=192.0.2.1:51821\n"
				      "persistent_keepalive_interval=25\n"
				      "replace_allowed_ips=true\n"
				      "allowed_ip=10.0.0.0/8\n"
				      "allowed_ip=10.1.0.0/16\n"
				      "allowed_ip=fd00::/64\n"
				      "public_key=%s\n"
				      "protocol_version=1\n"
				      "endpoint=[2001:db8::1]:7\n"
				      "allowed_ip=192.168.7.7/32\n"
				      "\n",
				      sk_in, pk_a, psk_hex, pk_b)),
		     "errno=0\n\n");
	CHECK_EQ_U64(fio.port, 51820);
	CHECK_EQ_U64(fio.mark, 4660);
	CHECK_EQ_U64(uwg_wg_peer_count(wg), 2);

	CHECK_EQ_STR(exchange(&s, "get=1\n\n"),
		     fmt("private_key=%s\n"
			 "listen_port=51820\n"
			 "fwmark=4660\n"
			 "public_key=%s\n"
			 "preshared_key=%s\n"
			 "protocol_version=1\n"
			 "endpoint=192.0.2.1:51821\n"
			 "last_handshake_time_sec=0\n"
			 "last_handshake_time_nsec=0\n"
			 "tx_bytes=0\n"
			 "rx_bytes=0\n"
			 "persistent_keepalive_interval=25\n"
			 "allowed_ip=10.0.0.0/8\n"
			 "allowed_ip=10.1.0.0/16\n"
			 "allowed_ip=fd00::/64\n"
			 "public_key=%s\n"
			 "preshared_key=%s\n"
			 "protocol_version=1\n"
			 "endpoint=[2001:db8::1]:7\n"
			 "last_handshake_time_sec=0\n"
			 "last_handshake_time_nsec=0\n"
			 "tx_bytes=0\n"
			 "rx_bytes=0\n"
			 "persistent_keepalive_interval=0\n"
			 "allowed_ip=192.168.7.7/32\n"
			 "errno=0\n\n",
			 sk_clamped, pk_a, psk_hex, pk_b, zero_hex));

	/* Host bits are masked; a v4-mapped v6 endpoint is IPv4; zones parse. */
	CHECK_EQ_STR(exchange(&s, fmt("set=1\npublic_key=%s\nreplace_allowed_ips=true\n"
				      "allowed_ip=192.168.7.7/24\nendpoint=[::ffff:192.0.2.9]:9\n"
				      "public_key=%s\nendpoint=[fe80::1%%eth7]:5\n\n",
				      pk_b, pk_a)),
		     "errno=0\n\n");
	CHECK(strstr(exchange(&s, "get=1\n\n"), "endpoint=192.0.2.9:9\n"
						"last_handshake_time_sec=0\n") != NULL);
	CHECK(strstr(rep.buf, "allowed_ip=192.168.7.0/24\nerrno=0\n\n") != NULL);
	CHECK(strstr(rep.buf, "endpoint=[fe80::1%7]:5\n") != NULL);
	CHECK_EQ_STR(exchange(&s, fmt("set=1\npublic_key=%s\nendpoint=[fe80::1%%3]:5\n\n", pk_a)),
		     "errno=0\n\n");
	CHECK(strstr(exchange(&s, "get=1\n\n"), "endpoint=[fe80::1%3]:5\n") != NULL);

	/* Clearing keys: zero private key and preshared key; 0 port/fwmark are not shown. */
	CHECK_EQ_STR(exchange(&s, fmt("set=1\nprivate_key=%s\nfwmark=0\npublic_key=%s\n"
				      "preshared_key=%s\n\n",
				      zero_hex, pk_a, zero_hex)),
		     "errno=0\n\n");
	exchange(&s, "get=1\n\n");
	CHECK(strncmp(rep.buf, "listen_port=51820\npublic_key=", 29) == 0);
	CHECK(strstr(rep.buf, "fwmark=") == NULL);
	CHECK(strstr(rep.buf, fmt("public_key=%s\npreshared_key=%s\n", pk_a, zero_hex)) != NULL);

	/* Upper-case hex is accepted; output is lower case. */
	{
		char upper[65];

		for (int i = 0; i < 64; i++)
			upper[i] = (char)(pk_c[i] >= 'a' ? pk_c[i] - 32 : pk_c[i]);
		upper[64] = '\0';
		CHECK_EQ_STR(exchange(&s, fmt("set=1\npublic_key=%s\n\n", upper)), "errno=0\n\n");
		CHECK(strstr(exchange(&s, "get=1\n\n"), fmt("public_key=%s\n", pk_c)) != NULL);
	}

	uwg_uapi_clear(&s);
	uwg_wg_free(wg);
}

static void test_own_key_peer(void)
{
	struct uwg_wg *wg = new_wg();
	static struct uwg_uapi s;
	uint8_t sk[32], pub[32];
	char sk_hex[65], pub_hex[65];

	uwg_uapi_init(&s, wg, &io);
	uwg_x25519_generate(sk, pub);
	uwg_key_to_hex(sk_hex, sk);
	uwg_key_to_hex(pub_hex, pub);
	/* A peer with the device's own public key is silently ignored, its lines still checked. */
	CHECK_EQ_STR(exchange(&s, fmt("set=1\nprivate_key=%s\npublic_key=%s\n"
				      "allowed_ip=10.0.0.0/8\nendpoint=192.0.2.1:1\n\n",
				      sk_hex, pub_hex)),
		     "errno=0\n\n");
	CHECK_EQ_U64(uwg_wg_peer_count(wg), 0);
	CHECK_EQ_STR(exchange(&s, fmt("set=1\npublic_key=%s\nallowed_ip=10.0.0.0/33\n\n", pub_hex)),
		     "errno=-22\n\n");
	/* Taking a peer's key as our own removes that peer. */
	uwg_x25519_generate(sk, pub);
	uwg_key_to_hex(sk_hex, sk);
	uwg_key_to_hex(pub_hex, pub);
	CHECK_EQ_STR(exchange(&s, fmt("set=1\npublic_key=%s\npublic_key=%s\n\n", pk_a, pub_hex)),
		     "errno=0\n\n");
	CHECK_EQ_U64(uwg_wg_peer_count(wg), 2);
	CHECK_EQ_STR(exchange(&s, fmt("set=1\nprivate_key=%s\n\n", sk_hex)), "errno=0\n\n");
	CHECK_EQ_U64(uwg_wg_peer_count(wg), 1);
	CHECK(strstr(exchange(&s, "get=1\n\n"), pub_hex) == NULL);
	uwg_memzero(sk, sizeof(sk));
	uwg_memzero(sk_hex, sizeof(sk_hex));
	uwg_uapi_clear(&s);
	uwg_wg_free(wg);
}

static void test_peer_ops(void)
{
	struct uwg_wg *wg = new_wg();
	static struct uwg_uapi s;

	uwg_uapi_init(&s, wg, &io);
	CHECK_EQ_STR(exchange(&s, fmt("set=1\npublic_key=%s\nallowed_ip=10.0.0.0/24\n"
				      "allowed_ip=10.1.0.0/16\nallowed_ip=fd00::/64\n"
				      "public_key=%s\nallowed_ip=10.2.0.0/16\n\n",
				      pk_a, pk_b)),
		     "errno=0\n\n");

	/* "-prefix" removes one prefix; one the peer does not own is a no-op. */
	CHECK_EQ_STR(exchange(&s, fmt("set=1\npublic_key=%s\nallowed_ip=-10.0.0.0/24\n"
				      "allowed_ip=-10.2.0.0/16\nallowed_ip=-fd00::/64\n"
				      "allowed_ip=-10.9.0.0/16\n\n",
				      pk_a)),
		     "errno=0\n\n");
	exchange(&s, "get=1\n\n");
	CHECK(strstr(rep.buf, "persistent_keepalive_interval=0\nallowed_ip=10.1.0.0/16\n"
			      "public_key=") != NULL);
	CHECK(strstr(rep.buf, "allowed_ip=10.2.0.0/16\nerrno=0\n\n") != NULL);

	/* update_only: an unknown peer is not created, a known one is updated. */
	CHECK_EQ_STR(exchange(&s, fmt("set=1\npublic_key=%s\nupdate_only=true\n"
				      "allowed_ip=10.3.0.0/16\npersistent_keepalive_interval=5\n"
				      "public_key=%s\nupdate_only=true\npersistent_keepalive_interval=9\n\n",
				      pk_c, pk_b)),
		     "errno=0\n\n");
	CHECK_EQ_U64(uwg_wg_peer_count(wg), 2);
	exchange(&s, "get=1\n\n");
	CHECK(strstr(rep.buf, pk_c) == NULL);
	CHECK(strstr(rep.buf, "allowed_ip=10.3.0.0/16") == NULL);
	CHECK(strstr(rep.buf, "persistent_keepalive_interval=9\nallowed_ip=10.2.0.0/16\n") != NULL);

	/* remove: the peer goes and the rest of its section is ignored. */
	CHECK_EQ_STR(exchange(&s, fmt("set=1\npublic_key=%s\nremove=true\nallowed_ip=10.4.0.0/16\n\n",
				      pk_a)),
		     "errno=0\n\n");
	CHECK_EQ_U64(uwg_wg_peer_count(wg), 1);
	CHECK(strstr(exchange(&s, "get=1\n\n"), pk_a) == NULL);
	CHECK(strstr(rep.buf, "10.4.0.0") == NULL);

	/* replace_allowed_ips keeps only what follows it. */
	CHECK_EQ_STR(exchange(&s, fmt("set=1\npublic_key=%s\nreplace_allowed_ips=true\n"
				      "allowed_ip=10.5.0.0/16\n\n",
				      pk_b)),
		     "errno=0\n\n");
	CHECK(strstr(exchange(&s, "get=1\n\n"),
		     "persistent_keepalive_interval=9\nallowed_ip=10.5.0.0/16\nerrno=0\n\n") != NULL);

	/* replace_peers drops every peer before the new ones. */
	CHECK_EQ_STR(exchange(&s, fmt("set=1\npublic_key=%s\n\n", pk_a)), "errno=0\n\n");
	CHECK_EQ_U64(uwg_wg_peer_count(wg), 2);
	CHECK_EQ_STR(exchange(&s, fmt("set=1\nreplace_peers=true\npublic_key=%s\n\n", pk_c)),
		     "errno=0\n\n");
	CHECK_EQ_U64(uwg_wg_peer_count(wg), 1);
	exchange(&s, "get=1\n\n");
	CHECK(strstr(rep.buf, pk_c) != NULL && strstr(rep.buf, pk_a) == NULL &&
	      strstr(rep.buf, pk_b) == NULL);
	uwg_uapi_clear(&s);
	uwg_wg_free(wg);
}

/*
 * Past the device's peer limit: errno=-28 (ENOSPC), the peer that did not fit
 * is not created and nothing after it in the request is applied; the peers
 * before it are whole.
 */
static void test_max_peers(void)
{
	struct uwg_wg *wg = new_wg();
	static struct uwg_uapi s;

	CHECK_EQ_INT(uwg_wg_set_max_peers(wg, 0), -EINVAL);
	CHECK_EQ_INT(uwg_wg_set_max_peers(wg, (size_t)1 << 30), -EINVAL);
	CHECK_EQ_INT(uwg_wg_set_max_peers(wg, 2), 0);
	CHECK_EQ_U64(uwg_wg_max_peers(wg), 2);
	uwg_uapi_init(&s, wg, &io);
	CHECK_EQ_STR(exchange(&s, fmt("set=1\npublic_key=%s\nallowed_ip=10.0.0.1/32\n"
				      "public_key=%s\nallowed_ip=10.0.0.2/32\n"
				      "public_key=%s\nallowed_ip=10.0.0.3/32\n"
				      "listen_port=1234\n\n",
				      pk_a, pk_b, pk_c)),
		     "errno=-28\n\n");
	CHECK_EQ_U64(uwg_wg_peer_count(wg), 2);
	exchange(&s, "get=1\n\n");
	CHECK(strstr(rep.buf, "allowed_ip=10.0.0.1/32") && strstr(rep.buf, "allowed_ip=10.0.0.2/32"));
	CHECK(!strstr(rep.buf, pk_c) && !strstr(rep.buf, "10.0.0.3") && !strstr(rep.buf, "1234"));
	/* an existing peer still takes changes at the limit */
	CHECK_EQ_STR(exchange(&s, fmt("set=1\npublic_key=%s\nallowed_ip=10.0.0.9/32\n\n", pk_b)),
		     "errno=0\n\n");
	/* removing one makes room for another */
	CHECK_EQ_STR(exchange(&s, fmt("set=1\npublic_key=%s\nremove=true\npublic_key=%s\n\n",
				      pk_a, pk_c)),
		     "errno=0\n\n");
	CHECK_EQ_U64(uwg_wg_peer_count(wg), 2);
	uwg_uapi_clear(&s);
	uwg_wg_free(wg);
}

static void test_errors(void)
{
	struct uwg_wg *wg = new_wg();
	static struct uwg_uapi s;
	char longline[UWG_UAPI_LINE_MAX + 50];
	static const struct {
		const char *req;
		const char *reply;
	} cases[] = {
		{ "set=1\nfoo=bar\n\n", "errno=-22\n\n" },
		{ "set=1\nno_equals_sign\n\n", "errno=-71\n\n" },
		{ "set=1\nprivate_key=abc\n\n", "errno=-22\n\n" },
		{ "set=1\nprivate_key=\n\n", "errno=-22\n\n" },
		{ "set=1\nlisten_port=65536\n\n", "errno=-22\n\n" },
		{ "set=1\nlisten_port=-1\n\n", "errno=-22\n\n" },
		{ "set=1\nlisten_port= 1\n\n", "errno=-22\n\n" },
		{ "set=1\nfwmark=4294967296\n\n", "errno=-22\n\n" },
		{ "set=1\nfwmark=0x10\n\n", "errno=-22\n\n" },
		{ "set=1\nreplace_peers=false\n\n", "errno=-22\n\n" },
		{ "set=1\npublic_key=xyz\n\n", "errno=-22\n\n" },
		{ "set=1\nPRIVATE_KEY=00\n\n", "errno=-22\n\n" },
		{ "set=1\nprotocol_version=1\n\n", "errno=-22\n\n" }, /* peer key in device section */
		{ "get=1\nx\n\n", "errno=-22\n\n" },
		{ "stats=1\nx=1\n\n", "errno=-22\n\n" },
	};
	/* Peer-section values, each after a valid public_key line. */
	static const struct {
		const char *line;
		int err;
	} peer_cases[] = {
		{ "endpoint=1.2.3.4", -EINVAL },
		{ "endpoint=1.2.3.4:", -EINVAL },
		{ "endpoint=1.2.3.4:65536", -EINVAL },
		{ "endpoint=::1:5", -EINVAL },
		{ "endpoint=[::1]5", -EINVAL },
		{ "endpoint=[::1]:", -EINVAL },
		{ "endpoint=[1.2.3.4]:5", -EINVAL },
		{ "endpoint=[fe80::1%nosuchif]:5", -EINVAL },
		{ "endpoint=example.com:5", -EINVAL },
		{ "endpoint=01.2.3.4:5", -EINVAL },
		{ "allowed_ip=10.0.0.0", -EINVAL },
		{ "allowed_ip=10.0.0.0/33", -EINVAL },
		{ "allowed_ip=fd00::/129", -EINVAL },
		{ "allowed_ip=10.0.0.0/", -EINVAL },
		{ "allowed_ip=10.0.0.0/08", -EINVAL },
		{ "allowed_ip=--10.0.0.0/8", -EINVAL },
		{ "allowed_ip=fe80::1%1/64", -EINVAL },
		{ "persistent_keepalive_interval=65536", -EINVAL },
		{ "persistent_keepalive_interval=", -EINVAL },
		{ "preshared_key=00", -EINVAL },
		{ "protocol_version=2", -EINVAL },
		{ "remove=yes", -EINVAL },
		{ "update_only=1", -EINVAL },
		{ "replace_allowed_ips=false", -EINVAL },
		{ "listen_port=1", -EINVAL },
		{ "private_key=0000000000000000000000000000000000000000000000000000000000000000",
		  -EINVAL },
		{ "unknown=1", -EINVAL },
	};

	uwg_uapi_init(&s, wg, &io);
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		const char *got = exchange(&s, cases[i].req);

		if (strcmp(got, cases[i].reply))
			fprintf(stderr, "case %zu: %s", i, cases[i].req);
		CHECK_EQ_STR(got, cases[i].reply);
	}
	for (size_t i = 0; i < ARRAY_SIZE(peer_cases); i++) {
		const char *got = exchange(&s, fmt("set=1\npublic_key=%s\n%s\n\n", pk_a,
						   peer_cases[i].line));

		if (strcmp(got, fmt("errno=%d\n\n", peer_cases[i].err)))
			fprintf(stderr, "peer case %zu: %s\n", i, peer_cases[i].line);
		CHECK_EQ_STR(got, fmt("errno=%d\n\n", peer_cases[i].err));
	}

	/* Lines before the failing one stay applied; the rest of the request is ignored. */
	uwg_wg_peers_clear(wg);
	CHECK_EQ_STR(exchange(&s, fmt("set=1\nlisten_port=1234\npublic_key=%s\nallowed_ip=10.0.0.0/8\n"
				      "allowed_ip=bogus\npublic_key=%s\nallowed_ip=10.1.0.0/16\n\n",
				      pk_a, pk_b)),
		     "errno=-22\n\n");
	CHECK_EQ_U64(fio.port, 1234);
	CHECK_EQ_U64(uwg_wg_peer_count(wg), 1);
	CHECK(strstr(exchange(&s, "get=1\n\n"), "allowed_ip=10.0.0.0/8\nerrno=0\n\n") != NULL);

	/* An I/O failure comes back as its errno. */
	fio.port_err = -EADDRINUSE;
	CHECK_EQ_STR(exchange(&s, "set=1\nlisten_port=53\n\n"), "errno=-98\n\n");
	fio.port_err = 0;
	CHECK_EQ_U64(fio.port, 1234);

	/* An overlong line fails the request with -EPROTO but keeps the stream in sync. */
	memset(longline, 'a', sizeof(longline) - 1);
	longline[sizeof(longline) - 1] = '\0';
	CHECK_EQ_STR(exchange(&s, fmt("set=1\nfwmark=%s\n\n", longline)), "errno=-71\n\n");
	CHECK_EQ_STR(exchange(&s, "get=1\n\n"),
		     fmt("listen_port=1234\npublic_key=%s\npreshared_key=%s\nprotocol_version=1\n"
			 "last_handshake_time_sec=0\nlast_handshake_time_nsec=0\ntx_bytes=0\n"
			 "rx_bytes=0\npersistent_keepalive_interval=0\nallowed_ip=10.0.0.0/8\n"
			 "errno=0\n\n",
			 pk_a, zero_hex));
	/* A NUL inside a value is a bad value, not a truncated one. */
	{
		static const char req[] = "set=1\nlisten_port=12\0003\n\n";
		long used;
		const uint8_t *d;
		size_t n;

		used = uwg_uapi_feed(&s, (const uint8_t *)req, sizeof(req) - 1);
		CHECK_EQ_INT(used, (long)sizeof(req) - 1);
		n = uwg_uapi_output(&s, &d);
		CHECK(n == 11 && !memcmp(d, "errno=-22\n\n", 11));
		uwg_uapi_consume(&s, n);
		CHECK(!uwg_uapi_busy(&s));
		CHECK_EQ_U64(fio.port, 1234);
	}

	/* Unknown operations and garbage close the connection (negative feed result). */
	CHECK_EQ_INT(exchange_ex(&s, "GET=1\n\n", 0, 0, &rep), -EPROTO);
	uwg_uapi_init(&s, wg, &io);
	CHECK_EQ_INT(exchange_ex(&s, "\n", 0, 0, &rep), -EPROTO);
	uwg_uapi_init(&s, wg, &io);
	CHECK_EQ_INT(exchange_ex(&s, longline, 0, 0, &rep), 0); /* no newline yet: waiting */
	CHECK_EQ_INT(exchange_ex(&s, "\n", 0, 0, &rep), -EPROTO);
	uwg_uapi_clear(&s);
	uwg_wg_free(wg);
}

static void test_pipelining(void)
{
	struct uwg_wg *wg = new_wg();
	static struct uwg_uapi s, t;
	struct reply a = { 0 }, b = { 0 };
	const char *req;

	uwg_uapi_init(&s, wg, &io);
	uwg_uapi_init(&t, wg, &io);
	req = fmt("set=1\nlisten_port=9\npublic_key=%s\nallowed_ip=10.0.0.0/8\n\n"
		  "get=1\n\nset=1\nbogus=1\n\nget=1\n\nstats=1\n\n",
		  pk_a);
	/* Several requests in one buffer; feed stops at each reply. */
	CHECK_EQ_INT(exchange_ex(&s, req, 0, 0, &a), 0);
	/* The same bytes one at a time, replies drained one byte at a time. */
	uwg_wg_peers_clear(wg);
	CHECK_EQ_INT(exchange_ex(&t, req, 1, 1, &b), 0);
	CHECK_EQ_STR(b.buf, a.buf);
	CHECK(!strncmp(a.buf, "errno=0\n\nlisten_port=9\npublic_key=", 34));
	CHECK(strstr(a.buf, "allowed_ip=10.0.0.0/8\nerrno=0\n\nerrno=-22\n\nlisten_port=9\n") !=
	      NULL);
	CHECK(strstr(a.buf, "io_test_counter=7\nerrno=0\n\n") != NULL);
	{
		/* Feed consumes exactly the first request. */
		long used = uwg_uapi_feed(&s, (const uint8_t *)"get=1\n\nget=1\n\n", 14);

		CHECK_EQ_INT(used, 7);
		CHECK(uwg_uapi_busy(&s));
		CHECK_EQ_INT(uwg_uapi_feed(&s, (const uint8_t *)"get=1\n\n", 7), 0);
		while (uwg_uapi_busy(&s)) {
			const uint8_t *d;

			uwg_uapi_consume(&s, uwg_uapi_output(&s, &d));
		}
	}
	free(a.buf);
	free(b.buf);
	uwg_uapi_clear(&s);
	uwg_uapi_clear(&t);
	uwg_wg_free(wg);
}

static void test_stats(void)
{
	struct uwg_wg *wg = new_wg();
	static struct uwg_uapi s;
	struct uwg_pkt *p;

	uwg_uapi_init(&s, wg, &io);
	uwg_wg_up(wg);
	CHECK(strstr(exchange(&s, "stats=1\n\n"), "rx_bad_length=0\n") == rep.buf);
	/* A 3-byte datagram is counted as a bad length. */
	p = uwg_pool_get(&pool);
	p->len = 3;
	memset(uwg_pkt_data(p), 1, 3);
	p->ep.addr.in4.sin_family = AF_INET;
	uwg_wg_udp_input(wg, p);
	exchange(&s, "stats=1\n\n");
	CHECK(strncmp(rep.buf, "rx_bad_length=1\nrx_bad_type=0\n", 30) == 0);
	CHECK(strstr(rep.buf, "handshakes_completed=0\nsessions_active=0\nio_test_counter=7\nerrno=0\n\n") != NULL);
	uwg_uapi_clear(&s);
	uwg_wg_free(wg);
}

static int count_lines(const char *buf, const char *prefix)
{
	int n = 0;
	size_t plen = strlen(prefix);

	for (const char *p = buf; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
		if (!strncmp(p, prefix, plen))
			n++;
	return n;
}

static void test_large(void)
{
	enum { NV4 = 70000, NV6 = 3000, NPEERS = 40, PER_PEER = 52 };
	struct uwg_wg *wg = new_wg();
	static struct uwg_uapi s;
	struct reply big = { 0 }, r = { 0 };
	size_t cap = (size_t)(NV4 + NV6) * 40 + 4096, len = 0;
	char *req = malloc(cap);

	uwg_uapi_init(&s, wg, &io);
	len += (size_t)snprintf(req + len, cap - len, "set=1\npublic_key=%s\n", pk_a);
	for (int i = 0; i < NV4; i++)
		len += (size_t)snprintf(req + len, cap - len, "allowed_ip=10.%d.%d.%d/32\n",
					(i >> 16) & 255, (i >> 8) & 255, i & 255);
	for (int i = 0; i < NV6; i++)
		len += (size_t)snprintf(req + len, cap - len, "allowed_ip=fd00::%x/128\n", i + 1);
	snprintf(req + len, cap - len, "\n");
	/* Set streamed in odd-sized pieces, get drained 1000 bytes at a time. */
	CHECK_EQ_INT(exchange_ex(&s, req, 4093, 0, &r), 0);
	CHECK_EQ_STR(r.buf, "errno=0\n\n");
	CHECK_EQ_INT(exchange_ex(&s, "get=1\n\n", 0, 1000, &big), 0);
	CHECK_EQ_INT(count_lines(big.buf, "allowed_ip=10."), NV4);
	CHECK_EQ_INT(count_lines(big.buf, "allowed_ip=fd00::"), NV6);
	CHECK(big.max_chunk <= UWG_UAPI_OUT_CHUNK);
	CHECK(big.len > 10 * UWG_UAPI_OUT_CHUNK);
	CHECK(big.len >= 9 && !strcmp(big.buf + big.len - 9, "errno=0\n\n"));
	CHECK(strstr(big.buf, "allowed_ip=10.1.17.111/32\n") != NULL);
	CHECK(strstr(big.buf, "allowed_ip=fd00::bb8/128\n") != NULL);

	/* Many peers with a few prefixes each (netns "split responses"). */
	len = 0;
	len += (size_t)snprintf(req + len, cap - len, "set=1\nreplace_peers=true\n");
	for (int p = 0; p < NPEERS; p++) {
		uint8_t key[32] = { 0 };
		char hex[65];

		key[0] = (uint8_t)p;
		key[31] = 0x42;
		uwg_key_to_hex(hex, key);
		len += (size_t)snprintf(req + len, cap - len, "public_key=%s\n", hex);
		for (int i = 0; i < PER_PEER; i++)
			len += (size_t)snprintf(req + len, cap - len, "allowed_ip=172.%d.%d.0/24\n",
						16 + p, i);
	}
	snprintf(req + len, cap - len, "\n");
	CHECK_EQ_STR(exchange(&s, req), "errno=0\n\n");
	CHECK_EQ_INT(exchange_ex(&s, "get=1\n\n", 0, 777, &big), 0);
	CHECK_EQ_INT(count_lines(big.buf, "public_key="), NPEERS);
	CHECK_EQ_INT(count_lines(big.buf, "allowed_ip="), NPEERS * PER_PEER);
	free(req);
	free(big.buf);
	free(r.buf);
	uwg_uapi_clear(&s);
	uwg_wg_free(wg);
}

int main(void)
{
	uint8_t k[32];

	if (uwg_crypto_init() < 0 || uwg_pool_init(&pool, 256) < 0)
		return 1;
	for (int i = 0; i < 32; i++)
		k[i] = (uint8_t)(0xa0 + i);
	uwg_key_to_hex(pk_a, k);
	k[0] = 0xb0;
	uwg_key_to_hex(pk_b, k);
	k[0] = 0xc0;
	uwg_key_to_hex(pk_c, k);
	hex32(psk_hex, 0x5a);
	hex32(zero_hex, 0);

	test_round_trip();
	test_own_key_peer();
	test_peer_ops();
	test_max_peers();
	test_errors();
	test_pipelining();
	test_stats();
	test_large();
	CHECK_EQ_U64(pool.avail, pool.count);
	free(rep.buf);
	uwg_pool_destroy(&pool);
	return harness_report("test_uapi");
}
