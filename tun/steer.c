/*
 * tun/steer.c - tc ingress u32 + mirred steering of public-address traffic
 * into the TUN, the raw egress socket, placeholder sockets and host-port
 * checks (see steer.h). Everything through libnl-route-3 on a private
 * netlink socket. Loop thread, control path.
 */
#include "tun/steer.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/if_ether.h>
#include <linux/pkt_cls.h>
#include <linux/pkt_sched.h>
#include <linux/tc_act/tc_mirred.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <unistd.h>

#include <netlink/cache.h>
#include <netlink/errno.h>
#include <netlink/netlink.h>
#include <netlink/route/act/mirred.h>
#include <netlink/route/action.h>
#include <netlink/route/classifier.h>
#include <netlink/route/cls/u32.h>
#include <netlink/route/qdisc.h>
#include <netlink/route/tc.h>

/* u32 offsets from the IPv4 header (IHL = 5 is one of the keys). */
enum {
	OFF_VER_IHL = 0,
	OFF_FRAG = 6,
	OFF_PROTO = 9,
	OFF_DST = 16,
	OFF_DPORT = 22,
	OFF_ICMP_TYPE = 20,
	OFF_ECHO_ID = 24,
	OFF_Q_VER_IHL = 28, /* the packet quoted in an ICMP error */
	OFF_Q_PROTO = 37,
	OFF_Q_SRC = 40,
	OFF_Q_SPORT = 48,
	OFF_Q_ICMP_TYPE = 48,
	OFF_Q_ECHO_ID = 52,
};

struct uwg_steer {
	struct nl_sock *sk;
	int wan_ifindex, tun_ifindex;
	uint32_t public_ip;
	uint32_t parent; /* filter parent on the ingress hook */
	bool own_qdisc;
	uint16_t prio_base, prio_count;
	uint8_t *used; /* one byte per priority of the block: added by us */
};

static int nl_to_errno(int nle)
{
	switch (nle < 0 ? -nle : nle) {
	case 0:
		return 0;
	case NLE_EXIST:
		return -EEXIST;
	case NLE_NOMEM:
		return -ENOMEM;
	case NLE_PERM:
		return -EPERM;
	case NLE_NOACCESS:
		return -EACCES;
	case NLE_OBJ_NOTFOUND:
		return -ENOENT;
	case NLE_NODEV:
		return -ENODEV;
	case NLE_INVAL:
		return -EINVAL;
	case NLE_OPNOTSUPP:
		return -EOPNOTSUPP;
	case NLE_BUSY:
		return -EBUSY;
	case NLE_RANGE:
		return -ERANGE;
	case NLE_AGAIN:
		return -EAGAIN;
	case NLE_MSGSIZE:
		return -EMSGSIZE;
	default:
		return -EIO;
	}
}

/* ---- qdisc ---- */

/* Finds the ingress-capable qdisc (handle ffff:). 1 clsact, 2 ingress, 0 none, <0 error. */
static int find_ingress(struct uwg_steer *st)
{
	struct nl_cache *cache;
	struct rtnl_qdisc *q;
	int ret = 0, err = rtnl_qdisc_alloc_cache(st->sk, &cache);

	if (err < 0)
		return nl_to_errno(err);
	q = rtnl_qdisc_get(cache, st->wan_ifindex, TC_H_MAKE(0xffff0000u, 0) /* ffff: */);
	if (q) {
		const char *kind = rtnl_tc_get_kind(TC_CAST(q));

		if (kind && !strcmp(kind, "clsact"))
			ret = 1;
		else if (kind && !strcmp(kind, "ingress"))
			ret = 2;
		else
			ret = -EEXIST;
		rtnl_qdisc_put(q);
	}
	nl_cache_free(cache);
	return ret;
}

static int qdisc_op(struct uwg_steer *st, bool add)
{
	struct rtnl_qdisc *q = rtnl_qdisc_alloc();
	int err;

	if (!q)
		return -ENOMEM;
	rtnl_tc_set_ifindex(TC_CAST(q), st->wan_ifindex);
	rtnl_tc_set_parent(TC_CAST(q), TC_H_CLSACT);
	rtnl_tc_set_handle(TC_CAST(q), TC_H_MAKE(0xffff0000u, 0) /* ffff: */);
	rtnl_tc_set_kind(TC_CAST(q), "clsact");
	err = add ? rtnl_qdisc_add(st->sk, q, NLM_F_CREATE | NLM_F_EXCL)
		  : rtnl_qdisc_delete(st->sk, q);
	rtnl_qdisc_put(q);
	return nl_to_errno(err);
}

static int ensure_ingress(struct uwg_steer *st)
{
	int kind = find_ingress(st), err;

	if (kind == 0) {
		err = qdisc_op(st, true);
		if (err == -EEXIST) /* raced with someone else: use theirs */
			kind = find_ingress(st);
		else if (err)
			return err;
		else {
			st->own_qdisc = true;
			kind = 1;
		}
	}
	if (kind < 0)
		return kind;
	/* Both take the clsact ingress parent ffff:fff2 (as `tc filter add ... ingress` does). */
	st->parent = TC_H_MAKE(TC_H_CLSACT, TC_H_MIN_INGRESS);
	return 0;
}

/* ---- filters ---- */

struct listed {
	struct uwg_steer *st;
	uint16_t *prios;
	size_t max, n;
	bool foreign; /* a filter outside the block exists */
	uint8_t *seen;
	uint16_t *protos; /* per block priority: protocol of the listed filter */
};

static void list_cb(struct nl_object *obj, void *arg)
{
	struct listed *l = arg;
	struct rtnl_cls *cls = (struct rtnl_cls *)obj;
	uint16_t prio = rtnl_cls_get_prio(cls);
	uint32_t off = (uint32_t)(prio - l->st->prio_base);

	if (prio < l->st->prio_base || off >= l->st->prio_count) {
		l->foreign = true;
		return;
	}
	if (l->seen[off]) /* u32 dumps a table entry and the filter per priority */
		return;
	l->seen[off] = 1;
	l->protos[off] = rtnl_cls_get_protocol(cls);
	if (l->n < l->max)
		l->prios[l->n] = prio;
	l->n++;
}

/* Dumps the ingress filters; seen/protos are indexed by priority - base. */
static int list_filters(struct uwg_steer *st, struct listed *l)
{
	struct nl_cache *cache;
	int err;

	l->st = st;
	l->n = 0;
	l->foreign = false;
	l->seen = calloc(st->prio_count, 1);
	l->protos = calloc(st->prio_count, sizeof(uint16_t));
	if (!l->seen || !l->protos) {
		free(l->seen);
		free(l->protos);
		return -ENOMEM;
	}
	err = rtnl_cls_alloc_cache(st->sk, st->wan_ifindex, st->parent, &cache);
	if (err < 0) {
		free(l->seen);
		free(l->protos);
		return nl_to_errno(err);
	}
	nl_cache_foreach(cache, list_cb, l);
	nl_cache_free(cache);
	return 0;
}

static void listed_free(struct listed *l)
{
	free(l->seen);
	free(l->protos);
}

/* Deletes the whole u32 instance at prio (handle 0 = every filter of that priority). */
static int del_prio(struct uwg_steer *st, uint16_t prio, uint16_t proto)
{
	struct rtnl_cls *cls = rtnl_cls_alloc();
	int err;

	if (!cls)
		return -ENOMEM;
	rtnl_tc_set_ifindex(TC_CAST(cls), st->wan_ifindex);
	rtnl_tc_set_parent(TC_CAST(cls), st->parent);
	rtnl_cls_set_prio(cls, prio);
	rtnl_cls_set_protocol(cls, proto);
	err = rtnl_cls_delete(st->sk, cls, 0);
	rtnl_cls_put(cls);
	return nl_to_errno(err);
}

int uwg_steer_list(struct uwg_steer *st, uint16_t *prios, size_t max, size_t *n)
{
	struct listed l = { .prios = prios, .max = max };
	int err = list_filters(st, &l);

	if (err)
		return err;
	*n = l.n;
	listed_free(&l);
	return 0;
}

int uwg_steer_flush(struct uwg_steer *st)
{
	struct listed l = { .prios = NULL, .max = 0 };
	int err = list_filters(st, &l), ret = 0;

	if (err)
		return err;
	for (uint32_t i = 0; i < st->prio_count; i++) {
		if (!l.seen[i])
			continue;
		err = del_prio(st, (uint16_t)(st->prio_base + i), l.protos[i]);
		if (err && err != -ENOENT && !ret)
			ret = err;
		st->used[i] = 0;
	}
	memset(st->used, 0, st->prio_count);
	listed_free(&l);
	return ret;
}

static int key8(struct rtnl_cls *c, uint8_t v, uint8_t m, int off)
{
	return rtnl_u32_add_key_uint8(c, v, m, off, 0);
}

static int key16(struct rtnl_cls *c, uint16_t v, uint16_t m, int off)
{
	return rtnl_u32_add_key_uint16(c, v, m, off, 0);
}

static int key32(struct rtnl_cls *c, uint32_t v, uint32_t m, int off)
{
	return rtnl_u32_add_key_uint32(c, v, m, off, 0);
}

static int build_keys(struct uwg_steer *st, struct rtnl_cls *c, const struct uwg_steer_match *m)
{
	int err = 0;

	err |= key8(c, 0x45, 0xff, OFF_VER_IHL);
	err |= key16(c, 0, 0x3fff, OFF_FRAG);
	err |= key32(c, st->public_ip, 0xffffffffu, OFF_DST);
	switch (m->kind) {
	case UWG_STEER_L4:
		if (m->proto != IPPROTO_TCP && m->proto != IPPROTO_UDP)
			return -EINVAL;
		err |= key8(c, m->proto, 0xff, OFF_PROTO);
		err |= key16(c, (uint16_t)(m->port & m->mask), m->mask, OFF_DPORT);
		break;
	case UWG_STEER_ECHO_REPLY:
		err |= key8(c, IPPROTO_ICMP, 0xff, OFF_PROTO);
		err |= key8(c, 0, 0xff, OFF_ICMP_TYPE);
		err |= key16(c, (uint16_t)(m->port & m->mask), m->mask, OFF_ECHO_ID);
		break;
	case UWG_STEER_ICMP_ERROR:
		err |= key8(c, IPPROTO_ICMP, 0xff, OFF_PROTO);
		err |= key8(c, 3, 0xf7, OFF_ICMP_TYPE); /* 3 and 11 differ only in bit 3 */
		err |= key8(c, 0x45, 0xff, OFF_Q_VER_IHL);
		err |= key32(c, st->public_ip, 0xffffffffu, OFF_Q_SRC);
		if (m->proto == IPPROTO_ICMP) {
			err |= key8(c, IPPROTO_ICMP, 0xff, OFF_Q_PROTO);
			err |= key8(c, 8, 0xff, OFF_Q_ICMP_TYPE);
			err |= key16(c, (uint16_t)(m->port & m->mask), m->mask, OFF_Q_ECHO_ID);
		} else {
			if (m->proto)
				err |= key8(c, m->proto, 0xff, OFF_Q_PROTO);
			err |= key16(c, (uint16_t)(m->port & m->mask), m->mask, OFF_Q_SPORT);
		}
		break;
	default:
		return -EINVAL;
	}
	return err ? -EINVAL : 0;
}

static int add_filter(struct uwg_steer *st, uint16_t prio, const struct uwg_steer_match *m)
{
	struct rtnl_cls *cls = rtnl_cls_alloc();
	struct rtnl_act *act = rtnl_act_alloc();
	int err;

	if (!cls || !act) {
		err = -ENOMEM;
		goto out;
	}
	rtnl_tc_set_ifindex(TC_CAST(cls), st->wan_ifindex);
	rtnl_tc_set_parent(TC_CAST(cls), st->parent);
	rtnl_cls_set_prio(cls, prio);
	rtnl_cls_set_protocol(cls, ETH_P_IP);
	err = nl_to_errno(rtnl_tc_set_kind(TC_CAST(cls), "u32"));
	if (err)
		goto out;
	err = build_keys(st, cls, m);
	if (err)
		goto out;
	rtnl_u32_set_cls_terminal(cls);

	err = nl_to_errno(rtnl_tc_set_kind(TC_CAST(act), "mirred"));
	if (err)
		goto out;
	rtnl_mirred_set_action(act, TCA_EGRESS_REDIR);
	rtnl_mirred_set_policy(act, TC_ACT_STOLEN);
	rtnl_mirred_set_ifindex(act, (uint32_t)st->tun_ifindex);
	err = nl_to_errno(rtnl_u32_add_action(cls, act));
	if (err)
		goto out;
	err = nl_to_errno(rtnl_cls_add(st->sk, cls, NLM_F_CREATE | NLM_F_EXCL));
out:
	if (act)
		rtnl_act_put(act);
	if (cls)
		rtnl_cls_put(cls);
	return err;
}

int uwg_steer_add(struct uwg_steer *st, const struct uwg_steer_match *m, uint16_t *prio)
{
	for (uint32_t i = 0; i < st->prio_count; i++) {
		int err;

		if (st->used[i])
			continue;
		err = add_filter(st, (uint16_t)(st->prio_base + i), m);
		if (err == -EEXIST)
			continue; /* someone put a filter there behind our back: skip it */
		if (err)
			return err;
		st->used[i] = 1;
		*prio = (uint16_t)(st->prio_base + i);
		return 0;
	}
	return -ENOSPC;
}

int uwg_steer_del(struct uwg_steer *st, uint16_t prio)
{
	uint32_t off = (uint32_t)(prio - st->prio_base);
	int err;

	if (prio < st->prio_base || off >= st->prio_count || !st->used[off])
		return -ENOENT;
	err = del_prio(st, prio, ETH_P_IP);
	st->used[off] = 0;
	return err == -ENOENT ? 0 : err;
}

size_t uwg_steer_range_blocks(uint16_t lo, uint16_t hi, struct uwg_steer_block *out, size_t max)
{
	uint32_t cur = lo, end = hi;
	size_t n = 0;

	while (lo <= hi && cur <= end) {
		uint32_t size = 1;

		/* Grow while still aligned and inside the range. */
		while (size < 65536 && (cur & (size * 2 - 1)) == 0 && cur + size * 2 - 1 <= end)
			size *= 2;
		if (n < max)
			out[n] = (struct uwg_steer_block){ (uint16_t)cur, (uint16_t)~(size - 1) };
		n++;
		cur += size;
	}
	return n;
}

int uwg_steer_add_range(struct uwg_steer *st, enum uwg_steer_kind kind, uint8_t proto,
			uint16_t lo, uint16_t hi, uint16_t *prios, size_t max, size_t *n)
{
	struct uwg_steer_block blocks[32];
	size_t nb = uwg_steer_range_blocks(lo, hi, blocks, 32);

	*n = 0;
	if (nb == 0 || nb > 32 || nb > max)
		return nb == 0 ? -EINVAL : -ENOSPC;
	for (size_t i = 0; i < nb; i++) {
		struct uwg_steer_match m = { kind, proto, blocks[i].value, blocks[i].mask };
		int err = uwg_steer_add(st, &m, &prios[i]);

		if (err) {
			while (i--)
				uwg_steer_del(st, prios[i]);
			return err;
		}
	}
	*n = nb;
	return 0;
}

/* ---- lifecycle ---- */

int uwg_steer_open(struct uwg_steer **out, const struct uwg_steer_config *cfg)
{
	struct uwg_steer *st;
	int err;

	*out = NULL;
	if (!cfg->public_ip || !cfg->wan_ifname || !cfg->tun_ifname)
		return -EINVAL;
	st = calloc(1, sizeof(*st));
	if (!st)
		return -ENOMEM;
	st->public_ip = cfg->public_ip;
	st->prio_base = cfg->prio_base ? cfg->prio_base : UWG_STEER_PRIO_BASE;
	st->prio_count = cfg->prio_count ? cfg->prio_count : UWG_STEER_PRIO_COUNT;
	if ((uint32_t)st->prio_base + st->prio_count > 0x10000u) {
		free(st);
		return -EINVAL;
	}
	st->used = calloc(st->prio_count, 1);
	st->wan_ifindex = (int)if_nametoindex(cfg->wan_ifname);
	st->tun_ifindex = (int)if_nametoindex(cfg->tun_ifname);
	if (!st->used) {
		err = -ENOMEM;
		goto fail;
	}
	if (!st->wan_ifindex || !st->tun_ifindex) {
		err = -ENODEV;
		goto fail;
	}
	st->sk = nl_socket_alloc();
	if (!st->sk) {
		err = -ENOMEM;
		goto fail;
	}
	err = nl_to_errno(nl_connect(st->sk, NETLINK_ROUTE));
	if (err)
		goto fail;
	err = ensure_ingress(st);
	if (err)
		goto fail;
	err = uwg_steer_flush(st);
	if (err)
		goto fail;
	*out = st;
	return 0;
fail:
	if (st->sk)
		nl_socket_free(st->sk);
	free(st->used);
	free(st);
	return err;
}

void uwg_steer_close(struct uwg_steer *st)
{
	if (!st)
		return;
	uwg_steer_flush(st);
	if (st->own_qdisc) {
		struct listed l = { .prios = NULL, .max = 0 };

		if (!list_filters(st, &l)) {
			if (!l.foreign && l.n == 0)
				qdisc_op(st, false);
			listed_free(&l);
		}
	}
	nl_socket_free(st->sk);
	free(st->used);
	free(st);
}

/* ---- raw egress ---- */

int uwg_steer_raw_open(void)
{
	int fd = socket(AF_INET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_RAW);

	return fd < 0 ? -errno : fd;
}

int uwg_steer_raw_send(int fd, const uint8_t *pkt, size_t len)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };

	if (len < 20 || (pkt[0] >> 4) != 4)
		return -EINVAL;
	memcpy(&sin.sin_addr, pkt + 16, 4);
	if (sendto(fd, pkt, len, 0, (const struct sockaddr *)&sin, sizeof(sin)) < 0)
		return -errno;
	return 0;
}

/* ---- host ports ---- */

static int bind_one(int type, uint32_t addr, uint16_t port)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(port),
				   .sin_addr.s_addr = htonl(addr) };
	int fd = socket(AF_INET, type | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);

	if (fd < 0)
		return -errno;
	if (type == SOCK_DGRAM) {
		/* Reassembled fragments for the pool land here; keep the queue tiny. */
		int one = 1;

		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &one, sizeof(one));
	}
	if (bind(fd, (const struct sockaddr *)&sin, sizeof(sin)) < 0) {
		int err = -errno;

		close(fd);
		return err;
	}
	return fd;
}

/*
 * Makes room for need more descriptors above FD_SETSIZE (see move_high), plus
 * headroom for the daemon's own.
 */
static void raise_nofile(size_t need)
{
	struct rlimit rl;
	rlim_t want = (rlim_t)need + FD_SETSIZE + 1024;

	if (getrlimit(RLIMIT_NOFILE, &rl) || rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur >= want)
		return;
	rl.rlim_cur = (rl.rlim_max != RLIM_INFINITY && want > rl.rlim_max) ? rl.rlim_max : want;
	setrlimit(RLIMIT_NOFILE, &rl);
}

/*
 * Placeholders are many and live long: keep them at or above FD_SETSIZE, so
 * the low descriptors stay free for any select()-based library in the
 * process (pupnp, which overflows fd_set beyond it, now runs in the IGD's own
 * child process). Where the limit does not allow it, the descriptor stays.
 */
static int move_high(int fd)
{
	int hi = fcntl(fd, F_DUPFD_CLOEXEC, FD_SETSIZE);

	if (hi < 0)
		return fd;
	close(fd);
	return hi;
}

int uwg_steer_reserve_ports(struct uwg_steer_reserve *r, uint32_t addr, uint16_t lo, uint16_t hi,
			    bool tcp, bool udp, uint16_t *bad_port)
{
	size_t per = (size_t)tcp + (size_t)udp, cap;

	r->fds = NULL;
	r->n = 0;
	if (lo > hi || lo == 0 || per == 0)
		return -EINVAL;
	cap = ((size_t)(hi - lo) + 1) * per;
	r->fds = malloc(cap * sizeof(int));
	if (!r->fds)
		return -ENOMEM;
	raise_nofile(cap);
	for (uint32_t p = lo; p <= hi; p++) {
		for (int k = 0; k < 2; k++) {
			int fd;

			if ((k == 0 && !tcp) || (k == 1 && !udp))
				continue;
			fd = bind_one(k == 0 ? SOCK_STREAM : SOCK_DGRAM, addr, (uint16_t)p);
			if (fd < 0) {
				if (bad_port)
					*bad_port = (uint16_t)p;
				uwg_steer_release_ports(r);
				return fd;
			}
			r->fds[r->n++] = move_high(fd);
		}
	}
	return 0;
}

int uwg_steer_placeholder(uint8_t proto, uint16_t port)
{
	int fd = bind_one(proto == IPPROTO_TCP ? SOCK_STREAM : SOCK_DGRAM, 0, port);

	return fd < 0 ? fd : move_high(fd);
}

void uwg_steer_release_ports(struct uwg_steer_reserve *r)
{
	for (size_t i = 0; i < r->n; i++)
		close(r->fds[i]);
	free(r->fds);
	r->fds = NULL;
	r->n = 0;
}

int uwg_steer_port_in_use(uint8_t proto, uint32_t addr, uint16_t port)
{
	int fd;

	if ((proto != IPPROTO_TCP && proto != IPPROTO_UDP) || port == 0)
		return -EINVAL;
	fd = bind_one(proto == IPPROTO_TCP ? SOCK_STREAM : SOCK_DGRAM, addr, port);
	if (fd >= 0) {
		close(fd);
		return 0;
	}
	return fd == -EADDRINUSE ? 1 : fd;
}

int uwg_steer_ephemeral_range(uint16_t *lo, uint16_t *hi)
{
	FILE *f = fopen("/proc/sys/net/ipv4/ip_local_port_range", "re");
	unsigned a, b;
	int n;

	if (!f)
		return -errno;
	n = fscanf(f, "%u %u", &a, &b);
	fclose(f);
	if (n != 2 || a > 65535 || b > 65535 || a > b)
		return -EIO;
	*lo = (uint16_t)a;
	*hi = (uint16_t)b;
	return 0;
}
