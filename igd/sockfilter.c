/*
 * igd/sockfilter.c - attaches a source-CIDR BPF filter to pupnp's SSDP and
 * miniserver sockets (see sockfilter.h for why). Loop thread, once at start.
 */
#include "igd/sockfilter.h"

#include <dirent.h>
#include <errno.h>
#include <linux/filter.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static bool wanted(int fd, uint16_t http_port, uint16_t http_port6)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	int type = 0, listening = 0;
	socklen_t olen = sizeof(type);
	uint16_t port;

	if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &olen))
		return false; /* not a socket */
	memset(&ss, 0, sizeof(ss));
	if (getsockname(fd, (struct sockaddr *)&ss, &len))
		return false;
	if (ss.ss_family == AF_INET) {
		struct sockaddr_in sin;

		memcpy(&sin, &ss, sizeof(sin));
		port = ntohs(sin.sin_port);
	} else if (ss.ss_family == AF_INET6) {
		struct sockaddr_in6 sin6;

		memcpy(&sin6, &ss, sizeof(sin6));
		port = ntohs(sin6.sin6_port);
	} else {
		return false;
	}
	if (type == SOCK_DGRAM)
		return port == UWG_IGD_SSDP_PORT;
	if (type != SOCK_STREAM)
		return false;
	olen = sizeof(listening);
	if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &olen) || !listening)
		return false;
	if (ss.ss_family == AF_INET)
		return http_port && port == http_port;
	return http_port6 && port == http_port6;
}

int uwg_igd_sockfilter_attach(uint32_t net_h, uint32_t mask_h, uint16_t http_port,
			      uint16_t http_port6)
{
	/*
	 * Loads are relative to the network header (SKF_NET_OFF) because a
	 * socket filter sees the packet from the transport header on.
	 */
	struct sock_filter code[] = {
		BPF_STMT(BPF_LD | BPF_B | BPF_ABS, (uint32_t)SKF_NET_OFF),
		BPF_STMT(BPF_ALU | BPF_AND | BPF_K, 0xf0),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0x40, 0, 4),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, (uint32_t)(SKF_NET_OFF + 12)),
		BPF_STMT(BPF_ALU | BPF_AND | BPF_K, mask_h),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, net_h & mask_h, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, 0xffffffffu),
		BPF_STMT(BPF_RET | BPF_K, 0),
	};
	struct sock_fprog prog = { (unsigned short)(sizeof(code) / sizeof(code[0])), code };
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int n = 0, err = 0;

	if (!d)
		return -errno;
	while ((e = readdir(d)) != NULL) {
		char *end;
		long fd = strtol(e->d_name, &end, 10);

		if (*end || end == e->d_name || fd < 0 || fd == dirfd(d))
			continue;
		if (!wanted((int)fd, http_port, http_port6))
			continue;
		if (setsockopt((int)fd, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof(prog))) {
			err = -errno;
			continue;
		}
		n++;
	}
	closedir(d);
	return err ? err : n;
}
