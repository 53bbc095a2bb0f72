/*
 * igd/ssdp.c - the SSDP child (pupnp for IPv4, igd/ssdp6.c on a socket of
 * its own for IPv6) and its supervisor; see ssdp.h.
 *
 * Supervisor: loop thread. Child: its own process (uwg_igd_ssdp_main),
 * single-threaded apart from pupnp's threads, which only ever call pupnp.
 */
#include "igd/ssdp.h"
#include "igd/ssdp6.h"

#include <arpa/inet.h>
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <linux/capability.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/socket.h>
#include <unistd.h>
#include <upnp/upnp.h>

/* pupnp's list.h ends with "#undef bool" and "#undef true", taking <stdbool.h>'s macros along */
#undef bool
#undef true
#undef false
#define bool _Bool
#define true 1
#define false 0

#define CHILD_FD 3
#define BACKOFF_MAX_S 30
#define KILL_AFTER_MS 3000

struct uwg_igd_ssdp {
	uv_loop_t *loop;
	struct uwg_igd_ssdp_params p; /* strings below are our copies */
	char *exe, *ifname, *desc_url, *desc_url6, *lower_url6, *uuid;
	uv_process_t proc;
	uv_pipe_t pipe;
	uv_timer_t timer;    /* restart backoff, then the kill deadline while stopping */
	bool proc_live, pipe_live, stopping;
	char line[64];
	size_t line_len;
	unsigned backoff_s;
	int last_err;
	unsigned said_other;   /* other lines of the child logged (at most 16) */
	struct uwg_igd_ssdp_stats st;
};

static void say(struct uwg_igd_ssdp *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void say(struct uwg_igd_ssdp *s, const char *fmt, ...)
{
	char msg[200];
	va_list ap;

	if (!s->p.log)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	s->p.log(s->p.log_ctx, msg);
}

static void spawn(struct uwg_igd_ssdp *s);

static void maybe_free(struct uwg_igd_ssdp *s);

static void free_ssdp(struct uwg_igd_ssdp *s)
{
	free(s->exe);
	free(s->ifname);
	free(s->desc_url);
	free(s->desc_url6);
	free(s->lower_url6);
	free(s->uuid);
	free(s);
}

static void on_timer_closed(uv_handle_t *h)
{
	free_ssdp(h->data);
}

static void maybe_free(struct uwg_igd_ssdp *s)
{
	if (s->stopping && !s->proc_live && !s->pipe_live && !uv_is_closing((uv_handle_t *)&s->timer))
		uv_close((uv_handle_t *)&s->timer, on_timer_closed);
}

static void on_proc_closed(uv_handle_t *h)
{
	struct uwg_igd_ssdp *s = h->data;

	s->proc_live = false;
	maybe_free(s);
}

static void on_pipe_closed(uv_handle_t *h)
{
	struct uwg_igd_ssdp *s = h->data;

	s->pipe_live = false;
	maybe_free(s);
}

static void close_pipe(struct uwg_igd_ssdp *s)
{
	if (s->pipe_live && !uv_is_closing((uv_handle_t *)&s->pipe))
		uv_close((uv_handle_t *)&s->pipe, on_pipe_closed);
}

static void on_restart(uv_timer_t *t)
{
	struct uwg_igd_ssdp *s = t->data;

	if (s->stopping)
		return;
	if (s->proc_live || s->pipe_live) {
		uv_timer_start(&s->timer, on_restart, 100, 0); /* still closing */
		return;
	}
	spawn(s);
}

static void schedule_restart(struct uwg_igd_ssdp *s)
{
	uv_timer_start(&s->timer, on_restart, (uint64_t)s->backoff_s * 1000u, 0);
	if (s->backoff_s < BACKOFF_MAX_S)
		s->backoff_s = s->backoff_s * 2 > BACKOFF_MAX_S ? BACKOFF_MAX_S : s->backoff_s * 2;
}

static void on_exit_cb(uv_process_t *proc, int64_t status, int signo)
{
	struct uwg_igd_ssdp *s = proc->data;
	bool was_running = s->st.running;

	s->st.running = 0;
	s->st.ipv6 = 0;
	uv_close((uv_handle_t *)proc, on_proc_closed);
	close_pipe(s);
	if (s->stopping) {
		uv_timer_stop(&s->timer);
		return;
	}
	if (signo || was_running) {
		s->st.crashes++;
		say(s, "igd: SSDP child exited (%s %d); discovery restarts in %u s, maps and HTTP "
		       "are unaffected",
		    signo ? "signal" : "status", signo ? signo : (int)status, s->backoff_s);
	}
	schedule_restart(s);
}

static bool printable(const char *p)
{
	for (; *p; p++)
		if (*p < 0x20 || *p > 0x7e)
			return false;
	return true;
}

static void on_line(struct uwg_igd_ssdp *s, const char *line)
{
	int n, v6 = 0;

	if (sscanf(line, "READY %d %d", &n, &v6) >= 1) {
		s->st.running = 1;
		s->st.ipv6 = v6 == 1;
		s->st.filtered = n > 0 ? (unsigned)n : 0;
		s->backoff_s = 1;
		s->last_err = 0;
	} else if (sscanf(line, "ERR %d", &n) == 1 && n != s->last_err) {
		/* once per distinct error: it retries with backoff */
		s->last_err = n;
		say(s, "igd: SSDP child could not start: %s (retrying)", strerror(n));
	} else if (!strncmp(line, "uwg: ", 5) && s->said_other < 16 && printable(line)) {
		/* the child's own diagnostics (a refused system call, say), bounded per daemon */
		s->said_other++;
		say(s, "igd: SSDP child: %.120s", line + 5);
	}
}

static void on_alloc(uv_handle_t *h, size_t hint, uv_buf_t *buf)
{
	struct uwg_igd_ssdp *s = h->data;

	(void)hint;
	*buf = uv_buf_init(s->line + s->line_len, (unsigned)(sizeof(s->line) - 1 - s->line_len));
}

static void on_read(uv_stream_t *st, ssize_t n, const uv_buf_t *buf)
{
	struct uwg_igd_ssdp *s = st->data;
	char *nl;

	(void)buf;
	if (n < 0) {
		close_pipe(s); /* the child is going; its exit callback restarts it */
		return;
	}
	s->line_len += (size_t)n;
	s->line[s->line_len] = '\0';
	while ((nl = strchr(s->line, '\n')) != NULL) {
		*nl = '\0';
		on_line(s, s->line);
		s->line_len -= (size_t)(nl + 1 - s->line);
		memmove(s->line, nl + 1, s->line_len + 1);
	}
	if (s->line_len == sizeof(s->line) - 1)
		s->line_len = 0; /* a line that long is not ours */
}

static void spawn(struct uwg_igd_ssdp *s)
{
	char ip[INET_ADDRSTRLEN], advert[16], net[16], mask[16], ifindex[16], nofilter[4];
	char net6[INET6_ADDRSTRLEN], bits6[8], ip6[INET6_ADDRSTRLEN];
	char *args[] = { s->exe, (char *)UWG_IGD_SSDP_ARG, s->ifname, ip, s->desc_url, advert,
			 net, mask, ifindex, nofilter,
			 /* IPv6: "-" for none */
			 s->desc_url6 ? s->desc_url6 : (char *)"-",
			 s->lower_url6 ? s->lower_url6 : (char *)"-", net6, bits6, ip6,
			 s->uuid ? s->uuid : (char *)"-", NULL };
	uv_stdio_container_t stdio[4];
	uv_process_options_t o;
	int err;

	inet_ntop(AF_INET, &s->p.tunnel_ip, ip, sizeof(ip));
	inet_ntop(AF_INET6, &s->p.filter.net6, net6, sizeof(net6));
	inet_ntop(AF_INET6, &s->p.tunnel_ip6, ip6, sizeof(ip6));
	snprintf(bits6, sizeof(bits6), "%u", s->p.filter.v6 ? s->p.filter.bits6 : 129u);
	snprintf(advert, sizeof(advert), "%u", s->p.advert_s);
	snprintf(net, sizeof(net), "%u", s->p.filter.net_h);
	snprintf(mask, sizeof(mask), "%u", s->p.filter.mask_h);
	snprintf(ifindex, sizeof(ifindex), "%d", s->p.filter.ifindex);
	snprintf(nofilter, sizeof(nofilter), "%d", s->p.no_filter ? 1 : 0);

	err = uv_pipe_init(s->loop, &s->pipe, 0);
	if (err) {
		schedule_restart(s);
		return;
	}
	s->pipe.data = s;
	s->pipe_live = true;
	s->line_len = 0;
	memset(stdio, 0, sizeof(stdio));
	stdio[0].flags = UV_IGNORE;
	stdio[1].flags = UV_INHERIT_FD;
	stdio[1].data.fd = 1;
	stdio[2].flags = UV_INHERIT_FD;
	stdio[2].data.fd = 2;
	stdio[3].flags = (uv_stdio_flags)(UV_CREATE_PIPE | UV_READABLE_PIPE | UV_WRITABLE_PIPE);
	stdio[3].data.stream = (uv_stream_t *)&s->pipe;
	memset(&o, 0, sizeof(o));
	o.file = s->exe;
	o.args = args;
	o.exit_cb = on_exit_cb;
	o.stdio = stdio;
	o.stdio_count = 4;
	s->proc.data = s;
	err = uv_spawn(s->loop, &s->proc, &o);
	s->proc_live = true; /* initialised either way: it must be closed */
	if (err) {
		uv_close((uv_handle_t *)&s->proc, on_proc_closed);
		close_pipe(s);
		if (err != s->last_err) {
			s->last_err = err;
			say(s, "igd: cannot start the SSDP child %s: %s (retrying)", s->exe,
			    uv_strerror(err));
		}
		schedule_restart(s);
		return;
	}
	s->st.starts++;
	err = uv_read_start((uv_stream_t *)&s->pipe, on_alloc, on_read);
	if (err)
		close_pipe(s);
}

static char *dup_or_null(const char *x, bool *oom)
{
	char *d = x ? strdup(x) : NULL;

	if (x && !d)
		*oom = true;
	return d;
}

int uwg_igd_ssdp_start(struct uwg_igd_ssdp **out, uv_loop_t *loop,
		       const struct uwg_igd_ssdp_params *p)
{
	struct uwg_igd_ssdp *s;
	bool oom = false;
	int err;

	*out = NULL;
	if (!p->ifname || !p->desc_url)
		return -EINVAL;
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->loop = loop;
	s->p = *p;
	s->exe = dup_or_null(p->exe ? p->exe : "/proc/self/exe", &oom);
	s->ifname = dup_or_null(p->ifname, &oom);
	s->desc_url = dup_or_null(p->desc_url, &oom);
	if (p->desc_url6 && p->lower_url6 && p->uuid) {
		s->desc_url6 = dup_or_null(p->desc_url6, &oom);
		s->lower_url6 = dup_or_null(p->lower_url6, &oom);
		s->uuid = dup_or_null(p->uuid, &oom);
	}
	if (oom) {
		free_ssdp(s);
		return -ENOMEM;
	}
	s->backoff_s = 1;
	err = uv_timer_init(loop, &s->timer);
	if (err) {
		free_ssdp(s);
		return err;
	}
	s->timer.data = s;
	spawn(s);
	*out = s;
	return 0;
}

static void on_kill(uv_timer_t *t)
{
	struct uwg_igd_ssdp *s = t->data;

	if (s->proc_live && !uv_is_closing((uv_handle_t *)&s->proc))
		uv_process_kill(&s->proc, SIGKILL);
}

void uwg_igd_ssdp_stop(struct uwg_igd_ssdp *s)
{
	if (!s)
		return;
	s->stopping = true;
	uv_timer_stop(&s->timer);
	close_pipe(s); /* end of file: the child says byebye and exits */
	if (s->proc_live && !uv_is_closing((uv_handle_t *)&s->proc))
		uv_timer_start(&s->timer, on_kill, KILL_AFTER_MS, 0);
	maybe_free(s);
}

void uwg_igd_ssdp_get_stats(const struct uwg_igd_ssdp *s, struct uwg_igd_ssdp_stats *out)
{
	*out = s->st;
}

/* ---------- the child ---------- */

static void report(const char *what, int v)
{
	char b[32];
	int n = snprintf(b, sizeof(b), "%s %d\n", what, v);

	if (n > 0 && write(CHILD_FD, b, (size_t)n) < 0)
		_exit(1);
}

static void fail_child(int err) __attribute__((noreturn));
static void fail_child(int err)
{
	report("ERR", err);
	_exit(1);
}

/* Every capability gone, for good. */
static int drop_caps(void)
{
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct d[_LINUX_CAPABILITY_U32S_3];

	memset(d, 0, sizeof(d));
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) ||
	    syscall(SYS_capset, &h, d) || prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
		return -errno;
	return 0;
}

/* SSDP needs no privileges: pupnp's sockets are bound and its groups joined by now. */
static int drop_privileges(void)
{
	uid_t uid = 65534;
	gid_t gid = 65534;
	struct passwd *pw;

	/* an unprivileged daemon hands us CAP_NET_ADMIN for the filters only */
	if (geteuid() != 0)
		return drop_caps();
	pw = getpwnam("nobody");
	if (pw) {
		uid = pw->pw_uid;
		gid = pw->pw_gid;
	}
	/* Root cut down to a few capabilities (capsh) cannot switch users: it drops those. */
	if (setgroups(0, NULL))
		return errno == EPERM ? drop_caps() : -errno;
	if (setresgid(gid, gid, gid) || setresuid(uid, uid, uid))
		return -errno;
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
		return -errno;
	return 0;
}

static int ignore_event(Upnp_EventType type, const void *event, void *cookie)
{
	(void)type;
	(void)event;
	(void)cookie;
	return 0; /* GENA and control never reach pupnp: its HTTP listener drops everything */
}

static int upnp_errno(int rc)
{
	switch (rc) {
	case UPNP_E_INVALID_INTERFACE:
		return ENODEV;
	case UPNP_E_OUTOF_MEMORY:
		return ENOMEM;
	case UPNP_E_SOCKET_BIND:
		return EAGAIN; /* e.g. the interface's IPv6 link-local address still tentative */
	default:
		return EIO;
	}
}

/*
 * Debian builds pupnp with SO_REUSEADDR, so it binds exactly the port it is
 * given instead of walking up from 49152 (where the daemon's HTTP server
 * listens): hand it one that is free. Its listener drops every packet anyway.
 */
static uint16_t free_port(struct in_addr ip)
{
	for (uint16_t port = 49200; port < 65000; port++) {
		struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(port), .sin_addr = ip };
		int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), ok;

		if (fd < 0)
			return 0;
		ok = !bind(fd, (struct sockaddr *)&sin, sizeof(sin));
		close(fd);
		if (ok)
			return port;
	}
	return 0;
}

static unsigned long arg_ul(const char *s)
{
	char *end;
	unsigned long v = strtoul(s, &end, 10);

	if (*end || end == s)
		fail_child(EINVAL);
	return v;
}

/* A line for the daemon's log ("uwg: ..."), before READY. */
static void tell(const char *what)
{
	char b[160];
	int n = snprintf(b, sizeof(b), "uwg: %s\n", what);

	if (n > 0 && write(CHILD_FD, b, (size_t)n) < 0)
		_exit(1);
}

/* The IPv6 responder: its socket and what it answers with (see ssdp6.h for why not pupnp). */
struct v6 {
	int fd;
	int ifindex;
	struct in6_addr src; /* the tunnel's IPv6 address: replies come from it */
	struct uwg_igd_ssdp6_device dev;
	struct sockaddr_in6 to; /* the searcher being answered */
	uint64_t window_s;
	unsigned budget; /* replies left in this second */
};

enum { REPLIES_PER_S = 200 }; /* a flood of searches costs this much and no more */

/*
 * [::]:1900 joined to ff05::c (site-local, what comes through a tunnel) and
 * ff02::c on the interface, filtered like pupnp's SSDP sockets but with the
 * IPv6 prefix let through. Made while we may still attach filters.
 */
static int open_v6(struct v6 *v, const struct uwg_igd_sockfilter *f, bool no_filter)
{
	static const char *const groups[] = { "ff05::c", "ff02::c" };
	struct sockaddr_in6 a = { .sin6_family = AF_INET6, .sin6_port = htons(UWG_IGD_SSDP_PORT) };
	int one = 1, err = 0;

	v->fd = socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (v->fd < 0)
		return -errno;
	if (setsockopt(v->fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one)) ||
	    setsockopt(v->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)))
		err = -errno;
	if (!err && !no_filter)
		err = uwg_igd_sockfilter_attach(v->fd, f);
	if (!err && bind(v->fd, (struct sockaddr *)&a, sizeof(a)))
		err = -errno;
	for (size_t i = 0; !err && i < sizeof(groups) / sizeof(groups[0]); i++) {
		struct ipv6_mreq m = { .ipv6mr_interface = (unsigned)v->ifindex };

		inet_pton(AF_INET6, groups[i], &m.ipv6mr_multiaddr);
		if (setsockopt(v->fd, IPPROTO_IPV6, IPV6_JOIN_GROUP, &m, sizeof(m)))
			err = -errno;
	}
	if (err) {
		close(v->fd);
		v->fd = -1;
	}
	return err;
}

/* One reply, unicast from the tunnel's address (not whatever the routing would pick). */
static void send_v6(void *ctx, const char *reply, size_t len)
{
	struct v6 *v = ctx;
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(sizeof(struct in6_pktinfo))];
	} c;
	struct iovec iov = { (void *)(uintptr_t)reply, len };
	struct msghdr m = { &v->to, sizeof(v->to), &iov, 1, c.buf, sizeof(c.buf), 0 };
	struct cmsghdr *h = CMSG_FIRSTHDR(&m);
	struct in6_pktinfo pi = { .ipi6_addr = v->src, .ipi6_ifindex = (unsigned)v->ifindex };

	if (!v->budget)
		return;
	v->budget--;
	memset(&c, 0, sizeof(c));
	h->cmsg_level = IPPROTO_IPV6;
	h->cmsg_type = IPV6_PKTINFO;
	h->cmsg_len = CMSG_LEN(sizeof(pi));
	memcpy(CMSG_DATA(h), &pi, sizeof(pi));
	/* a reply that cannot go now is lost like any datagram; the client searches again */
	(void)sendmsg(v->fd, &m, MSG_DONTWAIT);
}

static void serve_v6(struct v6 *v)
{
	char buf[UWG_IGD_SSDP6_MSG_MAX + 1];
	struct timespec ts;

	for (int i = 0; i < 64; i++) {
		socklen_t alen = sizeof(v->to);
		ssize_t n = recvfrom(v->fd, buf, sizeof(buf), 0, (struct sockaddr *)&v->to, &alen);

		if (n < 0 || alen != sizeof(v->to))
			return;
		clock_gettime(CLOCK_MONOTONIC, &ts);
		if ((uint64_t)ts.tv_sec != v->window_s) {
			v->window_s = (uint64_t)ts.tv_sec;
			v->budget = REPLIES_PER_S;
		}
		uwg_igd_ssdp6_answer(&v->dev, buf, (size_t)n, send_v6, v);
	}
}

int uwg_igd_ssdp_main(int argc, char **argv)
{
	struct uwg_igd_sockfilter f = { 0 }, f6;
	struct v6 v = { .fd = -1 };
	UpnpDevice_Handle dev;
	const char *ip;
	struct in_addr want, got;
	char c;
	int rc, n = 0, err, advert;
	unsigned long bits6;
	bool no_filter;

	if (argc != 16 || inet_pton(AF_INET, argv[3], &want) != 1)
		fail_child(EINVAL);
	advert = arg_ul(argv[5]) ? (int)arg_ul(argv[5]) : 1800;
	f.net_h = (uint32_t)arg_ul(argv[6]);
	f.mask_h = (uint32_t)arg_ul(argv[7]);
	f.ifindex = (int)arg_ul(argv[8]);
	no_filter = arg_ul(argv[9]) != 0;
	/* IPv6 (argv 10-15 "-" when none): URLs, prefix (129 = none), address, uuid */
	f6 = f;
	bits6 = arg_ul(argv[13]);
	if (strcmp(argv[10], "-") && strcmp(argv[11], "-") && bits6 <= 128) {
		if (inet_pton(AF_INET6, argv[12], &f6.net6) != 1 ||
		    inet_pton(AF_INET6, argv[14], &v.src) != 1)
			fail_child(EINVAL);
		f6.v6 = true;
		f6.bits6 = (unsigned)bits6;
		v.ifindex = f.ifindex;
		v.dev.location = argv[10];
		v.dev.lower = argv[11];
		v.dev.uuid = argv[15];
		v.dev.max_age = (unsigned)advert;
	}
	signal(SIGPIPE, SIG_IGN);
	/* the daemon going away in any way closes fd 3, which ends us cleanly below */
	rc = UpnpInit2(argv[2], free_port(want));
	if (rc != UPNP_E_SUCCESS)
		fail_child(upnp_errno(rc));
	ip = UpnpGetServerIpAddress();
	if (!ip || inet_pton(AF_INET, ip, &got) != 1 || got.s_addr != want.s_addr)
		fail_child(EADDRNOTAVAIL);
	/*
	 * Before the privileges go: this kernel refuses SO_ATTACH_FILTER to
	 * nobody. pupnp's own IPv6 sockets stay shut (f has no IPv6 prefix):
	 * it cannot answer over IPv6 anyway.
	 */
	if (!no_filter) {
		n = uwg_igd_sockfilter_pupnp(&f);
		if (n < 0)
			fail_child(-n);
	}
	if (f6.v6) {
		err = open_v6(&v, &f6, no_filter);
		if (err)
			tell("IPv6 discovery off: cannot listen on [::]:1900 of the interface");
		else
			n += !no_filter;
	}
	/* nothing pupnp does from here on needs privileges (setresuid covers its threads) */
	err = drop_privileges();
	if (err)
		fail_child(-err);
	rc = UpnpRegisterRootDevice(argv[4], ignore_event, NULL, &dev);
	if (rc != UPNP_E_SUCCESS)
		fail_child(upnp_errno(rc));
	if (UpnpSetMaxSubscriptions(dev, 0) != UPNP_E_SUCCESS)
		fail_child(EIO);
	rc = UpnpSendAdvertisement(dev, advert);
	if (rc != UPNP_E_SUCCESS)
		fail_child(upnp_errno(rc));
	{
		char b[32];
		int len = snprintf(b, sizeof(b), "READY %d %d\n", n, v.fd >= 0 ? 1 : 0);

		if (len > 0 && write(CHILD_FD, b, (size_t)len) < 0)
			_exit(1);
	}
	for (;;) {
		struct pollfd pfd[2] = { { CHILD_FD, POLLIN, 0 }, { v.fd, POLLIN, 0 } };
		ssize_t r;

		if (poll(pfd, v.fd >= 0 ? 2 : 1, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (pfd[1].revents & POLLIN)
			serve_v6(&v);
		if (pfd[1].revents & POLLERR) {
			int e;
			socklen_t elen = sizeof(e);

			/* reading the error clears it: a pending one would make poll spin */
			getsockopt(v.fd, SOL_SOCKET, SO_ERROR, &e, &elen);
		}
		if (!(pfd[0].revents & (POLLIN | POLLHUP | POLLERR)))
			continue;
		r = read(CHILD_FD, &c, 1);
		if (r == 0 || (r < 0 && errno != EINTR && errno != EAGAIN))
			break;
	}
	UpnpUnRegisterRootDevice(dev); /* ssdp:byebye */
	UpnpFinish();
	_exit(0); /* no atexit work: pupnp's leftovers die with the process */
}
