/*
 * core/ratelimit.h - per-source token bucket for handshake messages under
 * load: 20 per second, burst 5, keyed by IPv4 address or IPv6 /64 (as the
 * kernel's ratelimiter.c). Bounded memory; idle entries expire after 1 s.
 * Loop thread only.
 */
#ifndef UWG_CORE_RATELIMIT_H
#define UWG_CORE_RATELIMIT_H

#include <stdbool.h>
#include <stdint.h>

#include "core/pkt.h"

struct uwg_ratelimit_entry;

struct uwg_ratelimiter {
	struct uwg_ratelimit_entry *entries; /* fixed table, allocated at init */
	uint32_t size;
	uint64_t last_gc;
};

int uwg_ratelimiter_init(struct uwg_ratelimiter *rl);
void uwg_ratelimiter_free(struct uwg_ratelimiter *rl);
/* True if a handshake from src may be processed now (and charges one token). */
bool uwg_ratelimiter_allow(struct uwg_ratelimiter *rl, const struct uwg_endpoint *src, uint64_t now);

#endif
