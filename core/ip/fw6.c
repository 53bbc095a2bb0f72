/*
 * core/ip/fw6.c - the stateful IPv6 firewall (see fw6.h for the policy and
 * the eviction rules). Owns the IPv6 header walk, the fixed flow table with
 * its keyed hash index and per-owner LRU lists, the owner table with its
 * idle list, the pinhole table with its id and match-key indices, and the
 * small table of first fragments that passed. Every table is one array
 * allocated by uwg_fw6_new() and linked by index. Loop thread only.
 */
#include "core/ip/fw6.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/ip/checksum.h"
#include "core/ip/keyhash.h"

#define NIL UINT32_MAX
#define NS_PER_S 1000000000ull

enum {
	IP6_HLEN = 40,
	EXT_MAX = 8, /* extension headers walked; one more is MALFORMED */
	FRAG_WAYS = 4,
	FRAG_SETS = 64, /* 256 remembered first fragments */
	ID_MAX = 65535,
};

enum {
	NH_HOPOPTS = 0,
	NH_TCP = 6,
	NH_UDP = 17,
	NH_ROUTING = 43,
	NH_FRAGMENT = 44,
	NH_AH = 51,
	NH_ICMPV6 = 58,
	NH_NONE = 59,
	NH_DSTOPTS = 60,
};

enum {
	TCP_FIN = 0x01,
	TCP_SYN = 0x02,
	TCP_RST = 0x04,
	TCP_ACK = 0x10,
};

/* Flow states; each has its own timeout. 0 marks a free slot. */
enum flow_state {
	S_FREE,
	S_TCP_SYN,
	S_TCP_EST,
	S_TCP_FIN,
	S_TCP_RST,
	S_UDP_UNREPLIED,
	S_UDP,
	S_OTHER,
	S_COUNT
};

/* Hash domains: the same words never hash alike in two tables. */
enum { D_FLOW = 1, D_OWNER, D_PINHOLE, D_FRAG };

struct flow {
	uint8_t cli[16], rem[16];
	uint64_t owner;
	uint64_t expires;
	uint32_t oidx;               /* owner slot; NIL: slot free */
	uint32_t next;               /* hash chain; the free list when free */
	uint32_t lru_prev, lru_next; /* the owner's flows, least recently used first */
	uint16_t cport, rport;
	uint8_t proto;
	uint8_t state; /* enum flow_state */
};

struct owner {
	uint64_t tag; /* 0: slot free */
	struct uwg_fw6_owner_stats st;
	uint32_t next;               /* hash chain; the free list when free */
	uint32_t lru_head, lru_tail; /* its flows */
	uint32_t ph_head;            /* its pinholes */
	uint32_t idle_prev, idle_next;
	bool idle; /* holds no flow and no pinhole: may be recycled */
};

struct ph_slot {
	struct uwg_fw6_pinhole p;
	uint32_t oidx;               /* owner slot; NIL: slot free */
	uint32_t next_id;            /* id chain; the free list when free */
	uint32_t next_key;           /* match-key chain */
	uint32_t own_prev, own_next; /* the owner's pinholes */
};

struct frag {
	uint8_t src[16], dst[16];
	uint64_t owner;
	uint64_t expires; /* 0: empty */
	uint32_t id;
};

struct uwg_fw6 {
	struct uwg_fw6_config cfg;
	uint64_t timeout[S_COUNT];

	struct flow *flows;
	uint32_t nflows, free_flow, fhmask;
	uint32_t *fh;
	uint32_t evict_hand, gc_hand;

	struct owner *owners;
	uint32_t nowners, free_owner, ohmask;
	uint32_t *oh;
	uint32_t idle_head, idle_tail;

	struct ph_slot *ph;
	uint32_t nph, free_ph, idmask, khmask;
	uint32_t *ph_id, *ph_key;
	uint16_t next_id;
	uint32_t ph_hand;
	uint64_t ids_held[(ID_MAX + 1) / 64]; /* listing in id order skips 64 free ids a word */

	struct frag frags[FRAG_SETS * FRAG_WAYS];

	struct uwg_fw6_stats st;
};

/* What the firewall needs of a packet. */
struct pkt {
	const uint8_t *src, *dst;
	uint8_t proto;  /* after the extension headers; NH_NONE: no L4 */
	bool l4;        /* ports, flags, type known: false for a non-first fragment */
	bool more;      /* a first fragment with more to come */
	uint32_t frag_id;
	uint16_t sport, dport;
	uint8_t tcp_flags;
	uint8_t icmp_type, icmp_code;
};

/* A flow's identity from the client's side. */
struct key {
	const uint8_t *cli, *rem;
	uint64_t owner;
	uint16_t cport, rport;
	uint8_t proto;
};

static const uint8_t zero16[16];

/* ---- keyed hash (core/ip/keyhash.h): clients choose every key ---- */

static uint32_t hashn(const struct uwg_fw6 *fw, const uint64_t *m, size_t n)
{
	return uwg_keyhash(fw->cfg.hash_key, m, n);
}

/* An address as two hash words (host byte order does not matter to a hash). */
static void addr_words(uint64_t *w, const uint8_t *a)
{
	memcpy(&w[0], a, 8);
	memcpy(&w[1], a + 8, 8);
}

static uint32_t hash_flow(const struct uwg_fw6 *fw, const struct key *k)
{
	uint64_t m[6];

	addr_words(m, k->cli);
	addr_words(m + 2, k->rem);
	m[4] = k->owner;
	m[5] = (uint64_t)D_FLOW << 48 | (uint64_t)k->proto << 32 | (uint64_t)k->cport << 16 |
	       k->rport;
	return hashn(fw, m, 6);
}

static uint32_t hash_owner(const struct uwg_fw6 *fw, uint64_t tag)
{
	uint64_t m[2] = { tag, (uint64_t)D_OWNER << 48 };

	return hashn(fw, m, 2);
}

/*
 * Pinholes are indexed by what an inbound packet shows, without the owner:
 * another owner's pinhole on the same five must be in the same chain for
 * -EEXIST.
 */
static uint32_t hash_ph(const struct uwg_fw6 *fw, uint8_t proto, const uint8_t *addr,
			uint16_t port)
{
	uint64_t m[3];

	addr_words(m, addr);
	m[2] = (uint64_t)D_PINHOLE << 48 | (uint64_t)proto << 16 | port;
	return hashn(fw, m, 3);
}

static uint32_t hash_frag(const struct uwg_fw6 *fw, const struct pkt *v, uint64_t owner)
{
	uint64_t m[6];

	addr_words(m, v->src);
	addr_words(m + 2, v->dst);
	m[4] = owner;
	m[5] = (uint64_t)D_FRAG << 48 | v->frag_id;
	return hashn(fw, m, 6);
}

/* ---- parsing ---- */

static bool parse_l4(const uint8_t *l4, size_t n, struct pkt *v)
{
	size_t doff, ulen;

	v->l4 = true;
	switch (v->proto) {
	case NH_TCP:
		if (n < 20)
			return false;
		doff = (size_t)(l4[12] >> 4) * 4;
		if (doff < 20 || doff > n)
			return false;
		v->sport = uwg_get_be16(l4);
		v->dport = uwg_get_be16(l4 + 2);
		v->tcp_flags = l4[13];
		return true;
	case NH_UDP:
		if (n < 8)
			return false;
		/* A first fragment holds only part of what the length covers. */
		ulen = uwg_get_be16(l4 + 4);
		if (ulen < 8 || (!v->more && ulen > n))
			return false;
		v->sport = uwg_get_be16(l4);
		v->dport = uwg_get_be16(l4 + 2);
		return true;
	case NH_ICMPV6:
		if (n < 4)
			return false;
		v->icmp_type = l4[0];
		v->icmp_code = l4[1];
		return true;
	default:
		return true; /* tracked by addresses alone; NH_NONE has nothing to read */
	}
}

/*
 * The IPv6 header and its extension header chain (RFC 8200 4, AH per RFC
 * 4302 2.2). RFC 7112 makes the whole chain and the L4 header part of the
 * first fragment, so one that does not hold them is malformed. A non-first
 * fragment stops the walk: its L4 header is elsewhere.
 */
static bool parse(const uint8_t *p, size_t len, struct pkt *v)
{
	size_t end, off = IP6_HLEN;
	uint8_t nh;
	bool frag_seen = false;

	memset(v, 0, sizeof(*v));
	if (len < IP6_HLEN || (p[0] >> 4) != 6)
		return false;
	end = IP6_HLEN + (size_t)uwg_get_be16(p + 4);
	if (end > len)
		return false; /* truncated (or a jumbogram, which no TUN carries) */
	v->src = p + 8;
	v->dst = p + 24;
	nh = p[6];
	for (unsigned n = 0;; n++) {
		size_t hl;
		uint16_t fo;

		switch (nh) {
		case NH_HOPOPTS:
		case NH_ROUTING:
		case NH_DSTOPTS:
		case NH_AH:
			if (nh == NH_HOPOPTS && n > 0)
				return false; /* only right after the IPv6 header (RFC 8200 4.1) */
			if (end - off < 2)
				return false;
			if (nh == NH_AH)
				hl = ((size_t)p[off + 1] + 2) * 4;
			else
				hl = ((size_t)p[off + 1] + 1) * 8;
			break;
		case NH_FRAGMENT:
			if (end - off < 8 || frag_seen)
				return false;
			frag_seen = true;
			hl = 8;
			fo = uwg_get_be16(p + off + 2);
			v->frag_id = uwg_get_be32(p + off + 4);
			if (fo & 0xfff8) {
				v->proto = p[off];
				return true;
			}
			v->more = fo & 1; /* offset 0 without M: an atomic fragment (RFC 6946) */
			break;
		default:
			v->proto = nh;
			return parse_l4(p + off, end - off, v);
		}
		if (n == EXT_MAX || end - off < hl)
			return false;
		nh = p[off];
		off += hl;
	}
}

/* RFC 4890 4.3.1 (must not drop) and 4.3.2 (normally not dropped). */
static bool icmp_passes(uint8_t type, uint8_t code)
{
	switch (type) {
	case 1:   /* destination unreachable */
	case 2:   /* packet too big */
	case 128: /* echo request */
	case 129: /* echo reply */
	case 144: /* home agent address discovery request */
	case 145: /* ... reply */
	case 146: /* mobile prefix solicitation */
	case 147: /* mobile prefix advertisement */
		return true;
	case 3: /* time exceeded: hop limit (4.3.1), reassembly (4.3.2) */
		return code <= 1;
	case 4: /* parameter problem: codes 1-2 (4.3.1), code 0 (4.3.2) */
		return code <= 2;
	default:
		return false;
	}
}

static bool live(uint64_t expires, uint64_t now)
{
	return expires > now;
}

/* ---- owners ---- */

static void idle_unlink(struct uwg_fw6 *fw, uint32_t o)
{
	struct owner *w = &fw->owners[o];

	if (!w->idle)
		return;
	if (w->idle_prev != NIL)
		fw->owners[w->idle_prev].idle_next = w->idle_next;
	else
		fw->idle_head = w->idle_next;
	if (w->idle_next != NIL)
		fw->owners[w->idle_next].idle_prev = w->idle_prev;
	else
		fw->idle_tail = w->idle_prev;
	w->idle_prev = w->idle_next = NIL;
	w->idle = false;
}

static void idle_push(struct uwg_fw6 *fw, uint32_t o)
{
	struct owner *w = &fw->owners[o];

	w->idle_next = NIL;
	w->idle_prev = fw->idle_tail;
	if (fw->idle_tail != NIL)
		fw->owners[fw->idle_tail].idle_next = o;
	else
		fw->idle_head = o;
	fw->idle_tail = o;
	w->idle = true;
}

/* Keeps the idle list to exactly the owners holding nothing. */
static void owner_settle(struct uwg_fw6 *fw, uint32_t o)
{
	struct owner *w = &fw->owners[o];

	if (w->st.flows || w->st.pinholes)
		idle_unlink(fw, o);
	else if (!w->idle)
		idle_push(fw, o);
}

static uint32_t owner_find(const struct uwg_fw6 *fw, uint64_t tag)
{
	uint32_t i;

	if (!tag)
		return NIL;
	for (i = fw->oh[hash_owner(fw, tag) & fw->ohmask]; i != NIL; i = fw->owners[i].next)
		if (fw->owners[i].tag == tag)
			return i;
	return NIL;
}

static void owner_unhash(struct uwg_fw6 *fw, uint32_t o)
{
	uint32_t *pp = &fw->oh[hash_owner(fw, fw->owners[o].tag) & fw->ohmask];

	while (*pp != NIL) {
		if (*pp == o) {
			*pp = fw->owners[o].next;
			return;
		}
		pp = &fw->owners[*pp].next;
	}
}

/* Only for an owner holding nothing: its lists are empty. */
static void owner_free(struct uwg_fw6 *fw, uint32_t o)
{
	struct owner *w = &fw->owners[o];

	owner_unhash(fw, o);
	idle_unlink(fw, o);
	memset(w, 0, sizeof(*w));
	w->lru_head = w->lru_tail = w->ph_head = w->idle_prev = w->idle_next = NIL;
	w->next = fw->free_owner;
	fw->free_owner = o;
}

/*
 * The owner's slot, made if needed: from the free list, else recycling the
 * least recently seen of the owners holding nothing. NIL when every owner
 * holds state.
 */
static uint32_t owner_get(struct uwg_fw6 *fw, uint64_t tag)
{
	uint32_t o = owner_find(fw, tag), h;
	struct owner *w;

	if (o != NIL) {
		if (fw->owners[o].idle) { /* LRU among idle owners: recycling spares this one */
			idle_unlink(fw, o);
			idle_push(fw, o);
		}
		return o;
	}
	if (!tag)
		return NIL;
	if (fw->free_owner == NIL) {
		if (fw->idle_head == NIL)
			return NIL;
		owner_free(fw, fw->idle_head);
		fw->st.owners_evicted++;
	}
	o = fw->free_owner;
	w = &fw->owners[o];
	fw->free_owner = w->next;
	w->tag = tag;
	h = hash_owner(fw, tag) & fw->ohmask;
	w->next = fw->oh[h];
	fw->oh[h] = o;
	idle_push(fw, o);
	return o;
}

/* ---- flows ---- */

static bool flow_matches(const struct flow *f, const struct key *k)
{
	return f->state != S_FREE && f->owner == k->owner && f->proto == k->proto &&
	       f->cport == k->cport && f->rport == k->rport && !memcmp(f->cli, k->cli, 16) &&
	       !memcmp(f->rem, k->rem, 16);
}

static void lru_unlink(struct uwg_fw6 *fw, uint32_t i)
{
	struct flow *f = &fw->flows[i];
	struct owner *w = &fw->owners[f->oidx];

	if (f->lru_prev != NIL)
		fw->flows[f->lru_prev].lru_next = f->lru_next;
	else
		w->lru_head = f->lru_next;
	if (f->lru_next != NIL)
		fw->flows[f->lru_next].lru_prev = f->lru_prev;
	else
		w->lru_tail = f->lru_prev;
}

static void lru_append(struct uwg_fw6 *fw, uint32_t i)
{
	struct flow *f = &fw->flows[i];
	struct owner *w = &fw->owners[f->oidx];

	f->lru_next = NIL;
	f->lru_prev = w->lru_tail;
	if (w->lru_tail != NIL)
		fw->flows[w->lru_tail].lru_next = i;
	else
		w->lru_head = i;
	w->lru_tail = i;
}

static void flow_free(struct uwg_fw6 *fw, uint32_t i)
{
	struct flow *f = &fw->flows[i];
	struct key k = { f->cli, f->rem, f->owner, f->cport, f->rport, f->proto };
	uint32_t *pp = &fw->fh[hash_flow(fw, &k) & fw->fhmask];
	uint32_t o = f->oidx;

	while (*pp != NIL) {
		if (*pp == i) {
			*pp = f->next;
			break;
		}
		pp = &fw->flows[*pp].next;
	}
	lru_unlink(fw, i);
	fw->owners[o].st.flows--;
	owner_settle(fw, o);
	memset(f, 0, sizeof(*f));
	f->oidx = f->lru_prev = f->lru_next = NIL;
	f->next = fw->free_flow;
	fw->free_flow = i;
	fw->st.flows_active--;
}

/* Frees a flow to make room: an expired one was due anyway, a live one is an eviction. */
static void flow_reclaim(struct uwg_fw6 *fw, uint32_t i, uint64_t now)
{
	struct flow *f = &fw->flows[i];

	if (live(f->expires, now)) {
		fw->st.flows_evicted++;
		fw->owners[f->oidx].st.evicted++;
	} else {
		fw->st.flows_expired++;
	}
	flow_free(fw, i);
}

/* The live flow of that key, or NIL; an expired one found on the way is reclaimed. */
static uint32_t flow_find(struct uwg_fw6 *fw, const struct key *k, uint64_t now)
{
	uint32_t i;

	for (i = fw->fh[hash_flow(fw, k) & fw->fhmask]; i != NIL; i = fw->flows[i].next) {
		if (!flow_matches(&fw->flows[i], k))
			continue;
		if (live(fw->flows[i].expires, now))
			return i;
		flow_free(fw, i);
		fw->st.flows_expired++;
		return NIL;
	}
	return NIL;
}

/* A slot for owner o's next flow: its own LRU flow at its cap, else the table's. */
static uint32_t flow_slot(struct uwg_fw6 *fw, uint32_t o, uint64_t now)
{
	uint32_t i;

	if (fw->owners[o].st.flows >= fw->cfg.max_flows_per_owner)
		flow_reclaim(fw, fw->owners[o].lru_head, now);
	if (fw->free_flow == NIL) {
		uint32_t best = fw->evict_hand;

		for (uint32_t k = 1; k < UWG_FW6_EVICT_SCAN && k < fw->nflows; k++) {
			uint32_t j = (uint32_t)((fw->evict_hand + k) % fw->nflows);

			if (fw->flows[j].expires < fw->flows[best].expires)
				best = j;
		}
		fw->evict_hand = (uint32_t)((fw->evict_hand + UWG_FW6_EVICT_SCAN) % fw->nflows);
		flow_reclaim(fw, best, now);
	}
	i = fw->free_flow;
	fw->free_flow = fw->flows[i].next;
	return i;
}

static uint32_t flow_create(struct uwg_fw6 *fw, uint32_t o, const struct key *k, uint8_t state,
			    uint64_t now)
{
	uint32_t i = flow_slot(fw, o, now), h;
	struct flow *f = &fw->flows[i];

	memcpy(f->cli, k->cli, 16);
	memcpy(f->rem, k->rem, 16);
	f->owner = k->owner;
	f->cport = k->cport;
	f->rport = k->rport;
	f->proto = k->proto;
	f->state = state;
	f->oidx = o;
	h = hash_flow(fw, k) & fw->fhmask;
	f->next = fw->fh[h];
	fw->fh[h] = i;
	lru_append(fw, i);
	fw->owners[o].st.flows++;
	owner_settle(fw, o);
	fw->st.flows_created++;
	fw->st.flows_active++;
	return i;
}

/*
 * A home router's TCP tracking, no sequence numbers: an RST ends the tuple, a
 * FIN starts the close, a pure SYN from the client opens the tuple anew, and
 * any reply to an opening makes it established.
 */
static void tcp_track(struct flow *f, uint8_t fl, bool inbound)
{
	if (fl & TCP_RST)
		f->state = S_TCP_RST;
	else if (!inbound && (fl & (TCP_SYN | TCP_ACK | TCP_FIN)) == TCP_SYN)
		f->state = S_TCP_SYN;
	else if (fl & TCP_FIN)
		f->state = f->state == S_TCP_RST ? S_TCP_RST : S_TCP_FIN;
	else if (inbound && f->state == S_TCP_SYN)
		f->state = S_TCP_EST;
}

/* A packet of flow i went through: new state, new lease, most recently used. */
static void flow_touch(struct uwg_fw6 *fw, uint32_t i, const struct pkt *v, bool inbound,
		       uint64_t now)
{
	struct flow *f = &fw->flows[i];

	if (f->proto == NH_TCP)
		tcp_track(f, v->tcp_flags, inbound);
	else if (f->proto == NH_UDP && inbound)
		f->state = S_UDP;
	f->expires = now + fw->timeout[f->state];
	lru_unlink(fw, i);
	lru_append(fw, i);
}

static struct key key_of(const struct pkt *v, uint64_t owner, bool inbound)
{
	struct key k = { inbound ? v->dst : v->src, inbound ? v->src : v->dst, owner,
			 inbound ? v->dport : v->sport, inbound ? v->sport : v->dport, v->proto };

	return k;
}

/* ---- first fragments that passed ---- */

static struct frag *frag_lookup(struct uwg_fw6 *fw, const struct pkt *v, uint64_t owner,
				struct frag **victim)
{
	struct frag *set = &fw->frags[(hash_frag(fw, v, owner) % FRAG_SETS) * FRAG_WAYS];

	*victim = &set[0];
	for (unsigned w = 0; w < FRAG_WAYS; w++) {
		struct frag *e = &set[w];

		if (e->expires && e->id == v->frag_id && e->owner == owner &&
		    !memcmp(e->src, v->src, 16) && !memcmp(e->dst, v->dst, 16))
			return e;
		if (e->expires < (*victim)->expires)
			*victim = e;
	}
	return NULL;
}

static void frag_remember(struct uwg_fw6 *fw, const struct pkt *v, uint64_t owner, uint64_t now)
{
	struct frag *victim, *e = frag_lookup(fw, v, owner, &victim);

	if (!e) {
		e = victim; /* the oldest of its set */
		memcpy(e->src, v->src, 16);
		memcpy(e->dst, v->dst, 16);
		e->owner = owner;
		e->id = v->frag_id;
	}
	e->expires = now + (uint64_t)UWG_FW6_FRAG_TTL_S * NS_PER_S;
}

static bool frag_passed(struct uwg_fw6 *fw, const struct pkt *v, uint64_t owner, uint64_t now)
{
	struct frag *victim, *e = frag_lookup(fw, v, owner, &victim);

	return e && live(e->expires, now);
}

/* ---- pinholes ---- */

static struct ph_slot *ph_by_id(const struct uwg_fw6 *fw, uint16_t id)
{
	uint32_t i;

	for (i = fw->ph_id[id & fw->idmask]; i != NIL; i = fw->ph[i].next_id)
		if (fw->ph[i].p.id == id)
			return &fw->ph[i];
	return NULL;
}

static bool id_held(const struct uwg_fw6 *fw, uint32_t id)
{
	return fw->ids_held[id / 64] >> (id % 64) & 1;
}

static void id_mark(struct uwg_fw6 *fw, uint32_t id, bool held)
{
	if (held)
		fw->ids_held[id / 64] |= 1ull << (id % 64);
	else
		fw->ids_held[id / 64] &= ~(1ull << (id % 64));
}

static bool ph_same_five(const struct uwg_fw6_pinhole *a, const struct uwg_fw6_pinhole *b)
{
	return a->proto == b->proto && a->int_port == b->int_port && a->rem_port == b->rem_port &&
	       !memcmp(a->int_addr, b->int_addr, 16) && !memcmp(a->rem_addr, b->rem_addr, 16);
}

static void chain_del(struct uwg_fw6 *fw, uint32_t *pp, uint32_t i, bool by_id)
{
	while (*pp != NIL) {
		uint32_t *next = by_id ? &fw->ph[*pp].next_id : &fw->ph[*pp].next_key;

		if (*pp == i) {
			*pp = *next;
			return;
		}
		pp = next;
	}
}

static void ph_remove(struct uwg_fw6 *fw, uint32_t i)
{
	struct ph_slot *s = &fw->ph[i];
	struct owner *w = &fw->owners[s->oidx];
	uint32_t o = s->oidx;

	chain_del(fw, &fw->ph_id[s->p.id & fw->idmask], i, true);
	id_mark(fw, s->p.id, false);
	chain_del(fw,
		  &fw->ph_key[hash_ph(fw, s->p.proto, s->p.int_addr, s->p.int_port) &
			      fw->khmask],
		  i, false);
	if (s->own_prev != NIL)
		fw->ph[s->own_prev].own_next = s->own_next;
	else
		w->ph_head = s->own_next;
	if (s->own_next != NIL)
		fw->ph[s->own_next].own_prev = s->own_prev;
	w->st.pinholes--;
	owner_settle(fw, o);
	memset(s, 0, sizeof(*s));
	s->oidx = s->next_key = s->own_prev = s->own_next = NIL;
	s->next_id = fw->free_ph;
	fw->free_ph = i;
	fw->st.pinholes_active--;
}

/* The next id after the last one given that no stored pinhole holds. */
static uint16_t ph_next_id(struct uwg_fw6 *fw)
{
	for (;;) {
		uint16_t id = fw->next_id;

		fw->next_id = id == ID_MAX ? 1 : (uint16_t)(id + 1);
		if (!id_held(fw, id))
			return id;
	}
}

/* An inbound TCP/UDP packet to one of owner's live pinholes: counts on it. */
static bool ph_admits(struct uwg_fw6 *fw, const struct pkt *v, uint64_t owner, uint64_t now)
{
	uint32_t i;

	if (v->proto != NH_TCP && v->proto != NH_UDP)
		return false;
	i = fw->ph_key[hash_ph(fw, v->proto, v->dst, v->dport) & fw->khmask];
	for (; i != NIL; i = fw->ph[i].next_key) {
		struct uwg_fw6_pinhole *p = &fw->ph[i].p;

		if (p->owner == owner && p->proto == v->proto && p->int_port == v->dport &&
		    live(p->expires_ns, now) && !memcmp(p->int_addr, v->dst, 16) &&
		    (!p->rem_port || p->rem_port == v->sport) &&
		    (!memcmp(p->rem_addr, zero16, 16) || !memcmp(p->rem_addr, v->src, 16))) {
			p->packets++;
			return true;
		}
	}
	return false;
}

int uwg_fw6_pinhole_add(struct uwg_fw6 *fw, const struct uwg_fw6_pinhole *ph, uint64_t now_ns,
			uint16_t *id_out)
{
	struct ph_slot *mine = NULL, *s;
	struct owner *w;
	uint32_t i, o, h;

	if ((ph->proto != NH_TCP && ph->proto != NH_UDP) || !ph->int_port || !ph->owner ||
	    !ph->expires_ns)
		return -EINVAL;
	h = hash_ph(fw, ph->proto, ph->int_addr, ph->int_port) & fw->khmask;
	for (i = fw->ph_key[h]; i != NIL; i = fw->ph[i].next_key) {
		s = &fw->ph[i];
		if (!ph_same_five(&s->p, ph))
			continue;
		if (s->p.owner == ph->owner)
			mine = s;
		else if (live(s->p.expires_ns, now_ns))
			return -EEXIST;
	}
	if (mine) {
		/* Also an expired one not yet reported: a refresh that came late keeps its id. */
		mine->p.expires_ns = ph->expires_ns;
		memcpy(mine->p.desc, ph->desc, sizeof(mine->p.desc));
		mine->p.desc[UWG_FW6_DESC_MAX - 1] = '\0';
		if (id_out)
			*id_out = mine->p.id;
		return 0;
	}
	if (fw->free_ph == NIL)
		return -ENOSPC;
	o = owner_get(fw, ph->owner);
	if (o == NIL || fw->owners[o].st.pinholes >= fw->cfg.max_pinholes_per_owner)
		return -ENOSPC;

	i = fw->free_ph;
	s = &fw->ph[i];
	fw->free_ph = s->next_id;
	s->p = *ph;
	s->p.desc[UWG_FW6_DESC_MAX - 1] = '\0';
	s->p.packets = 0;
	s->p.id = ph_next_id(fw);
	id_mark(fw, s->p.id, true);
	s->oidx = o;
	s->next_id = fw->ph_id[s->p.id & fw->idmask];
	fw->ph_id[s->p.id & fw->idmask] = i;
	s->next_key = fw->ph_key[h];
	fw->ph_key[h] = i;
	w = &fw->owners[o];
	s->own_prev = NIL;
	s->own_next = w->ph_head;
	if (w->ph_head != NIL)
		fw->ph[w->ph_head].own_prev = i;
	w->ph_head = i;
	w->st.pinholes++;
	owner_settle(fw, o);
	fw->st.pinholes_active++;
	if (id_out)
		*id_out = s->p.id;
	return 0;
}

/* The live pinhole with that id and owner: 0, -ENOENT or -EPERM. */
static int ph_own(struct uwg_fw6 *fw, uint16_t id, uint64_t owner, uint64_t now,
		  struct ph_slot **out)
{
	struct ph_slot *s = ph_by_id(fw, id);

	if (!s || !live(s->p.expires_ns, now))
		return -ENOENT;
	if (s->p.owner != owner)
		return -EPERM;
	*out = s;
	return 0;
}

int uwg_fw6_pinhole_update(struct uwg_fw6 *fw, uint16_t id, uint64_t owner, uint64_t expires_ns,
			   uint64_t now_ns)
{
	struct ph_slot *s;
	int rc;

	if (!expires_ns)
		return -EINVAL;
	rc = ph_own(fw, id, owner, now_ns, &s);
	if (rc)
		return rc;
	s->p.expires_ns = expires_ns;
	return 0;
}

int uwg_fw6_pinhole_del(struct uwg_fw6 *fw, uint16_t id, uint64_t owner, uint64_t now_ns)
{
	struct ph_slot *s;
	int rc = ph_own(fw, id, owner, now_ns, &s);

	if (rc)
		return rc;
	ph_remove(fw, (uint32_t)(s - fw->ph));
	return 0;
}

int uwg_fw6_pinhole_get(const struct uwg_fw6 *fw, uint16_t id, uint64_t now_ns,
			struct uwg_fw6_pinhole *out)
{
	const struct ph_slot *s = ph_by_id(fw, id);

	if (!s || !live(s->p.expires_ns, now_ns))
		return -ENOENT;
	*out = s->p;
	return 0;
}

int uwg_fw6_pinhole_find(const struct uwg_fw6 *fw, const struct uwg_fw6_pinhole *key,
			 uint64_t now_ns, struct uwg_fw6_pinhole *out)
{
	uint32_t i = fw->ph_key[hash_ph(fw, key->proto, key->int_addr, key->int_port) & fw->khmask];

	for (; i != NIL; i = fw->ph[i].next_key) {
		const struct ph_slot *s = &fw->ph[i];

		if (s->p.owner == key->owner && ph_same_five(&s->p, key) &&
		    live(s->p.expires_ns, now_ns)) {
			*out = s->p;
			return 0;
		}
	}
	return -ENOENT;
}

bool uwg_fw6_pinhole_next(const struct uwg_fw6 *fw, uint32_t *cursor, uint64_t now_ns,
			  struct uwg_fw6_pinhole *out)
{
	uint32_t id = *cursor ? *cursor : 1;

	while (id <= ID_MAX) {
		uint64_t w = fw->ids_held[id / 64] >> (id % 64);
		const struct ph_slot *s;

		if (!w) {
			id = (id | 63) + 1;
			continue;
		}
		id += (uint32_t)__builtin_ctzll(w);
		s = ph_by_id(fw, (uint16_t)id); /* never NULL: the map holds the stored ids */
		id++;
		if (s && live(s->p.expires_ns, now_ns)) {
			*out = s->p;
			*cursor = id;
			return true;
		}
	}
	*cursor = ID_MAX + 1;
	return false;
}

/* ---- packets ---- */

void uwg_fw6_outbound(struct uwg_fw6 *fw, const uint8_t *pkt, size_t len, uint64_t owner,
		      uint64_t now_ns)
{
	struct pkt v;
	struct key k;
	uint32_t o, i;
	uint8_t state;

	fw->st.out_seen++;
	if (!parse(pkt, len, &v)) {
		fw->st.drops[UWG_FW6_DROP_MALFORMED]++;
		return;
	}
	/* ICMPv6 replies are judged by type, and a later fragment carries no ports. */
	if (!v.l4 || v.proto == NH_ICMPV6)
		return;
	o = owner_get(fw, owner);
	if (o == NIL)
		return; /* every owner slot holds state: no flow that no owner would account for */
	k = key_of(&v, owner, false);
	/* A search to a group is answered by unicast from whoever hears it (SSDP, mDNS). */
	if (v.proto == NH_UDP && v.dst[0] == 0xff)
		k.rem = zero16;
	i = flow_find(fw, &k, now_ns);
	if (i == NIL) {
		if (v.proto == NH_TCP) {
			if (v.tcp_flags & TCP_RST)
				return; /* the end of a connection: nothing left to let back in */
			/* Anything but an opening SYN: a connection from before the firewall. */
			state = (v.tcp_flags & (TCP_SYN | TCP_ACK | TCP_FIN)) == TCP_SYN ? S_TCP_SYN
											 : S_TCP_EST;
		} else {
			state = v.proto == NH_UDP ? S_UDP_UNREPLIED : S_OTHER;
		}
		i = flow_create(fw, o, &k, state, now_ns);
	}
	flow_touch(fw, i, &v, false, now_ns);
}

enum uwg_fw6_verdict uwg_fw6_inbound(struct uwg_fw6 *fw, const uint8_t *pkt, size_t len,
				     uint64_t owner, uint64_t now_ns, enum uwg_fw6_drop *why)
{
	uint32_t o = owner_get(fw, owner);
	enum uwg_fw6_drop r = UWG_FW6_DROP_NONE;
	struct pkt v;

	if (!parse(pkt, len, &v)) {
		r = UWG_FW6_DROP_MALFORMED;
	} else if (!v.l4) {
		if (!frag_passed(fw, &v, owner, now_ns))
			r = UWG_FW6_DROP_FRAGMENT;
	} else if (v.proto == NH_ICMPV6) {
		if (!icmp_passes(v.icmp_type, v.icmp_code))
			r = UWG_FW6_DROP_ICMP;
	} else {
		struct key k = key_of(&v, owner, true);
		uint32_t i = flow_find(fw, &k, now_ns);

		if (i == NIL && v.proto == NH_UDP) {
			k.rem = zero16; /* a reply to the client's multicast search */
			i = flow_find(fw, &k, now_ns);
		}
		if (i != NIL)
			flow_touch(fw, i, &v, true, now_ns);
		else if (!ph_admits(fw, &v, owner, now_ns))
			r = UWG_FW6_DROP_UNSOLICITED;
	}
	if (why)
		*why = r;
	if (r != UWG_FW6_DROP_NONE) {
		fw->st.drops[r]++;
		if (o != NIL)
			fw->owners[o].st.dropped++;
		return UWG_FW6_DROP;
	}
	if (v.more)
		frag_remember(fw, &v, owner, now_ns);
	fw->st.in_passed++;
	if (o != NIL)
		fw->owners[o].st.passed++;
	return UWG_FW6_PASS;
}

/* ---- owners, housekeeping ---- */

void uwg_fw6_forget_owner(struct uwg_fw6 *fw, uint64_t owner)
{
	uint32_t o = owner_find(fw, owner);
	struct owner *w;

	if (o == NIL)
		return;
	w = &fw->owners[o];
	while (w->lru_head != NIL)
		flow_free(fw, w->lru_head);
	while (w->ph_head != NIL)
		ph_remove(fw, w->ph_head);
	for (size_t i = 0; i < FRAG_SETS * FRAG_WAYS; i++)
		if (fw->frags[i].owner == owner)
			memset(&fw->frags[i], 0, sizeof(fw->frags[i]));
	owner_free(fw, o);
}

void uwg_fw6_expire(struct uwg_fw6 *fw, uint64_t now_ns, uint32_t budget,
		    void (*cb)(void *ctx, const struct uwg_fw6_pinhole *ph), void *ctx)
{
	for (uint32_t k = 0; k < budget && k < fw->nph; k++) {
		uint32_t i = fw->ph_hand;
		struct ph_slot *s = &fw->ph[i];

		fw->ph_hand = i + 1 == fw->nph ? 0 : i + 1;
		if (s->oidx != NIL && !live(s->p.expires_ns, now_ns)) {
			if (cb)
				cb(ctx, &s->p);
			ph_remove(fw, i);
			fw->st.pinholes_expired++;
		}
	}
	for (uint32_t k = 0; k < budget && k < fw->nflows; k++) {
		uint32_t i = fw->gc_hand;

		fw->gc_hand = i + 1 == fw->nflows ? 0 : i + 1;
		if (fw->flows[i].state != S_FREE && !live(fw->flows[i].expires, now_ns)) {
			flow_free(fw, i);
			fw->st.flows_expired++;
		}
	}
}

const struct uwg_fw6_stats *uwg_fw6_get_stats(const struct uwg_fw6 *fw)
{
	return &fw->st;
}

int uwg_fw6_owner_get(const struct uwg_fw6 *fw, uint64_t owner, struct uwg_fw6_owner_stats *out)
{
	uint32_t o = owner_find(fw, owner);

	if (o == NIL)
		return -ENOENT;
	*out = fw->owners[o].st;
	return 0;
}

bool uwg_fw6_owner_next(const struct uwg_fw6 *fw, uint32_t *cursor, uint64_t *owner,
			struct uwg_fw6_owner_stats *out)
{
	for (uint32_t i = *cursor; i < fw->nowners; i++) {
		if (fw->owners[i].tag) {
			*owner = fw->owners[i].tag;
			*out = fw->owners[i].st;
			*cursor = i + 1;
			return true;
		}
	}
	*cursor = fw->nowners;
	return false;
}

/* ---- lifecycle ---- */

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

static uint32_t *index_new(uint32_t n)
{
	uint32_t *h = malloc((size_t)n * sizeof(uint32_t));

	if (h)
		memset(h, 0xff, (size_t)n * sizeof(uint32_t));
	return h;
}

int uwg_fw6_new(struct uwg_fw6 **out, const struct uwg_fw6_config *cfg)
{
	const struct uwg_fw6_timeouts *t = &cfg->timeouts;
	struct uwg_fw6 *fw;
	uint32_t nb;

	*out = NULL;
	if (cfg->max_flows > UWG_FW6_MAX_TABLE || cfg->max_owners > UWG_FW6_MAX_TABLE ||
	    cfg->max_pinholes > ID_MAX)
		return -EINVAL;
	fw = calloc(1, sizeof(*fw));
	if (!fw)
		return -ENOMEM;
	fw->cfg = *cfg;
	if (!fw->cfg.max_flows)
		fw->cfg.max_flows = UWG_FW6_DEFAULT_MAX_FLOWS;
	if (!fw->cfg.max_flows_per_owner)
		fw->cfg.max_flows_per_owner = UWG_FW6_DEFAULT_MAX_FLOWS_PER_OWNER;
	if (!fw->cfg.max_pinholes)
		fw->cfg.max_pinholes = UWG_FW6_DEFAULT_MAX_PINHOLES;
	if (!fw->cfg.max_pinholes_per_owner)
		fw->cfg.max_pinholes_per_owner = UWG_FW6_DEFAULT_MAX_PINHOLES_PER_OWNER;
	if (!fw->cfg.max_owners)
		fw->cfg.max_owners = UWG_FW6_DEFAULT_MAX_OWNERS;
	fw->timeout[S_TCP_SYN] = timeout_ns(t->tcp_syn_s, UWG_FW6_TCP_SYN_S);
	fw->timeout[S_TCP_EST] = timeout_ns(t->tcp_est_s, UWG_FW6_TCP_EST_S);
	fw->timeout[S_TCP_FIN] = timeout_ns(t->tcp_fin_s, UWG_FW6_TCP_FIN_S);
	fw->timeout[S_TCP_RST] = timeout_ns(t->tcp_rst_s, UWG_FW6_TCP_RST_S);
	fw->timeout[S_UDP] = timeout_ns(t->udp_s, UWG_FW6_UDP_S);
	fw->timeout[S_UDP_UNREPLIED] = timeout_ns(t->udp_unreplied_s, UWG_FW6_UDP_UNREPLIED_S);
	fw->timeout[S_OTHER] = timeout_ns(t->other_s, UWG_FW6_OTHER_S);

	fw->nflows = fw->cfg.max_flows;
	nb = pow2_at_least(fw->nflows);
	fw->fhmask = nb - 1;
	fw->flows = calloc(fw->nflows, sizeof(*fw->flows));
	fw->fh = index_new(nb);

	fw->nowners = fw->cfg.max_owners;
	nb = pow2_at_least(fw->nowners);
	fw->ohmask = nb - 1;
	fw->owners = calloc(fw->nowners, sizeof(*fw->owners));
	fw->oh = index_new(nb);

	fw->nph = fw->cfg.max_pinholes;
	nb = pow2_at_least(fw->nph);
	fw->idmask = nb - 1; /* ids are handed out in sequence: id & mask spreads them */
	fw->ph = calloc(fw->nph, sizeof(*fw->ph));
	fw->ph_id = index_new(nb);
	nb = pow2_at_least(2 * fw->nph);
	fw->khmask = nb - 1;
	fw->ph_key = index_new(nb);

	if (!fw->flows || !fw->fh || !fw->owners || !fw->oh || !fw->ph || !fw->ph_id ||
	    !fw->ph_key) {
		uwg_fw6_free(fw);
		return -ENOMEM;
	}
	for (uint32_t i = 0; i < fw->nflows; i++) {
		struct flow *f = &fw->flows[i];

		f->next = i + 1 < fw->nflows ? i + 1 : NIL;
		f->oidx = f->lru_prev = f->lru_next = NIL;
	}
	fw->free_flow = 0;
	for (uint32_t i = 0; i < fw->nowners; i++) {
		struct owner *w = &fw->owners[i];

		w->next = i + 1 < fw->nowners ? i + 1 : NIL;
		w->lru_head = w->lru_tail = w->ph_head = w->idle_prev = w->idle_next = NIL;
	}
	fw->free_owner = 0;
	fw->idle_head = fw->idle_tail = NIL;
	for (uint32_t i = 0; i < fw->nph; i++) {
		struct ph_slot *s = &fw->ph[i];

		s->next_id = i + 1 < fw->nph ? i + 1 : NIL;
		s->oidx = s->next_key = s->own_prev = s->own_next = NIL;
	}
	fw->free_ph = 0;
	fw->next_id = 1;
	*out = fw;
	return 0;
}

void uwg_fw6_free(struct uwg_fw6 *fw)
{
	if (!fw)
		return;
	free(fw->flows);
	free(fw->fh);
	free(fw->owners);
	free(fw->oh);
	free(fw->ph);
	free(fw->ph_id);
	free(fw->ph_key);
	free(fw);
}
