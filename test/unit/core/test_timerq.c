/*
 * test/unit/core/test_timerq.c - the device's timer queue (core/timerq.c):
 * random operations against a brute-force reference (every pop must be the
 * earliest queued wake, and exactly the peers queued come out), then a device
 * with 100 000 peers on a fake clock for a simulated hour: key-material
 * timers spread over the hour each fire exactly once at their own deadline,
 * peers handshaking with an unresponsive endpoint keep the retransmit,
 * give-up and expiry schedule of one, one timer run per distinct deadline,
 * and the I/O timer armed to exactly the next one.
 */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "core/peer_internal.h"
#include "core/timerq.h"
#include "core/wg.h"
#include "test/harness.h"

static uint64_t rng = 0x9e3779b97f4a7c15u;

static uint64_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static void test_against_reference(void)
{
	enum { N = 3000, OPS = 60000 };
	struct uwg_peer *p = calloc(N, sizeof(*p));
	uint64_t *ref = malloc(N * sizeof(*ref)), now = 0;
	struct uwg_timerq q = { 0 };
	unsigned bad = 0, pops = 0;

	CHECK(p && ref);
	if (!p || !ref)
		goto out;
	CHECK_EQ_INT(uwg_timerq_reserve(&q, N), 0);
	for (size_t i = 0; i < N; i++) {
		p[i].tq_idx = UWG_TIMERQ_NONE;
		p[i].wake = UINT64_MAX;
		ref[i] = UINT64_MAX;
	}
	for (unsigned op = 0; op < OPS; op++) {
		size_t i = rnd() % N;
		uint64_t r = rnd() % 100;

		if (r < 55) {
			uint64_t w = now + rnd() % 100000;

			uwg_timerq_set(&q, &p[i], w);
			if (w < ref[i])
				ref[i] = w;
		} else if (r < 65) {
			uwg_timerq_remove(&q, &p[i]);
			ref[i] = UINT64_MAX;
		} else {
			uint64_t min = UINT64_MAX;
			struct uwg_peer *got;

			now += rnd() % 3000;
			for (size_t k = 0; k < N; k++)
				if (ref[k] < min)
					min = ref[k];
			bad += uwg_timerq_next(&q) != min;
			got = uwg_timerq_pop_due(&q, now);
			if (min > now) {
				bad += got != NULL;
				continue;
			}
			if (!got || got->wake != UINT64_MAX || got->tq_idx != UWG_TIMERQ_NONE ||
			    ref[got - p] != min) {
				bad++;
				continue;
			}
			ref[got - p] = UINT64_MAX;
			pops++;
		}
	}
	/* the heap holds exactly the peers the reference holds */
	{
		size_t queued = 0;

		for (size_t k = 0; k < N; k++)
			queued += ref[k] != UINT64_MAX;
		CHECK_EQ_U64(q.n, queued);
		for (uint32_t k = 0; k < q.n; k++)
			bad += q.v[k]->tq_idx != k || ref[q.v[k] - p] != q.v[k]->wake ||
			       (k && q.v[(k - 1) / 2]->wake > q.v[k]->wake);
	}
	CHECK_EQ_U64(bad, 0);
	CHECK(pops > 1000);
	uwg_timerq_clear(&q);
	CHECK_EQ_U64(q.n, 0);
	CHECK_EQ_U64(uwg_timerq_next(&q), UINT64_MAX);
out:
	uwg_timerq_free(&q);
	free(p);
	free(ref);
}

/* ---- a device with 100 000 peers on a fake clock for a simulated hour ---- */

/*
 * Most peers only hold a key-material timer at a random second of the hour,
 * which fires exactly once, exactly then. ACTIVE peers run the real protocol
 * against an endpoint that never answers: initiation, 19 retransmits 5 s +
 * [0, 333] ms apart, give-up, and their keys' expiry 540 s after giving up,
 * the same schedule test_timers checks with one peer. A peer's index is in
 * its public key's first bytes, so the callbacks find it without a scan.
 */
enum { PEERS = 100000, ACTIVE = 256 };

struct peer_log {
	uint64_t deadline;  /* the expected key-material expiry; 0 = none expected */
	uint64_t last_init; /* time of its latest initiation */
	unsigned inits, bad_gap, expired;
};

struct env {
	uint64_t now, armed;
	unsigned arms, fired, wrong_time, stray;
	struct peer_log *log; /* per peer index */
	struct uwg_peer **peers;
	struct uwg_pool pool;
};

static struct env env;

static uint64_t env_now(void *ctx)
{
	(void)ctx;
	return env.now;
}

static void env_wall(void *ctx, struct timespec *ts)
{
	(void)ctx;
	ts->tv_sec = 1700000000 + (time_t)(env.now / UWG_NS_PER_SEC);
	ts->tv_nsec = (long)(env.now % UWG_NS_PER_SEC);
}

static void env_random(void *ctx, uint8_t *out, size_t len)
{
	(void)ctx;
	for (size_t i = 0; i < len; i++)
		out[i] = (uint8_t)rnd();
}

static void env_arm(void *ctx, uint64_t deadline)
{
	(void)ctx;
	env.armed = deadline;
	env.arms++;
}

/* The index test_device put into the peer's public key, or PEERS if it is not one of ours. */
static size_t index_of(const struct uwg_peer *peer)
{
	uint32_t i;

	memcpy(&i, peer->hs.remote_static, sizeof(i));
	return i < PEERS && env.peers[i] == peer ? i : PEERS;
}

static void env_send(void *ctx, struct uwg_pkt *pkt)
{
	const uint8_t *p = uwg_pkt_data(pkt);
	struct uwg_peer *peer = NULL;
	size_t i;

	(void)ctx;
	/* The initiation's sender index names the handshake of the peer that sent it. */
	if (pkt->len == sizeof(struct uwg_msg_initiation) && p[0] == UWG_MSG_HANDSHAKE_INITIATION) {
		uint32_t idx;

		memcpy(&idx, p + 4, sizeof(idx));
		for (size_t a = 0; a < ACTIVE && !peer; a++)
			if (env.peers[a]->hs_idx && env.peers[a]->hs_idx->index == idx)
				peer = env.peers[a];
	}
	i = peer ? index_of(peer) : PEERS;
	if (i == PEERS) {
		env.stray++;
	} else {
		struct peer_log *l = &env.log[i];
		uint64_t gap = env.now - l->last_init;

		if (l->inits && (gap < 5000 * UWG_NS_PER_MS || gap > 5333 * UWG_NS_PER_MS))
			l->bad_gap++;
		l->inits++;
		l->last_init = env.now;
	}
	uwg_pool_put(&env.pool, pkt);
}

static void env_tun(void *ctx, struct uwg_pkt *pkt)
{
	(void)ctx;
	env.stray++;
	uwg_pool_put(&env.pool, pkt);
}

static void env_event(void *ctx, enum uwg_wg_event ev, const struct uwg_peer *peer,
		      const struct uwg_endpoint *ep)
{
	size_t i;

	(void)ctx;
	(void)ep;
	if (ev != UWG_WG_EV_KEYS_EXPIRED)
		return;
	env.fired++;
	i = index_of(peer);
	if (i == PEERS) {
		env.wrong_time++;
		return;
	}
	env.log[i].expired++;
	if (i < ACTIVE) {
		/* 540 s after the give-up, which is one retransmit period after the last initiation */
		uint64_t from = env.log[i].last_init + 545 * UWG_NS_PER_SEC;

		env.wrong_time += env.now < from || env.now > from + 333 * UWG_NS_PER_MS;
		return;
	}
	env.wrong_time += env.log[i].deadline != env.now;
	env.log[i].deadline = 0; /* a second firing would count as wrong */
}

static void test_device(void)
{
	struct uwg_wg_ops ops = { .now = env_now, .wall = env_wall, .random = env_random,
				  .udp_send = env_send, .tun_write = env_tun, .timer_arm = env_arm,
				  .event = env_event };
	struct uwg_wg *wg = NULL;
	uint64_t hour = 3600ull * UWG_NS_PER_SEC, last = 0;
	unsigned runs = 0, distinct = 0, inits = 0, bad_gap = 0, expired = 0;
	uint8_t priv[32];

	memset(&env, 0, sizeof(env));
	env.now = 1000;
	env.armed = UINT64_MAX;
	env.log = calloc(PEERS, sizeof(*env.log));
	env.peers = calloc(PEERS, sizeof(*env.peers));
	CHECK(env.log && env.peers && !uwg_pool_init(&env.pool, 4 * ACTIVE));
	if (!env.log || !env.peers)
		goto out;
	wg = uwg_wg_new(&ops, &env.pool);
	CHECK(wg != NULL);
	if (!wg)
		goto out;
	env_random(NULL, priv, sizeof(priv));
	uwg_wg_set_private_key(wg, priv);
	uwg_wg_up(wg);
	for (uint32_t i = 0; i < PEERS; i++) {
		uint8_t key[32];

		env_random(NULL, key, sizeof(key));
		memcpy(key, &i, sizeof(i));
		CHECK_EQ_INT(uwg_wg_peer_add(wg, key, &env.peers[i]), 0);
	}
	CHECK_EQ_U64(uwg_wg_peer_count(wg), PEERS);
	/* idle peers hold no session state */
	CHECK_EQ_U64(uwg_wg_get_stats(wg)->sessions_active, 0);
	/* deadlines over an hour, in whole seconds so that many coincide */
	for (size_t i = ACTIVE; i < PEERS; i++) {
		env.log[i].deadline = env.now + (1 + rnd() % 3600) * UWG_NS_PER_SEC;
		uwg_timer_mod(env.peers[i], UWG_TIMER_ZERO_KEY_MATERIAL, env.log[i].deadline);
	}
	/* a timer deleted after it was set must not fire, and one moved later fires later */
	uwg_timer_del(env.peers[ACTIVE], UWG_TIMER_ZERO_KEY_MATERIAL);
	env.log[ACTIVE].deadline = 0;
	env.log[ACTIVE + 1].deadline = env.now + hour + 5 * UWG_NS_PER_SEC;
	uwg_timer_mod(env.peers[ACTIVE + 1], UWG_TIMER_ZERO_KEY_MATERIAL, env.log[ACTIVE + 1].deadline);
	/* the active ones: an endpoint nobody answers from, and something to send */
	for (size_t i = 0; i < ACTIVE; i++) {
		struct uwg_endpoint ep = { 0 };

		ep.addr.in4.sin_family = AF_INET;
		ep.addr.in4.sin_port = htons(51820);
		ep.addr.in4.sin_addr.s_addr = htonl(0xcb007200u + (uint32_t)i);
		uwg_peer_set_endpoint(env.peers[i], &ep);
		uwg_send_keepalive(env.peers[i], env.now);
	}
	CHECK_EQ_U64(uwg_wg_get_stats(wg)->sessions_active, ACTIVE);
	while (env.armed != UINT64_MAX && runs < 4 * PEERS) {
		CHECK(env.armed >= env.now);
		env.now = env.armed;
		if (env.now != last)
			distinct++;
		last = env.now;
		uwg_wg_timers_run(wg);
		runs++;
	}
	for (size_t i = 0; i < ACTIVE; i++) {
		inits += env.log[i].inits == 20;
		bad_gap += env.log[i].bad_gap;
		expired += env.log[i].expired == 1;
	}
	CHECK_EQ_U64(inits, ACTIVE);
	CHECK_EQ_U64(bad_gap, 0);
	CHECK_EQ_U64(expired, ACTIVE);
	CHECK_EQ_U64(env.stray, 0);
	CHECK_EQ_U64(env.fired, PEERS - 1);
	CHECK_EQ_U64(env.wrong_time, 0);
	/* given up and expired: no peer holds session state any more */
	CHECK_EQ_U64(uwg_wg_get_stats(wg)->sessions_active, 0);
	/* one run per distinct deadline (+ at most one stale wake for the moved and deleted ones) */
	CHECK(runs <= distinct + 2);
	CHECK_EQ_U64(env.now, 1000 + hour + 5 * UWG_NS_PER_SEC);
	/* down empties the queue; removing peers takes them out */
	uwg_timer_mod(env.peers[ACTIVE + 2], UWG_TIMER_ZERO_KEY_MATERIAL, env.now + UWG_NS_PER_SEC);
	CHECK_EQ_U64(env.armed, env.now + UWG_NS_PER_SEC);
	uwg_wg_peer_remove(wg, env.peers[ACTIVE + 2]);
	uwg_wg_timers_run(wg);
	CHECK_EQ_U64(env.armed, UINT64_MAX);
	uwg_timer_mod(env.peers[ACTIVE + 3], UWG_TIMER_ZERO_KEY_MATERIAL, env.now + UWG_NS_PER_SEC);
	uwg_wg_down(wg);
	CHECK_EQ_U64(env.armed, UINT64_MAX);
out:
	uwg_wg_free(wg);
	if (env.pool.count)
		CHECK_EQ_U64(env.pool.avail, env.pool.count);
	uwg_pool_destroy(&env.pool);
	free(env.log);
	free(env.peers);
}

int main(void)
{
	test_against_reference();
	test_device();
	return harness_report("test_timerq");
}
