/*
 * core/allowedips.h - cryptokey routing table: longest-prefix match over IPv4
 * and IPv6 binary tries, prefix -> owner (a peer, opaque here). One table per
 * device. Allocation happens only on insert (config time); lookup never
 * allocates. Loop thread only.
 */
#ifndef UWG_CORE_ALLOWEDIPS_H
#define UWG_CORE_ALLOWEDIPS_H

#include <stdbool.h>
#include <stdint.h>

struct uwg_allowedips_node;

/*
 * What an owner of prefixes (a peer) embeds, zero-initialised: the list of
 * its prefixes, so that walking or removing them costs what they are, not
 * the whole table (as the kernel's per-peer allowedips list).
 */
struct uwg_allowedips_owner {
	struct uwg_allowedips_node *first, *last;
};

struct uwg_allowedips {
	struct uwg_allowedips_node *root4;
	struct uwg_allowedips_node *root6;
	uint64_t seq; /* bumped on every change; lets walkers detect edits */
};

/* af is AF_INET (addr 4 bytes) or AF_INET6 (addr 16 bytes), network byte order. */
void uwg_allowedips_init(struct uwg_allowedips *t);
void uwg_allowedips_free(struct uwg_allowedips *t);
/*
 * Inserts prefix/cidr for owner; host bits are masked off. An existing equal
 * prefix is reassigned to owner (last writer wins). 0, -EINVAL (bad af/cidr)
 * or -ENOMEM.
 */
int uwg_allowedips_insert(struct uwg_allowedips *t, int af, const uint8_t *addr, uint8_t cidr,
			  struct uwg_allowedips_owner *owner);
/* Removes prefix/cidr only if owned by owner: 0, or -ENOENT. */
int uwg_allowedips_remove(struct uwg_allowedips *t, int af, const uint8_t *addr, uint8_t cidr,
			  struct uwg_allowedips_owner *owner);
/* Removes every prefix of owner, in time linear in their number. */
void uwg_allowedips_remove_by_owner(struct uwg_allowedips *t, struct uwg_allowedips_owner *owner);
/* Longest-prefix match; NULL if nothing covers addr. */
struct uwg_allowedips_owner *uwg_allowedips_lookup(const struct uwg_allowedips *t, int af,
						   const uint8_t *addr);
/*
 * Calls cb for each prefix of owner (addr masked, network byte order), in
 * the order they were given to it, in time linear in their number. cb
 * returns 0 to go on, non-zero to stop (that value is returned). The table
 * must not change during the walk.
 */
int uwg_allowedips_walk_by_owner(const struct uwg_allowedips_owner *owner,
				 int (*cb)(void *ctx, int af, const uint8_t *addr, uint8_t cidr),
				 void *ctx);

#endif
