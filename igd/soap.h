/*
 * igd/soap.h - pure SOAP handling for the IGD: extracts the action name, its
 * namespace and its arguments from arbitrary bytes (a whole SOAP envelope or
 * just the action element as pupnp hands it over), validates and normalises
 * argument values, builds response bodies, names UPnP error codes. No
 * pupnp, no I/O; any thread. The parser is bounded (no recursion, fixed
 * output sizes) and is the libFuzzer target of test/fuzz/fuzz_soap.c.
 */
#ifndef UWG_IGD_SOAP_H
#define UWG_IGD_SOAP_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* UPnP error codes (UDA 1.0 §3.2.2, IGD WANIPConnection v1/v2, WANIPv6FirewallControl:1). */
enum uwg_igd_upnp_error {
	UWG_IGD_OK = 0,
	UWG_IGD_E_INVALID_ACTION = 401,
	UWG_IGD_E_INVALID_ARGS = 402,
	UWG_IGD_E_INVALID_VAR = 404,
	UWG_IGD_E_ACTION_FAILED = 501,
	UWG_IGD_E_NOT_AUTHORIZED = 606,
	UWG_IGD_E_PINHOLE_SPACE_EXHAUSTED = 701,
	UWG_IGD_E_FIREWALL_DISABLED = 702,
	UWG_IGD_E_INBOUND_PINHOLE_NOT_ALLOWED = 703,
	UWG_IGD_E_NO_SUCH_PINHOLE = 704,       /* the spec's NoSuchEntry */
	UWG_IGD_E_PROTOCOL_NOT_SUPPORTED = 705,
	UWG_IGD_E_PINHOLE_INT_PORT_WILDCARD = 706,
	UWG_IGD_E_PROTOCOL_WILDCARD = 707,
	UWG_IGD_E_PINHOLE_CLIENT_WILDCARD = 708, /* miniupnpd's use of it */
	UWG_IGD_E_NO_TRAFFIC = 709,
	UWG_IGD_E_ARRAY_INDEX_INVALID = 713,
	UWG_IGD_E_NO_SUCH_ENTRY = 714,
	UWG_IGD_E_WILDCARD_SRC_IP = 715,
	UWG_IGD_E_WILDCARD_EXT_PORT = 716,
	UWG_IGD_E_CONFLICT = 718,
	UWG_IGD_E_SAME_PORT_REQUIRED = 724,
	UWG_IGD_E_ONLY_PERMANENT_LEASES = 725,
	UWG_IGD_E_REMOTE_HOST_WILDCARD_ONLY = 726,
	UWG_IGD_E_EXT_PORT_WILDCARD_ONLY = 727,
	UWG_IGD_E_NO_PORT_MAPS_AVAILABLE = 728,
	UWG_IGD_E_CONFLICT_OTHER_MECHANISM = 729,
	UWG_IGD_E_PORT_MAPPING_NOT_FOUND = 730,
	UWG_IGD_E_READ_ONLY = 731,
	UWG_IGD_E_WILDCARD_INT_PORT = 732,
	UWG_IGD_E_INCONSISTENT_PARAMS = 733,
};

/* The standard errorDescription for a code ("ConflictInMappingEntry"); "ActionFailed" if unknown. */
const char *uwg_igd_error_str(int code);

enum uwg_igd_soap_limits {
	UWG_IGD_SOAP_MAX_ARGS = 16,    /* more arguments: the message is refused */
	UWG_IGD_SOAP_NAME_MAX = 64,    /* action and argument names, including the NUL */
	UWG_IGD_SOAP_NS_MAX = 128,     /* action namespace (service type), including the NUL */
	UWG_IGD_SOAP_VALUE_MAX = 256,  /* argument values are truncated to 255 bytes */
	UWG_IGD_SOAP_MAX_DEPTH = 16,   /* element nesting while skipping a SOAP Header */
	UWG_IGD_DESC_MAX = 64,         /* sanitized description, including the NUL */
};

struct uwg_igd_soap_arg {
	char name[UWG_IGD_SOAP_NAME_MAX];  /* local name (prefix stripped) */
	char value[UWG_IGD_SOAP_VALUE_MAX]; /* entities and CDATA decoded; NUL bytes become '?' */
};

struct uwg_igd_soap_msg {
	char action[UWG_IGD_SOAP_NAME_MAX]; /* local name of the action element */
	char ns[UWG_IGD_SOAP_NS_MAX];       /* its namespace, "" if none or unusable */
	unsigned n_args;
	struct uwg_igd_soap_arg args[UWG_IGD_SOAP_MAX_ARGS];
};

/*
 * Parses len bytes (no NUL needed). Accepts an optional XML declaration,
 * comments, an Envelope with an optional Header (skipped) and a Body, or a
 * bare action element. Each child element of the action is one argument;
 * an argument holding an element is refused. Returns 0, or -EINVAL
 * (malformed, DOCTYPE, names too long) or -E2BIG (too many args, too deep).
 */
int uwg_igd_soap_parse(struct uwg_igd_soap_msg *out, const char *buf, size_t len);

/* The value of the first argument called name, or NULL if absent. */
const char *uwg_igd_soap_arg(const struct uwg_igd_soap_msg *msg, const char *name);

/*
 * Value checks. Each returns 0 or a UPnP error code (402 unless noted) and
 * trims surrounding blanks first; NULL (argument absent) is 402.
 */
/* Decimal 0..65535. */
int uwg_igd_arg_port(const char *s, uint16_t *out);
/* Like arg_port, but "*" and "0" yield 0 (the wildcard). */
int uwg_igd_arg_port_or_wildcard(const char *s, uint16_t *out);
/* Decimal 0..4294967295. */
int uwg_igd_arg_u32(const char *s, uint32_t *out);
/* "TCP"/"UDP" in any case -> IPPROTO_TCP/IPPROTO_UDP. */
int uwg_igd_arg_proto(const char *s, uint8_t *out);
/* Dotted-quad IPv4 only (no host names). */
int uwg_igd_arg_ipv4(const char *s, struct in_addr *out);
/* An IPv6 literal without brackets or zone (no host names: they would block the loop). */
int uwg_igd_arg_ipv6(const char *s, struct in6_addr *out);
/* "0"/"1"/"false"/"true"/"no"/"yes" in any case. */
int uwg_igd_arg_bool(const char *s, bool *out);
/* NULL, "" or "*" (blanks ignored) are the wildcard remote host. */
bool uwg_igd_arg_remote_wildcard(const char *s);
/* True when ns is a usable service type to echo ("urn:" + [A-Za-z0-9:._-]). */
bool uwg_igd_ns_ok(const char *ns);

/*
 * Copies in to out keeping printable ASCII except < > & ' " (which neither
 * ixml printing nor miniupnpc's parser round-trip), collapsing the rest to
 * nothing, capped at cap-1 bytes. Returns the length written.
 */
size_t uwg_igd_sanitize_desc(char *out, size_t cap, const char *in);

/* "TCP" / "UDP" ("" for anything else). */
const char *uwg_igd_proto_str(uint8_t proto);

/*
 * A growing output buffer for response bodies (heap). Any failed append
 * sets oom; uwg_igd_buf_take() then fails.
 */
struct uwg_igd_buf {
	char *p;
	size_t len, cap;
	bool oom;
};

void uwg_igd_buf_init(struct uwg_igd_buf *b);
void uwg_igd_buf_free(struct uwg_igd_buf *b);
void uwg_igd_buf_put(struct uwg_igd_buf *b, const char *s, size_t n);
void uwg_igd_buf_puts(struct uwg_igd_buf *b, const char *s);
/* Appends s with < > & ' " written as entities. */
void uwg_igd_buf_put_escaped(struct uwg_igd_buf *b, const char *s);
/* Returns the NUL-terminated text (caller frees) and resets b; NULL after an allocation failure. */
char *uwg_igd_buf_take(struct uwg_igd_buf *b, size_t *len);

/*
 * Response body: <u:ACTIONResponse xmlns:u="NS"> ... </u:ACTIONResponse>.
 * resp_arg escapes the value; resp_arg_cdata wraps it in CDATA (splitting
 * any "]]>" so the text survives), as GetListOfPortMappings needs.
 */
void uwg_igd_resp_begin(struct uwg_igd_buf *b, const char *action, const char *ns);
void uwg_igd_resp_arg(struct uwg_igd_buf *b, const char *name, const char *value);
void uwg_igd_resp_arg_u32(struct uwg_igd_buf *b, const char *name, uint32_t value);
void uwg_igd_resp_arg_cdata(struct uwg_igd_buf *b, const char *name, const char *value);
void uwg_igd_resp_end(struct uwg_igd_buf *b, const char *action);

#endif
