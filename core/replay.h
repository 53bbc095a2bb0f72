/*
 * core/replay.h - sliding-window filter for data-message counters (RFC 6479,
 * 8128 usable bits as in the kernel and wireguard-go). Knows nothing of peers
 * or clocks. Loop thread only (one filter per keypair).
 */
#ifndef UWG_CORE_REPLAY_H
#define UWG_CORE_REPLAY_H

#include <stdbool.h>
#include <stdint.h>

#include "core/messages.h"

struct uwg_replay {
	uint64_t greatest;
	uint64_t bitmap[UWG_COUNTER_BITS_TOTAL / 64];
};

void uwg_replay_init(struct uwg_replay *r);
/*
 * Should be called after a data message has authenticated. Returns true and
 * records the counter if it is fresh; false for a replay, a counter too far
 * behind the window, or one at or past REJECT_AFTER_MESSAGES.
 */
bool uwg_replay_check(struct uwg_replay *r, uint64_t counter);

#endif
