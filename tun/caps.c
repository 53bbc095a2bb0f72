/*
 * tun/caps.c - capability queries (see tun/caps.h). Any thread.
 */
#include "tun/caps.h"

#include <linux/capability.h>
#include <sys/syscall.h>
#include <unistd.h>

bool uwg_tun_have_cap(unsigned cap)
{
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct d[_LINUX_CAPABILITY_U32S_3];

	if (cap >= 32 * _LINUX_CAPABILITY_U32S_3 || syscall(SYS_capget, &h, d) < 0)
		return true; /* cannot tell: let the step that needs it say */
	return d[cap / 32].effective & (1u << (cap % 32));
}
