/*
 * core/receive.c - the receive side of the device engine: classifies UDP
 * datagrams by type and exact size, applies the under-load cookie and rate
 * limit policy to handshake messages, consumes initiations, responses
 * and cookie replies, and decrypts data messages in place (replay check,
 * roaming, key confirmation, inner-packet and crypto-routing checks).
 * Every packet is consumed; every drop is counted. Loop thread only.
 *
 * "Under load": there is no queue whose backlog could be measured in a
 * synchronous core, so the load is what handshake messages cost the loop
 * thread. Each initiation- or response-sized message, valid or not, is timed
 * from its arrival to the end of its processing (mac checks, Noise, response
 * or cookie reply) with the thread's CPU clock (ops->cpu_now), so time spent
 * preempted on a busy machine is not mistaken for handshake work; without
 * that op, the monotonic clock (the now() uwg_wg_udp_input reads anyway, plus
 * one more). Data messages are never timed. The costs add up in fixed
 * one-second windows. More than UNDER_LOAD_BUSY_NS in a window, a quarter of
 * the thread, puts the device under load, where it stays until one second
 * after the last message that found the window above the limit (wireguard-go's
 * UnderLoadAfterTime). The kernel and wireguard-go switch at a backlog of 1/8
 * of their queues, which a serial stream of handshakes never builds; 1/8 of
 * our time is not the same thing: a legitimate handshake costs the responder
 * four X25519 and a few BLAKE2s, about 0.15 ms here, and bench/'s closed loop
 * of fresh handshakes reaches ~800 a second, 1/8 of the thread, without any
 * backlog. At 1/4 such a loop stays served, while a flood that makes us do DH
 * work crosses the limit after 250 ms of it, however fast the machine, and
 * three quarters of the thread remain for the data path.
 *
 * One message adds at most UNDER_LOAD_MAX_COST_NS (1/64 s): a wall clock runs
 * on while the thread is preempted or the machine suspended, and one such
 * stall must not turn cookies on for a second (a legitimate initiator would
 * then wait for its 5 s retransmit); seventeen stalled messages in a second
 * still do.
 * Independently, more than UNDER_LOAD_HANDSHAKES messages in a window put the
 * device under load, so a clock that does not advance (or advances coarsely)
 * cannot switch the protection off. 4096 is ten times the closed-loop rate
 * wireguard-go reaches on our benchmark, and 4096 messages of 61 us each
 * already make 250 ms, so the count fires first only for a stuck clock or for
 * messages cheaper than any Noise work: junk failing mac1 (about 1 us each).
 * A burst split across a window boundary may cost up to twice the limit
 * before it triggers, which only delays cookies slightly.
 *
 * Under load, what a handshake message may cost is bounded before any crypto
 * is done for it, as the kernel bounds it with its handshake queue (dropped
 * when full) and a per-source limit. Every initiation or response first
 * meets an inspection budget: 64 a second per source address (ratelimit.c's
 * UWG_RL_INSPECT, checked without hashing while one source repeats; a
 * source the table has no room for meets only the device budget) and
 * INSPECT_PER_SECOND for the whole device; a cookie reply, cheap unless it
 * names one of our indices, only the latter. Over either it is dropped after
 * the type and length check alone (rx_handshake_shed), and is neither timed
 * nor MAC-checked: a flood costs the loop thread its receive and a compare
 * per datagram. The source's budget is checked first and the device's only
 * charged when it passes, so one address flooding at any rate gets 64
 * looks a second and leaves the rest of the device budget to everyone
 * else; many addresses share the device budget. What passes has its mac1
 * and mac2 checked. With a valid mac2 it goes on to the kernel's 20/s
 * per-source limit and Noise, whatever the cookie budgets say: a client that
 * echoes its cookie is served before anyone who does not. Without one, a
 * cookie reply is sent only within a second budget, 16 a second per source
 * and COOKIES_PER_SECOND for the device (rx_cookie_ratelimited otherwise).
 * Data messages never meet these budgets and are never dropped for them.
 * When not under load none of this applies, so a legitimate stream of fresh
 * handshakes (bench/'s closed loop, ~800/s from one address) is untouched.
 */
#include <string.h>
#include <sys/socket.h>

#include "core/crypt_job.h"
#include "core/messages.h"
#include "core/peer_internal.h"

/* Loop-thread time per one-second window spent on handshake messages before we are under load. */
#define UNDER_LOAD_BUSY_NS (UWG_NS_PER_SEC / 4)
/* The most one message adds to that time (see above). */
#define UNDER_LOAD_MAX_COST_NS (UWG_NS_PER_SEC / 64)

/*
 * Device-wide budgets under load (see above). An inspected message costs
 * its MACs (three to nine BLAKE2s compressions), a source lookup and two
 * thread-CPU clock reads, a few microseconds, so 16384 a second stays within
 * a few per cent of the loop thread; a cookie reply adds an
 * XChaCha20-Poly1305, random bytes and a datagram to send. The bursts (1/64 s
 * of either) keep one recvmmsg batch from spending much more than its share.
 */
#define INSPECT_PER_SECOND 16384
#define INSPECT_COST (UWG_NS_PER_SEC / INSPECT_PER_SECOND)
#define INSPECT_MAX (INSPECT_COST * (INSPECT_PER_SECOND / 64))
/*
 * 8192 cookie replies a second: a server restart that makes 100 000 clients
 * handshake at once serves all their cookies within about 12 s (each client
 * needs one, and then is held only by the per-source limits).
 */
#define COOKIES_PER_SECOND 8192
#define COOKIE_COST (UWG_NS_PER_SEC / COOKIES_PER_SECOND)
#define COOKIE_MAX (COOKIE_COST * (COOKIES_PER_SECOND / 64))

enum {
	/* Backstop against a clock that does not advance (see above). */
	UNDER_LOAD_HANDSHAKES = 4096,
	/* Largest handshake message, the buffer handshake checks work on. */
	MAX_HANDSHAKE_LEN = sizeof(struct uwg_msg_initiation),
};

static void drop(struct uwg_wg *wg, struct uwg_pkt *pkt, uint64_t *counter)
{
	if (counter)
		(*counter)++;
	uwg_pool_put(wg->pool, pkt);
}

/* Whether the load state says so now, without counting a message. */
static bool is_under_load(const struct uwg_wg *wg, uint64_t now)
{
	return now < wg->under_load_until;
}

/* Opens a new window if needed, counts the message and says whether we are under load. */
static bool under_load(struct uwg_wg *wg, uint64_t now)
{
	if (!wg->load_window_open || now < wg->load_window_start ||
	    now - wg->load_window_start >= UWG_NS_PER_SEC) {
		wg->load_window_open = true;
		wg->load_window_start = now;
		wg->load_window_count = 0;
		wg->load_window_busy = 0;
	}
	if (++wg->load_window_count > UNDER_LOAD_HANDSHAKES)
		wg->under_load_until = now + UWG_NS_PER_SEC;
	return is_under_load(wg, now);
}

/*
 * Under load: may the source of pkt have one more message of class cls
 * (inspection or cookie reply), within both its own and the device's budget?
 * The device bucket is only looked at first and charged after the source's
 * passes, so a source over its own budget never uses up the device's.
 */
static bool budget_allow(struct uwg_wg *wg, struct uwg_bucket *global, uint64_t cost,
			 uint64_t max, const struct uwg_pkt *pkt, enum uwg_ratelimit_class cls,
			 uint64_t now)
{
	if (!uwg_bucket_ready(global, now, cost, max))
		return false;
	/*
	 * A source the table has no room for (thousands of others, spoofed or
	 * not, were seen in the last second) has only the device budget to
	 * meet: refusing it would let a spoofed flood shut out every new source.
	 */
	if (uwg_ratelimiter_charge(&wg->source_budget, &pkt->ep, cls, now) == 0)
		return false;
	uwg_bucket_take(global, cost);
	return true;
}

/*
 * The clock a message's cost is measured with (see above). Without cpu_now it
 * is the monotonic clock, and *now, when given, is a reading already taken.
 */
static uint64_t cost_clock(struct uwg_wg *wg, const uint64_t *now)
{
	if (wg->ops.cpu_now)
		return wg->ops.cpu_now(wg->ops.ctx);
	return now ? *now : uwg_wg_now(wg);
}

/* Adds the cost of a message whose processing started at `start` (cost_clock) and arrived at `now`. */
static void load_account(struct uwg_wg *wg, uint64_t start, uint64_t now)
{
	uint64_t end = cost_clock(wg, NULL);
	uint64_t cost = end > start ? end - start : 0;

	if (cost > UNDER_LOAD_MAX_COST_NS)
		cost = UNDER_LOAD_MAX_COST_NS;
	wg->load_window_busy += cost;
	if (wg->load_window_busy > UNDER_LOAD_BUSY_NS)
		wg->under_load_until = now + cost + UWG_NS_PER_SEC;
}

static struct uwg_noise_handshake *lookup_handshake(void *ctx,
						    const uint8_t remote_static[UWG_NOISE_PUBLIC_KEY_LEN])
{
	struct uwg_wg *wg = ctx;
	struct uwg_peer *peer = uwg_peer_table_lookup(&wg->peer_table, remote_static);

	return peer ? &peer->hs : NULL;
}

/* Answers a handshake message with a cookie reply to its source, reusing pkt. */
/* Same address and port (the sticky source may differ): compared per data message. */
static bool same_addr(const struct uwg_endpoint *a, const struct uwg_endpoint *b)
{
	if (a->addr.sa.sa_family != b->addr.sa.sa_family)
		return false;
	if (a->addr.sa.sa_family == AF_INET)
		return a->addr.in4.sin_port == b->addr.in4.sin_port &&
		       a->addr.in4.sin_addr.s_addr == b->addr.in4.sin_addr.s_addr;
	return a->addr.in6.sin6_port == b->addr.in6.sin6_port &&
	       !memcmp(&a->addr.in6.sin6_addr, &b->addr.in6.sin6_addr, 16) &&
	       a->addr.in6.sin6_scope_id == b->addr.in6.sin6_scope_id;
}

/* An authenticated message from ep: the peer roams there (and the log hears of a move). */
static void set_endpoint(struct uwg_peer *peer, const struct uwg_endpoint *ep)
{
	if (uwg_endpoint_is_set(&peer->endpoint) && !same_addr(&peer->endpoint, ep))
		uwg_wg_event(peer->wg, UWG_WG_EV_ENDPOINT, peer, ep);
	peer->endpoint = *ep;
}

static void send_cookie_reply(struct uwg_wg *wg, struct uwg_pkt *pkt, const uint8_t *msg,
			      size_t len, uint64_t now)
{
	struct uwg_msg_cookie reply;

	/* sender_index sits at offset 4 in both initiation and response. */
	uwg_cookie_create_reply(&reply, &wg->cookie_checker, msg, len, uwg_le32_load(msg + 4),
				&pkt->ep, now, wg->ops.random, wg->ops.ctx);
	pkt->off = UWG_PKT_HEADROOM;
	memcpy(uwg_pkt_data(pkt), &reply, sizeof(reply));
	pkt->len = sizeof(reply);
	wg->stats.rx_cookie_sent++;
	uwg_wg_event(wg, UWG_WG_EV_COOKIE_SENT, NULL, &pkt->ep);
	wg->ops.udp_send(wg->ops.ctx, pkt);
}

static void receive_initiation(struct uwg_wg *wg, struct uwg_pkt *pkt, const uint8_t *buf,
			       uint64_t now)
{
	struct uwg_msg_initiation msg;
	struct uwg_noise_handshake *hs;
	struct uwg_peer *peer;

	memcpy(&msg, buf, sizeof(msg));
	hs = uwg_noise_consume_initiation(&msg, &wg->identity, lookup_handshake, wg, now);
	if (!hs) {
		drop(wg, pkt, &wg->stats.rx_bad_handshake);
		return;
	}
	peer = uwg_container_of(hs, struct uwg_peer, hs);
	/* The consumed initiation replaced whatever handshake we had, and its index. */
	if (peer->hs_idx) {
		uwg_peer_index_free(peer, peer->hs_idx);
		peer->hs_idx = NULL;
	}
	uwg_wg_event(wg, UWG_WG_EV_INITIATION_RECEIVED, peer, &pkt->ep);
	set_endpoint(peer, &pkt->ep);
	peer->rx_bytes += sizeof(msg);
	uwg_timers_any_authenticated_packet_received(peer);
	uwg_timers_any_authenticated_packet_traversal(peer, now);
	uwg_send_handshake_response(peer, pkt, now);
}

static void receive_response(struct uwg_wg *wg, struct uwg_pkt *pkt, const uint8_t *buf,
			     uint64_t now)
{
	struct uwg_msg_response msg;
	struct uwg_index_entry *e;
	struct uwg_peer *peer;

	memcpy(&msg, buf, sizeof(msg));
	e = uwg_index_lookup(&wg->index, uwg_le32_load(msg.receiver_index));
	if (!e || e->kind != UWG_INDEX_HANDSHAKE || e->peer->hs_idx != e) {
		drop(wg, pkt, &wg->stats.rx_bad_handshake);
		return;
	}
	peer = e->peer;
	if (peer->hs.state != UWG_HS_CREATED_INITIATION ||
	    !uwg_noise_consume_response(&msg, &peer->hs)) {
		drop(wg, pkt, &wg->stats.rx_bad_handshake);
		return;
	}
	if (!uwg_noise_begin_session(&peer->hs, &peer->keys->keypairs, now, &peer->iops)) {
		uwg_peer_handshake_clear(peer);
		drop(wg, pkt, &wg->stats.rx_bad_handshake);
		return;
	}
	/* The initiation's index now names the new current keypair. */
	e->kind = UWG_INDEX_KEYPAIR;
	peer->hs_idx = NULL;
	uwg_wg_event(wg, UWG_WG_EV_RESPONSE_RECEIVED, peer, &pkt->ep);
	set_endpoint(peer, &pkt->ep);
	uwg_wg_event(wg, UWG_WG_EV_SESSION, peer, &pkt->ep);
	peer->rx_bytes += sizeof(msg);
	uwg_pool_put(wg->pool, pkt);

	uwg_timers_session_derived(peer, now);
	uwg_timers_handshake_complete(peer);
	/*
	 * The kernel runs these after queueing the keepalive, but its send is
	 * asynchronous; here the send is immediate, so the received hooks go first
	 * or they would cancel the new_handshake timer that sending data just armed.
	 */
	uwg_timers_any_authenticated_packet_received(peer);
	uwg_timers_any_authenticated_packet_traversal(peer, now);
	/* Staged data confirms the session; with nothing staged this sends a keepalive. */
	uwg_send_keepalive(peer, now);
}

static void receive_cookie(struct uwg_wg *wg, struct uwg_pkt *pkt, uint64_t now)
{
	struct uwg_msg_cookie msg;
	struct uwg_index_entry *e;

	memcpy(&msg, uwg_pkt_data(pkt), sizeof(msg));
	e = uwg_index_lookup(&wg->index, uwg_le32_load(msg.receiver_index));
	if (!e || !uwg_cookie_consume_reply(&e->peer->cookie, &msg, now)) {
		drop(wg, pkt, &wg->stats.rx_bad_handshake);
		return;
	}
	/* Stored for our next handshake message; the retransmit timer sends it. */
	uwg_wg_event(wg, UWG_WG_EV_COOKIE_RECEIVED, e->peer, &pkt->ep);
	uwg_pool_put(wg->pool, pkt);
}

static void handle_handshake(struct uwg_wg *wg, struct uwg_pkt *pkt, uint32_t type, bool load,
			     uint64_t now)
{
	uint8_t buf[MAX_HANDSHAKE_LEN];
	enum uwg_cookie_mac_state mac;
	size_t len = pkt->len;

	if (!wg->identity.has_identity) {
		/* Without a key of ours no mac1 can be valid. */
		drop(wg, pkt, &wg->stats.rx_bad_mac);
		return;
	}
	memcpy(buf, uwg_pkt_data(pkt), len);
	mac = uwg_cookie_validate(&wg->cookie_checker, buf, len, &pkt->ep, load, now,
				  wg->ops.random, wg->ops.ctx);
	if (mac == UWG_COOKIE_INVALID_MAC) {
		drop(wg, pkt, &wg->stats.rx_bad_mac);
		return;
	}
	if (load) {
		if (mac != UWG_COOKIE_VALID_MAC_WITH_COOKIE) {
			if (!budget_allow(wg, &wg->cookie_budget, COOKIE_COST, COOKIE_MAX, pkt,
					  UWG_RL_COOKIE, now)) {
				drop(wg, pkt, &wg->stats.rx_cookie_ratelimited);
				return;
			}
			send_cookie_reply(wg, pkt, buf, len, now);
			return;
		}
		if (!uwg_ratelimiter_allow(&wg->ratelimiter, &pkt->ep, now)) {
			drop(wg, pkt, &wg->stats.rx_ratelimited);
			return;
		}
	}
	if (type == UWG_MSG_HANDSHAKE_INITIATION)
		receive_initiation(wg, pkt, buf, now);
	else
		receive_response(wg, pkt, buf, now);
}

/*
 * Every handshake-sized message is counted for the load. Under load it must
 * fit the inspection budgets or is shed at once (see above); what is looked
 * at is timed for the load.
 */
static void receive_handshake(struct uwg_wg *wg, struct uwg_pkt *pkt, uint32_t type, uint64_t now)
{
	bool load = under_load(wg, now);
	uint64_t start;

	if (load && !budget_allow(wg, &wg->inspect_budget, INSPECT_COST, INSPECT_MAX, pkt,
				  UWG_RL_INSPECT, now)) {
		drop(wg, pkt, &wg->stats.rx_handshake_shed);
		return;
	}
	start = cost_clock(wg, &now);
	handle_handshake(wg, pkt, type, load, now);
	load_account(wg, start, now);
}

/* keep_key_fresh, receive side: the initiator rekeys once, 165 s into a session. */
static void keep_key_fresh_receive(struct uwg_peer *peer, uint64_t now)
{
	const struct uwg_noise_keypair *kp = uwg_peer_current_keypair(peer);
	struct uwg_wg *wg = peer->wg;

	if (peer->sent_lastminute_handshake)
		return;
	if (kp && kp->send_valid && kp->i_am_the_initiator &&
	    uwg_elapsed(now, kp->birthdate,
			uwg_wg_seconds(wg, UWG_REJECT_AFTER_TIME_S) -
				uwg_wg_seconds(wg, UWG_KEEPALIVE_TIMEOUT_S) -
				uwg_wg_seconds(wg, UWG_REKEY_TIMEOUT_S))) {
		peer->sent_lastminute_handshake = true;
		uwg_send_handshake_initiation(peer, now, false);
	}
}

static uint16_t be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/*
 * Checks the decrypted inner packet and returns its address family, with its
 * true length (padding excluded) and source address; 0 if it is not a
 * well-formed IPv4/IPv6 packet or claims more bytes than arrived.
 */
static int inner_packet(const uint8_t *p, uint32_t len, uint32_t *total, const uint8_t **src)
{
	if (len >= 20 && p[0] >> 4 == 4) {
		uint32_t ihl = (uint32_t)(p[0] & 0xf) * 4;

		*total = be16(p + 2);
		if (ihl < 20 || *total < ihl || *total > len)
			return 0;
		*src = p + 12;
		return AF_INET;
	}
	if (len >= 40 && p[0] >> 4 == 6) {
		*total = 40 + (uint32_t)be16(p + 4);
		if (*total > len)
			return 0;
		*src = p + 8;
		return AF_INET6;
	}
	return 0;
}

/* The keypair the index names (and its peer), or NULL. */
static struct uwg_noise_keypair *keypair_at(struct uwg_wg *wg, uint32_t index,
					    struct uwg_peer **peer)
{
	struct uwg_index_entry *e = uwg_index_lookup(&wg->index, index);

	if (!e || e->kind != UWG_INDEX_KEYPAIR)
		return NULL;
	*peer = e->peer;
	return uwg_peer_keypair_by_index(e->peer, index);
}

/*
 * The keypair a data message names, if it may still receive; else the packet
 * is dropped and counted and NULL returned. Describes its decryption as job.
 */
static struct uwg_noise_keypair *open_prepare(struct uwg_wg *wg, struct uwg_pkt *pkt, uint64_t now,
					      struct uwg_crypt_job *job)
{
	uint8_t *p = uwg_pkt_data(pkt);
	struct uwg_peer *peer;
	struct uwg_noise_keypair *kp = keypair_at(wg, uwg_le32_load(p + 4), &peer);

	if (!kp || uwg_elapsed(now, kp->birthdate, uwg_wg_seconds(wg, UWG_REJECT_AFTER_TIME_S)) ||
	    kp->replay.greatest >= UWG_REJECT_AFTER_MESSAGES) {
		drop(wg, pkt, &wg->stats.rx_no_keypair);
		return NULL;
	}
	job->data = p + UWG_MSG_DATA_HEADER_LEN;
	job->len = pkt->len - UWG_MSG_DATA_HEADER_LEN;
	job->counter = uwg_le64_load(p + 8);
	job->key = kp->recv_key;
	job->encrypt = false;
	job->ok = false;
	return kp;
}

/* After the decryption: replay window, roaming, timers, the inner packet and its delivery. */
static void open_finish(struct uwg_wg *wg, struct uwg_pkt *pkt, struct uwg_noise_keypair *kp,
			const struct uwg_crypt_job *job, uint64_t now)
{
	uint8_t *p = uwg_pkt_data(pkt);
	uint32_t plain_len, total = 0;
	const uint8_t *src = NULL;
	struct uwg_peer *peer = NULL;
	int af;

	/*
	 * In a batch an earlier packet may have moved the keypairs on (a
	 * confirmed session releases the oldest): the one we opened with must
	 * still hold this index, as if we had looked it up only now.
	 */
	if (keypair_at(wg, uwg_le32_load(p + 4), &peer) != kp) {
		drop(wg, pkt, &wg->stats.rx_no_keypair);
		return;
	}
	if (!job->ok) {
		drop(wg, pkt, &wg->stats.rx_bad_auth);
		return;
	}
	/* After authentication, never before: a forged counter must not move the window. */
	if (!uwg_replay_check(&kp->replay, job->counter)) {
		drop(wg, pkt, &wg->stats.rx_replay);
		return;
	}
	/* Authentic and fresh: roam, even if the inner packet is dropped below. */
	set_endpoint(peer, &pkt->ep);
	peer->rx_bytes += pkt->len;
	plain_len = pkt->len - UWG_MSG_DATA_MIN_LEN;
	uwg_timers_any_authenticated_packet_received(peer);
	uwg_timers_any_authenticated_packet_traversal(peer, now);
	if (uwg_noise_received_with_keypair(&peer->keys->keypairs, kp, &peer->iops)) {
		/* Responder: the initiator used the next keypair, so the handshake is confirmed. */
		uwg_wg_event(wg, UWG_WG_EV_SESSION, peer, &pkt->ep);
		uwg_timers_handshake_complete(peer);
		uwg_send_staged(peer, now);
	}
	keep_key_fresh_receive(peer, now);

	if (!plain_len) {
		drop(wg, pkt, &wg->stats.rx_keepalives);
		return;
	}
	uwg_timers_data_received(peer, now);

	p += UWG_MSG_DATA_HEADER_LEN;
	af = inner_packet(p, plain_len, &total, &src);
	if (!af) {
		drop(wg, pkt, &wg->stats.rx_bad_inner);
		return;
	}
	/* Cryptokey routing: the inner source must route back to the peer that sent it. */
	if (uwg_allowedips_lookup(&wg->allowedips, af, src) != &peer->aips) {
		drop(wg, pkt, &wg->stats.rx_bad_src);
		return;
	}
	pkt->off += UWG_MSG_DATA_HEADER_LEN;
	pkt->len = total;
	wg->ops.tun_write(wg->ops.ctx, pkt);
}

static void receive_data(struct uwg_wg *wg, struct uwg_pkt *pkt, uint64_t now)
{
	struct uwg_crypt_job job;
	struct uwg_noise_keypair *kp = open_prepare(wg, pkt, now, &job);

	if (!kp)
		return;
	uwg_crypt_job_run(&job);
	open_finish(wg, pkt, kp, &job, now);
}

void uwg_wg_udp_input(struct uwg_wg *wg, struct uwg_pkt *pkt)
{
	uint64_t now;
	uint32_t type;

	/* Down is a closed socket: nothing arrives, nothing answers. */
	if (!wg->up) {
		drop(wg, pkt, NULL);
		return;
	}
	if (pkt->len < 4) {
		drop(wg, pkt, &wg->stats.rx_bad_length);
		return;
	}
	type = uwg_le32_load(uwg_pkt_data(pkt));
	now = uwg_wg_now(wg);
	switch (type) {
	case UWG_MSG_HANDSHAKE_INITIATION:
		if (pkt->len != sizeof(struct uwg_msg_initiation))
			break;
		receive_handshake(wg, pkt, type, now);
		return;
	case UWG_MSG_HANDSHAKE_RESPONSE:
		if (pkt->len != sizeof(struct uwg_msg_response))
			break;
		receive_handshake(wg, pkt, type, now);
		return;
	case UWG_MSG_HANDSHAKE_COOKIE:
		if (pkt->len != sizeof(struct uwg_msg_cookie))
			break;
		/*
		 * Cheap unless its index is one of ours, so only the device budget
		 * applies, and such replies do not count towards the load.
		 */
		if (is_under_load(wg, now) &&
		    !uwg_bucket_allow(&wg->inspect_budget, now, INSPECT_COST, INSPECT_MAX)) {
			drop(wg, pkt, &wg->stats.rx_handshake_shed);
			return;
		}
		receive_cookie(wg, pkt, now);
		return;
	case UWG_MSG_DATA:
		if (pkt->len < UWG_MSG_DATA_MIN_LEN)
			break;
		receive_data(wg, pkt, now);
		return;
	default:
		drop(wg, pkt, &wg->stats.rx_bad_type);
		return;
	}
	drop(wg, pkt, &wg->stats.rx_bad_length);
}

/* True for a datagram uwg_wg_udp_input would hand to receive_data. */
static bool is_data(struct uwg_pkt *pkt)
{
	return pkt->len >= UWG_MSG_DATA_MIN_LEN && uwg_le32_load(uwg_pkt_data(pkt)) == UWG_MSG_DATA;
}

void uwg_wg_udp_input_batch(struct uwg_wg *wg, struct uwg_pkt *const *pkts, size_t n)
{
	struct uwg_crypt_job jobs[UWG_CRYPT_CHUNK];
	struct uwg_noise_keypair *kps[UWG_CRYPT_CHUNK];
	struct uwg_pkt *held[UWG_CRYPT_CHUNK];
	size_t i = 0;
	uint64_t now;

	if (!n)
		return;
	now = uwg_wg_now(wg);
	while (i < n) {
		size_t njobs = 0;

		/* Handshake messages (and anything while down) take the one-by-one path, in order. */
		if (!wg->up || !is_data(pkts[i])) {
			uwg_wg_udp_input(wg, pkts[i++]);
			continue;
		}
		/* A run of data messages: look up keys, open them all, then finish in order. */
		for (; i < n && njobs < UWG_CRYPT_CHUNK && is_data(pkts[i]); i++) {
			struct uwg_noise_keypair *kp = open_prepare(wg, pkts[i], now, &jobs[njobs]);

			if (kp) {
				kps[njobs] = kp;
				held[njobs++] = pkts[i];
			}
		}
		uwg_crypt_jobs_run(&wg->ops, jobs, njobs);
		for (size_t k = 0; k < njobs; k++)
			open_finish(wg, held[k], kps[k], &jobs[k], now);
	}
}
