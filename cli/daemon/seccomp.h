/*
 * cli/daemon/seccomp.h - the daemon's system-call allow-list.
 *
 * Once the worker is set up and has dropped root (privsep.h), a seccomp
 * filter limits it, every thread of it and the IGD's SSDP child (which
 * inherits the filter through fork and execve) to the system calls a
 * WireGuard daemon with NAT and an IGD makes: I/O on descriptors it has,
 * sockets, epoll, timers, memory, threads, signals, the SSDP child's spawn
 * and the log's re-open. Anything else (ptrace, mount, bpf, keyctl,
 * io_uring, perf_event_open, kexec, module loading, namespace creation, a
 * foreign architecture or the x32 ABI) never reaches the kernel: after a
 * compromise the kernel's attack surface is what the daemon needs, no more.
 *
 * A call outside the list is not fatal: it fails with ENOSYS (what a kernel
 * without it would say, so libraries fall back) and SIGSYS's handler writes
 * one line naming the call to the log file or stderr (or, in the SSDP
 * child, to its report socket), so a missing entry shows up as a log line
 * and a failed operation, never as a dead tunnel. clone3 gets ENOSYS at
 * once (glibc then uses clone, whose flags the filter can see) and clone
 * with a namespace flag gets EPERM. A foreign architecture or x32 call
 * kills the process.
 *
 * x86-64 and AArch64; elsewhere uwg_seccomp_install does nothing and says
 * so. UWG_SECCOMP=0 turns it off (daemon.c reads it). Main thread.
 */
#ifndef UWG_CLI_DAEMON_SECCOMP_H
#define UWG_CLI_DAEMON_SECCOMP_H

#include <stdbool.h>

/*
 * Sets no_new_privs and installs the filter on every thread of the process
 * (TSYNC), with the SIGSYS handler reporting to the log file as it is at
 * the time of the refusal, else to report_fd (-1: a copy of the log file
 * taken now, which outlives the log's close at exit; else stderr). 0,
 * -EOPNOTSUPP on an architecture without a list, or -errno.
 */
int uwg_seccomp_install(int report_fd);

/* In a process that inherited the filter (the SSDP child): reports refusals to fd. */
int uwg_seccomp_report_to(int fd);

/* Calls refused so far in this process (async-signal-safe counter). */
unsigned long uwg_seccomp_refused(void);

#endif
