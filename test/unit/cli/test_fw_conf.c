/*
 * test/unit/cli/test_fw_conf.c - the IPv6 firewall keys of a uwg config
 * (cli/uapi/fw_conf.c) through the real config parser: both keys, case,
 * exact one-line errors, SaveConfig lines, which peers it applies to, and
 * the fw6_* UAPI lines both ways.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/config.h"
#include "cli/uapi/fw_conf.h"
#include "crypto/encoding.h"
#include "test/harness.h"

#define KEY "yAnz5TF+lXXJte14tji3zlMNq+hd2rYUIgJBgB3fBmk="
#define PEER_A "xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg="
#define PEER_B "TrMvSoP4jYQlY6RIzBgbssQqY3vxI2Pi+y71lOWWXX0="

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
	char err[UWG_CONF_ERR_LEN];
	uint8_t a[32], b[32];

	CHECK(uwg_key_from_base64(a, PEER_A) && uwg_key_from_base64(b, PEER_B));
	CHECK_EQ_INT(parse(&c, "Address = 10.100.0.1/24\n", err), 0);
	CHECK(!uwg_fw_settings_active(&c.fw) && !c.fw.has_enable && !c.has_own_keys);
	uwg_conf_free(&c);

	CHECK_EQ_INT(parse(&c, "ipv6firewall = ON\n", err), 0);
	CHECK(c.fw.enable && c.fw.has_enable && c.has_own_keys);
	CHECK_EQ_INT(c.fw.line_enable, 3);
	CHECK(uwg_fw_settings_applies(&c.fw, a) && uwg_fw_settings_applies(&c.fw, b));
	uwg_conf_free(&c);

	/* on, except A: B filtered, A not; the list takes commas, blanks and repeats */
	CHECK_EQ_INT(parse(&c, "IPv6Firewall = on\nIPv6FirewallExcept = " PEER_A ",\n"
			       "IPv6FirewallExcept = " PEER_A " " PEER_A "\n", err), 0);
	CHECK_EQ_U64(c.fw.n_except, 1);
	CHECK(!uwg_fw_settings_applies(&c.fw, a) && uwg_fw_settings_applies(&c.fw, b));
	uwg_conf_free(&c);

	/* off, except B: only B filtered, and the firewall is active */
	CHECK_EQ_INT(parse(&c, "IPv6Firewall = off\nIPv6FirewallExcept = " PEER_B "\n", err), 0);
	CHECK(uwg_fw_settings_active(&c.fw));
	CHECK(!uwg_fw_settings_applies(&c.fw, a) && uwg_fw_settings_applies(&c.fw, b));
	uwg_conf_free(&c);

	CHECK(parse(&c, "IPv6Firewall = maybe\n", err) < 0);
	CHECK_EQ_STR(err, "wg0.conf:3: IPv6Firewall: \"maybe\" is neither on nor off");
	uwg_conf_free(&c);
	CHECK(parse(&c, "IPv6FirewallExcept = " PEER_A ", nokey\n", err) < 0);
	CHECK(strstr(err, "wg0.conf:3: IPv6FirewallExcept: \"nokey\" is not a public key") == err);
	uwg_conf_free(&c);
}

static void test_write_and_uapi(void)
{
	struct uwg_conf c;
	struct uwg_fw_settings d = { 0 };
	char err[UWG_CONF_ERR_LEN], *text = NULL, *req;
	size_t len = 0, n;
	uint8_t a[32], b[32];
	char hex_a[UWG_KEY_HEX_LEN], hex_b[UWG_KEY_HEX_LEN], line[128];
	FILE *f;

	CHECK(uwg_key_from_base64(a, PEER_A) && uwg_key_from_base64(b, PEER_B));
	uwg_key_to_hex(hex_a, a);
	uwg_key_to_hex(hex_b, b);
	CHECK_EQ_INT(parse(&c, "IPv6Firewall = on\nIPv6FirewallExcept = " PEER_A ", " PEER_B "\n",
			   err), 0);
	f = open_memstream(&text, &len);
	CHECK(f != NULL);
	if (f) {
		uwg_fw_conf_write(f, &c.fw);
		fclose(f);
		CHECK_EQ_STR(text, "IPv6Firewall = on\nIPv6FirewallExcept = " PEER_A
				   "\nIPv6FirewallExcept = " PEER_B "\n");
		free(text);
	}
	req = uwg_fw_conf_format_set(&c.fw, &n);
	snprintf(line, sizeof(line), "fw6_except=%s\n", hex_b);
	CHECK(req && !strncmp(req, "set=1\nfw6_enable=true\nfw6_except=", 33) && strstr(req, line));
	free(req);
	uwg_conf_free(&c);

	/* the daemon's side: fw6_enable starts over, -HEX removes, bad values fail */
	CHECK_EQ_INT(uwg_fw_conf_uapi_key(&d, "fw6_except", hex_a), 0);
	CHECK_EQ_INT(uwg_fw_conf_uapi_key(&d, "fw6_except", hex_b), 0);
	CHECK_EQ_U64(d.n_except, 2);
	snprintf(line, sizeof(line), "-%s", hex_a);
	CHECK_EQ_INT(uwg_fw_conf_uapi_key(&d, "fw6_except", line), 0);
	CHECK_EQ_U64(d.n_except, 1);
	CHECK(!memcmp(d.except[0], b, 32));
	CHECK_EQ_INT(uwg_fw_conf_uapi_key(&d, "fw6_enable", "true"), 0);
	CHECK(d.enable && d.n_except == 0);
	CHECK_EQ_INT(uwg_fw_conf_uapi_key(&d, "fw6_enable", "yes"), -EINVAL);
	CHECK_EQ_INT(uwg_fw_conf_uapi_key(&d, "fw6_except", "zz"), -EINVAL);
	CHECK_EQ_INT(uwg_fw_conf_uapi_key(&d, "fw6_other", "1"), -ENOENT);
	uwg_fw_settings_free(&d);
}

int main(void)
{
	test_keys();
	test_write_and_uapi();
	return harness_report("test_fw_conf");
}
