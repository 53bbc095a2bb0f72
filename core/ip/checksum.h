/*
 * core/ip/checksum.h - Internet checksum helpers: the full one's-complement sum
 * (RFC 1071) and incremental updates of a stored checksum (RFC 1624 eqn. 3).
 * Pure functions; any thread.
 *
 * Convention: 16-bit words are big-endian on the wire and handled here as
 * host-order integers read from those bytes; a "sum" is an unfolded running
 * one's-complement sum (uint64_t, so chaining many buffers cannot overflow);
 * a "checksum" is the complemented folded value as stored in a header.
 */
#ifndef UWG_CORE_IP_CHECKSUM_H
#define UWG_CORE_IP_CHECKSUM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Adds len bytes to a running sum. The bytes must start at an even offset of
 * the checksummed region; an odd trailing byte counts as the high half of a
 * word, so only the last chunk of a chain may have odd length.
 */
uint64_t uwg_csum_add(uint64_t sum, const uint8_t *data, size_t len);

/* Folds a running sum to 16 bits (end-around carry), without complementing. */
uint16_t uwg_csum_fold(uint64_t sum);

/* The checksum to store for a region whose running sum (checksum field as zero) is sum. */
static inline uint16_t uwg_csum_finish(uint64_t sum)
{
	return (uint16_t)~uwg_csum_fold(sum);
}

/* Running sum of the IPv4 pseudo header; addresses in host order. */
uint64_t uwg_csum_pseudo4(uint32_t saddr, uint32_t daddr, uint8_t proto, uint16_t l4_len);

/* The header checksum for an IPv4 header of hlen bytes, ignoring the stored field. */
uint16_t uwg_csum_ipv4_header(const uint8_t *hdr, size_t hlen);

/* True if an IPv4 header of hlen bytes carries a correct checksum. */
bool uwg_csum_ipv4_header_ok(const uint8_t *hdr, size_t hlen);

/* RFC 1624 eqn. 3: HC' = ~(~HC + ~m + m') for one 16-bit word m -> m'. */
uint16_t uwg_csum_update16(uint16_t csum, uint16_t old_word, uint16_t new_word);

/* The same for a 32-bit field (two words), e.g. an IPv4 address. */
uint16_t uwg_csum_update32(uint16_t csum, uint32_t old_val, uint32_t new_val);

/*
 * Folds a whole region change into a checksum: old_sum and new_sum are the
 * running sums of the region before and after it was rewritten (same length,
 * same even starting offset). Used when several words move at once.
 */
uint16_t uwg_csum_update_sum(uint16_t csum, uint64_t old_sum, uint64_t new_sum);

/* Big-endian field access, alignment-free. */
static inline uint16_t uwg_get_be16(const uint8_t *p)
{
	return (uint16_t)((unsigned)p[0] << 8 | p[1]);
}

static inline uint32_t uwg_get_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static inline void uwg_put_be16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline void uwg_put_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/* In place: the checksum field at csum_field absorbs a 16/32-bit change elsewhere. */
static inline void uwg_csum_field_update16(uint8_t *csum_field, uint16_t old_word,
					   uint16_t new_word)
{
	uwg_put_be16(csum_field, uwg_csum_update16(uwg_get_be16(csum_field), old_word, new_word));
}

static inline void uwg_csum_field_update32(uint8_t *csum_field, uint32_t old_val,
					   uint32_t new_val)
{
	uwg_put_be16(csum_field, uwg_csum_update32(uwg_get_be16(csum_field), old_val, new_val));
}

#endif
