/*
 * test/fuzz/fuzz_natpmp.c - libFuzzer harness for the NAT-PMP codec
 * (igd/natpmp.c): any datagram parses into one of its kinds, and the reply
 * built for it has the size and header RFC 6886 gives that kind.
 */
#include <stdint.h>
#include <stdlib.h>

#include "igd/natpmp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t out[UWG_NATPMP_REPLY_MAX];
	struct uwg_natpmp_req r;
	size_t n = 0;

	switch (uwg_natpmp_parse(data, size, &r)) {
	case UWG_NATPMP_DROP:
		return 0;
	case UWG_NATPMP_BAD_VERSION:
		n = uwg_natpmp_reply_error(out, r.op, UWG_NATPMP_UNSUPPORTED_VERSION, 1);
		break;
	case UWG_NATPMP_BAD_OPCODE:
		n = uwg_natpmp_reply_error(out, r.op, UWG_NATPMP_UNSUPPORTED_OPCODE, 1);
		break;
	case UWG_NATPMP_REQUEST:
		if (r.op == UWG_NATPMP_OP_ADDRESS)
			n = uwg_natpmp_reply_address(out, 0, 1, 0x01020304);
		else if (r.op == UWG_NATPMP_OP_MAP_UDP || r.op == UWG_NATPMP_OP_MAP_TCP)
			n = uwg_natpmp_reply_map(out, r.op, 0, 1, r.int_port, r.ext_port, r.lifetime);
		else
			abort();
		break;
	}
	if (n < 8 || n > sizeof(out) || out[0] != 0 || out[1] != (128 | (r.op & 127)))
		abort();
	return 0;
}
