/*
 * test/unit/core/test_wg.c - the device engine end to end: two uwg_wg devices on
 * an in-memory network (wg_testnet.h) with real Noise, cookies and AEAD.
 * Handshakes both ways with and without PSK, IPv4/IPv6 data byte for byte,
 * key confirmation, crypto-routing checks, drops of malformed and replayed
 * datagrams, roaming and sticky source, private-key change, the under-load
 * cookie round trip (load by handshake cost and by count), a fast but cheap
 * handshake stream that must not count as load, low-order peer keys, the
 * staged-queue bound, peer bookkeeping and interface down/up.
 */
#include <errno.h>

#include "core/wg.h"
#include "test/harness.h"
#include "test/unit/core/wg_testnet.h"

static struct tn net;

static const struct uwg_wg_stats *st(struct tn_node *n)
{
	return uwg_wg_get_stats(n->wg);
}

static struct uwg_peer_info info(struct tn_node *n)
{
	struct uwg_peer_info i;

	uwg_peer_get_info(n->peer, &i);
	return i;
}

/* The last message of a type n sent (all zero if none). */
static struct tn_sent last_sent(const struct tn_node *n, uint32_t type)
{
	const struct tn_sent *s = tn_last_sent(n, type);
	struct tn_sent none;

	memset(&none, 0, sizeof(none));
	return s ? *s : none;
}

static const struct sockaddr_in *attacker(void)
{
	static struct sockaddr_in a;

	a.sin_family = AF_INET;
	a.sin_port = htons(6666);
	a.sin_addr.s_addr = htonl(0xcb007242u); /* 203.0.114.66 */
	return &a;
}

/* A pings B and everything is delivered; returns true if B's TUN got the packet intact. */
static bool ping_through(struct tn_node *a, struct tn_node *b, uint8_t seed)
{
	uint8_t buf[256];
	size_t len = tn_ping(&net, a, b, seed, buf);

	tn_deliver(&net);
	return tn_tun_expect(&net, b, buf, len);
}

/* Copies the packet at the head of n's out queue. */
static size_t peek_out(struct tn_node *n, uint8_t *copy)
{
	struct uwg_pkt *p = n->out.head;

	if (!p)
		return 0;
	memcpy(copy, uwg_pkt_data(p), p->len);
	return p->len;
}

static void test_handshake(bool with_psk, int initiator)
{
	uint8_t psk[32], v4[256], v6[512];
	struct tn_node *a, *b;
	size_t l4, l6;

	memset(psk, 0xa5, sizeof(psk));
	tn_init(&net, 10 + (uint64_t)initiator + 2 * with_psk, with_psk ? psk : NULL, true);
	a = &net.node[initiator];
	b = &net.node[1 - initiator];

	l4 = tn_ipv4(v4, a->in4, b->in4, 100, 7);
	tn_tun_send(&net, a, v4, l4);
	/* Nothing to send on yet: the packet is staged and one initiation goes out. */
	CHECK_EQ_U64(a->nlog, 1);
	CHECK_EQ_U64(a->log[0].type, UWG_MSG_HANDSHAKE_INITIATION);
	CHECK_EQ_U64(a->log[0].len, 148);
	CHECK_EQ_U64(st(a)->handshakes_sent, 1);
	tn_deliver(&net);
	CHECK(tn_tun_expect(&net, b, v4, l4));
	CHECK(b->tun.head == NULL);
	/* Initiator: initiation, then the staged data (which confirms the session). */
	CHECK_EQ_U64(a->nlog, 2);
	CHECK_EQ_U64(a->log[1].type, UWG_MSG_DATA);
	CHECK_EQ_U64(a->log[1].len, 16 + 128 + 16);
	CHECK_EQ_U64(a->log[1].receiver, b->log[0].sender);
	/* Responder: only the response. */
	CHECK_EQ_U64(b->nlog, 1);
	CHECK_EQ_U64(b->log[0].type, UWG_MSG_HANDSHAKE_RESPONSE);
	CHECK_EQ_U64(b->log[0].len, 92);
	CHECK_EQ_U64(b->log[0].receiver, a->log[0].sender);
	CHECK_EQ_U64(st(a)->handshakes_completed, 1);
	CHECK_EQ_U64(st(b)->handshakes_completed, 1);
	CHECK_EQ_U64(st(b)->handshakes_sent, 0);

	/* And back, IPv6, on the confirmed keypair: no new handshake. */
	l6 = tn_ipv6(v6, b->in6, a->in6, 200, 9);
	tn_tun_send(&net, b, v6, l6);
	tn_deliver(&net);
	CHECK(tn_tun_expect(&net, a, v6, l6));
	CHECK_EQ_U64(st(b)->handshakes_sent, 0);
	CHECK_EQ_U64(b->log[1].type, UWG_MSG_DATA);
	CHECK_EQ_U64(b->log[1].len, 16 + 256 + 16); /* 248 padded to 256 */
	CHECK_EQ_U64(b->log[1].receiver, a->log[0].sender);

	/* Transfer counters count wire message sizes, handshake messages included. */
	CHECK_EQ_U64(info(a).tx_bytes, 148 + 160);
	CHECK_EQ_U64(info(b).rx_bytes, 148 + 160);
	CHECK_EQ_U64(info(b).tx_bytes, 92 + 288);
	CHECK_EQ_U64(info(a).rx_bytes, 92 + 288);
	CHECK(info(a).last_handshake.tv_sec != 0);
	CHECK(info(b).last_handshake.tv_sec != 0);
	CHECK_MEM_EQ(info(a).preshared_key, with_psk ? psk : (const uint8_t[32]){0}, 32);

	/* A run of mixed traffic both ways, sizes around the padding edges and the MTU. */
	for (int i = 0; i < 40; i++) {
		static const size_t sizes[] = {0, 1, 15, 16, 17, 100, 1000, 1392 - 28, 1420 - 48};
		struct tn_node *from = i & 1 ? a : b;
		struct tn_node *to = i & 1 ? b : a;
		uint8_t buf[1500];
		size_t len = i & 2 ? tn_ipv6(buf, from->in6, to->in6, sizes[i % 9], (uint8_t)i)
				   : tn_ipv4(buf, from->in4, to->in4, sizes[i % 9], (uint8_t)i);

		tn_tun_send(&net, from, buf, len);
		tn_deliver(&net);
		CHECK(tn_tun_expect(&net, to, buf, len));
	}
	/* Padded to 16 but never past the MTU: a 1420-byte packet goes out unpadded. */
	{
		uint8_t buf[1500];
		size_t len = tn_ipv4(buf, a->in4, b->in4, 1420 - 28, 1);

		tn_tun_send(&net, a, buf, len);
		CHECK_EQ_U64(a->log[a->nlog - 1].len, 1420 + 32);
		len = tn_ipv4(buf, a->in4, b->in4, 1419 - 28, 1);
		tn_tun_send(&net, a, buf, len);
		CHECK_EQ_U64(a->log[a->nlog - 1].len, 1420 + 32);
		len = tn_ipv4(buf, a->in4, b->in4, 1404 - 28, 1);
		tn_tun_send(&net, a, buf, len);
		CHECK_EQ_U64(a->log[a->nlog - 1].len, 1408 + 32);
		tn_deliver(&net);
		tn_drain(&net, &b->tun);
	}
	CHECK_EQ_U64(st(a)->handshakes_sent + st(b)->handshakes_sent, 1);
	tn_free(&net);
}

static void test_psk_mismatch(void)
{
	uint8_t psk[32];
	struct tn_node *a, *b;

	memset(psk, 1, sizeof(psk));
	tn_init(&net, 20, psk, true);
	a = &net.node[0];
	b = &net.node[1];
	psk[0] = 2;
	uwg_peer_set_preshared_key(b->peer, psk);
	CHECK(!ping_through(a, b, 1));
	/* The responder cannot tell; the initiator cannot decrypt the response. */
	CHECK_EQ_U64(st(b)->rx_bad_handshake, 0);
	CHECK_EQ_U64(st(a)->rx_bad_handshake, 1);
	CHECK_EQ_U64(st(a)->handshakes_completed, 0);
	tn_free(&net);
}

/*
 * A handshake with nothing but a keepalive staged (persistent keepalive turned
 * on): the initiator confirms with a 32-byte keepalive, counted, not delivered.
 */
/*
 * Both sides initiate at the same instant: each consumes the other's
 * initiation, which replaces its own, so both responses miss. The jittered
 * retransmits then complete one handshake and both staged packets arrive.
 */
static void test_simultaneous_initiation(void)
{
	uint8_t ab[256], ba[256];
	struct tn_node *a, *b;
	size_t lab, lba;

	tn_init(&net, 25, NULL, true);
	a = &net.node[0];
	b = &net.node[1];
	lab = tn_ping(&net, a, b, 1, ab);
	lba = tn_ping(&net, b, a, 2, ba);
	tn_deliver(&net);
	CHECK_EQ_U64(st(a)->rx_bad_handshake + st(b)->rx_bad_handshake, 2);
	CHECK(a->tun.head == NULL && b->tun.head == NULL);
	tn_advance(&net, 5400 * TN_MS);
	CHECK(tn_tun_expect(&net, b, ab, lab));
	CHECK(tn_tun_expect(&net, a, ba, lba));
	CHECK(ping_through(a, b, 3));
	CHECK(ping_through(b, a, 4));
	tn_free(&net);
}

static void test_keepalive_confirmation(void)
{
	struct tn_node *a, *b;

	tn_init(&net, 30, NULL, true);
	a = &net.node[0];
	b = &net.node[1];
	uwg_peer_set_persistent_keepalive(a->peer, 25);
	CHECK_EQ_U64(info(a).persistent_keepalive, 25);
	tn_deliver(&net);
	CHECK_EQ_U64(a->nlog, 2);
	CHECK_EQ_U64(a->log[0].type, UWG_MSG_HANDSHAKE_INITIATION);
	CHECK_EQ_U64(a->log[1].type, UWG_MSG_DATA);
	CHECK_EQ_U64(a->log[1].len, 32);
	CHECK_EQ_U64(st(b)->rx_keepalives, 1);
	CHECK_EQ_U64(st(b)->handshakes_completed, 1);
	CHECK(b->tun.head == NULL);
	CHECK_EQ_U64(info(b).rx_bytes, 148 + 32);
	/* Changing a non-zero interval sends nothing extra. */
	uwg_peer_set_persistent_keepalive(a->peer, 30);
	CHECK_EQ_U64(a->nlog, 2);
	tn_free(&net);
}

/*
 * Key confirmation: the responder keeps sending on its current keypair until the
 * initiator has used the new one; the initiator, with nothing staged,
 * confirms a rekey with a keepalive.
 */
static void test_key_confirmation(void)
{
	struct tn_node *a, *b;
	uint32_t i1, i2;
	uint8_t buf[256];

	tn_init(&net, 40, NULL, true);
	a = &net.node[0];
	b = &net.node[1];
	CHECK(ping_through(a, b, 1));
	i1 = a->log[0].sender;
	CHECK_EQ_U64(st(a)->handshakes_sent, 1);

	/* 121 s later A sends: data on the old key, then a rekey (REKEY_AFTER_TIME). */
	tn_advance(&net, 121 * TN_SEC);
	tn_drain(&net, &a->tun);
	tn_ping(&net, a, b, 2, buf);
	CHECK_EQ_U64(a->out.len, 2);
	CHECK_EQ_U64(st(a)->handshakes_sent, 2);
	i2 = last_sent(a, UWG_MSG_HANDSHAKE_INITIATION).sender;
	CHECK(i1 != i2);
	CHECK(tn_deliver_one(&net, a)); /* data (old keypair) */
	CHECK(tn_deliver_one(&net, a)); /* initiation; B answers and holds the new keypair as next */
	CHECK_EQ_U64(b->out.len, 1);
	tn_drain(&net, &b->tun);

	tn_ping(&net, b, a, 3, buf);
	CHECK_EQ_U64(b->out.len, 2);
	CHECK_EQ_U64(uwg_le32_load(uwg_pkt_data(b->out.tail) + 4), i1);
	CHECK(tn_deliver_one(&net, b)); /* response: A switches at once and confirms */
	CHECK_EQ_U64(a->out.len, 1);
	CHECK_EQ_U64(a->out.head->len, 32);
	CHECK_EQ_U64(st(a)->handshakes_completed, 2);
	CHECK(tn_deliver_one(&net, b)); /* B's old-key data still decrypts at A (previous) */
	CHECK(tn_tun_expect(&net, a, buf, 28 + 36));

	tn_ping(&net, b, a, 4, buf);
	CHECK_EQ_U64(uwg_le32_load(uwg_pkt_data(b->out.tail) + 4), i1);
	CHECK(tn_deliver_one(&net, b));
	CHECK(tn_tun_expect(&net, a, buf, 28 + 36));
	CHECK_EQ_U64(st(b)->handshakes_completed, 1);

	CHECK(tn_deliver_one(&net, a)); /* the keepalive on next: B confirms */
	CHECK_EQ_U64(st(b)->handshakes_completed, 2);
	CHECK_EQ_U64(st(b)->rx_keepalives, 1);
	tn_ping(&net, b, a, 5, buf);
	CHECK_EQ_U64(uwg_le32_load(uwg_pkt_data(b->out.tail) + 4), i2);
	tn_deliver(&net);
	CHECK(tn_tun_expect(&net, a, buf, 28 + 36));
	tn_free(&net);
}

static void test_crypto_routing(void)
{
	static const uint8_t far4[4] = {10, 9, 9, 9}, spoof4[4] = {10, 0, 0, 77};
	uint8_t spoof6[16] = {0xfd}, buf[256], junk[64];
	struct tn_node *a, *b;
	size_t len;

	tn_init(&net, 50, NULL, true);
	a = &net.node[0];
	b = &net.node[1];
	CHECK(ping_through(a, b, 1));

	/* Inner source outside A's allowed IPs at B: dropped and counted, both families. */
	len = tn_ipv4(buf, spoof4, b->in4, 20, 1);
	tn_tun_send(&net, a, buf, len);
	spoof6[15] = 0x77;
	len = tn_ipv6(buf, spoof6, b->in6, 20, 1);
	tn_tun_send(&net, a, buf, len);
	tn_deliver(&net);
	CHECK_EQ_U64(st(b)->rx_bad_src, 2);
	CHECK(b->tun.head == NULL);

	/* Unknown destination, and bytes that are no IP packet, never leave A. */
	len = tn_ipv4(buf, a->in4, far4, 20, 1);
	tn_tun_send(&net, a, buf, len);
	CHECK_EQ_U64(st(a)->tx_no_peer, 1);
	memset(junk, 0, sizeof(junk));
	tn_tun_send(&net, a, junk, sizeof(junk));
	tn_tun_send(&net, a, buf, 19);
	CHECK_EQ_U64(st(a)->tx_bad_inner, 2);
	CHECK_EQ_U64(a->out.len, 0);

	/* Padding is trimmed to the header's length; a header claiming more is rejected. */
	len = tn_ipv4(buf, a->in4, b->in4, 20, 3);
	tn_tun_send(&net, a, buf, len + 12);
	tn_deliver(&net);
	CHECK(tn_tun_expect(&net, b, buf, len));
	buf[3] = (uint8_t)(len + 1);
	tn_tun_send(&net, a, buf, len);
	len = tn_ipv6(buf, a->in6, b->in6, 16, 3); /* 64 bytes: no padding to hide in */
	buf[5]++;
	tn_tun_send(&net, a, buf, len);
	tn_deliver(&net);
	CHECK_EQ_U64(st(b)->rx_bad_inner, 2);
	CHECK(b->tun.head == NULL);
	tn_free(&net);

	/* A responder that never heard from its peer has no endpoint to send to. */
	tn_init(&net, 51, NULL, false);
	tn_ping(&net, &net.node[1], &net.node[0], 1, NULL);
	CHECK_EQ_U64(st(&net.node[1])->tx_no_endpoint, 1);
	CHECK_EQ_U64(net.node[1].nlog, 0);
	CHECK(ping_through(&net.node[0], &net.node[1], 2));
	CHECK(ping_through(&net.node[1], &net.node[0], 3));
	tn_free(&net);
}

static void test_garbage(void)
{
	uint8_t raw[2048], data_copy[256], init_copy[148];
	const struct sockaddr_in *from;
	struct tn_node *a, *b;
	struct uwg_wg_stats before;
	size_t dlen;

	tn_init(&net, 60, NULL, true);
	a = &net.node[0];
	b = &net.node[1];
	from = &a->addr;
	tn_ping(&net, a, b, 1, NULL);
	CHECK_EQ_U64(peek_out(a, init_copy), 148);
	tn_deliver(&net);
	tn_drain(&net, &b->tun);
	tn_ping(&net, a, b, 2, NULL);
	dlen = peek_out(a, data_copy);
	tn_deliver(&net);
	tn_drain(&net, &b->tun);
	before = *st(b);

	memset(raw, 0, sizeof(raw));
	tn_inject_bytes(&net, b, from, raw, 0);
	tn_inject_bytes(&net, b, from, raw, 3);
	raw[0] = 5;
	tn_inject_bytes(&net, b, from, raw, 100);
	raw[0] = 0;
	tn_inject_bytes(&net, b, from, raw, 148); /* type 0 */
	raw[0] = 1;
	raw[1] = 1; /* reserved byte set */
	tn_inject_bytes(&net, b, from, raw, 148);
	raw[0] = 4;
	raw[1] = 0;
	raw[3] = 0x80;
	tn_inject_bytes(&net, b, from, raw, 64);
	CHECK_EQ_U64(st(b)->rx_bad_type - before.rx_bad_type, 4);
	CHECK_EQ_U64(st(b)->rx_bad_length - before.rx_bad_length, 2);

	raw[3] = 0;
	raw[0] = 1;
	tn_inject_bytes(&net, b, from, raw, 147);
	tn_inject_bytes(&net, b, from, raw, 149);
	raw[0] = 2;
	tn_inject_bytes(&net, b, from, raw, 91);
	tn_inject_bytes(&net, b, from, raw, 93);
	raw[0] = 3;
	tn_inject_bytes(&net, b, from, raw, 63);
	tn_inject_bytes(&net, b, from, raw, 65);
	raw[0] = 4;
	tn_inject_bytes(&net, b, from, raw, 31);
	tn_inject_bytes(&net, b, from, raw, 4);
	CHECK_EQ_U64(st(b)->rx_bad_length - before.rx_bad_length, 2 + 8);

	/* Right sizes, wrong contents. */
	raw[0] = 1;
	tn_inject_bytes(&net, b, from, raw, 148); /* mac1 invalid */
	raw[0] = 2;
	tn_inject_bytes(&net, b, from, raw, 92);
	CHECK_EQ_U64(st(b)->rx_bad_mac - before.rx_bad_mac, 2);
	raw[0] = 3;
	uwg_le32_store(raw + 4, b->log[0].sender ^ 0x5a5a5a5a);
	tn_inject_bytes(&net, b, from, raw, 64); /* unknown index */
	uwg_le32_store(raw + 4, b->log[0].sender);
	tn_inject_bytes(&net, b, from, raw, 64); /* known index, does not authenticate */
	CHECK_EQ_U64(st(b)->rx_bad_handshake - before.rx_bad_handshake, 2);
	tn_inject_bytes(&net, b, from, init_copy, sizeof(init_copy)); /* replayed initiation */
	CHECK_EQ_U64(st(b)->rx_bad_handshake - before.rx_bad_handshake, 3);

	raw[0] = 4;
	uwg_le32_store(raw + 4, b->log[0].sender ^ 0x5a5a5a5a);
	tn_inject_bytes(&net, b, from, raw, 32);
	tn_inject_bytes(&net, b, from, raw, 200);
	CHECK_EQ_U64(st(b)->rx_no_keypair - before.rx_no_keypair, 2);
	uwg_le32_store(raw + 4, b->log[0].sender);
	tn_inject_bytes(&net, b, from, raw, 32);
	tn_inject_bytes(&net, b, from, raw, 1500);
	data_copy[20] ^= 1;
	tn_inject_bytes(&net, b, from, data_copy, dlen); /* flipped bit */
	data_copy[20] ^= 1;
	tn_inject_bytes(&net, b, from, data_copy, dlen - 1); /* truncated */
	CHECK_EQ_U64(st(b)->rx_bad_auth - before.rx_bad_auth, 4);
	tn_inject_bytes(&net, b, from, data_copy, dlen); /* replayed */
	CHECK_EQ_U64(st(b)->rx_replay - before.rx_replay, 1);
	CHECK(b->tun.head == NULL);
	CHECK_EQ_U64(b->out.len, 0);

	/* Still works. */
	CHECK(ping_through(a, b, 3));
	CHECK(ping_through(b, a, 4));
	tn_free(&net);
}

static void test_roaming(void)
{
	uint8_t copy[256], init_copy[148], raw[148];
	struct tn_node *a, *b;
	size_t len;

	tn_init(&net, 70, NULL, true);
	a = &net.node[0];
	b = &net.node[1];
	tn_ping(&net, a, b, 1, NULL);
	peek_out(a, init_copy);
	tn_deliver(&net);
	tn_drain(&net, &b->tun);
	/* B learnt where A is and which local address A reached it on (sticky source). */
	CHECK_EQ_U64(ntohs(info(b).endpoint.addr.in4.sin_port), TN_PORT0);
	CHECK(info(b).endpoint.has_src);
	CHECK_EQ_U64(info(b).endpoint.src.v4.s_addr, b->local.s_addr);
	CHECK(ping_through(b, a, 2));
	CHECK(last_sent(b, UWG_MSG_DATA).has_src);

	/* A moves; its next authenticated packet moves B's endpoint. */
	a->addr.sin_port = htons(40000);
	CHECK(ping_through(a, b, 3));
	CHECK_EQ_U64(ntohs(info(b).endpoint.addr.in4.sin_port), 40000);
	CHECK(ping_through(b, a, 4));
	CHECK_EQ_U64(net.lost, 0);

	/* Nothing unauthenticated or stale moves it. */
	tn_ping(&net, a, b, 5, NULL);
	len = peek_out(a, copy);
	tn_deliver(&net);
	tn_drain(&net, &b->tun);
	tn_inject_bytes(&net, b, attacker(), copy, len); /* replay from elsewhere */
	copy[8] ^= 0x40;                                  /* fresh counter, forged */
	tn_inject_bytes(&net, b, attacker(), copy, len);
	tn_inject_bytes(&net, b, attacker(), init_copy, sizeof(init_copy));
	memset(raw, 0x11, sizeof(raw));
	raw[0] = 1;
	raw[1] = raw[2] = raw[3] = 0;
	tn_inject_bytes(&net, b, attacker(), raw, sizeof(raw));
	CHECK_EQ_U64(st(b)->rx_replay, 1);
	CHECK_EQ_U64(st(b)->rx_bad_auth, 1);
	CHECK_EQ_U64(st(b)->rx_bad_handshake, 1);
	CHECK_EQ_U64(st(b)->rx_bad_mac, 1);
	CHECK_EQ_U64(ntohs(info(b).endpoint.addr.in4.sin_port), 40000);
	CHECK(ping_through(b, a, 6));

	/* The kernel's crypto-RP rule: an authentic packet roams even if its inner source is bad. */
	{
		static const uint8_t spoof[4] = {10, 0, 0, 99};
		uint8_t buf[128];

		a->addr.sin_port = htons(40001);
		len = tn_ipv4(buf, spoof, b->in4, 10, 1);
		tn_tun_send(&net, a, buf, len);
		tn_deliver(&net);
		CHECK_EQ_U64(st(b)->rx_bad_src, 1);
		CHECK_EQ_U64(ntohs(info(b).endpoint.addr.in4.sin_port), 40001);
	}
	tn_free(&net);
}

static void test_private_key_change(void)
{
	struct tn_node *a, *b;
	struct uwg_endpoint ep;
	uint8_t buf[256], pub[32], priv[32];
	uint64_t hs_before;
	size_t len;

	tn_init(&net, 80, NULL, true);
	a = &net.node[0];
	b = &net.node[1];
	CHECK(ping_through(a, b, 1));

	/* Setting the same key again changes nothing. */
	hs_before = st(a)->handshakes_sent;
	uwg_wg_set_private_key(a->wg, a->priv);
	CHECK(ping_through(a, b, 2));
	CHECK_EQ_U64(st(a)->handshakes_sent, hs_before);
	CHECK(uwg_wg_get_private_key(a->wg, priv));
	CHECK_MEM_EQ(priv, a->priv, 32);

	/* A new key: the old session may not send any more, so A initiates at once. */
	tn_keys(a);
	uwg_wg_set_private_key(a->wg, a->priv);
	CHECK(uwg_wg_get_public_key(a->wg, pub));
	CHECK_MEM_EQ(pub, a->pub, 32);
	len = tn_ping(&net, a, b, 3, buf);
	CHECK_EQ_U64(st(a)->handshakes_sent, hs_before + 1);
	tn_deliver(&net);
	/* B does not know that key. */
	CHECK_EQ_U64(st(b)->rx_bad_handshake, 1);
	CHECK(b->tun.head == NULL);
	/* What B still sends on the old session is received, but A answers with nothing. */
	CHECK(ping_through(b, a, 4));

	/* B learns A's new key; the retransmit gets through and the staged packet arrives. */
	uwg_wg_peer_remove(b->wg, b->peer);
	CHECK_EQ_U64(uwg_wg_peer_count(b->wg), 0);
	CHECK(uwg_wg_peer_add(b->wg, a->pub, &b->peer) == 0 && b->peer);
	CHECK_EQ_INT(uwg_peer_allowedip_add(b->peer, AF_INET, a->in4, 32), 0);
	ep = tn_endpoint(a);
	uwg_peer_set_endpoint(b->peer, &ep);
	tn_advance(&net, 6 * TN_SEC);
	CHECK(tn_tun_expect(&net, b, buf, len));
	CHECK(ping_through(b, a, 5));
	CHECK(ping_through(a, b, 6));

	/* Taking the key of a peer removes that peer; clearing the key stops handshakes. */
	uwg_wg_set_private_key(b->wg, a->priv);
	CHECK_EQ_U64(uwg_wg_peer_count(b->wg), 0);
	b->peer = NULL;
	uwg_wg_set_private_key(a->wg, NULL);
	CHECK(!uwg_wg_get_private_key(a->wg, priv));
	CHECK(!uwg_wg_get_public_key(a->wg, pub));
	hs_before = st(a)->handshakes_sent;
	tn_ping(&net, a, b, 7, NULL);
	tn_advance(&net, 30 * TN_SEC);
	CHECK_EQ_U64(st(a)->handshakes_sent, hs_before);
	tn_free(&net);
}

/*
 * Floods B with junk initiations from elsewhere; B sees each take `cost` ns
 * (its clock moves that much per read, and it reads at arrival and at the end).
 */
static void flood(struct tn_node *b, unsigned count, uint64_t cost)
{
	uint8_t raw[148];

	b->tick = cost;
	for (unsigned i = 0; i < count; i++) {
		memset(raw, (int)i, sizeof(raw));
		raw[0] = 1;
		raw[1] = raw[2] = raw[3] = 0;
		tn_inject_bytes(&net, b, attacker(), raw, sizeof(raw));
	}
	b->tick = 0;
}

/* A flood whose messages cost `cost` ns of CPU each while the wall clock stands still. */
static void cpu_flood(struct tn_node *b, unsigned count, uint64_t cost)
{
	b->cpu_clock = true;
	b->cpu_tick = cost;
	flood(b, count, 0);
	b->cpu_clock = false;
}

/* Drops and re-adds n's peer, as the benchmark does over UAPI: no keys, handshake or cookie left. */
static void recreate_peer(struct tn_node *n, bool with_endpoint)
{
	struct tn_node *o = &net.node[1 - n->id];
	struct uwg_endpoint ep = tn_endpoint(o);

	uwg_wg_peer_remove(n->wg, n->peer);
	CHECK(uwg_wg_peer_add(n->wg, o->pub, &n->peer) == 0 && n->peer);
	CHECK_EQ_INT(uwg_peer_allowedip_add(n->peer, AF_INET, o->in4, 32), 0);
	if (with_endpoint)
		uwg_peer_set_endpoint(n->peer, &ep);
}

/*
 * Under load from a flood: by its cost (20 messages of 10 ms, more than 1/8
 * of a second; far too few to count) or, with a frozen clock that measures
 * nothing, by its count (A's initiation is the 4097th message in the second).
 */
static void test_under_load_cookie(bool by_cost)
{
	unsigned count = by_cost ? 20 : 4096;
	uint64_t cost = by_cost ? 15 * TN_MS : 0; /* 300 ms: above a quarter of the second */
	struct tn_node *a, *b;
	uint8_t buf[256], init[148];
	uint64_t bad;
	size_t len;

	tn_init(&net, 90, NULL, true);
	a = &net.node[0];
	b = &net.node[1];
	cpu_flood(b, count, cost);
	CHECK_EQ_U64(st(b)->rx_bad_mac, count);
	CHECK_EQ_U64(st(b)->rx_cookie_sent, 0);

	len = tn_ping(&net, a, b, 1, buf);
	CHECK_EQ_U64(peek_out(a, init), 148);
	CHECK(uwg_is_zero(init + 132, 16)); /* no cookie yet: mac2 is zero */
	tn_deliver(&net);
	/* Under load and no mac2: B answers with a cookie reply and keeps no state. */
	CHECK_EQ_U64(st(b)->rx_cookie_sent, 1);
	CHECK_EQ_U64(b->nlog, 1);
	CHECK_EQ_U64(b->log[0].type, UWG_MSG_HANDSHAKE_COOKIE);
	CHECK_EQ_U64(b->log[0].len, 64);
	CHECK_EQ_U64(b->log[0].receiver, a->log[0].sender);
	CHECK_EQ_U64(st(a)->rx_bad_handshake, 0); /* the reply was accepted */
	CHECK(b->tun.head == NULL);
	CHECK_EQ_U64(st(b)->handshakes_completed, 0);

	/*
	 * Keep B under load up to A's retransmit; the retry carries mac2 and is
	 * served.
	 */
	tn_run_until(&net, a->deadline - 100 * TN_MS);
	cpu_flood(b, count, cost);
	CHECK(net.now < a->deadline);
	a->hold = true;
	tn_run_until(&net, a->deadline);
	CHECK_EQ_U64(peek_out(a, init), 148);
	CHECK(!uwg_is_zero(init + 132, 16));
	a->hold = false;
	tn_deliver(&net);
	CHECK_EQ_U64(st(b)->rx_cookie_sent, 1);
	CHECK_EQ_U64(st(b)->handshakes_completed, 1);
	CHECK_EQ_U64(st(a)->handshakes_completed, 1);
	CHECK(tn_tun_expect(&net, b, buf, len));
	CHECK_EQ_U64(st(b)->rx_ratelimited, 0);

	/*
	 * Replays of that valid-mac2 initiation, still under load: the per-source
	 * bucket (burst 5) lets a few reach Noise, which rejects them as replays;
	 * the rest are rate limited.
	 */
	bad = st(b)->rx_bad_handshake;
	for (int i = 0; i < 10; i++)
		tn_inject_bytes(&net, b, &a->addr, init, sizeof(init));
	CHECK(st(b)->rx_ratelimited >= 5);
	CHECK_EQ_U64(st(b)->rx_ratelimited + st(b)->rx_bad_handshake - bad, 10);
	CHECK_EQ_U64(st(b)->rx_cookie_sent, 1);

	/*
	 * A second later B is no longer under load: a fresh initiation without
	 * mac2 (A forgot its cookie with its peer) is answered with a response.
	 */
	tn_advance(&net, 2 * TN_SEC);
	recreate_peer(a, true);
	CHECK(ping_through(a, b, 2));
	CHECK_EQ_U64(last_sent(b, UWG_MSG_HANDSHAKE_RESPONSE).receiver,
		     last_sent(a, UWG_MSG_HANDSHAKE_INITIATION).sender);
	CHECK_EQ_U64(st(b)->rx_cookie_sent, 1);
	CHECK_EQ_U64(st(b)->handshakes_completed, 2);
	tn_free(&net);
}

/*
 * A stall (preemption, suspend) while handling a message is not load: one
 * message counts for at most 1/64 s, so sixteen 16 ms messages in a second
 * (256 ms of stalls, counted as exactly 250 ms) leave a legitimate handshake
 * served; the seventeenth tips it.
 */
static void test_stall_is_capped(void)
{
	struct tn_node *a, *b;

	tn_init(&net, 93, NULL, true);
	a = &net.node[0];
	b = &net.node[1];
	flood(b, 16, 16 * TN_MS);
	CHECK(ping_through(a, b, 1));
	CHECK_EQ_U64(st(b)->rx_cookie_sent, 0);
	flood(b, 1, 16 * TN_MS);
	recreate_peer(a, true);
	tn_ping(&net, a, b, 2, NULL);
	tn_deliver(&net);
	CHECK_EQ_U64(st(b)->rx_cookie_sent, 1);
	CHECK_EQ_U64(st(b)->handshakes_completed, 1);
	CHECK(net.now < 1000 * TN_SEC + TN_SEC); /* all in tn_init's first second */
	tn_free(&net);
}

/*
 * The benchmark's closed loop: both sides re-create the peer, then one ping
 * needs a whole new handshake; 400 cycles a second for two seconds, each
 * initiation taking B `cost` ns of wall time or, if cpu_cost is nonzero,
 * cpu_cost ns of CPU time (the rest of the wall time: preempted). At 0.2 or
 * 0.4 ms (80 or 160 ms a second, below a quarter) no rate may turn cookies on,
 * however far above 128/s it is. At 0.8 ms of CPU the 313th initiation of the
 * first second (250.4 ms) does, and the next one is answered with a cookie
 * reply; 0.5 ms of wall time of which only 0.2 ms is CPU does not.
 */
static void test_handshake_stream(uint64_t cost, uint64_t cpu_cost)
{
	enum { CYCLES = 800 };
	const uint64_t period = TN_SEC / 400;
	uint64_t served_before_cookie = 0;
	unsigned ok = 0, calls;
	struct tn_node *a, *b;
	uint8_t raw[148];

	tn_init(&net, 95, NULL, true);
	a = &net.node[0];
	b = &net.node[1];
	for (unsigned i = 0; i < CYCLES; i++) {
		uint64_t t0 = net.now;

		recreate_peer(b, false);
		recreate_peer(a, true);
		b->tick = cost;
		b->cpu_clock = cpu_cost != 0;
		b->cpu_tick = cpu_cost;
		ok += ping_through(a, b, (uint8_t)i);
		b->tick = 0;
		b->cpu_clock = false;
		if (!served_before_cookie && st(b)->rx_cookie_sent)
			served_before_cookie = st(b)->handshakes_completed;
		CHECK(net.now < t0 + period);
		tn_run_until(&net, t0 + period);
	}
	if ((cpu_cost ? cpu_cost : cost) <= 2 * TN_MS / 5) {
		CHECK_EQ_U64(st(b)->rx_cookie_sent, 0);
		CHECK_EQ_U64(ok, CYCLES);
		CHECK_EQ_U64(st(b)->handshakes_completed, CYCLES);
	} else {
		CHECK_EQ_U64(served_before_cookie, 313);
		CHECK(st(b)->rx_cookie_sent > 0);
		CHECK(ok < CYCLES);
	}

	/*
	 * The price of measuring: two clock reads (cpu_now, start and end) per
	 * handshake message besides the arrival's now(), none per data message.
	 */
	tn_advance(&net, 3 * TN_SEC);
	recreate_peer(a, true);
	CHECK(ping_through(a, b, 1)); /* a new session, so what follows is data only */
	calls = b->now_calls;
	for (int i = 0; i < 10; i++)
		CHECK(ping_through(a, b, (uint8_t)i));
	CHECK_EQ_U64(b->now_calls - calls, 10);
	calls = b->now_calls;
	memset(raw, 0x55, sizeof(raw));
	raw[0] = 1;
	raw[1] = raw[2] = raw[3] = 0;
	tn_inject_bytes(&net, b, attacker(), raw, sizeof(raw));
	CHECK_EQ_U64(b->now_calls - calls, 3);
	tn_free(&net);
}

static void test_low_order_peer(void)
{
	static const char *const low_order[] = {
		"0000000000000000000000000000000000000000000000000000000000000000",
		"0100000000000000000000000000000000000000000000000000000000000000",
		"e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800",
		"5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157",
		"ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
	};
	struct tn_node *a;
	struct uwg_endpoint ep;

	tn_init(&net, 100, NULL, true);
	a = &net.node[0];
	ep = tn_endpoint(&net.node[1]);
	for (size_t i = 0; i < ARRAY_SIZE(low_order); i++) {
		uint8_t key[32], dst[4] = {10, 0, 1, (uint8_t)i};
		struct uwg_peer *p = NULL;
		uint8_t buf[128];
		size_t len;

		harness_unhex(key, sizeof(key), low_order[i]);
		CHECK_EQ_INT(uwg_wg_peer_add(a->wg, key, &p), 0);
		CHECK(p != NULL);
		if (!p)
			continue;
		uwg_peer_set_endpoint(p, &ep);
		CHECK_EQ_INT(uwg_peer_allowedip_add(p, AF_INET, dst, 32), 0);
		len = tn_ipv4(buf, a->in4, dst, 10, 1);
		tn_tun_send(&net, a, buf, len);
		uwg_peer_set_persistent_keepalive(p, 1);
	}
	tn_advance(&net, 30 * TN_SEC);
	CHECK_EQ_U64(st(a)->handshakes_sent, 0);
	CHECK_EQ_U64(a->nlog, 0);
	CHECK_EQ_U64(net.delivered, 0);
	tn_free(&net);
}

static void test_staged_bound(void)
{
	struct tn_node *a, *b;
	uint8_t first[256], second[256], last[256];
	size_t len = 0;

	tn_init(&net, 110, NULL, true);
	a = &net.node[0];
	b = &net.node[1];
	b->blackhole = true; /* B hears A, A never hears back */
	for (int i = 0; i <= UWG_MAX_STAGED_PACKETS; i++)
		len = tn_ping(&net, a, b, (uint8_t)i, i == 0 ? first : i == 1 ? second : last);
	CHECK_EQ_U64(st(a)->tx_staged_dropped, 1);
	CHECK_EQ_U64(st(a)->handshakes_sent, 1); /* one per REKEY_TIMEOUT, not per packet */
	tn_deliver(&net);
	b->blackhole = false;
	tn_run_until(&net, a->deadline);
	/* The 128 newest arrive in order; the oldest was the one dropped. */
	CHECK_EQ_U64(b->tun.len, UWG_MAX_STAGED_PACKETS);
	CHECK(!tn_tun_expect(&net, b, first, len));
	for (int i = 2; i < UWG_MAX_STAGED_PACKETS; i++)
		uwg_pool_put(&net.pool, uwg_pktq_pop(&b->tun));
	CHECK(tn_tun_expect(&net, b, last, len));
	(void)second;
	tn_free(&net);
}

static int count_cb(void *ctx, int af, const uint8_t *addr, uint8_t cidr)
{
	(void)af, (void)addr, (void)cidr;
	(*(int *)ctx)++;
	return 0;
}

static void test_peers(void)
{
	struct uwg_peer *p[4], *q = NULL;
	uint8_t keys[4][32], pub[32];
	struct uwg_peer_info pi;
	struct tn_node *a;
	size_t avail;
	int n = 0;

	tn_init(&net, 120, NULL, true);
	a = &net.node[0];
	/* Our own key is silently ignored. */
	CHECK(uwg_wg_get_public_key(a->wg, pub));
	CHECK_EQ_INT(uwg_wg_peer_add(a->wg, pub, &q), 0);
	CHECK(q == NULL);
	CHECK(uwg_wg_peer_lookup(a->wg, pub) == NULL);
	CHECK_EQ_U64(uwg_wg_peer_count(a->wg), 1);

	for (int i = 0; i < 4; i++) {
		uint8_t priv[32];

		tn_random(a, priv, 32);
		uwg_x25519_clamp(priv);
		CHECK(uwg_x25519_public(keys[i], priv));
		CHECK_EQ_INT(uwg_wg_peer_add(a->wg, keys[i], &p[i]), 0);
	}
	CHECK_EQ_U64(uwg_wg_peer_count(a->wg), 5);
	CHECK_EQ_INT(uwg_wg_peer_add(a->wg, keys[2], &q), 0);
	CHECK(q == p[2]);
	CHECK(uwg_wg_peer_lookup(a->wg, keys[3]) == p[3]);
	/* Creation order, across a removal and a re-add. */
	uwg_wg_peer_remove(a->wg, p[1]);
	CHECK(uwg_wg_peer_lookup(a->wg, keys[1]) == NULL);
	CHECK_EQ_INT(uwg_wg_peer_add(a->wg, keys[1], &p[1]), 0);
	{
		struct uwg_peer *want[] = {a->peer, p[0], p[2], p[3], p[1]}, *it;
		size_t i = 0;

		for (it = uwg_wg_peer_first(a->wg); it; it = uwg_wg_peer_next(a->wg, it), i++)
			CHECK(i < 5 && it == want[i]);
		CHECK_EQ_U64(i, 5);
	}

	/* Allowed IPs per peer; last writer wins; remove only one's own. */
	{
		uint8_t net4[4] = {192, 168, 7, 0}, net6[16] = {0x20, 0x01, 0x0d, 0xb8};

		CHECK_EQ_INT(uwg_peer_allowedip_add(p[0], AF_INET, net4, 24), 0);
		CHECK_EQ_INT(uwg_peer_allowedip_add(p[0], AF_INET6, net6, 32), 0);
		CHECK_EQ_INT(uwg_peer_allowedips_walk(p[0], count_cb, &n), 0);
		CHECK_EQ_INT(n, 2);
		CHECK_EQ_INT(uwg_peer_allowedip_add(p[2], AF_INET, net4, 24), 0);
		CHECK_EQ_INT(uwg_peer_allowedip_remove(p[0], AF_INET, net4, 24), -ENOENT);
		n = 0;
		uwg_peer_allowedips_walk(p[0], count_cb, &n);
		CHECK_EQ_INT(n, 1);
		uwg_peer_allowedips_clear(p[0]);
		n = 0;
		uwg_peer_allowedips_walk(p[0], count_cb, &n);
		CHECK_EQ_INT(n, 0);
	}

	/* A removed peer gives its staged packets back to the pool. */
	{
		uint8_t dst[4] = {192, 168, 7, 9}, buf[128];
		struct uwg_endpoint ep = tn_endpoint(&net.node[1]);
		size_t len = tn_ipv4(buf, a->in4, dst, 10, 1);

		uwg_peer_set_endpoint(p[2], &ep);
		avail = net.pool.avail;
		for (int i = 0; i < 5; i++)
			tn_tun_send(&net, a, buf, len);
		uwg_peer_get_info(p[2], &pi);
		CHECK_EQ_U64(ntohs(pi.endpoint.addr.in4.sin_port), TN_PORT0 + 1);
		tn_drain(&net, &a->out);
		CHECK(net.pool.avail < avail);
		uwg_wg_peer_remove(a->wg, p[2]);
		CHECK_EQ_U64(net.pool.avail, avail);
		tn_tun_send(&net, a, buf, len);
		CHECK_EQ_U64(st(a)->tx_no_peer, 1);
	}
	uwg_wg_peers_clear(a->wg);
	CHECK_EQ_U64(uwg_wg_peer_count(a->wg), 0);
	CHECK(uwg_wg_peer_first(a->wg) == NULL);
	a->peer = NULL;
	tn_free(&net);
}

static void test_down_up(void)
{
	struct tn_node *a, *b;
	unsigned arms;

	tn_init(&net, 130, NULL, true);
	a = &net.node[0];
	b = &net.node[1];
	CHECK(uwg_wg_is_up(a->wg));
	CHECK(ping_through(a, b, 1));

	/* No timer re-arm per packet: a hundred packets each way cost at most a couple. */
	arms = a->arm_calls + b->arm_calls;
	for (int i = 0; i < 100; i++) {
		CHECK(ping_through(a, b, (uint8_t)i));
		CHECK(ping_through(b, a, (uint8_t)i));
	}
	CHECK(a->arm_calls + b->arm_calls - arms <= 4);

	uwg_wg_down(a->wg);
	CHECK(!uwg_wg_is_up(a->wg));
	CHECK_EQ_U64(a->deadline, UINT64_MAX);
	CHECK(!ping_through(b, a, 2)); /* A's socket is closed */
	tn_advance(&net, 60 * TN_SEC);
	uwg_wg_up(a->wg);
	CHECK_EQ_U64(a->out.len, 0);
	/* Down dropped A's keys: sending needs a fresh handshake. */
	CHECK(ping_through(a, b, 3));
	CHECK_EQ_U64(st(a)->handshakes_sent, 2);

	/* Persistent keepalive: 0 -> n while up sends one now; up sends one too. */
	uwg_peer_set_persistent_keepalive(a->peer, 25);
	CHECK_EQ_U64(a->log[a->nlog - 1].type, UWG_MSG_DATA);
	CHECK_EQ_U64(a->log[a->nlog - 1].len, 32);
	/* (A second later: Noise drops a second initiation within 1/50 s as a flood.) */
	tn_advance(&net, TN_SEC);
	uwg_wg_down(a->wg);
	uwg_wg_up(a->wg);
	CHECK_EQ_U64(a->log[a->nlog - 1].type, UWG_MSG_HANDSHAKE_INITIATION);
	tn_deliver(&net);
	CHECK_EQ_U64(a->log[a->nlog - 1].type, UWG_MSG_DATA);
	CHECK_EQ_U64(a->log[a->nlog - 1].len, 32);
	CHECK_EQ_U64(st(a)->handshakes_completed, 3);
	tn_free(&net);
}

int main(void)
{
	for (int psk = 0; psk < 2; psk++)
		for (int initiator = 0; initiator < 2; initiator++)
			test_handshake(psk, initiator);
	test_psk_mismatch();
	test_simultaneous_initiation();
	test_keepalive_confirmation();
	test_key_confirmation();
	test_crypto_routing();
	test_garbage();
	test_roaming();
	test_private_key_change();
	test_under_load_cookie(true);
	test_under_load_cookie(false);
	test_stall_is_capped();
	test_handshake_stream(TN_MS / 5, 0);
	test_handshake_stream(2 * TN_MS / 5, 0);
	test_handshake_stream(0, 4 * TN_MS / 5);
	test_handshake_stream(TN_MS / 2, TN_MS / 5);
	test_low_order_peer();
	test_staged_bound();
	test_peers();
	test_down_up();
	return harness_report("test_wg");
}
