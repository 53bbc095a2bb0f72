/*
 * cli/daemon/igd_glue.h - the embedded UPnP IGD (igd/igd.h) in the running daemon:
 * its configuration (upnp* UAPI keys, cli/uapi/igd_conf.h), when it runs (UPnP on,
 * the NAT on, the TUN in our namespace, UP, with its tunnel IPv4; loopback up
 * and MULTICAST on the TUN are ensured), and the IGD's ops on top of the NAT
 * (cli/daemon/nat_glue.h): a request's tunnel address -> the peer whose AllowedIPs
 * hold it (the map's owner), port maps into the NAT table with their tc
 * steering and placeholder sockets, out again on delete, lease expiry, peer
 * removal or an AllowedIPs change. "nat=1" replies also carry upnp* lines
 * (the maps for `uwg show`). Loop thread only.
 */
#ifndef UWG_CLI_DAEMON_IGD_GLUE_H
#define UWG_CLI_DAEMON_IGD_GLUE_H

#include <stdint.h>
#include <uv.h>

#include "cli/daemon/leases.h"

#include "cli/daemon/uapi.h"

struct uwg_wg;
struct uwg_tun;
struct uwg_natd;
struct uwg_fwd;

enum {
	UWG_IGDD_TICK_MS = 1000, /* start/stop checks, expiry and ownership sweep */
};

struct uwg_igdd_env {
	uv_loop_t *uv;
	struct uwg_wg *wg;
	struct uwg_natd *natd;
	struct uwg_fwd *fwd; /* the IPv6 firewall, where pinholes go (may be NULL) */
	const struct uwg_tun *tun; /* must stay valid; its name and namespace are followed */
	void *ctx;
	uint16_t (*listen_port)(void *ctx); /* the WireGuard UDP port now */
	struct uwg_leases *leases; /* the lease file (fd -1: none); maps restored from it */
};

struct uwg_igdd;

/* Idle (UPnP off) until configured. 0 or -ENOMEM. */
int uwg_igdd_new(struct uwg_igdd **out, const struct uwg_igdd_env *env);
/*
 * Stops the IGD (pupnp's threads joined) and frees; handles close, so keep
 * running the loop afterwards. Call it before the WireGuard device and the
 * NAT go: the IGD's ops use both.
 */
void uwg_igdd_free(struct uwg_igdd *g);

/*
 * Takes over io's ext_* hooks, which must already be the NAT's
 * (uwg_natd_uapi_hooks): upnp* keys are ours, everything else goes on to the
 * NAT, and "nat=1" replies get our lines after the NAT's.
 */
void uwg_igdd_uapi_hooks(struct uwg_igdd *g, struct uwg_uapi_io *io);

#endif
