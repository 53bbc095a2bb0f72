/*
 * cli/daemon/igd_glue.c - the daemon's UPnP IGD (see igd_glue.h): starts and stops
 * the IGD (igd/igd.h) from a one-second tick, implements struct uwg_igd_ops on
 * the NAT table (maps owned by the requesting peer, each with its tc filters
 * and placeholder sockets), sweeps maps whose lease ran out or whose peer no
 * longer holds the address, and chains the UAPI ext_* hooks in front of the
 * NAT's. Loop thread only (the IGD calls its ops there too).
 */
#include "cli/daemon/igd_glue.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "cli/uapi/igd_conf.h"
#include "cli/uapi/text.h"
#include "cli/daemon/fw_glue.h"
#include "cli/daemon/log.h"
#include "cli/daemon/nat_glue.h"
#include "core/ip/fw6.h"
#include "core/ip/nat.h"
#include "core/wg.h"
#include "crypto/blake2s.h"
#include "crypto/ct.h"
#include "crypto/encoding.h"
#include "igd/igd.h"
#include "tun/link_flags.h"
#include "tun/netlink.h"
#include "tun/steer.h"
#include "tun/tun.h"

enum {
	MAX_MAPS = UWG_NAT_DEFAULT_MAX_MAPS,
};

/* The high bit of the shared "nat=1" reply cursor: our part of the reply. */
#define CURSOR_OURS ((size_t)1 << (sizeof(size_t) * 8 - 1))

/* One map the IGD put into the NAT table, with what makes it reachable. */
struct igd_map {
	uint8_t proto;
	uint16_t ext_port;
	uint64_t owner;
	uint8_t owner_key[32];      /* the peer's public key (lease file, map lines) */
	uint16_t prio_l4, prio_err; /* 0 = none */
	int fd;                     /* placeholder socket, -1 = none */
	uint8_t origin;             /* enum uwg_igd_origin */
};

struct uwg_igdd {
	struct uwg_igdd_env env;
	uv_timer_t tick;

	/* The NAT's UAPI hooks, which ours wrap. */
	struct uwg_uapi_io nat_io;

	/* Staged by one set request's upnp* lines, applied at its end. */
	struct uwg_igd_settings staged;
	bool staging;
	struct uwg_igd_settings active;

	struct uwg_igd *igd;
	struct in_addr igd_addr; /* the tunnel address it listens on */
	struct in_addr announced; /* the external address NAT-PMP/PCP clients were last told */
	char url[128];
	char url6[128]; /* the IPv6 description URL, "" without IPv6 */
	int last_err;            /* the last start failure logged (so it is said once) */

	/* A copy of the NAT's view taken at each op (the table may be rebuilt between). */
	struct uwg_natd_view nat;
	struct igd_map maps[MAX_MAPS];
	size_t n_maps;
	struct uwg_log_limit lim;

	/* Maps read from the lease file at start, restored once UPnP and the NAT run. */
	struct uwg_lease *pending;
	size_t n_pending;
	const char *pending_from; /* "the lease file", or the NAT before a rebuild */
	bool restored;  /* until then the file is not written (it still holds them) */
	bool save_pending; /* a pinhole went by itself: rewrite the file on the next tick */
	int64_t epoch_origin;    /* when the map table started (wall clock): NAT-PMP's epoch */
	struct uwg_igd_stats totals; /* counters of the IGDs stopped so far */
};

static void save(struct uwg_igdd *g);

static const char *const origin_names[] = { "upnp", "natpmp", "pcp", "static" };

static const char *origin_name(uint8_t origin)
{
	return origin < sizeof(origin_names) / sizeof(origin_names[0]) ? origin_names[origin]
								       : "upnp";
}

/* A lease file's origin word; an unknown one (a newer uwg's) counts as UPnP. */
static uint8_t origin_parse(const char *name)
{
	for (uint8_t i = 0; i < UWG_IGD_ORIGIN_STATIC; i++)
		if (!strcmp(name, origin_names[i]))
			return i;
	return UWG_IGD_ORIGIN_UPNP;
}
static void stats_now(const struct uwg_igdd *g, struct uwg_igd_stats *out);

/* ---- owners ---- */

/* A peer's identity as the NAT's owner tag (the firewall's too). */
static uint64_t owner_of(const struct uwg_peer *peer)
{
	return uwg_fwd_owner_of(peer);
}

static struct uwg_peer *peer_of(struct uwg_igdd *g, uint32_t addr_h)
{
	uint8_t a[4] = { (uint8_t)(addr_h >> 24), (uint8_t)(addr_h >> 16), (uint8_t)(addr_h >> 8),
			 (uint8_t)addr_h };

	return uwg_wg_peer_for_addr(g->env.wg, AF_INET, a);
}

/* The owner tag of the peer holding addr, 0 if none does. */
static uint64_t owner_for_addr(struct uwg_igdd *g, uint32_t addr_h)
{
	struct uwg_peer *p = peer_of(g, addr_h);

	return p ? owner_of(p) : 0;
}

/* ---- our maps ---- */

static bool nat_live(struct uwg_igdd *g)
{
	return g->env.natd && uwg_natd_get_view(g->env.natd, &g->nat) && g->nat.nat;
}

static struct igd_map *find_map(struct uwg_igdd *g, uint8_t proto, uint16_t port)
{
	for (size_t i = 0; i < g->n_maps; i++)
		if (g->maps[i].proto == proto && g->maps[i].ext_port == port)
			return &g->maps[i];
	return NULL;
}

/* Removes filters and socket of m (not the table entry) and forgets it. */
static void forget_map(struct uwg_igdd *g, struct igd_map *m)
{
	if (g->nat.steer && m->prio_l4)
		uwg_steer_del(g->nat.steer, m->prio_l4);
	if (g->nat.steer && m->prio_err)
		uwg_steer_del(g->nat.steer, m->prio_err);
	if (m->fd >= 0)
		close(m->fd);
	*m = g->maps[--g->n_maps];
}

/* The NAT was rebuilt or stopped: its table and filters went with it. */
static void forget_all(struct uwg_igdd *g)
{
	for (size_t i = 0; i < g->n_maps; i++)
		if (g->maps[i].fd >= 0)
			close(g->maps[i].fd);
	g->n_maps = 0;
}

/* Table entry and everything else of m. */
static void drop_map(struct uwg_igdd *g, struct igd_map *m, const char *why)
{
	char name[UWG_LOG_PEER_LEN];

	uwg_log_peer_name(name, m->owner_key);
	uwg_log_info("UPnP: %s map %u of %s removed (%s)", m->proto == IPPROTO_TCP ? "TCP" : "UDP",
		     m->ext_port, name, why);
	uwg_nat_map_del(g->nat.nat, m->proto, m->ext_port, m->owner);
	forget_map(g, m);
}

/*
 * Every tick and after every set request: maps whose lease ran out (the
 * NAT's timer removes the entry, we remove what made it reachable), and
 * maps whose address is no longer its owner's (peer removed, key changed,
 * AllowedIPs moved).
 */
static void sweep(struct uwg_igdd *g)
{
	uint64_t now = uv_hrtime();
	size_t before = g->n_maps;

	if (!nat_live(g)) {
		forget_all(g);
		return;
	}
	for (size_t i = 0; i < g->n_maps;) {
		struct igd_map *m = &g->maps[i];
		const struct uwg_nat_map *nm = uwg_nat_map_find(g->nat.nat, m->proto, m->ext_port,
								now);

		if (!nm || nm->owner != m->owner) {
			char name[UWG_LOG_PEER_LEN];

			uwg_log_peer_name(name, m->owner_key);
			uwg_log_info("UPnP: %s map %u of %s expired", m->proto == IPPROTO_TCP ?
				     "TCP" : "UDP", m->ext_port, name);
			if (nm == NULL)
				uwg_nat_map_del(g->nat.nat, m->proto, m->ext_port, m->owner);
			forget_map(g, m);
			continue;
		}
		if (owner_for_addr(g, nm->int_addr) != m->owner) {
			drop_map(g, m, "its peer no longer holds the address");
			continue;
		}
		i++;
	}
	if (g->n_maps != before)
		save(g);
}

/* ---- the lease file ---- */

static int64_t wall_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ts.tv_sec;
}

/*
 * Writes every live map to the lease file, remaining leases as wall-clock
 * deadlines. Not before the maps read at start were restored: until then
 * the file is their only copy.
 */
/* The firewall's table while it runs, else NULL. */
static struct uwg_fw6 *fw_table(struct uwg_igdd *g)
{
	return g->env.fwd ? uwg_fwd_table(g->env.fwd) : NULL;
}

/* Room snapshot() needs with pinholes: the maps and the live pinholes. */
static size_t snapshot_room(struct uwg_igdd *g)
{
	struct uwg_fw6 *fw = fw_table(g);

	return g->n_maps + (fw ? uwg_fw6_get_stats(fw)->pinholes_active : 0) + 1;
}

/* The live pinholes as lease entries, after n, up to room; the new count. */
static size_t snapshot_pinholes(struct uwg_igdd *g, struct uwg_lease *v, size_t n, size_t room)
{
	struct uwg_fw6 *fw = fw_table(g);
	struct uwg_fw6_pinhole ph;
	uint64_t now = uv_hrtime();
	int64_t wall = wall_now();
	uint32_t cursor = 0;

	while (fw && n < room && uwg_fw6_pinhole_next(fw, &cursor, now, &ph)) {
		struct uwg_peer *p = uwg_wg_peer_for_addr(g->env.wg, AF_INET6, ph.int_addr);
		struct uwg_lease *e = &v[n];

		if (!p || owner_of(p) != ph.owner)
			continue;
		memset(e, 0, sizeof(*e));
		e->pinhole = true;
		snprintf(e->origin, sizeof(e->origin), "%s", origin_name(ph.origin));
		e->proto = ph.proto;
		memcpy(e->int6, ph.int_addr, 16);
		e->int_port = ph.int_port;
		memcpy(e->rem6, ph.rem_addr, 16);
		e->rem_port = ph.rem_port;
		memcpy(e->owner, uwg_peer_public_key(p), sizeof(e->owner));
		e->expires = wall + (int64_t)((ph.expires_ns > now ? ph.expires_ns - now : 0) /
					      1000000000u) + 1;
		snprintf(e->desc, sizeof(e->desc), "%s", ph.desc);
		n++;
	}
	return n;
}

/* The live maps as lease entries (v has room for g->n_maps); how many. */
static size_t snapshot(struct uwg_igdd *g, struct uwg_lease *v)
{
	uint64_t now = uv_hrtime();
	int64_t wall = wall_now();
	size_t n = 0;

	for (size_t i = 0; nat_live(g) && i < g->n_maps; i++) {
		const struct uwg_nat_map *nm = uwg_nat_map_find(g->nat.nat, g->maps[i].proto,
								g->maps[i].ext_port, now);
		struct uwg_lease *e = &v[n];

		if (!nm)
			continue;
		snprintf(e->origin, sizeof(e->origin), "%s", origin_name(g->maps[i].origin));
		e->proto = nm->proto;
		e->ext_port = nm->ext_port;
		e->int_addr = nm->int_addr;
		e->int_port = nm->int_port;
		memcpy(e->owner, g->maps[i].owner_key, sizeof(e->owner));
		/* A second at least: a lease about to end must not turn permanent. */
		e->expires = nm->expires_ns ? wall + (int64_t)((nm->expires_ns - now + 999999999u) /
								1000000000u) : 0;
		snprintf(e->desc, sizeof(e->desc), "%s", nm->desc);
		n++;
	}
	return n;
}

/*
 * Writes every live map to the lease file, remaining leases as wall-clock
 * deadlines. Not before the maps read at start (or noted before a NAT
 * rebuild) were restored: until then the file is their only copy.
 */
static void save(struct uwg_igdd *g)
{
	struct uwg_lease *v;
	size_t room;
	int err;

	if (!g->restored || !g->env.leases || g->env.leases->fd < 0)
		return;
	g->env.leases->epoch_origin = g->epoch_origin;
	g->save_pending = false;
	room = snapshot_room(g);
	v = calloc(room, sizeof(*v));
	if (!v)
		return;
	err = uwg_leases_write(g->env.leases, v, snapshot_pinholes(g, v, snapshot(g, v), room));
	free(v);
	if (err)
		uwg_log_limited(&g->lim, uv_hrtime(), UWG_LOG_ERROR,
				"UPnP: cannot write the lease file: %s", strerror(-err));
}

/* ---- the IGD's ops ---- */

static uint32_t h32(struct in_addr a)
{
	return ntohl(a.s_addr);
}

static int nat_err_to_upnp(int err)
{
	switch (err) {
	case 0:
		return 0;
	case -EEXIST:
	case -EADDRINUSE:
		return UWG_IGD_E_CONFLICT;
	case -ERANGE:
		return UWG_IGD_E_CONFLICT_OTHER_MECHANISM;
	case -EINVAL:
		return UWG_IGD_E_NOT_AUTHORIZED;
	case -ENOSPC:
		return UWG_IGD_E_NO_PORT_MAPS_AVAILABLE;
	default:
		return UWG_IGD_E_ACTION_FAILED;
	}
}

static unsigned cap_per_peer(const struct uwg_igdd *g)
{
	return g->active.max_per_peer ? g->active.max_per_peer : UWG_IGD_DEFAULT_PER_CLIENT;
}

static int add_map(struct uwg_igdd *g, const struct uwg_igd_map *map, struct in_addr requester)
{
	struct uwg_peer *peer;
	struct igd_map *m;
	struct uwg_nat_map nm = { 0 };
	uint64_t owner, now = uv_hrtime();
	unsigned held = 0;
	int err, fd = -1;

	if (!nat_live(g))
		return UWG_IGD_E_ACTION_FAILED;
	/* Cryptokey routing vouches for the source: the peer holding it sent the request. */
	/* The internal client may be another address of the same peer (PCP THIRD_PARTY). */
	peer = peer_of(g, h32(requester));
	if (!peer || peer_of(g, h32(map->int_client)) != peer)
		return UWG_IGD_E_NOT_AUTHORIZED;
	owner = owner_of(peer);
	if (map->proto == IPPROTO_UDP && map->ext_port == g->env.listen_port(g->env.ctx))
		return UWG_IGD_E_CONFLICT_OTHER_MECHANISM;
	m = find_map(g, map->proto, map->ext_port);
	if (m && m->owner != owner)
		return UWG_IGD_E_CONFLICT;
	if (!m) {
		for (size_t i = 0; i < g->n_maps; i++)
			held += g->maps[i].owner == owner;
		if (held >= cap_per_peer(g))
			return UWG_IGD_E_NO_PORT_MAPS_AVAILABLE;
		if (g->n_maps >= MAX_MAPS)
			return UWG_IGD_E_NO_PORT_MAPS_AVAILABLE;
		/* Someone else's entry (a PortForward): the table answers 718 below. */
		if (!uwg_nat_map_find(g->nat.nat, map->proto, map->ext_port, now)) {
			/* A host program on the port would lose its traffic to the client. */
			if (uwg_steer_port_in_use(map->proto, 0, map->ext_port) != 0)
				return UWG_IGD_E_CONFLICT_OTHER_MECHANISM;
			fd = uwg_steer_placeholder(map->proto, map->ext_port);
			if (fd < 0)
				return UWG_IGD_E_CONFLICT_OTHER_MECHANISM;
		}
	}
	nm.proto = map->proto;
	nm.ext_port = map->ext_port;
	nm.int_addr = h32(map->int_client);
	nm.int_port = map->int_port;
	nm.owner = owner;
	nm.expires_ns = map->lease_s ? now + (uint64_t)map->lease_s * 1000000000u : 0;
	snprintf(nm.desc, sizeof(nm.desc), "%s", map->desc);
	err = uwg_nat_map_add(g->nat.nat, &nm, now);
	if (err) {
		if (fd >= 0)
			close(fd);
		return nat_err_to_upnp(err);
	}
	if (m) {
		m->origin = map->origin;
		return 0; /* an update: filters and socket stay */
	}

	m = &g->maps[g->n_maps++];
	*m = (struct igd_map){ .proto = map->proto, .ext_port = map->ext_port, .owner = owner,
			       .fd = fd, .origin = map->origin };
	memcpy(m->owner_key, uwg_peer_public_key(peer), sizeof(m->owner_key));
	{
		struct uwg_steer_match l4 = { UWG_STEER_L4, map->proto, map->ext_port, 0xffff };
		struct uwg_steer_match er = { UWG_STEER_ICMP_ERROR, map->proto, map->ext_port,
					      0xffff };

		err = uwg_steer_add(g->nat.steer, &l4, &m->prio_l4);
		if (!err)
			err = uwg_steer_add(g->nat.steer, &er, &m->prio_err);
	}
	if (err) {
		uwg_log_limited(&g->lim, uv_hrtime(), UWG_LOG_ERROR,
				"UPnP: cannot steer %s port %u: %s",
				map->proto == IPPROTO_TCP ? "TCP" : "UDP", map->ext_port,
				strerror(-err));
		uwg_nat_map_del(g->nat.nat, map->proto, map->ext_port, owner);
		forget_map(g, m);
		return err == -ENOSPC ? UWG_IGD_E_NO_PORT_MAPS_AVAILABLE : UWG_IGD_E_ACTION_FAILED;
	}
	return 0;
}

/* "peer(AbCd...wxyz)" of the peer that holds addr, or the address itself. */
static void requester_name(struct uwg_igdd *g, struct in_addr addr, char out[UWG_LOG_PEER_LEN])
{
	struct uwg_peer *peer = peer_of(g, h32(addr));

	if (peer)
		uwg_log_peer_name(out, uwg_peer_public_key(peer));
	else if (!inet_ntop(AF_INET, &addr, out, UWG_LOG_PEER_LEN))
		out[0] = '\0';
}

/* add_map, and a line naming the peer when it worked (refusals: op_refused). */
static int op_add_map(void *ctx, const struct uwg_igd_map *map, struct in_addr requester)
{
	struct uwg_igdd *g = ctx;
	char name[UWG_LOG_PEER_LEN], client[INET_ADDRSTRLEN];
	int code = add_map(g, map, requester);

	if (!code) {
		save(g);
		requester_name(g, requester, name);
		inet_ntop(AF_INET, &map->int_client, client, sizeof(client));
		uwg_log_info("UPnP: %s %u -> %s:%u mapped for %us by %s \"%s\"",
			     map->proto == IPPROTO_TCP ? "TCP" : "UDP", map->ext_port, client,
			     map->int_port, map->lease_s, name, map->desc);
	}
	return code;
}

static void op_refused(void *ctx, const char *action, struct in_addr requester, int code)
{
	char name[UWG_LOG_PEER_LEN];

	requester_name(ctx, requester, name);
	uwg_log_info("UPnP: %s by %s refused: %d %s", action, name, code,
		     uwg_igd_error_str(code));
}

static int op_del_map(void *ctx, uint8_t proto, uint16_t ext_port, struct in_addr requester)
{
	struct uwg_igdd *g = ctx;
	struct igd_map *m;
	uint64_t owner;
	int err;

	if (!nat_live(g))
		return UWG_IGD_E_ACTION_FAILED;
	owner = owner_for_addr(g, h32(requester));
	if (!owner)
		return UWG_IGD_E_NOT_AUTHORIZED;
	err = uwg_nat_map_del(g->nat.nat, proto, ext_port, owner);
	if (err == -ENOENT)
		return UWG_IGD_E_NO_SUCH_ENTRY;
	if (err)
		return UWG_IGD_E_NOT_AUTHORIZED;
	m = find_map(g, proto, ext_port);
	if (m)
		forget_map(g, m);
	save(g);
	{
		char name[UWG_LOG_PEER_LEN];

		requester_name(g, requester, name);
		uwg_log_info("UPnP: %s map %u deleted by %s", proto == IPPROTO_TCP ? "TCP" : "UDP",
			     ext_port, name);
	}
	return 0;
}

static void fill(struct uwg_igdd *g, struct uwg_igd_map *out, const struct uwg_nat_map *m,
		 uint64_t now)
{
	const struct igd_map *ours = find_map(g, m->proto, m->ext_port);

	memset(out, 0, sizeof(*out));
	out->origin = ours ? ours->origin : UWG_IGD_ORIGIN_STATIC;
	out->proto = m->proto;
	out->ext_port = m->ext_port;
	out->int_client.s_addr = htonl(m->int_addr);
	out->int_port = m->int_port;
	out->lease_s = m->expires_ns ?
			       (uint32_t)((m->expires_ns - now + 999999999u) / 1000000000u) : 0;
	if (m->expires_ns && !out->lease_s)
		out->lease_s = 1;
	snprintf(out->desc, sizeof(out->desc), "%.*s", (int)sizeof(out->desc) - 1, m->desc);
}

static int op_get_map(void *ctx, uint8_t proto, uint16_t ext_port, struct uwg_igd_map *out)
{
	struct uwg_igdd *g = ctx;
	uint64_t now = uv_hrtime();
	const struct uwg_nat_map *m;

	if (!nat_live(g))
		return UWG_IGD_E_NO_SUCH_ENTRY;
	m = uwg_nat_map_find(g->nat.nat, proto, ext_port, now);
	if (!m)
		return UWG_IGD_E_NO_SUCH_ENTRY;
	fill(g, out, m, now);
	return 0;
}

static int op_get_map_by_index(void *ctx, uint32_t index, struct uwg_igd_map *out)
{
	struct uwg_igdd *g = ctx;
	uint64_t now = uv_hrtime();
	const struct uwg_nat_map *m = NULL;
	uint32_t i = 0;

	if (!nat_live(g))
		return UWG_IGD_E_ARRAY_INDEX_INVALID;
	while ((m = uwg_nat_map_next(g->nat.nat, m))) {
		if (m->expires_ns && m->expires_ns <= now)
			continue;
		if (i++ == index) {
			fill(g, out, m, now);
			return 0;
		}
	}
	return UWG_IGD_E_ARRAY_INDEX_INVALID;
}

/* ---- IPv6 pinholes, in the firewall's table (cli/daemon/fw_glue.h) ---- */

/* UPnP's numbers for WANIPv6FirewallControl (portmap-protocols.md §3.3). */
enum { E_PINHOLE_SPACE = 701, E_NO_SUCH_PINHOLE = 704 };

static struct uwg_peer *peer_of6(struct uwg_igdd *g, const struct in6_addr *a)
{
	return uwg_wg_peer_for_addr(g->env.wg, AF_INET6, a->s6_addr);
}

static int op_fw_status(void *ctx, bool *enabled, bool *inbound_allowed)
{
	struct uwg_igdd *g = ctx;

	*enabled = g->env.fwd && uwg_fwd_table(g->env.fwd);
	*inbound_allowed = *enabled;
	return 0;
}

/* The firewall table and the requester's owner tag, or 0 (*err set) when either is missing. */
static uint64_t pinhole_owner(struct uwg_igdd *g, struct in6_addr requester, struct uwg_fw6 **fw,
			      int *err)
{
	struct uwg_peer *p = peer_of6(g, &requester);

	*fw = g->env.fwd ? uwg_fwd_table(g->env.fwd) : NULL;
	*err = !*fw ? UWG_IGD_E_ACTION_FAILED : !p ? UWG_IGD_E_NOT_AUTHORIZED : 0;
	return *err ? 0 : owner_of(p);
}

static void pinhole_text(const struct uwg_fw6_pinhole *ph, char *buf, size_t len)
{
	char in[INET6_ADDRSTRLEN], rem[INET6_ADDRSTRLEN];
	bool any = true;

	for (int i = 0; i < 16; i++)
		any &= !ph->rem_addr[i];
	inet_ntop(AF_INET6, ph->int_addr, in, sizeof(in));
	inet_ntop(AF_INET6, ph->rem_addr, rem, sizeof(rem));
	snprintf(buf, len, "%s [%s]:%u from %s%s%s port %u", ph->proto == IPPROTO_TCP ? "TCP" : "UDP",
		 in, ph->int_port, any ? "any host" : "[", any ? "" : rem, any ? "" : "]",
		 ph->rem_port);
}

static int op_add_pinhole(void *ctx, const struct uwg_igd_pinhole *ph, struct in6_addr requester,
			  uint16_t *id)
{
	struct uwg_igdd *g = ctx;
	struct uwg_fw6_pinhole fp = { 0 };
	uint64_t now = uv_hrtime();
	struct uwg_fw6 *fw;
	struct uwg_peer *client;
	char what[160], name[UWG_LOG_PEER_LEN];
	int err;

	fp.owner = pinhole_owner(g, requester, &fw, &err);
	if (err)
		return err;
	client = peer_of6(g, &ph->int_client);
	if (!client || owner_of(client) != fp.owner)
		return UWG_IGD_E_NOT_AUTHORIZED;
	fp.proto = ph->proto;
	memcpy(fp.int_addr, ph->int_client.s6_addr, 16);
	fp.int_port = ph->int_port;
	memcpy(fp.rem_addr, ph->remote_host.s6_addr, 16);
	fp.rem_port = ph->remote_port;
	fp.expires_ns = now + (uint64_t)(ph->lease_s ? ph->lease_s : 1) * 1000000000u;
	fp.origin = ph->origin;
	snprintf(fp.desc, sizeof(fp.desc), "%s", ph->desc);
	err = uwg_fw6_pinhole_add(fw, &fp, now, id);
	if (err)
		return err == -EEXIST ? UWG_IGD_E_NOT_AUTHORIZED :
		       err == -ENOSPC ? E_PINHOLE_SPACE : UWG_IGD_E_ACTION_FAILED;
	pinhole_text(&fp, what, sizeof(what));
	uwg_log_peer_name(name, uwg_peer_public_key(client));
	uwg_log_info("%s: pinhole %u: %s open for %us by %s", origin_name(ph->origin), *id, what,
		     ph->lease_s, name);
	save(g);
	return 0;
}

static int op_update_pinhole(void *ctx, uint16_t id, uint32_t lease_s, struct in6_addr requester)
{
	struct uwg_igdd *g = ctx;
	uint64_t now = uv_hrtime(), owner;
	struct uwg_fw6 *fw;
	int err;

	owner = pinhole_owner(g, requester, &fw, &err);
	if (err)
		return err;
	err = uwg_fw6_pinhole_update(fw, id, owner, now + (uint64_t)lease_s * 1000000000u, now);
	if (!err)
		save(g);
	return !err ? 0 : err == -ENOENT ? E_NO_SUCH_PINHOLE : UWG_IGD_E_NOT_AUTHORIZED;
}

static int op_del_pinhole(void *ctx, uint16_t id, struct in6_addr requester)
{
	struct uwg_igdd *g = ctx;
	uint64_t now = uv_hrtime(), owner;
	struct uwg_fw6 *fw;
	int err;

	owner = pinhole_owner(g, requester, &fw, &err);
	if (err)
		return err;
	err = uwg_fw6_pinhole_del(fw, id, owner, now);
	if (!err) {
		uwg_log_info("pinhole %u closed by its owner", id);
		save(g);
	}
	return !err ? 0 : err == -ENOENT ? E_NO_SUCH_PINHOLE : UWG_IGD_E_NOT_AUTHORIZED;
}

static void pinhole_out(const struct uwg_fw6_pinhole *fp, uint64_t now, struct uwg_igd_pinhole *out)
{
	memset(out, 0, sizeof(*out));
	out->id = fp->id;
	out->proto = fp->proto;
	memcpy(out->int_client.s6_addr, fp->int_addr, 16);
	out->int_port = fp->int_port;
	memcpy(out->remote_host.s6_addr, fp->rem_addr, 16);
	out->remote_port = fp->rem_port;
	out->lease_s = fp->expires_ns > now ? (uint32_t)((fp->expires_ns - now) / 1000000000u) : 0;
	out->packets = fp->packets;
	out->origin = fp->origin;
	snprintf(out->desc, sizeof(out->desc), "%s", fp->desc);
}

static int op_get_pinhole(void *ctx, uint16_t id, struct uwg_igd_pinhole *out)
{
	struct uwg_igdd *g = ctx;
	struct uwg_fw6 *fw = g->env.fwd ? uwg_fwd_table(g->env.fwd) : NULL;
	struct uwg_fw6_pinhole fp;
	uint64_t now = uv_hrtime();

	if (!fw || uwg_fw6_pinhole_get(fw, id, now, &fp))
		return E_NO_SUCH_PINHOLE;
	pinhole_out(&fp, now, out);
	return 0;
}

static int op_find_pinhole(void *ctx, const struct uwg_igd_pinhole *key, struct in6_addr requester,
			   struct uwg_igd_pinhole *out)
{
	struct uwg_igdd *g = ctx;
	struct uwg_fw6_pinhole k = { 0 }, fp;
	uint64_t now = uv_hrtime();
	struct uwg_fw6 *fw;
	int err;

	k.owner = pinhole_owner(g, requester, &fw, &err);
	if (err)
		return E_NO_SUCH_PINHOLE;
	k.proto = key->proto;
	memcpy(k.int_addr, key->int_client.s6_addr, 16);
	k.int_port = key->int_port;
	memcpy(k.rem_addr, key->remote_host.s6_addr, 16);
	k.rem_port = key->remote_port;
	if (uwg_fw6_pinhole_find(fw, &k, now, &fp))
		return E_NO_SUCH_PINHOLE;
	pinhole_out(&fp, now, out);
	return 0;
}

/* The firewall removed a pinhole by itself (or all of them, ph NULL): log, and save on the tick. */
static void pinhole_gone(void *ctx, const struct uwg_fw6_pinhole *ph, const char *why)
{
	struct uwg_igdd *g = ctx;
	char what[160];

	g->save_pending = true;
	if (!ph)
		return;
	pinhole_text(ph, what, sizeof(what));
	uwg_log_info("%s: pinhole %u: %s closed: %s", origin_name(ph->origin), ph->id, what, why);
}

static bool op_same_owner(void *ctx, struct in_addr a, struct in_addr b)
{
	struct uwg_peer *p = peer_of(ctx, h32(a));

	return p && p == peer_of(ctx, h32(b));
}

static int op_external_ip(void *ctx, struct in_addr *out)
{
	struct uwg_igdd *g = ctx;

	if (g->active.ext_addr) {
		out->s_addr = htonl(g->active.ext_addr);
		return 0;
	}
	if (!nat_live(g) || !g->nat.public_ip)
		return UWG_IGD_E_ACTION_FAILED;
	out->s_addr = htonl(g->nat.public_ip);
	return 0;
}

static uint64_t read_stat(const char *ifname, const char *name)
{
	char path[96], buf[32];
	uint64_t v = 0;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/sys/class/net/%s/statistics/%s", ifname, name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n > 0) {
		buf[n] = '\0';
		v = strtoull(buf, NULL, 10);
	}
	return v;
}

/* The external interface's own counters: sent = toward the internet. */
static void op_counters(void *ctx, struct uwg_igd_counters *out)
{
	struct uwg_igdd *g = ctx;

	memset(out, 0, sizeof(*out));
	if (!nat_live(g) || !g->nat.wan || !g->nat.wan[0])
		return;
	out->bytes_sent = read_stat(g->nat.wan, "tx_bytes");
	out->bytes_received = read_stat(g->nat.wan, "rx_bytes");
	out->packets_sent = read_stat(g->nat.wan, "tx_packets");
	out->packets_received = read_stat(g->nat.wan, "rx_packets");
}

static void op_log(void *ctx, const char *msg)
{
	(void)ctx;
	uwg_log_info("UPnP: %s", msg);
}

/* ---- starting and stopping ---- */

/* A UUID that stays the same for this device key, so clients' caches stay valid. */
static void make_uuid(struct uwg_igdd *g, char out[37])
{
	uint8_t pub[32], h[16];
	struct uwg_blake2s s;

	if (!uwg_wg_get_public_key(g->env.wg, pub))
		memset(pub, 0, sizeof(pub));
	uwg_blake2s_init(&s, sizeof(h));
	uwg_blake2s_update(&s, (const uint8_t *)"uwg igd uuid", 12);
	uwg_blake2s_update(&s, pub, sizeof(pub));
	uwg_blake2s_final(&s, h);
	h[6] = (uint8_t)((h[6] & 0x0f) | 0x50); /* name-based */
	h[8] = (uint8_t)((h[8] & 0x3f) | 0x80);
	snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
		 h[0], h[1], h[2], h[3], h[4], h[5], h[6], h[7], h[8], h[9], h[10], h[11], h[12],
		 h[13], h[14], h[15]);
}

/* Loopback up (0), or -errno. pupnp binds its stop socket to 127.0.0.1 and stops through it. */
static int lo_up(struct uwg_netlink *nl)
{
	unsigned flags = 0;
	int lo = uwg_netlink_link_index(nl, "lo"), err;

	if (lo < 0)
		return lo;
	err = uwg_netlink_link_flags(nl, lo, &flags);
	if (err || (flags & IFF_UP))
		return err;
	err = uwg_netlink_link_set_flags(nl, lo, IFF_UP);
	if (!err)
		uwg_log_info("UPnP: brought loopback up (pupnp needs 127.0.0.1)");
	return err;
}

/* With a netlink socket of its own (0 or -errno). */
static int lo_up_now(void)
{
	struct uwg_netlink *nl = NULL;
	int err = uwg_netlink_open(&nl);

	if (err)
		return err;
	err = lo_up(nl);
	uwg_netlink_close(nl);
	return err;
}

static void stop_igd(struct uwg_igdd *g, const char *why)
{
	if (!g->igd)
		return;
	uwg_log_info("UPnP IGD stopped (%s)", why);
	stats_now(g, &g->totals); /* its counters live on in the totals */
	/* pupnp's shutdown resends its stop datagram to 127.0.0.1 until it arrives: forever with lo down. */
	lo_up_now();
	uwg_igd_stop(g->igd);
	g->igd = NULL;
	g->url[0] = '\0';
	g->url6[0] = '\0';
}

/* Says a start failure once, not every tick. */
static void start_failed(struct uwg_igdd *g, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void start_failed(struct uwg_igdd *g, int err, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	if (err == g->last_err)
		return;
	g->last_err = err;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	uwg_log_error("UPnP IGD not started: %s", msg);
}

/*
 * The TUN's state in our namespace: UP, and its first IPv4 address (which
 * pupnp binds). Makes sure of loopback up and MULTICAST on the TUN. 0, or
 * -ENETDOWN (not up yet), -EADDRNOTAVAIL (no IPv4 yet), other -errno.
 */
static int tun_ready(struct uwg_igdd *g, struct in_addr *addr, struct in6_addr *addr6)
{
	struct uwg_netlink *nl = NULL;
	struct uwg_nl_addr *addrs = NULL;
	unsigned flags = 0;
	size_t n = 0;
	int err, idx;

	err = uwg_netlink_open(&nl);
	if (err)
		return err;
	idx = uwg_netlink_link_index(nl, g->env.tun->name);
	err = idx < 0 ? idx : uwg_netlink_link_flags(nl, idx, &flags);
	if (!err && !(flags & IFF_UP))
		err = -ENETDOWN;
	if (!err) {
		err = uwg_netlink_addr_list(nl, idx, &addrs, &n);
		if (!err) {
			err = -EADDRNOTAVAIL;
			for (size_t i = 0; i < n && err; i++) {
				if (addrs[i].local.family != AF_INET)
					continue;
				memcpy(&addr->s_addr, addrs[i].local.addr, 4);
				err = 0;
			}
			/* the first IPv6 address that is not link-local: PCP's over IPv6 */
			memset(addr6, 0, sizeof(*addr6));
			for (size_t i = 0; i < n && IN6_IS_ADDR_UNSPECIFIED(addr6); i++)
				if (addrs[i].local.family == AF_INET6 && !addrs[i].link_scope)
					memcpy(addr6, addrs[i].local.addr, 16);
		}
		free(addrs);
	}
	if (!err && !(flags & IFF_MULTICAST)) {
		err = uwg_netlink_link_set_flags(nl, idx, IFF_MULTICAST);
		if (!err)
			uwg_log_info("UPnP: turned on MULTICAST on %s (pupnp needs it)",
				     g->env.tun->name);
	}
	if (!err)
		err = lo_up(nl);
	uwg_netlink_close(nl);
	return err;
}

/* The IGD's policy from the running settings (defaults, per-peer cap, rules). */
static void make_policy(const struct uwg_igdd *g, struct uwg_igd_policy *pol)
{
	uwg_igd_policy_init(pol);
	pol->max_per_client = cap_per_peer(g);
	for (size_t i = 0; i < g->active.n_rules; i++)
		uwg_igd_policy_add_rule(pol, &g->active.rules[i]);
}

/* May this map stay (or come back) under the running policy? NULL, or why not. */
static const char *policy_refuses(const struct uwg_igdd *g, const struct uwg_igd_policy *pol,
				  uint64_t owner, uint16_t ext_port, uint32_t client,
				  uint16_t int_port)
{
	unsigned held = 0;

	if (uwg_igd_policy_check(pol, ext_port, client, int_port))
		return "the policy no longer allows it";
	for (size_t i = 0; i < g->n_maps; i++)
		held += g->maps[i].owner == owner;
	return held > cap_per_peer(g) ? "over the per-peer cap" : NULL;
}

/* After a policy change: maps it forbids go (and are logged), the others stay. */
static void enforce_policy(struct uwg_igdd *g)
{
	struct uwg_igd_policy pol;
	uint64_t now = uv_hrtime();
	size_t before = g->n_maps;

	if (!nat_live(g))
		return;
	make_policy(g, &pol);
	for (size_t i = g->n_maps; i-- > 0;) {
		struct igd_map *m = &g->maps[i];
		const struct uwg_nat_map *nm = uwg_nat_map_find(g->nat.nat, m->proto, m->ext_port,
								now);
		const char *why = nm ? policy_refuses(g, &pol, m->owner, m->ext_port, nm->int_addr,
						      nm->int_port) : NULL;

		if (why)
			drop_map(g, m, why);
	}
	if (g->n_maps != before)
		save(g);
}

/* One pinhole of the lease file back into the firewall, with what is left of its lease: 1 if it is. */
static unsigned restore_pinhole(struct uwg_igdd *g, const struct uwg_lease *e,
				struct uwg_peer *peer, int64_t wall)
{
	struct uwg_igd_pinhole ph = { 0 };
	struct in6_addr client;
	char what[160];
	const char *why = NULL;
	uint16_t id;
	int code;

	memcpy(client.s6_addr, e->int6, 16);
	if (e->expires <= wall)
		why = "its lease ran out";
	else if (!peer || peer_of6(g, &client) != peer)
		why = "its peer is gone or no longer holds the address";
	else if (!fw_table(g))
		why = "the IPv6 firewall is off";
	if (!why) {
		ph.proto = e->proto;
		ph.int_client = client;
		ph.int_port = e->int_port;
		memcpy(ph.remote_host.s6_addr, e->rem6, 16);
		ph.remote_port = e->rem_port;
		ph.lease_s = (uint32_t)(e->expires - wall);
		ph.origin = origin_parse(e->origin);
		memcpy(ph.desc, e->desc, sizeof(ph.desc) - 1);
		code = op_add_pinhole(g, &ph, client, &id);
		if (!code)
			return 1;
		why = uwg_igd_error_str(code);
	}
	{
		struct uwg_fw6_pinhole fp = { .proto = e->proto, .int_port = e->int_port,
					      .rem_port = e->rem_port };

		memcpy(fp.int_addr, e->int6, 16);
		memcpy(fp.rem_addr, e->rem6, 16);
		pinhole_text(&fp, what, sizeof(what));
	}
	uwg_log_info("UPnP: pinhole %s from %s dropped: %s", what, g->pending_from, why);
	return 0;
}

/*
 * The maps of the lease file, once UPnP and the NAT run (so the peers are
 * configured): each one back with what is left of its lease, unless it
 * expired, its peer is gone or no longer holds the address, or the policy
 * refuses it now.
 */
static void restore(struct uwg_igdd *g)
{
	struct uwg_igd_policy pol;
	int64_t wall = wall_now();
	unsigned back = 0, holes_back = 0;
	size_t holes = 0;

	make_policy(g, &pol);
	for (size_t i = 0; i < g->n_pending; i++) {
		const struct uwg_lease *e = &g->pending[i];
		struct uwg_peer *peer = uwg_wg_peer_lookup(g->env.wg, e->owner);
		struct uwg_igd_map map = { 0 };
		struct in_addr client = { htonl(e->int_addr) };
		const char *why = NULL;
		int code;

		if (e->pinhole) {
			holes++;
			holes_back += restore_pinhole(g, e, peer, wall);
			continue;
		}
		if (e->expires && e->expires <= wall)
			why = "its lease ran out";
		else if (!peer || peer_of(g, e->int_addr) != peer)
			why = "its peer is gone or no longer holds the address";
		else if (uwg_igd_policy_check(&pol, e->ext_port, e->int_addr, e->int_port))
			why = "the policy no longer allows it";
		if (!why) {
			map.proto = e->proto;
			map.ext_port = e->ext_port;
			map.int_client = client;
			map.int_port = e->int_port;
			map.lease_s = e->expires ? (uint32_t)(e->expires - wall) : 0;
			map.origin = origin_parse(e->origin);
			/* An IGD description is shorter than the NAT's: cut to fit. */
			memcpy(map.desc, e->desc, sizeof(map.desc) - 1);
			map.desc[sizeof(map.desc) - 1] = '\0';
			code = add_map(g, &map, client);
			if (!code) {
				back++;
				continue;
			}
			why = uwg_igd_error_str(code);
		}
		uwg_log_info("UPnP: %s map %u -> %s:%u from %s dropped: %s",
			     e->proto == IPPROTO_TCP ? "TCP" : "UDP", e->ext_port,
			     inet_ntoa(client), e->int_port, g->pending_from, why);
	}
	if (g->n_pending > holes)
		uwg_log_info("UPnP: %u of %zu maps restored from %s", back, g->n_pending - holes,
			     g->pending_from);
	if (holes)
		uwg_log_info("UPnP: %u of %zu IPv6 pinholes restored from %s", holes_back, holes,
			     g->pending_from);
	free(g->pending);
	g->pending = NULL;
	g->n_pending = 0;
	g->restored = true;
	save(g);
}

static void try_start(struct uwg_igdd *g)
{
	struct uwg_igd_config cfg;
	struct uwg_igd_ops ops = {
		.ctx = g,
		.add_map = op_add_map,
		.del_map = op_del_map,
		.get_map = op_get_map,
		.get_map_by_index = op_get_map_by_index,
		.external_ip = op_external_ip,
		.counters = op_counters,
		.same_owner = op_same_owner,
		.fw_status = op_fw_status,
		.add_pinhole = op_add_pinhole,
		.update_pinhole = op_update_pinhole,
		.del_pinhole = op_del_pinhole,
		.get_pinhole = op_get_pinhole,
		.find_pinhole = op_find_pinhole,
		.log = op_log,
		.refused = op_refused,
	};
	char uuid[37], name[64];
	struct in_addr addr;
	struct in6_addr addr6;
	int err;

	if (!nat_live(g)) {
		start_failed(g, -ENOPROTOOPT, "waiting for the NAT (UPnP needs it to map ports)");
		return;
	}
	if (uwg_tun_monitor_fd(g->env.tun) < 0) {
		start_failed(g, -EXDEV, "%s is in another network namespace than the daemon",
			     g->env.tun->name);
		return;
	}
	err = tun_ready(g, &addr, &addr6);
	if (err == -ENETDOWN || err == -EADDRNOTAVAIL)
		return; /* `uwg up` is still setting it up */
	if (err) {
		start_failed(g, err, "cannot read %s: %s", g->env.tun->name, strerror(-err));
		return;
	}
	uwg_igd_config_init(&cfg);
	cfg.tunnel_ip6 = addr6;
	make_policy(g, &cfg.policy);
	make_uuid(g, uuid);
	cfg.uuid = uuid;
	snprintf(name, sizeof(name), "uwg Internet Gateway (%s)", g->env.tun->name);
	cfg.friendly_name = name;
	cfg.no_upnp = g->active.igd_off;
	cfg.natpmp = !g->active.natpmp_off;
	cfg.pcp = !g->active.pcp_off;
	cfg.pmp_min_lifetime = g->active.life_min;
	cfg.pmp_max_lifetime = g->active.life_max;
	cfg.epoch_origin_s = g->epoch_origin;
	err = uwg_igd_start(&g->igd, g->env.uv, g->env.tun->name, addr, 0, &cfg, &ops);
	if (err) {
		g->igd = NULL;
		if (err != -EAGAIN)
			start_failed(g, err, "pupnp on %s (%s): %s", g->env.tun->name,
				     inet_ntoa(addr), strerror(-err));
		return;
	}
	g->igd_addr = addr;
	g->last_err = 0;
	g->announced.s_addr = 0;
	op_external_ip(g, &g->announced);
	snprintf(g->url, sizeof(g->url), "%s", uwg_igd_desc_url(g->igd));
	snprintf(g->url6, sizeof(g->url6), "%s", uwg_igd_desc_url6(g->igd));
	uwg_log_info("UPnP IGD on %s: %s%s%s%s%s%s%s (%u maps per peer, %zu rules)",
		     g->env.tun->name, g->url, g->url6[0] ? ", " : "", g->url6,
		     g->url[0] && (cfg.natpmp || cfg.pcp) ? ", " : "",
		     cfg.natpmp ? "NAT-PMP " : "", cfg.pcp ? "PCP " : "",
		     cfg.natpmp || cfg.pcp ? inet_ntoa(addr) : "", cap_per_peer(g),
		     g->active.n_rules);
}

/* Is the running IGD still where it should be? */
static bool still_valid(struct uwg_igdd *g, const char **why)
{
	struct in_addr addr;
	struct in6_addr addr6;
	int err;

	if (!nat_live(g)) {
		*why = "the NAT is off";
		return false;
	}
	if (uwg_tun_monitor_fd(g->env.tun) < 0) {
		*why = "the interface left the daemon's namespace";
		return false;
	}
	err = tun_ready(g, &addr, &addr6);
	if (err == -ENETDOWN) {
		*why = "the interface is down";
		return false;
	}
	if (err == -EADDRNOTAVAIL || (!err && addr.s_addr != g->igd_addr.s_addr)) {
		*why = "the tunnel address changed";
		return false;
	}
	return true;
}

static void tick(uv_timer_t *t)
{
	struct uwg_igdd *g = t->data;
	const char *why;

	sweep(g);
	if (g->save_pending)
		save(g);
	if (!g->active.enable)
		return;
	if (!g->restored && nat_live(g))
		restore(g);
	if (g->igd && !still_valid(g, &why))
		stop_igd(g, why);
	if (!g->igd) {
		try_start(g);
	} else {
		struct in_addr ext = { 0 };

		op_external_ip(g, &ext);
		if (ext.s_addr != g->announced.s_addr) {
			uwg_log_info("UPnP: the external address changed: telling NAT-PMP and PCP "
				     "clients");
			g->announced = ext;
			uwg_igd_announce(g->igd);
		}
	}
}

/* ---- configuration ---- */

/* Same settings: the same set request text. */
static bool same_settings(const struct uwg_igd_settings *a, const struct uwg_igd_settings *b)
{
	size_t al = 0, bl = 0;
	char *at = uwg_igd_conf_format_set(a, &al), *bt = uwg_igd_conf_format_set(b, &bl);
	bool same = at && bt && al == bl && !memcmp(at, bt, al);

	free(at);
	free(bt);
	return same;
}

static void apply(struct uwg_igdd *g, const struct uwg_igd_settings *want)
{
	if (g->active.enable && same_settings(&g->active, want)) {
		uwg_log_debug("UPnP unchanged");
		return;
	}
	g->active = *want;
	g->last_err = 0;
	/* A running IGD keeps the policy it started with: restart it with the new one. */
	stop_igd(g, want->enable ? "reconfigured" : "UPnP off");
	if (!want->enable) {
		if (nat_live(g))
			while (g->n_maps)
				drop_map(g, &g->maps[0], "UPnP off");
		forget_all(g);
		uv_timer_stop(&g->tick);
		uwg_log_info("UPnP off");
		/* Off by configuration: the saved maps are not wanted either. */
		free(g->pending);
		g->pending = NULL;
		g->n_pending = 0;
		g->restored = true;
		save(g);
		return;
	}
	if (g->restored)
		enforce_policy(g);
	uv_timer_start(&g->tick, tick, 0, UWG_IGDD_TICK_MS);
}

/*
 * The NAT is about to be rebuilt (its table still readable): the maps are
 * noted as if read from the lease file and put back into the new table on
 * the next tick, where the new settings and policy allow them.
 */
static void nat_replaced(void *ctx)
{
	struct uwg_igdd *g = ctx;
	struct uwg_lease *v;
	size_t n = 0;

	if (!g->restored || !g->n_maps || !nat_live(g)) {
		forget_all(g);
		return;
	}
	v = calloc(g->n_maps, sizeof(*v));
	if (v)
		n = snapshot(g, v);
	forget_all(g);
	g->pending = v;
	g->n_pending = n;
	g->pending_from = "the NAT before its rebuild";
	g->restored = !n;
}

static void ext_begin(void *ctx)
{
	struct uwg_igdd *g = ctx;

	memset(&g->staged, 0, sizeof(g->staged));
	g->staging = false;
	if (g->nat_io.ext_begin)
		g->nat_io.ext_begin(g->nat_io.ext_ctx);
}

static int ext_set(void *ctx, const char *key, const char *value)
{
	struct uwg_igdd *g = ctx;

	if (!strncmp(key, "upnp", 4) && (key[4] == '\0' || key[4] == '_')) {
		if (!g->staging) {
			/* "upnp" first states all of it; other keys change the running settings. */
			if (strcmp(key, "upnp"))
				g->staged = g->active;
			else
				memset(&g->staged, 0, sizeof(g->staged));
			g->staging = true;
		}
		return uwg_igd_conf_uapi_key(&g->staged, key, value) ? -EINVAL : 0;
	}
	if (!g->nat_io.ext_set)
		return -EINVAL;
	return g->nat_io.ext_set(g->nat_io.ext_ctx, key, value);
}

static int ext_end(void *ctx, int err)
{
	struct uwg_igdd *g = ctx;

	/* a NAT replaced here calls nat_replaced first: the maps go with its table */
	if (g->nat_io.ext_end)
		err = g->nat_io.ext_end(g->nat_io.ext_ctx, err);
	if (g->staging && !err)
		apply(g, &g->staged);
	g->staging = false;
	/* Peers may have gone or lost addresses in this request. */
	sweep(g);
	return err;
}

/* The IGD's counters since the daemon started (over all its restarts). */
static void stats_now(const struct uwg_igdd *g, struct uwg_igd_stats *out)
{
	struct uwg_igd_stats live = { 0 };

	*out = g->totals;
	if (g->igd)
		uwg_igd_get_stats(g->igd, &live);
	out->actions += live.actions;
	out->errors += live.errors;
	for (size_t i = 0; i < UWG_IGD_STAT_CODES; i++)
		out->errors_by_code[i] += live.errors_by_code[i];
	out->refused_source += live.refused_source;
	out->bad_requests += live.bad_requests;
	out->timeouts += live.timeouts;
	out->http_requests += live.http_requests;
	out->http_refused += live.http_refused;
	out->refused_host += live.refused_host;
	out->busy += live.busy;
	out->ssdp_starts += live.ssdp_starts;
	out->ssdp_crashes += live.ssdp_crashes;
	out->natpmp_requests += live.natpmp_requests;
	out->natpmp_errors += live.natpmp_errors;
	out->natpmp_dropped += live.natpmp_dropped;
	out->pcp_requests += live.pcp_requests;
	out->pcp_errors += live.pcp_errors;
	out->announcements += live.announcements;
	out->pinhole_actions += live.pinhole_actions;
	out->http6_requests += live.http6_requests;
	out->pcp_pinholes += live.pcp_pinholes;
}

/* "upnp_stat_NAME=" lines: the request counters, or (codes) the errors by UPnP code. */
static void stats_block(const struct uwg_igdd *g, bool codes, char *buf, size_t len)
{
	struct uwg_igd_stats st;
	size_t used = 0;

	stats_now(g, &st);
	buf[0] = '\0';
	if (codes) {
		for (size_t i = 0; i < UWG_IGD_STAT_CODES; i++)
			uwg_text_line(buf, len, &used, "upnp_stat_error_%d=%" PRIu64 "\n",
				      uwg_igd_stat_codes[i], st.errors_by_code[i]);
		return;
	}
	uwg_text_line(buf, len, &used,
		      "upnp_stat_actions=%" PRIu64 "\nupnp_stat_errors=%" PRIu64 "\n"
		      "upnp_stat_refused_source=%" PRIu64 "\nupnp_stat_bad_requests=%" PRIu64 "\n"
		      "upnp_stat_timeouts=%" PRIu64 "\nupnp_stat_http_requests=%" PRIu64 "\n"
		      "upnp_stat_http_refused=%" PRIu64 "\nupnp_stat_refused_host=%" PRIu64 "\n"
		      "upnp_stat_busy=%" PRIu64 "\nupnp_stat_ssdp_starts=%" PRIu64 "\n"
		      "upnp_stat_ssdp_crashes=%" PRIu64 "\nupnp_stat_natpmp_requests=%" PRIu64 "\n"
		      "upnp_stat_natpmp_errors=%" PRIu64 "\nupnp_stat_natpmp_dropped=%" PRIu64 "\n"
		      "upnp_stat_pcp_requests=%" PRIu64 "\nupnp_stat_pcp_errors=%" PRIu64 "\n"
		      "upnp_stat_announcements=%" PRIu64 "\nupnp_stat_pinhole_actions=%" PRIu64 "\n"
		      "upnp_stat_http6_requests=%" PRIu64 "\nupnp_stat_pcp_pinholes=%" PRIu64 "\n",
		      st.actions, st.errors, st.refused_source, st.bad_requests, st.timeouts,
		      st.http_requests, st.http_refused, st.refused_host, st.busy, st.ssdp_starts,
		      st.ssdp_crashes, st.natpmp_requests, st.natpmp_errors, st.natpmp_dropped,
		      st.pcp_requests, st.pcp_errors, st.announcements, st.pinhole_actions,
		      st.http6_requests, st.pcp_pinholes);
}

/*
 * After the NAT's lines: "upnp=", where the IGD listens, the address it
 * reports, its counters (upnp_stat_*), then one "upnp_map=" per map the IGD
 * made (cursor = CURSOR_OURS + the step: 0 head, 1-2 counters, 3 + i map i).
 */
static bool emit_ours(struct uwg_igdd *g, size_t *cursor, char *buf, size_t cap, size_t *used)
{
	size_t idx = *cursor & ~CURSOR_OURS;
	uint64_t now = uv_hrtime();
	bool live = nat_live(g);

	if (idx == 0) {
		struct in_addr ext;
		char ip[INET_ADDRSTRLEN] = "";

		if (!op_external_ip(g, &ext))
			inet_ntop(AF_INET, &ext, ip, sizeof(ip));
		if (!uwg_text_line(buf, cap, used, "upnp=%s\nupnp_running=%s\nupnp_url=%s\n"
			      "upnp_url6=%s\nupnp_external_address=%s\nupnp_max_maps_per_peer=%u\n",
			      g->active.enable ? "true" : "false", g->igd ? "true" : "false",
			      g->url, g->url6, ip, cap_per_peer(g)))
			return false;
		*cursor = CURSOR_OURS | ++idx;
	}
	/* Steps 1 and 2: the counters, each block small enough for any chunk. */
	while (idx == 1 || idx == 2) {
		char block[2048];

		stats_block(g, idx == 2, block, sizeof(block));
		if (!uwg_text_line(buf, cap, used, "%s", block))
			return false;
		*cursor = CURSOR_OURS | ++idx;
	}
	for (size_t i = idx - 3; live && i < g->n_maps; i++) {
		const struct uwg_nat_map *nm = uwg_nat_map_find(g->nat.nat, g->maps[i].proto,
								g->maps[i].ext_port, now);
		struct uwg_igd_map_line ml = { 0 };
		struct uwg_igd_map im;
		char text[256];

		if (nm) {
			fill(g, &im, nm, now);
			ml.proto = nm->proto;
			ml.ext_port = nm->ext_port;
			ml.int_addr = nm->int_addr;
			ml.int_port = nm->int_port;
			ml.lease_left_s = im.lease_s;
			uwg_key_to_base64(ml.owner, g->maps[i].owner_key);
			snprintf(ml.origin, sizeof(ml.origin), "%s", origin_name(g->maps[i].origin));
			snprintf(ml.desc, sizeof(ml.desc), "%s", im.desc);
			uwg_igd_conf_format_map(&ml, text, sizeof(text));
			if (!uwg_text_line(buf, cap, used, "upnp_map=%s\n", text))
				return false;
		}
		*cursor = CURSOR_OURS | (i + 4);
	}
	return true;
}

static bool ext_emit(void *ctx, size_t *cursor, char *buf, size_t cap, size_t *used)
{
	struct uwg_igdd *g = ctx;
	size_t more = 0;

	*used = 0;
	if (!(*cursor & CURSOR_OURS)) {
		if (g->nat_io.ext_emit && !g->nat_io.ext_emit(g->nat_io.ext_ctx, cursor, buf, cap,
							      used))
			return false;
		*cursor = CURSOR_OURS;
	}
	if (!emit_ours(g, cursor, buf + *used, cap - *used, &more)) {
		*used += more;
		return false;
	}
	*used += more;
	return true;
}

void uwg_igdd_uapi_hooks(struct uwg_igdd *g, struct uwg_uapi_io *io)
{
	g->nat_io = *io;
	io->ext_ctx = g;
	io->ext_begin = ext_begin;
	io->ext_set = ext_set;
	io->ext_end = ext_end;
	io->ext_emit = ext_emit;
}

/* ---- lifecycle ---- */

int uwg_igdd_new(struct uwg_igdd **out, const struct uwg_igdd_env *env)
{
	struct uwg_igdd *g = calloc(1, sizeof(*g));

	*out = NULL;
	if (!g)
		return -ENOMEM;
	g->env = *env;
	g->lim.burst = 5;
	g->lim.interval_ns = 10ull * 1000000000u;
	uv_timer_init(env->uv, &g->tick);
	g->tick.data = g;
	if (env->natd)
		uwg_natd_on_replaced(env->natd, nat_replaced, g);
	if (env->fwd)
		uwg_fwd_on_pinhole_gone(env->fwd, pinhole_gone, g);
	g->restored = true;
	g->epoch_origin = wall_now();
	if (env->leases && env->leases->fd >= 0) {
		int err = uwg_leases_read(env->leases, &g->pending, &g->n_pending);

		/* Maps that come back keep their epoch: clients see no state loss. */
		if (!err && g->n_pending && env->leases->epoch_origin > 0 &&
		    env->leases->epoch_origin <= g->epoch_origin)
			g->epoch_origin = env->leases->epoch_origin;
		g->pending_from = "the lease file";
		if (err)
			uwg_log_error("UPnP: the lease file is unreadable (%s): its maps are lost",
				      strerror(-err));
		g->restored = !g->n_pending;
		if (g->n_pending)
			uwg_log_info("UPnP: %zu maps in the lease file, restored once UPnP runs",
				     g->n_pending);
	}
	*out = g;
	return 0;
}

static void tick_closed(uv_handle_t *h)
{
	free(h->data);
}

void uwg_igdd_free(struct uwg_igdd *g)
{
	if (!g)
		return;
	if (g->env.natd)
		uwg_natd_on_replaced(g->env.natd, NULL, NULL);
	stop_igd(g, "shutting down");
	/* The NAT removes every filter of its block when it goes; sockets are ours. */
	forget_all(g);
	free(g->pending);
	uv_close((uv_handle_t *)&g->tick, tick_closed);
}
