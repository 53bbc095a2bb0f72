/*
 * test/unit/core/test_allowedips.c - the allowed-IPs trie: hand-written cases
 * (overlaps, /0, host routes, reassignment, removal rules, masking, family
 * separation, deep tries, a 130k-prefix walk) and a seeded randomized
 * differential run against a flat list searched linearly.
 */
#include "core/allowedips.h"

#include <arpa/inet.h>
#include <errno.h>
#include <sys/socket.h>
#include <time.h>

#include "test/harness.h"

/* Test hook in core/allowedips.c: node count, or -1 if an invariant is broken. */
long uwg_allowedips_selfcheck(const struct uwg_allowedips *t);

static struct uwg_allowedips_owner peers[8];
#define A (&peers[0])
#define B (&peers[1])
#define C (&peers[2])
#define D (&peers[3])
#define E (&peers[4])
#define F (&peers[5])
#define G (&peers[6])
#define H (&peers[7])

/* Parses "addr" or "addr/cidr"; the family follows from the text. */
static int parse(const char *text, uint8_t addr[16], uint8_t *cidr)
{
	char buf[64];
	char *slash;
	int af;

	snprintf(buf, sizeof(buf), "%s", text);
	slash = strchr(buf, '/');
	if (slash)
		*slash = '\0';
	af = strchr(buf, ':') ? AF_INET6 : AF_INET;
	if (inet_pton(af, buf, addr) != 1) {
		fprintf(stderr, "bad test address %s\n", text);
		abort();
	}
	if (cidr)
		*cidr = slash ? (uint8_t)atoi(slash + 1) : (af == AF_INET ? 32 : 128);
	return af;
}

static int ins(struct uwg_allowedips *t, struct uwg_allowedips_owner *owner, const char *prefix)
{
	uint8_t addr[16], cidr;
	int af = parse(prefix, addr, &cidr);

	return uwg_allowedips_insert(t, af, addr, cidr, owner);
}

static int rem(struct uwg_allowedips *t, struct uwg_allowedips_owner *owner, const char *prefix)
{
	uint8_t addr[16], cidr;
	int af = parse(prefix, addr, &cidr);

	return uwg_allowedips_remove(t, af, addr, cidr, owner);
}

static struct uwg_allowedips_owner *look(const struct uwg_allowedips *t, const char *ip)
{
	uint8_t addr[16];
	int af = parse(ip, addr, NULL);

	return uwg_allowedips_lookup(t, af, addr);
}

static long peer_no(const struct uwg_allowedips_owner *p)
{
	return p ? (long)(p - peers) : -1;
}

#define LOOK(t, ip, want)                                                                    \
	do {                                                                                 \
		void *got_ = look(t, ip), *want_ = (want);                                   \
		if (got_ != want_)                                                           \
			fprintf(stderr, "  lookup %s: got peer %ld, want %ld\n", ip,        \
				peer_no(got_), peer_no(want_));                              \
		CHECK(got_ == want_);                                                        \
	} while (0)

/* Collects a walk as "addr/cidr" strings. */
struct walk_text {
	char items[16][64];
	unsigned n;
	int stop_after;
};

static int collect_text(void *ctx, int af, const uint8_t *addr, uint8_t cidr)
{
	struct walk_text *w = ctx;
	char ip[INET6_ADDRSTRLEN];

	if (w->n < ARRAY_SIZE(w->items)) {
		inet_ntop(af, addr, ip, sizeof(ip));
		snprintf(w->items[w->n], sizeof(w->items[0]), "%s/%u", ip, cidr);
	}
	w->n++;
	if (w->stop_after && (int)w->n == w->stop_after)
		return 7;
	return 0;
}

/* Lookups from the Linux kernel allowedips selftest table. */
static void test_kernel_table(void)
{
	struct uwg_allowedips t;

	uwg_allowedips_init(&t);
	CHECK_EQ_INT(ins(&t, A, "192.168.4.0/24"), 0);
	CHECK_EQ_INT(ins(&t, B, "192.168.4.4/32"), 0);
	CHECK_EQ_INT(ins(&t, C, "192.168.0.0/16"), 0);
	CHECK_EQ_INT(ins(&t, D, "192.95.5.64/27"), 0);
	CHECK_EQ_INT(ins(&t, C, "192.95.5.65/27"), 0); /* same prefix after masking: reassigned */
	CHECK_EQ_INT(ins(&t, D, "2607:5300:6000:6b00:0:0:c05f:543/128"), 0);
	CHECK_EQ_INT(ins(&t, C, "2607:5300:6000:6b00::/64"), 0);
	CHECK_EQ_INT(ins(&t, E, "0.0.0.0/0"), 0);
	CHECK_EQ_INT(ins(&t, E, "::/0"), 0);
	CHECK_EQ_INT(ins(&t, F, "::/0"), 0); /* reassigned */
	CHECK_EQ_INT(ins(&t, G, "2404:6800::/32"), 0);
	CHECK_EQ_INT(ins(&t, H, "2404:6800:4004:800:dead:beef:dead:beef/64"), 0);
	CHECK_EQ_INT(ins(&t, A, "2404:6800:4004:800:dead:beef:dead:beef/128"), 0);
	CHECK_EQ_INT(ins(&t, C, "2444:6800:40e4:800:deae:beef:def:beef/128"), 0);
	CHECK_EQ_INT(ins(&t, B, "2444:6800:f0e4:800:eeae:beef::/98"), 0);
	CHECK_EQ_INT(ins(&t, G, "64.15.112.0/20"), 0);
	CHECK_EQ_INT(ins(&t, H, "64.15.123.211/25"), 0);
	CHECK_EQ_INT(ins(&t, A, "10.0.0.0/25"), 0);
	CHECK_EQ_INT(ins(&t, B, "10.0.0.128/25"), 0);
	CHECK_EQ_INT(ins(&t, A, "10.1.0.0/30"), 0);
	CHECK_EQ_INT(ins(&t, B, "10.1.0.4/30"), 0);
	CHECK_EQ_INT(ins(&t, C, "10.1.0.8/29"), 0);
	CHECK_EQ_INT(ins(&t, D, "10.1.0.16/29"), 0);

	CHECK(uwg_allowedips_selfcheck(&t) >= 23);
	LOOK(&t, "192.168.4.20", A);
	LOOK(&t, "192.168.4.0", A);
	LOOK(&t, "192.168.4.4", B);
	LOOK(&t, "192.168.200.182", C);
	LOOK(&t, "192.95.5.68", C);
	LOOK(&t, "192.95.5.96", E);
	LOOK(&t, "2607:5300:6000:6b00::c05f:543", D);
	LOOK(&t, "2607:5300:6000:6b00::c02e:1ee", C);
	LOOK(&t, "2607:5300:6000:6b01::", F);
	LOOK(&t, "2404:6800:4004:806::1006", G);
	LOOK(&t, "2404:6800:4004:806:0:1234:0:5678", G);
	LOOK(&t, "2404:67ff:4004:806:0:1234:0:5678", F);
	LOOK(&t, "2404:6801:4004:806:0:1234:0:5678", F);
	LOOK(&t, "2404:6800:4004:800:0:1234:0:5678", H);
	LOOK(&t, "2404:6800:4004:800::", H);
	LOOK(&t, "2404:6800:4004:800:1010:1010:1010:1010", H);
	LOOK(&t, "2404:6800:4004:800:dead:beef:dead:beef", A);
	LOOK(&t, "64.15.116.26", G);
	LOOK(&t, "64.15.127.3", G);
	LOOK(&t, "64.15.123.1", G);
	LOOK(&t, "64.15.123.128", H);
	LOOK(&t, "64.15.123.129", H);
	LOOK(&t, "10.0.0.52", A);
	LOOK(&t, "10.0.0.220", B);
	LOOK(&t, "10.1.0.2", A);
	LOOK(&t, "10.1.0.6", B);
	LOOK(&t, "10.1.0.10", C);
	LOOK(&t, "10.1.0.20", D);

	/* Host routes spread over the space, then all removed by owner. */
	CHECK_EQ_INT(ins(&t, A, "1.0.0.0/32"), 0);
	CHECK_EQ_INT(ins(&t, A, "64.0.0.0/32"), 0);
	CHECK_EQ_INT(ins(&t, A, "128.0.0.0/32"), 0);
	CHECK_EQ_INT(ins(&t, A, "192.0.0.0/32"), 0);
	CHECK_EQ_INT(ins(&t, A, "255.0.0.0/32"), 0);
	LOOK(&t, "255.0.0.0", A);
	uwg_allowedips_remove_by_owner(&t, A);
	LOOK(&t, "1.0.0.0", E);
	LOOK(&t, "64.0.0.0", E);
	LOOK(&t, "128.0.0.0", E);
	LOOK(&t, "192.0.0.0", E);
	LOOK(&t, "255.0.0.0", E);
	LOOK(&t, "10.0.0.52", E);
	LOOK(&t, "2404:6800:4004:800:dead:beef:dead:beef", H);
	LOOK(&t, "10.0.0.220", B); /* others untouched */
	LOOK(&t, "192.168.4.4", B);
	uwg_allowedips_free(&t);
	CHECK(t.root4 == NULL && t.root6 == NULL);

	/* Nested prefixes of one owner go together. */
	uwg_allowedips_init(&t);
	CHECK_EQ_INT(ins(&t, A, "192.168.0.0/16"), 0);
	CHECK_EQ_INT(ins(&t, A, "192.168.0.0/24"), 0);
	uwg_allowedips_remove_by_owner(&t, A);
	LOOK(&t, "192.168.0.1", NULL);
	CHECK(t.root4 == NULL);
	uwg_allowedips_free(&t);
}

static void test_edges(void)
{
	struct uwg_allowedips t;
	struct walk_text w;
	uint8_t addr[16] = { 0 };
	uint64_t seq;

	uwg_allowedips_init(&t);
	LOOK(&t, "1.2.3.4", NULL);
	LOOK(&t, "::1", NULL);

	/* /0 covers its own family only. */
	CHECK_EQ_INT(ins(&t, A, "0.0.0.0/0"), 0);
	LOOK(&t, "0.0.0.0", A);
	LOOK(&t, "255.255.255.255", A);
	LOOK(&t, "::", NULL);
	LOOK(&t, "::ffff:1.2.3.4", NULL);
	CHECK_EQ_INT(ins(&t, B, "::/0"), 0);
	LOOK(&t, "::", B);
	LOOK(&t, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", B);
	LOOK(&t, "1.2.3.4", A);
	/* /0 with host bits set is still /0. */
	CHECK_EQ_INT(ins(&t, C, "9.9.9.9/0"), 0);
	LOOK(&t, "1.2.3.4", C);

	/* Host routes at both ends of both spaces. */
	CHECK_EQ_INT(ins(&t, D, "255.255.255.255/32"), 0);
	CHECK_EQ_INT(ins(&t, D, "0.0.0.0/32"), 0);
	CHECK_EQ_INT(ins(&t, E, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff/128"), 0);
	CHECK_EQ_INT(ins(&t, E, "::/128"), 0);
	CHECK_EQ_INT(ins(&t, F, "::1/128"), 0);
	LOOK(&t, "255.255.255.255", D);
	LOOK(&t, "255.255.255.254", C);
	LOOK(&t, "0.0.0.0", D);
	LOOK(&t, "0.0.0.1", C);
	LOOK(&t, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", E);
	LOOK(&t, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe", B);
	LOOK(&t, "::", E);
	LOOK(&t, "::1", F);
	LOOK(&t, "::2", B);
	/* An IPv4 /32 and the same bytes as the head of an IPv6 /32 stay apart. */
	CHECK_EQ_INT(ins(&t, G, "10.0.0.1/32"), 0);
	CHECK_EQ_INT(ins(&t, H, "a00:1::/32"), 0);
	LOOK(&t, "10.0.0.1", G);
	LOOK(&t, "a00:1::5", H);
	CHECK_EQ_INT(rem(&t, G, "a00:1::/32"), -ENOENT);
	CHECK_EQ_INT(rem(&t, H, "10.0.0.1/32"), -ENOENT);
	uwg_allowedips_free(&t);

	/* Bad arguments. */
	uwg_allowedips_init(&t);
	CHECK_EQ_INT(uwg_allowedips_insert(&t, AF_UNIX, addr, 8, A), -EINVAL);
	CHECK_EQ_INT(uwg_allowedips_insert(&t, AF_INET, addr, 33, A), -EINVAL);
	CHECK_EQ_INT(uwg_allowedips_insert(&t, AF_INET6, addr, 129, A), -EINVAL);
	CHECK_EQ_INT(uwg_allowedips_insert(&t, AF_INET, addr, 8, NULL), -EINVAL);
	CHECK_EQ_INT(uwg_allowedips_remove(&t, AF_UNIX, addr, 8, A), -ENOENT);
	CHECK_EQ_INT(uwg_allowedips_remove(&t, AF_INET, addr, 40, A), -ENOENT);
	CHECK(uwg_allowedips_lookup(&t, AF_UNIX, addr) == NULL);
	CHECK(t.root4 == NULL && t.root6 == NULL);
	CHECK_EQ_U64(t.seq, 0);

	/* Reassignment, removal rules and seq. */
	CHECK_EQ_INT(ins(&t, A, "10.0.0.0/24"), 0);
	CHECK_EQ_U64(t.seq, 1);
	CHECK_EQ_INT(ins(&t, B, "10.0.0.77/24"), 0); /* host bits masked: same prefix */
	CHECK_EQ_U64(t.seq, 2);
	LOOK(&t, "10.0.0.9", B);
	CHECK_EQ_INT(rem(&t, A, "10.0.0.0/24"), -ENOENT); /* A lost it */
	CHECK_EQ_U64(t.seq, 2);
	CHECK_EQ_INT(rem(&t, B, "10.0.0.0/23"), -ENOENT); /* wrong length */
	CHECK_EQ_INT(rem(&t, B, "10.0.0.0/25"), -ENOENT);
	CHECK_EQ_INT(rem(&t, NULL, "10.0.0.0/24"), -ENOENT);
	CHECK_EQ_INT(ins(&t, A, "10.0.1.0/24"), 0); /* creates an ownerless join at /23 */
	CHECK_EQ_INT(uwg_allowedips_selfcheck(&t), 3);
	CHECK_EQ_INT(rem(&t, A, "10.0.0.0/23"), -ENOENT);
	CHECK_EQ_INT(rem(&t, NULL, "10.0.0.0/23"), -ENOENT);
	LOOK(&t, "10.0.0.1", B);
	LOOK(&t, "10.0.1.1", A);
	LOOK(&t, "10.0.2.1", NULL);
	seq = t.seq;
	CHECK_EQ_INT(rem(&t, B, "10.0.0.200/24"), 0); /* host bits masked on remove too */
	CHECK(t.seq > seq);
	LOOK(&t, "10.0.0.1", NULL);
	LOOK(&t, "10.0.1.1", A);
	CHECK_EQ_INT(uwg_allowedips_selfcheck(&t), 1); /* the join went with it */
	CHECK_EQ_INT(rem(&t, B, "10.0.0.0/24"), -ENOENT); /* already gone */
	/* Removing a covering prefix keeps the longer one and vice versa. */
	CHECK_EQ_INT(ins(&t, C, "10.0.0.0/8"), 0);
	CHECK_EQ_INT(ins(&t, D, "10.0.1.128/25"), 0);
	LOOK(&t, "10.0.1.200", D);
	LOOK(&t, "10.0.1.100", A);
	LOOK(&t, "10.9.9.9", C);
	CHECK_EQ_INT(uwg_allowedips_selfcheck(&t), 3);
	CHECK_EQ_INT(rem(&t, A, "10.0.1.0/24"), 0);
	CHECK_EQ_INT(uwg_allowedips_selfcheck(&t), 2); /* an inner owned node became a link */
	LOOK(&t, "10.0.1.100", C);
	LOOK(&t, "10.0.1.200", D);
	CHECK_EQ_INT(rem(&t, C, "10.0.0.0/8"), 0);
	LOOK(&t, "10.0.1.100", NULL);
	LOOK(&t, "10.0.1.200", D);
	CHECK_EQ_INT(rem(&t, D, "10.0.1.128/25"), 0);
	CHECK(t.root4 == NULL); /* every node freed once nothing is owned */
	seq = t.seq;
	uwg_allowedips_remove_by_owner(&t, A); /* owns nothing: no change */
	CHECK_EQ_U64(t.seq, seq);

	/* Walk: masked prefixes in the order they were given, early stop. */
	CHECK_EQ_INT(ins(&t, A, "2001:db8::1/32"), 0);
	CHECK_EQ_INT(ins(&t, A, "192.95.5.93/27"), 0);
	CHECK_EQ_INT(ins(&t, B, "192.95.5.0/24"), 0);
	CHECK_EQ_INT(ins(&t, A, "10.1.0.20/29"), 0);
	CHECK_EQ_INT(ins(&t, A, "10.1.0.0/16"), 0);
	memset(&w, 0, sizeof(w));
	CHECK_EQ_INT(uwg_allowedips_walk_by_owner(A, collect_text, &w), 0);
	CHECK_EQ_U64(w.n, 4);
	CHECK(strcmp(w.items[0], "2001:db8::/32") == 0);
	CHECK(strcmp(w.items[1], "192.95.5.64/27") == 0);
	CHECK(strcmp(w.items[2], "10.1.0.16/29") == 0);
	CHECK(strcmp(w.items[3], "10.1.0.0/16") == 0);
	memset(&w, 0, sizeof(w));
	w.stop_after = 2;
	CHECK_EQ_INT(uwg_allowedips_walk_by_owner(A, collect_text, &w), 7);
	CHECK_EQ_U64(w.n, 2);
	memset(&w, 0, sizeof(w));
	CHECK_EQ_INT(uwg_allowedips_walk_by_owner(C, collect_text, &w), 0);
	CHECK_EQ_U64(w.n, 0);
	uwg_allowedips_remove_by_owner(&t, A);
	memset(&w, 0, sizeof(w));
	CHECK_EQ_INT(uwg_allowedips_walk_by_owner(B, collect_text, &w), 0);
	CHECK_EQ_U64(w.n, 1);
	CHECK(strcmp(w.items[0], "192.95.5.0/24") == 0);
	CHECK(t.root6 == NULL);
	uwg_allowedips_free(&t);
	/* free leaves a usable empty table. */
	CHECK_EQ_INT(ins(&t, A, "1.1.1.1/32"), 0);
	LOOK(&t, "1.1.1.1", A);
	uwg_allowedips_free(&t);
}

/* The deepest tries possible: one branch per bit, both halves of the address. */
static void test_deep(void)
{
	struct uwg_allowedips t;
	uint8_t ip[16];
	unsigned n = 0;

	uwg_allowedips_init(&t);
	for (unsigned i = 0; i < 64; i++) {
		uint64_t part = UINT64_MAX << i;

		memset(ip, 0xff, 8);
		for (unsigned j = 0; j < 8; j++)
			ip[8 + j] = (uint8_t)(part >> (56 - 8 * j));
		CHECK_EQ_INT(uwg_allowedips_insert(&t, AF_INET6, ip, 128, A), 0);
		for (unsigned j = 0; j < 8; j++)
			ip[j] = (uint8_t)(part >> (56 - 8 * j));
		memset(ip + 8, 0, 8);
		CHECK_EQ_INT(uwg_allowedips_insert(&t, AF_INET6, ip, 128, B), 0);
	}
	memset(ip, 0, 16);
	CHECK_EQ_INT(uwg_allowedips_insert(&t, AF_INET6, ip, 128, C), 0);
	CHECK_EQ_INT(uwg_allowedips_selfcheck(&t), 129 + 128); /* 128 joins */
	/* Every /k prefix of all-ones as well, each on its own level. */
	memset(ip, 0xff, 16);
	for (unsigned k = 0; k <= 128; k++)
		n += uwg_allowedips_insert(&t, AF_INET6, ip, (uint8_t)k, D) == 0;
	CHECK_EQ_U64(n, 129);
	/*
	 * 129 host routes; every fork between them lies on a prefix of all-ones,
	 * so the 128 shorter D prefixes replaced all 128 ownerless joins.
	 */
	CHECK_EQ_INT(uwg_allowedips_selfcheck(&t), 129 + 128);
	CHECK(uwg_allowedips_lookup(&t, AF_INET6, ip) == D);
	ip[15] = 0xfe;
	CHECK(uwg_allowedips_lookup(&t, AF_INET6, ip) == A);
	memset(ip, 0, 16);
	CHECK(uwg_allowedips_lookup(&t, AF_INET6, ip) == C);
	ip[15] = 1;
	CHECK(uwg_allowedips_lookup(&t, AF_INET6, ip) == D); /* only ::/0 covers it */
	uwg_allowedips_remove_by_owner(&t, D);
	CHECK(uwg_allowedips_lookup(&t, AF_INET6, ip) == NULL);
	uwg_allowedips_remove_by_owner(&t, B);
	uwg_allowedips_remove_by_owner(&t, A);
	uwg_allowedips_remove_by_owner(&t, C);
	CHECK(t.root6 == NULL);
	uwg_allowedips_free(&t);
}

/* Walk results as raw tuples, for the large and the randomized tests. */
struct prefix {
	uint8_t addr[16];
	uint8_t cidr;
	uint8_t af; /* 4 or 6 */
	void *owner;
};

struct walk_list {
	struct prefix *v;
	size_t n, cap;
};

static int collect_list(void *ctx, int af, const uint8_t *addr, uint8_t cidr)
{
	struct walk_list *w = ctx;

	if (w->n == w->cap) {
		w->cap = w->cap ? 2 * w->cap : 64;
		w->v = realloc(w->v, w->cap * sizeof(*w->v));
		if (!w->v)
			abort();
	}
	memset(&w->v[w->n], 0, sizeof(w->v[0]));
	memcpy(w->v[w->n].addr, addr, af == AF_INET ? 4 : 16);
	w->v[w->n].cidr = cidr;
	w->v[w->n].af = af == AF_INET ? 4 : 6;
	w->n++;
	return 0;
}

/* The documented walk order: v4 before v6, then address, then shorter prefix first. */
static int prefix_cmp(const struct prefix *x, const struct prefix *y);

static int prefix_qsort_cmp(const void *x, const void *y)
{
	return prefix_cmp(x, y);
}

static int prefix_cmp(const struct prefix *x, const struct prefix *y)
{
	int c;

	if (x->af != y->af)
		return x->af < y->af ? -1 : 1;
	c = memcmp(x->addr, y->addr, 16);
	if (c)
		return c;
	return (int)x->cidr - (int)y->cidr;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* One peer with 130k allowed IPs, as the UAPI may stream: the walk must be linear. */
static void test_large(void)
{
	enum { N = 130000 };
	struct uwg_allowedips t;
	struct walk_list w = { 0 };
	uint8_t ip[16] = { 0 };
	unsigned ok = 0, sorted = 1;
	double t0, dt;

	uwg_allowedips_init(&t);
	for (uint32_t i = 0; i < N; i++) {
		uint32_t v = i * 2654435761u; /* scattered, distinct */

		if (i % 2) {
			ip[0] = 0xfd;
			ip[12] = (uint8_t)(v >> 24);
			ip[13] = (uint8_t)(v >> 16);
			ip[14] = (uint8_t)(v >> 8);
			ip[15] = (uint8_t)v;
			ok += uwg_allowedips_insert(&t, AF_INET6, ip, 128, A) == 0;
		} else {
			uint8_t v4[4] = { (uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8),
					  (uint8_t)v };
			ok += uwg_allowedips_insert(&t, AF_INET, v4, 32, A) == 0;
		}
		if (i % 100 == 0) {
			uint8_t v4[4] = { 10, (uint8_t)(i >> 16), (uint8_t)(i >> 8), (uint8_t)i };
			uwg_allowedips_insert(&t, AF_INET, v4, 31, B);
		}
	}
	CHECK_EQ_U64(ok, N);
	CHECK(uwg_allowedips_selfcheck(&t) > 0);
	CHECK(uwg_allowedips_selfcheck(&t) < 2 * (N + N / 100));
	t0 = now_s();
	CHECK_EQ_INT(uwg_allowedips_walk_by_owner(A, collect_list, &w), 0);
	dt = now_s() - t0;
	CHECK_EQ_U64(w.n, N);
	/* in insertion order; sorted, every one is there once */
	qsort(w.v, w.n, sizeof(*w.v), prefix_qsort_cmp);
	for (size_t i = 1; i < w.n; i++)
		sorted &= prefix_cmp(&w.v[i - 1], &w.v[i]) < 0;
	CHECK(sorted);
	printf("test_allowedips: walked %zu prefixes in %.3f s\n", w.n, dt);
	CHECK(dt < 5.0);
	/* Every walked prefix looks up to A. */
	ok = 0;
	for (size_t i = 0; i < w.n; i++)
		ok += uwg_allowedips_lookup(&t, w.v[i].af == 4 ? AF_INET : AF_INET6,
					    w.v[i].addr) == A;
	CHECK_EQ_U64(ok, N);
	uwg_allowedips_remove_by_owner(&t, A);
	w.n = 0;
	CHECK_EQ_INT(uwg_allowedips_walk_by_owner(A, collect_list, &w), 0);
	CHECK_EQ_U64(w.n, 0);
	CHECK_EQ_INT(uwg_allowedips_walk_by_owner(B, collect_list, &w), 0);
	CHECK_EQ_U64(w.n, (N + 99) / 100);
	CHECK(t.root6 == NULL);
	uwg_allowedips_remove_by_owner(&t, B);
	CHECK(t.root4 == NULL);
	free(w.v);
	uwg_allowedips_free(&t);
}

/* ---- randomized differential test against a flat list ---- */

static uint64_t rng_state;

static uint64_t rng(void)
{
	uint64_t z = (rng_state += UINT64_C(0x9e3779b97f4a7c15));

	z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
	return z ^ (z >> 31);
}

static unsigned rnd(unsigned n)
{
	return (unsigned)(rng() % n);
}

enum { MODEL_CAP = 4096, OWNERS = 6 };

struct model {
	struct prefix e[MODEL_CAP];
	size_t n;
};

static void mask_bytes(uint8_t addr[16], unsigned cidr)
{
	for (unsigned i = 0; i < 16; i++) {
		if (cidr >= 8 * (i + 1))
			continue;
		addr[i] &= cidr > 8 * i ? (uint8_t)(0xff << (8 - (cidr - 8 * i))) : 0;
	}
}

static bool covers(const struct prefix *p, uint8_t af, const uint8_t addr[16])
{
	uint8_t tmp[16];

	if (p->af != af)
		return false;
	memcpy(tmp, addr, 16);
	mask_bytes(tmp, p->cidr);
	return memcmp(tmp, p->addr, 16) == 0;
}

static struct prefix *model_find(struct model *m, uint8_t af, const uint8_t addr[16],
				 uint8_t cidr)
{
	uint8_t tmp[16];

	memcpy(tmp, addr, 16);
	mask_bytes(tmp, cidr);
	for (size_t i = 0; i < m->n; i++)
		if (m->e[i].af == af && m->e[i].cidr == cidr && !memcmp(m->e[i].addr, tmp, 16))
			return &m->e[i];
	return NULL;
}

static void *model_lookup(const struct model *m, uint8_t af, const uint8_t addr[16])
{
	const struct prefix *best = NULL;

	for (size_t i = 0; i < m->n; i++)
		if (covers(&m->e[i], af, addr) && (!best || m->e[i].cidr > best->cidr))
			best = &m->e[i];
	return best ? best->owner : NULL;
}

static void model_del(struct model *m, struct prefix *p)
{
	*p = m->e[--m->n];
}

/* Addresses drawn from a few byte values so that prefixes overlap a lot. */
static void random_addr(uint8_t af, uint8_t addr[16])
{
	static const uint8_t common[] = { 0x00, 0x0a, 0x80, 0xc0, 0xfe, 0xff };

	memset(addr, 0, 16);
	for (unsigned i = 0; i < (af == 4 ? 4u : 16u); i++)
		addr[i] = rnd(4) ? common[rnd(ARRAY_SIZE(common))] : (uint8_t)rng();
}

/* A random address inside prefix e (network bits kept, host bits random). */
static void random_inside(const struct prefix *e, uint8_t addr[16])
{
	uint8_t net[16];

	random_addr(e->af, addr);
	memset(net, 0xff, 16);
	mask_bytes(net, e->cidr);
	for (unsigned i = 0; i < 16; i++)
		addr[i] = (uint8_t)(e->addr[i] | (addr[i] & ~net[i]));
}

static uint8_t random_cidr(uint8_t af)
{
	unsigned bits = af == 4 ? 32 : 128;

	switch (rnd(4)) {
	case 0:
		return (uint8_t)bits;
	case 1:
		return (uint8_t)(bits - rnd(9));
	default:
		return (uint8_t)rnd(bits + 1);
	}
}

static int to_af(uint8_t af)
{
	return af == 4 ? AF_INET : AF_INET6;
}

static unsigned diff_failures;

static void diff_fail(const char *what, unsigned step)
{
	if (diff_failures++ < 10)
		fprintf(stderr, "  differential mismatch at step %u: %s\n", step, what);
}

static struct walk_list walk_buf;

static void compare_walks(struct model *m, unsigned step)
{
	struct walk_list *w = &walk_buf;

	for (unsigned o = 0; o < OWNERS; o++) {
		size_t want = 0;
		bool ok = true;

		for (size_t i = 0; i < m->n; i++)
			want += m->e[i].owner == &peers[o];
		w->n = 0;
		if (uwg_allowedips_walk_by_owner(&peers[o], collect_list, w) != 0)
			ok = false;
		if (w->n != want)
			ok = false;
		for (size_t i = 0; ok && i < w->n; i++) {
			struct prefix *p = model_find(m, w->v[i].af, w->v[i].addr,
						      w->v[i].cidr);
			if (!p || p->owner != &peers[o] || memcmp(p->addr, w->v[i].addr, 16))
				ok = false;
			for (size_t j = 0; j < i; j++)
				if (!prefix_cmp(&w->v[j], &w->v[i]))
					ok = false; /* repeated (the order is insertion order) */
		}
		if (!ok)
			diff_fail("walk_by_owner differs from the model", step);
	}
}

static void test_random(uint64_t seed)
{
	static struct model m;
	struct uwg_allowedips t;
	unsigned steps = 0, lookups = 0, inserts = 0, removes = 0, hits = 0;

	rng_state = seed;
	diff_failures = 0;
	for (unsigned round = 0; round < 120; round++) {
		/* Alternate small dense tables with larger ones. */
		size_t target = round % 2 ? 1500 : 60;

		uwg_allowedips_init(&t);
		m.n = 0;
		for (unsigned s = 0; s < 3000; s++, steps++) {
			struct prefix p = { 0 }, *q;
			uint64_t seq = t.seq;
			unsigned op = rnd(100);
			void *owner = &peers[rnd(OWNERS)];
			int ret, want;

			p.af = rnd(2) ? 4 : 6;
			random_addr(p.af, p.addr);
			p.cidr = random_cidr(p.af);
			if (op < 35 && m.n < target) {
				inserts++;
				ret = uwg_allowedips_insert(&t, to_af(p.af), p.addr, p.cidr, owner);
				if (ret != 0)
					diff_fail("insert failed", steps);
				q = model_find(&m, p.af, p.addr, p.cidr);
				if (!q) {
					q = &m.e[m.n++];
					*q = p;
					mask_bytes(q->addr, p.cidr);
				}
				q->owner = owner;
				if (t.seq == seq)
					diff_fail("insert left seq alone", steps);
			} else if (op < 55 && m.n) {
				/* A listed prefix with random host bits, by its owner or not. */
				struct prefix *e = &m.e[rnd((unsigned)m.n)];
				uint8_t addr[16];
				void *who = rnd(3) ? e->owner : owner;

				random_inside(e, addr);
				removes++;
				want = who == e->owner ? 0 : -ENOENT;
				ret = uwg_allowedips_remove(&t, to_af(e->af), addr, e->cidr, who);
				if (ret != want)
					diff_fail("remove of a listed prefix", steps);
				if (want == 0) {
					model_del(&m, e);
					if (t.seq == seq)
						diff_fail("remove left seq alone", steps);
				} else if (t.seq != seq) {
					diff_fail("failed remove changed seq", steps);
				}
			} else if (op < 60) {
				/* A random prefix, most likely not in the table. */
				q = model_find(&m, p.af, p.addr, p.cidr);
				want = q && q->owner == owner ? 0 : -ENOENT;
				ret = uwg_allowedips_remove(&t, to_af(p.af), p.addr, p.cidr, owner);
				if (ret != want)
					diff_fail("remove of a random prefix", steps);
				if (q && want == 0)
					model_del(&m, q);
			} else if (op < 61) {
				bool had = false;

				for (size_t i = 0; i < m.n;) {
					if (m.e[i].owner == owner) {
						model_del(&m, &m.e[i]);
						had = true;
					} else {
						i++;
					}
				}
				uwg_allowedips_remove_by_owner(&t, owner);
				if (had != (t.seq != seq))
					diff_fail("remove_by_owner seq", steps);
			} else {
				/* Lookups: random, and inside a random listed prefix. */
				for (unsigned k = 0; k < 4; k++) {
					void *got, *exp;

					if (k % 2 && m.n) {
						struct prefix *e = &m.e[rnd((unsigned)m.n)];

						p.af = e->af;
						random_inside(e, p.addr);
					} else {
						random_addr(p.af, p.addr);
					}
					lookups++;
					got = uwg_allowedips_lookup(&t, to_af(p.af), p.addr);
					exp = model_lookup(&m, p.af, p.addr);
					hits += exp != NULL;
					if (got != exp)
						diff_fail("lookup", steps);
				}
				if (t.seq != seq)
					diff_fail("lookup changed seq", steps);
			}
			if (s % 500 == 499)
				compare_walks(&m, steps);
			if (s % 25 == 0) {
				long nodes = uwg_allowedips_selfcheck(&t);

				/* Ownerless nodes join two subtrees: <= 2n - 1 per family. */
				if (nodes < 0 || (size_t)nodes > 2 * m.n)
					diff_fail("trie invariants or node bound", steps);
			}
		}
		compare_walks(&m, steps);
		if (round % 3 == 0) {
			/* Leave it to free() with content (ASan checks nothing leaks). */
			uwg_allowedips_free(&t);
			continue;
		}
		for (unsigned o = 0; o < OWNERS; o++)
			uwg_allowedips_remove_by_owner(&t, &peers[o]);
		if (t.root4 || t.root6)
			diff_fail("nodes left after removing every owner", steps);
		uwg_allowedips_free(&t);
	}
	free(walk_buf.v);
	memset(&walk_buf, 0, sizeof(walk_buf));
	printf("test_allowedips: random: %u steps, %u inserts, %u removes, %u lookups (%u hits)\n",
	       steps, inserts, removes, lookups, hits);
	CHECK_EQ_U64(diff_failures, 0);
	CHECK(hits > lookups / 4); /* the lookups did reach into the table */
}

/* Churn must not grow the trie beyond 2n nodes, and removing everything empties it. */
static void test_churn(uint64_t seed)
{
	struct uwg_allowedips t;
	uint8_t ip[16];
	unsigned bad = 0;
	long nodes;

	rng_state = seed ^ 0xc0ffee;
	uwg_allowedips_init(&t);
	for (unsigned round = 0; round < 50; round++) {
		for (unsigned i = 0; i < 200; i++) {
			uint8_t af = i % 2 ? 4 : 6;

			random_addr(af, ip);
			uwg_allowedips_insert(&t, to_af(af), ip, random_cidr(af), &peers[i % 3]);
		}
		/* Drop one owner's prefixes one by one; the others carry over. */
		walk_buf.n = 0;
		uwg_allowedips_walk_by_owner(&peers[round % 3], collect_list, &walk_buf);
		for (size_t i = 0; i < walk_buf.n; i++) {
			const struct prefix *p = &walk_buf.v[i];

			bad += uwg_allowedips_remove(&t, to_af(p->af), p->addr, p->cidr,
						     &peers[round % 3]) != 0;
		}
		walk_buf.n = 0;
		for (unsigned o = 0; o < 3; o++)
			uwg_allowedips_walk_by_owner(&peers[o], collect_list, &walk_buf);
		nodes = uwg_allowedips_selfcheck(&t);
		bad += nodes < 0 || (size_t)nodes > 2 * walk_buf.n;
		if (round % 10 != 9)
			continue;
		for (unsigned o = 0; o < 3; o++)
			uwg_allowedips_remove_by_owner(&t, &peers[o]);
		bad += t.root4 != NULL || t.root6 != NULL;
	}
	CHECK_EQ_U64(bad, 0);
	uwg_allowedips_free(&t);
	free(walk_buf.v);
	memset(&walk_buf, 0, sizeof(walk_buf));
}

int main(void)
{
	uint64_t seed = UINT64_C(0x616c6c6f776564);
	const char *env = getenv("UWG_TEST_SEED");

	if (env)
		seed = strtoull(env, NULL, 0);
	printf("test_allowedips: seed %" PRIu64 " (set UWG_TEST_SEED to override)\n", seed);

	test_kernel_table();
	test_edges();
	test_deep();
	test_large();
	test_random(seed);
	test_churn(seed);
	return harness_report("test_allowedips");
}
