/*
 * igd/ssdp.h - discovery (SSDP) for the IGD, done by pupnp in a child
 * process. pupnp 1.8.4 is the only third-party code that parses what
 * clients send, and Debian 12 ships it with known crashes; run in its own
 * process, as nobody with no capabilities, whatever it does costs at most a
 * restart of discovery: the tunnel, the HTTP server and the maps live in
 * the daemon. The child only announces the device and answers M-SEARCH;
 * its description URL points at the daemon's own HTTP server (httpd.h).
 *
 * With IPv6 description URLs the child also answers IPv6 searches (ff05::c,
 * ff02::c) itself, with igd/ssdp6.c on a socket of its own: pupnp 1.8.4
 * cannot send an IPv6 datagram (docs/igd.md), so its IPv6 sockets stay
 * filtered shut. Replies come from the tunnel's IPv6 address and name the
 * description on it.
 *
 * Protocol on the child's fd 3 (a socketpair): the child writes
 * "READY <filtered sockets> <1 if it answers IPv6 too, else 0>\n" once it
 * has announced, or "ERR <errno>\n", and before READY "uwg: <why>" lines
 * for the daemon's log (IPv6 discovery that could not start does not stop
 * IPv4); end of file from the parent tells it to say ssdp:byebye and exit.
 *
 * Threads: the supervisor runs on the loop thread; uwg_igd_ssdp_main is a
 * process's main.
 */
#ifndef UWG_IGD_SSDP_H
#define UWG_IGD_SSDP_H

#include <netinet/in.h>
#include <stdint.h>
#include <uv.h>

#include "igd/sockfilter.h"

/* The argv[1] that makes a binary call uwg_igd_ssdp_main (never shown to users). */
#define UWG_IGD_SSDP_ARG "--igd-ssdp-child"

struct uwg_igd_ssdp_params {
	const char *exe;      /* binary that dispatches UWG_IGD_SSDP_ARG; NULL = /proc/self/exe */
	const char *ifname;
	struct in_addr tunnel_ip;
	const char *desc_url; /* served by the daemon */
	/*
	 * IPv6: the IGD:2 description on the tunnel's IPv6 address, the one
	 * version 1 searches get, the address replies come from and the device
	 * uuid (the UDNs); any NULL = IPv4 only. filter.v6 and its prefix say
	 * who may search.
	 */
	const char *desc_url6, *lower_url6;
	struct in6_addr tunnel_ip6;
	const char *uuid;
	unsigned advert_s;    /* SSDP max-age */
	struct uwg_igd_sockfilter filter;
	int no_filter;        /* tests only: no socket filters */
	void (*log)(void *ctx, const char *msg);
	void *log_ctx;
};

struct uwg_igd_ssdp_stats {
	uint64_t starts;      /* children started */
	uint64_t crashes;     /* children that died without being asked to */
	unsigned filtered;    /* sockets the current child filtered */
	int running;          /* 1 once the current child said READY */
	int ipv6;             /* and it answers IPv6 searches too */
};

struct uwg_igd_ssdp;

/*
 * Starts the child (strings copied) and keeps one running: a child that
 * dies or fails is restarted after 1 s, doubling to 30 s while it keeps
 * failing. 0 or -errno.
 */
int uwg_igd_ssdp_start(struct uwg_igd_ssdp **out, uv_loop_t *loop,
		       const struct uwg_igd_ssdp_params *p);

/*
 * Asks the child to say ssdp:byebye and exit (killed after 3 s if it does
 * not) and releases everything from close callbacks: keep running the loop.
 */
void uwg_igd_ssdp_stop(struct uwg_igd_ssdp *s);

void uwg_igd_ssdp_get_stats(const struct uwg_igd_ssdp *s, struct uwg_igd_ssdp_stats *out);

/* The child: argv as built by the supervisor. Returns the exit status. */
int uwg_igd_ssdp_main(int argc, char **argv);

#endif
