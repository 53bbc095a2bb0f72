/*
 * core/index.c - the device's two hash tables: receiver index -> handshake or
 * keypair entry, and public key -> peer. Both are intrusive chains over a
 * bucket array that only grows when peers are added (config time), so the
 * packet path neither allocates nor rehashes. Loop thread only.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/messages.h"
#include "core/peer_internal.h"

enum {
	INDEX_MIN_BUCKETS = 64,
	/* Expected live entries per peer (a handshake and about three keypairs). */
	INDEX_ENTRIES_PER_PEER = 4,
	/* A broken RNG must not loop us forever; 2^-32-ish collisions need no more. */
	INDEX_INSERT_TRIES = 32,
};

static uint32_t pow2_at_least(size_t n)
{
	uint32_t v = INDEX_MIN_BUCKETS;

	while (v < n && v < (UINT32_C(1) << 30))
		v <<= 1;
	return v;
}

/*
 * Indices are chosen at random by us, so their low bits spread evenly; the
 * multiply still mixes them in case the RNG is weak (deterministic tests).
 */
static uint32_t index_bucket(const struct uwg_index_table *t, uint32_t index)
{
	uint32_t h = index * UINT32_C(0x9e3779b1);

	return (h ^ h >> 16) & t->mask;
}

int uwg_index_table_init(struct uwg_index_table *t)
{
	t->buckets = calloc(INDEX_MIN_BUCKETS, sizeof(*t->buckets));
	if (!t->buckets)
		return -ENOMEM;
	t->mask = INDEX_MIN_BUCKETS - 1;
	t->count = 0;
	return 0;
}

void uwg_index_table_free(struct uwg_index_table *t)
{
	free(t->buckets);
	t->buckets = NULL;
	t->mask = 0;
	t->count = 0;
}

static void index_link(struct uwg_index_table *t, struct uwg_index_entry *e)
{
	struct uwg_index_entry **head = &t->buckets[index_bucket(t, e->index)];

	e->hnext = *head;
	if (*head)
		(*head)->hpprev = &e->hnext;
	*head = e;
	e->hpprev = head;
}

void uwg_index_table_reserve(struct uwg_index_table *t, size_t peers)
{
	uint32_t n = pow2_at_least(peers * INDEX_ENTRIES_PER_PEER);
	struct uwg_index_entry **old = t->buckets, **fresh;
	uint32_t old_n = t->mask + 1;

	if (n <= old_n)
		return;
	fresh = calloc(n, sizeof(*fresh));
	if (!fresh)
		return; /* longer chains, still correct */
	t->buckets = fresh;
	t->mask = n - 1;
	for (uint32_t b = 0; b < old_n; b++) {
		struct uwg_index_entry *e = old[b], *next;

		for (; e; e = next) {
			next = e->hnext;
			index_link(t, e);
		}
	}
	free(old);
}

struct uwg_index_entry *uwg_index_lookup(const struct uwg_index_table *t, uint32_t index)
{
	struct uwg_index_entry *e = t->buckets[index_bucket(t, index)];

	for (; e; e = e->hnext)
		if (e->index == index)
			return e;
	return NULL;
}

int uwg_index_insert(struct uwg_index_table *t, struct uwg_index_entry *e,
		     void (*random)(void *ctx, uint8_t *out, size_t len), void *rctx)
{
	for (int i = 0; i < INDEX_INSERT_TRIES; i++) {
		uint8_t r[4];
		uint32_t index;

		random(rctx, r, sizeof(r));
		index = uwg_le32_load(r);
		if (uwg_index_lookup(t, index))
			continue;
		e->index = index;
		index_link(t, e);
		t->count++;
		return 0;
	}
	return -EAGAIN;
}

void uwg_index_remove(struct uwg_index_table *t, struct uwg_index_entry *e)
{
	if (!e->hpprev)
		return;
	*e->hpprev = e->hnext;
	if (e->hnext)
		e->hnext->hpprev = e->hpprev;
	e->hnext = NULL;
	e->hpprev = NULL;
	t->count--;
}

/* Public keys of configured peers are uniformly random bytes; four of them make a fine hash. */
static uint32_t peer_bucket(const struct uwg_peer_table *t, const uint8_t key[32])
{
	return uwg_le32_load(key + 8) & t->mask;
}

int uwg_peer_table_init(struct uwg_peer_table *t)
{
	t->buckets = calloc(INDEX_MIN_BUCKETS, sizeof(*t->buckets));
	if (!t->buckets)
		return -ENOMEM;
	t->mask = INDEX_MIN_BUCKETS - 1;
	return 0;
}

void uwg_peer_table_free(struct uwg_peer_table *t)
{
	free(t->buckets);
	t->buckets = NULL;
	t->mask = 0;
}

static void peer_link(struct uwg_peer_table *t, struct uwg_peer *p)
{
	struct uwg_peer **head = &t->buckets[peer_bucket(t, p->hs.remote_static)];

	p->hnext = *head;
	if (*head)
		(*head)->hpprev = &p->hnext;
	*head = p;
	p->hpprev = head;
}

void uwg_peer_table_reserve(struct uwg_peer_table *t, size_t peers)
{
	uint32_t n = pow2_at_least(peers * 2);
	struct uwg_peer **old = t->buckets, **fresh;
	uint32_t old_n = t->mask + 1;

	if (n <= old_n)
		return;
	fresh = calloc(n, sizeof(*fresh));
	if (!fresh)
		return;
	t->buckets = fresh;
	t->mask = n - 1;
	for (uint32_t b = 0; b < old_n; b++) {
		struct uwg_peer *p = old[b], *next;

		for (; p; p = next) {
			next = p->hnext;
			peer_link(t, p);
		}
	}
	free(old);
}

struct uwg_peer *uwg_peer_table_lookup(const struct uwg_peer_table *t, const uint8_t key[32])
{
	struct uwg_peer *p = t->buckets[peer_bucket(t, key)];

	/* Public keys are not secret: a plain compare is fine and cheaper. */
	for (; p; p = p->hnext)
		if (!memcmp(p->hs.remote_static, key, 32))
			return p;
	return NULL;
}

void uwg_peer_table_insert(struct uwg_peer_table *t, struct uwg_peer *peer)
{
	peer_link(t, peer);
}

void uwg_peer_table_remove(struct uwg_peer_table *t, struct uwg_peer *peer)
{
	(void)t;
	if (!peer->hpprev)
		return;
	*peer->hpprev = peer->hnext;
	if (peer->hnext)
		peer->hnext->hpprev = peer->hpprev;
	peer->hnext = NULL;
	peer->hpprev = NULL;
}
