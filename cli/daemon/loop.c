/*
 * cli/daemon/loop.c - the running device (see cli/daemon/loop.h): the core's ops on libuv.
 *
 * Every fd is a uv_poll_t, not uv_udp_t, because the data path needs
 * recvmmsg/sendmmsg with pktinfo cmsgs. Packets come from one fixed pool.
 * Datagrams the core sends are queued (cli/daemon/udp.c) and flushed at the end of
 * each callback that entered the core, so one wakeup's worth of output leaves
 * in sendmmsg batches. Nothing here calls back into the core from inside a
 * core op: work the ops discover (a failed sticky source, a vanished TUN) is
 * deferred to after_core(). Loop thread only.
 */
#include "cli/daemon/loop.h"

#include <errno.h>
#include <net/if.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/daemon/crypt_pool.h"
#include "cli/daemon/igd_glue.h"
#include "cli/daemon/log.h"
#include "cli/daemon/fw_glue.h"
#include "cli/daemon/nat_glue.h"
#include "cli/daemon/tunio.h"
#include "cli/daemon/udp.h"
#include "core/wg.h"
#include "crypto/aead.h"
#include "crypto/ct.h"

enum { MAX_DEFERRED_SRC = 16 };

/* A poll handle whose fd can be replaced (UDP rebind, netns move): freed in its close callback. */
struct fdpoll {
	uv_poll_t h;
	struct uwg_loop *l;
	enum uwg_udp_family fam;
	int events;
};

struct uwg_loop {
	uv_loop_t uv;
	struct uwg_pool pool;
	bool pool_ready;
	struct uwg_wg *wg;
	struct uwg_tun tun;
	struct uwg_tunio tio;
	bool tio_ready;
	struct uwg_udp udp;
	bool udp_ready;
	struct uwg_uapi_sock sock;
	struct uwg_uapi_server *uapi;
	struct uwg_uapi_io io;
	struct uwg_natd *nat;   /* userspace NAT (cli/daemon/nat_glue.h); idle until configured */
	struct uwg_fwd *fwd;    /* IPv6 firewall (cli/daemon/fw_glue.h); idle until configured */
	struct uwg_crypt_pool *cpool; /* AEAD helpers (cli/daemon/crypt_pool.h); NULL: all on this thread */
	struct uwg_igdd *igdd;  /* UPnP IGD (cli/daemon/igd_glue.h); idle until configured */
	struct uwg_leases leases; /* the port maps' lease file */

	uv_poll_t tun_poll;
	struct fdpoll *udp_poll[UWG_UDP_NFAMILIES];
	struct fdpoll *nl_poll;
	uv_timer_t wg_timer;
	uv_timer_t link_timer;
	uv_check_t flush_check;
	uv_signal_t sig_term, sig_int, sig_hup;

	uint64_t deadline;      /* the core's earliest timer, UINT64_MAX = none */
	uint32_t mtu;
	bool closing;           /* tearing down: ops only return packets */
	bool stopping;          /* uv_run must not be re-entered */
	int exit_status;

	struct uwg_endpoint deferred_src[MAX_DEFERRED_SRC];
	unsigned ndeferred_src;

	struct uwg_log_limit lim_udp, lim_link, lim_event;
};

static void request_exit(struct uwg_loop *l, int status)
{
	if (l->stopping)
		return;
	l->stopping = true;
	l->exit_status = status;
	uv_stop(&l->uv);
}

/* ---- UDP polls ---- */

static void udp_poll_cb(uv_poll_t *h, int status, int events);
static void after_core(struct uwg_loop *l);

static void fdpoll_closed_cb(uv_handle_t *h)
{
	free(h->data);
}

static void fdpoll_close(struct fdpoll **fpp)
{
	if (*fpp) {
		uv_close((uv_handle_t *)&(*fpp)->h, fdpoll_closed_cb);
		*fpp = NULL;
	}
}

static struct fdpoll *fdpoll_open(struct uwg_loop *l, int fd, uv_poll_cb cb,
				  enum uwg_udp_family fam)
{
	struct fdpoll *fp = calloc(1, sizeof(*fp));

	if (!fp)
		return NULL;
	if (uv_poll_init(&l->uv, &fp->h, fd) < 0) {
		free(fp);
		return NULL;
	}
	fp->h.data = fp;
	fp->l = l;
	fp->fam = fam;
	fp->events = UV_READABLE;
	uv_poll_start(&fp->h, fp->events, cb);
	return fp;
}

static void udp_set_events(struct uwg_loop *l, enum uwg_udp_family fam, int events)
{
	struct fdpoll *fp = l->udp_poll[fam];

	if (fp && fp->events != events) {
		fp->events = events;
		uv_poll_start(&fp->h, events, udp_poll_cb);
	}
}

static void flush_udp(struct uwg_loop *l)
{
	unsigned blocked = uwg_udp_flush(&l->udp);

	for (int f = 0; f < UWG_UDP_NFAMILIES; f++)
		udp_set_events(l, (enum uwg_udp_family)f,
			       UV_READABLE | (blocked & (1u << f) ? UV_WRITABLE : 0));
}

static void udp_polls_stop(struct uwg_loop *l)
{
	for (int f = 0; f < UWG_UDP_NFAMILIES; f++)
		fdpoll_close(&l->udp_poll[f]);
}

static int udp_polls_start(struct uwg_loop *l)
{
	for (int f = 0; f < UWG_UDP_NFAMILIES; f++) {
		int fd = l->udp.socks.fd[f];

		if (fd < 0)
			continue;
		l->udp_poll[f] = fdpoll_open(l, fd, udp_poll_cb, (enum uwg_udp_family)f);
		if (!l->udp_poll[f])
			return -ENOMEM;
	}
	return 0;
}

static void udp_poll_cb(uv_poll_t *h, int status, int events)
{
	struct fdpoll *fp = h->data;
	struct uwg_loop *l = fp->l;
	struct uwg_pkt *pkts[UWG_UDP_BATCH];

	if (status < 0) {
		/* libuv stopped the handle on POLLERR: clear the socket error and go on. */
		int err = 0;
		socklen_t len = sizeof(err);

		getsockopt(l->udp.socks.fd[fp->fam], SOL_SOCKET, SO_ERROR, &err, &len);
		uv_poll_start(&fp->h, fp->events, udp_poll_cb);
		events = UV_READABLE;
	}
	if (events & UV_WRITABLE)
		flush_udp(l);
	if (events & UV_READABLE) {
		/* The budget counts socket reads; datagrams already read are always handed on. */
		for (int b = 0; !l->stopping;) {
			bool fresh = !uwg_udp_rx_buffered(&l->udp, fp->fam);
			int n;

			if (fresh && b++ >= UWG_LOOP_UDP_BUDGET)
				break;
			n = uwg_udp_recv(&l->udp, fp->fam, pkts, UWG_UDP_BATCH);
			if (n < 0) {
				uwg_log_limited(&l->lim_udp, uv_hrtime(), UWG_LOG_ERROR,
						"udp receive failed: %s", strerror(-n));
				break;
			}
			uwg_wg_udp_input_batch(l->wg, pkts, (size_t)n);
			/* A short batch leaves nothing buffered (udp.c hands on all it has first). */
			if (n < UWG_UDP_BATCH)
				break;
		}
	}
	after_core(l);
}

/* ---- sticky source failures ---- */

/* udp.c callback, possibly from inside a core op: only remember it. */
static void on_src_failed(void *ctx, const struct uwg_endpoint *ep)
{
	struct uwg_loop *l = ctx;

	for (unsigned i = 0; i < l->ndeferred_src; i++)
		if (uwg_endpoint_same(&l->deferred_src[i], ep))
			return;
	if (l->ndeferred_src < MAX_DEFERRED_SRC)
		l->deferred_src[l->ndeferred_src++] = *ep;
}

/* The address is gone or unroutable: peers using it as source fall back to routing's choice. */
static void clear_failed_sources(struct uwg_loop *l)
{
	struct uwg_peer_info info;

	if (!l->ndeferred_src || !l->wg)
		return;
	for (struct uwg_peer *p = uwg_wg_peer_first(l->wg); p; p = uwg_wg_peer_next(l->wg, p)) {
		uwg_peer_get_info(p, &info);
		for (unsigned i = 0; i < l->ndeferred_src; i++) {
			if (uwg_endpoint_same(&info.endpoint, &l->deferred_src[i])) {
				struct uwg_endpoint ep = info.endpoint;

				ep.has_src = false;
				memset(&ep.src, 0, sizeof(ep.src));
				ep.src_ifindex = 0;
				uwg_peer_set_endpoint(p, &ep);
				break;
			}
		}
	}
	uwg_memzero(&info, sizeof(info));
	l->ndeferred_src = 0;
}

/* ---- link state ---- */

static void nl_poll_cb(uv_poll_t *h, int status, int events);

static void nl_poll_start(struct uwg_loop *l)
{
	int fd = uwg_tun_monitor_fd(&l->tun);

	if (fd >= 0)
		l->nl_poll = fdpoll_open(l, fd, nl_poll_cb, UWG_UDP_V4);
}

static void refresh_link(struct uwg_loop *l)
{
	struct uwg_tun_link link;
	int ret;

	if (l->stopping)
		return;
	ret = uwg_tun_link_get(&l->tun, &link);
	if (ret == -EXDEV) {
		/* Moved, not deleted: the fd still works; watch the new namespace. */
		fdpoll_close(&l->nl_poll);
		ret = uwg_tun_follow(&l->tun);
		if (ret < 0 && ret != -EBADFD)
			uwg_log_error("cannot follow interface %s into its new network namespace: %s",
				      l->tun.name, strerror(-ret));
		if (ret != -EBADFD) {
			nl_poll_start(l);
			uwg_log_info("interface %s moved to another network namespace",
				     l->tun.name);
			ret = uwg_tun_link_get(&l->tun, &link);
		}
	}
	if (ret == -EBADFD) {
		uwg_log_info("interface %s is gone, shutting down", l->tun.name);
		request_exit(l, 0);
		return;
	}
	if (ret == -EPERM) {
		/* entering the device's namespace needs CAP_SYS_ADMIN, which privsep dropped */
		uwg_log_limited(&l->lim_link, uv_hrtime(), UWG_LOG_INFO,
				"cannot see %s in its network namespace without CAP_SYS_ADMIN "
				"(UWG_USER=root): keeping its last state", l->tun.name);
		return;
	}
	if (ret < 0) {
		uwg_log_limited(&l->lim_link, uv_hrtime(), UWG_LOG_DEBUG,
				"cannot read link state of %s: %s", l->tun.name, strerror(-ret));
		return;
	}
	if (link.mtu && link.mtu != l->mtu) {
		l->mtu = link.mtu;
		uwg_wg_set_mtu(l->wg, link.mtu);
		uwg_log_debug("MTU of %s is %u", l->tun.name, link.mtu);
	}
	if (link.up != uwg_wg_is_up(l->wg)) {
		uwg_log_info("interface %s is %s", l->tun.name, link.up ? "up" : "down");
		if (link.up)
			uwg_wg_up(l->wg);
		else
			uwg_wg_down(l->wg);
	}
}

static void nl_poll_cb(uv_poll_t *h, int status, int events)
{
	struct fdpoll *fp = h->data;
	struct uwg_loop *l = fp->l;

	(void)events;
	if (status < 0)
		uv_poll_start(&fp->h, UV_READABLE, nl_poll_cb);
	if (uwg_tun_monitor_drain(&l->tun) || status < 0)
		refresh_link(l);
	after_core(l);
}

static void link_timer_cb(uv_timer_t *t)
{
	struct uwg_loop *l = t->data;

	refresh_link(l);
	after_core(l);
}

/* Work deferred out of core ops, then the batched sends. */
static void after_core(struct uwg_loop *l)
{
	if (l->closing)
		return;
	clear_failed_sources(l);
	uwg_tunio_flush(&l->tio);
	if (l->tio.gone) {
		l->tio.gone = false;
		refresh_link(l);
	}
	if (l->nat)
		uwg_natd_flush(l->nat);
	flush_udp(l);
}

static void flush_check_cb(uv_check_t *c)
{
	after_core(c->data);
}

/* ---- TUN ---- */

/* tunio hands on what it read: the NAT takes its own, the firewall drops what it must, the core the rest. */
static void tun_input(void *ctx, struct uwg_pkt **pkts, unsigned n)
{
	struct uwg_loop *l = ctx;
	uint64_t now = uwg_fwd_table(l->fwd) ? uv_hrtime() : 0;
	unsigned k = 0;

	for (unsigned i = 0; i < n; i++)
		if (!(l->nat && uwg_natd_from_tun(l->nat, pkts[i])) &&
		    !(now && uwg_fwd_inbound(l->fwd, pkts[i], now)))
			pkts[k++] = pkts[i];
	uwg_wg_tun_input_batch(l->wg, pkts, k);
}

static void tun_poll_cb(uv_poll_t *h, int status, int events)
{
	struct uwg_loop *l = h->data;

	(void)events;
	if (status < 0) {
		/* POLLERR: the interface was deleted, or something transient. */
		refresh_link(l);
		if (l->stopping)
			return;
		uv_poll_start(&l->tun_poll, UV_READABLE, tun_poll_cb);
	}
	/* A packet can beat the netlink event that says the link came up. */
	if (!uwg_wg_is_up(l->wg))
		refresh_link(l);
	if (!l->stopping && uwg_tunio_read(&l->tio, UWG_LOOP_TUN_BUDGET) == -EBADFD)
		refresh_link(l);
	after_core(l);
}

/* ---- core ops ---- */

static uint64_t op_now(void *ctx)
{
	(void)ctx;
	return uv_hrtime();
}

static uint64_t op_cpu_now(void *ctx)
{
	struct timespec ts;

	(void)ctx;
	/* 0: no cost is seen, and the message-count backstop still applies. */
	if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts) < 0)
		return 0;
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void op_wall(void *ctx, struct timespec *ts)
{
	(void)ctx;
	clock_gettime(CLOCK_REALTIME, ts);
}

static void op_random(void *ctx, uint8_t *out, size_t len)
{
	(void)ctx;
	uwg_random_bytes(out, len);
}

/*
 * The engine's events in the log: sessions, roaming, peers and expiry at
 * info, each handshake message at debug (LOG_LEVEL=verbose). A peer may
 * cause them at will, so they share one rate limit.
 */
static void op_event(void *ctx, enum uwg_wg_event ev, const struct uwg_peer *peer,
		     const struct uwg_endpoint *ep)
{
	static const char *const what[] = {
		[UWG_WG_EV_PEER_ADDED] = "added",
		[UWG_WG_EV_PEER_REMOVED] = "removed",
		[UWG_WG_EV_SESSION] = "handshake completed, new session with",
		[UWG_WG_EV_ENDPOINT] = "endpoint changed to",
		[UWG_WG_EV_KEYS_EXPIRED] = "no new session for three Reject-After-Times: keys zeroed",
		[UWG_WG_EV_INITIATION_SENT] = "sending handshake initiation to",
		[UWG_WG_EV_INITIATION_RECEIVED] = "received handshake initiation from",
		[UWG_WG_EV_RESPONSE_SENT] = "sending handshake response to",
		[UWG_WG_EV_RESPONSE_RECEIVED] = "received handshake response from",
		[UWG_WG_EV_COOKIE_SENT] = "under load: sending a cookie reply to",
		[UWG_WG_EV_COOKIE_RECEIVED] = "received a cookie reply from",
	};
	struct uwg_loop *l = ctx;
	enum uwg_log_level level = ev <= UWG_WG_EV_KEYS_EXPIRED ? UWG_LOG_INFO : UWG_LOG_DEBUG;
	char name[UWG_LOG_PEER_LEN] = "", where[UWG_ENDPOINT_STRLEN] = "";

	if (l->closing || uwg_log_get_level() < level ||
	    !uwg_log_limit_allow(&l->lim_event, uv_hrtime()))
		return;
	if (peer)
		uwg_log_peer_name(name, uwg_peer_public_key(peer));
	if (ep)
		uwg_endpoint_format(ep, where, sizeof(where));
	uwg_log(level, "%s%s%s%s%s", name, peer ? " - " : "", what[ev], where[0] ? " " : "",
		where);
}

static void op_udp_send(void *ctx, struct uwg_pkt *pkt)
{
	struct uwg_loop *l = ctx;
	enum uwg_udp_family fam;

	if (l->closing) {
		uwg_pool_put(&l->pool, pkt);
		return;
	}
	fam = pkt->ep.addr.sa.sa_family == AF_INET6 ? UWG_UDP_V6 : UWG_UDP_V4;
	uwg_udp_queue(&l->udp, pkt);
	/* Keep queues short during long callbacks (a quarter of the pool); the rest goes in after_core. */
	if (uwg_udp_pending(&l->udp, fam) >= UWG_LOOP_POOL_PACKETS / 4)
		flush_udp(l);
}

static void op_tun_write(void *ctx, struct uwg_pkt *pkt)
{
	struct uwg_loop *l = ctx;

	if (!l->closing && uwg_fwd_table(l->fwd))
		uwg_fwd_outbound(l->fwd, pkt, uv_hrtime());
	/* NAT traffic leaves through the raw socket or back into the tunnel. */
	if (!l->closing && l->nat && uwg_natd_to_tun(l->nat, pkt))
		return;
	if (l->closing) {
		uwg_pool_put(&l->pool, pkt);
		return;
	}
	uwg_tunio_write(&l->tio, pkt);
}

static void wg_timer_cb(uv_timer_t *t);

static void arm_timer(struct uwg_loop *l)
{
	uint64_t now, ms;

	if (l->deadline == UINT64_MAX) {
		uv_timer_stop(&l->wg_timer);
		return;
	}
	now = uv_hrtime();
	ms = l->deadline > now ? (l->deadline - now + 999999) / 1000000 : 0;
	/* libuv counts from its cached loop time; refresh it so we do not fire early. */
	uv_update_time(&l->uv);
	uv_timer_start(&l->wg_timer, wg_timer_cb, ms, 0);
}

static void op_timer_arm(void *ctx, uint64_t deadline)
{
	struct uwg_loop *l = ctx;

	l->deadline = deadline;
	if (!l->closing)
		arm_timer(l);
}

static void wg_timer_cb(uv_timer_t *t)
{
	struct uwg_loop *l = t->data;

	uwg_wg_timers_run(l->wg);
	/* The core re-arms only when the deadline moves; after an early wake-up it did not. */
	if (!uv_is_active((uv_handle_t *)t) && l->deadline != UINT64_MAX)
		arm_timer(l);
	after_core(l);
}

/* ---- UAPI I/O keys ---- */

static int io_set_listen_port(void *ctx, uint16_t port)
{
	struct uwg_loop *l = ctx;
	struct uwg_udp_socks socks;
	int ret;

	if (port && port == l->udp.socks.port)
		return 0;
	ret = uwg_udp_open(&l->udp, port, &socks);
	if (ret < 0) {
		uwg_log_error("cannot listen on UDP port %u: %s", port, strerror(-ret));
		return ret;
	}
	udp_polls_stop(l);
	uwg_udp_install(&l->udp, &socks);
	ret = udp_polls_start(l);
	uwg_log_info("listening on UDP port %u", l->udp.socks.port);
	return ret;
}

static uint16_t io_listen_port(void *ctx)
{
	struct uwg_loop *l = ctx;

	return l->udp.socks.port;
}

static int io_set_fwmark(void *ctx, uint32_t mark)
{
	struct uwg_loop *l = ctx;
	int ret = uwg_udp_set_fwmark(&l->udp, mark);

	if (ret < 0)
		uwg_log_error("cannot set fwmark %u: %s", mark, strerror(-ret));
	return ret;
}

static uint32_t io_fwmark(void *ctx)
{
	struct uwg_loop *l = ctx;

	return l->udp.fwmark;
}

static struct uwg_crypt_pool_stats crypt_stats(const struct uwg_loop *l)
{
	struct uwg_crypt_pool_stats st;

	uwg_crypt_pool_get_stats(l->cpool, &st);
	return st;
}

static size_t io_extra_stats(void *ctx, const char **names, uint64_t *values, size_t cap)
{
	struct uwg_loop *l = ctx;
	const struct uwg_tunio_stats *t = &l->tio.stats;
	const struct uwg_udp_stats *u = &l->udp.stats;
	const struct uwg_crypt_pool_stats cst = crypt_stats(l);
	const struct {
		const char *name;
		uint64_t value;
	} all[] = {
		{ "io_tun_read_errors", t->read_errors },
		{ "io_tun_write_errors", t->write_errors },
		{ "io_tun_write_dropped", t->write_dropped },
		{ "io_tun_pool_empty", t->pool_empty },
		{ "io_tun_bad_offload", t->bad_offload },
		{ "io_tun_gso_reads", t->gso_reads },
		{ "io_tun_gro_writes", t->gro_writes },
		{ "io_tun_gro_refused", t->gro_refused },
		{ "io_udp_rx_truncated", u->rx_truncated },
		{ "io_udp_rx_pool_empty", u->rx_pool_empty },
		{ "io_udp_rx_errors", u->rx_errors },
		{ "io_udp_tx_errors", u->tx_errors },
		{ "io_udp_tx_no_socket", u->tx_no_socket },
		{ "io_udp_tx_src_cleared", u->tx_src_cleared },
		{ "io_udp_tx_gso_sends", u->tx_gso_sends },
		{ "io_udp_tx_gso_off", u->tx_gso_off },
		{ "io_udp_rx_gro_msgs", u->rx_gro_msgs },
		{ "io_crypt_batches", cst.batches },
		{ "io_crypt_jobs_helped", cst.jobs_helped },
	};
	size_t n = 0;

	for (; n < cap && n < sizeof(all) / sizeof(all[0]); n++) {
		names[n] = all[n].name;
		values[n] = all[n].value;
	}
	return n;
}

static uint32_t nat_mtu(void *ctx)
{
	struct uwg_loop *l = ctx;

	return l->mtu ? l->mtu : 1420;
}

static unsigned io_ifindex(void *ctx, const char *name)
{
	(void)ctx;
	return if_nametoindex(name);
}

static void uapi_gone(void *ctx)
{
	struct uwg_loop *l = ctx;

	uwg_log_info("UAPI socket was removed, shutting down");
	request_exit(l, 0);
}

/* ---- signals ---- */

static void signal_cb(uv_signal_t *s, int signum)
{
	struct uwg_loop *l = s->data;

	if (signum == SIGHUP) {
		uwg_log_reopen();
		return;
	}
	uwg_log_info("received %s, shutting down", signum == SIGTERM ? "SIGTERM" : "SIGINT");
	request_exit(l, 0);
}

/* ---- lifecycle ---- */

static void init_limit(struct uwg_log_limit *rl)
{
	rl->burst = 5;
	rl->interval_ns = 10ull * 1000000000u;
}

/*
 * UWG_AEAD=libsodium|openssl overrides the build's ChaCha20-Poly1305 choice
 * (for A/B measurements and as an escape hatch); before any crypto thread starts.
 */
static void setup_aead(const char *env)
{
	if (env && *env) {
		int ret = -EINVAL;

		if (!strcmp(env, "libsodium"))
			ret = uwg_aead_select(UWG_AEAD_IMPL_SODIUM);
		else if (!strcmp(env, "openssl"))
			ret = uwg_aead_select(UWG_AEAD_IMPL_OPENSSL);
		if (ret < 0)
			uwg_log_error("UWG_AEAD=%s ignored: %s", env,
				      ret == -ENOTSUP ? "not in this build" : "libsodium or openssl");
	}
	uwg_log_info("ChaCha20-Poly1305 on %s", uwg_aead_impl_name(uwg_aead_selected()));
}

static void op_crypt_batch(void *ctx, struct uwg_crypt_job *jobs, size_t n)
{
	struct uwg_loop *l = ctx;

	uwg_crypt_pool_run(l->cpool, jobs, n);
}

/*
 * Data-message AEAD spread over other cores: UWG_CRYPTO_THREADS=N workers.
 * Off by default: on a 2-vCPU machine where both ends and the applications
 * share the cores, the hand-overs cost more (wake-ups, cache traffic) than
 * the second core gives back (TCP about 15-25 % slower, more CPU per
 * Gbit/s), so only machines with idle cores should turn it on.
 */
static void setup_crypt_pool(struct uwg_loop *l, struct uwg_wg_ops *ops, const char *env)
{
	long workers = 0;
	int ret;

	if (env && *env) {
		char *end;
		long v = strtol(env, &end, 10);

		if (*end || v < 0 || v > UWG_CRYPT_POOL_MAX_WORKERS)
			uwg_log_error("UWG_CRYPTO_THREADS=%s ignored (0..%d)", env,
				      UWG_CRYPT_POOL_MAX_WORKERS);
		else
			workers = v;
	}
	if (workers <= 0)
		return;
	ret = uwg_crypt_pool_new(&l->cpool, (unsigned)workers);
	if (ret < 0) {
		uwg_log_error("cannot start crypto threads: %s", strerror(-ret));
		return;
	}
	ops->crypt_batch = op_crypt_batch;
	uwg_log_debug("%ld crypto worker thread(s)", workers);
}

int uwg_loop_new(struct uwg_loop **out, struct uwg_tun *tun, struct uwg_uapi_sock *sock,
		 const struct uwg_loop_config *cfg, const char **err_msg)
{
	struct uwg_loop *l = calloc(1, sizeof(*l));
	struct uwg_udp_socks socks;
	struct uwg_wg_ops ops = {
		.now = op_now,
		.cpu_now = op_cpu_now,
		.wall = op_wall,
		.random = op_random,
		.udp_send = op_udp_send,
		.tun_write = op_tun_write,
		.timer_arm = op_timer_arm,
		.event = op_event,
	};
	int ret;

	*out = NULL;
	*err_msg = "out of memory";
	if (!l) {
		uwg_tun_close(tun);
		uwg_uapi_unlisten(sock);
		if (cfg->lease_fd >= 0)
			close(cfg->lease_fd);
		return -ENOMEM;
	}
	l->tun = *tun;
	tun->fd = tun->self_ns = tun->ctl = tun->nl = -1;
	l->sock = *sock;
	sock->fd = -1;
	l->leases = (struct uwg_leases){ .fd = cfg->lease_fd };
	l->deadline = UINT64_MAX;
	l->udp.socks.fd[0] = l->udp.socks.fd[1] = -1;
	init_limit(&l->lim_udp);
	init_limit(&l->lim_link);
	/* Events: a burst (a config of many peers), then one a second. */
	l->lim_event.burst = 200;
	l->lim_event.interval_ns = 1000000000u;

	*err_msg = "event loop";
	ret = uv_loop_init(&l->uv);
	if (ret < 0) {
		uwg_tun_close(&l->tun);
		uwg_uapi_unlisten(&l->sock);
		uwg_leases_close(&l->leases);
		free(l);
		return ret;
	}
	/* Every embedded handle exists from here on, so uwg_loop_free can close them all. */
	uv_poll_init(&l->uv, &l->tun_poll, l->tun.fd);
	l->tun_poll.data = l;
	uv_timer_init(&l->uv, &l->wg_timer);
	l->wg_timer.data = l;
	uv_timer_init(&l->uv, &l->link_timer);
	l->link_timer.data = l;
	uv_check_init(&l->uv, &l->flush_check);
	l->flush_check.data = l;
	uv_signal_init(&l->uv, &l->sig_term);
	uv_signal_init(&l->uv, &l->sig_int);
	uv_signal_init(&l->uv, &l->sig_hup);
	l->sig_term.data = l->sig_int.data = l->sig_hup.data = l;
	*out = l;

	*err_msg = "packet pool";
	ret = uwg_pool_init(&l->pool, UWG_LOOP_POOL_PACKETS);
	if (ret < 0)
		return ret;
	l->pool_ready = true;
	ret = uwg_udp_init(&l->udp, &l->pool);
	if (ret < 0)
		return ret;
	l->udp_ready = true;
	ret = uwg_tunio_init(&l->tio, &l->pool, &l->tun);
	if (ret < 0)
		return ret;
	l->tio_ready = true;
	l->tio.input = tun_input;
	l->tio.ctx = l;
	l->udp.no_offload = cfg->no_offload;
	l->udp.src_failed = on_src_failed;
	l->udp.ctx = l;

	*err_msg = "WireGuard device";
	ops.ctx = l;
	setup_aead(cfg->aead);
	setup_crypt_pool(l, &ops, cfg->crypto_threads);
	l->wg = uwg_wg_new(&ops, &l->pool);
	if (!l->wg)
		return -ENOMEM;
	if (cfg->timer_divisor) {
		*err_msg = "UWG_TEST_TIMER_DIVISOR (test knobs need a build with -DUWG_TEST_KNOBS=ON)";
		ret = uwg_wg_set_test_timer_divisor(l->wg, cfg->timer_divisor);
		if (ret < 0)
			return ret;
		uwg_log_info("protocol timers divided by %u (test mode)", cfg->timer_divisor);
	}

	*err_msg = "UDP sockets";
	ret = uwg_udp_open(&l->udp, 0, &socks);
	if (ret < 0)
		return ret;
	uwg_udp_install(&l->udp, &socks);
	ret = udp_polls_start(l);
	if (ret < 0)
		return ret;

	uwg_tunio_setup_offload(&l->tio, cfg->no_offload);

	*err_msg = "TUN polling";
	ret = uv_poll_start(&l->tun_poll, UV_READABLE, tun_poll_cb);
	if (ret < 0)
		return ret;
	nl_poll_start(l);
	refresh_link(l);

	l->io = (struct uwg_uapi_io){
		.ctx = l,
		.set_listen_port = io_set_listen_port,
		.listen_port = io_listen_port,
		.set_fwmark = io_set_fwmark,
		.fwmark = io_fwmark,
		.extra_stats = io_extra_stats,
		.ifindex = io_ifindex,
	};
	*err_msg = "NAT";
	ret = uwg_natd_new(&l->nat, &(struct uwg_natd_env){ .uv = &l->uv, .pool = &l->pool,
							      .wg = l->wg, .tun_name = l->tun.name,
							      .ctx = l, .listen_port = io_listen_port,
							      .mtu = nat_mtu });
	if (ret < 0)
		return ret;
	uwg_natd_uapi_hooks(l->nat, &l->io);
	*err_msg = "IPv6 firewall";
	ret = uwg_fwd_new(&l->fwd, &(struct uwg_fwd_env){ .uv = &l->uv, .pool = &l->pool,
							   .wg = l->wg });
	if (ret < 0)
		return ret;
	uwg_fwd_uapi_hooks(l->fwd, &l->io);
	*err_msg = "UPnP IGD";
	ret = uwg_igdd_new(&l->igdd, &(struct uwg_igdd_env){ .uv = &l->uv, .wg = l->wg,
							       .natd = l->nat, .fwd = l->fwd,
							       .tun = &l->tun,
							       .ctx = l, .listen_port = io_listen_port,
							       .leases = &l->leases });
	if (ret < 0)
		return ret;
	uwg_igdd_uapi_hooks(l->igdd, &l->io);
	*err_msg = "UAPI server";
	ret = uwg_uapi_server_start(&l->uapi, &l->uv, &l->sock, l->wg, &l->io, uapi_gone, l);
	if (ret < 0)
		return ret;

	uv_timer_start(&l->link_timer, link_timer_cb, UWG_LOOP_LINK_CHECK_MS,
		       UWG_LOOP_LINK_CHECK_MS);
	uv_check_start(&l->flush_check, flush_check_cb);
	uv_signal_start(&l->sig_term, signal_cb, SIGTERM);
	uv_signal_start(&l->sig_int, signal_cb, SIGINT);
	uv_signal_start(&l->sig_hup, signal_cb, SIGHUP);
	*err_msg = NULL;
	return 0;
}

int uwg_loop_run(struct uwg_loop *l)
{
	uwg_log_info("interface %s ready, listening on UDP port %u", l->tun.name,
		     l->udp.socks.port);
	while (!l->stopping && uv_run(&l->uv, UV_RUN_DEFAULT))
		;
	return l->exit_status;
}

static void close_if_open(uv_handle_t *h)
{
	if (!uv_is_closing(h))
		uv_close(h, NULL);
}

static void walk_close_cb(uv_handle_t *h, void *arg)
{
	(void)arg;
	if (!uv_is_closing(h))
		uv_close(h, NULL);
}

void uwg_loop_free(struct uwg_loop *l)
{
	if (!l)
		return;
	l->closing = true;
	l->stopping = true;
	/* The IGD's ops use the device and the NAT: it stops (joining pupnp's threads) first. */
	uwg_igdd_free(l->igdd);
	l->igdd = NULL;
	uwg_fwd_free(l->fwd);
	l->fwd = NULL;
	/* First the secrets: the ops now only hand packets back to the pool. */
	if (l->wg)
		uwg_wg_free(l->wg);
	l->wg = NULL;
	uwg_crypt_pool_free(l->cpool);
	l->cpool = NULL;
	/* NAT filters go before the socket does, so `uwg down` finds none left. */
	uwg_natd_free(l->nat);
	l->nat = NULL;
	/* So does the UDP port: `uwg down` then `uwg up` may want it at once. */
	udp_polls_stop(l);
	if (l->udp_ready)
		uwg_udp_destroy(&l->udp);
	l->udp_ready = false;
	if (l->uapi)
		uwg_uapi_server_stop(l->uapi);
	else
		uwg_uapi_unlisten(&l->sock);
	l->uapi = NULL;

	udp_polls_stop(l);
	fdpoll_close(&l->nl_poll);
	close_if_open((uv_handle_t *)&l->tun_poll);
	close_if_open((uv_handle_t *)&l->wg_timer);
	close_if_open((uv_handle_t *)&l->link_timer);
	close_if_open((uv_handle_t *)&l->flush_check);
	close_if_open((uv_handle_t *)&l->sig_term);
	close_if_open((uv_handle_t *)&l->sig_int);
	close_if_open((uv_handle_t *)&l->sig_hup);
	uv_run(&l->uv, UV_RUN_DEFAULT);
	if (uv_loop_close(&l->uv) == UV_EBUSY) {
		uv_walk(&l->uv, walk_close_cb, NULL);
		uv_run(&l->uv, UV_RUN_DEFAULT);
		uv_loop_close(&l->uv);
	}

	if (l->udp_ready)
		uwg_udp_destroy(&l->udp);
	if (l->tio_ready)
		uwg_tunio_destroy(&l->tio);
	uwg_leases_close(&l->leases);
	if (geteuid() == 0) /* no monitor does it for us */
		uwg_leases_remove_unused(l->tun.name);
	uwg_tun_close(&l->tun);
	if (l->pool_ready)
		uwg_pool_destroy(&l->pool);
	free(l);
}
