/*
 * core/ip/offload.h - the pure half of TUN segmentation offload: the virtio-net
 * header that a TUN opened with IFF_VNET_HDR puts in front of every packet,
 * GSO split (one TCP or UDP super-packet from the kernel into MTU-sized IP
 * packets with finished checksums) and GRO coalescing (decrypted same-flow
 * packets into one super-packet for a single TUN write). Works on caller
 * buffers only: no I/O, no allocation. Pure functions and caller-owned
 * state; any thread, one state per thread.
 *
 * All integers in packets are big-endian on the wire. The virtio-net header
 * fields are in the host's byte order (legacy virtio "native" endianness,
 * which is what the TUN driver uses unless TUNSETVNETLE/BE says otherwise).
 */
#ifndef UWG_CORE_IP_OFFLOAD_H
#define UWG_CORE_IP_OFFLOAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum uwg_vnet_consts {
	UWG_VNET_HDR_LEN = 10,
	UWG_VNET_F_NEEDS_CSUM = 1, /* L4 checksum at csum_start + csum_offset is partial */
	UWG_VNET_F_DATA_VALID = 2,
	UWG_VNET_GSO_NONE = 0,
	UWG_VNET_GSO_TCPV4 = 1,
	UWG_VNET_GSO_UDP = 3,      /* UFO: IP fragmentation, never produced for us */
	UWG_VNET_GSO_TCPV6 = 4,
	UWG_VNET_GSO_UDP_L4 = 5,   /* USO: UDP segmentation */
	UWG_VNET_GSO_ECN = 0x80,
};

struct uwg_vnet_hdr {
	uint8_t flags;
	uint8_t gso_type;
	uint16_t hdr_len;
	uint16_t gso_size;
	uint16_t csum_start;
	uint16_t csum_offset;
};

void uwg_vnet_hdr_decode(struct uwg_vnet_hdr *h, const uint8_t buf[UWG_VNET_HDR_LEN]);
void uwg_vnet_hdr_encode(const struct uwg_vnet_hdr *h, uint8_t buf[UWG_VNET_HDR_LEN]);

/*
 * Finishes a partial L4 checksum in place (NEEDS_CSUM: the field holds the
 * folded pseudo-header sum and the rest of [csum_start, len) is summed into
 * it). A header without NEEDS_CSUM is left alone. -EINVAL if the offsets do
 * not fit the packet.
 */
int uwg_offload_csum_finish(const struct uwg_vnet_hdr *h, uint8_t *pkt, size_t len);

/*
 * GSO split. The TUN hands over a super-packet: one IP header and one
 * TCP/UDP header followed by up to 64 KiB of payload, to be cut into
 * gso_size pieces. Each segment gets a copy of the headers with the IPv4
 * total length/id/header checksum or the IPv6 payload length, the TCP
 * sequence number and flags (FIN/PSH on the last segment only, CWR on the
 * first only) or the UDP length adjusted, and a complete L4 checksum.
 * A packet with gso_type NONE is one segment: itself with its checksum
 * finished.
 */
struct uwg_gso_split {
	const uint8_t *pkt;
	size_t len;
	uint32_t l3_len;   /* IP header(s): where the L4 header starts */
	uint32_t hdr_len;  /* l3 + TCP/UDP header: copied into every segment */
	uint32_t gso_size; /* payload bytes per segment (0 when gso_type is NONE) */
	size_t off;        /* next payload byte */
	uint32_t index;    /* segments produced so far */
	uint32_t count;
	uint8_t proto;     /* IPPROTO_TCP or IPPROTO_UDP; 0 for a NONE packet */
	bool v6;
	struct uwg_vnet_hdr h;
};

/*
 * Validates h against pkt/len and prepares the split. 0, or -EINVAL for a
 * malformed or unsupported combination (the packet should be dropped),
 * -EPROTONOSUPPORT for GSO types this code does not segment (UFO).
 */
int uwg_gso_split_init(struct uwg_gso_split *s, const struct uwg_vnet_hdr *h, const uint8_t *pkt,
		       size_t len);
/* The number of packets the split produces (>= 1). */
static inline uint32_t uwg_gso_split_count(const struct uwg_gso_split *s)
{
	return s->count;
}
/* The largest segment, so the caller can size its buffers. */
size_t uwg_gso_split_max_segment(const struct uwg_gso_split *s);
/*
 * Writes the next segment to out (cap bytes, >= uwg_gso_split_max_segment)
 * and returns its length; 0 when every segment has been produced.
 */
size_t uwg_gso_split_next(struct uwg_gso_split *s, uint8_t *out, size_t cap);

/*
 * GRO: a batch of inner IP packets on its way to the TUN, grouped for
 * writing. Packets are added in order; a packet joins the latest group of
 * its flow when it continues it exactly (TCP: same addresses, ports, IP
 * TOS/TTL/DF, TCP options and ack, next sequence number, only ACK/PSH set,
 * payload not larger than the group's segment size; UDP: same addresses,
 * ports and IP fields, same payload size), otherwise it starts a new group,
 * so no flow is ever reordered. A group is closed by a shorter segment or a
 * PSH, and never exceeds 64 KiB or UWG_GRO_MAX_SEGS packets. IPv4 with
 * options or fragments, and IPv6 with extension headers, are never merged.
 *
 * uwg_gro_finish() rewrites the first packet of every merged group in place
 * so it describes the whole super-packet (lengths, IPv4 header checksum, the
 * partial L4 checksum for NEEDS_CSUM) and builds its virtio-net header; the
 * TUN write is then: the header, the whole first packet, then each later
 * packet from skip[i] on (its payload). Unmerged packets get an all-zero
 * header and are written whole.
 */
enum {
	UWG_GRO_MAX_PKTS = 256,
	UWG_GRO_MAX_SEGS = 64,
	UWG_GRO_NONE = 0xffff,
};

struct uwg_gro_group {
	uint8_t vnet[UWG_VNET_HDR_LEN];
	uint16_t first;   /* packet index of the head */
	uint16_t last;
	uint16_t count;   /* packets in the group, linked through next[] */
	/* Matching state, private to offload.c. */
	uint8_t proto;
	bool v6;
	bool closed;
	uint8_t l3_len;
	uint8_t hdr_len;
	uint16_t seg_size;
	uint32_t total;   /* IP packet length once merged */
	uint32_t next_seq;
	uint32_t key;     /* flow hash, to skip mismatches quickly */
	bool psh;
};

struct uwg_gro {
	bool udp;         /* UDP groups allowed (the TUN accepted USO) */
	uint16_t npkts;
	uint16_t ngroups;
	uint8_t *data[UWG_GRO_MAX_PKTS];
	uint32_t len[UWG_GRO_MAX_PKTS];
	uint16_t next[UWG_GRO_MAX_PKTS]; /* next packet of the same group, UWG_GRO_NONE at the end */
	uint16_t skip[UWG_GRO_MAX_PKTS]; /* header bytes not written for a non-head member */
	struct uwg_gro_group groups[UWG_GRO_MAX_PKTS];
};

/* Starts an empty batch; udp: whether UDP may be merged. */
void uwg_gro_init(struct uwg_gro *g, bool udp);
/* True if another packet fits. */
static inline bool uwg_gro_full(const struct uwg_gro *g)
{
	return g->npkts >= UWG_GRO_MAX_PKTS;
}
/*
 * Adds packet data/len (an IP packet whose length field matches len; it
 * stays the caller's, but finish may rewrite its headers). Returns its index.
 * Must not be called when full.
 */
uint16_t uwg_gro_add(struct uwg_gro *g, uint8_t *data, uint32_t len);
/* Rewrites heads and builds the groups' headers; then groups[0..ngroups) are in write order. */
void uwg_gro_finish(struct uwg_gro *g);

#endif
