/*
 * test/unit/core/test_wg_batch.c - uwg_wg_tun_input_batch on the in-memory
 * network (wg_testnet.h): a batch before any session stages in order behind
 * one initiation and drops exactly what single packets would drop; with a
 * session every packet of a batch leaves with consecutive counters and
 * arrives byte for byte in order; a batch longer than the staged bound loses
 * nothing while a key exists, and the bound still holds without one. With an
 * ops->crypt_batch that runs jobs backwards (as threads may), sealing and
 * uwg_wg_udp_input_batch still deliver everything in order, and a received
 * batch mixing good data with a replay, a forgery, a runt, a keepalive and a
 * handshake message counts each exactly as one-by-one input does.
 */
#include "core/wg.h"
#include "test/harness.h"
#include "test/unit/core/wg_testnet.h"

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

/* ---- with an ops->crypt_batch ---- */

static unsigned crypt_batches, crypt_jobs;

/* Runs the jobs last to first: nothing may depend on their order. */
static void backwards(void *ctx, struct uwg_crypt_job *jobs, size_t n)
{
	(void)ctx;
	crypt_batches++;
	crypt_jobs += (unsigned)n;
	for (size_t i = n; i-- > 0;)
		uwg_crypt_job_run(&jobs[i]);
}

/* tn_init, then both devices rebuilt with the same keys and peers but ops->crypt_batch set. */
static void init_with_crypt_batch(uint64_t seed)
{
	struct uwg_wg_ops ops = {
		.now = tn_now, .wall = tn_wall, .random = tn_random, .udp_send = tn_udp_send,
		.tun_write = tn_tun_write, .timer_arm = tn_timer_arm, .crypt_batch = backwards,
	};

	tn_init(&net, seed, NULL, true);
	for (int i = 0; i < TN_NODES; i++) {
		struct tn_node *n = &net.node[i], *o = &net.node[1 - i];
		struct uwg_endpoint ep = tn_endpoint(o);

		uwg_wg_free(n->wg);
		ops.ctx = n;
		n->wg = uwg_wg_new(&ops, &net.pool);
		CHECK(n->wg != NULL);
		uwg_wg_set_private_key(n->wg, n->priv);
		CHECK_EQ_INT(uwg_wg_peer_add(n->wg, o->pub, &n->peer), 0);
		CHECK_EQ_INT(uwg_peer_allowedip_add(n->peer, AF_INET, o->in4, 32), 0);
		CHECK_EQ_INT(uwg_peer_allowedip_add(n->peer, AF_INET6, o->in6, 128), 0);
		uwg_peer_set_endpoint(n->peer, &ep);
		n->deadline = UINT64_MAX;
		uwg_wg_up(n->wg);
	}
	crypt_batches = crypt_jobs = 0;
}

/* Moves everything `from` sent into arr (as tn_inject addresses it), oldest first. */
static size_t take_sent(struct tn_node *from, struct tn_node *to, struct uwg_pkt **arr, size_t cap)
{
	size_t n = 0;
	struct uwg_pkt *p;

	while (n < cap && (p = uwg_pktq_pop(&from->out))) {
		memset(&p->ep, 0, sizeof(p->ep));
		p->ep.addr.in4 = from->addr;
		p->ep.src.v4 = to->local;
		p->ep.has_src = true;
		arr[n++] = p;
	}
	return n;
}

static struct uwg_pkt *copy_pkt(struct uwg_pkt *src)
{
	struct uwg_pkt *p = uwg_pool_get(&net.pool);

	memcpy(uwg_pkt_data(p), uwg_pkt_data(src), src->len);
	p->len = src->len;
	p->ep = src->ep;
	return p;
}

static void test_crypt_batch_ops(void)
{
	struct uwg_pkt *arr[300], *mixed[80];
	struct tn_node *a, *b;
	struct uwg_wg_stats before;
	size_t n, m = 0;

	init_with_crypt_batch(304);
	a = &net.node[0];
	b = &net.node[1];
	tn_ping(&net, a, b, 0, NULL);
	tn_deliver(&net);
	tn_drain(&net, &b->tun);

	/* Sealed through the op (in reverse), opened as one batch (in reverse): all in order. */
	crypt_batches = crypt_jobs = 0;
	send_batch(a, b, 60, 21);
	CHECK(crypt_batches >= 1);
	CHECK_EQ_U64(crypt_jobs, 60);
	n = take_sent(a, b, arr, 300);
	CHECK_EQ_U64(n, 60);
	uwg_wg_udp_input_batch(b->wg, arr, n);
	CHECK(crypt_jobs >= 120);
	expect_tun(b, 0, 60);

	/* A mixed batch against one-by-one accounting. */
	send_batch(a, b, 40, 77);
	n = take_sent(a, b, arr, 300);
	CHECK_EQ_U64(n, 40);
	before = *st(b);
	for (size_t i = 0; i < 20; i++)
		mixed[m++] = arr[i];
	mixed[m++] = copy_pkt(arr[3]);             /* replay of a packet earlier in the same run */
	mixed[m] = copy_pkt(arr[20]);               /* forgery of the next one, ahead of it */
	uwg_pkt_data(mixed[m])[20] ^= 1;
	m++;
	mixed[m] = copy_pkt(arr[21]);               /* runt: shorter than any data message */
	mixed[m++]->len = 20;
	mixed[m] = copy_pkt(arr[22]);               /* an initiation-sized type 1: the slow path */
	memset(uwg_pkt_data(mixed[m]), 0x5a, 148);
	uwg_le32_store(uwg_pkt_data(mixed[m]), UWG_MSG_HANDSHAKE_INITIATION);
	mixed[m++]->len = 148;
	for (size_t i = 20; i < 40; i++)
		mixed[m++] = arr[i];
	uwg_wg_udp_input_batch(b->wg, mixed, m);
	CHECK_EQ_U64(st(b)->rx_replay - before.rx_replay, 1);
	CHECK_EQ_U64(st(b)->rx_bad_auth - before.rx_bad_auth, 1);
	CHECK_EQ_U64(st(b)->rx_bad_length - before.rx_bad_length, 1);
	CHECK_EQ_U64(st(b)->rx_bad_mac - before.rx_bad_mac, 1);
	/* The forgery did not move the window: the genuine packet behind it still arrives. */
	expect_tun(b, 0, 40);
	tn_free(&net);
}

int main(void)
{
	test_before_session();
	test_with_session();
	test_bound_without_key();
	test_crypt_batch_ops();
	return harness_report("test_wg_batch");
}
