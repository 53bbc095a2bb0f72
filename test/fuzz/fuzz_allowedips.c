/*
 * test/fuzz/fuzz_allowedips.c - libFuzzer harness: the input is a script of
 * insert/remove/remove_by_owner/lookup operations run against the trie and a
 * flat list at once; any disagreement, broken invariant or sanitizer report
 * is a crash.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "core/allowedips.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
/* Test hook in core/allowedips.c: node count, or -1 if an invariant is broken. */
long uwg_allowedips_selfcheck(const struct uwg_allowedips *t);

enum { MAX_ENTRIES = 256, OWNERS = 4 };

struct entry {
	uint8_t addr[16];
	uint8_t cidr, v6;
	void *owner;
};

static struct uwg_allowedips_owner owners[OWNERS];
static struct entry model[MAX_ENTRIES];
static size_t model_n;

static void mask(uint8_t a[16], unsigned cidr)
{
	for (unsigned i = 0; i < 16; i++)
		if (cidr < 8 * (i + 1))
			a[i] &= cidr > 8 * i ? (uint8_t)(0xff << (8 - (cidr - 8 * i))) : 0;
}

static struct entry *find(unsigned v6, const uint8_t a[16], unsigned cidr)
{
	for (size_t i = 0; i < model_n; i++)
		if (model[i].v6 == v6 && model[i].cidr == cidr && !memcmp(model[i].addr, a, 16))
			return &model[i];
	return NULL;
}

static void *model_lookup(unsigned v6, const uint8_t a[16])
{
	struct entry *best = NULL;
	uint8_t m[16];

	for (size_t i = 0; i < model_n; i++) {
		if (model[i].v6 != v6)
			continue;
		memcpy(m, a, 16);
		mask(m, model[i].cidr);
		if (!memcmp(m, model[i].addr, 16) && (!best || model[i].cidr > best->cidr))
			best = &model[i];
	}
	return best ? best->owner : NULL;
}

struct walk_ctx {
	void *owner;
	size_t n;
};

static int walk_cb(void *ctx, int af, const uint8_t *addr, uint8_t cidr)
{
	struct walk_ctx *w = ctx;
	uint8_t a[16] = { 0 };
	struct entry *e;

	memcpy(a, addr, af == AF_INET ? 4 : 16);
	e = find(af == AF_INET6, a, cidr);
	if (!e || e->owner != w->owner)
		abort();
	w->n++;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct uwg_allowedips t;
	size_t pos = 0;

	uwg_allowedips_init(&t);
	model_n = 0;
	while (pos < size) {
		uint8_t op = data[pos++], a[16] = { 0 }, cidr;
		unsigned v6 = op & 1, len = v6 ? 16 : 4, bits = v6 ? 128 : 32, kind = op >> 3;
		int af = v6 ? AF_INET6 : AF_INET;
		struct uwg_allowedips_owner *owner = &owners[(op >> 1) & 3];
		struct entry *e;
		int ret;

		for (unsigned i = 0; i < len && pos < size; i++)
			a[i] = data[pos++];
		cidr = pos < size ? (uint8_t)(data[pos++] % (bits + 1)) : (uint8_t)bits;
		if (kind < 12) {
			ret = uwg_allowedips_insert(&t, af, a, cidr, owner);
			mask(a, cidr);
			e = find(v6, a, cidr);
			if (!e && model_n < MAX_ENTRIES) {
				e = &model[model_n++];
				memcpy(e->addr, a, 16);
				e->cidr = cidr;
				e->v6 = (uint8_t)v6;
			}
			if (!e) { /* model full: undo in the trie */
				if (ret == 0)
					uwg_allowedips_remove(&t, af, a, cidr, owner);
			} else {
				e->owner = owner;
			}
			if (ret != 0)
				abort();
		} else if (kind < 22) {
			ret = uwg_allowedips_remove(&t, af, a, cidr, owner);
			mask(a, cidr);
			e = find(v6, a, cidr);
			if ((e && e->owner == owner) != (ret == 0))
				abort();
			if (ret == 0)
				*e = model[--model_n];
		} else if (kind < 23) {
			uwg_allowedips_remove_by_owner(&t, owner);
			for (size_t i = 0; i < model_n;)
				if (model[i].owner == owner)
					model[i] = model[--model_n];
				else
					i++;
		} else {
			if (uwg_allowedips_lookup(&t, af, a) != model_lookup(v6, a))
				abort();
		}
	}
	for (unsigned o = 0; o < OWNERS; o++) {
		struct walk_ctx w = { &owners[o], 0 };
		size_t want = 0;

		for (size_t i = 0; i < model_n; i++)
			want += model[i].owner == &owners[o];
		uwg_allowedips_walk_by_owner(&owners[o], walk_cb, &w);
		if (w.n != want)
			abort();
	}
	if (uwg_allowedips_selfcheck(&t) < 0 || (size_t)uwg_allowedips_selfcheck(&t) > 2 * model_n)
		abort();
	uwg_allowedips_free(&t);
	return 0;
}
