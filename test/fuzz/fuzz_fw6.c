/*
 * test/fuzz/fuzz_fw6.c - the IPv6 firewall (core/ip/fw6.c) under a script of
 * packets and pinhole operations. Each input runs on a fresh firewall with
 * small tables (64 flows, 16 per owner, 16 pinholes, 6 per owner, 4 owner
 * entries for 6 owners), so every eviction and recycling path is near.
 *
 * Input: records, each an op byte and its arguments; a short record ends it.
 *   op bits 0-2 kind, bit 3 "in" (inbound / the second variant), bits 4-7
 *   owner (mod 6).
 *   kind 0-2  step, nh, sel, n, n bytes: a packet the harness frames: IPv6
 *             header with next header nh, payload length n, the client
 *             (sel bits 0-1) and remote (bits 2-3) addresses from small
 *             sets, in the packet's direction;
 *   kind 3    step, n, n bytes: a raw packet;
 *   kind 4    sel, port, rem, life: pinhole_add (proto by sel bit 0,
 *             client by bits 1-2; remote host by rem bits 0-2, 4+ = any;
 *             remote port rem >> 3; expiry now + life s, 255 = 0);
 *   kind 5    id, life: pinhole_update ("in") or pinhole_del;
 *   kind 6    budget: forget_owner ("in") or expire;
 *   kind 7    the listing checks below, nothing consumed.
 * step moves the fake clock: below 128 by step * 10 ms, else by
 * (step - 128) * 4 s.
 *
 * Properties (abort on violation): every inbound verdict agrees with its
 * reason and moves exactly one counter; an outbound packet moves out_seen and
 * at most the MALFORMED counter; judging an inbound packet again at the same
 * time gives the same answer; the reverse of a framed outbound TCP (no RST),
 * UDP or other-protocol packet passes at once when its owner has an entry;
 * flows and pinholes add up over owners, against the caps and against the
 * created/expired/evicted/deleted counts; listings are in id order, live
 * and agree with pinhole_get; the expire callback sees only expired ones.
 *
 * Seeds: UWG_FUZZ_WRITE_SEEDS=DIR fuzz_fw6 writes the hand-made scripts of
 * test/fuzz/corpus/fuzz_fw6 (see write_seeds) and exits.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/ip/fw6.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define S_NS 1000000000ull

enum { MAX_FLOWS = 64, PER_OWNER = 16, MAX_PH = 16, PH_PER_OWNER = 6, MAX_OWNERS = 4 };
enum { NH_TCP = 6, NH_UDP = 17, NH_ICMP6 = 58 };

static const uint64_t owners[6] = { 0x1111, 0x2222, 0x3333, 0x4444, 0x5555, 0x6666 };

static struct uwg_fw6 *fw;
static uint64_t now;
/* What the counters must add up to. */
static uint64_t forgot_flows, forgot_ph, deleted_ph, added_ph;

static void addr(uint8_t *out, bool client, unsigned i)
{
	static const uint8_t base[16] = { 0x20, 0x01, 0x0d, 0xb8 };

	memcpy(out, base, 16);
	out[5] = client ? 1 : 0xff;
	out[15] = (uint8_t)(1 + (i & 3));
}

static void step_clock(uint8_t step)
{
	now += step < 128 ? (uint64_t)step * 10000000ull : (uint64_t)(step - 128) * 4 * S_NS;
}

static void check_totals(void)
{
	const struct uwg_fw6_stats *st = uwg_fw6_get_stats(fw);
	struct uwg_fw6_owner_stats os;
	uint64_t flows = 0, ph = 0, tag;
	uint32_t cur = 0;
	unsigned n = 0;

	while (uwg_fw6_owner_next(fw, &cur, &tag, &os)) {
		if (!tag || os.flows > PER_OWNER || os.pinholes > PH_PER_OWNER || ++n > MAX_OWNERS)
			abort();
		flows += os.flows;
		ph += os.pinholes;
	}
	if (flows != st->flows_active || ph != st->pinholes_active || flows > MAX_FLOWS ||
	    ph > MAX_PH)
		abort();
	if (st->flows_created - st->flows_expired - st->flows_evicted - forgot_flows != flows)
		abort();
	if (added_ph - st->pinholes_expired - deleted_ph - forgot_ph != ph)
		abort();
}

static void check_listing(void)
{
	struct uwg_fw6_pinhole p, q;
	uint32_t cur = 0;
	unsigned last = 0, n = 0;

	while (uwg_fw6_pinhole_next(fw, &cur, now, &p)) {
		if (p.id <= last || p.expires_ns <= now || ++n > MAX_PH)
			abort();
		last = p.id;
		if (uwg_fw6_pinhole_get(fw, p.id, now, &q) || memcmp(&p, &q, sizeof(p)))
			abort();
		if (uwg_fw6_pinhole_find(fw, &p, now, &q) || q.id != p.id)
			abort();
	}
}

static enum uwg_fw6_drop judge(const uint8_t *pkt, size_t len, uint64_t owner)
{
	const struct uwg_fw6_stats *st = uwg_fw6_get_stats(fw);
	struct uwg_fw6_stats before = *st;
	enum uwg_fw6_drop why = UWG_FW6_DROP_COUNT, why2 = UWG_FW6_DROP_COUNT;
	enum uwg_fw6_verdict v = uwg_fw6_inbound(fw, pkt, len, owner, now, &why), v2;

	if (why >= UWG_FW6_DROP_COUNT || (v == UWG_FW6_PASS) != (why == UWG_FW6_DROP_NONE))
		abort();
	if (v == UWG_FW6_PASS ? st->in_passed != before.in_passed + 1
			      : st->drops[why] != before.drops[why] + 1)
		abort();
	v2 = uwg_fw6_inbound(fw, pkt, len, owner, now, &why2);
	if (v2 != v || why2 != why)
		abort();
	return why;
}

/* Outbound, and for framed packets without extension headers, the reply. */
static void send_out(uint8_t *pkt, size_t len, uint64_t owner, bool framed)
{
	const struct uwg_fw6_stats *st = uwg_fw6_get_stats(fw);
	uint64_t seen = st->out_seen, bad = st->drops[UWG_FW6_DROP_MALFORMED];
	uint64_t passed = st->in_passed;
	struct uwg_fw6_owner_stats os;
	uint8_t nh = len >= 40 ? pkt[6] : 0, t[16];

	uwg_fw6_outbound(fw, pkt, len, owner, now);
	if (st->out_seen != seen + 1 || st->drops[UWG_FW6_DROP_MALFORMED] > bad + 1 ||
	    st->in_passed != passed)
		abort();
	if (!framed || st->drops[UWG_FW6_DROP_MALFORMED] != bad ||
	    uwg_fw6_owner_get(fw, owner, &os))
		return;
	switch (nh) {
	case 0:  /* hop-by-hop */
	case 43: /* routing */
	case 44: /* fragment */
	case 51: /* AH */
	case 60: /* destination options */
	case NH_ICMP6:
		return;
	case NH_TCP:
		if (pkt[40 + 13] & 0x04)
			return; /* an RST out makes no flow */
		break;
	default:
		break;
	}
	memcpy(t, pkt + 8, 16);
	memmove(pkt + 8, pkt + 24, 16);
	memcpy(pkt + 24, t, 16);
	if (nh == NH_TCP || nh == NH_UDP) {
		memcpy(t, pkt + 40, 2);
		memmove(pkt + 40, pkt + 42, 2);
		memcpy(pkt + 42, t, 2);
	}
	if (judge(pkt, len, owner) != UWG_FW6_DROP_NONE)
		abort();
}

static void on_expired(void *ctx, const struct uwg_fw6_pinhole *ph)
{
	(void)ctx;
	if (ph->expires_ns > now || !ph->id)
		abort();
}

static void setup(void)
{
	struct uwg_fw6_config cfg = {
		.max_flows = MAX_FLOWS,
		.max_flows_per_owner = PER_OWNER,
		.max_pinholes = MAX_PH,
		.max_pinholes_per_owner = PH_PER_OWNER,
		.max_owners = MAX_OWNERS,
		.hash_key = { 0x0706050403020100ull, 0x0f0e0d0c0b0a0908ull },
	};

	if (uwg_fw6_new(&fw, &cfg))
		abort();
	now = 1000 * S_NS;
	forgot_flows = forgot_ph = deleted_ph = added_ph = 0;
}

static void pinhole_add(const uint8_t *a, uint64_t owner)
{
	const struct uwg_fw6_stats *st = uwg_fw6_get_stats(fw);
	uint64_t active = st->pinholes_active;
	struct uwg_fw6_pinhole p, q;
	uint16_t id = 0;
	int rc;

	memset(&p, 0, sizeof(p));
	p.proto = (a[0] & 1) ? NH_TCP : NH_UDP;
	addr(p.int_addr, true, a[0] >> 1);
	p.int_port = a[1];
	if ((a[2] & 7) < 4)
		addr(p.rem_addr, false, a[2]);
	p.rem_port = a[2] >> 3;
	p.owner = owner;
	p.expires_ns = a[3] == 255 ? 0 : now + (uint64_t)a[3] * S_NS;
	snprintf(p.desc, sizeof(p.desc), "fuzz %u", a[0]);
	rc = uwg_fw6_pinhole_add(fw, &p, now, &id);
	if (rc && rc != -EEXIST && rc != -ENOSPC && rc != -EINVAL)
		abort();
	if (rc) {
		if (st->pinholes_active != active)
			abort();
		return;
	}
	if (!id || st->pinholes_active > active + 1)
		abort();
	added_ph += st->pinholes_active - active;
	if (p.expires_ns > now &&
	    (uwg_fw6_pinhole_get(fw, id, now, &q) || q.owner != owner || q.int_port != p.int_port ||
	     q.expires_ns != p.expires_ns || strcmp(q.desc, p.desc)))
		abort();
}

static void pinhole_change(uint8_t id, uint8_t life, bool update, uint64_t owner)
{
	const struct uwg_fw6_stats *st = uwg_fw6_get_stats(fw);
	uint64_t active = st->pinholes_active;
	int rc;

	if (update) {
		rc = uwg_fw6_pinhole_update(fw, id, owner, now + (uint64_t)life * S_NS, now);
		if (rc && rc != -ENOENT && rc != -EPERM && rc != -EINVAL)
			abort();
		if (st->pinholes_active != active)
			abort();
		return;
	}
	rc = uwg_fw6_pinhole_del(fw, id, owner, now);
	if (rc && rc != -ENOENT && rc != -EPERM)
		abort();
	if (st->pinholes_active != active - (rc ? 0 : 1))
		abort();
	deleted_ph += rc ? 0 : 1;
}

static void forget(uint64_t owner)
{
	struct uwg_fw6_owner_stats os;

	if (!uwg_fw6_owner_get(fw, owner, &os)) {
		forgot_flows += os.flows;
		forgot_ph += os.pinholes;
	}
	uwg_fw6_forget_owner(fw, owner);
	if (!uwg_fw6_owner_get(fw, owner, &os))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t pkt[40 + 256];
	size_t i = 0;

	setup();
	while (i < size) {
		uint8_t op = data[i++], kind = op & 7;
		bool in = op & 8;
		uint64_t owner = owners[(op >> 4) % 6];
		size_t n;

		if (kind <= 2) {
			if (size - i < 4)
				break;
			step_clock(data[i]);
			n = data[i + 3];
			if (size - i - 4 < n)
				n = size - i - 4;
			memset(pkt, 0, 40);
			pkt[0] = 0x60;
			pkt[4] = (uint8_t)(n >> 8);
			pkt[5] = (uint8_t)n;
			pkt[6] = data[i + 1];
			pkt[7] = 64;
			addr(pkt + (in ? 24 : 8), true, data[i + 2]);
			addr(pkt + (in ? 8 : 24), false, (unsigned)data[i + 2] >> 2);
			memcpy(pkt + 40, data + i + 4, n);
			i += 4 + n;
			if (in)
				judge(pkt, 40 + n, owner);
			else
				send_out(pkt, 40 + n, owner, true);
		} else if (kind == 3) {
			if (size - i < 2)
				break;
			step_clock(data[i]);
			n = data[i + 1];
			if (size - i - 2 < n)
				n = size - i - 2;
			memcpy(pkt, data + i + 2, n);
			i += 2 + n;
			if (in)
				judge(pkt, n, owner);
			else
				send_out(pkt, n, owner, false);
		} else if (kind == 4) {
			if (size - i < 4)
				break;
			pinhole_add(data + i, owner);
			i += 4;
		} else if (kind == 5) {
			if (size - i < 2)
				break;
			pinhole_change(data[i], data[i + 1], in, owner);
			i += 2;
		} else if (kind == 6) {
			if (size - i < 1)
				break;
			if (in)
				forget(owner);
			else
				uwg_fw6_expire(fw, now, data[i], on_expired, NULL);
			i++;
		} else {
			check_listing();
		}
		check_totals();
	}
	check_listing();
	uwg_fw6_free(fw);
	fw = NULL;
	return 0;
}

/* ---- seeds ---- */

struct script {
	uint8_t b[1024];
	size_t n;
};

static void put(struct script *s, const void *p, size_t n)
{
	if (s->n + n > sizeof(s->b))
		abort();
	memcpy(s->b + s->n, p, n);
	s->n += n;
}

static void put1(struct script *s, uint8_t v)
{
	put(s, &v, 1);
}

static uint8_t opb(unsigned kind, bool in, unsigned owner)
{
	return (uint8_t)(kind | (in ? 8 : 0) | owner << 4);
}

/* A framed packet: nh, addresses sel, payload. */
static void framed(struct script *s, bool in, unsigned owner, uint8_t step, uint8_t nh,
		   uint8_t sel, const uint8_t *l4, size_t n)
{
	put1(s, opb(0, in, owner));
	put1(s, step);
	put1(s, nh);
	put1(s, sel);
	put1(s, (uint8_t)n);
	put(s, l4, n);
}

static size_t tcp_l4(uint8_t *l4, uint16_t sp, uint16_t dp, uint8_t flags)
{
	memset(l4, 0, 20);
	l4[0] = (uint8_t)(sp >> 8);
	l4[1] = (uint8_t)sp;
	l4[2] = (uint8_t)(dp >> 8);
	l4[3] = (uint8_t)dp;
	l4[12] = 0x50;
	l4[13] = flags;
	return 20;
}

static size_t udp_l4(uint8_t *l4, uint16_t sp, uint16_t dp)
{
	memset(l4, 'u', 12);
	l4[0] = (uint8_t)(sp >> 8);
	l4[1] = (uint8_t)sp;
	l4[2] = (uint8_t)(dp >> 8);
	l4[3] = (uint8_t)dp;
	l4[4] = 0;
	l4[5] = 12;
	l4[6] = l4[7] = 0;
	return 12;
}

static void save(const char *dir, const char *name, const struct script *s)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "wb");
	if (!f || fwrite(s->b, 1, s->n, f) != s->n || fclose(f))
		abort();
}

static void write_seeds(const char *dir)
{
	struct script s;
	uint8_t l4[64], raw[128];
	size_t n;

	/* A UDP query out, its reply, a reply from the wrong port. */
	memset(&s, 0, sizeof(s));
	n = udp_l4(l4, 5000, 53);
	framed(&s, false, 0, 1, NH_UDP, 0x05, l4, n);
	n = udp_l4(l4, 53, 5000);
	framed(&s, true, 0, 1, NH_UDP, 0x05, l4, n);
	n = udp_l4(l4, 54, 5000);
	framed(&s, true, 0, 1, NH_UDP, 0x05, l4, n);
	framed(&s, true, 0, 128 + 50, NH_UDP, 0x05, l4, n);
	put1(&s, 7);
	save(dir, "udp-flow", &s);

	/* TCP: SYN out, SYN-ACK in, FIN, RST, then after the RST timeout. */
	memset(&s, 0, sizeof(s));
	n = tcp_l4(l4, 40000, 443, 0x02);
	framed(&s, false, 1, 0, NH_TCP, 0x06, l4, n);
	n = tcp_l4(l4, 443, 40000, 0x12);
	framed(&s, true, 1, 5, NH_TCP, 0x06, l4, n);
	n = tcp_l4(l4, 443, 40000, 0x11);
	framed(&s, true, 1, 5, NH_TCP, 0x06, l4, n);
	n = tcp_l4(l4, 443, 40000, 0x04);
	framed(&s, true, 1, 5, NH_TCP, 0x06, l4, n);
	n = tcp_l4(l4, 443, 40000, 0x10);
	framed(&s, true, 1, 128 + 3, NH_TCP, 0x06, l4, n);
	save(dir, "tcp-states", &s);

	/* A pinhole: added, used, updated, listed, deleted, another one expired. */
	memset(&s, 0, sizeof(s));
	put1(&s, opb(4, false, 2));
	put(&s, (const uint8_t[]){ 0x01, 80, 0x04, 100 }, 4);
	n = tcp_l4(l4, 33333, 80, 0x02);
	framed(&s, true, 2, 1, NH_TCP, 0x00, l4, n);
	put1(&s, opb(5, true, 2));
	put(&s, (const uint8_t[]){ 1, 10 }, 2);
	put1(&s, opb(7, false, 0));
	put1(&s, opb(4, false, 3));
	put(&s, (const uint8_t[]){ 0x00, 53, 0x01 | 5 << 3, 2 }, 4);
	put1(&s, opb(5, false, 3));
	put(&s, (const uint8_t[]){ 1, 0 }, 2);
	put1(&s, opb(5, false, 2));
	put(&s, (const uint8_t[]){ 1, 0 }, 2);
	n = udp_l4(l4, 5, 53);
	framed(&s, true, 3, 1, NH_UDP, 0x04, l4, n);
	framed(&s, true, 3, 128 + 1, NH_UDP, 0x04, l4, n);
	put1(&s, opb(6, false, 0));
	put1(&s, 64);
	save(dir, "pinholes", &s);

	/* Fragments: a flow, a first fragment in, the next one, a lone one. */
	memset(&s, 0, sizeof(s));
	n = udp_l4(l4, 6000, 6001);
	framed(&s, false, 0, 0, NH_UDP, 0x00, l4, n);
	memset(raw, 0, sizeof(raw));
	raw[0] = NH_UDP;
	raw[3] = 1; /* offset 0, more */
	raw[7] = 9; /* id */
	udp_l4(raw + 8, 6001, 6000);
	raw[8 + 4] = 0x04; /* the datagram is longer than this fragment */
	framed(&s, true, 0, 0, 44, 0x00, raw, 20);
	memset(raw, 0, 24);
	raw[0] = NH_UDP;
	raw[2] = 0;
	raw[3] = 8 << 3 & 0xff; /* offset 8 */
	raw[7] = 9;
	framed(&s, true, 0, 0, 44, 0x00, raw, 24);
	raw[7] = 10;
	framed(&s, true, 0, 0, 44, 0x00, raw, 24);
	save(dir, "fragments", &s);

	/* Extension headers before UDP, out and in; then a raw packet with a bad version. */
	memset(&s, 0, sizeof(s));
	memset(raw, 0, sizeof(raw));
	raw[0] = 60; /* hop-by-hop -> destination options -> UDP */
	raw[1] = 0;
	raw[2] = 1;
	raw[3] = 4;
	raw[8] = NH_UDP;
	raw[9] = 0;
	raw[10] = 1;
	raw[11] = 4;
	udp_l4(raw + 16, 7000, 7001);
	framed(&s, false, 4, 0, 0, 0x0f, raw, 28);
	udp_l4(raw + 16, 7001, 7000);
	framed(&s, true, 4, 0, 0, 0x0f, raw, 28);
	put1(&s, opb(3, true, 4));
	put1(&s, 0);
	put1(&s, 48);
	memset(raw, 0, 48);
	raw[0] = 0x45;
	put(&s, raw, 48);
	save(dir, "ext-headers", &s);

	/* ICMPv6 in: echo reply, packet too big, redirect, router advertisement. */
	memset(&s, 0, sizeof(s));
	for (unsigned k = 0; k < 4; k++) {
		static const uint8_t types[4] = { 129, 2, 137, 134 };

		memset(l4, 0, 8);
		l4[0] = types[k];
		framed(&s, true, 5, 0, NH_ICMP6, (uint8_t)k, l4, 8);
	}
	l4[0] = 128;
	framed(&s, false, 5, 0, NH_ICMP6, 0, l4, 8);
	save(dir, "icmp", &s);

	/* Six owners through four entries; one owner past its share of flows; forget. */
	memset(&s, 0, sizeof(s));
	for (unsigned o = 0; o < 6; o++) {
		n = udp_l4(l4, (uint16_t)(100 + o), 53);
		framed(&s, o & 1, o, 1, NH_UDP, (uint8_t)o, l4, n);
	}
	for (unsigned k = 0; k < 20; k++) {
		n = udp_l4(l4, (uint16_t)(2000 + k), 53);
		framed(&s, false, 0, 0, NH_UDP, 0, l4, n);
	}
	put1(&s, opb(6, true, 0));
	put1(&s, 0);
	put1(&s, opb(6, false, 0));
	put1(&s, 255);
	save(dir, "owners-evict", &s);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *dir = getenv("UWG_FUZZ_WRITE_SEEDS");

	(void)argc;
	(void)argv;
	if (dir) {
		write_seeds(dir);
		exit(0);
	}
	return 0;
}
