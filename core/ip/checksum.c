/*
 * core/ip/checksum.c - RFC 1071 sums and RFC 1624 incremental updates (see
 * checksum.h for the conventions). Pure functions; any thread.
 */
#include "core/ip/checksum.h"

uint64_t uwg_csum_add(uint64_t sum, const uint8_t *data, size_t len)
{
	size_t i = 0;

	/* Four words per round; a uint64_t cannot overflow on any IPv4 packet chain. */
	for (; i + 8 <= len; i += 8)
		sum += (uint64_t)uwg_get_be16(data + i) + uwg_get_be16(data + i + 2) +
		       uwg_get_be16(data + i + 4) + uwg_get_be16(data + i + 6);
	for (; i + 2 <= len; i += 2)
		sum += uwg_get_be16(data + i);
	if (i < len)
		sum += (uint64_t)data[i] << 8;
	return sum;
}

uint16_t uwg_csum_fold(uint64_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

uint64_t uwg_csum_pseudo4(uint32_t saddr, uint32_t daddr, uint8_t proto, uint16_t l4_len)
{
	return (uint64_t)(saddr >> 16) + (saddr & 0xffff) + (daddr >> 16) + (daddr & 0xffff) +
	       proto + l4_len;
}

uint16_t uwg_csum_ipv4_header(const uint8_t *hdr, size_t hlen)
{
	uint64_t sum = uwg_csum_add(0, hdr, 10);

	if (hlen > 12)
		sum = uwg_csum_add(sum, hdr + 12, hlen - 12);
	return uwg_csum_finish(sum);
}

bool uwg_csum_ipv4_header_ok(const uint8_t *hdr, size_t hlen)
{
	return uwg_csum_fold(uwg_csum_add(0, hdr, hlen)) == 0xffff;
}

/*
 * Eqn. 3 rather than eqn. 2: computing ~HC + ~m + m' with end-around carry
 * never yields +0 from a nonzero sum, so the result equals a full
 * recomputation (RFC 1624 section 3 shows eqn. 2 going wrong).
 */
uint16_t uwg_csum_update16(uint16_t csum, uint16_t old_word, uint16_t new_word)
{
	uint64_t sum = (uint64_t)(uint16_t)~csum + (uint16_t)~old_word + new_word;

	return (uint16_t)~uwg_csum_fold(sum);
}

uint16_t uwg_csum_update32(uint16_t csum, uint32_t old_val, uint32_t new_val)
{
	uint64_t sum = (uint64_t)(uint16_t)~csum + (uint16_t)~(old_val >> 16) +
		       (uint16_t)~(old_val & 0xffff) + (new_val >> 16) + (new_val & 0xffff);

	return (uint16_t)~uwg_csum_fold(sum);
}

uint16_t uwg_csum_update_sum(uint16_t csum, uint64_t old_sum, uint64_t new_sum)
{
	uint64_t sum = (uint64_t)(uint16_t)~csum + (uint16_t)~uwg_csum_fold(old_sum) +
		       uwg_csum_fold(new_sum);

	return (uint16_t)~uwg_csum_fold(sum);
}
