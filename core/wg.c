/*
 * core/wg.c - the device engine's lifecycle and configuration: identity,
 * peers (creation-order list, public-key table), per-peer index and key
 * bookkeeping, interface up/down, allowed IPs, info and stats. The packet
 * paths live in send.c and receive.c, the timers in timers.c. Loop thread
 * only.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "core/peer_internal.h"
#include "core/wg.h"
#include "crypto/ct.h"
#include "crypto/x25519.h"

struct uwg_wg *uwg_wg_new(const struct uwg_wg_ops *ops, struct uwg_pool *pool)
{
	struct uwg_wg *wg = calloc(1, sizeof(*wg));

	if (!wg)
		return NULL;
	wg->ops = *ops;
	wg->pool = pool;
	wg->mtu = UWG_DEFAULT_MTU;
	wg->timer_divisor = 1;
	wg->max_peers = UWG_MAX_PEERS;
	wg->armed_deadline = UWG_TIMER_OFF;
	uwg_cookie_checker_init(&wg->cookie_checker, NULL);
	uwg_allowedips_init(&wg->allowedips);
	if (uwg_index_table_init(&wg->index))
		goto fail_index;
	if (uwg_peer_table_init(&wg->peer_table))
		goto fail_peers;
	if (uwg_ratelimiter_init(&wg->ratelimiter))
		goto fail_ratelimiter;
	if (uwg_ratelimiter_init(&wg->source_budget))
		goto fail_source_budget;
	return wg;
fail_source_budget:
	uwg_ratelimiter_free(&wg->ratelimiter);
fail_ratelimiter:
	uwg_peer_table_free(&wg->peer_table);
fail_peers:
	uwg_index_table_free(&wg->index);
fail_index:
	free(wg);
	return NULL;
}

void uwg_wg_free(struct uwg_wg *wg)
{
	if (!wg)
		return;
	wg->up = false;
	uwg_wg_peers_clear(wg);
	while (wg->keys_spare) {
		struct uwg_peer_keys *k = wg->keys_spare;

		wg->keys_spare = k->spare_next;
		free(k);
	}
	uwg_allowedips_free(&wg->allowedips);
	uwg_ratelimiter_free(&wg->ratelimiter);
	uwg_ratelimiter_free(&wg->source_budget);
	uwg_peer_table_free(&wg->peer_table);
	uwg_timerq_free(&wg->timerq);
	uwg_index_table_free(&wg->index);
	uwg_memzero(&wg->identity, sizeof(wg->identity));
	uwg_memzero(&wg->cookie_checker, sizeof(wg->cookie_checker));
	free(wg);
}

/* --- per-peer index and key state --- */

/* The peer's session block, taken from the spares or allocated; NULL on ENOMEM. */
static struct uwg_peer_keys *peer_keys_get(struct uwg_peer *peer)
{
	struct uwg_wg *wg = peer->wg;
	struct uwg_peer_keys *k = peer->keys;

	if (k)
		return k;
	if (wg->keys_spare) {
		k = wg->keys_spare;
		wg->keys_spare = k->spare_next;
		wg->keys_spare_count--;
		k->spare_next = NULL;
	} else {
		k = calloc(1, sizeof(*k));
		if (!k)
			return NULL;
	}
	uwg_noise_keypairs_init(&k->keypairs);
	peer->keys = k;
	wg->stats.sessions_active++;
	return k;
}

/* Wipes the block (it held keys) and keeps it as a spare or frees it. */
static void peer_keys_release(struct uwg_peer *peer)
{
	struct uwg_wg *wg = peer->wg;
	struct uwg_peer_keys *k = peer->keys;

	if (!k)
		return;
	for (int i = 0; i < UWG_PEER_INDEX_ENTRIES; i++)
		uwg_peer_index_free(peer, &k->idx[i]);
	peer->keys = NULL;
	wg->stats.sessions_active--;
	uwg_memzero(k, sizeof(*k));
	if (wg->keys_spare_count >= UWG_PEER_KEYS_SPARE) {
		free(k);
		return;
	}
	k->spare_next = wg->keys_spare;
	wg->keys_spare = k;
	wg->keys_spare_count++;
}

/* Returns the block once nothing names it: no handshake index, no keypair. */
static void peer_keys_put_if_idle(struct uwg_peer *peer)
{
	const struct uwg_peer_keys *k = peer->keys;

	if (k && !peer->hs_idx && !k->keypairs.next && !k->keypairs.current &&
	    !k->keypairs.previous)
		peer_keys_release(peer);
}

static bool entry_is_live(struct uwg_peer *peer, const struct uwg_index_entry *e)
{
	if (e->kind == UWG_INDEX_HANDSHAKE)
		return peer->hs_idx == e;
	return uwg_peer_keypair_by_index(peer, e->index) != NULL;
}

struct uwg_index_entry *uwg_peer_index_new(struct uwg_peer *peer, enum uwg_index_kind kind)
{
	struct uwg_wg *wg = peer->wg;
	struct uwg_peer_keys *k = peer_keys_get(peer);
	struct uwg_index_entry *e = NULL;

	if (!k)
		return NULL;
	for (int pass = 0; pass < 2 && !e; pass++) {
		for (int i = 0; i < UWG_PEER_INDEX_ENTRIES; i++) {
			if (k->idx[i].kind == UWG_INDEX_FREE) {
				e = &k->idx[i];
				break;
			}
		}
		if (e || pass)
			break;
		/* Should not happen: reclaim entries whose handshake or keypair is gone. */
		for (int i = 0; i < UWG_PEER_INDEX_ENTRIES; i++)
			if (!entry_is_live(peer, &k->idx[i]))
				uwg_peer_index_free(peer, &k->idx[i]);
	}
	if (!e)
		return NULL;
	e->peer = peer;
	e->kind = kind;
	if (uwg_index_insert(&wg->index, e, wg->ops.random, wg->ops.ctx)) {
		e->kind = UWG_INDEX_FREE;
		peer_keys_put_if_idle(peer);
		return NULL;
	}
	return e;
}

void uwg_peer_index_free(struct uwg_peer *peer, struct uwg_index_entry *e)
{
	if (e->kind == UWG_INDEX_FREE)
		return;
	uwg_index_remove(&peer->wg->index, e);
	if (peer->hs_idx == e)
		peer->hs_idx = NULL;
	e->kind = UWG_INDEX_FREE;
}

/* Noise tells us when it releases a keypair; its index must stop resolving at once. */
static void index_drop(void *ctx, uint32_t local_index)
{
	struct uwg_peer *peer = ctx;
	struct uwg_index_entry *e = uwg_index_lookup(&peer->wg->index, local_index);

	if (e && e->peer == peer && e->kind == UWG_INDEX_KEYPAIR)
		uwg_peer_index_free(peer, e);
}

struct uwg_noise_keypair *uwg_peer_keypair_by_index(struct uwg_peer *peer, uint32_t index)
{
	const struct uwg_peer_keys *k = peer->keys;
	struct uwg_noise_keypair *live[3];

	if (!k)
		return NULL;
	live[0] = k->keypairs.current;
	live[1] = k->keypairs.next;
	live[2] = k->keypairs.previous;
	for (int i = 0; i < 3; i++)
		if (live[i] && live[i]->in_use && live[i]->local_index == index)
			return live[i];
	return NULL;
}

void uwg_peer_handshake_clear(struct uwg_peer *peer)
{
	if (peer->hs_idx)
		uwg_peer_index_free(peer, peer->hs_idx);
	uwg_noise_handshake_clear(&peer->hs);
	peer_keys_put_if_idle(peer);
}

void uwg_peer_keypairs_clear(struct uwg_peer *peer)
{
	struct uwg_peer_keys *k = peer->keys;

	if (!k)
		return;
	uwg_noise_keypairs_clear(&k->keypairs, &peer->iops);
	for (int i = 0; i < UWG_PEER_INDEX_ENTRIES; i++)
		if (k->idx[i].kind == UWG_INDEX_KEYPAIR)
			uwg_peer_index_free(peer, &k->idx[i]);
	peer_keys_put_if_idle(peer);
}

void uwg_peer_purge_staged(struct uwg_peer *peer)
{
	struct uwg_pkt *pkt;

	while ((pkt = uwg_pktq_pop(&peer->staged))) {
		peer->wg->stats.tx_staged_dropped++;
		uwg_pool_put(peer->wg->pool, pkt);
	}
}

/* What the kernel's wg_stop does to each peer; also used when the peer goes away. */
static void peer_reset(struct uwg_peer *peer)
{
	uwg_peer_purge_staged(peer);
	uwg_timers_stop(peer);
	uwg_peer_handshake_clear(peer);
	uwg_peer_keypairs_clear(peer);
	peer->has_sent_handshake = false;
}

/* --- interface state --- */

void uwg_wg_up(struct uwg_wg *wg)
{
	uint64_t now;

	if (wg->up)
		return;
	wg->up = true;
	now = uwg_wg_now(wg);
	for (struct uwg_peer *p = wg->peers_head; p; p = p->list_next) {
		uwg_send_staged(p, now);
		if (p->persistent_keepalive)
			uwg_send_keepalive(p, now);
	}
}

void uwg_wg_down(struct uwg_wg *wg)
{
	if (!wg->up)
		return;
	wg->up = false;
	for (struct uwg_peer *p = wg->peers_head; p; p = p->list_next)
		peer_reset(p);
	uwg_timerq_clear(&wg->timerq);
	uwg_timers_rearm(wg);
}

bool uwg_wg_is_up(const struct uwg_wg *wg)
{
	return wg->up;
}

void uwg_wg_set_mtu(struct uwg_wg *wg, uint32_t mtu)
{
	wg->mtu = mtu;
}

/* --- identity --- */

void uwg_wg_set_private_key(struct uwg_wg *wg, const uint8_t key[32])
{
	uint8_t clamped[32];
	bool clear = !key || uwg_is_zero(key, sizeof(clamped));
	struct uwg_peer *self;

	if (clear) {
		if (!wg->identity.has_identity)
			return;
		uwg_noise_identity_set(&wg->identity, NULL);
	} else {
		memcpy(clamped, key, sizeof(clamped));
		uwg_x25519_clamp(clamped);
		/* Re-setting the same key must not kill working sessions. */
		if (wg->identity.has_identity &&
		    uwg_memeq(clamped, wg->identity.static_private, sizeof(clamped))) {
			uwg_memzero(clamped, sizeof(clamped));
			return;
		}
		uwg_noise_identity_set(&wg->identity, clamped);
		uwg_memzero(clamped, sizeof(clamped));
	}
	if (wg->identity.has_identity) {
		/* A peer with our own public key cannot exist. */
		self = uwg_peer_table_lookup(&wg->peer_table, wg->identity.static_public);
		if (self)
			uwg_wg_peer_remove(wg, self);
		uwg_cookie_checker_init(&wg->cookie_checker, wg->identity.static_public);
	} else {
		uwg_cookie_checker_init(&wg->cookie_checker, NULL);
	}
	for (struct uwg_peer *p = wg->peers_head; p; p = p->list_next) {
		uwg_noise_handshake_precompute(&p->hs);
		/* Sessions made with the old key may still be received on, but never sent on. */
		uwg_peer_handshake_clear(p);
		p->has_sent_handshake = false;
		if (p->keys)
			uwg_noise_keypairs_expire_current(&p->keys->keypairs);
	}
}

bool uwg_wg_get_private_key(const struct uwg_wg *wg, uint8_t key[32])
{
	if (!wg->identity.has_identity)
		return false;
	memcpy(key, wg->identity.static_private, 32);
	return true;
}

bool uwg_wg_get_public_key(const struct uwg_wg *wg, uint8_t key[32])
{
	if (!wg->identity.has_identity)
		return false;
	memcpy(key, wg->identity.static_public, 32);
	return true;
}

/* --- peers --- */

struct uwg_peer *uwg_wg_peer_lookup(struct uwg_wg *wg, const uint8_t public_key[32])
{
	return uwg_peer_table_lookup(&wg->peer_table, public_key);
}

int uwg_wg_peer_add(struct uwg_wg *wg, const uint8_t public_key[32], struct uwg_peer **out)
{
	static const uint8_t no_psk[UWG_NOISE_SYMMETRIC_KEY_LEN];
	struct uwg_peer *peer;

	if (out)
		*out = NULL;
	if (wg->identity.has_identity &&
	    !memcmp(public_key, wg->identity.static_public, UWG_NOISE_PUBLIC_KEY_LEN))
		return 0;
	peer = uwg_peer_table_lookup(&wg->peer_table, public_key);
	if (!peer) {
		if (wg->peer_count >= wg->max_peers)
			return -ENOSPC;
		/* room in the timer queue now, so that no timer ever allocates */
		if (uwg_timerq_reserve(&wg->timerq, wg->peer_count + 1))
			return -ENOMEM;
		peer = calloc(1, sizeof(*peer));
		if (!peer)
			return -ENOMEM;
		peer->wg = wg;
		uwg_noise_handshake_init(&peer->hs, &wg->identity, public_key, no_psk);
		peer->iops.ctx = peer;
		peer->iops.drop = index_drop;
		uwg_cookie_maker_init(&peer->cookie, public_key);
		peer->endpoint.addr.sa.sa_family = AF_UNSPEC;
		uwg_pktq_init(&peer->staged);
		peer->wake = UWG_TIMER_OFF;
		peer->tq_idx = UWG_TIMERQ_NONE;
		uwg_timers_stop(peer);

		uwg_peer_table_reserve(&wg->peer_table, wg->peer_count + 1);
		uwg_index_table_reserve(&wg->index, wg->peer_count + 1);
		uwg_peer_table_insert(&wg->peer_table, peer);
		peer->list_prev = wg->peers_tail;
		if (wg->peers_tail)
			wg->peers_tail->list_next = peer;
		else
			wg->peers_head = peer;
		wg->peers_tail = peer;
		wg->peer_count++;
		uwg_wg_event(wg, UWG_WG_EV_PEER_ADDED, peer, NULL);
	}
	if (out)
		*out = peer;
	return 0;
}

int uwg_wg_set_max_peers(struct uwg_wg *wg, size_t max_peers)
{
	if (!max_peers || max_peers > UWG_MAX_PEERS)
		return -EINVAL;
	wg->max_peers = max_peers;
	return 0;
}

size_t uwg_wg_max_peers(const struct uwg_wg *wg)
{
	return wg->max_peers;
}

void uwg_wg_peer_remove(struct uwg_wg *wg, struct uwg_peer *peer)
{
	if (!peer)
		return;
	uwg_wg_event(wg, UWG_WG_EV_PEER_REMOVED, peer, NULL);
	peer_reset(peer);
	uwg_timerq_remove(&wg->timerq, peer);
	peer_keys_release(peer);
	uwg_allowedips_remove_by_owner(&wg->allowedips, &peer->aips);
	uwg_peer_table_remove(&wg->peer_table, peer);
	if (peer->list_prev)
		peer->list_prev->list_next = peer->list_next;
	else
		wg->peers_head = peer->list_next;
	if (peer->list_next)
		peer->list_next->list_prev = peer->list_prev;
	else
		wg->peers_tail = peer->list_prev;
	wg->peer_count--;
	uwg_noise_handshake_wipe(&peer->hs);
	uwg_memzero(peer, sizeof(*peer));
	free(peer);
}

void uwg_wg_peers_clear(struct uwg_wg *wg)
{
	while (wg->peers_head)
		uwg_wg_peer_remove(wg, wg->peers_head);
}

struct uwg_peer *uwg_wg_peer_first(struct uwg_wg *wg)
{
	return wg->peers_head;
}

struct uwg_peer *uwg_wg_peer_next(struct uwg_wg *wg, struct uwg_peer *peer)
{
	(void)wg;
	return peer ? peer->list_next : NULL;
}

size_t uwg_wg_peer_count(const struct uwg_wg *wg)
{
	return wg->peer_count;
}

void uwg_peer_set_preshared_key(struct uwg_peer *peer, const uint8_t psk[32])
{
	uwg_noise_handshake_set_psk(&peer->hs, psk);
}

void uwg_peer_set_endpoint(struct uwg_peer *peer, const struct uwg_endpoint *ep)
{
	if (ep)
		peer->endpoint = *ep;
	else
		memset(&peer->endpoint, 0, sizeof(peer->endpoint));
}

void uwg_peer_set_persistent_keepalive(struct uwg_peer *peer, uint16_t seconds)
{
	bool send_now = seconds && !peer->persistent_keepalive && peer->wg->up;

	peer->persistent_keepalive = seconds;
	if (send_now)
		uwg_send_keepalive(peer, uwg_wg_now(peer->wg));
}

int uwg_peer_allowedip_add(struct uwg_peer *peer, int af, const uint8_t *addr, uint8_t cidr)
{
	return uwg_allowedips_insert(&peer->wg->allowedips, af, addr, cidr, &peer->aips);
}

int uwg_peer_allowedip_remove(struct uwg_peer *peer, int af, const uint8_t *addr, uint8_t cidr)
{
	return uwg_allowedips_remove(&peer->wg->allowedips, af, addr, cidr, &peer->aips);
}

void uwg_peer_allowedips_clear(struct uwg_peer *peer)
{
	uwg_allowedips_remove_by_owner(&peer->wg->allowedips, &peer->aips);
}

int uwg_peer_allowedips_walk(struct uwg_peer *peer,
			     int (*cb)(void *ctx, int af, const uint8_t *addr, uint8_t cidr),
			     void *ctx)
{
	return uwg_allowedips_walk_by_owner(&peer->aips, cb, ctx);
}

struct uwg_peer *uwg_wg_peer_for_addr(struct uwg_wg *wg, int af, const uint8_t *addr)
{
	return uwg_peer_of_aips(uwg_allowedips_lookup(&wg->allowedips, af, addr));
}

void uwg_peer_get_info(const struct uwg_peer *peer, struct uwg_peer_info *info)
{
	memset(info, 0, sizeof(*info));
	memcpy(info->public_key, peer->hs.remote_static, sizeof(info->public_key));
	memcpy(info->preshared_key, peer->hs.preshared_key, sizeof(info->preshared_key));
	info->endpoint = peer->endpoint;
	info->last_handshake = peer->last_handshake;
	info->rx_bytes = peer->rx_bytes;
	info->tx_bytes = peer->tx_bytes;
	info->persistent_keepalive = peer->persistent_keepalive;
}

const uint8_t *uwg_peer_public_key(const struct uwg_peer *peer)
{
	return peer->hs.remote_static;
}

const struct uwg_wg_stats *uwg_wg_get_stats(const struct uwg_wg *wg)
{
	return &wg->stats;
}

int uwg_wg_set_test_timer_divisor(struct uwg_wg *wg, uint32_t divisor)
{
#ifdef UWG_TEST_KNOBS
	if (!divisor)
		return -EINVAL;
	wg->timer_divisor = divisor;
	return 0;
#else
	(void)wg;
	(void)divisor;
	return -EPERM;
#endif
}
