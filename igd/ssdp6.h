/*
 * igd/ssdp6.h - the IGD's answers to IPv6 M-SEARCH (SSDP over ff05::c and
 * ff02::c, UDA 1.1 §1.3): a strict bounded parser for one search and the
 * replies for the IPv6 device trees (IGD:2 with WANIPv6FirewallControl:1;
 * a version 1 search gets the :1 tree's URL, as pupnp does with its
 * LowerDescURL). Why not pupnp: Debian 12's pupnp 1.8.4 never sends an IPv6
 * datagram (its reply path tests a macro the build does not define; fixed
 * in 1.8.5, docs/igd.md), so the SSDP child answers IPv6 searches with this
 * instead. Pure (no I/O, no allocation); any thread. The libFuzzer target
 * of test/fuzz/fuzz_ssdp6.c.
 */
#ifndef UWG_IGD_SSDP6_H
#define UWG_IGD_SSDP6_H

#include <stddef.h>

enum uwg_igd_ssdp6_limits {
	UWG_IGD_SSDP6_MSG_MAX = 1024,   /* a search longer than this is not one we answer */
	UWG_IGD_SSDP6_URL_MAX = 96,     /* "http://[v6]:port/description6v1.xml", NUL included */
	UWG_IGD_SSDP6_REPLY_MAX = 640,  /* one reply datagram, NUL included */
	UWG_IGD_SSDP6_ST_MAX = 128,     /* the search target echoed back */
	UWG_IGD_SSDP6_REPLIES_MAX = 11, /* ssdp:all: rootdevice, 3 UDNs, 3 devices, 4 services */
};

struct uwg_igd_ssdp6_device {
	const char *uuid;     /* the root device's, 36 hex-and-dashes (desc.h uwg_igd_uuid_ok) */
	const char *location; /* the IGD:2 tree, "http://[fd00::1]:49152/description6.xml" */
	const char *lower;    /* the :1 tree, for searches of a lower version */
	unsigned max_age;     /* CACHE-CONTROL max-age; 0 = 1800 */
};

/* Called once per reply datagram (text of len bytes, not NUL-terminated in the count). */
typedef void (*uwg_igd_ssdp6_emit)(void *ctx, const char *reply, size_t len);

/*
 * Parses msg (len bytes) as an M-SEARCH ("M-SEARCH * HTTP/1.1", MAN
 * "ssdp:discover", an MX, an ST; header names in any case, CRLF or LF) and
 * emits a reply per thing the search matches: ssdp:all, upnp:rootdevice, one
 * of the three UDNs, a device or service type at a version up to ours.
 * Returns the number of replies (0: a valid search for something else), or
 * -EINVAL for anything that is not a well-formed M-SEARCH (NOTIFY, replies,
 * garbage: never answered).
 */
int uwg_igd_ssdp6_answer(const struct uwg_igd_ssdp6_device *dev, const char *msg, size_t len,
			 uwg_igd_ssdp6_emit emit, void *ctx);

#endif
