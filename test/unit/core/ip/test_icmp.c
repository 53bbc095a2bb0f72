/*
 * test/unit/core/ip/test_icmp.c - core/ip/icmp.c: fragmentation-needed errors (layout
 * per RFC 792/1191, size limit per RFC 1812, checksums recomputed from
 * scratch with a byte-by-byte RFC 1071 sum, the cases that must not be
 * answered) and IPv4 fragmentation (offsets, MF, sizes, header checksums,
 * reassembly gives back the original payload).
 */
#include "core/ip/icmp.h"
#include "test/harness.h"

static uint64_t rng_state = 0x2545f4914f6cdd1dull;

static uint8_t rnd8(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return (uint8_t)(rng_state >> 24);
}

/* Independent RFC 1071 reference: 0 when the region (checksum included) is correct. */
static uint16_t naive_verify(const uint8_t *p, size_t n)
{
	uint32_t s = 0;

	for (size_t i = 0; i < n; i++) {
		s += (i % 2) ? p[i] : (uint32_t)p[i] << 8;
		s = (s & 0xffff) + (s >> 16);
	}
	return (uint16_t)~s;
}

static uint16_t be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void put16(uint8_t *p, unsigned v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, v >> 16);
	put16(p + 2, v & 0xffff);
}

/* A UDP packet of total bytes with a valid header checksum and random payload. */
static void make_udp(uint8_t *p, size_t total, uint32_t src, uint32_t dst, unsigned frag)
{
	uint32_t s = 0;

	for (size_t i = 0; i < total; i++)
		p[i] = rnd8();
	p[0] = 0x45;
	p[1] = 0;
	put16(p + 2, (unsigned)total);
	put16(p + 4, 0x1234);
	put16(p + 6, frag);
	p[8] = 63;
	p[9] = 17;
	put16(p + 10, 0);
	put32(p + 12, src);
	put32(p + 16, dst);
	for (size_t i = 0; i < 20; i += 2)
		s += (uint32_t)be16(p + i);
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	put16(p + 10, (~s) & 0xffff);
	put16(p + 20, 40000);
	put16(p + 22, 5000);
	put16(p + 24, (unsigned)(total - 20));
}

static void test_frag_needed_layout(void)
{
	static uint8_t orig[1500], out[1024];
	size_t n;

	make_udp(orig, sizeof(orig), 0xcb007202u, 0xcb007201u, 0x4000);
	CHECK(naive_verify(orig, 20) == 0);
	n = uwg_icmp4_frag_needed(out, sizeof(out), 0xcb007201u, 0xcb007202u, 1420, 0xbeef, orig,
				  sizeof(orig));
	CHECK_EQ_U64(n, 576);
	CHECK_EQ_U64(out[0], 0x45);
	CHECK_EQ_U64(be16(out + 2), 576);
	CHECK_EQ_U64(be16(out + 4), 0xbeef);
	CHECK_EQ_U64(be16(out + 6), 0); /* DF clear, not a fragment */
	CHECK_EQ_U64(out[8], 64);
	CHECK_EQ_U64(out[9], 1);
	CHECK_EQ_U64(be32(out + 12), 0xcb007201u);
	CHECK_EQ_U64(be32(out + 16), 0xcb007202u);
	CHECK_EQ_U64(naive_verify(out, 20), 0);
	CHECK_EQ_U64(out[20], 3);
	CHECK_EQ_U64(out[21], 4);
	CHECK_EQ_U64(be16(out + 24), 0); /* unused */
	CHECK_EQ_U64(be16(out + 26), 1420);
	CHECK_EQ_U64(naive_verify(out + 20, n - 20), 0);
	CHECK_MEM_EQ(out + 28, orig, 548);

	/* The quote never runs past the original's total length (nor orig_len). */
	memset(out, 0xaa, sizeof(out));
	put16(orig + 2, 60);
	put16(orig + 10, 0);
	{
		uint32_t s = 0;

		for (size_t i = 0; i < 20; i += 2)
			s += be16(orig + i);
		while (s >> 16)
			s = (s & 0xffff) + (s >> 16);
		put16(orig + 10, (~s) & 0xffff);
	}
	n = uwg_icmp4_frag_needed(out, sizeof(out), 1, 0x0a000002u, 1280, 1, orig, sizeof(orig));
	CHECK_EQ_U64(n, 28 + 60);
	CHECK_EQ_U64(be16(out + 2), 88);
	CHECK_EQ_U64(naive_verify(out + 20, n - 20), 0);
	CHECK_MEM_EQ(out + 28, orig, 60);
	CHECK_EQ_U64(out[88], 0xaa);
	n = uwg_icmp4_frag_needed(out, sizeof(out), 1, 0x0a000002u, 1280, 1, orig, 40);
	CHECK_EQ_U64(n, 28 + 40);
	CHECK_EQ_U64(naive_verify(out + 20, n - 20), 0);

	/* Too little room, or too little of the original, gives nothing. */
	CHECK_EQ_U64(uwg_icmp4_frag_needed(out, 87, 1, 2, 1280, 1, orig, sizeof(orig)), 0);
	CHECK_EQ_U64(uwg_icmp4_frag_needed(out, sizeof(out), 1, 2, 1280, 1, orig, 27), 0);
}

static void test_frag_needed_refusals(void)
{
	static uint8_t orig[200], out[600];

	make_udp(orig, sizeof(orig), 0x0a000002u, 0xcb007202u, 0x4000);
	CHECK(uwg_icmp4_may_answer(orig, sizeof(orig)));
	/* A later fragment. */
	orig[7] = 0x10;
	CHECK(!uwg_icmp4_may_answer(orig, sizeof(orig)));
	orig[7] = 0;
	/* First fragment (MF only) is fine. */
	orig[6] = 0x20;
	CHECK(uwg_icmp4_may_answer(orig, sizeof(orig)));
	orig[6] = 0x40;
	/* Multicast or broadcast destination, bad sources. */
	put32(orig + 16, 0xe0000001u);
	CHECK(!uwg_icmp4_may_answer(orig, sizeof(orig)));
	put32(orig + 16, 0xffffffffu);
	CHECK(!uwg_icmp4_may_answer(orig, sizeof(orig)));
	put32(orig + 16, 0xcb007202u);
	put32(orig + 12, 0);
	CHECK(!uwg_icmp4_may_answer(orig, sizeof(orig)));
	put32(orig + 12, 0x7f000001u);
	CHECK(!uwg_icmp4_may_answer(orig, sizeof(orig)));
	put32(orig + 12, 0x0a000002u);
	/* ICMP errors are never answered; an echo request is. */
	orig[9] = 1;
	orig[20] = 3;
	CHECK(!uwg_icmp4_may_answer(orig, sizeof(orig)));
	CHECK_EQ_U64(uwg_icmp4_frag_needed(out, sizeof(out), 1, 2, 1280, 1, orig, sizeof(orig)), 0);
	orig[20] = 11;
	CHECK(!uwg_icmp4_may_answer(orig, sizeof(orig)));
	orig[20] = 8;
	CHECK(uwg_icmp4_may_answer(orig, sizeof(orig)));
	/* Not IPv4, bad IHL. */
	orig[0] = 0x65;
	CHECK(!uwg_icmp4_may_answer(orig, sizeof(orig)));
	orig[0] = 0x44;
	CHECK(!uwg_icmp4_may_answer(orig, sizeof(orig)));
	orig[0] = 0x45;
	CHECK(!uwg_icmp4_may_answer(orig, 19));
}

static void test_fragment(void)
{
	static uint8_t pkt[3000], frag[2048], joined[3000];
	size_t off = 0, n, count = 0, at = 0;
	unsigned sizes[8], offs[8], mf[8];

	make_udp(pkt, sizeof(pkt), 0xcb007201u, 0xcb007202u, 0);
	while ((n = uwg_ip4_fragment(pkt, sizeof(pkt), 1280, &off, frag, sizeof(frag))) > 0 &&
	       count < 8) {
		CHECK(n <= 1280);
		CHECK_EQ_U64(naive_verify(frag, 20), 0);
		CHECK_EQ_U64(be16(frag + 2), n);
		CHECK_MEM_EQ(frag + 12, pkt + 12, 8);
		CHECK_EQ_U64(frag[9], 17);
		CHECK_EQ_U64(be16(frag + 4), 0x1234);
		sizes[count] = (unsigned)n;
		offs[count] = (be16(frag + 6) & 0x1fff) * 8u;
		mf[count] = (be16(frag + 6) & 0x2000) != 0;
		CHECK_EQ_U64(offs[count], at);
		memcpy(joined + at, frag + 20, n - 20);
		at += n - 20;
		count++;
	}
	CHECK_EQ_U64(count, 3);
	CHECK_EQ_U64(sizes[0], 1276); /* 1260 rounded down to a multiple of 8, plus 20 */
	CHECK_EQ_U64(sizes[1], 1276);
	CHECK_EQ_U64(sizes[2], 20 + 2980 - 2 * 1256);
	CHECK(mf[0] && mf[1] && !mf[2]);
	CHECK_EQ_U64(at, 2980);
	CHECK_MEM_EQ(joined, pkt + 20, 2980);
	CHECK_EQ_U64(uwg_ip4_fragment(pkt, sizeof(pkt), 1280, &off, frag, sizeof(frag)), 0);

	/* A packet that fits comes out as one piece, unchanged but for the checksum recompute. */
	off = 0;
	n = uwg_ip4_fragment(pkt, sizeof(pkt), 3000, &off, joined, sizeof(joined));
	CHECK_EQ_U64(n, 3000);
	CHECK_MEM_EQ(joined, pkt, 3000);

	/* The original's own offset and MF carry over (re-fragmenting a first fragment). */
	make_udp(pkt, 1000, 1, 2, 0x2000 | 100);
	off = 0;
	n = uwg_ip4_fragment(pkt, 1000, 600, &off, frag, sizeof(frag));
	CHECK_EQ_U64(n, 20 + 576);
	CHECK_EQ_U64(be16(frag + 6), 0x2000 | 100);
	n = uwg_ip4_fragment(pkt, 1000, 600, &off, frag, sizeof(frag));
	CHECK_EQ_U64(n, 20 + 980 - 576);
	CHECK_EQ_U64(be16(frag + 6), 0x2000 | (100 + 576 / 8));
	CHECK_EQ_U64(naive_verify(frag, 20), 0);

	/* Refused: DF, options, a too small MTU, a too small output buffer. */
	make_udp(pkt, 1000, 1, 2, 0x4000);
	off = 0;
	CHECK_EQ_U64(uwg_ip4_fragment(pkt, 1000, 600, &off, frag, sizeof(frag)), 0);
	make_udp(pkt, 1000, 1, 2, 0);
	pkt[0] = 0x46;
	CHECK_EQ_U64(uwg_ip4_fragment(pkt, 1000, 600, &off, frag, sizeof(frag)), 0);
	pkt[0] = 0x45;
	CHECK_EQ_U64(uwg_ip4_fragment(pkt, 1000, 27, &off, frag, sizeof(frag)), 0);
	CHECK_EQ_U64(uwg_ip4_fragment(pkt, 1000, 600, &off, frag, 100), 0);
	CHECK_EQ_U64(off, 0);
	/* Total length beyond the buffer. */
	CHECK_EQ_U64(uwg_ip4_fragment(pkt, 999, 600, &off, frag, sizeof(frag)), 0);
	/* The smallest legal MTU still makes progress, 8 bytes at a time. */
	n = uwg_ip4_fragment(pkt, 1000, 28, &off, frag, sizeof(frag));
	CHECK_EQ_U64(n, 28);
	CHECK_EQ_U64(off, 8);
}

int main(void)
{
	test_frag_needed_layout();
	test_frag_needed_refusals();
	test_fragment();
	return harness_report("test_icmp");
}
