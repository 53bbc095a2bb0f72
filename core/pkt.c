/*
 * core/pkt.c - the fixed packet pool. Memory is reserved once at setup; pages
 * are touched only when a buffer is first used, so an idle daemon stays small.
 * Loop thread only.
 */
#include "core/pkt.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/mman.h>

int uwg_pool_init(struct uwg_pool *pool, size_t count)
{
	size_t bytes = count * (size_t)UWG_PKT_BUF_SIZE;
	void *mem;

	pool->pkts = calloc(count, sizeof(*pool->pkts));
	if (!pool->pkts)
		return -ENOMEM;
	/* mmap, not malloc: untouched buffers cost no resident memory. */
	mem = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED) {
		free(pool->pkts);
		pool->pkts = NULL;
		return -ENOMEM;
	}
	pool->mem = mem;
	pool->count = count;
	pool->free = NULL;
	pool->avail = 0;
	/* Reverse order so the first buffers handed out are the lowest addresses. */
	for (size_t i = count; i-- > 0;) {
		pool->pkts[i].buf = pool->mem + i * (size_t)UWG_PKT_BUF_SIZE;
		uwg_pool_put(pool, &pool->pkts[i]);
	}
	return 0;
}

void uwg_pool_destroy(struct uwg_pool *pool)
{
	if (pool->mem)
		munmap(pool->mem, pool->count * (size_t)UWG_PKT_BUF_SIZE);
	free(pool->pkts);
	pool->mem = NULL;
	pool->pkts = NULL;
	pool->free = NULL;
	pool->count = pool->avail = 0;
}

struct uwg_pkt *uwg_pool_get(struct uwg_pool *pool)
{
	struct uwg_pkt *p = pool->free;

	if (!p)
		return NULL;
	pool->free = p->next;
	pool->avail--;
	p->next = NULL;
	p->off = UWG_PKT_HEADROOM;
	p->len = 0;
	return p;
}

void uwg_pool_put(struct uwg_pool *pool, struct uwg_pkt *pkt)
{
	pkt->next = pool->free;
	pool->free = pkt;
	pool->avail++;
}
