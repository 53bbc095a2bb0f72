/*
 * core/pkt.h - packet buffers and the fixed pool they come from. A packet is
 * owned by exactly one place at a time; functions that take one say
 * "consumes". An empty pool is back-pressure (drop and count), never malloc.
 * Loop thread only.
 */
#ifndef UWG_CORE_PKT_H
#define UWG_CORE_PKT_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * A remote UDP address plus the local address it was reached on (the sticky
 * source: replies leave from it). Plain data, copied freely.
 */
struct uwg_endpoint {
	union {
		struct sockaddr sa;
		struct sockaddr_in in4;
		struct sockaddr_in6 in6;
	} addr; /* sa_family == AF_UNSPEC: no endpoint */
	union {
		struct in_addr v4;
		struct in6_addr v6;
	} src;
	int src_ifindex;
	bool has_src;
};

enum uwg_pkt_sizes {
	/* Room in front of a TUN packet for the 16-byte data header (and a vnet header later). */
	UWG_PKT_HEADROOM = 64,
	/* Room behind it for up to 15 bytes of padding and the 16-byte tag. */
	UWG_PKT_TAILROOM = 32,
	UWG_PKT_BUF_SIZE = UWG_PKT_HEADROOM + 65535 + UWG_PKT_TAILROOM,
};

struct uwg_pkt {
	struct uwg_pkt *next; /* queue link; owner's to use */
	uint32_t off;         /* payload starts at buf + off */
	uint32_t len;         /* payload length */
	struct uwg_endpoint ep; /* rx: where it came from; tx: where it goes */
	uint8_t *buf;         /* UWG_PKT_BUF_SIZE bytes */
};

static inline uint8_t *uwg_pkt_data(struct uwg_pkt *p)
{
	return p->buf + p->off;
}

struct uwg_pool {
	struct uwg_pkt *free;
	struct uwg_pkt *pkts;
	uint8_t *mem;
	size_t count;
	size_t avail;
};

/* Setup time only: count packets of UWG_PKT_BUF_SIZE bytes. 0 or -ENOMEM. */
int uwg_pool_init(struct uwg_pool *pool, size_t count);
void uwg_pool_destroy(struct uwg_pool *pool);
/* NULL when empty. The packet comes back with off = UWG_PKT_HEADROOM, len = 0. */
struct uwg_pkt *uwg_pool_get(struct uwg_pool *pool);
void uwg_pool_put(struct uwg_pool *pool, struct uwg_pkt *pkt);

/* A FIFO of packets linked through pkt->next. */
struct uwg_pktq {
	struct uwg_pkt *head, *tail;
	uint32_t len;
};

static inline void uwg_pktq_init(struct uwg_pktq *q)
{
	q->head = q->tail = NULL;
	q->len = 0;
}

static inline void uwg_pktq_push(struct uwg_pktq *q, struct uwg_pkt *p)
{
	p->next = NULL;
	if (q->tail)
		q->tail->next = p;
	else
		q->head = p;
	q->tail = p;
	q->len++;
}

static inline struct uwg_pkt *uwg_pktq_pop(struct uwg_pktq *q)
{
	struct uwg_pkt *p = q->head;

	if (p) {
		q->head = p->next;
		if (!q->head)
			q->tail = NULL;
		q->len--;
		p->next = NULL;
	}
	return p;
}

#endif
