/*
 * igd/policy.h - the IGD's mapping policy, pure: which requesters may talk to
 * the IGD at all (one allowed CIDR per address family), miniupnpd-style
 * allow/deny rules ("allow 1024-65535 10.100.0.0/24 1024-65535", first match
 * wins, no match = allow), privileged ports, the lease clamp, the per-client
 * cap and the AddAnyPortMapping port walk. No I/O, no allocation, no pupnp:
 * any thread may call these on a policy it does not modify concurrently.
 *
 * IPv4 addresses in this header are in host byte order (uint32_t, "_h"),
 * except in struct uwg_igd_addr, which holds them as the socket API does.
 * The rules name IPv4 clients: they govern port maps, not IPv6 pinholes
 * (docs/igd.md). Policy verdicts are UPnP error codes (0 = allowed, 606 =
 * not authorized).
 */
#ifndef UWG_IGD_POLICY_H
#define UWG_IGD_POLICY_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum uwg_igd_policy_limits {
	UWG_IGD_MAX_RULES = 32,
	UWG_IGD_MAX_LEASE_S = 604800,      /* IGDv2 PortMappingLeaseDuration range */
	UWG_IGD_DEFAULT_PER_CLIENT = 16,
	UWG_IGD_FIRST_UNPRIVILEGED = 1024,
	UWG_IGD_RULE_TEXT_MAX = 80,        /* longest formatted rule, including the NUL */
};

struct uwg_igd_rule {
	bool allow;
	uint16_t ext_min, ext_max;
	uint32_t net_h, mask_h; /* internal client must satisfy (ip & mask) == net */
	uint16_t int_min, int_max;
};

struct uwg_igd_policy {
	/*
	 * Requesters (the TCP peer of the SOAP request) must lie in this CIDR.
	 * mask 0 at uwg_igd_start() means "derive it from the interface's own
	 * address and prefix".
	 */
	uint32_t allow_net_h, allow_mask_h;
	/*
	 * IPv6 requesters (SOAP over the tunnel's IPv6 address, PCP over IPv6)
	 * must lie in allow6_net/allow6_bits; with allow6 false none may. At
	 * uwg_igd_start(), allow6 false and a tunnel_ip6 mean "derive it from
	 * that address's prefix on the interface".
	 */
	bool allow6;
	struct in6_addr allow6_net;
	unsigned allow6_bits;
	bool allow_privileged;   /* ports < 1024: external for maps, internal for pinholes */
	bool zero_lease_is_max;  /* lease 0 means max_lease_s (IGDv2) instead of permanent (IGDv1) */
	uint32_t max_lease_s;    /* longer leases are clamped, never refused; 0 = 604800 */
	unsigned max_per_client; /* maps one internal client may hold; 0 = unlimited */
	size_t n_rules;
	struct uwg_igd_rule rules[UWG_IGD_MAX_RULES];
};

/* A requester's address, as the socket it came from has it (IPv4 in network order). */
struct uwg_igd_addr {
	bool v6;
	struct in_addr ip4;  /* !v6 */
	struct in6_addr ip6; /* v6 */
};

/* Defaults: secure, no rules, ext < 1024 refused, 16 maps per client, leases up to 604800 s. */
void uwg_igd_policy_init(struct uwg_igd_policy *pol);

/*
 * Parses "allow|deny EXT CLIENT INT": EXT and INT are a port or lo-hi range,
 * CLIENT is a.b.c.d, a.b.c.d/bits or a.b.c.d/a.b.c.d. Whitespace separated,
 * text after the fourth field (miniupnpd's description regex) is refused.
 * -EINVAL on any syntax error, inverted range or host bits set in CLIENT.
 */
int uwg_igd_rule_parse(struct uwg_igd_rule *out, const char *text);

/* Canonical text of a rule ("allow 1024-65535 10.0.0.0/8 1024-65535"); returns its length. */
size_t uwg_igd_rule_format(const struct uwg_igd_rule *rule, char *buf, size_t cap);

/* Appends a rule; -ENOSPC when full. */
int uwg_igd_policy_add_rule(struct uwg_igd_policy *pol, const struct uwg_igd_rule *rule);

/* Parses a.b.c.d/bits (or a bare address = /32) into net/mask; -EINVAL on error. */
int uwg_igd_cidr_parse(const char *text, uint32_t *net_h, uint32_t *mask_h);

/* Parses an IPv6 prefix "a:b::/bits" (or a bare address = /128); -EINVAL on error. */
int uwg_igd_cidr6_parse(const char *text, struct in6_addr *net, unsigned *bits);

/* Is a within the first bits bits of net? */
bool uwg_igd_in6_prefix(const struct in6_addr *a, const struct in6_addr *net, unsigned bits);

bool uwg_igd_policy_requester_ok(const struct uwg_igd_policy *pol, uint32_t requester_h);
bool uwg_igd_policy_requester6_ok(const struct uwg_igd_policy *pol, const struct in6_addr *a);
/* Either family: the check above that applies. */
bool uwg_igd_policy_source_ok(const struct uwg_igd_policy *pol, const struct uwg_igd_addr *a);

/*
 * May client map ext_port to its int_port? 0, or 606 when the privileged
 * port guard or the first matching rule denies it.
 */
int uwg_igd_policy_check(const struct uwg_igd_policy *pol, uint16_t ext_port,
			 uint32_t client_h, uint16_t int_port);

/*
 * May a pinhole (UPnP or PCP) open internal port int_port? 0, or 606 below
 * 1024 without allow_privileged (miniupnpd's PinholeVerification rule).
 */
int uwg_igd_policy_check_pinhole(const struct uwg_igd_policy *pol, uint16_t int_port);

/* The lease actually granted for a requested one (0 stays 0 = permanent unless zero_lease_is_max). */
uint32_t uwg_igd_policy_lease(const struct uwg_igd_policy *pol, uint32_t requested_s);

/* Lowest external port the policy could ever allow (1 or 1024). */
uint16_t uwg_igd_policy_min_port(const struct uwg_igd_policy *pol);

/*
 * Where a search for a port starts when the client named none (or one the
 * policy never allows): its internal port if that could be allowed, else a
 * port of the allowed range fixed per client and internal port.
 */
uint16_t uwg_igd_policy_any_port(const struct uwg_igd_policy *pol, uint32_t client_h,
				 uint16_t int_port);

/*
 * AddAnyPortMapping candidates: start, start+1, start-1, start+2, ... kept
 * inside [lo, 65535]; next() returns 0 once every port of the range was
 * produced (each exactly once).
 */
struct uwg_igd_port_walk {
	uint16_t start, lo;
	uint32_t step;
};

void uwg_igd_port_walk_init(struct uwg_igd_port_walk *w, uint16_t start, uint16_t lo);
uint16_t uwg_igd_port_walk_next(struct uwg_igd_port_walk *w);

#endif
