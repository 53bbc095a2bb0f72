/*
 * tun/ipprefix.h - an IPv4/IPv6 address with a prefix length, as `ip`,
 * `wg` and wg-quick configs write them ("10.0.0.1/24", "fd00::/64"). Pure
 * parsing and arithmetic, no I/O. Any thread.
 */
#ifndef UWG_TUN_IPPREFIX_H
#define UWG_TUN_IPPREFIX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum { UWG_IP_PREFIX_STRLEN = 46 + 4 }; /* INET6_ADDRSTRLEN + "/128" */

struct uwg_ip_prefix {
	int family;      /* AF_INET or AF_INET6 */
	uint8_t addr[16]; /* network order; AF_INET uses the first 4 bytes */
	uint8_t len;     /* prefix length, 0-32 or 0-128 */
};

/*
 * Strict parse of "ADDR/LEN" (LEN decimal, in range). Without "/LEN" the
 * prefix is a host (/32, /128) when host_ok, else an error. False on anything
 * else, including surrounding whitespace.
 */
bool uwg_ip_prefix_parse(struct uwg_ip_prefix *p, const char *s, bool host_ok);
/* Strict parse of a bare address (no "/"). */
bool uwg_ip_addr_parse(struct uwg_ip_prefix *p, const char *s);
/* "ADDR/LEN" into buf (at least UWG_IP_PREFIX_STRLEN bytes). */
void uwg_ip_prefix_format(const struct uwg_ip_prefix *p, char *buf, size_t len);
/* "ADDR" only. */
void uwg_ip_addr_format(const struct uwg_ip_prefix *p, char *buf, size_t len);
/* Clears the host bits (what the kernel and the allowed-IPs trie store). */
void uwg_ip_prefix_mask(struct uwg_ip_prefix *p);
/* True if inner lies entirely inside outer (same family, outer->len <= inner->len). */
bool uwg_ip_prefix_contains(const struct uwg_ip_prefix *outer, const struct uwg_ip_prefix *inner);
bool uwg_ip_prefix_equal(const struct uwg_ip_prefix *a, const struct uwg_ip_prefix *b);
/* Bytes of address for the family (4 or 16). */
size_t uwg_ip_family_len(int family);

#endif
