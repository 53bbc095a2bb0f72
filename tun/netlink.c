/*
 * tun/netlink.c - the rtnetlink socket and the request/dump loop every
 * tun/nl_*.c call goes through. Errors come back as the kernel's own errno
 * (libnl folds them into coarser NLE_* codes). Main thread only.
 */
#include "tun/netlink.h"
#include "tun/nl_priv.h"

#include <errno.h>
#include <stdlib.h>
#include <linux/rtnetlink.h>
#include <netlink/errno.h>
#include <netlink/route/rtnl.h>
#include <netlink/socket.h>

struct reply {
	uwg_nl_msg_cb cb;
	void *arg;
	int err;  /* 1 while waiting, then 0 or -errno */
	int cb_err;
};

int uwg_nl_errno(int nle)
{
	switch (nle < 0 ? -nle : nle) {
	case 0: return 0;
	case NLE_NOMEM: return -ENOMEM;
	case NLE_EXIST: return -EEXIST;
	case NLE_OBJ_NOTFOUND: return -ENOENT;
	case NLE_NODEV: return -ENODEV;
	case NLE_PERM: return -EPERM;
	case NLE_INVAL: return -EINVAL;
	case NLE_RANGE: return -ERANGE;
	case NLE_BUSY: return -EBUSY;
	case NLE_NOADDR: return -EADDRNOTAVAIL;
	case NLE_AF_NOSUPPORT: return -EAFNOSUPPORT;
	case NLE_OPNOTSUPP: return -EOPNOTSUPP;
	case NLE_AGAIN: return -EAGAIN;
	default: return -EIO;
	}
}

int uwg_netlink_open(struct uwg_netlink **out)
{
	struct uwg_netlink *nl = calloc(1, sizeof(*nl));
	int err;

	if (!nl)
		return -ENOMEM;
	nl->sk = nl_socket_alloc();
	if (!nl->sk) {
		free(nl);
		return -ENOMEM;
	}
	err = nl_connect(nl->sk, NETLINK_ROUTE);
	if (err < 0) {
		nl_socket_free(nl->sk);
		free(nl);
		return uwg_nl_errno(err);
	}
	*out = nl;
	return 0;
}

void uwg_netlink_close(struct uwg_netlink *nl)
{
	if (!nl)
		return;
	nl_socket_free(nl->sk);
	free(nl);
}

static int on_error(struct sockaddr_nl *who, struct nlmsgerr *e, void *arg)
{
	struct reply *r = arg;

	(void)who;
	r->err = e->error < 0 ? e->error : -e->error;
	return NL_STOP;
}

static int on_finish(struct nl_msg *msg, void *arg)
{
	struct reply *r = arg;

	(void)msg;
	r->err = 0;
	return NL_STOP;
}

static int on_valid(struct nl_msg *msg, void *arg)
{
	struct reply *r = arg;

	if (r->cb && !r->cb_err)
		r->cb_err = r->cb(msg, r->arg);
	return NL_OK;
}

int uwg_nl_request(struct uwg_netlink *nl, struct nl_msg *msg, uwg_nl_msg_cb cb, void *arg)
{
	struct reply r = { .cb = cb, .arg = arg, .err = 1 };
	struct nl_cb *c = nl_cb_alloc(NL_CB_DEFAULT);
	int ret;

	if (!c) {
		nlmsg_free(msg);
		return -ENOMEM;
	}
	nl_cb_err(c, NL_CB_CUSTOM, on_error, &r);
	nl_cb_set(c, NL_CB_ACK, NL_CB_CUSTOM, on_finish, &r);
	nl_cb_set(c, NL_CB_FINISH, NL_CB_CUSTOM, on_finish, &r);
	nl_cb_set(c, NL_CB_VALID, NL_CB_CUSTOM, on_valid, &r);
	ret = nl_send_auto(nl->sk, msg);
	nlmsg_free(msg);
	if (ret < 0) {
		nl_cb_put(c);
		return uwg_nl_errno(ret);
	}
	while (r.err > 0) {
		ret = nl_recvmsgs(nl->sk, c);
		if (ret < 0 && r.err > 0) {
			r.err = uwg_nl_errno(ret);
			break;
		}
	}
	nl_cb_put(c);
	if (r.err)
		return r.err;
	return r.cb_err;
}

int uwg_nl_dump(struct uwg_netlink *nl, int type, int family, size_t hdrlen, uwg_nl_msg_cb cb,
		void *arg)
{
	/* rtmsg, fib_rule_hdr and ifaddrmsg all start with the family byte. */
	unsigned char hdr[16] = { (unsigned char)family };
	struct nl_msg *msg = nlmsg_alloc_simple(type, NLM_F_DUMP);

	if (!msg)
		return -ENOMEM;
	if (hdrlen > sizeof(hdr) || nlmsg_append(msg, hdr, hdrlen, NLMSG_ALIGNTO) < 0) {
		nlmsg_free(msg);
		return -ENOMEM;
	}
	return uwg_nl_request(nl, msg, cb, arg);
}
