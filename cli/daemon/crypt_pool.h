/*
 * cli/daemon/crypt_pool.h - worker threads for the core's data-message AEAD
 * batches (ops->crypt_batch, core/wg.h). The loop thread posts a batch,
 * works on it itself and returns once every job is done, so the core stays
 * single-threaded and per-peer order is untouched: workers only ever run
 * uwg_crypt_job_run on jobs they claimed, never core state. A worker that is
 * slow to wake costs nothing but its help. Created and used by the loop
 * thread only; the workers are internal.
 */
#ifndef UWG_CLI_DAEMON_CRYPT_POOL_H
#define UWG_CLI_DAEMON_CRYPT_POOL_H

#include <stddef.h>
#include <stdint.h>

#include "core/wg.h"

enum {
	UWG_CRYPT_POOL_MAX_WORKERS = 7,
	/* Smaller batches are run by the loop thread alone: a wake-up costs more than it saves. */
	UWG_CRYPT_POOL_MIN_JOBS = 8,
};

struct uwg_crypt_pool;

struct uwg_crypt_pool_stats {
	uint64_t batches;     /* batches that were offered to the workers */
	uint64_t jobs_helped; /* jobs a worker ran */
};

/* Starts workers (1..UWG_CRYPT_POOL_MAX_WORKERS). 0 or -errno. */
int uwg_crypt_pool_new(struct uwg_crypt_pool **out, unsigned workers);
/* Stops and joins the workers; NULL is fine. */
void uwg_crypt_pool_free(struct uwg_crypt_pool *pool);
/* ops->crypt_batch: ctx is the pool. Returns when all n jobs are done. */
void uwg_crypt_pool_run(void *pool, struct uwg_crypt_job *jobs, size_t n);
void uwg_crypt_pool_get_stats(const struct uwg_crypt_pool *pool, struct uwg_crypt_pool_stats *st);

#endif
