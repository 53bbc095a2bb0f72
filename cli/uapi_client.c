/*
 * cli/uapi_client.c - `wg`'s side of the UAPI socket: request text out,
 * reply text parsed into struct uwg_conf. Buffers that carried keys are wiped
 * before they are freed. Main thread only.
 */
#include "cli/uapi_client.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "cli/uapi/text.h"
#include "crypto/ct.h"
#include "crypto/encoding.h"
#include "crypto/x25519.h"

static int sock_path(char *buf, size_t len, const char *ifname)
{
	if (!*ifname || strchr(ifname, '/') || strlen(ifname) > UWG_CONF_IFNAME_MAX)
		return -EINVAL;
	if ((size_t)snprintf(buf, len, "%s/%s.sock", UWG_UAPI_CLIENT_DIR, ifname) >= len)
		return -ENAMETOOLONG;
	return 0;
}

int uwg_uapi_client_open(const char *ifname)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct stat st;
	int fd, ret = sock_path(sun.sun_path, sizeof(sun.sun_path), ifname);

	if (ret)
		return ret;
	if (stat(sun.sun_path, &st) < 0 || !S_ISSOCK(st.st_mode))
		return -ENODEV;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		ret = errno == ECONNREFUSED || errno == ENOENT ? -ENODEV : -errno;
		close(fd);
		return ret;
	}
	return fd;
}

bool uwg_uapi_client_exists(const char *ifname)
{
	int fd = uwg_uapi_client_open(ifname);

	/* A socket we may not use is still an interface (wg lists it, then says why). */
	if (fd == -EACCES || fd == -EPERM)
		return true;
	if (fd < 0)
		return false;
	close(fd);
	return true;
}

bool uwg_uapi_client_socket_present(const char *ifname)
{
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	struct stat st;

	return sock_path(path, sizeof(path), ifname) == 0 && lstat(path, &st) == 0;
}

static int write_all(int fd, const char *buf, size_t len)
{
	while (len) {
		ssize_t w = send(fd, buf, len, MSG_NOSIGNAL);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -errno;
		buf += w;
		len -= (size_t)w;
	}
	return 0;
}

/* A reply ends with its blank line. */
static bool reply_done(const char *text, size_t len)
{
	return (len == 1 && text[0] == '\n') ||
	       (len >= 2 && text[len - 1] == '\n' && text[len - 2] == '\n');
}

/* Reads one reply (up to and including the blank line). Malloc'd, NUL-terminated. */
static int read_reply(int fd, char **out, size_t *outlen)
{
	struct uwg_text t = { 0 };
	int err = uwg_text_read(&t, fd, 256u << 20, reply_done);

	if (err) {
		uwg_text_free(&t);
		return err == -EFBIG ? -ENOMEM : err;
	}
	*out = uwg_text_take(&t, outlen);
	return *out ? 0 : -ENOMEM;
}

static unsigned zone_ifindex(void *ctx, const char *name)
{
	(void)ctx;
	return if_nametoindex(name);
}

static bool parse_u64(const char *s, uint64_t max, uint64_t *out)
{
	return uwg_text_decimal(s, strlen(s), max, out);
}

int uwg_uapi_client_parse_get(struct uwg_conf *out, const char *text, size_t len)
{
	struct uwg_conf_peer *peer = NULL;
	size_t off = 0;
	bool got_errno = false, ended = false;
	int ret = 0;

	while (off < len && !ended) {
		const char *nl = memchr(text + off, '\n', len - off);
		size_t n = nl ? (size_t)(nl - (text + off)) : len - off;
		char line[256];
		char *val;
		uint64_t v = 0;

		if (!nl)
			return -EPROTO;
		if (n == 0) {
			ended = true;
			break;
		}
		if (n >= sizeof(line))
			return -EPROTO;
		memcpy(line, text + off, n);
		line[n] = '\0';
		off += n + 1;
		val = strchr(line, '=');
		if (!val) {
			uwg_memzero(line, sizeof(line));
			return -EPROTO;
		}
		*val++ = '\0';
		if (!strcmp(line, "private_key")) {
			if (!uwg_key_from_hex(out->private_key, val)) {
				ret = -EPROTO;
			} else if (!uwg_is_zero(out->private_key, UWG_CONF_KEY_LEN)) {
				out->flags |= UWG_DEV_HAS_PRIVATE_KEY;
				if (uwg_x25519_public(out->public_key, out->private_key))
					out->flags |= UWG_DEV_HAS_PUBLIC_KEY;
			}
		} else if (!strcmp(line, "listen_port")) {
			if (!parse_u64(val, 65535, &v))
				ret = -EPROTO;
			out->listen_port = (uint16_t)v;
			out->flags |= UWG_DEV_HAS_LISTEN_PORT;
		} else if (!strcmp(line, "fwmark")) {
			if (!parse_u64(val, 0xffffffffu, &v))
				ret = -EPROTO;
			out->fwmark = (uint32_t)v;
			out->flags |= UWG_DEV_HAS_FWMARK;
		} else if (!strcmp(line, "public_key")) {
			peer = uwg_conf_add_peer(out);
			if (!peer)
				ret = -ENOMEM;
			else if (!uwg_key_from_hex(peer->public_key, val))
				ret = -EPROTO;
		} else if (!strcmp(line, "errno")) {
			/* wg wants 0 here; a daemon's failure is worth passing on, either sign. */
			if (!parse_u64(val[0] == '-' ? val + 1 : val, 4095, &v))
				ret = -EPROTO;
			else if (v)
				ret = -(int)v;
			got_errno = true;
		} else if (!peer) {
			/* Unknown device keys are skipped, as wg does. */
		} else if (!strcmp(line, "preshared_key")) {
			if (!uwg_key_from_hex(peer->preshared_key, val))
				ret = -EPROTO;
			else if (!uwg_is_zero(peer->preshared_key, UWG_CONF_KEY_LEN))
				peer->flags |= UWG_PEER_HAS_PRESHARED_KEY;
		} else if (!strcmp(line, "endpoint")) {
			if (!uwg_text_endpoint(val, &peer->endpoint, zone_ifindex, NULL))
				ret = -EPROTO;
			else
				peer->flags |= UWG_PEER_HAS_ENDPOINT;
		} else if (!strcmp(line, "last_handshake_time_sec")) {
			if (!parse_u64(val, INT64_MAX, &v))
				ret = -EPROTO;
			peer->last_handshake_sec = (int64_t)v;
		} else if (!strcmp(line, "last_handshake_time_nsec")) {
			if (!parse_u64(val, INT64_MAX, &v))
				ret = -EPROTO;
			peer->last_handshake_nsec = (int64_t)v;
		} else if (!strcmp(line, "rx_bytes")) {
			if (!parse_u64(val, UINT64_MAX, &peer->rx_bytes))
				ret = -EPROTO;
		} else if (!strcmp(line, "tx_bytes")) {
			if (!parse_u64(val, UINT64_MAX, &peer->tx_bytes))
				ret = -EPROTO;
		} else if (!strcmp(line, "persistent_keepalive_interval")) {
			if (!parse_u64(val, 65535, &v))
				ret = -EPROTO;
			peer->keepalive = (uint16_t)v;
			peer->flags |= UWG_PEER_HAS_KEEPALIVE;
		} else if (!strcmp(line, "allowed_ip")) {
			struct uwg_ip_prefix p;

			if (!uwg_ip_prefix_parse(&p, val, false))
				ret = -EPROTO;
			else if (!uwg_conf_add_aip(peer, &p, false))
				ret = -ENOMEM;
		}
		uwg_memzero(line, sizeof(line));
		if (ret)
			return ret;
	}
	if (!got_errno || !ended)
		return -EPROTO;
	return 0;
}

char *uwg_uapi_client_format_set(const struct uwg_conf *conf, size_t *len)
{
	struct uwg_text b = { 0 };
	char hex[UWG_KEY_HEX_LEN];

	uwg_text_printf(&b, "set=1\n");
	if (conf->flags & UWG_DEV_HAS_PRIVATE_KEY) {
		uwg_key_to_hex(hex, conf->private_key);
		uwg_text_printf(&b, "private_key=%s\n", hex);
	}
	if (conf->flags & UWG_DEV_HAS_LISTEN_PORT)
		uwg_text_printf(&b, "listen_port=%u\n", conf->listen_port);
	if (conf->flags & UWG_DEV_HAS_FWMARK)
		uwg_text_printf(&b, "fwmark=%u\n", conf->fwmark);
	if (conf->flags & UWG_DEV_REPLACE_PEERS)
		uwg_text_printf(&b, "replace_peers=true\n");
	for (size_t i = 0; i < conf->n_peers; i++) {
		const struct uwg_conf_peer *peer = &conf->peers[i];

		uwg_key_to_hex(hex, peer->public_key);
		uwg_text_printf(&b, "public_key=%s\n", hex);
		if (peer->flags & UWG_PEER_REMOVE) {
			uwg_text_printf(&b, "remove=true\n");
			continue;
		}
		if (peer->flags & UWG_PEER_UPDATE_ONLY)
			uwg_text_printf(&b, "update_only=true\n");
		if (peer->flags & UWG_PEER_HAS_PRESHARED_KEY) {
			uwg_key_to_hex(hex, peer->preshared_key);
			uwg_text_printf(&b, "preshared_key=%s\n", hex);
		}
		if ((peer->flags & UWG_PEER_HAS_ENDPOINT) && peer->endpoint.ss_family) {
			char ep[128];

			uwg_conf_format_endpoint(&peer->endpoint, ep, sizeof(ep));
			uwg_text_printf(&b, "endpoint=%s\n", ep);
		}
		if (peer->flags & UWG_PEER_HAS_KEEPALIVE)
			uwg_text_printf(&b, "persistent_keepalive_interval=%u\n", peer->keepalive);
		if (peer->flags & UWG_PEER_REPLACE_ALLOWED_IPS)
			uwg_text_printf(&b, "replace_allowed_ips=true\n");
		for (size_t j = 0; j < peer->n_aips; j++) {
			char pfx[UWG_IP_PREFIX_STRLEN];

			uwg_ip_prefix_format(&peer->aips[j].prefix, pfx, sizeof(pfx));
			uwg_text_printf(&b, "allowed_ip=%s%s\n", peer->aips[j].remove ? "-" : "", pfx);
		}
	}
	uwg_text_printf(&b, "\n");
	uwg_memzero(hex, sizeof(hex));
	return uwg_text_take(&b, len);
}

/* A reply's buffers may carry keys (get): wiped before they are freed. */
void uwg_uapi_client_free(char *reply, size_t len)
{
	if (!reply)
		return;
	uwg_memzero(reply, len);
	free(reply);
}

int uwg_uapi_client_transact(const char *ifname, const char *req, size_t len, char **reply,
			     size_t *rlen)
{
	int fd = uwg_uapi_client_open(ifname), ret;

	*reply = NULL;
	*rlen = 0;
	if (fd < 0)
		return fd;
	ret = write_all(fd, req, len);
	if (!ret)
		ret = read_reply(fd, reply, rlen);
	close(fd);
	return ret;
}

int uwg_uapi_client_reply_errno(const char *reply)
{
	const char *e = strstr(reply, "errno=");
	long long num;

	/* wireguard-go closes the connection on a key it does not know: no errno line */
	if (!e || (e != reply && e[-1] != '\n') || sscanf(e, "errno=%lld\n", &num) != 1)
		return -EPROTO;
	return num < 0 ? (int)num : -(int)num;
}

int uwg_uapi_client_set_text(const char *ifname, const char *req, size_t len)
{
	size_t rlen;
	char *reply;
	int ret = uwg_uapi_client_transact(ifname, req, len, &reply, &rlen);

	if (!ret)
		ret = uwg_uapi_client_reply_errno(reply);
	uwg_uapi_client_free(reply, rlen);
	return ret;
}

int uwg_uapi_client_get(const char *ifname, struct uwg_conf *out)
{
	char *reply;
	size_t len;
	int ret = uwg_uapi_client_transact(ifname, "get=1\n\n", 7, &reply, &len);

	if (ret)
		return ret;
	ret = uwg_uapi_client_parse_get(out, reply, len);
	uwg_uapi_client_free(reply, len);
	return ret;
}

int uwg_uapi_client_set(const char *ifname, const struct uwg_conf *conf)
{
	size_t len = 0;
	char *req = uwg_uapi_client_format_set(conf, &len);
	int ret;

	if (!req)
		return -ENOMEM;
	ret = uwg_uapi_client_set_text(ifname, req, len);
	uwg_memzero(req, len);
	free(req);
	return ret;
}

int uwg_uapi_client_list(char ***names, size_t *n)
{
	DIR *d = opendir(UWG_UAPI_CLIENT_DIR);
	struct dirent *e;
	char **v = NULL;
	size_t cnt = 0;

	*names = NULL;
	*n = 0;
	if (!d)
		return errno == ENOENT ? 0 : -errno;
	while ((e = readdir(d))) {
		size_t len = strlen(e->d_name);
		char name[UWG_CONF_IFNAME_MAX + 1];
		char **nv;

		if (len <= 5 || len - 5 > UWG_CONF_IFNAME_MAX || strcmp(e->d_name + len - 5, ".sock"))
			continue;
		memcpy(name, e->d_name, len - 5);
		name[len - 5] = '\0';
		if (!uwg_uapi_client_exists(name))
			continue;
		nv = realloc(v, (cnt + 1) * sizeof(*v));
		if (!nv || !(nv[cnt] = strdup(name))) {
			uwg_uapi_client_list_free(nv ? nv : v, cnt);
			closedir(d);
			return -ENOMEM;
		}
		v = nv;
		cnt++;
	}
	closedir(d);
	*names = v;
	*n = cnt;
	return 0;
}

void uwg_uapi_client_list_free(char **names, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
}
