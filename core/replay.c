/*
 * core/replay.c - RFC 6479 anti-replay window for data-message counters: a
 * ring of 64-bit blocks, of which the block holding the greatest counter is
 * always partly in the future, so UWG_COUNTER_WINDOW_SIZE (one block less
 * than the ring) counters behind the greatest are always tracked exactly.
 * Loop thread only (one filter per keypair).
 */
#include "core/replay.h"

#include <string.h>

enum {
	BLOCK_BITS = 64,
	RING_BLOCKS = UWG_COUNTER_BITS_TOTAL / BLOCK_BITS,
};

_Static_assert((RING_BLOCKS & (RING_BLOCKS - 1)) == 0, "ring size must be a power of two");
_Static_assert(UWG_COUNTER_WINDOW_SIZE == (RING_BLOCKS - 1) * BLOCK_BITS,
	       "window is the ring minus the block being filled");

void uwg_replay_init(struct uwg_replay *r)
{
	r->greatest = 0;
	memset(r->bitmap, 0, sizeof(r->bitmap));
}

bool uwg_replay_check(struct uwg_replay *r, uint64_t counter)
{
	uint64_t block = counter / BLOCK_BITS, cur, ahead, mask;
	uint64_t *word;

	if (counter >= UWG_REJECT_AFTER_MESSAGES)
		return false;
	if (counter > r->greatest) {
		/*
		 * Blocks the window slides over now stand for newer counters:
		 * clear them, at most the whole ring once however far we jump.
		 */
		cur = r->greatest / BLOCK_BITS;
		ahead = block - cur;
		if (ahead > RING_BLOCKS)
			ahead = RING_BLOCKS;
		for (uint64_t i = 1; i <= ahead; i++)
			r->bitmap[(cur + i) % RING_BLOCKS] = 0;
		r->greatest = counter;
	} else if (r->greatest - counter > (uint64_t)UWG_COUNTER_WINDOW_SIZE) {
		return false;
	}
	word = &r->bitmap[block % RING_BLOCKS];
	mask = UINT64_C(1) << (counter % BLOCK_BITS);
	if (*word & mask)
		return false;
	*word |= mask;
	return true;
}
