/*
 * core/crypt_job.h - how send.c and receive.c hand a batch of data-message
 * AEAD jobs (struct uwg_crypt_job, core/wg.h) to the I/O layer's
 * ops->crypt_batch, or run them in order when there is none. Loop thread.
 */
#ifndef UWG_CORE_CRYPT_JOB_H
#define UWG_CORE_CRYPT_JOB_H

#include "core/wg.h"

/* Jobs per hand-over: bounds the stack arrays of the callers. */
enum { UWG_CRYPT_CHUNK = 64 };

static inline void uwg_crypt_jobs_run(const struct uwg_wg_ops *ops, struct uwg_crypt_job *jobs,
				      size_t n)
{
	/* A single job is not worth a hand-over. */
	if (ops->crypt_batch && n > 1) {
		ops->crypt_batch(ops->ctx, jobs, n);
		return;
	}
	for (size_t i = 0; i < n; i++)
		uwg_crypt_job_run(&jobs[i]);
}

#endif
