/*
 * core/ratelimit.h - token buckets for handshake messages under load: one
 * device-wide bucket type (struct uwg_bucket) and a table of per-source
 * buckets keyed by IPv4 address or IPv6 /64 (as the kernel's ratelimiter.c),
 * with one bucket per class of work for each source. Bounded memory; idle
 * sources expire after 1 s. Time comes only from the arguments. Loop thread
 * only.
 */
#ifndef UWG_CORE_RATELIMIT_H
#define UWG_CORE_RATELIMIT_H

#include <stdbool.h>
#include <stdint.h>

#include "core/pkt.h"

/*
 * What a source is charged for; each class has its own bucket per source.
 * Rates and bursts are in ratelimit.c (class_rates) and explained there.
 * The device keeps HANDSHAKE in one table and the other two in another, so
 * spoofed sources filling the second cannot keep a source that proved its
 * address out of the first.
 */
enum uwg_ratelimit_class {
	UWG_RL_HANDSHAKE, /* a message with a valid cookie, processed: 20/s, burst 5 (kernel) */
	UWG_RL_INSPECT,   /* a message looked at (MACs checked) under load */
	UWG_RL_COOKIE,    /* a cookie reply sent */
	UWG_RL_CLASSES,
};

/*
 * A token bucket whose tokens are nanoseconds of credit: a message costs
 * NS_PER_SEC / rate, the bucket holds burst of them. All zero is a valid,
 * full bucket (its first refill sees a whole clock's worth of elapsed time).
 */
struct uwg_bucket {
	uint64_t tokens;
	uint64_t last; /* monotonic ns of the last refill */
};

/*
 * Refills b for the time since its last refill (a clock that went back
 * refills nothing) and says whether `cost` is available, without taking it.
 */
bool uwg_bucket_ready(struct uwg_bucket *b, uint64_t now, uint64_t cost, uint64_t max);
/* Takes cost (after uwg_bucket_ready said yes). */
void uwg_bucket_take(struct uwg_bucket *b, uint64_t cost);
/* Both at once: true and charged if cost was available. */
bool uwg_bucket_allow(struct uwg_bucket *b, uint64_t now, uint64_t cost, uint64_t max);

struct uwg_ratelimit_entry;

struct uwg_ratelimiter {
	struct uwg_ratelimit_entry *entries; /* fixed table, allocated at init */
	uint32_t size;
	uint32_t last_slot; /* slot of the last source looked up: a flood repeats it */
	uint64_t last_gc;
};

int uwg_ratelimiter_init(struct uwg_ratelimiter *rl);
void uwg_ratelimiter_free(struct uwg_ratelimiter *rl);
/*
 * Charges one message of class cls to src's bucket: 1 if it may go on, 0 if
 * the bucket is empty, -ENOSPC if src has no bucket and none can be made
 * (its chain is full of other live sources), -EINVAL if src is not an IP
 * address or the table is gone. The caller decides what an untracked source
 * may do.
 */
int uwg_ratelimiter_charge(struct uwg_ratelimiter *rl, const struct uwg_endpoint *src,
			   enum uwg_ratelimit_class cls, uint64_t now);
/* UWG_RL_HANDSHAKE (a handshake with a valid cookie, under load): true only if charged. */
bool uwg_ratelimiter_allow(struct uwg_ratelimiter *rl, const struct uwg_endpoint *src, uint64_t now);

#endif
