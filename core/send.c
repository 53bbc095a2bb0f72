/*
 * core/send.c - the transmit side of the device engine: TUN packets are
 * routed by allowed IPs and staged per peer; a peer's staged queue is then
 * drained in one pass (reserve nonces for the whole batch, encrypt each
 * packet in place, hand them to ops->udp_send). uwg_wg_tun_input_batch fills
 * the queues of a whole TUN batch first, so each peer drains once. Also
 * builds handshake initiations and responses and applies keep_key_fresh on
 * the send side. Loop thread only.
 */
#include <string.h>
#include <sys/socket.h>

#include "core/crypt_job.h"
#include "core/messages.h"
#include "core/peer_internal.h"
#include "crypto/ct.h"
#include "crypto/x25519.h"

void uwg_send_to_peer(struct uwg_peer *peer, struct uwg_pkt *pkt)
{
	struct uwg_wg *wg = peer->wg;

	pkt->ep = peer->endpoint;
	peer->tx_bytes += pkt->len;
	wg->ops.udp_send(wg->ops.ctx, pkt);
}

static void new_ephemeral(struct uwg_wg *wg, uint8_t key[UWG_NOISE_PUBLIC_KEY_LEN])
{
	wg->ops.random(wg->ops.ctx, key, UWG_NOISE_PUBLIC_KEY_LEN);
	uwg_x25519_clamp(key);
}

void uwg_send_handshake_initiation(struct uwg_peer *peer, uint64_t now, bool is_retry)
{
	struct uwg_wg *wg = peer->wg;
	uint8_t ephemeral[UWG_NOISE_PUBLIC_KEY_LEN], timestamp[UWG_NOISE_TIMESTAMP_LEN];
	struct uwg_msg_initiation msg;
	struct uwg_index_entry *e;
	struct timespec wall;
	struct uwg_pkt *pkt;
	bool ok;

	if (!is_retry)
		peer->timer_handshake_attempts = 0;
	if (!wg->up)
		return;
	if (peer->has_sent_handshake &&
	    !uwg_elapsed(now, peer->last_sent_handshake, uwg_wg_seconds(wg, UWG_REKEY_TIMEOUT_S)))
		return;
	if (!uwg_endpoint_is_set(&peer->endpoint)) {
		wg->stats.tx_no_endpoint++;
		return;
	}
	pkt = uwg_pool_get(wg->pool);
	if (!pkt) {
		wg->stats.pool_empty++;
		return;
	}
	peer->last_sent_handshake = now;
	peer->has_sent_handshake = true;

	/* Each initiation gets a fresh index; a response to an older one is no longer wanted. */
	if (peer->hs_idx) {
		uwg_peer_index_free(peer, peer->hs_idx);
		peer->hs_idx = NULL;
	}
	e = uwg_peer_index_new(peer, UWG_INDEX_HANDSHAKE);
	if (!e) {
		uwg_pool_put(wg->pool, pkt);
		return;
	}
	new_ephemeral(wg, ephemeral);
	wg->ops.wall(wg->ops.ctx, &wall);
	uwg_noise_tai64n(timestamp, &wall);
	ok = uwg_noise_create_initiation(&msg, &peer->hs, e->index, ephemeral, timestamp);
	uwg_memzero(ephemeral, sizeof(ephemeral));
	if (!ok) {
		/* No identity, or a low-order peer key: never send anything. */
		uwg_peer_index_free(peer, e);
		uwg_peer_handshake_clear(peer);
		uwg_pool_put(wg->pool, pkt);
		return;
	}
	peer->hs_idx = e;
	uwg_cookie_add_macs(&peer->cookie, (uint8_t *)&msg, sizeof(msg), now);

	uwg_timers_any_authenticated_packet_traversal(peer, now);
	uwg_timers_any_authenticated_packet_sent(peer);
	memcpy(uwg_pkt_data(pkt), &msg, sizeof(msg));
	pkt->len = sizeof(msg);
	wg->stats.handshakes_sent++;
	uwg_wg_event(wg, UWG_WG_EV_INITIATION_SENT, peer, &peer->endpoint);
	uwg_send_to_peer(peer, pkt);
	uwg_timers_handshake_initiated(peer, now);
}

void uwg_send_handshake_response(struct uwg_peer *peer, struct uwg_pkt *pkt, uint64_t now)
{
	struct uwg_wg *wg = peer->wg;
	uint8_t ephemeral[UWG_NOISE_PUBLIC_KEY_LEN];
	struct uwg_msg_response msg;
	struct uwg_noise_keypair *kp;
	struct uwg_index_entry *e;
	bool ok;

	e = uwg_peer_index_new(peer, UWG_INDEX_HANDSHAKE);
	if (!e)
		goto fail;
	peer->hs_idx = e;
	new_ephemeral(wg, ephemeral);
	ok = uwg_noise_create_response(&msg, &peer->hs, e->index, ephemeral);
	uwg_memzero(ephemeral, sizeof(ephemeral));
	if (!ok)
		goto fail;
	uwg_cookie_add_macs(&peer->cookie, (uint8_t *)&msg, sizeof(msg), now);
	kp = uwg_noise_begin_session(&peer->hs, &peer->keys->keypairs, now, &peer->iops);
	if (!kp)
		goto fail;
	/* The handshake's index now names the responder's (next) keypair. */
	e->kind = UWG_INDEX_KEYPAIR;
	peer->hs_idx = NULL;

	uwg_timers_session_derived(peer, now);
	uwg_timers_any_authenticated_packet_traversal(peer, now);
	uwg_timers_any_authenticated_packet_sent(peer);
	/* A response also counts against our own initiation rate, as in the kernel. */
	peer->last_sent_handshake = now;
	peer->has_sent_handshake = true;
	pkt->off = UWG_PKT_HEADROOM;
	memcpy(uwg_pkt_data(pkt), &msg, sizeof(msg));
	pkt->len = sizeof(msg);
	uwg_wg_event(wg, UWG_WG_EV_RESPONSE_SENT, peer, &peer->endpoint);
	uwg_send_to_peer(peer, pkt);
	return;
fail:
	uwg_peer_handshake_clear(peer);
	uwg_pool_put(wg->pool, pkt);
}

/* Pad to 16 but never beyond the MTU (a packet over the MTU pads its last unit). */
static uint32_t padded_length(uint32_t len, uint32_t mtu)
{
	uint32_t last = len, padded;

	if (!mtu)
		return (len + UWG_MSG_PADDING_MULTIPLE - 1) & ~(uint32_t)(UWG_MSG_PADDING_MULTIPLE - 1);
	if (last > mtu)
		last %= mtu;
	padded = (last + UWG_MSG_PADDING_MULTIPLE - 1) & ~(uint32_t)(UWG_MSG_PADDING_MULTIPLE - 1);
	if (padded > mtu)
		padded = mtu;
	return len + (padded - last);
}

/* Pads a staged plaintext and describes its in-place encryption as a job. */
static void seal_prepare(struct uwg_crypt_job *job, struct uwg_pkt *pkt,
			 const struct uwg_noise_keypair *kp, uint64_t counter, uint32_t mtu)
{
	uint32_t len = pkt->len, padded = padded_length(len, mtu);
	uint8_t *p = uwg_pkt_data(pkt);

	memset(p + len, 0, padded - len);
	job->data = p;
	job->len = padded;
	job->counter = counter;
	job->key = kp->send_key;
	job->encrypt = true;
	job->ok = false;
}

/* After the job ran: the data header goes into the headroom, the tag is already behind. */
static void seal_finish(struct uwg_pkt *pkt, const struct uwg_crypt_job *job,
			uint32_t remote_index)
{
	uint8_t *p;

	pkt->off -= UWG_MSG_DATA_HEADER_LEN;
	p = uwg_pkt_data(pkt);
	uwg_le32_store(p, UWG_MSG_DATA);
	uwg_le32_store(p + 4, remote_index);
	uwg_le64_store(p + 8, job->counter);
	pkt->len = (uint32_t)(UWG_MSG_DATA_HEADER_LEN + job->len + UWG_NOISE_AUTHTAG_LEN);
}

/* keep_key_fresh, send side: rekey after REKEY_AFTER_MESSAGES, or at 120 s if we initiated. */
static void keep_key_fresh_send(struct uwg_peer *peer, uint64_t now)
{
	const struct uwg_noise_keypair *kp = uwg_peer_current_keypair(peer);

	if (kp && kp->send_valid &&
	    (kp->send_counter > UWG_REKEY_AFTER_MESSAGES ||
	     (kp->i_am_the_initiator &&
	      uwg_elapsed(now, kp->birthdate, uwg_wg_seconds(peer->wg, UWG_REKEY_AFTER_TIME_S)))))
		uwg_send_handshake_initiation(peer, now, false);
}

void uwg_send_staged(struct uwg_peer *peer, uint64_t now)
{
	struct uwg_wg *wg = peer->wg;
	struct uwg_noise_keypair *kp = uwg_peer_current_keypair(peer);
	struct uwg_crypt_job jobs[UWG_CRYPT_CHUNK];
	struct uwg_pktq batch;
	struct uwg_pkt *pkt;
	bool data_sent = false;
	uint64_t counter;

	if (!wg->up || !peer->staged.len)
		return;
	if (!kp || !kp->send_valid)
		goto no_key;
	if (uwg_elapsed(now, kp->birthdate, uwg_wg_seconds(wg, UWG_REJECT_AFTER_TIME_S)) ||
	    kp->send_counter > UWG_REJECT_AFTER_MESSAGES - peer->staged.len) {
		kp->send_valid = false;
		goto no_key;
	}
	if (!uwg_endpoint_is_set(&peer->endpoint)) {
		while ((pkt = uwg_pktq_pop(&peer->staged))) {
			wg->stats.tx_no_endpoint++;
			uwg_pool_put(wg->pool, pkt);
		}
		return;
	}

	/* Take the whole queue and reserve its nonces at once; then each packet is independent. */
	batch = peer->staged;
	uwg_pktq_init(&peer->staged);
	counter = kp->send_counter;
	kp->send_counter += batch.len;
	for (pkt = batch.head; pkt;) {
		struct uwg_pkt *first = pkt;
		size_t n = 0;

		for (; pkt && n < UWG_CRYPT_CHUNK; pkt = pkt->next)
			seal_prepare(&jobs[n++], pkt, kp, counter++, wg->mtu);
		/* The I/O layer may spread these over threads; the core waits for all. */
		uwg_crypt_jobs_run(&wg->ops, jobs, n);
		n = 0;
		for (struct uwg_pkt *q = first; q != pkt; q = q->next)
			seal_finish(q, &jobs[n++], kp->remote_index);
	}

	uwg_timers_any_authenticated_packet_traversal(peer, now);
	uwg_timers_any_authenticated_packet_sent(peer);
	while ((pkt = uwg_pktq_pop(&batch))) {
		if (pkt->len > UWG_MSG_DATA_MIN_LEN)
			data_sent = true;
		uwg_send_to_peer(peer, pkt);
	}
	if (data_sent)
		uwg_timers_data_sent(peer, now);
	keep_key_fresh_send(peer, now);
	return;
no_key:
	/* Packets stay staged until a handshake completes. */
	uwg_send_handshake_initiation(peer, now, false);
}

void uwg_send_keepalive(struct uwg_peer *peer, uint64_t now)
{
	struct uwg_wg *wg = peer->wg;

	if (!wg->up)
		return;
	/* Anything already staged will do as a keepalive. */
	if (!peer->staged.len) {
		struct uwg_pkt *pkt = uwg_pool_get(wg->pool);

		if (!pkt) {
			wg->stats.pool_empty++;
			return;
		}
		pkt->len = 0;
		uwg_pktq_push(&peer->staged, pkt);
	}
	uwg_send_staged(peer, now);
}

/* The inner destination address of an IPv4/IPv6 packet, or 0 (not an IP packet we can route). */
static int inner_destination(const uint8_t *p, uint32_t len, const uint8_t **dst)
{
	if (len >= 20 && p[0] >> 4 == 4) {
		*dst = p + 16;
		return AF_INET;
	}
	if (len >= 40 && p[0] >> 4 == 6) {
		*dst = p + 24;
		return AF_INET6;
	}
	return 0;
}

/*
 * Routes pkt by allowed IPs and stages it on its peer (oldest dropped past the
 * bound). Returns the peer, or NULL when pkt was dropped and counted.
 */
static struct uwg_peer *stage(struct uwg_wg *wg, struct uwg_pkt *pkt)
{
	const uint8_t *dst = NULL;
	struct uwg_peer *peer;
	int af;

	af = inner_destination(uwg_pkt_data(pkt), pkt->len, &dst);
	/* Room for the header in front and for padding plus the tag behind, so AEAD runs in place. */
	if (!af || pkt->len > 65535 || pkt->off < UWG_MSG_DATA_HEADER_LEN ||
	    (size_t)pkt->off + pkt->len + UWG_MSG_PADDING_MULTIPLE - 1 + UWG_NOISE_AUTHTAG_LEN >
		    UWG_PKT_BUF_SIZE) {
		wg->stats.tx_bad_inner++;
		goto drop;
	}
	peer = uwg_peer_of_aips(uwg_allowedips_lookup(&wg->allowedips, af, dst));
	if (!peer) {
		wg->stats.tx_no_peer++;
		goto drop;
	}
	if (!uwg_endpoint_is_set(&peer->endpoint)) {
		wg->stats.tx_no_endpoint++;
		goto drop;
	}
	uwg_pktq_push(&peer->staged, pkt);
	if (peer->staged.len > UWG_MAX_STAGED_PACKETS) {
		wg->stats.tx_staged_dropped++;
		uwg_pool_put(wg->pool, uwg_pktq_pop(&peer->staged));
	}
	return peer;
drop:
	uwg_pool_put(wg->pool, pkt);
	return NULL;
}

void uwg_wg_tun_input(struct uwg_wg *wg, struct uwg_pkt *pkt)
{
	struct uwg_peer *peer = stage(wg, pkt);

	if (peer)
		uwg_send_staged(peer, uwg_wg_now(wg));
}

void uwg_wg_tun_input_batch(struct uwg_wg *wg, struct uwg_pkt *const *pkts, size_t n)
{
	/* Peers with packets staged by this batch, in first-touch order; more are sent at once. */
	enum { TOUCHED_MAX = 16 };
	struct uwg_peer *touched[TOUCHED_MAX];
	size_t ntouched = 0;
	uint64_t now;

	if (!n)
		return;
	now = uwg_wg_now(wg);
	for (size_t i = 0; i < n; i++) {
		struct uwg_peer *peer;
		size_t k;

		/* A full queue goes out before it would drop (it stays if there is no key yet). */
		peer = stage(wg, pkts[i]);
		if (!peer)
			continue;
		for (k = 0; k < ntouched && touched[k] != peer; k++)
			;
		if (k == ntouched) {
			if (ntouched == TOUCHED_MAX) {
				uwg_send_staged(peer, now);
				continue;
			}
			touched[ntouched++] = peer;
		}
		if (peer->staged.len >= UWG_MAX_STAGED_PACKETS)
			uwg_send_staged(peer, now);
	}
	/* One nonce reservation, one timer update and one keep_key_fresh check per peer. */
	for (size_t k = 0; k < ntouched; k++)
		uwg_send_staged(touched[k], now);
}
