/*
 * test/unit/cli/daemon/test_crypt_pool.c - cli/daemon/crypt_pool.c with real threads: batches
 * of every size (below and above the hand-over threshold) sealed by the pool
 * must equal sealing one by one, opening them must restore the plaintext,
 * and a tampered job must fail alone. Many small back-to-back batches check
 * that no worker runs a job of a batch that already ended (build with
 * -fsanitize=thread to see the races it would cause).
 */
#include <errno.h>
#include <stdlib.h>

#include "cli/daemon/crypt_pool.h"
#include "crypto/aead.h"
#include "crypto/crypto.h"
#include "crypto/ct.h"
#include "test/harness.h"

enum { MAXJ = 64, LEN = 1424 };

static uint8_t bufs[MAXJ][LEN + 16], want[MAXJ][LEN + 16], plain[MAXJ][LEN];
static struct uwg_crypt_job jobs[MAXJ];
static uint8_t key[32];

static void fill(size_t n, size_t len, uint64_t counter0)
{
	for (size_t i = 0; i < n; i++) {
		for (size_t k = 0; k < len; k++)
			plain[i][k] = (uint8_t)(i * 31 + k + counter0);
		memcpy(bufs[i], plain[i], len);
		memcpy(want[i], plain[i], len);
		uwg_aead_encrypt(want[i], want[i], len, NULL, 0, counter0 + i, key);
		jobs[i] = (struct uwg_crypt_job){ .data = bufs[i], .len = len, .counter = counter0 + i,
						  .key = key, .encrypt = true };
	}
}

static void round_trip(struct uwg_crypt_pool *pool, size_t n, size_t len, uint64_t counter0)
{
	bool sealed = true, opened = true;

	fill(n, len, counter0);
	uwg_crypt_pool_run(pool, jobs, n);
	for (size_t i = 0; i < n; i++)
		sealed &= jobs[i].ok && !memcmp(bufs[i], want[i], len + 16);
	CHECK(sealed);
	for (size_t i = 0; i < n; i++)
		jobs[i] = (struct uwg_crypt_job){ .data = bufs[i], .len = len + 16,
						  .counter = counter0 + i, .key = key };
	if (n > 2)
		bufs[n / 2][3] ^= 0x40; /* one forgery in the middle */
	uwg_crypt_pool_run(pool, jobs, n);
	for (size_t i = 0; i < n; i++) {
		bool forged = n > 2 && i == n / 2;

		if (jobs[i].ok == forged || (!forged && memcmp(bufs[i], plain[i], len)))
			opened = false;
	}
	CHECK(opened);
}

static void test_workers(unsigned workers)
{
	struct uwg_crypt_pool *pool;
	struct uwg_crypt_pool_stats st;

	CHECK_EQ_INT(uwg_crypt_pool_new(&pool, workers), 0);
	for (size_t n = 0; n <= MAXJ; n++)
		round_trip(pool, n, LEN, n * 1000);
	/* Small jobs, many batches: workers wake late and find batches long gone. */
	for (unsigned r = 0; r < 2000; r++)
		round_trip(pool, UWG_CRYPT_POOL_MIN_JOBS + r % 8, 48, r);
	uwg_crypt_pool_get_stats(pool, &st);
	CHECK(st.batches >= 2 * (2000 + MAXJ - UWG_CRYPT_POOL_MIN_JOBS));
	uwg_crypt_pool_free(pool);
}

int main(void)
{
	struct uwg_crypt_pool *pool;

	if (uwg_crypto_init())
		return 1;
	uwg_random_bytes(key, sizeof(key));
	CHECK_EQ_INT(uwg_crypt_pool_new(&pool, 0), -EINVAL);
	CHECK(pool == NULL);
	CHECK_EQ_INT(uwg_crypt_pool_new(&pool, UWG_CRYPT_POOL_MAX_WORKERS + 1), -EINVAL);
	/* No pool at all: the jobs still run, in order. */
	round_trip(NULL, 20, LEN, 7);
	test_workers(1);
	test_workers(3);
	uwg_crypt_pool_free(NULL);
	return harness_report("test_crypt_pool");
}
