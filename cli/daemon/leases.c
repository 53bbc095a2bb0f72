/*
 * cli/daemon/leases.c - the lease file (see leases.h). A slot is
 *   "uwg-leases 1 SEQ LEN HASH\n" + LEN bytes of body,
 * HASH the hex BLAKE2s-128 of the body; the body is one line per map:
 *   "map ORIGIN tcp|udp EXT_PORT CLIENT CLIENT_PORT OWNER_B64 EXPIRES DESC".
 * Loop thread only.
 */
#include "cli/daemon/leases.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/uapi/text.h"
#include "crypto/blake2s.h"
#include "crypto/encoding.h"

enum { HASH_LEN = 16, HEAD_MAX = 96 };

int uwg_leases_open(struct uwg_leases *l, const char *ifname)
{
	char path[256];
	int fd;

	l->fd = -1;
	l->seq = 0;
	if (mkdir(UWG_LEASE_DIR, 0700) < 0 && errno != EEXIST)
		return -errno;
	snprintf(path, sizeof(path), "%s/%s.leases", UWG_LEASE_DIR, ifname);
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return -errno;
	/* Root-only whatever umask or an earlier owner left. */
	if (fchown(fd, 0, 0) < 0 || fchmod(fd, 0600) < 0) {
		int err = -errno;

		close(fd);
		return err;
	}
	l->fd = fd;
	return 0;
}

void uwg_leases_remove_unused(const char *ifname)
{
	char path[256];
	struct stat st;

	snprintf(path, sizeof(path), "%s/%s.leases", UWG_LEASE_DIR, ifname);
	if (lstat(path, &st) == 0 && S_ISREG(st.st_mode) && st.st_size == 0)
		unlink(path);
}

void uwg_leases_close(struct uwg_leases *l)
{
	if (l->fd >= 0)
		close(l->fd);
	l->fd = -1;
}

static void hash_hex(const char *body, size_t len, char out[2 * HASH_LEN + 1])
{
	uint8_t h[HASH_LEN];

	uwg_blake2s(h, sizeof(h), NULL, 0, (const uint8_t *)body, len);
	for (int i = 0; i < HASH_LEN; i++)
		snprintf(out + 2 * i, 3, "%02x", h[i]);
}

static const char *proto_name(uint8_t proto)
{
	return proto == IPPROTO_UDP ? "udp" : "tcp";
}

void uwg_lease_format(const struct uwg_lease *e, char *buf, size_t len)
{
	char client[INET6_ADDRSTRLEN], rem[INET6_ADDRSTRLEN], owner[UWG_KEY_B64_LEN];
	char desc[UWG_LEASE_DESC_MAX];
	struct in_addr a = { htonl(e->int_addr) };
	size_t i = 0;

	uwg_key_to_base64(owner, e->owner);
	/* The description is the rest of the line: printable, no line breaks. */
	for (; e->desc[i] && i + 1 < sizeof(desc); i++)
		desc[i] = e->desc[i] >= 0x20 && e->desc[i] < 0x7f ? e->desc[i] : '?';
	desc[i] = '\0';
	if (e->pinhole) {
		inet_ntop(AF_INET6, e->int6, client, sizeof(client));
		inet_ntop(AF_INET6, e->rem6, rem, sizeof(rem));
		snprintf(buf, len, "pinhole %s %s %s %u %s %u %s %" PRId64 " %s", e->origin,
			 proto_name(e->proto), client, e->int_port, rem, e->rem_port, owner,
			 e->expires, desc);
		return;
	}
	inet_ntop(AF_INET, &a, client, sizeof(client));
	snprintf(buf, len, "map %s %s %u %s %u %s %" PRId64 " %s", e->origin, proto_name(e->proto),
		 e->ext_port, client, e->int_port, owner, e->expires, desc);
}

/* The next space-separated field of *s (NUL-terminated in place), or NULL. */
static char *field(char **s)
{
	char *f = *s, *sp;

	if (!f || !*f)
		return NULL;
	sp = strchr(f, ' ');
	if (sp) {
		*sp = '\0';
		*s = sp + 1;
	} else {
		*s = NULL;
	}
	return f;
}

int uwg_lease_parse(struct uwg_lease *e, const char *line)
{
	char buf[512], *s = buf, *f[9];
	uint64_t ext = 0, port, exp;
	struct in_addr a;
	bool pinhole = !strncmp(line, "pinhole ", 8);
	int nf = pinhole ? 9 : 8; /* the description is the rest of the line */

	if (strlen(line) >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, line, strlen(line) + 1);
	memset(e, 0, sizeof(*e));
	for (int i = 0; i < nf; i++)
		if (!(f[i] = field(&s)))
			return -EINVAL;
	if (strcmp(f[0], pinhole ? "pinhole" : "map") || strlen(f[1]) >= sizeof(e->origin) ||
	    (strcmp(f[2], "tcp") && strcmp(f[2], "udp")))
		return -EINVAL;
	if (pinhole) {
		uint64_t rport;

		if (inet_pton(AF_INET6, f[3], e->int6) != 1 ||
		    !uwg_text_decimal(f[4], strlen(f[4]), 65535, &port) || !port ||
		    inet_pton(AF_INET6, f[5], e->rem6) != 1 ||
		    !uwg_text_decimal(f[6], strlen(f[6]), 65535, &rport) ||
		    !uwg_key_from_base64(e->owner, f[7]) ||
		    !uwg_text_decimal(f[8], strlen(f[8]), INT64_MAX, &exp) || !exp)
			return -EINVAL;
		e->pinhole = true;
		e->rem_port = (uint16_t)rport;
	} else {
		if (!uwg_text_decimal(f[3], strlen(f[3]), 65535, &ext) || !ext ||
		    inet_pton(AF_INET, f[4], &a) != 1 ||
		    !uwg_text_decimal(f[5], strlen(f[5]), 65535, &port) || !port ||
		    !uwg_key_from_base64(e->owner, f[6]) ||
		    !uwg_text_decimal(f[7], strlen(f[7]), INT64_MAX, &exp))
			return -EINVAL;
		e->int_addr = ntohl(a.s_addr);
	}
	snprintf(e->desc, sizeof(e->desc), "%s", s ? s : "");
	snprintf(e->origin, sizeof(e->origin), "%s", f[1]);
	e->proto = strcmp(f[2], "udp") ? IPPROTO_TCP : IPPROTO_UDP;
	e->ext_port = (uint16_t)ext;
	e->int_port = (uint16_t)port;
	e->expires = (int64_t)exp;
	for (char *c = e->desc; *c; c++)
		if (*c < 0x20 || *c >= 0x7f)
			*c = '?';
	return 0;
}

/* Slot k's body (malloc'd, NUL-terminated) and sequence, or -EBADMSG if it is not valid. */
static int read_slot(int fd, int k, char **body, uint64_t *seq)
{
	char head[HEAD_MAX + 1], hash[2 * HASH_LEN + 1], want[2 * HASH_LEN + 1];
	unsigned long long s, len;
	ssize_t n;
	char *nl, *b;
	int used;

	n = pread(fd, head, HEAD_MAX, (off_t)k * UWG_LEASES_SLOT);
	if (n < 0)
		return -errno;
	head[n] = '\0';
	nl = strchr(head, '\n');
	if (!nl || sscanf(head, "uwg-leases 1 %llu %llu %32s%n", &s, &len, hash, &used) != 3 ||
	    head + used != nl || len > UWG_LEASES_SLOT - (size_t)(nl + 1 - head))
		return -EBADMSG;
	b = malloc(len + 1);
	if (!b)
		return -ENOMEM;
	n = pread(fd, b, len, (off_t)k * UWG_LEASES_SLOT + (nl + 1 - head));
	if (n != (ssize_t)len) {
		free(b);
		return -EBADMSG;
	}
	b[len] = '\0';
	hash_hex(b, len, want);
	if (strcmp(hash, want) || memchr(b, '\0', len)) {
		free(b);
		return -EBADMSG;
	}
	*body = b;
	*seq = s;
	return 0;
}

int uwg_leases_read(struct uwg_leases *l, struct uwg_lease **out, size_t *n)
{
	char *body[2] = { NULL, NULL }, *best, *line, *save = NULL;
	uint64_t seq[2] = { 0, 0 };
	int ok[2], pick;
	struct stat st;

	*out = NULL;
	*n = 0;
	if (l->fd < 0)
		return -EBADF;
	if (fstat(l->fd, &st) < 0)
		return -errno;
	if (st.st_size == 0)
		return 0;
	for (int k = 0; k < 2; k++)
		ok[k] = read_slot(l->fd, k, &body[k], &seq[k]) == 0;
	if (!ok[0] && !ok[1])
		return -EBADMSG;
	pick = ok[1] && (!ok[0] || seq[1] > seq[0]);
	best = body[pick];
	l->seq = seq[pick];
	*out = calloc(UWG_LEASES_MAX, sizeof(**out));
	if (!*out) {
		free(body[0]);
		free(body[1]);
		return -ENOMEM;
	}
	l->epoch_origin = 0;
	for (line = strtok_r(best, "\n", &save); line && *n < UWG_LEASES_MAX;
	     line = strtok_r(NULL, "\n", &save)) {
		long long epoch;
		char end;

		if (sscanf(line, "epoch %lld%c", &epoch, &end) == 1 && epoch > 0)
			l->epoch_origin = epoch;
		else if (uwg_lease_parse(&(*out)[*n], line) == 0)
			(*n)++;
	}
	free(body[0]);
	free(body[1]);
	return 0;
}

int uwg_leases_write(struct uwg_leases *l, const struct uwg_lease *v, size_t n)
{
	char *buf, head[HEAD_MAX], hash[2 * HASH_LEN + 1], line[512];
	size_t len = 0;
	int hl, k;

	if (l->fd < 0)
		return -EBADF;
	buf = malloc(UWG_LEASES_SLOT);
	if (!buf)
		return -ENOMEM;
	if (l->epoch_origin > 0)
		len = (size_t)snprintf(buf + HEAD_MAX, UWG_LEASES_SLOT - HEAD_MAX, "epoch %" PRId64 "\n",
				       l->epoch_origin);
	for (size_t i = 0; i < n; i++) {
		int w;

		uwg_lease_format(&v[i], line, sizeof(line));
		w = snprintf(buf + HEAD_MAX + len, UWG_LEASES_SLOT - HEAD_MAX - len, "%s\n", line);
		if (w < 0 || (size_t)w >= UWG_LEASES_SLOT - HEAD_MAX - len) {
			free(buf);
			return -E2BIG;
		}
		len += (size_t)w;
	}
	hash_hex(buf + HEAD_MAX, len, hash);
	hl = snprintf(head, sizeof(head), "uwg-leases 1 %" PRIu64 " %zu %s\n", l->seq + 1, len,
		      hash);
	/* The body goes right after the header: move it down over the reserve. */
	memmove(buf + hl, buf + HEAD_MAX, len);
	memcpy(buf, head, (size_t)hl);
	k = (int)((l->seq + 1) % 2);
	if (pwrite(l->fd, buf, (size_t)hl + len, (off_t)k * UWG_LEASES_SLOT) !=
		    (ssize_t)((size_t)hl + len) ||
	    fdatasync(l->fd) < 0) {
		int err = errno ? -errno : -EIO;

		free(buf);
		return err;
	}
	free(buf);
	l->seq++;
	return 0;
}
