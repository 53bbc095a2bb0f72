/*
 * cli/daemon/uapi.c - the configuration protocol session (see cli/daemon/uapi.h and
 * docs/uapi.md). Set lines are applied in order as they arrive, as
 * wireguard-go does: a failing line leaves the earlier ones applied and the
 * rest of that request ignored, and the request is answered errno=-N once its
 * blank line arrives. Get replies are generated a chunk at a time. Key
 * material passing through the line and output buffers is wiped. Loop thread
 * only.
 */
#include "cli/daemon/uapi.h"

#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "cli/daemon/udp.h"
#include "core/wg.h"
#include "crypto/ct.h"
#include "crypto/encoding.h"
#include "cli/uapi/text.h"
#include "tun/ipprefix.h"

enum reply_step {
	STEP_DEVICE,
	STEP_PEER_HEAD,
	STEP_PEER_ALLOWED_IPS,
	STEP_STATS,
	STEP_EXT,
	STEP_FOOTER,
	STEP_DONE,
};

enum {
	/* Free space needed before writing one peer's head lines (<= ~480 bytes). */
	RESERVE_HEAD = 1024,
	/* ... and before one allowed_ip or stat line (<= ~70 bytes). */
	RESERVE_LINE = 128,
	MAX_EXTRA_STATS = 32,
};

void uwg_uapi_init(struct uwg_uapi *s, struct uwg_wg *wg, const struct uwg_uapi_io *io)
{
	memset(s, 0, sizeof(*s));
	s->wg = wg;
	s->io = io;
	s->state = UWG_UAPI_IDLE;
}

void uwg_uapi_clear(struct uwg_uapi *s)
{
	uwg_memzero(s->line, sizeof(s->line));
	uwg_memzero(s->out, sizeof(s->out));
	s->line_len = s->out_len = s->out_off = 0;
}

bool uwg_uapi_busy(const struct uwg_uapi *s)
{
	return s->state != UWG_UAPI_IDLE || s->line_len > 0 || s->line_overflow;
}

/* ---- value parsers: strict, whole string, no signs or spaces ---- */

static bool parse_uint(const char *v, uint64_t max, uint64_t *out)
{
	return uwg_text_decimal(v, strlen(v), max, out);
}

static bool parse_key(const char *v, uint8_t key[32])
{
	return strlen(v) == 64 && uwg_key_from_hex(key, v);
}

static unsigned zone_ifindex(void *ctx, const char *name)
{
	struct uwg_uapi *s = ctx;

	return s->io && s->io->ifindex ? s->io->ifindex(s->io->ctx, name) : 0;
}

static bool parse_endpoint(struct uwg_uapi *s, const char *v, struct uwg_endpoint *ep)
{
	struct sockaddr_storage ss;

	memset(ep, 0, sizeof(*ep));
	if (!uwg_text_endpoint(v, &ss, zone_ifindex, s))
		return false;
	if (ss.ss_family == AF_INET) {
		memcpy(&ep->addr.in4, &ss, sizeof(ep->addr.in4));
		return true;
	}
	memcpy(&ep->addr.in6, &ss, sizeof(ep->addr.in6));
	if (IN6_IS_ADDR_V4MAPPED(&ep->addr.in6.sin6_addr) && !ep->addr.in6.sin6_scope_id) {
		/* Our v6 socket is V6ONLY: a mapped address is really IPv4. */
		struct sockaddr_in in4 = { .sin_family = AF_INET, .sin_port = ep->addr.in6.sin6_port };

		memcpy(&in4.sin_addr, &ep->addr.in6.sin6_addr.s6_addr[12], 4);
		memset(&ep->addr, 0, sizeof(ep->addr));
		ep->addr.in4 = in4;
	}
	return true;
}

/* "[-]addr/cidr"; the cidr in canonical decimal (wireguard-go refuses "/032"). */
static bool parse_prefix(const char *v, bool *remove, struct uwg_ip_prefix *p)
{
	const char *slash;

	*remove = v[0] == '-';
	if (*remove)
		v++;
	slash = strchr(v, '/');
	return slash && !(slash[1] == '0' && slash[2]) && uwg_ip_prefix_parse(p, v, false);
}

/* ---- set ---- */

static void set_begin(struct uwg_uapi *s)
{
	s->err = 0;
	s->peer = NULL;
	s->in_peer_section = false;
	s->peer_dummy = false;
	s->peer_created = false;
	if (s->io && s->io->ext_begin)
		s->io->ext_begin(s->io->ext_ctx);
}

static int set_public_key(struct uwg_uapi *s, const char *value)
{
	uint8_t key[32];
	struct uwg_peer *peer;
	int ret;

	if (!parse_key(value, key))
		return -EINVAL;
	s->in_peer_section = true;
	s->peer = NULL;
	s->peer_dummy = false;
	s->peer_created = false;
	peer = uwg_wg_peer_lookup(s->wg, key);
	if (!peer) {
		ret = uwg_wg_peer_add(s->wg, key, &peer);
		if (ret < 0)
			return ret;
		s->peer_created = peer != NULL;
	}
	/* NULL here is the device's own key: the section is checked but ignored. */
	s->peer = peer;
	s->peer_dummy = peer == NULL;
	return 0;
}

static int set_device_line(struct uwg_uapi *s, const char *key, const char *value)
{
	const struct uwg_uapi_io *io = s->io;
	uint64_t n;

	if (!strcmp(key, "private_key")) {
		uint8_t sk[32];

		if (!parse_key(value, sk))
			return -EINVAL;
		uwg_wg_set_private_key(s->wg, sk);
		uwg_memzero(sk, sizeof(sk));
	} else if (!strcmp(key, "listen_port")) {
		if (!parse_uint(value, UINT16_MAX, &n))
			return -EINVAL;
		if (!io || !io->set_listen_port)
			return -EOPNOTSUPP;
		return io->set_listen_port(io->ctx, (uint16_t)n);
	} else if (!strcmp(key, "fwmark")) {
		if (!parse_uint(value, UINT32_MAX, &n))
			return -EINVAL;
		if (!io || !io->set_fwmark)
			return -EOPNOTSUPP;
		return io->set_fwmark(io->ctx, (uint32_t)n);
	} else if (!strcmp(key, "replace_peers")) {
		if (strcmp(value, "true"))
			return -EINVAL;
		uwg_wg_peers_clear(s->wg);
	} else if (io && io->ext_set) {
		return io->ext_set(io->ext_ctx, key, value);
	} else {
		return -EINVAL;
	}
	return 0;
}

static int set_peer_line(struct uwg_uapi *s, const char *key, char *value)
{
	bool apply = !s->peer_dummy && s->peer;
	uint64_t n;

	if (!strcmp(key, "update_only")) {
		if (strcmp(value, "true"))
			return -EINVAL;
		if (s->peer_created && apply) {
			uwg_wg_peer_remove(s->wg, s->peer);
			s->peer = NULL;
			s->peer_dummy = true;
		}
	} else if (!strcmp(key, "remove")) {
		if (strcmp(value, "true"))
			return -EINVAL;
		if (apply)
			uwg_wg_peer_remove(s->wg, s->peer);
		s->peer = NULL;
		s->peer_dummy = true;
	} else if (!strcmp(key, "preshared_key")) {
		uint8_t psk[32];

		if (!parse_key(value, psk))
			return -EINVAL;
		if (apply)
			uwg_peer_set_preshared_key(s->peer, psk);
		uwg_memzero(psk, sizeof(psk));
	} else if (!strcmp(key, "endpoint")) {
		struct uwg_endpoint ep;

		if (!parse_endpoint(s, value, &ep))
			return -EINVAL;
		if (apply)
			uwg_peer_set_endpoint(s->peer, &ep);
	} else if (!strcmp(key, "persistent_keepalive_interval")) {
		if (!parse_uint(value, UINT16_MAX, &n))
			return -EINVAL;
		if (apply)
			uwg_peer_set_persistent_keepalive(s->peer, (uint16_t)n);
	} else if (!strcmp(key, "replace_allowed_ips")) {
		if (strcmp(value, "true"))
			return -EINVAL;
		if (apply)
			uwg_peer_allowedips_clear(s->peer);
	} else if (!strcmp(key, "allowed_ip")) {
		struct uwg_ip_prefix p;
		bool remove;
		int ret;

		if (!parse_prefix(value, &remove, &p))
			return -EINVAL;
		if (!apply)
			return 0;
		if (!remove)
			return uwg_peer_allowedip_add(s->peer, p.family, p.addr, p.len);
		ret = uwg_peer_allowedip_remove(s->peer, p.family, p.addr, p.len);
		/* Removing a prefix this peer does not own is a no-op, as in wireguard-go. */
		return ret == -ENOENT ? 0 : ret;
	} else if (!strcmp(key, "protocol_version")) {
		if (strcmp(value, "1"))
			return -EINVAL;
	} else {
		return -EINVAL;
	}
	return 0;
}

static int set_line(struct uwg_uapi *s, char *line)
{
	char *value = strchr(line, '=');

	if (!value)
		return -EPROTO;
	*value++ = '\0';
	if (!strcmp(line, "public_key"))
		return set_public_key(s, value);
	if (!s->in_peer_section)
		return set_device_line(s, line, value);
	return set_peer_line(s, line, value);
}

/* ---- reply generation ---- */

static void start_reply(struct uwg_uapi *s, enum uwg_uapi_reply reply, int err)
{
	s->state = UWG_UAPI_REPLYING;
	s->reply = reply;
	s->err = err;
	s->reply_peer = NULL;
	s->reply_aip_done = 0;
	s->stat_index = 0;
	s->ext_cursor = 0;
	switch (reply) {
	case UWG_UAPI_REPLY_GET:
		s->reply_step = STEP_DEVICE;
		break;
	case UWG_UAPI_REPLY_STATS:
		s->reply_step = STEP_STATS;
		break;
	case UWG_UAPI_REPLY_EXT:
		s->reply_step = STEP_EXT;
		break;
	case UWG_UAPI_REPLY_ERRNO:
	case UWG_UAPI_REPLY_NONE:
		s->reply_step = STEP_FOOTER;
		break;
	}
	/* The set section ends here; never keep a peer pointer across requests. */
	s->peer = NULL;
}

static size_t room(const struct uwg_uapi *s)
{
	return sizeof(s->out) - s->out_len;
}

__attribute__((format(printf, 2, 3))) static void emit(struct uwg_uapi *s, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf((char *)s->out + s->out_len, room(s), fmt, ap);
	va_end(ap);
	/* Callers reserve room first; a truncated line would corrupt the stream. */
	if (n > 0 && (size_t)n < room(s))
		s->out_len += (size_t)n;
}

static void emit_key(struct uwg_uapi *s, const char *name, const uint8_t key[32])
{
	char hex[UWG_KEY_HEX_LEN];

	uwg_key_to_hex(hex, key);
	emit(s, "%s=%s\n", name, hex);
	uwg_memzero(hex, sizeof(hex));
}

static void emit_device(struct uwg_uapi *s)
{
	const struct uwg_uapi_io *io = s->io;
	uint8_t sk[32];

	if (uwg_wg_get_private_key(s->wg, sk))
		emit_key(s, "private_key", sk);
	uwg_memzero(sk, sizeof(sk));
	if (io && io->listen_port) {
		uint16_t port = io->listen_port(io->ctx);

		if (port)
			emit(s, "listen_port=%u\n", port);
	}
	if (io && io->fwmark) {
		uint32_t mark = io->fwmark(io->ctx);

		if (mark)
			emit(s, "fwmark=%" PRIu32 "\n", mark);
	}
}

static void emit_endpoint(struct uwg_uapi *s, const struct uwg_endpoint *ep)
{
	char text[UWG_ENDPOINT_STRLEN];

	if (uwg_endpoint_format(ep, text, sizeof(text)))
		emit(s, "endpoint=%s\n", text);
}

static void emit_peer_head(struct uwg_uapi *s, const struct uwg_peer *peer)
{
	struct uwg_peer_info info;

	uwg_peer_get_info(peer, &info);
	emit_key(s, "public_key", info.public_key);
	emit_key(s, "preshared_key", info.preshared_key);
	emit(s, "protocol_version=1\n");
	emit_endpoint(s, &info.endpoint);
	emit(s, "last_handshake_time_sec=%lld\n", (long long)info.last_handshake.tv_sec);
	emit(s, "last_handshake_time_nsec=%ld\n", (long)info.last_handshake.tv_nsec);
	emit(s, "tx_bytes=%" PRIu64 "\n", info.tx_bytes);
	emit(s, "rx_bytes=%" PRIu64 "\n", info.rx_bytes);
	emit(s, "persistent_keepalive_interval=%u\n", info.persistent_keepalive);
	uwg_memzero(&info, sizeof(info));
}

struct aip_walk {
	struct uwg_uapi *s;
	size_t seen;
};

/* Skips what earlier chunks wrote, then writes until the chunk is full. */
static int aip_cb(void *ctx, int af, const uint8_t *addr, uint8_t cidr)
{
	struct aip_walk *w = ctx;
	struct uwg_uapi *s = w->s;
	char ip[INET6_ADDRSTRLEN];

	if (w->seen++ < s->reply_aip_done)
		return 0;
	if (room(s) < RESERVE_LINE)
		return 1;
	if (inet_ntop(af, addr, ip, sizeof(ip)))
		emit(s, "allowed_ip=%s/%u\n", ip, cidr);
	s->reply_aip_done++;
	return 0;
}

struct stat_name {
	const char *name;
	size_t offset;
};

#define STAT(f) { #f, offsetof(struct uwg_wg_stats, f) }
static const struct stat_name stat_names[] = {
	STAT(rx_bad_length),    STAT(rx_bad_type),     STAT(rx_bad_mac),
	STAT(rx_bad_handshake), STAT(rx_cookie_sent),  STAT(rx_ratelimited),
	STAT(rx_handshake_shed), STAT(rx_cookie_ratelimited),
	STAT(rx_no_keypair),    STAT(rx_bad_auth),     STAT(rx_replay),
	STAT(rx_bad_inner),     STAT(rx_bad_src),      STAT(rx_keepalives),
	STAT(tx_no_peer),       STAT(tx_no_endpoint),  STAT(tx_staged_dropped),
	STAT(tx_bad_inner),     STAT(pool_empty),      STAT(handshakes_sent),
	STAT(handshakes_completed), STAT(sessions_active),
};
#undef STAT

static void emit_stats(struct uwg_uapi *s)
{
	const struct uwg_wg_stats *st = uwg_wg_get_stats(s->wg);
	const size_t ncore = sizeof(stat_names) / sizeof(stat_names[0]);
	const char *names[MAX_EXTRA_STATS];
	uint64_t values[MAX_EXTRA_STATS];
	size_t nextra = 0;

	/* Core counters, then the I/O layer's; a few dozen short lines fit any chunk. */
	for (size_t i = 0; i < ncore; i++) {
		uint64_t v;

		memcpy(&v, (const uint8_t *)st + stat_names[i].offset, sizeof(v));
		emit(s, "%s=%" PRIu64 "\n", stat_names[i].name, v);
	}
	if (s->io && s->io->extra_stats)
		nextra = s->io->extra_stats(s->io->ctx, names, values, MAX_EXTRA_STATS);
	for (size_t i = 0; i < nextra && i < MAX_EXTRA_STATS && room(s) >= RESERVE_LINE; i++)
		emit(s, "%s=%" PRIu64 "\n", names[i], values[i]);
}

/* Appends whole lines to out until it is nearly full or the reply is complete. */
static void refill(struct uwg_uapi *s)
{
	for (;;) {
		switch (s->reply_step) {
		case STEP_DEVICE:
			if (room(s) < RESERVE_HEAD)
				return;
			emit_device(s);
			s->reply_peer = uwg_wg_peer_first(s->wg);
			s->reply_step = s->reply_peer ? STEP_PEER_HEAD : STEP_FOOTER;
			break;
		case STEP_PEER_HEAD:
			if (room(s) < RESERVE_HEAD)
				return;
			emit_peer_head(s, s->reply_peer);
			s->reply_aip_done = 0;
			s->reply_step = STEP_PEER_ALLOWED_IPS;
			break;
		case STEP_PEER_ALLOWED_IPS: {
			struct aip_walk w = { .s = s, .seen = 0 };

			if (room(s) < RESERVE_LINE)
				return;
			if (uwg_peer_allowedips_walk(s->reply_peer, aip_cb, &w) != 0)
				return; /* chunk full; the next refill resumes after reply_aip_done */
			s->reply_peer = uwg_wg_peer_next(s->wg, s->reply_peer);
			s->reply_step = s->reply_peer ? STEP_PEER_HEAD : STEP_FOOTER;
			break;
		}
		case STEP_STATS:
			if (room(s) < RESERVE_HEAD * 4)
				return;
			emit_stats(s);
			s->reply_step = STEP_FOOTER;
			break;
		case STEP_EXT: {
			size_t used = 0;
			bool done;

			if (room(s) < RESERVE_HEAD)
				return;
			done = s->io->ext_emit(s->io->ext_ctx, &s->ext_cursor,
					       (char *)s->out + s->out_len, room(s), &used);
			s->out_len += used < room(s) ? used : room(s);
			if (!done)
				return;
			s->reply_step = STEP_FOOTER;
			break;
		}
		case STEP_FOOTER:
			if (room(s) < RESERVE_LINE)
				return;
			emit(s, "errno=%d\n\n", s->err);
			s->reply_step = STEP_DONE;
			break;
		default:
			return;
		}
	}
}

static void finish_if_done(struct uwg_uapi *s)
{
	if (s->state == UWG_UAPI_REPLYING && s->out_off == s->out_len &&
	    s->reply_step == STEP_DONE) {
		uwg_memzero(s->out, s->out_len);
		s->out_len = s->out_off = 0;
		s->reply = UWG_UAPI_REPLY_NONE;
		s->reply_peer = NULL;
		s->state = UWG_UAPI_IDLE;
	}
}

size_t uwg_uapi_output(struct uwg_uapi *s, const uint8_t **data)
{
	if (s->state != UWG_UAPI_REPLYING)
		return 0;
	if (s->out_off == s->out_len) {
		uwg_memzero(s->out, s->out_len);
		s->out_len = s->out_off = 0;
		refill(s);
	}
	*data = s->out + s->out_off;
	return s->out_len - s->out_off;
}

void uwg_uapi_consume(struct uwg_uapi *s, size_t n)
{
	if (n > s->out_len - s->out_off)
		n = s->out_len - s->out_off;
	s->out_off += n;
	finish_if_done(s);
}

/* ---- input ---- */

/* A set request is complete: the extension applies or drops what it staged. */
static int ext_end(struct uwg_uapi *s, int err)
{
	if (s->io && s->io->ext_end)
		return s->io->ext_end(s->io->ext_ctx, err);
	return err;
}

/* One complete line (without '\n'). Negative errno: close the connection. */
static int handle_line(struct uwg_uapi *s)
{
	bool bad = s->line_overflow || memchr(s->line, '\0', s->line_len);
	char *line = s->line;
	int ret;

	s->line[s->line_len] = '\0';
	switch (s->state) {
	case UWG_UAPI_IDLE:
		if (bad)
			return -EPROTO;
		if (!strcmp(line, "get=1")) {
			s->state = UWG_UAPI_GET;
		} else if (!strcmp(line, "set=1")) {
			set_begin(s);
			s->state = UWG_UAPI_SET;
		} else if (!strcmp(line, "stats=1")) {
			s->state = UWG_UAPI_STATS;
			s->ext_query = false;
		} else if (!strcmp(line, "nat=1") && s->io && s->io->ext_emit) {
			s->state = UWG_UAPI_STATS;
			s->ext_query = true;
		} else {
			return -EPROTO;
		}
		s->bad_request = false;
		return 0;
	case UWG_UAPI_GET:
	case UWG_UAPI_STATS:
		if (s->line_len == 0 && !s->line_overflow) {
			if (s->bad_request)
				start_reply(s, UWG_UAPI_REPLY_ERRNO, -EINVAL);
			else if (s->state == UWG_UAPI_GET)
				start_reply(s, UWG_UAPI_REPLY_GET, 0);
			else
				start_reply(s, s->ext_query ? UWG_UAPI_REPLY_EXT : UWG_UAPI_REPLY_STATS,
					    0);
		} else {
			s->bad_request = true;
		}
		return 0;
	case UWG_UAPI_SET:
		if (s->line_len == 0 && !s->line_overflow) {
			start_reply(s, UWG_UAPI_REPLY_ERRNO, ext_end(s, 0));
			return 0;
		}
		ret = bad ? (s->line_overflow ? -EPROTO : -EINVAL) : set_line(s, line);
		if (ret < 0) {
			s->err = ret;
			s->peer = NULL;
			s->state = UWG_UAPI_SET_SKIP;
		}
		return 0;
	case UWG_UAPI_SET_SKIP:
		if (s->line_len == 0 && !s->line_overflow)
			start_reply(s, UWG_UAPI_REPLY_ERRNO, ext_end(s, s->err));
		return 0;
	case UWG_UAPI_REPLYING:
		break;
	}
	return 0;
}

long uwg_uapi_feed(struct uwg_uapi *s, const uint8_t *in, size_t len)
{
	size_t used = 0;

	while (used < len && s->state != UWG_UAPI_REPLYING) {
		const uint8_t *nl = memchr(in + used, '\n', len - used);
		size_t take = nl ? (size_t)(nl - (in + used)) : len - used;
		size_t space = sizeof(s->line) - 1 - s->line_len;
		int ret;

		if (take > space) {
			s->line_overflow = true;
			memcpy(s->line + s->line_len, in + used, space);
			s->line_len += space;
		} else {
			memcpy(s->line + s->line_len, in + used, take);
			s->line_len += take;
		}
		used += take;
		if (!nl)
			break;
		used++; /* the '\n' */
		ret = handle_line(s);
		uwg_memzero(s->line, s->line_len + 1);
		s->line_len = 0;
		s->line_overflow = false;
		if (ret < 0)
			return ret;
	}
	return (long)used;
}
