/*
 * test/unit/cli/daemon/test_nat_conf.c - the NAT's configuration path: cli/uapi/nat_conf.c's
 * [Interface] key parsers (every key, good and bad values), the checks
 * `uwg up` makes (duplicates, tunnel network, ListenPort, ephemeral range,
 * pool, a port a socket of this test holds), the nat_* UAPI lines
 * (format_set parsed back line by line gives the same settings, strict
 * value parsing), and cli/daemon/uapi.c's extension hooks on a real in-memory
 * device: unknown device keys reach ext_set, ext_end decides the reply's
 * errno, a failed line reaches ext_end as the error, "nat=1" streams
 * ext_emit's lines over several chunks, and without the hooks "nat=1" closes
 * the connection and nat_* keys are -EINVAL. Single-threaded.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cli/uapi/nat_conf.h"
#include "cli/daemon/uapi.h"
#include "core/wg.h"
#include "test/harness.h"
#include "tun/steer.h"

static bool key(struct uwg_nat_settings *s, const char *k, const char *v)
{
	char why[256];

	return uwg_nat_conf_key(s, uwg_nat_conf_canonical(k), v, 7, why, sizeof(why));
}

static void test_config_keys(void)
{
	struct uwg_nat_settings s = { 0 };
	char why[256];

	CHECK(uwg_nat_conf_canonical("portforward") != NULL);
	CHECK(!strcmp(uwg_nat_conf_canonical("MASQUERADE"), "Masquerade"));
	CHECK(!strcmp(uwg_nat_conf_canonical("natexternalinterface"), "NATExternalInterface"));
	CHECK(uwg_nat_conf_canonical("Address") == NULL);
	CHECK(!s.enable);

	CHECK(key(&s, "Masquerade", "on"));
	CHECK(s.enable && s.masquerade && s.has_masquerade && s.line_masq == 7);
	CHECK(key(&s, "Masquerade", "OFF"));
	CHECK(!s.enable && !s.masquerade);
	CHECK(!key(&s, "Masquerade", "1"));

	CHECK(key(&s, "PortForward", "tcp 8080 -> 10.100.0.2:80"));
	CHECK(s.enable);
	CHECK_EQ_U64(s.n_fwd, 1);
	CHECK_EQ_U64(s.fwd[0].proto, IPPROTO_TCP);
	CHECK_EQ_U64(s.fwd[0].ext_port, 8080);
	CHECK_EQ_U64(s.fwd[0].addr, 0x0a640002u);
	CHECK_EQ_U64(s.fwd[0].port, 80);
	CHECK_EQ_U64(s.fwd[0].line, 7);
	CHECK(key(&s, "PortForward", "UDP 5000->10.100.0.3"));
	CHECK_EQ_U64(s.fwd[1].proto, IPPROTO_UDP);
	CHECK_EQ_U64(s.fwd[1].port, 5000);
	CHECK(key(&s, "PortForward", "  udp   6000   ->   10.100.0.3:6001  "));
	CHECK_EQ_U64(s.fwd[2].port, 6001);
	CHECK(!uwg_nat_conf_key(&s, "PortForward", "icmp 1 -> 10.100.0.2:1", 1, why, sizeof(why)));
	CHECK(strstr(why, "\"icmp\" is not a protocol") != NULL);
	CHECK(!key(&s, "PortForward", "tcp 8080 10.100.0.2:80"));
	CHECK(!key(&s, "PortForward", "tcp 65536 -> 10.100.0.2:80"));
	CHECK(!key(&s, "PortForward", "tcp 80 -> 10.100.0.2:0"));
	CHECK(!key(&s, "PortForward", "tcp 80 -> 224.0.0.1:80"));
	CHECK(!key(&s, "PortForward", "tcp 80 -> 127.0.0.1:80"));
	CHECK(!key(&s, "PortForward", "tcp 80 -> 10.100.0.2:8a"));
	CHECK(!key(&s, "PortForward", "tcp -> 10.100.0.2:80"));
	CHECK_EQ_U64(s.n_fwd, 3);

	CHECK(key(&s, "MasqueradePorts", "61440-62463"));
	CHECK_EQ_U64(s.pool_lo, 61440);
	CHECK_EQ_U64(s.pool_hi, 62463);
	CHECK(!key(&s, "MasqueradePorts", "1000-2000"));  /* below 1024 */
	CHECK(!key(&s, "MasqueradePorts", "2000-1999"));
	CHECK(!key(&s, "MasqueradePorts", "10000-30000")); /* more than 16384 */
	CHECK(!key(&s, "MasqueradePorts", "61440"));

	CHECK(key(&s, "NATExternalInterface", "eth0"));
	CHECK(!strcmp(s.ext_if, "eth0") && s.has_ext_if);
	CHECK(key(&s, "NATExternalInterface", "auto"));
	CHECK(s.ext_if[0] == '\0' && s.has_ext_if);
	CHECK(!key(&s, "NATExternalInterface", "sixteen-chars-xx"));
	CHECK(!key(&s, "NATExternalInterface", "a:b"));

	CHECK(key(&s, "NATExternalAddress", "203.0.113.7"));
	CHECK_EQ_U64(s.ext_addr, 0xcb007107u);
	CHECK(key(&s, "NATExternalAddress", "AUTO"));
	CHECK_EQ_U64(s.ext_addr, 0);
	CHECK(!key(&s, "NATExternalAddress", "0.0.0.0"));
	CHECK(!key(&s, "NATExternalAddress", "255.255.255.255"));
	CHECK(!key(&s, "NATExternalAddress", "2001:db8::1"));

	/* SaveConfig writes what was written (auto stays auto). */
	{
		char buf[1024] = "";
		FILE *f = fmemopen(buf, sizeof(buf), "w");

		uwg_nat_conf_write(f, &s);
		fclose(f);
		CHECK(strstr(buf, "NATExternalInterface = auto\n") != NULL);
		CHECK(strstr(buf, "NATExternalAddress = auto\n") != NULL);
		CHECK(strstr(buf, "Masquerade = off\n") != NULL);
		CHECK(strstr(buf, "MasqueradePorts = 61440-62463\n") != NULL);
		CHECK(strstr(buf, "PortForward = tcp 8080 -> 10.100.0.2:80\n") != NULL);
		CHECK(strstr(buf, "PortForward = udp 5000 -> 10.100.0.3:5000\n") != NULL);
	}
	uwg_nat_settings_free(&s);
	CHECK(!s.enable && !s.fwd && !s.n_fwd);
}

/* A port outside the ephemeral range that this test can bind right now. */
static uint16_t free_port(int type)
{
	uint16_t elo = 32768, ehi = 60999;

	uwg_steer_ephemeral_range(&elo, &ehi);
	for (uint32_t p = 20000; p < 32000; p += 7) {
		if ((p >= elo && p <= ehi) || uwg_steer_port_in_use(type == SOCK_STREAM ?
								    IPPROTO_TCP : IPPROTO_UDP,
								    0, (uint16_t)p) != 0)
			continue;
		return (uint16_t)p;
	}
	return 0;
}

static void add_fwd(struct uwg_nat_settings *s, const char *line)
{
	CHECK(key(s, "PortForward", line));
}

static void test_checks(void)
{
	struct uwg_nat_settings s = { 0 };
	char err[512], line[128];
	uint16_t port = free_port(SOCK_STREAM), elo = 32768, ehi = 60999;
	struct sockaddr_in sin = { .sin_family = AF_INET };
	int fd;

	uwg_steer_ephemeral_range(&elo, &ehi);
	CHECK(port != 0);
	CHECK_EQ_INT(uwg_nat_conf_check(&s, 51820, NULL, "f.conf", err, sizeof(err)), 0); /* off */

	uwg_nat_conf_set_inside(&s, 0x0a640001u, 24);
	snprintf(line, sizeof(line), "tcp %u -> 10.100.0.2:80", port);
	add_fwd(&s, line);
	CHECK_EQ_INT(uwg_nat_conf_check(&s, 51820, NULL, "f.conf", err, sizeof(err)), 0);

	/* A socket of ours on the port: refused with the line. */
	fd = socket(AF_INET, SOCK_STREAM, 0);
	sin.sin_port = htons(port);
	CHECK(fd >= 0 && bind(fd, (struct sockaddr *)&sin, sizeof(sin)) == 0);
	CHECK_EQ_INT(uwg_nat_conf_check(&s, 51820, NULL, "f.conf", err, sizeof(err)), -EADDRINUSE);
	snprintf(line, sizeof(line), "f.conf:7: PortForward: a host socket is bound to tcp port %u",
		 port);
	CHECK(!strncmp(err, line, strlen(line)));
	close(fd);
	CHECK_EQ_INT(uwg_nat_conf_check(&s, 51820, NULL, "f.conf", err, sizeof(err)), 0);

	/* Same target twice, same external port twice. */
	snprintf(line, sizeof(line), "tcp %u -> 10.100.0.2:80", port + 1);
	add_fwd(&s, line);
	CHECK_EQ_INT(uwg_nat_conf_check(&s, 51820, NULL, "f.conf", err, sizeof(err)), -EEXIST);
	CHECK(strstr(err, "is already the target of line 7") != NULL);
	s.n_fwd--;
	snprintf(line, sizeof(line), "tcp %u -> 10.100.0.3:80", port);
	add_fwd(&s, line);
	CHECK_EQ_INT(uwg_nat_conf_check(&s, 51820, NULL, "f.conf", err, sizeof(err)), -EEXIST);
	CHECK(strstr(err, "is already forwarded (line 7)") != NULL);
	s.n_fwd--;
	/* The same port over the other protocol is a different forward. */
	snprintf(line, sizeof(line), "udp %u -> 10.100.0.3:80", port);
	add_fwd(&s, line);
	CHECK_EQ_INT(uwg_nat_conf_check(&s, 51820, NULL, "f.conf", err, sizeof(err)),
		     uwg_steer_port_in_use(IPPROTO_UDP, 0, port) ? -EADDRINUSE : 0);
	s.n_fwd--;

	/* Outside the tunnel network, or the server itself; /0 takes anything but itself. */
	add_fwd(&s, "tcp 2000 -> 10.101.0.2:80");
	CHECK_EQ_INT(uwg_nat_conf_check(&s, 51820, NULL, "f.conf", err, sizeof(err)), -EINVAL);
	CHECK(strstr(err, "is not inside the tunnel network 10.100.0.0/24") != NULL);
	s.n_fwd--;
	add_fwd(&s, "tcp 2000 -> 10.100.0.1:80");
	CHECK_EQ_INT(uwg_nat_conf_check(&s, 51820, NULL, "f.conf", err, sizeof(err)), -EINVAL);
	CHECK(strstr(err, "own tunnel address") != NULL);
	s.n_fwd--;

	/* UDP on the ListenPort; TCP on it is fine as far as the listen port goes. */
	add_fwd(&s, "udp 1999 -> 10.100.0.2:80");
	CHECK_EQ_INT(uwg_nat_conf_check(&s, 1999, NULL, "f.conf", err, sizeof(err)), -EADDRINUSE);
	CHECK(strstr(err, "udp port 1999 is the WireGuard ListenPort") != NULL);
	s.n_fwd--;

	/* Ephemeral range and pool. */
	snprintf(line, sizeof(line), "tcp %u -> 10.100.0.2:81", elo);
	add_fwd(&s, line);
	CHECK_EQ_INT(uwg_nat_conf_check(&s, 51820, NULL, "f.conf", err, sizeof(err)), -ERANGE);
	CHECK(strstr(err, "lies in the ephemeral port range") != NULL);
	s.n_fwd--;
	add_fwd(&s, "tcp 61441 -> 10.100.0.2:82");
	CHECK_EQ_INT(uwg_nat_conf_check(&s, 51820, NULL, "f.conf", err, sizeof(err)), -ERANGE);
	CHECK(strstr(err, "lies in the masquerade pool 61440-61951") != NULL);
	s.n_fwd--;
	CHECK(key(&s, "Masquerade", "on"));
	CHECK(key(&s, "MasqueradePorts", "40000-40511"));
	if (elo <= 40000 && ehi >= 40511) {
		CHECK_EQ_INT(uwg_nat_conf_check(&s, 51820, NULL, "f.conf", err, sizeof(err)), -ERANGE);
		CHECK(!strncmp(err, "f.conf:7: MasqueradePorts: the masquerade pool 40000-40511 "
			       "overlaps the ephemeral port range", 87));
	}
	uwg_nat_settings_free(&s);
}

/* format_set, parsed back with the daemon's parser, gives the same settings. */
static void test_uapi_round_trip(void)
{
	struct uwg_nat_settings s = { 0 }, back = { 0 };
	size_t len;
	char *text, *line, *save = NULL;
	bool first = true;

	CHECK(key(&s, "Masquerade", "on"));
	CHECK(key(&s, "MasqueradePorts", "61440-61951"));
	CHECK(key(&s, "NATExternalInterface", "wan0"));
	CHECK(key(&s, "NATExternalAddress", "198.51.100.9"));
	add_fwd(&s, "tcp 443 -> 10.100.0.2:8443");
	add_fwd(&s, "udp 3478 -> 10.100.0.3");
	uwg_nat_conf_set_inside(&s, 0x0a640001u, 24);
	text = uwg_nat_conf_format_set(&s, &len);
	CHECK(text != NULL);
	CHECK_EQ_U64(len, strlen(text));
	CHECK(!strncmp(text, "set=1\nnat_enable=true\n", 22));
	CHECK(strstr(text, "\nnat_forward=tcp:443:10.100.0.2:8443\n") != NULL);
	CHECK(strstr(text, "\nnat_forward=udp:3478:10.100.0.3:3478\n") != NULL);
	CHECK(strstr(text, "\nnat_inside=10.100.0.1/24\n") != NULL);
	CHECK(len >= 2 && !strcmp(text + len - 2, "\n\n"));
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *eq = strchr(line, '=');

		if (first) {
			CHECK(!strcmp(line, "set=1"));
			first = false;
			continue;
		}
		*eq = '\0';
		CHECK_EQ_INT(uwg_nat_conf_uapi_key(&back, line, eq + 1), 0);
	}
	free(text);
	CHECK(back.enable && back.masquerade);
	CHECK(!strcmp(back.ext_if, "wan0"));
	CHECK_EQ_U64(back.ext_addr, 0xc6336409u);
	CHECK_EQ_U64(back.pool_lo, 61440);
	CHECK_EQ_U64(back.pool_hi, 61951);
	CHECK(back.has_inside && back.inside_addr == 0x0a640001u && back.inside_len == 24);
	CHECK_EQ_U64(back.n_fwd, 2);
	CHECK(back.n_fwd == 2 && back.fwd[1].proto == IPPROTO_UDP && back.fwd[1].port == 3478);

	/* Strict values: exact case, no spaces, canonical numbers. */
	CHECK_EQ_INT(uwg_nat_conf_uapi_key(&back, "nat_enable", "yes"), -EINVAL);
	CHECK_EQ_INT(uwg_nat_conf_uapi_key(&back, "nat_masquerade", "on"), -EINVAL);
	CHECK_EQ_INT(uwg_nat_conf_uapi_key(&back, "nat_forward", "TCP:1:10.0.0.2:1"), -EINVAL);
	CHECK_EQ_INT(uwg_nat_conf_uapi_key(&back, "nat_forward", "tcp:1:10.0.0.2"), -EINVAL);
	CHECK_EQ_INT(uwg_nat_conf_uapi_key(&back, "nat_forward", "tcp:1:10.0.0.2:1:2"), -EINVAL);
	CHECK_EQ_INT(uwg_nat_conf_uapi_key(&back, "nat_forward", "tcp: 1:10.0.0.2:1"), -EINVAL);
	CHECK_EQ_INT(uwg_nat_conf_uapi_key(&back, "nat_inside", "10.0.0.1/33"), -EINVAL);
	CHECK_EQ_INT(uwg_nat_conf_uapi_key(&back, "nat_inside", "10.0.0.1/08"), -EINVAL);
	CHECK_EQ_INT(uwg_nat_conf_uapi_key(&back, "nat_inside", "10.0.0.1/32"), 0);
	CHECK_EQ_U64(back.inside_len, 0); /* a /32 stands for any source */
	CHECK_EQ_INT(uwg_nat_conf_uapi_key(&back, "nat_external_interface", "a/b"), -EINVAL);
	CHECK_EQ_INT(uwg_nat_conf_uapi_key(&back, "nat_masquerade_ports", "61440-61439"), -EINVAL);
	CHECK_EQ_INT(uwg_nat_conf_uapi_key(&back, "nat_unknown", "1"), -EINVAL);

	/* One forward removed by protocol and external port, then all of them. */
	CHECK_EQ_INT(uwg_nat_conf_uapi_key(&back, "nat_forward", "-udp:3478:10.9.9.9:1"), 0);
	CHECK_EQ_U64(back.n_fwd, 1);
	CHECK(back.n_fwd == 1 && back.fwd[0].proto == IPPROTO_TCP);
	CHECK_EQ_INT(uwg_nat_conf_uapi_key(&back, "nat_forward", "-udp:3478:10.9.9.9:1"), 0);
	CHECK_EQ_U64(back.n_fwd, 1);
	CHECK_EQ_INT(uwg_nat_conf_uapi_key(&back, "nat_forward", "-tcp:x:10.9.9.9:1"), -EINVAL);
	CHECK_EQ_INT(uwg_nat_conf_uapi_key(&back, "nat_replace_forwards", "false"), -EINVAL);
	CHECK_EQ_INT(uwg_nat_conf_uapi_key(&back, "nat_replace_forwards", "true"), 0);
	CHECK_EQ_U64(back.n_fwd, 0);
	uwg_nat_settings_free(&back);

	/* Off is one line. */
	memset(&s.enable, 0, sizeof(s.enable));
	text = uwg_nat_conf_format_set(&s, &len);
	CHECK(text && !strcmp(text, "set=1\nnat_enable=false\n\n"));
	free(text);
	uwg_nat_settings_free(&s);
}

/* ---- cli/daemon/uapi.c's extension hooks ---- */

static struct uwg_pool pool;

static uint64_t op_now(void *ctx)
{
	(void)ctx;
	return 1000000000ull;
}

static void op_wall(void *ctx, struct timespec *ts)
{
	(void)ctx;
	ts->tv_sec = 1700000000;
	ts->tv_nsec = 0;
}

static void op_random(void *ctx, uint8_t *out, size_t len)
{
	(void)ctx;
	memset(out, 7, len);
}

static void op_put(void *ctx, struct uwg_pkt *pkt)
{
	(void)ctx;
	uwg_pool_put(&pool, pkt);
}

static void op_timer_arm(void *ctx, uint64_t deadline)
{
	(void)ctx;
	(void)deadline;
}

struct fake_ext {
	unsigned begins, sets, ends, emits;
	int last_end_err, end_result;
	char keys[512];
	size_t lines; /* lines ext_emit produces in all */
};

static void fx_begin(void *ctx)
{
	struct fake_ext *x = ctx;

	x->begins++;
	x->keys[0] = '\0';
}

static int fx_set(void *ctx, const char *k, const char *v)
{
	struct fake_ext *x = ctx;

	x->sets++;
	if (strncmp(k, "nat_", 4))
		return -EINVAL;
	strncat(x->keys, k, sizeof(x->keys) - strlen(x->keys) - 1);
	strncat(x->keys, "=", sizeof(x->keys) - strlen(x->keys) - 1);
	strncat(x->keys, v, sizeof(x->keys) - strlen(x->keys) - 1);
	strncat(x->keys, ";", sizeof(x->keys) - strlen(x->keys) - 1);
	return !strcmp(v, "bad") ? -ERANGE : 0;
}

static int fx_end(void *ctx, int err)
{
	struct fake_ext *x = ctx;

	x->ends++;
	x->last_end_err = err;
	return err ? err : x->end_result;
}

static bool fx_emit(void *ctx, size_t *cursor, char *buf, size_t cap, size_t *used)
{
	struct fake_ext *x = ctx;

	x->emits++;
	*used = 0;
	while (*cursor < x->lines) {
		int n = snprintf(buf + *used, cap - *used, "nat_line=%06zu\n", *cursor);

		if (n < 0 || (size_t)n >= cap - *used)
			return false;
		*used += (size_t)n;
		(*cursor)++;
	}
	return true;
}

/* Feeds a whole request and collects the reply (draining in rounds). */
static long run(struct uwg_uapi *s, const char *req, char *out, size_t cap)
{
	size_t off = 0, len = strlen(req), o = 0;

	out[0] = '\0';
	while (off < len || uwg_uapi_output(s, &(const uint8_t *){ NULL })) {
		const uint8_t *data;
		size_t n;
		long used = off < len ? uwg_uapi_feed(s, (const uint8_t *)req + off, len - off) : 0;

		if (used < 0)
			return used;
		off += (size_t)used;
		while ((n = uwg_uapi_output(s, &data)) > 0) {
			if (o + n < cap) {
				memcpy(out + o, data, n);
				o += n;
				out[o] = '\0';
			}
			uwg_uapi_consume(s, n);
		}
		if (!used && off < len)
			return -EAGAIN;
	}
	return (long)o;
}

static void test_uapi_hooks(void)
{
	static const struct uwg_wg_ops ops = { .now = op_now, .wall = op_wall, .random = op_random,
					       .udp_send = op_put, .tun_write = op_put,
					       .timer_arm = op_timer_arm };
	static struct uwg_uapi s;
	static char out[200000];
	struct fake_ext x = { 0 };
	struct uwg_uapi_io io = { 0 };
	struct uwg_wg *wg;
	long n;

	CHECK(uwg_pool_init(&pool, 16) == 0);
	wg = uwg_wg_new(&ops, &pool);
	CHECK(wg != NULL);

	/* Without hooks: nat_* is an unknown key, nat=1 an unknown operation. */
	uwg_uapi_init(&s, wg, &io);
	n = run(&s, "set=1\nnat_enable=true\n\n", out, sizeof(out));
	CHECK(n > 0 && !strcmp(out, "errno=-22\n\n"));
	CHECK(run(&s, "nat=1\n\n", out, sizeof(out)) < 0);
	uwg_uapi_clear(&s);

	io.ext_ctx = &x;
	io.ext_begin = fx_begin;
	io.ext_set = fx_set;
	io.ext_end = fx_end;
	io.ext_emit = fx_emit;
	uwg_uapi_init(&s, wg, &io);

	/* Unknown device keys reach ext_set in order; ext_end's result is the errno. */
	x.end_result = -ENODEV;
	n = run(&s, "set=1\nnat_enable=true\nnat_forward=tcp:1:10.0.0.2:1\n\n", out, sizeof(out));
	CHECK(n > 0 && !strcmp(out, "errno=-19\n\n"));
	CHECK_EQ_U64(x.begins, 1);
	CHECK_EQ_U64(x.sets, 2);
	CHECK_EQ_U64(x.ends, 1);
	CHECK_EQ_INT(x.last_end_err, 0);
	CHECK(!strcmp(x.keys, "nat_enable=true;nat_forward=tcp:1:10.0.0.2:1;"));
	x.end_result = 0;
	n = run(&s, "set=1\nnat_enable=false\n\n", out, sizeof(out));
	CHECK(n > 0 && !strcmp(out, "errno=0\n\n"));

	/* A failing line: the rest is skipped, ext_end sees the error and keeps it. */
	n = run(&s, "set=1\nnat_masquerade=bad\nnat_enable=true\n\n", out, sizeof(out));
	CHECK(n > 0 && !strcmp(out, "errno=-34\n\n"));
	CHECK_EQ_INT(x.last_end_err, -ERANGE);
	CHECK(!strcmp(x.keys, "nat_masquerade=bad;"));
	n = run(&s, "set=1\nbogus=1\n\n", out, sizeof(out));
	CHECK(n > 0 && !strcmp(out, "errno=-22\n\n"));
	CHECK_EQ_INT(x.last_end_err, -EINVAL);
	/* wg's own keys still work and a plain set still ends through ext_end. */
	x.ends = 0;
	n = run(&s, "set=1\nreplace_peers=true\n\n", out, sizeof(out));
	CHECK(n > 0 && !strcmp(out, "errno=0\n\n"));
	CHECK_EQ_U64(x.ends, 1);
	/* A device key after a peer section is not the extension's. */
	x.sets = 0;
	n = run(&s, "set=1\npublic_key=0101010101010101010101010101010101010101010101010101010101010101\n"
		    "nat_enable=true\n\n", out, sizeof(out));
	CHECK(n > 0 && !strcmp(out, "errno=-22\n\n"));
	CHECK_EQ_U64(x.sets, 0);

	/* nat=1: many lines over several 32 KiB chunks, in order, then errno=0. */
	x.lines = 5000;
	x.emits = 0;
	n = run(&s, "nat=1\n\n", out, sizeof(out));
	CHECK_EQ_INT(n, 5000 * 16 + 9);
	CHECK(!strncmp(out, "nat_line=000000\nnat_line=000001\n", 32));
	CHECK(n > 25 && !strcmp(out + n - 25, "nat_line=004999\nerrno=0\n\n"));
	CHECK(x.emits >= 3);
	/* A non-blank line after nat=1 is a bad request. */
	n = run(&s, "nat=1\nx=1\n\n", out, sizeof(out));
	CHECK(n > 0 && !strcmp(out, "errno=-22\n\n"));
	/* stats=1 is unaffected. */
	n = run(&s, "stats=1\n\n", out, sizeof(out));
	CHECK(n > 0 && strstr(out, "rx_bad_length=0\n") && !strstr(out, "nat_line"));

	uwg_uapi_clear(&s);
	uwg_wg_free(wg);
	uwg_pool_destroy(&pool);
}

int main(void)
{
	test_config_keys();
	test_checks();
	test_uapi_round_trip();
	test_uapi_hooks();
	return harness_report("test_nat_conf");
}
