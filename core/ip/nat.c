/*
 * core/ip/nat.c - the userspace IPv4 NAT table (see nat.h for the model, the
 * fragment policy and the eviction policy). Owns the port-map table, the
 * fixed flow table with its three hash indices, the pool port refcounts and
 * every in-place rewrite. Loop thread only.
 */
#include "core/ip/nat.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "core/ip/checksum.h"
#include "core/ip/keyhash.h"

#define NIL UINT32_MAX
#define NS_PER_S 1000000000ull

enum {
	TCP_FIN = 0x01,
	TCP_SYN = 0x02,
	TCP_RST = 0x04,
	TCP_ACK = 0x10,
};

enum {
	ICMP_ECHOREPLY_T = 0,
	ICMP_UNREACH_T = 3,
	ICMP_ECHO_T = 8,
	ICMP_TIMXCEED_T = 11,
	ICMP_PARAMPROB_T = 12,
};

enum flow_flags {
	F_REPLIED = 1u << 0,
	F_FIN = 1u << 1,
	F_RST = 1u << 2,
};

/* Pool indices: TCP and UDP share the port range but not the port space. */
enum { PI_TCP, PI_UDP, PI_ICMP, PI_COUNT };

struct nat_flow {
	uint64_t expires;
	uint32_t int_addr, rem_addr;
	uint16_t int_port, rem_port, ext_port;
	uint8_t proto; /* 0: slot free */
	uint8_t flags;
	uint32_t next_int, next_ext, next_ep; /* hash chains; free list threads next_int */
};

struct map_slot {
	struct uwg_nat_map m; /* first member: uwg_nat_map_next() converts back */
	bool used;
	uint32_t next_ext, next_int;
};

struct pool {
	uint16_t base;
	uint32_t size; /* 0: disabled */
	uint32_t *refs;
};

struct uwg_nat {
	struct uwg_nat_config cfg;
	uint64_t to_tcp_syn, to_tcp_est, to_tcp_fin, to_tcp_rst, to_udp, to_udp_unrep, to_icmp;

	struct nat_flow *flows;
	uint32_t nflows, free_head, active;
	uint32_t hmask;
	uint32_t *h_int, *h_ext, *h_ep;
	uint32_t evict_hand, gc_hand;
	struct pool pools[PI_COUNT];

	struct map_slot *maps;
	uint32_t maps_cap, maps_used;
	uint32_t mhmask;
	uint32_t *mh_ext, *mh_int;

	struct uwg_nat_stats st;
};

/* One IPv4 header plus its TCP/UDP/ICMP header, outer or quoted in an ICMP error. */
struct view {
	uint8_t *ip;
	size_t hlen;
	uint8_t *l4;
	size_t l4len; /* L4 bytes present */
	uint8_t proto;
	uint8_t icmp_type;
	uint32_t saddr, daddr;
	uint16_t sport, dport;     /* ICMP echo: the id as sport (request) or dport (reply) */
	uint8_t *sport_p, *dport_p; /* NULL where the tuple has no such field */
	uint8_t *csum;             /* L4 checksum to maintain; NULL: none or absent */
	bool pseudo;               /* csum covers the pseudo header */
	bool udp;                  /* a computed 0 is sent as 0xffff */
};

struct endpoint {
	uint32_t addr;
	uint16_t port;
};

/* ---- keyed hash (core/ip/keyhash.h): clients choose flow keys ---- */

static uint32_t hash2(const struct uwg_nat *nat, uint64_t m0, uint64_t m1)
{
	const uint64_t m[2] = { m0, m1 };

	return uwg_keyhash(nat->cfg.hash_key, m, 2);
}

static uint32_t hash_int(const struct uwg_nat *nat, uint8_t proto, uint32_t ia, uint16_t ip,
			 uint32_t ra, uint16_t rp)
{
	return hash2(nat, (uint64_t)ia << 32 | ra,
		     (uint64_t)proto << 48 | (uint64_t)1 << 40 | (uint64_t)ip << 16 | rp);
}

static uint32_t hash_ext(const struct uwg_nat *nat, uint8_t proto, uint16_t ep, uint32_t ra,
			 uint16_t rp)
{
	return hash2(nat, ra, (uint64_t)proto << 48 | (uint64_t)2 << 40 | (uint64_t)ep << 16 | rp);
}

static uint32_t hash_ep(const struct uwg_nat *nat, uint8_t proto, uint32_t ia, uint16_t ip)
{
	return hash2(nat, ia, (uint64_t)proto << 48 | (uint64_t)3 << 40 | ip);
}

static uint32_t hash_map_ext(const struct uwg_nat *nat, uint8_t proto, uint16_t ep)
{
	return hash2(nat, 0, (uint64_t)proto << 48 | (uint64_t)4 << 40 | ep);
}

static uint32_t hash_map_int(const struct uwg_nat *nat, uint8_t proto, uint32_t ia, uint16_t ip)
{
	return hash2(nat, ia, (uint64_t)proto << 48 | (uint64_t)5 << 40 | ip);
}

/* ---- small helpers ---- */

static int pool_index(uint8_t proto)
{
	switch (proto) {
	case IPPROTO_TCP:
		return PI_TCP;
	case IPPROTO_UDP:
		return PI_UDP;
	case IPPROTO_ICMP:
		return PI_ICMP;
	default:
		return -1;
	}
}

static bool in_pool(const struct uwg_nat *nat, uint8_t proto, uint16_t port)
{
	int pi = pool_index(proto);
	const struct pool *p;

	if (pi < 0)
		return false;
	p = &nat->pools[pi];
	return p->size && port >= p->base && (uint32_t)(port - p->base) < p->size;
}

static bool is_inside(const struct uwg_nat *nat, uint32_t addr)
{
	return (addr & nat->cfg.inside_mask) == (nat->cfg.inside_net & nat->cfg.inside_mask);
}

/* Destinations that are never masqueraded: this, loopback, multicast, broadcast. */
static bool is_special_dst(uint32_t addr)
{
	return addr == 0 || (addr >> 24) == 127 || addr >= 0xe0000000u;
}

static bool live(uint64_t expires, uint64_t now)
{
	return expires == 0 || expires > now;
}

static enum uwg_nat_verdict drop(struct uwg_nat *nat, enum uwg_nat_drop reason,
				 enum uwg_nat_drop *why)
{
	nat->st.drops[reason]++;
	if (why)
		*why = reason;
	return UWG_NAT_DROP;
}

static enum uwg_nat_verdict not_ours(struct uwg_nat *nat)
{
	nat->st.not_ours++;
	return UWG_NAT_NOT_OURS;
}

/* ---- port maps ---- */

static struct map_slot *map_lookup_ext(const struct uwg_nat *nat, uint8_t proto, uint16_t port)
{
	uint32_t i = nat->mh_ext[hash_map_ext(nat, proto, port) & nat->mhmask];

	for (; i != NIL; i = nat->maps[i].next_ext) {
		struct map_slot *s = &nat->maps[i];

		if (s->m.proto == proto && s->m.ext_port == port)
			return s;
	}
	return NULL;
}

static struct map_slot *map_lookup_int(const struct uwg_nat *nat, uint8_t proto, uint32_t addr,
				       uint16_t port)
{
	uint32_t i = nat->mh_int[hash_map_int(nat, proto, addr, port) & nat->mhmask];

	for (; i != NIL; i = nat->maps[i].next_int) {
		struct map_slot *s = &nat->maps[i];

		if (s->m.proto == proto && s->m.int_addr == addr && s->m.int_port == port)
			return s;
	}
	return NULL;
}

static const struct map_slot *map_by_ext(const struct uwg_nat *nat, uint8_t proto, uint16_t port,
					 uint64_t now)
{
	const struct map_slot *s;

	if (proto != IPPROTO_TCP && proto != IPPROTO_UDP)
		return NULL;
	s = map_lookup_ext(nat, proto, port);
	return s && live(s->m.expires_ns, now) ? s : NULL;
}

static const struct map_slot *map_by_int(const struct uwg_nat *nat, uint8_t proto, uint32_t addr,
					 uint16_t port, uint64_t now)
{
	const struct map_slot *s;

	if (proto != IPPROTO_TCP && proto != IPPROTO_UDP)
		return NULL;
	s = map_lookup_int(nat, proto, addr, port);
	return s && live(s->m.expires_ns, now) ? s : NULL;
}

static void map_chain_del(struct uwg_nat *nat, uint32_t *head, uint32_t idx, bool ext)
{
	uint32_t *pp = head;

	while (*pp != NIL) {
		struct map_slot *s = &nat->maps[*pp];

		if (*pp == idx) {
			*pp = ext ? s->next_ext : s->next_int;
			return;
		}
		pp = ext ? &s->next_ext : &s->next_int;
	}
}

static void map_unlink_int(struct uwg_nat *nat, struct map_slot *s)
{
	uint32_t idx = (uint32_t)(s - nat->maps);
	uint32_t h = hash_map_int(nat, s->m.proto, s->m.int_addr, s->m.int_port) & nat->mhmask;

	map_chain_del(nat, &nat->mh_int[h], idx, false);
}

static void map_link_int(struct uwg_nat *nat, struct map_slot *s)
{
	uint32_t idx = (uint32_t)(s - nat->maps);
	uint32_t h = hash_map_int(nat, s->m.proto, s->m.int_addr, s->m.int_port) & nat->mhmask;

	s->next_int = nat->mh_int[h];
	nat->mh_int[h] = idx;
}

static void map_remove(struct uwg_nat *nat, struct map_slot *s)
{
	uint32_t idx = (uint32_t)(s - nat->maps);
	uint32_t h = hash_map_ext(nat, s->m.proto, s->m.ext_port) & nat->mhmask;

	map_chain_del(nat, &nat->mh_ext[h], idx, true);
	map_unlink_int(nat, s);
	memset(s, 0, sizeof(*s));
	s->next_ext = s->next_int = NIL;
	nat->maps_used--;
}

static void copy_map(struct uwg_nat_map *dst, const struct uwg_nat_map *src)
{
	*dst = *src;
	dst->desc[UWG_NAT_DESC_MAX - 1] = '\0';
}

int uwg_nat_map_add(struct uwg_nat *nat, const struct uwg_nat_map *map, uint64_t now_ns)
{
	struct map_slot *cur, *other;
	uint32_t i, h;

	if (map->proto != IPPROTO_TCP && map->proto != IPPROTO_UDP)
		return -EINVAL;
	if (map->ext_port == 0 || map->int_port == 0 || in_pool(nat, map->proto, map->ext_port))
		return -ERANGE;
	if (map->int_addr == 0 || map->int_addr == nat->cfg.public_ip ||
	    !is_inside(nat, map->int_addr))
		return -EINVAL;

	cur = map_lookup_ext(nat, map->proto, map->ext_port);
	if (cur && live(cur->m.expires_ns, now_ns) && cur->m.owner != map->owner)
		return -EEXIST;
	other = map_lookup_int(nat, map->proto, map->int_addr, map->int_port);
	if (other && other != cur) {
		if (live(other->m.expires_ns, now_ns))
			return -EADDRINUSE;
		map_remove(nat, other);
		nat->st.maps_expired++;
	}
	if (cur) {
		map_unlink_int(nat, cur);
		copy_map(&cur->m, map);
		map_link_int(nat, cur);
		return 0;
	}
	if (nat->maps_used == nat->maps_cap)
		return -ENOSPC;
	for (i = 0; nat->maps[i].used; i++)
		;
	cur = &nat->maps[i];
	copy_map(&cur->m, map);
	cur->used = true;
	h = hash_map_ext(nat, map->proto, map->ext_port) & nat->mhmask;
	cur->next_ext = nat->mh_ext[h];
	nat->mh_ext[h] = i;
	map_link_int(nat, cur);
	nat->maps_used++;
	return 0;
}

int uwg_nat_map_del(struct uwg_nat *nat, uint8_t proto, uint16_t ext_port, uint64_t owner)
{
	struct map_slot *s = map_lookup_ext(nat, proto, ext_port);

	if (!s)
		return -ENOENT;
	if (s->m.owner != owner)
		return -EPERM;
	map_remove(nat, s);
	return 0;
}

unsigned uwg_nat_map_del_owner(struct uwg_nat *nat, uint64_t owner)
{
	unsigned n = 0;

	for (uint32_t i = 0; i < nat->maps_cap; i++) {
		if (nat->maps[i].used && nat->maps[i].m.owner == owner) {
			map_remove(nat, &nat->maps[i]);
			n++;
		}
	}
	return n;
}

const struct uwg_nat_map *uwg_nat_map_find(const struct uwg_nat *nat, uint8_t proto,
					   uint16_t ext_port, uint64_t now_ns)
{
	const struct map_slot *s = map_by_ext(nat, proto, ext_port, now_ns);

	return s ? &s->m : NULL;
}

const struct uwg_nat_map *uwg_nat_map_next(const struct uwg_nat *nat,
					   const struct uwg_nat_map *prev)
{
	uint32_t i = 0;

	if (prev)
		i = (uint32_t)((const struct map_slot *)(const void *)prev - nat->maps) + 1;
	for (; i < nat->maps_cap; i++)
		if (nat->maps[i].used)
			return &nat->maps[i].m;
	return NULL;
}

size_t uwg_nat_map_count(const struct uwg_nat *nat)
{
	return nat->maps_used;
}

/* ---- flows ---- */

static uint32_t *flow_link(struct nat_flow *f, int which)
{
	return which == 0 ? &f->next_int : which == 1 ? &f->next_ext : &f->next_ep;
}

static void flow_chain_del(struct uwg_nat *nat, uint32_t *head, uint32_t idx, int which)
{
	uint32_t *pp = head;

	while (*pp != NIL) {
		if (*pp == idx) {
			*pp = *flow_link(&nat->flows[idx], which);
			return;
		}
		pp = flow_link(&nat->flows[*pp], which);
	}
}

static void flow_free(struct uwg_nat *nat, uint32_t idx)
{
	struct nat_flow *f = &nat->flows[idx];
	struct pool *p = &nat->pools[pool_index(f->proto)];

	flow_chain_del(nat,
		       &nat->h_int[hash_int(nat, f->proto, f->int_addr, f->int_port, f->rem_addr,
					    f->rem_port) & nat->hmask],
		       idx, 0);
	flow_chain_del(nat,
		       &nat->h_ext[hash_ext(nat, f->proto, f->ext_port, f->rem_addr, f->rem_port) &
				   nat->hmask],
		       idx, 1);
	flow_chain_del(nat, &nat->h_ep[hash_ep(nat, f->proto, f->int_addr, f->int_port) & nat->hmask],
		       idx, 2);
	p->refs[f->ext_port - p->base]--;
	memset(f, 0, sizeof(*f));
	f->next_ext = f->next_ep = NIL;
	f->next_int = nat->free_head;
	nat->free_head = idx;
	nat->active--;
}

/* An expired flow found on a lookup is reclaimed on the spot. */
static bool flow_check_live(struct uwg_nat *nat, uint32_t idx, uint64_t now)
{
	if (nat->flows[idx].expires > now)
		return true;
	flow_free(nat, idx);
	nat->st.flows_expired++;
	return false;
}

static struct nat_flow *flow_find_int(struct uwg_nat *nat, uint8_t proto, struct endpoint in,
				      struct endpoint rem, uint64_t now)
{
	uint32_t i = nat->h_int[hash_int(nat, proto, in.addr, in.port, rem.addr, rem.port) &
				nat->hmask];

	for (; i != NIL; i = nat->flows[i].next_int) {
		struct nat_flow *f = &nat->flows[i];

		if (f->proto == proto && f->int_addr == in.addr && f->int_port == in.port &&
		    f->rem_addr == rem.addr && f->rem_port == rem.port)
			return flow_check_live(nat, i, now) ? f : NULL;
	}
	return NULL;
}

static struct nat_flow *flow_find_ext(struct uwg_nat *nat, uint8_t proto, uint16_t ext,
				      struct endpoint rem, uint64_t now)
{
	uint32_t i = nat->h_ext[hash_ext(nat, proto, ext, rem.addr, rem.port) & nat->hmask];

	for (; i != NIL; i = nat->flows[i].next_ext) {
		struct nat_flow *f = &nat->flows[i];

		if (f->proto == proto && f->ext_port == ext && f->rem_addr == rem.addr &&
		    f->rem_port == rem.port)
			return flow_check_live(nat, i, now) ? f : NULL;
	}
	return NULL;
}

/* Reclaims expired flows among the next n slots. */
static unsigned flow_sweep(struct uwg_nat *nat, uint64_t now, unsigned n)
{
	unsigned freed = 0;

	for (unsigned k = 0; k < n && k < nat->nflows; k++) {
		uint32_t i = nat->gc_hand;

		nat->gc_hand = (i + 1 == nat->nflows) ? 0 : i + 1;
		if (nat->flows[i].proto && nat->flows[i].expires <= now) {
			flow_free(nat, i);
			nat->st.flows_expired++;
			freed++;
		}
	}
	return freed;
}

/* A free slot; when the table is full, evicts the earliest-expiring of a window. */
static uint32_t flow_slot(struct uwg_nat *nat, uint64_t now)
{
	uint32_t idx;

	if (nat->free_head == NIL) {
		uint32_t best = nat->evict_hand;

		for (unsigned k = 0; k < UWG_NAT_EVICT_SCAN && k < nat->nflows; k++) {
			uint32_t i = (uint32_t)((nat->evict_hand + k) % nat->nflows);

			if (nat->flows[i].expires < nat->flows[best].expires)
				best = i;
		}
		nat->evict_hand = (uint32_t)((nat->evict_hand + UWG_NAT_EVICT_SCAN) % nat->nflows);
		if (nat->flows[best].expires <= now)
			nat->st.flows_expired++;
		else
			nat->st.flows_evicted++;
		flow_free(nat, best);
	}
	idx = nat->free_head;
	nat->free_head = nat->flows[idx].next_int;
	return idx;
}

/*
 * External port for a new flow. First the port this inside endpoint already
 * uses (endpoint-independent mapping), then a port nobody uses, then a port
 * shared with other endpoints whose (port, remote) differs. The probe windows
 * are bounded so a nearly full pool costs a fixed amount per new flow.
 */
static bool pick_port(struct uwg_nat *nat, uint8_t proto, struct endpoint in, struct endpoint rem,
		      uint64_t now, uint16_t *out)
{
	struct pool *p = &nat->pools[pool_index(proto)];
	uint32_t i = nat->h_ep[hash_ep(nat, proto, in.addr, in.port) & nat->hmask];
	uint32_t start, probe;

	for (; i != NIL; i = nat->flows[i].next_ep) {
		const struct nat_flow *f = &nat->flows[i];

		if (f->proto == proto && f->int_addr == in.addr && f->int_port == in.port &&
		    f->expires > now) {
			if (!flow_find_ext(nat, proto, f->ext_port, rem, now)) {
				*out = f->ext_port;
				return true;
			}
			break;
		}
	}
	start = hash_ep(nat, proto, in.addr, in.port) % p->size;
	probe = p->size < 512 ? p->size : 512;
	for (uint32_t k = 0; k < probe; k++) {
		uint32_t off = (start + k) % p->size;

		if (p->refs[off] == 0) {
			*out = (uint16_t)(p->base + off);
			return true;
		}
	}
	probe = p->size < 64 ? p->size : 64;
	for (uint32_t k = 0; k < probe; k++) {
		uint16_t port = (uint16_t)(p->base + (start + k) % p->size);

		if (!flow_find_ext(nat, proto, port, rem, now)) {
			*out = port;
			return true;
		}
	}
	return false;
}

static struct nat_flow *flow_create(struct uwg_nat *nat, uint8_t proto, struct endpoint in,
				    struct endpoint rem, uint64_t now, enum uwg_nat_drop *reason)
{
	struct pool *p = &nat->pools[pool_index(proto)];
	struct nat_flow *f;
	uint16_t ext;
	uint32_t idx;

	if (!p->size || !nat->nflows) {
		*reason = UWG_NAT_DROP_NO_PORT;
		return NULL;
	}
	flow_sweep(nat, now, 4);
	idx = flow_slot(nat, now);
	if (!pick_port(nat, proto, in, rem, now, &ext)) {
		nat->flows[idx].next_int = nat->free_head;
		nat->free_head = idx;
		*reason = UWG_NAT_DROP_NO_PORT;
		return NULL;
	}
	f = &nat->flows[idx];
	f->proto = proto;
	f->flags = 0;
	f->int_addr = in.addr;
	f->int_port = in.port;
	f->rem_addr = rem.addr;
	f->rem_port = rem.port;
	f->ext_port = ext;
	f->expires = now + 1; /* set properly by flow_touch() */

	uint32_t *h = &nat->h_int[hash_int(nat, proto, in.addr, in.port, rem.addr, rem.port) &
				  nat->hmask];
	f->next_int = *h;
	*h = idx;
	h = &nat->h_ext[hash_ext(nat, proto, ext, rem.addr, rem.port) & nat->hmask];
	f->next_ext = *h;
	*h = idx;
	h = &nat->h_ep[hash_ep(nat, proto, in.addr, in.port) & nat->hmask];
	f->next_ep = *h;
	*h = idx;

	p->refs[ext - p->base]++;
	nat->active++;
	nat->st.flows_created++;
	return f;
}

/* Refreshes a flow's lifetime from the packet that used it. */
static void flow_touch(struct uwg_nat *nat, struct nat_flow *f, const struct view *v, bool reply,
		       uint64_t now)
{
	uint64_t to;

	if (f->proto == IPPROTO_TCP) {
		uint8_t fl = v->l4[13];

		/* A fresh SYN from inside on a closed tuple starts a new connection. */
		if (!reply && (fl & TCP_SYN) && !(fl & TCP_ACK))
			f->flags = 0;
		if (reply)
			f->flags |= F_REPLIED;
		if (fl & TCP_RST)
			f->flags |= F_RST;
		if (fl & TCP_FIN)
			f->flags |= F_FIN;
		if (f->flags & F_RST)
			to = nat->to_tcp_rst;
		else if (f->flags & F_FIN)
			to = nat->to_tcp_fin;
		else if (f->flags & F_REPLIED)
			to = nat->to_tcp_est;
		else
			to = nat->to_tcp_syn;
	} else if (f->proto == IPPROTO_UDP) {
		if (reply)
			f->flags |= F_REPLIED;
		to = (f->flags & F_REPLIED) ? nat->to_udp : nat->to_udp_unrep;
	} else {
		if (reply)
			f->flags |= F_REPLIED;
		to = nat->to_icmp;
	}
	f->expires = now + to;
}

/* ---- parsing ---- */

/* Fills the L4 part of a view; quoted is true inside ICMP errors (truncated L4). */
static bool parse_l4(struct view *v, bool quoted)
{
	uint8_t *l4 = v->l4;

	v->sport_p = v->dport_p = v->csum = NULL;
	v->sport = v->dport = 0;
	v->pseudo = v->udp = false;
	switch (v->proto) {
	case IPPROTO_TCP:
		if (v->l4len < (quoted ? 8u : 20u))
			return false;
		if (!quoted) {
			size_t doff = (size_t)(l4[12] >> 4) * 4;

			if (doff < 20 || doff > v->l4len)
				return false;
		}
		v->sport_p = l4;
		v->dport_p = l4 + 2;
		v->csum = v->l4len >= 18 ? l4 + 16 : NULL;
		v->pseudo = true;
		break;
	case IPPROTO_UDP:
		if (v->l4len < 8)
			return false;
		if (!quoted) {
			uint16_t ulen = uwg_get_be16(l4 + 4);

			if (ulen < 8 || ulen > v->l4len)
				return false;
		}
		v->sport_p = l4;
		v->dport_p = l4 + 2;
		v->csum = uwg_get_be16(l4 + 6) ? l4 + 6 : NULL;
		v->pseudo = true;
		v->udp = true;
		break;
	case IPPROTO_ICMP:
		if (v->l4len < 8)
			return false;
		v->icmp_type = l4[0];
		v->csum = l4 + 2;
		if (v->icmp_type == ICMP_ECHO_T)
			v->sport_p = l4 + 4;
		else if (v->icmp_type == ICMP_ECHOREPLY_T)
			v->dport_p = l4 + 4;
		break;
	default:
		return true;
	}
	if (v->sport_p)
		v->sport = uwg_get_be16(v->sport_p);
	if (v->dport_p)
		v->dport = uwg_get_be16(v->dport_p);
	return true;
}

enum parse_result { P_OK, P_OTHER, P_FRAG, P_BAD, P_BAD_CSUM };

static enum parse_result parse_outer(uint8_t *pkt, size_t len, struct view *v)
{
	size_t tot;

	if (len >= 1 && (pkt[0] >> 4) == 6)
		return P_OTHER; /* IPv6 is routed, never NATed */
	if (len < 20 || (pkt[0] >> 4) != 4)
		return P_BAD;
	v->ip = pkt;
	v->hlen = (size_t)(pkt[0] & 0x0f) * 4;
	tot = uwg_get_be16(pkt + 2);
	if (v->hlen < 20 || tot < v->hlen || tot > len)
		return P_BAD;
	if (!uwg_csum_ipv4_header_ok(pkt, v->hlen))
		return P_BAD_CSUM;
	v->proto = pkt[9];
	v->saddr = uwg_get_be32(pkt + 12);
	v->daddr = uwg_get_be32(pkt + 16);
	v->l4 = pkt + v->hlen;
	v->l4len = tot - v->hlen;
	if (v->proto != IPPROTO_TCP && v->proto != IPPROTO_UDP && v->proto != IPPROTO_ICMP)
		return P_OTHER;
	if (uwg_get_be16(pkt + 6) & 0x3fff)
		return P_FRAG;
	return parse_l4(v, false) ? P_OK : P_BAD;
}

/* The packet quoted in an ICMP error: a whole header and at least 8 L4 bytes. */
static bool parse_inner(uint8_t *p, size_t len, struct view *v)
{
	if (len < 28 || (p[0] >> 4) != 4)
		return false;
	v->ip = p;
	v->hlen = (size_t)(p[0] & 0x0f) * 4;
	if (v->hlen < 20 || v->hlen + 8 > len)
		return false;
	if (uwg_get_be16(p + 6) & 0x1fff) /* a later fragment carries no ports */
		return false;
	v->proto = p[9];
	if (v->proto != IPPROTO_TCP && v->proto != IPPROTO_UDP && v->proto != IPPROTO_ICMP)
		return false;
	v->saddr = uwg_get_be32(p + 12);
	v->daddr = uwg_get_be32(p + 16);
	v->l4 = p + v->hlen;
	v->l4len = len - v->hlen;
	return parse_l4(v, true);
}

static bool is_icmp_error(const struct view *v)
{
	return v->proto == IPPROTO_ICMP &&
	       (v->icmp_type == ICMP_UNREACH_T || v->icmp_type == ICMP_TIMXCEED_T ||
		v->icmp_type == ICMP_PARAMPROB_T);
}

/* ---- rewriting ---- */

/*
 * Eqn. 3 yields 0 where the covered data sums to -0; only all-zero data sums
 * to +0 and needs ffff. TCP/UDP (protocol in the pseudo header) never do, an
 * ICMP echo reply with id, seq and payload all zero does.
 */
static bool icmp_all_zero(const struct view *v)
{
	for (size_t i = 0; i < v->l4len; i++)
		if (v->l4[i] && (i < 2 || i > 3))
			return false;
	return true;
}

static void l4csum_update(struct view *v, uint16_t c)
{
	if (c == 0 && (v->udp || (!v->pseudo && icmp_all_zero(v))))
		c = 0xffff;
	uwg_put_be16(v->csum, c);
}

static void set_addr(struct view *v, bool src, uint32_t addr)
{
	uint8_t *p = v->ip + (src ? 12 : 16);
	uint32_t old = uwg_get_be32(p);

	if (old == addr)
		return;
	uwg_csum_field_update32(v->ip + 10, old, addr);
	if (v->csum && v->pseudo)
		l4csum_update(v, uwg_csum_update32(uwg_get_be16(v->csum), old, addr));
	uwg_put_be32(p, addr);
	if (src)
		v->saddr = addr;
	else
		v->daddr = addr;
}

static void set_port(struct view *v, bool src, uint16_t port)
{
	uint8_t *p = src ? v->sport_p : v->dport_p;
	uint16_t old;

	if (!p)
		return;
	old = uwg_get_be16(p);
	if (old == port)
		return;
	uwg_put_be16(p, port); /* first: l4csum_update() may look at the data */
	if (v->csum)
		l4csum_update(v, uwg_csum_update16(uwg_get_be16(v->csum), old, port));
	if (src)
		v->sport = port;
	else
		v->dport = port;
}

static void set_src(struct view *v, struct endpoint e)
{
	set_addr(v, true, e.addr);
	set_port(v, true, e.port);
}

static void set_dst(struct view *v, struct endpoint e)
{
	set_addr(v, false, e.addr);
	set_port(v, false, e.port);
}

/*
 * Lowers the MSS option of a SYN to the clamp. The option may sit at an odd
 * offset, so the change goes through the sum of the aligned 4 bytes around it.
 */
static void mss_clamp(struct uwg_nat *nat, struct view *v)
{
	size_t doff, i = 20;
	uint8_t *t = v->l4;

	if (!nat->cfg.mss_clamp || v->proto != IPPROTO_TCP || !(t[13] & TCP_SYN))
		return;
	doff = (size_t)(t[12] >> 4) * 4;
	while (i < doff) {
		uint8_t kind = t[i], olen;

		if (kind == 0)
			break;
		if (kind == 1) {
			i++;
			continue;
		}
		if (i + 1 >= doff)
			break;
		olen = t[i + 1];
		if (olen < 2 || i + olen > doff)
			break;
		if (kind == 2 && olen == 4 && uwg_get_be16(t + i + 2) > nat->cfg.mss_clamp) {
			/* odd: the value straddles two words, and i + 5 <= doff holds */
			size_t a = (i + 2) & ~(size_t)1, n = ((i + 2) & 1) ? 4 : 2;
			uint64_t before = uwg_csum_add(0, t + a, n);

			uwg_put_be16(t + i + 2, nat->cfg.mss_clamp);
			if (v->csum)
				uwg_put_be16(v->csum,
					     uwg_csum_update_sum(uwg_get_be16(v->csum), before,
								 uwg_csum_add(0, t + a, n)));
			nat->st.mss_clamped++;
		}
		i += olen;
	}
}

/* ---- translation ---- */

static bool masq_eligible(const struct uwg_nat *nat, uint32_t saddr)
{
	return nat->cfg.masquerade && saddr != nat->cfg.public_ip && is_inside(nat, saddr);
}

static enum uwg_nat_verdict translate_out(struct uwg_nat *nat, struct view *v, uint64_t now,
					  enum uwg_nat_drop *why)
{
	const uint32_t pub = nat->cfg.public_ip;
	const bool hairpin = v->daddr == pub;
	const struct map_slot *dm = NULL, *sm;
	struct nat_flow *sf = NULL, *df = NULL;
	struct endpoint s = { v->saddr, v->sport }, d = { v->daddr, v->dport };
	struct endpoint ns, nd = d;
	enum uwg_nat_drop reason;

	if (v->saddr == pub || is_special_dst(v->daddr) ||
	    (!hairpin && nat->cfg.inside_mask && is_inside(nat, v->daddr)))
		return not_ours(nat); /* tunnel-internal traffic is routed, not NATed */
	if (v->proto == IPPROTO_ICMP) {
		/* Echo requests to the public address are the host's to answer. */
		if (v->icmp_type != ICMP_ECHO_T || hairpin || !nat->pools[PI_ICMP].size)
			return not_ours(nat);
	} else if (hairpin) {
		dm = map_by_ext(nat, v->proto, v->dport, now);
		if (!dm && !in_pool(nat, v->proto, v->dport))
			return not_ours(nat); /* a host service reached through the tunnel */
	}

	sm = map_by_int(nat, v->proto, s.addr, s.port, now);
	if (sm) {
		ns = (struct endpoint){ pub, sm->m.ext_port };
	} else if ((hairpin && dm) || (!hairpin && masq_eligible(nat, s.addr))) {
		sf = flow_find_int(nat, v->proto, s, d, now);
		if (!sf)
			sf = flow_create(nat, v->proto, s, d, now, &reason);
		if (!sf)
			return drop(nat, reason, why);
		ns = (struct endpoint){ pub, sf->ext_port };
	} else if (hairpin) {
		/* Only a map endpoint can answer a hairpin flow on a pool port. */
		return drop(nat, UWG_NAT_DROP_NO_FLOW, why);
	} else {
		return not_ours(nat);
	}

	if (hairpin) {
		if (dm) {
			nd = (struct endpoint){ dm->m.int_addr, dm->m.int_port };
		} else {
			df = flow_find_ext(nat, v->proto, v->dport, ns, now);
			if (!df)
				return drop(nat, UWG_NAT_DROP_NO_FLOW, why);
			nd = (struct endpoint){ df->int_addr, df->int_port };
		}
	}

	set_src(v, ns);
	if (hairpin)
		set_dst(v, nd);
	mss_clamp(nat, v);
	if (sf)
		flow_touch(nat, sf, v, false, now);
	if (df)
		flow_touch(nat, df, v, true, now);
	if (hairpin) {
		nat->st.hairpin++;
		return UWG_NAT_TO_TUNNEL;
	}
	nat->st.out_translated++;
	return UWG_NAT_TO_WORLD;
}

static enum uwg_nat_verdict translate_in(struct uwg_nat *nat, struct view *v, uint64_t now,
					 enum uwg_nat_drop *why)
{
	const struct map_slot *m = NULL;
	struct nat_flow *f = NULL;
	struct endpoint nd;

	if (v->daddr != nat->cfg.public_ip)
		return not_ours(nat);
	if (v->proto == IPPROTO_ICMP) {
		if (v->icmp_type != ICMP_ECHOREPLY_T || !in_pool(nat, IPPROTO_ICMP, v->dport))
			return not_ours(nat);
	} else {
		m = map_by_ext(nat, v->proto, v->dport, now);
		if (!m && !in_pool(nat, v->proto, v->dport))
			return not_ours(nat);
	}
	if (v->saddr == nat->cfg.public_ip || (nat->cfg.inside_mask && is_inside(nat, v->saddr)))
		return drop(nat, UWG_NAT_DROP_SPOOFED, why);
	if (m) {
		nd = (struct endpoint){ m->m.int_addr, m->m.int_port };
	} else {
		f = flow_find_ext(nat, v->proto, v->dport,
				  (struct endpoint){ v->saddr, v->sport }, now);
		if (!f)
			return drop(nat, UWG_NAT_DROP_NO_FLOW, why);
		nd = (struct endpoint){ f->int_addr, f->int_port };
	}
	set_dst(v, nd);
	mss_clamp(nat, v);
	if (f)
		flow_touch(nat, f, v, true, now);
	nat->st.in_translated++;
	return UWG_NAT_TO_TUNNEL;
}

/*
 * Rewrites the quoted packet of an ICMP error and folds the change into the
 * ICMP checksum through the sum of the rewritten region (quoted IP header
 * plus the first 20 L4 bytes: ports, id and every quoted checksum).
 */
static void rewrite_quoted(struct view *outer, struct view *in, const struct endpoint *src,
			   const struct endpoint *dst)
{
	size_t avail = outer->l4len - 8;
	size_t n = in->hlen + 20 < avail ? in->hlen + 20 : avail;
	uint64_t before = uwg_csum_add(0, in->ip, n);

	if (src)
		set_src(in, *src);
	if (dst)
		set_dst(in, *dst);
	uwg_put_be16(outer->csum, uwg_csum_update_sum(uwg_get_be16(outer->csum), before,
						      uwg_csum_add(0, in->ip, n)));
}

/*
 * An ICMP error from a tunnel client about a packet it received from us. The
 * quoted packet went world -> client, so its reverse (quoted dst -> quoted
 * src) is an outbound packet: translate that tuple with lookups only.
 */
static enum uwg_nat_verdict icmp_error_out(struct uwg_nat *nat, struct view *o, uint64_t now,
					   enum uwg_nat_drop *why)
{
	const uint32_t pub = nat->cfg.public_ip;
	struct view in;
	struct endpoint vs, vd, ns, nd;
	const struct map_slot *m;
	bool hairpin;

	if (!parse_inner(o->l4 + 8, o->l4len - 8, &in))
		return drop(nat, UWG_NAT_DROP_MALFORMED, why);
	vs = (struct endpoint){ in.daddr, in.dport };
	vd = (struct endpoint){ in.saddr, in.sport };
	hairpin = vd.addr == pub;

	m = map_by_int(nat, in.proto, vs.addr, vs.port, now);
	if (m) {
		ns = (struct endpoint){ pub, m->m.ext_port };
	} else {
		const struct nat_flow *f = in.proto == IPPROTO_ICMP && in.icmp_type != ICMP_ECHOREPLY_T
						   ? NULL
						   : flow_find_int(nat, in.proto, vs, vd, now);

		if (!f)
			return not_ours(nat);
		ns = (struct endpoint){ pub, f->ext_port };
	}
	if (hairpin) {
		const struct map_slot *dm = map_by_ext(nat, in.proto, vd.port, now);

		if (dm) {
			nd = (struct endpoint){ dm->m.int_addr, dm->m.int_port };
		} else {
			const struct nat_flow *df = in_pool(nat, in.proto, vd.port)
							    ? flow_find_ext(nat, in.proto, vd.port,
									    ns, now)
							    : NULL;
			if (!df)
				return drop(nat, UWG_NAT_DROP_NO_FLOW, why);
			nd = (struct endpoint){ df->int_addr, df->int_port };
		}
	}
	rewrite_quoted(o, &in, hairpin ? &nd : NULL, &ns);
	set_addr(o, true, pub);
	nat->st.icmp_errors++;
	if (hairpin) {
		set_addr(o, false, nd.addr);
		nat->st.hairpin++;
		return UWG_NAT_TO_TUNNEL;
	}
	nat->st.out_translated++;
	return UWG_NAT_TO_WORLD;
}

/*
 * An ICMP error from the world about a packet we sent from the public
 * address: the quoted source is public:ext, so undo the map or the flow.
 */
static enum uwg_nat_verdict icmp_error_in(struct uwg_nat *nat, struct view *o, uint64_t now,
					  enum uwg_nat_drop *why)
{
	const uint32_t pub = nat->cfg.public_ip;
	struct view in;
	struct endpoint nd;
	const struct map_slot *m = NULL;

	if (o->daddr != pub)
		return not_ours(nat);
	if (!parse_inner(o->l4 + 8, o->l4len - 8, &in))
		return drop(nat, UWG_NAT_DROP_MALFORMED, why);
	if (in.saddr != pub)
		return not_ours(nat);
	if (in.proto == IPPROTO_ICMP) {
		if (in.icmp_type != ICMP_ECHO_T || !in_pool(nat, IPPROTO_ICMP, in.sport))
			return not_ours(nat);
	} else {
		m = map_by_ext(nat, in.proto, in.sport, now);
		if (!m && !in_pool(nat, in.proto, in.sport))
			return not_ours(nat); /* about the host's own traffic */
	}
	if (o->saddr == pub || (nat->cfg.inside_mask && is_inside(nat, o->saddr)))
		return drop(nat, UWG_NAT_DROP_SPOOFED, why);
	if (m) {
		nd = (struct endpoint){ m->m.int_addr, m->m.int_port };
	} else {
		const struct nat_flow *f = flow_find_ext(
			nat, in.proto, in.sport, (struct endpoint){ in.daddr, in.dport }, now);

		if (!f)
			return drop(nat, UWG_NAT_DROP_NO_FLOW, why);
		nd = (struct endpoint){ f->int_addr, f->int_port };
	}
	rewrite_quoted(o, &in, &nd, NULL);
	set_addr(o, false, nd.addr);
	nat->st.icmp_errors++;
	nat->st.in_translated++;
	return UWG_NAT_TO_TUNNEL;
}

static enum uwg_nat_verdict parse_fail(struct uwg_nat *nat, enum parse_result r,
				       enum uwg_nat_drop *why)
{
	switch (r) {
	case P_BAD_CSUM:
		return drop(nat, UWG_NAT_DROP_BAD_CSUM, why);
	case P_FRAG:
		return drop(nat, UWG_NAT_DROP_FRAGMENT, why);
	case P_OTHER:
		return not_ours(nat);
	case P_OK:
	case P_BAD:
		break;
	}
	return drop(nat, UWG_NAT_DROP_MALFORMED, why);
}

enum uwg_nat_verdict uwg_nat_outbound(struct uwg_nat *nat, uint8_t *pkt, size_t len,
				      uint64_t now_ns, enum uwg_nat_drop *why)
{
	struct view v;
	enum parse_result r = parse_outer(pkt, len, &v);

	if (why)
		*why = UWG_NAT_DROP_NONE;
	if (r == P_FRAG &&
	    (v.daddr == nat->cfg.public_ip || !nat->cfg.masquerade || !is_inside(nat, v.saddr)))
		return not_ours(nat); /* the host stack's, or not NAT traffic at all */
	if (r != P_OK)
		return parse_fail(nat, r, why);
	if (is_icmp_error(&v))
		return icmp_error_out(nat, &v, now_ns, why);
	return translate_out(nat, &v, now_ns, why);
}

enum uwg_nat_verdict uwg_nat_inbound(struct uwg_nat *nat, uint8_t *pkt, size_t len,
				     uint64_t now_ns, enum uwg_nat_drop *why)
{
	struct view v;
	enum parse_result r = parse_outer(pkt, len, &v);

	if (why)
		*why = UWG_NAT_DROP_NONE;
	if (r == P_FRAG && v.daddr != nat->cfg.public_ip)
		return not_ours(nat);
	if (r != P_OK)
		return parse_fail(nat, r, why);
	if (is_icmp_error(&v))
		return icmp_error_in(nat, &v, now_ns, why);
	return translate_in(nat, &v, now_ns, why);
}

/* ---- lifecycle, housekeeping ---- */

unsigned uwg_nat_expire(struct uwg_nat *nat, uint64_t now_ns, unsigned budget,
			void (*map_expired)(void *ctx, const struct uwg_nat_map *map), void *ctx)
{
	unsigned n = 0;

	for (uint32_t i = 0; i < nat->maps_cap; i++) {
		struct map_slot *s = &nat->maps[i];

		if (s->used && !live(s->m.expires_ns, now_ns)) {
			if (map_expired)
				map_expired(ctx, &s->m);
			map_remove(nat, s);
			nat->st.maps_expired++;
			n++;
		}
	}
	return n + flow_sweep(nat, now_ns, budget);
}

void uwg_nat_get_stats(const struct uwg_nat *nat, struct uwg_nat_stats *out)
{
	*out = nat->st;
	out->flows_active = nat->active;
	out->maps_active = nat->maps_used;
}

const char *uwg_nat_drop_str(enum uwg_nat_drop why)
{
	switch (why) {
	case UWG_NAT_DROP_NONE:
		return "none";
	case UWG_NAT_DROP_MALFORMED:
		return "malformed";
	case UWG_NAT_DROP_BAD_CSUM:
		return "bad-ip-checksum";
	case UWG_NAT_DROP_FRAGMENT:
		return "fragment";
	case UWG_NAT_DROP_NO_FLOW:
		return "no-flow";
	case UWG_NAT_DROP_NO_PORT:
		return "no-port";
	case UWG_NAT_DROP_SPOOFED:
		return "spoofed";
	case UWG_NAT_DROP_COUNT:
		break;
	}
	return "?";
}

uint16_t uwg_nat_mss_for_mtu(unsigned mtu)
{
	if (mtu < 40 + 88) /* below any sane IPv4 MSS (RFC 791 minimum MTU 68) */
		return 0;
	return (uint16_t)((mtu > 65535 ? 65535 : mtu) - 40);
}

static uint32_t pow2_at_least(uint32_t n)
{
	uint32_t p = 1;

	while (p < n)
		p <<= 1;
	return p;
}

static uint64_t timeout_ns(uint32_t s, uint32_t dflt)
{
	return (uint64_t)(s ? s : dflt) * NS_PER_S;
}

static bool range_ok(uint16_t lo, uint16_t hi)
{
	return lo == 0 || lo <= hi;
}

int uwg_nat_new(struct uwg_nat **out, const struct uwg_nat_config *cfg)
{
	struct uwg_nat *nat;
	uint32_t nb;

	*out = NULL;
	if (!cfg->public_ip || !range_ok(cfg->port_min, cfg->port_max) ||
	    !range_ok(cfg->icmp_id_min, cfg->icmp_id_max) || (cfg->masquerade && !cfg->port_min) ||
	    cfg->max_flows > (1u << 22) || cfg->max_maps > 65536)
		return -EINVAL;
	nat = calloc(1, sizeof(*nat));
	if (!nat)
		return -ENOMEM;
	nat->cfg = *cfg;
	if (!nat->cfg.max_flows)
		nat->cfg.max_flows = UWG_NAT_DEFAULT_MAX_FLOWS;
	if (!nat->cfg.max_maps)
		nat->cfg.max_maps = UWG_NAT_DEFAULT_MAX_MAPS;
	nat->to_tcp_syn = timeout_ns(cfg->timeouts.tcp_syn_s, UWG_NAT_TCP_SYN_S);
	nat->to_tcp_est = timeout_ns(cfg->timeouts.tcp_est_s, UWG_NAT_TCP_EST_S);
	nat->to_tcp_fin = timeout_ns(cfg->timeouts.tcp_fin_s, UWG_NAT_TCP_FIN_S);
	nat->to_tcp_rst = timeout_ns(cfg->timeouts.tcp_rst_s, UWG_NAT_TCP_RST_S);
	nat->to_udp = timeout_ns(cfg->timeouts.udp_s, UWG_NAT_UDP_S);
	nat->to_udp_unrep = timeout_ns(cfg->timeouts.udp_unreplied_s, UWG_NAT_UDP_UNREPLIED_S);
	nat->to_icmp = timeout_ns(cfg->timeouts.icmp_s, UWG_NAT_ICMP_S);

	nat->nflows = nat->cfg.max_flows;
	nb = pow2_at_least(nat->nflows);
	nat->hmask = nb - 1;
	nat->flows = calloc(nat->nflows, sizeof(*nat->flows));
	nat->h_int = malloc(nb * sizeof(uint32_t));
	nat->h_ext = malloc(nb * sizeof(uint32_t));
	nat->h_ep = malloc(nb * sizeof(uint32_t));

	nat->maps_cap = nat->cfg.max_maps;
	nb = pow2_at_least(2 * nat->maps_cap);
	nat->mhmask = nb - 1;
	nat->maps = calloc(nat->maps_cap, sizeof(*nat->maps));
	nat->mh_ext = malloc(nb * sizeof(uint32_t));
	nat->mh_int = malloc(nb * sizeof(uint32_t));

	nat->pools[PI_TCP].base = nat->pools[PI_UDP].base = cfg->port_min;
	if (cfg->port_min)
		nat->pools[PI_TCP].size = nat->pools[PI_UDP].size =
			(uint32_t)(cfg->port_max - cfg->port_min) + 1;
	nat->pools[PI_ICMP].base = cfg->icmp_id_min;
	if (cfg->icmp_id_min)
		nat->pools[PI_ICMP].size = (uint32_t)(cfg->icmp_id_max - cfg->icmp_id_min) + 1;
	for (int i = 0; i < PI_COUNT; i++)
		nat->pools[i].refs = calloc(nat->pools[i].size ? nat->pools[i].size : 1,
					    sizeof(uint32_t));

	if (!nat->flows || !nat->h_int || !nat->h_ext || !nat->h_ep || !nat->maps ||
	    !nat->mh_ext || !nat->mh_int || !nat->pools[0].refs || !nat->pools[1].refs ||
	    !nat->pools[2].refs) {
		uwg_nat_free(nat);
		return -ENOMEM;
	}
	memset(nat->h_int, 0xff, (size_t)(nat->hmask + 1) * sizeof(uint32_t));
	memset(nat->h_ext, 0xff, (size_t)(nat->hmask + 1) * sizeof(uint32_t));
	memset(nat->h_ep, 0xff, (size_t)(nat->hmask + 1) * sizeof(uint32_t));
	memset(nat->mh_ext, 0xff, (size_t)(nat->mhmask + 1) * sizeof(uint32_t));
	memset(nat->mh_int, 0xff, (size_t)(nat->mhmask + 1) * sizeof(uint32_t));
	for (uint32_t i = 0; i < nat->nflows; i++) {
		nat->flows[i].next_int = i + 1 < nat->nflows ? i + 1 : NIL;
		nat->flows[i].next_ext = nat->flows[i].next_ep = NIL;
	}
	nat->free_head = nat->nflows ? 0 : NIL;
	for (uint32_t i = 0; i < nat->maps_cap; i++)
		nat->maps[i].next_ext = nat->maps[i].next_int = NIL;
	*out = nat;
	return 0;
}

void uwg_nat_free(struct uwg_nat *nat)
{
	if (!nat)
		return;
	free(nat->flows);
	free(nat->h_int);
	free(nat->h_ext);
	free(nat->h_ep);
	free(nat->maps);
	free(nat->mh_ext);
	free(nat->mh_int);
	for (int i = 0; i < PI_COUNT; i++)
		free(nat->pools[i].refs);
	free(nat);
}
