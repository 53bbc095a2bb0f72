/*
 * igd/fwctl.h - IGDv2 WANIPv6FirewallControl:1: what its actions mean
 * (pinholes for the requester's own IPv6 address, miniupnpd's argument
 * checks and error order, docs/igd.md) over the pinhole callbacks of struct
 * uwg_igd_ops, and the firewall gate PCP's IPv6 MAP shares. No pupnp, no
 * I/O: actions.c dispatches the service here on the loop thread (the ops
 * contract); tests and the fuzzer reach it through uwg_igd_action_run.
 */
#ifndef UWG_IGD_FWCTL_H
#define UWG_IGD_FWCTL_H

#include <stdbool.h>
#include <stddef.h>

#include "igd/ops.h"
#include "igd/policy.h"
#include "igd/soap.h"

enum {
	UWG_IGD_PINHOLE_LEASE_MAX = 86400, /* A_ARG_TYPE_LeaseTime's range is 1..86400 */
	UWG_IGD_PROTO_ANY = 65535,         /* the Protocol wildcard, always refused (707) */
};

#define UWG_IGD_PINHOLE_DESC "IGD2 pinhole"

/*
 * The firewall as the ops report it: both false when the table has no
 * pinhole callbacks (fw_status or any pinhole op NULL) or fw_status fails.
 */
void uwg_igd_fw_status(const struct uwg_igd_ops *ops, bool *enabled, bool *inbound_allowed);

/* 0 when pinholes may be made; 702 firewall disabled; 703 inbound pinholes not allowed. */
int uwg_igd_fw_gate(const struct uwg_igd_ops *ops);

/*
 * Runs one WANIPv6FirewallControl action (msg->action) for requester from,
 * answering in namespace ns: 0 with the response element appended to out,
 * or a UPnP error code (401 for an action the service does not have). The
 * caller has checked that from may use the IGD at all.
 */
int uwg_igd_fw_action(const struct uwg_igd_ops *ops, const struct uwg_igd_policy *pol,
		      const struct uwg_igd_soap_msg *msg, const struct uwg_igd_addr *from,
		      const char *ns, struct uwg_igd_buf *out);

/* QueryStateVariable: FirewallEnabled, InboundPinholeAllowed ("0"/"1"); else 404. */
int uwg_igd_fw_query_var(const struct uwg_igd_ops *ops, const char *var, char *out, size_t cap);

#endif
