/*
 * cli/daemon/log.h - the daemon's log: one process-wide level and sink (stderr, a
 * file, or syslog), plus a token-bucket limiter for anything the network can
 * trigger. Secrets are never passed here. Loop thread (and main before the
 * loop exists) only.
 */
#ifndef UWG_CLI_DAEMON_LOG_H
#define UWG_CLI_DAEMON_LOG_H

#include <stdbool.h>
#include <stdint.h>

enum uwg_log_level {
	UWG_LOG_SILENT = 0,
	UWG_LOG_ERROR,
	UWG_LOG_INFO,
	UWG_LOG_DEBUG,
};

/* LOG_LEVEL values as wireguard-go reads them, plus "info": false if unknown. */
bool uwg_log_level_parse(const char *s, enum uwg_log_level *level);
void uwg_log_set_level(enum uwg_log_level level);
enum uwg_log_level uwg_log_get_level(void);
/* Prefix for every message, e.g. the interface name ("uwg(wg0)"). Copied. */
void uwg_log_set_tag(const char *tag);

/*
 * Sinks. The default is stderr with timestamps; journal: systemd's stream,
 * "<N>" priority prefixes (sd-daemon(3)) and no timestamp, so journald files
 * each line by priority.
 */
void uwg_log_to_stderr(bool journal);

/* What stderr is, for a daemon deciding whether to keep logging there. */
enum uwg_log_stderr {
	UWG_LOG_STDERR_NONE,    /* closed, or /dev/null */
	UWG_LOG_STDERR_JOURNAL, /* the stream $JOURNAL_STREAM names (systemd) */
	UWG_LOG_STDERR_KEEP,    /* a terminal or a file */
	UWG_LOG_STDERR_PIPE,    /* a pipe or socket: its reader may wait for EOF */
};
/* journal_stream: $JOURNAL_STREAM ("DEV:INODE") or NULL. */
enum uwg_log_stderr uwg_log_stderr_kind(const char *journal_stream);
/* Appends to path (created 0600); 0 or -errno. Replaces any earlier sink. */
int uwg_log_to_file(const char *path);
/* Re-opens the log file after rotation (SIGHUP); no-op for other sinks. */
void uwg_log_reopen(void);
/* syslog(3), facility LOG_DAEMON, ident "uwg". */
void uwg_log_to_syslog(void);
void uwg_log_close(void);
/* The log file's fd (-1 if the sink is not a file), to keep when closing inherited fds. */
int uwg_log_file_fd(void);

void uwg_log(enum uwg_log_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#define uwg_log_error(...) uwg_log(UWG_LOG_ERROR, __VA_ARGS__)
#define uwg_log_info(...) uwg_log(UWG_LOG_INFO, __VA_ARGS__)
#define uwg_log_debug(...) uwg_log(UWG_LOG_DEBUG, __VA_ARGS__)

/*
 * A token bucket for messages the network can cause: at most burst messages,
 * then one per interval; the first message after a quiet spell reports how
 * many were suppressed. Zero-initialise, then set burst and interval_ns.
 */
struct uwg_log_limit {
	uint64_t interval_ns;
	uint32_t burst;
	uint32_t tokens;
	uint64_t last_refill;
	uint64_t suppressed;
};

/* "peer(AbCd...wxyz)": a public key as wireguard-go's log names it (in ASCII). */
enum { UWG_LOG_PEER_LEN = 24 };
void uwg_log_peer_name(char out[UWG_LOG_PEER_LEN], const uint8_t key[32]);

/* CLOCK_MONOTONIC in ns, for callers without a loop clock at hand. */
uint64_t uwg_log_clock(void);

/* True if a message may be logged at now (monotonic ns); counts it otherwise. */
bool uwg_log_limit_allow(struct uwg_log_limit *rl, uint64_t now);

#define uwg_log_limited(rl, now, level, ...)                                      \
	do {                                                                      \
		if (uwg_log_get_level() >= (level) && uwg_log_limit_allow((rl), (now))) \
			uwg_log((level), __VA_ARGS__);                            \
	} while (0)

#endif
