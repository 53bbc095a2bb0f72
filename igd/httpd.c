/*
 * igd/httpd.c - the IGD's HTTP server (see httpd.h). Loop thread only.
 *
 * A connection lives through READ (until the guard says complete or
 * refused, or the request deadline), WRITE (one answer, then a write
 * shutdown) and LINGER (reading and discarding until the client closes or
 * the linger time is over, so a refusal sent before the whole body arrived
 * is not destroyed by a reset).
 */
#include "igd/httpd.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

enum conn_state { C_READ, C_WRITE, C_LINGER };

struct conn {
	struct uwg_igd_httpd *srv;
	struct conn *prev, *next;
	uv_tcp_t tcp;
	uv_timer_t timer;
	uv_write_t wr;
	uv_shutdown_t sd;
	struct uwg_igd_addr peer;
	enum conn_state state;
	int open_handles;
	char *out;
	size_t len, cap;
	char buf[]; /* cap bytes: the request */
};

struct uwg_igd_httpd {
	uv_loop_t *loop;
	uv_tcp_t listener;
	uv_tcp_t listener6; /* open when ip6_err == 0 */
	int ip6_err;
	int open_listeners; /* freed when the last one closed */
	struct uwg_igd_httpd_config cfg;
	uint16_t port;
	struct conn *conns;
	unsigned n_conns;
	bool stopping;
	struct uwg_igd_httpd_stats st;
};

static void on_conn_handle_closed(uv_handle_t *h)
{
	struct conn *c = h->data;

	if (--c->open_handles)
		return;
	free(c->out);
	free(c);
}

static void conn_close(struct conn *c)
{
	struct uwg_igd_httpd *srv = c->srv;

	if (uv_is_closing((uv_handle_t *)&c->tcp))
		return;
	if (c->prev)
		c->prev->next = c->next;
	else
		srv->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	srv->n_conns--;
	uv_close((uv_handle_t *)&c->tcp, on_conn_handle_closed);
	uv_close((uv_handle_t *)&c->timer, on_conn_handle_closed);
}

static void on_alloc(uv_handle_t *h, size_t hint, uv_buf_t *buf);
static void on_read(uv_stream_t *st, ssize_t nread, const uv_buf_t *buf);

static void on_linger_over(uv_timer_t *t)
{
	conn_close(t->data);
}

static void on_shutdown(uv_shutdown_t *sd, int status)
{
	struct conn *c = sd->data;

	(void)status;
	if (uv_is_closing((uv_handle_t *)&c->tcp))
		return;
	c->state = C_LINGER;
	uv_timer_start(&c->timer, on_linger_over, UWG_IGD_HTTPD_LINGER_MS, 0);
	if (uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read))
		conn_close(c);
}

static void on_written(uv_write_t *wr, int status)
{
	struct conn *c = wr->data;

	if (uv_is_closing((uv_handle_t *)&c->tcp))
		return;
	c->sd.data = c;
	if (status || uv_shutdown(&c->sd, (uv_stream_t *)&c->tcp, on_shutdown))
		conn_close(c);
}

static void answer(struct conn *c, const struct uwg_igd_http_req *req, struct uwg_igd_http_resp *r)
{
	bool head = req && req->method == UWG_IGD_HTTP_HEAD;
	size_t body = r->body ? r->len : 0;
	char hdr[320];
	int n;
	uv_buf_t b;

	uv_read_stop((uv_stream_t *)&c->tcp);
	uv_timer_stop(&c->timer);
	n = snprintf(hdr, sizeof(hdr),
		     "HTTP/1.1 %d %s\r\n"
		     "Content-Type: text/xml; charset=\"utf-8\"\r\n"
		     "Content-Length: %zu\r\n"
		     "%s"
		     "Connection: close\r\n"
		     "Server: Linux UPnP/1.0 uwg/" UWG_VERSION "\r\n"
		     "EXT:\r\n\r\n",
		     r->status, uwg_igd_http_reason(r->status), body,
		     r->status == 405 ? "Allow: GET, HEAD, POST\r\n" : "");
	c->out = malloc((size_t)n + (head ? 0 : body));
	if (!c->out) {
		free(r->body);
		conn_close(c);
		return;
	}
	memcpy(c->out, hdr, (size_t)n);
	if (!head && body)
		memcpy(c->out + n, r->body, body);
	free(r->body);
	r->body = NULL;
	c->state = C_WRITE;
	b = uv_buf_init(c->out, (unsigned)((size_t)n + (head ? 0 : body)));
	c->wr.data = c;
	if (uv_write(&c->wr, (uv_stream_t *)&c->tcp, &b, 1, on_written))
		conn_close(c);
}

static void refuse(struct conn *c, int status)
{
	struct uwg_igd_http_resp r = { status, NULL, 0 };

	answer(c, NULL, &r);
}

static void on_alloc(uv_handle_t *h, size_t hint, uv_buf_t *buf)
{
	struct conn *c = h->data;
	static char sink[4096]; /* LINGER: discarded bytes, loop thread only */

	(void)hint;
	if (c->state == C_LINGER || c->len >= c->cap)
		*buf = uv_buf_init(sink, sizeof(sink));
	else
		*buf = uv_buf_init(c->buf + c->len, (unsigned)(c->cap - c->len));
}

static void on_read(uv_stream_t *st, ssize_t nread, const uv_buf_t *buf)
{
	struct conn *c = st->data;
	struct uwg_igd_httpd *srv = c->srv;
	struct uwg_igd_http_req req;
	struct uwg_igd_http_resp r = { 0, NULL, 0 };
	int err;

	(void)buf;
	if (nread < 0) {
		conn_close(c);
		return;
	}
	if (c->state != C_READ || nread == 0)
		return;
	c->len += (size_t)nread;
	err = uwg_igd_http_parse(&req, c->buf, c->len, srv->cfg.max_body);
	if (err == -EAGAIN) {
		if (c->len >= c->cap) /* cannot happen: the guard refuses first */
			refuse(c, 400);
		return;
	}
	if (err) {
		srv->st.refused++;
		refuse(c, req.status);
		return;
	}
	/* each family's own literal: a name (or the other family's address) is a rebinding */
	if (c->peer.v6 ? !uwg_igd_http_host6_ok(req.host, &srv->cfg.ip6, srv->port)
		       : !uwg_igd_http_host_ok(req.host, srv->cfg.ip, srv->port)) {
		srv->st.refused_host++;
		refuse(c, 400);
		return;
	}
	srv->st.requests++;
	srv->st.requests6 += c->peer.v6;
	srv->cfg.handler(srv->cfg.ctx, &req, c->buf + req.head_len, &c->peer, &r);
	answer(c, &req, &r);
}

static void on_deadline(uv_timer_t *t)
{
	struct conn *c = t->data;

	c->srv->st.timeouts++;
	conn_close(c);
}

static bool same_addr(const struct uwg_igd_addr *a, const struct uwg_igd_addr *b)
{
	if (a->v6 != b->v6)
		return false;
	return a->v6 ? !memcmp(&a->ip6, &b->ip6, sizeof(a->ip6)) : a->ip4.s_addr == b->ip4.s_addr;
}

static unsigned conns_from(const struct uwg_igd_httpd *srv, const struct uwg_igd_addr *a)
{
	unsigned n = 0;

	/* at most UWG_IGD_HTTPD_CONNS entries */
	for (const struct conn *c = srv->conns; c; c = c->next)
		n += same_addr(&c->peer, a);
	return n;
}

/* The peer of an accepted connection; false for a family we did not listen on. */
static bool peer_of(uv_tcp_t *t, struct uwg_igd_addr *out)
{
	struct sockaddr_storage ss;
	int len = sizeof(ss);

	memset(out, 0, sizeof(*out));
	if (uv_tcp_getpeername(t, (struct sockaddr *)&ss, &len))
		return false;
	if (ss.ss_family == AF_INET) {
		struct sockaddr_in sin;

		memcpy(&sin, &ss, sizeof(sin));
		out->ip4 = sin.sin_addr;
		return true;
	}
	if (ss.ss_family == AF_INET6) {
		struct sockaddr_in6 sin6;

		memcpy(&sin6, &ss, sizeof(sin6));
		out->v6 = true;
		out->ip6 = sin6.sin6_addr;
		return true;
	}
	return false;
}

static void on_throwaway_closed(uv_handle_t *h)
{
	free(h);
}

static void turn_away(struct uwg_igd_httpd *srv, uv_stream_t *l)
{
	uv_tcp_t *t = malloc(sizeof(*t));

	/* the connection must be taken off the backlog, or libuv reports it again at once */
	if (!t || uv_tcp_init(srv->loop, t)) {
		free(t);
		return;
	}
	uv_accept(l, (uv_stream_t *)t);
	uv_close((uv_handle_t *)t, on_throwaway_closed);
}

static void on_connection(uv_stream_t *l, int status)
{
	struct uwg_igd_httpd *srv = l->data;
	size_t cap = UWG_IGD_HTTP_HEAD_MAX + srv->cfg.max_body;
	struct conn *c;

	if (status < 0 || srv->stopping)
		return;
	if (srv->n_conns >= UWG_IGD_HTTPD_CONNS) {
		srv->st.busy++;
		turn_away(srv, l);
		return;
	}
	c = calloc(1, sizeof(*c) + cap);
	if (!c || uv_tcp_init(srv->loop, &c->tcp)) {
		free(c);
		turn_away(srv, l);
		return;
	}
	c->srv = srv;
	c->cap = cap;
	c->tcp.data = c;
	c->open_handles = 1;
	if (uv_accept(l, (uv_stream_t *)&c->tcp) || !peer_of(&c->tcp, &c->peer)) {
		uv_close((uv_handle_t *)&c->tcp, on_conn_handle_closed);
		return;
	}
	if (conns_from(srv, &c->peer) >= UWG_IGD_HTTPD_CONNS_PEER ||
	    uv_timer_init(srv->loop, &c->timer)) {
		srv->st.busy++;
		uv_close((uv_handle_t *)&c->tcp, on_conn_handle_closed);
		return;
	}
	c->open_handles = 2;
	c->timer.data = c;
	c->next = srv->conns;
	if (c->next)
		c->next->prev = c;
	srv->conns = c;
	srv->n_conns++;
	uv_timer_start(&c->timer, on_deadline, UWG_IGD_HTTPD_REQUEST_MS, 0);
	if (uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read))
		conn_close(c);
}

/* A bound, filtered listening socket on one of the addresses, port port, or -errno. */
static int listen_socket(const struct uwg_igd_httpd_config *cfg, int family, uint16_t port)
{
	union {
		struct sockaddr sa;
		struct sockaddr_in in;
		struct sockaddr_in6 in6;
	} a;
	socklen_t alen;
	int fd, one = 1, err = 0;

	fd = socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	memset(&a, 0, sizeof(a));
	if (family == AF_INET) {
		a.in.sin_family = AF_INET;
		a.in.sin_addr = cfg->ip;
		a.in.sin_port = htons(port);
		alen = sizeof(a.in);
	} else {
		a.in6.sin6_family = AF_INET6;
		a.in6.sin6_addr = cfg->ip6;
		a.in6.sin6_port = htons(port);
		alen = sizeof(a.in6);
		if (setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one)))
			err = -errno;
	}
	/* the filter goes on before bind, so not one packet slips past it */
	if (!err && !cfg->no_filter)
		err = uwg_igd_sockfilter_attach(fd, &cfg->filter);
	if (!err && (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
		     bind(fd, &a.sa, alen) || listen(fd, 64)))
		err = -errno;
	if (err) {
		close(fd);
		return err;
	}
	return fd;
}

static void on_listener_closed(uv_handle_t *h)
{
	struct uwg_igd_httpd *srv = h->data;

	if (--srv->open_listeners == 0)
		free(srv);
}

/* fd as a listening handle of srv; on failure fd is closed and the handle (if any) closing. */
static int open_listener(struct uwg_igd_httpd *srv, uv_tcp_t *h, int fd)
{
	int err = uv_tcp_init(srv->loop, h);

	if (err) {
		close(fd);
		return err;
	}
	h->data = srv;
	srv->open_listeners++;
	err = uv_tcp_open(h, fd);
	if (err)
		close(fd); /* not the handle's yet */
	else
		err = uv_listen((uv_stream_t *)h, 64, on_connection);
	if (err)
		uv_close((uv_handle_t *)h, on_listener_closed);
	return err;
}

int uwg_igd_httpd_start(struct uwg_igd_httpd **out, uv_loop_t *loop,
			const struct uwg_igd_httpd_config *cfg)
{
	bool want6 = !IN6_IS_ADDR_UNSPECIFIED(&cfg->ip6);
	struct uwg_igd_httpd *srv;
	int err = -EADDRINUSE;

	*out = NULL;
	if (!cfg->handler || !cfg->max_body)
		return -EINVAL;
	srv = calloc(1, sizeof(*srv));
	if (!srv)
		return -ENOMEM;
	srv->loop = loop;
	srv->cfg = *cfg;
	srv->ip6_err = -ENOENT;
	for (unsigned i = 0; i < 64; i++) {
		uint16_t port = (uint16_t)((cfg->port ? cfg->port : 49152) + i);
		int fd, fd6 = -ENOENT;

		if (port < 1024 || (cfg->port && i))
			break;
		fd = listen_socket(cfg, AF_INET, port);
		if (fd >= 0 && want6) {
			fd6 = listen_socket(cfg, AF_INET6, port);
			/* one port for both families: clients build URLs from either */
			if (fd6 == -EADDRINUSE) {
				close(fd);
				fd = fd6;
			}
		}
		if (fd == -EADDRINUSE) {
			err = fd;
			continue;
		}
		if (fd < 0) {
			err = fd;
			break;
		}
		err = open_listener(srv, &srv->listener, fd);
		if (err) {
			if (fd6 >= 0)
				close(fd6);
			if (!srv->open_listeners)
				free(srv);
			return err;
		}
		srv->ip6_err = fd6 < 0 ? fd6 : open_listener(srv, &srv->listener6, fd6);
		srv->port = port;
		*out = srv;
		return 0;
	}
	free(srv);
	return err;
}

uint16_t uwg_igd_httpd_port(const struct uwg_igd_httpd *h)
{
	return h->port;
}

int uwg_igd_httpd_ip6(const struct uwg_igd_httpd *h)
{
	return h->ip6_err;
}

void uwg_igd_httpd_stop(struct uwg_igd_httpd *srv)
{
	if (!srv)
		return;
	srv->stopping = true;
	while (srv->conns)
		conn_close(srv->conns);
	if (!srv->ip6_err)
		uv_close((uv_handle_t *)&srv->listener6, on_listener_closed);
	uv_close((uv_handle_t *)&srv->listener, on_listener_closed);
}

void uwg_igd_httpd_get_stats(const struct uwg_igd_httpd *h, struct uwg_igd_httpd_stats *out)
{
	*out = h->st;
}
