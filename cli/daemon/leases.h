/*
 * cli/daemon/leases.h - the lease file: the port maps and IPv6 pinholes clients
 * made (UPnP, NAT-PMP, PCP), kept across daemon restarts as miniupnpd keeps
 * its lease_file. The daemon opens it while still root (root-only, 0600, in
 * UWG_LEASE_DIR) and keeps the descriptor, since the unprivileged worker
 * could not create or rename files there. So an update cannot be a rename:
 * the file has two slots, each a header (sequence number, length, BLAKE2s
 * of the body) and a text body; a write goes to the slot not holding the
 * newest valid state and is fdatasync'ed, and a reader takes the valid slot
 * with the higher sequence. A crash mid-write leaves the previous state.
 * `uwg down` removes the file; a crash does not. Loop thread only (main
 * before the loop exists for open).
 */
#ifndef UWG_CLI_DAEMON_LEASES_H
#define UWG_CLI_DAEMON_LEASES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cli/uapi/igd_conf.h"

enum {
	UWG_LEASES_MAX = 1024,       /* entries in one file */
	UWG_LEASE_DESC_MAX = 128, /* as the NAT table keeps (UWG_NAT_DESC_MAX) */
	UWG_LEASES_SLOT = 128 * 1024, /* bytes per slot (header and body) */
};

struct uwg_lease {
	char origin[8];        /* the protocol that made the map: "upnp", "natpmp" or "pcp" */
	bool pinhole;          /* an IPv6 pinhole (int6, rem6, rem_port) rather than a port map */
	uint8_t proto;         /* IPPROTO_TCP or IPPROTO_UDP */
	uint16_t ext_port;     /* maps only */
	uint32_t int_addr;     /* maps: host order */
	uint8_t int6[16];      /* pinholes: the client's address */
	uint8_t rem6[16];      /* pinholes: the remote host, all zero = any */
	uint16_t rem_port;     /* pinholes: 0 = any */
	uint16_t int_port;
	uint8_t owner[32];     /* the public key of the peer that made it */
	int64_t expires;       /* wall clock, Unix seconds; 0 = permanent */
	char desc[UWG_LEASE_DESC_MAX];
};

struct uwg_leases {
	int fd;        /* -1: no file (not root at start, or it could not be opened) */
	uint64_t seq;  /* of the newest slot read or written */
	/*
	 * When the map table started (wall clock, Unix seconds; 0 = not known):
	 * read sets it from the file, write stores it, so a restore keeps
	 * NAT-PMP's epoch counting instead of restarting it (RFC 6886 §3.6).
	 */
	int64_t epoch_origin;
};

/*
 * As root: UWG_LEASE_DIR/IFNAME.leases, created if missing (the directory
 * too, 0700). 0 or -errno (l->fd stays -1).
 */
int uwg_leases_open(struct uwg_leases *l, const char *ifname);
void uwg_leases_close(struct uwg_leases *l);
/*
 * At exit, by whoever may (the root monitor, or a daemon that stayed root):
 * removes IFNAME's lease file if nothing was ever written to it, so
 * interfaces that never mapped a port leave no file behind.
 */
void uwg_leases_remove_unused(const char *ifname);

/*
 * The newest valid state: *out (malloc'd, free() it) with *n entries; an
 * empty or new file gives none. 0 or -errno (-EBADMSG: neither slot valid).
 */
int uwg_leases_read(struct uwg_leases *l, struct uwg_lease **out, size_t *n);

/* Replaces the state with v[0..n). 0 or -errno (-E2BIG: more than a slot holds). */
int uwg_leases_write(struct uwg_leases *l, const struct uwg_lease *v, size_t n);

/* One entry as its line in the file, without the newline; parse is the inverse. */
void uwg_lease_format(const struct uwg_lease *e, char *buf, size_t len);
int uwg_lease_parse(struct uwg_lease *e, const char *line);

#endif
