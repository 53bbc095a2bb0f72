/*
 * test/unit/cli/test_igd_conf.c - the UPnP keys of a uwg config (cli/uapi/igd_conf.c)
 * through the real config parser: every key, case, exact one-line errors,
 * UPnP = on turning the NAT on, SaveConfig lines, the upnp* UAPI lines both
 * ways, and the upnp_map report lines.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "cli/config.h"
#include "cli/uapi/igd_conf.h"
#include "test/harness.h"

#define KEY "yAnz5TF+lXXJte14tji3zlMNq+hd2rYUIgJBgB3fBmk="

static int parse(struct uwg_conf *c, const char *body, char *err)
{
	char text[2048];

	snprintf(text, sizeof(text), "[Interface]\nPrivateKey = " KEY "\n%s", body);
	uwg_conf_init(c);
	err[0] = '\0';
	return uwg_conf_parse(c, "wg0.conf", text, strlen(text), err, UWG_CONF_ERR_LEN);
}

static void test_keys(void)
{
	struct uwg_conf c;
	char err[UWG_CONF_ERR_LEN], buf[UWG_IGD_RULE_TEXT_MAX];

	CHECK_EQ_INT(parse(&c, "Address = 10.100.0.1/24\n", err), 0);
	CHECK(!c.igd.enable && !c.igd.has_enable && !c.nat.enable);
	uwg_conf_free(&c);

	CHECK_EQ_INT(parse(&c, "upnp = ON\n", err), 0);
	CHECK(c.igd.enable && c.igd.has_enable);
	CHECK_EQ_INT(c.igd.line_enable, 3);
	CHECK(c.nat.enable); /* the IGD maps ports in the NAT */
	CHECK(!c.nat.masquerade);
	uwg_conf_free(&c);

	CHECK_EQ_INT(parse(&c, "UPnP = off\nUPnPMaxMapsPerPeer = 7\n"
			       "UPnPAllow = 1024-65535 10.100.0.0/24 1024-65535\n"
			       "UPnPDeny = 0-65535 0.0.0.0/0 0-65535\n"
			       "UPnPExternalAddress = 198.51.100.7\n",
			   err),
		     0);
	CHECK(!c.igd.enable && c.igd.has_enable && !c.nat.enable);
	CHECK_EQ_INT(c.igd.max_per_peer, 7);
	CHECK_EQ_INT(c.igd.n_rules, 2);
	CHECK(c.igd.rules[0].allow && !c.igd.rules[1].allow);
	CHECK_EQ_INT(c.igd.rules[0].ext_min, 1024);
	CHECK_EQ_U64(c.igd.rules[0].net_h, 0x0a640000u);
	CHECK_EQ_U64(c.igd.rules[0].mask_h, 0xffffff00u);
	uwg_igd_rule_format(&c.igd.rules[1], buf, sizeof(buf));
	CHECK(!strcmp(buf, "deny 0-65535 0.0.0.0/0 0-65535"));
	CHECK_EQ_U64(c.igd.ext_addr, 0xc6336407u);
	{
		char *text = NULL;
		size_t len = 0;
		FILE *f = open_memstream(&text, &len);

		uwg_igd_conf_write(f, &c.igd);
		fclose(f);
		CHECK(!strcmp(text, "UPnP = off\nUPnPMaxMapsPerPeer = 7\n"
				    "UPnPExternalAddress = 198.51.100.7\n"
				    "UPnPAllow = 1024-65535 10.100.0.0/24 1024-65535\n"
				    "UPnPDeny = 0-65535 0.0.0.0/0 0-65535\n"));
		free(text);
	}
	uwg_conf_free(&c);

	/* Each bad value: one line naming file, line and key. */
	static const struct {
		const char *body, *err;
	} bad[] = {
		{ "UPnP = maybe\n", "wg0.conf:3: UPnP: \"maybe\" is neither on nor off" },
		{ "UPnPMaxMapsPerPeer = 0\n",
		  "wg0.conf:3: UPnPMaxMapsPerPeer: \"0\" is not a number of port maps (expected "
		  "1-1024)" },
		{ "UPnPMaxMapsPerPeer = 2000\n", "wg0.conf:3: UPnPMaxMapsPerPeer: \"2000\"" },
		{ "UPnPMaxMapsPerPeer = -1\n", "wg0.conf:3: UPnPMaxMapsPerPeer: \"-1\"" },
		{ "UPnPAllow = 1024-65535 10.100.0.0/24\n", "wg0.conf:3: UPnPAllow: \"1024-65535 " },
		{ "UPnPDeny = 2000-1000 10.0.0.0/8 1-2\n", "wg0.conf:3: UPnPDeny: \"2000-1000" },
		{ "UPnPAllow = 1-2 10.0.0.1/8 1-2\n", "wg0.conf:3: UPnPAllow:" }, /* host bits */
		{ "UPnPAllow = 1-2 10.0.0.0/8 1-2 extra\n", "wg0.conf:3: UPnPAllow:" },
		{ "UPnPExternalAddress = 224.0.0.1\n",
		  "wg0.conf:3: UPnPExternalAddress: \"224.0.0.1\" is not a unicast IPv4 address" },
		{ "UPnPExternalAddress = 1.2.3\n", "wg0.conf:3: UPnPExternalAddress:" },
	};
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		CHECK_EQ_INT(parse(&c, bad[i].body, err), -EINVAL);
		if (strncmp(err, bad[i].err, strlen(bad[i].err)))
			fprintf(stderr, "  case %zu: %s\n", i, err);
		CHECK(!strncmp(err, bad[i].err, strlen(bad[i].err)));
		CHECK(!strchr(err, '\n'));
		uwg_conf_free(&c);
	}

	/* 32 rules fit, the 33rd does not. */
	{
		char body[4096] = "";

		for (int i = 0; i < UWG_IGD_MAX_RULES + 1; i++)
			strcat(body, "UPnPAllow = 1024-65535 10.0.0.0/8 1024-65535\n");
		CHECK_EQ_INT(parse(&c, body, err), -EINVAL);
		CHECK(strstr(err, "wg0.conf:35: UPnPAllow: too many rules") != NULL);
		uwg_conf_free(&c);
	}

	/* The check `uwg up` makes: the IGD needs an IPv4 tunnel address. */
	CHECK_EQ_INT(parse(&c, "UPnP = on\nAddress = fd00::1/64\n", err), 0);
	CHECK_EQ_INT(uwg_igd_conf_check(&c.igd, false, "wg0.conf", err, sizeof(err)), -EINVAL);
	CHECK(!strcmp(err, "wg0.conf:3: UPnP: needs an IPv4 Address on the interface (the IGD "
			   "listens on the tunnel's IPv4 address)"));
	CHECK_EQ_INT(uwg_igd_conf_check(&c.igd, true, "wg0.conf", err, sizeof(err)), 0);
	uwg_conf_free(&c);

	/* NATPMP follows UPnP unless written; alone it runs port mapping without the IGD. */
	CHECK_EQ_INT(parse(&c, "UPnP = on\n", err), 0);
	CHECK(c.igd.enable && !c.igd.igd_off && !c.igd.natpmp_off && c.nat.enable);
	uwg_conf_free(&c);
	CHECK_EQ_INT(parse(&c, "UPnP = on\nNATPMP = off\n", err), 0);
	CHECK(c.igd.enable && !c.igd.igd_off && c.igd.natpmp_off);
	uwg_conf_free(&c);
	CHECK_EQ_INT(parse(&c, "natpmp = on\nAddress = fd00::1/64\n", err), 0);
	CHECK(c.igd.enable && c.igd.igd_off && !c.igd.natpmp_off && c.nat.enable);
	CHECK_EQ_INT(uwg_igd_conf_check(&c.igd, false, "wg0.conf", err, sizeof(err)), -EINVAL);
	CHECK_EQ_STR(err, "wg0.conf:3: NATPMP: needs an IPv4 Address on the interface (NAT-PMP "
			  "and PCP listen on the tunnel's IPv4 address)");
	{
		size_t len;
		char *text = uwg_igd_conf_format_set(&c.igd, &len);

		CHECK_EQ_STR(text ? text : "", "set=1\nupnp=true\nupnp_igd=false\n"
					       "upnp_pcp=false\nupnp_max_maps_per_peer=16\n\n");
		free(text);
	}
	uwg_conf_free(&c);
	CHECK_EQ_INT(parse(&c, "NATPMP = maybe\n", err), -EINVAL);
	CHECK(strstr(err, "wg0.conf:3: NATPMP: \"maybe\" is neither on nor off") != NULL);
	uwg_conf_free(&c);
	CHECK_EQ_INT(parse(&c, "UPnP = off\nNATPMP = off\n", err), 0);
	CHECK(!c.igd.enable && !c.nat.enable);
	uwg_conf_free(&c);
	/* NAT-PMP's and PCP's lifetime bounds */
	CHECK_EQ_INT(parse(&c, "UPnP = on\nPortMapLifetime = 60-3600\n", err), 0);
	CHECK(c.igd.life_min == 60 && c.igd.life_max == 3600);
	{
		size_t len;
		char *text = uwg_igd_conf_format_set(&c.igd, &len);

		CHECK(text && strstr(text, "\nupnp_lifetime=60-3600\n"));
		free(text);
	}
	uwg_conf_free(&c);
	for (size_t i = 0; i < 4; i++) {
		static const char *const ranges[] = { "0-10", "10-5", "60", "1-604801" };
		char body[64];

		snprintf(body, sizeof(body), "PortMapLifetime = %s\n", ranges[i]);
		CHECK_EQ_INT(parse(&c, body, err), -EINVAL);
		CHECK(strstr(err, "wg0.conf:3: PortMapLifetime: ") != NULL);
		uwg_conf_free(&c);
	}
	/* PCP follows UPnP too, and alone serves PCP without NAT-PMP */
	CHECK_EQ_INT(parse(&c, "UPnP = on\nPCP = off\n", err), 0);
	CHECK(c.igd.enable && !c.igd.natpmp_off && c.igd.pcp_off);
	uwg_conf_free(&c);
	CHECK_EQ_INT(parse(&c, "PCP = on\n", err), 0);
	CHECK(c.igd.enable && c.igd.igd_off && c.igd.natpmp_off && !c.igd.pcp_off);
	CHECK_EQ_INT(uwg_igd_conf_check(&c.igd, false, "wg0.conf", err, sizeof(err)), -EINVAL);
	CHECK(strstr(err, "wg0.conf:3: PCP: needs an IPv4 Address") != NULL);
	uwg_conf_free(&c);
}

static void test_uapi(void)
{
	struct uwg_igd_settings s = { 0 }, d = { 0 };
	char *text, *save = NULL;
	size_t len;

	s.enable = true;
	s.max_per_peer = 5;
	s.ext_addr = 0xcb007202u;
	CHECK_EQ_INT(uwg_igd_rule_parse(&s.rules[s.n_rules++], "deny 5000-5999 10.100.0.0/24 1-65535"),
		     0);
	text = uwg_igd_conf_format_set(&s, &len);
	CHECK(text != NULL);
	CHECK(!strcmp(text, "set=1\nupnp=true\nupnp_max_maps_per_peer=5\n"
			    "upnp_external_address=203.0.114.2\n"
			    "upnp_rule=deny 5000-5999 10.100.0.0/24 1-65535\n\n"));
	CHECK_EQ_U64(len, strlen(text));
	/* The daemon's side reads them back into the same settings. */
	for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *eq = strchr(line, '=');

		if (!eq || !strcmp(line, "set=1"))
			continue;
		*eq = '\0';
		CHECK_EQ_INT(uwg_igd_conf_uapi_key(&d, line, eq + 1), 0);
	}
	free(text);
	CHECK(d.enable);
	CHECK_EQ_INT(d.max_per_peer, 5);
	CHECK_EQ_U64(d.ext_addr, 0xcb007202u);
	CHECK_EQ_INT(d.n_rules, 1);
	CHECK(!memcmp(&d.rules[0], &s.rules[0], sizeof(d.rules[0])));

	CHECK_EQ_INT(uwg_igd_conf_uapi_key(&d, "upnp_natpmp", "false"), 0);
	CHECK(d.natpmp_off && !d.igd_off);
	CHECK_EQ_INT(uwg_igd_conf_uapi_key(&d, "upnp_igd", "false"), 0);
	CHECK(d.igd_off);
	CHECK_EQ_INT(uwg_igd_conf_uapi_key(&d, "upnp_natpmp", "true"), 0);
	CHECK(!d.natpmp_off);
	CHECK_EQ_INT(uwg_igd_conf_uapi_key(&d, "upnp_natpmp", "on"), -EINVAL);
	CHECK_EQ_INT(uwg_igd_conf_uapi_key(&d, "upnp_lifetime", "120-86400"), 0);
	CHECK(d.life_min == 120 && d.life_max == 86400);
	CHECK_EQ_INT(uwg_igd_conf_uapi_key(&d, "upnp_lifetime", "5-1"), -EINVAL);
	CHECK_EQ_INT(uwg_igd_conf_uapi_key(&d, "upnp_pcp", "false"), 0);
	CHECK(d.pcp_off && !d.natpmp_off);
	CHECK_EQ_INT(uwg_igd_conf_uapi_key(&d, "upnp", "on"), -EINVAL);
	CHECK_EQ_INT(uwg_igd_conf_uapi_key(&d, "upnp_max_maps_per_peer", "0"), -EINVAL);
	CHECK_EQ_INT(uwg_igd_conf_uapi_key(&d, "upnp_rule", "allow 1 2 3"), -EINVAL);
	CHECK_EQ_INT(uwg_igd_conf_uapi_key(&d, "upnp_external_address", "127.0.0.1"), -EINVAL);
	CHECK_EQ_INT(uwg_igd_conf_uapi_key(&d, "nat_enable", "true"), -ENOENT);
	while (d.n_rules < UWG_IGD_MAX_RULES)
		CHECK_EQ_INT(uwg_igd_conf_uapi_key(&d, "upnp_rule", "allow 1-2 0.0.0.0/0 1-2"), 0);
	CHECK_EQ_INT(uwg_igd_conf_uapi_key(&d, "upnp_rule", "allow 1-2 0.0.0.0/0 1-2"), -ENOSPC);

	memset(&s, 0, sizeof(s));
	text = uwg_igd_conf_format_set(&s, &len);
	CHECK(text && !strcmp(text, "set=1\nupnp=false\n\n"));
	free(text);
}

static void test_map_lines(void)
{
	struct uwg_igd_map_line m = { 0 }, b;
	char buf[256];

	m.proto = IPPROTO_UDP;
	m.ext_port = 6881;
	m.int_addr = 0x0a640002u;
	m.int_port = 51413;
	m.lease_left_s = 3599;
	strcpy(m.owner, "HIgo9xNzJMWLKASShiTqIybxZ0U3wGLiUeJ1PKf8ykw=");
	strcpy(m.origin, "natpmp");
	strcpy(m.desc, "Transmission at 51413: a:b");
	uwg_igd_conf_format_map(&m, buf, sizeof(buf));
	CHECK_EQ_STR(buf, "udp:6881:10.100.0.2:51413:3599:"
			  "HIgo9xNzJMWLKASShiTqIybxZ0U3wGLiUeJ1PKf8ykw=:natpmp:Transmission at 51413: a:b");
	CHECK(uwg_igd_conf_parse_map(&b, buf));
	CHECK(!memcmp(&b, &m, sizeof(m)));
	CHECK(uwg_igd_conf_parse_map(&b, "tcp:1:10.0.0.1:2:0:::"));
	CHECK(b.owner[0] == '\0' && b.origin[0] == '\0' && b.desc[0] == '\0' &&
	      b.lease_left_s == 0);

	static const char *const bad[] = {
		"", "tcp", "icmp:1:10.0.0.1:2:0:::", "tcp:0:10.0.0.1:2:0:::", "tcp:1:10.0.0:2:0:::",
		"tcp:1:10.0.0.1:65536:0:::", "tcp:1:10.0.0.1:2:-1:::", "tcp:1:10.0.0.1:2:0",
		"tcp:1:10.0.0.1:2:x:::", "tcp:1:10.0.0.1:2:0::", "tcp:1:10.0.0.1:2:0:K:longerthan7:d",
	};
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
		CHECK(!uwg_igd_conf_parse_map(&b, bad[i]));
}

int main(void)
{
	test_keys();
	test_uapi();
	test_map_lines();
	return harness_report("test_igd_conf");
}
