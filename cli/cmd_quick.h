/*
 * cli/cmd_quick.h - the wg-quick machinery shared by `uwg up`, `uwg down`,
 * `uwg save` and `uwg strip`: config file lookup, hook and helper process
 * execution, DNS through resolvconf, SaveConfig, and the state file that
 * records everything `up` added (/var/run/uwg/IFNAME.state) so that `down`,
 * a failed `up`, or the next `up` after a crash removes exactly that. Main
 * thread only.
 */
#ifndef UWG_CLI_CMD_QUICK_H
#define UWG_CLI_CMD_QUICK_H

#include <limits.h>
#include <net/if.h>
#include <stdbool.h>
#include <stddef.h>

#include "cli/config.h"
#include "tun/netlink.h"
#include "tun/netns.h"

#define UWG_QUICK_STATE_DIR "/var/run/uwg"

struct uwg_quick {
	char ifname[UWG_CONF_IFNAME_MAX + 1];
	char path[PATH_MAX]; /* the config file, as named in messages */
	struct uwg_conf conf;
	/* The namespace the interface lives in (Namespace, or the state file's), "" = this one. */
	char netns[UWG_NETNS_NAME_MAX + 1];
};

/*
 * CONFIG|IFNAME to a parsed config: an interface name means
 * /etc/wireguard/IFNAME.conf; a path must be named IFNAME.conf. Prints the
 * world-accessible warning and any error (one line); 0 or -1.
 */
int uwg_quick_load(struct uwg_quick *q, const char *arg, const char *cmd);
/* Same lookup without parsing (for strip, which keeps the file's lines). */
int uwg_quick_locate(struct uwg_quick *q, const char *arg, const char *cmd);
void uwg_quick_free(struct uwg_quick *q);

/* "[#] ..." progress line on stderr, as wg-quick prints. */
void uwg_quick_trace(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * Runs argv (PATH search), feeding stdin_text if not NULL. Returns the exit
 * status (128+N for a signal) or -errno if it could not run.
 */
int uwg_quick_run(char *const argv[], const char *stdin_text);
/*
 * Runs the hooks of one phase with `bash -c`, %i expanded, inside q->netns if
 * set (as `ip netns exec` would); -1 at the first failure.
 */
int uwg_quick_hooks(const struct uwg_quick *q, enum uwg_conf_hook phase);

/* Blocks SIGINT/SIGTERM/SIGHUP for the critical section (children get them unblocked). */
void uwg_quick_block_signals(void);
/* True if one of those signals arrived while blocked (consumes it). */
bool uwg_quick_interrupted(void);

enum uwg_quick_item_kind {
	UWG_ITEM_LINK,  /* the interface (its daemon exits when it is deleted) */
	UWG_ITEM_ROUTE,
	UWG_ITEM_RULE,
	UWG_ITEM_DNS,   /* resolvconf record name */
	UWG_ITEM_NETNS, /* the Namespace (name); removed on undo only if created */
	UWG_ITEM_NETNS_RESOLV, /* /etc/netns/NAME/resolv.conf (name: the namespace) */
};

/* What UWG_ITEM_NETNS_RESOLV made: undo removes exactly that. */
enum {
	UWG_RESOLV_MADE_DIR = 1,     /* /etc/netns/NAME */
	UWG_RESOLV_MADE_TOP = 2,     /* /etc/netns */
	UWG_RESOLV_SAVED = 4,        /* an existing one moved to /etc/netns/NAME.resolv.conf.uwg-saved */
};

struct uwg_quick_item {
	enum uwg_quick_item_kind kind;
	struct uwg_nl_route route;
	struct uwg_nl_rule rule;
	char name[64]; /* LINK: interface name; DNS: resolvconf record; NETNS*: namespace */
	bool inner;    /* ROUTE, RULE: inside the state's namespace (its NETNS item) */
	unsigned made; /* NETNS: 1 if created; NETNS_RESOLV: UWG_RESOLV_* */
};

struct uwg_quick_state {
	char ifname[UWG_CONF_IFNAME_MAX + 1];
	unsigned long long netns; /* inode of the network namespace the items live in */
	struct uwg_quick_item *items;
	size_t n;
};

void uwg_quick_state_init(struct uwg_quick_state *s, const char *ifname);
void uwg_quick_state_free(struct uwg_quick_state *s);
/* -ENOENT if there is no state file for ifname. */
int uwg_quick_state_load(struct uwg_quick_state *s, const char *ifname);
/* Appends and rewrites the file at once (tmp + rename), so a crash loses nothing. */
int uwg_quick_state_add(struct uwg_quick_state *s, const struct uwg_quick_item *it);
/* Writes the state file (items so far). */
int uwg_quick_state_save(const struct uwg_quick_state *s);
/*
 * Removes every item, newest first (rules, routes, DNS, then the link, waiting
 * for the daemon to let go of its socket), then the state file. Missing
 * items are not errors. Returns the number of items that could not be removed.
 */
int uwg_quick_state_undo(struct uwg_quick_state *s, struct uwg_netlink *nl);
/*
 * A netlink socket inside namespace netns, or NULL when netns is NULL or ""
 * or no such namespace exists (whatever was inside went with it); one that
 * exists but cannot be entered is NULL with a warning on stderr.
 */
struct uwg_netlink *uwg_quick_netns_netlink(const char *netns);
/* The namespace of the state's NETNS item, or NULL. */
const char *uwg_quick_state_netns(const struct uwg_quick_state *s);
/* Inode of the current network namespace (0 if unknown). */
unsigned long long uwg_quick_netns_id(void);

/*
 * Applies DNS through resolvconf(8), or warns that it could not; with
 * q->netns, writes /etc/netns/NAME/resolv.conf instead (what `ip netns exec`
 * shows as /etc/resolv.conf). Records the item.
 */
int uwg_quick_dns_set(const struct uwg_quick *q, struct uwg_quick_state *s);
/* resolvconf -d NAME -f */
int uwg_quick_dns_unset(const char *name);

/* SaveConfig: writes the running configuration back to q->path (umask 077, tmp + rename). */
int uwg_quick_save_config(const struct uwg_quick *q, struct uwg_netlink *nl);

/* Describes a rule or route as the equivalent `ip` command (for traces). */
/*
 * After a crash: removes every tc filter uwg's priority block holds on the
 * external interface s names (auto: the default route's), as the daemon
 * would on exit, and names that interface in out_ifname. 0 (also when NAT
 * is off) or -errno.
 */
int uwg_quick_nat_flush_stale(const struct uwg_nat_settings *s, char out_ifname[IF_NAMESIZE]);

void uwg_quick_describe_rule(const struct uwg_nl_rule *r, bool add, char *buf, size_t len);
/* netns: NULL, or the namespace the route is in (`ip -n NAME ...`). */
void uwg_quick_describe_route(const struct uwg_nl_route *r, const char *ifname, const char *netns,
			      bool add, char *buf, size_t len);

#endif
