/*
 * igd/pmpd.c - the NAT-PMP/PCP server socket (see pmpd.h). Loop thread only.
 */
#include "igd/pmpd.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* One more than PCP's largest message (RFC 6887 §7), so a longer one is seen as such. */
#define MAX_DATAGRAM (UWG_PCP_MAX + 4)

struct uwg_igd_pmpd {
	uv_udp_t udp;
	struct uwg_igd_pmpd_config cfg;
	struct uwg_igd_pmpd_stats stats;
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

static void on_recv(uv_udp_t *h, ssize_t n, const uv_buf_t *buf, const struct sockaddr *from,
		    unsigned flags)
{
	struct uwg_igd_pmpd *s = h->data;
	const struct sockaddr_in *sin = (const struct sockaddr_in *)from;
	enum uwg_pmp_outcome o;
	bool pcp = false;
	uint32_t epoch;
	size_t len = 0;
	uv_buf_t reply;

	(void)buf;
	if (n <= 0 || !from)
		return; /* nothing, or an error the next datagram will not care about */
	if (from->sa_family != AF_INET || (flags & UV_UDP_PARTIAL)) {
		s->stats.dropped++;
		return;
	}
	epoch = uwg_igd_pmp_epoch(s->cfg.epoch_origin_s);
	if (s->buf[0] == 0 && s->cfg.natpmp) {
		o = uwg_pmp_natpmp(&s->cfg.pmp, s->buf, (size_t)n, sin->sin_addr, epoch, s->out,
				   &len);
	} else if (s->cfg.pcp) {
		pcp = true;
		o = uwg_pcp_handle(&s->cfg.pmp, s->buf, (size_t)n, sin->sin_addr, epoch, s->out,
				   &len);
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
	if (uv_udp_try_send(&s->udp, &reply, 1, from) != (int)len) {
		s->stats.dropped++;
		return;
	}
	if (o == UWG_PMP_ANSWERED)
		(*(pcp ? &s->stats.pcp_requests : &s->stats.requests))++;
	else
		(*(pcp ? &s->stats.pcp_errors : &s->stats.errors))++;
}

static int bound_socket(const struct uwg_igd_pmpd_config *cfg)
{
	struct sockaddr_in sin;
	int fd, err = 0;

	fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr = cfg->ip;
	sin.sin_port = htons(cfg->port ? cfg->port : UWG_NATPMP_PORT);
	/* the filter goes on before bind, so not one datagram slips past it */
	if (!cfg->no_filter)
		err = uwg_igd_sockfilter_attach(fd, &cfg->filter);
	if (!err && bind(fd, (const struct sockaddr *)&sin, sizeof(sin)))
		err = -errno;
	if (err) {
		close(fd);
		return err;
	}
	return fd;
}

int uwg_igd_pmpd_start(struct uwg_igd_pmpd **out, uv_loop_t *loop,
		       const struct uwg_igd_pmpd_config *cfg)
{
	struct uwg_igd_pmpd *s;
	int fd, err;

	*out = NULL;
	if (!cfg->pmp.ops || !cfg->pmp.pol)
		return -EINVAL;
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->cfg = *cfg;
	fd = bound_socket(cfg);
	if (fd < 0) {
		free(s);
		return fd;
	}
	err = uv_udp_init(loop, &s->udp);
	if (err) {
		close(fd);
		free(s);
		return err;
	}
	s->udp.data = s;
	err = uv_udp_open(&s->udp, fd);
	if (err) {
		close(fd);
		uwg_igd_pmpd_stop(s);
		return err;
	}
	/* from here the handle owns fd: closing the handle closes it */
	err = uv_udp_recv_start(&s->udp, on_alloc, on_recv);
	if (err) {
		uwg_igd_pmpd_stop(s);
		return err;
	}
	*out = s;
	return 0;
}

static void on_closed(uv_handle_t *h)
{
	free(h->data);
}

void uwg_igd_pmpd_stop(struct uwg_igd_pmpd *s)
{
	if (!s)
		return;
	uv_close((uv_handle_t *)&s->udp, on_closed);
}

void uwg_igd_pmpd_get_stats(const struct uwg_igd_pmpd *s, struct uwg_igd_pmpd_stats *out)
{
	if (s)
		*out = s->stats;
	else
		memset(out, 0, sizeof(*out));
}
