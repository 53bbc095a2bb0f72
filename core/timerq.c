/*
 * core/timerq.c - the device's timer queue (see timerq.h): a binary
 * min-heap over peers, each peer knowing its slot. Loop thread only.
 */
#include "core/timerq.h"

#include <errno.h>
#include <stdlib.h>

#include "core/peer_internal.h"

void uwg_timerq_free(struct uwg_timerq *q)
{
	free(q->v);
	q->v = NULL;
	q->n = q->cap = 0;
}

int uwg_timerq_reserve(struct uwg_timerq *q, size_t n)
{
	struct uwg_peer **v;
	size_t cap = q->cap ? q->cap : 16;

	if (n <= q->cap)
		return 0;
	if (n > UWG_TIMERQ_NONE - 1)
		return -ENOMEM;
	while (cap < n)
		cap *= 2;
	if (cap > UWG_TIMERQ_NONE - 1)
		cap = UWG_TIMERQ_NONE - 1;
	v = realloc(q->v, cap * sizeof(*v));
	if (!v)
		return -ENOMEM;
	q->v = v;
	q->cap = (uint32_t)cap;
	return 0;
}

static void place(struct uwg_timerq *q, uint32_t i, struct uwg_peer *p)
{
	q->v[i] = p;
	p->tq_idx = i;
}

static void sift_up(struct uwg_timerq *q, uint32_t i)
{
	struct uwg_peer *p = q->v[i];

	while (i > 0) {
		uint32_t parent = (i - 1) / 2;

		if (q->v[parent]->wake <= p->wake)
			break;
		place(q, i, q->v[parent]);
		i = parent;
	}
	place(q, i, p);
}

static void sift_down(struct uwg_timerq *q, uint32_t i)
{
	struct uwg_peer *p = q->v[i];

	for (;;) {
		uint32_t c = 2 * i + 1;

		if (c >= q->n)
			break;
		if (c + 1 < q->n && q->v[c + 1]->wake < q->v[c]->wake)
			c++;
		if (p->wake <= q->v[c]->wake)
			break;
		place(q, i, q->v[c]);
		i = c;
	}
	place(q, i, p);
}

void uwg_timerq_set(struct uwg_timerq *q, struct uwg_peer *peer, uint64_t wake)
{
	if (peer->tq_idx != UWG_TIMERQ_NONE) {
		if (wake >= peer->wake)
			return;
		peer->wake = wake;
		sift_up(q, peer->tq_idx);
		return;
	}
	/* reserved at peer creation: there is always room */
	if (q->n >= q->cap)
		return;
	peer->wake = wake;
	place(q, q->n++, peer);
	sift_up(q, peer->tq_idx);
}

void uwg_timerq_remove(struct uwg_timerq *q, struct uwg_peer *peer)
{
	uint32_t i = peer->tq_idx;
	struct uwg_peer *last;

	if (i == UWG_TIMERQ_NONE)
		return;
	peer->tq_idx = UWG_TIMERQ_NONE;
	peer->wake = UINT64_MAX;
	last = q->v[--q->n];
	if (i == q->n)
		return;
	place(q, i, last);
	sift_down(q, i);
	sift_up(q, last->tq_idx);
}

void uwg_timerq_clear(struct uwg_timerq *q)
{
	while (q->n) {
		struct uwg_peer *p = q->v[--q->n];

		p->tq_idx = UWG_TIMERQ_NONE;
		p->wake = UINT64_MAX;
	}
}

uint64_t uwg_timerq_next(const struct uwg_timerq *q)
{
	return q->n ? q->v[0]->wake : UINT64_MAX;
}

struct uwg_peer *uwg_timerq_pop_due(struct uwg_timerq *q, uint64_t now)
{
	struct uwg_peer *p;

	if (!q->n || q->v[0]->wake > now)
		return NULL;
	p = q->v[0];
	uwg_timerq_remove(q, p);
	return p;
}
