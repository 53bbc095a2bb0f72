/*
 * cli/daemon/uapi_server.h - the UAPI unix socket /var/run/wireguard/IFNAME.sock:
 * created before the daemon forks, served on the libuv loop with one
 * cli/daemon/uapi.c session per connection, watched with inotify so the daemon
 * exits when the file is removed (wg-quick on macOS, or `rm`). Loop thread
 * only (uwg_uapi_listen: main thread, before the loop exists).
 */
#ifndef UWG_CLI_DAEMON_UAPI_SERVER_H
#define UWG_CLI_DAEMON_UAPI_SERVER_H

#include <stdbool.h>
#include <sys/types.h>
#include <sys/un.h>
#include <time.h>
#include <uv.h>

#include "cli/daemon/uapi.h"

#define UWG_UAPI_DIR "/var/run/wireguard"

enum {
	/*
	 * Connections served at once (each costs ~40 KiB of buffers). When all
	 * are open, a new one evicts the longest idle one (no lock held or
	 * awaited); only 64 requests in progress refuse it.
	 */
	UWG_UAPI_MAX_CONNS = 64,
	/* A connection without a complete request for this long is closed. */
	UWG_UAPI_IDLE_TIMEOUT_MS = 5000,
	/* A connection holding the config lock without progress for this long is dropped. */
	UWG_UAPI_LOCK_TIMEOUT_MS = 30000,
};

struct uwg_uapi_sock {
	int fd; /* listening, non-blocking, close-on-exec */
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	/* Identity of the socket file we created (a file system may reuse the inode number). */
	dev_t dev;
	ino_t ino;
	struct timespec ctime;
};

/*
 * Creates UWG_UAPI_DIR (0755) and binds IFNAME.sock under umask 077. A stale
 * socket (nobody accepting) is replaced; a live one is -EADDRINUSE.
 */
int uwg_uapi_listen(const char *ifname, struct uwg_uapi_sock *sock);
/* Closes the socket and unlinks the file if it is still the one we created. */
void uwg_uapi_unlisten(struct uwg_uapi_sock *sock);
/* The file at sock->path is still the socket we created, not a newer daemon's. */
bool uwg_uapi_sock_is_ours(const struct uwg_uapi_sock *sock);

struct uwg_uapi_server;

/*
 * Serves sock (ownership moves to the server) on loop, applying requests to
 * wg. gone(ctx) is called once if the socket file is deleted or replaced.
 */
int uwg_uapi_server_start(struct uwg_uapi_server **out, uv_loop_t *loop,
			  struct uwg_uapi_sock *sock, struct uwg_wg *wg,
			  const struct uwg_uapi_io *io, void (*gone)(void *ctx), void *ctx);
/* Closes every connection and the socket (unlinking it); memory goes in close callbacks. */
void uwg_uapi_server_stop(struct uwg_uapi_server *srv);

#endif
