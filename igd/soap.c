/*
 * igd/soap.c - pure SOAP parsing, argument validation and response building
 * for the IGD. The parser is a bounded, iterative scanner over untrusted
 * bytes (never reads past len, never recurses); see soap.h. Any thread.
 */
#include "igd/soap.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

const char *uwg_igd_error_str(int code)
{
	switch (code) {
	case UWG_IGD_E_INVALID_ACTION:
		return "Invalid Action";
	case UWG_IGD_E_INVALID_ARGS:
		return "Invalid Args";
	case UWG_IGD_E_INVALID_VAR:
		return "Invalid Var";
	case UWG_IGD_E_NOT_AUTHORIZED:
		return "Action not authorized";
	case UWG_IGD_E_PINHOLE_SPACE_EXHAUSTED:
		return "PinholeSpaceExhausted";
	case UWG_IGD_E_FIREWALL_DISABLED:
		return "FirewallDisabled";
	case UWG_IGD_E_INBOUND_PINHOLE_NOT_ALLOWED:
		return "InboundPinholeNotAllowed";
	case UWG_IGD_E_NO_SUCH_PINHOLE:
		return "NoSuchEntry";
	case UWG_IGD_E_PROTOCOL_NOT_SUPPORTED:
		return "ProtocolNotSupported";
	case UWG_IGD_E_PINHOLE_INT_PORT_WILDCARD:
		return "InternalPortWildcardingNotAllowed";
	case UWG_IGD_E_PROTOCOL_WILDCARD:
		return "ProtocolWildcardingNotAllowed";
	case UWG_IGD_E_PINHOLE_CLIENT_WILDCARD:
		return "WildCardNotPermittedInSrcIP";
	case UWG_IGD_E_NO_TRAFFIC:
		return "NoTrafficReceived";
	case UWG_IGD_E_ARRAY_INDEX_INVALID:
		return "SpecifiedArrayIndexInvalid";
	case UWG_IGD_E_NO_SUCH_ENTRY:
		return "NoSuchEntryInArray";
	case UWG_IGD_E_WILDCARD_SRC_IP:
		return "WildCardNotPermittedInSrcIP";
	case UWG_IGD_E_WILDCARD_EXT_PORT:
		return "WildCardNotPermittedInExtPort";
	case UWG_IGD_E_CONFLICT:
		return "ConflictInMappingEntry";
	case UWG_IGD_E_SAME_PORT_REQUIRED:
		return "SamePortValuesRequired";
	case UWG_IGD_E_ONLY_PERMANENT_LEASES:
		return "OnlyPermanentLeasesSupported";
	case UWG_IGD_E_REMOTE_HOST_WILDCARD_ONLY:
		return "RemoteHostOnlySupportsWildcard";
	case UWG_IGD_E_EXT_PORT_WILDCARD_ONLY:
		return "ExternalPortOnlySupportsWildcard";
	case UWG_IGD_E_NO_PORT_MAPS_AVAILABLE:
		return "NoPortMapsAvailable";
	case UWG_IGD_E_CONFLICT_OTHER_MECHANISM:
		return "ConflictWithOtherMechanisms";
	case UWG_IGD_E_PORT_MAPPING_NOT_FOUND:
		return "PortMappingNotFound";
	case UWG_IGD_E_READ_ONLY:
		return "ReadOnly";
	case UWG_IGD_E_WILDCARD_INT_PORT:
		return "WildCardNotPermittedInIntPort";
	case UWG_IGD_E_INCONSISTENT_PARAMS:
		return "InconsistentParameters";
	default:
		return "Action Failed";
	}
}

/* ---------- the scanner ---------- */

struct cur {
	const char *p, *end;
};

/* A start tag as far as we need it. */
struct tag {
	char local[UWG_IGD_SOAP_NAME_MAX];
	const char *qname; /* points into the input */
	size_t qlen;
	size_t prefix_len; /* 0 = no prefix */
	bool empty;        /* <x/> */
	char ns[UWG_IGD_SOAP_NS_MAX];
	bool ns_too_long;
};

static bool at(const struct cur *c, const char *lit)
{
	size_t n = strlen(lit);

	return (size_t)(c->end - c->p) >= n && !memcmp(c->p, lit, n);
}

static bool blank(char ch)
{
	return ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n';
}

static void skip_blanks(struct cur *c)
{
	while (c->p < c->end && blank(*c->p))
		c->p++;
}

/* Moves past the next occurrence of lit; false (at end) if there is none. */
static bool skip_past(struct cur *c, const char *lit)
{
	size_t n = strlen(lit);

	while ((size_t)(c->end - c->p) >= n) {
		if (!memcmp(c->p, lit, n)) {
			c->p += n;
			return true;
		}
		c->p++;
	}
	c->p = c->end;
	return false;
}

/* Blanks, comments and processing instructions between elements. */
static int skip_misc(struct cur *c)
{
	for (;;) {
		skip_blanks(c);
		if (at(c, "<?")) {
			if (!skip_past(c, "?>"))
				return -EINVAL;
		} else if (at(c, "<!--")) {
			c->p += 4;
			if (!skip_past(c, "-->"))
				return -EINVAL;
		} else {
			return 0;
		}
	}
}

static bool name_char(char ch)
{
	return !blank(ch) && ch != '>' && ch != '/' && ch != '=' && ch != '<' && ch != '"' &&
	       ch != '\'' && ch != '&' && ch != '\0';
}

/* Reads a name; returns its length (0 = none). */
static size_t read_name(struct cur *c, const char **start)
{
	*start = c->p;
	while (c->p < c->end && name_char(*c->p))
		c->p++;
	return (size_t)(c->p - *start);
}

/*
 * Parses "<qname attrs...>" or "<qname .../>" at c. Records the namespace
 * declared for the element's own prefix (xmlns:PFX="..." or xmlns="...").
 */
static int parse_start_tag(struct cur *c, struct tag *t)
{
	const char *name, *colon;
	size_t n;

	memset(t, 0, sizeof(*t));
	if (c->p >= c->end || *c->p != '<')
		return -EINVAL;
	c->p++;
	n = read_name(c, &name);
	if (n == 0)
		return -EINVAL;
	t->qname = name;
	t->qlen = n;
	colon = memchr(name, ':', n);
	if (colon) {
		/* the local part is after the last colon */
		const char *last = colon;

		while ((colon = memchr(last + 1, ':', (size_t)(name + n - last - 1))) != NULL)
			last = colon;
		t->prefix_len = (size_t)(last - name);
		if (t->prefix_len == 0)
			return -EINVAL;
		name = last + 1;
		n = t->qlen - t->prefix_len - 1;
	}
	if (n == 0 || n >= sizeof(t->local))
		return -EINVAL;
	memcpy(t->local, name, n);

	for (;;) {
		const char *an, *av;
		size_t alen, vlen;
		char q;

		skip_blanks(c);
		if (c->p >= c->end)
			return -EINVAL;
		if (*c->p == '>') {
			c->p++;
			return 0;
		}
		if (at(c, "/>")) {
			c->p += 2;
			t->empty = true;
			return 0;
		}
		alen = read_name(c, &an);
		if (alen == 0)
			return -EINVAL;
		skip_blanks(c);
		if (c->p >= c->end || *c->p != '=')
			return -EINVAL;
		c->p++;
		skip_blanks(c);
		if (c->p >= c->end || (*c->p != '"' && *c->p != '\''))
			return -EINVAL;
		q = *c->p++;
		av = c->p;
		while (c->p < c->end && *c->p != q && *c->p != '<')
			c->p++;
		if (c->p >= c->end || *c->p != q)
			return -EINVAL;
		vlen = (size_t)(c->p - av);
		c->p++;

		bool mine;
		if (t->prefix_len)
			mine = alen == 6 + t->prefix_len && !memcmp(an, "xmlns:", 6) &&
			       !memcmp(an + 6, t->qname, t->prefix_len);
		else
			mine = alen == 5 && !memcmp(an, "xmlns", 5);
		if (mine) {
			if (vlen >= sizeof(t->ns)) {
				t->ns_too_long = true;
			} else {
				memcpy(t->ns, av, vlen);
				t->ns[vlen] = '\0';
			}
		}
	}
}

/* Parses "</qname>" matching t. */
static int parse_end_tag(struct cur *c, const struct tag *t)
{
	if (!at(c, "</"))
		return -EINVAL;
	c->p += 2;
	if ((size_t)(c->end - c->p) < t->qlen || memcmp(c->p, t->qname, t->qlen))
		return -EINVAL;
	c->p += t->qlen;
	skip_blanks(c);
	if (c->p >= c->end || *c->p != '>')
		return -EINVAL;
	c->p++;
	return 0;
}

/* Skips the content and end of an element whose start tag t was just read. */
static int skip_element(struct cur *c, const struct tag *t)
{
	unsigned depth = 1;
	struct tag inner;

	if (t->empty)
		return 0;
	while (depth) {
		if (!skip_past(c, "<"))
			return -EINVAL;
		c->p--;
		if (at(c, "<!--")) {
			c->p += 4;
			if (!skip_past(c, "-->"))
				return -EINVAL;
		} else if (at(c, "<![CDATA[")) {
			if (!skip_past(c, "]]>"))
				return -EINVAL;
		} else if (at(c, "<?")) {
			if (!skip_past(c, "?>"))
				return -EINVAL;
		} else if (at(c, "</")) {
			if (!skip_past(c, ">"))
				return -EINVAL;
			depth--;
		} else {
			int err = parse_start_tag(c, &inner);

			if (err)
				return err;
			if (!inner.empty && ++depth > UWG_IGD_SOAP_MAX_DEPTH)
				return -E2BIG;
		}
	}
	return 0;
}

struct vout {
	char *p;
	size_t len, cap;
};

static void vput(struct vout *v, char ch)
{
	if (v->len + 1 < v->cap)
		v->p[v->len++] = ch ? ch : '?';
}

/* Decodes one entity at c (which points at '&'). */
static int decode_entity(struct cur *c, struct vout *v)
{
	static const struct {
		const char *name;
		char ch;
	} named[] = { { "&lt;", '<' }, { "&gt;", '>' }, { "&amp;", '&' },
		      { "&apos;", '\'' }, { "&quot;", '"' } };
	uint32_t cp = 0;
	unsigned digits = 0;
	bool hex;

	for (size_t i = 0; i < sizeof(named) / sizeof(named[0]); i++) {
		if (at(c, named[i].name)) {
			c->p += strlen(named[i].name);
			vput(v, named[i].ch);
			return 0;
		}
	}
	if (!at(c, "&#"))
		return -EINVAL;
	c->p += 2;
	hex = c->p < c->end && (*c->p == 'x' || *c->p == 'X');
	if (hex)
		c->p++;
	while (c->p < c->end && *c->p != ';') {
		char ch = *c->p++;
		uint32_t d;

		if (ch >= '0' && ch <= '9')
			d = (uint32_t)(ch - '0');
		else if (hex && ch >= 'a' && ch <= 'f')
			d = (uint32_t)(ch - 'a' + 10);
		else if (hex && ch >= 'A' && ch <= 'F')
			d = (uint32_t)(ch - 'A' + 10);
		else
			return -EINVAL;
		if (++digits > 8)
			return -EINVAL;
		cp = cp * (hex ? 16 : 10) + d;
	}
	if (c->p >= c->end || digits == 0 || cp == 0 || cp > 0x10ffff)
		return -EINVAL;
	c->p++;
	vput(v, cp < 128 ? (char)cp : '?');
	return 0;
}

/* Text content of an argument up to its end tag; no child elements allowed. */
static int parse_text(struct cur *c, struct vout *v)
{
	while (c->p < c->end) {
		char ch = *c->p;

		if (ch == '&') {
			int err = decode_entity(c, v);

			if (err)
				return err;
		} else if (ch != '<') {
			vput(v, ch);
			c->p++;
		} else if (at(c, "<![CDATA[")) {
			const char *s;

			c->p += 9;
			s = c->p;
			if (!skip_past(c, "]]>"))
				return -EINVAL;
			for (const char *q = s; q < c->p - 3; q++)
				vput(v, *q);
		} else if (at(c, "<!--")) {
			c->p += 4;
			if (!skip_past(c, "-->"))
				return -EINVAL;
		} else if (at(c, "<?")) {
			if (!skip_past(c, "?>"))
				return -EINVAL;
		} else if (at(c, "</")) {
			return 0;
		} else {
			return -EINVAL; /* an element inside an argument */
		}
	}
	return -EINVAL;
}

/* The children of the action element t, then its end tag. */
static int parse_args(struct cur *c, const struct tag *action, struct uwg_igd_soap_msg *out)
{
	struct tag t;
	int err;

	if (action->empty)
		return 0;
	for (;;) {
		err = skip_misc(c);
		if (err)
			return err;
		if (at(c, "</"))
			return parse_end_tag(c, action);
		if (c->p >= c->end || *c->p != '<')
			return -EINVAL; /* stray text between arguments */
		err = parse_start_tag(c, &t);
		if (err)
			return err;
		if (out->n_args >= UWG_IGD_SOAP_MAX_ARGS)
			return -E2BIG;

		struct uwg_igd_soap_arg *a = &out->args[out->n_args++];
		struct vout v = { a->value, 0, sizeof(a->value) };

		memcpy(a->name, t.local, sizeof(a->name));
		if (!t.empty) {
			err = parse_text(c, &v);
			if (!err)
				err = parse_end_tag(c, &t);
			if (err)
				return err;
		}
		a->value[v.len] = '\0';
	}
}

int uwg_igd_soap_parse(struct uwg_igd_soap_msg *out, const char *buf, size_t len)
{
	struct cur c = { buf, buf + len };
	struct tag t;
	int err;

	memset(out, 0, sizeof(*out));
	/* a UTF-8 byte order mark */
	if (at(&c, "\xef\xbb\xbf"))
		c.p += 3;
	err = skip_misc(&c);
	if (!err)
		err = parse_start_tag(&c, &t);
	if (err)
		return err;
	if (!strcmp(t.local, "Envelope")) {
		if (t.empty)
			return -EINVAL;
		for (;;) {
			err = skip_misc(&c);
			if (!err)
				err = parse_start_tag(&c, &t);
			if (err)
				return err;
			if (!strcmp(t.local, "Body"))
				break;
			/* Header, or anything else before the Body */
			err = skip_element(&c, &t);
			if (err)
				return err;
		}
		if (t.empty)
			return -EINVAL;
		err = skip_misc(&c);
		if (!err)
			err = parse_start_tag(&c, &t);
		if (err)
			return err;
	}
	memcpy(out->action, t.local, sizeof(out->action));
	if (!t.ns_too_long && uwg_igd_ns_ok(t.ns))
		memcpy(out->ns, t.ns, sizeof(out->ns));
	err = parse_args(&c, &t, out);
	if (err) {
		out->n_args = 0;
		return err;
	}
	return 0;
}

const char *uwg_igd_soap_arg(const struct uwg_igd_soap_msg *msg, const char *name)
{
	for (unsigned i = 0; i < msg->n_args && i < UWG_IGD_SOAP_MAX_ARGS; i++)
		if (!strcmp(msg->args[i].name, name))
			return msg->args[i].value;
	return NULL;
}

/* ---------- argument values ---------- */

/* The blank-trimmed span of s. */
static void trim(const char *s, const char **b, const char **e)
{
	*b = s;
	while (blank(**b))
		(*b)++;
	*e = *b + strlen(*b);
	while (*e > *b && blank((*e)[-1]))
		(*e)--;
}

static int span_u32(const char *b, const char *e, uint32_t limit, uint32_t *out)
{
	uint64_t v = 0;

	if (b == e || e - b > 10)
		return UWG_IGD_E_INVALID_ARGS;
	for (const char *p = b; p < e; p++) {
		if (*p < '0' || *p > '9')
			return UWG_IGD_E_INVALID_ARGS;
		v = v * 10 + (uint64_t)(*p - '0');
	}
	if (v > limit)
		return UWG_IGD_E_INVALID_ARGS;
	*out = (uint32_t)v;
	return 0;
}

int uwg_igd_arg_u32(const char *s, uint32_t *out)
{
	const char *b, *e;

	if (!s)
		return UWG_IGD_E_INVALID_ARGS;
	trim(s, &b, &e);
	return span_u32(b, e, 0xffffffffu, out);
}

int uwg_igd_arg_port(const char *s, uint16_t *out)
{
	const char *b, *e;
	uint32_t v;
	int err;

	if (!s)
		return UWG_IGD_E_INVALID_ARGS;
	trim(s, &b, &e);
	err = span_u32(b, e, 65535, &v);
	if (!err)
		*out = (uint16_t)v;
	return err;
}

int uwg_igd_arg_port_or_wildcard(const char *s, uint16_t *out)
{
	const char *b, *e;

	if (!s)
		return UWG_IGD_E_INVALID_ARGS;
	trim(s, &b, &e);
	if (e - b == 1 && *b == '*') {
		*out = 0;
		return 0;
	}
	return uwg_igd_arg_port(s, out);
}

int uwg_igd_arg_proto(const char *s, uint8_t *out)
{
	const char *b, *e;

	if (!s)
		return UWG_IGD_E_INVALID_ARGS;
	trim(s, &b, &e);
	if (e - b != 3)
		return UWG_IGD_E_INVALID_ARGS;
	if (!strncasecmp(b, "TCP", 3))
		*out = IPPROTO_TCP;
	else if (!strncasecmp(b, "UDP", 3))
		*out = IPPROTO_UDP;
	else
		return UWG_IGD_E_INVALID_ARGS;
	return 0;
}

int uwg_igd_arg_ipv4(const char *s, struct in_addr *out)
{
	const char *b, *e;
	uint32_t v = 0;

	if (!s)
		return UWG_IGD_E_INVALID_ARGS;
	trim(s, &b, &e);
	for (int i = 0; i < 4; i++) {
		const char *d = b;
		uint32_t part;

		if (i) {
			if (b >= e || *b != '.')
				return UWG_IGD_E_INVALID_ARGS;
			d = ++b;
		}
		while (b < e && *b >= '0' && *b <= '9')
			b++;
		if (b - d > 3 || span_u32(d, b, 255, &part))
			return UWG_IGD_E_INVALID_ARGS;
		v = v << 8 | part;
	}
	if (b != e)
		return UWG_IGD_E_INVALID_ARGS;
	out->s_addr = htonl(v);
	return 0;
}

int uwg_igd_arg_ipv6(const char *s, struct in6_addr *out)
{
	char text[INET6_ADDRSTRLEN];
	const char *b, *e;

	if (!s)
		return UWG_IGD_E_INVALID_ARGS;
	trim(s, &b, &e);
	if (e == b || (size_t)(e - b) >= sizeof(text))
		return UWG_IGD_E_INVALID_ARGS;
	memcpy(text, b, (size_t)(e - b));
	text[e - b] = '\0';
	return inet_pton(AF_INET6, text, out) == 1 ? 0 : UWG_IGD_E_INVALID_ARGS;
}

int uwg_igd_arg_bool(const char *s, bool *out)
{
	static const char *const yes[] = { "1", "true", "yes" };
	static const char *const no[] = { "0", "false", "no" };
	const char *b, *e;
	size_t n;

	if (!s)
		return UWG_IGD_E_INVALID_ARGS;
	trim(s, &b, &e);
	n = (size_t)(e - b);
	for (size_t i = 0; i < 3; i++) {
		if (n == strlen(yes[i]) && !strncasecmp(b, yes[i], n)) {
			*out = true;
			return 0;
		}
		if (n == strlen(no[i]) && !strncasecmp(b, no[i], n)) {
			*out = false;
			return 0;
		}
	}
	return UWG_IGD_E_INVALID_ARGS;
}

bool uwg_igd_arg_remote_wildcard(const char *s)
{
	const char *b, *e;

	if (!s)
		return true;
	trim(s, &b, &e);
	return b == e || (e - b == 1 && *b == '*');
}

bool uwg_igd_ns_ok(const char *ns)
{
	size_t n = strlen(ns);

	if (n < 5 || n >= UWG_IGD_SOAP_NS_MAX || strncmp(ns, "urn:", 4))
		return false;
	for (const char *p = ns; *p; p++) {
		char ch = *p;

		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		      (ch >= '0' && ch <= '9') || ch == ':' || ch == '.' || ch == '_' || ch == '-'))
			return false;
	}
	return true;
}

size_t uwg_igd_sanitize_desc(char *out, size_t cap, const char *in)
{
	size_t n = 0;

	if (cap == 0)
		return 0;
	for (; in && *in && n + 1 < cap; in++) {
		unsigned char ch = (unsigned char)*in;

		if (ch < 0x20 || ch > 0x7e || strchr("<>&'\"", ch))
			continue;
		out[n++] = (char)ch;
	}
	out[n] = '\0';
	return n;
}

const char *uwg_igd_proto_str(uint8_t proto)
{
	return proto == IPPROTO_TCP ? "TCP" : proto == IPPROTO_UDP ? "UDP" : "";
}

/* ---------- output ---------- */

void uwg_igd_buf_init(struct uwg_igd_buf *b)
{
	memset(b, 0, sizeof(*b));
}

void uwg_igd_buf_free(struct uwg_igd_buf *b)
{
	free(b->p);
	uwg_igd_buf_init(b);
}

void uwg_igd_buf_put(struct uwg_igd_buf *b, const char *s, size_t n)
{
	if (b->oom)
		return;
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 256;
		char *p;

		while (cap < b->len + n + 1) {
			if (cap > ((size_t)1 << 30)) {
				b->oom = true;
				return;
			}
			cap *= 2;
		}
		p = realloc(b->p, cap);
		if (!p) {
			b->oom = true;
			return;
		}
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

void uwg_igd_buf_puts(struct uwg_igd_buf *b, const char *s)
{
	uwg_igd_buf_put(b, s, strlen(s));
}

void uwg_igd_buf_put_escaped(struct uwg_igd_buf *b, const char *s)
{
	const char *run = s;

	for (; *s; s++) {
		const char *ent;

		switch (*s) {
		case '<':
			ent = "&lt;";
			break;
		case '>':
			ent = "&gt;";
			break;
		case '&':
			ent = "&amp;";
			break;
		case '\'':
			ent = "&apos;";
			break;
		case '"':
			ent = "&quot;";
			break;
		default:
			continue;
		}
		uwg_igd_buf_put(b, run, (size_t)(s - run));
		uwg_igd_buf_puts(b, ent);
		run = s + 1;
	}
	uwg_igd_buf_put(b, run, (size_t)(s - run));
}

char *uwg_igd_buf_take(struct uwg_igd_buf *b, size_t *len)
{
	char *p = b->p;

	if (b->oom || !p) {
		uwg_igd_buf_free(b);
		return NULL;
	}
	if (len)
		*len = b->len;
	uwg_igd_buf_init(b);
	return p;
}

void uwg_igd_resp_begin(struct uwg_igd_buf *b, const char *action, const char *ns)
{
	uwg_igd_buf_puts(b, "<u:");
	uwg_igd_buf_put_escaped(b, action);
	uwg_igd_buf_puts(b, "Response xmlns:u=\"");
	uwg_igd_buf_put_escaped(b, ns);
	uwg_igd_buf_puts(b, "\">\n");
}

void uwg_igd_resp_arg(struct uwg_igd_buf *b, const char *name, const char *value)
{
	uwg_igd_buf_puts(b, "<");
	uwg_igd_buf_puts(b, name);
	uwg_igd_buf_puts(b, ">");
	uwg_igd_buf_put_escaped(b, value);
	uwg_igd_buf_puts(b, "</");
	uwg_igd_buf_puts(b, name);
	uwg_igd_buf_puts(b, ">\n");
}

void uwg_igd_resp_arg_u32(struct uwg_igd_buf *b, const char *name, uint32_t value)
{
	char num[12];

	snprintf(num, sizeof(num), "%u", value);
	uwg_igd_resp_arg(b, name, num);
}

void uwg_igd_resp_arg_cdata(struct uwg_igd_buf *b, const char *name, const char *value)
{
	const char *s = value, *hit;

	uwg_igd_buf_puts(b, "<");
	uwg_igd_buf_puts(b, name);
	uwg_igd_buf_puts(b, "><![CDATA[");
	/* "]]>" cannot appear inside one section: end it after "]]" and reopen */
	while ((hit = strstr(s, "]]>")) != NULL) {
		uwg_igd_buf_put(b, s, (size_t)(hit - s) + 2);
		uwg_igd_buf_puts(b, "]]><![CDATA[");
		s = hit + 2;
	}
	uwg_igd_buf_puts(b, s);
	uwg_igd_buf_puts(b, "]]></");
	uwg_igd_buf_puts(b, name);
	uwg_igd_buf_puts(b, ">\n");
}

void uwg_igd_resp_end(struct uwg_igd_buf *b, const char *action)
{
	uwg_igd_buf_puts(b, "</u:");
	uwg_igd_buf_put_escaped(b, action);
	uwg_igd_buf_puts(b, "Response>\n");
}
