/*
 * cli/cmd_quick.c - shared wg-quick machinery: config lookup, processes and
 * hooks, signals during up/down, the state file of what `up` added and its
 * undo, DNS through resolvconf, and SaveConfig. Main thread only.
 */
#include "cli/cmd_quick.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cli/cmd_main.h"
#include "cli/uapi_client.h"
#include "tun/steer.h"
#include "tun/wan.h"

void uwg_quick_trace(const char *fmt, ...)
{
	va_list ap;

	fputs("[#] ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t a = strlen(s), b = strlen(suffix);

	return a >= b && !strcmp(s + a - b, suffix);
}

int uwg_quick_locate(struct uwg_quick *q, const char *arg, const char *cmd)
{
	const char *base, *dir_end;
	char dir[PATH_MAX];
	struct stat st, dst;
	size_t n;

	memset(q, 0, sizeof(*q));
	uwg_conf_init(&q->conf);
	if (uwg_conf_valid_ifname(arg) && !ends_with(arg, ".conf"))
		snprintf(q->path, sizeof(q->path), "/etc/wireguard/%s.conf", arg);
	else if ((size_t)snprintf(q->path, sizeof(q->path), "%s", arg) >= sizeof(q->path))
		goto bad_name;
	base = strrchr(q->path, '/');
	base = base ? base + 1 : q->path;
	n = strlen(base);
	if (n <= 5 || !ends_with(base, ".conf") || n - 5 > UWG_CONF_IFNAME_MAX)
		goto bad_name;
	memcpy(q->ifname, base, n - 5);
	q->ifname[n - 5] = '\0';
	if (!uwg_conf_valid_ifname(q->ifname))
		goto bad_name;
	if (stat(q->path, &st) < 0) {
		fprintf(stderr, "uwg %s: `%s' does not exist\n", cmd, q->path);
		return -1;
	}
	/* wg-quick's test: both the file and its directory open to others. */
	dir_end = strrchr(q->path, '/');
	if (!dir_end)
		snprintf(dir, sizeof(dir), ".");
	else
		snprintf(dir, sizeof(dir), "%.*s", (int)(dir_end == q->path ? 1 : dir_end - q->path),
			 q->path);
	if (!stat(dir, &dst) && (st.st_mode & dst.st_mode & 0007))
		fprintf(stderr, "Warning: `%s' is world accessible\n", q->path);
	return 0;
bad_name:
	fprintf(stderr, "uwg %s: `%s': the config file must be a valid interface name "
		"([a-zA-Z0-9_=+.-], 1-15 characters) followed by .conf\n", cmd, arg);
	return -1;
}

int uwg_quick_load(struct uwg_quick *q, const char *arg, const char *cmd)
{
	char err[UWG_CONF_ERR_LEN];

	if (uwg_quick_locate(q, arg, cmd))
		return -1;
	if (uwg_conf_load(&q->conf, q->path, err, sizeof(err))) {
		fprintf(stderr, "%s\n", err);
		uwg_conf_free(&q->conf);
		return -1;
	}
	return 0;
}

void uwg_quick_free(struct uwg_quick *q)
{
	uwg_conf_free(&q->conf);
}

static sigset_t blocked, saved;
static bool signals_blocked;

void uwg_quick_block_signals(void)
{
	sigemptyset(&blocked);
	sigaddset(&blocked, SIGINT);
	sigaddset(&blocked, SIGTERM);
	sigaddset(&blocked, SIGHUP);
	sigprocmask(SIG_BLOCK, &blocked, &saved);
	signals_blocked = true;
}

bool uwg_quick_interrupted(void)
{
	sigset_t pending;
	struct timespec zero = { 0, 0 };
	bool any = false;

	if (!signals_blocked || sigpending(&pending) < 0)
		return false;
	while (sigismember(&pending, SIGINT) || sigismember(&pending, SIGTERM) ||
	       sigismember(&pending, SIGHUP)) {
		any = true;
		if (sigtimedwait(&blocked, NULL, &zero) < 0 || sigpending(&pending) < 0)
			break;
	}
	return any;
}

/* uwg_quick_run inside namespace netns (NULL: this one), entered by the child alone. */
static int run_in(char *const argv[], const char *stdin_text, const char *netns)
{
	int pipefd[2] = { -1, -1 }, status, nsfd = -1;
	pid_t pid;

	if (netns) {
		nsfd = uwg_tun_netns_open(netns);
		if (nsfd < 0)
			return nsfd;
	}
	if (stdin_text && pipe2(pipefd, O_CLOEXEC) < 0) {
		int e = -errno;

		if (nsfd >= 0)
			close(nsfd);
		return e;
	}
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		int e = -errno;

		if (stdin_text) {
			close(pipefd[0]);
			close(pipefd[1]);
		}
		if (nsfd >= 0)
			close(nsfd);
		return e;
	}
	if (pid == 0) {
		if (signals_blocked)
			sigprocmask(SIG_SETMASK, &saved, NULL);
		if (nsfd >= 0 && setns(nsfd, CLONE_NEWNET) < 0) {
			fprintf(stderr, "uwg: cannot enter namespace %s: %s\n", netns,
				strerror(errno));
			_exit(127);
		}
		if (stdin_text && dup2(pipefd[0], STDIN_FILENO) < 0)
			_exit(127);
		execvp(argv[0], argv);
		fprintf(stderr, "uwg: cannot run %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	if (stdin_text) {
		size_t len = strlen(stdin_text), off = 0;

		close(pipefd[0]);
		signal(SIGPIPE, SIG_IGN);
		while (off < len) {
			ssize_t w = write(pipefd[1], stdin_text + off, len - off);

			if (w < 0 && errno == EINTR)
				continue;
			if (w <= 0)
				break;
			off += (size_t)w;
		}
		close(pipefd[1]);
	}
	if (nsfd >= 0)
		close(nsfd);
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -errno;
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	return 128 + WTERMSIG(status);
}

int uwg_quick_run(char *const argv[], const char *stdin_text)
{
	return run_in(argv, stdin_text, NULL);
}

/* cmd with every "%i" replaced by ifname (malloc'd). */
static char *expand(const char *cmd, const char *ifname)
{
	size_t n = 0, il = strlen(ifname);
	char *out, *o;

	for (const char *s = cmd; *s; s++)
		n += (s[0] == '%' && s[1] == 'i') ? il : 1;
	out = malloc(n + 1);
	if (!out)
		return NULL;
	o = out;
	for (const char *s = cmd; *s; s++) {
		if (s[0] == '%' && s[1] == 'i') {
			memcpy(o, ifname, il);
			o += il;
			s++;
		} else {
			*o++ = *s;
		}
	}
	*o = '\0';
	return out;
}

int uwg_quick_hooks(const struct uwg_quick *q, enum uwg_conf_hook phase)
{
	for (size_t i = 0; i < q->conf.n_hooks[phase]; i++) {
		char *cmd = expand(q->conf.hooks[phase][i], q->ifname);
		char *argv[] = { "bash", "-c", cmd, NULL };
		int ret;

		if (!cmd)
			return -1;
		if (q->netns[0])
			uwg_quick_trace("ip netns exec %s bash -c '%s'", q->netns, cmd);
		else
			uwg_quick_trace("%s", cmd);
		ret = run_in(argv, NULL, q->netns[0] ? q->netns : NULL);
		if (ret) {
			fprintf(stderr, "uwg: hook `%s' failed (%s %d)\n", cmd,
				ret < 0 ? "error" : "exit status", ret < 0 ? -ret : ret);
			free(cmd);
			return -1;
		}
		free(cmd);
	}
	return 0;
}

/* ---- state file ---- */

unsigned long long uwg_quick_netns_id(void)
{
	struct stat st;

	return stat("/proc/self/ns/net", &st) ? 0 : (unsigned long long)st.st_ino;
}

void uwg_quick_state_init(struct uwg_quick_state *s, const char *ifname)
{
	memset(s, 0, sizeof(*s));
	snprintf(s->ifname, sizeof(s->ifname), "%s", ifname);
	s->netns = uwg_quick_netns_id();
}

void uwg_quick_state_free(struct uwg_quick_state *s)
{
	free(s->items);
	s->items = NULL;
	s->n = 0;
}

static void state_path(char *buf, size_t len, const char *ifname, const char *suffix)
{
	snprintf(buf, len, "%s/%s.state%s", UWG_QUICK_STATE_DIR, ifname, suffix);
}

static int family_digit(int family)
{
	return family == AF_INET6 ? 6 : 4;
}

int uwg_quick_state_save(const struct uwg_quick_state *s)
{
	char path[PATH_MAX], tmp[PATH_MAX];
	FILE *f;
	int fd;

	if (mkdir(UWG_QUICK_STATE_DIR, 0700) < 0 && errno != EEXIST)
		return -errno;
	state_path(path, sizeof(path), s->ifname, "");
	state_path(tmp, sizeof(tmp), s->ifname, ".tmp");
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	f = fdopen(fd, "w");
	if (!f) {
		close(fd);
		return -ENOMEM;
	}
	fprintf(f, "# uwg up state for %s: what `uwg down %s' removes. Do not edit.\n", s->ifname,
		s->ifname);
	fprintf(f, "netns %llu\n", s->netns);
	for (size_t i = 0; i < s->n; i++) {
		const struct uwg_quick_item *it = &s->items[i];
		char pfx[UWG_IP_PREFIX_STRLEN];

		if (it->inner)
			fputs("in-namespace ", f);
		switch (it->kind) {
		case UWG_ITEM_LINK:
			fprintf(f, "link %s\n", it->name);
			break;
		case UWG_ITEM_DNS:
			fprintf(f, "dns %s\n", it->name);
			break;
		case UWG_ITEM_NETNS:
			fprintf(f, "namespace %s created %u\n", it->name, it->made);
			break;
		case UWG_ITEM_NETNS_RESOLV:
			fprintf(f, "namespace-resolv %s made %u\n", it->name, it->made);
			break;
		case UWG_ITEM_ROUTE:
			uwg_ip_prefix_format(&it->route.dst, pfx, sizeof(pfx));
			fprintf(f, "route %s table %u ifindex %d", pfx, it->route.table,
				it->route.ifindex);
			if (it->route.gw.family) {
				uwg_ip_addr_format(&it->route.gw, pfx, sizeof(pfx));
				fprintf(f, " via %s", pfx);
			}
			fputc('\n', f);
			break;
		case UWG_ITEM_RULE:
			fprintf(f, "rule %d priority %u table %u fwmark %u invert %d suppress %d\n",
				family_digit(it->rule.family), it->rule.priority, it->rule.table,
				it->rule.fwmark, it->rule.invert ? 1 : 0,
				it->rule.suppress_prefixlen);
			break;
		}
	}
	if (fflush(f) || fsync(fd) || ferror(f)) {
		int e = errno ? -errno : -EIO;

		fclose(f);
		unlink(tmp);
		return e;
	}
	fclose(f);
	if (rename(tmp, path) < 0) {
		int e = -errno;

		unlink(tmp);
		return e;
	}
	return 0;
}

int uwg_quick_state_add(struct uwg_quick_state *s, const struct uwg_quick_item *it)
{
	struct uwg_quick_item *v = realloc(s->items, (s->n + 1) * sizeof(*v));

	if (!v)
		return -ENOMEM;
	s->items = v;
	s->items[s->n++] = *it;
	return uwg_quick_state_save(s);
}

static bool parse_state_line(const char *line, struct uwg_quick_item *it)
{
	char word[64], pfx[64];
	int fam, inv, sup, idx;
	unsigned prio, table, mark;

	memset(it, 0, sizeof(*it));
	if (!strncmp(line, "in-namespace ", 13)) {
		if (!parse_state_line(line + 13, it) || it->kind != UWG_ITEM_ROUTE)
			return false;
		it->inner = true;
		return true;
	}
	if ((sscanf(line, "namespace %63s created %u", word, &mark) == 2 ||
	     sscanf(line, "namespace-resolv %63s made %u", word, &mark) == 2) &&
	    uwg_tun_netns_valid_name(word)) {
		it->kind = line[9] == '-' ? UWG_ITEM_NETNS_RESOLV : UWG_ITEM_NETNS;
		snprintf(it->name, sizeof(it->name), "%s", word);
		it->made = mark;
		return true;
	}
	if (sscanf(line, "link %63s", word) == 1 && uwg_conf_valid_ifname(word)) {
		it->kind = UWG_ITEM_LINK;
		snprintf(it->name, sizeof(it->name), "%s", word);
		return true;
	}
	if (sscanf(line, "dns %63s", word) == 1) {
		it->kind = UWG_ITEM_DNS;
		snprintf(it->name, sizeof(it->name), "%s", word);
		return true;
	}
	if (sscanf(line, "route %63s table %u ifindex %d", pfx, &table, &idx) == 3 &&
	    uwg_ip_prefix_parse(&it->route.dst, pfx, false)) {
		const char *via = strstr(line, " via ");

		if (via && (sscanf(via, " via %63s", word) != 1 ||
			    !uwg_ip_addr_parse(&it->route.gw, word)))
			return false;
		it->kind = UWG_ITEM_ROUTE;
		it->route.table = table;
		it->route.ifindex = idx;
		return true;
	}
	if (sscanf(line, "rule %d priority %u table %u fwmark %u invert %d suppress %d", &fam,
		   &prio, &table, &mark, &inv, &sup) == 6 && (fam == 4 || fam == 6) && prio) {
		it->kind = UWG_ITEM_RULE;
		it->rule.family = fam == 6 ? AF_INET6 : AF_INET;
		it->rule.priority = prio;
		it->rule.table = table;
		it->rule.fwmark = mark;
		it->rule.invert = inv != 0;
		it->rule.suppress_prefixlen = sup;
		return true;
	}
	return false;
}

int uwg_quick_state_load(struct uwg_quick_state *s, const char *ifname)
{
	char path[PATH_MAX], line[256];
	FILE *f;

	uwg_quick_state_init(s, ifname);
	s->netns = 0;
	state_path(path, sizeof(path), ifname, "");
	f = fopen(path, "re");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		struct uwg_quick_item it;
		struct uwg_quick_item *v;

		if (line[0] == '#' || line[0] == '\n')
			continue;
		if (sscanf(line, "netns %llu", &s->netns) == 1)
			continue;
		if (!parse_state_line(line, &it)) {
			fprintf(stderr, "Warning: %s: ignoring unrecognised line: %s", path, line);
			continue;
		}
		v = realloc(s->items, (s->n + 1) * sizeof(*v));
		if (!v) {
			fclose(f);
			return -ENOMEM;
		}
		s->items = v;
		s->items[s->n++] = it;
	}
	fclose(f);
	return 0;
}

void uwg_quick_describe_rule(const struct uwg_nl_rule *r, bool add, char *buf, size_t len)
{
	char sel[64] = "", tbl[32];

	if (r->fwmark)
		snprintf(sel, sizeof(sel), "%sfwmark %u ", r->invert ? "not " : "", r->fwmark);
	if (r->table == 254)
		snprintf(tbl, sizeof(tbl), "main");
	else
		snprintf(tbl, sizeof(tbl), "%u", r->table);
	if (r->suppress_prefixlen >= 0)
		snprintf(buf, len, "ip -%d rule %s %stable %s suppress_prefixlength %d priority %u",
			 family_digit(r->family), add ? "add" : "delete", sel, tbl,
			 r->suppress_prefixlen, r->priority);
	else
		snprintf(buf, len, "ip -%d rule %s %stable %s priority %u", family_digit(r->family),
			 add ? "add" : "delete", sel, tbl, r->priority);
}

void uwg_quick_describe_route(const struct uwg_nl_route *r, const char *ifname, const char *netns,
			      bool add, char *buf, size_t len)
{
	char pfx[UWG_IP_PREFIX_STRLEN], tbl[32] = "", ns[UWG_NETNS_NAME_MAX + 8] = "";

	uwg_ip_prefix_format(&r->dst, pfx, sizeof(pfx));
	if (r->table != 254)
		snprintf(tbl, sizeof(tbl), " table %u", r->table);
	if (netns)
		snprintf(ns, sizeof(ns), "-n %s ", netns);
	if (r->gw.family) {
		char gw[UWG_IP_PREFIX_STRLEN];

		uwg_ip_addr_format(&r->gw, gw, sizeof(gw));
		snprintf(buf, len, "ip %s-%d route %s %s via %s dev %s%s onlink", ns,
			 family_digit(r->dst.family), add ? "add" : "delete", pfx, gw, ifname, tbl);
		return;
	}
	snprintf(buf, len, "ip %s-%d route %s %s dev %s%s", ns, family_digit(r->dst.family),
		 add ? "add" : "delete", pfx, ifname, tbl);
}

struct uwg_netlink *uwg_quick_netns_netlink(const char *netns)
{
	struct uwg_netlink *nl = NULL;
	int err;

	if (!netns || !netns[0] || !uwg_tun_netns_exists(netns))
		return NULL;
	err = uwg_tun_netns_netlink(netns, &nl);
	if (err)
		fprintf(stderr, "Warning: cannot enter namespace %s: %s\n", netns, strerror(-err));
	return err ? NULL : nl;
}

const char *uwg_quick_state_netns(const struct uwg_quick_state *s)
{
	for (size_t i = 0; i < s->n; i++)
		if (s->items[i].kind == UWG_ITEM_NETNS)
			return s->items[i].name;
	return NULL;
}

/*
 * Deletes the link and waits (up to 5 s) for its daemon to be gone: its
 * socket file goes last, so a `uwg up` right after finds the port free.
 */
static int remove_link(struct uwg_netlink *nl, bool trace, const char *name)
{
	int idx = uwg_netlink_link_index(nl, name), err = 0;

	if (idx > 0) {
		if (trace)
			uwg_quick_trace("ip link delete dev %s", name);
		err = uwg_netlink_link_delete(nl, idx);
		if (err == -ENODEV)
			err = 0;
		if (err)
			fprintf(stderr, "uwg: cannot delete %s: %s\n", name, strerror(-err));
	}
	for (int i = 0; i < 250 && uwg_uapi_client_socket_present(name); i++) {
		struct timespec ts = { 0, 20 * 1000 * 1000 };

		nanosleep(&ts, NULL);
	}
	return err;
}

static int resolv_unset(const struct uwg_quick_item *it);

int uwg_quick_state_undo(struct uwg_quick_state *s, struct uwg_netlink *nl)
{
	char path[PATH_MAX], buf[256];
	bool same_ns = !s->netns || s->netns == uwg_quick_netns_id();
	const char *netns = uwg_quick_state_netns(s);
	/* Nothing inside a namespace that is gone needs removing: it went with it. */
	struct uwg_netlink *inner = uwg_quick_netns_netlink(netns);
	int failed = 0;

	if (!same_ns)
		fprintf(stderr, "Warning: %s was brought up in another network namespace; its "
			"routes and rules there are left alone\n", s->ifname);
	for (size_t i = s->n; i-- > 0;) {
		const struct uwg_quick_item *it = &s->items[i];
		struct uwg_netlink *where = it->inner ? inner : nl;
		int err = 0;

		bool by_name = it->kind == UWG_ITEM_DNS || it->kind == UWG_ITEM_NETNS ||
			       it->kind == UWG_ITEM_NETNS_RESOLV;

		if (it->inner ? !inner : !same_ns && !by_name)
			continue;
		switch (it->kind) {
		case UWG_ITEM_RULE:
			uwg_quick_describe_rule(&it->rule, false, buf, sizeof(buf));
			uwg_quick_trace("%s", buf);
			err = uwg_netlink_rule_del(where, &it->rule);
			break;
		case UWG_ITEM_ROUTE:
			/* Routes through the link vanish with it; only ones still there matter. */
			uwg_quick_describe_route(&it->route, s->ifname, it->inner ? netns : NULL, false,
						 buf, sizeof(buf));
			err = uwg_netlink_route_del(where, &it->route);
			if (err == -ENODEV || err == -EINVAL)
				err = 0;
			break;
		case UWG_ITEM_DNS:
			err = uwg_quick_dns_unset(it->name);
			break;
		case UWG_ITEM_NETNS_RESOLV:
			err = resolv_unset(it);
			break;
		case UWG_ITEM_LINK:
			/* Moved into the namespace unless up failed before, or someone moved it back. */
			if (inner && uwg_netlink_link_index(inner, it->name) > 0) {
				uwg_quick_trace("ip -n %s link delete dev %s", netns, it->name);
				err = remove_link(inner, false, it->name);
			} else {
				err = remove_link(nl, true, it->name);
			}
			break;
		case UWG_ITEM_NETNS:
			/* The netlink socket inside would keep the namespace alive. */
			uwg_netlink_close(inner);
			inner = NULL;
			if (!it->made || !uwg_tun_netns_exists(it->name))
				break;
			uwg_quick_trace("ip netns delete %s", it->name);
			err = uwg_tun_netns_delete(it->name);
			if (err)
				fprintf(stderr, "uwg: ip netns delete %s: %s\n", it->name,
					strerror(-err));
			break;
		}
		if (err == -ENOENT)
			err = 0;
		if (err) {
			if (it->kind == UWG_ITEM_RULE || it->kind == UWG_ITEM_ROUTE)
				fprintf(stderr, "uwg: %s: %s\n", buf, strerror(-err));
			else if (it->kind == UWG_ITEM_DNS)
				fprintf(stderr, "uwg: resolvconf -d %s failed\n", it->name);
			failed++;
		}
	}
	uwg_netlink_close(inner);
	state_path(path, sizeof(path), s->ifname, "");
	if (!failed)
		unlink(path);
	return failed;
}

/* ---- DNS ---- */

static bool have_program(const char *name)
{
	const char *path = getenv("PATH");
	char buf[PATH_MAX];

	if (!path)
		path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
	while (*path) {
		size_t n = strcspn(path, ":");

		snprintf(buf, sizeof(buf), "%.*s/%s", (int)n, path, name);
		if (n && !access(buf, X_OK))
			return true;
		path += n + (path[n] == ':');
	}
	return false;
}

/* resolvconf's record name: "PREFIX.IF" when interface-order has a "PREFIX*" line. */
static void dns_record(const char *ifname, char *buf, size_t len)
{
	FILE *f = fopen("/etc/resolvconf/interface-order", "re");
	char line[128];

	snprintf(buf, len, "%s", ifname);
	while (f && fgets(line, sizeof(line), f)) {
		size_t n = strspn(line, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
				  "0123456789-");

		if (n && line[n] == '*' && (line[n + 1] == '\n' || !line[n + 1])) {
			snprintf(buf, len, "%.*s.%s", (int)n, line, ifname);
			break;
		}
	}
	if (f)
		fclose(f);
}

/* resolv.conf lines for DNS (malloc'd), or NULL. */
static char *resolv_text(const struct uwg_conf *c)
{
	size_t len = 64;
	char *text;

	for (size_t i = 0; i < c->n_dns; i++)
		len += strlen(c->dns[i]) + 12;
	for (size_t i = 0; i < c->n_dns_search; i++)
		len += strlen(c->dns_search[i]) + 1;
	text = malloc(len);
	if (!text)
		return NULL;
	text[0] = '\0';
	for (size_t i = 0; i < c->n_dns; i++) {
		strcat(text, "nameserver ");
		strcat(text, c->dns[i]);
		strcat(text, "\n");
	}
	if (c->n_dns_search) {
		strcat(text, "search");
		for (size_t i = 0; i < c->n_dns_search; i++) {
			strcat(text, " ");
			strcat(text, c->dns_search[i]);
		}
		strcat(text, "\n");
	}
	return text;
}

struct resolv_paths {
	char dir[128], file[128], saved[128];
};

static void resolv_paths(const char *netns, struct resolv_paths *p)
{
	snprintf(p->dir, sizeof(p->dir), "/etc/netns/%.63s", netns);
	snprintf(p->file, sizeof(p->file), "/etc/netns/%.63s/resolv.conf", netns);
	/* Not inside the directory: `ip netns exec` bind-mounts every file there into /etc. */
	snprintf(p->saved, sizeof(p->saved), "/etc/netns/%.63s.resolv.conf.uwg-saved", netns);
}

/* "printf 'nameserver X\n...' > FILE", the shell command equivalent to writing text. */
static void trace_write(const char *text, const char *file)
{
	char buf[512];
	size_t o = 0;

	for (const char *t = text; *t && o + 3 < sizeof(buf); t++) {
		if (*t == '\n') {
			buf[o++] = '\\';
			buf[o++] = 'n';
		} else {
			buf[o++] = *t;
		}
	}
	buf[o] = '\0';
	uwg_quick_trace("printf '%s' > %s", buf, file);
}

/* The `ip netns exec` convention: /etc/netns/NAME/resolv.conf is the namespace's resolver. */
static int resolv_set(const struct uwg_quick *q, const char *text, struct uwg_quick_state *s)
{
	struct uwg_quick_item it = { .kind = UWG_ITEM_NETNS_RESOLV };
	struct resolv_paths p;
	size_t len = strlen(text);
	int fd, err;

	snprintf(it.name, sizeof(it.name), "%s", q->netns);
	resolv_paths(q->netns, &p);
	if (mkdir("/etc/netns", 0755) == 0)
		it.made |= UWG_RESOLV_MADE_TOP;
	else if (errno != EEXIST)
		goto fail;
	if (mkdir(p.dir, 0755) == 0)
		it.made |= UWG_RESOLV_MADE_DIR;
	else if (errno != EEXIST)
		goto fail;
	/* Someone's own resolver for the namespace comes back at down. */
	if (!access(p.file, F_OK)) {
		if (!access(p.saved, F_OK)) {
			fprintf(stderr, "uwg up: both %s and %s exist; remove one\n", p.file, p.saved);
			err = -EEXIST;
			goto undo;
		}
		if (rename(p.file, p.saved) < 0)
			goto fail;
		it.made |= UWG_RESOLV_SAVED;
	}
	trace_write(text, p.file);
	fd = open(p.file, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (fd < 0)
		goto fail;
	if (write(fd, text, len) != (ssize_t)len || fsync(fd) < 0) {
		err = errno ? -errno : -EIO;
		close(fd);
		unlink(p.file);
		goto report;
	}
	close(fd);
	return uwg_quick_state_add(s, &it);
fail:
	err = -errno;
report:
	fprintf(stderr, "uwg up: cannot write %s: %s\n", p.file, strerror(-err));
undo:
	if (it.made & UWG_RESOLV_SAVED)
		rename(p.saved, p.file);
	if (it.made & UWG_RESOLV_MADE_DIR)
		rmdir(p.dir);
	if (it.made & UWG_RESOLV_MADE_TOP)
		rmdir("/etc/netns");
	return err;
}

static int resolv_unset(const struct uwg_quick_item *it)
{
	struct resolv_paths p;
	int err = 0;

	resolv_paths(it->name, &p);
	uwg_quick_trace("rm -f %s", p.file);
	if (unlink(p.file) < 0 && errno != ENOENT)
		err = -errno;
	if (it->made & UWG_RESOLV_SAVED) {
		uwg_quick_trace("mv %s %s", p.saved, p.file);
		if (rename(p.saved, p.file) < 0 && errno != ENOENT)
			err = -errno;
	}
	if (it->made & UWG_RESOLV_MADE_DIR)
		rmdir(p.dir);
	if (it->made & UWG_RESOLV_MADE_TOP)
		rmdir("/etc/netns");
	if (err)
		fprintf(stderr, "uwg: %s: %s\n", p.file, strerror(-err));
	return err;
}

int uwg_quick_dns_set(const struct uwg_quick *q, struct uwg_quick_state *s)
{
	const struct uwg_conf *c = &q->conf;
	struct uwg_quick_item it = { .kind = UWG_ITEM_DNS };
	char *text, *argv[] = { "resolvconf", "-a", it.name, "-m", "0", "-x", NULL };
	int ret;

	if (!c->n_dns)
		return 0;
	if (!q->netns[0] && !have_program("resolvconf")) {
		fprintf(stderr, "Warning: DNS was not applied: resolvconf(8) is not installed (DNS "
			"= ");
		for (size_t i = 0; i < c->n_dns; i++)
			fprintf(stderr, "%s%s", i ? ", " : "", c->dns[i]);
		fprintf(stderr, "). Install resolvconf or openresolv, or set the resolver in a "
			"PostUp hook.\n");
		return 0;
	}
	text = resolv_text(c);
	if (!text)
		return -ENOMEM;
	if (q->netns[0]) {
		ret = resolv_set(q, text, s);
		free(text);
		return ret;
	}
	dns_record(q->ifname, it.name, sizeof(it.name));
	uwg_quick_trace("resolvconf -a %s -m 0 -x", it.name);
	ret = uwg_quick_run(argv, text);
	free(text);
	if (ret) {
		fprintf(stderr, "uwg: resolvconf failed (%d)\n", ret);
		return -EIO;
	}
	return uwg_quick_state_add(s, &it);
}

int uwg_quick_dns_unset(const char *name)
{
	char copy[64];
	char *argv[] = { "resolvconf", "-d", copy, "-f", NULL };

	snprintf(copy, sizeof(copy), "%s", name);
	uwg_quick_trace("resolvconf -d %s -f", name);
	return uwg_quick_run(argv, NULL) ? -EIO : 0;
}

/* ---- SaveConfig ---- */

int uwg_quick_save_config(const struct uwg_quick *q, struct uwg_netlink *nl)
{
	static const char *const hook_names[UWG_HOOK_COUNT] = { "PreUp", "PostUp", "PreDown",
								"PostDown" };
	const struct uwg_conf *c = &q->conf;
	char real[PATH_MAX], tmp[PATH_MAX + 8];
	struct uwg_conf dev;
	struct uwg_nl_addr *addrs = NULL;
	size_t n_addrs = 0;
	int idx, err, fd;
	FILE *f;

	if (!realpath(q->path, real)) {
		fprintf(stderr, "uwg: %s: %s\n", q->path, strerror(errno));
		return -1;
	}
	uwg_conf_init(&dev);
	uwg_quick_trace("uwg showconf %s", q->ifname);
	err = uwg_uapi_client_get(q->ifname, &dev);
	if (err) {
		fprintf(stderr, "uwg: cannot read %s for SaveConfig: %s\n", q->ifname,
			strerror(-err));
		uwg_conf_free(&dev);
		return -1;
	}
	idx = uwg_netlink_link_index(nl, q->ifname);
	if (idx > 0)
		uwg_netlink_addr_list(nl, idx, &addrs, &n_addrs);
	snprintf(tmp, sizeof(tmp), "%s.tmp", real);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	f = fd < 0 ? NULL : fdopen(fd, "w");
	if (!f) {
		fprintf(stderr, "uwg: Could not write configuration file %s: %s\n", tmp,
			strerror(errno));
		if (fd >= 0)
			close(fd);
		free(addrs);
		uwg_conf_free(&dev);
		return -1;
	}
	fprintf(f, "[Interface]\n");
	for (size_t i = 0; i < n_addrs; i++) {
		char a[UWG_IP_PREFIX_STRLEN];
		bool configured = false;

		for (size_t j = 0; j < c->n_addrs; j++)
			configured |= uwg_ip_prefix_equal(&c->addrs[j], &addrs[i].local);
		/* The kernel's own IPv6 link-local address is not configuration. */
		if (addrs[i].link_scope && !configured)
			continue;
		uwg_ip_prefix_format(&addrs[i].local, a, sizeof(a));
		fprintf(f, "Address = %s\n", a);
	}
	for (size_t i = 0; i < c->n_dns; i++)
		fprintf(f, "DNS = %s\n", c->dns[i]);
	for (size_t i = 0; i < c->n_dns_search; i++)
		fprintf(f, "DNS = %s\n", c->dns_search[i]);
	if (c->mtu && idx > 0) {
		uint32_t mtu;

		if (!uwg_netlink_link_mtu(nl, idx, &mtu))
			fprintf(f, "MTU = %u\n", mtu);
	}
	if (c->table_str)
		fprintf(f, "Table = %s\n", c->table_str);
	if (c->save_config)
		fprintf(f, "SaveConfig = true\n");
	if (c->netns)
		fprintf(f, "Namespace = %s\n", c->netns);
	for (int i = 0; i < 2; i++) {
		const struct uwg_ip_prefix *g = i ? &c->gw6 : &c->gw4;
		char a[UWG_IP_PREFIX_STRLEN];

		if (g->family) {
			uwg_ip_addr_format(g, a, sizeof(a));
			fprintf(f, "Gateway = %s\n", a);
		}
	}
	for (int h = 0; h < UWG_HOOK_COUNT; h++)
		for (size_t i = 0; i < c->n_hooks[h]; i++)
			fprintf(f, "%s = %s\n", hook_names[h], c->hooks[h][i]);
	uwg_nat_conf_write(f, &c->nat);
	uwg_igd_conf_write(f, &c->igd);
	uwg_fw_conf_write(f, &c->fw);
	uwg_cmd_showconf_write(f, &dev, true);
	free(addrs);
	uwg_conf_free(&dev);
	if (fflush(f) || fsync(fd) || ferror(f)) {
		fprintf(stderr, "uwg: Could not write configuration file %s\n", tmp);
		fclose(f);
		unlink(tmp);
		return -1;
	}
	fclose(f);
	if (rename(tmp, real) < 0) {
		fprintf(stderr, "uwg: Could not move configuration file into place: %s\n",
			strerror(errno));
		unlink(tmp);
		return -1;
	}
	return 0;
}

int uwg_quick_nat_flush_stale(const struct uwg_nat_settings *s, char out_ifname[IF_NAMESIZE])
{
	struct uwg_steer_config cfg = { .tun_ifname = "lo" };
	struct uwg_steer *st = NULL;
	char ifname[IF_NAMESIZE];
	uint32_t addr = 0;
	int err;

	if (!s->enable)
		return 0;
	err = uwg_tun_wan_find(s->ext_if, s->ext_addr, ifname, &addr);
	if (err == -EADDRNOTAVAIL || (!err && !addr))
		addr = 1; /* only the filters' keys use it, and none is added */
	else if (err)
		return err;
	cfg.wan_ifname = ifname;
	cfg.public_ip = addr;
	/* Opening removes everything in uwg's block, and closing leaves it empty. */
	err = uwg_steer_open(&st, &cfg);
	if (err)
		return err;
	uwg_steer_close(st);
	snprintf(out_ifname, IF_NAMESIZE, "%s", ifname);
	return 0;
}
