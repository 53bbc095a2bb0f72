/*
 * cli/config.c - the wg-quick configuration parser and the device model's
 * allocation. Keys are matched case-insensitively; '#' starts a comment; for
 * wg's own keys every whitespace character is dropped (as wg's config.c
 * does), for wg-quick's keys only the ends are trimmed, and hook commands keep
 * everything after the '=' (current wg-quick). Errors name file, line, key and
 * what was expected, and never echo key material. Main thread only.
 */
#include "cli/config.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli/uapi/text.h"
#include "crypto/ct.h"
#include "crypto/encoding.h"
#include "tun/netns.h"

enum { SECTION_NONE, SECTION_INTERFACE, SECTION_PEER };

void uwg_conf_init(struct uwg_conf *conf)
{
	memset(conf, 0, sizeof(*conf));
}

static void free_strv(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

void uwg_conf_free(struct uwg_conf *conf)
{
	for (size_t i = 0; i < conf->n_peers; i++) {
		struct uwg_conf_peer *peer = &conf->peers[i];

		uwg_memzero(peer->preshared_key, sizeof(peer->preshared_key));
		free(peer->endpoint_host);
		free(peer->endpoint_port);
		free(peer->aips);
	}
	free(conf->peers);
	free(conf->addrs);
	free_strv(conf->dns, conf->n_dns);
	free_strv(conf->dns_search, conf->n_dns_search);
	free(conf->table_str);
	free(conf->netns);
	for (int h = 0; h < UWG_HOOK_COUNT; h++)
		free_strv(conf->hooks[h], conf->n_hooks[h]);
	uwg_memzero(conf->private_key, sizeof(conf->private_key));
	uwg_nat_settings_free(&conf->nat);
	uwg_fw_settings_free(&conf->fw);
	uwg_conf_init(conf);
}

/* Grows *v (of *n elements of size sz) by one zeroed element; NULL on failure. */
static void *grow(void *v, size_t *n, size_t sz, void **out)
{
	char *nv = realloc(v, (*n + 1) * sz);

	if (!nv)
		return NULL;
	memset(nv + *n * sz, 0, sz);
	*out = nv + *n * sz;
	(*n)++;
	return nv;
}

struct uwg_conf_peer *uwg_conf_add_peer(struct uwg_conf *conf)
{
	void *slot;
	struct uwg_conf_peer *v = grow(conf->peers, &conf->n_peers, sizeof(*v), &slot);

	if (!v)
		return NULL;
	conf->peers = v;
	return slot;
}

bool uwg_conf_add_aip(struct uwg_conf_peer *peer, const struct uwg_ip_prefix *p, bool remove)
{
	void *slot;
	struct uwg_conf_aip *v = grow(peer->aips, &peer->n_aips, sizeof(*v), &slot);

	if (!v)
		return false;
	peer->aips = v;
	((struct uwg_conf_aip *)slot)->prefix = *p;
	((struct uwg_conf_aip *)slot)->remove = remove;
	return true;
}

static bool add_str(char ***v, size_t *n, const char *s, size_t len)
{
	void *slot;
	char *copy = strndup(s, len);
	char **nv = copy ? grow(*v, n, sizeof(char *), &slot) : NULL;

	if (!nv) {
		free(copy);
		return false;
	}
	*v = nv;
	*(char **)slot = copy;
	return true;
}

struct uwg_conf_peer *uwg_conf_find_peer(struct uwg_conf *conf,
					  const uint8_t key[UWG_CONF_KEY_LEN])
{
	for (size_t i = 0; i < conf->n_peers; i++)
		if (memcmp(conf->peers[i].public_key, key, UWG_CONF_KEY_LEN) == 0)
			return &conf->peers[i];
	return NULL;
}

/* A value quoted for a message: control characters replaced, long ones cut. */
static const char *quote(const char *s, char *buf, size_t len)
{
	size_t o = 0, max = len > 70 ? 64 : len - 6;

	buf[o++] = '"';
	for (; *s && o < max; s++)
		buf[o++] = (unsigned char)*s < 0x20 || *s == 0x7f ? '?' : *s;
	if (*s) {
		memcpy(buf + o, "...", 3);
		o += 3;
	}
	buf[o++] = '"';
	buf[o] = '\0';
	return buf;
}

void uwg_conf_nat_inside(struct uwg_conf *conf)
{
	for (size_t i = 0; i < conf->n_addrs; i++) {
		const uint8_t *a = conf->addrs[i].addr;

		if (conf->addrs[i].family != AF_INET)
			continue;
		uwg_nat_conf_set_inside(&conf->nat, (uint32_t)a[0] << 24 | (uint32_t)a[1] << 16 |
					(uint32_t)a[2] << 8 | a[3], conf->addrs[i].len);
		return;
	}
}

bool uwg_conf_valid_ifname(const char *name)
{
	size_t n = strlen(name);

	if (n < 1 || n > UWG_CONF_IFNAME_MAX)
		return false;
	for (const char *c = name; *c; c++)
		if (!isalnum((unsigned char)*c) && !strchr("_=+.-", *c))
			return false;
	return true;
}

bool uwg_conf_parse_key(uint8_t key[UWG_CONF_KEY_LEN], const char *value)
{
	if (uwg_key_from_base64(key, value))
		return true;
	uwg_memzero(key, UWG_CONF_KEY_LEN);
	return false;
}

/* Decimal digits only, value <= max. */
static bool parse_uint(const char *s, unsigned long max, unsigned long *out)
{
	uint64_t v;

	if (!uwg_text_decimal(s, strlen(s), max, &v))
		return false;
	*out = (unsigned long)v;
	return true;
}

bool uwg_conf_parse_port(uint16_t *port, const char *value, char *w, size_t len)
{
	unsigned long v;
	char q[80];

	if (!parse_uint(value, 65535, &v))
		return uwg_text_why(w, len, "%s is not a port number (expected 0-65535)",
			   quote(value, q, sizeof(q)));
	*port = (uint16_t)v;
	return true;
}

bool uwg_conf_parse_fwmark(uint32_t *mark, const char *value, char *w, size_t len)
{
	unsigned long long v;
	char *end;
	char q[80];
	int base = 10;

	if (!strcasecmp(value, "off")) {
		*mark = 0;
		return true;
	}
	if (value[0] == '0' && (value[1] == 'x' || value[1] == 'X') && value[2])
		base = 16;
	errno = 0;
	v = strtoull(value, &end, base);
	if (!isdigit((unsigned char)value[0]) || *end || errno || v > 0xffffffffULL ||
	    strlen(value) > 12)
		return uwg_text_why(w, len, "%s is not a mark (expected off, or a number 0-4294967295, "
			   "decimal or 0x hex)", quote(value, q, sizeof(q)));
	*mark = (uint32_t)v;
	return true;
}

bool uwg_conf_parse_keepalive(uint16_t *secs, const char *value, char *w, size_t len)
{
	unsigned long v;
	char q[80];

	if (!strcasecmp(value, "off")) {
		*secs = 0;
		return true;
	}
	if (!parse_uint(value, 65535, &v))
		return uwg_text_why(w, len, "%s is not an interval (expected off, or seconds 0-65535)",
			   quote(value, q, sizeof(q)));
	*secs = (uint16_t)v;
	return true;
}

bool uwg_conf_parse_endpoint(struct uwg_conf_peer *peer, const char *value, char *w, size_t len)
{
	const char *host, *host_end, *port;
	unsigned long v;
	char q[80];

	if (value[0] == '[') {
		host = value + 1;
		host_end = strchr(host, ']');
		if (!host_end || host_end[1] != ':')
			goto bad;
		port = host_end + 2;
	} else {
		host = value;
		host_end = strrchr(value, ':');
		if (!host_end)
			goto bad;
		port = host_end + 1;
	}
	if (host_end == host || !*port)
		goto bad;
	if (!parse_uint(port, 65535, &v) || v == 0)
		return uwg_text_why(w, len, "%s has a bad port (expected HOST:PORT with PORT 1-65535)",
			   quote(value, q, sizeof(q)));
	free(peer->endpoint_host);
	free(peer->endpoint_port);
	peer->endpoint_host = strndup(host, (size_t)(host_end - host));
	peer->endpoint_port = strdup(port);
	if (!peer->endpoint_host || !peer->endpoint_port)
		return uwg_text_why(w, len, "out of memory");
	memset(&peer->endpoint, 0, sizeof(peer->endpoint));
	peer->flags |= UWG_PEER_HAS_ENDPOINT;
	return true;
bad:
	return uwg_text_why(w, len, "%s is not HOST:PORT (e.g. 203.0.113.1:51820, [2001:db8::1]:51820 "
		   "or vpn.example.com:51820)", quote(value, q, sizeof(q)));
}

bool uwg_conf_parse_allowed_ips(struct uwg_conf_peer *peer, const char *value, bool incremental,
				char *w, size_t len)
{
	const char *s = value;
	char q[80];
	bool replace = false;

	while (*s) {
		const char *comma = strchr(s, ',');
		size_t n = comma ? (size_t)(comma - s) : strlen(s);
		char tok[64];
		const char *t = tok;
		struct uwg_ip_prefix p;
		bool remove = false;

		if (n >= sizeof(tok))
			n = sizeof(tok) - 1;
		memcpy(tok, s, n);
		tok[n] = '\0';
		if (incremental && (tok[0] == '+' || tok[0] == '-')) {
			remove = tok[0] == '-';
			t++;
		} else {
			replace = true;
		}
		if (!n)
			return uwg_text_why(w, len, "empty entry in %s (expected a comma-separated list of "
				   "IP/CIDR)", quote(value, q, sizeof(q)));
		if (!uwg_ip_prefix_parse(&p, t, true))
			return uwg_text_why(w, len, "%s is not an IP prefix (expected e.g. 10.0.0.2/32 or "
				   "fd00::2/128)", quote(tok, q, sizeof(q)));
		if (!uwg_conf_add_aip(peer, &p, remove))
			return uwg_text_why(w, len, "out of memory");
		s += comma ? (size_t)(comma - s) + 1 : strlen(s);
		if (comma && !*s)
			return uwg_text_why(w, len, "empty entry in %s (expected a comma-separated list of "
				   "IP/CIDR)", quote(value, q, sizeof(q)));
	}
	if (!incremental || replace)
		peer->flags |= UWG_PEER_REPLACE_ALLOWED_IPS;
	return true;
}

/* Table names from iproute2's rt_tables files. */
static bool table_from_file(const char *path, const char *name, uint32_t *id)
{
	FILE *f = fopen(path, "re");
	char line[256];
	bool found = false;

	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f)) {
		char nm[128];
		unsigned long v;

		if (sscanf(line, " %lu %127s", &v, nm) == 2 && nm[0] != '#' && !strcmp(nm, name) &&
		    v <= 0xffffffffUL) {
			*id = (uint32_t)v;
			found = true;
		}
	}
	fclose(f);
	return found;
}

static bool table_by_name(const char *name, uint32_t *id)
{
	static const char *const files[] = {
		"/etc/iproute2/rt_tables", "/usr/share/iproute2/rt_tables",
		"/usr/lib/iproute2/rt_tables",
	};
	static const char *const dirs[] = { "/etc/iproute2/rt_tables.d",
					    "/usr/share/iproute2/rt_tables.d" };

	if (!strcmp(name, "main"))
		*id = 254;
	else if (!strcmp(name, "local"))
		*id = 255;
	else if (!strcmp(name, "default"))
		*id = 253;
	else {
		for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++)
			if (table_from_file(files[i], name, id))
				return true;
		for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
			DIR *d = opendir(dirs[i]);
			struct dirent *e;
			bool found = false;

			while (d && !found && (e = readdir(d))) {
				char path[512];
				size_t n = strlen(e->d_name);

				if (n < 6 || strcmp(e->d_name + n - 5, ".conf"))
					continue;
				snprintf(path, sizeof(path), "%s/%s", dirs[i], e->d_name);
				found = table_from_file(path, name, id);
			}
			if (d)
				closedir(d);
			if (found)
				return true;
		}
		return false;
	}
	return true;
}

bool uwg_conf_parse_table(struct uwg_conf *conf, const char *value, char *w, size_t len)
{
	unsigned long long v;
	char *end;
	char q[80];
	char *copy = strdup(value);

	if (!copy)
		return uwg_text_why(w, len, "out of memory");
	free(conf->table_str);
	conf->table_str = copy;
	if (!strcasecmp(value, "auto")) {
		conf->table = UWG_TABLE_AUTO;
		return true;
	}
	if (!strcasecmp(value, "off")) {
		conf->table = UWG_TABLE_OFF;
		return true;
	}
	conf->table = UWG_TABLE_ID;
	if (isdigit((unsigned char)value[0])) {
		errno = 0;
		v = strtoull(value, &end, 0);
		if (!*end && !errno && v > 0 && v <= 0xffffffffULL && strlen(value) <= 12) {
			conf->table_id = (uint32_t)v;
			return true;
		}
	} else if (table_by_name(value, &conf->table_id)) {
		return true;
	}
	return uwg_text_why(w, len, "%s is not a routing table (expected auto, off, a number "
		   "1-4294967295 or a name from /etc/iproute2/rt_tables)", quote(value, q, sizeof(q)));
}

static bool parse_mtu(uint32_t *mtu, const char *value, char *w, size_t len)
{
	unsigned long v;
	char q[80];

	if (!parse_uint(value, 65535, &v) || v < 68)
		return uwg_text_why(w, len, "%s is not an MTU (expected 68-65535, or no MTU line for "
			   "automatic)", quote(value, q, sizeof(q)));
	*mtu = (uint32_t)v;
	return true;
}

static bool parse_bool(bool *out, const char *value, char *w, size_t len)
{
	char q[80];

	if (!strcasecmp(value, "true"))
		*out = true;
	else if (!strcasecmp(value, "false"))
		*out = false;
	else
		return uwg_text_why(w, len, "%s is neither true nor false", quote(value, q, sizeof(q)));
	return true;
}

/* Splits on commas and whitespace, as wg-quick's ${value//,/ } word splitting does. */
static bool each_word(const char *value, bool (*fn)(void *, const char *, char *, size_t),
		      void *arg, char *w, size_t len)
{
	const char *s = value;

	for (;;) {
		char word[256];
		size_t n;

		while (*s && (*s == ',' || isspace((unsigned char)*s)))
			s++;
		if (!*s)
			return true;
		n = strcspn(s, ", \t\r\n\v\f");
		if (n >= sizeof(word))
			n = sizeof(word) - 1;
		memcpy(word, s, n);
		word[n] = '\0';
		if (!fn(arg, word, w, len))
			return false;
		s += strcspn(s, ", \t\r\n\v\f");
	}
}

static bool add_address(void *arg, const char *word, char *w, size_t len)
{
	struct uwg_conf *conf = arg;
	struct uwg_ip_prefix p;
	void *slot;
	struct uwg_ip_prefix *v;
	char q[80];

	if (!uwg_ip_prefix_parse(&p, word, true))
		return uwg_text_why(w, len, "%s is not an IP address with optional prefix length "
			   "(expected e.g. 10.0.0.1/24 or fd00::1/64)", quote(word, q, sizeof(q)));
	v = grow(conf->addrs, &conf->n_addrs, sizeof(*v), &slot);
	if (!v)
		return uwg_text_why(w, len, "out of memory");
	conf->addrs = v;
	*(struct uwg_ip_prefix *)slot = p;
	return true;
}

static bool add_gateway(void *arg, const char *word, char *w, size_t len)
{
	struct uwg_conf *conf = arg;
	struct uwg_ip_prefix p, *slot;
	char q[80];

	if (!uwg_ip_addr_parse(&p, word))
		return uwg_text_why(w, len, "%s is not an IP address (expected the server's tunnel "
				    "address, e.g. 10.100.0.1)", quote(word, q, sizeof(q)));
	slot = p.family == AF_INET ? &conf->gw4 : &conf->gw6;
	if (slot->family)
		return uwg_text_why(w, len, "a second %s gateway %s (one per family)",
				    p.family == AF_INET ? "IPv4" : "IPv6", quote(word, q, sizeof(q)));
	*slot = p;
	return true;
}

static bool add_dns(void *arg, const char *word, char *w, size_t len)
{
	struct uwg_conf *conf = arg;
	struct uwg_ip_prefix p;
	char q[80];

	/* wg-quick's rule: all digits and dots, or any colon, means a server address. */
	if (strspn(word, "0123456789.") == strlen(word) || strchr(word, ':')) {
		if (!uwg_ip_addr_parse(&p, word))
			return uwg_text_why(w, len, "%s is not an IP address (a DNS server must be an "
				   "address; names are search domains)", quote(word, q, sizeof(q)));
		if (!add_str(&conf->dns, &conf->n_dns, word, strlen(word)))
			return uwg_text_why(w, len, "out of memory");
		return true;
	}
	if (strlen(word) > 253 ||
	    strspn(word, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-_") !=
		    strlen(word))
		return uwg_text_why(w, len, "%s is neither an IP address nor a search domain",
			   quote(word, q, sizeof(q)));
	if (!add_str(&conf->dns_search, &conf->n_dns_search, word, strlen(word)))
		return uwg_text_why(w, len, "out of memory");
	return true;
}

static bool fail(struct uwg_conf_parser *p, const char *key, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static bool fail(struct uwg_conf_parser *p, const char *key, const char *fmt, ...)
{
	char msg[UWG_CONF_ERR_LEN - 128];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (key)
		snprintf(p->err, sizeof(p->err), "%s:%u: %s: %s", p->file, p->line, key, msg);
	else
		snprintf(p->err, sizeof(p->err), "%s:%u: %s", p->file, p->line, msg);
	p->failed = true;
	return false;
}

void uwg_conf_parser_init(struct uwg_conf_parser *p, struct uwg_conf *conf, const char *file)
{
	memset(p, 0, sizeof(*p));
	p->conf = conf;
	p->file = file ? file : "(config)";
}

static bool end_section(struct uwg_conf_parser *p)
{
	if (p->section == SECTION_PEER && !p->peer_has_key) {
		unsigned line = p->line;

		p->line = p->peer_line;
		fail(p, NULL, "[Peer] section has no PublicKey (expected PublicKey = <base64 key>)");
		p->line = line;
		return false;
	}
	return true;
}

static char *trim(char *s)
{
	char *e;

	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

/* Canonical spelling of a known key, or NULL. */
static const char *canonical_key(const char *key, int section)
{
	static const char *const iface[] = { "PrivateKey", "ListenPort", "FwMark", "Address",
					     "DNS", "MTU", "Table", "PreUp", "PostUp",
					     "PreDown", "PostDown", "SaveConfig", "Namespace",
					     "Gateway" };
	static const char *const peer[] = { "PublicKey", "PresharedKey", "AllowedIPs",
					    "Endpoint", "PersistentKeepalive" };
	const char *const *v = section == SECTION_PEER ? peer : iface;
	size_t n = section == SECTION_PEER ? sizeof(peer) / sizeof(peer[0]) :
					     sizeof(iface) / sizeof(iface[0]);

	for (size_t i = 0; i < n; i++)
		if (!strcasecmp(key, v[i]))
			return v[i];
	if (section == SECTION_PEER)
		return NULL;
	if (uwg_nat_conf_canonical(key))
		return uwg_nat_conf_canonical(key);
	return uwg_igd_conf_canonical(key) ? uwg_igd_conf_canonical(key)
					   : uwg_fw_conf_canonical(key);
}

bool uwg_conf_is_quick_key(const char *key)
{
	const char *c = canonical_key(key, SECTION_INTERFACE);

	return c && strcmp(c, "PrivateKey") && strcmp(c, "ListenPort") && strcmp(c, "FwMark") &&
	       !uwg_nat_conf_canonical(key) && !uwg_igd_conf_canonical(key) &&
	       !uwg_fw_conf_canonical(key);
}

static bool parse_netns(struct uwg_conf *c, const char *value, char *w, size_t len)
{
	char *copy, q[80];

	if (!uwg_tun_netns_valid_name(value))
		return uwg_text_why(w, len, "%s is not a namespace name (1-%d characters of "
				    "[A-Za-z0-9_.-], as `ip netns add' takes)",
				    quote(value, q, sizeof(q)), UWG_NETNS_NAME_MAX);
	copy = strdup(value);
	if (!copy)
		return uwg_text_why(w, len, "out of memory");
	free(c->netns);
	c->netns = copy;
	return true;
}

static bool iface_key(struct uwg_conf_parser *p, const char *key, const char *wgval,
		      const char *quickval, const char *rawval)
{
	struct uwg_conf *c = p->conf;
	char w[UWG_CONF_ERR_LEN];
	bool ok = true;

	w[0] = '\0';
	if (uwg_nat_conf_canonical(key) || uwg_igd_conf_canonical(key) ||
	    uwg_fw_conf_canonical(key)) {
		c->has_own_keys = true;
	} else if (strcmp(key, "PrivateKey") && strcmp(key, "ListenPort") && strcmp(key, "FwMark") &&
		   !c->first_quick_key) {
		c->first_quick_key = key; /* canonical: static */
		c->first_quick_line = p->line;
	}
	if (!strcmp(key, "PrivateKey")) {
		if (!uwg_conf_parse_key(c->private_key, wgval))
			return fail(p, key, "not a valid key (expected 44 characters of base64, "
				    "as printed by \"uwg genkey\")");
		c->flags |= UWG_DEV_HAS_PRIVATE_KEY;
	} else if (!strcmp(key, "ListenPort")) {
		ok = uwg_conf_parse_port(&c->listen_port, wgval, w, sizeof(w));
		c->flags |= UWG_DEV_HAS_LISTEN_PORT;
	} else if (!strcmp(key, "FwMark")) {
		ok = uwg_conf_parse_fwmark(&c->fwmark, wgval, w, sizeof(w));
		c->flags |= UWG_DEV_HAS_FWMARK;
	} else if (!strcmp(key, "Address")) {
		ok = each_word(quickval, add_address, c, w, sizeof(w));
	} else if (!strcmp(key, "DNS")) {
		ok = each_word(quickval, add_dns, c, w, sizeof(w));
	} else if (!strcmp(key, "MTU")) {
		ok = parse_mtu(&c->mtu, quickval, w, sizeof(w));
	} else if (!strcmp(key, "Table")) {
		ok = uwg_conf_parse_table(c, quickval, w, sizeof(w));
	} else if (!strcmp(key, "SaveConfig")) {
		ok = parse_bool(&c->save_config, quickval, w, sizeof(w));
	} else if (!strcmp(key, "Namespace")) {
		ok = parse_netns(c, quickval, w, sizeof(w));
	} else if (!strcmp(key, "Gateway")) {
		ok = each_word(quickval, add_gateway, c, w, sizeof(w));
	} else if (uwg_nat_conf_canonical(key)) {
		ok = uwg_nat_conf_key(&c->nat, key, quickval, p->line, w, sizeof(w));
	} else if (uwg_igd_conf_canonical(key)) {
		ok = uwg_igd_conf_key(&c->igd, key, quickval, p->line, w, sizeof(w));
	} else if (uwg_fw_conf_canonical(key)) {
		ok = uwg_fw_conf_key(&c->fw, key, quickval, p->line, w, sizeof(w));
	} else {
		static const char *const hooks[UWG_HOOK_COUNT] = { "PreUp", "PostUp", "PreDown",
								   "PostDown" };
		for (int h = 0; h < UWG_HOOK_COUNT; h++)
			if (!strcmp(key, hooks[h]) && *rawval &&
			    !add_str(&c->hooks[h], &c->n_hooks[h], rawval, strlen(rawval)))
				return fail(p, key, "out of memory");
	}
	return ok ? true : fail(p, key, "%s", w);
}

static bool peer_key(struct uwg_conf_parser *p, const char *key, const char *value)
{
	struct uwg_conf *c = p->conf;
	struct uwg_conf_peer *peer = &c->peers[c->n_peers - 1];
	char w[UWG_CONF_ERR_LEN];
	char q[80];
	bool ok = true;

	if (!strcmp(key, "PublicKey")) {
		uint8_t k[UWG_CONF_KEY_LEN];

		if (p->peer_has_key)
			return fail(p, key, "this [Peer] section already has a PublicKey (start a "
				    "new [Peer] section for another peer)");
		if (!uwg_conf_parse_key(k, value))
			return fail(p, key, "%s is not a valid key (expected 44 characters of "
				    "base64, as printed by \"uwg pubkey\")", quote(value, q, sizeof(q)));
		for (size_t i = 0; i + 1 < c->n_peers; i++)
			if (!memcmp(c->peers[i].public_key, k, sizeof(k)))
				return fail(p, key, "duplicate peer %s (already defined at line %u)",
					    quote(value, q, sizeof(q)), c->peers[i].line);
		memcpy(peer->public_key, k, sizeof(k));
		p->peer_has_key = true;
	} else if (!strcmp(key, "PresharedKey")) {
		if (!uwg_conf_parse_key(peer->preshared_key, value))
			return fail(p, key, "not a valid key (expected 44 characters of base64, "
				    "as printed by \"uwg genpsk\")");
		peer->flags |= UWG_PEER_HAS_PRESHARED_KEY;
	} else if (!strcmp(key, "AllowedIPs")) {
		ok = uwg_conf_parse_allowed_ips(peer, value, false, w, sizeof(w));
	} else if (!strcmp(key, "Endpoint")) {
		ok = uwg_conf_parse_endpoint(peer, value, w, sizeof(w));
		peer->endpoint_line = p->line;
	} else if (!strcmp(key, "PersistentKeepalive")) {
		ok = uwg_conf_parse_keepalive(&peer->keepalive, value, w, sizeof(w));
		peer->flags |= UWG_PEER_HAS_KEEPALIVE;
	}
	return ok ? true : fail(p, key, "%s", w);
}

static bool process(struct uwg_conf_parser *p, char *raw)
{
	char *hash = strchr(raw, '#');
	char *clean = NULL, *eq, *ceq, *rawval = NULL;
	const char *canon;
	char q[80];
	size_t n = 0;
	bool ok = false;

	/* rawval: everything after the first '=' of the whole line, for hook commands. */
	eq = strchr(raw, '=');
	if (eq && (!hash || eq < hash)) {
		rawval = strdup(trim(eq + 1));
		if (!rawval)
			return fail(p, NULL, "out of memory");
	}
	if (hash)
		*hash = '\0';
	clean = malloc(strlen(raw) + 1);
	if (!clean) {
		fail(p, NULL, "out of memory");
		goto out;
	}
	for (char *s = raw; *s; s++)
		if (!isspace((unsigned char)*s))
			clean[n++] = *s;
	clean[n] = '\0';
	if (!n) {
		ok = true;
		goto out;
	}
	if (clean[0] == '[') {
		int section = !strcasecmp(clean, "[Interface]") ? SECTION_INTERFACE :
			      !strcasecmp(clean, "[Peer]")      ? SECTION_PEER :
								  SECTION_NONE;

		if (!end_section(p))
			goto out;
		if (section == SECTION_NONE) {
			fail(p, NULL, "unknown section %s (expected [Interface] or [Peer])",
			     quote(clean, q, sizeof(q)));
			goto out;
		}
		p->section = section;
		if (section == SECTION_PEER) {
			struct uwg_conf_peer *peer = uwg_conf_add_peer(p->conf);

			if (!peer) {
				fail(p, NULL, "out of memory");
				goto out;
			}
			peer->line = p->line;
			peer->flags |= UWG_PEER_REPLACE_ALLOWED_IPS;
			p->peer_has_key = false;
			p->peer_line = p->line;
		}
		ok = true;
		goto out;
	}
	ceq = strchr(clean, '=');
	if (!ceq || ceq == clean) {
		fail(p, NULL, "%s is not a \"Key = value\" line", quote(clean, q, sizeof(q)));
		goto out;
	}
	*ceq = '\0';
	if (p->section == SECTION_NONE) {
		fail(p, clean, "key outside of a section (expected [Interface] or [Peer] first)");
		goto out;
	}
	canon = canonical_key(clean, p->section);
	if (!canon) {
		fail(p, clean, "unknown key in [%s] section",
		     p->section == SECTION_PEER ? "Peer" : "Interface");
		goto out;
	}
	if (p->section == SECTION_PEER)
		ok = peer_key(p, canon, ceq + 1);
	else
		ok = iface_key(p, canon, ceq + 1, trim(strchr(raw, '=') + 1),
			       rawval ? rawval : "");
out:
	if (clean) {
		uwg_memzero(clean, n);
		free(clean);
	}
	if (rawval) {
		uwg_memzero(rawval, strlen(rawval));
		free(rawval);
	}
	return ok;
}

bool uwg_conf_parser_line(struct uwg_conf_parser *p, const char *line, size_t len)
{
	char *raw;
	bool ok;

	if (p->failed)
		return false;
	p->line++;
	raw = malloc(len + 1);
	if (!raw)
		return fail(p, NULL, "out of memory");
	memcpy(raw, line, len);
	raw[len] = '\0';
	/* An embedded NUL ends the line, as reading text would. */
	ok = process(p, raw);
	uwg_memzero(raw, len);
	free(raw);
	return ok;
}

bool uwg_conf_parser_finish(struct uwg_conf_parser *p)
{
	if (p->failed)
		return false;
	uwg_igd_conf_finish(&p->conf->igd);
	/* The IGD maps ports in the NAT: UPnP = on runs it even without Masquerade. */
	if (p->conf->igd.enable)
		p->conf->nat.enable = true;
	return end_section(p);
}

int uwg_conf_parse(struct uwg_conf *conf, const char *file, const char *text, size_t len,
		   char *err, size_t errlen)
{
	struct uwg_conf_parser p;
	size_t off = 0;

	uwg_conf_parser_init(&p, conf, file);
	while (off < len) {
		const char *nl = memchr(text + off, '\n', len - off);
		size_t n = nl ? (size_t)(nl - (text + off)) : len - off;

		if (!uwg_conf_parser_line(&p, text + off, n))
			break;
		off += n + (nl ? 1 : 0);
	}
	if (!p.failed)
		uwg_conf_parser_finish(&p);
	if (p.failed) {
		if (err && errlen)
			snprintf(err, errlen, "%s", p.err);
		return -EINVAL;
	}
	return 0;
}

int uwg_conf_load(struct uwg_conf *conf, const char *path, char *err, size_t errlen)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct uwg_text t = { 0 };
	int ret;

	if (fd < 0) {
		ret = -errno;
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return ret;
	}
	ret = uwg_text_read(&t, fd, 16u << 20, NULL);
	close(fd);
	if (ret == -EFBIG || ret == -ENOMEM)
		snprintf(err, errlen, "%s: file too large", path);
	else if (ret)
		snprintf(err, errlen, "%s: %s", path, strerror(-ret));
	else
		ret = uwg_conf_parse(conf, path, t.p ? t.p : "", t.len, err, errlen);
	uwg_text_free(&t);
	return ret;
}

void uwg_conf_format_endpoint(const struct sockaddr_storage *ss, char *buf, size_t len)
{
	char host[NI_MAXHOST], serv[NI_MAXSERV];
	socklen_t sl = ss->ss_family == AF_INET6 ? sizeof(struct sockaddr_in6) :
						   sizeof(struct sockaddr_in);

	if ((ss->ss_family != AF_INET && ss->ss_family != AF_INET6) ||
	    getnameinfo((const struct sockaddr *)ss, sl, host, sizeof(host), serv, sizeof(serv),
			NI_NUMERICHOST | NI_NUMERICSERV) != 0) {
		if (len)
			buf[0] = '\0';
		return;
	}
	if (ss->ss_family == AF_INET6)
		snprintf(buf, len, "[%s]:%s", host, serv);
	else
		snprintf(buf, len, "%s:%s", host, serv);
}

static int lookup(const char *host, const char *port, int flags, struct sockaddr_storage *ss)
{
	struct addrinfo hints = {
		.ai_family = AF_UNSPEC,
		.ai_socktype = SOCK_DGRAM,
		.ai_protocol = IPPROTO_UDP,
		.ai_flags = flags,
	};
	struct addrinfo *res = NULL, *ai;
	int ret = getaddrinfo(host, port, &hints, &res);

	if (ret)
		return ret;
	ret = EAI_NONAME;
	for (ai = res; ai; ai = ai->ai_next) {
		if ((ai->ai_family == AF_INET && ai->ai_addrlen == sizeof(struct sockaddr_in)) ||
		    (ai->ai_family == AF_INET6 && ai->ai_addrlen == sizeof(struct sockaddr_in6))) {
			memset(ss, 0, sizeof(*ss));
			memcpy(ss, ai->ai_addr, ai->ai_addrlen);
			ret = 0;
			break;
		}
	}
	freeaddrinfo(res);
	return ret;
}

static long resolution_retries(void)
{
	const char *env = getenv("WG_ENDPOINT_RESOLUTION_RETRIES");
	unsigned long v;

	if (!env)
		return 15;
	if (!strcmp(env, "infinity"))
		return -1;
	return parse_uint(env, 1000000, &v) ? (long)v : 15;
}

int uwg_conf_resolve_endpoints(struct uwg_conf *conf, const char *file, char *err, size_t errlen)
{
	for (size_t i = 0; i < conf->n_peers; i++) {
		struct uwg_conf_peer *peer = &conf->peers[i];
		long retries = resolution_retries();
		unsigned delay_us = 1000000;
		int ret;

		if (!(peer->flags & UWG_PEER_HAS_ENDPOINT) || !peer->endpoint_host)
			continue;
		for (;;) {
			ret = lookup(peer->endpoint_host, peer->endpoint_port, 0, &peer->endpoint);
			if (!ret)
				break;
			/* Permanent answers are final; anything else may be a network still coming up. */
			if (ret == EAI_NONAME || ret == EAI_FAIL || ret == EAI_SERVICE ||
			    ret == EAI_FAMILY || (retries >= 0 && !retries--)) {
				const char *msg = ret == EAI_SYSTEM ? strerror(errno) :
								      gai_strerror(ret);

				if (file)
					snprintf(err, errlen, "%s:%u: Endpoint: cannot resolve "
						 "\"%s\": %s", file, peer->endpoint_line,
						 peer->endpoint_host, msg);
				else
					snprintf(err, errlen, "Endpoint: cannot resolve \"%s\": %s",
						 peer->endpoint_host, msg);
				return -EINVAL;
			}
			fprintf(stderr, "Resolving \"%s\" failed (%s); trying again in %.2f s...\n",
				peer->endpoint_host, gai_strerror(ret), delay_us / 1e6);
			usleep(delay_us);
			delay_us = delay_us * 6 / 5 > 20000000 ? 20000000 : delay_us * 6 / 5;
		}
	}
	return 0;
}
