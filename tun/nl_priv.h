/*
 * tun/nl_priv.h - shared plumbing of the tun/nl_*.c files: one request with
 * the kernel's exact errno, and dumps with a per-message callback. Private to
 * tun/. Main thread only.
 */
#ifndef UWG_TUN_NL_PRIV_H
#define UWG_TUN_NL_PRIV_H

#include <netlink/msg.h>
#include <netlink/netlink.h>

/* the handle tun/netlink.h keeps opaque */
struct uwg_netlink {
	struct nl_sock *sk;
};

/* Called for every reply message; return 0 to go on, a negative errno to fail the call. */
typedef int (*uwg_nl_msg_cb)(struct nl_msg *msg, void *arg);

/* Sends msg (consumed) and waits for the ack / dump end; replies go to cb. */
int uwg_nl_request(struct uwg_netlink *nl, struct nl_msg *msg, uwg_nl_msg_cb cb, void *arg);
/*
 * Dumps type (RTM_GETRULE...) for family; hdrlen is the size of the request's
 * family header (sizeof(struct rtmsg) ...). Replies go to cb.
 */
int uwg_nl_dump(struct uwg_netlink *nl, int type, int family, size_t hdrlen, uwg_nl_msg_cb cb,
		void *arg);
/* The link ifindex in *link (rtnl_link_put it); -ENODEV when there is none. */
struct rtnl_link;
int uwg_nl_get_link(struct uwg_netlink *nl, int ifindex, struct rtnl_link **link);
/* `ip link set`: the change from orig to chg (both consumed; chg NULL = -ENOMEM). */
int uwg_nl_link_change(struct uwg_netlink *nl, struct rtnl_link *orig, struct rtnl_link *chg);
/* libnl's -NLE_* to -errno (for libnl calls that hide the kernel's errno). */
int uwg_nl_errno(int nle);

#endif
