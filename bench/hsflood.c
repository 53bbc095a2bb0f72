/*
 * bench/hsflood.c - a handshake flooder for the hsflood scenario: WireGuard
 * initiations with a valid mac1 (it knows the responder's public key) and a
 * random body, from one source address, at a paced rate or as fast as the
 * socket takes them. A responder learns that such a message is garbage only
 * after a DH (or, under load, answers it with a cookie reply), which is what
 * makes it an attack on CPU rather than on bandwidth.
 *
 *   hsflood [-b BIND_ADDR] [-r PPS] [-t SECONDS] [-n COUNT] ADDR PORT PUBKEY_BASE64
 *
 * -r 0 (the default) is full rate. It stops after SECONDS (default 10, at
 * most 600) or COUNT messages, whichever comes first, and prints one JSON
 * line: messages sent, seconds, achieved rate, cookie replies received,
 * send errors, and its own CPU time (user + system: the veth delivery to
 * the responder's socket runs in the sender's system time), which shows how
 * much of a 2-core machine the load generator itself takes. 4096 distinct messages are made once (sender index and body
 * differ, so no two in a row are the same bytes) and sent round robin with
 * sendmmsg in batches of 64; replies are drained with recvmmsg between
 * batches. IPv4 only. Built by bench/run.sh against build-bench's
 * libuwg_crypto.a (BLAKE2s and key decoding from crypto/).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "crypto/blake2s.h"
#include "crypto/encoding.h"

enum {
	MSG_LEN = 148,   /* a handshake initiation */
	MAC1_OFF = 116,  /* mac1 covers everything before it */
	NMSG = 4096,     /* distinct messages, sent round robin */
	BATCH = 64,
	RX_LEN = 256,
	MAX_SECONDS = 600,
};

static uint8_t msgs[NMSG][MSG_LEN];

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int usage(void)
{
	fprintf(stderr, "usage: hsflood [-b BIND_ADDR] [-r PPS (0 = full rate)] [-t SECONDS] "
			"[-n COUNT] ADDR PORT PUBKEY_BASE64\n");
	return 2;
}

/* mac1 key = BLAKE2s-256("mac1----" || responder public key), as in the protocol. */
static void make_messages(const uint8_t pub[32])
{
	static const uint8_t label[8] = { 'm', 'a', 'c', '1', '-', '-', '-', '-' };
	struct uwg_blake2s s;
	uint8_t key[32];

	uwg_blake2s_init(&s, 32);
	uwg_blake2s_update(&s, label, sizeof(label));
	uwg_blake2s_update(&s, pub, 32);
	uwg_blake2s_final(&s, key);
	if (getrandom(msgs, sizeof(msgs), 0) != (ssize_t)sizeof(msgs)) {
		perror("hsflood: getrandom");
		exit(1);
	}
	for (uint32_t i = 0; i < NMSG; i++) {
		uint8_t *m = msgs[i];

		m[0] = 1; /* type 1, reserved bytes zero */
		m[1] = m[2] = m[3] = 0;
		/* sender index: little endian, distinct per message */
		m[4] = (uint8_t)i;
		m[5] = (uint8_t)(i >> 8);
		uwg_blake2s(m + MAC1_OFF, 16, key, sizeof(key), m, MAC1_OFF);
		memset(m + MAC1_OFF + 16, 0, 16); /* no cookie: mac2 zero */
	}
}

/* Reads every waiting datagram; counts 64-byte type-3 messages (cookie replies). */
static void drain(int fd, uint64_t *replies, uint64_t *other)
{
	static uint8_t buf[BATCH][RX_LEN];
	struct mmsghdr mm[BATCH];
	struct iovec iov[BATCH];
	int n;

	for (int i = 0; i < BATCH; i++) {
		iov[i].iov_base = buf[i];
		iov[i].iov_len = RX_LEN;
		memset(&mm[i], 0, sizeof(mm[i]));
		mm[i].msg_hdr.msg_iov = &iov[i];
		mm[i].msg_hdr.msg_iovlen = 1;
	}
	while ((n = recvmmsg(fd, mm, BATCH, MSG_DONTWAIT, NULL)) > 0) {
		for (int i = 0; i < n; i++) {
			if (mm[i].msg_len == 64 && buf[i][0] == 3)
				(*replies)++;
			else
				(*other)++;
		}
		if (n < BATCH)
			break;
	}
}

int main(int argc, char **argv)
{
	struct sockaddr_in dst = { .sin_family = AF_INET }, src = { .sin_family = AF_INET };
	double seconds = 10, rate = 0;
	uint64_t count = UINT64_MAX, sent = 0, replies = 0, other = 0, errors = 0, start, end, t;
	struct rusage ru;
	double cpu = 0;
	struct mmsghdr mm[BATCH];
	struct iovec iov[BATCH];
	const char *bind_addr = NULL;
	uint8_t pub[32];
	unsigned next = 0;
	int opt, fd;

	while ((opt = getopt(argc, argv, "b:r:t:n:")) != -1) {
		switch (opt) {
		case 'b':
			bind_addr = optarg;
			break;
		case 'r':
			rate = atof(optarg);
			break;
		case 't':
			seconds = atof(optarg);
			break;
		case 'n':
			count = strtoull(optarg, NULL, 10);
			break;
		default:
			return usage();
		}
	}
	if (argc - optind != 3 || rate < 0 || seconds <= 0 || seconds > MAX_SECONDS)
		return usage();
	if (inet_pton(AF_INET, argv[optind], &dst.sin_addr) != 1 || atoi(argv[optind + 1]) <= 0 ||
	    atoi(argv[optind + 1]) > 65535 || !uwg_key_from_base64(pub, argv[optind + 2]))
		return usage();
	dst.sin_port = htons((uint16_t)atoi(argv[optind + 1]));
	if (bind_addr && inet_pton(AF_INET, bind_addr, &src.sin_addr) != 1)
		return usage();

	make_messages(pub);
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || (bind_addr && bind(fd, (struct sockaddr *)&src, sizeof(src)) < 0) ||
	    connect(fd, (struct sockaddr *)&dst, sizeof(dst)) < 0) {
		perror("hsflood: socket");
		return 1;
	}
	memset(mm, 0, sizeof(mm));
	for (int i = 0; i < BATCH; i++) {
		mm[i].msg_hdr.msg_iov = &iov[i];
		mm[i].msg_hdr.msg_iovlen = 1;
		iov[i].iov_len = MSG_LEN;
	}

	start = now_ns();
	end = start + (uint64_t)(seconds * 1e9);
	while ((t = now_ns()) < end && sent < count) {
		uint64_t due = BATCH;
		int k, n;

		if (rate > 0) {
			/* Paced: whatever the clock says is due, at most a batch at a time. */
			uint64_t target = (uint64_t)((double)(t - start) * rate / 1e9);

			due = target > sent ? target - sent : 0;
			if (!due) {
				struct timespec ts = { 0, 50000 };

				drain(fd, &replies, &other);
				nanosleep(&ts, NULL);
				continue;
			}
			if (due > BATCH)
				due = BATCH;
		}
		if (due > count - sent)
			due = count - sent;
		k = (int)due;
		for (int i = 0; i < k; i++) {
			iov[i].iov_base = msgs[next];
			next = (next + 1) % NMSG;
		}
		n = sendmmsg(fd, mm, (unsigned)k, 0);
		if (n < 0) {
			/* ECONNREFUSED (ICMP from a closed port) or ENOBUFS: count, go on. */
			errors++;
			if (errno != ECONNREFUSED && errno != ENOBUFS && errno != EAGAIN &&
			    errno != EINTR) {
				perror("hsflood: sendmmsg");
				break;
			}
		} else {
			sent += (uint64_t)n;
		}
		if ((sent / BATCH) % 16 == 0)
			drain(fd, &replies, &other);
	}
	t = now_ns();
	drain(fd, &replies, &other);
	if (getrusage(RUSAGE_SELF, &ru) == 0)
		cpu = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
		      (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
	printf("{\"sent\":%llu,\"seconds\":%.3f,\"rate\":%.0f,\"replies\":%llu,\"other_rx\":%llu,"
	       "\"errors\":%llu,\"cpu_s\":%.3f}\n",
	       (unsigned long long)sent, (double)(t - start) / 1e9,
	       (double)sent / ((double)(t - start) / 1e9), (unsigned long long)replies,
	       (unsigned long long)other, (unsigned long long)errors, cpu);
	close(fd);
	return 0;
}
