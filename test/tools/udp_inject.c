/*
 * test/tools/udp_inject.c - sends hostile datagrams at a WireGuard UDP port
 * for the netns tests: random garbage, every message type at wrong sizes,
 * unknown types and nonzero reserved bytes, well-sized handshakes with bad
 * MACs, data messages for unknown receiver indices, and replays of datagrams
 * recorded by udp_relay -w. Bounded by count; prints how many it sent.
 * Single-threaded test tool.
 *
 * usage: udp_inject [-c COUNT] [-s SEED] [-g GAP_US] [-d DIR] MODE DEST [FILE]
 * MODE: random | truncated | badtype | badmac | data | replay
 * DEST is numeric "1.2.3.4:5" or "[2001:db8::1]:5". For replay, FILE is a
 * udp_relay record and DIR (0 = client->upstream, 1 = back, default all)
 * filters which records are sent; only data messages (type 4) are replayed.
 */
#include <netdb.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define MAX_DGRAM 65536

static uint64_t rng_state;
static int sock_fd;
static struct sockaddr_storage dest;
static socklen_t dest_len;
static unsigned gap_us;
static unsigned long sent;

static uint64_t rng_next(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545F4914F6CDD1DULL;
}

static void fill_random(uint8_t *p, size_t len)
{
	for (size_t i = 0; i < len; i++)
		p[i] = (uint8_t)rng_next();
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

static void put(const uint8_t *p, size_t len)
{
	if (sendto(sock_fd, p, len, 0, (struct sockaddr *)&dest, dest_len) < 0) {
		perror("udp_inject: sendto");
		exit(1);
	}
	sent++;
	if (gap_us)
		usleep(gap_us);
}

/* A message header: type in byte 0, reserved bytes 1-3 as given. */
static void header(uint8_t *p, uint8_t type, uint8_t reserved)
{
	p[0] = type;
	p[1] = reserved;
	p[2] = 0;
	p[3] = 0;
}

static void mode_random(uint8_t *buf, unsigned long count)
{
	for (unsigned long i = 0; i < count; i++) {
		size_t len = (size_t)(rng_next() % 1500);

		fill_random(buf, len);
		/* Keep it garbage: never a well-sized handshake or data message by accident. */
		if (len >= 4 && buf[0] >= 1 && buf[0] <= 4)
			buf[0] = (uint8_t)(5 + buf[0]);
		put(buf, len);
	}
}

static void mode_truncated(uint8_t *buf, unsigned long count)
{
	static const struct {
		uint8_t type;
		size_t size;
	} msgs[] = { { 1, 148 }, { 2, 92 }, { 3, 64 } };
	static const size_t data_lens[] = { 0, 1, 4, 16, 31 };

	for (unsigned long i = 0; i < count; i++) {
		for (size_t m = 0; m < sizeof(msgs) / sizeof(msgs[0]); m++) {
			const size_t lens[] = { 1, 4, msgs[m].size - 1, msgs[m].size + 1,
						msgs[m].size / 2, msgs[m].size + 16 };

			for (size_t l = 0; l < sizeof(lens) / sizeof(lens[0]); l++) {
				fill_random(buf, lens[l]);
				buf[0] = msgs[m].type;
				if (lens[l] >= 4)
					header(buf, msgs[m].type, 0);
				put(buf, lens[l]);
			}
		}
		for (size_t l = 0; l < sizeof(data_lens) / sizeof(data_lens[0]); l++) {
			fill_random(buf, data_lens[l]);
			if (data_lens[l] >= 1)
				buf[0] = 4;
			if (data_lens[l] >= 4)
				header(buf, 4, 0);
			put(buf, data_lens[l]);
		}
	}
}

static void mode_badtype(uint8_t *buf, unsigned long count)
{
	static const uint8_t types[] = { 0, 5, 6, 0x7f, 0x80, 0xff };
	static const size_t sizes[] = { 32, 64, 92, 148 };

	for (unsigned long i = 0; i < count; i++) {
		for (size_t t = 0; t < sizeof(types); t++) {
			size_t len = sizes[t % (sizeof(sizes) / sizeof(sizes[0]))];

			fill_random(buf, len);
			header(buf, types[t], 0);
			put(buf, len);
		}
		/* Right type and size, nonzero reserved bytes. */
		fill_random(buf, 148);
		header(buf, 1, 1);
		put(buf, 148);
		fill_random(buf, 92);
		header(buf, 2, 0x80);
		put(buf, 92);
		fill_random(buf, 64);
		header(buf, 4, 7);
		put(buf, 64);
	}
}

static void mode_badmac(uint8_t *buf, unsigned long count)
{
	for (unsigned long i = 0; i < count; i++) {
		fill_random(buf, 148);
		header(buf, 1, 0);
		put(buf, 148);
		fill_random(buf, 92);
		header(buf, 2, 0);
		put(buf, 92);
	}
}

static void mode_data(uint8_t *buf, unsigned long count)
{
	for (unsigned long i = 0; i < count; i++) {
		size_t len = 32 + 16 * (size_t)(rng_next() % 80);

		fill_random(buf, len);
		header(buf, 4, 0);
		put(buf, len);
	}
}

static int mode_replay(uint8_t *buf, const char *path, int dir)
{
	FILE *f = fopen(path, "rb");
	uint8_t hdr[5];

	if (!f) {
		perror("udp_inject: replay file");
		return 1;
	}
	while (fread(hdr, 1, sizeof(hdr), f) == sizeof(hdr)) {
		size_t len = (size_t)hdr[0] | (size_t)hdr[1] << 8 | (size_t)hdr[2] << 16 |
			     (size_t)hdr[3] << 24;

		if (len > MAX_DGRAM || fread(buf, 1, len, f) != len) {
			fprintf(stderr, "udp_inject: truncated record file\n");
			fclose(f);
			return 1;
		}
		if (dir >= 0 && hdr[4] != dir)
			continue;
		if (len >= 32 && buf[0] == 4 && !buf[1] && !buf[2] && !buf[3])
			put(buf, len);
	}
	fclose(f);
	return 0;
}

int main(int argc, char **argv)
{
	unsigned long count = 10;
	uint64_t seed = 1;
	int dir = -1, opt, rc = 0;
	const char *mode;
	uint8_t *buf;

	while ((opt = getopt(argc, argv, "c:s:g:d:")) != -1) {
		switch (opt) {
		case 'c':
			count = strtoul(optarg, NULL, 10);
			break;
		case 's':
			seed = strtoull(optarg, NULL, 10);
			break;
		case 'g':
			gap_us = (unsigned)strtoul(optarg, NULL, 10);
			break;
		case 'd':
			dir = atoi(optarg);
			break;
		default:
			goto usage;
		}
	}
	if (argc - optind < 2 || count > 1000000)
		goto usage;
	mode = argv[optind];
	if (parse_addr(argv[optind + 1], &dest, &dest_len)) {
		fprintf(stderr, "udp_inject: bad destination %s\n", argv[optind + 1]);
		return 2;
	}
	rng_state = seed * 0x9E3779B97F4A7C15ULL + 7;
	sock_fd = socket(dest.ss_family, SOCK_DGRAM, 0);
	buf = malloc(MAX_DGRAM);
	if (sock_fd < 0 || !buf) {
		perror("udp_inject: socket");
		return 1;
	}
	if (!strcmp(mode, "random")) {
		mode_random(buf, count);
	} else if (!strcmp(mode, "truncated")) {
		mode_truncated(buf, count);
	} else if (!strcmp(mode, "badtype")) {
		mode_badtype(buf, count);
	} else if (!strcmp(mode, "badmac")) {
		mode_badmac(buf, count);
	} else if (!strcmp(mode, "data")) {
		mode_data(buf, count);
	} else if (!strcmp(mode, "replay") && argc - optind >= 3) {
		rc = mode_replay(buf, argv[optind + 2], dir);
	} else {
		free(buf);
		goto usage;
	}
	printf("%lu\n", sent);
	free(buf);
	close(sock_fd);
	return rc;
usage:
	fprintf(stderr, "usage: udp_inject [-c COUNT] [-s SEED] [-g GAP_US] [-d DIR] "
			"random|truncated|badtype|badmac|data|replay DEST [FILE]\n");
	return 2;
}
