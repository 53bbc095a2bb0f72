/*
 * test/unit/igd/test_igd_ssdp6.c - igd/ssdp6.c, the IPv6 M-SEARCH answers:
 * what miniupnpc 2.2.4 (`upnpc -6`: InternetGatewayDevice:1, then
 * WANIPConnection:1, ...) and Syncthing (InternetGatewayDevice:2 to ff05::c)
 * send, ssdp:all, upnp:rootdevice, UDNs, service types, versions above and
 * below ours, and the shapes that must never be answered.
 */
#include "igd/ssdp6.h"
#include "test/harness.h"

#include <errno.h>

#define UUID "0123abcd-0000-4000-8000-00000000000e"
#define LOC "http://[fd00:100::1]:49152/description6.xml"
#define LOWER "http://[fd00:100::1]:49152/description6v1.xml"

static const struct uwg_igd_ssdp6_device dev = { UUID, LOC, LOWER, 120 };

static char replies[UWG_IGD_SSDP6_REPLIES_MAX + 4][UWG_IGD_SSDP6_REPLY_MAX];
static unsigned n_replies;

static void collect(void *ctx, const char *reply, size_t len)
{
	(void)ctx;
	CHECK(len < UWG_IGD_SSDP6_REPLY_MAX);
	if (n_replies < ARRAY_SIZE(replies) && len < UWG_IGD_SSDP6_REPLY_MAX) {
		memcpy(replies[n_replies], reply, len);
		replies[n_replies][len] = '\0';
	}
	n_replies++;
}

static int answer(const char *msg)
{
	n_replies = 0;
	return uwg_igd_ssdp6_answer(&dev, msg, strlen(msg), collect, NULL);
}

/* An M-SEARCH as miniupnpc formats it, for target st. */
static int search(const char *st)
{
	char msg[512];

	snprintf(msg, sizeof(msg),
		 "M-SEARCH * HTTP/1.1\r\nHOST: [FF05::C]:1900\r\nST: %s\r\n"
		 "MAN: \"ssdp:discover\"\r\nMX: 2\r\n\r\n",
		 st);
	return answer(msg);
}

/* Does reply i carry header "NAME: value" exactly? */
static bool has(unsigned i, const char *line)
{
	char want[300];

	snprintf(want, sizeof(want), "\r\n%s\r\n", line);
	return i < n_replies && strstr(replies[i], want) != NULL;
}

static void test_clients(void)
{
	/* upnpc -6: IGD:1 first; ours is :2, so the :1 tree answers under the asked ST */
	CHECK_EQ_INT(search("urn:schemas-upnp-org:device:InternetGatewayDevice:1"), 1);
	CHECK(strncmp(replies[0], "HTTP/1.1 200 OK\r\n", 17) == 0);
	CHECK(has(0, "ST: urn:schemas-upnp-org:device:InternetGatewayDevice:1"));
	CHECK(has(0, "LOCATION: " LOWER));
	CHECK(has(0, "USN: uuid:" UUID "::urn:schemas-upnp-org:device:InternetGatewayDevice:1"));
	CHECK(has(0, "CACHE-CONTROL: max-age=120"));
	CHECK(has(0, "EXT:"));
	CHECK(strstr(replies[0], "\r\n\r\n") == replies[0] + strlen(replies[0]) - 4);

	/* Syncthing: IGD:2 to ff05::c, LF lines turned into CRLF, a USER-AGENT */
	CHECK_EQ_INT(answer("M-SEARCH * HTTP/1.1\r\nHOST: [FF05::C]:1900\r\n"
			    "ST: urn:schemas-upnp-org:device:InternetGatewayDevice:2\r\n"
			    "MAN: \"ssdp:discover\"\r\nMX: 3\r\nUSER-AGENT: syncthing/v1.23\r\n\r\n"),
		     1);
	CHECK(has(0, "ST: urn:schemas-upnp-org:device:InternetGatewayDevice:2"));
	CHECK(has(0, "LOCATION: " LOC));
	CHECK(has(0, "USN: uuid:" UUID "::urn:schemas-upnp-org:device:InternetGatewayDevice:2"));

	/* miniupnpc's second target, and the firewall service itself (same version: IGD:2 tree) */
	CHECK_EQ_INT(search("urn:schemas-upnp-org:service:WANIPConnection:1"), 1);
	CHECK(has(0, "LOCATION: " LOWER));
	CHECK(has(0, "USN: uuid:0123abcd-0000-4000-8000-000000000000"
		     "::urn:schemas-upnp-org:service:WANIPConnection:1")); /* the WCD's UDN */
	CHECK_EQ_INT(search("urn:schemas-upnp-org:service:WANIPConnection:2"), 1);
	CHECK(has(0, "LOCATION: " LOC));
	CHECK_EQ_INT(search("urn:schemas-upnp-org:service:WANIPv6FirewallControl:1"), 1);
	CHECK(has(0, "LOCATION: " LOC));
	CHECK_EQ_INT(search("urn:schemas-upnp-org:device:WANConnectionDevice:2"), 1);
	CHECK_EQ_INT(search("urn:schemas-upnp-org:service:Layer3Forwarding:1"), 1);
	CHECK(has(0, "USN: uuid:" UUID "::urn:schemas-upnp-org:service:Layer3Forwarding:1"));
	/* versions we do not have, other types: a valid search, nothing to say */
	CHECK_EQ_INT(search("urn:schemas-upnp-org:device:InternetGatewayDevice:3"), 0);
	CHECK_EQ_INT(search("urn:schemas-upnp-org:service:WANIPv6FirewallControl:2"), 0);
	CHECK_EQ_INT(search("urn:schemas-upnp-org:device:InternetGatewayDevice:0"), 0);
	CHECK_EQ_INT(search("urn:schemas-upnp-org:device:InternetGatewayDevice:1x"), 0);
	CHECK_EQ_INT(search("urn:schemas-upnp-org:device:InternetGatewayDevice:"), 0);
	CHECK_EQ_INT(search("urn:schemas-upnp-org:service:WANPPPConnection:1"), 0);
	CHECK_EQ_INT(search("urn:schemas-upnp-org:device:MediaServer:1"), 0);
	CHECK_EQ_INT(n_replies, 0);
	/* pupnp compares types case-insensitively */
	CHECK_EQ_INT(search("urn:schemas-upnp-org:device:internetgatewaydevice:2"), 1);

	/* rootdevice and UDNs */
	CHECK_EQ_INT(search("upnp:rootdevice"), 1);
	CHECK(has(0, "ST: upnp:rootdevice"));
	CHECK(has(0, "USN: uuid:" UUID "::upnp:rootdevice"));
	CHECK(has(0, "LOCATION: " LOC));
	CHECK_EQ_INT(search("uuid:0123abcd-0000-4000-8000-00000000000f"), 1); /* the WANDevice */
	CHECK(has(0, "ST: uuid:0123abcd-0000-4000-8000-00000000000f"));
	CHECK(has(0, "USN: uuid:0123abcd-0000-4000-8000-00000000000f"));
	CHECK_EQ_INT(search("uuid:0123abcd-0000-4000-8000-000000000001"), 0);
}

static void test_all(void)
{
	static const char *const st[] = {
		"upnp:rootdevice",
		("uuid:" UUID),
		"urn:schemas-upnp-org:device:InternetGatewayDevice:2",
		"uuid:0123abcd-0000-4000-8000-00000000000f",
		"urn:schemas-upnp-org:device:WANDevice:2",
		"uuid:0123abcd-0000-4000-8000-000000000000",
		"urn:schemas-upnp-org:device:WANConnectionDevice:2",
		"urn:schemas-upnp-org:service:Layer3Forwarding:1",
		"urn:schemas-upnp-org:service:WANCommonInterfaceConfig:1",
		"urn:schemas-upnp-org:service:WANIPConnection:2",
		"urn:schemas-upnp-org:service:WANIPv6FirewallControl:1",
	};

	CHECK_EQ_INT(search("ssdp:all"), (int)ARRAY_SIZE(st));
	CHECK_EQ_INT(n_replies, UWG_IGD_SSDP6_REPLIES_MAX);
	for (unsigned i = 0; i < ARRAY_SIZE(st) && i < n_replies; i++) {
		char line[160];

		snprintf(line, sizeof(line), "ST: %s", st[i]);
		CHECK(has(i, line));
		CHECK(has(i, "LOCATION: " LOC));
	}
}

static void refused(const char *msg)
{
	int rc = answer(msg);

	CHECK_EQ_INT(rc, -EINVAL);
	CHECK_EQ_INT(n_replies, 0);
	if (rc != -EINVAL)
		fprintf(stderr, "  answered: %s\n", msg);
}

static void test_refused(void)
{
	char big[UWG_IGD_SSDP6_MSG_MAX + 64];

	/* bare LF lines and any header case pass */
	CHECK_EQ_INT(answer("M-SEARCH * HTTP/1.1\nst:upnp:rootdevice\nman: \"ssdp:discover\"\n"
			    "mx:1\n\n"),
		     1);
	/* a body after the blank line is ignored */
	CHECK_EQ_INT(answer("M-SEARCH * HTTP/1.1\r\nST: upnp:rootdevice\r\n"
			    "MAN: \"ssdp:discover\"\r\nMX: 1\r\n\r\nbody\x01"),
		     1);

	refused("");
	refused("NOTIFY * HTTP/1.1\r\nHOST: [FF05::C]:1900\r\nNT: upnp:rootdevice\r\n"
		"NTS: ssdp:alive\r\n\r\n");
	refused("HTTP/1.1 200 OK\r\nST: upnp:rootdevice\r\nLOCATION: http://x/\r\n\r\n");
	refused("m-search * HTTP/1.1\r\nST: ssdp:all\r\nMAN: \"ssdp:discover\"\r\nMX: 1\r\n\r\n");
	refused("M-SEARCH / HTTP/1.1\r\nST: ssdp:all\r\nMAN: \"ssdp:discover\"\r\nMX: 1\r\n\r\n");
	refused("M-SEARCH * HTTP/1.0\r\nST: ssdp:all\r\nMAN: \"ssdp:discover\"\r\nMX: 1\r\n\r\n");
	/* the three headers, each once and well-formed */
	refused("M-SEARCH * HTTP/1.1\r\nST: ssdp:all\r\nMX: 1\r\n\r\n");
	refused("M-SEARCH * HTTP/1.1\r\nST: ssdp:all\r\nMAN: ssdp:discover\r\nMX: 1\r\n\r\n");
	refused("M-SEARCH * HTTP/1.1\r\nST: ssdp:all\r\nMAN: \"ssdp:discover\"\r\n\r\n");
	refused("M-SEARCH * HTTP/1.1\r\nST: ssdp:all\r\nMAN: \"ssdp:discover\"\r\nMX: x\r\n\r\n");
	refused("M-SEARCH * HTTP/1.1\r\nST: ssdp:all\r\nMAN: \"ssdp:discover\"\r\nMX: 1000\r\n\r\n");
	refused("M-SEARCH * HTTP/1.1\r\nMAN: \"ssdp:discover\"\r\nMX: 1\r\n\r\n");
	refused("M-SEARCH * HTTP/1.1\r\nST:\r\nMAN: \"ssdp:discover\"\r\nMX: 1\r\n\r\n");
	refused("M-SEARCH * HTTP/1.1\r\nST: ssdp:all\r\nST: upnp:rootdevice\r\n"
		"MAN: \"ssdp:discover\"\r\nMX: 1\r\n\r\n");
	refused("M-SEARCH * HTTP/1.1\r\nST: ssdp :all\r\nMAN: \"ssdp:discover\"\r\nMX: 1\r\n\r\n");
	/* malformed lines: no colon, a bad name, a control byte, no end */
	refused("M-SEARCH * HTTP/1.1\r\nST ssdp:all\r\nMAN: \"ssdp:discover\"\r\nMX: 1\r\n\r\n");
	refused("M-SEARCH * HTTP/1.1\r\nS T: ssdp:all\r\nMAN: \"ssdp:discover\"\r\nMX: 1\r\n\r\n");
	refused("M-SEARCH * HTTP/1.1\r\nST: ssdp:all\x01\r\nMAN: \"ssdp:discover\"\r\nMX: 1\r\n\r\n");
	refused("M-SEARCH * HTTP/1.1\r\nST: ssdp:all\r\nMAN: \"ssdp:discover\"\r\nMX: 1\r\n");
	{
		/* a NUL inside: the datagram is what counts, not a C string */
		static const char nul[] = "M-SEARCH * HTTP/1.1\r\nST: ssdp:\0all\r\n"
					  "MAN: \"ssdp:discover\"\r\nMX: 1\r\n\r\n";

		n_replies = 0;
		CHECK_EQ_INT(uwg_igd_ssdp6_answer(&dev, nul, sizeof(nul) - 1, collect, NULL), -EINVAL);
	}
	/* too long, an ST over the limit, too many headers */
	memset(big, 'a', sizeof(big));
	memcpy(big, "M-SEARCH * HTTP/1.1\r\nX: ", 24);
	memcpy(big + sizeof(big) - 40, "\r\nMAN: \"ssdp:discover\"\r\nMX: 1\r\n\r\n", 34);
	big[sizeof(big) - 6] = '\0';
	n_replies = 0;
	CHECK_EQ_INT(uwg_igd_ssdp6_answer(&dev, big, sizeof(big), collect, NULL), -EINVAL);
	{
		char msg[1024], st[UWG_IGD_SSDP6_ST_MAX + 1];

		memset(st, 'x', sizeof(st) - 1);
		st[sizeof(st) - 1] = '\0';
		snprintf(msg, sizeof(msg),
			 "M-SEARCH * HTTP/1.1\r\nST: %s\r\nMAN: \"ssdp:discover\"\r\nMX: 1\r\n\r\n", st);
		refused(msg);
		strcpy(msg, "M-SEARCH * HTTP/1.1\r\n");
		for (int i = 0; i < 33; i++)
			strcat(msg, "A: b\r\n");
		strcat(msg, "ST: ssdp:all\r\nMAN: \"ssdp:discover\"\r\nMX: 1\r\n\r\n");
		refused(msg);
	}
	/* a broken device (bad uuid) answers nothing, even a search that would be answered */
	{
		static const char ok[] = "M-SEARCH * HTTP/1.1\r\nST: ssdp:all\r\n"
					 "MAN: \"ssdp:discover\"\r\nMX: 1\r\n\r\n";
		struct uwg_igd_ssdp6_device bad = dev;

		CHECK_EQ_INT(answer(ok), UWG_IGD_SSDP6_REPLIES_MAX);
		bad.uuid = "not-a-uuid";
		n_replies = 0;
		CHECK_EQ_INT(uwg_igd_ssdp6_answer(&bad, ok, strlen(ok), collect, NULL), -EINVAL);
		CHECK_EQ_INT(n_replies, 0);
	}
}

int main(void)
{
	test_clients();
	test_all();
	test_refused();
	return harness_report("test_igd_ssdp6");
}
