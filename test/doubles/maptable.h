/*
 * test/doubles/maptable.h - a small in-memory port-map table that implements the
 * table half of struct uwg_igd_ops (add/del/get/get_by_index, external IP,
 * counters) with lease expiry. It stands in for uwg's NAT table in
 * test/tools/igd_standalone.c, the unit tests and the fuzzer, and shows the
 * ops contract by example. Not thread-safe: the loop thread only.
 */
#ifndef UWG_TEST_DOUBLES_MAPTABLE_H
#define UWG_TEST_DOUBLES_MAPTABLE_H

#include <stddef.h>
#include <stdint.h>

#include "igd/ops.h"

enum { UWG_IGD_MAPTABLE_MAX = 256 };

struct uwg_igd_maptable_entry {
	struct uwg_igd_map map; /* lease_s = the granted lease */
	uint64_t expires_s;     /* monotonic; 0 = permanent */
};

struct uwg_igd_maptable {
	size_t cap, n;
	struct uwg_igd_maptable_entry e[UWG_IGD_MAPTABLE_MAX]; /* in insertion order */
	uint64_t (*clock_s)(void *clock_ctx);                   /* monotonic seconds */
	void *clock_ctx;
	/* Told about every change: "add", "update", "del", "expire". May be NULL. */
	void (*changed)(void *ctx, const char *what, const struct uwg_igd_map *m);
	void *changed_ctx;
	uint16_t reserved_lo, reserved_hi; /* external ports answered 729 (0-0 = none) */
	struct in_addr ext_ip;             /* 0 = unknown */
	uint32_t owner_mask_h;             /* addresses equal under it have one owner; 0 = /32 */
	struct uwg_igd_counters counters;
};

/* cap 0 or > UWG_IGD_MAPTABLE_MAX = the maximum. */
void uwg_igd_maptable_init(struct uwg_igd_maptable *t, size_t cap,
			   uint64_t (*clock_s)(void *), void *clock_ctx);

/* Fills ops with this table's callbacks (ctx = t; log = NULL). */
void uwg_igd_maptable_ops(struct uwg_igd_maptable *t, struct uwg_igd_ops *ops);

/* Removes expired maps (reporting "expire"); returns how many. */
unsigned uwg_igd_maptable_expire(struct uwg_igd_maptable *t);

#endif
