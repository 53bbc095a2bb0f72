/*
 * cli/uapi_client.h - the client side of the userspace configuration
 * protocol (what `wg` does against /var/run/wireguard/IFNAME.sock): get a
 * device into a struct uwg_conf, set one from it, list interfaces. Talks to
 * uwg's daemon and to wireguard-go alike. Main thread only.
 */
#ifndef UWG_CLI_UAPI_CLIENT_H
#define UWG_CLI_UAPI_CLIENT_H

#include <stdbool.h>
#include <stddef.h>

#include "cli/config.h"

#define UWG_UAPI_CLIENT_DIR "/var/run/wireguard"

/* Connected socket for ifname, or -errno (-ENODEV: no daemon serves that name). */
int uwg_uapi_client_open(const char *ifname);
/* True if a daemon answers on ifname's socket, or the socket is there but not ours to use. */
bool uwg_uapi_client_exists(const char *ifname);
/*
 * True while ifname's socket file exists at all: a daemon that is still
 * shutting down (its sockets and ports not yet released) keeps it, as
 * uwg's monitor removes it only once the daemon has exited.
 */
bool uwg_uapi_client_socket_present(const char *ifname);
/* Fills out (uwg_conf_init'ed) from "get=1". 0 or -errno (-EPROTO: malformed reply). */
int uwg_uapi_client_get(const char *ifname, struct uwg_conf *out);
/* Sends "set=1" built from conf; 0, or the daemon's errno negated, or -errno. */
int uwg_uapi_client_set(const char *ifname, const struct uwg_conf *conf);
/*
 * One request (text ending in its blank line) and the reply up to its blank
 * line, malloc'd and NUL-terminated: free it with uwg_uapi_client_free.
 * 0 or -errno (-ENODEV: no daemon; -ENOMEM past 256 MiB).
 */
int uwg_uapi_client_transact(const char *ifname, const char *req, size_t len, char **reply,
			     size_t *rlen);
/* Wipes (a get reply holds keys) and frees a reply; NULL is fine. */
void uwg_uapi_client_free(char *reply, size_t len);
/* A reply's errno line negated (0: success); -EPROTO if it has none. */
int uwg_uapi_client_reply_errno(const char *reply);
/* A set request given as text (nat_* and upnp* keys too): 0, the daemon's errno negated, or -errno. */
int uwg_uapi_client_set_text(const char *ifname, const char *req, size_t len);
/* Names of the interfaces whose socket answers, in directory order; free with the count. */
int uwg_uapi_client_list(char ***names, size_t *n);
void uwg_uapi_client_list_free(char **names, size_t n);

/* Pure halves of the above, for tests and fuzzing. */
int uwg_uapi_client_parse_get(struct uwg_conf *out, const char *text, size_t len);
/* malloc'd "set=1\n...\n\n" text (holds secrets: wipe and free); NULL on ENOMEM. */
char *uwg_uapi_client_format_set(const struct uwg_conf *conf, size_t *len);

#endif
