/*
 * cli/daemon/uapi.h - the cross-platform configuration protocol (`wg` talking to a
 * userspace daemon, docs/uapi.md) as a pure byte-stream session: feed request
 * bytes in, take response bytes out, effects applied to a struct uwg_wg. No
 * sockets here; listen_port and fwmark reach the I/O layer through struct
 * uwg_uapi_io. Used by cli/daemon/uapi_server.c, the unit test and the fuzzer.
 * Loop thread only.
 */
#ifndef UWG_CLI_DAEMON_UAPI_H
#define UWG_CLI_DAEMON_UAPI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct uwg_wg;
struct uwg_peer;

/* The device keys that are socket concerns. Any callback may be NULL. */
struct uwg_uapi_io {
	void *ctx;
	/* Rebind on port (0 = random). 0, or -errno (-EADDRINUSE) sent back as errno=. */
	int (*set_listen_port)(void *ctx, uint16_t port);
	/* The port actually bound (0 = none). */
	uint16_t (*listen_port)(void *ctx);
	/* SO_MARK on the sockets, 0 = clear. 0 or -errno. */
	int (*set_fwmark)(void *ctx, uint32_t mark);
	uint32_t (*fwmark)(void *ctx);
	/*
	 * Extra "stats=1" counters from the I/O layer: fills up to cap names and
	 * values, returns how many.
	 */
	size_t (*extra_stats)(void *ctx, const char **names, uint64_t *values, size_t cap);
	/* Interface index for an IPv6 endpoint's %zone name (0 = unknown); numeric zones need none. */
	unsigned (*ifindex)(void *ctx, const char *name);

	/*
	 * uwg-only extension keys (the NAT, cli/daemon/nat_glue.h), called with
	 * ext_ctx. ext_begin: a set request starts. ext_set: a device key the
	 * protocol does not know; 0, or -EINVAL if the extension does not know
	 * it either. ext_end: the set request's blank line, err = its result
	 * so far; returns the final result (applies what ext_set staged when
	 * err is 0, drops it otherwise). ext_emit: the "nat=1" reply body,
	 * whole lines into buf (cap bytes), resuming at *cursor (0 at the
	 * start); sets *used, returns true once complete. Without ext_emit
	 * "nat=1" is an unknown operation.
	 */
	void *ext_ctx;
	void (*ext_begin)(void *ext_ctx);
	int (*ext_set)(void *ext_ctx, const char *key, const char *value);
	int (*ext_end)(void *ext_ctx, int err);
	bool (*ext_emit)(void *ext_ctx, size_t *cursor, char *buf, size_t cap, size_t *used);
};

enum {
	/* Longest accepted request line including '\n'; longer lines fail the request. */
	UWG_UAPI_LINE_MAX = 512,
	/* Response bytes produced per refill; whole lines only. */
	UWG_UAPI_OUT_CHUNK = 32768,
};

enum uwg_uapi_state {
	UWG_UAPI_IDLE,      /* expecting "get=1", "set=1" or "stats=1" */
	UWG_UAPI_GET,       /* after "get=1": until the blank line */
	UWG_UAPI_STATS,     /* after "stats=1" or "nat=1": until the blank line */
	UWG_UAPI_SET,       /* applying key=value lines */
	UWG_UAPI_SET_SKIP,  /* a line failed: ignoring the rest of the request */
	UWG_UAPI_REPLYING,  /* response being produced; input is not consumed */
};

enum uwg_uapi_reply {
	UWG_UAPI_REPLY_NONE,
	UWG_UAPI_REPLY_ERRNO, /* only "errno=N\n\n" */
	UWG_UAPI_REPLY_GET,
	UWG_UAPI_REPLY_STATS,
	UWG_UAPI_REPLY_EXT,   /* "nat=1": the io's ext_emit lines */
};

/* One connection's protocol state. Embed or allocate; ~34 KiB. */
struct uwg_uapi {
	struct uwg_wg *wg;
	const struct uwg_uapi_io *io;
	enum uwg_uapi_state state;
	int err;                /* first failure of the current request (negative errno) */
	bool bad_request;       /* a get/stats request had a non-blank line */
	bool ext_query;         /* the STATS state serves "nat=1" */

	/* Current input line. */
	char line[UWG_UAPI_LINE_MAX];
	size_t line_len;
	bool line_overflow;

	/* Set: the peer section being applied (NULL and dummy: lines are checked, not applied). */
	struct uwg_peer *peer;
	bool in_peer_section;
	bool peer_dummy;
	bool peer_created;

	/* Reply generator. */
	enum uwg_uapi_reply reply;
	int reply_step;         /* position in the device/peer/footer sequence */
	struct uwg_peer *reply_peer;
	size_t reply_aip_done;  /* allowed IPs of reply_peer already written */
	size_t stat_index;
	size_t ext_cursor;
	uint8_t out[UWG_UAPI_OUT_CHUNK];
	size_t out_len, out_off;
};

void uwg_uapi_init(struct uwg_uapi *s, struct uwg_wg *wg, const struct uwg_uapi_io *io);
/* Wipes any key material left in the buffers. */
void uwg_uapi_clear(struct uwg_uapi *s);

/*
 * Consumes request bytes. Stops early (returning fewer than len) when a
 * request is complete and its response must be drained first with
 * uwg_uapi_output. Returns the number of bytes consumed, or a negative errno
 * when the stream is unusable and the connection should be closed (an
 * unknown operation, as wireguard-go closes it).
 */
long uwg_uapi_feed(struct uwg_uapi *s, const uint8_t *in, size_t len);

/*
 * The next response bytes (whole lines, produced on demand so a get with
 * thousands of allowed IPs never sits in memory at once). *data is valid
 * until the next call; returns 0 when nothing is pending. Mark what was
 * written with uwg_uapi_consume. The device's peers and allowed IPs must not
 * change between the calls that stream one reply (the server serialises
 * requests); counters and endpoints may.
 */
size_t uwg_uapi_output(struct uwg_uapi *s, const uint8_t **data);
void uwg_uapi_consume(struct uwg_uapi *s, size_t n);

/* True while a request or its reply is in progress (the caller holds the config lock). */
bool uwg_uapi_busy(const struct uwg_uapi *s);

#endif
