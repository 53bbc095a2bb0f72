/*
 * tun/netns.c - named network namespaces laid out as iproute2 lays them out,
 * so that `ip netns` and uwg manage the same ones (see netns.h). Main thread
 * of a single-threaded command only.
 */
#include "tun/netns.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <net/if.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

bool uwg_tun_netns_valid_name(const char *name)
{
	size_t n = strlen(name);

	if (n == 0 || n > UWG_NETNS_NAME_MAX || !strcmp(name, ".") || !strcmp(name, ".."))
		return false;
	return strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") == n;
}

static void ns_path(char *buf, size_t len, const char *name)
{
	snprintf(buf, len, "%s/%s", UWG_NETNS_DIR, name);
}

int uwg_tun_netns_open(const char *name)
{
	char path[PATH_MAX];
	int fd;

	if (!uwg_tun_netns_valid_name(name))
		return -EINVAL;
	ns_path(path, sizeof(path), name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

#ifndef NSFS_MAGIC
#define NSFS_MAGIC 0x6e736673
#endif

int uwg_tun_netns_exists(const char *name)
{
	char path[PATH_MAX];
	struct statfs sf;

	if (!uwg_tun_netns_valid_name(name))
		return 0;
	ns_path(path, sizeof(path), name);
	/* A plain file left by a crash between create and mount is no namespace. */
	return statfs(path, &sf) == 0 && sf.f_type == NSFS_MAGIC;
}

int uwg_tun_netns_enter(const char *name, int *saved)
{
	int fd = uwg_tun_netns_open(name), self;

	if (fd < 0)
		return fd;
	self = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	if (self < 0) {
		int e = -errno;

		close(fd);
		return e;
	}
	if (setns(fd, CLONE_NEWNET) < 0) {
		int e = -errno;

		close(fd);
		close(self);
		return e;
	}
	close(fd);
	*saved = self;
	return 0;
}

int uwg_tun_netns_leave(int saved)
{
	int ret = setns(saved, CLONE_NEWNET) < 0 ? -errno : 0;

	close(saved);
	return ret;
}

int uwg_tun_netns_netlink(const char *name, struct uwg_netlink **out)
{
	int saved = -1, err = uwg_tun_netns_enter(name, &saved), back;

	if (err)
		return err;
	/* A netlink socket stays bound to the namespace it was created in. */
	err = uwg_netlink_open(out);
	back = uwg_tun_netns_leave(saved);
	if (back && !err) {
		uwg_netlink_close(*out);
		*out = NULL;
		err = back;
	}
	return err;
}

/* /run/netns as a shared mount, as ip makes it, so namespaces added later show in every mount namespace. */
static int prepare_dir(void)
{
	if (mkdir(UWG_NETNS_DIR, 0755) < 0 && errno != EEXIST)
		return -errno;
	if (mount("", UWG_NETNS_DIR, "none", MS_SHARED | MS_REC, NULL) == 0)
		return 0;
	if (errno != EINVAL)
		return -errno;
	if (mount(UWG_NETNS_DIR, UWG_NETNS_DIR, "none", MS_BIND | MS_REC, NULL) < 0)
		return -errno;
	return mount("", UWG_NETNS_DIR, "none", MS_SHARED | MS_REC, NULL) < 0 ? -errno : 0;
}

static int loopback_up(void)
{
	struct ifreq ifr = { .ifr_name = "lo" };
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), ret = 0;

	if (fd < 0)
		return -errno;
	if (ioctl(fd, SIOCGIFFLAGS, &ifr) < 0) {
		ret = -errno;
	} else if (!(ifr.ifr_flags & IFF_UP)) {
		ifr.ifr_flags |= IFF_UP;
		if (ioctl(fd, SIOCSIFFLAGS, &ifr) < 0)
			ret = -errno;
	}
	close(fd);
	return ret;
}

int uwg_tun_netns_create(const char *name)
{
	char path[PATH_MAX];
	int fd, self, err, back;

	if (!uwg_tun_netns_valid_name(name))
		return -EINVAL;
	err = prepare_dir();
	if (err)
		return err;
	ns_path(path, sizeof(path), name);
	fd = open(path, O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	close(fd);
	self = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	if (self < 0) {
		err = -errno;
		unlink(path);
		return err;
	}
	if (unshare(CLONE_NEWNET) < 0) {
		err = -errno;
		close(self);
		unlink(path);
		return err;
	}
	err = mount("/proc/thread-self/ns/net", path, "none", MS_BIND, NULL) < 0 ? -errno : 0;
	if (!err)
		err = loopback_up();
	back = setns(self, CLONE_NEWNET) < 0 ? -errno : 0;
	close(self);
	if (err || back) {
		umount2(path, MNT_DETACH);
		unlink(path);
		return err ? err : back;
	}
	return 0;
}

int uwg_tun_netns_delete(const char *name)
{
	char path[PATH_MAX];

	if (!uwg_tun_netns_valid_name(name))
		return -EINVAL;
	ns_path(path, sizeof(path), name);
	if (umount2(path, MNT_DETACH) < 0 && errno != EINVAL && errno != ENOENT)
		return -errno;
	return unlink(path) < 0 ? -errno : 0;
}
