/*
 * core/ratelimit.c - per-source token buckets for handshake messages that
 * arrive under load (as the kernel's
 * src/ratelimiter.c), one bucket per IPv4 address or IPv6 /64 and class of
 * work (enum uwg_ratelimit_class), plus the plain bucket the device uses for
 * its global budgets. The table is fixed at init (open addressing, linear
 * probing, keyed BLAKE2s so remote parties cannot aim at one chain) and every
 * lookup touches at most PROBE_MAX slots, so a flood of distinct sources
 * costs neither memory nor unbounded time: when a chain is full new sources
 * are refused, as the kernel refuses them past its entry limit. A flood from
 * one source looks up the same slot again and again, so the slot of the last
 * lookup is tried first and the hash is skipped. Idle sources are collected
 * once a second. Time comes only from the `now` argument. Loop thread only.
 */
#include "core/ratelimit.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "core/messages.h"
#include "crypto/blake2s.h"
#include "crypto/ct.h"

enum {
	TABLE_SIZE = 8192, /* as the kernel on hosts with > 1 GiB; a power of two */
	PROBE_MAX = 32,    /* longest chain searched; keeps per-packet work constant */
	HASH_KEY_LEN = 16,
};

#define IDLE_EXPIRY UWG_NS_PER_SEC
#define GC_INTERVAL UWG_NS_PER_SEC

/*
 * Per source and class: what one message costs (1/rate s) and the most the
 * bucket holds (burst messages). HANDSHAKE is the kernel's 20/s, burst 5,
 * for messages that proved their address with a cookie and cost us Noise
 * work. INSPECT bounds how many messages of one source we even check the
 * MACs of under load, so a flood from one address is dropped before any
 * crypto and cannot use up the device's global inspection budget: 64/s is
 * far above what honest initiators behind one address send (one per peer
 * per 5 s at worst). COOKIE bounds the replies one address gets (each costs
 * an XChaCha20-Poly1305, a BLAKE2s, random bytes and a send): a client needs
 * one per retry.
 */
static const struct {
	uint64_t cost, max;
} class_rates[UWG_RL_CLASSES] = {
	[UWG_RL_HANDSHAKE] = { UWG_NS_PER_SEC / 20, UWG_NS_PER_SEC / 20 * 5 },
	[UWG_RL_INSPECT] = { UWG_NS_PER_SEC / 64, UWG_NS_PER_SEC / 64 * 32 },
	[UWG_RL_COOKIE] = { UWG_NS_PER_SEC / 16, UWG_NS_PER_SEC / 16 * 8 },
};

enum { FAMILY_NONE, FAMILY_V4, FAMILY_V6 };

struct uwg_ratelimit_entry {
	uint64_t addr;      /* IPv4 address or the IPv6 /64 prefix, as raw bytes */
	uint64_t last_time; /* monotonic ns of the last packet, any class */
	struct uwg_bucket buckets[UWG_RL_CLASSES];
	uint32_t home;      /* hash slot this entry belongs to */
	uint8_t family;     /* FAMILY_NONE = empty slot */
};

bool uwg_bucket_ready(struct uwg_bucket *b, uint64_t now, uint64_t cost, uint64_t max)
{
	/* A clock that went backwards refills nothing. */
	uint64_t elapsed = now > b->last ? now - b->last : 0;

	b->tokens = elapsed >= max - b->tokens ? max : b->tokens + elapsed;
	if (now > b->last)
		b->last = now;
	return b->tokens >= cost;
}

void uwg_bucket_take(struct uwg_bucket *b, uint64_t cost)
{
	b->tokens = b->tokens >= cost ? b->tokens - cost : 0;
}

bool uwg_bucket_allow(struct uwg_bucket *b, uint64_t now, uint64_t cost, uint64_t max)
{
	if (!uwg_bucket_ready(b, now, cost, max))
		return false;
	uwg_bucket_take(b, cost);
	return true;
}

/* One allocation: the secret hash key, then the slots rl->entries points at. */
struct rl_table {
	uint8_t hash_key[HASH_KEY_LEN];
	struct uwg_ratelimit_entry slots[];
};

static struct rl_table *table_of(struct uwg_ratelimiter *rl)
{
	return (struct rl_table *)(void *)((uint8_t *)rl->entries - offsetof(struct rl_table, slots));
}

int uwg_ratelimiter_init(struct uwg_ratelimiter *rl)
{
	struct rl_table *t = calloc(1, sizeof(*t) + TABLE_SIZE * sizeof(t->slots[0]));

	rl->entries = NULL;
	rl->size = 0;
	rl->last_slot = 0;
	rl->last_gc = 0;
	if (!t)
		return -ENOMEM;
	uwg_random_bytes(t->hash_key, sizeof(t->hash_key));
	rl->entries = t->slots;
	rl->size = TABLE_SIZE;
	return 0;
}

void uwg_ratelimiter_free(struct uwg_ratelimiter *rl)
{
	if (rl->entries) {
		struct rl_table *t = table_of(rl);

		uwg_memzero(t->hash_key, sizeof(t->hash_key));
		free(t);
	}
	rl->entries = NULL;
	rl->size = 0;
}

/* The bucket key: IPv4 address (also when v4-mapped) or the top 64 bits of IPv6. */
static bool source_key(const struct uwg_endpoint *src, uint8_t *family, uint64_t *addr)
{
	*addr = 0;
	if (src->addr.sa.sa_family == AF_INET) {
		*family = FAMILY_V4;
		memcpy(addr, &src->addr.in4.sin_addr, 4);
		return true;
	}
	if (src->addr.sa.sa_family == AF_INET6) {
		const struct in6_addr *a = &src->addr.in6.sin6_addr;

		/* On a dual-stack socket all of IPv4 would otherwise share ::ffff:0:0/64. */
		if (IN6_IS_ADDR_V4MAPPED(a)) {
			*family = FAMILY_V4;
			memcpy(addr, a->s6_addr + 12, 4);
		} else {
			*family = FAMILY_V6;
			memcpy(addr, a->s6_addr, 8);
		}
		return true;
	}
	return false;
}

static uint32_t hash_source(const struct rl_table *t, uint8_t family, uint64_t addr, uint32_t mask)
{
	uint8_t in[9], out[4];

	in[0] = family;
	memcpy(in + 1, &addr, 8);
	uwg_blake2s(out, sizeof(out), t->hash_key, sizeof(t->hash_key), in, sizeof(in));
	return uwg_le32_load(out) & mask;
}

/* True if slot k lies cyclically in (i, j]. */
static bool in_cyclic_range(uint32_t i, uint32_t k, uint32_t j)
{
	return i <= j ? (i < k && k <= j) : (i < k || k <= j);
}

/*
 * Backward-shift deletion: later members of the chain move up into the hole
 * unless that would put them before their home slot, so linear probing needs
 * no tombstones and entries only ever move closer to home (which keeps every
 * entry within PROBE_MAX of it).
 */
static void slot_delete(struct uwg_ratelimit_entry *e, uint32_t mask, uint32_t i)
{
	uint32_t j = i;

	for (;;) {
		e[i].family = FAMILY_NONE;
		for (;;) {
			j = (j + 1) & mask;
			if (e[j].family == FAMILY_NONE)
				return;
			if (!in_cyclic_range(i, e[j].home, j))
				break;
		}
		e[i] = e[j];
		i = j;
	}
}

static void gc(struct uwg_ratelimiter *rl, uint64_t now)
{
	uint32_t mask = rl->size - 1;

	for (uint32_t i = 0; i < rl->size;) {
		struct uwg_ratelimit_entry *e = &rl->entries[i];

		/* A deletion may pull another entry into slot i: look at it again. */
		if (e->family != FAMILY_NONE && now >= e->last_time &&
		    now - e->last_time >= IDLE_EXPIRY)
			slot_delete(rl->entries, mask, i);
		else
			i++;
	}
	rl->last_gc = now;
}

/* The entry for a source: the memoised slot, else its chain; created if absent (NULL if full). */
static struct uwg_ratelimit_entry *lookup(struct uwg_ratelimiter *rl, uint8_t family, uint64_t addr,
					  uint64_t now)
{
	uint32_t mask = rl->size - 1, home, i;
	struct uwg_ratelimit_entry *e = &rl->entries[rl->last_slot & mask];

	/* Keys are unique in the table, so a match is the entry wherever deletions moved it. */
	if (e->family == family && e->addr == addr)
		return e;
	home = hash_source(table_of(rl), family, addr, mask);
	for (uint32_t n = 0; n < PROBE_MAX; n++) {
		i = (home + n) & mask;
		e = &rl->entries[i];
		if (e->family == FAMILY_NONE) {
			/* New source: every class starts with a full bucket. */
			memset(e, 0, sizeof(*e));
			e->family = family;
			e->addr = addr;
			e->home = home;
			e->last_time = now;
			for (int c = 0; c < UWG_RL_CLASSES; c++) {
				e->buckets[c].tokens = class_rates[c].max;
				e->buckets[c].last = now;
			}
			rl->last_slot = i;
			return e;
		}
		if (e->family == family && e->addr == addr) {
			rl->last_slot = i;
			return e;
		}
	}
	/* The chain is full of other live sources: refuse rather than grow. */
	return NULL;
}

int uwg_ratelimiter_charge(struct uwg_ratelimiter *rl, const struct uwg_endpoint *src,
			   enum uwg_ratelimit_class cls, uint64_t now)
{
	struct uwg_ratelimit_entry *e;
	uint64_t addr;
	uint8_t family;

	if (!rl->entries || !src || (unsigned)cls >= UWG_RL_CLASSES || !source_key(src, &family, &addr))
		return -EINVAL;
	if (now < rl->last_gc || now - rl->last_gc >= GC_INTERVAL)
		gc(rl, now);
	e = lookup(rl, family, addr, now);
	if (!e)
		return -ENOSPC;
	if (now > e->last_time)
		e->last_time = now;
	return uwg_bucket_allow(&e->buckets[cls], now, class_rates[cls].cost, class_rates[cls].max);
}

bool uwg_ratelimiter_allow(struct uwg_ratelimiter *rl, const struct uwg_endpoint *src, uint64_t now)
{
	/* A source we cannot track is refused, as the kernel refuses it past its entry limit. */
	return uwg_ratelimiter_charge(rl, src, UWG_RL_HANDSHAKE, now) > 0;
}
