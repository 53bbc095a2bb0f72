/*
 * cli/cmd_show.c - `uwg show`: the same output as `wg show` (pretty form,
 * single fields, dump), read over the UAPI socket. Colours only on a
 * terminal, or as WG_COLOR_MODE=always|never says. Main thread only.
 */
#include "cli/cmd_main.h"
#include "cli/commands.h"

#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/uapi/igd_conf.h"
#include "cli/uapi_client.h"
#include "crypto/encoding.h"

#define T_RESET "\x1b[0m"
#define T_BOLD "\x1b[1m"
#define T_RED "\x1b[31m"
#define T_GREEN "\x1b[32m"
#define T_YELLOW "\x1b[33m"
#define T_CYAN "\x1b[36m"

/* printf that drops the escape sequences when colour is off. */
static void tprintf(FILE *f, bool color, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void tprintf(FILE *f, bool color, const char *fmt, ...)
{
	char small[1024], *buf = small;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(small, sizeof(small), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof(small)) {
		buf = malloc((size_t)n + 1);
		if (!buf)
			return;
		va_start(ap, fmt);
		vsnprintf(buf, (size_t)n + 1, fmt, ap);
		va_end(ap);
	}
	if (color) {
		fputs(buf, f);
	} else {
		for (const char *s = buf; *s; s++) {
			if (s[0] == '\x1b' && s[1] == '[') {
				const char *m = strchr(s, 'm');

				if (m) {
					s = m;
					continue;
				}
			}
			fputc(*s, f);
		}
	}
	if (buf != small)
		free(buf);
}

static const char *b64(const uint8_t key[32], char buf[UWG_KEY_B64_LEN])
{
	uwg_key_to_base64(buf, key);
	return buf;
}

static size_t pretty_time(char *buf, size_t len, unsigned long long left)
{
	static const struct {
		unsigned long long secs;
		const char *name;
	} units[] = {
		{ 365ULL * 24 * 60 * 60, "year" }, { 24 * 60 * 60, "day" }, { 60 * 60, "hour" },
		{ 60, "minute" }, { 1, "second" },
	};
	size_t off = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		unsigned long long n = left / units[i].secs;
		int w;

		left %= units[i].secs;
		if (!n)
			continue;
		w = snprintf(buf + off, len - off, "%s%llu " T_CYAN "%s%s" T_RESET,
			     off ? ", " : "", n, units[i].name, n == 1 ? "" : "s");
		if (w < 0 || (size_t)w >= len - off)
			return len - 1;
		off += (size_t)w;
	}
	return off;
}

static const char *ago(int64_t sec, time_t now, char *buf, size_t len)
{
	if (now == sec) {
		snprintf(buf, len, "Now");
	} else if (now < sec) {
		snprintf(buf, len, "(" T_RED "System clock wound backward; connection problems may "
			 "ensue." T_RESET ")");
	} else {
		size_t off = pretty_time(buf, len, (unsigned long long)(now - sec));

		snprintf(buf + off, len - off, " ago");
	}
	return buf;
}

static const char *bytes(uint64_t b, char *buf, size_t len)
{
	if (b < 1024ULL)
		snprintf(buf, len, "%u " T_CYAN "B" T_RESET, (unsigned)b);
	else if (b < 1024ULL * 1024)
		snprintf(buf, len, "%.2f " T_CYAN "KiB" T_RESET, (double)b / 1024);
	else if (b < 1024ULL * 1024 * 1024)
		snprintf(buf, len, "%.2f " T_CYAN "MiB" T_RESET, (double)b / (1024 * 1024));
	else if (b < 1024ULL * 1024 * 1024 * 1024)
		snprintf(buf, len, "%.2f " T_CYAN "GiB" T_RESET, (double)b / (1024 * 1024 * 1024));
	else
		snprintf(buf, len, "%.2f " T_CYAN "TiB" T_RESET,
			 (double)b / (1024.0 * 1024 * 1024) / 1024);
	return buf;
}

static bool has_handshake(const struct uwg_conf_peer *p)
{
	return p->last_handshake_sec || p->last_handshake_nsec;
}

/* wg's order: most recent handshake first, peers without one last, ties keep their order. */
static int peer_before(const struct uwg_conf_peer *a, const struct uwg_conf_peer *b)
{
	if (!has_handshake(a))
		return 0;
	if (!has_handshake(b))
		return 1;
	if (a->last_handshake_sec != b->last_handshake_sec)
		return a->last_handshake_sec > b->last_handshake_sec;
	return a->last_handshake_nsec > b->last_handshake_nsec;
}

static void sort_peers(struct uwg_conf *dev)
{
	/* Insertion sort: stable, and peer lists are short. */
	for (size_t i = 1; i < dev->n_peers; i++) {
		struct uwg_conf_peer tmp = dev->peers[i];
		size_t j = i;

		while (j > 0 && peer_before(&tmp, &dev->peers[j - 1])) {
			dev->peers[j] = dev->peers[j - 1];
			j--;
		}
		dev->peers[j] = tmp;
	}
}

static const char *endpoint_str(const struct uwg_conf_peer *p, char *buf, size_t len)
{
	uwg_conf_format_endpoint(&p->endpoint, buf, len);
	return buf;
}

static bool has_endpoint(const struct uwg_conf_peer *p)
{
	return p->endpoint.ss_family == AF_INET || p->endpoint.ss_family == AF_INET6;
}

void uwg_cmd_show_pretty(FILE *f, const char *ifname, struct uwg_conf *dev, bool color, time_t now)
{
	char k[UWG_KEY_B64_LEN], buf[1024];

	tprintf(f, color, T_RESET);
	tprintf(f, color, T_GREEN T_BOLD "interface" T_RESET ": " T_GREEN "%s" T_RESET "\n", ifname);
	if (dev->flags & UWG_DEV_HAS_PUBLIC_KEY)
		tprintf(f, color, "  " T_BOLD "public key" T_RESET ": %s\n", b64(dev->public_key, k));
	if (dev->flags & UWG_DEV_HAS_PRIVATE_KEY)
		tprintf(f, color, "  " T_BOLD "private key" T_RESET ": (hidden)\n");
	if (dev->listen_port)
		tprintf(f, color, "  " T_BOLD "listening port" T_RESET ": %u\n", dev->listen_port);
	if (dev->fwmark)
		tprintf(f, color, "  " T_BOLD "fwmark" T_RESET ": 0x%x\n", dev->fwmark);
	if (dev->n_peers) {
		sort_peers(dev);
		tprintf(f, color, "\n");
	}
	for (size_t i = 0; i < dev->n_peers; i++) {
		const struct uwg_conf_peer *p = &dev->peers[i];

		tprintf(f, color, T_YELLOW T_BOLD "peer" T_RESET ": " T_YELLOW "%s" T_RESET "\n",
			b64(p->public_key, k));
		if (p->flags & UWG_PEER_HAS_PRESHARED_KEY)
			tprintf(f, color, "  " T_BOLD "preshared key" T_RESET ": (hidden)\n");
		if (has_endpoint(p))
			tprintf(f, color, "  " T_BOLD "endpoint" T_RESET ": %s\n",
				endpoint_str(p, buf, sizeof(buf)));
		tprintf(f, color, "  " T_BOLD "allowed ips" T_RESET ": ");
		for (size_t j = 0; j < p->n_aips; j++) {
			char a[64];

			uwg_ip_addr_format(&p->aips[j].prefix, a, sizeof(a));
			tprintf(f, color, "%s" T_CYAN "/" T_RESET "%u%s", a, p->aips[j].prefix.len,
				j + 1 < p->n_aips ? ", " : "\n");
		}
		if (!p->n_aips)
			tprintf(f, color, "(none)\n");
		if (p->last_handshake_sec)
			tprintf(f, color, "  " T_BOLD "latest handshake" T_RESET ": %s\n",
				ago(p->last_handshake_sec, now, buf, sizeof(buf)));
		if (p->rx_bytes || p->tx_bytes) {
			char rx[64], tx[64];

			tprintf(f, color, "  " T_BOLD "transfer" T_RESET ": %s received, %s sent\n",
				bytes(p->rx_bytes, rx, sizeof(rx)), bytes(p->tx_bytes, tx, sizeof(tx)));
		}
		if (p->keepalive) {
			pretty_time(buf, sizeof(buf), p->keepalive);
			tprintf(f, color, "  " T_BOLD "persistent keepalive" T_RESET ": every %s\n",
				buf);
		}
		if (i + 1 < dev->n_peers)
			tprintf(f, color, "\n");
	}
}

static void maybe_ifname(FILE *f, const char *ifname, bool with)
{
	if (with)
		fprintf(f, "%s\t", ifname);
}

static const char *maybe_key(const uint8_t key[32], bool has, char buf[UWG_KEY_B64_LEN])
{
	return has ? b64(key, buf) : "(none)";
}

static void dump(FILE *f, const char *ifname, const struct uwg_conf *dev, bool with)
{
	char k[UWG_KEY_B64_LEN], ep[128];

	maybe_ifname(f, ifname, with);
	fprintf(f, "%s\t", maybe_key(dev->private_key, dev->flags & UWG_DEV_HAS_PRIVATE_KEY, k));
	fprintf(f, "%s\t", maybe_key(dev->public_key, dev->flags & UWG_DEV_HAS_PUBLIC_KEY, k));
	fprintf(f, "%u\t", dev->listen_port);
	if (dev->fwmark)
		fprintf(f, "0x%x\n", dev->fwmark);
	else
		fprintf(f, "off\n");
	for (size_t i = 0; i < dev->n_peers; i++) {
		const struct uwg_conf_peer *p = &dev->peers[i];

		maybe_ifname(f, ifname, with);
		fprintf(f, "%s\t", b64(p->public_key, k));
		fprintf(f, "%s\t", maybe_key(p->preshared_key,
					     p->flags & UWG_PEER_HAS_PRESHARED_KEY, k));
		fprintf(f, "%s\t", has_endpoint(p) ? endpoint_str(p, ep, sizeof(ep)) : "(none)");
		for (size_t j = 0; j < p->n_aips; j++) {
			char a[UWG_IP_PREFIX_STRLEN];

			uwg_ip_prefix_format(&p->aips[j].prefix, a, sizeof(a));
			fprintf(f, "%s%c", a, j + 1 < p->n_aips ? ',' : '\t');
		}
		if (!p->n_aips)
			fprintf(f, "(none)\t");
		fprintf(f, "%llu\t", (unsigned long long)p->last_handshake_sec);
		fprintf(f, "%" PRIu64 "\t%" PRIu64 "\t", p->rx_bytes, p->tx_bytes);
		if (p->keepalive)
			fprintf(f, "%u\n", p->keepalive);
		else
			fprintf(f, "off\n");
	}
}

bool uwg_cmd_show_field(FILE *f, const char *ifname, const struct uwg_conf *dev, const char *param,
			bool with)
{
	char k[UWG_KEY_B64_LEN], v[UWG_KEY_B64_LEN];

	if (!strcmp(param, "dump")) {
		dump(f, ifname, dev, with);
	} else if (!strcmp(param, "private-key")) {
		maybe_ifname(f, ifname, with);
		fprintf(f, "%s\n",
			maybe_key(dev->private_key, dev->flags & UWG_DEV_HAS_PRIVATE_KEY, k));
	} else if (!strcmp(param, "public-key")) {
		maybe_ifname(f, ifname, with);
		fprintf(f, "%s\n", maybe_key(dev->public_key, dev->flags & UWG_DEV_HAS_PUBLIC_KEY, k));
	} else if (!strcmp(param, "listen-port")) {
		maybe_ifname(f, ifname, with);
		fprintf(f, "%u\n", dev->listen_port);
	} else if (!strcmp(param, "fwmark")) {
		maybe_ifname(f, ifname, with);
		if (dev->fwmark)
			fprintf(f, "0x%x\n", dev->fwmark);
		else
			fprintf(f, "off\n");
	} else if (!strcmp(param, "endpoints") || !strcmp(param, "allowed-ips") ||
		   !strcmp(param, "latest-handshakes") || !strcmp(param, "transfer") ||
		   !strcmp(param, "persistent-keepalive") || !strcmp(param, "preshared-keys") ||
		   !strcmp(param, "peers")) {
		for (size_t i = 0; i < dev->n_peers; i++) {
			const struct uwg_conf_peer *p = &dev->peers[i];
			char ep[128];

			maybe_ifname(f, ifname, with);
			if (!strcmp(param, "peers")) {
				fprintf(f, "%s\n", b64(p->public_key, k));
				continue;
			}
			fprintf(f, "%s\t", b64(p->public_key, k));
			if (!strcmp(param, "endpoints")) {
				fprintf(f, "%s\n", has_endpoint(p) ? endpoint_str(p, ep, sizeof(ep)) :
								      "(none)");
			} else if (!strcmp(param, "allowed-ips")) {
				for (size_t j = 0; j < p->n_aips; j++) {
					char a[UWG_IP_PREFIX_STRLEN];

					uwg_ip_prefix_format(&p->aips[j].prefix, a, sizeof(a));
					fprintf(f, "%s%c", a, j + 1 < p->n_aips ? ' ' : '\n');
				}
				if (!p->n_aips)
					fprintf(f, "(none)\n");
			} else if (!strcmp(param, "latest-handshakes")) {
				fprintf(f, "%llu\n", (unsigned long long)p->last_handshake_sec);
			} else if (!strcmp(param, "transfer")) {
				fprintf(f, "%" PRIu64 "\t%" PRIu64 "\n", p->rx_bytes, p->tx_bytes);
			} else if (!strcmp(param, "persistent-keepalive")) {
				if (p->keepalive)
					fprintf(f, "%u\n", p->keepalive);
				else
					fprintf(f, "off\n");
			} else {
				fprintf(f, "%s\n", maybe_key(p->preshared_key,
							     p->flags & UWG_PEER_HAS_PRESHARED_KEY,
							     v));
			}
		}
	} else {
		return false;
	}
	return true;
}

static void usage(const char *cmd)
{
	uwg_subcommand_usage(stderr, cmd);
}

/* uwg's own views of a daemon (cli/show_stats.c), beside wg's fields. */
static bool section_known(const char *param)
{
	return !strcmp(param, "stats") || !strcmp(param, "nat") || !strcmp(param, "upnp") ||
	       !strcmp(param, "firewall");
}

static bool use_color(void)
{
	const char *mode = getenv("WG_COLOR_MODE");

	if (mode && !strcmp(mode, "always"))
		return true;
	if (mode && !strcmp(mode, "never"))
		return false;
	return isatty(fileno(stdout));
}

/* uwg's own blocks after wg's output (NAT, UPnP maps), from one "nat=1" request. */
static void show_uwg_blocks(const char *ifname)
{
	char *reply;
	size_t len;

	/* wireguard-go (it closes the connection on "nat=1") or an older uwg: nothing to add */
	if (uwg_uapi_client_transact(ifname, "nat=1\n\n", 7, &reply, &len) == 0 &&
	    uwg_uapi_client_reply_errno(reply) == 0) {
		uwg_nat_conf_show(stdout, reply, use_color());
		uwg_igd_conf_show(stdout, reply, use_color());
		uwg_fw_show(stdout, ifname, reply, use_color());
	}
	uwg_uapi_client_free(reply, len);
}

static bool field_known(const char *param)
{
	static const char *const known[] = { "dump", "private-key", "public-key", "listen-port",
					     "fwmark", "endpoints", "allowed-ips",
					     "latest-handshakes", "transfer",
					     "persistent-keepalive", "preshared-keys", "peers" };

	for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
		if (!strcmp(param, known[i]))
			return true;
	return false;
}

static int bad_param(const char *cmd, const char *param)
{
	fprintf(stderr, "Invalid parameter: `%s'\n", param);
	usage(cmd);
	return 1;
}

static int show_all(char **argv, int argc)
{
	char **names;
	size_t n;
	int ret = uwg_uapi_client_list(&names, &n);

	if (ret) {
		fprintf(stderr, "Unable to list interfaces: %s\n", strerror(-ret));
		return 1;
	}
	if (argc == 3 && !field_known(argv[2]) && !section_known(argv[2]) &&
	    strcmp(argv[2], "metrics")) {
		uwg_uapi_client_list_free(names, n);
		return bad_param(argv[0], argv[2]);
	}
	if (argc == 3 && !strcmp(argv[2], "metrics")) {
		ret = uwg_cmd_show_metrics(names, n);
		uwg_uapi_client_list_free(names, n);
		return ret;
	}
	ret = 0;
	for (size_t i = 0; i < n; i++) {
		struct uwg_conf dev;
		int err;

		uwg_conf_init(&dev);
		err = uwg_uapi_client_get(names[i], &dev);
		if (err) {
			/* As wg: the others are still shown, but the status says one failed. */
			fprintf(stderr, "Unable to access interface %s: %s\n", names[i],
				strerror(-err));
			uwg_conf_free(&dev);
			ret = 1;
			continue;
		}
		if (argc == 3 && section_known(argv[2])) {
			ret |= uwg_cmd_show_section(names[i], argv[2], use_color());
		} else if (argc == 3) {
			uwg_cmd_show_field(stdout, names[i], &dev, argv[2], true);
		} else {
			uwg_cmd_show_pretty(stdout, names[i], &dev, use_color(), time(NULL));
			show_uwg_blocks(names[i]);
			if (i + 1 < n)
				printf("\n");
		}
		uwg_conf_free(&dev);
	}
	uwg_uapi_client_list_free(names, n);
	return ret;
}

int uwg_cmd_show_main(int argc, char **argv)
{
	struct uwg_conf dev;
	int err, ret = 0;

	if (argc > 3) {
		usage(argv[0]);
		return 1;
	}
	if (argc == 1 || !strcmp(argv[1], "all"))
		return show_all(argv, argc);
	if (!strcmp(argv[1], "interfaces")) {
		char **names;
		size_t n;

		if (argc > 2) {
			usage(argv[0]);
			return 1;
		}
		err = uwg_uapi_client_list(&names, &n);
		if (err) {
			fprintf(stderr, "Unable to list interfaces: %s\n", strerror(-err));
			return 1;
		}
		for (size_t i = 0; i < n; i++)
			printf("%s%c", names[i], i + 1 < n ? ' ' : '\n');
		uwg_uapi_client_list_free(names, n);
		return 0;
	}
	if (argc == 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") ||
			  !strcmp(argv[1], "help"))) {
		usage(argv[0]);
		return 0;
	}
	if (argc == 3 && section_known(argv[2]))
		return uwg_cmd_show_section(argv[1], argv[2], use_color());
	if (argc == 3 && !strcmp(argv[2], "metrics"))
		return uwg_cmd_show_metrics(&argv[1], 1);
	uwg_conf_init(&dev);
	err = uwg_uapi_client_get(argv[1], &dev);
	if (err) {
		fprintf(stderr, "Unable to access interface: %s\n", strerror(-err));
		uwg_conf_free(&dev);
		return 1;
	}
	if (argc == 3) {
		if (!uwg_cmd_show_field(stdout, argv[1], &dev, argv[2], false))
			ret = bad_param(argv[0], argv[2]);
	} else {
		uwg_cmd_show_pretty(stdout, argv[1], &dev, use_color(), time(NULL));
		show_uwg_blocks(argv[1]);
	}
	uwg_conf_free(&dev);
	return ret;
}
