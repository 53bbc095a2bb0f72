/*
 * test/unit/igd/test_igd_httpd.c - igd/httpd.c and igd/sockfilter.c on real
 * sockets over loopback: the server listens on 127.0.0.1 and ::1 on one
 * port, hands the handler an IPv6 peer for a request over IPv6, checks the
 * Host header per family (the bracketed literal over IPv6, DNS rebinding
 * names refused), and the kernel filters pass or drop by interface, prefix
 * of each family and the loopback exception. The loop runs on this thread;
 * the client side is non-blocking sockets polled between loop turns.
 */
#include "igd/httpd.h"
#include "test/harness.h"

#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

static uv_loop_t loop;
static unsigned handled;
static struct uwg_igd_addr last_peer;

/* Answers 200 with the peer's address, so the test sees what the handler got. */
static void handler(void *ctx, const struct uwg_igd_http_req *req, const char *body,
		    const struct uwg_igd_addr *peer, struct uwg_igd_http_resp *resp)
{
	char text[INET6_ADDRSTRLEN + 8];
	int n;

	(void)ctx;
	(void)req;
	(void)body;
	handled++;
	last_peer = *peer;
	strcpy(text, "peer=");
	if (peer->v6)
		inet_ntop(AF_INET6, &peer->ip6, text + 5, sizeof(text) - 5);
	else
		inet_ntop(AF_INET, &peer->ip4, text + 5, sizeof(text) - 5);
	n = (int)strlen(text);
	resp->body = malloc((size_t)n);
	if (resp->body)
		memcpy(resp->body, text, (size_t)n);
	resp->len = resp->body ? (size_t)n : 0;
	resp->status = 200;
}

/* Turns the loop and polls fd until events or ms pass; the poll result. */
static int pump(int fd, short events, int ms)
{
	for (int waited = 0; waited < ms; waited += 5) {
		struct pollfd p = { fd, events, 0 };

		uv_run(&loop, UV_RUN_NOWAIT);
		if (poll(&p, 1, 5) > 0)
			return p.revents;
	}
	return 0;
}

/*
 * Connects to [addr]:port over family, sends req, reads the answer into out
 * until the server closes. Returns the answer's length, -ETIMEDOUT when the
 * connection never came up within connect_ms (a filter dropped the SYN), or
 * another -errno.
 */
static int exchange(int family, const char *addr, uint16_t port, const char *req, char *out,
		    size_t cap, int connect_ms)
{
	union {
		struct sockaddr sa;
		struct sockaddr_in in;
		struct sockaddr_in6 in6;
	} a;
	socklen_t alen;
	size_t got = 0;
	int fd, err = 0, ev;
	socklen_t elen = sizeof(err);

	memset(&a, 0, sizeof(a));
	if (family == AF_INET) {
		a.in.sin_family = AF_INET;
		a.in.sin_port = htons(port);
		inet_pton(AF_INET, addr, &a.in.sin_addr);
		alen = sizeof(a.in);
	} else {
		a.in6.sin6_family = AF_INET6;
		a.in6.sin6_port = htons(port);
		inet_pton(AF_INET6, addr, &a.in6.sin6_addr);
		alen = sizeof(a.in6);
	}
	fd = socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, &a.sa, alen) && errno != EINPROGRESS) {
		err = -errno;
		close(fd);
		return err;
	}
	ev = pump(fd, POLLOUT, connect_ms);
	if (!(ev & POLLOUT) || getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &elen) || err) {
		close(fd);
		return err ? -err : -ETIMEDOUT;
	}
	if (write(fd, req, strlen(req)) != (ssize_t)strlen(req)) {
		close(fd);
		return -EIO;
	}
	while (got + 1 < cap && pump(fd, POLLIN, 2000) & (POLLIN | POLLHUP)) {
		ssize_t n = read(fd, out + got, cap - 1 - got);

		if (n <= 0)
			break;
		got += (size_t)n;
	}
	out[got] = '\0';
	close(fd);
	return (int)got;
}

static struct uwg_igd_httpd *start(const struct uwg_igd_sockfilter *f)
{
	struct uwg_igd_httpd_config c;
	struct uwg_igd_httpd *h = NULL;

	memset(&c, 0, sizeof(c));
	inet_pton(AF_INET, "127.0.0.1", &c.ip);
	inet_pton(AF_INET6, "::1", &c.ip6);
	c.max_body = 8192;
	c.handler = handler;
	c.no_filter = f == NULL;
	if (f)
		c.filter = *f;
	CHECK_EQ_INT(uwg_igd_httpd_start(&h, &loop, &c), 0);
	return h;
}

static void stop(struct uwg_igd_httpd *h)
{
	uwg_igd_httpd_stop(h);
	uv_run(&loop, UV_RUN_DEFAULT); /* close callbacks free it */
}

static int get(int family, uint16_t port, const char *host, char *out, size_t cap)
{
	char req[256];

	snprintf(req, sizeof(req), "GET /description.xml HTTP/1.1\r\nHost: %s\r\n\r\n", host);
	return exchange(family, family == AF_INET ? "127.0.0.1" : "::1", port, req, out, cap, 1000);
}

static void test_dual_stack(void)
{
	struct uwg_igd_httpd_stats st;
	struct uwg_igd_httpd *h = start(NULL);
	char host[64], out[1024];
	uint16_t port;
	unsigned before;

	if (!h)
		return;
	port = uwg_igd_httpd_port(h);
	CHECK(port >= 49152);
	CHECK_EQ_INT(uwg_igd_httpd_ip6(h), 0);

	/* over IPv6, on the same port: the handler sees an IPv6 peer */
	snprintf(host, sizeof(host), "[::1]:%u", port);
	CHECK(get(AF_INET6, port, host, out, sizeof(out)) > 0);
	CHECK(strstr(out, "HTTP/1.1 200 OK\r\n") == out);
	CHECK(strstr(out, "\r\n\r\npeer=::1") != NULL);
	CHECK(last_peer.v6);
	/* any spelling of the literal, and without the port */
	CHECK(get(AF_INET6, port, "[0:0:0:0:0:0:0:1]", out, sizeof(out)) > 0);
	CHECK(strstr(out, "HTTP/1.1 200 OK\r\n") == out);
	/* over IPv4 as before */
	snprintf(host, sizeof(host), "127.0.0.1:%u", port);
	CHECK(get(AF_INET, port, host, out, sizeof(out)) > 0);
	CHECK(strstr(out, "\r\n\r\npeer=127.0.0.1") != NULL);
	CHECK(!last_peer.v6);

	/* the Host check, per family: names, the other family's literal, another port */
	before = handled;
	snprintf(host, sizeof(host), "127.0.0.1:%u", port);
	CHECK(get(AF_INET6, port, host, out, sizeof(out)) > 0);
	CHECK(strstr(out, "HTTP/1.1 400 ") == out);
	snprintf(host, sizeof(host), "[::1]:%u", port);
	CHECK(get(AF_INET, port, host, out, sizeof(out)) > 0);
	CHECK(strstr(out, "HTTP/1.1 400 ") == out);
	snprintf(host, sizeof(host), "rebind.example:%u", port);
	CHECK(get(AF_INET6, port, host, out, sizeof(out)) > 0);
	CHECK(strstr(out, "HTTP/1.1 400 ") == out);
	snprintf(host, sizeof(host), "[::1]:%u", port + 1);
	CHECK(get(AF_INET6, port, host, out, sizeof(out)) > 0);
	CHECK(strstr(out, "HTTP/1.1 400 ") == out);
	CHECK_EQ_INT(handled, before);

	uwg_igd_httpd_get_stats(h, &st);
	CHECK_EQ_U64(st.requests, 3);
	CHECK_EQ_U64(st.requests6, 2);
	CHECK_EQ_U64(st.refused_host, 4);

	/* a second server cannot take the same port on either family: it walks on */
	{
		struct uwg_igd_httpd *h2 = start(NULL);

		if (h2) {
			CHECK(uwg_igd_httpd_port(h2) != port);
			CHECK_EQ_INT(uwg_igd_httpd_ip6(h2), 0);
			uwg_igd_httpd_stop(h2); /* freed with h's handles below */
		}
	}
	stop(h);
}

/* A port taken on the IPv6 address only is skipped like one taken on IPv4: one port for both. */
static void test_port_taken6(void)
{
	struct sockaddr_in6 a = { .sin6_family = AF_INET6, .sin6_addr = IN6ADDR_LOOPBACK_INIT };
	struct uwg_igd_httpd *h;
	int fd = socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1;
	uint16_t taken = 0;

	setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	for (uint16_t p = 49152; p < 49300 && !taken; p++) {
		a.sin6_port = htons(p);
		if (!bind(fd, (struct sockaddr *)&a, sizeof(a)) && !listen(fd, 1))
			taken = p;
	}
	CHECK(taken != 0);
	h = start(NULL);
	if (h) {
		CHECK(uwg_igd_httpd_port(h) != taken);
		CHECK_EQ_INT(uwg_igd_httpd_ip6(h), 0);
		stop(h);
	}
	close(fd);
}

/* An IPv6 address it cannot bind leaves the server IPv4 only, not down. */
static void test_ip6_unavailable(void)
{
	struct uwg_igd_httpd_config c;
	struct uwg_igd_httpd *h = NULL;

	memset(&c, 0, sizeof(c));
	inet_pton(AF_INET, "127.0.0.1", &c.ip);
	inet_pton(AF_INET6, "2001:db8::1", &c.ip6); /* not on this host */
	c.max_body = 8192;
	c.handler = handler;
	c.no_filter = true;
	CHECK_EQ_INT(uwg_igd_httpd_start(&h, &loop, &c), 0);
	if (!h)
		return;
	CHECK_EQ_INT(uwg_igd_httpd_ip6(h), -EADDRNOTAVAIL);
	stop(h);
	memset(&c.ip6, 0, sizeof(c.ip6));
	CHECK_EQ_INT(uwg_igd_httpd_start(&h, &loop, &c), 0);
	if (h) {
		CHECK_EQ_INT(uwg_igd_httpd_ip6(h), -ENOENT);
		stop(h);
	}
}

/* A request to addr:port whose SYN a filter drops: -ETIMEDOUT within 300 ms. */
static int dropped(int family, const char *addr, uint16_t port)
{
	char out[256];

	return exchange(family, addr, port, "GET / HTTP/1.1\r\n\r\n", out, sizeof(out), 300);
}

/* The kernel filter on both listeners: interface, each family's prefix, the loopback exception. */
static void test_filters(void)
{
	struct uwg_igd_sockfilter f;
	struct uwg_igd_httpd *h;
	char host4[64], host6[64], out[1024];
	unsigned lo = if_nametoindex("lo");
	uint16_t port;

	CHECK(lo != 0);
	/* arriving on the interface (lo here) from inside both prefixes: served */
	memset(&f, 0, sizeof(f));
	f.ifindex = (int)lo;
	uwg_igd_cidr_parse("127.0.0.0/8", &f.net_h, &f.mask_h);
	f.v6 = true;
	uwg_igd_cidr6_parse("::1/128", &f.net6, &f.bits6);
	h = start(&f);
	if (!h)
		return;
	port = uwg_igd_httpd_port(h);
	snprintf(host4, sizeof(host4), "127.0.0.1:%u", port);
	snprintf(host6, sizeof(host6), "[::1]:%u", port);
	CHECK(get(AF_INET6, port, host6, out, sizeof(out)) > 0);
	CHECK(strstr(out, "HTTP/1.1 200 OK\r\n") == out);
	CHECK(get(AF_INET, port, host4, out, sizeof(out)) > 0);
	CHECK(strstr(out, "HTTP/1.1 200 OK\r\n") == out);
	stop(h);

	/* an IPv6 source outside the prefix: the SYN is dropped, IPv4 still served */
	uwg_igd_cidr6_parse("fd00:100::/64", &f.net6, &f.bits6);
	h = start(&f);
	if (!h)
		return;
	port = uwg_igd_httpd_port(h);
	snprintf(host4, sizeof(host4), "127.0.0.1:%u", port);
	snprintf(host6, sizeof(host6), "[::1]:%u", port);
	CHECK_EQ_INT(dropped(AF_INET6, "::1", port), -ETIMEDOUT);
	CHECK(get(AF_INET, port, host4, out, sizeof(out)) > 0);
	stop(h);

	/* a filter without IPv6 drops every IPv6 packet, as before IPv6 existed */
	f.v6 = false;
	h = start(&f);
	if (!h)
		return;
	port = uwg_igd_httpd_port(h);
	CHECK_EQ_INT(dropped(AF_INET6, "::1", port), -ETIMEDOUT);
	stop(h);

	/* another interface: only the host's own addresses over loopback pass */
	memset(&f, 0, sizeof(f));
	f.ifindex = 999999;
	f.v6 = true;
	inet_pton(AF_INET6, "::1", &f.local6);
	f.local_h = 0x7f000001u;
	h = start(&f);
	if (!h)
		return;
	port = uwg_igd_httpd_port(h);
	snprintf(host4, sizeof(host4), "127.0.0.1:%u", port);
	snprintf(host6, sizeof(host6), "[::1]:%u", port);
	CHECK(get(AF_INET6, port, host6, out, sizeof(out)) > 0);
	CHECK(strstr(out, "HTTP/1.1 200 OK\r\n") == out);
	CHECK(get(AF_INET, port, host4, out, sizeof(out)) > 0);
	CHECK(strstr(out, "HTTP/1.1 200 OK\r\n") == out);
	stop(h);
	inet_pton(AF_INET6, "::2", &f.local6);
	f.local_h = 0x7f000002u;
	h = start(&f);
	if (!h)
		return;
	port = uwg_igd_httpd_port(h);
	CHECK_EQ_INT(dropped(AF_INET6, "::1", port), -ETIMEDOUT);
	CHECK_EQ_INT(dropped(AF_INET, "127.0.0.1", port), -ETIMEDOUT);
	stop(h);
}

int main(void)
{
	int fd = socket(AF_INET6, SOCK_STREAM, 0);
	struct sockaddr_in6 a = { .sin6_family = AF_INET6, .sin6_addr = IN6ADDR_LOOPBACK_INIT };

	/* the IPv6 half needs ::1; a host without it cannot run this test meaningfully */
	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a))) {
		fprintf(stderr, "test_igd_httpd: no IPv6 loopback here (%s)\n", strerror(errno));
		CHECK(!"IPv6 loopback available");
	}
	if (fd >= 0)
		close(fd);
	signal(SIGPIPE, SIG_IGN);
	uv_loop_init(&loop);
	test_dual_stack();
	test_port_taken6();
	test_ip6_unavailable();
	test_filters();
	CHECK_EQ_INT(uv_loop_close(&loop), 0);
	return harness_report("test_igd_httpd");
}
