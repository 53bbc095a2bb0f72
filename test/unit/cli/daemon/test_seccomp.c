/*
 * test/unit/cli/daemon/test_seccomp.c - cli/daemon/seccomp.c's allow-list, in a child process
 * (a filter cannot be removed): what the daemon does still works (threads,
 * sockets, files, a fork and exec), a call outside the list fails with
 * ENOSYS and is counted and reported, clone3 falls back to ENOSYS, clone
 * or unshare with a namespace flag is refused, and a refused call does not
 * stop the process.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/sched.h>
#include <pthread.h>
#include <sched.h>
#include <stdbool.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli/daemon/seccomp.h"
#include "test/harness.h"

static void *thread_main(void *arg)
{
	return arg;
}

/* errno of a raw system call that is expected to fail, 0 if it succeeded */
static int fails_with(long ret)
{
	return ret < 0 ? errno : 0;
}

static int child(int report_w)
{
	pthread_t t;
	int token;
	void *ret = NULL;
	int fd, sv[2], status;
	pid_t pid;
	struct clone_args ca;

	CHECK_EQ_INT(uwg_seccomp_install(report_w), 0);

	/* allowed: what the daemon does */
	CHECK_EQ_INT(pthread_create(&t, NULL, thread_main, &token), 0);
	CHECK_EQ_INT(pthread_join(t, &ret), 0);
	CHECK(ret == &token);
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	CHECK(fd >= 0);
	close(fd);
	CHECK_EQ_INT(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	close(sv[0]);
	close(sv[1]);
	fd = open("/proc/self/status", O_RDONLY | O_CLOEXEC);
	CHECK(fd >= 0);
	close(fd);
	pid = fork();
	if (pid == 0) {
		execl("/bin/true", "true", (char *)NULL);
		_exit(127);
	}
	CHECK(pid > 0);
	CHECK_EQ_INT(waitpid(pid, &status, 0), pid);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	CHECK_EQ_U64(uwg_seccomp_refused(), 0);

	/* outside the list: ENOSYS, counted, reported, and the process goes on */
	CHECK_EQ_INT(fails_with(syscall(SYS_keyctl, 0, 0, 0, 0, 0)), ENOSYS);
	CHECK_EQ_INT(fails_with(syscall(SYS_bpf, 0, NULL, 0)), ENOSYS);
	CHECK_EQ_INT(fails_with(unshare(CLONE_NEWUSER)), ENOSYS);
	CHECK_EQ_U64(uwg_seccomp_refused(), 3);

	/* clone3: ENOSYS without a report (glibc falls back to clone) */
	memset(&ca, 0, sizeof(ca));
	ca.flags = CLONE_NEWUSER;
	ca.exit_signal = SIGCHLD;
	CHECK_EQ_INT(fails_with(syscall(SYS_clone3, &ca, sizeof(ca))), ENOSYS);
	/* clone with a namespace flag: EPERM, also without a report */
	CHECK_EQ_INT(fails_with(syscall(SYS_clone, CLONE_NEWNET | SIGCHLD, NULL, NULL, NULL, 0)),
		     EPERM);
	CHECK_EQ_U64(uwg_seccomp_refused(), 3);
	status = harness_report("test_seccomp (filtered child)");
	fflush(stdout);
	return status;
}

static bool has_line(const char *out, long nr)
{
	char want[64];

	snprintf(want, sizeof(want), "uwg: seccomp refused system call %ld\n", nr);
	return strstr(out, want) != NULL;
}

int main(void)
{
	int p[2], status;
	char buf[512];
	ssize_t n;
	size_t len = 0;
	pid_t pid;

	if (pipe(p) < 0)
		return 1;
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		close(p[0]);
		_exit(child(p[1]));
	}
	close(p[1]);
	while (len < sizeof(buf) - 1 && (n = read(p[0], buf + len, sizeof(buf) - 1 - len)) > 0)
		len += (size_t)n;
	buf[len] = 0;
	CHECK_EQ_INT(waitpid(pid, &status, 0), pid);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	/* one line per refused call, naming it; clone3 and clone are refused silently */
	CHECK(has_line(buf, SYS_keyctl));
	CHECK(has_line(buf, SYS_bpf));
	CHECK(has_line(buf, SYS_unshare));
	CHECK(!has_line(buf, SYS_clone3));
	CHECK(!has_line(buf, SYS_clone));
	return harness_report("test_seccomp");
}
