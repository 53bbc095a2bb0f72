/*
 * igd/pmpd.c - the NAT-PMP/PCP server socket (see pmpd.h). Loop thread only.
 *
 * Announcements (RFC 6886 §3.2.1, RFC 6887 §14.1.3) cannot be multicast
 * here: the server's peers hold only their own tunnel addresses, so
 * cryptokey routing would drop a datagram to 224.0.0.1. They go unicast to
 * port 5350 of each known client instead (RFC 6887 §14.1 allows it): the
 * clients holding a NAT-PMP or PCP map, and the last ones that asked.
 */
#include "igd/pmpd.h"

#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <sys/socket.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* One more than PCP's largest message (RFC 6887 §7), so a longer one is seen as such. */
#define MAX_DATAGRAM (UWG_PCP_MAX + 4)

enum {
	KNOWN_MAX = 256,       /* clients announcements go to */
	ANNOUNCE_ROUNDS = 10,  /* copies, the first gap 250 ms, each doubling (RFC 6886 §3.2.1) */
	ANNOUNCE_FIRST_MS = 250,
};

struct uwg_igd_pmpd {
	uv_udp_t udp;
	uv_udp_t udp6; /* PCP over IPv6; open only with cfg.ip6 */
	bool has_udp6;
	uv_timer_t timer;
	int open_handles; /* freed when the last one closed */
	struct uwg_igd_pmpd_config cfg;
	struct uwg_igd_pmpd_stats stats;
	uint32_t recent[KNOWN_MAX]; /* requesters, network order, a ring */
	size_t n_recent, next_recent;
	unsigned round;
	uint64_t gap_ms;
	/*
	 * PCP's epoch restarts when the external address changes (RFC 6887 §8.5);
	 * NAT-PMP's counts on from the table's start (RFC 6886 §3.6).
	 */
	int64_t pcp_epoch_origin_s;
	uint8_t buf[MAX_DATAGRAM];
	uint8_t out[UWG_PCP_MAX];
};

uint32_t uwg_igd_pmp_epoch(int64_t origin_s)
{
	struct timespec ts;
	int64_t d;

	clock_gettime(CLOCK_REALTIME, &ts);
	d = (int64_t)ts.tv_sec - origin_s;
	/* a clock set back must not make the epoch wrap to a huge value */
	return d < 0 ? 0 : d > UINT32_MAX ? UINT32_MAX : (uint32_t)d;
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
	struct uwg_igd_pmpd *s = h->data;

	(void)suggested;
	*buf = uv_buf_init((char *)s->buf, sizeof(s->buf));
}

/* The reply of a server that speaks only NAT-PMP to any other version (RFC 6887 §9). */
static size_t other_version(const uint8_t *p, size_t len, uint32_t epoch, uint8_t *out)
{
	if (len < 2 || p[1] >= 128)
		return 0;
	return uwg_natpmp_reply_error(out, p[1], UWG_NATPMP_UNSUPPORTED_VERSION, epoch);
}

static void on_closed(uv_handle_t *h);

static void remember(struct uwg_igd_pmpd *s, uint32_t addr)
{
	for (size_t i = 0; i < s->n_recent; i++)
		if (s->recent[i] == addr)
			return;
	s->recent[s->next_recent] = addr;
	s->next_recent = (s->next_recent + 1) % KNOWN_MAX;
	if (s->n_recent < KNOWN_MAX)
		s->n_recent++;
}

/* Every known client: the recent requesters, then holders of NAT-PMP/PCP maps (up to KNOWN_MAX). */
static size_t targets(struct uwg_igd_pmpd *s, uint32_t *out)
{
	const struct uwg_igd_ops *ops = s->cfg.pmp.ops;
	struct uwg_igd_map m;
	size_t n = s->n_recent;

	memcpy(out, s->recent, n * sizeof(*out));
	for (uint32_t i = 0; n < KNOWN_MAX && !ops->get_map_by_index(ops->ctx, i, &m); i++) {
		bool seen = false;

		if (m.origin != UWG_IGD_ORIGIN_NATPMP && m.origin != UWG_IGD_ORIGIN_PCP)
			continue;
		for (size_t k = 0; k < n && !seen; k++)
			seen = out[k] == m.int_client.s_addr;
		if (!seen)
			out[n++] = m.int_client.s_addr;
	}
	return n;
}

/* One round: NAT-PMP's address announcement and PCP's ANNOUNCE to each client's port 5350. */
static void announce_round(uv_timer_t *t)
{
	struct uwg_igd_pmpd *s = t->data;
	uint32_t to[KNOWN_MAX], epoch = uwg_igd_pmp_epoch(s->cfg.epoch_origin_s);
	uint32_t pcp_epoch = uwg_igd_pmp_epoch(s->pcp_epoch_origin_s);
	struct sockaddr_in dst = { .sin_family = AF_INET, .sin_port = htons(UWG_NATPMP_ANNOUNCE_PORT) };
	uint8_t natpmp[UWG_NATPMP_REPLY_MAX], pcp[UWG_PCP_HEADER] = { UWG_PCP_VERSION, 0x80 };
	struct in_addr ext;
	size_t n = targets(s, to), nn = 0;

	if (!s->cfg.pmp.ops->external_ip(s->cfg.pmp.ops->ctx, &ext))
		nn = uwg_natpmp_reply_address(natpmp, UWG_NATPMP_SUCCESS, epoch, ext.s_addr);
	pcp[8] = (uint8_t)(pcp_epoch >> 24);
	pcp[9] = (uint8_t)(pcp_epoch >> 16);
	pcp[10] = (uint8_t)(pcp_epoch >> 8);
	pcp[11] = (uint8_t)pcp_epoch;
	for (size_t i = 0; i < n; i++) {
		uv_buf_t b;

		dst.sin_addr.s_addr = to[i];
		if (s->cfg.natpmp && nn) {
			b = uv_buf_init((char *)natpmp, (unsigned)nn);
			if (uv_udp_try_send(&s->udp, &b, 1, (const struct sockaddr *)&dst) > 0)
				s->stats.announcements++;
		}
		if (s->cfg.pcp) {
			b = uv_buf_init((char *)pcp, sizeof(pcp));
			if (uv_udp_try_send(&s->udp, &b, 1, (const struct sockaddr *)&dst) > 0)
				s->stats.announcements++;
		}
	}
	if (++s->round < ANNOUNCE_ROUNDS) {
		uv_timer_start(&s->timer, announce_round, s->gap_ms, 0);
		s->gap_ms *= 2;
	}
}

void uwg_igd_pmpd_announce(struct uwg_igd_pmpd *s, bool address_changed)
{
	struct timespec ts;

	if (!s)
		return;
	if (address_changed) {
		clock_gettime(CLOCK_REALTIME, &ts);
		s->pcp_epoch_origin_s = ts.tv_sec;
	}
	s->round = 0;
	s->gap_ms = ANNOUNCE_FIRST_MS;
	uv_timer_start(&s->timer, announce_round, 0, 0);
}

static void on_recv(uv_udp_t *h, ssize_t n, const uv_buf_t *buf, const struct sockaddr *from,
		    unsigned flags)
{
	struct uwg_igd_pmpd *s = h->data;
	const struct sockaddr_in *sin = (const struct sockaddr_in *)from;
	enum uwg_pmp_outcome o;
	uint8_t src[16];
	bool pcp;
	uint32_t epoch;
	size_t len = 0;
	uv_buf_t reply;

	(void)buf;
	if (n <= 0 || !from)
		return; /* nothing, or an error the next datagram will not care about */
	if ((flags & UV_UDP_PARTIAL) || from->sa_family != (h == &s->udp ? AF_INET : AF_INET6)) {
		s->stats.dropped++;
		return;
	}
	/* which epoch: PCP's unless NAT-PMP (or its refusal of other versions) answers */
	pcp = from->sa_family == AF_INET6 || (s->buf[0] == 0 ? !s->cfg.natpmp : s->cfg.pcp);
	epoch = uwg_igd_pmp_epoch(pcp ? s->pcp_epoch_origin_s : s->cfg.epoch_origin_s);
	if (from->sa_family == AF_INET6) {
		/* NAT-PMP is IPv4 only: over IPv6 everything is PCP's (a version 0 gets its refusal) */
		memcpy(src, &((const struct sockaddr_in6 *)from)->sin6_addr, 16);
		o = uwg_pcp_handle(&s->cfg.pmp, s->buf, (size_t)n, src, epoch, s->out, &len);
	} else if (s->buf[0] == 0 && s->cfg.natpmp) {
		o = uwg_pmp_natpmp(&s->cfg.pmp, s->buf, (size_t)n, sin->sin_addr, epoch, s->out,
				   &len);
	} else if (s->cfg.pcp) {
		uwg_pcp_v4_mapped(src, sin->sin_addr);
		o = uwg_pcp_handle(&s->cfg.pmp, s->buf, (size_t)n, src, epoch, s->out, &len);
	} else {
		len = other_version(s->buf, (size_t)n, epoch, s->out);
		o = len ? UWG_PMP_ERROR : UWG_PMP_DROPPED;
	}
	if (!len) {
		s->stats.dropped++;
		return;
	}
	reply = uv_buf_init((char *)s->out, (unsigned)len);
	/* A reply that cannot go now is lost like any datagram; the client retries. */
	if (uv_udp_try_send(h, &reply, 1, from) != (int)len) {
		s->stats.dropped++;
		return;
	}
	if (o == UWG_PMP_ANSWERED)
		(*(pcp ? &s->stats.pcp_requests : &s->stats.requests))++;
	if (o == UWG_PMP_ANSWERED && from->sa_family == AF_INET6 && n >= 2 &&
	    (s->buf[1] & 0x7f) == UWG_PCP_OP_MAP)
		s->stats.pcp_pinholes++;
	else
		(*(pcp ? &s->stats.pcp_errors : &s->stats.errors))++;
	if (from->sa_family == AF_INET)
		remember(s, sin->sin_addr.s_addr);
}

/*
 * The bound socket of one family, carrying the classic socket filter
 * (tunnel interface, allowed sources of its family). IPv6 is also bound to
 * the interface, as it was before the filter parsed IPv6.
 */
static int bound_socket(const struct uwg_igd_pmpd_config *cfg, int family)
{
	union {
		struct sockaddr sa;
		struct sockaddr_in in;
		struct sockaddr_in6 in6;
	} a;
	uint16_t port = htons(cfg->port ? cfg->port : UWG_NATPMP_PORT);
	socklen_t alen;
	int fd, one = 1, err = 0;

	fd = socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	memset(&a, 0, sizeof(a));
	if (family == AF_INET) {
		a.in.sin_family = AF_INET;
		a.in.sin_addr = cfg->ip;
		a.in.sin_port = port;
		alen = sizeof(a.in);
		/* the filter goes on before bind, so not one datagram slips past it */
		if (!cfg->no_filter)
			err = uwg_igd_sockfilter_attach(fd, &cfg->filter);
	} else {
		a.in6.sin6_family = AF_INET6;
		a.in6.sin6_addr = cfg->ip6;
		a.in6.sin6_port = port;
		alen = sizeof(a.in6);
		if (setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one)) ||
		    setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, cfg->ifname,
			       (socklen_t)strlen(cfg->ifname)))
			err = -errno;
		if (!err && !cfg->no_filter && cfg->filter.v6)
			err = uwg_igd_sockfilter_attach(fd, &cfg->filter);
	}
	if (!err && bind(fd, &a.sa, alen))
		err = -errno;
	if (err) {
		close(fd);
		return err;
	}
	return fd;
}

/*
 * fd (or a negative errno) as a receiving handle h of s. On failure the fd
 * is closed and h, if it got that far, goes in a close callback.
 */
static int open_handle(struct uwg_igd_pmpd *s, uv_loop_t *loop, uv_udp_t *h, int fd)
{
	int err;

	if (fd < 0)
		return fd;
	err = uv_udp_init(loop, h);
	if (err) {
		close(fd);
		return err;
	}
	h->data = s;
	s->open_handles++;
	err = uv_udp_open(h, fd);
	if (err)
		close(fd); /* not the handle's yet */
	else
		err = uv_udp_recv_start(h, on_alloc, on_recv);
	if (err)
		uv_close((uv_handle_t *)h, on_closed);
	return err;
}

int uwg_igd_pmpd_start(struct uwg_igd_pmpd **out, uv_loop_t *loop,
		       const struct uwg_igd_pmpd_config *cfg)
{
	struct uwg_igd_pmpd *s;
	int err;

	*out = NULL;
	if (!cfg->pmp.ops || !cfg->pmp.pol)
		return -EINVAL;
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->cfg = *cfg;
	s->pcp_epoch_origin_s = cfg->epoch_origin_s;
	uv_timer_init(loop, &s->timer);
	s->timer.data = s;
	s->open_handles = 1;
	err = open_handle(s, loop, &s->udp, bound_socket(cfg, AF_INET));
	if (err) {
		uv_close((uv_handle_t *)&s->timer, on_closed);
		return err;
	}
	/* without it (no CAP_NET_RAW for SO_BINDTODEVICE, say) PCP is IPv4 only */
	s->has_udp6 = cfg->pcp && cfg->ifname && !IN6_IS_ADDR_UNSPECIFIED(&cfg->ip6) &&
		      !open_handle(s, loop, &s->udp6, bound_socket(cfg, AF_INET6));
	*out = s;
	return 0;
}

static void on_closed(uv_handle_t *h)
{
	struct uwg_igd_pmpd *s = h->data;

	if (--s->open_handles == 0)
		free(s);
}

void uwg_igd_pmpd_stop(struct uwg_igd_pmpd *s)
{
	if (!s)
		return;
	if (s->has_udp6)
		uv_close((uv_handle_t *)&s->udp6, on_closed);
	uv_close((uv_handle_t *)&s->timer, on_closed);
	uv_close((uv_handle_t *)&s->udp, on_closed);
}

void uwg_igd_pmpd_get_stats(const struct uwg_igd_pmpd *s, struct uwg_igd_pmpd_stats *out)
{
	if (s) {
		*out = s->stats;
		out->ipv6 = s->has_udp6;
	} else {
		memset(out, 0, sizeof(*out));
	}
}
