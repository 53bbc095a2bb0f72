/*
 * core/messages.h - WireGuard wire formats and protocol constants, nothing
 * else. Messages are byte arrays locked by static_assert and read with the LE
 * helpers below; never cast a receive buffer to these structs before its
 * length has been checked against the exact size of its type.
 */
#ifndef UWG_CORE_MESSAGES_H
#define UWG_CORE_MESSAGES_H

#include <assert.h>
#include <stddef.h>
#include <stdint.h>

enum uwg_noise_lengths {
	UWG_NOISE_PUBLIC_KEY_LEN = 32,
	UWG_NOISE_SYMMETRIC_KEY_LEN = 32,
	UWG_NOISE_TIMESTAMP_LEN = 12,
	UWG_NOISE_AUTHTAG_LEN = 16,
	UWG_NOISE_HASH_LEN = 32,
	UWG_COOKIE_LEN = 16,
	UWG_COOKIE_NONCE_LEN = 24,
	UWG_MAC_LEN = 16,
};

#define uwg_noise_encrypted_len(plain_len) ((plain_len) + UWG_NOISE_AUTHTAG_LEN)

enum uwg_message_type {
	UWG_MSG_INVALID = 0,
	UWG_MSG_HANDSHAKE_INITIATION = 1,
	UWG_MSG_HANDSHAKE_RESPONSE = 2,
	UWG_MSG_HANDSHAKE_COOKIE = 3,
	UWG_MSG_DATA = 4,
};

/* The first four bytes, read as LE32, equal the type: bytes 1..3 must be zero. */
struct uwg_msg_initiation {
	uint8_t type[4];
	uint8_t sender_index[4];
	uint8_t unencrypted_ephemeral[UWG_NOISE_PUBLIC_KEY_LEN];
	uint8_t encrypted_static[uwg_noise_encrypted_len(UWG_NOISE_PUBLIC_KEY_LEN)];
	uint8_t encrypted_timestamp[uwg_noise_encrypted_len(UWG_NOISE_TIMESTAMP_LEN)];
	uint8_t mac1[UWG_MAC_LEN];
	uint8_t mac2[UWG_MAC_LEN];
};

struct uwg_msg_response {
	uint8_t type[4];
	uint8_t sender_index[4];
	uint8_t receiver_index[4];
	uint8_t unencrypted_ephemeral[UWG_NOISE_PUBLIC_KEY_LEN];
	uint8_t encrypted_nothing[uwg_noise_encrypted_len(0)];
	uint8_t mac1[UWG_MAC_LEN];
	uint8_t mac2[UWG_MAC_LEN];
};

struct uwg_msg_cookie {
	uint8_t type[4];
	uint8_t receiver_index[4];
	uint8_t nonce[UWG_COOKIE_NONCE_LEN];
	uint8_t encrypted_cookie[uwg_noise_encrypted_len(UWG_COOKIE_LEN)];
};

struct uwg_msg_data_header {
	uint8_t type[4];
	uint8_t receiver_index[4];
	uint8_t counter[8];
};

static_assert(sizeof(struct uwg_msg_initiation) == 148, "initiation is 148 bytes");
static_assert(offsetof(struct uwg_msg_initiation, mac1) == 116, "init mac1 at 116");
static_assert(offsetof(struct uwg_msg_initiation, mac2) == 132, "init mac2 at 132");
static_assert(sizeof(struct uwg_msg_response) == 92, "response is 92 bytes");
static_assert(offsetof(struct uwg_msg_response, mac1) == 60, "response mac1 at 60");
static_assert(offsetof(struct uwg_msg_response, mac2) == 76, "response mac2 at 76");
static_assert(sizeof(struct uwg_msg_cookie) == 64, "cookie reply is 64 bytes");
static_assert(sizeof(struct uwg_msg_data_header) == 16, "data header is 16 bytes");

enum uwg_message_sizes {
	UWG_MSG_DATA_HEADER_LEN = 16,
	UWG_MSG_DATA_MIN_LEN = UWG_MSG_DATA_HEADER_LEN + UWG_NOISE_AUTHTAG_LEN, /* keepalive */
	UWG_MSG_PADDING_MULTIPLE = 16,
};

/* Times in seconds. */
enum uwg_protocol_seconds {
	UWG_REKEY_AFTER_TIME_S = 120,
	UWG_REJECT_AFTER_TIME_S = 180,
	UWG_REKEY_ATTEMPT_TIME_S = 90,
	UWG_REKEY_TIMEOUT_S = 5,
	UWG_KEEPALIVE_TIMEOUT_S = 10,
	UWG_COOKIE_SECRET_MAX_AGE_S = 120,
	UWG_COOKIE_SECRET_LATENCY_S = 5,
};

enum uwg_protocol_limits {
	UWG_MAX_TIMER_HANDSHAKES = UWG_REKEY_ATTEMPT_TIME_S / UWG_REKEY_TIMEOUT_S,
	UWG_REKEY_TIMEOUT_JITTER_MAX_MS = 334,
	UWG_INITIATIONS_PER_SECOND = 50,
	UWG_MAX_STAGED_PACKETS = 128,
	UWG_MAX_QUEUED_PACKETS = 1024,
	UWG_MAX_QUEUED_INCOMING_HANDSHAKES = 4096,
	UWG_MAX_PEERS = 1 << 20,
	UWG_DEFAULT_MTU = 1420,
	UWG_COUNTER_BITS_TOTAL = 8192,
	UWG_COUNTER_WINDOW_SIZE = UWG_COUNTER_BITS_TOTAL - 64,
};

#define UWG_NS_PER_SEC UINT64_C(1000000000)
#define UWG_NS_PER_MS UINT64_C(1000000)
#define UWG_REKEY_AFTER_MESSAGES (UINT64_C(1) << 60)
#define UWG_REJECT_AFTER_MESSAGES (UINT64_MAX - UWG_COUNTER_WINDOW_SIZE - 1)

static inline uint32_t uwg_le32_load(const uint8_t p[4])
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static inline void uwg_le32_store(uint8_t p[4], uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

static inline uint64_t uwg_le64_load(const uint8_t p[8])
{
	return (uint64_t)uwg_le32_load(p) | (uint64_t)uwg_le32_load(p + 4) << 32;
}

static inline void uwg_le64_store(uint8_t p[8], uint64_t v)
{
	uwg_le32_store(p, (uint32_t)v);
	uwg_le32_store(p + 4, (uint32_t)(v >> 32));
}

#endif
