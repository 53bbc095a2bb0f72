/*
 * test/harness.h - the unit-test harness: value-printing checks and a closing
 * "N passed, N failed" line that CI reads. Single-threaded tests only.
 */
#ifndef UWG_TEST_HARNESS_H
#define UWG_TEST_HARNESS_H

#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static unsigned harness_passed, harness_failed;

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#define CHECK(cond)                                                                    \
	do {                                                                           \
		if (cond) {                                                            \
			harness_passed++;                                              \
		} else {                                                               \
			harness_failed++;                                              \
			fprintf(stderr, "FAIL %s:%d: %s\n", __FILE__, __LINE__, #cond); \
		}                                                                      \
	} while (0)

#define CHECK_EQ_STR(a, b)                                                             \
	do {                                                                           \
		const char *a_ = (a), *b_ = (b);                                       \
		if (strcmp(a_, b_))                                                    \
			fprintf(stderr, "  got '%s' want '%s'\n", a_, b_);             \
		CHECK(!strcmp(a_, b_));                                                \
	} while (0)

#define CHECK_EQ_U64(a, b)                                                              \
	do {                                                                            \
		uint64_t a_ = (uint64_t)(a), b_ = (uint64_t)(b);                        \
		if (a_ == b_) {                                                         \
			harness_passed++;                                               \
		} else {                                                                \
			harness_failed++;                                               \
			fprintf(stderr, "FAIL %s:%d: %s == %s (%" PRIu64 " != %" PRIu64 ")\n", \
				__FILE__, __LINE__, #a, #b, a_, b_);                    \
		}                                                                       \
	} while (0)

#define CHECK_EQ_INT(a, b)                                                           \
	do {                                                                         \
		long long a_ = (long long)(a), b_ = (long long)(b);                  \
		if (a_ == b_) {                                                      \
			harness_passed++;                                            \
		} else {                                                             \
			harness_failed++;                                            \
			fprintf(stderr, "FAIL %s:%d: %s == %s (%lld != %lld)\n", __FILE__, \
				__LINE__, #a, #b, a_, b_);                           \
		}                                                                    \
	} while (0)

static inline void harness_hex(FILE *f, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		fprintf(f, "%02x", p[i]);
}

#define CHECK_MEM_EQ(a, b, n)                                                        \
	do {                                                                         \
		const uint8_t *a_ = (const uint8_t *)(a), *b_ = (const uint8_t *)(b); \
		size_t n_ = (n);                                                     \
		if (memcmp(a_, b_, n_) == 0) {                                       \
			harness_passed++;                                            \
		} else {                                                             \
			harness_failed++;                                            \
			fprintf(stderr, "FAIL %s:%d: %s == %s\n  got  ", __FILE__,   \
				__LINE__, #a, #b);                                   \
			harness_hex(stderr, a_, n_);                                 \
			fprintf(stderr, "\n  want ");                                \
			harness_hex(stderr, b_, n_);                                 \
			fprintf(stderr, "\n");                                       \
		}                                                                    \
	} while (0)

/* Parses a hex string into out; returns the byte count. Aborts on bad test data. */
static inline size_t harness_unhex(uint8_t *out, size_t cap, const char *hex)
{
	size_t n = strlen(hex) / 2;

	if (n > cap || strlen(hex) % 2) {
		fprintf(stderr, "bad test vector %s\n", hex);
		abort();
	}
	for (size_t i = 0; i < n; i++) {
		unsigned v;
		if (sscanf(hex + 2 * i, "%2x", &v) != 1)
			abort();
		out[i] = (uint8_t)v;
	}
	return n;
}

/* Prints the closing line and returns the process exit status. */
static inline int harness_report(const char *name)
{
	printf("%s: %u passed, %u failed\n", name, harness_passed, harness_failed);
	return harness_failed ? 1 : 0;
}

#endif
