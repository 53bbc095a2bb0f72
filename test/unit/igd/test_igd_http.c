/*
 * test/unit/igd/test_igd_http.c - igd/http.c, the IGD's request guard: the
 * requests real control points send (miniupnpc 2.2.4, libtorrent, curl)
 * pass whole and byte by byte; the CVE-2020-13848 SUBSCRIBE, DNS-rebinding
 * Host headers, smuggling and oversize shapes are refused with the right
 * status, as early as the bytes allow.
 */
#include "igd/http.h"
#include "test/harness.h"

#include <arpa/inet.h>
#include <errno.h>

static int parse(struct uwg_igd_http_req *r, const char *s)
{
	return uwg_igd_http_parse(r, s, strlen(s), 8192);
}

/* Every proper prefix of a complete request must ask for more, never refuse. */
static void check_prefixes(const char *s)
{
	struct uwg_igd_http_req r;
	size_t n = strlen(s);
	unsigned bad = 0;

	for (size_t i = 0; i < n; i++)
		bad += uwg_igd_http_parse(&r, s, i, 8192) != -EAGAIN;
	CHECK_EQ_INT(bad, 0);
	CHECK_EQ_INT(uwg_igd_http_parse(&r, s, n, 8192), 0);
}

static const char upnpc_post[] =
	"POST /ctl/IPConn HTTP/1.1\r\n"
	"Host: 10.100.0.1:49152\r\n"
	"User-Agent: Debian/12 UPnP/1.1 MiniUPnPc/2.2.4\r\n"
	"Content-Length: 10\r\n"
	"Content-Type: text/xml\r\n"
	"SOAPAction: \"urn:schemas-upnp-org:service:WANIPConnection:1#AddPortMapping\"\r\n"
	"Connection: close\r\n"
	"Cache-Control: no-cache\r\n"
	"Pragma: no-cache\r\n"
	"\r\n"
	"<s:E></s:E";

static const char libtorrent_post[] =
	"POST /ctl/IPConn HTTP/1.1\r\n"
	"Host: 10.100.0.1:49152\r\n"
	"Content-Type: text/xml; charset=\"utf-8\"\r\n"
	"Content-Length: 4\r\n"
	"Soapaction: \"urn:schemas-upnp-org:service:WANIPConnection:1#GetExternalIPAddress\"\r\n"
	"\r\n"
	"abcdEXTRA";

static const char get_desc[] = "GET /description.xml?x=1 HTTP/1.0\nHost: 10.100.0.1\n\n";

static void test_real_clients(void)
{
	struct uwg_igd_http_req r;

	CHECK_EQ_INT(parse(&r, upnpc_post), 0);
	CHECK_EQ_INT(r.method, UWG_IGD_HTTP_POST);
	CHECK(!strcmp(r.path, "/ctl/IPConn"));
	CHECK(!strcmp(r.host, "10.100.0.1:49152"));
	CHECK(!strcmp(r.soapaction, "urn:schemas-upnp-org:service:WANIPConnection:1#AddPortMapping"));
	CHECK_EQ_INT(r.body_len, 10);
	CHECK(!memcmp(upnpc_post + r.head_len, "<s:E></s:E", 10));
	check_prefixes(upnpc_post);

	CHECK_EQ_INT(parse(&r, libtorrent_post), 0); /* trailing bytes ignored */
	CHECK_EQ_INT(r.body_len, 4);
	CHECK(!strcmp(r.soapaction,
		      "urn:schemas-upnp-org:service:WANIPConnection:1#GetExternalIPAddress"));

	CHECK_EQ_INT(parse(&r, get_desc), 0); /* bare LF, HTTP/1.0, query cut off */
	CHECK_EQ_INT(r.method, UWG_IGD_HTTP_GET);
	CHECK(!strcmp(r.path, "/description.xml"));
	CHECK(!strcmp(r.host, "10.100.0.1"));
	check_prefixes(get_desc);
	CHECK_EQ_INT(parse(&r, "HEAD /scpd/L3F.xml HTTP/1.1\r\nhost:   10.100.0.1  \r\n\r\n"), 0);
	CHECK_EQ_INT(r.method, UWG_IGD_HTTP_HEAD);
	CHECK(!strcmp(r.host, "10.100.0.1"));
}

static void refused(const char *req, int status)
{
	struct uwg_igd_http_req r;
	int err = parse(&r, req);

	CHECK_EQ_INT(err, -EPROTO);
	if (err == -EPROTO)
		CHECK_EQ_INT(r.status, status);
	else
		fprintf(stderr, "  not refused: %s\n", req);
}

static void test_refusals(void)
{
	struct uwg_igd_http_req r;
	char big[UWG_IGD_HTTP_HEAD_MAX + 64];

	/* the CVE-2020-13848 reproduction, and the rest of GENA */
	refused("SUBSCRIBE http://10.100.0.1:49152 HTTP/1.1\r\nHOST: 10.100.0.1:49152\r\n"
		"SID: uuid:00000000-0000-0000-0000-000000000000\r\n\r\n", 405);
	refused("UNSUBSCRIBE /evt/IPConn HTTP/1.1\r\n", 405);
	refused("NOTIFY * HTTP/1.1\r\n", 405);
	refused("M-POST /ctl/IPConn HTTP/1.1\r\n", 405);
	/* refused before the line ends: nothing to buffer */
	CHECK_EQ_INT(uwg_igd_http_parse(&r, "SUBSCRI", 7, 8192), -EPROTO);
	CHECK_EQ_INT(uwg_igd_http_parse(&r, "GETX", 4, 8192), -EAGAIN);
	CHECK_EQ_INT(uwg_igd_http_parse(&r, "GETX ", 5, 8192), -EPROTO);
	refused("get /description.xml HTTP/1.1\r\nHost: 10.100.0.1\r\n\r\n", 405);

	refused("GET /description.xml HTTP/1.1\r\n\r\n", 400); /* no Host */
	refused("GET /description.xml HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400);
	refused("GET http://10.100.0.1:49152/description.xml HTTP/1.1\r\nHost: x\r\n\r\n", 400);
	refused("GET  /x HTTP/1.1\r\nHost: x\r\n\r\n", 400);
	refused("GET /x HTTP/2.0\r\nHost: x\r\n\r\n", 505);
	refused("GET /x FTP/1.0\r\nHost: x\r\n\r\n", 400);
	refused("GET /x HTTP/1.1 extra\r\nHost: x\r\n\r\n", 400);
	refused("GET /x HTTP/1.1\r\nHost: x\r\n folded\r\n\r\n", 400);
	refused("GET /x HTTP/1.1\r\nHost x\r\n\r\n", 400);
	refused("GET /x HTTP/1.1\r\nHo st: x\r\n\r\n", 400);
	refused("GET /x HTTP/1.1\r\nHost: x\1y\r\n\r\n", 400);
	refused("GET /x HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc", 400);
	refused("POST /ctl/IPConn HTTP/1.1\r\nHost: x\r\n\r\n", 411);
	refused("POST /ctl/IPConn HTTP/1.1\r\nHost: x\r\nContent-Length: 8193\r\n\r\n", 413);
	refused("POST /ctl/IPConn HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999999999999999\r\n\r\n", 413);
	refused("POST /ctl/IPConn HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n", 400);
	refused("POST /ctl/IPConn HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\n", 400);
	refused("POST /ctl/IPConn HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n", 501);
	refused("POST /ctl/IPConn HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nSOAPAction: a\r\nSOAPAction: b\r\n\r\n", 400);
	/* a 413 comes as soon as the header is read, before any of the body */
	refused("POST /ctl/IPConn HTTP/1.1\r\nHost: x\r\nContent-Length: 300000\r\n", 413);

	memset(big, 'a', sizeof(big));
	memcpy(big, "GET /", 5);
	CHECK_EQ_INT(uwg_igd_http_parse(&r, big, sizeof(big), 8192), -EPROTO);
	CHECK_EQ_INT(r.status, 414);
	memcpy(big, "GET / HTTP/1.1\r\nX: ", 19);
	CHECK_EQ_INT(uwg_igd_http_parse(&r, big, sizeof(big), 8192), -EPROTO);
	CHECK_EQ_INT(r.status, 431);
	CHECK_EQ_INT(uwg_igd_http_parse(&r, big, 1000, 8192), -EAGAIN);
	{
		char many[2048] = "GET / HTTP/1.1\r\n";

		for (int i = 0; i < 40; i++)
			strcat(many, "A: b\r\n");
		strcat(many, "\r\n");
		refused(many, 431);
	}
}

static void test_host(void)
{
	struct in_addr ip;

	inet_pton(AF_INET, "10.100.0.1", &ip);
	CHECK(uwg_igd_http_host_ok("10.100.0.1", ip, 49152));
	CHECK(uwg_igd_http_host_ok("10.100.0.1:49152", ip, 49152));
	CHECK(!uwg_igd_http_host_ok("10.100.0.1:49153", ip, 49152));
	CHECK(!uwg_igd_http_host_ok("10.100.0.1:", ip, 49152));
	CHECK(!uwg_igd_http_host_ok("10.100.0.2", ip, 49152));
	CHECK(!uwg_igd_http_host_ok("attacker.example", ip, 49152));
	CHECK(!uwg_igd_http_host_ok("attacker.example:49152", ip, 49152));
	CHECK(!uwg_igd_http_host_ok("10.100.0.1.nip.io", ip, 49152));
	CHECK(!uwg_igd_http_host_ok("010.100.0.1", ip, 49152));
	CHECK(!uwg_igd_http_host_ok("10.100.00.1", ip, 49152));
	CHECK(!uwg_igd_http_host_ok("10.100.1", ip, 49152));
	CHECK(!uwg_igd_http_host_ok("0x0a.100.0.1", ip, 49152));
	CHECK(!uwg_igd_http_host_ok("", ip, 49152));
	CHECK(!uwg_igd_http_host_ok("10.100.0.1:049152", ip, 49152));
	CHECK(!uwg_igd_http_host_ok("10.100.0.1:49152x", ip, 49152));
	CHECK(!uwg_igd_http_host_ok("[::ffff:10.100.0.1]", ip, 49152));
	inet_pton(AF_INET, "0.0.0.0", &ip);
	CHECK(uwg_igd_http_host_ok("0.0.0.0:1", ip, 1));
	CHECK(!uwg_igd_http_host_ok("0.0.0.00", ip, 1));
	CHECK(!strcmp(uwg_igd_http_reason(405), "Method Not Allowed"));
}

/* Over IPv6 the Host is the bracketed literal of the tunnel's IPv6 address (what miniupnpc and
 * pupnp send: "[fd00:100::1]:49152"), in any spelling of that one address. */
static void test_host6(void)
{
	struct in6_addr ip;

	inet_pton(AF_INET6, "fd00:100::1", &ip);
	CHECK(uwg_igd_http_host6_ok("[fd00:100::1]:49152", &ip, 49152));
	CHECK(uwg_igd_http_host6_ok("[fd00:100::1]", &ip, 49152));
	CHECK(uwg_igd_http_host6_ok("[FD00:100:0:0:0:0:0:1]:49152", &ip, 49152));
	CHECK(uwg_igd_http_host6_ok("[fd00:0100::0001]:49152", &ip, 49152));
	CHECK(!uwg_igd_http_host6_ok("[fd00:100::1]:49153", &ip, 49152));
	CHECK(!uwg_igd_http_host6_ok("[fd00:100::1]:", &ip, 49152));
	CHECK(!uwg_igd_http_host6_ok("[fd00:100::1]:049152", &ip, 49152));
	CHECK(!uwg_igd_http_host6_ok("[fd00:100::1]x", &ip, 49152));
	CHECK(!uwg_igd_http_host6_ok("[fd00:100::2]:49152", &ip, 49152));
	CHECK(!uwg_igd_http_host6_ok("fd00:100::1", &ip, 49152));      /* no brackets */
	CHECK(!uwg_igd_http_host6_ok("[fd00:100::1", &ip, 49152));
	CHECK(!uwg_igd_http_host6_ok("[fd00:100::1%25tun0]:49152", &ip, 49152));
	CHECK(!uwg_igd_http_host6_ok("[]:49152", &ip, 49152));
	CHECK(!uwg_igd_http_host6_ok("attacker.example:49152", &ip, 49152));
	CHECK(!uwg_igd_http_host6_ok("[attacker.example]:49152", &ip, 49152));
	CHECK(!uwg_igd_http_host6_ok("10.100.0.1:49152", &ip, 49152));
	CHECK(!uwg_igd_http_host6_ok("", &ip, 49152));
	/* the rebinding shape over IPv6: a name that resolves to the address */
	CHECK(!uwg_igd_http_host6_ok("fd00-100--1.sslip.io:49152", &ip, 49152));
	/* and an IPv4 listener does not take the IPv6 literal */
	{
		struct in_addr ip4;

		inet_pton(AF_INET, "10.100.0.1", &ip4);
		CHECK(!uwg_igd_http_host_ok("[fd00:100::1]:49152", ip4, 49152));
	}
}

int main(void)
{
	test_real_clients();
	test_refusals();
	test_host();
	test_host6();
	return harness_report("test_igd_http");
}
