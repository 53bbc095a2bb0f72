/*
 * tun/netns.h - named network namespaces as iproute2 keeps them (a bind mount
 * of the namespace at /run/netns/NAME, so `ip netns exec NAME` and
 * `ip -n NAME` see it), for `uwg up`'s Namespace key: create, open, enter and
 * leave, delete, and a netlink socket inside one (moving a link there is
 * uwg_netlink_link_set_netns). Knows nothing of WireGuard.
 * Main thread of a single-threaded command only: entering switches the
 * calling thread's namespace.
 */
#ifndef UWG_TUN_NETNS_H
#define UWG_TUN_NETNS_H

#include <stdbool.h>

#include "tun/netlink.h"

#define UWG_NETNS_DIR "/run/netns"
#define UWG_NETNS_NAME_MAX 63

/* ip's rule: 1-63 characters of [A-Za-z0-9_.-], not "." or "..". */
bool uwg_tun_netns_valid_name(const char *name);
/* 1 if /run/netns/NAME holds a namespace, 0 if not. */
int uwg_tun_netns_exists(const char *name);
/* `ip netns add NAME`, with its loopback up (an empty namespace's lo is down); -EEXIST if present. */
int uwg_tun_netns_create(const char *name);
/* `ip netns delete NAME`: its last reference goes, and with it every interface inside. */
int uwg_tun_netns_delete(const char *name);
/* An O_CLOEXEC fd of the namespace, or -errno. */
int uwg_tun_netns_open(const char *name);
/*
 * Switches this thread into the namespace NAME; *saved receives an fd of the
 * one it left, for uwg_tun_netns_leave. 0 or -errno (nothing changed).
 */
int uwg_tun_netns_enter(const char *name, int *saved);
/* Returns to the saved namespace and closes the fd; 0 or -errno. */
int uwg_tun_netns_leave(int saved);
/* A netlink socket that works in namespace NAME (the calling thread stays where it is). */
int uwg_tun_netns_netlink(const char *name, struct uwg_netlink **out);

#endif
