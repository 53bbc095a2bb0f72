/*
 * cli/daemon/privsep.h - the daemon gives up root once it is set up.
 *
 * Split like OpenSSH's privilege separation: a root monitor that only waits
 * and cleans up, and the worker, which is the daemon proper (TUN, sockets,
 * keys, network input) and runs as an unprivileged user keeping only the
 * capabilities its features need: CAP_NET_ADMIN (netlink, tc, SO_MARK,
 * forced buffer sizes, socket filters), CAP_NET_RAW (the NAT's raw socket,
 * SO_BINDTODEVICE) and CAP_NET_BIND_SERVICE (a listen port or forward below
 * 1024). The monitor, a child of the worker (so the daemon keeps its PID),
 * exists because the worker can no longer remove its UAPI socket from the
 * root-owned socket directory: when the worker exits, however it exits, the
 * monitor unlinks the socket (if it is still the one created) and exits. Its one service: a socket
 * in the network namespace the worker's TUN was moved to (tun/'s queries
 * there need setns(2), i.e. CAP_SYS_ADMIN, which the worker does not keep);
 * it takes requests only from its worker, over a socketpair, and makes only
 * datagram, raw and netlink sockets.
 *
 * Main thread, before the event loop exists (fork) and right after it is set
 * up (drop).
 */
#ifndef UWG_CLI_DAEMON_PRIVSEP_H
#define UWG_CLI_DAEMON_PRIVSEP_H

#include <stdbool.h>
#include <sys/types.h>

#include "cli/daemon/uapi_server.h"

struct uwg_privsep {
	bool enabled;   /* running as root and a user to switch to was found */
	bool restricted; /* root without CAP_SETUID/SETGID/SETPCAP: stays as it was started */
	uid_t uid;
	gid_t gid;
	char user[64];
	bool allow_coredump;
	int chan;       /* the worker's end of the channel to the monitor, or -1 */
};

/*
 * name: UWG_USER (a user name; "root" keeps root; NULL: "uwg" if that user
 * exists, else "nobody"). Returns 0, or -ENOENT for a named user that does
 * not exist. Not enabled unless running as root.
 */
int uwg_privsep_init(struct uwg_privsep *ps, const char *name, bool allow_coredump);

/*
 * When enabled: forks the monitor (which closes every descriptor of the
 * daemon's and never returns) and returns 0 in the daemon, which is the
 * worker from now on. Not enabled: returns 0 at once. -errno if fork fails.
 */
int uwg_privsep_fork(struct uwg_privsep *ps, const struct uwg_uapi_sock *sock);

/*
 * For struct uwg_tun's ns_socket (ctx = the struct uwg_privsep): the
 * monitor's socket(domain, type, proto) in the namespace nsfd. fd or -errno.
 */
int uwg_privsep_ns_socket(void *ctx, int nsfd, int domain, int type, int proto);

/*
 * In the worker, once every root-only setup step is done: switch to the
 * user with exactly the capabilities above (bounding set cut down, no new
 * privileges, not dumpable again). CAP_NET_ADMIN is also made ambient, so
 * the IGD's SSDP child can attach its socket filters before it drops it.
 * 0 or -errno.
 */
int uwg_privsep_drop(const struct uwg_privsep *ps);

#endif
