/*
 * test/doubles/maptable.h - a small in-memory port-map table that implements the
 * table half of struct uwg_igd_ops (add/del/get/get_by_index, external IP,
 * counters) with lease expiry, and an IPv6 pinhole table with a firewall
 * switch behind the pinhole ops. It stands in for uwg's NAT table and IPv6
 * firewall in test/tools/igd_standalone.c, the unit tests and the fuzzers,
 * and shows the ops contract by example. Not thread-safe: the loop thread
 * only.
 */
#ifndef UWG_TEST_DOUBLES_MAPTABLE_H
#define UWG_TEST_DOUBLES_MAPTABLE_H

#include <stddef.h>
#include <stdint.h>

#include "igd/ops.h"

enum { UWG_IGD_MAPTABLE_MAX = 256, UWG_IGD_MAPTABLE_PINHOLES = 64 };

struct uwg_igd_maptable_entry {
	struct uwg_igd_map map; /* lease_s = the granted lease */
	uint64_t expires_s;     /* monotonic; 0 = permanent */
};

struct uwg_igd_maptable_pinhole {
	struct uwg_igd_pinhole ph; /* lease_s = the granted lease; packets: set it to fake traffic */
	struct in6_addr owner;     /* the requester that made it */
	uint64_t expires_s;        /* monotonic; pinholes always expire */
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

	/* the IPv6 firewall: the answers of fw_status (uwg_igd_maptable_init: both true) */
	bool fw_enabled, fw_inbound;
	unsigned owner6_bits;     /* IPv6 addresses equal in these bits have one owner; 0 = /128 */
	size_t pinhole_cap;       /* 0 or > UWG_IGD_MAPTABLE_PINHOLES = the maximum (then 701) */
	unsigned pinholes_per_owner; /* 0 = unlimited; more is 701, as a daemon's per-peer cap */
	size_t n_pinholes;
	struct uwg_igd_maptable_pinhole pinholes[UWG_IGD_MAPTABLE_PINHOLES]; /* insertion order */
	uint16_t next_id;         /* the UniqueID to try next (never 0) */
	/* Told about every pinhole change: "add", "update", "del", "expire". May be NULL. */
	void (*pinhole_changed)(void *ctx, const char *what, const struct uwg_igd_pinhole *ph);
};

/* cap 0 or > UWG_IGD_MAPTABLE_MAX = the maximum. */
void uwg_igd_maptable_init(struct uwg_igd_maptable *t, size_t cap,
			   uint64_t (*clock_s)(void *), void *clock_ctx);

/* Fills ops with this table's callbacks (ctx = t; log = NULL). */
void uwg_igd_maptable_ops(struct uwg_igd_maptable *t, struct uwg_igd_ops *ops);

/* Removes expired maps and pinholes (reporting "expire"); returns how many. */
unsigned uwg_igd_maptable_expire(struct uwg_igd_maptable *t);

#endif
