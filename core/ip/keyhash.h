/*
 * core/ip/keyhash.h - the keyed hash of the NAT's and the IPv6 firewall's
 * tables: SipHash-1-3's shape over n 64-bit words, keyed with the table's
 * random key, since the world chooses the addresses and ports that are
 * hashed and must not be able to aim at one bucket. No state; any thread.
 */
#ifndef UWG_CORE_IP_KEYHASH_H
#define UWG_CORE_IP_KEYHASH_H

#include <stddef.h>
#include <stdint.h>

static inline uint64_t uwg_keyhash_rotl(uint64_t x, unsigned b)
{
	return (x << b) | (x >> (64 - b));
}

static inline void uwg_keyhash_round(uint64_t v[4])
{
	v[0] += v[1];
	v[1] = uwg_keyhash_rotl(v[1], 13) ^ v[0];
	v[0] = uwg_keyhash_rotl(v[0], 32);
	v[2] += v[3];
	v[3] = uwg_keyhash_rotl(v[3], 16) ^ v[2];
	v[0] += v[3];
	v[3] = uwg_keyhash_rotl(v[3], 21) ^ v[0];
	v[2] += v[1];
	v[1] = uwg_keyhash_rotl(v[1], 17) ^ v[2];
	v[2] = uwg_keyhash_rotl(v[2], 32);
}

static inline uint32_t uwg_keyhash(const uint64_t key[2], const uint64_t *m, size_t n)
{
	uint64_t v[4] = { key[0] ^ 0x736f6d6570736575ull, key[1] ^ 0x646f72616e646f6dull,
			  key[0] ^ 0x6c7967656e657261ull, key[1] ^ 0x7465646279746573ull };
	const uint64_t fin = (uint64_t)(n * 8) << 56;

	for (size_t i = 0; i < n; i++) {
		v[3] ^= m[i];
		uwg_keyhash_round(v);
		v[0] ^= m[i];
	}
	v[3] ^= fin;
	uwg_keyhash_round(v);
	v[0] ^= fin;
	v[2] ^= 0xff;
	uwg_keyhash_round(v);
	uwg_keyhash_round(v);
	uwg_keyhash_round(v);
	return (uint32_t)(v[0] ^ v[1] ^ v[2] ^ v[3]);
}

#endif
