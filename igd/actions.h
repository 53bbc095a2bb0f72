/*
 * igd/actions.h - the IGD's action semantics: one parsed SOAP request from
 * one requester in, one response body or UPnP error out, with every table
 * access going through struct uwg_igd_ops. No pupnp and no threads: igd.c
 * calls it on the loop thread (the ops contract requires that); tests and
 * the fuzzer call it directly.
 */
#ifndef UWG_IGD_ACTIONS_H
#define UWG_IGD_ACTIONS_H

#include <stddef.h>
#include <stdint.h>

#include "igd/desc.h"
#include "igd/ops.h"
#include "igd/policy.h"
#include "igd/soap.h"

enum uwg_igd_action_limits {
	UWG_IGD_ADD_ANY_ATTEMPTS = 64,  /* add_map calls one AddAnyPortMapping may make */
	UWG_IGD_ADD_ANY_PROBES = 4096,  /* allowed ports it may look up with get_map */
	UWG_IGD_LIST_DEFAULT = 1000,    /* GetListOfPortMappings NewNumberOfPorts 0 */
	UWG_IGD_VAR_MAX = 128,          /* QueryStateVariable value, including the NUL */
};

/* What the actions read; owned by igd.c (or a test), constant while requests run. */
struct uwg_igd_actx {
	const struct uwg_igd_ops *ops;
	const struct uwg_igd_policy *pol;
	bool show_all;
	uint32_t up_bps, down_bps;
	uint64_t start_s;   /* monotonic seconds when the IGD started (for NewUptime) */
	char wcd_udn[48];   /* "uuid:..." of the WANConnectionDevice (Layer3Forwarding) */
};

struct uwg_igd_result {
	int err;   /* 0 or a UPnP error code */
	char *xml; /* err == 0: the response element, heap (caller frees) */
	size_t len;
};

/*
 * Runs msg, sent to service svc by requester (the TCP peer, IPv4 or IPv6),
 * at monotonic time now_s. Unknown actions (or ones of another service)
 * yield 401, a requester outside the policy's CIDR of its family 606, a
 * port-map action (they name IPv4 clients) from an IPv6 requester 606, an
 * allocation failure 501. WANIPv6FirewallControl goes to fwctl.c.
 */
void uwg_igd_action_run(const struct uwg_igd_actx *ax, enum uwg_igd_service svc,
			const struct uwg_igd_soap_msg *msg, const struct uwg_igd_addr *requester,
			uint64_t now_s, struct uwg_igd_result *res);

/*
 * QueryStateVariable: writes the value of var into out (cap bytes) and
 * returns 0, or 404 for a variable this service does not report, 606 for
 * a requester outside the CIDR.
 */
int uwg_igd_query_var(const struct uwg_igd_actx *ax, enum uwg_igd_service svc, const char *var,
		      const struct uwg_igd_addr *requester, uint64_t now_s, char *out, size_t cap);

#endif
