/*
 * igd/http.h - the request guard of the IGD's own HTTP server: a strict,
 * bounded parser for one HTTP/1.x request (request line, headers, body by
 * Content-Length) and the Host check that defeats DNS rebinding. Anything
 * that is not a well-formed GET, HEAD or POST is refused with the status to
 * send, before any of it is acted on. Pure (no I/O, no allocation); any
 * thread. The libFuzzer target of test/fuzz/fuzz_http.c.
 */
#ifndef UWG_IGD_HTTP_H
#define UWG_IGD_HTTP_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum uwg_igd_http_limits {
	UWG_IGD_HTTP_HEAD_MAX = 4096,  /* request line + headers + blank line */
	UWG_IGD_HTTP_HEADERS_MAX = 32, /* header lines */
	UWG_IGD_HTTP_PATH_MAX = 128,   /* request target, including the NUL */
	UWG_IGD_HTTP_HOST_MAX = 64,
	UWG_IGD_HTTP_SOAPACTION_MAX = 192,
};

enum uwg_igd_http_method { UWG_IGD_HTTP_GET, UWG_IGD_HTTP_HEAD, UWG_IGD_HTTP_POST };

struct uwg_igd_http_req {
	enum uwg_igd_http_method method;
	char path[UWG_IGD_HTTP_PATH_MAX];             /* origin form, query string cut off */
	char host[UWG_IGD_HTTP_HOST_MAX];             /* the Host header, blanks trimmed */
	char soapaction[UWG_IGD_HTTP_SOAPACTION_MAX]; /* SOAPAction without its quotes; "" if absent */
	size_t head_len;                              /* bytes up to and including the blank line */
	size_t body_len;                              /* Content-Length (0 without one) */
	int status; /* after -EPROTO: the HTTP status to answer with */
};

/*
 * Parses the len bytes received so far. Returns 0 when they hold the whole
 * request (head_len + body_len <= len; bytes after it are ignored),
 * -EAGAIN when more are needed, or -EPROTO with out->status set (400 bad
 * syntax or a missing/duplicate Host, 405 a method other than GET/HEAD/POST,
 * 411 POST without Content-Length, 413 body over max_body, 414 path too
 * long, 431 head too large, 501 Transfer-Encoding, 505 not HTTP/1.x).
 * Refusals are reported as early as the bytes allow, so a client cannot
 * make the server buffer a request that will be refused anyway.
 */
int uwg_igd_http_parse(struct uwg_igd_http_req *out, const char *buf, size_t len, size_t max_body);

/*
 * True when host is exactly the dotted quad of ip (no leading zeros, no
 * names), optionally followed by ":port" equal to port. A browser led to
 * the IGD by a rebound DNS name sends that name here, so this refuses it.
 */
bool uwg_igd_http_host_ok(const char *host, struct in_addr ip, uint16_t port);

/*
 * The same for a request that came over IPv6: host must be "[literal]",
 * optionally ":port", where the literal (any spelling inet_pton takes, no
 * zone) is ip itself.
 */
bool uwg_igd_http_host6_ok(const char *host, const struct in6_addr *ip, uint16_t port);

/* The reason phrase of the statuses this server sends ("Bad Request"). */
const char *uwg_igd_http_reason(int status);

#endif
