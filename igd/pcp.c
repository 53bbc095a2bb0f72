/*
 * igd/pcp.c - PCP requests served from the IGD's map store (see pcp.h),
 * following RFC 6887 §8.2's processing order. Loop thread (any thread for
 * tests: it holds no state).
 *
 * A PCP map remembers its nonce in its description ("PCP MAP <24 hex>", as
 * miniupnpd keeps it), so the nonce check survives a restart through the
 * lease file. A map made by UPnP or NAT-PMP has no nonce: its owner may
 * renew or delete it through PCP too.
 *
 * Over IPv6 nothing is translated: a MAP for the client's own IPv6 address
 * is a firewall pinhole (RFC 6887 §11.1, miniupnpd's "is_fw"): external
 * address and port are the internal ones, and the pinhole lets any remote
 * host in to that port. Its nonce is kept the same way, and pinholes made
 * through UPnP are their owner's to renew or delete here too.
 */
#include "igd/pcp.h"
#include "igd/fwctl.h"

#include <arpa/inet.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "igd/soap.h"

enum {
	OPT_THIRD_PARTY = 1,
	OPT_PREFER_FAILURE = 2,
	OPT_FILTER = 3,
	MAP_SIZE = 60,  /* header + MAP payload */
	PEER_SIZE = 80, /* header + PEER payload */
};

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static const uint8_t v4_mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

/* An IPv4-mapped address (all 96 prefix bits checked, RFC 6887 §5); false for IPv6. */
static bool get_v4(const uint8_t *a, struct in_addr *out)
{
	if (memcmp(a, v4_mapped, sizeof(v4_mapped)))
		return false;
	memcpy(&out->s_addr, a + 12, 4);
	return true;
}

void uwg_pcp_v4_mapped(uint8_t out[16], struct in_addr a)
{
	memcpy(out, v4_mapped, sizeof(v4_mapped));
	memcpy(out + 12, &a.s_addr, 4);
}

/* What one request is: the parsed MAP fields and its options. */
struct req {
	const uint8_t *p;
	size_t len;
	uint8_t op;
	uint32_t lifetime;
	struct in_addr source;
	/* MAP */
	const uint8_t *nonce;
	uint8_t proto;
	uint16_t int_port, ext_port;
	struct in_addr ext_addr;  /* suggested; 0 = no preference */
	bool ext_addr_v6;         /* suggested an IPv6 address: not ours */
	struct in_addr client;    /* the internal address: source or THIRD_PARTY */
	/* over IPv6 (a firewall MAP): the same, and the suggested external address as sent */
	bool v6;
	struct in6_addr source6, client6;
	const uint8_t *suggested6;
	bool third_party, prefer_failure, filter;
	size_t third_party_at, prefer_failure_at, filter_at; /* offsets of processed options */
};

/*
 * An error reply: the request copied (up to 1100 bytes, padded to 4), R set,
 * the result, its lifetime, the epoch; reserved zeroed unless the request
 * did not parse (then its client address tail stays, §7.2).
 */
static size_t error_reply(const struct req *r, uint8_t result, uint32_t epoch, bool parsed,
			  uint8_t *out)
{
	size_t n = r->len > UWG_PCP_MAX ? UWG_PCP_MAX : r->len;
	bool short_error = result == UWG_PCP_NETWORK_FAILURE || result == UWG_PCP_NO_RESOURCES ||
			   result == UWG_PCP_USER_EX_QUOTA;

	memcpy(out, r->p, n);
	while (n % 4)
		out[n++] = 0;
	if (n < UWG_PCP_HEADER) {
		memset(out + n, 0, UWG_PCP_HEADER - n);
		n = UWG_PCP_HEADER;
	}
	out[0] = UWG_PCP_VERSION;
	out[1] = (uint8_t)(0x80 | (r->p[1] & 0x7f));
	out[2] = 0;
	out[3] = result;
	put32(out + 4, short_error ? UWG_PCP_SHORT_ERROR_S : UWG_PCP_LONG_ERROR_S);
	put32(out + 8, epoch);
	if (parsed)
		memset(out + 12, 0, 12);
	return n;
}

static size_t success_header(const struct req *r, uint32_t lifetime, uint32_t epoch, uint8_t *out)
{
	memset(out, 0, UWG_PCP_HEADER);
	out[0] = UWG_PCP_VERSION;
	out[1] = (uint8_t)(0x80 | r->op);
	put32(out + 4, lifetime);
	put32(out + 8, epoch);
	return UWG_PCP_HEADER;
}

/* Options of a MAP (from offset 60), RFC 6887 §7.3 and §13; a result code. */
static uint8_t parse_options(const struct uwg_pmp_ctx *cx, struct req *r)
{
	size_t off = MAP_SIZE;

	while (off < r->len) {
		uint8_t code;
		size_t olen, padded;

		if (r->len - off < 4)
			return UWG_PCP_MALFORMED_OPTION;
		code = r->p[off];
		olen = get16(r->p + off + 2);
		padded = (olen + 3) & ~(size_t)3;
		if (padded > r->len - off - 4)
			return UWG_PCP_MALFORMED_OPTION;
		switch (code) {
		case OPT_THIRD_PARTY: {
			const uint8_t *t = r->p + off + 4;
			struct in_addr a;

			if (olen != 16 || r->third_party)
				return UWG_PCP_MALFORMED_OPTION;
			/* the families agree: no NAT map asked over IPv6, no pinhole over IPv4 */
			if (get_v4(t, &a) == r->v6)
				return UWG_PCP_UNSUPP_OPTION;
			if (r->v6) {
				if (!memcmp(t, &r->source6, 16))
					return UWG_PCP_MALFORMED_REQUEST;
				/*
				 * Whether the address is the requesting peer's own (a
				 * network it routes), only the table knows: add_pinhole
				 * and find_pinhole check it.
				 */
				memcpy(&r->client6, t, 16);
			} else {
				if (a.s_addr == r->source.s_addr)
					return UWG_PCP_MALFORMED_REQUEST;
				/* only an address of the requesting peer's own (its LAN) */
				if (!cx->ops->same_owner ||
				    !cx->ops->same_owner(cx->ops->ctx, r->source, a))
					return UWG_PCP_UNSUPP_OPTION;
				r->client = a;
			}
			r->third_party = true;
			r->third_party_at = off;
			break;
		}
		case OPT_PREFER_FAILURE:
			if (olen != 0 || r->prefer_failure)
				return UWG_PCP_MALFORMED_OPTION;
			r->prefer_failure = true;
			r->prefer_failure_at = off;
			break;
		case OPT_FILTER: {
			struct in_addr a;
			uint8_t plen;

			if (olen != 20)
				return UWG_PCP_MALFORMED_OPTION;
			plen = r->p[off + 5];
			/* 0 removes all filters; otherwise 96-128 for IPv4, 0-128 for IPv6 */
			if (plen > 128 || (plen && plen < 96 && get_v4(r->p + off + 8, &a)))
				return UWG_PCP_MALFORMED_OPTION;
			if (r->lifetime == 0)
				return UWG_PCP_MALFORMED_OPTION;
			/*
			 * The NAT's maps and the pinholes let every remote host in: only
			 * a filter that narrows nothing (prefix 0, or for a NAT map any
			 * IPv4 host and port) is honoured.
			 */
			if (plen != 0 && (r->v6 || !(plen == 96 && get16(r->p + off + 6) == 0)))
				return UWG_PCP_UNSUPP_OPTION;
			r->filter = true;
			r->filter_at = off;
			break;
		}
		default:
			/* 0-127 must be processed; 128-255 may be ignored (§7.3) */
			if (code < 128)
				return UWG_PCP_UNSUPP_OPTION;
			break;
		}
		off += 4 + padded;
	}
	if (r->prefer_failure && (r->ext_port == 0 || r->lifetime == 0))
		return UWG_PCP_MALFORMED_OPTION;
	return UWG_PCP_SUCCESS;
}

static uint8_t result_of(int upnp_err)
{
	switch (upnp_err) {
	case 0:
		return UWG_PCP_SUCCESS;
	case UWG_IGD_E_NOT_AUTHORIZED:
		return UWG_PCP_NOT_AUTHORIZED;
	case UWG_IGD_E_NO_PORT_MAPS_AVAILABLE:
	case UWG_IGD_E_CONFLICT:
	case UWG_IGD_E_CONFLICT_OTHER_MECHANISM:
	case UWG_IGD_E_PINHOLE_SPACE_EXHAUSTED:
		return UWG_PCP_NO_RESOURCES;
	default:
		return UWG_PCP_NETWORK_FAILURE;
	}
}

/* "PCP MAP <nonce in hex>": the description that keeps a PCP map's nonce. */
static void nonce_desc(char *out, size_t cap, const uint8_t *nonce)
{
	int n = snprintf(out, cap, "PCP MAP ");

	for (int i = 0; i < 12 && n > 0 && (size_t)n + 2 < cap; i++)
		n += snprintf(out + n, cap - (size_t)n, "%02x", nonce[i]);
}

/*
 * May this request act on a map or pinhole (its origin and description)?
 * What PCP made needs the same nonce; the rest only the owner (checked by
 * whoever found it).
 */
static bool nonce_ok(uint8_t origin, const char *desc, const uint8_t *nonce)
{
	char d[UWG_IGD_DESC_MAX];

	if (origin != UWG_IGD_ORIGIN_PCP)
		return true;
	nonce_desc(d, sizeof(d), nonce);
	return !strcmp(desc, d);
}

/* A requested lifetime clamped into the server's [min, max] (RFC 6887 §15). */
static uint32_t clamp_lifetime(const struct uwg_pmp_ctx *cx, uint32_t lifetime)
{
	uint32_t lo = cx->min_lifetime ? cx->min_lifetime : UWG_PMP_MIN_LIFETIME;
	uint32_t hi = cx->max_lifetime ? cx->max_lifetime : UWG_PMP_MAX_LIFETIME;

	return lifetime < lo ? lo : lifetime > hi ? hi : lifetime;
}

/* MAP (RFC 6887 §11.3 and §15): 0 or a result code; *granted and *ext_port on success. */
static uint8_t map(const struct uwg_pmp_ctx *cx, const struct req *r, uint32_t *granted,
		   uint16_t *ext_port, uint32_t *err_lifetime)
{
	const struct uwg_igd_ops *ops = cx->ops;
	struct uwg_pmp_own own;
	struct uwg_igd_map m;
	struct in_addr ext;
	int err;

	if (r->proto == 0)
		return r->int_port ? UWG_PCP_MALFORMED_REQUEST : UWG_PCP_UNSUPP_PROTOCOL;
	if (r->proto != IPPROTO_TCP && r->proto != IPPROTO_UDP)
		return UWG_PCP_UNSUPP_PROTOCOL;
	if (!uwg_igd_policy_requester_ok(cx->pol, ntohl(r->source.s_addr)))
		return UWG_PCP_NOT_AUTHORIZED;
	if (ops->external_ip(ops->ctx, &ext))
		return UWG_PCP_NETWORK_FAILURE;
	uwg_pmp_own(cx, r->client, r->proto, r->int_port, &own);
	if (r->lifetime == 0) {
		/* delete; the suggestion is copied back; what does not exist is deleted (§15.1) */
		*granted = 0;
		*ext_port = r->ext_port;
		if (!r->int_port || !own.found)
			return UWG_PCP_SUCCESS;
		if (own.map.origin == UWG_IGD_ORIGIN_STATIC ||
		    !nonce_ok(own.map.origin, own.map.desc, r->nonce))
			return UWG_PCP_NOT_AUTHORIZED;
		err = ops->del_map(ops->ctx, r->proto, own.map.ext_port, r->source);
		return err && err != UWG_IGD_E_NO_SUCH_ENTRY ? UWG_PCP_NOT_AUTHORIZED
							     : UWG_PCP_SUCCESS;
	}
	/* "all ports" of a protocol is not something a shared NAT hands out */
	if (r->int_port == 0)
		return UWG_PCP_NOT_AUTHORIZED;
	if (r->prefer_failure && ((r->ext_addr.s_addr && r->ext_addr.s_addr != ext.s_addr) ||
				  r->ext_addr_v6))
		return UWG_PCP_CANNOT_PROVIDE_EXTERNAL;
	memset(&m, 0, sizeof(m));
	m.proto = r->proto;
	m.int_client = r->client;
	m.int_port = r->int_port;
	m.lease_s = clamp_lifetime(cx, r->lifetime);
	m.origin = UWG_IGD_ORIGIN_PCP;
	nonce_desc(m.desc, sizeof(m.desc), r->nonce);
	if (own.found) {
		if (own.map.origin == UWG_IGD_ORIGIN_STATIC) {
			/* an administrator's forward: reported, never stored (§11.3) */
			*granted = UINT32_MAX;
			*ext_port = own.map.ext_port;
			return UWG_PCP_SUCCESS;
		}
		if (!nonce_ok(own.map.origin, own.map.desc, r->nonce)) {
			*err_lifetime = own.map.lease_s;
			return UWG_PCP_NOT_AUTHORIZED;
		}
		if (r->prefer_failure && r->ext_port != own.map.ext_port)
			return UWG_PCP_CANNOT_PROVIDE_EXTERNAL;
		/* a renewal keeps its port whatever is suggested now */
		m.ext_port = own.map.ext_port;
		if (own.map.origin != UWG_IGD_ORIGIN_PCP) {
			/* the owner's UPnP or NAT-PMP map, renewed: it stays theirs in kind */
			m.origin = own.map.origin;
			memcpy(m.desc, own.map.desc, sizeof(m.desc));
		}
		err = uwg_igd_policy_check(cx->pol, m.ext_port, ntohl(m.int_client.s_addr),
					   m.int_port);
		if (!err)
			err = ops->add_map(ops->ctx, &m, r->source);
		if (err)
			return result_of(err);
	} else if (cx->pol->max_per_client && own.held >= cx->pol->max_per_client) {
		return UWG_PCP_USER_EX_QUOTA;
	} else if (r->prefer_failure) {
		/* exactly the suggested port, or nothing */
		m.ext_port = r->ext_port;
		if (uwg_igd_policy_check(cx->pol, m.ext_port, ntohl(m.int_client.s_addr),
					 m.int_port) ||
		    (m.proto == IPPROTO_UDP && (m.ext_port == UWG_NATPMP_PORT ||
						m.ext_port == UWG_NATPMP_ANNOUNCE_PORT)) ||
		    !uwg_pmp_port_free(cx, r->client, m.proto, m.ext_port) ||
		    ops->add_map(ops->ctx, &m, r->source))
			return UWG_PCP_CANNOT_PROVIDE_EXTERNAL;
	} else {
		err = uwg_pmp_place(cx, r->source, &m,
				    uwg_pmp_first_port(cx, r->client, r->ext_port, r->int_port),
				    false);
		if (err)
			return result_of(err);
	}
	*granted = m.lease_s;
	*ext_port = m.ext_port;
	return UWG_PCP_SUCCESS;
}

/*
 * A firewall MAP over IPv6 (RFC 6887 §11.3 for a pure firewall; shared
 * portmap-protocols.md §2.11): a pinhole from anywhere to (proto, client6,
 * int_port), external = internal. 0 or a result code; *granted on success.
 * Without an IPv6 firewall (or with inbound pinholes off) there is nothing
 * a MAP could open: NOT_AUTHORIZED, as before uwg had one.
 */
static uint8_t map6(const struct uwg_pmp_ctx *cx, const struct req *r, uint32_t *granted,
		    uint32_t *err_lifetime)
{
	static const uint8_t any6[16];
	const struct uwg_igd_ops *ops = cx->ops;
	struct uwg_igd_pinhole key, cur;
	uint16_t id;
	bool found;
	int err;

	if (r->proto == 0)
		return r->int_port ? UWG_PCP_MALFORMED_REQUEST : UWG_PCP_UNSUPP_PROTOCOL;
	if (r->proto != IPPROTO_TCP && r->proto != IPPROTO_UDP)
		return UWG_PCP_UNSUPP_PROTOCOL;
	if (!uwg_igd_policy_requester6_ok(cx->pol, &r->source6) || uwg_igd_fw_gate(ops))
		return UWG_PCP_NOT_AUTHORIZED;
	memset(&key, 0, sizeof(key));
	key.proto = r->proto;
	key.int_client = r->client6;
	key.int_port = r->int_port;
	memset(&cur, 0, sizeof(cur));
	found = r->int_port && !ops->find_pinhole(ops->ctx, &key, r->source6, &cur);
	if (r->lifetime == 0) {
		/* delete; what does not exist is deleted (§15.1) */
		*granted = 0;
		if (!found)
			return UWG_PCP_SUCCESS;
		if (!nonce_ok(cur.origin, cur.desc, r->nonce))
			return UWG_PCP_NOT_AUTHORIZED;
		err = ops->del_pinhole(ops->ctx, cur.id, r->source6);
		return err && err != UWG_IGD_E_NO_SUCH_PINHOLE ? UWG_PCP_NOT_AUTHORIZED
							      : UWG_PCP_SUCCESS;
	}
	/* "all ports" of a protocol: not a pinhole anyone gets */
	if (r->int_port == 0 || uwg_igd_policy_check_pinhole(cx->pol, r->int_port))
		return UWG_PCP_NOT_AUTHORIZED;
	/* a firewall translates nothing: only the internal address and port can be had */
	if (r->prefer_failure &&
	    (r->ext_port != r->int_port ||
	     (memcmp(r->suggested6, any6, 16) && memcmp(r->suggested6, &r->client6, 16))))
		return UWG_PCP_CANNOT_PROVIDE_EXTERNAL;
	key.lease_s = clamp_lifetime(cx, r->lifetime);
	if (key.lease_s > UWG_IGD_PINHOLE_LEASE_MAX)
		key.lease_s = UWG_IGD_PINHOLE_LEASE_MAX;
	if (found) {
		if (!nonce_ok(cur.origin, cur.desc, r->nonce)) {
			*err_lifetime = cur.lease_s;
			return UWG_PCP_NOT_AUTHORIZED;
		}
		/* a renewal; a UPnP pinhole stays one */
		err = ops->update_pinhole(ops->ctx, cur.id, key.lease_s, r->source6);
	} else {
		key.origin = UWG_IGD_ORIGIN_PCP;
		nonce_desc(key.desc, sizeof(key.desc), r->nonce);
		err = ops->add_pinhole(ops->ctx, &key, r->source6, &id);
	}
	if (err)
		return result_of(err);
	*granted = key.lease_s;
	return UWG_PCP_SUCCESS;
}

/* Appends the option at r->p[at] as it came (header and padded data); returns the new length. */
static size_t echo_option(const struct req *r, size_t at, uint8_t *out, size_t n)
{
	size_t olen = 4 + ((get16(r->p + at + 2) + 3u) & ~3u);

	memcpy(out + n, r->p + at, olen);
	return n + olen;
}

enum uwg_pmp_outcome uwg_pcp_handle(const struct uwg_pmp_ctx *cx, const uint8_t *p, size_t len,
				    const uint8_t source[16], uint32_t epoch,
				    uint8_t out[UWG_PCP_MAX], size_t *out_len)
{
	struct req r = { .p = p, .len = len };
	struct in_addr requester = { 0 };
	bool v6 = !get_v4(source, &requester);
	uint32_t granted = 0, err_lifetime = 0;
	uint16_t ext_port = 0;
	uint8_t result;
	size_t n;

	*out_len = 0;
	/* §8.2: runts and responses are dropped; a short request of our version too */
	if (len < 2 || (p[1] & 0x80))
		return UWG_PMP_DROPPED;
	if (p[0] != UWG_PCP_VERSION) {
		/* no version between NAT-PMP's 0 and ours: answer with ours (§9) */
		if (len < 4)
			return UWG_PMP_DROPPED;
		*out_len = error_reply(&r, UWG_PCP_UNSUPP_VERSION, epoch, false, out);
		return UWG_PMP_ERROR;
	}
	if (len < UWG_PCP_HEADER)
		return UWG_PMP_DROPPED;
	r.op = p[1] & 0x7f;
	r.lifetime = get32(p + 4);
	r.source = r.client = requester;
	if (len > UWG_PCP_MAX || len % 4 ||
	    (r.op == UWG_PCP_OP_MAP && len < MAP_SIZE) || (r.op == UWG_PCP_OP_PEER && len < PEER_SIZE)) {
		*out_len = error_reply(&r, UWG_PCP_MALFORMED_REQUEST, epoch, false, out);
		return UWG_PMP_ERROR;
	}
	/* the address field must be the packet's source, IPv4 mapped (§8.2) */
	if (memcmp(p + 8, source, 16)) {
		*out_len = error_reply(&r, UWG_PCP_ADDRESS_MISMATCH, epoch, true, out);
		return UWG_PMP_ERROR;
	}
	if (r.op == UWG_PCP_OP_ANNOUNCE) {
		/* over IPv6 the socket takes only what came through the tunnel (pmpd.c) */
		if (!v6 && !uwg_igd_policy_requester_ok(cx->pol, ntohl(requester.s_addr))) {
			*out_len = error_reply(&r, UWG_PCP_NOT_AUTHORIZED, epoch, true, out);
			return UWG_PMP_ERROR;
		}
		*out_len = success_header(&r, 0, epoch, out);
		return UWG_PMP_ANSWERED;
	}
	if (r.op != UWG_PCP_OP_MAP) {
		/* PEER too: outbound mappings come from traffic itself here (miniupnpd's default) */
		*out_len = error_reply(&r, UWG_PCP_UNSUPP_OPCODE, epoch, true, out);
		return UWG_PMP_ERROR;
	}
	if (v6) {
		r.v6 = true;
		memcpy(&r.source6, source, 16);
		r.client6 = r.source6;
	}
	r.nonce = p + 24;
	r.proto = p[36];
	r.int_port = get16(p + 40);
	r.ext_port = get16(p + 42);
	r.suggested6 = p + 44;
	if (!get_v4(p + 44, &r.ext_addr)) {
		static const uint8_t any6[16];

		r.ext_addr.s_addr = 0;
		r.ext_addr_v6 = memcmp(p + 44, any6, sizeof(any6)) != 0;
	}
	result = parse_options(cx, &r);
	if (result == UWG_PCP_SUCCESS && r.v6)
		result = map6(cx, &r, &granted, &err_lifetime);
	else if (result == UWG_PCP_SUCCESS)
		result = map(cx, &r, &granted, &ext_port, &err_lifetime);
	if (result != UWG_PCP_SUCCESS) {
		*out_len = error_reply(&r, result, epoch, true, out);
		if (err_lifetime)
			put32(out + 4, err_lifetime);
		return UWG_PMP_ERROR;
	}
	n = success_header(&r, granted, epoch, out);
	memcpy(out + n, p + 24, 12);            /* nonce */
	out[n + 12] = r.proto;
	memset(out + n + 13, 0, 3);
	put16(out + n + 16, r.int_port);
	/* a pinhole: external = internal; a delete copies the suggestion back (§15.1) */
	put16(out + n + 18, r.v6 && r.lifetime ? r.int_port : r.v6 ? r.ext_port : ext_port);
	if (r.v6 && r.lifetime) {
		memcpy(out + n + 20, &r.client6, 16);
	} else if (!r.v6 && (granted || r.lifetime)) {
		struct in_addr ext = { 0 };

		cx->ops->external_ip(cx->ops->ctx, &ext);
		uwg_pcp_v4_mapped(out + n + 20, ext);
	} else {
		/* a delete copies the suggested address back (§15.1) */
		memcpy(out + n + 20, p + 44, 16);
	}
	n += 36;
	/* success echoes the options that were processed (§7.3) */
	if (r.third_party)
		n = echo_option(&r, r.third_party_at, out, n);
	if (r.prefer_failure)
		n = echo_option(&r, r.prefer_failure_at, out, n);
	if (r.filter)
		n = echo_option(&r, r.filter_at, out, n);
	*out_len = n;
	return UWG_PMP_ANSWERED;
}
