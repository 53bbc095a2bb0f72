/*
 * cli/daemon/tunio.h - packets in and out of the TUN fd: reads into pool
 * packets, with a virtio header splitting TSO/USO super-packets into
 * MTU-sized ones (core/ip/offload.h), handed on in batches; writes singly,
 * or collected and coalesced into one super-packet per flow (GRO) where the
 * kernel took the offload flags. Knows nothing of WireGuard or libuv: the
 * caller polls the fd and says when a batch of output is complete.
 * Loop thread only.
 */
#ifndef UWG_CLI_DAEMON_TUNIO_H
#define UWG_CLI_DAEMON_TUNIO_H

#include <stdbool.h>
#include <stdint.h>

#include "cli/daemon/log.h"
#include "core/pkt.h"
#include "tun/tun.h"

enum {
	UWG_TUNIO_IN_BATCH = 128, /* packets handed on at once */
};

struct uwg_tunio_stats {
	uint64_t read_errors;
	uint64_t write_errors;
	uint64_t write_dropped;  /* the TUN queue was full (EAGAIN, ENOBUFS) */
	uint64_t pool_empty;     /* read and dropped: no packet buffer free */
	uint64_t bad_offload;    /* super-packet the split refused */
	uint64_t gso_reads;      /* super-packets split */
	uint64_t gro_writes;     /* writes that carried more than one packet */
	uint64_t gro_refused;    /* a coalesced write the kernel refused: GRO turned off */
};

struct uwg_tunio {
	struct uwg_pool *pool;
	struct uwg_tun *tun;
	struct uwg_tunio_stats stats;
	/*
	 * Receives what one read call produced, in batches of at most
	 * UWG_TUNIO_IN_BATCH; it owns the packets.
	 */
	void (*input)(void *ctx, struct uwg_pkt **pkts, unsigned n);
	void *ctx;
	/* A write saw EBADFD (the interface is gone); the caller clears it. */
	bool gone;
	/* Private: allocated in uwg_tunio_init and uwg_tunio_setup_offload. */
	uint8_t *scratch;
	struct uwg_tunio_out *out; /* NULL: every packet is written on its own */
	bool gro_tcp, gro_udp;
	struct uwg_log_limit lim;
	struct uwg_pkt *in[UWG_TUNIO_IN_BATCH];
	unsigned nin;
};

/* 0 or -ENOMEM. */
int uwg_tunio_init(struct uwg_tunio *t, struct uwg_pool *pool, struct uwg_tun *tun);
/* Returns collected packets to the pool and frees the buffers. */
void uwg_tunio_destroy(struct uwg_tunio *t);

/*
 * Asks the kernel for checksum and segmentation offloads (TCP always, UDP
 * where it has USO) on a TUN with a virtio header. Without them, or with
 * off set, plain MTU-sized packets. Logs what it got.
 */
void uwg_tunio_setup_offload(struct uwg_tunio *t, bool off);

/*
 * Reads up to budget times and hands the packets to t->input. Returns the
 * number of reads, or -EBADFD when the interface is gone, or another -errno
 * (counted in stats.read_errors) for the caller to log.
 */
int uwg_tunio_read(struct uwg_tunio *t, unsigned budget);

/* Consumes pkt: written now, or collected for uwg_tunio_flush. */
void uwg_tunio_write(struct uwg_tunio *t, struct uwg_pkt *pkt);
/* Writes what was collected. */
void uwg_tunio_flush(struct uwg_tunio *t);

#endif
