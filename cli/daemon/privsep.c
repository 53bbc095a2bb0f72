/*
 * cli/daemon/privsep.c - the root monitor and the worker's privilege drop (see
 * privsep.h). Main thread only.
 */
#include "cli/daemon/privsep.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdint.h>
#include <grp.h>
#include <linux/capability.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "cli/daemon/leases.h"
#include "tun/caps.h"

static const int keep_caps[] = { CAP_NET_ADMIN, CAP_NET_RAW, CAP_NET_BIND_SERVICE };

static bool kept(int cap)
{
	for (size_t i = 0; i < sizeof(keep_caps) / sizeof(keep_caps[0]); i++)
		if (keep_caps[i] == cap)
			return true;
	return false;
}

int uwg_privsep_init(struct uwg_privsep *ps, const char *name, bool allow_coredump)
{
	struct passwd *pw;

	memset(ps, 0, sizeof(*ps));
	ps->chan = -1;
	ps->allow_coredump = allow_coredump;
	if (name && *name) {
		pw = getpwnam(name);
		if (!pw)
			return -ENOENT;
	} else {
		pw = getpwnam("uwg");
		if (!pw)
			pw = getpwnam("nobody");
	}
	if (geteuid() != 0 || !pw || pw->pw_uid == 0)
		return 0;
	/*
	 * Root already cut down to a few capabilities (capsh, a container):
	 * without these it cannot switch users, and it holds little to give up.
	 */
	if (!uwg_tun_have_cap(CAP_SETUID) || !uwg_tun_have_cap(CAP_SETGID) ||
	    !uwg_tun_have_cap(CAP_SETPCAP)) {
		ps->restricted = true;
		return 0;
	}
	ps->enabled = true;
	ps->uid = pw->pw_uid;
	ps->gid = pw->pw_gid;
	snprintf(ps->user, sizeof(ps->user), "%s", pw->pw_name);
	return 0;
}

/* One request of the worker: a socket like socket(domain, type, proto) in the netns sent along. */
struct ns_request {
	int domain, type, proto;
};

static int recv_fd(int sock, void *buf, size_t len, int *fd)
{
	union {
		char b[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} c;
	struct iovec iov = { buf, len };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = c.b,
			    .msg_controllen = sizeof(c.b) };
	struct cmsghdr *cm;
	ssize_t n;

	*fd = -1;
	do
		n = recvmsg(sock, &m, MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	if (n <= 0)
		return n < 0 ? -errno : 0;
	cm = CMSG_FIRSTHDR(&m);
	if (cm && cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_RIGHTS &&
	    cm->cmsg_len == CMSG_LEN(sizeof(int)))
		memcpy(fd, CMSG_DATA(cm), sizeof(int));
	return (int)n;
}

static int send_fd(int sock, const void *buf, size_t len, int fd)
{
	union {
		char b[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} c;
	struct iovec iov = { (void *)(uintptr_t)buf, len };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1 };
	ssize_t n;

	if (fd >= 0) {
		struct cmsghdr *cm;

		memset(&c, 0, sizeof(c));
		m.msg_control = c.b;
		m.msg_controllen = sizeof(c.b);
		cm = CMSG_FIRSTHDR(&m);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(cm), &fd, sizeof(int));
	}
	do
		n = sendmsg(sock, &m, MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	return n < 0 ? -errno : 0;
}

/* The monitor's only service: the query sockets the worker's tun/ needs in a foreign namespace. */
static int make_ns_socket(int self_ns, int nsfd, const struct ns_request *rq)
{
	int base = rq->type & ~(SOCK_CLOEXEC | SOCK_NONBLOCK), fd, err;

	if ((rq->domain != AF_INET && rq->domain != AF_INET6 && rq->domain != AF_NETLINK) ||
	    (base != SOCK_DGRAM && base != SOCK_RAW) || (rq->domain == AF_NETLINK && rq->proto != 0))
		return -EINVAL;
	if (nsfd < 0 || self_ns < 0)
		return -EBADF;
	if (setns(nsfd, CLONE_NEWNET) < 0)
		return -errno;
	fd = socket(rq->domain, rq->type | SOCK_CLOEXEC, rq->proto);
	err = errno;
	if (setns(self_ns, CLONE_NEWNET) < 0)
		_exit(1); /* every later request would be served in the wrong namespace */
	return fd < 0 ? -err : fd;
}

/*
 * The monitor is the worker's child, so the daemon keeps the PID it was
 * started with (`uwg -f` under a supervisor, wg-quick's bookkeeping); it
 * learns that the worker is gone when the channel reaches end of file.
 */
static void monitor(int chan, const struct uwg_uapi_sock *sock)
{
	int self_ns;

	/* nothing of the daemon's stays here: no TUN, no socket, no log, no keys */
	if (dup2(chan, 3) < 0)
		_exit(1);
	chan = 3;
	if (syscall(SYS_close_range, 4u, ~0u, 0) < 0)
		for (int fd = 4; fd < 4096; fd++)
			close(fd);
	self_ns = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	prctl(PR_SET_NAME, "uwg-monitor", 0, 0, 0);
	/* signals are for the daemon; a session-wide SIGHUP or ^C must not end us first */
	signal(SIGINT, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	signal(SIGTERM, SIG_IGN);
	signal(SIGPIPE, SIG_IGN);
	/* until the worker's end closes: when it exits (its SSDP child never holds it) */
	for (;;) {
		struct ns_request rq;
		int nsfd, n, fd, err;

		n = recv_fd(chan, &rq, sizeof(rq), &nsfd);
		if (n <= 0)
			break;
		fd = n == (int)sizeof(rq) ? make_ns_socket(self_ns, nsfd, &rq) : -EINVAL;
		if (nsfd >= 0)
			close(nsfd);
		err = fd < 0 ? fd : 0;
		send_fd(chan, &err, sizeof(err), fd);
		if (fd >= 0)
			close(fd);
	}
	/* the worker cannot remove its socket from a root-only directory: do it for it */
	if (uwg_uapi_sock_is_ours(sock))
		unlink(sock->path);
	{
		/* ".../NAME.sock": NAME's lease file, if it never held a map. */
		const char *base = strrchr(sock->path, '/');
		char name[sizeof(sock->path)];

		snprintf(name, sizeof(name), "%s", base ? base + 1 : sock->path);
		if (strlen(name) > 5 && !strcmp(name + strlen(name) - 5, ".sock")) {
			name[strlen(name) - 5] = '\0';
			uwg_leases_remove_unused(name);
		}
	}
	_exit(0);
}

int uwg_privsep_fork(struct uwg_privsep *ps, const struct uwg_uapi_sock *sock)
{
	int sp[2];
	pid_t pid;

	if (!ps->enabled)
		return 0;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp) < 0)
		return -errno;
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		close(sp[0]);
		close(sp[1]);
		return -errno;
	}
	if (pid == 0)
		monitor(sp[0], sock);
	close(sp[0]);
	ps->chan = sp[1];
	return 0;
}

int uwg_privsep_ns_socket(void *ctx, int nsfd, int domain, int type, int proto)
{
	const struct uwg_privsep *ps = ctx;
	struct ns_request rq = { domain, type, proto };
	int err = 0, fd, n;

	if (ps->chan < 0)
		return -ENOTCONN;
	n = send_fd(ps->chan, &rq, sizeof(rq), nsfd);
	if (n < 0)
		return n;
	n = recv_fd(ps->chan, &err, sizeof(err), &fd);
	if (n != (int)sizeof(err)) {
		if (fd >= 0)
			close(fd);
		return n < 0 ? n : -EPIPE;
	}
	if (err < 0 || fd < 0)
		return err < 0 ? err : -EPROTO;
	if ((type & SOCK_NONBLOCK) && fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) < 0) {
		err = -errno;
		close(fd);
		return err;
	}
	return fd;
}

static int set_caps(void)
{
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct d[_LINUX_CAPABILITY_U32S_3];

	memset(d, 0, sizeof(d));
	for (size_t i = 0; i < sizeof(keep_caps) / sizeof(keep_caps[0]); i++) {
		unsigned cap = (unsigned)keep_caps[i];

		d[cap / 32].effective |= 1u << (cap % 32);
		d[cap / 32].permitted |= 1u << (cap % 32);
		d[cap / 32].inheritable |= 1u << (cap % 32);
	}
	return syscall(SYS_capset, &h, d) < 0 ? -errno : 0;
}

int uwg_privsep_drop(const struct uwg_privsep *ps)
{
	int err;

	if (!ps->enabled)
		return 0;
	/* the bounding set first: dropping from it needs CAP_SETPCAP, which goes next */
	for (int cap = 0; cap <= 63; cap++) {
		if (kept(cap))
			continue;
		if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0 && errno != EINVAL)
			return -errno;
	}
	if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0 || setgroups(0, NULL) < 0 ||
	    setresgid(ps->gid, ps->gid, ps->gid) < 0 || setresuid(ps->uid, ps->uid, ps->uid) < 0)
		return -errno;
	err = set_caps();
	if (err)
		return err;
	/* only for the SSDP child's socket filters: it drops it before pupnp does anything */
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, CAP_NET_ADMIN, 0, 0) < 0 ||
	    prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0 || prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return -errno;
	/* changing uid reset "dumpable" to fs.suid_dumpable: keep keys out of dumps again */
	if (prctl(PR_SET_DUMPABLE, ps->allow_coredump ? 1 : 0, 0, 0, 0) < 0)
		return -errno;
	return 0;
}
