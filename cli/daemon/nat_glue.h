/*
 * cli/daemon/nat_glue.h - the userspace NAT in the running daemon: owns the NAT
 * table (core/ip/nat.h), the tc steering and raw egress socket (tun/steer.h),
 * placeholder sockets, the expiry timer, and the translation hooks that
 * cli/daemon/loop.c calls on its two packet paths:
 *
 *   TUN read (public-address packets steered in by tc): uwg_natd_from_tun
 *     before uwg_wg_tun_input; DNATed packets continue into the tunnel.
 *   ops->tun_write (decrypted from peers): uwg_natd_to_tun before the TUN
 *     write; translated packets leave through the raw socket, hairpinned
 *     ones (and ICMP errors for the client) wait for uwg_natd_flush, which
 *     after_core() calls outside of any core op.
 *
 * Configured over the UAPI with the nat_* keys (cli/uapi/nat_conf.h,
 * docs/uapi.md) through the ext_* hooks of struct uwg_uapi_io; "nat=1" lists
 * the state. Everything is torn down (filters removed) by uwg_natd_free.
 * Loop thread only.
 */
#ifndef UWG_CLI_DAEMON_NAT_GLUE_H
#define UWG_CLI_DAEMON_NAT_GLUE_H

#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include "cli/daemon/uapi.h"
#include "core/pkt.h"

struct uwg_wg;
struct uwg_nat;
struct uwg_steer;

enum {
	UWG_NATD_EXPIRE_MS = 1000,
	UWG_NATD_EXPIRE_BUDGET = 4096, /* flow slots examined per tick */
	UWG_NATD_DEFER_MAX = 256,      /* tunnel-bound packets waiting for uwg_natd_flush */
	UWG_NATD_ICMP_PER_SEC = 200,   /* ICMP errors the daemon originates */
};

struct uwg_natd_env {
	uv_loop_t *uv;
	struct uwg_pool *pool;
	struct uwg_wg *wg;
	const char *tun_name; /* must stay valid */
	void *ctx;
	uint16_t (*listen_port)(void *ctx);
	uint32_t (*mtu)(void *ctx); /* the tunnel MTU now */
};

struct uwg_natd;

/* Idle (NAT off) until configured. 0 or -ENOMEM. */
int uwg_natd_new(struct uwg_natd **out, const struct uwg_natd_env *env);
/* Removes every filter, closes every socket, returns held packets; memory goes with the timer. */
void uwg_natd_free(struct uwg_natd *n);

/* Points io's ext_* hooks at n. */
void uwg_natd_uapi_hooks(struct uwg_natd *n, struct uwg_uapi_io *io);
/*
 * cb(ctx) each time a set request's nat_* keys are about to replace the NAT:
 * its table is still readable, its filters still there, and both go right
 * after, whatever the new configuration. Whoever holds state on top of the
 * table (the IGD's maps) takes note of it and drops it. NULL unregisters.
 */
void uwg_natd_on_replaced(struct uwg_natd *n, void (*cb)(void *ctx), void *ctx);

/*
 * A packet read from the TUN. False: not consumed (untouched, or DNATed
 * toward a client): hand it to uwg_wg_tun_input. True: consumed (dropped,
 * or answered with frag-needed because it does not fit the tunnel).
 */
bool uwg_natd_from_tun(struct uwg_natd *n, struct uwg_pkt *p);

/*
 * A decrypted packet about to be written to the TUN. False: write it as
 * before (not NAT traffic). True: consumed (sent to the world, queued for
 * the tunnel, or dropped).
 */
bool uwg_natd_to_tun(struct uwg_natd *n, struct uwg_pkt *p);

/* Feeds queued tunnel-bound packets into uwg_wg_tun_input; never from inside a core op. */
void uwg_natd_flush(struct uwg_natd *n);

/*
 * The running NAT, for the UPnP IGD (cli/daemon/igd_glue.c), which adds its own
 * port maps and filters: false (and out zeroed) while the NAT is off. The
 * pointers change whenever a nat_* set request rebuilds the NAT.
 */
struct uwg_natd_view {
	struct uwg_nat *nat;
	struct uwg_steer *steer;
	uint32_t public_ip; /* host order */
	const char *wan;    /* the external interface */
};
bool uwg_natd_get_view(struct uwg_natd *n, struct uwg_natd_view *out);

#endif
