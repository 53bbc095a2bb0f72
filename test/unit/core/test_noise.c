/*
 * test/unit/core/test_noise.c - core/noise.c: C0/H0, byte-exact handshake vectors,
 * full handshakes between in-memory identities (with and without PSK),
 * tampering, replay and flood rejection, low-order keys and the keypair slot
 * machine.
 *
 * The fixed-key vectors were generated independently of this code with
 * CPython (hashlib.blake2s, hmac) and the `cryptography` package (X25519,
 * ChaCha20Poly1305), following the Noise IKpsk2 steps of the WireGuard paper:
 * static keys clamp(01..20) and clamp(21..40), ephemerals clamp(41..60) and
 * clamp(61..80), PSK 81..a0, timestamp 400000006553f100 12000000, sender
 * indices 0x11223344 (initiator) and 0xaabbccdd (responder).
 */
#include <string.h>

#include "core/cookie.h"
#include "core/noise.h"
#include "crypto/blake2s.h"
#include "crypto/crypto.h"
#include "crypto/ct.h"
#include "crypto/x25519.h"
#include "test/harness.h"

static const char *c0_hex = "60e26daef327efc02ec335e2a025d2d016eb4206f87277f52d38d1988b78cd36";
static const char *h0_hex = "2211b361081ac566691243db458ad5322d9c6c662293e8b70ee19c65ba079ef3";

static const char *si_clamped_hex =
	"0002030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f60";
static const char *si_pub_hex = "07a37cbc142093c8b755dc1b10e86cb426374ad16aa853ed0bdfc0b2b86d1c7c";
static const char *sr_pub_hex = "5869aff450549732cbaaed5e5df9b30a6da31cb0e5742bad5ad4a1a768f1a67b";
static const char *ts_hex = "400000006553f10012000000";

/* Initiation and response without MACs (bytes before mac1), then T1 and T2. */
static const struct {
	bool psk;
	const char *init, *resp, *t1, *t2;
} vectors[] = {
	{ true,
	  "010000004433221164b101b1d0be5a8704bd078f9895001fc03e8e9f9522f188dd128d9846d48466158a0e"
	  "4ca242d151ca97ab90159a98b67e616625e68b4065d357376b6598e644ad7d678c0295d22de4cb43d51355"
	  "81ed36346bfa7cf42a183339f893bdfb3050ff87c30dcb033452aa491717",
	  "02000000ddccbbaa44332211244fe3b963e899dd295baffce248d3530f3a9a7479ba063002680ebfe7adad"
	  "49fb6cfb25493ff5724cfca7b18a5246e2",
	  "248a29611829aaf7ee8bc8e87df805c1019f08f82d80eb79b7625821ba0a1317",
	  "848308e622b3e15e5ebc5312111efc31082e86c85e9ee93fe8c5aa7f972cc9c3" },
	{ false,
	  "010000004433221164b101b1d0be5a8704bd078f9895001fc03e8e9f9522f188dd128d9846d48466158a0e"
	  "4ca242d151ca97ab90159a98b67e616625e68b4065d357376b6598e644ad7d678c0295d22de4cb43d51355"
	  "81ed36346bfa7cf42a183339f893bdfb3050ff87c30dcb033452aa491717",
	  "02000000ddccbbaa44332211244fe3b963e899dd295baffce248d3530f3a9a7479ba063002680ebfe7adad"
	  "49b234946141056ac279ef5a4814026f09",
	  "c5f330b6dc92c8bd4124800733b33cd9d7e5dd2ac8c782e1b558f9b2b60804d8",
	  "df0e53eac779a4c1ab023907c8dda549efdbf8ca9a4ce931ba1d27a2a8be73f9" },
};

/*
 * The seven low-order public keys of the kernel's netns.sh (0, 1, the two
 * order-8 points, p-1, p, p+1), then the same points with the ignored top
 * bit set (RFC 7748 §5 masks it).
 */
static const char *low_order_hex[] = {
	"0000000000000000000000000000000000000000000000000000000000000000",
	"0100000000000000000000000000000000000000000000000000000000000000",
	"e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800",
	"5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157",
	"ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
	"edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
	"eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
	"0000000000000000000000000000000000000000000000000000000000000080",
	"0100000000000000000000000000000000000000000000000000000000000080",
	"e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b880",
	"5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f11d7",
	"ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
	"edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
};

#define SEC UWG_NS_PER_SEC
#define MS UWG_NS_PER_MS

/* One side: its identity, its handshake and keypairs for the other side, its MAC state. */
struct party {
	struct uwg_noise_identity id;
	struct uwg_noise_handshake hs;
	struct uwg_noise_keypairs kps;
	struct uwg_cookie_checker checker;
	struct uwg_cookie_maker maker;
};

struct drops {
	uint32_t idx[64];
	size_t n;
};

static void drop_cb(void *ctx, uint32_t local_index)
{
	struct drops *d = ctx;

	if (d->n < ARRAY_SIZE(d->idx))
		d->idx[d->n++] = local_index;
}

static bool dropped(const struct drops *d, uint32_t idx)
{
	for (size_t i = 0; i < d->n; i++)
		if (d->idx[i] == idx)
			return true;
	return false;
}

static struct uwg_noise_handshake *lookup_cb(void *ctx, const uint8_t pub[32])
{
	struct party *p = ctx;

	return memcmp(p->hs.remote_static, pub, 32) == 0 ? &p->hs : NULL;
}

static void fill(uint8_t *p, size_t n, uint8_t first)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)(first + i);
}

static void party_setup(struct party *a, struct party *b, const uint8_t a_priv[32],
			const uint8_t b_priv[32], const uint8_t *psk_a, const uint8_t *psk_b)
{
	memset(a, 0, sizeof(*a));
	memset(b, 0, sizeof(*b));
	uwg_noise_identity_set(&a->id, a_priv);
	uwg_noise_identity_set(&b->id, b_priv);
	uwg_noise_handshake_init(&a->hs, &a->id, b->id.static_public, psk_a);
	uwg_noise_handshake_init(&b->hs, &b->id, a->id.static_public, psk_b);
	uwg_noise_keypairs_init(&a->kps);
	uwg_noise_keypairs_init(&b->kps);
	uwg_cookie_checker_init(&a->checker, a->id.static_public);
	uwg_cookie_checker_init(&b->checker, b->id.static_public);
	uwg_cookie_maker_init(&a->maker, b->id.static_public);
	uwg_cookie_maker_init(&b->maker, a->id.static_public);
}

static void random_party_setup(struct party *a, struct party *b, const uint8_t *psk_a,
			       const uint8_t *psk_b)
{
	uint8_t ka[32], kb[32], pub[32];

	uwg_x25519_generate(ka, pub);
	uwg_x25519_generate(kb, pub);
	party_setup(a, b, ka, kb, psk_a, psk_b);
}

static uint32_t ts_counter;

/* Strictly increasing timestamps, one second apart. */
static void next_timestamp(uint8_t ts[12])
{
	struct timespec wall = { .tv_sec = 1700000000 + (time_t)ts_counter++, .tv_nsec = 0 };

	uwg_noise_tai64n(ts, &wall);
}

/*
 * A whole handshake ini -> resp at `now`; installs both keypairs. The
 * initiator's local index is ii, the responder's ri.
 */
static bool full_handshake(struct party *ini, struct party *resp, uint32_t ii, uint32_t ri,
			   uint64_t now, const struct uwg_noise_index_ops *ops_i,
			   const struct uwg_noise_index_ops *ops_r, struct uwg_noise_keypair **kpi,
			   struct uwg_noise_keypair **kpr)
{
	struct uwg_msg_initiation init;
	struct uwg_msg_response resp_msg;
	uint8_t e[32], pub[32], ts[12];

	next_timestamp(ts);
	uwg_x25519_generate(e, pub);
	if (!uwg_noise_create_initiation(&init, &ini->hs, ii, e, ts))
		return false;
	if (uwg_noise_consume_initiation(&init, &resp->id, lookup_cb, resp, now) != &resp->hs)
		return false;
	uwg_x25519_generate(e, pub);
	if (!uwg_noise_create_response(&resp_msg, &resp->hs, ri, e))
		return false;
	if (!uwg_noise_consume_response(&resp_msg, &ini->hs))
		return false;
	*kpr = uwg_noise_begin_session(&resp->hs, &resp->kps, now, ops_r);
	*kpi = uwg_noise_begin_session(&ini->hs, &ini->kps, now, ops_i);
	return *kpi && *kpr;
}

static void test_constants(void)
{
	static const char construction[] = "Noise_IKpsk2_25519_ChaChaPoly_BLAKE2s";
	static const char identifier[] = "WireGuard v1 zx2c4 Jason@zx2c4.com";
	uint8_t c0[32], h0[32], want[32], buf[32 + sizeof(identifier)];

	uwg_blake2s(c0, 32, NULL, 0, (const uint8_t *)construction, strlen(construction));
	harness_unhex(want, 32, c0_hex);
	CHECK_MEM_EQ(c0, want, 32);
	memcpy(buf, c0, 32);
	memcpy(buf + 32, identifier, strlen(identifier));
	uwg_blake2s(h0, 32, NULL, 0, buf, 32 + strlen(identifier));
	harness_unhex(want, 32, h0_hex);
	CHECK_MEM_EQ(h0, want, 32);
	CHECK_EQ_U64(strlen(construction), 37);
	CHECK_EQ_U64(strlen(identifier), 34);
}

static void test_identity(void)
{
	struct uwg_noise_identity id;
	uint8_t priv[32], want[32], zero[32] = { 0 };

	fill(priv, 32, 1);
	uwg_noise_identity_set(&id, priv);
	CHECK(id.has_identity);
	harness_unhex(want, 32, si_clamped_hex);
	CHECK_MEM_EQ(id.static_private, want, 32);
	harness_unhex(want, 32, si_pub_hex);
	CHECK_MEM_EQ(id.static_public, want, 32);

	uwg_noise_identity_set(&id, zero);
	CHECK(!id.has_identity);
	CHECK(uwg_is_zero(id.static_private, 32));
	uwg_noise_identity_set(&id, priv);
	uwg_noise_identity_set(&id, NULL);
	CHECK(!id.has_identity);
	CHECK(uwg_is_zero(&id, sizeof(id)));
}

static void test_tai64n(void)
{
	static const struct {
		time_t sec;
		long nsec;
		const char *hex;
	} v[] = {
		{ 0, 0, "400000000000000a00000000" },
		{ 0, 999999999, "400000000000000a3b000000" }, /* 59 * 2^24 */
		{ 0, 16777215, "400000000000000a00000000" },
		{ 0, 16777216, "400000000000000a01000000" },
		{ 1700000000, 123456789, "400000006553f10a07000000" },
	};
	uint8_t out[12], want[12], a[12], b[12];

	for (size_t i = 0; i < ARRAY_SIZE(v); i++) {
		struct timespec ts = { .tv_sec = v[i].sec, .tv_nsec = v[i].nsec };

		uwg_noise_tai64n(out, &ts);
		harness_unhex(want, 12, v[i].hex);
		CHECK_MEM_EQ(out, want, 12);
	}
	/* Ordered as big-endian bytes, across a second boundary too. */
	uwg_noise_tai64n(a, &(struct timespec){ .tv_sec = 5, .tv_nsec = 999999999 });
	uwg_noise_tai64n(b, &(struct timespec){ .tv_sec = 6, .tv_nsec = 0 });
	CHECK(memcmp(a, b, 12) < 0);
}

/* The byte-exact vectors: fixed keys, ephemerals and timestamp. */
static void test_vectors(void)
{
	for (size_t v = 0; v < ARRAY_SIZE(vectors); v++) {
		static struct party ini, resp;
		struct uwg_msg_initiation init, init2;
		struct uwg_msg_response rmsg, rmsg2;
		struct uwg_noise_keypair *kpi, *kpr;
		uint8_t si[32], sr[32], ei[32], er[32], psk[32], ts[12], want[116];
		struct uwg_noise_handshake saved;

		fill(si, 32, 1);
		fill(sr, 32, 33);
		fill(ei, 32, 65);
		fill(er, 32, 97);
		fill(psk, 32, 129);
		harness_unhex(ts, 12, ts_hex);
		party_setup(&ini, &resp, si, sr, vectors[v].psk ? psk : NULL,
			    vectors[v].psk ? psk : NULL);
		harness_unhex(want, 32, sr_pub_hex);
		CHECK_MEM_EQ(resp.id.static_public, want, 32);

		saved = ini.hs;
		CHECK(uwg_noise_create_initiation(&init, &ini.hs, 0x11223344, ei, ts));
		CHECK_EQ_INT(ini.hs.state, UWG_HS_CREATED_INITIATION);
		CHECK_EQ_U64(ini.hs.local_index, 0x11223344);
		harness_unhex(want, 116, vectors[v].init);
		CHECK_MEM_EQ(&init, want, 116);
		CHECK(uwg_is_zero(init.mac1, 32)); /* MACs are cookie.c's */

		/* Deterministic: the same inputs from the same state give the same bytes. */
		ini.hs = saved;
		CHECK(uwg_noise_create_initiation(&init2, &ini.hs, 0x11223344, ei, ts));
		CHECK_MEM_EQ(&init, &init2, sizeof(init));

		CHECK(uwg_noise_consume_initiation(&init, &resp.id, lookup_cb, &resp, 5 * SEC) ==
		      &resp.hs);
		CHECK_EQ_INT(resp.hs.state, UWG_HS_CONSUMED_INITIATION);
		CHECK_EQ_U64(resp.hs.remote_index, 0x11223344);
		CHECK_MEM_EQ(resp.hs.latest_timestamp, ts, 12);
		CHECK_EQ_U64(resp.hs.last_initiation_consumption, 5 * SEC);

		saved = resp.hs;
		CHECK(uwg_noise_create_response(&rmsg, &resp.hs, 0xaabbccdd, er));
		CHECK_EQ_INT(resp.hs.state, UWG_HS_CREATED_RESPONSE);
		harness_unhex(want, 60, vectors[v].resp);
		CHECK_MEM_EQ(&rmsg, want, 60);
		CHECK(uwg_is_zero(rmsg.mac1, 32));
		resp.hs = saved;
		CHECK(uwg_noise_create_response(&rmsg2, &resp.hs, 0xaabbccdd, er));
		CHECK_MEM_EQ(&rmsg, &rmsg2, sizeof(rmsg));

		CHECK(uwg_noise_consume_response(&rmsg, &ini.hs));
		CHECK_EQ_INT(ini.hs.state, UWG_HS_CONSUMED_RESPONSE);
		CHECK_EQ_U64(ini.hs.remote_index, 0xaabbccdd);

		kpi = uwg_noise_begin_session(&ini.hs, &ini.kps, 7 * SEC, NULL);
		kpr = uwg_noise_begin_session(&resp.hs, &resp.kps, 7 * SEC, NULL);
		CHECK(kpi != NULL && kpr != NULL);
		if (!kpi || !kpr)
			continue;
		harness_unhex(want, 32, vectors[v].t1);
		CHECK_MEM_EQ(kpi->send_key, want, 32);
		CHECK_MEM_EQ(kpr->recv_key, want, 32);
		harness_unhex(want, 32, vectors[v].t2);
		CHECK_MEM_EQ(kpi->recv_key, want, 32);
		CHECK_MEM_EQ(kpr->send_key, want, 32);
		CHECK(kpi->i_am_the_initiator && !kpr->i_am_the_initiator);
		CHECK_EQ_U64(kpi->local_index, 0x11223344);
		CHECK_EQ_U64(kpi->remote_index, 0xaabbccdd);
		CHECK_EQ_U64(kpr->local_index, 0xaabbccdd);
		CHECK_EQ_U64(kpr->remote_index, 0x11223344);
		CHECK_EQ_U64(kpi->birthdate, 7 * SEC);
		CHECK(kpi->send_valid && kpr->send_valid);
		CHECK_EQ_U64(kpi->send_counter, 0);

		/* Session derivation wipes the handshake secrets. */
		CHECK_EQ_INT(ini.hs.state, UWG_HS_ZEROED);
		CHECK(uwg_is_zero(ini.hs.chaining_key, 32));
		CHECK(uwg_is_zero(ini.hs.hash, 32));
		CHECK(uwg_is_zero(ini.hs.ephemeral_private, 32));
		CHECK(uwg_is_zero(ini.hs.remote_ephemeral, 32));
		CHECK(uwg_is_zero(resp.hs.chaining_key, 32));
		CHECK(uwg_is_zero(resp.hs.ephemeral_private, 32));
		/* ...but not what the next handshake needs. */
		CHECK_MEM_EQ(resp.hs.latest_timestamp, ts, 12);
		CHECK(!uwg_is_zero(resp.hs.precomputed_static_static, 32));
	}
}

static void test_random_handshakes(void)
{
	uint8_t psk[32], other_psk[32];

	uwg_random_bytes(psk, sizeof(psk));
	uwg_random_bytes(other_psk, sizeof(other_psk));
	for (int with_psk = 0; with_psk < 2; with_psk++) {
		for (int i = 0; i < 8; i++) {
			static struct party a, b;
			struct uwg_noise_keypair *ka = NULL, *kb = NULL;

			random_party_setup(&a, &b, with_psk ? psk : NULL, with_psk ? psk : NULL);
			CHECK(full_handshake(&a, &b, 1, 2, SEC, NULL, NULL, &ka, &kb));
			if (!ka || !kb)
				continue;
			CHECK_MEM_EQ(ka->send_key, kb->recv_key, 32);
			CHECK_MEM_EQ(ka->recv_key, kb->send_key, 32);
			CHECK(memcmp(ka->send_key, ka->recv_key, 32) != 0);
			/* And the other way round on the same pair. */
			CHECK(full_handshake(&b, &a, 3, 4, 2 * SEC, NULL, NULL, &kb, &ka));
			CHECK_MEM_EQ(ka->send_key, kb->recv_key, 32);
			CHECK_MEM_EQ(ka->recv_key, kb->send_key, 32);
		}
	}

	/* PSK on one side only, or different PSKs: the initiator rejects the response. */
	for (int k = 0; k < 3; k++) {
		static struct party a, b;
		struct uwg_msg_initiation init;
		struct uwg_msg_response r;
		struct uwg_noise_handshake saved;
		uint8_t e[32], pub[32], ts[12];

		random_party_setup(&a, &b, k == 0 ? psk : (k == 1 ? NULL : psk),
				   k == 0 ? NULL : (k == 1 ? psk : other_psk));
		next_timestamp(ts);
		uwg_x25519_generate(e, pub);
		CHECK(uwg_noise_create_initiation(&init, &a.hs, 10, e, ts));
		CHECK(uwg_noise_consume_initiation(&init, &b.id, lookup_cb, &b, SEC) == &b.hs);
		uwg_x25519_generate(e, pub);
		CHECK(uwg_noise_create_response(&r, &b.hs, 20, e));
		saved = a.hs;
		CHECK(!uwg_noise_consume_response(&r, &a.hs));
		CHECK(memcmp(&saved, &a.hs, sizeof(saved)) == 0); /* untouched on failure */
		CHECK(uwg_noise_begin_session(&a.hs, &a.kps, SEC, NULL) == NULL);
	}
}

/* Flipping any byte of an initiation: mac1 or the Noise layer must reject it. */
static void test_tamper_initiation(void)
{
	static struct party a, b;
	struct uwg_msg_initiation genuine, m;
	struct uwg_noise_handshake b_saved;
	uint8_t e[32], pub[32], ts[12];
	unsigned mac_rejects = 0, noise_rejects = 0;

	random_party_setup(&a, &b, NULL, NULL);
	next_timestamp(ts);
	uwg_x25519_generate(e, pub);
	CHECK(uwg_noise_create_initiation(&genuine, &a.hs, 0x01020304, e, ts));
	uwg_cookie_add_macs(&a.maker, (uint8_t *)&genuine, sizeof(genuine), SEC);
	b_saved = b.hs;

	CHECK_EQ_INT(uwg_cookie_validate(&b.checker, (uint8_t *)&genuine, sizeof(genuine), NULL,
					 false, SEC, NULL, NULL),
		     UWG_COOKIE_VALID_MAC_BUT_NO_COOKIE);

	for (size_t i = 0; i < offsetof(struct uwg_msg_initiation, mac2); i++) {
		for (unsigned bit = 0; bit < 8; bit += 7) {
			bool rejected;

			m = genuine;
			((uint8_t *)&m)[i] ^= (uint8_t)(1u << bit);
			b.hs = b_saved;
			rejected = uwg_cookie_validate(&b.checker, (uint8_t *)&m, sizeof(m), NULL,
						       false, SEC, NULL, NULL) ==
					   UWG_COOKIE_INVALID_MAC ||
				   !uwg_noise_consume_initiation(&m, &b.id, lookup_cb, &b, SEC);
			CHECK(rejected);
			mac_rejects += rejected;

			/*
			 * mac1 is keyed by a public value, so an active attacker can
			 * recompute it: the Noise layer alone must still refuse every
			 * byte except the (unauthenticated) sender index.
			 */
			if (i < offsetof(struct uwg_msg_initiation, mac1)) {
				bool noise_ok;

				b.hs = b_saved;
				noise_ok = uwg_noise_consume_initiation(&m, &b.id, lookup_cb, &b,
									SEC) != NULL;
				if (i >= 4 && i < 8) {
					CHECK(noise_ok);
					CHECK_EQ_U64(b.hs.remote_index,
						     uwg_le32_load(m.sender_index));
				} else {
					CHECK(!noise_ok);
					CHECK(memcmp(&b.hs, &b_saved, sizeof(b_saved)) == 0);
					noise_rejects += !noise_ok;
				}
			}
		}
	}
	CHECK_EQ_U64(mac_rejects, 2 * 132);
	CHECK_EQ_U64(noise_rejects, 2 * (116 - 4));

	/* Nonzero reserved bytes 1..3 with a correct mac1 are still refused. */
	for (size_t i = 1; i < 4; i++) {
		m = genuine;
		m.type[i] = 1;
		uwg_cookie_add_macs(&a.maker, (uint8_t *)&m, sizeof(m), SEC);
		CHECK_EQ_INT(uwg_cookie_validate(&b.checker, (uint8_t *)&m, sizeof(m), NULL, false,
						 SEC, NULL, NULL),
			     UWG_COOKIE_VALID_MAC_BUT_NO_COOKIE);
		b.hs = b_saved;
		CHECK(uwg_noise_consume_initiation(&m, &b.id, lookup_cb, &b, SEC) == NULL);
	}

	/* The genuine one passes. */
	b.hs = b_saved;
	CHECK(uwg_noise_consume_initiation(&genuine, &b.id, lookup_cb, &b, SEC) == &b.hs);
}

static void test_tamper_response(void)
{
	static struct party a, b;
	struct uwg_msg_initiation init;
	struct uwg_msg_response genuine, m;
	struct uwg_noise_handshake a_saved;
	uint8_t e[32], pub[32], ts[12];
	unsigned rejects = 0;

	random_party_setup(&a, &b, NULL, NULL);
	next_timestamp(ts);
	uwg_x25519_generate(e, pub);
	CHECK(uwg_noise_create_initiation(&init, &a.hs, 0x01020304, e, ts));
	CHECK(uwg_noise_consume_initiation(&init, &b.id, lookup_cb, &b, SEC) == &b.hs);
	uwg_x25519_generate(e, pub);
	CHECK(uwg_noise_create_response(&genuine, &b.hs, 0x0a0b0c0d, e));
	uwg_cookie_add_macs(&b.maker, (uint8_t *)&genuine, sizeof(genuine), SEC);
	a_saved = a.hs;

	for (size_t i = 0; i < offsetof(struct uwg_msg_response, mac2); i++) {
		bool rejected;

		m = genuine;
		((uint8_t *)&m)[i] ^= 0x80;
		a.hs = a_saved;
		rejected = uwg_cookie_validate(&a.checker, (uint8_t *)&m, sizeof(m), NULL, false,
					       SEC, NULL, NULL) == UWG_COOKIE_INVALID_MAC ||
			   !uwg_noise_consume_response(&m, &a.hs);
		CHECK(rejected);
		if (i < offsetof(struct uwg_msg_response, mac1)) {
			bool ok;

			a.hs = a_saved;
			ok = uwg_noise_consume_response(&m, &a.hs);
			CHECK_EQ_INT(ok, i >= 4 && i < 8); /* only the sender index is unauthenticated */
			if (!ok) {
				CHECK(memcmp(&a.hs, &a_saved, sizeof(a_saved)) == 0);
				rejects++;
			}
		}
	}
	CHECK_EQ_U64(rejects, 60 - 4);

	/* Reserved bytes with a valid mac1. */
	for (size_t i = 1; i < 4; i++) {
		m = genuine;
		m.type[i] = 0xff;
		uwg_cookie_add_macs(&b.maker, (uint8_t *)&m, sizeof(m), SEC);
		a.hs = a_saved;
		CHECK(!uwg_noise_consume_response(&m, &a.hs));
	}
	a.hs = a_saved;
	CHECK(uwg_noise_consume_response(&genuine, &a.hs));
	/* A second copy of the response finds the handshake past CREATED_INITIATION. */
	CHECK(!uwg_noise_consume_response(&genuine, &a.hs));
}

/* Reusing a test peer: a fresh initiation from a to b with the given timestamp. */
static void make_init(struct party *a, struct uwg_msg_initiation *m, const uint8_t ts[12])
{
	uint8_t e[32], pub[32];

	uwg_x25519_generate(e, pub);
	CHECK(uwg_noise_create_initiation(m, &a->hs, 77, e, ts));
}

static void test_replay_and_flood(void)
{
	static struct party a, b;
	struct uwg_msg_initiation m1, m2, m0;
	uint8_t ts0[12], ts1[12], ts2[12];
	uint64_t t = 1000 * SEC;

	random_party_setup(&a, &b, NULL, NULL);
	next_timestamp(ts0);
	next_timestamp(ts1);
	next_timestamp(ts2);
	make_init(&a, &m0, ts0);
	make_init(&a, &m1, ts1);
	make_init(&a, &m2, ts2);

	CHECK(uwg_noise_consume_initiation(&m1, &b.id, lookup_cb, &b, t) == &b.hs);
	/* The same bytes again, however late, and even after the handshake is reset. */
	CHECK(uwg_noise_consume_initiation(&m1, &b.id, lookup_cb, &b, t + 10 * SEC) == NULL);
	uwg_noise_handshake_clear(&b.hs);
	CHECK(uwg_noise_consume_initiation(&m1, &b.id, lookup_cb, &b, t + 20 * SEC) == NULL);
	/* An older timestamp too. */
	CHECK(uwg_noise_consume_initiation(&m0, &b.id, lookup_cb, &b, t + 30 * SEC) == NULL);
	CHECK_MEM_EQ(b.hs.latest_timestamp, ts1, 12);
	CHECK_EQ_INT(b.hs.state, UWG_HS_ZEROED);

	/* Flood: a newer timestamp within 1/50 s of the last accepted is refused... */
	random_party_setup(&a, &b, NULL, NULL);
	make_init(&a, &m1, ts1);
	make_init(&a, &m2, ts2);
	CHECK(uwg_noise_consume_initiation(&m1, &b.id, lookup_cb, &b, t) == &b.hs);
	CHECK(uwg_noise_consume_initiation(&m2, &b.id, lookup_cb, &b, t + 10 * MS) == NULL);
	CHECK(uwg_noise_consume_initiation(&m2, &b.id, lookup_cb, &b, t + 20 * MS - 1) == NULL);
	CHECK_MEM_EQ(b.hs.latest_timestamp, ts1, 12); /* a refused one does not advance it */
	CHECK_EQ_U64(b.hs.last_initiation_consumption, t);
	/* ...and accepted once 20 ms have passed. */
	CHECK(uwg_noise_consume_initiation(&m2, &b.id, lookup_cb, &b, t + 20 * MS) == &b.hs);
	CHECK_MEM_EQ(b.hs.latest_timestamp, ts2, 12);
	CHECK_EQ_U64(b.hs.last_initiation_consumption, t + 20 * MS);
}

static void test_low_order(void)
{
	static struct party a, b;
	struct uwg_noise_identity id;
	uint8_t priv[32], pub[32], e[32], ts[12], point[32];
	struct uwg_msg_initiation init;
	struct uwg_msg_response r;

	uwg_x25519_generate(priv, pub);
	uwg_noise_identity_set(&id, priv);
	next_timestamp(ts);
	for (size_t i = 0; i < ARRAY_SIZE(low_order_hex); i++) {
		struct uwg_noise_handshake hs, saved;

		harness_unhex(point, 32, low_order_hex[i]);
		uwg_noise_handshake_init(&hs, &id, point, NULL);
		CHECK(uwg_is_zero(hs.precomputed_static_static, 32));
		saved = hs;
		uwg_x25519_generate(e, pub);
		CHECK(!uwg_noise_create_initiation(&init, &hs, 1, e, ts));
		CHECK(memcmp(&hs, &saved, sizeof(hs)) == 0);
		CHECK(uwg_is_zero(&init, sizeof(init)));
		/* Recomputing after an identity change keeps it unusable. */
		uwg_noise_handshake_precompute(&hs);
		CHECK(!uwg_noise_create_initiation(&init, &hs, 1, e, ts));
	}

	/* Low-order ephemerals on the wire are refused by both consumers. */
	random_party_setup(&a, &b, NULL, NULL);
	for (size_t i = 0; i < ARRAY_SIZE(low_order_hex); i++) {
		struct uwg_noise_handshake saved;

		next_timestamp(ts);
		make_init(&a, &init, ts);
		harness_unhex(init.unencrypted_ephemeral, 32, low_order_hex[i]);
		CHECK(uwg_noise_consume_initiation(&init, &b.id, lookup_cb, &b, SEC) == NULL);

		next_timestamp(ts);
		make_init(&a, &init, ts);
		CHECK(uwg_noise_consume_initiation(&init, &b.id, lookup_cb, &b,
						   (uint64_t)(i + 2) * SEC) == &b.hs);
		uwg_x25519_generate(e, pub);
		CHECK(uwg_noise_create_response(&r, &b.hs, 5, e));
		harness_unhex(r.unencrypted_ephemeral, 32, low_order_hex[i]);
		saved = a.hs;
		CHECK(!uwg_noise_consume_response(&r, &a.hs));
		CHECK(memcmp(&a.hs, &saved, sizeof(saved)) == 0);
	}

	/* A peer whose static-static is zero is never accepted as an initiator either. */
	random_party_setup(&a, &b, NULL, NULL);
	next_timestamp(ts);
	make_init(&a, &init, ts);
	memset(b.hs.precomputed_static_static, 0, 32);
	CHECK(uwg_noise_consume_initiation(&init, &b.id, lookup_cb, &b, SEC) == NULL);
}

static void test_states(void)
{
	static struct party a, b;
	struct uwg_msg_initiation init;
	struct uwg_msg_response r;
	struct uwg_noise_identity none;
	static struct uwg_noise_keypairs kps;
	uint8_t e[32], pub[32], ts[12];

	random_party_setup(&a, &b, NULL, NULL);
	uwg_noise_keypairs_init(&kps);
	uwg_x25519_generate(e, pub);
	next_timestamp(ts);
	CHECK(!uwg_noise_create_response(&r, &a.hs, 1, e));
	CHECK(uwg_noise_begin_session(&a.hs, &kps, 0, NULL) == NULL);
	memset(&r, 0, sizeof(r));
	uwg_le32_store(r.type, UWG_MSG_HANDSHAKE_RESPONSE);
	CHECK(!uwg_noise_consume_response(&r, &a.hs));

	CHECK(uwg_noise_create_initiation(&init, &a.hs, 9, e, ts));
	CHECK(uwg_noise_begin_session(&a.hs, &kps, 0, NULL) == NULL);
	CHECK(!uwg_noise_create_response(&r, &a.hs, 1, e));

	/* No identity: nothing is created or consumed. */
	uwg_noise_identity_set(&none, NULL);
	CHECK(uwg_noise_consume_initiation(&init, &none, lookup_cb, &b, SEC) == NULL);
	uwg_noise_identity_set(&b.id, NULL);
	uwg_noise_handshake_precompute(&b.hs);
	CHECK(uwg_is_zero(b.hs.precomputed_static_static, 32));
	next_timestamp(ts);
	CHECK(!uwg_noise_create_initiation(&init, &b.hs, 9, e, ts));

	/* A lookup that finds nobody. */
	random_party_setup(&a, &b, NULL, NULL);
	next_timestamp(ts);
	CHECK(uwg_noise_create_initiation(&init, &a.hs, 9, e, ts));
	memset(b.hs.remote_static, 0x55, 32);
	CHECK(uwg_noise_consume_initiation(&init, &b.id, lookup_cb, &b, SEC) == NULL);

	/* Our pending initiation is abandoned when we consume the peer's. */
	random_party_setup(&a, &b, NULL, NULL);
	next_timestamp(ts);
	CHECK(uwg_noise_create_initiation(&init, &b.hs, 3, e, ts));
	CHECK(!uwg_is_zero(b.hs.ephemeral_private, 32));
	next_timestamp(ts);
	uwg_x25519_generate(e, pub);
	CHECK(uwg_noise_create_initiation(&init, &a.hs, 4, e, ts));
	CHECK(uwg_noise_consume_initiation(&init, &b.id, lookup_cb, &b, SEC) == &b.hs);
	CHECK(uwg_is_zero(b.hs.ephemeral_private, 32));

	/* PSK setter: NULL and zero both mean none. */
	uwg_noise_handshake_set_psk(&a.hs, pub);
	CHECK_MEM_EQ(a.hs.preshared_key, pub, 32);
	uwg_noise_handshake_set_psk(&a.hs, NULL);
	CHECK(uwg_is_zero(a.hs.preshared_key, 32));

	/* Clear keeps keys, timestamp and flood clock; wipe takes everything. */
	CHECK(!uwg_is_zero(b.hs.latest_timestamp, 12));
	uwg_noise_handshake_clear(&b.hs);
	CHECK_EQ_INT(b.hs.state, UWG_HS_ZEROED);
	CHECK(uwg_is_zero(b.hs.chaining_key, 32) && uwg_is_zero(b.hs.remote_ephemeral, 32));
	CHECK(!uwg_is_zero(b.hs.latest_timestamp, 12));
	CHECK(!uwg_is_zero(b.hs.precomputed_static_static, 32));
	CHECK_EQ_U64(b.hs.last_initiation_consumption, SEC);
	uwg_noise_handshake_wipe(&b.hs);
	CHECK(uwg_is_zero(&b.hs, sizeof(b.hs)));
}

static void test_keypairs_initiator(void)
{
	static struct party a, b;
	struct drops da = { .n = 0 }, db = { .n = 0 };
	struct uwg_noise_index_ops oa = { &da, drop_cb }, ob = { &db, drop_cb };
	struct uwg_noise_keypair *k1, *k2, *k3, *r;
	uint64_t t = SEC;

	random_party_setup(&a, &b, NULL, NULL);
	CHECK(full_handshake(&a, &b, 101, 201, t += SEC, &oa, &ob, &k1, &r));
	CHECK(a.kps.current == k1 && !a.kps.previous && !a.kps.next);
	CHECK_EQ_U64(da.n, 0);
	CHECK(full_handshake(&a, &b, 102, 202, t += SEC, &oa, &ob, &k2, &r));
	CHECK(a.kps.current == k2 && a.kps.previous == k1 && !a.kps.next);
	CHECK_EQ_U64(da.n, 0);
	CHECK(full_handshake(&a, &b, 103, 203, t += SEC, &oa, &ob, &k3, &r));
	CHECK(a.kps.current == k3 && a.kps.previous == k2 && !a.kps.next);
	CHECK_EQ_U64(da.n, 1);
	CHECK(dropped(&da, 101));
	/* Received on a non-next keypair changes nothing. */
	CHECK(!uwg_noise_received_with_keypair(&a.kps, k2, &oa));
	CHECK(!uwg_noise_received_with_keypair(&a.kps, k3, &oa));
	CHECK(a.kps.current == k3 && a.kps.previous == k2);

	/* Slots are recycled: many handshakes never run out. */
	for (uint32_t i = 0; i < 20; i++)
		CHECK(full_handshake(&a, &b, 300 + i, 400 + i, t += SEC, &oa, &ob, &k1, &r));
	CHECK_EQ_U64(a.kps.current->local_index, 319);
	CHECK_EQ_U64(a.kps.previous->local_index, 318);
	size_t live = 0;
	for (size_t i = 0; i < ARRAY_SIZE(a.kps.slots); i++)
		live += a.kps.slots[i].in_use;
	CHECK_EQ_U64(live, 2);

	/* Expire: the current keypair may no longer send; the previous is untouched. */
	uwg_noise_keypairs_expire_current(&a.kps);
	CHECK(!a.kps.current->send_valid);
	CHECK(a.kps.previous->send_valid);

	da.n = 0;
	uwg_noise_keypairs_clear(&a.kps, &oa);
	CHECK(!a.kps.current && !a.kps.previous && !a.kps.next);
	CHECK_EQ_U64(da.n, 2);
	CHECK(dropped(&da, 319) && dropped(&da, 318));
	CHECK(uwg_is_zero(a.kps.slots, sizeof(a.kps.slots)));
}

static void test_keypairs_responder(void)
{
	static struct party a, b;
	struct drops da = { .n = 0 }, db = { .n = 0 };
	struct uwg_noise_index_ops oa = { &da, drop_cb }, ob = { &db, drop_cb };
	struct uwg_noise_keypair *r1, *r2, *r3, *r4, *i1, *i2, *i3, *i4;
	uint64_t t = SEC;

	random_party_setup(&a, &b, NULL, NULL);
	/* b responds: the new keypair waits as next until data arrives on it. */
	CHECK(full_handshake(&a, &b, 11, 21, t += SEC, &oa, &ob, &i1, &r1));
	CHECK(b.kps.next == r1 && !b.kps.current && !b.kps.previous);
	CHECK(!uwg_noise_received_with_keypair(&b.kps, NULL, &ob));
	CHECK(uwg_noise_received_with_keypair(&b.kps, r1, &ob));
	CHECK(b.kps.current == r1 && !b.kps.next && !b.kps.previous);
	CHECK(!uwg_noise_received_with_keypair(&b.kps, r1, &ob)); /* only once */
	CHECK_EQ_U64(db.n, 0);

	CHECK(full_handshake(&a, &b, 12, 22, t += SEC, &oa, &ob, &i2, &r2));
	CHECK(b.kps.next == r2 && b.kps.current == r1 && !b.kps.previous);
	CHECK(uwg_noise_received_with_keypair(&b.kps, r2, &ob));
	CHECK(b.kps.current == r2 && b.kps.previous == r1 && !b.kps.next);
	CHECK_EQ_U64(db.n, 0);

	/* A new next drops the previous at once (kernel add_new_keypair). */
	CHECK(full_handshake(&a, &b, 13, 23, t += SEC, &oa, &ob, &i3, &r3));
	CHECK(b.kps.next == r3 && b.kps.current == r2 && !b.kps.previous);
	CHECK_EQ_U64(db.n, 1);
	CHECK(dropped(&db, 21));
	/* Another handshake before any data on r3: r3 is dropped unused. */
	CHECK(full_handshake(&a, &b, 14, 24, t += SEC, &oa, &ob, &i4, &r4));
	CHECK(b.kps.next == r4 && b.kps.current == r2 && !b.kps.previous);
	CHECK_EQ_U64(db.n, 2);
	CHECK(dropped(&db, 23));
	/* Stale data on r2 (current) does not promote; data on r4 does. */
	CHECK(!uwg_noise_received_with_keypair(&b.kps, r2, &ob));
	CHECK(uwg_noise_received_with_keypair(&b.kps, r4, &ob));
	CHECK(b.kps.current == r4 && b.kps.previous == r2 && !b.kps.next);
	CHECK_EQ_U64(db.n, 2);
	CHECK_MEM_EQ(r4->recv_key, i4->send_key, 32);
	CHECK_MEM_EQ(r4->send_key, i4->recv_key, 32);

	/* Expiry covers a pending next too. */
	CHECK(full_handshake(&a, &b, 15, 25, t += SEC, &oa, &ob, &i1, &r1));
	uwg_noise_keypairs_expire_current(&b.kps);
	CHECK(!b.kps.next->send_valid && !b.kps.current->send_valid);

	db.n = 0;
	uwg_noise_keypairs_clear(&b.kps, &ob);
	CHECK_EQ_U64(db.n, 2); /* next (25) and current (24); previous was dropped above */
	CHECK(dropped(&db, 25) && dropped(&db, 24));
	CHECK(!b.kps.next && !b.kps.current && !b.kps.previous);
}

/*
 * Both sides initiate at once: b answers a's initiation (its new keypair
 * waits as next) and then completes its own handshake as initiator. The
 * pending next becomes previous (a may already send on it), the old current
 * is dropped.
 */
static void test_keypairs_crossed(void)
{
	static struct party a, b;
	struct drops da = { .n = 0 }, db = { .n = 0 };
	struct uwg_noise_index_ops oa = { &da, drop_cb }, ob = { &db, drop_cb };
	struct uwg_noise_keypair *ia, *rb, *c_b, *c_a, *x_b, *x_a;
	uint64_t t = SEC;

	random_party_setup(&a, &b, NULL, NULL);
	/* An established session with b as initiator: b.current = c_b. */
	CHECK(full_handshake(&b, &a, 50, 60, t += SEC, &ob, &oa, &c_b, &c_a));
	CHECK(full_handshake(&b, &a, 51, 61, t += SEC, &ob, &oa, &x_b, &x_a));
	CHECK(b.kps.current == x_b && b.kps.previous == c_b);
	/* a initiates to b: b's keypair rb is next. */
	CHECK(full_handshake(&a, &b, 70, 80, t += SEC, &oa, &ob, &ia, &rb));
	CHECK(b.kps.next == rb && b.kps.current == x_b && !b.kps.previous);
	CHECK(dropped(&db, 50));
	/* b completes its own initiation. */
	db.n = 0;
	CHECK(full_handshake(&b, &a, 52, 62, t += SEC, &ob, &oa, &x_b, &x_a));
	CHECK(b.kps.current == x_b && b.kps.previous == rb && !b.kps.next);
	CHECK_EQ_U64(db.n, 1);
	CHECK(dropped(&db, 51));
	CHECK_MEM_EQ(rb->recv_key, ia->send_key, 32);
}

int main(void)
{
	if (uwg_crypto_init() != 0) {
		fprintf(stderr, "crypto init failed\n");
		return 1;
	}
	test_constants();
	test_identity();
	test_tai64n();
	test_vectors();
	test_random_handshakes();
	test_tamper_initiation();
	test_tamper_response();
	test_replay_and_flood();
	test_low_order();
	test_states();
	test_keypairs_initiator();
	test_keypairs_responder();
	test_keypairs_crossed();
	return harness_report("test_noise");
}
