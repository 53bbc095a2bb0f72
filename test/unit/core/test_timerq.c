/*
 * test/unit/core/test_timerq.c - the device's timer queue (core/timerq.c):
 * random operations against a brute-force reference (every pop must be the
 * earliest queued wake, and exactly the peers queued come out), then a device
 * with 10 000 peers on a fake clock whose key-material timers, spread over
 * an hour, each fire exactly once at their own deadline, with one timer run
 * per distinct deadline and the I/O timer armed to exactly the next one.
 */
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

/* ---- a device with many peers on a fake clock ---- */

enum { PEERS = 10000 };

struct env {
	uint64_t now, armed;
	unsigned arms, fired, wrong_time;
	uint64_t *deadline; /* per peer index */
	struct uwg_peer **peers;
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
	ts->tv_sec = 1700000000;
	ts->tv_nsec = 0;
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

static void env_event(void *ctx, enum uwg_wg_event ev, const struct uwg_peer *peer,
		      const struct uwg_endpoint *ep)
{
	(void)ctx;
	(void)ep;
	if (ev != UWG_WG_EV_KEYS_EXPIRED)
		return;
	env.fired++;
	for (size_t i = 0; i < PEERS; i++)
		if (env.peers[i] == peer) {
			env.wrong_time += env.deadline[i] != env.now;
			env.deadline[i] = 0; /* a second firing would count as wrong */
			return;
		}
	env.wrong_time++;
}

static void test_device(void)
{
	struct uwg_wg_ops ops = { .now = env_now, .wall = env_wall, .random = env_random,
				  .timer_arm = env_arm, .event = env_event };
	struct uwg_wg *wg;
	uint64_t hour = 3600ull * UWG_NS_PER_SEC, last = 0;
	unsigned runs = 0, distinct = 0;

	memset(&env, 0, sizeof(env));
	env.now = 1000;
	env.armed = UINT64_MAX;
	env.deadline = calloc(PEERS, sizeof(*env.deadline));
	env.peers = calloc(PEERS, sizeof(*env.peers));
	wg = uwg_wg_new(&ops, NULL);
	CHECK(wg && env.deadline && env.peers);
	if (!wg || !env.deadline || !env.peers)
		goto out;
	uwg_wg_up(wg);
	for (size_t i = 0; i < PEERS; i++) {
		uint8_t key[32];

		env_random(NULL, key, sizeof(key));
		CHECK_EQ_INT(uwg_wg_peer_add(wg, key, &env.peers[i]), 0);
	}
	/* deadlines over an hour, in whole seconds so that many coincide */
	for (size_t i = 0; i < PEERS; i++) {
		env.deadline[i] = env.now + (1 + rnd() % 3600) * UWG_NS_PER_SEC;
		uwg_timer_mod(env.peers[i], UWG_TIMER_ZERO_KEY_MATERIAL, env.deadline[i]);
	}
	/* a timer deleted after it was set must not fire, and one moved later fires later */
	uwg_timer_del(env.peers[0], UWG_TIMER_ZERO_KEY_MATERIAL);
	env.deadline[0] = 0;
	env.deadline[1] = env.now + hour + 5 * UWG_NS_PER_SEC;
	uwg_timer_mod(env.peers[1], UWG_TIMER_ZERO_KEY_MATERIAL, env.deadline[1]);
	while (env.armed != UINT64_MAX && runs < 3 * PEERS) {
		CHECK(env.armed >= env.now);
		env.now = env.armed;
		if (env.now != last)
			distinct++;
		last = env.now;
		uwg_wg_timers_run(wg);
		runs++;
	}
	CHECK_EQ_U64(env.fired, PEERS - 1);
	CHECK_EQ_U64(env.wrong_time, 0);
	/* one run per distinct deadline (+ at most one stale wake for the moved and deleted ones) */
	CHECK(runs <= distinct && distinct <= 3602 + 2);
	CHECK_EQ_U64(env.now, 1000 + hour + 5 * UWG_NS_PER_SEC);
	/* down empties the queue; removing peers takes them out */
	uwg_timer_mod(env.peers[2], UWG_TIMER_ZERO_KEY_MATERIAL, env.now + UWG_NS_PER_SEC);
	CHECK_EQ_U64(env.armed, env.now + UWG_NS_PER_SEC);
	uwg_wg_peer_remove(wg, env.peers[2]);
	uwg_wg_timers_run(wg);
	CHECK_EQ_U64(env.armed, UINT64_MAX);
	uwg_timer_mod(env.peers[3], UWG_TIMER_ZERO_KEY_MATERIAL, env.now + UWG_NS_PER_SEC);
	uwg_wg_down(wg);
	CHECK_EQ_U64(env.armed, UINT64_MAX);
out:
	uwg_wg_free(wg);
	free(env.deadline);
	free(env.peers);
}

int main(void)
{
	test_against_reference();
	test_device();
	return harness_report("test_timerq");
}
