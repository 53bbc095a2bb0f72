/*
 * test/fuzz/fuzz_http.c - arbitrary bytes through the IGD's request guard
 * (igd/http.c). Nothing may crash or read out of bounds, and:
 *  - a complete request lies within the input, with a GET/HEAD/POST method,
 *    a path starting with '/' without '?', NUL-terminated fields;
 *  - a refusal carries one of the documented statuses;
 *  - the answer never depends on bytes past what a complete request used:
 *    any longer input gives the same request;
 *  - every prefix of a complete request asks for more or is the same request
 *    (never a refusal of something that later turns out fine);
 *  - the Host check accepts at most the exact forms of one address.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "igd/http.h"

#define REQUIRE(c)               \
	do {                     \
		if (!(c))        \
			abort(); \
	} while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool status_ok(int s)
{
	return s == 400 || s == 405 || s == 411 || s == 413 || s == 414 || s == 431 || s == 501 ||
	       s == 505;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct uwg_igd_http_req r, r2;
	const char *buf = (const char *)data;
	size_t max_body = 512;
	int err;

	/* an exact-size heap copy, so ASan sees any read past the end */
	char *copy = malloc(size ? size : 1);

	REQUIRE(copy);
	memcpy(copy, buf, size);
	err = uwg_igd_http_parse(&r, copy, size, max_body);
	REQUIRE(err == 0 || err == -EAGAIN || err == -EPROTO);
	if (err == -EPROTO)
		REQUIRE(status_ok(r.status));
	if (err == 0) {
		struct in_addr ip = { htonl(0x0a640001) };

		REQUIRE(r.method <= UWG_IGD_HTTP_POST);
		REQUIRE(r.path[0] == '/' && !strchr(r.path, '?'));
		REQUIRE(strlen(r.path) < sizeof(r.path) && strlen(r.host) < sizeof(r.host));
		REQUIRE(strlen(r.soapaction) < sizeof(r.soapaction));
		REQUIRE(r.head_len <= UWG_IGD_HTTP_HEAD_MAX && r.body_len <= max_body);
		REQUIRE(r.head_len + r.body_len <= size);
		/* the same request from exactly the bytes it used */
		err = uwg_igd_http_parse(&r2, copy, r.head_len + r.body_len, max_body);
		REQUIRE(err == 0 && r2.head_len == r.head_len && r2.body_len == r.body_len &&
			!strcmp(r2.path, r.path) && !strcmp(r2.host, r.host));
		/* prefixes: more, or (for a body-less request cut inside the body) never a refusal */
		for (size_t i = 0; i < r.head_len + r.body_len; i += 1 + i / 8)
			REQUIRE(uwg_igd_http_parse(&r2, copy, i, max_body) == -EAGAIN);
		if (uwg_igd_http_host_ok(r.host, ip, 49152))
			REQUIRE(!strcmp(r.host, "10.100.0.1") || !strcmp(r.host, "10.100.0.1:49152"));
	}
	free(copy);
	return 0;
}
