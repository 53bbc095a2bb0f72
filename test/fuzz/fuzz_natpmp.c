/*
 * test/fuzz/fuzz_natpmp.c - libFuzzer harness for the port-mapping server's
 * parsers: NAT-PMP (igd/natpmp.c, igd/pmp.c) and PCP (igd/pcp.c) over a map
 * table (the test double), dispatched on the first byte as the server does.
 * The input is a sequence of datagrams, each prefixed by a length byte (PCP
 * needs more than 255: the length counts 4-byte words when the top bit is
 * set) and a requester byte (one of three tunnel clients or an outsider), so
 * maps, renewals and deletions interact; every reply must have the size and
 * header RFC 6886 or RFC 6887 gives its request, and the table must stay
 * consistent. Requester bytes 6 and 7 (mod 8) are IPv6 sources, one inside
 * the tunnel's prefix (its MAPs open pinholes in the same table) and one
 * outside: pinholes stay the inside client's own, "PCP MAP" ones, on ports
 * >= 1024 with clamped lifetimes, and a MAP answer names the pinhole itself.
 */
#include <arpa/inet.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "igd/pcp.h"
#include "igd/pmp.h"
#include "test/doubles/maptable.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint64_t now_s;

static uint64_t fake_clock(void *ctx)
{
	(void)ctx;
	return now_s;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct uwg_igd_maptable table;
	struct uwg_igd_ops ops;
	struct uwg_igd_policy pol;
	struct uwg_pmp_ctx cx = { 0 };

	now_s = 1000;
	uwg_igd_maptable_init(&table, 32, fake_clock, NULL);
	table.ext_ip.s_addr = htonl(0xcb007202u);
	uwg_igd_maptable_ops(&table, &ops);
	uwg_igd_policy_init(&pol);
	uwg_igd_cidr_parse("10.100.0.0/24", &pol.allow_net_h, &pol.allow_mask_h);
	pol.allow6 = !uwg_igd_cidr6_parse("fd00:100::/64", &pol.allow6_net, &pol.allow6_bits);
	pol.max_per_client = 8;
	table.pinhole_cap = 8;
	cx.ops = &ops;
	cx.pol = &pol;
	cx.max_lifetime = 600;
	while (size >= 2) {
		size_t want = data[0] & 0x80 ? (size_t)(data[0] & 0x7f) * 12 : data[0];
		size_t n = want < size - 2 ? want : size - 2;
		struct in_addr who = { htonl(data[1] % 4 == 3 ? 0xc0000201u :
					      0x0a640002u + data[1] % 4) };
		uint8_t out[UWG_PCP_MAX];
		const uint8_t *p = data + 2;
		size_t len = 0;
		enum uwg_pmp_outcome o;
		struct uwg_igd_map m;

		if (n && p[0]) {
			uint8_t src[16];

			uwg_pcp_v4_mapped(src, who);
			/* requester byte 6 or 7 mod 8: IPv6, fd00:100::2 (the tunnel's) or 2001:db8::2 */
			if ((data[1] & 7) >= 6)
				inet_pton(AF_INET6, (data[1] & 7) == 6 ? "fd00:100::2" : "2001:db8::2", src);
			o = uwg_pcp_handle(&cx, p, n, src, 5, out, &len);
			if ((o == UWG_PMP_DROPPED) != (len == 0) || len > UWG_PCP_MAX || len % 4 ||
			    (len && (len < UWG_PCP_HEADER || out[0] != UWG_PCP_VERSION ||
				     out[1] != (0x80 | (p[1] & 0x7f)) || out[2] != 0)))
				abort();
			/*
			 * A pinhole's answer: external = internal, port and address (a
			 * THIRD_PARTY address never succeeds here: every IPv6 address is
			 * its own owner in this table).
			 */
			if ((data[1] & 7) >= 6 && len >= 60 && out[1] == 0x81 && out[3] == 0 &&
			    (p[4] | p[5] | p[6] | p[7]) &&
			    (out[40] != out[42] || out[41] != out[43] || memcmp(out + 44, src, 16)))
				abort();
		} else {
			o = uwg_pmp_natpmp(&cx, p, n, who, 5, out, &len);
			if ((o == UWG_PMP_DROPPED) != (len == 0))
				abort();
			if (len && (len != (p[1] == 0 ? 12u : p[1] <= 2 ? 16u : 8u) || out[0] != 0 ||
				    out[1] != (128 | p[1])))
				abort();
			/* a failed map echoes the internal port and maps nothing (§3.5) */
			if (len == 16 && (out[2] | out[3]) && (out[10] | out[11] | out[12] | out[13] |
							       out[14] | out[15]))
				abort();
		}
		/* every live map belongs to a tunnel client, on a port the policy allows */
		for (uint32_t i = 0; !ops.get_map_by_index(ops.ctx, i, &m); i++)
			if (m.int_client.s_addr == htonl(0xc0000201u) || m.ext_port < 1024 ||
			    m.int_port == 0)
				abort();
		/* pinholes: only the inside IPv6 client's, made through PCP, within the policy */
		for (size_t i = 0; i < table.n_pinholes; i++) {
			const struct uwg_igd_pinhole *ph = &table.pinholes[i].ph;
			struct in6_addr inside;

			inet_pton(AF_INET6, "fd00:100::2", &inside);
			if (memcmp(&ph->int_client, &inside, 16) ||
			    memcmp(&table.pinholes[i].owner, &inside, 16) || ph->int_port < 1024 ||
			    (ph->proto != IPPROTO_TCP && ph->proto != IPPROTO_UDP) ||
			    ph->lease_s < UWG_PMP_MIN_LIFETIME || ph->lease_s > 600 ||
			    strncmp(ph->desc, "PCP MAP ", 8) || ph->origin != UWG_IGD_ORIGIN_PCP ||
			    !IN6_IS_ADDR_UNSPECIFIED(&ph->remote_host) || ph->remote_port)
				abort();
		}
		now_s += data[1] >> 4;
		uwg_igd_maptable_expire(&table);
		data += 2 + n;
		size -= 2 + n;
	}
	return 0;
}
