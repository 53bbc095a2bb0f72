/*
 * igd/policy.c - pure mapping policy: allowed requesters, allow/deny rules,
 * privileged ports, lease clamp, AddAnyPortMapping port walk. Any thread
 * (no state outside the structs passed in).
 */
#include "igd/policy.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

void uwg_igd_policy_init(struct uwg_igd_policy *pol)
{
	memset(pol, 0, sizeof(*pol));
	pol->max_lease_s = UWG_IGD_MAX_LEASE_S;
	pol->max_per_client = UWG_IGD_DEFAULT_PER_CLIENT;
}

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* Reads a decimal number of at most max_digits digits that fits in limit. */
static const char *parse_dec(const char *s, unsigned max_digits, uint32_t limit, uint32_t *out)
{
	uint32_t v = 0;
	unsigned n = 0;

	while (*s >= '0' && *s <= '9') {
		if (++n > max_digits)
			return NULL;
		v = v * 10 + (uint32_t)(*s - '0');
		s++;
	}
	if (n == 0 || v > limit)
		return NULL;
	*out = v;
	return s;
}

/* Dotted quad, exactly four parts, no leading junk; returns the end. */
static const char *parse_ipv4(const char *s, uint32_t *out_h)
{
	uint32_t v = 0, part;

	for (int i = 0; i < 4; i++) {
		if (i && *s++ != '.')
			return NULL;
		s = parse_dec(s, 3, 255, &part);
		if (!s)
			return NULL;
		v = v << 8 | part;
	}
	*out_h = v;
	return s;
}

static uint32_t prefix_mask(unsigned bits)
{
	return bits ? 0xffffffffu << (32 - bits) : 0;
}

static bool mask_is_contiguous(uint32_t m)
{
	return (m | (m - 1)) == 0xffffffffu || m == 0;
}

/* a.b.c.d[/bits | /a.b.c.d] up to end. */
static int parse_cidr_span(const char *s, const char *end, uint32_t *net_h, uint32_t *mask_h)
{
	uint32_t ip, mask = 0xffffffffu, bits;
	const char *p = parse_ipv4(s, &ip);

	if (!p)
		return -EINVAL;
	if (p < end && *p == '/') {
		const char *q = parse_ipv4(p + 1, &mask);

		if (q && q == end) {
			if (!mask_is_contiguous(mask))
				return -EINVAL;
			p = q;
		} else {
			p = parse_dec(p + 1, 2, 32, &bits);
			if (!p)
				return -EINVAL;
			mask = prefix_mask(bits);
		}
	}
	if (p != end || (ip & ~mask))
		return -EINVAL;
	*net_h = ip;
	*mask_h = mask;
	return 0;
}

int uwg_igd_cidr_parse(const char *text, uint32_t *net_h, uint32_t *mask_h)
{
	return parse_cidr_span(text, text + strlen(text), net_h, mask_h);
}

/* "lo" or "lo-hi" up to end. */
static int parse_range(const char *s, const char *end, uint16_t *lo, uint16_t *hi)
{
	uint32_t a, b;
	const char *p = parse_dec(s, 5, 65535, &a);

	if (!p)
		return -EINVAL;
	b = a;
	if (p < end && *p == '-') {
		p = parse_dec(p + 1, 5, 65535, &b);
		if (!p)
			return -EINVAL;
	}
	if (p != end || a > b)
		return -EINVAL;
	*lo = (uint16_t)a;
	*hi = (uint16_t)b;
	return 0;
}

int uwg_igd_rule_parse(struct uwg_igd_rule *out, const char *text)
{
	const char *tok[5], *tend[5];
	const char *p = text;
	int n = 0;
	struct uwg_igd_rule r;

	while (*p) {
		while (is_space(*p))
			p++;
		if (!*p)
			break;
		if (n == 4)
			return -EINVAL;
		tok[n] = p;
		while (*p && !is_space(*p))
			p++;
		tend[n++] = p;
	}
	if (n != 4)
		return -EINVAL;
	memset(&r, 0, sizeof(r));
	if (tend[0] - tok[0] == 5 && !strncmp(tok[0], "allow", 5))
		r.allow = true;
	else if (tend[0] - tok[0] == 4 && !strncmp(tok[0], "deny", 4))
		r.allow = false;
	else
		return -EINVAL;
	if (parse_range(tok[1], tend[1], &r.ext_min, &r.ext_max) ||
	    parse_cidr_span(tok[2], tend[2], &r.net_h, &r.mask_h) ||
	    parse_range(tok[3], tend[3], &r.int_min, &r.int_max))
		return -EINVAL;
	*out = r;
	return 0;
}

static unsigned mask_bits(uint32_t m)
{
	unsigned n = 0;

	while (m & 0x80000000u) {
		n++;
		m <<= 1;
	}
	return n;
}

size_t uwg_igd_rule_format(const struct uwg_igd_rule *r, char *buf, size_t cap)
{
	int n = snprintf(buf, cap, "%s %u-%u %u.%u.%u.%u/%u %u-%u", r->allow ? "allow" : "deny",
			 r->ext_min, r->ext_max, r->net_h >> 24, (r->net_h >> 16) & 255,
			 (r->net_h >> 8) & 255, r->net_h & 255, mask_bits(r->mask_h), r->int_min,
			 r->int_max);

	return n < 0 ? 0 : (size_t)n;
}

int uwg_igd_policy_add_rule(struct uwg_igd_policy *pol, const struct uwg_igd_rule *rule)
{
	if (pol->n_rules >= UWG_IGD_MAX_RULES)
		return -ENOSPC;
	pol->rules[pol->n_rules++] = *rule;
	return 0;
}

bool uwg_igd_policy_requester_ok(const struct uwg_igd_policy *pol, uint32_t requester_h)
{
	return (requester_h & pol->allow_mask_h) == (pol->allow_net_h & pol->allow_mask_h);
}

bool uwg_igd_in6_prefix(const struct in6_addr *a, const struct in6_addr *net, unsigned bits)
{
	unsigned whole = bits / 8, rest = bits % 8;

	if (bits > 128)
		return false;
	if (memcmp(a->s6_addr, net->s6_addr, whole))
		return false;
	return !rest || ((a->s6_addr[whole] ^ net->s6_addr[whole]) & (0xff00u >> rest) & 0xff) == 0;
}

int uwg_igd_cidr6_parse(const char *text, struct in6_addr *net, unsigned *bits)
{
	char addr[INET6_ADDRSTRLEN];
	const char *slash = strchr(text, '/');
	size_t n = slash ? (size_t)(slash - text) : strlen(text);
	uint32_t b = 128;
	struct in6_addr a;

	if (n == 0 || n >= sizeof(addr))
		return -EINVAL;
	memcpy(addr, text, n);
	addr[n] = '\0';
	if (inet_pton(AF_INET6, addr, &a) != 1)
		return -EINVAL;
	if (slash) {
		const char *end = parse_dec(slash + 1, 3, 128, &b);

		if (!end || *end)
			return -EINVAL;
	}
	/* host bits set: a typo more likely than a wish */
	for (unsigned i = b; i < 128; i++)
		if (a.s6_addr[i / 8] & (0x80u >> (i % 8)))
			return -EINVAL;
	*net = a;
	*bits = b;
	return 0;
}

bool uwg_igd_policy_requester6_ok(const struct uwg_igd_policy *pol, const struct in6_addr *a)
{
	return pol->allow6 && uwg_igd_in6_prefix(a, &pol->allow6_net, pol->allow6_bits);
}

bool uwg_igd_policy_source_ok(const struct uwg_igd_policy *pol, const struct uwg_igd_addr *a)
{
	if (a->v6)
		return uwg_igd_policy_requester6_ok(pol, &a->ip6);
	return uwg_igd_policy_requester_ok(pol, ntohl(a->ip4.s_addr));
}

int uwg_igd_policy_check_pinhole(const struct uwg_igd_policy *pol, uint16_t int_port)
{
	return int_port >= UWG_IGD_FIRST_UNPRIVILEGED || pol->allow_privileged ? 0 : 606;
}

int uwg_igd_policy_check(const struct uwg_igd_policy *pol, uint16_t ext_port,
			 uint32_t client_h, uint16_t int_port)
{
	if (ext_port == 0 || int_port == 0)
		return 606;
	if (!pol->allow_privileged && ext_port < UWG_IGD_FIRST_UNPRIVILEGED)
		return 606;
	for (size_t i = 0; i < pol->n_rules; i++) {
		const struct uwg_igd_rule *r = &pol->rules[i];

		if (ext_port < r->ext_min || ext_port > r->ext_max)
			continue;
		if (int_port < r->int_min || int_port > r->int_max)
			continue;
		if ((client_h & r->mask_h) != r->net_h)
			continue;
		return r->allow ? 0 : 606;
	}
	return 0;
}

uint32_t uwg_igd_policy_lease(const struct uwg_igd_policy *pol, uint32_t requested_s)
{
	uint32_t max = pol->max_lease_s ? pol->max_lease_s : UWG_IGD_MAX_LEASE_S;

	if (requested_s == 0)
		return pol->zero_lease_is_max ? max : 0;
	return requested_s > max ? max : requested_s;
}

uint16_t uwg_igd_policy_min_port(const struct uwg_igd_policy *pol)
{
	return pol->allow_privileged ? 1 : UWG_IGD_FIRST_UNPRIVILEGED;
}

uint16_t uwg_igd_policy_any_port(const struct uwg_igd_policy *pol, uint32_t client_h,
				 uint16_t int_port)
{
	uint16_t lo = uwg_igd_policy_min_port(pol);
	/* spread requests over the range, deterministically per client and port */
	uint32_t h = (client_h ^ (uint32_t)int_port * 2654435761u) * 2246822519u;

	return int_port >= lo ? int_port : (uint16_t)(lo + (h >> 16) % (65536u - lo));
}

void uwg_igd_port_walk_init(struct uwg_igd_port_walk *w, uint16_t start, uint16_t lo)
{
	if (lo == 0)
		lo = 1;
	if (start < lo)
		start = lo;
	w->start = start;
	w->lo = lo;
	w->step = 0;
}

uint16_t uwg_igd_port_walk_next(struct uwg_igd_port_walk *w)
{
	for (;;) {
		uint32_t step = w->step++;
		uint32_t d = (step + 1) / 2;
		bool up = step % 2 == 1;
		bool up_ok = (uint32_t)w->start + d <= 65535;
		bool down_ok = w->start >= w->lo + d;

		if (step == 0)
			return w->start;
		if (!up_ok && !down_ok)
			return 0;
		if (up && up_ok)
			return (uint16_t)(w->start + d);
		if (!up && down_ok)
			return (uint16_t)(w->start - d);
	}
}
