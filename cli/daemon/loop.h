/*
 * cli/daemon/loop.h - one running device: the libuv loop that wires the sans-I/O
 * core (core/wg.h) to the TUN fd, the UDP sockets, one timer, link-state
 * monitoring, signals and the UAPI server. Created in the process that will
 * run it (after any fork). Loop thread only.
 */
#ifndef UWG_CLI_DAEMON_LOOP_H
#define UWG_CLI_DAEMON_LOOP_H

#include <stddef.h>
#include <stdbool.h>
#include <stdint.h>

#include "cli/daemon/uapi_server.h"
#include "tun/tun.h"

enum {
	UWG_LOOP_POOL_PACKETS = 1024,
	UWG_LOOP_TUN_BUDGET = 64,  /* TUN reads per wakeup */
	UWG_LOOP_UDP_BUDGET = 4,   /* recvmmsg batches per wakeup */
	UWG_LOOP_LINK_CHECK_MS = 1000,
};

/* The daemon's knobs, read from the environment in one place (daemon.c). */
struct uwg_loop_config {
	uint32_t timer_divisor;     /* 0: leave the protocol timers alone */
	bool no_offload;            /* UWG_NO_OFFLOAD: no TUN/UDP segmentation offloads */
	const char *aead;           /* UWG_AEAD: "libsodium", "openssl", or NULL (the build's) */
	const char *crypto_threads; /* UWG_CRYPTO_THREADS as given (checked here), or NULL */
	int lease_fd;               /* the lease file (cli/daemon/leases.h), taken over; -1: none */
};

struct uwg_loop;

/*
 * Takes ownership of tun, sock and cfg->lease_fd (also on failure). On failure *err_msg
 * names the step that failed (static string) and -errno is returned.
 */
int uwg_loop_new(struct uwg_loop **out, struct uwg_tun *tun, struct uwg_uapi_sock *sock,
		 const struct uwg_loop_config *cfg, const char **err_msg);
/* Runs until a signal, interface deletion or socket removal; the exit status. */
int uwg_loop_run(struct uwg_loop *l);
/* Wipes secrets (uwg_wg_free), unlinks the socket, closes the TUN, frees. */
void uwg_loop_free(struct uwg_loop *l);

#endif
