/*
 * tun/ipprefix.c - parsing, printing and containment of IP prefixes for the
 * config parser and the route/rule code. Pure functions. Any thread.
 */
#include "tun/ipprefix.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

size_t uwg_ip_family_len(int family)
{
	return family == AF_INET6 ? 16 : 4;
}

bool uwg_ip_addr_parse(struct uwg_ip_prefix *p, const char *s)
{
	memset(p, 0, sizeof(*p));
	if (strchr(s, ':')) {
		if (inet_pton(AF_INET6, s, p->addr) != 1)
			return false;
		p->family = AF_INET6;
		p->len = 128;
	} else {
		if (inet_pton(AF_INET, s, p->addr) != 1)
			return false;
		p->family = AF_INET;
		p->len = 32;
	}
	return true;
}

bool uwg_ip_prefix_parse(struct uwg_ip_prefix *p, const char *s, bool host_ok)
{
	char buf[64];
	const char *slash = strchr(s, '/');
	size_t alen = slash ? (size_t)(slash - s) : strlen(s);
	unsigned long len = 0;

	if (alen == 0 || alen >= sizeof(buf))
		return false;
	memcpy(buf, s, alen);
	buf[alen] = '\0';
	if (!uwg_ip_addr_parse(p, buf))
		return false;
	if (!slash)
		return host_ok;
	if (!slash[1] || strlen(slash + 1) > 3)
		return false;
	for (const char *c = slash + 1; *c; c++) {
		if (*c < '0' || *c > '9')
			return false;
		len = len * 10 + (unsigned long)(*c - '0');
	}
	if (len > (p->family == AF_INET6 ? 128UL : 32UL))
		return false;
	p->len = (uint8_t)len;
	return true;
}

void uwg_ip_addr_format(const struct uwg_ip_prefix *p, char *buf, size_t len)
{
	if (!inet_ntop(p->family, p->addr, buf, (socklen_t)len) && len)
		buf[0] = '\0';
}

void uwg_ip_prefix_format(const struct uwg_ip_prefix *p, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN];

	uwg_ip_addr_format(p, a, sizeof(a));
	snprintf(buf, len, "%s/%u", a, p->len);
}

void uwg_ip_prefix_mask(struct uwg_ip_prefix *p)
{
	size_t n = uwg_ip_family_len(p->family);

	for (size_t i = 0; i < n; i++) {
		unsigned bits = i * 8 >= p->len ? 0 : p->len - i * 8;

		if (bits < 8)
			p->addr[i] &= (uint8_t)(0xff00u >> bits);
	}
	memset(p->addr + n, 0, sizeof(p->addr) - n);
}

bool uwg_ip_prefix_contains(const struct uwg_ip_prefix *outer, const struct uwg_ip_prefix *inner)
{
	struct uwg_ip_prefix a = *outer, b = *inner;

	if (a.family != b.family || a.len > b.len)
		return false;
	b.len = a.len;
	uwg_ip_prefix_mask(&a);
	uwg_ip_prefix_mask(&b);
	return memcmp(a.addr, b.addr, sizeof(a.addr)) == 0;
}

bool uwg_ip_prefix_equal(const struct uwg_ip_prefix *a, const struct uwg_ip_prefix *b)
{
	return a->family == b->family && a->len == b->len &&
	       memcmp(a->addr, b->addr, uwg_ip_family_len(a->family)) == 0;
}
