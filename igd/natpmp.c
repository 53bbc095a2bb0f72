/*
 * igd/natpmp.c - NAT-PMP wire format (see natpmp.h). RFC 6886 §3: version 0,
 * big-endian numbers, a response's opcode is 128 + the request's. Any thread.
 */
#include "igd/natpmp.h"

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

enum uwg_natpmp_kind uwg_natpmp_parse(const uint8_t *p, size_t len, struct uwg_natpmp_req *req)
{
	req->op = len >= 2 ? p[1] : 0;
	req->int_port = req->ext_port = 0;
	req->lifetime = 0;
	/* An opcode with the top bit set is a response (another server's): never answered. */
	if (len < 2 || p[1] >= 128)
		return UWG_NATPMP_DROP;
	if (p[0] != 0)
		return UWG_NATPMP_BAD_VERSION;
	if (p[1] == UWG_NATPMP_OP_ADDRESS)
		return UWG_NATPMP_REQUEST;
	if (p[1] != UWG_NATPMP_OP_MAP_UDP && p[1] != UWG_NATPMP_OP_MAP_TCP)
		return UWG_NATPMP_BAD_OPCODE;
	/* A map request is 12 bytes; a shorter one has no port to echo. The reserved bytes are ignored. */
	if (len < 12)
		return UWG_NATPMP_DROP;
	req->int_port = get16(p + 4);
	req->ext_port = get16(p + 6);
	req->lifetime = get32(p + 8);
	return UWG_NATPMP_REQUEST;
}

static void header(uint8_t *out, uint8_t op, uint16_t result, uint32_t epoch)
{
	out[0] = 0;
	out[1] = (uint8_t)(128 | op);
	put16(out + 2, result);
	put32(out + 4, epoch);
}

size_t uwg_natpmp_reply_address(uint8_t *out, uint16_t result, uint32_t epoch, uint32_t addr_be)
{
	const uint8_t *a = (const uint8_t *)&addr_be;

	header(out, UWG_NATPMP_OP_ADDRESS, result, epoch);
	/* RFC 6886 §3.2: undefined with an error, so zero. */
	for (int i = 0; i < 4; i++)
		out[8 + i] = result ? 0 : a[i];
	return 12;
}

size_t uwg_natpmp_reply_map(uint8_t *out, uint8_t op, uint16_t result, uint32_t epoch,
			    uint16_t int_port, uint16_t ext_port, uint32_t lifetime)
{
	header(out, op, result, epoch);
	/* §3.5: a failed request still echoes the internal port; nothing was mapped. */
	put16(out + 8, int_port);
	put16(out + 10, result ? 0 : ext_port);
	put32(out + 12, result ? 0 : lifetime);
	return 16;
}

size_t uwg_natpmp_reply_error(uint8_t *out, uint8_t op, uint16_t result, uint32_t epoch)
{
	header(out, (uint8_t)(op & 127), result, epoch);
	return 8;
}
