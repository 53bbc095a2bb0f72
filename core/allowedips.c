/*
 * core/allowedips.c - the cryptokey routing table: one path-compressed binary
 * trie per address family, each node a masked prefix, optionally owned by a
 * peer. Every walk (lookup, walk, prune, free) is a loop over parent/child
 * pointers, never recursion, so depth costs no stack. Loop thread only.
 *
 * Each owner keeps a list of its nodes (struct uwg_allowedips_owner), so
 * its prefixes are walked or removed without visiting anyone else's.
 *
 * Invariant kept by every change: a node without an owner has exactly two
 * children. Such a node only exists to join two diverging subtrees, so the
 * trie never holds more than 2n - 1 nodes for n prefixes, however much
 * insert/remove churn it has seen.
 */
#include "core/allowedips.h"

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

/*
 * A key is the address read as a 128-bit big-endian number split in two
 * host-order words; IPv4 sits in the top 32 bits of k[0]. Bit 0 is the most
 * significant bit, so prefix comparisons become masked word compares.
 */
struct uwg_allowedips_node {
	struct uwg_allowedips_node *child[2];
	struct uwg_allowedips_node *parent;
	struct uwg_allowedips_owner *owner;
	struct uwg_allowedips_node *owner_prev, *owner_next; /* in owner's list */
	uint64_t k[2];
	uint8_t cidr;
	uint8_t v6;
};

struct family {
	struct uwg_allowedips_node **root;
	unsigned bits;
	size_t len;
};

static bool family_of(struct uwg_allowedips *t, int af, struct family *f)
{
	if (af == AF_INET) {
		f->root = &t->root4;
		f->bits = 32;
		f->len = 4;
		return true;
	}
	if (af == AF_INET6) {
		f->root = &t->root6;
		f->bits = 128;
		f->len = 16;
		return true;
	}
	return false;
}

static uint64_t load_be64(const uint8_t *p)
{
	uint64_t v = 0;

	for (unsigned i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return v;
}

static void store_be64(uint8_t *p, uint64_t v)
{
	for (unsigned i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (56 - 8 * i));
}

static void key_load(uint64_t k[2], const uint8_t *addr, size_t len)
{
	if (len == 4) {
		k[0] = (uint64_t)((uint32_t)addr[0] << 24 | (uint32_t)addr[1] << 16 |
				  (uint32_t)addr[2] << 8 | addr[3])
		       << 32;
		k[1] = 0;
	} else {
		k[0] = load_be64(addr);
		k[1] = load_be64(addr + 8);
	}
}

static void key_store(uint8_t *addr, const uint64_t k[2], size_t len)
{
	uint8_t tmp[16];

	store_be64(tmp, k[0]);
	store_be64(tmp + 8, k[1]);
	memcpy(addr, tmp, len);
}

/* Mask of the first cidr bits (0..128) within word w (0 or 1). */
static uint64_t word_mask(unsigned cidr, unsigned w)
{
	unsigned start = 64 * w;

	if (cidr <= start)
		return 0;
	if (cidr >= start + 64)
		return UINT64_MAX;
	return UINT64_MAX << (64 - (cidr - start));
}

static void key_mask(uint64_t k[2], unsigned cidr)
{
	k[0] &= word_mask(cidr, 0);
	k[1] &= word_mask(cidr, 1);
}

static unsigned key_bit(const uint64_t k[2], unsigned i)
{
	return (unsigned)(k[i / 64] >> (63 - i % 64)) & 1u;
}

static bool prefix_matches(const struct uwg_allowedips_node *n, const uint64_t k[2])
{
	return ((k[0] ^ n->k[0]) & word_mask(n->cidr, 0)) == 0 &&
	       ((k[1] ^ n->k[1]) & word_mask(n->cidr, 1)) == 0;
}

static unsigned clz64(uint64_t v)
{
	return v ? (unsigned)__builtin_clzll(v) : 64;
}

/* Length of the common leading bits of a and b, capped at limit. */
static unsigned common_bits(const uint64_t a[2], const uint64_t b[2], unsigned limit)
{
	unsigned n = clz64(a[0] ^ b[0]);

	if (n == 64)
		n += clz64(a[1] ^ b[1]);
	return n < limit ? n : limit;
}

/* Appends n to owner's list and makes it n's owner. */
static void owner_link(struct uwg_allowedips_node *n, struct uwg_allowedips_owner *owner)
{
	n->owner = owner;
	n->owner_next = NULL;
	n->owner_prev = owner->last;
	if (owner->last)
		owner->last->owner_next = n;
	else
		owner->first = n;
	owner->last = n;
}

/* Takes n out of its owner's list; n has no owner then. */
static void owner_unlink(struct uwg_allowedips_node *n)
{
	struct uwg_allowedips_owner *o = n->owner;

	if (!o)
		return;
	if (n->owner_prev)
		n->owner_prev->owner_next = n->owner_next;
	else
		o->first = n->owner_next;
	if (n->owner_next)
		n->owner_next->owner_prev = n->owner_prev;
	else
		o->last = n->owner_prev;
	n->owner = NULL;
	n->owner_prev = n->owner_next = NULL;
}

static struct uwg_allowedips_node *node_new(const struct family *f, const uint64_t k[2],
					    unsigned cidr, struct uwg_allowedips_owner *owner,
					    struct uwg_allowedips_node *parent)
{
	struct uwg_allowedips_node *n = calloc(1, sizeof(*n));

	if (!n)
		return NULL;
	n->k[0] = k[0];
	n->k[1] = k[1];
	key_mask(n->k, cidr);
	n->cidr = (uint8_t)cidr;
	n->v6 = f->bits == 128;
	n->parent = parent;
	if (owner)
		owner_link(n, owner);
	return n;
}

/* The pointer that holds n: its parent's child slot, or the root. */
static struct uwg_allowedips_node **slot_of(struct uwg_allowedips_node **root,
					    struct uwg_allowedips_node *n)
{
	struct uwg_allowedips_node *p = n->parent;

	if (!p)
		return root;
	return p->child[0] == n ? &p->child[0] : &p->child[1];
}

static unsigned child_count(const struct uwg_allowedips_node *n)
{
	return (n->child[0] ? 1u : 0u) + (n->child[1] ? 1u : 0u);
}

/*
 * Drops n if it has no owner and fewer than two children: a lone child takes
 * its place. Returns the parent if n went away as a leaf (the parent may now
 * need the same treatment), else NULL.
 */
static struct uwg_allowedips_node *fix_node(struct uwg_allowedips_node **root,
					    struct uwg_allowedips_node *n)
{
	struct uwg_allowedips_node *p = n->parent, *c;

	if (n->owner || child_count(n) == 2)
		return NULL;
	c = n->child[0] ? n->child[0] : n->child[1];
	*slot_of(root, n) = c;
	if (c)
		c->parent = p;
	free(n);
	return c ? NULL : p;
}

int uwg_allowedips_insert(struct uwg_allowedips *t, int af, const uint8_t *addr, uint8_t cidr,
			  struct uwg_allowedips_owner *owner)
{
	struct uwg_allowedips_node **slot, *n, *parent = NULL, *fresh, *join;
	struct family f;
	uint64_t k[2];
	unsigned cpl;

	if (!family_of(t, af, &f) || cidr > f.bits || !addr || !owner)
		return -EINVAL;
	key_load(k, addr, f.len);
	key_mask(k, cidr);

	slot = f.root;
	while ((n = *slot)) {
		cpl = common_bits(k, n->k, cidr < n->cidr ? cidr : n->cidr);
		if (cpl == n->cidr && cpl == cidr) {
			if (n->owner != owner) {
				owner_unlink(n);
				owner_link(n, owner);
			}
			t->seq++;
			return 0;
		}
		if (cpl == n->cidr) {
			/* n is a shorter prefix of ours: go down. */
			parent = n;
			slot = &n->child[key_bit(k, n->cidr)];
			continue;
		}
		if (cpl == cidr) {
			/* Ours is a shorter prefix of n: slot in above it. */
			fresh = node_new(&f, k, cidr, owner, parent);
			if (!fresh)
				return -ENOMEM;
			fresh->child[key_bit(n->k, cidr)] = n;
			n->parent = fresh;
			*slot = fresh;
			t->seq++;
			return 0;
		}
		/* Diverging below both: an ownerless join node at the fork. */
		join = node_new(&f, k, cpl, NULL, parent);
		fresh = join ? node_new(&f, k, cidr, owner, join) : NULL;
		if (!fresh) {
			free(join);
			return -ENOMEM;
		}
		join->child[key_bit(k, cpl)] = fresh;
		join->child[key_bit(n->k, cpl)] = n;
		n->parent = join;
		*slot = join;
		t->seq++;
		return 0;
	}
	fresh = node_new(&f, k, cidr, owner, parent);
	if (!fresh)
		return -ENOMEM;
	*slot = fresh;
	t->seq++;
	return 0;
}

int uwg_allowedips_remove(struct uwg_allowedips *t, int af, const uint8_t *addr, uint8_t cidr,
			  struct uwg_allowedips_owner *owner)
{
	struct uwg_allowedips_node *n;
	struct family f;
	uint64_t k[2];

	if (!family_of(t, af, &f) || cidr > f.bits || !addr || !owner)
		return -ENOENT;
	key_load(k, addr, f.len);
	key_mask(k, cidr);

	n = *f.root;
	while (n && n->cidr < cidr && prefix_matches(n, k))
		n = n->child[key_bit(k, n->cidr)];
	if (!n || n->cidr != cidr || !prefix_matches(n, k) || n->owner != owner)
		return -ENOENT;
	owner_unlink(n);
	/* A leaf going away can leave its ownerless parent with one child. */
	while (n)
		n = fix_node(f.root, n);
	t->seq++;
	return 0;
}

static struct uwg_allowedips_node *deepest_first(struct uwg_allowedips_node *n)
{
	for (;;) {
		if (n->child[0])
			n = n->child[0];
		else if (n->child[1])
			n = n->child[1];
		else
			return n;
	}
}

/* Post-order successor of n, computed from the tree as it is now. */
static struct uwg_allowedips_node *postorder_next(struct uwg_allowedips_node *n)
{
	struct uwg_allowedips_node *p = n->parent;

	if (!p)
		return NULL;
	if (p->child[0] == n && p->child[1])
		return deepest_first(p->child[1]);
	return p;
}

void uwg_allowedips_remove_by_owner(struct uwg_allowedips *t, struct uwg_allowedips_owner *owner)
{
	struct uwg_allowedips_node *n;

	if (!owner || !owner->first)
		return;
	while ((n = owner->first)) {
		struct uwg_allowedips_node **root = n->v6 ? &t->root6 : &t->root4;

		owner_unlink(n);
		while (n)
			n = fix_node(root, n);
	}
	t->seq++;
}

struct uwg_allowedips_owner *uwg_allowedips_lookup(const struct uwg_allowedips *t, int af,
						   const uint8_t *addr)
{
	const struct uwg_allowedips_node *n;
	struct uwg_allowedips_owner *best = NULL;
	unsigned bits;
	uint64_t k[2];

	if (af == AF_INET) {
		n = t->root4;
		bits = 32;
	} else if (af == AF_INET6) {
		n = t->root6;
		bits = 128;
	} else {
		return NULL;
	}
	key_load(k, addr, bits / 8);
	while (n && prefix_matches(n, k)) {
		if (n->owner)
			best = n->owner;
		if (n->cidr >= bits)
			break;
		n = n->child[key_bit(k, n->cidr)];
	}
	return best;
}

int uwg_allowedips_walk_by_owner(const struct uwg_allowedips_owner *owner,
				 int (*cb)(void *ctx, int af, const uint8_t *addr, uint8_t cidr),
				 void *ctx)
{
	uint8_t addr[16];
	int ret;

	for (const struct uwg_allowedips_node *n = owner ? owner->first : NULL; n;
	     n = n->owner_next) {
		key_store(addr, n->k, n->v6 ? 16 : 4);
		ret = cb(ctx, n->v6 ? AF_INET6 : AF_INET, addr, n->cidr);
		if (ret)
			return ret;
	}
	return 0;
}

void uwg_allowedips_init(struct uwg_allowedips *t)
{
	t->root4 = NULL;
	t->root6 = NULL;
	t->seq = 0;
}

/*
 * Test hook, not part of the API (the unit test declares it itself): checks
 * the structural invariants of both tries and returns how many nodes they
 * hold, or -1 if anything is inconsistent.
 */
long uwg_allowedips_selfcheck(const struct uwg_allowedips *t);

/* Pre-order successor: ascending address, shorter prefix first. */
static const struct uwg_allowedips_node *preorder_next(const struct uwg_allowedips_node *n)
{
	const struct uwg_allowedips_node *p;

	if (n->child[0])
		return n->child[0];
	if (n->child[1])
		return n->child[1];
	for (p = n->parent; p; n = p, p = p->parent) {
		if (p->child[0] == n && p->child[1])
			return p->child[1];
	}
	return NULL;
}

/* n sits in its owner's list where its links say (or, without an owner, in none). */
static bool owner_links_ok(const struct uwg_allowedips_node *n, unsigned bits)
{
	if (n->v6 != (bits == 128))
		return false;
	if (!n->owner)
		return !n->owner_prev && !n->owner_next;
	if (n->owner_prev ? n->owner_prev->owner_next != n : n->owner->first != n)
		return false;
	return n->owner_next ? n->owner_next->owner_prev == n : n->owner->last == n;
}

static long selfcheck_trie(const struct uwg_allowedips_node *root, unsigned bits)
{
	const struct uwg_allowedips_node *n, *c;
	long count = 0;
	uint64_t masked[2];

	if (root && root->parent)
		return -1;
	/* Each child is checked (parent link included) before the walk can reach it. */
	for (n = root; n; n = preorder_next(n)) {
		count++;
		masked[0] = n->k[0];
		masked[1] = n->k[1];
		key_mask(masked, n->cidr);
		if (n->cidr > bits || masked[0] != n->k[0] || masked[1] != n->k[1])
			return -1;
		if ((!n->owner && child_count(n) != 2) || !owner_links_ok(n, bits))
			return -1;
		for (unsigned i = 0; i < 2; i++) {
			c = n->child[i];
			if (!c)
				continue;
			if (c->parent != n || c->cidr <= n->cidr || !prefix_matches(n, c->k) ||
			    key_bit(c->k, n->cidr) != i)
				return -1;
		}
	}
	return count;
}

long uwg_allowedips_selfcheck(const struct uwg_allowedips *t)
{
	long n4 = selfcheck_trie(t->root4, 32), n6 = selfcheck_trie(t->root6, 128);

	return n4 < 0 || n6 < 0 ? -1 : n4 + n6;
}

static void free_trie(struct uwg_allowedips_node *root)
{
	struct uwg_allowedips_node *n, *next;

	if (!root)
		return;
	for (n = deepest_first(root); n; n = next) {
		next = postorder_next(n);
		/* Its owner's list goes with the table. */
		if (n->owner)
			n->owner->first = n->owner->last = NULL;
		free(n);
	}
}

void uwg_allowedips_free(struct uwg_allowedips *t)
{
	free_trie(t->root4);
	free_trie(t->root6);
	t->root4 = NULL;
	t->root6 = NULL;
	t->seq++;
}
