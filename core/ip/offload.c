/*
 * core/ip/offload.c - virtio-net header coding, GSO split and GRO coalescing
 * (see offload.h). Checksums come from core/ip/checksum.h. Pure functions and
 * caller-owned state; any thread.
 */
#include "core/ip/offload.h"

#include <errno.h>
#include <netinet/in.h>
#include <string.h>

#include "core/ip/checksum.h"

enum {
	TCP_FIN = 0x01,
	TCP_SYN = 0x02,
	TCP_RST = 0x04,
	TCP_PSH = 0x08,
	TCP_ACK = 0x10,
	TCP_CWR = 0x80,
	IPV4_DF = 0x4000,
	IPV4_MF = 0x2000,
	IPV4_OFFSET = 0x1fff,
	MAX_IP_LEN = 65535,
	TCP_CSUM_OFF = 16,
	UDP_CSUM_OFF = 6,
};

static uint16_t get_ne16(const uint8_t *p)
{
	uint16_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static void put_ne16(uint8_t *p, uint16_t v)
{
	memcpy(p, &v, sizeof(v));
}

void uwg_vnet_hdr_decode(struct uwg_vnet_hdr *h, const uint8_t buf[UWG_VNET_HDR_LEN])
{
	h->flags = buf[0];
	h->gso_type = buf[1];
	h->hdr_len = get_ne16(buf + 2);
	h->gso_size = get_ne16(buf + 4);
	h->csum_start = get_ne16(buf + 6);
	h->csum_offset = get_ne16(buf + 8);
}

void uwg_vnet_hdr_encode(const struct uwg_vnet_hdr *h, uint8_t buf[UWG_VNET_HDR_LEN])
{
	buf[0] = h->flags;
	buf[1] = h->gso_type;
	put_ne16(buf + 2, h->hdr_len);
	put_ne16(buf + 4, h->gso_size);
	put_ne16(buf + 6, h->csum_start);
	put_ne16(buf + 8, h->csum_offset);
}

/* Running sum of the pseudo header for an L4 segment of l4_len bytes. */
static uint64_t pseudo_sum(const uint8_t *ip, bool v6, uint8_t proto, uint32_t l4_len)
{
	if (!v6)
		return uwg_csum_pseudo4(uwg_get_be32(ip + 12), uwg_get_be32(ip + 16), proto,
					(uint16_t)l4_len);
	/* RFC 8200 8.1: both addresses, the 32-bit upper-layer length, the next header. */
	return uwg_csum_add(0, ip + 8, 32) + (l4_len >> 16) + (l4_len & 0xffff) + proto;
}

/* A complete L4 checksum; 0 is sent as ffff (RFC 768; the same one's-complement value for TCP). */
static uint16_t l4_checksum(const uint8_t *ip, bool v6, uint8_t proto, const uint8_t *l4,
			    uint32_t l4_len)
{
	uint16_t c = uwg_csum_finish(uwg_csum_add(pseudo_sum(ip, v6, proto, l4_len), l4, l4_len));

	return c ? c : 0xffff;
}

int uwg_offload_csum_finish(const struct uwg_vnet_hdr *h, uint8_t *pkt, size_t len)
{
	size_t start = h->csum_start, field = start + h->csum_offset;
	uint16_t c;

	if (!(h->flags & UWG_VNET_F_NEEDS_CSUM))
		return 0;
	if (field + 2 > len || h->csum_offset & 1)
		return -EINVAL;
	/* The field already holds the folded pseudo-header sum: sum everything from csum_start. */
	c = uwg_csum_finish(uwg_csum_add(0, pkt + start, len - start));
	uwg_put_be16(pkt + field, c ? c : 0xffff);
	return 0;
}

/* ---- GSO split ---- */

int uwg_gso_split_init(struct uwg_gso_split *s, const struct uwg_vnet_hdr *h, const uint8_t *pkt,
		       size_t len)
{
	uint8_t type = (uint8_t)(h->gso_type & ~UWG_VNET_GSO_ECN);
	uint32_t l4_len;
	size_t payload;

	memset(s, 0, sizeof(*s));
	s->pkt = pkt;
	s->len = len;
	s->h = *h;
	if (len == 0 || len > MAX_IP_LEN + 64)
		return -EINVAL;
	if (type == UWG_VNET_GSO_NONE) {
		if ((h->flags & UWG_VNET_F_NEEDS_CSUM) &&
		    ((size_t)h->csum_start + h->csum_offset + 2 > len || h->csum_offset & 1))
			return -EINVAL;
		s->count = 1;
		return 0;
	}
	if (type == UWG_VNET_GSO_TCPV4 || type == UWG_VNET_GSO_TCPV6)
		s->proto = IPPROTO_TCP;
	else if (type == UWG_VNET_GSO_UDP_L4)
		s->proto = IPPROTO_UDP;
	else
		return -EPROTONOSUPPORT;

	if (pkt[0] >> 4 == 4 && type != UWG_VNET_GSO_TCPV6) {
		uint32_t ihl = (uint32_t)(pkt[0] & 0xf) * 4;

		if (len < 20 || ihl < 20 || ihl > len || pkt[9] != s->proto ||
		    (uwg_get_be16(pkt + 6) & (IPV4_MF | IPV4_OFFSET)))
			return -EINVAL;
		s->l3_len = ihl;
	} else if (pkt[0] >> 4 == 6 && type != UWG_VNET_GSO_TCPV4) {
		if (len < 40)
			return -EINVAL;
		s->v6 = true;
		if (pkt[6] == s->proto)
			s->l3_len = 40;
		else if ((h->flags & UWG_VNET_F_NEEDS_CSUM) && h->csum_start > 40)
			s->l3_len = h->csum_start; /* extension headers: the kernel says where L4 is */
		else
			return -EINVAL;
	} else {
		return -EINVAL;
	}
	if (s->proto == IPPROTO_TCP) {
		if ((size_t)s->l3_len + 20 > len)
			return -EINVAL;
		l4_len = (uint32_t)(pkt[s->l3_len + 12] >> 4) * 4;
		if (l4_len < 20)
			return -EINVAL;
	} else {
		l4_len = 8;
	}
	s->hdr_len = s->l3_len + l4_len;
	if (s->hdr_len > len || h->gso_size == 0)
		return -EINVAL;
	s->gso_size = h->gso_size;
	s->off = s->hdr_len;
	payload = len - s->hdr_len;
	s->count = payload ? (uint32_t)((payload + s->gso_size - 1) / s->gso_size) : 1;
	return 0;
}

size_t uwg_gso_split_max_segment(const struct uwg_gso_split *s)
{
	size_t payload = s->len - s->hdr_len;

	if (!s->proto)
		return s->len;
	return s->hdr_len + (payload < s->gso_size ? payload : s->gso_size);
}

size_t uwg_gso_split_next(struct uwg_gso_split *s, uint8_t *out, size_t cap)
{
	size_t chunk, seg_len, pos;
	bool first, last;
	uint32_t l3 = s->l3_len, l4_len;
	uint8_t *l4;

	if (s->index >= s->count)
		return 0;
	if (!s->proto) {
		if (s->len > cap)
			return 0;
		memcpy(out, s->pkt, s->len);
		(void)uwg_offload_csum_finish(&s->h, out, s->len);
		s->index++;
		return s->len;
	}
	chunk = s->len - s->off;
	if (chunk > s->gso_size)
		chunk = s->gso_size;
	seg_len = s->hdr_len + chunk;
	if (seg_len > cap)
		return 0;
	pos = s->off - s->hdr_len; /* payload bytes before this segment */
	first = s->index == 0;
	last = s->index + 1 == s->count;
	memcpy(out, s->pkt, s->hdr_len);
	memcpy(out + s->hdr_len, s->pkt + s->off, chunk);

	if (!s->v6) {
		uwg_put_be16(out + 2, (uint16_t)seg_len);
		/* As the kernel's TSO: consecutive ids from the super-packet's. */
		uwg_put_be16(out + 4, (uint16_t)(uwg_get_be16(s->pkt + 4) + s->index));
		uwg_put_be16(out + 10, uwg_csum_ipv4_header(out, l3));
	} else {
		uwg_put_be16(out + 4, (uint16_t)(seg_len - 40));
	}
	l4 = out + l3;
	l4_len = (uint32_t)(seg_len - l3);
	if (s->proto == IPPROTO_TCP) {
		uint8_t flags = l4[13];

		uwg_put_be32(l4 + 4, (uint32_t)(uwg_get_be32(s->pkt + l3 + 4) + pos));
		if (!last)
			flags &= (uint8_t)~(TCP_FIN | TCP_PSH);
		if (!first)
			flags &= (uint8_t)~TCP_CWR;
		l4[13] = flags;
		l4[TCP_CSUM_OFF] = l4[TCP_CSUM_OFF + 1] = 0;
		uwg_put_be16(l4 + TCP_CSUM_OFF, l4_checksum(out, s->v6, IPPROTO_TCP, l4, l4_len));
	} else {
		uwg_put_be16(l4 + 4, (uint16_t)l4_len);
		l4[UDP_CSUM_OFF] = l4[UDP_CSUM_OFF + 1] = 0;
		uwg_put_be16(l4 + UDP_CSUM_OFF, l4_checksum(out, s->v6, IPPROTO_UDP, l4, l4_len));
	}
	s->off += chunk;
	s->index++;
	return seg_len;
}

/* ---- GRO ---- */

/* What uwg_gro_add learns about a packet. */
struct gro_info {
	bool flow;        /* TCP or UDP with ports found: has a flow identity */
	bool mergeable;   /* may head or join a group */
	bool v6;
	uint8_t proto;
	uint8_t tcp_flags;
	uint32_t l3_len;
	uint32_t hdr_len;
	uint32_t payload;
	uint32_t seq;
	uint32_t key;
};

static void gro_parse(const uint8_t *p, uint32_t len, bool udp_ok, struct gro_info *in)
{
	memset(in, 0, sizeof(*in));
	if (len >= 20 && p[0] >> 4 == 4) {
		uint32_t ihl = (uint32_t)(p[0] & 0xf) * 4;

		if (ihl < 20 || ihl + 8 > len || uwg_get_be16(p + 2) != len ||
		    (uwg_get_be16(p + 6) & (IPV4_MF | IPV4_OFFSET)))
			return;
		in->proto = p[9];
		in->l3_len = ihl;
		in->key = uwg_get_be32(p + 12) ^ uwg_get_be32(p + 16);
		/* Options would have to match too; not worth it. */
		in->mergeable = ihl == 20;
	} else if (len >= 48 && p[0] >> 4 == 6) {
		if (40u + uwg_get_be16(p + 4) != len)
			return;
		in->proto = p[6]; /* extension headers: not a flow we can see into */
		in->v6 = true;
		in->l3_len = 40;
		in->key = uwg_get_be32(p + 20) ^ uwg_get_be32(p + 36);
		in->mergeable = true;
	} else {
		return;
	}
	if (in->proto == IPPROTO_TCP) {
		uint32_t doff;

		if (in->l3_len + 20 > len)
			return;
		doff = (uint32_t)(p[in->l3_len + 12] >> 4) * 4;
		if (doff < 20 || in->l3_len + doff > len)
			return;
		in->hdr_len = in->l3_len + doff;
		in->tcp_flags = p[in->l3_len + 13];
		in->seq = uwg_get_be32(p + in->l3_len + 4);
		if (in->tcp_flags & (uint8_t)~(TCP_ACK | TCP_PSH) || !(in->tcp_flags & TCP_ACK))
			in->mergeable = false;
	} else if (in->proto == IPPROTO_UDP) {
		in->hdr_len = in->l3_len + 8;
		if (!udp_ok)
			in->mergeable = false;
	} else {
		return;
	}
	in->flow = true;
	in->payload = len - in->hdr_len;
	if (!in->payload)
		in->mergeable = false;
	in->key ^= uwg_get_be32(p + in->l3_len) ^ in->proto;
}

/* Same 5-tuple (the caller checked family and protocol). */
static bool same_flow(const uint8_t *a, const uint8_t *b, const struct gro_info *in,
		      uint32_t a_l3)
{
	if (in->v6)
		return !memcmp(a + 8, b + 8, 32) && !memcmp(a + 40, b + 40, 4);
	return !memcmp(a + 12, b + 12, 8) && !memcmp(a + a_l3, b + in->l3_len, 4);
}

/* IP fields that must be equal for p to ride on head's header. */
static bool ip_compatible(const uint8_t *head, const uint8_t *p, bool v6, uint16_t count)
{
	uint16_t frag;

	if (v6)
		return !memcmp(head, p, 4) && head[7] == p[7];
	frag = uwg_get_be16(p + 6);
	if (head[1] != p[1] || head[8] != p[8] || (uwg_get_be16(head + 6) ^ frag) & IPV4_DF)
		return false;
	/* Without DF the ids matter (re-segmentation numbers them from the head's). */
	return (frag & IPV4_DF) || uwg_get_be16(p + 4) == (uint16_t)(uwg_get_be16(head + 4) + count);
}

static bool can_join(const struct uwg_gro *g, const struct uwg_gro_group *grp,
		     const uint8_t *p, const struct gro_info *in)
{
	const uint8_t *head = g->data[grp->first];

	if (grp->closed || !in->mergeable || grp->count >= UWG_GRO_MAX_SEGS ||
	    in->hdr_len != grp->hdr_len || in->payload > grp->seg_size ||
	    grp->total + in->payload > MAX_IP_LEN)
		return false;
	if (!ip_compatible(head, p, in->v6, grp->count))
		return false;
	if (in->proto == IPPROTO_UDP)
		return true;
	/* TCP: the exact continuation, same ack, same options (timestamps included). */
	return in->seq == grp->next_seq &&
	       !memcmp(head + grp->l3_len + 8, p + in->l3_len + 8, 4) &&
	       !memcmp(head + grp->l3_len + 20, p + in->l3_len + 20,
		       (size_t)grp->hdr_len - grp->l3_len - 20);
}

void uwg_gro_init(struct uwg_gro *g, bool udp)
{
	g->udp = udp;
	g->npkts = 0;
	g->ngroups = 0;
}

uint16_t uwg_gro_add(struct uwg_gro *g, uint8_t *data, uint32_t len)
{
	uint16_t i = g->npkts++;
	struct uwg_gro_group *grp = NULL;
	struct gro_info in;

	g->data[i] = data;
	g->len[i] = len;
	g->next[i] = UWG_GRO_NONE;
	g->skip[i] = 0;
	gro_parse(data, len, g->udp, &in);

	/* The flow's latest group, newest first: joining an older one would reorder the flow. */
	if (in.flow) {
		for (uint16_t k = g->ngroups; k-- > 0;) {
			struct uwg_gro_group *c = &g->groups[k];

			if (c->key == in.key && c->proto == in.proto && c->v6 == in.v6 &&
			    same_flow(g->data[c->first], data, &in, c->l3_len)) {
				grp = c;
				break;
			}
		}
	}
	if (grp && can_join(g, grp, data, &in)) {
		g->next[grp->last] = i;
		grp->last = i;
		grp->count++;
		grp->total += in.payload;
		grp->next_seq = in.seq + in.payload;
		g->skip[i] = (uint16_t)in.hdr_len;
		if (in.payload < grp->seg_size || (in.tcp_flags & TCP_PSH)) {
			grp->closed = true;
			grp->psh = (in.tcp_flags & TCP_PSH) != 0;
		}
		return i;
	}
	if (grp)
		grp->closed = true;
	grp = &g->groups[g->ngroups++];
	memset(grp, 0, sizeof(*grp));
	grp->first = grp->last = i;
	grp->count = 1;
	grp->total = len;
	if (in.flow) {
		grp->proto = in.proto;
		grp->v6 = in.v6;
		grp->key = in.key;
		grp->l3_len = (uint8_t)in.l3_len;
		grp->hdr_len = (uint8_t)in.hdr_len;
		grp->seg_size = (uint16_t)in.payload;
		grp->next_seq = in.seq + in.payload;
		grp->closed = !in.mergeable || (in.tcp_flags & TCP_PSH);
	} else {
		grp->closed = true;
	}
	return i;
}

static void finish_group(struct uwg_gro *g, struct uwg_gro_group *grp)
{
	uint8_t *head = g->data[grp->first];
	uint32_t l3 = grp->l3_len, l4_len = grp->total - l3;
	struct uwg_vnet_hdr h = { 0 };
	bool tcp = grp->proto == IPPROTO_TCP;
	uint16_t partial;

	if (!grp->v6) {
		uwg_put_be16(head + 2, (uint16_t)grp->total);
		uwg_put_be16(head + 10, uwg_csum_ipv4_header(head, l3));
	} else {
		uwg_put_be16(head + 4, (uint16_t)(grp->total - 40));
	}
	/* NEEDS_CSUM: the field carries the folded pseudo-header sum, not complemented. */
	partial = uwg_csum_fold(pseudo_sum(head, grp->v6, grp->proto, l4_len));
	if (tcp) {
		if (grp->psh)
			head[l3 + 13] |= TCP_PSH;
		uwg_put_be16(head + l3 + TCP_CSUM_OFF, partial);
		h.gso_type = grp->v6 ? UWG_VNET_GSO_TCPV6 : UWG_VNET_GSO_TCPV4;
		h.csum_offset = TCP_CSUM_OFF;
	} else {
		uwg_put_be16(head + l3 + 4, (uint16_t)l4_len);
		uwg_put_be16(head + l3 + UDP_CSUM_OFF, partial);
		h.gso_type = UWG_VNET_GSO_UDP_L4;
		h.csum_offset = UDP_CSUM_OFF;
	}
	h.flags = UWG_VNET_F_NEEDS_CSUM;
	h.hdr_len = grp->hdr_len;
	h.gso_size = grp->seg_size;
	h.csum_start = (uint16_t)l3;
	uwg_vnet_hdr_encode(&h, grp->vnet);
}

void uwg_gro_finish(struct uwg_gro *g)
{
	for (uint16_t k = 0; k < g->ngroups; k++) {
		struct uwg_gro_group *grp = &g->groups[k];

		if (grp->count > 1)
			finish_group(g, grp);
		else
			memset(grp->vnet, 0, sizeof(grp->vnet));
	}
}
