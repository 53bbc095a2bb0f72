/*
 * igd/sockfilter.c - BPF filters for the IGD's sockets (see sockfilter.h).
 * Called by the owner of the sockets, once, on the thread that made them.
 */
#include "igd/sockfilter.h"

#include <errno.h>
#include <linux/filter.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <string.h>
#include <sys/select.h>
#include <sys/socket.h>

/*
 * Loads of packet bytes are relative to the network header (SKF_NET_OFF)
 * because a socket filter sees the packet from the transport header on; the
 * interface comes from the ancillary load, which is the device the packet
 * arrived on (lo for the host's own traffic).
 */
int uwg_igd_sockfilter_attach(int fd, const struct uwg_igd_sockfilter *f)
{
	enum { ACCEPT = 14, DROP = 15 };
	struct sock_filter code[] = {
		/* 0 */ BPF_STMT(BPF_LD | BPF_W | BPF_ABS, (uint32_t)(SKF_AD_OFF + SKF_AD_IFINDEX)),
		/* 1 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (uint32_t)f->ifindex, 0, 8 - 2),
		/* 2 */ BPF_STMT(BPF_LD | BPF_B | BPF_ABS, (uint32_t)SKF_NET_OFF),
		/* 3 */ BPF_STMT(BPF_ALU | BPF_AND | BPF_K, 0xf0),
		/* 4 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0x40, 0, DROP - 5),
		/* 5 */ BPF_STMT(BPF_LD | BPF_W | BPF_ABS, (uint32_t)(SKF_NET_OFF + 12)),
		/* 6 */ BPF_STMT(BPF_ALU | BPF_AND | BPF_K, f->mask_h),
		/* 7 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, f->net_h & f->mask_h, ACCEPT - 8, DROP - 8),
		/* 8: A still holds the ifindex; loopback is 1 in every namespace, 0 never matches */
		/* 8 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, f->local_h ? 1u : 0u, 0, DROP - 9),
		/* 9 */ BPF_STMT(BPF_LD | BPF_B | BPF_ABS, (uint32_t)SKF_NET_OFF),
		/* 10 */ BPF_STMT(BPF_ALU | BPF_AND | BPF_K, 0xf0),
		/* 11 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0x40, 0, DROP - 12),
		/* 12 */ BPF_STMT(BPF_LD | BPF_W | BPF_ABS, (uint32_t)(SKF_NET_OFF + 12)),
		/* 13 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, f->local_h, ACCEPT - 14, DROP - 14),
		/* 14 */ BPF_STMT(BPF_RET | BPF_K, 0xffffffffu),
		/* 15 */ BPF_STMT(BPF_RET | BPF_K, 0),
	};
	struct sock_fprog prog = { (unsigned short)(sizeof(code) / sizeof(code[0])), code };

	if (setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof(prog)))
		return -errno;
	return 0;
}

static int attach_drop_all(int fd)
{
	struct sock_filter code[] = { BPF_STMT(BPF_RET | BPF_K, 0) };
	struct sock_fprog prog = { 1, code };

	if (setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof(prog)))
		return -errno;
	return 0;
}

enum kind { OTHER, SSDP, LISTENER };

static enum kind kind_of(int fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss), olen;
	int type = 0, listening = 0;
	uint16_t port;

	olen = sizeof(type);
	if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &olen))
		return OTHER; /* not a socket, or not open */
	if (type == SOCK_STREAM) {
		olen = sizeof(listening);
		if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &olen))
			return OTHER;
		return listening ? LISTENER : OTHER;
	}
	memset(&ss, 0, sizeof(ss));
	if (type != SOCK_DGRAM || getsockname(fd, (struct sockaddr *)&ss, &len))
		return OTHER;
	if (ss.ss_family == AF_INET) {
		struct sockaddr_in sin;

		memcpy(&sin, &ss, sizeof(sin));
		port = ntohs(sin.sin_port);
	} else if (ss.ss_family == AF_INET6) {
		struct sockaddr_in6 sin6;

		memcpy(&sin6, &ss, sizeof(sin6));
		port = ntohs(sin6.sin6_port);
	} else {
		return OTHER;
	}
	return port == UWG_IGD_SSDP_PORT ? SSDP : OTHER;
}

int uwg_igd_sockfilter_pupnp(const struct uwg_igd_sockfilter *f)
{
	int n = 0;

	/* pupnp multiplexes with select(), so all of its sockets are below FD_SETSIZE */
	for (int fd = 0; fd < FD_SETSIZE; fd++) {
		enum kind k = kind_of(fd);
		int err;

		if (k == OTHER)
			continue;
		err = k == SSDP ? uwg_igd_sockfilter_attach(fd, f) : attach_drop_all(fd);
		if (err)
			return err;
		n++;
	}
	return n;
}
