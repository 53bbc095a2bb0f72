/*
 * cli/uapi/nat_conf.c - NAT configuration: config keys, the host-port
 * checks of `uwg up` and the daemon, the nat_* UAPI lines and their parsers
 * (see nat_conf.h). Main thread (config side) or loop thread (parsers).
 */
#include "cli/uapi/nat_conf.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cli/uapi/text.h"
#include "tun/steer.h"

static const char *const nat_keys[] = { "NATExternalInterface", "NATExternalAddress", "Masquerade",
					"MasqueradePorts", "PortForward" };

void uwg_nat_settings_free(struct uwg_nat_settings *s)
{
	free(s->fwd);
	memset(s, 0, sizeof(*s));
}

bool uwg_nat_settings_copy(struct uwg_nat_settings *dst, const struct uwg_nat_settings *src)
{
	*dst = *src;
	dst->fwd = NULL;
	if (src->n_fwd) {
		dst->fwd = malloc(src->n_fwd * sizeof(*dst->fwd));
		if (!dst->fwd) {
			memset(dst, 0, sizeof(*dst));
			return false;
		}
		memcpy(dst->fwd, src->fwd, src->n_fwd * sizeof(*dst->fwd));
	}
	return true;
}

const char *uwg_nat_conf_canonical(const char *key)
{
	for (size_t i = 0; i < sizeof(nat_keys) / sizeof(nat_keys[0]); i++)
		if (!strcasecmp(key, nat_keys[i]))
			return nat_keys[i];
	return NULL;
}

/* ---- value parsers ---- */

static bool parse_num(const char *s, size_t n, unsigned long max, unsigned long *out)
{
	uint64_t v;

	if (!uwg_text_decimal(s, n, max, &v))
		return false;
	*out = (unsigned long)v;
	return true;
}

static bool parse_port(const char *s, size_t n, uint16_t *port)
{
	unsigned long v;

	if (!parse_num(s, n, 65535, &v) || v == 0)
		return false;
	*port = (uint16_t)v;
	return true;
}

static bool parse_ip4(const char *s, size_t n, uint32_t *addr)
{
	char buf[INET_ADDRSTRLEN];
	struct in_addr a;

	if (n == 0 || n >= sizeof(buf))
		return false;
	memcpy(buf, s, n);
	buf[n] = '\0';
	if (inet_pton(AF_INET, buf, &a) != 1)
		return false;
	*addr = ntohl(a.s_addr);
	return true;
}

static void format_ip4(uint32_t addr, char *buf, size_t len)
{
	struct in_addr a = { htonl(addr) };

	if (!inet_ntop(AF_INET, &a, buf, (socklen_t)len) && len)
		buf[0] = '\0';
}

/* A unicast address a host can own: not 0/8, loopback, multicast, class E or broadcast. */
static bool unicast(uint32_t a)
{
	return (a >> 24) != 0 && (a >> 24) != 127 && a < 0xe0000000u;
}

static bool parse_range(const char *v, uint16_t *lo, uint16_t *hi)
{
	const char *dash = strchr(v, '-');

	if (!dash || !parse_port(v, (size_t)(dash - v), lo) ||
	    !parse_port(dash + 1, strlen(dash + 1), hi))
		return false;
	return *lo <= *hi;
}

static bool valid_ifname(const char *v)
{
	size_t n = strlen(v);

	if (n < 1 || n > UWG_NAT_IFNAME_MAX || !strcmp(v, ".") || !strcmp(v, ".."))
		return false;
	for (const char *c = v; *c; c++)
		if (!isgraph((unsigned char)*c) || *c == '/' || *c == ':')
			return false;
	return true;
}

static uint8_t proto_of(const char *s, size_t n)
{
	if (n == 3 && !strncasecmp(s, "tcp", 3))
		return IPPROTO_TCP;
	if (n == 3 && !strncasecmp(s, "udp", 3))
		return IPPROTO_UDP;
	return 0;
}

static const char *proto_name(uint8_t proto)
{
	return proto == IPPROTO_TCP ? "tcp" : "udp";
}

bool uwg_nat_conf_parse_fwd(struct uwg_nat_fwd *f, const char *v)
{
	const char *p[4];
	size_t n[4];
	const char *s = v;

	/* proto:ext:addr:port, each field non-empty, lowercase proto. */
	for (int i = 0; i < 4; i++) {
		const char *c = i < 3 ? strchr(s, ':') : s + strlen(s);

		if (!c)
			return false;
		p[i] = s;
		n[i] = (size_t)(c - s);
		s = c + 1;
	}
	memset(f, 0, sizeof(*f));
	if (n[0] != 3 || (strncmp(p[0], "tcp", 3) && strncmp(p[0], "udp", 3)))
		return false;
	f->proto = proto_of(p[0], 3);
	return parse_port(p[1], n[1], &f->ext_port) && parse_ip4(p[2], n[2], &f->addr) &&
	       unicast(f->addr) && parse_port(p[3], n[3], &f->port);
}

void uwg_nat_conf_format_fwd(const struct uwg_nat_fwd *f, char *buf, size_t len)
{
	char a[INET_ADDRSTRLEN];

	format_ip4(f->addr, a, sizeof(a));
	snprintf(buf, len, "%s:%u:%s:%u", proto_name(f->proto), f->ext_port, a, f->port);
}

/* "tcp 8080 -> 10.100.0.2:80" (":80" optional: same port), spaces optional around "->". */
static bool parse_forward_line(struct uwg_nat_fwd *f, const char *v, char *w, size_t len)
{
	const char *arrow = strstr(v, "->"), *s = v, *e, *colon;
	size_t n;

	memset(f, 0, sizeof(*f));
	if (!arrow)
		goto bad;
	while (isspace((unsigned char)*s))
		s++;
	n = strcspn(s, " \t");
	if (s + n > arrow)
		n = (size_t)(arrow - s);
	f->proto = proto_of(s, n);
	if (!f->proto)
		return uwg_text_why(w, len, "\"%.*s\" is not a protocol (expected tcp or udp)", (int)n, s);
	s += n;
	while (isspace((unsigned char)*s))
		s++;
	e = arrow;
	while (e > s && isspace((unsigned char)e[-1]))
		e--;
	if (!parse_port(s, (size_t)(e - s), &f->ext_port))
		return uwg_text_why(w, len, "\"%.*s\" is not an external port (expected 1-65535)",
			   (int)(e - s), s);
	s = arrow + 2;
	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		e--;
	colon = memchr(s, ':', (size_t)(e - s));
	if (!parse_ip4(s, (size_t)((colon ? colon : e) - s), &f->addr) || !unicast(f->addr))
		return uwg_text_why(w, len, "\"%.*s\" is not a client IPv4 address",
			   (int)((colon ? colon : e) - s), s);
	if (!colon)
		f->port = f->ext_port;
	else if (!parse_port(colon + 1, (size_t)(e - colon - 1), &f->port))
		return uwg_text_why(w, len, "\"%.*s\" is not a client port (expected 1-65535)",
			   (int)(e - colon - 1), colon + 1);
	return true;
bad:
	return uwg_text_why(w, len, "\"%s\" is not a forward (expected e.g. tcp 8080 -> 10.100.0.2:80)", v);
}

static bool add_fwd(struct uwg_nat_settings *s, const struct uwg_nat_fwd *f)
{
	struct uwg_nat_fwd *v;

	if (s->n_fwd >= UWG_NAT_FORWARDS_MAX)
		return false;
	v = realloc(s->fwd, (s->n_fwd + 1) * sizeof(*v));
	if (!v)
		return false;
	s->fwd = v;
	s->fwd[s->n_fwd++] = *f;
	return true;
}

static void update_enable(struct uwg_nat_settings *s)
{
	s->enable = s->masquerade || s->n_fwd > 0;
}

/* ---- config file ---- */

bool uwg_nat_conf_key(struct uwg_nat_settings *s, const char *key, const char *value,
		      unsigned line, char *w, size_t len)
{
	if (!strcmp(key, "NATExternalInterface")) {
		if (!strcasecmp(value, "auto")) {
			s->ext_if[0] = '\0';
		} else if (valid_ifname(value)) {
			snprintf(s->ext_if, sizeof(s->ext_if), "%s", value);
		} else {
			return uwg_text_why(w, len, "\"%.64s\" is not an interface name (expected auto or "
				   "a name of 1-15 characters)", value);
		}
		s->has_ext_if = true;
		s->line_ext_if = line;
	} else if (!strcmp(key, "NATExternalAddress")) {
		if (!strcasecmp(value, "auto")) {
			s->ext_addr = 0;
		} else if (!parse_ip4(value, strlen(value), &s->ext_addr) || !unicast(s->ext_addr)) {
			s->ext_addr = 0;
			return uwg_text_why(w, len, "\"%.64s\" is not a unicast IPv4 address (expected auto "
				   "or e.g. 203.0.113.1)", value);
		}
		s->has_ext_addr = true;
		s->line_ext_addr = line;
	} else if (!strcmp(key, "Masquerade")) {
		if (!uwg_text_onoff(value, &s->masquerade))
			return uwg_text_why(w, len, "\"%.64s\" is neither on nor off", value);
		s->has_masquerade = true;
		s->line_masq = line;
	} else if (!strcmp(key, "MasqueradePorts")) {
		uint16_t lo, hi;

		if (!parse_range(value, &lo, &hi) || lo < 1024 ||
		    (unsigned)(hi - lo) + 1 > UWG_NAT_POOL_LIMIT)
			return uwg_text_why(w, len, "\"%.64s\" is not a port range (expected LOW-HIGH within "
				   "1024-65535, at most %u ports, e.g. %u-%u)", value,
				   UWG_NAT_POOL_LIMIT, UWG_NAT_POOL_MIN, UWG_NAT_POOL_MAX);
		s->pool_lo = lo;
		s->pool_hi = hi;
		s->line_pool = line;
	} else if (!strcmp(key, "PortForward")) {
		struct uwg_nat_fwd f;

		if (!parse_forward_line(&f, value, w, len))
			return false;
		f.line = line;
		if (!add_fwd(s, &f))
			return uwg_text_why(w, len, "too many forwards (at most %u) or out of memory",
				   UWG_NAT_FORWARDS_MAX);
	} else {
		return uwg_text_why(w, len, "unknown NAT key");
	}
	update_enable(s);
	return true;
}

void uwg_nat_conf_write(FILE *f, const struct uwg_nat_settings *s)
{
	char a[INET_ADDRSTRLEN];

	if (s->has_ext_if)
		fprintf(f, "NATExternalInterface = %s\n", s->ext_if[0] ? s->ext_if : "auto");
	if (s->has_ext_addr) {
		format_ip4(s->ext_addr, a, sizeof(a));
		fprintf(f, "NATExternalAddress = %s\n", s->ext_addr ? a : "auto");
	}
	if (s->has_masquerade)
		fprintf(f, "Masquerade = %s\n", s->masquerade ? "on" : "off");
	if (s->pool_lo)
		fprintf(f, "MasqueradePorts = %u-%u\n", s->pool_lo, s->pool_hi);
	for (size_t i = 0; i < s->n_fwd; i++) {
		format_ip4(s->fwd[i].addr, a, sizeof(a));
		fprintf(f, "PortForward = %s %u -> %s:%u\n", proto_name(s->fwd[i].proto),
			s->fwd[i].ext_port, a, s->fwd[i].port);
	}
}

void uwg_nat_conf_set_inside(struct uwg_nat_settings *s, uint32_t addr, uint8_t len)
{
	s->inside_addr = addr;
	s->inside_len = len >= 32 ? 0 : len;
	s->has_inside = true;
}

static void fail_at(char *err, size_t errlen, const char *file, unsigned line, const char *key,
		    const char *fmt, ...) __attribute__((format(printf, 6, 7)));
static void fail_at(char *err, size_t errlen, const char *file, unsigned line, const char *key,
		    const char *fmt, ...)
{
	char msg[400];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (line)
		snprintf(err, errlen, "%s:%u: %s: %s", file ? file : "(config)", line, key, msg);
	else
		snprintf(err, errlen, "%s: %s: %s", file ? file : "(config)", key, msg);
}

static bool in_inside(const struct uwg_nat_settings *s, uint32_t addr)
{
	uint32_t mask = s->inside_len ? ~0u << (32 - s->inside_len) : 0;

	return (addr & mask) == (s->inside_addr & mask);
}

/* 1 if a host socket holds the port, 0 if not (or it is the caller's own), -errno. */
static int host_port_used(const struct uwg_nat_held *held, uint8_t proto, uint16_t port)
{
	if (held && held->has(held->ctx, proto, port))
		return 0;
	return uwg_steer_port_in_use(proto, 0, port);
}

/* 0, or the error in err and -EADDRINUSE (a collision), -ERANGE (a reserved range), -EINVAL. */
static int check_fwd(const struct uwg_nat_settings *s, size_t i, uint16_t listen_port,
		     const struct uwg_nat_held *held,
		     uint16_t elo, uint16_t ehi, uint16_t plo, uint16_t phi, const char *file,
		     char *err, size_t errlen)
{
	const struct uwg_nat_fwd *f = &s->fwd[i];
	const char *pn = proto_name(f->proto);
	char a[INET_ADDRSTRLEN], net[INET_ADDRSTRLEN];
	int used;

	format_ip4(f->addr, a, sizeof(a));
	for (size_t j = 0; j < i; j++) {
		if (s->fwd[j].proto == f->proto && s->fwd[j].ext_port == f->ext_port) {
			fail_at(err, errlen, file, f->line, "PortForward",
				"%s port %u is already forwarded (line %u)", pn, f->ext_port,
				s->fwd[j].line);
			return -EEXIST;
		}
		if (s->fwd[j].proto == f->proto && s->fwd[j].addr == f->addr &&
		    s->fwd[j].port == f->port) {
			fail_at(err, errlen, file, f->line, "PortForward",
				"%s %s:%u is already the target of line %u", pn, a, f->port,
				s->fwd[j].line);
			return -EEXIST;
		}
	}
	if (s->has_inside && !in_inside(s, f->addr)) {
		format_ip4(s->inside_addr & (s->inside_len ? ~0u << (32 - s->inside_len) : 0), net,
			   sizeof(net));
		fail_at(err, errlen, file, f->line, "PortForward",
			"%s is not inside the tunnel network %s/%u (the first IPv4 Address)", a, net,
			s->inside_len);
		return -EINVAL;
	}
	if (s->has_inside && f->addr == s->inside_addr) {
		fail_at(err, errlen, file, f->line, "PortForward",
			"%s is this server's own tunnel address (expected a client)", a);
		return -EINVAL;
	}
	if (f->proto == IPPROTO_UDP && listen_port && f->ext_port == listen_port) {
		fail_at(err, errlen, file, f->line, "PortForward",
			"udp port %u is the WireGuard ListenPort", f->ext_port);
		return -EADDRINUSE;
	}
	if (f->ext_port >= elo && f->ext_port <= ehi) {
		fail_at(err, errlen, file, f->line, "PortForward",
			"%s port %u lies in the ephemeral port range %u-%u "
			"(net.ipv4.ip_local_port_range): the host's own connections would lose "
			"their replies", pn, f->ext_port, elo, ehi);
		return -ERANGE;
	}
	if (f->ext_port >= plo && f->ext_port <= phi) {
		fail_at(err, errlen, file, f->line, "PortForward",
			"%s port %u lies in the masquerade pool %u-%u (MasqueradePorts)", pn,
			f->ext_port, plo, phi);
		return -ERANGE;
	}
	used = host_port_used(held, f->proto, f->ext_port);
	if (used == 1) {
		fail_at(err, errlen, file, f->line, "PortForward",
			"a host socket is bound to %s port %u (see ss -%snap 'sport = :%u')", pn,
			f->ext_port, f->proto == IPPROTO_TCP ? "t" : "u", f->ext_port);
		return -EADDRINUSE;
	}
	if (used < 0) {
		fail_at(err, errlen, file, f->line, "PortForward", "cannot check %s port %u: %s",
			pn, f->ext_port, strerror(-used));
		return used;
	}
	return 0;
}

int uwg_nat_conf_check(const struct uwg_nat_settings *s, uint16_t listen_port,
		       const struct uwg_nat_held *held, const char *file, char *err, size_t errlen)
{
	uint16_t elo = 1, ehi = 0;
	uint16_t plo = s->pool_lo ? s->pool_lo : UWG_NAT_POOL_MIN;
	uint16_t phi = s->pool_lo ? s->pool_hi : UWG_NAT_POOL_MAX;
	const char *pkey = s->pool_lo ? "MasqueradePorts" : "Masquerade";
	unsigned pline = s->pool_lo ? s->line_pool : s->line_masq;
	int ret;

	if (!s->enable)
		return 0;
	if (uwg_steer_ephemeral_range(&elo, &ehi)) {
		elo = 1;
		ehi = 0;
	}
	if (s->masquerade) {
		if (plo <= ehi && phi >= elo) {
			fail_at(err, errlen, file, pline, pkey,
				"the masquerade pool %u-%u overlaps the ephemeral port range %u-%u "
				"(net.ipv4.ip_local_port_range)%s", plo, phi, elo, ehi,
				s->pool_lo ? "" : "; choose another with MasqueradePorts");
			return -ERANGE;
		}
		if (listen_port >= plo && listen_port <= phi) {
			fail_at(err, errlen, file, pline, pkey,
				"the masquerade pool %u-%u holds the WireGuard ListenPort %u", plo,
				phi, listen_port);
			return -EADDRINUSE;
		}
		for (uint32_t p = plo; p <= phi; p++) {
			for (int k = 0; k < 2; k++) {
				uint8_t proto = k ? IPPROTO_UDP : IPPROTO_TCP;

				if (host_port_used(held, proto, (uint16_t)p) == 1) {
					fail_at(err, errlen, file, pline, pkey,
						"a host socket is bound to %s port %u in the "
						"masquerade pool %u-%u", proto_name(proto), p, plo,
						phi);
					return -EADDRINUSE;
				}
			}
		}
	}
	for (size_t i = 0; i < s->n_fwd; i++) {
		ret = check_fwd(s, i, listen_port, held, elo, ehi, plo, phi, file, err, errlen);
		if (ret)
			return ret;
	}
	return 0;
}

/* ---- UAPI ---- */

char *uwg_nat_conf_format_set(const struct uwg_nat_settings *s, size_t *len)
{
	struct uwg_text b = { 0 };
	char a[INET_ADDRSTRLEN], fw[64];

	uwg_text_printf(&b, "set=1\nnat_enable=%s\n", s->enable ? "true" : "false");
	if (s->enable) {
		uwg_text_printf(&b, "nat_external_interface=%s\n", s->ext_if[0] ? s->ext_if : "auto");
		format_ip4(s->ext_addr, a, sizeof(a));
		uwg_text_printf(&b, "nat_external_address=%s\n", s->ext_addr ? a : "auto");
		if (s->has_inside) {
			format_ip4(s->inside_addr, a, sizeof(a));
			uwg_text_printf(&b, "nat_inside=%s/%u\n", a, s->inside_len);
		}
		uwg_text_printf(&b, "nat_masquerade=%s\n", s->masquerade ? "true" : "false");
		if (s->pool_lo)
			uwg_text_printf(&b, "nat_masquerade_ports=%u-%u\n", s->pool_lo, s->pool_hi);
		for (size_t i = 0; i < s->n_fwd; i++) {
			uwg_nat_conf_format_fwd(&s->fwd[i], fw, sizeof(fw));
			uwg_text_printf(&b, "nat_forward=%s\n", fw);
		}
	}
	uwg_text_printf(&b, "\n");
	return uwg_text_take(&b, len);
}

int uwg_nat_conf_uapi_key(struct uwg_nat_settings *s, const char *key, const char *v)
{
	if (!strcmp(key, "nat_enable")) {
		if (strcmp(v, "true") && strcmp(v, "false"))
			return -EINVAL;
		s->enable = !strcmp(v, "true");
	} else if (!strcmp(key, "nat_external_interface")) {
		if (!strcmp(v, "auto"))
			s->ext_if[0] = '\0';
		else if (valid_ifname(v))
			snprintf(s->ext_if, sizeof(s->ext_if), "%s", v);
		else
			return -EINVAL;
	} else if (!strcmp(key, "nat_external_address")) {
		if (!strcmp(v, "auto"))
			s->ext_addr = 0;
		else if (!parse_ip4(v, strlen(v), &s->ext_addr) || !unicast(s->ext_addr))
			return -EINVAL;
	} else if (!strcmp(key, "nat_inside")) {
		const char *slash = strchr(v, '/');
		unsigned long len;

		if (!slash || !parse_ip4(v, (size_t)(slash - v), &s->inside_addr) ||
		    !parse_num(slash + 1, strlen(slash + 1), 32, &len) ||
		    (slash[1] == '0' && slash[2]))
			return -EINVAL;
		uwg_nat_conf_set_inside(s, s->inside_addr, (uint8_t)len);
	} else if (!strcmp(key, "nat_masquerade")) {
		if (strcmp(v, "true") && strcmp(v, "false"))
			return -EINVAL;
		s->masquerade = !strcmp(v, "true");
	} else if (!strcmp(key, "nat_masquerade_ports")) {
		uint16_t lo, hi;

		if (!parse_range(v, &lo, &hi) || lo < 1024 ||
		    (unsigned)(hi - lo) + 1 > UWG_NAT_POOL_LIMIT)
			return -EINVAL;
		s->pool_lo = lo;
		s->pool_hi = hi;
	} else if (!strcmp(key, "nat_forward")) {
		struct uwg_nat_fwd f;
		bool remove = v[0] == '-';

		if (!uwg_nat_conf_parse_fwd(&f, v + remove))
			return -EINVAL;
		if (remove) {
			/* Removing a forward that is not there is a no-op, as for allowed_ip. */
			for (size_t i = s->n_fwd; i-- > 0;)
				if (s->fwd[i].proto == f.proto && s->fwd[i].ext_port == f.ext_port)
					memmove(&s->fwd[i], &s->fwd[i + 1],
						(--s->n_fwd - i) * sizeof(s->fwd[i]));
		} else if (!add_fwd(s, &f)) {
			return s->n_fwd >= UWG_NAT_FORWARDS_MAX ? -ENOSPC : -ENOMEM;
		}
	} else if (!strcmp(key, "nat_replace_forwards")) {
		if (strcmp(v, "true"))
			return -EINVAL;
		s->n_fwd = 0;
	} else {
		return -EINVAL;
	}
	return 0;
}

/* ---- the external side ---- */

/* The source address the kernel picks for traffic leaving through ifname. */
