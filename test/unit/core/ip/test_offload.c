/*
 * test/unit/core/ip/test_offload.c - core/ip/offload.c on crafted packets: virtio-net
 * header coding, checksum finishing, GSO split of TCP/UDP super-packets over
 * IPv4/IPv6 (every segment checked field by field and its checksums against
 * a from-scratch RFC 1071 reference), GRO grouping rules (continuation,
 * flow separation, ordering, PSH/short-segment closing, size and count
 * limits, non-mergeable packets) and split -> coalesce -> split round trips.
 */
#include <errno.h>
#include <netinet/in.h>

#include "core/ip/checksum.h"
#include "core/ip/offload.h"
#include "test/harness.h"

enum { TCP_FIN = 1, TCP_SYN = 2, TCP_PSH = 8, TCP_ACK = 0x10, TCP_CWR = 0x80 };

/* ---- a from-scratch reference: words summed one byte at a time, folded as we go ---- */

static uint32_t ref_add(uint32_t s, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		s += (i % 2) ? p[i] : (uint32_t)p[i] << 8;
		s = (s & 0xffff) + (s >> 16);
	}
	return s;
}

static uint32_t ref_fold(uint32_t s)
{
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return s;
}

/* The pseudo header, built as bytes (RFC 793 / RFC 8200 8.1) and summed by the reference. */
static uint32_t ref_pseudo(const uint8_t *ip, uint8_t proto, uint32_t l4_len)
{
	uint8_t ph[40];

	if (ip[0] >> 4 == 4) {
		memcpy(ph, ip + 12, 8);
		ph[8] = 0;
		ph[9] = proto;
		ph[10] = (uint8_t)(l4_len >> 8);
		ph[11] = (uint8_t)l4_len;
		return ref_add(0, ph, 12);
	}
	memcpy(ph, ip + 8, 32);
	ph[32] = (uint8_t)(l4_len >> 24);
	ph[33] = (uint8_t)(l4_len >> 16);
	ph[34] = (uint8_t)(l4_len >> 8);
	ph[35] = (uint8_t)l4_len;
	ph[36] = ph[37] = ph[38] = 0;
	ph[39] = proto;
	return ref_add(0, ph, 40);
}

/* True if the L4 checksum of the IP packet verifies (the sum over everything is ffff). */
static bool ref_l4_ok(const uint8_t *ip, size_t len, size_t l3, uint8_t proto)
{
	uint32_t l4_len = (uint32_t)(len - l3);

	return ref_fold(ref_add(ref_pseudo(ip, proto, l4_len), ip + l3, l4_len)) == 0xffff;
}

static bool ref_ipv4_ok(const uint8_t *ip)
{
	return ref_fold(ref_add(0, ip, (size_t)(ip[0] & 0xf) * 4)) == 0xffff;
}

/* Sets the L4 checksum with the reference (field zeroed first). */
static void ref_fill_l4(uint8_t *ip, size_t len, size_t l3, uint8_t proto)
{
	size_t field = l3 + (proto == IPPROTO_TCP ? 16 : 6);
	uint32_t l4_len = (uint32_t)(len - l3);
	uint16_t c;

	ip[field] = ip[field + 1] = 0;
	c = (uint16_t)~ref_fold(ref_add(ref_pseudo(ip, proto, l4_len), ip + l3, l4_len));
	uwg_put_be16(ip + field, c ? c : 0xffff);
}

static void ref_fill_ipv4(uint8_t *ip)
{
	ip[10] = ip[11] = 0;
	uwg_put_be16(ip + 10, (uint16_t)~ref_fold(ref_add(0, ip, (size_t)(ip[0] & 0xf) * 4)));
}

/* ---- packet builders ---- */

struct flow {
	bool v6;
	uint8_t proto;
	uint16_t sport, dport;
	uint8_t ttl;
	bool df;
	bool timestamps; /* TCP: 12 bytes of NOP,NOP,TS options */
	uint32_t tsval;
};

static uint8_t payload_byte(uint32_t i)
{
	return (uint8_t)(i * 7 + (i >> 8) + 3);
}

static size_t l3_len(const struct flow *f)
{
	return f->v6 ? 40 : 20;
}

static size_t l4_hdr_len(const struct flow *f)
{
	if (f->proto == IPPROTO_UDP)
		return 8;
	return f->timestamps ? 32 : 20;
}

/*
 * One IP packet of flow f with `payload` bytes (payload_byte(pos + i)) at TCP
 * sequence 1000 + pos; checksums valid unless partial, in which case the L4
 * field holds the folded pseudo-header sum (NEEDS_CSUM form).
 */
static size_t build(uint8_t *p, const struct flow *f, uint32_t pos, size_t payload, uint8_t flags,
		    uint16_t ip_id, bool partial)
{
	size_t l3 = l3_len(f), hl = l3 + l4_hdr_len(f), len = hl + payload;
	uint8_t *l4 = p + l3;

	memset(p, 0, hl);
	if (!f->v6) {
		p[0] = 0x45;
		p[1] = 0x10;
		uwg_put_be16(p + 2, (uint16_t)len);
		uwg_put_be16(p + 4, ip_id);
		uwg_put_be16(p + 6, f->df ? 0x4000 : 0);
		p[8] = f->ttl;
		p[9] = f->proto;
		uwg_put_be32(p + 12, 0x0a000001);
		uwg_put_be32(p + 16, 0x0a000002);
		ref_fill_ipv4(p);
	} else {
		p[0] = 0x60;
		p[1] = 0x0a;
		p[3] = 0x42;
		uwg_put_be16(p + 4, (uint16_t)(len - 40));
		p[6] = f->proto;
		p[7] = f->ttl;
		p[8] = 0xfd;
		p[23] = 1;
		p[24] = 0xfd;
		p[39] = 2;
	}
	uwg_put_be16(l4, f->sport);
	uwg_put_be16(l4 + 2, f->dport);
	if (f->proto == IPPROTO_TCP) {
		uwg_put_be32(l4 + 4, 1000 + pos);
		uwg_put_be32(l4 + 8, 0x55667788);
		l4[12] = (uint8_t)((l4_hdr_len(f) / 4) << 4);
		l4[13] = flags;
		uwg_put_be16(l4 + 14, 512);
		if (f->timestamps) {
			l4[20] = 1;
			l4[21] = 1;
			l4[22] = 8;
			l4[23] = 10;
			uwg_put_be32(l4 + 24, f->tsval);
			uwg_put_be32(l4 + 28, 77);
		}
	} else {
		uwg_put_be16(l4 + 4, (uint16_t)(len - l3));
	}
	for (size_t i = 0; i < payload; i++)
		p[hl + i] = payload_byte((uint32_t)(pos + i));
	if (partial) {
		size_t field = l3 + (f->proto == IPPROTO_TCP ? 16 : 6);

		uwg_put_be16(p + field, (uint16_t)ref_fold(ref_pseudo(p, f->proto, (uint32_t)(len - l3))));
	} else {
		ref_fill_l4(p, len, l3, f->proto);
	}
	return len;
}

static struct uwg_vnet_hdr gso_hdr(const struct flow *f, uint16_t gso_size)
{
	struct uwg_vnet_hdr h = {
		.flags = UWG_VNET_F_NEEDS_CSUM,
		.gso_size = gso_size,
		.hdr_len = (uint16_t)(l3_len(f) + l4_hdr_len(f)),
		.csum_start = (uint16_t)l3_len(f),
		.csum_offset = f->proto == IPPROTO_TCP ? 16 : 6,
	};

	if (f->proto == IPPROTO_UDP)
		h.gso_type = UWG_VNET_GSO_UDP_L4;
	else
		h.gso_type = f->v6 ? UWG_VNET_GSO_TCPV6 : UWG_VNET_GSO_TCPV4;
	return h;
}

/* ---- tests ---- */

static void test_vnet_hdr(void)
{
	struct uwg_vnet_hdr h = { .flags = 1, .gso_type = 4, .hdr_len = 74, .gso_size = 1380,
				  .csum_start = 40, .csum_offset = 16 }, d;
	uint8_t b[UWG_VNET_HDR_LEN];
	uint16_t v;

	uwg_vnet_hdr_encode(&h, b);
	CHECK_EQ_U64(b[0], 1);
	CHECK_EQ_U64(b[1], 4);
	memcpy(&v, b + 4, 2); /* host order, as the TUN driver reads it */
	CHECK_EQ_U64(v, 1380);
	uwg_vnet_hdr_decode(&d, b);
	CHECK_EQ_U64(d.hdr_len, 74);
	CHECK_EQ_U64(d.gso_size, 1380);
	CHECK_EQ_U64(d.csum_start, 40);
	CHECK_EQ_U64(d.csum_offset, 16);
	CHECK_EQ_U64(d.flags, 1);
	CHECK_EQ_U64(d.gso_type, 4);
}

static void test_csum_finish(void)
{
	static uint8_t p[2000], want[2000];
	struct flow tcp4 = { .proto = IPPROTO_TCP, .sport = 40000, .dport = 5201, .ttl = 64 };
	struct flow udp6 = { .v6 = true, .proto = IPPROTO_UDP, .sport = 1, .dport = 2, .ttl = 9 };
	struct uwg_vnet_hdr h = gso_hdr(&tcp4, 0);
	size_t len;

	h.gso_type = UWG_VNET_GSO_NONE;
	/* Odd length, so the trailing byte is summed as a high half. */
	len = build(want, &tcp4, 0, 1001, TCP_ACK, 1, false);
	build(p, &tcp4, 0, 1001, TCP_ACK, 1, true);
	CHECK(!ref_l4_ok(p, len, 20, IPPROTO_TCP));
	CHECK_EQ_INT(uwg_offload_csum_finish(&h, p, len), 0);
	CHECK(ref_l4_ok(p, len, 20, IPPROTO_TCP));
	CHECK_MEM_EQ(p, want, len);

	h = gso_hdr(&udp6, 0);
	h.gso_type = UWG_VNET_GSO_NONE;
	len = build(want, &udp6, 5, 333, 0, 0, false);
	build(p, &udp6, 5, 333, 0, 0, true);
	CHECK_EQ_INT(uwg_offload_csum_finish(&h, p, len), 0);
	CHECK(ref_l4_ok(p, len, 40, IPPROTO_UDP));
	CHECK_MEM_EQ(p, want, len);

	/* Without NEEDS_CSUM nothing is touched; offsets past the end are refused. */
	h.flags = 0;
	p[47] ^= 1;
	CHECK_EQ_INT(uwg_offload_csum_finish(&h, p, len), 0);
	CHECK(!ref_l4_ok(p, len, 40, IPPROTO_UDP));
	h.flags = UWG_VNET_F_NEEDS_CSUM;
	h.csum_start = (uint16_t)(len - 4);
	CHECK_EQ_INT(uwg_offload_csum_finish(&h, p, len), -EINVAL);
}

/*
 * Splits a super-packet of `total` payload bytes and checks every segment:
 * length, IP fields and checksum, sequence/flags or UDP length, L4 checksum
 * by the reference, and the payload bytes.
 */
static void check_split(const struct flow *f, size_t total, uint16_t mss, uint8_t flags)
{
	static uint8_t super[70000], seg[70000];
	size_t l3 = l3_len(f), hl = l3 + l4_hdr_len(f), len, pos = 0;
	struct uwg_vnet_hdr h = gso_hdr(f, mss);
	struct uwg_gso_split s;
	uint32_t want_count = (uint32_t)((total + mss - 1) / mss), i = 0;
	size_t n;

	len = build(super, f, 0, total, flags, 0x1234, true);
	CHECK_EQ_INT(uwg_gso_split_init(&s, &h, super, len), 0);
	CHECK_EQ_U64(uwg_gso_split_count(&s), want_count);
	CHECK_EQ_U64(uwg_gso_split_max_segment(&s), hl + (total < mss ? total : mss));
	while ((n = uwg_gso_split_next(&s, seg, sizeof(seg))) > 0) {
		size_t chunk = total - pos < mss ? total - pos : mss;
		bool last = i + 1 == want_count;

		CHECK_EQ_U64(n, hl + chunk);
		if (!f->v6) {
			CHECK_EQ_U64(uwg_get_be16(seg + 2), n);
			CHECK_EQ_U64(uwg_get_be16(seg + 4), 0x1234 + i);
			CHECK(ref_ipv4_ok(seg));
		} else {
			CHECK_EQ_U64(uwg_get_be16(seg + 4), n - 40);
			CHECK_MEM_EQ(seg, super, 4);
		}
		if (f->proto == IPPROTO_TCP) {
			uint8_t want_flags = flags;

			CHECK_EQ_U64(uwg_get_be32(seg + l3 + 4), 1000 + pos);
			CHECK_EQ_U64(uwg_get_be32(seg + l3 + 8), 0x55667788);
			if (!last)
				want_flags &= (uint8_t)~(TCP_FIN | TCP_PSH);
			if (i > 0)
				want_flags &= (uint8_t)~TCP_CWR;
			CHECK_EQ_U64(seg[l3 + 13], want_flags);
			/* Options travel unchanged. */
			CHECK_MEM_EQ(seg + l3 + 20, super + l3 + 20, hl - l3 - 20);
		} else {
			CHECK_EQ_U64(uwg_get_be16(seg + l3 + 4), n - l3);
		}
		CHECK(ref_l4_ok(seg, n, l3, f->proto));
		CHECK_MEM_EQ(seg + hl, super + hl + pos, chunk);
		pos += chunk;
		i++;
	}
	CHECK_EQ_U64(i, want_count);
	CHECK_EQ_U64(pos, total);
	CHECK_EQ_U64(uwg_gso_split_next(&s, seg, sizeof(seg)), 0);
}

static void test_split(void)
{
	struct flow tcp4 = { .proto = IPPROTO_TCP, .sport = 40000, .dport = 5201, .ttl = 64,
			     .df = true, .timestamps = true, .tsval = 99 };
	struct flow tcp6 = tcp4, udp4 = { .proto = IPPROTO_UDP, .sport = 5353, .dport = 9,
					 .ttl = 1 },
		    udp6 = udp4;

	tcp6.v6 = true;
	udp6.v6 = true;
	check_split(&tcp4, 5000, 1368, TCP_ACK | TCP_PSH | TCP_FIN | TCP_CWR);
	check_split(&tcp4, 64000, 1448, TCP_ACK);
	check_split(&tcp4, 2 * 1368, 1368, TCP_ACK | TCP_PSH); /* exact multiple */
	check_split(&tcp4, 1001, 1368, TCP_ACK | TCP_PSH);     /* one short segment */
	check_split(&tcp6, 7777, 1348, TCP_ACK | TCP_PSH | TCP_CWR);
	check_split(&tcp6, 65000, 1348, TCP_ACK);
	check_split(&udp4, 1380 * 5 + 1, 1380, 0);
	check_split(&udp6, 1000 * 3, 1000, 0);
}

static void test_split_none(void)
{
	static uint8_t p[3000], want[3000], out[3000];
	struct flow tcp6 = { .v6 = true, .proto = IPPROTO_TCP, .sport = 1, .dport = 2, .ttl = 3 };
	struct uwg_vnet_hdr h = { 0 };
	struct uwg_gso_split s;
	size_t len;

	/* No header flags: the packet comes out as it went in. */
	len = build(p, &tcp6, 0, 1200, TCP_ACK, 0, false);
	CHECK_EQ_INT(uwg_gso_split_init(&s, &h, p, len), 0);
	CHECK_EQ_U64(uwg_gso_split_count(&s), 1);
	CHECK_EQ_U64(uwg_gso_split_next(&s, out, sizeof(out)), len);
	CHECK_MEM_EQ(out, p, len);
	CHECK_EQ_U64(uwg_gso_split_next(&s, out, sizeof(out)), 0);

	/* NEEDS_CSUM without GSO: one packet, checksum finished. */
	build(want, &tcp6, 0, 1200, TCP_ACK, 0, false);
	build(p, &tcp6, 0, 1200, TCP_ACK, 0, true);
	h = gso_hdr(&tcp6, 0);
	h.gso_type = UWG_VNET_GSO_NONE;
	CHECK_EQ_INT(uwg_gso_split_init(&s, &h, p, len), 0);
	CHECK_EQ_U64(uwg_gso_split_next(&s, out, 100), 0); /* too small a buffer */
	CHECK_EQ_U64(uwg_gso_split_next(&s, out, sizeof(out)), len);
	CHECK_MEM_EQ(out, want, len);

	/* A GSO header on a packet with no payload at all: a single packet. */
	len = build(p, &tcp6, 0, 0, TCP_ACK | TCP_FIN, 0, true);
	h = gso_hdr(&tcp6, 1000);
	CHECK_EQ_INT(uwg_gso_split_init(&s, &h, p, len), 0);
	CHECK_EQ_U64(uwg_gso_split_count(&s), 1);
	CHECK_EQ_U64(uwg_gso_split_next(&s, out, sizeof(out)), len);
	CHECK(ref_l4_ok(out, len, 40, IPPROTO_TCP));
	CHECK_EQ_U64(out[40 + 13], TCP_ACK | TCP_FIN);
}

static void test_split_malformed(void)
{
	static uint8_t p[3000];
	struct flow tcp4 = { .proto = IPPROTO_TCP, .sport = 1, .dport = 2, .ttl = 3 };
	struct flow udp4 = { .proto = IPPROTO_UDP, .sport = 1, .dport = 2, .ttl = 3 };
	struct uwg_vnet_hdr h = gso_hdr(&tcp4, 1000);
	struct uwg_gso_split s;
	size_t len = build(p, &tcp4, 0, 2500, TCP_ACK, 0, true);

	h.gso_size = 0;
	CHECK_EQ_INT(uwg_gso_split_init(&s, &h, p, len), -EINVAL);
	h = gso_hdr(&tcp4, 1000);
	CHECK_EQ_INT(uwg_gso_split_init(&s, &h, p, 30), -EINVAL); /* TCP header cut */
	CHECK_EQ_INT(uwg_gso_split_init(&s, &h, p, 0), -EINVAL);
	h.gso_type = UWG_VNET_GSO_TCPV6; /* an IPv4 packet */
	CHECK_EQ_INT(uwg_gso_split_init(&s, &h, p, len), -EINVAL);
	h.gso_type = UWG_VNET_GSO_UDP;
	CHECK_EQ_INT(uwg_gso_split_init(&s, &h, p, len), -EPROTONOSUPPORT);
	h.gso_type = UWG_VNET_GSO_UDP_L4; /* protocol byte says TCP */
	CHECK_EQ_INT(uwg_gso_split_init(&s, &h, p, len), -EINVAL);
	h = gso_hdr(&tcp4, 1000);
	p[20 + 12] = 0x40; /* data offset 16 bytes */
	CHECK_EQ_INT(uwg_gso_split_init(&s, &h, p, len), -EINVAL);
	build(p, &tcp4, 0, 2500, TCP_ACK, 0, true);
	uwg_put_be16(p + 6, 0x2000); /* a fragment */
	CHECK_EQ_INT(uwg_gso_split_init(&s, &h, p, len), -EINVAL);
	len = build(p, &udp4, 0, 10, 0, 0, true);
	h = gso_hdr(&udp4, 1000);
	CHECK_EQ_INT(uwg_gso_split_init(&s, &h, p, 27), -EINVAL); /* UDP header cut */
	p[0] = 0x75;
	CHECK_EQ_INT(uwg_gso_split_init(&s, &h, p, len), -EINVAL);
}

/* ---- GRO ---- */

static uint8_t pool[300][1600];

/*
 * Writes group k the way the TUN write does (header, head packet, members'
 * payloads) into out; returns the length without the virtio header.
 */
static size_t gather(const struct uwg_gro *g, uint16_t k, uint8_t *out, struct uwg_vnet_hdr *h)
{
	const struct uwg_gro_group *grp = &g->groups[k];
	size_t n = 0;

	uwg_vnet_hdr_decode(h, grp->vnet);
	for (uint16_t i = grp->first; i != UWG_GRO_NONE; i = g->next[i]) {
		size_t skip = i == grp->first ? 0 : g->skip[i];

		memcpy(out + n, g->data[i] + skip, g->len[i] - skip);
		n += g->len[i] - skip;
	}
	return n;
}

static uint16_t group_size(const struct uwg_gro *g, uint16_t k)
{
	uint16_t n = 0;

	for (uint16_t i = g->groups[k].first; i != UWG_GRO_NONE; i = g->next[i])
		n++;
	CHECK_EQ_U64(n, g->groups[k].count);
	return n;
}

/* Segments of one flow from a split of `total` bytes at `mss`, into pool[first...]. */
static uint16_t split_into(struct uwg_gro *g, const struct flow *f, size_t total, uint16_t mss,
			   uint8_t flags, unsigned first)
{
	static uint8_t super[70000];
	struct uwg_vnet_hdr h = gso_hdr(f, mss);
	struct uwg_gso_split s;
	size_t len = build(super, f, 0, total, flags, 0x4000, true), n;
	unsigned k = first;

	CHECK_EQ_INT(uwg_gso_split_init(&s, &h, super, len), 0);
	while ((n = uwg_gso_split_next(&s, pool[k], sizeof(pool[k]))) > 0) {
		uwg_gro_add(g, pool[k], (uint32_t)n);
		k++;
	}
	return (uint16_t)(k - first);
}

static void check_roundtrip(const struct flow *f, size_t total, uint16_t mss, uint8_t flags,
			    bool udp)
{
	static struct uwg_gro g;
	static uint8_t super[70000], again[70000], seg[2000], orig[64][1600];
	struct uwg_vnet_hdr h, want = gso_hdr(f, mss);
	struct uwg_gso_split s;
	size_t l3 = l3_len(f), len, n;
	uint16_t segs;
	unsigned k = 0;

	uwg_gro_init(&g, udp);
	segs = split_into(&g, f, total, mss, flags, 0);
	CHECK(segs <= 64);
	memcpy(orig, pool, sizeof(orig)); /* finish rewrites the head in place */
	uwg_gro_finish(&g);
	CHECK_EQ_U64(g.ngroups, 1);
	CHECK_EQ_U64(group_size(&g, 0), segs);
	len = gather(&g, 0, super, &h);
	CHECK_EQ_U64(len, l3 + l4_hdr_len(f) + total);
	CHECK_EQ_U64(h.flags, UWG_VNET_F_NEEDS_CSUM);
	CHECK_EQ_U64(h.gso_type, want.gso_type);
	CHECK_EQ_U64(h.gso_size, mss);
	CHECK_EQ_U64(h.hdr_len, want.hdr_len);
	CHECK_EQ_U64(h.csum_start, l3);
	CHECK_EQ_U64(h.csum_offset, want.csum_offset);
	if (!f->v6) {
		CHECK_EQ_U64(uwg_get_be16(super + 2), len);
		CHECK(ref_ipv4_ok(super));
	} else {
		CHECK_EQ_U64(uwg_get_be16(super + 4), len - 40);
	}
	/* The partial checksum is the pseudo-header sum, so finishing it yields a valid packet. */
	memcpy(again, super, len);
	CHECK_EQ_INT(uwg_offload_csum_finish(&h, again, len), 0);
	CHECK(ref_l4_ok(again, len, l3, f->proto));
	if (f->proto == IPPROTO_TCP)
		CHECK_EQ_U64(super[l3 + 13], flags);
	/* And the super-packet is what the kernel would have handed us: split equals. */
	build(again, f, 0, total, flags, 0x4000, true);
	CHECK_MEM_EQ(super, again, len);
	CHECK_EQ_INT(uwg_gso_split_init(&s, &h, super, len), 0);
	while ((n = uwg_gso_split_next(&s, seg, sizeof(seg))) > 0) {
		CHECK_MEM_EQ(seg, orig[k], n);
		k++;
	}
	CHECK_EQ_U64(k, segs);
}

static void test_gro_roundtrip(void)
{
	struct flow tcp4 = { .proto = IPPROTO_TCP, .sport = 40000, .dport = 5201, .ttl = 64,
			     .df = true, .timestamps = true, .tsval = 99 };
	struct flow tcp4_nodf = tcp4, tcp6 = tcp4,
		    udp4 = { .proto = IPPROTO_UDP, .sport = 5353, .dport = 9, .ttl = 1 }, udp6;

	tcp4_nodf.df = false;
	tcp6.v6 = true;
	udp6 = udp4;
	udp6.v6 = true;
	check_roundtrip(&tcp4, 20000, 1368, TCP_ACK | TCP_PSH, false);
	check_roundtrip(&tcp4, 46 * 1368, 1368, TCP_ACK, false);
	check_roundtrip(&tcp4_nodf, 5000, 1000, TCP_ACK, false); /* consecutive ids */
	check_roundtrip(&tcp6, 30001, 1348, TCP_ACK | TCP_PSH, false);
	check_roundtrip(&udp4, 1380 * 10, 1380, 0, true);
	check_roundtrip(&udp6, 1000 * 7 + 5, 1000, 0, true);
}

static void test_gro_rules(void)
{
	static struct uwg_gro g;
	static uint8_t out[70000];
	struct flow a = { .proto = IPPROTO_TCP, .sport = 1000, .dport = 80, .ttl = 64, .df = true };
	struct flow b = a, u = { .proto = IPPROTO_UDP, .sport = 53, .dport = 53, .ttl = 64,
				 .df = true };
	struct uwg_vnet_hdr h;
	uint16_t n;

	b.sport = 1001;

	/* Two flows interleaved: each coalesces on its own, in first-arrival order. */
	uwg_gro_init(&g, false);
	for (uint32_t i = 0; i < 4; i++) {
		uwg_gro_add(&g, pool[2 * i], (uint32_t)build(pool[2 * i], &a, i * 100, 100,
							     TCP_ACK, 0, false));
		uwg_gro_add(&g, pool[2 * i + 1], (uint32_t)build(pool[2 * i + 1], &b, i * 100, 100,
								 TCP_ACK, 0, false));
	}
	uwg_gro_finish(&g);
	CHECK_EQ_U64(g.ngroups, 2);
	CHECK_EQ_U64(group_size(&g, 0), 4);
	CHECK_EQ_U64(group_size(&g, 1), 4);
	CHECK(g.data[g.groups[0].first] == pool[0]);
	CHECK(g.data[g.groups[1].first] == pool[1]);
	CHECK_EQ_U64(gather(&g, 0, out, &h), 20 + 20 + 400);
	CHECK_EQ_U64(uwg_get_be16(out + 20), 1000);

	/* Out of order (0, 200, 100): no group may take a packet from behind another. */
	uwg_gro_init(&g, false);
	uwg_gro_add(&g, pool[0], (uint32_t)build(pool[0], &a, 0, 100, TCP_ACK, 0, false));
	uwg_gro_add(&g, pool[1], (uint32_t)build(pool[1], &a, 200, 100, TCP_ACK, 0, false));
	uwg_gro_add(&g, pool[2], (uint32_t)build(pool[2], &a, 100, 100, TCP_ACK, 0, false));
	uwg_gro_finish(&g);
	CHECK_EQ_U64(g.ngroups, 3);
	/* Unmerged packets keep their headers and get an all-zero virtio header. */
	uwg_vnet_hdr_decode(&h, g.groups[0].vnet);
	CHECK_EQ_U64(h.gso_type, UWG_VNET_GSO_NONE);
	CHECK_EQ_U64(h.flags, 0);
	CHECK(ref_l4_ok(pool[0], 140, 20, IPPROTO_TCP));

	/* PSH ends a group (and is carried by the head); so does a short segment. */
	uwg_gro_init(&g, false);
	uwg_gro_add(&g, pool[0], (uint32_t)build(pool[0], &a, 0, 100, TCP_ACK, 0, false));
	uwg_gro_add(&g, pool[1], (uint32_t)build(pool[1], &a, 100, 100, TCP_ACK | TCP_PSH, 0,
						 false));
	uwg_gro_add(&g, pool[2], (uint32_t)build(pool[2], &a, 200, 100, TCP_ACK, 0, false));
	uwg_gro_add(&g, pool[3], (uint32_t)build(pool[3], &a, 300, 50, TCP_ACK, 0, false));
	uwg_gro_add(&g, pool[4], (uint32_t)build(pool[4], &a, 350, 50, TCP_ACK, 0, false));
	uwg_gro_finish(&g);
	CHECK_EQ_U64(g.ngroups, 3);
	CHECK_EQ_U64(group_size(&g, 0), 2);
	CHECK_EQ_U64(pool[0][20 + 13], TCP_ACK | TCP_PSH);
	CHECK_EQ_U64(group_size(&g, 1), 2);
	CHECK_EQ_U64(group_size(&g, 2), 1);
	/* A larger segment after a smaller head cannot join either. */
	uwg_gro_init(&g, false);
	uwg_gro_add(&g, pool[0], (uint32_t)build(pool[0], &a, 0, 100, TCP_ACK, 0, false));
	uwg_gro_add(&g, pool[1], (uint32_t)build(pool[1], &a, 100, 101, TCP_ACK, 0, false));
	uwg_gro_finish(&g);
	CHECK_EQ_U64(g.ngroups, 2);

	/* A FIN is never merged and closes its flow's group: what follows starts anew. */
	uwg_gro_init(&g, false);
	uwg_gro_add(&g, pool[0], (uint32_t)build(pool[0], &a, 0, 100, TCP_ACK, 0, false));
	uwg_gro_add(&g, pool[1], (uint32_t)build(pool[1], &a, 100, 100, TCP_ACK | TCP_FIN, 0,
						 false));
	uwg_gro_add(&g, pool[2], (uint32_t)build(pool[2], &a, 200, 100, TCP_ACK, 0, false));
	uwg_gro_finish(&g);
	CHECK_EQ_U64(g.ngroups, 3);

	/* Pure ACKs, SYNs, different TTL or ack, different options: separate. */
	uwg_gro_init(&g, false);
	uwg_gro_add(&g, pool[0], (uint32_t)build(pool[0], &a, 0, 0, TCP_ACK, 0, false));
	uwg_gro_add(&g, pool[1], (uint32_t)build(pool[1], &a, 0, 0, TCP_ACK, 0, false));
	uwg_gro_add(&g, pool[2], (uint32_t)build(pool[2], &a, 0, 100, TCP_SYN, 0, false));
	uwg_gro_finish(&g);
	CHECK_EQ_U64(g.ngroups, 3);
	{
		struct flow t = a;

		uwg_gro_init(&g, false);
		uwg_gro_add(&g, pool[0], (uint32_t)build(pool[0], &t, 0, 100, TCP_ACK, 0, false));
		t.ttl = 63;
		uwg_gro_add(&g, pool[1], (uint32_t)build(pool[1], &t, 100, 100, TCP_ACK, 0, false));
		t.timestamps = true;
		uwg_gro_add(&g, pool[2], (uint32_t)build(pool[2], &t, 200, 100, TCP_ACK, 0, false));
		t.tsval = 5; /* options differ in content only */
		uwg_gro_add(&g, pool[3], (uint32_t)build(pool[3], &t, 300, 100, TCP_ACK, 0, false));
		build(pool[4], &t, 400, 100, TCP_ACK, 0, false);
		uwg_put_be32(pool[4] + 28, 0x55667789); /* a different ack */
		ref_fill_l4(pool[4], 152, 20, IPPROTO_TCP);
		uwg_gro_add(&g, pool[4], 152);
		uwg_gro_finish(&g);
		CHECK_EQ_U64(g.ngroups, 5);
	}

	/* IPv4 without DF: ids must run on. */
	{
		struct flow t = a;

		t.df = false;
		uwg_gro_init(&g, false);
		uwg_gro_add(&g, pool[0], (uint32_t)build(pool[0], &t, 0, 100, TCP_ACK, 7, false));
		uwg_gro_add(&g, pool[1], (uint32_t)build(pool[1], &t, 100, 100, TCP_ACK, 8, false));
		uwg_gro_add(&g, pool[2], (uint32_t)build(pool[2], &t, 200, 100, TCP_ACK, 20, false));
		uwg_gro_finish(&g);
		CHECK_EQ_U64(g.ngroups, 2);
		CHECK_EQ_U64(group_size(&g, 0), 2);
	}

	/* UDP only when allowed; same size runs, a shorter one ends the group. */
	uwg_gro_init(&g, false);
	uwg_gro_add(&g, pool[0], (uint32_t)build(pool[0], &u, 0, 500, 0, 0, false));
	uwg_gro_add(&g, pool[1], (uint32_t)build(pool[1], &u, 0, 500, 0, 0, false));
	uwg_gro_finish(&g);
	CHECK_EQ_U64(g.ngroups, 2);
	uwg_gro_init(&g, true);
	for (unsigned i = 0; i < 4; i++)
		uwg_gro_add(&g, pool[i], (uint32_t)build(pool[i], &u, 0, 500, 0, 0, false));
	uwg_gro_add(&g, pool[4], (uint32_t)build(pool[4], &u, 0, 200, 0, 0, false));
	uwg_gro_add(&g, pool[5], (uint32_t)build(pool[5], &u, 0, 200, 0, 0, false));
	uwg_gro_finish(&g);
	CHECK_EQ_U64(g.ngroups, 2);
	CHECK_EQ_U64(group_size(&g, 0), 5);
	n = (uint16_t)gather(&g, 0, out, &h);
	CHECK_EQ_U64(n, 28 + 2200);
	CHECK_EQ_U64(uwg_get_be16(out + 24), 8 + 2200);
	CHECK_EQ_U64(h.gso_size, 500);

	/* Not IP / ICMP / IPv4 options: alone. */
	uwg_gro_init(&g, true);
	memset(pool[0], 0, 60);
	pool[0][0] = 0x45;
	uwg_put_be16(pool[0] + 2, 60);
	pool[0][9] = 1;
	memset(pool[1], 0, 60);
	pool[1][0] = 0x10;
	uwg_gro_add(&g, pool[0], 60);
	uwg_gro_add(&g, pool[1], 60);
	uwg_gro_finish(&g);
	CHECK_EQ_U64(g.ngroups, 2);
}

static void test_gro_limits(void)
{
	static struct uwg_gro g;
	struct flow a = { .proto = IPPROTO_TCP, .sport = 1000, .dport = 80, .ttl = 64, .df = true };
	unsigned k;

	/* At most UWG_GRO_MAX_SEGS packets per group. */
	uwg_gro_init(&g, false);
	for (k = 0; k < 70; k++)
		uwg_gro_add(&g, pool[k], (uint32_t)build(pool[k], &a, k * 100, 100, TCP_ACK, 0,
							 false));
	uwg_gro_finish(&g);
	CHECK_EQ_U64(g.ngroups, 2);
	CHECK_EQ_U64(group_size(&g, 0), UWG_GRO_MAX_SEGS);
	CHECK_EQ_U64(group_size(&g, 1), 70 - UWG_GRO_MAX_SEGS);

	/* And never past 64 KiB: 46 x 1400 + 40 fits, the 47th does not. */
	uwg_gro_init(&g, false);
	for (k = 0; k < 50; k++)
		uwg_gro_add(&g, pool[k], (uint32_t)build(pool[k], &a, k * 1400, 1400, TCP_ACK, 0,
							 false));
	uwg_gro_finish(&g);
	CHECK_EQ_U64(g.ngroups, 2);
	CHECK_EQ_U64(group_size(&g, 0), 46);
	CHECK_EQ_U64(uwg_get_be16(pool[0] + 2), 40 + 46 * 1400);

	/* A full batch. */
	uwg_gro_init(&g, false);
	for (k = 0; !uwg_gro_full(&g); k++)
		uwg_gro_add(&g, pool[k % 300], 0);
	CHECK_EQ_U64(k, UWG_GRO_MAX_PKTS);
}

int main(void)
{
	test_vnet_hdr();
	test_csum_finish();
	test_split();
	test_split_none();
	test_split_malformed();
	test_gro_roundtrip();
	test_gro_rules();
	test_gro_limits();
	return harness_report("test_offload");
}
