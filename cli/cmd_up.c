/*
 * cli/cmd_up.c - `uwg up CONFIG|IFNAME`: wg-quick's up sequence with no
 * external tools. Starts the daemon (this binary as `uwg IFNAME`, or
 * $UWG_DAEMON), runs PreUp, applies the device config over UAPI, then
 * addresses, MTU and link up, DNS, routes and the fwmark default-route policy
 * through netlink, then PostUp. With Namespace = NAME, the interface is moved
 * into that namespace (created if missing) right after the daemon made it, and
 * everything after happens inside it, with a plain default route instead of
 * the fwmark policy (the daemon's socket stays here). Every change is recorded in the state file as
 * it is made; any failure (or Ctrl-C) undoes all of them. Main thread only.
 */
#include "cli/cmd_main.h"
#include "cli/commands.h"

#include <errno.h>
#include <netinet/in.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <linux/capability.h>
#include <unistd.h>

#include "cli/cmd_quick.h"
#include "cli/uapi_client.h"
#include "crypto/crypto.h"
#include "crypto/ct.h"
#include "tun/caps.h"
#include "tun/steer.h"

enum { DEFAULT_TABLE = 51820 };

struct up {
	struct uwg_quick q;
	struct uwg_netlink *nl;    /* where the interface is: inside q.netns once moved */
	struct uwg_netlink *outer; /* where uwg up runs and the daemon's socket lives; NULL = nl */
	struct uwg_quick_state state;
	int ifindex;
	uint32_t table;     /* fwmark table of the default-route policy, 0 until chosen */
	bool v4_default;
};

static struct uwg_netlink *outer_nl(const struct up *u)
{
	return u->outer ? u->outer : u->nl;
}

/* "-n NAME " for traces of what is done inside the Namespace, else "". */
static const char *ipn(const struct up *u)
{
	static char buf[UWG_NETNS_NAME_MAX + 8];

	if (!u->outer)
		return "";
	snprintf(buf, sizeof(buf), "-n %s ", u->q.netns);
	return buf;
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/* Says which capability is missing before anything is changed, as wg says "Permission denied". */
static bool missing_capabilities(const struct uwg_quick *q)
{
	if (!uwg_tun_have_cap(CAP_NET_ADMIN)) {
		fprintf(stderr, "uwg up: %s: Permission denied (an interface needs CAP_NET_ADMIN: run "
			"as root)\n", q->ifname);
		return true;
	}
	if (q->conf.netns && !uwg_tun_have_cap(CAP_SYS_ADMIN)) {
		fprintf(stderr, "uwg up: %s: Permission denied (Namespace needs CAP_SYS_ADMIN as "
			"well)\n", q->path);
		return true;
	}
	if (q->conf.nat.enable && !uwg_tun_have_cap(CAP_NET_RAW)) {
		fprintf(stderr, "uwg up: %s: Permission denied (Masquerade, PortForward and UPnP "
			"need CAP_NET_RAW as well)\n", q->path);
		return true;
	}
	return false;
}

static int start_daemon(struct up *u)
{
	const char *env = getenv("UWG_DAEMON");
	char self[PATH_MAX], ifname[UWG_CONF_IFNAME_MAX + 1];
	char *argv[3] = { self, ifname, NULL };
	int ret;

	snprintf(ifname, sizeof(ifname), "%s", u->q.ifname);
	if (env && *env) {
		snprintf(self, sizeof(self), "%s", env);
		uwg_quick_trace("%s %s", self, ifname);
	} else {
		ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);

		if (n <= 0)
			snprintf(self, sizeof(self), "/proc/self/exe");
		else
			self[n] = '\0';
		uwg_quick_trace("uwg %s", ifname);
	}
	ret = uwg_quick_run(argv, NULL);
	if (ret) {
		fprintf(stderr, "uwg up: the daemon `%s %s' failed (%s %d)\n", self, ifname,
			ret < 0 ? "error" : "exit status", ret < 0 ? -ret : ret);
		return -1;
	}
	/* The daemon returns once TUN and socket exist; allow for one that returns early. */
	for (int i = 0; i < 250; i++) {
		u->ifindex = uwg_netlink_link_index(u->nl, ifname);
		if (u->ifindex > 0 && uwg_uapi_client_exists(ifname))
			return 0;
		sleep_ms(20);
	}
	fprintf(stderr, "uwg up: the daemon did not create %s and %s/%s.sock\n", ifname,
		UWG_UAPI_CLIENT_DIR, ifname);
	return -1;
}

static int apply_device(struct up *u)
{
	struct uwg_conf *c = &u->q.conf;
	unsigned saved = c->flags;
	int err;

	uwg_quick_trace("uwg addconf %s <(uwg strip %s)   # %zu peer%s, over the UAPI socket",
			u->q.ifname, u->q.path, c->n_peers, c->n_peers == 1 ? "" : "s");
	c->flags &= ~UWG_DEV_REPLACE_PEERS;
	err = uwg_uapi_client_set(u->q.ifname, c);
	c->flags = saved;
	if (err) {
		fprintf(stderr, "uwg up: the daemon refused the configuration of %s: %s\n",
			u->q.ifname, strerror(-err));
		return -1;
	}
	return 0;
}

/* A set request of uwg's own keys (NULL: it could not be made); frees it. */
static int send_set(const char *ifname, char *req, size_t len)
{
	int err;

	if (!req)
		return -ENOMEM;
	err = uwg_uapi_client_set_text(ifname, req, len);
	free(req);
	return err;
}

/* uwg's NAT (cli/uapi/nat_conf.h): its nat_* keys, once the MTU it clamps to is set. */
static int apply_nat(struct up *u)
{
	const struct uwg_nat_settings *s = &u->q.conf.nat;
	size_t len = 0;
	char *req;
	int err;

	if (!s->enable)
		return 0;
	/* A comment, not a command: no tool but the UAPI socket sets these (as syncconf does). */
	uwg_quick_trace("# NAT on %s: Masquerade %s, %zu PortForward%s (nat_* keys over the "
			"UAPI socket)", u->q.ifname, s->masquerade ? "on" : "off", s->n_fwd,
			s->n_fwd == 1 ? "" : "s");
	req = uwg_nat_conf_format_set(s, &len);
	err = send_set(u->q.ifname, req, len);
	if (err) {
		fprintf(stderr, "uwg up: the daemon refused the NAT configuration of %s: %s (its "
			"log names the cause)\n", u->q.ifname, strerror(-err));
		return -1;
	}
	return 0;
}

/* The tunnel network from the first IPv4 Address, then the checks that need no daemon. */
static int check_nat(struct up *u)
{
	struct uwg_conf *c = &u->q.conf;
	char err[UWG_CONF_ERR_LEN];

	if (!c->nat.enable)
		return 0;
	uwg_conf_nat_inside(c);
	if (uwg_nat_conf_check(&c->nat, c->listen_port, NULL, u->q.path, err, sizeof(err))) {
		fprintf(stderr, "%s\n", err);
		return -1;
	}
	return 0;
}

/* The UPnP IGD (cli/uapi/igd_conf.h): its upnp* keys, after the NAT it maps ports in. */
static int apply_upnp(struct up *u)
{
	const struct uwg_igd_settings *s = &u->q.conf.igd;
	size_t len = 0;
	char *req;
	int err;

	if (!s->enable)
		return 0;
	uwg_quick_trace("# UPnP IGD on %s: %u maps per peer, %zu rule%s (upnp* keys over the "
			"UAPI socket)", u->q.ifname,
			s->max_per_peer ? s->max_per_peer : UWG_IGD_DEFAULT_PER_CLIENT, s->n_rules,
			s->n_rules == 1 ? "" : "s");
	req = uwg_igd_conf_format_set(s, &len);
	err = send_set(u->q.ifname, req, len);
	if (err) {
		fprintf(stderr, "uwg up: the daemon refused the UPnP configuration of %s: %s\n",
			u->q.ifname, strerror(-err));
		return -1;
	}
	return 0;
}

/* The IPv6 firewall (cli/uapi/fw_conf.h): its fw6_* keys, before any peer's traffic flows. */
static int apply_fw(struct up *u)
{
	const struct uwg_fw_settings *s = &u->q.conf.fw;
	size_t len = 0;
	char *req;
	int err;

	if (!uwg_fw_settings_active(s))
		return 0;
	uwg_quick_trace("# IPv6 firewall on %s: %s, %zu peer%s excepted (fw6_* keys over the "
			"UAPI socket)", u->q.ifname, s->enable ? "on" : "off", s->n_except,
			s->n_except == 1 ? "" : "s");
	req = uwg_fw_conf_format_set(s, &len);
	err = send_set(u->q.ifname, req, len);
	if (err) {
		fprintf(stderr, "uwg up: the daemon refused the IPv6 firewall configuration of %s: %s\n",
			u->q.ifname, strerror(-err));
		return -1;
	}
	return 0;
}

static int check_upnp(struct up *u)
{
	struct uwg_conf *c = &u->q.conf;
	char err[UWG_CONF_ERR_LEN];
	bool v4 = false;

	for (size_t i = 0; i < c->n_addrs; i++)
		v4 |= c->addrs[i].family == AF_INET;
	if (uwg_igd_conf_check(&c->igd, v4, u->q.path, err, sizeof(err))) {
		fprintf(stderr, "%s\n", err);
		return -1;
	}
	return 0;
}

static int set_fwmark(struct up *u, uint32_t mark)
{
	struct uwg_conf c;
	int err;

	uwg_conf_init(&c);
	c.flags = UWG_DEV_HAS_FWMARK;
	c.fwmark = mark;
	uwg_quick_trace("uwg set %s fwmark %u", u->q.ifname, mark);
	err = uwg_uapi_client_set(u->q.ifname, &c);
	if (err)
		fprintf(stderr, "uwg up: cannot set fwmark %u on %s: %s\n", mark, u->q.ifname,
			strerror(-err));
	return err ? -1 : 0;
}

static int add_addresses(struct up *u)
{
	const struct uwg_conf *c = &u->q.conf;

	for (size_t i = 0; i < c->n_addrs; i++) {
		char a[UWG_IP_PREFIX_STRLEN];
		int err;

		uwg_ip_prefix_format(&c->addrs[i], a, sizeof(a));
		uwg_quick_trace("ip %s-%d address add %s dev %s", ipn(u),
				c->addrs[i].family == AF_INET6 ? 6 : 4, a, u->q.ifname);
		err = uwg_netlink_addr_add(u->nl, u->ifindex, &c->addrs[i]);
		if (err && err != -EEXIST) {
			fprintf(stderr, "uwg up: cannot add address %s to %s: %s\n", a, u->q.ifname,
				strerror(-err));
			return -1;
		}
	}
	return 0;
}

/* MTU of the route to addr: its mtu metric, else its device's MTU; 0 if unknown. */
static uint32_t path_mtu(struct up *u, int oif, uint32_t metric)
{
	uint32_t mtu = 0;

	if (metric)
		return metric;
	if (oif > 0 && uwg_netlink_link_mtu(outer_nl(u), oif, &mtu))
		mtu = 0;
	return mtu;
}

static uint32_t auto_mtu(struct up *u)
{
	const struct uwg_conf *c = &u->q.conf;
	uint32_t mtu = 0, m, metric;
	int oif;

	for (size_t i = 0; i < c->n_peers; i++) {
		const struct sockaddr_storage *ss = &c->peers[i].endpoint;
		struct uwg_ip_prefix a = { .family = ss->ss_family };

		if (ss->ss_family == AF_INET)
			memcpy(a.addr, &((const struct sockaddr_in *)ss)->sin_addr, 4);
		else if (ss->ss_family == AF_INET6)
			memcpy(a.addr, &((const struct sockaddr_in6 *)ss)->sin6_addr, 16);
		else
			continue;
		if (uwg_netlink_route_get(outer_nl(u), &a, &oif, &metric))
			continue;
		m = path_mtu(u, oif, metric);
		if (m && (!mtu || m < mtu))
			mtu = m;
	}
	if (!mtu && !uwg_netlink_route_default(outer_nl(u), AF_INET, &oif, &metric))
		mtu = path_mtu(u, oif, metric);
	if (!mtu)
		mtu = 1500;
	return mtu > 80 + 68 ? mtu - 80 : 68;
}

static int set_mtu_up(struct up *u)
{
	uint32_t mtu = u->q.conf.mtu ? u->q.conf.mtu : auto_mtu(u);
	int err;

	uwg_quick_trace("ip %slink set mtu %u up dev %s", ipn(u), mtu, u->q.ifname);
	err = uwg_netlink_link_set_mtu_up(u->nl, u->ifindex, mtu);
	if (err) {
		fprintf(stderr, "uwg up: cannot set MTU %u and bring %s up: %s\n", mtu, u->q.ifname,
			strerror(-err));
		return -1;
	}
	return 0;
}

static int add_route(struct up *u, const struct uwg_ip_prefix *p, uint32_t table)
{
	struct uwg_quick_item it = { .kind = UWG_ITEM_ROUTE };
	char buf[256];
	int err;

	it.route.dst = *p;
	it.route.ifindex = u->ifindex;
	it.route.table = table;
	/* Gateway: a default route names the server, for clients that look for "the gateway" */
	if (p->len == 0)
		it.route.gw = p->family == AF_INET ? u->q.conf.gw4 : u->q.conf.gw6;
	it.inner = u->outer != NULL;
	uwg_quick_describe_route(&it.route, u->q.ifname, it.inner ? u->q.netns : NULL, true, buf,
				 sizeof(buf));
	uwg_quick_trace("%s", buf);
	err = uwg_netlink_route_add(u->nl, &it.route);
	if (err) {
		fprintf(stderr, "uwg up: %s: %s\n", buf, strerror(-err));
		return -1;
	}
	err = uwg_quick_state_add(&u->state, &it);
	if (err) {
		fprintf(stderr, "uwg up: cannot record state: %s\n", strerror(-err));
		uwg_netlink_route_del(u->nl, &it.route);
		return -1;
	}
	return 0;
}

static int add_rule(struct up *u, int family, uint32_t table, uint32_t fwmark, bool invert,
		    int suppress)
{
	struct uwg_quick_item it = { .kind = UWG_ITEM_RULE };
	char buf[256];
	int err;

	it.rule.family = family;
	it.rule.table = table;
	it.rule.fwmark = fwmark;
	it.rule.invert = invert;
	it.rule.suppress_prefixlen = suppress;
	err = uwg_netlink_rule_add(u->nl, &it.rule);
	uwg_quick_describe_rule(&it.rule, true, buf, sizeof(buf));
	uwg_quick_trace("%s", buf);
	if (err) {
		fprintf(stderr, "uwg up: %s: %s\n", buf, strerror(-err));
		return -1;
	}
	err = uwg_quick_state_add(&u->state, &it);
	if (err) {
		fprintf(stderr, "uwg up: cannot record state: %s\n", strerror(-err));
		uwg_netlink_rule_del(u->nl, &it.rule);
		return -1;
	}
	return 0;
}

static void src_valid_mark(void)
{
	const char *path = "/proc/sys/net/ipv4/conf/all/src_valid_mark";
	FILE *f = fopen(path, "re");
	int v = -1;

	if (f) {
		if (fscanf(f, "%d", &v) != 1)
			v = -1;
		fclose(f);
	}
	if (v == 1)
		return;
	uwg_quick_trace("sysctl -q net.ipv4.conf.all.src_valid_mark=1");
	f = fopen(path, "we");
	if (!f || fputs("1\n", f) < 0 || fclose(f) != 0) {
		fprintf(stderr, "Warning: cannot set %s: %s\n", path, strerror(errno));
		if (f)
			fclose(f);
	}
}

/* wg-quick's add_default: the tunnel's own packets carry fwmark T and skip table T. */
static int add_default(struct up *u, const struct uwg_ip_prefix *p)
{
	const struct uwg_conf *c = &u->q.conf;

	if (!u->table) {
		if (c->fwmark) {
			u->table = c->fwmark;
		} else {
			uint32_t t = DEFAULT_TABLE;

			while (uwg_netlink_table_used(u->nl, AF_INET, t) > 0 ||
			       uwg_netlink_table_used(u->nl, AF_INET6, t) > 0)
				t++;
			if (set_fwmark(u, t))
				return -1;
			u->table = t;
		}
	}
	if (add_route(u, p, u->table) ||
	    add_rule(u, p->family, u->table, u->table, true, -1) ||
	    add_rule(u, p->family, 254, 0, false, 0))
		return -1;
	if (p->family == AF_INET)
		src_valid_mark();
	return 0;
}

static int cmp_prefix(const void *a, const void *b)
{
	const struct uwg_ip_prefix *x = a, *y = b;

	if (x->len != y->len)
		return x->len > y->len ? -1 : 1;
	if (x->family != y->family)
		return x->family == AF_INET6 ? -1 : 1;
	return memcmp(x->addr, y->addr, sizeof(x->addr));
}

static int add_routes(struct up *u)
{
	const struct uwg_conf *c = &u->q.conf;
	struct uwg_ip_prefix *v = NULL;
	size_t n = 0, cap = 0;
	int ret = 0;

	if (c->table == UWG_TABLE_OFF)
		return 0;
	for (size_t i = 0; i < c->n_peers; i++) {
		for (size_t j = 0; j < c->peers[i].n_aips; j++) {
			struct uwg_ip_prefix p = c->peers[i].aips[j].prefix;
			bool dup = false;

			if (c->peers[i].aips[j].remove)
				continue;
			uwg_ip_prefix_mask(&p);
			for (size_t k = 0; k < n && !dup; k++)
				dup = uwg_ip_prefix_equal(&v[k], &p);
			if (dup)
				continue;
			if (n == cap) {
				struct uwg_ip_prefix *nv;

				cap = cap ? cap * 2 : 16;
				nv = realloc(v, cap * sizeof(*v));
				if (!nv) {
					free(v);
					return -1;
				}
				v = nv;
			}
			v[n++] = p;
		}
	}
	qsort(v, n, sizeof(*v), cmp_prefix);
	for (size_t i = 0; i < n && !ret; i++) {
		if (c->table == UWG_TABLE_ID) {
			ret = add_route(u, &v[i], c->table_id);
		} else if (v[i].len == 0 && !u->outer) {
			ret = add_default(u, &v[i]);
		} else {
			int covered = uwg_netlink_route_covered(u->nl, u->ifindex, &v[i]);

			if (covered < 0) {
				fprintf(stderr, "uwg up: cannot read the routing table: %s\n",
					strerror(-covered));
				ret = -1;
			} else if (!covered) {
				ret = add_route(u, &v[i], 254);
			}
		}
	}
	free(v);
	return ret;
}

static int read_int_file(const char *path)
{
	FILE *f = fopen(path, "re");
	int v = -1;

	if (!f)
		return -1;
	if (fscanf(f, "%d", &v) != 1)
		v = -1;
	fclose(f);
	return v;
}

/*
 * A server handing out addresses from a routed IPv6 prefix: peers' prefixes
 * inside one of our own IPv6 Address prefixes. They need forwarding, and a
 * route to each of them that ends in this interface.
 */
static void check_routed_prefix(struct up *u)
{
	const struct uwg_conf *c = &u->q.conf;
	bool need_forwarding = false;
	char a[UWG_IP_PREFIX_STRLEN], inside[UWG_IP_PREFIX_STRLEN] = "";

	for (size_t i = 0; i < c->n_peers; i++) {
		for (size_t j = 0; j < c->peers[i].n_aips; j++) {
			struct uwg_ip_prefix p = c->peers[i].aips[j].prefix;
			bool carved = false;
			int oif = 0;
			uint32_t metric;

			if (p.family != AF_INET6 || p.len == 0 || c->peers[i].aips[j].remove)
				continue;
			for (size_t k = 0; k < c->n_addrs && !carved; k++) {
				struct uwg_ip_prefix net = c->addrs[k];

				if (net.family != AF_INET6 || net.len >= 128 || net.len > p.len)
					continue;
				carved = uwg_ip_prefix_contains(&net, &p);
				if (carved) {
					uwg_ip_prefix_mask(&net);
					uwg_ip_prefix_format(&net, inside, sizeof(inside));
				}
			}
			if (!carved)
				continue;
			need_forwarding = true;
			uwg_ip_addr_format(&p, a, sizeof(a));
			if (uwg_netlink_route_get(u->nl, &p, &oif, &metric) == 0 &&
			    oif == u->ifindex)
				continue;
			if (oif > 0) {
				fprintf(stderr, "Warning: a route lookup for peer address %s does not "
					"lead to %s (interface index %d instead): traffic for that "
					"peer will not enter the tunnel\n", a, u->q.ifname, oif);
			} else {
				fprintf(stderr, "Warning: no route to peer address %s: traffic for "
					"that peer will not enter %s\n", a, u->q.ifname);
			}
		}
	}
	if (need_forwarding && read_int_file("/proc/sys/net/ipv6/conf/all/forwarding") != 1)
		fprintf(stderr, "Warning: IPv6 forwarding is off (net.ipv6.conf.all.forwarding = "
			"0): peers addressed from %s reach this host but are not routed beyond "
			"it. Enable it with: sysctl -w net.ipv6.conf.all.forwarding=1\n", inside);
}

/* `ip netns add NAME` unless it exists; recorded either way, so down knows where to look. */
static int make_netns(struct up *u)
{
	struct uwg_quick_item it = { .kind = UWG_ITEM_NETNS };
	int err;

	snprintf(it.name, sizeof(it.name), "%s", u->q.netns);
	if (!uwg_tun_netns_exists(u->q.netns)) {
		uwg_quick_trace("ip netns add %s", u->q.netns);
		err = uwg_tun_netns_create(u->q.netns);
		if (err) {
			fprintf(stderr, "uwg up: cannot create namespace %s: %s\n", u->q.netns,
				strerror(-err));
			return -1;
		}
		it.made = 1;
	}
	err = uwg_quick_state_add(&u->state, &it);
	if (err) {
		fprintf(stderr, "uwg up: cannot record state: %s\n", strerror(-err));
		if (it.made)
			uwg_tun_netns_delete(u->q.netns);
		return -1;
	}
	return 0;
}

/*
 * The interface goes into the namespace; the daemon and its UDP socket stay
 * here (it follows the move: docs/architecture.md). From now on u->nl works
 * inside.
 */
static int move_link(struct up *u)
{
	struct uwg_netlink *inner = NULL;
	int fd, err;

	uwg_quick_trace("ip link set dev %s netns %s", u->q.ifname, u->q.netns);
	fd = uwg_tun_netns_open(u->q.netns);
	err = fd < 0 ? fd : uwg_netlink_link_set_netns(u->nl, u->ifindex, fd);
	if (fd >= 0)
		close(fd);
	if (!err)
		err = uwg_tun_netns_netlink(u->q.netns, &inner);
	if (err) {
		fprintf(stderr, "uwg up: cannot move %s into namespace %s: %s\n", u->q.ifname,
			u->q.netns, strerror(-err));
		return -1;
	}
	u->outer = u->nl;
	u->nl = inner;
	u->ifindex = uwg_netlink_link_index(u->nl, u->q.ifname);
	if (u->ifindex <= 0) {
		fprintf(stderr, "uwg up: %s is not in namespace %s after the move\n", u->q.ifname,
			u->q.netns);
		return -1;
	}
	return 0;
}

static int bring_up(struct up *u)
{
	struct uwg_quick_item link = { .kind = UWG_ITEM_LINK };

	if (u->q.netns[0] && make_netns(u))
		return -1;
	snprintf(link.name, sizeof(link.name), "%s", u->q.ifname);
	if (uwg_quick_state_add(&u->state, &link)) {
		fprintf(stderr, "uwg up: cannot write %s/%s.state: %s\n", UWG_QUICK_STATE_DIR,
			u->q.ifname, strerror(errno));
		return -1;
	}
	if (start_daemon(u) || uwg_quick_interrupted())
		return -1;
	if (u->q.netns[0] && move_link(u))
		return -1;
	if (uwg_quick_hooks(&u->q, UWG_HOOK_PRE_UP) || uwg_quick_interrupted())
		return -1;
	if (apply_fw(u) || apply_device(u) || add_addresses(u) || set_mtu_up(u) || apply_nat(u) ||
	    apply_upnp(u) || uwg_quick_interrupted())
		return -1;
	if (uwg_quick_dns_set(&u->q, &u->state) || add_routes(u) || uwg_quick_interrupted())
		return -1;
	if (!u->outer)
		check_routed_prefix(u);
	if (uwg_quick_hooks(&u->q, UWG_HOOK_POST_UP) || uwg_quick_interrupted())
		return -1;
	return 0;
}

/* True if namespace netns exists and holds an interface called ifname. */
static bool in_netns(const char *netns, const char *ifname)
{
	struct uwg_netlink *nl = uwg_quick_netns_netlink(netns);
	bool found;

	if (!nl)
		return false;
	found = uwg_netlink_link_index(nl, ifname) > 0;
	uwg_netlink_close(nl);
	return found;
}

int uwg_cmd_up_main(int argc, char **argv)
{
	struct up u;
	struct uwg_quick_state stale;
	char err[UWG_CONF_ERR_LEN];
	int ret;

	memset(&u, 0, sizeof(u));
	if (argc == 4 && !strcmp(argv[1], "--log-file") && argv[2][0]) {
		/* The daemon is our child and reads it from there (cli/daemon/daemon.c). */
		if (setenv("UWG_LOG_FILE", argv[2], 1) < 0) {
			perror("uwg up: setenv");
			return 1;
		}
		argv[2] = argv[0];
		argv += 2;
		argc -= 2;
	}
	if (argc != 2) {
		uwg_subcommand_usage(stderr, argv[0]);
		return 1;
	}
	if (uwg_crypto_init() < 0) {
		fprintf(stderr, "uwg up: cannot initialise the crypto library\n");
		return 1;
	}
	if (uwg_quick_load(&u.q, argv[1], "up"))
		return 1;
	if (missing_capabilities(&u.q)) {
		uwg_quick_free(&u.q);
		return 1;
	}
	ret = uwg_netlink_open(&u.nl);
	if (ret) {
		fprintf(stderr, "uwg up: cannot open rtnetlink: %s\n", strerror(-ret));
		uwg_quick_free(&u.q);
		return 1;
	}
	if (u.q.conf.netns)
		snprintf(u.q.netns, sizeof(u.q.netns), "%s", u.q.conf.netns);
	if (uwg_netlink_link_index(u.nl, u.q.ifname) > 0 || uwg_uapi_client_exists(u.q.ifname) ||
	    in_netns(u.q.netns, u.q.ifname)) {
		fprintf(stderr, "uwg up: `%s' already exists\n", u.q.ifname);
		goto fail;
	}
	if (uwg_quick_state_load(&stale, u.q.ifname) == 0) {
		uwg_quick_trace("removing what an earlier `uwg up %s' left behind", u.q.ifname);
		uwg_quick_state_undo(&stale, u.nl);
		if (u.q.conf.nat.enable) {
			char wan[UWG_NAT_IFNAME_MAX + 1];

			if (!uwg_quick_nat_flush_stale(&u.q.conf.nat, wan))
				uwg_quick_trace("tc filter del dev %s ingress pref %u-%u   # NAT "
						"steering of the crashed daemon", wan,
						UWG_STEER_PRIO_BASE,
						UWG_STEER_PRIO_BASE + UWG_STEER_PRIO_COUNT - 1);
		}
	}
	uwg_quick_state_free(&stale);
	if (check_nat(&u) || check_upnp(&u))
		goto fail;
	if (uwg_conf_resolve_endpoints(&u.q.conf, u.q.path, err, sizeof(err))) {
		fprintf(stderr, "%s\n", err);
		goto fail;
	}
	uwg_quick_block_signals();
	uwg_quick_state_init(&u.state, u.q.ifname);
	if (bring_up(&u)) {
		fprintf(stderr, "uwg up: %s failed; undoing what was done\n", u.q.ifname);
		uwg_quick_state_undo(&u.state, outer_nl(&u));
		uwg_quick_state_free(&u.state);
		goto fail;
	}
	uwg_quick_state_free(&u.state);
	uwg_netlink_close(u.outer);
	uwg_netlink_close(u.nl);
	uwg_quick_free(&u.q);
	return 0;
fail:
	uwg_netlink_close(u.outer);
	uwg_netlink_close(u.nl);
	uwg_quick_free(&u.q);
	return 1;
}
