/*
 * test/unit/core/test_timers.c - the timer state machine (the kernel module's timers.c), scripted on a fake
 * clock with two devices on the in-memory network (wg_testnet.h): handshake
 * retransmission with jitter and give-up, keepalive after receive, new
 * handshake after unanswered sends, rekey after 120 s, the last-minute rekey
 * at 165 s, zeroing key material at 540 s, persistent keepalive, the
 * single-timer arming contract and the test divisor knob. Times are checked
 * exactly (or within the jitter window), not just "eventually".
 */
#include <errno.h>

#include "core/peer_internal.h"
#include "core/wg.h"
#include "test/harness.h"
#include "test/unit/core/wg_testnet.h"

static struct tn net;

static const struct uwg_wg_stats *st(struct tn_node *n)
{
	return uwg_wg_get_stats(n->wg);
}

/* Times (ns) of the messages of a type n sent in [from, to), up to max. */
static size_t sent_times(const struct tn_node *n, uint32_t type, uint32_t len, uint64_t from,
			 uint64_t to, uint64_t *out, size_t max)
{
	size_t c = 0;

	for (size_t i = 0; i < n->nlog && c < max; i++)
		if (n->log[i].type == type && (!len || n->log[i].len == len) && n->log[i].t >= from &&
		    n->log[i].t < to)
			out[c++] = n->log[i].t;
	return c;
}

static unsigned keepalives(const struct tn_node *n, uint64_t from, uint64_t to)
{
	uint64_t t[64];

	return (unsigned)sent_times(n, UWG_MSG_DATA, 32, from, to, t, 64);
}

static unsigned initiations(const struct tn_node *n, uint64_t from, uint64_t to)
{
	return tn_count_sent(n, UWG_MSG_HANDSHAKE_INITIATION, from, to);
}

/* A and B with a confirmed session made at the returned time; TUNs drained. */
static uint64_t establish(uint64_t seed)
{
	uint64_t t0;

	tn_init(&net, seed, NULL, true);
	t0 = net.now;
	tn_ping(&net, &net.node[0], &net.node[1], 1, NULL);
	tn_deliver(&net);
	CHECK_EQ_U64(net.node[1].tun.len, 1);
	tn_drain(&net, &net.node[1].tun);
	return t0;
}

static void test_retransmit_and_give_up(void)
{
	struct tn_node *a, *b;
	uint64_t t0, t[64], give_up;
	size_t n;
	bool jittered = false;

	tn_init(&net, 1, NULL, true);
	a = &net.node[0];
	b = &net.node[1];
	a->blackhole = true; /* nothing A sends arrives */
	/* An endpoint with a cached local source, as learnt from a received packet. */
	{
		struct uwg_endpoint ep = tn_endpoint(b);

		ep.has_src = true;
		ep.src.v4 = a->local;
		uwg_peer_set_endpoint(a->peer, &ep);
	}
	t0 = net.now;
	for (int i = 0; i < 3; i++)
		tn_ping(&net, a, b, (uint8_t)i, NULL);
	CHECK_EQ_U64(initiations(a, 0, UINT64_MAX), 1);
	CHECK(a->log[0].has_src);
	tn_run_until(&net, a->deadline);
	/* The first retransmit dropped the cached source (as the kernel's timers.c does). */
	CHECK_EQ_U64(initiations(a, 0, UINT64_MAX), 2);
	CHECK(!a->log[1].has_src);

	/* Each retry 5 s + [0, 333] ms after the previous one. */
	tn_run_until(&net, t0 + 85 * TN_SEC);
	n = sent_times(a, UWG_MSG_HANDSHAKE_INITIATION, 0, 0, UINT64_MAX, t, 64);
	CHECK(n >= 16 && n <= 17);
	CHECK_EQ_U64(t[0], t0);
	for (size_t i = 1; i < n; i++) {
		uint64_t gap = t[i] - t[i - 1];

		CHECK(gap >= 5000 * TN_MS && gap <= 5333 * TN_MS);
		if (gap != 5000 * TN_MS)
			jittered = true;
		if (i > 1 && gap != t[i - 1] - t[i - 2])
			jittered = true;
	}
	CHECK(jittered);
	CHECK_EQ_U64(st(a)->tx_staged_dropped, 0);

	/*
	 * As the kernel: retries continue while attempts <= MAX_TIMER_HANDSHAKES
	 * (18), so 1 + 19 initiations go out, and the 20th expiry gives up.
	 */
	while (initiations(a, 0, UINT64_MAX) < 20 && net.now < t0 + 200 * TN_SEC)
		tn_run_until(&net, a->deadline);
	n = sent_times(a, UWG_MSG_HANDSHAKE_INITIATION, 0, 0, UINT64_MAX, t, 64);
	CHECK_EQ_U64(n, 20);
	CHECK_EQ_U64(st(a)->tx_staged_dropped, 0);
	CHECK_EQ_U64(a->peer->staged.len, 3);
	CHECK(a->peer->hs.state == UWG_HS_CREATED_INITIATION);
	give_up = a->deadline;
	CHECK(give_up >= t[19] + 5000 * TN_MS && give_up <= t[19] + 5333 * TN_MS);
	CHECK(give_up >= t0 + 100 * TN_SEC && give_up <= t0 + 100 * TN_SEC + 20 * 333 * TN_MS);
	tn_run_until(&net, give_up);
	/* Given up: staged packets purged, no more initiations, zero_key_material armed. */
	CHECK_EQ_U64(st(a)->tx_staged_dropped, 3);
	CHECK_EQ_U64(a->peer->staged.len, 0);
	CHECK_EQ_U64(initiations(a, 0, UINT64_MAX), 20);
	CHECK_EQ_U64(a->deadline, give_up + 540 * TN_SEC);
	tn_run_until(&net, give_up + 539 * TN_SEC);
	CHECK_EQ_U64(initiations(a, 0, UINT64_MAX), 20);
	CHECK(a->peer->hs.state == UWG_HS_CREATED_INITIATION);
	tn_run_until(&net, give_up + 540 * TN_SEC);
	CHECK(a->peer->hs.state == UWG_HS_ZEROED);
	CHECK_EQ_U64(a->deadline, UINT64_MAX);

	/* New data starts over, and with A reachable it gets through. */
	a->blackhole = false;
	tn_ping(&net, a, b, 9, NULL);
	tn_deliver(&net);
	CHECK_EQ_U64(initiations(a, 0, UINT64_MAX), 21);
	CHECK_EQ_U64(b->tun.len, 1);
	tn_free(&net);
}

static void test_keepalive_after_receive(void)
{
	struct tn_node *a, *b;
	uint64_t t0, t1, t2, t[8];

	t0 = establish(2);
	a = &net.node[0];
	b = &net.node[1];
	/*
	 * The single timer: B's earliest deadline is its keepalive. A's still shows
	 * the cancelled retransmit (deleting never re-arms); that wakeup runs
	 * nothing and re-arms at the true earliest, new_handshake.
	 */
	CHECK_EQ_U64(b->deadline, t0 + 10 * TN_SEC);
	CHECK(a->deadline >= t0 + 5 * TN_SEC && a->deadline <= t0 + 5333 * TN_MS);
	tn_run_until(&net, a->deadline);
	CHECK_EQ_U64(a->nlog, 2);
	CHECK(a->deadline >= t0 + 15 * TN_SEC && a->deadline <= t0 + 15333 * TN_MS);

	/* B received data and sent nothing: a keepalive exactly 10 s later, and only one. */
	tn_run_until(&net, t0 + 30 * TN_SEC);
	CHECK_EQ_U64(sent_times(b, UWG_MSG_DATA, 32, t0, t0 + 30 * TN_SEC, t, 8), 1);
	CHECK_EQ_U64(t[0], t0 + 10 * TN_SEC);
	CHECK_EQ_U64(st(a)->rx_keepalives, 1);
	/* That keepalive reached A in time: A's new_handshake timer was cancelled. */
	CHECK_EQ_U64(initiations(a, t0 + TN_SEC, UINT64_MAX), 0);

	/* B answered with data: no keepalive needed. */
	t1 = net.now;
	tn_ping(&net, a, b, 2, NULL);
	tn_advance(&net, 2 * TN_SEC);
	tn_ping(&net, b, a, 3, NULL);
	tn_run_until(&net, t1 + 30 * TN_SEC);
	CHECK_EQ_U64(keepalives(b, t1, t1 + 30 * TN_SEC), 0);
	/* ... but A received B's data and sent nothing since: A keeps alive at +12 s. */
	CHECK_EQ_U64(sent_times(a, UWG_MSG_DATA, 32, t1, t1 + 30 * TN_SEC, t, 8), 1);
	CHECK_EQ_U64(t[0], t1 + 12 * TN_SEC);

	/* Data received while the keepalive is pending asks for another one 10 s later. */
	t2 = net.now;
	tn_ping(&net, a, b, 4, NULL);
	tn_advance(&net, 3 * TN_SEC);
	tn_ping(&net, a, b, 5, NULL);
	tn_run_until(&net, t2 + 40 * TN_SEC);
	CHECK_EQ_U64(sent_times(b, UWG_MSG_DATA, 32, t2, t2 + 40 * TN_SEC, t, 8), 2);
	CHECK_EQ_U64(t[0], t2 + 10 * TN_SEC);
	CHECK_EQ_U64(t[1], t2 + 20 * TN_SEC);
	tn_free(&net);
}

static void test_new_handshake_after_send(void)
{
	struct tn_node *a, *b;
	uint64_t t1, t[8];

	establish(3);
	a = &net.node[0];
	b = &net.node[1];
	tn_advance(&net, 20 * TN_SEC);
	/* A learnt B's address and local source from B's packets. */
	CHECK(a->peer->endpoint.has_src);
	b->blackhole = true;
	t1 = net.now;
	tn_ping(&net, a, b, 2, NULL);
	CHECK(a->log[a->nlog - 1].has_src);
	tn_run_until(&net, t1 + 15 * TN_SEC - 1);
	CHECK_EQ_U64(initiations(a, t1, UINT64_MAX), 0);
	tn_run_until(&net, t1 + 16 * TN_SEC);
	CHECK_EQ_U64(sent_times(a, UWG_MSG_HANDSHAKE_INITIATION, 0, t1, UINT64_MAX, t, 8), 1);
	CHECK(t[0] >= t1 + 15000 * TN_MS && t[0] <= t1 + 15333 * TN_MS);
	/* The sticky source was dropped for the new handshake (as the kernel does). */
	CHECK(!a->log[a->nlog - 1].has_src);
	CHECK(!a->peer->endpoint.has_src);
	/* B's keepalive was lost too, so nothing cancelled the timer; A's retransmit gets through. */
	CHECK_EQ_U64(keepalives(b, t1, UINT64_MAX), 1);
	b->blackhole = false;
	tn_run_until(&net, a->deadline);
	CHECK_EQ_U64(st(a)->handshakes_completed, 2);
	tn_free(&net);
}

static void test_rekey_after_time(void)
{
	struct tn_node *a, *b;
	uint64_t t0, t[8];

	t0 = establish(4);
	a = &net.node[0];
	b = &net.node[1];
	/* The responder never rekeys on time when sending. */
	tn_run_until(&net, t0 + 150 * TN_SEC);
	tn_ping(&net, b, a, 1, NULL);
	CHECK_EQ_U64(initiations(b, 0, UINT64_MAX), 0);
	tn_free(&net);

	t0 = establish(4);
	a = &net.node[0];
	b = &net.node[1];
	tn_run_until(&net, t0 + 120 * TN_SEC - 1);
	tn_ping(&net, a, b, 2, NULL);
	CHECK_EQ_U64(initiations(a, t0 + TN_SEC, UINT64_MAX), 0);
	tn_run_until(&net, t0 + 120 * TN_SEC);
	tn_ping(&net, a, b, 3, NULL);
	/* The data went out on the old key, then the initiation, at exactly 120 s. */
	CHECK_EQ_U64(sent_times(a, UWG_MSG_HANDSHAKE_INITIATION, 0, t0 + TN_SEC, UINT64_MAX, t, 8),
		     1);
	CHECK_EQ_U64(t[0], t0 + 120 * TN_SEC);
	CHECK_EQ_U64(a->log[a->nlog - 2].type, UWG_MSG_DATA);
	tn_deliver(&net);
	CHECK_EQ_U64(st(a)->handshakes_completed, 2);
	CHECK_EQ_U64(b->tun.len, 2);
	tn_free(&net);
}

static void test_lastminute_rekey_on_receive(void)
{
	struct tn_node *a, *b;
	uint64_t t0, t[8];

	t0 = establish(5);
	a = &net.node[0];
	b = &net.node[1];
	tn_run_until(&net, t0 + 165 * TN_SEC - 1);
	tn_ping(&net, b, a, 1, NULL);
	tn_deliver(&net);
	CHECK_EQ_U64(initiations(a, t0 + TN_SEC, UINT64_MAX), 0);
	tn_run_until(&net, t0 + 165 * TN_SEC);
	tn_ping(&net, b, a, 2, NULL);
	CHECK_EQ_U64(b->log[b->nlog - 1].type, UWG_MSG_DATA);
	tn_deliver(&net);
	CHECK_EQ_U64(sent_times(a, UWG_MSG_HANDSHAKE_INITIATION, 0, t0 + TN_SEC, UINT64_MAX, t, 8),
		     1);
	CHECK_EQ_U64(t[0], t0 + 165 * TN_SEC);
	CHECK_EQ_U64(initiations(b, 0, UINT64_MAX), 0);
	CHECK_EQ_U64(st(a)->handshakes_completed, 2);
	CHECK_EQ_U64(a->tun.len, 2);
	tn_free(&net);
}

static bool has_keys(const struct tn_node *n)
{
	const struct uwg_peer_keys *k = n->peer->keys;

	return k && (k->keypairs.current || k->keypairs.previous || k->keypairs.next);
}

static void test_zero_key_material(void)
{
	struct tn_node *a, *b;
	uint64_t t0;

	t0 = establish(6);
	a = &net.node[0];
	b = &net.node[1];
	tn_run_until(&net, t0 + 540 * TN_SEC - 1);
	CHECK(has_keys(a));
	CHECK(has_keys(b));
	tn_run_until(&net, t0 + 540 * TN_SEC);
	CHECK(!has_keys(a));
	CHECK(!has_keys(b));
	CHECK(a->peer->hs.state == UWG_HS_ZEROED);
	CHECK_EQ_U64(a->deadline, UINT64_MAX);
	CHECK_EQ_U64(b->deadline, UINT64_MAX);
	/* Traffic simply starts a new session. */
	tn_ping(&net, b, a, 1, NULL);
	tn_deliver(&net);
	CHECK_EQ_U64(a->tun.len, 1);
	CHECK_EQ_U64(initiations(b, 0, UINT64_MAX), 1);
	tn_free(&net);
}

static void test_persistent_keepalive(void)
{
	struct tn_node *a;
	uint64_t t0, t1, t[16];

	t0 = establish(7);
	a = &net.node[0];
	/*
	 * After B's keepalive (t0 + 10 s): every packet A receives re-arms the
	 * interval too. Five intervals end before the 120 s rekey would add traffic.
	 */
	tn_run_until(&net, t0 + 11 * TN_SEC);
	t1 = net.now;
	uwg_peer_set_persistent_keepalive(a->peer, 25);
	tn_run_until(&net, t1 + 101 * TN_SEC);
	CHECK_EQ_U64(sent_times(a, UWG_MSG_DATA, 32, t1, UINT64_MAX, t, 16), 5);
	for (int i = 0; i < 5; i++)
		CHECK_EQ_U64(t[i], t1 + (uint64_t)i * 25 * TN_SEC);
	/* Off: nothing more, however long we wait. */
	uwg_peer_set_persistent_keepalive(a->peer, 0);
	tn_run_until(&net, t1 + 400 * TN_SEC);
	CHECK_EQ_U64(keepalives(a, t1 + 101 * TN_SEC, UINT64_MAX), 0);
	tn_free(&net);
}

static void test_divisor(void)
{
	struct tn_node *a, *b;
	uint64_t t0, t[4];

	tn_init(&net, 8, NULL, true);
	a = &net.node[0];
	b = &net.node[1];
#ifdef UWG_TEST_KNOBS
	CHECK_EQ_INT(uwg_wg_set_test_timer_divisor(a->wg, 0), -EINVAL);
	CHECK_EQ_INT(uwg_wg_set_test_timer_divisor(a->wg, 10), 0);
	CHECK_EQ_INT(uwg_wg_set_test_timer_divisor(b->wg, 10), 0);
	/* REKEY_TIMEOUT 0.5 s, jitter up to 33.3 ms. */
	a->blackhole = true;
	t0 = net.now;
	tn_ping(&net, a, b, 1, NULL);
	tn_run_until(&net, t0 + 1 * TN_SEC);
	CHECK(sent_times(a, UWG_MSG_HANDSHAKE_INITIATION, 0, 0, UINT64_MAX, t, 4) >= 2);
	CHECK(t[1] - t[0] >= 500 * TN_MS && t[1] - t[0] <= 534 * TN_MS);
	/* REKEY_AFTER_TIME 12 s. */
	a->blackhole = false;
	tn_run_until(&net, a->deadline);
	CHECK_EQ_U64(st(a)->handshakes_completed, 1);
	t0 = net.now;
	tn_run_until(&net, t0 + 12 * TN_SEC - 1);
	tn_ping(&net, a, b, 2, NULL);
	CHECK_EQ_U64(initiations(a, t0 + 1, UINT64_MAX), 0);
	tn_run_until(&net, t0 + 12 * TN_SEC);
	tn_ping(&net, a, b, 3, NULL);
	CHECK_EQ_U64(initiations(a, t0 + 1, UINT64_MAX), 1);
#else
	CHECK_EQ_INT(uwg_wg_set_test_timer_divisor(a->wg, 10), -EPERM);
	(void)b, (void)t0, (void)t;
#endif
	tn_free(&net);
}

int main(void)
{
	test_retransmit_and_give_up();
	test_keepalive_after_receive();
	test_new_handshake_after_send();
	test_rekey_after_time();
	test_lastminute_rekey_on_receive();
	test_zero_key_material();
	test_persistent_keepalive();
	test_divisor();
	return harness_report("test_timers");
}
