/*
 * test/fuzz/fuzz_udp_input.c - libFuzzer harness for uwg_wg_udp_input: device
 * B of an in-memory pair (test/unit/wg_testnet.h) that has completed a real
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
 */
#include <stdlib.h>

#include "core/peer_internal.h"
#include "crypto/aead.h"
#include "test/unit/wg_testnet.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct tn net;
static bool ready;

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
	if (!net.node[0].peer->keypairs.current || !net.node[1].peer->keypairs.current)
		abort();
	ready = true;
}

/* Keys get old on the fake clock; start over before the data path becomes unreachable. */
static bool session_fresh(void)
{
	const struct uwg_noise_keypair *kp = net.node[0].peer->keypairs.current;

	return kp && kp->send_valid && net.now - kp->birthdate < 100 * TN_SEC;
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
	struct uwg_noise_keypair *kp = net.node[0].peer->keypairs.current;
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

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint64_t steps[4] = {0, TN_MS, 300 * TN_MS, 6 * TN_SEC};
	struct sockaddr_in stranger;
	struct tn_node *b;
	uint8_t mode;

	if (!ready || !session_fresh())
		setup();
	if (size < 1)
		return 0;
	mode = data[0];
	data++;
	size--;
	if (size > 65535)
		size = 65535;
	b = &net.node[1];
	tn_advance(&net, steps[mode >> 2 & 3]);
	if (!session_fresh())
		setup();

	switch (mode & 3) {
	case 0:
		tn_inject(&net, b, &net.node[0].addr, packet(data, size));
		break;
	case 1: {
		struct uwg_pkt *pkt = packet(data, size);
		struct uwg_index_entry *live[UWG_PEER_INDEX_ENTRIES];
		size_t n = 0;

		for (int i = 0; i < UWG_PEER_INDEX_ENTRIES; i++)
			if (b->peer->idx[i].kind != UWG_INDEX_FREE)
				live[n++] = &b->peer->idx[i];
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
