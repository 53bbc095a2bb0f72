/*
 * test/doubles/maptable.c - in-memory port-map table implementing the table half of
 * struct uwg_igd_ops, with lease expiry, and the IPv6 pinhole table behind the
 * pinhole ops (see maptable.h). Loop thread only.
 */
#include "test/doubles/maptable.h"
#include "igd/policy.h"

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
	t->fw_enabled = t->fw_inbound = true;
	t->next_id = 1;
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

static void notify6(struct uwg_igd_maptable *t, const char *what, const struct uwg_igd_pinhole *ph)
{
	if (t->pinhole_changed)
		t->pinhole_changed(t->changed_ctx, what, ph);
}

static void remove_pinhole_at(struct uwg_igd_maptable *t, size_t i)
{
	memmove(&t->pinholes[i], &t->pinholes[i + 1],
		(t->n_pinholes - i - 1) * sizeof(t->pinholes[0]));
	t->n_pinholes--;
}

unsigned uwg_igd_maptable_expire(struct uwg_igd_maptable *t)
{
	uint64_t s = now(t);
	unsigned gone = 0;

	for (size_t i = 0; i < t->n_pinholes;) {
		if (t->pinholes[i].expires_s <= s) {
			struct uwg_igd_pinhole ph = t->pinholes[i].ph;

			remove_pinhole_at(t, i);
			notify6(t, "expire", &ph);
			gone++;
		} else {
			i++;
		}
	}

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

/* ---------- IPv6 pinholes ---------- */

/* One owner: the same IPv6 address, or (owner6_bits) the same prefix (a peer's routed /64). */
static bool same_owner6(const struct uwg_igd_maptable *t, const struct in6_addr *a,
			const struct in6_addr *b)
{
	unsigned bits = t->owner6_bits ? t->owner6_bits : 128;

	return uwg_igd_in6_prefix(a, b, bits);
}

static bool same_five(const struct uwg_igd_pinhole *a, const struct uwg_igd_pinhole *b)
{
	return a->proto == b->proto && a->int_port == b->int_port &&
	       a->remote_port == b->remote_port &&
	       !memcmp(&a->int_client, &b->int_client, sizeof(a->int_client)) &&
	       !memcmp(&a->remote_host, &b->remote_host, sizeof(a->remote_host));
}

static long find_id(const struct uwg_igd_maptable *t, uint16_t id)
{
	for (size_t i = 0; i < t->n_pinholes; i++)
		if (t->pinholes[i].ph.id == id)
			return (long)i;
	return -1;
}

static long find_five(const struct uwg_igd_maptable *t, const struct uwg_igd_pinhole *key)
{
	for (size_t i = 0; i < t->n_pinholes; i++)
		if (same_five(&t->pinholes[i].ph, key))
			return (long)i;
	return -1;
}

static void report6(const struct uwg_igd_maptable *t, size_t i, struct uwg_igd_pinhole *out)
{
	*out = t->pinholes[i].ph;
	out->lease_s = (uint32_t)(t->pinholes[i].expires_s - now(t));
}

static int fw_status(void *ctx, bool *enabled, bool *inbound_allowed)
{
	const struct uwg_igd_maptable *t = ctx;

	*enabled = t->fw_enabled;
	*inbound_allowed = t->fw_inbound;
	return 0;
}

/* A UniqueID no pinhole has, from next_id on (never 0). */
static uint16_t free_id(struct uwg_igd_maptable *t)
{
	for (;;) {
		uint16_t id = t->next_id;

		t->next_id = (uint16_t)(id == 65535 ? 1 : id + 1);
		if (id && find_id(t, id) < 0)
			return id;
	}
}

static int add_pinhole(void *ctx, const struct uwg_igd_pinhole *ph, struct in6_addr requester,
		       uint16_t *id)
{
	struct uwg_igd_maptable *t = ctx;
	size_t cap = t->pinhole_cap && t->pinhole_cap < UWG_IGD_MAPTABLE_PINHOLES
			     ? t->pinhole_cap : UWG_IGD_MAPTABLE_PINHOLES;
	struct uwg_igd_maptable_pinhole *e;
	unsigned held = 0;
	long i;

	uwg_igd_maptable_expire(t);
	if (!same_owner6(t, &ph->int_client, &requester) || !ph->int_port || !ph->lease_s ||
	    ph->lease_s > 86400 || (ph->proto != IPPROTO_TCP && ph->proto != IPPROTO_UDP))
		return 606;
	i = find_five(t, ph);
	if (i >= 0) {
		e = &t->pinholes[i];
		if (!same_owner6(t, &e->owner, &requester))
			return 606;
		/* the same five from the same owner: renewed under its id */
		e->expires_s = now(t) + ph->lease_s;
		e->ph.lease_s = ph->lease_s;
		memcpy(e->ph.desc, ph->desc, sizeof(e->ph.desc));
		e->ph.origin = ph->origin;
		*id = e->ph.id;
		notify6(t, "update", &e->ph);
		return 0;
	}
	for (size_t k = 0; k < t->n_pinholes; k++)
		held += same_owner6(t, &t->pinholes[k].owner, &requester);
	if (t->n_pinholes >= cap || (t->pinholes_per_owner && held >= t->pinholes_per_owner))
		return 701;
	e = &t->pinholes[t->n_pinholes++];
	memset(e, 0, sizeof(*e));
	e->ph = *ph;
	e->ph.id = free_id(t);
	e->ph.packets = 0;
	e->owner = requester;
	e->expires_s = now(t) + ph->lease_s;
	*id = e->ph.id;
	notify6(t, "add", &e->ph);
	return 0;
}

static int update_pinhole(void *ctx, uint16_t id, uint32_t lease_s, struct in6_addr requester)
{
	struct uwg_igd_maptable *t = ctx;
	long i;

	uwg_igd_maptable_expire(t);
	i = find_id(t, id);
	if (i < 0)
		return 704;
	if (!same_owner6(t, &t->pinholes[i].owner, &requester))
		return 606;
	if (!lease_s || lease_s > 86400)
		return 501;
	t->pinholes[i].expires_s = now(t) + lease_s;
	t->pinholes[i].ph.lease_s = lease_s;
	notify6(t, "update", &t->pinholes[i].ph);
	return 0;
}

static int del_pinhole(void *ctx, uint16_t id, struct in6_addr requester)
{
	struct uwg_igd_maptable *t = ctx;
	struct uwg_igd_pinhole ph;
	long i;

	uwg_igd_maptable_expire(t);
	i = find_id(t, id);
	if (i < 0)
		return 704;
	if (!same_owner6(t, &t->pinholes[i].owner, &requester))
		return 606;
	ph = t->pinholes[i].ph;
	remove_pinhole_at(t, (size_t)i);
	notify6(t, "del", &ph);
	return 0;
}

static int get_pinhole(void *ctx, uint16_t id, struct uwg_igd_pinhole *out)
{
	struct uwg_igd_maptable *t = ctx;
	long i;

	uwg_igd_maptable_expire(t);
	i = find_id(t, id);
	if (i < 0)
		return 704;
	report6(t, (size_t)i, out);
	return 0;
}

static int find_pinhole(void *ctx, const struct uwg_igd_pinhole *key, struct in6_addr requester,
			struct uwg_igd_pinhole *out)
{
	struct uwg_igd_maptable *t = ctx;
	long i;

	uwg_igd_maptable_expire(t);
	i = find_five(t, key);
	if (i < 0 || !same_owner6(t, &t->pinholes[i].owner, &requester))
		return 704;
	report6(t, (size_t)i, out);
	return 0;
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
	ops->fw_status = fw_status;
	ops->add_pinhole = add_pinhole;
	ops->update_pinhole = update_pinhole;
	ops->del_pinhole = del_pinhole;
	ops->get_pinhole = get_pinhole;
	ops->find_pinhole = find_pinhole;
}
