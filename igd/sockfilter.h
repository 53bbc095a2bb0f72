/*
 * igd/sockfilter.h - a source-address guard for pupnp's own sockets. pupnp
 * 1.8.4 answers M-SEARCH from any sender on 0.0.0.0:1900 and has no hook to
 * refuse it; this attaches a classic BPF socket filter that drops every
 * datagram or TCP segment whose IPv4 source lies outside one CIDR (and all
 * IPv6) to the sockets pupnp opened for SSDP and for its HTTP miniserver.
 * Linux only; called once from uwg_igd_start on the loop thread.
 */
#ifndef UWG_IGD_SOCKFILTER_H
#define UWG_IGD_SOCKFILTER_H

#include <stdint.h>

#define UWG_IGD_SSDP_PORT 1900

/*
 * Attaches the filter (sources with (src & mask_h) == net_h pass) to every
 * UDP socket of this process bound to port 1900 and every listening TCP
 * socket bound to http_port (v4) or http_port6 (v6; 0 = none). Returns how
 * many sockets got it, or a negative errno if /proc/self/fd is unreadable
 * or attaching failed.
 */
int uwg_igd_sockfilter_attach(uint32_t net_h, uint32_t mask_h, uint16_t http_port,
			      uint16_t http_port6);

#endif
