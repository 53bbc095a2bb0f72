/*
 * cli/daemon/fw_glue.h - the IPv6 firewall in the running daemon: owns the
 * firewall table (core/ip/fw6.h) while IPv6Firewall is on for any peer, which
 * peers it applies to (cli/uapi/fw_conf.h), its expiry tick, and the two
 * hooks cli/daemon/loop.c calls on its packet paths:
 *
 *   TUN read (towards a client): uwg_fwd_inbound before uwg_wg_tun_input;
 *     a packet the firewall drops is returned to the pool there.
 *   ops->tun_write (decrypted from a client): uwg_fwd_outbound notes the
 *     flow; nothing outbound is ever dropped.
 *
 * The owner of a flow or pinhole is the peer whose AllowedIPs hold the
 * client address (uwg_fwd_owner_of). The IGD (cli/daemon/igd_glue.c) opens
 * pinholes in the same table. Configured over the UAPI with the fw6_* keys
 * through the ext_* hooks of struct uwg_uapi_io; "nat=1" replies carry its
 * fw6* lines. Loop thread only.
 */
#ifndef UWG_CLI_DAEMON_FW_GLUE_H
#define UWG_CLI_DAEMON_FW_GLUE_H

#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include "cli/daemon/uapi.h"
#include "core/pkt.h"

struct uwg_wg;
struct uwg_peer;
struct uwg_fw6;
struct uwg_fw6_pinhole;

enum {
	UWG_FWD_TICK_MS = 1000,
	UWG_FWD_EXPIRE_BUDGET = 8192, /* flow slots examined per tick */
};

struct uwg_fwd_env {
	uv_loop_t *uv;
	struct uwg_pool *pool;
	struct uwg_wg *wg;
};

struct uwg_fwd;

/* Idle (firewall off) until configured. 0 or -ENOMEM. */
int uwg_fwd_new(struct uwg_fwd **out, const struct uwg_fwd_env *env);
/* Frees the table; memory goes with the timer, so keep running the loop. */
void uwg_fwd_free(struct uwg_fwd *f);
/*
 * cb(ctx, ph, why) when the firewall removes a pinhole by itself (expired, or
 * its owner lost the address), before it goes; the IGD logs it and rewrites
 * the lease file. why NULL = the table itself went (the firewall turned off).
 */
void uwg_fwd_on_pinhole_gone(struct uwg_fwd *f,
			     void (*cb)(void *ctx, const struct uwg_fw6_pinhole *ph, const char *why),
			     void *ctx);
/* Takes over io's ext_* hooks: fw6_* keys are ours, the rest goes on to the previous ones. */
void uwg_fwd_uapi_hooks(struct uwg_fwd *f, struct uwg_uapi_io *io);

/* A peer's owner tag (its public key's first 8 bytes, never 0), shared with the IGD's maps. */
uint64_t uwg_fwd_owner_of(const struct uwg_peer *peer);

/* true: the firewall dropped pkt (back in the pool). false: it goes on into the tunnel. */
bool uwg_fwd_inbound(struct uwg_fwd *f, struct uwg_pkt *pkt, uint64_t now_ns);
void uwg_fwd_outbound(struct uwg_fwd *f, struct uwg_pkt *pkt, uint64_t now_ns);

/* The table, NULL while the firewall is off for every peer. */
struct uwg_fw6 *uwg_fwd_table(struct uwg_fwd *f);
/* Whether the firewall filters peer's inbound IPv6 (so its pinholes mean something). */
bool uwg_fwd_applies(const struct uwg_fwd *f, const struct uwg_peer *peer);

#endif
