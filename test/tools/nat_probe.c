/*
 * test/tools/nat_probe.c - one UDP probe for the NAT netns tests: sends
 * datagrams of a given IP packet size (DF on or off) on a connected socket
 * with IP_RECVERR, and reports the first outcome on stdout as one line:
 *
 *   reply LEN FROM                      a datagram came back (FROM = ip:port)
 *   icmp type=T code=C info=I offender=IP errno=NAME
 *                                       the kernel accepted an ICMP error about
 *                                       our datagram (so its checksums and the
 *                                       quoted 4-tuple were right)
 *   local-emsgsize mtu=N                the kernel already knows a smaller path
 *   timeout                             nothing (exit 1)
 *
 *   nat_probe --to IP:PORT [--size N] [--df|--no-df] [--bind IP[:PORT]]
 *             [--count K] [--interval-ms M] [--timeout S]
 * Single-threaded; bounded by --timeout (default 5 s).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/errqueue.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int parse_ep(const char *s, struct sockaddr_in *sin)
{
	char buf[64];
	char *c;

	snprintf(buf, sizeof(buf), "%s", s);
	memset(sin, 0, sizeof(*sin));
	sin->sin_family = AF_INET;
	c = strrchr(buf, ':');
	if (c) {
		*c = '\0';
		sin->sin_port = htons((uint16_t)atoi(c + 1));
	}
	return inet_pton(AF_INET, buf, &sin->sin_addr) == 1 ? 0 : -1;
}

static const char *errname(int e)
{
	switch (e) {
	case EMSGSIZE:
		return "EMSGSIZE";
	case ECONNREFUSED:
		return "ECONNREFUSED";
	case EHOSTUNREACH:
		return "EHOSTUNREACH";
	case ENETUNREACH:
		return "ENETUNREACH";
	default:
		return "other";
	}
}

/* Reads one queued error; 1 if it was an ICMP error (printed). */
static int read_error(int fd)
{
	char data[2048], ctrl[512], off[INET_ADDRSTRLEN] = "?";
	struct iovec iov = { data, sizeof(data) };
	struct sockaddr_in from;
	struct msghdr m = { .msg_name = &from, .msg_namelen = sizeof(from), .msg_iov = &iov,
			    .msg_iovlen = 1, .msg_control = ctrl, .msg_controllen = sizeof(ctrl) };

	if (recvmsg(fd, &m, MSG_ERRQUEUE) < 0)
		return 0;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c)) {
		struct sock_extended_err *ee;
		struct sockaddr_in *o;

		if (c->cmsg_level != IPPROTO_IP || c->cmsg_type != IP_RECVERR)
			continue;
		ee = (struct sock_extended_err *)CMSG_DATA(c);
		if (ee->ee_origin != SO_EE_ORIGIN_ICMP) {
			printf("local-error errno=%s info=%u\n", errname((int)ee->ee_errno),
			       ee->ee_info);
			return 1;
		}
		o = (struct sockaddr_in *)SO_EE_OFFENDER(ee);
		if (o->sin_family == AF_INET)
			inet_ntop(AF_INET, &o->sin_addr, off, sizeof(off));
		printf("icmp type=%u code=%u info=%u offender=%s errno=%s\n", ee->ee_type,
		       ee->ee_code, ee->ee_info, off, errname((int)ee->ee_errno));
		return 1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct sockaddr_in to, bind_to;
	int size = 100, count = 5, interval = 300, timeout_s = 5, df = 1, have_to = 0,
	    have_bind = 0;
	int fd, one = 1, pmtu;
	long long deadline, next = 0;
	static char payload[65536];

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : "";

		if (!strcmp(a, "--df")) {
			df = 1;
		} else if (!strcmp(a, "--no-df")) {
			df = 0;
		} else if (!strcmp(a, "--to") && ++i) {
			have_to = parse_ep(v, &to) == 0;
		} else if (!strcmp(a, "--bind") && ++i) {
			have_bind = parse_ep(v, &bind_to) == 0;
		} else if (!strcmp(a, "--size") && ++i) {
			size = atoi(v);
		} else if (!strcmp(a, "--count") && ++i) {
			count = atoi(v);
		} else if (!strcmp(a, "--interval-ms") && ++i) {
			interval = atoi(v);
		} else if (!strcmp(a, "--timeout") && ++i) {
			timeout_s = atoi(v);
		} else {
			fprintf(stderr, "usage: see the comment at the top of nat_probe.c\n");
			return 2;
		}
	}
	if (!have_to || size < 28 || size > 65535 || count < 1) {
		fprintf(stderr, "need --to IP:PORT and a size of 28-65535\n");
		return 2;
	}
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	pmtu = df ? IP_PMTUDISC_DO : IP_PMTUDISC_DONT;
	if (fd < 0 || setsockopt(fd, IPPROTO_IP, IP_RECVERR, &one, sizeof(one)) < 0 ||
	    setsockopt(fd, IPPROTO_IP, IP_MTU_DISCOVER, &pmtu, sizeof(pmtu)) < 0) {
		perror("socket");
		return 2;
	}
	if (have_bind && bind(fd, (struct sockaddr *)&bind_to, sizeof(bind_to)) < 0) {
		perror("bind");
		return 2;
	}
	if (connect(fd, (struct sockaddr *)&to, sizeof(to)) < 0) {
		perror("connect");
		return 2;
	}
	for (int i = 0; i < size - 28; i++)
		payload[i] = (char)('a' + i % 26);
	deadline = now_ms() + timeout_s * 1000LL;
	while (now_ms() < deadline) {
		struct pollfd p = { fd, POLLIN, 0 };
		long long t = now_ms();

		if (count > 0 && t >= next) {
			if (send(fd, payload, (size_t)(size - 28), 0) < 0) {
				int e = errno, mtu = 0;
				socklen_t sl = sizeof(mtu);

				if (e == EMSGSIZE) {
					getsockopt(fd, IPPROTO_IP, IP_MTU, &mtu, &sl);
					printf("local-emsgsize mtu=%d\n", mtu);
					return 0;
				}
				/* An error from an earlier ICMP is reported on the next send too. */
				if (read_error(fd))
					return 0;
			}
			count--;
			next = t + interval;
		}
		if (poll(&p, 1, 50) <= 0)
			continue;
		if (p.revents & POLLERR) {
			if (read_error(fd))
				return 0;
		}
		if (p.revents & POLLIN) {
			static char buf[65536];
			char ip[INET_ADDRSTRLEN];
			struct sockaddr_in from;
			socklen_t fl = sizeof(from);
			ssize_t n = recvfrom(fd, buf, sizeof(buf), MSG_DONTWAIT,
					     (struct sockaddr *)&from, &fl);

			if (n >= 0) {
				inet_ntop(AF_INET, &from.sin_addr, ip, sizeof(ip));
				printf("reply %zd %s:%u\n", n + 28, ip, ntohs(from.sin_port));
				return 0;
			}
			if (read_error(fd))
				return 0;
		}
	}
	printf("timeout\n");
	return 1;
}
