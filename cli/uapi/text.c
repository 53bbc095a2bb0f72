/*
 * cli/uapi/text.c - text helpers shared by the command and the daemon (see
 * text.h). Any thread.
 */
#include "cli/uapi/text.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

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

		if (s[i] < '0' || s[i] > '9' || v > (max - d) / 10)
			return false;
		v = v * 10 + d;
	}
	*out = v;
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
