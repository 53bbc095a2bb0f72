/*
 * test/unit/core/test_ratelimit.c - core/ratelimit.c with a fake clock: burst of
 * 5, refill at 20 per second, per-IPv4 and per-IPv6-/64 buckets, and bounded
 * work and memory under a flood of distinct sources; the inspection and
 * cookie classes (their own rates, independent buckets, -ENOSPC rather than
 * a refusal for a source with no room) and the plain device bucket.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

#include "core/messages.h"
#include "core/ratelimit.h"
#include "crypto/crypto.h"
#include "crypto/ct.h"
#include "test/harness.h"

#define SEC UWG_NS_PER_SEC
#define MS UWG_NS_PER_MS

static struct uwg_endpoint ep4(const char *addr, uint16_t port)
{
	struct uwg_endpoint ep;

	memset(&ep, 0, sizeof(ep));
	ep.addr.in4.sin_family = AF_INET;
	ep.addr.in4.sin_port = htons(port);
	inet_pton(AF_INET, addr, &ep.addr.in4.sin_addr);
	return ep;
}

static struct uwg_endpoint ep4_raw(uint32_t host_order_addr)
{
	struct uwg_endpoint ep;

	memset(&ep, 0, sizeof(ep));
	ep.addr.in4.sin_family = AF_INET;
	ep.addr.in4.sin_port = htons(51820);
	ep.addr.in4.sin_addr.s_addr = htonl(host_order_addr);
	return ep;
}

static struct uwg_endpoint ep6(const char *addr, uint16_t port)
{
	struct uwg_endpoint ep;

	memset(&ep, 0, sizeof(ep));
	ep.addr.in6.sin6_family = AF_INET6;
	ep.addr.in6.sin6_port = htons(port);
	inet_pton(AF_INET6, addr, &ep.addr.in6.sin6_addr);
	return ep;
}

/* How many of n back-to-back packets at `now` pass. */
static unsigned burst(struct uwg_ratelimiter *rl, const struct uwg_endpoint *src, unsigned n,
		      uint64_t now)
{
	unsigned ok = 0;

	for (unsigned i = 0; i < n; i++)
		ok += uwg_ratelimiter_allow(rl, src, now);
	return ok;
}

static void test_bucket(void)
{
	struct uwg_ratelimiter rl;
	struct uwg_endpoint a = ep4("192.0.2.1", 1000), a2 = ep4("192.0.2.1", 2000),
			    b = ep4("192.0.2.2", 1000);
	uint64_t t = 5000 * SEC;

	CHECK_EQ_INT(uwg_ratelimiter_init(&rl), 0);
	/* Burst of 5, then nothing until time passes; the port does not matter. */
	CHECK_EQ_U64(burst(&rl, &a, 4, t), 4);
	CHECK_EQ_U64(burst(&rl, &a2, 5, t), 1);
	/* Other addresses are independent. */
	CHECK_EQ_U64(burst(&rl, &b, 10, t), 5);

	/* One token every 50 ms; partial credit is kept across refusals. */
	CHECK(!uwg_ratelimiter_allow(&rl, &a, t + 49 * MS));
	CHECK(uwg_ratelimiter_allow(&rl, &a, t + 50 * MS));
	CHECK(!uwg_ratelimiter_allow(&rl, &a, t + 50 * MS));
	CHECK(!uwg_ratelimiter_allow(&rl, &a, t + 80 * MS));
	CHECK(uwg_ratelimiter_allow(&rl, &a, t + 100 * MS));

	/* Sustained exactly 20/s: every packet passes for 10 seconds. */
	t += 100 * MS;
	unsigned ok = 0;
	for (unsigned i = 1; i <= 200; i++)
		ok += uwg_ratelimiter_allow(&rl, &a, t + i * 50 * MS);
	CHECK_EQ_U64(ok, 200);
	t += 200 * 50 * MS;

	/* 40/s for 2 seconds from an empty bucket: half pass. */
	CHECK_EQ_U64(burst(&rl, &a, 10, t), 0);
	ok = 0;
	for (unsigned i = 1; i <= 80; i++)
		ok += uwg_ratelimiter_allow(&rl, &a, t + i * 25 * MS);
	CHECK_EQ_U64(ok, 40);
	t += 80 * 25 * MS;

	/* Idle for a long time: the bucket holds at most 5. */
	CHECK_EQ_U64(burst(&rl, &a, 20, t + 60 * SEC), 5);
	CHECK_EQ_U64(burst(&rl, &b, 20, t + 60 * SEC), 5);

	/* A clock that steps back refills nothing and breaks nothing. */
	CHECK_EQ_U64(burst(&rl, &a, 5, t + 30 * SEC), 0);
	CHECK_EQ_U64(burst(&rl, &a, 5, t + 60 * SEC + 49 * MS), 0);
	CHECK_EQ_U64(burst(&rl, &a, 5, t + 60 * SEC + 50 * MS), 1);

	/* Not an IP source: refused. */
	struct uwg_endpoint none;
	memset(&none, 0, sizeof(none));
	CHECK(!uwg_ratelimiter_allow(&rl, &none, t));
	CHECK(!uwg_ratelimiter_allow(&rl, NULL, t));
	uwg_ratelimiter_free(&rl);
	CHECK(rl.entries == NULL);
	CHECK(!uwg_ratelimiter_allow(&rl, &a, t)); /* freed: refuses, does not crash */
}

static void test_ipv6_prefix(void)
{
	struct uwg_ratelimiter rl;
	struct uwg_endpoint x1 = ep6("2001:db8:1:2::1", 1), x2 = ep6("2001:db8:1:2:ffff:ee:dd:9", 2),
			    y = ep6("2001:db8:1:3::1", 1), z = ep6("2001:db8:1:2::1", 1),
			    m1 = ep6("::ffff:192.0.2.1", 1), m2 = ep6("::ffff:192.0.2.2", 1),
			    v4 = ep4("192.0.2.1", 7);
	uint64_t t = 100 * SEC;

	CHECK_EQ_INT(uwg_ratelimiter_init(&rl), 0);
	/* Same /64: one bucket. */
	CHECK_EQ_U64(burst(&rl, &x1, 3, t), 3);
	CHECK_EQ_U64(burst(&rl, &x2, 5, t), 2);
	CHECK_EQ_U64(burst(&rl, &z, 5, t), 0);
	/* The neighbouring /64 has its own. */
	CHECK_EQ_U64(burst(&rl, &y, 10, t), 5);

	/* A v4-mapped address is its IPv4 address, not the ::ffff:0:0/64 prefix. */
	CHECK_EQ_U64(burst(&rl, &m1, 2, t), 2);
	CHECK_EQ_U64(burst(&rl, &v4, 5, t), 3);
	CHECK_EQ_U64(burst(&rl, &m2, 10, t), 5);
	uwg_ratelimiter_free(&rl);
}

static void test_flood(void)
{
	struct uwg_ratelimiter rl;
	struct uwg_ratelimit_entry *entries;
	struct uwg_endpoint legit = ep4("203.0.114.1", 1);
	uint64_t t = 42 * SEC;
	unsigned ok = 0;

	CHECK_EQ_INT(uwg_ratelimiter_init(&rl), 0);
	entries = rl.entries;
	CHECK_EQ_U64(rl.size, 8192);
	CHECK(uwg_ratelimiter_allow(&rl, &legit, t));

	/* 100k distinct IPv4 sources in the same instant. */
	for (uint32_t i = 0; i < 100000; i++) {
		struct uwg_endpoint e = ep4_raw(0x0a000000u + i);

		ok += uwg_ratelimiter_allow(&rl, &e, t);
	}
	CHECK(ok <= 8192);
	CHECK(ok >= 4096); /* the table does get used */
	/* Fixed storage: nothing grew or moved. */
	CHECK(rl.entries == entries);
	CHECK_EQ_U64(rl.size, 8192);
	/* The source already known keeps its own bucket through the flood. */
	CHECK_EQ_U64(burst(&rl, &legit, 10, t + 10 * MS), 4);
	CHECK_EQ_U64(burst(&rl, &legit, 10, t + 60 * MS), 1);

	/* 100k distinct IPv6 /64s half a second later: still bounded. */
	ok = 0;
	for (uint32_t i = 0; i < 100000; i++) {
		struct uwg_endpoint e = ep6("2001:db8::1", 1);

		e.addr.in6.sin6_addr.s6_addr[4] = (uint8_t)(i >> 16);
		e.addr.in6.sin6_addr.s6_addr[5] = (uint8_t)(i >> 8);
		e.addr.in6.sin6_addr.s6_addr[6] = (uint8_t)i;
		ok += uwg_ratelimiter_allow(&rl, &e, t + 500 * MS);
	}
	CHECK(ok < 8192);

	/* Idle entries are collected after a second: new sources fit again. */
	ok = 0;
	for (uint32_t i = 0; i < 2000; i++) {
		struct uwg_endpoint e = ep4_raw(0xc6120000u + i);

		ok += uwg_ratelimiter_allow(&rl, &e, t + 1600 * MS);
	}
	CHECK_EQ_U64(ok, 2000);
	/* And a second flood is as bounded as the first. */
	ok = 0;
	for (uint32_t i = 0; i < 100000; i++) {
		struct uwg_endpoint e = ep4_raw(0x0b000000u + i);

		ok += uwg_ratelimiter_allow(&rl, &e, t + 5 * SEC);
	}
	CHECK(ok <= 8192 && ok >= 4096);
	/* The first flooder got in (the table was empty) and is held to its burst. */
	legit = ep4_raw(0x0b000000u);
	CHECK_EQ_U64(burst(&rl, &legit, 10, t + 5 * SEC), 4);
	CHECK_EQ_U64(burst(&rl, &legit, 10, t + 5 * SEC + 50 * MS), 1);
	uwg_ratelimiter_free(&rl);
}

/* How many of n back-to-back messages of class cls at `now` are charged. */
static unsigned burst_class(struct uwg_ratelimiter *rl, const struct uwg_endpoint *src,
			    enum uwg_ratelimit_class cls, unsigned n, uint64_t now)
{
	unsigned ok = 0;

	for (unsigned i = 0; i < n; i++)
		ok += uwg_ratelimiter_charge(rl, src, cls, now) == 1;
	return ok;
}

static void test_classes(void)
{
	struct uwg_ratelimiter rl;
	struct uwg_endpoint a = ep4("192.0.2.1", 1000), b = ep4("192.0.2.2", 1000);
	uint64_t t = 77 * SEC;

	CHECK_EQ_INT(uwg_ratelimiter_init(&rl), 0);
	/* Inspection: burst 32, then 64 a second (one per 15.625 ms). */
	CHECK_EQ_U64(burst_class(&rl, &a, UWG_RL_INSPECT, 100, t), 32);
	CHECK_EQ_U64(burst_class(&rl, &a, UWG_RL_INSPECT, 100, t + 15 * MS), 0);
	CHECK_EQ_U64(burst_class(&rl, &a, UWG_RL_INSPECT, 100, t + 16 * MS), 1);
	CHECK_EQ_U64(burst_class(&rl, &a, UWG_RL_INSPECT, 1000, t + 1016 * MS), 32);
	/* Cookie replies: burst 8, 16 a second; a bucket of its own. */
	t += 1016 * MS;
	CHECK_EQ_U64(burst_class(&rl, &a, UWG_RL_COOKIE, 100, t), 8);
	CHECK_EQ_U64(burst_class(&rl, &a, UWG_RL_COOKIE, 100, t + 62 * MS), 0);
	CHECK_EQ_U64(burst_class(&rl, &a, UWG_RL_COOKIE, 100, t + 63 * MS), 1);
	CHECK_EQ_U64(burst_class(&rl, &a, UWG_RL_COOKIE, 100, t + 600 * MS), 8);
	/* The handshake class of the same source is untouched, and so is another source. */
	CHECK_EQ_U64(burst_class(&rl, &a, UWG_RL_HANDSHAKE, 10, t + 600 * MS), 5);
	CHECK_EQ_U64(burst_class(&rl, &b, UWG_RL_INSPECT, 100, t + 600 * MS), 32);
	t += 600 * MS;
	/* Alternating sources (the memoised slot changes every time) keep separate buckets. */
	for (int i = 0; i < 4; i++) {
		uint64_t at = t + 5 * SEC;

		CHECK_EQ_INT(uwg_ratelimiter_charge(&rl, &a, UWG_RL_COOKIE, at), i < 8);
		CHECK_EQ_INT(uwg_ratelimiter_charge(&rl, &b, UWG_RL_COOKIE, at), i < 8);
	}
	CHECK_EQ_U64(burst_class(&rl, &a, UWG_RL_COOKIE, 10, t + 5 * SEC), 4);
	CHECK_EQ_U64(burst_class(&rl, &b, UWG_RL_COOKIE, 10, t + 5 * SEC), 4);
	CHECK_EQ_INT(uwg_ratelimiter_charge(&rl, &a, UWG_RL_CLASSES, t), -EINVAL);
	CHECK_EQ_INT(uwg_ratelimiter_charge(&rl, NULL, UWG_RL_INSPECT, t), -EINVAL);
	uwg_ratelimiter_free(&rl);
}

/* A full chain: the allow wrapper refuses, charge says -ENOSPC so the caller can choose. */
static void test_no_room(void)
{
	struct uwg_ratelimiter rl;
	struct uwg_endpoint late = ep4("198.51.100.9", 1);
	uint64_t t = 9 * SEC;
	int last = 1;

	CHECK_EQ_INT(uwg_ratelimiter_init(&rl), 0);
	for (uint32_t i = 0; i < 100000; i++) {
		struct uwg_endpoint e = ep4_raw(0x0a000000u + i);

		(void)uwg_ratelimiter_charge(&rl, &e, UWG_RL_INSPECT, t);
	}
	/* Some source of a fresh range must now find its chain full. */
	for (uint32_t i = 0; i < 100000 && last != -ENOSPC; i++) {
		struct uwg_endpoint e = ep4_raw(0x0c000000u + i);

		last = uwg_ratelimiter_charge(&rl, &e, UWG_RL_INSPECT, t);
		if (last == -ENOSPC) {
			CHECK(!uwg_ratelimiter_allow(&rl, &e, t));
			CHECK_EQ_INT(uwg_ratelimiter_charge(&rl, &e, UWG_RL_COOKIE, t), -ENOSPC);
		}
	}
	CHECK_EQ_INT(last, -ENOSPC);
	/* A second later the idle flood is collected and new sources are tracked again. */
	CHECK_EQ_INT(uwg_ratelimiter_charge(&rl, &late, UWG_RL_INSPECT, t + 1 * SEC), 1);
	uwg_ratelimiter_free(&rl);
}

static void test_device_bucket(void)
{
	const uint64_t cost = SEC / 1000, max = 10 * cost; /* 1000/s, burst 10 */
	struct uwg_bucket b = { 0, 0 };
	uint64_t t = 3 * SEC;
	unsigned ok = 0;

	/* All zero is full. */
	for (int i = 0; i < 20; i++)
		ok += uwg_bucket_allow(&b, t, cost, max);
	CHECK_EQ_U64(ok, 10);
	/* Ready looks without taking; take takes. */
	CHECK(!uwg_bucket_ready(&b, t + cost - 1, cost, max));
	CHECK(uwg_bucket_ready(&b, t + cost, cost, max));
	CHECK(uwg_bucket_ready(&b, t + cost, cost, max));
	uwg_bucket_take(&b, cost);
	CHECK(!uwg_bucket_ready(&b, t + cost, cost, max));
	/* A clock that went back refills nothing. */
	CHECK(!uwg_bucket_ready(&b, t, cost, max));
	ok = 0;
	for (int i = 0; i < 20; i++)
		ok += uwg_bucket_allow(&b, t + SEC, cost, max);
	CHECK_EQ_U64(ok, 10);
}

int main(void)
{
	if (uwg_crypto_init() != 0) {
		fprintf(stderr, "crypto init failed\n");
		return 1;
	}
	test_bucket();
	test_ipv6_prefix();
	test_classes();
	test_no_room();
	test_device_bucket();
	test_flood();
	return harness_report("test_ratelimit");
}
