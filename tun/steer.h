/*
 * tun/steer.h - kernel side of the userspace NAT (tc ingress u32 + mirred
 * redirect, replies through a raw socket):
 * tc ingress filters on the external interface that redirect packets for the
 * public address into the uwg TUN, the raw IPv4 socket that sends translated
 * packets out, placeholder sockets that keep the host stack off the pool
 * ports, and the host-port checks for refusing colliding maps. No sysctl, no
 * forwarding, no routing-rule change. Setup/control path only (never per
 * packet, except uwg_steer_raw_send); loop thread; needs CAP_NET_ADMIN (tc)
 * and CAP_NET_RAW (raw socket).
 *
 * Ownership: uwg owns one block of tc priorities on the external interface's
 * ingress hook (default UWG_STEER_PRIO_BASE .. +UWG_STEER_PRIO_COUNT-1), one
 * u32 filter per priority. Opening deletes every filter in that block (left
 * by a crashed run: a stale redirect to a vanished TUN blackholes the port)
 * and touches nothing outside it; closing deletes them again. The clsact
 * qdisc is created if no ingress/clsact qdisc exists and removed on close
 * only if this run created it and no other filter uses it.
 *
 * Every filter matches IPv4 with IHL = 5, not a fragment (MF = 0, offset =
 * 0), destination = public address, plus its kind's keys. Packets with IP
 * options and all fragments stay with the host stack.
 */
#ifndef UWG_TUN_STEER_H
#define UWG_TUN_STEER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum uwg_steer_defaults {
	/* Clear of tc's automatic priorities (0xc000 and counting down from it). */
	UWG_STEER_PRIO_BASE = 0x7700,
	UWG_STEER_PRIO_COUNT = 2048,
};

struct uwg_steer_config {
	const char *wan_ifname; /* where public traffic arrives */
	const char *tun_ifname; /* the uwg TUN it is redirected to */
	uint32_t public_ip;     /* host order */
	uint16_t prio_base;     /* 0 = UWG_STEER_PRIO_BASE */
	uint16_t prio_count;    /* 0 = UWG_STEER_PRIO_COUNT */
};

enum uwg_steer_kind {
	/* TCP or UDP to public:port (port/mask = destination port). */
	UWG_STEER_L4,
	/* ICMP echo replies to public with id in port/mask (masqueraded pings). */
	UWG_STEER_ECHO_REPLY,
	/*
	 * ICMP destination-unreachable and time-exceeded to public quoting a
	 * packet sent from public (quoted IHL = 5): for proto TCP/UDP the quoted
	 * source port, for proto ICMP a quoted echo request's id, in port/mask.
	 * Proto 0 matches the quoted source port of any quoted protocol.
	 */
	UWG_STEER_ICMP_ERROR,
};

struct uwg_steer_match {
	enum uwg_steer_kind kind;
	uint8_t proto;
	uint16_t port;
	uint16_t mask; /* 0xffff: exactly port */
};

/* A power-of-two aligned run of ports: value/mask as u32 matches it. */
struct uwg_steer_block {
	uint16_t value, mask;
};

struct uwg_steer;

/*
 * Resolves both interfaces, makes sure the ingress hook exists, and deletes
 * whatever a previous run left in the priority block. -ENODEV if an
 * interface is missing, -EPERM without CAP_NET_ADMIN, other negative errno.
 */
int uwg_steer_open(struct uwg_steer **out, const struct uwg_steer_config *cfg);

/* Deletes every filter in the block (and the qdisc if ours, see above) and frees. */
void uwg_steer_close(struct uwg_steer *st);

/*
 * Adds one filter in a free priority of the block; *prio receives it (the id
 * for uwg_steer_del). -ENOSPC when the block is full, -EINVAL for a bad match.
 */
int uwg_steer_add(struct uwg_steer *st, const struct uwg_steer_match *m, uint16_t *prio);

/*
 * The filters for the port range lo..hi of one kind/proto, one per aligned
 * block (a power-of-two aligned range needs exactly one). Writes up to max
 * priorities to prios and their count to *n; on error nothing is left added.
 */
int uwg_steer_add_range(struct uwg_steer *st, enum uwg_steer_kind kind, uint8_t proto,
			uint16_t lo, uint16_t hi, uint16_t *prios, size_t max, size_t *n);

/* Deletes the filter at prio. -ENOENT if uwg has no filter there. */
int uwg_steer_del(struct uwg_steer *st, uint16_t prio);

/* Deletes every filter in the block, also ones this process did not add. Returns 0 or -errno. */
int uwg_steer_flush(struct uwg_steer *st);

/*
 * The priorities in the block that hold a filter in the kernel right now
 * (up to max written, *n = total), for checks and tests.
 */
int uwg_steer_list(struct uwg_steer *st, uint16_t *prios, size_t max, size_t *n);

/*
 * Splits lo..hi into power-of-two aligned blocks. Writes up to max, returns
 * how many are needed (0 if lo > hi).
 */
size_t uwg_steer_range_blocks(uint16_t lo, uint16_t hi, struct uwg_steer_block *out, size_t max);

/* ---- sending translated packets ---- */

/* socket(AF_INET, SOCK_RAW, IPPROTO_RAW): header included, non-blocking. fd or -errno. */
int uwg_steer_raw_open(void);

/*
 * Sends one complete IPv4 packet to its own destination address. The kernel
 * fills in the IP id if 0 and the header checksum; it does not fragment:
 * -EMSGSIZE when the packet exceeds the route MTU.
 */
int uwg_steer_raw_send(int fd, const uint8_t *pkt, size_t len);

/* ---- host ports ---- */

/*
 * Placeholder sockets: a bound, never-listening TCP socket and a bound UDP
 * socket per port, so host programs cannot bind the ports and the kernel
 * never picks them as ephemeral.
 * Raises RLIMIT_NOFILE toward the hard limit if needed.
 */
struct uwg_steer_reserve {
	int *fds;
	size_t n;
};

/*
 * Binds addr (host order; 0 = any) lo..hi for TCP and/or UDP. On failure
 * nothing stays bound and *bad_port names the port that could not be bound
 * (-EADDRINUSE) when relevant.
 */
int uwg_steer_reserve_ports(struct uwg_steer_reserve *r, uint32_t addr, uint16_t lo, uint16_t hi,
			    bool tcp, bool udp, uint16_t *bad_port);
void uwg_steer_release_ports(struct uwg_steer_reserve *r);

/*
 * One placeholder: proto (IPPROTO_TCP/UDP) port bound on any address, the
 * descriptor above FD_SETSIZE where the limit allows. The fd or -errno.
 */
int uwg_steer_placeholder(uint8_t proto, uint16_t port);

/*
 * 1 if a host socket holds proto (IPPROTO_TCP/UDP) port on addr (host order;
 * 0 = any address, the strictest), 0 if free, negative errno on failure.
 * Probes with bind() without SO_REUSEADDR, so listening, connected
 * (ephemeral) and TIME_WAIT sockets all count as in use.
 */
int uwg_steer_port_in_use(uint8_t proto, uint32_t addr, uint16_t port);

/* The kernel's ephemeral port range (/proc/sys/net/ipv4/ip_local_port_range). */
int uwg_steer_ephemeral_range(uint16_t *lo, uint16_t *hi);

#endif
