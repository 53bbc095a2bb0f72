/*
 * cli/uapi/text.c - text helpers shared by the command and the daemon (see
 * text.h). Any thread.
 */
#include "cli/uapi/text.h"

#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "crypto/ct.h"

bool uwg_text_why(char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, len, fmt, ap);
	va_end(ap);
	return false;
}

bool uwg_text_line(char *buf, size_t cap, size_t *used, const char *fmt, ...)
{
	va_list ap;
	int w;

	if (*used >= cap)
		return false;
	va_start(ap, fmt);
	w = vsnprintf(buf + *used, cap - *used, fmt, ap);
	va_end(ap);
	if (w < 0 || (size_t)w >= cap - *used) {
		buf[*used] = '\0';
		return false;
	}
	*used += (size_t)w;
	return true;
}

/* Grows by copying, so the old block can be wiped: realloc would leave keys behind. */
static bool grow(struct uwg_text *t, size_t need)
{
	size_t ncap = (t->cap ? t->cap * 2 : 1024) + need;
	char *np = malloc(ncap);

	if (!np)
		return false;
	if (t->p) {
		memcpy(np, t->p, t->len);
		uwg_memzero(t->p, t->cap);
		free(t->p);
	}
	t->p = np;
	t->cap = ncap;
	return true;
}

void uwg_text_printf(struct uwg_text *t, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (t->oom)
		return;
	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(t->p ? t->p + t->len : NULL, t->p ? t->cap - t->len : 0, fmt, ap);
		va_end(ap);
		if (n < 0) {
			t->oom = true;
			return;
		}
		if (t->p && (size_t)n < t->cap - t->len) {
			t->len += (size_t)n;
			return;
		}
		if (!grow(t, (size_t)n + 1)) {
			t->oom = true;
			return;
		}
	}
}

int uwg_text_read(struct uwg_text *t, int fd, size_t limit,
		  bool (*done)(const char *text, size_t len))
{
	for (;;) {
		ssize_t r;

		if (t->cap - t->len < 2 && !grow(t, 4096))
			return -ENOMEM;
		r = read(fd, t->p + t->len, t->cap - t->len - 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -errno;
		t->len += (size_t)r;
		t->p[t->len] = '\0';
		if (t->len > limit)
			return -EFBIG;
		if (r == 0 || (done && done(t->p, t->len)))
			return 0;
	}
}

char *uwg_text_take(struct uwg_text *t, size_t *len)
{
	char *p;

	if (t->oom || !t->p) {
		uwg_text_free(t);
		return NULL;
	}
	p = t->p;
	*len = t->len;
	memset(t, 0, sizeof(*t));
	return p;
}

void uwg_text_free(struct uwg_text *t)
{
	if (t->p) {
		uwg_memzero(t->p, t->cap);
		free(t->p);
	}
	memset(t, 0, sizeof(*t));
}

bool uwg_text_decimal(const char *s, size_t n, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;

	if (n == 0)
		return false;
	for (size_t i = 0; i < n; i++) {
		uint64_t d = (uint64_t)(s[i] - '0');

		if (s[i] < '0' || s[i] > '9' || d > max || v > (max - d) / 10)
			return false;
		v = v * 10 + d;
	}
	*out = v;
	return true;
}

bool uwg_text_endpoint(const char *v, struct sockaddr_storage *ss,
		       unsigned (*ifindex)(void *ctx, const char *name), void *ctx)
{
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;
	struct sockaddr_in *in4 = (struct sockaddr_in *)ss;
	char host[INET6_ADDRSTRLEN + IF_NAMESIZE + 2];
	const char *port, *end;
	char *zone;
	uint64_t pnum, scope = 0;

	memset(ss, 0, sizeof(*ss));
	if (v[0] == '[') {
		end = strchr(v, ']');
		if (!end || end[1] != ':' || (size_t)(end - v - 1) >= sizeof(host))
			return false;
		memcpy(host, v + 1, (size_t)(end - v - 1));
		host[end - v - 1] = '\0';
		port = end + 2;
		zone = strchr(host, '%');
		if (zone)
			*zone++ = '\0';
		if (!uwg_text_decimal(port, strlen(port), 65535, &pnum) ||
		    inet_pton(AF_INET6, host, &in6->sin6_addr) != 1)
			return false;
		if (zone && !uwg_text_decimal(zone, strlen(zone), UINT32_MAX, &scope)) {
			scope = *zone && ifindex ? ifindex(ctx, zone) : 0;
			if (!scope)
				return false;
		}
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons((uint16_t)pnum);
		in6->sin6_scope_id = (uint32_t)scope;
		return true;
	}
	end = strrchr(v, ':');
	if (!end || (size_t)(end - v) >= sizeof(host))
		return false;
	memcpy(host, v, (size_t)(end - v));
	host[end - v] = '\0';
	port = end + 1;
	if (!uwg_text_decimal(port, strlen(port), 65535, &pnum) ||
	    inet_pton(AF_INET, host, &in4->sin_addr) != 1)
		return false;
	in4->sin_family = AF_INET;
	in4->sin_port = htons((uint16_t)pnum);
	return true;
}

bool uwg_text_onoff(const char *v, bool *out)
{
	if (!strcasecmp(v, "on") || !strcasecmp(v, "true") || !strcasecmp(v, "yes")) {
		*out = true;
		return true;
	}
	if (!strcasecmp(v, "off") || !strcasecmp(v, "false") || !strcasecmp(v, "no")) {
		*out = false;
		return true;
	}
	return false;
}
