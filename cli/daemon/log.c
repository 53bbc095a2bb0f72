/*
 * cli/daemon/log.c - log level, sinks and the rate limiter (see cli/daemon/log.h). The
 * file sink keeps its path so SIGHUP can re-open it after rotation. Loop
 * thread (and main before the loop exists) only.
 */
#include "cli/daemon/log.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "crypto/encoding.h"

enum sink { SINK_STDERR, SINK_JOURNAL, SINK_FILE, SINK_SYSLOG };

static struct {
	enum uwg_log_level level;
	enum sink sink;
	int fd;
	char path[4096];
	char tag[64];
} lg = { .level = UWG_LOG_ERROR, .sink = SINK_STDERR, .fd = -1, .tag = "uwg" };

bool uwg_log_level_parse(const char *s, enum uwg_log_level *level)
{
	if (!strcmp(s, "verbose") || !strcmp(s, "debug"))
		*level = UWG_LOG_DEBUG;
	else if (!strcmp(s, "info"))
		*level = UWG_LOG_INFO;
	else if (!strcmp(s, "error"))
		*level = UWG_LOG_ERROR;
	else if (!strcmp(s, "silent"))
		*level = UWG_LOG_SILENT;
	else
		return false;
	return true;
}

void uwg_log_set_level(enum uwg_log_level level)
{
	lg.level = level;
}

enum uwg_log_level uwg_log_get_level(void)
{
	return lg.level;
}

void uwg_log_set_tag(const char *tag)
{
	snprintf(lg.tag, sizeof(lg.tag), "%s", tag);
}

static void close_file(void)
{
	if (lg.fd >= 0)
		close(lg.fd);
	lg.fd = -1;
}

void uwg_log_to_stderr(bool journal)
{
	uwg_log_close();
	lg.sink = journal ? SINK_JOURNAL : SINK_STDERR;
}

enum uwg_log_stderr uwg_log_stderr_kind(const char *journal_stream)
{
	struct stat st, null;
	unsigned long long dev, ino;
	char end;

	if (fstat(STDERR_FILENO, &st) < 0)
		return UWG_LOG_STDERR_NONE;
	if (S_ISCHR(st.st_mode) && stat("/dev/null", &null) == 0 && st.st_rdev == null.st_rdev)
		return UWG_LOG_STDERR_NONE;
	if (journal_stream && sscanf(journal_stream, "%llu:%llu%c", &dev, &ino, &end) == 2 &&
	    dev == (unsigned long long)st.st_dev && ino == (unsigned long long)st.st_ino)
		return UWG_LOG_STDERR_JOURNAL;
	if (S_ISREG(st.st_mode) || (S_ISCHR(st.st_mode) && isatty(STDERR_FILENO)))
		return UWG_LOG_STDERR_KEEP;
	return UWG_LOG_STDERR_PIPE;
}

static int open_file(const char *path)
{
	int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY, 0600);

	return fd < 0 ? -errno : fd;
}

int uwg_log_to_file(const char *path)
{
	int fd;

	if (strlen(path) >= sizeof(lg.path))
		return -ENAMETOOLONG;
	fd = open_file(path);
	if (fd < 0)
		return fd;
	uwg_log_close();
	lg.fd = fd;
	snprintf(lg.path, sizeof(lg.path), "%s", path);
	lg.sink = SINK_FILE;
	return 0;
}

void uwg_log_reopen(void)
{
	int fd;

	if (lg.sink != SINK_FILE)
		return;
	fd = open_file(lg.path);
	if (fd < 0)
		return; /* keep writing to the old file rather than losing the log */
	close_file();
	lg.fd = fd;
}

void uwg_log_to_syslog(void)
{
	uwg_log_close();
	openlog("uwg", LOG_PID | LOG_NDELAY, LOG_DAEMON);
	lg.sink = SINK_SYSLOG;
}

void uwg_log_close(void)
{
	if (lg.sink == SINK_SYSLOG)
		closelog();
	close_file();
	lg.sink = SINK_STDERR;
}

int uwg_log_file_fd(void)
{
	return lg.sink == SINK_FILE ? lg.fd : -1;
}

static const char *level_name(enum uwg_log_level level)
{
	switch (level) {
	case UWG_LOG_ERROR:
		return "ERROR";
	case UWG_LOG_INFO:
		return "INFO";
	case UWG_LOG_DEBUG:
		return "DEBUG";
	case UWG_LOG_SILENT:
		break;
	}
	return "";
}

static int syslog_priority(enum uwg_log_level level)
{
	switch (level) {
	case UWG_LOG_ERROR:
		return LOG_ERR;
	case UWG_LOG_INFO:
		return LOG_INFO;
	case UWG_LOG_DEBUG:
	case UWG_LOG_SILENT:
		break;
	}
	return LOG_DEBUG;
}

void uwg_log(enum uwg_log_level level, const char *fmt, ...)
{
	char msg[1024], line[1200], stamp[32];
	struct timespec ts;
	struct tm tm;
	va_list ap;
	int n;

	if (level == UWG_LOG_SILENT || level > lg.level)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);

	if (lg.sink == SINK_SYSLOG) {
		syslog(syslog_priority(level), "%s: %s", lg.tag, msg);
		return;
	}
	if (lg.sink == SINK_JOURNAL) {
		n = snprintf(line, sizeof(line), "<%d>%s: %s\n", syslog_priority(level), lg.tag, msg);
		if (n > 0 && write(STDERR_FILENO, line,
				   (size_t)n < sizeof(line) ? (size_t)n : sizeof(line) - 1) < 0)
			return;
		return;
	}
	clock_gettime(CLOCK_REALTIME, &ts);
	localtime_r(&ts.tv_sec, &tm);
	strftime(stamp, sizeof(stamp), "%Y-%m-%d %H:%M:%S", &tm);
	n = snprintf(line, sizeof(line), "%s.%03ld %s: %s: %s\n", stamp, ts.tv_nsec / 1000000L,
		     level_name(level), lg.tag, msg);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof(line))
		n = (int)sizeof(line) - 1;
	/* One write() per line keeps lines whole when several daemons share a file. */
	if (write(lg.sink == SINK_FILE ? lg.fd : STDERR_FILENO, line, (size_t)n) < 0)
		return;
}

void uwg_log_peer_name(char out[UWG_LOG_PEER_LEN], const uint8_t key[32])
{
	char b64[UWG_KEY_B64_LEN];

	uwg_key_to_base64(b64, key);
	snprintf(out, UWG_LOG_PEER_LEN, "peer(%.4s...%.4s)", b64, b64 + 39);
}

uint64_t uwg_log_clock(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

bool uwg_log_limit_allow(struct uwg_log_limit *rl, uint64_t now)
{
	uint64_t suppressed;

	if (rl->last_refill == 0) {
		rl->tokens = rl->burst;
		rl->last_refill = now;
	} else if (rl->interval_ns && now - rl->last_refill >= rl->interval_ns) {
		uint64_t add = (now - rl->last_refill) / rl->interval_ns;

		rl->tokens = add >= rl->burst ? rl->burst : rl->tokens + (uint32_t)add;
		if (rl->tokens > rl->burst)
			rl->tokens = rl->burst;
		rl->last_refill = now;
	}
	if (rl->tokens == 0) {
		rl->suppressed++;
		return false;
	}
	rl->tokens--;
	suppressed = rl->suppressed;
	rl->suppressed = 0;
	if (suppressed)
		uwg_log(lg.level, "(%llu similar messages suppressed)", (unsigned long long)suppressed);
	return true;
}
