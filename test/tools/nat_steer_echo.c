/*
 * test/tools/nat_steer_echo.c - proves tc steering end to end for
 * test/netns/t_nat_steer.sh: opens a TUN, installs uwg's ingress filters
 * (tun/steer.c) for some port maps and a masquerade pool, and plays one
 * tunnel client (10.100.0.2) behind the NAT (core/ip/nat.c). Packets redirected
 * into the TUN are translated inbound; the simulated client answers (UDP
 * echo, RST to TCP SYNs) and its answers go out translated through the raw
 * socket. It also originates masqueraded probes (UDP, ping) whose replies
 * must come back through the pool filters. Counters go to --stats after
 * every packet. Single-threaded.
 *
 *   nat_steer_echo --wan IF --tun NAME --public IP [--map udp|tcp:EXT:INT]...
 *                  [--pool LO-HI] [--reserve] [--probe IP:PORT] [--probe-closed IP:PORT]
 *                  [--ping IP] [--stats FILE] [--ready FILE] [--timeout S]
 *   nat_steer_echo --check udp|tcp:PORT [--addr IP]     prints 1 (in use) or 0
 *   nat_steer_echo --ephemeral                         prints "LO HI"
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "core/ip/checksum.h"
#include "core/ip/nat.h"
#include "tun/steer.h"

#define CLIENT 0x0a640002u /* 10.100.0.2 */
#define MAX_MAPS 8

static volatile sig_atomic_t stop;

static struct {
	unsigned long rx, in_translated, not_ours, dropped, udp_echoed, tcp_syn, tcp_rst_sent,
		probe_reply, probe_icmp_err, echo_reply, tx_err, filters;
} cnt;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int tun_open(const char *name)
{
	struct ifreq ifr;
	int fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC), s;

	if (fd < 0)
		return -1;
	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_flags = IFF_TUN | IFF_NO_PI;
	snprintf(ifr.ifr_name, IFNAMSIZ, "%s", name);
	if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
		close(fd);
		return -1;
	}
	s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (s < 0 || ioctl(s, SIOCGIFFLAGS, &ifr) < 0) {
		close(fd);
		return -1;
	}
	ifr.ifr_flags |= IFF_UP;
	if (ioctl(s, SIOCSIFFLAGS, &ifr) < 0) {
		close(s);
		close(fd);
		return -1;
	}
	close(s);
	return fd;
}

/* Fresh checksums for a packet the simulated client builds. */
static void finish(uint8_t *p, size_t len)
{
	uint8_t *l4 = p + 20;
	size_t l4len = len - 20;
	uint16_t c;

	uwg_put_be16(p + 2, (uint16_t)len);
	uwg_put_be16(p + 10, 0);
	uwg_put_be16(p + 10, uwg_csum_ipv4_header(p, 20));
	switch (p[9]) {
	case IPPROTO_TCP:
		uwg_put_be16(l4 + 16, 0);
		uwg_put_be16(l4 + 16, uwg_csum_finish(uwg_csum_add(
			uwg_csum_pseudo4(uwg_get_be32(p + 12), uwg_get_be32(p + 16), 6,
					 (uint16_t)l4len), l4, l4len)));
		break;
	case IPPROTO_UDP:
		uwg_put_be16(l4 + 6, 0);
		c = uwg_csum_finish(uwg_csum_add(
			uwg_csum_pseudo4(uwg_get_be32(p + 12), uwg_get_be32(p + 16), 17,
					 (uint16_t)l4len), l4, l4len));
		uwg_put_be16(l4 + 6, c ? c : 0xffff);
		break;
	case IPPROTO_ICMP:
		uwg_put_be16(l4 + 2, 0);
		uwg_put_be16(l4 + 2, uwg_csum_finish(uwg_csum_add(0, l4, l4len)));
		break;
	default:
		break;
	}
}

static size_t ip_hdr(uint8_t *p, uint8_t proto, uint32_t src, uint32_t dst)
{
	memset(p, 0, 20);
	p[0] = 0x45;
	uwg_put_be16(p + 6, 0x4000);
	p[8] = 64;
	p[9] = proto;
	uwg_put_be32(p + 12, src);
	uwg_put_be32(p + 16, dst);
	return 20;
}

/* The client's packet goes through the NAT toward the world and out the raw socket. */
static void client_send(struct uwg_nat *nat, int raw, uint8_t *p, size_t len)
{
	enum uwg_nat_drop why;
	enum uwg_nat_verdict v = uwg_nat_outbound(nat, p, len, now_ns(), &why);

	if (v != UWG_NAT_TO_WORLD) {
		fprintf(stderr, "outbound verdict %d (%s)\n", v, uwg_nat_drop_str(why));
		cnt.tx_err++;
		return;
	}
	if (uwg_steer_raw_send(raw, p, len) < 0)
		cnt.tx_err++;
}

/* What the simulated client does with a packet delivered to it. */
static void client_receive(struct uwg_nat *nat, int raw, uint8_t *p, size_t len, uint16_t probe_port,
			   uint16_t ping_id)
{
	uint8_t out[2048];
	size_t hl = (size_t)(p[0] & 15) * 4;
	uint8_t *l4 = p + hl;
	uint32_t src = uwg_get_be32(p + 12);

	if (len < hl + 8 || len > sizeof(out))
		return;
	switch (p[9]) {
	case IPPROTO_UDP: {
		uint16_t sp = uwg_get_be16(l4), dp = uwg_get_be16(l4 + 2);
		size_t plen = len - hl - 8;

		if (dp == probe_port) {
			cnt.probe_reply++;
			return;
		}
		ip_hdr(out, IPPROTO_UDP, CLIENT, src);
		uwg_put_be16(out + 20, dp);
		uwg_put_be16(out + 22, sp);
		uwg_put_be16(out + 24, (uint16_t)(8 + plen));
		memcpy(out + 28, l4 + 8, plen);
		finish(out, 28 + plen);
		client_send(nat, raw, out, 28 + plen);
		cnt.udp_echoed++;
		break;
	}
	case IPPROTO_TCP:
		if (len < hl + 20 || (l4[13] & 0x12) != 0x02)
			return;
		cnt.tcp_syn++;
		/* Nobody listens on the client: RST|ACK, which the remote sees as a refusal. */
		ip_hdr(out, IPPROTO_TCP, CLIENT, src);
		memset(out + 20, 0, 20);
		uwg_put_be16(out + 20, uwg_get_be16(l4 + 2));
		uwg_put_be16(out + 22, uwg_get_be16(l4));
		uwg_put_be32(out + 28, uwg_get_be32(l4 + 4) + 1);
		out[32] = 5 << 4;
		out[33] = 0x14;
		finish(out, 40);
		client_send(nat, raw, out, 40);
		cnt.tcp_rst_sent++;
		break;
	case IPPROTO_ICMP:
		if (l4[0] == 0 && uwg_get_be16(l4 + 4) == ping_id)
			cnt.echo_reply++;
		else if (l4[0] == 3)
			cnt.probe_icmp_err++;
		break;
	default:
		break;
	}
}

static void write_stats(const char *path)
{
	char tmp[4096];
	FILE *f;

	if (!path)
		return;
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	f = fopen(tmp, "w");
	if (!f)
		return;
	fprintf(f,
		"rx %lu\nin_translated %lu\nnot_ours %lu\ndropped %lu\nudp_echoed %lu\n"
		"tcp_syn %lu\ntcp_rst_sent %lu\nprobe_reply %lu\nprobe_icmp_err %lu\n"
		"echo_reply %lu\ntx_err %lu\nfilters %lu\n",
		cnt.rx, cnt.in_translated, cnt.not_ours, cnt.dropped, cnt.udp_echoed, cnt.tcp_syn,
		cnt.tcp_rst_sent, cnt.probe_reply, cnt.probe_icmp_err, cnt.echo_reply, cnt.tx_err,
		cnt.filters);
	fclose(f);
	rename(tmp, path);
}

static bool parse_hostport(const char *s, uint32_t *ip, uint16_t *port)
{
	char buf[64];
	char *c;
	struct in_addr a;

	snprintf(buf, sizeof(buf), "%s", s);
	c = strrchr(buf, ':');
	if (!c)
		return false;
	*c = '\0';
	if (inet_pton(AF_INET, buf, &a) != 1)
		return false;
	*ip = ntohl(a.s_addr);
	*port = (uint16_t)atoi(c + 1);
	return *port != 0;
}

static uint32_t parse_ip(const char *s)
{
	struct in_addr a;

	if (inet_pton(AF_INET, s, &a) != 1) {
		fprintf(stderr, "bad address %s\n", s);
		exit(2);
	}
	return ntohl(a.s_addr);
}

static uint8_t parse_proto(const char *s)
{
	if (!strncmp(s, "udp:", 4))
		return IPPROTO_UDP;
	if (!strncmp(s, "tcp:", 4))
		return IPPROTO_TCP;
	fprintf(stderr, "bad proto in %s\n", s);
	exit(2);
}

static void add_steer(struct uwg_steer *st, const struct uwg_steer_match *m)
{
	uint16_t prio;
	int err = uwg_steer_add(st, m, &prio);

	if (err) {
		fprintf(stderr, "steer add: %s\n", strerror(-err));
		exit(1);
	}
}

static void add_steer_range(struct uwg_steer *st, enum uwg_steer_kind kind, uint8_t proto,
			    uint16_t lo, uint16_t hi)
{
	uint16_t prios[32];
	size_t n;
	int err = uwg_steer_add_range(st, kind, proto, lo, hi, prios, 32, &n);

	if (err) {
		fprintf(stderr, "steer add range: %s\n", strerror(-err));
		exit(1);
	}
}

int main(int argc, char **argv)
{
	const char *wan = NULL, *tun = NULL, *stats = NULL, *ready = NULL;
	uint32_t pub = 0, check_addr = 0, probe_ip = 0, closed_ip = 0, ping_ip = 0;
	uint16_t pool_lo = 0, pool_hi = 0, probe_port = 0, closed_port = 0;
	bool reserve = false;
	int timeout_s = 60;
	struct uwg_nat_map maps[MAX_MAPS];
	size_t nmaps = 0;
	const char *check = NULL;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (!strcmp(a, "--ephemeral")) {
			uint16_t lo, hi;

			if (uwg_steer_ephemeral_range(&lo, &hi))
				return 1;
			printf("%u %u\n", lo, hi);
			return 0;
		} else if (!strcmp(a, "--reserve")) {
			reserve = true;
			continue;
		}
		if (!v) {
			fprintf(stderr, "missing value for %s\n", a);
			return 2;
		}
		i++;
		if (!strcmp(a, "--wan"))
			wan = v;
		else if (!strcmp(a, "--tun"))
			tun = v;
		else if (!strcmp(a, "--public"))
			pub = parse_ip(v);
		else if (!strcmp(a, "--stats"))
			stats = v;
		else if (!strcmp(a, "--ready"))
			ready = v;
		else if (!strcmp(a, "--timeout"))
			timeout_s = atoi(v);
		else if (!strcmp(a, "--check"))
			check = v;
		else if (!strcmp(a, "--addr"))
			check_addr = parse_ip(v);
		else if (!strcmp(a, "--probe")) {
			if (!parse_hostport(v, &probe_ip, &probe_port))
				return 2;
		} else if (!strcmp(a, "--probe-closed")) {
			if (!parse_hostport(v, &closed_ip, &closed_port))
				return 2;
		} else if (!strcmp(a, "--ping")) {
			ping_ip = parse_ip(v);
		} else if (!strcmp(a, "--pool")) {
			unsigned lo, hi;

			if (sscanf(v, "%u-%u", &lo, &hi) != 2 || lo > hi || hi > 65535)
				return 2;
			pool_lo = (uint16_t)lo;
			pool_hi = (uint16_t)hi;
		} else if (!strcmp(a, "--map")) {
			unsigned e, in;

			if (nmaps == MAX_MAPS || sscanf(v + 4, "%u:%u", &e, &in) != 2)
				return 2;
			maps[nmaps] = (struct uwg_nat_map){ .proto = parse_proto(v),
							    .ext_port = (uint16_t)e,
							    .int_addr = CLIENT,
							    .int_port = (uint16_t)in,
							    .owner = 1 };
			snprintf(maps[nmaps].desc, sizeof(maps[nmaps].desc), "test %s", v);
			nmaps++;
		} else {
			fprintf(stderr, "unknown option %s\n", a);
			return 2;
		}
	}

	if (check) {
		int r = uwg_steer_port_in_use(parse_proto(check), check_addr,
					      (uint16_t)atoi(check + 4));

		if (r < 0) {
			fprintf(stderr, "check: %s\n", strerror(-r));
			return 1;
		}
		printf("%d\n", r);
		return 0;
	}
	if (!wan || !tun || !pub) {
		fprintf(stderr, "need --wan --tun --public\n");
		return 2;
	}

	struct sigaction sa = { .sa_handler = on_signal };
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);

	int tfd = tun_open(tun);
	if (tfd < 0) {
		perror("tun");
		return 1;
	}

	struct uwg_nat_config ncfg = {
		.public_ip = pub,
		.inside_net = CLIENT & 0xffffff00u,
		.inside_mask = 0xffffff00u,
		.masquerade = pool_lo != 0,
		.port_min = pool_lo,
		.port_max = pool_hi,
		.icmp_id_min = pool_lo,
		.icmp_id_max = pool_hi,
		.mss_clamp = uwg_nat_mss_for_mtu(1420),
		.hash_key = { (uint64_t)now_ns(), 0x5eed },
	};
	struct uwg_nat *nat;
	int err = uwg_nat_new(&nat, &ncfg);
	if (err) {
		fprintf(stderr, "nat: %s\n", strerror(-err));
		return 1;
	}

	struct uwg_steer_config scfg = { .wan_ifname = wan, .tun_ifname = tun, .public_ip = pub };
	struct uwg_steer *st;
	err = uwg_steer_open(&st, &scfg);
	if (err) {
		fprintf(stderr, "steer open: %s\n", strerror(-err));
		return 1;
	}
	for (size_t i = 0; i < nmaps; i++) {
		struct uwg_steer_match l4 = { UWG_STEER_L4, maps[i].proto, maps[i].ext_port, 0xffff };
		struct uwg_steer_match er = { UWG_STEER_ICMP_ERROR, maps[i].proto,
					      maps[i].ext_port, 0xffff };

		err = uwg_steer_port_in_use(maps[i].proto, pub, maps[i].ext_port);
		if (err == 1)
			fprintf(stderr, "note: host socket on mapped port %u (it will be shadowed)\n",
				maps[i].ext_port);
		err = uwg_nat_map_add(nat, &maps[i], now_ns());
		if (err) {
			fprintf(stderr, "map add: %s\n", strerror(-err));
			return 1;
		}
		add_steer(st, &l4);
		add_steer(st, &er);
	}
	struct uwg_steer_reserve res = { NULL, 0 };
	if (pool_lo) {
		add_steer_range(st, UWG_STEER_L4, IPPROTO_TCP, pool_lo, pool_hi);
		add_steer_range(st, UWG_STEER_L4, IPPROTO_UDP, pool_lo, pool_hi);
		add_steer_range(st, UWG_STEER_ICMP_ERROR, 0, pool_lo, pool_hi);
		add_steer_range(st, UWG_STEER_ECHO_REPLY, IPPROTO_ICMP, pool_lo, pool_hi);
		add_steer_range(st, UWG_STEER_ICMP_ERROR, IPPROTO_ICMP, pool_lo, pool_hi);
		if (reserve) {
			uint16_t bad = 0;

			err = uwg_steer_reserve_ports(&res, 0, pool_lo, pool_hi, true, true, &bad);
			if (err) {
				fprintf(stderr, "reserve: %s (port %u)\n", strerror(-err), bad);
				return 1;
			}
		}
	}
	size_t nf = 0;
	if (uwg_steer_list(st, NULL, 0, &nf) == 0)
		cnt.filters = nf;
	int raw = uwg_steer_raw_open();
	if (raw < 0) {
		fprintf(stderr, "raw: %s\n", strerror(-raw));
		return 1;
	}
	if (ready) {
		FILE *f = fopen(ready, "w");

		if (f) {
			fprintf(f, "%d\n", (int)getpid());
			fclose(f);
		}
	}
	write_stats(stats);

	const uint16_t probe_sport = 5555, ping_id = 0x1234;
	uint64_t deadline = now_ns() + (uint64_t)timeout_s * 1000000000ull, next_probe = 0;
	uint16_t seq = 0;

	while (!stop && now_ns() < deadline) {
		struct pollfd pfd = { .fd = tfd, .events = POLLIN };
		uint8_t pkt[2048];
		ssize_t n;

		if ((probe_port || closed_port || ping_ip) && now_ns() >= next_probe) {
			uint8_t out[128];

			next_probe = now_ns() + 200000000ull;
			seq++;
			if (probe_port && !cnt.probe_reply) {
				ip_hdr(out, IPPROTO_UDP, CLIENT, probe_ip);
				uwg_put_be16(out + 20, probe_sport);
				uwg_put_be16(out + 22, probe_port);
				uwg_put_be16(out + 24, 8 + 6);
				memcpy(out + 28, "probe\n", 6);
				finish(out, 34);
				client_send(nat, raw, out, 34);
			}
			if (closed_port && !cnt.probe_icmp_err) {
				ip_hdr(out, IPPROTO_UDP, CLIENT, closed_ip);
				uwg_put_be16(out + 20, probe_sport + 1);
				uwg_put_be16(out + 22, closed_port);
				uwg_put_be16(out + 24, 8 + 6);
				memcpy(out + 28, "close\n", 6);
				finish(out, 34);
				client_send(nat, raw, out, 34);
			}
			if (ping_ip && !cnt.echo_reply) {
				ip_hdr(out, IPPROTO_ICMP, CLIENT, ping_ip);
				memset(out + 20, 0, 8);
				out[20] = 8;
				uwg_put_be16(out + 24, ping_id);
				uwg_put_be16(out + 26, seq);
				memcpy(out + 28, "pingping", 8);
				finish(out, 36);
				client_send(nat, raw, out, 36);
			}
			write_stats(stats);
		}
		if (poll(&pfd, 1, 100) <= 0)
			continue;
		n = read(tfd, pkt, sizeof(pkt));
		if (n <= 0)
			continue;
		cnt.rx++;
		enum uwg_nat_drop why;
		switch (uwg_nat_inbound(nat, pkt, (size_t)n, now_ns(), &why)) {
		case UWG_NAT_TO_TUNNEL:
			cnt.in_translated++;
			if (uwg_get_be32(pkt + 16) == CLIENT)
				client_receive(nat, raw, pkt, (size_t)n, probe_sport, ping_id);
			break;
		case UWG_NAT_NOT_OURS:
			cnt.not_ours++;
			break;
		case UWG_NAT_DROP:
			fprintf(stderr, "inbound drop: %s\n", uwg_nat_drop_str(why));
			cnt.dropped++;
			break;
		case UWG_NAT_TO_WORLD:
			break;
		}
		write_stats(stats);
	}
	write_stats(stats);
	uwg_steer_release_ports(&res);
	uwg_steer_close(st);
	uwg_nat_free(nat);
	close(raw);
	close(tfd);
	return 0;
}
