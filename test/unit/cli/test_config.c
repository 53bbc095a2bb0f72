/*
 * test/unit/cli/test_config.c - the wg-quick config parser (every key, comments,
 * case, whitespace, and one exact one-line error per malformed file in
 * test/fuzz/corpus/fuzz_config/bad-*.conf), IP prefixes, the UAPI client's
 * get parser and set writer, and the `show`/`showconf` printers against
 * wg's formats.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include "cli/cmd_main.h"
#include "cli/config.h"
#include "cli/uapi/text.h"
#include "cli/uapi_client.h"
#include "crypto/crypto.h"
#include "crypto/ct.h"
#include "test/harness.h"

/* wg(8)'s example keys; public keys from `wg pubkey`. */
#define PRIV_B64 "yAnz5TF+lXXJte14tji3zlMNq+hd2rYUIgJBgB3fBmk="
#define PRIV_HEX "c809f3e5317e9575c9b5ed78b638b7ce530dabe85ddab614220241801ddf0669"
#define PUB_OF_PRIV "HIgo9xNzJMWLKASShiTqIybxZ0U3wGLiUeJ1PKf8ykw="
#define PUB_OF_PRIV_HEX "1c8828f7137324c58b2804928624ea2326f1674537c062e251e2753ca7fcca4c"
#define P2_B64 "xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg="
#define P2_HEX "c53201039adba14be71f886da1d8dbe9eebded08cb111b75340078999aa9f038"
#define P3_B64 "TrMvSoP4jYQlY6RIzBgbssQqY3vxI2Pi+y71lOWWXX0="
#define P3_HEX "4eb32f4a83f88d842563a448cc181bb2c42a637bf12363e2fb2ef594e5965d7d"
#define PSK_B64 "/UwcSPg38hW/D9Y3tcS1FOV0K1wuURMbS0sesJEP5ak="
#define PSK_HEX "fd4c1c48f837f215bf0fd637b5c4b514e5742b5c2e51131b4b4b1eb0910fe5a9"

static int parse(struct uwg_conf *c, const char *text, char *err)
{
	uwg_conf_init(c);
	err[0] = '\0';
	return uwg_conf_parse(c, "wg0.conf", text, strlen(text), err, UWG_CONF_ERR_LEN);
}

static bool prefix_is(const struct uwg_ip_prefix *p, const char *want)
{
	char buf[UWG_IP_PREFIX_STRLEN];

	uwg_ip_prefix_format(p, buf, sizeof(buf));
	if (strcmp(buf, want))
		fprintf(stderr, "  prefix %s != %s\n", buf, want);
	return !strcmp(buf, want);
}

static void test_full_config(void)
{
	static const char text[] =
		"# a comment line\n"
		"  [interface]   # section names are case-insensitive\n"
		"privatekey=" PRIV_B64 "\n"
		"LISTENPORT = 51820\n"
		"FwMark = 0x1234\n"
		"Address = 10.100.0.1/24, fd00::1/64 # inline comment\n"
		"Address = 10.100.1.1 192.168.7.1/32\n"
		"DNS = 1.1.1.1, 2606:4700::1111, example.com corp.example\n"
		"MTU = 1380\n"
		"Table = 1234\n"
		"PreUp = echo pre-up %i >> /tmp/x # kept for bash\n"
		"PostUp = echo a=b\n"
		"PostUp = echo second\n"
		"PreDown = true\n"
		"PostDown = logger %i down\n"
		"SaveConfig = True\n"
		"\n"
		"[Peer]\n"
		"PublicKey = " P2_B64 "\n"
		"PresharedKey = " PSK_B64 "\n"
		"AllowedIPs = 10.100.0.2/32, fd00::2/128\n"
		"AllowedIPs = 192.168.50.0/24\n"
		"Endpoint = 203.0.114.9:51820\n"
		"PersistentKeepalive = 25\n"
		"[PEER]\n"
		"\tPublicKey\t=\t" P3_B64 "\n"
		"AllowedIPs = 0.0.0.0/0, ::/0\n"
		"Endpoint = [2001:db8::9]:443\n"
		"PersistentKeepalive = off\n"
		"[Peer]\n"
		"PublicKey = " PUB_OF_PRIV "\n"
		"Endpoint = vpn.example.com:51820\n";
	struct uwg_conf c;
	char err[UWG_CONF_ERR_LEN];
	uint8_t want[32];

	CHECK_EQ_INT(parse(&c, text, err), 0);
	CHECK(err[0] == '\0');
	harness_unhex(want, sizeof(want), PRIV_HEX);
	CHECK(c.flags & UWG_DEV_HAS_PRIVATE_KEY);
	CHECK_MEM_EQ(c.private_key, want, 32);
	CHECK(c.flags & UWG_DEV_HAS_LISTEN_PORT);
	CHECK_EQ_INT(c.listen_port, 51820);
	CHECK(c.flags & UWG_DEV_HAS_FWMARK);
	CHECK_EQ_U64(c.fwmark, 0x1234);
	CHECK_EQ_INT(c.n_addrs, 4);
	if (c.n_addrs == 4) {
		CHECK(prefix_is(&c.addrs[0], "10.100.0.1/24"));
		CHECK(prefix_is(&c.addrs[1], "fd00::1/64"));
		CHECK(prefix_is(&c.addrs[2], "10.100.1.1/32"));
		CHECK(prefix_is(&c.addrs[3], "192.168.7.1/32"));
	}
	CHECK_EQ_INT(c.n_dns, 2);
	CHECK_EQ_INT(c.n_dns_search, 2);
	if (c.n_dns == 2 && c.n_dns_search == 2) {
		CHECK(!strcmp(c.dns[0], "1.1.1.1"));
		CHECK(!strcmp(c.dns[1], "2606:4700::1111"));
		CHECK(!strcmp(c.dns_search[0], "example.com"));
		CHECK(!strcmp(c.dns_search[1], "corp.example"));
	}
	CHECK_EQ_INT(c.mtu, 1380);
	CHECK_EQ_INT(c.table, UWG_TABLE_ID);
	CHECK_EQ_U64(c.table_id, 1234);
	CHECK(c.table_str && !strcmp(c.table_str, "1234"));
	CHECK_EQ_INT(c.n_hooks[UWG_HOOK_PRE_UP], 1);
	CHECK_EQ_INT(c.n_hooks[UWG_HOOK_POST_UP], 2);
	CHECK_EQ_INT(c.n_hooks[UWG_HOOK_PRE_DOWN], 1);
	CHECK_EQ_INT(c.n_hooks[UWG_HOOK_POST_DOWN], 1);
	if (c.n_hooks[UWG_HOOK_PRE_UP] == 1 && c.n_hooks[UWG_HOOK_POST_UP] == 2) {
		/* Hook text keeps its spaces, '=' and '#' (current wg-quick). */
		CHECK(!strcmp(c.hooks[UWG_HOOK_PRE_UP][0], "echo pre-up %i >> /tmp/x # kept for bash"));
		CHECK(!strcmp(c.hooks[UWG_HOOK_POST_UP][0], "echo a=b"));
		CHECK(!strcmp(c.hooks[UWG_HOOK_POST_UP][1], "echo second"));
	}
	CHECK(c.save_config);

	CHECK_EQ_INT(c.n_peers, 3);
	if (c.n_peers == 3) {
		struct uwg_conf_peer *p = &c.peers[0];

		harness_unhex(want, sizeof(want), P2_HEX);
		CHECK_MEM_EQ(p->public_key, want, 32);
		harness_unhex(want, sizeof(want), PSK_HEX);
		CHECK(p->flags & UWG_PEER_HAS_PRESHARED_KEY);
		CHECK_MEM_EQ(p->preshared_key, want, 32);
		CHECK(p->flags & UWG_PEER_REPLACE_ALLOWED_IPS);
		CHECK_EQ_INT(p->n_aips, 3);
		if (p->n_aips == 3) {
			CHECK(prefix_is(&p->aips[0].prefix, "10.100.0.2/32"));
			CHECK(prefix_is(&p->aips[1].prefix, "fd00::2/128"));
			CHECK(prefix_is(&p->aips[2].prefix, "192.168.50.0/24"));
		}
		CHECK(p->flags & UWG_PEER_HAS_ENDPOINT);
		CHECK(!strcmp(p->endpoint_host, "203.0.114.9"));
		CHECK(!strcmp(p->endpoint_port, "51820"));
		CHECK_EQ_INT(p->endpoint_line, 23);
		CHECK_EQ_INT(p->keepalive, 25);
		CHECK_EQ_INT(p->line, 18);

		p = &c.peers[1];
		harness_unhex(want, sizeof(want), P3_HEX);
		CHECK_MEM_EQ(p->public_key, want, 32);
		CHECK(!(p->flags & UWG_PEER_HAS_PRESHARED_KEY));
		CHECK_EQ_INT(p->n_aips, 2);
		if (p->n_aips == 2) {
			CHECK(prefix_is(&p->aips[0].prefix, "0.0.0.0/0"));
			CHECK(prefix_is(&p->aips[1].prefix, "::/0"));
		}
		CHECK(!strcmp(p->endpoint_host, "2001:db8::9"));
		CHECK(!strcmp(p->endpoint_port, "443"));
		CHECK(p->flags & UWG_PEER_HAS_KEEPALIVE);
		CHECK_EQ_INT(p->keepalive, 0);

		p = &c.peers[2];
		CHECK(!strcmp(p->endpoint_host, "vpn.example.com"));
		CHECK_EQ_INT(p->n_aips, 0);
	}
	uwg_conf_free(&c);
	CHECK_EQ_INT(c.n_peers, 0);
}

static void test_small_cases(void)
{
	struct uwg_conf c;
	char err[UWG_CONF_ERR_LEN];

	/* Empty file and comment-only file are valid (an interface with no key). */
	CHECK_EQ_INT(parse(&c, "", err), 0);
	uwg_conf_free(&c);
	CHECK_EQ_INT(parse(&c, "# nothing\n\n   \n", err), 0);
	uwg_conf_free(&c);

	/* Table words and names; FwMark off; last line without newline; CRLF. */
	CHECK_EQ_INT(parse(&c, "[Interface]\r\nTable = off\r\nFwMark = off", err), 0);
	CHECK_EQ_INT(c.table, UWG_TABLE_OFF);
	CHECK(c.flags & UWG_DEV_HAS_FWMARK);
	CHECK_EQ_U64(c.fwmark, 0);
	uwg_conf_free(&c);
	CHECK_EQ_INT(parse(&c, "[Interface]\nTable = main\n", err), 0);
	CHECK_EQ_INT(c.table, UWG_TABLE_ID);
	CHECK_EQ_U64(c.table_id, 254);
	uwg_conf_free(&c);
	CHECK_EQ_INT(parse(&c, "[Interface]\nTable = Auto\nFwMark = 51820\n", err), 0);
	CHECK_EQ_INT(c.table, UWG_TABLE_AUTO);
	CHECK_EQ_U64(c.fwmark, 51820);
	uwg_conf_free(&c);

	/* Unbracketed IPv6 endpoint: the last colon splits, as wg does. */
	CHECK_EQ_INT(parse(&c, "[Peer]\nPublicKey=" P2_B64 "\nEndpoint=::1:51820\n", err), 0);
	if (c.n_peers == 1) {
		CHECK(!strcmp(c.peers[0].endpoint_host, "::1"));
		CHECK(!strcmp(c.peers[0].endpoint_port, "51820"));
	}
	uwg_conf_free(&c);

	/* Errors never echo secrets. */
	CHECK(parse(&c, "[Interface]\nPrivateKey = SECRETSECRETSECRET\n", err) < 0);
	CHECK(!strstr(err, "SECRET"));
	uwg_conf_free(&c);

	/* Streaming API: errors stick. */
	{
		struct uwg_conf_parser p;

		uwg_conf_init(&c);
		uwg_conf_parser_init(&p, &c, "x.conf");
		CHECK(uwg_conf_parser_line(&p, "[Interface]", 11));
		CHECK(!uwg_conf_parser_line(&p, "Bogus = 1", 9));
		CHECK(!uwg_conf_parser_line(&p, "ListenPort = 1", 14));
		CHECK(!uwg_conf_parser_finish(&p));
		CHECK(!strcmp(p.err, "x.conf:2: Bogus: unknown key in [Interface] section"));
		uwg_conf_free(&c);
	}

	CHECK(uwg_conf_valid_ifname("wg0"));
	CHECK(uwg_conf_valid_ifname("a_b=c+d.e-f1234"));
	CHECK(!uwg_conf_valid_ifname("abcdefghijklmnop"));
	CHECK(!uwg_conf_valid_ifname("wg/0"));
	CHECK(!uwg_conf_valid_ifname(""));
}

/* "test/unit/cli/test_config.c" -> "test/fuzz/corpus/fuzz_config". */
static bool corpus_dir(char *buf, size_t len)
{
	const char *src = getenv("UWG_SRC_DIR");
	const char *slash;

	if (src) {
		snprintf(buf, len, "%s/test/fuzz/corpus/fuzz_config", src);
		return true;
	}
	slash = strstr(__FILE__, "unit/cli/test_config.c");
	if (!slash)
		return false;
	snprintf(buf, len, "%.*sfuzz/corpus/fuzz_config", (int)(slash - __FILE__), __FILE__);
	return true;
}

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf;

	if (!f)
		return NULL;
	buf = calloc(1, 65536);
	*len = buf ? fread(buf, 1, 65535, f) : 0;
	fclose(f);
	return buf;
}

static void test_bad_configs(void)
{
	char dir[4096];
	DIR *d;
	struct dirent *e;
	unsigned count = 0;

	CHECK(corpus_dir(dir, sizeof(dir)));
	d = opendir(dir);
	CHECK(d != NULL);
	if (!d)
		return;
	while ((e = readdir(d))) {
		char path[8192], want[UWG_CONF_ERR_LEN + 16], err[UWG_CONF_ERR_LEN];
		struct uwg_conf c;
		size_t len;
		char *text, *nl;

		if (strncmp(e->d_name, "bad-", 4))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		text = slurp(path, &len);
		CHECK(text != NULL);
		if (!text)
			continue;
		/* First line: "# expect: :LINE: ..." (the part after the file name). */
		nl = strchr(text, '\n');
		CHECK(!strncmp(text, "# expect: ", 10) && nl);
		if (nl) {
			snprintf(want, sizeof(want), "wg0.conf%.*s", (int)(nl - text - 10), text + 10);
			uwg_conf_init(&c);
			CHECK_EQ_INT(uwg_conf_parse(&c, "wg0.conf", text, len, err, sizeof(err)), -22);
			if (strcmp(err, want))
				fprintf(stderr, "FAIL %s\n  got  %s\n  want %s\n", e->d_name, err, want);
			CHECK(!strcmp(err, want));
			CHECK(!strchr(err, '\n'));
			uwg_conf_free(&c);
			count++;
		}
		free(text);
	}
	closedir(d);
	CHECK(count >= 20);
}

static void test_prefixes(void)
{
	struct uwg_ip_prefix a, b;

	CHECK(uwg_ip_prefix_parse(&a, "10.1.2.3/8", false));
	uwg_ip_prefix_mask(&a);
	CHECK(prefix_is(&a, "10.0.0.0/8"));
	CHECK(uwg_ip_prefix_parse(&a, "2001:db8:1000:cafe:0:ffff::1/80", false));
	uwg_ip_prefix_mask(&a);
	CHECK(prefix_is(&a, "2001:db8:1000:cafe::/80"));
	CHECK(uwg_ip_prefix_parse(&b, "2001:db8:1000:cafe::2/128", false));
	CHECK(uwg_ip_prefix_contains(&a, &b));
	CHECK(!uwg_ip_prefix_contains(&b, &a));
	CHECK(uwg_ip_prefix_parse(&b, "2001:db8:1000:caff::2/128", false));
	CHECK(!uwg_ip_prefix_contains(&a, &b));
	CHECK(uwg_ip_prefix_parse(&a, "0.0.0.0/0", false));
	CHECK(uwg_ip_prefix_parse(&b, "203.0.114.7/32", false));
	CHECK(uwg_ip_prefix_contains(&a, &b));
	CHECK(!uwg_ip_prefix_parse(&a, "10.0.0.1", false));
	CHECK(uwg_ip_prefix_parse(&a, "10.0.0.1", true));
	CHECK_EQ_INT(a.len, 32);
	CHECK(!uwg_ip_prefix_parse(&a, "10.0.0.1/", true));
	CHECK(!uwg_ip_prefix_parse(&a, "10.0.0.1/+8", true));
	CHECK(!uwg_ip_prefix_parse(&a, " 10.0.0.1/8", true));
	CHECK(!uwg_ip_prefix_parse(&a, "1.2.3/8", true));
	CHECK(!uwg_ip_prefix_parse(&a, "::/129", true));
}

static const char get_reply[] =
	"private_key=" PRIV_HEX "\n"
	"listen_port=51820\n"
	"fwmark=51820\n"
	"public_key=" P2_HEX "\n"
	"preshared_key=0000000000000000000000000000000000000000000000000000000000000000\n"
	"protocol_version=1\n"
	"endpoint=203.0.114.9:51820\n"
	"last_handshake_time_sec=1000\n"
	"last_handshake_time_nsec=5\n"
	"tx_bytes=4669\n"
	"rx_bytes=1260\n"
	"persistent_keepalive_interval=0\n"
	"allowed_ip=10.100.0.2/32\n"
	"allowed_ip=fd00::2/128\n"
	"public_key=" P3_HEX "\n"
	"preshared_key=" PSK_HEX "\n"
	"protocol_version=1\n"
	"endpoint=[2001:db8::9]:443\n"
	"last_handshake_time_sec=1100\n"
	"last_handshake_time_nsec=0\n"
	"tx_bytes=3221225472\n"
	"rx_bytes=524288\n"
	"persistent_keepalive_interval=25\n"
	"own_public_key=ignored\n"
	"public_key=" PUB_OF_PRIV_HEX "\n"
	"preshared_key=0000000000000000000000000000000000000000000000000000000000000000\n"
	"protocol_version=1\n"
	"last_handshake_time_sec=0\n"
	"last_handshake_time_nsec=0\n"
	"tx_bytes=0\n"
	"rx_bytes=0\n"
	"persistent_keepalive_interval=3725\n"
	"errno=0\n"
	"\n";

/* `wg show wg0` of the reply above at now = 1165 (peers sorted by latest handshake). */
static const char pretty_plain[] =
	"interface: wg0\n"
	"  public key: " PUB_OF_PRIV "\n"
	"  private key: (hidden)\n"
	"  listening port: 51820\n"
	"  fwmark: 0xca6c\n"
	"\n"
	"peer: " P3_B64 "\n"
	"  preshared key: (hidden)\n"
	"  endpoint: [2001:db8::9]:443\n"
	"  allowed ips: (none)\n"
	"  latest handshake: 1 minute, 5 seconds ago\n"
	"  transfer: 512.00 KiB received, 3.00 GiB sent\n"
	"  persistent keepalive: every 25 seconds\n"
	"\n"
	"peer: " P2_B64 "\n"
	"  endpoint: 203.0.114.9:51820\n"
	"  allowed ips: 10.100.0.2/32, fd00::2/128\n"
	"  latest handshake: 2 minutes, 45 seconds ago\n"
	"  transfer: 1.23 KiB received, 4.56 KiB sent\n"
	"\n"
	"peer: " PUB_OF_PRIV "\n"
	"  allowed ips: (none)\n"
	"  persistent keepalive: every 1 hour, 2 minutes, 5 seconds\n";

static const char dump_want[] =
	PRIV_B64 "\t" PUB_OF_PRIV "\t51820\t0xca6c\n"
	P2_B64 "\t(none)\t203.0.114.9:51820\t10.100.0.2/32,fd00::2/128\t1000\t1260\t4669\toff\n"
	P3_B64 "\t" PSK_B64 "\t[2001:db8::9]:443\t(none)\t1100\t524288\t3221225472\t25\n"
	PUB_OF_PRIV "\t(none)\t(none)\t(none)\t0\t0\t0\t3725\n";

static const char showconf_want[] =
	"[Interface]\n"
	"ListenPort = 51820\n"
	"FwMark = 0xca6c\n"
	"PrivateKey = " PRIV_B64 "\n"
	"\n"
	"[Peer]\n"
	"PublicKey = " P2_B64 "\n"
	"AllowedIPs = 10.100.0.2/32, fd00::2/128\n"
	"Endpoint = 203.0.114.9:51820\n"
	"\n"
	"[Peer]\n"
	"PublicKey = " P3_B64 "\n"
	"PresharedKey = " PSK_B64 "\n"
	"Endpoint = [2001:db8::9]:443\n"
	"PersistentKeepalive = 25\n"
	"\n"
	"[Peer]\n"
	"PublicKey = " PUB_OF_PRIV "\n"
	"PersistentKeepalive = 3725\n";

static char *capture(void (*fn)(FILE *, void *), void *arg)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		return NULL;
	fn(f, arg);
	fclose(f);
	return buf;
}

static void do_pretty(FILE *f, void *arg)
{
	uwg_cmd_show_pretty(f, "wg0", arg, false, 1165);
}

static void do_pretty_color(FILE *f, void *arg)
{
	uwg_cmd_show_pretty(f, "wg0", arg, true, 1165);
}

static void do_dump(FILE *f, void *arg)
{
	uwg_cmd_show_field(f, "wg0", arg, "dump", false);
}

static void do_endpoints_all(FILE *f, void *arg)
{
	uwg_cmd_show_field(f, "wg0", arg, "endpoints", true);
}

static void do_showconf(FILE *f, void *arg)
{
	uwg_cmd_showconf_write(f, arg, false);
}

static bool same(const char *got, const char *want)
{
	if (got && !strcmp(got, want))
		return true;
	fprintf(stderr, "--- got\n%s--- want\n%s---\n", got ? got : "(null)", want);
	return false;
}

static void test_uapi_and_show(void)
{
	struct uwg_conf dev;
	char *out;

	uwg_conf_init(&dev);
	CHECK_EQ_INT(uwg_uapi_client_parse_get(&dev, get_reply, strlen(get_reply)), 0);
	CHECK_EQ_INT(dev.n_peers, 3);
	if (dev.n_peers != 3) {
		uwg_conf_free(&dev);
		return;
	}
	CHECK(dev.flags & UWG_DEV_HAS_PUBLIC_KEY);
	CHECK_EQ_U64(dev.peers[1].tx_bytes, 3221225472ULL);
	/* The non-standard key is ignored, a missing errno or blank line is not. */
	{
		struct uwg_conf bad;

		uwg_conf_init(&bad);
		CHECK(uwg_uapi_client_parse_get(&bad, "errno=0\n", 8) < 0);
		CHECK(uwg_uapi_client_parse_get(&bad, "listen_port=1\n\n", 15) < 0);
		CHECK(uwg_uapi_client_parse_get(&bad, "listen_port=70000\nerrno=0\n\n", 27) < 0);
		CHECK_EQ_INT(uwg_uapi_client_parse_get(&bad, "errno=-22\n\n", 11), -22);
		CHECK(uwg_uapi_client_parse_get(&bad, "errno=22\n\n", 10) < 0);
		uwg_conf_free(&bad);
	}

	/* Unsorted forms first: dump and field outputs keep the daemon's order. */
	out = capture(do_dump, &dev);
	CHECK(same(out, dump_want));
	free(out);
	out = capture(do_endpoints_all, &dev);
	CHECK(same(out, "wg0\t" P2_B64 "\t203.0.114.9:51820\nwg0\t" P3_B64
		   "\t[2001:db8::9]:443\nwg0\t" PUB_OF_PRIV "\t(none)\n"));
	free(out);
	out = capture(do_showconf, &dev);
	CHECK(same(out, showconf_want));
	free(out);
	out = capture(do_pretty_color, &dev);
	CHECK(out && strstr(out, "\x1b[32m\x1b[1minterface\x1b[0m: \x1b[32mwg0\x1b[0m\n"));
	CHECK(out && strstr(out, "1 \x1b[36mminute\x1b[0m, 5 \x1b[36mseconds\x1b[0m ago"));
	CHECK(out && strstr(out, "10.100.0.2\x1b[36m/\x1b[0m32, fd00::2\x1b[36m/\x1b[0m128\n"));
	free(out);
	out = capture(do_pretty, &dev);
	CHECK(same(out, pretty_plain));
	free(out);
	uwg_conf_free(&dev);
}

static unsigned test_ifindex(void *ctx, const char *name)
{
	(void)ctx;
	return strcmp(name, "lo") ? 0 : 7;
}

static void test_set_text(void)
{
	struct uwg_conf c;
	char err[UWG_CONF_ERR_LEN], *text;
	size_t len = 0;
	static const char want[] =
		"set=1\n"
		"private_key=" PRIV_HEX "\n"
		"listen_port=51820\n"
		"fwmark=0\n"
		"public_key=" P2_HEX "\n"
		"preshared_key=" PSK_HEX "\n"
		"endpoint=[2001:db8::9]:443\n"
		"persistent_keepalive_interval=25\n"
		"replace_allowed_ips=true\n"
		"allowed_ip=10.100.0.2/32\n"
		"allowed_ip=fd00::/64\n"
		"\n";

	CHECK_EQ_INT(parse(&c, "[Interface]\nPrivateKey=" PRIV_B64 "\nListenPort=51820\n"
			   "FwMark=off\n[Peer]\nPublicKey=" P2_B64 "\nPresharedKey=" PSK_B64
			   "\nEndpoint=[2001:db8::9]:443\nPersistentKeepalive=25\n"
			   "AllowedIPs=10.100.0.2/32,fd00::/64\n", err), 0);
	CHECK_EQ_INT(uwg_conf_resolve_endpoints(&c, "wg0.conf", err, sizeof(err)), 0);
	text = uwg_uapi_client_format_set(&c, &len);
	CHECK(same(text, want));
	CHECK_EQ_INT(len, strlen(want));
	free(text);

	/* `uwg set` allowed-ips: +/- entries do not replace; a plain entry does. */
	{
		struct uwg_conf_peer *p = uwg_conf_add_peer(&c);
		char why[256];

		CHECK(p != NULL);
		if (p) {
			CHECK(uwg_conf_parse_allowed_ips(p, "+10.9.0.0/16,-10.8.0.1/32", true, why,
							 sizeof(why)));
			CHECK(!(p->flags & UWG_PEER_REPLACE_ALLOWED_IPS));
			CHECK_EQ_INT(p->n_aips, 2);
			CHECK(p->n_aips == 2 && !p->aips[0].remove && p->aips[1].remove);
			CHECK(!uwg_conf_parse_allowed_ips(p, "-10.8.0.1/32", false, why, sizeof(why)));
		}
	}
	uwg_conf_free(&c);

	/* Numeric endpoints as UAPI carries them. */
	{
		struct sockaddr_storage ss;
		char buf[128];

		CHECK(uwg_text_endpoint("[fe80::1%1]:51820", &ss, NULL, NULL));
		CHECK(((struct sockaddr_in6 *)&ss)->sin6_scope_id == 1);
		CHECK(!uwg_text_endpoint("[fe80::1%lo]:51820", &ss, NULL, NULL));
		CHECK(uwg_text_endpoint("[fe80::1%lo]:51820", &ss, test_ifindex, NULL));
		CHECK(((struct sockaddr_in6 *)&ss)->sin6_scope_id == 7);
		CHECK(!uwg_text_endpoint("[fe80::1%]:51820", &ss, test_ifindex, NULL));
		CHECK(uwg_text_endpoint("[2001:db8::1]:0", &ss, NULL, NULL));
		uwg_conf_format_endpoint(&ss, buf, sizeof(buf));
		CHECK(!strcmp(buf, "[2001:db8::1]:0"));
		CHECK(uwg_text_endpoint("203.0.114.1:1", &ss, NULL, NULL));
		uwg_conf_format_endpoint(&ss, buf, sizeof(buf));
		CHECK(!strcmp(buf, "203.0.114.1:1"));
		CHECK(!uwg_text_endpoint("localhost:51820", &ss, NULL, NULL));
		CHECK(!uwg_text_endpoint("203.0.114.1", &ss, NULL, NULL));
		CHECK(!uwg_text_endpoint("203.0.114.1:65536", &ss, NULL, NULL));
		CHECK(!uwg_text_endpoint("203.0.114.1:+1", &ss, NULL, NULL));
		CHECK(!uwg_text_endpoint("[2001:db8::1]51820", &ss, NULL, NULL));
		CHECK(!uwg_text_endpoint("[203.0.114.1]:1", &ss, NULL, NULL));
	}
	/* The one decimal parser: bounds below ten too, no overflow. */
	{
		uint64_t v;

		CHECK(!uwg_text_decimal("5", 1, 3, &v));
		CHECK(uwg_text_decimal("3", 1, 3, &v) && v == 3);
		CHECK(uwg_text_decimal("18446744073709551615", 20, UINT64_MAX, &v) && v == UINT64_MAX);
		CHECK(!uwg_text_decimal("18446744073709551616", 20, UINT64_MAX, &v));
		CHECK(!uwg_text_decimal("", 0, 9, &v));
	}
}

int main(void)
{
	if (uwg_crypto_init() < 0)
		return 1;
	test_full_config();
	test_small_cases();
	test_bad_configs();
	test_prefixes();
	test_uapi_and_show();
	test_set_text();
	return harness_report("test_config");
}
