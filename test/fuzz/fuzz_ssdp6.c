/*
 * test/fuzz/fuzz_ssdp6.c - arbitrary datagrams through igd/ssdp6.c, the IPv6
 * M-SEARCH answers the SSDP child sends from the tunnel. Nothing may crash
 * or read past the datagram, and:
 *  - anything not starting with the M-SEARCH request line is never answered;
 *  - a refusal emits nothing; an answer emits as many replies as it counts,
 *    at most one per thing of the device tree;
 *  - every reply is one whole HTTP response of printable text (CR LF only),
 *    within the size limit, naming one of our two URLs and a USN of ours,
 *    its ST the one searched for (or, for ssdp:all, one of ours).
 * Seeds: test/fuzz/corpus/fuzz_ssdp6 (what upnpc -6 and Syncthing send).
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "igd/ssdp6.h"

#define REQUIRE(c)                     \
	do {                           \
		if (!(c))              \
			abort();       \
	} while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define LOC "http://[fd00:100::1]:49152/description6.xml"
#define LOWER "http://[fd00:100::1]:49152/description6v1.xml"

static int emitted;

static void check_reply(void *ctx, const char *r, size_t len)
{
	(void)ctx;
	emitted++;
	REQUIRE(len > 4 && len < UWG_IGD_SSDP6_REPLY_MAX);
	REQUIRE(!memcmp(r, "HTTP/1.1 200 OK\r\n", 17));
	REQUIRE(!memcmp(r + len - 4, "\r\n\r\n", 4));
	REQUIRE(memmem(r, len, "\r\nLOCATION: " LOC "\r\n", strlen(LOC) + 14) ||
		memmem(r, len, "\r\nLOCATION: " LOWER "\r\n", strlen(LOWER) + 14));
	REQUIRE(memmem(r, len, "\r\nUSN: uuid:0123abcd-0000-4000-8000-00000000000", 47));
	REQUIRE(memmem(r, len, "\r\nST: ", 6));
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)r[i];

		REQUIRE((c >= 0x20 && c < 0x7f) || (c == '\r' && i + 1 < len && r[i + 1] == '\n') ||
			(c == '\n' && i && r[i - 1] == '\r'));
	}
	/* exactly one blank line: the end */
	REQUIRE(memmem(r, len, "\r\n\r\n", 4) == r + len - 4);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct uwg_igd_ssdp6_device dev = { "0123abcd-0000-4000-8000-00000000000e",
							 LOC, LOWER, 0 };
	static const char line[] = "M-SEARCH * HTTP/1.1";
	int n;

	emitted = 0;
	n = uwg_igd_ssdp6_answer(&dev, (const char *)data, size, check_reply, NULL);
	if (n < 0) {
		REQUIRE(emitted == 0);
		return 0;
	}
	REQUIRE(n == emitted && n <= UWG_IGD_SSDP6_REPLIES_MAX);
	REQUIRE(size <= UWG_IGD_SSDP6_MSG_MAX && size > sizeof(line) &&
		!memcmp(data, line, sizeof(line) - 1));
	return 0;
}
