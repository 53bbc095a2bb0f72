/*
 * test/unit/core/ip/test_checksum.c - core/ip/checksum.c against the RFC 1071 and RFC
 * 1624 worked examples, a textbook IPv4 header, and a naive byte-by-byte
 * reference on random data (every incremental update must equal a full
 * recomputation).
 */
#include "core/ip/checksum.h"
#include "test/harness.h"

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint32_t rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return (uint32_t)(rng_state >> 16);
}

/* Reference: sum of big-endian words, odd byte padded, folded, complemented. */
static uint16_t naive_csum(const uint8_t *p, size_t n, uint32_t extra)
{
	uint32_t s = extra;

	for (size_t i = 0; i < n; i++) {
		s += (i % 2) ? p[i] : (uint32_t)p[i] << 8;
		s = (s & 0xffff) + (s >> 16);
	}
	s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

static void test_rfc1071_example(void)
{
	/* RFC 1071 section 3: the sum of these words is ddf2 (folded). */
	const uint8_t b[] = { 0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7 };

	CHECK_EQ_U64(uwg_csum_fold(uwg_csum_add(0, b, sizeof(b))), 0xddf2);
	CHECK_EQ_U64(uwg_csum_finish(uwg_csum_add(0, b, sizeof(b))), 0x220d);
	/* Chained in two even chunks: same result. */
	CHECK_EQ_U64(uwg_csum_fold(uwg_csum_add(uwg_csum_add(0, b, 4), b + 4, 4)), 0xddf2);
	/* Odd tail byte is the high half of a word. */
	const uint8_t c[] = { 0x01, 0x02, 0x03 };
	CHECK_EQ_U64(uwg_csum_fold(uwg_csum_add(0, c, 3)), 0x0402);
	CHECK_EQ_U64(uwg_csum_fold(0), 0);
	CHECK_EQ_U64(uwg_csum_fold(0x1ffffull), 0x0001);
}

static void test_ipv4_header(void)
{
	/* A widely reproduced example header whose checksum is b861. */
	uint8_t h[20];

	harness_unhex(h, sizeof(h), "450000730000400040110000c0a80001c0a800c7");
	CHECK_EQ_U64(uwg_csum_ipv4_header(h, 20), 0xb861);
	CHECK(!uwg_csum_ipv4_header_ok(h, 20));
	uwg_put_be16(h + 10, 0xb861);
	CHECK(uwg_csum_ipv4_header_ok(h, 20));
	CHECK_EQ_U64(uwg_csum_ipv4_header(h, 20), 0xb861); /* stored field ignored */
	h[8] = 0x3f;                                         /* TTL change breaks it */
	CHECK(!uwg_csum_ipv4_header_ok(h, 20));
	/* Incremental fix of the TTL/proto word. */
	uwg_csum_field_update16(h + 10, 0x4011, 0x3f11);
	CHECK(uwg_csum_ipv4_header_ok(h, 20));
	CHECK_EQ_U64(uwg_get_be16(h + 10), uwg_csum_ipv4_header(h, 20));
}

static void test_rfc1624_example(void)
{
	/* RFC 1624 section 4: HC = dd2f, m 5555 -> 3285; eqn. 3 gives 0000. */
	CHECK_EQ_U64(uwg_csum_update16(0xdd2f, 0x5555, 0x3285), 0x0000);
	/* And back again. */
	CHECK_EQ_U64(uwg_csum_update16(0x0000, 0x3285, 0x5555), 0xdd2f);
	/* No change: no change. */
	CHECK_EQ_U64(uwg_csum_update16(0x1234, 0xabcd, 0xabcd), 0x1234);
	CHECK_EQ_U64(uwg_csum_update32(0x1234, 0xc0a80001, 0xc0a80001), 0x1234);
}

static void test_pseudo(void)
{
	uint8_t ph[12];

	/* The pseudo header as bytes, summed by the reference. */
	harness_unhex(ph, sizeof(ph), "cb007201cb00720200060028");
	CHECK_EQ_U64(uwg_csum_fold(uwg_csum_pseudo4(0xcb007201, 0xcb007202, 6, 40)),
		     (uint16_t)~naive_csum(ph, sizeof(ph), 0));
}

/*
 * An all-zero region has two valid checksums (0 and ffff); real headers
 * always carry a nonzero word (version, protocol), so such cases are skipped.
 */
static bool allzero(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i])
			return false;
	return true;
}

/* Random buffers, random field changes: incremental == full recomputation. */
static void test_random_updates(void)
{
	uint8_t buf[256];
	unsigned bad16 = 0, bad32 = 0, badsum = 0, badfull = 0;

	for (int iter = 0; iter < 20000; iter++) {
		size_t n = 12 + rnd() % 200;
		size_t cs = 2 * (rnd() % (n / 2)); /* checksum field, even offset */
		size_t w;
		uint16_t full, inc;

		for (size_t i = 0; i < n; i++)
			buf[i] = (uint8_t)rnd();
		if (iter % 7 == 0) /* sparse data makes folds and zero sums likely */
			for (size_t i = 0; i < n; i++)
				buf[i] = (rnd() % 4) ? 0 : buf[i];
		buf[cs] = buf[cs + 1] = 0;
		uwg_put_be16(buf + cs, naive_csum(buf, n, 0));
		if (uwg_csum_fold(uwg_csum_add(0, buf, n)) != 0xffff &&
		    uwg_csum_add(0, buf, n) != 0)
			badfull++;

		/* 16-bit change at an even offset other than the field. */
		do
			w = 2 * (rnd() % (n / 2));
		while (w == cs);
		if (w + 2 <= n) {
			uint16_t old = uwg_get_be16(buf + w), nw = (uint16_t)rnd();

			if (iter % 5 == 0)
				nw = (uint16_t)(rnd() % 2 ? 0 : 0xffff);
			uwg_put_be16(buf + w, nw);
			inc = uwg_csum_update16(uwg_get_be16(buf + cs), old, nw);
			buf[cs] = buf[cs + 1] = 0;
			full = naive_csum(buf, n, 0);
			if (inc != full && !allzero(buf, n))
				bad16++;
			uwg_put_be16(buf + cs, full);
		}

		/* 32-bit change (an address) at an even offset clear of the field. */
		w = 2 * (rnd() % (n / 2));
		if (w + 4 <= n && (w + 4 <= cs || w >= cs + 2)) {
			uint32_t old = uwg_get_be32(buf + w), nv = rnd() ^ (rnd() << 16);

			uwg_put_be32(buf + w, nv);
			inc = uwg_csum_update32(uwg_get_be16(buf + cs), old, nv);
			buf[cs] = buf[cs + 1] = 0;
			full = naive_csum(buf, n, 0);
			if (inc != full && !allzero(buf, n))
				bad32++;
			uwg_put_be16(buf + cs, full);
		}

		/* A whole region rewritten at once, folded in through its sums. */
		w = 2 * (rnd() % (n / 2));
		if (w + 8 <= n && (w + 8 <= cs || w >= cs + 2)) {
			size_t rl = 2 + rnd() % 6;
			uint64_t before = uwg_csum_add(0, buf + w, rl);

			for (size_t i = 0; i < rl; i++)
				buf[w + i] = (uint8_t)rnd();
			inc = uwg_csum_update_sum(uwg_get_be16(buf + cs), before,
						  uwg_csum_add(0, buf + w, rl));
			buf[cs] = buf[cs + 1] = 0;
			full = naive_csum(buf, n, 0);
			if (inc != full && !allzero(buf, n))
				badsum++;
		}
	}
	CHECK_EQ_U64(badfull, 0);
	CHECK_EQ_U64(bad16, 0);
	CHECK_EQ_U64(bad32, 0);
	CHECK_EQ_U64(badsum, 0);
}

/* The library's full sum against the reference over random lengths, both parities. */
static void test_random_full(void)
{
	uint8_t buf[1500];
	unsigned bad = 0;

	for (int iter = 0; iter < 3000; iter++) {
		size_t n = rnd() % sizeof(buf);

		for (size_t i = 0; i < n; i++)
			buf[i] = (uint8_t)rnd();
		if (uwg_csum_finish(uwg_csum_add(0, buf, n)) != naive_csum(buf, n, 0))
			bad++;
	}
	CHECK_EQ_U64(bad, 0);
}

int main(void)
{
	test_rfc1071_example();
	test_ipv4_header();
	test_rfc1624_example();
	test_pseudo();
	test_random_updates();
	test_random_full();
	return harness_report("test_checksum");
}
