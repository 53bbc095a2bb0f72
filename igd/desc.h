/*
 * igd/desc.h - the IGD's device tree and its XML: the root descriptions
 * (InternetGatewayDevice > WANDevice > WANConnectionDevice, at version 1 or
 * 2; services Layer3Forwarding:1, WANCommonInterfaceConfig:1,
 * WANIPConnection:1 or :2 and, for IPv6, WANIPv6FirewallControl:1) and the
 * four SCPDs, generated into heap strings. Pure (no pupnp, no I/O); any
 * thread.
 */
#ifndef UWG_IGD_DESC_H
#define UWG_IGD_DESC_H

#include <stdbool.h>
#include <stddef.h>

enum uwg_igd_service {
	UWG_IGD_SVC_L3F,   /* Layer3Forwarding:1 on the root device */
	UWG_IGD_SVC_CIF,   /* WANCommonInterfaceConfig:1 on the WANDevice */
	UWG_IGD_SVC_WANIP, /* WANIPConnection:1 (with the v2 actions) on the WANConnectionDevice */
	UWG_IGD_SVC_FW6,   /* WANIPv6FirewallControl:1 on the WANConnectionDevice (IPv6 trees) */
	UWG_IGD_SVC_COUNT
};

struct uwg_igd_service_info {
	const char *type;      /* urn:schemas-upnp-org:service:...:1 (a version 2 tree says :2
				* for WANIPConnection) */
	const char *id;        /* urn:upnp-org:serviceId:... */
	const char *scpd_path; /* served from memory under UWG_IGD_SCPD_DIR */
	const char *ctl_path;
	const char *evt_path;
};

#define UWG_IGD_SCPD_DIR "/scpd"
#define UWG_IGD_DESC_PATH "/description.xml"      /* IPv4: IGD:1, no firewall */
#define UWG_IGD_DESC6_PATH "/description6.xml"    /* IPv6: IGD:2 with WANIPv6FirewallControl */
#define UWG_IGD_DESC6_V1_PATH "/description6v1.xml" /* IPv6, for version 1 searches */
#define UWG_IGD_UUID_LEN 36 /* 8-4-4-4-12 hex, without "uuid:" */

const struct uwg_igd_service_info *uwg_igd_service_info(enum uwg_igd_service svc);

/* The service whose serviceId is id, or -1. */
int uwg_igd_service_by_id(const char *id);

/* The service whose control URL path is path, or -1. */
int uwg_igd_service_by_ctl(const char *path);
/* The service whose SCPD path is path (query string ignored), or -1. */
int uwg_igd_service_by_scpd(const char *path);

struct uwg_igd_desc_params {
	const char *uuid;          /* 36 chars, "uuid:" prefix optional; see uwg_igd_uuid_ok */
	const char *friendly_name; /* escaped on output; NULL = "uwg Internet Gateway" */
	const char *model_number;  /* NULL = UWG_VERSION */
	unsigned version;          /* device versions (and WANIPConnection's): 2, else 1 */
	bool firewall;             /* WANIPv6FirewallControl:1 in the WANConnectionDevice */
};

/* True for 8-4-4-4-12 hex digits with an optional "uuid:" prefix. */
bool uwg_igd_uuid_ok(const char *uuid);

/*
 * The UDN of device level 0 (root), 1 (WANDevice) or 2 (WANConnectionDevice):
 * "uuid:" + the uuid with its last hex digit advanced by level, as miniupnpd
 * derives its embedded devices. out needs 42 bytes.
 */
void uwg_igd_udn(char *out, const char *uuid, unsigned level);

/* Root description; heap string (caller frees) or NULL on allocation failure or a bad uuid. */
char *uwg_igd_desc_root(const struct uwg_igd_desc_params *p, size_t *len);

/* SCPD of one service; heap string or NULL. */
char *uwg_igd_desc_scpd(enum uwg_igd_service svc, size_t *len);

/*
 * Does the SCPD of svc declare action? (The dispatcher in actions.c is
 * checked against this in the unit tests.) Writes the names of all declared
 * actions when names is not NULL; returns the count either way.
 */
bool uwg_igd_desc_has_action(enum uwg_igd_service svc, const char *action);
size_t uwg_igd_desc_actions(enum uwg_igd_service svc, const char **names, size_t cap);

#endif
