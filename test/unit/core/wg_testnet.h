/*
 * test/unit/core/wg_testnet.h - an in-memory network for device-engine tests: two
 * uwg_wg devices whose ops queue packets for each other, a shared fake
 * monotonic clock that drives each device's single timer the way the I/O
 * layer would (optionally moving on with every read, to give a device's own
 * work a duration), a deterministic RNG per device, and helpers that craft
 * IPv4 and IPv6 inner packets with correct headers. Nothing here is real I/O.
 * Shared by test_wg.c and test_timers.c; single-threaded.
 */
#ifndef UWG_TEST_WG_TESTNET_H
#define UWG_TEST_WG_TESTNET_H

#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

#include "core/messages.h"
#include "core/wg.h"
#include "crypto/crypto.h"
#include "crypto/ct.h"
#include "crypto/x25519.h"
#include "test/harness.h"

enum {
	TN_NODES = 2,
	TN_POOL = 1024,
	TN_LOG = 8192,
	TN_PORT0 = 51820,
};

#define TN_SEC UINT64_C(1000000000)
#define TN_MS UINT64_C(1000000)

/* One message a node handed to udp_send. */
struct tn_sent {
	uint64_t t;
	uint32_t type;
	uint32_t len;
	uint32_t sender;   /* sender index (types 1 and 2) */
	uint32_t receiver; /* receiver index (types 2, 3 and 4) */
	bool has_src;      /* the packet carried a sticky source */
};

struct tn;

struct tn_node {
	struct tn *net;
	int id;
	struct uwg_wg *wg;
	struct uwg_peer *peer; /* the other node, as this node's peer */
	uint8_t priv[32], pub[32];
	struct sockaddr_in addr; /* where the others reach it */
	struct in_addr local;    /* its own address: the sticky source of what it receives */
	uint8_t in4[4], in6[16]; /* tunnel addresses */
	uint64_t deadline;       /* as told through timer_arm */
	uint64_t tick;           /* the shared clock moves this much after each now() it reads */
	unsigned now_calls;      /* now() calls its device made */
	bool cpu_clock;          /* cpu_now() is its own clock (else it reads now()) */
	uint64_t cpu_ns, cpu_tick; /* that clock, and how far each read moves it */
	unsigned arm_calls;
	struct uwg_pktq out;     /* sent, not yet delivered */
	struct uwg_pktq tun;     /* written to its TUN */
	bool blackhole;          /* drop everything it sends */
	bool hold;               /* tn_deliver leaves its packets queued */
	struct tn_sent log[TN_LOG];
	size_t nlog;
	uint64_t rng;
};

struct tn {
	uint64_t now;
	struct uwg_pool pool;
	struct tn_node node[TN_NODES];
	unsigned lost;      /* sent to an address nobody has */
	unsigned delivered; /* udp datagrams handed to a device */
};

/*
 * A frozen clock unless the node's tick is set: then every read returns the
 * time and moves it on, so the device sees each step of its own work take
 * `tick` ns (what it measures of its handshake cost, for instance).
 */
static inline uint64_t tn_now(void *ctx)
{
	struct tn_node *n = ctx;
	uint64_t t = n->net->now;

	n->now_calls++;
	n->net->now += n->tick;
	return t;
}

/*
 * The thread-CPU clock: by default the same as now() (so the wall clock's
 * tick is what a message costs); with cpu_clock set, a separate clock, so a
 * test can make wall time pass (preemption) that is not CPU time.
 */
static inline uint64_t tn_cpu_now(void *ctx)
{
	struct tn_node *n = ctx;
	uint64_t t = n->cpu_ns;

	if (!n->cpu_clock)
		return tn_now(ctx);
	n->cpu_ns += n->cpu_tick;
	return t;
}

static inline void tn_wall(void *ctx, struct timespec *ts)
{
	struct tn_node *n = ctx;

	ts->tv_sec = (time_t)(1700000000 + n->net->now / TN_SEC);
	ts->tv_nsec = (long)(n->net->now % TN_SEC);
}

static inline uint64_t tn_rand64(uint64_t *s)
{
	/* xorshift64*: deterministic from the seed, good enough to pick indices and jitter. */
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * UINT64_C(0x2545f4914f6cdd1d);
}

static inline void tn_random(void *ctx, uint8_t *out, size_t len)
{
	struct tn_node *n = ctx;

	for (size_t i = 0; i < len; i++)
		out[i] = (uint8_t)(tn_rand64(&n->rng) >> 56);
}

static inline void tn_udp_send(void *ctx, struct uwg_pkt *pkt)
{
	struct tn_node *n = ctx;
	const uint8_t *p = uwg_pkt_data(pkt);

	if (n->nlog < TN_LOG && pkt->len >= 8) {
		struct tn_sent *s = &n->log[n->nlog++];

		s->t = n->net->now;
		s->type = uwg_le32_load(p);
		s->len = pkt->len;
		s->sender = s->type <= UWG_MSG_HANDSHAKE_RESPONSE ? uwg_le32_load(p + 4) : 0;
		s->receiver = s->type == UWG_MSG_HANDSHAKE_RESPONSE ? uwg_le32_load(p + 8)
			      : s->type == UWG_MSG_HANDSHAKE_INITIATION ? 0
									: uwg_le32_load(p + 4);
		s->has_src = pkt->ep.has_src;
	}
	if (n->blackhole) {
		uwg_pool_put(&n->net->pool, pkt);
		return;
	}
	uwg_pktq_push(&n->out, pkt);
}

static inline void tn_tun_write(void *ctx, struct uwg_pkt *pkt)
{
	struct tn_node *n = ctx;

	uwg_pktq_push(&n->tun, pkt);
}

static inline void tn_timer_arm(void *ctx, uint64_t deadline)
{
	struct tn_node *n = ctx;

	n->deadline = deadline;
	n->arm_calls++;
}

static inline void tn_drain(struct tn *net, struct uwg_pktq *q)
{
	struct uwg_pkt *p;

	while ((p = uwg_pktq_pop(q)))
		uwg_pool_put(&net->pool, p);
}

static inline struct tn_node *tn_find(struct tn *net, const struct uwg_endpoint *ep)
{
	if (ep->addr.sa.sa_family != AF_INET)
		return NULL;
	for (int i = 0; i < TN_NODES; i++) {
		struct tn_node *n = &net->node[i];

		if (n->addr.sin_port == ep->addr.in4.sin_port &&
		    n->addr.sin_addr.s_addr == ep->addr.in4.sin_addr.s_addr)
			return n;
	}
	return NULL;
}

/* Hands a datagram to dst as if it came from `from` (source address and sticky source set). */
static inline void tn_inject(struct tn *net, struct tn_node *dst, const struct sockaddr_in *from,
			     struct uwg_pkt *pkt)
{
	memset(&pkt->ep, 0, sizeof(pkt->ep));
	pkt->ep.addr.in4 = *from;
	pkt->ep.src.v4 = dst->local;
	pkt->ep.has_src = true;
	net->delivered++;
	uwg_wg_udp_input(dst->wg, pkt);
}

/* Injects raw bytes as a datagram from `from` to dst. */
static inline void tn_inject_bytes(struct tn *net, struct tn_node *dst,
				   const struct sockaddr_in *from, const uint8_t *b, size_t len)
{
	struct uwg_pkt *pkt = uwg_pool_get(&net->pool);

	if (!pkt)
		abort();
	memcpy(uwg_pkt_data(pkt), b, len);
	pkt->len = (uint32_t)len;
	tn_inject(net, dst, from, pkt);
}

/* Delivers the oldest packet `from` sent; false if it had none. */
static inline bool tn_deliver_one(struct tn *net, struct tn_node *from)
{
	struct uwg_pkt *pkt = uwg_pktq_pop(&from->out);
	struct tn_node *dst;

	if (!pkt)
		return false;
	dst = tn_find(net, &pkt->ep);
	if (!dst) {
		net->lost++;
		uwg_pool_put(&net->pool, pkt);
		return true;
	}
	tn_inject(net, dst, &from->addr, pkt);
	return true;
}

/* Delivers until nobody has anything in flight (bounded against ping-pong bugs). */
static inline void tn_deliver(struct tn *net)
{
	for (int rounds = 0; rounds < 100000; rounds++) {
		bool any = false;

		for (int i = 0; i < TN_NODES; i++)
			if (!net->node[i].hold)
				any |= tn_deliver_one(net, &net->node[i]);
		if (!any)
			return;
	}
	fprintf(stderr, "tn_deliver: endless traffic\n");
	abort();
}

/*
 * Moves the clock to `target`, firing each device's timer at its deadline in
 * order and delivering all traffic after every step.
 */
static inline void tn_run_until(struct tn *net, uint64_t target)
{
	tn_deliver(net);
	for (int steps = 0; steps < 1000000; steps++) {
		struct tn_node *first = NULL;

		for (int i = 0; i < TN_NODES; i++) {
			struct tn_node *n = &net->node[i];

			if (n->wg && n->deadline != UINT64_MAX && n->deadline <= target &&
			    (!first || n->deadline < first->deadline))
				first = n;
		}
		if (!first) {
			if (target > net->now && target != UINT64_MAX)
				net->now = target;
			tn_deliver(net);
			return;
		}
		if (first->deadline > net->now)
			net->now = first->deadline;
		first->deadline = UINT64_MAX; /* a one-shot timer has fired */
		uwg_wg_timers_run(first->wg);
		tn_deliver(net);
	}
	fprintf(stderr, "tn_run_until: timers do not settle\n");
	abort();
}

static inline void tn_advance(struct tn *net, uint64_t dt)
{
	tn_run_until(net, net->now + dt);
}

static inline struct uwg_endpoint tn_endpoint(const struct tn_node *n)
{
	struct uwg_endpoint ep;

	memset(&ep, 0, sizeof(ep));
	ep.addr.in4 = n->addr;
	return ep;
}

static inline void tn_keys(struct tn_node *n)
{
	tn_random(n, n->priv, sizeof(n->priv));
	uwg_x25519_clamp(n->priv);
	if (!uwg_x25519_public(n->pub, n->priv))
		abort();
}

/*
 * Two devices, keys from `seed`, each the other's peer with tunnel /32 and
 * /128 allowed IPs; node 0 knows node 1's endpoint, node 1 learns node 0's
 * only if both_endpoints is false (a pure responder) - else both know.
 */
static inline void tn_init(struct tn *net, uint64_t seed, const uint8_t *psk, bool both_endpoints)
{
	static const struct uwg_wg_ops ops = {
		.now = tn_now,
		.cpu_now = tn_cpu_now,
		.wall = tn_wall,
		.random = tn_random,
		.udp_send = tn_udp_send,
		.tun_write = tn_tun_write,
		.timer_arm = tn_timer_arm,
	};

	memset(net, 0, sizeof(*net));
	net->now = 1000 * TN_SEC; /* not zero: a zero clock hides "0 = never" bugs */
	if (uwg_crypto_init() || uwg_pool_init(&net->pool, TN_POOL))
		abort();
	for (int i = 0; i < TN_NODES; i++) {
		struct tn_node *n = &net->node[i];
		struct uwg_wg_ops o = ops;

		n->net = net;
		n->id = i;
		n->rng = seed * 2654435761u + (uint64_t)i * 0x9e3779b97f4a7c15u + 1;
		n->deadline = UINT64_MAX;
		uwg_pktq_init(&n->out);
		uwg_pktq_init(&n->tun);
		n->addr.sin_family = AF_INET;
		n->addr.sin_port = htons((uint16_t)(TN_PORT0 + i));
		n->addr.sin_addr.s_addr = htonl(0xcb007201u + (uint32_t)i); /* 203.0.114.1 + i */
		n->local.s_addr = htonl(0xcb007201u + (uint32_t)i);
		n->in4[0] = 10;
		n->in4[1] = 0;
		n->in4[2] = 0;
		n->in4[3] = (uint8_t)(1 + i);
		n->in6[0] = 0xfd;
		n->in6[15] = (uint8_t)(1 + i);
		tn_keys(n);
		o.ctx = n;
		n->wg = uwg_wg_new(&o, &net->pool);
		if (!n->wg)
			abort();
		uwg_wg_set_private_key(n->wg, n->priv);
	}
	for (int i = 0; i < TN_NODES; i++) {
		struct tn_node *n = &net->node[i];
		struct tn_node *o = &net->node[1 - i];
		struct uwg_endpoint ep = tn_endpoint(o);

		if (uwg_wg_peer_add(n->wg, o->pub, &n->peer) || !n->peer)
			abort();
		if (psk)
			uwg_peer_set_preshared_key(n->peer, psk);
		if (uwg_peer_allowedip_add(n->peer, AF_INET, o->in4, 32) ||
		    uwg_peer_allowedip_add(n->peer, AF_INET6, o->in6, 128))
			abort();
		if (i == 0 || both_endpoints)
			uwg_peer_set_endpoint(n->peer, &ep);
	}
	for (int i = 0; i < TN_NODES; i++)
		uwg_wg_up(net->node[i].wg);
}

/* Frees everything; every packet must be back in the pool. */
static inline void tn_free(struct tn *net)
{
	for (int i = 0; i < TN_NODES; i++) {
		tn_drain(net, &net->node[i].out);
		tn_drain(net, &net->node[i].tun);
	}
	for (int i = 0; i < TN_NODES; i++) {
		uwg_wg_free(net->node[i].wg);
		net->node[i].wg = NULL;
	}
	CHECK_EQ_U64(net->pool.avail, TN_POOL);
	uwg_pool_destroy(&net->pool);
}

static inline uint16_t tn_csum(const uint8_t *p, size_t len)
{
	uint32_t sum = 0;

	for (size_t i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (len & 1)
		sum += (uint32_t)p[len - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/* An IPv4/UDP packet with a correct header checksum; payload bytes are seed + i. */
static inline size_t tn_ipv4(uint8_t *p, const uint8_t src[4], const uint8_t dst[4],
			     size_t payload, uint8_t seed)
{
	size_t total = 20 + 8 + payload;
	uint16_t c;

	memset(p, 0, 28);
	p[0] = 0x45;
	p[2] = (uint8_t)(total >> 8);
	p[3] = (uint8_t)total;
	p[4] = 0x12;
	p[5] = seed;
	p[6] = 0x40; /* DF */
	p[8] = 64;
	p[9] = 17;
	memcpy(p + 12, src, 4);
	memcpy(p + 16, dst, 4);
	c = tn_csum(p, 20);
	p[10] = (uint8_t)(c >> 8);
	p[11] = (uint8_t)c;
	p[20] = 0x30; /* source port 12345 */
	p[21] = 0x39;
	p[22] = 0x00; /* destination port 53 */
	p[23] = 0x35;
	p[24] = (uint8_t)((8 + payload) >> 8);
	p[25] = (uint8_t)(8 + payload);
	for (size_t i = 0; i < payload; i++)
		p[28 + i] = (uint8_t)(seed + i);
	return total;
}

static inline size_t tn_ipv6(uint8_t *p, const uint8_t src[16], const uint8_t dst[16],
			     size_t payload, uint8_t seed)
{
	size_t plen = 8 + payload;

	memset(p, 0, 48);
	p[0] = 0x60;
	p[4] = (uint8_t)(plen >> 8);
	p[5] = (uint8_t)plen;
	p[6] = 17;
	p[7] = 64;
	memcpy(p + 8, src, 16);
	memcpy(p + 24, dst, 16);
	p[40] = 0x30;
	p[41] = 0x39;
	p[42] = 0x00;
	p[43] = 0x35;
	p[44] = (uint8_t)(plen >> 8);
	p[45] = (uint8_t)plen;
	for (size_t i = 0; i < payload; i++)
		p[48 + i] = (uint8_t)(seed + i);
	return 40 + plen;
}

/* Hands an inner packet to a node's TUN input. */
static inline void tn_tun_send(struct tn *net, struct tn_node *n, const uint8_t *b, size_t len)
{
	struct uwg_pkt *pkt = uwg_pool_get(&net->pool);

	if (!pkt)
		abort();
	memcpy(uwg_pkt_data(pkt), b, len);
	pkt->len = (uint32_t)len;
	uwg_wg_tun_input(n->wg, pkt);
}

/* Sends a small IPv4 packet from a to b over the tunnel (not delivered yet). */
static inline size_t tn_ping(struct tn *net, struct tn_node *a, struct tn_node *b, uint8_t seed,
			     uint8_t *copy)
{
	uint8_t buf[256];
	size_t len = tn_ipv4(buf, a->in4, b->in4, 36, seed);

	if (copy)
		memcpy(copy, buf, len);
	tn_tun_send(net, a, buf, len);
	return len;
}

/* Counts log entries of a type sent by n in [from, to). */
static inline unsigned tn_count_sent(const struct tn_node *n, uint32_t type, uint64_t from,
				     uint64_t to)
{
	unsigned c = 0;

	for (size_t i = 0; i < n->nlog; i++)
		if (n->log[i].type == type && n->log[i].t >= from && n->log[i].t < to)
			c++;
	return c;
}

/* The last log entry of a type, or NULL. */
static inline const struct tn_sent *tn_last_sent(const struct tn_node *n, uint32_t type)
{
	for (size_t i = n->nlog; i-- > 0;)
		if (n->log[i].type == type)
			return &n->log[i];
	return NULL;
}

/* Pops the packet at the head of n's TUN queue and checks it equals want. */
static inline bool tn_tun_expect(struct tn *net, struct tn_node *n, const uint8_t *want, size_t len)
{
	struct uwg_pkt *pkt = uwg_pktq_pop(&n->tun);
	bool ok;

	if (!pkt)
		return false;
	ok = pkt->len == len && !memcmp(uwg_pkt_data(pkt), want, len);
	uwg_pool_put(&net->pool, pkt);
	return ok;
}

#endif
