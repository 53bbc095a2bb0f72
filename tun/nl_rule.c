/*
 * tun/nl_rule.c - policy routing rules (`ip rule add|del|show`) as raw
 * RTM_*RULE messages built with libnl: libnl's rule object has no "not" flag
 * and no suppress_prefixlength, both of which the wg-quick default-route
 * policy needs. Main thread only.
 */
#include "tun/netlink.h"
#include "tun/nl_priv.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <linux/fib_rules.h>
#include <linux/rtnetlink.h>
#include <netlink/attr.h>

static int rule_msg(int type, int flags, const struct uwg_nl_rule *r, struct nl_msg **out)
{
	struct fib_rule_hdr frh = {
		.family = (unsigned char)r->family,
		.action = FR_ACT_TO_TBL,
		.table = r->table < 256 ? (unsigned char)r->table : RT_TABLE_UNSPEC,
		.flags = r->invert ? FIB_RULE_INVERT : 0,
	};
	struct nl_msg *msg = nlmsg_alloc_simple(type, flags);

	if (!msg)
		return -ENOMEM;
	if (nlmsg_append(msg, &frh, sizeof(frh), NLMSG_ALIGNTO) < 0 ||
	    nla_put_u32(msg, FRA_TABLE, r->table) < 0 ||
	    (r->priority && nla_put_u32(msg, FRA_PRIORITY, r->priority) < 0) ||
	    (r->fwmark && nla_put_u32(msg, FRA_FWMARK, r->fwmark) < 0) ||
	    (r->suppress_prefixlen >= 0 &&
	     nla_put_u32(msg, FRA_SUPPRESS_PREFIXLEN, (uint32_t)r->suppress_prefixlen) < 0)) {
		nlmsg_free(msg);
		return -ENOMEM;
	}
	*out = msg;
	return 0;
}

struct rule_list {
	int family;
	struct uwg_nl_rule *v;
	size_t n, cap;
};

static int on_rule(struct nl_msg *msg, void *arg)
{
	static const int foreign[] = {
		FRA_IIFNAME, FRA_OIFNAME, FRA_SRC, FRA_DST, FRA_GOTO, FRA_L3MDEV, FRA_UID_RANGE,
		FRA_IP_PROTO, FRA_SPORT_RANGE, FRA_DPORT_RANGE, FRA_SUPPRESS_IFGROUP, FRA_TUN_ID,
	};
	struct rule_list *l = arg;
	struct nlmsghdr *h = nlmsg_hdr(msg);
	struct nlattr *tb[FRA_MAX + 1];
	struct fib_rule_hdr *frh;
	struct uwg_nl_rule *r;

	if (h->nlmsg_type != RTM_NEWRULE || nlmsg_parse(h, sizeof(*frh), tb, FRA_MAX, NULL) < 0)
		return 0;
	frh = nlmsg_data(h);
	if (frh->family != l->family)
		return 0;
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 16;
		struct uwg_nl_rule *v = realloc(l->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		l->v = v;
		l->cap = cap;
	}
	r = &l->v[l->n++];
	memset(r, 0, sizeof(*r));
	r->family = frh->family;
	r->invert = frh->flags & FIB_RULE_INVERT;
	r->table = tb[FRA_TABLE] ? nla_get_u32(tb[FRA_TABLE]) : frh->table;
	r->priority = tb[FRA_PRIORITY] ? nla_get_u32(tb[FRA_PRIORITY]) : 0;
	r->fwmark = tb[FRA_FWMARK] ? nla_get_u32(tb[FRA_FWMARK]) : 0;
	r->suppress_prefixlen = tb[FRA_SUPPRESS_PREFIXLEN] ?
		(int)nla_get_u32(tb[FRA_SUPPRESS_PREFIXLEN]) : -1;
	r->other = frh->action != FR_ACT_TO_TBL || frh->dst_len || frh->src_len || frh->tos ||
		   (tb[FRA_FWMASK] && nla_get_u32(tb[FRA_FWMASK]) != (r->fwmark ? 0xffffffffu : 0));
	for (size_t i = 0; i < sizeof(foreign) / sizeof(foreign[0]); i++)
		if (tb[foreign[i]])
			r->other = true;
	return 0;
}

int uwg_netlink_rule_list(struct uwg_netlink *nl, int family, struct uwg_nl_rule **out, size_t *n)
{
	struct rule_list l = { .family = family };
	int err = uwg_nl_dump(nl, RTM_GETRULE, family, sizeof(struct fib_rule_hdr), on_rule, &l);

	if (err) {
		free(l.v);
		return err;
	}
	*out = l.v;
	*n = l.n;
	return 0;
}

static bool same_selectors(const struct uwg_nl_rule *a, const struct uwg_nl_rule *b)
{
	return !a->other && !b->other && a->family == b->family && a->table == b->table &&
	       a->fwmark == b->fwmark && a->invert == b->invert &&
	       a->suppress_prefixlen == b->suppress_prefixlen;
}

int uwg_netlink_rule_add(struct uwg_netlink *nl, struct uwg_nl_rule *r)
{
	struct uwg_nl_rule *before = NULL, *after = NULL;
	size_t nb = 0, na = 0;
	struct nl_msg *msg;
	int err;

	r->other = false;
	if (!r->priority) {
		err = uwg_netlink_rule_list(nl, r->family, &before, &nb);
		if (err)
			return err;
	}
	err = rule_msg(RTM_NEWRULE, NLM_F_CREATE | NLM_F_EXCL, r, &msg);
	if (!err)
		err = uwg_nl_request(nl, msg, NULL, NULL);
	if (err || r->priority)
		goto out;
	/* The kernel picked the priority: find the rule that was not there before. */
	err = uwg_netlink_rule_list(nl, r->family, &after, &na);
	if (err)
		goto out;
	err = -ENOENT;
	for (size_t i = 0; i < na && err; i++) {
		bool old = false;

		if (!same_selectors(&after[i], r))
			continue;
		for (size_t j = 0; j < nb && !old; j++)
			old = same_selectors(&before[j], r) && before[j].priority == after[i].priority;
		if (!old) {
			r->priority = after[i].priority;
			err = 0;
		}
	}
out:
	free(before);
	free(after);
	return err;
}

int uwg_netlink_rule_del(struct uwg_netlink *nl, const struct uwg_nl_rule *r)
{
	struct nl_msg *msg;
	int err = rule_msg(RTM_DELRULE, 0, r, &msg);

	if (err)
		return err;
	err = uwg_nl_request(nl, msg, NULL, NULL);
	return err == -ESRCH ? -ENOENT : err;
}
