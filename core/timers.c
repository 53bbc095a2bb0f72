/*
 * core/timers.c - the five per-peer timers of the kernel's timers.c (retransmit_handshake,
 * send_keepalive, new_handshake, zero_key_material, persistent_keepalive) as
 * stored deadlines, the protocol-event hooks that set them, and
 * uwg_wg_timers_run. The packet path only writes deadlines: a deadline
 * earlier than the peer's place in the device's timer queue (core/timerq.h)
 * moves it up, and ops->timer_arm is called when it lands before the one the
 * I/O layer holds; a run takes only the due peers off the queue and re-arms
 * with the queue's head. Deleting a timer or moving it later touches
 * nothing; a stale wakeup just runs nothing. Loop thread only.
 */
#include "core/messages.h"
#include "core/peer_internal.h"

void uwg_timer_mod(struct uwg_peer *peer, enum uwg_timer_id id, uint64_t deadline)
{
	struct uwg_wg *wg = peer->wg;

	/* As the kernel's mod_peer_timer: nothing is scheduled while the interface is down. */
	if (!wg->up)
		return;
	peer->timers[id] = deadline;
	if (deadline < peer->wake)
		uwg_timerq_set(&wg->timerq, peer, deadline);
	if (!wg->in_timers_run && deadline < wg->armed_deadline) {
		wg->armed_deadline = deadline;
		wg->ops.timer_arm(wg->ops.ctx, deadline);
	}
}

void uwg_timer_del(struct uwg_peer *peer, enum uwg_timer_id id)
{
	peer->timers[id] = UWG_TIMER_OFF;
}

bool uwg_timer_pending(const struct uwg_peer *peer, enum uwg_timer_id id)
{
	return peer->timers[id] != UWG_TIMER_OFF;
}

void uwg_timers_stop(struct uwg_peer *peer)
{
	for (int i = 0; i < UWG_TIMER_COUNT; i++)
		peer->timers[i] = UWG_TIMER_OFF;
	peer->need_another_keepalive = false;
}

/* [0, 333] ms, so that peers that lost packets together do not retry in lock step. */
uint64_t uwg_timers_jitter(struct uwg_wg *wg)
{
	uint8_t r[4];

	wg->ops.random(wg->ops.ctx, r, sizeof(r));
	return uwg_le32_load(r) % UWG_REKEY_TIMEOUT_JITTER_MAX_MS * UWG_NS_PER_MS / wg->timer_divisor;
}

/* Should be called after an authenticated data packet (not a keepalive) was sent. */
void uwg_timers_data_sent(struct uwg_peer *peer, uint64_t now)
{
	struct uwg_wg *wg = peer->wg;

	if (!uwg_timer_pending(peer, UWG_TIMER_NEW_HANDSHAKE))
		uwg_timer_mod(peer, UWG_TIMER_NEW_HANDSHAKE,
			      now + uwg_wg_seconds(wg, UWG_KEEPALIVE_TIMEOUT_S + UWG_REKEY_TIMEOUT_S) +
				      uwg_timers_jitter(wg));
}

/* Should be called after an authenticated data packet (not a keepalive) was received. */
void uwg_timers_data_received(struct uwg_peer *peer, uint64_t now)
{
	if (!peer->wg->up)
		return;
	if (!uwg_timer_pending(peer, UWG_TIMER_SEND_KEEPALIVE))
		uwg_timer_mod(peer, UWG_TIMER_SEND_KEEPALIVE,
			      now + uwg_wg_seconds(peer->wg, UWG_KEEPALIVE_TIMEOUT_S));
	else
		peer->need_another_keepalive = true;
}

/* Data, keepalive, initiation or response sent: whatever we sent serves as the keepalive. */
void uwg_timers_any_authenticated_packet_sent(struct uwg_peer *peer)
{
	uwg_timer_del(peer, UWG_TIMER_SEND_KEEPALIVE);
}

/* Data, keepalive, initiation or response received (not a cookie reply): the peer is alive. */
void uwg_timers_any_authenticated_packet_received(struct uwg_peer *peer)
{
	uwg_timer_del(peer, UWG_TIMER_NEW_HANDSHAKE);
}

/* Should be called after an initiation was sent. */
void uwg_timers_handshake_initiated(struct uwg_peer *peer, uint64_t now)
{
	uwg_timer_mod(peer, UWG_TIMER_RETRANSMIT_HANDSHAKE,
		      now + uwg_wg_seconds(peer->wg, UWG_REKEY_TIMEOUT_S) + uwg_timers_jitter(peer->wg));
}

/* Response consumed (initiator) or first packet on the next keypair (responder). */
void uwg_timers_handshake_complete(struct uwg_peer *peer)
{
	struct uwg_wg *wg = peer->wg;

	uwg_timer_del(peer, UWG_TIMER_RETRANSMIT_HANDSHAKE);
	peer->timer_handshake_attempts = 0;
	peer->sent_lastminute_handshake = false;
	wg->ops.wall(wg->ops.ctx, &peer->last_handshake);
	wg->stats.handshakes_completed++;
}

/* Should be called when a session is derived (before sending a response, after consuming one). */
void uwg_timers_session_derived(struct uwg_peer *peer, uint64_t now)
{
	uwg_timer_mod(peer, UWG_TIMER_ZERO_KEY_MATERIAL,
		      now + 3 * uwg_wg_seconds(peer->wg, UWG_REJECT_AFTER_TIME_S));
}

/* Before sending or after receiving any authenticated packet. */
void uwg_timers_any_authenticated_packet_traversal(struct uwg_peer *peer, uint64_t now)
{
	if (peer->persistent_keepalive)
		uwg_timer_mod(peer, UWG_TIMER_PERSISTENT_KEEPALIVE,
			      now + (uint64_t)peer->persistent_keepalive * UWG_NS_PER_SEC);
}

static void expired_retransmit_handshake(struct uwg_peer *peer, uint64_t now)
{
	/*
	 * attempts counts retries: the first initiation plus MAX_TIMER_HANDSHAKES + 1
	 * retries go out (as the kernel's "> MAX_TIMER_HANDSHAKES"), then we give up
	 * until new data arrives, and let the keys die with zero_key_material.
	 */
	if (peer->timer_handshake_attempts > UWG_MAX_TIMER_HANDSHAKES) {
		uwg_timer_del(peer, UWG_TIMER_SEND_KEEPALIVE);
		uwg_peer_purge_staged(peer);
		if (!uwg_timer_pending(peer, UWG_TIMER_ZERO_KEY_MATERIAL))
			uwg_timer_mod(peer, UWG_TIMER_ZERO_KEY_MATERIAL,
				      now + 3 * uwg_wg_seconds(peer->wg, UWG_REJECT_AFTER_TIME_S));
		return;
	}
	peer->timer_handshake_attempts++;
	/* The peer may be unreachable from the cached source: let routing choose again. */
	peer->endpoint.has_src = false;
	uwg_send_handshake_initiation(peer, now, true);
}

static void expired_send_keepalive(struct uwg_peer *peer, uint64_t now)
{
	uwg_send_keepalive(peer, now);
	if (peer->need_another_keepalive) {
		peer->need_another_keepalive = false;
		uwg_timer_mod(peer, UWG_TIMER_SEND_KEEPALIVE,
			      now + uwg_wg_seconds(peer->wg, UWG_KEEPALIVE_TIMEOUT_S));
	}
}

static void expired_new_handshake(struct uwg_peer *peer, uint64_t now)
{
	peer->endpoint.has_src = false;
	uwg_send_handshake_initiation(peer, now, false);
}

static void expired_zero_key_material(struct uwg_peer *peer)
{
	uwg_wg_event(peer->wg, UWG_WG_EV_KEYS_EXPIRED, peer, NULL);
	uwg_peer_keypairs_clear(peer);
	uwg_peer_handshake_clear(peer);
}

static void expired_persistent_keepalive(struct uwg_peer *peer, uint64_t now)
{
	if (peer->persistent_keepalive)
		uwg_send_keepalive(peer, now);
}

static bool take_due(struct uwg_peer *peer, enum uwg_timer_id id, uint64_t now)
{
	if (peer->timers[id] > now)
		return false;
	peer->timers[id] = UWG_TIMER_OFF;
	return true;
}

static uint64_t peer_earliest(const struct uwg_peer *peer)
{
	uint64_t min = UWG_TIMER_OFF;

	for (int i = 0; i < UWG_TIMER_COUNT; i++)
		if (peer->timers[i] < min)
			min = peer->timers[i];
	return min;
}

void uwg_timers_rearm(struct uwg_wg *wg)
{
	uint64_t min = wg->up ? uwg_timerq_next(&wg->timerq) : UWG_TIMER_OFF;

	wg->armed_deadline = min;
	wg->ops.timer_arm(wg->ops.ctx, min);
}

void uwg_wg_timers_run(struct uwg_wg *wg)
{
	uint64_t now = uwg_wg_now(wg);
	struct uwg_peer *p;

	if (wg->up) {
		/* Timer actions only touch their own peer, so each due peer is visited once. */
		wg->in_timers_run = true;
		while ((p = uwg_timerq_pop_due(&wg->timerq, now))) {
			uint64_t next;

			if (take_due(p, UWG_TIMER_RETRANSMIT_HANDSHAKE, now))
				expired_retransmit_handshake(p, now);
			if (take_due(p, UWG_TIMER_SEND_KEEPALIVE, now))
				expired_send_keepalive(p, now);
			if (take_due(p, UWG_TIMER_NEW_HANDSHAKE, now))
				expired_new_handshake(p, now);
			if (take_due(p, UWG_TIMER_ZERO_KEY_MATERIAL, now))
				expired_zero_key_material(p);
			if (take_due(p, UWG_TIMER_PERSISTENT_KEEPALIVE, now))
				expired_persistent_keepalive(p, now);
			/* back in line for what is left; never due again in this run */
			next = peer_earliest(p);
			if (next != UWG_TIMER_OFF)
				uwg_timerq_set(&wg->timerq, p, next > now ? next : now + 1);
		}
		wg->in_timers_run = false;
	}
	uwg_timers_rearm(wg);
}
