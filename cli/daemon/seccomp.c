/*
 * cli/daemon/seccomp.c - the daemon's system-call allow-list (see seccomp.h).
 * Main thread installs; the SIGSYS handler runs on whichever thread was
 * refused and touches only an atomic counter and write(2).
 */
#include "cli/daemon/seccomp.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stddef.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <ucontext.h>
#include <unistd.h>

#include "cli/daemon/log.h"

#ifndef __has_feature
#define __has_feature(x) 0
#endif
#if defined(__SANITIZE_ADDRESS__) || __has_feature(address_sanitizer) || \
	__has_feature(leak_sanitizer)
#define UWG_LEAK_SANITIZER 1
#else
#define UWG_LEAK_SANITIZER 0
#endif

#if defined(__x86_64__)
#define ARCH AUDIT_ARCH_X86_64
#define X32_BIT 0x40000000u
#elif defined(__aarch64__)
#define ARCH AUDIT_ARCH_AARCH64
#endif

static atomic_ulong refused;
static atomic_int report_fd = -1;

unsigned long uwg_seccomp_refused(void)
{
	return atomic_load(&refused);
}

#ifdef ARCH

/*
 * What the daemon calls, grouped by why. Hot path first: the filter is a
 * linear scan (the kernel caches the verdict of calls allowed whatever
 * their arguments, since 5.11, but older kernels run it every time).
 */
static const unsigned allowed[] = {
	/* data path and event loop */
	SYS_read, SYS_write, SYS_readv, SYS_writev, SYS_recvmmsg, SYS_sendmmsg, SYS_recvmsg,
	SYS_sendmsg, SYS_recvfrom, SYS_sendto, SYS_epoll_pwait, SYS_futex, SYS_clock_gettime,
#ifdef SYS_epoll_wait
	SYS_epoll_wait,
#endif
#ifdef SYS_epoll_pwait2
	SYS_epoll_pwait2,
#endif
	SYS_epoll_ctl, SYS_epoll_create1, SYS_eventfd2, SYS_pipe2, SYS_ppoll, SYS_pselect6,
#ifdef SYS_poll
	SYS_poll,
#endif
#ifdef SYS_select
	SYS_select,
#endif
#ifdef SYS_pipe
	SYS_pipe,
#endif
#ifdef SYS_epoll_create
	SYS_epoll_create,
#endif
	SYS_timerfd_create, SYS_timerfd_settime, SYS_timerfd_gettime, SYS_clock_nanosleep,
	SYS_nanosleep, SYS_clock_getres, SYS_gettimeofday, SYS_getrandom,
#ifdef SYS_time
	SYS_time,
#endif
	/* descriptors */
	SYS_close, SYS_dup, SYS_dup3, SYS_fcntl, SYS_ioctl, SYS_lseek, SYS_pread64, SYS_pwrite64,
	SYS_fstat, SYS_newfstatat, SYS_statx, SYS_fstatfs, SYS_statfs, SYS_getdents64,
	SYS_ftruncate, SYS_fsync, SYS_fdatasync, SYS_close_range,
#ifdef SYS_getdents
	SYS_getdents, /* the sanitizers' thread lister */
#endif
#ifdef SYS_dup2
	SYS_dup2,
#endif
#ifdef SYS_stat
	SYS_stat, SYS_lstat,
#endif
	/* files: the log's re-open, lease and state files, /proc and /sys reads, the SSDP exe */
	SYS_openat, SYS_readlinkat, SYS_faccessat, SYS_faccessat2, SYS_unlinkat, SYS_renameat2,
#ifdef SYS_renameat
	SYS_renameat,
#endif
	SYS_mkdirat, SYS_fchmod, SYS_fchmodat, SYS_umask, SYS_getcwd, SYS_chdir,
#ifdef SYS_open
	SYS_open, SYS_readlink, SYS_access, SYS_unlink, SYS_rename, SYS_mkdir, SYS_chmod,
#endif
	SYS_inotify_init1, SYS_inotify_add_watch, SYS_inotify_rm_watch,
	/* sockets (UDP, the UAPI and HTTP servers, netlink, the NAT's raw socket) */
	SYS_socket, SYS_socketpair, SYS_bind, SYS_listen, SYS_accept4, SYS_connect,
	SYS_getsockname, SYS_getpeername, SYS_setsockopt, SYS_getsockopt, SYS_shutdown,
#ifdef SYS_accept
	SYS_accept,
#endif
	/* a foreign namespace (needs CAP_SYS_ADMIN, which only UWG_USER=root keeps) */
	SYS_setns,
	/* memory (libsodium's guarded allocations lock and un-dump theirs) */
	SYS_mmap, SYS_munmap, SYS_mprotect, SYS_mremap, SYS_madvise, SYS_brk, SYS_mlock,
	SYS_munlock, SYS_mlock2, SYS_membarrier,
	/* threads and processes (crypto pool, libuv's pool, the SSDP child and its pupnp threads) */
	SYS_set_robust_list, SYS_get_robust_list, SYS_rseq, SYS_set_tid_address, SYS_gettid,
	SYS_getpid, SYS_getppid, SYS_sched_yield, SYS_sched_getaffinity, SYS_sched_setaffinity,
	SYS_sched_getparam, SYS_sched_getscheduler, SYS_sched_setscheduler,
	SYS_sched_get_priority_min, SYS_sched_get_priority_max, SYS_getpriority, SYS_setpriority,
	SYS_exit, SYS_exit_group, SYS_wait4, SYS_waitid, SYS_execve, SYS_kill, SYS_tgkill,
	SYS_tkill, SYS_setsid, SYS_setpgid, SYS_getpgid, SYS_getsid, SYS_prctl, SYS_pidfd_open,
	SYS_restart_syscall,
#ifdef SYS_fork
	SYS_fork, SYS_vfork,
#endif
#ifdef SYS_arch_prctl
	SYS_arch_prctl,
#endif
	/* signals */
	SYS_rt_sigaction, SYS_rt_sigprocmask, SYS_rt_sigreturn, SYS_rt_sigtimedwait, SYS_sigaltstack,
	SYS_signalfd4,
	/* identity and limits (the drop to UWG_USER, and the SSDP child's own drop) */
	SYS_getuid, SYS_geteuid, SYS_getgid, SYS_getegid, SYS_getresuid, SYS_getresgid,
	SYS_getgroups, SYS_setgroups, SYS_setresuid, SYS_setresgid, SYS_setuid, SYS_setgid,
	SYS_capget, SYS_capset, SYS_getrlimit, SYS_setrlimit, SYS_prlimit64, SYS_getrusage,
	SYS_uname, SYS_sysinfo,
#if UWG_LEAK_SANITIZER
	/* sanitizer builds only: LeakSanitizer's exit-time check stops the threads with ptrace */
	SYS_ptrace,
#endif
};

#define NS_FLAGS                                                                              \
	(CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWNET | CLONE_NEWPID | CLONE_NEWUTS | CLONE_NEWIPC | \
	 CLONE_NEWCGROUP)

#define N_ALLOWED (sizeof(allowed) / sizeof(allowed[0]))
/* head (arch, x32), clone, clone3, one jump per call, refuse, allow */
#define PROG_MAX (16 + N_ALLOWED + 2)

static size_t build(struct sock_filter *p)
{
	size_t n = 0;

#define S(code, k) (p[n++] = (struct sock_filter)BPF_STMT((code), (k)))
#define J(code, k, jt, jf) (p[n++] = (struct sock_filter)BPF_JUMP((code), (k), (jt), (jf)))
	S(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch));
	J(BPF_JMP | BPF_JEQ | BPF_K, ARCH, 1, 0);
	S(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS);
	S(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr));
#ifdef X32_BIT
	J(BPF_JMP | BPF_JGE | BPF_K, X32_BIT, 0, 1);
	S(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS);
#endif
	/* clone: no new namespaces (the flags are in the low word of args[0], little-endian) */
	J(BPF_JMP | BPF_JEQ | BPF_K, SYS_clone, 0, 4);
	S(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, args[0]));
	J(BPF_JMP | BPF_JSET | BPF_K, NS_FLAGS, 0, 1);
	S(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM);
	S(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
	/* clone3's flags are behind a pointer: ENOSYS makes glibc use clone */
	J(BPF_JMP | BPF_JEQ | BPF_K, SYS_clone3, 0, 1);
	S(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOSYS);
	for (size_t i = 0; i < N_ALLOWED; i++)
		J(BPF_JMP | BPF_JEQ | BPF_K, allowed[i], (uint8_t)(N_ALLOWED - i), 0);
	S(BPF_RET | BPF_K, SECCOMP_RET_TRAP);
	S(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
#undef S
#undef J
	return n;
}

/* "uwg: seccomp refused system call N\n" with write(2) only. */
static void report(int nr)
{
	char line[64] = "uwg: seccomp refused system call ", digits[12];
	size_t len = strlen(line), k = 0;
	unsigned v = nr < 0 ? 0 : (unsigned)nr;
	int fd = uwg_log_file_fd();

	do
		digits[k++] = (char)('0' + v % 10);
	while ((v /= 10) && k < sizeof(digits));
	while (k)
		line[len++] = digits[--k];
	line[len++] = '\n';
	/* the log file as it is now; once it is closed (exit), its copy; else stderr */
	if (fd < 0)
		fd = atomic_load(&report_fd);
	if (fd < 0)
		fd = STDERR_FILENO;
	if (write(fd, line, len) < 0)
		return;
}

static void on_sigsys(int sig, siginfo_t *si, void *uctx)
{
	ucontext_t *uc = uctx;
	int saved = errno;

	(void)sig;
	atomic_fetch_add(&refused, 1);
	/* the call's return value: as if this kernel did not have it */
#if defined(__x86_64__)
	uc->uc_mcontext.gregs[REG_RAX] = -ENOSYS;
#elif defined(__aarch64__)
	uc->uc_mcontext.regs[0] = (unsigned long long)-ENOSYS;
#endif
	report(si->si_syscall);
	errno = saved;
}

int uwg_seccomp_report_to(int fd)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_sigsys;
	sa.sa_flags = SA_SIGINFO | SA_RESTART;
	sigemptyset(&sa.sa_mask);
	atomic_store(&report_fd, fd);
	return sigaction(SIGSYS, &sa, NULL) < 0 ? -errno : 0;
}

int uwg_seccomp_install(int fd)
{
	struct sock_filter prog[PROG_MAX];
	struct sock_fprog fprog;
	int err;

	_Static_assert(N_ALLOWED < 250, "jump offsets are 8 bits");
	fprog.len = (unsigned short)build(prog);
	fprog.filter = prog;
	/* a copy of the log file, so what the exit path is refused still gets written */
	if (fd < 0 && uwg_log_file_fd() >= 0)
		fd = fcntl(uwg_log_file_fd(), F_DUPFD_CLOEXEC, 3);
	err = uwg_seccomp_report_to(fd);
	if (err)
		return err;
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return -errno;
	if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_TSYNC, &fprog) != 0)
		return errno ? -errno : -EBUSY; /* > 0: the id of a thread that could not sync */
	return 0;
}

#else /* no list for this architecture */

int uwg_seccomp_report_to(int fd)
{
	(void)fd;
	return 0;
}

int uwg_seccomp_install(int fd)
{
	(void)fd;
	return -EOPNOTSUPP;
}

#endif
