/*
 * cli/show_stats.c - `uwg show IF stats|nat|upnp|firewall` (the daemon's counters and
 * uwg's own state in human form) and `uwg show IF|all metrics` (every counter
 * in Prometheus' text exposition format, for node_exporter's textfile
 * collector). Reads the daemon's "get", "stats=1" and "nat=1" replies over
 * the UAPI socket (docs/uapi.md). Main thread only.
 */
#include "cli/cmd_main.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "cli/uapi_client.h"
#include "crypto/encoding.h"

/* What one daemon told us. */
struct iface {
	char name[UWG_CONF_IFNAME_MAX + 1];
	struct uwg_conf conf;
	char *stats, *nat;    /* "stats=1" and "nat=1" replies; nat NULL without uwg's NAT */
	size_t stats_len, nat_len;
};

/* One UAPI request, its reply kept if it says errno=0. */
static int ask(const char *ifname, const char *req, char **out, size_t *len)
{
	int err = uwg_uapi_client_transact(ifname, req, strlen(req), out, len);

	if (!err && uwg_uapi_client_reply_errno(*out)) {
		err = uwg_uapi_client_reply_errno(*out);
		uwg_uapi_client_free(*out, *len);
	}
	if (err)
		*out = NULL;
	return err;
}

static int collect(struct iface *v, const char *ifname)
{
	int err;

	memset(v, 0, sizeof(*v));
	snprintf(v->name, sizeof(v->name), "%s", ifname);
	uwg_conf_init(&v->conf);
	err = uwg_uapi_client_get(ifname, &v->conf);
	if (!err)
		err = ask(ifname, "stats=1\n\n", &v->stats, &v->stats_len);
	/* wireguard-go (it closes the connection on "nat=1") has no NAT: not an error */
	if (!err)
		ask(ifname, "nat=1\n\n", &v->nat, &v->nat_len);
	return err;
}

static void release(struct iface *v)
{
	uwg_conf_free(&v->conf);
	if (v->stats)
		uwg_uapi_client_free(v->stats, v->stats_len);
	if (v->nat)
		uwg_uapi_client_free(v->nat, v->nat_len);
}

/*
 * The next "key=value" line of text after *pos whose key starts with
 * prefix: key (after the prefix) and value into the buffers. False at the end.
 */
static bool next_kv(const char *text, size_t *pos, const char *prefix, char *key, size_t klen,
		    char *val, size_t vlen)
{
	size_t plen = strlen(prefix);

	while (text && text[*pos]) {
		const char *line = text + *pos, *nl = strchr(line, '\n'), *eq;
		size_t n = nl ? (size_t)(nl - line) : strlen(line);

		*pos += n + (nl ? 1 : 0);
		eq = memchr(line, '=', n);
		if (!eq || (size_t)(eq - line) < plen || strncmp(line, prefix, plen))
			continue;
		snprintf(key, klen, "%.*s", (int)(eq - line - (ptrdiff_t)plen), line + plen);
		snprintf(val, vlen, "%.*s", (int)(n - (size_t)(eq + 1 - line)), eq + 1);
		return true;
	}
	return false;
}

/* The value of one key of text, or NULL (static buffer). */
static const char *value_of(const char *text, const char *key)
{
	static char val[256];
	char k[64];
	size_t pos = 0;

	while (next_kv(text, &pos, "", k, sizeof(k), val, sizeof(val)))
		if (!strcmp(k, key))
			return val;
	return NULL;
}

/* ---- Prometheus ---- */

static void family(FILE *f, const char *metric, const char *type, const char *help)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", metric, help, metric, type);
}

/* A label value as the exposition format wants it: \, " and newline escaped. */
static void label(FILE *f, const char *v)
{
	for (; *v; v++) {
		if (*v == '\\' || *v == '"')
			fputc('\\', f);
		if (*v == '\n')
			fputs("\\n", f);
		else
			fputc(*v, f);
	}
}

/*
 * One family from the "key=value" lines of each daemon's reply (stats or
 * nat) whose key starts with prefix: metric{interface,NAME="key"} value.
 * keep decides which keys belong (NULL: all).
 */
static void kv_family(FILE *f, struct iface *v, size_t n, bool from_nat, const char *prefix,
		      const char *metric, const char *type, const char *help, const char *name,
		      bool (*keep)(const char *key))
{
	char key[64], val[64];

	family(f, metric, type, help);
	for (size_t i = 0; i < n; i++) {
		const char *text = from_nat ? v[i].nat : v[i].stats;
		size_t pos = 0;

		while (next_kv(text, &pos, prefix, key, sizeof(key), val, sizeof(val))) {
			if (!strcmp(key, "errno") || (keep && !keep(key)))
				continue;
			fprintf(f, "%s{interface=\"", metric);
			label(f, v[i].name);
			fprintf(f, "\",%s=\"", name);
			label(f, key);
			fprintf(f, "\"} %s\n", val);
		}
	}
}

static bool is_gauge(const char *key)
{
	size_t n = strlen(key);

	return n > 7 && !strcmp(key + n - 7, "_active");
}

static bool is_counter(const char *key)
{
	return !is_gauge(key);
}

static bool not_error(const char *key)
{
	return strncmp(key, "error_", 6) != 0;
}

/* A per-peer family: value(peer) for every peer of every interface. */
static void peer_family(FILE *f, struct iface *v, size_t n, const char *metric, const char *type,
			const char *help, int which)
{
	char key[UWG_KEY_B64_LEN];

	family(f, metric, type, help);
	for (size_t i = 0; i < n; i++) {
		for (size_t k = 0; k < v[i].conf.n_peers; k++) {
			const struct uwg_conf_peer *p = &v[i].conf.peers[k];
			uint64_t value = which == 0 ? p->rx_bytes : which == 1 ? p->tx_bytes :
				(uint64_t)p->last_handshake_sec;

			uwg_key_to_base64(key, p->public_key);
			fprintf(f, "%s{interface=\"", metric);
			label(f, v[i].name);
			fprintf(f, "\",public_key=\"%s\"} %" PRIu64 "\n", key, value);
		}
	}
}

/* A per-interface gauge from one key of the nat=1 reply (true/false as 1/0), or a count. */
static void nat_gauge(FILE *f, struct iface *v, size_t n, const char *metric, const char *help,
		      const char *key, const char *count_prefix)
{
	family(f, metric, "gauge", help);
	for (size_t i = 0; i < n; i++) {
		unsigned long long value = 0;

		if (!v[i].nat)
			continue;
		if (count_prefix) {
			char k[64], val[512];
			size_t pos = 0;

			while (next_kv(v[i].nat, &pos, count_prefix, k, sizeof(k), val, sizeof(val)))
				if (!k[0])
					value++;
		} else {
			const char *s = value_of(v[i].nat, key);

			value = s && !strcmp(s, "true");
		}
		fprintf(f, "%s{interface=\"", metric);
		label(f, v[i].name);
		fprintf(f, "\"} %llu\n", value);
	}
}

static void metrics(FILE *f, struct iface *v, size_t n)
{
	family(f, "uwg_interface_peers", "gauge", "Peers configured on the interface.");
	for (size_t i = 0; i < n; i++) {
		fprintf(f, "uwg_interface_peers{interface=\"");
		label(f, v[i].name);
		fprintf(f, "\"} %zu\n", v[i].conf.n_peers);
	}
	peer_family(f, v, n, "uwg_peer_receive_bytes_total", "counter",
		    "Bytes received from the peer (WireGuard messages).", 0);
	peer_family(f, v, n, "uwg_peer_transmit_bytes_total", "counter",
		    "Bytes sent to the peer (WireGuard messages).", 1);
	peer_family(f, v, n, "uwg_peer_latest_handshake_seconds", "gauge",
		    "Unix time of the latest completed handshake, 0 if none.", 2);
	kv_family(f, v, n, false, "", "uwg_stat_total", "counter",
		  "The daemon's drop and event counters (uwg's stats=1, docs/uapi.md).", "name",
		  is_counter);
	kv_family(f, v, n, false, "", "uwg_stat_active", "gauge",
		  "The daemon's gauges: peers holding session state now.", "name", is_gauge);
	nat_gauge(f, v, n, "uwg_nat_enabled", "1 while uwg's NAT runs.", "nat_enable", NULL);
	kv_family(f, v, n, true, "nat_stat_", "uwg_nat_stat_total", "counter",
		  "The NAT's translation and drop counters.", "name", is_counter);
	kv_family(f, v, n, true, "nat_stat_", "uwg_nat_entries", "gauge",
		  "Flows and port maps in the NAT table now.", "name", is_gauge);
	nat_gauge(f, v, n, "uwg_upnp_enabled", "1 while UPnP is configured on.", "upnp", NULL);
	nat_gauge(f, v, n, "uwg_upnp_running", "1 while the UPnP IGD serves.", "upnp_running",
		  NULL);
	nat_gauge(f, v, n, "uwg_upnp_maps", "Port maps the UPnP IGD holds now.", NULL,
		  "upnp_map");
	kv_family(f, v, n, true, "upnp_stat_", "uwg_upnp_stat_total", "counter",
		  "The UPnP IGD's request counters since the daemon started.", "name", not_error);
	kv_family(f, v, n, true, "upnp_stat_error_", "uwg_upnp_errors_total", "counter",
		  "UPnP requests answered with an error, by UPnP error code.", "code", NULL);
	nat_gauge(f, v, n, "uwg_ipv6_firewall_enabled", "1 while the IPv6 firewall filters any peer.",
		  "fw6", NULL);
	nat_gauge(f, v, n, "uwg_ipv6_firewall_pinholes", "IPv6 pinholes open now.", NULL,
		  "fw6_pinhole");
	kv_family(f, v, n, true, "fw6_stat_", "uwg_ipv6_firewall_stat_total", "counter",
		  "The IPv6 firewall's flow, pass and drop counters.", "name", is_counter);
	kv_family(f, v, n, true, "fw6_stat_", "uwg_ipv6_firewall_entries", "gauge",
		  "Flows and pinholes in the IPv6 firewall now.", "name", is_gauge);
}

int uwg_cmd_show_metrics(char **names, size_t n)
{
	struct iface *v = calloc(n ? n : 1, sizeof(*v));
	size_t got = 0;
	int ret = 0;

	if (!v) {
		fprintf(stderr, "uwg show: %s\n", strerror(ENOMEM));
		return 1;
	}
	for (; got < n; got++) {
		int err = collect(&v[got], names[got]);

		if (err) {
			/* No partial page: a scrape of it would report peers as gone. */
			fprintf(stderr, "Unable to access interface %s: %s\n", names[got],
				strerror(-err));
			release(&v[got]);
			ret = 1;
			break;
		}
	}
	if (!ret)
		metrics(stdout, v, n);
	for (size_t i = 0; i < got; i++)
		release(&v[i]);
	free(v);
	return ret;
}

/* ---- human form ---- */

/* "  name  value" lines for the keys with prefix (counters with keep). */
static void counters(FILE *f, const char *text, const char *prefix, bool (*keep)(const char *key))
{
	char key[64], val[64];
	size_t pos = 0;

	while (next_kv(text, &pos, prefix, key, sizeof(key), val, sizeof(val)))
		if (strcmp(key, "errno") && (!keep || keep(key)))
			fprintf(f, "    %-28s %s\n", key, val);
}

int uwg_cmd_show_section(const char *ifname, const char *what, bool color)
{
	const char *bold = color ? "\x1b[1m" : "", *reset = color ? "\x1b[0m" : "";
	struct iface v;
	int err = collect(&v, ifname);

	if (err) {
		fprintf(stderr, "Unable to access interface: %s\n", strerror(-err));
		release(&v);
		return 1;
	}
	printf("%sinterface%s: %s\n", bold, reset, ifname);
	if (!strcmp(what, "stats")) {
		printf("  %scounters%s:\n", bold, reset);
		counters(stdout, v.stats, "", NULL);
	} else if (!v.nat) {
		printf("  (this daemon has no uwg NAT or UPnP)\n");
	} else if (!strcmp(what, "firewall")) {
		const char *on = value_of(v.nat, "fw6");

		if (!on || strcmp(on, "true"))
			printf("  %sipv6 firewall%s: off\n", bold, reset);
		uwg_fw_show(stdout, ifname, v.nat, color);
		printf("  %scounters%s:\n", bold, reset);
		counters(stdout, v.nat, "fw6_stat_", NULL);
	} else if (!strcmp(what, "nat")) {
		const char *on = value_of(v.nat, "nat_enable");

		if (!on || strcmp(on, "true"))
			printf("  %snat%s: off\n", bold, reset);
		uwg_nat_conf_show(stdout, v.nat, color);
		printf("  %scounters%s:\n", bold, reset);
		counters(stdout, v.nat, "nat_stat_", NULL);
	} else {
		const char *on = value_of(v.nat, "upnp");

		if (!on || strcmp(on, "true"))
			printf("  %supnp%s: off\n", bold, reset);
		uwg_igd_conf_show(stdout, v.nat, color);
		printf("  %scounters%s:\n", bold, reset);
		counters(stdout, v.nat, "upnp_stat_", not_error);
		printf("  %serrors by UPnP code%s:\n", bold, reset);
		counters(stdout, v.nat, "upnp_stat_error_", NULL);
	}
	release(&v);
	return 0;
}
