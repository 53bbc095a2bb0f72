/*
 * cli/daemon/udp.c - the UDP socket pair (see cli/daemon/udp.h). Sends are queued per
 * family and flushed in sendmmsg batches at the end of each loop callback;
 * a run of same-size datagrams to one endpoint becomes one UDP_SEGMENT
 * message, so callers need not know about GSO. With UDP_GRO a receive lands
 * in a per-family arena (64 KiB per message, mapped lazily) and is cut into
 * pool packets there, so pool buffers never hold more than one datagram.
 * Loop thread only.
 */
#include "cli/daemon/udp.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "cli/daemon/log.h"

/* Largest UDP payload of one GSO send: the IP length field bounds the whole datagram. */
enum { GSO_MAX_V4 = 65535 - 20 - 8, GSO_MAX_V6 = 65535 - 8 };

/* Received messages not yet cut into packets. */
struct rx_arena {
	uint8_t *mem; /* UWG_UDP_BATCH slots of UWG_UDP_RX_SLOT bytes */
	struct uwg_endpoint ep[UWG_UDP_BATCH];
	uint32_t len[UWG_UDP_BATCH];
	uint32_t seg[UWG_UDP_BATCH]; /* datagram size within the message */
	uint32_t left[UWG_UDP_BATCH]; /* datagrams of the message not handed out yet */
	int nmsg, cur;
	uint32_t off;      /* in message cur */
	uint32_t buffered; /* datagrams left */
	bool big;          /* the last receive had coalesced messages */
};

struct uwg_udp_scratch {
	struct mmsghdr msgs[UWG_UDP_BATCH];
	struct iovec iov[UWG_UDP_TX_PKTS];
	struct uwg_pkt *pkts[UWG_UDP_BATCH];
	uint16_t msg_pkts[UWG_UDP_BATCH]; /* datagrams in each message of a send batch */
	_Alignas(struct cmsghdr) uint8_t cmsg[UWG_UDP_BATCH][UWG_UDP_CMSG_SPACE];
	uint8_t discard[64];
	struct rx_arena rx[UWG_UDP_NFAMILIES];
	/* After a GSO message failed: send this many datagrams one by one. */
	uint32_t single_next[UWG_UDP_NFAMILIES];
	/* GSO messages refused in a row (e.g. larger than the route MTU allows). */
	uint32_t gso_fail_streak[UWG_UDP_NFAMILIES];
	struct uwg_log_limit log_limit;
};

int uwg_udp_init(struct uwg_udp *u, struct uwg_pool *pool)
{
	memset(u, 0, sizeof(*u));
	u->pool = pool;
	u->socks.fd[UWG_UDP_V4] = u->socks.fd[UWG_UDP_V6] = -1;
	for (int f = 0; f < UWG_UDP_NFAMILIES; f++)
		uwg_pktq_init(&u->txq[f]);
	u->scratch = calloc(1, sizeof(*u->scratch));
	if (!u->scratch)
		return -ENOMEM;
	u->scratch->log_limit.burst = 5;
	u->scratch->log_limit.interval_ns = 10ull * 1000000000u;
	for (int f = 0; f < UWG_UDP_NFAMILIES; f++) {
		/* Reserved, not resident: pages appear only as coalesced datagrams fill them. */
		void *mem = mmap(NULL, (size_t)UWG_UDP_BATCH * UWG_UDP_RX_SLOT,
				 PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		if (mem == MAP_FAILED) {
			uwg_udp_destroy(u);
			return -ENOMEM;
		}
		u->scratch->rx[f].mem = mem;
	}
	return 0;
}

static void close_socks(struct uwg_udp_socks *s)
{
	for (int f = 0; f < UWG_UDP_NFAMILIES; f++) {
		if (s->fd[f] >= 0)
			close(s->fd[f]);
		s->fd[f] = -1;
	}
}

static void drop_queue(struct uwg_udp *u, enum uwg_udp_family fam)
{
	struct uwg_pkt *p;

	while ((p = uwg_pktq_pop(&u->txq[fam])))
		uwg_pool_put(u->pool, p);
}

void uwg_udp_destroy(struct uwg_udp *u)
{
	for (int f = 0; f < UWG_UDP_NFAMILIES; f++)
		drop_queue(u, (enum uwg_udp_family)f);
	close_socks(&u->socks);
	if (u->scratch)
		for (int f = 0; f < UWG_UDP_NFAMILIES; f++)
			if (u->scratch->rx[f].mem)
				munmap(u->scratch->rx[f].mem, (size_t)UWG_UDP_BATCH * UWG_UDP_RX_SLOT);
	free(u->scratch);
	u->scratch = NULL;
}

static void set_bufsize(int fd, int force_opt, int opt)
{
	int size = UWG_UDP_SOCKBUF;

	/* The FORCE variants ignore rmem_max/wmem_max but need CAP_NET_ADMIN. */
	if (setsockopt(fd, SOL_SOCKET, force_opt, &size, sizeof(size)) < 0)
		(void)setsockopt(fd, SOL_SOCKET, opt, &size, sizeof(size));
}

/* GSO and GRO where the kernel has them (UDP_SEGMENT: 4.18, UDP_GRO: 5.0; the probe decides). */
static void set_offload(int fd, bool *gso, bool *gro)
{
	int one = 1, val = 0;
	socklen_t len = sizeof(val);

	/* Without the option a UDP_SEGMENT cmsg would be ignored and one huge datagram sent. */
	*gso = getsockopt(fd, SOL_UDP, UDP_SEGMENT, &val, &len) == 0;
	*gro = setsockopt(fd, SOL_UDP, UDP_GRO, &one, sizeof(one)) == 0;
}

static int open_one(int af, uint16_t port, uint32_t mark, uint16_t *bound)
{
	union {
		struct sockaddr sa;
		struct sockaddr_in in4;
		struct sockaddr_in6 in6;
	} addr;
	socklen_t len;
	int one = 1, fd, ret;

	fd = socket(af, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_UDP);
	if (fd < 0)
		return -errno;
	memset(&addr, 0, sizeof(addr));
	if (af == AF_INET) {
		if (setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &one, sizeof(one)) < 0)
			goto err;
		addr.in4.sin_family = AF_INET;
		addr.in4.sin_port = htons(port);
		len = sizeof(addr.in4);
	} else {
		if (setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one)) < 0 ||
		    setsockopt(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &one, sizeof(one)) < 0)
			goto err;
		addr.in6.sin6_family = AF_INET6;
		addr.in6.sin6_port = htons(port);
		len = sizeof(addr.in6);
	}
	set_bufsize(fd, SO_RCVBUFFORCE, SO_RCVBUF);
	set_bufsize(fd, SO_SNDBUFFORCE, SO_SNDBUF);
	if (mark && setsockopt(fd, SOL_SOCKET, SO_MARK, &mark, sizeof(mark)) < 0)
		goto err;
	if (bind(fd, &addr.sa, len) < 0)
		goto err;
	len = sizeof(addr);
	if (getsockname(fd, &addr.sa, &len) < 0)
		goto err;
	*bound = ntohs(af == AF_INET ? addr.in4.sin_port : addr.in6.sin6_port);
	return fd;
err:
	ret = -errno;
	close(fd);
	return ret;
}

int uwg_udp_open(const struct uwg_udp *u, uint16_t port, struct uwg_udp_socks *out)
{
	/* A random v4 port may be taken in v6; wireguard-go retries the same way. */
	for (int attempt = 0; attempt < 100; attempt++) {
		uint16_t p4 = 0, p6 = 0;
		int fd4, fd6;

		fd4 = open_one(AF_INET, port, u->fwmark, &p4);
		if (fd4 < 0 && fd4 != -EAFNOSUPPORT)
			return fd4;
		fd6 = open_one(AF_INET6, fd4 >= 0 ? p4 : port, u->fwmark, &p6);
		if (fd6 == -EADDRINUSE && port == 0 && fd4 >= 0) {
			close(fd4);
			continue;
		}
		if (fd6 < 0 && fd6 != -EAFNOSUPPORT) {
			if (fd4 >= 0)
				close(fd4);
			return fd6;
		}
		if (fd4 < 0 && fd6 < 0)
			return -EAFNOSUPPORT;
		out->fd[UWG_UDP_V4] = fd4;
		out->fd[UWG_UDP_V6] = fd6 >= 0 ? fd6 : -1;
		out->port = fd4 >= 0 ? p4 : p6;
		for (int f = 0; f < UWG_UDP_NFAMILIES; f++) {
			out->gso[f] = out->gro[f] = false;
			if (out->fd[f] >= 0 && !u->no_offload)
				set_offload(out->fd[f], &out->gso[f], &out->gro[f]);
		}
		return 0;
	}
	return -EADDRINUSE;
}

void uwg_udp_install(struct uwg_udp *u, const struct uwg_udp_socks *socks)
{
	close_socks(&u->socks);
	u->socks = *socks;
	/* Queued datagrams go out on the new sockets; a family that vanished drops its queue. */
	for (int f = 0; f < UWG_UDP_NFAMILIES; f++) {
		struct rx_arena *a = &u->scratch->rx[f];

		if (u->socks.fd[f] < 0)
			drop_queue(u, (enum uwg_udp_family)f);
		/* What the old socket received waits for no poll of the new one: let it go. */
		a->cur = a->nmsg;
		a->buffered = 0;
	}
}

int uwg_udp_set_fwmark(struct uwg_udp *u, uint32_t mark)
{
	for (int f = 0; f < UWG_UDP_NFAMILIES; f++) {
		int fd = u->socks.fd[f];

		if (fd >= 0 && setsockopt(fd, SOL_SOCKET, SO_MARK, &mark, sizeof(mark)) < 0)
			return -errno;
	}
	u->fwmark = mark;
	return 0;
}

/* Fills ep's local address; returns the UDP_GRO segment size (0 if none). */
static uint32_t parse_cmsgs(struct msghdr *mh, struct uwg_endpoint *ep)
{
	uint32_t gso_size = 0;

	for (struct cmsghdr *c = CMSG_FIRSTHDR(mh); c; c = CMSG_NXTHDR(mh, c)) {
		if (c->cmsg_level == SOL_UDP && c->cmsg_type == UDP_GRO &&
		    c->cmsg_len >= CMSG_LEN(sizeof(int))) {
			int v;

			memcpy(&v, CMSG_DATA(c), sizeof(v));
			gso_size = v > 0 ? (uint32_t)v : 0;
			continue;
		}
		if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO &&
		    c->cmsg_len >= CMSG_LEN(sizeof(struct in_pktinfo))) {
			struct in_pktinfo pi;

			memcpy(&pi, CMSG_DATA(c), sizeof(pi));
			/* The address the peer sent to: replies leave from it. */
			ep->src.v4 = pi.ipi_addr;
			ep->src_ifindex = pi.ipi_ifindex;
			ep->has_src = true;
		} else if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_PKTINFO &&
			   c->cmsg_len >= CMSG_LEN(sizeof(struct in6_pktinfo))) {
			struct in6_pktinfo pi;

			memcpy(&pi, CMSG_DATA(c), sizeof(pi));
			ep->src.v6 = pi.ipi6_addr;
			ep->src_ifindex = (int)pi.ipi6_ifindex;
			ep->has_src = true;
		}
	}
	return gso_size;
}

/* Message i of the scratch batch receives into buf, its source and cmsgs into ep. */
static void rx_prep(struct uwg_udp_scratch *s, int i, struct uwg_endpoint *ep, void *buf,
		    size_t len)
{
	struct msghdr *mh = &s->msgs[i].msg_hdr;

	memset(ep, 0, sizeof(*ep));
	s->iov[i] = (struct iovec){ buf, len };
	mh->msg_name = &ep->addr;
	mh->msg_namelen = sizeof(ep->addr);
	mh->msg_iov = &s->iov[i];
	mh->msg_iovlen = 1;
	mh->msg_control = s->cmsg[i];
	mh->msg_controllen = UWG_UDP_CMSG_SPACE;
	mh->msg_flags = 0;
}

/* recvmmsg of the first k prepared messages: how many arrived, 0 if none waits, or -errno (counted). */
static int rx_recvmmsg(struct uwg_udp *u, int fd, int k)
{
	int r;

	do
		r = recvmmsg(fd, u->scratch->msgs, (unsigned)k, MSG_DONTWAIT, NULL);
	while (r < 0 && errno == EINTR);
	if (r >= 0)
		return r;
	if (errno == EAGAIN)
		return 0;
	u->stats.rx_errors++;
	return -errno;
}

/* recvmmsg straight into pool packets: without UDP_GRO a message is one datagram. */
static int recv_direct(struct uwg_udp *u, int fd, struct uwg_pkt **out, int k)
{
	struct uwg_udp_scratch *s = u->scratch;
	int r, n = 0;

	for (int i = 0; i < k; i++) {
		struct uwg_pkt *p = s->pkts[i];

		rx_prep(s, i, &p->ep, uwg_pkt_data(p), UWG_PKT_BUF_SIZE - p->off);
	}
	/* k >= 1 on a non-blocking socket: 0 only stands for "none waits". */
	r = rx_recvmmsg(u, fd, k);
	if (r <= 0) {
		for (int i = 0; i < k; i++)
			uwg_pool_put(u->pool, s->pkts[i]);
		return r;
	}
	for (int i = 0; i < k; i++) {
		struct uwg_pkt *p = s->pkts[i];
		struct msghdr *mh = &s->msgs[i].msg_hdr;

		if (i >= r || (mh->msg_flags & MSG_TRUNC)) {
			if (i < r)
				u->stats.rx_truncated++;
			uwg_pool_put(u->pool, p);
			continue;
		}
		p->len = s->msgs[i].msg_len;
		parse_cmsgs(mh, &p->ep);
		out[n++] = p;
	}
	return n;
}

/* recvmmsg into the arena (UDP_GRO on): returns messages received, or -errno. */
static int rx_fill(struct uwg_udp *u, enum uwg_udp_family fam, int fd)
{
	struct uwg_udp_scratch *s = u->scratch;
	struct rx_arena *a = &s->rx[fam];
	/* Coalesced messages carry up to 64 datagrams each: take fewer, so one wakeup stays short. */
	int k = a->big ? UWG_UDP_RX_GRO_SLOTS : UWG_UDP_BATCH, r;

	for (int i = 0; i < k; i++)
		rx_prep(s, i, &a->ep[i], a->mem + (size_t)i * UWG_UDP_RX_SLOT, UWG_UDP_RX_SLOT);
	r = rx_recvmmsg(u, fd, k);
	a->nmsg = a->cur = 0;
	a->off = a->buffered = 0;
	if (r <= 0)
		return r;
	a->big = false;
	for (int i = 0; i < r; i++) {
		struct msghdr *mh = &s->msgs[i].msg_hdr;
		uint32_t len = s->msgs[i].msg_len, gso = parse_cmsgs(mh, &a->ep[i]);

		if (mh->msg_flags & MSG_TRUNC) {
			u->stats.rx_truncated++;
			len = 0;
		}
		a->len[i] = len;
		a->seg[i] = gso && gso < len ? gso : len;
		if (a->seg[i] < len) {
			a->big = true;
			u->stats.rx_gro_msgs++;
		}
		/* An empty datagram is still one datagram (the core counts it as malformed). */
		a->left[i] = len ? (len + a->seg[i] - 1) / a->seg[i] : !(mh->msg_flags & MSG_TRUNC);
		a->buffered += a->left[i];
	}
	a->nmsg = r;
	return r;
}

/* Cuts up to max datagrams out of the arena into pool packets. */
static int rx_take(struct uwg_udp *u, enum uwg_udp_family fam, struct uwg_pkt **out, int max)
{
	struct rx_arena *a = &u->scratch->rx[fam];
	int n = 0;

	while (n < max && a->cur < a->nmsg) {
		const uint8_t *msg = a->mem + (size_t)a->cur * UWG_UDP_RX_SLOT;
		uint32_t len = a->len[a->cur], seg;
		struct uwg_pkt *p;

		if (!a->left[a->cur]) {
			a->cur++;
			a->off = 0;
			continue;
		}
		seg = len - a->off < a->seg[a->cur] ? len - a->off : a->seg[a->cur];
		p = uwg_pool_get(u->pool);
		if (!p) {
			/* Back-pressure: what is left of this receive is dropped. */
			u->stats.rx_pool_empty += a->buffered;
			a->cur = a->nmsg;
			a->buffered = 0;
			break;
		}
		memcpy(uwg_pkt_data(p), msg + a->off, seg);
		p->len = seg;
		p->ep = a->ep[a->cur];
		out[n++] = p;
		a->off += seg;
		a->left[a->cur]--;
		a->buffered--;
	}
	return n;
}

uint32_t uwg_udp_rx_buffered(const struct uwg_udp *u, enum uwg_udp_family fam)
{
	return u->scratch->rx[fam].buffered;
}

int uwg_udp_recv(struct uwg_udp *u, enum uwg_udp_family fam, struct uwg_pkt **out, int max)
{
	struct uwg_udp_scratch *s = u->scratch;
	int fd = u->socks.fd[fam], k = 0;

	if (max > UWG_UDP_BATCH)
		max = UWG_UDP_BATCH;
	if (s->rx[fam].buffered)
		return rx_take(u, fam, out, max);
	if (fd < 0)
		return 0;
	if (!u->pool->avail) {
		/* Back-pressure: drop one datagram so a level-triggered poll does not spin. */
		if (recv(fd, s->discard, sizeof(s->discard), MSG_DONTWAIT | MSG_TRUNC) >= 0)
			u->stats.rx_pool_empty++;
		return 0;
	}
	if (u->socks.gro[fam]) {
		int r = rx_fill(u, fam, fd);

		return r <= 0 ? r : rx_take(u, fam, out, max);
	}
	while (k < max) {
		struct uwg_pkt *p = uwg_pool_get(u->pool);

		if (!p)
			break;
		s->pkts[k++] = p;
	}
	return recv_direct(u, fd, out, k);
}

void uwg_udp_queue(struct uwg_udp *u, struct uwg_pkt *pkt)
{
	int af = pkt->ep.addr.sa.sa_family;
	enum uwg_udp_family fam = af == AF_INET6 ? UWG_UDP_V6 : UWG_UDP_V4;

	if ((af != AF_INET && af != AF_INET6) || u->socks.fd[fam] < 0) {
		u->stats.tx_no_socket++;
		uwg_pool_put(u->pool, pkt);
		return;
	}
	uwg_pktq_push(&u->txq[fam], pkt);
}

uint32_t uwg_udp_pending(const struct uwg_udp *u, enum uwg_udp_family fam)
{
	return u->txq[fam].len;
}

/* Appends one cmsg (level, type, len bytes of data) at *off in cbuf. */
static void put_cmsg(uint8_t *cbuf, size_t *off, int level, int type, const void *data, size_t len)
{
	struct cmsghdr c = { .cmsg_level = level, .cmsg_type = type, .cmsg_len = CMSG_LEN(len) };

	memcpy(cbuf + *off, &c, sizeof(c));
	memcpy(cbuf + *off + CMSG_LEN(0), data, len);
	*off += CMSG_SPACE(len);
}

/* Appends the sticky-source cmsg for ep at *off in cbuf. */
static void add_src(uint8_t *cbuf, size_t *off, const struct uwg_endpoint *ep)
{
	if (ep->addr.sa.sa_family == AF_INET) {
		/*
		 * ifindex 0: the source address is sticky, the egress interface
		 * is left to routing, so a better route is followed.
		 */
		struct in_pktinfo pi = { .ipi_spec_dst = ep->src.v4 };

		put_cmsg(cbuf, off, IPPROTO_IP, IP_PKTINFO, &pi, sizeof(pi));
	} else {
		struct in6_pktinfo pi = { .ipi6_addr = ep->src.v6 };

		/* A link-local source is only meaningful on its own link. */
		if (IN6_IS_ADDR_LINKLOCAL(&ep->src.v6))
			pi.ipi6_ifindex = (unsigned)ep->src_ifindex;
		put_cmsg(cbuf, off, IPPROTO_IPV6, IPV6_PKTINFO, &pi, sizeof(pi));
	}
}

bool uwg_endpoint_format(const struct uwg_endpoint *ep, char *buf, size_t len)
{
	char host[INET6_ADDRSTRLEN];

	if (len)
		buf[0] = '\0';
	if (ep->addr.sa.sa_family == AF_INET &&
	    inet_ntop(AF_INET, &ep->addr.in4.sin_addr, host, sizeof(host))) {
		snprintf(buf, len, "%s:%u", host, ntohs(ep->addr.in4.sin_port));
		return true;
	}
	if (ep->addr.sa.sa_family != AF_INET6 ||
	    !inet_ntop(AF_INET6, &ep->addr.in6.sin6_addr, host, sizeof(host)))
		return false;
	if (ep->addr.in6.sin6_scope_id)
		snprintf(buf, len, "[%s%%%u]:%u", host, (unsigned)ep->addr.in6.sin6_scope_id,
			 ntohs(ep->addr.in6.sin6_port));
	else
		snprintf(buf, len, "[%s]:%u", host, ntohs(ep->addr.in6.sin6_port));
	return true;
}

bool uwg_endpoint_same(const struct uwg_endpoint *a, const struct uwg_endpoint *b)
{
	if (a->addr.sa.sa_family != b->addr.sa.sa_family || a->has_src != b->has_src)
		return false;
	if (a->addr.sa.sa_family == AF_INET)
		return a->addr.in4.sin_port == b->addr.in4.sin_port &&
		       a->addr.in4.sin_addr.s_addr == b->addr.in4.sin_addr.s_addr &&
		       (!a->has_src || a->src.v4.s_addr == b->src.v4.s_addr);
	if (a->addr.sa.sa_family == AF_INET6)
		return a->addr.in6.sin6_port == b->addr.in6.sin6_port &&
		       IN6_ARE_ADDR_EQUAL(&a->addr.in6.sin6_addr, &b->addr.in6.sin6_addr) &&
		       (!a->has_src || IN6_ARE_ADDR_EQUAL(&a->src.v6, &b->src.v6));
	return false;
}

/*
 * May share one GSO send: uwg_endpoint_same, and for IPv6 also the same
 * scope and source interface (a link-local pair is only the same on one link).
 */
static bool same_ep(const struct uwg_endpoint *a, const struct uwg_endpoint *b)
{
	return uwg_endpoint_same(a, b) &&
	       (a->addr.sa.sa_family == AF_INET ||
		(a->addr.in6.sin6_scope_id == b->addr.in6.sin6_scope_id &&
		 (!a->has_src || a->src_ifindex == b->src_ifindex)));
}

/*
 * Fills scratch messages from the queue head: each message is one datagram,
 * or with GSO a run of datagrams to the same endpoint, all of the first's
 * size except a shorter last one. Returns the number of messages.
 */
static int build_batch(struct uwg_udp *u, enum uwg_udp_family fam)
{
	struct uwg_udp_scratch *s = u->scratch;
	struct uwg_pkt *p = u->txq[fam].head;
	uint32_t gso_max = fam == UWG_UDP_V4 ? GSO_MAX_V4 : GSO_MAX_V6, single = s->single_next[fam];
	int nmsg = 0, ni = 0;

	while (p && nmsg < UWG_UDP_BATCH && ni < UWG_UDP_TX_PKTS) {
		struct msghdr *mh = &s->msgs[nmsg].msg_hdr;
		const struct uwg_pkt *first = p;
		bool gso = u->socks.gso[fam] && !single;
		uint32_t size = p->len, total = 0;
		uint16_t segs = 0;
		size_t clen = 0;

		memset(mh, 0, sizeof(*mh));
		mh->msg_name = &p->ep.addr;
		mh->msg_namelen = p->ep.addr.sa.sa_family == AF_INET ? sizeof(struct sockaddr_in)
								     : sizeof(struct sockaddr_in6);
		mh->msg_iov = &s->iov[ni];
		for (;;) {
			bool short_seg = p->len < size;

			s->iov[ni].iov_base = uwg_pkt_data(p);
			s->iov[ni].iov_len = p->len;
			ni++;
			segs++;
			total += p->len;
			p = p->next;
			/* A shorter datagram can only be the last of a GSO run. */
			if (short_seg || !gso || !p || segs >= UWG_UDP_GSO_SEGS ||
			    ni >= UWG_UDP_TX_PKTS || p->len > size || total + p->len > gso_max ||
			    !same_ep(&first->ep, &p->ep))
				break;
		}
		if (single)
			single--;
		mh->msg_iovlen = segs;
		if (first->ep.has_src)
			add_src(s->cmsg[nmsg], &clen, &first->ep);
		if (segs > 1) {
			uint16_t seg = (uint16_t)size;

			put_cmsg(s->cmsg[nmsg], &clen, SOL_UDP, UDP_SEGMENT, &seg, sizeof(seg));
		}
		if (clen) {
			mh->msg_control = s->cmsg[nmsg];
			mh->msg_controllen = clen;
		}
		s->msg_pkts[nmsg] = segs;
		nmsg++;
	}
	return nmsg;
}

static bool src_error(int err)
{
	return err == EINVAL || err == EADDRNOTAVAIL || err == ENETUNREACH;
}

/*
 * The message at the queue head, n datagrams, is done (sent or failed): they
 * go back to the pool, and it counts against a pending run of single sends.
 */
static void msg_done(struct uwg_udp *u, enum uwg_udp_family fam, uint32_t n)
{
	if (u->scratch->single_next[fam])
		u->scratch->single_next[fam]--;
	while (n--)
		uwg_pool_put(u->pool, uwg_pktq_pop(&u->txq[fam]));
}

/* True if the socket would block; the unsent rest stays queued. */
static bool flush_family(struct uwg_udp *u, enum uwg_udp_family fam)
{
	struct uwg_udp_scratch *s = u->scratch;
	struct uwg_pktq *q = &u->txq[fam];
	int fd = u->socks.fd[fam];

	while (q->len) {
		int nmsg = build_batch(u, fam), r, err;
		uint16_t segs;
		struct uwg_pkt *p;

		do
			r = sendmmsg(fd, s->msgs, (unsigned)nmsg, MSG_DONTWAIT);
		while (r < 0 && errno == EINTR);
		if (r > 0) {
			for (int i = 0; i < r; i++) {
				segs = s->msg_pkts[i];
				if (segs > 1) {
					u->stats.tx_gso_sends++;
					s->gso_fail_streak[fam] = 0;
				}
				msg_done(u, fam, segs);
			}
			continue;
		}
		err = r < 0 ? errno : EAGAIN;
		if (err == EAGAIN)
			return true;
		/* The first message failed on its own; the batch goes on after it. */
		segs = s->msg_pkts[0];
		p = q->head;
		if (segs > 1) {
			/*
			 * EIO: the route's device cannot checksum GSO sends; never try
			 * again. Anything else refused again and again (a route MTU below
			 * our datagrams) would double every send: give up on GSO too.
			 */
			if ((err == EINVAL || err == EMSGSIZE) && s->gso_fail_streak[fam] < UINT32_MAX)
				s->gso_fail_streak[fam]++;
			if ((err == EIO || s->gso_fail_streak[fam] >= 8) && u->socks.gso[fam]) {
				u->socks.gso[fam] = false;
				u->stats.tx_gso_off++;
				uwg_log_info("UDP GSO not usable here (%s); sending datagrams singly",
					     strerror(err));
			}
			/* Otherwise resend those datagrams one by one, each meeting its own fate. */
			s->single_next[fam] = segs;
			continue;
		}
		if (p->ep.has_src && src_error(err)) {
			struct uwg_endpoint old = p->ep;

			/* Every queued datagram to that endpoint would fail the same way. */
			for (struct uwg_pkt *x = p; x; x = x->next)
				if (same_ep(&x->ep, &old))
					x->ep.has_src = false;
			u->stats.tx_src_cleared++;
			if (u->src_failed)
				u->src_failed(u->ctx, &old);
			continue;
		}
		u->stats.tx_errors++;
		uwg_log_limited(&s->log_limit, uwg_log_clock(), UWG_LOG_DEBUG, "udp send failed: %s",
				strerror(err));
		msg_done(u, fam, 1);
	}
	return false;
}

unsigned uwg_udp_flush(struct uwg_udp *u)
{
	unsigned blocked = 0;

	for (int f = 0; f < UWG_UDP_NFAMILIES; f++)
		if (u->txq[f].len && flush_family(u, (enum uwg_udp_family)f))
			blocked |= 1u << f;
	return blocked;
}
