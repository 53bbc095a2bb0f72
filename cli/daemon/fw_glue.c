/*
 * cli/daemon/fw_glue.c - the IPv6 firewall in the running daemon (see
 * cli/daemon/fw_glue.h). Loop thread only.
 */
#include "cli/daemon/fw_glue.h"

#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "cli/daemon/log.h"
#include "cli/uapi/fw_conf.h"
#include "cli/uapi/text.h"
#include "core/ip/fw6.h"
#include "core/wg.h"
#include "crypto/ct.h"
#include "crypto/encoding.h"

struct uwg_fwd {
	struct uwg_fwd_env env;
	struct uwg_fw6 *fw;
	struct uwg_fw_settings active, staged;
	bool staging;
	uint64_t *except; /* the excepted peers' owner tags, sorted, for a bsearch per packet */
	size_t n_except;
	uv_timer_t tick;
	struct uwg_uapi_io next; /* the ext_* hooks we took over */
	void (*gone)(void *ctx, const struct uwg_fw6_pinhole *ph, const char *why);
	void *gone_ctx;
};

void uwg_fwd_on_pinhole_gone(struct uwg_fwd *f,
			     void (*cb)(void *ctx, const struct uwg_fw6_pinhole *ph, const char *why),
			     void *ctx)
{
	f->gone = cb;
	f->gone_ctx = ctx;
}

uint64_t uwg_fwd_owner_of(const struct uwg_peer *peer)
{
	const uint8_t *key = uwg_peer_public_key(peer);
	uint64_t o = 0;

	for (int i = 0; i < 8; i++)
		o |= (uint64_t)key[i] << (8 * i);
	return o ? o : 1;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x > y) - (x < y);
}

static bool excepted(const struct uwg_fwd *f, uint64_t owner)
{
	return f->n_except && bsearch(&owner, f->except, f->n_except, sizeof(owner), cmp_u64);
}

static bool applies_to(const struct uwg_fwd *f, uint64_t owner)
{
	return f->fw && f->active.enable != excepted(f, owner);
}

bool uwg_fwd_applies(const struct uwg_fwd *f, const struct uwg_peer *peer)
{
	return applies_to(f, uwg_fwd_owner_of(peer));
}

struct uwg_fw6 *uwg_fwd_table(struct uwg_fwd *f)
{
	return f->fw;
}

/* ---- packet hooks ---- */

bool uwg_fwd_inbound(struct uwg_fwd *f, struct uwg_pkt *pkt, uint64_t now_ns)
{
	const uint8_t *d = uwg_pkt_data(pkt);
	struct uwg_peer *peer;
	enum uwg_fw6_drop why;
	uint64_t owner;

	if (!f->fw || pkt->len < 40 || (d[0] >> 4) != 6)
		return false;
	peer = uwg_wg_peer_for_addr(f->env.wg, AF_INET6, d + 24);
	if (!peer)
		return false; /* the core counts it as having no peer */
	owner = uwg_fwd_owner_of(peer);
	if (!applies_to(f, owner) ||
	    uwg_fw6_inbound(f->fw, d, pkt->len, owner, now_ns, &why) == UWG_FW6_PASS)
		return false;
	uwg_pool_put(f->env.pool, pkt);
	return true;
}

void uwg_fwd_outbound(struct uwg_fwd *f, struct uwg_pkt *pkt, uint64_t now_ns)
{
	const uint8_t *d = uwg_pkt_data(pkt);
	struct uwg_peer *peer;
	uint64_t owner;

	if (!f->fw || pkt->len < 40 || (d[0] >> 4) != 6)
		return;
	/* The core has checked the source against the sending peer's AllowedIPs. */
	peer = uwg_wg_peer_for_addr(f->env.wg, AF_INET6, d + 8);
	if (!peer)
		return;
	owner = uwg_fwd_owner_of(peer);
	if (applies_to(f, owner))
		uwg_fw6_outbound(f->fw, d, pkt->len, owner, now_ns);
}

/* ---- expiry and ownership ---- */

static void pinhole_expired(void *ctx, const struct uwg_fw6_pinhole *ph)
{
	struct uwg_fwd *f = ctx;

	if (f->gone)
		f->gone(f->gone_ctx, ph, "expired");
}

/*
 * Pinholes whose address no longer belongs to their owner (peer removed,
 * key changed, AllowedIPs moved) go, as the IGD's IPv4 maps do.
 */
static void sweep_owners(struct uwg_fwd *f, uint64_t now)
{
	struct uwg_fw6_pinhole ph;
	uint32_t cursor = 0;

	while (uwg_fw6_pinhole_next(f->fw, &cursor, now, &ph)) {
		struct uwg_peer *p = uwg_wg_peer_for_addr(f->env.wg, AF_INET6, ph.int_addr);

		if (p && uwg_fwd_owner_of(p) == ph.owner)
			continue;
		if (f->gone)
			f->gone(f->gone_ctx, &ph, "its address left its peer");
		uwg_fw6_pinhole_del(f->fw, ph.id, ph.owner, now);
	}
}

static void tick_cb(uv_timer_t *t)
{
	struct uwg_fwd *f = t->data;
	uint64_t now = uv_hrtime();

	if (!f->fw)
		return;
	uwg_fw6_expire(f->fw, now, UWG_FWD_EXPIRE_BUDGET, pinhole_expired, f);
	sweep_owners(f, now);
}

/* ---- configuration ---- */

static int apply(struct uwg_fwd *f, struct uwg_fw_settings *want)
{
	uint64_t *tags = NULL;

	if (want->n_except) {
		tags = malloc(want->n_except * sizeof(*tags));
		if (!tags)
			return -ENOMEM;
		for (size_t i = 0; i < want->n_except; i++) {
			uint64_t o = 0;

			for (int b = 0; b < 8; b++)
				o |= (uint64_t)want->except[i][b] << (8 * b);
			tags[i] = o ? o : 1;
		}
		qsort(tags, want->n_except, sizeof(*tags), cmp_u64);
	}
	if (uwg_fw_settings_active(want) && !f->fw) {
		struct uwg_fw6_config cfg = { 0 };
		int err;

		uwg_random_bytes(cfg.hash_key, sizeof(cfg.hash_key));
		err = uwg_fw6_new(&f->fw, &cfg);
		if (err) {
			free(tags);
			return err;
		}
		uv_timer_start(&f->tick, tick_cb, UWG_FWD_TICK_MS, UWG_FWD_TICK_MS);
		uwg_log_info("IPv6 firewall on (%s, %zu peer%s excepted)",
			     want->enable ? "every peer" : "only the listed peers", want->n_except,
			     want->n_except == 1 ? "" : "s");
	} else if (!uwg_fw_settings_active(want) && f->fw) {
		uv_timer_stop(&f->tick);
		uwg_fw6_free(f->fw);
		f->fw = NULL;
		uwg_log_info("IPv6 firewall off (its pinholes are gone)");
		if (f->gone)
			f->gone(f->gone_ctx, NULL, NULL);
	}
	free(f->except);
	f->except = tags;
	f->n_except = want->n_except;
	uwg_fw_settings_free(&f->active);
	f->active = *want;
	memset(want, 0, sizeof(*want));
	return 0;
}

static void ext_begin(void *ctx)
{
	struct uwg_fwd *f = ctx;

	uwg_fw_settings_free(&f->staged);
	f->staging = false;
	if (f->next.ext_begin)
		f->next.ext_begin(f->next.ext_ctx);
}

static int ext_set(void *ctx, const char *key, const char *value)
{
	struct uwg_fwd *f = ctx;

	if (strncmp(key, "fw6_", 4)) {
		if (!f->next.ext_set)
			return -EINVAL;
		return f->next.ext_set(f->next.ext_ctx, key, value);
	}
	/* fw6_enable first states all of it; a lone fw6_except changes the running list. */
	if (!f->staging && strcmp(key, "fw6_enable") && !uwg_fw_settings_copy(&f->staged, &f->active))
		return -ENOMEM;
	f->staging = true;
	switch (uwg_fw_conf_uapi_key(&f->staged, key, value)) {
	case 0:
		return 0;
	case -ENOSPC:
		return -ENOSPC;
	case -ENOMEM:
		return -ENOMEM;
	default:
		return -EINVAL;
	}
}

static int ext_end(void *ctx, int err)
{
	struct uwg_fwd *f = ctx;

	if (f->next.ext_end)
		err = f->next.ext_end(f->next.ext_ctx, err);
	if (f->staging && !err)
		err = apply(f, &f->staged);
	uwg_fw_settings_free(&f->staged);
	f->staging = false;
	return err;
}

/* ---- "nat=1" lines ---- */

static void tag_hex(uint64_t tag, char out[17])
{
	static const char digits[] = "0123456789abcdef";

	for (int i = 0; i < 8; i++) {
		uint8_t b = (uint8_t)(tag >> (8 * i));

		out[2 * i] = digits[b >> 4];
		out[2 * i + 1] = digits[b & 15];
	}
	out[16] = '\0';
}

static bool emit_head(struct uwg_fwd *f, char *buf, size_t cap, size_t *used)
{
	const struct uwg_fw6_stats *st;

	if (!uwg_text_line(buf, cap, used, "fw6=%s\nfw6_enable=%s\n", f->fw ? "true" : "false",
			   f->active.enable ? "true" : "false"))
		return false;
	if (!f->fw)
		return true;
	st = uwg_fw6_get_stats(f->fw);
	const struct {
		const char *name;
		uint64_t v;
	} all[] = {
		{ "in_passed", st->in_passed },
		{ "out_seen", st->out_seen },
		{ "flows_created", st->flows_created },
		{ "flows_expired", st->flows_expired },
		{ "flows_evicted", st->flows_evicted },
		{ "flows_active", st->flows_active },
		{ "pinholes_active", st->pinholes_active },
		{ "pinholes_expired", st->pinholes_expired },
		{ "owners_evicted", st->owners_evicted },
		{ "drop_malformed", st->drops[UWG_FW6_DROP_MALFORMED] },
		{ "drop_unsolicited", st->drops[UWG_FW6_DROP_UNSOLICITED] },
		{ "drop_icmp", st->drops[UWG_FW6_DROP_ICMP] },
		{ "drop_fragment", st->drops[UWG_FW6_DROP_FRAGMENT] },
	};
	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
		if (!uwg_text_line(buf, cap, used, "fw6_stat_%s=%" PRIu64 "\n", all[i].name, all[i].v))
			return false;
	return true;
}

/*
 * Our part of a reply comes after the NAT's: cursor = CURSOR_FW | step, step 0
 * the head, STEP_EXCEPT + i the excepted peers, STEP_PINHOLES + the pinholes' table cursor, then
 * STEP_OWNERS + the owners' table cursor. The IGD's flag is the top bit.
 */
#define CURSOR_FW ((size_t)1 << (sizeof(size_t) * 8 - 2))
#define STEP_EXCEPT ((size_t)1)
#define STEP_PINHOLES ((size_t)1 << 20)
#define STEP_OWNERS ((size_t)1 << 40)

static bool emit_ours(struct uwg_fwd *f, size_t *cursor, char *buf, size_t cap, size_t *used)
{
	size_t step = *cursor & ~CURSOR_FW;
	uint64_t now = uv_hrtime();
	uint32_t c;

	if (step == 0) {
		size_t n = 0;

		if (!emit_head(f, buf, cap, &n))
			return false;
		*used += n;
		step = STEP_EXCEPT;
		*cursor = CURSOR_FW | step;
	}
	if (!f->fw)
		return true;
	for (; step < STEP_PINHOLES; step++) {
		char hex[UWG_KEY_HEX_LEN];

		if (step - STEP_EXCEPT >= f->active.n_except) {
			step = STEP_PINHOLES;
			break;
		}
		uwg_key_to_hex(hex, f->active.except[step - STEP_EXCEPT]);
		if (!uwg_text_line(buf, cap, used, "fw6_except=%s\n", hex))
			return false;
		*cursor = CURSOR_FW | (step + 1);
	}
	for (c = (uint32_t)(step - STEP_PINHOLES); step < STEP_OWNERS;) {
		struct uwg_fw6_pinhole ph;
		char in[INET6_ADDRSTRLEN], rem[INET6_ADDRSTRLEN], tag[17];

		if (!uwg_fw6_pinhole_next(f->fw, &c, now, &ph)) {
			step = STEP_OWNERS;
			*cursor = CURSOR_FW | step;
			break;
		}
		inet_ntop(AF_INET6, ph.int_addr, in, sizeof(in));
		inet_ntop(AF_INET6, ph.rem_addr, rem, sizeof(rem));
		tag_hex(ph.owner, tag);
		if (!uwg_text_line(buf, cap, used,
				   "fw6_pinhole=%u %s [%s]:%u [%s]:%u %" PRIu64 " %" PRIu64 " %s %u %s\n",
				   ph.id, ph.proto == IPPROTO_TCP ? "tcp" : "udp", in, ph.int_port, rem,
				   ph.rem_port,
				   ph.expires_ns > now ? (ph.expires_ns - now) / 1000000000u : 0,
				   ph.packets, tag, ph.origin, ph.desc))
			return false;
		*cursor = CURSOR_FW | (STEP_PINHOLES + c);
	}
	for (c = (uint32_t)(step - STEP_OWNERS);;) {
		struct uwg_fw6_owner_stats os;
		uint64_t owner;
		char tag[17];

		if (!uwg_fw6_owner_next(f->fw, &c, &owner, &os))
			return true;
		tag_hex(owner, tag);
		if (!uwg_text_line(buf, cap, used,
				   "fw6_peer=%s %" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu64 "\n",
				   tag, os.dropped, os.passed, os.flows, os.pinholes, os.evicted))
			return false;
		*cursor = CURSOR_FW | (STEP_OWNERS + c);
	}
}

static bool ext_emit(void *ctx, size_t *cursor, char *buf, size_t cap, size_t *used)
{
	struct uwg_fwd *f = ctx;
	size_t more = 0;

	*used = 0;
	if (!(*cursor & CURSOR_FW)) {
		if (f->next.ext_emit && !f->next.ext_emit(f->next.ext_ctx, cursor, buf, cap, used))
			return false;
		*cursor = CURSOR_FW;
	}
	if (!emit_ours(f, cursor, buf + *used, cap - *used, &more)) {
		*used += more;
		return false;
	}
	*used += more;
	return true;
}

void uwg_fwd_uapi_hooks(struct uwg_fwd *f, struct uwg_uapi_io *io)
{
	f->next = *io;
	io->ext_ctx = f;
	io->ext_begin = ext_begin;
	io->ext_set = ext_set;
	io->ext_end = ext_end;
	io->ext_emit = ext_emit;
}

/* ---- lifecycle ---- */

int uwg_fwd_new(struct uwg_fwd **out, const struct uwg_fwd_env *env)
{
	struct uwg_fwd *f = calloc(1, sizeof(*f));

	*out = NULL;
	if (!f)
		return -ENOMEM;
	f->env = *env;
	uv_timer_init(env->uv, &f->tick);
	f->tick.data = f;
	*out = f;
	return 0;
}

static void tick_closed(uv_handle_t *h)
{
	free(h->data);
}

void uwg_fwd_free(struct uwg_fwd *f)
{
	if (!f)
		return;
	uwg_fw6_free(f->fw);
	f->fw = NULL;
	uwg_fw_settings_free(&f->active);
	uwg_fw_settings_free(&f->staged);
	free(f->except);
	uv_close((uv_handle_t *)&f->tick, tick_closed);
}
