/*
 * test/fuzz/fuzz_leases.c - libFuzzer harness for the lease file reader
 * (cli/daemon/leases.c). The first byte picks the shape: odd, the rest is a
 * slot body behind a valid header (so the line parser is reached past the
 * checksum); even, the rest is a whole file. Whatever a read yields is
 * written back and must read back the same, and every entry must parse
 * again from its own formatting.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "cli/daemon/leases.h"
#include "crypto/blake2s.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int memfile(const uint8_t *data, size_t size)
{
	int fd = memfd_create("leases", MFD_CLOEXEC);

	if (fd >= 0 && size && write(fd, data, size) != (ssize_t)size) {
		close(fd);
		return -1;
	}
	return fd;
}

/* A file whose slot 0 holds body under a header with the right checksum. */
static int wrapped(const uint8_t *body, size_t len)
{
	uint8_t h[16];
	char head[96];
	int hl, fd;

	uwg_blake2s(h, sizeof(h), NULL, 0, body, len);
	hl = snprintf(head, sizeof(head), "uwg-leases 1 7 %zu ", len);
	for (int i = 0; i < 16; i++)
		hl += snprintf(head + hl, sizeof(head) - (size_t)hl, "%02x", h[i]);
	head[hl++] = '\n';
	fd = memfile((const uint8_t *)head, (size_t)hl);
	if (fd >= 0 && len && write(fd, body, len) != (ssize_t)len) {
		close(fd);
		return -1;
	}
	return fd;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct uwg_leases l = { .fd = -1 }, back = { .fd = -1 };
	struct uwg_lease *v = NULL, *w = NULL;
	size_t n = 0, m = 0;

	if (size < 1 || size > 65536)
		return 0;
	l.fd = data[0] & 1 ? wrapped(data + 1, size - 1) : memfile(data + 1, size - 1);
	if (l.fd < 0)
		return 0;
	if (uwg_leases_read(&l, &v, &n) == 0) {
		for (size_t i = 0; i < n; i++) {
			struct uwg_lease again;
			char line[512];

			uwg_lease_format(&v[i], line, sizeof(line));
			if (uwg_lease_parse(&again, line) || memcmp(&again, &v[i], sizeof(again)))
				abort();
		}
		back.fd = memfile(NULL, 0);
		if (back.fd >= 0 && uwg_leases_write(&back, v, n) == 0) {
			if (uwg_leases_read(&back, &w, &m) || m != n ||
			    (n && memcmp(v, w, n * sizeof(*v))))
				abort();
		}
	}
	free(v);
	free(w);
	uwg_leases_close(&l);
	uwg_leases_close(&back);
	return 0;
}
