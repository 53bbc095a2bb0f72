/*
 * test/tools/udp_relay.c - a bounded, seeded, lossy and reordering UDP relay
 * for the netns tests. One client (whoever last sent to the listen address)
 * is relayed to one upstream address and back; each datagram may be dropped
 * or held back for a random delay so that later ones overtake it. Optionally
 * records every relayed datagram to a file so tests can replay real
 * ciphertext later (see udp_inject replay). Single-threaded test tool.
 *
 * usage: udp_relay -l LISTEN -u UPSTREAM [-d DROP_PERMILLE] [-r REORDER_PCT]
 *                  [-D MAX_DELAY_MS] [-s SEED] [-t SECONDS] [-n MAX_PACKETS]
 *                  [-w RECORD_FILE] [-H]
 * LISTEN/UPSTREAM are numeric "1.2.3.4:5" or "[2001:db8::1]:5". Handshake
 * messages (types 1-3 at their exact sizes) are never dropped unless -H,
 * so tests do not wait on 5 s handshake retransmits. Exits after SECONDS
 * (default 120) or MAX_PACKETS relayed, or on SIGTERM/SIGINT, and prints
 * its counters to stderr.
 */
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_DGRAM 65536
#define QUEUE_SLOTS 256

struct held {
	bool used;
	bool to_upstream;
	uint64_t due_ms;
	size_t len;
	uint8_t *buf;
};

static volatile sig_atomic_t stop_flag;
static uint64_t rng_state;

static void on_signal(int sig)
{
	(void)sig;
	stop_flag = 1;
}

static uint64_t rng_next(void)
{
	/* xorshift64*: deterministic for a given seed, good enough for fault injection. */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545F4914F6CDD1DULL;
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static int parse_addr(const char *text, struct sockaddr_storage *ss, socklen_t *len)
{
	char host[128];
	const char *port;
	struct addrinfo hints, *res;
	size_t hl;

	if (text[0] == '[') {
		const char *end = strchr(text, ']');

		if (!end || end[1] != ':')
			return -1;
		hl = (size_t)(end - text - 1);
		if (hl >= sizeof(host))
			return -1;
		memcpy(host, text + 1, hl);
		port = end + 2;
	} else {
		const char *colon = strrchr(text, ':');

		if (!colon)
			return -1;
		hl = (size_t)(colon - text);
		if (hl >= sizeof(host))
			return -1;
		memcpy(host, text, hl);
		port = colon + 1;
	}
	host[hl] = '\0';
	memset(&hints, 0, sizeof(hints));
	hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV;
	hints.ai_socktype = SOCK_DGRAM;
	if (getaddrinfo(host, port, &hints, &res) != 0)
		return -1;
	memcpy(ss, res->ai_addr, res->ai_addrlen);
	*len = res->ai_addrlen;
	freeaddrinfo(res);
	return 0;
}

static bool is_handshake(const uint8_t *p, size_t len)
{
	if (len < 4 || p[1] || p[2] || p[3])
		return false;
	return (p[0] == 1 && len == 148) || (p[0] == 2 && len == 92) || (p[0] == 3 && len == 64);
}

static void record(FILE *rec, bool to_upstream, const uint8_t *p, size_t len)
{
	uint8_t hdr[5];

	if (!rec)
		return;
	hdr[0] = (uint8_t)(len & 0xff);
	hdr[1] = (uint8_t)((len >> 8) & 0xff);
	hdr[2] = (uint8_t)((len >> 16) & 0xff);
	hdr[3] = (uint8_t)((len >> 24) & 0xff);
	hdr[4] = to_upstream ? 0 : 1;
	if (fwrite(hdr, 1, sizeof(hdr), rec) != sizeof(hdr) || fwrite(p, 1, len, rec) != len) {
		fprintf(stderr, "udp_relay: record write failed\n");
		exit(1);
	}
	fflush(rec);
}

int main(int argc, char **argv)
{
	struct sockaddr_storage listen_addr, up_addr, client;
	socklen_t listen_len = 0, up_len = 0, client_len = 0;
	const char *listen_text = NULL, *up_text = NULL, *rec_path = NULL;
	unsigned drop_permille = 0, reorder_pct = 0, max_delay = 20, seconds = 120;
	unsigned long max_packets = 0;
	bool drop_handshakes = false;
	uint64_t seed = 1, deadline;
	unsigned long relayed = 0, dropped = 0, delayed = 0, rx = 0;
	struct held queue[QUEUE_SLOTS];
	uint8_t *buf;
	FILE *rec = NULL;
	int fd_l, fd_u, opt;

	while ((opt = getopt(argc, argv, "l:u:d:r:D:s:t:n:w:H")) != -1) {
		switch (opt) {
		case 'l': listen_text = optarg; break;
		case 'u': up_text = optarg; break;
		case 'd': drop_permille = (unsigned)strtoul(optarg, NULL, 10); break;
		case 'r': reorder_pct = (unsigned)strtoul(optarg, NULL, 10); break;
		case 'D': max_delay = (unsigned)strtoul(optarg, NULL, 10); break;
		case 's': seed = strtoull(optarg, NULL, 10); break;
		case 't': seconds = (unsigned)strtoul(optarg, NULL, 10); break;
		case 'n': max_packets = strtoul(optarg, NULL, 10); break;
		case 'w': rec_path = optarg; break;
		case 'H': drop_handshakes = true; break;
		default:
			fprintf(stderr, "usage: %s -l LISTEN -u UPSTREAM [-d permille] [-r pct] "
					"[-D ms] [-s seed] [-t s] [-n pkts] [-w file] [-H]\n", argv[0]);
			return 2;
		}
	}
	if (!listen_text || !up_text || parse_addr(listen_text, &listen_addr, &listen_len) ||
	    parse_addr(up_text, &up_addr, &up_len) || drop_permille > 1000 || reorder_pct > 100 ||
	    max_delay == 0 || seconds == 0) {
		fprintf(stderr, "udp_relay: bad arguments\n");
		return 2;
	}
	rng_state = seed * 0x9E3779B97F4A7C15ULL + 1;
	if (rec_path) {
		rec = fopen(rec_path, "wb");
		if (!rec) {
			perror("udp_relay: record file");
			return 1;
		}
	}

	fd_l = socket(listen_addr.ss_family, SOCK_DGRAM, 0);
	fd_u = socket(up_addr.ss_family, SOCK_DGRAM, 0);
	if (fd_l < 0 || fd_u < 0 || bind(fd_l, (struct sockaddr *)&listen_addr, listen_len) ||
	    connect(fd_u, (struct sockaddr *)&up_addr, up_len)) {
		perror("udp_relay: socket");
		return 1;
	}
	buf = malloc(MAX_DGRAM);
	memset(queue, 0, sizeof(queue));
	for (size_t i = 0; i < QUEUE_SLOTS; i++)
		queue[i].buf = malloc(MAX_DGRAM);
	if (!buf || !queue[QUEUE_SLOTS - 1].buf) {
		fprintf(stderr, "udp_relay: out of memory\n");
		return 1;
	}
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	deadline = now_ms() + (uint64_t)seconds * 1000u;

	while (!stop_flag) {
		struct pollfd pfd[2] = { { fd_l, POLLIN, 0 }, { fd_u, POLLIN, 0 } };
		uint64_t t = now_ms(), next = deadline;
		int timeout;

		if (t >= deadline || (max_packets && relayed >= max_packets))
			break;
		/* Release held datagrams that are due; find the next due time. */
		for (size_t i = 0; i < QUEUE_SLOTS; i++) {
			if (!queue[i].used)
				continue;
			if (queue[i].due_ms <= t) {
				if (queue[i].to_upstream)
					(void)send(fd_u, queue[i].buf, queue[i].len, 0);
				else if (client_len)
					(void)sendto(fd_l, queue[i].buf, queue[i].len, 0,
						     (struct sockaddr *)&client, client_len);
				queue[i].used = false;
				relayed++;
			} else if (queue[i].due_ms < next) {
				next = queue[i].due_ms;
			}
		}
		timeout = (int)(next > t ? next - t : 0);
		if (poll(pfd, 2, timeout) < 0) {
			if (errno == EINTR)
				continue;
			perror("udp_relay: poll");
			return 1;
		}
		for (int k = 0; k < 2; k++) {
			struct sockaddr_storage src;
			socklen_t src_len = sizeof(src);
			bool to_upstream = (k == 0);
			ssize_t n;

			if (!(pfd[k].revents & POLLIN))
				continue;
			n = recvfrom(pfd[k].fd, buf, MAX_DGRAM, MSG_DONTWAIT,
				     (struct sockaddr *)&src, &src_len);
			if (n < 0)
				continue;
			rx++;
			if (to_upstream) {
				memcpy(&client, &src, src_len);
				client_len = src_len;
			} else if (!client_len) {
				continue;
			}
			record(rec, to_upstream, buf, (size_t)n);
			if ((drop_handshakes || !is_handshake(buf, (size_t)n)) &&
			    rng_next() % 1000 < drop_permille) {
				dropped++;
				continue;
			}
			if (rng_next() % 100 < reorder_pct) {
				size_t i;

				for (i = 0; i < QUEUE_SLOTS && queue[i].used; i++)
					;
				if (i < QUEUE_SLOTS) {
					queue[i].used = true;
					queue[i].to_upstream = to_upstream;
					queue[i].due_ms = now_ms() + 1 + rng_next() % max_delay;
					queue[i].len = (size_t)n;
					memcpy(queue[i].buf, buf, (size_t)n);
					delayed++;
					continue;
				}
			}
			if (to_upstream)
				(void)send(fd_u, buf, (size_t)n, 0);
			else
				(void)sendto(fd_l, buf, (size_t)n, 0, (struct sockaddr *)&client,
					     client_len);
			relayed++;
		}
	}
	fprintf(stderr, "udp_relay: received=%lu relayed=%lu dropped=%lu delayed=%lu\n", rx, relayed,
		dropped, delayed);
	if (rec)
		fclose(rec);
	for (size_t i = 0; i < QUEUE_SLOTS; i++)
		free(queue[i].buf);
	free(buf);
	close(fd_l);
	close(fd_u);
	return 0;
}
