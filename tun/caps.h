/*
 * tun/caps.h - whether this process holds a capability: what the TUN device,
 * netlink and the NAT's raw socket need (CAP_NET_ADMIN, CAP_NET_RAW), asked
 * before trying, so a missing one is named instead of failing with EPERM
 * halfway. Any thread.
 */
#ifndef UWG_TUN_CAPS_H
#define UWG_TUN_CAPS_H

#include <stdbool.h>

/* cap (CAP_*) is in the effective set; true if the kernel cannot tell us. */
bool uwg_tun_have_cap(unsigned cap);

#endif
