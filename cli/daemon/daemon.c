/*
 * cli/daemon/daemon.c - process lifecycle of `uwg [-f] IFNAME` (see cli/daemon/daemon.h).
 *
 * Order matters to wg-quick, which runs `wg setconf IFNAME` the moment we
 * return: the TUN device and the listening UAPI socket are created first, in
 * the invoking process, so their errors print on the caller's terminal. Then
 * we fork; the child builds the event loop and tells the parent over a pipe
 * that it is serving (or why it failed), and only then does the parent exit 0.
 * The child drops the caller's stdio (so `wg-quick up | tee` ends) and starts
 * a new session. Before any of it, core dumps are forbidden (the process will
 * hold keys) and the descriptor limit is raised. Main thread only.
 */
#include "cli/daemon/daemon.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli/daemon/leases.h"
#include "cli/daemon/log.h"
#include "cli/daemon/loop.h"
#include "cli/daemon/privsep.h"
#include "cli/daemon/seccomp.h"
#include "crypto/crypto.h"
#include "crypto/ct.h"

struct options {
	bool foreground;
	bool allow_coredump;
	bool no_seccomp;
	bool no_offload;
	const char *aead;
	const char *crypto_threads;
	const char *user;
	const char *log_file;
	const char *journal_stream; /* $JOURNAL_STREAM: systemd's stream on stderr */
	const char *ifname;
	uint32_t timer_divisor;
};

void uwg_daemon_usage(FILE *f, const char *prog)
{
	fprintf(f,
		"Usage: %s [-f|--foreground] [--log-file PATH] INTERFACE-NAME\n"
		"       %s SUBCOMMAND [ARGUMENTS...]\n"
		"       %s --version | --help\n",
		prog, prog, prog);
}

static int parse_options(int argc, char **argv, struct options *o)
{
	const char *env;

	memset(o, 0, sizeof(*o));
	env = getenv("WG_PROCESS_FOREGROUND");
	o->foreground = env && !strcmp(env, "1");
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (!strcmp(a, "-f") || !strcmp(a, "--foreground")) {
			o->foreground = true;
		} else if (!strcmp(a, "--log-file")) {
			if (++i == argc) {
				fprintf(stderr, "%s: --log-file needs a path\n", argv[0]);
				return -EINVAL;
			}
			o->log_file = argv[i];
		} else if (!strncmp(a, "--log-file=", 11)) {
			o->log_file = a + 11;
		} else if (!strcmp(a, "--") && i + 1 < argc && !o->ifname) {
			o->ifname = argv[++i];
		} else if (a[0] == '-') {
			fprintf(stderr, "%s: unknown option '%s'\n", argv[0], a);
			return -EINVAL;
		} else if (!o->ifname) {
			o->ifname = a;
		} else {
			fprintf(stderr, "%s: more than one interface name given\n", argv[0]);
			return -EINVAL;
		}
	}
	if (!o->ifname) {
		uwg_daemon_usage(stderr, argv[0]);
		return -EINVAL;
	}
	/* `uwg up` passes its --log-file this way (the daemon is its child). */
	env = getenv("UWG_LOG_FILE");
	if (!o->log_file && env && *env)
		o->log_file = env;
	o->journal_stream = getenv("JOURNAL_STREAM");
	if (o->log_file && !*o->log_file) {
		fprintf(stderr, "%s: --log-file needs a path\n", argv[0]);
		return -EINVAL;
	}

	env = getenv("LOG_LEVEL");
	if (env && *env) {
		enum uwg_log_level level;

		if (uwg_log_level_parse(env, &level))
			uwg_log_set_level(level);
		else
			fprintf(stderr, "%s: unknown LOG_LEVEL '%s' (verbose, debug, info, error, "
					"silent); using error\n", argv[0], env);
	}

	/* Developers who need a core of a crashing daemon (and accept the keys in it). */
	env = getenv("UWG_ALLOW_COREDUMP");
	o->allow_coredump = env && !strcmp(env, "1");

	/* The loop's knobs (loop.h checks their values and logs what it ignores). */
	env = getenv("UWG_NO_OFFLOAD");
	o->no_offload = env && *env && strcmp(env, "0");
	env = getenv("UWG_AEAD");
	o->aead = env && *env ? env : NULL;
	env = getenv("UWG_CRYPTO_THREADS");
	o->crypto_threads = env && *env ? env : NULL;
	env = getenv("UWG_USER");
	o->user = env && *env ? env : NULL;

	/* For a report of a call the allow-list misses (seccomp.h), until it is fixed. */
	env = getenv("UWG_SECCOMP");
	o->no_seccomp = env && !strcmp(env, "0");

	env = getenv("UWG_TEST_TIMER_DIVISOR");
	if (env && *env) {
		char *end;
		unsigned long v;

		errno = 0;
		v = strtoul(env, &end, 10);
		if (errno || *end || env[0] < '0' || env[0] > '9' || v == 0 || v > UINT32_MAX) {
			fprintf(stderr, "%s: UWG_TEST_TIMER_DIVISOR must be a positive integer\n",
				argv[0]);
			return -EINVAL;
		}
		o->timer_divisor = (uint32_t)v;
	}
	return 0;
}

/*
 * The daemon will hold private keys, and a crash on a host with
 * systemd-coredump would write them to disk. RLIMIT_CORE 0 (hard limit too,
 * so nothing raises it again) stops core files; not dumpable stops the rest:
 * the kernel starts a core_pattern pipe whatever RLIMIT_CORE says, but never
 * for a non-dumpable process, which also keeps ptrace and /proc/PID/mem from
 * anyone without CAP_SYS_PTRACE. Both survive fork; execve resets dumpable.
 */
static int forbid_core_dumps(void)
{
	const struct rlimit none = { 0, 0 };

	if (setrlimit(RLIMIT_CORE, &none) < 0 || prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
		return -errno;
	return 0;
}

/*
 * Soft descriptor limit up to the hard one, as wireguard-go (the Go runtime)
 * does, so a 1024 default never caps the NAT's and the IGD's sockets. Nothing
 * in this process uses select(); pupnp's does, in the SSDP child
 * (igd/ssdp.c), a fresh process whose few descriptors are all low, so the
 * limit it inherits is harmless there. Best effort: the old limit still works.
 */
static void raise_fd_limit(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
			uwg_log_debug("cannot raise the descriptor limit: %s", strerror(errno));
	}
}

/* Failure text goes to the waiting parent (daemon) or stderr (foreground). */
static void report(int ready_fd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void report(int ready_fd, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof(msg))
		n = (int)sizeof(msg) - 1;
	if (ready_fd < 0) {
		fprintf(stderr, "uwg: %s\n", msg);
		return;
	}
	uwg_log_error("%s", msg);
	if (write(ready_fd, msg, (size_t)n) < 0)
		return;
}

/* Without CAP_SYS_ADMIN, tun/ reaches a foreign namespace through the monitor. */
static void use_monitor(struct uwg_privsep *ps, struct uwg_tun *tun)
{
	if (ps->chan < 0)
		return;
	tun->ns_socket = uwg_privsep_ns_socket;
	tun->ns_socket_ctx = ps;
}

/* Builds the loop and runs it; the process exit status. */
static int serve(const struct options *o, const struct uwg_privsep *ps, struct uwg_tun *tun,
		 struct uwg_uapi_sock *sock, int ready_fd)
{
	struct uwg_loop_config cfg = {
		.timer_divisor = o->timer_divisor,
		.no_offload = o->no_offload,
		.aead = o->aead,
		.crypto_threads = o->crypto_threads,
	};
	struct uwg_loop *l;
	const char *what;
	int ret, status;

	/* While still root: the worker could not create it in the root-only directory. */
	cfg.lease_fd = -1;
	if (geteuid() == 0) {
		struct uwg_leases lf;

		ret = uwg_leases_open(&lf, tun->name);
		if (ret < 0)
			uwg_log_error("cannot open the lease file %s/%s.leases: %s (port maps will "
				      "not survive a restart)", UWG_LEASE_DIR, tun->name,
				      strerror(-ret));
		cfg.lease_fd = lf.fd;
	}
	ret = uwg_loop_new(&l, tun, sock, &cfg, &what);
	if (ret < 0) {
		report(ready_fd, "failed to set up %s: %s: %s", o->ifname, what ? what : "",
		       strerror(-ret));
		uwg_loop_free(l);
		return 1;
	}
	/* everything that needs root is done: the device, the sockets, the netlink state */
	ret = uwg_privsep_drop(ps);
	if (ret < 0) {
		report(ready_fd, "failed to drop privileges to %s: %s", ps->user, strerror(-ret));
		uwg_loop_free(l);
		return 1;
	}
	if (ps->enabled)
		uwg_log_info("running as %s with CAP_NET_ADMIN, CAP_NET_RAW, CAP_NET_BIND_SERVICE",
			     ps->user);
	else if (ps->restricted)
		uwg_log_info("started without CAP_SETUID/CAP_SETGID/CAP_SETPCAP: staying root with "
			     "the capabilities it was given");
	if (!o->no_seccomp) {
		/* defence in depth: a kernel without seccomp still runs the tunnel */
		ret = uwg_seccomp_install(-1);
		if (ret == -EOPNOTSUPP)
			uwg_log_info("no system-call allow-list for this architecture");
		else if (ret < 0)
			uwg_log_error("cannot install the system-call allow-list: %s", strerror(-ret));
	}
	if (ready_fd >= 0) {
		/* One NUL byte: serving. The parent may exit 0 now. */
		if (write(ready_fd, "", 1) < 0)
			uwg_log_error("cannot signal readiness: %s", strerror(errno));
		close(ready_fd);
	}
	status = uwg_loop_run(l);
	uwg_loop_free(l);
	uwg_log_info("%s shut down", o->ifname);
	uwg_log_close();
	return status;
}

/* stdin, stdout and (unless the log stays there) stderr onto /dev/null. */
static void detach_stdio(bool keep_stderr)
{
	int fd = open("/dev/null", O_RDWR | O_CLOEXEC);

	if (fd < 0)
		return;
	dup2(fd, STDIN_FILENO);
	dup2(fd, STDOUT_FILENO);
	if (!keep_stderr)
		dup2(fd, STDERR_FILENO);
	if (fd > STDERR_FILENO)
		close(fd);
}

/*
 * The fds the caller handed us beyond stdio (a pipe it reads until EOF, say),
 * noted before we open anything of our own, so the daemon can drop exactly
 * those and never one of ours (or a library's).
 */
static struct {
	int fd[256];
	size_t n;
} inherited;

static void note_inherited(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;

	if (!d)
		return;
	while ((e = readdir(d)) && inherited.n < sizeof(inherited.fd) / sizeof(inherited.fd[0])) {
		char *end;
		long fd = strtol(e->d_name, &end, 10);

		if (e->d_name[0] != '.' && !*end && fd > STDERR_FILENO && fd != dirfd(d))
			inherited.fd[inherited.n++] = (int)fd;
	}
	closedir(d);
}

static void close_inherited(void)
{
	for (size_t i = 0; i < inherited.n; i++)
		close(inherited.fd[i]);
}

/* Parent side: waits for the child's readiness byte or error text. */
static int wait_ready(int fd, pid_t child, const char *prog)
{
	char buf[513];
	size_t len = 0;
	ssize_t n;
	int wstatus;

	while (len < sizeof(buf) - 1) {
		n = read(fd, buf + len, sizeof(buf) - 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		if (len == 0 && buf[0] == '\0')
			return 0;
		len += (size_t)n;
	}
	close(fd);
	buf[len] = '\0';
	if (len) {
		fprintf(stderr, "%s: %s\n", prog, buf);
	} else {
		while (waitpid(child, &wstatus, 0) < 0 && errno == EINTR)
			;
		fprintf(stderr, "%s: the daemon exited during setup\n", prog);
	}
	return 1;
}

int uwg_daemon_main(int argc, char **argv)
{
	struct uwg_uapi_sock sock;
	struct uwg_privsep ps;
	struct uwg_tun tun;
	struct options o;
	enum uwg_log_stderr kind;
	bool keep;
	int ret, pipefd[2];
	pid_t pid;

	note_inherited();
	if (parse_options(argc, argv, &o) < 0)
		return 1;
	/* Before anything can hold a key: the TUN and socket come next, keys later over UAPI. */
	if (!o.allow_coredump) {
		ret = forbid_core_dumps();
		if (ret < 0) {
			fprintf(stderr, "%s: cannot disable core dumps: %s\n", argv[0],
				strerror(-ret));
			return 1;
		}
	}
	raise_fd_limit();
	if (uwg_privsep_init(&ps, o.user, o.allow_coredump) < 0) {
		fprintf(stderr, "%s: UWG_USER=%s: no such user\n", argv[0], o.user);
		return 1;
	}
	uwg_log_set_tag(o.ifname);
	kind = uwg_log_stderr_kind(o.journal_stream);
	if (kind == UWG_LOG_STDERR_JOURNAL)
		uwg_log_to_stderr(true);
	if (o.log_file) {
		ret = uwg_log_to_file(o.log_file);
		if (ret < 0) {
			fprintf(stderr, "%s: cannot open log file %s: %s\n", argv[0], o.log_file,
				strerror(-ret));
			return 1;
		}
	}
	if (uwg_crypto_init() < 0) {
		fprintf(stderr, "%s: cannot initialise libsodium\n", argv[0]);
		return 1;
	}
	/* A client hanging up mid-reply must not kill the daemon. */
	signal(SIGPIPE, SIG_IGN);

	ret = uwg_tun_open(&tun, o.ifname);
	if (ret < 0) {
		fprintf(stderr, "%s: failed to create TUN device %s: %s\n", argv[0], o.ifname,
			ret == -EINVAL ? "invalid interface name or existing non-TUN interface"
				       : strerror(-ret));
		return 1;
	}
	ret = uwg_uapi_listen(tun.name, &sock);
	if (ret < 0) {
		if (ret == -EADDRINUSE)
			fprintf(stderr, "%s: UAPI socket %s/%s.sock is in use by another process\n",
				argv[0], UWG_UAPI_DIR, tun.name);
		else
			fprintf(stderr, "%s: failed to create UAPI socket %s/%s.sock: %s\n", argv[0],
				UWG_UAPI_DIR, tun.name, strerror(-ret));
		uwg_tun_close(&tun);
		return 1;
	}

	if (o.foreground) {
		ret = uwg_privsep_fork(&ps, &sock);
		if (ret < 0) {
			fprintf(stderr, "%s: fork: %s\n", argv[0], strerror(-ret));
			return 1;
		}
		use_monitor(&ps, &tun);
		return serve(&o, &ps, &tun, &sock, -1);
	}

	if (pipe2(pipefd, O_CLOEXEC) < 0) {
		fprintf(stderr, "%s: pipe: %s\n", argv[0], strerror(errno));
		uwg_uapi_unlisten(&sock);
		uwg_tun_close(&tun);
		return 1;
	}
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		fprintf(stderr, "%s: fork: %s\n", argv[0], strerror(errno));
		uwg_uapi_unlisten(&sock);
		uwg_tun_close(&tun);
		return 1;
	}
	if (pid > 0) {
		/* The child owns the device and the socket now: close, never unlink. */
		close(pipefd[1]);
		close(sock.fd);
		uwg_tun_close(&tun);
		return wait_ready(pipefd[0], pid, argv[0]);
	}
	close(pipefd[0]);
	setsid();
	if (chdir("/") < 0)
		(void)0;
	/*
	 * The log stays on stderr under systemd and on a terminal or file; a
	 * pipe's reader would wait for us to exit (wireguard-go's trap), so the
	 * log goes to syslog then, as with /dev/null.
	 */
	keep = !o.log_file && (kind == UWG_LOG_STDERR_JOURNAL || kind == UWG_LOG_STDERR_KEEP);
	detach_stdio(keep);
	close_inherited();
	if (!o.log_file && !keep)
		uwg_log_to_syslog();
	ret = uwg_privsep_fork(&ps, &sock);
	if (ret < 0) {
		report(pipefd[1], "fork: %s", strerror(-ret));
		return 1;
	}
	use_monitor(&ps, &tun);
	return serve(&o, &ps, &tun, &sock, pipefd[1]);
}
