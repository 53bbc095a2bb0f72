/*
 * cli/uapi/fw_conf.c - the IPv6 firewall's configuration keys and their UAPI
 * lines (see cli/uapi/fw_conf.h). Main thread (config side) or loop thread
 * (parser); no globals.
 */
#include "cli/uapi/fw_conf.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cli/uapi/text.h"
#include "crypto/encoding.h"

static const char *const fw_keys[] = { "IPv6Firewall", "IPv6FirewallExcept" };

void uwg_fw_settings_free(struct uwg_fw_settings *s)
{
	free(s->except);
	memset(s, 0, sizeof(*s));
}

bool uwg_fw_settings_copy(struct uwg_fw_settings *dst, const struct uwg_fw_settings *src)
{
	*dst = *src;
	dst->except = NULL;
	if (!src->n_except)
		return true;
	dst->except = malloc(src->n_except * sizeof(*dst->except));
	if (!dst->except) {
		memset(dst, 0, sizeof(*dst));
		return false;
	}
	memcpy(dst->except, src->except, src->n_except * sizeof(*dst->except));
	return true;
}

static ssize_t find_except(const struct uwg_fw_settings *s, const uint8_t key[32])
{
	for (size_t i = 0; i < s->n_except; i++)
		if (!memcmp(s->except[i], key, 32))
			return (ssize_t)i;
	return -1;
}

bool uwg_fw_settings_applies(const struct uwg_fw_settings *s, const uint8_t key[32])
{
	return s->enable != (find_except(s, key) >= 0);
}

bool uwg_fw_settings_active(const struct uwg_fw_settings *s)
{
	return s->enable || s->n_except;
}

/* Adds key unless present: 0, -ENOSPC or -ENOMEM. */
static int add_except(struct uwg_fw_settings *s, const uint8_t key[32])
{
	uint8_t (*grown)[32];

	if (find_except(s, key) >= 0)
		return 0;
	if (s->n_except >= UWG_FW_EXCEPT_MAX)
		return -ENOSPC;
	grown = realloc(s->except, (s->n_except + 1) * sizeof(*s->except));
	if (!grown)
		return -ENOMEM;
	s->except = grown;
	memcpy(s->except[s->n_except++], key, 32);
	return 0;
}

/* ---- config file ---- */

const char *uwg_fw_conf_canonical(const char *key)
{
	for (size_t i = 0; i < sizeof(fw_keys) / sizeof(fw_keys[0]); i++)
		if (!strcasecmp(key, fw_keys[i]))
			return fw_keys[i];
	return NULL;
}

/* Each comma- or blank-separated public key (base64, as `wg` prints them). */
static bool except_list(struct uwg_fw_settings *s, const char *value, char *w, size_t len)
{
	const char *p = value;

	while (*p) {
		char word[64];
		uint8_t key[32];
		size_t n = strcspn(p, ", \t");
		int err;

		if (!n) {
			p++;
			continue;
		}
		if (n < sizeof(word)) {
			memcpy(word, p, n);
			word[n] = '\0';
		}
		if (n >= sizeof(word) || !uwg_key_from_base64(key, word))
			return uwg_text_why(w, len, "\"%.*s\" is not a public key (expected 44 "
					    "characters of base64, as printed by \"uwg pubkey\")",
					    (int)(n > 60 ? 60 : n), p);
		err = add_except(s, key);
		if (err)
			return uwg_text_why(w, len, err == -ENOSPC ? "too many peers (at most %u)"
								    : "out of memory (%u)",
					    UWG_FW_EXCEPT_MAX);
		p += n;
	}
	return true;
}

bool uwg_fw_conf_key(struct uwg_fw_settings *s, const char *key, const char *value,
		     unsigned line, char *w, size_t len)
{
	if (!strcmp(key, "IPv6Firewall")) {
		if (!uwg_text_onoff(value, &s->enable))
			return uwg_text_why(w, len, "\"%.64s\" is neither on nor off", value);
		s->has_enable = true;
		s->line_enable = line;
		return true;
	}
	if (!strcmp(key, "IPv6FirewallExcept")) {
		s->line_except = line;
		return except_list(s, value, w, len);
	}
	return uwg_text_why(w, len, "unknown IPv6 firewall key");
}

void uwg_fw_conf_write(FILE *f, const struct uwg_fw_settings *s)
{
	char b64[UWG_KEY_B64_LEN];

	if (s->has_enable)
		fprintf(f, "IPv6Firewall = %s\n", s->enable ? "on" : "off");
	for (size_t i = 0; i < s->n_except; i++) {
		uwg_key_to_base64(b64, s->except[i]);
		fprintf(f, "IPv6FirewallExcept = %s\n", b64);
	}
}

/* ---- UAPI ---- */

char *uwg_fw_conf_format_set(const struct uwg_fw_settings *s, size_t *len)
{
	struct uwg_text b = { 0 };
	char hex[UWG_KEY_HEX_LEN];

	uwg_text_printf(&b, "set=1\nfw6_enable=%s\n", s->enable ? "true" : "false");
	for (size_t i = 0; i < s->n_except; i++) {
		uwg_key_to_hex(hex, s->except[i]);
		uwg_text_printf(&b, "fw6_except=%s\n", hex);
	}
	uwg_text_printf(&b, "\n");
	return uwg_text_take(&b, len);
}

int uwg_fw_conf_uapi_key(struct uwg_fw_settings *s, const char *key, const char *v)
{
	uint8_t k[32];
	ssize_t i;

	if (!strcmp(key, "fw6_enable")) {
		if (strcmp(v, "true") && strcmp(v, "false"))
			return -EINVAL;
		s->enable = !strcmp(v, "true");
		s->n_except = 0;
		return 0;
	}
	if (strcmp(key, "fw6_except"))
		return -ENOENT;
	if (!uwg_key_from_hex(k, v + (*v == '-')))
		return -EINVAL;
	if (*v != '-')
		return add_except(s, k);
	i = find_except(s, k);
	if (i >= 0)
		memmove(s->except[i], s->except[i + 1], (s->n_except - (size_t)i - 1) * 32);
	s->n_except -= i >= 0;
	return 0;
}
