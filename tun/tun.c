/*
 * tun/tun.c - TUN device and link-state queries (see tun/tun.h).
 *
 * The fd works wherever the interface lives, but interface ioctls and
 * netlink only see the namespace their socket was created in. While the
 * device is in our own namespace we keep a ctl socket (SIOCGIFFLAGS,
 * SIOCGIFMTU) and a NETLINK_ROUTE socket for RTMGRP_LINK wake-ups. Once it is
 * moved elsewhere (TUNGETDEVNETNS tells where) we keep nothing there, because
 * any socket or fd we held would keep that namespace - and with it the
 * device - alive after `ip netns del`; instead each query briefly enters the
 * namespace with setns(2) on this thread for a throwaway socket, and the
 * caller polls. Moving the device is therefore never mistaken for deleting
 * it: deletion is only ever concluded from the TUN fd itself, which reports
 * EBADFD once the interface is gone. Loop thread only.
 */
#include "tun/tun.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef TUNGETDEVNETNS
#define TUNGETDEVNETNS _IO('T', 227)
#endif

static bool name_valid(const char *name)
{
	size_t len = strlen(name);

	if (len == 0 || len >= IFNAMSIZ || !strcmp(name, ".") || !strcmp(name, ".."))
		return false;
	for (size_t i = 0; i < len; i++)
		if (name[i] == '/' || name[i] == ':' || name[i] <= ' ' || name[i] == 0x7f)
			return false;
	return true;
}

/* The device's namespace as an fd (caller closes); -1 with errno if unknown. */
static int device_netns(const struct uwg_tun *tun)
{
	return ioctl(tun->fd, TUNGETDEVNETNS);
}

static bool same_ns(int a, int b)
{
	struct stat sa, sb;

	if (fstat(a, &sa) < 0 || fstat(b, &sb) < 0)
		return false;
	return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

/* socket(2) in the namespace nsfd (-1: ours). */
static int socket_in(const struct uwg_tun *tun, int nsfd, int domain, int type, int proto)
{
	int fd, err;

	if (nsfd < 0 || tun->self_ns < 0 || same_ns(nsfd, tun->self_ns)) {
		fd = socket(domain, type, proto);
		return fd < 0 ? -errno : fd;
	}
	if (tun->ns_socket)
		return tun->ns_socket(tun->ns_socket_ctx, nsfd, domain, type, proto);
	if (setns(nsfd, CLONE_NEWNET) < 0)
		return -errno;
	fd = socket(domain, type, proto);
	err = errno;
	if (setns(tun->self_ns, CLONE_NEWNET) < 0) {
		/* Every later socket would land in the wrong namespace: not survivable. */
		fprintf(stderr, "uwg: cannot return to own network namespace: %s\n",
			strerror(errno));
		abort();
	}
	return fd < 0 ? -err : fd;
}

static void close_helpers(struct uwg_tun *tun)
{
	if (tun->ctl >= 0)
		close(tun->ctl);
	if (tun->nl >= 0)
		close(tun->nl);
	tun->ctl = tun->nl = -1;
}

int uwg_tun_follow(struct uwg_tun *tun)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK, .nl_groups = RTMGRP_LINK };
	struct stat st;
	int nsfd, ret = 0;

	nsfd = device_netns(tun);
	if (nsfd < 0 && errno == EBADFD)
		return -EBADFD;
	close_helpers(tun);
	if (nsfd >= 0 && fstat(nsfd, &st) == 0) {
		tun->ns_dev = st.st_dev;
		tun->ns_ino = st.st_ino;
	} else {
		/* No TUNGETDEVNETNS (kernel < 5.2): we can only follow our own namespace. */
		tun->ns_dev = 0;
		tun->ns_ino = 0;
	}
	if (nsfd >= 0 && tun->self_ns >= 0 && !same_ns(nsfd, tun->self_ns))
		goto out; /* foreign: nothing kept there, queries enter it one at a time */
	tun->ctl = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (tun->ctl < 0) {
		ret = -errno;
		goto out;
	}
	tun->nl = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, NETLINK_ROUTE);
	if (tun->nl < 0 || bind(tun->nl, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		ret = -errno;
		if (tun->nl >= 0)
			close(tun->nl);
		tun->nl = -1;
	}
out:
	if (nsfd >= 0)
		close(nsfd);
	return ret;
}

int uwg_tun_open(struct uwg_tun *tun, const char *name)
{
	struct ifreq ifr;
	int ret;

	tun->fd = tun->self_ns = tun->ctl = tun->nl = -1;
	if (!name_valid(name))
		return -EINVAL;
	tun->fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (tun->fd < 0)
		return -errno;
	/* The virtio header carries offload metadata; fall back to plain packets without it. */
	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_flags = IFF_TUN | IFF_NO_PI | IFF_VNET_HDR;
	memcpy(ifr.ifr_name, name, strlen(name));
	tun->vnet_hdr = true;
	tun->offload = 0;
	tun->ns_socket = NULL;
	tun->ns_socket_ctx = NULL;
	ret = ioctl(tun->fd, TUNSETIFF, &ifr);
	if (ret < 0 && errno == EINVAL) {
		tun->vnet_hdr = false;
		ifr.ifr_flags = IFF_TUN | IFF_NO_PI;
		ret = ioctl(tun->fd, TUNSETIFF, &ifr);
	}
	if (ret < 0) {
		ret = -errno;
		goto err;
	}
	memcpy(tun->name, ifr.ifr_name, IFNAMSIZ);
	tun->name[IFNAMSIZ - 1] = '\0';
	tun->self_ns = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	ret = uwg_tun_follow(tun);
	if (ret < 0)
		goto err;
	return 0;
err:
	uwg_tun_close(tun);
	return ret;
}

void uwg_tun_close(struct uwg_tun *tun)
{
	close_helpers(tun);
	if (tun->self_ns >= 0)
		close(tun->self_ns);
	if (tun->fd >= 0)
		close(tun->fd);
	tun->fd = tun->self_ns = -1;
}

static int query(int sock, const char *name, struct uwg_tun_link *link)
{
	struct ifreq ifr;

	memset(&ifr, 0, sizeof(ifr));
	memcpy(ifr.ifr_name, name, IFNAMSIZ);
	if (ioctl(sock, SIOCGIFFLAGS, &ifr) < 0)
		return -errno;
	link->up = (ifr.ifr_flags & IFF_UP) != 0;
	if (ioctl(sock, SIOCGIFMTU, &ifr) < 0)
		return -errno;
	link->mtu = ifr.ifr_mtu > 0 ? (uint32_t)ifr.ifr_mtu : 0;
	return 0;
}

int uwg_tun_link_get(struct uwg_tun *tun, struct uwg_tun_link *link)
{
	struct ifreq ifr;
	struct stat st;
	int nsfd, sock, ret;

	/* The fd is the authority on whether the interface still exists. */
	memset(&ifr, 0, sizeof(ifr));
	if (ioctl(tun->fd, TUNGETIFF, &ifr) < 0)
		return -errno;
	memcpy(tun->name, ifr.ifr_name, IFNAMSIZ); /* follows renames */
	tun->name[IFNAMSIZ - 1] = '\0';

	nsfd = device_netns(tun);
	if (nsfd < 0 && errno == EBADFD)
		return -EBADFD;
	if (nsfd >= 0 && fstat(nsfd, &st) == 0 &&
	    (st.st_dev != tun->ns_dev || st.st_ino != tun->ns_ino)) {
		close(nsfd);
		return -EXDEV;
	}
	if (tun->ctl >= 0) {
		ret = query(tun->ctl, tun->name, link);
	} else if (nsfd >= 0) {
		sock = socket_in(tun, nsfd, AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		ret = sock < 0 ? sock : query(sock, tun->name, link);
		if (sock >= 0)
			close(sock);
	} else {
		ret = -ENOTCONN;
	}
	if (nsfd >= 0)
		close(nsfd);
	return ret;
}

int uwg_tun_monitor_fd(const struct uwg_tun *tun)
{
	return tun->nl;
}

bool uwg_tun_monitor_drain(struct uwg_tun *tun)
{
	/* Aligned for struct nlmsghdr; link messages are small but dumps can be long. */
	static _Alignas(struct nlmsghdr) uint8_t buf[8192];
	bool link = false;

	if (tun->nl < 0)
		return false;
	for (int i = 0; i < 64; i++) {
		ssize_t n = recv(tun->nl, buf, sizeof(buf), MSG_DONTWAIT);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == ENOBUFS)
				link = true; /* overrun: we lost events, so re-check anyway */
			break;
		}
		/* Walked by hand: the NLMSG_* macros trip -Wsign-compare and -Wcast-qual. */
		for (size_t off = 0; off + sizeof(struct nlmsghdr) <= (size_t)n;) {
			struct nlmsghdr h;

			memcpy(&h, buf + off, sizeof(h));
			if (h.nlmsg_len < sizeof(h) || h.nlmsg_len > (size_t)n - off)
				break;
			if (h.nlmsg_type == RTM_NEWLINK || h.nlmsg_type == RTM_DELLINK)
				link = true;
			off += NLMSG_ALIGN(h.nlmsg_len);
		}
	}
	return link;
}

int uwg_tun_set_offload(struct uwg_tun *tun, unsigned flags)
{
	const unsigned uso = UWG_TUN_F_USO4 | UWG_TUN_F_USO6;
	const unsigned tso = UWG_TUN_F_TSO4 | UWG_TUN_F_TSO6 | UWG_TUN_F_TSO_ECN;
	unsigned tries[3] = { flags, flags & ~uso, flags & ~(uso | tso) };
	int err = 0;

	if (!tun->vnet_hdr)
		return flags ? -EOPNOTSUPP : 0;
	/* Older kernels refuse unknown bits as a whole (EINVAL): step down. */
	for (int i = 0; i < 3; i++) {
		if (i && tries[i] == tries[i - 1])
			continue;
		if (ioctl(tun->fd, TUNSETOFFLOAD, (unsigned long)tries[i]) == 0) {
			tun->offload = tries[i];
			return 0;
		}
		err = -errno;
	}
	tun->offload = 0;
	(void)ioctl(tun->fd, TUNSETOFFLOAD, 0ul);
	return err;
}

ssize_t uwg_tun_read(struct uwg_tun *tun, void *buf, size_t len)
{
	ssize_t n = read(tun->fd, buf, len);

	return n < 0 ? -errno : n;
}

ssize_t uwg_tun_write(struct uwg_tun *tun, const void *buf, size_t len)
{
	ssize_t n = write(tun->fd, buf, len);

	return n < 0 ? -errno : n;
}

ssize_t uwg_tun_readv(struct uwg_tun *tun, const struct iovec *iov, int iovcnt)
{
	ssize_t n = readv(tun->fd, iov, iovcnt);

	return n < 0 ? -errno : n;
}

ssize_t uwg_tun_writev(struct uwg_tun *tun, const struct iovec *iov, int iovcnt)
{
	ssize_t n = writev(tun->fd, iov, iovcnt);

	return n < 0 ? -errno : n;
}
