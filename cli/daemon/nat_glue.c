/*
 * cli/daemon/nat_glue.c - the daemon's userspace NAT (see nat_glue.h): applies a
 * configuration staged by nat_* UAPI lines (nothing if it is the running one,
 * forwards one by one if only they changed, else tear down and build: NAT
 * table, tc filters, placeholder sockets, raw socket), translates on the two
 * packet paths, originates frag-needed errors (core/ip/icmp.h) for packets that
 * fit neither the tunnel nor the external link, fragments DF-less ones, and
 * expires maps and flows on a timer. No allocation per packet: errors and
 * fragments are built in a scratch buffer or a pool packet. Loop thread only.
 */
#include "cli/daemon/nat_glue.h"

#include <arpa/inet.h>
#include <errno.h>
#include <ifaddrs.h>
#include <inttypes.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cli/daemon/log.h"
#include "cli/uapi/nat_conf.h"
#include "cli/uapi/text.h"
#include "core/ip/checksum.h"
#include "core/ip/icmp.h"
#include "core/ip/nat.h"
#include "core/wg.h"
#include "crypto/ct.h"
#include "tun/steer.h"
#include "tun/wan.h"

enum {
	/* Bytes of an original kept for quoting in a frag-needed: any header plus 68. */
	ORIG_KEEP = 128,
	/* A decrypted packet larger than this may not fit an external link. */
	KEEP_ABOVE = 576,
	POOL_FILTERS_MAX = 5 * 32,
	IP_DF = 0x4000,
	LOCAL_MAX = 32, /* the host's own IPv4 addresses remembered */
};

/* A forward as installed: its filters (0 = none) and placeholder socket. */
struct natd_map {
	struct uwg_nat_fwd f;
	uint16_t prio_l4, prio_err;
	int fd;
};

struct stat_line {
	const char *name;
	uint64_t v;
};

struct natd_stats {
	uint64_t raw_sent, raw_errors, raw_dropped;
	uint64_t frag_needed_to_client, frag_needed_to_world, fragmented, fragments_sent;
	uint64_t icmp_ratelimited, deferred_dropped, pool_empty, too_big_dropped;
};

struct uwg_natd {
	struct uwg_natd_env env;
	uv_timer_t timer;

	/* Built by one set request's nat_* lines, applied at its end. */
	struct uwg_nat_settings staged;
	bool staging;
	void (*on_replaced)(void *ctx);
	void *on_replaced_ctx;

	/* Running configuration; active.enable is false while NAT is off. */
	struct uwg_nat_settings active;
	char wan[UWG_NAT_IFNAME_MAX + 1];
	uint32_t public_ip;
	uint16_t pool_lo, pool_hi;
	uint32_t mss_mtu;
	struct uwg_nat *nat;
	struct uwg_steer *steer;
	int raw_fd, mtu_fd;
	struct natd_map *maps;
	size_t n_maps;
	uint16_t pool_prios[POOL_FILTERS_MAX];
	size_t n_pool_prios;
	struct uwg_steer_reserve pool_res;
	/* The host's other addresses: clients reach them directly, never masqueraded. */
	uint32_t local[LOCAL_MAX];
	size_t n_local;

	struct uwg_pktq deferred;
	uint8_t *scratch; /* 64 KiB: fragments and errors toward the world */
	uint8_t orig[ORIG_KEEP];
	size_t orig_len;
	uint16_t ip_id;
	uint64_t icmp_window;
	unsigned icmp_sent;
	struct natd_stats st;
	struct uwg_log_limit lim;
};

/* ---- teardown and setup ---- */

static void close_map(struct uwg_natd *n, struct natd_map *m)
{
	if (n->steer && m->prio_l4)
		uwg_steer_del(n->steer, m->prio_l4);
	if (n->steer && m->prio_err)
		uwg_steer_del(n->steer, m->prio_err);
	if (m->fd >= 0)
		close(m->fd);
	m->prio_l4 = m->prio_err = 0;
	m->fd = -1;
}

static void drop_deferred(struct uwg_natd *n)
{
	struct uwg_pkt *p;

	while ((p = uwg_pktq_pop(&n->deferred)))
		uwg_pool_put(n->env.pool, p);
}

/* Back to NAT off: no filter, no socket, no table. */
static void teardown(struct uwg_natd *n)
{
	uv_timer_stop(&n->timer);
	for (size_t i = 0; i < n->n_maps; i++)
		close_map(n, &n->maps[i]);
	free(n->maps);
	n->maps = NULL;
	n->n_maps = 0;
	uwg_steer_release_ports(&n->pool_res);
	if (n->steer)
		uwg_steer_close(n->steer); /* also whatever close_map could not delete */
	n->steer = NULL;
	n->n_pool_prios = 0;
	if (n->nat)
		uwg_nat_free(n->nat);
	n->nat = NULL;
	if (n->raw_fd >= 0)
		close(n->raw_fd);
	if (n->mtu_fd >= 0)
		close(n->mtu_fd);
	n->raw_fd = n->mtu_fd = -1;
	drop_deferred(n);
	uwg_nat_settings_free(&n->active);
	n->public_ip = 0;
	n->wan[0] = '\0';
}

static int add_pool_filters(struct uwg_natd *n)
{
	static const struct {
		enum uwg_steer_kind kind;
		uint8_t proto;
	} kinds[] = {
		{ UWG_STEER_L4, IPPROTO_TCP },
		{ UWG_STEER_L4, IPPROTO_UDP },
		{ UWG_STEER_ICMP_ERROR, 0 },           /* about TCP/UDP from a pool port */
		{ UWG_STEER_ECHO_REPLY, IPPROTO_ICMP }, /* replies to masqueraded pings */
		{ UWG_STEER_ICMP_ERROR, IPPROTO_ICMP }, /* errors about them */
	};

	for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
		size_t got = 0;
		int err = uwg_steer_add_range(n->steer, kinds[k].kind, kinds[k].proto, n->pool_lo,
					      n->pool_hi, n->pool_prios + n->n_pool_prios,
					      POOL_FILTERS_MAX - n->n_pool_prios, &got);

		if (err)
			return err;
		n->n_pool_prios += got;
	}
	return 0;
}

static int add_forward(struct uwg_natd *n, const struct uwg_nat_fwd *f)
{
	struct natd_map *m = &n->maps[n->n_maps];
	struct uwg_nat_map map = { .proto = f->proto, .ext_port = f->ext_port,
				   .int_addr = f->addr, .int_port = f->port };
	struct uwg_steer_match l4 = { UWG_STEER_L4, f->proto, f->ext_port, 0xffff };
	struct uwg_steer_match er = { UWG_STEER_ICMP_ERROR, f->proto, f->ext_port, 0xffff };
	int err;

	snprintf(map.desc, sizeof(map.desc), "PortForward");
	memset(m, 0, sizeof(*m));
	m->f = *f;
	m->fd = -1;
	err = uwg_nat_map_add(n->nat, &map, uv_hrtime());
	if (err)
		return err;
	n->n_maps++;
	m->fd = uwg_steer_placeholder(f->proto, f->ext_port);
	if (m->fd < 0)
		return m->fd;
	err = uwg_steer_add(n->steer, &l4, &m->prio_l4);
	if (!err)
		err = uwg_steer_add(n->steer, &er, &m->prio_err);
	return err;
}

static void expire_tick(uv_timer_t *t);

/* Refreshes n->local from getifaddrs() (every tick: addresses come and go). */
static void read_local(struct uwg_natd *n)
{
	struct ifaddrs *ifa, *i;
	size_t k = 0;

	if (getifaddrs(&ifa) < 0)
		return;
	for (i = ifa; i && k < LOCAL_MAX; i = i->ifa_next) {
		uint32_t a;

		if (!i->ifa_addr || i->ifa_addr->sa_family != AF_INET)
			continue;
		a = ntohl(((const struct sockaddr_in *)i->ifa_addr)->sin_addr.s_addr);
		if (a != n->public_ip && (a >> 24) != 127)
			n->local[k++] = a;
	}
	freeifaddrs(ifa);
	n->n_local = k;
}

static bool is_local(const struct uwg_natd *n, uint32_t a)
{
	for (size_t i = 0; i < n->n_local; i++)
		if (n->local[i] == a)
			return true;
	return false;
}

/*
 * The TUN's MTU right now. The loop learns MTU changes from netlink events,
 * which `uwg up`'s NAT request can overtake; the MSS clamp is fixed at build.
 */
static uint32_t tun_mtu_now(struct uwg_natd *n)
{
	struct ifreq ifr;
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	uint32_t mtu = 0;

	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", n->env.tun_name);
	if (fd >= 0 && ioctl(fd, SIOCGIFMTU, &ifr) == 0 && ifr.ifr_mtu >= 68)
		mtu = (uint32_t)ifr.ifr_mtu;
	if (fd >= 0)
		close(fd);
	return mtu ? mtu : n->env.mtu(n->env.ctx);
}

static int build(struct uwg_natd *n, const struct uwg_nat_settings *want)
{
	struct uwg_nat_config cfg = { 0 };
	struct uwg_steer_config scfg = { 0 };
	char msg[512], ip[INET_ADDRSTRLEN];
	struct in_addr a;
	uint16_t port = n->env.listen_port ? n->env.listen_port(n->env.ctx) : 0;
	int err;

	if (!uwg_nat_settings_copy(&n->active, want))
		return -ENOMEM;
	err = uwg_nat_conf_check(want, port, NULL, "nat", msg, sizeof(msg));
	if (err) {
		uwg_log_error("NAT refused: %s", msg);
		return err;
	}
	err = uwg_tun_wan_find(want->ext_if, want->ext_addr, n->wan, &n->public_ip);
	if (err) {
		uwg_log_error("NAT: cannot determine the external %s (%s): %s",
			      want->ext_if[0] ? "address" : "interface (default route)",
			      want->ext_if[0] ? want->ext_if : "auto", strerror(-err));
		return err;
	}
	n->pool_lo = want->pool_lo ? want->pool_lo : UWG_NAT_POOL_MIN;
	n->pool_hi = want->pool_lo ? want->pool_hi : UWG_NAT_POOL_MAX;
	n->mss_mtu = tun_mtu_now(n);

	cfg.public_ip = n->public_ip;
	if (want->has_inside && want->inside_len) {
		cfg.inside_mask = ~0u << (32 - want->inside_len);
		cfg.inside_net = want->inside_addr & cfg.inside_mask;
	}
	cfg.masquerade = want->masquerade;
	/* Hairpin flows take pool ports too; they never reach the wire, so need no filter. */
	cfg.port_min = n->pool_lo;
	cfg.port_max = n->pool_hi;
	if (want->masquerade) {
		cfg.icmp_id_min = n->pool_lo;
		cfg.icmp_id_max = n->pool_hi;
	}
	cfg.max_maps = UWG_NAT_DEFAULT_MAX_MAPS > want->n_fwd ? 0 : (uint32_t)want->n_fwd;
	cfg.mss_clamp = uwg_nat_mss_for_mtu(n->mss_mtu);
	uwg_random_bytes(cfg.hash_key, sizeof(cfg.hash_key));
	err = uwg_nat_new(&n->nat, &cfg);
	uwg_memzero(cfg.hash_key, sizeof(cfg.hash_key));
	if (err) {
		uwg_log_error("NAT: cannot create the translation table: %s", strerror(-err));
		return err;
	}

	n->raw_fd = uwg_steer_raw_open();
	n->mtu_fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (n->raw_fd < 0 || n->mtu_fd < 0) {
		err = n->raw_fd < 0 ? n->raw_fd : -errno;
		uwg_log_error("NAT: cannot open the raw egress socket: %s%s", strerror(-err),
			      err == -EPERM ? " (NAT and UPnP need CAP_NET_RAW)" : "");
		return err;
	}
	/*
	 * Forward like a router, by the device MTU: with the path MTU a DF packet
	 * over a smaller route MTU would be dropped with a frag-needed addressed
	 * to ourselves, which the client would never see. Too big for the device
	 * is -EMSGSIZE, answered in to_world().
	 */
	{
		int probe = IP_PMTUDISC_PROBE;

		setsockopt(n->raw_fd, IPPROTO_IP, IP_MTU_DISCOVER, &probe, sizeof(probe));
	}
	scfg.wan_ifname = n->wan;
	scfg.tun_ifname = n->env.tun_name;
	scfg.public_ip = n->public_ip;
	err = uwg_steer_open(&n->steer, &scfg);
	if (err) {
		uwg_log_error("NAT: cannot set up tc steering on %s: %s", n->wan, strerror(-err));
		return err;
	}
	if (want->masquerade) {
		uint16_t bad = 0;

		err = add_pool_filters(n);
		if (!err)
			err = uwg_steer_reserve_ports(&n->pool_res, 0, n->pool_lo, n->pool_hi, true,
						      true, &bad);
		if (err) {
			uwg_log_error("NAT: masquerade pool %u-%u: %s%s%.0u", n->pool_lo, n->pool_hi,
				      strerror(-err), bad ? " at port " : "", bad);
			return err;
		}
	}
	n->maps = calloc(want->n_fwd ? want->n_fwd : 1, sizeof(*n->maps));
	if (!n->maps)
		return -ENOMEM;
	for (size_t i = 0; i < want->n_fwd; i++) {
		err = add_forward(n, &want->fwd[i]);
		if (err) {
			uwg_nat_conf_format_fwd(&want->fwd[i], msg, sizeof(msg));
			uwg_log_error("NAT: forward %s: %s", msg, strerror(-err));
			return err;
		}
	}
	a.s_addr = htonl(n->public_ip);
	inet_ntop(AF_INET, &a, ip, sizeof(ip));
	uwg_log_info("NAT on %s (%s): masquerade %s, %zu forward%s, %zu tc filters, MSS clamp %u",
		     n->wan, ip, want->masquerade ? "on" : "off", want->n_fwd,
		     want->n_fwd == 1 ? "" : "s", n->n_pool_prios + 2 * want->n_fwd,
		     cfg.mss_clamp);
	read_local(n);
	uv_timer_start(&n->timer, expire_tick, UWG_NATD_EXPIRE_MS, UWG_NATD_EXPIRE_MS);
	return 0;
}

/* Same settings, forwards left out if without_fwd: the same set request text. */
static bool same_settings(const struct uwg_nat_settings *a, const struct uwg_nat_settings *b,
			  bool without_fwd)
{
	struct uwg_nat_settings x = *a, y = *b;
	size_t xl = 0, yl = 0;
	char *xt, *yt;
	bool same;

	if (without_fwd)
		x.n_fwd = y.n_fwd = 0;
	xt = uwg_nat_conf_format_set(&x, &xl);
	yt = uwg_nat_conf_format_set(&y, &yl);
	same = xt && yt && xl == yl && !memcmp(xt, yt, xl);
	free(xt);
	free(yt);
	return same;
}

static bool has_fwd(const struct uwg_nat_settings *s, const struct uwg_nat_fwd *f)
{
	for (size_t i = 0; i < s->n_fwd; i++)
		if (s->fwd[i].proto == f->proto && s->fwd[i].ext_port == f->ext_port &&
		    s->fwd[i].addr == f->addr && s->fwd[i].port == f->port)
			return true;
	return false;
}

/* The running NAT's own sockets: forwards' placeholders and the masquerade pool. */
static bool held_port(void *ctx, uint8_t proto, uint16_t port)
{
	struct uwg_natd *n = ctx;

	if (n->active.masquerade && port >= n->pool_lo && port <= n->pool_hi)
		return true;
	for (size_t i = 0; i < n->n_maps; i++)
		if (n->maps[i].f.proto == proto && n->maps[i].f.ext_port == port)
			return true;
	return false;
}

/*
 * Only the forwards changed: removes the ones that went and adds the new
 * ones, keeping the table with its flows and UPnP maps. -EAGAIN: this
 * change needs a rebuild (checked before anything is touched).
 */
static int update_forwards(struct uwg_natd *n, const struct uwg_nat_settings *want)
{
	struct uwg_nat_held held = { held_port, n };
	uint16_t port = n->env.listen_port ? n->env.listen_port(n->env.ctx) : 0;
	uint64_t now = uv_hrtime();
	struct natd_map *maps;
	char msg[512];
	int err;

	if (want->n_fwd >= UWG_NAT_DEFAULT_MAX_MAPS || n->active.n_fwd >= UWG_NAT_DEFAULT_MAX_MAPS)
		return -EAGAIN;
	err = uwg_nat_conf_check(want, port, &held, "nat", msg, sizeof(msg));
	if (err) {
		uwg_log_error("NAT refused: %s", msg);
		return err;
	}
	for (size_t i = 0; i < want->n_fwd; i++) {
		const struct uwg_nat_fwd *f = &want->fwd[i];
		const struct uwg_nat_map *m;

		if (has_fwd(&n->active, f))
			continue;
		m = uwg_nat_map_find(n->nat, f->proto, f->ext_port, now);
		if (m && !held_port(n, f->proto, f->ext_port)) {
			uwg_nat_conf_format_fwd(f, msg, sizeof(msg));
			uwg_log_error("NAT refused: forward %s: the port is a UPnP map's", msg);
			return -EEXIST;
		}
	}
	maps = realloc(n->maps, (n->n_maps + want->n_fwd + 1) * sizeof(*maps));
	if (!maps)
		return -ENOMEM;
	n->maps = maps;
	for (size_t i = n->n_maps; i-- > 0;) {
		if (has_fwd(want, &n->maps[i].f))
			continue;
		uwg_nat_conf_format_fwd(&n->maps[i].f, msg, sizeof(msg));
		uwg_nat_map_del(n->nat, n->maps[i].f.proto, n->maps[i].f.ext_port, 0);
		close_map(n, &n->maps[i]);
		n->maps[i] = n->maps[--n->n_maps];
		uwg_log_info("NAT: forward %s removed", msg);
	}
	for (size_t i = 0; i < want->n_fwd; i++) {
		if (has_fwd(&n->active, &want->fwd[i]))
			continue;
		uwg_nat_conf_format_fwd(&want->fwd[i], msg, sizeof(msg));
		err = add_forward(n, &want->fwd[i]);
		if (err) {
			/* Kept consistent: active lists what runs. */
			uwg_log_error("NAT: forward %s: %s", msg, strerror(-err));
			break;
		}
		uwg_log_info("NAT: forward %s added", msg);
	}
	/* active lists what runs, also after a failed add. */
	uwg_nat_settings_free(&n->active);
	if (!uwg_nat_settings_copy(&n->active, want))
		return -ENOMEM;
	if (err) {
		n->active.n_fwd = n->n_maps;
		for (size_t i = 0; i < n->n_maps; i++)
			n->active.fwd[i] = n->maps[i].f;
	}
	return err;
}

static int apply(struct uwg_natd *n, const struct uwg_nat_settings *want)
{
	int err;

	if (n->nat && want->enable && same_settings(&n->active, want, false)) {
		uwg_log_debug("NAT unchanged");
		return 0;
	}
	if (n->nat && want->enable && same_settings(&n->active, want, true)) {
		err = update_forwards(n, want);
		if (err != -EAGAIN)
			return err;
	}
	if (n->nat)
		uwg_log_info("NAT settings changed: rebuilding the NAT (its flows are dropped; "
			     "UPnP maps are put back)");
	if (n->on_replaced)
		n->on_replaced(n->on_replaced_ctx);
	teardown(n);
	if (!want->enable) {
		uwg_log_info("NAT off");
		return 0;
	}
	err = build(n, want);
	if (err)
		teardown(n);
	return err;
}

/* ---- timer ---- */

static void map_expired(void *ctx, const struct uwg_nat_map *map)
{
	struct uwg_natd *n = ctx;

	for (size_t i = 0; i < n->n_maps; i++) {
		if (n->maps[i].f.proto != map->proto || n->maps[i].f.ext_port != map->ext_port)
			continue;
		close_map(n, &n->maps[i]);
		n->maps[i] = n->maps[--n->n_maps];
		return;
	}
}

static void expire_tick(uv_timer_t *t)
{
	struct uwg_natd *n = t->data;

	if (!n->nat)
		return;
	uwg_nat_expire(n->nat, uv_hrtime(), UWG_NATD_EXPIRE_BUDGET, map_expired, n);
	read_local(n);
}

/* ---- originated ICMP ---- */

static bool icmp_allowed(struct uwg_natd *n)
{
	uint64_t now = uv_hrtime();

	if (now - n->icmp_window >= 1000000000ull) {
		n->icmp_window = now;
		n->icmp_sent = 0;
	}
	if (n->icmp_sent >= UWG_NATD_ICMP_PER_SEC) {
		n->st.icmp_ratelimited++;
		return false;
	}
	n->icmp_sent++;
	return true;
}

static void keep_orig(struct uwg_natd *n, const uint8_t *d, size_t len)
{
	n->orig_len = len < ORIG_KEEP ? len : ORIG_KEEP;
	memcpy(n->orig, d, n->orig_len);
}

/* The MTU of the route to dst as the kernel knows it (device or learned path MTU). */
static uint32_t route_mtu(struct uwg_natd *n, uint32_t dst)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(9),
				   .sin_addr.s_addr = htonl(dst) };
	int mtu = 0;
	socklen_t sl = sizeof(mtu);

	if (connect(n->mtu_fd, (const struct sockaddr *)&sin, sizeof(sin)) < 0 ||
	    getsockopt(n->mtu_fd, IPPROTO_IP, IP_MTU, &mtu, &sl) < 0 || mtu < 68)
		return 576;
	return (uint32_t)mtu;
}

static int raw_send(struct uwg_natd *n, const uint8_t *d, size_t len)
{
	int err = uwg_steer_raw_send(n->raw_fd, d, len);

	if (!err)
		n->st.raw_sent++;
	else if (err == -EAGAIN || err == -ENOBUFS)
		n->st.raw_dropped++;
	else if (err != -EMSGSIZE)
		n->st.raw_errors++;
	if (err && err != -EMSGSIZE)
		uwg_log_limited(&n->lim, uv_hrtime(), UWG_LOG_DEBUG,
				"NAT: raw send failed: %s", strerror(-err));
	return err;
}

/* A DF packet from the world does not fit the tunnel: tell its sender, from the public address. */
static void too_big_for_tunnel(struct uwg_natd *n, uint32_t mtu)
{
	size_t len;

	n->st.too_big_dropped++;
	if (!icmp_allowed(n))
		return;
	len = uwg_icmp4_frag_needed(n->scratch, 65535, n->public_ip, uwg_get_be32(n->orig + 12),
				    (uint16_t)(mtu > 65535 ? 65535 : mtu), n->ip_id++, n->orig,
				    n->orig_len);
	if (len && !raw_send(n, n->scratch, len))
		n->st.frag_needed_to_world++;
}

static void defer(struct uwg_natd *n, struct uwg_pkt *p)
{
	if (n->deferred.len >= UWG_NATD_DEFER_MAX) {
		n->st.deferred_dropped++;
		uwg_pool_put(n->env.pool, p);
		return;
	}
	uwg_pktq_push(&n->deferred, p);
}

/*
 * A client's DF packet, already translated, does not fit the external link:
 * frag-needed back through the tunnel, quoting the packet as the client sent
 * it, from our tunnel address (or the destination it tried to reach).
 */
static void too_big_for_world(struct uwg_natd *n, uint32_t mtu)
{
	struct uwg_pkt *q;
	uint32_t src;
	size_t len;

	n->st.too_big_dropped++;
	if (!n->orig_len || !icmp_allowed(n))
		return;
	q = uwg_pool_get(n->env.pool);
	if (!q) {
		n->st.pool_empty++;
		return;
	}
	src = n->active.has_inside ? n->active.inside_addr : uwg_get_be32(n->orig + 16);
	len = uwg_icmp4_frag_needed(uwg_pkt_data(q), 65535, src, uwg_get_be32(n->orig + 12),
				    (uint16_t)(mtu > 65535 ? 65535 : mtu), n->ip_id++, n->orig,
				    n->orig_len);
	if (!len) {
		uwg_pool_put(n->env.pool, q);
		return;
	}
	q->len = (uint32_t)len;
	n->st.frag_needed_to_client++;
	defer(n, q);
}

static void send_fragments(struct uwg_natd *n, const uint8_t *d, size_t len, uint32_t mtu)
{
	size_t off = 0, flen;

	n->st.fragmented++;
	while ((flen = uwg_ip4_fragment(d, len, mtu, &off, n->scratch, 65535)) > 0) {
		if (raw_send(n, n->scratch, flen))
			return;
		n->st.fragments_sent++;
	}
}

static void to_world(struct uwg_natd *n, const uint8_t *d, size_t len, bool kept)
{
	uint32_t mtu;

	if (raw_send(n, d, len) != -EMSGSIZE)
		return;
	mtu = route_mtu(n, uwg_get_be32(d + 16));
	if (mtu >= len)
		mtu = (uint32_t)len - 1; /* the kernel said no; do not trust a stale answer */
	if (uwg_get_be16(d + 6) & IP_DF) {
		if (!kept)
			n->orig_len = 0;
		too_big_for_world(n, mtu);
	} else {
		send_fragments(n, d, len, mtu);
	}
}

/* ---- packet hooks ---- */

bool uwg_natd_from_tun(struct uwg_natd *n, struct uwg_pkt *p)
{
	uint8_t *d = uwg_pkt_data(p);
	enum uwg_nat_drop why;
	uint32_t mtu;
	bool big;

	if (!n->nat || p->len < 20 || (d[0] >> 4) != 4 || uwg_get_be32(d + 16) != n->public_ip)
		return false;
	mtu = n->env.mtu(n->env.ctx);
	big = p->len > mtu && (uwg_get_be16(d + 6) & IP_DF);
	if (big)
		keep_orig(n, d, p->len);
	switch (uwg_nat_inbound(n->nat, d, p->len, uv_hrtime(), &why)) {
	case UWG_NAT_NOT_OURS:
		return false;
	case UWG_NAT_TO_TUNNEL:
		if (!big)
			return false;
		too_big_for_tunnel(n, mtu);
		break;
	case UWG_NAT_TO_WORLD:
	case UWG_NAT_DROP:
		break;
	}
	uwg_pool_put(n->env.pool, p);
	return true;
}

bool uwg_natd_to_tun(struct uwg_natd *n, struct uwg_pkt *p)
{
	uint8_t *d = uwg_pkt_data(p);
	enum uwg_nat_drop why;
	bool kept;

	if (!n->nat || p->len < 20 || (d[0] >> 4) != 4)
		return false;
	/* To another address of this host: its own business, like the tunnel address. */
	if (n->n_local && is_local(n, uwg_get_be32(d + 16)))
		return false;
	kept = p->len > KEEP_ABOVE;
	if (kept)
		keep_orig(n, d, p->len);
	switch (uwg_nat_outbound(n->nat, d, p->len, uv_hrtime(), &why)) {
	case UWG_NAT_NOT_OURS:
		return false;
	case UWG_NAT_TO_TUNNEL:
		defer(n, p);
		return true;
	case UWG_NAT_TO_WORLD:
		to_world(n, d, p->len, kept);
		break;
	case UWG_NAT_DROP:
		break;
	}
	uwg_pool_put(n->env.pool, p);
	return true;
}

bool uwg_natd_get_view(struct uwg_natd *n, struct uwg_natd_view *out)
{
	memset(out, 0, sizeof(*out));
	if (!n->nat || !n->steer)
		return false;
	out->nat = n->nat;
	out->steer = n->steer;
	out->public_ip = n->public_ip;
	out->wan = n->wan;
	return true;
}

void uwg_natd_flush(struct uwg_natd *n)
{
	struct uwg_pkt *p;

	while ((p = uwg_pktq_pop(&n->deferred)))
		uwg_wg_tun_input(n->env.wg, p);
}

/* ---- UAPI ---- */

static void ext_begin(void *ctx)
{
	struct uwg_natd *n = ctx;

	uwg_nat_settings_free(&n->staged);
	n->staging = false;
}

static int ext_set(void *ctx, const char *key, const char *value)
{
	struct uwg_natd *n = ctx;

	if (strncmp(key, "nat_", 4))
		return -EINVAL;
	if (!n->staging) {
		/*
		 * nat_enable first (uwg up, syncconf): the request states all of
		 * it, from scratch. Other keys change the running settings.
		 */
		uwg_nat_settings_free(&n->staged);
		if (strcmp(key, "nat_enable") && n->nat) {
			if (!uwg_nat_settings_copy(&n->staged, &n->active))
				return -ENOMEM;
		}
		n->staged.enable = true;
		n->staging = true;
	}
	return uwg_nat_conf_uapi_key(&n->staged, key, value);
}

void uwg_natd_on_replaced(struct uwg_natd *n, void (*cb)(void *ctx), void *ctx)
{
	n->on_replaced = cb;
	n->on_replaced_ctx = ctx;
}

static int ext_end(void *ctx, int err)
{
	struct uwg_natd *n = ctx;

	if (n->staging && !err)
		err = apply(n, &n->staged);
	uwg_nat_settings_free(&n->staged);
	n->staging = false;
	return err;
}

/* Printable, no '=' surprises for a line-based reader: anything else becomes '?'. */
static void clean_desc(const char *in, char *out, size_t len)
{
	size_t i = 0;

	for (; in[i] && i + 1 < len; i++)
		out[i] = (in[i] >= 0x20 && in[i] < 0x7f) ? in[i] : '?';
	out[i] = '\0';
}

static size_t emit_head(struct uwg_natd *n, char *buf, size_t cap)
{
	const struct uwg_nat_settings *s = &n->active;
	struct uwg_nat_stats ns;
	char ip[INET_ADDRSTRLEN];
	struct in_addr a;
	size_t used = 0;

	if (!n->nat) {
		uwg_text_line(buf, cap, &used, "nat_enable=false\n");
		return used;
	}
	uwg_nat_get_stats(n->nat, &ns);
	a.s_addr = htonl(n->public_ip);
	inet_ntop(AF_INET, &a, ip, sizeof(ip));
	uwg_text_line(buf, cap, &used, "nat_enable=true\nnat_external_interface=%s\n"
	     "nat_external_address=%s\n", n->wan, ip);
	if (s->has_inside) {
		a.s_addr = htonl(s->inside_addr);
		inet_ntop(AF_INET, &a, ip, sizeof(ip));
		uwg_text_line(buf, cap, &used, "nat_inside=%s/%u\n", ip, s->inside_len);
	}
	uwg_text_line(buf, cap, &used, "nat_masquerade=%s\n", s->masquerade ? "true" : "false");
	if (s->masquerade)
		uwg_text_line(buf, cap, &used, "nat_masquerade_ports=%u-%u\n", n->pool_lo, n->pool_hi);
	{
		size_t nf = 0;

		if (n->steer)
			uwg_steer_list(n->steer, NULL, 0, &nf);
		uwg_text_line(buf, cap, &used, "nat_tc_filters=%zu\nnat_mss_clamp=%u\n", nf,
		     uwg_nat_mss_for_mtu(n->mss_mtu));
	}
	{
		const struct stat_line all[] = {
			{ "out_translated", ns.out_translated },
			{ "in_translated", ns.in_translated },
			{ "hairpin", ns.hairpin },
			{ "not_ours", ns.not_ours },
			{ "icmp_errors", ns.icmp_errors },
			{ "mss_clamped", ns.mss_clamped },
			{ "flows_created", ns.flows_created },
			{ "flows_expired", ns.flows_expired },
			{ "flows_evicted", ns.flows_evicted },
			{ "flows_active", ns.flows_active },
			{ "maps_active", ns.maps_active },
			{ "maps_expired", ns.maps_expired },
			{ "drop_malformed", ns.drops[UWG_NAT_DROP_MALFORMED] },
			{ "drop_bad_csum", ns.drops[UWG_NAT_DROP_BAD_CSUM] },
			{ "drop_fragment", ns.drops[UWG_NAT_DROP_FRAGMENT] },
			{ "drop_no_flow", ns.drops[UWG_NAT_DROP_NO_FLOW] },
			{ "drop_no_port", ns.drops[UWG_NAT_DROP_NO_PORT] },
			{ "drop_spoofed", ns.drops[UWG_NAT_DROP_SPOOFED] },
			{ "raw_sent", n->st.raw_sent },
			{ "raw_errors", n->st.raw_errors },
			{ "raw_dropped", n->st.raw_dropped },
			{ "too_big_dropped", n->st.too_big_dropped },
			{ "frag_needed_to_client", n->st.frag_needed_to_client },
			{ "frag_needed_to_world", n->st.frag_needed_to_world },
			{ "fragmented", n->st.fragmented },
			{ "fragments_sent", n->st.fragments_sent },
			{ "icmp_ratelimited", n->st.icmp_ratelimited },
			{ "deferred_dropped", n->st.deferred_dropped },
			{ "pool_empty", n->st.pool_empty },
		};

		for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
			uwg_text_line(buf, cap, &used, "nat_stat_%s=%" PRIu64 "\n", all[i].name, all[i].v);
	}
	return used;
}

/*
 * Cursor 0: settings and counters (a few KiB, always fit a fresh chunk);
 * 1..: forwards as configured, then the table's maps.
 */
static bool ext_emit(void *ctx, size_t *cursor, char *buf, size_t cap, size_t *used)
{
	struct uwg_natd *n = ctx;
	const struct uwg_nat_map *m = NULL;
	size_t idx;

	*used = 0;
	if (*cursor == 0) {
		*used = emit_head(n, buf, cap);
		*cursor = 1;
	}
	if (!n->nat)
		return true;
	for (idx = *cursor - 1; idx < n->active.n_fwd; idx++, (*cursor)++) {
		char fw[64];

		uwg_nat_conf_format_fwd(&n->active.fwd[idx], fw, sizeof(fw));
		if (!uwg_text_line(buf, cap, used, "nat_forward=%s\n", fw))
			return false;
	}
	/* Maps: skip the ones earlier chunks wrote (the table is stable during a reply). */
	idx -= n->active.n_fwd;
	for (size_t i = 0; (m = uwg_nat_map_next(n->nat, m)); i++) {
		char desc[UWG_NAT_DESC_MAX], ip[INET_ADDRSTRLEN];
		struct in_addr a = { htonl(m->int_addr) };
		uint64_t now = uv_hrtime();

		if (i < idx)
			continue;
		inet_ntop(AF_INET, &a, ip, sizeof(ip));
		clean_desc(m->desc, desc, sizeof(desc));
		if (!uwg_text_line(buf, cap, used, "nat_map=%s:%u:%s:%u:%" PRIu64 ":%s\n",
			  m->proto == IPPROTO_TCP ? "tcp" : "udp", m->ext_port, ip, m->int_port,
			  m->expires_ns ? (m->expires_ns > now ?
						   (m->expires_ns - now) / 1000000000u : 0) : 0,
			  desc))
			return false;
		(*cursor)++;
	}
	return true;
}

void uwg_natd_uapi_hooks(struct uwg_natd *n, struct uwg_uapi_io *io)
{
	io->ext_ctx = n;
	io->ext_begin = ext_begin;
	io->ext_set = ext_set;
	io->ext_end = ext_end;
	io->ext_emit = ext_emit;
}

/* ---- lifecycle ---- */

int uwg_natd_new(struct uwg_natd **out, const struct uwg_natd_env *env)
{
	struct uwg_natd *n = calloc(1, sizeof(*n));

	*out = NULL;
	if (!n)
		return -ENOMEM;
	n->scratch = malloc(65535);
	if (!n->scratch) {
		free(n);
		return -ENOMEM;
	}
	n->env = *env;
	n->raw_fd = n->mtu_fd = -1;
	uwg_pktq_init(&n->deferred);
	n->lim.burst = 5;
	n->lim.interval_ns = 10ull * 1000000000u;
	uwg_random_bytes(&n->ip_id, sizeof(n->ip_id));
	uv_timer_init(env->uv, &n->timer);
	n->timer.data = n;
	*out = n;
	return 0;
}

static void timer_closed(uv_handle_t *h)
{
	struct uwg_natd *n = h->data;

	free(n->scratch);
	free(n);
}

void uwg_natd_free(struct uwg_natd *n)
{
	if (!n)
		return;
	teardown(n);
	uwg_nat_settings_free(&n->staged);
	uv_close((uv_handle_t *)&n->timer, timer_closed);
}
