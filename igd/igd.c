/*
 * igd/igd.c - the embedded IGD: its HTTP server (httpd.c, guarded by
 * http.c) answering descriptions and SOAP on the loop thread, and discovery
 * by pupnp in a supervised child process (ssdp.c).
 *
 * Why this split: pupnp 1.8.4, which Debian 12 ships, crashes on a single
 * malformed SUBSCRIBE (CVE-2020-13848) and accepts any Host header (DNS
 * rebinding). Its HTTP, SOAP and GENA code is therefore not used at all:
 * descriptions and SOAP are served here by our own bounded, fuzzed parsers
 * (http.c, soap.c), and actions run directly on the loop thread, which is
 * the only thread the ops may be called on. pupnp keeps the job it is good
 * at, SSDP, in a child that runs as nobody; when it dies, discovery restarts
 * and nothing else notices.
 *
 * IPv6 (cfg.tunnel_ip6): the same HTTP server listens on the same port of
 * the tunnel's IPv6 address; a request over IPv6 carries an IPv6 requester,
 * which the port-map actions refuse and WANIPv6FirewallControl needs. IPv6
 * searches are answered with LOCATION on that address. Descriptions: IPv4
 * keeps the IGD:1 tree every client knows; IPv6 gets IGD:2 with the firewall
 * service (what Syncthing looks for) and, for version 1 searches
 * (miniupnpc), the same tree at :1 (docs/igd.md). The SSDP child answers
 * IPv6 searches with igd/ssdp6.c, not pupnp, which cannot send IPv6
 * (ssdp6.h).
 *
 * Threads: everything here runs on the loop thread.
 */
#include "igd/igd.h"
#include "igd/actions.h"
#include "igd/desc.h"
#include "igd/http.h"
#include "igd/httpd.h"
#include "igd/pmpd.h"
#include "igd/ssdp.h"

#include <arpa/inet.h>
#include <errno.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

/* The root descriptions: one per device tree (desc.h). */
enum desc_kind { DESC_V4, DESC_V6, DESC_V6_V1, DESC_COUNT };

static const struct {
	const char *path;
	unsigned version;
	bool firewall;
} desc_kinds[DESC_COUNT] = {
	[DESC_V4] = { UWG_IGD_DESC_PATH, 1, false },
	[DESC_V6] = { UWG_IGD_DESC6_PATH, 2, true },
	[DESC_V6_V1] = { UWG_IGD_DESC6_V1_PATH, 1, true },
};

/* "http://[" + the longest IPv6 text + "]:65535" + the longest path */
#define DESC_URL6_MAX (8 + INET6_ADDRSTRLEN + 7 + 24)

struct uwg_igd {
	uv_loop_t *loop;
	struct uwg_igd_ops ops;
	struct uwg_igd_config cfg;
	struct uwg_igd_actx ax;
	uint64_t log_window_s;
	unsigned log_budget;

	char uuid[48];
	char friendly[128];
	char *desc[DESC_COUNT];
	size_t desc_len[DESC_COUNT];
	char *scpd[UWG_IGD_SVC_COUNT];
	size_t scpd_len[UWG_IGD_SVC_COUNT];
	char desc_url[96];
	char desc_url6[DESC_URL6_MAX];
	char lower_url6[DESC_URL6_MAX];

	struct uwg_igd_httpd *httpd;
	struct uwg_igd_ssdp *ssdp;
	struct uwg_igd_pmpd *pmpd;
	uint64_t actions, errors, refused_source, bad_requests, pinhole_actions;
	uint64_t errors_by_code[UWG_IGD_STAT_CODES];
};

static uint64_t mono_s(void)
{
	return uv_hrtime() / 1000000000u;
}

void uwg_igd_config_init(struct uwg_igd_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	uwg_igd_policy_init(&cfg->policy);
}

/* A few lines per second at most: a client can send requests in a loop. */
static void log_result(struct uwg_igd *igd, const char *action,
		       const struct uwg_igd_addr *requester, int err)
{
	char ip[INET6_ADDRSTRLEN], line[200];
	uint64_t now = mono_s();

	/* only failed changes: 713/714 from the read actions are how listing ends */
	if ((!igd->ops.log && !igd->ops.refused) || !err ||
	    (strncmp(action, "Add", 3) && strncmp(action, "Delete", 6)))
		return;
	if (now != igd->log_window_s) {
		igd->log_window_s = now;
		igd->log_budget = 5;
	}
	if (!igd->log_budget)
		return;
	igd->log_budget--;
	/* refused() names IPv4 requesters only (igd/ops.h); an IPv6 one gets a log line */
	if (igd->ops.refused && !requester->v6) {
		igd->ops.refused(igd->ops.ctx, action, requester->ip4, err);
		return;
	}
	if (!igd->ops.log)
		return;
	if (!(requester->v6 ? inet_ntop(AF_INET6, &requester->ip6, ip, sizeof(ip))
			    : inet_ntop(AF_INET, &requester->ip4, ip, sizeof(ip))))
		ip[0] = '\0';
	snprintf(line, sizeof(line), "igd: %s from %s: %d %s", action, ip, err,
		 uwg_igd_error_str(err));
	igd->ops.log(igd->ops.ctx, line);
}

/* ---------- SOAP over our HTTP server ---------- */

static const char env_head[] =
	"<?xml version=\"1.0\"?>\r\n"
	"<s:Envelope xmlns:s=\"http://schemas.xmlsoap.org/soap/envelope/\" "
	"s:encodingStyle=\"http://schemas.xmlsoap.org/soap/encoding/\"><s:Body>";
static const char env_tail[] = "</s:Body></s:Envelope>\r\n";

const int uwg_igd_stat_codes[UWG_IGD_STAT_CODES] = {
	401, 402, 404, 501, 606, 701, 702, 703, 704, 705, 706, 707, 708, 709,
	713, 714, 715, 716, 718, 724, 725, 726, 727, 728, 729, 730, 731, 732, 733,
};

static void count_error(struct uwg_igd *igd, int code)
{
	size_t slot = 3; /* 501, for a code we do not know */

	for (size_t i = 0; i < UWG_IGD_STAT_CODES; i++)
		if (uwg_igd_stat_codes[i] == code)
			slot = i;
	igd->errors++;
	igd->errors_by_code[slot]++;
}

static void soap_fault(struct uwg_igd *igd, struct uwg_igd_http_resp *r, int code)
{
	struct uwg_igd_buf b;
	char num[16];

	count_error(igd, code);
	snprintf(num, sizeof(num), "%d", code);
	uwg_igd_buf_init(&b);
	uwg_igd_buf_puts(&b, env_head);
	uwg_igd_buf_puts(&b, "<s:Fault><faultcode>s:Client</faultcode><faultstring>UPnPError"
			     "</faultstring><detail><UPnPError xmlns=\"urn:schemas-upnp-org:"
			     "control-1-0\"><errorCode>");
	uwg_igd_buf_puts(&b, num);
	uwg_igd_buf_puts(&b, "</errorCode><errorDescription>");
	uwg_igd_buf_puts(&b, uwg_igd_error_str(code));
	uwg_igd_buf_puts(&b, "</errorDescription></UPnPError></detail></s:Fault>");
	uwg_igd_buf_puts(&b, env_tail);
	r->body = uwg_igd_buf_take(&b, &r->len);
	r->status = 500;
}

static void soap_ok(struct uwg_igd_http_resp *r, const char *xml, size_t len)
{
	struct uwg_igd_buf b;

	uwg_igd_buf_init(&b);
	uwg_igd_buf_puts(&b, env_head);
	uwg_igd_buf_put(&b, xml, len);
	uwg_igd_buf_puts(&b, env_tail);
	r->body = uwg_igd_buf_take(&b, &r->len);
	r->status = r->body ? 200 : 500;
}

/* QueryStateVariable, which UDA 1.0 routes through every control URL. */
static void query_var(struct uwg_igd *igd, enum uwg_igd_service svc,
		      const struct uwg_igd_soap_msg *msg, const struct uwg_igd_addr *requester,
		      struct uwg_igd_http_resp *r)
{
	static const char ns[] = "urn:schemas-upnp-org:control-1-0";
	const char *var = uwg_igd_soap_arg(msg, "varName");
	char val[UWG_IGD_VAR_MAX];
	struct uwg_igd_buf b;
	char *xml;
	size_t len;
	int err;

	err = var ? uwg_igd_query_var(&igd->ax, svc, var, requester, mono_s(), val, sizeof(val))
		  : UWG_IGD_E_INVALID_ARGS;
	if (err) {
		soap_fault(igd, r, err);
		return;
	}
	uwg_igd_buf_init(&b);
	uwg_igd_resp_begin(&b, "QueryStateVariable", ns);
	uwg_igd_resp_arg(&b, "return", val);
	uwg_igd_resp_end(&b, "QueryStateVariable");
	xml = uwg_igd_buf_take(&b, &len);
	if (!xml) {
		soap_fault(igd, r, UWG_IGD_E_ACTION_FAILED);
		return;
	}
	soap_ok(r, xml, len);
	free(xml);
}

static void control(struct uwg_igd *igd, enum uwg_igd_service svc,
		    const struct uwg_igd_http_req *req, const char *body,
		    const struct uwg_igd_addr *requester, struct uwg_igd_http_resp *r)
{
	struct uwg_igd_soap_msg msg;
	struct uwg_igd_result res = { 0 };
	const char *hash = strrchr(req->soapaction, '#');

	igd->actions++;
	igd->pinhole_actions += svc == UWG_IGD_SVC_FW6;
	if (!uwg_igd_policy_source_ok(&igd->cfg.policy, requester)) {
		igd->refused_source++;
		soap_fault(igd, r, UWG_IGD_E_NOT_AUTHORIZED);
		return;
	}
	if (uwg_igd_soap_parse(&msg, body, req->body_len)) {
		igd->bad_requests++;
		soap_fault(igd, r, UWG_IGD_E_INVALID_ARGS);
		return;
	}
	/* the SOAPAction header must name the action the body carries */
	if (!hash || strcmp(hash + 1, msg.action)) {
		soap_fault(igd, r, UWG_IGD_E_INVALID_ACTION);
		return;
	}
	if (!strcmp(msg.action, "QueryStateVariable")) {
		query_var(igd, svc, &msg, requester, r);
		return;
	}
	uwg_igd_action_run(&igd->ax, svc, &msg, requester, mono_s(), &res);
	log_result(igd, msg.action, requester, res.err);
	if (res.err)
		soap_fault(igd, r, res.err);
	else
		soap_ok(r, res.xml, res.len);
	free(res.xml);
}

static void copy_body(struct uwg_igd_http_resp *r, const char *text, size_t len)
{
	r->body = malloc(len ? len : 1);
	if (!r->body) {
		r->status = 500;
		return;
	}
	memcpy(r->body, text, len);
	r->len = len;
	r->status = 200;
}

static void serve(void *ctx, const struct uwg_igd_http_req *req, const char *body,
		  const struct uwg_igd_addr *peer, struct uwg_igd_http_resp *r)
{
	struct uwg_igd *igd = ctx;
	int svc;

	if (req->method == UWG_IGD_HTTP_POST) {
		svc = uwg_igd_service_by_ctl(req->path);
		if (svc >= 0)
			control(igd, (enum uwg_igd_service)svc, req, body, peer, r);
		else
			r->status = 404;
		return;
	}
	/* every tree on either family: what a client may do is the actions' business */
	for (int d = 0; d < DESC_COUNT; d++) {
		if (!strcmp(req->path, desc_kinds[d].path)) {
			copy_body(r, igd->desc[d], igd->desc_len[d]);
			return;
		}
	}
	svc = uwg_igd_service_by_scpd(req->path);
	if (svc >= 0)
		copy_body(r, igd->scpd[svc], igd->scpd_len[svc]);
	else
		r->status = 404;
}

/* ---------- lifecycle ---------- */

static void random_uuid(char *out, size_t cap)
{
	uint8_t b[16];

	if (getrandom(b, sizeof(b), 0) != (ssize_t)sizeof(b)) {
		/* getrandom only fails this early on ancient kernels; any distinct value works */
		uint64_t t = uv_hrtime();

		for (size_t i = 0; i < sizeof(b); i++)
			b[i] = (uint8_t)(t >> (8 * (i % 8))) ^ (uint8_t)(i * 37);
	}
	b[6] = (uint8_t)((b[6] & 0x0f) | 0x40);
	b[8] = (uint8_t)((b[8] & 0x3f) | 0x80);
	snprintf(out, cap,
		 "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0],
		 b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13],
		 b[14], b[15]);
}

/* The prefix length of ip6 on ifname (the default IPv6 requester prefix), or -errno. */
static int iface_prefix6(const char *ifname, const struct in6_addr *ip6, unsigned *bits)
{
	struct ifaddrs *ifa, *i;
	int err = -EADDRNOTAVAIL;

	if (getifaddrs(&ifa))
		return -errno;
	for (i = ifa; i; i = i->ifa_next) {
		struct sockaddr_in6 a, m;

		if (!i->ifa_addr || !i->ifa_netmask || i->ifa_addr->sa_family != AF_INET6 ||
		    strcmp(i->ifa_name, ifname))
			continue;
		memcpy(&a, i->ifa_addr, sizeof(a));
		memcpy(&m, i->ifa_netmask, sizeof(m));
		if (memcmp(&a.sin6_addr, ip6, sizeof(*ip6)))
			continue;
		*bits = 0;
		while (*bits < 128 && (m.sin6_addr.s6_addr[*bits / 8] & (0x80u >> (*bits % 8))))
			(*bits)++;
		err = 0;
		break;
	}
	freeifaddrs(ifa);
	return err;
}

/* The prefix of tunnel_ip on ifname, as the default requester CIDR. */
static int iface_prefix(const char *ifname, struct in_addr ip, uint32_t *net_h, uint32_t *mask_h)
{
	struct ifaddrs *ifa, *i;
	int err = -EADDRNOTAVAIL;

	if (getifaddrs(&ifa))
		return -errno;
	for (i = ifa; i; i = i->ifa_next) {
		struct sockaddr_in a, m;

		if (!i->ifa_addr || !i->ifa_netmask || i->ifa_addr->sa_family != AF_INET ||
		    strcmp(i->ifa_name, ifname))
			continue;
		memcpy(&a, i->ifa_addr, sizeof(a));
		memcpy(&m, i->ifa_netmask, sizeof(m));
		if (a.sin_addr.s_addr != ip.s_addr)
			continue;
		*mask_h = ntohl(m.sin_addr.s_addr);
		*net_h = ntohl(ip.s_addr) & *mask_h;
		err = 0;
		break;
	}
	freeifaddrs(ifa);
	return err;
}

static void free_igd(struct uwg_igd *igd)
{
	for (int i = 0; i < DESC_COUNT; i++)
		free(igd->desc[i]);
	for (int i = 0; i < UWG_IGD_SVC_COUNT; i++)
		free(igd->scpd[i]);
	free(igd);
}

static void ssdp_log(void *ctx, const char *msg)
{
	struct uwg_igd *igd = ctx;

	if (igd->ops.log)
		igd->ops.log(igd->ops.ctx, msg);
}

/*
 * IPv6 for pinholes, HTTP and SSDP needs a usable tunnel_ip6 and its prefix
 * (the default IPv6 requester prefix); without them the IGD runs IPv4 only.
 */
static bool setup_ip6(struct uwg_igd *igd, const char *ifname)
{
	struct uwg_igd_policy *pol = &igd->cfg.policy;
	const struct in6_addr *ip6 = &igd->cfg.tunnel_ip6;
	unsigned bits = 128;

	if (IN6_IS_ADDR_UNSPECIFIED(ip6))
		return false;
	/*
	 * Clients get URLs on it and search ff05::c from their own ULA or
	 * global addresses: a link-local (or special) address cannot serve.
	 */
	if (IN6_IS_ADDR_LINKLOCAL(ip6) || IN6_IS_ADDR_MULTICAST(ip6) || IN6_IS_ADDR_LOOPBACK(ip6) ||
	    IN6_IS_ADDR_V4MAPPED(ip6) || iface_prefix6(ifname, ip6, &bits)) {
		if (igd->ops.log)
			igd->ops.log(igd->ops.ctx,
				     "igd: the tunnel's IPv6 address is not usable on the interface: "
				     "IPv6 off");
		memset(&igd->cfg.tunnel_ip6, 0, sizeof(igd->cfg.tunnel_ip6));
		return false;
	}
	if (!pol->allow6) {
		pol->allow6 = true;
		pol->allow6_bits = bits;
		pol->allow6_net = *ip6;
		for (unsigned b = bits; b < 128; b++)
			pol->allow6_net.s6_addr[b / 8] &= (uint8_t)~(0x80u >> (b % 8));
	}
	return true;
}

int uwg_igd_start(struct uwg_igd **out, uv_loop_t *loop, const char *ifname,
		  struct in_addr tunnel_ip, uint16_t port, const struct uwg_igd_config *cfg,
		  const struct uwg_igd_ops *ops)
{
	struct uwg_igd_policy *pol;
	struct uwg_igd_desc_params dp;
	struct uwg_igd_httpd_config hc;
	struct uwg_igd_ssdp_params sp;
	struct uwg_igd *igd;
	char ip[INET_ADDRSTRLEN], ip6[INET6_ADDRSTRLEN];
	bool has6;
	int err, ifindex;

	*out = NULL;
	if (!loop || !ifname || !cfg || !ops || !ops->add_map || !ops->del_map || !ops->get_map ||
	    !ops->get_map_by_index || !ops->external_ip || (cfg->uuid && !uwg_igd_uuid_ok(cfg->uuid)))
		return -EINVAL;
	ifindex = (int)if_nametoindex(ifname);
	if (!ifindex)
		return -ENODEV;
	igd = calloc(1, sizeof(*igd));
	if (!igd)
		return -ENOMEM;
	igd->loop = loop;
	igd->ops = *ops;
	igd->cfg = *cfg;
	pol = &igd->cfg.policy;
	snprintf(igd->friendly, sizeof(igd->friendly), "%s",
		 cfg->friendly_name ? cfg->friendly_name : "uwg Internet Gateway");
	igd->cfg.friendly_name = igd->friendly;
	if (cfg->uuid)
		snprintf(igd->uuid, sizeof(igd->uuid), "%s", cfg->uuid);
	else
		random_uuid(igd->uuid, sizeof(igd->uuid));
	igd->cfg.uuid = igd->uuid;
	igd->ax.ops = &igd->ops;
	igd->ax.pol = pol;
	igd->ax.show_all = cfg->show_all_maps;
	igd->ax.up_bps = cfg->up_bps;
	igd->ax.down_bps = cfg->down_bps;
	igd->ax.start_s = mono_s();
	uwg_igd_udn(igd->ax.wcd_udn, igd->uuid, 2);

	memset(&dp, 0, sizeof(dp));
	dp.uuid = igd->uuid;
	dp.friendly_name = igd->friendly;
	err = 0;
	for (int d = 0; d < DESC_COUNT; d++) {
		dp.version = desc_kinds[d].version;
		dp.firewall = desc_kinds[d].firewall;
		igd->desc[d] = uwg_igd_desc_root(&dp, &igd->desc_len[d]);
		if (!igd->desc[d])
			err = -ENOMEM;
	}
	for (int i = 0; i < UWG_IGD_SVC_COUNT; i++) {
		igd->scpd[i] = uwg_igd_desc_scpd((enum uwg_igd_service)i, &igd->scpd_len[i]);
		if (!igd->scpd[i])
			err = -ENOMEM;
	}
	if (err)
		goto fail;
	if (pol->allow_mask_h == 0) {
		err = iface_prefix(ifname, tunnel_ip, &pol->allow_net_h, &pol->allow_mask_h);
		if (err)
			goto fail;
	}
	has6 = setup_ip6(igd, ifname);

	memset(&hc, 0, sizeof(hc));
	hc.ip = tunnel_ip;
	hc.ip6 = igd->cfg.tunnel_ip6;
	hc.port = port;
	hc.max_body = cfg->max_content_length ? cfg->max_content_length : 8192;
	hc.filter.net_h = pol->allow_net_h;
	hc.filter.mask_h = pol->allow_mask_h;
	hc.filter.ifindex = ifindex;
	hc.filter.local_h = ntohl(tunnel_ip.s_addr);
	if (has6) {
		hc.filter.v6 = true;
		hc.filter.net6 = pol->allow6_net;
		hc.filter.bits6 = pol->allow6_bits;
		/* the host itself, as over IPv4 (where the SSDP child fetches the description) */
		hc.filter.local6 = igd->cfg.tunnel_ip6;
	}
	hc.no_filter = cfg->no_socket_filter;
	hc.handler = serve;
	hc.ctx = igd;
	if (cfg->natpmp || cfg->pcp) {
		struct uwg_igd_pmpd_config pc;

		memset(&pc, 0, sizeof(pc));
		pc.ip = tunnel_ip;
		pc.port = cfg->natpmp_port;
		pc.filter = hc.filter;
		/* NAT-PMP and PCP only ever come through the tunnel */
		pc.filter.local_h = 0;
		memset(&pc.filter.local6, 0, sizeof(pc.filter.local6));
		pc.no_filter = cfg->no_socket_filter;
		pc.natpmp = cfg->natpmp;
		pc.pcp = cfg->pcp;
		pc.ip6 = igd->cfg.tunnel_ip6;
		pc.ifname = ifname;
		pc.pmp.ops = &igd->ops;
		pc.pmp.pol = pol;
		pc.pmp.min_lifetime = cfg->pmp_min_lifetime;
		pc.pmp.max_lifetime = cfg->pmp_max_lifetime;
		pc.epoch_origin_s = cfg->epoch_origin_s;
		err = uwg_igd_pmpd_start(&igd->pmpd, loop, &pc);
		if (err)
			goto fail;
		/* a (re)started map table: clients learn the address and epoch at once */
		uwg_igd_pmpd_announce(igd->pmpd, false);
	}
	if (cfg->no_upnp) {
		if (!igd->pmpd) {
			err = -EINVAL;
			goto fail;
		}
		*out = igd;
		return 0;
	}
	err = uwg_igd_httpd_start(&igd->httpd, loop, &hc);
	if (err)
		goto fail_pmpd;
	inet_ntop(AF_INET, &tunnel_ip, ip, sizeof(ip));
	snprintf(igd->desc_url, sizeof(igd->desc_url), "http://%s:%u%s", ip,
		 uwg_igd_httpd_port(igd->httpd), UWG_IGD_DESC_PATH);
	if (has6 && uwg_igd_httpd_ip6(igd->httpd) == 0) {
		inet_ntop(AF_INET6, &igd->cfg.tunnel_ip6, ip6, sizeof(ip6));
		snprintf(igd->desc_url6, sizeof(igd->desc_url6), "http://[%s]:%u%s", ip6,
			 uwg_igd_httpd_port(igd->httpd), UWG_IGD_DESC6_PATH);
		snprintf(igd->lower_url6, sizeof(igd->lower_url6), "http://[%s]:%u%s", ip6,
			 uwg_igd_httpd_port(igd->httpd), UWG_IGD_DESC6_V1_PATH);
	} else if (has6 && igd->ops.log) {
		igd->ops.log(igd->ops.ctx, "igd: cannot listen on the tunnel's IPv6 address: "
					   "UPnP over IPv6 off");
	}

	memset(&sp, 0, sizeof(sp));
	sp.exe = cfg->ssdp_exe;
	sp.ifname = ifname;
	sp.tunnel_ip = tunnel_ip;
	sp.desc_url = igd->desc_url;
	if (igd->desc_url6[0]) {
		sp.desc_url6 = igd->desc_url6;
		sp.lower_url6 = igd->lower_url6;
		sp.tunnel_ip6 = igd->cfg.tunnel_ip6;
		sp.uuid = igd->uuid;
	}
	sp.advert_s = cfg->advert_s ? cfg->advert_s : 1800;
	sp.filter = hc.filter;
	/* SSDP only ever comes through the tunnel */
	sp.filter.local_h = 0;
	memset(&sp.filter.local6, 0, sizeof(sp.filter.local6));
	sp.filter.v6 = igd->desc_url6[0] != '\0';
	sp.no_filter = cfg->no_socket_filter;
	sp.log = ssdp_log;
	sp.log_ctx = igd;
	err = uwg_igd_ssdp_start(&igd->ssdp, loop, &sp);
	if (err) {
		uwg_igd_httpd_stop(igd->httpd);
		goto fail_pmpd;
	}
	*out = igd;
	return 0;

fail_pmpd:
	uwg_igd_pmpd_stop(igd->pmpd);
fail:
	free_igd(igd);
	return err;
}

void uwg_igd_stop(struct uwg_igd *igd)
{
	if (!igd)
		return;
	if (igd->ssdp)
		uwg_igd_ssdp_stop(igd->ssdp); /* ssdp:byebye from the child */
	if (igd->httpd)
		uwg_igd_httpd_stop(igd->httpd);
	uwg_igd_pmpd_stop(igd->pmpd);
	free_igd(igd);
}

void uwg_igd_announce(struct uwg_igd *igd)
{
	uwg_igd_pmpd_announce(igd->pmpd, true);
}

const char *uwg_igd_desc_url(const struct uwg_igd *igd)
{
	return igd->desc_url;
}

const char *uwg_igd_desc_url6(const struct uwg_igd *igd)
{
	return igd->desc_url6;
}

void uwg_igd_get_stats(const struct uwg_igd *igd, struct uwg_igd_stats *out)
{
	struct uwg_igd_httpd_stats hs = { 0 };
	struct uwg_igd_ssdp_stats ss = { 0 };
	struct uwg_igd_pmpd_stats ps;

	if (igd->httpd)
		uwg_igd_httpd_get_stats(igd->httpd, &hs);
	if (igd->ssdp)
		uwg_igd_ssdp_get_stats(igd->ssdp, &ss);
	uwg_igd_pmpd_get_stats(igd->pmpd, &ps);
	memset(out, 0, sizeof(*out));
	out->actions = igd->actions;
	out->errors = igd->errors;
	out->pinhole_actions = igd->pinhole_actions;
	memcpy(out->errors_by_code, igd->errors_by_code, sizeof(out->errors_by_code));
	out->refused_source = igd->refused_source;
	out->bad_requests = igd->bad_requests;
	out->timeouts = hs.timeouts;
	out->http_requests = hs.requests;
	out->http6_requests = hs.requests6;
	out->http_ipv6 = igd->desc_url6[0] != '\0';
	out->http_refused = hs.refused;
	out->refused_host = hs.refused_host;
	out->busy = hs.busy;
	out->ssdp_starts = ss.starts;
	out->ssdp_crashes = ss.crashes;
	out->ssdp_running = ss.running != 0;
	out->ssdp_ipv6 = ss.running && ss.ipv6;
	out->filtered_sockets = ss.filtered + (igd->cfg.no_socket_filter ? 0 :
				(unsigned)(igd->httpd != NULL) + (unsigned)out->http_ipv6 +
				(unsigned)(igd->pmpd != NULL) +
				(unsigned)(ps.ipv6 && !IN6_IS_ADDR_UNSPECIFIED(&igd->cfg.tunnel_ip6)));
	out->natpmp_requests = ps.requests;
	out->natpmp_errors = ps.errors;
	out->natpmp_dropped = ps.dropped;
	out->pcp_requests = ps.pcp_requests;
	out->pcp_errors = ps.pcp_errors;
	out->pcp_pinholes = ps.pcp_pinholes;
	out->announcements = ps.announcements;
	out->pcp_ipv6 = ps.ipv6;
}
