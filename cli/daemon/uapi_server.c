/*
 * cli/daemon/uapi_server.c - the UAPI unix socket (see cli/daemon/uapi_server.h).
 *
 * Every connection is a non-blocking fd under a uv_poll_t: replies are
 * written as the socket drains, a chunk at a time, so a get with thousands of
 * allowed IPs neither blocks the loop nor sits in memory. Requests are
 * ordered by a reader/writer config lock (wireguard-go's ipcMutex): a set
 * holds it exclusively from its first key line until its reply is written, a
 * get or stats shares it while its reply streams, so a streaming get never
 * sees peers or prefixes vanish under it and never sees half a set.
 *
 * Clients that do nothing must never lock `wg show` out, so every open
 * connection is on exactly one of three lists, each in time order:
 * - idle: holds no lock and waits for none (nothing sent yet, or a request
 *   that has not needed the lock so far), oldest first. The head is closed
 *   once it has been idle for UWG_UAPI_IDLE_TIMEOUT_MS, and evicted when a
 *   new connection finds all UWG_UAPI_MAX_CONNS taken.
 * - holders: holds the lock, least recent progress first. The head is
 *   dropped after UWG_UAPI_LOCK_TIMEOUT_MS without progress.
 * - waiting: has input that the lock does not admit yet, first come first
 *   served.
 * Accepting, evicting and expiring thus look only at the connections they
 * act on. Loop thread only.
 */
#include "cli/daemon/uapi_server.h"

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/daemon/log.h"
#include "crypto/ct.h"

enum { CONN_IN_BUF = 4096, ACCEPT_BUDGET = 16, TICK_MS = 1000 };

/* A circular doubly linked list with a sentinel head; a node unlinks itself. */
struct link {
	struct link *prev, *next;
};

enum conn_list { LIST_NONE, LIST_IDLE, LIST_HOLDERS, LIST_WAITING };

struct conn {
	struct uwg_uapi_server *srv;
	struct link link;    /* on srv->idle, holders or waiting while open */
	enum conn_list list;
	uint64_t since;      /* uv_now when it joined its list (holders: last progress) */
	uint64_t wait_seq;   /* arrival order on the waiting list */
	uv_poll_t poll;
	int fd;
	int events;          /* what poll is started with */
	bool closing;
	bool eof;
	bool reading;        /* holds the lock shared (a get/stats reply is streaming) */
	size_t in_len, in_off;
	uint8_t in[CONN_IN_BUF];
	struct uwg_uapi uapi;
};

struct uwg_uapi_server {
	uv_loop_t *loop;
	struct uwg_uapi_sock sock;
	uv_poll_t listen_poll;
	int inotify_fd;
	uv_poll_t inotify_poll;
	uv_timer_t tick;
	struct link idle, holders, waiting;
	unsigned nconns;     /* open; closing ones are freed on the next loop turn */
	uint64_t wait_seq;
	struct conn *writer; /* holds the config lock exclusively (a set) */
	unsigned readers;    /* connections holding it shared */
	struct uwg_wg *wg;
	const struct uwg_uapi_io *io;
	void (*gone)(void *ctx);
	void *ctx;
	bool gone_reported;
	bool stopping;
	unsigned open_handles;
	struct uwg_log_limit log_limit;
};

/* ---- the listening socket (main thread, before the loop) ---- */

int uwg_uapi_listen(const char *ifname, struct uwg_uapi_sock *sock)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct stat st;
	mode_t old;
	int fd, ret, n;

	sock->fd = -1;
	n = snprintf(sock->path, sizeof(sock->path), "%s/%s.sock", UWG_UAPI_DIR, ifname);
	if (n < 0 || (size_t)n >= sizeof(sock->path))
		return -ENAMETOOLONG;
	memcpy(sa.sun_path, sock->path, (size_t)n + 1);
	if (mkdir(UWG_UAPI_DIR, 0755) < 0 && errno != EEXIST)
		return -errno;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	for (int attempt = 0;; attempt++) {
		/* umask, not chmod: the file is never reachable with wider permissions. */
		old = umask(077);
		ret = bind(fd, (struct sockaddr *)&sa, sizeof(sa));
		umask(old);
		if (ret == 0)
			break;
		ret = -errno;
		if (ret != -EADDRINUSE || attempt > 0)
			goto err;
		/* Someone answering means a live daemon; otherwise the file is stale. */
		{
			int probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
			bool live = probe >= 0 &&
				    connect(probe, (struct sockaddr *)&sa, sizeof(sa)) == 0;

			if (probe >= 0)
				close(probe);
			if (live)
				goto err;
		}
		if (unlink(sock->path) < 0 && errno != ENOENT) {
			ret = -errno;
			goto err;
		}
	}
	if (listen(fd, 128) < 0 || stat(sock->path, &st) < 0) {
		ret = -errno;
		unlink(sock->path);
		goto err;
	}
	sock->fd = fd;
	sock->dev = st.st_dev;
	sock->ino = st.st_ino;
	sock->ctime = st.st_ctim;
	return 0;
err:
	close(fd);
	return ret;
}

bool uwg_uapi_sock_is_ours(const struct uwg_uapi_sock *sock)
{
	struct stat st;

	return lstat(sock->path, &st) == 0 && st.st_dev == sock->dev && st.st_ino == sock->ino &&
	       st.st_ctim.tv_sec == sock->ctime.tv_sec && st.st_ctim.tv_nsec == sock->ctime.tv_nsec;
}

void uwg_uapi_unlisten(struct uwg_uapi_sock *sock)
{
	if (sock->fd < 0)
		return;
	/* Never remove a socket a newer daemon put in our place. */
	if (uwg_uapi_sock_is_ours(sock))
		unlink(sock->path);
	close(sock->fd);
	sock->fd = -1;
}

/* ---- connection lists ---- */

static void list_init(struct link *head)
{
	head->prev = head->next = head;
}

static bool list_empty(const struct link *head)
{
	return head->next == head;
}

static void link_del(struct link *l)
{
	l->prev->next = l->next;
	l->next->prev = l->prev;
	l->prev = l->next = l;
}

static void link_add_tail(struct link *head, struct link *l)
{
	l->prev = head->prev;
	l->next = head;
	head->prev->next = l;
	head->prev = l;
}

static struct conn *conn_of(struct link *l)
{
	return (struct conn *)(void *)((char *)l - offsetof(struct conn, link));
}

/*
 * Moves c to the tail of a list, stamped now. Stamps only grow (uv_now is
 * monotonic), so every list stays in stamp order and its head is the first
 * to expire or to be evicted.
 */
static void conn_place(struct conn *c, enum conn_list list)
{
	struct uwg_uapi_server *srv = c->srv;

	link_del(&c->link);
	c->list = list;
	c->since = uv_now(srv->loop);
	switch (list) {
	case LIST_IDLE:
		link_add_tail(&srv->idle, &c->link);
		break;
	case LIST_HOLDERS:
		link_add_tail(&srv->holders, &c->link);
		break;
	case LIST_WAITING:
		c->wait_seq = ++srv->wait_seq;
		link_add_tail(&srv->waiting, &c->link);
		break;
	case LIST_NONE:
		break;
	}
}

/*
 * A byte moved. That restarts a lock holder's clock, never an idle one's: a
 * client trickling a request a byte at a time still runs out of time.
 */
static void conn_progress(struct conn *c)
{
	if (c->list == LIST_HOLDERS)
		conn_place(c, LIST_HOLDERS);
}

/* ---- connections ---- */

/* The server is freed when its last handle (its own or a connection's) has closed. */
static void handle_done(struct uwg_uapi_server *srv)
{
	if (--srv->open_handles == 0 && srv->stopping)
		free(srv);
}

static void handle_closed_cb(uv_handle_t *h)
{
	handle_done(h->data);
}

static void conn_closed_cb(uv_handle_t *h)
{
	struct conn *c = h->data;
	struct uwg_uapi_server *srv = c->srv;

	uwg_uapi_clear(&c->uapi);
	uwg_memzero(c->in, sizeof(c->in));
	free(c);
	handle_done(srv);
}

static void wake_waiters(struct uwg_uapi_server *srv);

/* Drops whatever c holds; true if the lock became free for someone else. */
static bool lock_release(struct conn *c)
{
	struct uwg_uapi_server *srv = c->srv;

	if (srv->writer == c) {
		srv->writer = NULL;
		return true;
	}
	if (c->reading) {
		c->reading = false;
		return --srv->readers == 0;
	}
	return false;
}

/*
 * Feeds buffered input as far as the lock allows: the operation line alone
 * (it has no effect), then the rest once the lock is held in the mode the
 * operation needs. False if c must wait; -1 in *err if it must be closed.
 */
static bool feed(struct conn *c, int *err)
{
	struct uwg_uapi_server *srv = c->srv;
	const uint8_t *in = c->in + c->in_off;
	size_t len = c->in_len - c->in_off;
	long used;

	switch (c->uapi.state) {
	case UWG_UAPI_IDLE: {
		const uint8_t *nl = memchr(in, '\n', len);

		if (nl)
			len = (size_t)(nl - in) + 1;
		break;
	}
	case UWG_UAPI_SET:
	case UWG_UAPI_SET_SKIP:
		if (srv->writer != c) {
			if (srv->writer || srv->readers)
				return false;
			srv->writer = c;
			conn_place(c, LIST_HOLDERS);
		}
		break;
	case UWG_UAPI_GET:
	case UWG_UAPI_STATS:
		if (srv->writer && srv->writer != c)
			return false;
		break;
	case UWG_UAPI_REPLYING:
		return true;
	}
	used = uwg_uapi_feed(&c->uapi, in, len);
	if (used < 0) {
		*err = -1;
		return true;
	}
	c->in_off += (size_t)used;
	if (c->uapi.state == UWG_UAPI_REPLYING && srv->writer != c && !c->reading) {
		c->reading = true;
		srv->readers++;
		conn_place(c, LIST_HOLDERS);
	}
	return true;
}

static void conn_close(struct conn *c)
{
	struct uwg_uapi_server *srv = c->srv;

	if (c->closing)
		return;
	c->closing = true;
	link_del(&c->link);
	c->list = LIST_NONE;
	srv->nconns--;
	/* uv_close stops polling at once; only then may the fd go. */
	uv_close((uv_handle_t *)&c->poll, conn_closed_cb);
	close(c->fd);
	if (lock_release(c) && !srv->stopping)
		wake_waiters(srv);
}

static void conn_poll_cb(uv_poll_t *h, int status, int events);

static void conn_set_events(struct conn *c, int events)
{
	if (c->closing || events == c->events)
		return;
	c->events = events;
	if (events)
		uv_poll_start(&c->poll, events, conn_poll_cb);
	else
		uv_poll_stop(&c->poll);
}

/*
 * Moves bytes until the socket would block: reply first, then buffered input
 * (when the lock allows), then fresh input.
 */
static void conn_pump(struct conn *c)
{
	struct uwg_uapi_server *srv = c->srv;
	int want = UV_READABLE;

	while (!c->closing) {
		const uint8_t *data;
		size_t n = uwg_uapi_output(&c->uapi, &data);
		ssize_t r;

		if (n) {
			r = send(c->fd, data, n, MSG_NOSIGNAL | MSG_DONTWAIT);
			if (r < 0) {
				if (errno == EINTR)
					continue;
				if (errno == EAGAIN) {
					want = UV_WRITABLE;
					break;
				}
				conn_close(c);
				return;
			}
			uwg_uapi_consume(&c->uapi, (size_t)r);
			conn_progress(c);
			continue;
		}
		if (c->uapi.state == UWG_UAPI_IDLE && (srv->writer == c || c->reading)) {
			/* The reply is out: a request is complete, the idle clock starts again. */
			bool freed = lock_release(c);

			conn_place(c, LIST_IDLE);
			if (freed)
				wake_waiters(srv);
		}
		if (c->in_off < c->in_len) {
			int err = 0;

			if (!feed(c, &err)) {
				conn_place(c, LIST_WAITING);
				want = 0;
				break;
			}
			if (err) {
				uwg_log_debug("uapi: closing connection: bad request");
				conn_close(c);
				return;
			}
			continue;
		}
		if (c->eof) {
			conn_close(c);
			return;
		}
		c->in_off = c->in_len = 0;
		r = recv(c->fd, c->in, sizeof(c->in), MSG_DONTWAIT);
		if (r > 0) {
			c->in_len = (size_t)r;
			conn_progress(c);
		} else if (r == 0) {
			c->eof = true;
		} else if (errno == EAGAIN) {
			break;
		} else if (errno != EINTR) {
			conn_close(c);
			return;
		}
	}
	if (c->closing)
		return;
	if (c->list == LIST_NONE)
		conn_place(c, LIST_IDLE); /* woken, yet what it had needed no lock after all */
	conn_set_events(c, want);
}

/*
 * The lock was released: let connections that queued input behind it
 * proceed, in arrival order, until one takes it exclusively. One that queues
 * again (a set behind readers) has had its turn in this pass.
 */
static void wake_waiters(struct uwg_uapi_server *srv)
{
	uint64_t last = srv->wait_seq;

	while (!srv->writer && !list_empty(&srv->waiting)) {
		struct conn *c = conn_of(srv->waiting.next);

		if (c->wait_seq > last)
			break;
		conn_place(c, LIST_NONE);
		conn_pump(c);
	}
}

static void conn_poll_cb(uv_poll_t *h, int status, int events)
{
	struct conn *c = h->data;

	(void)events;
	if (status < 0) {
		conn_close(c);
		return;
	}
	conn_pump(c);
}

static void listen_poll_cb(uv_poll_t *h, int status, int events)
{
	struct uwg_uapi_server *srv = h->data;

	(void)events;
	if (status < 0)
		return;
	for (int i = 0; i < ACCEPT_BUDGET; i++) {
		int fd = accept4(srv->sock.fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		struct conn *c;

		if (fd < 0) {
			if (errno != EAGAIN && errno != EINTR && errno != ECONNABORTED)
				uwg_log_limited(&srv->log_limit, uv_hrtime(), UWG_LOG_ERROR,
						"uapi: accept: %s", strerror(errno));
			return;
		}
		if (srv->nconns >= UWG_UAPI_MAX_CONNS) {
			/* Full: the longest idle connection makes room; a request never does. */
			if (list_empty(&srv->idle)) {
				uwg_log_limited(&srv->log_limit, uv_hrtime(), UWG_LOG_ERROR,
						"uapi: %d requests in progress, refusing a connection",
						UWG_UAPI_MAX_CONNS);
				close(fd);
				continue;
			}
			uwg_log_limited(&srv->log_limit, uv_hrtime(), UWG_LOG_INFO,
					"uapi: %d connections open, closing the longest idle one",
					UWG_UAPI_MAX_CONNS);
			conn_close(conn_of(srv->idle.next));
		}
		c = calloc(1, sizeof(*c));
		if (!c) {
			close(fd);
			continue;
		}
		c->srv = srv;
		c->fd = fd;
		list_init(&c->link);
		uwg_uapi_init(&c->uapi, srv->wg, srv->io);
		if (uv_poll_init(srv->loop, &c->poll, fd) < 0) {
			close(fd);
			free(c);
			continue;
		}
		c->poll.data = c;
		srv->nconns++;
		srv->open_handles++;
		conn_place(c, LIST_IDLE);
		conn_pump(c);
	}
}

/*
 * Once a second: a connection idle for UWG_UAPI_IDLE_TIMEOUT_MS (no complete
 * request) is closed, and so is a lock holder that stalled (a half-written
 * set, an unread reply) for UWG_UAPI_LOCK_TIMEOUT_MS. Both lists are in time
 * order, so the scans stop at the first one still in time.
 */
static void tick_cb(uv_timer_t *t)
{
	struct uwg_uapi_server *srv = t->data;
	uint64_t now = uv_now(srv->loop);

	while (!list_empty(&srv->idle)) {
		struct conn *c = conn_of(srv->idle.next);

		if (now - c->since < UWG_UAPI_IDLE_TIMEOUT_MS)
			break;
		uwg_log_debug("uapi: closing a connection idle for %d s",
			      UWG_UAPI_IDLE_TIMEOUT_MS / 1000);
		conn_close(c);
	}
	/* Waiters woken by a close join the holders at the tail, stamped now. */
	while (!list_empty(&srv->holders)) {
		struct conn *c = conn_of(srv->holders.next);

		if (now - c->since <= UWG_UAPI_LOCK_TIMEOUT_MS)
			break;
		uwg_log_error("uapi: dropping a connection that held the configuration lock "
			      "for %d s without progress", UWG_UAPI_LOCK_TIMEOUT_MS / 1000);
		conn_close(c);
	}
}

/* ---- socket file watch ---- */

static void inotify_poll_cb(uv_poll_t *h, int status, int events)
{
	struct uwg_uapi_server *srv = h->data;
	_Alignas(struct inotify_event) uint8_t buf[4096];

	(void)status;
	(void)events;
	while (read(srv->inotify_fd, buf, sizeof(buf)) > 0)
		;
	/* IN_ATTRIB also fires for chmod; only a missing or replaced file ends us. */
	if (!srv->gone_reported && !uwg_uapi_sock_is_ours(&srv->sock)) {
		srv->gone_reported = true;
		uv_poll_stop(&srv->inotify_poll);
		srv->gone(srv->ctx);
	}
}

int uwg_uapi_server_start(struct uwg_uapi_server **out, uv_loop_t *loop,
			  struct uwg_uapi_sock *sock, struct uwg_wg *wg,
			  const struct uwg_uapi_io *io, void (*gone)(void *ctx), void *ctx)
{
	struct uwg_uapi_server *srv = calloc(1, sizeof(*srv));
	int ret;

	if (!srv)
		return -ENOMEM;
	srv->loop = loop;
	srv->sock = *sock;
	sock->fd = -1;
	srv->wg = wg;
	srv->io = io;
	srv->gone = gone;
	srv->ctx = ctx;
	list_init(&srv->idle);
	list_init(&srv->holders);
	list_init(&srv->waiting);
	srv->log_limit.burst = 5;
	srv->log_limit.interval_ns = 10ull * 1000000000u;
	srv->inotify_fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (srv->inotify_fd < 0) {
		ret = -errno;
		goto err;
	}
	/* Unlinking a bound socket only changes its link count: that is IN_ATTRIB. */
	if (inotify_add_watch(srv->inotify_fd, srv->sock.path,
			      IN_ATTRIB | IN_DELETE_SELF | IN_MOVE_SELF) < 0) {
		ret = -errno;
		goto err;
	}
	ret = uv_poll_init(loop, &srv->listen_poll, srv->sock.fd);
	if (ret < 0)
		goto err;
	srv->listen_poll.data = srv;
	srv->open_handles++;
	uv_poll_init(loop, &srv->inotify_poll, srv->inotify_fd);
	srv->inotify_poll.data = srv;
	srv->open_handles++;
	uv_timer_init(loop, &srv->tick);
	srv->tick.data = srv;
	srv->open_handles++;
	uv_poll_start(&srv->listen_poll, UV_READABLE, listen_poll_cb);
	uv_poll_start(&srv->inotify_poll, UV_READABLE, inotify_poll_cb);
	uv_timer_start(&srv->tick, tick_cb, TICK_MS, TICK_MS);
	uv_unref((uv_handle_t *)&srv->tick);
	*out = srv;
	return 0;
err:
	if (srv->inotify_fd >= 0)
		close(srv->inotify_fd);
	*sock = srv->sock;
	free(srv);
	return ret;
}

void uwg_uapi_server_stop(struct uwg_uapi_server *srv)
{
	if (!srv || srv->stopping)
		return;
	srv->stopping = true;
	while (!list_empty(&srv->idle))
		conn_close(conn_of(srv->idle.next));
	while (!list_empty(&srv->holders))
		conn_close(conn_of(srv->holders.next));
	while (!list_empty(&srv->waiting))
		conn_close(conn_of(srv->waiting.next));
	srv->writer = NULL;
	srv->readers = 0;
	uv_close((uv_handle_t *)&srv->listen_poll, handle_closed_cb);
	uv_close((uv_handle_t *)&srv->inotify_poll, handle_closed_cb);
	uv_close((uv_handle_t *)&srv->tick, handle_closed_cb);
	close(srv->inotify_fd);
	uwg_uapi_unlisten(&srv->sock);
}
