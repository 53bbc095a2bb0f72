/*
 * cli/uapi/text.h - the text helpers both the command and the daemon use for
 * config lines and UAPI requests: one-line error messages, a growable
 * printf buffer that wipes what it lets go (requests carry keys), the one
 * decimal parser, the UAPI's endpoint form, and the on/off words of uwg's
 * own config keys. Any thread; no shared state.
 */
#ifndef UWG_CLI_UAPI_TEXT_H
#define UWG_CLI_UAPI_TEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

/* Formats a reason into buf and returns false, for `return uwg_text_why(...)` in parsers. */
bool uwg_text_why(char *buf, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Zero-initialise; after the last uwg_text_printf, uwg_text_take or uwg_text_free. */
struct uwg_text {
	char *p;
	size_t len, cap;
	bool oom;
};

/* Appends; on ENOMEM it stops appending and remembers (checked once by uwg_text_take). */
void uwg_text_printf(struct uwg_text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The NUL-terminated text (malloc'd, *len set), or NULL (wiped and freed) after an ENOMEM. */
char *uwg_text_take(struct uwg_text *t, size_t *len);
/* Wipes and frees. */
void uwg_text_free(struct uwg_text *t);
/*
 * Appends what fd gives until EOF, or until done (if not NULL) says the
 * text so far is complete; t->p stays NUL-terminated. 0, -EFBIG past limit
 * bytes, -ENOMEM, or the read's -errno. Growing wipes what it lets go.
 */
int uwg_text_read(struct uwg_text *t, int fd, size_t limit,
		  bool (*done)(const char *text, size_t len));

/*
 * Appends one formatted line to buf (cap bytes, *used so far) if it fits
 * whole; false, with nothing added, if not. For replies into a fixed buffer.
 */
bool uwg_text_line(char *buf, size_t cap, size_t *used, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/*
 * The one decimal number parser: n bytes of s, digits only (no sign, space or
 * base prefix; leading zeros are fine), value <= max, never overflowing.
 */
bool uwg_text_decimal(const char *s, size_t n, uint64_t max, uint64_t *out);

/*
 * The UAPI's endpoint value, numeric only (the command resolves names):
 * "a.b.c.d:port" or "[v6[%zone]]:port". A zone is an interface index, or a
 * name that ifindex (if not NULL) turns into one (0: unknown).
 */
bool uwg_text_endpoint(const char *v, struct sockaddr_storage *ss,
		       unsigned (*ifindex)(void *ctx, const char *name), void *ctx);

/* on/true/yes and off/false/no, any case (uwg's own keys); false if neither. */
bool uwg_text_onoff(const char *v, bool *out);

#endif
