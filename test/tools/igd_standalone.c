/*
 * test/tools/igd_standalone.c - runs uwg's IGD (igd/) on one interface with
 * a libuv loop and the in-memory map table (test/doubles/maptable.c) standing in for
 * uwg's NAT table, so real UPnP clients (upnpc, external-ip, BitTorrent
 * clients) can be tested against it without a WireGuard tunnel. Prints
 * "READY <description url>" once serving, one "MAP <event> ..." line per
 * table change (add/update/del/expire, the expiry timer runs every second),
 * "PINHOLE <event> ..." for the IPv6 pinholes of the same table (with -6,
 * the tunnel's IPv6 address: pinholes through UPnP and PCP, IPv6 SSDP),
 * "LOG ..." for the IGD's log lines, and final stats on SIGTERM/SIGINT or
 * when its lifetime (-T, a bound for tests) is over.
 *
 * Single-threaded; SSDP runs in a child process (this binary again, see
 * igd/ssdp.h), so READY is printed once that child is announcing.
 */
#include "igd/igd.h"
#include "test/doubles/maptable.h"
#include "igd/ssdp.h"

#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <uv.h>

struct app {
	uv_loop_t *loop;
	uv_timer_t expiry, lifetime, ready;
	uv_signal_t sigterm, sigint;
	struct uwg_igd *igd;
	struct uwg_igd_maptable table;
	struct uwg_igd_ops table_ops; /* the maptable's own callbacks */
};

static uint64_t clock_s(void *ctx)
{
	(void)ctx;
	return uv_hrtime() / 1000000000u;
}

static void print_pinhole(void *ctx, const char *what, const struct uwg_igd_pinhole *ph)
{
	char ip[INET6_ADDRSTRLEN], rip[INET6_ADDRSTRLEN];

	(void)ctx;
	inet_ntop(AF_INET6, &ph->int_client, ip, sizeof(ip));
	inet_ntop(AF_INET6, &ph->remote_host, rip, sizeof(rip));
	printf("PINHOLE %s id=%u %s [%s]:%u from [%s]:%u lease=%u desc='%s'\n", what, ph->id,
	       uwg_igd_proto_str(ph->proto), ip, ph->int_port, rip, ph->remote_port, ph->lease_s,
	       ph->desc);
}

static void print_map(void *ctx, const char *what, const struct uwg_igd_map *m)
{
	char ip[INET_ADDRSTRLEN];

	(void)ctx;
	inet_ntop(AF_INET, &m->int_client, ip, sizeof(ip));
	printf("MAP %s %s %u -> %s:%u lease=%u desc='%s'\n", what, uwg_igd_proto_str(m->proto),
	       m->ext_port, ip, m->int_port, m->lease_s, m->desc);
}

/* The ops the IGD gets: the table's, optionally slowed down. */
static int op_add(void *ctx, const struct uwg_igd_map *map, struct in_addr requester)
{
	struct app *app = ctx;

	return app->table_ops.add_map(&app->table, map, requester);
}

static int op_del(void *ctx, uint8_t proto, uint16_t port, struct in_addr requester)
{
	struct app *app = ctx;

	return app->table_ops.del_map(&app->table, proto, port, requester);
}

static int op_get(void *ctx, uint8_t proto, uint16_t port, struct uwg_igd_map *out)
{
	struct app *app = ctx;

	return app->table_ops.get_map(&app->table, proto, port, out);
}

static int op_index(void *ctx, uint32_t index, struct uwg_igd_map *out)
{
	struct app *app = ctx;

	return app->table_ops.get_map_by_index(&app->table, index, out);
}

static int op_ext_ip(void *ctx, struct in_addr *out)
{
	struct app *app = ctx;

	return app->table_ops.external_ip(&app->table, out);
}

static void op_counters(void *ctx, struct uwg_igd_counters *out)
{
	struct app *app = ctx;

	app->table_ops.counters(&app->table, out);
}

static int op_fw_status(void *ctx, bool *enabled, bool *inbound)
{
	struct app *app = ctx;

	return app->table_ops.fw_status(&app->table, enabled, inbound);
}

static int op_add_pinhole(void *ctx, const struct uwg_igd_pinhole *ph, struct in6_addr requester,
			  uint16_t *id)
{
	struct app *app = ctx;

	return app->table_ops.add_pinhole(&app->table, ph, requester, id);
}

static int op_update_pinhole(void *ctx, uint16_t id, uint32_t lease_s, struct in6_addr requester)
{
	struct app *app = ctx;

	return app->table_ops.update_pinhole(&app->table, id, lease_s, requester);
}

static int op_del_pinhole(void *ctx, uint16_t id, struct in6_addr requester)
{
	struct app *app = ctx;

	return app->table_ops.del_pinhole(&app->table, id, requester);
}

static int op_get_pinhole(void *ctx, uint16_t id, struct uwg_igd_pinhole *out)
{
	struct app *app = ctx;

	return app->table_ops.get_pinhole(&app->table, id, out);
}

static int op_find_pinhole(void *ctx, const struct uwg_igd_pinhole *key, struct in6_addr requester,
			   struct uwg_igd_pinhole *out)
{
	struct app *app = ctx;

	return app->table_ops.find_pinhole(&app->table, key, requester, out);
}

static void op_log(void *ctx, const char *msg)
{
	(void)ctx;
	printf("LOG %s\n", msg);
}

static void on_expiry(uv_timer_t *t)
{
	struct app *app = t->data;

	uwg_igd_maptable_expire(&app->table);
}

static void shutdown_app(struct app *app)
{
	struct uwg_igd_stats st;

	if (!app->igd)
		return;
	uwg_igd_get_stats(app->igd, &st);
	printf("STATS actions=%llu errors=%llu refused_source=%llu bad_requests=%llu "
	       "timeouts=%llu http_requests=%llu http_refused=%llu refused_host=%llu busy=%llu "
	       "ssdp_starts=%llu ssdp_crashes=%llu pinhole_actions=%llu http6_requests=%llu "
	       "pcp_pinholes=%llu\n",
	       (unsigned long long)st.actions, (unsigned long long)st.errors,
	       (unsigned long long)st.refused_source, (unsigned long long)st.bad_requests,
	       (unsigned long long)st.timeouts, (unsigned long long)st.http_requests,
	       (unsigned long long)st.http_refused, (unsigned long long)st.refused_host,
	       (unsigned long long)st.busy, (unsigned long long)st.ssdp_starts,
	       (unsigned long long)st.ssdp_crashes, (unsigned long long)st.pinhole_actions,
	       (unsigned long long)st.http6_requests, (unsigned long long)st.pcp_pinholes);
	uwg_igd_stop(app->igd);
	app->igd = NULL;
	uv_close((uv_handle_t *)&app->expiry, NULL);
	uv_close((uv_handle_t *)&app->lifetime, NULL);
	uv_close((uv_handle_t *)&app->ready, NULL);
	uv_close((uv_handle_t *)&app->sigterm, NULL);
	uv_close((uv_handle_t *)&app->sigint, NULL);
}

static void on_signal(uv_signal_t *s, int signum)
{
	(void)signum;
	shutdown_app(s->data);
}

static void on_lifetime(uv_timer_t *t)
{
	printf("LIFETIME over\n");
	shutdown_app(t->data);
}

/* READY once the SSDP child announces, so tests can search right away. */
static void on_ready_poll(uv_timer_t *t)
{
	struct app *app = t->data;
	/* static: gcc 12's -Wdangling-pointer misreads the local here (a false positive) */
	static struct uwg_igd_stats st;

	if (!app->igd)
		return;
	uwg_igd_get_stats(app->igd, &st);
	if (!st.ssdp_running)
		return;
	printf("READY %s filtered_sockets=%u", uwg_igd_desc_url(app->igd), st.filtered_sockets);
	if (st.http_ipv6)
		printf(" url6=%s ssdp6=%d", uwg_igd_desc_url6(app->igd), st.ssdp_ipv6);
	printf("\n");
	uv_timer_stop(t);
}

static void usage(void)
{
	fprintf(stderr,
		"usage: igd_standalone -i IFNAME -a TUNNEL_IP -e EXTERNAL_IP [options]\n"
		"  -p PORT        HTTP port (default: the first free from 49152)\n"
		"  -c CIDR        requesters allowed (default: the interface prefix)\n"
		"  -m N           maps per client (default 16, 0 = unlimited)\n"
		"  -r RULE        allow/deny rule, repeatable (\"allow 1024-65535 10.0.0.0/8 1-65535\")\n"
		"  -P             allow external ports below 1024\n"
		"  -z             lease 0 means the maximum (IGDv2) instead of permanent\n"
		"  -L SECONDS     maximum lease (default 604800)\n"
		"  -n N           table capacity (default 256)\n"
		"  -R LO-HI       external ports the table refuses with 729\n"
		"  -u UUID        device uuid (default random)\n"
		"  -S             show every client's maps, not just the requester's\n"
		"  -F             do not attach the socket filters\n"
		"  -6 ADDR        the tunnel's IPv6 address: pinholes, HTTP and SSDP over IPv6\n"
		"  -K             PCP (and NAT-PMP) on UDP 5351 too\n"
		"  -W             the IPv6 firewall off (GetFirewallStatus 0, pinholes 702)\n"
		"  -T SECONDS     stop by itself after SECONDS (default 600)\n");
	exit(2);
}

int main(int argc, char **argv)
{
	static struct app app; /* the table is large */
	struct uwg_igd_config cfg;
	struct uwg_igd_ops ops;
	const char *ifname = NULL;
	struct in_addr tun = { 0 };
	unsigned long port = 0, cap = 0, lifetime_s = 600;
	struct uwg_igd_rule rule;
	bool fw_off = false;
	int opt, err;

	if (argc > 1 && !strcmp(argv[1], UWG_IGD_SSDP_ARG))
		return uwg_igd_ssdp_main(argc, argv);
	setvbuf(stdout, NULL, _IOLBF, 0);
	uwg_igd_config_init(&cfg);
	while ((opt = getopt(argc, argv, "i:a:e:p:c:m:r:PzL:n:R:u:SFT:6:KW")) != -1) {
		switch (opt) {
		case 'i':
			ifname = optarg;
			break;
		case 'a':
			if (inet_pton(AF_INET, optarg, &tun) != 1)
				usage();
			break;
		case 'e':
			if (inet_pton(AF_INET, optarg, &app.table.ext_ip) != 1)
				usage();
			break;
		case 'p':
			port = strtoul(optarg, NULL, 10);
			break;
		case 'c':
			if (uwg_igd_cidr_parse(optarg, &cfg.policy.allow_net_h,
					       &cfg.policy.allow_mask_h))
				usage();
			break;
		case 'm':
			cfg.policy.max_per_client = (unsigned)strtoul(optarg, NULL, 10);
			break;
		case 'r':
			if (uwg_igd_rule_parse(&rule, optarg) ||
			    uwg_igd_policy_add_rule(&cfg.policy, &rule)) {
				fprintf(stderr, "bad rule: %s\n", optarg);
				return 2;
			}
			break;
		case 'P':
			cfg.policy.allow_privileged = true;
			break;
		case 'z':
			cfg.policy.zero_lease_is_max = true;
			break;
		case 'L':
			cfg.policy.max_lease_s = (uint32_t)strtoul(optarg, NULL, 10);
			break;
		case 'n':
			cap = strtoul(optarg, NULL, 10);
			break;
		case 'R':
			if (sscanf(optarg, "%hu-%hu", &app.table.reserved_lo, &app.table.reserved_hi) !=
			    2)
				usage();
			break;
		case 'u':
			cfg.uuid = optarg;
			break;
		case 'S':
			cfg.show_all_maps = true;
			break;
		case 'F':
			cfg.no_socket_filter = true;
			break;
		case 'T':
			lifetime_s = strtoul(optarg, NULL, 10);
			break;
		case '6':
			if (inet_pton(AF_INET6, optarg, &cfg.tunnel_ip6) != 1)
				usage();
			break;
		case 'K':
			cfg.natpmp = cfg.pcp = true;
			break;
		case 'W':
			fw_off = true;
			break;
		default:
			usage();
		}
	}
	if (!ifname || !tun.s_addr || port > 65535)
		usage();

	{
		/* init clears the table struct; keep what the options set */
		struct in_addr ext = app.table.ext_ip;
		uint16_t lo = app.table.reserved_lo, hi = app.table.reserved_hi;

		uwg_igd_maptable_init(&app.table, cap, clock_s, NULL);
		app.table.ext_ip = ext;
		app.table.reserved_lo = lo;
		app.table.reserved_hi = hi;
	}
	app.table.changed = print_map;
	app.table.pinhole_changed = print_pinhole;
	app.table.fw_enabled = !fw_off;
	uwg_igd_maptable_ops(&app.table, &app.table_ops);
	memset(&ops, 0, sizeof(ops));
	ops.ctx = &app;
	ops.add_map = op_add;
	ops.del_map = op_del;
	ops.get_map = op_get;
	ops.get_map_by_index = op_index;
	ops.external_ip = op_ext_ip;
	ops.counters = op_counters;
	ops.fw_status = op_fw_status;
	ops.add_pinhole = op_add_pinhole;
	ops.update_pinhole = op_update_pinhole;
	ops.del_pinhole = op_del_pinhole;
	ops.get_pinhole = op_get_pinhole;
	ops.find_pinhole = op_find_pinhole;
	ops.log = op_log;

	app.loop = uv_default_loop();
	err = uwg_igd_start(&app.igd, app.loop, ifname, tun, (uint16_t)port, &cfg, &ops);
	if (err) {
		fprintf(stderr, "igd_standalone: uwg_igd_start: %s\n", strerror(-err));
		uv_run(app.loop, UV_RUN_DEFAULT);
		return 1;
	}
	uv_timer_init(app.loop, &app.expiry);
	app.expiry.data = &app;
	uv_timer_start(&app.expiry, on_expiry, 1000, 1000);
	uv_timer_init(app.loop, &app.lifetime);
	app.lifetime.data = &app;
	uv_timer_start(&app.lifetime, on_lifetime, (uint64_t)lifetime_s * 1000, 0);
	uv_signal_init(app.loop, &app.sigterm);
	uv_signal_init(app.loop, &app.sigint);
	app.sigterm.data = app.sigint.data = &app;
	uv_signal_start(&app.sigterm, on_signal, SIGTERM);
	uv_signal_start(&app.sigint, on_signal, SIGINT);
	uv_timer_init(app.loop, &app.ready);
	app.ready.data = &app;
	uv_timer_start(&app.ready, on_ready_poll, 20, 20);
	uv_run(app.loop, UV_RUN_DEFAULT);
	uv_loop_close(app.loop);
	printf("STOPPED\n");
	return 0;
}
