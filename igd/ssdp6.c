/*
 * igd/ssdp6.c - IPv6 M-SEARCH parsing and replies (see ssdp6.h). Pure; any
 * thread.
 *
 * The matching is pupnp's (ssdp_server.c AdvertiseAndReply), so IPv4 and
 * IPv6 searches are answered alike: ssdp:all gets every root, UDN, device
 * and service reply; a device or service type matches without its version,
 * case-insensitively, and the version decides the URL: ours gets the IGD:2
 * tree, a lower one gets the :1 tree under the ST that was asked for (UDA
 * 1.1 §1.3.2), a higher one nothing.
 */
#include "igd/ssdp6.h"
#include "igd/desc.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#ifndef UWG_VERSION
#define UWG_VERSION "0"
#endif

enum { MAX_HEADERS = 32 };

struct span {
	const char *p;
	size_t n;
};

struct search {
	struct span st;
	bool man, mx;
};

static bool span_is(struct span s, const char *lit)
{
	return s.n == strlen(lit) && !memcmp(s.p, lit, s.n);
}

static bool name_is(struct span s, const char *lit)
{
	return s.n == strlen(lit) && !strncasecmp(s.p, lit, s.n);
}

static bool tchar(unsigned char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c && strchr("!#$%&'*+-.^_`|~", c));
}

/* The next line of [*p, end) without its LF or CR LF; false when no LF ends it. */
static bool next_line(const char **p, const char *end, struct span *line)
{
	const char *lf = memchr(*p, '\n', (size_t)(end - *p));

	if (!lf)
		return false;
	line->p = *p;
	line->n = (size_t)(lf - *p);
	if (line->n && line->p[line->n - 1] == '\r')
		line->n--;
	*p = lf + 1;
	return true;
}

/* One header line into the search; -EINVAL when malformed or repeated. */
static int header(struct search *s, struct span line)
{
	const char *colon = memchr(line.p, ':', line.n);
	struct span name, v;

	if (!colon || colon == line.p)
		return -EINVAL;
	name.p = line.p;
	name.n = (size_t)(colon - line.p);
	for (size_t i = 0; i < name.n; i++)
		if (!tchar((unsigned char)name.p[i]))
			return -EINVAL;
	v.p = colon + 1;
	v.n = line.n - name.n - 1;
	for (size_t i = 0; i < v.n; i++) {
		unsigned char c = (unsigned char)v.p[i];

		if ((c < 0x20 && c != '\t') || c == 0x7f)
			return -EINVAL;
	}
	while (v.n && (*v.p == ' ' || *v.p == '\t')) {
		v.p++;
		v.n--;
	}
	while (v.n && (v.p[v.n - 1] == ' ' || v.p[v.n - 1] == '\t'))
		v.n--;
	if (name_is(name, "MAN")) {
		if (s->man || !span_is(v, "\"ssdp:discover\""))
			return -EINVAL;
		s->man = true;
	} else if (name_is(name, "MX")) {
		if (s->mx || !v.n || v.n > 3)
			return -EINVAL;
		for (size_t i = 0; i < v.n; i++)
			if (v.p[i] < '0' || v.p[i] > '9')
				return -EINVAL;
		s->mx = true;
	} else if (name_is(name, "ST")) {
		if (s->st.p || !v.n || v.n >= UWG_IGD_SSDP6_ST_MAX)
			return -EINVAL;
		for (size_t i = 0; i < v.n; i++)
			if (v.p[i] == ' ' || v.p[i] == '\t')
				return -EINVAL;
		s->st = v;
	}
	return 0;
}

static int parse(const char *msg, size_t len, struct search *s)
{
	const char *p = msg, *end = msg + len;
	struct span line;
	unsigned n = 0;

	memset(s, 0, sizeof(*s));
	if (len > UWG_IGD_SSDP6_MSG_MAX || !next_line(&p, end, &line) ||
	    !span_is(line, "M-SEARCH * HTTP/1.1"))
		return -EINVAL;
	for (;;) {
		if (!next_line(&p, end, &line) || ++n > MAX_HEADERS)
			return -EINVAL; /* no blank line: not a whole request */
		if (!line.n)
			break;
		if (header(s, line))
			return -EINVAL;
	}
	return s->man && s->mx && s->st.p ? 0 : -EINVAL;
}

/* The things that answer: the three devices of the IGD:2 tree and their services. */
struct thing {
	const char *type; /* up to and including the colon before the version */
	unsigned version;
	unsigned level;   /* of the device it is (a service: the device holding it) */
	bool device;
};

#define DEV "urn:schemas-upnp-org:device:"

static const struct thing devices[] = {
	{ DEV "InternetGatewayDevice:", 2, 0, true },
	{ DEV "WANDevice:", 2, 1, true },
	{ DEV "WANConnectionDevice:", 2, 2, true },
};

/* The services of the IGD:2 tree (desc.c): WANIPConnection at :2 there, the others at :1. */
static const struct {
	enum uwg_igd_service svc;
	unsigned version, level;
} services[] = {
	{ UWG_IGD_SVC_L3F, 1, 0 },
	{ UWG_IGD_SVC_CIF, 1, 1 },
	{ UWG_IGD_SVC_WANIP, 2, 2 },
	{ UWG_IGD_SVC_FW6, 1, 2 },
};

struct out {
	const struct uwg_igd_ssdp6_device *dev;
	uwg_igd_ssdp6_emit emit;
	void *ctx;
	int count;
};

/* One reply: ST st, USN usn_udn[::st] (none after a UDN search), the URL of the tree. */
static void reply(struct out *o, const char *st, const char *udn, bool with_st, bool lower)
{
	char buf[UWG_IGD_SSDP6_REPLY_MAX];
	int n = snprintf(buf, sizeof(buf),
			 "HTTP/1.1 200 OK\r\n"
			 "CACHE-CONTROL: max-age=%u\r\n"
			 "EXT:\r\n"
			 "LOCATION: %s\r\n"
			 "SERVER: Linux UPnP/1.0 uwg/" UWG_VERSION "\r\n"
			 "ST: %s\r\n"
			 "USN: %s%s%s\r\n"
			 "\r\n",
			 o->dev->max_age ? o->dev->max_age : 1800,
			 lower ? o->dev->lower : o->dev->location, st, udn, with_st ? "::" : "",
			 with_st ? st : "");

	if (n > 0 && (size_t)n < sizeof(buf)) {
		o->emit(o->ctx, buf, (size_t)n);
		o->count++;
	}
}

/*
 * Does st (NUL-terminated) name type at a version we serve? 1 = our version,
 * 2 = a lower one (the :1 tree answers), 0 = no.
 */
static int type_match(const char *st, const char *type, unsigned version)
{
	size_t n = strlen(type);
	unsigned v = 0;

	if (strncasecmp(st, type, n))
		return 0;
	/* a version is a decimal number, nothing after it */
	if (!st[n] || strlen(st + n) > 3)
		return 0;
	for (const char *d = st + n; *d; d++) {
		if (*d < '0' || *d > '9')
			return 0;
		v = v * 10 + (unsigned)(*d - '0');
	}
	if (v == version)
		return 1;
	return v >= 1 && v < version ? 2 : 0;
}

/* The service type without its version: "urn:...:WANIPConnection:" into out. */
static void service_prefix(enum uwg_igd_service svc, char *out, size_t cap)
{
	const char *type = uwg_igd_service_info(svc)->type;
	const char *colon = strrchr(type, ':');

	snprintf(out, cap, "%.*s", (int)(colon - type + 1), type);
}

static void all(struct out *o, char udn[3][48])
{
	char type[UWG_IGD_SSDP6_ST_MAX + 16];

	/* pupnp's order: per device its UDN and type (the root first "upnp:rootdevice") */
	for (size_t i = 0; i < sizeof(devices) / sizeof(devices[0]); i++) {
		if (i == 0)
			reply(o, "upnp:rootdevice", udn[0], true, false);
		reply(o, udn[i], udn[i], false, false);
		snprintf(type, sizeof(type), "%s%u", devices[i].type, devices[i].version);
		reply(o, type, udn[i], true, false);
	}
	for (size_t i = 0; i < sizeof(services) / sizeof(services[0]); i++) {
		char prefix[UWG_IGD_SSDP6_ST_MAX];

		service_prefix(services[i].svc, prefix, sizeof(prefix));
		snprintf(type, sizeof(type), "%s%u", prefix, services[i].version);
		reply(o, type, udn[services[i].level], true, false);
	}
}

int uwg_igd_ssdp6_answer(const struct uwg_igd_ssdp6_device *dev, const char *msg, size_t len,
			 uwg_igd_ssdp6_emit emit, void *ctx)
{
	struct out o = { dev, emit, ctx, 0 };
	char st[UWG_IGD_SSDP6_ST_MAX], udn[3][48];
	struct search s;

	if (parse(msg, len, &s) || !uwg_igd_uuid_ok(dev->uuid))
		return -EINVAL;
	memcpy(st, s.st.p, s.st.n);
	st[s.st.n] = '\0';
	for (unsigned i = 0; i < 3; i++)
		uwg_igd_udn(udn[i], dev->uuid, i);
	if (!strcmp(st, "ssdp:all")) {
		all(&o, udn);
	} else if (!strcmp(st, "upnp:rootdevice")) {
		reply(&o, st, udn[0], true, false);
	} else if (!strncasecmp(st, "uuid:", 5)) {
		for (unsigned i = 0; i < 3; i++)
			if (!strcasecmp(st, udn[i]))
				reply(&o, udn[i], udn[i], false, false);
	} else {
		for (size_t i = 0; i < sizeof(devices) / sizeof(devices[0]); i++) {
			int m = type_match(st, devices[i].type, devices[i].version);

			if (m)
				reply(&o, st, udn[devices[i].level], true, m == 2);
		}
		for (size_t i = 0; i < sizeof(services) / sizeof(services[0]); i++) {
			char prefix[UWG_IGD_SSDP6_ST_MAX];
			int m;

			service_prefix(services[i].svc, prefix, sizeof(prefix));
			m = type_match(st, prefix, services[i].version);
			if (m)
				reply(&o, st, udn[services[i].level], true, m == 2);
		}
	}
	return o.count;
}
