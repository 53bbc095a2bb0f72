/*
 * test/unit/igd/test_igd_soap.c - igd/soap.c and igd/desc.c: the SOAP argument
 * parser on the bodies real clients send (miniupnpc 2.2.4, libtorrent) and
 * on pupnp's re-serialised action element, malformed input, argument value
 * checks, response building, and the generated descriptions (checked with
 * pupnp's own ixml parser).
 */
#include "igd/desc.h"
#include "igd/soap.h"
#include "test/harness.h"

#include <arpa/inet.h>
#include <errno.h>
#include <upnp/ixml.h>

#define WANIP "urn:schemas-upnp-org:service:WANIPConnection:1"

static int parse(struct uwg_igd_soap_msg *m, const char *s)
{
	return uwg_igd_soap_parse(m, s, strlen(s));
}

/* What upnpc -a sends (miniupnpc 2.2.4: values not escaped, empty NewRemoteHost). */
static const char upnpc_add[] =
	"<?xml version=\"1.0\"?>\r\n"
	"<s:Envelope xmlns:s=\"http://schemas.xmlsoap.org/soap/envelope/\" "
	"s:encodingStyle=\"http://schemas.xmlsoap.org/soap/encoding/\"><s:Body>"
	"<u:AddPortMapping xmlns:u=\"" WANIP "\">"
	"<NewRemoteHost></NewRemoteHost><NewExternalPort>8043</NewExternalPort>"
	"<NewProtocol>TCP</NewProtocol><NewInternalPort>8043</NewInternalPort>"
	"<NewInternalClient>10.100.0.2</NewInternalClient><NewEnabled>1</NewEnabled>"
	"<NewPortMappingDescription>libminiupnpc</NewPortMappingDescription>"
	"<NewLeaseDuration>0</NewLeaseDuration></u:AddPortMapping></s:Body></s:Envelope>\r\n";

/* libtorrent 2.0 style: a declaration with encoding, a prefix on the envelope only. */
static const char libtorrent_add[] =
	"<?xml version=\"1.0\" encoding=\"utf-8\"?>"
	"<s:Envelope s:encodingStyle=\"http://schemas.xmlsoap.org/soap/encoding/\" "
	"xmlns:s=\"http://schemas.xmlsoap.org/soap/envelope/\">"
	"<s:Body><u:AddPortMapping xmlns:u=\"" WANIP "\">"
	"<NewRemoteHost></NewRemoteHost><NewExternalPort>6881</NewExternalPort>"
	"<NewProtocol>UDP</NewProtocol><NewInternalPort>6881</NewInternalPort>"
	"<NewInternalClient>10.100.0.2</NewInternalClient><NewEnabled>1</NewEnabled>"
	"<NewPortMappingDescription>libtorrent/2.0.8</NewPortMappingDescription>"
	"<NewLeaseDuration>3600</NewLeaseDuration></u:AddPortMapping></s:Body></s:Envelope>";

/* The ActionRequest document as ixmlDocumenttoString() prints it for the callback. */
static const char pupnp_add[] =
	"<?xml version=\"1.0\"?>\n"
	"<u:AddPortMapping xmlns:u=\"" WANIP "\">\n"
	"<NewRemoteHost></NewRemoteHost>\n<NewExternalPort>8043</NewExternalPort>\n"
	"<NewProtocol>TCP</NewProtocol>\n<NewInternalPort>8043</NewInternalPort>\n"
	"<NewInternalClient>10.100.0.2</NewInternalClient>\n<NewEnabled>1</NewEnabled>\n"
	"<NewPortMappingDescription>a&amp;b &lt;c&gt; &apos;d&apos; &quot;e&quot;"
	"</NewPortMappingDescription>\n<NewLeaseDuration>0</NewLeaseDuration>\n"
	"</u:AddPortMapping>\n";

static void test_parse_clients(void)
{
	struct uwg_igd_soap_msg m;

	CHECK_EQ_INT(parse(&m, upnpc_add), 0);
	CHECK(!strcmp(m.action, "AddPortMapping"));
	CHECK(!strcmp(m.ns, WANIP));
	CHECK_EQ_U64(m.n_args, 8);
	CHECK(!strcmp(m.args[0].name, "NewRemoteHost"));
	CHECK(!strcmp(m.args[0].value, ""));
	CHECK(!strcmp(uwg_igd_soap_arg(&m, "NewExternalPort"), "8043"));
	CHECK(!strcmp(uwg_igd_soap_arg(&m, "NewInternalClient"), "10.100.0.2"));
	CHECK(!strcmp(uwg_igd_soap_arg(&m, "NewPortMappingDescription"), "libminiupnpc"));
	CHECK(!strcmp(uwg_igd_soap_arg(&m, "NewLeaseDuration"), "0"));
	CHECK(uwg_igd_soap_arg(&m, "NewReservedPort") == NULL);

	CHECK_EQ_INT(parse(&m, libtorrent_add), 0);
	CHECK(!strcmp(m.action, "AddPortMapping"));
	CHECK(!strcmp(uwg_igd_soap_arg(&m, "NewProtocol"), "UDP"));
	CHECK(!strcmp(uwg_igd_soap_arg(&m, "NewPortMappingDescription"), "libtorrent/2.0.8"));

	CHECK_EQ_INT(parse(&m, pupnp_add), 0);
	CHECK(!strcmp(m.action, "AddPortMapping"));
	CHECK(!strcmp(m.ns, WANIP));
	CHECK_EQ_U64(m.n_args, 8);
	CHECK(!strcmp(uwg_igd_soap_arg(&m, "NewPortMappingDescription"),
		      "a&b <c> 'd' \"e\""));
}

static void test_parse_forms(void)
{
	struct uwg_igd_soap_msg m;

	/* Header skipped (with nesting), comments, empty-element args, CDATA, char refs */
	CHECK_EQ_INT(parse(&m, "\xef\xbb\xbf<!-- hi --><?xml version=\"1.0\"?>"
			       "<s:Envelope xmlns:s=\"x\"><s:Header><a><b/><c>]]></c></a></s:Header>"
			       "<!-- between --><s:Body><u:GetSpecificPortMappingEntry "
			       "xmlns:u='" WANIP "' other=\"a>b\">"
			       "<NewRemoteHost/><NewExternalPort> 80<!--c-->43 </NewExternalPort>"
			       "<NewProtocol><![CDATA[T<C>P]]></NewProtocol>"
			       "<NewX>&#65;&#x42;&#x63;&#8364;</NewX>"
			       "</u:GetSpecificPortMappingEntry></s:Body></s:Envelope>"),
		     0);
	CHECK(!strcmp(m.action, "GetSpecificPortMappingEntry"));
	CHECK(!strcmp(m.ns, WANIP));
	CHECK_EQ_U64(m.n_args, 4);
	CHECK(!strcmp(uwg_igd_soap_arg(&m, "NewRemoteHost"), ""));
	CHECK(!strcmp(uwg_igd_soap_arg(&m, "NewExternalPort"), " 8043 "));
	CHECK(!strcmp(uwg_igd_soap_arg(&m, "NewProtocol"), "T<C>P"));
	CHECK(!strcmp(uwg_igd_soap_arg(&m, "NewX"), "ABc?"));

	/* an action without arguments, empty element form, no namespace */
	CHECK_EQ_INT(parse(&m, "<GetExternalIPAddress/>"), 0);
	CHECK(!strcmp(m.action, "GetExternalIPAddress"));
	CHECK(!strcmp(m.ns, ""));
	CHECK_EQ_U64(m.n_args, 0);

	/* default namespace; prefixed argument names keep only their local part */
	CHECK_EQ_INT(parse(&m, "<GetStatusInfo xmlns=\"" WANIP "\"><p:NewA>1</p:NewA></GetStatusInfo>"),
		     0);
	CHECK(!strcmp(m.ns, WANIP));
	CHECK(!strcmp(m.args[0].name, "NewA"));

	/* a namespace we would not echo (quotes, spaces, not a urn) is dropped, not fatal */
	CHECK_EQ_INT(parse(&m, "<u:A xmlns:u=\"http://evil/&quot;\"></u:A>"), 0);
	CHECK(!strcmp(m.ns, ""));
	CHECK_EQ_INT(parse(&m, "<u:A xmlns:u=\"urn:a b\"></u:A>"), 0);
	CHECK(!strcmp(m.ns, ""));

	/* long values are truncated, NUL bytes become '?' */
	{
		char big[600], in[800];
		int n;

		memset(big, 'v', sizeof(big) - 1);
		big[sizeof(big) - 1] = '\0';
		n = snprintf(in, sizeof(in), "<A><B>%s</B></A>", big);
		CHECK_EQ_INT(uwg_igd_soap_parse(&m, in, (size_t)n), 0);
		CHECK_EQ_U64(strlen(m.args[0].value), UWG_IGD_SOAP_VALUE_MAX - 1);
		static const char nul[] = "<A><B>x\0y</B></A>";

		CHECK_EQ_INT(uwg_igd_soap_parse(&m, nul, sizeof(nul) - 1), 0);
		CHECK_MEM_EQ(m.args[0].value, "x?y", 4);
	}

	/* the length is honoured: nothing after len is read */
	CHECK_EQ_INT(uwg_igd_soap_parse(&m, "<A><B>1</B></A>garbage", 15), 0);
	CHECK_EQ_INT(uwg_igd_soap_parse(&m, "<A><B>1</B></A>", 10), -EINVAL);
}

static void test_parse_errors(void)
{
	static const char *const bad[] = {
		"",
		"   ",
		"text",
		"<",
		"<>",
		"<A",
		"<A><B>1</B>",                       /* no end tag */
		"<A><B>1</C></A>",                   /* mismatched */
		"<A><B>1</b></A>",                   /* names are case-sensitive */
		"<A><B><C>1</C></B></A>",            /* element inside an argument */
		"<A>stray<B>1</B></A>",              /* text between arguments */
		"<A><B>&bogus;</B></A>",
		"<A><B>&#;</B></A>",
		"<A><B>&#0;</B></A>",
		"<A><B>&#x110000;</B></A>",
		"<A><B>&#123456789;</B></A>",
		"<A><B>&amp</B></A>",
		"<A><B><![CDATA[x</B></A>",
		"<A><B><!-- x</B></A>",
		"<?xml version=\"1.0\"",
		"<!-- x",
		"<A b></A>",
		"<A b=c></A>",
		"<A b=\"c></A>",
		"<A b=\"<\"></A>",
		"<s:Envelope></s:Envelope>",         /* no Body */
		"<s:Envelope/>",
		"<s:Envelope><s:Body/></s:Envelope>",
		"<s:Envelope><s:Body></s:Body></s:Envelope>",
		"<s:Envelope><s:Header><x></s:Envelope>",
		"<:A></:A>",
		"<A:></A:>",
	};
	struct uwg_igd_soap_msg m;
	char many[4096], deep[4096];
	size_t n = 0;

	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		int err = parse(&m, bad[i]);

		if (err == 0)
			fprintf(stderr, "accepted: '%s'\n", bad[i]);
		CHECK(err == -EINVAL || err == -E2BIG);
		CHECK_EQ_U64(m.n_args, 0);
	}

	/* 17 arguments: one too many */
	n = (size_t)snprintf(many, sizeof(many), "<A>");
	for (int i = 0; i < UWG_IGD_SOAP_MAX_ARGS + 1; i++)
		n += (size_t)snprintf(many + n, sizeof(many) - n, "<N%d>1</N%d>", i, i);
	n += (size_t)snprintf(many + n, sizeof(many) - n, "</A>");
	CHECK_EQ_INT(uwg_igd_soap_parse(&m, many, n), -E2BIG);
	/* exactly the maximum is fine */
	n = (size_t)snprintf(many, sizeof(many), "<A>");
	for (int i = 0; i < UWG_IGD_SOAP_MAX_ARGS; i++)
		n += (size_t)snprintf(many + n, sizeof(many) - n, "<N%d>1</N%d>", i, i);
	n += (size_t)snprintf(many + n, sizeof(many) - n, "</A>");
	CHECK_EQ_INT(uwg_igd_soap_parse(&m, many, n), 0);
	CHECK_EQ_U64(m.n_args, UWG_IGD_SOAP_MAX_ARGS);

	/* a Header nested deeper than the limit */
	n = (size_t)snprintf(deep, sizeof(deep), "<s:Envelope><s:Header>");
	for (int i = 0; i < UWG_IGD_SOAP_MAX_DEPTH + 1; i++)
		n += (size_t)snprintf(deep + n, sizeof(deep) - n, "<h>");
	CHECK_EQ_INT(uwg_igd_soap_parse(&m, deep, n), -E2BIG);

	/* names longer than we keep */
	memset(deep, 'N', 200);
	deep[0] = '<';
	memcpy(deep + 200, "/>", 3);
	CHECK_EQ_INT(parse(&m, deep), -EINVAL);
}

static void test_args(void)
{
	uint16_t port;
	uint32_t u;
	uint8_t proto;
	struct in_addr a;
	bool b;

	CHECK_EQ_INT(uwg_igd_arg_port("8043", &port), 0);
	CHECK_EQ_U64(port, 8043);
	CHECK_EQ_INT(uwg_igd_arg_port(" \t65535\r\n", &port), 0);
	CHECK_EQ_U64(port, 65535);
	CHECK_EQ_INT(uwg_igd_arg_port("0", &port), 0);
	CHECK_EQ_U64(port, 0);
	CHECK_EQ_INT(uwg_igd_arg_port("65536", &port), 402);
	CHECK_EQ_INT(uwg_igd_arg_port("-1", &port), 402);
	CHECK_EQ_INT(uwg_igd_arg_port("", &port), 402);
	CHECK_EQ_INT(uwg_igd_arg_port("0x10", &port), 402);
	CHECK_EQ_INT(uwg_igd_arg_port("1 2", &port), 402);
	CHECK_EQ_INT(uwg_igd_arg_port("*", &port), 402);
	CHECK_EQ_INT(uwg_igd_arg_port(NULL, &port), 402);
	port = 7;
	CHECK_EQ_INT(uwg_igd_arg_port_or_wildcard(" * ", &port), 0);
	CHECK_EQ_U64(port, 0);
	CHECK_EQ_INT(uwg_igd_arg_port_or_wildcard("6881", &port), 0);
	CHECK_EQ_U64(port, 6881);
	CHECK_EQ_INT(uwg_igd_arg_port_or_wildcard("**", &port), 402);

	CHECK_EQ_INT(uwg_igd_arg_u32("4294967295", &u), 0);
	CHECK_EQ_U64(u, 4294967295u);
	CHECK_EQ_INT(uwg_igd_arg_u32("4294967296", &u), 402);
	CHECK_EQ_INT(uwg_igd_arg_u32("99999999999", &u), 402);
	CHECK_EQ_INT(uwg_igd_arg_u32("00000000001", &u), 402); /* 11 digits */
	CHECK_EQ_INT(uwg_igd_arg_u32("0000000001", &u), 0);
	CHECK_EQ_U64(u, 1);

	CHECK_EQ_INT(uwg_igd_arg_proto("TCP", &proto), 0);
	CHECK_EQ_U64(proto, IPPROTO_TCP);
	CHECK_EQ_INT(uwg_igd_arg_proto("udp", &proto), 0);
	CHECK_EQ_U64(proto, IPPROTO_UDP);
	CHECK_EQ_INT(uwg_igd_arg_proto(" tCp ", &proto), 0);
	CHECK_EQ_U64(proto, IPPROTO_TCP);
	CHECK_EQ_INT(uwg_igd_arg_proto("TCPX", &proto), 402);
	CHECK_EQ_INT(uwg_igd_arg_proto("UDPLITE", &proto), 402);
	CHECK_EQ_INT(uwg_igd_arg_proto("6", &proto), 402);
	CHECK_EQ_INT(uwg_igd_arg_proto("", &proto), 402);

	CHECK_EQ_INT(uwg_igd_arg_ipv4("10.100.0.2", &a), 0);
	CHECK_EQ_U64(ntohl(a.s_addr), 0x0a640002u);
	CHECK_EQ_INT(uwg_igd_arg_ipv4(" 203.0.114.1 ", &a), 0);
	CHECK_EQ_U64(ntohl(a.s_addr), 0xcb007201u);
	static const char *const bad_ip[] = { "10.100.0.256", "10.100.0", "10.100.0.2.1", "10..0.2",
					      "a.b.c.d", "1000.1.1.1", "host.example", "",
					      "10.100.0.2x", "::1" };
	for (size_t i = 0; i < ARRAY_SIZE(bad_ip); i++)
		CHECK_EQ_INT(uwg_igd_arg_ipv4(bad_ip[i], &a), 402);

	{
		struct in6_addr a6, want;
		static const char *const bad_ip6[] = { "", "  ", "fd00::1%eth0", "[fd00::1]",
						       "fd00:::1", "host.example", "10.100.0.2",
						       "fd00::1/64", "fd00::1 x", NULL };

		inet_pton(AF_INET6, "fd00:100::2", &want);
		CHECK_EQ_INT(uwg_igd_arg_ipv6("fd00:100::2", &a6), 0);
		CHECK(!memcmp(&a6, &want, 16));
		CHECK_EQ_INT(uwg_igd_arg_ipv6(" \tFD00:100:0:0:0:0:0:2\r\n", &a6), 0);
		CHECK(!memcmp(&a6, &want, 16));
		for (size_t i = 0; i < ARRAY_SIZE(bad_ip6); i++)
			CHECK_EQ_INT(uwg_igd_arg_ipv6(bad_ip6[i], &a6), 402);
	}

	CHECK_EQ_INT(uwg_igd_arg_bool("1", &b), 0);
	CHECK(b);
	CHECK_EQ_INT(uwg_igd_arg_bool("False", &b), 0);
	CHECK(!b);
	CHECK_EQ_INT(uwg_igd_arg_bool("YES", &b), 0);
	CHECK(b);
	CHECK_EQ_INT(uwg_igd_arg_bool("2", &b), 402);

	CHECK(uwg_igd_arg_remote_wildcard(NULL));
	CHECK(uwg_igd_arg_remote_wildcard(""));
	CHECK(uwg_igd_arg_remote_wildcard(" * "));
	CHECK(uwg_igd_arg_remote_wildcard("  "));
	CHECK(!uwg_igd_arg_remote_wildcard("1.2.3.4"));
	CHECK(!uwg_igd_arg_remote_wildcard("**"));

	CHECK(uwg_igd_ns_ok(WANIP));
	CHECK(!uwg_igd_ns_ok(""));
	CHECK(!uwg_igd_ns_ok("urn:"));
	CHECK(!uwg_igd_ns_ok("http://x"));
	CHECK(!uwg_igd_ns_ok("urn:a\"b"));
}

static void test_sanitize(void)
{
	char out[UWG_IGD_DESC_MAX];
	char longer[200];

	CHECK_EQ_U64(uwg_igd_sanitize_desc(out, sizeof(out), "Transmission at 51413"), 21);
	CHECK(!strcmp(out, "Transmission at 51413"));
	uwg_igd_sanitize_desc(out, sizeof(out), "a<b>c&d'e\"f\tg\x01h\x7f\xc3\xa9i");
	CHECK(!strcmp(out, "abcdefghi"));
	uwg_igd_sanitize_desc(out, sizeof(out), NULL);
	CHECK(!strcmp(out, ""));
	memset(longer, 'x', sizeof(longer) - 1);
	longer[sizeof(longer) - 1] = '\0';
	CHECK_EQ_U64(uwg_igd_sanitize_desc(out, sizeof(out), longer), UWG_IGD_DESC_MAX - 1);
	CHECK_EQ_U64(strlen(out), UWG_IGD_DESC_MAX - 1);
	CHECK_EQ_U64(uwg_igd_sanitize_desc(out, 1, "abc"), 0);
	CHECK(!strcmp(out, ""));
}

static void test_response(void)
{
	struct uwg_igd_buf b;
	struct uwg_igd_soap_msg m;
	char *text;
	size_t len;

	uwg_igd_buf_init(&b);
	uwg_igd_resp_begin(&b, "GetSpecificPortMappingEntry", WANIP);
	uwg_igd_resp_arg(&b, "NewInternalClient", "10.100.0.2");
	uwg_igd_resp_arg(&b, "NewPortMappingDescription", "a<b&'\"");
	uwg_igd_resp_arg_u32(&b, "NewLeaseDuration", 4294967295u);
	uwg_igd_resp_end(&b, "GetSpecificPortMappingEntry");
	text = uwg_igd_buf_take(&b, &len);
	CHECK(text != NULL);
	CHECK(!strcmp(text, "<u:GetSpecificPortMappingEntryResponse xmlns:u=\"" WANIP "\">\n"
			    "<NewInternalClient>10.100.0.2</NewInternalClient>\n"
			    "<NewPortMappingDescription>a&lt;b&amp;&apos;&quot;"
			    "</NewPortMappingDescription>\n"
			    "<NewLeaseDuration>4294967295</NewLeaseDuration>\n"
			    "</u:GetSpecificPortMappingEntryResponse>\n"));
	CHECK_EQ_U64(len, strlen(text));
	/* and it reads back */
	CHECK_EQ_INT(uwg_igd_soap_parse(&m, text, len), 0);
	CHECK(!strcmp(m.action, "GetSpecificPortMappingEntryResponse"));
	CHECK(!strcmp(uwg_igd_soap_arg(&m, "NewPortMappingDescription"), "a<b&'\""));
	free(text);

	/* CDATA: a "]]>" inside is split so the text survives */
	uwg_igd_buf_init(&b);
	uwg_igd_resp_arg_cdata(&b, "NewPortListing", "<p:x>]]></p:x>");
	text = uwg_igd_buf_take(&b, &len);
	CHECK(!strcmp(text, "<NewPortListing><![CDATA[<p:x>]]]]><![CDATA[></p:x>]]></NewPortListing>\n"));
	{
		char wrapped[256];

		snprintf(wrapped, sizeof(wrapped), "<A>%s</A>", text);
		CHECK_EQ_INT(parse(&m, wrapped), 0);
		CHECK(!strcmp(uwg_igd_soap_arg(&m, "NewPortListing"), "<p:x>]]></p:x>"));
	}
	free(text);

	/* an empty buffer is not a response */
	uwg_igd_buf_init(&b);
	CHECK(uwg_igd_buf_take(&b, NULL) == NULL);

	CHECK(!strcmp(uwg_igd_error_str(718), "ConflictInMappingEntry"));
	CHECK(!strcmp(uwg_igd_error_str(713), "SpecifiedArrayIndexInvalid"));
	CHECK(!strcmp(uwg_igd_error_str(606), "Action not authorized"));
	CHECK(!strcmp(uwg_igd_error_str(12345), "Action Failed"));
	CHECK(!strcmp(uwg_igd_error_str(701), "PinholeSpaceExhausted"));
	CHECK(!strcmp(uwg_igd_error_str(702), "FirewallDisabled"));
	CHECK(!strcmp(uwg_igd_error_str(703), "InboundPinholeNotAllowed"));
	CHECK(!strcmp(uwg_igd_error_str(704), "NoSuchEntry"));
	CHECK(!strcmp(uwg_igd_error_str(705), "ProtocolNotSupported"));
	CHECK(!strcmp(uwg_igd_error_str(706), "InternalPortWildcardingNotAllowed"));
	CHECK(!strcmp(uwg_igd_error_str(707), "ProtocolWildcardingNotAllowed"));
	CHECK(!strcmp(uwg_igd_error_str(708), "WildCardNotPermittedInSrcIP"));
	CHECK(!strcmp(uwg_igd_error_str(709), "NoTrafficReceived"));
	CHECK(!strcmp(uwg_igd_proto_str(IPPROTO_UDP), "UDP"));
	CHECK(!strcmp(uwg_igd_proto_str(1), ""));
}

/* Every element named tag in doc, as text, for the description checks. */
static int count_tag(IXML_Document *doc, const char *tag, const char *value)
{
	IXML_NodeList *l = ixmlDocument_getElementsByTagName(doc, tag);
	unsigned long n = l ? ixmlNodeList_length(l) : 0;
	int hits = 0;

	for (unsigned long i = 0; i < n; i++) {
		IXML_Node *t = ixmlNode_getFirstChild(ixmlNodeList_item(l, i));
		const char *v = t ? ixmlNode_getNodeValue(t) : "";

		if (!value || (v && !strcmp(v, value)))
			hits++;
	}
	if (l)
		ixmlNodeList_free(l);
	return hits;
}

static void test_descriptions(void)
{
	struct uwg_igd_desc_params p = { "uuid:0123abcd-0000-4000-8000-00000000000f", "Test & <Co>",
					 "9.9", 0, false };
	IXML_Document *doc = NULL;
	char udn[48];
	char *root;
	size_t len;

	CHECK(uwg_igd_uuid_ok("0123abcd-0000-4000-8000-00000000000f"));
	CHECK(uwg_igd_uuid_ok("UUID:0123ABCD-0000-4000-8000-00000000000F"));
	CHECK(!uwg_igd_uuid_ok("0123abcd-0000-4000-8000-00000000000"));
	CHECK(!uwg_igd_uuid_ok("0123abcd00000-4000-8000-00000000000f"));
	CHECK(!uwg_igd_uuid_ok("0123abcg-0000-4000-8000-00000000000f"));
	CHECK(!uwg_igd_uuid_ok(NULL));

	/* embedded devices bump the last digit, wrapping f -> 0 */
	uwg_igd_udn(udn, p.uuid, 0);
	CHECK(!strcmp(udn, "uuid:0123abcd-0000-4000-8000-00000000000f"));
	uwg_igd_udn(udn, p.uuid, 1);
	CHECK(!strcmp(udn, "uuid:0123abcd-0000-4000-8000-000000000000"));
	uwg_igd_udn(udn, "0123ABCD-0000-4000-8000-00000000000A", 2);
	CHECK(!strcmp(udn, "uuid:0123abcd-0000-4000-8000-00000000000c"));

	root = uwg_igd_desc_root(&p, &len);
	CHECK(root != NULL);
	CHECK_EQ_U64(len, strlen(root));
	CHECK_EQ_INT(ixmlParseBufferEx(root, &doc), IXML_SUCCESS);
	if (doc) {
		CHECK_EQ_INT(count_tag(doc, "deviceType",
				       "urn:schemas-upnp-org:device:InternetGatewayDevice:1"), 1);
		CHECK_EQ_INT(count_tag(doc, "deviceType", "urn:schemas-upnp-org:device:WANDevice:1"),
			     1);
		CHECK_EQ_INT(count_tag(doc, "deviceType",
				       "urn:schemas-upnp-org:device:WANConnectionDevice:1"), 1);
		CHECK_EQ_INT(count_tag(doc, "serviceType",
				       "urn:schemas-upnp-org:service:WANCommonInterfaceConfig:1"), 1);
		CHECK_EQ_INT(count_tag(doc, "serviceType", WANIP), 1);
		CHECK_EQ_INT(count_tag(doc, "serviceType",
				       "urn:schemas-upnp-org:service:Layer3Forwarding:1"), 1);
		CHECK_EQ_INT(count_tag(doc, "controlURL", "/ctl/IPConn"), 1);
		CHECK_EQ_INT(count_tag(doc, "SCPDURL", "/scpd/WANIPCn.xml"), 1);
		CHECK_EQ_INT(count_tag(doc, "UDN", NULL), 3);
		CHECK_EQ_INT(count_tag(doc, "UDN", "uuid:0123abcd-0000-4000-8000-000000000001"), 1);
		CHECK_EQ_INT(count_tag(doc, "friendlyName", "Test & <Co>"), 1);
		CHECK_EQ_INT(count_tag(doc, "modelNumber", "9.9"), 3);
		CHECK_EQ_INT(count_tag(doc, "URLBase", NULL), 0); /* pupnp adds it */
		ixmlDocument_free(doc);
	}
	free(root);

	/* the IPv6 trees: IGD:2 (Syncthing's chain) and IGD:1, both with the firewall service */
	for (unsigned version = 1; version <= 2; version++) {
		const char *v = version == 2 ? "2" : "1";
		char want[96];

		p.version = version;
		p.firewall = true;
		root = uwg_igd_desc_root(&p, &len);
		doc = NULL;
		CHECK(root != NULL);
		CHECK_EQ_INT(ixmlParseBufferEx(root, &doc), IXML_SUCCESS);
		if (doc) {
			static const char *const devs[] = { "InternetGatewayDevice", "WANDevice",
							    "WANConnectionDevice" };

			for (size_t i = 0; i < ARRAY_SIZE(devs); i++) {
				snprintf(want, sizeof(want), "urn:schemas-upnp-org:device:%s:%s",
					 devs[i], v);
				CHECK_EQ_INT(count_tag(doc, "deviceType", want), 1);
			}
			snprintf(want, sizeof(want), "urn:schemas-upnp-org:service:WANIPConnection:%s",
				 v);
			CHECK_EQ_INT(count_tag(doc, "serviceType", want), 1);
			CHECK_EQ_INT(count_tag(doc, "serviceType",
					       "urn:schemas-upnp-org:service:WANIPv6FirewallControl:1"),
				     1);
			CHECK_EQ_INT(count_tag(doc, "serviceId",
					       "urn:upnp-org:serviceId:WANIPv6Firewall1"), 1);
			CHECK_EQ_INT(count_tag(doc, "controlURL", "/ctl/IP6FCtl"), 1);
			CHECK_EQ_INT(count_tag(doc, "SCPDURL", "/scpd/WANIP6FC.xml"), 1);
			CHECK_EQ_INT(count_tag(doc, "serviceType",
					       "urn:schemas-upnp-org:service:WANCommonInterfaceConfig:1"),
				     1);
			CHECK_EQ_INT(count_tag(doc, "serviceType", NULL), 4);
			CHECK_EQ_INT(count_tag(doc, "UDN", NULL), 3);
			/* the firewall sits in the WANConnectionDevice, beside WANIPConnection */
			CHECK(strstr(root, "WANConnectionDevice:") < strstr(root, "WANIPv6FirewallControl"));
			ixmlDocument_free(doc);
		}
		free(root);
	}
	p.version = 0;
	p.firewall = false;
	p.uuid = "not-a-uuid";
	CHECK(uwg_igd_desc_root(&p, NULL) == NULL);

	for (int s = 0; s < UWG_IGD_SVC_COUNT; s++) {
		const char *names[32];
		size_t n = uwg_igd_desc_actions((enum uwg_igd_service)s, names, ARRAY_SIZE(names));
		char *scpd = uwg_igd_desc_scpd((enum uwg_igd_service)s, &len);

		doc = NULL;
		CHECK(scpd != NULL);
		CHECK_EQ_INT(ixmlParseBufferEx(scpd, &doc), IXML_SUCCESS);
		if (doc) {
			CHECK_EQ_INT(count_tag(doc, "action", NULL), (int)n);
			for (size_t i = 0; i < n && i < ARRAY_SIZE(names); i++)
				CHECK_EQ_INT(count_tag(doc, "name", names[i]), 1);
			ixmlDocument_free(doc);
		}
		free(scpd);
		CHECK_EQ_INT(uwg_igd_service_by_id(uwg_igd_service_info((enum uwg_igd_service)s)->id),
			     s);
		CHECK_EQ_INT(
			uwg_igd_service_by_scpd(uwg_igd_service_info((enum uwg_igd_service)s)->scpd_path),
			s);
	}
	CHECK(uwg_igd_desc_has_action(UWG_IGD_SVC_WANIP, "AddAnyPortMapping"));
	CHECK(uwg_igd_desc_has_action(UWG_IGD_SVC_WANIP, "GetListOfPortMappings"));
	CHECK(uwg_igd_desc_has_action(UWG_IGD_SVC_CIF, "GetTotalPacketsReceived"));
	CHECK(!uwg_igd_desc_has_action(UWG_IGD_SVC_CIF, "AddPortMapping"));
	CHECK_EQ_U64(uwg_igd_desc_actions(UWG_IGD_SVC_WANIP, NULL, 0), 14);
	CHECK_EQ_U64(uwg_igd_desc_actions(UWG_IGD_SVC_FW6, NULL, 0), 7);
	CHECK(uwg_igd_desc_has_action(UWG_IGD_SVC_FW6, "AddPinhole"));
	CHECK(!uwg_igd_desc_has_action(UWG_IGD_SVC_WANIP, "AddPinhole"));
	{
		char *scpd = uwg_igd_desc_scpd(UWG_IGD_SVC_FW6, &len);

		/* UpdatePinhole's lease is NewLeaseTime; leases are 1..86400 */
		CHECK(scpd && strstr(scpd, "<name>NewLeaseTime</name><direction>in</direction>"
					   "<relatedStateVariable>A_ARG_TYPE_LeaseTime") != NULL);
		CHECK(scpd && strstr(scpd, "<name>A_ARG_TYPE_LeaseTime</name><dataType>ui4</dataType>"
					   "<allowedValueRange><minimum>1</minimum><maximum>86400"
					   "</maximum>") != NULL);
		free(scpd);
	}
	CHECK_EQ_INT(uwg_igd_service_by_ctl("/ctl/IP6FCtl"), UWG_IGD_SVC_FW6);
	CHECK_EQ_INT(uwg_igd_service_by_scpd("/scpd/WANIPCn.xml?x=1"), UWG_IGD_SVC_WANIP);
	CHECK_EQ_INT(uwg_igd_service_by_scpd("/scpd/WANIPCn.xmlx"), -1);
	CHECK_EQ_INT(uwg_igd_service_by_scpd("/scpd/../etc/passwd"), -1);
	CHECK_EQ_INT(uwg_igd_service_by_id("urn:upnp-org:serviceId:WANIPConn2"), -1);
	CHECK_EQ_INT(uwg_igd_service_by_id(NULL), -1);
}

int main(void)
{
	test_parse_clients();
	test_parse_forms();
	test_parse_errors();
	test_args();
	test_sanitize();
	test_response();
	test_descriptions();
	return harness_report("test_igd_soap");
}
