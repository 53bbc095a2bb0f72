/*
 * igd/httpd.h - the IGD's HTTP server on the loop thread: a listening
 * socket on the tunnel's IPv4 address and, when it has one, another on the
 * same port of its IPv6 address, each kernel-filtered to the tunnel
 * (sockfilter.h), every request passed through the guard (http.h) and the
 * Host check of its family before the handler sees it. One request per
 * connection; bounded connections, bytes and time per connection, so no
 * client can hold it.
 *
 * Threads: everything on the loop thread; the handler is called there.
 */
#ifndef UWG_IGD_HTTPD_H
#define UWG_IGD_HTTPD_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include "igd/http.h"
#include "igd/policy.h"
#include "igd/sockfilter.h"

enum uwg_igd_httpd_limits {
	UWG_IGD_HTTPD_CONNS = 32,       /* open connections */
	UWG_IGD_HTTPD_CONNS_PEER = 8,   /* of which from one address */
	UWG_IGD_HTTPD_REQUEST_MS = 5000, /* from accept to a complete request */
	UWG_IGD_HTTPD_LINGER_MS = 2000, /* draining after the answer */
};

/* What the handler answers: status 200 with a body, or an error status (body optional). */
struct uwg_igd_http_resp {
	int status;
	char *body; /* heap; the server frees it */
	size_t len;
};

/* peer: the TCP peer of the request, IPv4 or IPv6. */
typedef void (*uwg_igd_httpd_handler)(void *ctx, const struct uwg_igd_http_req *req,
				       const char *body, const struct uwg_igd_addr *peer,
				       struct uwg_igd_http_resp *resp);

struct uwg_igd_httpd_config {
	struct in_addr ip;
	/*
	 * Also listen on this IPv6 address, same port (:: = not). A port taken
	 * there is skipped like one taken on ip; any other failure leaves the
	 * server IPv4 only (uwg_igd_httpd_ip6 says so).
	 */
	struct in6_addr ip6;
	uint16_t port;   /* 0 = the first free port (of both families) from 49152 on */
	size_t max_body;
	struct uwg_igd_sockfilter filter;
	bool no_filter;  /* tests only */
	uwg_igd_httpd_handler handler;
	void *ctx;
};

struct uwg_igd_httpd_stats {
	uint64_t requests;     /* requests handed to the handler */
	uint64_t requests6;    /* of which came over IPv6 */
	uint64_t refused;      /* refused by the guard (status in the answer) */
	uint64_t refused_host; /* a Host other than the tunnel address: DNS rebinding */
	uint64_t timeouts;     /* connections closed for not completing a request in time */
	uint64_t busy;         /* connections closed at once: over the limits */
};

struct uwg_igd_httpd;

/* Binds, filters and listens. 0, -EADDRINUSE (no free port), other -errno. */
int uwg_igd_httpd_start(struct uwg_igd_httpd **out, uv_loop_t *loop,
			const struct uwg_igd_httpd_config *cfg);

uint16_t uwg_igd_httpd_port(const struct uwg_igd_httpd *h);

/* 0 when listening on cfg->ip6 too, else why not (-errno; -ENOENT: not asked to). */
int uwg_igd_httpd_ip6(const struct uwg_igd_httpd *h);

/* Closes the listener and every connection; memory goes in close callbacks. */
void uwg_igd_httpd_stop(struct uwg_igd_httpd *h);

void uwg_igd_httpd_get_stats(const struct uwg_igd_httpd *h, struct uwg_igd_httpd_stats *out);

#endif
