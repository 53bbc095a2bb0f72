/*
 * test/fuzz/fuzz_udp_input.c - libFuzzer harness for uwg_wg_udp_input: device
 * B of an in-memory pair (test/unit/core/wg_testnet.h) that has completed a real
 * handshake with A, so the data path is reachable. The first input byte picks
 * how the rest is delivered:
 *   mode 0: raw datagram from A's address;
 *   mode 1: raw datagram with bytes 4..8 set to one of B's live receiver indices;
 *   mode 2: the bytes as a plaintext, encrypted on A's current keypair (inner
 *           packet checks, allowed-IPs source check, TUN delivery);
 *   mode 3: raw datagram from an unknown address;
 * and bits 2..3 how far the fake clock moves first (timers run). Whatever B
 * answers is delivered to A. After every input each packet must be back in
 * the pool or legitimately staged: a leak aborts.
 *
 * Speed: the pair and its session outlive inputs. A handshake costs as much
 * as ~150 ordinary inputs here (BLAKE2s without optimization, under ASan and
 * coverage), and a new pair adds ~0.5 MiB of tables and a 64 MiB packet pool
 * to map and zero. Building a new pair whenever the session passed 100 s of
 * fake time (every ~40 inputs: the fuzzer likes the 6 s clock step) held the
 * harness at ~3 k inputs/s. Now a session is renewed by the protocol itself
 * when it nears REJECT_AFTER_TIME (a data packet each way: the initiator
 * rekeys), and a new pair is built only when that fails, or every
 * FRESH_PAIR_EVERY inputs so that what an input does depends on a bounded
 * history.
 *
 * Seeds: test/fuzz/make_seeds.py writes the hand-made ones;
 *   UWG_FUZZ_WRITE_SEEDS=DIR fuzz_udp_input
 * writes the genuine handshake and data messages of the first session, made
 * by the devices themselves (see write_seeds), and exits.
 */
#include <stdlib.h>

#include "core/peer_internal.h"
#include "crypto/aead.h"
#include "test/unit/core/wg_testnet.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

enum { FRESH_PAIR_EVERY = 2000 };
/*
 * Past REKEY_AFTER_TIME (120 s), so the session's initiator rekeys on its next data packet, and
 * a clock step (at most 6 s) short of REJECT_AFTER_TIME (180 s), so B still takes the data.
 */
#define RENEW_AGE (170 * TN_SEC)

static struct tn net;
static bool ready;
static unsigned inputs_since_setup;

static size_t held(void)
{
	size_t n = 0;

	for (int i = 0; i < TN_NODES; i++) {
		struct tn_node *node = &net.node[i];

		n += node->out.len + node->tun.len;
		for (struct uwg_peer *p = uwg_wg_peer_first(node->wg); p;
		     p = uwg_wg_peer_next(node->wg, p))
			n += p->staged.len;
	}
	return n;
}

static void check_pool(void)
{
	if (net.pool.avail + held() != TN_POOL) {
		fprintf(stderr, "packet leak: %zu in pool, %zu held, %d total\n", net.pool.avail,
			held(), TN_POOL);
		abort();
	}
}

/* A fresh pair with a confirmed session both ways. */
static void setup(void)
{
	if (ready) {
		tn_drain(&net, &net.node[0].tun);
		tn_drain(&net, &net.node[1].tun);
		tn_free(&net);
	}
	tn_init(&net, 4242, NULL, true);
	tn_ping(&net, &net.node[0], &net.node[1], 1, NULL);
	tn_deliver(&net);
	tn_ping(&net, &net.node[1], &net.node[0], 2, NULL);
	tn_deliver(&net);
	tn_drain(&net, &net.node[0].tun);
	tn_drain(&net, &net.node[1].tun);
	if (!uwg_peer_current_keypair(net.node[0].peer) || !uwg_peer_current_keypair(net.node[1].peer))
		abort();
	ready = true;
	inputs_since_setup = 0;
}

/* Keys get old on the fake clock. */
static bool session_fresh(void)
{
	const struct uwg_noise_keypair *kp = uwg_peer_current_keypair(net.node[0].peer);

	return kp && kp->send_valid && net.now - kp->birthdate < RENEW_AGE;
}

/* A live session before the data path becomes unreachable: renewed in place, else a new pair. */
static void keep_session(void)
{
	if (!ready) {
		setup();
		return;
	}
	if (session_fresh())
		return;
	tn_ping(&net, &net.node[0], &net.node[1], 3, NULL);
	tn_deliver(&net);
	tn_ping(&net, &net.node[1], &net.node[0], 4, NULL);
	tn_deliver(&net);
	tn_drain(&net, &net.node[0].tun);
	tn_drain(&net, &net.node[1].tun);
	if (!session_fresh())
		setup();
}

static struct uwg_pkt *packet(const uint8_t *b, size_t len)
{
	struct uwg_pkt *pkt = uwg_pool_get(&net.pool);

	if (!pkt)
		abort();
	memcpy(uwg_pkt_data(pkt), b, len);
	pkt->len = (uint32_t)len;
	return pkt;
}

static void send_encrypted(const uint8_t *b, size_t len)
{
	struct uwg_noise_keypair *kp = uwg_peer_current_keypair(net.node[0].peer);
	struct uwg_pkt *pkt;
	uint8_t *p;

	if (!kp || len > 65535)
		return;
	pkt = packet(b, len);
	p = uwg_pkt_data(pkt);
	uwg_aead_encrypt(p, p, len, NULL, 0, kp->send_counter, kp->send_key);
	pkt->off -= 16;
	p = uwg_pkt_data(pkt);
	uwg_le32_store(p, UWG_MSG_DATA);
	uwg_le32_store(p + 4, kp->remote_index);
	uwg_le64_store(p + 8, kp->send_counter++);
	pkt->len = (uint32_t)(16 + len + 16);
	tn_inject(&net, &net.node[1], &net.node[0].addr, pkt);
}

/* Writes the last datagram `n` sent (which must be of `type`) as seed `name`; frees them all. */
static void seed_last_sent(const char *dir, const char *name, uint8_t mode, struct tn_node *n,
			   uint32_t type)
{
	struct uwg_pkt *pkt, *last = NULL;
	char path[4096];
	FILE *f;

	while ((pkt = uwg_pktq_pop(&n->out))) {
		if (last)
			uwg_pool_put(&net.pool, last);
		last = pkt;
	}
	if (!last || last->len < 4 || uwg_le32_load(uwg_pkt_data(last)) != type) {
		fprintf(stderr, "%s: the device sent no message of type %u\n", name, type);
		exit(1);
	}
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "wb");
	if (!f || fputc(mode, f) == EOF || fwrite(uwg_pkt_data(last), 1, last->len, f) != last->len ||
	    fclose(f)) {
		perror(path);
		exit(1);
	}
	uwg_pool_put(&net.pool, last);
}

/*
 * The seeds only the devices can make, from the state the fuzzer's first inputs meet (setup()
 * is deterministic: seeded keys and RNG, fake clocks): A's data and keepalive under the first
 * session, at counters above what the other seeds use; A's later initiations (newer timestamps,
 * so B takes the first one it sees; their mode byte moves the clock 300 ms, out of the flood
 * window of setup()'s initiation), also from an unknown address (roaming); and A's response to
 * an initiation of B, whose mac1 B accepts.
 */
static void write_seeds(const char *dir)
{
	struct tn_node *a = &net.node[0], *b = &net.node[1];

	setup();
	for (uint8_t i = 0; i < 32; i++)
		tn_ping(&net, a, b, i, NULL);
	seed_last_sent(dir, "genuine-data", 0, a, UWG_MSG_DATA);
	uwg_send_keepalive(a->peer, net.now);
	seed_last_sent(dir, "genuine-keepalive", 0, a, UWG_MSG_DATA);
	net.now += 6 * TN_SEC;
	uwg_send_handshake_initiation(a->peer, net.now, false);
	seed_last_sent(dir, "genuine-initiation", 8, a, UWG_MSG_HANDSHAKE_INITIATION);
	net.now += 6 * TN_SEC;
	uwg_send_handshake_initiation(a->peer, net.now, false);
	seed_last_sent(dir, "genuine-initiation-roaming", 11, a, UWG_MSG_HANDSHAKE_INITIATION);
	uwg_send_handshake_initiation(b->peer, net.now, false);
	if (!tn_deliver_one(&net, b))
		abort();
	seed_last_sent(dir, "genuine-response", 0, a, UWG_MSG_HANDSHAKE_RESPONSE);
	tn_drain(&net, &a->tun);
	tn_drain(&net, &b->tun);
	check_pool();
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *dir = getenv("UWG_FUZZ_WRITE_SEEDS");

	(void)argc;
	(void)argv;
	if (dir) {
		write_seeds(dir);
		exit(0);
	}
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint64_t steps[4] = {0, TN_MS, 300 * TN_MS, 6 * TN_SEC};
	struct sockaddr_in stranger;
	struct tn_node *b;
	uint8_t mode;

	if (!ready || ++inputs_since_setup >= FRESH_PAIR_EVERY)
		setup();
	keep_session();
	if (size < 1)
		return 0;
	mode = data[0];
	data++;
	size--;
	if (size > 65535)
		size = 65535;
	b = &net.node[1];
	tn_advance(&net, steps[mode >> 2 & 3]);
	keep_session();

	switch (mode & 3) {
	case 0:
		tn_inject(&net, b, &net.node[0].addr, packet(data, size));
		break;
	case 1: {
		struct uwg_pkt *pkt = packet(data, size);
		struct uwg_index_entry *live[UWG_PEER_INDEX_ENTRIES];
		size_t n = 0;

		/* an idle peer holds no session block, so no index */
		for (int i = 0; b->peer->keys && i < UWG_PEER_INDEX_ENTRIES; i++)
			if (b->peer->keys->idx[i].kind != UWG_INDEX_FREE)
				live[n++] = &b->peer->keys->idx[i];
		if (n && size >= 8)
			uwg_le32_store(uwg_pkt_data(pkt) + 4, live[(mode >> 4) % n]->index);
		tn_inject(&net, b, &net.node[0].addr, pkt);
		break;
	}
	case 2:
		send_encrypted(data, size);
		break;
	default:
		memset(&stranger, 0, sizeof(stranger));
		stranger.sin_family = AF_INET;
		stranger.sin_port = htons(6666);
		stranger.sin_addr.s_addr = htonl(0xcb007242u);
		tn_inject(&net, b, &stranger, packet(data, size));
		break;
	}
	tn_deliver(&net);
	check_pool();
	tn_drain(&net, &net.node[0].tun);
	tn_drain(&net, &net.node[1].tun);
	return 0;
}
