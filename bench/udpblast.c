/*
 * bench/udpblast.c - a paced UDP load generator and sink for the pps knee.
 * iperf3 spends ~5 us of CPU per datagram on each side (a select() and a
 * send or recv per packet), so on a 2-vCPU machine it, not the tunnel, sets
 * the ceiling. This sends with sendmmsg and receives with recvmmsg, so the
 * applications cost little and the tunnel's own cost per packet shows.
 *
 *   udpblast recv PORT SECONDS            counts datagrams of this tool until
 *                                         SECONDS pass or 1 s after the last one
 *   udpblast send ADDR PORT LEN PPS SECONDS
 *
 * Each prints one JSON line. Datagrams carry a magic and a sequence number;
 * the sink counts distinct-enough arrivals (it does not deduplicate: a
 * tunnel does not duplicate). Plain sockets, default buffers, no GSO.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

enum { BATCH = 32, MAXLEN = 9000 };
static const uint32_t MAGIC = 0x75776762; /* "uwgb" */

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int usage(void)
{
	fprintf(stderr, "usage: udpblast recv PORT SECONDS | send ADDR PORT LEN PPS SECONDS\n");
	return 2;
}

static int do_recv(int port, double seconds)
{
	static uint8_t buf[BATCH][MAXLEN];
	struct mmsghdr msgs[BATCH];
	struct iovec iov[BATCH];
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	struct timeval tv = { .tv_sec = 0, .tv_usec = 200000 };
	uint64_t start = now_ns(), last = 0, first = 0, pkts = 0, bytes = 0, foreign = 0;
	int fd = socket(AF_INET, SOCK_DGRAM, 0);

	if (fd < 0 || bind(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0) {
		perror("udpblast recv");
		return 1;
	}
	/* recvmmsg writes only msg_len and msg_flags: the headers are set up once. */
	for (int i = 0; i < BATCH; i++) {
		iov[i] = (struct iovec){ buf[i], MAXLEN };
		msgs[i] = (struct mmsghdr){ .msg_hdr = { .msg_iov = &iov[i], .msg_iovlen = 1 } };
	}
	printf("{\"ready\":1}\n");
	fflush(stdout);
	for (;;) {
		uint64_t t = now_ns();
		int n;

		if (t - start > (uint64_t)(seconds * 1e9) || (last && t - last > 1000000000u))
			break;
		n = recvmmsg(fd, msgs, BATCH, 0, NULL);
		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				continue;
			perror("recvmmsg");
			return 1;
		}
		last = now_ns();
		if (!first)
			first = last;
		for (int i = 0; i < n; i++) {
			uint32_t m;

			if (msgs[i].msg_len < 12) {
				foreign++;
				continue;
			}
			memcpy(&m, buf[i], 4);
			if (m != MAGIC) {
				foreign++;
				continue;
			}
			pkts++;
			bytes += msgs[i].msg_len;
		}
	}
	printf("{\"received\":%llu,\"bytes\":%llu,\"foreign\":%llu,\"span_s\":%.6f}\n",
	       (unsigned long long)pkts, (unsigned long long)bytes, (unsigned long long)foreign,
	       last > first ? (double)(last - first) / 1e9 : 0.0);
	close(fd);
	return 0;
}

static int do_send(const char *addr, int port, size_t len, double pps, double seconds)
{
	static uint8_t buf[BATCH][MAXLEN];
	struct mmsghdr msgs[BATCH];
	struct iovec iov[BATCH];
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	uint64_t seq = 0, errors = 0, start, end, next, period;
	int fd = socket(AF_INET, SOCK_DGRAM, 0);

	if (fd < 0 || inet_pton(AF_INET, addr, &sin.sin_addr) != 1 ||
	    connect(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0) {
		perror("udpblast send");
		return 1;
	}
	for (int i = 0; i < BATCH; i++) {
		memset(buf[i], 0xa5, len);
		memcpy(buf[i], &MAGIC, 4);
		iov[i] = (struct iovec){ buf[i], len };
		msgs[i] = (struct mmsghdr){ .msg_hdr = { .msg_iov = &iov[i], .msg_iovlen = 1 } };
	}
	/* One batch per period: BATCH datagrams at the requested average rate. */
	period = (uint64_t)(1e9 * BATCH / pps);
	start = now_ns();
	end = start + (uint64_t)(seconds * 1e9);
	next = start;
	while (next < end) {
		struct timespec ts = { (time_t)(next / 1000000000u), (long)(next % 1000000000u) };
		int done = 0;

		clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
		for (int i = 0; i < BATCH; i++) {
			uint64_t s = seq + (uint64_t)i;

			memcpy(buf[i] + 4, &s, 8);
		}
		while (done < BATCH) {
			int n = sendmmsg(fd, msgs + done, (unsigned)(BATCH - done), 0);

			if (n < 0) {
				/* ENOBUFS and the like: that datagram is lost at the sender; count it sent. */
				errors++;
				done++;
				continue;
			}
			done += n;
		}
		seq += BATCH;
		next += period;
	}
	printf("{\"sent\":%llu,\"send_errors\":%llu,\"seconds\":%.6f}\n", (unsigned long long)seq,
	       (unsigned long long)errors, (double)(now_ns() - start) / 1e9);
	close(fd);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 4 && !strcmp(argv[1], "recv"))
		return do_recv(atoi(argv[2]), atof(argv[3]));
	if (argc == 7 && !strcmp(argv[1], "send")) {
		size_t len = (size_t)atol(argv[4]);
		double pps = atof(argv[5]), secs = atof(argv[6]);

		if (len < 12 || len > MAXLEN || pps <= 0 || secs <= 0)
			return usage();
		return do_send(argv[2], atoi(argv[3]), len, pps, secs);
	}
	return usage();
}
