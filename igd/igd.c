/*
 * igd/igd.c - pupnp lifecycle and the thread hand-off for the embedded IGD.
 *
 * pupnp calls on_event() on its worker threads. There we only check the
 * requester, serialise and parse the arguments (soap.c) and queue a job on
 * a mutex-protected inbox, wake the loop with uv_async_send and wait on a
 * condition variable (bounded by reply_timeout_ms). The loop thread's
 * on_async() runs each job through actions.c, which is the only code that
 * calls the ops. A job that timed out while still queued is unlinked by its
 * waiter; one the loop already took is always waited for, because it lives
 * on the waiter's stack.
 *
 * Threads: uwg_igd_start/stop/desc_url/get_stats on the loop thread;
 * on_event and the web callbacks on pupnp threads; on_async on the loop.
 */
#include "igd/igd.h"
#include "igd/actions.h"
#include "igd/desc.h"
#include "igd/sockfilter.h"

#include <arpa/inet.h>
#include <errno.h>
#include <ifaddrs.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <upnp/ixml.h>
#include <upnp/upnp.h>

/* pupnp's list.h ends with "#undef bool" and "#undef true", taking <stdbool.h>'s macros along */
#undef bool
#undef true
#define bool _Bool
#define true 1

enum job_state { JOB_QUEUED, JOB_RUNNING, JOB_DONE };

struct job {
	struct job *next;
	enum job_state state;
	enum uwg_igd_service svc;
	struct in_addr requester;
	const struct uwg_igd_soap_msg *msg; /* an action, or NULL for QueryStateVariable */
	const char *var;
	struct uwg_igd_result res;
	char val[UWG_IGD_VAR_MAX];
};

struct uwg_igd {
	uv_loop_t *loop;
	uv_async_t async;
	uv_mutex_t lock;
	uv_cond_t cond;
	struct job *head, *tail; /* the inbox, under lock */
	bool stopping;           /* under lock */

	struct uwg_igd_ops ops;
	struct uwg_igd_config cfg;
	struct uwg_igd_actx ax;
	uint64_t timeout_ns;
	uint64_t log_window_s;
	unsigned log_budget;

	UpnpDevice_Handle dev;
	char uuid[48];
	char friendly[128];
	char *scpd[UWG_IGD_SVC_COUNT];
	size_t scpd_len[UWG_IGD_SVC_COUNT];
	char desc_url[96];

	atomic_ulong actions, errors, refused_source, bad_requests, timeouts;
	unsigned filtered_sockets;
};

/* pupnp is a process-wide singleton; so are we. */
static struct uwg_igd *running;

static uint64_t mono_s(void)
{
	return uv_hrtime() / 1000000000u;
}

void uwg_igd_config_init(struct uwg_igd_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	uwg_igd_policy_init(&cfg->policy);
}

/* ---------- loop thread ---------- */

/* A few lines per second at most: a client can send requests in a loop. */
static void log_result(struct uwg_igd *igd, const struct job *job)
{
	char ip[INET_ADDRSTRLEN], line[160];
	uint64_t now = mono_s();

	/* only failed changes: 713/714 from the read actions are how listing ends */
	if (!igd->ops.log || !job->msg || !job->res.err ||
	    (strncmp(job->msg->action, "Add", 3) && strncmp(job->msg->action, "Delete", 6)))
		return;
	if (now != igd->log_window_s) {
		igd->log_window_s = now;
		igd->log_budget = 5;
	}
	if (!igd->log_budget)
		return;
	igd->log_budget--;
	if (!inet_ntop(AF_INET, &job->requester, ip, sizeof(ip)))
		ip[0] = '\0';
	snprintf(line, sizeof(line), "igd: %s from %s: %d %s", job->msg->action, ip, job->res.err,
		 uwg_igd_error_str(job->res.err));
	igd->ops.log(igd->ops.ctx, line);
}

static void run_job(struct uwg_igd *igd, struct job *job)
{
	uint64_t now = mono_s();

	if (job->msg) {
		uwg_igd_action_run(&igd->ax, job->svc, job->msg, job->requester, now, &job->res);
		log_result(igd, job);
	} else {
		job->res.err = uwg_igd_query_var(&igd->ax, job->svc, job->var, job->requester, now,
						 job->val, sizeof(job->val));
	}
}

static void on_async(uv_async_t *h)
{
	struct uwg_igd *igd = h->data;

	for (;;) {
		struct job *job;

		uv_mutex_lock(&igd->lock);
		job = igd->head;
		if (job) {
			igd->head = job->next;
			if (!igd->head)
				igd->tail = NULL;
			job->state = JOB_RUNNING;
		}
		uv_mutex_unlock(&igd->lock);
		if (!job)
			return;
		run_job(igd, job);
		uv_mutex_lock(&igd->lock);
		job->state = JOB_DONE;
		uv_cond_broadcast(&igd->cond);
		uv_mutex_unlock(&igd->lock);
		/* job may be gone now: it lives on the waiting pupnp thread's stack */
	}
}

/* ---------- pupnp threads ---------- */

static void unlink_job(struct uwg_igd *igd, struct job *job)
{
	struct job **pp = &igd->head, *prev = NULL;

	while (*pp && *pp != job) {
		prev = *pp;
		pp = &(*pp)->next;
	}
	if (!*pp)
		return;
	*pp = job->next;
	if (igd->tail == job)
		igd->tail = prev;
}

/* Hands job to the loop thread and waits for its answer. */
static void submit(struct uwg_igd *igd, struct job *job)
{
	uint64_t deadline = uv_hrtime() + igd->timeout_ns;

	job->next = NULL;
	job->res.err = UWG_IGD_E_ACTION_FAILED;
	uv_mutex_lock(&igd->lock);
	if (igd->stopping) {
		uv_mutex_unlock(&igd->lock);
		return;
	}
	job->state = JOB_QUEUED;
	if (igd->tail)
		igd->tail->next = job;
	else
		igd->head = job;
	igd->tail = job;
	/* under the lock, so stop() cannot close the handle in between */
	uv_async_send(&igd->async);
	while (job->state != JOB_DONE) {
		if (job->state == JOB_QUEUED) {
			uint64_t now = uv_hrtime();

			if (now >= deadline) {
				unlink_job(igd, job);
				job->res.err = UWG_IGD_E_ACTION_FAILED;
				atomic_fetch_add(&igd->timeouts, 1);
				break;
			}
			uv_cond_timedwait(&igd->cond, &igd->lock, deadline - now);
		} else {
			uv_cond_wait(&igd->cond, &igd->lock);
		}
	}
	uv_mutex_unlock(&igd->lock);
}

/* The requester's IPv4 address (also from a v4-mapped IPv6 peer). */
static bool requester_v4(const struct sockaddr_storage *ss, struct in_addr *out)
{
	if (!ss)
		return false;
	if (ss->ss_family == AF_INET) {
		struct sockaddr_in sin;

		memcpy(&sin, ss, sizeof(sin));
		*out = sin.sin_addr;
		return true;
	}
	if (ss->ss_family == AF_INET6) {
		struct sockaddr_in6 sin6;

		memcpy(&sin6, ss, sizeof(sin6));
		if (IN6_IS_ADDR_V4MAPPED(&sin6.sin6_addr)) {
			memcpy(&out->s_addr, &sin6.sin6_addr.s6_addr[12], 4);
			return true;
		}
	}
	return false;
}

static bool requester_allowed(struct uwg_igd *igd, const struct sockaddr_storage *ss,
			      struct in_addr *out)
{
	if (requester_v4(ss, out) &&
	    uwg_igd_policy_requester_ok(&igd->cfg.policy, ntohl(out->s_addr)))
		return true;
	atomic_fetch_add(&igd->refused_source, 1);
	return false;
}

static void action_error(struct uwg_igd *igd, UpnpActionRequest *a, int code)
{
	atomic_fetch_add(&igd->errors, 1);
	UpnpActionRequest_set_ErrCode(a, code);
	UpnpActionRequest_strcpy_ErrStr(a, uwg_igd_error_str(code));
}

static void on_action(struct uwg_igd *igd, UpnpActionRequest *a)
{
	struct uwg_igd_soap_msg msg;
	struct job job;
	IXML_Document *in = UpnpActionRequest_get_ActionRequest(a), *out = NULL;
	const char *name = UpnpActionRequest_get_ActionName_cstr(a);
	DOMString text;
	int svc, err;

	atomic_fetch_add(&igd->actions, 1);
	memset(&job, 0, sizeof(job));
	if (!requester_allowed(igd, UpnpActionRequest_get_CtrlPtIPAddr(a), &job.requester)) {
		action_error(igd, a, UWG_IGD_E_NOT_AUTHORIZED);
		return;
	}
	svc = uwg_igd_service_by_id(UpnpActionRequest_get_ServiceID_cstr(a));
	if (svc < 0 || !name) {
		action_error(igd, a, UWG_IGD_E_INVALID_ACTION);
		return;
	}
	/* our own bounded parser, not ixml's tree: the same code the fuzzer runs */
	text = in ? ixmlDocumenttoString(in) : NULL;
	err = text ? uwg_igd_soap_parse(&msg, text, strlen(text)) : -EINVAL;
	if (text)
		ixmlFreeDOMString(text);
	if (err || strcmp(msg.action, name)) {
		atomic_fetch_add(&igd->bad_requests, 1);
		action_error(igd, a, err ? UWG_IGD_E_INVALID_ARGS : UWG_IGD_E_INVALID_ACTION);
		return;
	}
	job.svc = (enum uwg_igd_service)svc;
	job.msg = &msg;
	submit(igd, &job);
	if (!job.res.err && ixmlParseBufferEx(job.res.xml, &out) != IXML_SUCCESS)
		job.res.err = UWG_IGD_E_ACTION_FAILED;
	free(job.res.xml);
	if (job.res.err) {
		action_error(igd, a, job.res.err);
		return;
	}
	/* pupnp frees the result document */
	UpnpActionRequest_set_ActionResult(a, out);
}

static void on_get_var(struct uwg_igd *igd, UpnpStateVarRequest *v)
{
	struct job job;
	int svc;

	memset(&job, 0, sizeof(job));
	svc = uwg_igd_service_by_id(UpnpStateVarRequest_get_ServiceID_cstr(v));
	job.var = UpnpStateVarRequest_get_StateVarName_cstr(v);
	if (!requester_allowed(igd, UpnpStateVarRequest_get_CtrlPtIPAddr(v), &job.requester)) {
		job.res.err = UWG_IGD_E_NOT_AUTHORIZED;
	} else if (svc < 0 || !job.var) {
		job.res.err = UWG_IGD_E_INVALID_VAR;
	} else {
		job.svc = (enum uwg_igd_service)svc;
		submit(igd, &job);
	}
	if (job.res.err) {
		UpnpStateVarRequest_set_ErrCode(v, job.res.err);
		UpnpStateVarRequest_strcpy_ErrStr(v, uwg_igd_error_str(job.res.err));
		return;
	}
	UpnpStateVarRequest_set_CurrentVal(v, job.val);
}

static int on_event(Upnp_EventType type, const void *event, void *cookie)
{
	struct uwg_igd *igd = cookie;

	/* pupnp hands out its own objects as const void *; the setters need them writable */
	if (type == UPNP_CONTROL_ACTION_REQUEST)
		on_action(igd, (UpnpActionRequest *)(uintptr_t)event);
	else if (type == UPNP_CONTROL_GET_VAR_REQUEST)
		on_get_var(igd, (UpnpStateVarRequest *)(uintptr_t)event);
	/* subscriptions never get here: UpnpSetMaxSubscriptions(dev, 0) refuses them */
	return 0;
}

/* ---------- the SCPDs, served from memory (pupnp web server threads) ---------- */

struct vfile {
	const char *data;
	size_t len, pos;
};

static int web_get_info(const char *filename, UpnpFileInfo *info, const void *cookie)
{
	const struct uwg_igd *igd = cookie;
	static char ctype[] = "text/xml; charset=\"utf-8\"";
	int svc = uwg_igd_service_by_scpd(filename);

	if (svc < 0 || !igd)
		return -1;
	UpnpFileInfo_set_FileLength(info, (off_t)igd->scpd_len[svc]);
	UpnpFileInfo_set_LastModified(info, 0);
	UpnpFileInfo_set_IsDirectory(info, 0);
	UpnpFileInfo_set_IsReadable(info, 1);
	UpnpFileInfo_set_ContentType(info, ctype);
	return 0;
}

static UpnpWebFileHandle web_open(const char *filename, enum UpnpOpenFileMode mode,
				  const void *cookie)
{
	const struct uwg_igd *igd = cookie;
	int svc = uwg_igd_service_by_scpd(filename);
	struct vfile *f;

	/* never accept uploads (the CVE-2016-6255 lineage) */
	if (mode != UPNP_READ || svc < 0 || !igd)
		return NULL;
	f = calloc(1, sizeof(*f));
	if (!f)
		return NULL;
	f->data = igd->scpd[svc];
	f->len = igd->scpd_len[svc];
	return f;
}

static int web_read(UpnpWebFileHandle h, char *buf, size_t len, const void *cookie)
{
	struct vfile *f = h;
	size_t n = f->len - f->pos;

	(void)cookie;
	if (n > len)
		n = len;
	memcpy(buf, f->data + f->pos, n);
	f->pos += n;
	return (int)n;
}

static int web_write(UpnpWebFileHandle h, char *buf, size_t len, const void *cookie)
{
	(void)h;
	(void)buf;
	(void)len;
	(void)cookie;
	return -1;
}

static int web_seek(UpnpWebFileHandle h, off_t off, int origin, const void *cookie)
{
	struct vfile *f = h;
	off_t base;

	(void)cookie;
	if (origin == SEEK_SET)
		base = 0;
	else if (origin == SEEK_CUR)
		base = (off_t)f->pos;
	else if (origin == SEEK_END)
		base = (off_t)f->len;
	else
		return -1;
	if (base + off < 0 || base + off > (off_t)f->len)
		return -1;
	f->pos = (size_t)(base + off);
	return 0;
}

static int web_close(UpnpWebFileHandle h, const void *cookie)
{
	(void)cookie;
	free(h);
	return 0;
}

/* ---------- lifecycle (loop thread) ---------- */

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
	for (int i = 0; i < UWG_IGD_SVC_COUNT; i++)
		free(igd->scpd[i]);
	uv_cond_destroy(&igd->cond);
	uv_mutex_destroy(&igd->lock);
	free(igd);
}

static void on_closed(uv_handle_t *h)
{
	free_igd(h->data);
}

static int map_upnp_err(int rc)
{
	switch (rc) {
	case UPNP_E_INVALID_INTERFACE:
		return -ENODEV;
	case UPNP_E_OUTOF_MEMORY:
		return -ENOMEM;
	case UPNP_E_SOCKET_BIND:
		/* e.g. the interface's IPv6 link-local address is still tentative (DAD) */
		return -EAGAIN;
	case UPNP_E_INVALID_PARAM:
	case UPNP_E_INVALID_DESC:
		return -EINVAL;
	default:
		return -EIO;
	}
}

static int setup_web(struct uwg_igd *igd)
{
	if (UpnpVirtualDir_set_GetInfoCallback(web_get_info) ||
	    UpnpVirtualDir_set_OpenCallback(web_open) || UpnpVirtualDir_set_ReadCallback(web_read) ||
	    UpnpVirtualDir_set_WriteCallback(web_write) ||
	    UpnpVirtualDir_set_SeekCallback(web_seek) ||
	    UpnpVirtualDir_set_CloseCallback(web_close) ||
	    UpnpAddVirtualDir(UWG_IGD_SCPD_DIR, igd, NULL))
		return -EIO;
	return 0;
}

static int start_pupnp(struct uwg_igd *igd, const char *ifname, struct in_addr tunnel_ip,
		       uint16_t port, const char *desc, size_t desc_len)
{
	struct uwg_igd_policy *pol = &igd->cfg.policy;
	const char *ip;
	struct in_addr got;
	int rc, err;

	rc = UpnpInit2(ifname, port);
	if (rc != UPNP_E_SUCCESS)
		return map_upnp_err(rc);
	ip = UpnpGetServerIpAddress();
	if (!ip || inet_pton(AF_INET, ip, &got) != 1 || got.s_addr != tunnel_ip.s_addr) {
		err = -EADDRNOTAVAIL;
		goto fail;
	}
	if (pol->allow_mask_h == 0) {
		err = iface_prefix(ifname, tunnel_ip, &pol->allow_net_h, &pol->allow_mask_h);
		if (err)
			goto fail;
	}
	UpnpSetMaxContentLength(igd->cfg.max_content_length ? igd->cfg.max_content_length : 8192);
	err = setup_web(igd);
	if (err)
		goto fail;
	rc = UpnpRegisterRootDevice2(UPNPREG_BUF_DESC, desc, desc_len, 1, on_event, igd, &igd->dev);
	if (rc != UPNP_E_SUCCESS) {
		err = map_upnp_err(rc);
		goto fail;
	}
	/* no GENA: nobody we serve subscribes, and it is where CallStranger lives */
	if (UpnpSetMaxSubscriptions(igd->dev, 0) != UPNP_E_SUCCESS) {
		err = -EIO;
		goto fail_dev;
	}
	if (!igd->cfg.no_socket_filter) {
		rc = uwg_igd_sockfilter_attach(pol->allow_net_h, pol->allow_mask_h,
					       UpnpGetServerPort(), UpnpGetServerPort6());
		if (rc < 0) {
			err = rc;
			goto fail_dev;
		}
		igd->filtered_sockets = (unsigned)rc;
	}
	rc = UpnpSendAdvertisement(igd->dev, igd->cfg.advert_s ? (int)igd->cfg.advert_s : 1800);
	if (rc != UPNP_E_SUCCESS) {
		err = map_upnp_err(rc);
		goto fail_dev;
	}
	snprintf(igd->desc_url, sizeof(igd->desc_url), "http://%s:%u/description.xml", ip,
		 UpnpGetServerPort());
	return 0;

fail_dev:
	UpnpUnRegisterRootDevice(igd->dev);
fail:
	UpnpRemoveAllVirtualDirs();
	UpnpFinish();
	return err;
}

int uwg_igd_start(struct uwg_igd **out, uv_loop_t *loop, const char *ifname,
		  struct in_addr tunnel_ip, uint16_t port, const struct uwg_igd_config *cfg,
		  const struct uwg_igd_ops *ops)
{
	struct uwg_igd_desc_params dp;
	struct uwg_igd *igd;
	char *desc;
	size_t desc_len = 0;
	int err;

	*out = NULL;
	if (running)
		return -EBUSY;
	if (!loop || !ifname || !cfg || !ops || !ops->add_map || !ops->del_map || !ops->get_map ||
	    !ops->get_map_by_index || !ops->external_ip || (cfg->uuid && !uwg_igd_uuid_ok(cfg->uuid)))
		return -EINVAL;
	igd = calloc(1, sizeof(*igd));
	if (!igd)
		return -ENOMEM;
	igd->loop = loop;
	igd->ops = *ops;
	igd->cfg = *cfg;
	snprintf(igd->friendly, sizeof(igd->friendly), "%s",
		 cfg->friendly_name ? cfg->friendly_name : "uwg Internet Gateway");
	igd->cfg.friendly_name = igd->friendly;
	if (cfg->uuid)
		snprintf(igd->uuid, sizeof(igd->uuid), "%s", cfg->uuid);
	else
		random_uuid(igd->uuid, sizeof(igd->uuid));
	igd->cfg.uuid = igd->uuid;
	igd->timeout_ns = (uint64_t)(cfg->reply_timeout_ms ? cfg->reply_timeout_ms : 3000) * 1000000u;
	igd->ax.ops = &igd->ops;
	igd->ax.pol = &igd->cfg.policy;
	igd->ax.show_all = cfg->show_all_maps;
	igd->ax.up_bps = cfg->up_bps;
	igd->ax.down_bps = cfg->down_bps;
	igd->ax.start_s = mono_s();
	uwg_igd_udn(igd->ax.wcd_udn, igd->uuid, 2);

	dp.uuid = igd->uuid;
	dp.friendly_name = igd->friendly;
	dp.model_number = NULL;
	desc = uwg_igd_desc_root(&dp, &desc_len);
	for (int i = 0; i < UWG_IGD_SVC_COUNT; i++)
		igd->scpd[i] = uwg_igd_desc_scpd((enum uwg_igd_service)i, &igd->scpd_len[i]);
	if (!desc || !igd->scpd[0] || !igd->scpd[1] || !igd->scpd[2]) {
		free(desc);
		for (int i = 0; i < UWG_IGD_SVC_COUNT; i++)
			free(igd->scpd[i]);
		free(igd);
		return -ENOMEM;
	}
	if (uv_mutex_init(&igd->lock)) {
		err = -ENOMEM;
		goto fail_free;
	}
	if (uv_cond_init(&igd->cond)) {
		uv_mutex_destroy(&igd->lock);
		err = -ENOMEM;
		goto fail_free;
	}
	err = uv_async_init(loop, &igd->async, on_async);
	if (err) {
		uv_cond_destroy(&igd->cond);
		uv_mutex_destroy(&igd->lock);
		goto fail_free;
	}
	igd->async.data = igd;

	err = start_pupnp(igd, ifname, tunnel_ip, port, desc, desc_len);
	free(desc);
	if (err) {
		/* pupnp is down again; nobody can queue jobs any more */
		uv_close((uv_handle_t *)&igd->async, on_closed);
		return err;
	}
	running = igd;
	*out = igd;
	return 0;

fail_free:
	free(desc);
	for (int i = 0; i < UWG_IGD_SVC_COUNT; i++)
		free(igd->scpd[i]);
	free(igd);
	return err;
}

void uwg_igd_stop(struct uwg_igd *igd)
{
	if (!igd)
		return;
	uv_mutex_lock(&igd->lock);
	igd->stopping = true;
	for (struct job *j = igd->head; j; j = j->next) {
		j->res.err = UWG_IGD_E_ACTION_FAILED;
		j->state = JOB_DONE;
	}
	igd->head = igd->tail = NULL;
	uv_cond_broadcast(&igd->cond);
	uv_mutex_unlock(&igd->lock);

	UpnpUnRegisterRootDevice(igd->dev); /* ssdp:byebye */
	UpnpRemoveAllVirtualDirs();
	UpnpFinish(); /* joins pupnp's threads; none can be waiting on us any more */
	if (running == igd)
		running = NULL;
	uv_close((uv_handle_t *)&igd->async, on_closed);
}

const char *uwg_igd_desc_url(const struct uwg_igd *igd)
{
	return igd->desc_url;
}

void uwg_igd_get_stats(const struct uwg_igd *igd, struct uwg_igd_stats *out)
{
	memset(out, 0, sizeof(*out));
	out->actions = atomic_load(&igd->actions);
	out->errors = atomic_load(&igd->errors);
	out->refused_source = atomic_load(&igd->refused_source);
	out->bad_requests = atomic_load(&igd->bad_requests);
	out->timeouts = atomic_load(&igd->timeouts);
	out->filtered_sockets = igd->filtered_sockets;
}
