/*
 * bench/hsstorm.c - a handshake storm: N distinct client identities each
 * complete one WireGuard handshake with one responder (uwg or wireguard-go
 * with all N public keys configured as peers) over real UDP, and the tool
 * reports how many handshakes a second the responder completed. The protocol
 * is uwg's own core/ library (core/noise.h, core/cookie.h): nothing here
 * reimplements Noise.
 *
 *   hsstorm peers -n N [-s SEED] [-f uapi|conf] [-k SERVER_PRIVATE_BASE64] [-p PORT]
 *   hsstorm storm -n N [-s SEED] [-w WINDOW] [-t SECONDS] [-r RETRY_SECONDS]
 *                 [-b BIND_ADDR[/COUNT]] ADDR PORT SERVER_PUBKEY_BASE64
 *
 * Identities are deterministic, so a script can configure the responder with
 * the same keys: client i's private key is BLAKE2s-256("uwg-hsstorm" || SEED
 * as 8 bytes LE || i as 8 bytes LE), clamped (SEED defaults to 0), and its
 * tunnel address 10.(64 + i/65536).(i/256%256).(i%256)/32, so N is at most
 * 4194304.
 *
 * peers prints the responder's side for clients 0..N-1 to stdout. -f uapi
 * (the default) prints UAPI set lines (docs/uapi.md: hex keys), one
 * "public_key=HEX\nallowed_ip=10.x.y.z/32\n" per client, preceded by
 * private_key= and listen_port= lines when -k and -p are given; the caller
 * wraps them in "set=1\n" ... "\n". -f conf prints wg(8) setconf format: an
 * [Interface] section (PrivateKey from -k, ListenPort from -p) when either is
 * given, then "[Peer]\nPublicKey = B64\nAllowedIPs = 10.x.y.z/32\n\n" per client.
 *
 * storm first prepares, untimed (progress on stderr, on all CPUs): every
 * identity, its static-static DH with the server, and one initiation each
 * (fresh ephemeral, TAI64N timestamp, random sender index, mac1), made as
 * core/send.c makes them. The timed phase then does no DH at all unless an
 * initiation has to be remade, so the responder, not the generator, is the
 * bottleneck. -b 198.51.100.10/256 binds 256 UDP sockets to 198.51.100.10,
 * .11, ... (addresses the caller has configured; ephemeral ports) and client
 * i sends from socket i % COUNT: uwg and wireguard-go, like the kernel, allow
 * a source address 20 handshakes a second once they are under load. Without
 * -b there is one unbound socket.
 *
 * The timed phase is a closed loop with at most WINDOW (default 1024)
 * clients outstanding, sent with sendmmsg per socket, received with
 * recvmmsg on the sockets epoll reports. A handshake response (92 bytes)
 * naming an outstanding client's sender index completes it; its bytes are
 * kept. A cookie reply (64 bytes) for an outstanding client is consumed by
 * its cookie maker and the same initiation, MACed again (now with mac2), is
 * sent at once: the responder did not consume it, so its timestamp is still
 * good. Unanswered for RETRY_SECONDS (default 1): the same initiation is
 * sent again, up to 3 times, then a fresh one is made (new ephemeral,
 * timestamp and sender index: the responder may have consumed the old one
 * and lost its response); a client still unanswered 10 s after its first
 * send (checked when its retry timer fires) has failed. The phase ends when
 * every client has completed or failed, or after SECONDS (default 60, at
 * most 600), when the clients not done count as failed.
 *
 * Afterwards, untimed, every kept response is checked with
 * uwg_noise_consume_response: one that does not decrypt is a bad_response,
 * not a completion. Then one JSON line goes to stdout:
 *   peers, completed, failed, bad_response (peers = their sum),
 *   cookie_replies (valid ones consumed), retransmits (same initiation sent
 *   again), regenerated (fresh initiations made), seconds (first send to the
 *   last completion), per_s (completed / seconds), sources (COUNT), window,
 *   gen_cpu_s (this process's user + system CPU over the timed phase; the
 *   veth delivery to the responder runs in the sender's system time),
 *   prepare_s, stray_rx (datagrams naming no outstanding client, duplicate
 *   or invalid cookie replies), send_errors (datagrams a send call refused;
 *   the retry timer covers them).
 * Exit status: 0 if it ran (even with failures), 2 on a usage error, 1 on a
 * setup error. IPv4 only. Built by bench/run.sh (libuwg_core.a before
 * libuwg_crypto.a, and the static libcrypto.a when the uwg build uses
 * OpenSSL's AEAD assembly; pthreads are in libc since glibc 2.34):
 *   cc -std=c11 -O2 -D_GNU_SOURCE -Wall -Wextra -I. bench/hsstorm.c \
 *      BUILD/libuwg_core.a BUILD/libuwg_crypto.a -lsodium [libcrypto.a]
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "core/cookie.h"
#include "core/messages.h"
#include "core/noise.h"
#include "crypto/blake2s.h"
#include "crypto/crypto.h"
#include "crypto/ct.h"
#include "crypto/encoding.h"
#include "crypto/x25519.h"

enum {
	MAX_PEERS = 4194304, /* 10.64.0.0 .. 10.127.255.255 */
	MAX_SECONDS = 600,
	MAX_SOURCES = 65536,
	MAX_THREADS = 64,
	MAX_RETX = 3,       /* sends of one initiation after the first, before a fresh one */
	GIVE_UP_S = 10,     /* a client's whole budget from its first send */
	TX_BATCH = 64,      /* sendmmsg */
	RX_BATCH = 64,      /* recvmmsg */
	RX_ROUNDS = 8,      /* recvmmsg calls per ready socket per wakeup */
	RX_LEN = 256,
	MAX_EVENTS = 256,
	RCVBUF = 4 << 20,
};

enum client_state { ST_IDLE, ST_SENT, ST_DONE, ST_FAILED };

struct client {
	struct uwg_noise_identity id; /* hs.identity points here */
	struct uwg_noise_handshake hs;
	struct uwg_cookie_maker cookie;
	struct uwg_msg_initiation init;
	struct uwg_msg_response resp;
	uint64_t first_sent, last_sent, done_at; /* monotonic ns */
	uint32_t index;                          /* our sender index */
	int32_t prev, next;                      /* outstanding list, oldest last_sent first */
	int32_t qnext;                           /* per-socket send queue */
	uint8_t state, retx;
	bool listed, queued;
};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * UWG_NS_PER_SEC + (uint64_t)ts.tv_nsec;
}

static double cpu_seconds(void)
{
	struct rusage ru;

	if (getrusage(RUSAGE_SELF, &ru) != 0)
		return 0;
	return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
	       (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

static int usage(void)
{
	fprintf(stderr,
		"usage: hsstorm peers -n N [-s SEED] [-f uapi|conf] [-k SERVER_PRIVATE_BASE64] "
		"[-p PORT]\n"
		"       hsstorm storm -n N [-s SEED] [-w WINDOW] [-t SECONDS] [-r RETRY_SECONDS]\n"
		"                     [-b BIND_ADDR[/COUNT]] ADDR PORT SERVER_PUBKEY_BASE64\n");
	return 2;
}

/* Whole decimal (or 0x hex) number in [lo, hi]. */
static bool parse_u64(const char *s, uint64_t lo, uint64_t hi, uint64_t *out)
{
	char *end;
	unsigned long long v;

	if (!s || !*s || *s == '-' || *s == '+' || *s == ' ')
		return false;
	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || *end || v < lo || v > hi)
		return false;
	*out = v;
	return true;
}

static bool parse_seconds(const char *s, double lo, double hi, double *out)
{
	char *end;
	double v;

	if (!s || !*s)
		return false;
	errno = 0;
	v = strtod(s, &end);
	if (errno || *end || !(v >= lo && v <= hi))
		return false;
	*out = v;
	return true;
}

/* priv = clamp(BLAKE2s-256("uwg-hsstorm" || seed LE64 || i LE64)) */
static void client_private(uint8_t priv[32], uint64_t seed, uint64_t i)
{
	static const uint8_t label[11] = { 'u', 'w', 'g', '-', 'h', 's', 's', 't', 'o', 'r', 'm' };
	struct uwg_blake2s s;
	uint8_t le[16];

	uwg_le64_store(le, seed);
	uwg_le64_store(le + 8, i);
	uwg_blake2s_init(&s, 32);
	uwg_blake2s_update(&s, label, sizeof(label));
	uwg_blake2s_update(&s, le, sizeof(le));
	uwg_blake2s_final(&s, priv);
	uwg_x25519_clamp(priv);
}

static void client_address(char out[24], uint32_t i)
{
	snprintf(out, 24, "10.%u.%u.%u", 64 + i / 65536, i / 256 % 256, i % 256);
}

/* ---------------------------------------------------------------- peers */

static int cmd_peers(int argc, char **argv)
{
	const char *format = "uapi", *server_key = NULL;
	uint64_t n = 0, seed = 0, port = 0;
	bool have_n = false, have_port = false, conf;
	static char outbuf[1 << 20];
	uint8_t server_priv[32];
	int opt;

	while ((opt = getopt(argc, argv, "n:s:f:k:p:")) != -1) {
		switch (opt) {
		case 'n':
			if (!parse_u64(optarg, 1, MAX_PEERS, &n))
				return usage();
			have_n = true;
			break;
		case 's':
			if (!parse_u64(optarg, 0, UINT64_MAX, &seed))
				return usage();
			break;
		case 'f':
			format = optarg;
			break;
		case 'k':
			server_key = optarg;
			break;
		case 'p':
			if (!parse_u64(optarg, 0, 65535, &port))
				return usage();
			have_port = true;
			break;
		default:
			return usage();
		}
	}
	if (optind != argc || !have_n)
		return usage();
	if (strcmp(format, "uapi") != 0 && strcmp(format, "conf") != 0) {
		fprintf(stderr, "hsstorm: -f takes uapi or conf\n");
		return 2;
	}
	conf = format[0] == 'c';
	if (server_key && !uwg_key_from_base64(server_priv, server_key)) {
		fprintf(stderr, "hsstorm: -k wants a base64 private key (as wg genkey prints)\n");
		return 2;
	}

	setvbuf(stdout, outbuf, _IOFBF, sizeof(outbuf));
	if (conf && (server_key || have_port)) {
		fputs("[Interface]\n", stdout);
		if (server_key) {
			char b64[UWG_KEY_B64_LEN];

			uwg_key_to_base64(b64, server_priv);
			printf("PrivateKey = %s\n", b64);
		}
		if (have_port)
			printf("ListenPort = %" PRIu64 "\n", port);
		fputs("\n", stdout);
	} else if (!conf) {
		if (server_key) {
			char hex[UWG_KEY_HEX_LEN];

			uwg_key_to_hex(hex, server_priv);
			printf("private_key=%s\n", hex);
		}
		if (have_port)
			printf("listen_port=%" PRIu64 "\n", port);
	}
	uwg_memzero(server_priv, sizeof(server_priv));

	for (uint64_t i = 0; i < n; i++) {
		uint8_t priv[32], pub[32];
		char addr[24];

		client_private(priv, seed, i);
		if (!uwg_x25519_public(pub, priv)) {
			fprintf(stderr, "hsstorm: X25519 failed for client %" PRIu64 "\n", i);
			return 1;
		}
		client_address(addr, (uint32_t)i);
		if (conf) {
			char b64[UWG_KEY_B64_LEN];

			uwg_key_to_base64(b64, pub);
			printf("[Peer]\nPublicKey = %s\nAllowedIPs = %s/32\n\n", b64, addr);
		} else {
			char hex[UWG_KEY_HEX_LEN];

			uwg_key_to_hex(hex, pub);
			printf("public_key=%s\nallowed_ip=%s/32\n", hex, addr);
		}
	}
	if (fflush(stdout) != 0 || ferror(stdout)) {
		perror("hsstorm: stdout");
		return 1;
	}
	return 0;
}

/* ---------------------------------------------------------------- storm state */

static struct client *clients;
static uint32_t nclients;

/* Sender index -> client: open addressing, linear probing, backward-shift deletion. */
static uint32_t *tab_key;
static int32_t *tab_val; /* -1 = empty */
static uint32_t tab_mask;
static unsigned tab_shift;

static uint32_t tab_home(uint32_t key)
{
	return (uint32_t)(key * UINT32_C(2654435769)) >> tab_shift;
}

static bool tab_init(uint32_t n)
{
	unsigned bits = 4;

	while ((UINT32_C(1) << bits) < 2 * n)
		bits++;
	tab_mask = (UINT32_C(1) << bits) - 1;
	tab_shift = 32 - bits;
	tab_key = calloc((size_t)tab_mask + 1, sizeof(*tab_key));
	tab_val = malloc(((size_t)tab_mask + 1) * sizeof(*tab_val));
	if (!tab_key || !tab_val)
		return false;
	memset(tab_val, 0xff, ((size_t)tab_mask + 1) * sizeof(*tab_val));
	return true;
}

static int32_t tab_lookup(uint32_t key)
{
	for (uint32_t s = tab_home(key);; s = (s + 1) & tab_mask) {
		if (tab_val[s] < 0)
			return -1;
		if (tab_key[s] == key)
			return tab_val[s];
	}
}

static bool tab_insert(uint32_t key, int32_t val)
{
	uint32_t s;

	for (s = tab_home(key); tab_val[s] >= 0; s = (s + 1) & tab_mask)
		if (tab_key[s] == key)
			return false;
	tab_key[s] = key;
	tab_val[s] = val;
	return true;
}

static void tab_remove(uint32_t key)
{
	uint32_t i, j;

	for (i = tab_home(key);; i = (i + 1) & tab_mask) {
		if (tab_val[i] < 0)
			return;
		if (tab_key[i] == key)
			break;
	}
	for (j = i;;) {
		uint32_t h;

		j = (j + 1) & tab_mask;
		if (tab_val[j] < 0)
			break;
		h = tab_home(tab_key[j]);
		/* The entry at j stays if its home lies cyclically in (i, j]. */
		if (i <= j ? (i < h && h <= j) : (i < h || h <= j))
			continue;
		tab_key[i] = tab_key[j];
		tab_val[i] = tab_val[j];
		i = j;
	}
	tab_val[i] = -1;
}

/* A fresh random sender index for client c, registered in the table. */
static uint32_t new_index(int32_t c)
{
	uint32_t idx;

	/* The table is at most half full: two tries on average, 64 failures is impossible. */
	for (int tries = 0; tries < 64; tries++) {
		uwg_random_bytes(&idx, sizeof(idx));
		if (tab_insert(idx, c))
			return idx;
	}
	fprintf(stderr, "hsstorm: cannot draw a free sender index\n");
	exit(1);
}

/* New ephemeral, timestamp now, x->index; mac1 (and mac2 if a cookie is held). */
static bool make_initiation(struct client *x, uint64_t mono)
{
	uint8_t eph[UWG_NOISE_PUBLIC_KEY_LEN], ts[UWG_NOISE_TIMESTAMP_LEN];
	struct timespec wall;
	bool ok;

	uwg_random_bytes(eph, sizeof(eph));
	uwg_x25519_clamp(eph);
	clock_gettime(CLOCK_REALTIME, &wall);
	uwg_noise_tai64n(ts, &wall);
	ok = uwg_noise_create_initiation(&x->init, &x->hs, x->index, eph, ts);
	uwg_memzero(eph, sizeof(eph));
	if (ok)
		uwg_cookie_add_macs(&x->cookie, (uint8_t *)&x->init, sizeof(x->init), mono);
	return ok;
}

/* ---------------------------------------------------------------- prepare */

struct prep_job {
	uint32_t from, to;
	uint64_t seed;
	const uint8_t *server_pub;
	const struct uwg_cookie_maker *cookie_template;
	atomic_uint_fast32_t *done, *exited;
	bool ok; /* read after the join */
};

static void *prep_worker(void *arg)
{
	struct prep_job *job = arg;

	job->ok = true;
	for (uint32_t i = job->from; i < job->to; i++) {
		struct client *x = &clients[i];
		uint8_t priv[32];

		client_private(priv, job->seed, i);
		uwg_noise_identity_set(&x->id, priv);
		uwg_memzero(priv, sizeof(priv));
		if (!x->id.has_identity) {
			job->ok = false;
			break;
		}
		uwg_noise_handshake_init(&x->hs, &x->id, job->server_pub, NULL);
		x->cookie = *job->cookie_template;
		if (!make_initiation(x, now_ns())) {
			job->ok = false;
			break;
		}
		atomic_fetch_add(job->done, 1);
	}
	atomic_fetch_add(job->exited, 1);
	return NULL;
}

/* Identities, static-static DHs and first initiations on all CPUs; false on failure. */
static bool prepare(uint64_t seed, const uint8_t server_pub[32])
{
	static struct prep_job jobs[MAX_THREADS];
	static pthread_t threads[MAX_THREADS];
	struct uwg_cookie_maker tmpl;
	atomic_uint_fast32_t done, exited;
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	unsigned nthreads = ncpu < 1 ? 1 : ncpu > MAX_THREADS ? MAX_THREADS : (unsigned)ncpu;
	unsigned started = 0;
	uint64_t next_report, t0 = now_ns();
	bool ok = true;

	if (nthreads > nclients)
		nthreads = nclients;
	uwg_cookie_maker_init(&tmpl, server_pub); /* the same keys for every client */
	atomic_init(&done, 0);
	atomic_init(&exited, 0);
	/* Indices first, here: the table is not shared with the workers. */
	for (uint32_t i = 0; i < nclients; i++) {
		clients[i].index = new_index((int32_t)i);
		clients[i].prev = clients[i].next = clients[i].qnext = -1;
	}
	for (unsigned t = 0; t < nthreads; t++) {
		jobs[t] = (struct prep_job){
			.from = (uint32_t)((uint64_t)nclients * t / nthreads),
			.to = (uint32_t)((uint64_t)nclients * (t + 1) / nthreads),
			.seed = seed,
			.server_pub = server_pub,
			.cookie_template = &tmpl,
			.done = &done,
			.exited = &exited,
		};
		if (pthread_create(&threads[t], NULL, prep_worker, &jobs[t]) != 0) {
			fprintf(stderr, "hsstorm: pthread_create failed\n");
			ok = false;
			break;
		}
		started++;
	}
	/* Progress once a second until every worker is through (or has given up). */
	next_report = t0 + UWG_NS_PER_SEC;
	while (atomic_load(&exited) < started) {
		struct timespec ts = { 0, 20 * 1000 * 1000 };
		uint64_t t = now_ns();

		if (t >= next_report) {
			fprintf(stderr, "hsstorm: prepared %" PRIu32 "/%" PRIu32 " clients (%.0f s)\n",
				(uint32_t)atomic_load(&done), nclients, (double)(t - t0) / 1e9);
			next_report += UWG_NS_PER_SEC;
		}
		nanosleep(&ts, NULL);
	}
	for (unsigned t = 0; t < started; t++) {
		pthread_join(threads[t], NULL);
		if (!jobs[t].ok)
			ok = false;
	}
	if (!ok)
		fprintf(stderr, "hsstorm: could not make the initiations (bad server key?)\n");
	return ok;
}

/* ---------------------------------------------------------------- storm */

struct storm {
	int *fds;
	uint32_t nsock;
	int32_t *sq_head;     /* per socket: first queued client, -1 = none */
	uint32_t *sq_active;  /* sockets with a queue */
	uint32_t nactive;
	int32_t list_head, list_tail; /* outstanding clients by last_sent */
	uint32_t outstanding;
	uint64_t rto;
	uint64_t cookie_replies, retransmits, regenerated, stray, send_errors, responses;
	uint32_t finished; /* responded or failed */
};

static void list_remove(struct storm *st, int32_t c)
{
	struct client *x = &clients[c];

	if (!x->listed)
		return;
	x->listed = false;
	if (x->prev >= 0)
		clients[x->prev].next = x->next;
	else
		st->list_head = x->next;
	if (x->next >= 0)
		clients[x->next].prev = x->prev;
	else
		st->list_tail = x->prev;
	x->prev = x->next = -1;
}

static void list_append(struct storm *st, int32_t c)
{
	struct client *x = &clients[c];

	x->listed = true;
	x->prev = st->list_tail;
	x->next = -1;
	if (st->list_tail >= 0)
		clients[st->list_tail].next = c;
	else
		st->list_head = c;
	st->list_tail = c;
}

/* Sends all queued initiations: sendmmsg per socket. */
static void flush(struct storm *st)
{
	struct mmsghdr mm[TX_BATCH];
	struct iovec iov[TX_BATCH];

	for (uint32_t a = 0; a < st->nactive; a++) {
		uint32_t s = st->sq_active[a];
		int32_t c = st->sq_head[s];

		st->sq_head[s] = -1;
		while (c >= 0) {
			unsigned k = 0, sent = 0;

			for (; c >= 0 && k < TX_BATCH; c = clients[c].qnext, k++) {
				clients[c].queued = false;
				iov[k].iov_base = &clients[c].init;
				iov[k].iov_len = sizeof(clients[c].init);
				memset(&mm[k], 0, sizeof(mm[k]));
				mm[k].msg_hdr.msg_iov = &iov[k];
				mm[k].msg_hdr.msg_iovlen = 1;
			}
			/* A refusal (ECONNREFUSED from an earlier ICMP, ENOBUFS) loses the rest of the batch. */
			while (sent < k) {
				int r = sendmmsg(st->fds[s], mm + sent, k - sent, 0);

				if (r <= 0) {
					st->send_errors += k - sent;
					break;
				}
				sent += (unsigned)r;
			}
		}
	}
	st->nactive = 0;
}

/* Queues client c's initiation on its socket and restarts its retry timer. */
static void send_client(struct storm *st, int32_t c, uint64_t now, bool remac)
{
	struct client *x = &clients[c];
	uint32_t s = (uint32_t)c % st->nsock;

	if (remac)
		uwg_cookie_add_macs(&x->cookie, (uint8_t *)&x->init, sizeof(x->init), now);
	x->last_sent = now;
	list_remove(st, c);
	list_append(st, c);
	if (x->queued)
		return;
	x->queued = true;
	if (st->sq_head[s] < 0)
		st->sq_active[st->nactive++] = s;
	x->qnext = st->sq_head[s];
	st->sq_head[s] = c;
}

/* Off the outstanding list and out of the index table. */
static void retire(struct storm *st, int32_t c, uint8_t state)
{
	struct client *x = &clients[c];

	list_remove(st, c);
	tab_remove(x->index);
	x->state = state;
	st->outstanding--;
	st->finished++;
}

static void handle_rx(struct storm *st, const uint8_t *buf, size_t len, uint64_t now)
{
	uint32_t type = len >= 8 ? uwg_le32_load(buf) : 0;
	int32_t c;

	if (type == UWG_MSG_HANDSHAKE_RESPONSE && len == sizeof(struct uwg_msg_response)) {
		c = tab_lookup(uwg_le32_load(buf + offsetof(struct uwg_msg_response, receiver_index)));
		if (c < 0 || clients[c].state != ST_SENT) {
			st->stray++;
			return;
		}
		memcpy(&clients[c].resp, buf, len);
		clients[c].done_at = now;
		retire(st, c, ST_DONE);
		st->responses++;
	} else if (type == UWG_MSG_HANDSHAKE_COOKIE && len == sizeof(struct uwg_msg_cookie)) {
		struct uwg_msg_cookie msg;

		memcpy(&msg, buf, sizeof(msg));
		c = tab_lookup(uwg_le32_load(msg.receiver_index));
		if (c < 0 || clients[c].state != ST_SENT ||
		    !uwg_cookie_consume_reply(&clients[c].cookie, &msg, now)) {
			st->stray++;
			return;
		}
		st->cookie_replies++;
		/* Not consumed by the responder: the same initiation, now with mac2, at once. */
		send_client(st, c, now, true);
	} else {
		st->stray++;
	}
}

/* Up to RX_ROUNDS recvmmsg batches from one socket. */
static void drain(struct storm *st, int fd)
{
	static uint8_t buf[RX_BATCH][RX_LEN];
	static struct mmsghdr mm[RX_BATCH];
	static struct iovec iov[RX_BATCH];

	for (int round = 0; round < RX_ROUNDS; round++) {
		uint64_t now;
		int n;

		for (int i = 0; i < RX_BATCH; i++) {
			iov[i].iov_base = buf[i];
			iov[i].iov_len = RX_LEN;
			memset(&mm[i], 0, sizeof(mm[i]));
			mm[i].msg_hdr.msg_iov = &iov[i];
			mm[i].msg_hdr.msg_iovlen = 1;
		}
		n = recvmmsg(fd, mm, RX_BATCH, MSG_DONTWAIT, NULL);
		if (n < 0) {
			if (errno == ECONNREFUSED || errno == EINTR)
				continue; /* a pending ICMP error: reported once */
			return;
		}
		now = now_ns();
		for (int i = 0; i < n; i++)
			handle_rx(st, buf[i], mm[i].msg_len, now);
		if (n < RX_BATCH)
			return;
	}
}

/* Parses BIND_ADDR[/COUNT] into the first address (host order) and the count. */
static bool parse_bind(const char *arg, uint32_t *first, uint32_t *count)
{
	char addr[64];
	const char *slash = strchr(arg, '/');
	size_t alen = slash ? (size_t)(slash - arg) : strlen(arg);
	struct in_addr a;
	uint64_t n = 1;

	if (alen == 0 || alen >= sizeof(addr))
		return false;
	memcpy(addr, arg, alen);
	addr[alen] = 0;
	if (inet_pton(AF_INET, addr, &a) != 1)
		return false;
	if (slash && !parse_u64(slash + 1, 1, MAX_SOURCES, &n))
		return false;
	*first = ntohl(a.s_addr);
	if ((uint64_t)*first + n - 1 > UINT32_MAX)
		return false;
	*count = (uint32_t)n;
	return true;
}

static bool raise_nofile(uint64_t need)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
		return false;
	if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur >= need)
		return true;
	if (rl.rlim_cur == RLIM_INFINITY)
		return true;
	rl.rlim_cur = need;
	if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < need)
		rl.rlim_max = need; /* needs CAP_SYS_RESOURCE */
	return setrlimit(RLIMIT_NOFILE, &rl) == 0;
}

static int cmd_storm(int argc, char **argv)
{
	struct sockaddr_in dst = { .sin_family = AF_INET };
	uint64_t n = 0, seed = 0, window = 1024, port;
	double seconds = 60, retry = 1, prepare_s, cpu0, cpu1, secs = 0;
	uint32_t bind_first = 0, nsock = 1;
	bool have_n = false, have_bind = false;
	static struct storm st = { .list_head = -1, .list_tail = -1 }; /* static: reachable at exit */
	struct epoll_event evs[MAX_EVENTS];
	uint8_t server_pub[32];
	uint64_t t_prep, first_send = 0, last_done = 0, start, deadline, end, next_report;
	uint64_t completed = 0, bad = 0, failed = 0;
	uint32_t next_start = 0;
	int opt, ep;

	while ((opt = getopt(argc, argv, "n:s:w:t:r:b:")) != -1) {
		switch (opt) {
		case 'n':
			if (!parse_u64(optarg, 1, MAX_PEERS, &n))
				return usage();
			have_n = true;
			break;
		case 's':
			if (!parse_u64(optarg, 0, UINT64_MAX, &seed))
				return usage();
			break;
		case 'w':
			if (!parse_u64(optarg, 1, MAX_PEERS, &window))
				return usage();
			break;
		case 't':
			if (!parse_seconds(optarg, 0.001, MAX_SECONDS, &seconds))
				return usage();
			break;
		case 'r':
			if (!parse_seconds(optarg, 0.001, 60, &retry))
				return usage();
			break;
		case 'b':
			if (!parse_bind(optarg, &bind_first, &nsock)) {
				fprintf(stderr, "hsstorm: -b wants an IPv4 address and optional /COUNT "
						"(1..%d)\n", MAX_SOURCES);
				return 2;
			}
			have_bind = true;
			break;
		default:
			return usage();
		}
	}
	if (argc - optind != 3 || !have_n)
		return usage();
	if (inet_pton(AF_INET, argv[optind], &dst.sin_addr) != 1 ||
	    !parse_u64(argv[optind + 1], 1, 65535, &port) ||
	    !uwg_key_from_base64(server_pub, argv[optind + 2]))
		return usage();
	dst.sin_port = htons((uint16_t)port);
	if (window > n)
		window = n;
	nclients = (uint32_t)n;
	st.nsock = nsock;
	st.rto = (uint64_t)(retry * 1e9);

	/* Sockets first: a setup error should not cost the preparation. */
	if (!raise_nofile((uint64_t)nsock + 32)) {
		fprintf(stderr, "hsstorm: cannot raise RLIMIT_NOFILE to %" PRIu64 ": %s\n",
			(uint64_t)nsock + 32, strerror(errno));
		return 1;
	}
	st.fds = calloc(nsock, sizeof(*st.fds));
	st.sq_head = malloc(nsock * sizeof(*st.sq_head));
	st.sq_active = calloc(nsock, sizeof(*st.sq_active));
	clients = calloc(nclients, sizeof(*clients));
	if (!st.fds || !st.sq_head || !st.sq_active || !clients || !tab_init(nclients)) {
		fprintf(stderr, "hsstorm: out of memory for %" PRIu32 " clients\n", nclients);
		return 1;
	}
	memset(st.sq_head, 0xff, nsock * sizeof(*st.sq_head));
	ep = epoll_create1(EPOLL_CLOEXEC);
	if (ep < 0) {
		perror("hsstorm: epoll_create1");
		return 1;
	}
	for (uint32_t s = 0; s < nsock; s++) {
		struct sockaddr_in src = { .sin_family = AF_INET };
		struct epoll_event ev = { .events = EPOLLIN, .data.u32 = s };
		int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0), sz = RCVBUF;
		char a[INET_ADDRSTRLEN];

		if (fd < 0) {
			perror("hsstorm: socket");
			return 1;
		}
		/* Room for a whole window of responses; FORCE passes rmem_max when we may. */
		if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &sz, sizeof(sz)) != 0)
			(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
		src.sin_addr.s_addr = htonl(bind_first + s);
		if (have_bind && bind(fd, (struct sockaddr *)&src, sizeof(src)) != 0) {
			inet_ntop(AF_INET, &src.sin_addr, a, sizeof(a));
			fprintf(stderr, "hsstorm: bind %s (source %" PRIu32 " of %" PRIu32 "): %s\n",
				a, s + 1, nsock, strerror(errno));
			return 1;
		}
		if (connect(fd, (struct sockaddr *)&dst, sizeof(dst)) != 0) {
			perror("hsstorm: connect");
			return 1;
		}
		if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) != 0) {
			perror("hsstorm: epoll_ctl");
			return 1;
		}
		st.fds[s] = fd;
	}

	t_prep = now_ns();
	fprintf(stderr, "hsstorm: preparing %" PRIu32 " clients\n", nclients);
	if (!prepare(seed, server_pub))
		return 1;
	prepare_s = (double)(now_ns() - t_prep) / 1e9;
	fprintf(stderr,
		"hsstorm: prepared in %.2f s; storming %s:%" PRIu64 " from %" PRIu32
		" source(s), window %" PRIu64 "\n",
		prepare_s, argv[optind], port, nsock, window);

	cpu0 = cpu_seconds();
	start = now_ns();
	deadline = start + (uint64_t)(seconds * 1e9);
	next_report = start + UWG_NS_PER_SEC;
	for (;;) {
		uint64_t now = now_ns(), wake;
		int timeout_ms, nev;

		if (st.finished >= nclients || now >= deadline)
			break;
		/* Fill the window. */
		while (st.outstanding < window && next_start < nclients) {
			struct client *x = &clients[next_start];

			x->state = ST_SENT;
			x->first_sent = now;
			if (!first_send)
				first_send = now;
			st.outstanding++;
			send_client(&st, (int32_t)next_start, now, false);
			next_start++;
		}
		/* Retry timers, oldest first; each one handled moves to the tail with last_sent = now. */
		while (st.list_head >= 0 && now - clients[st.list_head].last_sent >= st.rto) {
			int32_t c = st.list_head;
			struct client *x = &clients[c];

			if (now - x->first_sent >= (uint64_t)GIVE_UP_S * UWG_NS_PER_SEC) {
				retire(&st, c, ST_FAILED);
				continue;
			}
			if (x->retx < MAX_RETX) {
				x->retx++;
				st.retransmits++;
				send_client(&st, c, now, true);
				continue;
			}
			/* The responder may have consumed it and lost the answer: a fresh one. */
			tab_remove(x->index);
			x->index = new_index(c);
			x->retx = 0;
			if (!make_initiation(x, now)) {
				retire(&st, c, ST_FAILED);
				continue;
			}
			st.regenerated++;
			send_client(&st, c, now, false);
		}
		flush(&st);

		if (now >= next_report) {
			fprintf(stderr,
				"hsstorm: %.0f s: %" PRIu64 " responses, %" PRIu32
				" outstanding, %" PRIu64 " cookie replies, %" PRIu64 " retransmits\n",
				(double)(now - start) / 1e9, st.responses, st.outstanding,
				st.cookie_replies, st.retransmits);
			next_report += UWG_NS_PER_SEC;
		}
		/* Sleep until the oldest retry timer, the deadline or the next report, at most 100 ms. */
		wake = now + 100 * UWG_NS_PER_MS;
		if (st.list_head >= 0 && clients[st.list_head].last_sent + st.rto < wake)
			wake = clients[st.list_head].last_sent + st.rto;
		if (deadline < wake)
			wake = deadline;
		if (next_report < wake)
			wake = next_report;
		timeout_ms = wake > now ? (int)((wake - now + UWG_NS_PER_MS - 1) / UWG_NS_PER_MS) : 0;
		if (st.outstanding < window && next_start < nclients)
			timeout_ms = 0;
		nev = epoll_wait(ep, evs, MAX_EVENTS, timeout_ms);
		if (nev < 0 && errno != EINTR) {
			perror("hsstorm: epoll_wait");
			return 1;
		}
		for (int e = 0; e < nev; e++)
			drain(&st, st.fds[evs[e].data.u32]);
		flush(&st);
	}
	end = now_ns();
	cpu1 = cpu_seconds();

	/* Untimed: the Noise decryption of each kept response proves the handshake. */
	for (uint32_t i = 0; i < nclients; i++) {
		struct client *x = &clients[i];

		if (x->state != ST_DONE) {
			failed++;
			continue;
		}
		if (!uwg_noise_consume_response(&x->resp, &x->hs)) {
			bad++;
			continue;
		}
		completed++;
		if (x->done_at > last_done)
			last_done = x->done_at;
	}
	/* First send to the last completion; with none, to the end of the phase. */
	if (first_send)
		secs = (double)((completed ? last_done : end) - first_send) / 1e9;
	printf("{\"peers\":%" PRIu32 ",\"completed\":%" PRIu64 ",\"failed\":%" PRIu64
	       ",\"bad_response\":%" PRIu64 ",\"cookie_replies\":%" PRIu64
	       ",\"retransmits\":%" PRIu64 ",\"regenerated\":%" PRIu64
	       ",\"seconds\":%.3f,\"per_s\":%.1f,\"sources\":%" PRIu32 ",\"window\":%" PRIu64
	       ",\"gen_cpu_s\":%.3f,\"prepare_s\":%.3f,\"stray_rx\":%" PRIu64
	       ",\"send_errors\":%" PRIu64 "}\n",
	       nclients, completed, failed, bad, st.cookie_replies, st.retransmits, st.regenerated,
	       secs, secs > 0 ? (double)completed / secs : 0.0, nsock, window, cpu1 - cpu0,
	       prepare_s, st.stray, st.send_errors);
	fflush(stdout);
	for (uint32_t s = 0; s < nsock; s++)
		close(st.fds[s]);
	close(ep);
	free(st.fds);
	free(st.sq_head);
	free(st.sq_active);
	free(tab_key);
	free(tab_val);
	uwg_memzero(clients, (size_t)nclients * sizeof(*clients));
	free(clients);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 2)
		return usage();
	if (uwg_crypto_init() != 0) {
		fprintf(stderr, "hsstorm: libsodium failed to start\n");
		return 1;
	}
	if (strcmp(argv[1], "peers") == 0)
		return cmd_peers(argc - 1, argv + 1);
	if (strcmp(argv[1], "storm") == 0)
		return cmd_storm(argc - 1, argv + 1);
	return usage();
}
