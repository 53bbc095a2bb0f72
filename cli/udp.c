/*
 * cli/udp.c - the UDP socket pair (see cli/udp.h). Sends are queued per
 * family and flushed in sendmmsg batches at the end of each loop callback,
 * so batching (and later GSO) needs no change in callers. Loop thread only.
 */
#include "cli/udp.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/log.h"

struct uwg_udp_scratch {
	struct mmsghdr msgs[UWG_UDP_BATCH];
	struct iovec iov[UWG_UDP_BATCH];
	struct uwg_pkt *pkts[UWG_UDP_BATCH];
	_Alignas(struct cmsghdr) uint8_t cmsg[UWG_UDP_BATCH][UWG_UDP_CMSG_SPACE];
	uint8_t discard[64];
	struct uwg_log_limit log_limit;
};

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

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
		return 0;
	}
	return -EADDRINUSE;
}

void uwg_udp_install(struct uwg_udp *u, const struct uwg_udp_socks *socks)
{
	close_socks(&u->socks);
	u->socks = *socks;
	/* Queued datagrams go out on the new sockets; a family that vanished drops its queue. */
	for (int f = 0; f < UWG_UDP_NFAMILIES; f++)
		if (u->socks.fd[f] < 0)
			drop_queue(u, (enum uwg_udp_family)f);
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

static void parse_cmsgs(struct msghdr *mh, struct uwg_endpoint *ep)
{
	for (struct cmsghdr *c = CMSG_FIRSTHDR(mh); c; c = CMSG_NXTHDR(mh, c)) {
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
}

int uwg_udp_recv(struct uwg_udp *u, enum uwg_udp_family fam, struct uwg_pkt **out, int max)
{
	struct uwg_udp_scratch *s = u->scratch;
	int fd = u->socks.fd[fam], k = 0, r, n = 0;

	if (fd < 0)
		return 0;
	if (max > UWG_UDP_BATCH)
		max = UWG_UDP_BATCH;
	while (k < max) {
		struct uwg_pkt *p = uwg_pool_get(u->pool);

		if (!p)
			break;
		s->pkts[k++] = p;
	}
	if (k == 0) {
		/* Back-pressure: drop one datagram so a level-triggered poll does not spin. */
		if (recv(fd, s->discard, sizeof(s->discard), MSG_DONTWAIT | MSG_TRUNC) >= 0)
			u->stats.rx_pool_empty++;
		return 0;
	}
	for (int i = 0; i < k; i++) {
		struct uwg_pkt *p = s->pkts[i];
		struct msghdr *mh = &s->msgs[i].msg_hdr;

		memset(&p->ep, 0, sizeof(p->ep));
		s->iov[i].iov_base = uwg_pkt_data(p);
		s->iov[i].iov_len = UWG_PKT_BUF_SIZE - p->off;
		mh->msg_name = &p->ep.addr;
		mh->msg_namelen = sizeof(p->ep.addr);
		mh->msg_iov = &s->iov[i];
		mh->msg_iovlen = 1;
		mh->msg_control = s->cmsg[i];
		mh->msg_controllen = UWG_UDP_CMSG_SPACE;
		mh->msg_flags = 0;
	}
	do
		r = recvmmsg(fd, s->msgs, (unsigned)k, MSG_DONTWAIT, NULL);
	while (r < 0 && errno == EINTR);
	if (r < 0) {
		int err = errno;

		for (int i = 0; i < k; i++)
			uwg_pool_put(u->pool, s->pkts[i]);
		if (err == EAGAIN)
			return 0;
		u->stats.rx_errors++;
		return -err;
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

static void set_src(struct msghdr *mh, uint8_t *cbuf, const struct uwg_endpoint *ep)
{
	struct cmsghdr *c;

	mh->msg_control = cbuf;
	if (ep->addr.sa.sa_family == AF_INET) {
		/*
		 * ifindex 0: the source address is sticky, the egress interface
		 * is left to routing, so a better route is followed.
		 */
		struct in_pktinfo pi = { .ipi_spec_dst = ep->src.v4 };

		mh->msg_controllen = CMSG_SPACE(sizeof(pi));
		c = CMSG_FIRSTHDR(mh);
		c->cmsg_level = IPPROTO_IP;
		c->cmsg_type = IP_PKTINFO;
		c->cmsg_len = CMSG_LEN(sizeof(pi));
		memcpy(CMSG_DATA(c), &pi, sizeof(pi));
	} else {
		struct in6_pktinfo pi = { .ipi6_addr = ep->src.v6 };

		/* A link-local source is only meaningful on its own link. */
		if (IN6_IS_ADDR_LINKLOCAL(&ep->src.v6))
			pi.ipi6_ifindex = (unsigned)ep->src_ifindex;
		mh->msg_controllen = CMSG_SPACE(sizeof(pi));
		c = CMSG_FIRSTHDR(mh);
		c->cmsg_level = IPPROTO_IPV6;
		c->cmsg_type = IPV6_PKTINFO;
		c->cmsg_len = CMSG_LEN(sizeof(pi));
		memcpy(CMSG_DATA(c), &pi, sizeof(pi));
	}
}

static void build(struct uwg_udp_scratch *s, int i, struct uwg_pkt *p)
{
	struct msghdr *mh = &s->msgs[i].msg_hdr;

	s->iov[i].iov_base = uwg_pkt_data(p);
	s->iov[i].iov_len = p->len;
	memset(mh, 0, sizeof(*mh));
	mh->msg_name = &p->ep.addr;
	mh->msg_namelen = p->ep.addr.sa.sa_family == AF_INET ? sizeof(struct sockaddr_in)
							     : sizeof(struct sockaddr_in6);
	mh->msg_iov = &s->iov[i];
	mh->msg_iovlen = 1;
	if (p->ep.has_src)
		set_src(mh, s->cmsg[i], &p->ep);
	s->pkts[i] = p;
}

static bool src_error(int err)
{
	return err == EINVAL || err == EADDRNOTAVAIL || err == ENETUNREACH;
}

/* True if the socket would block; the unsent rest stays queued. */
static bool flush_family(struct uwg_udp *u, enum uwg_udp_family fam)
{
	struct uwg_udp_scratch *s = u->scratch;
	struct uwg_pktq *q = &u->txq[fam];
	int fd = u->socks.fd[fam];

	while (q->len) {
		int n = 0, sent = 0;
		bool blocked = false;

		for (struct uwg_pkt *p = q->head; p && n < UWG_UDP_BATCH; p = p->next)
			build(s, n++, p);
		while (sent < n) {
			int r = sendmmsg(fd, &s->msgs[sent], (unsigned)(n - sent), MSG_DONTWAIT);
			struct uwg_pkt *p;
			int err;

			if (r > 0) {
				sent += r;
				continue;
			}
			err = errno;
			if (r < 0 && err == EINTR)
				continue;
			if (r < 0 && err == EAGAIN) {
				blocked = true;
				break;
			}
			/* s->msgs[sent] failed on its own; the batch goes on after it. */
			p = s->pkts[sent];
			if (p->ep.has_src && src_error(err)) {
				struct uwg_endpoint old = p->ep;

				p->ep.has_src = false;
				s->msgs[sent].msg_hdr.msg_control = NULL;
				s->msgs[sent].msg_hdr.msg_controllen = 0;
				u->stats.tx_src_cleared++;
				if (u->src_failed)
					u->src_failed(u->ctx, &old);
				continue;
			}
			u->stats.tx_errors++;
			uwg_log_limited(&s->log_limit, mono_ns(), UWG_LOG_DEBUG,
					"udp send failed: %s", strerror(err));
			sent++;
		}
		for (int i = 0; i < sent; i++)
			uwg_pool_put(u->pool, uwg_pktq_pop(q));
		if (blocked)
			return true;
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
