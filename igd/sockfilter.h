/*
 * igd/sockfilter.h - classic BPF socket filters that decide, in the kernel,
 * who may reach the IGD's sockets at all: only packets that arrived on the
 * tunnel interface from inside the allowed prefix of their family (IPv4
 * always; IPv6 when the filter names an IPv6 prefix, else every IPv6 packet
 * is dropped). The interface check matters: with rp_filter 0 or 2 a spoofed
 * tunnel source from the internet side would otherwise pass. For the HTTP
 * server the host's own tunnel addresses pass over loopback too (the SSDP
 * child fetches the descriptions that way). pupnp's own HTTP listeners get a
 * filter that drops everything: its HTTP server is never used. Linux only;
 * whoever owns the sockets calls these once, right after creating them.
 */
#ifndef UWG_IGD_SOCKFILTER_H
#define UWG_IGD_SOCKFILTER_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>

#define UWG_IGD_SSDP_PORT 1900

struct uwg_igd_sockfilter {
	uint32_t net_h, mask_h; /* allowed IPv4 sources: (src & mask_h) == net_h, host order */
	int ifindex;            /* the interface they must arrive on */
	uint32_t local_h;       /* also pass this IPv4 source on loopback; 0 = no loopback */
	bool v6;                /* IPv6 sources in net6/bits6 pass too (else no IPv6 at all) */
	struct in6_addr net6;
	unsigned bits6;
	struct in6_addr local6; /* also pass this IPv6 source on loopback; :: = none */
};

/* Attaches f to one socket. 0 or -errno. */
int uwg_igd_sockfilter_attach(int fd, const struct uwg_igd_sockfilter *f);

/*
 * For a process that runs pupnp: attaches f to every UDP socket bound to
 * port 1900 and a drop-everything filter to every listening TCP socket
 * (pupnp's HTTP miniserver, IPv4 and IPv6). Returns how many sockets got
 * a filter, or -errno if attaching failed.
 */
int uwg_igd_sockfilter_pupnp(const struct uwg_igd_sockfilter *f);

#endif
