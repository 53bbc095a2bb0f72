/*
 * core/ratelimit.c - per-source token buckets for handshake messages that
 * arrive under load with a valid cookie (§1.9 of the protocol reference,
 * kernel src/ratelimiter.c): 20 per second, burst 5, one bucket per IPv4
 * address or IPv6 /64. The table is fixed at init (open addressing, linear
 * probing, keyed BLAKE2s so remote parties cannot aim at one chain) and every
 * lookup touches at most PROBE_MAX slots, so a flood of distinct sources
 * costs neither memory nor unbounded time: when a chain is full new sources
 * are refused, as the kernel refuses them past its entry limit. Idle buckets
 * are collected once a second. Time comes only from the `now` argument.
 * Loop thread only.
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
	PACKETS_PER_SECOND = 20,
	PACKETS_BURSTABLE = 5,
	HASH_KEY_LEN = 16,
};

/* Tokens are nanoseconds of credit: one packet costs 1/20 s, the bucket holds 5. */
#define PACKET_COST (UWG_NS_PER_SEC / PACKETS_PER_SECOND)
#define TOKEN_MAX (PACKET_COST * PACKETS_BURSTABLE)
#define IDLE_EXPIRY UWG_NS_PER_SEC
#define GC_INTERVAL UWG_NS_PER_SEC

enum { FAMILY_NONE, FAMILY_V4, FAMILY_V6 };

struct uwg_ratelimit_entry {
	uint64_t addr;      /* IPv4 address or the IPv6 /64 prefix, as raw bytes */
	uint64_t last_time; /* monotonic ns of the last packet */
	uint64_t tokens;
	uint32_t home;      /* hash slot this entry belongs to */
	uint8_t family;     /* FAMILY_NONE = empty slot */
};

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

bool uwg_ratelimiter_allow(struct uwg_ratelimiter *rl, const struct uwg_endpoint *src, uint64_t now)
{
	uint32_t mask, home, i;
	uint64_t addr, tokens, elapsed;
	uint8_t family;

	if (!rl->entries || !src || !source_key(src, &family, &addr))
		return false;
	if (now < rl->last_gc || now - rl->last_gc >= GC_INTERVAL)
		gc(rl, now);

	mask = rl->size - 1;
	home = hash_source(table_of(rl), family, addr, mask);
	for (uint32_t n = 0; n < PROBE_MAX; n++) {
		struct uwg_ratelimit_entry *e;

		i = (home + n) & mask;
		e = &rl->entries[i];
		if (e->family == FAMILY_NONE) {
			/* New source: a full bucket, of which this packet takes one token. */
			e->family = family;
			e->addr = addr;
			e->home = home;
			e->last_time = now;
			e->tokens = TOKEN_MAX - PACKET_COST;
			return true;
		}
		if (e->family != family || e->addr != addr)
			continue;
		/* A clock that went backwards refills nothing. */
		elapsed = now > e->last_time ? now - e->last_time : 0;
		tokens = elapsed >= TOKEN_MAX - e->tokens ? TOKEN_MAX : e->tokens + elapsed;
		if (now > e->last_time)
			e->last_time = now;
		if (tokens < PACKET_COST) {
			e->tokens = tokens;
			return false;
		}
		e->tokens = tokens - PACKET_COST;
		return true;
	}
	/* The chain is full of other live sources: refuse rather than grow. */
	return false;
}
