/*
 * cli/daemon/udp.h - the device's UDP sockets: one AF_INET and one AF_INET6
 * (IPV6_V6ONLY) socket on the same port, batched receive with the local
 * destination address (IP_PKTINFO / IPV6_RECVPKTINFO) filled into
 * pkt->ep, and a send queue per family flushed with sendmmsg, sending from
 * the sticky source address when the endpoint has one. Where the kernel
 * offers it, consecutive same-size datagrams to one endpoint leave as one
 * UDP_SEGMENT (GSO) send, and UDP_GRO lets coalesced datagrams arrive in
 * one piece, split here. Knows nothing of WireGuard or libuv: the caller
 * polls the fds. Loop thread only.
 */
#ifndef UWG_CLI_DAEMON_UDP_H
#define UWG_CLI_DAEMON_UDP_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include "core/pkt.h"

enum {
	UWG_UDP_BATCH = 64,           /* datagrams per recvmmsg/sendmmsg call */
	UWG_UDP_SOCKBUF = 7 << 20,    /* SO_RCVBUF/SO_SNDBUF, as wireguard-go asks */
	UWG_UDP_CMSG_SPACE = 128,     /* per message; room for pktinfo and later GSO/GRO */
	UWG_UDP_GSO_SEGS = 64,        /* datagrams per UDP_SEGMENT send (kernel UDP_MAX_SEGMENTS) */
	UWG_UDP_TX_PKTS = 1024,       /* datagrams per sendmmsg call, over all its messages */
	UWG_UDP_RX_SLOT = 65536,      /* receive buffer per message with UDP_GRO */
	UWG_UDP_RX_GRO_SLOTS = 16,    /* messages per recvmmsg once coalesced ones arrive */
};

enum uwg_udp_family { UWG_UDP_V4 = 0, UWG_UDP_V6 = 1, UWG_UDP_NFAMILIES = 2 };

/* A freshly bound socket pair, not yet installed (so a failed rebind changes nothing). */
struct uwg_udp_socks {
	int fd[UWG_UDP_NFAMILIES]; /* -1 if that family is unavailable on this host */
	uint16_t port;
	bool gso[UWG_UDP_NFAMILIES]; /* UDP_SEGMENT works (cleared when a send says EIO) */
	bool gro[UWG_UDP_NFAMILIES]; /* UDP_GRO is on: a message may hold many datagrams */
};

struct uwg_udp_stats {
	uint64_t rx_truncated;  /* datagram larger than a packet buffer */
	uint64_t rx_pool_empty; /* read and dropped: no packet buffer free */
	uint64_t rx_errors;
	uint64_t tx_errors;     /* sendmsg failed for that datagram (no route, ...) */
	uint64_t tx_no_socket;  /* no socket of the endpoint's family */
	uint64_t tx_src_cleared; /* sticky source no longer usable, resent without it */
	uint64_t tx_gso_sends;  /* UDP_SEGMENT sends (each several datagrams) */
	uint64_t tx_gso_off;    /* GSO found unusable (EIO) and switched off */
	uint64_t rx_gro_msgs;   /* received messages that held several datagrams */
};

struct uwg_udp {
	struct uwg_pool *pool;
	struct uwg_udp_socks socks;
	uint32_t fwmark;
	bool no_offload; /* no UDP GSO/GRO on sockets opened from now on */
	struct uwg_pktq txq[UWG_UDP_NFAMILIES];
	struct uwg_udp_stats stats;
	/*
	 * Called when sending from ep's sticky source failed (the address is
	 * gone or unroutable), so the owner of the endpoint can forget it.
	 */
	void (*src_failed)(void *ctx, const struct uwg_endpoint *ep);
	void *ctx;
	/* Batch scratch, allocated once in uwg_udp_init. */
	struct uwg_udp_scratch *scratch;
};

/* No sockets yet. 0 or -ENOMEM. */
int uwg_udp_init(struct uwg_udp *u, struct uwg_pool *pool);
/* Closes the sockets and returns queued packets to the pool. */
void uwg_udp_destroy(struct uwg_udp *u);

/*
 * Binds a new pair on port (0: a random port free in both families) with
 * u->fwmark applied. 0, or -errno (-EADDRINUSE).
 */
int uwg_udp_open(const struct uwg_udp *u, uint16_t port, struct uwg_udp_socks *out);
/* Replaces the current sockets with socks (closing the old ones: stop polling them first). */
void uwg_udp_install(struct uwg_udp *u, const struct uwg_udp_socks *socks);
/* SO_MARK on both sockets, and on any later pair; 0 clears. 0 or -errno. */
int uwg_udp_set_fwmark(struct uwg_udp *u, uint32_t mark);

/*
 * Receives up to max (<= UWG_UDP_BATCH) datagrams from family's socket into
 * pool packets with pkt->ep filled in. Returns the count (0: nothing
 * pending) or -errno; the caller owns out[0..count). With UDP_GRO one
 * receive may bring more than max: the rest is handed out by the next calls
 * before the socket is read again (uwg_udp_rx_buffered).
 */
int uwg_udp_recv(struct uwg_udp *u, enum uwg_udp_family fam, struct uwg_pkt **out, int max);

/* Datagrams received but not yet handed out by uwg_udp_recv (call it again first). */
uint32_t uwg_udp_rx_buffered(const struct uwg_udp *u, enum uwg_udp_family fam);

/* Consumes pkt: queues it for the next flush. */
void uwg_udp_queue(struct uwg_udp *u, struct uwg_pkt *pkt);
/* Datagrams waiting in family's queue. */
uint32_t uwg_udp_pending(const struct uwg_udp *u, enum uwg_udp_family fam);

/* Same destination address and port, and the same sticky source address (if any). */
bool uwg_endpoint_same(const struct uwg_endpoint *a, const struct uwg_endpoint *b);
/* "a.b.c.d:port" or "[v6[%scope]]:port" into buf (UWG_ENDPOINT_STRLEN); "" and false if unset. */
enum { UWG_ENDPOINT_STRLEN = 64 };
bool uwg_endpoint_format(const struct uwg_endpoint *ep, char *buf, size_t len);
/*
 * Sends what is queued. Returns a bit per family (1 << fam) whose socket
 * would block: its packets stay queued until the socket is writable.
 */
unsigned uwg_udp_flush(struct uwg_udp *u);

#endif
