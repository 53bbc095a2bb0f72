/*
 * core/timerq.h - the device's timer queue: a binary min-heap of peers keyed
 * by when each next needs to be looked at ("wake"), so that a timer run and
 * a re-arm cost O(log peers) per due peer instead of a scan of every peer.
 * Lazy, as the deadlines it stands for: a peer's wake may be earlier than its
 * earliest deadline (a deadline moved later or deleted leaves the heap
 * alone), never later; a wake that finds nothing due just re-queues the peer.
 * So a deadline pushed later on every packet (persistent keepalive) costs no
 * heap work at all. The array grows only when peers are added (config time).
 * Loop thread only.
 */
#ifndef UWG_CORE_TIMERQ_H
#define UWG_CORE_TIMERQ_H

#include <stddef.h>
#include <stdint.h>

struct uwg_peer;

struct uwg_timerq {
	struct uwg_peer **v; /* heap order by v[i]->wake */
	uint32_t n, cap;
};

#define UWG_TIMERQ_NONE UINT32_MAX /* a peer's tq_idx when it is not queued */

void uwg_timerq_free(struct uwg_timerq *q);
/* Room for n peers, so that queueing never allocates. 0 or -ENOMEM. */
int uwg_timerq_reserve(struct uwg_timerq *q, size_t n);
/* Queues peer for wake, or moves it earlier; a later wake than it has changes nothing. */
void uwg_timerq_set(struct uwg_timerq *q, struct uwg_peer *peer, uint64_t wake);
void uwg_timerq_remove(struct uwg_timerq *q, struct uwg_peer *peer);
/* Empties the queue (the interface went down: no timer runs until it is up again). */
void uwg_timerq_clear(struct uwg_timerq *q);
/* The earliest wake (UINT64_MAX when empty). */
uint64_t uwg_timerq_next(const struct uwg_timerq *q);
/* Takes the earliest peer off the queue if its wake is <= now, else NULL. */
struct uwg_peer *uwg_timerq_pop_due(struct uwg_timerq *q, uint64_t now);

#endif
