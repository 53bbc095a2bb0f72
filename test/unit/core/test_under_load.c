/*
 * test/unit/core/test_under_load.c - the device's budgets under a handshake
 * flood (core/receive.c, "Under load"), on the in-memory network
 * (wg_testnet.h) with its fake clock. Flood messages are what bench/hsflood
 * sends: initiations with random bodies and a valid mac1, which only a DH
 * would reveal as garbage. One source flooding gets at most its burst plus
 * 16 cookie replies a second and the rest is shed before any MAC or clock
 * read; another source is still answered; a client that echoes its cookie
 * completes its handshake within its first retry even when many sources
 * have used up the device's cookie budget; the device's inspection budget
 * bounds a burst from many sources; and data in a batch full of flood
 * messages is all delivered.
 */
#include "core/cookie.h"
#include "core/wg.h"
#include "test/harness.h"
#include "test/unit/core/wg_testnet.h"

static struct tn net;

static const struct uwg_wg_stats *st(struct tn_node *n)
{
	return uwg_wg_get_stats(n->wg);
}

static struct sockaddr_in addr4(uint32_t host_order, uint16_t port)
{
	struct sockaddr_in a;

	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_port = htons(port);
	a.sin_addr.s_addr = htonl(host_order);
	return a;
}

/* The one flooding address (203.0.114.66) and a bystander (198.51.100.7). */
#define ATTACKER 0xcb007242u
#define BYSTANDER 0xc6336407u

/* A flood initiation for `to`: random body, sender index `index`, valid mac1, no mac2. */
static void forged_init(struct tn_node *to, uint8_t msg[148], uint32_t index)
{
	struct uwg_cookie_maker m;
	uint64_t s = 0x9e3779b97f4a7c15u ^ index;

	for (size_t i = 0; i < 148; i++)
		msg[i] = (uint8_t)(tn_rand64(&s) >> 56);
	uwg_le32_store(msg, UWG_MSG_HANDSHAKE_INITIATION);
	uwg_le32_store(msg + 4, index);
	uwg_cookie_maker_init(&m, to->pub);
	uwg_cookie_add_macs(&m, msg, 148, net.now);
}

static uint8_t pool_msgs[64][148];

/* n flood initiations from `from` to b at the current instant (cycling through 64 distinct ones). */
static void flood_burst(struct tn_node *b, const struct sockaddr_in *from, unsigned n)
{
	static unsigned k;

	for (unsigned i = 0; i < n; i++, k++)
		tn_inject_bytes(&net, b, from, pool_msgs[k % 64], 148);
}

/* Cookie replies b has sent so far. */
static unsigned cookies_sent(struct tn_node *b)
{
	unsigned n = 0;

	for (size_t i = 0; i < b->nlog; i++)
		n += b->log[i].type == UWG_MSG_HANDSHAKE_COOKIE;
	return n;
}

/* The last message of a type n sent (all zero if none). */
static struct tn_sent last_sent(struct tn_node *n, uint32_t type)
{
	struct tn_sent none;

	for (size_t i = n->nlog; i-- > 0;)
		if (n->log[i].type == type)
			return n->log[i];
	memset(&none, 0, sizeof(none));
	return none;
}

/*
 * Puts b under load the way a flood does, by count: 4097 messages with a
 * bad mac1 in one instant from a loader address of their own.
 */
static void load_up(struct tn_node *b)
{
	struct sockaddr_in loader = addr4(0xc6120001u, 9);
	uint8_t junk[148];

	memset(junk, 0x33, sizeof(junk));
	uwg_le32_store(junk, UWG_MSG_HANDSHAKE_INITIATION);
	for (int i = 0; i < 4097; i++)
		tn_inject_bytes(&net, b, &loader, junk, sizeof(junk));
}

static void setup(uint64_t seed)
{
	tn_init(&net, seed, NULL, true);
	for (uint32_t i = 0; i < 64; i++)
		forged_init(&net.node[1], pool_msgs[i], 0x1000 + i);
}

/*
 * One source floods at 6000 a second. In the first second it gets at most
 * its burst of 8 plus 16 cookie replies, everything else of it is shed
 * without a MAC check or a clock read, and Noise never runs. Meanwhile a
 * bystander is answered at once, and A (no cookie yet) completes its
 * handshake on its first retransmit, 5 s later, with the flood still on.
 */
static void test_one_source(void)
{
	struct sockaddr_in attacker = addr4(ATTACKER, 6666), bystander = addr4(BYSTANDER, 7);
	struct tn_node *a, *b;
	uint64_t t0, done = 0;
	uint8_t ping[256], msg[148];
	unsigned sent = 0, calls;
	size_t len;

	setup(501);
	a = &net.node[0];
	b = &net.node[1];
	load_up(b);
	CHECK_EQ_U64(st(b)->rx_bad_mac, 4097);

	calls = b->now_calls;
	for (int step = 0; step < 100; step++) {
		flood_burst(b, &attacker, 60);
		sent += 60;
		tn_advance(&net, 10 * TN_MS);
	}
	CHECK(cookies_sent(b) <= 8 + 16);
	CHECK(cookies_sent(b) >= 8 + 15);
	CHECK_EQ_U64(st(b)->rx_cookie_sent, cookies_sent(b));
	CHECK_EQ_U64(st(b)->rx_handshake_shed + st(b)->rx_cookie_ratelimited + st(b)->rx_cookie_sent,
		     sent);
	CHECK(st(b)->rx_handshake_shed >= sent - 32 - 64);
	CHECK_EQ_U64(st(b)->rx_bad_handshake, 0); /* no message reached Noise */
	/* Shed: one clock read (its arrival); inspected: two more to time it. */
	CHECK_EQ_U64(b->now_calls - calls, sent + 2 * (sent - st(b)->rx_handshake_shed));

	/* Another address is answered at once. */
	forged_init(b, msg, 0xabcdef);
	tn_inject_bytes(&net, b, &bystander, msg, sizeof(msg));
	CHECK_EQ_U64(b->log[b->nlog - 1].type, UWG_MSG_HANDSHAKE_COOKIE);
	CHECK_EQ_U64(b->log[b->nlog - 1].receiver, 0xabcdef);

	/* A new client: a cookie reply first, then its retry with mac2 is served. */
	len = tn_ping(&net, a, b, 3, ping);
	tn_deliver(&net);
	CHECK_EQ_U64(b->log[b->nlog - 1].type, UWG_MSG_HANDSHAKE_COOKIE);
	CHECK_EQ_U64(b->log[b->nlog - 1].receiver, last_sent(a, UWG_MSG_HANDSHAKE_INITIATION).sender);
	CHECK_EQ_U64(st(a)->rx_bad_handshake, 0); /* A took the cookie */
	t0 = net.now;
	for (int step = 0; step < 700 && !done; step++) {
		flood_burst(b, &attacker, 60);
		tn_advance(&net, 10 * TN_MS);
		if (st(b)->handshakes_completed)
			done = net.now;
	}
	CHECK(done && done - t0 < 6 * TN_SEC);
	CHECK(tn_tun_expect(&net, b, ping, len));
	CHECK_EQ_U64(st(a)->handshakes_completed, 1);
	CHECK_EQ_U64(st(b)->rx_bad_handshake, 0);
	/* Over those ~6 s the attacker got at most 16 replies a second more. */
	CHECK(cookies_sent(b) <= 8 + 16 + 2 + 16 * 7);
	tn_free(&net);
}

/*
 * Many sources: 10000 addresses a second, one message each, plus the one
 * flooder. The device's cookie budget (8192/s, burst 128) runs dry, but A,
 * which got its cookie before, is served on its first retry: a valid mac2
 * does not wait for the cookie budget. Then 2000 new addresses in one
 * instant: the device's inspection burst (256) is looked at, the rest shed.
 */
static void test_many_sources(void)
{
	struct sockaddr_in attacker = addr4(ATTACKER, 6666);
	struct tn_node *a, *b;
	uint64_t t0, done = 0, shed;
	uint32_t src = 0x0a000000u;
	unsigned c0, c1;
	uint8_t ping[256];
	size_t len;

	setup(502);
	a = &net.node[0];
	b = &net.node[1];
	load_up(b);
	len = tn_ping(&net, a, b, 4, ping);
	tn_deliver(&net);
	CHECK_EQ_U64(st(b)->rx_cookie_sent, 1);

	t0 = net.now;
	c0 = cookies_sent(b);
	for (int step = 0; step < 700 && !done; step++) {
		for (int i = 0; i < 100; i++) {
			struct sockaddr_in from = addr4(src++, 1000);

			tn_inject_bytes(&net, b, &from, pool_msgs[i % 64], 148);
		}
		flood_burst(b, &attacker, 60);
		tn_advance(&net, 10 * TN_MS);
		if (st(b)->handshakes_completed)
			done = net.now;
		if (step == 99) {
			/* The first second: the burst plus one second of the device's rate. */
			c1 = cookies_sent(b);
			CHECK(c1 - c0 <= 128 + 8192);
			/* (a token's cost is rounded to whole nanoseconds) */
			CHECK(c1 - c0 >= 8192 - 8);
		}
	}
	CHECK(done && done - t0 < 6 * TN_SEC);
	CHECK(tn_tun_expect(&net, b, ping, len));
	CHECK(st(b)->rx_cookie_ratelimited > 5000);
	CHECK_EQ_U64(st(b)->rx_ratelimited, 0);

	/* A burst of new addresses larger than the device's inspection burst. */
	shed = st(b)->rx_handshake_shed;
	for (int i = 0; i < 2000; i++) {
		struct sockaddr_in from = addr4(src++, 1000);

		tn_inject_bytes(&net, b, &from, pool_msgs[i % 64], 148);
	}
	CHECK(st(b)->rx_handshake_shed - shed >= 2000 - 256);
	CHECK(st(b)->rx_handshake_shed - shed <= 2000 - 200);
	tn_free(&net);
}

/*
 * Under load, a recvmmsg-sized batch where every data packet of an existing
 * session sits between three flood initiations: all data arrives, in order,
 * and only flood messages are dropped.
 */
static void test_mixed_batch(void)
{
	struct sockaddr_in attacker = addr4(ATTACKER, 6666);
	static uint8_t bufs[40][256];
	struct uwg_pkt *data[40], *mixed[160];
	struct uwg_wg_stats before;
	struct tn_node *a, *b;
	size_t lens[40], m = 0, n = 0;
	struct uwg_pkt *p;

	setup(503);
	a = &net.node[0];
	b = &net.node[1];
	tn_ping(&net, a, b, 0, NULL);
	tn_deliver(&net);
	tn_drain(&net, &b->tun);
	load_up(b);
	for (unsigned i = 0; i < 40; i++)
		lens[i] = tn_ping(&net, a, b, (uint8_t)(i + 1), bufs[i]);
	while (n < 40 && (p = uwg_pktq_pop(&a->out))) {
		memset(&p->ep, 0, sizeof(p->ep));
		p->ep.addr.in4 = a->addr;
		p->ep.src.v4 = b->local;
		p->ep.has_src = true;
		data[n++] = p;
	}
	CHECK_EQ_U64(n, 40);
	for (size_t i = 0; i < n; i++) {
		for (int k = 0; k < 3; k++) {
			struct uwg_pkt *f = uwg_pool_get(&net.pool);

			memcpy(uwg_pkt_data(f), pool_msgs[(i * 3 + (size_t)k) % 64], 148);
			f->len = 148;
			memset(&f->ep, 0, sizeof(f->ep));
			f->ep.addr.in4 = attacker;
			mixed[m++] = f;
		}
		mixed[m++] = data[i];
	}
	before = *st(b);
	uwg_wg_udp_input_batch(b->wg, mixed, m);
	for (size_t i = 0; i < n; i++)
		CHECK(tn_tun_expect(&net, b, bufs[i], lens[i]));
	CHECK(b->tun.head == NULL);
	CHECK_EQ_U64(st(b)->rx_no_keypair, before.rx_no_keypair);
	CHECK_EQ_U64(st(b)->rx_bad_auth, before.rx_bad_auth);
	CHECK_EQ_U64(st(b)->rx_replay, before.rx_replay);
	CHECK_EQ_U64(st(b)->rx_handshake_shed - before.rx_handshake_shed, 120 - 32);
	CHECK_EQ_U64(st(b)->rx_cookie_sent - before.rx_cookie_sent, 8);
	CHECK_EQ_U64(st(b)->rx_cookie_ratelimited - before.rx_cookie_ratelimited, 32 - 8);
	tn_free(&net);
}

int main(void)
{
	test_one_source();
	test_many_sources();
	test_mixed_batch();
	return harness_report("test_under_load");
}
