/*
 * test/unit/test_wg_batch.c - uwg_wg_tun_input_batch on the in-memory
 * network (wg_testnet.h): a batch before any session stages in order behind
 * one initiation and drops exactly what single packets would drop; with a
 * session every packet of a batch leaves with consecutive counters and
 * arrives byte for byte in order; a batch longer than the staged bound loses
 * nothing while a key exists, and the bound still holds without one.
 */
#include "core/wg.h"
#include "test/harness.h"
#include "test/unit/wg_testnet.h"

static struct tn net;
static uint8_t bufs[300][128];
static size_t lens[300];

static const struct uwg_wg_stats *st(struct tn_node *n)
{
	return uwg_wg_get_stats(n->wg);
}

/* n packets a -> b in bufs (every third IPv6), handed over as one batch. */
static void send_batch(struct tn_node *a, struct tn_node *b, unsigned n, uint8_t seed)
{
	struct uwg_pkt *pkts[300];

	for (unsigned i = 0; i < n; i++) {
		uint8_t s = (uint8_t)(seed + i);

		lens[i] = i % 3 == 2 ? tn_ipv6(bufs[i], a->in6, b->in6, 20 + i % 50, s)
				     : tn_ipv4(bufs[i], a->in4, b->in4, 20 + i % 50, s);
		pkts[i] = uwg_pool_get(&net.pool);
		memcpy(uwg_pkt_data(pkts[i]), bufs[i], lens[i]);
		pkts[i]->len = (uint32_t)lens[i];
	}
	uwg_wg_tun_input_batch(a->wg, pkts, n);
}

/* Checks that b's TUN holds exactly bufs[first..n) in order. */
static void expect_tun(struct tn_node *b, unsigned first, unsigned n)
{
	CHECK_EQ_U64(b->tun.len, n - first);
	for (unsigned i = first; i < n; i++)
		CHECK(tn_tun_expect(&net, b, bufs[i], lens[i]));
}

static void test_before_session(void)
{
	struct tn_node *a, *b;
	struct uwg_pkt *pkts[3];
	uint8_t stray[4] = { 10, 9, 9, 9 };

	tn_init(&net, 301, NULL, true);
	a = &net.node[0];
	b = &net.node[1];
	uwg_wg_tun_input_batch(a->wg, pkts, 0); /* nothing, and no handshake */
	CHECK_EQ_U64(st(a)->handshakes_sent, 0);

	send_batch(a, b, 5, 1);
	CHECK_EQ_U64(st(a)->handshakes_sent, 1); /* one initiation for the whole batch */
	CHECK_EQ_U64(a->out.len, 1);
	/* Unroutable and malformed packets in a batch are dropped and counted, the rest kept. */
	for (int i = 0; i < 3; i++) {
		pkts[i] = uwg_pool_get(&net.pool);
		pkts[i]->len = (uint32_t)tn_ipv4(uwg_pkt_data(pkts[i]), a->in4, i == 0 ? stray : b->in4,
						 10, 7);
	}
	pkts[1]->len = 3;
	uwg_wg_tun_input_batch(a->wg, pkts, 3);
	CHECK_EQ_U64(st(a)->tx_no_peer, 1);
	CHECK_EQ_U64(st(a)->tx_bad_inner, 1);
	tn_deliver(&net);
	/* The handshake completes; staged packets arrive in order (the valid extra one last). */
	CHECK_EQ_U64(b->tun.len, 6);
	for (unsigned i = 0; i < 5; i++)
		CHECK(tn_tun_expect(&net, b, bufs[i], lens[i]));
	tn_drain(&net, &b->tun);
	tn_free(&net);
}

static void test_with_session(void)
{
	struct tn_node *a, *b;
	uint64_t counter = 0;
	bool consecutive = true;
	unsigned data = 0;

	tn_init(&net, 302, NULL, true);
	a = &net.node[0];
	b = &net.node[1];
	tn_ping(&net, a, b, 0, NULL);
	tn_deliver(&net);
	tn_drain(&net, &b->tun);

	send_batch(a, b, 40, 9);
	/* All 40 are out at once, as data messages with consecutive counters. */
	for (struct uwg_pkt *p = a->out.head; p; p = p->next) {
		const uint8_t *d = uwg_pkt_data(p);

		if (uwg_le32_load(d) != UWG_MSG_DATA)
			continue;
		if (data && uwg_le64_load(d + 8) != counter + 1)
			consecutive = false;
		counter = uwg_le64_load(d + 8);
		data++;
	}
	CHECK_EQ_U64(data, 40);
	CHECK(consecutive);
	tn_deliver(&net);
	expect_tun(b, 0, 40);

	/* Longer than the staged bound: with a key nothing is dropped. */
	send_batch(a, b, 300, 50);
	CHECK_EQ_U64(st(a)->tx_staged_dropped, 0);
	tn_deliver(&net);
	expect_tun(b, 0, 300);
	tn_free(&net);
}

static void test_bound_without_key(void)
{
	struct tn_node *a, *b;

	tn_init(&net, 303, NULL, true);
	a = &net.node[0];
	b = &net.node[1];
	b->blackhole = true; /* no response: the packets stay staged */
	send_batch(a, b, 200, 3);
	CHECK_EQ_U64(st(a)->tx_staged_dropped, 200 - UWG_MAX_STAGED_PACKETS);
	CHECK_EQ_U64(st(a)->handshakes_sent, 1);
	tn_deliver(&net);
	b->blackhole = false;
	tn_run_until(&net, a->deadline);
	/* The newest UWG_MAX_STAGED_PACKETS arrive, in order. */
	expect_tun(b, 200 - UWG_MAX_STAGED_PACKETS, 200);
	tn_free(&net);
}

int main(void)
{
	test_before_session();
	test_with_session();
	test_bound_without_key();
	return harness_report("test_wg_batch");
}
