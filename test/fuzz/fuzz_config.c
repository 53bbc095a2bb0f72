/*
 * test/fuzz/fuzz_config.c - libFuzzer harness for the text parsers of
 * `uwg up`: the wg-quick config parser (errors must be one line naming the
 * file), and the same bytes as a UAPI get reply, then everything printed
 * back (set request, showconf, show, dump) so the printers see odd models.
 * No DNS lookups: endpoints stay unresolved.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cmd_main.h"
#include "cli/config.h"
#include "cli/uapi_client.h"
#include "crypto/crypto.h"
#include "crypto/ct.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void print_all(struct uwg_conf *c)
{
	char *buf = NULL, *text;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	text = uwg_uapi_client_format_set(c, &len);
	if (text) {
		uwg_memzero(text, len);
		free(text);
	}
	if (!f)
		return;
	uwg_cmd_showconf_write(f, c, false);
	uwg_cmd_show_field(f, "fuzz0", c, "dump", true);
	uwg_cmd_show_field(f, "fuzz0", c, "allowed-ips", false);
	uwg_cmd_show_pretty(f, "fuzz0", c, true, 1700000000);
	fclose(f);
	free(buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool init;
	struct uwg_conf c;
	char err[UWG_CONF_ERR_LEN];

	if (!init) {
		if (uwg_crypto_init() < 0)
			abort();
		init = true;
	}
	uwg_conf_init(&c);
	err[0] = '\0';
	if (uwg_conf_parse(&c, "fuzz.conf", (const char *)data, size, err, sizeof(err)) == 0) {
		print_all(&c);
	} else if (strncmp(err, "fuzz.conf:", 10) || strchr(err, '\n')) {
		abort();
	}
	uwg_conf_free(&c);

	uwg_conf_init(&c);
	if (uwg_uapi_client_parse_get(&c, (const char *)data, size) == 0)
		print_all(&c);
	uwg_conf_free(&c);
	return 0;
}
