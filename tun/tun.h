/*
 * tun/tun.h - the Linux TUN device: a non-blocking fd, its name, and the link
 * state (IFF_UP, MTU) the daemon follows. The device may be moved into another
 * network namespace (`ip link set IF netns NS`) while the fd stays here; the
 * state queries follow it there. Knows nothing of WireGuard. Loop thread only.
 */
#ifndef UWG_TUN_TUN_H
#define UWG_TUN_TUN_H

#include <net/if.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/uio.h>

struct uwg_tun {
	int fd;         /* /dev/net/tun, O_NONBLOCK, IFF_TUN | IFF_NO_PI (| IFF_VNET_HDR) */
	char name[IFNAMSIZ];
	int self_ns;    /* our own network namespace (-1 if unavailable) */
	dev_t ns_dev;   /* identity of the namespace the device is in */
	ino_t ns_ino;
	/* Only while the device is in our namespace (-1 otherwise: callers poll). */
	int ctl;        /* datagram socket for SIOCGIFFLAGS/SIOCGIFMTU */
	int nl;         /* NETLINK_ROUTE socket subscribed to RTMGRP_LINK */
	/*
	 * IFF_VNET_HDR: every read and write starts with a 10-byte
	 * virtio_net_hdr (see core/ip/offload.h). Set by uwg_tun_open when the
	 * kernel takes it; offload is what uwg_tun_set_offload got accepted.
	 */
	bool vnet_hdr;
	unsigned offload;
	/*
	 * Optional: makes socket(domain, type, proto) in the namespace nsfd
	 * and returns it (or -errno). A daemon that gave up CAP_SYS_ADMIN sets
	 * it to ask its privileged monitor instead of calling setns(2).
	 */
	int (*ns_socket)(void *ctx, int nsfd, int domain, int type, int proto);
	void *ns_socket_ctx;
};

/* TUNSETOFFLOAD bits (linux/if_tun.h; the USO ones are newer than some headers). */
enum {
	UWG_TUN_F_CSUM = 0x01,
	UWG_TUN_F_TSO4 = 0x02,
	UWG_TUN_F_TSO6 = 0x04,
	UWG_TUN_F_TSO_ECN = 0x08,
	UWG_TUN_F_USO4 = 0x20,
	UWG_TUN_F_USO6 = 0x40,
};

struct uwg_tun_link {
	bool up;        /* IFF_UP */
	uint32_t mtu;
};

/*
 * Creates (or attaches to) the TUN interface name (< IFNAMSIZ, no '/'),
 * with IFF_VNET_HDR if the kernel accepts it (tun->vnet_hdr says).
 * 0, or -errno (-EBUSY if it exists and is in use).
 */
int uwg_tun_open(struct uwg_tun *tun, const char *name);
void uwg_tun_close(struct uwg_tun *tun);

/*
 * Current state. -EBADFD once the interface is gone (deleted); -EXDEV if the
 * device moved to another namespace since the helper sockets were opened
 * (stop polling uwg_tun_monitor_fd, call uwg_tun_follow, ask again); other
 * -errno for transient failures.
 */
int uwg_tun_link_get(struct uwg_tun *tun, struct uwg_tun_link *link);
/*
 * Notes the namespace the device is in now and re-opens the helper sockets if
 * that is our own (closing the old ones, so nobody may still poll the old
 * monitor fd). In a foreign namespace nothing is kept open there (it would
 * keep a deleted namespace and the device alive): uwg_tun_monitor_fd is -1
 * and link state must be polled. 0 or -errno.
 */
int uwg_tun_follow(struct uwg_tun *tun);

/* The fd to poll for link-change wake-ups (-1: none, poll uwg_tun_link_get); uwg_tun_follow changes it. */
int uwg_tun_monitor_fd(const struct uwg_tun *tun);
/* Reads and discards pending notifications; true if any concerned a link. */
bool uwg_tun_monitor_drain(struct uwg_tun *tun);

/*
 * Asks the kernel to hand over (and accept) offloaded packets: flags are
 * UWG_TUN_F_*; needs vnet_hdr. Tries flags, then flags without USO, then
 * without TSO; tun->offload is what was accepted (0 if nothing). 0 or -errno.
 */
int uwg_tun_set_offload(struct uwg_tun *tun, unsigned flags);

/*
 * One packet (with its virtio_net_hdr first if vnet_hdr); bytes, or -errno
 * (-EAGAIN when none, -EBADFD once the device is gone).
 */
ssize_t uwg_tun_read(struct uwg_tun *tun, void *buf, size_t len);
ssize_t uwg_tun_write(struct uwg_tun *tun, const void *buf, size_t len);
/* One packet scattered into iov. */
ssize_t uwg_tun_readv(struct uwg_tun *tun, const struct iovec *iov, int iovcnt);
/* One packet gathered from iov (a super-packet after its virtio_net_hdr). */
ssize_t uwg_tun_writev(struct uwg_tun *tun, const struct iovec *iov, int iovcnt);

#endif
