/*
 * igd/http.c - the IGD's HTTP request guard (see http.h). Pure; any thread.
 *
 * pupnp 1.8.4's own HTTP server took any method and any Host, which is how a
 * SUBSCRIBE with an empty path crashed it (CVE-2020-13848) and how a web page
 * could map ports through DNS rebinding. This parser admits only what UPnP
 * control points send: GET/HEAD for the descriptions, POST with a
 * Content-Length for SOAP. Lines may end in CRLF or a bare LF (both are
 * seen from real clients); folded headers, NUL and control bytes are refused.
 */
#include "igd/http.h"

#include <arpa/inet.h>
#include <errno.h>
#include <string.h>
#include <strings.h>

static int refuse(struct uwg_igd_http_req *out, int status)
{
	out->status = status;
	return -EPROTO;
}

static bool tchar(unsigned char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c && strchr("!#$%&'*+-.^_`|~", c));
}

/* Length of the line at p (without its CR LF or LF), or -1 when no LF is within n bytes. */
static long line_len(const char *p, size_t n, size_t *eol_len)
{
	const char *lf = memchr(p, '\n', n);
	size_t l;

	if (!lf)
		return -1;
	l = (size_t)(lf - p);
	*eol_len = 1;
	if (l && p[l - 1] == '\r') {
		l--;
		*eol_len = 2;
	}
	return (long)l;
}

/* How many of the n bytes at p come before any byte of stop. */
static size_t strcspn_n(const char *p, size_t n, const char *stop)
{
	size_t i = 0;

	while (i < n && !strchr(stop, p[i]))
		i++;
	return i;
}

/* The method token of mlen bytes at p, or -1 for any other. */
static int method_of(const char *p, size_t mlen)
{
	if (mlen == 3 && !memcmp(p, "GET", 3))
		return UWG_IGD_HTTP_GET;
	if (mlen == 4 && !memcmp(p, "HEAD", 4))
		return UWG_IGD_HTTP_HEAD;
	if (mlen == 4 && !memcmp(p, "POST", 4))
		return UWG_IGD_HTTP_POST;
	return -1;
}

static int parse_request_line(struct uwg_igd_http_req *out, const char *p, size_t n)
{
	const char *sp1 = memchr(p, ' ', n), *sp2, *target, *q;
	size_t mlen, tlen, vlen;
	int m;

	if (!sp1 || sp1 == p)
		return refuse(out, 400);
	mlen = (size_t)(sp1 - p);
	m = method_of(p, mlen);
	if (m < 0)
		return refuse(out, 405);
	out->method = (enum uwg_igd_http_method)m;
	target = sp1 + 1;
	sp2 = memchr(target, ' ', n - mlen - 1);
	if (!sp2)
		return refuse(out, 400);
	tlen = (size_t)(sp2 - target);
	if (!tlen || target[0] != '/')
		return refuse(out, 400);
	for (size_t i = 0; i < tlen; i++) {
		unsigned char c = (unsigned char)target[i];

		if (c <= 0x20 || c >= 0x7f)
			return refuse(out, 400);
	}
	q = memchr(target, '?', tlen);
	if (q)
		tlen = (size_t)(q - target);
	if (tlen >= sizeof(out->path))
		return refuse(out, 414);
	memcpy(out->path, target, tlen);
	out->path[tlen] = '\0';
	vlen = n - (size_t)(sp2 + 1 - p);
	if (vlen != 8 || memcmp(sp2 + 1, "HTTP/", 5))
		return refuse(out, 400);
	if (sp2[6] != '1' || sp2[7] != '.' || (sp2[8] != '0' && sp2[8] != '1'))
		return refuse(out, 505);
	return 0;
}

/* Copies value (n bytes, blanks already trimmed) into dst; false if it does not fit. */
static bool copy_value(char *dst, size_t cap, const char *v, size_t n)
{
	if (n >= cap)
		return false;
	memcpy(dst, v, n);
	dst[n] = '\0';
	return true;
}

static bool parse_length(const char *v, size_t n, size_t max, size_t *out, bool *too_big)
{
	size_t x = 0;

	*too_big = false;
	if (!n)
		return false;
	for (size_t i = 0; i < n; i++) {
		if (v[i] < '0' || v[i] > '9')
			return false;
		if (x > max) {
			*too_big = true; /* keep checking the syntax, stop growing */
			continue;
		}
		x = x * 10 + (size_t)(v[i] - '0');
	}
	if (x > max)
		*too_big = true;
	*out = x;
	return true;
}

/* One "Name: value" line. */
static int parse_header(struct uwg_igd_http_req *out, const char *p, size_t n, size_t max_body,
			bool *seen_host, bool *seen_len)
{
	const char *colon = memchr(p, ':', n), *v, *e;
	size_t name_len;

	if (!colon || colon == p)
		return refuse(out, 400);
	name_len = (size_t)(colon - p);
	for (size_t i = 0; i < name_len; i++)
		if (!tchar((unsigned char)p[i]))
			return refuse(out, 400);
	v = colon + 1;
	e = p + n;
	for (const char *c = v; c < e; c++) {
		unsigned char u = (unsigned char)*c;

		if ((u < 0x20 && u != '\t') || u == 0x7f)
			return refuse(out, 400);
	}
	while (v < e && (*v == ' ' || *v == '\t'))
		v++;
	while (e > v && (e[-1] == ' ' || e[-1] == '\t'))
		e--;

	if (name_len == 4 && !strncasecmp(p, "Host", 4)) {
		if (*seen_host || !copy_value(out->host, sizeof(out->host), v, (size_t)(e - v)))
			return refuse(out, 400);
		*seen_host = true;
	} else if (name_len == 14 && !strncasecmp(p, "Content-Length", 14)) {
		bool too_big;

		if (*seen_len || !parse_length(v, (size_t)(e - v), max_body, &out->body_len, &too_big))
			return refuse(out, 400);
		if (too_big)
			return refuse(out, 413);
		*seen_len = true;
	} else if (name_len == 17 && !strncasecmp(p, "Transfer-Encoding", 17)) {
		return refuse(out, 501);
	} else if (name_len == 10 && !strncasecmp(p, "SOAPAction", 10)) {
		if (e - v >= 2 && *v == '"' && e[-1] == '"') {
			v++;
			e--;
		}
		if (out->soapaction[0] ||
		    !copy_value(out->soapaction, sizeof(out->soapaction), v, (size_t)(e - v)))
			return refuse(out, 400);
	}
	return 0;
}

int uwg_igd_http_parse(struct uwg_igd_http_req *out, const char *buf, size_t len, size_t max_body)
{
	size_t pos = 0, eol, scan = len < UWG_IGD_HTTP_HEAD_MAX ? len : UWG_IGD_HTTP_HEAD_MAX;
	bool seen_host = false, seen_len = false;
	unsigned headers = 0;
	long n;
	int err;

	memset(out, 0, sizeof(*out));
	n = line_len(buf, scan, &eol);
	if (n < 0) {
		/* refuse a method or a target that cannot be right before the line is complete */
		const char *sp = memchr(buf, ' ', scan);
		size_t mlen = sp ? (size_t)(sp - buf) : scan;

		if ((sp || mlen > 4) && method_of(buf, mlen) < 0)
			return refuse(out, 405);
		if (sp) {
			size_t rest = scan - mlen - 1;
			size_t plen = strcspn_n(sp + 1, rest, "? ");

			if (plen >= UWG_IGD_HTTP_PATH_MAX)
				return refuse(out, 414);
		}
		return len >= UWG_IGD_HTTP_HEAD_MAX ? refuse(out, 431) : -EAGAIN;
	}
	err = parse_request_line(out, buf, (size_t)n);
	if (err)
		return err;
	pos = (size_t)n + eol;
	for (;;) {
		n = line_len(buf + pos, scan - pos, &eol);
		if (n < 0)
			return len >= UWG_IGD_HTTP_HEAD_MAX ? refuse(out, 431) : -EAGAIN;
		if (n == 0) {
			pos += eol;
			break;
		}
		if (buf[pos] == ' ' || buf[pos] == '\t')
			return refuse(out, 400); /* obsolete line folding */
		if (++headers > UWG_IGD_HTTP_HEADERS_MAX)
			return refuse(out, 431);
		err = parse_header(out, buf + pos, (size_t)n, max_body, &seen_host, &seen_len);
		if (err)
			return err;
		pos += (size_t)n + eol;
	}
	if (!seen_host)
		return refuse(out, 400);
	if (out->method == UWG_IGD_HTTP_POST && !seen_len)
		return refuse(out, 411);
	if (out->method != UWG_IGD_HTTP_POST && out->body_len)
		return refuse(out, 400);
	out->head_len = pos;
	return len - pos >= out->body_len ? 0 : -EAGAIN;
}

/* Parses a decimal 0..max with no sign and no leading zero; returns the chars used or 0. */
static size_t strict_dec(const char *s, unsigned max, unsigned *out)
{
	size_t i = 0;
	unsigned v = 0;

	while (s[i] >= '0' && s[i] <= '9') {
		if (i && v == 0)
			return 0;
		v = v * 10 + (unsigned)(s[i] - '0');
		if (v > max || ++i > 5)
			return 0;
	}
	*out = v;
	return i;
}

/* Nothing left at p, or exactly ":port". */
static bool port_ok(const char *p, uint16_t port)
{
	if (*p == ':') {
		unsigned v;
		size_t used = strict_dec(p + 1, 65535, &v);

		if (!used || v != port)
			return false;
		p += 1 + used;
	}
	return *p == '\0';
}

bool uwg_igd_http_host_ok(const char *host, struct in_addr ip, uint16_t port)
{
	const uint8_t *want = (const uint8_t *)&ip.s_addr;
	const char *p = host;

	for (int i = 0; i < 4; i++) {
		unsigned v;
		size_t used = strict_dec(p, 255, &v);

		if (!used || v != want[i])
			return false;
		p += used;
		if (i < 3 && *p++ != '.')
			return false;
	}
	return port_ok(p, port);
}

bool uwg_igd_http_host6_ok(const char *host, const struct in6_addr *ip, uint16_t port)
{
	char text[INET6_ADDRSTRLEN];
	const char *end;
	struct in6_addr a;
	size_t n;

	/* a literal only: "[2001:db8::1]"; no zone (our addresses are not link-local) */
	if (host[0] != '[')
		return false;
	end = strchr(host, ']');
	n = end ? (size_t)(end - host - 1) : 0;
	if (!n || n >= sizeof(text) || memchr(host + 1, '%', n))
		return false;
	memcpy(text, host + 1, n);
	text[n] = '\0';
	if (inet_pton(AF_INET6, text, &a) != 1 || memcmp(&a, ip, sizeof(a)))
		return false;
	return port_ok(end + 1, port);
}

const char *uwg_igd_http_reason(int status)
{
	switch (status) {
	case 200:
		return "OK";
	case 400:
		return "Bad Request";
	case 404:
		return "Not Found";
	case 405:
		return "Method Not Allowed";
	case 411:
		return "Length Required";
	case 413:
		return "Payload Too Large";
	case 414:
		return "URI Too Long";
	case 431:
		return "Request Header Fields Too Large";
	case 500:
		return "Internal Server Error";
	case 501:
		return "Not Implemented";
	case 503:
		return "Service Unavailable";
	case 505:
		return "HTTP Version Not Supported";
	default:
		return "Error";
	}
}
