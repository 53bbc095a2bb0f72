/*
 * igd/desc.c - generates the IGD root descriptions and SCPDs from the tables
 * below (device trees of docs/igd.md: IGD > WANDevice > WCD at :1 for IPv4;
 * at :2 with WANIPv6FirewallControl:1 for IPv6, and at :1 with it for IPv6
 * version 1 searches; WANIPConnection lists the IGDv2 actions in every
 * version). Pure; any thread.
 */
#include "igd/desc.h"
#include "igd/soap.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#ifndef UWG_VERSION
#define UWG_VERSION "0"
#endif

static const struct uwg_igd_service_info services[UWG_IGD_SVC_COUNT] = {
	[UWG_IGD_SVC_L3F] = { "urn:schemas-upnp-org:service:Layer3Forwarding:1",
			      "urn:upnp-org:serviceId:L3Forwarding1", UWG_IGD_SCPD_DIR "/L3F.xml",
			      "/ctl/L3F", "/evt/L3F" },
	[UWG_IGD_SVC_CIF] = { "urn:schemas-upnp-org:service:WANCommonInterfaceConfig:1",
			      "urn:upnp-org:serviceId:WANCommonIFC1", UWG_IGD_SCPD_DIR "/WANCfg.xml",
			      "/ctl/CmnIfCfg", "/evt/CmnIfCfg" },
	[UWG_IGD_SVC_WANIP] = { "urn:schemas-upnp-org:service:WANIPConnection:1",
				"urn:upnp-org:serviceId:WANIPConn1", UWG_IGD_SCPD_DIR "/WANIPCn.xml",
				"/ctl/IPConn", "/evt/IPConn" },
	[UWG_IGD_SVC_FW6] = { "urn:schemas-upnp-org:service:WANIPv6FirewallControl:1",
			      "urn:upnp-org:serviceId:WANIPv6Firewall1",
			      UWG_IGD_SCPD_DIR "/WANIP6FC.xml", "/ctl/IP6FCtl", "/evt/IP6FCtl" },
};

const struct uwg_igd_service_info *uwg_igd_service_info(enum uwg_igd_service svc)
{
	return (unsigned)svc < UWG_IGD_SVC_COUNT ? &services[svc] : NULL;
}

int uwg_igd_service_by_id(const char *id)
{
	for (int i = 0; i < UWG_IGD_SVC_COUNT; i++)
		if (id && !strcmp(id, services[i].id))
			return i;
	return -1;
}

int uwg_igd_service_by_ctl(const char *path)
{
	for (int i = 0; i < UWG_IGD_SVC_COUNT; i++)
		if (!strcmp(path, services[i].ctl_path))
			return i;
	return -1;
}

int uwg_igd_service_by_scpd(const char *path)
{
	size_t n = strcspn(path, "?#");

	for (int i = 0; i < UWG_IGD_SVC_COUNT; i++)
		if (strlen(services[i].scpd_path) == n && !strncmp(path, services[i].scpd_path, n))
			return i;
	return -1;
}

/* ---------- SCPD tables ---------- */

struct arg_spec {
	const char *name;
	bool out;
	const char *var;
};

struct action_spec {
	const char *name;
	const struct arg_spec *args; /* ends with a NULL name */
};

struct var_spec {
	const char *name;
	const char *type;
	bool evented;
	const char *def;
	const char *allowed; /* comma separated, or NULL */
	const char *range;   /* "min,max" or NULL */
};

#define IN(n, v)  { n, false, v }
#define OUT(n, v) { n, true, v }
#define END       { NULL, false, NULL }

static const struct arg_spec a_none[] = { END };
static const struct arg_spec a_set_type[] = { IN("NewConnectionType", "ConnectionType"), END };
static const struct arg_spec a_type_info[] = {
	OUT("NewConnectionType", "ConnectionType"),
	OUT("NewPossibleConnectionTypes", "PossibleConnectionTypes"), END
};
static const struct arg_spec a_status[] = {
	OUT("NewConnectionStatus", "ConnectionStatus"),
	OUT("NewLastConnectionError", "LastConnectionError"), OUT("NewUptime", "Uptime"), END
};
static const struct arg_spec a_rsip[] = { OUT("NewRSIPAvailable", "RSIPAvailable"),
					  OUT("NewNATEnabled", "NATEnabled"), END };
static const struct arg_spec a_generic[] = {
	IN("NewPortMappingIndex", "PortMappingNumberOfEntries"),
	OUT("NewRemoteHost", "RemoteHost"),
	OUT("NewExternalPort", "ExternalPort"),
	OUT("NewProtocol", "PortMappingProtocol"),
	OUT("NewInternalPort", "InternalPort"),
	OUT("NewInternalClient", "InternalClient"),
	OUT("NewEnabled", "PortMappingEnabled"),
	OUT("NewPortMappingDescription", "PortMappingDescription"),
	OUT("NewLeaseDuration", "PortMappingLeaseDuration"),
	END
};
static const struct arg_spec a_specific[] = {
	IN("NewRemoteHost", "RemoteHost"),
	IN("NewExternalPort", "ExternalPort"),
	IN("NewProtocol", "PortMappingProtocol"),
	OUT("NewInternalPort", "InternalPort"),
	OUT("NewInternalClient", "InternalClient"),
	OUT("NewEnabled", "PortMappingEnabled"),
	OUT("NewPortMappingDescription", "PortMappingDescription"),
	OUT("NewLeaseDuration", "PortMappingLeaseDuration"),
	END
};
static const struct arg_spec a_add[] = {
	IN("NewRemoteHost", "RemoteHost"),
	IN("NewExternalPort", "ExternalPort"),
	IN("NewProtocol", "PortMappingProtocol"),
	IN("NewInternalPort", "InternalPort"),
	IN("NewInternalClient", "InternalClient"),
	IN("NewEnabled", "PortMappingEnabled"),
	IN("NewPortMappingDescription", "PortMappingDescription"),
	IN("NewLeaseDuration", "PortMappingLeaseDuration"),
	END
};
static const struct arg_spec a_add_any[] = {
	IN("NewRemoteHost", "RemoteHost"),
	IN("NewExternalPort", "ExternalPort"),
	IN("NewProtocol", "PortMappingProtocol"),
	IN("NewInternalPort", "InternalPort"),
	IN("NewInternalClient", "InternalClient"),
	IN("NewEnabled", "PortMappingEnabled"),
	IN("NewPortMappingDescription", "PortMappingDescription"),
	IN("NewLeaseDuration", "PortMappingLeaseDuration"),
	OUT("NewReservedPort", "ExternalPort"),
	END
};
static const struct arg_spec a_del[] = { IN("NewRemoteHost", "RemoteHost"),
					 IN("NewExternalPort", "ExternalPort"),
					 IN("NewProtocol", "PortMappingProtocol"), END };
static const struct arg_spec a_del_range[] = {
	IN("NewStartPort", "ExternalPort"), IN("NewEndPort", "ExternalPort"),
	IN("NewProtocol", "PortMappingProtocol"), IN("NewManage", "A_ARG_TYPE_Manage"), END
};
static const struct arg_spec a_list[] = {
	IN("NewStartPort", "ExternalPort"),
	IN("NewEndPort", "ExternalPort"),
	IN("NewProtocol", "PortMappingProtocol"),
	IN("NewManage", "A_ARG_TYPE_Manage"),
	IN("NewNumberOfPorts", "PortMappingNumberOfEntries"),
	OUT("NewPortListing", "A_ARG_TYPE_PortListing"),
	END
};
static const struct arg_spec a_ext_ip[] = { OUT("NewExternalIPAddress", "ExternalIPAddress"),
					    END };

static const struct action_spec wanip_actions[] = {
	{ "SetConnectionType", a_set_type },
	{ "GetConnectionTypeInfo", a_type_info },
	{ "RequestConnection", a_none },
	{ "ForceTermination", a_none },
	{ "GetStatusInfo", a_status },
	{ "GetNATRSIPStatus", a_rsip },
	{ "GetGenericPortMappingEntry", a_generic },
	{ "GetSpecificPortMappingEntry", a_specific },
	{ "AddPortMapping", a_add },
	{ "DeletePortMapping", a_del },
	{ "GetExternalIPAddress", a_ext_ip },
	{ "DeletePortMappingRange", a_del_range },
	{ "GetListOfPortMappings", a_list },
	{ "AddAnyPortMapping", a_add_any },
	{ NULL, NULL },
};

static const struct var_spec wanip_vars[] = {
	{ "ConnectionType", "string", false, "IP_Routed", NULL, NULL },
	{ "PossibleConnectionTypes", "string", true, NULL, "Unconfigured,IP_Routed,IP_Bridged",
	  NULL },
	{ "ConnectionStatus", "string", true, NULL,
	  "Unconfigured,Connecting,Connected,PendingDisconnect,Disconnecting,Disconnected", NULL },
	{ "Uptime", "ui4", false, NULL, NULL, NULL },
	{ "LastConnectionError", "string", false, "ERROR_NONE", "ERROR_NONE", NULL },
	{ "RSIPAvailable", "boolean", false, "0", NULL, NULL },
	{ "NATEnabled", "boolean", false, "1", NULL, NULL },
	{ "ExternalIPAddress", "string", true, NULL, NULL, NULL },
	{ "PortMappingNumberOfEntries", "ui2", true, NULL, NULL, NULL },
	{ "PortMappingEnabled", "boolean", false, NULL, NULL, NULL },
	{ "PortMappingLeaseDuration", "ui4", false, NULL, NULL, "0,604800" },
	{ "RemoteHost", "string", false, NULL, NULL, NULL },
	{ "ExternalPort", "ui2", false, NULL, NULL, NULL },
	{ "InternalPort", "ui2", false, NULL, NULL, "1,65535" },
	{ "PortMappingProtocol", "string", false, NULL, "TCP,UDP", NULL },
	{ "InternalClient", "string", false, NULL, NULL, NULL },
	{ "PortMappingDescription", "string", false, NULL, NULL, NULL },
	{ "A_ARG_TYPE_Manage", "boolean", false, NULL, NULL, NULL },
	{ "A_ARG_TYPE_PortListing", "string", false, NULL, NULL, NULL },
	{ NULL, NULL, false, NULL, NULL, NULL },
};

static const struct arg_spec a_link[] = {
	OUT("NewWANAccessType", "WANAccessType"),
	OUT("NewLayer1UpstreamMaxBitRate", "Layer1UpstreamMaxBitRate"),
	OUT("NewLayer1DownstreamMaxBitRate", "Layer1DownstreamMaxBitRate"),
	OUT("NewPhysicalLinkStatus", "PhysicalLinkStatus"),
	END
};
static const struct arg_spec a_bytes_sent[] = { OUT("NewTotalBytesSent", "TotalBytesSent"), END };
static const struct arg_spec a_bytes_recv[] = {
	OUT("NewTotalBytesReceived", "TotalBytesReceived"), END
};
static const struct arg_spec a_pkts_sent[] = { OUT("NewTotalPacketsSent", "TotalPacketsSent"),
					       END };
static const struct arg_spec a_pkts_recv[] = {
	OUT("NewTotalPacketsReceived", "TotalPacketsReceived"), END
};

static const struct action_spec cif_actions[] = {
	{ "GetCommonLinkProperties", a_link },
	{ "GetTotalBytesSent", a_bytes_sent },
	{ "GetTotalBytesReceived", a_bytes_recv },
	{ "GetTotalPacketsSent", a_pkts_sent },
	{ "GetTotalPacketsReceived", a_pkts_recv },
	{ NULL, NULL },
};

static const struct var_spec cif_vars[] = {
	{ "WANAccessType", "string", false, NULL, "DSL,POTS,Cable,Ethernet", NULL },
	{ "Layer1UpstreamMaxBitRate", "ui4", false, NULL, NULL, NULL },
	{ "Layer1DownstreamMaxBitRate", "ui4", false, NULL, NULL, NULL },
	{ "PhysicalLinkStatus", "string", true, NULL, "Up,Down,Initializing,Unavailable", NULL },
	{ "TotalBytesSent", "ui4", false, NULL, NULL, NULL },
	{ "TotalBytesReceived", "ui4", false, NULL, NULL, NULL },
	{ "TotalPacketsSent", "ui4", false, NULL, NULL, NULL },
	{ "TotalPacketsReceived", "ui4", false, NULL, NULL, NULL },
	{ NULL, NULL, false, NULL, NULL, NULL },
};

static const struct arg_spec a_get_dcs[] = {
	OUT("NewDefaultConnectionService", "DefaultConnectionService"), END
};
static const struct arg_spec a_set_dcs[] = {
	IN("NewDefaultConnectionService", "DefaultConnectionService"), END
};

static const struct action_spec l3f_actions[] = {
	{ "SetDefaultConnectionService", a_set_dcs },
	{ "GetDefaultConnectionService", a_get_dcs },
	{ NULL, NULL },
};

static const struct var_spec l3f_vars[] = {
	{ "DefaultConnectionService", "string", true, NULL, NULL, NULL },
	{ NULL, NULL, false, NULL, NULL, NULL },
};

/* WANIPv6FirewallControl:1, argument and variable names as miniupnpd declares them. */
static const struct arg_spec a_fw_status[] = {
	OUT("FirewallEnabled", "FirewallEnabled"),
	OUT("InboundPinholeAllowed", "InboundPinholeAllowed"), END
};
static const struct arg_spec a_outbound_timeout[] = {
	IN("RemoteHost", "A_ARG_TYPE_IPv6Address"),
	IN("RemotePort", "A_ARG_TYPE_Port"),
	IN("InternalClient", "A_ARG_TYPE_IPv6Address"),
	IN("InternalPort", "A_ARG_TYPE_Port"),
	IN("Protocol", "A_ARG_TYPE_Protocol"),
	OUT("OutboundPinholeTimeout", "A_ARG_TYPE_OutboundPinholeTimeout"),
	END
};
static const struct arg_spec a_add_pinhole[] = {
	IN("RemoteHost", "A_ARG_TYPE_IPv6Address"),
	IN("RemotePort", "A_ARG_TYPE_Port"),
	IN("InternalClient", "A_ARG_TYPE_IPv6Address"),
	IN("InternalPort", "A_ARG_TYPE_Port"),
	IN("Protocol", "A_ARG_TYPE_Protocol"),
	IN("LeaseTime", "A_ARG_TYPE_LeaseTime"),
	OUT("UniqueID", "A_ARG_TYPE_UniqueID"),
	END
};
static const struct arg_spec a_update_pinhole[] = { IN("UniqueID", "A_ARG_TYPE_UniqueID"),
						    IN("NewLeaseTime", "A_ARG_TYPE_LeaseTime"),
						    END };
static const struct arg_spec a_del_pinhole[] = { IN("UniqueID", "A_ARG_TYPE_UniqueID"), END };
static const struct arg_spec a_pinhole_packets[] = {
	IN("UniqueID", "A_ARG_TYPE_UniqueID"),
	OUT("PinholePackets", "A_ARG_TYPE_PinholePackets"), END
};
static const struct arg_spec a_check_pinhole[] = { IN("UniqueID", "A_ARG_TYPE_UniqueID"),
						   OUT("IsWorking", "A_ARG_TYPE_Boolean"), END };

static const struct action_spec fw6_actions[] = {
	{ "GetFirewallStatus", a_fw_status },
	{ "GetOutboundPinholeTimeout", a_outbound_timeout },
	{ "AddPinhole", a_add_pinhole },
	{ "UpdatePinhole", a_update_pinhole },
	{ "DeletePinhole", a_del_pinhole },
	{ "GetPinholePackets", a_pinhole_packets },
	{ "CheckPinholeWorking", a_check_pinhole },
	{ NULL, NULL },
};

static const struct var_spec fw6_vars[] = {
	{ "FirewallEnabled", "boolean", true, NULL, NULL, NULL },
	{ "InboundPinholeAllowed", "boolean", true, NULL, NULL, NULL },
	{ "A_ARG_TYPE_IPv6Address", "string", false, NULL, NULL, NULL },
	{ "A_ARG_TYPE_Port", "ui2", false, NULL, NULL, NULL },
	{ "A_ARG_TYPE_Protocol", "ui2", false, NULL, NULL, NULL },
	{ "A_ARG_TYPE_UniqueID", "ui2", false, NULL, NULL, NULL },
	{ "A_ARG_TYPE_LeaseTime", "ui4", false, NULL, NULL, "1,86400" },
	{ "A_ARG_TYPE_OutboundPinholeTimeout", "ui4", false, NULL, NULL, NULL },
	{ "A_ARG_TYPE_Boolean", "boolean", false, NULL, NULL, NULL },
	{ "A_ARG_TYPE_PinholePackets", "ui4", false, NULL, NULL, NULL },
	{ NULL, NULL, false, NULL, NULL, NULL },
};

static const struct action_spec *const svc_actions[UWG_IGD_SVC_COUNT] = {
	[UWG_IGD_SVC_L3F] = l3f_actions,
	[UWG_IGD_SVC_CIF] = cif_actions,
	[UWG_IGD_SVC_WANIP] = wanip_actions,
	[UWG_IGD_SVC_FW6] = fw6_actions,
};

static const struct var_spec *const svc_vars[UWG_IGD_SVC_COUNT] = {
	[UWG_IGD_SVC_L3F] = l3f_vars,
	[UWG_IGD_SVC_CIF] = cif_vars,
	[UWG_IGD_SVC_WANIP] = wanip_vars,
	[UWG_IGD_SVC_FW6] = fw6_vars,
};

bool uwg_igd_desc_has_action(enum uwg_igd_service svc, const char *action)
{
	if ((unsigned)svc >= UWG_IGD_SVC_COUNT)
		return false;
	for (const struct action_spec *a = svc_actions[svc]; a->name; a++)
		if (!strcmp(a->name, action))
			return true;
	return false;
}

size_t uwg_igd_desc_actions(enum uwg_igd_service svc, const char **names, size_t cap)
{
	size_t n = 0;

	if ((unsigned)svc >= UWG_IGD_SVC_COUNT)
		return 0;
	for (const struct action_spec *a = svc_actions[svc]; a->name; a++, n++)
		if (names && n < cap)
			names[n] = a->name;
	return n;
}

/* ---------- generation ---------- */

static void tagged(struct uwg_igd_buf *b, const char *tag, const char *value)
{
	uwg_igd_buf_puts(b, "<");
	uwg_igd_buf_puts(b, tag);
	uwg_igd_buf_puts(b, ">");
	uwg_igd_buf_put_escaped(b, value);
	uwg_igd_buf_puts(b, "</");
	uwg_igd_buf_puts(b, tag);
	uwg_igd_buf_puts(b, ">\n");
}

static void put_list(struct uwg_igd_buf *b, const char *csv, const char *item)
{
	while (*csv) {
		size_t n = strcspn(csv, ",");

		uwg_igd_buf_puts(b, "<");
		uwg_igd_buf_puts(b, item);
		uwg_igd_buf_puts(b, ">");
		uwg_igd_buf_put(b, csv, n);
		uwg_igd_buf_puts(b, "</");
		uwg_igd_buf_puts(b, item);
		uwg_igd_buf_puts(b, ">");
		csv += n;
		if (*csv == ',')
			csv++;
	}
}

char *uwg_igd_desc_scpd(enum uwg_igd_service svc, size_t *len)
{
	struct uwg_igd_buf b;

	if ((unsigned)svc >= UWG_IGD_SVC_COUNT)
		return NULL;
	uwg_igd_buf_init(&b);
	uwg_igd_buf_puts(&b, "<?xml version=\"1.0\"?>\n"
			     "<scpd xmlns=\"urn:schemas-upnp-org:service-1-0\">\n"
			     "<specVersion><major>1</major><minor>0</minor></specVersion>\n"
			     "<actionList>\n");
	for (const struct action_spec *a = svc_actions[svc]; a->name; a++) {
		uwg_igd_buf_puts(&b, "<action>\n");
		tagged(&b, "name", a->name);
		if (a->args[0].name) {
			uwg_igd_buf_puts(&b, "<argumentList>\n");
			for (const struct arg_spec *g = a->args; g->name; g++) {
				uwg_igd_buf_puts(&b, "<argument>");
				uwg_igd_buf_puts(&b, "<name>");
				uwg_igd_buf_puts(&b, g->name);
				uwg_igd_buf_puts(&b, "</name><direction>");
				uwg_igd_buf_puts(&b, g->out ? "out" : "in");
				uwg_igd_buf_puts(&b, "</direction><relatedStateVariable>");
				uwg_igd_buf_puts(&b, g->var);
				uwg_igd_buf_puts(&b, "</relatedStateVariable></argument>\n");
			}
			uwg_igd_buf_puts(&b, "</argumentList>\n");
		}
		uwg_igd_buf_puts(&b, "</action>\n");
	}
	uwg_igd_buf_puts(&b, "</actionList>\n<serviceStateTable>\n");
	for (const struct var_spec *v = svc_vars[svc]; v->name; v++) {
		uwg_igd_buf_puts(&b, v->evented ? "<stateVariable sendEvents=\"yes\">"
						: "<stateVariable sendEvents=\"no\">");
		uwg_igd_buf_puts(&b, "<name>");
		uwg_igd_buf_puts(&b, v->name);
		uwg_igd_buf_puts(&b, "</name><dataType>");
		uwg_igd_buf_puts(&b, v->type);
		uwg_igd_buf_puts(&b, "</dataType>");
		if (v->def) {
			uwg_igd_buf_puts(&b, "<defaultValue>");
			uwg_igd_buf_puts(&b, v->def);
			uwg_igd_buf_puts(&b, "</defaultValue>");
		}
		if (v->allowed) {
			uwg_igd_buf_puts(&b, "<allowedValueList>");
			put_list(&b, v->allowed, "allowedValue");
			uwg_igd_buf_puts(&b, "</allowedValueList>");
		}
		if (v->range) {
			size_t n = strcspn(v->range, ",");

			uwg_igd_buf_puts(&b, "<allowedValueRange><minimum>");
			uwg_igd_buf_put(&b, v->range, n);
			uwg_igd_buf_puts(&b, "</minimum><maximum>");
			uwg_igd_buf_puts(&b, v->range + n + 1);
			uwg_igd_buf_puts(&b, "</maximum></allowedValueRange>");
		}
		uwg_igd_buf_puts(&b, "</stateVariable>\n");
	}
	uwg_igd_buf_puts(&b, "</serviceStateTable>\n</scpd>\n");
	return uwg_igd_buf_take(&b, len);
}

bool uwg_igd_uuid_ok(const char *uuid)
{
	if (!uuid)
		return false;
	if (!strncasecmp(uuid, "uuid:", 5))
		uuid += 5;
	if (strlen(uuid) != UWG_IGD_UUID_LEN)
		return false;
	for (int i = 0; i < UWG_IGD_UUID_LEN; i++) {
		char ch = uuid[i];
		bool dash = i == 8 || i == 13 || i == 18 || i == 23;

		if (dash != (ch == '-'))
			return false;
		if (!dash && !((ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f') ||
			       (ch >= 'A' && ch <= 'F')))
			return false;
	}
	return true;
}

void uwg_igd_udn(char *out, const char *uuid, unsigned level)
{
	static const char hex[] = "0123456789abcdef";
	char *last;
	unsigned v;

	if (!strncasecmp(uuid, "uuid:", 5))
		uuid += 5;
	memcpy(out, "uuid:", 5);
	for (int i = 0; i < UWG_IGD_UUID_LEN; i++) {
		char ch = uuid[i];

		out[5 + i] = (ch >= 'A' && ch <= 'F') ? (char)(ch - 'A' + 'a') : ch;
	}
	out[5 + UWG_IGD_UUID_LEN] = '\0';
	last = &out[5 + UWG_IGD_UUID_LEN - 1];
	v = (unsigned)(strchr(hex, *last) - hex);
	*last = hex[(v + level) & 15];
}

/* One <service>; version 2 rewrites the type's trailing ":1" (WANIPConnection in an IGD:2). */
static void service(struct uwg_igd_buf *b, enum uwg_igd_service svc, unsigned version)
{
	const struct uwg_igd_service_info *s = &services[svc];
	size_t n = strlen(s->type);

	uwg_igd_buf_puts(b, "<service>\n<serviceType>");
	uwg_igd_buf_put(b, s->type, version == 2 ? n - 1 : n);
	if (version == 2)
		uwg_igd_buf_puts(b, "2");
	uwg_igd_buf_puts(b, "</serviceType>\n");
	tagged(b, "serviceId", s->id);
	tagged(b, "SCPDURL", s->scpd_path);
	tagged(b, "controlURL", s->ctl_path);
	tagged(b, "eventSubURL", s->evt_path);
	uwg_igd_buf_puts(b, "</service>\n");
}

static void service_block(struct uwg_igd_buf *b, enum uwg_igd_service svc)
{
	uwg_igd_buf_puts(b, "<serviceList>\n");
	service(b, svc, 1);
	uwg_igd_buf_puts(b, "</serviceList>\n");
}

/* type is "InternetGatewayDevice" etc.: the version comes from p. */
static void device_head(struct uwg_igd_buf *b, const char *type, const char *name,
			const struct uwg_igd_desc_params *p, const char *udn)
{
	uwg_igd_buf_puts(b, "<device>\n<deviceType>urn:schemas-upnp-org:device:");
	uwg_igd_buf_puts(b, type);
	uwg_igd_buf_puts(b, p->version == 2 ? ":2" : ":1");
	uwg_igd_buf_puts(b, "</deviceType>\n");
	tagged(b, "friendlyName", name);
	tagged(b, "manufacturer", "uwg");
	tagged(b, "modelDescription", "uwg userspace WireGuard gateway");
	tagged(b, "modelName", "uwg");
	tagged(b, "modelNumber", p->model_number ? p->model_number : UWG_VERSION);
	tagged(b, "UDN", udn);
}

char *uwg_igd_desc_root(const struct uwg_igd_desc_params *p, size_t *len)
{
	const char *name = p->friendly_name ? p->friendly_name : "uwg Internet Gateway";
	char udn[3][48];
	struct uwg_igd_buf b;

	if (!uwg_igd_uuid_ok(p->uuid))
		return NULL;
	for (unsigned i = 0; i < 3; i++)
		uwg_igd_udn(udn[i], p->uuid, i);
	uwg_igd_buf_init(&b);
	uwg_igd_buf_puts(&b, "<?xml version=\"1.0\"?>\n"
			     "<root xmlns=\"urn:schemas-upnp-org:device-1-0\">\n"
			     "<specVersion><major>1</major><minor>0</minor></specVersion>\n");
	device_head(&b, "InternetGatewayDevice", name, p, udn[0]);
	service_block(&b, UWG_IGD_SVC_L3F);
	uwg_igd_buf_puts(&b, "<deviceList>\n");
	device_head(&b, "WANDevice", "WANDevice", p, udn[1]);
	service_block(&b, UWG_IGD_SVC_CIF);
	uwg_igd_buf_puts(&b, "<deviceList>\n");
	device_head(&b, "WANConnectionDevice", "WANConnectionDevice", p, udn[2]);
	uwg_igd_buf_puts(&b, "<serviceList>\n");
	service(&b, UWG_IGD_SVC_WANIP, p->version == 2 ? 2 : 1);
	if (p->firewall)
		service(&b, UWG_IGD_SVC_FW6, 1);
	uwg_igd_buf_puts(&b, "</serviceList>\n");
	uwg_igd_buf_puts(&b, "</device>\n</deviceList>\n</device>\n</deviceList>\n</device>\n"
			     "</root>\n");
	return uwg_igd_buf_take(&b, len);
}
