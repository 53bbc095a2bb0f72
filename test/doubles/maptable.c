/*
 * test/doubles/maptable.c - in-memory port-map table implementing the table half of
 * struct uwg_igd_ops, with lease expiry (see maptable.h). Loop thread only.
 */
#include "test/doubles/maptable.h"

#include <arpa/inet.h>
#include <stdbool.h>

#include <string.h>

void uwg_igd_maptable_init(struct uwg_igd_maptable *t, size_t cap,
			   uint64_t (*clock_s)(void *), void *clock_ctx)
{
	memset(t, 0, sizeof(*t));
	t->cap = cap == 0 || cap > UWG_IGD_MAPTABLE_MAX ? UWG_IGD_MAPTABLE_MAX : cap;
	t->clock_s = clock_s;
	t->clock_ctx = clock_ctx;
}

static uint64_t now(const struct uwg_igd_maptable *t)
{
	return t->clock_s(t->clock_ctx);
}

static void notify(struct uwg_igd_maptable *t, const char *what, const struct uwg_igd_map *m)
{
	if (t->changed)
		t->changed(t->changed_ctx, what, m);
}

static void remove_at(struct uwg_igd_maptable *t, size_t i)
{
	memmove(&t->e[i], &t->e[i + 1], (t->n - i - 1) * sizeof(t->e[0]));
	t->n--;
}

unsigned uwg_igd_maptable_expire(struct uwg_igd_maptable *t)
{
	uint64_t s = now(t);
	unsigned gone = 0;

	for (size_t i = 0; i < t->n;) {
		if (t->e[i].expires_s && t->e[i].expires_s <= s) {
			struct uwg_igd_map m = t->e[i].map;

			remove_at(t, i);
			notify(t, "expire", &m);
			gone++;
		} else {
			i++;
		}
	}
	return gone;
}

static long find(const struct uwg_igd_maptable *t, uint8_t proto, uint16_t port)
{
	for (size_t i = 0; i < t->n; i++)
		if (t->e[i].map.proto == proto && t->e[i].map.ext_port == port)
			return (long)i;
	return -1;
}

/* A copy with the remaining lease, as get_map reports it. */
static void report(const struct uwg_igd_maptable *t, size_t i, struct uwg_igd_map *out)
{
	uint64_t s = now(t);

	*out = t->e[i].map;
	out->lease_s = t->e[i].expires_s ? (uint32_t)(t->e[i].expires_s - s) : 0;
}

/* One owner: the same address, or (owner_mask_h) the same masked network (a peer's LAN). */
static bool same_owner(void *ctx, struct in_addr a, struct in_addr b)
{
	const struct uwg_igd_maptable *t = ctx;
	uint32_t mask = t->owner_mask_h ? t->owner_mask_h : 0xffffffffu;

	return ((ntohl(a.s_addr) ^ ntohl(b.s_addr)) & mask) == 0;
}

static int add_map(void *ctx, const struct uwg_igd_map *map, struct in_addr requester)
{
	struct uwg_igd_maptable *t = ctx;
	struct uwg_igd_maptable_entry *e;
	long i;

	uwg_igd_maptable_expire(t);
	if (!same_owner(t, map->int_client, requester) || !map->ext_port || !map->int_port)
		return 606;
	i = find(t, map->proto, map->ext_port);
	if (i >= 0 && !same_owner(t, t->e[i].map.int_client, requester))
		return 718;
	if (i < 0 && map->ext_port >= t->reserved_lo && map->ext_port <= t->reserved_hi &&
	    t->reserved_hi)
		return 729;
	if (i < 0 && t->n >= t->cap)
		return 728;
	e = &t->e[i >= 0 ? (size_t)i : t->n];
	e->map = *map;
	e->expires_s = map->lease_s ? now(t) + map->lease_s : 0;
	if (i < 0)
		t->n++;
	notify(t, i < 0 ? "add" : "update", &e->map);
	return 0;
}

static int del_map(void *ctx, uint8_t proto, uint16_t ext_port, struct in_addr requester)
{
	struct uwg_igd_maptable *t = ctx;
	struct uwg_igd_map m;
	long i;

	uwg_igd_maptable_expire(t);
	i = find(t, proto, ext_port);
	if (i < 0)
		return 714;
	if (!same_owner(t, t->e[i].map.int_client, requester))
		return 606;
	m = t->e[i].map;
	remove_at(t, (size_t)i);
	notify(t, "del", &m);
	return 0;
}

static int get_map(void *ctx, uint8_t proto, uint16_t ext_port, struct uwg_igd_map *out)
{
	struct uwg_igd_maptable *t = ctx;
	long i;

	uwg_igd_maptable_expire(t);
	i = find(t, proto, ext_port);
	if (i < 0)
		return 714;
	report(t, (size_t)i, out);
	return 0;
}

static int get_map_by_index(void *ctx, uint32_t index, struct uwg_igd_map *out)
{
	struct uwg_igd_maptable *t = ctx;

	uwg_igd_maptable_expire(t);
	if (index >= t->n)
		return 713;
	report(t, index, out);
	return 0;
}

static int external_ip(void *ctx, struct in_addr *out)
{
	struct uwg_igd_maptable *t = ctx;

	*out = t->ext_ip;
	return t->ext_ip.s_addr ? 0 : 501;
}

static void counters(void *ctx, struct uwg_igd_counters *out)
{
	const struct uwg_igd_maptable *t = ctx;

	*out = t->counters;
}

void uwg_igd_maptable_ops(struct uwg_igd_maptable *t, struct uwg_igd_ops *ops)
{
	memset(ops, 0, sizeof(*ops));
	ops->ctx = t;
	ops->add_map = add_map;
	ops->del_map = del_map;
	ops->get_map = get_map;
	ops->get_map_by_index = get_map_by_index;
	ops->external_ip = external_ip;
	ops->counters = counters;
	ops->same_owner = same_owner;
}
