/*
 * cli/uapi/fw_conf.h - the IPv6 firewall's configuration on both sides of the
 * UAPI socket: the [Interface] keys IPv6Firewall = on|off and
 * IPv6FirewallExcept = KEY[, KEY...] (the peers the interface's choice is
 * flipped for), the uwg-only UAPI lines that carry them (fw6_* keys,
 * docs/uapi.md) and their parser, which the daemon (cli/daemon/fw_glue.c)
 * shares. No firewall state here. Main thread (config side) or loop thread
 * (parser); no globals.
 */
#ifndef UWG_CLI_UAPI_FW_CONF_H
#define UWG_CLI_UAPI_FW_CONF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

enum { UWG_FW_EXCEPT_MAX = 4096 };

struct uwg_fw_settings {
	bool enable;     /* IPv6Firewall = on: every peer's inbound IPv6 is filtered... */
	bool has_enable; /* written (SaveConfig) */
	uint8_t (*except)[32]; /* ...except these peers' (or, off: only these peers') */
	size_t n_except;
	unsigned line_enable, line_except;
};

void uwg_fw_settings_free(struct uwg_fw_settings *s);
/* Deep copy; false on allocation failure (dst left empty). */
bool uwg_fw_settings_copy(struct uwg_fw_settings *dst, const struct uwg_fw_settings *src);
/* Does the firewall filter this peer's inbound IPv6? */
bool uwg_fw_settings_applies(const struct uwg_fw_settings *s, const uint8_t key[32]);
/* Is any peer filtered at all? */
bool uwg_fw_settings_active(const struct uwg_fw_settings *s);

/* ---- config file ---- */

/* Canonical spelling of a firewall [Interface] key (case-insensitive match), or NULL. */
const char *uwg_fw_conf_canonical(const char *key);
/* One key (canonical) with its value trimmed at the ends; false with the reason in why. */
bool uwg_fw_conf_key(struct uwg_fw_settings *s, const char *key, const char *value,
		     unsigned line, char *why, size_t len);
/* The firewall lines for SaveConfig, as they were written. */
void uwg_fw_conf_write(FILE *f, const struct uwg_fw_settings *s);

/* ---- UAPI ---- */

/* "set=1\nfw6_enable=true|false\n" + one fw6_except=HEX per peer + "\n" (malloc'd; NULL on ENOMEM). */
char *uwg_fw_conf_format_set(const struct uwg_fw_settings *s, size_t *len);
/*
 * One fw6_* UAPI line into staged settings (the daemon's side): fw6_enable
 * starts from scratch (no exceptions), fw6_except=HEX adds a peer,
 * fw6_except=-HEX removes one. 0, -EINVAL, -ENOSPC (too many), -ENOMEM,
 * -ENOENT (not a fw6_ key).
 */
int uwg_fw_conf_uapi_key(struct uwg_fw_settings *s, const char *key, const char *value);

#endif
