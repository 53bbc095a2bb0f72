/*
 * cli/uapi/igd_conf.c - the UPnP IGD's configuration keys, their UAPI lines and
 * the "upnp_map=" report lines (see cli/uapi/igd_conf.h). Main thread (config
 * side) or loop thread (parsers); no globals.
 */
#include "cli/uapi/igd_conf.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "cli/uapi/text.h"


static const char *const igd_keys[] = { "UPnP", "UPnPAllow", "UPnPDeny", "UPnPMaxMapsPerPeer",
					"UPnPExternalAddress", "NATPMP", "PCP", "PortMapLifetime" };

const char *uwg_igd_conf_canonical(const char *key)
{
	for (size_t i = 0; i < sizeof(igd_keys) / sizeof(igd_keys[0]); i++)
		if (!strcasecmp(key, igd_keys[i]))
			return igd_keys[i];
	return NULL;
}

/* Decimal without sign or leading junk, at most max. */
static bool parse_uint(const char *v, unsigned long max, unsigned long *out)
{
	uint64_t n;

	if (!uwg_text_decimal(v, strlen(v), max, &n))
		return false;
	*out = (unsigned long)n;
	return true;
}

/* "MIN-MAX" seconds, 1 <= MIN <= MAX <= the IGD's longest lease. */
static bool parse_lifetimes(const char *v, uint32_t *lo, uint32_t *hi)
{
	const char *dash = strchr(v, '-');
	char a[16];
	uint64_t x, y;

	if (!dash || (size_t)(dash - v) >= sizeof(a))
		return false;
	memcpy(a, v, (size_t)(dash - v));
	a[dash - v] = '\0';
	if (!uwg_text_decimal(a, strlen(a), UWG_IGD_MAX_LEASE_S, &x) ||
	    !uwg_text_decimal(dash + 1, strlen(dash + 1), UWG_IGD_MAX_LEASE_S, &y) || !x || x > y)
		return false;
	*lo = (uint32_t)x;
	*hi = (uint32_t)y;
	return true;
}

/* A unicast IPv4 address (host order); "auto" is 0. */
static bool parse_ext_addr(const char *v, uint32_t *out)
{
	struct in_addr a;
	uint32_t h;

	if (!strcasecmp(v, "auto")) {
		*out = 0;
		return true;
	}
	if (inet_pton(AF_INET, v, &a) != 1)
		return false;
	h = ntohl(a.s_addr);
	/* Not 0/8, loopback, multicast or above. */
	if ((h >> 24) == 0 || (h >> 24) == 127 || (h >> 28) >= 14)
		return false;
	*out = h;
	return true;
}

/* "allow|deny " + value through the policy's own parser. */
static int parse_rule(struct uwg_igd_rule *r, bool allow, const char *value)
{
	char text[160];

	if (strlen(value) >= sizeof(text) - 8)
		return -EINVAL;
	snprintf(text, sizeof(text), "%s %s", allow ? "allow" : "deny", value);
	return uwg_igd_rule_parse(r, text);
}

bool uwg_igd_conf_key(struct uwg_igd_settings *s, const char *key, const char *value,
		      unsigned line, char *w, size_t len)
{
	if (!strcmp(key, "UPnP")) {
		if (!uwg_text_onoff(value, &s->enable))
			return uwg_text_why(w, len, "\"%.64s\" is neither on nor off", value);
		s->has_enable = true;
		s->line_enable = line;
	} else if (!strcmp(key, "NATPMP")) {
		if (!uwg_text_onoff(value, &s->natpmp))
			return uwg_text_why(w, len, "\"%.64s\" is neither on nor off", value);
		s->has_natpmp = true;
		s->line_natpmp = line;
	} else if (!strcmp(key, "PCP")) {
		if (!uwg_text_onoff(value, &s->pcp))
			return uwg_text_why(w, len, "\"%.64s\" is neither on nor off", value);
		s->has_pcp = true;
		s->line_pcp = line;
	} else if (!strcmp(key, "PortMapLifetime")) {
		if (!parse_lifetimes(value, &s->life_min, &s->life_max))
			return uwg_text_why(w, len, "\"%.64s\" is not a range of seconds (expected "
					    "MIN-MAX within 1-%u, e.g. 120-86400)", value,
					    UWG_IGD_MAX_LEASE_S);
	} else if (!strcmp(key, "UPnPMaxMapsPerPeer")) {
		unsigned long n;

		if (!parse_uint(value, UWG_IGD_CONF_MAX_PER_PEER, &n) || n == 0)
			return uwg_text_why(w, len, "\"%.64s\" is not a number of port maps (expected 1-%u)",
				   value, UWG_IGD_CONF_MAX_PER_PEER);
		s->max_per_peer = (unsigned)n;
		s->line_max = line;
	} else if (!strcmp(key, "UPnPExternalAddress")) {
		if (!parse_ext_addr(value, &s->ext_addr))
			return uwg_text_why(w, len, "\"%.64s\" is not a unicast IPv4 address (expected auto or "
				   "e.g. 203.0.113.1)", value);
		s->has_ext_addr = true;
		s->line_ext_addr = line;
	} else if (!strcmp(key, "UPnPAllow") || !strcmp(key, "UPnPDeny")) {
		struct uwg_igd_rule r;

		if (parse_rule(&r, key[4] == 'A', value))
			return uwg_text_why(w, len, "\"%.64s\" is not a rule (expected EXTERNAL-PORTS "
				   "CLIENT-CIDR INTERNAL-PORTS, e.g. 1024-65535 10.100.0.0/24 "
				   "1024-65535)", value);
		if (s->n_rules >= UWG_IGD_MAX_RULES)
			return uwg_text_why(w, len, "too many rules (at most %u)", UWG_IGD_MAX_RULES);
		s->rules[s->n_rules++] = r;
	} else {
		return uwg_text_why(w, len, "unknown UPnP key");
	}
	return true;
}

/* The rule's text without its leading "allow "/"deny ". */
static const char *rule_body(const struct uwg_igd_rule *r, char *buf, size_t len)
{
	const char *sp;

	uwg_igd_rule_format(r, buf, len);
	sp = strchr(buf, ' ');
	return sp ? sp + 1 : buf;
}

void uwg_igd_conf_finish(struct uwg_igd_settings *s)
{
	bool natpmp = s->has_natpmp ? s->natpmp : s->enable;
	bool pcp = s->has_pcp ? s->pcp : s->enable;

	s->natpmp_off = !natpmp;
	s->pcp_off = !pcp;
	if ((natpmp || pcp) && !s->enable) {
		s->enable = true;
		s->igd_off = true;
	}
}

void uwg_igd_conf_write(FILE *f, const struct uwg_igd_settings *s)
{
	char buf[UWG_IGD_RULE_TEXT_MAX];

	if (s->has_enable)
		fprintf(f, "UPnP = %s\n", s->enable && !s->igd_off ? "on" : "off");
	if (s->has_natpmp)
		fprintf(f, "NATPMP = %s\n", s->natpmp ? "on" : "off");
	if (s->has_pcp)
		fprintf(f, "PCP = %s\n", s->pcp ? "on" : "off");
	if (s->life_max)
		fprintf(f, "PortMapLifetime = %u-%u\n", s->life_min, s->life_max);
	if (s->max_per_peer)
		fprintf(f, "UPnPMaxMapsPerPeer = %u\n", s->max_per_peer);
	if (s->has_ext_addr) {
		struct in_addr a = { htonl(s->ext_addr) };
		char ip[INET_ADDRSTRLEN];

		inet_ntop(AF_INET, &a, ip, sizeof(ip));
		fprintf(f, "UPnPExternalAddress = %s\n", s->ext_addr ? ip : "auto");
	}
	for (size_t i = 0; i < s->n_rules; i++)
		fprintf(f, "%s = %s\n", s->rules[i].allow ? "UPnPAllow" : "UPnPDeny",
			rule_body(&s->rules[i], buf, sizeof(buf)));
}

int uwg_igd_conf_check(const struct uwg_igd_settings *s, bool has_v4, const char *file,
		       char *err, size_t errlen)
{
	if (!s->enable || has_v4)
		return 0;
	if (s->igd_off)
		snprintf(err, errlen, "%s:%u: %s: needs an IPv4 Address on the interface "
			 "(NAT-PMP and PCP listen on the tunnel's IPv4 address)",
			 file ? file : "(config)", s->natpmp_off ? s->line_pcp : s->line_natpmp,
			 s->natpmp_off ? "PCP" : "NATPMP");
	else
		snprintf(err, errlen, "%s:%u: UPnP: needs an IPv4 Address on the interface (the "
			 "IGD listens on the tunnel's IPv4 address)", file ? file : "(config)",
			 s->line_enable);
	return -EINVAL;
}

/* ---- UAPI ---- */

char *uwg_igd_conf_format_set(const struct uwg_igd_settings *s, size_t *len)
{
	struct uwg_text b = { 0 };
	char buf[UWG_IGD_RULE_TEXT_MAX];

	uwg_text_printf(&b, "set=1\nupnp=%s\n", s->enable ? "true" : "false");
	if (s->enable) {
		if (s->igd_off)
			uwg_text_printf(&b, "upnp_igd=false\n");
		if (s->natpmp_off)
			uwg_text_printf(&b, "upnp_natpmp=false\n");
		if (s->pcp_off)
			uwg_text_printf(&b, "upnp_pcp=false\n");
		if (s->life_max)
			uwg_text_printf(&b, "upnp_lifetime=%u-%u\n", s->life_min, s->life_max);
		uwg_text_printf(&b, "upnp_max_maps_per_peer=%u\n",
		       s->max_per_peer ? s->max_per_peer : UWG_IGD_DEFAULT_PER_CLIENT);
		if (s->ext_addr) {
			struct in_addr a = { htonl(s->ext_addr) };
			char ip[INET_ADDRSTRLEN];

			inet_ntop(AF_INET, &a, ip, sizeof(ip));
			uwg_text_printf(&b, "upnp_external_address=%s\n", ip);
		}
		for (size_t i = 0; i < s->n_rules; i++) {
			uwg_igd_rule_format(&s->rules[i], buf, sizeof(buf));
			uwg_text_printf(&b, "upnp_rule=%s\n", buf);
		}
	}
	uwg_text_printf(&b, "\n");
	return uwg_text_take(&b, len);
}

int uwg_igd_conf_uapi_key(struct uwg_igd_settings *s, const char *key, const char *v)
{
	if (!strcmp(key, "upnp")) {
		if (strcmp(v, "true") && strcmp(v, "false"))
			return -EINVAL;
		s->enable = !strcmp(v, "true");
	} else if (!strcmp(key, "upnp_igd") || !strcmp(key, "upnp_natpmp") ||
		   !strcmp(key, "upnp_pcp")) {
		if (strcmp(v, "true") && strcmp(v, "false"))
			return -EINVAL;
		*(key[5] == 'i' ? &s->igd_off : key[5] == 'n' ? &s->natpmp_off : &s->pcp_off) =
			!strcmp(v, "false");
	} else if (!strcmp(key, "upnp_lifetime")) {
		if (!parse_lifetimes(v, &s->life_min, &s->life_max))
			return -EINVAL;
	} else if (!strcmp(key, "upnp_max_maps_per_peer")) {
		unsigned long n;

		if (!parse_uint(v, UWG_IGD_CONF_MAX_PER_PEER, &n) || n == 0)
			return -EINVAL;
		s->max_per_peer = (unsigned)n;
	} else if (!strcmp(key, "upnp_external_address")) {
		if (!parse_ext_addr(v, &s->ext_addr))
			return -EINVAL;
	} else if (!strcmp(key, "upnp_rule")) {
		struct uwg_igd_rule r;

		if (uwg_igd_rule_parse(&r, v))
			return -EINVAL;
		if (s->n_rules >= UWG_IGD_MAX_RULES)
			return -ENOSPC;
		s->rules[s->n_rules++] = r;
	} else if (!strcmp(key, "upnp_replace_rules")) {
		if (strcmp(v, "true"))
			return -EINVAL;
		s->n_rules = 0;
	} else {
		return -ENOENT;
	}
	return 0;
}

/* ---- map report lines ---- */

static const char *proto_name(uint8_t proto)
{
	return proto == IPPROTO_UDP ? "udp" : "tcp";
}

void uwg_igd_conf_format_map(const struct uwg_igd_map_line *m, char *buf, size_t len)
{
	struct in_addr a = { htonl(m->int_addr) };
	char ip[INET_ADDRSTRLEN];

	inet_ntop(AF_INET, &a, ip, sizeof(ip));
	snprintf(buf, len, "%s:%u:%s:%u:%u:%s:%s:%s", proto_name(m->proto), m->ext_port, ip,
		 m->int_port, m->lease_left_s, m->owner, m->origin, m->desc);
}

/* The next ':'-terminated field of *p, NUL-terminated in place; NULL if there is none. */
static char *field(char **p)
{
	char *s = *p, *c = strchr(s, ':');

	if (!c)
		return NULL;
	*c = '\0';
	*p = c + 1;
	return s;
}

bool uwg_igd_conf_parse_map(struct uwg_igd_map_line *m, const char *value)
{
	char buf[256], *p = buf, *f[7];
	unsigned long n;
	struct in_addr a;

	if (strlen(value) >= sizeof(buf))
		return false;
	memcpy(buf, value, strlen(value) + 1);
	for (int i = 0; i < 7; i++)
		if (!(f[i] = field(&p)))
			return false;
	memset(m, 0, sizeof(*m));
	if (!strcmp(f[0], "tcp"))
		m->proto = IPPROTO_TCP;
	else if (!strcmp(f[0], "udp"))
		m->proto = IPPROTO_UDP;
	else
		return false;
	if (!parse_uint(f[1], 65535, &n) || !n)
		return false;
	m->ext_port = (uint16_t)n;
	if (inet_pton(AF_INET, f[2], &a) != 1)
		return false;
	m->int_addr = ntohl(a.s_addr);
	if (!parse_uint(f[3], 65535, &n) || !n)
		return false;
	m->int_port = (uint16_t)n;
	if (!parse_uint(f[4], UINT32_MAX, &n))
		return false;
	m->lease_left_s = (uint32_t)n;
	if (strlen(f[5]) >= sizeof(m->owner) || strlen(f[6]) >= sizeof(m->origin) ||
	    strlen(p) >= sizeof(m->desc))
		return false;
	strcpy(m->owner, f[5]);
	strcpy(m->origin, f[6]);
	strcpy(m->desc, p);
	return true;
}
